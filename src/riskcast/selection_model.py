"""The sample-average approximation behind :mod:`riskcast.selection`: scenario arrays and the
mixed-integer program solved with :func:`scipy.optimize.milp`.

The portfolio with **every** candidate in is simulated *without* resource limits: random numbers
are keyed by ids, so each scenario holds what every project would do in any selection, and a
chosen set's scenario is the all-in one restricted to it (a candidate's cross links come only
from projects that must be in with it). Teams enter through their capacity:

* a *checkpoint* is each distinct due date of a constrained milestone (its target, else the
  roadmap's release date), as a bound in clock days;
* the *work due* by checkpoint k, per pool and project, is the units x clock time after the data
  date of every activity of the project that leads, inside the project, to one of its
  constrained milestones due by k: that work must be done by k for those milestones to be on
  time;
* a scenario **fits** at k when the chosen projects' work due by k fits in each pool's capacity
  integrated from 0 to k.

A milestone counts as on time in a scenario when its unlevelled finish is by its due date and
the scenario fits at its checkpoint. Both are necessary for the levelled schedule to deliver
every constrained milestone by then, so the program is optimistic: :mod:`riskcast.selection`
re-simulates what it chooses, with levelling, on other runs.

Variables: ``x_j`` (candidate j chosen) and ``y_ks`` (scenario s fits at checkpoint k), binary,
``y`` only where the answer depends on the choice (a pair where every candidate fits, or the
committed work alone does not, is a constant). Constraints::

    sum_j W[j,r,k,s] x_j + M[r,k,s] y_ks <= E[r,k] - W0[r,k,s] + M[r,k,s]   (fit, per pool)
    sum_{s: on[m,s]} y_k(m)s - N x_j(m) >= -constant_m    (chance, per candidate milestone)
    sum_{s: on[m,s]} y_k(m)s           >= N_m - constant_m   (per protected committed one)
    sum_j cost_j x_j <= budget;   x_j <= x_i   (j needs i);   cuts

with ``M`` the all-in excess (a tight big-M), ``N`` the runs the level asks for
(:func:`riskcast.budget.within`) and ``constant_m`` the scenarios that count whatever is chosen.
The objective maximises the expected value, ``sum_j value_j x_j``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

MIP_GAP = 0.0  # the optimum itself, not one within HiGHS's default relative gap


@dataclass(frozen=True)
class Scenarios:
    """The scenario arrays of one selection problem (S scenarios, n candidates, P limited
    pools, K checkpoints, m constrained milestones).

    Attributes
    ----------
    candidates : tuple of str
        Candidate ids, in portfolio order (n).
    value, cost : ndarray
        float64 (n,): expected value and expected cost (currency units).
    needs : list of frozenset of int
        Per candidate, the candidates it needs, directly or not.
    milestones : tuple of str
        The constrained milestones (namespaced ids).
    owner : ndarray
        int64 (m,): each milestone's candidate, -1 for a committed project's.
    required : ndarray
        int64 (m,): scenarios each must be on time in (candidates: the level's count; a
        committed milestone: that count, or what it has without any candidate if less).
    on_time : ndarray
        bool (m, S): delivered by its due date without resource limits.
    checkpoint : ndarray
        int64 (m,): index of the milestone's due date among the checkpoints.
    work : ndarray
        float64 (n + 1, P, K, S): work due (units x clock days) per candidate, then the
        committed projects together.
    capacity : ndarray
        float64 (P, K): each pool's capacity from 0 to each checkpoint (units x clock days).
    """

    candidates: tuple[str, ...]
    value: np.ndarray
    cost: np.ndarray
    needs: list[frozenset[int]]
    milestones: tuple[str, ...]
    owner: np.ndarray
    required: np.ndarray
    on_time: np.ndarray
    checkpoint: np.ndarray
    work: np.ndarray
    capacity: np.ndarray

    @property
    def count(self) -> int:
        """Scenarios (S)."""
        return self.on_time.shape[1]

    def fits(self, chosen: np.ndarray) -> np.ndarray:
        """bool (K, S): whether the committed projects and the ``chosen`` candidates (bool
        (n,)) fit every pool at each checkpoint in each scenario."""
        load = self.work[-1] + np.tensordot(chosen.astype(np.float64), self.work[:-1], axes=1)
        return np.all(load <= self.capacity[:, :, None] * (1 + 1e-12) + 1e-9, axis=0)

    def on_time_counts(self, chosen: np.ndarray) -> np.ndarray:
        """int64 (m,): per constrained milestone, the scenarios in which it counts as on time
        with ``chosen`` (its own project's milestones count whether or not it is chosen)."""
        fits = self.fits(chosen)
        return np.count_nonzero(self.on_time & fits[self.checkpoint], axis=1)

    def feasible(self, chosen: np.ndarray, budget: float | None) -> bool:
        """Whether ``chosen`` (bool (n,)) meets every rule of the program (no cuts)."""
        if budget is not None and self.cost @ chosen > budget * (1 + 1e-12) + 1e-9:
            return False
        for j in np.flatnonzero(chosen):
            if any(not chosen[i] for i in self.needs[j]):
                return False
        counts = self.on_time_counts(chosen)
        active = (self.owner < 0) | chosen[np.maximum(self.owner, 0)]
        return bool(np.all(counts[active] >= self.required[active]))


def solve(
    sc: Scenarios,
    budget: float | None,
    covers: Sequence[frozenset[int]] = (),
    exclude: Sequence[frozenset[int]] = (),
) -> frozenset[int] | None:
    """The best set of candidates (indices) under the program, or None when no set is feasible.

    Parameters
    ----------
    sc : Scenarios
    budget : float, optional
        Currency units for the candidates' expected costs (None: no limit).
    covers : sequence of frozenset of int
        Sets excluded together with every set that contains them.
    exclude : sequence of frozenset of int
        Sets excluded exactly (the runners-up search).
    """
    n = len(sc.candidates)
    fits_all = sc.fits(np.ones(n, bool))
    fits_none = sc.fits(np.zeros(n, bool))
    # the (k, s) pairs whose fit depends on the choice and that some milestone looks at
    looked = np.zeros_like(fits_all)
    for m, k in enumerate(sc.checkpoint):
        looked[k] |= sc.on_time[m]
    pairs = np.argwhere(looked & ~fits_all & fits_none)
    column = {(int(k), int(s)): n + q for q, (k, s) in enumerate(pairs)}
    width = n + len(pairs)
    rows: list[tuple[dict[int, float], float, float]] = []  # ({column: coefficient}, lo, hi)

    excess = sc.work[:-1].sum(axis=0) + sc.work[-1] - sc.capacity[:, :, None]  # (P, K, S)
    for (k, s), col in column.items():
        for r in np.flatnonzero(excess[:, k, s] > 1e-9):
            big = float(excess[r, k, s])
            row = {j: float(sc.work[j, r, k, s]) for j in range(n) if sc.work[j, r, k, s] > 0}
            row[col] = big
            rows.append((row, -np.inf, float(sc.capacity[r, k] - sc.work[-1, r, k, s] + big)))
    for m, k in enumerate(sc.checkpoint):
        sure = int(np.count_nonzero(sc.on_time[m] & fits_all[k]))
        row = {
            column[(int(k), int(s))]: 1.0
            for s in np.flatnonzero(sc.on_time[m] & ~fits_all[k] & fits_none[k])
        }
        need = float(sc.required[m])
        if sc.owner[m] >= 0:
            row[int(sc.owner[m])] = row.get(int(sc.owner[m]), 0.0) - need
            rows.append((row, -float(sure), np.inf))
        else:
            rows.append((row, need - sure, np.inf))
    if budget is not None:
        rows.append(({j: float(sc.cost[j]) for j in range(n)}, -np.inf, float(budget)))
    for j, wanted in enumerate(sc.needs):
        for i in wanted:
            rows.append(({j: 1.0, i: -1.0}, -np.inf, 0.0))
    for cover in covers:
        rows.append(({j: 1.0 for j in cover}, -np.inf, len(cover) - 1.0))
    for chosen in exclude:  # sum_{in} x - sum_{out} x <= |chosen| - 1
        rows.append(
            ({j: (1.0 if j in chosen else -1.0) for j in range(n)}, -np.inf, len(chosen) - 1.0)
        )
    objective = np.zeros(width)
    objective[:n] = -sc.value
    constraints = []
    if rows:
        r_idx = [q for q, (row, _, _) in enumerate(rows) for _ in row]
        c_idx = [c for row, _, _ in rows for c in row]
        data = [v for row, _, _ in rows for v in row.values()]
        matrix = coo_array((data, (r_idx, c_idx)), shape=(len(rows), width)).tocsr()
        lo = np.array([row[1] for row in rows])
        hi = np.array([row[2] for row in rows])
        constraints.append(LinearConstraint(matrix, lo, hi))
    result = milp(
        objective,
        integrality=np.ones(width),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options={"mip_rel_gap": MIP_GAP},
    )
    if result.status == 2:  # infeasible
        return None
    if result.status != 0 or result.x is None:
        raise RuntimeError(f"the selection program was not solved: {result.message}")
    return frozenset(int(j) for j in np.flatnonzero(result.x[:n] > 0.5))


__all__ = ["Scenarios", "solve"]
