"""``riskcast.compare.compare_recorded`` and ``riskcast compare MODEL --runs A B``: two forecasts
recorded in the history, compared from their rows alone (nothing simulated, no model file needed
beyond the project name)."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import json
from pathlib import Path

import pytest

import riskcast as rc
from riskcast import cli
from riskcast import compare as compare_module
from riskcast.compare import compare_recorded
from riskcast.history import History

simulate_module = importlib.import_module("riskcast.simulate")  # the package exports a function

NAME = "Weekly plan"
PLAN = """\
[project]
name = "{name}"
start = 2027-01-04

[[task]]
id = "design"
estimate = {{ pert = [3, 5, 9] }}

[[task]]
id = "build"
estimate = {{ pert = [{build}] }}
after = ["design"]

[[milestone]]
id = "{first}"
name = "First release"
after = ["build"]
target = 2027-02-12

[[task]]
id = "rollout"
estimate = {{ pert = [2, 3, 6] }}
after = ["{first}"]

[[milestone]]
id = "ga"
name = "GA"
after = ["rollout"]
target = 2027-03-01
"""
EARLIER = {"name": NAME, "build": "10, 15, 30", "first": "beta"}
LATER = {"name": NAME, "build": "12, 18, 34", "first": "preview"}  # later, "beta" renamed
OTHER = {**EARLIER, "name": "Other plan"}


def at(day: int) -> dt.datetime:
    return dt.datetime(2027, 3, day, 9, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def weekly(tmp_path_factory) -> dict:
    """Three forecasts of the plan (the first two of the same file, the third of a later
    version) and one of another plan, in a history file."""
    tmp_path = tmp_path_factory.mktemp("weekly")
    files = {}
    for key, fields in (("earlier", EARLIER), ("later", LATER), ("other", OTHER)):
        files[key] = tmp_path / f"{key}.toml"
        files[key].write_text(PLAN.format(**fields), encoding="utf-8")
    forecasts = {
        1: rc.simulate(rc.load(files["earlier"]), iterations=2000, seed=1),
        2: rc.simulate(rc.load(files["earlier"]), iterations=4000, seed=2),
        3: rc.simulate(rc.load(files["later"]), iterations=2000, seed=3),
        4: rc.simulate(rc.load(files["other"]), iterations=1024, seed=4),
    }
    path = tmp_path / "history.sqlite"
    sources = {1: "earlier", 2: "earlier", 3: "later", 4: "other"}
    with History(path) as history:
        ids = {
            k: history.record(f, model_path=files[sources[k]], recorded_at=at(k * 7))
            for k, f in forecasts.items()
        }
    assert ids == {1: 1, 2: 2, 3: 3, 4: 4}
    return {"path": path, "files": files, "forecasts": forecasts}


def rows(forecast: rc.Forecast) -> dict[str, dict]:
    return {row["id"]: row for row in forecast.summary()}


def test_moves_are_the_recorded_dates_in_calendar_days(weekly):
    with History(weekly["path"]) as history:
        result = compare_recorded(history, NAME, 1, 3)
    a, b = rows(weekly["forecasts"][1]), rows(weekly["forecasts"][3])
    assert (result.model, result.a.id, result.b.id) == (NAME, 1, 3)
    assert [m.id for m in result.milestones] == ["ga"]  # the finish is ga's dates: not repeated
    (ga,) = result.milestones
    assert ga.name == "GA"
    for key in ("plan", "p50", "p80", "p95"):
        assert (getattr(ga.a, key), getattr(ga.b, key)) == (a["ga"][key], b["ga"][key])
        assert ga.moved(key) == (b["ga"][key] - a["ga"][key]).days
    assert ga.moved("p80") > 0  # the later version's build takes longer
    change = b["ga"]["probability_of_target"] - a["ga"]["probability_of_target"]
    assert ga.probability_change == pytest.approx(change)
    assert result.notes == (
        'milestone "beta" is only in run 1',
        'milestone "preview" is only in run 3',
    )


def test_runs_are_named_by_id_position_or_date(weekly):
    with History(weekly["path"]) as history:
        by_id = compare_recorded(history, NAME, "2", "3")
        named = compare_recorded(history, NAME, "latest~1", "latest")
        dated = compare_recorded(history, NAME, "2027-03-14", "2027-03-21")
        both = compare_recorded(history, NAME, 1, 2, ["beta", "finish"])
        same = compare_recorded(history, NAME, "latest", 3)
    for result in (by_id, named, dated):
        assert (result.a.id, result.b.id) == (2, 3)
    # two forecasts of the same file: any move is noise, and the reader is told so
    assert [m.id for m in both.milestones] == ["beta", "finish"]
    assert "same model file (same content hash)" in " ".join(both.notes)
    assert "seeds 1 and 2" in " ".join(both.notes)
    assert "the same forecast (run 3)" in " ".join(same.notes)
    assert all(m.moved(k) == 0 for m in same.milestones for k in ("plan", "p50", "p80", "p95"))


@pytest.mark.parametrize(
    ("a", "b", "milestones", "message"),
    [
        (9, 1, None, r'no forecast "9" of "Weekly plan" in .*\(its runs, 3: 1 \(2027-03-07\)'),
        (4, 1, None, r'run 4 is a forecast of "Other plan", not of "Weekly plan"'),
        ("latest~3", 1, None, r'no forecast "latest~3"'),
        ("2027-03-01", 1, None, r'no forecast "2027-03-01"'),
        ("last", 1, None, r'"last" names no forecast: give a run id, latest, latest~N or a date'),
        (1, 3, ["beta"], r'no milestone "beta" in both forecasts \(in both: ga, finish\)'),
        (1, 3, ["gaa"], r'no milestone "gaa" in both forecasts; did you mean "ga"'),
    ],
)
def test_unknown_runs_and_milestones_are_named(weekly, a, b, milestones, message):
    with History(weekly["path"]) as history, pytest.raises(rc.ArgumentError, match=message):
        compare_recorded(history, NAME, a, b, milestones)


def test_a_history_without_the_model(weekly):
    with History(weekly["path"]) as history:
        with pytest.raises(rc.ArgumentError, match=r'no forecasts of model "Weekly"'):
            compare_recorded(history, "Weekly", 1, 2)


# -- the command ----------------------------------------------------------------------------------
def main(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def no_simulation(monkeypatch):
    """Comparing recorded forecasts never simulates."""

    def refuse(*args, **kwargs):
        raise AssertionError("simulated")

    for module in (simulate_module, compare_module):
        monkeypatch.setattr(module, "run", refuse)


def test_compare_runs_prints_the_table(weekly, no_simulation):
    history, model = weekly["path"], weekly["files"]["earlier"]
    code, out, err = main("compare", model, "--runs", "1", "latest", "--history", history)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{NAME} — two recorded forecasts in {history} (nothing simulated)"
    assert lines[1] == "A  run 1: no status date, recorded 2027-03-07 09:00 UTC, seed 1, 2,000 runs"
    assert lines[2].startswith("B  run 3: no status date, recorded 2027-03-21 09:00 UTC")
    a, b = rows(weekly["forecasts"][1])["ga"], rows(weekly["forecasts"][3])["ga"]
    (row,) = [line for line in lines if line.startswith("GA ")]
    cells = row.split()
    assert cells[1] == "2027-03-01"
    assert cells[2:5] == [a["p50"].isoformat(), "→", b["p50"].isoformat()]
    moves = [(b[k] - a[k]).days for k in ("p50", "p80", "p95")]
    assert " / ".join(f"{d:+d}" if d else "0" for d in moves) + " d" in row
    assert row.endswith(
        f"{100 * a['probability_of_target']:.0f}% → {100 * b['probability_of_target']:.0f}%"
    )
    assert "needs the two model files: riskcast compare OLD NEW" in out
    assert 'note: milestone "beta" is only in run 1' in out


def test_compare_runs_json_csv_and_out(weekly, tmp_path, no_simulation, monkeypatch):
    monkeypatch.setenv("RISKCAST_HISTORY", str(weekly["path"]))
    gone = tmp_path / "no-such-model.toml"  # --project: no model file is read
    code, out, err = main("compare", "--project", NAME, "--runs", "2", "3", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == "riskcast-compare-runs/1" and data["project"] == NAME
    assert (data["a"]["id"], data["b"]["id"], data["a"]["seed"]) == (2, 3, 2)
    assert data["a"]["iterations"] == 4000 and data["a"]["model_hash"] != data["b"]["model_hash"]
    (ga,) = data["milestones"]
    b = rows(weekly["forecasts"][3])["ga"]
    assert ga["b"]["p80"] == b["p80"].isoformat()
    assert ga["moved_days"]["p80"] == (b["p80"] - rows(weekly["forecasts"][2])["ga"]["p80"]).days
    assert set(ga["moved_days"]) == {"plan", "p50", "p80", "p95"}
    assert data["files"] == [] and not gone.exists()

    out_dir = tmp_path / "out"
    code, out, err = main(
        "compare", "--project", NAME, "--runs", "2", "3", "--format", "csv", "-m", "ga",
        "--out", out_dir,
    )  # fmt: skip
    assert code == 0, err
    (row,) = csv.DictReader(io.StringIO(out))
    assert row["milestone"] == "ga" and row["b_p80"] == ga["b"]["p80"]
    assert int(row["p80_moved_days"]) == ga["moved_days"]["p80"]
    assert (out_dir / "compare.csv").read_text(encoding="utf-8") == out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("{earlier}", "--runs", "1", "2", "-n", "100"), "--iterations does not apply to --runs"),
        (("{earlier}", "--runs", "1", "2", "--seed", "3"), "--seed does not apply to --runs"),
        (("{earlier}", "{later}", "--runs", "1", "2"), "--runs takes one MODEL"),
        (("--runs", "1", "2"), "--runs needs the MODEL whose forecasts to compare"),
        (("{earlier}", "--project", NAME, "--runs", "1", "2"), "not both"),
        (("{earlier}",), "give NEW: two model files to compare"),
        (("{earlier}", "{later}", "--history", "h.sqlite"), "--history goes with --runs"),
        (("{earlier}", "{later}", "--project", NAME), "--project goes with --runs"),
        (("{earlier}", "--runs", "1", "9"), 'no forecast "9" of "Weekly plan"'),
        (("{other}", "--runs", "1", "2"), 'run 1 is a forecast of "Weekly plan"'),
    ],
)
def test_compare_runs_errors(weekly, monkeypatch, args, message):
    monkeypatch.setenv("RISKCAST_HISTORY", str(weekly["path"]))
    files = {k: str(v) for k, v in weekly["files"].items()}
    code, out, err = main("compare", *(a.format(**files) for a in args))
    assert code == 2 and out == ""
    assert message in err


def test_compare_runs_needs_a_history(weekly, tmp_path, monkeypatch):
    monkeypatch.delenv("RISKCAST_HISTORY")
    code, _, err = main("compare", "--project", NAME, "--runs", "1", "2")
    assert code == 2 and "--project: name the history file (--history PATH" in err
    model = tmp_path / "elsewhere" / "plan.toml"
    model.parent.mkdir()
    model.write_text(Path(weekly["files"]["earlier"]).read_text(encoding="utf-8"), "utf-8")
    code, _, err = main("compare", model, "--runs", "1", "2")  # the default place: none there
    assert code == 2 and "no forecast history there yet" in err
    code, _, err = main("compare", "--project", "Another", "--runs", "1", "2", "--history",
                        weekly["path"])  # fmt: skip
    assert code == 2 and 'no forecasts of model "Another"' in err
