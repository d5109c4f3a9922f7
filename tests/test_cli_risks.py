"""``riskcast run --mitigated``, ``riskcast drivers`` and ``riskcast mitigation`` through the real
entry point (``python -m riskcast``), their numbers checked against the library called in-process
with the same seed."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import riskcast as rc
from riskcast import cli
from riskcast.drivers import compare_mitigation, risk_drivers

ROOT = Path(__file__).parent.parent
RISKS = ROOT / "models" / "checkout-risks.toml"
PLAIN = ROOT / "models" / "checkout-redesign.toml"
N = 2000
SEED = 7


def riskcast(*args):
    """Run ``python -m riskcast ARGS`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "riskcast", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def cells(line: str) -> list[str]:
    """The columns of a table line (separated by two or more spaces)."""
    return re.split(r"\s{2,}", line.strip())


def assert_one_clean_error(result, *fragments: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("riskcast: error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


@pytest.fixture(scope="module")
def project():
    return rc.load(RISKS)


# -- run --mitigated ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_json():
    def run(scenario: str) -> dict:
        args = ["run", RISKS, "-n", N, "--seed", SEED, "--format", "json"]
        result = riskcast(*args, "--mitigated", scenario)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return {"pre": run("pre"), "post": run("post")}


def test_run_post_mitigation_moves_the_dates_on_the_same_seed(run_json):
    pre, post = run_json["pre"], run_json["post"]
    assert pre["mitigation"] == "pre" and post["mitigation"] == "post"
    assert [m["id"] for m in pre["milestones"]] == ["beta", "ga", "launch"]
    earlier = 0
    for a, b in zip(pre["milestones"], post["milestones"], strict=True):
        for q in ("50", "80", "95"):
            # mitigations only lower probabilities and impacts: no run gets later
            assert b["percentiles"][q] <= a["percentiles"][q]
            earlier += b["percentiles"][q] < a["percentiles"][q]
        assert b["probability_of_target"] >= a["probability_of_target"]
    assert earlier >= 3


def test_run_json_has_the_risk_statistics_of_the_api(run_json, project):
    forecast = rc.simulate(project, iterations=N, seed=SEED, mitigation="post")
    risks = run_json["post"]["risks"]
    assert [r["id"] for r in risks] == [r.id for r in project.risks]
    for r in risks:
        assert r["title"] == project.risk(r["id"]).label
        assert r["occurred"] == pytest.approx(forecast.risk_occurrence()[r["id"]])
        assert set(r["critical"]) == {"beta", "ga", "launch"}
        for mid, share in r["critical"].items():
            assert share == pytest.approx(forecast.risk_criticality(mid)[r["id"]])
    occurred = {r["id"]: r["occurred"] for r in run_json["pre"]["risks"]}
    assert occurred["estimate-bias"] == 1.0  # the probability-1 risk driver
    assert {r["id"]: r["occurred"] for r in risks}["vendor-api"] < occurred["vendor-api"]


def test_run_table_shows_the_risk_table_and_the_scenario(project):
    pre = riskcast("run", RISKS, "-n", N, "--seed", SEED)
    post = riskcast("run", RISKS, "-n", N, "--seed", SEED, "--mitigated", "post", "-q")
    ids = riskcast("run", RISKS, "-n", N, "--seed", SEED, "--mitigated", "vendor-api,pci-gaps")
    for result in (pre, post, ids):
        assert result.returncode == 0, result.stderr
    assert "mitigat" not in pre.stdout.splitlines()[0]
    assert post.stdout.splitlines()[0].endswith(", mitigation: post")
    assert ids.stdout.splitlines()[0].endswith(", mitigated: pci-gaps, vendor-api")
    lines = pre.stdout.splitlines()
    head = next(k for k, line in enumerate(lines) if line.startswith("risk "))
    assert cells(lines[head]) == ["risk", "title", "occurred", "critical for Public beta"]
    rows = [cells(line) for line in lines[head + 1 : head + 1 + len(project.risks)]]
    forecast = rc.simulate(project, iterations=N, seed=SEED)
    occurred, critical = forecast.risk_occurrence(), forecast.risk_criticality("beta")
    assert sorted(r[0] for r in rows) == sorted(r.id for r in project.risks)
    for rid, title, occ, crit in rows:
        assert title == project.risk(rid).title
        assert occ == f"{100 * occurred[rid]:.0f}%" and crit == f"{100 * critical[rid]:.0f}%"
    shares = [critical[r[0]] for r in rows]
    assert shares == sorted(shares, reverse=True)  # most often critical first
    assert lines[head + 1 + len(project.risks)].startswith("occurred: share of runs")


def test_run_without_risks_has_no_risk_table():
    result = riskcast("run", PLAIN, "-n", N, "--seed", SEED)
    assert result.returncode == 0, result.stderr
    assert "occurred" not in result.stdout


def test_mitigated_on_a_model_without_risks_is_refused_with_the_reason():
    result = riskcast("run", PLAIN, "-n", N, "--seed", SEED, "--mitigated", "post")
    assert_one_clean_error(result, "no risks")


def test_unknown_risk_id_exits_2_with_a_suggestion_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    for command in ("run", "drivers", "mitigation"):
        result = riskcast(command, RISKS, "-n", N, "--mitigated", "vendor-apl", "--out", out)
        assert_one_clean_error(result, 'no risk "vendor-apl"', 'did you mean "vendor-api"?')
    assert list(tmp_path.iterdir()) == []


def test_a_risk_without_mitigation_cannot_be_mitigated():
    result = riskcast("run", RISKS, "-n", N, "--mitigated", "design-system")
    assert_one_clean_error(result, 'risk "design-system" has no mitigation')


# -- drivers --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def drivers_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("drivers") / "out"
    result = riskcast("drivers", RISKS, "--milestone", "beta", "-n", N, "--seed", SEED, "-o", out)
    return result, out


@pytest.fixture(scope="module")
def expected_drivers(project):
    return risk_drivers(project, "beta", percentile=80, iterations=N, seed=SEED)


def test_drivers_table_ranks_like_the_api(drivers_out, expected_drivers):
    result, _ = drivers_out
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "Checkout redesign (with risks) — risk drivers of Public beta at P80"
    )
    head = next(k for k, line in enumerate(lines) if line.startswith("rank"))
    assert cells(lines[head]) == [
        "rank",
        "risk",
        "title",
        "+days P80",
        "+days mean",
        "occurred",
        "critical",
    ]
    n = len(expected_drivers.drivers)
    rows = [cells(line) for line in lines[head + 1 : head + 1 + n]]
    assert [r[1] for r in rows] == [d.id for d in expected_drivers.drivers]
    for k, (row, d) in enumerate(zip(rows, expected_drivers.drivers, strict=True), start=1):
        assert row[0] == str(k)
        assert row[3] == f"{d.days['beta']:+.1f}" and row[4] == f"{d.mean_days['beta']:+.1f}"
        assert row[5] == f"{100 * d.occurred:.0f}%"
        assert row[6] == f"{100 * d.critical['beta']:.0f}%"
    assert "same random numbers" in lines[head + 1 + n]
    days = [d.days["beta"] for d in expected_drivers.drivers]
    assert days == sorted(days, reverse=True) and days[-1] < 0  # the opportunity is last


def test_drivers_writes_the_csv_and_the_chart(drivers_out, expected_drivers):
    result, out = drivers_out
    rows = list(csv.DictReader(io.StringIO((out / "drivers.csv").read_text())))
    assert [r["id"] for r in rows] == [d.id for d in expected_drivers.drivers]
    for r, d in zip(rows, expected_drivers.drivers, strict=True):
        assert float(r["days"]) == pytest.approx(d.days["beta"], abs=1e-5)
        assert float(r["critical"]) == pytest.approx(d.critical["beta"], abs=1e-5)
        assert r["milestone"] == "beta" and float(r["percentile"]) == 80
    chart = out / "charts" / "risk-tornado.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == ["charts", "drivers.csv"]
    assert "wrote" in result.stderr and "(1 chart)" in result.stderr


def test_drivers_json_and_other_percentile(project):
    result = riskcast(
        "drivers", RISKS, "-n", N, "--seed", SEED, "--percentile", "50", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    expected = risk_drivers(project, None, percentile=50, iterations=N, seed=SEED)
    assert data["milestone"] == "finish" and data["percentile"] == 50
    assert [d["id"] for d in data["drivers"]] == [d.id for d in expected.drivers]
    assert [d["days"] for d in data["drivers"]] == pytest.approx(
        [d.days["finish"] for d in expected.drivers]
    )
    assert data["files"] == [] and result.stderr == ""


def test_drivers_without_risks_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = riskcast("drivers", PLAIN, "-n", N, "--out", out)
    assert_one_clean_error(result, str(PLAIN), "no [[risk]] entries")
    assert list(tmp_path.iterdir()) == []


def test_drivers_unknown_milestone_exits_2():
    result = riskcast("drivers", RISKS, "-n", N, "--milestone", "bta")
    assert_one_clean_error(result, 'no milestone "bta"', 'did you mean "beta"?')


def test_drivers_chart_failure_exits_3_and_writes_nothing(tmp_path, monkeypatch):
    from riskcast import plotting

    def broken_save(ax, path, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plotting, "save", broken_save)
    err = io.StringIO()
    argv = ["drivers", str(RISKS), "-n", "1000", "--seed", "1", "--out", str(tmp_path / "o")]
    assert cli.main(argv, stdout=io.StringIO(), stderr=err) == 3
    assert "No space left on device" in err.getvalue()
    assert list(tmp_path.iterdir()) == []


# -- mitigation -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def comparison(project):
    return compare_mitigation(project, iterations=N, seed=SEED)


@pytest.fixture(scope="module")
def mitigation_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("mitigation") / "out"
    return riskcast("mitigation", RISKS, "-n", N, "--seed", SEED, "--out", out), out


def test_mitigation_table_equals_the_api(mitigation_out, comparison):
    result, _ = mitigation_out
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "before and after 4 mitigations" in lines[0]
    assert cells(lines[1]) == [
        "milestone",
        "target",
        "P50",
        "P80",
        "P95",
        "on target",
        "gained P80",
        "per 1,000",
    ]
    body = lines[2:8]
    for k, row in enumerate(comparison.rows[:3]):  # beta, ga, launch (finish equals launch)
        pre, post = cells(body[2 * k]), cells(body[2 * k + 1])
        assert pre == [
            row.name,
            row.target.isoformat(),
            "pre",
            *(row.pre[q].isoformat() for q in (50, 80, 95)),
            f"{100 * row.pre_probability:.0f}%",
        ]
        assert post == [
            "post",
            *(row.post[q].isoformat() for q in (50, 80, 95)),
            f"{100 * row.post_probability:.0f}%",
            f"{row.days_gained[80]:+.1f}d",
            f"{1000 * row.days_per_cost[80]:+.2f}d",
        ]
    assert len(comparison.rows) == 4  # the project finish is the launch: not repeated
    assert lines[8] == (
        "total mitigation cost: 29,000 (vendor-api 8,000, pci-gaps 12,000, device-bugs 6,000, "
        "key-engineer 3,000)"
    )
    assert comparison.cost == 29_000


def test_mitigation_writes_the_csv_and_one_chart_per_milestone(mitigation_out, comparison):
    _, out = mitigation_out
    rows = list(csv.DictReader(io.StringIO((out / "mitigation.csv").read_text())))
    assert [r["id"] for r in rows] == ["beta", "ga", "launch"]
    for r, row in zip(rows, comparison.rows[:3], strict=True):
        assert r["pre_p80"] == row.pre[80].isoformat()
        assert r["post_p80"] == row.post[80].isoformat()
        assert float(r["post_probability"]) == pytest.approx(row.post_probability, abs=1e-5)
        assert float(r["days_gained_p80"]) == pytest.approx(row.days_gained[80], abs=1e-5)
        assert float(r["days_per_1000_p80"]) == pytest.approx(
            1000 * row.days_per_cost[80], rel=1e-5
        )
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert charts == ["mitigation-beta.png", "mitigation-ga.png", "mitigation-launch.png"]


def test_mitigation_of_chosen_risks_as_json(project):
    result = riskcast(
        "mitigation",
        RISKS,
        "-n",
        N,
        "--seed",
        SEED,
        "--mitigated",
        "vendor-api",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    expected = compare_mitigation(project, mitigated=["vendor-api"], iterations=N, seed=SEED)
    assert data["mitigated"] == ["vendor-api"] and data["cost"] == 8000
    assert data["costs"] == {"vendor-api": 8000}
    for m, row in zip(data["milestones"], expected.rows[:3], strict=True):
        assert m["post"]["80"] == row.post[80].isoformat()
        assert m["days_gained"]["80"] == pytest.approx(row.days_gained[80])


def test_mitigation_needs_mitigations(tmp_path):
    out = tmp_path / "out"
    result = riskcast("mitigation", PLAIN, "-n", N, "--out", out)
    assert_one_clean_error(result, "no [[risk]] entries", "nothing to compare")
    pre = riskcast("mitigation", RISKS, "-n", N, "--mitigated", "pre", "--out", out)
    assert_one_clean_error(pre, "--mitigated pre")
    assert list(tmp_path.iterdir()) == []


def test_help_documents_the_commands_and_exit_codes():
    top = riskcast("--help")
    assert "drivers" in top.stdout and "mitigation" in top.stdout
    for command, options in (
        ("run", ["--mitigated"]),
        ("drivers", ["--percentile", "--milestone", "--mitigated", "--no-charts", "--format"]),
        ("mitigation", ["--mitigated", "--out", "--no-charts", "--format"]),
    ):
        result = riskcast(command, "--help")
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        assert "exit codes" in text and "unknown milestone or risk id" in text
        for option in options:
            assert option in text
