"""The ``riskcast`` command: thin argparse front end over the public API.

Each subcommand is a pair: ``parse_NAME(sub)`` declares its options, ``cmd_NAME(args, streams)``
acts through the library and returns an exit code. :func:`main` never calls ``sys.exit``; the
console script does. matplotlib is imported only when charts are drawn.

Modules: ``run``; ``risks`` (drivers, mitigation); ``check`` (validate, explain, schema);
``importing`` (import); ``_common`` (shared options, model checks, simulating); ``_output``
(files, stdout and stderr, and :func:`~._output.deliver`, the one flow of every command with
results); ``_text`` (CSV and table cells); ``_charts`` (the parallel chart saver); ``_errors``.

Exit codes (also in ``riskcast --help`` and the README):

* 0 -- success;
* 1 -- ``validate --strict`` found schedule-quality warnings;
* 2 -- bad input: an invalid model (every problem listed), an unknown milestone or risk id, a
  model without the risks or mitigations a command needs, a bad option;
* 3 -- the output could not be written (nothing partial is left behind);
* 130 -- interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from ._errors import (
    EXIT_CODES,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_WARNINGS,
    CliError,
)
from ._output import ProgressBar, Staging, Streams, write_atomic
from .check import parse_explain, parse_schema, parse_validate
from .importing import parse_import
from .risks import parse_drivers, parse_mitigation
from .run import parse_run

__all__ = [
    "EXIT_CODES",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT",
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (
        parse_run,
        parse_drivers,
        parse_mitigation,
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
    code. Errors are printed as one message on stderr, never as a traceback."""
    from ..errors import RiskcastError

    s = Streams(stdout or sys.stdout, stderr or sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse has printed them
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    try:
        return args.act(args, s)
    except CliError as exc:
        print(f"riskcast: error: {exc}", file=s.err)
        return exc.code
    except RiskcastError as exc:
        print(f"riskcast: error: {exc}", file=s.err)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("riskcast: interrupted", file=s.err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `riskcast run ... | head`
        _silence_stdout()
        return EXIT_OK


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
