"""Charts of a :class:`~riskcast.forecast.Forecast` for steering meetings (matplotlib).

Every function takes ``(forecast, ..., ax=None)`` (the risk charts take the results of
:func:`~riskcast.drivers.risk_drivers` and :func:`~riskcast.drivers.compare_mitigation`), draws
on ``ax`` (a new figure when None) and returns the Axes. matplotlib is imported inside the functions, so ``import riskcast`` stays fast.
The charts only read the forecast; they compute no statistic of their own.

Artists carry a ``gid`` naming what they show (``"cdf"``, ``"p80"``, ``"plan"``, ``"target"``,
``"range-beta"``, ...), so tests and callers can find the data behind each line, marker and bar.
Dates are drawn at the start of the day they name; on the Gantt chart a finish is drawn at the end
of its delivery day (a task finishing on Friday fills Friday).

:func:`save` writes a figure with the non-interactive Agg backend.

Names are drawn as given, except characters no font of matplotlib's ``font.family`` has (an
emoji, without an emoji font): they become U+FFFD, quietly, instead of an empty box and a
"Glyph missing from font" warning. :func:`add_fallback_fonts` adds installed symbol fonts.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ArgumentError
from .forecast import Forecast, MilestoneForecast

if TYPE_CHECKING:  # matplotlib is imported inside the functions (``import riskcast`` stays fast)
    from matplotlib.axes import Axes

    from .drivers import MitigationComparison, RiskDrivers

PERCENTILES = (50, 80, 95)
COLOURS = {
    "line": "#1f4e79",
    "plan": "#555555",
    "target": "#c0392b",
    "emphasis": "#e67e22",
    "band": "#5b9bd5",
    "bar": "#a6a6a6",
    "critical": "#c0392b",
    "opportunity": "#27ae60",
}
ONE_DAY = np.timedelta64(1, "D")


def _axes(ax: Any, size: tuple[float, float] = (8.0, 4.5)) -> Any:
    """``ax``, or a new Axes: through pyplot when the caller uses pyplot (so ``plt.show()`` works),
    otherwise on a bare Figure (no global state, no GUI backend; :func:`save` writes it)."""
    if ax is not None:
        return ax
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size)
    else:
        from matplotlib.figure import Figure

        fig = Figure(figsize=size)
    fig._riskcast_layout = True  # margins are ours to set (see _layout)
    return fig.add_subplot()


def _layout(
    ax: Any,
    labels: Sequence[str] = (),
    *,
    legend_below: bool = False,
    right_text: bool = False,
    legend_above: bool = False,
    note_lines: int = 0,
) -> None:
    """Fixed margins sized from the y tick labels, on figures this module created.

    A layout engine (constrained/tight) would draw every figure twice to measure it; with dozens
    of charts per ``riskcast run`` that doubled the rendering time, so the margins come from the
    labels' widths in the font's metrics instead (no drawing needed).
    """
    fig = ax.figure
    if not getattr(fig, "_riskcast_layout", False):
        return
    width, height = fig.get_size_inches()
    sizes = [t.get_fontsize() for t in ax.get_yticklabels()] or [10.0]
    label_in = max((_text_width(str(x), max(sizes)) for x in labels), default=0.5)
    left_in = 0.25 + label_in + (0.3 if ax.get_ylabel() else 0.0)
    bottom_in = (
        0.55
        + (0.35 if legend_below else 0.0)
        + (0.2 if ax.get_xlabel() else 0.0)
        + (0.1 + 0.16 * note_lines if note_lines else 0.0)
    )
    top_in = 0.45 + (0.3 if legend_above else 0.0) + 0.2 * ax.get_title().count("\n")
    right_in = 0.45 if right_text else 0.25
    fig.subplots_adjust(
        left=min(0.6, left_in / width),
        right=1 - right_in / width,
        bottom=min(0.55 if note_lines else 0.4, bottom_in / height),
        top=1 - top_in / height,
    )


def _text_width(text: str, size: float) -> float:
    """Width of ``text`` in inches at font ``size`` (points), from the font's metrics."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=size), False)
    return width / 72


# Outline fonts with symbols and emoji that matplotlib can draw (colour bitmap fonts it cannot).
FALLBACK_FONTS = (
    "Noto Emoji",
    "Noto Sans Symbols 2",
    "Noto Sans Symbols",
    "Symbola",
    "Segoe UI Emoji",
    "Segoe UI Symbol",
)


