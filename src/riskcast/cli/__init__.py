"""The ``riskcast`` command: thin argparse front end over the public API.

Each subcommand is a pair: ``parse_NAME(sub)`` declares its options, ``cmd_NAME(args, streams)``
acts through the library and returns an exit code. :func:`main` never calls ``sys.exit``; the
console script does. matplotlib is imported only when charts are drawn.

Modules: ``run`` (with ``_costs``, its cost table, columns and charts, and ``_gate``, its
``--fail-below`` CI gate); ``risks`` (drivers, mitigation); ``jcl`` (joint cost-schedule
confidence); ``compare`` (two versions of a model); ``cutline`` (a backlog's cut line);
``selection`` (``select``: which candidate projects to fund); ``throughput`` (``when``,
``how-many``: forecasts from a team's throughput); ``calibrate`` (``calibrate``, ``backtest``:
learning from past estimates); ``history`` (past forecasts, the trend chart); ``report`` (the
HTML report); ``check`` (validate, explain, schema); ``importing`` (import); ``_common``
(shared options, model checks, simulating); ``_output`` (files, stdout and stderr, and
:func:`~._output.deliver`, the one flow of every command with results); ``_staging``
(all-or-nothing files: the --out lock, staging, publishing, clean-up of killed runs'
staging); ``_signals`` (SIGINT/SIGTERM stop a command cleanly); ``_text`` (CSV and table
cells); ``_charts`` (the parallel chart saver); ``_errors``.

Exit codes (also in ``riskcast --help`` and the README):

* 0 -- success;
* 1 -- ``validate --strict`` found schedule-quality warnings, or ``run --fail-below`` found a
  milestone whose probability of meeting its target is below the threshold (the forecast is
  printed and written first; ``_gate``);
* 2 -- bad input: an invalid model (every problem listed), an unknown milestone or risk id, a
  model without the risks, mitigations or costs a command needs, a bad option;
* 3 -- the output could not be written (nothing partial is left behind);
* 70 -- internal error, a bug (one line; ``--debug`` prints the traceback);
* 75 -- the ``--out`` folder is in use by another riskcast run;
* 130 -- interrupted (Ctrl-C, SIGINT); 143 -- terminated (SIGTERM; 129 for SIGHUP). Either way
  the staged output is removed first (``_signals``, ``_staging``).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TextIO

from . import _signals
from ._common import add_debug
from ._errors import (
    EXIT_BUSY,
    EXIT_CODES,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_TERMINATED,
    EXIT_WARNINGS,
    CliError,
)
from ._output import ProgressBar, Staging, Streams, write_atomic
from .calibrate import parse_backtest, parse_calibrate
from .check import parse_explain, parse_schema, parse_validate
from .compare import parse_compare
from .cutline import parse_cutline
from .history import parse_history
from .importing import parse_import
from .jcl import parse_jcl
from .report import parse_report
from .risks import parse_drivers, parse_mitigation
from .run import parse_run
from .selection import parse_select
from .throughput import parse_how_many, parse_when

__all__ = [
    "EXIT_BUSY",
    "EXIT_CODES",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_TERMINATED",
    "EXIT_WARNINGS",
    "CliError",
    "ProgressBar",
    "Staging",
    "Streams",
    "build_parser",
    "main",
    "write_atomic",
]


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="riskcast",
        description="Monte Carlo schedule risk: when will each milestone ship, and how sure "
        "are we?",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"riskcast {__version__}")
    add_debug(parser, default=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (
        parse_run,
        parse_drivers,
        parse_mitigation,
        parse_jcl,
        parse_cutline,
        parse_when,
        parse_how_many,
        parse_select,
        parse_report,
        parse_compare,
        parse_history,
        parse_calibrate,
        parse_backtest,
        parse_validate,
        parse_explain,
        parse_schema,
        parse_import,
    ):
        add(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the ``riskcast`` command line with ``argv`` (default ``sys.argv[1:]``); return the exit
    code. Errors are printed as one message on stderr, never as a traceback (unless
    ``--debug``). SIGINT, SIGTERM and SIGHUP stop the command cleanly (see ``_signals``)."""
    s = Streams(stdout or sys.stdout, stderr or sys.stderr)
    argv = sys.argv[1:] if argv is None else list(argv)
    with _signals.handled():
        try:
            return _run(argv, s)
        except KeyboardInterrupt:  # also while the parser is built or the error printed
            _signals.interrupt_handled()
            print("riskcast: interrupted", file=s.err)
            return EXIT_INTERRUPTED
        except _signals.Terminated as exc:
            print(f"riskcast: {exc}", file=s.err)
            return exc.exit_code


def _run(argv: list[str], s: Streams) -> int:
    from ..errors import RiskcastError

    debug = "--debug" in argv  # until the arguments are parsed (or if parsing breaks)
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, usage errors: argparse has printed them
            return exc.code if isinstance(exc.code, int) else EXIT_INPUT
        debug = args.debug
        return args.act(args, s)
    except CliError as exc:
        print(f"riskcast: error: {exc}", file=s.err)
        return exc.code
    except RiskcastError as exc:
        print(f"riskcast: error: {exc}", file=s.err)
        return EXIT_INPUT
    except BrokenPipeError:  # e.g. `riskcast run ... | head`
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:  # a bug: one line, the traceback only when asked for
        if debug:
            traceback.print_exception(exc, file=s.err)
        text = " ".join(str(exc).split())
        what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        hint = "" if debug else "; rerun with --debug for the traceback"
        print(f"riskcast: internal error: {what}{hint}", file=s.err)
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
