"""``riskcast compare OLD NEW``: how each milestone moved between two versions of a plan, and
which changes moved it (:mod:`riskcast.compare`); ``riskcast compare MODEL --runs A B``: how it
moved between two recorded forecasts, from the history alone."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ._common import (
    DEFAULT_ITERATIONS,
    add_command,
    add_format,
    add_iterations,
    add_seed,
    add_threads,
    caught_warnings,
    load,
    simulating,
)
from ._errors import CliError
from ._output import Report, Staging, Streams, deliver, write_text
from ._paths import check_paths
from ._text import aligned, iso, percent, short

COLUMNS = (
    "milestone",
    "name",
    "step",
    "kind",
    "change",
    "p80_days",
    "mean_days",
    "old_p50",
    "new_p50",
    "old_p80",
    "new_p80",
    "old_probability",
    "new_probability",
    "p80_low_days",
    "p80_high_days",
    "mean_se_days",
)
LISTED = 5  # changes listed per step in the table (every one in JSON and CSV)
TEXT_WIDTH = 64  # a change's text in the table


def parse_compare(sub: Any) -> None:
    from ..compare import DEFAULT_SEED, MAX_STEPS
    from ..history import ENV_VAR

    p = add_command(
        sub,
        "compare",
        cmd_compare,
        usage="riskcast compare OLD NEW [options]\n"
        "       riskcast compare (MODEL | --project NAME) --runs A B [--history PATH] [options]",
        help="compare two versions of a model (or two recorded forecasts): what moved each "
        "milestone, and by how much",
        description="Simulate OLD and NEW (model files or imported schedules) with the same "
        "seed and print, per milestone in both, the P50 and P80 of each version, how far the "
        "P80 and the mean moved (working days, with 95 % intervals from the paired runs), and "
        "which changes moved them: the changes are made one step at a time in a fixed order "
        "(global ones first, then tasks added, estimates, progress, constraints, costs, links, "
        "milestones, risks, correlations, removals), each step simulated with the same seed; "
        "a step's share is what it moved, and the shares add up to the total move. Beyond "
        f"{MAX_STEPS} steps the changes are attributed by kind. With --out, also write "
        "compare.csv. With --runs A B instead of NEW, compare two forecasts recorded in the "
        "forecast history (see riskcast history), from the history alone: per milestone the "
        "P50/P80/P95 dates and the probability of the target in each, and how many calendar "
        "days they moved; which changes moved them needs the two model files (OLD NEW).",
    )
    p.add_argument(
        "model",
        metavar="OLD",
        nargs="?",
        help="the earlier version (a model or schedule file); with --runs, the model whose "
        "recorded forecasts are compared (found by its project name)",
    )
    p.add_argument("new", metavar="NEW", nargs="?", help="the later version")
    add_iterations(p, "simulated runs per version")
    add_seed(p, f"random seed of every simulation (default {DEFAULT_SEED})")
    p.add_argument(
        "--milestone",
        "-m",
        action="append",
        metavar="ID",
        help="compare only this milestone (repeatable; 'finish' is the project finish); "
        "default: every milestone in both versions",
    )
    add_threads(p)
    add_format(p)
    p.add_argument("--out", "-o", metavar="DIR", help="write compare.csv here")
    p.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    recorded = p.add_argument_group("two recorded forecasts (nothing simulated)")
    recorded.add_argument(
        "--runs",
        nargs=2,
        metavar=("A", "B"),
        help="compare two forecasts recorded in the history, B minus A: each a run id, latest, "
        "latest~N (N forecasts before the latest) or a date YYYY-MM-DD (the latest forecast "
        "of that status date, else recorded that day)",
    )
    recorded.add_argument(
        "--project",
        metavar="NAME",
        help="with --runs: the project name the forecasts were recorded under, instead of a "
        "model file",
    )
    recorded.add_argument(
        "--history",
        metavar="PATH",
        help=f"with --runs: the history file (default: ${ENV_VAR}, else MODEL's folder/"
        ".riskcast/history.sqlite)",
    )


def cmd_compare(args: argparse.Namespace, s: Streams) -> int:
    from ..compare import DEFAULT_SEED, compare

    if args.runs is not None:
        return _compare_recorded(args, s)
    missing = [name for name, value in (("OLD", args.model), ("NEW", args.new)) if value is None]
    if missing:
        raise CliError(
            f"give {' and '.join(missing)}: two model files to compare, or a MODEL (or "
            "--project NAME) and --runs A B to compare two recorded forecasts"
        )
    given = [o for o in ("project", "history") if getattr(args, o) is not None]
    if given:
        raise CliError(f"--{given[0]} goes with --runs (comparing two recorded forecasts)")
    check_paths([args.new], args.out, [])  # deliver() checks OLD (args.model)
    old, new = load(args.model), load(args.new)
    iterations = args.iterations or DEFAULT_ITERATIONS
    seed = DEFAULT_SEED if args.seed is None else args.seed

    def compute() -> Report:
        def run() -> Any:
            status = simulating(args, s, f"simulating each version ({iterations:,} runs each)…")
            try:
                return compare(
                    old,
                    new,
                    iterations=iterations,
                    seed=seed,
                    milestones=args.milestone,
                    threads=args.threads,
                )
            finally:
                if status is not None:
                    status.close()

        return CompareReport(caught_warnings(s, run), args)

    return deliver(args, s, compute)


def _signed(days: float) -> str:
    return f"{days:+.1f}"


class CompareReport(Report):
    """A :class:`~riskcast.compare.Comparison` as ``compare`` delivers it."""

    columns = COLUMNS

    def __init__(self, result: Any, args: argparse.Namespace):
        self.result, self.args = result, args

    def rows(self) -> list[dict[str, Any]]:
        """Per milestone, a row per step (its share of the move), then the total row with
        both versions' P-dates and probabilities and the intervals of the move."""
        rows = []
        for m in self.result.milestones:
            head = {"milestone": m.id, "name": m.name}
            for k, step in enumerate(self.result.steps, 1):
                rows.append(
                    {
                        **head,
                        "step": k,
                        "kind": "+".join(dict.fromkeys(c.kind for c in step.changes)),
                        "change": "; ".join(c.text for c in step.changes),
                        "p80_days": step.p80_days[m.id],
                        "mean_days": step.mean_days[m.id],
                    }
                )
            lo, hi = m.p80_interval
            rows.append(
                {
                    **head,
                    "step": "total",
                    "change": "total move",
                    "p80_days": m.move(80),
                    "mean_days": m.mean_move,
                    **{
                        f"{v}_p{q}": getattr(m, v).percentile(q)
                        for v in ("old", "new")
                        for q in (50, 80)
                    },
                    "old_probability": m.old.target_probability,
                    "new_probability": m.new.target_probability,
                    "p80_low_days": lo,
                    "p80_high_days": hi,
                    "mean_se_days": m.mean_se,
                }
            )
        return rows

    def table(self) -> str:
        r = self.result
        lines = [
            f"{Path(self.args.model).name} → {Path(self.args.new).name} — {r.iterations:,} runs "
            f"per version, seed {r.seed}, the same random numbers",
            *aligned(
                [
                    [
                        "milestone",
                        "P50 old → new",
                        "P80 old → new",
                        "P80 move",
                        "95% interval",
                        "mean move",
                        "±95%",
                        "on target",
                    ],
                    *(_milestone_row(m) for m in r.milestones),
                ],
                right=(3, 5, 6),
            ),
            "moves: working days, NEW minus OLD run by run (+ later); P80 interval: bootstrap; "
            "on target: old → new",
            "",
        ]
        lines += self._steps_table() if r.steps else ["no changes (names, tags and titles aside)"]
        return "\n".join(lines + [f"note: {n}" for n in r.notes])

    def _steps_table(self) -> list[str]:
        r = self.result
        ids = [m.id for m in r.milestones]
        rows = [["#", "change", *ids]]
        for k, step in enumerate(r.steps, 1):
            cells = [f"{_signed(step.p80_days[i])} ({_signed(step.mean_days[i])})" for i in ids]
            texts = [c.text for c in step.changes[:LISTED]]
            if len(step.changes) > LISTED:
                texts.append(f"… and {len(step.changes) - LISTED} more (--format json lists all)")
            rows.append([str(k), short(texts[0], TEXT_WIDTH), *cells])
            rows += [["", "  " + short(t, TEXT_WIDTH - 2), *[""] * len(ids)] for t in texts[1:]]
            if step.note:
                rows.append(
                    ["", f"  (together: {short(step.note, TEXT_WIDTH - 14)})", *[""] * len(ids)]
                )
        totals = [f"{_signed(m.move(80))} ({_signed(m.mean_move)})" for m in r.milestones]
        rows.append(["", "total", *totals])
        return [
            "what moved the P80 (and the mean), working days: each step made on top of the ones "
            "above, same seed",
            *aligned(rows, right=(0, *range(2, 2 + len(ids)))),
        ]

    def summary(self) -> dict[str, Any]:
        r = self.result
        return {
            "format": "riskcast-compare/1",
            "old": self.args.model,
            "new": self.args.new,
            "old_project": r.old_name,
            "new_project": r.new_name,
            "seed": r.seed,
            "iterations": r.iterations,
            "axis": {
                "origin": iso(r.origin),
                "calendar": r.calendar.name or None,
                "time_of_day": r.continuous,
            },
            "milestones": [_milestone_summary(m) for m in r.milestones],
            "changes": [{"kind": c.kind, "id": c.id, "text": c.text} for c in r.changes],
            "steps": [
                {
                    "changes": [c.text for c in step.changes],
                    "note": step.note,
                    "p80_days": step.p80_days,
                    "mean_days": step.mean_days,
                }
                for step in r.steps
            ],
            "notes": list(r.notes),
        }

    def write(self, staging: Staging) -> None:
        write_text(staging.path("compare.csv"), self.csv())


