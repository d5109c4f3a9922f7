"""Which risks move the dates, and what a mitigation is worth.

Both analyses re-run the simulation on the *same random numbers* (common random numbers: every
draw is keyed by model ids and the seed), so a difference between two runs is the effect of the
change alone, not Monte Carlo noise.

* :func:`risk_drivers`: for each risk, the working days it adds to each milestone's percentile
  (default P80): the base run minus a run with that risk switched off.
* :func:`compare_mitigation`: per milestone, the P-dates and the probability of the target before
  and after mitigation, the days gained, and days gained per unit of mitigation cost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .compile import compile_project
from .engine.run import Runs, normalise_seed, run
from .errors import ArgumentError
from .forecast import FINISH_ID, Forecast, percentile_index
from .model import Project
from .simulate import mitigated_risks, start
from .statistics import Finishes

if TYPE_CHECKING:
    from .engine.distributed import Started


@dataclass(frozen=True)
class RiskDriver:
    """One risk's effect on every milestone, measured on common random numbers.

    Attributes
    ----------
    id : str
        The risk's id.
    title : str
        The risk's title (its id when it has none).
    days : dict of str to float
        Per milestone id (``"finish"`` for the project finish): working days the risk adds to the
        milestone's percentile, the percentile of the base run minus that of the run with the risk
        switched off. Both percentiles are :meth:`MilestoneForecast.percentile_days` (the inverted
        empirical CDF), so they match the forecast's P-values.
    mean_days : dict of str to float
        Per milestone id: working days the risk adds to the mean finish.
    occurred : float
        Share of runs in which the risk occurred, in [0, 1].
    critical : dict of str to float
        Per milestone id: share of runs in which the risk occurred and hit a task that was
        critical for that milestone, in [0, 1].
    """

    id: str
    title: str
    days: dict[str, float]
    mean_days: dict[str, float]
    occurred: float
    critical: dict[str, float]


@dataclass(frozen=True)
class RiskDrivers:
    """The result of :func:`risk_drivers`: risks ranked by their days on one milestone.

    Attributes
    ----------
    milestone : str
        The id of the milestone the ranking is for (``"finish"`` for the project finish).
    percentile : float
        The percentile the ``days`` of each driver refer to, in (0, 100].
    forecast : Forecast
        The base run, with every risk on; its ``milestone(id).percentile_days(percentile)`` is the
        "with the risk" side of every driver's ``days``.
    drivers : list of RiskDriver
        Largest effect first: by ``days[milestone]``, then ``mean_days[milestone]``, then id.
    """

    milestone: str
    percentile: float
    forecast: Forecast
    drivers: list[RiskDriver]

    def rows(self) -> list[dict[str, Any]]:
        """One row per risk for tables, in ranking order.

        Returns
        -------
        list of dict
            Keys ``id``, ``title``, ``days`` and ``mean_days`` (working days on :attr:`milestone`),
            ``occurred`` and ``critical`` (shares of runs, in [0, 1]).
        """
        return [
            {
                "id": d.id,
                "title": d.title,
                "days": d.days[self.milestone],
                "mean_days": d.mean_days[self.milestone],
                "occurred": d.occurred,
                "critical": d.critical[self.milestone],
            }
            for d in self.drivers
        ]


def risk_drivers(
    project: Project,
    milestone: str | None = None,
    *,
    percentile: float = 80,
    iterations: int = 10_000,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    mitigation: str | Iterable[str] = "pre",
    threads: int | None = None,
    executor: Any = None,
    block: int | None = None,
) -> RiskDrivers:
    """Rank the risks of a project by the working days each adds to a milestone's percentile.

    Each risk is switched off in turn (its occurrence probability set to 0) and the project is
    simulated again on the same random numbers as the base run, so each difference is the effect
    of that risk alone, not Monte Carlo noise. Costs one simulation per risk plus one.

    Parameters
    ----------
    project : Project
        A plan with at least one risk.
    milestone : str, optional
        The id of the milestone to rank by; None (default) for the project finish. Every driver
        still carries its days on every milestone.
    percentile : float, default 80
        The percentile of the finish whose shift is measured, in (0, 100].
    iterations : int, default 10_000
        Runs per simulation.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Seed of the common random numbers; None for a fresh one (recorded in ``forecast.seed``).
    mitigation : str or iterable of str, default "pre"
        The risk scenario of every run: ``"pre"``, ``"post"`` (every mitigation applied) or the ids
        of the mitigated risks.
    threads : int, optional
        Worker threads per simulation; None for all cores.
    executor : distributed.Client, optional
        Run every simulation on this Dask cluster, one task per (scenario, block of ``block``
        runs), all submitted before any is gathered; the result is identical to the in-process
        one (see :func:`riskcast.simulate`).
    block : int, optional
        Runs per cluster task; results do not depend on it.

    Returns
    -------
    RiskDrivers
        The ranked drivers and the base forecast.

    Raises
    ------
    ArgumentError
        If the project has no risks, ``milestone`` is not one of its milestones, ``percentile`` is
        outside (0, 100] or ``seed`` is not a valid seed.
    ModelError
        If the project is invalid or ``mitigation`` names an unknown risk.
    """
    if not project.risks:
        raise ArgumentError("the project has no [[risk]] entries to rank")
    seed = normalise_seed(seed)
    base_run = start(
        project,
        iterations=iterations,
        seed=seed,
        threads=threads,
        mitigation=mitigation,
        executor=executor,
        block=block,
    )
    network = compile_project(project, mitigated=mitigated_risks(mitigation))
    scenarios = []
    for r in range(len(project.risks)):
        off_low, off_high = network.risk_p_low.copy(), network.risk_p_high.copy()
        off_low[r] = off_high[r] = 0.0
        scenarios.append(dataclasses.replace(network, risk_p_low=off_low, risk_p_high=off_high))
    # On a cluster every scenario's blocks are submitted before any is gathered.
    started: list[Started] = []
    try:
        if executor is not None:
            from .engine.distributed import Cluster

            cluster = Cluster(executor, block)
            started = [cluster.start(net, seed, iterations, full=False) for net in scenarios]
        base = base_run.forecast()
        target = FINISH_ID if milestone is None else base.milestone(milestone).id
        reruns = (
            (s.runs() for s in started)
            if started
            else (run(net, seed, iterations, threads=threads, full=False) for net in scenarios)
        )
        drivers = [
            _driver(base, risk, without, percentile)
            for risk, without in zip(project.risks, reruns, strict=True)
        ]
    except BaseException:
        base_run.cancel()
        for s in started:
            s.cancel()
        raise
    drivers.sort(key=lambda d: (-d.days[target], -d.mean_days[target], d.id))
    return RiskDrivers(target, percentile, base, drivers)


def _driver(base: Forecast, risk: Any, without: Runs, percentile: float) -> RiskDriver:
    """One risk's driver: the base forecast against the runs ``without`` it."""
    targets = base.targets
    days, mean_days = {}, {}
    for k, t in enumerate(targets):
        # the forecast's own statistics (MilestoneForecast.percentile_days) on the other run
        other = (
            Finishes(samples=without.finishes[k])
            if without.binned is None
            else Finishes(binned=without.binned[k])
        )
        p_without = other.value_at_rank(percentile_index(other.n, percentile))
        days[t.id] = t.percentile_days(percentile) - p_without
        mean_days[t.id] = t.mean_days - other.mean
    return RiskDriver(
        risk.id,
        risk.label,
        days,
        mean_days,
        base.risk_occurrence()[risk.id],
        {t.id: base.risk_criticality(t.id)[risk.id] for t in targets},
    )


