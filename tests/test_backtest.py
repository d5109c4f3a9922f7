"""The back-test: on a history drawn from a known ratio distribution, the calibrated forecasts
cover their nominal levels and the plan's own do not; and the calibrate, backtest and
run --calibration commands."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import riskcast as rc
from riskcast import cli
from riskcast.backtest import backtest, clustered_interval, wilson
from riskcast.calibration import CalibrationError, PastTask, read_past_tasks

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "calibration-history.csv"
MODEL = ROOT / "models" / "checkout-redesign.toml"


def history(projects: int, tasks: int, seed: int) -> list[PastTask]:
    """Single-point estimates; log ratio = log 1.3 + N(0, 0.25^2) per project + N(0, 0.3^2)."""
    rng = np.random.default_rng(seed)
    items = []
    for j in range(projects):
        b = rng.normal(0, 0.25)
        for i in range(tasks):
            estimate = float(rng.integers(2, 16))
            actual = estimate * math.exp(math.log(1.3) + b + rng.normal(0, 0.3))
            items.append(PastTask(f"p{j:02d}", f"t{i}", estimate, actual))
    return items


@pytest.fixture(scope="module")
def synthetic_result():
    return backtest(history(48, 10, seed=8), draws=2000, seed=1)


def _acceptance(n: int, level: float, alpha: float) -> tuple[int, int]:
    """The central 1 - alpha range of covered counts of a calibrated forecast: Binomial(n, p)."""
    return int(stats.binom.ppf(alpha / 2, n, level)), int(stats.binom.isf(alpha / 2, n, level))


# Three levels x two forecasts are judged: a Bonferroni split of 1% keeps a false failure rare.
ALPHA = 0.01 / 3


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9])
def test_calibrated_project_coverage_is_nominal_and_raw_is_not(synthetic_result, level):
    n = len(synthetic_result.projects)
    low, high = _acceptance(n, level, ALPHA)
    calibrated = int(np.sum(synthetic_result.pit("project", "calibrated") <= level))
    raw = int(np.sum(synthetic_result.pit("project", "raw") <= level))
    assert low <= calibrated <= high
    assert not low <= raw <= high


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9])
def test_calibrated_task_coverage_is_nominal_within_its_clustered_interval(synthetic_result, level):
    cov = {(c.scope, c.forecast, c.level): c for c in synthetic_result.coverage()}
    assert cov["task", "calibrated", level].consistent
    assert not cov["task", "raw", level].consistent
    # the plan's point estimates: optimistic, covered only when the ratio is below 1
    expected = stats.norm.cdf(-math.log(1.3) / math.hypot(0.25, 0.3))
    assert cov["task", "raw", level].share == pytest.approx(expected, abs=0.1)


def test_raw_three_point_forecasts_use_their_pert():
    items = []
    for j in range(4):
        for i in range(3):
            items.append(PastTask(f"p{j}", f"t{i}", 3.5, 4.0 + j, low=2, likely=3, high=7))
    result = backtest(items, draws=500)
    pert = stats.beta(1 + 4 * (3 - 2) / 5, 1 + 4 * (7 - 3) / 5, loc=2, scale=5)
    for t in result.tasks:
        assert t.pit_raw == pytest.approx(pert.cdf(t.actual))


def test_folds_and_seeds_are_reproducible():
    items = history(9, 4, seed=3)
    a = backtest(items, folds=3, draws=300, seed=5)
    b = backtest(items, folds=3, draws=300, seed=5)
    assert a == b and a.folds == 3
    assert sorted({p.fold for p in a.projects}) == [0, 1, 2]
    with pytest.raises(CalibrationError, match="at least 3 projects"):
        backtest(history(2, 4, seed=3))


def test_intervals():
    assert wilson(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    # perfectly correlated clusters: the interval is that of 2 projects, not 20 tasks
    covered = np.array([True] * 10 + [False] * 10)
    low, high = clustered_interval(covered, ["a"] * 10 + ["b"] * 10)
    assert (low, high) == pytest.approx((0.0, 1.0))


# -- the commands ---------------------------------------------------------------------------------
def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_calibrate_prints_the_classes_and_writes_the_file(tmp_path):
    target = tmp_path / "cal.toml"
    code, out, err = run("calibrate", str(EXAMPLE), "-o", str(target))
    assert code == 0, err
    assert "classes by team" in out and "team=backend" in out and "pooled (< 5 tasks)" in out
    assert target.is_file() and "wrote" in err
    from riskcast.calibration_file import read_calibration

    cal = read_calibration(target)
    assert cal.tag == "team" and cal.items == len(read_past_tasks(EXAMPLE))
    code, out, _ = run(
        "calibrate", str(EXAMPLE), "-o", str(target), "--by", "none", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["tag"] is None and [c["class"] for c in data["classes"]] == ["pooled"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([str(ROOT / "tests/data/calibration-bad.csv")], "calibration-bad.csv: 5 bad rows"),
        (["missing.csv"], "missing.csv: cannot read"),
        ([str(EXAMPLE), "--by", "colour"], 'no past task has the tag "colour"'),
        ([str(EXAMPLE), "-o", str(EXAMPLE)], "that is the input file"),
    ],
)
def test_calibrate_errors_exit_2_and_write_nothing(tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)  # where the default calibration.toml would go
    code, _, err = run("calibrate", *argv)
    assert code == 2 and message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_backtest_prints_coverage_and_writes_files_and_charts(tmp_path):
    code, out, err = run("backtest", str(EXAMPLE), "--out", str(tmp_path), "--draws", "1000")
    assert code == 0, err
    assert "leave-one-out over 16 projects" in out and "P80" in out
    for name in ("backtest-tasks.csv", "backtest-projects.csv", "coverage.csv"):
        assert (tmp_path / name).is_file()
    for chart in ("pit.png", "reliability.png"):
        assert (tmp_path / "charts" / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run("backtest", str(EXAMPLE), "-k", "4", "--format", "csv", "--draws", "500")
    assert code == 0 and out.startswith("scope,forecast,level,share")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--folds", "1"], "at least 2 folds"),
        (["--folds", "3", "--leave-one-out"], "not allowed with"),
    ],
)
def test_backtest_bad_options_exit_2(capsys, argv, message):
    code, _, _ = run("backtest", str(EXAMPLE), *argv)
    assert code == 2 and message in capsys.readouterr().err  # argparse prints usage errors


def test_run_with_a_calibration_shows_both_forecasts(tmp_path):
    target = tmp_path / "cal.toml"
    assert run("calibrate", str(EXAMPLE), "-o", str(target))[0] == 0
    common = ("run", str(MODEL), "-n", "2000", "--seed", "4", "--no-history", "--no-charts")
    code, plain, _ = run(*common)
    code2, calibrated, err = run(*common, "--calibration", str(target))
    assert code == code2 == 0, err
    assert "Calibrated by calibration-history.csv" not in plain
    assert calibrated.startswith(plain.rstrip("\n"))  # the plan's own table is unchanged
    assert "rests on 192 past tasks in 16 projects" in calibrated
    assert "calibrated P80" in calibrated
    code, _, err = run(*common, "--calibration", str(MODEL))
    assert code == 2 and "not a riskcast calibration" in err


def test_run_json_with_a_calibration_carries_the_calibrated_dates(tmp_path):
    from riskcast.calibration import apply_calibration
    from riskcast.calibration_file import read_calibration
    from riskcast.output_schema import report_schema

    from .test_output_schema import check

    target = tmp_path / "cal.toml"
    assert run("calibrate", str(EXAMPLE), "-o", str(target))[0] == 0
    common = ("run", str(MODEL), "-n", "2000", "--seed", "4", "--no-history", "--format", "json")
    code, out, err = run(*common, "--calibration", str(target))
    assert code == 0, err
    data = json.loads(out)
    check(data, report_schema())
    plain = json.loads(run(*common)[1])
    assert "calibration" not in plain
    assert {k: v for k, v in data.items() if k != "calibration"} == plain
    calibrated = rc.simulate(
        apply_calibration(rc.load(MODEL), read_calibration(target)), iterations=2000, seed=4
    )
    info = data["calibration"]
    assert (info["items"], info["projects"], info["file"]) == (192, 16, str(target))
    for mid, dates in info["milestones"].items():
        m = calibrated.milestone(mid)
        assert dates == {"p50": str(m.percentile(50)), "p80": str(m.percentile(80))}