def _milestone_row(m: Any) -> list[str]:
    lo, hi = m.p80_interval
    lo_mean, hi_mean = m.mean_interval
    return [
        m.name,
        f"{m.old.percentile(50)} → {m.new.percentile(50)}",
        f"{m.old.percentile(80)} → {m.new.percentile(80)}",
        f"{_signed(m.move(80))}d",
        f"[{_signed(lo)}, {_signed(hi)}]",
        f"{_signed(m.mean_move)}d",
        f"±{(hi_mean - lo_mean) / 2:.2f}",
        "-"
        if m.new.target is None and m.old.target is None
        else f"{percent(m.old.target_probability)} → {percent(m.new.target_probability)}",
    ]


def _milestone_summary(m: Any) -> dict[str, Any]:
    def side(f: Any, days: tuple[float, float, float]) -> dict[str, Any]:
        return {
            "target": iso(f.target),
            "plan": iso(f.cpm_date),
            "p50": iso(f.percentile(50)),
            "p80": iso(f.percentile(80)),
            "p50_days": days[0],
            "p80_days": days[1],
            "mean_days": days[2],
            "probability_of_target": f.target_probability,
        }

    (old50, new50), (old80, new80) = m.days(50), m.days(80)
    old_mean, new_mean = m.mean_days
    return {
        "id": m.id,
        "name": m.name,
        "old": side(m.old, (old50, old80, old_mean)),
        "new": side(m.new, (new50, new80, new_mean)),
        "p50_move_days": m.move(50),
        "p80_move_days": m.move(80),
        "p80_interval_days": list(m.p80_interval),
        "mean_move_days": m.mean_move,
        "mean_se_days": m.mean_se,
        "mean_interval_days": list(m.mean_interval),
        "unpaired_se_days": m.unpaired_se,
    }


