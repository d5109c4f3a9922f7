"""Risk charts: the bars and lines drawn are the risk drivers' days and the pre/post CDFs."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import riskcast as rc
from riskcast import plotting
from riskcast.drivers import compare_mitigation, risk_drivers

ROOT = Path(__file__).parent.parent
N = 2000


@pytest.fixture(scope="module")
def project():
    return rc.load(ROOT / "models" / "checkout-risks.toml")


@pytest.fixture(scope="module")
def drivers(project):
    return risk_drivers(project, "beta", percentile=80, iterations=N, seed=7)


@pytest.fixture(scope="module")
def comparison(project):
    return compare_mitigation(project, iterations=N, seed=7)


def num(d) -> float:
    return float(mdates.date2num(np.datetime64(d, "D")))


def xnum(line) -> np.ndarray:
    return np.asarray(line.convert_xunits(line.get_xdata()), float)


def bars(ax):
    """The risk bars, top of the chart first."""
    found = [p for p in ax.patches if p.get_gid() in ("threat", "opportunity")]
    return sorted(found, key=lambda p: -p.get_y())


def test_risk_tornado_bars_are_the_drivers_days(drivers):
    ax = plotting.risk_tornado(drivers)
    drawn = bars(ax)
    expected = sorted(drivers.drivers, key=lambda d: -d.days["beta"])
    assert [b.get_label() for b in drawn] == [d.id for d in expected]
    assert [b.get_width() for b in drawn] == pytest.approx([d.days["beta"] for d in expected])
    assert all(b.get_x() == 0 for b in drawn)
    widths = [b.get_width() for b in drawn]
    assert widths == sorted(widths, reverse=True)  # largest at the top
    ticks = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in ticks] == [
        f"{d.title} ({100 * d.occurred:.0f}%)" for d in expected
    ]
    assert "P80" in ax.get_xlabel() and "Public beta" in ax.get_title()


def test_risk_tornado_colours_opportunities_apart(drivers):
    ax = plotting.risk_tornado(drivers)
    drawn = bars(ax)
    opportunities = [b for b in drawn if b.get_gid() == "opportunity"]
    threats = [b for b in drawn if b.get_gid() == "threat"]
    assert [b.get_label() for b in opportunities] == ["design-system"]
    assert all(b.get_width() < 0 for b in opportunities)
    assert all(b.get_width() >= 0 for b in threats)
    colour = to_rgba(plotting.COLOURS["opportunity"])
    assert all(b.get_facecolor() == pytest.approx(colour) for b in opportunities)
    assert all(b.get_facecolor() != pytest.approx(colour) for b in threats)


def test_risk_tornado_top_and_another_milestone(drivers):
    ax = Figure().add_subplot()
    assert plotting.risk_tornado(drivers, "ga", top=3, ax=ax) is ax
    drawn = bars(ax)
    days = {d.id: d.days["ga"] for d in drivers.drivers}
    biggest = sorted(days, key=lambda k: -abs(days[k]))[:3]
    assert sorted(b.get_label() for b in drawn) == sorted(biggest)
    assert [b.get_width() for b in drawn] == pytest.approx(
        sorted((days[k] for k in biggest), reverse=True)
    )
    assert "General availability" in ax.get_title()


def test_mitigation_scurves_draw_the_pre_and_post_cdfs(comparison):
    ax = plotting.mitigation_scurves(comparison, "beta")
    lines = {line.get_gid(): line for line in ax.lines}
    for when, forecast in (("pre", comparison.pre), ("post", comparison.post)):
        m = forecast.milestone("beta")
        dates, prob = m.cdf_dates()
        np.testing.assert_array_equal(lines[when].get_ydata(), prob)
        np.testing.assert_array_equal(xnum(lines[when]), mdates.date2num(dates))
        assert lines[when].get_drawstyle() == "steps-post"
        marker = lines[f"p80-{when}"]
        assert xnum(marker)[0] == num(m.percentile(80)) and marker.get_ydata()[0] == 0.8
        assert m.percentile(80).isoformat() in lines[when].get_label()
    assert xnum(lines["target"])[0] == num(comparison.pre.milestone("beta").target)
    row = comparison.rows[0]
    odds = f"{100 * row.pre_probability:.0f}% → {100 * row.post_probability:.0f}%"
    assert odds in ax.get_title()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("before mitigation") and legend[1].startswith("after mitigation")
    lo, hi = ax.get_xlim()
    assert lo < num(row.post[50]) and hi > num(row.pre[95])
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_mitigation_scurves_of_the_project_finish_have_no_target(comparison, tmp_path):
    ax = plotting.mitigation_scurves(comparison, None)
    assert "target" not in {line.get_gid() for line in ax.lines}
    assert "→" not in ax.get_title()
    png = plotting.save(ax, tmp_path / "finish.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_risk_tornado_saves(drivers, tmp_path):
    png = plotting.save(plotting.risk_tornado(drivers), tmp_path / "t.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
