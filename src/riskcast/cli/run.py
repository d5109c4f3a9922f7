"""``riskcast run``: simulate a model; milestone confidence table, files and charts."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._charts import Chart, safe_name, save_charts
from ._common import (
    add_command,
    add_dask,
    add_format,
    add_iterations,
    add_levelling,
    add_mitigated,
    add_seed,
    add_threads,
    check_milestones,
    check_mitigation,
    confidence,
    dask_executor,
    default_ids,
    load,
    positive_float,
    scenario_note,
    simulate,
)
from ._costs import cost_charts, cost_columns, cost_row, cost_summary, cost_table, write_cash_flow
from ._errors import CliError
from ._gate import EXIT_GATE, Gate, failures, gate_spec
from ._output import Report, Staging, Streams, deliver, quiet, write_text
from ._text import aligned, csv_text, iso, percent, short
from .calibrate import calibrated_plan, calibration_lines

PERCENTILES = (50, 80, 95)
GANTT_ROWS = 40  # a Gantt chart stops being readable (and gets slow to draw) beyond this

TASK_EXPORT_COLUMNS = (
    "id",
    "name",
    "plan_start",
    "plan_finish",
    "p50_finish",
    "p80_finish",
    "criticality",
    "sensitivity",
)
# Tags the importers set: the id users see in MS Project (ID) or P6 (activity ID), and the
# tool's unique id (MS Project UID, P6 internal task id).
SOURCE_ID_COLUMNS = ("source_id", "source_uid")
TASK_COLUMNS = (
    "id",
    "name",
    "plan_start",
    "plan_finish",
    "p10_finish",
    "p50_finish",
    "p80_finish",
    "p90_finish",
    "mean_start_days",
    "mean_finish_days",
    "mean_duration_days",
    "sd_duration_days",
    "criticality",
    "sensitivity",
)


def parse_run(sub: Any) -> None:
    p = add_command(
        sub,
        "run",
        cmd_run,
        help="simulate a model: milestone confidence table, files and charts",
        description="Simulate MODEL and print each milestone's plan (CPM) date, P-dates and the "
        "probability of meeting its target; when the model has risks, also each risk's share "
        "of runs in which it occurred and in which it hit the critical path; when it has "
        "costs, each milestone's plan cost, cost percentiles, the share of runs within the "
        "budget and the joint confidence (JCL) of the target and the budget. --mitigated "
        "chooses the risk scenario (before or after the mitigations). With --out, also write "
        "forecast.json, milestones.csv, tasks.csv (and cashflow.csv with costs) and charts/. "
        "With --fail-below, exit 1 when a milestone is unlikely to meet its target (a CI gate).",
    )
    p.add_argument("model", help="model file (.toml or .json)")
    size = p.add_mutually_exclusive_group()
    add_iterations(size)
    size.add_argument(
        "--precision",
        type=positive_float,
        metavar="DAYS",
        help="run until every milestone's percentile of --confidence (default P80) is known to "
        "+/- DAYS working days (95%% Monte Carlo interval)",
    )
    add_seed(
        p,
        "random seed; the same seed gives identical results (default: a fresh seed, printed so "
        "the run can be repeated)",
    )
    p.add_argument(
        "--out",
        "-o",
        metavar="DIR",
        help="write forecast.json, milestones.csv, tasks.csv and charts/ here",
    )
    p.add_argument(
        "--no-samples",
        action="store_true",
        help="write forecast.json in its compact form: each milestone's finishes as a "
        "day-aligned histogram (dates and probabilities exact, percentiles within one bin) and "
        "costs as per-milestone summaries, instead of every run (a much smaller file)",
    )
    p.add_argument(
        "--milestone",
        "-m",
        action="append",
        metavar="ID",
        help="show only this milestone (repeatable; 'finish' is the project finish)",
    )
    p.add_argument(
        "--confidence",
        type=confidence,
        default=80.0,
        metavar="P",
        help="the percentile emphasised in the table and charts (default 80)",
    )
    add_format(p)
    p.add_argument("--no-charts", action="store_true", help="do not draw charts")
    p.add_argument(
        "--chart-format",
        choices=("png", "svg"),
        default="png",
        help="chart file format (default png)",
    )
    p.add_argument(
        "--export",
        metavar="FILE",
        help="write a per-task CSV (plan dates, P50/P80 finish, criticality, "
        "sensitivity) to paste into a scheduling tool",
    )
    p.add_argument(
        "--fail-below",
        type=gate_spec,
        action="append",
        metavar="[ID=]P",
        help="exit 1 when a milestone's probability of meeting its target is below P percent, "
        "after printing and writing the forecast: a plain P gates every milestone shown that "
        "has a target, ID=P one milestone (repeatable, or separated by commas: "
        "ga=80,beta=60; a named threshold overrides the plain one)",
    )
    history = p.add_mutually_exclusive_group()
    history.add_argument(
        "--history",
        metavar="PATH",
        help="record the forecast in this history file (default: $RISKCAST_HISTORY, else "
        ".riskcast/history.sqlite beside the model; see riskcast history)",
    )
    history.add_argument(
        "--no-history", action="store_true", help="do not record this forecast in the history"
    )
    add_threads(p)
    add_dask(p)
    add_mitigated(p)
    add_levelling(p)
    p.add_argument(
        "--calibration",
        metavar="FILE",
        help="also simulate the plan calibrated by this file (riskcast calibrate) and show its "
        "P50/P80 beside the plan's own; files and history keep the plan's own forecast",
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no notes on stderr"
    )


def _record(args: argparse.Namespace, s: Streams, forecast: Any) -> None:
    """Record the forecast in the history; a history that cannot take it is a warning, never a
    failed run (the forecast itself is delivered)."""
    from ..history import History, HistoryError, default_path

    path = args.history or default_path(args.model)
    try:
        with History(path) as history:
            history.record(forecast, model_path=args.model)
    except HistoryError as exc:
        print(f"warning: forecast not recorded in the history: {exc}", file=s.err)


def cmd_run(args: argparse.Namespace, s: Streams) -> int:
    project = load(args.model)
    wanted = check_milestones(project, args.milestone)
    args.mitigation = check_mitigation(project, args.mitigated)
    if args.export and Path(args.export).is_dir():
        raise CliError(f"{args.export}: is a folder; --export takes a CSV file name")
    gate = Gate.from_options(args.fail_below)
    # checked before simulating: a bad gate fails at once, not after the run
    shown = wanted or [m.id for m in project.milestones]
    thresholds = {} if gate is None else gate.thresholds(project, shown)
    forecasts = []  # the one compute() makes, for the gate once the output is delivered
    calibrated = calibrated_plan(project, args.calibration) if args.calibration else None

    def compute() -> Report:
        forecast = simulate(project, args, s, quiet(args))
        forecasts.append(forecast)
        report = RunReport(forecast, wanted or default_ids(forecast), args)
        report.groups = _portfolio_groups(args.model, forecast)
        if calibrated is not None:  # the same seed: the plan's own draws are shared
            args.seed = forecast.seed
            report.calibrated = (simulate(calibrated[0], args, s, True), *calibrated[1:])
        report.source_ids = {
            t.id: {k: t.tags[k] for k in SOURCE_ID_COLUMNS if k in t.tags} for t in project.tasks
        }
        return report

    # The cluster (a local one is started here) lives as long as the simulations need it.
    with dask_executor(args) as args.executor:
        code = deliver(args, s, compute)
    if forecasts and not args.no_history:
        _record(args, s, forecasts[0])
    failed = failures(thresholds, forecasts[0]) if thresholds else []
    for line in failed:
        print(line, file=s.err)
    return EXIT_GATE if failed else code


def _percentiles(confidence: float) -> list[float]:
    return sorted({*PERCENTILES, confidence})


class RunReport(Report):
    """The milestones ``ids`` of ``forecast``, with ``args.confidence`` emphasised."""

    def __init__(self, forecast: Any, ids: Sequence[str], args: argparse.Namespace):
        self.forecast, self.ids, self.args = forecast, ids, args
        # The ids the task has in the tool it was imported from (tags source_id, source_uid).
        self.source_ids: dict[str, dict[str, str]] = {}
        # A portfolio's roadmap chart headings (products, else projects) -> milestone ids.
        self.groups: dict[str, list[str]] | None = None
        # With --calibration: (calibrated forecast, calibration, tasks calibrated).
        self.calibrated: tuple[Any, Any, int] | None = None
        self.confidence: float = args.confidence
        c = f"p{self.confidence:g}"
        self.columns = [
            "id",
            "name",
            "target",
            "plan",
            *(f"p{q:g}" for q in _percentiles(self.confidence)),
            f"{c}_low",
            f"{c}_high",
            "probability_of_target",
            "mean_days",
            "sd_days",
        ]
        if forecast.has_costs:
            self.columns += cost_columns(_percentiles(self.confidence))

    def rows(self) -> list[dict[str, Any]]:
        conf = self.confidence
        rows = []
        for mid in self.ids:
            m = self.forecast.milestone(mid)
            row: dict[str, Any] = {
                "id": m.id,
                "name": m.name,
                "target": m.target,
                "plan": m.cpm_date,
            }
            for q in _percentiles(conf):
                row[f"p{q:g}"] = m.percentile(q)
            lo, hi = m.percentile_interval(conf)
            row[f"p{conf:g}_low"], row[f"p{conf:g}_high"] = lo, hi
            row["probability_of_target"] = m.target_probability
            row["mean_days"], row["sd_days"] = m.mean_days, m.sd_days
            if self.forecast.has_costs:
                row.update(cost_row(self.forecast, mid, _percentiles(conf)))
            rows.append(row)
        return rows

    def write(self, staging: Staging) -> None:
        forecast = self.forecast
        write_text(
            staging.path("forecast.json"), forecast.to_json(samples=not self.args.no_samples)
        )
        write_text(staging.path("milestones.csv"), self.csv())
        self.status.show("computing the task statistics…")
        write_text(staging.path("tasks.csv"), csv_text(forecast.task_table(), TASK_COLUMNS))
        if forecast.has_costs:
            write_cash_flow(forecast, staging)
        if not self.args.no_charts:
            self._draw_charts(staging)

    def extra_files(self) -> list[tuple[Path, str]]:
        if not self.args.export:
            return []
        rows = self.forecast.task_table()
        found = {k for ids in self.source_ids.values() for k in ids}
        columns = list(TASK_EXPORT_COLUMNS)
        if found:  # an imported schedule: the tool's own ids next to riskcast's
            columns[1:1] = [k for k in SOURCE_ID_COLUMNS if k in found]
            rows = [{**row, **self.source_ids.get(row["id"], {})} for row in rows]
        return [(Path(self.args.export), csv_text(rows, columns))]

    def _resource_delay(self) -> list[str]:
        """The same runs without resource limits, side by side: the delay the limits cause;
        and per pool, how often it held back a critical task."""
        forecast, conf = self.forecast, self.confidence
        pools = [["pool", "held back a critical task (share of runs)"]]
        pools += [
            [short(p, 30), percent(share)] for p, share in forecast.resource_criticality().items()
        ]
        rows = [["milestone", f"P{conf:g} levelled", f"P{conf:g} unlimited", "delay"]]
        for mid in self.ids:
            m, free = forecast.milestone(mid), forecast.unlevelled.milestone(mid)
            delay = m.percentile_days(conf) - free.percentile_days(conf)
            rows.append(
                [
                    m.name,
                    m.percentile(conf).isoformat(),
                    free.percentile(conf).isoformat(),
                    f"{delay:+.1f} d",
                ]
            )
        return [
            "resource limits (the same runs without them):",
            *aligned(rows),
            "",
            *aligned(pools),
        ]

    def table(self) -> str:
        forecast, conf = self.forecast, self.confidence
        qs = _percentiles(conf)
        head = [
            "milestone",
            "target",
            "plan (CPM)",
            *(f"P{q:g}" for q in qs),
            f"P{conf:g} CI",
            "on target",
        ]
        body = []
        for mid in self.ids:
            m = forecast.milestone(mid)
            body.append(
                [
                    m.name,
                    m.target.isoformat() if m.target else "-",
                    m.cpm_date.isoformat(),
                    *(m.percentile(q).isoformat() for q in qs),
                    _ci_days(m, conf),
                    percent(m.target_probability),
                ]
            )
        size = f"{forecast.iterations:,} runs"
        if self.args.precision is not None:
            size += f" (P{self.confidence:g} to ±{self.args.precision:g} working days)"
        lines = [
            f"{forecast.project_name} — {size}, seed {forecast.seed}, plan start "
            f"{forecast.start.isoformat()}{scenario_note(forecast.mitigation)}",
            *aligned([head, *body]),
            f"P{conf:g} CI: 95% Monte Carlo interval (working days); "
            "on target: share of runs delivered by the target",
        ]
        if forecast.has_costs:
            lines += ["", *cost_table(forecast, self.ids, qs)]
        if forecast.status_date is not None:
            lines.insert(1, f"forecast from the status date {forecast.status_date.isoformat()}")
        if forecast.levelling is not None:
            scheme, rule = forecast.levelling
            lines.insert(1, f"resources levelled in every run ({scheme} scheme, {rule} priority)")
        if forecast.unlevelled is not None:
            lines += ["", *self._resource_delay()]
        misses = forecast.constraint_misses()
        if misses:
            rows = [["task", "constraint", "date", "plan", "runs missing it"]]
            rows += [
                [
                    short(row["id"], 30),
                    row["constraint"].replace("_", " "),
                    row["date"].isoformat(),
                    "missed" if row["plan_missed"] else "met",
                    percent(row["share"]),
                ]
                for row in misses
            ]
            lines += ["", "Late constraints (dates are never moved to meet them):", *aligned(rows)]
        if forecast.risk_ids:
            lines += ["", *_risk_table(forecast, self.ids[0])]
        if self.calibrated is not None:
            lines += ["", *calibration_lines(forecast, self.ids, *self.calibrated)]
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        forecast, conf = self.forecast, self.confidence
        milestones = []
        for mid in self.ids:
            m = forecast.milestone(mid)
            milestones.append(
                {
                    "id": m.id,
                    "name": m.name,
                    "target": iso(m.target),
                    "plan": iso(m.cpm_date),
                    "percentiles": {f"{q:g}": iso(m.percentile(q)) for q in _percentiles(conf)},
                    "confidence_interval": {
                        f"{conf:g}": [iso(d) for d in m.percentile_interval(conf)]
                    },
                    "probability_of_target": m.target_probability,
                    "mean_days": m.mean_days,
                    "sd_days": m.sd_days,
                }
            )
            if forecast.has_costs:
                milestones[-1]["cost"] = cost_summary(forecast, mid, _percentiles(conf), conf)
        costs = {}
        if forecast.has_costs:
            first = forecast.cost(self.ids[0])
            costs = {"currency": first.currency, "budget": first.budget}
        return {
            "format": "riskcast-run/1",
            "model": self.args.model,
            "project": forecast.project_name,
            "start": iso(forecast.start),
            "seed": forecast.seed,
            "iterations": forecast.iterations,
            "precision": self.args.precision,
            "confidence": conf,
            "mitigation": forecast.mitigation,
            "levelling": None
            if forecast.levelling is None
            else dict(zip(("scheme", "priority"), forecast.levelling, strict=True)),
            "milestones": milestones,
            **costs,
            "status_date": iso(forecast.status_date),
            "constraints": [
                {**row, "date": iso(row["date"])} for row in forecast.constraint_misses()
            ],
            "risks": [
                {
                    "id": rid,
                    "title": title,
                    "occurred": forecast.risk_occurrence()[rid],
                    "critical": {mid: forecast.risk_criticality(mid)[rid] for mid in self.ids},
                }
                for rid, title in zip(forecast.risk_ids, forecast.risk_titles, strict=True)
            ],
            **self._calibration_summary(),
        }

    def _calibration_summary(self) -> dict[str, Any]:
        """With --calibration: the calibrated P50 and P80 of each milestone shown."""
        if self.calibrated is None:
            return {}
        calibrated, calibration, tasks = self.calibrated
        return {
            "calibration": {
                "file": self.args.calibration,
                "items": calibration.items,
                "projects": calibration.projects,
                "tasks": tasks,
                "milestones": {
                    mid: {f"p{q}": iso(calibrated.milestone(mid).percentile(q)) for q in (50, 80)}
                    for mid in self.ids
                },
            }
        }

    def _draw_charts(self, staging: Staging) -> None:
        from .. import plotting

        forecast, ids, conf = self.forecast, self.ids, self.confidence
        fmt = self.args.chart_format
        milestones = [i for i in ids if i != "finish"] or list(ids)
        groups = _shown_groups(self.groups, milestones)
        jobs: list[Chart] = [
            (
                lambda: plotting.roadmap(forecast, None if groups else milestones, groups=groups),
                staging.path(f"charts/roadmap.{fmt}"),
            )
        ]
        for mid in ids:
            name = safe_name(mid)
            jobs += [
                (
                    lambda mid=mid: plotting.scurve(forecast, mid, confidence=conf),
                    staging.path(f"charts/scurve-{name}.{fmt}"),
                ),
                (
                    lambda mid=mid: plotting.histogram(forecast, mid),
                    staging.path(f"charts/histogram-{name}.{fmt}"),
                ),
                (
                    lambda mid=mid: plotting.tornado(forecast, mid),
                    staging.path(f"charts/tornado-{name}.{fmt}"),
                ),
            ]
        jobs.append(
            (
                lambda: plotting.gantt(forecast, _gantt_tasks(forecast)),
                staging.path(f"charts/gantt.{fmt}"),
            )
        )
        if forecast.pools is not None:  # levelled: each pool's usage, and with / without limits
            for pool in forecast.pools.usage:
                jobs.append(
                    (
                        lambda pool=pool: plotting.resource_usage(forecast, pool),
                        staging.path(f"charts/usage-{safe_name(pool)}.{fmt}"),
                    )
                )
            for mid in ids:
                jobs.append(
                    (
                        lambda mid=mid: plotting.levelling_scurves(forecast, mid),
                        staging.path(f"charts/levelling-{safe_name(mid)}.{fmt}"),
                    )
                )
        if forecast.has_costs:
            jobs += cost_charts(forecast, ids, staging, fmt)
        forecast.stats  # noqa: B018  (the deferred statistics, once, before any worker starts)
        self.status.show(f"drawing {len(jobs)} charts…")
        save_charts(jobs)


def _ci_days(m: Any, confidence: float) -> str:
    """Half-width of the Monte Carlo interval of milestone ``m``'s P-date, in working days."""
    lo, hi = m.percentile_interval_days(confidence)
    mid_days = m.percentile_days(confidence)
    return f"±{max(mid_days - lo, hi - mid_days):.1f}d"


