"""What the two Primavera P6 readers (:mod:`.xer` and :mod:`.pmxml`) share.

Both formats hold the same P6 data: calendars (work periods per weekday, dated exceptions,
hours per day), hourly resource rates that change over time, primary and secondary
constraints, activity types, progress (status, actual dates, remaining duration), project
expenses and the project's "calendar for relationship lag" option. Durations and lags arrive in
hours; this module turns them into working days of the calendar P6 uses for them, and the
calendars into riskcast :class:`~riskcast.calendar.Calendar` objects with their real working
times.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..calendar import WEEKDAYS, Calendar
from ..errors import ModelError
from ..model import CapacityChange
from .schedules import RawLink, RawTask, ScheduleReader, constraint_warning

T = TypeVar("T")

Period = tuple[float, float]  # minutes after midnight: (from, to)

# P6's constraint types (lower case, as PMXML names them; the XER reader maps its codes here).
START_ON_OR_AFTER = "start on or after"
CONSTRAINT_FIELDS: dict[str, tuple[str, ...]] = {
    "start on or after": ("not_before",),
    "start on or before": ("not_after",),
    "finish on or after": ("finish_not_before",),
    "finish on or before": ("finish_not_after",),
    "start on": ("not_before", "not_after"),
    "mandatory start": ("not_before", "not_after"),
    "finish on": ("finish_not_before", "finish_not_after"),
    "mandatory finish": ("finish_not_before", "finish_not_after"),
}
NO_CONSTRAINT = ("", "as soon as possible", "none")
LATEST = ("not_after", "finish_not_after")  # of two such dates, the earlier binds
ELAPSED_NAME = "24 hours"  # the name of the 24-hour lag calendar in the imported plan

_CLOCK = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]*)?))?\s*")


def clock_minutes(text: str) -> float | None:
    """Minutes after midnight of "HH:MM" or "HH:MM:SS"; None when not a time of day."""
    m = _CLOCK.fullmatch(text or "")
    if not m:
        return None
    minutes = int(m.group(1)) * 60 + int(m.group(2)) + float(m.group(3) or 0) / 60.0
    return minutes if 0 <= minutes <= 1440 else None


def work_period(start: str, finish: str, last_minute: bool = False) -> Period | None:
    """A P6 work period as minutes. PMXML writes a period's end as its last working minute
    (``last_minute``: ``11:59:00`` for a period to noon, ``15:29:00`` to half past three), so
    it ends one minute later; XER writes the end itself, but 23:59 for midnight. A finish of
    00:00 is midnight at the day's end. None when a time is unreadable or the span empty."""
    lo, hi = clock_minutes(start), clock_minutes(finish)
    if lo is None or hi is None:
        return None
    if hi == 0:
        hi = 1440.0
    elif last_minute and hi < 1440:
        hi += 1.0
    elif hi == 1439:
        hi = 1440.0
    return (lo, hi) if hi > lo else None


