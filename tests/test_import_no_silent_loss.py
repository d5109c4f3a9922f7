"""Importers never drop data silently: what they cannot carry over is an error or a warning
that names the task, calendar or record, and the file. Inputs are mutated copies of the small
real files in tests/data/mpxj."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from riskcast.errors import ModelError
from riskcast.io.modelfile import read_model_file
from riskcast.io.schedules import read_schedule
from riskcast.model import Project, Task, validate

DATA = Path(__file__).parent / "data" / "mpxj"
MSPDI = DATA / "mspdi" / "mspdirelations.xml"  # tasks UID 1-4; UID 2 follows 1, 3 follows 2
XER = DATA / "xer" / "percent-complete-8.4.xer"  # no TASKPRED table; 24 holidays in its calendar


# --------------------------------------------------------------------------------------------
# Helpers: mutate one task of the MSPDI file, one row or table of the XER file.


def mspdi_task(tmp_path: Path, uid: str, edit) -> Path:
    """A copy of MSPDI with ``edit(task_xml) -> task_xml`` applied to task ``uid``."""
    text = MSPDI.read_text(encoding="utf-8")
    for m in re.finditer(r"<Task>.*?</Task>", text, re.S):
        if re.search(rf"<UID>{uid}</UID>", m.group()):
            path = tmp_path / "plan.xml"
            path.write_text(text[: m.start()] + edit(m.group()) + text[m.end() :], "utf-8")
            return path
    raise AssertionError(f"no task {uid}")  # pragma: no cover


def xer_lines() -> list[str]:
    return XER.read_text(encoding="cp1252").split("\n")


def write_xer(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "plan.xer"
    path.write_text("\n".join(lines), encoding="cp1252")
    return path


def xer_row(lines: list[str], table: str, k: int = 0) -> tuple[int, dict[str, str]]:
    """(index in ``lines``, row as a dict) of the ``k``-th row of ``table``."""
    at = lines.index(f"%T\t{table}")
    fields = lines[at + 1].split("\t")[1:]
    index = at + 2 + k
    return index, dict(zip(fields, lines[index].split("\t")[1:], strict=False))


def set_xer_value(lines: list[str], table: str, column: str, value: str, k: int = 0) -> int:
    at = lines.index(f"%T\t{table}")
    fields = lines[at + 1].split("\t")[1:]
    index = at + 2 + k
    values = lines[index].split("\t")
    values[1 + fields.index(column)] = value
    lines[index] = "\t".join(values)
    return index + 1  # the 1-based line number


def with_taskpred(lines: list[str], rows: list[tuple[str, str]]) -> list[str]:
    """``lines`` with a TASKPRED table of (task_id, pred_task_id) FS links before %E."""
    _, first = xer_row(lines, "TASK")
    end = max(i for i, line in enumerate(lines) if line.startswith("%E"))
    table = [
        "%T\tTASKPRED",
        "%F\ttask_pred_id\ttask_id\tpred_task_id\tproj_id\tpred_type\tlag_hr_cnt",
    ]
    for k, (succ, pred) in enumerate(rows):
        table.append(f"%R\t{900 + k}\t{succ}\t{pred}\t{first['proj_id']}\tPR_FS\t0")
    return lines[:end] + table + lines[end:]


# --------------------------------------------------------------------------------------------
# 1. A task listed as its own predecessor.


def test_mspdi_self_link_is_a_warning_naming_the_task(tmp_path):
    path = mspdi_task(
        tmp_path,
        "2",
        lambda t: t.replace(
            "<PredecessorUID>1</PredecessorUID>", "<PredecessorUID>2</PredecessorUID>"
        ),
    )
    result = read_schedule(path)
    found = [w for w in result.warnings if "itself" in w]
    assert found == [
        'task "2" (Task 2): dropped its FS link from itself (the file lists the task as its own '
        "predecessor; a task cannot follow itself)"
    ]
    assert result.project.task("2").after == ()


def test_xer_self_link_is_a_warning_naming_the_task(tmp_path):
    lines = xer_lines()
    _, first = xer_row(lines, "TASK", 0)
    _, second = xer_row(lines, "TASK", 1)
    me, other = first["task_id"], second["task_id"]
    path = write_xer(tmp_path, with_taskpred(lines, [(me, me), (me, other)]))
    result = read_schedule(path)
    code = first["task_code"]
    found = [w for w in result.warnings if "itself" in w]
    assert len(found) == 1 and found[0].startswith(f'task "{code}" ({first["task_name"]}): ')
    assert "dropped its FS link from itself" in found[0]
    # The other link of the same task is kept.
    assert [link.predecessor for link in result.project.task(code).after] == [second["task_code"]]


def test_pmxml_self_link_is_a_warning_naming_the_task(tmp_path):
    text = (DATA / "pmxml" / "PredecessorCalendar.xml").read_text(encoding="utf-8")
    link = (
        "<Relationship><Lag>0.0</Lag><PredecessorActivityObjectId>140001"
        "</PredecessorActivityObjectId><SuccessorActivityObjectId>140001"
        "</SuccessorActivityObjectId><Type>Finish to Start</Type></Relationship>"
    )
    at = text.rindex("</Activity>") + len("</Activity>")
    path = tmp_path / "plan.xml"
    path.write_text(text[:at] + link + text[at:], encoding="utf-8")
    result = read_schedule(path)
    assert [w for w in result.warnings if "itself" in w] == [
        'task "A1000" (Test): dropped its FS link from itself (the file lists the task as its '
        "own predecessor; a task cannot follow itself)"
    ]


def test_summary_link_to_its_own_leaf_says_the_self_pair_is_dropped(tmp_path):
    # Task 1 becomes a summary over task 2 (outline level 2); task 2 then follows the summary
    # (its own parent): the expanded link from task 2 to task 2 cannot be kept.
    text = MSPDI.read_text(encoding="utf-8")

    def edit(uid: str, change):
        nonlocal text
        m = next(
            m
            for m in re.finditer(r"<Task>.*?</Task>", text, re.S)
            if f"<UID>{uid}</UID>" in m.group()
        )
        text = text[: m.start()] + change(m.group()) + text[m.end() :]

    edit("1", lambda t: t.replace("<Summary>0</Summary>", "<Summary>1</Summary>"))
    edit(
        "2", lambda t: t.replace("<OutlineLevel>1</OutlineLevel>", "<OutlineLevel>2</OutlineLevel>")
    )
    path = tmp_path / "plan.xml"
    path.write_text(text, encoding="utf-8")
    result = read_schedule(path)
    found = [w for w in result.warnings if "on both sides" in w]
    assert len(found) == 1 and found[0].startswith('task "2" (Task 2): FS link from task "1"')
    assert "self-links are dropped" in found[0]


# --------------------------------------------------------------------------------------------
# 2. XER calendar data that cannot be read.


def test_xer_garbage_calendar_data_is_an_error_naming_calendar_and_line(tmp_path):
    lines = xer_lines()
    line = set_xer_value(lines, "CALENDAR", "clndr_data", "garbage")
    _, row = xer_row(lines, "CALENDAR")
    path = write_xer(tmp_path, lines)
    with pytest.raises(ModelError) as info:
        read_schedule(path)
    message = str(info.value)
    assert str(path) in message
    assert f'table CALENDAR, line {line} > clndr_data (calendar "{row["clndr_name"]}")' in message
    assert "holidays cannot be read" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("(0||Foo()())", "its top node is 'Foo', not CalendarData"),
        (  # Exceptions misspelled: every holiday lost
            "(0||CalendarData()((0||DaysOfWeek()((0||2()((0||0(s|08:00|f|16:00)())))))"
            "(0||Exeptions()((0||0(d|45000)())))))",
            "the holidays (no Exceptions node; none are imported) could not be read",
        ),
        (
            "(0||CalendarData()((0||Exceptions()((0||0(x|45000)())(0||1(d|45001)())))))",
            "1 calendar exception without a date (no d attribute) could not be read",
        ),
        (
            "(0||CalendarData()((0||Exceptions()())))(0||Exceptions()((0||0(d|45000)())))",
            "characters after the end of the calendar data could not be read",
        ),
    ],
    ids=["unknown top node", "no Exceptions node", "exception without date", "trailing data"],
)
def test_xer_unreadable_holidays_are_a_warning_naming_calendar_and_line(tmp_path, data, expected):
    lines = xer_lines()
    line = set_xer_value(lines, "CALENDAR", "clndr_data", data)
    _, row = xer_row(lines, "CALENDAR")
    result = read_schedule(write_xer(tmp_path, lines))
    found = [w for w in result.warnings if expected in w]
    assert len(found) == 1, result.warnings
    assert found[0].startswith(
        f'table CALENDAR, line {line} > clndr_data (calendar "{row["clndr_name"]}"): '
    )


def test_xer_real_calendars_read_without_warnings():
    for path in sorted((DATA / "xer").glob("*.xer")):
        warnings = read_schedule(path).warnings
        assert not [w for w in warnings if "clndr_data" in w], (path, warnings)
    assert len(read_schedule(XER).project.calendar.holidays) == 24


# --------------------------------------------------------------------------------------------
# 3. MSPDI OutlineLevel that is not a finite number.


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf", "1e400"])
def test_mspdi_outline_level_not_finite_is_an_error_naming_the_task(tmp_path, value):
    path = mspdi_task(
        tmp_path,
        "3",
        lambda t: re.sub(
            r"<OutlineLevel>\d+</OutlineLevel>", f"<OutlineLevel>{value}</OutlineLevel>", t
        ),
    )
    with pytest.raises(ModelError) as info:
        read_schedule(path)
    message = str(info.value)
    assert message.startswith(f'{path}: task "3" > OutlineLevel: expected a finite number')
    assert value in message


# --------------------------------------------------------------------------------------------
# 4. Durations that overflow to infinity (or NaN) name the task and the file.


def test_mspdi_duration_overflowing_working_days_names_task_and_file(tmp_path):
    huge = "PT" + "9" * 308 + "H0M0S"  # finite hours; infinite once in minutes
    path = mspdi_task(
        tmp_path,
        "3",
        lambda t: re.sub(r"<Duration>[^<]+</Duration>", f"<Duration>{huge}</Duration>", t),
    )
    with pytest.raises(ModelError) as info:
        read_schedule(path)
    assert str(info.value).startswith(
        f'{path}: task "3" (Task 3): the duration comes out as inf working days, not a finite '
        "number"
    )


def test_mspdi_duration_beyond_float_range_names_task(tmp_path):
    huge = "PT" + "9" * 309 + "H"
    path = mspdi_task(
        tmp_path,
        "3",
        lambda t: re.sub(r"<Duration>[^<]+</Duration>", f"<Duration>{huge}</Duration>", t),
    )
    with pytest.raises(ModelError) as info:
        read_schedule(path)
    message = str(info.value)
    assert message.startswith(f'{path}: task "3" (Task 3) > Duration: ')
    assert "too large (not a finite number of hours)" in message
    assert len(message) < 400  # the value is quoted short


def test_xer_duration_overflowing_working_days_names_task_and_file(tmp_path):
    lines = xer_lines()
    # 1e308 hours: far beyond any working days riskcast plans with (the calendar's work
    # periods, not day_hr_cnt, give its hours per day).
    set_xer_value(lines, "TASK", "target_drtn_hr_cnt", "1e308", k=1)
    _, row = xer_row(lines, "TASK", 1)
    path = write_xer(tmp_path, lines)
    with pytest.raises(ModelError) as info:
        read_schedule(path)
    assert str(info.value).startswith(
        f'{path}: task "{row["task_code"]}" ({row["task_name"]}): the duration comes out as '
    )
    assert "working days, beyond" in str(info.value)


# --------------------------------------------------------------------------------------------
# 5. Duplicate and integer ids: both places named; integer ids told to be quoted.


MODEL_HEAD = '[project]\nname = "x"\nstart = 2027-01-04\n'


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ModelError) as info:
        read_model_file(path)
    return info.value.problems


def test_integer_id_in_a_toml_model_says_ids_are_strings_and_names_the_clash(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(
        MODEL_HEAD + '[[task]]\nid = "1"\nestimate = 2\n\n[[task]]\nid = 1\nestimate = 3\n'
    )
    problems = problems_of(path)
    assert problems == [
        'task[1] > id: ids are strings, got the number 1; write id = "1" (in quotes)',
        'task "1": duplicate id: task[0] and task[1] both have id "1"; ids must be unique',
    ]


def test_integer_id_in_a_json_model(tmp_path):
    path = tmp_path / "m.json"
    data = {
        "project": {"name": "x", "start": "2027-01-04"},
        "task": [{"id": "a", "estimate": 1}, {"id": 7, "estimate": 2}],
    }
    path.write_text(json.dumps(data))
    assert problems_of(path) == [
        'task[1] > id: ids are strings, got the number 7; write id = "7" (in quotes)'
    ]


def test_duplicate_ids_name_both_records(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(
        MODEL_HEAD
        + '[[task]]\nid = "a"\nestimate = 1\n\n[[task]]\nid = "b"\nestimate = 1\n\n'
        + '[[task]]\nid = "a"\nestimate = 1\n\n[[milestone]]\nid = "b"\nafter = ["a"]\n'
    )
    assert problems_of(path) == [
        'task "a": duplicate id: task[0] and task[2] both have id "a"; ids must be unique',
        'milestone "b": duplicate id: task[1] and milestone[0] both have id "b"; ids must be '
        "unique",
    ]


def test_id_of_wrong_type_is_reported_once(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(MODEL_HEAD + "[[task]]\nestimate = 1\n\n[[task]]\nid = true\nestimate = 1\n")
    problems = problems_of(path)
    assert problems == [
        'task[0]: missing required key "id" (Unique id, used in links)',
        "task[1] > id: expected a non-empty string, got True",
    ]


def test_python_built_integer_id_says_ids_are_strings():
    project = Project("x", "2027-01-04", (Task(1, 2.0), Task("1", 2.0)))  # type: ignore[arg-type]
    with pytest.raises(ModelError) as info:
        validate(project)
    assert (
        "task[0]: id must be a non-empty string, got 1 (int); ids are strings: write "
        'id = "1" (in quotes)'
    ) in info.value.problems


def test_xer_duplicate_activity_id_names_both_lines(tmp_path):
    lines = xer_lines()
    _, first = xer_row(lines, "TASK", 0)
    line = set_xer_value(lines, "TASK", "task_code", first["task_code"], k=2)
    _, third = xer_row(lines, "TASK", 2)
    result = read_schedule(write_xer(tmp_path, lines))
    code = first["task_code"]
    assert (
        f'task "{code}": activity ID used twice (table TASK, lines {line - 2} and {line}); the '
        f'second one is imported as "{code}#{third["task_id"]}"'
    ) in result.warnings


def test_pmxml_duplicate_activity_id_is_renamed_with_a_warning_naming_both(tmp_path):
    text = (DATA / "pmxml" / "PredecessorCalendar.xml").read_text(encoding="utf-8")
    start, end = text.index("<Activity>"), text.rindex("</Activity>") + len("</Activity>")
    copy = text[start:end].replace("<ObjectId>140001</ObjectId>", "<ObjectId>140002</ObjectId>")
    path = tmp_path / "plan.xml"
    path.write_text(text[:end] + copy + text[end:], encoding="utf-8")
    result = read_schedule(path)
    assert (
        'task "A1000": activity ID used twice (ObjectIds 140001 and 140002); the second one is '
        'imported as "A1000#140002"'
    ) in result.warnings
    assert [t.id for t in result.project.tasks] == ["A1000", "A1000#140002"]


def _milestones_after_a(**fields) -> tuple[Project, list[str]]:
    """Task a, then a linked zero-duration milestone m carrying ``fields``."""
    import datetime as dt

    from riskcast.calendar import Calendar
    from riskcast.io.schedules import RawLink, RawTask, assemble

    a = RawTask(key="1", id="a", name="A", days=2.0)
    m = RawTask(key="2", id="m", name="M", milestone=True, links=[RawLink("1", "FS")], **fields)
    warnings: list[str] = []
    project = assemble(
        name="p",
        start=dt.date(2027, 1, 4),
        calendar=Calendar(),
        raw=[a, m],
        source="plan.xml",
        warnings=warnings,
        status_date=dt.date(2027, 1, 11) if "actual_start" in fields else None,
    )
    return project, warnings


def test_a_linked_milestone_keeps_what_only_a_task_holds():
    import datetime as dt

    # a due date alone: a milestone, reported as one, with its target
    project, warnings = _milestones_after_a(target=dt.date(2027, 1, 8))
    assert [m.id for m in project.milestones] == ["m"] and warnings == []
    assert project.milestones[0].target == dt.date(2027, 1, 8)
    # a floor: a zero-duration task that keeps it, said by name
    project, warnings = _milestones_after_a(not_before=dt.date(2027, 1, 20))
    assert project.milestones == () and project.task("m").not_before == dt.date(2027, 1, 20)
    assert any('"m"' in w and "start-no-earlier-than" in w for w in warnings)
    project, warnings = _milestones_after_a(alap=True)
    assert project.task("m").alap and any("as late as possible" in w for w in warnings)
    # achieved: fixed at its actual date, without a word
    done = dt.date(2027, 1, 6)
    project, warnings = _milestones_after_a(actual_start=done, actual_finish=done)
    assert (project.task("m").actual_start, project.task("m").actual_finish) == (done, done)
    assert warnings == []
    validate(project)
