"""Which candidate projects to fund: the largest expected value within the budget, with every
roadmap milestone of a chosen project on time at the confidence level.

The method (sample-average approximation, then a check on fresh runs):

1. The portfolio with every candidate in is simulated without resource limits on ``scenarios``
   runs; the candidates' teams enter as capacity (:mod:`riskcast.selection_model`).
2. :func:`scipy.optimize.milp` chooses the candidates that maximise the expected value
   (each candidate's ``value`` distribution's mean) subject to the budget (the chosen
   candidates' expected costs), the needs between candidates, and chance constraints: in at
   least ``confidence`` % of the scenarios, each roadmap milestone of a chosen candidate is
   delivered by its due date (its target, else the roadmap's release date) *and* the work due
   by then fits the shared teams. A committed roadmap milestone that reaches the level
   without any candidate must keep it; one that does not is reported, not constrained.
3. The chosen portfolio is **re-simulated** with resource levelling on ``iterations`` other
   runs (out of sample). If a constrained milestone falls below the level there, that set is
   excluded, together with every set that contains it (adding projects never gives a team
   more time), and the program is solved again.
4. The runners-up are found the same way, each best set excluded in turn; every candidate
   left out gets the reason: a need, the budget, a milestone it would push below the level.

Without a roadmap, the constrained milestones are those with a target. The choice is only as
good as the scenarios: the check in step 3 is what the reported confidence rests on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .budget import WorkingDays, within
from .compile import compile_project
from .engine.blocks import by_activity, kept_rows
from .engine.run import normalise_seed, run
from .errors import ArgumentError
from .forecast import Forecast
from .portfolio import SEPARATOR, Portfolio
from .selection_model import Scenarios, solve
from .statistics import check_percentile
from .units import TIME_TOLERANCE

DEFAULT_SCENARIOS = 500
DEFAULT_ITERATIONS = 4_000
MAX_ROUNDS = 25  # programs solved in one selection (each re-simulation excludes a set)


@dataclass(frozen=True)
class Choice:
    """One set of candidates and how it fares.

    Attributes
    ----------
    candidates : tuple of str
        The chosen candidate ids, in portfolio order.
    value, cost : float
        Expected value and expected cost (currency units).
    confidence : dict of str to float
        Per constrained milestone, the share of the levelled, out-of-sample runs that deliver
        it by its due date.
    planned : dict of str to float
        The same milestones' share of the program's scenarios (unlevelled, with the teams'
        capacity as a fit).
    ok : bool
        Whether every ``confidence`` reaches the level.
    """

    candidates: tuple[str, ...]
    value: float
    cost: float
    confidence: dict[str, float]
    planned: dict[str, float]
    ok: bool

    @property
    def lowest(self) -> tuple[str, float] | None:
        """The constrained milestone with the lowest confidence, and that confidence."""
        if not self.confidence:
            return None
        id = min(self.confidence, key=lambda k: self.confidence[k])
        return id, self.confidence[id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": list(self.candidates),
            "value": self.value,
            "cost": self.cost,
            "confidence": self.confidence,
            "planned": self.planned,
            "ok": self.ok,
        }


@dataclass
class Selection:
    """The outcome of :func:`select`.

    Attributes
    ----------
    best : Choice or None
        The chosen set (None: no set, not even the empty one, keeps the rules).
    runners_up : list of Choice
        The next best sets that keep the rules, best first.
    rejected : list of Choice
        Sets the program chose that failed the levelled re-simulation, in the order tried.
    reasons : dict of str to str
        Candidate id -> why it is in or out of ``best``.
    below : dict of str to float
        Committed roadmap milestones under the level without any candidate (not
        constrained), with their confidence.
    """

    portfolio: str
    level: float
    budget: float | None
    currency: str
    scenarios: int
    iterations: int
    seed: int
    candidates: dict[str, str]  # id -> display name
    values: dict[str, float]
    costs: dict[str, float]
    best: Choice | None
    runners_up: list[Choice] = field(default_factory=list)
    rejected: list[Choice] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    below: dict[str, float] = field(default_factory=dict)
    rounds: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {
            "portfolio": self.portfolio,
            "confidence": self.level,
            "budget": self.budget,
            "currency": self.currency,
            "scenarios": self.scenarios,
            "iterations": self.iterations,
            "seed": self.seed,
            "candidates": [
                {
                    "id": cid,
                    "name": name,
                    "value": self.values[cid],
                    "cost": self.costs[cid],
                    "chosen": self.best is not None and cid in self.best.candidates,
                    "why": self.reasons.get(cid, ""),
                }
                for cid, name in self.candidates.items()
            ],
            "best": None if self.best is None else self.best.to_dict(),
            "runners_up": [c.to_dict() for c in self.runners_up],
            "rejected": [c.to_dict() for c in self.rejected],
            "below": self.below,
            "rounds": self.rounds,
            "seconds": self.seconds,
        }


class _Problem:
    """What the search needs besides the scenarios, and the sets checked so far."""

    scenarios: Scenarios
    due: dict[str, Any]  # constrained milestone id -> due date

    def __init__(self, portfolio: Portfolio, level: float, budget: float | None, **check: Any):
        self.portfolio, self.level, self.budget = portfolio, level, budget
        self.check = check  # iterations, seed, threads, scheme, priority of the check runs
        self.checked: dict[frozenset[int], Choice] = {}

    @property
    def iterations(self) -> int:
        return self.check["iterations"]

    def simulate(self, portfolio: Portfolio) -> Forecast:
        """``portfolio`` with levelling, on the check runs."""
        from .simulate import simulate

        return simulate(portfolio.project, **self.check)

    def choice(self, chosen: frozenset[int]) -> Choice:
        """``chosen`` re-simulated with levelling on the check runs (once per set)."""
        if chosen not in self.checked:
            self.checked[chosen] = _check(self, chosen)
        return self.checked[chosen]


def select(
    portfolio: Portfolio,
    *,
    budget: float | None = None,
    confidence: float | None = None,
    scenarios: int = DEFAULT_SCENARIOS,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    runners_up: int = 2,
    threads: int | None = None,
    scheme: str = "parallel",
    priority: str = "lft",
    executor: Any = None,
) -> Selection:
    """Choose which candidates of ``portfolio`` to fund (see the module's method).

    Parameters
    ----------
    portfolio : Portfolio
        With ``candidates`` (a portfolio file's ``[[candidate]]`` tables).
    budget : float, optional
        Currency units for the candidates (default: the portfolio's ``[selection]`` budget;
        none: no limit).
    confidence : float, optional
        Percent in (0, 100] (default: the ``[selection]`` confidence, else 80).
    scenarios : int, default 500
        Unlevelled runs the program is solved on.
    iterations : int, default 4,000
        Levelled runs each chosen set is checked on (other runs than the scenarios).
    seed : int, SeedSequence or Generator, optional
        The same seed gives the same selection (None: a fresh one, in ``Selection.seed``).
    runners_up : int, default 2
        Further sets to find after the best one.
    threads : int, optional
        Worker threads for the simulations.
    scheme, priority : str
        The levelling of the check runs (as for :func:`riskcast.simulate`).
    executor : distributed.Client, optional
        Run the scenarios and the checks on a Dask cluster (the same selection, bit for bit).

    Returns
    -------
    Selection

    Raises
    ------
    ArgumentError
        No candidates, or an argument out of range.
    """
    started = time.perf_counter()
    if not portfolio.candidates:
        raise ArgumentError(
            "the portfolio has no candidates: add [[candidate]] tables (a model file, a value) "
            "to choose among"
        )
    rules = portfolio.selection
    level = confidence if confidence is not None else (rules.confidence if rules else 80.0)
    check_percentile(level)
    money = budget if budget is not None else (rules.budget if rules else None)
    if money is not None and (not math.isfinite(money) or money < 0):
        raise ArgumentError(f"budget must be a number >= 0, got {money!r}")
    for name, count in (("scenarios", scenarios), ("iterations", iterations)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ArgumentError(f"{name} must be a positive integer, got {count!r}")
    if isinstance(runners_up, bool) or not isinstance(runners_up, int) or runners_up < 0:
        raise ArgumentError(f"runners_up must be an integer >= 0, got {runners_up!r}")
    root = np.random.SeedSequence(normalise_seed(seed))
    scenario_seed, check_seed = (normalise_seed(child) for child in root.spawn(2))
    problem = _Problem(
        portfolio,
        level,
        money,
        iterations=iterations,
        seed=check_seed,
        threads=threads,
        scheme=scheme,
        priority=priority,
        executor=executor,
    )
    below = _committed_below(problem)
    problem.scenarios, problem.due = build_scenarios(
        portfolio, level, scenarios, scenario_seed, below=below, threads=threads, executor=executor
    )
    found, rounds = _search(problem, runners_up)
    best = found[0] if found else None
    sc = problem.scenarios
    return Selection(
        portfolio.name,
        level,
        money,
        portfolio.project.currency,
        scenarios,
        iterations,
        int(root.entropy),  # type: ignore[arg-type]
        {cid: c.title for cid, c in portfolio.candidates.items()},
        dict(zip(sc.candidates, sc.value.tolist(), strict=True)),
        dict(zip(sc.candidates, sc.cost.tolist(), strict=True)),
        best,
        found[1:],
        [c for c in problem.checked.values() if not c.ok],
        _reasons(problem, best) if best is not None else {},
        below,
        rounds,
        time.perf_counter() - started,
    )


def _search(problem: _Problem, runners_up: int) -> tuple[list[Choice], int]:
    """The best sets that pass the levelled check, best first, and the programs solved."""
    sc = problem.scenarios
    covers: list[frozenset[int]] = []
    found: list[Choice] = []
    done: list[frozenset[int]] = []
    rounds = 0
    while len(found) <= runners_up and rounds < MAX_ROUNDS:
        chosen = solve(sc, problem.budget, covers, done)
        rounds += 1
        if chosen is None:
            break
        outcome = problem.choice(chosen)
        if outcome.ok:
            found.append(outcome)
            done.append(chosen)
        else:
            covers.append(chosen)
    return found, rounds


def _due_milestones(portfolio: Portfolio, present: set[str]) -> dict[str, Any]:
    """Constrained milestone id -> due date, among the ``present`` milestones: the roadmap's
    items (target, else release date), or without a roadmap every milestone with a target."""
    targets = {m.id: m.target for m in portfolio.project.milestones}
    for c in portfolio.candidates.values():
        for m in c.project.milestones:
            targets[f"{c.id}{SEPARATOR}{m.id}"] = m.target
    roadmap = portfolio.roadmap
    if roadmap is None:
        return {id: day for id, day in targets.items() if day is not None and id in present}
    out = {}
    for item in roadmap.items:
        day = roadmap.due(item, targets.get(item.milestone))
        if day is not None and item.milestone in present:
            out[item.milestone] = day
    return out


def _committed_below(problem: _Problem) -> dict[str, float]:
    """The committed roadmap milestones under the level with no candidate (levelled check
    runs), with their confidence."""
    portfolio = problem.portfolio
    forecast = problem.simulate(portfolio)
    due = _due_milestones(portfolio, {m.id for m in portfolio.project.milestones})
    needed = within(problem.iterations, problem.level)
    below = {}
    for id, day in due.items():
        share = forecast.milestone(id).probability_by(day)
        if round(share * forecast.iterations) < needed:
            below[id] = share
    return below


def _check(problem: _Problem, chosen: frozenset[int]) -> Choice:
    """The levelled re-simulation of the committed projects with ``chosen``."""
    sc = problem.scenarios
    ids = tuple(sc.candidates[j] for j in sorted(chosen))
    portfolio = problem.portfolio.with_candidates(ids)
    forecast = problem.simulate(portfolio)
    mask = np.zeros(len(sc.candidates), bool)
    mask[list(chosen)] = True
    counts = sc.on_time_counts(mask)
    needed = within(problem.iterations, problem.level)
    confidence, planned, ok = {}, {}, True
    for m, id in enumerate(sc.milestones):
        owner = sc.owner[m]
        if owner >= 0 and not mask[owner]:
            continue
        share = forecast.milestone(id).probability_by(problem.due[id])
        confidence[id] = share
        planned[id] = counts[m] / sc.count
        ok &= round(share * forecast.iterations) >= needed
    return Choice(ids, float(sc.value @ mask), float(sc.cost @ mask), confidence, planned, bool(ok))


def build_scenarios(
    portfolio: Portfolio,
    level: float,
    count: int,
    seed: int,
    *,
    below: Collection[str] = (),
    threads: int | None = None,
    executor: Any = None,
) -> tuple[Scenarios, dict[str, Any]]:
    """The scenario arrays of ``portfolio``'s selection (see :mod:`riskcast.selection_model`).

    Parameters
    ----------
    portfolio : Portfolio
        With candidates.
    level : float
        The confidence, percent.
    count : int
        Scenarios: runs of the portfolio with every candidate in, without resource limits.
    seed : int
        In [0, 2**63).
    below : collection of str, optional
        Committed roadmap milestones left unconstrained (under the level without candidates).
    threads : int, optional
        Worker threads.
    executor : distributed.Client, optional
        Simulate the scenarios on a Dask cluster.

    Returns
    -------
    Scenarios
    dict of str to datetime.date
        Each constrained milestone's due date.
    """
    cids = tuple(portfolio.candidates)
    full = portfolio.with_candidates(cids)
    project = full.project
    network = compile_project(project)
    most = kept_rows(network.n, 10**9)
    if count > most:
        raise ArgumentError(
            f"at most {most:,} scenarios for a portfolio of {network.n:,} activities (every "
            f"scenario keeps each activity's start and finish), asked for {count:,}"
        )
    runs = run(network, seed, count, threads=threads, executor=executor)
    forecast = Forecast.from_runs(project, network, runs)
    due = {
        id: day
        for id, day in _due_milestones(portfolio, {m.id for m in project.milestones}).items()
        if id not in below
    }
    ids = tuple(due)
    index = {cid: j for j, cid in enumerate(cids)}
    owner = np.array([index.get(id.split(SEPARATOR, 1)[0], -1) for id in ids], np.int64)
    bounds = np.array([forecast.milestone(id).to_days(due[id]) for id in ids], np.float64)
    on_time = np.zeros((len(ids), count), bool)
    for m, id in enumerate(ids):
        if bounds[m] > 0:
            on_time[m] = forecast.milestone(id).samples <= bounds[m] + TIME_TOLERANCE
    checkpoints, checkpoint = np.unique(bounds, return_inverse=True)
    work = _work(network, runs, count, cids, ids, bounds, checkpoints)
    capacity = _capacity(network, checkpoints)
    needs = _needs(portfolio, index)
    sc = Scenarios(
        cids,
        np.array([portfolio.candidates[c].value.mean for c in cids], np.float64),
        _costs(portfolio, full, network, runs, forecast, cids, count),
        needs,
        ids,
        owner,
        np.full(len(ids), within(count, level), np.int64),
        on_time,
        checkpoint.astype(np.int64),
        work,
        capacity,
    )
    # a committed milestone keeps the level, or what it has without any candidate if less
    alone = sc.on_time_counts(np.zeros(len(cids), bool))
    required = np.where(owner < 0, np.minimum(sc.required, alone), sc.required)
    return Scenarios(**{**sc.__dict__, "required": required}), due


def _needs(portfolio: Portfolio, index: dict[str, int]) -> list[frozenset[int]]:
    from .candidates import closure, link_needs

    pairs = [(k.predecessor, k.successor) for k in portfolio.candidate_links]
    needs = closure(link_needs(pairs, portfolio.candidates)[0])
    return [frozenset(index[n] for n in needs[cid]) for cid in index]


def _work(
    network: Any,
    runs: Any,
    count: int,
    cids: Sequence[str],
    ids: Sequence[str],
    bounds: np.ndarray,
    checkpoints: np.ndarray,
) -> np.ndarray:
    """float64 (n + 1, P, K, S): each project's work due by each checkpoint (module docs)."""
    pools, k_count = len(network.pool_ids), len(checkpoints)
    work = np.zeros((len(cids) + 1, pools, k_count, count))
    if not pools:
        return work
    row = {cid: j for j, cid in enumerate(cids)}
    # each activity's earliest due date among the milestones it leads to inside its project
    due = np.full(network.n, np.inf)
    for id, bound in zip(ids, bounds, strict=True):
        prefix = id.split(SEPARATOR, 1)[0] + SEPARATOR
        stack = [network.index(id)]
        seen = set(stack)
        while stack:
            a = stack.pop()
            due[a] = min(due[a], bound)
            for e in range(network.pred_ptr[a], network.pred_ptr[a + 1]):
                b = int(network.pred_idx[e])
                if b not in seen and network.ids[b].startswith(prefix):
                    seen.add(b)
                    stack.append(b)
    start = by_activity(runs.kept_start, count).astype(np.float64)
    finish = by_activity(runs.kept_finish, count).astype(np.float64)
    for a in np.flatnonzero(np.isfinite(due)):
        lo, hi = network.dem_ptr[a], network.dem_ptr[a + 1]
        if lo == hi:
            continue
        held = np.maximum(finish[a] - np.maximum(start[a], 0.0), 0.0)
        j = row.get(network.ids[a].split(SEPARATOR, 1)[0], len(cids))
        first = int(np.searchsorted(checkpoints, due[a] - 1e-9))
        for e in range(lo, hi):
            work[j, network.dem_pool[e], first:] += network.dem_units[e] * held
    return work


def _capacity(network: Any, checkpoints: np.ndarray) -> np.ndarray:
    """float64 (P, K): each limited pool's capacity integrated over clock time [0, k]."""
    out = np.zeros((len(network.pool_ids), len(checkpoints)))
    for r in range(len(network.pool_ids)):
        lo, hi = network.cap_ptr[r], network.cap_ptr[r + 1]
        times = np.append(np.maximum(network.cap_time[lo:hi], 0.0), np.inf)
        caps = network.cap[lo:hi]
        for k, bound in enumerate(checkpoints):
            spans = np.clip(np.minimum(times[1:], bound) - times[:-1], 0.0, None)
            out[r, k] = float(np.sum(caps * spans))
    return out


def _costs(
    portfolio: Portfolio,
    full: Portfolio,
    network: Any,
    runs: Any,
    forecast: Forecast,
    cids: Sequence[str],
    count: int,
) -> np.ndarray:
    """float64 (n,): each candidate's expected cost: its given cost's mean, else its plan's
    (its tasks' simulated costs and its overheads until their milestones)."""
    out = np.zeros(len(cids))
    project = full.project
    clock = WorkingDays(network, project)
    costs = network.costs
    for j, cid in enumerate(cids):
        given = portfolio.candidates[cid].cost
        if given is not None:
            out[j] = given.mean
            continue
        prefix = cid + SEPARATOR
        total = np.zeros(count)
        if runs.kept_cost is not None:
            for c, a in enumerate(costs.task):
                if network.ids[a].startswith(prefix):
                    total += runs.kept_cost[c, :count]
        for overhead in project.overheads:
            if overhead.id.startswith(prefix):
                until = forecast.milestone(overhead.until).samples[:count]
                total += overhead.rate * clock(until)
        out[j] = float(total.mean())
    return out


def _reasons(problem: _Problem, best: Choice) -> dict[str, str]:
    """Why each candidate is in or out of ``best``: for one left out, the first rule adding it
    (with what it needs) breaks, and the sets with it that failed the levelled check."""
    sc = problem.scenarios
    chosen = frozenset(sc.candidates.index(c) for c in best.candidates)
    out = {}
    for j, cid in enumerate(sc.candidates):
        if j in chosen:
            own = [id for m, id in enumerate(sc.milestones) if sc.owner[m] == j]
            shown = ", ".join(f"{id} {best.confidence[id]:.0%}" for id in own)
            out[cid] = "chosen" + (f": {shown}" if shown else "")
            continue
        reason = _why_not(problem, chosen, j)
        failed = [
            c for key, c in problem.checked.items() if j in key and not c.ok and c is not best
        ]
        if failed and not reason.startswith("adding it, re-simulated"):
            c = failed[0]
            id, share = c.lowest  # type: ignore[misc]
            reason += f"; {' + '.join(c.candidates)} failed the levelled check ({id} {share:.0%})"
        out[cid] = reason
    return out


def _why_not(problem: _Problem, chosen: frozenset[int], j: int) -> str:
    """The first rule that adding candidate ``j`` (and what it needs) to ``chosen`` breaks."""
    sc, level = problem.scenarios, problem.level
    if sc.value[j] <= 0:
        return "its expected value is not positive"
    with_it = frozenset(chosen | {j} | sc.needs[j])
    extra = sorted(with_it - chosen - {j})
    cost = float(sum(sc.cost[i] for i in with_it - chosen))
    spent = float(sum(sc.cost[i] for i in chosen))
    if problem.budget is not None and spent + cost > problem.budget * (1 + 1e-12) + 1e-9:
        need = f" with {', '.join(sc.candidates[i] for i in extra)}" if extra else ""
        return f"over budget: costs {cost:,.0f}{need}, {problem.budget - spent:,.0f} left"
    mask = np.zeros(len(sc.candidates), bool)
    mask[list(with_it)] = True
    counts = sc.on_time_counts(mask)
    short = [
        (counts[m] / sc.count, id)
        for m, id in enumerate(sc.milestones)
        if (sc.owner[m] < 0 or mask[sc.owner[m]]) and counts[m] < sc.required[m]
    ]
    if short:
        share, id = min(short)
        return (
            f"adding it, {id} would be on time in {share:.0%} of the scenarios (needs {level:g}%)"
        )
    outcome = problem.choice(with_it)
    if not outcome.ok:
        id, share = outcome.lowest  # type: ignore[misc]
        return (
            f"adding it, re-simulated with levelling, {id} reaches {share:.0%} (needs {level:g}%)"
        )
    return "keeps every rule, but the chosen set is worth more"


__all__ = ["Choice", "Selection", "build_scenarios", "select"]
