"""The cost of choosing which candidate projects to fund (riskcast.selection).

    python benchmarks/selection.py            # 500 scenarios, 4,000 check runs
    python benchmarks/selection.py --quick    # 200 scenarios, 1,000 check runs

First the example portfolio (models/portfolio: 5 committed projects, 4 candidates): the seconds
of the whole selection and of its parts (the check runs without candidates, the scenarios, the
programs, the levelled checks). Then generated portfolios of 8, 12 and 16 candidates on three
shared teams: the seconds to solve one program with scipy's milp against enumerating every
subset on the same scenario arrays (numpy, one subset at a time), and whether they agree.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from portfolio import TEAMS, generated_project

import riskcast as rc
from riskcast import portfolio as pf
from riskcast import selection
from riskcast.candidates import Candidate, SelectionRules
from riskcast.selection_model import solve

EXAMPLE = Path(__file__).parent.parent / "models" / "portfolio" / "portfolio.toml"


def timed(act):
    began = time.perf_counter()
    out = act()
    return out, time.perf_counter() - began


def example(scenarios: int, iterations: int) -> None:
    portfolio = rc.load_portfolio(EXAMPLE)
    selection.select(portfolio, seed=1, scenarios=64, iterations=256)  # compile, warm up
    spent: dict[str, float] = {"checks": 0.0, "programs": 0.0}
    real_check, real_solve = selection._check, selection.solve

    def check(*args):
        out, seconds = timed(lambda: real_check(*args))
        spent["checks"] += seconds
        return out

    def program(*args):
        out, seconds = timed(lambda: real_solve(*args))
        spent["programs"] += seconds
        return out

    selection._check, selection.solve = check, program
    try:
        chosen, total = timed(
            lambda: selection.select(portfolio, seed=7, scenarios=scenarios, iterations=iterations)
        )
    finally:
        selection._check, selection.solve = real_check, real_solve
    print(f"example portfolio: {len(portfolio.candidates)} candidates, {scenarios:,} scenarios, ")
    print(f"  {iterations:,} levelled check runs per set")
    print(
        f"  selection        {total:7.2f} s  ({chosen.rounds} programs, {len(chosen.rejected)} "
        "rejected by the check)"
    )
    print(f"  programs (milp)  {spent['programs']:7.2f} s")
    print(
        f"  levelled checks  {spent['checks']:7.2f} s  ({len(chosen.runners_up) + 1 + len(chosen.rejected)} sets)"
    )
    print(f"  chosen: {', '.join(chosen.best.candidates) if chosen.best else 'none'}")


def generated(n: int) -> pf.Portfolio:
    """Two committed generated projects and ``n`` candidates on the three shared teams (2
    units each: a few candidates fit), each candidate's milestones due on one of four dates."""
    rng = np.random.default_rng(n)
    due = ("2027-02-26", "2027-03-12", "2027-03-26", "2027-04-09")
    committed = {f"p{k}": with_targets(generated_project(k), "2027-04-30") for k in range(2)}
    candidates = [
        Candidate(
            f"c{k}",
            with_targets(generated_project(k + 2, n_tasks=6), due[k % len(due)]),
            rc.money(float(rng.uniform(1e5, 1e6))),
            rc.money(float(rng.uniform(1e5, 4e5))),
        )
        for k in range(n)
    ]
    pools = [pf.SharedPool(team, capacity=3) for team in TEAMS]
    return pf.build_portfolio(
        "generated",
        committed,
        pools=pools,
        candidates=candidates,
        selection=SelectionRules(budget=float(n) * 1.5e5, confidence=70),
    )


def with_targets(project: rc.Project, day: str) -> rc.Project:
    return dataclasses.replace(
        project,
        milestones=tuple(
            dataclasses.replace(m, target=dt.date.fromisoformat(day)) for m in project.milestones
        ),
    )


def enumerate_best(sc, budget: float) -> tuple[float, frozenset[int]]:
    n = len(sc.candidates)
    best, argbest = -1.0, frozenset()
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            mask = np.zeros(n, bool)
            mask[list(subset)] = True
            if sc.feasible(mask, budget) and sc.value @ mask > best:
                best, argbest = float(sc.value @ mask), frozenset(subset)
    return best, argbest


def scaling(scenarios: int) -> None:
    print(f"\ngenerated portfolios, {scenarios:,} scenarios: one program against enumeration")
    print(
        f"{'candidates':>10}{'subsets':>10}{'chosen':>8}{'milp s':>10}{'enumerate s':>13}"
        f"{'agree':>7}"
    )
    for n in (8, 12, 16):
        portfolio = generated(n)
        sc, _ = selection.build_scenarios(portfolio, 70, scenarios, 1)
        budget = portfolio.selection.budget
        chosen, milp_s = timed(lambda sc=sc, b=budget: solve(sc, b))
        (value, _), brute_s = timed(lambda sc=sc, b=budget: enumerate_best(sc, b))
        agree = chosen is not None and abs(float(sc.value[list(chosen)].sum()) - value) < 1e-6
        print(
            f"{n:>10}{2**n:>10,}{len(chosen or ()):>8}{milp_s:>10.2f}{brute_s:>13.2f}"
            f"{'yes' if agree else 'NO':>7}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    scenarios, iterations = (200, 1_000) if args.quick else (500, 4_000)
    example(scenarios, iterations)
    scaling(scenarios)


if __name__ == "__main__":
    main()
