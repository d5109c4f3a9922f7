"""Throughput forecasts: the exact dynamic programme against the Monte Carlo sampler.

    python benchmarks/throughput.py            # backlogs of 50 to 2,000 items, 10,000 runs
    python benchmarks/throughput.py --quick    # 500 items only

A history of 26 weeks (mean about 4.5 items a week, with some empty weeks) and a backlog of N
items (a range of N to 1.2 N with a 1.0-1.3 split, and a plain N): the time of
:func:`riskcast.throughput.when` (exact distribution, every period to the end) and of
:func:`riskcast.throughput.sample` (10,000 runs resampled week by week until done), best of
three, and their P85 for comparison. "DP periods" is how far the programme ran: until no
probability is left below the backlog (with empty weeks in the history that is where the
remaining probability underflows to 0) or the horizon of 520 weeks; a P85 of None lies beyond
the horizon (2,400 items x 1.3 at about 4 a week need some 750 weeks).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from riskcast import throughput as tp

HISTORY = [3, 5, 4, 6, 2, 0, 7, 4, 5, 3, 6, 4, 5, 2, 0, 6, 5, 4, 7, 3, 5, 4, 6, 3, 5, 4]


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 items only")
    parser.add_argument("--iterations", type=int, default=10_000)
    args = parser.parse_args()
    sizes = [500] if args.quick else [50, 500, 2000]
    header = f"{'backlog':>22}  {'DP periods':>10}  {'DP ms':>8}  {'MC ms':>8}  {'P85 DP':>6}  {'P85 MC':>6}"
    print(f"history: {len(HISTORY)} weeks, mean {sum(HISTORY) / len(HISTORY):.2f} items a week")
    print(f"Monte Carlo: {args.iterations:,} runs")
    print(header)
    for n in sizes:
        for items, split, label in (
            (n, None, f"{n} items"),
            ((n, n + n // 5), (1.0, 1.3), f"{n}..{n + n // 5} x1.0..1.3"),
        ):
            dp_s, exact = best_of(
                lambda items=items, split=split: tp.when(HISTORY, items, split=split)
            )
            mc_s, runs = best_of(
                lambda items=items, split=split: tp.sample(
                    HISTORY, items, args.iterations, seed=1, split=split
                )
            )
            print(
                f"{label:>22}  {len(exact.survival) - 1:>10}  {1e3 * dp_s:>8.1f}  "
                f"{1e3 * mc_s:>8.1f}  {exact.percentile(85)!s:>6}  {runs.percentile(85)!s:>6}"
            )


if __name__ == "__main__":
    main()
