"""Costs, joint confidence and cash flow, proven against exact results.

Per-run oracles use the kernel's own random numbers (the numpy twin of the generator, as in
tests/naive.py) and scipy's inverse CDFs, so a run's cost must agree to round-off. Distribution
checks compare a probability estimated from n runs with the exact one within K_SE binomial
standard errors sqrt(p (1 - p) / n).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest
from scipy import stats

import riskcast as rc
from riskcast.budget import task_spend
from riskcast.compile import stream_key
from riskcast.engine.rng import stream_keys, uniforms
from tests import naive

N = 20_000
K_SE = 4.0
SEED = 57
START = dt.date(2027, 1, 4)  # a Monday; Mon-Fri calendar


def stream(kind: str, id: str, seed: int = SEED, n: int = N) -> np.ndarray:
    """The kernel's uniforms of one random variable, runs 0 .. n - 1."""
    key = stream_keys(np.array([stream_key(kind, id)], np.uint64), seed)[0]
    return uniforms(key, np.arange(n))


def triangular_ppf(low: float, mode: float, high: float, u: np.ndarray) -> np.ndarray:
    return stats.triang((mode - low) / (high - low), loc=low, scale=high - low).ppf(u)


def within_binomial(samples: np.ndarray, x: float, p: float) -> None:
    n = len(samples)
    got = np.count_nonzero(samples <= x) / n
    se = math.sqrt(p * (1 - p) / n)
    assert abs(got - p) <= K_SE * se, f"P(cost <= {x}) = {got}, exact {p}, SE {se:.3g}"


def project(tasks, milestones=(), **kwargs) -> rc.Project:
    return rc.Project("costs", START, tasks=tasks, milestones=milestones, **kwargs)


# -- the cost of a run -------------------------------------------------------------------------


def test_rate_times_duration_is_the_scaled_duration_distribution():
    p = project([rc.Task("a", rc.Triangular(2, 4, 9), cost=rc.Cost(rate=800))])
    fc = rc.simulate(p, iterations=N, seed=SEED)
    cost, finish = fc.cost_samples(), fc.milestone().samples
    np.testing.assert_allclose(cost, 800 * finish, rtol=1e-12)
    exact = stats.triang(2 / 7, loc=2, scale=7)
    for q in (0.1, 0.5, 0.8, 0.95):
        within_binomial(cost, 800 * exact.ppf(q), q)
    assert fc.cost().base == pytest.approx(800 * 4)


def test_fixed_plus_rate_on_a_chain_matches_a_reference_on_the_same_random_numbers():
    tasks = [
        rc.Task("a", rc.Triangular(2, 4, 9), cost=rc.Cost({"triangular": [4000, 5000, 9000]}, 800)),
        rc.Task("b", rc.Pert(1, 2, 5), after=["a"], cost=rc.Cost(rate=120)),
        rc.Task("c", rc.Uniform(3, 6), after=["b"], cost=rc.Cost({"uniform": [1e6, 3e6]})),
        rc.Task("side", 2.0, cost=rc.Cost(2500.0, 10)),  # feeds only the project finish
    ]
    p = project(tasks, [rc.Milestone("m", after=["b"])])
    fc = rc.simulate(p, iterations=N, seed=SEED)
    d = naive.durations(p, SEED, N)
    fixed_a = triangular_ppf(4000, 5000, 9000, stream("cost", "a"))
    fixed_c = stats.uniform(1e6, 2e6).ppf(stream("cost", "c"))
    to_m = 800 * d["a"] + fixed_a + 120 * d["b"]
    np.testing.assert_allclose(fc.cost_samples("m"), to_m, rtol=1e-9)
    total = to_m + fixed_c + 2500 + 10 * 2
    np.testing.assert_allclose(fc.cost_samples("finish"), total, rtol=1e-9)
    base = 800 * 4 + 5000 + 120 * 2
    assert fc.cost("m").base == pytest.approx(base)
    assert fc.cost().base == pytest.approx(base + 2e6 + 2520)


def test_resource_rates_cost_units_times_duration():
    p = project(
        [
            rc.Task(
                "a",
                rc.Uniform(2, 6),
                assignments=[rc.Assignment("crew", 2)],
                cost=rc.Cost(rate=100),
            )
        ],
        resources=[rc.Resource("crew", rate=500)],
    )
    fc = rc.simulate(p, iterations=4096, seed=SEED)
    np.testing.assert_allclose(fc.cost_samples(), 1100 * fc.milestone().samples, rtol=1e-12)


