"""``riskcast jcl``: the joint cost-schedule confidence of a milestone (JCL: the share of runs
delivered by a date AND within a budget), its two marginals, the cheapest budget for the date at
a confidence level, and the frontier of (date, budget) pairs at that level."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
from typing import Any

from ._charts import safe_name, save_charts
from ._common import (
    _number,
    add_command,
    add_format,
    add_iterations,
    add_milestone,
    add_mitigated,
    add_seed,
    add_threads,
    check_milestone,
    check_mitigation,
    load,
    scenario_note,
    simulate,
)
from ._costs import amount, whole
from ._errors import CliError
from ._output import Report, Staging, Streams, deliver, quiet, write_text
from ._text import aligned, iso, percent

FRONTIER_COLUMNS = ("date", "budget")
FRONTIER_ROWS = 8  # the table shows at most this many frontier points (the CSV all of them)
NO_COSTS = (
    "has no costs, so there is no joint confidence to compute: give tasks a cost "
    "(cost = { fixed = ..., rate = ... }), resources a rate, risk impacts a cost or the "
    "project an [[overhead]]"
)


def parse_jcl(sub: Any) -> None:
    p = add_command(
        sub,
        "jcl",
        cmd_jcl,
        help="joint confidence of delivering a milestone by a date and within a budget",
        description="Simulate MODEL (a plan with costs) and print the joint confidence level "
        "(JCL) of a milestone: the share of runs delivered by --date AND costing at most "
        "--budget, next to the share on time and the share within budget; then the cheapest "
        "budget that reaches --confidence (default 70%) by that date, and the frontier: for "
        "each delivery date, the cheapest budget at that confidence. With --out, write "
        "jcl.csv (the frontier) and charts/jcl-MILESTONE.png (each run's date and cost).",
    )
    p.add_argument("model", help="model file (.toml or .json) with costs")
    add_milestone(p, "the milestone (default: the project finish)")
    p.add_argument(
        "--date",
        "-d",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="delivery date (default: the milestone's target)",
    )
    p.add_argument(
        "--budget",
        "-b",
        type=budget_amount,
        metavar="AMOUNT",
        help="budget in the project's currency, e.g. 2550000 or 2,550,000 (default: the "
        "project's budget)",
    )
    p.add_argument(
        "--confidence",
        "-c",
        type=joint_level,
        default=70.0,
        metavar="P",
        help="joint confidence level of the cheapest budget and the frontier, a percentage in "
        "(0, 100] (default 70)",
    )
    add_iterations(p)
    add_seed(
        p,
        "random seed; the same seed gives identical results (default: a fresh seed, printed so "
        "the run can be repeated)",
    )
    add_mitigated(p)
    add_threads(p)
    add_format(p)
    p.add_argument(
        "--out", "-o", metavar="DIR", help="write jcl.csv and charts/jcl-MILESTONE.png here"
    )
    p.add_argument("--no-charts", action="store_true", help="do not draw the scatter chart")
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no notes on stderr"
    )


def iso_date(text: str) -> dt.date:
    """``--date``: a calendar date, YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def budget_amount(text: str) -> float:
    """``--budget``: a positive, finite amount; ``_`` and thousands commas allowed."""
    cleaned = text.strip().replace("_", "")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d*)?", cleaned):
        cleaned = cleaned.replace(",", "")
    value = _number(cleaned, float, "an amount such as 2550000 or 2,550,000")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive amount of money, got {text}")
    return value


def joint_level(text: str) -> float:
    """``--confidence``: a percentage in (0, 100]."""
    value = _number(text, float, "a percentage such as 70")
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(f"must be a percentage in (0, 100], got {text}")
    return value


def cmd_jcl(args: argparse.Namespace, s: Streams) -> int:
    from ..costs import has_costs

    project = load(args.model)
    mid = check_milestone(project, args.milestone)
    if not has_costs(project):
        raise CliError(f"{args.model} {NO_COSTS}")
    targets = {m.id: m.target for m in project.milestones}
    date = args.date or targets.get(mid)
    if date is None:
        what = f'milestone "{mid}"' if mid in targets else "the project finish"
        dated = [m for m, target in targets.items() if target is not None]
        hint = f", or a --milestone with a target ({', '.join(dated)})" if dated else ""
        raise CliError(f"give --date{hint}: {what} has no target date to default to")
    budget = project.budget if args.budget is None else args.budget
    if budget is None:
        raise CliError("give --budget: the model has no budget to default to ([project] budget)")
    args.mitigation = check_mitigation(project, args.mitigated)

    def compute() -> Report:
        forecast = simulate(project, args, s, quiet(args))
        return JclReport(forecast, mid, date, budget, args)

    return deliver(args, s, compute)


