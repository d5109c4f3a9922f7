"""Two seeds, same model: do the P80 dates really differ? Compare them with their Monte Carlo
confidence intervals. Overlapping intervals mean the difference is simulation noise.

    python examples/compare_seeds.py [MODEL] [--iterations N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import riskcast as rc

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "model", nargs="?", default=HERE.parent / "models" / "checkout-redesign.toml"
    )
    parser.add_argument("--iterations", type=int, default=20_000)
    args = parser.parse_args()

    project = rc.load(args.model)
    a = rc.simulate(project, iterations=args.iterations, seed=1)
    b = rc.simulate(project, iterations=args.iterations, seed=2)
    print(f"P80 per milestone, seeds 1 and 2, {args.iterations:,} runs each (95% intervals)")
    for ma, mb in zip(a.targets, b.targets, strict=True):
        lo_a, hi_a = ma.percentile_interval_days(80)
        lo_b, hi_b = mb.percentile_interval_days(80)
        overlap = lo_a <= hi_b and lo_b <= hi_a
        verdict = "same within noise" if overlap else "DIFFERENT: run more iterations"
        print(
            f"  {ma.name:<22} seed 1: {ma.percentile(80)} [{lo_a:.1f}, {hi_a:.1f}] wd   "
            f"seed 2: {mb.percentile(80)} [{lo_b:.1f}, {hi_b:.1f}] wd   {verdict}"
        )


if __name__ == "__main__":
    main()
