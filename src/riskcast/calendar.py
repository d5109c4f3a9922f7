"""Working days <-> calendar dates.

Inside riskcast time is float64 working days from the project start (t = 0 is the start of the first
working day). Working day k (0-based) covers [k, k + 1). The rounding rule, used everywhere:

* a *start* at t falls on working day ``floor(t)``;
* a *finish* at t > 0 falls on working day ``ceil(t) - 1`` (a task finishing at 7.3 or at 8.0 is
  delivered on working day 7, the eighth one); a finish at t = 0 falls on day 0;
* "finished by date D" means t <= the number of working days from the start up to and including D
  (so nothing is finished by a date before the first working day).

Each boundary allows :data:`riskcast.units.TIME_TOLERANCE` of round-off: a finish at
8.000000000000002 is delivered on working day 7, like one at 8.0, and a start at
2.9999999999999996 falls on working day 3.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .errors import ModelError
from .units import TIME_TOLERANCE

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


Periods = tuple[tuple[float, float], ...]  # working times of one day: (from, to) in minutes


def _minutes(value: Any, place: str, problems: list[str]) -> float:
    """Minutes after midnight of "HH:MM" (or a number of minutes); 24:00 is the day's end."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        minutes = float(value)
    elif isinstance(value, str) and ":" in value:
        hh, _, mm = value.strip().partition(":")
        try:
            minutes = int(hh) * 60.0 + float(mm)
        except ValueError:
            minutes = math.nan
    else:
        minutes = math.nan
    if not (math.isfinite(minutes) and 0 <= minutes <= 1440):
        problems.append(f'{place}: "{value}" is not a time of day from 00:00 to 24:00')
        return math.nan
    return minutes


def periods(value: Any, place: str, problems: list[str]) -> Periods:
    """Working times from ``["08:00-12:00", "13:00-17:00"]`` or ``[("08:00", "12:00"), ...]``
    (or minute pairs): sorted, each non-empty and none overlapping. Problems go to ``problems``."""
    if isinstance(value, str):
        value = [value]
    out: list[tuple[float, float]] = []
    for k, item in enumerate(value or ()):
        where = f"{place}[{k}]"
        if isinstance(item, str):
            item = item.split("-")
        if not isinstance(item, list | tuple) or len(item) != 2:
            problems.append(f'{where}: expected a working time like "08:00-12:00", got {item!r}')
            continue
        lo, hi = (_minutes(x, where, problems) for x in item)
        if math.isnan(lo) or math.isnan(hi):
            continue
        if hi <= lo:
            problems.append(f"{where}: a working time must end after it starts, got {item!r}")
            continue
        out.append((lo, hi))
    out.sort()
    for (a0, a1), (b0, b1) in itertools.pairwise(out):
        if b0 < a1:
            problems.append(f"{place}: working times overlap ({_hhmm(a0, a1)} and {_hhmm(b0, b1)})")
    return tuple(out)


def _hhmm(lo: float, hi: float) -> str:
    return f"{int(lo // 60):02d}:{int(lo % 60):02d}-{int(hi // 60):02d}:{int(hi % 60):02d}"


def default_periods(hours_per_day: float) -> Periods:
    """The working times a calendar gets when it gives none: 08:00-12:00 and 13:00 onwards for
    a day of up to 15 hours (8 hours: 08:00-12:00, 13:00-17:00, MS Project's standard day), the
    whole day for 24 hours, otherwise one block ending at midnight."""
    minutes = hours_per_day * 60.0
    if minutes >= 1440:
        return ((0.0, 1440.0),)
    if minutes <= 240:
        return ((480.0, 480.0 + minutes),)
    if minutes <= 900:
        return ((480.0, 720.0), (780.0, 780.0 + minutes - 240.0))
    return ((1440.0 - minutes, 1440.0),)


