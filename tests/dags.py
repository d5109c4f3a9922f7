"""Random plans for tests: DAGs with every link type, leads and lags, and mixed estimates."""

from __future__ import annotations

import datetime as dt

import numpy as np

import riskcast as rc


def random_estimate(rng: np.random.Generator) -> rc.Distribution:
    low = float(rng.uniform(0, 5))
    mode = low + float(rng.uniform(0, 4))
    high = mode + float(rng.uniform(0.5, 6))
    pick = int(rng.integers(0, 9))
    return [
        rc.Fixed(round(mode)),
        rc.Uniform(low, high),
        rc.Triangular(low, mode, high),
        rc.Pert(low, mode, high),
        rc.Pert(low, mode, high, lam=2.5),
        rc.Normal(mode + 2, 1.5),
        rc.LogNormal.from_mean_sd(mode + 1, 1.0),
        rc.Discrete((low, mode, high), (0.2, 0.5, 0.3)),
        rc.Empirical((low, mode, high, mode + 1)),
    ][pick]


def random_project(seed: int, n_tasks: int = 15, n_milestones: int = 2) -> rc.Project:
    rng = np.random.default_rng(seed)
    start = dt.date(2027, 1, 4)
    tasks = []
    for k in range(n_tasks):
        after = []
        if k:
            for p in rng.choice(k, size=min(k, int(rng.integers(0, 4))), replace=False):
                kind = ("FS", "SS", "FF", "SF")[int(rng.integers(0, 4))]
                lag = float(rng.choice([0.0, 0.0, 2.0, -1.5, 3.25]))
                after.append(rc.Link(f"t{p}", kind, lag))
        not_before = (
            start + dt.timedelta(days=int(rng.integers(1, 20))) if rng.random() < 0.15 else None
        )
        tasks.append(
            rc.Task(f"t{k}", random_estimate(rng), after=tuple(after), not_before=not_before)
        )
    milestones = []
    for m in range(n_milestones):
        size = int(rng.integers(1, 4))
        preds = rng.choice(n_tasks, size=size, replace=False)
        milestones.append(rc.Milestone(f"m{m}", after=tuple(f"t{p}" for p in preds)))
    return rc.Project(f"random {seed}", start, tuple(tasks), tuple(milestones))