def test_standing_army_is_rate_times_the_working_days_to_its_milestone():
    tasks = [
        rc.Task("a", rc.Triangular(2, 4, 9)),
        rc.Task("b", rc.Uniform(1, 8), after=["a"]),
    ]
    p = project(
        tasks,
        [rc.Milestone("m", after=["a"])],
        overheads=[rc.Overhead("team", 1000, until="m"), rc.Overhead("site", 300)],
    )
    fc = rc.simulate(p, iterations=N, seed=SEED)
    m, finish = fc.milestone("m").samples, fc.milestone().samples
    np.testing.assert_allclose(fc.cost_samples("m"), 1300 * m, rtol=1e-12)
    np.testing.assert_allclose(fc.cost_samples(), 1000 * m + 300 * finish, rtol=1e-12)
    assert fc.cost().base == pytest.approx(1000 * 4 + 300 * (4 + 4.5))


def test_standing_army_counts_the_project_calendar_on_the_elapsed_clock():
    """A 7-day task on a 7-day calendar from Monday ends Sunday night: 5 working days of the
    project's Mon-Fri calendar, so a week of a 1,000-a-day team costs 5,000."""
    p = project(
        [rc.Task("a", 7.0, calendar="site")],
        calendars={"site": rc.Calendar(workdays=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))},
        overheads=[rc.Overhead("team", 1000)],
    )
    fc = rc.simulate(p, iterations=1024, seed=SEED)
    np.testing.assert_allclose(fc.cost_samples(), 5000.0, rtol=1e-12)
    assert fc.cost().base == pytest.approx(5000.0)


def test_a_risk_cost_counts_only_when_the_risk_occurs():
    p = project(
        [rc.Task("a", 5.0, cost=rc.Cost(rate=100)), rc.Task("b", 2.0, after=["a"])],
        [rc.Milestone("m", after=["a"])],
        risks=[
            rc.Risk(
                "strike",
                0.3,
                [rc.Impact("a", add=rc.Uniform(1, 3), cost={"triangular": [1000, 2000, 6000]})],
            ),
            rc.Risk("refund", 0.5, [rc.Impact("b", cost=-250.0)]),  # cost only: a saving
        ],
    )
    fc = rc.simulate(p, iterations=N, seed=SEED)
    strike = stream("risk-occurs", "strike") < 0.3
    refund = stream("risk-occurs", "refund") < 0.5
    added = stats.uniform(1, 2).ppf(stream("risk-impact", "strike"))
    cost = triangular_ppf(1000, 2000, 6000, stream("risk-cost", "strike:a"))
    to_m = 100 * (5 + np.where(strike, added, 0)) + np.where(strike, cost, 0)
    np.testing.assert_allclose(fc.cost_samples("m"), to_m, rtol=1e-9)
    # the saving cannot make b cost less than nothing: b costs nothing without it
    np.testing.assert_allclose(fc.cost_samples(), to_m, rtol=1e-9)
    assert refund.any()
    assert fc.cost().base == pytest.approx(500)


def test_a_saving_reduces_a_costed_task_but_never_below_zero():
    p = project(
        [rc.Task("a", 5.0, cost=rc.Cost(1000.0, 100))],
        risks=[rc.Risk("rebate", 0.5, [rc.Impact("a", cost=rc.Uniform(-3000, -500))])],
    )
    fc = rc.simulate(p, iterations=4096, seed=SEED)
    occurs = stream("risk-occurs", "rebate", n=4096) < 0.5
    saving = stats.uniform(-3000, 2500).ppf(stream("risk-cost", "rebate:a", n=4096))
    expected = np.maximum(1500 + np.where(occurs, saving, 0), 0)
    np.testing.assert_allclose(fc.cost_samples(), expected, rtol=1e-9, atol=1e-9)


def test_a_task_that_does_not_happen_costs_nothing():
    p = project([rc.Task("a", rc.Uniform(2, 4), probability=0.4, cost=rc.Cost(700.0, 50))])
    fc = rc.simulate(p, iterations=N, seed=SEED)
    happened = fc.milestone().samples > 0
    cost = fc.cost_samples()
    assert np.all(cost[~happened] == 0)
    np.testing.assert_allclose(cost[happened], 700 + 50 * fc.milestone().samples[happened])
    within_binomial(cost, 0.0, 0.6)


