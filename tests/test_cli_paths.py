"""No command writes over a file it reads, or one output over another of the same run: exit 2,
one message, and every file left as it was."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from riskcast import cli

ROOT = Path(__file__).parent.parent
MODEL = ROOT / "models" / "checkout-redesign.toml"
SCHEDULE = next((ROOT / "tests" / "data" / "mpxj" / "mspdi").glob("*.xml"))


def call(*argv) -> tuple[int, str]:
    err = io.StringIO()
    return cli.main([str(a) for a in argv], stdout=io.StringIO(), stderr=err), err.getvalue()


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def work(tmp_path, monkeypatch):
    shutil.copy(MODEL, tmp_path / "m.toml")
    shutil.copy(ROOT / "models" / "checkout-risks.toml", tmp_path / "r.toml")
    shutil.copy(SCHEDULE, tmp_path / "plan.xml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", "m.toml", "-n", 1024, "--export", "m.toml"], "input file"),
        (["run", "m.toml", "-n", 1024, "--export", "./sub/../m.toml"], "input file"),
        (["run", "m.toml", "-n", 1024, "--out", "o", "--export", "o/forecast.json"], "writes"),
        (["run", "m.toml", "-n", 1024, "--out", "o", "--export", "o/tasks.csv"], "writes"),
        (["run", "m.toml", "-n", 1024, "--out", "o", "--export", "o/charts/a.csv"], "charts"),
        (["drivers", "r.toml", "-n", 1024, "--out", "r.toml"], "input file"),
        (["import", "plan.xml", "-o", "plan.xml"], "input file"),
        (["run", "m.toml", "-n", 1024, "--out", "m.toml"], "input file"),
    ],
)
def test_an_output_over_an_input_or_another_output_is_refused(work, argv, fragment):
    (work / "sub").mkdir()
    before = files(work)
    code, err = call(*argv)
    assert code == 2, err
    assert (fragment in err and "nothing was written" in err) or "give a folder" in err
    assert files(work) == before


def test_a_model_the_run_would_replace_in_its_out_folder_is_refused(work):
    model = work / "o" / "forecast.json"
    model.parent.mkdir()
    model.write_text(
        json.dumps(
            {
                "project": {"name": "J", "start": "2027-01-04"},
                "task": [{"id": "a", "estimate": 3}],
                "milestone": [{"id": "m", "after": ["a"]}],
            }
        )
    )
    before = files(work)
    code, err = call("run", model, "-n", 1024, "--out", work / "o")
    assert code == 2 and "forecast.json" in err and "input file" in err
    assert files(work) == before


def test_an_export_beside_the_outputs_is_fine(work):
    code, err = call("run", "m.toml", "-n", 1024, "--out", "o", "--export", "o/export.csv")
    assert code == 0, err
    assert (work / "o" / "export.csv").is_file() and (work / "o" / "forecast.json").is_file()
