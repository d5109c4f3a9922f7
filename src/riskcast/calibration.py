"""Calibrated forecasts: learn how far actuals fall from estimates, and apply it to a plan.

The quantity learnt is the ratio ``r = actual / estimate`` of past finished tasks, where the
estimate is the task's *mean* (a single point as given; a three-point ``low, likely, high``
estimate's Beta-PERT mean ``(low + 4 likely + high) / 6``). The mean, not the most likely
value, because it uses all three numbers (a planner's long right tail already moves it), it is
defined for every estimate kind a model can hold, and the forecast history records it.

Estimation error is largely *shared*: a project (its team, its scope, its client) that runs
late runs late on most of its tasks. So ``log r`` is decomposed with a one-way random-effects
model, ``log r_ij = mu + b_j + e_ij`` with a per-project effect ``b_j ~ N(0, sigma_b^2)`` and a
per-task residual ``e_ij`` of variance ``sigma_w^2``, estimated by the analysis-of-variance
method of moments for unbalanced groups (Searle's ``n0``). A simulated run then draws one
*shared* multiplier ``exp(mu + b)`` per run for every task of a reference class, and one
*per-task* residual ``exp(e)`` for each task independently. Treating the tasks as independent
instead would let their errors cancel in a sum and give far too narrow project forecasts.

A reference class is one value of a tag (``team=backend``) or the pooled class (every past
task). Small classes borrow from the pool (empirical-Bayes shrinkage, weighted by how much
information the class holds); a class under ``min_items`` past tasks is the pool.

Applying a calibration (:func:`apply_calibration`) needs no engine change: each class becomes
two always-occurring risks whose multiplicative impacts are the shared (``shared_impact=True``)
and per-task (``shared_impact=False``) ratio distributions. Reading past tasks and the TOML file live in
:mod:`riskcast.calibration_file`, the back-test in :mod:`riskcast.backtest`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration_file import (
    FAMILIES,
    POOLED,
    CalibrationError,
    PastTask,
    from_history,
    read_history_csv,
    read_past_tasks,
)
from .distributions import Distribution, Empirical, Fixed, LogNormal
from .errors import ArgumentError
from .risks import Impact, Risk

__all__ = [
    "FAMILIES",
    "POOLED",
    "Calibration",
    "CalibrationError",
    "ClassFit",
    "Components",
    "PastTask",
    "apply_calibration",
    "calibrated_tasks",
    "fit_calibration",
    "from_history",
    "random_effects",
    "read_history_csv",
    "read_past_tasks",
]

MIN_ITEMS = 5  # a class with fewer past tasks is the pooled class
PRIOR_ITEMS = 10.0  # the pool's log-mean counts as this many past tasks of a class
PRIOR_WITHIN_DF = 10.0  # the pool's per-task variance counts as this many degrees of freedom
PRIOR_BETWEEN_DF = 3.0  # the pool's between-project variance: this many degrees of freedom
MIN_FAMILY_RESIDUALS = 20  # fewer residuals cannot tell the candidate families apart
AIC_MARGIN = 2.0  # the AIC difference that counts as real support for one family over another
QUANTILE_POINTS = 201  # the quantile table a gamma or Weibull residual is written as
QUANTILE_TAIL = 5e-4  # its first and last probability (the tails beyond are cut off)
RISK_PREFIX = "calibration:"


# -- fitting -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Components:
    """A one-way random-effects fit of ``log r``: ``mu``, ``sigma_b`` (between projects),
    ``sigma_w`` (within), the standard error of ``mu`` (all on the natural-log scale), and
    whether each variance could be estimated (``sigma_b`` needs 2+ projects, ``sigma_w`` a
    project with 2+ tasks)."""

    mu: float
    sigma_b: float
    sigma_w: float
    mu_se: float
    items: int
    projects: int
    has_between: bool
    has_within: bool


def random_effects(log_ratios: Sequence[float], groups: Sequence[str]) -> Components:
    """Fit ``y_ij = mu + b_j + e_ij`` by the ANOVA method of moments (unbalanced groups).

    ``sigma_w^2 = MSW`` and ``sigma_b^2 = max(0, (MSB - MSW) / n0)`` with
    ``n0 = (N - sum n_j^2 / N) / (k - 1)``; ``mu`` is the generalised-least-squares mean,
    weighting project ``j`` by ``1 / (sigma_b^2 + sigma_w^2 / n_j)``.

    Parameters
    ----------
    log_ratios : sequence of float
        ``log(actual / estimate)`` per past task.
    groups : sequence of str
        The project of each.

    Returns
    -------
    Components
    """
    y = np.asarray(log_ratios, dtype=float)
    keys, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    k, n_total = len(keys), len(y)
    n = np.bincount(index, minlength=k).astype(float)
    means = np.bincount(index, weights=y, minlength=k) / n
    ss_within = float(np.sum((y - means[index]) ** 2))
    has_within = n_total > k
    has_between = k > 1
    var_w = ss_within / (n_total - k) if has_within else 0.0
    var_b = 0.0
    if has_between:
        grand = float(np.mean(y))
        ms_between = float(np.sum(n * (means - grand) ** 2)) / (k - 1)
        n0 = (n_total - float(np.sum(n**2)) / n_total) / (k - 1)
        var_b = max(0.0, (ms_between - var_w) / n0) if has_within else ms_between
        if not has_within:  # one task per project: only the sum is known; keep it shared
            var_w = 0.0
    weights = 1.0 / np.maximum(var_b + var_w / n, 1e-300)
    mu = float(np.sum(weights * means) / np.sum(weights))
    se = float(1.0 / math.sqrt(np.sum(weights))) if var_b + var_w > 0 else 0.0
    return Components(
        mu, math.sqrt(var_b), math.sqrt(var_w), se, n_total, k, has_between, has_within
    )


def _residual_ratios(log_ratios: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """``exp`` of each task's deviation from its project's mean log ratio, scaled by
    ``sqrt(n_j / (n_j - 1))`` so its variance is ``sigma_w^2`` (projects of one task have none)."""
    keys, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    n = np.bincount(index, minlength=len(keys)).astype(float)
    means = np.bincount(index, weights=log_ratios, minlength=len(keys)) / n
    keep = n[index] > 1
    scale = np.sqrt(n[index][keep] / (n[index][keep] - 1))
    return np.exp((log_ratios[keep] - means[index][keep]) * scale)


def family_aic(residuals: np.ndarray) -> dict[str, float]:
    """AIC of each candidate family (lognormal, gamma, Weibull; location 0, two parameters each,
    so AIC and BIC rank them alike) fitted by maximum likelihood to per-task residual ratios.

    The residuals of one project sum to zero on the log scale, so the likelihood is an
    approximation: it ranks the shapes, it is not a test."""
    from scipy import stats

    aic = {}
    for name, dist in (
        ("lognormal", stats.lognorm),
        ("gamma", stats.gamma),
        ("weibull", stats.weibull_min),
    ):
        params = dist.fit(residuals, floc=0)
        loglik = float(np.sum(dist.logpdf(residuals, *params)))
        aic[name] = 2 * 2 - 2 * loglik if math.isfinite(loglik) else math.inf
    return aic


def residual_distribution(family: str, sigma_w: float) -> Distribution:
    """The per-task residual ratio: median 1, log-scale standard deviation ``sigma_w``, shape of
    ``family``. A gamma or Weibull is written as a quantile table (:class:`Empirical`, its tails
    beyond probabilities 0.0005 and 0.9995 cut off), the form the engine samples."""
    if sigma_w <= 0:
        return Fixed(1.0)
    if family == "lognormal":
        return LogNormal(0.0, sigma_w)
    from scipy import optimize, special, stats

    if family == "gamma":
        # Var(log X) of a gamma of shape a is the trigamma function psi1(a), decreasing in a.
        shape = optimize.brentq(lambda a: special.polygamma(1, a) - sigma_w**2, 1e-4, 1e9)
        base = stats.gamma(shape)
    elif family == "weibull":
        # Var(log X) of a Weibull of shape c is pi^2 / (6 c^2).
        base = stats.weibull_min(math.pi / (sigma_w * math.sqrt(6)))
    else:
        raise ArgumentError(f"unknown family {family!r}; one of {', '.join(FAMILIES)}")
    probabilities = np.linspace(QUANTILE_TAIL, 1 - QUANTILE_TAIL, QUANTILE_POINTS)
    values = base.ppf(probabilities) / base.median()
    return Empirical(tuple(float(v) for v in values))


def shared_distribution(mu: float, sigma_b: float) -> Distribution:
    """The shared per-run multiplier of a class: ``exp(mu + b)``, ``b ~ N(0, sigma_b^2)``."""
    return LogNormal(mu, sigma_b) if sigma_b > 0 else Fixed(math.exp(mu))


@dataclass(frozen=True)
class ClassFit:
    """The calibration of one reference class.

    Parameters
    ----------
    name : str
        ``"pooled"``, or ``"TAG=VALUE"`` (e.g. ``"team=backend"``).
    value : str or None
        The tag value it matches (None: the pooled class).
    items, projects : int
        Past tasks and projects it was fitted on.
    mu : float
        Log of the median ratio (natural log, after shrinkage).
    sigma_b, sigma_w : float
        Log-scale standard deviations of the shared (per project) and per-task parts.
    family : str
        The per-task residual's family (one of :data:`FAMILIES`).
    shared : Distribution
        The shared ratio, drawn once per run for all the class's tasks.
    task : Distribution
        The per-task residual ratio (median 1), drawn per task.
    weight : float
        The share of the class's own data in its log-mean (1 - the pool's), in [0, 1].
    fallback : bool
        True when the class has too few past tasks and is the pooled class.
    aic : Mapping[str, float]
        The candidate families' AIC (empty when too few residuals to choose).
    """

    name: str
    value: str | None
    items: int
    projects: int
    mu: float
    sigma_b: float
    sigma_w: float
    family: str
    shared: Distribution
    task: Distribution
    weight: float = 1.0
    fallback: bool = False
    aic: Mapping[str, float] = field(default_factory=dict)

    @property
    def sigma(self) -> float:
        """Total log-scale standard deviation of one task's ratio."""
        return math.hypot(self.sigma_b, self.sigma_w)

    def ratio_quantile(self, q: float) -> float:
        """The ``q`` quantile (``q`` in (0, 1)) of one task's ratio ``shared x residual``.

        Exact for a lognormal residual; otherwise the distribution of the product is integrated
        over the shared part by 64-point Gauss-Hermite quadrature and inverted with brentq."""
        from scipy import optimize, stats

        if isinstance(self.task, LogNormal | Fixed):
            return math.exp(self.mu + self.sigma * float(stats.norm.ppf(q)))
        nodes, weights = np.polynomial.hermite.hermgauss(64)
        shared = self.mu + math.sqrt(2) * self.sigma_b * nodes
        residual = self.task.scipy()
        w = weights / math.sqrt(math.pi)

        def cdf(log_x: float) -> float:
            return float(np.sum(w * residual.cdf(np.exp(log_x - shared)))) - q

        lo = self.mu - 10 * self.sigma - 1
        hi = self.mu + 10 * self.sigma + 1
        return math.exp(optimize.brentq(cdf, lo, hi, xtol=1e-10))

    @property
    def median_ratio(self) -> float:
        return self.ratio_quantile(0.5)

    @property
    def p80_ratio(self) -> float:
        return self.ratio_quantile(0.8)

    def sample(self, rng: np.random.Generator, runs: int, tasks: int) -> np.ndarray:
        """``runs x tasks`` ratios of ``tasks`` tasks of this class in one project: the shared
        multiplier drawn once per run, the residual per task."""
        shared = _draw(self.shared, rng, (runs, 1))
        return shared * _draw(self.task, rng, (runs, tasks))