@dataclass(frozen=True)
class MitigationRow:
    """One milestone before and after mitigation.

    Attributes
    ----------
    id, name : str
        The milestone's id (``"finish"`` for the project finish) and name.
    target : datetime.date or None
        The milestone's target date, if it has one.
    pre, post : dict of float to datetime.date
        Per percentile: the P-date before and after mitigation.
    pre_probability, post_probability : float or None
        Probability of delivering by the target, in [0, 1], before and after (None without a
        target).
    days_gained : dict of float to float
        Per percentile: working days the mitigation takes off the percentile (negative when it
        makes it later).
    days_per_cost : dict of float to float or None
        Per percentile: ``days_gained`` per unit of the mitigations' total cost (None when they
        cost nothing).
    """

    id: str
    name: str
    target: dt.date | None
    pre: dict[float, dt.date]
    post: dict[float, dt.date]
    pre_probability: float | None
    post_probability: float | None
    days_gained: dict[float, float]
    days_per_cost: dict[float, float | None]


@dataclass(frozen=True)
class MitigationComparison:
    """The result of :func:`compare_mitigation`.

    Attributes
    ----------
    pre, post : Forecast
        The forecasts before and after mitigation, on the same random numbers.
    mitigated : list of str
        The ids of the mitigated risks, sorted.
    cost : float
        Total cost of those mitigations (the unit of the model file).
    rows : list of MitigationRow
        One per milestone, then the project finish.
    """

    pre: Forecast
    post: Forecast
    mitigated: list[str]
    cost: float
    rows: list[MitigationRow]


