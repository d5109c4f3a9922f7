"""Project -> Network: the only place where the plan becomes flat arrays.

Activities (tasks and milestones) are numbered in topological order, so a single forward sweep
over the index schedules the network. Predecessors are stored in CSR form (``pred_ptr``,
``pred_idx``, ``pred_type``, ``pred_lag``). Each duration is a row of the distribution table
(``dist_code``, ``dist_params``) with side arrays for tables and discrete values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import distributions as d
from . import tables
from .clock import Clock, activity_calendar, plan_clock
from .costing import cost_arrays
from .engine.codes import (
    DISCRETE,
    EMPIRICAL,
    EXPONENTIAL,
    FF,
    FINISHED,
    FIXED,
    FS,
    LOGNORMAL,
    N_PARAMS,
    NORMAL,
    NOT_STARTED,
    PERT_TABLE,
    ROW_TABLE,
    SF,
    SS,
    STARTED,
    STARTED_OVERRIDE,
    TRIANGULAR,
    UNIFORM,
)
from .engine.costs import CostArrays
from .engine.levelling import NO_LEVELLING
from .errors import ModelError
from .model import Milestone, Project, Task, topological_order, validate
from .resources import pool_arrays

LINK_CODE = {"FS": FS, "SS": SS, "FF": FF, "SF": SF}
COMPILED = "_compiled"  # set on a Project: (scenario, Network) of its latest compilation


def stream_key(kind: str, id: str) -> np.uint64:
    """Stable 64-bit id of a random variable, from model ids only (never array positions)."""
    digest = hashlib.blake2b(f"{kind}:{id}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


@dataclass(frozen=True, eq=False)
class Network:
    """A compiled plan. Arrays are indexed by activity in topological order (length n)."""

    ids: tuple[str, ...]
    is_milestone: np.ndarray  # bool (n,)
    clock: Clock  # the clock every time below is on, and the calendars' tables
    start_floor: np.ndarray  # float64 (n,), earliest start (constraint, status date), clock days
    pred_ptr: np.ndarray  # int64 (n + 1,)
    pred_idx: np.ndarray  # int64 (E,)
    pred_type: np.ndarray  # int64 (E,), 0 FS 1 SS 2 FF 3 SF
    pred_lag: np.ndarray  # float64 (E,), working days
    dist_code: np.ndarray  # int64 (n,)
    dist_params: np.ndarray  # float64 (n, N_PARAMS)
    aux: np.ndarray  # float64: discrete supports / empirical values
    table: np.ndarray  # float64 (rows, tables.ROW_LENGTH): quantile rows
    keys: np.ndarray  # uint64 (n,), stream key of each duration
    milestone_idx: np.ndarray  # int64 (M,), network index of each milestone, in model order
    last_candidates: np.ndarray  # int64, activities that can finish last (see _last_candidates)
    plan_duration: np.ndarray  # float64 (n,), most-likely durations
    mean_duration: np.ndarray  # float64 (n,)
    # Probabilistic tasks and branches: task gated[g] happens iff gate_low <= u < gate_high.
    gated: np.ndarray  # int64 (G,)
    gate_key: np.ndarray  # uint64 (G,)
    gate_low: np.ndarray  # float64 (G,)
    gate_high: np.ndarray  # float64 (G,)
    # Risks (R): occurrence streams and probabilities (a range draws p uniformly per iteration).
    risk_ids: tuple[str, ...]
    risk_key: np.ndarray  # uint64 (R,)
    risk_p_key: np.ndarray  # uint64 (R,), stream of the probability draw for ranges
    risk_p_low: np.ndarray  # float64 (R,)
    risk_p_high: np.ndarray  # float64 (R,)
    risk_task_ptr: np.ndarray  # int64 (R + 1,): CSR of the tasks each risk hits
    risk_task_idx: np.ndarray  # int64
    # Impacts, CSR per activity (multiplications first): risk, kind, distribution, stream.
    impact_ptr: np.ndarray  # int64 (n + 1,)
    impact_risk: np.ndarray  # int64 (I,)
    impact_multiply: np.ndarray  # bool (I,)
    impact_code: np.ndarray  # int64 (I,)
    impact_params: np.ndarray  # float64 (I, N_PARAMS)
    impact_key: np.ndarray  # uint64 (I,)
    # Correlation: variables in slots; each group's lower Cholesky factor of the copula matrix.
    slot_key: np.ndarray  # uint64 (V,), the variable's own stream
    group_ptr: np.ndarray  # int64 (groups + 1,): slots of each group
    factor_ptr: np.ndarray  # int64 (groups + 1,): offsets into factors (row-major g x g)
    factors: np.ndarray  # float64
    task_slot: np.ndarray  # int64 (n,), -1 when independent
    risk_slot: np.ndarray  # int64 (R,), -1 when independent
    # Calendars, constraints and progress (docs/scheduling.md).
    general: np.ndarray  # bool (n,): scheduled by the general path (calendars, floors, progress)
    task_cal: np.ndarray  # int64 (n,), calendar table of each activity (-1: clock time)
    pred_cal: np.ndarray  # int64 (E,), calendar table of each link's lag (-1: clock time)
    finish_floor: np.ndarray  # float64 (n,), earliest finish (<= 0: none)
    progress: np.ndarray  # int64 (n,): NOT_STARTED, STARTED, STARTED_OVERRIDE, FINISHED
    fixed_start: np.ndarray  # float64 (n,), actual start (NaN: none)
    fixed_finish: np.ndarray  # float64 (n,), actual finish (NaN: none)
    dur_scale: np.ndarray  # float64 (n,), share of a sampled duration still to work
    late_idx: np.ndarray  # int64 (L,), tasks with a late constraint
    late_start: np.ndarray  # float64 (L,), a start at or after this misses (inf: none)
    late_finish: np.ndarray  # float64 (L,), a finish after this misses (inf: none)
    # The tables of the calendars that need them (fields of engine.timing.CalendarTables).
    cal_iv: np.ndarray
    cal_rate: np.ndarray
    cal_ptr: np.ndarray
    cal_first: np.ndarray
    alap_idx: np.ndarray  # int64, as-late-as-possible tasks, last in dependency order first
    succ_ptr: np.ndarray  # int64 (n + 1,): links out of each activity ...
    succ_link: np.ndarray  # int64 (E,): ... as indices into the pred_* arrays
    link_owner: np.ndarray  # int64 (E,): the successor of each link
    # Resource levelling (riskcast.resources; engine/levelling.py). Off until levelled().
    level_scheme: np.ndarray  # int64 (1,): NO_LEVELLING, PARALLEL or SERIAL
    level_rank: np.ndarray  # int64 (n,): place in the priority order (0 first)
    pool_ids: tuple[str, ...]  # the limited pools (a capacity given), P of them
    dem_ptr: np.ndarray  # int64 (n + 1,): CSR of each activity's demand on limited pools
    dem_pool: np.ndarray  # int64: pool index
    dem_units: np.ndarray  # float64: units held from start to finish
    cap_ptr: np.ndarray  # int64 (P + 1,): CSR of each pool's capacity steps
    cap_time: np.ndarray  # float64: clock time each step begins (the first: -inf)
    cap: np.ndarray  # float64: the capacity from then on
    alap_free_idx: np.ndarray  # int64: the alap tasks that need no limited pool (levelled runs)
    task_priority: np.ndarray  # float64 (n,): each task's own priority (none: 0)
    model_position: np.ndarray  # int64 (n,): the activity's place in the model (tasks first)
    costs: CostArrays  # what each costed task costs per run (riskcast.costing)
    mitigated: frozenset[str]  # the risks compiled with their post-mitigation values

    @property
    def n(self) -> int:
        return len(self.ids)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Network index of every activity id."""
        return {id: k for k, id in enumerate(self.ids)}

    def index(self, id: str) -> int:
        """Network index of activity ``id`` (KeyError when unknown)."""
        return self.positions[id]


