"""Model files: calendars with working times, task calendars, constraints, progress and the
hours unit, read with every problem named at its place, and written back to an equal plan."""

from __future__ import annotations

import datetime as dt

import pytest

import riskcast as rc
from riskcast.calendar import Calendar
from riskcast.distributions import (
    Beta,
    Discrete,
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
)
from riskcast.io.modelfile import model_schema, scaled
from riskcast.io.writer import model_toml, write_model_toml
from riskcast.model import Link, Milestone, Project, Task

D = dt.date
HEAD = """
[project]
name = "Update"
start = 2027-01-04
"""

FULL = """
[project]
name = "Update"
start = 2027-01-04
calendar = "office"
status_date = 2027-02-01
progress_logic = "progress-override"

[calendars.office]
workdays = ["mon", "tue", "wed", "thu", "fri"]
holidays = [2027-04-02]
yearly = ["12-25", "01-01"]
hours = ["08:00-12:00", "13:00-17:00"]
weekday_hours = { fri = ["08:00-12:00"] }
exceptions = [
    { date = 2027-12-24, hours = ["08:00-12:00"] },
    { date = 2027-12-27 },
    { date = 2027-06-05, hours = ["09:00-13:00"] },
]

[calendars.ops]
name = "Operations 24/7"
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours_per_day = 24

[calendars.short]
workdays = ["mon", "tue", "wed", "thu"]
hours = ["07:30-12:00", "12:30-15:30"]

[[task]]
id = "spec"
estimate = 5
actual_start = 2027-01-04
actual_finish = 2027-01-12

[[task]]
id = "build"
estimate = { pert = [8, 10, 16] }
after = ["spec"]
calendar = "short"
actual_start = 2027-01-13
remaining = 4
percent_complete = 60

[[task]]
id = "soak"
estimate = 3
calendar = "ops"
after = [{ task = "build", type = "FS", lag = 2, calendar = "ops" }]
not_before = 2027-03-01
not_after = 2027-03-10
finish_not_before = 2027-03-05
finish_not_after = 2027-03-20
deadline = 2027-03-25

[[task]]
id = "docs"
estimate = 12
unit = "h"
after = ["spec"]
alap = true

[[milestone]]
id = "ga"
after = ["soak", "docs"]
target = 2027-04-01
"""


