"""Properties every forecast must have, on random plans (hypothesis)."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import riskcast as rc
from riskcast.compile import compile_project
from riskcast.engine.run import forward_pass, run

from .dags import random_project

seeds = st.integers(min_value=0, max_value=2**32)


def _fixed(project: rc.Project) -> rc.Project:
    tasks = tuple(
        dataclasses.replace(t, estimate=rc.Fixed(round(t.estimate.most_likely, 2)))
        for t in project.tasks
    )
    return dataclasses.replace(project, tasks=tasks)


@given(plan=seeds, seed=seeds)
@example(plan=383, seed=0)  # an FF successor whose (finish - d) + d rounds below the bound
def test_fixed_durations_give_exactly_the_cpm_dates(plan, seed):
    project = _fixed(random_project(plan, n_tasks=10))
    network = compile_project(project)
    _, plan_finish = forward_pass(network, network.plan_duration)
    forecast = rc.simulate(project, iterations=64, seed=seed)
    for k, m in enumerate(forecast.milestones):
        assert np.all(m.samples == plan_finish[network.milestone_idx[k]])
        assert m.sd_days == 0.0
        assert m.percentile(95) == m.cpm_date
    assert np.all(forecast.project_finish.samples == plan_finish.max())


@given(plan=seeds)
def test_mean_finish_is_never_below_the_cpm_length_with_mean_durations(plan):
    # Jensen / Fulkerson: E[max] >= max E. The simulated mean carries Monte Carlo error, so allow
    # 4 standard errors below.
    project = random_project(plan, n_tasks=10)
    network = compile_project(project)
    _, mean_plan = forward_pass(network, network.mean_duration)
    forecast = rc.simulate(project, iterations=4000, seed=1)
    for k, m in enumerate(forecast.milestones):
        se = m.sd_days / np.sqrt(forecast.iterations)
        assert m.mean_days >= mean_plan[network.milestone_idx[k]] - 4 * se - 1e-12


@given(plan=seeds, seed=seeds)
def test_percentiles_are_monotone_and_consistent_with_probability(plan, seed):
    forecast = rc.simulate(random_project(plan, n_tasks=8), iterations=500, seed=seed)
    for m in forecast.targets:
        qs = [1, 5, 10, 25, 50, 75, 80, 90, 95, 99, 100]
        days = [m.percentile_days(q) for q in qs]
        assert days == sorted(days)
        for q in qs:
            assert m.probability_by(m.percentile(q)) >= q / 100
            lo, hi = m.percentile_interval_days(q)
            assert lo <= m.percentile_days(q) <= hi


@given(plan=seeds)
def test_criticality_is_a_share_and_one_on_a_chain(plan):
    rng = np.random.default_rng(plan)
    n = int(rng.integers(2, 8))
    tasks = [
        rc.Task(f"c{k}", rc.Triangular(1, 2, 4 + k), after=(f"c{k - 1}",) if k else ())
        for k in range(n)
    ]
    chain = rc.Project("chain", "2027-01-04", tuple(tasks), (rc.Milestone("end", (f"c{n - 1}",)),))
    forecast = rc.simulate(chain, iterations=300, seed=plan)
    assert set(forecast.criticality("end").values()) == {1.0}
    assert set(forecast.criticality().values()) == {1.0}
    other = rc.simulate(random_project(plan, n_tasks=10), iterations=300, seed=plan)
    for target in other.targets:
        values = np.array(list(other.criticality(target.id).values()))
        assert np.all((values >= 0) & (values <= 1))


@given(plan=seeds, seed=seeds)
def test_same_seed_is_bit_identical_for_any_threads_and_batch(plan, seed):
    network = compile_project(random_project(plan, n_tasks=12))
    a = run(network, seed, 3000, threads=1, batch=1024)
    b = run(network, seed, 3000, threads=2, batch=8192)
    c = run(network, seed, 3000, threads=2, batch=2048)
    for other in (b, c):
        assert np.array_equal(a.finishes, other.finishes)
        assert np.array_equal(a.critical, other.critical)
        assert np.array_equal(a.sums, other.sums)  # bit for bit, not approximately
        assert np.array_equal(a.kept_rows(a.kept_duration), other.kept_rows(other.kept_duration))


def test_adding_an_unrelated_task_changes_no_other_draw():
    project = random_project(5, n_tasks=10)
    extra = rc.Task("unrelated", rc.Pert(1, 2, 9))
    bigger = dataclasses.replace(project, tasks=(extra, *project.tasks))
    a = compile_project(project)
    b = compile_project(bigger)
    ra, rb = run(a, 9, 500), run(b, 9, 500)
    da, db = ra.kept_rows(ra.kept_duration), rb.kept_rows(rb.kept_duration)
    for j, id in enumerate(a.ids):
        assert np.array_equal(da[j], db[b.index(id)]), id
    assert np.array_equal(ra.finishes[:-1], rb.finishes[:-1])


def test_seed_none_draws_a_seed_that_reproduces_the_run(checkout_model):
    first = rc.simulate(checkout_model, iterations=2000)
    again = rc.simulate(checkout_model, iterations=2000, seed=first.seed)
    assert np.array_equal(first.milestone("beta").samples, again.milestone("beta").samples)
    assert first.seed != rc.simulate(checkout_model, iterations=1024).seed
