"""MS Project MSPDI import, checked against real files saved by MS Project (tests/data/mpxj).

Expected values come from the files: the Start/Finish dates MS Project computed, the LinkLag and
Duration values with their formats, and the SOURCE.md table (from MPXJ's TaskLinksTest).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import defusedxml.ElementTree as ET
import numpy as np
import pytest

from riskcast.compile import compile_project
from riskcast.distributions import Fixed, Pert
from riskcast.engine.run import forward_pass
from riskcast.io.mspdi import base_format, iso_hours, read_mspdi
from riskcast.io.schedules import read_schedule
from riskcast.model import Milestone

DATA = Path(__file__).parent / "data" / "mpxj" / "mspdi"
NS = {"p": "http://schemas.microsoft.com/project"}


def file_tasks(path: Path) -> dict[str, dict[str, str]]:
    """UID -> the task's raw elements, read independently of the importer."""
    root = ET.parse(str(path)).getroot()
    return {
        t.find("p:UID", NS).text: {c.tag.split("}")[1]: (c.text or "") for c in t}
        for t in root.findall("p:Tasks/p:Task", NS)
    }


def plan_dates(project) -> dict[str, tuple[dt.date, dt.date]]:
    """CPM start and finish dates of every activity, by riskcast's rounding rule."""
    net = compile_project(project)
    start, finish = forward_pass(net, net.plan_duration)
    cal = project.calendar
    s = cal.start_dates(project.start, start).astype(dt.date)
    f = cal.finish_dates(project.start, finish).astype(dt.date)
    return {id: (s[k], f[k]) for k, id in enumerate(net.ids)}


def ms_finish_date(text: str, cal) -> dt.date:
    """MS Project writes a finish at the very start of a working day (08:00, the file's
    DefaultStartTime) for work that ended the working day before; map it to that day."""
    stamp = dt.datetime.fromisoformat(text)
    if stamp.time() == dt.time(8, 0):
        day = np.busday_offset(
            np.datetime64(stamp.date(), "D"), -1, roll="backward", busdaycal=cal.busdaycalendar
        )
        return day.astype(dt.date)
    return stamp.date()


def assert_plan_matches_file(path: Path, uids=None) -> int:
    project = read_mspdi(path).project
    dates = plan_dates(project)
    raw = file_tasks(path)
    checked = 0
    for uid, (start, finish) in dates.items():
        if uids is not None and uid not in uids:
            continue
        expected_start = dt.datetime.fromisoformat(raw[uid]["Start"]).date()
        expected_finish = ms_finish_date(raw[uid]["Finish"], project.calendar)
        assert (start, finish) == (expected_start, expected_finish), f"task {uid}"
        checked += 1
    return checked


# --- task-links-project2019-mspdi.xml ----------------------------------------------------------


def test_task_links_plan_dates_equal_ms_project_dates():
    assert assert_plan_matches_file(DATA / "task-links-project2019-mspdi.xml") == 16


def test_task_links_successor_starts_from_source_table():
    # SOURCE.md: MS Project's computed start of each successor (from MPXJ's TaskLinksTest).
    expected = {
        "2": "2018-10-19",
        "4": "2018-10-22",
        "6": "2018-10-23",
        "8": "2018-10-26",
        "10": "2018-11-02",
        "12": "2018-10-19",
        "14": "2018-10-22",
        "16": "2018-10-22",
    }
    result = read_mspdi(DATA / "task-links-project2019-mspdi.xml")
    dates = plan_dates(result.project)
    for uid, day in expected.items():
        assert dates[uid][0] == dt.date.fromisoformat(day)
    assert result.project.start == dt.date(2018, 10, 18)
    # Every task of this file is manually scheduled (Manual = 1); the only warnings say so.
    assert len(result.warnings) == 16
    assert all("manually scheduled in MS Project" in w for w in result.warnings)


