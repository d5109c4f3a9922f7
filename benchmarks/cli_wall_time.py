"""Wall time of ``riskcast run`` end to end, as a user feels it: process start to charts written.

Runs the 120-task model (models/platform-release.toml) at 10,000 iterations:

* cold -- an empty numba cache (NUMBA_CACHE_DIR set to a fresh temp folder): kernels compile;
* warm -- the same cache, now filled (best of REPEATS runs);
* warm, --no-charts -- to separate simulation from chart rendering;
* import -- ``python -c "import riskcast.cli"`` alone.

    python benchmarks/cli_wall_time.py [--repeats 3] [--model PATH] [--iterations N]

Prints a table; it asserts nothing (benchmarks are not tests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "platform-release.toml"))
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="riskcast-bench-"))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(work / "numba-cache"))
    run = [
        sys.executable,
        "-m",
        "riskcast",
        "run",
        args.model,
        "--iterations",
        str(args.iterations),
        "--seed",
        "7",
        "--quiet",
    ]
    try:
        rows = []
        out = work / "cold"
        rows.append(("cold (empty numba cache)", timed([*run, "--out", str(out)], env)))
        charts = len(list((out / "charts").iterdir()))
        warm = []
        for k in range(args.repeats):
            warm.append(timed([*run, "--out", str(work / f"warm{k}")], env))
        rows.append((f"warm, {charts} charts (best of {args.repeats})", min(warm)))
        bare = [
            timed([*run, "--out", str(work / f"bare{k}"), "--no-charts"], env)
            for k in range(args.repeats)
        ]
        rows.append((f"warm, --no-charts (best of {args.repeats})", min(bare)))
        imports = [
            timed([sys.executable, "-c", "import riskcast.cli"], env) for _ in range(args.repeats)
        ]
        rows.append(("python -c 'import riskcast.cli'", min(imports)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"riskcast run {Path(args.model).name} --iterations {args.iterations:,} "
        f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]})"
    )
    width = max(len(name) for name, _ in rows)
    print(f"{'case':<{width}}  wall time")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
