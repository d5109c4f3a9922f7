"""Calibration: reading past tasks, the random-effects fit against its known sampling error,
shrinkage of small classes, the calibration file, and applying it to a plan (exact math)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import riskcast as rc
from riskcast.calibration import (
    Calibration,
    CalibrationError,
    ClassFit,
    PastTask,
    apply_calibration,
    calibrated_tasks,
    fit_calibration,
    from_history,
    random_effects,
    read_history_csv,
    read_past_tasks,
    residual_distribution,
    shared_distribution,
)
from riskcast.calibration_file import calibration_toml, read_calibration, write_calibration

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
MU, SIGMA_B, SIGMA_W = math.log(1.3), 0.25, 0.30


def synthetic(
    projects: int,
    tasks: int | list[int],
    seed: int,
    *,
    mu: float = MU,
    sigma_b: float = SIGMA_B,
    sigma_w: float = SIGMA_W,
    tag: str | None = None,
) -> list[PastTask]:
    """Past tasks whose log ratio is mu + b_project + e_task (normal), estimates 1..20 days."""
    rng = np.random.default_rng(seed)
    sizes = [tasks] * projects if isinstance(tasks, int) else tasks
    items = []
    for j, n in enumerate(sizes):
        b = rng.normal(0, sigma_b)
        for i in range(n):
            estimate = float(rng.integers(1, 21))
            ratio = math.exp(mu + b + rng.normal(0, sigma_w))
            tags = {"team": tag} if tag else {}
            items.append(PastTask(f"p{j:03d}", f"t{i}", estimate, estimate * ratio, tags))
    return items


# -- the fit recovers known parameters ------------------------------------------------------------
def test_balanced_fit_recovers_the_parameters_within_their_standard_errors():
    k, n = 60, 10
    items = synthetic(k, n, seed=11)
    c = random_effects(np.log([t.ratio for t in items]), [t.project for t in items])
    var_b, var_w = SIGMA_B**2, SIGMA_W**2
    # Standard errors of the ANOVA estimators in a balanced design (normal data):
    se_mu = math.sqrt((var_b + var_w / n) / k)
    se_var_w = math.sqrt(2 * var_w**2 / (k * (n - 1)))
    se_var_b = math.sqrt(2 / n**2 * ((var_w + n * var_b) ** 2 / (k - 1) + var_w**2 / (k * (n - 1))))
    assert abs(c.mu - MU) < 4 * se_mu
    assert abs(c.sigma_w**2 - var_w) < 4 * se_var_w
    assert abs(c.sigma_b**2 - var_b) < 4 * se_var_b
    assert c.mu_se == pytest.approx(se_mu, rel=0.25)  # its own reported error is sensible
    assert (c.items, c.projects) == (k * n, k)


def test_unbalanced_estimators_are_unbiased_over_replications():
    """Groups of 1 to 15 tasks: the mean of 300 fits is within 4 standard errors of the mean
    (from the replications' own spread) of the true variances and median."""
    sizes = [1, 2, 3, 5, 8, 13, 15, 2, 4, 6, 9, 11, 1, 3, 7, 10, 12, 14, 5, 6]
    fits = []
    for seed in range(300):
        items = synthetic(len(sizes), sizes, seed=1000 + seed)
        fits.append(random_effects(np.log([t.ratio for t in items]), [t.project for t in items]))
    for values, truth in (
        ([f.mu for f in fits], MU),
        ([f.sigma_w**2 for f in fits], SIGMA_W**2),
        # sigma_b^2 is truncated at 0, a small upward bias when the estimate dips below: with
        # these sizes it happens rarely enough to stay within the test's error
        ([f.sigma_b**2 for f in fits], SIGMA_B**2),
    ):
        values = np.asarray(values)
        se = values.std(ddof=1) / math.sqrt(len(values))
        assert abs(values.mean() - truth) < 4 * se


def test_the_pooled_class_reports_bias_and_spread_of_one_task():
    items = synthetic(40, 8, seed=5)
    cal = fit_calibration(items)
    fit = cal.pooled
    assert fit.family == "lognormal"  # normal log ratios: no other family is clearly better
    assert set(fit.aic) == {"lognormal", "gamma", "weibull"}
    total = math.hypot(fit.sigma_b, fit.sigma_w)
    assert fit.median_ratio == pytest.approx(math.exp(fit.mu))
    assert fit.p80_ratio == pytest.approx(math.exp(fit.mu + total * stats.norm.ppf(0.8)))
    assert (cal.items, cal.projects) == (320, 40)


@pytest.mark.parametrize("family", ["lognormal", "gamma", "weibull"])
def test_residual_distributions_have_median_one_and_the_log_spread(family):
    dist = residual_distribution(family, 0.3)
    draws = dist.scipy().ppf(np.linspace(0.0005, 0.9995, 20001))
    assert np.median(draws) == pytest.approx(1.0, abs=2e-3)
    # the quantile table cuts the far tails: the log sd is within 2% of the asked one
    assert np.log(draws).std() == pytest.approx(0.3, rel=0.02)


def test_a_gamma_residual_is_picked_when_the_data_are_gamma():
    rng = np.random.default_rng(3)
    items = []
    for j in range(50):
        b = rng.normal(0, 0.1)
        for i in range(12):
            # gamma of shape 2: log-skewed left, unlike a lognormal
            r = math.exp(0.2 + b) * rng.gamma(2.0) / 2.0
            items.append(PastTask(f"p{j}", f"t{i}", 5.0, 5.0 * r))
    fit = fit_calibration(items).pooled
    assert fit.family == "gamma"
    assert fit.aic["gamma"] < fit.aic["lognormal"] - 2
    assert isinstance(fit.task, rc.Empirical)
    # the product's quantiles come from quadrature: check them against simulation
    draws = fit.sample(np.random.default_rng(0), 200_000, 1)[:, 0]
    for q in (0.5, 0.8):
        se = (
            math.sqrt(q * (1 - q) / len(draws))
            / stats.gaussian_kde(draws)(fit.ratio_quantile(q))[0]
        )
        assert abs(np.quantile(draws, q) - fit.ratio_quantile(q)) < 4 * se


# -- reference classes and the pooled prior -------------------------------------------------------
def _classes() -> list[PastTask]:
    big = synthetic(30, 8, seed=21, mu=math.log(1.4), tag="backend")
    small = synthetic(3, 1, seed=22, mu=math.log(0.8), tag="qa")
    middle = synthetic(3, 3, seed=23, mu=math.log(1.0), tag="web")
    for group, prefix in ((small, "q"), (middle, "w")):  # the classes' projects are their own
        group[:] = [
            PastTask(prefix + t.project, t.task, t.estimate, t.actual, t.tags) for t in group
        ]
    return big + small + middle


def test_a_class_under_the_minimum_count_is_the_pooled_class():
    cal = fit_calibration(_classes(), "team", min_items=5)
    qa = next(c for c in cal.classes if c.value == "qa")
    assert qa.fallback and qa.weight == 0
    assert (qa.mu, qa.sigma_b, qa.sigma_w) == (
        cal.pooled.mu,
        cal.pooled.sigma_b,
        cal.pooled.sigma_w,
    )
    assert (qa.items, qa.projects, qa.name) == (3, 3, "team=qa")


def test_a_small_class_is_shrunk_towards_the_pool():
    items = _classes()
    cal = fit_calibration(items, "team", min_items=5)
    web = next(c for c in cal.classes if c.value == "web")
    own = random_effects(
        np.log([t.ratio for t in items if t.tags["team"] == "web"]),
        [t.project for t in items if t.tags["team"] == "web"],
    )
    assert not web.fallback and 0 < web.weight < 1
    assert web.mu == pytest.approx(web.weight * own.mu + (1 - web.weight) * cal.pooled.mu)
    assert min(own.mu, cal.pooled.mu) < web.mu < max(own.mu, cal.pooled.mu)
    backend = next(c for c in cal.classes if c.value == "backend")
    assert backend.weight > web.weight  # more data, more of its own


def test_classes_need_a_known_tag_and_the_pool_two_projects():
    with pytest.raises(CalibrationError, match='no past task has the tag "kind"'):
        fit_calibration(_classes(), "kind")
    with pytest.raises(CalibrationError, match="at least 2 projects"):
        fit_calibration(synthetic(1, 5, seed=1))


# -- reading past tasks ---------------------------------------------------------------------------
def test_the_csv_reads_points_three_points_dates_and_tags():
    items = read_history_csv(DATA / "calibration-small.csv")
    by = {(t.project, t.task): t for t in items}
    assert len(items) == 8
    assert by["alpha", "a1"].ratio == pytest.approx(6 / 5)
    three = by["alpha", "a2"]
    assert three.estimate == pytest.approx((2 + 4 * 3 + 6) / 6)  # the PERT mean
    assert (three.low, three.likely, three.high) == (2, 3, 6)
    assert by["alpha", "a3"].actual == 5  # Mon 4 to Fri 8 January 2027: five working days
    assert by["alpha", "a1"].tags == {"team": "backend"}
    assert by["beta", "b3"].tags == {}  # an empty tag is no tag
    assert by["alpha", "a1"].line == 2


def test_bad_rows_are_listed_with_the_file_and_their_lines():
    with pytest.raises(CalibrationError) as info:
        read_history_csv(DATA / "calibration-bad.csv")
    text = str(info.value)
    assert "calibration-bad.csv: 5 bad rows" in text
    assert "line 3: estimate must be > 0 working days" in text
    assert "line 4: actual must be > 0 working days, got -2" in text
    assert "line 5: actual finish 2027-01-04 is before its start 2027-01-08" in text
    assert "line 6: estimate must be a finite number" in text
    assert 'line 7: task "b1" of project "beta" is repeated (first on line 5)' in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project,estimate,actual\na,1,2\n", "missing column: task"),
        ("project,task,actual\na,b,2\n", "missing column: estimate (or low, likely, high)"),
        ("project,task,estimate\na,b,2\n", "missing column: actual (or start, finish)"),
        ("project,task,estimate,actual\n", "no past tasks"),
        ("project,task,estimate,actual\na,b,2,x\n", "line 2: actual is not a number: 'x'"),
        (
            "project,task,low,likely,high,actual\na,b,3,2,5,4\n",
            "line 2: need low <= likely <= high",
        ),
        ("project,task,estimate,low,likely,high,actual\na,b,2,1,2,3,4\n", "not both"),
        ("project,task,estimate,actual\na,b,2,inf\n", "finite"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "h.csv"
    path.write_text(text)
    with pytest.raises(CalibrationError, match=r"h\.csv") as info:
        read_history_csv(path)
    assert message in str(info.value)


def test_the_forecast_history_feeds_calibration(tmp_path):
    from riskcast.history import History

    model = ROOT / "models" / "update-example.toml"
    project = rc.load(model)
    forecast = rc.simulate(project, iterations=500, seed=1)
    with History(tmp_path / "h.sqlite") as history:
        history.record(forecast, model_path=model)
        records = history.actuals()
        items = from_history(history)
    assert records and len(items) == len([a for a in records if a.estimate_mean > 0])
    for item, record in zip(items, records, strict=False):
        assert item.project == record.model == project.name
        assert (item.estimate, item.actual) == (record.estimate_mean, record.actual_days)
    assert read_past_tasks(tmp_path / "h.sqlite") == items  # recognised by its header


# -- the calibration file -------------------------------------------------------------------------
def test_the_calibration_file_round_trips(tmp_path):
    items = _classes()
    cal = fit_calibration(items, "team", source="history.csv")
    # a gamma residual too: its quantile table must come back exactly
    gamma = ClassFit(
        "team=data", "data", 40, 6, 0.2, 0.1, 0.3, "gamma",
        shared_distribution(0.2, 0.1), residual_distribution("gamma", 0.3), 0.7,
    )  # fmt: skip
    cal = Calibration(cal.pooled, (*cal.classes, gamma), "team", cal.items, cal.projects, "h.csv")
    path = write_calibration(cal, tmp_path / "out" / "cal.toml")
    assert read_calibration(path) == cal
    text = path.read_text()
    assert 'format = "riskcast-calibration/1"' in text and "shared = { lognormal = {" in text
    assert not list(path.parent.glob(".*tmp"))  # no temp file left behind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = 1\n", "not a riskcast calibration"),
        ('format = "riskcast-calibration/1"\n', "pooled: expected a table"),
        ("format = [\n", "not a TOML file"),
    ],
)
def test_a_bad_calibration_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(CalibrationError, match=message):
        read_calibration(path)


