"""``simulate``: Project -> compile -> engine -> Forecast, and the precision rule."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterable
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from .compile import compile_project
from .costs import has_costs
from .engine.kernels import CHUNK
from .engine.levelling import NO_LEVELLING
from .engine.run import cost_runs, memory_bytes, normalise_seed, run
from .errors import ArgumentError
from .forecast import Forecast
from .model import Project
from .resources import levelled
from .statistics import Finishes, check_confidence, check_percentile, percentile_ranks

if TYPE_CHECKING:
    from .compile import Network
    from .engine.binning import Binned
    from .engine.distributed import Started

DEFAULT_ITERATIONS = 10_000
MAX_ITERATIONS = 2_000_000  # the precision rule stops here at the latest
MAX_MEMORY_BYTES = 8 * 2**30  # refused above this (engine.run.memory_bytes, any number of runs)
FIRST_CHECK = 4 * CHUNK  # runs before the precision rule is first asked
MAX_GROWTH = 4  # the precision rule at most quadruples the runs between two checks


def precision_half_width(finishes: np.ndarray | list[Binned], q: float, confidence: float) -> float:
    """The widest half-width (working days) of the ``confidence`` interval of percentile ``q``
    over the milestones' finishes, (M + 1, runs) or M + 1 histograms; the project finish when
    there is no milestone."""
    if isinstance(finishes, np.ndarray):
        rows = finishes[:-1] if finishes.shape[0] > 1 else finishes
        lo, hi = percentile_ranks(finishes.shape[1], q, confidence)
        part = np.partition(rows, (lo, hi), axis=1)
        return float(((part[:, hi] - part[:, lo]) / 2).max())
    targets = [Finishes(binned=b) for b in (finishes[:-1] if len(finishes) > 1 else finishes)]
    lo, hi = percentile_ranks(targets[0].n, q, confidence)
    return max((t.value_at_rank(hi) - t.value_at_rank(lo)) / 2 for t in targets)


def precision_rule(
    precision: float, q: float, confidence: float, limit: int
) -> Callable[[np.ndarray], int]:
    """The stopping rule of ``simulate(precision=...)``: given the finishes of the first n runs,
    the total number of runs to reach before asking again (n or fewer: stop now).

    The interval half-width h shrinks like 1/sqrt(n), so the next check is placed where h should
    reach the precision, n (h / precision)^2, plus 10 %, at least one chunk further and at most
    MAX_GROWTH times n, rounded up to whole chunks. Checks thus fall on counts that depend only on
    the runs themselves, never on the batch size or the threads: the result is reproducible.
    """

    def next_check(finishes: np.ndarray | list[Binned]) -> int:
        n = finishes.shape[1] if isinstance(finishes, np.ndarray) else finishes[0].n
        half = precision_half_width(finishes, q, confidence)
        if half < precision:
            return n
        wanted = 1.1 * n * (half / precision) ** 2
        wanted = min(max(wanted, n + CHUNK), MAX_GROWTH * n, limit)
        return math.ceil(wanted / CHUNK) * CHUNK

    return next_check


def _check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ArgumentError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def simulate(
    project: Project,
    *,
    iterations: int | None = None,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    precision: float | None = None,
    precision_percentile: float = 80.0,
    confidence: float = 0.95,
    max_iterations: int = MAX_ITERATIONS,
    threads: int | None = None,
    batch: int = 16 * CHUNK,
    progress: Callable[[int, int], None] | None = None,
    mitigation: str | Iterable[str] = "pre",
    scheme: str | None = "parallel",
    priority: str = "lft",
    executor: Any = None,
    block: int | None = None,
) -> Forecast:
    """Simulate ``project`` and return its :class:`~riskcast.forecast.Forecast`.

    Parameters
    ----------
    project : Project
        The plan (see :func:`riskcast.load` and the builder classes).
    iterations : int, optional
        Number of runs (default 10,000). Give either ``iterations`` or ``precision``.
    seed : int, numpy SeedSequence or Generator, optional
        The same seed gives bit-identical results for any ``threads`` and ``batch``. ``None``
        draws a fresh seed, recorded in ``forecast.seed``.
    precision : float, optional
        Working days: keep adding runs until every milestone's ``precision_percentile`` is known
        to +/- ``precision`` (its ``confidence`` interval), up to ``max_iterations``. The rule is
        checked at run counts that depend only on the runs (see :func:`precision_rule`).
    precision_percentile : float, default 80
        The percentile (0, 100] the precision applies to.
    confidence : float, default 0.95
        Probability of the Monte Carlo interval the precision rule uses, in (0, 1).
    max_iterations : int, default 2,000,000
        The precision rule's limit; a ``RuntimeWarning`` says when it stopped there. A plan
        with costs keeps every run's finish and cost (for the joint confidence level): at most
        :func:`~riskcast.engine.run.cost_runs` runs, over a million for a few milestones.
    threads : int, optional
        Worker threads (default: all). Results do not depend on it.
    batch : int, default 16,384
        Runs per call of the kernel between progress reports. Results do not depend on it.
    progress : callable, optional
        Called as ``progress(done, total)`` after each batch.
    mitigation : str or iterable of str, default "pre"
        "pre" (risks as they are), "post" (every mitigation applied) or the ids of the mitigated
        risks (an iterable, or one comma-separated string).
    scheme : {"parallel", "serial"} or None, default "parallel"
        How tasks that compete for a resource pool with a ``capacity`` are levelled in every
        run: the parallel (non-delay) or the serial schedule generation scheme (see
        :mod:`riskcast.resources`). None ignores capacities. Without a limited pool, every
        scheme gives the unlevelled schedule exactly.
    priority : {"lft", "listed", "min-slack", "max-duration"}, default "lft"
        The rule that orders competing tasks, after each task's own ``priority``.
    executor : distributed.Client, optional
        Spread the runs over this Dask cluster, in blocks of ``block`` runs (one task each),
        instead of this process's threads. The result is bit-identical to the in-process run
        with the same seed, for any block size and number of workers; ``threads`` and ``batch``
        then play no part, and ``progress`` is called as blocks complete. Needs the optional
        extra: ``pip install 'riskcast[dask]'``.
    block : int, optional
        Runs per cluster task, rounded up to whole chunks of 1,024 (default 65,536). Results do
        not depend on it.

    Returns
    -------
    Forecast
        Milestone finishes per run (working days), percentiles, criticality and sensitivity.

    Raises
    ------
    ModelError
        The project is invalid (every problem listed).
    ArgumentError
        An argument is out of range (also a ``ValueError``).
    """
    return start(
        project,
        iterations=iterations,
        seed=seed,
        precision=precision,
        precision_percentile=precision_percentile,
        confidence=confidence,
        max_iterations=max_iterations,
        threads=threads,
        batch=batch,
        progress=progress,
        mitigation=mitigation,
        scheme=scheme,
        priority=priority,
        executor=executor,
        block=block,
    ).forecast(stacklevel=3)


def start(
    project: Project,
    *,
    iterations: int | None = None,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    precision: float | None = None,
    precision_percentile: float = 80.0,
    confidence: float = 0.95,
    max_iterations: int = MAX_ITERATIONS,
    threads: int | None = None,
    batch: int = 16 * CHUNK,
    progress: Callable[[int, int], None] | None = None,
    mitigation: str | Iterable[str] = "pre",
    scheme: str | None = "parallel",
    priority: str = "lft",
    executor: Any = None,
    block: int | None = None,
) -> Simulating:
    """:func:`simulate` in two steps: check and compile now and, on a cluster, submit every
    block that does not wait for a precision check; :meth:`Simulating.forecast` gathers.

    Starting several simulations before gathering any lets a scenario sweep (mitigation,
    risk drivers) keep a whole cluster busy. The arguments are those of :func:`simulate`.
    """
    if precision is not None and iterations is not None:
        raise ArgumentError("give either iterations or precision, not both")
    if precision is not None and (
        isinstance(precision, bool)
        or not isinstance(precision, int | float)
        or not math.isfinite(precision)
        or precision <= 0
    ):
        raise ArgumentError(
            f"precision must be a positive number of working days, got {precision!r}"
        )
    check_percentile(precision_percentile)
    check_confidence(confidence)
    if precision is not None:
        total = _check_count(max_iterations, "max_iterations")
    else:
        total = _check_count(DEFAULT_ITERATIONS if iterations is None else iterations, "iterations")
    _check_count(batch, "batch")
    if executor is not None:  # before any work: a missing package or a wrong object fails now
        from .engine.distributed import check_block, check_executor

        check_executor(executor)
        check_block(block)
    if mitigation != "pre" and not project.risks:
        raise ArgumentError(
            f"mitigation {mitigation!r} asks for mitigated risks, but the project has no risks; "
            'simulate it as it is (mitigation="pre", no --mitigated)'
        )
    network = levelled(
        compile_project(project, mitigated=mitigated_risks(mitigation)), scheme, priority
    )
    costly = has_costs(project)
    if costly:  # every run's finish and cost is kept, for the joint confidence
        limit = cost_runs(len(project.milestones) + 1)
        if precision is None and total > limit:
            raise ArgumentError(
                f"a plan with costs keeps every run's finish and cost: at most {limit:,} runs "
                f"with {len(project.milestones)} milestones, asked for {total:,}"
            )
        total = min(total, limit)
    pools = len(network.pool_ids) if network.level_scheme[0] != NO_LEVELLING else 0
    # a plan with costs keeps every run's costs, even when only overheads cost anything
    costed = max(len(network.costs.task), 1) if costly else 0
    needed = memory_bytes(network.n, len(project.milestones) + 1, total, threads, pools, costed)
    if needed > MAX_MEMORY_BYTES:
        raise ArgumentError(
            f"this simulation needs up to {needed / 2**30:.1f} GiB of memory (limit "
            f"{MAX_MEMORY_BYTES / 2**30:.0f} GiB): fewer milestones or tasks would fit"
        )
    rule = (
        None
        if precision is None
        else precision_rule(precision, precision_percentile, confidence, total)
    )
    seed_value = normalise_seed(seed)
    simulating = Simulating(
        project,
        network,
        seed_value,
        total,
        rule,
        dict(batch=batch, threads=threads, executor=executor, block=block),
        progress,
        precision,
        precision_percentile,
        confidence,
        mitigation,
        (scheme, priority),
    )
    simulating.submit()
    return simulating


class Simulating:
    """A simulation :func:`start` has checked and compiled (and, on a cluster, submitted)."""

    def __init__(
        self,
        project: Project,
        network: Network,
        seed: int,
        total: int,
        rule: Callable[[np.ndarray], int] | None,
        options: dict[str, Any],
        progress: Callable[[int, int], None] | None,
        precision: float | None,
        precision_percentile: float,
        confidence: float,
        mitigation: str | Iterable[str],
        levelling: tuple[str | None, str],
    ):
        self.project, self.network, self.seed, self.total = project, network, seed, total
        self.rule, self.options, self.progress = rule, options, progress
        self.precision, self.precision_percentile = precision, precision_percentile
        self.confidence, self.mitigation, self.levelling = confidence, mitigation, levelling
        self.levelled = network.level_scheme[0] != NO_LEVELLING
        # the same draws without resource limits: the delay the limits cause
        self.free = (
            dataclasses.replace(network, level_scheme=np.array([NO_LEVELLING], np.int64))
            if self.levelled
            else None
        )
        self._started: list[Started] = []  # blocks already on the cluster (main, unlevelled)

    def submit(self) -> None:
        """On a cluster, submit every block known now: all of them unless a precision rule
        decides the run count as it goes."""
        executor = self.options["executor"]
        if executor is None or self.rule is not None:
            return
        from .engine.distributed import Cluster

        cluster = Cluster(executor, self.options["block"])
        try:
            self._started.append(cluster.start(self.network, self.seed, self.total))
            if self.free is not None:
                self._started.append(cluster.start(self.free, self.seed, self.total))
        except BaseException:
            self.cancel()
            raise

    def cancel(self) -> None:
        """Cancel the blocks submitted and not gathered yet."""
        for started in self._started:
            started.cancel()

    def forecast(self, stacklevel: int = 2) -> Forecast:
        """Wait for the runs (or make them, in this process) and return the Forecast."""
        try:
            return self._forecast(stacklevel + 1)
        except BaseException:
            self.cancel()
            raise

    def _forecast(self, stacklevel: int) -> Forecast:
        project, network, options = self.project, self.network, self.options
        if self._started:
            runs = self._started[0].runs(self.progress)
        else:
            runs = run(
                network,
                self.seed,
                self.total,
                progress=self.progress,
                rule=self.rule,
                first_check=FIRST_CHECK,
                **options,
            )
        forecast = Forecast.from_runs(project, network, runs)
        precision, q, confidence = self.precision, self.precision_percentile, self.confidence
        if precision is not None:
            half = precision_half_width(
                runs.finishes if runs.binned is None else runs.binned, q, confidence
            )
            if half >= precision:
                warnings.warn(
                    f"precision of +/-{precision:g} working days on P{q:g} not "
                    f"reached after {runs.iterations:,} runs (+/-{half:.3g}); raise max_iterations",
                    RuntimeWarning,
                    stacklevel=stacklevel,
                )
        forecast.precision = precision
        mitigation = self.mitigation
        forecast.mitigation = mitigation if isinstance(mitigation, str) else sorted(mitigation)
        if self.free is not None:
            forecast.levelling = self.levelling
            if len(self._started) > 1:
                unlimited = self._started[1].runs()
            else:
                unlimited = run(self.free, self.seed, runs.iterations, **options)
            forecast.unlevelled = Forecast.from_runs(project, self.free, unlimited)
        return forecast


def mitigated_risks(mitigation: str | Iterable[str]) -> bool | set[str]:
    """The ``mitigated`` argument of :func:`compile_project` for a scenario name or id list."""
    if isinstance(mitigation, str):
        if mitigation in ("pre", "post"):
            return mitigation == "post"
        return {part.strip() for part in mitigation.split(",") if part.strip()}
    return set(mitigation)
