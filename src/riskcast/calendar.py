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
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .errors import ModelError
from .units import TIME_TOLERANCE

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Calendar:
    """Working weekdays and holidays. Durations and lags count only working days."""

    workdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: tuple[dt.date, ...] = field(default=())
    hours_per_day: float = 8.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "workdays", tuple(str(d).lower()[:3] for d in self.workdays))
        object.__setattr__(self, "holidays", tuple(sorted(set(self.holidays))))
        problems = [
            f'unknown weekday "{d}" (allowed: {", ".join(WEEKDAYS)})'
            for d in self.workdays
            if d not in WEEKDAYS
        ]
        if not problems and not self.workdays:
            problems.append("a calendar needs at least one working weekday")
        if not (math.isfinite(self.hours_per_day) and self.hours_per_day > 0):
            problems.append(f"hours_per_day must be > 0, got {self.hours_per_day}")
        if problems:
            raise ModelError(problems)

    @cached_property
    def busdaycalendar(self) -> np.busdaycalendar:
        mask = [day in self.workdays for day in WEEKDAYS]
        return np.busdaycalendar(weekmask=mask, holidays=np.array(self.holidays, "datetime64[D]"))

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
