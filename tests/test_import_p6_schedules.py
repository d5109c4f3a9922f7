"""Primavera P6 (XER and PMXML) calendars, constraints, progress, lag calendars, encodings and
multi-project files, checked on real P6 exports (tests/data/mpxj, tests/data/p6).

Expected values come from the files themselves: work periods and hours per day of the
calendars, activity hours, status codes, actual dates and the dates P6 stored.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from riskcast import cli
from riskcast.errors import ModelError
from riskcast.io.pmxml import read_pmxml
from riskcast.io.schedules import read_schedule
from riskcast.io.xer import read_xer
from tests.stored_dates_p6 import stored_dates
from tests.test_import_xer import add_rows, row_of

HERE = Path(__file__).parent
XER = HERE / "data" / "mpxj" / "xer"
PMXML = HERE / "data" / "mpxj" / "pmxml"
P6 = HERE / "data" / "p6"
XER_LAG = XER / "PredecessorCalendar.xer"
XML_LAG = PMXML / "PredecessorCalendar.xml"
MINUTES = {"08-12": (480.0, 720.0), "13-17": (780.0, 1020.0)}


def xer_text(path: Path = XER_LAG) -> str:
    return path.read_text(encoding="cp1252")


def write(tmp_path: Path, text: str, name: str = "plan.xer", encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    # The real files' currency table holds symbols (pound, yen) a Cyrillic code page lacks.
    path.write_bytes(text.encode(encoding, errors="replace" if encoding == "cp1251" else "strict"))
    return path


def with_task(text: str, **fields: str) -> str:
    """The real file plus one activity: the real one's row, not started and without
    constraints unless ``fields`` say otherwise."""
    task = row_of(text, "TASK")
    fresh = {
        "task_id": "2",
        "task_code": "B1",
        "status_code": "TK_NotStart",
        "act_start_date": "",
        "act_end_date": "",
        "cstr_type": "",
        "cstr_date": "",
    }
    return add_rows(text, "TASK", [{**task, **fresh, **fields}])


# --- 1. calendars with their working times -------------------------------------------------


def test_xer_calendar_working_times_from_clndr_data():
    project = read_xer(XER_LAG).project
    cal = project.calendar
    # clndr_data: Mon-Fri (days 2-6) work (s|08:00|f|12:00) and (s|13:00|f|17:00).
    assert cal.name == "5 Day"
    assert cal.hours == (MINUTES["08-12"], MINUTES["13-17"])
    assert cal.weekday_hours == {}
    assert cal.periods_on(dt.date(2019, 6, 10)) == (MINUTES["08-12"], MINUTES["13-17"])
    assert cal.periods_on(dt.date(2019, 6, 8)) == ()  # a Saturday
    assert cal.periods_on(dt.date(2019, 7, 4)) == ()  # exception d|43650


def test_xer_activity_on_its_own_calendar(tmp_path):
    text = xer_text()
    cal = row_of(text, "CALENDAR")
    # A 7-day calendar of 10 hours a day: 07:00-12:00 and 13:00-18:00 every day.
    day = "(0||0(s|07:00|f|12:00)())(0||1(s|13:00|f|18:00)())"
    week = "".join(f"(0||{n}()({day}))" for n in range(1, 8))
    data = f"(0||CalendarData()((0||DaysOfWeek()({week}))(0||Exceptions()())))"
    text = add_rows(
        text,
        "CALENDAR",
        [{**cal, "clndr_id": "77", "clndr_name": "7x10", "day_hr_cnt": "10", "clndr_data": data}],
    )
    text = with_task(text, clndr_id="77", target_drtn_hr_cnt="35", status_code="TK_NotStart")
    result = read_xer(write(tmp_path, text))
    task = result.project.task("B1")
    assert task.calendar == "7x10"
    assert task.estimate.to_spec() == {"fixed": 3.5}  # 35 h / 10 h per day
    seven = result.project.calendars["7x10"]
    assert (seven.workdays, seven.hours_per_day) == (
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        10.0,
    )
    assert seven.hours == ((420.0, 720.0), (780.0, 1080.0))
    assert result.project.task("A1000").calendar is None  # on the project calendar
    assert result.warnings == []


def test_xer_hours_per_day_disagreeing_with_work_periods(tmp_path):
    text = xer_text()
    text = text.replace("\t8\t40\t", "\t7\t40\t", 1)  # day_hr_cnt 7, work periods 8 h
    result = read_xer(write(tmp_path, text))
    assert result.project.calendar.hours_per_day == 8.0
    assert result.project.task("A1000").estimate.to_spec() == {"fixed": 3.0}  # 24 h / 8 h
    (warning,) = result.warnings
    assert 'calendar "5 Day": 7 hours per day, but its work periods hold 8 hours' in warning


def test_xer_exception_with_other_hours_and_base_calendar(tmp_path):
    text = xer_text()
    cal = row_of(text, "CALENDAR")
    data = cal["clndr_data"].replace(
        "(0||0(d|43650)())", "(0||0(d|43650)((0||0(s|08:00|f|12:00)())))"
    )
    own = "(0||CalendarData()((0||Exceptions()((0||0(d|43800)())))))"  # 2019-11-30, a Saturday
    text = add_rows(
        text.replace(cal["clndr_data"], data),
        "CALENDAR",
        [
            {
                **cal,
                "clndr_id": "5",
                "clndr_name": "Child",
                "base_clndr_id": cal["clndr_id"],
                "clndr_data": own,
            }
        ],
    )
    text = with_task(text, clndr_id="5", status_code="TK_NotStart")
    result = read_xer(write(tmp_path, text))
    # 2019-07-04 works the morning only; the base calendar's week and holidays are inherited.
    assert result.project.calendar.periods_on(dt.date(2019, 7, 4)) == (MINUTES["08-12"],)
    child = result.project.calendars[result.project.task("B1").calendar]
    assert child.periods_on(dt.date(2019, 7, 4)) == (MINUTES["08-12"],)
    assert child.periods_on(dt.date(2019, 12, 25)) == ()
    assert child.hours == (MINUTES["08-12"], MINUTES["13-17"])


def test_pmxml_calendar_working_times():
    project = read_pmxml(XML_LAG).project
    cal = project.calendar
    # WorkTime 07:00:00-11:59:00 and 12:30:00-15:29:00: P6 writes the last working minute.
    assert cal.hours == ((420.0, 720.0), (750.0, 930.0))
    assert cal.hours_per_day == 8.0
    assert cal.workdays == ("mon", "tue", "wed", "thu", "fri")


# --- 2. PMXML nil work times, exceptions, decimal commas --------------------------------------


NIL_DAY = '<WorkTime xsi:nil="true"/>'


def test_pmxml_nil_work_time_is_a_non_working_day_and_exceptions_are_kept(tmp_path):
    text = XML_LAG.read_text(encoding="utf-8")
    for day in ("Saturday", "Sunday"):
        text = text.replace(
            f"<DayOfWeek>{day}</DayOfWeek>", f"<DayOfWeek>{day}</DayOfWeek>{NIL_DAY}"
        )
    text = text.replace(
        "<HolidayOrExceptions>\n    </HolidayOrExceptions>",
        "<HolidayOrExceptions><HolidayOrException><Date>2021-04-02T00:00:00</Date>"
        f"{NIL_DAY}</HolidayOrException><HolidayOrException><Date>2021-04-03T00:00:00</Date>"
        "<WorkTime><Start>08:00:00</Start><Finish>11:59:00</Finish></WorkTime>"
        "</HolidayOrException></HolidayOrExceptions>",
        1,
    )
    text = text.replace("<HoursPerDay>8.0</HoursPerDay>", "<HoursPerDay>8,0</HoursPerDay>", 1)
    text = text.replace("<PlannedDuration>360.0<", "<PlannedDuration>360,0<", 1)
    assert text.count(NIL_DAY) == 3
    result = read_pmxml(write(tmp_path, text, "plan.xml", "utf-8"))
    cal = result.project.calendar
    assert cal.workdays == ("mon", "tue", "wed", "thu", "fri")
    assert cal.holidays == (dt.date(2021, 4, 2),)  # a Friday
    assert cal.exceptions == {dt.date(2021, 4, 3): ((480.0, 720.0),)}  # a working Saturday
    assert result.project.task("A1000").estimate.to_spec() == {"fixed": 45.0}
    assert result.warnings == []


def test_the_real_pmxml_weekends_do_not_work():
    for path in sorted(PMXML.glob("*.xml")):
        cal = read_schedule(path).project.calendar
        assert cal.workdays == ("mon", "tue", "wed", "thu", "fri"), path


# --- 3. lag calendars (see also test_import_xer / test_import_pmxml) -------------------------


def test_the_four_lag_files_name_the_lag_calendar(tmp_path):
    """The four real XER files differ only in the option; a link with a lag added to each."""
    found = {}
    for name in ("Predecessor", "Successor", "ProjectDefault", "TwentyFourHour"):
        text = with_task(xer_text(XER / f"{name}Calendar.xer"))
        link = {
            "task_pred_id": "1",
            "task_id": "2",
            "pred_task_id": row_of(text, "TASK")["task_id"],
            "pred_type": "PR_FS",
            "lag_hr_cnt": "12",
        }
        project = read_xer(write(tmp_path, add_rows(text, "TASKPRED", [link]))).project
        found[name] = (project.task("B1").after[0].calendar, project.task("B1").after[0].lag)
    assert found == {
        "Predecessor": (None, 1.5),  # both on the project calendar: 12 h / 8 h
        "Successor": (None, 1.5),
        "ProjectDefault": (None, 1.5),
        "TwentyFourHour": ("24 hours", 0.5),  # 12 h / 24 h
    }


# --- 4. constraints ------------------------------------------------------------------------

XER_CONSTRAINTS = [
    ("CS_MSOA", {"not_before": "D"}),
    ("CS_MSOB", {"not_after": "D"}),
    ("CS_MEOA", {"finish_not_before": "D"}),
    ("CS_MEOB", {"finish_not_after": "D"}),
    ("CS_MSO", {"not_before": "D", "not_after": "D"}),
    ("CS_MANDSTART", {"not_before": "D", "not_after": "D"}),
    ("CS_MEO", {"finish_not_before": "D", "finish_not_after": "D"}),
    ("CS_MANDFIN", {"finish_not_before": "D", "finish_not_after": "D"}),
    ("CS_ALAP", {"alap": True}),
]
FIELDS = ("not_before", "not_after", "finish_not_before", "finish_not_after", "alap")


def constraint_fields(task) -> dict:
    return {f: getattr(task, f) for f in FIELDS if getattr(task, f) not in (None, False)}


@pytest.mark.parametrize(("code", "expected"), XER_CONSTRAINTS)
def test_xer_constraint_types(tmp_path, code, expected):
    day = dt.date(2019, 7, 1)
    text = with_task(
        xer_text(),
        status_code="TK_NotStart",
        cstr_type=code,
        cstr_date="2019-07-01 08:00",
        act_start_date="",
        act_end_date="",
    )
    result = read_xer(write(tmp_path, text))
    want = {k: day if v == "D" else v for k, v in expected.items()}
    assert constraint_fields(result.project.task("B1")) == want
    assert not [w for w in result.warnings if "constraint" in w]


def test_xer_primary_and_secondary_constraints_combine(tmp_path):
    text = with_task(
        xer_text(),
        status_code="TK_NotStart",
        act_start_date="",
        act_end_date="",
        cstr_type="CS_MSOA",
        cstr_date="2019-07-01 08:00",
        cstr_type2="CS_MEOB",
        cstr_date2="2019-08-30 17:00",
    )
    task = read_xer(write(tmp_path, text)).project.task("B1")
    assert constraint_fields(task) == {
        "not_before": dt.date(2019, 7, 1),
        "finish_not_after": dt.date(2019, 8, 30),
    }


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("Start On or After", ("not_before",)),
        ("Start On or Before", ("not_after",)),
        ("Finish On or After", ("finish_not_before",)),
        ("Finish On or Before", ("finish_not_after",)),
        ("Start On", ("not_before", "not_after")),
        ("Mandatory Start", ("not_before", "not_after")),
        ("Finish On", ("finish_not_before", "finish_not_after")),
        ("Mandatory Finish", ("finish_not_before", "finish_not_after")),
        ("As Late As Possible", ("alap",)),
    ],
)
def test_pmxml_constraint_types(tmp_path, kind, expected):
    text = XML_LAG.read_text(encoding="utf-8")
    text = text.replace(
        "<PrimaryConstraintType/>",
        f"<PrimaryConstraintDate>2021-03-01T08:00:00</PrimaryConstraintDate>"
        f"<PrimaryConstraintType>{kind}</PrimaryConstraintType>",
    )
    result = read_pmxml(write(tmp_path, text, "plan.xml", "utf-8"))
    got = constraint_fields(result.project.task("A1000"))
    assert got == {f: True if f == "alap" else dt.date(2021, 3, 1) for f in expected}
    assert result.warnings == []


def test_unknown_constraint_and_constraint_without_date_are_reported(tmp_path):
    text = with_task(
        xer_text(),
        status_code="TK_NotStart",
        act_start_date="",
        act_end_date="",
        cstr_type="CS_Whatever",
        cstr_date="2019-07-01 08:00",
        cstr_type2="CS_MSOB",
        cstr_date2="",
    )
    warnings = read_xer(write(tmp_path, text)).warnings
    assert any('constraint "CS_Whatever 2019-07-01" is not supported' in w for w in warnings)
    assert any('constraint "start on or before" has no date' in w for w in warnings)


# --- 5. progress ---------------------------------------------------------------------------


def test_xer_progress_from_the_real_file():
    project = read_xer(XER / "percent-complete-8.4.xer").project
    assert project.status_date == dt.date(2015, 2, 24)  # last_recalc_date 2015-02-24 00:00
    tasks = {t.id: t for t in project.tasks}
    # A1000 TK_NotStart: no actual dates, no remaining duration.
    assert (tasks["A1000"].actual_start, tasks["A1000"].remaining) == (None, None)
    # A1010 TK_Active, remain_drtn_hr_cnt 600 h / 8 h = 75 working days; A1030: 0 left.
    assert (tasks["A1010"].actual_start, tasks["A1010"].remaining) == (dt.date(2015, 2, 24), 75.0)
    assert tasks["A1020"].remaining == 25.0
    assert tasks["A1030"].remaining == 0.0
    assert all(t.actual_finish is None for t in tasks.values())


def test_completed_activity_and_data_date():
    xer = read_xer(XER_LAG).project
    task = xer.task("A1000")  # TK_Complete, act 2019-06-10 08:00 .. 2019-06-12 17:00
    assert (task.actual_start, task.actual_finish, task.remaining) == (
        dt.date(2019, 6, 10),
        dt.date(2019, 6, 12),
        None,
    )
    assert xer.status_date == dt.date(2019, 10, 2)  # last_recalc_date 2019-10-02 00:00
    xml = read_pmxml(XML_LAG).project
    # DataDate 2021-05-17T22:00:00: after the day's work, so the forecast starts the next day.
    assert xml.status_date == dt.date(2021, 5, 18)
    task = xml.task("A1000")
    assert (task.actual_start, task.actual_finish, task.percent_complete) == (
        dt.date(2021, 2, 5),
        dt.date(2021, 4, 19),
        100.0,
    )


def test_pmxml_in_progress_activity_remaining_on_its_calendar(tmp_path):
    text = XML_LAG.read_text(encoding="utf-8")
    text = text.replace("<Status>Completed</Status>", "<Status>In Progress</Status>")
    text = text.replace(
        "<RemainingDuration>0.0</RemainingDuration>", "<RemainingDuration>20,0</RemainingDuration>"
    )
    result = read_pmxml(write(tmp_path, text, "plan.xml", "utf-8"))
    task = result.project.task("A1000")
    # In progress: the actual finish the file still holds is dropped, 20 h / 8 h remain.
    assert (task.actual_start, task.actual_finish, task.remaining) == (
        dt.date(2021, 2, 5),
        None,
        2.5,
    )
    assert any("status (Status In Progress) is 'active'" in w for w in result.warnings)


def test_status_code_decides_which_actual_dates_apply(tmp_path):
    real = row_of(xer_text(), "TASK")
    text = with_task(
        xer_text(),
        remain_drtn_hr_cnt="24",
        act_start_date=real["act_start_date"],
        act_end_date=real["act_end_date"],
    )
    result = read_xer(write(tmp_path, text))
    task = result.project.task("B1")  # the copied row keeps actual dates: not started wins
    assert (task.actual_start, task.actual_finish, task.remaining) == (None, None, None)
    assert any('task "B1"' in w and "actual start and finish date" in w for w in result.warnings)


# --- 6. encodings, damaged calendars ----------------------------------------------------------


def test_xer_in_code_page_1251_reads_as_cyrillic(tmp_path):
    text = with_task(xer_text(), task_name="Монтаж каркаса здания", status_code="TK_NotStart")
    result = read_xer(write(tmp_path, text, encoding="cp1251"))
    assert result.project.task("B1").name == "Монтаж каркаса здания"
    assert any("Windows-1251 (Cyrillic)" in w for w in result.warnings)
    # A header naming the code page is followed as it is.
    text = text.replace("\tUSD\n", "\tUSD\t1251\n", 1)
    assert read_xer(write(tmp_path, text, encoding="cp1251")).project.task("B1").name == (
        "Монтаж каркаса здания"
    )


def test_xer_western_code_page_and_utf8(tmp_path):
    text = with_task(xer_text(), task_name="Größe £ Straße", status_code="TK_NotStart")
    result = read_xer(write(tmp_path, text, encoding="cp1252"))
    assert (result.project.task("B1").name, result.warnings) == ("Größe £ Straße", [])
    result = read_xer(write(tmp_path, text, encoding="utf-8"))
    assert (result.project.task("B1").name, result.warnings) == ("Größe £ Straße", [])


def test_damaged_calendar_no_activity_uses_is_a_warning():
    # invalid-8.4.xer: calendar 179 "Test - Invalid" has cut-off clndr_data; the activities
    # are on calendar 178.
    result = read_schedule(P6 / "invalid-8.4.xer")
    assert len(result.project.tasks) == 12
    damaged = [w for w in result.warnings if "calendar data damaged" in w]
    assert len(damaged) == 1
    assert 'table CALENDAR, line 33 > clndr_data (calendar "Test - Invalid")' in damaged[0]
    assert "no activity uses this calendar" in damaged[0]


def test_damaged_calendar_an_activity_uses_is_an_error(tmp_path):
    text = (P6 / "invalid-8.4.xer").read_text(encoding="cp1252")
    text = text.replace("\t26010\t178\t0\tN\t1\t", "\t26010\t179\t0\tN\t1\t", 1)
    path = write(tmp_path, text)
    with pytest.raises(ModelError) as info:
        read_xer(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert 'line 33 > clndr_data (calendar "Test - Invalid"): calendar data damaged' in message


# --- 7. multi-project files --------------------------------------------------------------


def two_projects(tmp_path: Path, stub: bool = False) -> Path:
    text = xer_text(XER / "resource-rates-test.xer")
    project = row_of(text, "PROJECT")
    other = {**project, "proj_id": "999", "proj_short_name": "OTHER"}
    if stub:
        other["export_flag"] = "N"
    text = add_rows(text, "PROJECT", [other])
    task = row_of(text, "TASK")
    text = add_rows(text, "TASK", [{**task, "task_id": "5", "proj_id": "999", "task_code": "Z9"}])
    return write(tmp_path, text, "two.xer")


def test_cli_import_picks_the_project(tmp_path):
    path = two_projects(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    model = tmp_path / "other.toml"
    argv = ["import", str(path), "--project", "OTHER", "-o", str(model)]
    code = cli.main(argv, stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert '"Z9"' in model.read_text(encoding="utf-8")
    assert '"A1000"' not in model.read_text(encoding="utf-8")
    err = io.StringIO()
    argv = ["import", str(path), "-o", str(tmp_path / "x.toml")]
    code = cli.main(argv, stdout=io.StringIO(), stderr=err)
    assert code != 0
    assert "2 projects (NEWPROJ, OTHER)" in err.getvalue()
    assert "--project" in err.getvalue()


def test_stub_projects_are_not_offered(tmp_path):
    path = two_projects(tmp_path, stub=True)
    assert [t.id for t in read_schedule(path).project.tasks] == ["A1000"]
    with pytest.raises(ModelError, match="no project 'OTHER' in the file"):
        read_schedule(path, project="OTHER")


def test_pmxml_with_two_projects_needs_a_choice(tmp_path):
    text = XML_LAG.read_text(encoding="utf-8")
    start, end = text.index("  <Project>"), text.rindex("</Project>") + len("</Project>")
    second = text[start:end].replace("<Id>201020</Id>", "<Id>OTHER</Id>", 1)
    second = second.replace("<Id>A1000</Id>", "<Id>Z1</Id>")
    path = write(tmp_path, text[:end] + "\n" + second + text[end:], "two.xml", "utf-8")
    with pytest.raises(ModelError, match=r"2 projects \(201020, OTHER\).*--project"):
        read_schedule(path)
    assert [t.id for t in read_schedule(path, project="OTHER").project.tasks] == ["Z1"]


# --- 8. the dates P6 stored ----------------------------------------------------------------


def test_stored_dates_of_the_real_files():
    assert stored_dates(XER_LAG) == {"A1000": (dt.date(2019, 6, 10), dt.date(2019, 6, 12))}
    assert stored_dates(XML_LAG) == {"A1000": (dt.date(2021, 2, 5), dt.date(2021, 4, 19))}
    dates = stored_dates(XER / "percent-complete-8.4.xer")
    assert len(dates) == 12
    # A1010: started 2015-02-24, 600 h left: P6's early finish 2015-06-08.
    assert dates["A1010"] == (dt.date(2015, 2, 24), dt.date(2015, 6, 8))
    assert dates["A1000"] == (dt.date(2015, 2, 24), dt.date(2015, 7, 13))


def test_stored_dates_match_the_imported_actual_dates():
    for path in [*sorted(XER.glob("*.xer")), *sorted(PMXML.glob("*.xml"))]:
        project = read_schedule(path).project
        dates = stored_dates(path)
        assert {t.id for t in project.tasks} == set(dates), path
        for task in project.tasks:
            if task.actual_start is not None:
                assert dates[task.id][0] == task.actual_start, (path, task.id)
            if task.actual_finish is not None:
                assert dates[task.id][1] == task.actual_finish, (path, task.id)


# --- bad input -----------------------------------------------------------------------------


def test_bad_constraint_date_and_remaining_duration_name_file_and_place(tmp_path):
    text = with_task(xer_text(), cstr_date="someday")
    path = write(tmp_path, text)
    with pytest.raises(ModelError, match=r"plan\.xer: table TASK, line \d+ > cstr_date: expected"):
        read_xer(path)
    text = with_task(xer_text(), status_code="TK_Active", act_end_date="", remain_drtn_hr_cnt="x")
    with pytest.raises(ModelError, match=r"line \d+ > remain_drtn_hr_cnt: expected a number"):
        read_xer(write(tmp_path, text))
    text = XML_LAG.read_text(encoding="utf-8").replace(
        "<RemainingDuration>0.0<", "<RemainingDuration>lots<"
    )
    with pytest.raises(
        ModelError, match=r'task "A1000" \(Test\) > RemainingDuration: expected a number'
    ):
        read_pmxml(write(tmp_path, text, "plan.xml", "utf-8"))
