"""Model files (TOML and JSON): reading with complete error reports, and the JSON Schema.

The format is described once, in :data:`SECTIONS`; both the loader and :func:`model_schema` read
that description, so the schema can never disagree with what the loader accepts.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import distributions
from ..calendar import WEEKDAYS, Calendar, Periods, periods
from ..costs import Cost, Overhead, money
from ..errors import CycleError, ModelError
from ..model import (
    DATE_HORIZON,
    LINK_TYPES,
    PROGRESS_LOGIC,
    Assignment,
    CapacityChange,
    Link,
    Milestone,
    Project,
    Resource,
    Task,
    validate,
)
from ..risks import Branch, BranchOption, Correlation, Impact, Mitigation, Risk
from ..suggest import suggestion, unknown_key_message
from ..throughput_inputs import history_folder
from . import limits
from .limits import show

# Unknown keys of one table that get a did-you-mean suggestion; the rest are only counted, so
# that a file of a million junk keys is still reported in linear time.
MAX_SUGGESTED_KEYS = 20


@dataclass(frozen=True)
class Field:
    kind: str  # a key of _CONVERT: string | number | amount | date | estimate | cost | links ...
    required: bool = False
    help: str = ""


SECTIONS: dict[str, dict[str, Field]] = {
    "project": {
        "name": Field("string", True, "Project name shown on reports"),
        "start": Field("date", True, "First day of work (rolled forward to a working day)"),
        "calendar": Field("string", False, "Name of a [calendars.NAME] table (default Mon-Fri)"),
        "repair_correlation": Field(
            "bool", False, "Use the nearest valid correlation matrix when one is inconsistent"
        ),
        "status_date": Field(
            "date", False, "Data date of a schedule update: work before it is actual"
        ),
        "progress_logic": Field(
            "progress_logic",
            False,
            'Out-of-sequence progress: "retained-logic" (default) or "progress-override"',
        ),
        "budget": Field(
            "amount", False, "Budget in currency units (> 0); the cost forecast is compared to it"
        ),
        "currency": Field("currency", False, 'Currency shown with amounts, e.g. "EUR"'),
    },
    "calendars": {
        "name": Field("string", False, "Display name (default: the table's name)"),
        "workdays": Field("strings", False, 'Working weekdays, e.g. ["mon", "tue"]'),
        "holidays": Field("dates", False, "Non-working dates"),
        "yearly": Field(
            "monthdays", False, 'Holidays every year, "MM-DD" (e.g. "12-25"), 1900-2199'
        ),
        "hours_per_day": Field(
            "number", False, "Hours of work in a duration day; default: the hours of hours, or 8"
        ),
        "hours": Field(
            "times", False, 'Working times of a day, e.g. ["08:00-12:00", "13:00-17:00"]'
        ),
        "weekday_hours": Field(
            "weekday_times",
            False,
            'Working times of particular weekdays, e.g. { fri = ["08:00-12:00"] }',
        ),
        "exceptions": Field(
            "exceptions",
            False,
            "Dates with other working times: [{ date, hours }] (no hours: no work)",
        ),
    },
    "task": {
        "id": Field("string", True, "Unique id, used in links"),
        "name": Field("string", False, "Display name"),
        "estimate": Field("estimate", True, "Duration in working days: a number or a distribution"),
        "unit": Field(
            "unit", False, 'Unit of estimate and remaining: "d" (default) or "h" (hours)'
        ),
        "after": Field("links", False, "Predecessors: ids (FS) or {task, type, lag, calendar}"),
        "tags": Field("tags", False, "Free labels: team, owner, wbs, ..."),
        "calendar": Field(
            "string", False, "Name of the task's [calendars.NAME] (default: project's)"
        ),
        "not_before": Field("date", False, "Start no earlier than this date"),
        "not_after": Field(
            "date", False, "Start no later than this date (runs that miss it are counted)"
        ),
        "finish_not_before": Field("date", False, "Finish no earlier than this date"),
        "finish_not_after": Field(
            "date", False, "Finish no later than this date (runs that miss it are counted)"
        ),
        "deadline": Field("date", False, "Deadline (runs that finish later are counted)"),
        "alap": Field("bool", False, "As late as possible: use the task's free float"),
        "percent_complete": Field("number", False, "Progress, 0-100"),
        "remaining": Field("number", False, "Work left at the status date (a started task)"),
        "actual_start": Field("date", False, "Actual start date"),
        "actual_finish": Field("date", False, "Actual finish date"),
        "assignments": Field("assignments", False, "Resources: [{resource, units}]"),
        "probability": Field("number", False, "Chance the task happens at all (default 1)"),
        "priority": Field(
            "number", False, "Higher first among tasks competing for a limited resource"
        ),
        "cost": Field(
            "cost",
            False,
            "{ fixed = amount or estimate, rate = currency units per working day }",
        ),
    },
    "milestone": {
        "id": Field("string", True, "Unique id"),
        "name": Field("string", False, "Display name"),
        "after": Field("links", True, "What must be done first"),
        "target": Field("date", False, "Committed date; reports show the odds of meeting it"),
    },
    "resource": {
        "id": Field("string", True, "Unique id"),
        "name": Field("string", False, "Display name"),
        "rate": Field("amount", False, "Cost per working day and unit assigned"),
        "capacity": Field(
            "number", False, "Units available at once (omit: unlimited); tasks are levelled"
        ),
        "changes": Field(
            "capacity_changes", False, "Another capacity from a date on: [{from, capacity}]"
        ),
    },
    "risk": {
        "id": Field("string", True, "Unique risk id"),
        "title": Field("string", False, "What might happen"),
        "owner": Field("string", False, "Who watches it"),
        "probability": Field("probability", True, "Chance per run: a number or [low, high]"),
        "impacts": Field(
            "impacts",
            True,
            "[{ task, add = estimate } or { task, multiply = estimate }; cost = money in either, "
            "or alone]",
        ),
        "shared_impact": Field(
            "bool", False, "One impact draw for all its tasks (default true) or one per task"
        ),
        "mitigation": Field(
            "mitigation", False, "{ probability, impacts, cost } after the response"
        ),
    },
    "correlation": {
        "tasks": Field("ids", False, "Task ids whose durations are correlated, every pair"),
        "risks": Field("ids", False, "Risk ids whose occurrences are correlated, every pair"),
        "coefficient": Field("number", True, "Rank (Spearman) correlation in [-1, 1]"),
    },
    "branch": {
        "id": Field("string", True, "Unique branch id"),
        "options": Field("options", True, "[{ tasks = [...], probability = p }], exclusive"),
    },
    "uncertainty": {
        "match": Field("string", False, 'Glob pattern, default "*"'),
        "field": Field("string", False, "name (default), id, wbs or tag.KEY"),
        "estimate": Field("string", True, 'Relative range, e.g. "pert(-10%, 0%, +30%)"'),
    },
    "overhead": {
        "id": Field("string", True, "Unique overhead id"),
        "name": Field("string", False, "Display name"),
        "rate": Field(
            "amount", True, "Currency units per working day of the project calendar, >= 0"
        ),
        "until": Field(
            "string", False, "Id of the milestone at which it stops (omit: the project finish)"
        ),
    },
}
TOP_LEVEL = {
    "project": "table",
    "calendars": "tables",
    "task": "array",
    "milestone": "array",
    "resource": "array",
    "risk": "array",
    "correlation": "array",
    "branch": "array",
    "uncertainty": "array",
    "overhead": "array",
}


class _Partial(ModelError):
    """Problems of a value, with the part of it that could still be read: the reader keeps that
    part, so that :func:`~riskcast.model.validate` reports its own problems too."""

    def __init__(self, problems: list[str], value: Any):
        super().__init__(problems)
        self.value = value


class _Reader:
    """Collects every problem of one file instead of stopping at the first."""

    def __init__(self, source: str | None):
        self.source = source
        self.problems: list[str] = []

    def check_keys(self, table: dict, section: str, place: str) -> None:
        allowed = SECTIONS[section]
        self.problems.extend(unknown_keys(table, allowed, f"[{section}]", f"{place}: "))
        for key, spec in allowed.items():
            if spec.required and key not in table:
                self.problems.append(f'{place}: missing required key "{key}" ({spec.help})')

    def value(self, table: dict, section: str, key: str, place: str, default: Any = None) -> Any:
        if key not in table:
            return default
        raw = table[key]
        where = f"{place} > {key}"
        try:
            return _CONVERT[SECTIONS[section][key].kind](raw, where)
        except ModelError as exc:
            self.problems.extend(
                p if p.startswith(where) else f"{where}: {p}" for p in exc.problems
            )
            return exc.value if isinstance(exc, _Partial) else default


def unknown_keys(table: dict, allowed: Any, where: str, prefix: str = "") -> list[str]:
    """A problem for each key of ``table`` not in ``allowed``: the first
    :data:`MAX_SUGGESTED_KEYS` with a did-you-mean suggestion, the rest counted."""
    unknown = [key for key in table if key not in allowed]
    out = [
        prefix + unknown_key_message(key, allowed, where) for key in unknown[:MAX_SUGGESTED_KEYS]
    ]
    if len(unknown) > MAX_SUGGESTED_KEYS:
        out.append(
            f"{prefix}{len(unknown) - MAX_SUGGESTED_KEYS:,} more unknown keys in {where} "
            f"(allowed: {', '.join(allowed)})"
        )
    return out


def _string(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ModelError(f"{where}: expected a non-empty string, got {show(raw)}")
    return raw


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not limits.finite(raw):
        raise ModelError(f"{where}: expected a finite number, got {show(raw)}")
    return float(raw)


def _amount(raw: Any, where: str) -> float:
    """An amount of money or a rate (range checks live in costs.cost_problems)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not limits.finite(raw):
        raise ModelError(
            f"{where}: expected an amount in currency units, a plain number such as 1500 (no "
            f"currency sign or thousands separators), got {show(raw)}"
        )
    return float(raw)


