"""Every estimate distribution against an exact reference (scipy.stats or closed-form math).

For each distribution we check

* ``mean``, ``var`` and ``most_likely`` against scipy.stats objects built here from the documented
  definitions (not from ``Distribution.scipy()``);
* the engine's inverse CDF (``engine.sampling.quantile`` on the compiled parameters) on a dense u grid
  that reaches 1e-9 and 1 - 1e-9: |F(Q(u)) - u| stays under the bound documented in ``tables.py``
  (2e-6) for table-based codes, under 1e-12 for closed forms, and discrete quantiles are exact;
* the simulated finish of a one-task project: a KS test at significance ALPHA = 1e-3 (a correct
  sampler fails it with probability 1e-3), and the mean within 4 standard errors (two-sided
  probability 6e-5 for a correct sampler);
* validation messages, ``from_spec`` suggestions and the ``to_spec`` round trip.

Seeds are fixed, so every run of this file sees the same numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

import riskcast as rc
from riskcast import tables
from riskcast.distributions import Z90, from_spec
from riskcast.engine.codes import PERT_TABLE, ROW_TABLE
from riskcast.engine.rng import stream_keys, uniforms
from riskcast.engine.sampling import U_EXACT, quantile

N = 20_000  # iterations per sampling test
ALPHA = 1e-3  # KS / chi-square significance: a correct sampler fails with this probability
K_SE = 4.0  # tolerance in Monte Carlo standard errors
TABLE_CDF_BOUND = 2e-6  # documented in tables.py: |F(Q(u)) - u| for table-based quantiles
CLOSED_CDF_BOUND = 1e-12  # closed-form quantiles: float round-off only
SEED = 20_270_104
START = dt.date(2027, 1, 4)

INF = math.inf


def _beta(a: float, b: float, low: float, high: float):
    return stats.beta(a, b, loc=low, scale=high - low)


def _pert(low: float, mode: float, high: float, lam: float = 4.0):
    """Beta-PERT as DESIGN.md defines it: alpha = 1 + lam (m-a)/(b-a), beta = 1 + lam (b-m)/(b-a)."""
    s = (mode - low) / (high - low)
    return _beta(1 + lam * s, 1 + lam * (1 - s), low, high)


def _truncnorm(mu: float, sd: float, low: float = 0.0, high: float = INF):
    return stats.truncnorm((low - mu) / sd, (high - mu) / sd, loc=mu, scale=sd)


def _lognorm(mu: float, sigma: float):
    return stats.lognorm(sigma, scale=math.exp(mu))


def _histogram(values):
    """Equal-mass bins between the sorted values (the documented empirical distribution)."""
    x = np.sort(np.asarray(values, float))
    return stats.rv_histogram((np.ones(len(x) - 1), x), density=False)


# Discrete case: 5 appears twice (merged), 7 has weight 0 (never drawn); dyadic probabilities so
# that the cumulative boundaries 1/8 and 1/2 are exact in binary.
DISC_VALUES = (5.0, 2.0, 9.0, 5.0, 7.0)
DISC_WEIGHTS = (2.0, 1.0, 4.0, 1.0, 0.0)
DISC_SUPPORT = (2.0, 5.0, 9.0)
DISC_PROBS = (Fraction(1, 8), Fraction(3, 8), Fraction(4, 8))
EMP_VALUES = (3.0, 5.0, 4.0, 10.0, 6.0)

# id -> (distribution, exact reference, exact most-likely value, quantile kind)
#   kind: "fixed", "closed" (closed-form Q), "table" (tabulated Q), "discrete", "empirical"
CASES = {
    "fixed": (rc.Fixed(5.0), None, 5.0, "fixed"),
    "uniform": (rc.Uniform(2.0, 7.0), stats.uniform(2.0, 5.0), None, "closed"),
    "triangular": (rc.Triangular(1.0, 3.0, 8.0), stats.triang(2 / 7, 1.0, 7.0), 3.0, "closed"),
    "triangular-mode-low": (
        rc.Triangular(2.0, 2.0, 6.0),
        stats.triang(0.0, 2.0, 4.0),
        2.0,
        "closed",
    ),
    "triangular-mode-high": (
        rc.Triangular(2.0, 6.0, 6.0),
        stats.triang(1.0, 2.0, 4.0),
        6.0,
        "closed",
    ),
    "pert": (rc.Pert(2.0, 3.0, 10.0), _pert(2.0, 3.0, 10.0), 3.0, "table"),
    "pert-off-grid": (rc.Pert(0.0, 1.234, 10.0), _pert(0.0, 1.234, 10.0), 1.234, "table"),
    "pert-mode-low": (rc.Pert(2.0, 2.0, 10.0), _pert(2.0, 2.0, 10.0), 2.0, "table"),
    "pert-mode-high": (rc.Pert(2.0, 10.0, 10.0), _pert(2.0, 10.0, 10.0), 10.0, "table"),
    "pert-symmetric": (rc.Pert(4.0, 7.0, 10.0), _pert(4.0, 7.0, 10.0), 7.0, "table"),
    "pert-lambda-2": (rc.Pert(1.0, 3.0, 9.0, lam=2.0), _pert(1.0, 3.0, 9.0, 2.0), 3.0, "table"),
    "pert-lambda-6": (rc.Pert(1.0, 3.0, 9.0, lam=6.0), _pert(1.0, 3.0, 9.0, 6.0), 3.0, "table"),
    "beta": (rc.Beta(0.0, 10.0, 2.0, 5.0), _beta(2.0, 5.0, 0.0, 10.0), 10.0 * 1 / 5, "table"),
    # low = 0: with alpha = 0.3 the CDF rises by ~1e-5 within one float64 ulp above low = 1, so
    # there only low = 0 lets any float x meet the table bound.
    "beta-alpha-below-1": (rc.Beta(0.0, 3.0, 0.3, 0.7), _beta(0.3, 0.7, 0.0, 3.0), None, "table"),
    "normal": (rc.Normal(20.0, 3.0), _truncnorm(20.0, 3.0), None, "table"),
    "normal-cut-at-0": (rc.Normal(1.0, 4.0), _truncnorm(1.0, 4.0), None, "table"),
    "normal-mostly-cut": (rc.Normal(-3.0, 2.0), _truncnorm(-3.0, 2.0), None, "table"),
    "normal-upper-tail": (rc.Normal(5.0, 1.0, low=8.0), _truncnorm(5.0, 1.0, 8.0), None, "table"),
    "normal-upper-band": (
        rc.Normal(5.0, 1.0, low=8.0, high=9.0),
        _truncnorm(5.0, 1.0, 8.0, 9.0),
        None,
        "table",
    ),
    "lognormal": (rc.LogNormal(1.0, 0.5), _lognorm(1.0, 0.5), math.exp(1.0), "table"),
    "lognormal-mean-sd": (
        rc.LogNormal.from_mean_sd(10.0, 4.0),
        _lognorm(math.log(10.0) - math.log1p(0.16) / 2, math.sqrt(math.log1p(0.16))),
        None,
        "table",
    ),
    "lognormal-p10-p90": (
        rc.LogNormal.from_p10_p90(4.0, 12.0),
        _lognorm(math.log(48.0) / 2, math.log(3.0) / (2 * stats.norm.ppf(0.9))),
        None,
        "table",
    ),
    "exponential": (rc.Exponential(3.0), stats.expon(scale=3.0), 3.0 * math.log(2.0), "closed"),
    "discrete": (
        rc.Discrete(DISC_VALUES, DISC_WEIGHTS),
        stats.rv_discrete(values=(DISC_SUPPORT, [float(p) for p in DISC_PROBS])),
        5.0,  # smallest value whose cumulative probability reaches 1/2 (1/8 + 3/8)
        "discrete",
    ),
    "empirical": (rc.Empirical(EMP_VALUES), _histogram(EMP_VALUES), 5.0, "empirical"),
}
IDS = list(CASES)


def one_task(dist: rc.Distribution, task_id: str = "a") -> rc.Project:
    return rc.Project(
        "one task",
        START,
        tasks=[rc.Task(task_id, dist)],
        milestones=[rc.Milestone("done", after=[task_id])],
    )


def compiled_quantile(dist: rc.Distribution, us: np.ndarray) -> np.ndarray:
    """The engine's inverse CDF of ``dist`` at each u, through compile_project."""
    network = rc.compile_project(one_task(dist))
    j = network.index("a")
    code, params = int(network.dist_code[j]), network.dist_params[j]
    return np.array([quantile(code, params, network.aux, network.table, float(u)) for u in us])


