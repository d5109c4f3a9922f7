"""Charts of a forecast with costs: a target's cost S-curve, the joint cost-schedule scatter with
its confidence frontier (JCL), and the cumulative spend over time.

Like :mod:`riskcast.plotting`, each function takes ``(forecast, ..., ax=None)``, draws on ``ax``
(a new figure when None), returns the Axes and computes no statistic of its own: the numbers
come from :mod:`riskcast.budget` (``forecast.cost``, ``forecast.jcl``, ``forecast.cash_flow``).
Artists carry a ``gid`` naming what they show. Amounts are in the project's currency, written
with thousands separators in labels and as ``650k`` / ``2.55M`` on the axes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .model import as_date
from .plotting import (
    COLOURS,
    ONE_DAY,
    PERCENTILES,
    _axes,
    _d64,
    _date_axis,
    _drawable,
    _headline,
    _layout,
    _pct,
    _percent_formatter,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .forecast import Forecast

SCATTER_POINTS = 3000  # runs drawn on the JCL scatter: more only blurs it and slows it down
HALF_DAY = np.timedelta64(12, "h")


def money(amount: float, currency: str = "") -> str:
    """``amount`` for a label: whole currency units with thousands separators, then the currency
    (``"2,550,000 EUR"``)."""
    return f"{amount:,.0f} {currency}".rstrip()


def money_short(amount: float) -> str:
    """``amount`` in three significant figures for a note on a chart (``650k``, ``2.52M``)."""
    size = abs(amount)
    if size >= 1e6:
        return f"{amount / 1e6:.3g}M" if size < 1e8 else f"{amount / 1e6:,.0f}M"
    if size >= 1e4:
        return f"{amount / 1e3:.3g}k"
    return f"{amount:,.0f}"


def money_ticks(values: Sequence[float]) -> list[str]:
    """Tick labels of an axis of money: ``k`` from 10,000 and ``M`` from a million (by the
    largest tick), with the fewest decimals that keep every tick exact (``2.45M``, ``2.5M``)."""
    top = max((abs(v) for v in values), default=0.0)
    scale, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k") if top >= 1e4 else (1.0, "")
    scaled = [v / scale for v in values]
    decimals = next(
        (
            d
            for d in range(4)
            if all(abs(round(v, d) - v) < 1e-9 * max(1.0, abs(v)) for v in scaled)
        ),
        3,
    )
    return [f"{v:,.{decimals}f}{suffix}" if v else "0" for v in scaled]


def _money_axis(axis: Any) -> None:
    """Money tick labels on ``axis`` (``ax.xaxis`` or ``ax.yaxis``), see :func:`money_ticks`."""
    from matplotlib.ticker import Formatter

    class Money(Formatter):
        def __call__(self, x: float, pos: Any = None) -> str:
            return money_ticks([x])[0]

        def format_ticks(self, values: Sequence[float]) -> list[str]:
            return money_ticks(values)

    axis.set_major_formatter(Money())


def _off_chart(value: Any, values: Sequence[Any], floor: Any, sides: tuple[str, str]) -> str:
    """``""`` when ``value`` (an amount or a date) lies within one span of ``values``' range (a
    span of at least ``floor``), so that the axis may show it with them; else which of the
    ``sides`` (below, above) of the chart it is on, for its legend entry.

    A milestone early in the plan costs a fraction of the project's budget, and a date may be
    years away: an axis stretched to them would squash the runs into a sliver.
    """
    low, high = min(values), max(values)
    span = max(high - low, floor)
    if low - span <= value <= high + span:
        return ""
    return f" ({sides[int(value > high)]} the chart)"


def _currency_label(what: str, currency: str) -> str:
    return f"{what} ({currency})" if currency else what


def cost_scurve(
    forecast: Forecast,
    milestone: str | None = None,
    *,
    percentiles: Sequence[float] = PERCENTILES,
    ax: Axes | None = None,
) -> Axes:
    """Cost S-curve: the share of runs in which a target costs at most each amount.

    The step line (gid ``"cdf"``) is :meth:`CostForecast.cdf`; a marker per percentile (gid
    ``"p50"``, ...) sits at (P-cost, q/100); the plan (base) cost and the budget are vertical
    lines (gid ``"base"``, ``"budget"``) and the probability of staying within the budget is
    printed (gid ``"budget-probability"``).

    Parameters
    ----------
    forecast : Forecast
        A forecast of a plan with costs.
    milestone : str, optional
        Milestone id; None (default) or ``"finish"`` for the project finish.
    percentiles : sequence of float, default (50, 80, 95)
        Percentiles to mark, each in (0, 100].
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Cost (currency units) on x, probability (0 to 1) on y.

    Raises
    ------
    ArgumentError
        If the plan has no costs, ``milestone`` is unknown or a percentile is outside (0, 100].
    """
    cost = forecast.cost(milestone)
    ax = _axes(ax)
    x, share = cost.cdf()
    ax.step(
        x,
        share,
        where="post",
        color=COLOURS["line"],
        lw=2,
        gid="cdf",
        label="share of runs costing at most",
    )
    for q in sorted(percentiles):
        amount = cost.percentile(q)
        ax.plot([amount], [q / 100], "o", ms=6, color=COLOURS["line"], gid=f"p{q:g}", zorder=3)
        ax.annotate(
            f"P{q:g} {money_short(amount)}",
            (amount, q / 100),
            xytext=(-8, 6),
            textcoords="offset points",
            ha="right",
            fontsize=9,
        )
    ax.axvline(
        cost.base,
        color=COLOURS["plan"],
        ls="--",
        lw=1.2,
        gid="base",
        label=f"plan cost {money(cost.base, cost.currency)}",
    )
    shown = [cost.percentile(0.5), cost.percentile(99.5), cost.base]
    if cost.budget is not None:
        off = _off_chart(cost.budget, shown, abs(cost.base) / 100, ("left of", "right of"))
        ax.axvline(
            cost.budget,
            color=COLOURS["target"],
            lw=1.6,
            gid="budget",
            label=f"budget {money(cost.budget, cost.currency)}{off}",
        )
        _headline(
            ax,
            f"{_pct(cost.probability_within())} chance of staying within budget",
            "budget-probability",
        )
        if not off:
            shown.append(cost.budget)
    # The bulk of the distribution (P0.5 .. P99.5) and the reference amounts, not far tails.
    pad = max(max(shown) - min(shown), abs(cost.base) * 0.01, 1.0) / 12
    ax.set_xlim(min(shown) - pad, max(shown) + pad)
    ax.set_ylim(0, 1.08)
    ax.yaxis.set_major_formatter(_percent_formatter())
    _money_axis(ax.xaxis)
    ax.set_xlabel(_currency_label("cost up to the milestone", cost.currency))
    ax.set_ylabel("probability of costing at most")
    ax.set_title(f"{_drawable(cost.name)}: cost confidence ({cost.iterations:,} runs)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    _layout(ax, ["100%"])
    return ax


def jcl_scatter(
    forecast: Forecast,
    milestone: str | None = None,
    *,
    date: dt.date | str | None = None,
    budget: float | None = None,
    level: float = 70,
    points: int = SCATTER_POINTS,
    ax: Axes | None = None,
) -> Axes:
    """Joint cost-schedule scatter: each run's delivery date against its cost, the quadrant "on
    time and within budget" and the frontier of the (date, budget) pairs at a joint confidence.

    Runs are dots, every k-th run so that at most ``points`` are drawn (the runs are independent,
    so a fixed stride is a fair sample and the same forecast gives the same chart): those in the
    quadrant (gid ``"runs-inside"``) in colour, the others (``"runs-outside"``) grey. The
    quadrant left of the date and below the budget is shaded (gid ``"quadrant"``), the date and
    the budget are lines (``"date"``, ``"budget"``) and the JCL is printed (``"jcl"``, with the
    two marginal probabilities under it, ``"marginals"``). The frontier (gid ``"frontier"``) is
    :meth:`~riskcast.forecast.Forecast.jcl_frontier` as a staircase: the budget each delivery date
    needs for ``level`` % (no budget is enough left of its first step); the cheapest budget for
    the date is a marker on it (``"cheapest"``). A run delivered on a day is drawn at the start
    of that day and the date line half a day after it, so the runs delivered on the date itself
    fall inside the quadrant.

    Parameters
    ----------
    forecast : Forecast
        A forecast of a plan with costs.
    milestone : str, optional
        Milestone id; None (default) or ``"finish"`` for the project finish.
    date : datetime.date or str, optional
        The delivery date (default: the milestone's target; without one, no date line).
    budget : float, optional
        Currency units (default: the project budget; without one, no budget line).
    level : float, default 70
        The joint confidence of the frontier, in percent, (0, 100].
    points : int, default 3000
        At most this many runs are drawn.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Delivery dates on x, cost (currency units) on y.

    Raises
    ------
    ArgumentError
        If the plan has no costs, ``milestone`` is unknown, ``budget`` is not a finite amount or
        ``level`` is outside (0, 100].
    """
    cost, m = forecast.cost(milestone), forecast.milestone(milestone)
    day = m.target if date is None else as_date(date, "date")
    amount = cost.budget if budget is None else budget
    joint = None if day is None or amount is None else forecast.jcl(m.id, day, amount)
    frontier = forecast.jcl_frontier(m.id, level)
    ax = _axes(ax, (8.0, 5.5))
    edge = None if day is None else _d64(day) + HALF_DAY
    x, y = _runs(ax, m, cost, points, None if joint is None else (edge, amount))
    xs = [x.min(), x.max()]
    ys = [y.min(), y.max(), *(p.budget for p in frontier)]
    off = (
        ""
        if edge is None
        else _off_chart(edge, xs, np.timedelta64(7, "D"), ("left of", "right of")),
        "" if amount is None else _off_chart(amount, ys, abs(ys[1]) / 100, ("below", "above")),
    )
    xs += [] if edge is None or off[0] else [edge]
    ys += [] if amount is None or off[1] else [amount]
    span = max(max(ys) - min(ys), 1.0)
    low, top = min(ys) - span / 20, max(ys) + span / 4  # room for the JCL above the runs
    pad = max(np.timedelta64(2, "D"), (max(xs) - min(xs)) // 20)
    left, right = min(xs) - pad, max(xs) + pad
    if frontier:
        _frontier(ax, frontier, level, top, right)
    if joint is not None:
        _quadrant(ax, forecast, m.id, (day, amount, joint), (left, edge, low), off)
    if day is not None and (cheapest := forecast.cheapest_budget(m.id, day, level)) is not None:
        ax.plot(
            [edge],
            [cheapest],
            "D",
            ms=7,
            color=COLOURS["emphasis"],
            gid="cheapest",
            zorder=4,
            label=f"{level:g}% by {day.isoformat()}: {money(cheapest, cost.currency)}",
        )
    ax.set_xlim(left, right)
    ax.set_ylim(low, top)
    _money_axis(ax.yaxis)
    ax.set_ylabel(_currency_label("cost up to the milestone", cost.currency))
    ax.set_title(
        f"{_drawable(cost.name)}: delivery date and cost per run "
        f"({len(x):,} of {cost.iterations:,} runs)"
    )
    ax.grid(True, alpha=0.3)
    legend = ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3, fontsize=8, frameon=False
    )
    from matplotlib.collections import PathCollection

    for handle in legend.legend_handles:  # the runs' dots, legible in the legend
        if isinstance(handle, PathCollection):
            handle.set_sizes([30.0])
            handle.set_alpha(1.0)
    _date_axis(ax)
    _layout(ax, money_ticks([top]), legend_below=True, note_lines=1)
    return ax


def _runs(ax: Any, m: Any, cost: Any, points: int, corner: tuple[Any, float] | None) -> tuple:
    """Every k-th run as a dot at (delivery date, cost), at most ``points`` of them: those inside
    the quadrant left of and below ``corner`` (its date edge and budget; None: no quadrant) in
    colour, the others grey. Returns the dots' dates (datetime64[D]) and costs."""
    step = max(1, -(-cost.iterations // max(1, points)))  # ceil: at most ``points`` runs
    x = m.calendar.finish_dates(m.start, m.samples[::step])
    y = cost.samples[::step]
    inside = np.zeros(len(x), bool) if corner is None else (x < corner[0]) & (y <= corner[1])
    for gid, mask, colour, what in (
        ("runs-inside", inside, COLOURS["line"], "on time and within budget"),
        ("runs-outside", ~inside, COLOURS["bar"], "runs" if corner is None else "other runs"),
    ):
        ax.scatter(x[mask], y[mask], s=7, color=colour, alpha=0.45, lw=0, gid=gid, label=what)
    return x, y


def _frontier(ax: Any, frontier: Sequence[Any], level: float, top: float, right: Any) -> None:
    """The frontier as a staircase from the top of the axes down its steps to the right edge."""
    xs = [_d64(frontier[0].date) + HALF_DAY]
    ys = [top]
    for point, following in zip(frontier, [*frontier[1:], None], strict=True):
        xs.append(_d64(point.date) + HALF_DAY)
        ys.append(point.budget)
        xs.append(right if following is None else _d64(following.date) + HALF_DAY)
        ys.append(point.budget)
    ax.plot(
        xs,
        ys,
        color=COLOURS["emphasis"],
        lw=1.8,
        gid="frontier",
        label=f"{level:g}% joint confidence frontier",
        zorder=3,
    )


def _quadrant(
    ax: Any,
    forecast: Forecast,
    mid: str,
    where: tuple[dt.date, float, float],
    corner: tuple[Any, Any, float],
    off: tuple[str, str],
) -> None:
    """The shaded quadrant "on time and within budget" (``where``: date, budget, JCL; ``corner``:
    its left, right and bottom edges), its two lines (``off``: where each is off the chart, see
    :func:`_off_chart`) and the JCL text."""
    (day, amount, joint), (left, edge, low) = where, corner
    cost = forecast.cost(mid)
    ax.fill_between(
        [left, edge], low, amount, color=COLOURS["band"], alpha=0.18, lw=0, gid="quadrant"
    )
    ax.axvline(
        edge, color=COLOURS["target"], lw=1.4, gid="date", label=f"date {day.isoformat()}{off[0]}"
    )
    ax.axhline(
        amount,
        color=COLOURS["target"],
        lw=1.4,
        ls="--",
        gid="budget",
        label=f"budget {money(amount, cost.currency)}{off[1]}",
    )
    box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85}
    _headline(ax, f"JCL {_pct(joint)} (on time and within budget)", "jcl")
    by_date = forecast.milestone(mid).probability_by(day)
    ax.text(
        0.02,
        0.885,
        f"on time {_pct(by_date)}, within budget {_pct(cost.probability_within(amount))}",
        transform=ax.transAxes,
        va="top",
        fontsize=9,
        gid="marginals",
        zorder=5,
        bbox=box,
    )


def cash_flow_fan(forecast: Forecast, *, ax: Axes | None = None) -> Axes:
    """Cumulative spend over time: the P10-P90 band (gid ``"band"``) and the P50 line (``"p50"``),
    with their final amounts in the legend, and the budget (``"budget"``).

    The spend by the end of each working day (:meth:`~riskcast.forecast.Forecast.cash_flow`) is
    drawn at the end of that day (the start of the next calendar day); the start of the project
    at its first day.

    Parameters
    ----------
    forecast : Forecast
        A forecast of a plan with costs.
    ax : matplotlib.axes.Axes, optional
        Where to draw; None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Dates on x, cumulative spend (currency units) on y.

    Raises
    ------
    ArgumentError
        If the plan has no costs.
    """
    flow = forecast.cash_flow()
    cost = forecast.cost()
    ax = _axes(ax)
    x = flow.dates + (flow.days > 0).astype(np.int64) * ONE_DAY
    low, mid, high = (flow.bands[q] for q in (10.0, 50.0, 90.0))
    end = f"{money(low[-1])} to {money(high[-1])} at the end"
    ax.fill_between(
        x, low, high, color=COLOURS["band"], alpha=0.35, lw=0, gid="band", label=f"P10-P90 ({end})"
    )
    ax.plot(
        x, mid, color=COLOURS["line"], lw=2, gid="p50", label=f"P50 ({money(mid[-1])} at the end)"
    )
    top = float(high.max())
    if cost.budget is not None:
        ax.axhline(
            cost.budget,
            color=COLOURS["target"],
            lw=1.6,
            gid="budget",
            label=f"budget {money(cost.budget, cost.currency)}",
        )
        top = max(top, cost.budget)
    ax.set_ylim(0, top * 1.1)
    ax.set_xlim(x[0] - np.timedelta64(2, "D"), x[-1] + np.timedelta64(2, "D"))
    _money_axis(ax.yaxis)
    ax.set_ylabel(_currency_label("cumulative spend", cost.currency))
    ax.set_title(f"{_drawable(forecast.project_name)}: cumulative spend ({flow.runs:,} runs)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    _date_axis(ax)
    _layout(ax, money_ticks([top]))
    return ax
