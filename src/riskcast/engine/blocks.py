"""Blocks of iterations: the pure unit of work of a simulation, and the kernel's view of a network.

A block (:func:`simulate_block`) is a pure function of (network, seed, first iteration, count):
:class:`~riskcast.engine.run.Simulation` computes its blocks in this process or has them
computed elsewhere (:mod:`riskcast.engine.distributed`) and merges them in run order, with the
same result bit for bit. :class:`KernelNetwork` is what a block reads of a compiled network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numba
import numpy as np

from ..errors import ArgumentError
from .costs import SEEDED_COSTS, CostArrays
from .kernels import BLOCK, CHUNK, N_SUMS, Arrays, Outputs, simulate_chunks
from .rng import stream_keys

if TYPE_CHECKING:  # the engine reads a compiled network's arrays; it imports nothing above it
    from ..compile import Network

KEPT_VALUES = 2_000_000  # kept per-iteration values per array (float32: 8 MB), see above
KEPT_MIN, KEPT_MAX = 1_000, 20_000


def kept_rows(n: int, iterations: int) -> int:
    """How many iterations keep every activity's values (bounded memory, see Runs)."""
    return min(iterations, max(KEPT_MIN, min(KEPT_MAX, KEPT_VALUES // max(n, 1))))


SEEDED = ("keys", "gate_key", "risk_key", "risk_p_key", "impact_key", "slot_key")


@dataclass(frozen=True, eq=False)
class KernelNetwork:
    """What the engine reads of a compiled :class:`~riskcast.compile.Network`: its kernel arrays
    (stream keys not yet combined with a seed) and cost arrays, nothing else.

    Plain arrays only (no names, dates or calendars), so it pickles small and fast: it is what a
    distributed run ships to each worker. Every engine function that takes a Network also takes
    this.
    """

    arrays: Arrays
    costs: CostArrays

    @classmethod
    def of(cls, network: Network | KernelNetwork) -> KernelNetwork:
        if isinstance(network, KernelNetwork):
            return network
        return cls(Arrays(*(getattr(network, name) for name in Arrays._fields)), network.costs)


def kernel_arrays(network: Network | KernelNetwork, seed: int) -> Arrays:
    """The network's arrays for the kernel, every stream key combined with ``seed``."""
    plain = KernelNetwork.of(network).arrays
    return plain._replace(**{name: stream_keys(getattr(plain, name), seed) for name in SEEDED})


def cost_kernel_arrays(network: Network | KernelNetwork, seed: int) -> CostArrays:
    """The network's cost arrays for the kernel, stream keys combined with ``seed``."""
    costs = network.costs
    return costs._replace(
        **{name: stream_keys(getattr(costs, name), seed) for name in SEEDED_COSTS}
    )


class Shape(NamedTuple):
    """The sizes a block's outputs take: n activities, M milestones (M + 1 targets), R risks,
    L late constraints, P pools and C costed tasks (0 when not ``full``)."""

    n: int
    milestones: int
    risks: int
    late: int
    pools: int
    costed: int

    @classmethod
    def of(cls, network: Network | KernelNetwork, full: bool) -> Shape:
        # the sizes the kernel itself reads off its arrays
        a = KernelNetwork.of(network).arrays
        return cls(
            a.dist_code.shape[0],
            a.milestone_idx.shape[0],
            a.risk_key.shape[0],
            a.late_idx.shape[0],
            a.cap_ptr.shape[0] - 1,
            network.costs.task.shape[0] if full else 0,
        )


@dataclass
class Block:
    """The partial results of iterations ``first .. first + count - 1``, to be merged in order by
    :meth:`Simulation.absorb`.

    finishes:  float64 (M + 1, count), target finishes (working days)
    sums:      float64 (chunks, N_SUMS, n), the float sums per chunk of CHUNK runs: they are added
               to the totals one chunk at a time, in run order, so that the totals are the same
               bit for bit however the runs are cut into blocks
    critical, risk_occurred, risk_critical, missed, pool_critical: int64 counts over the block
               (integers add exactly in any order), shapes as in :class:`Runs`
    costs:     float64 (M + 1, count) or None (no costed task, or not ``full``)
    kept_duration, kept_finish, kept_start: float32 (w / BLOCK, n, BLOCK), the kept runs'
               values for iterations ``first .. first + w - 1``, a slab per BLOCK of runs (w = 0
               when the block starts past the kept runs; kept_start has no slabs when the
               network has no limited pool and no cost)
    kept_cost: float64 (C, w), the costed tasks' costs in those runs
    """

    first: int
    count: int
    finishes: np.ndarray
    sums: np.ndarray
    critical: np.ndarray
    risk_occurred: np.ndarray
    risk_critical: np.ndarray
    missed: np.ndarray
    pool_critical: np.ndarray
    costs: np.ndarray | None
    kept_duration: np.ndarray
    kept_finish: np.ndarray
    kept_start: np.ndarray
    kept_cost: np.ndarray


def kept_columns(n: int, max_iterations: int, full: bool = True) -> int:
    """Columns of the kept-run arrays (:func:`kept_rows` rounded up to whole BLOCKs; 0 when not
    ``full``): the kernel writes every iteration below this index into them."""
    kept = kept_rows(n, max_iterations) if full else 0
    return (kept + BLOCK - 1) // BLOCK * BLOCK


def simulate_block(
    network: Network | KernelNetwork,
    seed: int,
    first: int,
    count: int,
    full: bool = True,
    kept_columns: int = 0,
) -> Block:
    """Simulate iterations ``first .. first + count - 1`` of ``network`` with ``seed``.

    A pure function of its arguments (the unit of work of a distributed run): the same arguments
    give the same :class:`Block` bit for bit, on any machine and with any number of threads.

    Parameters
    ----------
    network : Network or KernelNetwork
        The compiled plan (or just its kernel arrays).
    seed : int
        In [0, 2**63).
    first : int
        The first iteration, a multiple of CHUNK (1,024 runs).
    count : int
        Runs, at least 1; a multiple of CHUNK unless this is the simulation's last block.
    full : bool, default True
        False computes only the target finishes (no criticality, sums, kept runs or costs).
    kept_columns : int, default 0
        :func:`kept_columns` of the simulation: iterations below it keep every activity's values.

    Returns
    -------
    Block
        Its own arrays; the kept runs only for the iterations of the block below ``kept_columns``.
    """
    if first % CHUNK or count < 1:
        raise ArgumentError(f"a block starts on a whole chunk and has runs, got {first}, {count}")
    shape = Shape.of(network, full)
    kept = (
        kept_arrays(shape, min(kept_columns, first + count))
        if full and first < kept_columns
        else kept_arrays(shape, 0)
    )
    block = compute_block(
        kernel_arrays(network, seed),
        cost_kernel_arrays(network, seed),
        shape,
        first,
        count,
        full,
        kept,
    )
    # Only the block's own columns travel back (the kernel indexes kept runs globally).
    for name in ("kept_duration", "kept_finish", "kept_start", "kept_cost"):
        setattr(block, name, np.ascontiguousarray(getattr(block, name)))
    return block


def kept_arrays(shape: Shape, columns: int) -> tuple[np.ndarray, ...]:
    """Kept-run arrays of ``columns`` iterations rounded up to whole BLOCKs (S of them):
    duration, finish and start float32 (S, n, BLOCK), a slab per BLOCK of runs, which the kernel
    writes in order (a row per activity would scatter each block over n rows);
    cost float64 (C, S * BLOCK). The starts are kept only where something reads them (the pools'
    usage, the cash flow: a network with limited pools or costs); otherwise their array has no
    slabs (a third less memory to touch)."""
    n, c = shape.n, shape.costed
    slabs = -(-columns // BLOCK)
    starts = bool(shape.pools or c)
    # One allocation, not two or three: freeing a block this large raises glibc's threshold
    # for mapping memory afresh, so the next simulation reuses it; separate 8 MB arrays were
    # mapped afresh each time (some 2,000 page faults, 6 ms of a 10,000-run simulation).
    values = np.empty((2 + starts, slabs, n, BLOCK), np.float32)
    return (
        values[0],
        values[1],
        values[2] if starts else np.empty((0, n, BLOCK), np.float32),
        np.empty((c, slabs * BLOCK if c else 0)),
    )


def by_activity(kept: np.ndarray, runs: int, rows: np.ndarray | None = None) -> np.ndarray:
    """float32 (n, runs) copy of the first ``runs`` kept runs of a slab array (see
    :func:`kept_arrays`), a row per activity; only ``rows`` of them when given."""
    slabs = kept[: -(-runs // BLOCK)]
    if rows is not None:
        slabs = slabs[:, rows]
    return slabs.transpose(1, 0, 2).reshape(slabs.shape[1], -1)[:, :runs].copy()


def compute_block(
    arrays: Arrays,
    cost_arrays: CostArrays,
    shape: Shape,
    first: int,
    count: int,
    full: bool,
    kept: tuple[np.ndarray, ...],
) -> Block:
    """One call of the kernel for iterations ``first .. first + count - 1``.

    ``kept`` are the (duration, finish, start, cost) arrays the kernel writes the kept runs into
    at their global iteration index (every iteration below their width); the block's kept
    fields are views of their columns from ``first`` on.
    """
    n, m, r = shape.n, shape.milestones, shape.risks
    chunks = math.ceil(count / CHUNK) if full else 0
    kept_duration, kept_finish, kept_start, kept_cost = kept
    out = Outputs(
        finishes=np.empty((m + 1, count)),
        sums=np.zeros((chunks, N_SUMS, n)),
        critical=np.zeros((chunks, m + 1, n), np.int64),
        kept_duration=kept_duration,
        kept_finish=kept_finish,
        kept_start=kept_start,
        risk_occurred=np.zeros((chunks, r), np.int64),
        risk_critical=np.zeros((chunks, m + 1, r), np.int64),
        missed=np.zeros((chunks, 2, shape.late), np.int64),
        pool_critical=np.zeros((chunks, m + 1, shape.pools), np.int64),
        costs=np.empty((m + 1, count) if shape.costed else (0, 0)),
        kept_cost=kept_cost,
    )
    # Chunks are handed out one at a time: the first ones also keep full runs, so a static
    # split would leave one thread with more work. (The results do not depend on this.)
    with numba.parallel_chunksize(1):
        simulate_chunks(arrays, cost_arrays, first, count, full, out)
    width = max(0, min(kept_duration.shape[0] * BLOCK, first + count) - first)
    slabs = slice(first // BLOCK, -(-(first + width) // BLOCK))
    return Block(
        first=first,
        count=count,
        finishes=out.finishes,
        sums=out.sums,
        critical=out.critical.sum(axis=0),
        risk_occurred=out.risk_occurred.sum(axis=0),
        risk_critical=out.risk_critical.sum(axis=0),
        missed=out.missed.sum(axis=0),
        pool_critical=out.pool_critical.sum(axis=0),
        costs=out.costs if shape.costed else None,
        kept_duration=kept_duration[slabs],
        kept_finish=kept_finish[slabs],
        kept_start=kept_start[slabs] if kept_start.shape[0] else kept_start,
        kept_cost=kept_cost[:, first : first + width] if shape.costed else kept_cost[:, :0],
    )
