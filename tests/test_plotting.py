"""Charts: the data behind each line, marker and bar equals the forecast's numbers."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import numpy as np
import pytest

import riskcast as rc
from riskcast import plotting

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def forecast():
    return rc.simulate(rc.load(ROOT / "models" / "checkout-redesign.toml"), iterations=2000, seed=7)


def num(d) -> float:
    return float(mdates.date2num(np.datetime64(d, "D")))


def by_gid(artists, gid):
    found = [a for a in artists if a.get_gid() == gid]
    assert found, f"no artist with gid {gid!r}"
    return found


def xnum(line) -> np.ndarray:
    return np.asarray(line.convert_xunits(line.get_xdata()), float)


def test_scurve_draws_the_cdf_percentiles_plan_and_target(forecast):
    ax = plotting.scurve(forecast, "beta", confidence=80)
    m = forecast.milestone("beta")
    dates, prob = m.cdf_dates()
    (cdf,) = by_gid(ax.lines, "cdf")
    np.testing.assert_array_equal(cdf.get_ydata(), prob)
    np.testing.assert_array_equal(xnum(cdf), mdates.date2num(dates))
    assert cdf.get_drawstyle() == "steps-post"
    for q in (50, 80, 95):
        (marker,) = by_gid(ax.lines, f"p{q}")
        assert xnum(marker)[0] == num(m.percentile(q))
        assert marker.get_ydata()[0] == q / 100
    assert by_gid(ax.lines, "p80")[0].get_markersize() > by_gid(ax.lines, "p50")[0].get_markersize()
    (plan,) = by_gid(ax.lines, "plan")
    assert xnum(plan)[0] == num(m.cpm_date)
    (target,) = by_gid(ax.lines, "target")
    assert xnum(target)[0] == num(m.target)
    (text,) = by_gid(ax.texts, "target-probability")
    assert text.get_text().startswith(f"{100 * m.target_probability:.0f}%")


def test_scurve_of_the_project_finish_has_no_target(forecast):
    ax = plotting.scurve(forecast)
    assert not [a for a in ax.lines if a.get_gid() == "target"]
    assert not [t for t in ax.texts if t.get_gid() == "target-probability"]


def test_histogram_shares_per_day(forecast):
    ax = plotting.histogram(forecast, "ga")
    m = forecast.milestone("ga")
    (stairs,) = by_gid(ax.patches, "histogram")
    values, edges = stairs.get_data().values, stairs.get_data().edges
    assert values.sum() == pytest.approx(1.0)
    days, counts = np.unique(m.calendar.finish_dates(m.start, m.samples), return_counts=True)
    centres = (edges[:-1] + edges[1:]) / 2
    np.testing.assert_allclose(centres[values > 0], mdates.date2num(days))
    np.testing.assert_allclose(values[values > 0], counts / len(m.samples))
    assert xnum(by_gid(ax.lines, "plan")[0])[0] == num(m.cpm_date)


def test_roadmap_bars_span_p10_to_p90(forecast):
    ax = plotting.roadmap(forecast)
    for m in forecast.milestones:
        (bar,) = by_gid(ax.patches, f"range-{m.id}")
        assert bar.get_x() == pytest.approx(num(m.percentile(10)))
        assert bar.get_x() + bar.get_width() == pytest.approx(num(m.percentile(90)))
        (dot,) = by_gid(ax.lines, f"p50-{m.id}")
        assert dot.get_xdata()[0] == num(m.percentile(50))
        assert dot.get_ydata()[0] == pytest.approx(bar.get_y() + bar.get_height() / 2)
        (target,) = by_gid(ax.lines, f"target-{m.id}")
        assert target.get_xdata()[0] == num(m.target)
        (plan,) = by_gid(ax.lines, f"plan-{m.id}")
        assert plan.get_xdata()[0] == num(m.cpm_date)
    # coloured by the probability of the target: a likelier target is greener
    bars = {m.id: by_gid(ax.patches, f"range-{m.id}")[0] for m in forecast.milestones}
    odds = {m.id: m.target_probability for m in forecast.milestones}
    low, high = min(odds, key=odds.get), max(odds, key=odds.get)
    green = lambda patch: patch.get_facecolor()[1] - patch.get_facecolor()[0]  # noqa: E731
    assert green(bars[high]) > green(bars[low])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [m.name for m in forecast.milestones][::-1]


def test_tornado_bars_are_sensitivity_and_criticality(forecast):
    ax = plotting.tornado(forecast, "beta", top=5)
    sens, crit = forecast.sensitivity("beta"), forecast.criticality("beta")
    names = dict(zip(forecast.task_names, forecast.task_ids, strict=True))
    labels = [names[t.get_text()] for t in ax.get_yticklabels()]
    s_bars = by_gid(ax.patches, "sensitivity")
    c_bars = by_gid(ax.patches, "criticality")
    assert len(s_bars) == len(c_bars) == len(labels) == 5
    ordered = labels  # tick labels and bars both in drawing order: largest first, on top
    assert [b.get_width() for b in s_bars] == pytest.approx([sens[k] for k in ordered])
    assert [b.get_width() for b in c_bars] == pytest.approx([crit[k] for k in ordered])
    widths = [abs(sens[k]) for k in ordered]
    assert widths == sorted(widths, reverse=True)
    assert widths[0] == max(abs(v) for v in sens.values())


def test_gantt_plan_bars_and_finish_bands(forecast):
    ax = plotting.gantt(forecast)
    rows = forecast.task_table()
    plan = by_gid(ax.patches, "plan")
    band = by_gid(ax.patches, "finish-band")
    assert len(plan) == len(band) == len(rows)
    day = 1.0
    for r, p, b in zip(rows, plan, band, strict=True):
        assert p.get_x() == pytest.approx(num(r["plan_start"]))
        assert p.get_x() + p.get_width() == pytest.approx(num(r["plan_finish"]) + day)
        assert b.get_x() == pytest.approx(num(r["p10_finish"]) + day)
        width = num(r["p90_finish"]) - num(r["p10_finish"])
        assert b.get_width() == pytest.approx(max(width, 0.25))
    (p50,) = by_gid(ax.lines, "p50")
    np.testing.assert_allclose(p50.get_xdata(), [num(r["p50_finish"]) + day for r in rows])
    assert [t.get_text() for t in ax.get_yticklabels()] == [r["name"] for r in rows]


def test_gantt_subset_and_given_axes(forecast):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plotting.gantt(forecast, ["api", "qa"], ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Payments API", "QA and bug fixing"]


def test_save_writes_png_and_reproducible_svg(forecast, tmp_path):
    png = plotting.save(plotting.roadmap(forecast), tmp_path / "r.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    a = plotting.save(plotting.scurve(forecast, "beta"), tmp_path / "a.svg").read_text()
    b = plotting.save(plotting.scurve(forecast, "beta"), tmp_path / "b.svg").read_text()
    assert a.startswith("<?xml") and a == b


def test_dates_are_on_the_axes(forecast):
    ax = plotting.scurve(forecast, "beta")
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    lo, hi = ax.get_xlim()
    m = forecast.milestone("beta")
    assert lo < num(m.percentile(1)) and hi > num(m.percentile(99))
    assert mdates.num2date(lo).date() > dt.date(2027, 1, 1)


def test_import_riskcast_does_not_import_matplotlib():
    code = "import sys, riskcast; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False"


def rendered(ax):
    """Draw ``ax``'s figure with Agg; return the renderer (for the artists' extents)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(ax.figure)
    canvas.draw()
    return canvas.get_renderer()