def u_grid() -> np.ndarray:
    """1e-9 .. 1 - 1e-9: decades, log-spaced tails, and a dense uniform grid in between (its
    spacing is a third of the quantile tables' 1/4096, so every table cell is probed inside)."""
    decades = 10.0 ** -np.arange(9, 0, -1)
    tail = np.geomspace(1e-9, 1e-2, 400)
    bulk = (np.arange(3 * 4096) + 0.5) / (3 * 4096)
    return np.unique(np.concatenate([decades, tail, bulk, 1 - tail, 1 - decades, [0.5]]))


U = u_grid()


@pytest.fixture(scope="module")
def samples():
    """Milestone samples of the one-task project of every case (each case its own stream)."""
    cache: dict[str, np.ndarray] = {}

    def get(case: str) -> np.ndarray:
        if case not in cache:
            forecast = rc.simulate(one_task(CASES[case][0], task_id=case), iterations=N, seed=SEED)
            cache[case] = forecast.milestone("done").samples
        return cache[case]

    return get


# -- moments and most-likely value ---------------------------------------------------------------


@pytest.mark.parametrize("case", IDS)
def test_mean_and_variance_match_reference(case):
    dist, ref, _, kind = CASES[case]
    if kind == "fixed":
        assert (dist.mean, dist.var) == (5.0, 0.0)
        return
    assert dist.mean == pytest.approx(ref.mean(), rel=1e-10, abs=1e-12)
    assert dist.var == pytest.approx(ref.var(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", IDS)
def test_most_likely_is_mode_or_median(case):
    dist, ref, expected, _ = CASES[case]
    if expected is None:  # documented: the median for every distribution without a mode parameter
        expected = ref.median()
    assert dist.most_likely == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_pert_mean_is_the_classic_formula():
    assert rc.Pert(3.0, 5.0, 10.0).mean == pytest.approx((3 + 4 * 5 + 10) / 6, rel=1e-15)
    assert rc.Pert(1.0, 3.0, 9.0, lam=2.0).mean == pytest.approx((1 + 2 * 3 + 9) / 4, rel=1e-15)


def test_discrete_moments_are_exact_fractions():
    dist = rc.Discrete(DISC_VALUES, DISC_WEIGHTS)
    mean = sum(Fraction(v) * p for v, p in zip(DISC_SUPPORT, DISC_PROBS, strict=True))
    var = sum((Fraction(v) - mean) ** 2 * p for v, p in zip(DISC_SUPPORT, DISC_PROBS, strict=True))
    assert dist.mean == float(mean)
    assert dist.var == pytest.approx(float(var), rel=1e-15)


# -- the kernel's inverse CDF ----------------------------------------------------------------------


@pytest.mark.parametrize("case", IDS)
def test_kernel_quantile(case):
    dist, ref, _, kind = CASES[case]
    q = compiled_quantile(dist, U)
    assert np.all(np.isfinite(q))
    assert np.all(np.diff(q) >= 0), "the quantile function must be non-decreasing in u"
    if kind == "fixed":
        assert np.all(q == 5.0)
        return
    if kind == "discrete":
        assert np.array_equal(q, discrete_quantile(U))
        return
    if kind == "empirical":  # documented: numpy's default (linear) quantile of the values
        np.testing.assert_allclose(q, np.quantile(EMP_VALUES, U), rtol=0, atol=1e-12)
    lo, hi = ref.support()
    assert np.all((q >= lo) & (q <= hi)), f"quantiles outside the support [{lo}, {hi}]"
    bound = TABLE_CDF_BOUND if kind == "table" else CLOSED_CDF_BOUND
    err = np.abs(ref.cdf(q) - U)
    worst = int(np.argmax(err))
    assert err[worst] <= bound, f"|F(Q(u)) - u| = {err[worst]:.3g} at u = {U[worst]!r}"


def discrete_quantile(us: np.ndarray) -> np.ndarray:
    """The documented rule, in exact arithmetic: the smallest value whose cumulative weight reaches u."""
    out = []
    for u in us:
        cum = Fraction(0)
        for value, p in zip(DISC_SUPPORT, DISC_PROBS, strict=True):
            cum += p
            if Fraction(float(u)) <= cum:
                out.append(value)
                break
    return np.array(out)


def test_discrete_quantile_at_the_cumulative_boundaries():
    us = np.array([1e-12, 0.125, np.nextafter(0.125, 1.0), 0.5, np.nextafter(0.5, 1.0), 1 - 1e-12])
    assert compiled_quantile(rc.Discrete(DISC_VALUES, DISC_WEIGHTS), us).tolist() == [
        2.0,
        2.0,
        5.0,
        5.0,
        9.0,
        9.0,
    ]


# -- sampling through the whole engine -------------------------------------------------------------


@pytest.mark.parametrize("case", IDS)
def test_samples_follow_the_distribution(case, samples):
    _dist, ref, _, kind = CASES[case]
    x = samples(case)
    assert x.shape == (N,)
    if kind == "fixed":
        assert np.all(x == 5.0)
        return
    if kind == "discrete":
        counts = np.array([np.count_nonzero(x == v) for v in DISC_SUPPORT])
        assert counts.sum() == N, "a sample outside the support (or the zero-weight value 7)"
        chi2 = stats.chisquare(counts, N * np.array([float(p) for p in DISC_PROBS]))
        assert chi2.pvalue > ALPHA, chi2
    else:
        ks = stats.kstest(x, ref.cdf)
        assert ks.pvalue > ALPHA, f"KS statistic {ks.statistic:.4g}, p = {ks.pvalue:.3g}"
    se = ref.std() / math.sqrt(N)
    assert abs(x.mean() - ref.mean()) <= K_SE * se, (x.mean(), ref.mean(), se)


def engine_draws(project: rc.Project, task: str, milestone: str, runs: int, seed: int) -> tuple:
    """(durations the engine drew for ``task``, the scalar inverse CDF at the uniform of each run)
    over ``runs`` runs; ``milestone`` follows ``task`` alone, so its finish is the duration."""
    network = rc.compile_project(project)
    j = network.index(task)
    u = uniforms(stream_keys(network.keys, seed)[j], np.arange(runs))
    x = rc.simulate(project, iterations=runs, seed=seed).milestone(milestone).samples
    code, params = int(network.dist_code[j]), network.dist_params[j]
    return x, np.array([quantile(code, params, network.aux, network.table, float(v)) for v in u])


@pytest.mark.parametrize("case", IDS)
def test_block_sampler_draws_the_quantile_at_each_runs_uniform(case):
    """The kernel's vectorised sampler gives every run the inverse CDF at that run's own uniform
    (to rounding: the closed forms group the same products differently in the two)."""
    x, expected = engine_draws(one_task(CASES[case][0]), "a", "done", 3_000, 11)
    np.testing.assert_allclose(x, expected, rtol=1e-14, atol=0)


def test_many_pert_shapes_share_the_universal_table():
    """PERT shapes get quantile rows of their own up to tables.MAX_PERT_ROWS per network; past
    that every PERT task samples the universal table (bilinear in the shape), which keeps the
    table at its fixed size. Both are the same approximation: equal to rounding, and as accurate."""
    n = tables.MAX_PERT_ROWS + 1
    shapes = [(k + 0.5) / n for k in range(n)]
    tasks = [rc.Task(f"t{k}", rc.Pert(0.0, 10.0 * s, 10.0)) for k, s in enumerate(shapes)]

    def plan(tasks: list[rc.Task]) -> rc.Project:
        everything = rc.Milestone("done", after=[t.id for t in tasks])
        return rc.Project("shapes", START, tasks, [rc.Milestone("first", after=["t0"]), everything])

    shared, own = rc.compile_project(plan(tasks)), rc.compile_project(plan(tasks[:-1]))
    assert {int(shared.dist_code[shared.index(t.id)]) for t in tasks} == {PERT_TABLE}
    assert shared.table.shape[0] == tables.N_S + 1
    assert {int(own.dist_code[own.index(t.id)]) for t in tasks[:-1]} == {ROW_TABLE}
    assert own.table.shape[0] == tables.MAX_PERT_ROWS
    for k in (0, 137, n - 2):
        j, i = shared.index(f"t{k}"), own.index(f"t{k}")
        q_shared = [
            quantile(PERT_TABLE, shared.dist_params[j], shared.aux, shared.table, u) for u in U
        ]
        q_own = [quantile(ROW_TABLE, own.dist_params[i], own.aux, own.table, u) for u in U]
        np.testing.assert_allclose(q_shared, q_own, rtol=1e-13, atol=1e-13)
        err = np.abs(_pert(0.0, 10.0 * shapes[k], 10.0).cdf(q_shared) - U)
        assert err.max() <= TABLE_CDF_BOUND, (k, err.max())
    x, expected = engine_draws(plan(tasks), "t0", "first", 2_000, 5)
    np.testing.assert_array_equal(x, expected)


def test_lognormal_runs_in_the_last_table_cell_are_exact():
    """Every run's duration is the inverse CDF at that run's own uniform, including the runs whose
    uniform falls in the last cell of the quantile row (it ends at +inf): those are computed
    exactly, not from the table. The block sampler only takes that path for blocks that reach
    it, so the test picks a seed whose stream does within its first runs."""
    project = one_task(rc.LogNormal(1.0, 0.5))
    network = rc.compile_project(project)
    j, runs = network.index("a"), 20_000
    for seed in range(2_000):  # about one seed in a hundred reaches the last cell
        u = uniforms(stream_keys(network.keys, seed)[j], np.arange(runs))
        if np.any(u > 1.0 - U_EXACT):
            break
    tail = u > 1.0 - U_EXACT
    assert tail.any()
    x, expected = engine_draws(project, "a", "done", runs, seed)
    np.testing.assert_array_equal(x, expected)
    exact = stats.lognorm(0.5, scale=math.exp(1.0)).ppf(u[tail])
    np.testing.assert_allclose(x[tail], exact, rtol=1e-13)


# -- lognormal constructors ------------------------------------------------------------------------


def test_z90_is_the_normal_90_percent_quantile():
    assert pytest.approx(stats.norm.ppf(0.9), rel=1e-15) == Z90


@pytest.mark.parametrize(("p10", "p90"), [(4.0, 12.0), (0.5, 0.6), (10.0, 200.0)])
def test_lognormal_from_p10_p90_has_those_percentiles(p10, p90):
    d = rc.LogNormal.from_p10_p90(p10, p90)
    ref = stats.lognorm(d.sigma, scale=math.exp(d.mu))
    assert ref.ppf(0.1) == pytest.approx(p10, rel=1e-12)
    assert ref.ppf(0.9) == pytest.approx(p90, rel=1e-12)


@pytest.mark.parametrize(("mean", "sd"), [(10.0, 4.0), (2.0, 6.0), (100.0, 1.0)])
def test_lognormal_from_mean_sd_has_that_mean_and_sd(mean, sd):
    d = rc.LogNormal.from_mean_sd(mean, sd)
    ref = stats.lognorm(d.sigma, scale=math.exp(d.mu))
    assert ref.mean() == pytest.approx(mean, rel=1e-12)
    assert ref.std() == pytest.approx(sd, rel=1e-10)
    assert d.mean == pytest.approx(mean, rel=1e-12)


# -- validation ------------------------------------------------------------------------------------

NAN = math.nan

# (label, constructor, kind prefix, regex that names the parameter and what is allowed)
INVALID = [
    ("low>high", lambda: rc.Uniform(5.0, 2.0), "uniform", r"low must not exceed high.*swap"),
    ("tri-low>high", lambda: rc.Triangular(5.0, 3.0, 2.0), "triangular", r"low <= mode <= high"),
    ("mode-above", lambda: rc.Triangular(1.0, 5.0, 3.0), "triangular", r"low <= mode <= high"),
    ("mode-below", lambda: rc.Pert(1.0, 0.5, 3.0), "pert", r"low <= mode <= high"),
    ("nan-low", lambda: rc.Uniform(NAN, 2.0), "uniform", r"low must be finite"),
    ("nan-mean", lambda: rc.Normal(NAN, 1.0), "normal", r"mean must be finite"),
    ("nan-high", lambda: rc.Normal(5.0, 1.0, high=NAN), "normal", r"high must not be NaN"),
    (
        "nan-weight",
        lambda: rc.Discrete((1.0, 2.0), (1.0, NAN)),
        "discrete",
        r"weights\[1\] must be finite",
    ),
    ("inf-high", lambda: rc.Triangular(1.0, 2.0, INF), "triangular", r"high must be finite"),
    ("inf-fixed", lambda: rc.Fixed(INF), "fixed", r"value must be finite"),
    ("inf-sigma", lambda: rc.LogNormal(1.0, INF), "lognormal", r"sigma must be finite"),
    ("sd-zero", lambda: rc.Normal(5.0, 0.0), "normal", r"sd must be > 0"),
    ("sd-negative", lambda: rc.Normal(5.0, -1.0), "normal", r"sd must be > 0"),
    ("sigma-zero", lambda: rc.LogNormal(1.0, 0.0), "lognormal", r"sigma must be > 0"),
    ("mean-sd-zero", lambda: rc.LogNormal.from_mean_sd(10.0, 0.0), "lognormal", r"sd must be > 0"),
    ("p10>p90", lambda: rc.LogNormal.from_p10_p90(12.0, 4.0), "lognormal", r"0 < p10 < p90"),
    ("exp-zero", lambda: rc.Exponential(0.0), "exponential", r"mean must be > 0"),
    ("alpha-zero", lambda: rc.Beta(0.0, 1.0, 0.0, 2.0), "beta", r"alpha must be > 0"),
    ("beta-negative", lambda: rc.Beta(0.0, 1.0, 2.0, -1.0), "beta", r"beta must be > 0"),
    ("lambda-zero", lambda: rc.Pert(1.0, 2.0, 3.0, lam=0.0), "pert", r"lambda must be > 0"),
    ("no-mass", lambda: rc.Normal(5.0, 1.0, low=100.0), "normal", r"no probability.*widen"),
    (
        "normal-low>=high",
        lambda: rc.Normal(5.0, 1.0, low=3.0, high=2.0),
        "normal",
        r"low must be below high",
    ),
    ("empty-discrete", lambda: rc.Discrete(()), "discrete", r"values must not be empty"),
    (
        "zero-weights",
        lambda: rc.Discrete((1.0, 2.0), (0.0, 0.0)),
        "discrete",
        r"weights must not all be zero",
    ),
    (
        "negative-weight",
        lambda: rc.Discrete((1.0, 2.0), (1.0, -1.0)),
        "discrete",
        r"weights\[1\] must be >= 0",
    ),
    (
        "mismatched-weights",
        lambda: rc.Discrete((1.0, 2.0), (1.0,)),
        "discrete",
        r"1 weights for 2 values",
    ),
    ("one-empirical", lambda: rc.Empirical((3.0,)), "empirical", r"at least 2"),
    ("string", lambda: rc.Uniform("1", 2.0), "uniform", r"low must be a number, got '1'"),
    ("bool", lambda: rc.Pert(True, 2.0, 3.0), "pert", r"low must be a number, got True"),
    ("bool-fixed", lambda: rc.Fixed(False), "fixed", r"value must be a number, got False"),
    ("string-mean", lambda: rc.Exponential("3"), "exponential", r"mean must be a number"),
    ("string-high", lambda: rc.Normal(5.0, 1.0, high="x"), "normal", r"high must be a number"),
    ("string-value", lambda: rc.Discrete(("a",)), "discrete", r"values\[0\] must be a number"),
    ("none-sd", lambda: rc.LogNormal.from_mean_sd(10.0, None), "lognormal", r"sd must be a number"),
]


@pytest.mark.parametrize(
    ("make", "kind", "pattern"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_parameters_raise_model_error(make, kind, pattern):
    with pytest.raises(rc.ModelError, match=pattern) as info:
        make()
    assert isinstance(info.value, ValueError)
    assert info.value.problems
    assert all(p.startswith(f"{kind}: ") for p in info.value.problems), info.value.problems


NEGATIVE = [
    rc.Uniform(-1.0, 2.0),
    rc.Fixed(-1.0),
    rc.Discrete((1.0, -2.0)),
    rc.Empirical((1.0, -2.0)),
    rc.Normal(5.0, 1.0, low=-1.0),
    rc.Triangular(-3.0, -2.0, -1.0),
]


@pytest.mark.parametrize("dist", NEGATIVE, ids=lambda d: d.kind)
def test_negative_values_are_for_impacts_not_durations(dist):
    # a distribution may reach below 0 (a risk impact that saves time) ...
    assert dist.minimum < 0
    # ... but a task's duration may not
    project = rc.Project("p", "2027-01-04", (rc.Task("t", dist),))
    with pytest.raises(rc.ModelError, match=r'task "t" > estimate: a duration must be >= 0'):
        rc.validate(project)


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        ({"pret": [1, 2, 3]}, r'unknown key "pret" in estimate; did you mean "pert"\?'),
        ({"triangle": [1, 2, 3]}, r'did you mean "triangular"\?'),
        ({"lognormol": {"mu": 1, "sigma": 1}}, r'did you mean "lognormal"\?'),
        ({"pert": {"low": 1, "mode": 2, "hihg": 3}}, r'unknown key "hihg".*did you mean "high"\?'),
        ({"pert": [1, 2]}, r"pert takes \[low, mode, high\], got 2 values"),
        ({"lognormal": {"mean": 5}}, r"exactly one pair"),
        ({"pert": [1, 2, 3], "uniform": [1, 2]}, r"a table with one key"),
        ("5", r"an estimate is a number or a table"),
        (True, r"an estimate is a number or a table"),
        ({"discrete": {"values": "1,2"}}, r"lists of numbers"),
        ({"empirical": 3}, r"empirical takes a list"),
    ],
)
def test_from_spec_errors(spec, pattern):
    with pytest.raises(rc.ModelError, match=pattern):
        from_spec(spec)


@pytest.mark.parametrize("case", IDS)
def test_from_spec_round_trips_to_spec(case):
    dist = CASES[case][0]
    assert from_spec(dist.to_spec()) == dist
    assert from_spec(json.loads(json.dumps(dist.to_spec()))) == dist


def test_from_spec_spellings():
    assert from_spec(3) == rc.Fixed(3)
    assert from_spec({"pert": [1, 3, 9]}) == rc.Pert(1, 3, 9)
    assert from_spec({"pert": {"low": 1, "mode": 3, "high": 9, "lambda": 2}}) == rc.Pert(1, 3, 9, 2)
    assert (
        from_spec({"exponential": 3})
        == from_spec({"exponential": {"mean": 3}})
        == rc.Exponential(3)
    )
    assert from_spec({"normal": [20, 3]}) == rc.Normal(20, 3)
    assert from_spec({"lognormal": {"p10": 4, "p90": 12}}) == rc.LogNormal.from_p10_p90(4, 12)
    assert from_spec({"lognormal": {"mean": 10, "sd": 4}}) == rc.LogNormal.from_mean_sd(10, 4)