def _currency(raw: Any, where: str) -> str:
    """A currency name or code (its length is checked by costs.cost_problems)."""
    if not isinstance(raw, str):
        raise ModelError(
            f'{where}: expected a short currency name or code in quotes, e.g. currency = "EUR", '
            f"got {show(raw)}"
        )
    return raw


def _date(raw: Any, where: str) -> dt.date:
    from ..model import as_date

    return as_date(raw, where)


def _list(raw: Any, where: str) -> list:
    if not isinstance(raw, list):
        raise ModelError(f"{where}: expected a list, got {show(raw)}")
    return raw


def _link(raw: Any, where: str) -> Link:
    if isinstance(raw, str):
        return Link(raw)
    if not isinstance(raw, dict):
        raise ModelError(
            f"{where}: a link is an id or {{ task, type, lag, calendar }}, got {show(raw)}"
        )
    problems = unknown_keys(raw, ("task", "type", "lag", "calendar"), "a link")
    if not isinstance(raw.get("task"), str):
        problems.append(f'a link needs task = "<id>", got {show(raw.get("task"))}')
    kind = raw.get("type", "FS")
    if not isinstance(kind, str) or kind.upper() not in LINK_TYPES:
        problems.append(f"type must be one of {', '.join(LINK_TYPES)}, got {show(kind)}")
    lag = _read(_number, raw.get("lag", 0.0), "lag", problems, 0.0)
    calendar = raw.get("calendar")
    if calendar is not None:
        calendar = _read(_string, calendar, "calendar", problems)
    if problems:
        raise ModelError([f"{where}: {p}" for p in problems])
    return Link(raw["task"], kind, lag, calendar)


