"""The simulation kernel: sampling, risks, forward pass, criticality and streamed statistics.

Iterations are processed in *chunks* of :data:`CHUNK` (the fixed unit of work and of reduction:
each chunk writes its own partial sums, merged afterwards in chunk order) and, inside a chunk, in
*blocks* of :data:`BLOCK` iterations laid out activity-major so that the inner loops run over
iterations and vectorise. Nothing here depends on the thread that runs a chunk.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import prange

from ..units import TIME_TOLERANCE as TIE
from ._jit import entry_decorators, leaf
from .codes import FF, FINISHED, FS
from .costs import cost_block, target_costs
from .forward import (
    alap_block,
    binds,
    calendar_tables,
    forward_block,
    link_bound_block,
    resumed_block,
    task_timing,
)
from .levelling import NO_LEVELLING, level_block, level_work
from .rng import uniform
from .sampling import correlated_uniforms, quantile, sample_block
from .timing import roll_block

# Digest of the helper sources compiled into these kernels (see _jit; a test checks it).
SOURCES_DIGEST = "3dda3214dc854b88f7931b5e"
entry, parallel_entry = entry_decorators(SOURCES_DIGEST)

CHUNK = 1024  # iterations per unit of work and of reduction (fixed: part of the result contract)
BLOCK = 128  # iterations scheduled together, activity-major (128 runs faster than 64 or 32)
# Streamed per activity: start, duration minus a reference r and its square (shifted sums
# keep the variance exact when the spread is tiny against the value), and finish (on calendars
# and with progress a finish is not start + duration).
N_SUMS = 4
N_TMP = 4  # rows of scratch the calendar path needs (see schedule_task)
GROUP = 62  # targets whose criticality one backward sweep counts (bits of an int64)

# The compiled network as the kernel sees it (stream keys already combined with the seed).
Arrays = namedtuple(
    "Arrays",
    "keys dist_code dist_params aux table start_floor pred_ptr pred_idx pred_type pred_lag "
    "milestone_idx last_candidates gated gate_key gate_low gate_high risk_key risk_p_key "
    "risk_p_low risk_p_high risk_task_ptr risk_task_idx impact_ptr impact_risk impact_multiply "
    "impact_code impact_params impact_key slot_key group_ptr factor_ptr factors task_slot "
    "risk_slot plan_duration general task_cal pred_cal finish_floor progress fixed_start "
    "fixed_finish dur_scale late_idx late_start late_finish cal_iv cal_rate cal_ptr cal_first alap_idx succ_ptr succ_link "
    "link_owner level_scheme level_rank dem_ptr dem_pool dem_units cap_ptr cap_time cap "
    "alap_free_idx",
)


# What a chunk writes (see simulate_chunks).
Outputs = namedtuple(
    "Outputs",
    "finishes sums critical kept_duration kept_finish kept_start risk_occurred risk_critical "
    "missed pool_critical costs kept_cost",
)


@entry
def schedule(a, durations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Early start and finish (n,) for one set of durations (n,): the plan (CPM) schedule, by the
    very forward pass the simulation runs."""
    n = durations.shape[0]
    dur = np.empty((n, 1))
    dur[:, 0] = durations
    start = np.empty((n, 1))
    finish = np.empty((n, 1))
    tmp = np.empty((N_TMP, 1))
    # One run, as a variable: a literal 1 would compile every helper a second time for it.
    runs = dur.shape[1]
    levelled = a.level_scheme[0] != NO_LEVELLING
    if levelled:
        work = level_work(n, a.cap_ptr.shape[0] - 1)
        held_by = np.empty((n, 1), np.int64)
        level_block(a, dur, runs, start, finish, np.empty((0, n)), tmp, work, held_by)
    else:
        forward_block(a, dur, runs, start, finish, np.empty((0, n)), tmp)
    alap = a.alap_free_idx if levelled else a.alap_idx
    if alap.shape[0]:
        project = np.zeros(1)
        for j in a.last_candidates:
            project[0] = max(project[0], finish[j, 0])
        alap_block(a, alap, runs, dur, start, finish, project, np.empty((0, n)), tmp)
    return start[:, 0].copy(), finish[:, 0].copy()


