"""``riskcast calibrate`` (learn how far actuals fall from estimates, write a calibration file)
and ``riskcast backtest`` (would that calibration have made past forecasts honest?)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._charts import save_charts
from ._common import _seed, add_command, add_format, positive_int
from ._errors import CliError
from ._output import Report, Staging, Streams, deliver, write_text
from ._paths import check_paths
from ._text import aligned, percent

DEFAULT_OUTPUT = "calibration.toml"
HISTORY_HELP = (
    "past tasks: a CSV file (project, task, estimate or low/likely/high, actual or start/finish, "
    "any other column a tag) or a forecast history database (.riskcast/history.sqlite)"
)
COVERAGE_COLUMNS = ("scope", "forecast", "level", "share", "n", "low", "high", "consistent")
CLASS_COLUMNS = (
    "class",
    "items",
    "projects",
    "median_ratio",
    "p80_ratio",
    "sigma_between",
    "sigma_within",
    "family",
    "weight",
    "fallback",
)


def _add_fit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--by",
        metavar="TAG",
        help="the tag whose values are the reference classes (default: team, when the "
        "history has that column; --by none for the pooled class only)",
    )
    p.add_argument(
        "--min-items",
        type=positive_int,
        default=5,
        metavar="N",
        help="a class with fewer past tasks uses the pooled calibration (default 5)",
    )


def parse_calibrate(sub: Any) -> None:
    p = add_command(
        sub,
        "calibrate",
        cmd_calibrate,
        help="learn from past estimates and actuals: per-class bias and spread, calibration file",
        description="Fit how actual durations compared with their estimates (ratio = actual / "
        "estimate mean), split into a shared per-project part and a per-task part, for the "
        "pooled history and for each value of a tag (--by, e.g. team). Print each class's bias "
        "(median and P80 ratio), spread and counts, and write the calibration file that "
        "`riskcast run MODEL --calibration FILE` applies.",
    )
    p.add_argument("history", help=HISTORY_HELP)
    p.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        default=DEFAULT_OUTPUT,
        help=f"the calibration file to write (default {DEFAULT_OUTPUT})",
    )
    _add_fit_options(p)
    add_format(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")


def parse_backtest(sub: Any) -> None:
    p = add_command(
        sub,
        "backtest",
        cmd_backtest,
        help="back-test the calibration: coverage of raw and calibrated forecasts",
        description="For each held-out project, fit the calibration on the other projects and "
        "forecast the held-out tasks and the project's total (its tasks in sequence) with the "
        "plan's own estimates (raw) and calibrated; print the share of actuals at or under "
        "each forecast's P50/P80/P90 (a calibrated forecast covers 80%% at its P80) with 95%% "
        "intervals. With --out, write the per-task and per-project results, the coverage and "
        "charts/pit.png and charts/reliability.png.",
    )
    p.add_argument("history", help=HISTORY_HELP)
    split = p.add_mutually_exclusive_group()
    split.add_argument(
        "--folds",
        "-k",
        type=_folds,
        metavar="K",
        help="split the projects into K folds (default: leave one project out at a time)",
    )
    split.add_argument(
        "--leave-one-out",
        action="store_true",
        help="hold out one project at a time (the default)",
    )
    _add_fit_options(p)
    p.add_argument(
        "--draws", type=positive_int, default=4000, metavar="N", help="runs per project (4000)"
    )
    p.add_argument(
        "--seed", type=_seed, default=0, metavar="S", help="seed of the draws (default 0)"
    )
    p.add_argument(
        "--out",
        "-o",
        metavar="DIR",
        help="write backtest-tasks.csv, backtest-projects.csv, coverage.csv and charts/ here",
    )
    p.add_argument("--no-charts", action="store_true", help="do not draw the charts")
    add_format(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")


def _folds(text: str) -> int:
    value = positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"needs at least 2 folds, got {value}")
    return value


def _items(args: argparse.Namespace) -> list[Any]:
    from ..calibration import read_past_tasks

    if Path(args.history).is_dir():
        raise CliError(f"{args.history}: is a folder; give a CSV file or a history database")
    return read_past_tasks(args.history)


def _tag(args: argparse.Namespace, items: list[Any]) -> str | None:
    """--by: "none" for the pooled class only; by default team when the history has it."""
    if args.by is None:
        return "team" if any("team" in t.tags for t in items) else None
    return None if args.by.lower() == "none" else args.by


# -- calibrate ------------------------------------------------------------------------------------
def cmd_calibrate(args: argparse.Namespace, s: Streams) -> int:
    from ..calibration import fit_calibration

    check_paths([args.history], None, [("--output", args.output)])
    if Path(args.output).is_dir():
        raise CliError(f"--output {args.output}: is a folder; give the calibration file's name")
    args.model, args.out = args.history, None  # what deliver() checks and stages

    def compute() -> Report:
        items = _items(args)
        by = _tag(args, items)
        calibration = fit_calibration(
            items, by, min_items=args.min_items, source=Path(args.history).name
        )
        return CalibrateReport(calibration, args)

    return deliver(args, s, compute)


def _ratio(x: float) -> str:
    return f"{x:.2f}"


class CalibrateReport(Report):
    """The calibration's classes, and its file as an extra output."""

    columns = CLASS_COLUMNS

    def __init__(self, calibration: Any, args: argparse.Namespace):
        self.calibration, self.args = calibration, args
        self.fits = [calibration.pooled, *calibration.classes]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "class": f.name,
                "items": f.items,
                "projects": f.projects,
                "median_ratio": round(f.median_ratio, 4),
                "p80_ratio": round(f.p80_ratio, 4),
                "sigma_between": round(f.sigma_b, 4),
                "sigma_within": round(f.sigma_w, 4),
                "family": f.family,
                "weight": round(f.weight, 3),
                "fallback": f.fallback,
            }
            for f in self.fits
        ]

    def table(self) -> str:
        cal = self.calibration
        by = f", classes by {cal.tag}" if cal.tag else ", pooled class only"
        head = [
            "class",
            "items",
            "projects",
            "median",
            "P80",
            "shared σ",
            "per-task σ",
            "shape",
            "own weight",
        ]
        body = []
        for f in self.fits:
            weight = "-" if f.value is None else percent(f.weight)
            body.append(
                [
                    f.name,
                    str(f.items),
                    str(f.projects),
                    _ratio(f.median_ratio),
                    _ratio(f.p80_ratio),
                    f"{f.sigma_b:.2f}",
                    f"{f.sigma_w:.2f}",
                    f.family,
                    f"pooled (< {self.args.min_items} tasks)" if f.fallback else weight,
                ]
            )
        return "\n".join(
            [
                f"Calibration from {self.args.history} — {cal.items} past tasks in "
                f"{cal.projects} projects{by}",
                *aligned([head, *body], right=(1, 2, 3, 4, 5, 6)),
                "median, P80: of the ratio actual / estimate (1.30: takes 30% longer than "
                "estimated)",
                "σ: log-scale spread of the shared (per-project) and per-task parts; own weight: "
                "the class's own data against the pooled prior",
            ]
        )

    def summary(self) -> dict[str, Any]:
        cal = self.calibration
        return {
            "format": "riskcast-calibrate/1",
            "history": self.args.history,
            "tag": cal.tag,
            "items": cal.items,
            "projects": cal.projects,
            "classes": self.rows(),
        }

    def write(self, staging: Staging) -> None:  # no --out folder: the file is an extra output
        return

    def extra_files(self) -> list[tuple[Path, str]]:
        from ..calibration_file import calibration_toml

        return [(Path(self.args.output), calibration_toml(self.calibration))]