def test_task_links_types_and_lags():
    # LinkLag tenths of a minute / 4800 (= 480 min, MinutesPerDay) -> working days.
    project = read_mspdi(DATA / "task-links-project2019-mspdi.xml").project
    links = {
        t.id: [(link.predecessor, link.type, link.lag) for link in t.after] for t in project.tasks
    }
    assert links["2"] == [("1", "FS", 0.0)]
    assert links["4"] == [("3", "FS", 1.0)]  # 4800, format 7 (d)
    assert links["6"] == [("5", "FS", 2.0)]  # 9600
    assert links["8"] == [("7", "FS", 5.0)]  # 24000, format 9 (w): one working week
    assert links["10"] == [("9", "FS", 10.0)]  # 48000, 2 w
    assert links["12"] == [("11", "SF", 2.0)]  # Type 2
    assert links["14"] == [("13", "SS", 2.0)]  # Type 3
    assert links["16"] == [("15", "FF", 2.0)]  # Type 0
    assert all(t.estimate == Fixed(1.0) for t in project.tasks)  # PT8H0M0S each


# --- mspdirelations.xml -------------------------------------------------------------------------


def test_mspdirelations_links_and_dates():
    project = read_schedule(DATA / "mspdirelations.xml").project
    links = {
        t.id: [(link.predecessor, link.type, link.lag) for link in t.after] for t in project.tasks
    }
    assert links == {
        "1": [],
        "2": [("1", "FS", 0.0)],
        "3": [("2", "SS", 1.0)],  # LinkLag 4800 = one 480-minute day
        "4": [("3", "FF", 0.0)],
        "5": [("4", "SF", 0.0)],
    }
    # PT8H0M0S with DurationFormat 39 ("d?", an estimated day): one working day each.
    assert {t.estimate for t in project.tasks} == {Fixed(1.0)}
    assert assert_plan_matches_file(DATA / "mspdirelations.xml") == 5


# --- sample1.xml ---------------------------------------------------------------------------------


def test_sample1_links():
    project = read_mspdi(DATA / "sample1.xml").project
    after = {
        t.id: [(link.predecessor, link.type, link.lag) for link in t.after] for t in project.tasks
    }
    assert after["10"] == [("9", "FS", 0.0)]
    assert after["12"] == [("11", "FS", 1.0)]  # LinkLag 4800
    assert after["14"] == [("13", "FS", -1.0)]  # LinkLag -4800: a one-day lead
    assert after["16"] == [("15", "SS", 0.0)]
    assert after["18"] == [("17", "FF", 0.0)]
    assert after["21"] == [("20", "SF", 0.0)]


def test_sample1_plan_dates_of_the_relationship_tasks():
    group = {str(uid) for uid in range(9, 22) if uid != 19} | {"23"}
    assert assert_plan_matches_file(DATA / "sample1.xml", group) == len(group)


def test_sample1_structure_constraints_resources():
    result = read_mspdi(DATA / "sample1.xml")
    project = result.project
    ids = [t.id for t in project.tasks]
    # Summaries (UIDs 0, 1, 6, 19, 22) are not activities.
    assert not {"0", "1", "6", "19", "22"} & set(ids)
    assert project.name == "MPXJ Sample"
    assert project.start == dt.date(2003, 1, 7)
    t23 = project.task("23")
    assert t23.tags == {  # <ID>21</ID>: the row number MS Project shows
        "source_id": "21",
        "source_uid": "23",
        "wbs": "Task Relationships / Resource Assignments",
        "wbs_code": "3.13.1",
        "outline": "1.3.13.1",
    }
    # "Third task" is a zero-duration milestone without predecessors: a Fixed(0) task.
    assert project.task("3").estimate == Fixed(0.0)
    assert project.milestones == ()
    # ConstraintType 4 (start no earlier than) -> not_before.
    assert project.task("7").not_before == dt.date(2003, 2, 1)
    assert project.task("20").not_before == dt.date(2003, 1, 8)
    # Rates: StandardRate is per hour. Check with the file's costs: assignment of resource 1 to
    # task 23 costs 43000 cents = 430.00 for 40 h of work, less 30.00 cost per use (3000 cents)
    # -> 10 per hour; a working day is 480 min = 8 h -> 80 per working day.
    rates = {r.id: (r.name, r.rate) for r in project.resources}
    assert rates == {
        "1": ("First Resource", (430.0 - 30.0) / 40 * 8),
        "2": ("Second Resource", (215.0 - 15.0) / 40 * 8),
    }
    assert [(a.resource, a.units) for a in project.task("2").assignments] == [
        ("1", 0.5),
        ("2", 0.75),
    ]
    assert [(a.resource, a.units) for a in t23.assignments] == [("1", 1.0)]
    # Resource 2 works on the night-shift calendar (UID 4, based on calendar 2).
    assert any('task "24"' in w and "own calendar" in w for w in result.warnings)


