"""Primavera P6 PMXML import, checked against real P6 exports (tests/data/mpxj/pmxml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from riskcast.distributions import Fixed, Pert
from riskcast.io.pmxml import read_pmxml
from riskcast.io.schedules import read_schedule, sniff_format

DATA = Path(__file__).parent / "data" / "mpxj" / "pmxml"
LAG_FILES = {
    "PredecessorCalendar.xml": "Predecessor Activity Calendar",
    "SuccessorCalendar.xml": "Successor Activity Calendar",
    "ProjectDefaultCalendar.xml": "Project Default Calendar",
    "TwentyFourHourCalendar.xml": "24 Hour Calendar",
}


def test_project_calendar_and_activity():
    result = read_schedule(DATA / "PredecessorCalendar.xml")
    assert result.source_format == "pmxml"
    project = result.project
    # Calendar "Test Calendar" (ObjectId 12002, the ActivityDefaultCalendarObjectId):
    # Monday-Friday have WorkTime, Saturday and Sunday none; HoursPerDay 8.0; no exceptions.
    cal = project.calendar
    assert (cal.workdays, cal.holidays, cal.hours_per_day) == (
        ("mon", "tue", "wed", "thu", "fri"),
        (),
        8.0,
    )
    assert (project.name, project.start) == ("Test Project", dt.date(2020, 9, 1))
    (task,) = project.tasks
    # PlannedDuration 360.0 h / 8 h = 45 days; PercentComplete 1.0 (a fraction) = 100 %.
    assert (task.id, task.name, task.estimate) == ("A1000", "Test", Fixed(45.0))
    assert task.percent_complete == 100.0
    assert (task.actual_start, task.actual_finish) == (dt.date(2021, 2, 5), dt.date(2021, 4, 19))
    # The ids P6 shows (activity ID) and keeps (ObjectId 140001) travel as tags.
    tool_ids = {"source_id": "A1000", "source_uid": "140001"}
    assert task.tags == {"wbs": "Test Project", "wbs_code": "1", **tool_ids}
    assert result.warnings == []


def test_the_four_files_name_their_lag_calendar():
    for name, option in LAG_FILES.items():
        text = (DATA / name).read_text(encoding="utf-8")
        assert f"<RelationshipLagCalendar>{option}</RelationshipLagCalendar>" in text
        assert sniff_format(DATA / name) == "pmxml"


EXTRA_CALENDARS = """
  <Calendar><HoursPerDay>10.0</HoursPerDay><Name>Ten</Name><ObjectId>20001</ObjectId>
    <HolidayOrExceptions><HolidayOrException><Date>2020-12-25T00:00:00</Date>
    </HolidayOrException></HolidayOrExceptions></Calendar>
  <Calendar><HoursPerDay>5.0</HoursPerDay><Name>Five</Name><ObjectId>20002</ObjectId></Calendar>
  <UDFType><ObjectId>7</ObjectId><SubjectArea>Activity</SubjectArea><Title>Best</Title></UDFType>
  <UDFType><ObjectId>8</ObjectId><SubjectArea>Activity</SubjectArea><Title>Worst</Title></UDFType>
"""
EXTRA_ACTIVITIES = """
    <Activity><CalendarObjectId>20001</CalendarObjectId><Id>P1</Id><Name>Pred</Name>
      <ObjectId>1</ObjectId><PlannedDuration>20.0</PlannedDuration>
      <PrimaryConstraintType>Finish On or Before</PrimaryConstraintType>
      <PrimaryConstraintDate>2021-01-01T17:00:00</PrimaryConstraintDate>
      <Type>Task Dependent</Type><WBSObjectId>36331</WBSObjectId>
      <UDF><TypeObjectId>7</TypeObjectId><DoubleValue>1.5</DoubleValue></UDF>
      <UDF><TypeObjectId>8</TypeObjectId><DoubleValue>4</DoubleValue></UDF></Activity>
    <Activity><CalendarObjectId>20002</CalendarObjectId><Id>S1</Id><Name>Succ</Name>
      <ObjectId>2</ObjectId><PlannedDuration>10.0</PlannedDuration>
      <PercentComplete>0.25</PercentComplete><Type>Task Dependent</Type></Activity>
    <Activity><CalendarObjectId>12002</CalendarObjectId><Id>M1</Id><Name>Done</Name>
      <ObjectId>3</ObjectId><PlannedDuration>0.0</PlannedDuration>
      <Type>Finish Milestone</Type></Activity>
    <Relationship><Lag>40.0</Lag><PredecessorActivityObjectId>1</PredecessorActivityObjectId>
      <SuccessorActivityObjectId>2</SuccessorActivityObjectId><Type>Finish to Finish</Type>
    </Relationship>
    <Relationship><Lag>0.0</Lag><PredecessorActivityObjectId>2</PredecessorActivityObjectId>
      <SuccessorActivityObjectId>3</SuccessorActivityObjectId><Type>Finish to Start</Type>
    </Relationship>
"""


def augmented(tmp_path: Path, name: str) -> Path:
    """The real file plus two calendars, three activities and two relationships."""
    text = (DATA / name).read_text(encoding="utf-8")
    at = text.index("  <Project>")
    text = text[:at] + EXTRA_CALENDARS + text[at:]
    at = text.rindex("  </Project>")
    text = text[:at] + EXTRA_ACTIVITIES + text[at:]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Lag 40 h; predecessor on a 10 h/day calendar, successor 5 h/day, project 8 h/day.
        ("PredecessorCalendar.xml", 40 / 10),
        ("SuccessorCalendar.xml", 40 / 5),
        ("ProjectDefaultCalendar.xml", 40 / 8),
        ("TwentyFourHourCalendar.xml", 40 / 24),  # days of the 24-hour calendar
    ],
)
def test_lag_follows_the_lag_calendar_option(tmp_path, name, expected):
    result = read_pmxml(augmented(tmp_path, name))
    project = result.project
    succ = project.task("S1")
    assert [(link.predecessor, link.type) for link in succ.after] == [("P1", "FF")]
    assert succ.after[0].lag == pytest.approx(expected, rel=1e-12)
    # Durations on each activity's own calendar: 20 h / 10 h = 2 days, 10 h / 5 h = 2 days.
    assert (project.task("P1").estimate, succ.estimate) == (Fixed(2.0), Fixed(2.0))
    assert succ.percent_complete == 25.0
    (done,) = project.milestones
    assert (done.id, done.after[0].predecessor) == ("M1", "S1")
    # Finish On or Before 2021-01-01T17:00 is the finish_not_after date.
    assert project.task("P1").finish_not_after == dt.date(2021, 1, 1)
    assert (project.task("P1").calendar, succ.calendar) == ("Ten", "Five")
    assert project.calendars["Ten"].holidays == (dt.date(2020, 12, 25),)
    lag_calendar = {
        "PredecessorCalendar.xml": "Ten",
        "SuccessorCalendar.xml": None,
        "ProjectDefaultCalendar.xml": "Test Calendar",
        "TwentyFourHourCalendar.xml": "24 hours",
    }[name]
    assert succ.after[0].calendar == lag_calendar
    assert result.warnings == []


def test_three_point_from_udfs(tmp_path):
    path = augmented(tmp_path, "PredecessorCalendar.xml")
    project = read_pmxml(path, three_point=("Best", None, "Worst")).project
    # Best 1.5, planned 2 days as most likely, Worst 4 (working days).
    assert project.task("P1").estimate == Pert(1.5, 2.0, 4.0)
    assert project.task("S1").estimate == Fixed(2.0)
