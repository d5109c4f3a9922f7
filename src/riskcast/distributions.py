"""Duration-estimate distributions, in working days.

Each class is a frozen value: it validates its parameters, knows its exact mean and variance, the
single-point value a scheduler would plan with (:attr:`most_likely`), a scipy.stats reference
(:meth:`scipy`, used by tests and by the compiler for normal tails), and its model-file spelling
(:meth:`to_spec`, :func:`from_spec`). Sampling happens only in the engine, by inverse CDF of a uniform.

``most_likely`` is the mode of the three-point estimates (triangular, PERT, beta with alpha, beta > 1),
the fixed value, and the median of every other distribution. The deterministic (CPM) plan is computed
with it.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, ClassVar

from .errors import ModelError

__all__ = [
    "Beta",
    "Discrete",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "LogNormal",
    "Normal",
    "Pert",
    "Triangular",
    "Uniform",
    "from_spec",
]

Z90 = 1.2815515655446004  # standard normal 90 % quantile, for lognormal(p10, p90)
Z999 = 3.090232306167813  # standard normal 99.9 % quantile
_PHI = NormalDist()


def normal_cdf(x: float) -> float:
    """Standard normal CDF, accurate in both tails (erfc, not 1 + erf)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _pdf(x: float) -> float:
    return 0.0 if math.isinf(x) else _PHI.pdf(x)


def _beta_var(alpha: float, beta: float) -> float:
    """Variance of Beta(alpha, beta) on [0, 1]."""
    total = alpha + beta
    return alpha * beta / (total * total * (total + 1))


MAX_DAYS = 1e6  # working days (about 4,000 years): anything larger is a unit mistake
MAX_MONEY = 1e15  # currency units: beyond any project's budget, and exact in float64 sums
# The magnitude an estimate may reach and its unit: durations unless built by value_limit().
_LIMIT: ContextVar[tuple[float, str]] = ContextVar(
    "value_limit", default=(MAX_DAYS, "working days")
)


@contextmanager
def value_limit(limit: float, unit: str) -> Iterator[None]:
    """Build distributions of another quantity (money: ``MAX_MONEY``, "currency units") inside
    this block: their values are checked against ``limit`` instead of ``MAX_DAYS`` working days."""
    token = _LIMIT.set((limit, unit))
    try:
        yield
    finally:
        _LIMIT.reset(token)


def _finite(name: str, value: Any, problems: list[str]) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{name} must be a number, got {value!r}")
        return False
    if not math.isfinite(value):
        problems.append(f"{name} must be finite, got {value!r}")
        return False
    limit, unit = _LIMIT.get()
    if abs(value) > limit:
        problems.append(f"{name} must be within +/-{limit:,.0f} {unit}, got {value!r}")
        return False
    return True


def _all_finite(values: dict[str, Any], problems: list[str]) -> bool:
    return all([_finite(k, v, problems) for k, v in values.items()])


class Distribution(ABC):
    """Base class. Subclasses are frozen dataclasses with a ``kind`` (the model-file key)."""

    kind: ClassVar[str]

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ModelError([f"{self.kind}: {p}" for p in problems])

    @abstractmethod
    def problems(self) -> list[str]:
        """What is wrong with the parameters (empty when valid)."""

    @property
    @abstractmethod
    def mean(self) -> float:
        """Exact mean (working days)."""

    @property
    @abstractmethod
    def var(self) -> float:
        """Exact variance (working days squared)."""

    @property
    @abstractmethod
    def most_likely(self) -> float:
        """The single-point value the plan (CPM) uses; see the module docstring."""

    @property
    @abstractmethod
    def minimum(self) -> float:
        """The smallest value the distribution can take (a duration needs >= 0)."""

    @property
    def has_spread(self) -> bool:
        return self.var > 0.0

    @abstractmethod
    def scipy(self) -> Any:
        """The scipy.stats frozen distribution this one equals (reference, not used to sample)."""

    @abstractmethod
    def to_spec(self) -> Any:
        """The model-file value (TOML/JSON) that :func:`from_spec` reads back to an equal object."""


