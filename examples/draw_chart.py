"""Draw a milestone's S-curve and the roadmap confidence chart to PNG files.

python examples/draw_chart.py [MODEL] [--milestone ID] [--iterations N] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import riskcast as rc
from riskcast import plotting

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "model", nargs="?", default=HERE.parent / "models" / "checkout-redesign.toml"
    )
    parser.add_argument("--milestone", default="beta")
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=Path("out"))
    args = parser.parse_args()

    forecast = rc.simulate(rc.load(args.model), iterations=args.iterations, seed=7)
    args.out.mkdir(parents=True, exist_ok=True)
    # Each chart function returns its Axes; pass ax=... to draw into your own figure instead.
    ax = plotting.scurve(forecast, args.milestone, confidence=80)
    print("wrote", plotting.save(ax, args.out / f"scurve-{args.milestone}.png"))
    print("wrote", plotting.save(plotting.roadmap(forecast), args.out / "roadmap.png"))


if __name__ == "__main__":
    main()
