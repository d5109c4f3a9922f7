"""Exactness at the edges: day boundaries, the precision rule, argument checks, variance."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc
from riskcast.errors import ArgumentError, RiskcastError
from riskcast.units import TIME_TOLERANCE

MODELS = Path(__file__).parent.parent / "models"


def chain(estimates, start="2027-01-04", target=None):
    tasks = [
        rc.Task(f"t{k}", e, after=(f"t{k - 1}",) if k else ()) for k, e in enumerate(estimates)
    ]
    milestone = rc.Milestone("done", after=(tasks[-1].id,), target=target)
    return rc.Project("chain", start, tuple(tasks), (milestone,))


def test_ten_tasks_of_nine_tenths_finish_on_the_ninth_working_day():
    # 10 x 0.9 = 9.000000000000002 in binary: delivered on working day 9 (Thu 14 Jan), not day 10
    assert sum([0.9] * 10) > 9
    project = chain([0.9] * 10, target="2027-01-14")
    forecast = rc.simulate(project, iterations=1024, seed=1)
    m = forecast.milestone("done")
    assert m.cpm_date == dt.date(2027, 1, 14)
    assert m.percentile(50) == dt.date(2027, 1, 14)
    assert m.probability_by("2027-01-14") == 1.0
    assert m.probability_by("2027-01-13") == 0.0
    assert m.target_probability == 1.0


def test_imported_hour_fractions_land_on_whole_days():
    # 3 h tasks on a 7.5 h day are 0.4 day each: five of them make two whole days
    project = chain([3 / 7.5] * 5)
    m = rc.simulate(project, iterations=1024, seed=1).milestone("done")
    assert m.cpm_date == dt.date(2027, 1, 5)
    assert m.probability_by("2027-01-05") == 1.0


def test_boundaries_allow_the_tolerance_and_no_more():
    cal = rc.Calendar()
    start = dt.date(2027, 1, 4)  # a Monday
    day = np.timedelta64(1, "D")
    base = np.datetime64(start)
    finishes = cal.finish_dates(start, np.array([3.0, 3 + TIME_TOLERANCE / 2, 3 + 3e-9]))
    assert list(finishes) == [base + 2 * day, base + 2 * day, base + 3 * day]
    starts = cal.start_dates(start, np.array([3 - TIME_TOLERANCE / 2, 3 - 3e-9]))
    assert list(starts) == [base + 3 * day, base + 2 * day]


def test_nothing_is_delivered_before_the_first_working_day():
    # a milestone at t = 0 is delivered on the Monday start, not on the Sunday before
    project = rc.Project(
        "zero", "2027-01-04", (rc.Task("a", 0),), (rc.Milestone("m", after=("a",)),)
    )
    m = rc.simulate(project, iterations=1024, seed=1).milestone("m")
    assert m.percentile(50) == dt.date(2027, 1, 4)
    assert m.probability_by("2027-01-03") == 0.0
    assert m.probability_by("2026-12-31") == 0.0
    assert m.probability_by("2027-01-04") == 1.0


@pytest.fixture(scope="module")
def checkout():
    return rc.load(MODELS / "checkout-redesign.toml")


def test_precision_stops_at_the_same_runs_whatever_the_batch(checkout):
    results = {}
    for batch in (1024, 4096, 16384, 65536):
        f = rc.simulate(checkout, precision=0.5, seed=8, batch=batch)
        results[batch] = (f.iterations, [m.percentile_days(80) for m in f.milestones])
    assert len(set(map(repr, results.values()))) == 1, results
    iterations = results[1024][0]
    assert iterations % 1024 == 0
    # and the precision is reached there: the widest P80 interval half-width is below 0.5 day
    f = rc.simulate(checkout, precision=0.5, seed=8)
    for m in f.milestones:
        lo, hi = m.percentile_interval_days(80)
        assert (hi - lo) / 2 < 0.5


def test_precision_applies_to_the_percentile_asked_for(checkout):
    p80 = rc.simulate(checkout, precision=0.3, seed=8)
    p95 = rc.simulate(checkout, precision=0.3, precision_percentile=95, seed=8)
    for m in p95.milestones:
        lo, hi = m.percentile_interval_days(95)
        assert (hi - lo) / 2 < 0.3
    # the tail is noisier: P95 needs more runs than P80 for the same precision
    assert p95.iterations > p80.iterations


def test_precision_not_reached_warns(checkout):
    with pytest.warns(RuntimeWarning, match="not reached"):
        f = rc.simulate(checkout, precision=0.01, seed=8, max_iterations=8192)
    assert f.iterations == 8192


@pytest.mark.parametrize("confidence", [1.0, 0.0, -0.5, 95, float("nan"), "0.9", True])
def test_confidence_is_checked(checkout, confidence):
    m = rc.simulate(checkout, iterations=1024, seed=1).milestone("beta")
    with pytest.raises(ValueError, match="confidence"):
        m.percentile_interval(80, confidence=confidence)
    with pytest.raises(ArgumentError):
        m.percentile_interval_days(80, confidence=confidence)
    with pytest.raises(RiskcastError):
        rc.simulate(checkout, precision=1.0, confidence=confidence)


@pytest.mark.parametrize("q", [0, 100.5, -1, float("nan"), None, "80"])
def test_percentile_is_checked(checkout, q):
    m = rc.simulate(checkout, iterations=1024, seed=1).milestone("beta")
    with pytest.raises(ValueError, match="percentile"):
        m.percentile(q)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"iterations": 0},
        {"iterations": 2.5},
        {"iterations": True},
        {"precision": -1},
        {"precision": float("inf")},
        {"precision": 1, "iterations": 100},
        {"batch": 0},
        {"seed": -3},
    ],
)
def test_simulate_arguments_are_value_errors(checkout, kwargs):
    with pytest.raises(ValueError):
        rc.simulate(checkout, **kwargs)


def test_duration_sd_is_exact_for_a_tiny_spread_on_a_large_value():
    # one-pass sums of d and d^2 lose every digit here (sd came out 0)
    project = chain([rc.Uniform(200000, 200000.01)])
    n = 20_000
    forecast = rc.simulate(project, iterations=n, seed=3)
    sd = forecast.task_table()[0]["sd_duration_days"]
    exact = 0.01 / math.sqrt(12)
    # the sample sd of a uniform has relative standard error sqrt((kurtosis - 1) / (4 n))
    # = sqrt(0.8 / (4 n)) (excess kurtosis -1.2)
    se = exact * math.sqrt(0.8 / (4 * n))
    assert sd == pytest.approx(exact, abs=4 * se)
    mean = forecast.task_table()[0]["mean_duration_days"]
    assert mean == pytest.approx(200000.005, abs=4 * exact / math.sqrt(n))


def test_plan_dates_come_from_the_kernels_forward_pass():
    # the CPM schedule is the kernel's own pass with fixed durations: a fixed plan simulates to
    # exactly its plan dates (every link type and a lead)
    tasks = (
        rc.Task("a", 2.5),
        rc.Task("b", 1.25, after=(rc.Link("a", "SS", 0.75),)),
        rc.Task("c", 3, after=(rc.Link("a", "FF", -0.5), rc.Link("b", "FS", 0.1))),
        rc.Task("d", 0.4, after=(rc.Link("c", "SF", 1.0),)),
    )
    project = rc.Project("links", "2027-01-04", tasks, (rc.Milestone("m", after=("c", "d")),))
    forecast = rc.simulate(project, iterations=64, seed=1)
    m = forecast.milestone("m")
    assert np.all(m.samples == m.cpm_days)
    assert m.cpm_days == pytest.approx(2.5 * 0 + 0.75 + 1.25 + 0.1 + 3)


@pytest.mark.parametrize(
    ("start", "target", "place"),
    [
        ("9999-12-20", None, "project > start"),
        ("2027-01-04", "9999-12-31", 'milestone "m" > target'),
        ("2027-01-04", "0001-01-01", 'milestone "m" > target'),
        ("1899-12-31", None, "project > start"),
    ],
)
def test_dates_outside_the_horizon_are_validation_problems(start, target, place):
    project = rc.Project(
        "x", start, (rc.Task("a", 3),), (rc.Milestone("m", ("a",), target=target),)
    )
    with pytest.raises(rc.ModelError, match="outside the dates") as error:
        rc.validate(project)
    assert any(p.startswith(place) for p in error.value.problems)


def test_a_simulation_running_past_the_representable_dates_is_refused():
    tasks = tuple(rc.Task(f"a{k}", 900_000, after=(f"a{k - 1}",) if k else ()) for k in range(3))
    project = rc.Project("x", "2027-01-04", tasks, (rc.Milestone("m", ("a2",)),))
    with pytest.raises(rc.ModelError, match="units of the durations"):
        rc.simulate(project, iterations=64, seed=1)
