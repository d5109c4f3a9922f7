"""The forward pass: each activity's early start and finish, on its calendar, for a block of
iterations (activity-major: the inner loops run over iterations and vectorise), and the
as-late-as-possible moves after it.

Links: FS: start >= finish_p + lag; SS: start >= start_p + lag; FF: finish >= finish_p + lag;
SF: finish >= start_p + lag; lags are worked on the link's calendar (docs/scheduling.md).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..units import TIME_TOLERANCE as TIE
from ._jit import leaf
from .codes import FF, FINISHED, FS, NOT_STARTED, SF, SS, STARTED
from .timing import (
    CalendarTables,
    finish_block,
    roll_block,
    shift_block,
    start_block,
    time_block,
    unshift_block,
    work_block,
)


@leaf
def calendar_tables(a):
    """The calendars' tables as the timing functions take them (four arrays, not the Arrays)."""
    return CalendarTables(a.cal_iv, a.cal_rate, a.cal_ptr, a.cal_first)


@leaf
def link_bound_block(tb, lag, lag_cal, on_finish, base, d, c, count, out, spare) -> None:
    """out[k]: the start a link allows its successor (duration d[k] on calendar c), from the
    predecessor's finish or start ``base``: the lag is worked on the link's calendar
    ``lag_cal``, and a bound on the finish (``on_finish``: FF, SF) becomes the start that
    finishes there. ``spare``: scratch."""
    if lag != 0.0:
        shift_block(tb, lag_cal, base, lag, count, out)
    else:
        for k in range(count):
            out[k] = base[k]
    if on_finish:
        start_block(tb, c, out, d, count, spare)
        for k in range(count):
            out[k] = spare[k]


@leaf
def binds(progress: int, kind: int) -> bool:
    """Whether a link of type ``kind`` still holds a task in state ``progress``: a started
    task's remaining work waits only for its finish-to-start and finish-to-finish predecessors
    (retained logic), or for none."""
    if progress == NOT_STARTED:
        return True
    if progress == STARTED:
        return kind != SS and kind != SF
    return False


# What :func:`schedule_task` reads, gathered once per block: a call that carried the kernel's
# whole Arrays (dozens of arrays, each counted in and out) would cost more than the task's work.
TaskTiming = namedtuple(
    "TaskTiming",
    "progress fixed_start fixed_finish task_cal start_floor finish_floor pred_ptr pred_idx "
    "pred_type pred_lag pred_cal",
)


@leaf
def task_timing(a):
    return TaskTiming(
        a.progress,
        a.fixed_start,
        a.fixed_finish,
        a.task_cal,
        a.start_floor,
        a.finish_floor,
        a.pred_ptr,
        a.pred_idx,
        a.pred_type,
        a.pred_lag,
        a.pred_cal,
    )


@leaf
def schedule_task(a, tb, j: int, d, count: int, start, finish, tmp) -> None:
    """Start and finish of task j on its own calendar, with link and lag calendars, floors and
    progress (the general path of :func:`forward_block`). ``a`` is a :data:`TaskTiming`, ``tb``
    the calendars' tables; ``tmp`` (>= 3, BLOCK) is scratch."""
    s, f = start[j], finish[j]
    if a.progress[j] == FINISHED:
        for k in range(count):
            s[k] = a.fixed_start[j]
            f[k] = a.fixed_finish[j]
        return
    c = a.task_cal[j]
    floor = a.start_floor[j]
    for k in range(count):
        s[k] = floor
    v = tmp[0]
    for e in range(a.pred_ptr[j], a.pred_ptr[j + 1]):
        if not binds(a.progress[j], a.pred_type[e]):
            continue
        i = a.pred_idx[e]
        kind = a.pred_type[e]
        base = finish[i] if kind == FS or kind == FF else start[i]
        if a.pred_lag[e] == 0.0 and kind < FF:  # the common case: no conversion at all
            for k in range(count):
                if base[k] > s[k]:
                    s[k] = base[k]
            continue
        link_bound_block(tb, a.pred_lag[e], a.pred_cal[e], kind >= FF, base, d, c, count, v, tmp[1])
        for k in range(count):
            if v[k] > s[k]:
                s[k] = v[k]
    y = a.finish_floor[j]
    if y > 0.0:
        for k in range(count):
            v[k] = y
        start_block(tb, c, v, d, count, tmp[1])
        for k in range(count):
            if tmp[1, k] > s[k]:
                s[k] = tmp[1, k]
    if c < 0:
        for k in range(count):
            f[k] = s[k] + d[k]
    else:  # the work done by the start is the same whether or not the start rolls on to work
        work_block(tb, c, s, count, v)
        time_block(tb, c, v, count, True, tmp[1])
        for k in range(count):
            v[k] += d[k]
        time_block(tb, c, v, count, False, f)
        for k in range(count):
            if d[k] > 0.0:
                s[k] = tmp[1, k]
            else:  # a zero-duration task keeps the instant its links give it
                f[k] = s[k]
    if a.progress[j] != NOT_STARTED:  # the remaining work ran from s; the task began earlier
        for k in range(count):
            s[k] = a.fixed_start[j]


