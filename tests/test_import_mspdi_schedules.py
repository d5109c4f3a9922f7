"""MSPDI import of calendars, lags, constraints, progress and MS Project's task modes.

Real files: tests/data/mpxj/mspdi (MPXJ's test files saved by MS Project; see SOURCE.md there).
The recurrence patterns below are those of MPXJ's calendar-recurring-exceptions-project2016
test file (joniles/mpxj, junit/data/generated/calendar-recurring-exceptions), where MS Project
also wrote each expanded date in the pre-2007 layout: those dates are the expected values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path

import pytest

import riskcast as rc
from riskcast.errors import ModelError
from riskcast.io.mspdi import read_mspdi

sys.path.insert(0, str(Path(__file__).parent))
from stored_dates_mspdi import stored_dates

DATA = Path(__file__).parent / "data" / "mpxj" / "mspdi"

WEEK = "".join(
    f"<WeekDay><DayType>{d}</DayType><DayWorking>{int(d not in (1, 7))}</DayWorking>"
    + (
        "<WorkingTimes><WorkingTime><FromTime>08:00:00</FromTime><ToTime>12:00:00</ToTime>"
        "</WorkingTime><WorkingTime><FromTime>13:00:00</FromTime><ToTime>17:00:00</ToTime>"
        "</WorkingTime></WorkingTimes>"
        if d not in (1, 7)
        else ""
    )
    + "</WeekDay>"
    for d in range(1, 8)
)


def mspdi(tmp_path: Path, tasks: str, calendars: str = "", header: str = "") -> Path:
    """A small MSPDI file: the Standard calendar (UID 1) plus ``calendars``, and ``tasks``."""
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <Name>t</Name><StartDate>2027-01-04T08:00:00</StartDate><MinutesPerDay>480</MinutesPerDay>
  <CalendarUID>1</CalendarUID>{header}
  <Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>
    <BaseCalendarUID>-1</BaseCalendarUID><WeekDays>{WEEK}</WeekDays></Calendar>{calendars}
  </Calendars>
  <Tasks>{tasks}</Tasks>
</Project>
"""
    path = tmp_path / "plan.xml"
    path.write_text(text, encoding="utf-8")
    return path


def task(uid: int, extra: str = "", duration: str = "PT8H0M0S") -> str:
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>T{uid}</Name><OutlineLevel>1</OutlineLevel>"
        f"<Duration>{duration}</Duration>{extra}</Task>"
    )


def link(pred: int, lag: int = 0, fmt: int = 7, kind: int = 1) -> str:
    return (
        f"<PredecessorLink><PredecessorUID>{pred}</PredecessorUID><Type>{kind}</Type>"
        f"<LinkLag>{lag}</LinkLag><LagFormat>{fmt}</LagFormat></PredecessorLink>"
    )


# --- 1. calendars ---------------------------------------------------------------------------


def test_project_calendar_working_times_and_hours_per_day():
    project = read_mspdi(DATA / "sample1.xml").project
    cal = project.calendar
    assert cal.name == "Standard"
    assert cal.workdays == ("mon", "tue", "wed", "thu", "fri")
    assert cal.hours == ((480.0, 720.0), (780.0, 1020.0))
    assert cal.hours_per_day == 8.0  # MinutesPerDay 480
    assert project.calendars["Standard"] == cal


def test_task_calendar_from_the_real_night_shift_calendar(tmp_path):
    # sample1's "Night Shift" calendar (UID 2): 23:00-24:00 Monday, 00:00-03:00, 04:00-08:00
    # and 23:00-24:00 Tuesday to Friday, 00:00-03:00 and 04:00-08:00 Saturday.
    text = (DATA / "sample1.xml").read_text(encoding="utf-8")
    head, sep, rest = text.partition("<UID>2</UID>\n            <ID>2</ID>")
    assert sep, "task UID 2 not where expected"
    rest = rest.replace("<CalendarUID>-1</CalendarUID>", "<CalendarUID>2</CalendarUID>", 1)
    path = tmp_path / "night.xml"
    path.write_text(head + sep + rest, encoding="utf-8")
    result = read_mspdi(path)
    project = result.project
    assert project.task("2").calendar == "Night Shift"
    night = project.calendars["Night Shift"]
    assert night.workdays == ("mon", "tue", "wed", "thu", "fri", "sat")
    shift = ((0.0, 180.0), (240.0, 480.0), (1380.0, 1440.0))
    assert night.periods_of_weekday(0) == ((1380.0, 1440.0),)
    assert [night.periods_of_weekday(k) for k in range(1, 5)] == [shift] * 4
    assert night.periods_of_weekday(5) == ((0.0, 180.0), (240.0, 480.0))
    assert night.periods_of_weekday(6) == ()
    assert night.hours_per_day == 8.0  # MS Project's hours per day, not the shift's length
    assert project.task("3").calendar is None  # the project calendar
    assert not [w for w in result.warnings if "own calendar (UID" in w]


