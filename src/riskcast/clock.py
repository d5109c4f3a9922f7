"""The simulation clock and the working-time tables of each calendar on it.

Every task works on its own calendar, but all times share one clock (docs/scheduling.md):

* when every task and lag works on one calendar whose working days all hold ``hours_per_day``
  hours, the clock counts that calendar's working days (t = 0 is the start of the first working
  day), and nothing needs converting;
* otherwise the clock is elapsed days from the project start at midnight (the 24-hour, 7-day
  calendar), and each calendar compiles to its working intervals on that clock with the
  cumulative working time W_c (in that calendar's days) at each.

"Start at t and work d on calendar c" is then ``time_at(c, work_at(c, t) + d)``: two table
lookups (:mod:`riskcast.engine.timing`), indexed directly by the clock's day and by whole days
of work, never a date loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .calendar import Calendar
from .engine.timing import CUM, CUM_HI, DAY, IV, LO, WORK, CalendarTables
from .model import DATE_HORIZON, Milestone, Project
from .units import TIME_TOLERANCE

ELAPSED = Calendar.elapsed()


def empty_tables() -> CalendarTables:
    """Tables of no calendar (the working-day clock needs none), well-formed for the kernel."""
    return CalendarTables(
        np.zeros((1, 4)), np.ones(1), np.zeros((1, 3), np.int64), np.zeros(1, np.int64)
    )


def horizon_days(start: dt.date) -> int:
    """Elapsed days the tables cover: from the start to the end of riskcast's date range."""
    return (DATE_HORIZON[1] - start).days + 1


def intervals(cal: Calendar, start: dt.date, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Working intervals (lo, hi) of ``cal`` in elapsed days from ``start``, merged where one
    ends as the next begins (a 24-hour calendar is one interval)."""
    weekday = (np.arange(days) + start.weekday()) % 7
    los, his = [], []
    special = {(d - start).days: p for d, p in cal.exceptions.items() if 0 <= (d - start).days}
    special.update({(d - start).days: () for d in cal.holidays if 0 <= (d - start).days})
    special = {u: p for u, p in special.items() if u < days}
    regular = np.ones(days, bool)
    regular[list(special)] = False
    for w in range(7):
        day = np.flatnonzero(regular & (weekday == w))
        for a, b in cal.periods_of_weekday(w):
            los.append(day + a / 1440.0)
            his.append(day + b / 1440.0)
    for u, times in special.items():
        for a, b in times:
            los.append(np.array([u + a / 1440.0]))
            his.append(np.array([u + b / 1440.0]))
    lo = np.concatenate(los) if los else np.zeros(0)
    hi = np.concatenate(his) if his else np.zeros(0)
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    if len(lo) == 0:
        return lo, hi
    joined = np.flatnonzero(hi[:-1] >= lo[1:])  # interval k + 1 continues interval k
    keep = np.ones(len(lo), bool)
    keep[joined + 1] = False
    starts = np.flatnonzero(keep)
    return lo[starts], np.maximum.reduceat(hi, starts)


def build_tables(calendars: list[Calendar], start: dt.date) -> CalendarTables:
    """The lookup tables of ``calendars`` (in index order) on the elapsed clock from ``start``
    (layout: :data:`riskcast.engine.timing.CalendarTables`)."""
    if not calendars:
        return empty_tables()
    days = horizon_days(start)
    rows, rates, day_parts, work_parts = [], [], [], []
    n_iv = 0
    for cal in calendars:
        lo, hi = intervals(cal, start, days)
        if len(lo) == 0:  # validated calendars work somewhere; keep the arrays well-formed
            lo, hi = np.array([float(days)]), np.array([float(days) + 1.0])
        r = 24.0 / cal.hours_per_day
        cum_hi = np.cumsum((hi - lo) * r)
        cum = np.concatenate(([0.0], cum_hi[:-1]))
        rows.append(np.column_stack((lo, hi, cum, cum_hi)))
        rates.append(r)
        day_first = np.minimum(np.searchsorted(hi, np.arange(days), side="right"), len(lo) - 1)
        whole = np.arange(int(cum_hi[-1]) + 1, dtype=float)
        work_first = np.minimum(np.searchsorted(cum_hi, whole - 1e-6, side="right"), len(lo) - 1)
        day_parts.append(day_first + n_iv)
        work_parts.append(work_first + n_iv)
        n_iv += len(lo)
    first = np.concatenate(day_parts + work_parts).astype(np.int64)
    ptr = np.zeros((len(calendars) + 1, 3), np.int64)
    ptr[1:, IV] = np.cumsum([len(r) for r in rows])
    ptr[1:, DAY] = np.cumsum([len(d) for d in day_parts])
    ptr[:, WORK] = ptr[-1, DAY] + np.concatenate(([0], np.cumsum([len(w) for w in work_parts])))
    return CalendarTables(np.ascontiguousarray(np.vstack(rows)), np.array(rates), ptr, first)


def same_as_clock(cal: Calendar, clock: Calendar) -> bool:
    """True when time on ``cal`` is time on the clock (no conversion needed)."""
    if cal is clock:
        return True
    if clock.counts_whole_days:
        fields = ("workdays", "days_off", "hours_per_day")
    else:
        fields = ("workdays", "days_off", "hours_per_day", "hours", "weekday_hours", "exceptions")
    return all(getattr(cal, f) == getattr(clock, f) for f in fields) and (
        not clock.counts_whole_days or cal.counts_whole_days
    )


@dataclass(frozen=True, eq=False)
class Clock:
    """The plan's clock: ``calendar`` turns clock times into dates (its working days from
    ``start``); ``task_calendar`` is each activity's calendar index into ``tables`` (-1: the
    clock's own time, no lookup)."""

    calendar: Calendar
    start: dt.date
    tables: CalendarTables
    calendars: tuple[Calendar, ...]  # those with tables, by index

    @property
    def elapsed(self) -> bool:
        return self.calendar is ELAPSED

    def index(self, cal: Calendar) -> int:
        """The table index of ``cal`` (-1: time on it is clock time)."""
        for k, c in enumerate(self.calendars):
            if c is cal:
                return k
        if not same_as_clock(cal, self.calendar):
            raise KeyError(f"calendar {cal.name or cal} has no table")
        return -1

    def date_start(self, date: dt.date) -> float:
        """Clock time of the start of ``date`` (midnight, or its working day's start)."""
        if self.elapsed:
            return float((date - self.start).days)
        return float(self.calendar.days_until_start_of(self.start, date))

    def date_end(self, date: dt.date) -> float:
        """Clock time of the end of ``date`` (the next midnight, or its working day's end)."""
        if self.elapsed:
            return float((date - self.start).days + 1)
        return float(self.calendar.days_until_end_of(self.start, date))

    def _rows(self, c: int) -> np.ndarray:
        tb = self.tables
        return tb.iv[tb.ptr[c, IV] : tb.ptr[c + 1, IV]]

    def work_at(self, c: int, t: float) -> float:
        """W_c(t): working days of calendar c done by clock time t (t itself when c < 0)."""
        if c < 0:
            return t
        lo, hi, cum = self._rows(c)[:, :3].T
        i = min(int(np.searchsorted(hi, t, side="right")), len(lo) - 1)
        return float(cum[i] + max(0.0, min(t, hi[i]) - lo[i]) * self.tables.rate[c])

    def time_at(self, c: int, w: float, roll: bool) -> float:
        """The earliest clock time with ``w`` working days of c done (``roll``: the instant
        work resumes after it)."""
        if c < 0:
            return w
        rows = self._rows(c)
        lo, cum, cum_hi = rows[:, LO], rows[:, CUM], rows[:, CUM_HI]
        if roll:
            i = int(np.searchsorted(cum_hi, w + TIME_TOLERANCE, side="right"))
        else:
            i = int(np.searchsorted(cum_hi, w - TIME_TOLERANCE, side="left"))
        i = min(i, len(lo) - 1)
        return float(lo[i] + max(0.0, w - cum[i]) / self.tables.rate[c])