def _read(convert: Any, raw: Any, where: str, problems: list[str], default: Any = None) -> Any:
    """``convert(raw, where)``, or ``default`` with its problems added to ``problems``: so that
    one bad part of a table never hides the problems of the others."""
    try:
        return convert(raw, where)
    except ModelError as exc:
        problems.extend(exc.problems)
        return default


def _estimate(
    raw: Any, where: str, build: Any = distributions.from_spec
) -> distributions.Distribution:
    try:
        return build(raw)
    except ModelError as exc:
        raise ModelError([f"{where}: {p}" for p in exc.problems]) from None


def _money(raw: Any, where: str) -> distributions.Distribution:
    """An amount of money: a number or an estimate table in currency units, whose values may
    reach far beyond the working-day limit of durations."""
    if not isinstance(raw, int | float | dict) or isinstance(raw, bool):
        raise ModelError(
            f"{where}: expected an amount in currency units, a number or an estimate such as "
            f"{{ triangular = [4000, 5000, 9000] }}, got {show(raw)}"
        )
    return _estimate(raw, where, money)


COST_FORM = "{ fixed = <amount or estimate>, rate = <currency units per working day> }"


def _cost(raw: Any, where: str) -> Cost:
    """A task's cost; what could be read is kept, so that validate checks its ranges."""
    if not isinstance(raw, dict):
        hint = ""
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            hint = (
                f"; write cost = {{ fixed = {show(raw)} }} for a one-off amount, or "
                f"cost = {{ rate = {show(raw)} }} per working day"
            )
        raise ModelError(f"{where}: expected a table {COST_FORM}, got {show(raw)}{hint}")
    problems = unknown_keys(raw, ("fixed", "rate"), "a cost", f"{where}: ")
    parts: dict[str, Any] = {}
    for key, convert in (("fixed", _money), ("rate", _amount)):
        if key in raw:  # both are read, so that one problem never hides the other
            value = _read(convert, raw[key], f"{where} > {key}", problems)
            if value is not None:
                parts[key] = value
    cost = Cost(**parts)
    if problems:
        raise _Partial(problems, cost)
    return cost


def _tags(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str | int | float) for v in raw.values()):
        raise ModelError(f'{where}: expected a table of text labels, e.g. {{ team = "web" }}')
    return {str(k): str(v) for k, v in raw.items()}


def _assignment(raw: Any, where: str) -> Assignment:
    if not isinstance(raw, dict) or not isinstance(raw.get("resource"), str):
        raise ModelError(f'{where}: expected {{ resource = "<id>", units = 1.0 }}, got {show(raw)}')
    units = _number(raw.get("units", 1.0), f"{where} > units")
    if units < 0:
        raise ModelError(f"{where} > units: must be >= 0, got {units}")
    return Assignment(raw["resource"], units)


def _capacity_change(raw: Any, where: str) -> CapacityChange:
    form = "{ from = 2027-03-01, capacity = 3 }"
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: expected {form}, got {show(raw)}")
    if set(raw) != {"from", "capacity"}:
        keys = ", ".join(sorted(map(str, raw))) or "none"
        raise ModelError(f"{where}: expected the keys from and capacity ({form}), got {keys}")
    return CapacityChange(
        _date(raw["from"], f"{where} > from"), _number(raw["capacity"], f"{where} > capacity")
    )


def _each(convert: Any, partial: bool = False) -> Any:
    """A list of ``convert``-ed items; with ``partial``, a problem keeps the readable items."""

    def many(raw: Any, where: str) -> list:
        problems: list[str] = []
        read = [
            _read(convert, item, f"{where}[{k}]", problems)
            for k, item in enumerate(_list(raw, where))
        ]
        out = [item for item in read if item is not None]
        if problems:
            raise _Partial(problems, out) if partial else ModelError(problems)
        return out

    return many


def _weekdays(raw: Any, where: str) -> list[str]:
    days = _each(_string)(raw, where)
    bad = [d for d in days if d.lower()[:3] not in WEEKDAYS]
    if bad:
        raise ModelError(
            [f"{where}: unknown weekday {show(d)} (allowed: {', '.join(WEEKDAYS)})" for d in bad]
        )
    return days


def _bool(raw: Any, where: str) -> bool:
    if not isinstance(raw, bool):
        raise ModelError(f"{where}: expected true or false, got {show(raw)}")
    return raw


def _probability(raw: Any, where: str) -> float | tuple[float, float]:
    """A probability or a [low, high] range (range checks live in risks.risk_problems)."""
    if isinstance(raw, list):
        if len(raw) != 2:
            raise ModelError(f"{where}: a probability range is [low, high], got {show(raw)}")
        problems: list[str] = []  # both ends, so that a bad low does not hide a bad high
        low, high = (_read(_number, end, where, problems) for end in raw)
        if problems:
            raise ModelError(problems)
        return (low, high)
    return _number(raw, where)


