"""Throughput forecasts: when will a backlog of items be done, and how many items by a date.

A product team counts finished items per period (a week of 5 working days by default). The
model (the usual "resampled throughput" forecast):

* each period's throughput is drawn uniformly, with replacement, from the team's history of
  items finished per period, and multiplied by that period's multiplier (holiday weeks at 0.5,
  say). A multiplied throughput that is not a whole number (5 x 0.5 = 2.5) is rounded at random
  to a neighbour, keeping its mean: 2 or 3 items with probability 1/2 each (fractions within
  :data:`ROUNDING_TOLERANCE` of a whole number count as that number);
* the backlog is a number of items, a range of whole numbers (each equally likely), or any
  riskcast distribution of item counts, rounded up to whole items: P(B = n) = F(n) - F(n - 1);
* an optional split (growth) factor F, uniform on [low, high], multiplies the backlog as work
  proceeds; the items to finish are ceil(B x F) (a product within :data:`ROUNDING_TOLERANCE` of
  a whole number counts as that number, so 100 x 1.1 is 110, not 111 from binary round-off);
* the duration N is the number of periods until the cumulative count reaches the backlog.

The distribution of N is computed **exactly** (to floating-point round-off) by dynamic programming
over periods: the distribution of the cumulative count S_k after k periods, truncated at the
largest backlog, is convolved with one period's throughput distribution per period, and
P(N <= k | b) = P(S_k >= b), mixed over the (split) backlog distribution. The split factor needs
no grid: P(ceil(b F) = m) is the length of the F-interval that rounds to m, exactly, for every
whole backlog b. Only a continuous backlog distribution is discretised, by its CDF at whole
numbers, its upper tail cut at the 1 - 1e-12 quantile with that tail's mass moved onto the last
point (never dropped).

Mass beyond the horizon (default :data:`DEFAULT_HORIZON` periods) is **censored**: it is reported
as "later than the horizon" (:attr:`WhenForecast.censored`), and a percentile inside it is None.

The one approximation besides floating-point round-off: a probability of not being done below
:data:`TINY` (1e-300, where float64 has only round-off left) counts as 0.

Percentile convention: the q-th percentile of N is the smallest period k with
P(N <= k) >= q/100 (up to 1e-12 of round-off), so ``cdf(percentile(q)) >= q/100`` always. For
"how many items by period w" the q-% level is the largest n with P(S_w >= n) >= q/100: "at least n
items, with q % confidence"; P(S_w >= n) is the same number as P(done n items by period w).

:func:`sample` is a plain Monte Carlo sampler of the same model (numpy Generator, vectorised over
runs): it draws the burn-up fan of the CLI and is an independent cross-check of the dynamic
programme in the tests. :func:`stability` is the XmR (process behaviour) check of the history.

The inputs (history, backlog, multipliers) and the stability check are checked and built in
:mod:`riskcast.throughput_inputs`; a plan's throughput estimate is
:mod:`riskcast.throughput_estimate`. Their public names are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .distributions import Discrete, Distribution
from .errors import ArgumentError
from .throughput_inputs import (
    DEFAULT_HORIZON,
    DEFAULT_PERIOD_DAYS,
    MAX_HORIZON,
    MAX_ITEMS,
    PERCENTILE_TOLERANCE,
    ROUNDING_TOLERANCE,
    TINY,
    Backlog,
    History,
    Stability,
    as_history,
    backlog,
    base_backlog,
    ceil_items,
    check_horizon,
    check_period_days,
    check_split,
    history_folder,
    multipliers,
    parse_counts,
    parse_history_csv,
    parse_items,
    read_history_csv,
    stability,
)

__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_PERIOD_DAYS",
    "Backlog",
    "History",
    "HowManyForecast",
    "Stability",
    "ThroughputSample",
    "WhenForecast",
    "backlog",
    "history_folder",
    "how_many",
    "parse_counts",
    "parse_history_csv",
    "read_history_csv",
    "sample",
    "sample_done",
    "stability",
    "when",
]


# -- one period's throughput ----------------------------------------------------------------------
def _step(counts: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """(items, probabilities) finished in one period of multiplier ``factor``: a history value
    drawn uniformly, times the factor, rounded at random to a neighbouring whole number."""
    x = counts.astype(float) * factor
    floor = np.floor(x + ROUNDING_TOLERANCE)
    frac = x - floor
    frac = np.where(
        frac < ROUNDING_TOLERANCE, 0.0, np.where(frac > 1 - ROUNDING_TOLERANCE, 1.0, frac)
    )
    weight = 1.0 / len(counts)
    values = np.concatenate([floor, floor + 1]).astype(np.int64)
    probs = np.concatenate([(1.0 - frac) * weight, frac * weight])
    merged = np.bincount(values, weights=probs)
    keep = np.flatnonzero(merged > 0)
    return keep, merged[keep]


class _Steps:
    """One period's throughput distribution for each period, cached by multiplier."""

    def __init__(self, counts: Sequence[int], factors: np.ndarray):
        self.counts = np.asarray(counts, np.int64)
        self.factors = factors
        self.cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        factor = float(self.factors[k - 1]) if k <= len(self.factors) else 1.0
        if factor not in self.cache:
            self.cache[factor] = _step(self.counts, factor)
        return self.cache[factor]


