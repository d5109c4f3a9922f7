"""Charts of a back-test (:func:`riskcast.backtest.backtest`): the PIT histogram and the
reliability (calibration) chart, raw forecasts against calibrated ones.

As :mod:`riskcast.plotting`: each function draws on ``ax`` (a new figure when None) and returns
the Axes; matplotlib is imported only when a chart is drawn. Artists carry a ``gid``
(``"pit-raw"``, ``"reliability-calibrated"``, ...) so callers and tests find the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .backtest import BacktestResult, clustered_interval
from .errors import ArgumentError
from .plotting import COLOURS, _axes, _layout, _percent_formatter

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SERIES = (
    ("raw", "plan's own estimates", COLOURS["target"]),
    ("calibrated", "calibrated", COLOURS["line"]),
)
LEVELS = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2))


def _scope(scope: str) -> str:
    if scope not in ("task", "project"):
        raise ArgumentError(f'scope must be "task" or "project", got {scope!r}')
    return scope


def pit_histogram(
    result: BacktestResult, scope: str = "task", *, bins: int = 10, ax: Axes | None = None
) -> Axes:
    """Histogram of the PIT (the forecast's probability of finishing before the actual) of the
    raw and the calibrated forecasts, as densities: flat at 1 when a forecast is calibrated;
    piled up at the right when actuals keep running past the forecast (optimistic plans).

    Parameters
    ----------
    result : BacktestResult
    scope : {"task", "project"}, default "task"
    bins : int, default 10
        Equal-width bins over [0, 1].
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    scope = _scope(scope)
    ax = _axes(ax)
    edges = np.linspace(0.0, 1.0, bins + 1)
    width = (edges[1] - edges[0]) * 0.42
    n = 0
    for k, (forecast, label, colour) in enumerate(SERIES):
        pit = result.pit(scope, forecast)
        n = len(pit)
        counts, _ = np.histogram(np.clip(pit, 0.0, 1.0), edges)
        density = counts / max(n, 1) * bins
        offset = (k - 0.5) * width
        ax.bar(
            edges[:-1] + (edges[1] - edges[0]) / 2 + offset,
            density,
            width=width,
            color=colour,
            alpha=0.85,
            label=label,
            gid=f"pit-{forecast}",
        )
    ax.axhline(1.0, color=COLOURS["plan"], linestyle="--", linewidth=1, gid="pit-uniform")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT: forecast probability of finishing before the actual")
    ax.set_ylabel("density")
    what = "tasks" if scope == "task" else "projects (tasks in sequence)"
    ax.set_title(f"Back-test PIT histogram, {n} held-out {what}\nflat at 1 = calibrated")
    ax.legend(loc="upper center", frameon=False, fontsize=9, ncol=2)
    _layout(ax, [f"{v:.1f}" for v in ax.get_yticks()])
    return ax


def reliability(result: BacktestResult, *, ax: Axes | None = None) -> Axes:
    """Reliability chart: for each nominal level p (5% to 95%), the share of actuals at or under
    the forecast's P-p, for the raw and calibrated forecasts; tasks as lines with their
    cluster-robust 95% band, projects as markers. A calibrated forecast follows the diagonal.

    Parameters
    ----------
    result : BacktestResult
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (6.5, 6.0))
    levels = np.array(LEVELS)
    ax.plot([0, 1], [0, 1], color=COLOURS["plan"], linestyle="--", linewidth=1, gid="diagonal")
    groups = [t.project for t in result.tasks]
    for forecast, label, colour in SERIES:
        pit = result.pit("task", forecast)
        shares = np.array([np.mean(pit <= p) for p in levels])
        bands = np.array([clustered_interval(pit <= p, groups) for p in levels])
        ax.fill_between(levels, bands[:, 0], bands[:, 1], color=colour, alpha=0.15, linewidth=0)
        ax.plot(
            levels,
            shares,
            color=colour,
            marker="o",
            markersize=3,
            label=f"{label}: tasks",
            gid=f"reliability-{forecast}",
        )
        ppit = result.pit("project", forecast)
        pshares = [np.mean(ppit <= p) for p in levels]
        ax.plot(
            levels,
            pshares,
            color=colour,
            linestyle="none",
            marker="s",
            markersize=5,
            markerfacecolor="none",
            label=f"{label}: projects",
            gid=f"reliability-{forecast}-projects",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_formatter(_percent_formatter())
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_xlabel("forecast level (P-value)")
    ax.set_ylabel("share of actuals at or under it")
    ax.set_title(
        f"Back-test reliability: {len(result.tasks)} tasks, {len(result.projects)} projects\n"
        "on the diagonal = calibrated; below = optimistic"
    )
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    _layout(ax, ["100%"])
    return ax
