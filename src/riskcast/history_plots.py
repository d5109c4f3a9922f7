"""The trend chart of the forecast history: how each milestone's P50 and P80 moved from one
status date to the next, against its target ("are we slipping, and since when?").

It reads only what :class:`~riskcast.history.History` recorded (no model, no simulation), and
follows :mod:`riskcast.plotting`: it draws on ``ax`` (a new figure when None) and returns the
Axes; artists carry a ``gid`` (``"p50-ID"``, ``"p80-ID"``, ``"target-ID"``) so that tests and
callers find the data behind each line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ArgumentError
from .forecast import FINISH_ID
from .history import History, RunRecord, TrendPoint, trend_points
from .plotting import COLOURS, _axes, _d64, _drawable, _layout, _pct, _short
from .suggest import suggestion

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Milestone colours when several share the chart: the plotting module's line colour first.
PALETTE = ("#1f4e79", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d")


def _runs(history_or_rows: History | Sequence[RunRecord], model: str) -> list[RunRecord]:
    """The model's runs, oldest first (the order :meth:`History.runs` gives)."""
    if isinstance(history_or_rows, History):
        return history_or_rows.runs(model)
    runs = [r for r in history_or_rows if r.model == model]
    if not runs:
        known = list(dict.fromkeys(r.model for r in history_or_rows))
        raise ArgumentError(
            f'no forecasts of model "{model}" in the rows{suggestion(model, known)} '
            f"(models: {', '.join(known) or 'none'})"
        )
    return sorted(runs, key=lambda r: (r.date, r.recorded_at, r.id))


def _default_ids(runs: list[RunRecord]) -> list[str]:
    """Every milestone (in recorded order), or the project finish when the plan has none (as
    :func:`riskcast.plotting.roadmap`)."""
    known = dict.fromkeys(m.id for r in runs for m in r.milestones)
    return [m for m in known if m != FINISH_ID] or [FINISH_ID]


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def _names(runs: list[RunRecord]) -> dict[str, str]:
    """Each milestone's name as the latest run recorded it."""
    return {m.id: m.name for r in runs for m in r.milestones}


def _draw_target(ax: Any, mid: str, points: list[TrendPoint], colour: str, label: str) -> None:
    """The target: a horizontal line, or a step line through the runs where it changed."""
    targets = [p.target for p in points]
    if all(t is None for t in targets):
        return
    if len(set(targets)) == 1:
        ax.axhline(_d64(targets[0]), color=colour, linestyle=":", linewidth=1.6, label=label)
        ax.lines[-1].set_gid(f"target-{mid}")
        return
    x = [_d64(p.date) for p in points]
    y = [np.datetime64("NaT") if t is None else _d64(t) for t in targets]
    ax.step(x, y, where="post", color=colour, linestyle=":", linewidth=1.6, label=label)
    ax.lines[-1].set_gid(f"target-{mid}")


def _draw_milestone(
    ax: Any, mid: str, name: str, points: list[TrendPoint], colours: tuple[str, str], single: bool
) -> None:
    """P80 (solid, filled markers) and P50 (dashed, open markers) of one milestone per run."""
    x = [_d64(p.date) for p in points]
    p80, p50 = colours
    prefix = "" if single else f"{_short(_drawable(name), 30)} "
    ax.plot(
        x,
        [_d64(p.p80) for p in points],
        color=p80,
        linewidth=2,
        marker="o",
        markersize=6,
        label=f"{prefix}P80",
        gid=f"p80-{mid}",
        zorder=3,
    )
    ax.plot(
        x,
        [_d64(p.p50) for p in points],
        color=p50,
        linewidth=1.5,
        linestyle="--",
        marker="o",
        markersize=5,
        markerfacecolor="white",
        label=f"{prefix}P50",
        gid=f"p50-{mid}",
        zorder=3,
    )
    target = next((p.target for p in reversed(points) if p.target is not None), None)
    if target is not None:
        colour = COLOURS["target"] if single else p80
        _draw_target(ax, mid, points, colour, f"{prefix}target {target.isoformat()}")
    if single:  # the latest dates, readable without the axis
        last = points[-1]
        for value, colour, q, dy in ((last.p80, p80, 80, 7), (last.p50, p50, 50, -13)):
            ax.annotate(
                f"P{q} {value.day} {value:%b}",
                (_d64(last.date), _d64(value)),
                xytext=(8, dy),
                textcoords="offset points",
                fontsize=9,
                color=colour,
                fontweight="bold" if q == 80 else "normal",
            )