@dataclass
class CalendarData:
    """A P6 calendar as read: work periods per weekday (an empty list: not a working day; a
    weekday missing: not given), dated exceptions (their work periods; empty: no work), hours
    per day. ``week`` and ``exceptions`` say which weekdays and exceptions are working."""

    id: str = ""
    name: str = ""
    default: bool = False
    base: str = ""
    week: dict[str, bool] = field(default_factory=dict)
    exceptions: dict[dt.date, bool] = field(default_factory=dict)
    hours_per_day: float = 8.0
    hours_given: bool = True
    day_periods: dict[str, list[Period]] = field(default_factory=dict)
    exception_periods: dict[dt.date, list[Period]] = field(default_factory=dict)
    place: str = ""  # where it is in the file, for messages
    error: ModelError | None = None  # why it cannot be read (raised only if it is used)

    def set_day(self, weekday: str, periods: list[Period]) -> None:
        self.day_periods[weekday] = periods
        self.week[weekday] = bool(periods)

    def set_exception(self, day: dt.date, periods: list[Period]) -> None:
        self.exception_periods[day] = periods
        self.exceptions[day] = bool(periods)

    def inherit(self, base: CalendarData) -> None:
        """Take the base calendar's work week when this one has none, and its exceptions
        where this one has none of its own (P6 resource and project calendars inherit the
        holidays of their base calendar)."""
        if not self.week:
            self.week = dict(base.week)
            self.day_periods = {d: list(p) for d, p in base.day_periods.items()}
        for day, working in base.exceptions.items():
            if day not in self.exceptions:
                self.exceptions[day] = working
                self.exception_periods[day] = list(base.exception_periods.get(day, []))

    def to_calendar(self, warnings: list[str], name: str | None = None) -> Calendar:
        """The riskcast Calendar: working weekdays with their work periods, non-working
        exceptions on working weekdays as holidays, working exceptions with their periods.

        The hours per day are P6's; when every working weekday works the same hours and those
        differ from them, the work periods win (durations in hours are converted with them, so
        a day of work is a day of the calendar), with a warning."""
        if self.error is not None:
            raise self.error
        label = name or self.name or self.id
        week = self.week or {d: d in WEEKDAYS[:5] for d in WEEKDAYS}
        workdays = tuple(d for d in WEEKDAYS if week.get(d))
        if not workdays:
            raise ModelError(f'calendar "{label}" has no working weekday')
        weekday_hours = {d: tuple(self.day_periods[d]) for d in workdays if self.day_periods.get(d)}
        holidays = []
        exceptions = {}
        for day, working in sorted(self.exceptions.items()):
            periods = tuple(self.exception_periods.get(day, ()))
            if working and periods:
                exceptions[day] = periods
            elif WEEKDAYS[day.weekday()] in workdays:
                holidays.append(day)
        hours = self.hours_per_day
        lengths = {round(sum(b - a for a, b in p) / 60.0, 6) for p in weekday_hours.values()}
        if len(lengths) == 1 and len(weekday_hours) == len(workdays):
            worked = lengths.pop()
            if 0 < worked <= 24 and abs(worked - hours) > 1e-6:
                given = f"{hours:g} hours per day" if self.hours_given else "no hours per day"
                warnings.append(
                    f'calendar "{label}": {given}, but its work periods hold {worked:g} hours '
                    f"on every working day; {worked:g} hours per day used to convert durations "
                    "and lags on it"
                )
                hours = worked
        self.hours_per_day = hours
        # The most common working times are the calendar's hours; other weekdays keep theirs.
        common: tuple[Period, ...] = ()
        if weekday_hours:
            shapes = list(weekday_hours.values())
            common = max(shapes, key=shapes.count)
        if len(weekday_hours) == len(workdays):
            weekday_hours = {d: p for d, p in weekday_hours.items() if p != common}
        else:
            common = ()
        try:
            return Calendar(
                workdays,
                tuple(holidays),
                hours,
                hours=common,
                weekday_hours=weekday_hours,
                exceptions=exceptions,
                name=label,
            )
        except ModelError as exc:
            where = self.place or f'calendar "{label}"'
            raise ModelError(
                [
                    f"{where}: {p}; the calendar is damaged. Export the file again from P6"
                    for p in exc.problems
                ]
            ) from None


def pick_rate(
    rates: list[tuple[dt.date | None, float]], start: dt.date, label: str, warnings: list[str]
) -> float:
    """The hourly rate in effect at the project start (the latest one starting on or before it;
    the earliest one when all start later). Several different rates are reported."""
    if not rates:
        return 0.0
    ordered = sorted(rates, key=lambda r: r[0] or dt.date.min)
    chosen = ordered[0]
    for when, cost in ordered:
        if when is None or when <= start:
            chosen = (when, cost)
    if len({cost for _, cost in rates}) > 1:
        listing = ", ".join(f"{cost:g} from {when or 'the start'}" for when, cost in ordered)
        warnings.append(
            f"{label}: rate changes over time ({listing} per hour); riskcast uses "
            f"the rate in effect at the project start, {chosen[1]:g} per hour"
        )
    return chosen[1]


