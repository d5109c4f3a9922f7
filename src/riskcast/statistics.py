"""Statistics of simulated runs: percentiles with their Monte Carlo intervals, ranks, Spearman
sensitivity and the per-task statistics a :class:`~riskcast.forecast.Forecast` carries.

Everything here is numpy on the engine's raw results (:class:`~riskcast.engine.run.Runs`); names
and dates are attached by the forecast. Definitions:

* **Percentile** q of n runs: the smallest simulated value with at least q % of the runs at or
  below it (the inverted empirical CDF): the sorted value at 0-based rank ceil(n q / 100) - 1.
* **Confidence interval** of a percentile: the order statistics at ranks n p -/+ z sqrt(n p (1-p))
  (distribution-free, normal approximation to the binomial).
* **Sensitivity**: Spearman rank correlation (ties at their average rank) between a task's
  duration and a target's finish over the runs kept in full.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine.codes import NOT_STARTED
from .errors import ArgumentError

if TYPE_CHECKING:
    from .compile import Network
    from .engine.binning import Binned
    from .engine.run import Runs

FINISH_PERCENTILES = (10, 50, 80, 90)  # per-task finish percentiles of the task table


def check_percentile(q: float) -> float:
    """``q`` as a float in (0, 100], or :class:`ArgumentError`."""
    if isinstance(q, bool) or not isinstance(q, Real) or not 0 < q <= 100:
        raise ArgumentError(f"a percentile is a number in (0, 100], got {q!r}")
    return float(q)


def check_confidence(confidence: float) -> float:
    """``confidence`` as a float in (0, 1), or :class:`ArgumentError`."""
    if isinstance(confidence, bool) or not isinstance(confidence, Real) or not 0 < confidence < 1:
        raise ArgumentError(f"confidence is a probability in (0, 1), e.g. 0.95, got {confidence!r}")
    return float(confidence)


def percentile_index(n: int, q: float) -> int:
    """0-based rank of percentile ``q`` (0 < q <= 100) among ``n`` sorted runs (inverted CDF).

    The 1e-9 guards q n / 100 against round-off (q = 80, n = 10: rank 7, not 8).
    """
    q = check_percentile(q)
    return min(n - 1, max(0, math.ceil(q / 100 * n - 1e-9) - 1))


def percentile_ranks(n: int, q: float, confidence: float = 0.95) -> tuple[int, int]:
    """0-based ranks of the order statistics bounding percentile ``q`` of ``n`` runs with
    probability about ``confidence``."""
    p = check_percentile(q) / 100
    z = NormalDist().inv_cdf(0.5 + check_confidence(confidence) / 2)
    half = z * math.sqrt(n * p * (1 - p))
    return max(0, math.floor(n * p - half) - 1), min(n - 1, math.ceil(n * p + half))


class Finishes:
    """The simulated finishes of one target (working days): every run's value, or, past
    :func:`~riskcast.engine.binning.exact_runs` runs, their day-aligned histogram.

    Order statistics, counts, mean and sd are answered the same way for both; with a histogram
    a value at a rank is the upper edge of its bin (within one bin width, and always on the
    same delivery date), counts up to a bin edge are exact.
    """

    def __init__(self, samples: np.ndarray | None = None, binned: Binned | None = None):
        if (samples is None) == (binned is None):
            raise ArgumentError("give the samples or their histogram")
        self.samples = samples
        self.binned = binned
        self._sorted: np.ndarray | None = None
        self._cumulative: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Runs."""
        return len(self.samples) if self.samples is not None else self.binned.n

    @property
    def sorted(self) -> np.ndarray:
        """Every run's finish ascending (exact finishes only)."""
        if self._sorted is None:
            self._sorted = np.sort(self.samples)
        return self._sorted

    @property
    def cumulative(self) -> np.ndarray:
        """Runs up to and including each bin (histogram only)."""
        if self._cumulative is None:
            self._cumulative = np.cumsum(self.binned.counts)
        return self._cumulative

    @property
    def resolution(self) -> float:
        """Largest error of :meth:`value_at_rank` in working days (0 for exact finishes)."""
        return 0.0 if self.binned is None else self.binned.width

    def value_at_rank(self, rank: int) -> float:
        """The finish at 0-based ``rank`` among the runs sorted ascending."""
        if self.samples is not None:
            return float(self.sorted[rank])
        b = self.binned
        if rank <= 0:
            return b.low
        if rank >= b.n - 1:
            return b.high
        i = int(np.searchsorted(self.cumulative, rank + 1))
        return float(min(b.edge(i), b.high))

    def count_at_most(self, t: float) -> int:
        """Runs whose finish is at most ``t``; exact for a histogram when ``t`` is a bin edge
        (any whole number of working days plus the time tolerance)."""
        if self.samples is not None:
            return int(np.searchsorted(self.sorted, t, side="right"))
        b = self.binned
        if t >= b.high:
            return b.n
        full = math.floor((t - b.edge(-1)) / b.width + 1e-9)  # bins whose edge is <= t
        return 0 if full <= 0 else int(self.cumulative[min(full, len(b.counts)) - 1])

    @property
    def mean(self) -> float:
        if self.samples is not None:
            return float(self.samples.mean())
        return self.binned.anchor + self.binned.shifted_sum / self.binned.n

    @property
    def sd(self) -> float:
        """Standard deviation (n - 1 in the denominator); 0 when every run is the same."""
        if self.samples is not None:
            x = self.sorted
            return 0.0 if x[0] == x[-1] else float(x.std(ddof=1))
        b = self.binned
        if b.low == b.high or b.n < 2:
            return 0.0
        s, q = b.shifted_sum, b.shifted_squares
        return math.sqrt(max(q - s * s / b.n, 0.0) / (b.n - 1))

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """(finishes ascending, share of runs at or below each): every run, or every bin edge
        that holds runs."""
        if self.samples is not None:
            x = self.sorted
            return x, np.arange(1, len(x) + 1) / len(x)
        b = self.binned
        held = np.flatnonzero(b.counts)
        edges = np.minimum(b.edge(held), b.high)
        return edges, self.cumulative[held] / b.n


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..K along the last axis of ``x`` (T, K), ties sharing their average rank (as
    ``scipy.stats.rankdata``, without importing scipy.stats in a run)."""
    rows, k = x.shape
    order = np.argsort(x, axis=1)
    ordered = np.take_along_axis(x, order, axis=1)
    # A tie group runs from its first to its last position; its members get the mean of the two.
    new = np.ones((rows, k), bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    last = np.ones((rows, k), bool)
    last[:, :-1] = new[:, 1:]
    position = np.broadcast_to(np.arange(k, dtype=np.float64), (rows, k))
    first_of_group = np.maximum.accumulate(np.where(new, position, 0.0), axis=1)
    last_of_group = np.minimum.accumulate(np.where(last, position, k)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty((rows, k))
    np.put_along_axis(ranks, order, (first_of_group + last_of_group) / 2 + 1, axis=1)
    return ranks


def centred_ranks(x: np.ndarray) -> np.ndarray:
    """:func:`average_ranks` minus their mean (K + 1) / 2."""
    return average_ranks(x) - (x.shape[1] + 1) / 2


def spearman(x: np.ndarray, y_centred_ranks: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``x`` (n, K) with each row of ``y`` (T, K), given as
    :func:`centred_ranks`. Rows without spread get 0. Returns (T, n)."""
    if x.shape[1] < 3:
        return np.zeros((y_centred_ranks.shape[0], x.shape[0]))
    rx = centred_ranks(x)
    y = y_centred_ranks
    norm = np.sqrt((y * y).sum(axis=1))[:, None] * np.sqrt((rx * rx).sum(axis=1))[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (y @ rx.T) / norm
    return np.where(norm > 0, rho, 0.0)


def streamed_task_statistics(
    runs: Runs, network: Network, rows: np.ndarray, plan: tuple[np.ndarray, np.ndarray]
) -> dict[str, np.ndarray]:
    """Statistics of every run, from the engine's streamed sums and counts.

    ``rows`` are the network indices of the tasks (model order); ``plan`` the plan's (start,
    finish), (n,) each; arrays are per task, or per target (milestones then the project
    finish) x task.
    """
    n = runs.iterations
    start_sum, shifted, squares, finish_sum = runs.sums
    plan_start, plan_finish = plan
    reference = network.plan_duration
    mean_start = start_sum / n
    mean_duration = reference + shifted / n
    # Sums of d - r: exact enough for a variance however large d is against its spread.
    variance = np.maximum(squares - shifted * shifted / n, 0.0) / max(n - 1, 1)
    return {
        "criticality": runs.critical[:, rows] / n,
        "risk_occurred": runs.risk_occurred / n,
        "risk_critical": runs.risk_critical / n,
        "plan_start": plan_start[rows],
        "plan_finish": plan_finish[rows],
        "started": (network.progress[rows] != NOT_STARTED).astype(np.float64),
        "mean_start": mean_start[rows],
        "mean_finish": (finish_sum / n)[rows],
        "duration_mean": mean_duration[rows],
        "duration_sd": np.sqrt(variance)[rows],
    }


def kept_task_statistics(
    runs: Runs, rows: np.ndarray, *, sensitivity: bool = True, finishes: bool = True
) -> dict[str, np.ndarray]:
    """Statistics of the runs kept in full (compiled: a task per thread): ``sensitivity``
    (targets x tasks) and the finish percentiles ``finish_pQ`` of :data:`FINISH_PERCENTILES`
    per task, each computed only when asked for."""
    from .engine.ranks import rank_statistics

    kept = runs.kept
    if kept == 0 or len(rows) == 0:
        return {}
    target_ranks = centred_ranks(runs.kept_finishes)
    order_ranks = np.array([percentile_index(kept, q) for q in FINISH_PERCENTILES], np.int64)
    rho = np.zeros((target_ranks.shape[0], len(rows)))
    chosen = np.empty((len(rows), len(order_ranks)), np.float32)
    rank_statistics(
        runs.kept_duration,
        runs.kept_finish,
        kept,
        rows,
        target_ranks,
        order_ranks,
        rho,
        chosen,
        sensitivity,
        finishes,
    )
    out = {}
    if sensitivity:
        out["sensitivity"] = rho if kept >= 3 else np.zeros_like(rho)
    if finishes:
        for k, q in enumerate(FINISH_PERCENTILES):
            out[f"finish_p{q}"] = chosen[:, k].astype(np.float64)
    return out


def merge_points(
    activities: Sequence[Any], network: Network, mean_start: np.ndarray, plan_start: np.ndarray
) -> dict[str, tuple[float, float]]:
    """(mean simulated start, plan start) in working days of every activity with two or more
    distinct predecessors, by id in the order of ``activities``. ``mean_start`` and
    ``plan_start`` are (n,) in network order."""
    owner = np.repeat(np.arange(network.n), np.diff(network.pred_ptr))
    links = np.unique(np.stack([owner, network.pred_idx]), axis=1)  # distinct (task, predecessor)
    merges = np.flatnonzero(np.bincount(links[0], minlength=network.n) >= 2)
    at = {network.ids[j]: int(j) for j in merges}
    return {
        item.id: (float(mean_start[at[item.id]]), float(plan_start[at[item.id]]))
        for item in activities
        if item.id in at
    }
