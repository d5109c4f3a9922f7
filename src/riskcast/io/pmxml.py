"""Read Primavera P6 PMXML (``APIBusinessObjects``) into a riskcast Project.

Units in the file: durations (``PlannedDuration``) and lags (``Relationship/Lag``) are hours; a
calendar's ``HoursPerDay`` gives its working day; ``PercentComplete`` is a fraction (1.0 = 100 %);
resource prices (``PricePerUnit``) are per hour; dates are ISO date-times.

Elements read: ``Calendar`` (global ones at the top level and project calendars inside
``Project``), ``Project`` (``PlannedStartDate``, ``ActivityDefaultCalendarObjectId``,
``RelationshipLagCalendar``), ``WBS``, ``Activity``, ``Relationship``, ``Resource`` with
``ResourceRate``, ``ResourceAssignment`` and ``UDFType``/``UDF`` for three-point estimates.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..model import Assignment, Resource
from . import limits
from ._p6 import CalendarData, P6Reader, checked_hours_per_day, pick_project, pick_rate
from .limits import show
from .schedules import (
    ImportResult,
    RawLink,
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
        return parse_number(_text(el, name), f"{place} > {name}", self.source, default)

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
        name = _text(proj, "Name") or _text(proj, "Id") or self.path.stem
        status = self.date(proj, "DataDate", "Project")
        return self.result(name, start, self.calendar, raw, resources, status)

    def pick_project(self, root: Any) -> Any:
        """The <Project> element to read."""
        projects = _children(root, "Project")
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
        cal = CalendarData(
            id=_text(el, "ObjectId"),
            name=_text(el, "Name"),
            default=_text(el, "IsDefault") in ("1", "true"),
            base=_text(el, "BaseCalendarObjectId"),
        )
        place = f'calendar "{cal.name}"'
        cal.hours_per_day = checked_hours_per_day(
            self.number(el, "HoursPerDay", place),
            bool(_text(el, "HoursPerDay")),
            f"{place} > HoursPerDay",
            cal.name,
            self.warnings,
        )
        for week in _children(el, "StandardWorkWeek"):
            for day in _children(week, "StandardWorkHours"):
                weekday = WEEKDAY_NAMES.get(_text(day, "DayOfWeek").lower())
                if weekday:
                    cal.week[weekday] = bool(_children(day, "WorkTime"))
        for group in _children(el, "HolidayOrExceptions"):
            for exc in _children(group, "HolidayOrException"):
                when = self.date(exc, "Date", place)
                if when is not None:
                    cal.exceptions[when] = bool(_children(exc, "WorkTime"))
        return cal

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
            label = item.label
            _required(el, "PlannedDuration", label)
            path, code = paths.get(_text(el, "WBSObjectId"), ("", ""))
            if path:
                item.tags["wbs"] = path
            if code:
                item.tags["wbs_code"] = code
            clndr = _text(el, "CalendarObjectId")
            cal = self.calendars.get(clndr, self.project_cal)
            item.days = self.number(el, "PlannedDuration", label) / cal.hours_per_day
            self.own_calendar(item, clndr, cal.name)
            kind = _text(el, "Type", "Task Dependent").lower()
            stretched = kind if kind in ("level of effort", "wbs summary") else None
            self.activity_type(item, kind in MILESTONE_TYPES, stretched)
            fraction = self.number(el, "PercentComplete", label)
            item.percent_complete = 100.0 if _text(el, "Status") == "Completed" else fraction * 100
            item.actual_start = self.date(el, "ActualStartDate", label)
            item.actual_finish = self.date(el, "ActualFinishDate", label)
            for which in ("Primary", "Secondary"):
                ctype = _text(el, f"{which}ConstraintType")
                cdate = self.date(el, f"{which}ConstraintDate", label)
                self.constraint(item, ctype.lower() == "start on or after", ctype.lower(), cdate)
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
        setting = LAG_CALENDARS.get(_text(proj, "RelationshipLagCalendar").lower(), "predecessor")
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
                RawLink(
                    pred,
                    kind,
                    self.lag_days(hours, setting, cal_of.get(pred), cal_of.get(succ), item, kind),
                )
            )

    # -- resources --------------------------------------------------------------------------------
    def read_resources(self, root: Any, start: dt.date) -> dict[str, Resource]:
        out: dict[str, Resource] = {}
        for el in _children(root, "Resource"):
            key = _text(el, "ObjectId")
            rid, name = _text(el, "Id") or key, _text(el, "Name")
            label = f'resource "{rid}" ({name})'
            rates = [
                (self.date(r, "EffectiveDate", label), self.number(r, "PricePerUnit", label))
                for r in _children(el, "ResourceRate")
            ]
            if not rates and _text(el, "PricePerUnit"):
                rates = [(None, self.number(el, "PricePerUnit", label))]
            hourly = pick_rate(rates, start, label, self.warnings)
            out[key] = Resource(rid, name, hourly * self.calendar.hours_per_day)
        for el in _children(root, "ResourceRate"):  # rates may also sit at the top level
            key = _text(el, "ResourceObjectId")
            if key in out and out[key].rate == 0:
                rate = self.number(el, "PricePerUnit", out[key].id)
                out[key] = Resource(out[key].id, out[key].name, rate * self.calendar.hours_per_day)
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
