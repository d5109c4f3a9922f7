"""Rank statistics of the runs kept in full, a task per thread: Spearman correlation of each
task's duration with each target's finish, and order statistics of each task's finish.

The definitions are :mod:`riskcast.statistics`'s (ties at their average rank; the inverted
empirical CDF); this is their compiled form for thousands of tasks. It calls no helper of another
file, so numba's own stamp of this file keeps its cache current.

Centred ranks are multiples of 1/2 and at most K/2 in size, so every product and sum below is a
multiple of 1/4 under 2**53 / 4: the sums are exact, hence the same in any order.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import leaf, standalone_entry

SHORT_BITS = 16  # the leading bits sorted by the two radix passes
DIGIT = 8
BUCKETS = 1 << DIGIT
FULL_DIGIT = 11  # the fallback's three passes over all 32 bits
FULL_BUCKETS = 1 << FULL_DIGIT
INDEX_BITS = 16  # a run's position, packed below its code (more runs take the full sort)
INDEX_MASK = (1 << INDEX_BITS) - 1


@leaf
def radix_pass(keys, order, into_keys, into_order, counts, shift: int, mask: int) -> None:
    """One stable counting pass on digit ``(keys >> shift) & mask``; ``counts`` holds each
    digit's count and is turned into its next free place."""
    total = 0
    for bucket in range(mask + 1):
        c = counts[bucket]
        counts[bucket] = total
        total += c
    for i in range(keys.shape[0]):
        key = keys[i]
        bucket = (key >> shift) & mask
        at = counts[bucket]
        counts[bucket] = at + 1
        into_keys[at] = key
        into_order[at] = order[i]


@leaf
def sort_full(keys, order, spare_keys, spare_order, counts):
    """LSD radix sort of 32-bit ``keys`` in three 11-bit passes (the fallback for spreads the
    short sort cannot separate); ``order`` holds the positions. Returns the sorted pair."""
    k = keys.shape[0]
    for i in range(k):
        order[i] = i
    for d in range(3):
        shift = d * FULL_DIGIT
        counts[:] = 0
        for i in range(k):
            counts[(keys[i] >> shift) & (FULL_BUCKETS - 1)] += 1
        if counts[(keys[0] >> shift) & (FULL_BUCKETS - 1)] == k:  # one digit for all
            continue
        radix_pass(keys, order, spare_keys, spare_order, counts, shift, FULL_BUCKETS - 1)
        keys, spare_keys = spare_keys, keys
        order, spare_order = spare_order, order
    return keys, order


@leaf
def order_code(value: float, bits: int) -> int:
    """The order-preserving 32-bit code of a float32 ``value`` whose bit pattern is ``bits``
    (as int64; -0.0 and 0.0 share the code of 0.0)."""
    b = np.int64(bits) if value != 0.0 else np.int64(0)
    return (b ^ 0xFFFFFFFF) if b & 0x80000000 else (b | 0x80000000)


@leaf
def packed_pass(packed, into, counts, shift: int) -> None:
    """One stable counting pass of ``packed`` into ``into`` on digit ``(packed >> shift) &
    (BUCKETS - 1)``; ``counts`` holds each digit's count and is turned into its next free place."""
    total = 0
    for bucket in range(BUCKETS):
        c = counts[bucket]
        counts[bucket] = total
        total += c
    for i in range(packed.shape[0]):
        value = packed[i]
        bucket = (value >> shift) & (BUCKETS - 1)
        at = counts[bucket]
        counts[bucket] = at + 1
        into[at] = value


