"""Costing a block of runs: each costed task's cost, then one total per target and run.

A costed task costs ``rate x duration + fixed`` (its sampled duration, before a started task's
remaining share is taken, so a task is costed at completion), plus the cost of each risk that hit
it and occurred (never below zero: a saving can take a task's cost down to nothing), and
nothing in a run in which it does not happen (a gate). Tasks that feed the
same set of targets form a *region*; a target's cost is the sum of the regions feeding it, so the
work per run is one pass over the costed tasks and one over the regions: per-run totals, never
a runs x tasks matrix (the first runs' task costs are kept for the cash flow).
"""

from __future__ import annotations

from collections import namedtuple

from ._jit import leaf
from .rng import uniform
from .sampling import quantile

# The costs of a compiled network (riskcast.costing builds them), for C costed tasks:
#   task         int64 (C,)             network index of each costed task
#   rate         float64 (C,)           currency units per working day of its duration
#   fixed_code   int64 (C,)             distribution code of its fixed cost (none: FIXED 0)
#   fixed_params float64 (C, N_PARAMS)  ... its parameters
#   fixed_key    uint64 (C,)            ... its stream
#   fixed_slot   int64 (C,)             -1: fixed costs are drawn independently (the copula
#                                       slots of sample_block, which draws them)
#   region       int64 (C,)             the region (set of targets fed) of each costed task
#   gate_task    int64 (G',)            costed task (index into the above) of each gate ...
#   gate         int64 (G',)            ... and the gate (index into Network.gated arrays)
#   risk         int64 (K,)             risk of each risk cost ...
#   risk_task    int64 (K,)             ... the costed task it is booked on
#   risk_code    int64 (K,), risk_params float64 (K, N_PARAMS), risk_key uint64 (K,)
#   target_ptr   int64 (M + 2,)         CSR of the regions feeding each target ...
#   target_region int64                 ... (the project finish, target M, is fed by all)
CostArrays = namedtuple(
    "CostArrays",
    "task rate fixed_code fixed_params fixed_key fixed_slot region gate_task gate risk risk_task "
    "risk_code "
    "risk_params risk_key target_ptr target_region",
)
SEEDED_COSTS = ("fixed_key", "risk_key")


@leaf
def cost_block(
    ca, aux, table, gate_key, gate_low, gate_high, g0, m, dur, occurred, task_cost, region_cost
) -> None:
    """``task_cost`` (C, BLOCK): each costed task's cost in runs ``g0 .. g0 + m - 1``, given its
    fixed cost there already (drawn by sampling.sample_block), durations ``dur`` as sampled and
    risks ``occurred``; ``region_cost`` (regions, BLOCK): their sums."""
    for c in range(ca.task.shape[0]):
        row, d, rate = task_cost[c], dur[ca.task[c]], ca.rate[c]
        if rate != 0.0:
            for k in range(m):
                row[k] += rate * d[k]
    for e in range(ca.risk.shape[0]):
        row, happened = task_cost[ca.risk_task[e]], occurred[ca.risk[e]]
        code, p, key = ca.risk_code[e], ca.risk_params[e], ca.risk_key[e]
        for k in range(m):
            if happened[k]:
                row[k] += quantile(code, p, aux, table, uniform(key, g0 + k))
    for e in range(ca.risk.shape[0]):  # a saving cannot make a task cost less than nothing
        row = task_cost[ca.risk_task[e]]
        for k in range(m):
            if row[k] < 0.0:
                row[k] = 0.0
    for e in range(ca.gate.shape[0]):  # a task that does not happen costs nothing
        row, g = task_cost[ca.gate_task[e]], ca.gate[e]
        for k in range(m):
            u = uniform(gate_key[g], g0 + k)
            if not (gate_low[g] <= u < gate_high[g]):
                row[k] = 0.0
    for r in range(region_cost.shape[0]):
        for k in range(m):
            region_cost[r, k] = 0.0
    for c in range(ca.task.shape[0]):
        row, into = task_cost[c], region_cost[ca.region[c]]
        for k in range(m):
            into[k] += row[k]


@leaf
def target_costs(ca, region_cost, m, costs, b) -> None:
    """costs[q, b + k]: the cost of target q in the block's run k (sum of its regions)."""
    for q in range(ca.target_ptr.shape[0] - 1):
        for k in range(m):
            costs[q, b + k] = 0.0
        for e in range(ca.target_ptr[q], ca.target_ptr[q + 1]):
            r = region_cost[ca.target_region[e]]
            for k in range(m):
                costs[q, b + k] += r[k]


def n_regions(ca: CostArrays) -> int:
    """How many regions the costed tasks form."""
    return int(ca.region.max()) + 1 if ca.region.shape[0] else 0
