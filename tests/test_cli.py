"""The ``riskcast`` command through its real entry points (``python -m riskcast`` and the console
script), plus a few in-process checks of ``main`` where a failure has to be injected."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import riskcast as rc
from riskcast import cli

ROOT = Path(__file__).parent.parent
CHECKOUT = ROOT / "models" / "checkout-redesign.toml"
N = "2000"

BAD_MODEL = """\
[project]
name = "Broken"
start = 2027-01-04

[[task]]
id = "a"
estimate = { pert = [5, 3, 10] }

[[task]]
id = "b"
estimate = 4
after = ["aa"]
"""

CLEAN_MODEL = """\
[project]
name = "Clean"
start = 2027-01-04

[[task]]
id = "a"
estimate = { pert = [2, 3, 6] }

[[task]]
id = "b"
estimate = { triangular = [1, 2, 5] }
after = ["a"]

[[milestone]]
id = "done"
after = ["b"]
target = 2027-01-15
"""


def _read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def riskcast(*args: str, cwd: Path | None = None, env: dict | None = None):
    """Run ``python -m riskcast ARGS`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "riskcast", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = riskcast("run", CHECKOUT, "--iterations", N, "--seed", "7", "--out", out)
    return result, out


def test_run_prints_the_table_and_writes_files(run_out):
    result, out = run_out
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Checkout redesign — 2,000 runs, seed 7, plan start 2027-01-04"
    assert lines[1].split()[:4] == ["milestone", "target", "plan", "(CPM)"]
    forecast = rc.simulate(rc.load(CHECKOUT), iterations=2000, seed=7)
    beta = forecast.milestone("beta")
    row = next(line for line in lines if line.startswith("Public beta"))
    for date in (
        beta.target,
        beta.cpm_date,
        beta.percentile(50),
        beta.percentile(80),
        beta.percentile(95),
    ):
        assert date.isoformat() in row
    assert row.endswith(f"{100 * beta.target_probability:.0f}%")
    assert "Traceback" not in result.stderr
    for name in ("forecast.json", "milestones.csv", "tasks.csv"):
        assert (out / name).is_file()
    charts = sorted(p.name for p in (out / "charts").iterdir())
    for mid in ("beta", "ga", "launch"):
        assert {f"scurve-{mid}.png", f"histogram-{mid}.png", f"tornado-{mid}.png"} <= set(charts)
    assert {"roadmap.png", "gantt.png"} <= set(charts)
    for chart in charts:
        assert (out / "charts" / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".riskcast-")]
    assert "wrote" in result.stderr


def test_run_files_hold_the_forecast(run_out):
    _, out = run_out
    forecast = rc.Forecast.from_json((out / "forecast.json").read_text())
    assert forecast.seed == 7 and forecast.iterations == 2000
    rows = _read_csv(out / "milestones.csv")
    assert [r["id"] for r in rows] == ["beta", "ga", "launch"]
    beta = forecast.milestone("beta")
    assert rows[0]["p80"] == beta.percentile(80).isoformat()
    assert float(rows[0]["probability_of_target"]) == pytest.approx(beta.target_probability)
    tasks = _read_csv(out / "tasks.csv")
    assert len(tasks) == len(forecast.task_ids)
    assert {"plan_start", "plan_finish", "p10_finish", "p90_finish", "criticality"} <= set(tasks[0])


def test_json_output_parses_and_matches_the_api():
    result = riskcast("run", CHECKOUT, "-n", N, "--seed", "7", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["seed"] == 7 and data["iterations"] == 2000
    forecast = rc.simulate(rc.load(CHECKOUT), iterations=2000, seed=7)
    by_id = {m["id"]: m for m in data["milestones"]}
    assert list(by_id) == ["beta", "ga", "launch"]
    for mid, m in by_id.items():
        api = forecast.milestone(mid)
        assert m["percentiles"]["80"] == api.percentile(80).isoformat()
        assert m["plan"] == api.cpm_date.isoformat()
        assert m["probability_of_target"] == pytest.approx(api.target_probability)
        lo, hi = api.percentile_interval(80)
        assert m["confidence_interval"]["80"] == [lo.isoformat(), hi.isoformat()]
    assert data["files"] == []


def test_csv_output_and_confidence_column():
    result = riskcast(
        "run",
        CHECKOUT,
        "-n",
        N,
        "--seed",
        "3",
        "--format",
        "csv",
        "--confidence",
        "90",
        "--milestone",
        "ga",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ["ga"]
    assert {"p50", "p80", "p90", "p95", "p90_low", "p90_high"} <= set(rows[0])


def test_seed_is_printed_when_none_given_and_reproduces_the_run():
    first = riskcast("run", CHECKOUT, "-n", N)
    assert first.returncode == 0, first.stderr
    note = next(line for line in first.stderr.splitlines() if line.startswith("seed "))
    seed = note.split()[1]
    again = riskcast("run", CHECKOUT, "-n", N, "--seed", seed)
    assert again.stdout == first.stdout


def test_milestone_filter_limits_table_and_charts(tmp_path):
    out = tmp_path / "o"
    result = riskcast(
        "run",
        CHECKOUT,
        "-n",
        N,
        "--seed",
        "1",
        "--milestone",
        "beta",
        "--out",
        out,
        "--chart-format",
        "svg",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert "Public beta" in result.stdout and "General availability" not in result.stdout
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert charts == [
        "gantt.svg",
        "histogram-beta.svg",
        "roadmap.svg",
        "scurve-beta.svg",
        "tornado-beta.svg",
    ]
    assert result.stderr == ""  # --quiet


def test_export_and_no_charts(tmp_path):
    out, export = tmp_path / "o", tmp_path / "plan" / "tasks-for-p6.csv"
    result = riskcast(
        "run", CHECKOUT, "-n", N, "--seed", "1", "--out", out, "--no-charts", "--export", export
    )
    assert result.returncode == 0, result.stderr
    assert not (out / "charts").exists()
    rows = _read_csv(export)
    assert list(rows[0]) == [
        "id",
        "name",
        "plan_start",
        "plan_finish",
        "p50_finish",
        "p80_finish",
        "criticality",
        "sensitivity",
    ]
    assert [r["id"] for r in rows] == [t.id for t in rc.load(CHECKOUT).tasks]
    assert not [p for p in export.parent.iterdir() if p.name.endswith(".tmp")]


def _tool_ids(path: Path) -> dict[str, tuple[str, str]]:
    """(id users see, unique id) of each activity, read straight from the file."""
    if path.suffix == ".xer":
        lines = path.read_text(encoding="cp1252").splitlines()
        out, fields, table = {}, [], ""
        for line in lines:
            cells = line.split("\t")
            if cells[0] == "%T":
                table = cells[1]
            elif cells[0] == "%F":
                fields = cells[1:]
            elif cells[0] == "%R" and table == "TASK":
                row = dict(zip(fields, cells[1:], strict=False))
                out[row["task_code"]] = (row["task_code"], row["task_id"])
        return out
    ns = {"p": "http://schemas.microsoft.com/project"}
    tasks = ET.parse(path).getroot().iterfind("p:Tasks/p:Task", ns)
    return {
        t.findtext("p:UID", namespaces=ns): (
            t.findtext("p:ID", namespaces=ns),
            t.findtext("p:UID", namespaces=ns),
        )
        for t in tasks
    }


@pytest.mark.parametrize(
    "schedule", ["mpxj/xer/percent-complete-8.4.xer", "mpxj/mspdi/sample1.xml"]
)
def test_export_of_an_imported_schedule_names_the_tools_ids(tmp_path, schedule):
    # The ids users see in MS Project (ID) or P6 (activity ID) and the tool's unique ids stand
    # next to riskcast's; no task starts after it finishes (zero-duration ones included).
    path = ROOT / "tests" / "data" / schedule
    export = tmp_path / "tasks.csv"
    result = riskcast(
        "run", path, "-n", "1024", "--out", tmp_path / "o", "--no-charts", "--export", export
    )
    assert result.returncode == 0, result.stderr
    rows = _read_csv(export)
    assert list(rows[0])[:4] == ["id", "source_id", "source_uid", "name"]
    ids = _tool_ids(path)
    assert rows and all((r["source_id"], r["source_uid"]) == ids[r["id"]] for r in rows)
    assert all(r["plan_start"] <= r["plan_finish"] for r in rows)


@pytest.mark.parametrize("command", ["run", "validate", "explain"])
def test_bad_model_exits_2_with_one_message_and_writes_nothing(tmp_path, command):
    model = tmp_path / "broken.toml"
    model.write_text(BAD_MODEL)
    out, export = tmp_path / "out", tmp_path / "tasks.csv"
    extra = ["--out", out, "--export", export] if command == "run" else []
    result = riskcast(command, model, *extra)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert str(model) in result.stderr
    assert 'task "a" > estimate' in result.stderr
    assert 'unknown predecessor "aa"' in result.stderr and 'did you mean "a"' in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.toml"]


def test_missing_file_and_unknown_milestone_exit_2(tmp_path):
    missing = riskcast("run", tmp_path / "nope.toml")
    assert missing.returncode == 2 and "file not found" in missing.stderr
    out = tmp_path / "out"
    unknown = riskcast("run", CHECKOUT, "-n", N, "--milestone", "bta", "--out", out)
    assert unknown.returncode == 2
    assert 'no milestone "bta"' in unknown.stderr and "beta" in unknown.stderr
    assert "Traceback" not in unknown.stderr and not out.exists()


def test_usage_errors_exit_2():
    both = riskcast("run", CHECKOUT, "--iterations", "10", "--precision", "1")
    assert both.returncode == 2 and "not allowed with" in both.stderr
    assert riskcast("run", CHECKOUT, "--iterations", "0").returncode == 2
    assert riskcast("run", CHECKOUT, "--confidence", "100").returncode == 2
    assert riskcast("frobnicate").returncode == 2


def test_failed_run_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "forecast.json").write_text("previous run")
    model = tmp_path / "broken.toml"
    model.write_text(BAD_MODEL)
    assert riskcast("run", model, "--out", out).returncode == 2
    assert sorted(p.name for p in out.iterdir()) == ["forecast.json"]
    assert (out / "forecast.json").read_text() == "previous run"


def test_chart_failure_writes_nothing(tmp_path, monkeypatch):
    """A failure while rendering (disk full, ...) exits 3 and leaves no partial output."""
    from riskcast import plotting

    def broken_save(ax, path, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plotting, "save", broken_save)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["run", str(CHECKOUT), "-n", N, "--seed", "1", "--out", str(tmp_path / "o")],
        stdout=out,
        stderr=err,
    )
    assert code == 3
    assert "No space left on device" in err.getvalue()
    assert list(tmp_path.iterdir()) == []


def test_out_must_be_a_folder(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = riskcast("run", CHECKOUT, "-n", N, "--out", target)
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_validate_warnings_and_strict(tmp_path):
    result = riskcast("validate", CHECKOUT)
    assert result.returncode == 0, result.stderr
    assert "valid — 14 tasks, 3 milestones" in result.stdout
    assert "[negative-lag]" in result.stdout and 'task "marketing" > after[0]' in result.stdout
    strict = riskcast("validate", CHECKOUT, "--strict")
    assert strict.returncode == 1
    clean = tmp_path / "clean.toml"
    clean.write_text(CLEAN_MODEL)
    ok = riskcast("validate", clean, "--strict")
    assert ok.returncode == 0 and "no schedule-quality warnings" in ok.stdout


def test_explain_prints_sentences():
    result = riskcast("explain", CHECKOUT, "--milestone", "beta", "-n", N, "--seed", "7")
    assert result.returncode == 0, result.stderr
    forecast = rc.simulate(rc.load(CHECKOUT), iterations=2000, seed=7)
    beta = forecast.milestone("beta")
    assert result.stdout.startswith("Public beta (beta) is planned for")
    assert beta.percentile(80).isoformat() in result.stdout
    assert f"{100 * beta.target_probability:.0f}%" in result.stdout
    bad = riskcast("explain", CHECKOUT, "--milestone", "nope")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_schema_and_help():
    schema = riskcast("schema")
    assert schema.returncode == 0
    assert json.loads(schema.stdout) == rc.model_schema()
    helped = riskcast("--help")
    assert helped.returncode == 0 and "exit codes" in helped.stdout
    run_help = riskcast("run", "--help")
    assert "--precision" in run_help.stdout and "130" in run_help.stdout


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "riskcast"
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    result = subprocess.run(
        [str(script), "validate", str(CHECKOUT), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0


def test_cli_import_stays_light():
    code = (
        "import sys, riskcast.cli; "
        "print(sorted(m for m in ('matplotlib', 'matplotlib.pyplot') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_main_returns_codes_instead_of_exiting():
    err = io.StringIO()
    assert cli.main(["run"], stdout=io.StringIO(), stderr=err) == 2
    assert cli.main(["schema"], stdout=io.StringIO(), stderr=err) == 0


def test_progress_bar_draws_and_erases():
    stream = io.StringIO()
    bar = cli.ProgressBar(stream)
    bar(1024, 4096)
    bar(4096, 4096)
    bar.close()
    text = stream.getvalue()
    assert "4,096/4,096 runs" in text and "#" * 28 in text
    assert text.endswith("\r")


def test_no_progress_bar_when_stderr_is_not_a_terminal():
    result = riskcast("run", CHECKOUT, "-n", N, "--seed", "2")
    assert "[#" not in result.stderr and "[." not in result.stderr


def test_import_writes_a_model(tmp_path):
    pytest.importorskip("riskcast.io.schedules")
    pytest.importorskip("riskcast.io.writer")
    source = ROOT / "tests" / "data" / "mpxj" / "mspdi" / "sample1.xml"
    if not source.exists():
        pytest.skip("sample schedule not available")
    target = tmp_path / "plan.toml"
    result = riskcast("import", source, "-o", target, "--uncertainty", "pert(-10%, 0%, +30%)")
    assert result.returncode == 0, result.stderr
    project = rc.load(target)
    assert project.tasks and any(t.estimate.has_spread for t in project.tasks)
    assert "Traceback" not in result.stderr
    bad_rule = riskcast("import", source, "-o", tmp_path / "x.toml", "-u", "pert(1, 2)")
    assert bad_rule.returncode == 2 and not (tmp_path / "x.toml").exists()


def test_python_dash_m_matches_console_entry_point():
    env = dict(os.environ)
    result = riskcast("validate", CHECKOUT, "--quiet", env=env)
    assert result.returncode == 0
