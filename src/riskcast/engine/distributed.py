"""Running a simulation's iterations as blocks on a Dask cluster (``distributed``).

The unit of work is a *block* of consecutive iterations, :func:`~.run.simulate_block`: a pure
function of (network, seed, first iteration, count). The network is scattered to every worker
once; each block is one task with a deterministic key, and the blocks are merged on the client
strictly in run order (:meth:`~.run.Simulation.absorb`), whatever order they complete in. So the
result is the in-process result bit for bit, for any block size and any number of workers:

* every random draw is a pure function of (seed, stable variable id, iteration), so a block
  draws exactly what the in-process run draws for the same iterations;
* a block keeps its float sums per chunk of CHUNK runs, and the client adds them to the totals
  chunk by chunk in run order, the very additions the in-process run makes; counts are integers.

A task that is lost with its worker is simply run again elsewhere (dask does this for pure
tasks): it gives the same block. ``distributed`` is imported only when a cluster is used; it is
the optional extra ``riskcast[dask]``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import math
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import ArgumentError, RiskcastError
from .blocks import Block, KernelNetwork, simulate_block
from .kernels import CHUNK
from .run import Runs, Simulation

if TYPE_CHECKING:
    from ..compile import Network

# Runs per task. A block costs about 6 ms of scheduling, transfer and merging beside its compute
# (benchmarks/scale_out.py, 2-core machine); a run of a 200-activity plan takes ~1.6 us on one core, so
# 64 chunks (~100 ms of compute) keep that overhead near 6 % there and under 2 % from ~1,000
# activities on, while 10 million runs still make ~150 tasks to spread.
DEFAULT_BLOCK = 64 * CHUNK
INSTALL = "pip install 'riskcast[dask]'"
CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler before giving up

# numba's default threading layer refuses concurrent parallel launches from several threads of
# one process: a worker with several threads runs its blocks' kernels one at a time (each one
# still uses all of numba's threads).
_KERNEL_LOCK = threading.Lock()


class ClusterError(RiskcastError):
    """The cluster could not be reached, or lost a block more often than dask retries it."""


def require_distributed() -> Any:
    """The ``distributed`` module, or an ArgumentError that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise ArgumentError(
            f"running on a Dask cluster needs the 'distributed' package: {INSTALL}"
        ) from None
    return distributed


def check_executor(executor: Any) -> Any:
    """``executor`` if it is a ``distributed.Client``; an ArgumentError otherwise."""
    distributed = require_distributed()
    if not isinstance(executor, distributed.Client):
        raise ArgumentError(
            f"executor must be a distributed.Client (a Dask cluster's client), got "
            f"{type(executor).__name__}"
        )
    return executor


def check_block(block: int | None) -> int:
    """Runs per task: ``block`` rounded up to whole chunks, or :data:`DEFAULT_BLOCK`."""
    if block is None:
        return DEFAULT_BLOCK
    if isinstance(block, bool) or not isinstance(block, int) or block < 1:
        raise ArgumentError(f"block must be a positive number of runs, got {block!r}")
    return math.ceil(block / CHUNK) * CHUNK


def spans(first: int, goal: int, block: int) -> list[tuple[int, int]]:
    """(first, count) of the blocks covering iterations ``first .. goal - 1``."""
    return [(f, min(block, goal - f)) for f in range(first, goal, block)]


def run_block(
    network: KernelNetwork, seed: int, first: int, count: int, full: bool, kept: int
) -> Block:
    """The task a worker runs: :func:`~.run.simulate_block`, one kernel call at a time."""
    with _KERNEL_LOCK:
        return simulate_block(network, seed, first, count, full, kept)


class Cluster:
    """Blocks of simulations on the Dask cluster of ``client``, ``block`` runs per task.

    Parameters
    ----------
    client : distributed.Client
        The cluster's client.
    block : int, optional
        Runs per task (rounded up to whole chunks of 1,024); default :data:`DEFAULT_BLOCK`.
        Results do not depend on it.
    """

    def __init__(self, client: Any, block: int | None = None):
        self.client = check_executor(client)
        self.block = check_block(block)
        self._scattered: dict[int, tuple[Network | KernelNetwork, Any]] = {}

    def network(self, network: Network | KernelNetwork) -> Any:
        """The future of ``network``'s kernel arrays (:class:`~.run.KernelNetwork`) on every
        worker, scattered once.

        Only the arrays travel (a Network's calendars and names are neither needed nor always
        picklable). They go under a key of their own (``hash=False``), not one derived from
        their content: a content key would be shared with the copy an earlier run on the same
        client is still releasing, and the scheduler can drop the new copy with the old one
        ("lost dependencies"). The block keys derived from it are deterministic within this
        Cluster."""
        held = self._scattered.get(id(network))
        if held is None or held[0] is not network:
            view = KernelNetwork.of(network)
            future = self.client.scatter(view, broadcast=True, hash=False)
            held = self._scattered[id(network)] = (network, future)
        return held[1]

    def submit(self, sim: Simulation, goal: int) -> dict[int, Any]:
        """Submit the blocks of ``sim``'s iterations from where it stands up to ``goal``;
        their futures by first iteration."""
        from dask.base import tokenize

        network = self.network(sim.network)
        # The block's key names everything its result depends on: a resubmitted or
        # recomputed block is the same task with the same result.
        token = tokenize(network.key, sim.seed, sim.full, sim.kept_columns)
        return {
            first: self.client.submit(
                run_block,
                network,
                sim.seed,
                first,
                count,
                sim.full,
                sim.kept_columns,
                key=f"riskcast-block-{token}-{first}-{count}",
                pure=True,
            )
            for first, count in spans(sim.iterations, goal, self.block)
        }

    def start(
        self, network: Network | KernelNetwork, seed: int, iterations: int, full: bool = True
    ) -> Started:
        """Submit every block of a simulation of ``iterations`` runs; gather with
        :meth:`Started.runs`. Several simulations can be started before any is gathered."""
        sim = Simulation(network, seed, iterations, full)
        return Started(self, sim, self.submit(sim, iterations), iterations)

    def extend(
        self,
        sim: Simulation,
        goal: int,
        progress: Callable[[int, int], None] | None,
        total: int,
    ) -> None:
        """Bring ``sim`` to ``goal`` iterations with blocks computed on the cluster."""
        gather(self.client, sim, self.submit(sim, goal), progress, total)