class KnownCorrelations:
    """A forecast stand-in with chosen correlations: what tornado() reads of a forecast."""

    def __init__(self, forecast, sens, crit, kept):
        self._m = forecast.project_finish
        self.task_ids = list(sens)
        self.task_names = [f"Task {t}" for t in sens]
        self._sens, self._crit = sens, crit
        self.kept_iterations = kept

    def milestone(self, mid=None):
        return self._m

    def sensitivity(self, mid=None):
        return dict(self._sens)

    def criticality(self, mid=None):
        return dict(self._crit)


def test_significance_threshold_is_the_two_sided_95_percent_one():
    from scipy import stats

    for k in (50, 400, 2000, 20_000):
        t = stats.t.ppf(0.975, k - 2)
        expected = t / np.sqrt(k - 2 + t * t)
        assert plotting.significance_threshold(k) == pytest.approx(expected)
        assert plotting.significance_threshold(k) == pytest.approx(1.96 / np.sqrt(k - 1), rel=0.02)
        # at that |rho| the t test's p-value is 5 %
        r = plotting.significance_threshold(k)
        p = 2 * stats.t.sf(r * np.sqrt((k - 2) / (1 - r * r)), k - 2)
        assert p == pytest.approx(0.05)
    assert plotting.significance_threshold(3) == 1.0


def test_tornado_draws_only_significant_correlations(forecast):
    # 400 runs: significant above |rho| = 0.098
    sens = {"a": 0.5, "b": -0.2, "c": 0.12, "d": 0.09, "e": 0.0, "f": -0.05, "g": float("nan")}
    crit = {"a": 0.9, "b": 0.0, "c": 0.0, "d": 0.8, "e": 0.0, "f": 0.0, "g": 0.0}
    ax = plotting.tornado(KnownCorrelations(forecast, sens, crit, 400))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Task a", "Task b", "Task c"]
    assert [b.get_width() for b in by_gid(ax.patches, "sensitivity")] == [0.5, -0.2, 0.12]
    assert [b.get_width() for b in by_gid(ax.patches, "criticality")] == [0.9, 0.0, 0.0]
    (note,) = by_gid(ax.texts, "significance-note")
    assert note.get_text().startswith("4 tasks not significantly different from 0 at 400 runs")
    assert "0.098" in note.get_text() and "not shown" in note.get_text()
    # top cuts significant ones: the note says so
    ax = plotting.tornado(KnownCorrelations(forecast, sens, crit, 400), top=2)
    assert len(by_gid(ax.patches, "sensitivity")) == 2
    assert (
        "the 2 largest of 3 significant shown"
        in by_gid(ax.texts, "significance-note")[0].get_text()
    )


