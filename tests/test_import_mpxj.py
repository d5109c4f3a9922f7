"""The MPXJ path (``reader="mpxj"``, ``riskcast import --via-mpxj``, formats riskcast does not read).

The wiring is checked everywhere with stand-ins for JPype and MPXJ's Java classes (they "convert"
by copying an MSPDI file), so that errors name the user's file and never the deleted temporary
copy, and a missing JPype or Java runtime is said in words. Where the real MPXJ, JPype and a Java
runtime are installed, the real conversion of real P6 and MS Project files gives the plan dates
riskcast's own readers give.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import types
from pathlib import Path

import pytest

import riskcast as rc
from riskcast.io.schedules import read_schedule

DATA = Path(__file__).parent / "data" / "mpxj"
XER = DATA / "xer" / "percent-complete-8.4.xer"
MSPDI = DATA / "mspdi" / "sample1.xml"


def _stand_ins(monkeypatch, converted: Path, *, jvm_error: Exception | None = None) -> None:
    """Install fake jpype / mpxj / org.mpxj modules whose writer copies ``converted``."""
    jpype = types.ModuleType("jpype")
    started = []

    def start_jvm() -> None:
        if jvm_error is not None:
            raise jvm_error
        started.append(True)

    jpype.isJVMStarted = lambda: bool(started)
    jpype.startJVM = start_jvm

    class Reader:
        def read(self, path: str) -> object:
            return object()

    class Writer:
        def write(self, project: object, path: str) -> None:
            shutil.copyfile(converted, path)

    modules = {
        "jpype": jpype,
        "mpxj": types.ModuleType("mpxj"),
        "org": types.ModuleType("org"),
        "org.mpxj": types.ModuleType("org.mpxj"),
        "org.mpxj.mspdi": types.ModuleType("org.mpxj.mspdi"),
        "org.mpxj.reader": types.ModuleType("org.mpxj.reader"),
    }
    modules["org.mpxj.mspdi"].MSPDIWriter = Writer
    modules["org.mpxj.reader"].UniversalProjectReader = Reader
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    real_find_spec = importlib.util.find_spec
    fake = {"jpype", "mpxj"}
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: object() if name in fake else real_find_spec(name, *a),
    )


def _damaged(path: Path) -> Path:
    """An MSPDI file whose first task lacks its UID (which MS Project always writes)."""
    text = MSPDI.read_text(encoding="utf-8")
    at = text.index("<Task>")
    uid = re.compile(r"<UID>[^<]*</UID>")
    path.write_text(text[:at] + uid.sub("", text[at:], count=1), encoding="utf-8")
    return path


def test_a_converted_file_is_read_and_named_as_the_users_file(monkeypatch, tmp_path):
    _stand_ins(monkeypatch, MSPDI)
    plan = tmp_path / "plan.mpp"
    plan.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))  # an OLE2 header
    result = read_schedule(plan)
    assert result.source_format == "mpxj->mspdi"
    assert result.project.source == str(plan)
    assert len(result.project.tasks) == len(read_schedule(MSPDI).project.tasks)


def test_an_error_in_the_converted_file_names_the_users_file(monkeypatch, tmp_path):
    damaged = _damaged(tmp_path / "damaged.xml")
    _stand_ins(monkeypatch, damaged)
    plan = tmp_path / "plan.xer"
    shutil.copyfile(XER, plan)
    with pytest.raises(rc.ModelError) as caught:
        read_schedule(plan, reader="mpxj")
    message = str(caught.value)
    assert caught.value.source == str(plan)
    assert message.startswith(f"{plan}: ")
    assert "riskcast-mpxj-" not in message  # the temporary folder, deleted by now


def test_jpype_missing_and_no_java_runtime_are_said_in_words(monkeypatch, tmp_path):
    _stand_ins(monkeypatch, MSPDI, jvm_error=RuntimeError("No JVM shared library file found"))
    with pytest.raises(rc.ModelError, match=r"needs a Java runtime .* JAVA_HOME"):
        read_schedule(XER, reader="mpxj")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: (
            None if name == "jpype" else object() if name == "mpxj" else real_find_spec(name, *a)
        ),
    )
    with pytest.raises(rc.ModelError, match=r"without JPype.*riskcast\[mpxj\]"):
        read_schedule(XER, reader="mpxj")


def test_a_damaged_file_offers_the_mpxj_path(tmp_path):
    damaged = _damaged(tmp_path / "plan.xml")
    with pytest.raises(rc.ModelError, match="--via-mpxj"):
        read_schedule(damaged)


def test_an_unknown_reader_is_an_argument_error():
    with pytest.raises(rc.ArgumentError, match='"auto" or "mpxj"'):
        read_schedule(XER, reader="java")


def _real_mpxj() -> bool:
    if not all(importlib.util.find_spec(m) for m in ("mpxj", "jpype")):
        return False
    import jpype

    try:
        jpype.getDefaultJVMPath()
    except Exception:
        return False
    return True


@pytest.mark.skipif(not _real_mpxj(), reason="needs riskcast[mpxj] and a Java runtime")
@pytest.mark.parametrize("path", [XER, MSPDI], ids=lambda p: p.name)
def test_the_real_mpxj_conversion_gives_the_built_in_readers_plan(path):
    def plan(project: rc.Project) -> dict[str, tuple]:
        rows = rc.simulate(project, iterations=64, seed=1).task_table()
        return {r["name"]: (r["plan_start"], r["plan_finish"]) for r in rows}

    native = read_schedule(path).project
    converted = read_schedule(path, reader="mpxj")
    assert converted.source_format == "mpxj->mspdi"
    assert converted.project.status_date == native.status_date
    assert plan(converted.project) == plan(native)