def add_fallback_fonts(families: Sequence[str] = FALLBACK_FONTS) -> list[str]:
    """Append those of ``families`` that are installed to matplotlib's ``font.family``, so that
    a character the main font lacks (an emoji in a task name) is drawn from one of them
    (matplotlib falls back per glyph). Changes the global rcParams: ``riskcast run`` calls it; a
    program may. Returns the families added.

    Whatever the fonts, the charts draw a character that no font of ``font.family`` has as
    U+FFFD (a replacement mark), quietly: matplotlib's "Glyph missing from font" warning never
    fires for a name.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    current = list(mpl.rcParams["font.family"])
    added = [f for f in families if f in installed and f not in current]
    if added:
        mpl.rcParams["font.family"] = current + added
    return added


LABEL_CHARS = 80  # a name on a chart is cut here (with an ellipsis): layout time grows with it


def _drawable(text: str) -> str:
    """A user's name as a chart draws it: at most :data:`LABEL_CHARS` characters, each character
    that no font of the current ``font.family`` (with its fallbacks) can draw replaced by U+FFFD
    ('?' if that is missing too), and such invisible marks (variation selectors, joiners)
    dropped: matplotlib then draws no empty box and warns of no missing glyph."""
    text = _short(text, LABEL_CHARS)
    covered = _coverage()
    if all(ord(c) in covered or ord(c) < 32 for c in text):
        return text
    mark = "\ufffd" if 0xFFFD in covered else "?"
    return "".join(
        c
        if ord(c) in covered or ord(c) < 32
        else ("" if unicodedata.category(c) in ("Mn", "Me", "Cf") else mark)
        for c in text
    )


def _coverage() -> frozenset[int]:
    """The characters the fonts of the current ``font.family`` draw."""
    from matplotlib import font_manager

    prop = font_manager.FontProperties()
    try:
        paths = font_manager.fontManager._find_fonts_by_props(prop)
    except AttributeError:  # pragma: no cover - a matplotlib without font fallback
        paths = [font_manager.findfont(prop)]
    return _charmaps(tuple(str(p) for p in paths))


@functools.lru_cache(maxsize=16)
def _charmaps(paths: tuple[str, ...]) -> frozenset[int]:
    from matplotlib import font_manager

    covered: set[int] = set()
    for path in paths:
        covered.update(font_manager.get_font(path).get_charmap())
    return frozenset(covered)


def _target_line(ax: Any, target: dt.date) -> None:
    """The vertical line of a milestone's target date (gid ``"target"``)."""
    ax.axvline(
        _d64(target),
        color=COLOURS["target"],
        linewidth=1.6,
        label=f"target {target.isoformat()}",
        gid="target",
    )


def _d64(d: dt.date | np.datetime64) -> np.datetime64:
    return np.datetime64(d, "D")


def _date_axis(ax: Any, axis: str = "x") -> None:
    import matplotlib.dates as mdates

    target = ax.xaxis if axis == "x" else ax.yaxis
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _month_axis(ax: Any) -> None:
    """Date ticks that name the month on x: the first of each month (every few months on a long
    axis) as "Mar 2027"; on an axis under about ten weeks also the 8th, 15th and 22nd as
    "15 Mar". Reads the x limits, so call it after setting them."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    lo, hi = ax.get_xlim()
    days = hi - lo
    if days < 75:
        locator: Any = mdates.DayLocator(bymonthday=(1, 8, 15, 22))
    else:
        locator = mdates.MonthLocator(interval=max(1, int(np.ceil(days / 30.44 / 9))))

    def label(x: float, _pos: Any = None) -> str:
        d = mdates.num2date(x)
        return f"{d:%b %Y}" if d.day == 1 else f"{d.day} {d:%b}"

    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(FuncFormatter(label))


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


def _milestone(forecast: Forecast, milestone: str | None) -> MilestoneForecast:
    return forecast.milestone(milestone)


def _reference_lines(ax: Any, m: MilestoneForecast) -> None:
    plan = m.cpm_date
    ax.axvline(
        _d64(plan),
        color=COLOURS["plan"],
        linestyle="--",
        linewidth=1.2,
        label=f"plan (CPM) {plan.isoformat()}",
        gid="plan",
    )
    if m.target is not None:
        _target_line(ax, m.target)


def _headline(ax: Axes, text: str, gid: str) -> None:
    """The chart's answer in bold at its top left (the chance of meeting a target, ...)."""
    ax.text(
        0.02,
        0.97,
        text,
        transform=ax.transAxes,
        va="top",
        fontsize=11,
        fontweight="bold",
        color=COLOURS["target"],
        gid=gid,
        zorder=5,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85},
    )


