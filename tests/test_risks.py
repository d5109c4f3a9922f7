"""Risks, correlation and branching against exact answers (tolerances: 4 Monte Carlo SE)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import integrate, stats

import riskcast as rc
from riskcast.compile import compile_project
from riskcast.drivers import compare_mitigation, risk_drivers
from riskcast.engine.run import run
from riskcast.risks import Branch, BranchOption, Correlation, Impact, Mitigation, Risk

N = 20_000


def se(p: float, n: int = N) -> float:
    return float(np.sqrt(p * (1 - p) / n))


def project_with(tasks, milestones, **extra) -> rc.Project:
    return rc.Project("risky", "2027-01-04", tuple(tasks), tuple(milestones), **extra)


def one_task(risk: Risk) -> rc.Project:
    return project_with(
        [rc.Task("a", rc.Uniform(0, 10))], [rc.Milestone("m", ("a",))], risks=(risk,)
    )


def test_a_fixed_impact_gives_the_exact_mixture():
    forecast = rc.simulate(one_task(Risk("r", 0.3, (Impact("a", add=4),))), iterations=N, seed=1)
    samples = forecast.milestone("m").samples
    for x in (2.0, 5.0, 9.0, 11.0, 13.0):
        exact = 0.7 * stats.uniform(0, 10).cdf(x) + 0.3 * stats.uniform(4, 10).cdf(x)
        assert np.mean(samples <= x) == pytest.approx(exact, abs=4 * se(exact) + 1e-12)
    assert forecast.risk_occurrence()["r"] == pytest.approx(0.3, abs=4 * se(0.3))


def test_a_distribution_impact_gives_the_mixture_with_the_convolution():
    impact = rc.Triangular(1, 2, 6)
    forecast = rc.simulate(
        one_task(Risk("r", 0.4, (Impact("a", add=impact),))), iterations=N, seed=2
    )
    samples = forecast.milestone("m").samples
    u, t = stats.uniform(0, 10), stats.triang((2 - 1) / (6 - 1), loc=1, scale=5)  # Tri(1, 2, 6)
    for x in (3.0, 8.0, 11.0, 14.0):
        convolved, _ = integrate.quad(lambda s, x=x: u.cdf(x - s) * t.pdf(s), 1, 6)
        exact = 0.6 * u.cdf(x) + 0.4 * convolved
        assert np.mean(samples <= x) == pytest.approx(exact, abs=4 * se(exact))


def test_a_multiplying_risk_scales_the_duration():
    risk = Risk("r", 1.0, (Impact("a", multiply=rc.Fixed(1.5)),))
    forecast = rc.simulate(one_task(risk), iterations=4000, seed=3)
    plain = rc.simulate(dataclasses.replace(one_task(risk), risks=()), iterations=4000, seed=3)
    np.testing.assert_array_equal(
        forecast.milestone("m").samples, 1.5 * plain.milestone("m").samples
    )


def two_risks() -> rc.Project:
    tasks = [rc.Task(i, rc.Pert(2, 3, 7)) for i in ("a", "b", "c")]
    risks = (
        Risk("ra", 0.5, (Impact("a", add=rc.Uniform(1, 3)),)),
        Risk("rb", 0.4, (Impact("b", multiply=rc.Triangular(1, 1.2, 2)),), shared_impact=False),
    )
    return project_with(tasks, [rc.Milestone("m", ("a", "b", "c"))], risks=risks)


def test_switching_one_risk_off_changes_no_other_draw():
    project = two_risks()
    net = compile_project(project)
    off = compile_project(project, disabled=["ra"])
    with_ra, without_ra = run(net, 5, 3000), run(off, 5, 3000)
    d_on, d_off = (
        with_ra.kept_rows(with_ra.kept_duration),
        without_ra.kept_rows(without_ra.kept_duration),
    )
    for id in ("b", "c"):  # not hit by ra: identical, iteration by iteration
        np.testing.assert_array_equal(d_on[net.index(id)], d_off[net.index(id)])
    a = net.index("a")
    changed = d_on[a] != d_off[a]
    assert np.all(d_on[a][changed] > d_off[a][changed])  # only additions where ra occurred
    assert np.mean(changed) == pytest.approx(0.5, abs=4 * se(0.5, 3000))
    assert np.array_equal(with_ra.risk_occurred[1:], without_ra.risk_occurred[1:])


def test_a_shared_impact_moves_its_tasks_together():
    tasks = [rc.Task("x", rc.Fixed(1)), rc.Task("y", rc.Fixed(1))]
    milestones = [rc.Milestone("mx", ("x",)), rc.Milestone("my", ("y",))]
    impact = rc.Uniform(0, 5)
    for shared in (True, False):
        risk = Risk(
            "r", 1.0, (Impact("x", add=impact), Impact("y", add=impact)), shared_impact=shared
        )
        forecast = rc.simulate(
            project_with(tasks, milestones, risks=(risk,)), iterations=5000, seed=8
        )
        x, y = forecast.milestone("mx").samples, forecast.milestone("my").samples
        if shared:
            np.testing.assert_array_equal(x, y)
        else:
            assert abs(stats.spearmanr(x, y).statistic) < 4 / np.sqrt(5000)


def test_correlated_risk_occurrences_follow_the_gaussian_copula():
    tasks = [rc.Task("x", rc.Fixed(0)), rc.Task("y", rc.Fixed(0))]
    milestones = [rc.Milestone("mx", ("x",)), rc.Milestone("my", ("y",))]
    risks = (Risk("a", 0.3, (Impact("x", add=1),)), Risk("b", 0.2, (Impact("y", add=1),)))
    project = project_with(
        tasks, milestones, risks=risks, correlations=(Correlation(0.6, risks=("a", "b")),)
    )
    forecast = rc.simulate(project, iterations=N, seed=9)
    both = np.mean(
        (forecast.milestone("mx").samples == 1) & (forecast.milestone("my").samples == 1)
    )
    rho = 2 * np.sin(np.pi * 0.6 / 6)
    exact = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf(
        [stats.norm.ppf(0.3), stats.norm.ppf(0.2)]
    )
    assert both == pytest.approx(exact, abs=4 * se(exact))
    assert forecast.risk_occurrence()["a"] == pytest.approx(0.3, abs=4 * se(0.3))


def test_probabilistic_task_and_exclusive_branches():
    tasks = [
        rc.Task("base", rc.Fixed(1)),
        rc.Task("rework", rc.Fixed(10), after=("base",), probability=0.3),
        rc.Task("a", rc.Fixed(100), after=("base",)),
        rc.Task("b", rc.Fixed(1000), after=("base",)),
    ]
    milestones = [rc.Milestone("r", ("rework",)), rc.Milestone("ab", ("a", "b"))]
    branch = Branch("cert", (BranchOption(("a",), 0.6), BranchOption(("b",), 0.3)))
    forecast = rc.simulate(
        project_with(tasks, milestones, branches=(branch,)), iterations=N, seed=10
    )
    rework = forecast.milestone("r").samples
    assert np.mean(rework == 11) == pytest.approx(0.3, abs=4 * se(0.3))
    assert set(np.unique(rework)) == {1.0, 11.0}  # skipped: zero time, links kept
    ab = forecast.milestone("ab").samples
    assert set(np.unique(ab)) == {1.0, 101.0, 1001.0}  # never both: 1101 would mean both ran
    assert np.mean(ab == 101) == pytest.approx(0.6, abs=4 * se(0.6))
    assert np.mean(ab == 1001) == pytest.approx(0.3, abs=4 * se(0.3))


def test_probability_range_occurs_at_its_midpoint():
    forecast = rc.simulate(
        one_task(Risk("r", (0.1, 0.5), (Impact("a", add=1),))), iterations=N, seed=11
    )
    assert forecast.risk_occurrence()["r"] == pytest.approx(0.3, abs=4 * se(0.3))


def test_risk_drivers_are_exact_differences_on_common_random_numbers():
    tasks = [rc.Task("a", rc.Uniform(5, 10)), rc.Task("b", rc.Uniform(1, 2), after=("a",))]
    risks = (
        Risk("big", 0.5, (Impact("a", add=6),)),
        Risk("small", 0.2, (Impact("b", add=1),)),
        Risk("off-path", 0.9, (Impact("side", add=0.5),)),
    )
    tasks.append(rc.Task("side", rc.Fixed(0.1)))
    project = project_with(tasks, [rc.Milestone("m", ("b",))], risks=risks)
    drivers = risk_drivers(project, "m", percentile=80, iterations=8000, seed=12)
    assert [d.id for d in drivers.drivers] == ["big", "small", "off-path"]
    by_id = {d.id: d for d in drivers.drivers}
    # on a pure chain the mean effect is the impact times the share of runs it occurred in
    for id, days in (("big", 6.0), ("small", 1.0)):
        assert by_id[id].mean_days["m"] == pytest.approx(days * by_id[id].occurred, rel=1e-9)
        assert by_id[id].critical["m"] == by_id[id].occurred
    assert by_id["off-path"].days["m"] == 0.0 and by_id["off-path"].critical["m"] == 0.0
    assert by_id["big"].days["m"] > 0


@pytest.mark.parametrize(("milestone", "q"), [("m", 80), (None, 50)])
def test_risk_driver_days_are_differences_of_the_forecasts_own_percentiles(milestone, q):
    """A driver's days are two forecasts' P-values (MilestoneForecast.percentile_days): the run
    with every risk minus the run with that risk's probability set to 0, same seed. An odd run
    count puts q/100 x n between two ranks, where percentile definitions differ."""
    n, seed = 3001, 21
    tasks = (rc.Task("a", rc.Uniform(5, 10)), rc.Task("b", rc.Triangular(1, 2, 6), after=("a",)))
    risks = (
        Risk("late", 0.35, (Impact("a", add=rc.Uniform(2, 6)),)),
        Risk("slow", (0.1, 0.5), (Impact("b", multiply=rc.Pert(1, 1.2, 2)),)),
    )
    project = project_with(tasks, [rc.Milestone("m", ("b",))], risks=risks)
    result = rc.risk_drivers(project, milestone, percentile=q, iterations=n, seed=seed)
    base = rc.simulate(project, iterations=n, seed=seed).milestone(milestone)
    # "P80 with the risk" is the forecast's P80 of the same run
    assert result.forecast.milestone(milestone).percentile_days(q) == base.percentile_days(q)
    assert result.milestone == base.id
    for d in result.drivers:
        off = tuple(dataclasses.replace(r, probability=0.0) if r.id == d.id else r for r in risks)
        alone = rc.simulate(dataclasses.replace(project, risks=off), iterations=n, seed=seed)
        without = alone.milestone(milestone)
        assert d.days[base.id] == base.percentile_days(q) - without.percentile_days(q)
        assert d.mean_days[base.id] == base.mean_days - without.mean_days
    assert all(d.days[base.id] > 0 for d in result.drivers)


def test_mitigation_to_zero_probability_equals_the_run_without_the_risk():
    risk = Risk("r", 0.5, (Impact("a", add=4),), mitigation=Mitigation(probability=0.0, cost=2000))
    project = one_task(risk)
    comparison = compare_mitigation(project, iterations=6000, seed=13)
    plain = rc.simulate(dataclasses.replace(project, risks=()), iterations=6000, seed=13)
    np.testing.assert_array_equal(
        comparison.post.milestone("m").samples, plain.milestone("m").samples
    )
    row = comparison.rows[0]
    assert comparison.cost == 2000
    assert row.days_gained[80] == pytest.approx(
        comparison.pre.milestone("m").percentile_days(80) - plain.milestone("m").percentile_days(80)
    )
    assert row.days_per_cost[80] == pytest.approx(row.days_gained[80] / 2000)
    post = rc.simulate(project, iterations=6000, seed=13, mitigation="post")
    np.testing.assert_array_equal(post.milestone("m").samples, plain.milestone("m").samples)


RISKY = """
[project]
name = "Risky"
start = 2027-01-04