@leaf
def sort_keys(x: np.ndarray, buffers: np.ndarray, counts: np.ndarray):
    """Sort float32 ``x`` (K,): returns (keys, order), int64 (K,) each, the order-preserving
    32-bit code of each value ascending (equal values, -0.0 and 0.0 included, have equal codes)
    and its position in ``x`` (equal codes in the order of their positions). ``buffers`` (4, K)
    int64 and ``counts`` (>= 2048,) are scratch.

    Each code above the smallest, with its position in the low INDEX_BITS, is one int64, so a
    pass moves one word per run. Two 8-bit radix passes sort them by the code's leading 16 bits;
    codes that share those (rare, unless the spread spans many powers of two) are put in order
    by an insertion pass, which gives up after 2K moves for a full three-pass radix sort.
    """
    k = x.shape[0]
    bits = x.view(np.uint32)
    keys, order, packed, spare = buffers[0], buffers[1], buffers[2], buffers[3]
    lo = np.int64(0xFFFFFFFF)
    hi = np.int64(0)
    for i in range(k):
        key = order_code(x[i], bits[i])
        keys[i] = key
        lo = min(lo, key)
        hi = max(hi, key)
    if lo == hi:  # one value: in order already
        for i in range(k):
            order[i] = i
        return keys, order
    if k > INDEX_MASK + 1:  # positions do not fit beside the codes
        return sort_full(keys, order, packed, spare, counts)
    shift = 0
    while ((hi - lo) >> shift) >= (1 << SHORT_BITS):
        shift += 1
    counts[: 2 * BUCKETS] = 0
    for i in range(k):
        above = keys[i] - lo
        packed[i] = (above << INDEX_BITS) | i
        s = above >> shift
        counts[s & (BUCKETS - 1)] += 1
        counts[BUCKETS + (s >> DIGIT)] += 1
    for d in range(2):
        digit = counts[d * BUCKETS : (d + 1) * BUCKETS]
        if digit[((keys[0] - lo) >> (shift + d * DIGIT)) & (BUCKETS - 1)] == k:  # one for all
            continue
        packed_pass(packed, spare, digit, INDEX_BITS + shift + d * DIGIT)
        packed, spare = spare, packed
    if shift > 0:  # the short codes were not the codes: the insertion pass
        moves = 0
        for p in range(1, k):
            value = packed[p]
            if packed[p - 1] <= value:
                continue
            q = p - 1
            while q >= 0 and packed[q] > value:
                packed[q + 1] = packed[q]
                q -= 1
            packed[q + 1] = value
            moves += p - q
            if moves > 2 * k:
                return sort_full(keys, order, packed, spare, counts)
    for i in range(k):
        value = packed[i]
        keys[i] = (value >> INDEX_BITS) + lo
        order[i] = value & INDEX_MASK
    return keys, order


@leaf
def gather(slabs: np.ndarray, row: int, into: np.ndarray) -> None:
    """``into`` (K,) = activity ``row``'s first K kept runs from ``slabs`` (S, n, B)."""
    k, width = into.shape[0], slabs.shape[2]
    for first in range(0, k, width):
        part = slabs[first // width, row]
        for i in range(min(width, k - first)):
            into[first + i] = part[i]


@leaf
def scatter_ranks(keys, order, k: int, ranks: np.ndarray) -> float:
    """``ranks[i]`` (K,) = the centred average rank of run i, x given sorted as (``keys``,
    ``order``); returns the sum of the squared centred ranks."""
    centre = (k + 1) / 2.0
    ties = False
    for p in range(1, k):
        ties |= keys[p] == keys[p - 1]
    if not ties:
        for p in range(k):
            ranks[order[p]] = p + 1.0 - centre
        return k * (k * k - 1.0) / 12.0
    x_norm = 0.0
    first = 0
    while first < k:  # one group of tied values at a time
        last = first
        while last + 1 < k and keys[last + 1] == keys[first]:
            last += 1
        r = (first + last) / 2.0 + 1.0 - centre  # centred average rank of the group
        for p in range(first, last + 1):
            ranks[order[p]] = r
        x_norm += r * r * (last - first + 1)
        first = last + 1
    return x_norm


@leaf
def exact_dot(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Sum of a[:k] * b[:k] in eight partial sums (independent chains): centred ranks make
    every product and partial sum exact (see the module), so the order does not matter."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    whole = k - k % 8
    for i in range(0, whole, 8):
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
        s4 += a[i + 4] * b[i + 4]
        s5 += a[i + 5] * b[i + 5]
        s6 += a[i + 6] * b[i + 6]
        s7 += a[i + 7] * b[i + 7]
    for i in range(whole, k):
        s0 += a[i] * b[i]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


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

    durations, finishes: float32 (>= K / B, activities, B), the kept runs in slabs of B runs
    (:func:`~riskcast.engine.blocks.kept_arrays`), of which the first ``k`` (= K) count;
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
    for t in range(n_targets):
        y_norm[t] = exact_dot(target_ranks[t], target_ranks[t], k)
    for j in prange(n):
        buffers = np.empty((4, k), np.int64)
        counts = np.empty(FULL_BUCKETS, np.int64)
        x = np.empty(k, np.float32)
        if want_quantiles:
            gather(finishes, rows[j], x)
            keys, order = sort_keys(x, buffers, counts)
            for q in range(order_ranks.shape[0]):
                quantiles[j, q] = x[order[order_ranks[q]]]
        if want_rho:
            gather(durations, rows[j], x)
            keys, order = sort_keys(x, buffers, counts)
            ranks = np.empty(k)
            x_norm = scatter_ranks(keys, order, k, ranks)
            for t in range(n_targets):
                norm = np.sqrt(x_norm * y_norm[t])
                dot = exact_dot(ranks, target_ranks[t], k)
                rho[t, j] = dot / norm if norm > 0.0 else 0.0