# --- mspdiduration.xml ---------------------------------------------------------------------------


def test_every_duration_unit():
    result = read_mspdi(DATA / "mspdiduration.xml")
    tasks = {t.id: t for t in result.project.tasks}
    days = {id: t.estimate.value for id, t in tasks.items()}
    expected = {
        "1": 1 / 480,  # 1 m: PT0H1M0S of a 480-minute day
        "2": 60 / 480,  # 1 h
        "3": 1.0,  # 1 d = PT8H
        "4": 5.0,  # 1 w = PT40H
        "5": 20.0,  # 1 mo = PT160H (DaysPerMonth 20)
        # Elapsed formats run on the 24-hour calendar, where a day is 24 hours: exact.
        "6": 1 / 1440,  # 1 em: one elapsed minute
        "7": 1 / 24,  # 1 eh
        "8": 1.0,  # 1 ed = PT24H elapsed
        "9": 7.0,  # 1 ew = PT168H elapsed
        "10": 30.0,  # 1 emo = PT720H elapsed (30 days)
    }
    assert days == pytest.approx(expected, rel=1e-12)
    assert {id: t.calendar for id, t in tasks.items()} == {
        str(k): ("24 hours" if k >= 6 else None) for k in range(1, 11)
    }
    assert result.project.calendars["24 hours"].hours_per_day == 24.0
    assert not [w for w in result.warnings if "elapsed" in w]


def test_format_codes_and_iso_durations():
    assert [base_format(c) for c in (7, 39, 40, 41, 51, 52, 53)] == [7, 7, 8, 9, 19, 20, 53]
    assert iso_hours("PT8H0M0S") == 8.0
    assert iso_hours("PT0H1M0S") == pytest.approx(1 / 60)
    assert iso_hours("-PT4H30M0S") == -4.5
    assert iso_hours("P1DT2H") == 26.0
    with pytest.raises(ValueError):
        iso_hours("8 hours")


# --- a hand-made MSPDI file for what the real files do not cover ------------------------------

