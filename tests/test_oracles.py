"""Analytic oracles through the whole engine: rc.simulate on small networks with known answers.

Every expected number comes from exact mathematics (Irwin-Hall, Erlang, products of CDFs,
Clark 1961, hand-computed CPM dates) or scipy.stats. A probability p estimated from n runs is
compared within 4 binomial standard errors sqrt(p (1 - p) / n) (two-sided 6e-5 for a correct
engine); moments within 4 standard errors. Seeds are fixed.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

import riskcast as rc

N = 20_000
K_SE = 4.0
SEED = 1961
START = dt.date(2027, 1, 4)  # a Monday; default calendar Mon-Fri, no holidays


def project(tasks, milestones) -> rc.Project:
    return rc.Project("oracle", START, tasks=tasks, milestones=milestones)


def finish_date(days: int) -> dt.date:
    """The date of working day ``days`` counted from 1 = the start date (Mon-Fri calendar):
    a finish at t = days working days is delivered on it."""
    return np.busday_offset(np.datetime64(START, "D"), days - 1, roll="forward").astype(dt.date)


def within_binomial(samples: np.ndarray, x: float, p: float) -> None:
    n = len(samples)
    got = np.count_nonzero(samples <= x) / n
    se = math.sqrt(p * (1 - p) / n)
    assert abs(got - p) <= K_SE * se, f"P(finish <= {x}) = {got}, exact {p}, SE {se:.3g}"


# -- sums in series --------------------------------------------------------------------------------


def irwin_hall_cdf(x: float, n: int) -> float:
    """CDF of the sum of n independent U(0, 1): (1/n!) sum_{k<=x} (-1)^k C(n, k) (x - k)^n."""
    return sum((-1) ** k * math.comb(n, k) * (x - k) ** n for k in range(math.floor(x) + 1)) / (
        math.factorial(n)
    )


def chain(estimates) -> rc.Project:
    tasks = [rc.Task(f"t{k}", e, after=[f"t{k - 1}"] if k else []) for k, e in enumerate(estimates)]
    return project(tasks, [rc.Milestone("end", after=[tasks[-1].id])])


def test_irwin_hall_sum_of_four_uniforms():
    x = rc.simulate(chain([rc.Uniform(0, 1)] * 4), iterations=N, seed=SEED).milestone("end").samples
    assert irwin_hall_cdf(2.0, 4) == pytest.approx(0.5)  # the formula itself: symmetric about 2
    for point in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5):
        within_binomial(x, point, irwin_hall_cdf(point, 4))
    assert abs(x.mean() - 2.0) <= K_SE * math.sqrt(4 / 12 / N)


def test_erlang_sum_of_three_exponentials():
    x = (
        rc.simulate(chain([rc.Exponential(2.0)] * 3), iterations=N, seed=SEED)
        .milestone("end")
        .samples
    )
    erlang = stats.gamma(3, scale=2.0)
    for point in (1.0, 2.0, 4.0, 6.0, 10.0, 15.0):
        within_binomial(x, point, erlang.cdf(point))
    assert stats.kstest(x, erlang.cdf).pvalue > 1e-3  # a correct engine fails with probability 1e-3
    assert abs(x.mean() - 6.0) <= K_SE * math.sqrt(12.0 / N)


# -- maxima in parallel ----------------------------------------------------------------------------


def parallel(estimates) -> rc.Project:
    tasks = [rc.Task(f"p{k}", e) for k, e in enumerate(estimates)]
    return project(tasks, [rc.Milestone("merge", after=[t.id for t in tasks])])


def test_three_triangulars_in_parallel_finish_by_2_with_probability_one_eighth():
    forecast = rc.simulate(parallel([rc.Triangular(1, 2, 3)] * 3), iterations=N, seed=SEED)
    merge = forecast.milestone("merge")
    within_binomial(merge.samples, 2.0, 1 / 8)
    # "finished by the end of the second working day" is the same event, read through dates
    se = math.sqrt(1 / 8 * 7 / 8 / N)
    assert abs(merge.probability_by(finish_date(2)) - 1 / 8) <= K_SE * se
    for point in (1.25, 1.5, 2.5, 2.75):  # Tri(1, 2, 3) CDF, cubed
        f = (point - 1) ** 2 / 2 if point <= 2 else 1 - (3 - point) ** 2 / 2
        within_binomial(merge.samples, point, f**3)


def test_parallel_maximum_is_the_product_of_cdfs():
    forecast = rc.simulate(
        parallel([rc.Uniform(2, 8), rc.Exponential(4.0)]), iterations=N, seed=SEED
    )
    merge = forecast.milestone("merge")
    u, e = stats.uniform(2, 6), stats.expon(scale=4.0)
    for point in (3, 5, 7, 9, 12):
        within_binomial(merge.samples, point, u.cdf(point) * e.cdf(point))
    p7 = u.cdf(7) * e.cdf(7)
    assert abs(merge.probability_by(finish_date(7)) - p7) <= K_SE * math.sqrt(p7 * (1 - p7) / N)


# -- Clark (1961): the maximum of two independent normals ------------------------------------------


def clark_max_moments(m1: float, s1: float, m2: float, s2: float) -> tuple[float, float]:
    """Mean and variance of max(X1, X2), X1 ~ N(m1, s1^2), X2 ~ N(m2, s2^2) independent.

    C. E. Clark, "The greatest of a finite set of random variables", Operations Research 9 (1961):
    a = sqrt(s1^2 + s2^2), alpha = (m1 - m2) / a,
    E[max]   = m1 Phi(alpha) + m2 Phi(-alpha) + a phi(alpha),
    E[max^2] = (m1^2 + s1^2) Phi(alpha) + (m2^2 + s2^2) Phi(-alpha) + (m1 + m2) a phi(alpha).
    """
    a = math.sqrt(s1**2 + s2**2)
    alpha = (m1 - m2) / a
    cdf, pdf = stats.norm.cdf, stats.norm.pdf
    e1 = m1 * cdf(alpha) + m2 * cdf(-alpha) + a * pdf(alpha)
    e2 = (m1**2 + s1**2) * cdf(alpha) + (m2**2 + s2**2) * cdf(-alpha) + (m1 + m2) * a * pdf(alpha)
    return e1, e2 - e1**2


def test_clark_mean_and_variance_of_the_max_of_two_normals():
    # N(20, 2) and N(21, 3): the truncation at 0 is 10 and 7 sd away (mass < 2e-12), negligible.
    n = 40_000
    x = (
        rc.simulate(parallel([rc.Normal(20, 2), rc.Normal(21, 3)]), iterations=n, seed=SEED)
        .milestone("merge")
        .samples
    )
    mean, var = clark_max_moments(20, 2, 21, 3)
    assert abs(x.mean() - mean) <= K_SE * math.sqrt(var / n), (x.mean(), mean)
    # SE of the sample variance: sqrt((mu4 - sigma^4) / n), mu4 estimated from the samples
    centred = x - x.mean()
    mu4 = np.mean(centred**4)
    se_var = math.sqrt((mu4 - var**2) / n)
    assert abs(x.var(ddof=1) - var) <= K_SE * se_var, (x.var(ddof=1), var, se_var)


def test_clark_formula_against_numerical_integration():
    """The oracle itself, checked once: E[max] and E[max^2] by quadrature of the max's density."""
    from scipy import integrate

    a, b = stats.norm(20, 2), stats.norm(21, 3)

    def density(t):
        return a.pdf(t) * b.cdf(t) + b.pdf(t) * a.cdf(t)

    m1 = integrate.quad(lambda t: t * density(t), 0, 60)[0]
    m2 = integrate.quad(lambda t: t * t * density(t), 0, 60)[0]
    mean, var = clark_max_moments(20, 2, 21, 3)
    assert mean == pytest.approx(m1, rel=1e-10)
    assert var == pytest.approx(m2 - m1**2, rel=1e-8)


