"""The kernel against the slow reference simulator, on the same uniforms: identical results."""

from __future__ import annotations

import numpy as np
import pytest

from riskcast.compile import compile_project
from riskcast.engine.run import run

from . import naive
from .dags import random_project

ITERATIONS = 150


@pytest.mark.parametrize("seed", range(8))
def test_kernel_matches_reference_simulator(seed):
    project = random_project(seed, n_tasks=12 + seed, n_milestones=1 + seed % 3)
    network = compile_project(project)
    runs = run(network, seed=seed, iterations=ITERATIONS, batch=1024)
    expected_finishes, expected_counts = naive.simulate(project, seed, ITERATIONS)

    np.testing.assert_allclose(runs.finishes, expected_finishes, rtol=0, atol=1e-9)
    targets = [m.id for m in project.milestones] + ["finish"]
    for k, target in enumerate(targets):
        got = {id: int(runs.critical[k, j]) for j, id in enumerate(network.ids)}
        assert got == expected_counts[target], f"criticality towards {target}"


def test_reference_sums_match_streamed_means():
    project = random_project(3, n_tasks=10)
    network = compile_project(project)
    runs = run(network, seed=11, iterations=300)
    draws = naive.durations(project, 11, 300)
    for j, id in enumerate(network.ids):
        if id in draws:
            shifted = draws[id] - network.plan_duration[j]
            assert runs.sums[1, j] == pytest.approx(shifted.sum(), rel=1e-12, abs=1e-10)
            assert runs.sums[2, j] == pytest.approx((shifted**2).sum(), rel=1e-12, abs=1e-10)


def test_more_targets_than_one_sweep_counts():
    # 70 milestones + the finish: criticality is counted in sweeps of GROUP targets
    import riskcast as rc
    from riskcast.engine.kernels import GROUP

    base = random_project(21, n_tasks=30, n_milestones=0)
    extra = tuple(rc.Milestone(f"m{k}", (f"t{(7 * k) % 30}",)) for k in range(70))
    project = rc.Project("many", base.start, base.tasks, extra)
    assert len(extra) + 1 > GROUP
    network = compile_project(project)
    runs = run(network, seed=4, iterations=60)
    expected_finishes, expected_counts = naive.simulate(project, 4, 60)
    np.testing.assert_allclose(runs.finishes, expected_finishes, rtol=0, atol=1e-9)
    for k, target in enumerate([m.id for m in extra] + ["finish"]):
        got = {id: int(runs.critical[k, j]) for j, id in enumerate(network.ids)}
        assert got == expected_counts[target], target
