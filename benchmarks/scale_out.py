"""Simulations on a local Dask cluster against the in-process engine: throughput, the overhead per
block, the block size that keeps it under 5 %, and the cluster a 10,000-task, 10-million-run job
needs to finish within a minute.

    python benchmarks/scale_out.py            # 200 tasks x 131,072 runs
    python benchmarks/scale_out.py --quick    # 200 tasks x 32,768 runs

Every cluster run is first checked to give the in-process result bit for bit. The workers are
single-thread processes (numba limited to one thread each), so "1 worker" is one core.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from networks import best_of, layered_project

from riskcast.compile import compile_project
from riskcast.engine.blocks import kept_columns, simulate_block
from riskcast.engine.distributed import DEFAULT_BLOCK, open_client
from riskcast.engine.kernels import CHUNK
from riskcast.engine.run import run

TARGET_OVERHEAD = 0.05
PAPER_TASKS, PAPER_RUNS, PAPER_SECONDS = 10_000, 10_000_000, 60.0  # activities, runs, s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tasks", type=int, default=200)
    args = parser.parse_args()

    runs = (32 if args.quick else 128) * CHUNK
    network = compile_project(layered_project(args.tasks))
    n = network.n
    seed = 1
    reference = run(network, seed, runs, threads=1)
    local_1 = best_of(lambda: run(network, seed, runs, threads=1), 2)
    local_2 = best_of(lambda: run(network, seed, runs, threads=2), 2)
    # compute time of one block alone, one thread, in this process
    import numba

    numba.set_num_threads(1)
    kept = kept_columns(n, runs)
    per_run = {
        size: best_of(lambda s=size: simulate_block(network, seed, 0, s, True, kept), 3) / size
        for size in (CHUNK, 16 * CHUNK)
    }
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    run_seconds = per_run[16 * CHUNK]

    rows = [("in-process, 1 thread", local_1), ("in-process, 2 threads", local_2)]
    overhead_rows = []
    for workers in (1, 2):
        with open_client(f"local:{workers}") as client:  # as riskcast run --dask local:N
            run(network, seed, 4 * CHUNK, executor=client, block=CHUNK)  # workers load kernels

            def remote(block: int, c=client) -> object:
                return run(network, seed, runs, executor=c, block=block)

            result = remote(DEFAULT_BLOCK)
            assert np.array_equal(result.finishes, reference.finishes)
            assert np.array_equal(result.sums, reference.sums)
            rows.append(
                (
                    f"Dask, {workers} worker{'s' * (workers > 1)}",
                    best_of(lambda: remote(DEFAULT_BLOCK), 2),
                )
            )
            if workers == 1:  # one worker: the same runs in blocks of several sizes
                for block in (CHUNK, 4 * CHUNK, 16 * CHUNK, DEFAULT_BLOCK):
                    seconds = best_of(lambda b=block: remote(b), 2)
                    overhead_rows.append((block, math.ceil(runs / block), seconds))

    print(f"{n} activities, {runs:,} runs, machine with {os.cpu_count()} cores")
    print(f"{'':24} {'seconds':>8} {'runs/s':>12} {'vs 1 thread':>12}")
    for name, seconds in rows:
        print(f"{name:24} {seconds:8.3f} {runs / seconds:12,.0f} {local_1 / seconds:11.2f}x")
    print()
    # Wall time = fixed costs (scatter, the kept runs' transfer, the merge) + blocks x (overhead +
    # compute), and the compute of all blocks together is the same: the slope of the wall time
    # over the number of blocks is the overhead per block.
    blocks = np.array([b for _, b, _ in overhead_rows], float)
    seconds = np.array([s for _, _, s in overhead_rows])
    overhead, fixed = np.polyfit(blocks, seconds, 1)
    print(f"{'block (runs)':>12} {'blocks':>7} {'seconds':>8} {'per block':>10}  (1 worker)")
    for block, count, wall in overhead_rows:
        print(f"{block:12,} {count:7} {wall:8.3f} {wall / count * 1e3:8.2f}ms")
    print(f"fit: {fixed:.3f} s + blocks x {overhead * 1e3:.2f} ms")
    # overhead / (overhead + block * run_seconds) < 5 %  <=>  block > 19 * overhead / run_seconds
    needed = (1 - TARGET_OVERHEAD) / TARGET_OVERHEAD * overhead / run_seconds
    print()
    print(
        f"overhead per block ~ {overhead * 1e3:.2f} ms; one run of {n} activities "
        f"{run_seconds * 1e6:.2f} us on one core ({run_seconds / n * 1e9:.1f} ns per activity)"
    )
    print(
        f"under 5 % overhead: blocks of at least 19 x {overhead * 1e3:.2f} ms / "
        f"{run_seconds * 1e6:.2f} us = {needed:,.0f} runs "
        f"({math.ceil(needed / CHUNK)} chunks; default {DEFAULT_BLOCK:,})"
    )
    per_task_run = run_seconds / n
    blocks = math.ceil(PAPER_RUNS / DEFAULT_BLOCK)
    compute = PAPER_RUNS * PAPER_TASKS * per_task_run
    core_seconds = compute + blocks * overhead
    cores = math.ceil(core_seconds / PAPER_SECONDS)
    # what travels back to the client: per chunk of 1,024 runs, 4 float sums per activity
    # (merged in run order: the price of bit-identical sums), and 8 bytes per run and target
    sums_bytes = math.ceil(PAPER_RUNS / CHUNK) * 4 * PAPER_TASKS * 8
    print()
    print(
        f"on paper: a plan of {PAPER_TASKS:,} activities, {PAPER_RUNS:,} runs, "
        f"{blocks} blocks of {DEFAULT_BLOCK:,} runs, at {per_task_run * 1e9:.1f} ns per "
        f"activity and run (measured above)"
    )
    print(
        f"  compute  {PAPER_RUNS:.0e} x {PAPER_TASKS:,} x {per_task_run * 1e9:.1f} ns = "
        f"{compute:,.0f} core-s"
    )
    print(f"  overhead {blocks} x {overhead * 1e3:.2f} ms = {blocks * overhead:,.1f} core-s")
    print(
        f"  {core_seconds:,.0f} core-s / {PAPER_SECONDS:.0f} s = {cores} single-thread workers "
        f"(at most {blocks} can be busy)"
    )
    print(
        f"  to the client: {sums_bytes / 1e9:.1f} GB of per-chunk sums "
        f"({sums_bytes / PAPER_SECONDS / 1e6:.0f} MB/s over the minute) + 8 bytes per run and "
        f"target"
    )


if __name__ == "__main__":
    main()
