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
from .codes import NOT_STARTED
from .forward import block_shifted_moments, block_sum, calendar_tables, schedule_task
from .timing import finish_block, roll_block

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
LevelWork = namedtuple("LevelWork", "d s f es ef cand npl ready stack t u npts x y z")


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


@leaf
def conflict(a, w, j: int, s: float, f: float) -> float:
    """-1 when task j's demand fits in every limited pool over [s, f); otherwise the first
    instant after s at which usage or capacity changes past the first clash (where to try next)."""
    for e in range(a.dem_ptr[j], a.dem_ptr[j + 1]):
        p, need = a.dem_pool[e], a.dem_units[e]
        times, levels, count = w.t[p], w.u[p], w.npts[p]
        c0, c1 = a.cap_ptr[p], a.cap_ptr[p + 1]
        i = segment(times, count, s)
        c = c0 + segment(a.cap_time[c0:c1], c1 - c0, s)
        x = s
        while x < f:
            usage_end = times[i + 1] if i + 1 < count else np.inf
            cap_end = a.cap_time[c + 1] if c + 1 < c1 else np.inf
            if levels[i] + need > a.cap[c] + TIE:
                return min(usage_end, cap_end)
            if usage_end <= cap_end:
                x = usage_end
                i += 1
            else:
                x = cap_end
                c += 1
    return -1.0


@leaf
def hold(a, w, j: int, s: float, f: float) -> None:
    """Add task j's units to its pools' usage over [s, f)."""
    if f <= s:
        return
    for e in range(a.dem_ptr[j], a.dem_ptr[j + 1]):
        p, need = a.dem_pool[e], a.dem_units[e]
        times, levels = w.t[p], w.u[p]
        first, count = breakpoint_at(times, levels, w.npts[p], s)
        last, count = breakpoint_at(times, levels, count, f)
        w.npts[p] = count
        for k in range(first, last):
            levels[k] += need


@leaf
def placed_at(tb, c: int, w, t: float, d: float) -> tuple[float, float]:
    """Start and finish of d days of work on calendar c started at t or the next working
    instant after it (the forward pass's rule; zero duration: at t)."""
    if d <= 0.0:
        return t, t
    if c < 0:
        return t, t + d
    w.x[0] = t
    roll_block(tb, c, w.x, 1, w.y)
    w.z[0] = d
    finish_block(tb, c, w.y, w.z, 1, w.x)
    return w.y[0], w.x[0]


@leaf
def earliest_fit(a, tb, w, j: int, lo: float) -> tuple[float, float]:
    """The earliest start at or after ``lo`` (>= the precedence-earliest start) at which task j's
    demand fits for its whole duration, and its finish."""
    c, d = a.task_cal[j], w.d[j, 0]
    if lo <= w.es[j]:
        s, f = w.es[j], w.ef[j]  # the forward pass's own dates, bit for bit
    else:
        s, f = placed_at(tb, c, w, lo, d)
    while True:
        nxt = conflict(a, w, j, s, f)
        if nxt < 0.0:
            return s, f
        s, f = placed_at(tb, c, w, nxt, d)


@leaf
def competes(a, w, j: int) -> bool:
    """Whether task j waits for limited pools (demand, work to do, not started)."""
    return a.dem_ptr[j + 1] > a.dem_ptr[j] and w.d[j, 0] > 0.0 and a.progress[j] == NOT_STARTED


@leaf
def place(a, w, j: int, s: float, f: float) -> None:
    """Fix task j at [s, f) and hold its units."""
    w.s[j, 0] = s
    w.f[j, 0] = f
    hold(a, w, j, s, f)


@leaf
def release(a, w, j: int, nstack: int) -> int:
    """Count task j as placed for its successors; push those it was the last one for."""
    for x in range(a.succ_ptr[j], a.succ_ptr[j + 1]):
        o = a.link_owner[a.succ_link[x]]
        w.npl[o] -= 1
        if w.npl[o] == 0:
            w.stack[nstack] = o
            nstack += 1
    return nstack


@leaf
def settle(a, w, tmp, nstack: int, nready: int) -> int:
    """Take the pushed tasks: each gets its precedence-earliest dates; those that compete for
    limited pools join the ready list, the others are placed there (releasing theirs)."""
    while nstack > 0:
        nstack -= 1
        j = w.stack[nstack]
        schedule_task(a, j, w.d[j], 1, w.s, w.f, tmp)
        w.es[j] = w.cand[j] = w.s[j, 0]
        w.ef[j] = w.f[j, 0]
        if competes(a, w, j):
            w.ready[nready] = j
            nready += 1
        else:
            place(a, w, j, w.es[j], w.ef[j])
            nstack = release(a, w, j, nstack)
    return nready


@leaf
def best(a, w, nready: int, t: float) -> int:
    """The position in the ready list of the first task in priority order whose next possible
    start is at most t (-1: none)."""
    q = -1
    for r in range(nready):
        j = w.ready[r]
        if w.cand[j] <= t + TIE and (q < 0 or a.level_rank[j] < a.level_rank[w.ready[q]]):
            q = r
    return q


@leaf
def level_run(a, tb, w, tmp) -> None:
    """One run's levelled schedule: durations ``w.d`` in, dates ``w.s``, ``w.f`` out."""
    n = w.es.shape[0]
    for p in range(w.npts.shape[0]):
        w.t[p, 0] = -np.inf
        w.u[p, 0] = 0.0
        w.npts[p] = 1
    nstack = 0
    for j in range(n):
        w.npl[j] = a.pred_ptr[j + 1] - a.pred_ptr[j]
        if w.npl[j] == 0:
            w.stack[nstack] = j
            nstack += 1
    nready = settle(a, w, tmp, nstack, 0)
    serial = a.level_scheme[0] == SERIAL
    while nready > 0:
        # serial: the first ready task in priority order; parallel: the next decision time
        t = np.inf
        if not serial:
            for r in range(nready):
                t = min(t, w.cand[w.ready[r]])
        while nready > 0:
            q = best(a, w, nready, t)
            if q < 0:
                break
            j = w.ready[q]
            s, f = earliest_fit(a, tb, w, j, w.cand[j])
            if s > t + TIE:  # parallel: it waits for the next decision time
                w.cand[j] = s
                continue
            nready -= 1
            w.ready[q] = w.ready[nready]
            place(a, w, j, s, f)
            nready = settle(a, w, tmp, release(a, w, j, 0), nready)
            if serial:
                break


@leaf
def level_block(a, dur, count: int, start, finish, acc, tmp, w) -> None:
    """Levelled start/finish of every activity for ``count`` iterations (arrays (n, BLOCK)),
    run by run; with a non-empty ``acc`` the sums of :func:`~.forward.forward_block`."""
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
    if acc.shape[0] > 0:
        for j in range(n):
            acc[0, j] += block_sum(start[j], count)
            shifted, squares = block_shifted_moments(dur[j], a.plan_duration[j], count)
            acc[1, j] += shifted
            acc[2, j] += squares
            acc[3, j] += block_sum(finish[j], count)
