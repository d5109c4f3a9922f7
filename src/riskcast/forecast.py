"""Forecast: simulation results with names and dates attached, and every statistic users read.

Definitions (also in the README):

* **Percentile** q of a milestone: the smallest simulated finish t with at least q % of the runs
  finishing at or before t (the inverted empirical CDF), delivered on a date by the calendar's
  rounding rule. So ``probability_by(percentile(q)) >= q / 100`` always holds.
* **Confidence interval** of a percentile: the order statistics at ranks n q -/+ z sqrt(n q (1-q))
  (distribution-free, normal approximation to the binomial), 95 % by default.
* **Criticality** of a task towards a milestone: the share of runs in which the task has zero total
  float with respect to that milestone's simulated finish (delaying it would delay the milestone).
  Towards the project finish, float is measured against the latest finish of the run.
* **Sensitivity**: Spearman rank correlation between a task's duration and a milestone's finish,
  over the first K runs kept in full (K is in ``kept_iterations``; its standard error is about
  1/sqrt(K)).
* **Schedule sensitivity index** (PMI): criticality x sd(task duration) / sd(milestone finish).
* **Merge bias** of a merge point (an activity with two or more predecessors): mean simulated start
  minus its plan (CPM) start, in working days.
* **Plan (CPM)**: the deterministic schedule with every duration at its most-likely value
  (the mode of three-point estimates, the median otherwise).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import statistics
from .budget import CashFlow, CostForecast, CostQueries, cash_flow, cost_forecasts
from .calendar import Calendar
from .costs import has_costs
from .engine.levelling import NO_LEVELLING
from .engine.run import cost_runs
from .errors import ArgumentError
from .model import as_date
from .statistics import percentile_index, percentile_ranks
from .suggest import suggestion
from .units import TIME_TOLERANCE
from .utilisation import PoolReport

if TYPE_CHECKING:
    from .compile import Network
    from .engine.binning import Binned
    from .engine.run import Runs
    from .model import Project

FINISH_ID = "finish"  # the id of the project finish in forecasts


LAST_DATE = dt.date(9000, 1, 1)  # simulated dates stay well inside what dates and charts hold


def activity_dates(
    calendar: Calendar, origin: dt.date, start: np.ndarray, finish: np.ndarray, started: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Start and finish dates of activities from clock times (n,) each.

    A start is on the date of its instant, a finish on the date its last moment of work is in.
    A zero-length activity at a day boundary (a milestone at 17:00 or midnight) is one date:
    its finish's (the day it ends), or for a started task (``started``, bool (n,)) the date it
    actually began.

    Returns
    -------
    start_dates, finish_dates : numpy.ndarray
        object (n,) of ``datetime.date``.
    """
    starts = calendar.start_dates(origin, start).astype(dt.date)
    finishes = calendar.finish_dates(origin, finish).astype(dt.date)
    for j in np.flatnonzero(starts > finishes):
        if started[j]:
            finishes[j] = starts[j]
        else:
            starts[j] = finishes[j]
    return starts, finishes


def _check_dates_representable(project: Project, network: Network, latest: float) -> None:
    """ModelError when the latest simulated finish is dated after :data:`LAST_DATE` (durations
    in the wrong unit, say minutes given as days), before any date conversion overflows. On the
    elapsed clock of several calendars the limit is the end of the calendars' tables."""
    from .errors import ModelError
    from .model import DATE_HORIZON

    clock = network.clock
    last = DATE_HORIZON[1] if clock.elapsed else LAST_DATE
    limit = clock.calendar.days_until_end_of(project.start, last)
    if latest > limit:
        unit = "days" if clock.elapsed else "working days"
        raise ModelError(
            f"the simulation reaches {latest:,.0f} {unit} after the start, past "
            f"{last.isoformat()}; check the units of the durations and lags",
            project.source,
        )


