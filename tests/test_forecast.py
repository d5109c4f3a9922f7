"""Forecast statistics against exact answers, the precision rule, serialisation and memory."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from scipy import integrate

import riskcast as rc
from riskcast.compile import compile_project
from riskcast.engine.blocks import KEPT_MIN, KEPT_VALUES, kept_rows
from riskcast.engine.run import Simulation

N = 20_000


def parallel(a: rc.Distribution, b: rc.Distribution) -> rc.Project:
    return rc.Project(
        "parallel",
        "2027-01-04",
        (rc.Task("a", a), rc.Task("b", b), rc.Task("c", rc.Fixed(1), after=("a", "b"))),
        (rc.Milestone("m", ("c",), target="2027-01-06"),),
    )


def binomial_se(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n))


def test_percentile_is_the_inverted_empirical_cdf():
    forecast = rc.simulate(parallel(rc.Uniform(0, 2), rc.Uniform(0, 3)), iterations=5000, seed=1)
    m = forecast.milestone("m")
    for q in (1, 10, 50, 80, 95, 100):
        expected = np.quantile(m.samples, q / 100, method="inverted_cdf")
        assert m.percentile_days(q) == expected
        assert m.percentile(q) == m.to_date(expected)
    with pytest.raises(rc.RiskcastError, match="percentile"):
        m.percentile(0)


def test_percentile_interval_covers_the_true_quantile():
    # Uniform(0, 3) then Fixed(1): the true P80 is 0.8 * 3 + 1 = 3.4. Over 200 independent seeds
    # a 95 % interval must miss about 10 times; more than 22 misses has probability < 1e-4.
    project = rc.Project(
        "u", "2027-01-04", (rc.Task("a", rc.Uniform(0, 3)),), (rc.Milestone("m", ("a",)),)
    )
    misses = 0
    for seed in range(200):
        lo, hi = (
            rc.simulate(project, iterations=400, seed=seed)
            .milestone("m")
            .percentile_interval_days(80)
        )
        misses += not lo <= 2.4 <= hi
    assert misses <= 22


def test_criticality_of_parallel_tasks_is_the_probability_of_being_longer():
    forecast = rc.simulate(parallel(rc.Uniform(0, 2), rc.Uniform(0, 3)), iterations=N, seed=2)
    crit = forecast.criticality("m")
    # P(A > B) for A ~ U(0, 2), B ~ U(0, 3) is E[A] / 3 = 1/3
    assert crit["a"] == pytest.approx(1 / 3, abs=4 * binomial_se(1 / 3, N))
    assert crit["a"] + crit["b"] == pytest.approx(1.0)  # ties have probability 0
    assert crit["c"] == 1.0


def test_merge_bias_of_two_parallel_uniforms():
    forecast = rc.simulate(parallel(rc.Uniform(0, 2), rc.Uniform(0, 2)), iterations=N, seed=3)
    # plan start of c = most likely (median) = 1; mean start = E[max] = 2 * 2/3 = 4/3
    sd = np.sqrt(4 / 18)
    assert forecast.merge_bias()["c"] == pytest.approx(1 / 3, abs=4 * sd / np.sqrt(N))
    assert set(forecast.merge_bias()) == {"c"}


def test_sensitivity_is_spearman_of_duration_and_finish():
    chain = rc.Project(
        "chain",
        "2027-01-04",
        (
            rc.Task("x", rc.Uniform(0, 1)),
            rc.Task("y", rc.Uniform(0, 1), after=("x",)),
            rc.Task("z", rc.Fixed(2), after=("y",)),
        ),
        (rc.Milestone("m", ("z",)),),
    )
    forecast = rc.simulate(chain, iterations=N, seed=4)
    sens = forecast.sensitivity("m")

    # exact Spearman of X with S = X + Y: 12 E[X G(S)] - 3, G the Irwin-Hall(2) CDF
    def g(s):
        return s * s / 2 if s <= 1 else 1 - (2 - s) ** 2 / 2

    expectation, _ = integrate.dblquad(lambda y, x: x * g(x + y), 0, 1, 0, 1)
    exact = 12 * expectation - 3
    assert forecast.kept_iterations == N
    assert sens["x"] == pytest.approx(exact, abs=4 / np.sqrt(N))
    assert sens["y"] == pytest.approx(exact, abs=4 / np.sqrt(N))
    assert sens["z"] == 0.0
    # Schedule sensitivity on this chain: criticality 1, so SSI = sd(X) / sd(X + Y + 2) = 1/sqrt(2)
    # exactly. Its SE by the delta method: with x' = X - 1/2, y' = Y - 1/2, the influence of one
    # run is SSI (3 x'^2 - 3 y'^2 - 6 x' y'), of variance SSI^2 (2 * 9 / 180 + 36 / 144) = 0.35 SSI^2
    # (var x'^2 = 1/80 - 1/144 = 1/180, var x' y' = 1/144).
    ssi = forecast.schedule_sensitivity("m")
    exact = 1 / np.sqrt(2)
    for id in ("x", "y"):
        assert ssi[id] == pytest.approx(exact, abs=4 * exact * np.sqrt(0.35 / N))
    assert ssi["z"] == 0.0


def test_probability_of_target_and_summary(checkout_model):
    forecast = rc.simulate(checkout_model, iterations=4000, seed=7)
    beta = forecast.milestone("beta")
    # "delivered by the target" = finished within the working days up to and including it,
    # counted here by hand from the model's calendar (Mon-Fri and its holidays)
    days, holidays = 0, set(checkout_model.calendar.holidays)
    day = checkout_model.start
    while day <= beta.target:
        days += day.weekday() < 5 and day not in holidays
        day += dt.timedelta(days=1)
    assert checkout_model.calendar.workdays == ("mon", "tue", "wed", "thu", "fri")
    assert beta.target_probability == np.mean(beta.samples <= days)
    assert 0 < beta.target_probability < 1  # the target really splits the runs
    rows = forecast.summary()
    assert [r["id"] for r in rows] == ["beta", "ga", "launch", "finish"]
    assert rows[0]["p80"] == beta.percentile(80) and rows[0]["plan"] == beta.cpm_date
    assert rows[-1]["probability_of_target"] is None
    assert beta.cpm_date <= beta.percentile(50)


def test_cdf_dates_are_monotone_and_end_at_one(checkout_model):
    forecast = rc.simulate(checkout_model, iterations=3000, seed=7)
    dates, prob = forecast.milestone("ga").cdf_dates()
    assert np.all(np.diff(dates.astype(int)) > 0) and np.all(np.diff(prob) > 0)
    assert prob[-1] == 1.0
    for d, p in zip(dates[:5], prob[:5], strict=True):
        assert forecast.milestone("ga").probability_by(d.astype(dt.date)) == p


def test_round_trip_through_json(checkout_model):
    forecast = rc.simulate(checkout_model, iterations=2000, seed=5)
    data = forecast.to_dict()
    again = rc.Forecast.from_json(json.dumps(data))
    assert again.to_dict() == json.loads(json.dumps(data))
    assert again.milestone("beta").percentile(80) == forecast.milestone("beta").percentile(80)
    assert again.sensitivity("ga") == forecast.sensitivity("ga")
    assert again.task_table() == forecast.task_table()
    with pytest.raises(rc.RiskcastError):
        rc.Forecast.from_dict({"format": "other"})


def test_precision_rule_stops_when_every_p80_is_tight_enough(checkout_model):
    forecast = rc.simulate(checkout_model, precision=0.25, seed=8)
    assert forecast.precision == 0.25
    for m in forecast.milestones:
        lo, hi = m.percentile_interval_days(80)
        assert (hi - lo) / 2 < 0.25
    fixed = rc.simulate(checkout_model, iterations=forecast.iterations, seed=8)
    assert np.array_equal(fixed.milestone("ga").samples, forecast.milestone("ga").samples)
    with pytest.raises(rc.RiskcastError, match="either iterations or precision"):
        rc.simulate(checkout_model, iterations=10, precision=1.0)


def test_unknown_milestone_suggests_a_name(checkout_model):
    forecast = rc.simulate(checkout_model, iterations=1000, seed=1)
    with pytest.raises(rc.RiskcastError, match='did you mean "beta"'):
        forecast.milestone("bta")


def test_memory_is_bounded_without_an_iterations_by_tasks_matrix():
    # Only the milestone finishes grow with iterations; the kept runs are capped.
    for n in (10, 1_000, 10_000, 100_000):
        assert kept_rows(n, 10**6) * n <= max(KEPT_VALUES, KEPT_MIN * n)
    tasks = tuple(rc.Task(f"t{k}", rc.Uniform(1, 2)) for k in range(5000))
    project = rc.Project("wide", "2027-01-04", tasks, (rc.Milestone("m", ("t0",)),))
    sim = Simulation(compile_project(project), seed=1, max_iterations=10**6)
    kept_bytes = sim.kept_duration.nbytes + sim.kept_finish.nbytes
    assert kept_bytes <= 2 * 4 * 5000 * (KEPT_MIN + 64)


def test_average_ranks_equal_scipy_rankdata_with_ties():
    from scipy.stats import rankdata

    from riskcast.statistics import average_ranks

    rng = np.random.default_rng(3)
    x = np.vstack([rng.integers(0, 5, 200), rng.random(200), np.full(200, 2.0)])
    np.testing.assert_array_equal(average_ranks(x), rankdata(x, axis=1))


def test_a_simulation_beyond_the_memory_limit_is_refused_before_any_work(
    checkout_model, monkeypatch
):
    import importlib

    module = importlib.import_module("riskcast.simulate")
    monkeypatch.setattr(module, "MAX_MEMORY_BYTES", 2**20)
    with pytest.raises(rc.ArgumentError, match="GiB of memory"):
        rc.simulate(checkout_model, iterations=10**9, seed=1)
    monkeypatch.undo()
    with pytest.raises(rc.RiskcastError, match="positive integer"):
        rc.simulate(checkout_model, iterations=0)
    with pytest.raises(rc.RiskcastError, match="integer from 0 to"):
        rc.simulate(checkout_model, iterations=10, seed=-1)


@pytest.mark.parametrize("calendar", [None, "ops"])
def test_a_zero_duration_task_at_a_days_end_starts_and_finishes_that_day(calendar):
    # z follows a one-day task: it sits at Monday's end, so its start is not Tuesday
    tasks = (
        rc.Task("a", rc.Fixed(1.0)),
        rc.Task("z", rc.Fixed(0.0), after=("a",)),
        rc.Task("o", rc.Fixed(0.5), after=("z",), calendar=calendar),
    )
    ops = {"ops": rc.Calendar.elapsed()}
    project = rc.Project("edge", dt.date(2027, 1, 4), tasks, calendars=ops)
    rows = {r["id"]: r for r in rc.simulate(project, iterations=64, seed=1).task_table()}
    monday, tuesday = dt.date(2027, 1, 4), dt.date(2027, 1, 5)
    assert (rows["z"]["plan_start"], rows["z"]["plan_finish"]) == (monday, monday)
    # on the 24-hour calendar o starts at Monday's end and runs into Tuesday
    first = monday if calendar else tuesday
    assert (rows["o"]["plan_start"], rows["o"]["plan_finish"]) == (first, tuesday)
