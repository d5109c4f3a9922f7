"""``forecast.json`` without every run (``to_dict(samples=False)``, ``run --no-samples``): each
target's finishes as a day-aligned histogram, costs as per-target summaries. Read back, every date
and probability is the same, a percentile in working days is within one bin, the cost summary and
cash flow are those of the full forecast, and the file is a small fraction of the size."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc
from riskcast import cli
from riskcast.compact import COMPACT_BINS, COST_PERCENTILES, compact_histogram
from riskcast.engine import binning
from riskcast.forecast import Forecast
from riskcast.statistics import Finishes
from riskcast.units import TIME_TOLERANCE

ROOT = Path(__file__).parent.parent
MODELS = ROOT / "models"
QS = (0.1, 1, 5, 10, 25, 50, 62.5, 80, 90, 95, 99, 100)


@pytest.fixture(scope="module")
def costed() -> Forecast:
    return rc.simulate(rc.load(MODELS / "satellite-ground-station.toml"), iterations=10_000, seed=7)


@pytest.fixture(scope="module")
def plain() -> Forecast:
    return rc.simulate(rc.load(MODELS / "checkout-risks.toml"), iterations=10_000, seed=7)


def same_dates_and_probabilities(full: Forecast, compact: Forecast) -> None:
    """Every date and probability of ``compact`` is ``full``'s; percentiles within one bin."""
    for a, b in zip(full.targets, compact.targets, strict=True):
        assert b.samples is None and b.iterations == a.iterations
        assert 0 < b.resolution <= 2.0**-5  # under 15 minutes of an 8-hour day here
        for q in QS:
            assert b.percentile(q) == a.percentile(q)
            assert 0 <= b.percentile_days(q) - a.percentile_days(q) <= b.resolution
            assert b.percentile_interval(q) == a.percentile_interval(q)
        dates, shares = a.date_shares()
        other_dates, other_shares = b.date_shares()
        np.testing.assert_array_equal(other_dates, dates)
        np.testing.assert_allclose(other_shares, shares, rtol=0, atol=1e-12)
        for day in np.arange(dates[0] - 2, dates[-1] + 3):
            assert b.probability_by(day.astype(object)) == a.probability_by(day.astype(object))
        assert b.target_probability == a.target_probability
        assert b.cpm_date == a.cpm_date and b.target == a.target
        assert b.mean_days == pytest.approx(a.mean_days, abs=1e-9)
        assert b.sd_days == pytest.approx(a.sd_days, rel=1e-9)


@pytest.mark.parametrize("which", ["costed", "plain"])
def test_compact_round_trip_keeps_dates_and_probabilities(request, which):
    full = request.getfixturevalue(which)
    text = full.to_json(samples=False)
    compact = Forecast.from_json(text)
    same_dates_and_probabilities(full, compact)
    exact = ("mean_days", "sd_days")  # from the streamed sums: equal to rounding (checked above)
    assert [{k: v for k, v in row.items() if k not in exact} for row in compact.summary()] == [
        {k: v for k, v in row.items() if k not in exact} for row in full.summary()
    ]
    assert compact.task_table() == full.task_table()
    assert compact.criticality() == full.criticality()
    assert compact.risk_occurrence() == full.risk_occurrence()
    assert len(text) * 10 < len(full.to_json())  # 10,000 runs: a tenth of the size at most
    # written again, compact or not, it is the same file: nothing more is lost
    assert compact.to_json(samples=False) == text and compact.to_json() == text


def test_the_compact_cost_summary_is_the_full_forecasts(costed):
    compact = Forecast.from_json(costed.to_json(samples=False))
    assert not compact.has_costs and costed.has_costs
    assert compact.cost_summary == costed.cost_summary
    summary = costed.cost_summary
    assert (summary["budget"], summary["currency"]) == (2_550_000, "EUR")
    assert list(summary["targets"]) == [m.id for m in costed.targets]
    for mid, row in summary["targets"].items():
        cost = costed.cost(mid)
        assert list(row["percentiles"]) == [float(q) for q in COST_PERCENTILES]
        assert row["percentiles"][80.0] == cost.percentile(80)
        assert (row["base"], row["mean"], row["sd"]) == (cost.base, cost.mean, cost.sd)
        assert row["probability_within_budget"] == cost.probability_within()
    flow, kept = compact.cash_flow(), costed.cash_flow()
    np.testing.assert_array_equal(flow.days, kept.days)
    np.testing.assert_array_equal(flow.dates, kept.dates)
    assert flow.bands.keys() == kept.bands.keys() and flow.runs == kept.runs
    for q in kept.bands:
        np.testing.assert_array_equal(flow.bands[q], kept.bands[q])
    # what needs every run's cost says what is left instead of "the plan has no costs"
    for ask in (compact.cost, compact.cost_samples, compact.jcl):
        with pytest.raises(rc.ArgumentError, match=r"saved without its runs.*cost_summary"):
            ask("operations")