def _draw(dist: Distribution, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    if isinstance(dist, Fixed):
        return np.full(shape, float(dist.value))
    return np.asarray(dist.scipy().ppf(rng.random(shape)), dtype=float)


@dataclass(frozen=True)
class Calibration:
    """What a calibration learnt: the pooled class and the classes of one tag.

    Parameters
    ----------
    pooled : ClassFit
        Fitted on every past task.
    classes : tuple of ClassFit
        One per value of ``tag`` (empty without a tag).
    tag : str or None
        The tag whose values name the classes (e.g. ``"team"``).
    items, projects : int
        Past tasks and projects in all.
    source : str
        Where the past tasks came from (a file name), for the record.
    """

    pooled: ClassFit
    classes: tuple[ClassFit, ...] = ()
    tag: str | None = None
    items: int = 0
    projects: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(self.classes))

    def class_for(self, tags: Mapping[str, str]) -> ClassFit | None:
        """The class of a task with ``tags``; None when no class matches (the pooled class is
        then the caller's choice)."""
        if self.tag is None or self.tag not in tags:
            return None
        return next((c for c in self.classes if c.value == tags[self.tag]), None)


def _fit_class(items: Sequence[PastTask]) -> tuple[Components, np.ndarray]:
    y = np.log([t.ratio for t in items])
    return random_effects(y, [t.project for t in items]), y


