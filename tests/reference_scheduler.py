"""A slow, obviously correct reference for riskcast's deterministic schedule (docs/scheduling.md).

It reads the Project (never the compiled arrays) and schedules it with a textbook forward pass in
exact arithmetic: every instant is a :class:`fractions.Fraction` of minutes from the project start
at midnight, and working time is found by stepping through each calendar's working times date by
date (``Calendar.periods_on``), never through tables. It exists to check the fast kernel.

Rules, as in docs/scheduling.md, with the choices the document leaves open (marked *choice*):

* A task works on its own calendar (None: the project calendar); a milestone on the project
  calendar. A day of duration or lag is ``hours_per_day`` hours of work on its calendar.
* A lag is working time on ``Link.calendar`` (or the successor's calendar); a negative lag (a lead)
  counts that working time backwards. FS: start >= lag(pred finish); SS: start >= lag(pred start);
  FF: finish >= lag(pred finish); SF: finish >= lag(pred start).
* A task with work starts at the first working instant at or after its start bounds and finishes
  when its work is done, at the end of working time (17:00 Friday, not 08:00 Monday).
  *Choice*: finish bounds (FF, SF, ``finish_not_before``) are met in working time: a finish bound
  in non-working time is met by finishing at the end of the working time before it (the same
  working moment); when a finish bound wins, the start is the finish less the work.
* A zero-duration task or a milestone is at the latest of its bounds, working time or not.
* Every activity starts no earlier than the project start; with a status date every unfinished
  activity (milestones too, *choice*) no earlier than the status date's midnight.
* ``not_before``: start >= that date's midnight. ``finish_not_before``: finish >= the end of that
  date's last working time (*choice*: the date's end, midnight, when it has none).
* Progress: a finished task runs from the first working instant of its actual start date to the
  end of the last working time of its actual finish date (*choice*: a date without working time
  gives its midnight and its end); a started one starts at its actual start instant and does its
  remaining work from the status date's midnight (rolled to working time); under retained logic
  its FS predecessors (plus lags) hold back that remaining work and its FF predecessors its
  finish (*choice*: FF is a finish bound, not a bound on the remaining work's start). A run's
  remaining work is ``duration * remaining / most_likely`` when ``remaining`` is given (``remaining``
  itself when the most likely duration is 0), else ``duration * (1 - percent_complete / 100)``.
* ``alap``: the task finishes as late as its successors' final dates allow, never earlier than
  its early dates (*choice*: alap tasks are placed in reverse dependency order, so an alap
  predecessor of an alap task follows it). A successor allows what keeps the forward pass's
  dates: its start for start links, the next working instant after its finish for finish links
  (a finish bound up to there is met in its working time); a started successor under retained
  logic allows up to its remaining work's start (FS) or as its finish (FF), otherwise nothing.
  Never past the project finish (the latest early finish of all activities), which is all that
  holds a task without a successor. *Choices* where no latest date exists: a start limit in the task's non-working
  time gives that limit as the start instant (the same working moment, the same start date); a
  lead whose successor date lies in non-working time of the lag's calendar gives the limit, met
  in working time of that calendar only.
* Dates: a start on the date of the first working moment at or after it, a finish on the date of
  the last working moment before it (the activity's calendar). *Choice*: for a zero-duration
  activity every moment counts (working time or not): its start is on the date of its instant,
  its finish on the date of the moment just before (the previous date at exactly midnight), and
  at such a boundary it is on one date, the day it ends. Progress dates are the actual dates
  themselves; a started task with no work left ends at the moment before its resumed instant,
  never before the date it began.
* Late constraints never move a date: ``late_start_missed`` when the start date is after
  ``not_after``; ``late_finish_missed`` when the finish date is after ``finish_not_after`` or
  ``deadline`` (the earlier of them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from riskcast import Calendar, Milestone, Project, Task

DAY = 1440  # minutes
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)  # the dates riskcast plans with


def exact(value: float | int | Fraction) -> Fraction:
    """A number as written (0.1 is one tenth, not the binary float nearest to it)."""
    if isinstance(value, Fraction | int):
        return Fraction(value)
    return Fraction(repr(float(value)))


@dataclass(frozen=True)
class Result:
    """One activity's dates: ``start``/``finish`` exact minutes from the project start midnight,
    ``start_time``/``finish_time`` the same instants as datetimes (to the microsecond)."""

    start: Fraction
    finish: Fraction
    start_time: dt.datetime
    finish_time: dt.datetime
    start_date: dt.date
    finish_date: dt.date
    late_start_missed: bool = False
    late_finish_missed: bool = False


class WorkingTime:
    """A calendar's working times as exact minutes on the project's clock, found date by date."""

    def __init__(self, calendar: Calendar, origin: dt.date) -> None:
        self.calendar = calendar
        self.origin = origin
        self.minutes_per_day = exact(calendar.hours_per_day) * 60
        self._cache: dict[int, tuple[tuple[Fraction, Fraction], ...]] = {}
        self.lowest = (FIRST_DAY - origin).days
        self.highest = (LAST_DAY - origin).days

    def day(self, k: int) -> tuple[tuple[Fraction, Fraction], ...]:
        """Working intervals [a, b) of day k (0: the project start date), in project minutes."""
        if k not in self._cache:
            if not self.lowest <= k <= self.highest:
                raise ValueError("working time runs outside the dates riskcast plans with")
            date = self.origin + dt.timedelta(days=k)
            self._cache[k] = tuple(
                (k * DAY + exact(a), k * DAY + exact(b)) for a, b in self.calendar.periods_on(date)
            )
        return self._cache[k]

    def forward(self, t: Fraction):
        """Working intervals that end after t, in time order, with their day."""
        k = day_of(t)
        while True:
            for a, b in self.day(k):
                if b > t:
                    yield a, b, k
            k += 1

    def backward(self, t: Fraction):
        """Working intervals that begin before t, latest first, with their day."""
        k = day_of(t)
        if t == k * DAY:  # nothing of day k begins before its midnight
            k -= 1
        while True:
            for a, b in reversed(self.day(k)):
                if a < t:
                    yield a, b, k
            k -= 1

    def next_working(self, t: Fraction) -> Fraction:
        """The first working instant at or after t (a start moved into working time)."""
        a, _, _ = next(self.forward(t))
        return max(a, t)

    def finish_of(self, t: Fraction) -> Fraction:
        """The end of the working time at or before t (the same working moment as t)."""
        _, b, _ = next(self.backward(t))
        return min(b, t)

    def add(self, t: Fraction, work: Fraction) -> Fraction:
        """The instant ``work`` minutes of working time after t (t itself for no work)."""
        if work <= 0:
            return t
        for a, b, _ in self.forward(t):
            begin = max(a, t)
            if b - begin >= work:
                return begin + work
            work -= b - begin
        raise AssertionError("unreachable")

    def subtract(self, t: Fraction, work: Fraction) -> Fraction:
        """The instant ``work`` minutes of working time before t (t itself for no work)."""
        if work <= 0:
            return t
        for a, b, _ in self.backward(t):
            end = min(b, t)
            if end - a >= work:
                return end - work
            work -= end - a
        raise AssertionError("unreachable")

    def shift(self, t: Fraction, days: Fraction) -> Fraction:
        """t moved by a lag of ``days`` working days (negative: a lead, backwards)."""
        work = abs(days) * self.minutes_per_day
        return self.add(t, work) if days >= 0 else self.subtract(t, work)

    def latest_before_shift(self, y: Fraction, days: Fraction) -> Fraction:
        """The latest t whose shift by ``days`` is at most y (the inverse of :meth:`shift`).

        After a lead into non-working time no latest t exists (every t before a limit works):
        the limit itself is given, one whose shift passes y by non-working time only.
        """
        if days == 0:
            return y
        work = abs(days) * self.minutes_per_day
        if days > 0:
            return self.subtract(y, work)
        t = self.add(y, work)
        return self.next_working(t) if self.next_working(y) == y else t

    def start_date(self, t: Fraction) -> dt.date:
        """The date of the first working moment at or after t."""
        _, _, k = next(self.forward(t))
        return self.origin + dt.timedelta(days=k)

    def finish_date(self, t: Fraction) -> dt.date:
        """The date of the last working moment before t."""
        _, _, k = next(self.backward(t))
        return self.origin + dt.timedelta(days=k)

    def day_start(self, date: dt.date) -> Fraction:
        """The first working instant of ``date`` (its midnight when it has no working time)."""
        k = (date - self.origin).days
        periods = self.day(k)
        return periods[0][0] if periods else Fraction(k * DAY)

    def day_end(self, date: dt.date) -> Fraction:
        """The end of the last working time of ``date`` (its end when it has no working time)."""
        k = (date - self.origin).days
        periods = self.day(k)
        return periods[-1][1] if periods else Fraction((k + 1) * DAY)


def day_of(t: Fraction) -> int:
    return int(t // DAY)


def midnight(project: Project, date: dt.date) -> Fraction:
    return Fraction((date - project.start).days * DAY)


def as_datetime(project: Project, t: Fraction) -> dt.datetime:
    micro = round(t * 60_000_000)
    base = dt.datetime.combine(project.start, dt.time())
    return base + dt.timedelta(microseconds=micro)


def dependency_order(project: Project) -> list[str]:
    """Activity ids, each after all its predecessors (depth-first; the plan has no cycle)."""
    preds = {a.id: [link.predecessor for link in a.after] for a in project.activities}
    order: list[str] = []
    done: set[str] = set()

    def visit(node_id: str) -> None:
        stack = [(node_id, iter(preds[node_id]))]
        while stack:
            node, rest = stack[-1]
            child = next((p for p in rest if p not in done), None)
            if child is None:
                stack.pop()
                if node not in done:
                    done.add(node)
                    order.append(node)
            else:
                stack.append((child, iter(preds[child])))

    for a in project.activities:
        visit(a.id)
    return order


def reference_schedule(
    project: Project, durations: dict[str, float | Fraction] | None = None
) -> dict[str, Result]:
    """Each activity's exact dates in the deterministic schedule (docs/scheduling.md).

    ``durations`` gives tasks' durations in working days of their calendars (default: each
    estimate's most likely value; a float is taken as written, a Fraction exactly). Task
    probabilities and risks play no part: this is one run's schedule.
    """
    durations = durations or {}
    cals: dict[int, WorkingTime] = {}

    def working(calendar: Calendar) -> WorkingTime:
        if id(calendar) not in cals:
            cals[id(calendar)] = WorkingTime(calendar, project.start)
        return cals[id(calendar)]

    acts: dict[str, Task | Milestone] = {a.id: a for a in project.activities}

    def own(a: Task | Milestone) -> WorkingTime:
        if isinstance(a, Task) and a.calendar is not None:
            return working(project.calendars[a.calendar])
        return working(project.calendar)

    def link_calendar(link, successor) -> WorkingTime:
        if link.calendar is not None:
            return working(project.calendars[link.calendar])
        return own(successor)

    def days(a: Task | Milestone) -> Fraction:
        if isinstance(a, Milestone):
            return Fraction(0)
        return exact(durations.get(a.id, a.estimate.most_likely))

    status = midnight(project, project.status_date) if project.status_date else None
    start: dict[str, Fraction] = {}
    finish: dict[str, Fraction] = {}
    zero: set[str] = set()  # zero-duration activities (dates by their instant)
    actual: set[str] = set()  # tasks with an actual start (dates from the actuals)
    resumed: dict[str, Fraction] = {}  # started tasks: when their remaining work starts

    def link_bounds(a, types):
        """(start bounds, finish bounds) from a's links of ``types``."""
        starts, finishes = [], []
        for link in a.after:
            if link.type not in types:
                continue
            cal = link_calendar(link, a)
            lag = exact(link.lag)
            if link.type == "FS":
                starts.append(cal.shift(finish[link.predecessor], lag))
            elif link.type == "SS":
                starts.append(cal.shift(start[link.predecessor], lag))
            elif link.type == "FF":
                finishes.append(cal.shift(finish[link.predecessor], lag))
            else:  # SF
                finishes.append(cal.shift(start[link.predecessor], lag))
        return starts, finishes

    order = dependency_order(project)
    for key in order:
        a = acts[key]
        cal = own(a)
        d = days(a)
        if isinstance(a, Task) and a.actual_start is not None:
            actual.add(key)
            start[key] = cal.day_start(a.actual_start)
            if a.actual_finish is not None:
                finish[key] = cal.day_end(a.actual_finish)
                continue
            if a.remaining is not None:
                ml = exact(a.estimate.most_likely)
                rem = exact(a.remaining) * (d / ml if ml > 0 else 1)
            else:
                rem = d * (1 - exact(a.percent_complete) / 100)
            resume = [start[key]] + ([status] if status is not None else [])
            logic = project.progress_logic == "retained-logic"
            finishes: list[Fraction] = []
            if a.finish_not_before is not None:  # a finish constraint holds the remaining work
                finishes.append(cal.day_end(a.finish_not_before))
            if logic:
                starts, held = link_bounds(a, ("FS", "FF"))
                resume += starts
                finishes += held
            work = rem * cal.minutes_per_day
            if work > 0:
                resumed[key] = cal.next_working(max(resume))
                f = cal.add(resumed[key], work)
                if finishes:
                    f = max(f, cal.finish_of(max(finishes)))
            else:
                resumed[key] = f = max(resume + finishes)
                zero.add(key)
            finish[key] = f
            continue
        starts, finishes = link_bounds(a, ("FS", "SS", "FF", "SF"))
        # the plan begins when the project calendar's start date begins work (08:00, say)
        opening = project.calendar.periods_on(project.start)
        starts.append(exact(opening[0][0]) if opening else Fraction(0))
        if status is not None:
            starts.append(status)
        if isinstance(a, Task):
            if a.not_before is not None:
                starts.append(midnight(project, a.not_before))
            if a.finish_not_before is not None:
                finishes.append(cal.day_end(a.finish_not_before))
        work = d * cal.minutes_per_day
        if work > 0:
            s = cal.next_working(max(starts))
            f = cal.add(s, work)
            if finishes and cal.finish_of(max(finishes)) > f:
                f = cal.finish_of(max(finishes))
                s = cal.subtract(f, work)
        else:
            zero.add(key)
            s = f = max(starts + finishes)
        start[key], finish[key] = s, f

    # As late as possible: each alap task (reverse dependency order) moves up to its successors.
    project_finish = max(finish.values())

    def logic_of(successor: str, link) -> str | None:
        """The link type that still holds a started successor (None: none holds it)."""
        task = acts[successor]
        if task.actual_finish is not None or project.progress_logic != "retained-logic":
            return None
        return link.type if link.type in ("FS", "FF") else None

    successors: dict[str, list] = {key: [] for key in acts}
    for a in project.activities:
        for link in a.after:
            successors[link.predecessor].append((link, a))
    for key in reversed(order):
        a = acts[key]
        if not (isinstance(a, Task) and a.alap) or key in actual:
            continue
        cal = own(a)
        work = days(a) * cal.minutes_per_day
        start_limits, finish_limits = [], []
        for link, succ in successors[key]:
            # y: the latest instant the shifted start or finish of this task may reach without
            # moving the successor (as the forward pass above would place it)
            scal = own(succ)
            if succ.id in actual:
                if logic_of(succ.id, link) == "FS":
                    y = resumed[succ.id]
                elif logic_of(succ.id, link) == "FF":
                    y = scal.next_working(finish[succ.id])
                else:
                    continue
            elif succ.id in zero:
                y = start[succ.id]
            elif link.type in ("FS", "SS"):
                y = start[succ.id]
            else:
                y = scal.next_working(finish[succ.id])
            t = link_calendar(link, succ).latest_before_shift(y, exact(link.lag))
            (finish_limits if link.type in ("FS", "FF") else start_limits).append(t)
        finish_limits.append(project_finish)  # never past the project finish
        if work > 0:
            candidates = [cal.finish_of(t) for t in finish_limits]
            candidates += [cal.add(t, work) for t in start_limits]
            f = max(min(candidates), finish[key])
            # a start limit in non-working time: the task starts there, the same working moment
            # as its next working time (the dates are the same; the limit holds to the minute)
            s = min([cal.subtract(f, work), *start_limits])
            start[key], finish[key] = max(s, start[key]), f
        else:
            t = max(min(finish_limits + start_limits), finish[key])
            start[key] = finish[key] = t

    def moment_before(f: Fraction) -> dt.date:
        """The date of the moment before f (f itself at the project's first instant)."""
        return project.start + dt.timedelta(days=max(-day_of(-f) - 1, 0))

    out = {}
    for key in order:
        a = acts[key]
        cal = own(a)
        s, f = start[key], finish[key]
        if key in actual:
            start_date = a.actual_start
            if a.actual_finish is not None:
                finish_date = a.actual_finish
            elif key in zero:  # no work left: done at the instant it resumed (the moment before)
                finish_date = max(moment_before(f), start_date)  # never before it began
            else:
                finish_date = cal.finish_date(f)
        elif key in zero:
            start_date = project.start + dt.timedelta(days=day_of(s))
            finish_date = moment_before(f)
            # a zero-length task at a day boundary is on one date: the day it ends
            start_date = min(start_date, finish_date)
        else:
            start_date, finish_date = cal.start_date(s), cal.finish_date(f)
        late_start = late_finish = False
        if isinstance(a, Task):
            late_start = a.not_after is not None and start_date > a.not_after
            limits = [x for x in (a.finish_not_after, a.deadline) if x is not None]
            late_finish = bool(limits) and finish_date > min(limits)
        out[key] = Result(
            s,
            f,
            as_datetime(project, s),
            as_datetime(project, f),
            start_date,
            finish_date,
            late_start,
            late_finish,
        )
    return {a.id: out[a.id] for a in project.activities}