def _pert_shape(dist: d.Pert) -> float:
    """The shape s = (mode - low) / (high - low) in [0, 1] of a lambda = 4 PERT."""
    return (dist.mode - dist.low) / (dist.high - dist.low)


def _quantile_row(key: tuple) -> np.ndarray:
    """The quantile row (tables.ROW_LENGTH,) of a ``rows`` key of :func:`_encode`."""
    if key[0] == "pert":
        return tables.pert_row(key[1])
    if key[0] == "lognormal":
        return tables.lognormal_row(*key[1:])
    return tables.beta_row(*key)


def _encode(dist: d.Distribution, aux: list[float], rows: dict, n_pert_rows: int) -> tuple:
    """(code, params) of one distribution; appends to ``aux`` and ``rows`` as needed.

    ``rows`` maps a quantile-row key (a PERT or beta shape, or a lognormal's parameters) to its
    row in the table, which starts with ``n_pert_rows`` rows of the universal PERT table (none
    while PERT shapes get rows of their own, :func:`riskcast.tables.pert_row`).
    """
    if isinstance(dist, d.Fixed) or not dist.has_spread:
        return FIXED, (float(dist.mean),)
    if isinstance(dist, d.Uniform):
        return UNIFORM, (dist.low, dist.high - dist.low)
    if isinstance(dist, d.Triangular):
        width = dist.high - dist.low
        return TRIANGULAR, (dist.low, dist.mode, dist.high, (dist.mode - dist.low) / width)
    if isinstance(dist, d.Pert | d.Beta):
        if isinstance(dist, d.Pert) and dist.lam == 4.0:
            s = _pert_shape(dist)
            if n_pert_rows:
                return PERT_TABLE, (dist.low, dist.high - dist.low, s * tables.N_S)
            row = rows.setdefault(("pert", s), n_pert_rows + len(rows))
            return ROW_TABLE, (dist.low, dist.high - dist.low, float(row))
        shape = dist.shape if isinstance(dist, d.Pert) else (dist.alpha, dist.beta)
        row = rows.setdefault(shape, n_pert_rows + len(rows))
        return ROW_TABLE, (dist.low, dist.high - dist.low, float(row))
    if isinstance(dist, d.Normal):
        ndtr = d.normal_cdf
        a, b = (dist.low - dist.mu) / dist.sd, (dist.high - dist.mu) / dist.sd
        if a > 0:  # the mass sits in the upper tail: sample its mirror for precision
            mirror = (ndtr(-a), ndtr(-a) - ndtr(-b), -1.0)
        else:
            mirror = (ndtr(a), ndtr(b) - ndtr(a), 1.0)
        return NORMAL, (dist.mu, dist.sd, *mirror, dist.low, dist.high)
    if isinstance(dist, d.LogNormal):
        # a quantile row of its own: exp(mu + sigma z(u)), so sampling needs no exp
        row = rows.setdefault(("lognormal", dist.mu, dist.sigma), n_pert_rows + len(rows))
        return LOGNORMAL, (dist.mu, dist.sigma, float(row))
    if isinstance(dist, d.Exponential):
        return EXPONENTIAL, (dist.scale,)
    if isinstance(dist, d.Discrete):
        values, probs = dist.sorted_support
        cumulative = np.cumsum(probs)
        cumulative[-1] = 1.0
        offset = len(aux)
        aux.extend(values)
        aux.extend(cumulative.tolist())
        return DISCRETE, (float(offset), float(len(values)))
    if isinstance(dist, d.Empirical):
        offset = len(aux)
        aux.extend(dist.sorted_values)
        return EMPIRICAL, (float(offset), float(len(dist.values)))
    raise TypeError(f"cannot compile {type(dist).__name__}")  # pragma: no cover