def _family(y: np.ndarray, items: Sequence[PastTask]) -> tuple[str | None, dict[str, float]]:
    residuals = _residual_ratios(y, [t.project for t in items])
    if len(residuals) < MIN_FAMILY_RESIDUALS or np.ptp(np.log(residuals)) == 0:
        return None, {}
    aic = family_aic(residuals)
    best = min(aic, key=aic.__getitem__)
    # The lognormal is the model's own assumption (normal log ratios): another shape has to
    # beat it clearly (an AIC lower by more than AIC_MARGIN), not by noise.
    return (best if aic[best] < aic["lognormal"] - AIC_MARGIN else "lognormal"), aic


def fit_calibration(
    items: Sequence[PastTask],
    by: str | None = None,
    *,
    min_items: int = MIN_ITEMS,
    prior_items: float = PRIOR_ITEMS,
    source: str = "",
) -> Calibration:
    """Fit the pooled class and, with ``by``, one class per value of that tag.

    A class's log-mean is shrunk towards the pool's with weight ``n / (n + prior_items)``, where
    ``n`` is the class's effective number of independent tasks (its log-mean's information
    relative to one task's, from the pool's variance components: ``n`` is the task count when
    errors are not shared and the project count when they all are). Its variances are shrunk
    likewise by their degrees of freedom (:data:`PRIOR_WITHIN_DF`, :data:`PRIOR_BETWEEN_DF`
    prior degrees); a variance the class cannot estimate (one project; one task per project)
    is the pool's. A class with fewer than ``min_items`` past tasks is the pool outright.

    Parameters
    ----------
    items : sequence of PastTask
        The past tasks.
    by : str, optional
        The tag naming the reference classes; None for the pooled class only.
    min_items : int, default 5
        The fewest past tasks a class needs to differ from the pool.
    prior_items : float, default 10
        How many past tasks the pool's log-mean is worth in a class.
    source : str, optional
        Where the items came from, kept in the calibration.

    Returns
    -------
    Calibration

    Raises
    ------
    CalibrationError
        Fewer than 2 projects, or no project with 2+ tasks (the shared and per-task parts
        cannot be told apart).
    """
    if len(items) == 0:
        raise CalibrationError("no past tasks to calibrate on")
    pooled_c, y_all = _fit_class(items)
    if not (pooled_c.has_between and pooled_c.has_within):
        raise CalibrationError(
            f"{source or 'the history'}: {pooled_c.items} past tasks in {pooled_c.projects} "
            "project(s); a calibration needs at least 2 projects and one with 2 or more tasks to "
            "tell the shared (per-project) error from the per-task error"
        )
    family, aic = _family(y_all, items)
    family = family or "lognormal"
    pooled = ClassFit(
        POOLED,
        None,
        pooled_c.items,
        pooled_c.projects,
        pooled_c.mu,
        pooled_c.sigma_b,
        pooled_c.sigma_w,
        family,
        shared_distribution(pooled_c.mu, pooled_c.sigma_b),
        residual_distribution(family, pooled_c.sigma_w),
        1.0,
        False,
        aic,
    )
    classes = []
    if by is not None:
        values = sorted({t.tags[by] for t in items if by in t.tags})
        if not values:
            known = sorted({k for t in items for k in t.tags})
            raise CalibrationError(
                f'{source or "the history"}: no past task has the tag "{by}" '
                f"(tags: {', '.join(known) or 'none'})"
            )
        for value in values:
            members = [t for t in items if t.tags.get(by) == value]
            classes.append(
                _shrunk(members, f"{by}={value}", value, pooled, pooled_c, min_items, prior_items)
            )
    return Calibration(pooled, tuple(classes), by, pooled_c.items, pooled_c.projects, source=source)


