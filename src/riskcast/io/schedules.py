"""Read schedules from other tools (MS Project MSPDI XML, Primavera XER and PMXML) into a Project.

:func:`read_schedule` sniffs the format from the file's content (not only its suffix) and hands it
to the reader in :mod:`.mspdi`, :mod:`.xer` or :mod:`.pmxml`. Anything else goes to the optional
MPXJ converter (``pip install 'riskcast[mpxj]'`` plus a Java runtime), which turns e.g. a binary
``.mpp`` into MSPDI XML first.

The readers share the assembly step here (:func:`assemble`): they describe every activity of the
file as a :class:`RawTask` (durations and lags already in working days) and this module turns
those into riskcast Tasks and Milestones: summaries dropped and their links expanded to their leaf
children, unknown and duplicate links dropped with a warning, three-point fields turned into PERT.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..calendar import Calendar
from ..costs import Cost, money
from ..distributions import MAX_DAYS, MAX_MONEY, Fixed, Pert
from ..errors import ArgumentError, ModelError
from ..model import Assignment, Link, Milestone, Project, Resource, Task
from . import limits
from .limits import show

__all__ = ["ImportResult", "read_schedule", "sniff_format"]

MSPDI_NAMESPACE = "http://schemas.microsoft.com/project"


@dataclass(frozen=True)
class ImportResult:
    """What a reader gives back: the plan, what it could not carry over, and the format read.

    Each warning names the task (``task "12" (Design): ...``) or resource it is about.
    """

    project: Project
    warnings: list[str]
    source_format: str


# --------------------------------------------------------------------------------------------
# The shared intermediate form and its assembly into a Project.


@dataclass
class RawLink:
    """A link as read from the file; ``lag`` already in working days."""

    predecessor: str  # the file's key of the predecessor (UID, task_id, ObjectId)
    type: str  # FS, SS, FF, SF
    lag: float = 0.0
    calendar: str | None = None  # name of the lag's calendar; None: the successor's


@dataclass
class RawTask:
    """One activity of the file, keyed by the file's own unique key.

    ``days`` is the duration in working days of the activity's ``calendar`` (a name in the
    calendars given to :func:`assemble`; None: the project calendar); ``three_point`` (low, mode,
    high) in working days when the user's custom fields give one (``mode`` None: use ``days``).
    Constraint and progress fields mean what :class:`riskcast.Task`'s do. ``fixed_cost`` is what
    the activity costs at completion beyond its resources' rates (expenses, fixed costs), in the
    project's currency units: it becomes the task's ``Cost.fixed``.
    """

    key: str
    id: str
    name: str
    days: float = 0.0
    summary: bool = False
    milestone: bool = False
    parent: str | None = None  # key of the enclosing summary task (MSPDI only)
    tags: dict[str, str] = field(default_factory=dict)
    links: list[RawLink] = field(default_factory=list)
    not_before: dt.date | None = None
    target: dt.date | None = None
    percent_complete: float = 0.0
    actual_start: dt.date | None = None
    actual_finish: dt.date | None = None
    assignments: list[Assignment] = field(default_factory=list)
    three_point: tuple[float | None, float | None, float | None] | None = None
    calendar: str | None = None
    not_after: dt.date | None = None
    finish_not_before: dt.date | None = None
    finish_not_after: dt.date | None = None
    deadline: dt.date | None = None
    alap: bool = False
    remaining: float | None = None
    fixed_cost: float = 0.0

    def __post_init__(self) -> None:
        # Checked here, before any warning quotes the id or the name.
        if len(self.id) > limits.MAX_ID:
            raise ModelError(f"an activity id of {limits.too_long(self.id, limits.MAX_ID)}")
        limits.check_text(self.name, f'task "{self.id}" > name')

    @property
    def label(self) -> str:
        return f'task "{self.id}" ({self.name})' if self.name else f'task "{self.id}"'


def _leaves(raw: dict[str, RawTask]) -> Callable[[str], list[str]]:
    """A function giving the leaf-task keys under a summary key (in file order): one iterative
    walk of the outline (any depth); each summary's leaves are a slice of the leaves in outline
    order, so asking costs the size of the answer."""
    children: dict[str, list[str]] = {}
    roots = []
    for item in raw.values():
        if item.parent is not None and item.parent in raw and item.parent != item.key:
            children.setdefault(item.parent, []).append(item.key)
        else:
            roots.append(item.key)
    order: list[str] = []  # leaves in outline order
    span: dict[str, tuple[int, int]] = {}
    seen: set[str] = set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            key, done = stack.pop()
            if done:
                span[key] = (span[key][0], len(order))
                continue
            if key in seen:
                continue
            seen.add(key)
            if not raw[key].summary:
                order.append(key)
                continue
            span[key] = (len(order), len(order))
            stack.append((key, True))
            stack.extend((child, False) for child in reversed(children.get(key, [])))

    def leaves_of(key: str) -> list[str]:
        first, last = span.get(key, (0, 0))
        return order[first:last]

    return leaves_of


def _join(base: str, sep: str, part: str) -> tuple[str, bool]:
    """``base + sep + part``, keeping its last :data:`~limits.MAX_TEXT` characters (and saying
    so) when longer."""
    path = f"{base}{sep}{part}"
    if len(path) <= limits.MAX_TEXT:
        return path, False
    return "... " + path[-(limits.MAX_TEXT - 4) :], True


def outline_paths(
    nodes: dict[str, tuple[str, str, str]], warnings: list[str], skip: Sequence[str] = ()
) -> dict[str, tuple[str, str]]:
    """(names joined by " / ", codes joined by ".") from the top down to each node of a WBS.

    ``nodes`` maps a key to (name, code, parent key); a parent that is not a node, or is in
    ``skip`` (the project node, whose own path is empty), makes a top node. A damaged parent
    chain that loops ends where it closes. Each node is visited once whatever the depth; a path
    over :data:`~limits.MAX_TEXT` characters keeps its end, with one warning.
    """
    out: dict[str, tuple[str, str]] = {k: ("", "") for k in skip if k in nodes}
    tops = set(out)
    shortened = False
    for start in nodes:
        chain: list[str] = []
        on_chain: set[str] = set()
        key = start
        while key in nodes and key not in out and key not in on_chain:
            on_chain.add(key)
            chain.append(key)
            key = nodes[key][2]
        base = out.get(key) if key not in tops and key not in on_chain else None
        for k in reversed(chain):
            name, code, _ = nodes[k]
            if base is None:
                path = (name, code)
            else:
                (names, cut1), (codes, cut2) = (
                    _join(base[0], " / ", name),
                    _join(base[1], ".", code),
                )
                path, shortened = (names, codes), shortened or cut1 or cut2
            out[k] = base = path
    if shortened:
        warnings.append(WBS_SHORTENED)
    return out


WBS_SHORTENED = (
    f"WBS paths longer than {limits.MAX_TEXT:,} characters (the limit for a tag) were shortened "
    "to their last levels"
)


def _three_point(item: RawTask, warnings: list[str]) -> Fixed | Pert:
    if item.three_point is None:
        return Fixed(item.days)
    low, mode, high = item.three_point
    if mode is None:
        mode = item.days
    if low is None or high is None:
        missing = " and ".join(n for n, v in (("low", low), ("high", high)) if v is None)
        warnings.append(
            f"{item.label}: three-point fields incomplete ({missing} missing); "
            f"kept the single-point duration {item.days:g} working days"
        )
        return Fixed(item.days)
    if not 0 <= low <= mode <= high:
        warnings.append(
            f"{item.label}: three-point fields need 0 <= low <= most likely <= high, "
            f"got {low:g}, {mode:g}, {high:g} working days; kept the single-point "
            f"duration {item.days:g}"
        )
        return Fixed(item.days)
    if low == high:
        return Fixed(low)
    return Pert(low, mode, high)


def _check_finite(item: RawTask, source: str) -> None:
    """A ModelError naming the task (id and name) and the file when a duration or lag came out
    of the readers' unit conversions as infinite or NaN (e.g. a huge value in hours divided by
    a short working day), instead of an error from deep inside that names neither."""
    numbers = [] if item.summary else [("duration", item.days)]  # a summary's is not used
    if item.three_point is not None:
        numbers += [
            (f"three-point {role} duration", value)
            for role, value in zip(("low", "most likely", "high"), item.three_point, strict=True)
            if value is not None
        ]
    numbers += [(f"{link.type} lag", link.lag) for link in item.links]
    if item.remaining is not None:
        numbers.append(("remaining duration", item.remaining))
    for what, value in numbers:
        if not limits.finite(value):
            raise ModelError(
                f"{item.label}: the {what} comes out as {value} working days, not a finite "
                "number (the file's value is too large or damaged); fix it in the scheduling "
                "tool and export the file again",
                source,
            )
        if abs(value) > MAX_DAYS:
            raise ModelError(
                f"{item.label}: the {what} comes out as {value:.3g} working days, beyond the "
                f"+/-{MAX_DAYS:,.0f} riskcast plans with (the file's value is too large or in "
                "the wrong unit); fix it in the scheduling tool and export the file again",
                source,
            )


def _task_cost(item: RawTask, warnings: list[str]) -> Cost | None:
    """The task's fixed cost from ``item.fixed_cost``; None without one. A total below zero (a
    credit) or beyond :data:`~riskcast.distributions.MAX_MONEY` is reported and not imported."""
    amount = item.fixed_cost
    if amount == 0:
        return None
    if not 0 < amount <= MAX_MONEY:
        warnings.append(
            f"{item.label}: its costs in the file total {amount:,.2f}; not imported (a task "
            f"costs 0 to {MAX_MONEY:,.0f} currency units; a credit belongs to a risk impact)"
        )
        return None
    return Cost(fixed=money(amount))


def _held_by_a_task(item: RawTask, cost: Cost | None) -> str:
    """What of a zero-duration milestone only a task holds (progress, floors, as late as
    possible, a cost), in words; empty when a riskcast Milestone holds all of it."""
    held = []
    if item.actual_start is not None:
        held.append("progress")
    if item.not_before is not None:
        held.append(f"a start-no-earlier-than date {item.not_before}")
    if item.finish_not_before is not None:
        held.append(f"a finish-no-earlier-than date {item.finish_not_before}")
    if item.alap:
        held.append("as late as possible")
    if cost is not None:
        held.append("a cost")
    return ", ".join(held)


def assemble(
    *,
    name: str,
    start: dt.date,
    calendar: Calendar,
    raw: Sequence[RawTask],
    resources: Sequence[Resource] = (),
    source: str,
    warnings: list[str],
    status_date: dt.date | None = None,
    calendars: dict[str, Calendar] | None = None,
    currency: str = "",
) -> Project:
    """Turn the readers' :class:`RawTask` list into a validated-shape :class:`Project`.

    ``status_date`` is the file's data date; a file with progress but none gets the day after
    its latest actual date, with a warning.

    Summary tasks are not activities: a link on a summary is given to every leaf under it
    (successor side) or taken from every leaf under it (predecessor side), with a warning.
    A zero-duration milestone with predecessors becomes a Milestone; without predecessors, or
    with progress, a start or finish floor or as-late-as-possible (which only a task holds), it
    becomes a Task with Fixed(0), so that its dates still hold and anchor its successors.
    """
    by_key = {item.key: item for item in raw}
    leaves = _leaves(by_key)
    limits.check_text(name, "the project name", source)
    for item in raw:
        for key, value in item.tags.items():
            limits.check_text(value, f"{item.label} > {key}", source)
    for res in resources:
        limits.check_id(res.id, f"resource {show(res.id[:30])} > id", source)
        limits.check_text(res.name, f'resource "{res.id}" > name', source)
    expanded = 0

    def expand(key: str) -> list[str]:
        return leaves(key) if by_key[key].summary else [key]

    # Collect every leaf's links, expanding those written on summaries.
    links: dict[str, list[RawLink]] = {item.key: [] for item in raw if not item.summary}
    for item in raw:
        for link in item.links:
            if link.predecessor == item.key:
                warnings.append(
                    f"{item.label}: dropped its {link.type} link from itself (the file lists the "
                    "task as its own predecessor; a task cannot follow itself)"
                )
                continue
            if link.predecessor not in by_key:
                warnings.append(
                    f"{item.label}: dropped the {link.type} link from unknown task "
                    f'"{link.predecessor}" (not in this project or not imported)'
                )
                continue
            pred = by_key[link.predecessor]
            preds, succs = expand(pred.key), expand(item.key)
            if pred.summary or item.summary:
                where = []
                if item.summary:
                    where.append(
                        f"successor {item.label} is a summary: its {len(succs)} leaf "
                        "tasks get the link"
                    )
                if pred.summary:
                    where.append(
                        f"predecessor {pred.label} is a summary: the link comes from its "
                        f"{len(preds)} leaf tasks"
                    )
                both = len(set(preds) & set(succs))
                if both:
                    where.append(
                        f"{both} leaf task{'s are' if both > 1 else ' is'} on both sides, "
                        "and a task cannot follow itself: those self-links are dropped"
                    )
                warnings.append(
                    f"{item.label}: {link.type} link from {pred.label} is on a "
                    f"summary task; {'; '.join(where)}"
                )
                expanded += len(preds) * len(succs)
                if expanded > limits.MAX_EXPANDED_LINKS:
                    raise ModelError(
                        f"{item.label}: links on summary tasks expand to more than "
                        f"{limits.MAX_EXPANDED_LINKS:,} links between their leaf tasks (this "
                        f"one: {len(preds):,} x {len(succs):,}); link the leaf tasks or a "
                        "milestone instead of the summaries",
                        source,
                    )
            for s in succs:
                for p in preds:
                    if p != s:
                        links[s].append(RawLink(p, link.type, link.lag, link.calendar))

    for item in raw:
        _check_finite(item, source)
    items = [item for item in raw if not item.summary]
    ids = {item.key: item.id for item in items}
    tasks: list[Task] = []
    milestones: list[Milestone] = []
    for item in items:
        after: dict[tuple[str, str], Link] = {}
        for link in links[item.key]:
            k = (link.predecessor, link.type)
            if k in after:
                # riskcast keeps one link per predecessor and type: the larger lag binds anyway.
                old = after[k]
                if link.lag != old.lag:
                    warnings.append(
                        f"{item.label}: two {link.type} links from task "
                        f'"{ids[link.predecessor]}" (lags {old.lag:g} and {link.lag:g} '
                        "working days); kept the larger lag"
                    )
                if link.lag > old.lag:
                    after[k] = Link(ids[link.predecessor], link.type, link.lag, link.calendar)
                continue
            after[k] = Link(ids[link.predecessor], link.type, link.lag, link.calendar)
        cost = _task_cost(item, warnings)
        if item.milestone and item.days == 0 and after:
            held = _held_by_a_task(item, cost)
            if not held:  # a milestone follows its links only: it is reported as one
                milestones.append(Milestone(item.id, tuple(after.values()), item.name, item.target))
                continue
            if item.actual_start is None:  # an achieved milestone needs no word
                warnings.append(
                    f"{item.label}: milestone with {held}, which a riskcast milestone does "
                    "not hold; imported as a zero-duration task (its dates are in the task "
                    "table, not among the milestones)"
                )
        tasks.append(
            Task(
                id=item.id,
                estimate=_three_point(item, warnings),
                name=item.name,
                after=tuple(after.values()),
                tags=dict(item.tags),
                not_before=item.not_before,
                percent_complete=min(100.0, max(0.0, float(item.percent_complete))),
                actual_start=item.actual_start,
                actual_finish=item.actual_finish,
                assignments=tuple(item.assignments),
                calendar=item.calendar,
                not_after=item.not_after,
                finish_not_before=item.finish_not_before,
                finish_not_after=item.finish_not_after,
                deadline=item.deadline,
                alap=item.alap,
                remaining=item.remaining,
                cost=cost,
            )
        )
    if status_date is None:
        actuals = [d for t in tasks for d in (t.actual_start, t.actual_finish) if d is not None]
        if actuals:
            status_date = max(actuals) + dt.timedelta(days=1)
            warnings.append(
                f"the file records progress but no status (data) date; riskcast forecasts "
                f"from {status_date}, the day after the latest actual date"
            )
    return Project(
        name=name,
        start=start,
        tasks=tuple(tasks),
        milestones=tuple(milestones),
        calendar=calendar,
        resources=_feasible_pools(resources, tasks, start, warnings),
        source=source,
        status_date=status_date,
        calendars=calendars or {},
        currency=currency,
    )


def _feasible_pools(
    resources: Sequence[Resource], tasks: Sequence[Task], start: dt.date, warnings: list[str]
) -> tuple[Resource, ...]:
    """The tools' max units as capacities, raised (with a warning naming the task) where one
    task alone needs more, as an over-allocated assignment does in MS Project and P6: riskcast
    levels tasks, and a task could never fit in less. Changes on or before the project start
    fold into the capacity."""
    need: dict[str, tuple[float, str]] = {}
    for task in tasks:
        units: dict[str, float] = {}
        for a in task.assignments:
            units[a.resource] = units.get(a.resource, 0.0) + a.units
        for res, amount in units.items():
            if amount > need.get(res, (0.0, ""))[0]:
                need[res] = (amount, task.id)
    out = []
    for res in resources:
        if res.capacity is not None:
            capacity = res.capacity
            for change in sorted(res.changes, key=lambda c: c.date):
                if change.date <= start:
                    capacity = change.capacity
            changes = tuple(c for c in res.changes if c.date > start)
            most, task = need.get(res.id, (0.0, ""))
            lowest = min([capacity, *(c.capacity for c in changes)])
            if most > lowest:
                warnings.append(
                    f'resource "{res.id}" ({res.name}): task "{task}" needs {most:g} units, more '
                    f"than its maximum of {lowest:g}; its capacity is imported as {most:g}"
                )
                capacity = max(capacity, most)
                changes = tuple(
                    dataclasses.replace(c, capacity=max(c.capacity, most)) for c in changes
                )
            res = dataclasses.replace(res, capacity=capacity, changes=changes)
        out.append(res)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Helpers the readers share.


def elapsed_to_working_days(calendar_days: float, calendar: Calendar) -> float:
    """Approximate elapsed (calendar) days as working days: a 7-day week holds the calendar's
    working weekdays, so one elapsed week is exactly one working week."""
    return calendar_days * len(calendar.workdays) / 7.0


def approximate_elapsed(
    calendar_days: float, calendar: Calendar, what: str, warnings: list[str]
) -> float:
    """Working days for ``calendar_days`` elapsed days, with a warning ``"{what} approximated as
    N working days"`` (the conversion is only exact for whole weeks)."""
    days = elapsed_to_working_days(calendar_days, calendar)
    warnings.append(f"{what} approximated as {days:.4g} working days")
    return days


