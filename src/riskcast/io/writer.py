"""Write a Project as a commented riskcast TOML model file that a user can edit.

The layout follows the model format (DESIGN.md §4): ``[project]`` (with its budget and
currency), one ``[calendars.NAME]`` per calendar (working times, exceptions and yearly holidays
included), ``[[resource]]``, ``[[task]]`` (with its calendar, constraints, progress and cost),
``[[milestone]]``, ``[[overhead]]``, ``[[risk]]`` (impacts, their costs and the mitigation),
``[[correlation]]``, ``[[branch]]`` and ``[[uncertainty]]`` rules. Durations and lags are working
days of their calendars, rates are currency units per working day. Reading the file back gives an
equal plan. The file is written atomically (a temporary
file in the same folder, then ``os.replace``), so a failure never leaves a partial model.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..calendar import Calendar, Periods, default_periods
from ..costs import Cost
from ..distributions import Distribution, Fixed
from ..model import Link, Milestone, Project, Task
from ..risks import Impact, Risk
from .modelfile import YEARS, yearly_dates
from .templates import Rule, parse_rule

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\b": "\\b",
    "\f": "\\f",
}


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in str(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def toml_value(value: Any) -> str:
    """Inline TOML for strings, numbers, booleans, dates, lists and tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # shortest text that reads back to the same float
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{toml_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, Iterable):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _link(link: Link) -> Any:
    if link.type == "FS" and link.lag == 0 and link.calendar is None:
        return link.predecessor
    spec: dict[str, Any] = {"task": link.predecessor}
    if link.type != "FS":
        spec["type"] = link.type
    if link.lag != 0:
        spec["lag"] = float(link.lag)
    if link.calendar is not None:
        spec["calendar"] = link.calendar
    return spec


def _time(minutes: float) -> str:
    """ "08:00" for 480 minutes; a fraction of a minute is kept ("08:00.5")."""
    hours, rest = divmod(float(minutes), 60.0)
    text = f"{int(rest):02d}" if rest.is_integer() else ("0" if rest < 10 else "") + repr(rest)
    return f"{int(hours):02d}:{text}"


def times_text(times: Periods) -> list[str]:
    """Working times as the model file writes them: ``["08:00-12:00", "13:00-17:00"]``."""
    return [f"{_time(lo)}-{_time(hi)}" for lo, hi in times]


def _yearly(holidays: Sequence[dt.date]) -> tuple[list[str], list[dt.date]]:
    """Holidays on the same month and day in every year of 1900-2199 (as "MM-DD"), and the
    others: what a model file's ``yearly`` and ``holidays`` read back to."""
    by_day: dict[tuple[int, int], set[dt.date]] = {}
    for date in holidays:
        if YEARS[0] <= date.year <= YEARS[1]:
            by_day.setdefault((date.month, date.day), set()).add(date)
    yearly = [md for md, dates in sorted(by_day.items()) if dates == set(yearly_dates([md]))]
    every = set(yearly_dates(yearly))
    return [f"{m:02d}-{d:02d}" for m, d in yearly], [d for d in holidays if d not in every]


def _calendar_lines(key: str, cal: Calendar) -> list[str]:
    yearly, holidays = _yearly(cal.holidays)
    pairs: list[tuple[str, Any]] = []
    if cal.name != key:
        pairs.append(("name", cal.name))
    pairs.append(("workdays", list(cal.workdays)))
    if yearly:
        pairs.append(("yearly", yearly))
    pairs.append(("holidays", holidays))
    pairs.append(("hours_per_day", float(cal.hours_per_day)))
    if cal.hours != default_periods(cal.hours_per_day):
        pairs.append(("hours", times_text(cal.hours)))
    if cal.weekday_hours:
        pairs.append(
            ("weekday_hours", {day: times_text(t) for day, t in cal.weekday_hours.items()})
        )
    lines = [f"[calendars.{toml_key(key)}]"]
    # (an unnamed calendar reads back named by its table)
    lines += [f"{k} = {toml_value(v)}" for k, v in pairs if k != "name" or v]
    if cal.exceptions:  # one a line: dates without work first give only their date
        lines.append("exceptions = [")
        for date, times in cal.exceptions.items():
            spec: dict[str, Any] = {"date": date}
            if times:
                spec["hours"] = times_text(times)
            lines.append(f"    {toml_value(spec)},")
        lines.append("]")
    return lines


def _calendar_keys(project: Project) -> tuple[dict[str, Calendar], str]:
    """The calendars to write, by table name, and the project calendar's table name: its own
    name in ``project.calendars`` when it is there, else a new table (its name, or "main")."""
    calendars = dict(project.calendars)
    for key, cal in calendars.items():
        if cal == project.calendar:
            return calendars, key
    key = project.calendar.name or "main"
    while key in calendars:
        key += "_"
    calendars[key] = project.calendar
    return calendars, key