@dataclass
class MilestoneForecast:
    """The simulated finish of one milestone (or of the whole project).

    ``samples``: float64 (iterations,), finish per run in working days from the project start;
    None past :func:`~riskcast.engine.binning.exact_runs` runs, where ``binned`` holds their
    day-aligned histogram instead (every date and probability stays exact, a percentile in
    working days is within ``resolution``).
    """

    id: str
    name: str
    samples: np.ndarray | None
    cpm_days: float
    target: dt.date | None
    calendar: Calendar
    start: dt.date
    binned: Binned | None = field(default=None, repr=False)
    _finishes: statistics.Finishes | None = field(default=None, repr=False)

    @property
    def finishes(self) -> statistics.Finishes:
        """The finishes' order statistics, counts and moments."""
        if self._finishes is None or self._finishes.samples is not self.samples:
            self._finishes = statistics.Finishes(self.samples, self.binned)
        return self._finishes

    @property
    def iterations(self) -> int:
        """Runs simulated."""
        return self.finishes.n

    @property
    def resolution(self) -> float:
        """Largest error of a percentile in working days: 0, or the histogram's bin width."""
        return self.finishes.resolution

    @property
    def sorted_samples(self) -> np.ndarray:
        """Every run's finish, ascending (None when the runs are binned)."""
        return None if self.samples is None else self.finishes.sorted

    def to_date(self, days: float) -> dt.date:
        """The delivery date of a finish.

        Parameters
        ----------
        days : float
            Working days from the project start.

        Returns
        -------
        datetime.date
            The working day the finish falls on (the calendar's rounding rule).
        """
        return self.calendar.finish_dates(self.start, np.array([days]))[0].astype(dt.date)

    def to_days(self, date: dt.date | str) -> float:
        """The 'finished by' bound of a date.

        Parameters
        ----------
        date : datetime.date or str
            A calendar date (ISO string accepted).

        Returns
        -------
        float
            Working days from the project start through the end of ``date``.
        """
        return float(self.calendar.days_until_end_of(self.start, as_date(date, "date")))

    @property
    def cpm_date(self) -> dt.date:
        """The deterministic plan date (all durations at their most-likely value)."""
        return self.to_date(self.cpm_days)

    def percentile_days(self, q: float) -> float:
        """Percentile ``q`` of the finish in working days from the start.

        Parameters
        ----------
        q : float
            In (0, 100].

        Returns
        -------
        float
            The smallest simulated finish with at least ``q`` % of the runs at or below it.

        Raises
        ------
        ArgumentError
            ``q`` outside (0, 100] (also a ``ValueError``).
        """
        return self.finishes.value_at_rank(percentile_index(self.iterations, q))

    def percentile(self, q: float) -> dt.date:
        """The date by which at least ``q`` % of the runs delivered this milestone.

        Parameters
        ----------
        q : float
            Percentile in (0, 100].

        Returns
        -------
        datetime.date
            :meth:`percentile_days` delivered by the calendar's rounding rule.
        """
        return self.to_date(self.percentile_days(q))

    def percentile_interval_days(self, q: float, confidence: float = 0.95) -> tuple[float, float]:
        """Monte Carlo confidence interval of :meth:`percentile_days`.

        Parameters
        ----------
        q : float
            Percentile in (0, 100].
        confidence : float, default 0.95
            Probability in (0, 1) that the interval holds the true percentile.

        Returns
        -------
        (float, float)
            Order statistics bounding the percentile, working days.

        Raises
        ------
        ArgumentError
            ``q`` or ``confidence`` out of range (also a ``ValueError``).
        """
        lo, hi = percentile_ranks(self.iterations, q, confidence)
        return self.finishes.value_at_rank(lo), self.finishes.value_at_rank(hi)

    def percentile_interval(self, q: float, confidence: float = 0.95) -> tuple[dt.date, dt.date]:
        """Monte Carlo confidence interval of :meth:`percentile` (dates).

        Parameters
        ----------
        q : float
            Percentile in (0, 100].
        confidence : float, default 0.95
            Probability in (0, 1).

        Returns
        -------
        (datetime.date, datetime.date)
            :meth:`percentile_interval_days` as delivery dates.
        """
        lo, hi = self.percentile_interval_days(q, confidence)
        return self.to_date(lo), self.to_date(hi)

    def probability_by(self, date: dt.date | str) -> float:
        """Share of runs delivered on or before ``date``.

        Parameters
        ----------
        date : datetime.date or str
            A calendar date (ISO ``YYYY-MM-DD`` string accepted).

        Returns
        -------
        float
            In [0, 1]: the runs whose finish, by the calendar's rounding rule, falls on or before
            ``date`` (finishes within :data:`~riskcast.units.TIME_TOLERANCE` past the end of
            ``date`` count as on it). A date before the first working day gives 0.
        """
        bound = self.to_days(date)
        if bound <= 0:  # even a finish at t = 0 is delivered on the first working day
            return 0.0
        return self.finishes.count_at_most(bound + TIME_TOLERANCE) / self.iterations

    @property
    def target_probability(self) -> float | None:
        """Probability of delivering by the target date, or None without a target."""
        return None if self.target is None else self.probability_by(self.target)

    @property
    def mean_days(self) -> float:
        """Mean finish, working days from the start."""
        return self.finishes.mean

    @property
    def sd_days(self) -> float:
        """Standard deviation of the finish (working days, n - 1 in the denominator)."""
        return self.finishes.sd

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """The empirical distribution of the finish.

        Returns
        -------
        x, share : numpy.ndarray
            float64 (k,) each: finishes ascending (working days; bin edges past the exact-runs
            limit) and the share of runs finished by each.
        """
        return self.finishes.cdf()

    def cdf_dates(self) -> tuple[np.ndarray, np.ndarray]:
        """The delivery-date S-curve.

        Returns
        -------
        dates, cumulative : numpy.ndarray
            datetime64[D] (d,) ascending, and float64 (d,): the share of runs delivered on or
            before each date.
        """
        x, share = self.finishes.cdf()
        dates = self.calendar.finish_dates(self.start, x)
        unique, last = np.unique(dates[::-1], return_index=True)
        return unique, share[len(x) - 1 - last]

    def same_finishes(self, other: MilestoneForecast) -> bool:
        """Whether ``other`` finished exactly when this one did in every run."""
        if self.samples is not None and other.samples is not None:
            return bool(np.array_equal(self.samples, other.samples))
        a, b = self.binned, other.binned
        return (
            a is not None
            and b is not None
            and (a.origin, a.width, a.n, a.low, a.high) == (b.origin, b.width, b.n, b.low, b.high)
            and np.array_equal(a.counts, b.counts)
        )

    def date_shares(self) -> tuple[np.ndarray, np.ndarray]:
        """The delivery-date histogram.

        Returns
        -------
        dates, shares : numpy.ndarray
            datetime64[D] (d,) ascending, and float64 (d,): the share of runs delivered on each
            date (they sum to 1).
        """
        dates, cumulative = self.cdf_dates()
        return dates, np.diff(cumulative, prepend=0.0)


