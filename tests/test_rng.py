"""The counter-based generator: u(seed, variable, iteration) is a pure function.

The uniform of iteration i in a stream is SplitMix64's i-th output (Vigna's splitmix64.c: the state
advances by the golden gamma 0x9E3779B97F4A7C15, then is mixed) mapped to (0, 1) as
((z >> 12) + 0.5) * 2^-52 (the top 52 bits, so that the largest value stays below 1). We check it against a plain-Python SplitMix64 written here from the
published algorithm, which is itself checked against the published reference outputs for seed
1234567 (Rosetta Code, "Pseudo-random numbers/Splitmix64"). Statistical checks use fixed seeds; a
correct generator fails the KS / chi-square tests with probability 1e-3 and a 4/sqrt(n) correlation
bound with probability 6e-5.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import numpy as np
import pytest
from scipy import stats

import riskcast as rc
from riskcast.compile import stream_key
from riskcast.engine.rng import mix64, stream_keys, uniform, uniforms

MASK = 2**64 - 1
GAMMA = 0x9E3779B97F4A7C15
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
ALPHA = 1e-3
N = 100_000


def splitmix64_outputs(seed: int, count: int) -> list[int]:
    """Reference SplitMix64 (Steele, Lea & Flood 2014; Vigna's splitmix64.c), plain Python ints."""
    state, out = seed & MASK, []
    for _ in range(count):
        state = (state + GAMMA) & MASK
        z = state
        z = ((z ^ (z >> 30)) * MIX1) & MASK
        z = ((z ^ (z >> 27)) * MIX2) & MASK
        out.append(z ^ (z >> 31))
    return out


def to_unit(z: int) -> float:
    return ((z >> 12) + 0.5) * 2.0**-52


def _unxorshift(z: int, shift: int) -> int:
    x = z
    for _ in range(64 // shift + 1):
        x = z ^ (x >> shift)
    return x


def unmix(z: int) -> int:
    """Inverse of SplitMix64's output function (it is a bijection of 64-bit words)."""
    z = (_unxorshift(z, 31) * pow(MIX2, -1, 2**64)) & MASK
    z = (_unxorshift(z, 27) * pow(MIX1, -1, 2**64)) & MASK
    return _unxorshift(z, 30)


def numba_uniforms(stream: np.uint64, iterations) -> np.ndarray:
    return np.array([uniform(np.uint64(stream), int(i)) for i in iterations])


# -- the exact function ----------------------------------------------------------------------------


def test_reference_splitmix64_matches_the_published_outputs():
    assert splitmix64_outputs(1234567, 5) == [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]
    assert unmix(splitmix64_outputs(0, 1)[0]) == GAMMA  # the inverse really inverts


def test_mix64_is_splitmix64_output_function():
    expected = splitmix64_outputs(1234567, 5)
    for k, z in enumerate(expected, start=1):
        assert int(mix64(np.uint64((1234567 + k * GAMMA) & MASK))) == z


@pytest.mark.parametrize("seed", [0, 1234567, 2**63 + 12345, MASK])
def test_uniform_is_splitmix64_mapped_to_the_unit_interval(seed):
    expected = [to_unit(z) for z in splitmix64_outputs(seed, 64)]
    assert numba_uniforms(np.uint64(seed), range(64)).tolist() == expected
    assert uniforms(np.uint64(seed), np.arange(64)).tolist() == expected


def test_numba_uniform_equals_numpy_twin_bit_for_bit():
    streams = stream_keys(np.array([stream_key("duration", k) for k in "abcde"], np.uint64), 42)
    rng = np.random.default_rng(7)
    iterations = np.concatenate(
        [
            np.arange(300),
            rng.integers(0, 2**62, 200),
            [2**31 - 1, 2**31, 2**32, 2**40 + 3, 2**62, 2**63 - 2, 2**63 - 1],
        ]
    ).astype(np.int64)
    for s in streams:
        a = numba_uniforms(s, iterations)
        b = uniforms(s, iterations)
        assert np.array_equal(a.view(np.uint64), b.view(np.uint64))


def test_values_are_strictly_inside_the_unit_interval():
    u = uniforms(
        stream_keys(np.array([stream_key("duration", "x")], np.uint64), 3)[0], np.arange(N)
    )
    assert u.min() > 0.0 and u.max() < 1.0
    # The extreme words: streams built (by inverting the mix) so that iteration 0 hashes to
    # 0 and to 2^64 - 1, the smallest and the largest possible uniforms.
    smallest, largest = (np.uint64((unmix(word) - GAMMA) & MASK) for word in (0, MASK))
    assert splitmix64_outputs(int(smallest), 1) == [0]
    assert splitmix64_outputs(int(largest), 1) == [MASK]
    for value in (uniform(smallest, 0), uniforms(smallest, np.array([0]))[0]):
        assert value == 2.0**-53  # (0 + 0.5) * 2^-52
    for value in (uniform(largest, 0), uniforms(largest, np.array([0]))[0]):
        assert value < 1.0, "u must never be exactly 1 (log1p(-u), ndtri(u) become infinite)"
        assert value == np.nextafter(1.0, 0.0)  # 1 - 2^-53, the largest double below 1


# -- statistical quality ---------------------------------------------------------------------------


def one_stream(key: str = "a", seed: int = 2027) -> np.uint64:
    return stream_keys(np.array([stream_key("duration", key)], np.uint64), seed)[0]


def test_one_stream_is_uniform():
    u = uniforms(one_stream(), np.arange(N))
    assert stats.kstest(u, "uniform").pvalue > ALPHA
    counts = np.bincount((u * 100).astype(int), minlength=100)
    assert stats.chisquare(counts).pvalue > ALPHA


def test_consecutive_pairs_are_uniform_on_the_square():
    u = uniforms(one_stream(), np.arange(N + 1))
    cells = (u[:-1] * 10).astype(int) * 10 + (u[1:] * 10).astype(int)
    assert stats.chisquare(np.bincount(cells, minlength=100)).pvalue > ALPHA


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("a", 2027), ("b", 2027)),  # two variables, one seed
        (("task-1", 2027), ("task-2", 2027)),  # ids that differ in one character
        (("a", 0), ("a", 1)),  # one variable, adjacent seeds
    ],
)
def test_streams_are_uncorrelated(first, second):
    i = np.arange(N)
    r = np.corrcoef(uniforms(one_stream(*first), i), uniforms(one_stream(*second), i))[0, 1]
    assert abs(r) <= 4 / math.sqrt(N), r


