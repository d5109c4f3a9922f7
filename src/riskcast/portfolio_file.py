"""Portfolio files (TOML), and the checks of a portfolio's parts before they are merged.

A ``[portfolio]`` table, the ``[[project]]`` model files it merges, ``[[link]]`` cross links,
``[[pool]]`` shared teams (the rules: :mod:`riskcast.portfolio`), the ``[[candidate]]``
projects a ``[selection]`` chooses among (:mod:`riskcast.selection`), and the ``[roadmap]``
with its ``[[item]]``s (:mod:`riskcast.roadmap`)::

    [portfolio]
    name = "Product line 2027"
    start = 2027-01-04            # optional: default, the earliest project start

    [[project]]
    id = "api"                    # namespace: its ids become "api/<id>"
    model = "platform-api.toml"   # relative to this file; any file riskcast.load reads

    [[link]]
    from = "api/public-beta"      # predecessor (namespaced id)
    to = "app/integration"        # successor, in another project
    type = "FS"                   # optional: FS (default), SS, FF, SF
    lag = 5                       # optional: working days

    [[pool]]
    id = "backend"                # replaces every project pool of this id
    capacity = 4
    rate = 900                    # optional: overrides the projects' rates

    [[candidate]]                 # a project that may be funded (riskcast.selection)
    id = "ai"
    model = "assistant.toml"
    value = { triangular = [3e5, 9e5, 2e6] }   # any estimate, currency units
    cost = 300000                 # optional: default, its plan's simulated cost
    needs = ["search"]            # optional: other candidates

    [selection]
    budget = 600000               # optional: for the candidates' expected costs
    confidence = 80               # optional

    [roadmap]
    release = 2027-06-30          # optional: the release date of the cut line
    confidence = 85               # optional

    [[item]]                      # roadmap items, most important first
    milestone = "api/public-beta"
    product = "Platform"          # optional: heading on the roadmap chart
    name = "Public API beta"      # optional: its name in the cut line

Every problem is reported at once, with its place (``link[2] > to``). Project files are read by
:func:`riskcast.load`, so a project may also be an MS Project or Primavera P6 export.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .calendar import Calendar
from .candidates import Candidate, SelectionRules
from .costs import money
from .errors import ModelError
from .model import LINK_TYPES, CapacityChange, Project, validate
from .portfolio import SEPARATOR, CrossLink, Portfolio, SharedPool, build_portfolio
from .roadmap import Roadmap, RoadmapItem
from .suggest import suggestion, unknown_key_message

MAX_PORTFOLIO_BYTES = 2**20  # a portfolio file lists files; a megabyte is far beyond any

# section -> key -> (kind, required, help)
SECTIONS: dict[str, dict[str, tuple[str, bool, str]]] = {
    "portfolio": {
        "name": ("string", True, "the portfolio's name"),
        "start": ("date", False, "day 0 of the portfolio (default: the earliest project start)"),
        "budget": ("number", False, "currency units (default: the sum of the projects')"),
    },
    "project": {
        "id": ("string", True, 'the namespace of its ids ("app": "app/beta")'),
        "model": ("string", True, "its model file, relative to the portfolio file"),
        "name": ("string", False, "display name (default: the project's name)"),
    },
    "link": {
        "from": ("string", True, 'the predecessor, a namespaced id such as "api/beta"'),
        "to": ("string", True, "the successor, a namespaced id in another project"),
        "type": ("string", False, "FS (default), SS, FF or SF"),
        "lag": ("number", False, "working days (negative: a lead)"),
    },
    "candidate": {
        "id": ("string", True, 'the namespace of its ids, as for a project ("ai": "ai/beta")'),
        "model": ("string", True, "its model file, relative to the portfolio file"),
        "name": ("string", False, "display name (default: the project's name)"),
        "value": ("money", True, "what delivering it is worth: any estimate, currency units"),
        "cost": ("money", False, "what funding it costs (default: its plan's simulated cost)"),
        "needs": ("strings", False, "the other candidates it needs"),
    },
    "selection": {
        "budget": ("number", False, "currency units for the candidates (default: no limit)"),
        "confidence": ("number", False, "percent each chosen roadmap milestone reaches (80)"),
    },
    "roadmap": {
        "release": ("date", False, "the release date of the cut line"),
        "confidence": ("number", False, "percent the items above the cut line reach (85)"),
    },
    "item": {
        "milestone": ("string", True, 'the milestone that delivers it, e.g. "app/launch"'),
        "name": ("string", False, "display name (default: the milestone's)"),
        "product": ("string", False, "its heading on the roadmap chart (default: its project)"),
    },
    "pool": {
        "id": ("string", True, "the id of the projects' pools it replaces"),
        "capacity": ("number", True, "units available at once across the portfolio"),
        "rate": ("number", False, "cost per working day and unit (default: the projects')"),
        "name": ("string", False, "display name"),
        "changes": ("changes", False, "other capacities from a date on: [{from, capacity}]"),
    },
}
ARRAYS = ("project", "link", "pool", "candidate", "item")
# where a TOML document can open a top-level "portfolio" table: [portfolio], portfolio.x = ...,
# portfolio = { ... }
_PORTFOLIO_TABLE = re.compile(rb"^[ \t]*(\[[ \t]*portfolio[ \t]*\]|portfolio[ \t]*[.=])", re.M)


def is_portfolio_file(path: Path) -> bool:
    """Whether ``path`` is a TOML document whose top level has a ``portfolio`` table (a file
    that cannot be read or parsed is not: the model reader reports why)."""
    if path.suffix.lower() != ".toml":
        return False
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe or device: never read it here
            return False
        with open(path, "rb") as f:
            data = f.read(MAX_PORTFOLIO_BYTES + 1)
    except OSError:
        return False
    if not _PORTFOLIO_TABLE.search(data):
        return False
    if len(data) > MAX_PORTFOLIO_BYTES:  # too long to be one: the portfolio reader says so
        return True
    try:
        document = tomllib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        return False
    return isinstance(document.get("portfolio"), dict)


def _document(path: Path) -> dict[str, Any]:
    """The parsed portfolio file; a ModelError naming it when it cannot be read."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PORTFOLIO_BYTES:
            raise ModelError(
                f"the file is {size:,} bytes; a portfolio file lists project files and is read "
                f"up to {MAX_PORTFOLIO_BYTES:,} bytes. Check that it is the right file",
                source,
            )
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ModelError("cannot read the file: file not found", source) from None
    except IsADirectoryError:
        raise ModelError("this is a folder, not a file", source) from None
    except OSError as exc:
        raise ModelError(f"cannot read the file: {exc.strerror or exc}", source) from None
    except UnicodeDecodeError as exc:
        raise ModelError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8", source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"invalid TOML: {exc}", source) from None
    except (RecursionError, ValueError) as exc:
        raise ModelError(f"invalid TOML: {exc}", source) from None


