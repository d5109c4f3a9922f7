"""Rank-correlation matrices for the Gaussian copula: checks, assembly, validity, repair, factors.

A requested Spearman coefficient r_s becomes the copula's Pearson value 2 sin(pi r_s / 6), which
makes the normal scores' rank correlation exactly r_s. The matrix must be positive semi-definite;
one that is not is rejected with the pairs that break it named, or, when the user asks, replaced by
the nearest valid correlation matrix (Higham 2002, alternating projections) with a warning that
says how far it moved.

:func:`plan` is the one place that checks a project's ``[[correlation]]`` entries, from their
coefficients to the consistency of the matrices they make: :func:`riskcast.validate` reports its
problems and the compiler factors its groups, so the two can never disagree.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ModelError

EIGEN_TOLERANCE = -1e-10
KINDS = ("tasks", "risks")  # what a correlation entry can name: task durations, risk occurrences


def copula_pearson(spearman: np.ndarray) -> np.ndarray:
    """Pearson correlation of the normal scores that gives rank correlation ``spearman``."""
    return 2.0 * np.sin(np.pi * np.asarray(spearman) / 6.0)


def assemble(
    names: Sequence[str], groups: Sequence[tuple[Sequence[str], float, str]]
) -> tuple[np.ndarray, list[str]]:
    """Spearman matrix over ``names`` from (ids, coefficient, place) groups; conflicts reported."""
    index = {name: k for k, name in enumerate(names)}
    matrix = np.eye(len(names))
    source: dict[tuple[int, int], tuple[float, str]] = {}
    problems = []
    for ids, coefficient, place in groups:
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                i, j = sorted((index[ids[a]], index[ids[b]]))
                if i == j:
                    continue
                if (i, j) in source and source[i, j][0] != coefficient:
                    problems.append(
                        f'{place}: "{names[i]}" and "{names[j]}" already have coefficient '
                        f"{source[i, j][0]} from {source[i, j][1]}; give each pair one value"
                    )
                source[i, j] = (coefficient, place)
                matrix[i, j] = matrix[j, i] = coefficient
    return matrix, problems


def offending_pairs(pearson: np.ndarray, names: Sequence[str], top: int = 3) -> list[str]:
    """The pairs that make ``pearson`` invalid: those among the variables weighing most in the
    eigenvector of its most negative eigenvalue."""
    _, vectors = np.linalg.eigh(pearson)
    weight = np.abs(vectors[:, 0])
    worst = sorted(np.argsort(weight)[::-1][:top].tolist())
    return [
        f'"{names[i]}"-"{names[j]}"'
        for a, i in enumerate(worst)
        for j in worst[a + 1 :]
        if pearson[i, j] != 0
    ]


def nearest_correlation(matrix: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Higham's alternating projections onto {PSD} and {unit diagonal}, with Dykstra's correction."""
    y = matrix.copy()
    correction = np.zeros_like(matrix)
    for _ in range(iterations):
        r = y - correction
        values, vectors = np.linalg.eigh(r)
        x = (vectors * np.maximum(values, 0.0)) @ vectors.T
        correction = x - r
        y = x.copy()
        np.fill_diagonal(y, 1.0)
        if np.linalg.eigvalsh(y)[0] >= -1e-12:
            break
    values, vectors = np.linalg.eigh(y)  # a last clip so that the Cholesky factor exists
    y = (vectors * np.maximum(values, 1e-12)) @ vectors.T
    scale = np.sqrt(np.diag(y))
    return y / np.outer(scale, scale)


@dataclass(frozen=True, eq=False)
class Group:
    """Variables of one kind tied together by correlations: one copula matrix, one factor.

    ``ids`` are in the compiler's order (tasks in dependency order, risks in model order);
    ``pearson`` is the copula matrix over them and ``smallest`` its smallest eigenvalue.
    """

    kind: str  # "tasks" or "risks"
    ids: tuple[str, ...]
    pearson: np.ndarray
    smallest: float
    place: str  # the [[correlation]] entries that make the group

    @property
    def names(self) -> str:
        """``tasks "a", "b", "c"``."""
        return f"{self.kind} " + ", ".join(f'"{id}"' for id in self.ids)

    @property
    def consistent(self) -> bool:
        """Whether the matrix is positive semi-definite (within rounding)."""
        return self.smallest >= EIGEN_TOLERANCE

    @property
    def pairs(self) -> str:
        return ", ".join(offending_pairs(self.pearson, self.ids))

    @property
    def problem(self) -> str:
        """The message for an inconsistent matrix (a model problem unless repair is on)."""
        return (
            f"{self.place}: the correlations of {self.names} are inconsistent, they cannot all "
            f"hold at once (the matrix is not positive semi-definite; smallest eigenvalue "
            f"{self.smallest:.3g}). Check the pairs {self.pairs}, or set "
            "repair_correlation = true in [project] to use the nearest valid matrix"
        )


@dataclass(frozen=True, eq=False)
class Plan:
    """Every correlation group of a project and every problem of its correlation entries."""

    groups: tuple[Group, ...]
    problems: tuple[str, ...]


