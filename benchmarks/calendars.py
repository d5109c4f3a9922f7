"""The cost of task calendars: the same network on one calendar and on several.

    python benchmarks/calendars.py            # 1,000 tasks x 20,000 runs
    python benchmarks/calendars.py --quick    # 1,000 tasks x 5,000 runs

One calendar (every task and lag on the project calendar) runs on that calendar's working days:
no lookups. The same network with its tasks spread over three calendars (Mon-Fri 8 h, a
Mon-Thu 10 h team, a 24/7 operations calendar) runs on the elapsed clock, each task converting
its start and finish through its calendar's tables. The table prints task-iterations per second
of the whole job (criticality and statistics included) and the ratio (target: <= 1.3).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from networks import best_of, layered_project

import riskcast as rc

CALENDARS = {
    "office": rc.Calendar(hours=("08:00-12:00", "13:00-17:00")),
    "team": rc.Calendar(("mon", "tue", "wed", "thu"), hours=("07:00-12:00", "13:00-18:00")),
    "ops": rc.Calendar.elapsed(),
}


def spread(project: rc.Project) -> rc.Project:
    """``project`` with its tasks on the three calendars in turn."""
    names = list(CALENDARS)
    tasks = [
        dataclasses.replace(t, calendar=names[k % len(names)]) for k, t in enumerate(project.tasks)
    ]
    return dataclasses.replace(project, tasks=tuple(tasks), calendars=CALENDARS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 5_000 if args.quick else 20_000
    one = layered_project(1_000, seed=3)
    many = spread(one)
    rows = []
    for label, project in (("one calendar", one), ("three calendars", many)):
        rc.simulate(project, iterations=1_024, seed=1)  # compile and warm up
        seconds = best_of(lambda p=project: rc.simulate(p, iterations=runs, seed=1))
        rows.append((label, seconds, len(project.tasks) * runs / seconds / 1e6))
    print(f"{len(one.tasks):,} tasks x {runs:,} runs (best of 3, whole job)")
    print(f"{'plan':<18}{'seconds':>10}{'M task-it/s':>14}")
    for label, seconds, rate in rows:
        print(f"{label:<18}{seconds:>10.3f}{rate:>14.1f}")
    print(f"ratio (three / one): {rows[1][1] / rows[0][1]:.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
