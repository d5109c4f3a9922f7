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
PASSES = 3


@leaf
def sorted_keys(x: np.ndarray, keys: np.ndarray, order: np.ndarray, spare_keys, spare_order):
    """Sort float32 ``x`` (K,) by an LSD radix sort, linear in K.

    Returns the arrays holding, ascending, the order-preserving uint32 code of each value (as
    int64; equal values have equal codes, -0.0 and 0.0 included) and its position in ``x``: one
    of (``keys``, ``order``) and (``spare_keys``, ``spare_order``), all of size K, which serve
    as the two buffers of the sort. One pass counts all three digits; a digit the same for every
    key costs no pass.
    """
    k = x.shape[0]
    bits = x.view(np.uint32)
    counts = np.zeros((PASSES, BUCKETS), np.int64)
    for i in range(k):
        b = np.int64(bits[i]) if x[i] != 0.0 else np.int64(0)
        key = (b ^ 0xFFFFFFFF) if b & 0x80000000 else (b | 0x80000000)
        keys[i] = key
        order[i] = i
        counts[0, key & (BUCKETS - 1)] += 1
        counts[1, (key >> DIGIT) & (BUCKETS - 1)] += 1
        counts[2, key >> (2 * DIGIT)] += 1
    for d in range(PASSES):
        shift = d * DIGIT
        digit = counts[d]
        if digit[(keys[0] >> shift) & (BUCKETS - 1)] == k:  # one digit for all: nothing to do
            continue
        total = 0
        for bucket in range(BUCKETS):
            c = digit[bucket]
            digit[bucket] = total
            total += c
        for i in range(k):
            key = keys[i]
            bucket = (key >> shift) & (BUCKETS - 1)
            at = digit[bucket]
            digit[bucket] = at + 1
            spare_keys[at] = key
            spare_order[at] = order[i]
        keys, spare_keys = spare_keys, keys
        order, spare_order = spare_order, order
    return keys, order


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
    want_rho: bool,
    want_quantiles: bool,
) -> None:
    """Fill ``rho`` (T, n) and ``quantiles`` (n, Q) for the n tasks at ``rows``.

    durations, finishes: float32 (activities, >= K), a row per activity over the kept runs, of
    which the first ``k`` (= K) count;
    rows: int64 (n,), the rows of the tasks wanted, in the order wanted;
    target_ranks: float64 (T, K), each target's centred average ranks over the same runs;
    order_ranks: int64 (Q,), 0-based ranks of the order statistics wanted of each finish row.
    ``rho[t, j]`` is the Spearman correlation of task j's durations with target t (0 when either has
    no spread); ``quantiles[j, q]`` the finish of rank ``order_ranks[q]``. Each is computed only
    when wanted (``want_rho``, ``want_quantiles``).
    """
    n = rows.shape[0]
    n_targets = target_ranks.shape[0]
    y_norm = np.zeros(n_targets)
    by_run = np.empty((k, n_targets))  # run-major: one cache line per run in the sweep below
    for t in range(n_targets):
        for i in range(k):
            y_norm[t] += target_ranks[t, i] * target_ranks[t, i]
            by_run[i, t] = target_ranks[t, i]
    centre = (k + 1) / 2.0
    for j in prange(n):
        buffers = np.empty((4, k), np.int64)  # the radix sort's two (keys, order) pairs
        if want_quantiles:
            f = finishes[rows[j]][:k]
            keys, order = sorted_keys(f, buffers[0], buffers[1], buffers[2], buffers[3])
            for q in range(order_ranks.shape[0]):
                quantiles[j, q] = f[order[order_ranks[q]]]
        if want_rho:
            keys, order = sorted_keys(
                durations[rows[j]][:k], buffers[0], buffers[1], buffers[2], buffers[3]
            )
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
                    y = by_run[order[p]]
                    for t in range(n_targets):
                        dots[t] += r * y[t]
                x_norm += r * r * (last - first + 1)
                first = last + 1
            for t in range(n_targets):
                norm = np.sqrt(x_norm * y_norm[t])
                rho[t, j] = dots[t] / norm if norm > 0.0 else 0.0
