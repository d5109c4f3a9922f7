"""Rank statistics of the runs kept in full, a task per thread: Spearman correlation of each
task's duration with each target's finish, and order statistics of each task's finish.

The definitions are :mod:`riskcast.statistics`'s (ties at their average rank; the inverted
empirical CDF); this is their compiled form for thousands of tasks. It calls no helper of another
file, so numba's own stamp of this file keeps its cache current.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import leaf, standalone_entry

DIGIT = 11  # bits per radix pass: three passes sort 32-bit keys
BUCKETS = 1 << DIGIT


@leaf
def sorted_keys(
    x: np.ndarray, keys: np.ndarray, order: np.ndarray, spare_keys, spare_order
) -> None:
    """Sort float32 ``x`` (K,): ``keys`` gets its order-preserving uint32 codes ascending (as
    int64; equal values have equal codes, -0.0 and 0.0 included) and ``order`` the position of
    each in ``x``. An LSD radix sort, linear in K; ``spare_*`` are scratch of the same size."""
    k = x.shape[0]
    bits = x.view(np.uint32)
    for i in range(k):
        b = np.int64(bits[i]) if x[i] != 0.0 else np.int64(0)
        keys[i] = (b ^ 0xFFFFFFFF) if b & 0x80000000 else (b | 0x80000000)
        order[i] = i
    counts = np.empty(BUCKETS, np.int64)
    for shift in range(0, 32, DIGIT):
        counts[:] = 0
        for i in range(k):
            counts[(keys[i] >> shift) & (BUCKETS - 1)] += 1
        if counts.max() == k:  # every key has this digit: the pass would change nothing
            continue
        total = 0
        for d in range(BUCKETS):
            c = counts[d]
            counts[d] = total
            total += c
        for i in range(k):
            d = (keys[i] >> shift) & (BUCKETS - 1)
            at = counts[d]
            counts[d] = at + 1
            spare_keys[at] = keys[i]
            spare_order[at] = order[i]
        keys[:] = spare_keys
        order[:] = spare_order


@standalone_entry
def rank_statistics(
    durations: np.ndarray,
    finishes: np.ndarray,
    k: int,
    rows: np.ndarray,
    target_ranks: np.ndarray,
    order_ranks: np.ndarray,
    rho: np.ndarray,
    quantiles: np.ndarray,
) -> None:
    """Fill ``rho`` (T, n) and ``quantiles`` (n, Q) for the n tasks at ``rows``.

    durations, finishes: float32 (activities, >= K), a row per activity over the kept runs, of
    which the first ``k`` (= K) count;
    rows: int64 (n,), the rows of the tasks wanted, in the order wanted;
    target_ranks: float64 (T, K), each target's centred average ranks over the same runs;
    order_ranks: int64 (Q,), 0-based ranks of the order statistics wanted of each finish row.
    ``rho[t, j]`` is the Spearman correlation of task j's durations with target t (0 when either has
    no spread); ``quantiles[j, q]`` the finish of rank ``order_ranks[q]``.
    """
    n = rows.shape[0]
    n_targets = target_ranks.shape[0]
    y_norm = np.zeros(n_targets)
    for t in range(n_targets):
        for i in range(k):
            y_norm[t] += target_ranks[t, i] * target_ranks[t, i]
    centre = (k + 1) / 2.0
    for j in prange(n):
        keys = np.empty(k, np.int64)
        order = np.empty(k, np.int64)
        spare_keys = np.empty(k, np.int64)
        spare_order = np.empty(k, np.int64)
        sorted_keys(durations[rows[j]][:k], keys, order, spare_keys, spare_order)
        dots = np.zeros(n_targets)
        x_norm = 0.0
        first = 0
        while first < k:  # one group of tied values at a time
            value = keys[first]
            last = first
            while last + 1 < k and keys[last + 1] == value:
                last += 1
            r = (first + last) / 2.0 + 1.0 - centre  # centred average rank of the group
            for p in range(first, last + 1):
                i = order[p]
                for t in range(n_targets):
                    dots[t] += r * target_ranks[t, i]
            x_norm += r * r * (last - first + 1)
            first = last + 1
        for t in range(n_targets):
            norm = np.sqrt(x_norm * y_norm[t])
            rho[t, j] = dots[t] / norm if norm > 0.0 else 0.0
        f = finishes[rows[j]][:k]
        sorted_keys(f, keys, order, spare_keys, spare_order)
        for q in range(order_ranks.shape[0]):
            quantiles[j, q] = f[order[order_ranks[q]]]