def scurve(
    forecast: Forecast,
    milestone: str | None = None,
    *,
    percentiles: Sequence[float] = PERCENTILES,
    confidence: float = 80,
    ax: Axes | None = None,
) -> Axes:
    """S-curve: the cumulative probability of delivering a milestone by each date.

    The step line (gid ``"cdf"``) is :meth:`MilestoneForecast.cdf_dates`; a marker per percentile
    (gid ``"p50"``, ...) sits at (P-date, q/100), the ``confidence`` one emphasised; the plan (CPM)
    and target dates are vertical lines (gid ``"plan"``, ``"target"``), and the probability of the
    target is printed (gid ``"target-probability"``).

    Parameters
    ----------
    forecast : Forecast
        The result of :func:`riskcast.simulate`.
    milestone : str, optional
        Milestone id; None (default) or ``"finish"`` for the project finish.
    percentiles : sequence of float, default (50, 80, 95)
        Percentiles to mark, each in (0, 100].
    confidence : float, default 80
        The percentile to emphasise (marked even when not in ``percentiles``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: dates on x, probability (0 to 1) on y.

    Raises
    ------
    RiskcastError
        If ``milestone`` is not in the forecast or a percentile is outside (0, 100].
    """
    ax = _axes(ax)
    m = _milestone(forecast, milestone)
    dates, prob = m.cdf_dates()
    ax.step(
        dates,
        prob,
        where="post",
        color=COLOURS["line"],
        linewidth=2,
        gid="cdf",
        label="chance of delivery by date",
    )
    for q in sorted({*percentiles, confidence}):
        d = m.percentile(q)
        strong = q == confidence
        ax.plot(
            [_d64(d)],
            [q / 100],
            marker="o",
            markersize=8 if strong else 6,
            linestyle="none",
            color=COLOURS["emphasis"] if strong else COLOURS["line"],
            gid=f"p{q:g}",
            zorder=3,
        )
        ax.annotate(
            f"P{q:g} {d:%b %d}",
            (_d64(d), q / 100),
            xytext=(-8, 6),
            textcoords="offset points",
            ha="right",
            fontsize=9,
            fontweight="bold" if strong else "normal",
        )
    _reference_lines(ax, m)
    if m.target is not None:
        _headline(
            ax,
            f"{_pct(m.target_probability or 0.0)} chance of meeting the target",
            "target-probability",
        )
    # Show the bulk of the distribution (P0.5 .. P99.5) and the reference dates, not far tails.
    shown = [_d64(m.percentile(0.5)), _d64(m.percentile(99.5)), _d64(m.cpm_date)]
    if m.target is not None:
        shown.append(_d64(m.target))
    pad = max(np.timedelta64(2, "D"), (max(shown) - min(shown)) // 12)
    ax.set_xlim(min(shown) - pad, max(shown) + pad)
    ax.set_ylim(0, 1.08)
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_ylabel("probability of delivery")
    ax.set_title(f"{_drawable(m.name)}: delivery confidence ({forecast.iterations:,} runs)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    _date_axis(ax)
    _layout(ax, ["100%"])
    return ax


def histogram(forecast: Forecast, milestone: str | None = None, *, ax: Axes | None = None) -> Axes:
    """Histogram of delivery dates: the share of runs delivering a milestone on each calendar day.

    One step artist (gid ``"histogram"``) whose values are the shares per day (they sum to 1;
    non-working days are 0) between edges one day apart, with the plan and target dates (gid
    ``"plan"``, ``"target"``). One ``stairs`` artist instead of a rectangle per day keeps
    rendering fast.

    Parameters
    ----------
    forecast : Forecast
        The result of :func:`riskcast.simulate`.
    milestone : str, optional
        Milestone id; None (default) or ``"finish"`` for the project finish.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: dates on x, share of runs on y.

    Raises
    ------
    RiskcastError
        If ``milestone`` is not in the forecast.
    """
    ax = _axes(ax)
    m = _milestone(forecast, milestone)
    days, shares = m.date_shares()
    first = days[0]
    share = np.zeros(int((days[-1] - first) / ONE_DAY) + 1)
    share[((days - first) / ONE_DAY).astype(np.int64)] = shares
    import matplotlib.dates as mdates

    edges = mdates.date2num(first) - 0.5 + np.arange(len(share) + 1)
    ax.stairs(
        share,
        edges,
        fill=True,
        color=COLOURS["band"],
        gid="histogram",
        label="share of runs delivered that day",
    )
    ax.xaxis_date()
    _reference_lines(ax, m)
    ax.set_ylim(0, share.max() * 1.15)
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_ylabel("share of runs")
    ax.set_title(f"{_drawable(m.name)}: delivery dates ({forecast.iterations:,} runs)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=9)
    _date_axis(ax)
    _layout(ax, ["10%"])
    return ax


def _probability_colour(p: float | None) -> Any:
    import matplotlib as mpl

    if p is None:
        return COLOURS["bar"]
    return mpl.colormaps["RdYlGn"](0.1 + 0.8 * p)


def roadmap(
    forecast: Forecast,
    milestones: Sequence[str] | None = None,
    *,
    low: float = 10,
    high: float = 90,
    groups: Mapping[str, Sequence[str]] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Milestone roadmap: every milestone's likely dates on one date axis.

    Per milestone (first on top): a bar from P``low`` to P``high`` (gid ``"range-ID"``), the P50
    dot (``"p50-ID"``), the plan date (``"plan-ID"``) and the target (``"target-ID"``); bars are
    coloured by the probability of meeting the target (grey without one). The x ticks name the
    month ("Mar 2027" on the first of a month; on a span under about ten weeks also "15 Mar"),
    and the limits leave room around every bar, marker and percentage.

    Parameters
    ----------
    forecast : Forecast
        The result of :func:`riskcast.simulate`.
    milestones : sequence of str, optional
        Milestone ids in the order to show; None (default) for every milestone (the project
        finish when the plan has none).
    low, high : float, default 10 and 90
        Percentiles at the ends of each bar, in (0, 100].
    groups : mapping of str to sequence of str, optional
        Headings and their milestone ids, in order (instead of ``milestones``): each group
        under a bold heading row, e.g. :func:`riskcast.roadmap.by_project` (the projects of a
        portfolio) or :func:`riskcast.roadmap.by_quarter` (the quarters of the targets).
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure sized to the number of milestones.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: dates on x, one row per milestone (and per group heading).

    Raises
    ------
    RiskcastError
        If a milestone is not in the forecast or a percentile is outside (0, 100].
    """
    if groups is not None and milestones is not None:
        raise ArgumentError("give the milestones or their groups, not both")
    if groups is not None:  # (heading, None) rows above each group's (None, id) rows
        rows = [r for g, ids in groups.items() for r in [(g, None), *((None, i) for i in ids)]]
    else:
        ids = [m.id for m in forecast.milestones] if milestones is None else list(milestones)
        rows = [(None, mid) for mid in ids or [forecast.project_finish.id]]
    ax = _axes(ax, (9.0, 1.2 + 0.6 * len(rows)))
    import matplotlib.dates as mdates

    labels = []
    xs: list[float] = []  # every date drawn, for the x limits
    for row, (heading, mid) in enumerate(rows):
        y = len(rows) - 1 - row  # first row on top
        if mid is None:
            labels.append(_drawable(heading))
            if row:
                ax.axhline(y + 0.5, color="#bbbbbb", linewidth=0.8, gid=f"group-{heading}")
            continue
        m = forecast.milestone(mid)
        left, right = _d64(m.percentile(low)), _d64(m.percentile(high))
        xs += [mdates.date2num(left), mdates.date2num(right), mdates.date2num(_d64(m.cpm_date))]
        if m.target is not None:
            xs.append(mdates.date2num(_d64(m.target)))
        p = m.target_probability
        ax.barh(
            y,
            mdates.date2num(right) - mdates.date2num(left),
            left=mdates.date2num(left),
            height=0.5,
            color=_probability_colour(p),
            edgecolor="#333333",
            linewidth=0.6,
            gid=f"range-{m.id}",
        )
        ax.plot(
            [mdates.date2num(_d64(m.percentile(50)))],
            [y],
            "o",
            color="black",
            markersize=7,
            gid=f"p50-{m.id}",
            zorder=3,
        )
        ax.plot(
            [mdates.date2num(_d64(m.cpm_date))],
            [y],
            "|",
            color=COLOURS["plan"],
            markersize=16,
            markeredgewidth=2,
            gid=f"plan-{m.id}",
            zorder=3,
        )
        if m.target is not None:
            ax.plot(
                [mdates.date2num(_d64(m.target))],
                [y],
                "D",
                color=COLOURS["target"],
                markersize=8,
                gid=f"target-{m.id}",
                zorder=4,
            )
            ax.annotate(  # right of the bar, or of the target when that is later
                _pct(p or 0.0),
                (max(mdates.date2num(right), mdates.date2num(_d64(m.target)) + 1.5), y),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
                fontweight="bold",
            )
        labels.append(_drawable(m.name))
    ax.set_yticks(range(len(rows)), labels[::-1])
    for tick, (heading, _) in zip(ax.get_yticklabels(), rows[::-1], strict=True):
        if heading is not None:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    # Explicit limits: bars are "sticky" at their left end, so margins() would not pad there.
    lo, hi = min(xs), max(xs)
    span = max(hi - lo, 7.0)
    ax.set_xlim(lo - max(0.04 * span, 2.0), hi + max(0.1 * span, 5.0))  # room for the odds
    ax.xaxis_date()
    _month_axis(ax)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.transforms import offset_copy

    ax.legend(
        handles=[
            Patch(
                facecolor=_probability_colour(0.5),
                edgecolor="#333333",
                label=f"P{low:g}-P{high:g} (colour: chance of target)",
            ),
            Line2D([], [], marker="o", color="black", linestyle="none", label="P50"),
            Line2D(
                [],
                [],
                marker="|",
                color=COLOURS["plan"],
                linestyle="none",
                markersize=12,
                markeredgewidth=2,
                label="plan (CPM)",
            ),
            Line2D([], [], marker="D", color=COLOURS["target"], linestyle="none", label="target"),
        ],
        loc="upper center",
        # a fixed distance under the date labels, however tall the chart (rows, groups)
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=offset_copy(ax.transAxes, fig=ax.figure, y=-0.38, units="inches"),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(
        f"{_drawable(forecast.project_name)}: milestone confidence ({forecast.iterations:,} runs)"
    )
    _layout(ax, labels, legend_below=True, right_text=True)
    return ax


def significance_threshold(runs: int, *, level: float = 0.95) -> float:
    """The smallest |Spearman correlation| significantly different from 0 over ``runs`` runs.

    Two-sided test of "no correlation" with the usual t approximation for a rank correlation:
    ``t / sqrt(runs - 2 + t**2)``, ``t`` the ``(1 + level) / 2`` quantile of Student's t with
    ``runs - 2`` degrees of freedom. For many runs this is about ``1.96 / sqrt(runs - 1)`` at
    95 %: 0.098 at 400 runs, 0.044 at 2,000, 0.0196 at 10,000. :func:`tornado` draws only the
    tasks above it, over ``forecast.kept_iterations`` runs.

    Parameters
    ----------
    runs : int
        Number of runs the correlation was computed over.
    level : float, default 0.95
        Confidence level of the test, in (0, 1).

    Returns
    -------
    float
        The threshold on |rho|, in (0, 1]; 1.0 (nothing is significant) under 4 runs.
    """
    if runs < 4:
        return 1.0
    from scipy import stats

    t = float(stats.t.ppf((1 + level) / 2, runs - 2))
    return t / float(np.sqrt(runs - 2 + t * t))


def tornado(
    forecast: Forecast, milestone: str | None = None, *, top: int = 12, ax: Axes | None = None
) -> Axes:
    """Tornado chart of the tasks whose uncertainty moves a milestone's date most.

    Per task: a bar of sensitivity (Spearman correlation of duration with the milestone's finish,
    gid ``"sensitivity"``) and below it a bar of criticality (share of runs on the critical path,
    gid ``"criticality"``), largest |sensitivity| on top. Only tasks whose correlation is
    significantly different from 0 are drawn: |sensitivity| above
    :func:`significance_threshold` of ``forecast.kept_iterations`` (two-sided, 95 %; about
    1.96 / sqrt(K - 1) for K kept runs). A note under the chart (gid ``"significance-note"``)
    says how many tasks were left out as not significant (and how many significant ones
    ``top`` cut); when no task is significant the chart draws no bars and says so in the
    middle (gid ``"no-drivers"``). The legend sits above the axes, clear of the bars.

    Parameters
    ----------
    forecast : Forecast
        The result of :func:`riskcast.simulate`.
    milestone : str, optional
        Milestone id; None (default) or ``"finish"`` for the project finish.
    top : int, default 12
        At most this many tasks.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure sized to the number of tasks.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: correlation / share of runs on x, one row per task.

    Raises
    ------
    RiskcastError
        If ``milestone`` is not in the forecast.
    """
    m = _milestone(forecast, milestone)
    sens = forecast.sensitivity(m.id)
    crit = forecast.criticality(m.id)
    names = {
        t: _drawable(name) for t, name in zip(forecast.task_ids, forecast.task_names, strict=True)
    }
    runs = forecast.kept_iterations
    threshold = significance_threshold(runs)
    # NaN (a task without spread) compares False: not significant.
    significant = [k for k in sens if abs(sens[k]) > threshold]
    order = sorted(significant, key=lambda k: (-abs(sens[k]), -crit[k], k))
    chosen = order[:top]
    hidden = len(sens) - len(significant)
    ax = _axes(ax, (8.0, 2.2 + 0.42 * max(len(chosen), 2)))
    y = np.arange(len(chosen))[::-1].astype(float)
    rule = f"|ρ| ≤ {threshold:.3f}, two-sided 95 %"
    if chosen:
        ax.barh(
            y + 0.18,
            [sens[k] for k in chosen],
            height=0.36,
            color=COLOURS["line"],
            label="sensitivity (rank correlation)",
            gid="sensitivity",
        )
        ax.barh(
            y - 0.18,
            [crit[k] for k in chosen],
            height=0.36,
            color=COLOURS["critical"],
            alpha=0.75,
            label="criticality (share of runs critical)",
            gid="criticality",
        )
        # Above the axes, in space reserved for it: it cannot cover a bar.
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=2,
            fontsize=8,
            frameon=False,
            borderaxespad=0.2,
        )
        parts = []
        if hidden:
            task_s = "task" if hidden == 1 else "tasks"
            parts.append(
                f"{hidden} {task_s} not significantly different from 0 at {runs:,} runs "
                f"({rule}) not shown"
            )
        if len(order) > len(chosen):
            parts.append(f"the {len(chosen)} largest of {len(order)} significant shown")
        note = "\n".join(parts)
    else:
        ax.text(
            0.5,
            0.5,
            f"No task's correlation with the date is significantly\ndifferent from 0 at "
            f"{runs:,} runs ({rule})",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            gid="no-drivers",
        )
        note = f"{len(sens)} tasks, none significant at {runs:,} runs"
    ax.annotate(
        note,
        xy=(0.5, 0.0),
        xycoords=("figure fraction", "axes fraction"),
        xytext=(0, -40),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=8,
        color="#444444",
        gid="significance-note",
    )
    ax.set_yticks(y, [names[k] for k in chosen])
    ax.set_ylim(-0.6, max(len(chosen), 1) - 0.4)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlim(min(-0.05, min((sens[k] for k in chosen), default=0) - 0.05), 1.05)
    ax.set_xlabel("correlation with the milestone date / share of runs")
    ax.set_title(f"{_drawable(m.name)}: what drives the date", pad=24 if chosen else 6)
    ax.grid(True, axis="x", alpha=0.3)
    lines = note.count("\n") + 1 if note else 0
    _layout(ax, [names[k] for k in chosen], legend_above=bool(chosen), note_lines=lines)
    return ax


def gantt(
    forecast: Forecast, tasks: Sequence[str] | None = None, *, ax: Axes | None = None
) -> Axes:
    """Probabilistic Gantt chart: each task's plan bar and the range of its simulated finish.

    Per task (first on top): the plan bar from plan start to the end of the plan finish day (gid
    ``"plan"``), and over it the P10-P90 band of the simulated finish (gid ``"finish-band"``, from
    the end of the P10 day to the end of the P90 day) with a P50 tick (gid ``"p50"``);
    milestones' plan dates are dotted vertical lines (gid ``"milestone-ID"``, in the legend),
    each named at the top of the axes (gid ``"milestone-name"``). When ``tasks`` leaves tasks
    out, the title says how many are shown, e.g. "40 most critical of 121 tasks" (most
    critical: none left out is more often critical for the project finish).

    Parameters
    ----------
    forecast : Forecast
        The result of :func:`riskcast.simulate`.
    tasks : sequence of str, optional
        Task ids in the order to show; None (default) for every task in model order.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure sized to the number of tasks.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: dates on x, one row per task.

    Raises
    ------
    KeyError
        If a task id is not in the forecast.
    """
    import matplotlib.dates as mdates

    rows = forecast.task_table()
    if tasks is not None:
        wanted = list(tasks)
        by_id = {r["id"]: r for r in rows}
        rows = [by_id[t] for t in wanted]
    ax = _axes(ax, (10.0, 1.5 + 0.24 * len(rows)))
    n = len(rows)
    y = np.arange(n)[::-1].astype(float)

    def num(d: dt.date, end_of_day: bool = False) -> float:
        return float(mdates.date2num(_d64(d) + (ONE_DAY if end_of_day else 0)))

    plan_left = np.array([num(r["plan_start"]) for r in rows])
    plan_right = np.array([num(r["plan_finish"], True) for r in rows])
    band_left = np.array([num(r["p10_finish"], True) for r in rows])
    band_right = np.array([num(r["p90_finish"], True) for r in rows])
    p50 = np.array([num(r["p50_finish"], True) for r in rows])
    crit = np.array([r["criticality"] for r in rows])
    ax.barh(
        y,
        plan_right - plan_left,
        left=plan_left,
        height=0.6,
        color=COLOURS["bar"],
        label="plan (CPM)",
        gid="plan",
    )
    ax.barh(
        y,
        np.maximum(band_right - band_left, 0.25),
        left=band_left,
        height=0.3,
        color=COLOURS["band"],
        alpha=0.9,
        label="finish P10-P90",
        gid="finish-band",
    )
    ax.plot(
        p50, y, "|", color="black", markersize=9, markeredgewidth=1.5, gid="p50", label="finish P50"
    )
    if crit.any():
        hot = crit >= 0.5
        ax.plot(
            plan_left[hot] - 0.6,
            y[hot],
            ">",
            color=COLOURS["critical"],
            markersize=4,
            linestyle="none",
            gid="critical",
            label="critical in >= 50% of runs",
        )
    lines = []
    for i, m in enumerate(forecast.milestones):
        x = float(mdates.date2num(_d64(m.cpm_date)))
        ax.axvline(
            x,
            color=COLOURS["plan"],
            linestyle=":",
            linewidth=1,
            label="milestone plan date (named at the top)" if i == 0 else "_nolegend_",
            gid=f"milestone-{m.id}",
        )
        lines.append((x, _drawable(m.name)))
    fontsize = 9 if n <= 30 else 7
    labels = [_drawable(r["name"]) for r in rows]
    ax.set_yticks(y, labels, fontsize=fontsize)
    ax.set_ylim(-0.8, n - 0.2)
    ax.xaxis_date()
    _date_axis(ax)
    _milestone_names(ax, lines)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    title = f"{_drawable(forecast.project_name)}: plan and simulated finish range per task"
    total = len(forecast.task_ids)
    if n < total:
        shown = {r["id"] for r in rows}
        crit_all = forecast.criticality()
        hidden = [crit_all[t] for t in forecast.task_ids if t not in shown]
        most = min(crit_all[t] for t in shown) >= max(hidden) if shown else False
        title += f"\n{n} {'most critical ' if most else ''}of {total} tasks"
    ax.set_title(title)
    _layout(ax, labels)
    return ax


def _milestone_names(ax: Any, lines: Sequence[tuple[float, str]]) -> None:
    """Name each vertical milestone line at the top of the axes (rotated, just right of the
    line, gid ``"milestone-name"``); lines closer than 1.5 % of the axis share one label."""
    lo, hi = ax.get_xlim()
    groups: list[list[tuple[float, str]]] = []
    for x, name in sorted(lines):
        if groups and x - groups[-1][-1][0] < 0.015 * (hi - lo):
            groups[-1].append((x, name))
        else:
            groups.append([(x, name)])
    for group in groups:
        ax.annotate(
            " / ".join(name for _, name in group),
            xy=(group[-1][0], 1.0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(2, -3),
            textcoords="offset points",
            rotation=90,
            ha="left",
            va="top",
            fontsize=7,
            color="#333333",
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.7, "lw": 0},
            gid="milestone-name",
            zorder=5,
        )


def risk_tornado(
    drivers: RiskDrivers, milestone: str | None = None, *, top: int = 15, ax: Axes | None = None
) -> Axes:
    """Tornado chart of risk drivers: the working days each risk adds to a milestone's percentile.

    One horizontal bar per risk (:func:`riskcast.risk_drivers`), largest on top; threats (gid
    ``"threat"``) and opportunities, whose days are negative (gid ``"opportunity"``), in two
    colours. Each bar also carries the risk id as its label (``patch.get_label()``); the tick
    label is the risk's title and the share of runs it occurred in.

    Parameters
    ----------
    drivers : RiskDrivers
        The result of :func:`riskcast.risk_drivers`.
    milestone : str, optional
        Milestone id; None (default) for the milestone the drivers were ranked on, ``"finish"``
        for the project finish.
    top : int, default 15
        At most this many risks: those with the largest |days|.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure sized to the number of risks.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: working days on x, one row per risk.

    Raises
    ------
    RiskcastError
        If ``milestone`` is not in the drivers' forecast.
    """
    mid = drivers.milestone if milestone is None else milestone
    m = drivers.forecast.milestone(mid)
    mid = m.id
    chosen = sorted(drivers.drivers, key=lambda d: (-abs(d.days[mid]), d.id))[:top]
    chosen.sort(key=lambda d: (-d.days[mid], -d.mean_days[mid], d.id))
    ax = _axes(ax, (10.0, 1.8 + 0.42 * max(len(chosen), 1)))
    y = np.arange(len(chosen))[::-1].astype(float)  # first (largest) on top
    days = [d.days[mid] for d in chosen]
    bars = ax.barh(
        y,
        days,
        height=0.6,
        color=[COLOURS["opportunity"] if v < 0 else COLOURS["critical"] for v in days],
    )
    for bar, d, v in zip(bars.patches, chosen, days, strict=True):
        bar.set_gid("opportunity" if v < 0 else "threat")
        bar.set_label(d.id)
        ax.annotate(
            f"{v:+.1f}d",
            (v, bar.get_y() + bar.get_height() / 2),
            xytext=(4 if v >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if v >= 0 else "right",
            va="center",
            fontsize=8,
        )
    labels = [f"{_drawable(_short(d.title))} ({_pct(d.occurred)})" for d in chosen]
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(chosen) - 0.3)
    ax.axvline(0, color="black", linewidth=0.8)
    span = max([abs(v) for v in days] + [0.5])
    ax.set_xlim(
        min(min(days, default=0.0), 0.0) - 0.18 * span,
        max(max(days, default=0.0), 0.0) + 0.18 * span,
    )
    q = f"P{drivers.percentile:g}"
    ax.set_xlabel(f"working days added to the {q} date (risk on minus risk off, same runs)")
    ax.set_title(
        f"{_drawable(m.name)}: risks driving the {q} date ({drivers.forecast.iterations:,} runs)"
    )
    ax.grid(True, axis="x", alpha=0.3)
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color=COLOURS["critical"], label="threat (adds days)"),
            Patch(color=COLOURS["opportunity"], label="opportunity (saves days)"),
        ],
        loc="lower right",
        fontsize=8,
    )
    _layout(ax, labels)
    fig = ax.figure
    if getattr(
        fig, "_riskcast_layout", False
    ):  # titles with percentages: wider than _layout's guess
        chars = max((len(x) for x in labels), default=6)
        fig.subplots_adjust(
            left=min(0.6, (0.35 + 0.6 * chars * 10 / 72) / fig.get_size_inches()[0])
        )
    return ax


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def mitigation_scurves(
    comparison: MitigationComparison, milestone: str | None = None, *, ax: Axes | None = None
) -> Axes:
    """S-curves of one milestone before and after mitigation.

    The two S-curves (gid ``"pre"`` and ``"post"``, each :meth:`MilestoneForecast.cdf_dates`),
    the P80 of each (gid ``"p80-pre"``, ``"p80-post"``), the target date (gid ``"target"``) and,
    in the title, the probability of the target before -> after.

    Parameters
    ----------
    comparison : MitigationComparison
        The result of :func:`riskcast.compare_mitigation`.
    milestone : str, optional
        Milestone id; None (default) or ``"finish"`` for the project finish.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: dates on x, probability (0 to 1) on y.

    Raises
    ------
    RiskcastError
        If ``milestone`` is not in the forecasts.
    """
    ax = _axes(ax)
    pre, post = comparison.pre.milestone(milestone), comparison.post.milestone(milestone)
    curves = [
        ("pre", pre, COLOURS["bar"], "before mitigation"),
        ("post", post, COLOURS["line"], "after mitigation"),
    ]
    return _scurve_pair(ax, curves, f"{_drawable(pre.name)}: before and after mitigation")


def _scurve_pair(ax: Any, curves: Sequence[tuple[str, Any, str, str]], title: str) -> Any:
    """Two S-curves of one milestone (``(gid, MilestoneForecast, colour, what)``, the first the
    reference), the P80 of each (gid ``"p80-<gid>"``), the target and, under the title, the
    chance of meeting it first -> second."""
    for gid, m, colour, what in curves:
        dates, prob = m.cdf_dates()
        p80 = m.percentile(80)
        ax.step(
            dates,
            prob,
            where="post",
            color=colour,
            linewidth=2,
            gid=gid,
            label=f"{what}: P80 {p80.isoformat()}",
        )
        ax.plot(
            [_d64(p80)],
            [0.8],
            marker="o",
            markersize=7,
            linestyle="none",
            color=colour,
            gid=f"p80-{gid}",
            zorder=3,
        )
    ax.axhline(0.8, color=COLOURS["plan"], linewidth=0.8, linestyle=":")
    (_, first, _, _), (_, second, _, _) = curves
    shown = [_d64(m.percentile(q)) for m in (first, second) for q in (0.5, 99.5)]
    if first.target is not None:
        _target_line(ax, first.target)
        odds = f"{_pct(first.target_probability or 0.0)} → {_pct(second.target_probability or 0.0)}"
        title += f"\nchance of meeting the target {odds}"
        shown.append(_d64(first.target))
    pad = max(np.timedelta64(2, "D"), (max(shown) - min(shown)) // 12)
    ax.set_xlim(min(shown) - pad, max(shown) + pad)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_ylabel("probability of delivery")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    _date_axis(ax)
    _layout(ax, ["100%"])
    fig = ax.figure
    if "\n" in title and getattr(fig, "_riskcast_layout", False):
        fig.subplots_adjust(top=1 - 0.75 / fig.get_size_inches()[1])  # two title lines
    return ax


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


def save(ax: Axes, path: str | Path, *, dpi: int = 100) -> Path:
    """Write the figure holding ``ax`` to a file, then close it.

    PNG is rendered with Agg, SVG and PDF with their vector backends, whatever the session's
    interactive backend is; SVG and PDF files carry no timestamp, so the same forecast gives
    byte-identical files.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Any Axes of the figure to write (as returned by the chart functions).
    path : str or pathlib.Path
        The file to write; the format comes from its suffix (``.png``, ``.svg``, ``.pdf``).
    dpi : int, default 100
        Resolution of raster output, in dots per inch.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If matplotlib does not know the suffix's format.
    """
    fig = ax.figure
    path = Path(path)
    # savefig renders PNG with Agg (SVG/PDF with their vector backends) whatever the session's
    # interactive backend is; a bare Figure never touches a GUI.
    import matplotlib as mpl

    with mpl.rc_context({"svg.hashsalt": "riskcast"}):  # stable SVG element ids
        fig.savefig(path, dpi=dpi, metadata=_metadata(path), format=path.suffix.lstrip(".").lower())
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return path


def _metadata(path: Path) -> dict[str, Any] | None:
    # Fixed metadata: the same forecast gives byte-identical SVG/PDF files (no timestamps).
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return {"Date": None}
    if suffix == ".pdf":
        return {"CreationDate": None}
    return None


# Charts of levelled and of costed forecasts live in their own modules, which import the helpers
# above: they are handed out from here on first use (an import at load time would be circular).
_ELSEWHERE = {
    "levelling_scurves": "resource_plots",
    "resource_usage": "resource_plots",
    "cost_scurve": "cost_plots",
    "jcl_scatter": "cost_plots",
    "cash_flow_fan": "cost_plots",
}


def __getattr__(name: str):
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __package__), name)
