"""Counter-based random numbers: u(seed, variable, iteration) is a pure function.

Each random variable has a stable 64-bit key derived from model ids (``compile.stream_key``). A run
combines it with the seed into a *stream* (:func:`stream_keys`); the uniform of iteration ``i`` is
``mix64(stream + (i + 1) * GOLDEN)``, whose top 52 bits map to the midpoints of 2**52 equal cells
of (0, 1): SplitMix64 evaluated at counter ``i``. No
state is shared between threads, so results do not depend on threads, chunking or order.
"""

from __future__ import annotations

import numpy as np

from ._jit import leaf

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
S30, S27, S31, S12 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(12)
SEED_SALT = np.uint64(0x6A09E667F3BCC909)
TO_UNIT = 2.0**-52  # 52 bits + 1/2: the largest value, 1 - 2**-53, is below 1 exactly


@leaf
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64's output function: a bijective 64-bit avalanche mix."""
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


@leaf
def uniform(stream: np.uint64, iteration: np.int64) -> float:
    """The uniform in (0, 1) of ``iteration`` in ``stream``; never exactly 0 or 1."""
    z = mix64(stream + (np.uint64(iteration) + np.uint64(1)) * GOLDEN)
    return (np.float64(z >> S12) + 0.5) * TO_UNIT


def stream_keys(keys: np.ndarray, seed: int) -> np.ndarray:
    """Per-variable streams for ``seed`` (uint64 array like ``keys``)."""
    seed_mix = _mix64_array(np.array([seed], np.uint64) ^ SEED_SALT)[0]
    return _mix64_array(np.asarray(keys, np.uint64) ^ seed_mix)


def _mix64_array(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


def uniforms(stream: np.uint64, iterations: np.ndarray) -> np.ndarray:
    """Numpy twin of :func:`uniform` for many iterations (reference and tests)."""
    z = np.uint64(stream) + (np.asarray(iterations, np.uint64) + np.uint64(1)) * GOLDEN
    z = _mix64_array(z)
    return ((z >> S12).astype(np.float64) + 0.5) * TO_UNIT
