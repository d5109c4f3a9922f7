"""The cost of simulating a portfolio as one merged plan.

    python benchmarks/portfolio.py            # 10,000 runs
    python benchmarks/portfolio.py --quick    # 2,000 runs

Two portfolios: the example in models/portfolio (5 projects, 71 tasks, 3 shared teams, 9 cross
links) and a generated one of 20 projects (12 tasks each, 3 shared teams of 4 units, a cross
link from each project's first milestone to the next project's middle). For each, the table
prints the seconds to read and merge it, to simulate the merged plan (levelled in every run),
the same without resource limits (``scheme=None``: what levelling costs), and every project
alone one after the other (each levelled with its own teams), best of 3, with task-iterations
per second of the merged, levelled simulation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from networks import best_of

import riskcast as rc
from riskcast import portfolio as pf

EXAMPLE = Path(__file__).parent.parent / "models" / "portfolio" / "portfolio.toml"
TEAMS = ("backend", "frontend", "data")


def generated_project(k: int, n_tasks: int = 12) -> rc.Project:
    """Project ``k``: two parallel chains of tasks on the three teams (4 units each alone),
    and two milestones."""
    tasks = []
    for j in range(n_tasks):
        low = 2.0 + (j * 7 + k) % 5
        after = (f"t{j - 2}",) if j >= 2 else ()
        team = TEAMS[(j + k) % len(TEAMS)]
        estimate = rc.Pert(low, low + 2, low + 6 + j % 4)
        tasks.append(rc.Task(f"t{j}", estimate, after=after, assignments=(rc.Assignment(team),)))
    half = n_tasks // 2
    milestones = (
        rc.Milestone("beta", after=(f"t{half - 2}", f"t{half - 1}")),
        rc.Milestone("ga", after=(f"t{n_tasks - 2}", f"t{n_tasks - 1}")),
    )
    pools = tuple(rc.Resource(team, capacity=2) for team in TEAMS)
    return rc.Project(f"project {k}", "2027-01-04", tuple(tasks), milestones, resources=pools)


def generated_portfolio(n_projects: int = 20) -> pf.Portfolio:
    """``n_projects`` generated projects, each gated by the previous one's beta, sharing the
    three teams (4 units each across the portfolio)."""
    projects = {f"p{k}": generated_project(k) for k in range(n_projects)}
    links = [pf.CrossLink(f"p{k - 1}/beta", f"p{k}/t6", "FS", 2.0) for k in range(1, n_projects)]
    pools = [pf.SharedPool(team, capacity=4) for team in TEAMS]
    return pf.build_portfolio("generated", projects, links, pools)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 2_000 if args.quick else 10_000
    cases = [
        ("example (5 projects)", lambda: rc.load_portfolio(EXAMPLE)),
        ("generated (20 projects)", generated_portfolio),
    ]
    print(f"{runs:,} runs, best of 3; levelled in every run (parallel scheme, lft)")
    header = f"{'portfolio':<26}{'tasks':>7}{'merge s':>10}{'merged s':>10}{'unlimited s':>13}"
    print(header + f"{'alone s':>10}{'M task-it/s':>13}")
    for label, make in cases:
        began = time.perf_counter()
        portfolio = make()
        merge = time.perf_counter() - began
        project = portfolio.project
        pf.simulate(portfolio, iterations=1_024, seed=1)  # compile the kernel, warm up
        merged = best_of(lambda p=portfolio: pf.simulate(p, iterations=runs, seed=1))
        free = best_of(lambda p=portfolio: pf.simulate(p, iterations=runs, seed=1, scheme=None))
        alone = best_of(
            lambda p=portfolio: [
                rc.simulate(s, iterations=runs, seed=1) for s in p.projects.values()
            ]
        )
        rate = len(project.tasks) * runs / merged / 1e6
        print(
            f"{label:<26}{len(project.tasks):>7}{merge:>10.2f}{merged:>10.2f}{free:>13.2f}"
            f"{alone:>10.2f}{rate:>13.2f}"
        )


if __name__ == "__main__":
    main()