def test_a_damaged_spec_names_its_place(tmp_path):
    cal = fit_calibration(synthetic(5, 4, seed=2))
    text = calibration_toml(cal).replace(
        "task = { lognormal = { mu = 0.0, sigma", "task = { lognormal = { mu = 0.0, sd"
    )
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(CalibrationError, match="pooled: lognormal takes exactly one pair"):
        read_calibration(path)


# -- applying a calibration -----------------------------------------------------------------------
def _fit(mu: float, sigma_b: float, sigma_w: float, name: str = "pooled", value=None) -> ClassFit:
    return ClassFit(
        name, value, 100, 10, mu, sigma_b, sigma_w, "lognormal",
        shared_distribution(mu, sigma_b), residual_distribution("lognormal", sigma_w),
    )  # fmt: skip


def _quantile_se(samples: np.ndarray, q: float, density: float) -> float:
    return math.sqrt(q * (1 - q) / len(samples)) / density


def test_a_fixed_task_times_a_lognormal_shared_ratio_has_its_exact_quantiles():
    mu, sigma = 0.3, 0.25
    cal = Calibration(_fit(mu, sigma, 0.0))
    plan = rc.Project(
        "one", "2027-01-04", tasks=[rc.Task("a", 10.0)], milestones=[rc.Milestone("m", after=["a"])]
    )
    runs = 20_000
    forecast = rc.simulate(apply_calibration(plan, cal), iterations=runs, seed=3)
    exact = stats.lognorm(sigma, scale=10 * math.exp(mu))
    m = forecast.milestone("m")
    for q in (0.1, 0.5, 0.8, 0.95):
        x = exact.ppf(q)
        assert abs(m.percentile_days(100 * q) - x) < 4 * math.sqrt(q * (1 - q) / runs) / exact.pdf(
            x
        )


