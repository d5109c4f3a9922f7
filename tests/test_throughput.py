"""Throughput forecasts (riskcast.throughput): the exact dynamic programme against independent
enumeration and convolution, the Monte Carlo sampler against it within binomial error, and the
plan's throughput estimate end to end."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import riskcast as rc
from riskcast import throughput as tp
from riskcast.distributions import Discrete, Pert, from_spec
from riskcast.io.modelfile import parse_model
from riskcast.io.writer import model_toml
from riskcast.throughput_estimate import ThroughputEstimate
from riskcast.throughput_inputs import MAX_CENSORED

DATA = Path(__file__).parent / "data"
Z = 4.5  # standard errors: a fixed-seed check over a few dozen points, far from false alarms


# -- independent references ------------------------------------------------------------------------
def enumerate_done_by(history, backlog, periods, factors=()):
    """P(S_k >= backlog) for k = 0..periods by listing every sequence of period outcomes, in exact
    fractions. An outcome is a history entry and, for a fractional multiplied count, whether it is
    rounded up (probability: the fraction)."""
    n = len(history)

    def outcomes(k):
        f = Fraction(factors[k - 1]) if k <= len(factors) else Fraction(1)
        out = []
        for h in history:
            x = Fraction(h) * f
            low = math.floor(x)
            frac = x - low
            out.append((low, Fraction(1, n) * (1 - frac)))
            if frac:
                out.append((low + 1, Fraction(1, n) * frac))
        return out

    result = [Fraction(int(backlog <= 0))]
    for k in range(1, periods + 1):
        total = Fraction(0)
        for seq in itertools.product(*(outcomes(j) for j in range(1, k + 1))):
            if sum(v for v, _ in seq) >= backlog:
                total += math.prod((p for _, p in seq), start=Fraction(1))
        result.append(total)
    return result


def convolved_done_by(history, backlog_values, backlog_probs, periods):
    """P(N <= k) for k = 0..periods by full (untruncated) numpy convolution of the one-period
    distribution, mixed over the backlog."""
    step = np.bincount(np.asarray(history)) / len(history)
    pmf = np.array([1.0])
    out = []
    for k in range(periods + 1):
        if k:
            pmf = np.convolve(pmf, step)
        tail = np.concatenate((np.cumsum(pmf[::-1])[::-1], np.zeros(max(backlog_values) + 1)))
        out.append(sum(p * tail[b] for b, p in zip(backlog_values, backlog_probs, strict=True)))
    return np.array(out)


def split_by_cdf(values, probs, low, high):
    """The split backlog ceil(b F) for F ~ U(low, high), from the CDF of F (not the interval
    overlaps the module uses)."""
    tol = tp.ROUNDING_TOLERANCE
    acc: dict[int, float] = {}
    for b, p in zip(values, probs, strict=True):
        for m in range(math.ceil(b * low - tol), math.ceil(b * high - tol) + 1):
            cdf_hi = min(max(((m + tol) / b - low) / (high - low), 0.0), 1.0)
            cdf_lo = min(max(((m - 1 + tol) / b - low) / (high - low), 0.0), 1.0)
            if cdf_hi > cdf_lo:
                acc[m] = acc.get(m, 0.0) + p * (cdf_hi - cdf_lo)
    keys = sorted(acc)
    return keys, [acc[k] for k in keys]


# -- exactness -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("history", "backlog", "factors"),
    [
        ([1, 2, 0], 4, ()),
        ([3, 1], 5, ()),
        ([0, 2, 5], 6, ()),
        ([3, 1, 2], 5, (1, 0.5, 1, 0)),  # 3 x 0.5 = 1.5: rounded at random to 1 or 2
    ],
)
def test_the_dp_equals_enumeration_of_every_sequence(history, backlog, factors):
    periods = 5
    exact = enumerate_done_by(history, backlog, periods, factors)
    spec = {k + 1: f for k, f in enumerate(factors)}
    forecast = tp.when(history, backlog, multipliers_spec=spec, horizon=periods)
    for k in range(periods + 1):
        assert forecast.cdf(k) == pytest.approx(float(exact[k]), abs=1e-14)
    assert forecast.censored == pytest.approx(1 - float(exact[periods]), abs=1e-14)


def test_the_dp_equals_full_convolution_with_a_range_and_a_split():
    history = [3, 5, 4, 6, 2, 0, 7, 4, 5, 3]
    values = list(range(30, 41))
    probs = [1 / len(values)] * len(values)
    split_values, split_probs = split_by_cdf(values, probs, 1.0, 1.3)
    bl = tp.backlog((30, 40), (1.0, 1.3))
    assert bl.values.tolist() == split_values
    np.testing.assert_allclose(bl.probabilities, split_probs, rtol=0, atol=1e-13)
    forecast = tp.when(history, (30, 40), split=(1.0, 1.3))
    reference = convolved_done_by(history, split_values, split_probs, 40)
    for k in range(41):
        assert forecast.cdf(k) == pytest.approx(reference[k], abs=1e-12)


def test_a_fixed_split_rounds_up_without_binary_round_off():
    assert tp.backlog(100, (1.1, 1.1)).values.tolist() == [110]  # not 111 from 110.00000000000001
    assert tp.backlog(10, (1.25, 1.25)).values.tolist() == [13]  # 12.5 rounds up


def test_a_continuous_backlog_is_rounded_up_by_its_cdf():
    pert = Pert(40.0, 50.0, 70.0)
    bl = tp.backlog(pert)
    ref = pert.scipy()
    for n, p in zip(bl.values.tolist(), bl.probabilities.tolist(), strict=True):
        assert p == pytest.approx(ref.cdf(n) - ref.cdf(n - 1), abs=1e-12)
    assert bl.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert bl.low == 41 and bl.high == 70
    # a discrete estimate keeps its values (rounded up) and weights exactly
    bl = tp.backlog(Discrete((10, 12.5, 20), (1, 1, 2)))
    assert bl.values.tolist() == [10, 13, 20]
    assert bl.probabilities.tolist() == [0.25, 0.25, 0.5]


def test_how_many_and_when_agree_exactly():
    history = [3, 5, 4, 6, 2, 0, 7]
    spec = {2: 0.5, 4: 0.0}
    for w in (0, 1, 3, 6, 10):
        many = tp.how_many(history, w, multipliers_spec=spec)
        assert many.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
        for n in (0, 1, 7, 15, 30, 60):
            done = tp.when(history, n, multipliers_spec=spec, horizon=12)
            assert many.probability_at_least(n) == done.cdf(w)  # the same number, exactly


def test_how_many_matches_convolution_and_its_levels():
    history = [3, 5, 4, 6, 2]
    step = np.bincount(history) / len(history)
    pmf = np.array([1.0])
    for _ in range(6):
        pmf = np.convolve(pmf, step)
    many = tp.how_many(history, 6)
    np.testing.assert_allclose(many.probabilities, pmf, rtol=0, atol=1e-15)
    tail = np.cumsum(pmf[::-1])[::-1]  # P(S >= n)
    for q in (5, 50, 85, 95):
        n = many.at_least(q)
        assert tail[n] >= q / 100 - 1e-12 and (n + 1 >= len(tail) or tail[n + 1] < q / 100)


# -- conventions -----------------------------------------------------------------------------------
def test_the_percentile_is_the_smallest_period_reaching_the_probability():
    # history [1, 3], backlog 2: done in period 1 when it draws 3 (1/2), else in period 2
    forecast = tp.when([1, 3], 2)
    assert forecast.cdf(0) == 0 and forecast.cdf(1) == 0.5 and forecast.cdf(2) == 1.0
    assert forecast.percentile(50) == 1  # P(N <= 1) = 0.5 reaches 50 % exactly
    assert forecast.percentile(50.001) == 2
    assert forecast.percentile(100) == 2
    assert forecast.probabilities.tolist() == [0.0, 0.5, 0.5]
    for q in np.linspace(1, 100, 37):
        k = forecast.percentile(q)
        assert forecast.cdf(k) >= q / 100 and (k == 0 or forecast.cdf(k - 1) < q / 100)
    with pytest.raises(rc.ArgumentError, match=r"\(0, 100\]"):
        forecast.percentile(0)


def test_dates_follow_the_working_day_rule():
    start = dt.date(2027, 1, 4)  # a Monday
    forecast = tp.when([1, 3], 2, start=start)
    assert forecast.date(1) == dt.date(2027, 1, 8)  # 5 working days: the Friday
    assert forecast.date(2) == dt.date(2027, 1, 15)
    assert forecast.probability_by(dt.date(2027, 1, 14)) == 0.5  # only one whole week by then
    assert forecast.probability_by(dt.date(2027, 1, 15)) == 1.0
    assert tp.whole_periods(start, dt.date(2027, 1, 3), 5) == 0
    # a date multiplier names the period that holds it
    spec = tp.multipliers({dt.date(2027, 1, 13): 0.5}, 3, start=start)
    assert spec.tolist() == [1.0, 0.5, 1.0]


# -- censoring -------------------------------------------------------------------------------------
def test_mass_beyond_the_horizon_is_censored_not_dropped():
    history = [0] * 19 + [1]  # one item in 20 weeks
    forecast = tp.when(history, 10, horizon=20)
    # S_20 ~ Binomial(20, 1/20): not done within 20 weeks with probability P(S_20 <= 9)
    assert forecast.censored == pytest.approx(stats.binom.cdf(9, 20, 0.05), rel=1e-12)
    assert forecast.percentile(50) is None
    assert forecast.probabilities.sum() + forecast.censored == pytest.approx(1.0, abs=1e-14)
    runs = tp.sample(history, 10, 2000, seed=3, horizon=20)
    assert runs.percentile(50) is None and runs.censored > 0.99
    with pytest.raises(rc.ModelError, match="within the horizon of 20 periods"):
        ThroughputEstimate.build(history, 10, horizon=20)


def test_a_plan_estimate_puts_a_tiny_censored_tail_one_period_past_the_horizon():
    history = [0, 1, 1, 2]
    forecast = tp.when(history, 12, horizon=25)
    assert 0 < forecast.censored < MAX_CENSORED
    estimate = ThroughputEstimate.build(history, 12, horizon=25, period=5)
    values, probs = estimate.sorted_support
    assert values[-1] == 26 * 5 and probs[-1] == pytest.approx(forecast.censored, rel=1e-9)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-14)


# -- Monte Carlo cross-check -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("history", "items", "split", "spec"),
    [
        ([3, 5, 4, 6, 2], 40, None, None),
        ([3, 5, 4, 6, 2, 0, 7, 1], (100, 120), (1.0, 1.3), {3: 0.5, 4: 0.5}),
        ([2, 4, 1, 5], Pert(20.0, 30.0, 50.0), (1.0, 1.2), None),
    ],
)
def test_the_sampler_matches_the_exact_distribution(history, items, split, spec):
    n = 20_000
    exact = tp.when(history, items, split=split, multipliers_spec=spec)
    runs = tp.sample(history, items, n, seed=11, split=split, multipliers_spec=spec)
    for k in range(len(exact.survival)):
        p = exact.cdf(k)
        se = math.sqrt(max(p * (1 - p), 1 / n) / n)
        assert abs(runs.cdf(k) - p) <= Z * se, k
    for q in (10, 50, 80, 85, 95):
        k = runs.percentile(q)
        # the sampled percentile sits where the exact CDF crosses q, within binomial error
        se = math.sqrt(q / 100 * (1 - q / 100) / n)
        assert exact.cdf(k) >= q / 100 - Z * se
        assert exact.cdf(k - 1) <= q / 100 + Z * se


def test_the_sampler_is_reproducible_and_keeps_paths():
    a = tp.sample([3, 5, 4], 30, 500, seed=5, paths=True)
    b = tp.sample([3, 5, 4], 30, 500, seed=5, paths=True)
    assert np.array_equal(a.periods, b.periods) and np.array_equal(a.done, b.done)
    rows = np.arange(500)
    assert np.all(a.done[rows, a.periods] >= 30) and np.all(a.done[rows, a.periods - 1] < 30)
    done = tp.sample_done([3, 5, 4], 6, 400, seed=1)
    assert done.shape == (400, 7) and np.all(np.diff(done, axis=1) >= 3)


# -- stability -------------------------------------------------------------------------------------
def test_xmr_limits_on_a_hand_checked_series():
    check = tp.stability([4, 6, 5, 7, 3, 5, 20])
    # mean 50/7; moving ranges 2, 1, 2, 4, 2, 15 (average 26/6)
    assert check.mean == pytest.approx(50 / 7)
    assert check.moving_ranges == (2, 1, 2, 4, 2, 15)
    assert check.average_moving_range == pytest.approx(26 / 6)
    assert check.upper_limit == pytest.approx(50 / 7 + 2.66 * 26 / 6)
    assert check.lower_limit == 0.0  # 7.14 - 11.53 floored at 0
    assert check.outside == (6,) and not check.stable
    assert "period 7 (20)" in check.warnings[0]
    calm = tp.stability([4, 6, 5, 7, 3, 5])
    assert calm.stable and calm.upper_limit == pytest.approx(5 + 2.66 * 2.2)
    assert calm.warnings == ()


def test_xmr_runs_on_one_side_of_the_centre_line():
    series = [2] * 8 + [6] * 8 + [4]  # mean 4: the last point sits on the line
    check = tp.stability(series)
    assert check.mean == 4.0
    assert check.runs == ((0, 8), (8, 8))
    assert any("8 periods in a row below" in w for w in check.warnings)
    assert tp.stability([2] * 7 + [6] * 7).runs == ()  # 7 in a row is not a signal
    short = tp.stability([3, 5, 4])
    assert short.stable and "too few" in short.warnings[0]


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([], "the history is empty"),
        ([0, 0, 0], "would never be done"),
        ([3, -1, 4], r"throughput\[1\]: items finished cannot be negative"),
        ([3, 2.5], r"throughput\[1\]: must be a whole number"),
        ([3, float("nan")], r"throughput\[1\]: must be a finite"),
        ([3, True], r"throughput\[1\]: must be a whole number"),
        ("3,5", "expected a list"),
    ],
)
def test_bad_histories_are_refused(history, message):
    with pytest.raises(rc.ModelError, match=message):
        tp.parse_counts(history)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tp.backlog((120, 100)), r"inverted; write \[100, 120\]"),
        (lambda: tp.backlog(-5), "between 0 and"),
        (lambda: tp.backlog(40.5), "whole number"),
        (lambda: tp.backlog(40, (1.3, 1.0)), "inverted"),
        (lambda: tp.backlog(40, (0.0, 1.0)), r"must be in \(0, 100\]"),
        (lambda: tp.parse_items("abc"), "range like 100..120"),
        (lambda: tp.multipliers({3: -0.5}, 5), r"factor must be in \[0, 100\]"),
        (lambda: tp.multipliers({0: 0.5}, 5), "periods count from 1"),
        (lambda: tp.multipliers({dt.date(2027, 1, 4): 0.5}, 5), "needs the start"),
    ],
)
def test_bad_backlogs_and_multipliers_are_refused(call, message):
    with pytest.raises(rc.ModelError, match=message):
        call()


def test_bad_arguments_are_argument_errors():
    with pytest.raises(rc.ArgumentError, match="horizon"):
        tp.when([3, 4], 10, horizon=0)
    with pytest.raises(rc.ArgumentError, match="periods"):
        tp.how_many([3, 4], -1)


# -- CSV histories ---------------------------------------------------------------------------------
def test_completion_dates_are_bucketed_by_iso_week_with_empty_weeks():
    history = tp.read_history_csv(DATA / "throughput-dates.csv")
    # weeks from Monday 2027-01-04: 3 (incl. Sunday the 10th), 1, none, 3, 1
    assert history.counts == (3, 1, 0, 3, 1)
    assert history.first_period == dt.date(2027, 1, 4)
    assert history.source.endswith("throughput-dates.csv")


def test_a_bad_date_names_the_file_and_line():
    with pytest.raises(rc.ModelError, match=r"throughput-bad-date.csv line 3: '2027-02-30'"):
        tp.read_history_csv(DATA / "throughput-bad-date.csv")
    with pytest.raises(rc.ModelError, match=r"line 1: '7' is not a date.*inline"):
        tp.parse_history_csv("7\n5\n", "counts.csv")
    with pytest.raises(rc.ModelError, match="no completion dates"):
        tp.parse_history_csv("done\n\n", "empty.csv")
    with pytest.raises(rc.ModelError, match="file not found"):
        tp.read_history_csv(DATA / "no-such-history.csv")


# -- inside a plan ---------------------------------------------------------------------------------
PLAN = """
[project]
name = "Backlog"
start = 2027-01-04