def load(tmp_path, text, name="model.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return rc.load(path)


def problems(tmp_path, text) -> str:
    with pytest.raises(rc.ModelError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert "model.toml" in message  # the file is named
    return message


def with_task(extra: str, calendars: str = "") -> str:
    return HEAD + calendars + f'\n[[task]]\nid = "a"\nestimate = 5\n{extra}\n'


# --- reading ---------------------------------------------------------------------------------


def test_every_key_is_read(tmp_path):
    p = load(tmp_path, FULL)
    assert p.status_date == D(2027, 2, 1) and p.progress_logic == "progress-override"
    assert set(p.calendars) == {"office", "ops", "short"}
    office = p.calendars["office"]
    assert p.calendar is office and office.name == "office"
    assert office.hours == ((480.0, 720.0), (780.0, 1020.0)) and office.hours_per_day == 8.0
    assert office.weekday_hours == {"fri": ((480.0, 720.0),)}
    assert office.exceptions == {
        D(2027, 6, 5): ((540.0, 780.0),),
        D(2027, 12, 24): ((480.0, 720.0),),
        D(2027, 12, 27): (),
    }
    assert D(2027, 4, 2) in office.holidays
    assert office.periods_on(D(2027, 12, 27)) == ()
    assert office.periods_on(D(2027, 6, 5)) == ((540.0, 780.0),)  # a worked Saturday
    ops = p.calendars["ops"]
    assert ops.name == "Operations 24/7" and ops.hours == ((0.0, 1440.0),)
    short = p.calendars["short"]
    assert short.hours_per_day == 7.5 and short.workdays == ("mon", "tue", "wed", "thu")

    spec, build, soak, docs = p.tasks
    assert (spec.actual_start, spec.actual_finish) == (D(2027, 1, 4), D(2027, 1, 12))
    assert build.calendar == "short" and build.remaining == 4.0
    assert build.actual_start == D(2027, 1, 13) and build.percent_complete == 60.0
    assert soak.calendar == "ops"
    assert soak.after == (Link("build", "FS", 2.0, "ops"),)
    assert (soak.not_before, soak.not_after) == (D(2027, 3, 1), D(2027, 3, 10))
    assert (soak.finish_not_before, soak.finish_not_after) == (D(2027, 3, 5), D(2027, 3, 20))
    assert soak.deadline == D(2027, 3, 25)
    assert docs.alap is True and soak.alap is False
    assert docs.calendar is None and docs.estimate == Fixed(1.5)  # 12 h of an 8-hour day


def test_hours_per_day_defaults_to_the_working_times_else_8(tmp_path):
    p = load(
        tmp_path,
        HEAD
        + """
[calendars.plain]
workdays = ["mon"]

[calendars.given]
hours = ["08:00-12:00"]
hours_per_day = 6

[[task]]
id = "a"
estimate = 1
""",
    )
    assert p.calendars["plain"].hours_per_day == 8.0
    assert p.calendars["plain"].hours == ((480.0, 720.0), (780.0, 1020.0))
    assert p.calendars["given"].hours_per_day == 6.0


def test_an_estimate_in_hours_on_a_7_5_hour_calendar(tmp_path):
    p = load(
        tmp_path,
        HEAD
        + """status_date = 2027-01-05

[calendars.site]
hours = ["08:00-12:00", "12:30-16:00"]

[[task]]
id = "weld"
calendar = "site"
unit = "h"
estimate = { pert = [15, 30, 60] }
actual_start = 2027-01-04
remaining = 22.5

[[task]]
id = "paint"
unit = "d"
calendar = "site"
estimate = { pert = [2, 4, 8] }
""",
    )
    weld = p.task("weld")
    assert p.calendars["site"].hours_per_day == 7.5
    assert weld.estimate == Pert(2.0, 4.0, 8.0)
    assert weld.estimate.mean == pytest.approx(Pert(15, 30, 60).mean / 7.5)
    assert weld.remaining == 3.0
    assert p.task("paint").estimate == Pert(2, 4, 8)


def test_hours_use_the_project_calendar_when_the_task_names_none(tmp_path):
    text = HEAD.replace("start = 2027-01-04", 'start = 2027-01-04\ncalendar = "long"') + (
        "\n[calendars.long]\nhours_per_day = 10\n"
        '\n[[task]]\nid = "a"\nunit = "h"\nestimate = { triangular = [5, 10, 40] }\n'
    )
    assert load(tmp_path, text).task("a").estimate == Triangular(0.5, 1.0, 4.0)


@pytest.mark.parametrize(
    "dist",
    [
        Fixed(6),
        Uniform(2, 8),
        Triangular(2, 4, 9),
        Pert(2, 4, 9, 3.0),
        Beta(2, 9, 2.0, 3.0),
        Normal(6, 2, 1, 20),
        LogNormal(1.5, 0.4),
        Exponential(4),
        Discrete((2.0, 4.0), (0.3, 0.7)),
        Empirical((3.0, 5.0, 4.0, 9.0)),
    ],
    ids=lambda d: d.kind,
)
def test_scaling_scales_every_distribution(dist):
    half = scaled(dist, 0.5)
    assert type(half) is type(dist)
    assert half.mean == pytest.approx(dist.mean / 2)
    assert half.var == pytest.approx(dist.var / 4)
    assert half.most_likely == pytest.approx(dist.most_likely / 2)


def test_yearly_holidays_expand_over_every_planning_year(tmp_path):
    p = load(
        tmp_path,
        HEAD + '\n[calendars.c]\nyearly = ["12-25", "02-29"]\n\n[[task]]\nid = "a"\nestimate = 1\n',
    )
    holidays = set(p.calendars["c"].holidays)
    christmas = {d for d in holidays if (d.month, d.day) == (12, 25)}
    assert len(christmas) == 300 and min(christmas).year == 1900 and max(christmas).year == 2199
    leap = {d.year for d in holidays if (d.month, d.day) == (2, 29)}
    assert 2028 in leap and 2000 in leap and 1900 not in leap and 2100 not in leap
    assert p.calendars["c"].periods_on(D(2031, 12, 25)) == ()


def test_named_calendars_and_the_project_calendar(tmp_path):
    text = HEAD + '\n[calendars.a]\nworkdays = ["mon"]\n\n[[task]]\nid = "t"\nestimate = 1\n'
    p = load(tmp_path, text)
    assert p.calendar == Calendar() and p.calendars == {"a": Calendar(("mon",), name="a")}


# --- problems --------------------------------------------------------------------------------


def test_unknown_calendar_names_are_named(tmp_path):
    text = (
        with_task(
            'calendar = "shrot"\nafter = [{ task = "b", calendar = "night" }]',
            '\n[calendars.short]\nworkdays = ["mon"]\n',
        )
        + '\n[[task]]\nid = "b"\nestimate = 1\n'
    )
    message = problems(tmp_path, text)
    assert 'task "a" > calendar: no calendar "shrot" (defined: short)' in message
    assert 'task "a" > after[0] > calendar: no calendar "night"' in message
    text = HEAD.replace("2027-01-04", '2027-01-04\ncalendar = "offise"') + (
        '\n[calendars.office]\n\n[[task]]\nid = "a"\nestimate = 1\n'
    )
    assert 'no [calendars.offise] table (defined: office); did you mean "office"?' in problems(
        tmp_path, text
    )


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        ('hours = ["25:00-26:00"]', 'calendar "c" > hours[0]: "25:00" is not a time of day'),
        ('hours = ["17:00-08:00"]', 'calendar "c" > hours[0]: a working time must end after'),
        ('hours = ["8am-noon"]', 'calendar "c" > hours[0]: "8am" is not a time of day'),
        (
            'hours = ["08:00-12:00", "11:00-15:00"]',
            'calendar "c" > hours: working times overlap (08:00-12:00 and 11:00-15:00)',
        ),
        ("hours = 8", 'calendar "c" > hours: expected working times like'),
        (
            'weekday_hours = { fro = ["08:00-12:00"] }',
            'calendar "c" > weekday_hours: unknown key "fro"',
        ),
        (
            'weekday_hours = { fri = ["13:00-12:00"] }',
            'calendar "c" > weekday_hours > fri[0]: a working time must end after',
        ),
        (
            'weekday_hours = { sat = ["08:00-12:00"] }',
            'calendar "c": weekday_hours: "sat" is not one of the working weekdays',
        ),
        (
            'exceptions = [{ date = "2027-13-01" }]',
            'calendar "c" > exceptions[0] > date: expected a date like 2027-01-04',
        ),
        (
            'exceptions = [{ date = 2027-05-03, hours = ["09:00-24:30"] }]',
            'calendar "c" > exceptions[0] > hours[0]: "24:30" is not a time of day',
        ),
        (
            "exceptions = [{ date = 2027-05-03 }, { date = 2027-05-03 }]",
            'calendar "c" > exceptions[1] > date: 2027-05-03 is given twice',
        ),
        (
            'exceptions = [{ date = 2027-05-03, hour = ["08:00-12:00"] }]',
            'calendar "c" > exceptions[0]: unknown key "hour"',
        ),
        ("exceptions = [2027-05-03]", 'calendar "c" > exceptions[0]: expected { date = '),
        ('yearly = ["12-32"]', 'calendar "c" > yearly[0]: expected a month and day like "12-25"'),
        ("yearly = [1225]", 'calendar "c" > yearly[0]: expected a month and day'),
        ('holidays = ["xmas"]', 'calendar "c" > holidays[0]: expected a date like 2027-01-04'),
        ("hours_per_day = 30", 'calendar "c": hours_per_day must be > 0 and <= 24, got 30'),
        ('hour = ["08:00-12:00"]', 'calendar "c": unknown key "hour" in [calendars]'),
    ],
)
def test_bad_calendars_are_named_at_their_place(tmp_path, calendar, expected):
    text = with_task('calendar = "c"', f"\n[calendars.c]\n{calendar}\n")
    message = problems(tmp_path, text)
    assert expected in message
    assert 'no calendar "c"' not in message  # a broken calendar is reported once, where defined