def _impact(raw: Any, where: str) -> Impact:
    allowed = ("task", "add", "multiply", "cost")
    if not isinstance(raw, dict) or not isinstance(raw.get("task"), str):
        raise ModelError(
            f'{where}: expected {{ task = "<id>", add = <estimate> }} (or multiply, and/or '
            f"cost = <money>), got {show(raw)}"
        )
    problems = unknown_keys(raw, allowed, "an impact", f"{where}: ")
    if "add" in raw and "multiply" in raw:
        problems.append(f"{where}: give one of add (working days) or multiply (a factor), not both")
    elif not any(kind in raw for kind in ("add", "multiply", "cost")):
        problems.append(
            f"{where}: give add (working days) or multiply (a factor), and/or cost (money)"
        )
    values = {}
    # read every value given, whatever else is wrong
    for kind, convert in (("add", _estimate), ("multiply", _estimate), ("cost", _money)):
        if kind in raw:
            value = _read(convert, raw[kind], f"{where} > {kind}", problems)
            if value is not None:
                values[kind] = value
    if problems:
        raise ModelError(problems)
    return Impact(raw["task"], **values)


def _ids(raw: Any, where: str) -> tuple[str, ...]:
    return tuple(_each(_string)(raw, where))


def _mitigation(raw: Any, where: str) -> Mitigation:
    allowed = ("probability", "impacts", "cost")
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: expected {{ probability, impacts, cost }}, got {show(raw)}")
    problems = unknown_keys(raw, allowed, "a mitigation", f"{where}: ")
    parts: dict[str, Any] = {}
    for key, convert in (
        ("probability", _probability),
        ("impacts", _each(_impact, partial=True)),
        ("cost", _number),
    ):
        if key in raw:  # every part is read, so one problem never hides another
            try:
                parts[key] = convert(raw[key], f"{where} > {key}")
            except ModelError as exc:
                problems.extend(exc.problems)
                if isinstance(exc, _Partial) and exc.value:
                    parts[key] = exc.value
    if "impacts" in parts:
        parts["impacts"] = tuple(parts["impacts"])
    mitigation = Mitigation(**parts)
    if problems:  # what could be read is still checked by validate
        raise _Partial(problems, mitigation)
    return mitigation


def _option(raw: Any, where: str) -> BranchOption:
    if not isinstance(raw, dict) or set(raw) != {"tasks", "probability"}:
        raise ModelError(f"{where}: expected {{ tasks = [...], probability = p }}, got {show(raw)}")
    problems: list[str] = []
    tasks = _read(_ids, raw["tasks"], f"{where} > tasks", problems)
    probability = _read(_number, raw["probability"], where, problems)
    if problems:
        raise ModelError(problems)
    return BranchOption(tasks, probability)


YEARS = (DATE_HORIZON[0].year, DATE_HORIZON[1].year)  # the years yearly holidays expand over


def _times(raw: Any, where: str) -> Periods:
    """Working times of a day: ``["08:00-12:00", "13:00-17:00"]`` (an empty list: no work)."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ModelError(
            f'{where}: expected working times like ["08:00-12:00", "13:00-17:00"], got {show(raw)}'
        )
    problems: list[str] = []
    times = periods(raw, where, problems)
    if problems:
        raise ModelError(problems)
    return times


def _weekday_times(raw: Any, where: str) -> dict[str, Periods]:
    if not isinstance(raw, dict):
        raise ModelError(
            f'{where}: expected a table of weekdays, e.g. {{ fri = ["08:00-12:00"] }}, got '
            f"{show(raw)}"
        )
    known = {day for day in raw if day.lower()[:3] in WEEKDAYS}
    problems = unknown_keys(raw, known, "weekday_hours", f"{where}: ")
    problems = [p + f" (weekdays: {', '.join(WEEKDAYS)})" for p in problems]
    out = {}
    for day, times in raw.items():
        value = _read(_times, times, f"{where} > {day}", problems)
        if value is not None and day in known:
            out[day.lower()[:3]] = value
    if problems:
        raise _Partial(problems, out)
    return out


def _exceptions(raw: Any, where: str) -> dict[dt.date, Periods]:
    """``[{ date = 2027-12-24, hours = ["08:00-12:00"] }, { date = 2027-12-27 }]``: dates with
    other working times than their weekday's (no hours: no work that day)."""
    problems: list[str] = []
    out: dict[dt.date, Periods] = {}
    for k, item in enumerate(_list(raw, where)):
        place = f"{where}[{k}]"
        if not isinstance(item, dict) or "date" not in item:
            problems.append(
                f'{place}: expected {{ date = 2027-12-24, hours = ["08:00-12:00"] }} (no hours: '
                f"a day without work), got {show(item)}"
            )
            continue
        problems.extend(unknown_keys(item, ("date", "hours"), "an exception", f"{place}: "))
        date = _read(_date, item["date"], f"{place} > date", problems)
        times = _read(_times, item.get("hours", []), f"{place} > hours", problems, ())
        if date is None:
            continue
        if date in out:
            problems.append(f"{place} > date: {date} is given twice; give each date once")
            continue
        out[date] = times
    if problems:
        raise _Partial(problems, out)
    return out


def _monthdays(raw: Any, where: str) -> list[tuple[int, int]]:
    """Yearly holidays: ``["12-25", "01-01"]`` as (month, day) pairs."""
    problems: list[str] = []
    out = []
    for k, item in enumerate(_list(raw, where)):
        place = f"{where}[{k}]"
        month, _, day = item.partition("-") if isinstance(item, str) else ("", "", "")
        try:
            dt.date(2000, int(month), int(day))  # a leap year: 02-29 is a date
        except ValueError:
            problems.append(
                f'{place}: expected a month and day like "12-25" (MM-DD), got {show(item)}'
            )
            continue
        out.append((int(month), int(day)))
    if problems:
        raise _Partial(problems, out)
    return out