# -- backtest -------------------------------------------------------------------------------------
def cmd_backtest(args: argparse.Namespace, s: Streams) -> int:
    from ..backtest import backtest

    args.model = args.history  # what deliver() checks against --out

    def compute() -> Report:
        items = _items(args)
        by = _tag(args, items)
        result = backtest(
            items, by, folds=args.folds, draws=args.draws, seed=args.seed, min_items=args.min_items
        )
        return BacktestReport(result, args)

    return deliver(args, s, compute)


class BacktestReport(Report):
    """Coverage of the raw and calibrated forecasts; per-task and per-project files."""

    columns = COVERAGE_COLUMNS

    def __init__(self, result: Any, args: argparse.Namespace):
        self.result, self.args = result, args
        self.coverage = result.coverage()

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "scope": c.scope,
                "forecast": c.forecast,
                "level": c.level,
                "share": round(c.share, 4),
                "n": c.n,
                "low": round(c.low, 4),
                "high": round(c.high, 4),
                "consistent": c.consistent,
            }
            for c in self.coverage
        ]

    def table(self) -> str:
        r = self.result
        split = "leave-one-out" if r.folds == len(r.projects) else f"{r.folds} folds"
        by = f", classes by {r.by}" if r.by else ", pooled class"
        cells = {(c.scope, c.forecast, c.level): c for c in self.coverage}
        head = ["", "level", "raw (plan's own)", "", "calibrated", ""]
        body = []
        for scope, label in (("task", "tasks"), ("project", "projects")):
            for level in sorted({c.level for c in self.coverage}):
                row = [label, f"P{level * 100:g}"]
                for forecast in ("raw", "calibrated"):
                    c = cells[(scope, forecast, level)]
                    mark = "ok" if c.consistent else "off"
                    row += [f"{percent(c.share)} ({percent(c.low)}–{percent(c.high)})", mark]
                body.append(row)
                label = ""
        return "\n".join(
            [
                f"Back-test of {self.args.history} — {split} over {len(r.projects)} projects "
                f"({len(r.tasks)} tasks){by}, {r.draws:,} runs per project, seed {r.seed}",
                "share of actuals at or under each forecast's P-value (95% interval):",
                *aligned([head, *body]),
                "ok: the interval holds the nominal level (P80 should cover 80%); projects: "
                "each project's tasks in sequence, its total against the forecast sum",
            ]
        )

    def summary(self) -> dict[str, Any]:
        r = self.result
        return {
            "format": "riskcast-backtest/1",
            "history": self.args.history,
            "tag": r.by,
            "folds": r.folds,
            "projects": len(r.projects),
            "tasks": len(r.tasks),
            "draws": r.draws,
            "seed": r.seed,
            "coverage": self.rows(),
        }

    def write(self, staging: Staging) -> None:
        from ._text import csv_text

        r = self.result
        task_rows = [
            {
                "project": t.project,
                "task": t.task,
                "class": t.cls,
                "estimate": t.estimate,
                "actual": t.actual,
                "pit_raw": t.pit_raw,
                "pit_calibrated": t.pit_calibrated,
                **{f"calibrated_p{lv * 100:g}": v for lv, v in t.calibrated.items()},
            }
            for t in r.tasks
        ]
        project_rows = [
            {
                "project": p.project,
                "fold": p.fold,
                "tasks": p.tasks,
                "estimate": p.estimate,
                "actual": p.actual,
                "pit_raw": p.pit_raw,
                "pit_calibrated": p.pit_calibrated,
                **{f"calibrated_p{lv * 100:g}": v for lv, v in p.calibrated.items()},
            }
            for p in r.projects
        ]
        write_text(
            staging.path("backtest-tasks.csv"),
            csv_text(task_rows, list(task_rows[0]) if task_rows else []),
        )
        write_text(
            staging.path("backtest-projects.csv"),
            csv_text(project_rows, list(project_rows[0]) if project_rows else []),
        )
        write_text(staging.path("coverage.csv"), self.csv())
        if self.args.no_charts:
            return
        from .. import calibration_plots

        self.status.show("drawing 2 charts…")
        save_charts(
            [
                (lambda: calibration_plots.pit_histogram(r), staging.path("charts/pit.png")),
                (lambda: calibration_plots.reliability(r), staging.path("charts/reliability.png")),
            ]
        )