def parse_number(value: str | None, where: str, source: str, default: float = 0.0) -> float:
    """``value`` as a float; ``default`` when missing or blank, else a ModelError at ``where``."""
    if value is None or not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        raise ModelError(f"{where}: expected a number, got {show(value)}", source) from None
    if not limits.finite(number):
        raise ModelError(
            f"{where}: expected a finite number, got {show(value)}; the file is damaged", source
        )
    return number


def parse_iso_date(value: str, where: str, source: str) -> dt.date | None:
    """The date of an ISO date-time (the XML formats' dates); None when empty."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        raise ModelError(
            f"{where}: expected a date-time like 2027-01-04T08:00:00, got {show(value)}", source
        ) from None


def constraint_warning(label: str, what: str, date: dt.date | None, supported: str) -> str:
    """The warning for a constraint riskcast does not apply (``supported``: the one it does)."""
    when = f" {date}" if date else ""
    return (
        f'{label}: constraint "{what}{when}" is not supported by riskcast and was not '
        f"applied (only {supported} is)"
    )


def three_point_roles(
    labels: Sequence[str | None] | None,
    candidates: dict[str, Sequence[str]],
    source: str,
    *,
    what: str,
    known: Sequence[str],
    known_as: str = "fields",
) -> dict[str, str]:
    """Field key -> "low"/"mode"/"high" for the (low, most likely, high) field ``labels``.

    A label names the first field whose lower-cased ``candidates`` names hold it; one naming
    none raises ``three_point field 'X' is not {what} of this file (its {known_as}: {known})``.
    """
    if not labels:
        return {}
    roles: dict[str, str] = {}
    for role, label in zip(("low", "mode", "high"), labels, strict=True):
        if label is None:
            continue
        ids = [key for key, names in candidates.items() if label.lower() in names]
        if not ids:
            raise ModelError(
                f"three_point field {label!r} is not {what} of this file "
                f"(its {known_as}: {', '.join(known) or 'none'})",
                source,
            )
        roles[ids[0]] = role
    return roles


class ScheduleReader:
    """What every reader holds: the file, the three-point field names and the warnings so far."""

    format = ""  # the ImportResult.source_format of this reader

    def __init__(self, path: Path, three_point: Sequence[str | None] | None):
        self.path = path
        self.source = str(path)
        self.three_point = three_point
        self.warnings: list[str] = []
        self.shortened = False
        self.currency = ""  # the file's currency code, where it names one

    def join_wbs(self, path: str, name: str) -> str:
        """``path / name``, shortened (with one warning per file) past the text limit."""
        joined, cut = _join(path, " / ", name)
        if cut and not self.shortened:
            self.shortened = True
            self.warnings.append(WBS_SHORTENED)
        return joined

    def result(
        self,
        name: str,
        start: dt.date,
        calendar: Calendar,
        raw: dict[str, RawTask],
        resources: dict[str, Resource],
        status_date: dt.date | None = None,
        calendars: dict[str, Calendar] | None = None,
    ) -> ImportResult:
        """Assemble the read activities (file order) and resources into the ImportResult."""
        project = assemble(
            status_date=status_date,
            calendars=calendars,
            name=name,
            start=start,
            calendar=calendar,
            raw=list(raw.values()),
            resources=list(resources.values()),
            source=self.source,
            warnings=self.warnings,
            currency=self.currency,
        )
        return ImportResult(project, self.warnings, self.format)


@contextlib.contextmanager
def _xml_errors(source: str) -> Iterator[None]:
    """Turn defusedxml / ElementTree failures into ModelErrors naming the file."""
    import xml.etree.ElementTree as std_et

    import defusedxml

    try:
        yield
    except ModelError:
        raise
    except defusedxml.EntitiesForbidden as exc:
        raise ModelError(
            f"refused: the file declares XML entities ({show(exc.name)}); schedule files never "
            "need them and riskcast does not expand them (protection against entity-expansion "
            "and external-entity attacks). Export the schedule again from the tool.",
            source,
        ) from None
    except (defusedxml.ExternalReferenceForbidden, defusedxml.DTDForbidden) as exc:
        raise ModelError(
            f"refused: the file refers to external XML resources ({show(str(exc))}); riskcast "
            "does not fetch them. Export the schedule again from the tool.",
            source,
        ) from None
    except std_et.ParseError as exc:
        raise ModelError(
            f"not well-formed XML: {exc}; the file may be truncated or damaged", source
        ) from None
    except LookupError as exc:  # an encoding Python does not know
        raise ModelError(
            f"the XML declaration names an encoding riskcast cannot read ({exc}); export the "
            "schedule again (as UTF-8 or UTF-16)",
            source,
        ) from None
    except OSError as exc:
        raise ModelError(f"cannot read the file: {exc.strerror or exc}", source) from None
    except ValueError as exc:  # e.g. bytes that are not in the declared encoding
        raise ModelError(
            f"cannot read the XML: {show(str(exc))}; the file may be damaged", source
        ) from None


@contextlib.contextmanager
def naming(source: str) -> Iterator[None]:
    """Give a ModelError raised without a file (e.g. by a Calendar or Task) the file's name."""
    try:
        yield
    except ModelError as exc:
        if exc.source:
            raise
        raise ModelError(exc.problems, source) from None


