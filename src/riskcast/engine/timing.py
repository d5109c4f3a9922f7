"""Working time on a calendar, by table lookup (the tables of :mod:`riskcast.clock`).

``a`` is the kernel's Arrays; calendar c's intervals are ``a.iv_ptr[c] .. a.iv_ptr[c + 1] - 1``.
Each lookup starts from a direct index (the clock's day, or whole days of work) and scans
forward over at most a few intervals.
"""

from __future__ import annotations

from ..units import TIME_TOLERANCE as TIE
from ._jit import leaf


@leaf
def work_at(a, c: int, t: float) -> float:
    """W_c(t): working days of calendar c done by clock time t (elapsed days)."""
    first, last = a.day_ptr[c], a.day_ptr[c + 1] - 1
    u = first + int(t) if t > 0.0 else first
    if u > last:
        u = last
    i = a.day_first[u]
    end = a.iv_ptr[c + 1] - 1
    while i < end and a.iv_hi[i] <= t:
        i += 1
    if t <= a.iv_lo[i]:
        return a.iv_cum[i]
    if t >= a.iv_hi[i]:  # past the tables' horizon: no more work is counted
        return a.iv_cum_hi[i]
    return a.iv_cum[i] + (t - a.iv_lo[i]) * a.cal_rate[c]


@leaf
def time_at(a, c: int, w: float, roll: bool) -> float:
    """The earliest clock time by which ``w`` working days of calendar c are done; with
    ``roll``, the instant work continues after that (where a task holding ``w`` starts)."""
    first, last = a.work_ptr[c], a.work_ptr[c + 1] - 1
    k = first + int(w) if w > 0.0 else first
    if k > last:
        k = last
    i = a.work_first[k]
    end = a.iv_ptr[c + 1] - 1
    if roll:
        while i < end and a.iv_cum_hi[i] <= w + TIE:
            i += 1
    else:
        while i < end and a.iv_cum_hi[i] < w - TIE:
            i += 1
    x = w - a.iv_cum[i]
    if x < 0.0:
        x = 0.0
    return a.iv_lo[i] + x / a.cal_rate[c]


@leaf
def advance(a, c: int, t: float, w: float) -> float:
    """Clock time after working ``w`` days of calendar c from t; c < 0 is the clock's own time.
    Forwards, the instant the work is done (17:00 Friday); backwards (a lead, w < 0), the
    instant that work begins (08:00 Monday, not 17:00 the Friday before)."""
    if c < 0:
        return t + w
    return time_at(a, c, work_at(a, c, t) + w, w < 0.0)


@leaf
def roll(a, c: int, t: float) -> float:
    """t, or the next working instant of calendar c when t is in its non-working time."""
    if c < 0:
        return t
    return time_at(a, c, work_at(a, c, t), True)