def yearly_dates(monthdays: Any) -> list[dt.date]:
    """Each (month, day) in every year riskcast plans with (1900-2199; 02-29 in leap years)."""
    out = []
    for month, day in monthdays:
        for year in range(YEARS[0], YEARS[1] + 1):
            try:
                out.append(dt.date(year, month, day))
            except ValueError:  # 02-29 of a common year
                pass
    return out


def _unit(raw: Any, where: str) -> str:
    if raw not in ("d", "h"):
        raise ModelError(
            f'{where}: expected "d" (working days, the default) or "h" (working hours), '
            f"got {show(raw)}"
        )
    return raw


def _quoted(names: Any) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _progress_logic(raw: Any, where: str) -> str:
    if raw not in PROGRESS_LOGIC:
        raise ModelError(
            f"{where}: expected one of {_quoted(PROGRESS_LOGIC)}, got {show(raw)}"
            + (suggestion(raw, PROGRESS_LOGIC) if isinstance(raw, str) else "")
        )
    return raw


def scaled(estimate: distributions.Distribution, factor: float) -> distributions.Distribution:
    """``estimate`` times ``factor`` (> 0): the distribution of ``factor * X``, same kind."""
    d = distributions
    k = float(factor)
    if isinstance(estimate, d.Fixed):
        return d.Fixed(estimate.value * k)
    if isinstance(estimate, d.Uniform):
        return d.Uniform(estimate.low * k, estimate.high * k)
    if isinstance(estimate, d.Triangular):
        return d.Triangular(estimate.low * k, estimate.mode * k, estimate.high * k)
    if isinstance(estimate, d.Pert):
        return d.Pert(estimate.low * k, estimate.mode * k, estimate.high * k, estimate.lam)
    if isinstance(estimate, d.Beta):
        return d.Beta(estimate.low * k, estimate.high * k, estimate.alpha, estimate.beta)
    if isinstance(estimate, d.Normal):
        return d.Normal(estimate.mu * k, estimate.sd * k, estimate.low * k, estimate.high * k)
    if isinstance(estimate, d.LogNormal):
        return d.LogNormal(estimate.mu + math.log(k), estimate.sigma)
    if isinstance(estimate, d.Exponential):
        return d.Exponential(estimate.scale * k)
    if isinstance(estimate, d.Discrete):
        return d.Discrete(tuple(v * k for v in estimate.values), estimate.weights)
    if isinstance(estimate, d.Empirical):
        return d.Empirical(tuple(v * k for v in estimate.values))
    raise TypeError(f"cannot scale a {type(estimate).__name__}")


_CONVERT = {
    "string": _string,
    "number": _number,
    "amount": _amount,
    "currency": _currency,
    "date": _date,
    "estimate": _estimate,
    "cost": _cost,
    "links": _each(_link),
    "strings": _weekdays,
    "dates": _each(_date),
    "tags": _tags,
    "assignments": _each(_assignment),
    "capacity_changes": _each(_capacity_change),
    "bool": _bool,
    "probability": _probability,
    "impacts": _each(_impact, partial=True),
    "ids": _ids,
    "mitigation": _mitigation,
    "options": _each(_option),
    "times": _times,
    "weekday_times": _weekday_times,
    "exceptions": _exceptions,
    "monthdays": _monthdays,
    "unit": _unit,
    "progress_logic": _progress_logic,
}


def _records(data: dict, key: str, r: _Reader) -> list[tuple[dict, str]]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        r.problems.append(f"[[{key}]] must be an array of tables")
        return []
    out = []
    for k, table in enumerate(raw):
        ident = table.get("id")
        if (
            isinstance(ident, int | float)
            and not isinstance(ident, bool)
            and abs(ident) < 1e15  # a short number, not a NaN or a 5,000-digit int
        ):
            # TOML and JSON read id = 1 as a number: say so, then read it as the string "1", so
            # that a clash with another record's "1" is reported as a duplicate naming both.
            r.problems.append(
                f"{key}[{k}] > id: ids are strings, got the number {ident!r}; write id = "
                f'"{ident!r}" (in quotes)'
            )
            ident = repr(ident)
            table = {**table, "id": ident}
        if isinstance(ident, str) and len(ident) > limits.MAX_ID:
            r.problems.append(f"{key}[{k}] > id: {limits.too_long(ident, limits.MAX_ID)}")
            ident = None
        place = f'{key} "{ident}"' if isinstance(ident, str) else f"{key}[{k}]"
        r.check_keys(table, key, place)
        out.append((table, place))
    return out


def _overheads(data: dict, r: _Reader) -> tuple[Overhead, ...]:
    """The ``[[overhead]]`` tables (ids, rates and milestones are checked by validate)."""
    return tuple(
        Overhead(
            r.value(t, "overhead", "id", p, ""),
            r.value(t, "overhead", "rate", p, 0.0),
            r.value(t, "overhead", "until", p),
            r.value(t, "overhead", "name", p, ""),
        )
        for t, p in _records(data, "overhead", r)
    )