_SAFE = {"forbid_dtd": False, "forbid_entities": True, "forbid_external": True}


def _head(path: Path, source: str, size: int = 65536) -> bytes:
    """The first ``size`` bytes of a schedule file, after checking its size limit."""
    limits.check_size(path, limits.MAX_SCHEDULE_BYTES, "schedule files", source)
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except IsADirectoryError:
        raise ModelError("this is a folder, not a file", source) from None
    except OSError as exc:
        raise ModelError(f"cannot read the file: {exc.strerror or exc}", source) from None


def parse_xml(path: Path, source: str) -> Any:
    """Parse an XML file with defusedxml; entity declarations and external references refused.

    UTF-8 and UTF-16 files (with or without byte-order mark, whatever the declaration says) are
    read; files over :data:`~riskcast.io.limits.MAX_SCHEDULE_BYTES` are refused. Returns the
    root Element. Every failure is a ModelError naming the file.
    """
    import defusedxml.ElementTree as safe_et

    head = _head(path, source, 64)
    with _xml_errors(source):
        if limits.is_utf16(head):
            data = limits.read_bytes(path, limits.MAX_SCHEDULE_BYTES, "schedule files", source)
            text = limits.decode_utf16(data, "schedule", source)
            return safe_et.fromstring(text, **_SAFE)
        return safe_et.parse(str(path), **_SAFE).getroot()


