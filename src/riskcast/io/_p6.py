"""What the two Primavera P6 readers (:mod:`.xer` and :mod:`.pmxml`) share.

Both formats hold the same P6 data: calendars with hours per day, hourly resource rates that
change over time, primary and secondary constraints, activity types and the project's "calendar
for relationship lag" option. Durations and lags arrive in hours; this module turns them into
working days of the calendar P6 would use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..calendar import WEEKDAYS, Calendar
from ..errors import ModelError
from .schedules import RawTask, ScheduleReader, approximate_elapsed, constraint_warning

T = TypeVar("T")


@dataclass
class CalendarData:
    """A P6 calendar: which weekdays work, dated exceptions (True = working), hours per day."""

    id: str = ""
    name: str = ""
    default: bool = False
    base: str = ""
    week: dict[str, bool] = field(default_factory=dict)
    exceptions: dict[dt.date, bool] = field(default_factory=dict)
    hours_per_day: float = 8.0

    def to_calendar(self, warnings: list[str]) -> Calendar:
        """The riskcast Calendar: working weekdays, non-working exceptions on them as holidays.

        A working exception on a non-working weekday cannot be expressed (riskcast calendars
        only remove days), so it is reported."""
        week = self.week or {d: d in WEEKDAYS[:5] for d in WEEKDAYS}
        workdays = tuple(d for d in WEEKDAYS if week.get(d))
        if not workdays:
            raise ModelError(f'calendar "{self.name}" has no working weekday')
        holidays = []
        for day, working in sorted(self.exceptions.items()):
            weekday = WEEKDAYS[day.weekday()]
            if not working and weekday in workdays:
                holidays.append(day)
            elif working and weekday not in workdays:
                warnings.append(
                    f'calendar "{self.name}": {day} is a working exception on a '
                    "non-working weekday; riskcast calendars cannot add working "
                    "days, so it is not imported"
                )
        return Calendar(workdays, tuple(holidays), self.hours_per_day)


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
    ``hint`` what to pass as ``project=`` when the file holds several.
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
            f"the file holds {len(projects)} projects ({listing}); pick one with project='{hint}'",
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


class P6Reader(ScheduleReader):
    """The P6 readers' shared steps; they fill ``calendars`` (by id) before calling them."""

    calendars: dict[str, CalendarData]
    project_cal: CalendarData
    calendar: Calendar

    def __init__(self, path: Path, project: str | None, three_point: Sequence[str | None] | None):
        super().__init__(path, three_point)
        self.want = project

    def use_project_calendar(self, cal_id: str, no_calendars: str) -> None:
        """Make ``cal_id`` the project calendar; an unknown id falls back (with a warning) to
        the default calendar, else the first one. ``no_calendars``: the error when none exist."""
        if cal_id not in self.calendars:
            defaults = [c for c in self.calendars.values() if c.default]
            if not self.calendars:
                raise ModelError(no_calendars, self.source)
            chosen = defaults[0] if defaults else next(iter(self.calendars.values()))
            self.warnings.append(
                f'project calendar {cal_id!r} not in the file; using calendar "{chosen.name}"'
            )
            cal_id = chosen.id
        self.project_cal = self.calendars[cal_id]
        self.calendar = self.project_cal.to_calendar(self.warnings)

    def hours_per_day(self, clndr_id: str) -> float:
        """Working hours per day of calendar ``clndr_id``, the project calendar's if unknown."""
        cal = self.calendars.get(clndr_id)
        return cal.hours_per_day if cal else self.project_cal.hours_per_day

    def own_calendar(self, item: RawTask, clndr_id: str, name: str) -> None:
        """Report an activity on a calendar other than the project's (riskcast has one)."""
        if clndr_id and clndr_id != self.project_cal.id:
            self.warnings.append(
                f'{item.label}: uses calendar "{name}"; riskcast schedules '
                "every task on the project calendar (its duration is "
                "converted with its own hours per day)"
            )

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

    def constraint(
        self, item: RawTask, start_on_or_after: bool, what: str, date: dt.date | None
    ) -> None:
        """Apply a dated "start on or after" as ``not_before`` (the later of primary and
        secondary); report any other constraint ``what`` (empty: none set)."""
        if start_on_or_after and date is not None:
            item.not_before = max(filter(None, (item.not_before, date)))
        elif what:
            self.warnings.append(
                constraint_warning(
                    item.label, what, date, "start on or after / start no earlier than"
                )
            )

    def lag_hours_per_day(self, setting: str, pred_cal: str | None, succ_cal: str | None) -> float:
        """Hours per working day of the calendar the lag setting names (project calendar when
        it names none or one not in the file)."""
        named = {"predecessor": pred_cal, "successor": succ_cal}.get(setting)
        return self.hours_per_day(named or self.project_cal.id)

    def lag_days(
        self,
        hours: float,
        setting: str,
        pred_cal: str | None,
        succ_cal: str | None,
        item: RawTask,
        kind: str,
    ) -> float:
        """Lag ``hours`` in working days of the calendar the project's lag ``setting``
        ("predecessor", "successor", "project" or "24hour") names."""
        if hours == 0:
            return 0.0
        if setting == "24hour":
            return approximate_elapsed(
                hours / 24.0,
                self.calendar,
                f"{item.label}: {kind} lag of {hours:g} h on the 24-hour lag calendar",
                self.warnings,
            )
        return hours / self.lag_hours_per_day(setting, pred_cal, succ_cal)
