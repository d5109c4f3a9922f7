"""Correlation: the rank correlation reached, the marginals kept, and the repaired matrices.

Sampled durations: each correlated task has its own milestone and no predecessor, so the
milestone's finish in every run *is* the task's duration (float64, all runs); that this route
gives the sampled durations is checked against the engine's kept per-task durations.

Tolerances. A sample Spearman coefficient r over n runs of a Gaussian copula has
var(atanh r) <= max(1.06, 1 + r_s^2 / 2) / (n - 3) (Fieller et al. 1957; Bonett & Wright 2000;
the larger of the two is conservative for every r_s), i.e. SE(r) ~ (1 - r_s^2) sqrt(that). Each
coefficient is compared within 4 SE. The error an engine would make by using r_s itself as the
copula's Pearson value is d = |r_s - (6/pi) asin(r_s/2)| (0.012 at r_s = 0.3, 0.0085 at 0.9);
the run count is chosen so that d > 4 SE + 2.33 SE for every coefficient, so such an engine
fails the check with probability > 99 %: the test tells Spearman from Pearson. Marginals: the Kolmogorov distance to the
exact CDF is below the DKW bound sqrt(ln(2/alpha) / 2n) with alpha = 6.3e-5 (4 sigma two-sided).

Repaired matrices are checked against independent solutions of the nearest-correlation problem
(min ||A - X||_F over unit-diagonal positive semi-definite X): exact by symmetry, scipy's SLSQP
for a 3x3 (PSD <=> det >= 0 in the unit cube), Higham's published 4x4 example, and a dual
solver (maximise the concave dual over the diagonal multipliers y; X = (A + Diag y)_+, Malick
2004) whose dual value bounds the optimum from below, so it *certifies* how far the engine's
answer X is from the true nearest matrix X*: ||X - X*||_F^2 <= 2 (f(X) - dual), f = ||A - X||^2 / 2.
These are deterministic: the bar is 1e-6 per entry (1e-5 certified in Frobenius norm), three
orders below the Monte Carlo error of any realised correlation.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import optimize, stats

import riskcast as rc
from riskcast.compile import compile_project
from riskcast.correlation import nearest_correlation
from riskcast.engine.run import run
from riskcast.risks import Correlation

K_SE = 4.0
ALPHA = 2 * stats.norm.sf(K_SE)  # two-sided 4 sigma: 6.3e-5
N = 1 << 18  # runs: enough for the r_s = 0.3 pair to tell Spearman from Pearson (see above)


def spearman_se(r_s: float, n: int) -> float:
    return (1 - r_s**2) * math.sqrt(max(1.06, 1 + r_s**2 / 2) / (n - 3))


def spearman_if_pearson_were_used(r_s: float) -> float:
    """Rank correlation of a Gaussian copula whose Pearson value is r_s itself (the bug)."""
    return 6 / math.pi * math.asin(r_s / 2)


def copula(r_s):
    """Pearson value of the copula for rank correlation r_s (DESIGN.md: 2 sin(pi r_s / 6))."""
    return 2 * np.sin(np.pi * np.asarray(r_s, float) / 6)


def pert(low, mode, high):
    width = high - low
    return stats.beta(1 + 4 * (mode - low) / width, 1 + 4 * (high - mode) / width, low, width)


def lognormal_mean_sd(mean, sd):
    sigma2 = math.log(1 + (sd / mean) ** 2)
    return stats.lognorm(math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2))


# task -> (estimate, exact scipy distribution written from the definitions)
TASKS = {
    "a": (rc.Triangular(2, 4, 12), stats.triang(2 / 10, loc=2, scale=10)),
    "b": (rc.LogNormal.from_mean_sd(10, 3), lognormal_mean_sd(10, 3)),
    "c": (rc.Pert(3, 5, 10), pert(3, 5, 10)),
    "d": (rc.Uniform(1, 6), stats.uniform(1, 5)),
    "e": (rc.Exponential(4.0), stats.expon(scale=4.0)),
    "f": (rc.Beta(2, 9, 2.0, 5.0), stats.beta(2.0, 5.0, loc=2, scale=7)),
}
# requested rank correlations; a group {a, b, c} with every pair set (the Cholesky mixing of
# three variables), and a group {d, e, f} with d-f left out (it must stay independent)
PAIRS = {("a", "b"): 0.9, ("b", "c"): 0.6, ("a", "c"): 0.3, ("d", "e"): -0.5, ("e", "f"): 0.6}


def correlated_project(pairs=PAIRS, extra=()) -> rc.Project:
    tasks = [rc.Task(id, estimate) for id, (estimate, _) in TASKS.items()] + list(extra)
    milestones = [rc.Milestone(f"m_{t.id}", (t.id,)) for t in tasks]
    correlations = tuple(Correlation(r, tasks=pair) for pair, r in pairs.items())
    return rc.Project(
        "correlated", "2027-01-04", tuple(tasks), tuple(milestones), correlations=correlations
    )


@pytest.fixture(scope="module")
def durations() -> dict[str, np.ndarray]:
    project = correlated_project()
    network = compile_project(project)
    runs = run(network, seed=2024, iterations=N)
    samples = {id: runs.finishes[k] for k, id in enumerate(TASKS)}  # milestones in model order
    kept = runs.kept_rows(runs.kept_duration)
    assert runs.kept >= 1000
    for id, x in samples.items():  # the milestone route gives exactly the sampled durations
        np.testing.assert_array_equal(kept[network.index(id)], x[: runs.kept].astype(np.float32))
    return samples


def test_realised_rank_correlation_is_the_requested_spearman(durations):
    ranks = {id: stats.rankdata(x) for id, x in durations.items()}
    ids = list(TASKS)
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            r_s = PAIRS.get((first, second), 0.0)  # a pair not requested stays independent
            got = float(np.corrcoef(ranks[first], ranks[second])[0, 1])
            tolerance = K_SE * spearman_se(r_s, N)
            assert got == pytest.approx(r_s, abs=tolerance), (first, second, got, r_s)
            if r_s != 0:
                # the power of the check: the Pearson-for-Spearman mistake fails it (99 %)
                mistake = abs(r_s - spearman_if_pearson_were_used(r_s))
                assert mistake - tolerance > 2.33 * spearman_se(r_s, N)


def test_correlation_keeps_every_marginal(durations):
    bound = math.sqrt(math.log(2 / ALPHA) / (2 * N))  # DKW
    for id, x in durations.items():
        ref = TASKS[id][1]
        assert stats.kstest(x, ref.cdf).statistic < bound, id
        assert x.mean() == pytest.approx(ref.mean(), abs=K_SE * ref.std() / math.sqrt(N)), id
        for q in (0.05, 0.5, 0.95):  # order-statistic band around the exact quantile
            half = K_SE * math.sqrt(q * (1 - q) / N)
            lo, hi = np.quantile(x, [q - half, q + half])
            assert lo <= ref.ppf(q) <= hi, (id, q)


def test_correlation_leaves_the_uncorrelated_draws_alone():
    """Adding the correlations moves only the correlated tasks' draws: a task outside every
    group draws the same durations, run by run, with or without them."""
    extra = [rc.Task("z", rc.Uniform(0, 1))]
    plain = correlated_project(pairs={}, extra=extra)
    with_corr = correlated_project(extra=extra)
    a = rc.simulate(plain, iterations=4096, seed=3).milestone("m_z").samples
    b = rc.simulate(with_corr, iterations=4096, seed=3).milestone("m_z").samples
    np.testing.assert_array_equal(a, b)
    moved = rc.simulate(with_corr, iterations=4096, seed=3).milestone("m_b").samples
    assert not np.array_equal(
        moved, rc.simulate(plain, iterations=4096, seed=3).milestone("m_b").samples
    )


# -- repaired matrices -----------------------------------------------------------------------------


def psd_part(g: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(g)
    return (v * np.maximum(w, 0.0)) @ v.T


def dual_nearest(a: np.ndarray) -> tuple[np.ndarray, float]:
    """(X, theta): the nearest correlation matrix of ``a`` by the dual method, and the dual value
    theta(y) = ||a||^2/2 + sum(y) - ||(a + Diag y)_+||^2 / 2 <= min f (weak duality)."""
    n = a.shape[0]

    def negative(y):
        g = psd_part(a + np.diag(y))
        value = 0.5 * np.sum(a * a) + y.sum() - 0.5 * np.sum(g * g)
        return -value, np.diag(g) - 1.0

    result = optimize.minimize(
        negative, np.zeros(n), jac=True, method="BFGS", options={"gtol": 1e-13, "maxiter": 10_000}
    )
    return psd_part(a + np.diag(result.x)), -result.fun


def assert_valid_correlation(x: np.ndarray) -> None:
    np.testing.assert_allclose(x, x.T, rtol=0, atol=1e-14)  # symmetric to round-off
    np.testing.assert_allclose(np.diag(x), 1.0, rtol=0, atol=1e-12)
    assert np.linalg.eigvalsh(x)[0] >= -1e-10


def certified_distance(x: np.ndarray, a: np.ndarray, theta: float) -> float:
    """Upper bound on ||x - X*||_F for a valid x (strong convexity + weak duality)."""
    return math.sqrt(max(2 * (0.5 * np.sum((x - a) ** 2) - theta), 0.0))


def from_upper(n: int, values) -> np.ndarray:
    x = np.eye(n)
    x[np.triu_indices(n, 1)] = values
    return np.triu(x) + np.triu(x, 1).T


def spearman_project(spearman: np.ndarray, repair: bool = True) -> rc.Project:
    """Independent Uniform(0, 1) tasks t0.. with the rank correlations of ``spearman`` (every
    non-zero pair given once)."""
    n = spearman.shape[0]
    ids = [f"t{k}" for k in range(n)]
    correlations = tuple(
        Correlation(float(spearman[i, j]), tasks=(ids[i], ids[j]))
        for i in range(n)
        for j in range(i + 1, n)
        if spearman[i, j] != 0
    )
    return rc.Project(
        "matrix",
        "2027-01-04",
        tuple(rc.Task(id, rc.Uniform(0, 1)) for id in ids),
        (rc.Milestone("m", tuple(ids)),),
        correlations=correlations,
        repair_correlation=repair,
    )


def compiled_copula(project: rc.Project) -> np.ndarray:
    """The copula matrix the kernel really uses, L L^T of the compiled Cholesky factor of the
    project's one group, in the order of ``project.tasks``."""
    network = compile_project(project)
    assert len(network.group_ptr) == 2  # one group
    size = int(network.group_ptr[1] - network.group_ptr[0])
    lower = network.factors[network.factor_ptr[0] : network.factor_ptr[1]].reshape(size, size)
    np.testing.assert_array_equal(lower, np.tril(lower))
    slots = [int(network.task_slot[network.index(t.id)]) for t in project.tasks]
    return (lower @ lower.T)[np.ix_(slots, slots)]


