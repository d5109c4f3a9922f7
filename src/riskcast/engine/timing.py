"""Working time on a calendar, by table lookup (the tables of :mod:`riskcast.clock`).

Every function works on a block of iterations at once (``count`` values), with the loop over
the block inside it: a call per iteration would pass the tables' arrays, and pay for them, once
per value. Each lookup starts from a direct index (the clock's day, or whole days of work) and
scans forward over at most a few intervals. ``out`` may be the input array unless said otherwise.
"""

from __future__ import annotations

from collections import namedtuple

from ..units import TIME_TOLERANCE as TIE
from ._jit import leaf

# The working intervals of C calendars on the elapsed clock, concatenated by calendar:
#   iv     float64 (N, 4)  per interval: lo, hi (elapsed days) and the calendar's working days
#                          done at lo (cum) and at hi (cum_hi)
#   rate   float64 (C,)    working days per elapsed day inside an interval (24 / hours_per_day)
#   ptr    int64 (C + 1, 3) calendar c's first interval, day entry and work entry
#   first  int64           day entries (all calendars), then work entries: for the clock's day
#                          u, the first interval ending after its midnight; for k whole days of
#                          work, the first interval whose work reaches k (less a margin)
CalendarTables = namedtuple("CalendarTables", "iv rate ptr first")
LO, HI, CUM, CUM_HI = 0, 1, 2, 3
IV, DAY, WORK = 0, 1, 2


@leaf
def work_block(tb, c: int, t, count: int, out) -> None:
    """out[k] = W_c(t[k]): working days of calendar c done by clock time t[k] (elapsed days)."""
    iv, first, rate = tb.iv, tb.first, tb.rate[c]
    day0, day_last = tb.ptr[c, DAY], tb.ptr[c + 1, DAY] - 1
    end = tb.ptr[c + 1, IV] - 1
    for k in range(count):
        x = t[k]
        u = day0 + int(x) if x > 0.0 else day0
        if u > day_last:
            u = day_last
        i = first[u]
        while i < end and iv[i, HI] <= x:
            i += 1
        if x <= iv[i, LO]:
            out[k] = iv[i, CUM]
        elif x >= iv[i, HI]:  # past the tables' horizon: no more work is counted
            out[k] = iv[i, CUM_HI]
        else:
            out[k] = iv[i, CUM] + (x - iv[i, LO]) * rate


@leaf
def time_block(tb, c: int, w, count: int, roll: bool, out) -> None:
    """out[k] = the earliest clock time by which w[k] working days of calendar c are done; with
    ``roll``, the instant work continues after that (where a task holding w[k] starts)."""
    iv, first, rate = tb.iv, tb.first, tb.rate[c]
    work0, work_last = tb.ptr[c, WORK], tb.ptr[c + 1, WORK] - 1
    end = tb.ptr[c + 1, IV] - 1
    for k in range(count):
        x = w[k]
        u = work0 + int(x) if x > 0.0 else work0
        if u > work_last:
            u = work_last
        i = first[u]
        if roll:
            while i < end and iv[i, CUM_HI] <= x + TIE:
                i += 1
        else:
            while i < end and iv[i, CUM_HI] < x - TIE:
                i += 1
        x -= iv[i, CUM]
        out[k] = iv[i, LO] + (x if x > 0.0 else 0.0) / rate


@leaf
def shift_block(tb, c: int, t, lag: float, count: int, out) -> None:
    """out[k] = clock time after working ``lag`` days of calendar c from t[k] (c < 0: the
    clock's own time). Forwards, the instant the work is done (17:00 Friday); backwards (a
    lead), the instant that work begins (08:00 Monday, not 17:00 the Friday before)."""
    if c < 0:
        for k in range(count):
            out[k] = t[k] + lag
        return
    work_block(tb, c, t, count, out)
    for k in range(count):
        out[k] += lag
    time_block(tb, c, out, count, lag < 0.0, out)


@leaf
def finish_block(tb, c: int, t, d, count: int, out) -> None:
    """out[k] = the instant d[k] working days of calendar c from t[k] are done (d[k] = 0:
    t[k]). ``out`` must not be ``t``."""
    if c < 0:
        for k in range(count):
            out[k] = t[k] + d[k]
        return
    work_block(tb, c, t, count, out)
    for k in range(count):
        out[k] += d[k]
    time_block(tb, c, out, count, False, out)
    for k in range(count):
        if d[k] <= 0.0:
            out[k] = t[k]


@leaf
def start_block(tb, c: int, t, d, count: int, out) -> None:
    """out[k] = the start from which d[k] working days of calendar c finish at t[k] (d[k] = 0:
    t[k]). ``out`` must not be ``t``."""
    if c < 0:
        for k in range(count):
            out[k] = t[k] - d[k]
        return
    work_block(tb, c, t, count, out)
    for k in range(count):
        out[k] -= d[k]
    time_block(tb, c, out, count, True, out)
    for k in range(count):
        if d[k] <= 0.0:
            out[k] = t[k]


@leaf
def roll_block(tb, c: int, t, count: int, out) -> None:
    """out[k] = t[k], or the next working instant of calendar c when t[k] is non-working."""
    if c < 0:
        for k in range(count):
            out[k] = t[k]
        return
    work_block(tb, c, t, count, out)
    time_block(tb, c, out, count, True, out)


@leaf
def unshift_block(tb, c: int, y, lag: float, count: int, out, spare, flags) -> None:
    """out[k] = the latest instant whose shift by ``lag`` (:func:`shift_block`) is at most
    y[k]: how late a task may end (or start) and still let its successor's link keep y[k].
    That is the instant work resumes, except after a lead to a y[k] in non-working time, where
    no latest instant exists and the limit (met in working time only) is given. ``out`` may be
    ``y``; ``spare`` and ``flags`` are scratch."""
    if c < 0:
        for k in range(count):
            out[k] = y[k] - lag
        return
    work_block(tb, c, y, count, spare)
    if lag > 0.0:
        for k in range(count):
            spare[k] -= lag
        time_block(tb, c, spare, count, True, out)
        return
    time_block(tb, c, spare, count, True, flags)  # y rolled on to working time
    for k in range(count):
        flags[k] = 1.0 if abs(flags[k] - y[k]) <= TIE else 0.0  # y is working time
        spare[k] -= lag
    time_block(tb, c, spare, count, False, out)
    time_block(tb, c, spare, count, True, spare)
    for k in range(count):
        if flags[k] > 0.0:
            out[k] = spare[k]
