"""The simulation kernel: sampling, forward pass, criticality and streamed statistics.

Iterations are processed in *chunks* of :data:`CHUNK` (the fixed unit of work and of reduction:
each chunk writes its own partial sums, merged afterwards in chunk order) and, inside a chunk, in
*blocks* of :data:`BLOCK` iterations laid out activity-major so that the inner loops run over
iterations and vectorise. Nothing here depends on the thread that runs a chunk.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel, leaf
from .sampling import sample_block

CHUNK = 1024  # iterations per unit of work and of reduction (fixed: part of the result contract)
BLOCK = 64  # iterations scheduled together, activity-major
TIE = 1e-9  # working days: a link within TIE of driving its successor counts as driving
N_SUMS = 4  # streamed per activity: start, finish, duration, duration squared


@leaf
def forward_block(
    dur: np.ndarray,
    not_before: np.ndarray,
    pred_ptr: np.ndarray,
    pred_idx: np.ndarray,
    pred_type: np.ndarray,
    pred_lag: np.ndarray,
    count: int,
    start: np.ndarray,
    finish: np.ndarray,
) -> None:
    """Early start/finish of every activity for ``count`` iterations (arrays (n, BLOCK)).

    FS: start >= finish_p + lag; SS: start >= start_p + lag; FF: finish >= finish_p + lag;
    SF: finish >= start_p + lag; and start >= not_before >= 0.
    """
    for j in range(dur.shape[0]):
        s = start[j]
        d = dur[j]
        nb = not_before[j]
        for k in range(count):
            s[k] = nb
        for e in range(pred_ptr[j], pred_ptr[j + 1]):
            i = pred_idx[e]
            kind = pred_type[e]
            lag = pred_lag[e]
            base = finish[i] if kind == 0 or kind == 2 else start[i]
            if kind < 2:
                for k in range(count):
                    v = base[k] + lag
                    if v > s[k]:
                        s[k] = v
            else:
                for k in range(count):
                    v = base[k] + lag - d[k]
                    if v > s[k]:
                        s[k] = v
        f = finish[j]
        for k in range(count):
            f[k] = s[k] + d[k]


@leaf
def block_sum(x: np.ndarray, m: int) -> float:
    """Sum of x[:m] in a fixed order of eight interleaved partial sums, so that it vectorises yet
    gives the same bits on every machine and thread (no reassociation by the compiler)."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    whole = m - m % 8
    for k in range(0, whole, 8):
        s0 += x[k]
        s1 += x[k + 1]
        s2 += x[k + 2]
        s3 += x[k + 3]
        s4 += x[k + 4]
        s5 += x[k + 5]
        s6 += x[k + 6]
        s7 += x[k + 7]
    for k in range(whole, m):
        s0 += x[k]
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@leaf
def mark_critical(
    k: int,
    seeds: np.ndarray,
    n_seeds: int,
    dur: np.ndarray,
    start: np.ndarray,
    finish: np.ndarray,
    pred_ptr: np.ndarray,
    pred_idx: np.ndarray,
    pred_type: np.ndarray,
    pred_lag: np.ndarray,
    mark: np.ndarray,
    stamp: int,
    stack: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Count +1 in ``counts`` for every activity with zero total float towards ``seeds`` in
    iteration column ``k``: walk back from the seeds along the links that drive each start.
    Equivalent to a backward pass with the seeds' late finish set to their early finish.
    """
    top = 0
    for q in range(n_seeds):
        t = seeds[q]
        if mark[t] != stamp:
            mark[t] = stamp
            stack[top] = t
            top += 1
    while top > 0:
        top -= 1
        j = stack[top]
        counts[j] += 1
        s = start[j, k] - TIE
        for e in range(pred_ptr[j], pred_ptr[j + 1]):
            i = pred_idx[e]
            if mark[i] == stamp:
                continue
            kind = pred_type[e]
            v = (finish[i, k] if kind == 0 or kind == 2 else start[i, k]) + pred_lag[e]
            if kind >= 2:
                v -= dur[j, k]
            if v >= s:
                mark[i] = stamp
                stack[top] = i
                top += 1


@kernel
def simulate_chunks(
    streams: np.ndarray,
    codes: np.ndarray,
    params: np.ndarray,
    aux: np.ndarray,
    table: np.ndarray,
    not_before: np.ndarray,
    pred_ptr: np.ndarray,
    pred_idx: np.ndarray,
    pred_type: np.ndarray,
    pred_lag: np.ndarray,
    targets: np.ndarray,
    last_candidates: np.ndarray,
    first: int,
    count: int,
    finishes: np.ndarray,
    sums: np.ndarray,
    critical: np.ndarray,
    kept_duration: np.ndarray,
    kept_finish: np.ndarray,
) -> None:
    """Simulate iterations ``first .. first + count - 1`` (``first`` a multiple of CHUNK).

    Outputs, for the M targets (milestones) plus the project finish as target M:
      finishes      float64 (M + 1, count)        finish of each target per iteration
      sums          float64 (chunks, N_SUMS, n)   per-chunk sums of start, finish, d, d^2
      critical      int64 (chunks, M + 1, n)      per-chunk zero-float counts per target
      kept_duration float32 (KB, n, BLOCK)        durations of global iterations < KB * BLOCK,
                                                  iteration i at [i // BLOCK, :, i % BLOCK]
      kept_finish   float32 (KB, n, BLOCK)        finishes, likewise

    ``last_candidates`` lists the activities that can finish last (see ``compile``): the project
    finish is their latest finish.
    """
    n = codes.shape[0]
    n_targets = targets.shape[0]
    kept_blocks = kept_duration.shape[0]
    n_chunks = (count + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        dur = np.empty((n, BLOCK))
        start = np.empty((n, BLOCK))
        finish = np.empty((n, BLOCK))
        project = np.empty(BLOCK)
        square = np.empty(BLOCK)
        mark = np.zeros(n, np.int64)
        stack = np.empty(n, np.int64)
        seeds = np.empty(n, np.int64)
        stamp = 0
        acc = sums[c]
        crit = critical[c]
        lo = c * CHUNK
        hi = min(lo + CHUNK, count)
        for b in range(lo, hi, BLOCK):
            m = min(BLOCK, hi - b)
            sample_block(streams, codes, params, aux, table, first + b, m, dur)
            forward_block(
                dur, not_before, pred_ptr, pred_idx, pred_type, pred_lag, m, start, finish
            )
            for j in range(n):
                d = dur[j]
                for k in range(m):
                    square[k] = d[k] * d[k]
                acc[0, j] += block_sum(start[j], m)
                acc[1, j] += block_sum(finish[j], m)
                acc[2, j] += block_sum(d, m)
                acc[3, j] += block_sum(square, m)
            for k in range(m):
                project[k] = 0.0
            for j in last_candidates:
                f = finish[j]
                for k in range(m):
                    if f[k] > project[k]:
                        project[k] = f[k]
            kb = (first + b) // BLOCK
            if kb < kept_blocks:  # one contiguous (n, BLOCK) slab per block
                for j in range(n):
                    for k in range(m):
                        kept_duration[kb, j, k] = dur[j, k]
                        kept_finish[kb, j, k] = finish[j, k]
            for q in range(n_targets):
                f = finish[targets[q]]
                for k in range(m):
                    finishes[q, b + k] = f[k]
            for k in range(m):
                finishes[n_targets, b + k] = project[k]
                for q in range(n_targets + 1):
                    stamp += 1
                    if q < n_targets:
                        seeds[0] = targets[q]
                        n_seeds = 1
                    else:
                        n_seeds = 0
                        for j in last_candidates:
                            if finish[j, k] >= project[k] - TIE:
                                seeds[n_seeds] = j
                                n_seeds += 1
                    mark_critical(
                        k,
                        seeds,
                        n_seeds,
                        dur,
                        start,
                        finish,
                        pred_ptr,
                        pred_idx,
                        pred_type,
                        pred_lag,
                        mark,
                        stamp,
                        stack,
                        crit[q],
                    )
