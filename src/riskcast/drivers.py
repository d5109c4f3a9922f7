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

import numpy as np

from .compile import compile_project
from .engine.run import normalise_seed, run
from .errors import RiskcastError
from .forecast import FINISH_ID, Forecast, percentile_index
from .model import Project
from .simulate import mitigated_risks, simulate


@dataclass(frozen=True)
class RiskDriver:
    """One risk's effect. ``days[target]``: working days the risk adds to the target's percentile;
    ``mean_days[target]``: to its mean; ``occurred``: share of runs it occurred in;
    ``critical[target]``: share of runs it occurred and hit a task critical for the target."""

    id: str
    title: str
    days: dict[str, float]
    mean_days: dict[str, float]
    occurred: float
    critical: dict[str, float]


@dataclass(frozen=True)
class RiskDrivers:
    """Risk drivers ranked by their days on ``milestone`` at ``percentile``."""

    milestone: str
    percentile: float
    forecast: Forecast
    drivers: list[RiskDriver]

    def rows(self) -> list[dict]:
        """One row per risk for tables: days on the chosen milestone, shares of runs."""
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


def _percentile(samples: np.ndarray, q: float) -> float:
    return float(
        np.partition(samples, percentile_index(len(samples), q))[percentile_index(len(samples), q)]
    )


def risk_drivers(
    project: Project,
    milestone: str | None = None,
    percentile: float = 80,
    iterations: int = 10_000,
    seed: int | None = None,
    mitigation: str | Iterable[str] = "pre",
    threads: int | None = None,
) -> RiskDrivers:
    """Rank the risks of ``project`` by the working days each adds to ``milestone``'s percentile.

    Each risk is switched off in turn (its occurrence probability set to 0) on the same random
    numbers as the base run, so the difference is exact for those runs, not noise.
    """
    if not project.risks:
        raise RiskcastError("the project has no [[risk]] entries to rank")
    seed = normalise_seed(seed)
    base = simulate(
        project, iterations=iterations, seed=seed, threads=threads, mitigation=mitigation
    )
    target = FINISH_ID if milestone is None else base.milestone(milestone).id
    network = compile_project(project, mitigated=mitigated_risks(mitigation))
    targets = base.targets
    drivers = []
    for r, risk in enumerate(project.risks):
        off_low, off_high = network.risk_p_low.copy(), network.risk_p_high.copy()
        off_low[r] = off_high[r] = 0.0
        without = run(
            dataclasses.replace(network, risk_p_low=off_low, risk_p_high=off_high),
            seed,
            iterations,
            threads=threads,
            full=False,
        ).finishes
        days, mean_days = {}, {}
        for k, t in enumerate(targets):
            days[t.id] = t.percentile_days(percentile) - _percentile(without[k], percentile)
            mean_days[t.id] = t.mean_days - float(without[k].mean())
        drivers.append(
            RiskDriver(
                risk.id,
                risk.label,
                days,
                mean_days,
                base.risk_occurrence()[risk.id],
                {t.id: base.risk_criticality(t.id)[risk.id] for t in targets},
            )
        )
    drivers.sort(key=lambda d: (-d.days[target], -d.mean_days[target], d.id))
    return RiskDrivers(target, percentile, base, drivers)


@dataclass(frozen=True)
class MitigationRow:
    """One milestone before and after mitigation (dates, odds of the target, days gained)."""

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
    pre: Forecast
    post: Forecast
    mitigated: list[str]
    cost: float
    rows: list[MitigationRow]


def compare_mitigation(
    project: Project,
    mitigated: bool | Iterable[str] = True,
    iterations: int = 10_000,
    seed: int | None = None,
    percentiles: tuple[float, ...] = (50, 80, 95),
    threads: int | None = None,
) -> MitigationComparison:
    """Pre- vs post-mitigation forecasts on the same random numbers.

    ``mitigated``: True for every risk with a mitigation, or the ids of the mitigated risks.
    ``days_per_cost``: working days gained per unit of the mitigations' total cost (None when free).
    """
    ids = [r.id for r in project.risks if r.mitigation is not None]
    chosen = ids if mitigated is True else [] if mitigated is False else sorted(mitigated)
    if not chosen:
        raise RiskcastError("no risk with a mitigation to compare; add mitigation = { ... }")
    without = [id for id in chosen if id not in ids]
    if without:
        raise RiskcastError(
            f"risks without a mitigation: {', '.join(without)} (with one: {', '.join(ids) or 'none'})"
        )
    seed = normalise_seed(seed)
    pre = simulate(project, iterations=iterations, seed=seed, threads=threads)
    post = simulate(project, iterations=iterations, seed=seed, threads=threads, mitigation=chosen)
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
