"""The compiled rank statistics against scipy on rows made to break a radix sort: ties, signed
zeros, constant rows, spreads over many powers of two (the short sort's fallback), odd and
tiny run counts, one target and more than a sort digit of them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from riskcast.engine.kernels import BLOCK
from riskcast.engine.ranks import rank_statistics


def rows_to_break_a_sort(rng: np.random.Generator, k: int) -> list[np.ndarray]:
    bulk = 1.0 + rng.uniform(0, 1e-5, k)  # a handful of float32 values: many ties
    bulk[0] = 1e30  # ... and a spread no 16 leading bits separate
    spread = rng.uniform(1, 2, k) * 10.0 ** rng.integers(-30, 30, k)
    return [
        rng.uniform(3, 9, k),
        rng.lognormal(1, 0.5, k),
        np.round(rng.uniform(0, 10, k)),  # ties
        rng.choice([-0.0, 0.0, 1.0, -2.5], k),  # signed zeros tie
        np.full(k, 3.0),  # no spread
        rng.lognormal(0, 6, k),
        bulk,
        spread * rng.choice([-1.0, 1.0], k),
        1.0 + rng.uniform(0, 1e-6, k) + (rng.random(k) < 0.5) * 1e20,  # two far clusters
    ]


def slabs(rows: np.ndarray, width: int = BLOCK) -> np.ndarray:
    """(n, K) rows as the kept runs' slabs (S, n, width), S * width >= K, garbage past K."""
    n, k = rows.shape
    s = -(-k // width)
    out = np.full((s * width, n), np.nan, np.float32)
    out[:k] = rows.T
    return out.reshape(s, width, n).transpose(0, 2, 1).copy()


def assert_like_scipy(k: int, n_targets: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = rows_to_break_a_sort(rng, k)
    durations = np.zeros((len(rows) + 2, k), np.float32)
    durations[1:-1] = np.array(rows, np.float32)
    wanted = np.arange(1, len(rows) + 1)[::-1].copy()  # some rows, in another order
    finishes = rng.normal(size=(n_targets, k)).round(1)  # ties among the targets too
    target = rankdata(finishes, axis=1) - (k + 1) / 2
    order_ranks = np.unique(np.array([0, k // 3, k // 2, k - 1]))
    rho = np.full((n_targets, len(wanted)), np.nan)
    quantiles = np.zeros((len(wanted), len(order_ranks)), np.float32)
    kept = slabs(durations, width=7 if k % 7 else 5)  # any slab width, a last one part-filled
    rank_statistics(kept, kept, k, wanted, target, order_ranks, rho, quantiles, True, True)
    x = durations[wanted].astype(np.float64)
    xr = rankdata(x, axis=1) - (k + 1) / 2
    dots = target @ xr.T
    norms = np.sqrt((target**2).sum(axis=1))[:, None] * np.sqrt((xr**2).sum(axis=1))[None, :]
    expected = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    np.testing.assert_allclose(rho, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(quantiles, np.sort(durations[wanted], axis=1)[:, order_ranks])


@pytest.mark.parametrize("k", [1, 2, 3, 5, 64, 999, 2000])
def test_spearman_and_order_statistics_equal_scipy(k):
    assert_like_scipy(k, n_targets=4, seed=k)


def test_more_runs_than_the_packed_positions_hold():
    # past 2**16 runs a position no longer fits beside the code: the full sort takes them
    assert_like_scipy(70_000, n_targets=2, seed=70)


@pytest.mark.parametrize("n_targets", [1, 70])
def test_any_number_of_targets(n_targets):
    assert_like_scipy(1500, n_targets, seed=n_targets)


def test_sums_do_not_depend_on_thread_count():
    import numba

    k, n_targets = 2000, 3
    rng = np.random.default_rng(5)
    durations = slabs(rng.lognormal(0, 1, (300, k)).astype(np.float32))
    target = rankdata(rng.normal(size=(n_targets, k)), axis=1) - (k + 1) / 2
    out = []
    before = numba.get_num_threads()
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            rho = np.zeros((n_targets, 300))
            q = np.zeros((300, 1), np.float32)
            rows, order_ranks = np.arange(300), np.zeros(1, np.int64)
            rank_statistics(durations, durations, k, rows, target, order_ranks, rho, q, True, False)
            out.append(rho)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(out[0], out[1])