def test_every_calendar_problem_at_once(tmp_path):
    text = with_task(
        "",
        '\n[calendars.c]\nhours = ["25:00-26:00"]\nexceptions = [{ date = "x" }]\n'
        'yearly = ["13-01"]\n\n[calendars.d]\nweekday_hours = { fri = ["17:00-08:00"] }\n',
    )
    message = problems(tmp_path, text)
    for part in ("hours[0]", "exceptions[0] > date", "yearly[0]", 'calendar "d" > weekday_hours'):
        assert part in message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('unit = "m"', 'task "a" > unit: expected "d" (working days, the default) or "h"'),
        ('unit = "hours"', 'task "a" > unit: expected "d"'),
        ('deadline = "soon"', 'task "a" > deadline: expected a date like 2027-01-04'),
        ("not_after = 2027-13-01", "invalid TOML"),
        ('finish_not_after = "2027-02-30"', 'task "a" > finish_not_after: expected a date'),
        ('alap = "yes"', 'task "a" > alap: expected true or false'),
        ('remaining = "3d"', 'task "a" > remaining: expected a finite number'),
        ("calendar = 3", 'task "a" > calendar: expected a non-empty string'),
        (
            "not_before = 2027-03-10\nnot_after = 2027-03-01",
            'task "a": not_after 2027-03-01 is before not_before 2027-03-10',
        ),
        ("actual_finish = 2027-01-08", "has progress (actual dates or remaining work) but"),
        ("falp = true", 'unknown key "falp" in [task]; did you mean "alap"?'),
        ('after = [{ task = "b", calender = "x" }]', 'unknown key "calender"'),
    ],
)
def test_bad_task_keys_are_named(tmp_path, extra, expected):
    assert expected in problems(tmp_path, with_task(extra))