@leaf
def alap_block(a, idx, count, dur, start, finish, project, acc, tmp) -> None:
    """Move each as-late-as-possible task (``idx``, successors first) to the latest
    finish its successors' dates in this run and the project finish allow; the task keeps its
    duration and calendar, and no other date moves. ``tmp``: (>= 4, BLOCK)."""
    sums = acc.shape[0] > 0
    tb = calendar_tables(a)
    latest, v, spare = tmp[0], tmp[1], tmp[2]
    for q in range(idx.shape[0]):
        j = idx[q]
        c = a.task_cal[j]
        d, s, f = dur[j], start[j], finish[j]
        if sums:
            acc[0, j] -= block_sum(s, count)
            acc[3, j] -= block_sum(f, count)
        for k in range(count):  # no task moves past the project finish
            latest[k] = project[k]
        for x in range(a.succ_ptr[j], a.succ_ptr[j + 1]):
            e = a.succ_link[x]
            o = a.link_owner[e]
            kind = a.pred_type[e]
            if a.progress[o] == FINISHED or not binds(a.progress[o], kind):
                continue
            if kind == FS or kind == SS:
                resumed_block(a, tb, o, dur[o], start[o], finish[o], count, v)
            else:  # a finish holds until the successor's next working instant
                roll_block(tb, a.task_cal[o], finish[o], count, v)
                for k in range(count):
                    if dur[o, k] <= 0.0:  # a zero-length successor is at its instant
                        v[k] = finish[o, k]
            if a.pred_lag[e] != 0.0:
                unshift_block(tb, a.pred_cal[e], v, a.pred_lag[e], count, v, spare, tmp[3])
            if kind == SS or kind == SF:  # a bound on this task's start
                finish_block(tb, c, v, d, count, spare)
                for k in range(count):
                    v[k] = spare[k]
            for k in range(count):
                if v[k] < latest[k]:
                    latest[k] = v[k]
        # work ends at the end of the task's working time before the latest instant
        start_block(tb, c, latest, d, count, spare)
        finish_block(tb, c, spare, d, count, v)
        for k in range(count):
            if v[k] > f[k] + TIE:
                f[k] = v[k]
                s[k] = spare[k]
        if sums:
            acc[0, j] += block_sum(s, count)
            acc[3, j] += block_sum(f, count)


@leaf
def resumed_block(a, tb, j: int, d, s, f, count: int, out) -> None:
    """out[k]: when task j's work (of the last d[k] days) began: its start s[k], or for a
    started task the instant its remaining work resumed."""
    if a.progress[j] == NOT_STARTED:
        for k in range(count):
            out[k] = s[k]
    else:
        start_block(tb, a.task_cal[j], f, d, count, out)


@leaf
def forward_block(
    a,
    dur: np.ndarray,
    count: int,
    start: np.ndarray,
    finish: np.ndarray,
    acc: np.ndarray,
    tmp: np.ndarray,
) -> None:
    """Early start/finish of every activity for ``count`` iterations (arrays (n, BLOCK);
    ``tmp`` (N_TMP, BLOCK) is scratch).

    FS: start >= finish_p + lag; SS: start >= start_p + lag; FF: finish >= finish_p + lag;
    SF: finish >= start_p + lag; and start >= start_floor >= 0. Tasks flagged ``general``
    (their own calendar, lag calendars, a finish floor or progress) take
    :func:`schedule_task`; the rest work on the clock's own time, vectorised.
    With a non-empty ``acc`` (N_SUMS, n), each activity's sums are added while its rows are
    still in cache: start, d - r and (d - r)^2 with r its plan duration, and finish.
    """
    sums = acc.shape[0] > 0
    timing, tb = task_timing(a), calendar_tables(a)
    for j in range(dur.shape[0]):
        s = start[j]
        d = dur[j]
        if a.dur_scale[j] != 1.0:  # remaining work of a started task
            scale = a.dur_scale[j]
            for k in range(count):
                d[k] *= scale
        if a.general[j]:
            schedule_task(timing, tb, j, d, count, start, finish, tmp)
            if sums:
                acc[0, j] += block_sum(s, count)
                shifted, squares = block_shifted_moments(d, a.plan_duration[j], count)
                acc[1, j] += shifted
                acc[2, j] += squares
                acc[3, j] += block_sum(finish[j], count)
            continue
        nb = a.start_floor[j]
        for k in range(count):
            s[k] = nb
        for e in range(a.pred_ptr[j], a.pred_ptr[j + 1]):
            i = a.pred_idx[e]
            kind = a.pred_type[e]
            lag = a.pred_lag[e]
            base = finish[i] if kind == FS or kind == FF else start[i]
            if kind < FF:  # FS, SS: bound the start
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
        if sums:
            acc[0, j] += block_sum(s, count)
            shifted, squares = block_shifted_moments(d, a.plan_duration[j], count)
            acc[1, j] += shifted
            acc[2, j] += squares
            acc[3, j] += block_sum(f, count)


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
def block_shifted_moments(x: np.ndarray, r: float, m: int) -> tuple[float, float]:
    """(sum of x[:m] - r, sum of (x[:m] - r) ** 2), in the same fixed order as :func:`block_sum`."""
    s0 = s1 = s2 = s3 = q0 = q1 = q2 = q3 = 0.0
    whole = m - m % 4
    for k in range(0, whole, 4):
        a, b, c, d = x[k] - r, x[k + 1] - r, x[k + 2] - r, x[k + 3] - r
        s0 += a
        s1 += b
        s2 += c
        s3 += d
        q0 += a * a
        q1 += b * b
        q2 += c * c
        q3 += d * d
    for k in range(whole, m):
        a = x[k] - r
        s0 += a
        q0 += a * a
    return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
