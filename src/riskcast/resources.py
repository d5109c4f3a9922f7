"""Limited resource pools: their validation, their arrays for the engine, and priority rules.

A pool with a ``capacity`` levels the tasks that need it in every run (engine/levelling.py): the
schedule generation scheme (``scheme``) decides, and a priority order breaks ties: first each
task's own ``priority`` (higher first), then the ``priority`` rule, then model order.

Rules, all computed once on the plan (the most likely durations, no resource limits):

* ``listed``: model order;
* ``lft``: the earliest late finish first (latest finish time, from a backward pass);
* ``min-slack``: least total float first;
* ``max-duration``: the longest task first.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine.codes import FF, FS, SS
from .engine.levelling import PARALLEL, SERIAL
from .errors import ArgumentError
from .suggest import suggestion

if TYPE_CHECKING:
    from .compile import Network

SCHEMES = {"parallel": PARALLEL, "serial": SERIAL}
PRIORITY_RULES = ("listed", "lft", "min-slack", "max-duration")
MAX_UNITS = 1e9  # a capacity or demand beyond this is a typo, not a team


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_UNITS
    )


def resource_problems(project: Any) -> list[str]:
    """Every problem of the pools and the tasks' demands, each with its place."""
    problems: list[str] = []
    pools: dict[str, Any] = {}
    for k, res in enumerate(project.resources):
        place = f'resource "{res.id}"' if isinstance(res.id, str) else f"resource[{k}]"
        if not isinstance(res.id, str) or not res.id.strip():
            problems.append(f"{place}: id must be a non-empty string")
            continue
        if res.id in pools:
            problems.append(f"{place}: duplicate resource id; ids must be unique")
            continue
        pools[res.id] = res
        if res.capacity is not None and not (_number(res.capacity) and res.capacity >= 0):
            problems.append(
                f"{place} > capacity: must be a number of units >= 0 (omit it for an unlimited "
                f"pool), got {res.capacity!r}"
            )
        dates = set()
        for c, change in enumerate(res.changes):
            where = f"{place} > changes[{c}]"
            if res.capacity is None:
                problems.append(f"{where}: a capacity change needs a capacity; give one")
            if not (_number(change.capacity) and change.capacity >= 0):
                problems.append(
                    f"{where} > capacity: must be a number >= 0, got {change.capacity!r}"
                )
            if change.date in dates:
                problems.append(f"{where}: a second change on {change.date}; keep one")
            dates.add(change.date)
            if change.date <= project.start:
                problems.append(
                    f"{where}: {change.date} is not after the project start ({project.start}); "
                    "give the capacity at the start as the resource's capacity"
                )
    for task in project.tasks:
        for a, assignment in enumerate(task.assignments):
            where = f'task "{task.id}" > assignments[{a}]'
            if not (_number(assignment.units) and assignment.units >= 0):
                problems.append(f"{where} > units: must be a number >= 0, got {assignment.units!r}")
                continue
            pool = pools.get(assignment.resource)
            if pool is None:
                problems.append(
                    f'{where}: unknown resource "{assignment.resource}"'
                    + suggestion(assignment.resource, pools)
                )
                continue
            if pool.capacity is None or not _number(pool.capacity):
                continue
            final = final_capacity(pool)
            if _number(final) and assignment.units > final:
                problems.append(
                    f'{where}: needs {assignment.units:g} of "{pool.id}", which has {final:g} '
                    + ("from its last change on" if pool.changes else "at most")
                    + "; the task could never run. Lower the units or raise the capacity"
                )
        priority = getattr(task, "priority", None)
        if priority is not None and not _number(priority):
            problems.append(f'task "{task.id}" > priority: must be a number, got {priority!r}')
    return problems


def final_capacity(pool: Any) -> float:
    """The capacity a pool keeps after its last change."""
    if not pool.changes:
        return pool.capacity
    return max(pool.changes, key=lambda c: c.date).capacity