def test_valid_matrices_are_used_unchanged():
    rng = np.random.default_rng(5)
    g = rng.normal(size=(5, 7))
    gram = g @ g.T
    valid = [
        np.eye(4),
        gram / np.sqrt(np.outer(np.diag(gram), np.diag(gram))),
        from_upper(3, [0.5, -0.5, 0.5]),  # singular (det 0): on the boundary, still valid
        np.ones((3, 3)),  # rank one
    ]
    for c in valid:
        np.testing.assert_allclose(nearest_correlation(c), c, rtol=0, atol=1e-9)
    # through the compiler: a consistent Spearman matrix is used as given, with no warning
    asin_quarter = 6 / math.pi * math.asin(0.25)  # copula 0.5
    for spearman, atol in (
        (from_upper(3, [0.9, 0.3, 0.6]), 1e-12),
        (6 / np.pi * np.arcsin(valid[1] / 2), 1e-12),  # the rank version of a valid copula
        (from_upper(3, [asin_quarter, -asin_quarter, asin_quarter]), 1e-9),  # singular copula
    ):
        assert np.linalg.eigvalsh(copula(spearman))[0] > -1e-12
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            used = compiled_copula(spearman_project(spearman))
        np.testing.assert_allclose(used, copula(spearman), rtol=0, atol=atol)