class Forecast(CostQueries):
    """Delivery-date confidence for every milestone of a project, and what drives it; with
    costs, the cost of each milestone and the joint cost-schedule confidence (:mod:`.budget`).

    Built by :func:`riskcast.simulate`; rebuilt from :meth:`to_dict` output by :meth:`from_dict`.
    Task statistics are arrays in model order of ``task_ids``.
    """

    def __init__(
        self,
        *,
        project_name: str,
        start: dt.date,
        calendar: Calendar,
        seed: int,
        iterations: int,
        milestones: list[MilestoneForecast],
        project_finish: MilestoneForecast,
        task_ids: list[str],
        task_names: list[str],
        stats: dict[str, np.ndarray],
        merge_points: dict[str, tuple[float, float]],
        kept_iterations: int,
        risk_ids: list[str] | None = None,
        risk_titles: list[str] | None = None,
        project: Any = None,
        deferred: dict[str, Callable[[], dict[str, np.ndarray]]] | None = None,
    ):
        self.project_name = project_name
        self.start = start
        self.calendar = calendar
        self.seed = seed
        self.iterations = iterations
        self.milestones = milestones
        self.project_finish = project_finish
        self.task_ids = task_ids
        self.task_names = task_names
        self._stats = stats
        self._deferred = dict(deferred or {})
        self.merge_points = merge_points
        self.kept_iterations = kept_iterations
        self.project = project
        self.risk_ids = risk_ids or []
        self.risk_titles = risk_titles or []
        self._misses: list[dict[str, Any]] = []  # see constraint_misses
        self.status_date: dt.date | None = None  # the data date of a schedule update
        self.precision: float | None = None  # working days, when the precision rule chose the runs
        self.mitigation: str | list[str] = "pre"  # the risk scenario simulated
        # (scheme, priority rule) when limited resource pools were levelled in every run
        self.levelling: tuple[str, str] | None = None
        # with levelling: the same runs without resource limits (not kept in JSON files)
        self.unlevelled: Forecast | None = None
        self.pools: PoolReport | None = None  # with levelling: what the limited pools did
        self.costs: list[CostForecast] | None = None  # per target, when the plan has costs
        self._cash_flow: CashFlow | None = None
        # read from a compact file: what it keeps of the costs (see cost_summary)
        self._cost_summary: dict[str, Any] | None = None
        self._cash_flow_source: Callable[[], CashFlow] | None = None

    @classmethod
    def from_runs(cls, project: Project, network: Network, runs: Runs) -> Forecast:
        """The forecast of ``project`` from the engine's raw ``runs`` of its compiled ``network``.

        Plan (CPM) dates come from the engine's own forward pass over the most-likely durations;
        the statistics of the kept runs (ranks, sorts) are computed when first asked for.
        """
        from .engine.run import forward_pass

        rows = np.array([network.index(t.id) for t in project.tasks], np.int64)
        plan_start, plan_finish = forward_pass(network, network.plan_duration)
        stats = statistics.streamed_task_statistics(runs, network, rows, (plan_start, plan_finish))
        mean_start = runs.sums[0] / runs.iterations

        def target(id: str, name: str, row: int, cpm: float, date: dt.date | None):
            samples = None if runs.finishes is None else runs.finishes[row]
            binned = None if runs.binned is None else runs.binned[row]
            return MilestoneForecast(
                id, name, samples, cpm, date, network.clock.calendar, project.start, binned
            )

        latest = max(b.high for b in runs.binned) if runs.binned else np.max(runs.finishes)
        _check_dates_representable(project, network, float(latest))
        plan = (plan_start, plan_finish)
        milestones = [
            target(m.id, m.label, k, float(plan_finish[network.milestone_idx[k]]), m.target)
            for k, m in enumerate(project.milestones)
        ]
        finish = target(FINISH_ID, "Project finish", -1, float(plan_finish.max()), None)
        forecast = cls(
            project_name=project.name,
            start=project.start,
            calendar=network.clock.calendar,
            seed=runs.seed,
            iterations=runs.iterations,
            milestones=milestones,
            project_finish=finish,
            task_ids=[t.id for t in project.tasks],
            task_names=[t.label for t in project.tasks],
            stats=stats,
            merge_points=statistics.merge_points(
                project.activities, network, mean_start, plan_start
            ),
            kept_iterations=runs.kept,
            risk_ids=[r.id for r in project.risks],
            risk_titles=[r.label for r in project.risks],
            project=project,
            deferred={
                "sensitivity": lambda: statistics.kept_task_statistics(runs, rows, finishes=False),
                **dict.fromkeys(
                    (f"finish_p{q}" for q in statistics.FINISH_PERCENTILES),
                    lambda: statistics.kept_task_statistics(runs, rows, sensitivity=False),
                ),
            },
        )
        forecast._record_misses(project, network, runs, plan)
        forecast.status_date = project.status_date
        if has_costs(project):
            if runs.finishes is None:
                raise ArgumentError(
                    f"a plan with costs keeps every run: at most {cost_runs(len(milestones) + 1):,}"
                    " runs"
                )
            names = [m.name for m in milestones] + [finish.name]
            forecast.costs, clock = cost_forecasts(project, network, runs, plan_finish, names)
            forecast._cash_flow_source = lambda: cash_flow(project, network, runs, clock)
        if network.level_scheme[0] != NO_LEVELLING:
            forecast.pools = PoolReport.from_runs(runs, network)
        return forecast

    def resource_criticality(self, milestone: str | None = None) -> dict[str, float]:
        """Per limited pool, the share of runs in which it held back a task that was critical
        for ``milestone`` (None: the project finish): resources levelled in every run.

        Returns
        -------
        dict of str to float
            Pool id -> share in [0, 1]; empty without levelling.
        """
        if self.pools is None:
            return {}
        row = self.pools.critical[self._target_index(milestone)]
        return {p: float(row[k]) / self.pools.iterations for k, p in enumerate(self.pools.ids)}

    def resource_usage(self, pool: str) -> dict[str, np.ndarray]:
        """Units of a limited pool in use per day of the plan (levelled runs kept in full).

        Returns
        -------
        dict
            ``dates`` (datetime64[D], one per working day of the project calendar, or per
            calendar day when tasks work on several calendars), ``p50``, ``p90``, ``mean``
            (time-weighted units in use that day, across runs) and ``capacity``.
        """
        if self.pools is None or pool not in self.pools.usage:
            known = list(self.pools.usage) if self.pools else []
            raise ArgumentError(
                f'no levelled pool "{pool}"'
                + (f" (levelled: {', '.join(known)})" if known else " (no pool was levelled)")
                + suggestion(pool, known)
            )
        bands = self.pools.usage[pool]
        days = np.arange(len(bands["p50"]), dtype=float)
        return {"dates": self.calendar.start_dates(self.start, days), **bands}

    @property
    def stats(self) -> dict[str, np.ndarray]:
        """Per-task statistics, arrays over targets x tasks or tasks (model order)."""
        for name in list(self._deferred):
            self._stat(name)
        return self._stats

    def _stat(self, name: str) -> np.ndarray:
        """One statistic, computing its deferred group (ranks and sorts of the kept runs) the
        first time one of them is asked for."""
        compute = self._deferred.get(name)
        if compute is not None:
            self._stats.update(compute())
            self._deferred = {k: f for k, f in self._deferred.items() if f is not compute}
        return self._stats[name]

    @property
    def targets(self) -> list[MilestoneForecast]:
        """Every milestone, then the project finish (id ``"finish"``)."""
        return [*self.milestones, self.project_finish]

    def _target_index(self, milestone: str | None) -> int:
        ids = [m.id for m in self.targets]
        key = FINISH_ID if milestone is None else milestone
        if key not in ids:
            raise ArgumentError(
                f'no milestone "{key}"{suggestion(key, ids)} (known: {", ".join(ids)})'
            )
        return ids.index(key)

    def milestone(self, id: str | None = None) -> MilestoneForecast:
        """A milestone's forecast.

        Parameters
        ----------
        id : str, optional
            A milestone id; ``None`` or ``"finish"`` gives the project finish.

        Returns
        -------
        MilestoneForecast

        Raises
        ------
        ArgumentError
            No such milestone (the message suggests the nearest id).
        """
        return self.targets[self._target_index(id)]

    def _per_task(self, name: str, milestone: str | None) -> dict[str, float]:
        row = self._stat(name)[self._target_index(milestone)]
        return dict(zip(self.task_ids, row.tolist(), strict=True))

    def criticality(self, milestone: str | None = None) -> dict[str, float]:
        """Per task, the share of runs in which it is critical for ``milestone`` (in [0, 1]).

        Parameters
        ----------
        milestone : str, optional
            A milestone id; ``None`` or ``"finish"`` for the project finish.

        Returns
        -------
        dict of str to float
            {task id: value}, in model order.

        Raises
        ------
        ArgumentError
            No such milestone.
        """
        return self._per_task("criticality", milestone)

    def sensitivity(self, milestone: str | None = None) -> dict[str, float]:
        """Per task, Spearman correlation of its duration with the milestone's finish (in [-1, 1],
        over the first ``kept_iterations`` runs; standard error about 1/sqrt of that).

        Parameters
        ----------
        milestone : str, optional
            A milestone id; ``None`` or ``"finish"`` for the project finish.

        Returns
        -------
        dict of str to float
            {task id: value}, in model order.

        Raises
        ------
        ArgumentError
            No such milestone.
        """
        return self._per_task("sensitivity", milestone)

    def schedule_sensitivity(self, milestone: str | None = None) -> dict[str, float]:
        """Per task, the schedule sensitivity index: criticality x sd(task) / sd(milestone).

        Parameters
        ----------
        milestone : str, optional
            A milestone id; ``None`` or ``"finish"`` for the project finish.

        Returns
        -------
        dict of str to float
            {task id: value}, in model order.

        Raises
        ------
        ArgumentError
            No such milestone.
        """
        k = self._target_index(milestone)
        sd = self.targets[k].sd_days
        ssi = (
            self._stat("criticality")[k] * self._stat("duration_sd") / sd
            if sd > 0
            else (np.zeros(len(self.task_ids)))
        )
        return dict(zip(self.task_ids, ssi.tolist(), strict=True))

    def risk_occurrence(self) -> dict[str, float]:
        """Per risk, the share of runs in which it occurred.

        Returns
        -------
        dict of str to float
            {risk id: share in [0, 1]}.
        """
        return dict(zip(self.risk_ids, self._stat("risk_occurred").tolist(), strict=True))

    def risk_criticality(self, milestone: str | None = None) -> dict[str, float]:
        """Per risk, the share of runs in which it occurred and hit a task that was critical for
        ``milestone``.

        Parameters
        ----------
        milestone : str, optional
            A milestone id; ``None`` or ``"finish"`` for the project finish.

        Returns
        -------
        dict of str to float
            {risk id: share in [0, 1]}.
        """
        row = self._stat("risk_critical")[self._target_index(milestone)]
        return dict(zip(self.risk_ids, row.tolist(), strict=True))

    def merge_bias(self) -> dict[str, float]:
        """Per merge point (two or more predecessors), mean simulated start minus plan start.

        Returns
        -------
        dict of str to float
            {activity id: working days}.
        """
        return {id: mean - plan for id, (mean, plan) in self.merge_points.items()}

    def task_table(self) -> list[dict[str, Any]]:
        """One row per task: plan dates, mean start/finish, P10/P50/P80/P90 finish dates,
        criticality and sensitivity towards the project finish.

        Returns
        -------
        list of dict
            Keys ``id``, ``name``, ``plan_start``, ``plan_finish`` (dates),
            ``mean_start_days``, ``mean_finish_days`` (days from the start on the plan's
            clock: working days of the project calendar, or calendar days when tasks work on
            several calendars), ``mean_duration_days``, ``sd_duration_days`` (working days of
            the task's calendar), ``p10_finish`` ... ``p90_finish`` (dates), ``criticality``,
            ``sensitivity``.
        """
        cal, start = self.calendar, self.start
        s = self.stats
        started = s["started"] if "started" in s else np.zeros(len(self.task_ids))
        plan_start, plan_finish = activity_dates(
            cal, start, s["plan_start"], s["plan_finish"], started > 0
        )
        quantiles = {
            q: cal.finish_dates(start, s[f"finish_p{q}"]).astype(dt.date) for q in (10, 50, 80, 90)
        }
        finish = self._target_index(None)
        rows = []
        for j, id in enumerate(self.task_ids):
            rows.append(
                {
                    "id": id,
                    "name": self.task_names[j],
                    "plan_start": plan_start[j],
                    "plan_finish": plan_finish[j],
                    "mean_start_days": float(s["mean_start"][j]),
                    "mean_finish_days": float(s["mean_finish"][j]),
                    "mean_duration_days": float(s["duration_mean"][j]),
                    "sd_duration_days": float(s["duration_sd"][j]),
                    **{f"p{q}_finish": quantiles[q][j] for q in quantiles},
                    "criticality": float(s["criticality"][finish, j]),
                    "sensitivity": float(s["sensitivity"][finish, j]),
                }
            )
        return rows

    def constraint_misses(self) -> list[dict[str, Any]]:
        """The late constraints (start no later than, finish no later than, deadline) and the
        share of runs that miss each: riskcast never moves a date to meet one.

        Returns
        -------
        list of dict
            Keys ``id`` (task), ``constraint`` (``"not_after"``, ``"finish_not_after"`` or
            ``"deadline"``), ``date``, ``plan_missed`` (the plan misses it) and ``share``
            (of the runs that miss it, in [0, 1]), in task order.
        """
        return [dict(row) for row in self._misses]

    def _record_misses(self, project: Project, network: Network, runs: Runs, plan) -> None:
        """Fill :meth:`constraint_misses` from the runs' counts and the plan dates."""
        plan_start, plan_finish = plan
        from .units import TIME_TOLERANCE

        for q, j in enumerate(network.late_idx):
            task = project.task(network.ids[j])
            rows = [("not_after", task.not_after, 0)]
            late = [(n, getattr(task, n)) for n in ("finish_not_after", "deadline")]
            late = [(n, v) for n, v in late if v is not None]
            if late:
                name, date = min(late, key=lambda x: x[1])
                rows.append((name, date, 1))
            for name, date, kind in rows:
                if date is None:
                    continue
                if kind == 0:
                    missed = plan_start[j] >= network.late_start[q] - TIME_TOLERANCE
                else:
                    missed = plan_finish[j] > network.late_finish[q] + TIME_TOLERANCE
                self._misses.append(
                    {
                        "id": task.id,
                        "constraint": name,
                        "date": date,
                        "plan_missed": bool(missed),
                        "share": float(runs.missed[kind, q]) / runs.iterations,
                    }
                )

    def summary(self, percentiles: tuple[float, ...] = (50, 80, 95)) -> list[dict[str, Any]]:
        """One row per milestone (then the project finish): plan date, P-dates, target odds.

        Parameters
        ----------
        percentiles : tuple of float, default (50, 80, 95)
            The P-dates wanted, each in (0, 100].

        Returns
        -------
        list of dict
            Keys ``id``, ``name``, ``target``, ``plan``, ``mean_days``, ``sd_days``, ``p50`` ...
            (dates) and ``probability_of_target`` (None without a target).
        """
        rows = []
        for m in self.targets:
            row: dict[str, Any] = {
                "id": m.id,
                "name": m.name,
                "target": m.target,
                "plan": m.cpm_date,
                "mean_days": m.mean_days,
                "sd_days": m.sd_days,
            }
            for q in percentiles:
                row[f"p{q:g}"] = m.percentile(q)
            row["probability_of_target"] = m.target_probability
            rows.append(row)
        return rows

    def to_frame(self, percentiles: tuple[float, ...] = (50, 80, 95)):
        """The milestone table as a pandas DataFrame (needs the ``pandas`` extra).

        Parameters
        ----------
        percentiles : tuple of float, default (50, 80, 95)
            The P-dates wanted, each in (0, 100].

        Returns
        -------
        pandas.DataFrame
            Indexed by milestone id (``finish``: the project finish); dates as ``datetime64``
            columns; with costs, the cost columns of :func:`riskcast.frames.milestone_rows`.
        """
        from .frames import milestone_frame

        return milestone_frame(self, percentiles)

    def task_frame(self):
        """:meth:`task_table` as a pandas DataFrame indexed by task id (``pandas`` extra)."""
        from .frames import task_frame

        return task_frame(self)

    def _repr_html_(self) -> str:
        from .frames import forecast_html

        return forecast_html(self)

    # -- serialisation --------------------------------------------------------------------------
    def to_dict(self, samples: bool = True) -> dict[str, Any]:
        """The forecast as plain data.

        Parameters
        ----------
        samples : bool, default True
            Keep every run's finish and cost. False gives the compact form, a small fraction of
            the size: each target as its day-aligned histogram
            (:func:`~riskcast.compact.compact_histogram`: every date and probability
            stays exact, a percentile in working days is within the bin width, its
            ``resolution`` once read back) and, with costs, each target's
            :attr:`cost_summary` instead of its cost per run.

        Returns
        -------
        dict
            JSON-ready (format ``riskcast-forecast/1``, described by
            :func:`riskcast.output_schema.forecast_schema`): milestones with their samples (or
            histogram), task and risk statistics, seed, runs. :meth:`from_dict` turns it back
            into an equal forecast (of the compact form: one without per-run costs).
        """
        from .forecast_json import forecast_dict

        return forecast_dict(self, samples)

    @property
    def cost_summary(self) -> dict[str, Any] | None:
        """The cost side in brief, the same for a forecast with its runs and one read from a
        compact file (which keeps only this, and :meth:`cash_flow`); None without costs.

        Returns
        -------
        dict or None
            ``budget`` (currency units, None without one), ``currency`` and ``targets``: per
            target id (milestones, then ``"finish"``) a dict of ``base`` (the plan's cost),
            ``percentiles`` ({percent: amount} for P5, P10, ..., P95), ``mean``, ``sd``
            (amounts in currency units) and ``probability_within_budget`` (share of runs, None
            without a budget).
        """
        if self.costs is None:
            return self._cost_summary
        from .compact import cost_summary

        first = self.costs[0]
        return {
            "budget": first.budget,
            "currency": first.currency,
            "targets": {c.id: cost_summary(c) for c in self.costs},
        }

    def cost(self, milestone: str | None = None) -> CostForecast:
        """The cost forecast of a milestone (None or ``"finish"``: the project finish).

        Raises
        ------
        ArgumentError
            The plan has no costs, the forecast was read from a compact file (its runs' costs
            were not kept: see :attr:`cost_summary`), or no such milestone.
        """
        if self.costs is None and self._cost_summary is not None:
            raise ArgumentError(
                "this forecast was saved without its runs (--no-samples, to_dict(samples=False)):"
                " the cost of each run, and with it the JCL, is not in the file; "
                "forecast.cost_summary has each milestone's cost percentiles, mean, sd and share "
                "within the budget, forecast.cash_flow() the cash flow"
            )
        return super().cost(milestone)

    def cash_flow(self) -> CashFlow:
        """Cumulative spend over time, P10/P50/P90 (see :class:`~riskcast.budget.CashFlow`),
        also of a forecast read from a compact file."""
        if self.costs is None and self._cash_flow is not None:
            return self._cash_flow
        return super().cash_flow()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Forecast:
        """The forecast that :meth:`to_dict` wrote.

        Parameters
        ----------
        data : dict
            A ``riskcast-forecast/1`` dict (e.g. ``json.load`` of ``forecast.json``), either
            form, of this riskcast or an earlier one.

        Returns
        -------
        Forecast
            Without the project (``forecast.project`` is None). From the compact form, each
            target's finishes are its histogram, and costs are only :attr:`cost_summary` and
            :meth:`cash_flow` (``has_costs`` is False: the per-run costs are gone).

        Raises
        ------
        ArgumentError
            ``data`` is not a riskcast forecast.
        """
        from .forecast_json import forecast_from_dict

        return forecast_from_dict(cls, data)

    def to_json(self, samples: bool = True) -> str:
        """:meth:`to_dict` as JSON text (``samples=False``: the compact form)."""
        return json.dumps(self.to_dict(samples))

    @classmethod
    def from_json(cls, text: str) -> Forecast:
        """:meth:`from_dict` of JSON text (a ``forecast.json`` file's content)."""
        return cls.from_dict(json.loads(text))

    def __repr__(self) -> str:
        names = ", ".join(m.id for m in self.milestones)
        return f"<Forecast {self.project_name!r}: {self.iterations} runs, seed {self.seed}, milestones {names}>"