def parse_model(data: dict, source: str | None = None) -> Project:
    """Build and validate a :class:`Project` from a parsed TOML/JSON document."""
    r = _Reader(source)
    if not isinstance(data, dict):
        raise ModelError(
            "a model file is a table with [project], [[task]] and [[milestone]]", source
        )
    # Depth, text lengths and key types first: what the rest of the reader may assume.
    shape = [f"{limits.place(data, path)}: {problem}" for path, problem in limits.walk_model(data)]
    if shape:
        raise ModelError(limits.cap(shape), source)
    r.problems.extend(unknown_keys(data, TOP_LEVEL, "the model file"))
    head = data.get("project")
    if isinstance(head, dict):
        r.check_keys(head, "project", "project")
    else:  # reported, and the rest of the file is still read for its own problems
        r.problems.append("missing [project] table with name and start")
        head = {}
    name = r.value(head, "project", "name", "project", "")
    start = r.value(head, "project", "start", "project", dt.date(2000, 1, 1))

    calendars: dict[str, Calendar] = {}
    broken: set[str] = set()  # calendars with problems: not reported again where they are used
    raw_calendars = data.get("calendars", {})
    if not isinstance(raw_calendars, dict):
        r.problems.append("[calendars] must hold tables like [calendars.team]")
        raw_calendars = {}
    for cal_name, table in raw_calendars.items():
        place = f'calendar "{cal_name}"'
        if not isinstance(table, dict):
            r.problems.append(f"{place}: must be a table")
            continue
        r.check_keys(table, "calendars", place)
        before = len(r.problems)
        holidays = list(r.value(table, "calendars", "holidays", place, ()))
        holidays += yearly_dates(r.value(table, "calendars", "yearly", place, ()))
        try:
            calendar = Calendar(
                tuple(r.value(table, "calendars", "workdays", place, Calendar().workdays)),
                tuple(holidays),
                r.value(table, "calendars", "hours_per_day", place),
                r.value(table, "calendars", "hours", place, ()),
                r.value(table, "calendars", "weekday_hours", place, {}),
                r.value(table, "calendars", "exceptions", place, {}),
                r.value(table, "calendars", "name", place, cal_name),
            )
        except ModelError as exc:  # the calendar's own checks (of the parts that could be read)
            r.problems.extend(f"{place}: {p}" for p in exc.problems)
            broken.add(cal_name)
        else:
            if len(r.problems) > before:
                broken.add(cal_name)
            calendars[cal_name] = calendar
    calendar = Calendar()
    cal_ref = r.value(head, "project", "calendar", "project")
    if cal_ref is not None:
        if cal_ref in calendars:
            calendar = calendars[cal_ref]
        elif cal_ref not in raw_calendars:
            r.problems.append(
                f"project > calendar: no [calendars.{cal_ref}] table"
                + (f" (defined: {', '.join(calendars)})" if calendars else "")
                + suggestion(cal_ref, calendars)
            )

    resources = [
        Resource(
            r.value(t, "resource", "id", p, ""),
            r.value(t, "resource", "name", p, ""),
            r.value(t, "resource", "rate", p, 0.0),
            r.value(t, "resource", "capacity", p),
            tuple(r.value(t, "resource", "changes", p, ())),
        )
        for t, p in _records(data, "resource", r)
    ]
    tasks = []
    for table, place in _records(data, "task", r):

        def get(key: str, default: Any = None, table: dict = table, place: str = place) -> Any:
            return r.value(table, "task", key, place, default)

        estimate = get("estimate", distributions.Fixed(0.0))
        remaining = get("remaining")
        task_calendar = get("calendar")
        if get("unit", "d") == "h":  # hours of work: days of the task's calendar
            hours = calendars.get(task_calendar, calendar).hours_per_day
            estimate = scaled(estimate, 1.0 / hours)
            if remaining is not None:
                remaining = remaining / hours
        tasks.append(
            Task(
                id=get("id", ""),
                estimate=estimate,
                name=get("name", ""),
                after=tuple(get("after", ())),
                tags=get("tags", {}),
                not_before=get("not_before"),
                percent_complete=get("percent_complete", 0.0),
                actual_start=get("actual_start"),
                actual_finish=get("actual_finish"),
                assignments=tuple(get("assignments", ())),
                priority=get("priority"),
                probability=get("probability", 1.0),
                calendar=task_calendar,
                not_after=get("not_after"),
                finish_not_before=get("finish_not_before"),
                finish_not_after=get("finish_not_after"),
                deadline=get("deadline"),
                alap=get("alap", False),
                remaining=remaining,
                cost=get("cost"),
            )
        )
    milestones = [
        Milestone(
            id=r.value(t, "milestone", "id", p, ""),
            after=tuple(r.value(t, "milestone", "after", p, ())),
            name=r.value(t, "milestone", "name", p, ""),
            target=r.value(t, "milestone", "target", p),
        )
        for t, p in _records(data, "milestone", r)
    ]
    rules = []
    if data.get("uncertainty"):
        from .templates import rule_from_spec

        for table, place in _records(data, "uncertainty", r):
            try:
                rules.append(rule_from_spec(table, place))
            except ModelError as exc:
                r.problems.extend(exc.problems)
    risks = []
    no_impacts = set()  # risks whose impacts are missing or unreadable: already reported
    for t, p in _records(data, "risk", r):
        before = len(r.problems)
        impacts = r.value(t, "risk", "impacts", p)
        risk_id = r.value(t, "risk", "id", p, "")
        if not impacts and (impacts is None or len(r.problems) > before):
            # missing or unreadable, and reported: the risk is kept for its other problems
            no_impacts.add(f'risk "{risk_id}": a risk needs at least one impact')
        risks.append(
            Risk(
                id=risk_id,
                probability=r.value(t, "risk", "probability", p, 0.0),
                impacts=tuple(impacts or ()),
                title=r.value(t, "risk", "title", p, ""),
                owner=r.value(t, "risk", "owner", p, ""),
                shared_impact=r.value(t, "risk", "shared_impact", p, True),
                mitigation=r.value(t, "risk", "mitigation", p),
            )
        )
    correlations = [
        Correlation(
            coefficient=r.value(t, "correlation", "coefficient", p, 0.0),
            tasks=r.value(t, "correlation", "tasks", p, ()),
            risks=r.value(t, "correlation", "risks", p, ()),
        )
        for t, p in _records(data, "correlation", r)
    ]
    branches = [
        Branch(r.value(t, "branch", "id", p, ""), tuple(r.value(t, "branch", "options", p, ())))
        for t, p in _records(data, "branch", r)
    ]
    project = Project(
        name,
        start,
        tuple(tasks),
        tuple(milestones),
        calendar,
        tuple(resources),
        source,
        tuple(risks),
        tuple(correlations),
        tuple(branches),
        r.value(head, "project", "repair_correlation", "project", False),
        calendars,
        r.value(head, "project", "status_date", "project"),
        r.value(head, "project", "progress_logic", "project", "retained-logic"),
        budget=r.value(head, "project", "budget", "project"),
        currency=r.value(head, "project", "currency", "project", ""),
        overheads=_overheads(data, r),
    )
    if rules:  # before validating: what is checked is what will be simulated
        from .templates import apply_rules

        try:
            project = apply_rules(project, rules)
        except ModelError as exc:
            r.problems.extend(exc.problems)
    cycle = None
    # An id the reader already refused (wrong type, missing) is not reported again by validate.
    refused = tuple(
        p.split(" > id:", 1)[0] + ": id must be" for p in r.problems if " > id:" in p
    ) + tuple(
        p.split(": missing required key", 1)[0] + ": id must be"
        for p in r.problems
        if ': missing required key "id"' in p
    )

    # A calendar the reader refused is reported once, where it is defined.
    unbuilt = tuple(f': no calendar "{name}"' for name in broken)

    def new(problems: list[str]) -> list[str]:
        return [
            p
            for p in problems
            if p not in no_impacts
            and not p.startswith(refused)
            and not (unbuilt and any(u in p for u in unbuilt))
        ]

    try:
        validate(project)
    except CycleError as exc:
        r.problems.extend(new(exc.problems))
        cycle = exc.cycle
    except ModelError as exc:
        r.problems.extend(new(exc.problems))
    if cycle is not None:
        raise CycleError(limits.cap(r.problems), cycle, source)
    if r.problems:
        raise ModelError(limits.cap(r.problems), source)
    return project


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object as a dict; a key given twice is an error (json keeps the last silently)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _too_deep(kind: str) -> str:
    return (
        f"invalid {kind}: nested too deeply (riskcast reads at most {limits.MAX_DEPTH} levels of "
        "tables and lists; a model needs about 8); the file is damaged or not a riskcast model"
    )


