"""Primavera P6 XER import, checked against real P6 exports (tests/data/mpxj/xer).

Expected values come from the files: calendar rows (day_hr_cnt, clndr_data), activity hours,
percent-complete fields (the activity names state the expected percentage), resource rates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from riskcast.distributions import Fixed, Pert
from riskcast.errors import ModelError
from riskcast.io.schedules import read_schedule
from riskcast.io.xer import parse_calendar_data, read_tables, read_xer

DATA = Path(__file__).parent / "data" / "mpxj" / "xer"
LAG_FILES = {
    "PredecessorCalendar.xer": "rcal_Predecessor",
    "SuccessorCalendar.xer": "rcal_Successor",
    "ProjectDefaultCalendar.xer": "rcal_ProjDefault",
    "TwentyFourHourCalendar.xer": "rcal_24Hour",
}


def add_rows(text: str, table: str, rows: list[dict[str, str]]) -> str:
    """Insert rows at the end of ``table`` (created before %E when missing)."""
    lines = text.replace("\r\n", "\n").split("\n")
    start = next((k for k, ln in enumerate(lines) if ln == f"%T\t{table}"), None)
    if start is None:
        fields = list(rows[0])
        end = next(k for k, ln in enumerate(lines) if ln.startswith("%E"))
        lines[end:end] = [f"%T\t{table}", "%F\t" + "\t".join(fields)]
        start = end
    fields = lines[start + 1].split("\t")[1:]
    end = start + 2
    while end < len(lines) and lines[end].startswith("%R"):
        end += 1
    new = ["%R\t" + "\t".join(row.get(f, "") for f in fields) for row in rows]
    lines[end:end] = new
    return "\n".join(lines)


def row_of(text: str, table: str, index: int = 0) -> dict[str, str]:
    lines = text.replace("\r\n", "\n").split("\n")
    start = lines.index(f"%T\t{table}")
    fields = lines[start + 1].split("\t")[1:]
    return dict(zip(fields, lines[start + 2 + index].split("\t")[1:], strict=False))


# --- calendars ---------------------------------------------------------------------------------


def test_calendar_of_the_lag_calendar_files():
    project = read_xer(DATA / "PredecessorCalendar.xer").project
    cal = project.calendar
    # clndr_data: days 2-6 (Mon-Fri) hold work periods, 1 (Sun) and 7 (Sat) none; day_hr_cnt 8.
    assert cal.workdays == ("mon", "tue", "wed", "thu", "fri")
    assert cal.hours_per_day == 8.0
    # Exceptions d|43650 ... d|44190 are days since 1899-12-30: the US holidays of 2019-2020.
    serials = [
        43650,
        43651,
        43710,
        43797,
        43798,
        43823,
        43824,
        43831,
        43976,
        44015,
        44081,
        44161,
        44189,
        44190,
    ]
    expected = tuple(dt.date(1899, 12, 30) + dt.timedelta(n) for n in serials)
    assert cal.holidays == expected
    assert expected[0] == dt.date(2019, 7, 4) and expected[6] == dt.date(2019, 12, 25)
    assert project.start == dt.date(2019, 5, 6)  # plan_start_date 2019-05-06 08:00


def test_calendar_with_spaces_and_reversed_periods():
    # resource-rates-test.xer writes clndr_data with spaces; percent-complete-8.4 writes f before s.
    cal = read_xer(DATA / "resource-rates-test.xer").project.calendar
    assert (cal.workdays, cal.holidays, cal.hours_per_day) == (
        ("mon", "tue", "wed", "thu", "fri"),
        (),
        8.0,
    )
    cal = read_xer(DATA / "percent-complete-8.4.xer").project.calendar
    assert cal.workdays == ("mon", "tue", "wed", "thu", "fri")
    # 24 exceptions in the file; those on weekends are not holidays of a Mon-Fri calendar.
    text = (DATA / "percent-complete-8.4.xer").read_text(encoding="cp1252")
    data = parse_calendar_data(row_of(text, "CALENDAR")["clndr_data"], "test", "test")
    assert len(data.exceptions) == 24
    weekday_ones = sorted(d for d in data.exceptions if d.weekday() < 5)
    assert list(cal.holidays) == weekday_ones


def test_working_exception_on_a_non_working_weekday_is_kept():
    data = parse_calendar_data(
        "(0||CalendarData()((0||DaysOfWeek()((0||1()())(0||2()((0||0(s|08:00|f|16:00)())))"
        "(0||7()())))(0||Exceptions()((0||0(d|45000)((0||0(s|08:00|f|12:00)())))"
        "(0||1(d|45001)())))))",
        "t",
        "t",
    )
    assert data.week == {"sun": False, "mon": True, "sat": False}
    day = dt.date(1899, 12, 30) + dt.timedelta(45000)  # Wed 2023-03-15: not a working weekday
    assert data.exceptions == {day: True, day + dt.timedelta(1): False}
    warnings: list[str] = []
    cal = data.to_calendar(warnings)
    assert day == dt.date(2023, 3, 15)
    # The Wednesday works 08:00-12:00; the Thursday exception is on a non-working weekday.
    assert cal.workdays == ("mon",) and cal.holidays == ()
    assert cal.exceptions == {day: ((480.0, 720.0),)}
    assert (cal.hours, cal.weekday_hours) == (((480.0, 960.0),), {})
    assert cal.periods_on(day) == ((480.0, 720.0),)
    assert warnings == []


# --- the four relationship-lag calendar variants ---------------------------------------------


def test_the_four_files_differ_only_in_the_lag_calendar_option():
    for name, option in LAG_FILES.items():
        tables = read_tables(DATA / name)
        assert tables["SCHEDOPTIONS"].rows[0]["sched_calendar_on_relationship_lag"] == option
        assert tables["TASKPRED"].rows == []  # the exports hold no link; the test adds one


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # lag_hr_cnt 40 h; predecessor calendar 10 h/day, successor 5 h/day, project 8 h/day.
        ("PredecessorCalendar.xer", 40 / 10),
        ("SuccessorCalendar.xer", 40 / 5),
        ("ProjectDefaultCalendar.xer", 40 / 8),
        # 24-hour lag calendar: 40 elapsed hours = 40/24 days of the 24-hour calendar.
        ("TwentyFourHourCalendar.xer", 40 / 24),
    ],
)
def test_lag_follows_the_lag_calendar_option(tmp_path, name, expected):
    text = (DATA / name).read_text(encoding="cp1252")
    cal = row_of(text, "CALENDAR")
    task = row_of(text, "TASK")
    text = add_rows(
        text,
        "CALENDAR",
        [
            {
                **cal,
                "clndr_id": "98",
                "clndr_name": "Ten hours",
                "day_hr_cnt": "10",
                "clndr_data": cal["clndr_data"].replace("f|17:00", "f|19:00"),
            },
            {
                **cal,
                "clndr_id": "99",
                "clndr_name": "Five hours",
                "day_hr_cnt": "5",
                "clndr_data": cal["clndr_data"].replace("(s|13:00|f|17:00)", "(s|13:00|f|14:00)"),
            },
        ],
    )
    text = add_rows(
        text,
        "TASK",
        [
            {
                **task,
                "task_id": "1",
                "task_code": "P1",
                "task_name": "Pred",
                "clndr_id": "98",
                "target_drtn_hr_cnt": "20",
                "cstr_type": "",
                "cstr_date": "",
            },
            {
                **task,
                "task_id": "2",
                "task_code": "S1",
                "task_name": "Succ",
                "clndr_id": "99",
                "target_drtn_hr_cnt": "10",
                "cstr_type": "",
                "cstr_date": "",
            },
        ],
    )
    text = add_rows(
        text,
        "TASKPRED",
        [
            {
                "task_pred_id": "7",
                "task_id": "2",
                "pred_task_id": "1",
                "proj_id": task["proj_id"],
                "pred_proj_id": task["proj_id"],
                "pred_type": "PR_SS",
                "lag_hr_cnt": "40",
            }
        ],
    )
    path = tmp_path / name
    path.write_text(text, encoding="cp1252")
    result = read_xer(path)
    succ = result.project.task("S1")
    assert [(link.predecessor, link.type) for link in succ.after] == [("P1", "SS")]
    assert succ.after[0].lag == pytest.approx(expected, rel=1e-12)
    # Durations use each activity's own calendar: 20 h / 10 h = 2 days, 10 h / 5 h = 2 days.
    assert result.project.task("P1").estimate == Fixed(2.0)
    assert succ.estimate == Fixed(2.0)
    assert (result.project.task("P1").calendar, succ.calendar) == ("Ten hours", "Five hours")
    expected_calendar = {
        "PredecessorCalendar.xer": "Ten hours",
        "SuccessorCalendar.xer": None,
        "ProjectDefaultCalendar.xer": "5 Day",
        "TwentyFourHourCalendar.xer": "24 hours",
    }[name]
    assert succ.after[0].calendar == expected_calendar
    calendars = result.project.calendars
    assert (calendars["Ten hours"].hours_per_day, calendars["Five hours"].hours_per_day) == (
        10.0,
        5.0,
    )
    if expected_calendar == "24 hours":
        assert calendars["24 hours"].hours_per_day == 24.0
        assert len(calendars["24 hours"].workdays) == 7
    assert result.warnings == []


def test_lag_file_activity():
    result = read_xer(DATA / "PredecessorCalendar.xer")
    (task,) = result.project.tasks
    # A1000 "Test": target_drtn_hr_cnt 24 h / 8 h = 3 days, completed, start on or after
    # (CS_MSOA) 2019-06-10, actual 2019-06-10 08:00 to 2019-06-12 17:00.
    assert (task.id, task.name, task.estimate) == ("A1000", "Test", Fixed(3.0))
    assert task.not_before == dt.date(2019, 6, 10)
    assert task.percent_complete == 100.0
    assert (task.actual_start, task.actual_finish) == (dt.date(2019, 6, 10), dt.date(2019, 6, 12))
    assert result.project.name == "TEST PROJECT"
    assert result.warnings == []


# --- progress and resources --------------------------------------------------------------------


def test_percent_complete_of_every_type():
    result = read_schedule(DATA / "percent-complete-8.4.xer")
    assert result.source_format == "xer"
    tasks = result.project.tasks
    assert len(tasks) == 12
    for task in tasks:
        # The names say the type and expected value, e.g. "Units 75%".
        expected = float(task.name.split()[-1].rstrip("%"))
        assert task.percent_complete == pytest.approx(expected), task.name
        assert task.estimate == Fixed(100.0)  # target_drtn_hr_cnt 800 h / 8 h
    assert result.project.task("A1010").actual_start == dt.date(2015, 2, 24)
    assert result.project.task("A1000").actual_start is None


def test_resource_rates():
    result = read_xer(DATA / "resource-rates-test.xer")
    project = result.project
    (res,) = project.resources
    # RSRCRATE: 1.00 per hour from 2022-01-01 and 21.00 from 2023-01-01; the project starts
    # 2022-08-22, so the first applies: 1.00 x 8 h (day_hr_cnt) per working day.
    assert (res.id, res.name, res.rate) == ("R1", "Resource 1", 1.0 * 8)
    (task,) = project.tasks
    assert task.estimate == Fixed(240 / 8)
    # Five TASKRSRC rows put R1 on the activity at 1 unit per hour each.
    assert [(a.resource, a.units) for a in task.assignments] == [("R1", 1.0)] * 5
    text = "\n".join(result.warnings)
    assert 'resource "R1" (Resource 1): rate changes over time' in text
    for price in ("2", "6", "7", "99"):  # assignments priced apart from the resource rate
        assert f"priced at {price} per hour" in text


def test_three_point_from_user_defined_fields(tmp_path):
    text = (DATA / "percent-complete-8.4.xer").read_text(encoding="cp1252")
    udf_types = [
        {
            "udf_type_id": str(k),
            "table_name": "TASK",
            "udf_type_name": f"user_field_{k}",
            "udf_type_label": label,
            "logical_data_type": "FT_FLOAT_2_DECIMALS",
        }
        for k, label in ((1, "Optimistic"), (2, "Most likely"), (3, "Pessimistic"))
    ]
    text = add_rows(text, "UDFTYPE", udf_types)
    values = [
        {"udf_type_id": str(k), "fk_id": "101717", "proj_id": "4507", "udf_number": v}
        for k, v in ((1, "80"), (2, "100"), (3, "150"))
    ]
    values.append({"udf_type_id": "1", "fk_id": "101718", "proj_id": "4507", "udf_number": "90"})
    text = add_rows(text, "UDFVALUE", values)
    path = tmp_path / "udf.xer"
    path.write_text(text, encoding="cp1252")
    result = read_schedule(
        path,
        {
            "three_point": ("Optimistic", "Most likely", "Pessimistic"),
            "rules": ["uniform(-10%, +10%)"],
        },
    )
    project = result.project
    assert project.task("A1000").estimate == Pert(80.0, 100.0, 150.0)
    # A1010 has only the optimistic value: warned, then the rule gives it its range.
    assert any('task "A1010"' in w and "incomplete" in w for w in result.warnings)
    assert project.task("A1010").estimate.to_spec() == {"uniform": [90.0, 110.0]}
    with pytest.raises(ModelError, match="'Worst' is not a TASK user-defined field"):
        read_xer(path, three_point=("Optimistic", None, "Worst"))


def test_multi_project_file_needs_a_choice(tmp_path):
    text = (DATA / "resource-rates-test.xer").read_text(encoding="cp1252")
    project = row_of(text, "PROJECT")
    text = add_rows(text, "PROJECT", [{**project, "proj_id": "999", "proj_short_name": "OTHER"}])
    path = tmp_path / "two.xer"
    path.write_text(text, encoding="cp1252")
    with pytest.raises(ModelError, match=r"2 projects \(NEWPROJ, OTHER\).*project="):
        read_xer(path)
    assert read_schedule(path, project="NEWPROJ").project.tasks[0].id == "A1000"
