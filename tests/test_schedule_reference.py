"""The engine's forward pass (plan and runs) against the independent reference scheduler.

The reference (tests/reference_scheduler.py) walks working time date by date in exact fractions;
the engine looks instants up in its calendars' tables. Both read docs/scheduling.md. They must
give the same start and finish date for every activity, on random plans with task calendars,
lag calendars, leads, floors, late constraints, as-late-as-possible tasks and progress, for the
plan's durations and for random ones.

Two parts of the random plans are left out here, where the two readings of the reference differ
and the hand-worked cases of tests/test_reference_scheduler.py decide: as-late-as-possible
tasks of zero duration, and started tasks (the engine keeps a finish-no-earlier-than date on a
started task's remaining work).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import riskcast as rc
from riskcast.compile import compile_project
from riskcast.engine.run import forward_pass
from tests.reference_scheduler import reference_schedule
from tests.test_reference_scheduler import random_plan


def engine_dates(project: rc.Project, durations: dict[str, float]) -> dict[str, tuple]:
    network = compile_project(project)
    given = np.array([durations.get(id, 0.0) for id in network.ids], np.float64)  # milestones: 0
    start, finish = forward_pass(network, given)
    cal = network.clock.calendar
    starts = cal.start_dates(project.start, start).astype(object)
    finishes = cal.finish_dates(project.start, finish).astype(object)
    return {id: (starts[k], finishes[k]) for k, id in enumerate(network.ids)}


def compare(project: rc.Project, durations: dict[str, float]) -> list[str]:
    ref = reference_schedule(project, durations)
    ours = engine_dates(project, durations)
    out = []
    for id, r in ref.items():
        if (r.start_date, r.finish_date) != ours[id]:
            out.append(f"{id}: reference {r.start_date}..{r.finish_date}, engine {ours[id]}")
    return out


def comparable_plan(seed: int) -> rc.Project:
    """A random plan without as-late-as-possible tasks and started, unfinished ones."""
    project = random_plan(seed)
    tasks = [
        dataclasses.replace(
            t,
            alap=False,
            actual_start=t.actual_start if t.actual_finish else None,
            percent_complete=0.0,
        )
        for t in project.tasks
    ]
    return dataclasses.replace(project, tasks=tuple(tasks))


@pytest.mark.parametrize("seed", range(60))
def test_plan_dates_match_the_reference(seed):
    project = comparable_plan(seed)
    durations = {t.id: t.estimate.most_likely for t in project.tasks}
    assert compare(project, durations) == []


@pytest.mark.parametrize("seed", range(30))
def test_random_durations_match_the_reference(seed):
    project = comparable_plan(1000 + seed)
    rng = np.random.default_rng(seed)
    durations = {t.id: float(np.round(rng.uniform(0, 4), 3)) for t in project.tasks}
    assert compare(project, durations) == []
