"""How busy each limited resource pool is over time, from the runs kept in full.

A task holds its units from its start to its finish (clock time). Per run, a pool's usage in day
d of the plan's clock (a working day of the project calendar, or a calendar day when tasks work
on several calendars) is its time-weighted mean over that day: the units in use, averaged. Across
the kept runs each day has a distribution of usage; the forecast reports its median and 90th
percentile, with the pool's capacity that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine.blocks import by_activity

if TYPE_CHECKING:
    from .compile import Network
    from .engine.run import Runs

MAX_DAYS = 20_000  # buckets drawn: past about 55 years of plan the tail is not a usage profile
RUNS = 1_024  # kept runs the bands use: a P90 per day to about +/-1 percentile point


def daily_usage(
    starts: np.ndarray, finishes: np.ndarray, units: np.ndarray, days: int
) -> np.ndarray:
    """Units in use per run and day: float64 (runs, days).

    ``starts`` and ``finishes`` are (tasks, runs) clock times of the tasks that need the pool,
    ``units`` (tasks,) what each holds from its start to its finish. Each interval adds
    ``units`` times its overlap with each day, by weighted counts and a difference array of the
    whole days it covers (no loop over days or intervals).
    """
    runs = starts.shape[1]
    width = days + 2
    s = np.clip(starts, 0.0, days)
    f = np.clip(finishes, 0.0, days)
    keep = f > s
    u = np.broadcast_to(units[:, None], s.shape)[keep]
    row = np.broadcast_to(np.arange(runs)[None, :] * width, s.shape)[keep]
    s, f = s[keep], f[keep]
    first, last = np.floor(s).astype(np.int64), np.floor(f).astype(np.int64)
    same = first == last
    o = ~same
    # partial days: the interval inside one day, or its first and last day
    cells = np.concatenate((row[same] + first[same], row[o] + first[o], row[o] + last[o]))
    amounts = np.concatenate(
        (u[same] * (f[same] - s[same]), u[o] * (first[o] + 1 - s[o]), u[o] * (f[o] - last[o]))
    )
    out = np.bincount(cells, amounts, minlength=runs * width).reshape(runs, width)
    # whole days between: +u from the day after the first, -u from the last
    edges = np.concatenate((row[o] + first[o] + 1, row[o] + last[o]))
    steps = np.concatenate((u[o], -u[o]))
    full = np.bincount(edges, steps, minlength=runs * width).reshape(runs, width)
    out += np.cumsum(full, axis=1)
    return out[:, :days]


def usage_bands(runs: Runs, network: Network) -> dict[str, dict[str, np.ndarray]]:
    """Per limited pool: ``p50``, ``p90`` and ``mean`` units in use per clock day over the first
    :data:`RUNS` kept runs, and ``capacity`` per day (float64 (days,) each), for days 0 .. the
    last finish in those runs."""
    kept = min(runs.kept, RUNS)
    if kept == 0 or not network.pool_ids:
        return {}
    finishes = by_activity(runs.kept_finish, kept).astype(np.float64)
    starts = by_activity(runs.kept_start, kept).astype(np.float64)
    days = int(min(MAX_DAYS, max(1.0, np.ceil(float(finishes.max(initial=0.0))))))
    out = {}
    for p, pool in enumerate(network.pool_ids):
        rows, units = [], []
        for j in range(network.n):
            for e in range(network.dem_ptr[j], network.dem_ptr[j + 1]):
                if network.dem_pool[e] == p:
                    rows.append(j)
                    units.append(network.dem_units[e])
        use = daily_usage(starts[rows], finishes[rows], np.array(units), days)
        c0, c1 = network.cap_ptr[p], network.cap_ptr[p + 1]
        steps = np.searchsorted(network.cap_time[c0:c1], np.arange(days), side="right") - 1
        p50, p90 = np.percentile(use, (50, 90), axis=0)
        out[pool] = {
            "p50": p50,
            "p90": p90,
            "mean": use.mean(axis=0),
            "capacity": network.cap[c0:c1][steps],
        }
    return out


@dataclass
class PoolReport:
    """What the limited pools did in a levelled simulation.

    ``critical`` int64 (M + 1, P): runs in which pool p held back a task critical for target t
    (milestones, then the project finish); ``usage``: :func:`usage_bands` per pool.
    """

    ids: tuple[str, ...]
    critical: np.ndarray
    iterations: int
    usage: dict[str, dict[str, np.ndarray]]

    @classmethod
    def from_runs(cls, runs: Runs, network: Network) -> PoolReport:
        return cls(
            network.pool_ids, runs.pool_critical, runs.iterations, usage_bands(runs, network)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ids": list(self.ids),
            "critical": self.critical.tolist(),
            "iterations": self.iterations,
            "usage": {p: {k: v.tolist() for k, v in b.items()} for p, b in self.usage.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PoolReport:
        return cls(
            tuple(data["ids"]),
            np.asarray(data["critical"], np.int64).reshape(-1, len(data["ids"])),
            int(data["iterations"]),
            {
                p: {k: np.asarray(v, np.float64) for k, v in b.items()}
                for p, b in data["usage"].items()
            },
        )