def test_derived_calendar_inherits_its_base_and_overrides_days(tmp_path):
    derived = (
        "<Calendar><UID>5</UID><Name>Crew</Name><IsBaseCalendar>0</IsBaseCalendar>"
        "<BaseCalendarUID>1</BaseCalendarUID><WeekDays>"
        "<WeekDay><DayType>7</DayType><DayWorking>1</DayWorking><WorkingTimes><WorkingTime>"
        "<FromTime>09:00:00</FromTime><ToTime>13:00:00</ToTime></WorkingTime></WorkingTimes>"
        "</WeekDay><WeekDay><DayType>6</DayType><DayWorking>0</DayWorking></WeekDay>"
        "</WeekDays><Exceptions><Exception><TimePeriod><FromDate>2027-01-06T00:00:00</FromDate>"
        "<ToDate>2027-01-06T23:59:00</ToDate></TimePeriod><Occurrences>1</Occurrences>"
        "<Type>1</Type><DayWorking>0</DayWorking></Exception></Exceptions></Calendar>"
    )
    path = mspdi(tmp_path, task(1, "<CalendarUID>5</CalendarUID>"), derived)
    project = read_mspdi(path).project
    crew = project.calendars[project.task("1").calendar]
    assert crew.workdays == ("mon", "tue", "wed", "thu", "sat")
    assert crew.periods_of_weekday(5) == ((540.0, 780.0),)
    assert crew.periods_of_weekday(0) == ((480.0, 720.0), (780.0, 1020.0))
    assert crew.holidays == (dt.date(2027, 1, 6),)


def test_alternate_work_weeks_hold_their_dates(tmp_path):
    # Summer hours from Mon 2027-01-11 to Sun 2027-01-24: Monday-Thursday 07:00-15:30 (8 h
    # with a 30-minute break), Friday off; weekends and other weeks keep the default week. An
    # exception inside the work week still wins (Tuesday 19th off).
    def day(kind: int, *times: tuple[str, str]) -> str:
        rows = "".join(
            f"<WorkingTime><FromTime>{a}</FromTime><ToTime>{b}</ToTime></WorkingTime>"
            for a, b in times
        )
        working = f"<DayWorking>1</DayWorking><WorkingTimes>{rows}</WorkingTimes>"
        return f"<WeekDay><DayType>{kind}</DayType>{working if times else '<DayWorking>0</DayWorking>'}</WeekDay>"

    summer = "".join(
        day(k, ("07:00:00", "11:30:00"), ("12:00:00", "15:30:00")) for k in range(2, 6)
    )
    work_week = (
        "<WorkWeeks><WorkWeek><TimePeriod><FromDate>2027-01-11T00:00:00</FromDate>"
        "<ToDate>2027-01-24T23:59:00</ToDate></TimePeriod><Name>Summer</Name>"
        f"<WeekDays>{summer}{day(6)}</WeekDays></WorkWeek></WorkWeeks>"
    )
    off = (
        "<Exceptions><Exception><TimePeriod><FromDate>2027-01-19T00:00:00</FromDate>"
        "<ToDate>2027-01-19T23:59:00</ToDate></TimePeriod><Occurrences>1</Occurrences>"
        "<Type>1</Type><DayWorking>0</DayWorking></Exception></Exceptions>"
    )
    calendar = (
        "<Calendar><UID>5</UID><Name>Summer crew</Name><IsBaseCalendar>0</IsBaseCalendar>"
        f"<BaseCalendarUID>1</BaseCalendarUID>{off}{work_week}</Calendar>"
    )
    path = mspdi(tmp_path, task(1, "<CalendarUID>5</CalendarUID>", "PT40H0M0S"), calendar)
    result = read_mspdi(path)
    assert not [w for w in result.warnings if "work week" in w]
    project = result.project
    crew = project.calendars[project.task("1").calendar]
    summer_hours = ((420.0, 690.0), (720.0, 930.0))
    assert crew.periods_on(dt.date(2027, 1, 12)) == summer_hours
    assert crew.periods_on(dt.date(2027, 1, 15)) == ()  # a summer Friday
    assert crew.periods_on(dt.date(2027, 1, 16)) == ()  # Saturday: the default week
    assert crew.periods_on(dt.date(2027, 1, 19)) == ()  # the exception wins
    assert crew.periods_on(dt.date(2027, 1, 25)) == ((480.0, 720.0), (780.0, 1020.0))
    assert crew.periods_on(dt.date(2027, 1, 8)) == ((480.0, 720.0), (780.0, 1020.0))
    # 40 h from Mon 11th (not before): Mon 11 - Thu 14 (4 x 8 h), Friday off, then Mon 18th
    late = dataclasses.replace(project.task("1"), not_before=dt.date(2027, 1, 11))
    project = dataclasses.replace(project, tasks=(late,))
    row = rc.simulate(project, iterations=64, seed=1).task_table()[0]
    assert (row["plan_start"], row["plan_finish"]) == (dt.date(2027, 1, 11), dt.date(2027, 1, 18))