def pool_arrays(project: Any, order: list[str], clock: Any) -> dict[str, Any]:
    """The limited pools (capacity given) as the engine reads them: each task's demand (CSR
    over the network order) and each pool's capacity steps on the plan's clock."""
    limited = [r for r in project.resources if r.capacity is not None]
    pool_of = {r.id: p for p, r in enumerate(limited)}
    by_id = {t.id: t for t in project.tasks}
    dem_ptr, dem_pool, dem_units = [0], [], []
    for id in order:
        task = by_id.get(id)
        need: dict[int, float] = {}
        for assignment in getattr(task, "assignments", ()):
            p = pool_of.get(assignment.resource)
            if p is not None:
                need[p] = need.get(p, 0.0) + float(assignment.units)
        dem_pool += list(need)
        dem_units += list(need.values())
        dem_ptr.append(len(dem_pool))
    cap_ptr, cap_time, cap = [0], [], []
    for pool in limited:
        steps = [(-np.inf, float(pool.capacity))]
        steps += sorted((clock.date_start(c.date), float(c.capacity)) for c in pool.changes)
        cap_time += [t for t, _ in steps]
        cap += [v for _, v in steps]
        cap_ptr.append(len(cap))
    return {
        "pool_ids": tuple(r.id for r in limited),
        "dem_ptr": np.array(dem_ptr, np.int64),
        "dem_pool": np.array(dem_pool, np.int64),
        "dem_units": np.array(dem_units, np.float64),
        "cap_ptr": np.array(cap_ptr, np.int64),
        "cap_time": np.array(cap_time, np.float64),
        "cap": np.array(cap, np.float64),
    }


def late_finish(network: Network, start: np.ndarray, finish: np.ndarray) -> np.ndarray:
    """The plan's late finish of each activity (a backward pass from the project finish, in
    plan-clock days: the priority rules' measure, not a date)."""
    n = network.n
    d = finish - start
    end = float(finish.max()) if n else 0.0
    late = np.full(n, end)
    for j in range(n - 1, -1, -1):  # successors come later in the network order
        for e in range(network.pred_ptr[j], network.pred_ptr[j + 1]):
            i, kind, lag = network.pred_idx[e], network.pred_type[e], network.pred_lag[e]
            late_start_j = late[j] - d[j]
            if kind == FS:
                bound = late_start_j - lag
            elif kind == SS:
                bound = late_start_j - lag + d[i]
            elif kind == FF:
                bound = late[j] - lag
            else:  # SF: the successor's finish after the predecessor's start
                bound = late[j] - lag + d[i]
            late[i] = min(late[i], bound)
    return late


def priority_ranks(network: Network, rule: str, priorities: np.ndarray) -> np.ndarray:
    """Each activity's place in the priority order (0 first): explicit priority (higher first),
    then ``rule``, then model order."""
    from .engine.run import forward_pass

    start, finish = forward_pass(network, network.plan_duration)
    if rule == "listed":
        key = np.zeros(network.n)
    elif rule == "lft":
        key = late_finish(network, start, finish)
    elif rule == "min-slack":
        key = late_finish(network, start, finish) - finish
    else:  # max-duration
        key = -network.plan_duration
    order = np.lexsort((network.model_position, key, -priorities))
    ranks = np.empty(network.n, np.int64)
    ranks[order] = np.arange(network.n)
    return ranks


def levelled(network: Network, scheme: str | None, priority: str = "lft") -> Network:
    """``network`` scheduled with resource levelling (``scheme`` None: without)."""
    if scheme is None:
        return network
    if scheme not in SCHEMES:
        raise ArgumentError(
            f"scheme must be one of {', '.join(SCHEMES)} (or None), got {scheme!r}"
            + suggestion(str(scheme), SCHEMES)
        )
    if priority not in PRIORITY_RULES:
        raise ArgumentError(
            f"priority must be one of {', '.join(PRIORITY_RULES)}, got {priority!r}"
            + suggestion(str(priority), PRIORITY_RULES)
        )
    if not len(network.pool_ids):
        return network  # no limited pool: the forward pass is the levelled schedule
    ranks = priority_ranks(network, priority, network.task_priority)
    return dataclasses.replace(
        network,
        level_scheme=np.array([SCHEMES[scheme]], np.int64),
        level_rank=ranks,
    )


__all__ = ["PRIORITY_RULES", "SCHEMES", "levelled", "resource_problems"]
