"""Resource levelling: a schedule generation scheme (SGS) in every run, on the forward pass's clock.

A task is *ready* when all its predecessors are placed; its precedence-earliest start and finish
come from :func:`~riskcast.engine.kernels.schedule_task` (the forward pass's own rules: calendars,
links and lags, floors, progress), so with capacities that never bind every task lands exactly
where the forward pass puts it. A task holds its units of each limited pool from its start to its
finish (clock time, non-working time inside included). Each pool's usage is a step function
(breakpoints ``t`` with the level ``u`` from each on); its capacity is a step function too.

* **serial**: the ready task first in priority order is placed at its earliest start at which
  its demand fits for its whole duration, until every task is placed.
* **parallel** (non-delay): at each decision time t (a ready task's earliest start, a release of
  units, a capacity change), the ready tasks that could start by t are tried in priority order,
  and each that fits starts; the others wait for the next decision time.

Tasks that need no limited pool, have no duration or have started are placed at their
precedence-earliest dates as soon as they are ready: they compete for nothing.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..units import TIME_TOLERANCE as TIE
from ._jit import leaf
from .codes import FF, FINISHED, FS, NOT_STARTED
from .forward import (
    block_shifted_moments,
    block_sum,
    calendar_tables,
    schedule_task,
    task_timing,
)
from .timing import finish_block, roll_block, start_block

NO_LEVELLING, PARALLEL, SERIAL = 0, 1, 2

# Work arrays of one thread (allocated once per chunk, nothing per run):
#   d, s, f   float64 (n, 1)  one run's durations, starts, finishes (columns, as schedule_task
#                             reads them)
#   es, ef    float64 (n,)    precedence-earliest start and finish of each ready task
#   cand      float64 (n,)    a ready task's next possible start (parallel scheme)
#   npl       int64 (n,)      predecessors not placed yet
#   ready     int64 (n,)      the ready, unplaced tasks (the first ``nready``)
#   stack     int64 (n,)      tasks whose last predecessor was just placed
#   t, u      float64 (P, W)  each pool's usage breakpoints and levels
#   npts      int64 (P,)      breakpoints in use per pool
#   x, y, z   float64 (1,)    one-value arguments of the calendar functions
#   delayed   int64 (n,)      the pool that last held each task back (-1: none)
LevelWork = namedtuple("LevelWork", "d s f es ef cand npl ready stack t u npts x y z delayed")


@leaf
def level_work(n: int, n_pools: int):
    """Work arrays for ``n`` activities and ``n_pools`` limited pools."""
    width = 2 * n + 2
    return LevelWork(
        np.empty((n, 1)),
        np.empty((n, 1)),
        np.empty((n, 1)),
        np.empty(n),
        np.empty(n),
        np.empty(n),
        np.empty(n, np.int64),
        np.empty(n, np.int64),
        np.empty(n, np.int64),
        np.empty((n_pools, width)),
        np.empty((n_pools, width)),
        np.empty(n_pools, np.int64),
        np.empty(1),
        np.empty(1),
        np.empty(1),
        np.empty(n, np.int64),
    )


@leaf
def segment(times, count: int, x: float) -> int:
    """The last breakpoint at or before x (times[0] is -inf)."""
    lo, hi = 0, count - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if times[mid] <= x:
            lo = mid
        else:
            hi = mid - 1
    return lo


@leaf
def breakpoint_at(times, levels, count: int, x: float) -> tuple[int, int]:
    """(index of a breakpoint at x, new count): inserted, with the level it splits, if needed."""
    i = segment(times, count, x)
    if times[i] == x:
        return i, count
    for k in range(count, i + 1, -1):
        times[k] = times[k - 1]
        levels[k] = levels[k - 1]
    times[i + 1] = x
    levels[i + 1] = levels[i]
    return i + 1, count + 1


# Each per-task function takes the few arrays it reads: a call that passed the kernel's whole
# Arrays (dozens of arrays) would cost more than the work it does.


@leaf
def clash(times, levels, count: int, cap_time, cap, need: float, s: float, f: float) -> float:
    """-1 when ``need`` more units fit in a pool (usage steps ``times``/``levels``, capacity
    steps ``cap_time``/``cap``) over [s, f); otherwise the first instant after the first clash
    at which usage or capacity changes (where to try next)."""
    i = segment(times, count, s)
    steps = cap_time.shape[0]
    c = segment(cap_time, steps, s)
    x = s
    while x < f:
        usage_end = times[i + 1] if i + 1 < count else np.inf
        cap_end = cap_time[c + 1] if c + 1 < steps else np.inf
        if levels[i] + need > cap[c] + TIE:
            return min(usage_end, cap_end)
        if usage_end <= cap_end:
            x = usage_end
            i += 1
        else:
            x = cap_end
            c += 1
    return -1.0


@leaf
def conflict(dem_ptr, dem_pool, dem_units, cap_ptr, cap_time, cap, t, u, npts, j, s, f):
    """(-1, -1) when task j's demand fits in every limited pool over [s, f); otherwise where to
    try next (see :func:`clash`) and the pool that clashed."""
    for e in range(dem_ptr[j], dem_ptr[j + 1]):
        p = dem_pool[e]
        c0, c1 = cap_ptr[p], cap_ptr[p + 1]
        nxt = clash(t[p], u[p], npts[p], cap_time[c0:c1], cap[c0:c1], dem_units[e], s, f)
        if nxt >= 0.0:
            return nxt, p
    return -1.0, -1


@leaf
def hold(dem_ptr, dem_pool, dem_units, t, u, npts, j: int, s: float, f: float) -> None:
    """Add task j's units to its pools' usage over [s, f)."""
    if f <= s:
        return
    for e in range(dem_ptr[j], dem_ptr[j + 1]):
        p, need = dem_pool[e], dem_units[e]
        times, levels = t[p], u[p]
        first, count = breakpoint_at(times, levels, npts[p], s)
        last, count = breakpoint_at(times, levels, count, f)
        npts[p] = count
        for k in range(first, last):
            levels[k] += need


@leaf
def placed_at(tb, c: int, x, y, z, t: float, d: float) -> tuple[float, float]:
    """Start and finish of d days of work on calendar c started at t or the next working
    instant after it (the forward pass's rule; zero duration: at t). x, y, z: (1,) scratch."""
    if d <= 0.0:
        return t, t
    if c < 0:
        return t, t + d
    x[0] = t
    one = x.shape[0]  # 1, as a variable: a literal would compile the helpers again for it
    roll_block(tb, c, x, one, y)
    z[0] = d
    finish_block(tb, c, y, z, one, x)
    return y[0], x[0]


@leaf
def resumed_at(tb, c: int, x, y, z, f: float, d: float) -> float:
    """When a started task's remaining work (d days on calendar c, done at f) resumed: it holds
    its units from then, not while it waited. x, y, z: (1,) scratch."""
    if c < 0:
        return f - d
    x[0] = f
    z[0] = d
    start_block(tb, c, x, z, x.shape[0], y)
    return y[0]


@leaf
def clock_dates(pred_ptr, pred_idx, pred_type, pred_lag, floor, j, d, s, f):
    """The forward pass's dates of a task on the clock's own time (no calendar, floor of the
    start only, not started): :func:`~.forward.forward_block`'s arithmetic for one run."""
    v = floor
    for e in range(pred_ptr[j], pred_ptr[j + 1]):
        i, kind = pred_idx[e], pred_type[e]
        base = f[i, 0] if kind == FS or kind == FF else s[i, 0]
        if kind < FF:
            b = base + pred_lag[e]
        else:
            b = base + pred_lag[e] - d
        if b > v:
            v = b
    return v, v + d


@leaf
def push_ready(succ_ptr, succ_link, link_owner, npl, stack, j: int, nstack: int) -> int:
    """Count task j as placed for its successors; push those it was the last one for."""
    for x in range(succ_ptr[j], succ_ptr[j + 1]):
        o = link_owner[succ_link[x]]
        npl[o] -= 1
        if npl[o] == 0:
            stack[nstack] = o
            nstack += 1
    return nstack


@leaf
def level_run(a, tb, w, tmp) -> None:
    """One run's levelled schedule: durations ``w.d`` in, dates ``w.s``, ``w.f`` out."""
    pred_ptr, pred_idx, pred_type, pred_lag = a.pred_ptr, a.pred_idx, a.pred_type, a.pred_lag
    succ_ptr, succ_link, link_owner = a.succ_ptr, a.succ_link, a.link_owner
    dem_ptr, dem_pool, dem_units = a.dem_ptr, a.dem_pool, a.dem_units
    cap_ptr, cap_time, cap = a.cap_ptr, a.cap_time, a.cap
    general, progress, task_cal, rank = a.general, a.progress, a.task_cal, a.level_rank
    start_floor = a.start_floor
    d, s, f, es, ef, cand = w.d, w.s, w.f, w.es, w.ef, w.cand
    npl, ready, stack, t, u, npts = w.npl, w.ready, w.stack, w.t, w.u, w.npts
    x, y, z, delayed = w.x, w.y, w.z, w.delayed
    serial = a.level_scheme[0] == SERIAL
    one = x.shape[0]  # a run at a time, as a variable (see placed_at)
    timing = task_timing(a)
    n = es.shape[0]
    for p in range(npts.shape[0]):
        t[p, 0] = -np.inf
        u[p, 0] = 0.0
        npts[p] = 1
    nstack = 0
    for j in range(n):
        npl[j] = pred_ptr[j + 1] - pred_ptr[j]
        if npl[j] == 0:
            stack[nstack] = j
            nstack += 1
    nready = 0
    placed = -1  # the task just placed, whose successors are to be pushed
    while True:
        if placed >= 0:
            nstack = push_ready(succ_ptr, succ_link, link_owner, npl, stack, placed, nstack)
            placed = -1
        # the pushed tasks get their precedence-earliest dates; those that need no limited
        # pool, no time, or have started are placed there at once (they compete for nothing)
        while nstack > 0:
            nstack -= 1
            j = stack[nstack]
            if general[j]:
                schedule_task(timing, tb, j, d[j], one, s, f, tmp)
                es[j], ef[j] = s[j, 0], f[j, 0]
            else:
                es[j], ef[j] = clock_dates(
                    pred_ptr, pred_idx, pred_type, pred_lag, start_floor[j], j, d[j, 0], s, f
                )
            cand[j] = es[j]
            delayed[j] = -1
            if dem_ptr[j + 1] > dem_ptr[j] and d[j, 0] > 0.0 and progress[j] == NOT_STARTED:
                ready[nready] = j
                nready += 1
            else:
                s[j, 0], f[j, 0] = es[j], ef[j]
                if progress[j] == NOT_STARTED:
                    hold(dem_ptr, dem_pool, dem_units, t, u, npts, j, es[j], ef[j])
                elif progress[j] != FINISHED and d[j, 0] > 0.0:  # its people keep working on it
                    resume = resumed_at(tb, task_cal[j], x, y, z, ef[j], d[j, 0])
                    hold(dem_ptr, dem_pool, dem_units, t, u, npts, j, resume, ef[j])
                nstack = push_ready(succ_ptr, succ_link, link_owner, npl, stack, j, nstack)
        if nready == 0:
            return
        # serial: the first ready task in priority order; parallel: the ready tasks whose next
        # possible start is the earliest (the decision time), first in priority order
        horizon = np.inf
        if not serial:
            for r in range(nready):
                horizon = min(horizon, cand[ready[r]])
        while placed < 0:
            q = -1
            for r in range(nready):
                j = ready[r]
                if cand[j] <= horizon + TIE and (q < 0 or rank[j] < rank[ready[q]]):
                    q = r
            if q < 0:
                break
            j = ready[q]
            c, dj = task_cal[j], d[j, 0]
            if cand[j] <= es[j]:
                sj, fj = es[j], ef[j]  # the forward pass's own dates, bit for bit
            else:
                sj, fj = placed_at(tb, c, x, y, z, cand[j], dj)
            while True:  # the earliest start from there at which its units are free
                nxt, pool = conflict(
                    dem_ptr, dem_pool, dem_units, cap_ptr, cap_time, cap, t, u, npts, j, sj, fj
                )
                if nxt < 0.0:
                    break
                sj, fj = placed_at(tb, c, x, y, z, nxt, dj)
                delayed[j] = pool
            if sj > horizon + TIE:  # parallel: it waits for a later decision time
                cand[j] = sj
                continue
            nready -= 1
            ready[q] = ready[nready]
            s[j, 0], f[j, 0] = sj, fj
            hold(dem_ptr, dem_pool, dem_units, t, u, npts, j, sj, fj)
            placed = j


@leaf
def level_block(a, dur, count: int, start, finish, acc, tmp, w, held_by) -> None:
    """Levelled start/finish of every activity for ``count`` iterations (arrays (n, BLOCK)),
    run by run; with a non-empty ``acc`` the sums of :func:`~.forward.forward_block`.
    ``held_by`` (n, BLOCK) gets the pool that last held each task back in each run (-1: none)."""
    tb = calendar_tables(a)
    n = dur.shape[0]
    for j in range(n):
        if a.dur_scale[j] != 1.0:  # remaining work of a started task
            scale = a.dur_scale[j]
            for k in range(count):
                dur[j, k] *= scale
    for k in range(count):
        for j in range(n):
            w.d[j, 0] = dur[j, k]
        level_run(a, tb, w, tmp)
        for j in range(n):
            start[j, k] = w.s[j, 0]
            finish[j, k] = w.f[j, 0]
            held_by[j, k] = w.delayed[j]
    if acc.shape[0] > 0:
        for j in range(n):
            acc[0, j] += block_sum(start[j], count)
            shifted, squares = block_shifted_moments(dur[j], a.plan_duration[j], count)
            acc[1, j] += shifted
            acc[2, j] += squares
            acc[3, j] += block_sum(finish[j], count)