class Started:
    """A simulation whose blocks are submitted: :meth:`runs` waits for them and merges them."""

    def __init__(self, cluster: Cluster, sim: Simulation, futures: dict[int, Any], total: int):
        self.cluster = cluster
        self.sim = sim
        self.futures = futures
        self.total = total  # runs when every block is merged

    def runs(self, progress: Callable[[int, int], None] | None = None) -> Runs:
        """The simulation's :class:`~.run.Runs`, once every block is merged.

        ``progress(done, total)`` is called as blocks complete (done: runs completed)."""
        gather(self.cluster.client, self.sim, self.futures, progress, self.total)
        return self.sim.runs()

    def cancel(self) -> None:
        """Cancel the blocks not gathered yet."""
        cancel(self.cluster.client, self.futures)


def cancel(client: Any, futures: dict[int, Any]) -> None:
    """Cancel ``futures`` (best effort: a cluster that is gone has nothing left to cancel)."""
    pending = list(futures.values())
    futures.clear()
    if pending:
        with contextlib.suppress(Exception):
            client.cancel(pending)


def gather(
    client: Any,
    sim: Simulation,
    futures: dict[int, Any],
    progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
    """Merge the blocks of ``futures`` into ``sim`` in run order as they complete.

    A block that completes early waits in memory for those before it. Any error, or an
    interrupt (KeyboardInterrupt, a signal turned into an exception), cancels the blocks not
    merged yet: nothing of the simulation is left running on the cluster.
    """
    distributed = require_distributed()
    done = sim.iterations
    early: dict[int, Block] = {}
    try:
        for future in distributed.as_completed(list(futures.values())):
            try:
                block = future.result()
            except distributed.KilledWorker as exc:
                raise ClusterError(
                    f"the Dask cluster lost the workers running one block too often: {exc}"
                ) from exc
            except concurrent.futures.CancelledError as exc:  # not by us: e.g. every worker
                # holding the scattered network died, or the cluster was restarted
                raise ClusterError(f"the Dask cluster dropped a block: {exc}") from exc
            del futures[block.first]
            early[block.first] = block
            while sim.iterations in early:
                sim.absorb(early.pop(sim.iterations))
            done += block.count
            if progress is not None:
                progress(done, total)
    except BaseException:
        cancel(client, futures)
        raise


def parse_spec(spec: str) -> tuple[str, int | str]:
    """``("local", workers)`` for ``local:N``, ``("address", spec)`` for a scheduler address
    (``tcp://host:port``, ``tls://...``, ``host:port``); an ArgumentError for anything else."""
    text = spec.strip()
    if text.startswith("local:") or text == "local":
        count = text.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise ArgumentError(
                f"--dask {spec!r}: local takes a number of worker processes, e.g. local:4"
            )
        return "local", int(count)
    scheme, sep, rest = text.rpartition("://")
    host, colon, port = (rest if sep else text).rpartition(":")
    if (sep and scheme not in ("tcp", "tls", "ucx", "inproc", "ws", "wss")) or not (
        colon and host and port.isdigit()
    ):
        raise ArgumentError(
            f"--dask {spec!r}: expected local:N (N worker processes on this machine) or a "
            "scheduler address such as tcp://scheduler:8786"
        )
    return "address", text


@contextlib.contextmanager
def open_client(spec: str, timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """A ``distributed.Client`` for ``spec`` (see :func:`parse_spec`), closed on exit.

    ``local:N`` starts N worker processes of one thread each on this machine (numba limited to
    one thread in each, so the N processes share the cores) and stops them on exit; an address
    connects to a running scheduler, within ``timeout`` seconds or a :class:`ClusterError`.
    """
    kind, value = parse_spec(spec)
    distributed = require_distributed()
    if kind == "local":
        try:
            cluster = distributed.LocalCluster(
                n_workers=value,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                env={"NUMBA_NUM_THREADS": "1"},
            )
        except Exception as exc:
            raise ClusterError(f"could not start a local Dask cluster: {exc}") from exc
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(value, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"could not reach the Dask scheduler at {value} within {timeout:g} s: "
            f"{' '.join(str(exc).split()) or type(exc).__name__}"
        ) from None
    with client:
        yield client