def exception(name: str, first: str, last: str, count: int, kind: int, **fields) -> str:
    extra = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items() if k != "DayWorking")
    working = fields.get("DayWorking", "0")
    times = (
        "<WorkingTimes><WorkingTime><FromTime>09:00:00</FromTime><ToTime>13:00:00</ToTime>"
        "</WorkingTime><WorkingTime><FromTime>14:00:00</FromTime><ToTime>17:00:00</ToTime>"
        "</WorkingTime></WorkingTimes>"
        if working == "1"
        else ""
    )
    return (
        f"<Exception><EnteredByOccurrences>1</EnteredByOccurrences><TimePeriod>"
        f"<FromDate>{first}T00:00:00</FromDate><ToDate>{last}T23:59:00</ToDate></TimePeriod>"
        f"<Occurrences>{count}</Occurrences><Name>{name}</Name><Type>{kind}</Type>{extra}"
        f"<DayWorking>{working}</DayWorking>{times}</Exception>"
    )


def every(first: str, days: int, count: int) -> list[str]:
    start = dt.date.fromisoformat(first)
    return [(start + dt.timedelta(days=days * k)).isoformat() for k in range(count)]


# (pattern, MS Project's expanded dates from the same file's DayType 0 records)
RECURRING = {
    "daily": (
        exception("Daily 1", "2000-01-01", "2000-01-03", 3, 1),
        ["2000-01-01", "2000-01-02", "2000-01-03"],
    ),
    "every 3 days": (
        exception("Daily 2", "2000-02-01", "2000-02-10", 4, 7, Period=3),
        ["2000-02-01", "2000-02-04", "2000-02-07", "2000-02-10"],
    ),
    "every 2 weeks on Tuesday": (
        exception("Weekly 2 Tuesday", "2001-01-01", "2001-02-13", 4, 6, Period=2, DaysOfWeek=4),
        ["2001-01-02", "2001-01-16", "2001-01-30", "2001-02-13"],
    ),
    "every 6 weeks on Saturday": (
        exception("Weekly 6 Saturday", "2001-01-01", "2001-10-27", 8, 6, Period=6, DaysOfWeek=64),
        every("2001-01-06", 42, 8),
    ),
    # Sunday-based weeks: the week of Monday 2001-01-01 began on Sunday 2000-12-31.
    "every 7 weeks on Sunday": (
        exception("Weekly 7 Sunday", "2001-01-01", "2002-03-17", 9, 6, Period=7, DaysOfWeek=1),
        every("2001-02-18", 49, 9),
    ),
    "first Monday every 2 months": (
        exception(
            "Monthly Relative 1",
            "2002-01-01",
            "2002-05-06",
            3,
            5,
            Period=2,
            MonthItem=4,
            MonthPosition=0,
        ),
        ["2002-01-07", "2002-03-04", "2002-05-06"],
    ),
    "last Friday every 6 months": (
        exception(
            "Monthly Relative 5",
            "2002-01-01",
            "2005-01-28",
            7,
            5,
            Period=6,
            MonthItem=8,
            MonthPosition=4,
        ),
        [
            "2002-01-25",
            "2002-07-26",
            "2003-01-31",
            "2003-07-25",
            "2004-01-30",
            "2004-07-30",
            "2005-01-28",
        ],
    ),
    "day 1 every 2 months": (
        exception("Monthly Absolute 1", "2003-01-01", "2003-05-01", 3, 4, Period=2, MonthDay=1),
        ["2003-01-01", "2003-03-01", "2003-05-01"],
    ),
    "first Tuesday of March": (
        exception(
            "Yearly Relative 1",
            "2004-01-01",
            "2007-03-06",
            4,
            3,
            Month=2,
            MonthItem=5,
            MonthPosition=0,
        ),
        ["2004-03-02", "2005-03-01", "2006-03-07", "2007-03-06"],
    ),
    "1 February": (
        exception("Yearly Absolute 1", "2005-01-01", "2007-02-01", 3, 2, Month=1, MonthDay=1),
        ["2005-02-01", "2006-02-01", "2007-02-01"],
    ),
}