# -- link types and lags ---------------------------------------------------------------------------


def test_links_with_lags_give_the_hand_computed_dates():
    """Fixed durations; the expected early dates, worked by hand from DESIGN.md's link rules:

    A  5d                          start 0, finish 5
    B  4d  SS A + 3                start 3, finish 7
    C  2d  FF B + 2                finish >= 9  -> start 7, finish 9
    D  3d  FS A, SS C + 1          start max(5, 8) = 8, finish 11
    E  4d  SF A + 6                finish >= 0 + 6 -> start 2, finish 6
    F  2d  FS B - 3 (a lead)       start 4, finish 6
    G 10d  FF A                    finish >= 5 would need start -5: no task starts before 0 -> 0, 10
    """
    tasks = [
        rc.Task("A", rc.Fixed(5)),
        rc.Task("B", rc.Fixed(4), after=[rc.Link("A", "SS", 3)]),
        rc.Task("C", rc.Fixed(2), after=[rc.Link("B", "FF", 2)]),
        rc.Task("D", rc.Fixed(3), after=[rc.Link("A"), rc.Link("C", "SS", 1)]),
        rc.Task("E", rc.Fixed(4), after=[rc.Link("A", "SF", 6)]),
        rc.Task("F", rc.Fixed(2), after=[rc.Link("B", "FS", -3)]),
        rc.Task("G", rc.Fixed(10), after=[rc.Link("A", "FF", 0)]),
    ]
    expected = {"A": 5, "B": 7, "C": 9, "D": 11, "E": 6, "F": 6, "G": 10}
    milestones = [rc.Milestone(f"m{t}", after=[t]) for t in expected]
    milestones.append(rc.Milestone("mSS", after=[rc.Link("C", "SS", 0)]))  # C's start: 7
    forecast = rc.simulate(project(tasks, milestones), iterations=1024, seed=SEED)
    for t, days in {**expected, "SS": 7}.items():
        m = forecast.milestone(f"m{t}")
        assert np.all(m.samples == days), (t, np.unique(m.samples), days)
        assert m.cpm_days == days
        assert m.percentile(50) == finish_date(days)
    finish = forecast.milestone(None)
    assert np.all(finish.samples == 11)
    assert finish.percentile(95) == dt.date(2027, 1, 18)  # working day 11 of a Mon-Fri calendar
    assert finish.probability_by(dt.date(2027, 1, 18)) == 1.0
    assert finish.probability_by(dt.date(2027, 1, 15)) == 0.0