[[task]]
id = "api"
estimate = { triangular = [8, 12, 25] }

[[task]]
id = "qa"
estimate = { pert = [4, 6, 10] }
after = ["api"]

[[task]]
id = "web"
estimate = { pert = [4, 6, 10] }
after = ["api"]

[[milestone]]
id = "beta"
after = ["qa", "web"]

[[risk]]
id = "vendor-api"
title = "Payment vendor changes its API"
probability = 0.3
impacts = [{ task = "api", add = { triangular = [3, 5, 12] } },
           { task = "qa",  multiply = { pert = [1.0, 1.1, 1.4] } }]
mitigation = { probability = 0.1, cost = 8000 }

[[correlation]]
tasks = ["api", "qa", "web"]
coefficient = 0.6
"""


def load(tmp_path, text):
    path = tmp_path / "risky.toml"
    path.write_text(text)
    return rc.load(path)


def test_the_file_format_reads_risks_and_correlations(tmp_path):
    project = load(tmp_path, RISKY)
    risk = project.risk("vendor-api")
    assert risk.probability == 0.3 and risk.mitigation.cost == 8000
    assert risk.impacts[1].multiply == rc.Pert(1.0, 1.1, 1.4)
    assert project.correlations[0].tasks == ("api", "qa", "web")
    occurred = rc.simulate(project, iterations=2000, seed=1).risk_occurrence()["vendor-api"]
    assert occurred == pytest.approx(0.3, abs=4 * se(0.3, 2000))  # the file's probability


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("probability = 0.3", "probability = 1.3"), "within [0, 1]"),
        (('task = "qa",  multiply', 'task = "qq",  multiply'), 'unknown task "qq"'),
        (("coefficient = 0.6", "coefficient = 1.2"), "within [-1, 1]"),
        (("probability = 0.1, cost", "probability = -0.1, cost"), "mitigation > probability"),
        (('{ task = "api", add', '{ task = "api", plus'), 'unknown key "plus"'),
        (('tasks = ["api", "qa", "web"]', 'tasks = ["api", "nope"]'), 'unknown id "nope"'),
    ],
)
def test_bad_risk_input_is_a_clear_model_error(tmp_path, change, expected):
    with pytest.raises(rc.ModelError) as info:
        load(tmp_path, RISKY.replace(*change, 1))
    assert expected in str(info.value)


def test_an_inconsistent_correlation_matrix_is_rejected_or_repaired(tmp_path):
    text = RISKY.replace(
        '[[correlation]]\ntasks = ["api", "qa", "web"]\ncoefficient = 0.6',
        '[[correlation]]\ntasks = ["api", "qa"]\ncoefficient = 0.9\n'
        '[[correlation]]\ntasks = ["qa", "web"]\ncoefficient = 0.9\n'
        '[[correlation]]\ntasks = ["api", "web"]\ncoefficient = -0.9',
    )
    with pytest.raises(rc.ModelError, match="not positive semi-definite") as info:
        load(tmp_path, text)  # rejected when loaded (validated), not only when simulated
    assert '"api"-"qa"' in str(info.value) or '"api"-"web"' in str(info.value)
    assert "repair_correlation = true" in str(info.value)
    repaired = load(tmp_path, text.replace("[project]", "[project]\nrepair_correlation = true"))
    with pytest.warns(RuntimeWarning, match="repaired to the nearest valid matrix"):
        forecast = rc.simulate(repaired, iterations=2000, seed=1)
    assert forecast.iterations == 2000
    project = dataclasses.replace(repaired, repair_correlation=False)
    with pytest.raises(rc.ModelError, match="not positive semi-definite"):
        rc.simulate(project, iterations=100, seed=1)


def test_branch_probabilities_above_one_are_rejected():
    tasks = [rc.Task("a", 1), rc.Task("b", 1)]
    branch = Branch("x", (BranchOption(("a",), 0.7), BranchOption(("b",), 0.5)))
    with pytest.raises(rc.ModelError, match=r"add up to 1\.2, more than 1"):
        rc.simulate(
            project_with(tasks, [rc.Milestone("m", ("a", "b"))], branches=(branch,)), iterations=10
        )


def test_risk_statistics_round_trip(tmp_path):
    forecast = rc.simulate(load(tmp_path, RISKY), iterations=2000, seed=3, mitigation="post")
    again = rc.Forecast.from_dict(forecast.to_dict())
    assert again.risk_occurrence() == forecast.risk_occurrence()
    assert again.risk_criticality("beta") == forecast.risk_criticality("beta")
    assert again.mitigation == "post"


def test_opportunities_shorten_work_and_durations_stop_at_zero():
    saving = Risk("saving", 0.5, (Impact("a", add=rc.Triangular(-3, -2, -1)),))
    forecast = rc.simulate(one_task(saving), iterations=8000, seed=14)
    plain = rc.simulate(dataclasses.replace(one_task(saving), risks=()), iterations=8000, seed=14)
    before = plain.milestone("m").samples
    delta = forecast.milestone("m").samples - before
    occurred = delta != 0
    long_enough = occurred & (before >= 3)  # shorter tasks are clamped at zero duration
    assert np.all((delta[long_enough] >= -3) & (delta[long_enough] <= -1))
    assert np.all(forecast.milestone("m").samples[occurred & (before < 1)] == 0.0)
    assert forecast.risk_occurrence()["saving"] == np.mean(occurred)
    big = Risk("big", 1.0, (Impact("a", add=-20),))  # more than any duration of U(0, 10)
    assert np.all(rc.simulate(one_task(big), iterations=500, seed=1).milestone("m").samples == 0.0)


def test_unknown_scenario_ids_are_named_with_a_suggestion(tmp_path):
    project = load(tmp_path, RISKY)
    with pytest.raises(rc.ModelError, match='no risk "vendor-apj"; did you mean "vendor-api"'):
        rc.simulate(project, iterations=100, mitigation=["vendor-apj"])
    with pytest.raises(rc.RiskcastError, match="without a mitigation"):
        compare_mitigation(
            dataclasses.replace(
                project, risks=(*project.risks, Risk("x", 0.1, (Impact("qa", add=1),)))
            ),
            mitigated=["x"],
            iterations=100,
        )


def test_a_broken_impact_is_reported_once(tmp_path):
    with pytest.raises(rc.ModelError) as info:
        load(tmp_path, RISKY.replace('{ task = "api", add', '{ task = "api", plus'))
    assert "needs at least one impact" not in str(info.value)