@leaf
def apply_uncertainty(a, first: int, count: int, correlated, occurred, dur) -> None:
    """Risk occurrences (``occurred[r, k]``), their impacts on durations, and task gates."""
    for r in range(a.risk_key.shape[0]):
        low, high, slot = a.risk_p_low[r], a.risk_p_high[r], a.risk_slot[r]
        for k in range(count):
            u = correlated[slot, k] if slot >= 0 else uniform(a.risk_key[r], first + k)
            p = low if high == low else low + (high - low) * uniform(a.risk_p_key[r], first + k)
            occurred[r, k] = u < p
    for t in range(dur.shape[0]):
        lo, hi = a.impact_ptr[t], a.impact_ptr[t + 1]
        if lo == hi:
            continue
        d = dur[t]
        for e in range(lo, hi):
            r = a.impact_risk[e]
            code, p, key, multiply = (
                a.impact_code[e],
                a.impact_params[e],
                a.impact_key[e],
                a.impact_multiply[e],
            )
            for k in range(count):
                if occurred[r, k]:
                    v = quantile(code, p, a.aux, a.table, uniform(key, first + k))
                    d[k] = d[k] * v if multiply else d[k] + v
        for k in range(count):  # an opportunity cannot make a duration negative
            if d[k] < 0.0:
                d[k] = 0.0
    for g in range(a.gated.shape[0]):
        d = dur[a.gated[g]]
        for k in range(count):
            u = uniform(a.gate_key[g], first + k)
            if not (a.gate_low[g] <= u < a.gate_high[g]):
                d[k] = 0.0


@leaf
def count_critical(
    a,
    m,
    first_target,
    mask,
    dur,
    start,
    finish,
    occurred,
    risk_bits,
    crit,
    risk_crit,
    tmp,
    held_by,
    pool_bits,
    pool_crit,
) -> None:
    """Count zero-float activities towards the targets whose bits are set in ``mask`` (n, BLOCK):
    bit b of ``mask[j, k]`` says activity j drives target ``first_target + b`` in column k.

    One sweep from the last activity to the first (topological order), vectorised over the
    block's iterations like the forward pass: each activity's bits flow to the predecessors whose
    link drives its start (within TIE). This is the backward pass with every target's late finish
    at its early finish, for up to GROUP targets at once. A task a limited pool held back
    (``held_by``, levelled runs) passes its bits to that pool (``pool_crit``: runs in which the
    pool delayed a task critical for the target). Clears ``mask``, ``risk_bits``, ``pool_bits``.
    """
    n_bits = min(GROUP, crit.shape[0] - first_target)
    timing, tb = task_timing(a), calendar_tables(a)
    for j in range(dur.shape[0] - 1, -1, -1):
        bits = mask[j]
        any_bits = np.int64(0)
        for k in range(m):
            any_bits |= bits[k]
        if any_bits == 0:
            continue
        for b in range(n_bits):
            count = 0
            for k in range(m):
                count += (bits[k] >> b) & 1
            crit[first_target + b, j] += count
        for e in range(a.impact_ptr[j], a.impact_ptr[j + 1]):
            r = a.impact_risk[e]
            hit, happened = risk_bits[r], occurred[r]
            for k in range(m):
                if happened[k]:
                    hit[k] |= bits[k]
        if held_by.shape[0]:
            held = held_by[j]
            for k in range(m):
                if held[k] >= 0:
                    pool_bits[held[k], k] |= bits[k]
        s, d = start[j], dur[j]
        if a.general[j]:
            drivers_general(timing, tb, j, m, bits, mask, dur, start, finish, tmp)
        else:
            for e in range(a.pred_ptr[j], a.pred_ptr[j + 1]):
                i = a.pred_idx[e]
                kind = a.pred_type[e]
                lag = a.pred_lag[e]
                base = finish[i] if kind == FS or kind == FF else start[i]
                into = mask[i]
                for k in range(m):
                    v = base[k] + lag - (d[k] if kind >= FF else 0.0)
                    if v >= s[k] - TIE:
                        into[k] |= bits[k]
        for k in range(m):
            bits[k] = 0
    tally(risk_bits, m, n_bits, first_target, risk_crit)
    tally(pool_bits, m, n_bits, first_target, pool_crit)


@leaf
def tally(hits, m: int, n_bits: int, first_target: int, counts) -> None:
    """counts[first_target + b, r] += the runs with bit b set in hits[r] (a risk or a pool that
    hit a task critical for that target); clears ``hits``."""
    for r in range(hits.shape[0]):
        hit = hits[r]
        for b in range(n_bits):
            count = 0
            for k in range(m):
                count += (hit[k] >> b) & 1
            counts[first_target + b, r] += count
        for k in range(m):
            hit[k] = 0