def _advance(pmf: np.ndarray, values: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """The distribution of S + X for S ~ ``pmf`` on 0..cap (the last cell holds S >= cap) and X
    ~ (values, probs), truncated at cap again. Each cell below cap is the same sum of the same
    products whatever cap is, so P(S_k < n) is bit-identical for every cap >= n (how_many and
    when agree exactly)."""
    cap = len(pmf) - 1
    new = np.zeros_like(pmf)
    for v, p in zip(values.tolist(), probs.tolist(), strict=True):
        if v > cap:
            new[cap] += p * pmf.sum()
            continue
        new[v:] += p * pmf[: cap + 1 - v]
        if v:
            new[cap] += p * pmf[cap + 1 - v :].sum()
    return new


# -- the exact distributions -----------------------------------------------------------------------
@dataclass(frozen=True)
class WhenForecast:
    """Exact distribution of the number of periods N to finish a backlog.

    Attributes
    ----------
    survival : numpy.ndarray
        ``survival[k]`` = P(N > k) for k = 0 .. len - 1; P(N > k) = 0 for larger k unless
        the horizon was reached (then ``survival[-1]`` is the censored mass).
    horizon : int
        Periods computed; P(N > horizon) is :attr:`censored`.
    period_days : float
        Working days per period.
    backlog : Backlog
        The items to finish (after any split).
    history : History
        The throughput history used.
    start : datetime.date or None
        First working day of period 1, when known (for dates).
    """

    survival: np.ndarray
    horizon: int
    period_days: float
    backlog: Backlog
    history: History
    start: dt.date | None = None
    calendar: Any = None

    @property
    def censored(self) -> float:
        """P(N > horizon): the probability of finishing later than the horizon."""
        return float(self.survival[-1]) if len(self.survival) == self.horizon + 1 else 0.0

    @property
    def periods(self) -> np.ndarray:
        """0, 1, ..., the last period with probability (at most the horizon)."""
        return np.arange(len(self.survival))

    @property
    def probabilities(self) -> np.ndarray:
        """P(N = k) for :attr:`periods` (tiny negative round-off clipped to 0)."""
        prev = np.concatenate(([1.0], self.survival[:-1]))
        return np.clip(prev - self.survival, 0.0, None)

    def cdf(self, k: int) -> float:
        """P(N <= k), periods."""
        if k < 0:
            return 0.0
        if k >= len(self.survival):
            return 1.0 - self.censored
        return 1.0 - float(self.survival[k])

    def percentile(self, q: float) -> int | None:
        """Smallest period k with P(N <= k) >= q/100; None when it lies beyond the horizon."""
        _check_q(q)
        below = np.flatnonzero(1.0 - self.survival >= q / 100 - PERCENTILE_TOLERANCE)
        return int(below[0]) if below.size else None

    @property
    def mean(self) -> float:
        """E[N] in periods, censored runs counted at horizon + 1 (a lower bound when censored):
        the sum of P(N > k) over k >= 0."""
        return float(math.fsum(self.survival.tolist()))

    def days(self, k: int) -> float:
        """Working days of ``k`` periods."""
        return k * self.period_days

    def date(self, k: int | None) -> dt.date | None:
        """Delivery date of a finish after ``k`` periods (needs :attr:`start`)."""
        if k is None or self.start is None:
            return None
        return _finish_date(self.start, k * self.period_days, self.calendar)

    def probability_by(self, date: dt.date) -> float:
        """P(done by the end of ``date``) (needs :attr:`start`)."""
        return self.cdf(whole_periods(self.start, date, self.period_days, self.calendar))


def _check_q(q: float) -> None:
    if isinstance(q, bool) or not isinstance(q, int | float) or not 0 < q <= 100:
        raise ArgumentError(f"a percentile is in (0, 100], got {q!r}")


def _finish_date(start: dt.date, days: float, calendar: Any) -> dt.date:
    from .calendar import Calendar

    cal = calendar or Calendar()
    return cal.finish_dates(cal.first_working_day(start), np.array([days]))[0].astype(dt.date)


def whole_periods(
    start: dt.date | None, date: dt.date, period_days: float, calendar: Any = None
) -> int:
    """Periods completed from ``start`` through the end of ``date`` (partial ones do not count)."""
    from .calendar import Calendar

    if start is None:
        raise ArgumentError("dates need the start of the forecast")
    cal = calendar or Calendar()
    first = cal.first_working_day(start)
    if date < first:
        return 0
    days = int(cal.days_until_end_of(first, date))
    return math.floor(days / period_days + ROUNDING_TOLERANCE)


def when(
    history: Any,
    items: Any,
    *,
    split: Any = None,
    multipliers_spec: Any = None,
    horizon: int = DEFAULT_HORIZON,
    period_days: float = DEFAULT_PERIOD_DAYS,
    start: dt.date | None = None,
    calendar: Any = None,
) -> WhenForecast:
    """Exact distribution of the periods needed to finish ``items`` (dynamic programming).

    Parameters
    ----------
    history : list of int, History, or path of a CSV of completion dates
        Items finished per period.
    items : int, (low, high), "100..120", Distribution or Backlog
        The backlog, in items (see :func:`backlog`).
    split : (low, high) or float, optional
        Split/growth factor, uniform on [low, high]; the items to finish are ceil(B x F).
    multipliers_spec : optional
        Period factors (see :func:`multipliers`): periods from 1, or dates with ``start``.
    horizon : int, default 520
        Periods computed; later mass is censored (:attr:`WhenForecast.censored`).
    period_days : float, default 5
        Working days per period (for dates).
    start : datetime.date, optional
        First day of period 1 (for dates and date multipliers).
    calendar : riskcast.Calendar, optional
        Working days for dates (default Mon-Fri).

    Returns
    -------
    WhenForecast
    """
    hist = as_history(history)
    horizon = check_horizon(horizon)
    period_days = check_period_days(period_days)
    bl = items if isinstance(items, Backlog) else backlog(items, split)
    factors = multipliers(
        multipliers_spec, horizon, start=start, period_days=period_days, calendar=calendar
    )
    steps = _Steps(hist.counts, factors)
    cap = bl.high
    pmf = np.zeros(cap + 1)
    pmf[0] = 1.0
    heads = bl.values - 1  # P(S < b) = cumsum(pmf)[b - 1]; b = 0 is done at once
    positive = bl.values > 0
    survival = [float(bl.probabilities[positive].sum())]  # P(N > 0) = P(B > 0)
    for k in range(1, horizon + 1):
        if survival[-1] == 0.0:
            break
        pmf = _advance(pmf, *steps(k))
        cum = np.cumsum(pmf)
        below = np.where(positive, cum[np.maximum(heads, 0)], 0.0)
        left = float(np.dot(bl.probabilities, below))
        # Below 1e-300 float64 leaves its normal range and round-off is all that is left (a
        # stray 5e-324 would otherwise linger to the horizon and read as censoring): that
        # remainder is taken as finished in this period, so the probabilities still sum to 1.
        survival.append(left if left >= TINY else 0.0)
    return WhenForecast(np.array(survival), horizon, period_days, bl, hist, start, calendar)


@dataclass(frozen=True)
class HowManyForecast:
    """Exact distribution of the items S finished in ``periods`` periods.

    Attributes
    ----------
    probabilities : numpy.ndarray
        P(S = n) for n = 0 .. len - 1 (items).
    periods : int
        The periods counted.
    """

    probabilities: np.ndarray
    periods: int
    history: History
    period_days: float = DEFAULT_PERIOD_DAYS
    start: dt.date | None = None

    def probability_at_least(self, n: int) -> float:
        """P(S >= n): the same number as P(done n items by period :attr:`periods`)."""
        if n <= 0:
            return 1.0
        # past the support the cumulative sum only adds zeros: the same float as when() gets
        cum = np.cumsum(self.probabilities)
        return 1.0 - float(cum[min(n, len(cum)) - 1])

    def at_least(self, q: float) -> int:
        """Largest n with P(S >= n) >= q/100: "at least n items, with q % confidence"."""
        _check_q(q)
        cum = np.cumsum(self.probabilities)
        tail = 1.0 - np.concatenate(([0.0], cum[:-1]))  # P(S >= n), n = 0 ..
        ok = np.flatnonzero(tail >= q / 100 - PERCENTILE_TOLERANCE)
        return int(ok[-1])

    @property
    def mean(self) -> float:
        """E[S], items."""
        return float(np.dot(np.arange(len(self.probabilities)), self.probabilities))


def how_many(
    history: Any,
    periods: int,
    *,
    multipliers_spec: Any = None,
    period_days: float = DEFAULT_PERIOD_DAYS,
    start: dt.date | None = None,
    calendar: Any = None,
) -> HowManyForecast:
    """Exact distribution of the items finished in ``periods`` periods (dynamic programming).

    Parameters
    ----------
    history : list of int, History, or path of a CSV of completion dates
        Items finished per period.
    periods : int
        Whole periods counted (>= 0, at most :data:`MAX_HORIZON`).
    multipliers_spec, period_days, start, calendar
        As for :func:`when`.

    Returns
    -------
    HowManyForecast
    """
    hist = as_history(history)
    if isinstance(periods, bool) or not isinstance(periods, int | np.integer) or periods < 0:
        raise ArgumentError(f"periods must be a whole number >= 0, got {periods!r}")
    if periods > MAX_HORIZON:
        raise ArgumentError(f"at most {MAX_HORIZON:,} periods, got {periods:,}")
    factors = multipliers(
        multipliers_spec,
        max(int(periods), 1),
        start=start,
        period_days=check_period_days(period_days),
        calendar=calendar,
    )
    steps = _Steps(hist.counts, factors)
    cap = sum(int(steps(k)[0][-1]) for k in range(1, periods + 1))
    if cap > 50 * MAX_ITEMS:
        raise ArgumentError(f"{periods} periods could finish {cap:,} items: too many to count")
    pmf = np.zeros(cap + 2)  # one cell above the largest total: never reached, so no truncation
    pmf[0] = 1.0
    for k in range(1, periods + 1):
        pmf = _advance(pmf, *steps(k))
    return HowManyForecast(pmf[: cap + 1], int(periods), hist, float(period_days), start)


# -- Monte Carlo -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ThroughputSample:
    """Monte Carlo runs of the throughput model.

    Attributes
    ----------
    periods : numpy.ndarray of int64
        Periods each run needed; ``horizon + 1`` for a run not done within the horizon.
    backlog : numpy.ndarray of int64
        Items each run had to finish (after its split).
    done : numpy.ndarray of int64 or None
        ``done[i, k]``: items run i finished in periods 1..k (k = 0 .. columns - 1), when paths
        were asked for; the runs go on until every run is done (or the horizon).
    horizon : int
    """

    periods: np.ndarray
    backlog: np.ndarray
    horizon: int
    done: np.ndarray | None = None

    @property
    def censored(self) -> float:
        """Share of runs not done within the horizon."""
        return float(np.mean(self.periods > self.horizon))

    def cdf(self, k: int) -> float:
        """Share of runs done within ``k`` periods."""
        return float(np.mean(self.periods <= k))

    def percentile(self, q: float) -> int | None:
        """Smallest k with a share >= q/100 of runs done by k (None: beyond the horizon)."""
        _check_q(q)
        ordered = np.sort(self.periods)
        k = int(ordered[max(math.ceil(q / 100 * len(ordered) - PERCENTILE_TOLERANCE), 1) - 1])
        return None if k > self.horizon else k


def _draw_backlog(items: Any, split: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """Backlog per run, drawn directly (not from :func:`backlog`'s exact table): the base
    count, a continuous distribution sampled by inverse CDF and rounded up, then the split."""
    if isinstance(items, str):
        items = parse_items(items)
    if isinstance(items, Distribution) and not isinstance(items, Discrete) and items.has_spread:
        x = items.scipy().ppf(rng.random(n))
        base = np.maximum(np.ceil(x), 0).astype(np.int64)
    else:
        values, probs = base_backlog(items, "items")
        base = values[np.minimum(np.searchsorted(np.cumsum(probs), rng.random(n)), len(values) - 1)]
    factor = check_split(split)
    if factor is None:
        return base
    f = rng.uniform(factor[0], factor[1], n)
    return np.where(base > 0, ceil_items(base * f), 0)


def sample(
    history: Any,
    items: Any,
    iterations: int = 10_000,
    seed: int | np.random.Generator | None = None,
    *,
    split: Any = None,
    multipliers_spec: Any = None,
    horizon: int = DEFAULT_HORIZON,
    period_days: float = DEFAULT_PERIOD_DAYS,
    start: dt.date | None = None,
    calendar: Any = None,
    paths: bool = False,
) -> ThroughputSample:
    """Monte Carlo runs of the same model as :func:`when`: each run resamples periods from the
    history until its backlog is done (vectorised over runs).

    Parameters
    ----------
    iterations : int
        Runs.
    seed : int or numpy.random.Generator, optional
        The same seed gives the same runs.
    paths : bool, default False
        Keep each run's cumulative items done per period (:attr:`ThroughputSample.done`), for
        the burn-up fan; memory ``iterations x periods`` integers.

    Other parameters are those of :func:`when`.
    """
    hist = as_history(history)
    horizon = check_horizon(horizon)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ArgumentError(f"iterations must be a whole number >= 1, got {iterations!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    factors = multipliers(
        multipliers_spec,
        horizon,
        start=start,
        period_days=check_period_days(period_days),
        calendar=calendar,
    )
    counts = np.asarray(hist.counts, np.int64)
    target = _draw_backlog(items, split, iterations, rng)
    cum = np.zeros(iterations, np.int64)
    finished = np.where(target <= 0, 0, horizon + 1).astype(np.int64)
    track = [cum.copy()] if paths else None
    active = np.flatnonzero(target > 0)
    for k in range(1, horizon + 1):
        if active.size == 0:
            break
        who = np.arange(iterations) if paths else active
        x = counts[rng.integers(0, len(counts), who.size)] * factors[k - 1]
        whole = np.floor(x + ROUNDING_TOLERANCE)
        frac = x - whole
        up = (frac > ROUNDING_TOLERANCE) & (rng.random(who.size) < frac)
        cum[who] += (whole + up).astype(np.int64)
        now = active[cum[active] >= target[active]]
        finished[now] = k
        active = active[cum[active] < target[active]]
        if track is not None:
            track.append(cum.copy())
    done = np.stack(track, axis=1) if track is not None else None
    return ThroughputSample(finished, target, horizon, done)


def sample_done(
    history: Any,
    periods: int,
    iterations: int = 10_000,
    seed: int | np.random.Generator | None = None,
    *,
    multipliers_spec: Any = None,
    period_days: float = DEFAULT_PERIOD_DAYS,
    start: dt.date | None = None,
    calendar: Any = None,
) -> np.ndarray:
    """Monte Carlo cumulative items done, ``done[i, k]`` for run i after k = 0 .. ``periods``
    periods (the burn-up fan of "how many by a date"); the model of :func:`how_many`."""
    hist = as_history(history)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ArgumentError(f"iterations must be a whole number >= 1, got {iterations!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    factors = multipliers(
        multipliers_spec,
        max(periods, 1),
        start=start,
        period_days=check_period_days(period_days),
        calendar=calendar,
    )
    counts = np.asarray(hist.counts, np.int64)
    done = np.zeros((iterations, periods + 1), np.int64)
    for k in range(1, periods + 1):
        x = counts[rng.integers(0, len(counts), iterations)] * factors[k - 1]
        whole = np.floor(x + ROUNDING_TOLERANCE)
        frac = x - whole
        up = (frac > ROUNDING_TOLERANCE) & (rng.random(iterations) < frac)
        done[:, k] = done[:, k - 1] + (whole + up).astype(np.int64)
    return done
