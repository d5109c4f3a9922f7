"""Read Microsoft Project MSPDI XML (File > Save As > XML) into a riskcast Project.

Units in the file (Microsoft's MSPDI schema):

* ``Duration`` is ISO 8601 (``PT16H0M0S``) in *working* hours, except for elapsed formats, where
  it is elapsed (24 h) time. A working day is ``MinutesPerDay`` minutes (header, default 480).
* ``LinkLag`` is in tenths of a minute; ``LagFormat`` says how the user typed it: 3 m, 4 em,
  5 h, 6 eh, 7 d, 8 ed, 9 w, 10 ew, 11 mo, 12 emo, 19 %, 20 e%; 35-44 and 51-52 are the
  estimated "?" forms of 3-12 and 19-20 (35 = m?, 39 = d?, ...); 53 is "no format".
  Working formats are working minutes; elapsed ones are 24 h minutes. The % formats hold
  the plain percent of the predecessor's duration (``<LinkLag>25</LinkLag>`` is 25 %), as MS
  Project and MPXJ write and read it.
* ``PredecessorLink/Type``: 0 FF, 1 FS, 2 SF, 3 SS.
* ``StandardRate`` is per hour whatever ``StandardRateFormat`` displays. Costs (``Cost``,
  ``FixedCost``, ``CostPerUse``) are in hundredths of the currency unit: MS Project 2010 saved
  MPXJ's sample1.xml with 40 h of a resource at 10 per hour and 3000 cost per use as
  ``<Cost>43000</Cost>`` (400 + 30.00); MPXJ's reader and writer scale all three by 100
  (``DatatypeConverter.parseCurrency``), as Project Server's cost multiplier does
  (``ValidationConst.s_cost_multiplier``). No file at hand shows a non-zero ``FixedCost``, so
  one is imported only where its task's ``Cost`` (fixed cost + assignments' ``Cost``, in the
  verified unit) confirms it. ``Resource/Type``: 0 material, 1 work, 2 cost.
* ``ConstraintType``: 0 as soon as possible, 1 as late as possible, 2 must start on, 3 must
  finish on, 4 start no earlier than, 5 start no later than, 6 finish no earlier than,
  7 finish no later than.
* Calendars: ``WeekDay`` ``DayType`` 1 = Sunday ... 7 = Saturday with ``WorkingTimes``; DayType
  0 is a dated exception (the pre-2007 layout). ``Exception/Type``: 1 daily, 2 yearly on a day
  of a month, 3 yearly on a position (e.g. the first Tuesday of March), 4 monthly on a day,
  5 monthly on a position, 6 weekly, 7 every ``Period`` days. ``Month`` 0 = January;
  ``MonthItem`` 0 day, 1 weekday, 2 weekend day, 3 Sunday ... 9 Saturday; ``MonthPosition``
  0-3 first to fourth, 4 last; ``DaysOfWeek`` bits 1 Sunday, 2 Monday, ... 64 Saturday. Weeks
  of a weekly pattern start on Sunday.
* ``StatusDate`` is an instant (usually the end of the day's work): riskcast's status date is
  the day from which work remains, the next day unless the instant is at or before the day's
  first working time.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..calendar import WEEKDAYS, Calendar
from ..errors import ModelError
from ..model import Assignment, Resource
from . import limits
from .limits import show
from .schedules import (
    MSPDI_NAMESPACE,
    ImportResult,
    RawLink,
    RawTask,
    ScheduleReader,
    local_name,
    naming,
    parse_iso_date,
    parse_number,
    parse_xml,
    three_point_roles,
)

NS = {"p": MSPDI_NAMESPACE}
LINK_TYPES = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
ELAPSED_FORMATS = {4, 6, 8, 10, 12, 20}
PERCENT_FORMATS = {19, 20}
CONSTRAINTS = {
    "0": "as soon as possible",
    "1": "as late as possible",
    "2": "must start on",
    "3": "must finish on",
    "4": "start no earlier than",
    "5": "start no later than",
    "6": "finish no earlier than",
    "7": "finish no later than",
}
ELAPSED = Calendar.elapsed()
STANDARD_TIMES = ((480.0, 720.0), (780.0, 1020.0))  # MS Project's default working times
RECURRING = {"1", "2", "3", "4", "5", "6", "7"}
# MSPDI DayType: 1 = Sunday ... 7 = Saturday.
DAY_TYPES = {"1": "sun", "2": "mon", "3": "tue", "4": "wed", "5": "thu", "6": "fri", "7": "sat"}
_ISO_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>[\d.]+)Y)?(?:(?P<mo>[\d.]+)M)?(?:(?P<w>[\d.]+)W)?(?:(?P<d>[\d.]+)D)?"
    r"(?:T(?:(?P<h>[\d.]+)H)?(?:(?P<mi>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?)?$"
)
MAX_EXCEPTION_DAYS = 20000  # a calendar exception longer than ~55 years is a data error
MAX_CALENDAR_DAYS = 200_000  # all exceptions of the project calendar together (~550 years)
WORK, COST = "1", "2"  # Resource/Type of a work and a cost resource
DAMAGED = (
    "MS Project always writes it, so the file is damaged or was not written by MS Project; "
    "save it again from MS Project (File > Save As > XML)"
)


def base_format(code: int) -> int:
    """The plain unit of an MSPDI duration/lag format code (the "?" estimated forms mapped back)."""
    if 35 <= code <= 44 or code in (51, 52):
        return code - 32
    return code


def iso_hours(text: str) -> float:
    """Hours in an ISO 8601 duration such as ``PT16H30M0S`` (days count 24 h)."""
    m = _ISO_DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items() if k != "sign"}
    hours = (g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"]) * 24 + g["h"] + g["mi"] / 60
    hours += g["s"] / 3600
    if not limits.finite(hours):
        raise ValueError(f"not a finite duration: {text!r}")
    return -hours if m.group("sign") else hours


def _where(el: Any) -> str:
    """``task "12"`` or ``Resource UID "3"``: an element and its UID for messages."""
    uid = el.find("p:UID", NS)
    what = local_name(el.tag)
    if uid is not None and uid.text and uid.text.strip():
        if what == "Task":
            return f"task {limits.quote(uid.text.strip())}"
        return f"{what} UID {limits.quote(uid.text.strip())}"
    return what


class _Reader(ScheduleReader):
    format = "mspdi"

    # -- small XML helpers ------------------------------------------------------------------
    @staticmethod
    def text(el: Any, name: str, default: str = "") -> str:
        """The text of ``el``'s child ``name`` (``default`` when absent or empty); text over
        :data:`~riskcast.io.limits.MAX_TEXT` characters is an error naming the element."""
        child = el.find(f"p:{name}", NS)
        if child is None or not child.text:
            return default
        if len(child.text) > limits.MAX_TEXT and len(child.text.strip()) > limits.MAX_TEXT:
            raise ModelError(f"{_where(el)} > {name}: {limits.too_long(child.text.strip())}")
        return child.text.strip()

    def number(self, el: Any, name: str, default: float, place: str) -> float:
        return parse_number(self.text(el, name), f"{place} > {name}", self.source, default)

    def date(self, el: Any, name: str, place: str) -> dt.date | None:
        value = self.text(el, name)
        if value.startswith("NA"):  # MS Project writes "NA" for "no date"
            return None
        return parse_iso_date(value, f"{place} > {name}", self.source)

    # -- reading ----------------------------------------------------------------------------
    def read(self) -> ImportResult:
        root = parse_xml(self.path, self.source)
        if local_name(root.tag) != "Project" or not root.tag.startswith("{" + MSPDI_NAMESPACE):
            raise ModelError(
                f"not an MSPDI file: the root element is <{local_name(root.tag)}>, "
                f'expected <Project xmlns="{MSPDI_NAMESPACE}">',
                self.source,
            )
        self.minutes_per_day = self.number(root, "MinutesPerDay", 480.0, "project")
        if not 0 < self.minutes_per_day <= 1440:
            raise ModelError(
                f"project > MinutesPerDay must be > 0 and at most 1440 (24 hours), got "
                f"{self.minutes_per_day:g}",
                self.source,
            )
        self.day_start = self.clock(self.text(root, "DefaultStartTime"), 480.0)
        self.calendar_uid = self.text(root, "CalendarUID", "1")
        self.cal_elements = {
            self.text(c, "UID"): c for c in root.findall("p:Calendars/p:Calendar", NS)
        }
        self.cal_names = self.calendar_names()
        self.calendars: dict[str, Calendar] = {}  # name -> Calendar, those the plan uses
        self.calendar = self.read_calendar(root)
        start = self.date(root, "StartDate", "project")
        if start is None:
            raise ModelError(
                "project > StartDate is missing; MS Project always writes it", self.source
            )
        status = self.status_date(root)
        self.fields = self.read_field_definitions(root)
        raw = self.read_tasks(root)
        resources, calendars = self.read_resources(root)
        self.read_assignments(root, raw, resources, calendars)
        self.warn_splits(raw, resources, calendars)
        self.read_costs(raw, resources)
        code = self.text(root, "CurrencyCode")
        self.currency = code if len(code) <= 12 else ""  # ISO 4217 codes are 3 letters
        name = self.text(root, "Title") or self.text(root, "Name") or self.path.stem
        return self.result(name, start, self.calendar, raw, resources, status, self.calendars)

    def status_date(self, root: Any) -> dt.date | None:
        """The day from which remaining work is forecast: MS Project's StatusDate is an instant,
        usually the end of that day's work (17:00), so the work of that day is done and the
        forecast starts the next day; an instant at or before the day's first working time
        (DefaultStartTime) leaves that day's work to do. None when the file has none."""
        value = self.text(root, "StatusDate")
        if not value or value.startswith("NA"):
            return None
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ModelError(
                f"project > StatusDate: expected a date-time like 2027-01-04T17:00:00, got "
                f"{show(value)}",
                self.source,
            ) from None
        minutes = stamp.hour * 60 + stamp.minute + stamp.second / 60
        if minutes <= self.day_start:
            return stamp.date()
        return stamp.date() + dt.timedelta(days=1)

    # -- calendars ---------------------------------------------------------------------------
    def calendar_names(self) -> dict[str, str]:
        """UID -> a name unique in the plan (the file's, or "calendar UID n"; a repeated name
        and the name of riskcast's 24-hour calendar get the UID added)."""
        names: dict[str, str] = {}
        taken = {ELAPSED.name}
        for uid, cal in self.cal_elements.items():
            name = self.text(cal, "Name") or f"calendar UID {uid}"
            if name in taken:
                name = f"{name} (UID {uid})"
            taken.add(name)
            names[uid] = name
        return names

    def clock(self, value: str, default: float) -> float:
        """Minutes after midnight of ``HH:MM:SS`` (or an ISO date-time); ``default`` if empty."""
        if not value:
            return default
        text = value.split("T")[-1]
        try:
            parts = [float(x) for x in text.split(":")]
            hh, mm, ss = [*parts, 0.0, 0.0][:3]
        except ValueError:
            raise ModelError(
                f"a working time {show(value)} is not a time of day like 08:00:00", self.source
            ) from None
        minutes = hh * 60 + mm + ss / 60
        if not 0 <= minutes <= 1440:
            raise ModelError(
                f"a working time {show(value)} is not a time of day like 08:00:00", self.source
            )
        return minutes

    def working_times(self, el: Any, place: str) -> tuple[tuple[float, float], ...]:
        """The ``WorkingTimes`` of a weekday or exception as minute pairs; a ToTime of 00:00
        ends at midnight."""
        times = el.find("p:WorkingTimes", NS)
        if times is None:
            return ()
        pairs = [
            (self.text(w, "FromTime"), self.text(w, "ToTime"))
            for w in times.findall("p:WorkingTime", NS)
        ]
        if not pairs:  # the flat layout: FromTime, ToTime, FromTime, ...
            froms = [c.text or "" for c in times.findall("p:FromTime", NS)]
            tos = [c.text or "" for c in times.findall("p:ToTime", NS)]
            pairs = list(zip(froms, tos, strict=False))
        out = []
        for lo, hi in pairs:
            if not lo or not hi:
                continue
            a = self.clock(lo.strip(), 0.0)
            b = self.clock(hi.strip(), 0.0)
            if b == 0.0:
                b = 1440.0
            if b <= a:
                raise ModelError(
                    f"{place}: working time {lo.strip()}-{hi.strip()} ends before it starts",
                    self.source,
                )
            out.append((a, b))
        return tuple(sorted(out))

    def read_calendar(self, root: Any) -> Calendar:
        """The project calendar (header CalendarUID), also named in the plan's calendars."""
        if self.calendar_uid not in self.cal_elements:
            self.warnings.append(
                f"project calendar UID {self.calendar_uid} not found; using "
                "Monday-Friday 08:00-12:00, 13:00-17:00 without holidays"
            )
            return Calendar(
                WEEKDAYS[:5], (), self.minutes_per_day / 60.0, STANDARD_TIMES, name="Standard"
            )
        return self.calendar_of(self.calendar_uid)

    def calendar_of(self, uid: str) -> Calendar:
        """The Calendar of calendar ``uid`` (built once; base calendars applied first)."""
        name = self.cal_names[uid]
        if name in self.calendars:
            return self.calendars[name]
        chain = []
        visited: set[str] = set()
        key = uid
        while key in self.cal_elements and key not in visited:
            visited.add(key)
            chain.append(self.cal_elements[key])
            key = self.text(self.cal_elements[key], "BaseCalendarUID")
        place = f"calendar {limits.quote(name)} (UID {uid})"
        week: dict[str, tuple[tuple[float, float], ...]] = {}  # weekday -> times, () = off
        days: dict[dt.date, tuple[tuple[float, float], ...]] = {}
        weeks: dict[dt.date, tuple[tuple[float, float], ...]] = {}  # alternate work weeks
        for cal in reversed(chain):  # base first, so a derived calendar overrides it
            where = f"calendar {limits.quote(self.text(cal, 'Name'))}"
            olds = []
            for day in cal.findall("p:WeekDays/p:WeekDay", NS):
                kind = self.text(day, "DayType")
                if kind in DAY_TYPES:
                    if self.text(day, "DayWorking") == "1":
                        times = self.working_times(day, f"{where} > {DAY_TYPES[kind]}")
                        week[DAY_TYPES[kind]] = times or STANDARD_TIMES
                    elif self.text(day, "DayWorking") == "0":
                        week[DAY_TYPES[kind]] = ()
                elif kind == "0":  # a dated exception in the pre-2007 layout
                    olds.append(day)
            exceptions = cal.findall("p:Exceptions/p:Exception", NS)
            # MS Project 2007+ writes both layouts; the Exceptions hold the recurrences.
            for exc in exceptions or olds:
                self.add_exception(exc, days, where)
            for ww in cal.findall("p:WorkWeeks/p:WorkWeek", NS):
                self.add_work_week(ww, weeks, where)

        def regular(date: dt.date) -> tuple[tuple[float, float], ...]:
            weekday = WEEKDAYS[date.weekday()]
            return week.get(weekday, STANDARD_TIMES if weekday in WEEKDAYS[:5] else ())

        # a work week's days that differ from the default week; an exception overrides them
        days = {**{d: t for d, t in weeks.items() if t != regular(d)}, **days}
        if not chain:
            week = {d: STANDARD_TIMES for d in WEEKDAYS[:5]}
        workdays = tuple(
            d for d in WEEKDAYS if week.get(d, STANDARD_TIMES if d in WEEKDAYS[:5] else ())
        )
        if not workdays:
            raise ModelError(f"{place} has no working weekday", self.source)
        if len(days) > MAX_CALENDAR_DAYS:
            raise ModelError(
                f"{place}: its exceptions cover {len(days):,} days, more than riskcast's limit "
                f"of {MAX_CALENDAR_DAYS:,} (about 550 years); the calendar is damaged. Remove "
                "the long exceptions in MS Project and save the file again",
                self.source,
            )
        holidays = []
        changed = {}
        for date, times in days.items():
            weekday = WEEKDAYS[date.weekday()]
            if not times and weekday in workdays:
                holidays.append(date)
            elif times:
                changed[date] = times
        times_of = {d: week.get(d) or STANDARD_TIMES for d in workdays}
        hours = times_of[workdays[0]]
        try:
            calendar = Calendar(
                workdays,
                tuple(holidays),
                self.minutes_per_day / 60.0,
                hours,
                {d: t for d, t in times_of.items() if t != hours},
                changed,
                name=name,
            )
        except ModelError as exc:
            raise ModelError([f"{place}: {p}" for p in exc.problems], self.source) from None
        self.calendars[name] = calendar
        return calendar

    def add_work_week(self, el: Any, days: dict, where: str) -> None:
        """Put the dates of an alternate work week (say, summer hours from June to August)
        into ``days``: each date whose weekday the work week defines gets its times; the
        others keep the default week."""
        name = self.text(el, "Name") or "(unnamed)"
        label = f"{where}: work week {limits.quote(name)}"
        first = self.date(el, "TimePeriod/p:FromDate", label)
        last = self.date(el, "TimePeriod/p:ToDate", label)
        if first is None or last is None:
            self.warnings.append(f"{label}: without a from and to date; ignored")
            return
        span = (last - first).days + 1
        if not 0 < span <= MAX_EXCEPTION_DAYS:
            self.warnings.append(f"{label}: {first} to {last} ignored (spans {span} days)")
            return
        defined = {}
        for day in el.findall("p:WeekDays/p:WeekDay", NS):
            weekday = DAY_TYPES.get(self.text(day, "DayType"))
            if weekday is None:
                continue
            working = self.text(day, "DayWorking") == "1"
            defined[weekday] = (
                (self.working_times(day, f"{label} > {weekday}") or STANDARD_TIMES)
                if working
                else ()
            )
        for k in range(span):
            date = first + dt.timedelta(days=k)
            weekday = WEEKDAYS[date.weekday()]
            if weekday in defined:
                days[date] = defined[weekday]

    def add_exception(self, el: Any, days: dict, where: str) -> None:
        """Put the dates of one exception (recurrences expanded) into ``days``: date -> its
        working times (() = no work)."""
        first = self.date(el, "TimePeriod/p:FromDate", f"{where} > exception")
        last = self.date(el, "TimePeriod/p:ToDate", f"{where} > exception")
        if first is None:
            return
        name = self.text(el, "Name") or f"{first}"
        label = f"{where}: exception {limits.quote(name)}"
        kind = self.text(el, "Type", "1")
        count = int(self.number(el, "Occurrences", 0, label))
        if last is None and count <= 1:
            last = first
        if kind not in RECURRING:
            self.warnings.append(
                f"{label}: recurrence type {show(kind)} is not one riskcast knows; imported as "
                f"the days from {first} to {last or first}"
            )
            kind, count = "1", 0
            last = last or first
        span = ((last - first).days + 1) if last is not None else None
        if span is not None and not 0 < span <= MAX_EXCEPTION_DAYS:
            self.warnings.append(f"{label}: {first} to {last} ignored (spans {span} days)")
            return
        if span is None and count > MAX_EXCEPTION_DAYS:
            self.warnings.append(f"{label}: {count} occurrences ignored (too many)")
            return
        working = self.text(el, "DayWorking") == "1"
        times = (self.working_times(el, label) or STANDARD_TIMES) if working else ()
        try:
            dates = self.occurrences(el, kind, first, last, count, label)
        except (OverflowError, ValueError):  # a recurrence running past the year 9999
            self.warnings.append(f"{label}: its recurrence runs past the year 9999; ignored")
            return
        for date in dates:
            days[date] = times

    def occurrences(
        self, el: Any, kind: str, first: dt.date, last: dt.date | None, count: int, label: str
    ) -> list[dt.date]:
        """The dates of a (recurring) exception from ``first`` to ``last`` (or ``count`` of
        them when there is no ``last``)."""
        period = max(1, int(self.number(el, "Period", 1, label)))
        limit = last or dt.date.max
        wanted = count if last is None else MAX_EXCEPTION_DAYS + 1

        def month_day(year: int, month: int, day: int) -> dt.date | None:
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None

        def positioned(year: int, month: int) -> dt.date | None:
            item = int(self.number(el, "MonthItem", 0, label))
            position = int(self.number(el, "MonthPosition", 0, label))
            day = dt.date(year, month, 1)
            candidates = []
            while day.month == month:
                w = (day.weekday() + 1) % 7  # 0 = Sunday
                if (
                    item == 0
                    or (item == 1 and w in (1, 2, 3, 4, 5))
                    or (item == 2 and w in (0, 6))
                    or (3 <= item <= 9 and w == item - 3)
                ):
                    candidates.append(day)
                day += dt.timedelta(days=1)
            if not candidates:
                return None
            if position >= 4:
                return candidates[-1]
            return candidates[position] if 0 <= position < len(candidates) else None

        out: list[dt.date] = []
        if kind in ("1", "7"):
            step = 1 if kind == "1" and not self.text(el, "Period") else period
            day = first
            while day <= limit and len(out) < wanted:
                out.append(day)
                day += dt.timedelta(days=step)
            return out
        if kind == "6":
            mask = int(self.number(el, "DaysOfWeek", 0, label))
            sunday = first - dt.timedelta(days=(first.weekday() + 1) % 7)
            while sunday <= limit and len(out) < wanted:
                for k in range(7):
                    day = sunday + dt.timedelta(days=k)
                    if mask & (1 << k) and first <= day <= limit and len(out) < wanted:
                        out.append(day)
                sunday += dt.timedelta(weeks=period)
            return out
        month_of_year = int(self.number(el, "Month", 0, label)) + 1
        monthly = kind in ("4", "5")
        step = period if monthly else 12
        year, month = first.year, first.month if monthly else month_of_year
        while len(out) < wanted:
            if dt.date(year, month, 1) > limit or year > 9998:
                break
            if monthly:
                day = (
                    month_day(year, month, int(self.number(el, "MonthDay", 1, label)))
                    if kind == "4"
                    else positioned(year, month)
                )
            elif kind == "2":
                day = month_day(year, month, int(self.number(el, "MonthDay", 1, label)))
            else:
                day = positioned(year, month)
            if day is not None and first <= day <= limit:
                out.append(day)
            month += step
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        return out

    # -- custom fields (three-point estimates) ---------------------------------------------
    def read_field_definitions(self, root: Any) -> dict[str, str]:
        """FieldID -> the name the user gave: alias when present, and field name."""
        names: dict[str, list[str]] = {}
        for ea in root.findall("p:ExtendedAttributes/p:ExtendedAttribute", NS):
            field_id = self.text(ea, "FieldID")
            names[field_id] = [
                n.lower() for n in (self.text(ea, "Alias"), self.text(ea, "FieldName")) if n
            ]
        return three_point_roles(
            self.three_point,
            names,
            self.source,
            what="an extended attribute",
            known=sorted({n for v in names.values() for n in v}),
            known_as="custom fields",
        )

    def three_point_of(self, task: Any, label: str) -> tuple | None:
        if not self.fields:
            return None
        values: dict[str, float | None] = {"low": None, "mode": None, "high": None}
        for ea in task.findall("p:ExtendedAttribute", NS):
            role = self.fields.get(self.text(ea, "FieldID"))
            if role is None:
                continue
            value = self.text(ea, "Value")
            try:
                if value.upper().startswith(("P", "-P")):  # a Duration field: working hours
                    values[role] = iso_hours(value) * 60.0 / self.minutes_per_day
                else:  # a Number or Text field: working days
                    values[role] = float(value)
                if not limits.finite(values[role] or 0.0):
                    values[role] = None
                    raise ValueError(value)
            except ValueError:
                self.warnings.append(
                    f"{label}: custom field value {value!r} is not a duration "
                    "or a number of working days; ignored"
                )
        if all(v is None for v in values.values()):
            return None
        return values["low"], values["mode"], values["high"]

    # -- tasks -----------------------------------------------------------------------------
    def hours_of(self, task: Any, name: str, label: str) -> float | None:
        """The hours of ISO duration field ``name`` (None when absent); a ModelError naming the
        task and field when it is not a duration."""
        value = self.text(task, name)
        if not value:
            return None
        try:
            return iso_hours(value)
        except ValueError as exc:
            what = (
                "is not an ISO 8601 duration riskcast can use: it is too large (not a "
                "finite number of hours); the file is damaged"
                if "finite" in str(exc)
                else "is not an ISO 8601 duration like PT8H0M0S"
            )
            raise ModelError(f"{label} > {name}: {show(value)} {what}", self.source) from None

    def is_elapsed(self, task: Any, label: str) -> bool:
        return base_format(int(self.number(task, "DurationFormat", 7, label))) in ELAPSED_FORMATS

    def duration_days(self, task: Any, label: str, summary: bool) -> float:
        """The duration in days of the task's calendar: working hours / hours per day, or for
        an elapsed duration (on the 24-hour calendar) elapsed hours / 24."""
        hours = self.hours_of(task, "Duration", label)
        if hours is None:
            if summary:  # a summary's duration is its children's
                return 0.0
            raise ModelError(f"{label} > Duration: missing; {DAMAGED}", self.source)
        if self.is_elapsed(task, label):
            return hours / 24.0
        return hours * 60.0 / self.minutes_per_day

    def read_tasks(self, root: Any) -> dict[str, RawTask]:
        raw: dict[str, RawTask] = {}
        # enclosing summaries by outline level, each with its WBS path of names
        stack: list[tuple[int, RawTask, str]] = []
        self.elements: dict[str, Any] = {}
        self.hours: dict[str, float] = {}  # UID -> the file's duration in hours
        self.home: dict[str, str | None] = {}  # UID -> the task's own calendar (None: project)
        uids: set[str] = set()
        for number, task in enumerate(root.findall("p:Tasks/p:Task", NS), start=1):
            if self.text(task, "IsNull") == "1":
                continue
            uid = self.text(task, "UID")
            if not uid:
                name = show(self.text(task, "Name"))
                raise ModelError(
                    f"Tasks > Task number {number} (Name {name}) > UID: missing; {DAMAGED}",
                    self.source,
                )
            if uid in uids:
                raise ModelError(
                    f'task "{uid}": UID {show(uid)} is given to two tasks; {DAMAGED}',
                    self.source,
                )
            uids.add(uid)
            level = int(self.number(task, "OutlineLevel", 1, f'task "{uid}"'))
            name = self.text(task, "Name")
            item = RawTask(key=uid, id=uid, name=name)
            label = item.label
            if level == 0:  # the project summary task: not part of any WBS path
                continue
            if self.text(task, "Active", "1") == "0":
                self.warnings.append(
                    f"{label}: inactive task skipped (MS Project ignores it when scheduling)"
                )
                continue
            while stack and stack[-1][0] >= level:
                stack.pop()
            if stack:
                item.parent = stack[-1][1].key
            item.summary = self.text(task, "Summary") == "1"
            path = stack[-1][2] if stack else ""
            if path:
                item.tags["wbs"] = path
            for tag, key in (
                ("source_id", "ID"),
                ("source_uid", "UID"),
                ("wbs_code", "WBS"),
                ("outline", "OutlineNumber"),
            ):
                if self.text(task, key):
                    item.tags[tag] = self.text(task, key)
            if item.summary:
                if name:
                    path = self.join_wbs(path, name) if path else name
                stack.append((level, item, path))
            item.days = self.duration_days(task, label, item.summary)
            self.hours[uid] = self.hours_of(task, "Duration", label) or 0.0
            item.milestone = self.text(task, "Milestone") == "1"
            item.deadline = self.date(task, "Deadline", label)
            if item.milestone:
                item.target = item.deadline
            item.percent_complete = self.number(task, "PercentComplete", 0.0, label)
            item.actual_start = self.date(task, "ActualStart", label)
            item.actual_finish = self.date(task, "ActualFinish", label)
            if not item.summary:
                self.read_task_calendar(task, item)
                self.read_constraint(task, item)
                self.read_remaining(task, item)
                if self.text(task, "Manual") == "1":
                    self.warnings.append(
                        f"{label}: manually scheduled in MS Project; riskcast schedules it "
                        "automatically from its links"
                    )
                if self.text(task, "ExternalTask") == "1" or self.text(task, "IsSubproject") == "1":
                    self.warnings.append(
                        f"{label}: external task or inserted subproject, imported as a plain task"
                    )
                item.three_point = self.three_point_of(task, label)
            raw[uid] = item
            self.elements[uid] = task
        for uid, task in self.elements.items():
            self.read_links(task, raw[uid], raw)
        return raw

    def read_task_calendar(self, task: Any, item: RawTask) -> None:
        """The task's calendar (CalendarUID; -1 = the project calendar); an elapsed duration
        runs on the 24-hour calendar instead."""
        uid = self.text(task, "CalendarUID", "-1")
        home = None
        if uid not in ("-1", "", self.calendar_uid):
            if uid in self.cal_elements:
                home = self.calendar_of(uid).name
            else:
                self.warnings.append(
                    f"{item.label}: its calendar UID {limits.quote(uid)} is not in the file; it uses "
                    "the project calendar"
                )
        self.home[item.key] = home
        if self.is_elapsed(task, item.label):
            self.calendars.setdefault(ELAPSED.name, ELAPSED)
            item.calendar = ELAPSED.name
        else:
            item.calendar = home

    def read_constraint(self, task: Any, item: RawTask) -> None:
        kind = self.text(task, "ConstraintType", "0")
        if kind == "0":
            return
        if kind == "1":
            item.alap = True
            return
        if kind not in CONSTRAINTS:
            raise ModelError(
                f"{item.label} > ConstraintType: {show(kind)} is not 0-7 (MS Project's "
                "constraint types)",
                self.source,
            )
        date = self.date(task, "ConstraintDate", item.label)
        if date is None:
            self.warnings.append(
                f'{item.label}: constraint "{CONSTRAINTS[kind]}" has no ConstraintDate; not applied'
            )
            return
        if kind in ("2", "4"):
            item.not_before = date
        if kind in ("2", "5"):
            item.not_after = date
        if kind in ("3", "6"):
            item.finish_not_before = date
        if kind in ("3", "7"):
            item.finish_not_after = date

    def read_remaining(self, task: Any, item: RawTask) -> None:
        """RemainingDuration of a started, unfinished task, in days of its calendar."""
        if item.actual_start is None or item.actual_finish is not None:
            return
        hours = self.hours_of(task, "RemainingDuration", item.label)
        if hours is None:
            return
        if hours < 0:
            raise ModelError(
                f"{item.label} > RemainingDuration: {show(self.text(task, 'RemainingDuration'))} "
                "is negative",
                self.source,
            )
        if item.calendar == ELAPSED.name:
            item.remaining = hours / 24.0
        else:
            item.remaining = hours * 60.0 / self.minutes_per_day

    def read_links(self, task: Any, item: RawTask, raw: dict[str, RawTask]) -> None:
        for link in task.findall("p:PredecessorLink", NS):
            pred = self.text(link, "PredecessorUID")
            if not pred:
                raise ModelError(
                    f"{item.label} > PredecessorLink > PredecessorUID: missing; {DAMAGED}",
                    self.source,
                )
            kind = LINK_TYPES.get(self.text(link, "Type", "1"))
            if kind is None:
                raise ModelError(
                    f"{item.label} > PredecessorLink: Type "
                    f"{self.text(link, 'Type')!r} is not 0-3 (FF, FS, SF, SS)",
                    self.source,
                )
            if self.text(link, "CrossProject") == "1":
                self.warnings.append(
                    f"{item.label}: dropped the {kind} link from another "
                    f"project ({self.text(link, 'CrossProjectName') or pred})"
                )
                continue
            value = self.number(link, "LinkLag", 0.0, f"{item.label} > PredecessorLink")
            fmt = base_format(int(self.number(link, "LagFormat", 7, item.label)))
            lag, calendar = self.lag_of(value, fmt, pred, item, kind)
            item.links.append(RawLink(pred, kind, lag, calendar))

    def lag_of(
        self, value: float, fmt: int, pred: str, item: RawTask, kind: str
    ) -> tuple[float, str | None]:
        """A LinkLag as (days, calendar name): working formats in days of the successor's
        calendar (None), elapsed ones in days of the 24-hour calendar."""
        elapsed = fmt in ELAPSED_FORMATS
        if value == 0:
            return 0.0, None
        if fmt in PERCENT_FORMATS:
            percent = value
            hours = percent / 100.0 * self.hours.get(pred, 0.0)
            if pred not in self.hours:
                self.warnings.append(
                    f"{item.label}: {kind} lag of {percent:g}% of an unknown predecessor's "
                    "duration is 0"
                )
            minutes = hours * 60.0
            self.warnings.append(
                f"{item.label}: {kind} lag of {percent:g}% of the predecessor's duration is "
                f"imported as {minutes / 60:g} {'elapsed ' if elapsed else 'working '}hours; "
                "it does not follow the predecessor's simulated duration"
            )
        else:
            minutes = value / 10.0
        if elapsed:
            self.calendars.setdefault(ELAPSED.name, ELAPSED)
            return minutes / 1440.0, ELAPSED.name
        days = minutes / self.minutes_per_day
        if item.calendar == ELAPSED.name:
            # The successor runs on the 24-hour calendar for its elapsed duration, but its lag
            # counts on its own calendar (MS Project's rule).
            home = self.home.get(item.key) or self.calendar.name
            self.calendars.setdefault(self.calendar.name, self.calendar)
            return days, home
        return days, None

    def warn_splits(
        self, raw: dict[str, RawTask], resources: dict[str, Resource], calendars: dict[str, str]
    ) -> None:
        """Warn about tasks MS Project split: a Splits element, or a Start..Finish span holding
        more working time of the task's calendar than its duration (an interrupting gap).
        Tasks worked by resources on their own calendars are not judged by the span."""
        for uid, task in self.elements.items():
            item = raw[uid]
            if item.summary or item.milestone:
                continue
            label = item.label
            split = task.find("p:Splits", NS) is not None
            if not split and self.text(task, "Manual") != "1":
                if any(calendars.get(a.resource, "") not in ("", "-1") for a in item.assignments):
                    continue
                start, finish = self.text(task, "Start"), self.text(task, "Finish")
                hours = self.hours.get(uid, 0.0)
                if start and finish and hours > 0:
                    name = item.calendar or self.calendar.name
                    cal = self.calendars.get(name, self.calendar)
                    span = self.working_minutes(cal, start, finish)
                    split = span is not None and span > hours * 60.0 + 1.0
            if split:
                self.warnings.append(
                    f"{label}: split in MS Project (its work is interrupted); riskcast "
                    "schedules it as one piece from its links"
                )

    def working_minutes(self, cal: Calendar, start: str, finish: str) -> float | None:
        """Working minutes of ``cal`` from ``start`` to ``finish`` (ISO date-times); None when
        unreadable or over 10 years apart."""
        try:
            a, b = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(finish)
            a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
        except ValueError:
            return None
        if b <= a or (b - a).days > 3660:
            return 0.0 if b <= a else None
        total = 0.0
        day = a.date()
        while day <= b.date():
            midnight = dt.datetime.combine(day, dt.time())
            lo = (a - midnight).total_seconds() / 60 if day == a.date() else 0.0
            hi = (b - midnight).total_seconds() / 60 if day == b.date() else 1440.0
            for p0, p1 in cal.periods_on(day):
                total += max(0.0, min(p1, hi) - max(p0, lo))
            day += dt.timedelta(days=1)
        return total

    # -- resources ----------------------------------------------------------------------------
    def read_resources(self, root: Any) -> tuple[dict[str, Resource], dict[str, str]]:
        """Resources by UID (rate per working day = StandardRate per hour x hours per day), and
        each resource's calendar UID."""
        resources: dict[str, Resource] = {}
        calendars: dict[str, str] = {}
        self.kinds: dict[str, str] = {}  # UID -> Type
        self.per_use: dict[str, float] = {}  # UID -> cost per use, currency units
        for res in root.findall("p:Resources/p:Resource", NS):
            uid = self.text(res, "UID")
            name = self.text(res, "Name")
            if not uid or self.text(res, "IsNull") == "1" or (uid == "0" and not name):
                continue  # UID 0 is MS Project's unnamed placeholder resource
            place = f'resource "{uid}" ({name})'
            rate = self.number(res, "StandardRate", 0.0, place)
            self.kinds[uid] = kind = self.text(res, "Type", WORK)
            if kind != WORK and rate:
                self.warnings.append(
                    f"{place}: material or cost resource; its rate is per unit, "
                    "not per hour, and is imported as 0"
                )
                rate = 0.0
            most = self.number(res, "MaxUnits", 0.0, place) if kind == WORK else 0.0
            resources[uid] = Resource(  # max units 1 = one full-time unit, as assignments count
                uid, name, rate * self.minutes_per_day / 60.0, most if most > 0 else None
            )
            calendars[uid] = self.text(res, "CalendarUID")
            self.per_use[uid] = self.number(res, "CostPerUse", 0.0, place) / 100.0
        return resources, calendars

    def read_assignments(
        self,
        root: Any,
        raw: dict[str, RawTask],
        resources: dict[str, Resource],
        calendars: dict[str, str],
    ) -> None:
        by_uid = {self.text(c, "UID"): c for c in root.findall("p:Calendars/p:Calendar", NS)}
        self.assigned: dict[str, list[tuple[str, float, Any]]] = {}  # task UID -> assignments
        for a in root.findall("p:Assignments/p:Assignment", NS):
            task, res = raw.get(self.text(a, "TaskUID")), self.text(a, "ResourceUID")
            if task is None or res not in resources:
                continue  # unassigned work (ResourceUID -65535) or a skipped task
            if task.summary:
                self.warnings.append(
                    f'{task.label}: resource "{resources[res].name}" assigned '
                    "to a summary task; not imported"
                )
                continue
            units = self.number(a, "Units", 1.0, task.label)
            task.assignments.append(Assignment(res, units))
            self.assigned.setdefault(task.key, []).append((res, units, a))
            cal = by_uid.get(calendars.get(res, ""))
            base = self.text(cal, "BaseCalendarUID") if cal is not None else ""
            if cal is not None and base not in ("", "-1", self.calendar_uid):
                self.warnings.append(
                    f'{task.label}: resource "{resources[res].name}" works on '
                    "its own calendar; riskcast uses the project calendar"
                )

    # -- costs --------------------------------------------------------------------------------
    def read_costs(self, raw: dict[str, RawTask], resources: dict[str, Resource]) -> None:
        """Each leaf task's fixed cost (currency units): its work resources' cost per use, its
        cost resources' amounts and its FixedCost where the task's Cost confirms the unit. A
        summary's fixed cost is reported: riskcast costs leaf tasks."""
        for uid, task in self.elements.items():
            item = raw[uid]
            fixed = self.number(task, "FixedCost", 0.0, item.label)
            if item.summary:
                if fixed:
                    self.warnings.append(
                        f"{item.label}: summary task with a fixed cost (FixedCost {fixed:g}, in "
                        "hundredths of the currency unit); not imported, riskcast costs leaf tasks"
                    )
                continue
            extra = self.assignment_costs(item, resources)
            item.fixed_cost = extra + self.confirmed_fixed_cost(task, item, fixed)

    def assignment_costs(self, item: RawTask, resources: dict[str, Resource]) -> float:
        """What ``item``'s assignments add to its fixed cost, in currency units: a work
        resource its cost per use x units (MS Project charges it per unit assigned: in
        sample1.xml 0.5 units of a 30.00-per-use resource add 15.00), a cost resource the amount
        its assignment holds. An assignment whose Cost differs from what riskcast costs (rate x
        units x duration + cost per use) is reported."""
        extra = 0.0
        for uid, units, el in self.assigned.get(item.key, []):
            cost = self.number(el, "Cost", 0.0, item.label) / 100.0
            if self.kinds[uid] == COST:  # its amount is entered on each assignment
                extra += cost
                continue
            per_use = self.per_use[uid] * units if self.kinds[uid] == WORK else 0.0
            extra += per_use
            res = resources[uid]
            ours = res.rate * units * item.days + per_use
            if self.text(el, "Cost") and not _same_money(cost, ours):
                self.warnings.append(
                    f'{item.label}: resource "{res.id}" ({res.name}) costs {cost:,.2f} here '
                    f"in the file, {ours:,.2f} in riskcast (its rate x units x the task's "
                    "duration, plus its cost per use); the file's figure follows what riskcast "
                    "does not import (work other than units x duration, overtime, another cost "
                    "rate table, rate changes or a material's price)"
                )
        return extra

    def confirmed_fixed_cost(self, task: Any, item: RawTask, fixed: float) -> float:
        """FixedCost in currency units where the task's Cost confirms its unit: MS Project's
        Cost of a task is its FixedCost plus its assignments' Cost, all stored in hundredths
        (so they add up to a hundredth apiece). Unconfirmed (no Cost, or one that does not add
        up) its unit is not certain: it is reported and not imported."""
        if not fixed:
            return 0.0
        assignments = self.assigned.get(item.key, [])
        parts = fixed + sum(self.number(a, "Cost", 0.0, item.label) for _, _, a in assignments)
        total = self.text(task, "Cost")
        stored = self.number(task, "Cost", 0.0, item.label)
        if total and abs(stored - parts) <= 1 + len(assignments):
            return fixed / 100.0
        self.warnings.append(
            f"{item.label}: its fixed cost (FixedCost {fixed:g}) is not imported: the task's "
            f"Cost ({total or 'missing'}) does not confirm its unit (MS Project writes both in "
            "hundredths of the currency unit, Cost being the fixed cost plus the assignments' "
            "costs)"
        )
        return 0.0


def _same_money(a: float, b: float) -> bool:
    """Whether the file's cost of an assignment and riskcast's agree within MS Project's
    rounding (work to the minute, costs to the hundredth): 0.01, or 0.5 % of the larger."""
    return abs(a - b) <= max(0.01, 0.005 * max(abs(a), abs(b)))


def read_mspdi(
    path: str | os.PathLike[str], three_point: Sequence[str | None] | None = None
) -> ImportResult:
    """Read an MSPDI XML file. ``three_point`` names the (low, most likely, high) extended
    attributes by alias or field name (e.g. "Duration1"); see :mod:`riskcast.io.templates`."""
    with naming(str(path)):
        return _Reader(Path(path), three_point).read()
