"""The plan as validated domain objects: tasks, links, milestones, calendar, resources.

Plain frozen dataclasses that know names and dates; no arrays. Build them in Python or load them
from a file (:func:`riskcast.load`). :func:`validate` finds every problem at once.
"""

from __future__ import annotations

import datetime as dt
import math
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .calendar import Calendar
from .costs import Cost, Overhead, cost_problems
from .distributions import MAX_DAYS, Distribution, Fixed, from_spec
from .errors import CycleError, ModelError
from .resources import resource_problems
from .risks import Branch, Correlation, Risk, risk_problems
from .suggest import suggestion

LINK_TYPES = ("FS", "SS", "FF", "SF")
TASK_DATES = (
    "not_before",
    "not_after",
    "finish_not_before",
    "finish_not_after",
    "deadline",
    "actual_start",
    "actual_finish",
)
PROGRESS_LOGIC = ("retained-logic", "progress-override")


def as_date(value: Any, place: str) -> dt.date:
    """A ``date`` from a date, datetime or ISO string; ModelError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ModelError(f"{place}: expected a date like 2027-01-04, got {value!r}")


@dataclass(frozen=True)
class Link:
    """A dependency on ``predecessor``, stored on the successor.

    FS: successor starts >= predecessor finish + lag; SS: start >= start + lag;
    FF: finish >= finish + lag; SF: finish >= start + lag. ``lag`` is in working days of
    ``calendar`` (a name in ``Project.calendars``; None: the successor's calendar); negative is
    a lead.
    """

    predecessor: str
    type: str = "FS"
    lag: float = 0.0
    calendar: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", str(self.type).upper())


def _links(after: Iterable[Link | str | Mapping[str, Any]]) -> tuple[Link, ...]:
    out = []
    for item in after:
        if isinstance(item, Link):
            out.append(item)
        elif isinstance(item, str):
            out.append(Link(item))
        else:
            out.append(
                Link(
                    item["task"],
                    item.get("type", "FS"),
                    item.get("lag", 0.0),
                    item.get("calendar"),
                )
            )
    return tuple(out)


@dataclass(frozen=True)
class Assignment:
    """``units`` of resource ``resource`` work on a task (1.0 = one full-time unit)."""

    resource: str
    units: float = 1.0


@dataclass(frozen=True)
class CapacityChange:
    """From ``date`` on, a resource pool has ``capacity`` units (until its next change)."""

    date: dt.date
    capacity: float


@dataclass(frozen=True)
class Resource:
    """A person, team or machine pool; ``rate`` is its cost per working day (project currency).

    ``capacity`` is the number of units available at once (None: unlimited, so the pool never
    delays a task); ``changes`` set another capacity from a date on (a hire in March). Tasks
    that together need more than the capacity are levelled in every run: see
    :func:`riskcast.simulate`'s ``scheme`` and ``priority``.
    """

    id: str
    name: str = ""
    rate: float = 0.0
    capacity: float | None = None
    changes: tuple[CapacityChange, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple(self.changes))


@dataclass(frozen=True)
class Task:
    """A piece of work with an uncertain duration ``estimate`` (working days of its calendar).

    ``tags`` hold free labels (team, owner, WBS path). ``calendar`` names the task's calendar in
    ``Project.calendars`` (None: the project calendar). ``probability`` < 1 makes the task happen
    only in that share of the runs (zero time otherwise, links kept).

    Constraints (dates): ``not_before`` (start no earlier than) and ``finish_not_before`` hold
    the task back in the plan and in every run; ``not_after`` (start no later than),
    ``finish_not_after`` and ``deadline`` never move it: the forecast counts the runs that miss
    them. A "must start on" date is ``not_before`` and ``not_after`` on the same date.
    ``alap`` schedules the task as late as its successors allow (it uses its free float).

    Progress (with ``Project.status_date``): ``actual_start`` and ``actual_finish`` fix finished
    work; a started, unfinished task has ``remaining`` working days (or ``percent_complete``)
    left at the status date. ``assignments`` name the resource pools the task needs while it
    runs; ``priority`` (higher first) orders tasks competing for a pool, before the rule.
    ``cost`` is what the task costs (:class:`~riskcast.costs.Cost`: a fixed amount plus a rate
    per working day; a ``{"fixed": ..., "rate": ...}`` mapping is read as one).
    """

    id: str
    estimate: Distribution = field(default_factory=lambda: Fixed(0.0))
    name: str = ""
    after: tuple[Link, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    not_before: dt.date | None = None
    percent_complete: float = 0.0
    actual_start: dt.date | None = None
    actual_finish: dt.date | None = None
    assignments: tuple[Assignment, ...] = ()
    probability: float = 1.0
    calendar: str | None = None
    not_after: dt.date | None = None
    finish_not_before: dt.date | None = None
    finish_not_after: dt.date | None = None
    deadline: dt.date | None = None
    alap: bool = False
    remaining: float | None = None
    priority: float | None = None
    cost: Cost | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "estimate", from_spec(self.estimate))
        if isinstance(self.cost, Mapping):  # { fixed = ..., rate = ... } as in a model file
            object.__setattr__(self, "cost", Cost(**self.cost))
        object.__setattr__(self, "after", _links(self.after))
        object.__setattr__(self, "assignments", tuple(self.assignments))
        for name in TASK_DATES:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, as_date(value, f'task "{self.id}" > {name}'))

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Milestone:
    """A zero-duration event reached when all its predecessors allow; ``target`` is its due date."""

    id: str
    after: tuple[Link, ...] = ()
    name: str = ""
    target: dt.date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "after", _links(self.after))
        if self.target is not None:
            object.__setattr__(
                self, "target", as_date(self.target, f'milestone "{self.id}" > target')
            )

    @property
    def label(self) -> str:
        return self.name or self.id


# The dates a plan may use: a date outside is a typo (0027 for 2027) that would also take the
# simulated dates out of what calendars, charts and files can represent.
DATE_HORIZON = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))
VALID_ORDER = "_valid_order"
HINTED = 20  # unknown predecessors that get a did-you-mean hint (the rest: the id alone)  # set on a Project by validate(): its dependency order


@dataclass(frozen=True)
class Project:
    """A plan: tasks and milestones linked into a network, starting on ``start``.

    ``source`` is the file the plan came from (used in error messages), or None.
    ``repair_correlation`` replaces an inconsistent correlation matrix by the nearest valid one
    (with a warning) instead of rejecting it. ``calendars`` are the named calendars tasks and
    lags may use (``calendar`` is the project's own). ``status_date`` is the data date of a
    schedule update: work before it is actual, nothing unfinished happens before it.
    ``progress_logic`` says how a task started before its predecessors finished (out of
    sequence) continues: ``"retained-logic"`` (Primavera P6's default: its remaining work waits
    for the predecessors) or ``"progress-override"`` (the links no longer hold it).
    ``budget`` (currency units) is what the forecast's costs are compared against, ``currency``
    names the unit (``"EUR"``); ``overheads`` are the standing costs per working day
    (:class:`~riskcast.costs.Overhead`).
    """

    name: str
    start: dt.date
    tasks: tuple[Task, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    calendar: Calendar = field(default_factory=Calendar)
    resources: tuple[Resource, ...] = ()
    source: str | None = None
    risks: tuple[Risk, ...] = ()
    correlations: tuple[Correlation, ...] = ()
    branches: tuple[Branch, ...] = ()
    repair_correlation: bool = False
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    status_date: dt.date | None = None
    progress_logic: str = "retained-logic"
    budget: float | None = None
    currency: str = ""
    overheads: tuple[Overhead, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_date(self.start, "project > start"))
        object.__setattr__(self, "calendars", dict(self.calendars))
        if self.status_date is not None:
            object.__setattr__(
                self, "status_date", as_date(self.status_date, "project > status_date")
            )
        for name in (
            "tasks",
            "milestones",
            "resources",
            "risks",
            "correlations",
            "branches",
            "overheads",
        ):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def activities(self) -> tuple[Task | Milestone, ...]:
        """Tasks then milestones, in file order."""
        return self.tasks + self.milestones

    def task(self, id: str) -> Task:
        for t in self.tasks:
            if t.id == id:
                return t
        raise KeyError(f'no task "{id}"{suggestion(id, [t.id for t in self.tasks])}')

    def risk(self, id: str) -> Risk:
        for r in self.risks:
            if r.id == id:
                return r
        raise KeyError(f'no risk "{id}"{suggestion(id, [r.id for r in self.risks])}')

    def milestone(self, id: str) -> Milestone:
        for m in self.milestones:
            if m.id == id:
                return m
        raise KeyError(f'no milestone "{id}"{suggestion(id, [m.id for m in self.milestones])}')


def _place(item: Task | Milestone) -> str:
    return f'{"milestone" if isinstance(item, Milestone) else "task"} "{item.id}"'


def validate(project: Project) -> None:
    """Check a plan's structure, reporting every problem at once.

    Checks: empty plan, duplicate ids, unknown or self predecessors, link types, lags (finite
    working days), milestones without predecessors, estimates that reach below 0 working days,
    risks, correlations and branches (:func:`~riskcast.risks.risk_problems`; correlations that
    cannot all hold at once too, unless ``repair_correlation``), and cycles. It is the check
    :func:`~riskcast.compile.compile_project` makes: a plan it passes compiles.
    :func:`riskcast.load` and :func:`riskcast.simulate` call it; schedule-quality findings that do
    not make a plan invalid are :func:`riskcast.schedule_warnings`.

    Parameters
    ----------
    project : Project
        The plan to check.

    Returns
    -------
    None
        When the plan is valid.

    Raises
    ------
    CycleError
        If links form a cycle (a :class:`ModelError`; ``cycle`` names the first one in order),
        with every other problem listed too.
    ModelError
        Listing every problem found, each with its place (``task "api" > after[0]``).
    """
    if VALID_ORDER in vars(project):
        return
    problems: list[str] = []
    if not project.tasks:
        problems.append("the project has no tasks; add at least one [[task]]")
    seen: dict[str, str] = {}  # id -> where it is first used: task[0], milestone[2], ...
    positions = [("task", k, t) for k, t in enumerate(project.tasks)] + [
        ("milestone", k, m) for k, m in enumerate(project.milestones)
    ]
    for kind, k, item in positions:
        where = f"{kind}[{k}]"  # the model file's [[task]] / [[milestone]] number, from 0
        if not isinstance(item.id, str) or not item.id.strip():
            hint = ""
            if (
                isinstance(item.id, int | float)
                and not isinstance(item.id, bool)
                and abs(item.id) < 1e15  # a short number, not a NaN or a 5,000-digit int
            ):
                hint = f'; ids are strings: write id = "{item.id}" (in quotes)'
            try:
                shown = reprlib.repr(item.id)
            except ValueError:  # an int too long to print
                shown = "a number"
            problems.append(
                f"{where}: id must be a non-empty string, got {shown} "
                f"({type(item.id).__name__}){hint}"
            )
        elif item.id in seen:
            problems.append(
                f"{_place(item)}: duplicate id: {seen[item.id]} and {where} both have id "
                f'"{item.id}"; ids must be unique'
            )
        else:
            seen[item.id] = where
    problems.extend(_date_problems(project))
    problems.extend(_schedule_problems(project))
    predecessors: dict[str, set[str]] = {id: set() for id in seen}
    unknown = 0
    links_seen: dict[str, set[tuple[str, str]]] = {a.id: set() for a in project.activities}
    for item in project.activities:
        if isinstance(item, Milestone) and not item.after:
            problems.append(f"{_place(item)}: a milestone needs at least one predecessor in after")
        for k, link in enumerate(item.after):
            place = f"{_place(item)} > after[{k}]"
            # every check runs on every link: a bad predecessor does not hide a bad type or lag
            known = link.predecessor != item.id and link.predecessor in seen
            if link.predecessor == item.id:
                problems.append(f"{place}: links to itself; remove the self-link")
            elif link.predecessor not in seen:
                unknown += 1  # a did-you-mean hint for the first few: each is a search
                hint = suggestion(link.predecessor, seen) if unknown <= HINTED else ""
                problems.append(
                    f'{place}: unknown predecessor "{link.predecessor}" (linked from "{item.id}")'
                    f"{hint}"
                )
            if link.type not in LINK_TYPES:
                problems.append(f'{place}: link type "{link.type}" is not one of FS, SS, FF, SF')
            lag = link.lag
            if (
                isinstance(lag, bool)
                or not isinstance(lag, int | float)
                or not math.isfinite(lag)
                or abs(lag) > MAX_DAYS
            ):
                problems.append(
                    f"{place} > lag: must be a number of working days within "
                    f"+/-{MAX_DAYS:,.0f}, got {lag!r}"
                )
            if not known:
                continue
            if (link.predecessor, link.type) in links_seen[item.id]:
                problems.append(
                    f'{place}: a second {link.type} link from "{link.predecessor}"; keep one'
                )
            links_seen[item.id].add((link.predecessor, link.type))
            if item.id in predecessors:
                predecessors[item.id].add(link.predecessor)
    for task in project.tasks:
        low = task.estimate.minimum
        if low < 0:
            problems.append(
                f'task "{task.id}" > estimate: a duration must be >= 0 working days, but this '
                f"{task.estimate.kind} reaches {low:g}; raise its low end (negative values are "
                "for risk impacts, e.g. opportunities)"
            )
    # the compiler's order, so that a correlation problem reads the same from compile_project
    order = _dependency_order(predecessors, project)
    cycles = [] if order is not None else _cycles(predecessors)
    problems.extend(risk_problems(project, order))
    problems.extend(resource_problems(project))
    problems.extend(cost_problems(project))
    for cycle in cycles:
        problems.append("links form a cycle: " + " -> ".join(f'"{n}"' for n in cycle))
    if problems:
        if cycles:
            raise CycleError(problems, cycles[0], project.source)
        raise ModelError(problems, project.source)
    # A Project is immutable: remember that it passed, and its order, for the next caller.
    object.__setattr__(project, VALID_ORDER, tuple(order))


def _date_problems(project: Project) -> list[str]:
    """The project start, milestone targets and task dates outside :data:`DATE_HORIZON`."""
    low, high = DATE_HORIZON
    dates = [("project > start", project.start)]
    dates += [(f'milestone "{m.id}" > target', m.target) for m in project.milestones]
    dates += [("project > status_date", project.status_date)]
    dates += [
        (f'task "{t.id}" > {name}', getattr(t, name)) for t in project.tasks for name in TASK_DATES
    ]
    problems = [
        f"{place}: {date.isoformat()} is outside the dates riskcast plans with "
        f"({low.isoformat()} to {high.isoformat()}); check the year"
        for place, date in dates
        if date is not None and not low <= date <= high
    ]
    problems += [
        f'milestone "{m.id}" > target: {m.target.isoformat()} is before the project start '
        f"({project.start.isoformat()}), so it can never be met; check the date"
        for m in project.milestones
        if m.target is not None and low <= m.target < project.start
    ]
    return problems


def _schedule_problems(project: Project) -> list[str]:
    """Calendars that do not exist, contradictory constraints and inconsistent progress."""
    problems = []
    names = project.calendars
    known = f" (defined: {', '.join(names)})" if names else " (the project defines none)"
    for name, cal in names.items():
        if not isinstance(cal, Calendar):
            problems.append(f'calendar "{name}": expected a Calendar, got {type(cal).__name__}')
    status = project.status_date
    if project.progress_logic not in PROGRESS_LOGIC:
        problems.append(
            f'project > progress_logic: "{project.progress_logic}" is not one of '
            + ", ".join(PROGRESS_LOGIC)
        )
    if status is not None and status < project.start:
        problems.append(
            f"project > status_date: {status} is before the project start ({project.start})"
        )
    for item in project.activities:
        for k, link in enumerate(item.after):
            if link.calendar is not None and link.calendar not in names:
                problems.append(
                    f'{_place(item)} > after[{k}] > calendar: no calendar "{link.calendar}"{known}'
                )
    for t in project.tasks:
        place = f'task "{t.id}"'
        if t.calendar is not None and t.calendar not in names:
            problems.append(f'{place} > calendar: no calendar "{t.calendar}"{known}')
        for early, late, what in (
            ("not_before", "not_after", "start"),
            ("finish_not_before", "finish_not_after", "finish"),
        ):
            low, high = getattr(t, early), getattr(t, late)
            if low is not None and high is not None and high < low:
                problems.append(
                    f"{place}: {late} {high} is before {early} {low}; the {what} cannot "
                    "meet both (for a fixed date give both the same date)"
                )
        if not isinstance(t.alap, bool):
            problems.append(f"{place} > alap: must be true or false, got {t.alap!r}")
        pct = t.percent_complete
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 <= pct <= 100:
            problems.append(f"{place} > percent_complete: must be within 0-100, got {pct!r}")
        if t.remaining is not None and (
            isinstance(t.remaining, bool)
            or not isinstance(t.remaining, int | float)
            or not 0 <= t.remaining <= MAX_DAYS
        ):
            problems.append(
                f"{place} > remaining: must be a number of working days from 0 to "
                f"{MAX_DAYS:,.0f}, got {t.remaining!r}"
            )
        problems.extend(_progress_problems(t, place, status))
    return problems


def _progress_problems(t: Task, place: str, status: dt.date | None) -> list[str]:
    """Actual dates and remaining work that cannot all be true."""
    problems = []
    started, finished = t.actual_start, t.actual_finish
    if (started or finished or t.remaining is not None) and status is None:
        problems.append(
            f"{place}: has progress (actual dates or remaining work) but the project has no "
            "status_date; give [project] status_date, the data date of the update"
        )
    if finished is not None and started is None:
        problems.append(f"{place}: actual_finish {finished} without an actual_start")
    if started and finished and finished < started:
        problems.append(f"{place}: actual_finish {finished} is before actual_start {started}")
    for name, date in (("actual_start", started), ("actual_finish", finished)):
        if date is not None and status is not None and date > status:
            problems.append(
                f"{place} > {name}: {date} is after the status date {status}; actuals are "
                "what happened before the status date"
            )
    if t.remaining is not None and finished is not None:
        problems.append(f"{place} > remaining: a finished task (actual_finish) has none left")
    if t.remaining is not None and started is None:
        problems.append(
            f"{place} > remaining: only a started task (actual_start) has remaining work; an "
            "unstarted one takes its estimate"
        )
    return problems


def topological_order(project: Project) -> Sequence[str]:
    """Activity ids in a dependency order (stable: file order among ready activities).

    The project must be free of cycles (:func:`validate`); links to unknown ids are ignored.
    """
    if VALID_ORDER in vars(project):
        return vars(project)[VALID_ORDER]
    ids = {a.id for a in project.activities}
    predecessors = {
        a.id: {link.predecessor for link in a.after if link.predecessor in ids}
        for a in project.activities
    }
    order = _dependency_order(predecessors, project)
    if order is None:
        raise ModelError("links form a cycle; riskcast.validate(project) names it", project.source)
    return order


def _dependency_order(predecessors: dict[str, set[str]], project: Project) -> list[str] | None:
    """Kahn's algorithm over ``predecessors`` (id -> distinct predecessor ids): the ids in
    dependency order, the earliest in the file first among those ready; None if there is a
    cycle. Linear in the links (no graph library in the common path)."""
    import heapq

    index = {a.id: k for k, a in enumerate(project.activities)}
    waiting = {id: len(preds) for id, preds in predecessors.items()}
    successors: dict[str, list[str]] = {id: [] for id in predecessors}
    for id, preds in predecessors.items():
        for p in preds:
            successors[p].append(id)
    ready = [(index[id], id) for id, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, id = heapq.heappop(ready)
        order.append(id)
        for succ in successors[id]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                heapq.heappush(ready, (index[succ], succ))
    return order if len(order) == len(predecessors) else None


def _cycles(predecessors: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle of the links (one per strongly connected component), as ids in link order
    with the first repeated at the end."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(predecessors)
    graph.add_edges_from((p, id) for id, preds in predecessors.items() for p in preds)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            edges = nx.find_cycle(graph.subgraph(component))
            cycles.append([u for u, _ in edges] + [edges[0][0]])
    return cycles