def _number(raw: Any) -> bool:
    return isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw)


def _changes(raw: Any, where: str, problems: list[str]) -> tuple[CapacityChange, ...]:
    form = "[{ from = 2027-03-01, capacity = 5 }, ...]"
    if not isinstance(raw, list):
        problems.append(f"{where}: expected a list like {form}")
        return ()
    out = []
    for k, item in enumerate(raw):
        if (
            not isinstance(item, dict)
            or set(item) != {"from", "capacity"}
            or not isinstance(item["from"], dt.date)
            or not _number(item["capacity"])
        ):
            problems.append(f"{where}[{k}]: expected {{ from = <date>, capacity = <units> }}")
            continue
        date = item["from"]
        out.append(
            CapacityChange(
                date.date() if isinstance(date, dt.datetime) else date, float(item["capacity"])
            )
        )
    return tuple(out)


def _table(table: Any, section: str, place: str, problems: list[str]) -> dict[str, Any]:
    """The known keys of one table, checked and converted; problems for the rest."""
    allowed = SECTIONS[section]
    if not isinstance(table, dict):
        problems.append(f"{place}: expected a table with {', '.join(allowed)}")
        return {}
    problems += [
        f"{place}: {unknown_key_message(key, allowed, f'[{section}]')}"
        for key in table
        if key not in allowed
    ]
    out: dict[str, Any] = {}
    for key, (kind, required, help) in allowed.items():
        where = f"{place} > {key}"
        if key not in table:
            if required:
                problems.append(f'{place}: missing required key "{key}" ({help})')
            continue
        raw = table[key]
        if kind == "changes":
            out[key] = _changes(raw, where, problems)
        elif kind == "money":
            try:
                out[key] = money(raw)
            except ModelError as exc:
                problems += [f"{where}: {p}" for p in exc.problems]
        elif kind == "strings":
            if isinstance(raw, list) and all(isinstance(x, str) and x.strip() for x in raw):
                out[key] = tuple(raw)
            else:
                problems.append(f'{where}: expected a list of ids like ["search"] ({help})')
        elif kind == "string" and isinstance(raw, str) and raw.strip():
            out[key] = raw
        elif kind == "number" and _number(raw):
            out[key] = float(raw)
        elif kind == "date" and isinstance(raw, dt.date):
            out[key] = raw.date() if isinstance(raw, dt.datetime) else raw
        else:
            expected = {"string": "a non-empty string", "number": "a finite number"}
            problems.append(
                f"{where}: expected {expected.get(kind, 'a date like 2027-01-04')} ({help}), "
                f"got {raw!r}"
            )
    return out


