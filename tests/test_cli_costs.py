"""The cost side of the command line: ``riskcast run`` on a plan with costs (cost table, columns,
JSON, cashflow.csv, cost charts) and ``riskcast jcl``; its numbers equal the API's."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import riskcast as rc
from riskcast import cli

ROOT = Path(__file__).parent.parent
MODEL = ROOT / "models" / "satellite-ground-station.toml"
CHECKOUT = ROOT / "models" / "checkout-redesign.toml"
N = 2000
IDS = ("site-ready", "first-contact", "operations")


def riskcast(*args):
    """``python -m riskcast ARGS`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "riskcast", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def main(*args) -> tuple[int, str, str]:
    """``riskcast ARGS`` in this process: (exit code, stdout, stderr), argparse's usage errors
    and help (which it prints on ``sys.stderr`` and ``sys.stdout``) included."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def forecast():
    return rc.simulate(rc.load(MODEL), iterations=N, seed=7)


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("costs") / "out"
    result = riskcast("run", MODEL, "-n", N, "--seed", 7, "--out", out)
    assert result.returncode == 0, result.stderr
    return result, out


def amount(value: float) -> str:
    return f"{value:,.0f}"


def pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def test_run_prints_the_cost_table(run_out, forecast):
    result, _ = run_out
    lines = result.stdout.splitlines()
    start = lines.index("costs in EUR (budget 2,550,000):")
    head = lines[start + 1].split()
    assert head[:3] == ["milestone", "plan", "cost"] and head[-3:] == ["within", "budget", "JCL"]
    for k, mid in enumerate(IDS):
        row = lines[start + 2 + k]
        cost, m = forecast.cost(mid), forecast.milestone(mid)
        assert row.startswith(m.name)
        cells = row[len(m.name) :].split()
        assert cells == [
            amount(cost.base),
            *(amount(cost.percentile(q)) for q in (50, 80, 95)),
            pct(cost.probability_within()),
            pct(forecast.jcl(mid)),
        ]
    assert lines[0].startswith("Satellite ground station — 2,000 runs, seed 7")


def test_run_writes_the_cost_files_and_charts(run_out, forecast):
    _, out = run_out
    charts = {p.name for p in (out / "charts").iterdir()}
    for mid in IDS:
        assert {f"cost-scurve-{mid}.png", f"jcl-{mid}.png"} <= charts
    assert "cash-flow.png" in charts
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO((out / "milestones.csv").read_text()))}
    ops, cost = rows["operations"], forecast.cost("operations")
    assert int(ops["cost_p80"]) == round(cost.percentile(80))
    assert int(ops["cost_plan"]) == round(cost.base)
    assert float(ops["probability_within_budget"]) == pytest.approx(cost.probability_within())
    assert float(ops["jcl"]) == pytest.approx(forecast.jcl("operations"))
    flow = list(csv.DictReader(io.StringIO((out / "cashflow.csv").read_text())))
    bands = forecast.cash_flow().bands
    assert [int(r["p50"]) for r in flow] == [round(v) for v in bands[50.0]]
    assert list(flow[0]) == ["days", "date", "p10", "p50", "p90"]
    saved = rc.Forecast.from_json((out / "forecast.json").read_text())
    assert saved.jcl("operations") == forecast.jcl("operations")


def test_run_json_has_the_costs(forecast):
    code, out, err = main("run", MODEL, "-n", N, "--seed", 7, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["currency"] == "EUR" and data["budget"] == 2_550_000
    by_id = {m["id"]: m["cost"] for m in data["milestones"]}
    for mid in IDS:
        cost = forecast.cost(mid)
        assert by_id[mid]["percentiles"]["80"] == cost.percentile(80)
        assert by_id[mid]["plan"] == cost.base
        assert by_id[mid]["jcl"] == forecast.jcl(mid)
        contingency = by_id[mid]["contingency"]["80"]
        assert contingency["cost"] == cost.contingency(80)
        assert contingency["schedule_days"] == forecast.schedule_contingency(mid, 80)


def test_run_without_costs_adds_nothing(tmp_path):
    out = tmp_path / "out"
    code, stdout, err = main("run", CHECKOUT, "-n", N, "--seed", 7, "--out", out, "--quiet")
    assert code == 0, err
    assert "costs" not in stdout and "JCL" not in stdout
    header = (out / "milestones.csv").read_text().splitlines()[0]
    assert "cost" not in header and "jcl" not in header
    assert not (out / "cashflow.csv").exists()
    charts = {p.name for p in (out / "charts").iterdir()}
    assert not [c for c in charts if c.startswith(("cost-", "jcl-", "cash-"))]
    code, stdout, _ = main("run", CHECKOUT, "-n", N, "--seed", 7, "--format", "json")
    assert "currency" not in json.loads(stdout)


def test_jcl_prints_the_api_numbers(forecast):
    code, out, err = main("jcl", MODEL, "-m", "operations", "-n", N, "--seed", 7)
    assert code == 0, err
    m, cost = forecast.milestone("operations"), forecast.cost("operations")
    facts = {line.strip().rsplit(None, 1)[0]: line.split()[-1] for line in out.splitlines()[1:4]}
    assert facts == {
        "JCL: on time and within budget": pct(forecast.jcl("operations")),
        f"on time (delivered by {m.target})": pct(m.target_probability),
        "within budget (2,550,000 EUR)": pct(cost.probability_within()),
    }
    assert forecast.cheapest_budget("operations", m.target, 70) is None  # 70% needs a later date
    assert f"cheapest budget for 70% by {m.target}: none" in out
    frontier = forecast.jcl_frontier("operations", 70)
    first = next(line for line in out.splitlines() if line.startswith(str(frontier[0].date)))
    assert first.split() == [str(frontier[0].date), amount(frontier[0].budget)]
    last = out.splitlines()[-1].split()
    assert last == [str(frontier[-1].date), amount(frontier[-1].budget)]  # the floor, last
    assert f"… {len(frontier) - 8} more dates" in out


def test_jcl_at_a_date_and_budget(forecast, tmp_path):
    out = tmp_path / "out"
    args = ["-m", "operations", "--date", "2027-12-03", "--budget", "2,600,000", "-c", "80"]
    code, stdout, err = main("jcl", MODEL, *args, "-n", N, "--seed", 7, "--format", "json")
    assert code == 0, err
    data = json.loads(stdout)
    assert data["jcl"] == forecast.jcl("operations", "2027-12-03", 2_600_000)
    assert data["probability_by_date"] == forecast.milestone("operations").probability_by(
        "2027-12-03"
    )
    assert data["probability_within_budget"] == forecast.cost("operations").probability_within(
        2_600_000
    )
    assert data["cheapest_budget"] == forecast.cheapest_budget("operations", "2027-12-03", 80)
    frontier = forecast.jcl_frontier("operations", 80)
    assert data["frontier"] == [{"date": str(p.date), "budget": p.budget} for p in frontier]
    code, stdout, err = main("jcl", MODEL, *args, "-n", N, "--seed", 7, "--out", out, "-q")
    assert code == 0, err
    assert f"cheapest budget for 80% by 2027-12-03: {amount(data['cheapest_budget'])} EUR" in stdout
    rows = list(csv.DictReader(io.StringIO((out / "jcl.csv").read_text())))
    assert [r["date"] for r in rows] == [str(p.date) for p in frontier]
    assert (out / "charts" / "jcl-operations.png").read_bytes()[:4] == b"\x89PNG"


NO_BUDGET = """\
[project]
name = "No budget"
start = 2027-01-04

[[task]]
id = "a"
estimate = { pert = [2, 3, 6] }
cost = { rate = 100 }

[[milestone]]
id = "done"
after = ["a"]
target = 2027-01-08
"""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((CHECKOUT, "-m", "beta"), "has no costs"),
        ((MODEL, "-m", "operatoins"), 'no milestone "operatoins"; did you mean "operations"?'),
        ((MODEL,), "give --date, or a --milestone with a target (site-ready"),
        (("NO_BUDGET", "-m", "done"), "give --budget: the model has no budget"),
        ((MODEL, "-m", "operations", "--date", "2027-13-01"), "expected a date YYYY-MM-DD"),
        ((MODEL, "-m", "operations", "--date", "soon"), "expected a date YYYY-MM-DD"),
        ((MODEL, "-m", "operations", "--budget", "nan"), "must be a positive amount"),
        ((MODEL, "-m", "operations", "--budget", "-5"), "must be a positive amount"),
        ((MODEL, "-m", "operations", "--budget", "lots"), "expected an amount"),
        ((MODEL, "-m", "operations", "--confidence", "0"), "a percentage in (0, 100]"),
        ((MODEL, "-m", "operations", "--confidence", "101"), "a percentage in (0, 100]"),
    ],
)
def test_jcl_bad_arguments_exit_2_with_one_message(args, message, tmp_path):
    no_budget = tmp_path / "no-budget.toml"
    no_budget.write_text(NO_BUDGET)
    args = [no_budget if a == "NO_BUDGET" else a for a in args]
    code, out, err = main("jcl", *args, "-n", 200, "--seed", 1)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert out == ""


def test_jcl_confidence_100_and_a_budget_with_the_model_default_date(forecast):
    code, out, err = main("jcl", MODEL, "-m", "first-contact", "-c", "100", "-n", N, "--seed", 7)
    assert code == 0, err
    assert out.splitlines()[1].split()[-1] == pct(forecast.jcl("first-contact"))
    assert "100% frontier" in out


def test_jcl_is_listed_in_the_help():
    code, out, _ = main("--help")
    assert code == 0 and "jcl" in out
    code, out, _ = main("jcl", "--help")
    assert code == 0 and "--budget" in out and "--confidence" in out