def _risk_table(forecast: Any, mid: str) -> list[str]:
    """Per risk (most often critical first, then model order): shares of runs in which it
    occurred and in which it occurred and hit a task critical for ``mid``."""
    name = forecast.milestone(mid).name
    occurred = forecast.risk_occurrence()
    critical = forecast.risk_criticality(mid)
    order = sorted(
        zip(forecast.risk_ids, forecast.risk_titles, strict=True), key=lambda r: -critical[r[0]]
    )
    head = ["risk", "title", "occurred", f"critical for {name}"]
    body = [
        [rid, short(title), percent(occurred[rid]), percent(critical[rid])] for rid, title in order
    ]
    return [
        *aligned([head, *body], right=(2, 3)),
        "occurred: share of runs in which the risk occurred; critical: share in which it "
        f"occurred and hit a task on the critical path to {name}",
    ]


def _gantt_tasks(forecast: Any) -> list[str] | None:
    """Every task of a small plan; for a large one the GANTT_ROWS most critical (model order)."""
    if len(forecast.task_ids) <= GANTT_ROWS:
        return None
    crit = forecast.criticality()
    chosen = set(sorted(forecast.task_ids, key=lambda t: -crit[t])[:GANTT_ROWS])
    return [t for t in forecast.task_ids if t in chosen]


def _portfolio_groups(path: str, forecast: Any) -> dict[str, list[str]] | None:
    """For a portfolio file, the roadmap chart's headings: its roadmap's products (else its
    projects) -> their milestone ids; None for a plain model."""
    from ..portfolio_file import is_portfolio_file

    if not is_portfolio_file(Path(path)):
        return None
    from ..portfolio import PortfolioForecast, load_portfolio

    return PortfolioForecast(load_portfolio(path), forecast).roadmap_groups()


def _shown_groups(
    groups: dict[str, list[str]] | None, shown: Sequence[str]
) -> dict[str, list[str]] | None:
    """``groups`` cut to the ``shown`` milestones, the others under "Other milestones"; None
    when there are no groups."""
    if not groups:
        return None
    keep = set(shown)
    out = {name: [i for i in ids if i in keep] for name, ids in groups.items()}
    out = {name: ids for name, ids in out.items() if ids}
    placed = {i for ids in out.values() for i in ids}
    rest = [i for i in shown if i not in placed]
    if rest:
        out["Other milestones"] = rest
    return out or None
