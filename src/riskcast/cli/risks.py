"""``riskcast drivers`` (the risks ranked by the working days each adds) and ``riskcast mitigation``
(the forecast before and after the mitigations): both simulate every scenario on the same random
numbers."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from typing import Any

from ._charts import safe_name, save_charts
from ._common import (
    DEFAULT_ITERATIONS,
    add_command,
    add_dask,
    add_format,
    add_iterations,
    add_milestone,
    add_mitigated,
    add_seed,
    add_threads,
    caught_warnings,
    check_milestone,
    check_mitigation,
    confidence,
    dask_executor,
    default_ids,
    fresh_seed,
    load,
    scenario_note,
    simulating,
)
from ._errors import CliError
from ._output import Report, Staging, Streams, deliver, quiet, write_text
from ._text import aligned, days, iso, percent, short

DRIVER_COLUMNS = (
    "rank",
    "id",
    "title",
    "milestone",
    "percentile",
    "days",
    "mean_days",
    "occurred",
    "critical",
)
MITIGATION_PERCENTILES = (50, 80, 95)
COST_UNIT = 1000  # days gained are shown per 1,000 of mitigation cost
MITIGATION_COLUMNS = (
    "id",
    "name",
    "target",
    *(f"{when}_p{q}" for q in MITIGATION_PERCENTILES for when in ("pre", "post")),
    "pre_probability",
    "post_probability",
    *(f"days_gained_p{q}" for q in MITIGATION_PERCENTILES),
    "days_per_1000_p80",
    "mitigation_cost",
)


# -- shared ---------------------------------------------------------------------------------------
def _add_options(p: argparse.ArgumentParser, csv_name: str, charts: str, **mitigated: str) -> None:
    """The options of both commands, in this order; ``mitigated`` goes to ``add_mitigated``."""
    add_iterations(p, "simulated runs per scenario")
    add_seed(
        p,
        "random seed; every scenario uses the same random numbers (default: a fresh seed, "
        "printed so the run can be repeated)",
    )
    add_mitigated(p, **mitigated)
    add_threads(p)
    add_dask(p)
    add_format(p)
    p.add_argument("--out", "-o", metavar="DIR", help=f"write {csv_name} and charts/ here")
    p.add_argument("--no-charts", action="store_true", help=f"do not draw {charts}")
    p.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")


def _analyse(
    args: argparse.Namespace,
    s: Streams,
    analysis: Callable[..., Any],
    report: Callable[[Any], Report],
) -> int:
    """Seed, run ``analysis(iterations=, seed=, threads=, executor=)`` with its warnings as
    notes, and deliver ``report(result)``."""
    value = fresh_seed(args, s, quiet(args))

    def compute() -> Report:
        iterations = args.iterations or DEFAULT_ITERATIONS
        analyse = partial(
            analysis,
            iterations=iterations,
            seed=value,
            threads=args.threads,
            executor=executor,
        )

        def run() -> Any:
            status = simulating(args, s, f"simulating every scenario ({iterations:,} runs each)…")
            try:
                return analyse()
            finally:
                if status is not None:
                    status.close()

        return report(caught_warnings(s, run))

    with dask_executor(args) as executor:
        return deliver(args, s, compute)


def _summary_head(kind: str, args: argparse.Namespace, forecast: Any) -> dict[str, Any]:
    """The first keys of the JSON summary of ``kind`` (drivers, mitigation)."""
    return {
        "format": f"riskcast-{kind}/1",
        "model": args.model,
        "project": forecast.project_name,
        "seed": forecast.seed,
        "iterations": forecast.iterations,
    }


# -- drivers --------------------------------------------------------------------------------------
def parse_drivers(sub: Any) -> None:
    p = add_command(
        sub,
        "drivers",
        cmd_drivers,
        help="rank the risks by the working days each adds to a milestone",
        description="Rank the risks of MODEL by the working days each adds to a milestone's "
        "percentile (default P80 of the project finish): the simulated date minus the date of "
        "the same runs with that risk switched off. Every run uses the same random numbers, so "
        "a difference is the risk's own effect, not Monte Carlo noise. Also shows the days "
        "added to the mean, the share of runs in which the risk occurred, and the share in "
        "which it occurred and hit a task on the critical path. With --out, write "
        "drivers.csv and charts/risk-tornado.png.",
    )
    p.add_argument("model", help="model file (.toml or .json) with [[risk]] entries")
    add_milestone(p, "milestone whose date the risks move (default: the project finish)")
    p.add_argument(
        "--percentile",
        "-p",
        type=confidence,
        default=80.0,
        metavar="Q",
        help="the percentile of the milestone date (default 80)",
    )
    _add_options(p, "drivers.csv", "the tornado chart")


def cmd_drivers(args: argparse.Namespace, s: Streams) -> int:
    from ..drivers import risk_drivers

    project = load(args.model)
    if not project.risks:
        raise CliError(
            f"{args.model}: the model has no [[risk]] entries, so there are no risk drivers to "
            "rank; add a risk register (see the README, 'Risks, correlation and branches')"
        )
    mid = check_milestone(project, args.milestone)
    mitigation = check_mitigation(project, args.mitigated)
    analysis = partial(
        risk_drivers, project, mid, percentile=args.percentile, mitigation=mitigation
    )
    return _analyse(args, s, analysis, lambda result: DriversReport(result, args))


class DriversReport(Report):
    """The risks of ``result`` (:func:`riskcast.drivers.risk_drivers`), largest effect first."""

    columns = DRIVER_COLUMNS

    def __init__(self, result: Any, args: argparse.Namespace):
        self.result, self.args = result, args

    def rows(self) -> list[dict[str, Any]]:
        result = self.result
        return [
            {"rank": k, "milestone": result.milestone, "percentile": result.percentile, **row}
            for k, row in enumerate(result.rows(), start=1)
        ]

    def write(self, staging: Staging) -> None:
        from .. import plotting

        write_text(staging.path("drivers.csv"), self.csv())
        if not self.args.no_charts:
            path = staging.path("charts/risk-tornado.png")
            self.status.show("drawing 1 chart…")
            save_charts([(lambda: plotting.risk_tornado(self.result), path)])

    def table(self) -> str:
        result, forecast = self.result, self.result.forecast
        m = forecast.milestone(result.milestone)
        q = f"P{result.percentile:g}"
        head = ["rank", "risk", "title", f"+days {q}", "+days mean", "occurred", "critical"]
        body = [
            [
                str(row["rank"]),
                row["id"],
                short(row["title"]),
                days(row["days"]),
                days(row["mean_days"]),
                percent(row["occurred"]),
                percent(row["critical"]),
            ]
            for row in self.rows()
        ]
        return "\n".join(
            [
                f"{forecast.project_name} — risk drivers of {m.name} at {q} "
                f"({forecast.iterations:,} runs per risk, seed {forecast.seed}"
                f"{scenario_note(forecast.mitigation)})",
                f"{m.name}: {q} {m.percentile(result.percentile).isoformat()} with every risk, "
                f"plan (CPM) {m.cpm_date.isoformat()}",
                *aligned([head, *body], right=(0, 3, 4, 5, 6)),
                f"+days: working days the risk adds to {q} (and to the mean) of {m.name}, "
                "against the same runs without it (same random numbers, so no sampling noise); "
                "critical: share of runs in which it occurred and hit a critical task",
            ]
        )

    def summary(self) -> dict[str, Any]:
        result, forecast = self.result, self.result.forecast
        m = forecast.milestone(result.milestone)
        keys = ("rank", "id", "title", "days", "mean_days", "occurred", "critical")
        return {
            **_summary_head("drivers", self.args, forecast),
            "mitigation": forecast.mitigation,
            "milestone": m.id,
            "percentile": result.percentile,
            "date": m.percentile(result.percentile).isoformat(),
            "drivers": [{k: row[k] for k in keys} for row in self.rows()],
        }


# -- mitigation -----------------------------------------------------------------------------------
def parse_mitigation(sub: Any) -> None:
    p = add_command(
        sub,
        "mitigation",
        cmd_mitigation,
        help="compare the forecast before and after the risk mitigations",
        description="Simulate MODEL before and after its risk mitigations on the same random "
        "numbers and print, per milestone, the P50/P80/P95 dates and the probability of the "
        "target pre and post, the working days gained at P80 and the days gained per 1,000 "
        "of mitigation cost; then the total cost of the mitigations. With --out, write "
        "mitigation.csv and charts/mitigation-MILESTONE.png (pre and post S-curves).",
    )
    p.add_argument("model", help="model file (.toml or .json) with mitigated [[risk]] entries")
    _add_options(
        p,
        "mitigation.csv",
        "the S-curves",
        default="post",
        help="the mitigations to apply: post (every mitigation, the default) or the ids of the "
        "mitigated risks, separated by commas",
    )


def cmd_mitigation(args: argparse.Namespace, s: Streams) -> int:
    from ..drivers import compare_mitigation

    project = load(args.model)
    if not any(r.mitigation is not None for r in project.risks):
        what = "no [[risk]] entries" if not project.risks else "no risk with a mitigation"
        raise CliError(
            f"{args.model}: the model has {what}, so there is nothing to compare; give a risk "
            "mitigation = { probability = ..., impacts = [...], cost = ... }"
        )
    chosen = check_mitigation(project, args.mitigated, allow_pre=False)
    analysis = partial(
        compare_mitigation,
        project,
        mitigated=True if chosen == "post" else chosen,
        percentiles=MITIGATION_PERCENTILES,
    )
    return _analyse(args, s, analysis, lambda result: MitigationReport(project, result, args))


class MitigationReport(Report):
    """``comparison`` (:func:`riskcast.drivers.compare_mitigation`): per milestone, the forecast
    before and after the mitigations of ``project``."""

    columns = MITIGATION_COLUMNS

    def __init__(self, project: Any, comparison: Any, args: argparse.Namespace):
        self.project, self.comparison, self.args = project, comparison, args

    def rows(self) -> list[dict[str, Any]]:
        """One row per milestone (and the project finish when it differs from every milestone);
        days gained in working days."""
        comparison = self.comparison
        shown = set(default_ids(comparison.pre))
        rows = []
        for r in comparison.rows:
            if r.id not in shown:
                continue
            row: dict[str, Any] = {"id": r.id, "name": r.name, "target": r.target}
            for q in MITIGATION_PERCENTILES:
                row[f"pre_p{q}"], row[f"post_p{q}"] = r.pre[q], r.post[q]
            row["pre_probability"], row["post_probability"] = r.pre_probability, r.post_probability
            for q in MITIGATION_PERCENTILES:
                row[f"days_gained_p{q}"] = r.days_gained[q]
            per_cost = r.days_per_cost[80]
            row["days_per_1000_p80"] = None if per_cost is None else per_cost * COST_UNIT
            row["mitigation_cost"] = comparison.cost
            rows.append(row)
        return rows

    def write(self, staging: Staging) -> None:
        from .. import plotting

        rows = self.rows()
        write_text(staging.path("mitigation.csv"), self.csv())
        if not self.args.no_charts:
            self.status.show(f"drawing {len(rows)} chart{'s' if len(rows) != 1 else ''}…")
            save_charts(
                [
                    (
                        lambda mid=row["id"]: plotting.mitigation_scurves(self.comparison, mid),
                        staging.path(f"charts/mitigation-{safe_name(row['id'])}.png"),
                    )
                    for row in rows
                ]
            )

    def _costs(self) -> list[tuple[str, float]]:
        """``(risk id, cost)`` of each mitigation applied, in model order."""
        mitigated = self.comparison.mitigated
        return [
            (r.id, r.mitigation.cost)
            for r in self.project.risks
            if r.id in mitigated and r.mitigation is not None
        ]

    def table(self) -> str:
        comparison = self.comparison
        pre = comparison.pre
        n = len(comparison.mitigated)
        head = [
            "milestone",
            "target",
            "",
            *(f"P{q}" for q in MITIGATION_PERCENTILES),
            "on target",
            "gained P80",
            "per 1,000",
        ]
        body = []
        for row in self.rows():
            per_cost = row["days_per_1000_p80"]
            target = row["target"].isoformat() if row["target"] else "-"
            for when in ("pre", "post"):
                first = when == "pre"
                body.append(
                    [
                        row["name"] if first else "",
                        target if first else "",
                        when,
                        *(row[f"{when}_p{q}"].isoformat() for q in MITIGATION_PERCENTILES),
                        percent(row[f"{when}_probability"]),
                        "" if first else f"{days(row['days_gained_p80'])}d",
                        "" if first or per_cost is None else f"{per_cost:+.2f}d",
                    ]
                )
        costs = ", ".join(f"{rid} {_money(c)}" for rid, c in self._costs())
        return "\n".join(
            [
                f"{pre.project_name} — before and after {n} mitigation{'s' if n != 1 else ''} "
                f"({pre.iterations:,} runs each, seed {pre.seed}, same random numbers)",
                *aligned([head, *body], right=(6, 7, 8)),
                f"total mitigation cost: {_money(comparison.cost)} ({costs})",
                "gained P80: working days earlier at P80 after mitigation; per 1,000: days "
                "gained per 1,000 of mitigation cost",
            ]
        )

    def summary(self) -> dict[str, Any]:
        comparison = self.comparison
        milestones = [
            {
                "id": row["id"],
                "name": row["name"],
                "target": iso(row["target"]),
                "pre": {f"{q}": iso(row[f"pre_p{q}"]) for q in MITIGATION_PERCENTILES},
                "post": {f"{q}": iso(row[f"post_p{q}"]) for q in MITIGATION_PERCENTILES},
                "pre_probability": row["pre_probability"],
                "post_probability": row["post_probability"],
                "days_gained": {f"{q}": row[f"days_gained_p{q}"] for q in MITIGATION_PERCENTILES},
                "days_per_1000_p80": row["days_per_1000_p80"],
            }
            for row in self.rows()
        ]
        return {
            **_summary_head("mitigation", self.args, comparison.pre),
            "mitigated": list(comparison.mitigated),
            "cost": comparison.cost,
            "costs": dict(self._costs()),
            "milestones": milestones,
        }


def _money(value: float) -> str:
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"
