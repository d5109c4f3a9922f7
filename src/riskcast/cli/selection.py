"""``riskcast select``: which candidate projects of a portfolio to fund (:mod:`riskcast.selection`).

Prints the chosen set, the runners-up, and per candidate why it is in or out; ``--out`` writes
selection.csv (one row per candidate) and selection.json."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ._common import add_command, add_format, add_seed, add_threads, fresh_seed, positive_int
from ._costs import amount, whole
from ._errors import CliError
from ._output import Report, Staging, Streams, deliver, quiet, write_text
from ._text import aligned, percent
from .jcl import budget_amount, joint_level

COLUMNS = ("id", "name", "value", "cost", "chosen", "why")


def parse_select(sub: Any) -> None:
    p = add_command(
        sub,
        "select",
        cmd_select,
        help="which candidate projects of a portfolio to fund",
        description="Choose the [[candidate]] projects of PORTFOLIO that maximise the expected "
        "value within the budget, with every roadmap milestone of a chosen project on time in "
        "at least --confidence % of the runs (and no committed roadmap milestone that reaches "
        "it without candidates pushed below): a mixed-integer program on simulated scenarios, "
        "each choice then re-simulated with resource levelling on other runs. Prints the "
        "chosen set, the runners-up and why each candidate is in or out.",
    )
    p.add_argument("model", metavar="PORTFOLIO", help="portfolio file with [[candidate]] tables")
    p.add_argument(
        "--budget",
        type=budget_amount,
        metavar="AMOUNT",
        help="money for the candidates, e.g. 600000 or 600,000 (default: the file's [selection] "
        "budget; none: no limit)",
    )
    p.add_argument(
        "--confidence",
        "-c",
        type=joint_level,
        metavar="P",
        help="percent each roadmap milestone of a chosen project reaches, in (0, 100] "
        "(default: the file's [selection] confidence, else 80)",
    )
    p.add_argument(
        "--scenarios",
        type=positive_int,
        default=500,
        metavar="N",
        help="simulated scenarios the program is solved on (default 500)",
    )
    p.add_argument(
        "--iterations",
        "-n",
        type=positive_int,
        default=4000,
        metavar="N",
        help="levelled runs each choice is checked on (default 4,000)",
    )
    p.add_argument(
        "--runners-up",
        type=int,
        default=2,
        metavar="K",
        help="further sets to show after the best one (default 2)",
    )
    add_seed(
        p,
        "random seed; the same seed gives the same selection (default: a fresh seed, printed "
        "so the run can be repeated)",
    )
    add_threads(p)
    add_format(p)
    p.add_argument("--out", "-o", metavar="DIR", help="write selection.csv and selection.json here")
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress notes and no notes on stderr"
    )


def cmd_select(args: argparse.Namespace, s: Streams) -> int:
    from ..portfolio import load_portfolio
    from ..portfolio_file import is_portfolio_file

    if not is_portfolio_file(Path(args.model)):
        raise CliError(
            f"{args.model}: not a portfolio file; select chooses among the [[candidate]] "
            "projects of a portfolio file (a TOML file with a [portfolio] table)"
        )
    if args.runners_up < 0:
        raise CliError(f"--runners-up must be 0 or more, got {args.runners_up}")
    portfolio = load_portfolio(args.model)
    if not portfolio.candidates:
        raise CliError(
            f"{args.model}: the portfolio has no [[candidate]]; add the projects to choose "
            "among (id, model, value; optional cost and needs)"
        )
    seed = fresh_seed(args, s, quiet(args))

    def compute() -> Report:
        from ..selection import select

        return SelectionReport(
            select(
                portfolio,
                budget=args.budget,
                confidence=args.confidence,
                scenarios=args.scenarios,
                iterations=args.iterations,
                seed=seed,
                runners_up=args.runners_up,
                threads=args.threads,
            )
        )

    return deliver(args, s, compute)


class SelectionReport(Report):
    """A :class:`~riskcast.selection.Selection` as ``select`` prints and writes it."""

    columns = COLUMNS

    def __init__(self, selection: Any):
        self.selection = selection

    def rows(self) -> list[dict[str, Any]]:
        sel = self.selection
        chosen = set(sel.best.candidates) if sel.best else set()
        return [
            {
                "id": cid,
                "name": name,
                "value": whole(sel.values[cid]),
                "cost": whole(sel.costs[cid]),
                "chosen": cid in chosen,
                "why": sel.reasons.get(cid, ""),
            }
            for cid, name in sel.candidates.items()
        ]

    def table(self) -> str:
        sel = self.selection
        money = f" {sel.currency}" if sel.currency else ""
        budget = "no budget limit" if sel.budget is None else f"budget {amount(sel.budget)}{money}"
        lines = [
            f"{sel.portfolio} — which candidates to fund",
            f"{budget}; every roadmap milestone of a chosen project on time in at least "
            f"{sel.level:g}% of the runs",
            f"{sel.scenarios:,} scenarios; each choice re-simulated with levelling on "
            f"{sel.iterations:,} other runs (seed {sel.seed})",
            "",
        ]
        if sel.best is None:
            lines.append(
                "no set of candidates keeps the rules, not even none: the committed projects "
                "alone break them (see below)"
            )
        else:
            rows = [["", "candidates", "value", "cost", "lowest milestone"]]
            for k, c in enumerate([sel.best, *sel.runners_up]):
                low = c.lowest
                rows.append(
                    [
                        "chosen" if k == 0 else f"runner-up {k}",
                        ", ".join(c.candidates) or "(none)",
                        amount(c.value),
                        amount(c.cost),
                        f"{low[0]} {percent(low[1])}" if low else "-",
                    ]
                )
            lines += aligned(rows, right=(2, 3))
            lines.append("")
            rows = [["candidate", "value", "cost", "why"]]
            for row in self.rows():
                rows.append([row["id"], amount(row["value"]), amount(row["cost"]), row["why"]])
            lines += aligned(rows, right=(1, 2))
        if sel.rejected:
            lines.append("")
            lines.append("chosen by the program but short when re-simulated with levelling:")
            for c in sel.rejected:
                low = c.lowest
                shown = f": {low[0]} {percent(low[1])}" if low else ""
                lines.append(f"  {', '.join(c.candidates) or '(none)'}{shown}")
        if sel.below:
            lines.append("")
            lines.append(
                f"committed roadmap milestones under {sel.level:g}% without any candidate (not "
                "constrained): "
                + ", ".join(f"{id} {percent(share)}" for id, share in sel.below.items())
            )
        lines.append("")
        lines.append(
            "value, cost: expected (currency units); lowest milestone: its share of the "
            f"levelled runs on time; {sel.rounds} programs solved in {sel.seconds:.1f} s"
        )
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        return {"format": "riskcast-selection/1", **self.selection.to_dict()}

    def write(self, staging: Staging) -> None:
        write_text(staging.path("selection.csv"), self.csv())
        write_text(staging.path("selection.json"), json.dumps(self.summary(), indent=2) + "\n")