# -- single-task percentiles for every distribution ------------------------------------------------


def _truncnorm(mu, sd, low=0.0, high=math.inf):
    return stats.truncnorm((low - mu) / sd, (high - mu) / sd, loc=mu, scale=sd)


def _pert(low, mode, high, lam=4.0):
    s = (mode - low) / (high - low)
    return stats.beta(1 + lam * s, 1 + lam * (1 - s), loc=low, scale=high - low)


PERCENTILE_CASES = {
    "fixed": (rc.Fixed(5.0), None),  # a point mass at 5: every quantile is 5
    "uniform": (rc.Uniform(2.0, 7.0), stats.uniform(2.0, 5.0)),
    "triangular": (rc.Triangular(1.0, 3.0, 8.0), stats.triang(2 / 7, 1.0, 7.0)),
    "pert": (rc.Pert(2.0, 3.0, 10.0), _pert(2.0, 3.0, 10.0)),
    "pert-mode-low": (rc.Pert(2.0, 2.0, 10.0), _pert(2.0, 2.0, 10.0)),
    "pert-mode-high": (rc.Pert(2.0, 10.0, 10.0), _pert(2.0, 10.0, 10.0)),
    "pert-symmetric": (rc.Pert(4.0, 7.0, 10.0), _pert(4.0, 7.0, 10.0)),
    "pert-lambda-2": (rc.Pert(1.0, 3.0, 9.0, lam=2.0), _pert(1.0, 3.0, 9.0, 2.0)),
    "pert-lambda-6": (rc.Pert(1.0, 3.0, 9.0, lam=6.0), _pert(1.0, 3.0, 9.0, 6.0)),
    "beta": (rc.Beta(0.0, 10.0, 2.0, 5.0), stats.beta(2.0, 5.0, 0.0, 10.0)),
    "beta-alpha-below-1": (rc.Beta(0.0, 3.0, 0.3, 0.7), stats.beta(0.3, 0.7, 0.0, 3.0)),
    "normal": (rc.Normal(20.0, 3.0), _truncnorm(20.0, 3.0)),
    "normal-cut-at-0": (rc.Normal(1.0, 4.0), _truncnorm(1.0, 4.0)),
    "normal-mostly-cut": (rc.Normal(-3.0, 2.0), _truncnorm(-3.0, 2.0)),
    "normal-upper-tail": (rc.Normal(5.0, 1.0, low=8.0), _truncnorm(5.0, 1.0, 8.0)),
    "lognormal": (rc.LogNormal(1.0, 0.5), stats.lognorm(0.5, scale=math.e)),
    "lognormal-p10-p90": (
        rc.LogNormal.from_p10_p90(4.0, 12.0),
        stats.lognorm(math.log(3.0) / (2 * stats.norm.ppf(0.9)), scale=math.sqrt(48.0)),
    ),
    "exponential": (rc.Exponential(3.0), stats.expon(scale=3.0)),
    "discrete": (
        rc.Discrete((5.0, 2.0, 9.0, 5.0), (2.0, 1.0, 4.0, 1.0)),
        stats.rv_discrete(values=((2.0, 5.0, 9.0), (0.125, 0.375, 0.5))),
    ),
    "empirical": (
        rc.Empirical((3.0, 5.0, 4.0, 10.0, 6.0)),
        stats.rv_histogram((np.ones(4), np.array([3.0, 4.0, 5.0, 6.0, 10.0])), density=False),
    ),
}


@pytest.mark.parametrize("case", list(PERCENTILE_CASES))
def test_single_task_percentiles_bracket_the_exact_quantile(case):
    dist, ref = PERCENTILE_CASES[case]
    p = project([rc.Task(case, dist)], [rc.Milestone("done", after=[case])])
    m = rc.simulate(p, iterations=N, seed=SEED).milestone("done")
    for q in (10, 50, 90):
        exact = 5.0 if ref is None else ref.ppf(q / 100)
        half = K_SE * math.sqrt(q / 100 * (1 - q / 100) / N)  # order-statistic band, in probability
        lo, hi = (
            m.percentile_days(100 * (q / 100 - half)),
            m.percentile_days(100 * (q / 100 + half)),
        )
        assert lo <= exact <= hi, f"P{q}: exact {exact}, sample band [{lo}, {hi}]"
        assert lo <= m.percentile_days(q) <= hi