def capacity_steps(
    steps: list[tuple[dt.date | None, float]], start: dt.date
) -> tuple[float | None, tuple[CapacityChange, ...]]:
    """A P6 resource's max units per time as a riskcast capacity: the one in effect at the
    project start, and a change for each later rate period that sets another. None when no
    period gives a positive maximum (P6 leaves it empty or 0 for pools it does not limit)."""
    ordered = sorted(((w, q) for w, q in steps if q > 0), key=lambda r: r[0] or dt.date.min)
    if not ordered:
        return None, ()
    capacity = ordered[0][1]
    changes: list[CapacityChange] = []
    for when, qty in ordered:
        if when is None or when <= start:
            capacity = qty
        elif qty != (changes[-1].capacity if changes else capacity):
            changes.append(CapacityChange(when, qty))
    return capacity, tuple(changes)


def pick_project(
    projects: Sequence[T],
    names: Sequence[str],
    keys: Sequence[tuple[str | None, ...]],
    want: str | None,
    *,
    empty: str,
    hint: str,
    source: str,
) -> T:
    """The project ``want`` names (one of its ``keys``), or the only one when ``want`` is None.

    ``names`` list the projects in messages; ``empty`` is the error for a file without projects,
    ``hint`` what to pass as ``--project`` / ``project=`` when the file holds several.
    """
    if not projects:
        raise ModelError(empty, source)
    listing = ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")
    if want is not None:
        for project, key in zip(projects, keys, strict=True):
            if want in key:
                return project
        raise ModelError(f"no project {want!r} in the file (it holds: {listing})", source)
    if len(projects) > 1:
        raise ModelError(
            f"the file holds {len(projects)} projects ({listing}); pick one with --project "
            f"{hint} (riskcast import) or project='{hint}' (read_schedule)",
            source,
        )
    return projects[0]


def checked_hours_per_day(
    hours: float, given: bool, place: str, name: str, warnings: list[str]
) -> float:
    """A calendar's hours per working day: 8 (with a warning) when missing or 0, an error when
    negative or over 24 (a duration divided by it would be silently wrong)."""
    if hours < 0 or hours > 24:
        raise ModelError(
            f"{place}: {hours:g} hours per day is not within 0-24; the calendar is damaged. "
            "Export the file again from P6"
        )
    if hours == 0:
        warnings.append(
            f'calendar "{name}": {"0 hours per day" if given else "no hours per day"}; '
            "8 hours per day used to convert durations and lags on it"
        )
        return 8.0
    return hours


def unique_names(calendars: dict[str, CalendarData]) -> dict[str, str]:
    """A distinct, stable name per calendar id (file order): its P6 name, ``calendar <id>``
    when it has none, ``name (id)`` when another calendar has the same name."""
    counts: dict[str, int] = {}
    for cal in calendars.values():
        base = cal.name or f"calendar {cal.id}"
        counts[base] = counts.get(base, 0) + 1
    out: dict[str, str] = {}
    taken = {ELAPSED_NAME}
    for key, cal in calendars.items():
        base = cal.name or f"calendar {cal.id}"
        name = base if counts[base] == 1 and base not in taken else f"{base} ({cal.id})"
        while name in taken:
            name += "'"
        taken.add(name)
        out[key] = name
    return out