def test_a_finished_task_costs_its_actual_duration():
    p = project(
        [
            rc.Task(
                "a",
                rc.Triangular(2, 4, 9),
                actual_start="2027-01-04",
                actual_finish="2027-01-08",
                cost=rc.Cost(rate=1000),
            ),
            rc.Task("b", 3.0, after=["a"], cost=rc.Cost(rate=10)),
        ],
        status_date="2027-01-11",
    )
    fc = rc.simulate(p, iterations=1024, seed=SEED)
    np.testing.assert_allclose(fc.cost_samples(), 5 * 1000 + 3 * 10)


def test_mitigation_costs_count_in_the_mitigated_scenario():
    risk = rc.Risk(
        "late",
        0.5,
        [rc.Impact("a", add=2.0)],
        mitigation=rc.Mitigation(probability=0.1, cost=4000),
    )
    p = project(
        [rc.Task("a", 3.0, cost=rc.Cost(rate=100)), rc.Task("b", 1.0, cost=rc.Cost(rate=1))],
        [rc.Milestone("m", after=["b"])],
        risks=[risk],
    )
    pre = rc.simulate(p, iterations=2048, seed=SEED)
    post = rc.simulate(p, iterations=2048, seed=SEED, mitigation="post")
    assert pre.cost().base == pytest.approx(301)
    assert post.cost().base == pytest.approx(4301)
    assert post.cost("m").base == pytest.approx(1)  # the risk does not hit m's work
    assert post.cost().samples.min() >= 4301


def test_costs_change_no_finish_and_do_not_depend_on_threads_or_batches():
    tasks = [rc.Task("a", rc.Triangular(2, 4, 9)), rc.Task("b", rc.Pert(1, 3, 8), after=["a"])]
    bare = project(tasks, [rc.Milestone("m", after=["a"])])
    costed = project(
        [
            rc.Task("a", rc.Triangular(2, 4, 9), cost=rc.Cost(rc.Uniform(10, 20), 5)),
            rc.Task("b", rc.Pert(1, 3, 8), after=["a"], cost=rc.Cost(rate=7)),
        ],
        [rc.Milestone("m", after=["a"])],
        budget=100,
    )
    plain = rc.simulate(bare, iterations=5000, seed=SEED)
    one = rc.simulate(costed, iterations=5000, seed=SEED, threads=1, batch=1024)
    many = rc.simulate(costed, iterations=5000, seed=SEED, threads=4, batch=4096)
    for id in ("m", "finish"):
        assert np.array_equal(plain.milestone(id).samples, one.milestone(id).samples)
        assert np.array_equal(one.cost_samples(id), many.cost_samples(id))
    assert not plain.has_costs and one.has_costs
    with pytest.raises(rc.ArgumentError, match="no costs"):
        plain.cost()


# -- statistics ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def costed():
    """Schedule-driven costs (rates) on a milestone with a target, and a budget."""
    p = project(
        [
            rc.Task("design", rc.Triangular(5, 8, 15), cost=rc.Cost(rate=1000)),
            rc.Task("build", rc.Pert(10, 15, 30), after=["design"], cost=rc.Cost(20000.0, 1500)),
            rc.Task("buy", rc.Uniform(5, 20), cost=rc.Cost({"triangular": [5e4, 6e4, 9e4]})),
        ],
        [rc.Milestone("ga", after=["build", "buy"], target="2027-02-12")],
        budget=120_000,
        currency="EUR",
        overheads=[rc.Overhead("team", 500, until="ga")],
    )
    return rc.simulate(p, iterations=N, seed=SEED)


def test_cost_percentiles_and_their_intervals(costed):
    c = costed.cost("ga")
    x = np.sort(c.samples)
    assert c.percentile(80) == x[math.ceil(0.8 * N) - 1]
    lo, hi = c.percentile_interval(80)
    assert lo <= c.percentile(80) <= hi
    assert c.probability_within() == np.mean(c.samples <= 120_000)
    assert c.contingency(80) == pytest.approx(c.percentile(80) - c.base)
    assert c.currency == "EUR" and c.budget == 120_000
    m = costed.milestone("ga")
    assert costed.schedule_contingency("ga", 80) == pytest.approx(
        m.percentile_days(80) - m.cpm_days
    )


