"""Damaged, hostile and wrong input: a ModelError naming the file, the place and the fix.

Never a traceback, another exception type or a silently wrong number: missing XER columns and
cut rows, missing PMXML/MSPDI elements, nesting 100,000 levels deep, 50 MB values and files,
binary files, byte-order marks, UTF-16, YAML. The limits are those of :mod:`riskcast.io.limits`
(documented in the README).
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from pathlib import Path

import pytest

import riskcast as rc
from riskcast import cli
from riskcast.errors import ModelError
from riskcast.io import limits
from riskcast.io.modelfile import parse_model
from riskcast.io.mspdi import read_mspdi
from riskcast.io.pmxml import read_pmxml
from riskcast.io.schedules import read_schedule
from riskcast.io.xer import COLUMNS, read_xer

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "mpxj"
XER = DATA / "xer" / "percent-complete-8.4.xer"
XER_RATES = DATA / "xer" / "resource-rates-test.xer"
MSPDI = DATA / "mspdi" / "mspdirelations.xml"
PMXML = DATA / "pmxml" / "PredecessorCalendar.xml"
MSPDI_NS = "http://schemas.microsoft.com/project"
MODEL = """[project]
name = "Demo"
start = 2027-01-04

[[task]]
id = "spec"
name = "Spec"
estimate = { pert = [3, 5, 10] }
tags = { team = "product" }

[[task]]
id = "api"
estimate = { triangular = [8, 12, 25] }
after = ["spec"]

