"""Read Microsoft Project MSPDI XML (File > Save As > XML) into a riskcast Project.

Units in the file (Microsoft's MSPDI schema):

* ``Duration`` is ISO 8601 (``PT16H0M0S``) in *working* hours, except for elapsed formats, where
  it is elapsed (24 h) time. A working day is ``MinutesPerDay`` minutes (header, default 480).
* ``LinkLag`` is in tenths of a minute; ``LagFormat`` says how the user typed it: 3 m, 4 em,
  5 h, 6 eh, 7 d, 8 ed, 9 w, 10 ew, 11 mo, 12 emo, 19 %, 20 e%; 35-44 and 51-52 are the
  estimated "?" forms of 3-12 and 19-20 (35 = m?, 39 = d?, ...); 53 is "no format".
  Working formats are working minutes; elapsed ones are 24 h minutes; % formats hold
  percent x 10 of the predecessor's duration.
* ``PredecessorLink/Type``: 0 FF, 1 FS, 2 SF, 3 SS.
* ``StandardRate`` is per hour whatever ``StandardRateFormat`` displays.
* ``ConstraintType``: 0 as soon as possible, 1 as late as possible, 2 must start on, 3 must
  finish on, 4 start no earlier than, 5 start no later than, 6 finish no earlier than,
  7 finish no later than.
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
    approximate_elapsed,
    constraint_warning,
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
    "1": "as late as possible",
    "2": "must start on",
    "3": "must finish on",
    "5": "start no later than",
    "6": "finish no earlier than",
    "7": "finish no later than",
}
# MSPDI DayType: 1 = Sunday ... 7 = Saturday.
DAY_TYPES = {"1": "sun", "2": "mon", "3": "tue", "4": "wed", "5": "thu", "6": "fri", "7": "sat"}
_ISO_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>[\d.]+)Y)?(?:(?P<mo>[\d.]+)M)?(?:(?P<w>[\d.]+)W)?(?:(?P<d>[\d.]+)D)?"
    r"(?:T(?:(?P<h>[\d.]+)H)?(?:(?P<mi>[\d.]+)M)?(?:(?P<s>[\d.]+)S)?)?$"
)
MAX_EXCEPTION_DAYS = 20000  # a calendar exception longer than ~55 years is a data error
MAX_CALENDAR_DAYS = 200_000  # all exceptions of the project calendar together (~550 years)
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


def _expand(ranges: list[tuple[dt.date, dt.date]]) -> set[dt.date]:
    """The days of the (first, last) ``ranges``, overlaps merged first, so that the time is that
    of the distinct days; more than :data:`MAX_CALENDAR_DAYS` of them is an error."""
    merged: list[list[dt.date]] = []
    for first, last in sorted(ranges):
        if merged and (first - merged[-1][1]).days <= 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    total = sum((last - first).days + 1 for first, last in merged)
    if total > MAX_CALENDAR_DAYS:
        raise ModelError(
            f"the project calendar's exceptions cover {total:,} days, more than riskcast's limit "
            f"of {MAX_CALENDAR_DAYS:,} (about 550 years); the calendar is damaged. Remove the long "
            "exceptions in MS Project and save the file again"
        )
    return {
        first + dt.timedelta(k) for first, last in merged for k in range((last - first).days + 1)
    }


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
        if self.minutes_per_day <= 0:
            raise ModelError(
                f"project > MinutesPerDay must be > 0, got {self.minutes_per_day}", self.source
            )
        self.calendar_uid = self.text(root, "CalendarUID", "1")
        self.calendar = self.read_calendar(root)
        start = self.date(root, "StartDate", "project")
        if start is None:
            raise ModelError(
                "project > StartDate is missing; MS Project always writes it", self.source
            )
        self.fields = self.read_field_definitions(root)
        raw = self.read_tasks(root)
        resources, calendars = self.read_resources(root)
        self.read_assignments(root, raw, resources, calendars)
        name = self.text(root, "Title") or self.text(root, "Name") or self.path.stem
        return self.result(name, start, self.calendar, raw, resources)

    # -- calendars ---------------------------------------------------------------------------
    def read_calendar(self, root: Any) -> Calendar:
        """The project calendar (header CalendarUID): working weekdays, non-working exceptions
        as holidays, hours per day = MinutesPerDay / 60 (how MS Project counts a "day")."""
        by_uid = {self.text(c, "UID"): c for c in root.findall("p:Calendars/p:Calendar", NS)}
        chain = []
        visited: set[str] = set()
        uid = self.calendar_uid
        while uid in by_uid and uid not in visited:
            visited.add(uid)
            chain.append(by_uid[uid])
            uid = self.text(by_uid[uid], "BaseCalendarUID")
        working: dict[str, bool] = {}
        off: list[tuple[dt.date, dt.date]] = []  # exception date ranges, expanded below
        on: list[tuple[dt.date, dt.date]] = []
        for cal in reversed(chain):  # base first, so a derived calendar overrides it
            for day in cal.findall("p:WeekDays/p:WeekDay", NS):
                kind = self.text(day, "DayType")
                flag = self.text(day, "DayWorking") == "1"
                if kind in DAY_TYPES:
                    working[DAY_TYPES[kind]] = flag
                elif kind == "0":  # an exception in the pre-2007 layout
                    self.add_exception(day, flag, off, on, cal)
            for exc in cal.findall("p:Exceptions/p:Exception", NS):
                self.add_exception(exc, self.text(exc, "DayWorking") == "1", off, on, cal)
            if cal.find("p:WorkWeeks/p:WorkWeek", NS) is not None:
                self.warnings.append(
                    f'calendar "{self.text(cal, "Name")}": alternate work weeks '
                    "are not imported; riskcast uses the default week"
                )
        if not chain:
            self.warnings.append(
                f"project calendar UID {self.calendar_uid} not found; using "
                "Monday-Friday without holidays"
            )
            working = {d: d in WEEKDAYS[:5] for d in WEEKDAYS}
        workdays = tuple(d for d in WEEKDAYS if working.get(d, d in WEEKDAYS[:5]))
        if not workdays:
            raise ModelError("the project calendar has no working weekday", self.source)
        on, off = _expand(on), _expand(off)
        for day in sorted(on):
            if day.strftime("%a").lower() not in workdays:
                self.warnings.append(
                    f"calendar: {day} is a working exception on a non-working "
                    "weekday; riskcast calendars cannot add working days, so it "
                    "is not imported"
                )
        holidays = tuple(sorted(d for d in off - on if d.strftime("%a").lower() in workdays))
        return Calendar(workdays, holidays, self.minutes_per_day / 60.0)

    def add_exception(self, el: Any, working: bool, off: list, on: list, cal: Any) -> None:
        first = self.date(el, "TimePeriod/p:FromDate", "calendar exception")
        last = self.date(el, "TimePeriod/p:ToDate", "calendar exception")
        if first is None:
            return
        last = last or first
        kind = self.text(el, "Type", "1")
        if kind != "1" and el.find("p:Occurrences", NS) is not None:
            name = self.text(el, "Name") or f"{first}"
            self.warnings.append(
                f'calendar "{self.text(cal, "Name")}": recurring exception '
                f'"{name}" is not expanded; add its dates as holidays by hand'
            )
            return
        days = (last - first).days + 1
        if not 0 < days <= MAX_EXCEPTION_DAYS:
            self.warnings.append(
                f'calendar "{self.text(cal, "Name")}": exception {first} to '
                f"{last} ignored (spans {days} days)"
            )
            return
        (on if working else off).append((first, last))

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
    def duration_days(self, task: Any, label: str, summary: bool) -> float:
        value = self.text(task, "Duration")
        if not value:
            if summary:  # a summary's duration is its children's
                return 0.0
            raise ModelError(f"{label} > Duration: missing; {DAMAGED}", self.source)
        try:
            hours = iso_hours(value)
        except ValueError as exc:
            what = (
                "is not an ISO 8601 duration riskcast can use: it is too large (not a "
                "finite number of hours); the file is damaged"
                if "finite" in str(exc)
                else "is not an ISO 8601 duration like PT8H0M0S"
            )
            raise ModelError(f"{label} > Duration: {show(value)} {what}", self.source) from None
        fmt = base_format(int(self.number(task, "DurationFormat", 7, label)))
        if fmt in ELAPSED_FORMATS:
            return approximate_elapsed(
                hours / 24.0,
                self.calendar,
                f"{label}: elapsed duration {hours:g} h (24 h days, 7-day weeks)",
                self.warnings,
            )
        return hours * 60.0 / self.minutes_per_day

    def read_tasks(self, root: Any) -> dict[str, RawTask]:
        raw: dict[str, RawTask] = {}
        # enclosing summaries by outline level, each with its WBS path of names
        stack: list[tuple[int, RawTask, str]] = []
        elements = {}
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
            for tag, key in (("wbs_code", "WBS"), ("outline", "OutlineNumber")):
                if self.text(task, key):
                    item.tags[tag] = self.text(task, key)
            if item.summary:
                if name:
                    path = self.join_wbs(path, name) if path else name
                stack.append((level, item, path))
            item.days = self.duration_days(task, label, item.summary)
            item.milestone = self.text(task, "Milestone") == "1"
            if item.milestone:
                item.target = self.date(task, "Deadline", label)
            item.percent_complete = self.number(task, "PercentComplete", 0.0, label)
            item.actual_start = self.date(task, "ActualStart", label)
            item.actual_finish = self.date(task, "ActualFinish", label)
            if not item.summary:
                self.read_constraint(task, item)
                cal = self.text(task, "CalendarUID", "-1")
                if cal not in ("-1", "", self.calendar_uid):
                    self.warnings.append(
                        f"{label}: uses its own calendar (UID {cal}); riskcast "
                        "schedules every task on the project calendar"
                    )
                if self.text(task, "ExternalTask") == "1" or self.text(task, "IsSubproject") == "1":
                    self.warnings.append(
                        f"{label}: external task or inserted subproject, imported as a plain task"
                    )
                item.three_point = self.three_point_of(task, label)
            raw[uid] = item
            elements[uid] = task
        for uid, task in elements.items():
            self.read_links(task, raw[uid], raw)
        return raw

    def read_constraint(self, task: Any, item: RawTask) -> None:
        kind = self.text(task, "ConstraintType", "0")
        date = self.date(task, "ConstraintDate", item.label)
        if kind == "4" and date is not None:
            item.not_before = date
        elif kind in CONSTRAINTS:
            self.warnings.append(
                constraint_warning(item.label, CONSTRAINTS[kind], date, "start no earlier than")
            )

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
            tenths = self.number(link, "LinkLag", 0.0, item.label)
            fmt = base_format(int(self.number(link, "LagFormat", 7, item.label)))
            lag = self.lag_days(tenths, fmt, raw.get(pred), item, kind)
            item.links.append(RawLink(pred, kind, lag))

    def lag_days(
        self, tenths: float, fmt: int, pred: RawTask | None, item: RawTask, kind: str
    ) -> float:
        """A LinkLag (tenths of a minute, or percent x 10) in working days."""
        if tenths == 0:
            return 0.0
        if fmt in PERCENT_FORMATS:
            percent = tenths / 10.0
            base = pred.days if pred is not None else 0.0
            days = percent / 100.0 * base
            self.warnings.append(
                f"{item.label}: {kind} lag of {percent:g}% of the predecessor's "
                f"duration converted to {days:.4g} working days"
            )
            return days
        minutes = tenths / 10.0
        if fmt in ELAPSED_FORMATS:
            return approximate_elapsed(
                minutes / 1440.0,
                self.calendar,
                f"{item.label}: elapsed {kind} lag of {minutes / 60:g} h",
                self.warnings,
            )
        return minutes / self.minutes_per_day

    # -- resources ----------------------------------------------------------------------------
    def read_resources(self, root: Any) -> tuple[dict[str, Resource], dict[str, str]]:
        """Resources by UID (rate per working day = StandardRate per hour x hours per day), and
        each resource's calendar UID."""
        resources: dict[str, Resource] = {}
        calendars: dict[str, str] = {}
        for res in root.findall("p:Resources/p:Resource", NS):
            uid = self.text(res, "UID")
            name = self.text(res, "Name")
            if not uid or self.text(res, "IsNull") == "1" or (uid == "0" and not name):
                continue  # UID 0 is MS Project's unnamed placeholder resource
            place = f'resource "{uid}" ({name})'
            rate = self.number(res, "StandardRate", 0.0, place)
            if self.text(res, "Type", "1") != "1" and rate:
                self.warnings.append(
                    f"{place}: material or cost resource; its rate is per unit, "
                    "not per hour, and is imported as 0"
                )
                rate = 0.0
            resources[uid] = Resource(uid, name, rate * self.minutes_per_day / 60.0)
            calendars[uid] = self.text(res, "CalendarUID")
        return resources, calendars

    def read_assignments(
        self,
        root: Any,
        raw: dict[str, RawTask],
        resources: dict[str, Resource],
        calendars: dict[str, str],
    ) -> None:
        by_uid = {self.text(c, "UID"): c for c in root.findall("p:Calendars/p:Calendar", NS)}
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
            cal = by_uid.get(calendars.get(res, ""))
            base = self.text(cal, "BaseCalendarUID") if cal is not None else ""
            if cal is not None and base not in ("", "-1", self.calendar_uid):
                self.warnings.append(
                    f'{task.label}: resource "{resources[res].name}" works on '
                    "its own calendar; riskcast uses the project calendar"
                )


def read_mspdi(
    path: str | os.PathLike[str], three_point: Sequence[str | None] | None = None
) -> ImportResult:
    """Read an MSPDI XML file. ``three_point`` names the (low, most likely, high) extended
    attributes by alias or field name (e.g. "Duration1"); see :mod:`riskcast.io.templates`."""
    with naming(str(path)):
        return _Reader(Path(path), three_point).read()