def test_consecutive_iterations_are_uncorrelated():
    u = uniforms(one_stream(), np.arange(N + 1))
    r = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(r) <= 4 / math.sqrt(N), r


# -- stream keys -----------------------------------------------------------------------------------


def test_stream_keys_depend_on_seed_and_key():
    keys = np.array([stream_key("duration", f"t{k}") for k in range(10_000)], np.uint64)
    s7 = stream_keys(keys, 7)
    assert s7.dtype == np.uint64 and s7.shape == keys.shape
    assert np.array_equal(s7, stream_keys(keys, 7))  # a pure function
    assert len(np.unique(s7)) == len(keys)  # different keys, different streams
    s8 = stream_keys(keys, 8)
    assert np.all(s7 != s8)  # a different seed changes every stream
    assert len(np.intersect1d(s7, s8)) == 0
    assert not np.array_equal(s7, keys)


def test_stream_key_is_blake2b_of_kind_and_id():
    for kind, id in (("duration", "design"), ("duration", "a"), ("risk", "vendör late")):
        digest = hashlib.blake2b(f"{kind}:{id}".encode(), digest_size=8).digest()
        expected = int.from_bytes(digest, "little")
        assert stream_key(kind, id) == np.uint64(expected)
        assert isinstance(stream_key(kind, id), np.uint64)
    # pinned: a change here changes every draw of every saved model (hashlib, blake2b-64 LE)
    assert int(stream_key("duration", "design")) == 2893450646947727343


# -- through the engine ----------------------------------------------------------------------------


def _project(*task_ids: str) -> rc.Project:
    return rc.Project(
        "rng",
        dt.date(2027, 1, 4),
        tasks=[rc.Task(t, rc.Uniform(0.0, 1.0)) for t in task_ids],
        milestones=[rc.Milestone(f"m-{t}", after=[t]) for t in task_ids],
    )


def test_engine_draws_are_the_streams_uniforms_and_stable_across_model_versions():
    n, seed = 3000, 99
    network = rc.compile_project(_project("a"))
    assert network.keys[network.index("a")] == stream_key("duration", "a")
    expected = uniforms(
        stream_keys(np.array([stream_key("duration", "a")], np.uint64), seed)[0], np.arange(n)
    )
    # Uniform(0, 1) starting at t = 0: the milestone finish is the uniform itself, bit for bit
    alone = rc.simulate(_project("a"), iterations=n, seed=seed).milestone("m-a").samples
    assert np.array_equal(alone, expected)
    # adding tasks before and after "a" leaves its draws unchanged (common random numbers)
    more = rc.simulate(_project("z", "a", "b"), iterations=n, seed=seed).milestone("m-a").samples
    assert np.array_equal(more, expected)
