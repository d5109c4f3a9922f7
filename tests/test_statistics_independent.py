"""Forecast statistics against calculations that share no code with riskcast.

Each expected value comes either from exact analysis or from a reference simulation written here
with numpy and scipy.stats (its own generator, its own samplers, its own schedule logic), never
from riskcast's distributions, tables, generator or kernel. Comparisons allow 4 standard errors
of the *difference* between the engine's estimate (N runs) and the reference (M runs, or exact):

* a share p (criticality, risk criticality, occurrence): binomial, sqrt(p (1 - p) (1/N + 1/M));
* the schedule sensitivity index SSI = p * sd(task) / sd(finish), a smooth function of means:
  the delta method, with the influence function of one run
      IF = SSI * [(c - p) / p + ((x - mu_x)^2 - var_x) / (2 var_x) - ((F - mu_F)^2 - var_F) / (2 var_F)]
  (c: the task was critical, x: its duration, F: the milestone finish), evaluated on the reference
  sample, so SE = sd(IF) / sqrt(runs).
A correct engine fails one such comparison with probability about 6e-5.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import riskcast as rc
from riskcast.risks import Impact, Risk

K_SE = 4.0
N = 100_000  # engine runs
M = 1 << 20  # reference runs (numpy)
START = "2027-01-04"


def project(tasks, milestones, **extra) -> rc.Project:
    return rc.Project("independent", START, tuple(tasks), tuple(milestones), **extra)


# -- reference distributions: scipy.stats built from the definitions in DESIGN.md / README ---------


def pert(low: float, mode: float, high: float) -> stats.rv_continuous:
    """Beta-PERT, lambda = 4: Beta(1 + 4 (m - a)/(b - a), 1 + 4 (b - m)/(b - a)) on [a, b]."""
    width = high - low
    return stats.beta(1 + 4 * (mode - low) / width, 1 + 4 * (high - mode) / width, low, width)


def triangular(low: float, mode: float, high: float) -> stats.rv_continuous:
    return stats.triang((mode - low) / (high - low), loc=low, scale=high - low)


def lognormal_mean_sd(mean: float, sd: float) -> stats.rv_continuous:
    sigma2 = math.log(1 + (sd / mean) ** 2)
    return stats.lognorm(math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2))


def normal_above_zero(mu: float, sd: float, rng: np.random.Generator, size: int) -> np.ndarray:
    """N(mu, sd) truncated to [0, inf), exactly, by rejection."""
    x = rng.normal(mu, sd, size)
    bad = x < 0
    while bad.any():
        x[bad] = rng.normal(mu, sd, bad.sum())
        bad = x < 0
    return x


def normal_above_zero_sd(mu: float, sd: float) -> float:
    return float(stats.truncnorm(-mu / sd, np.inf, loc=mu, scale=sd).std())


def binomial_tolerance(p: float, n: int, m: int | None = None) -> float:
    """4 SE of (engine share over n runs) - (reference share over m runs, None: exact)."""
    return K_SE * math.sqrt(p * (1 - p) * (1 / n + (0 if m is None else 1 / m)))


# -- 1. schedule sensitivity index -----------------------------------------------------------------

# Three parallel paths of two tasks into one milestone; each path is the longest in about a third
# of the runs. Engine estimate and the scipy reference sampler for each task.
PATHS = {
    "a1": (rc.Uniform(2, 8), lambda rng, m: stats.uniform(2, 6).rvs(m, random_state=rng)),
    "a2": (rc.Triangular(2, 4, 9), lambda rng, m: triangular(2, 4, 9).rvs(m, random_state=rng)),
    "b1": (rc.Pert(3, 5, 10), lambda rng, m: pert(3, 5, 10).rvs(m, random_state=rng)),
    "b2": (
        rc.LogNormal.from_mean_sd(5, 1.5),
        lambda rng, m: lognormal_mean_sd(5, 1.5).rvs(m, random_state=rng),
    ),
    "c1": (rc.Exponential(4.0), lambda rng, m: stats.expon(scale=4.0).rvs(m, random_state=rng)),
    "c2": (rc.Normal(6, 1), lambda rng, m: normal_above_zero(6, 1, rng, m)),
}
EXACT_SD = {
    "a1": 6 / math.sqrt(12),
    "a2": float(triangular(2, 4, 9).std()),
    "b1": float(pert(3, 5, 10).std()),
    "b2": 1.5,
    "c1": 4.0,
    "c2": normal_above_zero_sd(6, 1),
}


def three_paths() -> rc.Project:
    tasks = []
    for path in "abc":
        first, second = f"{path}1", f"{path}2"
        tasks.append(rc.Task(first, PATHS[first][0]))
        tasks.append(rc.Task(second, PATHS[second][0], after=(first,)))
    return project(tasks, [rc.Milestone("m", ("a2", "b2", "c2"))])


def sd_se(x: np.ndarray) -> float:
    """Standard error of the sample sd: sd sqrt((kurtosis - 1) / 4n) (delta method)."""
    centred = x - x.mean()
    m2 = np.mean(centred**2)
    return math.sqrt(m2) * math.sqrt((np.mean(centred**4) / m2**2 - 1) / (4 * len(x)))


def test_reference_samplers_have_the_exact_sds():
    """The reference itself, checked once: the closed-form sds (Uniform (b - a)/sqrt(12),
    lognormal by construction, exponential = mean) agree with scipy, and the samplers with them."""
    assert EXACT_SD["a1"] == pytest.approx(float(stats.uniform(2, 6).std()), rel=1e-12)
    assert EXACT_SD["b2"] == pytest.approx(float(lognormal_mean_sd(5, 1.5).std()), rel=1e-12)
    assert lognormal_mean_sd(5, 1.5).mean() == pytest.approx(5, rel=1e-12)
    rng = np.random.default_rng(20)
    for id, (_, sample) in PATHS.items():
        x = sample(rng, M)
        assert x.std() == pytest.approx(EXACT_SD[id], abs=K_SE * sd_se(x)), id


def test_schedule_sensitivity_on_parallel_paths_matches_an_independent_simulation():
    forecast = rc.simulate(three_paths(), iterations=N, seed=101)
    ssi = forecast.schedule_sensitivity("m")
    crit = forecast.criticality("m")

    rng = np.random.default_rng(202)
    x = {id: sample(rng, M) for id, (_, sample) in PATHS.items()}
    path_sums = np.vstack([x["a1"] + x["a2"], x["b1"] + x["b2"], x["c1"] + x["c2"]])
    finish = path_sums.max(axis=0)
    longest = path_sums.argmax(axis=0)
    var_f = finish.var()
    for id in PATHS:
        c = longest == "abc".index(id[0])  # both tasks of the longest path have zero float
        p = c.mean()
        assert 0.2 < p < 0.5  # the paths really compete (not a restatement of a chain)
        assert crit[id] == pytest.approx(p, abs=binomial_tolerance(p, N, M))

        sd_x = EXACT_SD[id]
        expected = p * sd_x / math.sqrt(var_f)
        # influence functions of one run (see the module docstring)
        if_p = (c - p) / p
        if_var_x = ((x[id] - x[id].mean()) ** 2 - x[id].var()) / (2 * x[id].var())
        if_var_f = ((finish - finish.mean()) ** 2 - var_f) / (2 * var_f)
        se_engine = expected * np.std(if_p + if_var_x - if_var_f) / math.sqrt(N)
        se_reference = expected * np.std(if_p - if_var_f) / math.sqrt(M)  # sd_x is exact here
        tolerance = K_SE * math.hypot(se_engine, se_reference)
        assert ssi[id] == pytest.approx(expected, abs=tolerance), (id, ssi[id], expected)
        # the index is not the bare sd ratio: criticality matters
        assert abs(sd_x / math.sqrt(var_f) - expected) > 10 * tolerance


CHAIN = {
    "u": (rc.Uniform(1, 5), stats.uniform(1, 4)),
    "t": (rc.Triangular(2, 3, 10), triangular(2, 3, 10)),
    "p": (rc.Pert(4, 6, 14), pert(4, 6, 14)),
    "e": (rc.Exponential(2.5), stats.expon(scale=2.5)),
    "g": (rc.LogNormal.from_mean_sd(8, 3), lognormal_mean_sd(8, 3)),
    "k": (rc.Fixed(3), None),
}


def test_schedule_sensitivity_on_a_chain_is_the_ratio_of_analytic_sds():
    """On a chain every task is critical in every run and the finish is the sum of independent
    durations, so SSI(task) = sd(task) / sqrt(sum of variances), exactly (the sds from scipy)."""
    ids = list(CHAIN)
    tasks = [
        rc.Task(id, CHAIN[id][0], after=(ids[k - 1],) if k else ()) for k, id in enumerate(ids)
    ]
    forecast = rc.simulate(project(tasks, [rc.Milestone("end", (ids[-1],))]), iterations=N, seed=7)
    ssi = forecast.schedule_sensitivity("end")
    assert set(forecast.criticality("end").values()) == {1.0}

    sd = {id: 0.0 if ref is None else float(ref.std()) for id, (_, ref) in CHAIN.items()}
    sd_finish = math.sqrt(sum(s * s for s in sd.values()))
    # tolerance: delta method on a reference sample of the same chain (see the module docstring)
    rng = np.random.default_rng(8)
    x = {id: ref.rvs(M, random_state=rng) for id, (_, ref) in CHAIN.items() if ref is not None}
    finish = sum(x.values())
    if_var_f = ((finish - finish.mean()) ** 2 - finish.var()) / (2 * finish.var())
    assert finish.std() == pytest.approx(sd_finish, abs=K_SE * sd_se(finish))  # the same chain
    for id in ids:
        expected = sd[id] / sd_finish
        if sd[id] == 0:
            assert ssi[id] == 0.0
            continue
        if_var_x = ((x[id] - x[id].mean()) ** 2 - x[id].var()) / (2 * x[id].var())
        tolerance = K_SE * expected * np.std(if_var_x - if_var_f) / math.sqrt(N)
        assert ssi[id] == pytest.approx(expected, abs=tolerance), (id, ssi[id], expected)


# -- 4. risk criticality -----------------------------------------------------------------------


def test_risk_criticality_on_parallel_paths_is_exact():
    """a ~ U(0, 10) and b = 5 in parallel, then c = 1; milestone m after c, mb after b only.

    r1 (p 0.3) adds V ~ U(1, 5) to b, r3 (p 0.2) multiplies a by 1.5, r4 (p 0.25) adds 1 to a, b
    and c (the same shift on both paths, so it changes no comparison). With E[V + 5] = 8:
      P(r1 and b critical) = 0.3 [0.8 P(a < 5 + V) + 0.2 P(1.5 a < 5 + V)] = 0.3 (0.8 * 0.8 + 0.2 * 8/15)
      P(r3 and a critical) = 0.2 [0.7 P(1.5 a > 5) + 0.3 P(1.5 a > 5 + V)] = 0.2 (0.7 * 2/3 + 0.3 * 7/15)
      r4 hits c, always critical: its share is its probability (counted once per run, although a
      or b is critical with c in the same run).
    Towards mb, b is always critical and a never: r1 -> 0.3, r3 -> 0, r4 -> 0.25.
    """
    tasks = [
        rc.Task("a", rc.Uniform(0, 10)),
        rc.Task("b", rc.Fixed(5)),
        rc.Task("c", rc.Fixed(1), after=("a", "b")),
    ]
    risks = (
        Risk("r1", 0.3, (Impact("b", add=rc.Uniform(1, 5)),)),
        Risk("r4", 0.25, (Impact("a", add=1), Impact("b", add=1), Impact("c", add=1))),
        Risk("r3", 0.2, (Impact("a", multiply=1.5),)),
    )
    milestones = [rc.Milestone("m", ("c",)), rc.Milestone("mb", ("b",))]
    forecast = rc.simulate(project(tasks, milestones, risks=risks), iterations=N, seed=31)

    occurrence = forecast.risk_occurrence()
    for id, p in (("r1", 0.3), ("r3", 0.2), ("r4", 0.25)):
        assert occurrence[id] == pytest.approx(p, abs=binomial_tolerance(p, N))

    exact = {
        "r1": 0.3 * (0.8 * 0.8 + 0.2 * 8 / 15),
        "r3": 0.2 * (0.7 * 2 / 3 + 0.3 * 7 / 15),
        "r4": 0.25,
    }
    for target in ("m", None):  # the project finish is c's finish too
        got = forecast.risk_criticality(target)
        for id, p in exact.items():
            assert got[id] == pytest.approx(p, abs=binomial_tolerance(p, N)), (target, id)
    p_b = exact["r1"] + 0.7 * (0.8 * 0.5 + 0.2 * 1 / 3)  # b critical: r1 above, or not r1
    assert forecast.criticality("m")["b"] == pytest.approx(p_b, abs=binomial_tolerance(p_b, N))

    towards_b = forecast.risk_criticality("mb")
    assert towards_b["r3"] == 0.0
    assert towards_b["r1"] == occurrence["r1"]  # b is critical for mb in every run
    assert towards_b["r4"] == occurrence["r4"]


def test_risk_criticality_matches_an_independent_simulation():
    """Two paths of two tasks with distributions that have no closed form for the answer:
    path A = a1 -> a2, path B = b1 -> b2, merging into m.

    r_mul (p 0.35) multiplies b2 by Tri(1.1, 1.3, 1.8); r_range (probability drawn per run from
    U(0.1, 0.5)) adds U(1, 4) to a1; r_both (p 0.5, shared impact) adds Tri(0.5, 1, 3) to a2 and
    b1, one path each, so it is critical whenever it occurs. Reference: the README's semantics in
    numpy (duration = estimate x factors + additions; a task is critical iff its path is longest).
    """
    tasks = [
        rc.Task("a1", rc.Triangular(2, 4, 9)),
        rc.Task("a2", rc.Pert(3, 5, 10), after=("a1",)),
        rc.Task("b1", rc.Uniform(4, 9)),
        rc.Task("b2", rc.LogNormal.from_mean_sd(5, 1.5), after=("b1",)),
    ]
    risks = (
        Risk("r_mul", 0.35, (Impact("b2", multiply=rc.Triangular(1.1, 1.3, 1.8)),)),
        Risk("r_range", (0.1, 0.5), (Impact("a1", add=rc.Uniform(1, 4)),)),
        Risk(
            "r_both",
            0.5,
            (
                Impact("a2", add=rc.Triangular(0.5, 1, 3)),
                Impact("b1", add=rc.Triangular(0.5, 1, 3)),
            ),
        ),
    )
    forecast = rc.simulate(
        project(tasks, [rc.Milestone("m", ("a2", "b2"))], risks=risks), iterations=N, seed=41
    )

    rng = np.random.default_rng(42)
    a1 = triangular(2, 4, 9).rvs(M, random_state=rng)
    a2 = pert(3, 5, 10).rvs(M, random_state=rng)
    b1 = stats.uniform(4, 5).rvs(M, random_state=rng)
    b2 = lognormal_mean_sd(5, 1.5).rvs(M, random_state=rng)
    mul = rng.random(M) < 0.35
    ranged = rng.random(M) < rng.uniform(0.1, 0.5, M)
    both = rng.random(M) < 0.5
    shared = triangular(0.5, 1, 3).rvs(M, random_state=rng)
    b2 = np.where(mul, b2 * triangular(1.1, 1.3, 1.8).rvs(M, random_state=rng), b2)
    a1 = np.where(ranged, a1 + stats.uniform(1, 3).rvs(M, random_state=rng), a1)
    a2 = np.where(both, a2 + shared, a2)
    b1 = np.where(both, b1 + shared, b1)
    a_longest = a1 + a2 > b1 + b2

    reference = {
        "r_mul": (mul.mean(), (mul & ~a_longest).mean()),
        "r_range": (ranged.mean(), (ranged & a_longest).mean()),
        "r_both": (both.mean(), both.mean()),
    }
    occurrence, critical = forecast.risk_occurrence(), forecast.risk_criticality("m")
    for id, (p_occ, p_crit) in reference.items():
        assert 0.05 < p_crit  # each risk matters in a real share of the runs
        assert occurrence[id] == pytest.approx(p_occ, abs=binomial_tolerance(p_occ, N, M)), id
        assert critical[id] == pytest.approx(p_crit, abs=binomial_tolerance(p_crit, N, M)), id
    # the range occurs at its midpoint rate, and the two partial risks are critical only sometimes
    assert reference["r_range"][0] == pytest.approx(0.3, abs=binomial_tolerance(0.3, M))
    for id in ("r_mul", "r_range"):
        p_occ, p_crit = reference[id]
        assert p_crit < p_occ - binomial_tolerance(p_occ, N, M) * 10
    crit = forecast.criticality("m")
    p_a = a_longest.mean()
    for id in ("a1", "a2"):
        assert crit[id] == pytest.approx(p_a, abs=binomial_tolerance(p_a, N, M))