def _records(data: dict, section: str, problems: list[str]) -> list[tuple[dict, str]]:
    """The checked tables of one ``[[section]]`` array, each with its place."""
    raw = data.get(section, [])
    if not isinstance(raw, list):
        problems.append(f"[[{section}]] must be an array of tables")
        return []
    out = []
    for k, table in enumerate(raw):
        ident = table.get("id") if isinstance(table, dict) else None
        place = f'{section}[{k}] "{ident}"' if isinstance(ident, str) else f"{section}[{k}]"
        out.append((_table(table, section, place, problems), place))
    return out


def _projects(
    data: dict, folder: Path, problems: list[str], section: str = "project"
) -> tuple[dict, dict]:
    """Project id -> its plan (read from its model file), and id -> its checked table (of
    ``section``: "project" or "candidate")."""
    import riskcast

    plans: dict[str, Project] = {}
    tables: dict[str, dict] = {}
    first: dict[str, str] = {}
    for table, place in _records(data, section, problems):
        pid, model = table.get("id"), table.get("model")
        if pid in first:
            problems.append(
                f'{place}: duplicate {section} id "{pid}" ({first[pid]} has it too); {section} '
                "ids must be unique"
            )
            continue
        if pid is None or model is None:
            continue
        first[pid] = place
        path = folder / model
        if not path.is_file():
            problems.append(
                f'{place} > model: no file "{model}" (looked for {path}; model paths are '
                "relative to the portfolio file)"
            )
            continue
        if is_portfolio_file(path):
            problems.append(
                f'{place} > model: "{model}" is a portfolio file; a portfolio lists model files'
            )
            continue
        try:
            plans[pid] = riskcast.load(path)
        except ModelError as exc:
            problems += [f'{place} > model "{model}": {p}' for p in exc.problems]
            continue
        tables[pid] = table
    return plans, tables


def project_problems(projects: Mapping[str, Project], kind: str = "project") -> list[str]:
    """Project ids that cannot namespace, and plans that are not valid on their own (``kind``:
    "project", or "candidate" for candidates, which may be none)."""
    problems = []
    if not projects and kind == "project":
        problems.append("a portfolio needs at least one project; add a [[project]]")
    for pid, project in projects.items():
        if not isinstance(pid, str) or not pid.strip() or SEPARATOR in pid:
            problems.append(
                f"{kind} id {pid!r}: must be a non-empty string without {SEPARATOR!r} (the "
                f'separator of namespaced ids, as in "app/beta")'
            )
            continue
        try:
            validate(project)
        except ModelError as exc:
            where = f" ({exc.source})" if exc.source else ""
            problems += [f'{kind} "{pid}"{where}: {p}' for p in exc.problems]
    return problems


def portfolio_problems(
    projects: Mapping[str, Project],
    links: tuple[CrossLink, ...],
    pools: tuple[SharedPool, ...],
    start: dt.date,
) -> list[str]:
    """Every problem of valid ``projects`` merged from ``start`` with ``links`` and ``pools``."""
    return (
        _combination_problems(projects, start)
        + _link_problems(projects, links)
        + _pool_problems(projects, pools)
    )


def calendar_key(cal: Calendar) -> tuple:
    """What a calendar's working time is made of (its name aside)."""
    return (
        cal.workdays,
        cal.holidays,
        cal.hours_per_day,
        cal.hours,
        tuple(sorted(cal.weekday_hours.items())),
        tuple(cal.exceptions.items()),
    )


