"""The cost side of a forecast: cost per target and run, its percentiles, the joint cost-schedule
confidence level (JCL, NASA's and AACE RP 57R-09's "on time and within budget"), and cash flow.

A target's cost in a run is the cost of all the work up to it: every costed task that leads to
it (:mod:`riskcast.costing`), the overheads' standing cost until it is reached (or until their own
milestone, if that comes first) and the costs of the mitigations in force on risks that hit that
work. Costs are in the project's currency units, one value per run, aligned with the target's
finishes: run k's cost and finish are ``cost_samples(id)[k]`` and ``milestone(id).samples[k]``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .clock import intervals
from .costing import fed_targets
from .engine.blocks import by_activity
from .engine.cashflow import spend_changes
from .errors import ArgumentError
from .statistics import check_percentile, percentile_index, percentile_ranks
from .units import TIME_TOLERANCE

if TYPE_CHECKING:
    from .compile import Network
    from .engine.run import Runs
    from .model import Project

CASH_FLOW_POINTS = 300  # at most this many times on the cash-flow curve (whole clock days)
CASH_FLOW_BANDS = (10.0, 50.0, 90.0)
CASH_FLOW_VALUES = 2**22  # task-runs costed over time at once (bounds the float64 copies)


@dataclass
class CostForecast:
    """The simulated cost of one target (a milestone, or the project finish).

    ``samples``: float64 (iterations,), cost per run in currency units, in run order (aligned
    with the target's finishes). ``base`` is the plan's cost: every duration and fixed cost at
    its most likely value, no risk, overheads until the plan dates.
    """

    id: str
    name: str
    samples: np.ndarray
    base: float
    budget: float | None = None
    currency: str = ""
    _sorted: np.ndarray | None = field(default=None, repr=False)

    @property
    def sorted(self) -> np.ndarray:
        """Every run's cost, ascending."""
        if self._sorted is None:
            self._sorted = np.sort(self.samples)
        return self._sorted

    @property
    def iterations(self) -> int:
        return len(self.samples)

    def percentile(self, q: float) -> float:
        """The smallest simulated cost with at least ``q`` % (0 < q <= 100) of the runs at or
        below it (currency units)."""
        return float(self.sorted[percentile_index(self.iterations, q)])

    def percentile_interval(self, q: float, confidence: float = 0.95) -> tuple[float, float]:
        """Monte Carlo interval of :meth:`percentile`: order statistics bounding it with
        probability about ``confidence``, in (0, 1)."""
        lo, hi = percentile_ranks(self.iterations, q, confidence)
        return float(self.sorted[lo]), float(self.sorted[hi])

    def probability_within(self, budget: float | None = None) -> float:
        """Share of runs whose cost is at most ``budget`` (default: the project budget)."""
        amount = _amount(self.budget if budget is None else budget, "budget")
        return int(np.searchsorted(self.sorted, amount, side="right")) / self.iterations

    @property
    def mean(self) -> float:
        return float(self.samples.mean())

    @property
    def sd(self) -> float:
        """Standard deviation (n - 1 in the denominator; 0 for a single run)."""
        return float(self.samples.std(ddof=1)) if self.iterations > 1 else 0.0

    def contingency(self, q: float = 80) -> float:
        """Cost contingency at P``q``: the percentile minus the base (plan) cost."""
        return self.percentile(q) - self.base

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """(costs ascending, share of runs at or below each): the cost S-curve."""
        x = self.sorted
        return x, np.arange(1, len(x) + 1) / len(x)


class FrontierPoint(NamedTuple):
    """A (delivery date, budget) pair that reaches the frontier's joint confidence level."""

    date: dt.date
    budget: float


@dataclass
class CashFlow:
    """Cumulative spend over time, per percentile band, from the runs kept in full.

    ``days``: float64 (G,), the ends of whole clock days (working days from the start on a
    working-day clock, elapsed days otherwise), the last at or after every kept run's finish;
    ``dates``: datetime64[D] (G,), the date each of them ends; ``bands``: percentile ->
    float64 (G,) cumulative spend (currency units). Each run's spend is its tasks' costs spread
    evenly over the clock from start to finish (over its working time on a working-day clock;
    on the elapsed clock nights and weekends take their share too), the overheads as they accrue
    on the project calendar and mitigations at the start, so
    every band is non-decreasing and ends at the percentile of the project's total cost over
    the same runs. ``runs`` says how many runs it is made of.
    """

    days: np.ndarray
    dates: np.ndarray
    bands: dict[float, np.ndarray]
    runs: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": self.days.tolist(),
            "dates": [str(d) for d in self.dates],
            "bands": {f"{q:g}": v.tolist() for q, v in self.bands.items()},
            "runs": self.runs,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CashFlow:
        return cls(
            np.asarray(data["days"], np.float64),
            np.asarray(data["dates"], "datetime64[D]"),
            {float(q): np.asarray(v, np.float64) for q, v in data["bands"].items()},
            int(data["runs"]),
        )


def _amount(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
    ):
        raise ArgumentError(
            f"{name} must be a finite amount of currency units, got {value!r}"
            + ("; the project has no budget: give one" if value is None else "")
        )
    return float(value)


def check_level(level: float) -> float:
    """A joint confidence level in percent, (0, 100]."""
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level <= 100:
        raise ArgumentError(
            f"a confidence level is a percentage in (0, 100], e.g. 70, got {level!r}"
        )
    return float(level)


def within(runs: int, level: float) -> int:
    """Runs that must be inside the quadrant for a joint confidence of ``level`` %."""
    return max(1, math.ceil(check_level(level) / 100 * runs - 1e-9))


def cheapest_budget(finishes: np.ndarray, costs: np.ndarray, bound: float, level: float):
    """The smallest budget B with at least ``level`` % of the runs finished by ``bound``
    (working days, inclusive of the time tolerance) and costing at most B; None when fewer runs
    than that finish by ``bound`` at all."""
    k = within(len(costs), level)
    done = costs[finishes <= bound + TIME_TOLERANCE] if bound > 0 else costs[:0]
    if len(done) < k:
        return None
    return float(np.partition(done, k - 1)[k - 1])


def frontier(finishes, costs, dates, bounds, level: float) -> list[FrontierPoint]:
    """The efficient (date, budget) pairs at ``level`` %: for each of the candidate ``dates``
    (ascending, with their 'finished by' ``bounds``) the cheapest budget, kept where it is
    strictly below that of every earlier date."""
    points, best = [], math.inf
    for date, bound in zip(dates, bounds, strict=True):
        budget = cheapest_budget(finishes, costs, bound, level)
        if budget is not None and budget < best:
            points.append(FrontierPoint(date, budget))
            best = budget
    return points


class WorkingDays:
    """Working days of the project calendar done by clock time t (the overheads' clock)."""

    def __init__(self, network: Network, project: Project):
        self.elapsed = network.clock.elapsed
        self.project = project
        self._knots: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, np.float64)
        if not self.elapsed:  # the clock counts the project calendar's working days
            return np.maximum(t, 0.0)
        days = math.ceil(float(np.max(t, initial=0.0))) + 2
        if self._knots is None or self._knots[0][-1] < days - 1:
            cal = self.project.calendar
            lo, hi = intervals(cal, self.project.start, days)
            worked = np.cumsum((hi - lo) * 24.0 / cal.hours_per_day)
            x = np.column_stack((lo, hi)).ravel()
            y = np.column_stack((worked - (hi - lo) * 24.0 / cal.hours_per_day, worked)).ravel()
            self._knots = (
                np.concatenate(([0.0], x, [float(days)])),
                np.concatenate(([0.0], y, y[-1:])),
            )
        return np.interp(t, *self._knots)