@pytest.mark.parametrize("which", sorted(RECURRING))
def test_recurring_exceptions_expand_to_ms_project_dates(tmp_path, which):
    pattern, dates = RECURRING[which]
    cal = (
        "<Calendar><UID>5</UID><Name>Rec</Name><BaseCalendarUID>-1</BaseCalendarUID>"
        f"<WeekDays>{WEEK}</WeekDays><Exceptions>{pattern}</Exceptions></Calendar>"
    )
    project = read_mspdi(mspdi(tmp_path, task(1, "<CalendarUID>5</CalendarUID>"), cal)).project
    rec = project.calendars["Rec"]
    expected = [dt.date.fromisoformat(d) for d in dates]
    assert all(rec.periods_on(d) == () for d in expected)
    # No other working weekday between the first and the last date is taken off.
    first, last = expected[0] - dt.timedelta(days=40), expected[-1] + dt.timedelta(days=40)
    span = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    off = [d for d in span if d.weekday() < 5 and rec.periods_on(d) == ()]
    assert off == [d for d in expected if d.weekday() < 5]


def test_recurring_working_exception_on_saturdays(tmp_path):
    # "Recurring Working": the first Saturday of each month works 09:00-13:00, 14:00-17:00.
    pattern = exception(
        "Recurring Working",
        "2010-01-01",
        "2010-03-06",
        3,
        5,
        Period=1,
        MonthItem=9,
        MonthPosition=0,
        DayWorking="1",
    )
    cal = (
        "<Calendar><UID>5</UID><Name>Rec</Name><BaseCalendarUID>-1</BaseCalendarUID>"
        f"<WeekDays>{WEEK}</WeekDays><Exceptions>{pattern}</Exceptions></Calendar>"
    )
    project = read_mspdi(mspdi(tmp_path, task(1, "<CalendarUID>5</CalendarUID>"), cal)).project
    rec = project.calendars["Rec"]
    times = ((540.0, 780.0), (840.0, 1020.0))
    assert rec.exceptions == {
        dt.date(2010, 1, 2): times,
        dt.date(2010, 2, 6): times,
        dt.date(2010, 3, 6): times,
    }


def test_pre_2007_exceptions_with_working_times(tmp_path):
    old = (
        "<WeekDay><DayType>0</DayType><DayWorking>1</DayWorking><TimePeriod>"
        "<FromDate>2027-01-09T00:00:00</FromDate><ToDate>2027-01-09T23:59:00</ToDate>"
        "</TimePeriod><WorkingTimes><WorkingTime><FromTime>08:00:00</FromTime>"
        "<ToTime>12:00:00</ToTime></WorkingTime></WorkingTimes></WeekDay>"
        "<WeekDay><DayType>0</DayType><DayWorking>0</DayWorking><TimePeriod>"
        "<FromDate>2027-01-11T00:00:00</FromDate><ToDate>2027-01-12T23:59:00</ToDate>"
        "</TimePeriod></WeekDay>"
    )
    cal = (
        "<Calendar><UID>5</UID><Name>Old</Name><BaseCalendarUID>-1</BaseCalendarUID>"
        f"<WeekDays>{WEEK}{old}</WeekDays></Calendar>"
    )
    project = read_mspdi(mspdi(tmp_path, task(1, "<CalendarUID>5</CalendarUID>"), cal)).project
    cal = project.calendars["Old"]
    assert cal.exceptions == {dt.date(2027, 1, 9): ((480.0, 720.0),)}
    assert cal.holidays == (dt.date(2027, 1, 11), dt.date(2027, 1, 12))