def _describe(cal: Calendar) -> str:
    hours = f"{cal.hours_per_day:g} h/day"
    return f"{'-'.join(cal.workdays)}, {hours}, {len(cal.holidays)} holidays"


def _combination_problems(projects: Mapping[str, Project], start: dt.date) -> list[str]:
    """What keeps the projects from sharing one plan: calendars, starts, data dates, money."""
    problems = []
    (pid0, p0), *_ = projects.items()
    for pid, p in projects.items():
        place = f'project "{pid}"'
        if calendar_key(p.calendar) != calendar_key(p0.calendar):
            problems.append(
                f"{place}: its project calendar ({_describe(p.calendar)}) differs from project "
                f'"{pid0}"\'s ({_describe(p0.calendar)}); the projects of a portfolio share one '
                "project calendar: give them the same one, and put work on other days on task "
                "calendars"
            )
        if p.start < start:
            problems.append(
                f"{place}: starts on {p.start}, before the portfolio start {start}; move the "
                "portfolio start to it or earlier (or leave it out: the earliest project start)"
            )
        for overhead in p.overheads:
            where = f'{place} > overhead "{overhead.id}"'
            if overhead.until is None:
                problems.append(
                    f"{where}: runs until the project finish, which in a portfolio is the "
                    "portfolio's finish; give until = a milestone of the project"
                )
            if p.start > start:
                problems.append(
                    f"{where}: overheads run from the plan's start, and this project starts on "
                    f"{p.start}, after the portfolio start {start}; start the portfolio then"
                )
    dated = {pid: p for pid, p in projects.items() if p.status_date}
    for what, given in (
        ("status_date", {pid: p.status_date for pid, p in dated.items()}),
        ("progress_logic", {pid: p.progress_logic for pid, p in dated.items()}),
        ("currency", {pid: p.currency for pid, p in projects.items() if p.currency}),
    ):
        if len(set(given.values())) > 1:
            shown = ", ".join(f'"{pid}": {value}' for pid, value in given.items())
            problems.append(
                f"the projects give different values of project > {what} ({shown}); a "
                "portfolio has one: give every project the same"
            )
    return problems


def _activity_ids(projects: Mapping[str, Project]) -> set[str]:
    """Every namespaced task and milestone id."""
    return {f"{pid}{SEPARATOR}{a.id}" for pid, p in projects.items() for a in p.activities}


def _end_problem(end: Any, where: str, projects: Mapping[str, Project], known: set[str]) -> str:
    """Why a cross link's end names no activity ('' when it does)."""
    if not isinstance(end, str) or SEPARATOR not in end:
        return f'{where}: expected a namespaced id "<project>/<id>" (e.g. "app/beta"), got {end!r}'
    pid, _, _ = end.partition(SEPARATOR)
    if pid not in projects:
        return f'{where}: no project "{pid}" (in "{end}"){suggestion(pid, projects)}'
    if end not in known:
        own = [id for id in known if id.startswith(pid + SEPARATOR)]
        return f'{where}: project "{pid}" has no task or milestone "{end}"{suggestion(end, own)}'
    return ""


def _link_problems(projects: Mapping[str, Project], links: tuple[CrossLink, ...]) -> list[str]:
    """Cross links whose ends, type or lag are wrong, each with its place ``link[k]``."""
    problems = []
    known = _activity_ids(projects)
    for k, link in enumerate(links):
        place = f"link[{k}]"
        ends = [
            _end_problem(end, f"{place} > {key}", projects, known)
            for key, end in (("from", link.predecessor), ("to", link.successor))
        ]
        problems += [p for p in ends if p]
        if (
            not any(ends)
            and link.predecessor.split(SEPARATOR)[0] == link.successor.split(SEPARATOR)[0]
        ):
            problems.append(
                f'{place}: "{link.predecessor}" and "{link.successor}" are in the same project; '
                "a link inside a project belongs in its model file"
            )
        if link.type not in LINK_TYPES:
            problems.append(
                f'{place} > type: "{link.type}" is not one of {", ".join(LINK_TYPES)}'
                + suggestion(str(link.type).upper(), LINK_TYPES)
            )
        lag = link.lag
        if isinstance(lag, bool) or not isinstance(lag, int | float) or not math.isfinite(lag):
            problems.append(f"{place} > lag: must be a number of working days, got {lag!r}")
    return problems


