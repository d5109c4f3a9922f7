"""Engine throughput: task-iterations per second against a plain numpy implementation.

    python benchmarks/engine_throughput.py            # 100 / 1,000 / 10,000 tasks, 10,000 runs
    python benchmarks/engine_throughput.py --quick    # 100 / 1,000 tasks only

The headline is the whole job at 1,000 tasks x 100,000 runs: ``simulate()`` with criticality
towards every target and the sensitivity (Spearman) asked for, against the *floor* (the engine
drawing the durations and running one forward pass, nothing else: ``run(full=False)``) and against
numpy doing the same job, all in the same process; then the same at 10,000 runs (the CLI default),
whose rate should stay within 1.5x of the 100,000-run rate.

Both implementations simulate the same generated layered networks (about 2.5 predecessors per
task; PERT, triangular, uniform and lognormal estimates; FS/SS/FF links with lags; three
milestones) and count criticality towards every milestone and the project finish. numpy is
vectorised over iterations (in chunks of 1,000 so its memory stays bounded). Compile time is
measured separately: cold (empty numba cache, in a fresh process) and warm (cache filled).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from networks import best_of, layered_project

import riskcast as rc
from riskcast import compile as cp
from riskcast.engine.run import run

ITERATIONS = 10_000


def numpy_simulation(
    net: cp.Network, project: rc.Project, seed: int, iterations: int, keep_durations: bool = False
) -> dict:
    """The same simulation, vectorised over iterations with numpy: sampling, forward pass,
    milestone finishes, and criticality by a backward pass per target."""
    rng = np.random.default_rng(seed)
    n = net.n
    dists = {net.index(t.id): t.estimate for t in project.tasks}
    targets = [*net.milestone_idx.tolist(), -1]
    finishes = np.empty((len(targets), iterations))
    critical = np.zeros((len(targets), n), np.int64)
    kept = []
    succ = [[] for _ in range(n)]
    for j in range(n):
        for e in range(net.pred_ptr[j], net.pred_ptr[j + 1]):
            succ[net.pred_idx[e]].append((j, net.pred_type[e], net.pred_lag[e]))
    for first in range(0, iterations, 1000):
        c = min(1000, iterations - first)
        d = np.zeros((n, c))
        for j, dist in dists.items():
            if isinstance(dist, rc.Pert):
                a, b = dist.shape
                d[j] = dist.low + (dist.high - dist.low) * rng.beta(a, b, c)
            elif isinstance(dist, rc.Triangular):
                d[j] = rng.triangular(dist.low, dist.mode, dist.high, c)
            elif isinstance(dist, rc.Uniform):
                d[j] = rng.uniform(dist.low, dist.high, c)
            elif isinstance(dist, rc.LogNormal):
                d[j] = np.exp(dist.mu + dist.sigma * rng.standard_normal(c))
            else:
                d[j] = dist.mean
        es = np.empty((n, c))
        ef = np.empty((n, c))
        for j in range(n):
            s = np.full(c, net.start_floor[j])
            for e in range(net.pred_ptr[j], net.pred_ptr[j + 1]):
                i, kind, lag = net.pred_idx[e], net.pred_type[e], net.pred_lag[e]
                base = ef[i] if kind in (0, 2) else es[i]
                np.maximum(s, base + lag - (d[j] if kind >= 2 else 0.0), out=s)
            es[j] = s
            ef[j] = s + d[j]
        project_finish = ef.max(axis=0)
        for k, t in enumerate(targets):
            finishes[k, first : first + c] = project_finish if t < 0 else ef[t]
            ls = np.full((n, c), np.inf)
            if t < 0:
                ls[:] = project_finish - d
            else:
                ls[t] = es[t]
            for j in range(n - 1, -1, -1):
                for s_, kind, lag in succ[j]:
                    if kind == 0:
                        bound = ls[s_] - lag - d[j]
                    elif kind == 1:
                        bound = ls[s_] - lag
                    elif kind == 2:
                        bound = ls[s_] + d[s_] - lag - d[j]
                    else:
                        bound = ls[s_] + d[s_] - lag
                    np.minimum(ls[j], bound, out=ls[j])
            critical[k] += (ls - es <= 1e-9).sum(axis=1)
        if keep_durations:
            kept.append(d)
    out = {"finishes": finishes, "critical": critical}
    if keep_durations:
        out["durations"] = np.concatenate(kept, axis=1)
    return out


def numpy_sensitivity(net: cp.Network, project: rc.Project, seed: int, kept: int) -> np.ndarray:
    """numpy's part of the sensitivity: Spearman of the first ``kept`` runs' durations with the
    finishes (durations redrawn here, so the time is an upper bound of the work)."""
    from scipy.stats import rankdata

    out = numpy_simulation(net, project, seed, kept, keep_durations=True)
    x = rankdata(out["durations"], axis=1)
    y = rankdata(out["finishes"], axis=1)
    x -= x.mean(axis=1, keepdims=True)
    y -= y.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):  # fixed durations have no ranks
        return (y @ x.T) / np.outer(np.linalg.norm(y, axis=1), np.linalg.norm(x, axis=1))


def headline(tasks: int = 1_000, iterations: int = 100_000, numpy_too: bool = True) -> None:
    """The whole job at ``tasks`` x ``iterations`` and at a tenth of the runs (see the module)."""
    project = layered_project(tasks)
    net = cp.compile_project(project)
    run(net, 1, 1024)
    rc.simulate(project, iterations=1024, seed=1).sensitivity("ga")  # load every kernel
    # each size gets about the same time of measuring: best of 3 long runs, of 10 short ones
    print(f"\nthe whole job, {tasks:,} tasks (criticality to 4 targets, sensitivity), best of 3/10")
    print(f"{'runs':>9} {'simulate()':>11} {'Mtask-it/s':>11} {'floor':>8} {'vs floor':>9}")
    rates = {}
    for n in (iterations, iterations // 10):
        repeat = 3 if n == iterations else 10
        total = best_of(
            lambda n=n: rc.simulate(project, iterations=n, seed=1).sensitivity("ga"), repeat
        )
        floor = best_of(lambda n=n: run(net, 1, n, full=False), repeat)
        rates[n] = tasks * n / total
        print(
            f"{n:>9,} {total:>10.3f}s {rates[n] / 1e6:>11.0f} {floor:>7.3f}s {total / floor:>8.2f}x"
        )
    print(
        f"{iterations // 10:,} runs at {rates[iterations] / rates[iterations // 10]:.2f}x the "
        f"time per task-iteration of {iterations:,} runs"
    )
    if numpy_too:
        start = time.perf_counter()
        numpy_simulation(net, project, 1, iterations)
        numpy_sensitivity(net, project, 1, rc.simulate(project, iterations=1024).kept_iterations)
        numpy_s = time.perf_counter() - start
        print(
            f"numpy, same job, {iterations:,} runs: {numpy_s:.1f} s "
            f"({tasks * iterations / numpy_s / 1e6:.1f} Mtask-it/s): riskcast "
            f"{numpy_s * rates[iterations] / (tasks * iterations):.0f}x faster"
        )


def compile_times() -> tuple[float, float]:
    """Seconds to import riskcast and run a first tiny simulation, cold cache and warm cache."""
    code = (
        "import time; t = time.perf_counter(); import riskcast as rc; "
        "p = rc.Project('x', '2027-01-04', (rc.Task('a', rc.Pert(1, 2, 4)),), "
        "(rc.Milestone('m', ('a',)),)); rc.simulate(p, iterations=100, seed=1); "
        "print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = [
            float(subprocess.check_output([sys.executable, "-c", code], env=env, text=True))
            for _ in range(2)
        ]
    return out[0], out[1]


def peak_memory_mb(n_tasks: int, iterations: int) -> float:
    """Peak resident memory (MB) of a fresh process simulating a layered network."""
    code = (
        "import resource, sys; sys.path.insert(0, 'benchmarks'); "
        "from networks import best_of, layered_project; import riskcast as rc; "
        f"f = rc.simulate(layered_project({n_tasks}), iterations={iterations}, seed=1); "
        "f.sensitivity('ga'); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    root = Path(__file__).parent.parent
    return float(subprocess.check_output([sys.executable, "-c", code], cwd=root, text=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10,000-task network")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory run")
    parser.add_argument("--no-numpy", action="store_true", help="skip numpy in the headline")
    args = parser.parse_args()
    headline(numpy_too=not args.no_numpy)
    sizes = (100, 1_000) if args.quick else (100, 1_000, 10_000)
    import numba

    print(f"riskcast engine, {ITERATIONS:,} iterations, {numba.get_num_threads()} threads")
    print(
        f"{'tasks':>7} {'compile':>9} {'riskcast':>10} {'Mtask-it/s':>11} {'numpy':>9} "
        f"{'Mtask-it/s':>11} {'speed-up':>9} {'simulate()':>11}"
    )
    for n in sizes:
        project = layered_project(n)
        start = time.perf_counter()
        net = cp.compile_project(project)
        compile_s = time.perf_counter() - start
        run(net, 1, 1024)  # load the kernel
        engine_s = best_of(lambda net=net: run(net, 1, ITERATIONS))
        numpy_s = best_of(lambda net=net, p=project: numpy_simulation(net, p, 1, ITERATIONS), 1)
        total_s = best_of(
            lambda p=project: rc.simulate(p, iterations=ITERATIONS, seed=1).sensitivity("ga"), 1
        )
        work = n * ITERATIONS
        print(
            f"{n:>7,} {compile_s:>8.3f}s {engine_s:>9.3f}s {work / engine_s / 1e6:>11.0f} "
            f"{numpy_s:>8.2f}s {work / numpy_s / 1e6:>11.1f} {numpy_s / engine_s:>8.0f}x "
            f"{total_s:>10.3f}s"
        )
    cold, warm = compile_times()
    print(f"import + first simulate: {cold:.2f} s with a cold numba cache, {warm:.2f} s warm")
    project = layered_project(100)
    rc.simulate(project, iterations=ITERATIONS, seed=1)
    warm_100 = best_of(lambda: rc.simulate(project, iterations=ITERATIONS, seed=1))
    print(f"warm simulate(), 100 tasks x {ITERATIONS:,} runs: {warm_100:.3f} s")
    if not args.no_memory:
        mb = peak_memory_mb(10_000, 100_000)
        print(f"peak memory, 10,000 tasks x 100,000 runs (incl. sensitivity): {mb:.0f} MB")


if __name__ == "__main__":
    main()
