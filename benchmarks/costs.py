"""The cost of costing every run.

    python benchmarks/costs.py            # 1,000 and 10,000 tasks, 10,000 runs
    python benchmarks/costs.py --quick    # 1,000 tasks, 2,000 runs

A layered network (benchmarks/networks.py) simulated as it is, then with every task costed (a
rate per working day and a triangular fixed cost), and with that plus an overhead: the ratio
to the plan without costs is the overhead of costing (kernel: one sum per costed task and
run, drawn fixed costs; forecast: per-target totals and overheads). A separate column times
the cash flow, computed on first use from the runs kept in full.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from networks import best_of, layered_project

import riskcast as rc


def costed(project: rc.Project, overhead: bool) -> rc.Project:
    """Every task with a rate and a fixed cost; optionally a team until the project finish."""
    tasks = tuple(
        dataclasses.replace(
            t, cost=rc.Cost(rc.money({"triangular": [1000, 1500, 4000]}), 400.0 + k % 7)
        )
        for k, t in enumerate(project.tasks)
    )
    extra = (rc.Overhead("team", 5000.0),) if overhead else ()
    return dataclasses.replace(project, tasks=tasks, overheads=extra, budget=1e9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 2_000 if args.quick else 10_000
    sizes = (1_000,) if args.quick else (1_000, 10_000)
    print(f"{runs:,} runs, best of 3, whole simulate() call")
    header = f"{'tasks':>7}  {'model':<22}{'seconds':>9}{'M task-it/s':>13}{'ratio':>7}"
    print(header + f"{'cash flow s':>13}")
    for n in sizes:
        bare = layered_project(n, seed=3)
        base = None
        for label, project in (
            ("no costs", bare),
            ("every task costed", costed(bare, False)),
            ("... and an overhead", costed(bare, True)),
        ):
            rc.simulate(project, iterations=1_024, seed=1)  # compile, warm up
            seconds = best_of(lambda p=project: rc.simulate(p, iterations=runs, seed=1))
            base = base or seconds
            rate = n * runs / seconds / 1e6
            flow = ""
            if project.tasks[0].cost is not None:
                fc = rc.simulate(project, iterations=runs, seed=1)
                t0 = time.perf_counter()
                fc.cash_flow()
                flow = f"{time.perf_counter() - t0:>13.2f}"
            print(f"{n:>7,}  {label:<22}{seconds:>9.2f}{rate:>13.2f}{seconds / base:>7.2f}{flow}")


if __name__ == "__main__":
    main()