def activity_calendar(project: Project, item) -> Calendar:
    """The calendar an activity works on (milestones: the project calendar)."""
    if isinstance(item, Milestone) or item.calendar is None:
        return project.calendar
    return project.calendars[item.calendar]


def _actuals_off_work(project: Project) -> bool:
    """Whether an actual date falls on a day its task's calendar does not work: working days
    cannot hold it (a finish on a Saturday is not the end of Friday), the elapsed clock can."""
    for task in project.tasks:
        cal = activity_calendar(project, task)
        for date in (task.actual_start, task.actual_finish):
            if date is not None and not cal.periods_on(date):
                return True
    return False


def plan_clock(project: Project) -> Clock:
    """The clock of a valid ``project`` and the tables of the calendars that need them."""
    used: list[Calendar] = []

    def use(cal: Calendar) -> None:
        if all(cal is not c for c in used):
            used.append(cal)

    for item in project.activities:
        own = activity_calendar(project, item)
        if not isinstance(item, Milestone):
            use(own)
        for link in item.after:
            if link.lag:
                use(project.calendars[link.calendar] if link.calendar else own)
    if not used:
        used = [project.calendar]
    first = used[0]
    # the project calendar opens the plan (its first working instant) and dates milestones
    uniform = all(same_as_clock(c, first) for c in (*used, project.calendar))
    if first.counts_whole_days and uniform and not _actuals_off_work(project):
        return Clock(first, project.start, empty_tables(), ())
    needing = tuple(c for c in used if not same_as_clock(c, ELAPSED))
    return Clock(ELAPSED, project.start, build_tables(list(needing), project.start), needing)