def _last_candidates(
    n: int, pred_ptr: np.ndarray, pred_idx, pred_type, pred_lag, progress
) -> np.ndarray:
    """Activities whose finish can be the project finish: those without a successor link that
    forces the successor to finish no earlier: FS with lag >= 0 (start >= finish + lag, and
    durations are >= 0, exactly in floating point). An FF successor may finish earlier: on its
    own calendar a finish bound in its non-working time is met at the end of its working time
    before it, and on the clock (finish - d) + d can round below the bound. Links into finished
    tasks, or started ones that no longer follow their links, force nothing."""
    bounded = np.zeros(n, bool)
    for j in range(n):
        if progress[j] in (FINISHED, STARTED_OVERRIDE):
            continue
        for e in range(pred_ptr[j], pred_ptr[j + 1]):
            if pred_type[e] == FS and pred_lag[e] >= 0:
                bounded[pred_idx[e]] = True
    return np.flatnonzero(~bounded).astype(np.int64)


class _Timing:
    """Per-task calendar, floors, late constraints and progress, on the plan's clock."""

    def __init__(self, n: int, clock: Clock, project: Project):
        self.clock, self.project = clock, project
        self.status = None if project.status_date is None else clock.date_start(project.status_date)
        # On the elapsed clock the plan begins when the project calendar's start date begins
        # work (08:00, say), not at midnight: a 24-hour task with no predecessor starts then.
        first = project.calendar.periods_on(project.start) if clock.elapsed else ()
        self.origin = first[0][0] / 1440.0 if first else 0.0
        self.override = project.progress_logic == "progress-override"
        self.general = np.zeros(n, bool)
        self.task_cal = np.full(n, -1, np.int64)
        self.start_floor = np.zeros(n)
        self.finish_floor = np.zeros(n)
        self.progress = np.full(n, NOT_STARTED, np.int64)
        self.fixed_start = np.full(n, np.nan)
        self.fixed_finish = np.full(n, np.nan)
        self.dur_scale = np.ones(n)
        self.late: list[tuple[int, float, float]] = []

    def task(self, k: int, task: Task, c: int) -> d.Distribution:
        """Record task k's timing (calendar table c); the estimate the kernel samples for it."""
        clock, estimate = self.clock, task.estimate
        self.task_cal[k] = c
        floor = self.origin
        if task.actual_start is not None:  # it began: its remaining work resumes at the status
            floor = 0.0  # date (validation requires one), not when the plan opens
        elif task.not_before is not None:
            floor = max(floor, clock.date_start(task.not_before))
        if self.status is not None and task.actual_finish is None:
            floor = max(floor, self.status)
        self.start_floor[k] = max(floor, 0.0)
        if task.finish_not_before is not None:  # the end of that date's work (or the date)
            self.finish_floor[k] = self.instant(c, task.finish_not_before, start=False)
        ends = [x for x in (task.finish_not_after, task.deadline) if x is not None]
        if task.not_after is not None or ends:
            self.late.append(
                (
                    k,
                    np.inf if task.not_after is None else clock.date_end(task.not_after),
                    clock.date_end(min(ends)) if ends else np.inf,
                )
            )
        if task.actual_start is not None:
            began = self.instant(c, task.actual_start, start=True)
            self.fixed_start[k] = began
            if task.actual_finish is not None:
                done = self.instant(c, task.actual_finish, start=False)
                self.fixed_finish[k] = max(done, began)
                self.progress[k] = FINISHED
                estimate = d.Fixed(clock.work_at(c, self.fixed_finish[k]) - clock.work_at(c, began))
            else:  # the remaining work resumes no earlier than the work began
                self.start_floor[k] = max(self.start_floor[k], began)
                self.progress[k] = STARTED_OVERRIDE if self.override else STARTED
                if task.remaining is not None:
                    most_likely = estimate.most_likely
                    if most_likely > 0:
                        self.dur_scale[k] = task.remaining / most_likely
                    else:
                        estimate = d.Fixed(float(task.remaining))
                else:
                    self.dur_scale[k] = 1.0 - float(task.percent_complete) / 100.0
        self.general[k] |= c >= 0 or self.finish_floor[k] > 0 or self.progress[k] != NOT_STARTED
        return estimate

    def instant(self, c: int, date: dt.date, start: bool) -> float:
        """An actual date as a clock time: the first working instant of the date (``start``)
        or the end of its work on calendar c; the date's midnight or end when it has none."""
        clock = self.clock
        edge = clock.date_start(date) if start else clock.date_end(date)
        cal = clock.calendars[c] if c >= 0 else None
        if cal is None or not cal.periods_on(date):
            return edge
        return clock.time_at(c, clock.work_at(c, edge), start)

    def late_arrays(self) -> dict[str, np.ndarray]:
        late = self.late
        return {
            "late_idx": np.array([x[0] for x in late], np.int64),
            "late_start": np.array([x[1] for x in late], np.float64),
            "late_finish": np.array([x[2] for x in late], np.float64),
        }