@dataclass(frozen=True)
class Calendar:
    """When work happens: working weekdays, their working times, holidays and exceptions.

    Durations and lags on a calendar are working time on it: a duration of one day is
    ``hours_per_day`` hours of work (MS Project's "hours per day"; by default the length of
    the working times). A calendar that gives no working times works ``default_periods``.

    Parameters
    ----------
    workdays : tuple of str
        Working weekdays ("mon" .. "sun").
    holidays : tuple of datetime.date
        Dates without work.
    hours_per_day : float, optional
        Hours of work in a duration day; default: the hours of ``hours`` (8 when neither is given).
    hours : working times, optional
        Working times of each working weekday, e.g. ``("08:00-12:00", "13:00-17:00")``.
    weekday_hours : mapping, optional
        Working times of particular weekdays (e.g. a short Friday), overriding ``hours``.
    exceptions : mapping of date to working times, optional
        Dates that work other times than their weekday (an empty tuple: no work, like a
        holiday; a Saturday given times: worked that day).
    name : str, optional
        The calendar's name (as in the schedule it came from).
    """

    workdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: tuple[dt.date, ...] = field(default=())
    hours_per_day: float | None = None
    hours: Periods = ()
    weekday_hours: Mapping[str, Periods] = field(default_factory=dict)
    exceptions: Mapping[dt.date, Periods] = field(default_factory=dict)
    name: str = ""

    def __post_init__(self) -> None:
        problems: list[str] = []
        set_ = object.__setattr__
        set_(self, "workdays", tuple(str(d).lower()[:3] for d in self.workdays))
        set_(self, "holidays", tuple(sorted(set(self.holidays))))
        problems += [
            f'unknown weekday "{d}" (allowed: {", ".join(WEEKDAYS)})'
            for d in self.workdays
            if d not in WEEKDAYS
        ]
        if not problems and not self.workdays:
            problems.append("a calendar needs at least one working weekday")
        set_(self, "hours", periods(self.hours, "hours", problems))
        weekday_hours = {}
        for day, times in dict(self.weekday_hours).items():
            key = str(day).lower()[:3]
            if key not in self.workdays:
                problems.append(
                    f'weekday_hours: "{day}" is not one of the working weekdays '
                    f"({', '.join(self.workdays)})"
                )
            weekday_hours[key] = periods(times, f"weekday_hours.{day}", problems)
        set_(self, "weekday_hours", weekday_hours)
        exceptions = {}
        for date, times in dict(self.exceptions).items():
            if not isinstance(date, dt.date):
                problems.append(f"exceptions: {date!r} is not a date")
                continue
            exceptions[date] = periods(times, f"exceptions.{date.isoformat()}", problems)
        set_(self, "exceptions", dict(sorted(exceptions.items())))
        hpd = self.hours_per_day
        if hpd is None:
            hpd = sum(b - a for a, b in self.hours) / 60.0 if self.hours else 8.0
        if isinstance(hpd, bool) or not isinstance(hpd, int | float):
            problems.append(f"hours_per_day must be a number of hours, got {hpd!r}")
        elif not (math.isfinite(hpd) and 0 < hpd <= 24):
            problems.append(f"hours_per_day must be > 0 and <= 24, got {hpd}")
        else:
            set_(self, "hours_per_day", float(hpd))
        if problems:
            raise ModelError(problems)
        if not self.hours:
            set_(self, "hours", default_periods(self.hours_per_day))

    @classmethod
    def elapsed(cls) -> Calendar:
        """The 24-hour, 7-day calendar: elapsed time (one day = 24 hours)."""
        return cls(WEEKDAYS, (), 24.0, ((0.0, 1440.0),), name="24 hours")

    def periods_of_weekday(self, weekday: int) -> Periods:
        """Working times of a weekday (0 = Monday) that is not an exception or holiday."""
        name = WEEKDAYS[weekday]
        if name not in self.workdays:
            return ()
        return self.weekday_hours.get(name, self.hours)

    def periods_on(self, date: dt.date) -> Periods:
        """Working times on ``date`` (exceptions and holidays included)."""
        if date in self.exceptions:
            return self.exceptions[date]
        if self.holidays and date in self._holiday_set:
            return ()
        return self.periods_of_weekday(date.weekday())

    @cached_property
    def _holiday_set(self) -> frozenset[dt.date]:
        return frozenset(self.holidays)

    @cached_property
    def counts_whole_days(self) -> bool:
        """True when working days are all the same: every one holds exactly ``hours_per_day``
        hours and no exception makes a non-working weekday work. Time on such a calendar can be
        counted in its working days (what :meth:`finish_dates` and friends do)."""
        minutes = self.hours_per_day * 60.0
        days = [self.periods_of_weekday(w) for w in range(7)]
        days += [p for p in self.exceptions.values() if p]
        if any(abs(sum(b - a for a, b in p) - minutes) > 1e-6 for p in days if p):
            return False
        return all(
            date.weekday() in self._weekday_numbers for date, p in self.exceptions.items() if p
        )

    @cached_property
    def _weekday_numbers(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(d) for d in self.workdays)

    @cached_property
    def days_off(self) -> tuple[dt.date, ...]:
        """Holidays and non-working exceptions on working weekdays, sorted."""
        off = set(self.holidays) | {d for d, p in self.exceptions.items() if not p}
        return tuple(sorted(off))

    @cached_property
    def busdaycalendar(self) -> np.busdaycalendar:
        mask = [day in self.workdays for day in WEEKDAYS]
        return np.busdaycalendar(weekmask=mask, holidays=np.array(self.days_off, "datetime64[D]"))

    def first_working_day(self, date: dt.date) -> dt.date:
        """``date`` if it is a working day, else the next working day."""
        d = np.busday_offset(
            np.datetime64(date, "D"), 0, roll="forward", busdaycal=self.busdaycalendar
        )
        return d.astype(dt.date)

    def add_working_days(self, start: dt.date, days: np.ndarray | int) -> np.ndarray:
        """Date of working day index ``days`` (0 = the start's working day). datetime64[D] array."""
        return np.busday_offset(
            np.datetime64(start, "D"), days, roll="forward", busdaycal=self.busdaycalendar
        )

    def finish_dates(self, start: dt.date, t: np.ndarray) -> np.ndarray:
        """Delivery dates (datetime64[D]) of finishes at ``t`` working days, by the rounding rule."""
        index = np.maximum(np.ceil(np.asarray(t, float) - TIME_TOLERANCE) - 1, 0).astype(np.int64)
        return self.add_working_days(start, index)

    def start_dates(self, start: dt.date, t: np.ndarray) -> np.ndarray:
        index = np.floor(np.asarray(t, float) + TIME_TOLERANCE).astype(np.int64)
        return self.add_working_days(start, index)

    def days_until_end_of(self, start: dt.date, date: dt.date | np.ndarray) -> np.ndarray | int:
        """Working days from the start through the end of ``date`` (the 'finished by' bound)."""
        end = np.asarray(date, "datetime64[D]") + np.timedelta64(1, "D")
        return np.busday_count(np.datetime64(start, "D"), end, busdaycal=self.busdaycalendar)

    def days_until_start_of(self, start: dt.date, date: dt.date) -> int:
        """Working days from the start to the beginning of ``date`` (a not-before bound)."""
        return int(
            np.busday_count(
                np.datetime64(start, "D"), np.datetime64(date, "D"), busdaycal=self.busdaycalendar
            )
        )
