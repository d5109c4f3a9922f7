"""``simulate``: Project -> compile -> engine -> Forecast."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .compile import Network, compile_project, forward_pass
from .engine.kernels import CHUNK
from .engine.run import Runs, normalise_seed, run
from .errors import RiskcastError
from .forecast import FINISH_ID, Forecast, MilestoneForecast, percentile_index, percentile_ranks
from .model import Project

MAX_ITERATIONS = 2_000_000  # the precision rule stops here at the latest
STATS_SLICE = 256  # tasks whose kept runs are ranked together
MAX_FINISH_BYTES = 4 * 2**30  # the per-run milestone finishes a simulation may keep


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..K along the last axis of ``x`` (T, K), ties sharing their average rank (as
    ``scipy.stats.rankdata``; in numpy so that a run does not import scipy.stats)."""
    rows, k = x.shape
    order = np.argsort(x, axis=1)  # ties are averaged below, so any order among them will do
    ordered = np.take_along_axis(x, order, axis=1)
    starts = np.ones((rows, k), bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(starts.ravel()) - 1  # one id per run of equal values, across all rows
    position = np.tile(np.arange(1.0, k + 1.0), rows)
    mean = np.bincount(group, position) / np.bincount(group)
    ranks = np.empty((rows, k))
    np.put_along_axis(ranks, order, mean[group].reshape(rows, k), axis=1)
    return ranks


def _centred_ranks(x: np.ndarray) -> np.ndarray:
    ranks = average_ranks(x)
    return ranks - ranks.mean(axis=1, keepdims=True)


def _spearman(kept: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``kept`` (n, K) with each row of ``y``, the centred
    ranks of the targets' finishes (T, K); rows without spread get 0. Returns (T, n)."""
    if kept.shape[1] < 3:
        return np.zeros((y.shape[0], kept.shape[0]))
    x = _centred_ranks(kept)
    norm = np.sqrt((y * y).sum(axis=1))[:, None] * np.sqrt((x * x).sum(axis=1))[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (y @ x.T) / norm
    return np.where(norm > 0, rho, 0.0)


def _forecast(project: Project, network: Network, runs: Runs) -> Forecast:
    n_iter = runs.iterations
    task_ids = [t.id for t in project.tasks]
    tasks = np.array([network.index(id) for id in task_ids], np.int64)
    plan_start, plan_finish = forward_pass(network, network.plan_duration)

    mean_start, d_sum, d2_sum = runs.sums / n_iter
    mean_finish = mean_start + d_sum  # finish = start + duration in every run
    duration_sd = np.sqrt(np.maximum(d2_sum - d_sum**2, 0.0) * n_iter / max(n_iter - 1, 1))
    stats = {
        "criticality": runs.critical[:, tasks] / n_iter,
        "risk_occurred": runs.risk_occurred / n_iter,
        "risk_critical": runs.risk_critical / n_iter,
        "plan_start": plan_start[tasks],
        "plan_finish": plan_finish[tasks],
        "mean_start": mean_start[tasks],
        "mean_finish": mean_finish[tasks],
        "duration_mean": d_sum[tasks],
        "duration_sd": duration_sd[tasks],
    }

    def kept_statistics() -> dict[str, np.ndarray]:
        """The statistics of the kept runs (ranks and sorts: computed when first asked for, a
        slice of tasks at a time so that the temporaries stay small)."""
        durations = runs.kept_rows(runs.kept_duration)
        finishes = runs.kept_rows(runs.kept_finish)
        target_ranks = _centred_ranks(runs.finishes[:, : runs.kept])
        kept = runs.kept
        parts = []
        for lo in range(0, len(tasks), STATS_SLICE):
            rows = tasks[lo : lo + STATS_SLICE]
            part = {"sensitivity": _spearman(durations[rows].astype(np.float64), target_ranks)}
            ordered = np.sort(finishes[rows], axis=1)
            for q in (10, 50, 80, 90):  # the inverted empirical CDF, as for milestones
                part[f"finish_p{q}"] = ordered[:, percentile_index(kept, q)].astype(np.float64)
            parts.append(part)
        return (
            {key: np.concatenate([p[key] for p in parts], axis=-1) for key in parts[0]}
            if parts
            else {}
        )

    targets = []
    for k, m in enumerate(project.milestones):
        j = network.milestone_idx[k]
        targets.append(
            MilestoneForecast(
                m.id,
                m.label,
                runs.finishes[k],
                float(plan_finish[j]),
                m.target,
                project.calendar,
                project.start,
            )
        )
    finish = MilestoneForecast(
        FINISH_ID,
        "Project finish",
        runs.finishes[-1],
        float(plan_finish.max()),
        None,
        project.calendar,
        project.start,
    )
    merge_points = {}
    for item in project.activities:
        if len({link.predecessor for link in item.after}) >= 2:
            j = network.index(item.id)
            merge_points[item.id] = (float(mean_start[j]), float(plan_start[j]))
    return Forecast(
        project_name=project.name,
        start=project.start,
        calendar=project.calendar,
        seed=runs.seed,
        iterations=n_iter,
        milestones=targets,
        project_finish=finish,
        task_ids=task_ids,
        task_names=[t.label for t in project.tasks],
        stats=stats,
        merge_points=merge_points,
        kept_iterations=runs.kept,
        risk_ids=[r.id for r in project.risks],
        risk_titles=[r.label for r in project.risks],
        project=project,
        deferred=kept_statistics,
    )


def _precision_reached(precision: float, confidence: float) -> Callable[[np.ndarray], bool]:
    def reached(finishes: np.ndarray) -> bool:
        rows = finishes[:-1] if finishes.shape[0] > 1 else finishes
        lo, hi = percentile_ranks(finishes.shape[1], 80, confidence)
        for row in rows:
            part = np.partition(row, (lo, hi))
            if (part[hi] - part[lo]) / 2 >= precision:
                return False
        return True

    return reached


def simulate(
    project: Project,
    iterations: int | None = None,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    *,
    precision: float | None = None,
    confidence: float = 0.95,
    max_iterations: int = MAX_ITERATIONS,
    threads: int | None = None,
    batch: int = 16 * CHUNK,
    progress: Callable[[int, int], None] | None = None,
    mitigation: str | Iterable[str] = "pre",
) -> Forecast:
    """Simulate ``project`` and return its :class:`Forecast`.

    iterations: number of runs (default 10,000), or
    precision:  working days; keep adding batches of runs until every milestone's P80 confidence
                interval (at ``confidence``) is narrower than +/- precision, up to ``max_iterations``.
    seed:       int, SeedSequence, Generator or None (a fresh seed, recorded in ``forecast.seed``).
    threads:    worker threads (default: all); results are identical for any value, as for ``batch``.
    mitigation: "pre" (risks as they are), "post" (every risk's mitigation applied) or the ids of
                the mitigated risks.
    """
    if precision is not None and iterations is not None:
        raise RiskcastError("give either iterations or precision, not both")
    if precision is not None and not (isinstance(precision, int | float) and precision > 0):
        raise RiskcastError(
            f"precision must be a positive number of working days, got {precision!r}"
        )
    total = (
        max_iterations if precision is not None else (10_000 if iterations is None else iterations)
    )
    if isinstance(total, bool) or not isinstance(total, int | np.integer) or total < 1:
        raise RiskcastError(f"iterations must be a positive integer, got {total!r}")
    network = compile_project(project, mitigated=mitigated_risks(mitigation))
    finish_bytes = 8 * (len(project.milestones) + 1) * int(total)
    if finish_bytes > MAX_FINISH_BYTES:
        raise RiskcastError(
            f"{total:,} runs would keep {finish_bytes / 2**30:.1f} GiB of milestone finishes "
            f"(limit {MAX_FINISH_BYTES / 2**30:.0f} GiB); use fewer runs or --precision"
        )
    stop = None if precision is None else _precision_reached(precision, confidence)
    if precision is not None:
        batch = max(batch, 4 * CHUNK)
    runs = run(
        network,
        normalise_seed(seed),
        int(total),
        batch=batch,
        threads=threads,
        progress=progress,
        stop=stop,
    )
    forecast = _forecast(project, network, runs)
    if precision is not None and runs.iterations >= total and not stop(runs.finishes):  # type: ignore[misc]
        import warnings

        warnings.warn(
            f"precision of +/-{precision} working days not reached after {runs.iterations} runs",
            RuntimeWarning,
            stacklevel=2,
        )
    forecast.precision = precision
    forecast.mitigation = mitigation if isinstance(mitigation, str) else sorted(mitigation)
    return forecast


def mitigated_risks(mitigation: str | Iterable[str]) -> bool | set[str]:
    """The ``mitigated`` argument of :func:`compile_project` for a scenario name or id list."""
    if isinstance(mitigation, str):
        if mitigation in ("pre", "post"):
            return mitigation == "post"
        return {part.strip() for part in mitigation.split(",") if part.strip()}
    return set(mitigation)