def test_symmetric_3x3_repair_is_exact():
    """Off-diagonals (a, -a, a) with a > 1/2: the problem is invariant under the sign flip and
    permutations that map the pattern to itself, so its unique answer is (t, -t, t), with
    det = 1 - 3 t^2 - 2 t^3 = (1 + t)^2 (1 - 2 t) >= 0 <=> t <= 1/2: the nearest is t = 1/2.
    Spearman 0.9, -0.9, 0.9 (copula Pearson +-0.908) is such a case."""
    spearman = from_upper(3, [0.9, -0.9, 0.9])
    exact = from_upper(3, [0.5, -0.5, 0.5])
    x = nearest_correlation(copula(spearman))
    assert_valid_correlation(x)
    np.testing.assert_allclose(x, exact, rtol=0, atol=1e-6)
    with pytest.warns(RuntimeWarning, match="repaired to the nearest valid matrix"):
        used = compiled_copula(spearman_project(spearman))
    np.testing.assert_allclose(used, exact, rtol=0, atol=1e-6)
    with pytest.raises(rc.ModelError, match="not positive semi-definite"):
        compile_project(spearman_project(spearman, repair=False))


def test_general_3x3_repair_matches_slsqp():
    target = np.array([0.8, -0.6, 0.7])  # det = 1 - 2(0.336) - 1.49 < 0: invalid
    a = from_upper(3, target)
    assert np.linalg.eigvalsh(a)[0] < -0.1

    def det(v):
        return 1 + 2 * v[0] * v[1] * v[2] - v @ v

    def det_gradient(v):
        return 2 * np.array([v[1] * v[2] - v[0], v[0] * v[2] - v[1], v[0] * v[1] - v[2]])

    solution = optimize.minimize(
        lambda v: np.sum((v - target) ** 2),
        np.zeros(3),
        jac=lambda v: 2 * (v - target),
        method="SLSQP",
        bounds=[(-1, 1)] * 3,
        constraints=[{"type": "ineq", "fun": det, "jac": det_gradient}],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    assert solution.success
    x = nearest_correlation(a)
    assert_valid_correlation(x)
    np.testing.assert_allclose(x[np.triu_indices(3, 1)], solution.x, rtol=0, atol=1e-6)


def test_higham_2002_example():
    """N. J. Higham, "Computing the nearest correlation matrix - a problem from finance", IMA J.
    Numer. Anal. 22 (2002), section 4: A = tridiag(-1, 2, -1) of order 4 and its nearest
    correlation matrix to four decimals, reproduced here by the independent dual solver.

    The diagonal of A only adds a constant to ||A - X||_F^2, so tridiag(-1, 1, -1), the copula of
    Spearman -1 between neighbours of a chain t0-t1-t2-t3 (2 sin(-pi/6) = -1), has the same
    answer: the model route must reach it too."""
    a = 2 * np.eye(4) - np.eye(4, k=1) - np.eye(4, k=-1)
    published = from_upper(4, [-0.8084, 0.1916, 0.1068, -0.6562, 0.1916, -0.8084])
    reference, theta = dual_nearest(a)
    np.testing.assert_allclose(reference, published, rtol=0, atol=5e-5)  # 4-decimal rounding
    x = nearest_correlation(a)
    assert_valid_correlation(x)
    np.testing.assert_allclose(x, reference, rtol=0, atol=1e-6)
    assert certified_distance(x, a, theta) < 1e-5
    spearman = from_upper(4, [-1.0, 0, 0, -1.0, 0, -1.0])
    with pytest.warns(RuntimeWarning, match="repaired"):
        used = compiled_copula(spearman_project(spearman))
    np.testing.assert_allclose(used, reference, rtol=0, atol=1e-6)


def test_repairs_of_random_inconsistent_matrices_are_certified_nearest():
    rng = np.random.default_rng(2002)
    checked = 0
    while checked < 30:
        n = int(rng.integers(3, 9))
        spearman = from_upper(n, rng.uniform(-1, 1, n * (n - 1) // 2))
        a = copula(spearman)
        if np.linalg.eigvalsh(a)[0] > -1e-3:
            continue  # valid (or nearly): nothing to repair
        reference, theta = dual_nearest(a)
        x = nearest_correlation(a)
        assert_valid_correlation(x)
        np.testing.assert_allclose(x, reference, rtol=0, atol=1e-6)
        assert certified_distance(x, a, theta) < 1e-5
        with pytest.warns(RuntimeWarning, match="repaired"):
            used = compiled_copula(spearman_project(spearman))
        np.testing.assert_allclose(used, reference, rtol=0, atol=1e-6)
        checked += 1


def test_a_repaired_model_reaches_the_repaired_rank_correlations():
    """End to end: Spearman 0.9 (p, q), 0.9 (q, r), -0.9 (p, r) is inconsistent; repaired, the
    copula is (0.5, 0.5, -0.5) exactly (see above), so the realised rank correlations are
    +-(6/pi) asin(1/4) = +-0.4826."""
    tasks = tuple(rc.Task(id, rc.Uniform(0, 1)) for id in "pqr")
    milestones = tuple(rc.Milestone(f"m{id}", (id,)) for id in "pqr")
    correlations = (
        Correlation(0.9, tasks=("p", "q")),
        Correlation(0.9, tasks=("q", "r")),
        Correlation(-0.9, tasks=("p", "r")),
    )
    project = rc.Project(
        "repaired",
        "2027-01-04",
        tasks,
        milestones,
        correlations=correlations,
        repair_correlation=True,
    )
    n = 1 << 17
    with pytest.warns(RuntimeWarning, match="repaired"):
        forecast = rc.simulate(project, iterations=n, seed=11)
    x = {id: forecast.milestone(f"m{id}").samples for id in "pqr"}
    expected = 6 / math.pi * math.asin(0.25)
    for (i, j), sign in ((("p", "q"), 1), (("q", "r"), 1), (("p", "r"), -1)):
        got = stats.spearmanr(x[i], x[j]).statistic
        assert got == pytest.approx(sign * expected, abs=K_SE * spearman_se(expected, n)), (i, j)
