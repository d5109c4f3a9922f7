"""Shared by the benchmarks: generated layered networks (about 2.5 predecessors per task, mixed
estimates, FS/SS/FF links with lags, three milestones) and a best-of timer."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

import riskcast as rc


def layered_project(n_tasks: int, seed: int = 0, width: int = 20) -> rc.Project:
    rng = np.random.default_rng(seed)
    tasks = []
    for k in range(n_tasks):
        low = float(rng.integers(1, 10))
        mode = low + float(rng.integers(0, 5))
        high = mode + float(rng.integers(1, 10))
        kind = k % 4
        estimate = (
            rc.Pert(low, mode, high)
            if kind == 0
            else rc.Triangular(low, mode, high)
            if kind == 1
            else rc.Uniform(low, high)
            if kind == 2
            else rc.LogNormal.from_mean_sd((low + mode + high) / 3, (high - low) / 4)
        )
        layer = k // width
        after = []
        if layer > 0:
            lo, hi = (layer - 1) * width, layer * width
            n_pred = min(int(rng.integers(1, 5)), hi - lo)
            for p in rng.choice(np.arange(lo, hi), size=n_pred, replace=False):
                kind_link = ("FS", "FS", "SS", "FF")[int(rng.integers(0, 4))]
                lag = float(rng.integers(-1, 3)) if kind_link != "FS" else 0.0
                after.append(rc.Link(f"t{p}", kind_link, lag))
        tasks.append(rc.Task(f"t{k}", estimate, after=tuple(after)))
    last = [f"t{k}" for k in range(max(0, n_tasks - width), n_tasks)]
    thirds = [f"t{k}" for k in range(max(0, n_tasks // 3 - width), n_tasks // 3)] or last
    twothirds = [f"t{k}" for k in range(max(0, 2 * n_tasks // 3 - width), 2 * n_tasks // 3)] or last
    milestones = (
        rc.Milestone("alpha", after=tuple(thirds)),
        rc.Milestone("beta", after=tuple(twothirds)),
        rc.Milestone("ga", after=tuple(last)),
    )
    return rc.Project("layered", "2027-01-04", tuple(tasks), milestones)


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """The shortest wall time of ``repeat`` calls of ``fn``, in seconds."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