def target_bits(network: Network) -> list[int]:
    """Per activity, the targets it feeds (bits: milestones, then the project finish)."""
    m = len(network.milestone_idx)
    fed = fed_targets(network.n, network.pred_ptr, network.pred_idx, network.milestone_idx)
    return [bits | 1 << m for bits in fed]


def extra_costs(project: Project, network: Network, finishes: np.ndarray, clock: WorkingDays):
    """What the forecast adds to the kernel's task costs, per target and run (T, runs): the
    overheads until each target (or their own milestone, if earlier), and the mitigations."""
    ids = [m.id for m in project.milestones]
    extra = np.zeros_like(finishes)
    for overhead in project.overheads:
        until = finishes[-1 if overhead.until is None else ids.index(overhead.until)]
        extra += overhead.rate * clock(np.minimum(finishes, until))
    extra += mitigation_costs(project, network)[:, None]
    return extra


def mitigation_costs(project: Project, network: Network) -> np.ndarray:
    """Per target (T,), the costs of the mitigations in force on risks that hit its work."""
    out = np.zeros(len(network.milestone_idx) + 1)
    paid = [
        r
        for r in project.risks
        if r.id in network.mitigated and r.mitigation is not None and r.mitigation.cost
    ]
    bits = target_bits(network) if paid else []
    for risk in paid:
        fed = 0
        for impact in risk.impacts:
            fed |= bits[network.index(impact.task)]
        out += risk.mitigation.cost * np.array([fed >> q & 1 for q in range(len(out))])
    return out