# -- two recorded forecasts -----------------------------------------------------------------------
MOVED = ("plan", "p50", "p80", "p95")  # the recorded dates of a milestone
RECORDED_COLUMNS = (
    "milestone",
    "name",
    "a_target",
    "b_target",
    *(f"{side}_{d}" for d in MOVED for side in ("a", "b")),
    *(f"{d}_moved_days" for d in MOVED),
    "a_probability",
    "b_probability",
)


def _compare_recorded(args: argparse.Namespace, s: Streams) -> int:
    from ..compare import compare_recorded
    from ..history import History

    simulated = [o for o in ("iterations", "seed", "threads") if getattr(args, o) is not None]
    if simulated:
        raise CliError(
            f"--{simulated[0]} does not apply to --runs: recorded forecasts are compared, "
            "nothing is simulated"
        )
    if args.new is not None:
        raise CliError("--runs takes one MODEL (or --project NAME), not OLD and NEW")
    if args.model is None and args.project is None:
        raise CliError("--runs needs the MODEL whose forecasts to compare, or --project NAME")
    if args.model is not None and args.project is not None:
        raise CliError("give MODEL or --project NAME, not both")
    path = _history_path(args)
    check_paths([p for p in (args.model, path) if p is not None], args.out, [])
    name = args.project if args.model is None else load(args.model).name

    def compute() -> Report:
        with History(path, create=False) as history:
            result = compare_recorded(history, name, *args.runs, args.milestone)
        return RecordedReport(result, path)

    # deliver() checks --out against the file it reads: here the history
    return deliver(argparse.Namespace(**{**vars(args), "model": str(path)}), s, compute)