[[milestone]]
id = "beta"
after = ["api"]
"""


def assert_refused(path, *fragments: str, reader=rc.load) -> str:
    """The message of the ModelError ``reader(path)`` raises; it names the file and holds every
    fragment."""
    with pytest.raises(ModelError) as info:
        reader(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for fragment in fragments:
        assert fragment in message, message
    return message


def assert_plans_equal(a: rc.Project, b: rc.Project) -> None:
    assert a.tasks == b.tasks
    assert a.milestones == b.milestones
    assert a.calendar == b.calendar
    assert (a.name, a.start) == (b.name, b.start)


# -- XER tables: required columns, cut rows ---------------------------------------------------------


def xer_lines(path: Path = XER) -> list[str]:
    return path.read_text(encoding="cp1252").replace("\r\n", "\n").split("\n")


def table_span(lines: list[str], table: str) -> tuple[int, int]:
    """(index of the %F line, index after the last %R line) of ``table``."""
    start = lines.index(f"%T\t{table}") + 1
    end = start + 1
    while end < len(lines) and lines[end].startswith("%R"):
        end += 1
    return start, end


def drop_column(lines: list[str], table: str, column: str) -> list[str]:
    out = list(lines)
    start, end = table_span(out, table)
    at = out[start].split("\t").index(column)
    for k in range(start, end):
        parts = out[k].split("\t")
        if len(parts) > at:
            del parts[at]
        out[k] = "\t".join(parts)
    return out


def write_xer(tmp_path, lines: list[str], name: str = "plan.xer") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="cp1252")
    return path


REQUIRED = [
    (path, table, column)
    for path in (XER, XER_RATES)
    for table, spec in COLUMNS.items()
    if f"%T\t{table}" in xer_lines(path)
    for column in spec.required
]


@pytest.mark.parametrize(("path", "table", "column"), REQUIRED, ids=lambda v: getattr(v, "name", v))
def test_every_required_xer_column_is_checked(tmp_path, path, table, column):
    lines = xer_lines(path)
    field_line = table_span(lines, table)[0] + 1
    bad = write_xer(tmp_path, drop_column(lines, table, column))
    assert_refused(
        bad,
        f"table {table}, line {field_line}: the %F field list has no {column} column",
        "export it again from P6",
        reader=read_xer,
    )


def test_task_table_without_durations_is_not_read_as_zero_days(tmp_path):
    bad = write_xer(tmp_path, drop_column(xer_lines(), "TASK", "target_drtn_hr_cnt"))
    assert_refused(bad, "table TASK", "no target_drtn_hr_cnt column")
    assert_refused(bad, "table TASK", "no target_drtn_hr_cnt column", reader=read_schedule)


def test_task_row_cut_to_three_fields_names_table_and_line(tmp_path):
    lines = xer_lines()
    start, _ = table_span(lines, "TASK")
    lines[start + 2] = "\t".join(lines[start + 2].split("\t")[:4])  # %R and three values
    bad = write_xer(tmp_path, lines)
    assert_refused(
        bad,
        f"table TASK, line {start + 3}: the row ends after 3 of",
        "the row is cut short",
        reader=read_xer,
    )


def test_rows_without_their_trailing_empty_values_are_fine(tmp_path):
    # P6 leaves trailing empty values out; a row reaching every filled column is complete.
    lines = [ln.rstrip("\t") if ln.startswith("%R") else ln for ln in xer_lines()]
    assert_plans_equal(read_xer(write_xer(tmp_path, lines)).project, read_xer(XER).project)


def test_empty_planned_duration_is_an_error(tmp_path):
    lines = xer_lines()
    start, _ = table_span(lines, "TASK")
    at = lines[start].split("\t").index("target_drtn_hr_cnt")
    parts = lines[start + 1].split("\t")
    parts[at] = ""
    lines[start + 1] = "\t".join(parts)
    assert_refused(
        write_xer(tmp_path, lines),
        f"table TASK, line {start + 2} > target_drtn_hr_cnt: empty",
        reader=read_xer,
    )


def test_columns_needed_by_one_percent_complete_type(tmp_path):
    lines = drop_column(xer_lines(), "TASK", "phys_complete_pct")
    start, _ = table_span(lines, "TASK")
    assert_refused(
        write_xer(tmp_path, lines),
        f"table TASK, line {start + 1}: the %F field list has no phys_complete_pct column",
        "CP_Phys",
        reader=read_xer,
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda ls, s: ls.insert(s + 1, ls[s]), "a second %F field list"),
        (lambda ls, s: ls.insert(s + 1, ls[s - 1]), "appears a second time"),
        (lambda ls, s: ls.__setitem__(s, ls[s] + "\ttask_id"), "listed twice"),
        (lambda ls, s: ls.insert(s + 1, ls[s + 1]), "appears a second time (first at line"),
    ],
    ids=["second %F", "second %T", "field twice", "task_id twice"],
)
def test_repeated_tables_fields_and_activities(tmp_path, edit, message):
    lines = xer_lines()
    start, _ = table_span(lines, "TASK")
    edit(lines, start)
    assert_refused(write_xer(tmp_path, lines), "line", message, reader=read_xer)


def test_calendar_data_nested_deeply_and_dates_beyond_9999(tmp_path):
    lines = xer_lines()
    start, _ = table_span(lines, "CALENDAR")
    at = lines[start].split("\t").index("clndr_data")
    row = lines[start + 1].split("\t")
    row[at] = "(0||CalendarData()(" + "(0||x()(" * 50_000 + "))" * 50_000 + "))"
    lines[start + 1] = "\t".join(row)
    read_xer(write_xer(tmp_path, lines))  # no RecursionError: the week falls back to Mon-Fri
    row[at] = "(0||CalendarData()((0||Exceptions()((0||0(d|99999999)()))))))"
    lines[start + 1] = "\t".join(row)
    assert_refused(write_xer(tmp_path, lines), "up to the year 9999", reader=read_xer)


@pytest.mark.parametrize(("hours", "error"), [("-8", True), ("99", True), ("0", False)])
def test_calendar_hours_per_day_out_of_range(tmp_path, hours, error):
    lines = xer_lines()
    start, end = table_span(lines, "CALENDAR")
    at = lines[start].split("\t").index("day_hr_cnt")
    for k in range(start + 1, end):
        row = lines[k].split("\t")
        row[at] = hours
        lines[k] = "\t".join(row)
    path = write_xer(tmp_path, lines)
    if error:
        assert_refused(
            path, f"> day_hr_cnt: {hours} hours per day is not within 0-24", reader=read_xer
        )
    else:
        result = read_xer(path)
        assert result.project.calendar.hours_per_day == 8.0
        assert any("0 hours per day; 8 hours per day used" in w for w in result.warnings)


def test_xer_with_byte_order_marks(tmp_path):
    text = XER.read_text(encoding="cp1252")
    for name, data in (
        ("bom8.xer", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("utf16.xer", text.encode("utf-16")),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        assert_plans_equal(rc.load(path), read_xer(XER).project)


# -- PMXML and MSPDI: required elements --------------------------------------------------------------


def pmxml_with(tmp_path, old: str, new: str) -> Path:
    text = PMXML.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "plan.xml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        ("<PlannedDuration>360.0</PlannedDuration>", "", ['task "A1000"', "PlannedDuration: missing"]),
        ("<PlannedDuration>360.0</PlannedDuration>", "<PlannedDuration>nan</PlannedDuration>",
         ['task "A1000"', "PlannedDuration: expected a finite number"]),
        ("<PlannedDuration>360.0</PlannedDuration>", "<PlannedDuration>1h</PlannedDuration>",
         ['task "A1000"', "PlannedDuration: expected a number"]),
        ("<ObjectId>140001</ObjectId>", "", ['task "A1000" > ObjectId: missing']),
        ("<Name>Test</Name>", f"<Name>{'x' * 5000}</Name>",
         ["> Name: 5,000 characters", "limited to 2,000 characters"]),
    ],
    ids=["no duration", "nan duration", "text duration", "no ObjectId", "long name"],
)  # fmt: skip
def test_pmxml_required_elements(tmp_path, old, new, fragments):
    assert_refused(pmxml_with(tmp_path, old, new), *fragments, reader=read_pmxml)


def test_pmxml_relationship_ends_and_duplicate_activities(tmp_path):
    text = PMXML.read_text(encoding="utf-8")
    activity = text[text.index("<Activity>") : text.index("</Activity>") + len("</Activity>")]
    path = pmxml_with(tmp_path, activity, activity * 2)
    assert_refused(
        path, "ObjectId: '140001' is the ObjectId of another activity too", reader=read_pmxml
    )
    relation = (
        "<Relationship><PredecessorActivityObjectId>140001</PredecessorActivityObjectId>"
        "<Type>Finish to Start</Type></Relationship>"
    )
    path = pmxml_with(tmp_path, "</Activity>", "</Activity>" + relation)
    assert_refused(path, "Relationship > SuccessorActivityObjectId: missing", reader=read_pmxml)


def mspdi(tasks: str, extra: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Project xmlns="{MSPDI_NS}"><Name>x</Name>'
        "<StartDate>2027-01-04T08:00:00</StartDate><MinutesPerDay>480</MinutesPerDay>"
        f"<CalendarUID>1</CalendarUID>{extra}<Tasks>{tasks}</Tasks></Project>"
    )


def task(uid: int | str, body: str = "<Duration>PT8H0M0S</Duration>", level: int | str = 1) -> str:
    uid_el = f"<UID>{uid}</UID>" if uid != "" else ""
    return f"<Task>{uid_el}<Name>T{uid}</Name><OutlineLevel>{level}</OutlineLevel>{body}</Task>"


@pytest.mark.parametrize(
    ("tasks", "fragments"),
    [
        (task(1, ""), ['task "1" (T1) > Duration: missing', "MS Project always writes it"]),
        (task(""), ["Task number 1", "> UID: missing"]),
        (task(1) + task(1), ['UID \'1\' is given to two tasks']),
        (task(1) + task(2, "<Duration>PT8H0M0S</Duration><PredecessorLink><Type>1</Type>"
                           "</PredecessorLink>"), ["PredecessorLink > PredecessorUID: missing"]),
        (task(1, "<Duration>P" + "9" * 400 + "D</Duration>"), ["is not an ISO 8601 duration"]),
        (task(1, level="nan"), ["OutlineLevel: expected a finite number"]),
        (task(1, f"<Duration>PT8H0M0S</Duration><WBS>{'w' * 3000}</WBS>"),
         ['task "1" > WBS: 3,000 characters']),
        (task(1, "<Duration>PT8H0M0S</Duration><PredecessorLink><PredecessorUID>1"
                 "</PredecessorUID><LinkLag>1e999</LinkLag></PredecessorLink>"),
         ["LinkLag: expected a finite number"]),
    ],
    ids=["no duration", "no uid", "uid twice", "no predecessor", "inf duration", "nan level",
         "long wbs", "inf lag"],
)  # fmt: skip
def test_mspdi_required_and_damaged_elements(tmp_path, tasks, fragments):
    path = tmp_path / "plan.xml"
    path.write_text(mspdi(tasks), encoding="utf-8")
    assert_refused(path, *fragments, reader=read_mspdi)


def test_mspdi_summary_needs_no_duration_and_null_tasks_no_uid(tmp_path):
    tasks = (
        task(1, "<Summary>1</Summary>")
        + task(2, level=2)
        + "<Task><IsNull>1</IsNull></Task>"
        + task(3, "<Duration>PT16H0M0S</Duration><Milestone>0</Milestone>")
    )
    path = tmp_path / "plan.xml"
    path.write_text(mspdi(tasks), encoding="utf-8")
    project = read_mspdi(path).project
    assert [(t.id, t.estimate.mean) for t in project.tasks] == [("2", 1.0), ("3", 2.0)]


def test_mspdi_in_utf16_whatever_the_declaration_says(tmp_path):
    text = MSPDI.read_text(encoding="utf-8")
    expected = read_mspdi(MSPDI).project
    variants = {
        "bom-le.xml": text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
        "bom-le-utf8-declared.xml": text.encode("utf-16"),
        "no-bom-le.xml": text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16-le"),
        "no-bom-be.xml": text.encode("utf-16-be"),
    }
    for name, data in variants.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert_plans_equal(rc.load(path), expected)
        assert read_schedule(path).source_format == "mspdi"


def test_xml_with_an_unknown_encoding_or_utf16_entities(tmp_path):
    path = tmp_path / "plan.xml"
    path.write_text(
        MSPDI.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="nan"'),
        encoding="utf-8",
    )
    assert_refused(path, "names an encoding riskcast cannot read")
    laughs = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE Project [<!ENTITY a "aaaa">'
        '<!ENTITY b "&a;&a;&a;&a;">]>\n'
        f'<Project xmlns="{MSPDI_NS}"><Name>&b;</Name></Project>'
    )
    path.write_bytes(laughs.encode("utf-16"))
    assert_refused(path, "refused: the file declares XML entities")


# -- nesting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        (
            "deep-task.json",
            '{"project": {"name": "x", "start": "2027-01-04"}, "task": [{"id": "a", '
            '"estimate": ' + "[" * 100_000 + "]" * 100_000 + "}]}",
        ),
        ("deep.toml", "x = " + "[" * 100_000 + "]" * 100_000),
        ("deep-inline.toml", "x = " + "{a=" * 100_000 + "1" + "}" * 100_000),
        ("forty.json", '{"project": ' + "[" * 40 + "]" * 40 + "}"),
        ("dotted.toml", "x." * 5000 + "y = 1\n"),
    ],
)
def test_deep_nesting_is_a_clear_error(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert_refused(path, "nested too deeply", "levels")
    err = io.StringIO()
    assert cli.main(["validate", str(path)], stdout=io.StringIO(), stderr=err) == 2
    assert "nested too deeply" in err.getvalue() and "Traceback" not in err.getvalue()


def test_parse_model_on_deep_python_data():
    data: list = []
    for _ in range(100_000):
        data = [data]
    with pytest.raises(ModelError, match="nested too deeply"):
        parse_model({"project": {"name": "x", "start": "2027-01-04"}, "task": data})
    with pytest.raises(ModelError, match="not text"):
        parse_model({"project": {"name": "x", "start": "2027-01-04"}, 3: 4})


def test_deep_xml_is_read_in_linear_time(tmp_path):
    n = 200_000
    path = tmp_path / "deep.xml"
    path.write_text(
        f'<Project xmlns="{MSPDI_NS}">' + "<a>" * n + "</a>" * n + "</Project>", encoding="utf-8"
    )
    began = time.perf_counter()
    assert_refused(path, "StartDate is missing")
    assert time.perf_counter() - began < 10


# -- sizes ----------------------------------------------------------------------------------------


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


@pytest.mark.parametrize(
    ("name", "limit"),
    [("big.toml", limits.MAX_MODEL_BYTES), ("big.json", limits.MAX_MODEL_BYTES),
     ("big.xml", limits.MAX_SCHEDULE_BYTES), ("big.xer", limits.MAX_SCHEDULE_BYTES)],
)  # fmt: skip
def test_files_over_the_size_limit_are_refused_at_once(tmp_path, name, limit):
    path = sparse(tmp_path / name, limit + 1)
    began = time.perf_counter()
    assert_refused(path, "riskcast reads", f"up to {limits.size_text(limit)}")
    assert time.perf_counter() - began < 1.0


def test_a_50_mb_name_is_refused_at_once(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text(MODEL.replace('name = "Spec"', f'name = "{"x" * 50_000_000}"'))
    began = time.perf_counter()
    assert_refused(path, "the file is 47.7 MiB", "up to 32.0 MiB")
    assert time.perf_counter() - began < 1.0


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('name = "Spec"', f'name = "{"x" * 3000}"', 'task "spec" > name: 3,000 characters'),
        ('team = "product"', f'team = "{"p" * 2001}"', 'task "spec" > tags > team: 2,001'),
        ('team = "product"', f'{"k" * 2001} = "x"', 'task "spec" > tags: a key of 2,001'),
        ('id = "api"', f'id = "{"a" * 201}"', "task[1] > id: 201 characters"),
        ('name = "Demo"', f'name = "{"d" * 2001}"', "project > name: 2,001 characters"),
    ],
)
def test_text_limits_in_model_files(tmp_path, old, new, fragment):
    path = tmp_path / "model.toml"
    path.write_text(MODEL.replace(old, new))
    message = assert_refused(path, fragment)
    assert len(message) < 2000  # the long value is quoted, not copied


def test_text_limits_in_schedules(tmp_path):
    lines = xer_lines()
    start, _ = table_span(lines, "TASK")
    at = lines[start].split("\t").index("task_name")
    row = lines[start + 1].split("\t")
    row[at] = "n" * 100_000
    lines[start + 1] = "\t".join(row)
    assert_refused(write_xer(tmp_path, lines), f"table TASK, line {start + 2} > task_name: 100,000")
    path = tmp_path / "plan.xml"
    path.write_text(mspdi(task(1).replace("<Name>T1</Name>", f"<Name>{'n' * 10**6}</Name>")))
    assert_refused(path, 'task "1" > Name: 1,000,000 characters')


def test_accepted_models_load_in_time_proportional_to_size(tmp_path):
    def model(n: int) -> str:
        parts = ['[project]\nname = "x"\nstart = 2027-01-04\n']
        for i in range(n):
            after = f'after = ["t{i - 1}"]\n' if i else ""
            parts.append(f'[[task]]\nid = "t{i}"\nestimate = {{ pert = [1, 2, 4] }}\n{after}')
        return "".join(parts)

    def seconds(n: int) -> float:
        path = tmp_path / f"m{n}.toml"
        path.write_text(model(n))
        began = time.perf_counter()
        rc.load(path)
        return time.perf_counter() - began

    seconds(500)  # warm up
    small, large = seconds(2_000), seconds(16_000)
    assert large < 8 * small * 3  # 8x the tasks: well under quadratic (64x)


def test_huge_problem_lists_are_capped(tmp_path):
    data = {
        "project": {"name": "x", "start": "2027-01-04"},
        "task": [{"id": f"t{i}", "estimate": "bad"} for i in range(5000)],
    }
    data["task"][0].update({f"junk{i}": 1 for i in range(100_000)})
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    began = time.perf_counter()
    message = assert_refused(path, "more problems (fix these first)", "more unknown keys in [task]")
    assert time.perf_counter() - began < 5
    assert len(message.splitlines()) <= limits.MAX_PROBLEMS + 2


def test_outline_and_wbs_depth_and_summary_fan_out(tmp_path):
    n = 20_000  # summaries nested 20,000 deep, a leaf at the bottom, linked from the top
    tasks = "".join(task(i, "<Summary>1</Summary>", level=i) for i in range(1, n + 1))
    tasks += task(n + 1, level=n + 1)
    tasks += task(n + 2, "<Duration>PT8H0M0S</Duration><PredecessorLink><PredecessorUID>1"
                         "</PredecessorUID></PredecessorLink>")  # fmt: skip
    path = tmp_path / "deep.xml"
    path.write_text(mspdi(tasks))
    began = time.perf_counter()
    result = read_mspdi(path)
    assert time.perf_counter() - began < 10
    assert result.project.task(str(n + 2)).after == (rc.Link(str(n + 1)),)
    assert len(result.project.task(str(n + 1)).tags["wbs"]) <= limits.MAX_TEXT
    assert any("WBS paths longer than" in w for w in result.warnings)
    # Two summaries of 1,001 leaves linked to each other: a million links is the limit.
    m = 1001
    tasks = task(1, "<Summary>1</Summary>") + "".join(task(10 + i, level=2) for i in range(m))
    tasks += task(2, "<Summary>1</Summary><PredecessorLink><PredecessorUID>1</PredecessorUID>"
                     "</PredecessorLink>")  # fmt: skip
    tasks += "".join(task(10_000 + i, level=2) for i in range(m))
    path.write_text(mspdi(tasks))
    assert_refused(
        path, "expand to more than 1,000,000 links", "link the leaf tasks", reader=read_mspdi
    )


def test_calendar_exceptions_are_merged_and_capped(tmp_path):
    def calendar(exceptions: str) -> str:
        return f"<Calendars><Calendar><UID>1</UID><Exceptions>{exceptions}</Exceptions></Calendar></Calendars>"

    one = (
        "<Exception><TimePeriod><FromDate>{}T00:00:00</FromDate><ToDate>{}T23:59:00</ToDate>"
        "</TimePeriod><Type>1</Type><DayWorking>0</DayWorking></Exception>"
    )
    path = tmp_path / "plan.xml"
    overlapping = one.format("2027-01-01", "2027-12-31") * 5000  # one year, 5,000 times
    path.write_text(mspdi(task(1), calendar(overlapping)))
    assert len(read_mspdi(path).project.calendar.holidays) == 261  # the weekdays of 2027
    spread = "".join(one.format(f"{y}-01-01", f"{y + 49}-12-31") for y in range(1000, 9000, 50))
    path.write_text(mspdi(task(1), calendar(spread)))
    assert_refused(
        path, "exceptions cover", "more than riskcast's limit of 200,000", reader=read_mspdi
    )


# -- binary files, encodings, other formats ---------------------------------------------------------

ACCEPTED = ("TOML (.toml) or JSON (.json)", "MSPDI XML", "XER", "PMXML")


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("model.toml", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "this is a PNG image"),
        ("model.toml", b"AB\x8f" + bytes(range(1, 256)) * 4, "this is binary data"),
        ("model.json", os.urandom(64) + b"\x00", "this is binary data"),
        ("model.json", b"%PDF-1.7\n" + os.urandom(100), "this is a PDF document"),
    ],
)
def test_binary_model_files_say_what_is_read(tmp_path, name, content, what):
    path = tmp_path / name
    path.write_bytes(content)
    message = assert_refused(path, what, "not a text model file", *ACCEPTED)
    assert "codec" not in message


@pytest.mark.parametrize(
    "content",
    [b"AB\x8f" + bytes(range(1, 256)) * 4, os.urandom(300) + b"\x00", b"\x00" * 100],
    ids=["control bytes", "random", "zeros"],
)
def test_binary_schedules_say_what_is_read(tmp_path, content):
    path = tmp_path / "schedule.xer"
    path.write_bytes(content)
    assert_refused(path, "binary data, not a text schedule", "MSPDI XML", "XER", "PMXML")


def test_windows_code_page_text_names_the_byte(tmp_path):
    path = tmp_path / "model.toml"
    path.write_bytes(MODEL.replace('"Spec"', '"Sp\xe9c"').encode("cp1252"))
    assert_refused(
        path, "line 7, column 11: byte 0xe9 is not UTF-8 text", "save it again choosing UTF-8"
    )


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("bom.toml", lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
        ("utf16.toml", lambda t: t.encode("utf-16")),
        ("bom.json", lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
    ],
)
def test_byte_order_marks_and_utf16_models_are_accepted(tmp_path, name, encode):
    plain = tmp_path / "plain.toml"
    plain.write_text(MODEL, encoding="utf-8")
    expected = rc.load(plain)
    text = MODEL
    if name.endswith(".json"):
        import tomllib

        text = json.dumps(tomllib.loads(MODEL), default=str)
    path = tmp_path / name
    path.write_bytes(encode(text))
    assert_plans_equal(rc.load(path), expected)


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_yaml_models_are_named_without_python_advice(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    path.write_text("project:\n  name: x\n  start: 2027-01-04\n", encoding="utf-8")
    message = assert_refused(path, f"{suffix} files are not read", *ACCEPTED)
    assert not re.search(r"riskcast\.load|python|import ", message, re.I)


def test_models_given_as_schedules_get_no_python_advice(tmp_path):
    for name, text in (
        ("model.txt", MODEL),
        ("model.dat", json.dumps({"project": {"name": "x"}})),
        ("model.cfg2", "project:\n  name: x\n"),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        message = assert_refused(path, "not a schedule", "read by their suffix, .toml or .json")
        assert "riskcast.load" not in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"project": {"name": 1' + "0" * 5000 + "}}", "more than 4,300 digits"),
        ('{"project": {"name": "x", "name": "y"}}', "key 'name' appears twice"),
        (
            '{"project": {"name": "x", "start": "2027-01-04"}, "task": [{"id": "a", '
            '"estimate": {"pert": [1, null, 3]}}]}',
            'task "a" > estimate > pert[1]: null is not a value',
        ),
        ('{"project": {"name": 1e999999, "start": "2027-01-04"}}', "project > name: expected"),
    ],
    ids=["huge int", "duplicate key", "null", "huge float"],
)
def test_json_oddities(tmp_path, text, fragment):
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    assert_refused(path, fragment)