def test_calendar_names_are_unique(tmp_path):
    twin = (
        "<Calendar><UID>5</UID><Name>Standard</Name><BaseCalendarUID>1</BaseCalendarUID></Calendar>"
    )
    path = mspdi(tmp_path, task(1, "<CalendarUID>5</CalendarUID>"), twin)
    project = read_mspdi(path).project
    assert project.task("1").calendar == "Standard (UID 5)"
    assert set(project.calendars) == {"Standard", "Standard (UID 5)"}


def test_hours_per_day_is_minutes_per_day(tmp_path):
    path = mspdi(tmp_path, task(1, duration="PT15H0M0S"))
    text = path.read_text().replace("<MinutesPerDay>480", "<MinutesPerDay>450")
    path.write_text(text)
    project = read_mspdi(path).project
    assert project.calendar.hours_per_day == 7.5
    assert project.task("1").estimate.value == 2.0  # 15 h of 7.5-hour days


# --- elapsed durations and lags ------------------------------------------------------------


def test_elapsed_lag_and_duration_on_the_24_hour_calendar(tmp_path):
    tasks = (
        task(1)
        + task(2, "<DurationFormat>8</DurationFormat>" + link(1, 14400, 8), "PT36H0M0S")
        + task(3, link(2, 4800, 7))
    )
    result = read_mspdi(mspdi(tmp_path, tasks))
    project = result.project
    t2 = project.task("2")
    assert (t2.calendar, t2.estimate.value) == ("24 hours", 1.5)  # 36 elapsed hours
    assert [(x.lag, x.calendar) for x in t2.after] == [(1.0, "24 hours")]
    # A working lag into the elapsed task counts on the task's own (project) calendar.
    t3 = project.task("3")
    assert [(x.lag, x.calendar) for x in t3.after] == [(1.0, None)]
    assert project.calendars["24 hours"].hours == ((0.0, 1440.0),)
    assert not [w for w in result.warnings if "approximated" in w]


def test_working_lag_into_elapsed_task_counts_on_its_own_calendar(tmp_path):
    tasks = task(1) + task(2, "<DurationFormat>8</DurationFormat>" + link(1, 4800, 7), "PT24H")
    project = read_mspdi(mspdi(tmp_path, tasks)).project
    assert [(x.lag, x.calendar) for x in project.task("2").after] == [(1.0, "Standard")]


# --- 2. percent lags -----------------------------------------------------------------------


def test_percent_lags_are_plain_percent_of_the_predecessor(tmp_path):
    # LinkLag 25 with LagFormat 19 is 25 % (MPXJ reads and writes it so; not tenths).
    tasks = (
        task(1, duration="PT32H0M0S")
        + task(2, link(1, 25, 19))
        + task(3, link(1, 50, 20))
        + task(4, link(1, 25, 51))  # 51 = "%?", the estimated form of 19
    )
    result = read_mspdi(mspdi(tmp_path, tasks))
    project = result.project
    assert [(x.lag, x.calendar) for x in project.task("2").after] == [(1.0, None)]  # 8 h
    # 50 % of 32 hours = 16 elapsed hours on the 24-hour calendar.
    assert [(x.lag, x.calendar) for x in project.task("3").after] == [(16 / 24, "24 hours")]
    assert project.task("4").after[0].lag == 1.0
    assert any('task "2" (T2): FS lag of 25%' in w for w in result.warnings)


# --- 3. constraints ------------------------------------------------------------------------

