"""Cost charts: the data behind each line, band and text equals the forecast's cost numbers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import numpy as np
import pytest

import riskcast as rc
from riskcast import cost_plots, plotting

ROOT = Path(__file__).parent.parent
MODEL = ROOT / "models" / "satellite-ground-station.toml"
HALF_DAY = 0.5  # the date line and the frontier's steps sit half a day after the date they name


@pytest.fixture(scope="module")
def forecast():
    return rc.simulate(rc.load(MODEL), iterations=2000, seed=7)


def num(d) -> float:
    return float(mdates.date2num(np.datetime64(d, "D")))


def by_gid(artists, gid):
    found = [a for a in artists if a.get_gid() == gid]
    assert found, f"no artist with gid {gid!r}"
    return found


def xnum(line) -> np.ndarray:
    return np.asarray(line.convert_xunits(line.get_xdata()), float)


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_cost_scurve_draws_the_cdf_percentiles_base_and_budget(forecast):
    ax = cost_plots.cost_scurve(forecast, "operations")
    cost = forecast.cost("operations")
    (cdf,) = by_gid(ax.lines, "cdf")
    x, share = cost.cdf()
    np.testing.assert_array_equal(cdf.get_xdata(), x)
    np.testing.assert_array_equal(cdf.get_ydata(), share)
    for q in (50, 80, 95):
        (marker,) = by_gid(ax.lines, f"p{q}")
        assert marker.get_xdata()[0] == cost.percentile(q)
        assert marker.get_ydata()[0] == q / 100
    assert by_gid(ax.lines, "base")[0].get_xdata()[0] == cost.base
    assert by_gid(ax.lines, "budget")[0].get_xdata()[0] == cost.budget == 2_550_000
    (text,) = by_gid(ax.texts, "budget-probability")
    assert text.get_text().startswith(f"{100 * cost.probability_within():.0f}% chance")
    assert "2,550,000 EUR" in " ".join(legend_texts(ax))
    assert ax.get_xlabel().endswith("(EUR)")
    lo, hi = ax.get_xlim()
    assert lo < cost.base and cost.budget < hi


def test_a_budget_far_from_the_costs_stays_off_the_axis(forecast):
    ax = cost_plots.cost_scurve(forecast, "site-ready")
    cost = forecast.cost("site-ready")
    assert ax.get_xlim()[1] < cost.budget  # the curve is not squashed into a sliver
    assert "budget 2,550,000 EUR (right of the chart)" in legend_texts(ax)
    scatter = cost_plots.jcl_scatter(forecast, "site-ready")
    assert scatter.get_ylim()[1] < cost.budget
    assert "budget 2,550,000 EUR (above the chart)" in legend_texts(scatter)


def test_a_date_far_from_the_runs_stays_off_the_axis(forecast):
    ax = cost_plots.jcl_scatter(forecast, "operations", date="2031-01-01")
    assert ax.get_xlim()[1] < num("2031-01-01")
    assert "date 2031-01-01 (right of the chart)" in legend_texts(ax)
    jcl = forecast.jcl("operations", "2031-01-01")
    assert by_gid(ax.texts, "jcl")[0].get_text().startswith(f"JCL {100 * jcl:.0f}%")


def test_jcl_scatter_shades_the_quadrant_and_prints_the_api_jcl(forecast):
    ax = cost_plots.jcl_scatter(forecast, "operations")
    m, cost = forecast.milestone("operations"), forecast.cost("operations")
    (quadrant,) = by_gid(ax.collections, "quadrant")
    corner = quadrant.get_paths()[0].vertices
    assert corner[:, 0].max() == pytest.approx(num(m.target) + HALF_DAY)
    assert corner[:, 1].max() == pytest.approx(cost.budget)
    (text,) = by_gid(ax.texts, "jcl")
    jcl = forecast.jcl("operations")
    assert text.get_text() == f"JCL {100 * jcl:.0f}% (on time and within budget)"
    (marginals,) = by_gid(ax.texts, "marginals")
    assert f"on time {100 * m.target_probability:.0f}%" in marginals.get_text()
    assert f"within budget {100 * cost.probability_within():.0f}%" in marginals.get_text()
    assert xnum(by_gid(ax.lines, "date")[0])[0] == pytest.approx(num(m.target) + HALF_DAY)
    assert by_gid(ax.lines, "budget")[0].get_ydata()[0] == cost.budget


def test_jcl_scatter_draws_a_sample_of_the_runs_split_by_the_quadrant(forecast):
    ax = cost_plots.jcl_scatter(forecast, "operations", points=500)
    m, cost = forecast.milestone("operations"), forecast.cost("operations")
    inside = by_gid(ax.collections, "runs-inside")[0].get_offsets()
    outside = by_gid(ax.collections, "runs-outside")[0].get_offsets()
    assert len(inside) + len(outside) == 500  # every 4th of 2,000 runs
    drawn = np.concatenate([inside, outside])
    np.testing.assert_array_equal(np.sort(drawn[:, 1]), np.sort(cost.samples[::4]))
    assert (inside[:, 0] <= num(m.target)).all() and (inside[:, 1] <= cost.budget).all()
    late_or_over = (outside[:, 0] > num(m.target)) | (outside[:, 1] > cost.budget)
    assert late_or_over.all()
    again = cost_plots.jcl_scatter(forecast, "operations", points=500)
    np.testing.assert_array_equal(by_gid(again.collections, "runs-inside")[0].get_offsets(), inside)


def test_jcl_frontier_is_a_staircase_through_the_api_frontier(forecast):
    ax = cost_plots.jcl_scatter(forecast, "operations", level=60)
    frontier = forecast.jcl_frontier("operations", 60)
    assert frontier
    (line,) = by_gid(ax.lines, "frontier")
    xs, ys = xnum(line), np.asarray(line.get_ydata(), float)
    # from the top of the axes down to the first point, then one step per point
    assert ys[0] == pytest.approx(ax.get_ylim()[1])
    for k, point in enumerate(frontier):
        assert xs[1 + 2 * k] == pytest.approx(num(point.date) + HALF_DAY)
        assert ys[1 + 2 * k] == ys[2 + 2 * k] == point.budget
    assert xs[-1] == pytest.approx(ax.get_xlim()[1])
    assert "60% joint confidence frontier" in legend_texts(ax)


def test_jcl_scatter_at_a_given_date_and_budget_marks_the_cheapest_budget(forecast):
    date, budget = "2027-12-03", 2_600_000
    ax = cost_plots.jcl_scatter(forecast, "operations", date=date, budget=budget, level=70)
    (text,) = by_gid(ax.texts, "jcl")
    assert text.get_text().startswith(f"JCL {100 * forecast.jcl('operations', date, budget):.0f}%")
    (cheapest,) = by_gid(ax.lines, "cheapest")
    assert cheapest.get_ydata()[0] == forecast.cheapest_budget("operations", date, 70)


def test_jcl_scatter_of_a_target_without_date_has_no_quadrant(forecast):
    ax = cost_plots.jcl_scatter(forecast)  # the project finish: no target date
    assert not [c for c in ax.collections if c.get_gid() == "quadrant"]
    assert not [t for t in ax.texts if t.get_gid() == "jcl"]
    assert by_gid(ax.lines, "frontier")
    assert not [c for c in ax.collections if c.get_gid() == "runs-inside" and len(c.get_offsets())]


def test_cash_flow_fan_draws_the_bands_the_median_and_the_budget(forecast):
    ax = cost_plots.cash_flow_fan(forecast)
    flow = forecast.cash_flow()
    (band,) = by_gid(ax.collections, "band")
    spans = band.get_paths()[0].vertices[:, 1]
    assert spans.min() == pytest.approx(flow.bands[10.0].min())
    assert spans.max() == pytest.approx(flow.bands[90.0].max())
    (p50,) = by_gid(ax.lines, "p50")
    np.testing.assert_array_equal(p50.get_ydata(), flow.bands[50.0])
    # each step's spend at the end of its working day: the start of the next calendar day
    ends = flow.dates + (flow.days > 0) * np.timedelta64(1, "D")
    np.testing.assert_allclose(xnum(p50), mdates.date2num(ends))
    assert by_gid(ax.lines, "budget")[0].get_ydata()[0] == 2_550_000
    assert ax.get_ylim()[1] > 2_550_000
    labels = " ".join(legend_texts(ax))
    assert f"P50 ({flow.bands[50.0][-1]:,.0f} at the end)" in labels


def test_charts_save_as_png(forecast, tmp_path):
    for name, ax in (
        ("scurve", cost_plots.cost_scurve(forecast, "first-contact")),
        ("jcl", cost_plots.jcl_scatter(forecast, "first-contact")),
        ("cash", cost_plots.cash_flow_fan(forecast)),
    ):
        path = plotting.save(ax, tmp_path / f"{name}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_plan_without_costs_is_refused(checkout_model):
    plain = rc.simulate(checkout_model, iterations=500, seed=1)
    for draw in (cost_plots.cost_scurve, cost_plots.jcl_scatter, cost_plots.cash_flow_fan):
        with pytest.raises(rc.ArgumentError, match="no costs"):
            draw(plain)


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        ([2_400_000, 2_450_000, 2_500_000], ["2.40M", "2.45M", "2.50M"]),
        ([0, 500_000, 1_000_000], ["0", "0.5M", "1.0M"]),
        ([550_000, 600_000, 650_000], ["550k", "600k", "650k"]),
        ([0, 2_500, 5_000], ["0", "2,500", "5,000"]),
    ],
)
def test_money_ticks(values, labels):
    assert cost_plots.money_ticks(values) == labels


def test_money_notes():
    assert cost_plots.money(2_550_000, "EUR") == "2,550,000 EUR"
    assert cost_plots.money(1234.6) == "1,235"
    assert [cost_plots.money_short(v) for v in (650_076, 2_517_027, 9_500)] == [
        "650k",
        "2.52M",
        "9,500",
    ]