def test_bad_project_keys_are_named(tmp_path):
    text = with_task("").replace(
        "2027-01-04", '2027-01-04\nstatus_date = "today"\nprogress_logic = "retained"'
    )
    message = problems(tmp_path, text)
    assert "project > status_date: expected a date like 2027-01-04" in message
    assert 'project > progress_logic: expected one of "retained-logic"' in message
    assert 'did you mean "retained-logic"?' in message


def test_progress_is_checked_against_the_status_date(tmp_path):
    text = with_task("actual_start = 2027-01-20\nremaining = 2").replace(
        "2027-01-04", "2027-01-04\nstatus_date = 2027-01-11"
    )
    assert 'task "a" > actual_start: 2027-01-20 is after the status date' in problems(
        tmp_path, text
    )


def test_the_schema_knows_the_new_keys():
    schema = model_schema()["properties"]
    calendar = schema["calendars"]["additionalProperties"]["properties"]
    assert {"hours", "weekday_hours", "exceptions", "yearly", "name"} <= set(calendar)
    task = schema["task"]["items"]["properties"]
    assert task["unit"]["enum"] == ["d", "h"]
    assert {"calendar", "not_after", "deadline", "alap", "remaining"} <= set(task)
    link = task["after"]["items"]["anyOf"][1]["properties"]
    assert "calendar" in link
    assert set(schema["project"]["properties"]) >= {"status_date", "progress_logic"}


# --- writing ---------------------------------------------------------------------------------


def every_feature() -> Project:
    office = Calendar(
        ("mon", "tue", "wed", "thu", "fri"),
        (D(2027, 4, 2), *(D(y, 12, 25) for y in range(1900, 2200))),
        hours=("08:00-12:00", "13:00-17:00"),
        weekday_hours={"fri": ("08:00-12:00",)},
        exceptions={D(2027, 12, 24): ("08:00-12:30",), D(2027, 12, 27): ()},
        name="office",
    )
    ops = Calendar.elapsed()  # named "24 hours": not its table's name
    short = Calendar(("mon", "tue", "wed", "thu"), hours_per_day=7.75, name="Four-day week")
    return Project(
        name="Round trip",
        start=D(2027, 1, 4),
        calendar=office,
        calendars={"office": office, "24h": ops, "four day": short},
        status_date=D(2027, 2, 1),
        progress_logic="progress-override",
        tasks=(
            Task("spec", Pert(3, 5, 9), actual_start=D(2027, 1, 4), actual_finish=D(2027, 1, 15)),
            Task(
                "build",
                Triangular(8, 10, 15),
                after=(Link("spec"),),
                calendar="four day",
                actual_start=D(2027, 1, 18),
                remaining=4.5,
                percent_complete=30.0,
            ),
            Task(
                "soak",
                Fixed(3),
                after=(Link("build", "FS", 2.0, "24h"), Link("spec", "SS", 0.0, "office")),
                calendar="24h",
                not_before=D(2027, 3, 1),
                not_after=D(2027, 3, 1),
                finish_not_before=D(2027, 3, 5),
                finish_not_after=D(2027, 3, 5),
                deadline=D(2027, 3, 26),
            ),
            Task("docs", Uniform(2, 4), after=(Link("spec"),), alap=True, probability=0.8),
        ),
        milestones=(Milestone("ga", ("soak", "docs"), "GA", D(2027, 4, 1)),),
    )