def parse_model_text(text: str, kind: str, source: str | None = None) -> Any:
    """The data of a model file's ``text`` (``kind`` "json" or "toml"); every syntax error,
    however deep or large the document, is a ModelError."""
    if kind == "json":
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as exc:
            raise ModelError(
                f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}", source
            ) from None
        except _DuplicateKey as exc:
            raise ModelError(
                f"invalid JSON: key {show(exc.key)} appears twice in one object; give each "
                "key once (JSON readers would silently keep only the last)",
                source,
            ) from None
        except RecursionError:
            raise ModelError(_too_deep("JSON"), source) from None
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            raise ModelError(f"invalid JSON: {_value_error(exc)}", source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"invalid TOML: {exc}", source) from None
    except RecursionError:
        raise ModelError(_too_deep("TOML"), source) from None
    except ValueError as exc:
        raise ModelError(f"invalid TOML: {_value_error(exc)}", source) from None


def _value_error(exc: ValueError) -> str:
    if "integer string conversion" in str(exc):
        return "a number with more than 4,300 digits; numbers are limited to ±1.8e308"
    return str(exc)


def read_model_file(path: str | Path) -> Project:
    """Load a ``.toml`` or ``.json`` model file (every problem reported at once).

    The file is UTF-8 text (a byte-order mark is accepted, and UTF-16 with its mark) of at most
    :data:`~riskcast.io.limits.MAX_MODEL_BYTES`; see :mod:`riskcast.io.limits` for the other
    limits.
    """
    path = Path(path)
    source = str(path)
    data = limits.read_bytes(path, limits.MAX_MODEL_BYTES, "model files", source)
    text = limits.decode_text(data, "model file", source)
    kind = "json" if path.suffix.lower() == ".json" else "toml"
    with history_folder(path.parent):  # throughput estimates' history files are beside it
        return parse_model(parse_model_text(text, kind, source), source)


