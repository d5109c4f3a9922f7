"""Running the kernel: seeds, batches of iterations, threads, and the exact merge of partial results.

Memory (n activities, T = M + 1 targets, N iterations) is bounded whatever N: no iterations x
activities matrix. The target finishes take 8 T N bytes up to a number of runs, then a histogram
per target (:mod:`riskcast.engine.binning`). Every activity is kept in full for the first
K = clip(2,000,000 / n, 1,000, 20,000) iterations (two float32 arrays, 8 n K bytes: at most
16 MB up to 2,000 activities, 8 KB per activity beyond), for sensitivity and per-task finish
percentiles. The rest is streamed: per-chunk sums and counts, a few (n, BLOCK) work arrays per
thread.
:func:`memory_bytes` is the bound; ``benchmarks/memory.py`` measures it against the process.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numba
import numpy as np

from ..errors import ArgumentError
from .binning import Binned, exact_runs, max_bins
from .blocks import (
    Block,
    KernelNetwork,
    Shape,
    by_activity,
    compute_block,
    cost_kernel_arrays,
    kept_arrays,
    kept_columns,
    kept_rows,
    kernel_arrays,
)
from .costs import CostArrays
from .kernels import BLOCK, CHUNK, N_SUMS, Arrays, schedule

if TYPE_CHECKING:  # the engine reads a compiled network's arrays; it imports nothing above it
    from ..compile import Network


@dataclass
class Runs:
    """Raw results of a simulation, before names and dates are attached.

    finishes:  float64 (M + 1, iterations), milestone finishes then the project finish (working
               days); None past :func:`~riskcast.engine.binning.exact_runs` runs, where
               ``binned`` holds a histogram per target
    binned:    list of M + 1 :class:`~riskcast.engine.binning.Binned`, or None
    kept_finishes: float64 (M + 1, kept), the target finishes of the runs kept in full
    critical:  int64 (M + 1, n), iterations with zero total float towards each target
    sums:      float64 (N_SUMS, n), sums over iterations of start, d - r, (d - r)^2 and finish,
               where d is the duration and r the activity's plan duration
               (``Network.plan_duration``)
    kept_duration, kept_finish, kept_start: float32 (>= kept / BLOCK, n, BLOCK), every
               activity in the first ``kept`` iterations, a slab per BLOCK of runs
               (:func:`~riskcast.engine.blocks.kept_arrays`); :meth:`kept_rows` gives them a row
               per activity. kept_start has no slabs for a network without limited pools and
               costs (nothing reads it then)
    risk_occurred: int64 (R,), iterations in which each risk occurred
    risk_critical: int64 (M + 1, R), ... and hit a task that was critical for the target
    missed:    int64 (2, L), runs in which task ``Network.late_idx[l]`` started after its
               start-no-later-than date (row 0) or finished after its finish-no-later-than
               date or deadline (row 1)
    pool_critical: int64 (M + 1, P), runs in which limited pool p held back a task that was
               critical for the target (levelled runs; P = 0 without limited pools)
    costs:     float64 (M + 1, iterations), each target's cost per run from the costed tasks
               (``Network.costs``; overheads are added by the forecast), or None when no task
               costs anything
    kept_cost: float64 (C, >= kept), each costed task's cost in the kept runs
    """

    seed: int
    iterations: int
    finishes: np.ndarray | None
    binned: list[Binned] | None
    kept_finishes: np.ndarray
    critical: np.ndarray
    sums: np.ndarray
    kept_duration: np.ndarray
    kept_finish: np.ndarray
    kept_start: np.ndarray
    kept: int
    risk_occurred: np.ndarray
    risk_critical: np.ndarray
    missed: np.ndarray
    pool_critical: np.ndarray
    costs: np.ndarray | None = None
    kept_cost: np.ndarray | None = None

    def kept_rows(self, kept: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """float32 (n, kept) copy of ``kept_duration``, ``kept_finish`` or ``kept_start``, a row
        per activity over the first ``kept`` runs (only ``rows`` of them when given)."""
        return by_activity(kept, self.kept, rows)


def normalise_seed(seed: int | np.random.SeedSequence | np.random.Generator | None) -> int:
    """An int in [0, 2**63) for any accepted seed; ``None`` draws a fresh one (recorded by callers)."""
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(2, np.uint64)[0] >> np.uint64(1))
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= int(seed) < 2**63
    ):
        raise ArgumentError(
            f"seed must be an integer from 0 to 2**63 - 1 (9223372036854775807) or None, "
            f"got {seed!r}"
        )
    return int(seed)


def memory_bytes(
    n: int,
    targets: int,
    iterations: int,
    threads: int | None = None,
    pools: int = 0,
    costed: int = 0,
) -> int:
    """Upper bound of the memory (bytes) a simulation and its forecast statistics allocate.

    Parameters
    ----------
    n : int
        Activities (tasks and milestones).
    targets : int
        Milestones plus the project finish.
    iterations : int
        Runs.
    threads : int, optional
        Worker threads (default: numba's).
    pools : int, default 0
        Limited resource pools levelled in every run (their usage profiles are work arrays).
    costed : int, default 0
        Tasks that cost something: then every run's cost per target is kept beside its finish
        (at most :func:`cost_runs` runs), with the costed tasks' costs in the kept runs.

    Returns
    -------
    int
        Kept runs, target finishes (every run, in batches and once joined, plus the sorted copy
        the forecast makes) or their histograms (at most :func:`~riskcast.engine.binning.max_bins`
        each), one batch's outputs, and each thread's work arrays. It does not grow with
        ``iterations`` past :func:`~riskcast.engine.binning.exact_runs`.
    """
    threads = numba.get_num_threads() if threads is None else threads
    kept = kept_rows(n, iterations)
    batch = 16 * CHUNK
    exact = min(iterations, exact_runs(targets) + batch)
    finishes = 3 * 8 * targets * exact
    if iterations > exact_runs(targets):
        finishes += 8 * targets * max_bins(targets)
    chunks = batch // CHUNK
    outputs = 8 * targets * batch + 8 * chunks * (N_SUMS + targets) * n
    work = threads * (8 * BLOCK * (5 * n + 2 * targets) + 4 * 8 * kept)
    if pools:  # levelling: per thread, which pool held each task, and the usage profiles
        work += threads * (8 * BLOCK * (n + pools) + 8 * 12 * n + 16 * pools * (2 * n + 2))
    ranks = 2 * 8 * targets * kept
    costs = 0
    if costed:  # per-run costs as finishes are kept (batches, joined, totals, sorted copies),
        # the kept runs' task costs, the per-thread costs of a block, and the cash flow's grid
        costs = 5 * 8 * targets * min(iterations, cost_runs(targets)) + 8 * costed * kept
        costs += threads * 16 * BLOCK * costed + 4 * 8 * 302 * kept
    return 12 * n * kept + finishes + outputs + work + ranks + costs


def forward_pass(network: Network, durations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic early start and finish for one set of durations.

    The plan (CPM) schedule, computed by the same forward pass as every simulated run.

    Parameters
    ----------
    network : Network
        A compiled plan.
    durations : numpy.ndarray
        float64 (n,), working days, in the network's (topological) order.

    Returns
    -------
    start, finish : numpy.ndarray
        float64 (n,) each, working days from the project start.
    """
    durations = np.ascontiguousarray(durations, np.float64)
    return schedule(kernel_arrays(network, 0), durations)


def cost_runs(targets: int) -> int:
    """The most runs a simulation with costs keeps (every run's finish and cost, exactly)."""
    return exact_runs(2 * targets)


class Simulation:
    """Incremental simulation of one network and seed: call :meth:`advance` to add iterations,
    or :meth:`absorb` blocks computed elsewhere (:func:`simulate_block`), in run order.

    Results depend only on (network, seed, total iterations): batch sizes, blocks, threads and
    where a block was computed change nothing.
    With ``full`` False only the target finishes are computed (no criticality, sums or kept runs).
    """

    def __init__(
        self, network: Network | KernelNetwork, seed: int, max_iterations: int, full: bool = True
    ):
        self.network = network
        self.seed = seed
        self.full = full
        self.shape = Shape.of(network, full)
        n, m, r = self.shape.n, self.shape.milestones, self.shape.risks
        n_costed = self.shape.costed
        if n_costed and max_iterations > cost_runs(m + 1):
            raise ArgumentError(
                f"a plan with costs keeps every run's finish and cost: at most "
                f"{cost_runs(m + 1):,} runs with {m} milestones, asked for {max_iterations:,}"
            )
        self._arrays: tuple[Arrays, CostArrays] | None = None  # made on the first advance
        self._costs: list[np.ndarray] | None = [] if n_costed else None
        self.iterations = 0
        self._finishes: list[np.ndarray] = []  # batches, up to binning.exact_runs(M + 1) runs
        self._binned: list[Binned] | None = None  # then one histogram per target
        self.critical = np.zeros((m + 1, n), np.int64)
        self.sums = np.zeros((N_SUMS, n))
        self.risk_occurred = np.zeros(r, np.int64)
        self.risk_critical = np.zeros((m + 1, r), np.int64)
        self.missed = np.zeros((2, self.shape.late), np.int64)
        self.kept = kept_rows(n, max_iterations) if full else 0
        self.kept_columns = kept_columns(n, max_iterations, full)
        self.kept_duration, self.kept_finish, self.kept_start, self.kept_cost = kept_arrays(
            self.shape, self.kept_columns
        )
        self.pool_critical = np.zeros((m + 1, self.shape.pools), np.int64)
        self.kept_finishes = np.empty((m + 1, self.kept))  # the targets' in the same runs

    @property
    def arrays(self) -> Arrays:
        """The network's arrays for the kernel, stream keys combined with the seed."""
        return self._kernel_arrays()[0]

    @property
    def cost_arrays(self) -> CostArrays:
        return self._kernel_arrays()[1]

    def _kernel_arrays(self) -> tuple[Arrays, CostArrays]:
        # Made on first use: a simulation whose blocks run on a cluster never needs them here.
        if self._arrays is None:
            self._arrays = (
                kernel_arrays(self.network, self.seed),
                cost_kernel_arrays(self.network, self.seed),
            )
        return self._arrays

    def advance(self, count: int) -> None:
        """Simulate ``count`` more iterations in this process (the running total stays a
        multiple of CHUNK until the last call)."""
        if self.iterations % CHUNK:
            raise ArgumentError("iterations can only be added after a whole number of chunks")
        # The kernel writes the kept runs straight into this simulation's arrays.
        kept = (self.kept_duration, self.kept_finish, self.kept_start, self.kept_cost)
        arrays, cost_arrays = self._kernel_arrays()
        block = compute_block(
            arrays, cost_arrays, self.shape, self.iterations, count, self.full, kept
        )
        self.absorb(block)

    def absorb(self, block: Block) -> None:
        """Merge the block of the next iterations (``block.first`` must be the iterations so
        far): float sums chunk by chunk in run order, counts added, finishes appended (binned
        past :func:`~riskcast.engine.binning.exact_runs`), kept runs copied into place."""
        if block.first != self.iterations or self.iterations % CHUNK:
            raise ArgumentError(
                f"blocks are merged in run order from whole chunks: expected the block at "
                f"iteration {self.iterations:,}, got one at {block.first:,}"
            )
        count, first = block.count, block.first
        m = self.shape.milestones
        if self._costs is not None:
            self._costs.append(block.costs)
        for c in range(block.sums.shape[0]):  # fixed order: the float sums are reproducible
            self.sums += block.sums[c]
        self.critical += block.critical
        self.risk_occurred += block.risk_occurred
        self.risk_critical += block.risk_critical
        self.missed += block.missed
        self.pool_critical += block.pool_critical
        width = block.kept_cost.shape[1] if self.shape.costed else 0
        slabs = block.kept_duration.shape[0]
        if slabs:
            for name in ("kept_duration", "kept_finish", "kept_start"):
                into, part = getattr(self, name), getattr(block, name)
                if part.shape[0] and not np.may_share_memory(into, part):  # advance: in place
                    into[first // BLOCK : first // BLOCK + slabs] = part
            if width and not np.may_share_memory(self.kept_cost, block.kept_cost):
                self.kept_cost[:, first : first + width] = block.kept_cost
        if first < self.kept:
            self.kept_finishes[:, first : first + count] = block.finishes[:, : self.kept - first]
        self.iterations += count
        if self._binned is not None:
            self._count(block.finishes)
            return
        self._finishes.append(block.finishes)
        if self.iterations > exact_runs(m + 1):  # bounded memory from here on
            exact = self.finishes()
            self._finishes = []
            self._binned = [Binned.empty(max_bins(m + 1)) for _ in range(m + 1)]
            self._count(exact)

    def _count(self, finishes: np.ndarray) -> None:
        """Add the next runs' finishes (M + 1, c) to the histograms."""
        for binned, row in zip(self._binned, finishes, strict=True):
            binned.add(row)

    def finishes(self) -> np.ndarray | list[Binned]:
        """(M + 1, iterations so far) target finishes, or past ``exact_runs`` their histograms."""
        if self._binned is not None:
            return self._binned
        if len(self._finishes) > 1:
            self._finishes = [np.concatenate(self._finishes, axis=1)]
        return self._finishes[0]

    def runs(self) -> Runs:
        return Runs(
            seed=self.seed,
            iterations=self.iterations,
            finishes=None if self._binned is not None else self.finishes(),
            binned=self._binned,
            kept_finishes=self.kept_finishes[:, : min(self.kept, self.iterations)],
            critical=self.critical.copy(),
            sums=self.sums.copy(),
            kept_duration=self.kept_duration,
            kept_finish=self.kept_finish,
            kept_start=self.kept_start,
            kept=min(self.kept, self.iterations),
            risk_occurred=self.risk_occurred.copy(),
            risk_critical=self.risk_critical.copy(),
            missed=self.missed.copy(),
            pool_critical=self.pool_critical.copy(),
            costs=None if self._costs is None else self._joined_costs(),
            kept_cost=None if self._costs is None else self.kept_cost,
        )

    def _joined_costs(self) -> np.ndarray:
        if len(self._costs) > 1:
            self._costs = [np.concatenate(self._costs, axis=1)]
        return self._costs[0]


def run(
    network: Network,
    seed: int,
    iterations: int,
    *,
    batch: int = 16 * CHUNK,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    rule: Callable[[np.ndarray], int] | None = None,
    first_check: int = 4 * CHUNK,
    full: bool = True,
    executor: Any = None,
    block: int | None = None,
) -> Runs:
    """Simulate up to ``iterations`` runs, in calls of at most ``batch`` (whole chunks).

    Parameters
    ----------
    network : Network
        The compiled plan.
    seed : int
        In [0, 2**63) (see :func:`normalise_seed`).
    iterations : int
        Runs to simulate, or the most a ``rule`` may ask for.
    batch : int
        Runs per kernel call between ``progress(done, total)`` reports; results do not depend
        on it, nor on ``threads`` (numba's worker threads for this call).
    rule : callable, optional
        A stopping rule: asked first after ``first_check`` runs (rounded up to whole chunks) with
        the (M + 1, runs so far) finishes, it returns the run count at which to ask again; a count
        not above the runs so far stops the simulation. Since the rule sees only the runs, where
        it stops does not depend on ``batch`` either.
    full : bool
        False computes only the target finishes (no criticality, sums or kept runs).
    executor : distributed.Client, optional
        Run the iterations as blocks (:func:`simulate_block`) on this Dask cluster instead of in
        this process (see :mod:`riskcast.engine.distributed`); the result is the same bit for bit.
        ``batch`` and ``threads`` then play no part, and ``progress`` is called as blocks complete.
    block : int, optional
        Runs per cluster task (rounded up to whole chunks); default
        :data:`~riskcast.engine.distributed.DEFAULT_BLOCK`. Results do not depend on it.

    Returns
    -------
    Runs
    """
    if executor is not None:
        from .distributed import Cluster  # dask is optional: imported only when asked for

        cluster = Cluster(executor, block)
        if rule is None:  # every block at once
            return cluster.start(network, seed, iterations, full=full).runs(progress)
    batch = max(CHUNK, math.ceil(batch / CHUNK) * CHUNK)
    sim = Simulation(network, seed, iterations, full)
    check = iterations if rule is None else math.ceil(first_check / CHUNK) * CHUNK
    previous = numba.get_num_threads()
    if threads is not None and executor is None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        while sim.iterations < iterations:
            goal = min(check, iterations)
            if executor is not None:  # the runs up to the next check, as blocks on the cluster
                cluster.extend(sim, goal, progress, iterations)
            while sim.iterations < goal:
                sim.advance(min(batch, goal - sim.iterations))
                if progress is not None:
                    progress(sim.iterations, iterations)
            if rule is None or sim.iterations >= iterations:
                break
            check = math.ceil(rule(sim.finishes()) / CHUNK) * CHUNK
            if check <= sim.iterations:
                break
    finally:
        numba.set_num_threads(previous)
    return sim.runs()