def _entry_problems(place: str, entry: Any, known: dict[str, set[str]]) -> list[str]:
    problems = []
    c = entry.coefficient
    if isinstance(c, bool) or not isinstance(c, int | float) or not -1 <= c <= 1:
        problems.append(f"{place} > coefficient: a rank correlation is within [-1, 1], got {c!r}")
    named = [kind for kind in KINDS if getattr(entry, kind)]
    if len(named) != 1:
        problems.append(f"{place}: name either tasks or risks (at least two of one kind)")
    for kind in KINDS:
        ids = getattr(entry, kind)
        if ids and len(set(ids)) < 2:
            problems.append(f"{place} > {kind}: needs at least two different ids")
        for id in ids:
            if id not in known[kind]:
                problems.append(f'{place} > {kind}: unknown id "{id}"')
    return problems


def plan(project: Any, order: Sequence[str] | None = None) -> Plan:
    """Check the ``[[correlation]]`` entries of ``project`` and group the variables they tie.

    Problems: a coefficient outside [-1, 1], an entry naming both or neither kind or fewer than
    two ids, unknown ids, a pair given two different coefficients, and (unless
    ``project.repair_correlation``) a matrix that is not positive semi-definite. The matrices are
    built from the entries without a problem of their own, so their problems show up together
    with the entries'. ``order`` is the activities' dependency order (it orders the tasks of a
    group, as the compiler does); None uses the file order.
    """
    known = {"tasks": {t.id for t in project.tasks}, "risks": {r.id for r in project.risks}}
    in_file = {"tasks": {t.id: k for k, t in enumerate(project.tasks)}}
    in_file["risks"] = {r.id: k for k, r in enumerate(project.risks)}
    in_order = {id: k for k, id in enumerate(order)} if order is not None else in_file["tasks"]
    rank = {  # order first; file order for an id it lacks (one whose own id is invalid)
        "tasks": lambda id: (in_order.get(id, len(in_order)), in_file["tasks"][id]),
        "risks": lambda id: (in_file["risks"][id], 0),
    }
    problems: list[str] = []
    usable = []
    for k, entry in enumerate(project.correlations):
        place = f"correlation[{k}]"
        found = _entry_problems(place, entry, known)
        problems.extend(found)
        if not found:
            usable.append((k, entry))
    groups = []
    for kind in KINDS:
        specs = [
            (getattr(entry, kind), entry.coefficient, f"correlation[{k}]")
            for k, entry in usable
            if getattr(entry, kind)
        ]
        if not specs:
            continue
        names = sorted({id for ids, _, _ in specs for id in ids}, key=rank[kind])
        matrix, conflicts = assemble(names, specs)
        problems.extend(conflicts)
        for members in components(matrix):
            ids = tuple(names[g] for g in members)
            inside = set(ids)
            entries = [p for ids_, _, p in specs if len(inside.intersection(ids_)) > 1]
            pearson = copula_pearson(matrix[np.ix_(members, members)])
            group = Group(
                kind,
                ids,
                pearson,
                float(np.linalg.eigvalsh(pearson)[0]),
                ", ".join(entries),
            )
            if not group.consistent and not project.repair_correlation:
                problems.append(group.problem)
            groups.append(group)
    return Plan(tuple(groups), tuple(problems))


def factor(group: Group, repair: bool) -> np.ndarray:
    """Lower Cholesky factor of ``group``'s copula matrix: ModelError (the message :func:`plan`
    reports) when it is not positive semi-definite and ``repair`` is False, a warning when
    repaired."""
    pearson = group.pearson
    if not group.consistent:
        if not repair:
            raise ModelError(group.problem)
        fixed = nearest_correlation(pearson)
        moved = float(np.abs(fixed - pearson).max())
        warnings.warn(
            f"{group.place}: correlations of {group.names} repaired to the nearest valid matrix "
            f"(largest change {moved:.3f} in copula correlation; pairs {group.pairs})",
            RuntimeWarning,
            stacklevel=3,
        )
        pearson = fixed
    values, vectors = np.linalg.eigh(pearson)
    if values[0] <= 1e-12:  # semi-definite: a Cholesky factor of the clipped matrix
        pearson = (vectors * np.maximum(values, 1e-12)) @ vectors.T
        d = np.sqrt(np.diag(pearson))
        pearson = pearson / np.outer(d, d)
    lower = np.linalg.cholesky(pearson)
    if not np.all(np.isfinite(lower)):  # pragma: no cover - guarded by the clip above
        raise ModelError(f"{group.place}: could not factor the correlation matrix")
    return lower


def components(matrix: np.ndarray) -> list[list[int]]:
    """Groups of variables linked by non-zero correlations (each gets its own factor)."""
    n = matrix.shape[0]
    seen = [False] * n
    out = []
    for start in range(n):
        if seen[start]:
            continue
        stack, group = [start], []
        seen[start] = True
        while stack:
            i = stack.pop()
            group.append(i)
            for j in np.flatnonzero(matrix[i]):
                if not seen[j]:
                    seen[j] = True
                    stack.append(int(j))
        out.append(sorted(group))
    return [g for g in out if len(g) > 1]