def test_the_shared_part_moves_a_chain_together_and_the_residual_does_not():
    plan = rc.Project(
        "chain",
        "2027-01-04",
        tasks=[rc.Task("a", 10.0), rc.Task("b", 10.0, after=["a"])],
        milestones=[rc.Milestone("m", after=["b"])],
    )
    runs = 20_000
    shared = rc.simulate(
        apply_calibration(plan, Calibration(_fit(0.0, 0.3, 0.0))), iterations=runs, seed=4
    )
    exact = stats.lognorm(0.3, scale=20.0)  # one draw for both tasks: 20 x the ratio
    for q in (0.2, 0.8):
        x = exact.ppf(q)
        got = shared.milestone("m").percentile_days(100 * q)
        assert abs(got - x) < 4 * math.sqrt(q * (1 - q) / runs) / exact.pdf(x)
    own = rc.simulate(
        apply_calibration(plan, Calibration(_fit(0.0, 0.0, 0.3))), iterations=runs, seed=4
    )
    # independent residuals: the sum's variance is twice one task's, not four times; the
    # sample variance's standard error sqrt((mu4 - var^2) / n) uses the sum's exact fourth
    # central moment, 2 mu4(X) + 6 var(X)^2 for two independent copies of X
    one = stats.lognorm(0.3, scale=10.0)
    var, kurt = one.var(), float(one.stats(moments="k"))
    mu4 = 2 * (kurt + 3) * var**2 + 6 * var**2
    se = math.sqrt((mu4 - (2 * var) ** 2) / runs)
    assert abs(own.milestone("m").sd_days ** 2 - 2 * var) < 4 * se


