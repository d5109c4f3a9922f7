"""``riskcast validate``, ``explain`` and ``schema``: look at a model (or its format) before
trusting a forecast; ``schema --output`` also describes what riskcast writes."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._common import (
    add_command,
    add_debug,
    add_iterations,
    add_milestone,
    add_seed,
    add_threads,
    check_milestone,
    load,
    simulate,
)
from ._errors import EXIT_OK, EXIT_WARNINGS
from ._output import Streams


# -- validate -------------------------------------------------------------------------------------
def parse_validate(sub: Any) -> None:
    p = add_command(
        sub,
        "validate",
        cmd_validate,
        help="check a model: every error at once, then schedule-quality warnings",
        description="Report every schema and graph error of MODEL (exit 2), including "
        "correlations that cannot all hold at once, then the "
        "schedule-quality warnings a scheduler would raise before trusting a simulation "
        "(open ends, leads, very long tasks, estimates without spread, milestones without "
        "target, redundant links).",
    )
    p.add_argument("model", help="model file (.toml or .json)")
    p.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    p.add_argument("--quiet", "-q", action="store_true", help="print only problems")


def cmd_validate(args: argparse.Namespace, s: Streams) -> int:
    from ..correlation import plan
    from ..model import topological_order, validate
    from ..quality import schedule_warnings

    project = load(args.model)
    # the check compile_project (so run, drivers, ...) makes: what validate passes, run accepts
    validate(project)
    for group in plan(project, topological_order(project)).groups:
        if not group.consistent:  # accepted because repair_correlation = true: say so, as run does
            print(
                f"warning: {group.place}: the correlations of {group.names} cannot all hold at "
                "once; with repair_correlation = true, run uses the nearest valid matrix",
                file=s.err,
            )
    found = schedule_warnings(project)
    links = sum(len(a.after) for a in project.activities)
    if not args.quiet:
        print(
            f"{args.model}: valid — {len(project.tasks)} tasks, {len(project.milestones)} "
            f"milestones, {links} links",
            file=s.out,
        )
    if found:
        noun = "warning" if len(found) == 1 else "warnings"
        print(f"{len(found)} schedule-quality {noun}:", file=s.out)
        for w in found:
            print(f"  {w}", file=s.out)
    elif not args.quiet:
        print("no schedule-quality warnings", file=s.out)
    return EXIT_WARNINGS if (found and args.strict) else EXIT_OK


# -- explain --------------------------------------------------------------------------------------
def parse_explain(sub: Any) -> None:
    p = add_command(
        sub,
        "explain",
        cmd_explain,
        help="explain one milestone's forecast in plain language",
        description="Simulate MODEL and explain one milestone's forecast in a few sentences: "
        "its P-dates against the plan and target, and what drives them.",
    )
    p.add_argument("model", help="model file (.toml or .json)")
    add_milestone(p, "milestone id (default: the project finish)")
    add_iterations(p)
    add_seed(p, "random seed")
    add_threads(p, "worker threads")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no notes")


def cmd_explain(args: argparse.Namespace, s: Streams) -> int:
    from ..explain import explain

    project = load(args.model)
    mid = check_milestone(project, args.milestone)
    forecast = simulate(project, args, s, args.quiet)
    print(explain(forecast, mid), file=s.out)
    return EXIT_OK


# -- schema ---------------------------------------------------------------------------------------
def parse_schema(sub: Any) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of the model file format (or of an output)",
        description="Print the JSON Schema (draft 2020-12) of riskcast model "
        "files, for editors that validate TOML/JSON. With --output, that of what riskcast "
        "writes instead: forecast.json (--output or --output forecast, both its full and its "
        "--no-samples form) or the report of run --format json (--output run).",
    )
    p.add_argument(
        "--output",
        nargs="?",
        const="forecast",
        choices=("forecast", "run"),
        help="the schema of an output: forecast (forecast.json, format riskcast-forecast/1; "
        "the default) or run (run --format json, format riskcast-run/1)",
    )
    p.set_defaults(act=cmd_schema)
    add_debug(p)


def cmd_schema(args: argparse.Namespace, s: Streams) -> int:
    if args.output == "forecast":
        from ..output_schema import forecast_schema as schema
    elif args.output == "run":
        from ..output_schema import report_schema as schema
    else:
        from ..io.modelfile import model_schema as schema

    print(json.dumps(schema(), indent=2), file=s.out)
    return EXIT_OK
