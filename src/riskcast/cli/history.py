"""``riskcast history``: the forecasts recorded for a model, one row per forecast, and the trend
chart of its milestones (:mod:`riskcast.history`, :mod:`riskcast.history_plots`)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import add_command, load
from ._errors import EXIT_OK, EXIT_OUTPUT, CliError
from ._output import Streams, write_atomic
from ._paths import check_paths
from ._text import aligned, percent

CHART_FORMATS = (".png", ".svg", ".pdf")


def parse_history(sub: Any) -> None:
    from ..history import ENV_VAR

    p = add_command(
        sub,
        "history",
        cmd_history,
        help="the forecasts recorded for a model: table and trend chart",
        description="Print the forecasts recorded for MODEL (by its project name), oldest "
        "first: per milestone the status date, when each was recorded, the seed and runs, "
        "the P50/P80/P95 dates, the chance of meeting the target and how far the P80 moved "
        "since the forecast before. With --chart, also draw how the P50 and P80 moved against "
        "the target. The history file is --history, else $" + ENV_VAR + ", else "
        ".riskcast/history.sqlite in MODEL's folder.",
    )
    p.add_argument("model", help="model file (.toml or .json) or exported schedule")
    p.add_argument(
        "--milestone",
        "-m",
        metavar="ID",
        help="only this milestone ('finish' is the project finish; default: every milestone)",
    )
    p.add_argument(
        "--history",
        metavar="PATH",
        help=f"the history file (default: ${ENV_VAR}, else MODEL's folder/.riskcast/"
        "history.sqlite)",
    )
    p.add_argument(
        "--chart", metavar="PATH", help="write the trend chart here (.png, .svg or .pdf)"
    )


def cmd_history(args: argparse.Namespace, s: Streams) -> int:
    from ..history import History, default_path

    path = Path(args.history) if args.history else default_path(args.model)
    if args.chart:
        _check_chart(args.chart, [args.model, path])
    project = load(args.model)  # its name picks its forecasts out of a shared history
    with History(path, create=False) as history:
        runs = history.runs(project.name)
    ids = _milestone_ids(runs, args.milestone)
    print(history_table(runs, ids, path), file=s.out)
    if args.chart:
        _write_chart(runs, project.name, args.milestone, Path(args.chart))
        print(f"wrote {args.chart}", file=s.err)
    return EXIT_OK


def _check_chart(chart: str, inputs: Sequence[str | Path]) -> None:
    if Path(chart).suffix.lower() not in CHART_FORMATS:
        raise CliError(
            f"--chart {chart}: the file name must end in {', '.join(CHART_FORMATS)} "
            "(the suffix picks the format)"
        )
    check_paths(inputs, None, [("--chart", chart)])


def _milestone_ids(runs: Sequence[Any], wanted: str | None) -> list[str]:
    """``[wanted]``, checked against the recorded milestones; by default every milestone, and
    the project finish unless some milestone had exactly its dates in every run."""
    from ..forecast import FINISH_ID
    from ..suggest import suggestion

    known = list(dict.fromkeys(m.id for r in runs for m in r.milestones))
    if wanted is not None:
        if wanted not in known:
            raise CliError(
                f'no milestone "{wanted}" in the recorded forecasts{suggestion(wanted, known)} '
                f"(known: {', '.join(known)})"
            )
        return [wanted]

    def dates(run: Any, mid: str) -> tuple[Any, ...] | None:
        m = run.milestone(mid)
        return None if m is None else (m.plan, m.p50, m.p80, m.p95)

    others = [m for m in known if m != FINISH_ID]
    same = any(all(dates(r, m) == dates(r, FINISH_ID) for r in runs) for m in others)
    return others if same else known


def history_table(runs: Sequence[Any], ids: Sequence[str], path: Path) -> str:
    """The recorded forecasts as text: a header, then per milestone one row per forecast.

    Parameters
    ----------
    runs : sequence of RunRecord
        One model's forecasts, oldest first (:meth:`riskcast.history.History.runs`).
    ids : sequence of str
        The milestones to show, in order.
    path : pathlib.Path
        The history file (named in the header).

    Returns
    -------
    str
        Lines of aligned columns; "P80 moved" is in calendar days since the previous forecast.
    """
    noun = "forecast" if len(runs) == 1 else "forecasts"
    lines = [f"{runs[0].model} — {len(runs)} {noun} recorded in {path}"]
    for mid in ids:
        lines += ["", *_milestone_block(runs, mid)]
    lines += [
        "",
        "on target: share of runs delivered by the target; P80 moved: calendar days later (+) "
        "or earlier (-) than the forecast before",
    ]
    return "\n".join(lines)


def _milestone_block(runs: Sequence[Any], mid: str) -> list[str]:
    rows = [(r, r.milestone(mid)) for r in runs]
    rows = [(r, m) for r, m in rows if m is not None]
    last = rows[-1][1]
    targets = {m.target for _, m in rows}
    head = f"{last.name} ({mid})"
    if len(targets) == 1 and last.target is not None:
        head += f", target {last.target.isoformat()}"
    varying = len(targets) > 1  # the target changed: show it on each row
    table = [
        [
            "status date",
            "recorded (UTC)",
            "seed",
            "runs",
            *(["target"] if varying else []),
            "plan",
            "P50",
            "P80",
            "P95",
            "on target",
            "P80 moved",
        ]
    ]
    previous = None
    for run, m in rows:
        moved = "-" if previous is None else _days_moved((m.p80 - previous).days)
        previous = m.p80
        table.append(
            [
                run.status_date.isoformat() if run.status_date else "-",
                f"{run.recorded_at:%Y-%m-%d %H:%M}",
                str(run.seed),
                f"{run.iterations:,}",
                *([m.target.isoformat() if m.target else "-"] if varying else []),
                m.plan.isoformat(),
                m.p50.isoformat(),
                m.p80.isoformat(),
                m.p95.isoformat(),
                percent(m.probability_of_target),
                moved,
            ]
        )
    n = len(table[0])
    return [head, *aligned(table, right=(2, 3, n - 2, n - 1))]


def _days_moved(days: int) -> str:
    return f"{days:+d} d" if days else "0 d"


def _write_chart(runs: Sequence[Any], model: str, milestone: str | None, path: Path) -> None:
    """Draw the trend chart and put it in place whole (a failed save leaves no file)."""
    from .. import plotting
    from ..history_plots import plot_trend

    plotting.add_fallback_fonts()
    ax = plot_trend(runs, model, milestone)

    def save(tmp: Path) -> None:
        staged = tmp.with_suffix(path.suffix)  # the format comes from the suffix
        try:
            plotting.save(ax, staged)
            os.replace(staged, tmp)
        finally:
            staged.unlink(missing_ok=True)

    try:
        write_atomic(path, save)
    except OSError as exc:
        raise CliError(
            f"cannot write {exc.filename or path}: {exc.strerror or exc}", EXIT_OUTPUT
        ) from None
