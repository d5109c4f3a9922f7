"""Cumulative spend over time: each task's cost spread evenly between its start and finish.

A task spends ``slope (t - s)`` once t >= s, less ``slope (t - f)`` once t >= f (slope
a / (f - s)); one that takes no time spends ``a`` at its finish. So a run's spend at t is
``t P(t) + Q(t)``, where P sums the slope changes and Q the intercept changes of the events at or
before t. Each event is counted once, at the first grid time at or after it: O(tasks x runs +
grid x runs), never a grid x tasks x runs product.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import leaf, standalone_entry

RUNS = 64  # runs per block: a task's row segment is read in order


@standalone_entry
def spend_changes(days, start, finish, amount, slopes, steps) -> None:
    """Add each task's events to ``slopes`` and ``steps`` (G, K), at the first of the ascending
    clock times ``days`` (G,) at or after them; ``start``, ``finish``, ``amount`` are (C, K):
    C tasks in K runs. Blocks of runs are independent (one per thread at a time); within one,
    each task's row segment is read in order."""
    n_days, runs = days.shape[0], amount.shape[1]
    for block in prange((runs + RUNS - 1) // RUNS):
        for c in range(amount.shape[0]):
            for k in range(block * RUNS, min(block * RUNS + RUNS, runs)):
                _count(days, n_days, start[c, k], finish[c, k], amount[c, k], k, slopes, steps)


@leaf
def _count(days, n_days, s, f, a, k, slopes, steps) -> None:
    """One task's events in run k."""
    if a != 0.0:
        end = np.searchsorted(days, f)
        if f > s:
            slope = a / (f - s)
            begin = np.searchsorted(days, s)
            if begin < n_days:
                slopes[begin, k] += slope
                steps[begin, k] -= slope * s
            if end < n_days:
                slopes[end, k] -= slope
                steps[end, k] += slope * f
        elif end < n_days:
            steps[end, k] += a