def test_jcl_is_the_share_of_runs_in_the_quadrant(costed):
    m, c = costed.milestone("ga"), costed.cost("ga")
    for date, budget in (("2027-02-12", 120_000), ("2027-02-26", 140_000), ("2027-01-29", 1e5)):
        jcl = costed.jcl("ga", date=date, budget=budget)
        bound = m.to_days(dt.date.fromisoformat(date))
        days = m.calendar.finish_dates(START, m.samples)
        inside = (days <= np.datetime64(date)) & (c.samples <= budget)
        assert jcl == np.count_nonzero(inside) / N
        assert np.array_equal(days <= np.datetime64(date), m.samples <= bound + 1e-6)
        assert jcl <= m.probability_by(date) and jcl <= c.probability_within(budget)
    assert costed.jcl("ga") == costed.jcl("ga", "2027-02-12", 120_000)  # target and budget


def test_jcl_of_independent_cost_and_schedule_is_the_product():
    """Fixed costs drawn apart from every duration: P(on time and in budget) = P(on time) x
    P(in budget), within the binomial error of the joint estimate."""
    p = project(
        [
            rc.Task("a", rc.Triangular(2, 4, 9), cost=rc.Cost({"uniform": [1000, 3000]})),
            rc.Task("b", rc.Uniform(1, 4), after=["a"], cost=rc.Cost({"pert": [500, 800, 2000]})),
        ],
        budget=3200,
    )
    n = 40_000
    fc = rc.simulate(p, iterations=n, seed=SEED)
    date = "2027-01-12"
    joint = fc.jcl(date=date)
    product = fc.milestone().probability_by(date) * fc.cost().probability_within()
    assert 0.1 < product < 0.9
    assert abs(joint - product) <= K_SE * math.sqrt(product * (1 - product) / n)


def test_cheapest_budget_and_the_frontier_reach_the_level_and_no_more(costed):
    budget = costed.cheapest_budget("ga", "2027-02-19", level=70)
    assert costed.jcl("ga", "2027-02-19", budget) >= 0.7
    assert costed.jcl("ga", "2027-02-19", math.nextafter(budget, 0)) < 0.7
    first_date_at_70 = costed.milestone("ga").percentile(70)
    assert costed.cheapest_budget("ga", first_date_at_70 - dt.timedelta(days=1)) is None
    points = costed.jcl_frontier("ga", level=70)
    assert points[0].date == first_date_at_70
    assert all(a.date < b.date and a.budget > b.budget for a, b in itertools.pairwise(points))
    for point in points:
        assert costed.jcl("ga", point.date, point.budget) >= 0.7
        assert costed.jcl("ga", point.date, math.nextafter(point.budget, 0)) < 0.7
    # the budget stops falling at the P70 cost: with every run delivered, it is the marginal
    assert points[-1].budget >= costed.cost("ga").percentile(70)


def test_cash_flow_bands_rise_and_end_at_the_total_cost_percentiles(costed):
    flow = costed.cash_flow()
    assert flow.runs == costed.kept_iterations == N
    for q, band in flow.bands.items():
        assert np.all(np.diff(band) >= 0)
        assert band[-1] == pytest.approx(costed.cost().percentile(q), rel=1e-9)
        assert band[0] >= 0
    assert np.all(flow.bands[10.0] <= flow.bands[50.0]) and np.all(
        flow.bands[50.0] <= flow.bands[90.0]
    )
    assert flow.dates[0] == np.datetime64(START) and np.all(np.diff(flow.dates) >= 0)


def test_cash_flow_spreads_a_task_evenly_between_its_start_and_finish():
    p = project(
        [
            rc.Task("a", 4.0, cost=rc.Cost(rate=100)),
            rc.Task("b", 2.0, after=["a"], cost=rc.Cost(600.0)),
        ]
    )
    flow = rc.simulate(p, iterations=1024, seed=SEED).cash_flow()
    assert flow.days.tolist() == [1, 2, 3, 4, 5, 6]
    assert flow.bands[50.0].tolist() == [100, 200, 300, 400, 700, 1000]


