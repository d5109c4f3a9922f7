"""``riskcast import``: convert an MS Project / Primavera schedule into a riskcast model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import add_command
from ._errors import EXIT_OK, EXIT_OUTPUT, CliError
from ._output import Streams
from ._paths import check_paths


def parse_import(sub: Any) -> None:
    p = add_command(
        sub,
        "import",
        cmd_import,
        help="convert an MS Project / Primavera schedule into a riskcast model",
        description="Read a schedule (MS Project MSPDI .xml, Primavera P6 .xer or PMXML) and "
        "write a riskcast TOML model, optionally with uncertainty rules that turn single-point "
        "durations into ranges.",
    )
    p.add_argument("file", help="schedule file to import")
    p.add_argument(
        "-o", "--output", required=True, metavar="MODEL", help="model file to write (.toml)"
    )
    p.add_argument(
        "--uncertainty",
        "-u",
        action="append",
        default=[],
        metavar="RULE",
        help='uncertainty rule for single-point durations, e.g. "pert(-10%%, 0%%, +30%%)" '
        'or "name:Test*: triangular(0%%, 10%%, 50%%)" (repeatable)',
    )
    p.add_argument(
        "--three-point",
        metavar="LOW,MODE,HIGH",
        help="custom fields holding three-point durations: MS Project extended-attribute aliases "
        "or fields (e.g. Duration1,Duration2,Duration3) or P6 user-defined field labels; leave "
        "MODE empty (LOW,,HIGH) to use the scheduled duration as most likely",
    )
    p.add_argument(
        "--project",
        metavar="ID",
        help="the project to import from a Primavera XER or PMXML file holding several (its "
        "P6 project ID / short name; without it such a file is an error listing them)",
    )
    p.add_argument(
        "--via-mpxj",
        action="store_true",
        help="convert with the MPXJ library even a format riskcast reads itself (for files "
        "riskcast's reader cannot read; needs pip install 'riskcast[mpxj]' and Java)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="do not print importer warnings")


def cmd_import(args: argparse.Namespace, s: Streams) -> int:
    try:
        from ..io.schedules import read_schedule
        from ..io.templates import Uncertainty, apply_rules, parse_rule
        from ..io.writer import write_model_toml
    except ImportError as exc:
        raise CliError(f"schedule import is not available in this installation ({exc})") from None

    rules = [parse_rule(text) for text in args.uncertainty]
    three_point = None
    if args.three_point is not None:
        names = [name.strip() or None for name in args.three_point.split(",")]
        if len(names) != 3:
            raise CliError(
                f"--three-point takes LOW,MODE,HIGH field names, got {args.three_point!r}"
            )
        three_point = tuple(names)
    check_paths([args.file], None, [("-o", args.output)])
    result = read_schedule(
        args.file,
        Uncertainty(three_point=three_point),
        project=args.project,
        reader="mpxj" if args.via_mpxj else "auto",
    )
    if rules:
        apply_rules(result.project, rules)  # fail here, before writing, if a rule does not apply
    if not args.quiet:
        for w in result.warnings:
            print(f"warning: {w}", file=s.err)
    output = Path(args.output)
    if output.is_dir():
        raise CliError(f"{output}: is a folder; -o takes the model file to write")
    try:
        # The file keeps the schedule's single-point durations and the rules as [[uncertainty]]
        # tables (the loader applies them), so the rules stay editable. The writer is atomic.
        write_model_toml(result.project, output, rules=tuple(rules), notes=result.warnings)
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc}", EXIT_OUTPUT) from None
    if not args.quiet:
        print(
            f"wrote {output} ({len(result.project.tasks)} tasks, "
            f"{len(result.project.milestones)} milestones from {result.source_format})",
            file=s.err,
        )
    return EXIT_OK
