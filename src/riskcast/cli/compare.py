"""``riskcast compare OLD NEW``: how each milestone moved between two versions of a plan, and
which changes moved it (:mod:`riskcast.compare`)."""

from __future__ import annotations

import argparse
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

    p = add_command(
        sub,
        "compare",
        cmd_compare,
        help="compare two versions of a model: what moved each milestone, and by how much",
        description="Simulate OLD and NEW (model files or imported schedules) with the same "
        "seed and print, per milestone in both, the P50 and P80 of each version, how far the "
        "P80 and the mean moved (working days, with 95 % intervals from the paired runs), and "
        "which changes moved them: the changes are made one step at a time in a fixed order "
        "(global ones first, then tasks added, estimates, progress, constraints, costs, links, "
        "milestones, risks, correlations, removals), each step simulated with the same seed; "
        "a step's share is what it moved, and the shares add up to the total move. Beyond "
        f"{MAX_STEPS} steps the changes are attributed by kind. With --out, also write "
        "compare.csv.",
    )
    p.add_argument("model", metavar="OLD", help="the earlier version (a model or schedule file)")
    p.add_argument("new", metavar="NEW", help="the later version")
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


def cmd_compare(args: argparse.Namespace, s: Streams) -> int:
    from ..compare import DEFAULT_SEED, compare

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
