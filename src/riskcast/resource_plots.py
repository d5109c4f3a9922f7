"""Charts of a levelled forecast: a pool's usage against its capacity, and the S-curves of a
milestone with and without resource limits (the same runs). Also in :mod:`riskcast.plotting`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ArgumentError
from .plotting import (
    COLOURS,
    _axes,
    _date_axis,
    _drawable,
    _layout,
    _pct,
    _scurve_pair,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .forecast import Forecast


def resource_usage(forecast: Forecast, pool: str, *, ax: Axes | None = None) -> Axes:
    """Units of a limited pool in use per day: the median (gid ``"p50"``) and 90th percentile
    (gid ``"p90"``) across the runs, a band between them, and the capacity (gid ``"capacity"``).

    Parameters
    ----------
    forecast : Forecast
        A levelled forecast (:func:`riskcast.simulate` with a pool that has a capacity).
    pool : str
        The resource id.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Dates on x, units on y.

    Raises
    ------
    ArgumentError
        If ``pool`` was not levelled in ``forecast``.
    """
    usage = forecast.resource_usage(pool)
    ax = _axes(ax)
    dates = usage["dates"].astype("datetime64[D]")
    ax.fill_between(
        dates, usage["p50"], usage["p90"], step="post", color=COLOURS["band"], alpha=0.5, lw=0
    )
    ax.step(dates, usage["p90"], where="post", color=COLOURS["bar"], lw=1, gid="p90", label="P90")
    ax.step(dates, usage["p50"], where="post", color=COLOURS["line"], lw=2, gid="p50", label="P50")
    ax.step(
        dates,
        usage["capacity"],
        where="post",
        color=COLOURS["target"],
        lw=1.5,
        linestyle="--",
        gid="capacity",
        label="capacity",
    )
    share = forecast.resource_criticality().get(pool, 0.0)
    ax.set_title(
        f"{_drawable(pool)}: units in use per day\n"
        f"held back a critical task in {_pct(share)} of the runs"
    )
    ax.set_ylabel("units in use (time-weighted per day)")
    top = max(float(usage["capacity"].max()), float(usage["p90"].max()))
    ax.set_ylim(0, top * 1.4 + 1e-9)  # room for the legend above the lines
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=9)
    _date_axis(ax)
    _layout(ax, ["10"])
    return ax


def levelling_scurves(
    forecast: Forecast, milestone: str | None = None, *, ax: Axes | None = None
) -> Axes:
    """S-curves of a milestone levelled (gid ``"levelled"``) and, in the same runs, without
    resource limits (gid ``"unlimited"``), with the P80 of each (``"p80-..."``) and the target.

    Raises
    ------
    ArgumentError
        If ``forecast`` was not levelled (no pool with a capacity, or ``scheme=None``).
    """
    if forecast.unlevelled is None:
        raise ArgumentError(
            "this forecast was not levelled: give a resource a capacity and simulate with a "
            "scheme to compare with and without resource limits"
        )
    ax = _axes(ax)
    level, free = forecast.milestone(milestone), forecast.unlevelled.milestone(milestone)
    curves = [
        ("unlimited", free, COLOURS["bar"], "without resource limits"),
        ("levelled", level, COLOURS["line"], "resources levelled"),
    ]
    delay = level.percentile_days(80) - free.percentile_days(80)
    title = f"{_drawable(level.name)}: resource limits add {delay:.1f} working days at P80"
    return _scurve_pair(ax, curves, title)
