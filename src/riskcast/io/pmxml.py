"""Read Primavera P6 PMXML (``APIBusinessObjects``) into a riskcast Project.

Units in the file: durations (``PlannedDuration``) and lags (``Relationship/Lag``) are hours; a
calendar's ``HoursPerDay`` gives its working day; ``PercentComplete`` is a fraction (1.0 = 100 %);
resource prices (``PricePerUnit``) are per hour; dates are ISO date-times.

Elements read: ``Calendar`` (global ones at the top level and project calendars inside
``Project``: ``StandardWorkWeek`` work times, where ``<WorkTime xsi:nil="true"/>`` or none means a
non-working day, and ``HolidayOrExceptions``; a work time's ``Finish`` is its last working
minute), ``Project`` (``PlannedStartDate``, ``DataDate``, ``ActivityDefaultCalendarObjectId``,
``RelationshipLagCalendar``), ``WBS``, ``Activity`` (its calendar, primary and secondary
constraints, ``Status``, actual dates, ``RemainingDuration``), ``Relationship``, ``Resource``
with ``ResourceRate``, ``ResourceAssignment``, ``ActivityExpense`` (costed as its activity's
fixed cost) and ``UDFType``/``UDF`` for three-point estimates. Numbers may use a decimal comma (``8,5``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..model import Assignment, Resource
from . import limits
from ._p6 import (
    CalendarData,
    P6Reader,
    capacity_steps,
    checked_hours_per_day,
    pick_project,
    pick_rate,
    work_period,
)
from .limits import show
from .schedules import (
    ImportResult,
    RawTask,
    local_name,
    naming,
    outline_paths,
    parse_iso_date,
    parse_number,
    parse_xml,
    three_point_roles,
)

LINK_TYPES = {
    "finish to start": "FS",
    "start to start": "SS",
    "finish to finish": "FF",
    "start to finish": "SF",
}
MILESTONE_TYPES = ("start milestone", "finish milestone")
LAG_CALENDARS = {
    "predecessor activity calendar": "predecessor",
    "successor activity calendar": "successor",
    "project default calendar": "project",
    "24 hour calendar": "24hour",
}
STATUS = {"completed": "complete", "in progress": "active", "not started": "not started"}
NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
WEEKDAY_NAMES = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}


def _children(el: Any, name: str) -> list:
    return [c for c in el if local_name(c.tag) == name]


def _text(el: Any, name: str, default: str = "") -> str:
    """The text of ``el``'s child ``name`` (``default`` when absent or empty); text over
    :data:`~riskcast.io.limits.MAX_TEXT` characters is an error naming the element."""
    for c in el:
        if local_name(c.tag) == name:
            if not c.text:
                return default
            if len(c.text) > limits.MAX_TEXT and len(c.text.strip()) > limits.MAX_TEXT:
                raise ModelError(f"{_where(el)} > {name}: {limits.too_long(c.text.strip())}")
            return c.text.strip()
    return default


def _where(el: Any) -> str:
    """``task "A1000"`` (an Activity) or ``Resource "R1"``: an element and its Id (or
    ObjectId) for messages."""
    what = "task" if local_name(el.tag) == "Activity" else local_name(el.tag)
    for key in ("Id", "ObjectId"):
        for c in el:
            if local_name(c.tag) == key and c.text and c.text.strip():
                return f"{what} {limits.quote(c.text.strip())}"
    return what


def _required(el: Any, name: str, place: str) -> str:
    """The text of a child P6 always writes; missing or empty is an error naming ``place``."""
    value = _text(el, name)
    if not value:
        raise ModelError(
            f"{place} > {name}: missing; P6 always writes it, so the file is damaged or was not "
            "exported by P6. Export it again from P6"
        )
    return value


class _Reader(P6Reader):
    format = "pmxml"

    def number(self, el: Any, name: str, place: str, default: float = 0.0) -> float:
        """A number; a decimal comma (``8,5``, as some locales export) reads as a point."""
        text = _text(el, name)
        if "," in text and "." not in text and text.count(",") == 1:
            text = text.replace(",", ".")
        return parse_number(text, f"{place} > {name}", self.source, default)

    def datetime(self, el: Any, name: str, place: str) -> dt.datetime | None:
        day = self.date(el, name, place)
        if day is None:
            return None
        try:
            return dt.datetime.fromisoformat(_text(el, name)).replace(tzinfo=None)
        except ValueError:  # pragma: no cover (the date parsed)
            return dt.datetime.combine(day, dt.time())

    def date(self, el: Any, name: str, place: str) -> dt.date | None:
        return parse_iso_date(_text(el, name), f"{place} > {name}", self.source)

    def read(self) -> ImportResult:
        root = parse_xml(self.path, self.source)
        if local_name(root.tag) != "APIBusinessObjects":
            raise ModelError(
                f"not a PMXML file: the root element is <{local_name(root.tag)}>, "
                "expected <APIBusinessObjects>",
                self.source,
            )
        proj = self.pick_project(root)
        self.calendars = {}
        for el in _children(root, "Calendar") + _children(proj, "Calendar"):
            cal = self.read_calendar(el)
            if cal.id in self.calendars:
                self.warnings.append(
                    f'calendar "{cal.name}": ObjectId {show(cal.id)} appears a second time; '
                    "the later one is used"
                )
            self.calendars[cal.id] = cal
        self.use_project_calendar(
            _text(proj, "ActivityDefaultCalendarObjectId"),
            "the file has no Calendar; export it again with calendars",
        )
        start = self.date(proj, "PlannedStartDate", "Project") or self.date(
            proj, "StartDate", "Project"
        )
        if start is None:
            raise ModelError("Project > PlannedStartDate is missing", self.source)
        resources = self.read_resources(root, start)
        raw = self.read_activities(root, proj)
        self.read_links(proj, raw)
        self.read_assignments(proj, raw, resources)
        self.read_expenses(proj, raw)
        name = _text(proj, "Name") or _text(proj, "Id") or self.path.stem
        status = self.status_date(self.datetime(proj, "DataDate", "Project"))
        self.unused_damaged()
        return self.result(name, start, self.calendar, raw, resources, status, self.named)

    def pick_project(self, root: Any) -> Any:
        """The <Project> element to read; projects exported only as the ends of links to
        other projects (ExportFlag false) are not offered unless all are."""
        every = _children(root, "Project")
        projects = [
            p for p in every if _text(p, "ExportFlag").lower() not in ("0", "false")
        ] or every
        return pick_project(
            projects,
            [_text(p, "Id") for p in projects],
            [(_text(p, "Id"), _text(p, "ObjectId")) for p in projects],
            self.want,
            empty="the file holds no <Project>; export a project from P6",
            hint="ID",
            source=self.source,
        )

    # -- calendars ----------------------------------------------------------------------------
    def read_calendar(self, el: Any) -> CalendarData:
        """A Calendar element; one that cannot be read fails the import only if it is used."""
        cal = CalendarData(
            id=_text(el, "ObjectId"),
            name=_text(el, "Name"),
            default=_text(el, "IsDefault").lower() in ("1", "true"),
            base=_text(el, "BaseCalendarObjectId"),
        )
        place = f'calendar "{cal.name or cal.id}"'
        cal.place = place
        notes: list[str] = []
        try:
            cal.hours_given = bool(_text(el, "HoursPerDay"))
            cal.hours_per_day = checked_hours_per_day(
                self.number(el, "HoursPerDay", place),
                cal.hours_given,
                f"{place} > HoursPerDay",
                cal.name,
                notes,
            )
            for week in _children(el, "StandardWorkWeek"):
                for day in _children(week, "StandardWorkHours"):
                    weekday = WEEKDAY_NAMES.get(_text(day, "DayOfWeek").lower())
                    if weekday:
                        where = f"{place} > StandardWorkHours ({weekday})"
                        cal.set_day(weekday, self.work_times(day, where, notes))
            for group in _children(el, "HolidayOrExceptions"):
                for exc in _children(group, "HolidayOrException"):
                    when = self.date(exc, "Date", f"{place} > HolidayOrException")
                    if when is not None:
                        where = f"{place} > HolidayOrException {when}"
                        cal.set_exception(when, self.work_times(exc, where, notes))
        except ModelError as exc:
            cal.error = ModelError(exc.problems, self.source)
        self.warnings.extend(notes)
        return cal

    def work_times(self, el: Any, place: str, notes: list[str]) -> list[tuple[float, float]]:
        """The WorkTime periods of a weekday or exception, as minutes. ``<WorkTime
        xsi:nil="true"/>`` and an empty WorkTime mean no work; an unreadable one is reported."""
        out = []
        for work in _children(el, "WorkTime"):
            start, finish = _text(work, "Start"), _text(work, "Finish")
            if work.get(NIL) == "true" or not (start or finish):
                continue
            period = work_period(start, finish, last_minute=True)
            if period is None:
                notes.append(
                    f"{place}: work time {show(start)}-{show(finish)} is not a time span "
                    "within a day; left out"
                )
                continue
            out.append(period)
        return sorted(out)

    # -- user-defined fields ---------------------------------------------------------------
    def udf_roles(self, root: Any) -> dict[str, str]:
        if not self.three_point:
            return {}
        types = {
            _text(t, "ObjectId"): _text(t, "Title")
            for t in _children(root, "UDFType")
            if _text(t, "SubjectArea", "Activity").lower() == "activity"
        }
        return three_point_roles(
            self.three_point,
            {k: (title.lower(),) for k, title in types.items()},
            self.source,
            what="an activity user-defined field",
            known=sorted(types.values()),
        )

    # -- activities -----------------------------------------------------------------------------
    def read_activities(self, root: Any, proj: Any) -> dict[str, RawTask]:
        paths = outline_paths(
            {
                _text(w, "ObjectId"): (
                    _text(w, "Name"),
                    _text(w, "Code"),
                    _text(w, "ParentObjectId"),
                )
                for w in _children(proj, "WBS")
            },
            self.warnings,
        )
        roles = self.udf_roles(root)
        raw: dict[str, RawTask] = {}
        used: dict[str, str] = {}  # activity ID -> ObjectId of the activity holding it
        for el in _children(proj, "Activity"):
            key = _required(el, "ObjectId", _where(el))
            if key in raw:
                raise ModelError(
                    f"{_where(el)} > ObjectId: {show(key)} is the ObjectId of another activity "
                    f"too ({raw[key].label}); the file is damaged. Export it again from P6",
                    self.source,
                )
            code = _text(el, "Id") or key
            if code in used:  # as P6 does not allow, but a damaged or merged file may hold
                self.warnings.append(
                    f'task "{code}": activity ID used twice (ObjectIds {used[code]} and {key}); '
                    f'the second one is imported as "{code}#{key}"'
                )
                code = f"{code}#{key}"
            used[code] = key
            item = RawTask(key=key, id=code, name=_text(el, "Name"))
            item.tags["source_id"], item.tags["source_uid"] = _text(el, "Id") or key, key
            label = item.label
            _required(el, "PlannedDuration", label)
            path, code = paths.get(_text(el, "WBSObjectId"), ("", ""))
            if path:
                item.tags["wbs"] = path
            if code:
                item.tags["wbs_code"] = code
            clndr = _text(el, "CalendarObjectId")
            # Durations are working days of the activity's own calendar.
            per_day = self.own_calendar(item, clndr, clndr).hours_per_day or 8.0
            item.days = self.number(el, "PlannedDuration", label) / per_day
            kind = _text(el, "Type", "Task Dependent").lower()
            stretched = kind if kind in ("level of effort", "wbs summary") else None
            self.activity_type(item, kind in MILESTONE_TYPES, stretched)
            fraction = self.number(el, "PercentComplete", label)
            item.percent_complete = min(100.0, max(0.0, fraction * 100))
            status = _text(el, "Status")
            remain = _text(el, "RemainingDuration")
            self.progress(
                item,
                STATUS.get(status.lower(), ""),
                self.date(el, "ActualStartDate", label),
                self.date(el, "ActualFinishDate", label),
                self.number(el, "RemainingDuration", label) if remain else None,
                per_day,
                f"(Status {status})" if status else "",
            )
            for which in ("Primary", "Secondary"):
                ctype = _text(el, f"{which}ConstraintType")
                cdate = self.date(el, f"{which}ConstraintDate", label)
                self.constraint(item, ctype.lower(), cdate, ctype)
            if roles:
                values: dict[str, float] = {}
                for udf in _children(el, "UDF"):
                    role = roles.get(_text(udf, "TypeObjectId"))
                    value = next(
                        (
                            _text(udf, k)
                            for k in ("DoubleValue", "IntegerValue", "CostValue", "TextValue")
                            if _text(udf, k)
                        ),
                        "",
                    )
                    if role and value:
                        try:
                            values[role] = float(value)
                            if not limits.finite(values[role]):
                                raise ValueError(value)
                        except ValueError:
                            values.pop(role, None)
                            self.warnings.append(
                                f"{label}: user field value {value!r} is not a "
                                "number of working days; ignored"
                            )
                if values:
                    item.three_point = (values.get("low"), values.get("mode"), values.get("high"))
            raw[key] = item
        if not raw:
            raise ModelError("the project has no activities", self.source)
        return raw

    # -- relationships ---------------------------------------------------------------------------
    def read_links(self, proj: Any, raw: dict[str, RawTask]) -> None:
        value = _text(proj, "RelationshipLagCalendar")
        if value and value.lower() not in LAG_CALENDARS:
            self.warnings.append(
                f"Project > RelationshipLagCalendar: {show(value)} is not a lag calendar P6 "
                "writes; lags use the predecessor's calendar"
            )
        setting = LAG_CALENDARS.get(value.lower(), "predecessor")
        cal_of = {
            k: _text(el, "CalendarObjectId")
            for el in _children(proj, "Activity")
            for k in [_text(el, "ObjectId")]
        }
        for rel in _children(proj, "Relationship"):
            succ, pred = (
                _required(rel, "SuccessorActivityObjectId", "Relationship"),
                _required(rel, "PredecessorActivityObjectId", "Relationship"),
            )
            if succ not in raw:
                continue
            item = raw[succ]
            text = _text(rel, "Type", "Finish to Start")
            kind = LINK_TYPES.get(text.lower())
            if kind is None:
                raise ModelError(
                    f"{item.label} > Relationship > Type: {text!r} is not one of "
                    "Finish to Start, Start to Start, Finish to Finish, Start to "
                    "Finish",
                    self.source,
                )
            hours = self.number(rel, "Lag", item.label)
            item.links.append(
                self.lag_link(pred, kind, hours, setting, cal_of.get(pred), cal_of.get(succ))
            )

    # -- resources --------------------------------------------------------------------------------
    def read_resources(self, root: Any, start: dt.date) -> dict[str, Resource]:
        out: dict[str, Resource] = {}
        for el in _children(root, "Resource"):
            key = _text(el, "ObjectId")
            rid, name = _text(el, "Id") or key, _text(el, "Name")
            label = f'resource "{rid}" ({name})'
            periods = _children(el, "ResourceRate")
            rates = [
                (self.date(r, "EffectiveDate", label), self.number(r, "PricePerUnit", label))
                for r in periods
            ]
            if not rates and _text(el, "PricePerUnit"):
                rates = [(None, self.number(el, "PricePerUnit", label))]
            hourly = pick_rate(rates, start, label, self.warnings)
            most = [
                (self.date(r, "EffectiveDate", label), self.number(r, "MaxUnitsPerTime", label))
                for r in periods
                if _text(r, "MaxUnitsPerTime")
            ]
            capacity, changes = capacity_steps(most, start)
            out[key] = Resource(rid, name, hourly * self.calendar.hours_per_day, capacity, changes)
        for el in _children(root, "ResourceRate"):  # rates may also sit at the top level
            key = _text(el, "ResourceObjectId")
            if key in out and out[key].rate == 0:
                rate = self.number(el, "PricePerUnit", out[key].id)
                out[key] = dataclasses.replace(out[key], rate=rate * self.calendar.hours_per_day)
        return out

    def read_assignments(
        self, proj: Any, raw: dict[str, RawTask], resources: dict[str, Resource]
    ) -> None:
        for el in _children(proj, "ResourceAssignment"):
            item = raw.get(_required(el, "ActivityObjectId", "ResourceAssignment"))
            if item is None:
                continue
            res = resources.get(_text(el, "ResourceObjectId"))
            if res is None:
                self.warnings.append(
                    f"{item.label}: assignment without a known resource (role only) not imported"
                )
                continue
            units = self.number(el, "PlannedUnitsPerTime", item.label, 1.0)
            item.assignments.append(Assignment(res.id, units))

    def read_expenses(self, proj: Any, raw: dict[str, RawTask]) -> None:
        """The project's ActivityExpense elements (amounts in the project currency) summed
        into their activities' fixed costs; one of an activity not in the file is reported."""
        for el in _children(proj, "ActivityExpense"):
            key = _text(el, "ActivityObjectId")
            item = raw.get(key)
            if item is None:
                self.warnings.append(
                    f"{_where(el)}: expense {limits.quote(_text(el, 'ExpenseItem'))} of "
                    f"activity ObjectId {limits.quote(key)}, which is not in the file; not imported"
                )
                continue
            where = f"{item.label} > {_where(el)}"
            actual, remaining = (
                self.number(el, name, where) if _text(el, name) else None
                for name in ("ActualCost", "RemainingCost")
            )
            self.add_expense(item, self.number(el, "PlannedCost", where), actual, remaining)


def read_pmxml(
    path: str | os.PathLike[str],
    project: str | None = None,
    three_point: Sequence[str | None] | None = None,
) -> ImportResult:
    """Read a P6 PMXML file. ``project`` picks one (its Id) from a multi-project export;
    ``three_point`` names activity user-defined fields (UDFType Title) holding low, most likely
    and high durations in working days."""
    with naming(str(path)):
        return _Reader(Path(path), project, three_point).read()
