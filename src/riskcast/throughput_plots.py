"""Charts of throughput forecasts (matplotlib): the burn-up fan.

Like :mod:`riskcast.plotting`, each function draws on ``ax`` (a new figure when None), returns
the Axes, imports matplotlib inside, and tags its artists with a ``gid`` (``"band"``,
``"median"``, ``"backlog"``, ``"target"``, ``"history"``). Save with :func:`riskcast.plotting.save`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ArgumentError

if TYPE_CHECKING:  # matplotlib is imported inside the functions
    from matplotlib.axes import Axes

BAND = (10, 90)  # percent: the fan's band


def period_dates(
    start: dt.date, periods: int, period_days: float, calendar: Any = None
) -> np.ndarray:
    """Delivery dates (datetime64[D]) of the ends of periods 0 .. ``periods``; period 0 is the
    start itself (nothing done yet)."""
    from .calendar import Calendar

    cal = calendar or Calendar()
    first = cal.first_working_day(start)
    ends = cal.finish_dates(first, np.arange(1, periods + 1) * period_days)
    return np.concatenate([[np.datetime64(first, "D")], ends])


def burnup(
    done: np.ndarray,
    start: dt.date,
    *,
    period_days: float = 5.0,
    backlog: Sequence[int] = (),
    target: dt.date | None = None,
    marker: tuple[dt.date, str] | None = None,
    title: str = "Burn-up forecast",
    headline: str | None = None,
    calendar: Any = None,
    ax: Axes | None = None,
) -> Axes:
    """Cumulative items done against the date: the P10-P90 band and the median of the runs.

    Parameters
    ----------
    done : numpy.ndarray of int, shape (runs, periods + 1)
        Items each run finished after 0, 1, ... periods (:func:`riskcast.throughput.sample` with
        ``paths=True``, capped at each run's backlog by the caller where wanted, or
        :func:`riskcast.throughput.sample_done`).
    start : datetime.date
        First day of period 1.
    period_days : float
        Working days per period.
    backlog : sequence of int
        Backlog sizes to draw as horizontal lines (items); two values shade the range between.
    target : datetime.date, optional
        A date to draw as a vertical line (the target or the "by" date).
    marker : (datetime.date, str), optional
        A date to mark with a dotted line and its label (e.g. the P85 finish).
    title, headline : str
        The chart's title and an optional answer in bold at its top left.
    ax : matplotlib Axes, optional
    """
    from .plotting import COLOURS, _axes, _date_axis, _headline, _layout

    done = np.asarray(done)
    if done.ndim != 2 or done.shape[1] < 1 or done.shape[0] < 1:
        raise ArgumentError(f"done must be a (runs, periods + 1) array, got shape {done.shape}")
    ax = _axes(ax)
    periods = done.shape[1] - 1
    x = period_dates(start, periods, period_days, calendar)
    low, mid, high = np.percentile(done, (BAND[0], 50, BAND[1]), axis=0, method="inverted_cdf")
    # Items are counted at the end of each period: straight lines between those counts.
    ax.fill_between(
        x,
        low,
        high,
        color=COLOURS["band"],
        alpha=0.35,
        linewidth=0,
        label=f"P{BAND[0]}-P{BAND[1]} of runs",
        gid="band",
    )
    ax.plot(x, mid, color=COLOURS["line"], linewidth=2, label="median", gid="median")
    sizes = sorted(set(int(b) for b in backlog))
    if len(sizes) >= 2:
        ax.axhspan(sizes[0], sizes[-1], color=COLOURS["plan"], alpha=0.12, linewidth=0)
    for k, b in enumerate(sizes[:1] + sizes[-1:] if len(sizes) > 1 else sizes):
        ax.axhline(
            b,
            color=COLOURS["plan"],
            linestyle="--",
            linewidth=1.3,
            label=(f"backlog {sizes[0]}-{sizes[-1]} items" if len(sizes) > 1 else f"{b} items")
            if k == 0
            else None,
            gid="backlog",
        )
    if target is not None:
        ax.axvline(
            np.datetime64(target, "D"),
            color=COLOURS["target"],
            linewidth=1.6,
            label=f"target {target.isoformat()}",
            gid="target",
        )
    if marker is not None:
        when, label = marker
        ax.axvline(
            np.datetime64(when, "D"),
            color=COLOURS["emphasis"],
            linestyle=":",
            linewidth=1.8,
            label=label,
            gid="marker",
        )
    if headline:
        _headline(ax, headline, "headline")
    ax.set_xlim(x[0], x[-1] + np.timedelta64(3, "D"))
    ax.set_ylim(0, max(float(high.max()), float(sizes[-1]) if sizes else 0.0) * 1.08 + 1)
    ax.set_ylabel("items done")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    _date_axis(ax)
    ax.legend(loc="lower right", fontsize=9, framealpha=0.9)
    _layout(ax, [f"{int(ax.get_ylim()[1])}"])
    return ax
