"""Peak memory against the number of runs: measured (resident set of a fresh process) and the
engine's bound (``riskcast.engine.run.memory_bytes``).

    python benchmarks/memory.py [--tasks 121]

Memory grows with the runs only up to the point where each target's finishes go into a
histogram; from there the curve is flat. Prints a table; it asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = """
import resource, sys
sys.path.insert(0, "benchmarks")
from networks import layered_project
import riskcast as rc
from riskcast.engine.run import memory_bytes
project = layered_project({tasks})
forecast = rc.simulate(project, iterations={runs}, seed=1)
forecast.sensitivity("ga"), forecast.task_table(), forecast.milestone("ga").percentile(80)
bound = memory_bytes(len(project.tasks) + 3, 4, {runs})
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, bound)
"""


def peak(tasks: int, runs: int) -> tuple[int, int]:
    """(peak resident bytes, the engine's bound) of a fresh process simulating ``runs``."""
    out = subprocess.check_output(
        [sys.executable, "-c", CODE.format(tasks=tasks, runs=runs)], cwd=ROOT, text=True
    )
    measured, bound = out.split()
    return int(measured), int(bound)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=121)
    args = parser.parse_args()
    base, _ = peak(args.tasks, 1024)
    print(
        f"{args.tasks} tasks, 3 milestones; a process simulating 1,024 runs peaks at "
        f"{base / 2**20:.0f} MB (Python, numpy, numba, the compiled kernels)"
    )
    print(f"{'runs':>12} {'peak':>9} {'growth':>9} {'bound':>9}")
    for runs in (10**5, 10**6, 4 * 10**6, 16 * 10**6, 64 * 10**6):
        measured, bound = peak(args.tasks, runs)
        print(
            f"{runs:>12,} {measured / 2**20:>7.0f}MB {(measured - base) / 2**20:>7.0f}MB "
            f"{bound / 2**20:>7.0f}MB"
        )


if __name__ == "__main__":
    main()
