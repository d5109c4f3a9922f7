"""Hostile and wrong input: refused quickly, with a ModelError that names the file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from riskcast.errors import ModelError
from riskcast.io import schedules
from riskcast.io.mspdi import read_mspdi
from riskcast.io.schedules import read_schedule
from riskcast.io.xer import read_xer

DATA = Path(__file__).parent / "data" / "mpxj"
MSPDI_NS = "http://schemas.microsoft.com/project"


def billion_laughs() -> str:
    entities = ['<!ENTITY lol "lol">']
    for k in range(1, 10):
        prev = f"&lol{k - 1};" if k > 1 else "&lol;"
        entities.append(f'<!ENTITY lol{k} "{prev * 10}">')
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE Project [\n' + "\n".join(entities) + "\n]>\n"
        f'<Project xmlns="{MSPDI_NS}"><Name>&lol9;</Name></Project>\n'
    )


def external_entity() -> str:
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY xxe SYSTEM '
        '"file:///etc/passwd">]>\n'
        f'<Project xmlns="{MSPDI_NS}"><Name>&xxe;</Name></Project>\n'
    )


@pytest.mark.parametrize("make", [billion_laughs, external_entity])
@pytest.mark.parametrize("reader", [read_schedule, read_mspdi])
def test_xml_entities_are_refused_quickly(tmp_path, make, reader):
    path = tmp_path / "evil.xml"
    path.write_text(make(), encoding="utf-8")
    began = time.perf_counter()
    with pytest.raises(ModelError, match="refused: the file declares XML entities") as info:
        reader(path)
    assert time.perf_counter() - began < 1.0
    assert str(path) in str(info.value)


def test_entity_declared_after_a_long_prolog_is_refused_by_the_parser(tmp_path):
    # The sniffer sees only the first 64 KiB; defusedxml still refuses what comes later.
    text = billion_laughs().replace("<!DOCTYPE", "<!--" + "x" * 70000 + "-->\n<!DOCTYPE")
    path = tmp_path / "late.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError, match="refused: the file declares XML entities"):
        read_schedule(path)


def test_malformed_xml(tmp_path):
    text = (DATA / "mspdi" / "mspdirelations.xml").read_text(encoding="utf-8")
    path = tmp_path / "cut.xml"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ModelError, match="not well-formed XML") as info:
        read_schedule(path)
    assert str(path) in str(info.value)


def test_truncated_xer_names_table_and_line(tmp_path):
    lines = (DATA / "xer" / "percent-complete-8.4.xer").read_text(encoding="cp1252").split("\n")
    task_at = lines.index("%T\tTASK")
    cut = lines[: task_at + 5]  # %T, %F and three TASK rows; the third row cut in half
    cut[-1] = cut[-1][:40]
    path = tmp_path / "cut.xer"
    path.write_text("\n".join(cut), encoding="cp1252")
    with pytest.raises(ModelError) as info:
        read_schedule(path)
    message = str(info.value)
    assert str(path) in message
    assert f"table TASK, line {task_at + 5}" in message  # 1-based number of the last row
    assert "truncated" in message


def test_xer_row_with_too_many_values(tmp_path):
    lines = (DATA / "xer" / "percent-complete-8.4.xer").read_text(encoding="cp1252").split("\n")
    at = lines.index("%T\tPROJWBS") + 2
    lines[at] = lines[at].rstrip("\r") + "\textra\tvalues" * 40
    path = tmp_path / "bad.xer"
    path.write_text("\n".join(lines), encoding="cp1252")
    with pytest.raises(ModelError, match=f"table PROJWBS, line {at + 1}: row has"):
        read_xer(path)


def test_xer_garbage_line(tmp_path):
    path = tmp_path / "bad.xer"
    path.write_text("ERMHDR\t8.4\n%T\tTASK\n%F\ta\tb\nhello\n%E\n", encoding="utf-8")
    with pytest.raises(ModelError, match="table TASK, line 4: expected %T, %F, %R or %E"):
        read_xer(path)


@pytest.mark.parametrize(
    ("content", "name", "what"),
    [
        (b'{"tasks": []}', "plan.json", "looks like JSON"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "chart.xml", "PNG image"),
        (b"%PDF-1.7\n", "plan.pdf", "PDF document"),
        (b"id,name,duration\na,Design,5\nb,Build,10\n", "plan.csv", "looks like CSV"),
        (b'[project]\nname = "x"\nstart = 2027-01-04\n', "model.toml", "TOML"),
        (b"", "empty.xer", "the file is empty"),
        (b"just some words\n", "notes.txt", "not a schedule format"),
    ],
)
def test_other_formats_are_named(tmp_path, content, name, what):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ModelError, match=what) as info:
        read_schedule(path)
    assert str(path) in str(info.value)


def test_mpp_without_mpxj_says_how_to_read_it(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mpxj" else real(name, *a)
    )
    path = tmp_path / "plan.mpp"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(ModelError) as info:
        read_schedule(path)
    message = str(info.value)
    assert str(path) in message
    assert "binary Microsoft Project .mpp" in message
    assert "not a format built into riskcast" in message
    assert "pip install 'riskcast[mpxj]'" in message and "Java" in message


def test_sniffing_is_by_content_not_suffix(tmp_path):
    xer = tmp_path / "really-an-xer.xml"
    xer.write_bytes((DATA / "xer" / "resource-rates-test.xer").read_bytes())
    assert schedules.sniff_format(xer) == "xer"
    assert read_schedule(xer).source_format == "xer"
    other = tmp_path / "planner.xml"
    other.write_text('<?xml version="1.0"?><project name="x"></project>', encoding="utf-8")
    assert schedules.sniff_format(other) == "mpxj:an XML file with root element <project>"


def test_missing_file():
    with pytest.raises(ModelError, match="cannot read the file"):
        read_schedule("/nonexistent/plan.xml")


def test_errors_from_domain_objects_name_the_file(tmp_path):
    # A negative duration is refused by validation; the message names the file and the task.
    text = (DATA / "mspdi" / "mspdirelations.xml").read_text(encoding="utf-8")
    path = tmp_path / "negative.xml"
    path.write_text(
        text.replace("<Duration>PT8H0M0S</Duration>", "<Duration>-PT8H0M0S</Duration>", 1),
        encoding="utf-8",
    )
    with pytest.raises(ModelError, match='task "1" > estimate: a duration must be >= 0') as info:
        read_schedule(path)
    assert str(info.value).startswith(str(path))
