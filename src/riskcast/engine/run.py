"""Running the kernel: seeds, batches of iterations, threads, and the exact merge of partial results."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from ..compile import Network
from ..errors import RiskcastError
from .kernels import BLOCK, CHUNK, N_SUMS, simulate_chunks
from .rng import stream_keys

KEPT_VALUES = 4_000_000  # budget of kept per-iteration values per array (float32: 16 MB)
KEPT_MIN, KEPT_MAX = 1_000, 20_000


@dataclass
class Runs:
    """Raw results of a simulation, before names and dates are attached.

    finishes:  float64 (M + 1, iterations), milestone finishes then the project finish (working days)
    critical:  int64 (M + 1, n), iterations with zero total float towards each target
    sums:      float64 (N_SUMS, n), sums over iterations of start, finish, duration, duration^2
    kept_duration, kept_finish: float32 (KB, n, BLOCK) slabs holding every activity in the first
               ``kept`` iterations; :meth:`kept_rows` gives them as (n, kept)
    """

    seed: int
    iterations: int
    finishes: np.ndarray
    critical: np.ndarray
    sums: np.ndarray
    kept_duration: np.ndarray
    kept_finish: np.ndarray
    kept: int

    def kept_rows(self, slabs: np.ndarray) -> np.ndarray:
        """(KB, n, BLOCK) slabs -> (n, kept): activity rows of the first ``kept`` iterations."""
        return slabs.transpose(1, 0, 2).reshape(slabs.shape[1], -1)[:, : self.kept]


def normalise_seed(seed: int | np.random.SeedSequence | np.random.Generator | None) -> int:
    """An int in [0, 2**63) for any accepted seed; ``None`` draws a fresh one (recorded by callers)."""
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(2, np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise RiskcastError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed) % 2**63


def kept_rows(n: int, iterations: int) -> int:
    """How many iterations keep every activity's values (bounded memory, see Runs)."""
    return min(iterations, max(KEPT_MIN, min(KEPT_MAX, KEPT_VALUES // max(n, 1))))


class Simulation:
    """Incremental simulation of one network and seed: call :meth:`advance` to add iterations.

    Results depend only on (network, seed, total iterations): batch sizes and threads change nothing.
    """

    def __init__(self, network: Network, seed: int, max_iterations: int):
        self.network = network
        self.seed = seed
        self.streams = stream_keys(network.keys, seed)
        n, m = network.n, len(network.milestone_idx)
        self.iterations = 0
        self._finishes: list[np.ndarray] = []
        self.critical = np.zeros((m + 1, n), np.int64)
        self.sums = np.zeros((N_SUMS, n))
        k = kept_rows(n, max_iterations)
        self.kept = k
        blocks = (k + BLOCK - 1) // BLOCK
        self.kept_duration = np.empty((blocks, n, BLOCK), np.float32)
        self.kept_finish = np.empty((blocks, n, BLOCK), np.float32)

    def advance(self, count: int) -> None:
        """Simulate ``count`` more iterations (the running total stays a multiple of CHUNK until
        the last call)."""
        if self.iterations % CHUNK:
            raise RiskcastError("iterations can only be added after a whole number of chunks")
        net = self.network
        n_chunks = math.ceil(count / CHUNK)
        m = len(net.milestone_idx)
        finishes = np.empty((m + 1, count))
        sums = np.zeros((n_chunks, N_SUMS, net.n))
        critical = np.zeros((n_chunks, m + 1, net.n), np.int64)
        simulate_chunks(
            self.streams,
            net.dist_code,
            net.dist_params,
            net.aux,
            net.table,
            net.not_before,
            net.pred_ptr,
            net.pred_idx,
            net.pred_type,
            net.pred_lag,
            net.milestone_idx,
            net.last_candidates,
            self.iterations,
            count,
            finishes,
            sums,
            critical,
            self.kept_duration,
            self.kept_finish,
        )
        for c in range(n_chunks):  # fixed order: the float sums are reproducible bit for bit
            self.sums += sums[c]
        self.critical += critical.sum(axis=0)
        self._finishes.append(finishes)
        self.iterations += count

    def finishes(self) -> np.ndarray:
        """(M + 1, iterations so far) target finishes."""
        if len(self._finishes) > 1:
            self._finishes = [np.concatenate(self._finishes, axis=1)]
        return self._finishes[0]

    def runs(self) -> Runs:
        finishes = self.finishes()

        return Runs(
            seed=self.seed,
            iterations=self.iterations,
            finishes=finishes,
            critical=self.critical.copy(),
            sums=self.sums.copy(),
            kept_duration=self.kept_duration,
            kept_finish=self.kept_finish,
            kept=min(self.kept, self.iterations),
        )


def run(
    network: Network,
    seed: int,
    iterations: int,
    *,
    batch: int = 16 * CHUNK,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[np.ndarray], bool] | None = None,
) -> Runs:
    """Simulate up to ``iterations`` in batches of ``batch`` (rounded up to whole chunks).

    ``stop(finishes)`` is asked after each batch with the (M + 1, runs so far) finishes (the
    precision rule); ``progress(done, total)`` is told.
    ``threads`` caps numba's worker threads for this call.
    """
    batch = max(CHUNK, math.ceil(batch / CHUNK) * CHUNK)
    sim = Simulation(network, seed, iterations)
    previous = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        while sim.iterations < iterations:
            sim.advance(min(batch, iterations - sim.iterations))
            if progress is not None:
                progress(sim.iterations, iterations)
            if stop is not None and stop(sim.finishes()):
                break
    finally:
        numba.set_num_threads(previous)
    return sim.runs()
