"""Finishes of very many runs in bounded memory: a histogram per target whose bins never straddle
a working-day boundary.

Up to :func:`exact_runs` runs every finish is kept. Beyond, each target's finishes are counted in
bins of :data:`WIDTH` working days (a power of two, so whole days are bin edges), with the exact
sum, sum of squares, minimum and maximum streamed beside them. Bin i holds the finishes t with
``origin + i w < t - TIME_TOLERANCE <= origin + (i + 1) w``, the same boundary rule as dates
(:mod:`riskcast.calendar`), so every delivery date, "finished by" probability and P-date is exactly
what the kept runs would give; a percentile in working days is within one bin width. A span of
more than ``max_bins`` bins doubles the width (pairs of bins merge, edges stay on whole days while
the width is at most a day) until it fits.

Memory, whatever the number of runs N and for T targets (milestones and the project finish): at
most 8 T min(N, exact_runs(T)) <= 8 * EXACT_VALUES bytes of exact finishes, then at most
8 * HISTOGRAM_VALUES bytes of counts. Counts add exactly; the float sums are added a chunk of runs
at a time in run order, so results do not depend on batches or threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..units import TIME_TOLERANCE

CHUNK = 1024  # runs per float partial sum (the kernels' chunk)
EXACT_VALUES = 12 * 2**20  # exact finishes kept over all targets (96 MB)
EXACT_RUNS = 2**21  # ... and at most this many runs
HISTOGRAM_VALUES = 2**24  # bins over all targets (128 MB)
WIDTH = 2.0**-10  # working days per bin at first (under half a minute of an 8-hour day)


def exact_runs(targets: int) -> int:
    """Runs whose finishes are all kept, for ``targets`` targets (a whole number of chunks)."""
    return max(CHUNK, min(EXACT_RUNS, EXACT_VALUES // max(targets, 1)) // CHUNK * CHUNK)


def max_bins(targets: int) -> int:
    """Bins a target's histogram may use."""
    return max(2**12, min(2**20, HISTOGRAM_VALUES // max(targets, 1)))


@dataclass
class Binned:
    """One target's finishes counted in bins (see the module docstring).

    origin: working days, a whole number; width: working days per bin, a power of two;
    counts: int64 (bins,); n: runs counted; low, high: the exact extreme finishes;
    anchor: a whole number of working days near the finishes; shifted_sum, shifted_squares: sums
    of (t - anchor) and (t - anchor)^2; limit: the most bins before the width doubles.
    """

    origin: float
    width: float
    counts: np.ndarray
    n: int
    low: float
    high: float
    anchor: float
    shifted_sum: float
    shifted_squares: float
    limit: int

    @classmethod
    def empty(cls, limit: int) -> Binned:
        """A histogram of no runs yet, of at most ``limit`` bins."""
        nan = math.nan
        return cls(nan, WIDTH, np.zeros(0, np.int64), 0, math.inf, -math.inf, nan, 0.0, 0.0, limit)

    def edge(self, i: np.ndarray | int) -> np.ndarray | float:
        """Upper edge (working days) of bin ``i``: every finish in it is at most this."""
        return self.origin + (np.asarray(i) + 1) * self.width + TIME_TOLERANCE

    def index(self, t: np.ndarray) -> np.ndarray:
        """Bin of each finish ``t`` (may lie outside the current bins)."""
        i = np.ceil((np.asarray(t) - TIME_TOLERANCE - self.origin) / self.width) - 1
        return np.maximum(i, 0).astype(np.int64)

    def add(self, finishes: np.ndarray) -> None:
        """Count more finishes (float64, working days), the next runs in run order starting on
        a whole chunk."""
        if finishes.size == 0:
            return
        low, high = float(finishes.min()), float(finishes.max())
        if self.n == 0:
            self.origin = self.anchor = float(math.floor(low - TIME_TOLERANCE))
        self.low, self.high = min(self.low, low), max(self.high, high)
        origin = float(math.floor(self.low - TIME_TOLERANCE))
        if origin < self.origin:  # extend downwards by whole bins (whole days while w <= 1)
            extra = math.ceil((self.origin - origin) / self.width)
            self.counts = np.concatenate([np.zeros(extra, np.int64), self.counts])
            self.origin -= extra * self.width
        while (self.high - self.origin) / self.width + 1 > self.limit:
            self._coarsen()
        needed = int(self.index(self.high)) + 1
        if needed > len(self.counts):
            grown = np.zeros(needed, np.int64)
            grown[: len(self.counts)] = self.counts
            self.counts = grown
        np.add.at(self.counts, self.index(finishes), 1)
        x = finishes - self.anchor
        for lo in range(0, len(x), CHUNK):  # a partial sum per chunk, in run order
            part = x[lo : lo + CHUNK]
            self.shifted_sum += float(part.sum())
            self.shifted_squares += float((part * part).sum())
        self.n += len(finishes)

    def _coarsen(self) -> None:
        """Double the bin width: bins 2j and 2j + 1 become bin j (the origin is a whole day)."""
        counts = self.counts
        if len(counts) % 2:
            counts = np.concatenate([counts, np.zeros(1, np.int64)])
        self.counts = counts[0::2] + counts[1::2]
        self.width *= 2
