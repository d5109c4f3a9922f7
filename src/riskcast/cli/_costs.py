"""The cost side of ``riskcast run`` for a plan with costs: the cost table under the milestone
table, cost columns in milestones.csv and ``--format csv``, cost keys in ``--format json``,
cashflow.csv and the cost charts. Amounts are in the project's currency units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._charts import Chart, safe_name
from ._output import Staging, write_text
from ._text import aligned, csv_text, percent

CASH_FLOW_COLUMNS = ("days", "date", "p10", "p50", "p90")


def amount(value: float) -> str:
    """Whole currency units with thousands separators."""
    return f"{value:,.0f}"


def whole(value: float) -> int:
    """An amount for a CSV cell: whole currency units (a float cell keeps 6 digits)."""
    return round(value)


def joint(forecast: Any, mid: str) -> float | None:
    """The JCL of milestone ``mid`` at its target and the project budget; None without either."""
    if forecast.milestone(mid).target is None or forecast.cost(mid).budget is None:
        return None
    return forecast.jcl(mid)


def cost_columns(percentiles: Sequence[float]) -> list[str]:
    """The cost columns of milestones.csv and ``--format csv``."""
    return [
        "cost_plan",
        *(f"cost_p{q:g}" for q in percentiles),
        "cost_mean",
        "cost_sd",
        "probability_within_budget",
        "jcl",
    ]


def cost_row(forecast: Any, mid: str, percentiles: Sequence[float]) -> dict[str, Any]:
    """Milestone ``mid``'s values of :func:`cost_columns` (whole currency units, shares of
    runs)."""
    cost = forecast.cost(mid)
    return {
        "cost_plan": whole(cost.base),
        **{f"cost_p{q:g}": whole(cost.percentile(q)) for q in percentiles},
        "cost_mean": whole(cost.mean),
        "cost_sd": whole(cost.sd),
        "probability_within_budget": None if cost.budget is None else cost.probability_within(),
        "jcl": joint(forecast, mid),
    }


def cost_table(forecast: Any, ids: Sequence[str], percentiles: Sequence[float]) -> list[str]:
    """The cost table: per milestone the plan cost, the cost percentiles, the share of runs
    within the budget and the JCL at the target and the budget."""
    first = forecast.cost(ids[0])
    unit = f"costs in {first.currency}" if first.currency else "costs"
    budget = "no budget" if first.budget is None else f"budget {amount(first.budget)}"
    head = ["milestone", "plan cost", *(f"P{q:g}" for q in percentiles), "within budget", "JCL"]
    body = []
    for mid in ids:
        cost = forecast.cost(mid)
        within = None if cost.budget is None else cost.probability_within()
        body.append(
            [
                forecast.milestone(mid).name,
                amount(cost.base),
                *(amount(cost.percentile(q)) for q in percentiles),
                percent(within),
                percent(joint(forecast, mid)),
            ]
        )
    return [
        f"{unit} ({budget}):",
        *aligned([head, *body], right=range(1, len(head))),
        "cost: of all the work up to the milestone; within budget: share of runs costing at most "
        "the budget;",
        "JCL (joint confidence level): share of runs delivered by the target and within budget",
    ]


def cost_summary(
    forecast: Any, mid: str, percentiles: Sequence[float], confidence: float
) -> dict[str, Any]:
    """The ``cost`` entry of a milestone in ``--format json``."""
    cost = forecast.cost(mid)
    return {
        "plan": cost.base,
        "percentiles": {f"{q:g}": cost.percentile(q) for q in percentiles},
        "mean": cost.mean,
        "sd": cost.sd,
        "probability_within_budget": None if cost.budget is None else cost.probability_within(),
        "jcl": joint(forecast, mid),
        "contingency": {
            f"{confidence:g}": {
                "cost": cost.contingency(confidence),
                "schedule_days": forecast.schedule_contingency(mid, confidence),
            }
        },
    }


def write_cash_flow(forecast: Any, staging: Staging) -> None:
    """cashflow.csv: per time step (working days from the start, and the date it ends on) the
    cumulative spend P10/P50/P90, whole currency units."""
    flow = forecast.cash_flow()
    rows = [
        {
            "date": str(date),
            "days": float(days),
            **{f"p{q:g}": whole(flow.bands[q][k]) for q in (10.0, 50.0, 90.0)},
        }
        for k, (date, days) in enumerate(zip(flow.dates, flow.days, strict=True))
    ]
    write_text(staging.path("cashflow.csv"), csv_text(rows, CASH_FLOW_COLUMNS))


def cost_charts(forecast: Any, ids: Sequence[str], staging: Staging, fmt: str) -> list[Chart]:
    """Per milestone its cost S-curve and JCL scatter, and the cash-flow fan."""
    from .. import cost_plots

    jobs: list[Chart] = []
    for mid in ids:
        name = safe_name(mid)
        jobs += [
            (
                lambda mid=mid: cost_plots.cost_scurve(forecast, mid),
                staging.path(f"charts/cost-scurve-{name}.{fmt}"),
            ),
            (
                lambda mid=mid: cost_plots.jcl_scatter(forecast, mid),
                staging.path(f"charts/jcl-{name}.{fmt}"),
            ),
        ]
    jobs.append(
        (lambda: cost_plots.cash_flow_fan(forecast), staging.path(f"charts/cash-flow.{fmt}"))
    )
    return jobs