def test_a_plan_without_costs_has_no_cost_summary(plain):
    assert plain.cost_summary is None
    compact = Forecast.from_json(plain.to_json(samples=False))
    assert compact.cost_summary is None and json.loads(plain.to_json(False))["costs"] is None
    with pytest.raises(rc.ArgumentError, match="the plan has no costs"):
        compact.cost()


def test_a_full_file_reads_back_with_every_run(costed):
    back = Forecast.from_json(costed.to_json())
    assert back.has_costs
    for a, b in zip(costed.targets, back.targets, strict=True):
        np.testing.assert_array_equal(a.samples, b.samples)
        np.testing.assert_array_equal(costed.cost_samples(a.id), back.cost_samples(b.id))
    assert back.cost_summary == costed.cost_summary


def test_binned_runs_are_merged_into_the_compact_bins(monkeypatch, plain):
    """Past the exact-runs limit the engine's fine histogram is merged down, dates unchanged."""
    monkeypatch.setattr(binning, "EXACT_RUNS", 2048)
    model = rc.load(MODELS / "checkout-risks.toml")
    binned = rc.simulate(model, iterations=10_000, seed=7, batch=2048)
    assert binned.project_finish.binned.width == binning.WIDTH
    data = binned.to_dict(samples=False)
    for m in data["milestones"]:
        assert len(m["histogram"]["counts"]) <= COMPACT_BINS
        assert m["histogram"]["width"] > binning.WIDTH
    compact = Forecast.from_dict(data)
    same_dates_and_probabilities(plain, compact)
    assert binned.project_finish.binned.width == binning.WIDTH  # the forecast is left as it was
    full_size = len(json.dumps(binned.to_dict()))
    assert len(json.dumps(data)) < full_size


def test_a_long_span_keeps_bins_of_at_most_a_day():
    """Finishes spread over more working days than there are compact bins: the bins stop
    growing at one day, so every date stays exact."""
    rng = np.random.default_rng(3)
    samples = np.concatenate(
        [rng.uniform(10, 9000, 5000), np.arange(100, 9000, 97.0), [4000 + TIME_TOLERANCE / 2]]
    )
    binned = compact_histogram(samples)
    assert binned.width == 1 and len(binned.counts) <= binned.limit
    assert binned.limit > COMPACT_BINS
    exact, counted = Finishes(samples), Finishes(binned=binned)
    for day in range(0, 9002, 7):  # "finished by the end of day d" counts
        bound = day + TIME_TOLERANCE
        assert counted.count_at_most(bound) == exact.count_at_most(bound)
    for rank in (0, 1, 100, 2500, len(samples) - 1):
        assert 0 <= counted.value_at_rank(rank) - exact.value_at_rank(rank) <= binned.width


def test_compact_histogram_of_identical_finishes():
    binned = compact_histogram(np.full(1024, 12.0))
    finishes = Finishes(binned=binned)
    assert (finishes.value_at_rank(0), finishes.value_at_rank(1023)) == (12.0, 12.0)
    assert finishes.count_at_most(12 + TIME_TOLERANCE) == 1024 and finishes.sd == 0.0


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_run_no_samples_writes_the_compact_file(tmp_path):
    model = MODELS / "satellite-ground-station.toml"
    common = (model, "-n", "4000", "--seed", "7", "--no-charts", "--no-history", "-q")
    code, _, err = run("run", *common, "--out", tmp_path / "full")
    assert code == 0, err
    code, _, err = run("run", *common, "--out", tmp_path / "compact", "--no-samples")
    assert code == 0, err
    full_text = (tmp_path / "full" / "forecast.json").read_text(encoding="utf-8")
    compact_text = (tmp_path / "compact" / "forecast.json").read_text(encoding="utf-8")
    assert len(compact_text) * 10 < len(full_text)
    full, compact = Forecast.from_json(full_text), Forecast.from_json(compact_text)
    same_dates_and_probabilities(full, compact)
    assert compact.cost_summary == full.cost_summary
    assert compact_text == full.to_json(samples=False)
    # the other files do not depend on the option
    for name in ("milestones.csv", "tasks.csv", "cashflow.csv"):
        assert (tmp_path / "compact" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()
