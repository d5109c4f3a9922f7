"""Bounded memory: past a number of runs the finishes are binned, and nothing a user reads moves
by more than one bin width; dates and probabilities do not move at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc
from riskcast.engine import binning
from riskcast.engine.run import memory_bytes

ROOT = Path(__file__).parent.parent
RUNS = 6 * 1024


def project() -> rc.Project:
    tasks = (
        rc.Task("a", rc.Pert(2, 4, 9)),
        rc.Task("b", rc.Triangular(1, 3, 8), after=("a",)),
        rc.Task("c", rc.LogNormal.from_mean_sd(7, 2)),
        rc.Task("d", rc.Discrete((1, 2, 5), (0.5, 0.3, 0.2)), after=("c",)),
    )
    milestones = (
        rc.Milestone("m1", ("b",), target="2027-01-14"),
        rc.Milestone("m2", ("b", "d"), target="2027-01-18"),
    )
    return rc.Project("bounded", "2027-01-04", tasks, milestones)


@pytest.fixture(scope="module")
def pair():
    """The same runs kept exactly and (with a small limit) binned."""
    exact = rc.simulate(project(), iterations=RUNS, seed=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(binning, "EXACT_RUNS", 2048)
        binned = rc.simulate(project(), iterations=RUNS, seed=5, batch=1024)
        other_batch = rc.simulate(project(), iterations=RUNS, seed=5, batch=4096)
    return exact, binned, other_batch


def test_binned_runs_keep_every_date_and_probability(pair):
    exact, binned, _ = pair
    for e, b in zip(exact.targets, binned.targets, strict=True):
        assert e.samples is not None and b.samples is None and b.binned.n == RUNS
        assert b.resolution == binning.WIDTH
        for q in (1, 5, 10, 25, 50, 62.5, 80, 90, 95, 99, 100):
            assert b.percentile(q) == e.percentile(q)
            assert 0 <= b.percentile_days(q) - e.percentile_days(q) <= binning.WIDTH
            for bound_b, bound_e in zip(
                b.percentile_interval_days(q), e.percentile_interval_days(q), strict=True
            ):
                assert 0 <= bound_b - bound_e <= binning.WIDTH
        dates, _ = e.cdf_dates()
        for day in np.arange(dates[0] - 2, dates[-1] + 3):
            date = day.astype(object)
            assert b.probability_by(date) == e.probability_by(date)
        assert b.target_probability == e.target_probability
        assert b.mean_days == pytest.approx(e.mean_days, rel=1e-12)
        assert b.sd_days == pytest.approx(e.sd_days, rel=1e-9)
        d_e, s_e = e.date_shares()
        d_b, s_b = b.date_shares()
        np.testing.assert_array_equal(d_b, d_e)
        np.testing.assert_allclose(s_b, s_e, rtol=0, atol=1e-15)


def test_binned_runs_do_not_depend_on_the_batch(pair):
    _, binned, other_batch = pair
    for a, b in zip(binned.targets, other_batch.targets, strict=True):
        assert a.same_finishes(b)
        assert (a.binned.shifted_sum, a.binned.shifted_squares) == (
            b.binned.shifted_sum,
            b.binned.shifted_squares,
        )


def test_what_the_kept_runs_give_is_unchanged_by_binning(pair):
    exact, binned, _ = pair
    for key in ("criticality", "sensitivity", "finish_p50", "duration_sd", "mean_start"):
        np.testing.assert_array_equal(binned.stats[key], exact.stats[key])


def test_a_binned_forecast_round_trips_through_json(pair):
    _, binned, _ = pair
    again = rc.Forecast.from_json(binned.to_json())
    for a, b in zip(binned.targets, again.targets, strict=True):
        assert a.same_finishes(b)
        assert b.percentile(80) == a.percentile(80)
        assert b.sd_days == a.sd_days


def test_binned_forecasts_draw(pair, tmp_path):
    from riskcast import plotting

    _, binned, _ = pair
    for chart in (plotting.scurve, plotting.histogram):
        ax = chart(binned, "m2")
        plotting.save(ax, tmp_path / f"{chart.__name__}.png")
        assert (tmp_path / f"{chart.__name__}.png").stat().st_size > 0


def test_bins_coarsen_to_their_limit_and_stay_on_day_boundaries():
    rng = np.random.default_rng(1)
    values = rng.uniform(10, 60, 5000)
    b = binning.Binned.empty(limit=4096)
    for lo in range(0, len(values), 1024):
        b.add(values[lo : lo + 1024])
    assert len(b.counts) <= 4096 and b.n == len(values) and b.counts.sum() == len(values)
    assert (1 / b.width) == int(1 / b.width)  # a power of two that divides a day
    from riskcast.statistics import Finishes

    exact, binned = Finishes(samples=values), Finishes(binned=b)
    for t in range(9, 62):
        assert binned.count_at_most(t + 1e-9) == exact.count_at_most(t + 1e-9)
    for rank in (0, 1, 2500, 4998, 4999):
        assert 0 <= binned.value_at_rank(rank) - exact.value_at_rank(rank) <= b.width


def test_the_memory_bound_does_not_grow_with_the_runs():
    sizes = [10**5, binning.exact_runs(4), 10 * binning.exact_runs(4), 10**9]
    bounds = [memory_bytes(1000, 4, n) for n in sizes]
    assert bounds[0] < bounds[1]
    assert bounds[1] <= bounds[2] == bounds[3]


def peak_resident(runs: int) -> int:
    code = (
        "import resource, riskcast as rc\n"
        "t = (rc.Task('a', rc.Pert(2, 4, 9)), rc.Task('b', rc.Uniform(1, 3), after=('a',)))\n"
        "p = rc.Project('m', '2027-01-04', t, (rc.Milestone('m', ('b',)),))\n"
        f"f = rc.simulate(p, iterations={runs}, seed=1)\n"
        "f.milestone('m').percentile(80), f.sensitivity('m'), f.task_table()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    )
    return int(subprocess.check_output([sys.executable, "-c", code], cwd=ROOT, text=True))


def test_measured_memory_stays_under_the_bound_and_flat():
    base = peak_resident(1024)
    limit = binning.exact_runs(2)
    sizes = (limit // 2, 2 * limit, 8 * limit)
    grown = {n: peak_resident(n) - base for n in sizes}
    for n, growth in grown.items():
        assert growth <= memory_bytes(3, 2, n), (n, growth)
    # four times the runs past the limit: at most a few MB more (allocator noise)
    assert grown[8 * limit] - grown[2 * limit] < 16 * 2**20, grown