def _root_by_parsing(path: Path, source: str) -> tuple[str, str]:
    """(local name, namespace) of the root element, by (safe) parsing up to it."""
    import defusedxml.ElementTree as safe_et

    if limits.is_utf16(_head(path, source, 64)):
        tag = parse_xml(path, source).tag
    else:
        with _xml_errors(source):
            for _, el in safe_et.iterparse(str(path), events=("start",), **_SAFE):
                tag = el.tag
                break
            else:  # pragma: no cover (the parser fails first)
                raise ModelError("an XML file without a root element", source)
    ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    return local_name(tag), ns


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --------------------------------------------------------------------------------------------
# Format sniffing and the entry point.

_XML_NAME = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)([^>]*)>")
BUILT_IN = "riskcast reads MS Project MSPDI XML, Primavera XER and PMXML files"


def _xml_root(head: bytes) -> tuple[str, str] | None:
    """(local name, default namespace) of the first element in ``head``, skipping the prolog
    (declaration, processing instructions, comments, DOCTYPE); one pass, linear in ``head``."""
    pos = 0
    while True:
        lt = head.find(b"<", pos)
        if lt < 0:
            return None
        skip = {b"<?": b"?>", b"<!--": b"-->"}
        closer = next((c for o, c in skip.items() if head.startswith(o, lt)), None)
        if closer is not None:
            end = head.find(closer, lt + 2)
            if end < 0:
                return None
            pos = end + len(closer)
            continue
        if head.startswith(b"<!", lt):  # DOCTYPE, with an internal subset in [...]
            gt = head.find(b">", lt)
            bracket = head.find(b"[", lt, gt if gt >= 0 else len(head))
            if bracket >= 0:
                close = head.find(b"]", bracket)
                gt = head.find(b">", close) if close >= 0 else -1
            if gt < 0:
                return None
            pos = gt + 1
            continue
        m = _XML_NAME.match(head, lt)
        if not m:
            return None
        ns = re.search(rb"""xmlns\s*=\s*["']([^"']*)["']""", m.group(3))
        name = m.group(2).decode("ascii", "replace")
        return name, ns.group(1).decode("utf-8", "replace") if ns else ""