SYNTHETIC = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <Name>synthetic</Name><StartDate>2027-01-04T08:00:00</StartDate>
  <MinutesPerDay>480</MinutesPerDay><CalendarUID>1</CalendarUID>
  <ExtendedAttributes>
    <ExtendedAttribute><FieldID>188743783</FieldID><FieldName>Duration1</FieldName>
      <Alias>Optimistic</Alias></ExtendedAttribute>
    <ExtendedAttribute><FieldID>188743784</FieldID><FieldName>Duration2</FieldName>
      </ExtendedAttribute>
    <ExtendedAttribute><FieldID>188743767</FieldID><FieldName>Number1</FieldName>
      <Alias>Pessimistic</Alias></ExtendedAttribute>
  </ExtendedAttributes>
  <Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>
    <WeekDays>
      <WeekDay><DayType>1</DayType><DayWorking>0</DayWorking></WeekDay>
      <WeekDay><DayType>2</DayType><DayWorking>1</DayWorking></WeekDay>
      <WeekDay><DayType>3</DayType><DayWorking>1</DayWorking></WeekDay>
      <WeekDay><DayType>4</DayType><DayWorking>1</DayWorking></WeekDay>
      <WeekDay><DayType>5</DayType><DayWorking>1</DayWorking></WeekDay>
      <WeekDay><DayType>6</DayType><DayWorking>0</DayWorking></WeekDay>
      <WeekDay><DayType>7</DayType><DayWorking>0</DayWorking></WeekDay>
    </WeekDays>
    <Exceptions>
      <Exception><TimePeriod><FromDate>2027-04-01T00:00:00</FromDate>
        <ToDate>2027-04-02T23:59:00</ToDate></TimePeriod><Type>1</Type>
        <DayWorking>0</DayWorking></Exception>
    </Exceptions>
  </Calendar></Calendars>
  <Tasks>
    <Task><UID>0</UID><ID>0</ID><Name>synthetic</Name><OutlineLevel>0</OutlineLevel>
      <Summary>1</Summary><Duration>PT80H0M0S</Duration></Task>
    <Task><UID>1</UID><ID>1</ID><Name>Phase 1</Name><OutlineLevel>1</OutlineLevel>
      <Summary>1</Summary><Duration>PT40H0M0S</Duration></Task>
    <Task><UID>2</UID><ID>2</ID><Name>Design</Name><OutlineLevel>2</OutlineLevel>
      <Summary>1</Summary><Duration>PT40H0M0S</Duration></Task>
    <Task><UID>3</UID><ID>3</ID><Name>Sketch</Name><OutlineLevel>3</OutlineLevel>
      <Duration>PT16H0M0S</Duration><DurationFormat>7</DurationFormat>
      <ExtendedAttribute><FieldID>188743783</FieldID><Value>PT8H0M0S</Value></ExtendedAttribute>
      <ExtendedAttribute><FieldID>188743784</FieldID><Value>PT16H0M0S</Value></ExtendedAttribute>
      <ExtendedAttribute><FieldID>188743767</FieldID><Value>4.5</Value></ExtendedAttribute>
    </Task>
    <Task><UID>4</UID><ID>4</ID><Name>Review</Name><OutlineLevel>3</OutlineLevel>
      <Duration>PT40H0M0S</Duration><ConstraintType>7</ConstraintType>
      <ConstraintDate>2027-02-01T17:00:00</ConstraintDate><PercentComplete>40</PercentComplete>
      <ActualStart>2027-01-05T08:00:00</ActualStart><CalendarUID>9</CalendarUID>
      <ExtendedAttribute><FieldID>188743783</FieldID><Value>PT8H0M0S</Value></ExtendedAttribute>
      <PredecessorLink><PredecessorUID>3</PredecessorUID><Type>1</Type>
        <LinkLag>50</LinkLag><LagFormat>19</LagFormat></PredecessorLink>
    </Task>
    <Task><UID>5</UID><ID>5</ID><Name>Build</Name><OutlineLevel>1</OutlineLevel>
      <Duration>PT24H0M0S</Duration>
      <PredecessorLink><PredecessorUID>1</PredecessorUID><Type>1</Type>
        <LinkLag>14400</LinkLag><LagFormat>8</LagFormat></PredecessorLink>
      <PredecessorLink><PredecessorUID>77</PredecessorUID><Type>1</Type>
        <CrossProject>1</CrossProject><CrossProjectName>other.mpp\\12</CrossProjectName>
        <LinkLag>0</LinkLag><LagFormat>7</LagFormat></PredecessorLink>
    </Task>
    <Task><UID>6</UID><ID>6</ID><Name>Launch</Name><OutlineLevel>1</OutlineLevel>
      <Milestone>1</Milestone><Duration>PT0H0M0S</Duration>
      <Deadline>2027-03-01T17:00:00</Deadline>
      <PredecessorLink><PredecessorUID>5</PredecessorUID><Type>1</Type>
        <LinkLag>0</LinkLag><LagFormat>7</LagFormat></PredecessorLink>
    </Task>
    <Task><UID>7</UID><ID>7</ID><Name>Parked</Name><OutlineLevel>1</OutlineLevel>
      <Active>0</Active><Duration>PT8H0M0S</Duration></Task>
    <Task><UID>8</UID><ID>8</ID><Name>Docs</Name><OutlineLevel>1</OutlineLevel>
      <Duration>PT8H0M0S</Duration>
      <PredecessorLink><PredecessorUID>2</PredecessorUID><Type>3</Type>
        <LinkLag>0</LinkLag><LagFormat>7</LagFormat></PredecessorLink>
    </Task>
  </Tasks>