def _limits(ax: Any, dates: list[dt.date], values: list[dt.date], right_text: bool) -> None:
    """Room around every marker (and for the latest dates' labels on the right)."""
    lo, hi = _d64(min(dates)), _d64(max(dates))
    span = max(int((hi - lo) / np.timedelta64(1, "D")), 1)
    pad = np.timedelta64(max(3, span // 12), "D")
    right = np.timedelta64(max(10, span // 4), "D") if right_text else pad
    ax.set_xlim(lo - pad, hi + right)
    ylo, yhi = _d64(min(values)), _d64(max(values))
    yspan = max(int((yhi - ylo) / np.timedelta64(1, "D")), 1)
    ypad = np.timedelta64(max(2, yspan // 8), "D")
    ax.set_ylim(ylo - ypad, yhi + ypad)


def _day_axis(axis: Any) -> None:
    """Date ticks as "15 Mar" (with the year on January ticks and on the first tick)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    axis.set_major_locator(locator)

    def label(x: float, pos: int | None = None) -> str:
        d = mdates.num2date(x)
        return _day(d) if pos == 0 or (d.month == 1 and d.day <= 7) else f"{d.day} {d:%b}"

    axis.set_major_formatter(FuncFormatter(label))


def _legends(ax: Any, ids: list[str], names: dict[str, str], single: bool) -> int:
    """The legend under the axes; with several milestones, the line styles in one row and the
    milestones' colours in the rows below (one entry per milestone, not three). Returns the
    rows used."""
    below = {"loc": "upper center", "fontsize": 8, "frameon": False}
    if single:
        ax.legend(bbox_to_anchor=(0.5, -0.16), ncol=3, **below)
        return 1
    from matplotlib.lines import Line2D

    grey = COLOURS["plan"]
    styles = [
        Line2D([], [], color=grey, linewidth=2, marker="o", label="P80"),
        Line2D(
            [], [], color=grey, linestyle="--", marker="o", markerfacecolor="white", label="P50"
        ),
        Line2D([], [], color=grey, linestyle=":", linewidth=1.6, label="target"),
    ]
    ax.add_artist(ax.legend(handles=styles, bbox_to_anchor=(0.5, -0.16), ncol=3, **below))
    ncol = min(len(ids), 3)
    colours = [
        Line2D(
            [],
            [],
            color=PALETTE[k % len(PALETTE)],
            linewidth=4,
            label=_short(_drawable(names[mid]), 40),
        )
        for k, mid in enumerate(ids)
    ]
    # matplotlib fills a legend column by column: this order reads row by row instead.
    colours = [h for c in range(ncol) for h in colours[c::ncol]]
    ax.legend(handles=colours, bbox_to_anchor=(0.5, -0.24), ncol=ncol, **below)
    return 1 + -(-len(ids) // ncol)


def plot_trend(
    history_or_rows: History | Sequence[RunRecord],
    model: str,
    milestone: str | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Trend of the forecasts: each milestone's P50 and P80 date against the status date.

    Per milestone: the P80 (solid line, gid ``"p80-ID"``) and the P50 (dashed, ``"p50-ID"``),
    a marker for each recorded run, and the target as a horizontal dotted line
    (``"target-ID"``; a step line where the target changed between runs). A run without a status
    date is placed on the (UTC) day it was recorded. With one milestone the latest P-dates are
    labelled, and the title gives the latest chance of meeting the target.

    Parameters
    ----------
    history_or_rows : History or sequence of RunRecord
        The history, or rows from :meth:`History.runs`.
    model : str
        The model (project name).
    milestone : str, optional
        One milestone id (``"finish"``: the project finish); None (default) for every
        milestone, or the project finish when the plan has none.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Status dates on x, forecast delivery dates on y.

    Raises
    ------
    ArgumentError
        No forecast of ``model``, or no run has ``milestone``.
    """
    runs = _runs(history_or_rows, model)
    ids = _default_ids(runs) if milestone is None else [milestone]
    series = {mid: trend_points(runs, mid) for mid in ids}  # checks the milestone
    names = _names(runs)
    single = len(ids) == 1
    ax = _axes(ax, (8.0, 4.5 if single else 5.0))
    dates: list[dt.date] = []
    values: list[dt.date] = []
    for k, (mid, points) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        colours = (COLOURS["line"], COLOURS["band"]) if single else (colour, colour)
        _draw_milestone(ax, mid, names[mid], points, colours, single)
        dates += [p.date for p in points]
        values += [d for p in points for d in (p.p50, p.p80, p.target) if d is not None]
    _limits(ax, dates, values, right_text=single)
    _day_axis(ax.xaxis)
    _day_axis(ax.yaxis)
    ax.set_xlabel("status date")
    ax.set_ylabel("forecast delivery date")
    what = _drawable(names[ids[0]]) if single else _drawable(model)
    noun = "forecast" if len(runs) == 1 else "forecasts"
    title = f"{what}: forecast trend ({len(runs)} {noun})"
    last = series[ids[0]][-1]
    if single and last.probability_of_target is not None:  # in the title: it covers no marker
        title += (
            f"\n{_pct(last.probability_of_target)} chance of meeting the target "
            f"{_day(last.target)} (forecast of {_day(last.date)})"
        )
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    rows = _legends(ax, ids, names, single)
    _layout(ax, ["30 Sep 2027"], legend_below=True, right_text=True, note_lines=rows - 1)
    return ax