def base_costs(project: Project, network: Network, plan_finish: np.ndarray, clock) -> np.ndarray:
    """Per target (T,), the plan's cost: most-likely durations and fixed costs, no risk,
    overheads until the plan dates, mitigations in force."""
    rates = {r.id: r.rate for r in project.resources}
    bits = target_bits(network)
    n_targets = len(network.milestone_idx) + 1
    base = np.zeros(n_targets)
    for task in project.tasks:
        j = network.index(task.id)
        cost = task.cost
        amount = (cost.rate if cost else 0.0) + sum(
            rates.get(a.resource, 0.0) * a.units for a in task.assignments
        )
        amount *= network.plan_duration[j]
        if cost is not None and cost.fixed is not None:
            amount += cost.fixed.most_likely
        if amount:
            base += amount * np.array([bits[j] >> q & 1 for q in range(n_targets)])
    plan = np.array([plan_finish[i] for i in network.milestone_idx] + [plan_finish.max()])
    return base + extra_costs(project, network, plan[:, None], clock)[:, 0]


def task_spend(days: np.ndarray, start, finish, amount) -> np.ndarray:
    """(G, K) cumulative spend at the ascending clock times ``days`` (G,) of tasks (C, K) that
    spend ``amount`` evenly from ``start`` to ``finish`` (at the finish when they take no time);
    see :mod:`riskcast.engine.cashflow`."""
    slopes = np.zeros((len(days), amount.shape[1]))
    steps = np.zeros_like(slopes)
    as_array = np.ascontiguousarray
    spend_changes(
        as_array(days, np.float64),
        as_array(start, np.float64),
        as_array(finish, np.float64),
        as_array(amount, np.float64),
        slopes,
        steps,
    )
    spend = days[:, None] * slopes.cumsum(axis=0) + steps.cumsum(axis=0)
    # past a run's last finish it has spent exactly its total; before, only rounding is removed
    done = days[:, None] >= finish.max(axis=0)[None, :]
    spend = np.where(done, amount.sum(axis=0)[None, :], spend)
    return np.maximum.accumulate(spend, axis=0)