def _probability_range(p: float | tuple[float, float]) -> tuple[float, float]:
    return (float(p[0]), float(p[1])) if isinstance(p, tuple) else (float(p), float(p))


def _risk_arrays(project: Project, index: dict[str, int], mitigated, disabled, encode) -> dict:
    """Risk, impact and gate arrays for one scenario (see :class:`Network`)."""
    n = len(index)
    risks = project.risks
    p_low, p_high, task_ptr, task_idx = [], [], [0], []
    per_task: list[list[tuple]] = [[] for _ in range(n)]
    for r, risk in enumerate(risks):
        on = risk.id not in disabled
        probability, impacts = risk.effective(risk.id in mitigated)
        low, high = _probability_range(probability) if on else (0.0, 0.0)
        p_low.append(low)
        p_high.append(high)
        impacts = [i for i in impacts if i.distribution is not None]  # not the cost-only ones
        hit = sorted({index[i.task] for i in impacts})
        task_idx.extend(hit)
        task_ptr.append(len(task_idx))
        for impact in impacts:
            # shared: one stream for every impact of the risk (its tasks move together)
            stream = risk.id if risk.shared_impact else f"{risk.id}:{impact.task}"
            code, params = encode(impact.distribution)
            row = np.zeros(N_PARAMS)
            row[: len(params)] = params
            multiply = impact.multiply is not None
            # multiplications first, so that additions are never scaled
            per_task[index[impact.task]].append((not multiply, r, multiply, code, row, stream))
    impacts = [sorted(items, key=lambda x: x[0]) for items in per_task]
    flat = [item for items in impacts for item in items]
    gates = []
    for task in project.tasks:
        if task.probability < 1.0:
            gates.append((index[task.id], stream_key("occurs", task.id), 0.0, task.probability))
    for branch in project.branches:
        low = 0.0
        for option in branch.options:
            for id in option.tasks:
                gates.append(
                    (index[id], stream_key("branch", branch.id), low, low + option.probability)
                )
            low += option.probability
    gates.sort()
    return {
        "risk_ids": tuple(r.id for r in risks),
        "risk_key": np.array([stream_key("risk-occurs", r.id) for r in risks], np.uint64),
        "risk_p_key": np.array([stream_key("risk-probability", r.id) for r in risks], np.uint64),
        "risk_p_low": np.array(p_low, np.float64),
        "risk_p_high": np.array(p_high, np.float64),
        "risk_task_ptr": np.array(task_ptr, np.int64),
        "risk_task_idx": np.array(task_idx, np.int64),
        "impact_ptr": np.concatenate([[0], np.cumsum([len(x) for x in impacts])]).astype(np.int64),
        "impact_risk": np.array([x[1] for x in flat], np.int64),
        "impact_multiply": np.array([x[2] for x in flat], np.bool_),
        "impact_code": np.array([x[3] for x in flat], np.int64),
        "impact_params": np.array([x[4] for x in flat]).reshape(len(flat), N_PARAMS),
        "impact_key": np.array([stream_key("risk-impact", x[5]) for x in flat], np.uint64),
        "gated": np.array([g[0] for g in gates], np.int64),
        "gate_key": np.array([g[1] for g in gates], np.uint64),
        "gate_low": np.array([g[2] for g in gates], np.float64),
        "gate_high": np.array([g[3] for g in gates], np.float64),
    }


