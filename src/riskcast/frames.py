"""A forecast's tables as pandas data frames (the ``pandas`` extra) and as HTML for notebooks.

Dates become ``datetime64`` columns (missing: ``NaT``), probabilities stay floats in [0, 1], and
every column keeps the unit its name says (``_days``: working days from the project start).
The HTML needs nothing beyond the standard library: a notebook shows a forecast as its
milestone table even without pandas.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import ArgumentError

if TYPE_CHECKING:
    import pandas as pd

    from .forecast import Forecast

PERCENTILES = (50.0, 80.0, 95.0)


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ArgumentError(
            "data frames need pandas: pip install 'riskcast[pandas]' (or pandas itself)"
        ) from None
    return pandas


def milestone_rows(forecast: Forecast, percentiles: Sequence[float] = PERCENTILES) -> list[dict]:
    """The milestone table (then the project finish), with the cost columns when the plan has
    costs: ``cost_plan``, ``cost_p50`` ... (currency units), ``probability_within_budget`` and
    ``jcl`` (by the target and within the budget; None without a target or a budget)."""
    rows = forecast.summary(tuple(percentiles))
    if not forecast.has_costs:
        return rows
    for row in rows:
        cost = forecast.cost(row["id"])
        row["cost_plan"] = cost.base
        for q in percentiles:
            row[f"cost_p{q:g}"] = cost.percentile(q)
        known = cost.budget is not None
        row["probability_within_budget"] = cost.probability_within() if known else None
        row["jcl"] = forecast.jcl(row["id"]) if known and row["target"] is not None else None
    return rows


def _frame(rows: list[dict[str, Any]], dates: Sequence[str]) -> pd.DataFrame:
    pandas = _pandas()
    frame = pandas.DataFrame(rows)
    for column in dates:
        if column in frame:  # every date is a day: no time zone, no time of day
            frame[column] = pandas.to_datetime(frame[column]).astype("datetime64[s]")
    return frame.set_index("id") if "id" in frame else frame


def milestone_frame(forecast: Forecast, percentiles: Sequence[float] = PERCENTILES):
    """:func:`milestone_rows` as a pandas DataFrame indexed by milestone id (``finish``: the
    project finish); ``target``, ``plan`` and ``p50`` ... are ``datetime64`` columns."""
    dates = ["target", "plan", *(f"p{q:g}" for q in percentiles)]
    return _frame(milestone_rows(forecast, percentiles), dates)


def task_frame(forecast: Forecast):
    """:meth:`Forecast.task_table` as a pandas DataFrame indexed by task id (dates as
    ``datetime64``)."""
    dates = ["plan_start", "plan_finish", "p10_finish", "p50_finish", "p80_finish", "p90_finish"]
    return _frame(forecast.task_table(), dates)


def _cell(value: Any, currency: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.0f}" if currency else f"{value:.3g}"
    return html.escape(str(value))


def forecast_html(forecast: Forecast) -> str:
    """The milestone table of a forecast as an HTML fragment (Jupyter's ``_repr_html_``)."""
    rows = milestone_rows(forecast)
    head = ["milestone", "target", "plan", "P50", "P80", "P95", "on target"]
    money = forecast.has_costs
    if money:
        currency = forecast.cost().currency
        head += [f"cost P50 {currency}".strip(), f"cost P80 {currency}".strip(), "JCL"]
    lines = [
        "<table>",
        f"<caption>{html.escape(forecast.project_name)}: {forecast.iterations:,} runs, "
        f"seed {forecast.seed}</caption>",
        "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead>",
        "<tbody>",
    ]
    for row in rows:
        odds = row["probability_of_target"]
        cells = [
            html.escape(row["name"]),
            _cell(row["target"]),
            _cell(row["plan"]),
            _cell(row["p50"]),
            _cell(row["p80"]),
            _cell(row["p95"]),
            "" if odds is None else f"{odds:.0%}",
        ]
        if money:
            jcl = row["jcl"]
            cells += [
                _cell(row["cost_p50"], True),
                _cell(row["cost_p80"], True),
                "" if jcl is None else f"{jcl:.0%}",
            ]
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)