def sniff_format(path: str | os.PathLike[str]) -> str:
    """Name the format of ``path`` from its first bytes.

    Returns "mspdi", "pmxml", "xer" or "psplib" (a PSPLIB RCPSP instance) for the built-in
    readers, "mpxj:<what>" for files MPXJ may read (binary .mpp, MPX, other XML and archives),
    or raises ModelError for a file that is
    clearly something else (JSON, an image, CSV, a riskcast model, ...) or too large. UTF-16
    text is read as its UTF-8 equivalent.
    """
    source = str(path)
    head = _head(Path(path), source)
    if limits.is_utf16(head):
        cut = head[: len(head) // 2 * 2]
        codec = "utf-16" if cut.startswith(limits.UTF16_BOMS) else None
        if codec is None:
            codec = "utf-16-le" if cut[1:2] == b"\x00" else "utf-16-be"
        head = cut.decode(codec, "replace").encode("utf-8")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise ModelError("the file is empty; expected a schedule (MSPDI XML, XER or PMXML)", source)
    if stripped.startswith(b"ERMHDR"):
        return "xer"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "mpxj:an OLE2 compound file (e.g. a binary Microsoft Project .mpp)"
    if head.startswith(b"PK\x03\x04"):
        return "mpxj:a ZIP archive"
    if stripped[:4].upper() == b"MPX,":
        return "mpxj:an MPX file"
    if stripped.startswith(b"****") and (
        b"PRECEDENCE RELATIONS:" in head or b"REQUESTS/DURATIONS:" in head
    ):
        return "psplib"  # a PSPLIB RCPSP instance (.sm)
    what = limits.signature(head)
    if what is not None:
        raise ModelError(f"this is {what}, not a schedule; {BUILT_IN}", source)
    if stripped.startswith(b"<"):
        if b"<!ENTITY" in head:
            raise ModelError(
                "refused: the file declares XML entities; schedule files never need them and "
                "riskcast does not expand them (protection against entity-expansion and "
                "external-entity attacks). Export the schedule again from the tool.",
                source,
            )
        # The root is usually in the first bytes; a long prolog needs the (safe) parser.
        name, ns = _xml_root(stripped) or _root_by_parsing(Path(path), source)
        if name == "Project" and ns == MSPDI_NAMESPACE:
            return "mspdi"
        if name == "APIBusinessObjects":
            return "pmxml"
        if name.lower() in ("html", "svg"):
            raise ModelError(f"this is an {name.upper()} document, not a schedule", source)
        return f"mpxj:an XML file with root element <{show(name)[1:-1]}>"
    return _text_kind(stripped, source)


def _text_kind(head: bytes, source: str) -> str:
    """Name a text (or unknown binary) file that is not a built-in format."""
    if limits.looks_binary(head):
        return "mpxj:a binary file of unknown type"
    text = head[:4096].decode("utf-8", "replace")
    first = text.lstrip()[:1]
    if Path(source).suffix.lower() in (".toml", ".json"):
        models = "a riskcast model is used as it is (run, validate), not imported"
    else:
        models = "riskcast model files are read by their suffix, .toml or .json"
    if re.search(r"(?m)^\s*\[\[?\s*[A-Za-z_][\w.\-]*\s*\]\]?\s*$", text) and re.search(
        r"(?m)^\s*[\w\-\"]+\s*=", text
    ):
        raise ModelError(
            f"this looks like a TOML file (a riskcast model?), not a schedule; {BUILT_IN}; "
            f"{models}",
            source,
        )
    if first in "{[" and first:
        raise ModelError(
            f"this looks like JSON, not a schedule; {BUILT_IN}; {models}",
            source,
        )
    if re.match(r"(?:---\s*\n)?[\w\-]+:(?:\s|$)", text.lstrip()):
        raise ModelError(
            f"this looks like YAML, not a schedule; {BUILT_IN}; {models} (YAML is not read)",
            source,
        )
    lines = [ln for ln in text.splitlines()[:10] if ln.strip()]
    if len(lines) >= 2:
        for sep, what in ((",", "CSV"), ("\t", "tab-separated text"), (";", "CSV")):
            counts = {ln.count(sep) for ln in lines[:-1]}
            if len(counts) == 1 and counts.pop() > 0:
                raise ModelError(
                    f"this looks like {what} (a table), not a schedule; {BUILT_IN}", source
                )
    raise ModelError(
        f"not a schedule format riskcast knows (the file starts with {show(text[:40])}); "
        f"{BUILT_IN}",
        source,
    )


MPXJ_INSTALL = "pip install 'riskcast[mpxj]' plus a Java runtime (11 or later)"
# Offered where a built-in reader cannot read a file: MPXJ reads more variants of each format.
MPXJ_OFFER = "MPXJ may read it: riskcast import --via-mpxj (pip install 'riskcast[mpxj]', Java 11+)"


def _read_with_mpxj(path: Path, what: str, **options: Any) -> ImportResult:
    """Convert ``path`` with MPXJ (Java) to MSPDI XML in a temp folder and read that."""
    import importlib.util
    import tempfile

    source = str(path)
    if importlib.util.find_spec("mpxj") is None:
        if what == "a binary file of unknown type":
            raise ModelError(
                f"this is binary data, not a text schedule; {BUILT_IN} (and TOML or JSON "
                "models). Other tools' binary files (e.g. .mpp) need the MPXJ converter: "
                f"{MPXJ_INSTALL}",
                source,
            )
        raise ModelError(
            f"{what} is not a format built into riskcast (built in: MS Project MSPDI XML, "
            f"Primavera XER and PMXML). Install the MPXJ converter to read it: {MPXJ_INSTALL}; "
            "or save the schedule as MSPDI XML (MS Project: File > Save As > XML) or XER.",
            source,
        )
    if importlib.util.find_spec("jpype") is None:
        raise ModelError(
            f"the MPXJ converter is installed without JPype, which it runs on: {MPXJ_INSTALL}",
            source,
        )
    try:
        import jpype
        import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

        if not jpype.isJVMStarted():
            try:
                jpype.startJVM()
            except Exception as exc:  # JVMNotFoundException and kin
                raise ModelError(
                    f"the MPXJ converter needs a Java runtime (11 or later), and none was found "
                    f"({exc}); install one, or set JAVA_HOME to it",
                    source,
                ) from None
        try:  # MPXJ renamed its Java packages from net.sf.mpxj to org.mpxj
            from org.mpxj.mspdi import MSPDIWriter  # type: ignore[import-not-found]
            from org.mpxj.reader import UniversalProjectReader  # type: ignore[import-not-found]
        except ImportError:
            from net.sf.mpxj.mspdi import MSPDIWriter  # type: ignore[import-not-found]
            from net.sf.mpxj.reader import UniversalProjectReader  # type: ignore[import-not-found]
        project = UniversalProjectReader().read(str(path))
        if project is None:
            raise ModelError(f"MPXJ does not recognise {what} as a schedule", source)
        with tempfile.TemporaryDirectory(prefix="riskcast-mpxj-") as folder:
            xml_path = Path(folder) / (path.stem + ".xml")
            MSPDIWriter().write(project, str(xml_path))
            from .mspdi import read_mspdi

            try:
                result = read_mspdi(xml_path, **options)
            except ModelError as exc:  # name the user's file, not the deleted copy
                problems = [p.replace(str(xml_path), source) for p in exc.problems]
                raise exc.restated(problems, source) from None
    except ModelError:
        raise
    except Exception as exc:  # Java exceptions arrive as many types
        raise ModelError(f"MPXJ could not convert {what}: {exc}", source) from None
    # Name the original file in later errors, not the temporary copy.
    project = dataclasses.replace(result.project, source=source)
    warnings = [w.replace(str(xml_path), source) for w in result.warnings]
    return ImportResult(project, warnings, f"mpxj->{result.source_format}")


def _read_built_in(
    path: Path, kind: str, project: str | None, options: dict[str, Any]
) -> ImportResult:
    """Read ``path`` with riskcast's own reader of ``kind``; a file it finds damaged or cannot
    decode is an error that offers the MPXJ path."""
    try:
        if kind == "mspdi":
            from .mspdi import read_mspdi

            return read_mspdi(path, **options)
        if kind == "xer":
            from .xer import read_xer

            return read_xer(path, project=project, **options)
        from .pmxml import read_pmxml

        return read_pmxml(path, project=project, **options)
    except ModelError as exc:
        if not any("damaged" in p or "encoding" in p for p in exc.problems):
            raise  # the file is read; the schedule itself is what needs fixing
        problems = [*exc.problems[:-1], f"{exc.problems[-1]}. {MPXJ_OFFER}"]
        raise exc.restated(problems) from None


def read_schedule(
    path: str | os.PathLike[str],
    uncertainty: Any = None,
    *,
    project: str | None = None,
    reader: str = "auto",
) -> ImportResult:
    """Read an MS Project / Primavera schedule into a riskcast :class:`Project`.

    ``uncertainty`` adds spread to the single-point durations: a
    :class:`~riskcast.io.templates.Uncertainty` (three-point custom fields and/or template rules)
    or a list of rules (:class:`~riskcast.io.templates.Rule` or their text, e.g.
    ``"pert(-10%, 0%, +30%)"``). ``project`` picks one project (P6 short name / Id) from an XER
    or PMXML file holding several. ``reader`` is ``"auto"`` (riskcast's own reader for MSPDI,
    XER and PMXML, MPXJ for other formats) or ``"mpxj"`` (convert with MPXJ even a format
    riskcast reads itself; what a built-in reader cannot read, its error offers this for).
    Durations and lags come back in working days of the project calendar; what could not be
    carried over is listed in ``warnings``.
    """
    from . import templates

    path = Path(path)
    spec = templates.as_uncertainty(uncertainty)
    if reader not in ("auto", "mpxj"):
        raise ArgumentError(f'reader must be "auto" or "mpxj", not {reader!r}')
    kind = sniff_format(path)
    options: dict[str, Any] = {"three_point": spec.three_point}
    if kind == "psplib":
        if reader == "mpxj":
            raise ModelError(
                "MPXJ does not read PSPLIB instances; riskcast reads this file itself "
                '(without --via-mpxj / reader="mpxj")',
                str(path),
            )
        from .psplib import read_psplib

        result = read_psplib(path, **options)
    elif reader == "mpxj" or kind.startswith("mpxj:"):
        what = kind.split(":", 1)[1] if kind.startswith("mpxj:") else f"this {kind.upper()} file"
        result = _read_with_mpxj(path, what, **options)
    else:
        result = _read_built_in(path, kind, project, options)
    if spec.rules:
        result = ImportResult(
            templates.apply_rules(result.project, spec.rules), result.warnings, result.source_format
        )
    from ..model import validate

    validate(
        dataclasses.replace(result.project, source=str(path))
    )  # every problem, naming the file
    return result
