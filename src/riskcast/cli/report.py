"""``riskcast report``: simulate a model and write one self-contained HTML page for a steering
meeting (:mod:`riskcast.report`): milestone table, charts, drivers, plain-language explanation,
the trend of the recorded forecasts and a reproducibility stamp."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ._common import (
    add_command,
    add_iterations,
    add_levelling,
    add_mitigated,
    add_seed,
    add_threads,
    check_mitigation,
    load,
    simulate,
)
from ._errors import EXIT_OK, EXIT_OUTPUT, CliError
from ._output import StatusLine, Streams, isatty, write_atomic, write_text
from ._paths import check_paths

DEFAULT_OUTPUT = "report.html"


def parse_report(sub: Any) -> None:
    from ..history import ENV_VAR

    p = add_command(
        sub,
        "report",
        cmd_report,
        help="write a self-contained HTML report for a steering meeting",
        description="Simulate MODEL and write one HTML file that opens in any browser, offline "
        "and on a phone: the milestone table (with costs and the JCL when the plan has costs), "
        "the charts, the tasks and risks that drive the dates, a plain-language explanation of "
        "each milestone, the trend of the forecasts recorded in the history (when there is one) "
        "and a methods appendix with the seed, runs, riskcast version and the model file's "
        "SHA-256. The history file is --history, else $" + ENV_VAR + ", else "
        ".riskcast/history.sqlite in MODEL's folder; without one the report has no trend.",
    )
    p.add_argument("model", help="model file (.toml or .json) or exported schedule")
    p.add_argument(
        "--output",
        "-o",
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help=f"the HTML file to write (default {DEFAULT_OUTPUT})",
    )
    add_iterations(p)
    add_seed(
        p,
        "random seed; the same seed gives identical results (default: a fresh seed, printed so "
        "the run can be repeated; the report shows it too)",
    )
    add_mitigated(p)
    add_levelling(p)
    add_threads(p)
    history = p.add_mutually_exclusive_group()
    history.add_argument(
        "--history",
        metavar="PATH",
        help=f"the forecast history whose trend the report shows (default: ${ENV_VAR}, else "
        "MODEL's folder/.riskcast/history.sqlite, when it exists)",
    )
    history.add_argument(
        "--no-history", action="store_true", help="leave the trend of the history out"
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no notes on stderr"
    )


def cmd_report(args: argparse.Namespace, s: Streams) -> int:
    from .. import plotting
    from ..report import build_report

    output = Path(args.output)
    history_path = _history_path(args)
    check_paths(
        [args.model, *([history_path] if history_path else [])], None, [("--output", output)]
    )
    _check_output(output)
    project = load(args.model)
    args.mitigation = check_mitigation(project, args.mitigated)
    history = _open_history(history_path, explicit=args.history is not None)
    try:
        forecast = simulate(project, args, s, args.quiet)
        status = StatusLine(s.err if not args.quiet and isatty(s.err) else None)
        status.show("drawing the charts…")
        try:
            plotting.add_fallback_fonts()  # emoji and symbols in names, where a font has them
            page = build_report(project, forecast, args.model, history)
        finally:
            status.close()
    finally:
        if history is not None:
            history.close()
    try:
        write_atomic(output, lambda tmp: write_text(tmp, page))
    except OSError as exc:
        where = exc.filename or output
        raise CliError(f"cannot write {where}: {exc.strerror or exc}", EXIT_OUTPUT) from None
    if not args.quiet:
        print(f"wrote {output}", file=s.err)
    return EXIT_OK


def _check_output(output: Path) -> None:
    """Fail before the simulation when the report plainly cannot be written there: a folder,
    or under a file or a folder that is not writable (the write itself still checks)."""
    if output.is_dir():
        raise CliError(f"--output {output}: is a folder; give the report's file name")
    folder = output.absolute().parent
    while not folder.exists():  # the nearest existing folder: write_atomic makes the rest
        folder = folder.parent
    if not folder.is_dir():
        raise CliError(f"cannot write {output}: {folder} is a file, not a folder", EXIT_OUTPUT)
    if not os.access(folder, os.W_OK):
        raise CliError(f"cannot write {output}: {folder} is not writable", EXIT_OUTPUT)


def _history_path(args: argparse.Namespace) -> Path | None:
    """The history file to read: --history, else the default one (see
    :func:`riskcast.history.default_path`); None with --no-history."""
    from ..history import default_path

    if args.no_history:
        return None
    return Path(args.history) if args.history else default_path(args.model)


def _open_history(path: Path | None, *, explicit: bool) -> Any:
    """The history at ``path``, or None: a default history that does not exist just leaves the
    trend out, while one named with --history must be there (an error, exit 2, otherwise)."""
    from ..history import History, HistoryError

    if path is None or (not explicit and not path.exists()):
        return None
    try:
        return History(path, create=False)
    except HistoryError as exc:
        hint = "" if explicit else " (--no-history writes the report without the trend)"
        raise CliError(f"{exc}{hint}") from None