CONSTRAINT_CASES = {
    0: {},
    1: {"alap": True},
    2: {"not_before": "d", "not_after": "d"},
    3: {"finish_not_before": "d", "finish_not_after": "d"},
    4: {"not_before": "d"},
    5: {"not_after": "d"},
    6: {"finish_not_before": "d"},
    7: {"finish_not_after": "d"},
}


@pytest.mark.parametrize("kind", sorted(CONSTRAINT_CASES))
def test_constraint_types(tmp_path, kind):
    extra = f"<ConstraintType>{kind}</ConstraintType><ConstraintDate>2027-02-03T08:00:00</ConstraintDate>"
    result = read_mspdi(mspdi(tmp_path, task(1, extra)))
    t = result.project.task("1")
    fields = ("not_before", "not_after", "finish_not_before", "finish_not_after")
    want = {f: dt.date(2027, 2, 3) for f, v in CONSTRAINT_CASES[kind].items() if v == "d"}
    assert {f: getattr(t, f) for f in fields if getattr(t, f) is not None} == want
    assert t.alap is bool(CONSTRAINT_CASES[kind].get("alap"))
    assert not [w for w in result.warnings if "not supported" in w]


def test_sample1_constraints_and_deadlines():
    project = read_mspdi(DATA / "sample1.xml").project
    assert project.task("7").not_before == dt.date(2003, 2, 1)  # type 4 SNET
    assert project.task("20").not_before == dt.date(2003, 1, 8)


def test_deadline(tmp_path):
    path = mspdi(tmp_path, task(1, "<Deadline>2027-03-01T17:00:00</Deadline>"))
    assert read_mspdi(path).project.task("1").deadline == dt.date(2027, 3, 1)


def test_unknown_constraint_type_is_an_error_naming_the_task(tmp_path):
    path = mspdi(tmp_path, task(1, "<ConstraintType>9</ConstraintType>"))
    with pytest.raises(ModelError, match=r'plan\.xml.*task "1" \(T1\) > ConstraintType: .9.'):
        read_mspdi(path)


def test_constraint_without_date_is_a_warning(tmp_path):
    result = read_mspdi(mspdi(tmp_path, task(1, "<ConstraintType>5</ConstraintType>")))
    assert result.project.task("1").not_after is None
    assert any("start no later than" in w and "no ConstraintDate" in w for w in result.warnings)


# --- 4. progress ---------------------------------------------------------------------------

PROGRESS = (
    "<ActualStart>2027-01-04T08:00:00</ActualStart><PercentComplete>25</PercentComplete>"
    "<RemainingDuration>PT24H0M0S</RemainingDuration>"
)


@pytest.mark.parametrize(
    ("stamp", "day"),
    [
        ("2027-01-08T17:00:00", "2027-01-09"),
        ("2027-01-08T08:00:00", "2027-01-08"),
        ("2027-01-08T00:00:00", "2027-01-08"),
    ],
)
def test_status_date_is_the_day_work_remains_from(tmp_path, stamp, day):
    path = mspdi(
        tmp_path,
        task(1, PROGRESS, "PT32H0M0S"),
        header=f"<StatusDate>{stamp}</StatusDate><DefaultStartTime>08:00:00</DefaultStartTime>",
    )
    project = read_mspdi(path).project
    assert project.status_date == dt.date.fromisoformat(day)
    t = project.task("1")
    assert (t.actual_start, t.actual_finish, t.percent_complete, t.remaining) == (
        dt.date(2027, 1, 4),
        None,
        25.0,
        3.0,
    )


def test_without_status_date_one_is_derived_with_a_warning(tmp_path):
    result = read_mspdi(mspdi(tmp_path, task(1, PROGRESS, "PT32H0M0S")))
    assert result.project.status_date == dt.date(2027, 1, 5)
    assert any("no status (data) date" in w for w in result.warnings)


def test_finished_task_has_no_remaining(tmp_path):
    extra = PROGRESS.replace("25", "100") + "<ActualFinish>2027-01-07T17:00:00</ActualFinish>"
    path = mspdi(tmp_path, task(1, extra), header="<StatusDate>2027-01-08T17:00:00</StatusDate>")
    t = read_mspdi(path).project.task("1")
    assert (t.actual_finish, t.remaining) == (dt.date(2027, 1, 7), None)