def _pool_problems(projects: Mapping[str, Project], pools: tuple[SharedPool, ...]) -> list[str]:
    """Shared pools that no project uses, twice given, or with rates the projects disagree on."""
    problems = []
    used = {r.id for p in projects.values() for r in p.resources}
    seen: set[str] = set()
    for k, pool in enumerate(pools):
        place = f'pool "{pool.id}"' if isinstance(pool.id, str) else f"pool[{k}]"
        if pool.id in seen:
            problems.append(f"{place}: given twice; give each shared pool once")
        seen.add(pool.id)
        if pool.id not in used:
            problems.append(
                f"{place}: no project has a resource pool of this id{suggestion(pool.id, used)}"
                f" (pools: {', '.join(sorted(used)) or 'none'}); a shared pool replaces the "
                "projects' pools of its id"
            )
            continue
        for key in ("capacity", "rate"):
            value = getattr(pool, key)
            if value is not None and not (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value >= 0
            ):
                problems.append(f"{place} > {key}: must be a number >= 0, got {value!r}")
        rates = {pid: r.rate for pid, p in projects.items() for r in p.resources if r.id == pool.id}
        if pool.rate is None and len(set(rates.values())) > 1:
            given = ", ".join(f'"{pid}": {rate:g}' for pid, rate in rates.items())
            problems.append(
                f"{place}: the projects give it different rates ({given}); give the shared "
                "pool a rate"
            )
    return problems


def read_portfolio(path: Path) -> Portfolio:
    """Read the portfolio file ``path`` and the project files it names.

    Parameters
    ----------
    path : pathlib.Path
        A portfolio file (see the module's example).

    Returns
    -------
    Portfolio
        Merged and validated (:func:`riskcast.portfolio.build_portfolio`).

    Raises
    ------
    ModelError
        Every problem found, each with its place, naming the portfolio file.
    """
    source = str(path)
    data = _document(path)
    problems: list[str] = [
        unknown_key_message(key, SECTIONS, "the portfolio file")
        for key in data
        if key not in SECTIONS
    ]
    if "portfolio" not in data:
        problems.append("missing [portfolio] table with name (and optional start, budget)")
    head = _table(data.get("portfolio", {}), "portfolio", "portfolio", problems)
    plans, tables = _projects(data, path.parent, problems)
    names = {pid: table.get("name", "") for pid, table in tables.items()}
    extra, tables = _projects(data, path.parent, problems, "candidate")
    candidates = [
        Candidate(
            cid,
            extra[cid],
            t["value"],
            t.get("cost"),
            t.get("needs", ()),
            t.get("name", ""),
        )
        for cid, t in tables.items()
        if "value" in t
    ]
    rules = None
    if "selection" in data:
        t = _table(data["selection"], "selection", "selection", problems)
        rules = SelectionRules(t.get("budget"), t.get("confidence", 80.0))
    roadmap = None
    if "roadmap" in data or "item" in data:
        t = _table(data.get("roadmap", {}), "roadmap", "roadmap", problems)
        items = [
            RoadmapItem(i["milestone"], i.get("name", ""), i.get("product", ""))
            for i, _ in _records(data, "item", problems)
            if "milestone" in i
        ]
        if not items:
            problems.append(
                "[roadmap] has no [[item]]: list the roadmap items, most important first"
            )
        roadmap = Roadmap(tuple(items), t.get("release"), t.get("confidence", 85.0))
    links = [
        CrossLink(t.get("from", ""), t.get("to", ""), t.get("type", "FS"), t.get("lag", 0.0))
        for t, _ in _records(data, "link", problems)
    ]
    pools = [
        SharedPool(t["id"], t["capacity"], t.get("rate"), t.get("name", ""), t.get("changes", ()))
        for t, _ in _records(data, "pool", problems)
        if "id" in t and "capacity" in t
    ]
    if problems:
        raise ModelError(problems, source)
    return build_portfolio(
        head["name"],
        plans,
        links,
        pools,
        start=head.get("start"),
        budget=head.get("budget"),
        names=names,
        source=source,
        candidates=candidates,
        selection=rules,
        roadmap=roadmap,
    )


__all__ = [
    "SECTIONS",
    "is_portfolio_file",
    "portfolio_problems",
    "project_problems",
    "read_portfolio",
]