def _shrunk(
    members: Sequence[PastTask],
    name: str,
    value: str,
    pooled: ClassFit,
    pool: Components,
    min_items: int,
    prior_items: float,
) -> ClassFit:
    """A class fitted on ``members`` and shrunk towards the pool (see :func:`fit_calibration`)."""
    projects = len({t.project for t in members})
    if len(members) < min_items:
        return dataclasses.replace(
            pooled, name=name, value=value, items=len(members), projects=projects,
            weight=0.0, fallback=True, aic={},
        )  # fmt: skip
    own, y = _fit_class(members)
    # The information on the class's log-mean, in units of one task's total variance.
    counts = np.unique([t.project for t in members], return_counts=True)[1].astype(float)
    total = pool.sigma_b**2 + pool.sigma_w**2
    n_eff = total * float(np.sum(1.0 / (pool.sigma_b**2 + pool.sigma_w**2 / counts)))
    w_mu = n_eff / (n_eff + prior_items)
    mu = w_mu * own.mu + (1 - w_mu) * pool.mu
    df_w = own.items - own.projects if own.has_within else 0
    df_b = own.projects - 1 if own.has_between else 0
    w_w = df_w / (df_w + PRIOR_WITHIN_DF)
    w_b = df_b / (df_b + PRIOR_BETWEEN_DF)
    var_w = w_w * own.sigma_w**2 + (1 - w_w) * pool.sigma_w**2
    var_b = w_b * own.sigma_b**2 + (1 - w_b) * pool.sigma_b**2
    sigma_b, sigma_w = math.sqrt(var_b), math.sqrt(var_w)
    family, aic = _family(y, members)
    family = family or pooled.family  # too few residuals to choose: the pool's shape
    return ClassFit(
        name,
        value,
        own.items,
        own.projects,
        mu,
        sigma_b,
        sigma_w,
        family,
        shared_distribution(mu, sigma_b),
        residual_distribution(family, sigma_w),
        w_mu,
        False,
        aic,
    )