def _correlation_arrays(project: Project, index: dict[str, int], duration_keys, risk_keys) -> dict:
    """Copula groups over task durations and risk occurrences (one factor per group).

    The groups and their problems come from :func:`riskcast.correlation.plan`, the check that
    :func:`~riskcast.model.validate` reports, so a model that validates always compiles.
    """
    from . import correlation

    n, n_risks = len(index), len(project.risks)
    task_slot = np.full(n, -1, np.int64)
    risk_slot = np.full(n_risks, -1, np.int64)
    slot_key, group_ptr, factor_ptr, factors = [], [0], [0], []
    risk_index = {r.id: k for k, r in enumerate(project.risks)}
    where = {
        "tasks": (index, task_slot, duration_keys),
        "risks": (risk_index, risk_slot, risk_keys),
    }
    checked = correlation.plan(project, list(index))
    if checked.problems:  # validate() has reported them already; kept for direct callers
        raise ModelError(checked.problems, project.source)
    for group in checked.groups:
        lookup, slots, keys = where[group.kind]
        lower = correlation.factor(group, project.repair_correlation)
        for id in group.ids:
            slots[lookup[id]] = len(slot_key)
            slot_key.append(keys[lookup[id]])
        group_ptr.append(len(slot_key))
        factors.extend(lower.ravel().tolist())
        factor_ptr.append(len(factors))
    return {
        "slot_key": np.array(slot_key, np.uint64),
        "group_ptr": np.array(group_ptr, np.int64),
        "factor_ptr": np.array(factor_ptr, np.int64),
        "factors": np.array(factors, np.float64),
        "task_slot": task_slot,
        "risk_slot": risk_slot,
    }