</Project>
"""


@pytest.fixture
def synthetic(tmp_path):
    path = tmp_path / "synthetic.xml"
    path.write_text(SYNTHETIC, encoding="utf-8")
    return path


def test_summary_links_are_expanded_to_leaf_children(synthetic):
    result = read_mspdi(synthetic)
    project = result.project
    assert [t.id for t in project.tasks] == ["3", "4", "5", "8"]
    assert project.task("3").tags["wbs"] == "Phase 1 / Design"
    # Build follows summary "Phase 1": it gets one link from each of its leaves (3 and 4).
    build = project.task("5")
    assert sorted((link.predecessor, link.type) for link in build.after) == [
        ("3", "FS"),
        ("4", "FS"),
    ]
    # Docs starts with summary "Design" (SS): linked from both of its leaves.
    assert sorted(link.predecessor for link in project.task("8").after) == ["3", "4"]
    summary_warnings = [w for w in result.warnings if "summary task" in w]
    assert len(summary_warnings) == 2
    assert any('task "5"' in w and "Phase 1" in w for w in summary_warnings)


def test_synthetic_lags_milestones_constraints(synthetic):
    result = read_mspdi(synthetic)
    project = result.project
    # 50 % (LinkLag 50 with LagFormat 19: a plain percent) of Sketch's 2-day duration = 1 day,
    # on the successor's calendar.
    assert (project.task("4").after[0].lag, project.task("4").after[0].calendar) == (1.0, None)
    # 1 elapsed day (14400 tenths of a minute = 1440 min) = 1 day of the 24-hour calendar.
    assert project.calendar.workdays == ("mon", "tue", "wed", "thu")
    assert [(link.lag, link.calendar) for link in project.task("5").after] == [
        (1.0, "24 hours")
    ] * 2
    # ConstraintType 7 (finish no later than).
    assert project.task("4").finish_not_after == dt.date(2027, 2, 1)
    (launch,) = project.milestones
    assert isinstance(launch, Milestone)
    assert (launch.id, launch.target, launch.after[0].predecessor) == (
        "6",
        dt.date(2027, 3, 1),
        "5",
    )
    assert project.task("4").percent_complete == 40.0
    assert project.task("4").actual_start == dt.date(2027, 1, 5)
    # The exception covers Thu 1 and Fri 2 April; Friday is not a working day anyway.
    assert project.calendar.holidays == (dt.date(2027, 4, 1),)
    text = "\n".join(result.warnings)
    for expected in (
        'task "4" (Review): its calendar UID "9" is not in the file',
        'task "4" (Review): FS lag of 50%',
        'task "5" (Build): dropped the FS link from another project',
        'task "7" (Parked): inactive task skipped',
    ):
        assert expected in text
    assert "7" not in [t.id for t in project.tasks]


def test_three_point_from_extended_attributes(synthetic):
    result = read_schedule(synthetic, {"three_point": ("Optimistic", "Duration2", "Pessimistic")})
    sketch = result.project.task("3")
    # Duration1 "Optimistic" PT8H = 1 d, Duration2 PT16H = 2 d, Number1 "Pessimistic" 4.5 d.
    assert sketch.estimate == Pert(1.0, 2.0, 4.5)
    # Review has only the optimistic value: kept single point, with a warning naming it.
    assert result.project.task("4").estimate == Fixed(5.0)
    assert any('task "4" (Review): three-point fields incomplete' in w for w in result.warnings)
    # A None middle name uses the scheduled duration as the most likely value.
    mid = read_mspdi(synthetic, three_point=("optimistic", None, "pessimistic")).project
    assert mid.task("3").estimate == Pert(1.0, 2.0, 4.5)


def test_unknown_three_point_field_is_an_error(synthetic):
    from riskcast.errors import ModelError

    with pytest.raises(ModelError, match=r"'Likely' is not an extended attribute.*optimistic"):
        read_mspdi(synthetic, three_point=("Optimistic", "Likely", "Pessimistic"))


def test_import_command_reads_three_point_fields(synthetic, tmp_path, capsys):
    import tomllib

    from riskcast.cli import main

    out = tmp_path / "plan.toml"
    code = main(
        ["import", str(synthetic), "-o", str(out), "--three-point", "Optimistic,,Pessimistic"]
    )
    assert code == 0, capsys.readouterr().err
    tasks = {t["id"]: t for t in tomllib.loads(out.read_text())["task"]}
    assert tasks["3"]["estimate"] == {"pert": [1.0, 2.0, 4.5]}
    assert main(["import", str(synthetic), "-o", str(out), "--three-point", "a,b"]) == 2
    assert "LOW,MODE,HIGH" in capsys.readouterr().err