def cash_flow(
    project: Project,
    network: Network,
    runs: Runs,
    clock: WorkingDays,
    bands: tuple[float, ...] = CASH_FLOW_BANDS,
) -> CashFlow:
    """Cumulative spend of the kept runs at the end of whole clock days (see :class:`CashFlow`)."""
    kept = runs.kept
    targets = runs.kept_finishes[:, :kept]
    horizon = float(targets[-1].max()) if kept else 0.0
    step = max(1, math.ceil(horizon / CASH_FLOW_POINTS))
    # the ends of whole clock days (each the spend by the end of that date), through the last
    days = np.arange(step, max(math.ceil(horizon), 1) + step, step, dtype=np.float64)
    ids = [m.id for m in project.milestones]
    spend = np.full((len(days), kept), mitigation_costs(project, network)[-1])
    costs = network.costs
    if runs.kept_cost is not None and len(costs.task):
        chunk = max(1, CASH_FLOW_VALUES // len(costs.task))
        starts = by_activity(runs.kept_start, kept, costs.task)
        finishes = by_activity(runs.kept_finish, kept, costs.task)
        for lo in range(0, kept, chunk):
            part = slice(lo, min(lo + chunk, kept))
            spend[:, part] += task_spend(
                days,
                starts[:, part].astype(np.float64),
                finishes[:, part].astype(np.float64),
                runs.kept_cost[:, part],
            )
    for overhead in project.overheads:
        until = targets[-1 if overhead.until is None else ids.index(overhead.until)]
        spend += overhead.rate * clock(np.minimum(days[:, None], until[None, :]))
    out = {}
    for q in dict.fromkeys(float(check_percentile(q)) for q in bands):
        k = percentile_index(kept, q) if kept else 0
        out[q] = np.partition(spend, k, axis=1)[:, k] if kept else np.zeros(len(days))
    dates = network.clock.calendar.finish_dates(project.start, days)
    return CashFlow(days, dates, out, kept)


def cost_forecasts(
    project: Project, network: Network, runs: Runs, plan_finish: np.ndarray, names: list[str]
) -> tuple[list[CostForecast], WorkingDays]:
    """One :class:`CostForecast` per target (milestones, then the project finish)."""
    clock = WorkingDays(network, project)
    finishes = runs.finishes
    totals = extra_costs(project, network, finishes, clock)
    if runs.costs is not None:
        totals += runs.costs
    base = base_costs(project, network, plan_finish, clock)
    ids = [m.id for m in project.milestones] + ["finish"]
    return [
        CostForecast(id, name, totals[q], float(base[q]), project.budget, project.currency)
        for q, (id, name) in enumerate(zip(ids, names, strict=True))
    ], clock


class CostQueries:
    """The cost questions a :class:`~riskcast.forecast.Forecast` answers (mixed into it).

    Uses the forecast's ``targets``, ``_target_index`` and ``costs`` (a list of
    :class:`CostForecast` per target, None for a plan without costs).
    """

    costs: list[CostForecast] | None
    _cash_flow: CashFlow | None
    _cash_flow_source: Any

    @property
    def has_costs(self) -> bool:
        """Whether the plan costs anything (a model with costs, or a resource with a rate)."""
        return self.costs is not None

    def cost(self, milestone: str | None = None) -> CostForecast:
        """The cost forecast of a milestone (None or ``"finish"``: the project finish).

        Raises
        ------
        ArgumentError
            The plan has no costs, or no such milestone.
        """
        if self.costs is None:
            raise ArgumentError(
                "the plan has no costs: give tasks a cost (fixed, rate), resources a rate, "
                "risks a cost or the project an [[overhead]]"
            )
        return self.costs[self._target_index(milestone)]

    def cost_samples(self, milestone: str | None = None) -> np.ndarray:
        """float64 (iterations,): the milestone's cost per run, aligned with its finishes
        (``milestone(id).samples``): run k costs ``cost_samples(id)[k]``."""
        return self.cost(milestone).samples

    def jcl(
        self,
        milestone: str | None = None,
        date: dt.date | str | None = None,
        budget: float | None = None,
    ) -> float:
        """Joint confidence level: the share of runs in which the milestone is delivered by
        ``date`` (as :meth:`MilestoneForecast.probability_by` counts it) *and* costs at most
        ``budget``.

        Parameters
        ----------
        milestone : str, optional
            A milestone id (None: the project finish).
        date : datetime.date or str, optional
            Default: the milestone's target date.
        budget : float, optional
            Currency units; default: the project budget.

        Returns
        -------
        float
            In [0, 1]; never above either :meth:`probability_by` or
            :meth:`CostForecast.probability_within`.
        """
        target, cost = self._joint(milestone)
        bound = target.to_days(self._date(target, date))
        amount = _amount(cost.budget if budget is None else budget, "budget")
        if bound <= 0:
            return 0.0
        inside = (target.samples <= bound + TIME_TOLERANCE) & (cost.samples <= amount)
        return int(np.count_nonzero(inside)) / len(cost.samples)

    def cheapest_budget(
        self, milestone: str | None = None, date: dt.date | str | None = None, level: float = 70
    ) -> float | None:
        """The smallest budget that, with ``date``, reaches a joint confidence of ``level`` %
        (None when fewer than ``level`` % of the runs are delivered by ``date`` at all)."""
        target, cost = self._joint(milestone)
        bound = target.to_days(self._date(target, date))
        return cheapest_budget(target.samples, cost.samples, bound, level)

    def jcl_frontier(self, milestone: str | None = None, level: float = 70) -> list[FrontierPoint]:
        """The iso-confidence frontier: the (date, budget) pairs that reach a joint confidence
        of ``level`` % where no earlier date reaches it as cheaply, from the first delivery
        date with ``level`` % of the runs delivered to the date the budget stops falling."""
        target, cost = self._joint(milestone)
        dates = np.unique(target.calendar.finish_dates(target.start, target.samples))
        bounds = np.asarray(target.calendar.days_until_end_of(target.start, dates), float)
        return frontier(
            target.samples, cost.samples, [d.astype(dt.date) for d in dates], bounds, level
        )

    def schedule_contingency(self, milestone: str | None = None, q: float = 80) -> float:
        """Schedule contingency at P``q``: the percentile finish minus the plan finish, in
        working days."""
        target = self.milestone(milestone)
        return target.percentile_days(q) - target.cpm_days

    def cash_flow(self) -> CashFlow:
        """Cumulative spend over time, P10/P50/P90 (see :class:`CashFlow`)."""
        self.cost()  # the plan has costs
        if self._cash_flow is None:
            self._cash_flow = self._cash_flow_source()
        return self._cash_flow

    def _joint(self, milestone: str | None):
        cost = self.cost(milestone)
        target = self.milestone(milestone)
        if target.samples is None:  # pragma: no cover - runs with costs are always exact
            raise ArgumentError("joint confidence needs every run's finish")
        return target, cost

    @staticmethod
    def _date(target, date: dt.date | str | None):
        if date is not None:
            return date
        if target.target is None:
            raise ArgumentError(
                f'give a date: milestone "{target.id}" has no target date to default to'
            )
        return target.target