# -- run --calibration ----------------------------------------------------------------------------
def calibrated_plan(project: Any, path: str) -> tuple[Any, Any, int]:
    """(the plan calibrated by the file at ``path``, the calibration, tasks calibrated)."""
    from ..calibration import apply_calibration, calibrated_tasks
    from ..calibration_file import read_calibration

    if Path(path).is_dir():
        raise CliError(f"--calibration {path}: is a folder; give the calibration file")
    calibration = read_calibration(path)
    return (
        apply_calibration(project, calibration),
        calibration,
        calibrated_tasks(project, calibration),
    )


def _basis(calibration: Any, tasks: int) -> str:
    by = f", classes by {calibration.tag}" if calibration.tag else ""
    return (
        f"rests on {calibration.items} past tasks in {calibration.projects} projects{by}; "
        f"{tasks} task{'s' if tasks != 1 else ''} of this plan calibrated"
    )


def calibration_lines(
    forecast: Any, ids: list[str], calibrated: Any, calibration: Any, tasks: int
) -> list[str]:
    """``run --calibration``: each milestone's P50/P80, the plan's own and calibrated."""
    head = ["milestone", "plan's P50", "plan's P80", "calibrated P50", "calibrated P80"]
    body = []
    for mid in ids:
        own, cal = forecast.milestone(mid), calibrated.milestone(mid)
        body.append(
            [
                own.name,
                *(own.percentile(q).isoformat() for q in (50, 80)),
                *(cal.percentile(q).isoformat() for q in (50, 80)),
            ]
        )
    return [
        f"Calibrated by {calibration.source or 'the calibration file'} "
        f"(the same runs and seed): {_basis(calibration, tasks)}",
        *aligned([head, *body]),
    ]