def _history_path(args: argparse.Namespace) -> Path:
    """--history, else the history beside MODEL or $RISKCAST_HISTORY (with --project, only that)."""
    from ..history import ENV_VAR, default_path

    if args.history:
        return Path(args.history)
    if args.model is None and not os.environ.get(ENV_VAR, "").strip():
        raise CliError(f"--project: name the history file (--history PATH or ${ENV_VAR})")
    return default_path(args.model or "")  # without MODEL: $RISKCAST_HISTORY


class RecordedReport(Report):
    """A :class:`~riskcast.compare.RecordedComparison` as ``compare --runs`` delivers it."""

    columns = RECORDED_COLUMNS

    def __init__(self, result: Any, path: Path):
        self.result, self.path = result, path

    def rows(self) -> list[dict[str, Any]]:
        """Per milestone, both forecasts' dates and probabilities and the moves (calendar days)."""
        rows = []
        for m in self.result.milestones:
            row = {"milestone": m.id, "name": m.name}
            for side in ("a", "b"):
                record = getattr(m, side)
                row[f"{side}_target"] = record.target
                row.update({f"{side}_{d}": getattr(record, d) for d in MOVED})
                row[f"{side}_probability"] = record.probability_of_target
            row.update({f"{d}_moved_days": m.moved(d) for d in MOVED})
            rows.append(row)
        return rows

    def table(self) -> str:
        r = self.result
        body = [
            [
                m.name,
                _target_cell(m.a.target, m.b.target),
                *(f"{getattr(m.a, d)} → {getattr(m.b, d)}" for d in ("p50", "p80", "p95")),
                " / ".join(_days(m.moved(d)) for d in ("p50", "p80", "p95")) + " d",
                "-"
                if m.a.target is None and m.b.target is None
                else f"{percent(m.a.probability_of_target)} → {percent(m.b.probability_of_target)}",
            ]
            for m in r.milestones
        ]
        head = [
            "milestone",
            "target",
            "P50 A → B",
            "P80 A → B",
            "P95 A → B",
            "moved P50/P80/P95",
            "on target",
        ]
        lines = [
            f"{r.model} — two recorded forecasts in {self.path} (nothing simulated)",
            f"A  {_run_line(r.a)}",
            f"B  {_run_line(r.b)}",
            *aligned([head, *body], right=(5,)),
            "moved: calendar days, B minus A (+ later), each forecast with its own runs; which "
            "changes moved them needs the two model files: riskcast compare OLD NEW",
        ]
        return "\n".join(lines + [f"note: {n}" for n in r.notes])

    def summary(self) -> dict[str, Any]:
        r = self.result

        def side(record: Any) -> dict[str, Any]:
            return {
                "target": iso(record.target),
                **{d: iso(getattr(record, d)) for d in MOVED},
                "probability_of_target": record.probability_of_target,
            }

        return {
            "format": "riskcast-compare-runs/1",
            "history": str(self.path),
            "project": r.model,
            "a": _run_summary(r.a),
            "b": _run_summary(r.b),
            "milestones": [
                {
                    "id": m.id,
                    "name": m.name,
                    "a": side(m.a),
                    "b": side(m.b),
                    "moved_days": {d: m.moved(d) for d in MOVED},
                    "probability_change": m.probability_change,
                }
                for m in r.milestones
            ],
            "notes": list(r.notes),
        }

    def write(self, staging: Staging) -> None:
        write_text(staging.path("compare.csv"), self.csv())


def _days(days: int) -> str:
    return f"{days:+d}" if days else "0"


def _target_cell(a: Any, b: Any) -> str:
    if a == b:
        return "-" if a is None else a.isoformat()
    return f"{a or '-'} → {b or '-'}"


def _run_line(run: Any) -> str:
    status = f"status date {run.status_date}" if run.status_date else "no status date"
    return (
        f"run {run.id}: {status}, recorded {run.recorded_at:%Y-%m-%d %H:%M} UTC, seed {run.seed}, "
        f"{run.iterations:,} runs"
    )


def _run_summary(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "status_date": iso(run.status_date),
        "recorded_at": run.recorded_at.isoformat(),
        "seed": run.seed,
        "iterations": run.iterations,
        "model_hash": run.model_hash,
        "riskcast_version": run.riskcast_version,
    }
