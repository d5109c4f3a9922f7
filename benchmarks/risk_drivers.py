"""Risk-driver timing: 30 risks on a 1,000-task network at 10,000 iterations.

    python benchmarks/risk_drivers.py

Also shows what risks and correlation cost a run: the same network simulated without risks, with
30 risks, and with 30 risks plus a correlated group of 50 task durations.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from networks import best_of, layered_project

import riskcast as rc
from riskcast.drivers import risk_drivers
from riskcast.risks import Correlation, Impact, Risk

ITERATIONS = 10_000


def with_risks(project: rc.Project, n_risks: int = 30, seed: int = 0) -> rc.Project:
    rng = np.random.default_rng(seed)
    ids = [t.id for t in project.tasks]
    risks = []
    for r in range(n_risks):
        hit = rng.choice(ids, size=int(rng.integers(1, 4)), replace=False)
        impacts = tuple(
            Impact(t, add=rc.Triangular(1, 3, 8))
            if k % 2 == 0
            else Impact(t, multiply=rc.Pert(1.0, 1.1, 1.5))
            for k, t in enumerate(hit)
        )
        risks.append(Risk(f"r{r}", float(rng.uniform(0.05, 0.6)), impacts))
    return dataclasses.replace(project, risks=tuple(risks))


def main() -> None:
    base = layered_project(1000)
    risky = with_risks(base)
    correlated = dataclasses.replace(
        risky, correlations=(Correlation(0.5, tasks=tuple(t.id for t in base.tasks[:50])),)
    )
    print(f"1,000 tasks, {ITERATIONS:,} iterations")
    for label, project in (
        ("no risks", base),
        ("30 risks", risky),
        ("30 risks + correlation", correlated),
    ):
        rc.simulate(project, iterations=1024, seed=1)
        seconds = best_of(lambda p=project: rc.simulate(p, iterations=ITERATIONS, seed=1))
        print(f"  simulate, {label:<24} {seconds:6.3f} s")
    risk_drivers(risky, "ga", iterations=1024, seed=1)
    seconds = best_of(lambda: risk_drivers(risky, "ga", iterations=ITERATIONS, seed=1), 1)
    print(f"  risk drivers, 30 risks (31 runs)    {seconds:6.3f} s")


if __name__ == "__main__":
    main()