def test_written_plan_reads_back_equal(tmp_path):
    project = every_feature()
    loaded = rc.load(write_model_toml(project, tmp_path / "model.toml"))
    assert loaded.tasks == project.tasks
    assert loaded.milestones == project.milestones
    assert loaded.calendars == project.calendars
    assert loaded.calendar == project.calendar
    assert (loaded.status_date, loaded.progress_logic) == (D(2027, 2, 1), "progress-override")


def test_written_calendars_are_compact(tmp_path):
    text = model_toml(every_feature())
    assert 'calendar = "office"' in text
    assert 'yearly = ["12-25"]' in text and "holidays = [2027-04-02]" in text
    assert 'weekday_hours = { fri = ["08:00-12:00"] }' in text
    assert '    { date = 2027-12-24, hours = ["08:00-12:30"] },' in text
    assert "    { date = 2027-12-27 }," in text
    assert '[calendars."four day"]' in text and 'name = "Four-day week"' in text
    four_day = text.split('[calendars."four day"]')[1].split("\n\n")[0]
    assert "hours =" not in four_day  # default working times are not written
    assert 'progress_logic = "progress-override"' in text
    assert "remaining = 4.5" in text and "alap = true" in text
    default = model_toml(Project("p", D(2027, 1, 4), (Task("a", Fixed(1)),)))
    assert "progress_logic" not in default and "status_date" not in default


def test_an_unlisted_project_calendar_gets_its_own_table(tmp_path):
    project = Project(
        "p",
        D(2027, 1, 4),
        (Task("a", Fixed(1), calendar="main"),),
        calendar=Calendar(("mon", "tue"), name="Site"),
        calendars={"main": Calendar(("wed",))},
    )
    loaded = rc.load(write_model_toml(project, tmp_path / "model.toml"))
    assert loaded.calendar == project.calendar
    assert set(loaded.calendars) == {"main", "Site"}


def test_the_example_update_model_loads():
    from pathlib import Path

    project = rc.load(Path(__file__).parent.parent / "models" / "update-example.toml")
    rc.validate(project)
    assert project.status_date is not None and project.calendars
    done = [t for t in project.tasks if t.actual_finish]
    going = [t for t in project.tasks if t.actual_start and not t.actual_finish]
    todo = [t for t in project.tasks if not t.actual_start]
    assert done and going and todo and all(t.remaining is not None for t in going)
    assert any(t.deadline for t in project.tasks)
    assert any(
        t.finish_not_before and t.finish_not_before == t.finish_not_after for t in project.tasks
    )
    assert any(t.calendar for t in project.tasks) and project.risks
    assert all(m.target for m in project.milestones)


def test_a_json_model_reads_the_same_keys(tmp_path):
    import json

    data = {
        "project": {"name": "j", "start": "2027-01-04", "status_date": "2027-01-11"},
        "calendars": {
            "c": {
                "hours": ["09:00-13:00"],
                "yearly": ["07-04"],
                "exceptions": [{"date": "2027-01-08", "hours": []}],
            }
        },
        "task": [
            {"id": "a", "estimate": 8, "unit": "h", "calendar": "c", "deadline": "2027-02-01"},
            {"id": "b", "estimate": 1, "after": [{"task": "a", "lag": 1, "calendar": "c"}]},
        ],
    }
    p = load(tmp_path, json.dumps(data), "model.json")
    assert p.task("a").estimate == Fixed(2.0)  # 8 hours of a 4-hour day
    assert p.task("a").deadline == D(2027, 2, 1)
    assert p.calendars["c"].exceptions == {D(2027, 1, 8): ()}
    assert D(2027, 7, 4) in p.calendars["c"].holidays
    assert p.task("b").after == (Link("a", "FS", 1.0, "c"),)
