"""The back-test: would the calibration have made past forecasts honest?

For each held-out project (leave-one-out, or k folds of projects), the calibration is fitted on
the *other* projects only, then the held-out project's tasks are forecast twice:

* **raw**: the plan's own estimates. A three-point estimate is its own Beta-PERT distribution;
  a single point is a point (it "covers" an actual at or under it, at every level).
* **calibrated**: the estimate's mean x the class's shared ratio x the per-task residual.

Two scopes are scored. *Task*: each task's actual against its forecast distribution. *Project*:
the held-out project's total working days, assuming its tasks form one sequence (a chain,
so the project takes the sum of its tasks: the simplest network in which errors add up, and
the one in which sharing them matters most); the calibrated sum draws the shared multiplier
once per run for each class and the residual per task, as a calibrated plan does.

The score is *coverage*: the share of actuals at or under the forecast's P50, P80, P90 (a
calibrated forecast covers 80% at its P80), and the PIT (probability integral transform: the
forecast's probability of finishing before the actual; uniform on [0, 1] when calibrated).
Projects are independent, so a project-level share gets a binomial interval; a project's tasks
share its error, so the task-level interval is cluster-robust (projects as clusters), wider
than a binomial one would (wrongly) be.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .calibration import (
    MIN_ITEMS,
    PRIOR_ITEMS,
    CalibrationError,
    PastTask,
    fit_calibration,
)
from .distributions import Pert

LEVELS = (0.5, 0.8, 0.9)
DRAWS = 4000  # Monte Carlo runs per held-out project (PIT resolution 1/DRAWS)
Z95 = 1.959963984540054


@dataclass(frozen=True)
class TaskOutcome:
    """One held-out task: its class, estimate mean and actual (working days), and the PIT of
    its raw and calibrated forecasts (the probability each gave to finishing before the
    actual), and the calibrated P50/P80/P90 (working days)."""

    project: str
    task: str
    cls: str
    estimate: float
    actual: float
    pit_raw: float
    pit_calibrated: float
    calibrated: Mapping[float, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectOutcome:
    """One held-out project as a sequence of its tasks: the sums of estimate means and actuals
    (working days), the PITs of the raw and calibrated sums, and the calibrated P50/P80/P90."""

    project: str
    tasks: int
    estimate: float
    actual: float
    pit_raw: float
    pit_calibrated: float
    fold: int
    calibrated: Mapping[float, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Coverage:
    """The share of actuals at or under the P-``level`` of one kind of forecast.

    ``low``/``high`` bound the share's 95% interval (Wilson for projects; cluster-robust normal
    for tasks); ``consistent`` says whether ``level`` lies within it (the forecast is
    calibrated at that level, as far as the data can tell)."""

    scope: str  # "task" or "project"
    forecast: str  # "raw" or "calibrated"
    level: float
    share: float
    n: int
    low: float
    high: float

    @property
    def consistent(self) -> bool:
        return self.low <= self.level <= self.high


@dataclass(frozen=True)
class BacktestResult:
    """What :func:`backtest` found: per task and per project, and the coverage at ``levels``."""

    tasks: tuple[TaskOutcome, ...]
    projects: tuple[ProjectOutcome, ...]
    folds: int
    by: str | None
    draws: int
    seed: int

    def pit(self, scope: str, forecast: str) -> np.ndarray:
        """The PITs of ``scope`` (``"task"``, ``"project"``) and ``forecast`` (``"raw"``,
        ``"calibrated"``), in [0, 1]."""
        rows = self.tasks if scope == "task" else self.projects
        return np.array([getattr(r, f"pit_{forecast}") for r in rows], dtype=float)

    def coverage(self, levels: Sequence[float] = LEVELS) -> list[Coverage]:
        """Coverage of every scope, forecast and level (levels in (0, 1))."""
        out = []
        groups = [t.project for t in self.tasks]
        for scope in ("task", "project"):
            for forecast in ("raw", "calibrated"):
                pit = self.pit(scope, forecast)
                for level in levels:
                    covered = pit <= level
                    if scope == "project":
                        low, high = wilson(int(covered.sum()), len(covered))
                    else:
                        low, high = clustered_interval(covered, groups)
                    share = float(covered.mean()) if len(covered) else math.nan
                    out.append(Coverage(scope, forecast, level, share, len(covered), low, high))
        return out


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial share (95% by default)."""
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def clustered_interval(
    covered: np.ndarray, groups: Sequence[str], z: float = Z95
) -> tuple[float, float]:
    """95% interval of a share whose items come in correlated clusters (a project's tasks):
    the ratio estimator's cluster-robust variance ``k/(k-1) sum_j (x_j - p n_j)^2 / N^2``."""
    n = len(covered)
    if n == 0:
        return math.nan, math.nan
    keys, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    k = len(keys)
    x = np.bincount(index, weights=covered.astype(float), minlength=k)
    m = np.bincount(index, minlength=k).astype(float)
    p = float(x.sum() / n)
    var = k / (k - 1) * float(np.sum((x - p * m) ** 2)) / n**2 if k > 1 else 0.0
    half = z * math.sqrt(var)
    return max(0.0, p - half), min(1.0, p + half)