def compile_project(
    project: Project,
    mitigated: bool | Iterable[str] = False,
    disabled: Iterable[str] = (),
) -> Network:
    """Validate ``project`` and compile it to the arrays the engine simulates.

    Parameters
    ----------
    project : Project
        The plan.
    mitigated : bool or iterable of str, default False
        True for every risk's post-mitigation values, or the ids of the mitigated risks.
    disabled : iterable of str, default ()
        Ids of risks switched off (risk drivers); every other draw stays the same.

    Returns
    -------
    Network
        Activities in dependency order, time in working days (see :class:`Network`).

    Raises
    ------
    ModelError
        The plan is invalid (every problem listed), or an id in ``mitigated`` / ``disabled`` is
        not a risk of the plan.

    A Project is immutable, so the network of its latest scenario is kept on it and handed out
    again (simulating the same plan again, with another seed or more runs, compiles nothing):
    treat a returned network's arrays as read-only (``dataclasses.replace`` with copies makes a
    variant, as the risk drivers do).
    """
    validate(project)
    risk_ids = {r.id for r in project.risks}
    mitigated = risk_ids if mitigated is True else set() if mitigated is False else set(mitigated)
    disabled = set(disabled)
    unknown = sorted((mitigated | disabled) - risk_ids)
    if unknown:
        from .suggest import suggestion

        raise ModelError(
            "; ".join(f'no risk "{id}"{suggestion(id, risk_ids)}' for id in unknown)
            + f" (known: {', '.join(sorted(risk_ids)) or 'none'})",
            project.source,
        )
    scenario = (frozenset(mitigated), frozenset(disabled))
    kept = vars(project).get(COMPILED)
    if kept is not None and kept[0] == scenario:
        return kept[1]
    network = _compile(project, mitigated, disabled)
    object.__setattr__(project, COMPILED, (scenario, network))
    return network


