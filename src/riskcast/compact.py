"""The compact form of ``forecast.json``: what it keeps in place of every run.

Each target's finishes become a day-aligned histogram (:func:`compact_histogram`) and each
target's cost a summary (:func:`cost_summary`): a file of kilobytes instead of megabytes, with
every date and probability exact (see :mod:`riskcast.output_schema` for the format).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .budget import CostForecast
    from .engine.binning import Binned

# Bins of a compact histogram: a span of 100 working days gets bins of 1/32 day (15 minutes of
# an 8-hour day), and the counts of a target take a few kilobytes whatever the number of runs.
COMPACT_BINS = 2**12
COST_PERCENTILES = tuple(range(5, 100, 5))  # the cost percentiles a compact file keeps (%)


def compact_histogram(samples: np.ndarray | None, binned: Binned | None = None) -> Binned:
    """One target's finishes as a day-aligned histogram of at most :data:`COMPACT_BINS` bins.

    The bin width is the finest power of two of a working day that fits the span in that many
    bins, and never more than one day (a span of more working days gets more bins), so bin edges
    stay on day boundaries: every delivery date and "finished by" probability is exactly what
    the runs give, a percentile in working days is within one bin width, and the mean and sd
    come from the exact sums.

    Parameters
    ----------
    samples : numpy.ndarray or None
        float64 (runs,): every run's finish, working days from the start.
    binned : Binned, optional
        The engine's histogram, given instead of ``samples`` past the exact-runs limit; its
        bins are merged in pairs until they fit.

    Returns
    -------
    Binned
        A new histogram; ``binned`` is left as it is.
    """
    from .engine.binning import Binned

    if binned is None:
        finishes = np.asarray(samples, np.float64)
        span = float(finishes.max() - finishes.min())
        out = Binned.empty(_compact_limit(span))
        out.add(finishes)
        return out
    out = dataclasses.replace(binned, limit=_compact_limit(binned.high - binned.low))
    while (out.high - out.origin) / out.width + 1 > out.limit:
        out._coarsen()  # the merge the engine makes when a span outgrows its bins
    return out


def _compact_limit(span: float) -> int:
    """Bins allowed for finishes spread over ``span`` working days: enough that the width never
    has to grow past one day (the origin is the whole day at or before the earliest finish)."""
    return max(COMPACT_BINS, math.ceil(span) + 3)


def cost_summary(cost: CostForecast) -> dict[str, Any]:
    """What a compact file keeps of one target's costs: ``base`` (the plan's cost),
    ``percentiles`` ({percent as float: amount} for each of :data:`COST_PERCENTILES`), ``mean``,
    ``sd`` (n - 1 in the denominator), all in currency units, and ``probability_within_budget``
    (share of runs costing at most the budget; None without a budget)."""
    return {
        "base": cost.base,
        "percentiles": {float(q): cost.percentile(q) for q in COST_PERCENTILES},
        "mean": cost.mean,
        "sd": cost.sd,
        "probability_within_budget": None if cost.budget is None else cost.probability_within(),
    }
