"""Project costs -> the arrays the kernel costs every run with (:data:`~.engine.costs.CostArrays`).

Regions: a task's cost counts towards every target (milestone, and the project finish) it leads
to through links of any type, "all the work up to that milestone". Tasks feeding the same set of
targets share a region, so a target's cost per run is a sum over its few regions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .distributions import Fixed
from .engine.codes import N_PARAMS
from .engine.costs import CostArrays


def _params(code_params: tuple) -> tuple[int, np.ndarray]:
    code, params = code_params
    row = np.zeros(N_PARAMS)
    row[: len(params)] = params
    return code, row


def fed_targets(
    n: int, pred_ptr: np.ndarray, pred_idx: np.ndarray, milestone_idx: np.ndarray
) -> list[int]:
    """Per activity (topological order), a bit set of the milestones it leads to (bit q:
    milestone q, itself included): one sweep from the last activity to the first."""
    fed = [0] * n
    for q, j in enumerate(milestone_idx):
        fed[j] |= 1 << q
    for j in range(n - 1, -1, -1):
        if fed[j]:
            for e in range(pred_ptr[j], pred_ptr[j + 1]):
                fed[pred_idx[e]] |= fed[j]
    return fed


def cost_arrays(
    project,
    index: dict[str, int],
    pred_ptr: np.ndarray,
    pred_idx: np.ndarray,
    milestone_idx: np.ndarray,
    gated: np.ndarray,
    mitigated: set[str],
    encode: Callable,
) -> CostArrays:
    """The cost arrays of ``project`` (valid) for one risk scenario; ``encode`` turns a
    distribution into (code, params) in the network's tables, ``gated`` are the gates' tasks."""
    from .compile import stream_key

    rates = {r.id: r.rate for r in project.resources}
    risk_costs = [
        (r, impact)
        for r, risk in enumerate(project.risks)
        for impact in risk.effective(risk.id in mitigated)[1]
        if impact.cost is not None
    ]
    hit = {impact.task for _, impact in risk_costs}
    tasks = []  # (network index, rate, fixed) of every task that can cost something
    for task in project.tasks:
        rate = (task.cost.rate if task.cost is not None else 0.0) + sum(
            rates.get(a.resource, 0.0) * a.units for a in task.assignments
        )
        fixed = task.cost.fixed if task.cost is not None else None
        if rate or fixed is not None or task.id in hit:
            tasks.append((index[task.id], float(rate), fixed, task.id))
    tasks.sort(key=lambda x: x[0])
    costed = {t[0]: c for c, t in enumerate(tasks)}
    fed = fed_targets(len(index), pred_ptr, pred_idx, milestone_idx)
    regions: dict[int, int] = {}
    region = [regions.setdefault(fed[t[0]], len(regions)) for t in tasks]
    n_targets = len(milestone_idx) + 1
    target_ptr, target_region = [0], []
    for q in range(n_targets):
        everything = q == n_targets - 1  # the project finish: all the work
        target_region += [r for bits, r in regions.items() if everything or bits >> q & 1]
        target_ptr.append(len(target_region))
    fixed = [_params(encode(t[2] if t[2] is not None else Fixed(0.0))) for t in tasks]
    gates = [(costed[j], g) for g, j in enumerate(gated) if j in costed]
    risk_rows = [_params(encode(impact.cost)) for _, impact in risk_costs]
    ids = [project.risks[r].id for r, _ in risk_costs]
    return CostArrays(
        task=np.array([t[0] for t in tasks], np.int64),
        rate=np.array([t[1] for t in tasks], np.float64),
        fixed_code=np.array([code for code, _ in fixed], np.int64),
        fixed_params=np.array([row for _, row in fixed]).reshape(len(tasks), N_PARAMS),
        fixed_key=np.array([stream_key("cost", t[3]) for t in tasks], np.uint64),
        fixed_slot=np.full(len(tasks), -1, np.int64),
        region=np.array(region, np.int64),
        gate_task=np.array([c for c, _ in gates], np.int64),
        gate=np.array([g for _, g in gates], np.int64),
        risk=np.array([r for r, _ in risk_costs], np.int64),
        risk_task=np.array([costed[index[impact.task]] for _, impact in risk_costs], np.int64),
        risk_code=np.array([code for code, _ in risk_rows], np.int64),
        risk_params=np.array([row for _, row in risk_rows]).reshape(len(risk_rows), N_PARAMS),
        risk_key=np.array(
            [
                stream_key("risk-cost", f"{id}:{impact.task}")
                for id, (_, impact) in zip(ids, risk_costs, strict=True)
            ],
            np.uint64,
        ),
        target_ptr=np.array(target_ptr, np.int64),
        target_region=np.array(target_region, np.int64),
    )