class JclReport(Report):
    """The JCL of milestone ``mid`` at ``date`` and ``budget``, with the frontier at
    ``args.confidence``."""

    columns = FRONTIER_COLUMNS

    def __init__(
        self, forecast: Any, mid: str, date: dt.date, budget: float, args: argparse.Namespace
    ):
        self.forecast, self.mid, self.date, self.budget, self.args = (
            forecast,
            mid,
            date,
            budget,
            args,
        )
        self.level: float = args.confidence
        self.milestone = forecast.milestone(mid)
        self.cost = forecast.cost(mid)
        self.jcl = forecast.jcl(mid, date, budget)
        self.on_time = self.milestone.probability_by(date)
        self.within = self.cost.probability_within(budget)
        self.cheapest = forecast.cheapest_budget(mid, date, self.level)
        self.frontier = forecast.jcl_frontier(mid, self.level)

    def rows(self) -> list[dict[str, Any]]:
        return [{"date": p.date, "budget": whole(p.budget)} for p in self.frontier]

    def table(self) -> str:
        forecast, level = self.forecast, self.level
        currency = f" {self.cost.currency}" if self.cost.currency else ""
        money = f"{amount(self.budget)}{currency}"
        facts = [
            ["JCL: on time and within budget", percent(self.jcl)],
            [f"on time (delivered by {self.date.isoformat()})", percent(self.on_time)],
            [f"within budget ({money})", percent(self.within)],
        ]
        lines = [
            f"{forecast.project_name} — joint confidence of {self.milestone.name} "
            f"({forecast.iterations:,} runs, seed {forecast.seed}"
            f"{scenario_note(forecast.mitigation)})",
            *("  " + line for line in aligned(facts, right=(1,))),
            "",
            f"cheapest budget for {level:g}% by {self.date.isoformat()}: "
            + (
                f"{amount(self.cheapest)}{currency}"
                if self.cheapest is not None
                else f"none (only {percent(self.on_time)} of the runs deliver by then)"
            ),
        ]
        if not self.frontier:
            return "\n".join([*lines, f"no delivery date reaches {level:g}% in these runs"])
        shown = _shortened(self.frontier, FRONTIER_ROWS)
        rows = [
            ["delivered by", f"budget ({self.cost.currency})" if self.cost.currency else "budget"]
        ]
        rows += [[p.date.isoformat(), amount(p.budget)] for p in shown]
        lines += [
            "",
            f"{level:g}% frontier: the cheapest budget for each delivery date",
            *aligned(rows, right=(1,)),
        ]
        if len(shown) < len(self.frontier):
            lines.insert(
                -1, f"… {len(self.frontier) - len(shown)} more dates (--format csv lists them all)"
            )
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        forecast, m = self.forecast, self.milestone
        return {
            "format": "riskcast-jcl/1",
            "model": self.args.model,
            "project": forecast.project_name,
            "seed": forecast.seed,
            "iterations": forecast.iterations,
            "mitigation": forecast.mitigation,
            "milestone": {"id": m.id, "name": m.name, "target": iso(m.target)},
            "date": iso(self.date),
            "budget": self.budget,
            "currency": self.cost.currency,
            "confidence": self.level,
            "jcl": self.jcl,
            "probability_by_date": self.on_time,
            "probability_within_budget": self.within,
            "cheapest_budget": self.cheapest,
            "frontier": [{"date": iso(p.date), "budget": p.budget} for p in self.frontier],
        }

    def write(self, staging: Staging) -> None:
        write_text(staging.path("jcl.csv"), self.csv())
        if self.args.no_charts:
            return
        from .. import cost_plots

        path = staging.path(f"charts/jcl-{safe_name(self.mid)}.png")
        self.status.show("drawing the chart…")
        save_charts(
            [
                (
                    lambda: cost_plots.jcl_scatter(
                        self.forecast,
                        self.mid,
                        date=self.date,
                        budget=self.budget,
                        level=self.level,
                    ),
                    path,
                )
            ]
        )


def _shortened(points: list[Any], most: int) -> list[Any]:
    """At most ``most`` frontier points: the first ones, where each day later saves the most,
    and the last, the floor no later date goes below."""
    return points if len(points) <= most else [*points[: most - 1], points[-1]]