# -- applying a calibration to a plan ------------------------------------------------------------
def apply_calibration(project: Any, calibration: Calibration, *, unmatched: str = "pooled") -> Any:
    """The plan with the calibration applied, as risks: no engine change.

    Each task that has not started yet and has a positive estimate is calibrated: its estimate
    becomes its mean (a :class:`Fixed` point, because the ratios were learnt against the
    estimate's mean and already hold the spread of actuals around it: keeping the estimate's
    own spread would count it twice), and for each class used two risks of probability 1 are
    added: ``calibration:CLASS:shared``, whose multiplicative impact on every task of the class
    is the shared ratio, one draw per run (``shared_impact=True``), and
    ``calibration:CLASS:task``, the per-task residual drawn for each task
    (``shared_impact=False``). Started and finished tasks keep their actuals and estimates.

    Parameters
    ----------
    project : Project
        The plan; its tasks' ``tags`` pick their class (the calibration's tag).
    calibration : Calibration
        From :func:`fit_calibration` or :func:`riskcast.calibration_file.read_calibration`.
    unmatched : {"pooled", "none"}, default "pooled"
        What a task with no matching class gets: the pooled class (the organisation's
        estimates in general: the best prior for a team or kind the history has not seen), or
        no calibration.

    Returns
    -------
    Project
        A new plan (the input is not changed).

    Raises
    ------
    ArgumentError
        ``unmatched`` is not one of the above, or the plan already has risks whose ids start
        with ``calibration:`` (a calibrated plan calibrated again).
    """
    if unmatched not in ("pooled", "none"):
        raise ArgumentError(f'unmatched must be "pooled" or "none", got {unmatched!r}')
    clash = [r.id for r in project.risks if r.id.startswith(RISK_PREFIX)]
    if clash:
        raise ArgumentError(
            f"the plan already has calibration risks ({', '.join(clash)}); a plan is calibrated "
            f'once (risk ids starting with "{RISK_PREFIX}" are reserved for calibrations)'
        )
    members: dict[str, list[str]] = {}
    fits: dict[str, ClassFit] = {}
    tasks = []
    for task in project.tasks:
        fit = calibration.class_for(task.tags)
        if fit is None and unmatched == "pooled":
            fit = calibration.pooled
        started = task.actual_start is not None or task.actual_finish is not None
        if fit is None or started or task.estimate.mean <= 0 or task.percent_complete > 0:
            tasks.append(task)
            continue
        members.setdefault(fit.name, []).append(task.id)
        fits[fit.name] = fit
        tasks.append(dataclasses.replace(task, estimate=Fixed(task.estimate.mean)))
    risks = []
    for name, ids in members.items():
        fit = fits[name]
        risks += [
            Risk(
                f"{RISK_PREFIX}{name}:shared",
                1.0,
                tuple(Impact(t, multiply=fit.shared) for t in ids),
                title=f"calibration {name}: shared estimation bias",
                shared_impact=True,
            ),
            Risk(
                f"{RISK_PREFIX}{name}:task",
                1.0,
                tuple(Impact(t, multiply=fit.task) for t in ids),
                title=f"calibration {name}: per-task estimation error",
                shared_impact=False,
            ),
        ]
    return dataclasses.replace(project, tasks=tuple(tasks), risks=(*project.risks, *risks))


def calibrated_tasks(project: Any, calibration: Calibration, unmatched: str = "pooled") -> int:
    """How many tasks of ``project`` :func:`apply_calibration` calibrates."""
    calibrated = apply_calibration(project, calibration, unmatched=unmatched)
    return sum(
        len(r.impacts)
        for r in calibrated.risks
        if r.id.startswith(RISK_PREFIX) and r.id.endswith(":shared")
    )
