"""The cost of resource levelling in every run.

    python benchmarks/levelling.py            # 1,000 tasks / 5 pools, and PSPLIB j120, 10,000 runs
    python benchmarks/levelling.py --quick    # 2,000 runs

A layered 1,000-task network (benchmarks/networks.py) whose tasks each need one of five pools
of 3 to 6 units (capacities that bind: tasks wait), simulated unlevelled, with the parallel and
with the serial scheme; and the j120 PSPLIB instance in tests/data/psplib with its durations
given a triangular spread. The table prints seconds for the whole job and task-iterations per
second (target: the 1,000-task case under 5 s on a 2-core machine, 10,000 runs).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from networks import best_of, layered_project

import riskcast as rc

PSPLIB = Path(__file__).parent.parent / "tests" / "data" / "psplib" / "j1201_2.sm"


def pooled(project: rc.Project, pools: int = 5) -> rc.Project:
    """``project`` with every task needing one unit of one of ``pools`` pools, in turn."""
    resources = tuple(rc.Resource(f"pool{p}", capacity=3 + p % 4) for p in range(pools))
    tasks = tuple(
        dataclasses.replace(t, assignments=(rc.Assignment(f"pool{k % pools}", 1),))
        for k, t in enumerate(project.tasks)
    )
    return dataclasses.replace(project, tasks=tasks, resources=resources)


def spread(project: rc.Project) -> rc.Project:
    """Fixed PSPLIB durations given a triangular spread (-20 %, +50 %)."""
    tasks = tuple(
        t
        if t.estimate.most_likely == 0
        else dataclasses.replace(
            t,
            estimate=rc.Triangular(
                0.8 * t.estimate.most_likely, t.estimate.most_likely, 1.5 * t.estimate.most_likely
            ),
        )
        for t in project.tasks
    )
    return dataclasses.replace(project, tasks=tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 2_000 if args.quick else 10_000
    cases = [("1,000 tasks, 5 pools", pooled(layered_project(1_000, seed=3)))]
    if PSPLIB.exists():
        cases.append(("PSPLIB j120 (spread)", spread(rc.load(PSPLIB))))
    print(f"{runs:,} runs, best of 3, whole job (the levelled runs and the same runs unlimited)")
    print(f"{'model':<24}{'scheme':<10}{'seconds':>10}{'M task-it/s':>14}")
    for label, project in cases:
        for scheme in (None, "parallel", "serial"):
            rc.simulate(project, iterations=1_024, seed=1, scheme=scheme)  # compile, warm up
            seconds = best_of(
                lambda p=project, s=scheme: rc.simulate(p, iterations=runs, seed=1, scheme=s)
            )
            rate = len(project.tasks) * runs / seconds / 1e6
            print(f"{label:<24}{scheme or 'none':<10}{seconds:>10.2f}{rate:>14.2f}")


if __name__ == "__main__":
    main()
