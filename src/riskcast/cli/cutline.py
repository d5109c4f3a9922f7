"""``riskcast cutline``: which items of an ordered backlog make a release date, and how sure.

Each item is a milestone; its joint confidence is the share of runs in which it and every item
above it are delivered by the date (:mod:`riskcast.roadmap`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    add_command,
    add_format,
    add_iterations,
    add_mitigated,
    add_seed,
    add_threads,
    check_milestones,
    check_mitigation,
    load,
    scenario_note,
    simulate,
)
from ._errors import CliError
from ._output import Report, Staging, Streams, deliver, quiet, write_text
from ._text import aligned, iso, percent
from .jcl import iso_date, joint_level

COLUMNS = ("id", "name", "probability", "joint", "above")


def parse_cutline(sub: Any) -> None:
    p = add_command(
        sub,
        "cutline",
        cmd_cutline,
        help="which backlog items make a release date, at a confidence",
        description="Simulate MODEL (a plan or a portfolio) and go down --backlog, milestone "
        "ids most important first: each item's chance of delivery by --date, and its joint "
        "confidence, the share of runs in which it and every item above it are delivered "
        "(counted on the same runs). The items whose joint confidence reaches --confidence "
        "(default 85%) are above the line: they can be promised together. With --out, write "
        "cutline.csv.",
    )
    p.add_argument("model", help="model or portfolio file, or exported schedule")
    p.add_argument(
        "--backlog",
        "-b",
        metavar="ID,ID,...",
        help="the milestone ids in priority order, separated by commas (default: the "
        "portfolio file's [[item]]s)",
    )
    p.add_argument(
        "--date",
        "-d",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="release date (default: the portfolio file's [roadmap] release)",
    )
    p.add_argument(
        "--confidence",
        "-c",
        type=joint_level,
        metavar="P",
        help="the joint confidence the items above the line reach, a percentage in (0, 100] "
        "(default: the [roadmap] confidence, else 85)",
    )
    add_iterations(p)
    add_seed(
        p,
        "random seed; the same seed gives identical results (default: a fresh seed, printed so "
        "the run can be repeated)",
    )
    add_mitigated(p)
    add_threads(p)
    add_format(p)
    p.add_argument("--out", "-o", metavar="DIR", help="write cutline.csv here")
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no notes on stderr"
    )


def cmd_cutline(args: argparse.Namespace, s: Streams) -> int:
    project = load(args.model)
    names = None
    if args.backlog is None or args.date is None or args.confidence is None:
        names = _roadmap_defaults(args, project, s)
    backlog = [part.strip() for part in args.backlog.split(",") if part.strip()]
    if not backlog:
        raise CliError("--backlog names no milestone: give ids in priority order, e.g. beta,ga")
    repeated = sorted({id for id in backlog if backlog.count(id) > 1})
    if repeated:
        raise CliError(f"--backlog names {', '.join(repeated)} more than once")
    check_milestones(project, backlog)  # every unknown id at once, with did-you-mean
    args.mitigation = check_mitigation(project, args.mitigated)

    def compute() -> Report:
        from ..roadmap import cut_line

        forecast = simulate(project, args, s, quiet(args))
        line = cut_line(forecast, backlog, args.date, args.confidence, names)
        return CutLineReport(forecast, line)

    return deliver(args, s, compute)


def _roadmap_defaults(args: argparse.Namespace, project: Any, s: Streams) -> dict | None:
    """Fill --backlog, --date and --confidence from a portfolio file's roadmap, and return its
    item names; a CliError naming what is missing when the file has none."""
    from ..portfolio import load_portfolio
    from ..portfolio_file import is_portfolio_file

    roadmap = load_portfolio(args.model).roadmap if is_portfolio_file(Path(args.model)) else None
    if roadmap is None:
        if args.backlog is None or args.date is None:
            missing = " and ".join(
                o for o, v in (("--backlog", args.backlog), ("--date", args.date)) if v is None
            )
            raise CliError(
                f"give {missing}: {args.model} has no [roadmap] (a portfolio file's [roadmap] "
                "release date and [[item]]s are the defaults)"
            )
        args.confidence = 85.0 if args.confidence is None else args.confidence
        return None
    if args.backlog is None:
        present = {m.id for m in project.milestones}
        left = [id for id in roadmap.backlog if id not in present]
        args.backlog = ",".join(id for id in roadmap.backlog if id in present)
        if left and not quiet(args):
            print(
                f"{len(left)} roadmap item(s) of candidate projects left out (not in the "
                f"portfolio until chosen): {', '.join(left)}",
                file=s.err,
            )
    if args.date is None:
        if roadmap.release is None:
            raise CliError(f"give --date: {args.model}'s [roadmap] has no release date")
        args.date = roadmap.release
    if args.confidence is None:
        args.confidence = roadmap.confidence
    return roadmap.names


class CutLineReport(Report):
    """The backlog of ``line`` (a :class:`~riskcast.roadmap.CutLine`) from ``forecast``."""

    columns = COLUMNS

    def __init__(self, forecast: Any, line: Any):
        self.forecast, self.line = forecast, line

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "id": item.id,
                "name": item.name,
                "probability": item.probability,
                "joint": item.joint,
                "above": item.above,
            }
            for item in self.line.items
        ]

    def table(self) -> str:
        forecast, line = self.forecast, self.line
        rows = [["#", "item", "by the date", "with those above"]]
        for k, item in enumerate(line.items, start=1):
            rows.append([str(k), item.name, percent(item.probability), percent(item.joint)])
            if item.above and (k == len(line.items) or not line.items[k].above):
                rows.append(["", f"— cut line at {line.level:g}% —", "", ""])
        if not line.items[0].above:
            rows.insert(1, ["", f"— cut line at {line.level:g}%: no item makes it —", "", ""])
        return "\n".join(
            [
                f"{forecast.project_name} — backlog by {line.date.isoformat()} "
                f"({forecast.iterations:,} runs, seed {forecast.seed}"
                f"{scenario_note(forecast.mitigation)})",
                *aligned(rows, right=(2, 3)),
                "by the date: share of runs delivering the item by the date; with those above: "
                "share delivering it and every item above it (the same runs)",
            ]
        )

    def summary(self) -> dict[str, Any]:
        forecast, line = self.forecast, self.line
        return {
            "format": "riskcast-cutline/1",
            "project": forecast.project_name,
            "seed": forecast.seed,
            "iterations": forecast.iterations,
            "date": iso(line.date),
            "confidence": line.level,
            "committed": line.committed,
            "items": self.rows(),
        }

    def write(self, staging: Staging) -> None:
        write_text(staging.path("cutline.csv"), self.csv())
