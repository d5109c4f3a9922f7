"""Forecast a model with the Python API and print each milestone's confidence table.

python examples/forecast_table.py [MODEL] [--iterations N] [--seed S]
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
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    project = rc.load(args.model)
    forecast = rc.simulate(project, iterations=args.iterations, seed=args.seed)
    print(f"{forecast.project_name}: {forecast.iterations:,} runs, seed {forecast.seed}")
    print(f"{'milestone':<24} {'plan':<10}  {'P50':<10}  {'P80':<10}  {'P95':<10}  on target")
    for row in forecast.summary():
        odds = row["probability_of_target"]
        print(
            f"{row['name']:<24} {row['plan']}  {row['p50']}  {row['p80']}  {row['p95']}  "
            + ("-" if odds is None else f"{odds:.0%}")
        )
    finish = forecast.milestone()  # the project finish
    print("\nMost critical tasks for the project finish:")
    crit = forecast.criticality()
    for task_id in sorted(crit, key=crit.get, reverse=True)[:5]:
        print(f"  {task_id:<16} critical in {crit[task_id]:.0%} of runs")
    print(f"Project finish P80: {finish.percentile(80)}")


if __name__ == "__main__":
    main()