def _task_lines(task: Task) -> list[str]:
    pairs: list[tuple[str, Any]] = [("id", task.id)]
    if task.name:
        pairs.append(("name", task.name))
    pairs.append(("estimate", task.estimate.to_spec()))
    if task.after:
        pairs.append(("after", [_link(link) for link in task.after]))
    if task.tags:
        pairs.append(("tags", {str(k): str(v) for k, v in task.tags.items()}))
    if task.calendar is not None:
        pairs.append(("calendar", task.calendar))
    for key in ("not_before", "not_after", "finish_not_before", "finish_not_after", "deadline"):
        if getattr(task, key) is not None:
            pairs.append((key, getattr(task, key)))
    if task.alap:
        pairs.append(("alap", True))
    if task.probability != 1:
        pairs.append(("probability", float(task.probability)))
    if task.percent_complete:
        pairs.append(("percent_complete", float(task.percent_complete)))
    if task.actual_start is not None:
        pairs.append(("actual_start", task.actual_start))
    if task.actual_finish is not None:
        pairs.append(("actual_finish", task.actual_finish))
    if task.remaining is not None:
        pairs.append(("remaining", float(task.remaining)))
    if task.priority is not None:
        pairs.append(("priority", float(task.priority)))
    if task.assignments:
        pairs.append(
            (
                "assignments",
                [{"resource": a.resource, "units": float(a.units)} for a in task.assignments],
            )
        )
    if task.cost is not None:
        pairs.append(("cost", _cost(task.cost)))
    return ["[[task]]", *(f"{k} = {toml_value(v)}" for k, v in pairs)]


def _money(amount: Distribution) -> Any:
    """An amount as the model file reads it: a plain number when it is certain."""
    return amount.value if isinstance(amount, Fixed) else amount.to_spec()


def _cost(cost: Cost) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if cost.fixed is not None:
        spec["fixed"] = _money(cost.fixed)
    if cost.rate:
        spec["rate"] = float(cost.rate)
    return spec


def _probability(p: float | tuple[float, float]) -> Any:
    return [float(x) for x in p] if isinstance(p, tuple | list) else float(p)


def _impact(impact: Impact) -> dict[str, Any]:
    spec: dict[str, Any] = {"task": impact.task}
    for key in ("add", "multiply"):
        value = getattr(impact, key)
        if value is not None:
            spec[key] = value.to_spec()
    if impact.cost is not None:
        spec["cost"] = _money(impact.cost)
    return spec


def _risk_lines(risk: Risk) -> list[str]:
    head: list[tuple[str, Any]] = [("id", risk.id)]
    if risk.title:
        head.append(("title", risk.title))
    if risk.owner:
        head.append(("owner", risk.owner))
    head.append(("probability", _probability(risk.probability)))
    tail: list[tuple[str, Any]] = []
    if not risk.shared_impact:
        tail.append(("shared_impact", False))
    m = risk.mitigation
    if m is not None:
        spec: dict[str, Any] = {}
        if m.probability is not None:
            spec["probability"] = _probability(m.probability)
        if m.impacts is not None:
            spec["impacts"] = [_impact(i) for i in m.impacts]
        if m.cost:
            spec["cost"] = float(m.cost)
        tail.append(("mitigation", spec))
    return [
        "[[risk]]",
        *(f"{k} = {toml_value(v)}" for k, v in head),
        "impacts = [",
        *(f"    {toml_value(_impact(i))}," for i in risk.impacts),  # one a line
        "]",
        *(f"{k} = {toml_value(v)}" for k, v in tail),
    ]


def _uncertainty_lines(project: Project) -> list[str]:
    """The ``[[risk]]``, ``[[correlation]]`` and ``[[branch]]`` tables."""
    lines: list[str] = []
    for risk in project.risks:
        lines += ["", *_risk_lines(risk)]
    for c in project.correlations:
        lines += ["", "[[correlation]]"]
        if c.tasks:
            lines.append(f"tasks = {toml_value(list(c.tasks))}")
        if c.risks:
            lines.append(f"risks = {toml_value(list(c.risks))}")
        lines.append(f"coefficient = {toml_value(float(c.coefficient))}")
    for branch in project.branches:
        lines += ["", "[[branch]]", f"id = {toml_value(branch.id)}", "options = ["]
        lines += [
            f"    {toml_value({'tasks': list(o.tasks), 'probability': float(o.probability)})},"
            for o in branch.options
        ]
        lines.append("]")
    return lines