class P6Reader(ScheduleReader):
    """The P6 readers' shared steps; they fill ``calendars`` (by id) before calling them."""

    calendars: dict[str, CalendarData]
    project_cal: CalendarData
    calendar: Calendar

    def __init__(self, path: Path, project: str | None, three_point: Sequence[str | None] | None):
        super().__init__(path, three_point)
        self.want = project
        self.converted: dict[str, Calendar] = {}  # calendar id -> its riskcast Calendar
        self.named: dict[str, Calendar] = {}  # the calendars tasks and links name, by name
        self.names: dict[str, str] = {}

    # -- calendars --------------------------------------------------------------------------
    def convert(self, cal_id: str) -> Calendar:
        """The riskcast Calendar of calendar ``cal_id`` (converted once, its base's week and
        exceptions inherited); an unreadable calendar raises its ModelError here, when used."""
        if cal_id not in self.converted:
            if not self.names:
                self.names = unique_names(self.calendars)
            data = self.calendars[cal_id]
            base, seen = data.base, {cal_id}
            while base in self.calendars and base not in seen and data.error is None:
                seen.add(base)
                if self.calendars[base].error is None:
                    data.inherit(self.calendars[base])
                base = self.calendars[base].base
            self.converted[cal_id] = data.to_calendar(self.warnings, self.names[cal_id])
        return self.converted[cal_id]

    def use_project_calendar(self, cal_id: str, no_calendars: str) -> None:
        """Make ``cal_id`` the project calendar; an unknown id falls back (with a warning) to
        the default calendar, else the first one. ``no_calendars``: the error when none exist."""
        if cal_id not in self.calendars:
            defaults = [c for c in self.calendars.values() if c.default and c.error is None]
            if not self.calendars:
                raise ModelError(no_calendars, self.source)
            readable = [c for c in self.calendars.values() if c.error is None]
            chosen = (defaults or readable or list(self.calendars.values()))[0]
            self.warnings.append(
                f'project calendar {cal_id!r} not in the file; using calendar "{chosen.name}"'
            )
            cal_id = chosen.id
        self.project_cal = self.calendars[cal_id]
        self.calendar = self.convert(cal_id)

    def calendar_of(self, cal_id: str | None) -> tuple[str | None, Calendar]:
        """(name in the plan, Calendar) of calendar ``cal_id``: (None, project calendar) for
        the project calendar and for an id not in the file."""
        if not cal_id or cal_id == self.project_cal.id or cal_id not in self.calendars:
            return None, self.calendar
        cal = self.convert(cal_id)
        name = self.names[cal_id]
        self.named[name] = cal
        return name, cal

    def hours_per_day(self, clndr_id: str) -> float:
        """Working hours per day of calendar ``clndr_id``, the project calendar's if unknown."""
        return self.calendar_of(clndr_id)[1].hours_per_day or 8.0

    def own_calendar(self, item: RawTask, clndr_id: str, name: str) -> Calendar:
        """Put ``item`` on its calendar (``item.calendar``: its name; None for the project
        calendar); an id not in the file is reported and the project calendar used."""
        if clndr_id and clndr_id not in self.calendars:
            self.warnings.append(
                f"{item.label}: its calendar {name!r} is not in the file; it is scheduled on "
                f'the project calendar "{self.project_cal.name}"'
            )
        item.calendar, cal = self.calendar_of(clndr_id)
        return cal

    def unused_damaged(self) -> None:
        """Report each calendar that could not be read and that nothing used."""
        for key, cal in self.calendars.items():
            if cal.error is not None and key not in self.converted:
                problem = "; ".join(cal.error.problems)
                self.warnings.append(
                    f"{problem} (no activity uses this calendar, so it is left out and the "
                    "import goes on)"
                )

    def status_date(self, when: dt.datetime | None) -> dt.date | None:
        """P6's data date as riskcast's status date: its date, or the next day when no work
        of the project calendar remains on that date after its time (a data date of 17:00 or
        22:00 forecasts from the next day)."""
        if when is None:
            return None
        minutes = when.hour * 60 + when.minute + when.second / 60.0
        day = when.date()
        if minutes > 0 and not any(hi > minutes for _, hi in self.calendar.periods_on(day)):
            return day + dt.timedelta(days=1)
        return day

    # -- activities -------------------------------------------------------------------------
    def activity_type(self, item: RawTask, milestone: bool, stretched: str | None) -> None:
        """A milestone has no duration; a ``stretched`` activity (level of effort, WBS summary)
        keeps its planned duration ``item.days``, reported because P6 stretches it."""
        item.milestone = milestone
        if milestone:
            item.days = 0.0
        elif stretched:
            self.warnings.append(
                f"{item.label}: {stretched} activity; P6 stretches it over its "
                f"links, riskcast imports its planned duration {item.days:g} "
                "working days as fixed"
            )

    def constraint(self, item: RawTask, kind: str, date: dt.date | None, shown: str = "") -> None:
        """Apply a P6 constraint ``kind`` (lower case, as in CONSTRAINT_FIELDS) dated ``date``
        to ``item``; a primary and a secondary one combine (the later of two "on or after"
        dates, the earlier of two "on or before" ones). ``shown``: the file's own name of an
        unknown kind, for the warning."""
        if kind in NO_CONSTRAINT:
            return
        if kind == "as late as possible":
            item.alap = True
            return
        fields = CONSTRAINT_FIELDS.get(kind)
        if fields is None:
            self.warnings.append(
                constraint_warning(
                    item.label,
                    shown or kind,
                    date,
                    "the start / finish on or before / after, start / finish on, mandatory "
                    "start / finish and as late as possible constraints",
                )
            )
            return
        if date is None:
            self.warnings.append(
                f'{item.label}: constraint "{kind}" has no date; it is not applied'
            )
            return
        for name in fields:
            old = getattr(item, name)
            pick = min if name in LATEST else max
            setattr(item, name, date if old is None else pick(old, date))
        if item.milestone and item.target is None:  # a milestone's due date
            item.target = item.finish_not_after or item.not_after

    def progress(
        self,
        item: RawTask,
        status: str,
        actual_start: dt.date | None,
        actual_finish: dt.date | None,
        remaining_hours: float | None,
        hours_per_day: float,
        where: str,
    ) -> None:
        """Set ``item``'s progress by its P6 status ("complete", "active", "not started";
        empty: judged from the actual dates): a finished activity keeps both actual dates, a
        started one its actual start and remaining duration (working days of its calendar),
        an unstarted one none. Actual dates the status contradicts are reported and dropped."""
        if not status:
            status = "complete" if actual_finish else "active" if actual_start else "not started"
        dropped = []
        if status == "not started":
            dropped = [n for n, d in (("start", actual_start), ("finish", actual_finish)) if d]
            actual_start = actual_finish = None
        elif status == "active" and actual_finish is not None:
            dropped, actual_finish = ["finish"], None
        if dropped:
            self.warnings.append(
                f"{item.label}: status {where} is {status!r} but the file has an actual "
                f"{' and '.join(dropped)} date; the status is followed and the date dropped"
            )
        if status == "complete":
            item.percent_complete = 100.0
            if actual_start is None and actual_finish is not None:
                self.warnings.append(
                    f"{item.label}: completed without an actual start date; its actual finish "
                    f"{actual_finish} is used as its actual start too"
                )
                actual_start = actual_finish
        item.actual_start, item.actual_finish = actual_start, actual_finish
        if status == "active" and remaining_hours is not None:
            item.remaining = max(0.0, remaining_hours) / hours_per_day
        if item.milestone:
            item.remaining = None

    def add_expense(
        self, item: RawTask, planned: float, actual: float | None, remaining: float | None
    ) -> None:
        """Add one of P6's expenses (amounts in the project currency) to ``item``'s fixed cost,
        at completion as P6 reckons it: actual plus remaining cost once the activity has
        started (when the file gives them), the planned (budgeted) cost before."""
        if item.actual_start is not None and (actual is not None or remaining is not None):
            item.fixed_cost += (actual or 0.0) + (remaining or 0.0)
        else:
            item.fixed_cost += planned

    # -- relationships ----------------------------------------------------------------------
    def lag_link(
        self,
        pred: str,
        kind: str,
        hours: float,
        setting: str,
        pred_cal: str | None,
        succ_cal: str | None,
    ) -> RawLink:
        """The link from ``pred`` with its lag of ``hours`` in working days of the calendar
        the project's lag ``setting`` ("predecessor", "successor", "project" or "24hour")
        names, that calendar on the link (None when it is the successor's own)."""
        if hours == 0:
            return RawLink(pred, kind, 0.0)
        if setting == "24hour":
            self.named[ELAPSED_NAME] = cal = Calendar.elapsed()
            return RawLink(pred, kind, hours / cal.hours_per_day, ELAPSED_NAME)
        succ_name = self.calendar_of(succ_cal)[0]
        named = {"predecessor": pred_cal, "project": self.project_cal.id}.get(setting, succ_cal)
        if named == self.project_cal.id or not named or named not in self.calendars:
            name, cal = self.names_project(), self.calendar
        else:
            name, cal = self.calendar_of(named)
        if name == (succ_name or self.names_project()):
            return RawLink(pred, kind, hours / cal.hours_per_day)
        if name is not None:
            self.named[name] = cal
        return RawLink(pred, kind, hours / cal.hours_per_day, name)

    def names_project(self) -> str:
        if not self.names:
            self.names = unique_names(self.calendars)
        return self.names[self.project_cal.id]