def compare_mitigation(
    project: Project,
    *,
    mitigated: bool | Iterable[str] = True,
    iterations: int = 10_000,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    percentiles: tuple[float, ...] = (50, 80, 95),
    threads: int | None = None,
    executor: Any = None,
    block: int | None = None,
) -> MitigationComparison:
    """Pre- and post-mitigation forecasts of a project on the same random numbers.

    Parameters
    ----------
    project : Project
        A plan with at least one risk that has a mitigation.
    mitigated : bool or iterable of str, default True
        True for every risk with a mitigation, or the ids of the risks to mitigate.
    iterations : int, default 10_000
        Runs per simulation.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Seed of the common random numbers; None for a fresh one (recorded in the forecasts).
    percentiles : tuple of float, default (50, 80, 95)
        The percentiles to compare, each in (0, 100].
    threads : int, optional
        Worker threads per simulation; None for all cores.
    executor : distributed.Client, optional
        Run both simulations on this Dask cluster, one task per (scenario, block of ``block``
        runs), both submitted before either is gathered; the result is identical to the
        in-process one (see :func:`riskcast.simulate`).
    block : int, optional
        Runs per cluster task; results do not depend on it.

    Returns
    -------
    MitigationComparison
        Both forecasts and one row per milestone: P-dates, probability of the target, working
        days gained and days gained per unit of the mitigations' total cost.

    Raises
    ------
    ArgumentError
        If no risk would be mitigated, a named risk is unknown or has no mitigation, a percentile
        is outside (0, 100] or ``seed`` is not a valid seed.
    ModelError
        If the project is invalid.
    """
    ids = [r.id for r in project.risks if r.mitigation is not None]
    chosen = ids if mitigated is True else [] if mitigated is False else sorted(mitigated)
    if not chosen:
        raise ArgumentError("no risk with a mitigation to compare; add mitigation = { ... }")
    without = [id for id in chosen if id not in ids]
    if without:
        raise ArgumentError(
            f"risks without a mitigation: {', '.join(without)} (with one: {', '.join(ids) or 'none'})"
        )
    seed = normalise_seed(seed)
    options = dict(
        iterations=iterations, seed=seed, threads=threads, executor=executor, block=block
    )
    # Both scenarios start before either is gathered: on a cluster, all their blocks are queued.
    scenarios = [start(project, **options)]
    try:
        scenarios.append(start(project, mitigation=chosen, **options))
        pre, post = (s.forecast() for s in scenarios)
    except BaseException:
        for s in scenarios:
            s.cancel()
        raise
    cost = sum(
        r.mitigation.cost for r in project.risks if r.id in chosen and r.mitigation is not None
    )
    rows = []
    for a, b in zip(pre.targets, post.targets, strict=True):
        gained = {q: a.percentile_days(q) - b.percentile_days(q) for q in percentiles}
        rows.append(
            MitigationRow(
                a.id,
                a.name,
                a.target,
                {q: a.percentile(q) for q in percentiles},
                {q: b.percentile(q) for q in percentiles},
                a.target_probability,
                b.target_probability,
                gained,
                {q: (g / cost if cost > 0 else None) for q, g in gained.items()},
            )
        )
    return MitigationComparison(pre, post, chosen, cost, rows)