@leaf
def drivers_general(a, tb, j, m, bits, mask, dur, start, finish, tmp) -> None:
    """Pass task j's target bits to the predecessors whose link drives it (general path): a link
    drives when the start it allows, moved to working time, is the task's (resumed) start.
    ``a`` is a :data:`~.forward.TaskTiming`, ``tb`` the calendars' tables."""
    if a.progress[j] == FINISHED:
        return
    c = a.task_cal[j]
    d = dur[j]
    began, v, spare = tmp[0], tmp[1], tmp[2]
    resumed_block(a, tb, j, d, start[j], finish[j], m, began)
    for e in range(a.pred_ptr[j], a.pred_ptr[j + 1]):
        kind = a.pred_type[e]
        if not binds(a.progress[j], kind):
            continue
        i = a.pred_idx[e]
        base = finish[i] if kind == FS or kind == FF else start[i]
        link_bound_block(tb, a.pred_lag[e], a.pred_cal[e], kind >= FF, base, d, c, m, v, spare)
        roll_block(tb, c, v, m, spare)
        into = mask[i]
        for k in range(m):
            x = spare[k] if d[k] > 0.0 else v[k]
            if bits[k] != 0 and x >= began[k] - TIE:
                into[k] |= bits[k]


@parallel_entry
def simulate_chunks(a, ca, first: int, count: int, full: bool, out) -> None:
    """Simulate iterations ``first .. first + count - 1`` (``first`` a multiple of CHUNK).

    ``a`` is an :data:`Arrays`, ``ca`` a :data:`~.costs.CostArrays` (C costed tasks); ``out``
    an :data:`Outputs`, for the M targets (milestones) plus the project finish as target M,
    R risks and n activities:
      finishes       float64 (M + 1, count)        finish of each target per iteration
      sums           float64 (chunks, N_SUMS, n)   per-chunk sums of start, d - r, (d - r)^2, finish
      critical       int64 (chunks, M + 1, n)      per-chunk zero-float counts per target
      kept_duration  float32 (KB, n, BLOCK)        durations of global iterations < KB * BLOCK,
                                                   iteration i at [i // BLOCK, :, i % BLOCK]
      kept_finish    float32 (KB, n, BLOCK)        finishes, likewise
      kept_start     float32 (KB, n, BLOCK)        starts, likewise (or (0, n, BLOCK): not kept)
      risk_occurred  int64 (chunks, R)             iterations in which each risk occurred
      risk_critical  int64 (chunks, M + 1, R)      ... and hit a task critical for the target
      missed         int64 (chunks, 2, L)           runs starting / finishing after the late
                                                   constraint of task late_idx[l]
      pool_critical  int64 (chunks, M + 1, P)      runs in which limited pool p held back a
                                                   task critical for the target (levelled)
      costs          float64 (M + 1, count)        cost of each target per iteration (C > 0)
      kept_cost      float64 (C, KB * BLOCK)       costed tasks' costs in the kept iterations
    With ``full`` False only ``finishes`` is written (risk-driver reruns).
    """
    n = a.dist_code.shape[0]
    n_targets = a.milestone_idx.shape[0]
    n_risks = a.risk_key.shape[0]
    n_slots = a.slot_key.shape[0]
    # Local names for the outputs: numba's parallel lowering writes through them reliably.
    finishes, kept_duration, kept_finish = out.finishes, out.kept_duration, out.kept_finish
    sums, critical = out.sums, out.critical
    risk_occurred, risk_critical = out.risk_occurred, out.risk_critical
    missed, kept_start, pool_critical = out.missed, out.kept_start, out.pool_critical
    costs, kept_cost = out.costs, out.kept_cost
    n_costed = ca.task.shape[0] if full else 0
    n_regions = 0
    for c in range(n_costed):
        n_regions = max(n_regions, ca.region[c] + 1)
    n_pools = a.cap_ptr.shape[0] - 1
    kept_runs = kept_duration.shape[0] * BLOCK
    levelled = a.level_scheme[0] != NO_LEVELLING
    alap = a.alap_free_idx if levelled else a.alap_idx
    n_chunks = (count + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        dur = np.empty((n, BLOCK))
        start = np.empty((n, BLOCK))
        finish = np.empty((n, BLOCK))
        scores = np.empty((n_slots, BLOCK))
        correlated = np.empty((n_slots, BLOCK))
        occurred = np.zeros((n_risks, BLOCK), np.bool_)
        project = np.empty(BLOCK)
        cols = np.empty(BLOCK, np.uint64)
        no_sums = np.empty((0, n))
        fracs = np.empty(BLOCK)
        tmp = np.empty((N_TMP, BLOCK))
        work = level_work(n if levelled else 0, a.cap_ptr.shape[0] - 1 if levelled else 0)
        mask = np.zeros((n, BLOCK), np.int64)
        risk_bits = np.zeros((n_risks, BLOCK), np.int64)
        held_by = np.full((n if levelled else 0, BLOCK), -1, np.int64)
        pool_bits = np.zeros((n_pools if levelled else 0, BLOCK), np.int64)
        task_cost = np.empty((n_costed, BLOCK))
        region_cost = np.empty((n_regions, BLOCK))
        acc = sums[c]
        crit = critical[c]
        lo = c * CHUNK
        hi = min(lo + CHUNK, count)
        for b in range(lo, hi, BLOCK):
            m = min(BLOCK, hi - b)
            g0 = first + b  # global index of the block's first iteration
            if n_slots:
                correlated_uniforms(
                    a.slot_key, a.group_ptr, a.factor_ptr, a.factors, g0, m, scores, correlated
                )
            sample_block(
                a.keys,
                a.dist_code,
                a.dist_params,
                a.aux,
                a.table,
                g0,
                m,
                a.task_slot,
                correlated,
                cols,
                fracs,
                dur,
            )
            if n_risks or a.gated.shape[0]:
                apply_uncertainty(a, g0, m, correlated, occurred, dur)
            if n_costed:  # before scheduling, which leaves a started task its remaining share
                sample_block(
                    ca.fixed_key,
                    ca.fixed_code,
                    ca.fixed_params,
                    a.aux,
                    a.table,
                    g0,
                    m,
                    ca.fixed_slot,
                    correlated,
                    cols,
                    fracs,
                    task_cost,
                )
                cost_block(
                    ca,
                    a.aux,
                    a.table,
                    a.gate_key,
                    a.gate_low,
                    a.gate_high,
                    g0,
                    m,
                    dur,
                    occurred,
                    task_cost,
                    region_cost,
                )
                target_costs(ca, region_cost, m, costs, b)
                if g0 < kept_runs:
                    for j in range(n_costed):
                        kc, tc = kept_cost[j], task_cost[j]
                        for k in range(m):
                            kc[g0 + k] = tc[k]
            if levelled:
                level_block(a, dur, m, start, finish, acc if full else no_sums, tmp, work, held_by)
            else:
                forward_block(a, dur, m, start, finish, acc if full else no_sums, tmp)
            for k in range(m):
                project[k] = 0.0
            for j in a.last_candidates:
                f = finish[j]
                for k in range(m):
                    if f[k] > project[k]:
                        project[k] = f[k]
            if alap.shape[0]:
                alap_block(a, alap, m, dur, start, finish, project, acc if full else no_sums, tmp)
            for q in range(n_targets):
                f = finish[a.milestone_idx[q]]
                for k in range(m):
                    finishes[q, b + k] = f[k]
            for k in range(m):
                finishes[n_targets, b + k] = project[k]
            if not full:
                continue
            if g0 < kept_runs:  # the block's own (n, BLOCK) slab: written in order
                # plain loops: numba's 2-D slice assignment with the float32 cast costs several
                # times as much
                kd, kf = kept_duration[g0 // BLOCK], kept_finish[g0 // BLOCK]
                for j in range(n):
                    for k in range(m):
                        kd[j, k] = dur[j, k]
                        kf[j, k] = finish[j, k]
                if kept_start.shape[0]:  # only where pools or costs read them
                    ks = kept_start[g0 // BLOCK]
                    for j in range(n):
                        for k in range(m):
                            ks[j, k] = start[j, k]
            for r in range(n_risks):
                for k in range(m):
                    if occurred[r, k]:
                        risk_occurred[c, r] += 1
            for q in range(a.late_idx.shape[0]):
                j = a.late_idx[q]
                ls, lf = a.late_start[q], a.late_finish[q]
                for k in range(m):
                    if start[j, k] >= ls - TIE:
                        missed[c, 0, q] += 1
                    if finish[j, k] > lf + TIE:
                        missed[c, 1, q] += 1
            for t0 in range(0, n_targets + 1, GROUP):  # up to GROUP targets per sweep
                for q in range(t0, min(t0 + GROUP, n_targets + 1)):
                    bit = np.int64(1) << (q - t0)
                    if q < n_targets:
                        seed = mask[a.milestone_idx[q]]
                        for k in range(m):
                            seed[k] |= bit
                    else:
                        for j in a.last_candidates:
                            f, seed = finish[j], mask[j]
                            for k in range(m):
                                if f[k] >= project[k] - TIE:
                                    seed[k] |= bit
                count_critical(
                    a,
                    m,
                    t0,
                    mask,
                    dur,
                    start,
                    finish,
                    occurred,
                    risk_bits,
                    crit,
                    risk_critical[c],
                    tmp,
                    held_by,
                    pool_bits,
                    pool_critical[c],
                )