def _folds(projects: Sequence[str], folds: int | None, seed: int) -> list[list[str]]:
    if folds is None or folds >= len(projects):
        return [[p] for p in projects]
    order = list(np.random.default_rng(seed).permutation(len(projects)))
    return [[projects[i] for i in order[f::folds]] for f in range(folds)]


def _raw_draws(item: PastTask, rng: np.random.Generator, draws: int) -> tuple[float, np.ndarray]:
    """(PIT, draws) of the plan's own forecast of ``item``: its PERT, or its point."""
    if item.three_point and item.low < item.high:  # type: ignore[operator]
        pert = Pert(item.low, item.likely, item.high).scipy()  # type: ignore[arg-type]
        return float(pert.cdf(item.actual)), pert.ppf(rng.random(draws))
    point = item.estimate
    return (0.0 if item.actual <= point else 1.0), np.full(draws, point)


def backtest(
    items: Sequence[PastTask],
    by: str | None = None,
    *,
    folds: int | None = None,
    draws: int = DRAWS,
    seed: int = 0,
    min_items: int = MIN_ITEMS,
    prior_items: float = PRIOR_ITEMS,
) -> BacktestResult:
    """Cross-validate the calibration over projects.

    Parameters
    ----------
    items : sequence of PastTask
        The past tasks (at least 3 projects: each fit needs 2).
    by : str, optional
        The tag naming the reference classes (as :func:`fit_calibration`).
    folds : int, optional
        Split the projects into this many folds; None (default) holds out one project at a
        time (leave-one-out).
    draws : int, default 4000
        Monte Carlo runs per held-out project.
    seed : int, default 0
        Seed of the draws and of the fold assignment: the same seed gives the same result.
    min_items, prior_items
        Passed to :func:`fit_calibration`.

    Returns
    -------
    BacktestResult

    Raises
    ------
    CalibrationError
        Fewer than 3 projects or ``folds`` below 2, or a training set that cannot be fitted.
    """
    projects = sorted({t.project for t in items})
    if len(projects) < 3:
        raise CalibrationError(
            f"a back-test needs at least 3 projects (each fit needs 2), got {len(projects)}"
        )
    if folds is not None and folds < 2:
        raise CalibrationError(f"a back-test needs at least 2 folds, got {folds}")
    rng = np.random.default_rng(seed)
    task_rows: list[TaskOutcome] = []
    project_rows: list[ProjectOutcome] = []
    for f, held in enumerate(_folds(projects, folds, seed)):
        out = set(held)
        train = [t for t in items if t.project not in out]
        cal = fit_calibration(train, by, min_items=min_items, prior_items=prior_items)
        for project in held:
            members = [t for t in items if t.project == project]
            estimates = np.array([t.estimate for t in members])
            actuals = np.array([t.actual for t in members])
            fits = [cal.class_for(t.tags) or cal.pooled for t in members]
            ratios = np.empty((draws, len(members)))
            for name in dict.fromkeys(fit.name for fit in fits):
                cols = [k for k, fit in enumerate(fits) if fit.name == name]
                fit = next(fit for fit in fits if fit.name == name)
                ratios[:, cols] = fit.sample(rng, draws, len(cols))
            forecast = ratios * estimates
            pit_cal = np.mean(forecast < actuals, axis=0)
            q_tasks = np.quantile(forecast, LEVELS, axis=0)
            raw_total = np.zeros(draws)
            for k, item in enumerate(members):
                pit_raw, raw = _raw_draws(item, rng, draws)
                raw_total += raw
                task_rows.append(
                    TaskOutcome(
                        project,
                        item.task,
                        fits[k].name,
                        item.estimate,
                        item.actual,
                        pit_raw,
                        float(pit_cal[k]),
                        {lv: float(q_tasks[i, k]) for i, lv in enumerate(LEVELS)},
                    )
                )
            total = forecast.sum(axis=1)
            actual = float(actuals.sum())
            q_total = np.quantile(total, LEVELS)
            project_rows.append(
                ProjectOutcome(
                    project,
                    len(members),
                    float(estimates.sum()),
                    actual,
                    float(np.mean(raw_total < actual)),
                    float(np.mean(total < actual)),
                    f,
                    {lv: float(q_total[i]) for i, lv in enumerate(LEVELS)},
                )
            )
    n_folds = len(projects) if folds is None else min(folds, len(projects))
    return BacktestResult(tuple(task_rows), tuple(project_rows), n_folds, by, draws, seed)