# -- JSON Schema -----------------------------------------------------------------------------------
def _estimate_schema(signed: bool = False) -> dict:
    """An estimate's schema; ``signed`` lets its values go below 0 (risk impacts: opportunities
    and savings), while shape parameters (sd, alpha, weights, ...) stay >= 0."""
    num = {"type": "number", "minimum": 0}
    value = {"type": "number"} if signed else num
    three = {"type": "array", "items": value, "minItems": 3, "maxItems": 3}

    def obj(props: dict, required: list[str]) -> dict:
        return {
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        }

    one = {
        "fixed": value,
        "uniform": {"type": "array", "items": value, "minItems": 2, "maxItems": 2},
        "triangular": three,
        "pert": {
            "anyOf": [
                three,
                obj(
                    {
                        "low": value,
                        "mode": value,
                        "high": value,
                        "lambda": {"type": "number", "exclusiveMinimum": 0},
                    },
                    ["low", "mode", "high"],
                ),
            ]
        },
        "beta": obj(
            {"low": value, "high": value, "alpha": num, "beta": num},
            ["low", "high", "alpha", "beta"],
        ),
        "normal": {
            "anyOf": [
                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                obj(
                    {"mean": {"type": "number"}, "sd": num, "low": value, "high": value},
                    ["mean", "sd"],
                ),
            ]
        },
        "lognormal": {
            "anyOf": [
                obj({"mean": num, "sd": num}, ["mean", "sd"]),
                obj({"mu": {"type": "number"}, "sigma": num}, ["mu", "sigma"]),
                obj({"p10": num, "p90": num}, ["p10", "p90"]),
            ]
        },
        "exponential": {"anyOf": [num, obj({"mean": num}, ["mean"])]},
        "discrete": obj(
            {
                "values": {"type": "array", "items": value},
                "weights": {"type": "array", "items": num},
            },
            ["values"],
        ),
        "empirical": {"type": "array", "items": value, "minItems": 2},
    }
    count = {"type": "integer", "minimum": 0}
    pair = {"type": "array", "items": num, "minItems": 2, "maxItems": 2}
    throughput = obj(  # riskcast.throughput_estimate.ThroughputEstimate: a table of several keys
        {
            "throughput": {"type": "array", "items": count, "minItems": 1},
            "history": {"type": "string"},
            "items": {"anyOf": [count, pair, {"type": "object"}]},
            "split": pair,
            "period": {"type": "number", "exclusiveMinimum": 0},
            "multipliers": {
                "type": "array",
                "items": obj({"period": count, "factor": num}, ["period", "factor"]),
            },
            "horizon": {"type": "integer", "minimum": 1},
        },
        ["items"],
    )
    throughput["oneOf"] = [{"required": ["throughput"]}, {"required": ["history"]}]
    return {"anyOf": [value] + [obj({k: v}, [k]) for k, v in one.items()] + [throughput]}


def _field_schema(f: Field) -> dict:
    date = {"type": "string", "format": "date"}
    probability = {"type": "number", "minimum": 0, "maximum": 1}
    estimate = _estimate_schema()
    signed = _estimate_schema(signed=True)
    amount = {"type": "number", "minimum": 0}
    impact = {
        "type": "object",
        "required": ["task"],
        "additionalProperties": False,
        "properties": {
            "task": {"type": "string"},
            "add": signed,
            "multiply": estimate,
            "cost": signed,
        },
        "anyOf": [{"required": [k]} for k in ("add", "multiply", "cost")],
        "not": {"required": ["add", "multiply"]},
    }
    link = {
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "required": ["task"],
                "additionalProperties": False,
                "properties": {
                    "task": {"type": "string"},
                    "type": {"enum": list(LINK_TYPES)},
                    "lag": {"type": "number"},
                    "calendar": {"type": "string", "minLength": 1},
                },
            },
        ]
    }
    times = {
        "type": "array",
        "items": {"type": "string", "pattern": r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$"},
    }
    kinds = {
        "string": {"type": "string", "minLength": 1},
        "times": times,
        "weekday_times": {
            "type": "object",
            "properties": {day: times for day in WEEKDAYS},
            "additionalProperties": False,
        },
        "exceptions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["date"],
                "additionalProperties": False,
                "properties": {"date": date, "hours": times},
            },
        },
        "monthdays": {
            "type": "array",
            "items": {"type": "string", "pattern": r"^\d{2}-\d{2}$"},
        },
        "unit": {"enum": ["d", "h"]},
        "progress_logic": {"enum": list(PROGRESS_LOGIC)},
        "number": {"type": "number"},
        "amount": amount,
        "currency": {"type": "string"},
        "date": date,
        "estimate": estimate,
        "cost": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"fixed": estimate, "rate": amount},
        },
        "links": {"type": "array", "items": link},
        "strings": {"type": "array", "items": {"enum": list(WEEKDAYS)}},
        "dates": {"type": "array", "items": date},
        "tags": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
        "bool": {"type": "boolean"},
        "probability": {
            "anyOf": [
                probability,
                {"type": "array", "items": probability, "minItems": 2, "maxItems": 2},
            ]
        },
        "impacts": {"type": "array", "items": impact},
        "ids": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "mitigation": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "probability": {"anyOf": [probability, {"type": "array", "items": probability}]},
                "impacts": {"type": "array", "items": impact},
                "cost": amount,
            },
        },
        "options": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tasks", "probability"],
                "additionalProperties": False,
                "properties": {
                    "tasks": {"type": "array", "items": {"type": "string"}},
                    "probability": probability,
                },
            },
        },
        "capacity_changes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["from", "capacity"],
                "additionalProperties": False,
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "capacity": {"type": "number", "minimum": 0},
                },
            },
        },
        "assignments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["resource"],
                "additionalProperties": False,
                "properties": {
                    "resource": {"type": "string"},
                    "units": {"type": "number", "minimum": 0},
                },
            },
        },
    }
    return kinds[f.kind] | {"description": f.help}


def _section_schema(section: str) -> dict:
    fields = SECTIONS[section]
    return {
        "type": "object",
        "properties": {k: _field_schema(f) for k, f in fields.items()},
        "required": [k for k, f in fields.items() if f.required],
        "additionalProperties": False,
    }


def model_schema() -> dict:
    """JSON Schema (draft 2020-12) of the model file format, generated from :data:`SECTIONS`."""
    props: dict[str, Any] = {}
    for key, shape in TOP_LEVEL.items():
        section = _section_schema(key)
        if shape == "array":
            props[key] = {"type": "array", "items": section}
        elif shape == "tables":
            props[key] = {"type": "object", "additionalProperties": section}
        else:
            props[key] = section
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "riskcast model",
        "type": "object",
        "properties": props,
        "required": ["project", "task"],
        "additionalProperties": False,
    }