def test_tornado_without_significant_drivers_says_so(forecast):
    sens = {"a": 0.03, "b": -0.02, "c": 0.0}
    crit = {"a": 1.0, "b": 0.5, "c": 0.0}
    ax = plotting.tornado(KnownCorrelations(forecast, sens, crit, 2000))
    assert not [p for p in ax.patches if p.get_gid() in ("sensitivity", "criticality")]
    (text,) = by_gid(ax.texts, "no-drivers")
    assert "significantly" in text.get_text() and "2,000 runs" in text.get_text()
    assert ax.get_legend() is None


def test_tornado_of_a_real_forecast_hides_only_insignificant_tasks(forecast):
    ax = plotting.tornado(forecast, "beta")
    sens = forecast.sensitivity("beta")
    r = plotting.significance_threshold(forecast.kept_iterations)
    names = dict(zip(forecast.task_names, forecast.task_ids, strict=True))
    shown = {names[t.get_text()] for t in ax.get_yticklabels()}
    assert shown == {k for k, v in sens.items() if abs(v) > r}
    hidden = len(sens) - len(shown)
    (note,) = by_gid(ax.texts, "significance-note")
    assert note.get_text().startswith(f"{hidden} tasks not significantly different from 0")


@pytest.mark.parametrize("milestone", ["beta", "ga", None])
def test_tornado_legend_and_note_cover_no_bar(forecast, milestone):
    ax = plotting.tornado(forecast, milestone)
    renderer = rendered(ax)
    bars = [p.get_window_extent(renderer) for p in ax.patches if p.get_gid()]
    assert bars
    legend = ax.get_legend().get_window_extent(renderer)
    note = by_gid(ax.texts, "significance-note")[0].get_window_extent(renderer)
    for box in (legend, note):
        assert not any(box.overlaps(bar) for bar in bars)
        assert not box.overlaps(ax.get_window_extent(renderer))  # outside the axes
    fig = ax.figure.bbox
    assert fig.x0 <= note.x0 and note.x1 <= fig.x1 and fig.y0 <= note.y0  # on the figure


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@pytest.fixture(scope="module")
def large():
    project = rc.load(ROOT / "models" / "platform-release.toml")
    return rc.simulate(project, iterations=400, seed=7)


@pytest.mark.parametrize("plan", ["forecast", "large"])
def test_roadmap_names_months_and_keeps_bars_inside(plan, request):
    fc = request.getfixturevalue(plan)
    ax = plotting.roadmap(fc)
    renderer = rendered(ax)
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 3
    assert all(any(m in t for m in MONTHS) for t in ticks)
    assert any(t.endswith(" 2027") and t[:3] in MONTHS for t in ticks)  # e.g. "Mar 2027"
    lo, hi = ax.get_xlim()
    frame = ax.get_window_extent(renderer)
    for m in fc.milestones:
        (bar,) = by_gid(ax.patches, f"range-{m.id}")
        assert lo < bar.get_x() and bar.get_x() + bar.get_width() < hi
        box = bar.get_window_extent(renderer)
        assert frame.x0 < box.x0 and box.x1 < frame.x1
    for text in ax.texts:  # the odds at the bars' right ends
        box = text.get_window_extent(renderer)
        assert frame.x0 < box.x0 and box.x1 < frame.x1


def test_gantt_names_its_milestone_lines(forecast):
    ax = plotting.gantt(forecast)
    assert "of" not in ax.get_title().split("\n")[-1].split()  # all tasks: no truncation note
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("milestone plan date" in t for t in legend)
    names = " / ".join(t.get_text() for t in by_gid(ax.texts, "milestone-name"))
    for m in forecast.milestones:
        assert m.name in names
        (line,) = by_gid(ax.lines, f"milestone-{m.id}")
        assert xnum(line)[0] == num(m.cpm_date)


def test_truncated_gantt_says_so(large):
    from riskcast.cli.run import GANTT_ROWS, _gantt_tasks

    tasks = _gantt_tasks(large)
    ax = plotting.gantt(large, tasks)
    n = len(large.task_ids)
    assert len(tasks) == GANTT_ROWS < n
    assert ax.get_title().endswith(f"\n{GANTT_ROWS} most critical of {n} tasks")
    crit = large.criticality()
    least = sorted(large.task_ids, key=lambda t: crit[t])[:3]
    ax = plotting.gantt(large, least)
    assert ax.get_title().endswith(f"\n3 of {n} tasks")