[[task]]
id = "backlog"
estimate = {estimate}

[[milestone]]
id = "done"
after = ["backlog"]
target = 2027-04-01
"""


def load_plan(tmp_path, estimate):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.replace("{estimate}", estimate), encoding="utf-8")
    return rc.load(path)


def test_a_throughput_task_compiles_to_the_exact_discrete_distribution(tmp_path):
    project = load_plan(
        tmp_path,
        "{ throughput = [3, 5, 4, 6, 2], items = [40, 50], split = [1.0, 1.2], "
        "multipliers = [{ period = 2, factor = 0.5 }] }",
    )
    estimate = project.tasks[0].estimate
    assert isinstance(estimate, Discrete) and estimate.kind == "throughput"
    exact = tp.when([3, 5, 4, 6, 2], (40, 50), split=(1.0, 1.2), multipliers_spec={2: 0.5})
    values, _ = estimate.sorted_support
    assert values == tuple(5.0 * k for k in np.flatnonzero(exact.probabilities))
    n = 20_000
    forecast = rc.simulate(project, iterations=n, seed=4)
    done = forecast.milestone("done")
    samples = done.sorted_samples
    for k in range(len(exact.survival)):
        p = exact.cdf(k)
        se = math.sqrt(max(p * (1 - p), 1 / n) / n)
        share = np.searchsorted(samples, 5.0 * k + 1e-9, side="right") / n
        assert abs(share - p) <= Z * se, k
    for q in (10, 50, 80, 95):
        k = done.percentile_days(q) / 5.0
        assert k == int(k)
        se = math.sqrt(q / 100 * (1 - q / 100) / n)
        assert exact.cdf(int(k)) >= q / 100 - Z * se and exact.cdf(int(k) - 1) <= q / 100 + Z * se


def test_the_model_file_round_trip_keeps_the_throughput_estimate(tmp_path):
    (tmp_path / "done.csv").write_text(
        (DATA / "throughput-dates.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    project = load_plan(
        tmp_path,
        '{ history = "done.csv", items = { pert = [8, 10, 16] }, split = [1.0, 1.25], '
        "period = 4, horizon = 300 }",
    )
    estimate = project.tasks[0].estimate
    assert estimate.counts == (3, 1, 0, 3, 1) and estimate.period == 4.0
    text = model_toml(project)
    assert "throughput = [3, 1, 0, 3, 1]" in text  # the history is written inline
    again = parse_model(__import__("tomllib").loads(text))
    assert again.tasks[0].estimate == estimate
    assert from_spec(estimate.to_spec()) == estimate


@pytest.mark.parametrize(
    ("estimate", "message"),
    [
        ("{ throughput = [3, 5], items = 40, speed = 2 }", 'unknown key "speed"'),
        ("{ throughput = [3, 5] }", "items is required"),
        ('{ throughput = [3, 5], history = "x.csv", items = 4 }', "exactly one of"),
        ("{ throughput = [3, -5], items = 40 }", r"throughput\[1\]: items finished cannot"),
        ("{ throughput = [3, 5], items = [50, 40] }", "inverted"),
        ('{ history = "missing.csv", items = 40 }', "missing.csv: cannot read the history"),
        (
            "{ throughput = [3, 5], items = 40, multipliers = [{ date = 2027-01-11, factor = 0 }] }",
            "give the period number",
        ),
    ],
)
def test_bad_throughput_estimates_name_the_task(tmp_path, estimate, message):
    with pytest.raises(rc.ModelError, match=message) as info:
        load_plan(tmp_path, estimate)
    assert 'task "backlog" > estimate' in str(info.value)


def test_the_bundled_team_backlog_model_runs():
    project = rc.load(Path(__file__).parent.parent / "models" / "team-backlog.toml")
    kinds = {t.id: t.estimate.kind for t in project.tasks}
    assert kinds["backlog"] == "throughput" and kinds["vendor"] == "pert"
    forecast = rc.simulate(project, iterations=2000, seed=1)
    assert 0 < forecast.milestone("launch").target_probability < 1