def test_bad_status_date_and_remaining_are_errors(tmp_path):
    path = mspdi(tmp_path, task(1), header="<StatusDate>soon</StatusDate>")
    with pytest.raises(ModelError, match=r"plan\.xml: project > StatusDate"):
        read_mspdi(path)
    extra = (
        "<ActualStart>2027-01-04T08:00:00</ActualStart><RemainingDuration>8h</RemainingDuration>"
    )
    with pytest.raises(ModelError, match=r'task "1" \(T1\) > RemainingDuration'):
        read_mspdi(mspdi(tmp_path, task(1, extra)))


# --- 5. manual and split tasks -------------------------------------------------------------


def test_manual_tasks_are_named_in_warnings():
    result = read_mspdi(DATA / "task-links-project2019-mspdi.xml")
    manual = [w for w in result.warnings if "manually scheduled" in w]
    assert len(manual) == 16
    assert manual[0].startswith('task "1" (Task 1): manually scheduled in MS Project')


def test_split_tasks_are_named_in_warnings(tmp_path):
    # T1: 1 day of work spread from Monday 08:00 to Tuesday 17:00 (a split); T2: not split.
    tasks = task(
        1, "<Start>2027-01-04T08:00:00</Start><Finish>2027-01-05T17:00:00</Finish>"
    ) + task(2, "<Start>2027-01-04T08:00:00</Start><Finish>2027-01-04T17:00:00</Finish>")
    result = read_mspdi(mspdi(tmp_path, tasks))
    split = [w for w in result.warnings if "split in MS Project" in w]
    assert [w.split(":")[0] for w in split] == ['task "1" (T1)']


def test_real_files_have_no_false_split_warnings():
    for name in ("sample1.xml", "mspdirelations.xml", "task-links-project2019-mspdi.xml"):
        result = read_mspdi(DATA / name)
        assert not [w for w in result.warnings if "split in MS Project" in w], name


# --- bad calendars ------------------------------------------------------------------------


def test_bad_working_time_is_an_error_naming_file_and_calendar(tmp_path):
    bad = WEEK.replace("<ToTime>12:00:00</ToTime>", "<ToTime>07:00:00</ToTime>", 1)
    cal = f"<Calendar><UID>5</UID><Name>Bad</Name><WeekDays>{bad}</WeekDays></Calendar>"
    path = mspdi(tmp_path, task(1, "<CalendarUID>5</CalendarUID>"), cal)
    with pytest.raises(ModelError, match=r'plan\.xml.*calendar "Bad" > mon: working time'):
        read_mspdi(path)


def test_calendar_without_working_weekday_is_an_error(tmp_path):
    off = "".join(
        f"<WeekDay><DayType>{d}</DayType><DayWorking>0</DayWorking></WeekDay>" for d in range(1, 8)
    )
    cal = f"<Calendar><UID>5</UID><Name>Off</Name><WeekDays>{off}</WeekDays></Calendar>"
    path = mspdi(tmp_path, task(1, "<CalendarUID>5</CalendarUID>"), cal)
    with pytest.raises(ModelError, match=r'plan\.xml: calendar "Off" \(UID 5\) has no working'):
        read_mspdi(path)


# --- 6. stored dates ----------------------------------------------------------------------


def test_stored_dates_of_real_files():
    dates = stored_dates(DATA / "mspdirelations.xml")
    assert dates == {
        "1": (dt.date(2006, 9, 21), dt.date(2006, 9, 21)),
        "2": (dt.date(2006, 9, 22), dt.date(2006, 9, 22)),
        "3": (dt.date(2006, 9, 25), dt.date(2006, 9, 25)),
        "4": (dt.date(2006, 9, 25), dt.date(2006, 9, 25)),
        "5": (dt.date(2006, 9, 22), dt.date(2006, 9, 25)),
    }
    # Keyed as riskcast names the imported activities (UIDs), summaries left out.
    for name in ("sample1.xml", "task-links-project2019-mspdi.xml", "mspdiduration.xml"):
        project = read_mspdi(DATA / name).project
        ids = {a.id for a in project.activities}
        assert set(stored_dates(DATA / name)) == ids, name
    links = stored_dates(DATA / "task-links-project2019-mspdi.xml")
    assert links["4"][0] == dt.date(2018, 10, 22)  # SOURCE.md: FS + 1 d over a weekend
