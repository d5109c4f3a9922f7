"""Portfolios: several projects that share teams and hand work to each other, simulated as one.

A portfolio merges its projects into one :class:`~riskcast.model.Project` and simulates it
once, so every cross-project effect is in every run: a milestone of one project that gates a
task of another (a *cross link*), and a team that works for several projects (a *shared pool*,
levelled across all of them).

Rules
-----
* **Namespacing.** Every id of project ``app`` (tasks, milestones, risks, branches, resource
  pools, overheads, task calendars) becomes ``"app/<id>"``; project ids may not contain ``/``.
  Random streams are keyed by ids (:func:`riskcast.compile.stream_key`), so a project inside
  the portfolio draws exactly the numbers of its namespaced plan alone
  (:attr:`Portfolio.projects`): its forecast differs from the plan alone only by what the
  portfolio adds, the cross links and the shared pools (common random numbers). Bit for bit
  while the merged plan keeps the plan's clock (working days of the project calendar); when
  another project's task calendars put it on the elapsed-time clock, finishes are counted on
  that clock and the delivery dates agree.
* **Pools.** A shared pool replaces every project pool of its id: its capacity (and capacity
  changes) is the capacity of the whole portfolio, whatever the projects gave; its ``rate``,
  when given, overrides the projects' rates (otherwise they must agree). Its id stays as it
  is (``"backend"``). A project pool that no shared pool names stays private to its project,
  with its own capacity (``"app/qa"``).
* **Calendars.** Every project must work on the same project calendar (working days, hours,
  holidays; the name may differ): a milestone's date is read on it, and one plan has one.
  Tasks keep their own task calendars (namespaced), so work on other days is said per task.
* **Time.** The portfolio starts at its ``start`` (default: the earliest project start). A
  project that starts later keeps its start as a start-no-earlier-than floor on each of its
  unstarted tasks. Projects that give a status date must give the same one (with the same
  progress logic); it is the portfolio's data date.
* **Costs.** Currencies must agree; the budget is the portfolio's own, else the sum of the
  projects' budgets when every project gives one. An overhead must name the milestone it runs
  until, and belong to a project that starts with the portfolio (an overhead runs from the
  plan's start, and the plan's finish is the portfolio's).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArgumentError, CycleError, ModelError
from .model import CapacityChange, Link, Project, Resource, Task, validate
from .risks import Branch, BranchOption, Correlation, Impact, Risk
from .suggest import suggestion

if TYPE_CHECKING:
    from .candidates import Candidate, SelectionRules
    from .roadmap import Roadmap

SEPARATOR = "/"


@dataclass(frozen=True)
class CrossLink:
    """A link between two projects of a portfolio, in namespaced ids.

    Parameters
    ----------
    predecessor : str
        The gating task or milestone, e.g. ``"api/public-beta"``.
    successor : str
        The task or milestone it gates, in another project, e.g. ``"app/integration"``.
    type : {"FS", "SS", "FF", "SF"}, default "FS"
        As for :class:`~riskcast.model.Link`.
    lag : float, default 0
        Working days of the successor's calendar (negative: a lead).
    """

    predecessor: str
    successor: str
    type: str = "FS"
    lag: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.type, str):
            object.__setattr__(self, "type", self.type.upper())


@dataclass(frozen=True)
class SharedPool:
    """A team that works for several projects: replaces every project pool of its ``id``.

    Parameters
    ----------
    id : str
        The pool id the projects use (at least one must define a resource of that id).
    capacity : float, optional
        Units available at once across the portfolio (None: unlimited).
    rate : float, optional
        Cost per working day and unit (currency units); None keeps the projects' rate, which
        must then be the same in every project.
    name : str, optional
        Display name (default: the first project's name of the pool).
    changes : tuple of CapacityChange, optional
        Other capacities from a date on (a hire), replacing the projects' changes.
    """

    id: str
    capacity: float | None = None
    rate: float | None = None
    name: str = ""
    changes: tuple[CapacityChange, ...] = ()


@dataclass(frozen=True)
class Portfolio:
    """Projects merged into one plan (see the module's rules).

    Attributes
    ----------
    name : str
        The portfolio's name.
    project : Project
        The merged, validated plan: every project's namespaced activities, risks, pools and
        overheads, the cross links, and the shared pools. Its finish is the portfolio's.
    projects : mapping of str to Project
        Project id -> the namespaced project alone, on the portfolio's clock (start, status
        date), with its own pools and no cross links: what the project would do without the
        portfolio, on the same random numbers.
    names : mapping of str to str
        Project id -> display name (the project's own name unless the portfolio gives one).
    links : tuple of CrossLink
        The cross links.
    pools : tuple of SharedPool
        The shared pools.
    plans : mapping of str to Project
        Project id -> its plan as given (not namespaced): what :meth:`with_candidates`
        merges again.
    budget : float, optional
        The budget as given (None: the sum of the projects').
    candidates : mapping of str to Candidate
        Projects that may join (:mod:`riskcast.selection`); not in :attr:`project`.
    candidate_links : tuple of CrossLink
        The cross links with an end in a candidate.
    selection : SelectionRules, optional
        What a selection of candidates must respect.
    roadmap : Roadmap, optional
        The roadmap items in priority order, and the release date.
    """

    name: str
    project: Project
    projects: Mapping[str, Project]
    names: Mapping[str, str] = field(default_factory=dict)
    links: tuple[CrossLink, ...] = ()
    pools: tuple[SharedPool, ...] = ()
    plans: Mapping[str, Project] = field(default_factory=dict)
    budget: float | None = None
    candidates: Mapping[str, Candidate] = field(default_factory=dict)
    candidate_links: tuple[CrossLink, ...] = ()
    selection: SelectionRules | None = None
    roadmap: Roadmap | None = None

    @property
    def start(self) -> dt.date:
        """The portfolio's start: day 0 of every forecast."""
        return self.project.start

    @property
    def source(self) -> str | None:
        """The portfolio file, or None."""
        return self.project.source

    def project_of(self, id: str) -> str:
        """The project id of a namespaced id (``"app/beta"`` -> ``"app"``)."""
        return id.split(SEPARATOR, 1)[0]

    def with_candidates(self, chosen: Iterable[str]) -> Portfolio:
        """This portfolio with the ``chosen`` candidates committed: merged again with their
        plans, the cross links among the projects then in it, and the shared pools they use.

        Raises
        ------
        ArgumentError
            An unknown candidate, or one without a candidate it needs.
        """
        chosen = list(dict.fromkeys(chosen))
        unknown = [cid for cid in chosen if cid not in self.candidates]
        if unknown:
            raise ArgumentError(
                f'no candidate "{unknown[0]}"{suggestion(unknown[0], self.candidates)}'
            )
        from .candidates import closure, link_needs

        pairs = [(link.predecessor, link.successor) for link in self.candidate_links]
        needs = closure(link_needs(pairs, self.candidates)[0])
        for cid in chosen:
            missing = sorted(needs[cid] - set(chosen))
            if missing:
                raise ArgumentError(f'candidate "{cid}" needs {", ".join(missing)}: choose it too')
        plans = dict(self.plans) | {cid: self.candidates[cid].project for cid in chosen}
        names = dict(self.names) | {cid: self.candidates[cid].title for cid in chosen}
        inside = set(plans)
        links = self.links + tuple(
            link
            for link in self.candidate_links
            if {self.project_of(link.predecessor), self.project_of(link.successor)} <= inside
        )
        rest = {  # what they needed among the chosen is in now
            cid: dataclasses.replace(c, needs=tuple(n for n in c.needs if n not in inside))
            for cid, c in self.candidates.items()
            if cid not in inside
        }
        return build_portfolio(
            self.name,
            plans,
            links + tuple(link for link in self.candidate_links if link not in links),
            self.pools,
            start=self.start,
            budget=self.budget,
            names=names,
            source=self.source,
            candidates=rest,
            selection=self.selection,
            roadmap=self.roadmap,
        )


def load_portfolio(path: str | Path) -> Portfolio:
    """Read a portfolio file (TOML) and the project files it names.

    Parameters
    ----------
    path : str or pathlib.Path
        The portfolio file; project ``model`` paths are relative to its folder.

    Returns
    -------
    Portfolio

    Raises
    ------
    ModelError
        Every problem found, with its place: the portfolio's keys, unreadable or invalid
        project files, duplicate project ids, unknown link ends, cycles through cross links,
        unused or inconsistent pools, different project calendars.
    """
    from .portfolio_file import read_portfolio

    return read_portfolio(Path(path))


def build_portfolio(
    name: str,
    projects: Mapping[str, Project],
    links: Iterable[CrossLink] = (),
    pools: Iterable[SharedPool] = (),
    *,
    start: dt.date | None = None,
    budget: float | None = None,
    names: Mapping[str, str] | None = None,
    source: str | None = None,
    candidates: Mapping[str, Candidate] | Iterable[Candidate] = (),
    selection: SelectionRules | None = None,
    roadmap: Roadmap | None = None,
) -> Portfolio:
    """Merge ``projects`` into a :class:`Portfolio` (the Python form of a portfolio file).

    Parameters
    ----------
    name : str
        The portfolio's name.
    projects : mapping of str to Project
        Project id -> its plan (un-namespaced ids), in the order to list them.
    links : iterable of CrossLink
        Links between projects, in namespaced ids.
    pools : iterable of SharedPool
        Teams shared across projects.
    start : datetime.date, optional
        Day 0 of the portfolio (default: the earliest project start; no project may start
        before it).
    budget : float, optional
        The portfolio's budget (currency units); default: the sum of the projects' budgets
        when every project gives one.
    names : mapping of str to str, optional
        Project id -> display name (default: each project's name).
    source : str, optional
        The portfolio file, for error messages.
    candidates : mapping of str to Candidate, or iterable of Candidate, optional
        Projects that may join (:mod:`riskcast.selection`): checked with the rest, not merged.
        ``links`` may have ends in them, and ``pools`` may serve only them.
    selection : SelectionRules, optional
        What a selection of candidates must respect.
    roadmap : Roadmap, optional
        Roadmap items (milestones of the projects or the candidates) and the release date.

    Returns
    -------
    Portfolio

    Raises
    ------
    ModelError
        Every problem found (see :func:`load_portfolio`); a :class:`CycleError` when cross
        links close a cycle.
    """
    from .candidates import candidate_problems, link_needs
    from .portfolio_file import portfolio_problems, project_problems
    from .roadmap import roadmap_problems

    links, pools = tuple(links), tuple(pools)
    projects = dict(projects)
    if not isinstance(candidates, Mapping):
        candidates = {c.id: c for c in candidates}
    candidates = dict(candidates)
    everything = projects | {cid: c.project for cid, c in candidates.items()}
    problems = project_problems(projects) + project_problems(
        {cid: c.project for cid, c in candidates.items()}, "candidate"
    )
    rated = [pool.id for pool in pools if pool.rate]
    problems += candidate_problems(candidates, projects, selection, rated)
    if problems:
        raise ModelError(problems, source)
    first = min(p.start for p in projects.values()) if start is None else start
    problems = portfolio_problems(everything, links, pools, first)
    if candidates:
        problems += link_needs([(k.predecessor, k.successor) for k in links], candidates)[1]
    if roadmap is not None:
        problems += roadmap_problems(roadmap, sorted(_milestone_ids(everything)))
    if problems:
        raise ModelError(problems, source)
    committed = [
        k for k in links if {_project(k.predecessor), _project(k.successor)} <= set(projects)
    ]
    pending = tuple(k for k in links if k not in committed)
    used = {r.id for p in projects.values() for r in p.resources}
    pools_in = tuple(pool for pool in pools if pool.id in used)
    shared = frozenset(pool.id for pool in pools_in)
    base = _base(projects, first, budget, name, source)
    alone = {pid: _namespaced(p, pid, base, frozenset()) for pid, p in projects.items()}
    inside = {pid: _namespaced(p, pid, base, shared) for pid, p in projects.items()}
    merged = _merged(base, inside, tuple(committed), _shared_resources(projects, pools_in))
    try:
        validate(merged)  # what the portfolio adds: a shared pool too small, a cycle
        for sub in alone.values():
            validate(sub)  # a later start's floor against a task's own late constraint
    except CycleError as exc:
        raise CycleError(_cycle_problems(exc, links), exc.cycle, source) from None
    except ModelError as exc:
        raise exc.restated(source=source) from None
    shown = {pid: (names or {}).get(pid) or p.name for pid, p in projects.items()}
    return Portfolio(
        name,
        merged,
        alone,
        shown,
        tuple(committed),
        pools,
        plans=projects,
        budget=budget,
        candidates=candidates,
        candidate_links=pending,
        selection=selection,
        roadmap=roadmap,
    )


def _project(id: str) -> str:
    return id.split(SEPARATOR, 1)[0]


def _milestone_ids(projects: Mapping[str, Project]) -> set[str]:
    return {f"{pid}{SEPARATOR}{m.id}" for pid, p in projects.items() for m in p.milestones}


def _base(
    projects: Mapping[str, Project],
    start: dt.date,
    budget: float | None,
    name: str,
    source: str | None,
) -> Project:
    """The portfolio's plan before any activity: its clock, data date and money."""
    plans = list(projects.values())
    status = next((p.status_date for p in plans if p.status_date), None)
    logic = next((p.progress_logic for p in plans if p.status_date), "retained-logic")
    if budget is None and all(p.budget is not None for p in plans):
        budget = sum(p.budget for p in plans)
    return Project(
        name,
        start,
        calendar=plans[0].calendar,
        source=source,
        # every project passed validation: only one that asks for repair has a matrix to repair
        repair_correlation=any(p.repair_correlation for p in plans),
        status_date=status,
        progress_logic=logic,
        budget=budget,
        currency=next((p.currency for p in plans if p.currency), ""),
    )


class _Names:
    """The namespacing of one project's ids (shared pools keep theirs)."""

    def __init__(self, pid: str, shared: frozenset[str]):
        self.prefix, self.shared = pid + SEPARATOR, shared

    def id(self, id: str) -> str:
        return self.prefix + id

    def ids(self, ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.prefix + id for id in ids)

    def optional(self, id: str | None) -> str | None:
        return None if id is None else self.prefix + id

    def pool(self, id: str) -> str:
        return id if id in self.shared else self.prefix + id

    def links(self, links: Iterable[Link]) -> tuple[Link, ...]:
        return tuple(
            dataclasses.replace(
                link, predecessor=self.id(link.predecessor), calendar=self.optional(link.calendar)
            )
            for link in links
        )

    def impacts(self, impacts: Iterable[Impact] | None) -> tuple[Impact, ...] | None:
        if impacts is None:
            return None
        return tuple(dataclasses.replace(i, task=self.id(i.task)) for i in impacts)


def _task(task: Task, n: _Names, floor: dt.date | None) -> Task:
    """``task`` namespaced; ``floor``: the later start of its project (a not-before)."""
    not_before = task.not_before
    if floor is not None and task.actual_start is None:
        not_before = floor if not_before is None else max(not_before, floor)
    return dataclasses.replace(
        task,
        id=n.id(task.id),
        after=n.links(task.after),
        calendar=n.optional(task.calendar),
        assignments=tuple(
            dataclasses.replace(a, resource=n.pool(a.resource)) for a in task.assignments
        ),
        not_before=not_before,
    )


def _risk(risk: Risk, n: _Names) -> Risk:
    mitigation = risk.mitigation
    if mitigation is not None:
        mitigation = dataclasses.replace(mitigation, impacts=n.impacts(mitigation.impacts))
    return dataclasses.replace(
        risk, id=n.id(risk.id), impacts=n.impacts(risk.impacts), mitigation=mitigation
    )


def _namespaced(project: Project, pid: str, base: Project, shared: frozenset[str]) -> Project:
    """``project`` with every id namespaced under ``pid``, on the portfolio's clock (``base``);
    its pools named in ``shared`` keep their id (the merged plan replaces them)."""
    n = _Names(pid, shared)
    floor = project.start if project.start > base.start else None
    return dataclasses.replace(
        base,
        name=project.name,
        tasks=tuple(_task(t, n, floor) for t in project.tasks),
        milestones=tuple(
            dataclasses.replace(m, id=n.id(m.id), after=n.links(m.after))
            for m in project.milestones
        ),
        calendar=project.calendar,
        calendars={n.id(name): cal for name, cal in project.calendars.items()},
        resources=tuple(
            dataclasses.replace(r, id=n.pool(r.id)) for r in project.resources if r.id not in shared
        ),
        risks=tuple(_risk(r, n) for r in project.risks),
        correlations=tuple(
            Correlation(c.coefficient, n.ids(c.tasks), n.ids(c.risks)) for c in project.correlations
        ),
        branches=tuple(
            Branch(
                n.id(b.id),
                tuple(BranchOption(n.ids(o.tasks), o.probability) for o in b.options),
            )
            for b in project.branches
        ),
        repair_correlation=project.repair_correlation,
        budget=project.budget,
        overheads=tuple(
            dataclasses.replace(o, id=n.id(o.id), until=n.optional(o.until))
            for o in project.overheads
        ),
    )


def _shared_resources(
    projects: Mapping[str, Project], pools: tuple[SharedPool, ...]
) -> tuple[Resource, ...]:
    """The shared pools as resources: the portfolio's capacity, its rate or the projects'."""
    out = []
    for pool in pools:
        defined = [r for p in projects.values() for r in p.resources if r.id == pool.id]
        out.append(
            Resource(
                pool.id,
                pool.name or defined[0].name,
                defined[0].rate if pool.rate is None else pool.rate,
                pool.capacity,
                tuple(pool.changes),
            )
        )
    return tuple(out)


def _merged(
    base: Project,
    inside: Mapping[str, Project],
    links: tuple[CrossLink, ...],
    shared: tuple[Resource, ...],
) -> Project:
    """One plan of the namespaced projects, with the cross links on their successors and the
    shared pools first among the resources."""
    incoming: dict[str, list[Link]] = {}
    for link in links:
        incoming.setdefault(link.successor, []).append(
            Link(link.predecessor, link.type, float(link.lag))
        )

    def linked(a: Any) -> Any:
        extra = incoming.get(a.id)
        return dataclasses.replace(a, after=a.after + tuple(extra)) if extra else a

    plans = list(inside.values())
    return dataclasses.replace(
        base,
        tasks=tuple(linked(t) for p in plans for t in p.tasks),
        milestones=tuple(linked(m) for p in plans for m in p.milestones),
        calendars={name: cal for p in plans for name, cal in p.calendars.items()},
        resources=shared + tuple(r for p in plans for r in p.resources),
        risks=tuple(r for p in plans for r in p.risks),
        correlations=tuple(c for p in plans for c in p.correlations),
        branches=tuple(b for p in plans for b in p.branches),
        overheads=tuple(o for p in plans for o in p.overheads),
    )


def _cycle_problems(exc: CycleError, links: tuple[CrossLink, ...]) -> list[str]:
    """The merged plan's problems, each cycle naming the cross links it passes through (every
    project is acyclic alone, so a cycle always passes one)."""
    index = {(link.predecessor, link.successor): k for k, link in enumerate(links)}
    out = []
    for problem in exc.problems:
        if problem.startswith("links form a cycle: "):
            ids = [part.strip().strip('"') for part in problem.split(": ", 1)[1].split(" -> ")]
            passed = sorted(index[pair] for pair in itertools.pairwise(ids) if pair in index)
            if passed:
                named = ", ".join(f"link[{k}]" for k in passed)
                problem += f" (through the portfolio's {named}); remove or reverse a link"
        out.append(problem)
    return out


from .portfolio_forecast import PortfolioForecast, simulate  # noqa: E402  (uses Portfolio)

__all__ = [
    "CrossLink",
    "Portfolio",
    "PortfolioForecast",
    "SharedPool",
    "build_portfolio",
    "load_portfolio",
    "simulate",
]