def _compile(project: Project, mitigated: set[str], disabled: set[str]) -> Network:
    """The arrays of ``project`` (valid) for one risk scenario."""
    order = topological_order(project)
    index = {id: k for k, id in enumerate(order)}
    by_id = {a.id: a for a in project.activities}
    n = len(order)
    clock = plan_clock(project)

    pred_ptr = np.zeros(n + 1, np.int64)
    pred_idx, pred_type, pred_lag, pred_cal = [], [], [], []
    timing = _Timing(n, clock, project)
    dist_code = np.zeros(n, np.int64)
    dist_params = np.zeros((n, N_PARAMS))
    keys = np.zeros(n, np.uint64)
    plan = np.zeros(n)
    mean = np.zeros(n)
    aux: list[float] = []
    rows: dict[tuple, int] = {}
    impacts = [
        i
        for r in project.risks
        for i in (*r.impacts, *(r.mitigation.impacts or () if r.mitigation else ()))
    ]
    # PERT shapes get quantile rows of their own (one table read per draw instead of two) while
    # they are few; many shapes share the universal table instead, which bounds the memory
    pert_shapes = {
        _pert_shape(x)
        for x in [t.estimate for t in project.tasks]
        + [t.cost.fixed for t in project.tasks if t.cost is not None]
        + [x for i in impacts for x in (i.distribution, i.cost)]
        if isinstance(x, d.Pert) and x.lam == 4.0 and x.has_spread
    }
    shared_pert = len(pert_shapes) > tables.MAX_PERT_ROWS
    n_pert_rows = tables.N_S + 1 if shared_pert else 0
    for k, id in enumerate(order):
        item = by_id[id]
        own = activity_calendar(project, item)
        for link in item.after:
            pred_idx.append(index[link.predecessor])
            pred_type.append(LINK_CODE[link.type])
            pred_lag.append(float(link.lag))
            lag_cal = project.calendars[link.calendar] if link.calendar else own
            pred_cal.append(clock.index(lag_cal) if link.lag else -1)
            timing.general[k] |= pred_cal[-1] >= 0
        pred_ptr[k + 1] = len(pred_idx)
        if isinstance(item, Milestone):
            timing.start_floor[k] = max(timing.status or 0.0, timing.origin)
            continue
        estimate = timing.task(k, item, clock.index(own))
        code, params = _encode(estimate, aux, rows, n_pert_rows)
        dist_code[k] = code
        dist_params[k, : len(params)] = params
        keys[k] = stream_key("duration", id)
        plan[k] = estimate.most_likely
        mean[k] = estimate.mean

    risk_arrays = _risk_arrays(
        project, index, mitigated, disabled, lambda dist: _encode(dist, aux, rows, n_pert_rows)
    )
    correlation_arrays = _correlation_arrays(project, index, keys, risk_arrays["risk_key"])
    costs = cost_arrays(
        project,
        index,
        pred_ptr,
        np.array(pred_idx, np.int64),
        np.array([index[m.id] for m in project.milestones], np.int64),
        risk_arrays["gated"],
        mitigated,
        lambda dist: _encode(dist, aux, rows, n_pert_rows),
    )
    table_rows = [tables.pert_table()] if shared_pert else []
    table_rows += [_quantile_row(key)[None, :] for key in rows]
    table = np.vstack(table_rows) if table_rows else np.zeros((1, tables.ROW_LENGTH))
    pred_idx, pred_type, pred_lag = (
        np.array(pred_idx, np.int64),
        np.array(pred_type, np.int64),
        np.array(pred_lag, np.float64),
    )
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(pred_ptr))
    by_pred = np.argsort(pred_idx, kind="stable").astype(np.int64)
    succ_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(pred_idx, minlength=n), out=succ_ptr[1:])
    alap = [  # a started task's dates are actual: only unstarted ones move
        k
        for k, id in enumerate(order)
        if getattr(by_id[id], "alap", False) and timing.progress[k] == NOT_STARTED
    ]
    pools = pool_arrays(project, order, clock)
    free = [k for k in alap if pools["dem_ptr"][k + 1] == pools["dem_ptr"][k]]
    position = {a.id: k for k, a in enumerate(project.activities)}
    return Network(
        **pools,
        costs=costs,
        mitigated=frozenset(mitigated),
        level_scheme=np.array([NO_LEVELLING], np.int64),
        level_rank=np.zeros(n, np.int64),
        alap_free_idx=np.array(free[::-1], np.int64),
        task_priority=np.array(
            [float(getattr(by_id[i], "priority", None) or 0.0) for i in order], np.float64
        ),
        model_position=np.array([position[i] for i in order], np.int64),
        alap_idx=np.array(alap[::-1], np.int64),
        succ_ptr=succ_ptr,
        succ_link=by_pred,
        link_owner=owner,
        ids=tuple(order),
        is_milestone=np.array([isinstance(by_id[i], Milestone) for i in order]),
        clock=clock,
        start_floor=timing.start_floor,
        general=timing.general,
        task_cal=timing.task_cal,
        pred_cal=np.array(pred_cal, np.int64),
        finish_floor=timing.finish_floor,
        progress=timing.progress,
        fixed_start=timing.fixed_start,
        fixed_finish=timing.fixed_finish,
        dur_scale=timing.dur_scale,
        **timing.late_arrays(),
        **{f"cal_{name}": value for name, value in clock.tables._asdict().items()},
        pred_ptr=pred_ptr,
        pred_idx=pred_idx,
        pred_type=pred_type,
        pred_lag=pred_lag,
        dist_code=dist_code,
        dist_params=dist_params,
        aux=np.array(aux, np.float64) if aux else np.zeros(1),
        table=np.ascontiguousarray(table),
        keys=keys,
        milestone_idx=np.array([index[m.id] for m in project.milestones], np.int64),
        last_candidates=_last_candidates(
            n, pred_ptr, pred_idx, pred_type, pred_lag, timing.progress
        ),
        plan_duration=plan,
        mean_duration=mean,
        **risk_arrays,
        **correlation_arrays,
    )
