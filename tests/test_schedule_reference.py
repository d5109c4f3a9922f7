"""The engine's forward pass (plan and runs) against the independent reference scheduler.

The reference (tests/reference_scheduler.py) walks working time date by date in exact fractions;
the engine looks instants up in its calendars' tables. Both read docs/scheduling.md. They must
give the same start and finish date for every activity, on random plans with task calendars,
lag calendars, leads, floors, late constraints, as-late-as-possible tasks (zero-duration ones
included) and progress (finished, started and out-of-sequence tasks, under both progress
logics), for the plan's durations and for random ones.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import riskcast as rc
from riskcast.compile import compile_project
from riskcast.engine.codes import NOT_STARTED
from riskcast.engine.run import forward_pass, run
from riskcast.forecast import activity_dates
from tests.reference_scheduler import reference_schedule
from tests.test_reference_scheduler import random_plan


def engine_dates(project: rc.Project, durations: dict[str, float]) -> dict[str, tuple]:
    network = compile_project(project)
    given = np.array([durations.get(id, 0.0) for id in network.ids], np.float64)  # milestones: 0
    start, finish = forward_pass(network, given)
    started = network.progress != NOT_STARTED
    starts, finishes = activity_dates(network.clock.calendar, project.start, start, finish, started)
    return {id: (starts[k], finishes[k]) for k, id in enumerate(network.ids)}


def compare(project: rc.Project, durations: dict[str, float]) -> list[str]:
    ref = reference_schedule(project, durations)
    ours = engine_dates(project, durations)
    out = []
    for id, r in ref.items():
        if (r.start_date, r.finish_date) != ours[id]:
            out.append(f"{id}: reference {r.start_date}..{r.finish_date}, engine {ours[id]}")
    return out


@pytest.mark.parametrize("seed", range(100))
def test_plan_dates_match_the_reference(seed):
    project = random_plan(seed)
    durations = {t.id: t.estimate.most_likely for t in project.tasks}
    assert compare(project, durations) == []


@pytest.mark.parametrize("seed", range(60))
def test_random_durations_match_the_reference(seed):
    project = random_plan(1000 + seed)
    rng = np.random.default_rng(seed)
    durations = {t.id: float(np.round(rng.uniform(0, 4), 3)) for t in project.tasks}
    assert compare(project, durations) == []


@pytest.mark.parametrize("seed", range(8))
def test_the_task_table_gives_the_reference_dates(seed):
    # With fixed durations every run is the plan: the forecast's plan dates, mean finish and
    # P50 finish of each task are the reference's finish, with progress and calendars (the
    # finish is not start + duration there); a zero-duration task never starts after it ends.
    project = random_plan(300 + seed)
    tasks = [
        dataclasses.replace(t, estimate=rc.Fixed(t.estimate.most_likely)) for t in project.tasks
    ]
    project = dataclasses.replace(project, tasks=tuple(tasks))
    ref = reference_schedule(project)
    forecast = rc.simulate(project, iterations=256, seed=1)
    network = compile_project(project)
    _, plan_finish = forward_pass(network, network.plan_duration)
    for row in forecast.task_table():
        r = ref[row["id"]]
        assert row["plan_finish"] == r.finish_date, row["id"]
        assert row["plan_start"] == min(r.start_date, r.finish_date), row["id"]
        assert row["p50_finish"] == r.finish_date, row["id"]
        clock = plan_finish[network.index(row["id"])]
        assert row["mean_finish_days"] == pytest.approx(clock, abs=1e-9), row["id"]


@pytest.mark.parametrize("seed", range(40))
def test_the_project_finish_is_the_latest_finish_of_all(seed):
    # The kernel takes the project finish over the activities that can finish last; with
    # calendars an FF successor may finish before its predecessor (a finish bound in its
    # non-working time is met at the end of its working time before it).
    project = random_plan(500 + seed)
    tasks = [
        dataclasses.replace(t, estimate=rc.Fixed(t.estimate.most_likely)) for t in project.tasks
    ]
    network = compile_project(dataclasses.replace(project, tasks=tuple(tasks)))
    _, finish = forward_pass(network, network.plan_duration)
    runs = run(network, seed=1, iterations=64)
    np.testing.assert_array_equal(runs.finishes[-1], np.full(64, finish.max()))