def test_tasks_match_by_tag_and_unmatched_ones_take_the_pool_or_nothing():
    backend = _fit(0.5, 0.2, 0.1, "team=backend", "backend")
    cal = Calibration(_fit(0.1, 0.2, 0.1), (backend,), "team", 100, 10)
    plan = rc.Project(
        "tags",
        "2027-01-04",
        tasks=[
            rc.Task("api", {"pert": [2, 3, 10]}, tags={"team": "backend"}),
            rc.Task("ui", 4.0, tags={"team": "web"}),
            rc.Task("doc", 2.0),
            rc.Task("gate", 0.0),
        ],
    )
    out = apply_calibration(plan, cal)
    risks = {r.id: r for r in out.risks}
    assert set(risks) == {
        "calibration:team=backend:shared",
        "calibration:team=backend:task",
        "calibration:pooled:shared",
        "calibration:pooled:task",
    }
    assert [i.task for i in risks["calibration:team=backend:shared"].impacts] == ["api"]
    assert [i.task for i in risks["calibration:pooled:task"].impacts] == ["ui", "doc"]
    assert risks["calibration:pooled:shared"].shared_impact
    assert not risks["calibration:pooled:task"].shared_impact
    assert out.task("api").estimate == rc.Fixed(4.0)  # the PERT mean (2 + 4 x 3 + 10) / 6
    assert out.task("gate").estimate == rc.Fixed(0.0)  # nothing to scale
    assert plan.risks == ()  # the input is unchanged
    rc.validate(out)
    none = apply_calibration(plan, cal, unmatched="none")
    assert {r.id for r in none.risks} == {
        "calibration:team=backend:shared",
        "calibration:team=backend:task",
    }
    assert calibrated_tasks(plan, cal) == 3


def test_started_tasks_are_left_alone_and_calibrating_twice_is_refused():
    plan = rc.load(ROOT / "models" / "update-example.toml")
    cal = Calibration(_fit(0.2, 0.2, 0.2))
    out = apply_calibration(plan, cal)
    started = {t.id for t in plan.tasks if t.actual_start is not None}
    hit = {i.task for r in out.risks if r.id.startswith("calibration:") for i in r.impacts}
    assert started and not (hit & started)
    assert hit == {t.id for t in plan.tasks if t.id not in started and t.estimate.mean > 0}
    with pytest.raises(rc.ArgumentError, match="calibrated once"):
        apply_calibration(out, cal)
    with pytest.raises(rc.ArgumentError, match="unmatched"):
        apply_calibration(plan, cal, unmatched="all")


def test_the_example_history_calibrates():
    cal = fit_calibration(read_past_tasks(ROOT / "examples" / "calibration-history.csv"), "team")
    assert cal.pooled.median_ratio > 1.1  # the example's plans are optimistic
    assert any(c.fallback for c in cal.classes)  # and it shows a small class falling back