def _project_lines(project: Project, calendar: str) -> list[str]:
    """The ``[project]`` table; ``calendar`` is the project calendar's table name."""
    lines = [
        "[project]",
        f"name = {toml_value(project.name)}",
        f"start = {toml_value(project.start)}",
        f"calendar = {toml_value(calendar)}",
    ]
    if project.status_date is not None:
        lines.append(f"status_date = {toml_value(project.status_date)}")
    if project.progress_logic != "retained-logic":
        lines.append(f"progress_logic = {toml_value(project.progress_logic)}")
    if project.repair_correlation:
        lines.append("repair_correlation = true")
    if project.budget is not None:
        lines.append(f"budget = {toml_value(float(project.budget))}")
    if project.currency:
        lines.append(f"currency = {toml_value(project.currency)}")
    return lines


def _overhead_lines(project: Project) -> list[str]:
    lines: list[str] = []
    for overhead in project.overheads:
        lines += ["", "[[overhead]]", f"id = {toml_value(overhead.id)}"]
        if overhead.name:
            lines.append(f"name = {toml_value(overhead.name)}")
        lines.append(f"rate = {toml_value(float(overhead.rate))}")
        if overhead.until is not None:
            lines.append(f"until = {toml_value(overhead.until)}")
    return lines


def _milestone_lines(m: Milestone) -> list[str]:
    pairs: list[tuple[str, Any]] = [("id", m.id)]
    if m.name:
        pairs.append(("name", m.name))
    pairs.append(("after", [_link(link) for link in m.after]))
    if m.target is not None:
        pairs.append(("target", m.target))
    return ["[[milestone]]", *(f"{k} = {toml_value(v)}" for k, v in pairs)]


def _comment(text: str) -> list[str]:
    return ["# " + line if line else "#" for line in str(text).splitlines() or [""]]


def model_toml(
    project: Project, rules: Sequence[Rule | str] = (), notes: Sequence[str] = ()
) -> str:
    """The model file text (see :func:`write_model_toml`)."""
    rules = [parse_rule(r) if isinstance(r, str) else r for r in rules]
    origin = project.source or "a Python-built plan"
    lines = [
        f"# riskcast model imported from {origin}",
        f"# written {dt.date.today().isoformat()}. Durations and lags are working days of each",
        "# task's calendar (the project calendar unless the task names one); the rates of",
        "# resources, task costs and overheads are currency units per working day.",
        "#",
        "# Add uncertainty: give a task a range, e.g. estimate = { pert = [4, 5, 9] }",
        "# (low, most likely, high), or add [[uncertainty]] rules at the end. Rules give every",
        "# single-point task whose field matches a range relative to its duration; the last",
        "# matching rule wins, so put general rules first:",
        "#   [[uncertainty]]",
        '#   match = "*"',
        '#   estimate = "pert(-10%, 0%, +30%)"',
        "#   [[uncertainty]]",
        '#   match = "Design*"         # fnmatch pattern, case-insensitive',
        '#   field = "name"            # name, id, wbs or tag.KEY',
        '#   estimate = "triangular(-5%, 0%, +50%)"',
    ]
    if notes:
        lines += ["#", "# Notes from the import (what could not be carried over):"]
        for note in notes:
            lines += _comment(f"- {note}")
    calendars, main = _calendar_keys(project)
    lines += ["", *_project_lines(project, main)]
    for key, cal in calendars.items():
        lines += ["", *_calendar_lines(key, cal)]
    for res in project.resources:
        lines += ["", "[[resource]]", f"id = {toml_value(res.id)}"]
        if res.name:
            lines.append(f"name = {toml_value(res.name)}")
        lines.append(f"rate = {toml_value(float(res.rate))}")
        if res.capacity is not None:
            lines.append(f"capacity = {toml_value(float(res.capacity))}")
        if res.changes:
            changes = [{"from": c.date, "capacity": float(c.capacity)} for c in res.changes]
            lines.append(f"changes = {toml_value(changes)}")
    for task in project.tasks:
        lines += ["", *_task_lines(task)]
    for m in project.milestones:
        lines += ["", *_milestone_lines(m)]
    lines += _overhead_lines(project)
    lines += _uncertainty_lines(project)
    for rule in rules:
        lines += [
            "",
            "[[uncertainty]]",
            *(f"{k} = {toml_value(v)}" for k, v in rule.to_spec().items()),
        ]
    return "\n".join(lines) + "\n"


def write_model_toml(
    project: Project,
    path: str | os.PathLike[str],
    rules: Sequence[Rule | str] = (),
    *,
    notes: Sequence[str] = (),
) -> Path:
    """Write ``project`` (and uncertainty ``rules``) as a commented TOML model at ``path``.

    ``notes`` (e.g. an import's warnings) are written as comments at the top. Atomic: the text
    goes to a temporary file in the same folder, which then replaces ``path``.
    """
    path = Path(path)
    text = model_toml(project, rules, notes)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
