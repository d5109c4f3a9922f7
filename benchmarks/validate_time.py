"""Time to check a plan, against its size: ``riskcast.validate`` (structure) and
``riskcast.schedule_warnings`` (schedule quality), as ``riskcast validate`` runs them.

    python benchmarks/validate_time.py

Both should grow about linearly with the tasks. Prints a table; it asserts nothing.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from networks import layered_project

import riskcast as rc


def main() -> None:
    print(f"{'tasks':>7} {'validate':>9} {'warnings':>9} {'per 1,000 tasks':>16}")
    for n in (1_000, 5_000, 20_000, 50_000):
        project = layered_project(n)
        fresh = dataclasses.replace(project)  # validate() remembers a plan it passed
        start = time.perf_counter()
        rc.validate(fresh)
        checked = time.perf_counter()
        rc.schedule_warnings(fresh)
        done = time.perf_counter()
        print(
            f"{n:>7,} {checked - start:>8.2f}s {done - checked:>8.2f}s "
            f"{(done - start) / n * 1000:>15.3f}s"
        )


if __name__ == "__main__":
    main()