def test_costs_survive_json(costed):
    again = rc.Forecast.from_json(costed.to_json())
    assert again.cost("ga").percentile(80) == costed.cost("ga").percentile(80)
    assert again.jcl("ga") == costed.jcl("ga")
    assert again.cost("ga").base == costed.cost("ga").base
    assert np.array_equal(again.cash_flow().bands[50.0], costed.cash_flow().bands[50.0])


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tasks": [rc.Task("a", 2.0, cost=rc.Cost(rate=-5))]}, 'task "a" > cost > rate'),
        ({"tasks": [rc.Task("a", 2.0, cost=rc.Cost(rate=math.nan))]}, 'task "a" > cost > rate'),
        ({"budget": math.nan}, "project > budget"),
        ({"budget": -1}, "project > budget"),
        ({"tasks": [rc.Task("a", 2.0, cost=rc.Cost(rc.Uniform(-10, 5)))]}, "must be >= 0"),
        ({"overheads": [rc.Overhead("x", 5, until="nope")]}, 'unknown milestone "nope"'),
        ({"overheads": [rc.Overhead("x", 5), rc.Overhead("x", 6)]}, "duplicate overhead id"),
        ({"overheads": [rc.Overhead("x", -5)]}, 'overhead "x" > rate'),
        ({"resources": [rc.Resource("r", rate=math.inf)]}, 'resource "r" > rate'),
        ({"currency": 3}, "project > currency"),
        (
            {"risks": [rc.Risk("r", 0.5, [rc.Impact("ghost", cost=100.0)])]},
            'unknown task "ghost"',
        ),
    ],
)
def test_bad_costs_are_clear_errors(change, message):
    fields = {"tasks": [rc.Task("a", 2.0)], **change}
    with pytest.raises(rc.ModelError, match=message.replace("(", r"\(")):
        rc.validate(project(**fields))


def test_money_may_exceed_the_duration_limit_but_not_its_own():
    assert rc.Cost({"triangular": [2e6, 3e6, 5e6]}).fixed.mean == pytest.approx(10e6 / 3)
    with pytest.raises(rc.ModelError, match="currency units"):
        rc.money(1e16)
    with pytest.raises(rc.ModelError, match="working days"):
        rc.Triangular(2e6, 3e6, 5e6)  # a duration keeps its limit


def test_an_impact_needs_something_to_do():
    p = project([rc.Task("a", 2.0)], risks=[rc.Risk("r", 0.5, [rc.Impact("a")])])
    with pytest.raises(rc.ModelError, match=r"give add .* or cost"):
        rc.validate(p)


def test_too_many_runs_for_a_plan_with_costs_is_an_argument_error():
    p = project([rc.Task("a", 2.0, cost=rc.Cost(rate=1))])
    with pytest.raises(rc.ArgumentError, match="at most"):
        rc.simulate(p, iterations=50_000_000, seed=1)


def test_jcl_arguments_are_checked(costed):
    with pytest.raises(rc.ArgumentError, match="budget"):
        costed.jcl("ga", budget=math.nan)
    with pytest.raises(rc.ArgumentError, match="percentage"):
        costed.cheapest_budget("ga", "2027-02-19", level=0)
    with pytest.raises(rc.ArgumentError, match="no target date"):
        costed.jcl("finish")
    with pytest.raises(rc.ArgumentError, match='no milestone "gaa"'):
        costed.cost("gaa")


def test_task_spend_matches_the_direct_formula():
    """The event-count cash flow equals sum_c a_c clip((t - s_c) / (f_c - s_c), 0, 1)."""
    rng = np.random.default_rng(5)
    start = rng.uniform(0, 30, (40, 300))
    finish = start + np.where(rng.random((40, 300)) < 0.2, 0.0, rng.uniform(0, 10, (40, 300)))
    amount = rng.uniform(0, 1e5, (40, 300))
    days = np.arange(0.0, 45.0, 0.5)
    got = task_spend(days, start, finish, amount)
    span = np.where(finish > start, finish - start, 1.0)
    for g, t in enumerate(days):
        share = np.where(finish > start, np.clip((t - start) / span, 0, 1), t >= finish)
        np.testing.assert_allclose(got[g], (amount * share).sum(axis=0), rtol=1e-9, atol=1e-6)


def test_overheads_run_until_the_levelled_finish():
    """Two tasks that need the only crane run one after the other: the team is paid until the
    levelled finish, and the crane's rate for both durations."""
    crane = [rc.Assignment("crane", 1)]
    p = project(
        [
            rc.Task("a", rc.Uniform(2, 4), assignments=crane),
            rc.Task("b", rc.Uniform(3, 5), assignments=crane),
        ],
        resources=[rc.Resource("crane", rate=100, capacity=1)],
        overheads=[rc.Overhead("team", 1000)],
    )
    fc = rc.simulate(p, iterations=2048, seed=SEED)
    d = naive.durations(p, SEED, 2048)
    finish = fc.milestone().samples
    np.testing.assert_allclose(finish, d["a"] + d["b"], rtol=1e-12)
    np.testing.assert_allclose(fc.cost_samples(), 1000 * finish + 100 * finish, rtol=1e-9)