@dataclass(frozen=True)
class Fixed(Distribution):
    """Always ``value`` working days (no uncertainty)."""

    value: float
    kind: ClassVar[str] = "fixed"

    @property
    def minimum(self) -> float:
        return float(self.value)

    def problems(self) -> list[str]:
        p: list[str] = []
        _finite("value", self.value, p)
        return p

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def var(self) -> float:
        return 0.0

    @property
    def most_likely(self) -> float:
        return float(self.value)

    def scipy(self) -> Any:
        from scipy import stats

        return stats.rv_discrete(values=([self.value], [1.0]))

    def to_spec(self) -> Any:
        return {"fixed": self.value}


def _check_range(low: Any, high: Any, p: list[str], mode: Any = None) -> bool:
    names = {"low": low, "high": high} | ({} if mode is None else {"mode": mode})
    if not _all_finite(names, p):
        return False
    if mode is not None and not low <= mode <= high:
        p.append(f"need low <= mode <= high, got {low}, {mode}, {high}")
    elif low > high:
        p.append(f"low must not exceed high, got low={low} > high={high}; swap them")
    return not p


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [low, high]: every value equally likely. scipy: ``uniform(low, high - low)``."""

    low: float
    high: float
    kind: ClassVar[str] = "uniform"

    @property
    def minimum(self) -> float:
        return float(self.low)

    def problems(self) -> list[str]:
        p: list[str] = []
        _check_range(self.low, self.high, p)
        return p

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def var(self) -> float:
        return (self.high - self.low) ** 2 / 12

    @property
    def most_likely(self) -> float:
        return self.mean

    def scipy(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def to_spec(self) -> Any:
        return {"uniform": [self.low, self.high]}


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on [low, high] with peak at ``mode``.

    Mean (low + mode + high) / 3. scipy: ``triang((mode - low)/(high - low), low, high - low)``.
    """

    low: float
    mode: float
    high: float
    kind: ClassVar[str] = "triangular"

    @property
    def minimum(self) -> float:
        return float(self.low)

    def problems(self) -> list[str]:
        p: list[str] = []
        _check_range(self.low, self.high, p, self.mode)
        return p

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def var(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    @property
    def most_likely(self) -> float:
        return float(self.mode)

    def scipy(self) -> Any:
        from scipy import stats

        width = self.high - self.low
        c = (self.mode - self.low) / width if width > 0 else 0.5
        return stats.triang(c, loc=self.low, scale=width)

    def to_spec(self) -> Any:
        return {"triangular": [self.low, self.mode, self.high]}


@dataclass(frozen=True)
class Pert(Distribution):
    """Beta-PERT on [low, high] with most-likely ``mode`` and shape weight ``lam`` (lambda).

    alpha = 1 + lam (mode - low)/(high - low), beta = 1 + lam (high - mode)/(high - low); the mean is
    (low + lam mode + high)/(lam + 2), i.e. (low + 4 mode + high)/6 for the standard lam = 4.
    Any other ``lam`` gives the modified PERT. scipy: ``beta(alpha, beta, low, high - low)``.
    """

    low: float
    mode: float
    high: float
    lam: float = 4.0
    kind: ClassVar[str] = "pert"

    @property
    def minimum(self) -> float:
        return float(self.low)

    def problems(self) -> list[str]:
        p: list[str] = []
        _check_range(self.low, self.high, p, self.mode)
        if _finite("lambda", self.lam, p) and self.lam <= 0:
            p.append(f"lambda must be > 0, got {self.lam}")
        return p

    @property
    def shape(self) -> tuple[float, float]:
        """(alpha, beta) of the underlying beta distribution."""
        width = self.high - self.low
        s = (self.mode - self.low) / width if width > 0 else 0.5
        return 1.0 + self.lam * s, 1.0 + self.lam * (1.0 - s)

    @property
    def mean(self) -> float:
        return (self.low + self.lam * self.mode + self.high) / (self.lam + 2.0)

    @property
    def var(self) -> float:
        return _beta_var(*self.shape) * (self.high - self.low) ** 2

    @property
    def most_likely(self) -> float:
        return float(self.mode)

    def scipy(self) -> Any:
        from scipy import stats

        a, b = self.shape
        return stats.beta(a, b, loc=self.low, scale=self.high - self.low)

    def to_spec(self) -> Any:
        if self.lam == 4.0:
            return {"pert": [self.low, self.mode, self.high]}
        return {"pert": {"low": self.low, "mode": self.mode, "high": self.high, "lambda": self.lam}}


@dataclass(frozen=True)
class Beta(Distribution):
    """Beta(alpha, beta) stretched onto [low, high]. scipy: ``beta(alpha, beta, low, high - low)``.

    ``most_likely`` is the mode when alpha, beta > 1, otherwise the median.
    """

    low: float
    high: float
    alpha: float
    beta: float
    kind: ClassVar[str] = "beta"

    @property
    def minimum(self) -> float:
        return float(self.low)

    def problems(self) -> list[str]:
        p: list[str] = []
        _check_range(self.low, self.high, p)
        for name in ("alpha", "beta"):
            v = getattr(self, name)
            if _finite(name, v, p) and v <= 0:
                p.append(f"{name} must be > 0, got {v}")
        return p

    @property
    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.alpha / (self.alpha + self.beta)

    @property
    def var(self) -> float:
        return _beta_var(self.alpha, self.beta) * (self.high - self.low) ** 2

    @property
    def most_likely(self) -> float:
        if self.alpha > 1 and self.beta > 1:
            m = (self.alpha - 1) / (self.alpha + self.beta - 2)
            return self.low + m * (self.high - self.low)
        return float(self.scipy().median())

    def scipy(self) -> Any:
        from scipy import stats

        return stats.beta(self.alpha, self.beta, loc=self.low, scale=self.high - self.low)

    def to_spec(self) -> Any:
        return {
            "beta": {"low": self.low, "high": self.high, "alpha": self.alpha, "beta": self.beta}
        }


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal(mu, sd) truncated to [low, high] (default [0, inf): durations are never negative).

    ``mu`` and ``sd`` (file keys ``mean`` and ``sd``) are those of the normal before truncation; the truncated mean is larger when
    the lower bound cuts the left tail. scipy: ``truncnorm((low-mu)/sd, (high-mu)/sd, mu, sd)``.
    """

    mu: float
    sd: float
    low: float = 0.0
    high: float = math.inf
    kind: ClassVar[str] = "normal"

    @property
    def minimum(self) -> float:
        return float(self.low)

    def problems(self) -> list[str]:
        p: list[str] = []
        ok = _all_finite({"mean": self.mu, "sd": self.sd}, p)
        for name, bound in (("low", self.low), ("high", self.high)):
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                p.append(f"{name} must be a number, got {bound!r}")
                ok = False
            elif math.isnan(bound):
                p.append(f"{name} must not be NaN")
                ok = False
        if not ok:
            return p
        if self.sd <= 0:
            p.append(f"sd must be > 0, got {self.sd}; use fixed for no spread")
        if self.low >= self.high:
            p.append(f"low must be below high, got low={self.low}, high={self.high}")
        elif self.sd > 0:
            mass = self._standard_bounds()[2]
            if mass < 1e-12:
                p.append(
                    f"[low, high] = [{self.low}, {self.high}] holds no probability of "
                    f"normal(mean={self.mu}, sd={self.sd}); widen the bounds"
                )
        return p

    def _standard_bounds(self) -> tuple[float, float, float]:
        """(a, b, Z): bounds in sd units and the normal mass between them."""
        a, b = (self.low - self.mu) / self.sd, (self.high - self.mu) / self.sd
        return a, b, normal_cdf(b) - normal_cdf(a)

    @property
    def mean(self) -> float:
        a, b, z = self._standard_bounds()
        return self.mu + self.sd * (_pdf(a) - _pdf(b)) / z

    @property
    def var(self) -> float:
        a, b, z = self._standard_bounds()
        shift = (_pdf(a) - _pdf(b)) / z
        spread = (_pdf(a) * a if math.isfinite(a) else 0.0) - (
            _pdf(b) * b if math.isfinite(b) else 0.0
        )
        return self.sd**2 * (1 + spread / z - shift**2)

    @property
    def most_likely(self) -> float:
        """The median of the truncated normal."""
        a, b, _ = self._standard_bounds()
        return self.mu + self.sd * _PHI.inv_cdf((normal_cdf(a) + normal_cdf(b)) / 2)

    def scipy(self) -> Any:
        from scipy import stats

        a, b = (self.low - self.mu) / self.sd, (self.high - self.mu) / self.sd
        return stats.truncnorm(a, b, loc=self.mu, scale=self.sd)

    def to_spec(self) -> Any:
        spec: dict[str, float] = {"mean": self.mu, "sd": self.sd}
        if self.low != 0.0:
            spec["low"] = self.low
        if self.high != math.inf:
            spec["high"] = self.high
        return {"normal": spec}


@dataclass(frozen=True)
class LogNormal(Distribution):
    """exp(Normal(mu, sigma)): right-skewed, positive. scipy: ``lognorm(sigma, scale=exp(mu))``.

    Build it from the log-scale ``mu``/``sigma``, or with :meth:`from_mean_sd` (mean and sd of the
    duration itself) or :meth:`from_p10_p90` (the 10th and 90th percentiles).
    """

    mu: float
    sigma: float
    kind: ClassVar[str] = "lognormal"

    @property
    def minimum(self) -> float:
        return 0.0

    def problems(self) -> list[str]:
        p: list[str] = []
        if _all_finite({"mu": self.mu, "sigma": self.sigma}, p):
            if self.sigma <= 0:
                p.append(f"sigma must be > 0, got {self.sigma}")
            elif self.mu + Z999 * self.sigma > math.log(_LIMIT.get()[0]):
                limit, unit = _LIMIT.get()
                p.append(
                    f"its 99.9th percentile exp(mu + 3.09 sigma) exceeds {limit:,.0f} {unit} "
                    f"(mu={self.mu}, sigma={self.sigma}); check the units"
                )
        return p

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> LogNormal:
        p: list[str] = []
        if _all_finite({"mean": mean, "sd": sd}, p):
            if mean <= 0 or sd <= 0:
                p.append(f"mean and sd must be > 0, got mean={mean}, sd={sd}")
        if p:
            raise ModelError([f"lognormal: {x}" for x in p])
        sigma2 = math.log1p((sd / mean) ** 2)
        return cls(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))

    @classmethod
    def from_p10_p90(cls, p10: float, p90: float) -> LogNormal:
        p: list[str] = []
        if _all_finite({"p10": p10, "p90": p90}, p) and not 0 < p10 < p90:
            p.append(f"need 0 < p10 < p90, got p10={p10}, p90={p90}")
        if p:
            raise ModelError([f"lognormal: {x}" for x in p])
        lo, hi = math.log(p10), math.log(p90)
        return cls((lo + hi) / 2, (hi - lo) / (2 * Z90))

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def var(self) -> float:
        return math.expm1(self.sigma**2) * math.exp(2 * self.mu + self.sigma**2)

    @property
    def most_likely(self) -> float:
        """The median, exp(mu)."""
        return math.exp(self.mu)

    def scipy(self) -> Any:
        from scipy import stats

        return stats.lognorm(self.sigma, scale=math.exp(self.mu))

    def to_spec(self) -> Any:
        return {"lognormal": {"mu": self.mu, "sigma": self.sigma}}


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential with mean ``scale`` (file key ``mean``): memoryless waits. scipy: ``expon(scale=scale)``."""

    scale: float
    kind: ClassVar[str] = "exponential"

    @property
    def minimum(self) -> float:
        return 0.0

    def problems(self) -> list[str]:
        p: list[str] = []
        if not _finite("mean", self.scale, p):
            return p
        if self.scale <= 0:
            p.append(f"mean must be > 0, got {self.scale}")
        elif self.scale * math.log(1000) > _LIMIT.get()[0]:
            limit, unit = _LIMIT.get()
            p.append(f"its 99.9th percentile exceeds {limit:,.0f} {unit}; check the units")
        return p

    @property
    def mean(self) -> float:
        return float(self.scale)

    @property
    def var(self) -> float:
        return float(self.scale) ** 2

    @property
    def most_likely(self) -> float:
        """The median, scale ln 2."""
        return self.scale * math.log(2.0)

    def scipy(self) -> Any:
        from scipy import stats

        return stats.expon(scale=self.scale)

    def to_spec(self) -> Any:
        return {"exponential": {"mean": self.scale}}


@dataclass(frozen=True)
class Discrete(Distribution):
    """One of ``values`` with probability proportional to ``weights`` (equal when omitted).

    Sampled by inverse CDF: the smallest value whose cumulative weight reaches u. scipy reference:
    ``rv_discrete`` on the values (tests use the same cumulative rule).
    """

    values: tuple[float, ...]
    weights: tuple[float, ...] = field(default=())
    kind: ClassVar[str] = "discrete"

    @property
    def minimum(self) -> float:
        return float(min(self.values))

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        object.__setattr__(self, "weights", tuple(self.weights) or (1.0,) * len(self.values))
        super().__post_init__()

    def problems(self) -> list[str]:
        p: list[str] = []
        if not self.values:
            return ["values must not be empty"]
        if len(self.weights) != len(self.values):
            return [f"{len(self.weights)} weights for {len(self.values)} values; give one each"]
        for i, (v, w) in enumerate(zip(self.values, self.weights, strict=True)):
            _finite(f"values[{i}]", v, p)
            if _finite(f"weights[{i}]", w, p) and w < 0:
                p.append(f"weights[{i}] must be >= 0, got {w}")
        if not p and sum(self.weights) <= 0:
            p.append("weights must not all be zero")
        return p

    @property
    def probabilities(self) -> tuple[float, ...]:
        total = math.fsum(self.weights)
        return tuple(w / total for w in self.weights)

    @property
    def sorted_support(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(values ascending, their probabilities), merging repeated values."""
        acc: dict[float, float] = {}
        for v, q in zip(self.values, self.probabilities, strict=True):
            acc[float(v)] = acc.get(float(v), 0.0) + q
        keys = sorted(k for k, q in acc.items() if q > 0)
        return tuple(keys), tuple(acc[k] for k in keys)

    @property
    def mean(self) -> float:
        return math.fsum(v * q for v, q in zip(self.values, self.probabilities, strict=True))

    @property
    def var(self) -> float:
        m = self.mean
        return math.fsum(
            (v - m) ** 2 * q for v, q in zip(self.values, self.probabilities, strict=True)
        )

    @property
    def most_likely(self) -> float:
        values, probs = self.sorted_support
        cum = 0.0
        for v, q in zip(values, probs, strict=True):
            cum += q
            if cum >= 0.5:
                return v
        return values[-1]

    def scipy(self) -> Any:
        from scipy import stats

        values, probs = self.sorted_support
        return stats.rv_discrete(values=(values, probs))

    def to_spec(self) -> Any:
        return {"discrete": {"values": list(self.values), "weights": list(self.weights)}}


@dataclass(frozen=True)
class Empirical(Distribution):
    """Continuous distribution through historical ``values``: quantile function Q(u) is numpy's default
    (linear) quantile of the values, so Q(0) = min, Q(1) = max and each gap between consecutive sorted
    values holds probability 1/(n-1). scipy: ``rv_histogram`` with those equal-mass bins.
    """

    values: tuple[float, ...]
    kind: ClassVar[str] = "empirical"

    @property
    def minimum(self) -> float:
        return float(min(self.values))

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        super().__post_init__()

    def problems(self) -> list[str]:
        p: list[str] = []
        if len(self.values) < 2:
            return [f"needs at least 2 historical values, got {len(self.values)}"]
        for i, v in enumerate(self.values):
            _finite(f"values[{i}]", v, p)
        return p

    @property
    def sorted_values(self) -> tuple[float, ...]:
        return tuple(sorted(float(v) for v in self.values))

    @property
    def mean(self) -> float:
        x = self.sorted_values
        return math.fsum((a + b) / 2 for a, b in itertools.pairwise(x)) / (len(x) - 1)

    @property
    def var(self) -> float:
        x = self.sorted_values
        second = math.fsum((a * a + a * b + b * b) / 3 for a, b in itertools.pairwise(x))
        return second / (len(x) - 1) - self.mean**2

    @property
    def most_likely(self) -> float:
        x = self.sorted_values
        h = (len(x) - 1) * 0.5
        i = int(h)
        return x[i] + (h - i) * (x[min(i + 1, len(x) - 1)] - x[i])

    def scipy(self) -> Any:
        import numpy as np
        from scipy import stats

        x = np.asarray(self.sorted_values)
        return stats.rv_histogram((np.full(len(x) - 1, 1.0), x), density=False)

    def to_spec(self) -> Any:
        return {"empirical": list(self.values)}


_POSITIONAL = {
    "uniform": (Uniform, ("low", "high")),
    "triangular": (Triangular, ("low", "mode", "high")),
    "pert": (Pert, ("low", "mode", "high")),
}
KINDS = (
    "fixed",
    "uniform",
    "triangular",
    "pert",
    "beta",
    "normal",
    "lognormal",
    "exponential",
    "discrete",
    "empirical",
    "throughput",  # a multi-key table: riskcast.throughput_estimate.ThroughputEstimate
)


def _keys(spec: dict, allowed: Sequence[str], required: Sequence[str], kind: str) -> None:
    from .suggest import unknown_key_message

    unknown = [k for k in spec if k not in allowed]
    problems = [unknown_key_message(k, allowed, f"{kind}") for k in unknown]
    missing = [k for k in required if k not in spec]
    if missing:
        problems.append(f"{kind} needs {', '.join(missing)}; allowed keys: {', '.join(allowed)}")
    if problems:
        raise ModelError(problems)


def from_spec(spec: Any) -> Distribution:
    """Read a model-file estimate: a number (fixed) or a one-key table such as ``{pert = [3, 5, 10]}``.

    Raises :class:`ModelError` naming what is wrong and what is allowed (no place prefix; the
    loader adds the place).
    """
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return Fixed(spec)
    if isinstance(spec, dict) and ("throughput" in spec or "history" in spec):
        # A team's throughput, e.g. { throughput = [3, 5, 4], items = 40 }: several keys, and
        # it builds a Discrete, so it lives in its own module (imported here, not at the top).
        from .throughput_estimate import ThroughputEstimate

        return ThroughputEstimate.from_spec(spec)
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ModelError(
            f"an estimate is a number or a table with one key ({', '.join(KINDS)}), "
            f"e.g. {{ pert = [3, 5, 10] }}; got {spec!r}"
        )
    ((kind, value),) = spec.items()
    if kind in _POSITIONAL:
        cls, names = _POSITIONAL[kind]
        if isinstance(value, list | tuple):
            if len(value) != len(names):
                raise ModelError(
                    f"{kind} takes [{', '.join(names)}], got {len(value)} values: {value!r}"
                )
            return cls(*value)
        if isinstance(value, dict):
            allowed = (*names, "lambda") if kind == "pert" else names
            _keys(value, allowed, names, kind)
            if kind == "pert":
                return Pert(value["low"], value["mode"], value["high"], value.get("lambda", 4.0))
            return cls(*(value[n] for n in names))
        raise ModelError(f"{kind} takes [{', '.join(names)}] or a table of them, got {value!r}")
    if kind == "fixed":
        return Fixed(value)
    if kind == "beta":
        if not isinstance(value, dict):
            raise ModelError(f"beta takes {{ low, high, alpha, beta }}, got {value!r}")
        _keys(value, ("low", "high", "alpha", "beta"), ("low", "high", "alpha", "beta"), kind)
        return Beta(value["low"], value["high"], value["alpha"], value["beta"])
    if kind == "normal":
        if isinstance(value, list | tuple) and len(value) == 2:
            return Normal(*value)
        if not isinstance(value, dict):
            raise ModelError(f"normal takes [mean, sd] or {{ mean, sd, low, high }}, got {value!r}")
        _keys(value, ("mean", "sd", "low", "high"), ("mean", "sd"), kind)
        return Normal(
            value["mean"], value["sd"], value.get("low", 0.0), value.get("high", math.inf)
        )
    if kind == "lognormal":
        if not isinstance(value, dict):
            raise ModelError(
                f"lognormal takes {{ mean, sd }}, {{ mu, sigma }} or {{ p10, p90 }}, got {value!r}"
            )
        for pair, make in (
            (("mean", "sd"), LogNormal.from_mean_sd),
            (("mu", "sigma"), LogNormal),
            (("p10", "p90"), LogNormal.from_p10_p90),
        ):
            if set(value) == set(pair):
                return make(value[pair[0]], value[pair[1]])
        raise ModelError(
            "lognormal takes exactly one pair: { mean, sd }, { mu, sigma } or { p10, p90 }; "
            f"got keys {sorted(value)}"
        )
    if kind == "exponential":
        if isinstance(value, dict):
            _keys(value, ("mean",), ("mean",), kind)
            value = value["mean"]
        return Exponential(value)
    if kind == "discrete":
        if not isinstance(value, dict):
            raise ModelError(f"discrete takes {{ values = [...], weights = [...] }}, got {value!r}")
        _keys(value, ("values", "weights"), ("values",), kind)
        if not isinstance(value["values"], list) or not isinstance(value.get("weights", []), list):
            raise ModelError("discrete values and weights must be lists of numbers")
        return Discrete(tuple(value["values"]), tuple(value.get("weights", ())))
    if kind == "empirical":
        if not isinstance(value, list):
            raise ModelError(f"empirical takes a list of historical durations, got {value!r}")
        return Empirical(tuple(value))
    from .suggest import unknown_key_message

    raise ModelError(unknown_key_message(kind, KINDS, "estimate"))
