"""Rank-correlation matrices for the Gaussian copula: assembly, validity, repair, factors.

A requested Spearman coefficient r_s becomes the copula's Pearson value 2 sin(pi r_s / 6), which
makes the normal scores' rank correlation exactly r_s. The matrix must be positive semi-definite;
one that is not is rejected with the pairs that break it named, or, when the user asks, replaced by
the nearest valid correlation matrix (Higham 2002, alternating projections) with a warning that
says how far it moved.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .errors import ModelError

EIGEN_TOLERANCE = -1e-10


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


def factor(spearman: np.ndarray, names: Sequence[str], repair: bool, place: str) -> np.ndarray:
    """Lower Cholesky factor of the copula matrix for ``spearman``; ModelError when it is not
    positive semi-definite and ``repair`` is False, a warning when repaired."""
    pearson = copula_pearson(spearman)
    smallest = np.linalg.eigvalsh(pearson)[0]
    if smallest < EIGEN_TOLERANCE:
        pairs = ", ".join(offending_pairs(pearson, names))
        if not repair:
            raise ModelError(
                f"{place}: the correlations of {len(names)} variables are inconsistent (the matrix "
                f"is not positive semi-definite; smallest eigenvalue {smallest:.3g}). Check the "
                f"pairs {pairs}, or set repair_correlation = true to use the nearest valid matrix"
            )
        fixed = nearest_correlation(pearson)
        moved = float(np.abs(fixed - pearson).max())
        warnings.warn(
            f"{place}: correlations repaired to the nearest valid matrix (largest change "
            f"{moved:.3f} in copula correlation; pairs {pairs})",
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
        raise ModelError(f"{place}: could not factor the correlation matrix")
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
