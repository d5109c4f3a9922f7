"""How good each priority rule is: levelled PSPLIB makespans against the optimum.

    python benchmarks/psplib_rules.py

Every single-mode PSPLIB instance in tests/data/psplib and ../shared/data/psplib (with fixed
durations, one levelled schedule each) under both schemes and every priority rule; the table
prints the mean and worst deviation from the instance's optimal makespan (the best known for
j120) and how many instances the rule solves optimally.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_import_psplib import FILES, optimum  # noqa: E402

import riskcast as rc  # noqa: E402
from riskcast.compile import compile_project  # noqa: E402
from riskcast.engine.run import forward_pass  # noqa: E402
from riskcast.resources import PRIORITY_RULES, levelled  # noqa: E402


def main() -> None:
    paths = [p.values[0] for p in FILES]
    seen, cases = set(), []
    for path in paths:
        best = optimum(path)
        if best is None or path.name in seen:
            continue
        seen.add(path.name)
        cases.append((rc.load(path), best))
    print(f"{len(cases)} PSPLIB instances with a known optimum (fixed durations)")
    print(f"{'scheme':<10}{'rule':<14}{'mean dev.':>10}{'worst':>8}{'optimal':>9}")
    for scheme in ("parallel", "serial"):
        for rule in PRIORITY_RULES:
            devs = []
            for project, best in cases:
                network = levelled(compile_project(project), scheme, rule)
                _, finish = forward_pass(network, network.plan_duration)
                devs.append(finish.max() / best - 1)
            mean = 100 * sum(devs) / len(devs)
            optimal = sum(d < 1e-9 for d in devs)
            print(f"{scheme:<10}{rule:<14}{mean:>9.1f}%{100 * max(devs):>7.1f}%{optimal:>9}")


if __name__ == "__main__":
    main()
