"""Inverse-CDF sampling of every distribution code (see ``compile.py`` for the parameter layout)."""

from __future__ import annotations

import math

import numpy as np

from .. import tables
from ._jit import leaf
from .codes import (
    DISCRETE,
    EXPONENTIAL,
    FIXED,
    LOGNORMAL,
    NORMAL,
    PERT_TABLE,
    ROW_TABLE,
    TRIANGULAR,
    UNIFORM,
)
from .rng import uniform

N_HALF = tables.N_HALF
N_S = tables.N_S
RIGHT = N_HALF + 1  # offset of the right half of a table row
U_EXACT = 0.5 / N_HALF**2  # the last cell of a lognormal row, which ends at +inf
U_MIN = 2.0**-53  # the smallest uniform the generator gives
ONE = np.uint64(1)  # table columns are unsigned: indexing skips the negative-index wrap


# Wichura's AS 241 (PPND16) coefficients, lowest order first: central region, then the two tails.
_A = (
    3.387132872796366608,
    133.14166789178437745,
    1971.5909503065514427,
    13731.693765509461125,
    45921.953931549871457,
    67265.770927008700853,
    33430.575583588128105,
    2509.0809287301226727,
)
_B = (
    1.0,
    42.313330701600911252,
    687.1870074920579083,
    5394.1960214247511077,
    21213.794301586595867,
    39307.89580009271061,
    28729.085735721942674,
    5226.495278852854561,
)
_C = (
    1.42343711074968357734,
    4.6303378461565452959,
    5.7694972214606914055,
    3.64784832476320460504,
    1.27045825245236838258,
    0.24178072517745061177,
    0.0227238449892691845833,
    7.7454501427834140764e-4,
)
_D = (
    1.0,
    2.05319162663775882187,
    1.6763848301838038494,
    0.68976733498510000455,
    0.14810397642748007459,
    0.0151986665636164571966,
    5.475938084995344946e-4,
    1.05075007164441684324e-9,
)
_E = (
    6.6579046435011037772,
    5.4637849111641143699,
    1.7848265399172913358,
    0.29656057182850489123,
    0.026532189526576123093,
    0.0012426609473880784386,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
)
_F = (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
      7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
      2.04426310338993978564e-15)  # fmt: skip


@leaf
def _horner(c: tuple, x: float) -> float:
    acc = c[7]
    for k in range(6, -1, -1):
        acc = acc * x + c[k]
    return acc


@leaf
def ndtri(p: float) -> float:
    """Standard normal quantile, Wichura's AS 241 (PPND16), relative error about 1e-16."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _horner(_A, r) / _horner(_B, r)
    r = math.sqrt(-math.log(p if q < 0 else 1.0 - p))
    if r <= 5.0:
        z = _horner(_C, r - 1.6) / _horner(_D, r - 1.6)
    else:
        z = _horner(_E, r - 5.0) / _horner(_F, r - 5.0)
    return -z if q < 0 else z


@leaf
def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z * 0.7071067811865476)


@leaf
def _cell(u: float) -> tuple[int, float]:
    """(column, fraction) of ``u`` in a quantile-table row: w = sqrt(2 u) on the left half,
    sqrt(2 (1 - u)) on the right half (1 - u is exact for u >= 1/2)."""
    if u < 0.5:
        w = math.sqrt(2.0 * u) * N_HALF
        j = min(int(w), N_HALF - 1)
        return j, w - j
    w = math.sqrt(2.0 * (1.0 - u)) * N_HALF
    j = min(int(w), N_HALF - 1)
    return RIGHT + j, w - j


@leaf
def row_quantile(table: np.ndarray, row: int, u: float) -> float:
    """Q(u) from one quantile-table row, linear in u."""
    col, f = _cell(u)
    a = table[row, col]
    return a + f * (table[row, col + 1] - a)


@leaf
def pert_quantile(table: np.ndarray, s: float, u: float) -> float:
    """Q(u) of the standard PERT on [0, 1] with shape row coordinate ``s`` (bilinear)."""
    col, f = _cell(u)
    r0 = min(int(s), N_S - 1)
    w = s - r0
    a = table[r0, col] + f * (table[r0, col + 1] - table[r0, col])
    b = table[r0 + 1, col] + f * (table[r0 + 1, col + 1] - table[r0 + 1, col])
    return a + w * (b - a)


@leaf
def quantile(code: int, p: np.ndarray, aux: np.ndarray, table: np.ndarray, u: float) -> float:
    """Inverse CDF of one distribution (``code``, params ``p``) at ``u`` in (0, 1)."""
    if code == FIXED:
        return p[0]
    if code == UNIFORM:
        return p[0] + u * p[1]
    if code == TRIANGULAR:
        low, mode, high, c = p[0], p[1], p[2], p[3]
        if u < c:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))
    if code == PERT_TABLE:
        return p[0] + p[1] * pert_quantile(table, p[2], u)
    if code == ROW_TABLE:
        return p[0] + p[1] * row_quantile(table, int(p[2]), u)
    if code == NORMAL:
        # Exact AS 241, not the table: truncation divides any table error by the kept mass.
        q = p[2] + p[4] * u * p[3]
        q = min(max(q, 1e-300), 1.0 - 1e-16)
        x = p[0] + p[4] * p[1] * ndtri(q)
        return min(max(x, p[5]), p[6])  # round-off must not leave [low, high]
    if code == LOGNORMAL:
        if u > 1.0 - U_EXACT:  # the last cell holds +inf
            return math.exp(p[0] + p[1] * ndtri(u))
        return row_quantile(table, int(p[2]), u)
    if code == EXPONENTIAL:
        return -p[0] * math.log1p(-u)
    if code == DISCRETE:
        start, count = int(p[0]), int(p[1])
        for j in range(count - 1):
            if u <= aux[start + count + j]:
                return aux[start + j]
        return aux[start + count - 1]
    # EMPIRICAL: numpy's linear quantile of the sorted values
    start, count = int(p[0]), int(p[1])
    h = u * (count - 1)
    j = min(int(h), count - 2)
    lo = aux[start + j]
    return lo + (h - j) * (aux[start + j + 1] - lo)


@leaf
def correlated_uniforms(
    keys: np.ndarray,
    group_ptr: np.ndarray,
    factor_ptr: np.ndarray,
    factors: np.ndarray,
    first: int,
    count: int,
    scores: np.ndarray,
    out: np.ndarray,
) -> None:
    """Copula uniforms ``out[slot, :count]`` of every correlated variable: normal scores of each
    variable's own stream, mixed by its group's Cholesky factor, mapped back through the normal
    CDF (so each marginal is still exactly uniform)."""
    for v in range(keys.shape[0]):
        for k in range(count):
            scores[v, k] = ndtri(uniform(keys[v], first + k))
    for g in range(group_ptr.shape[0] - 1):
        low, size, f0 = group_ptr[g], group_ptr[g + 1] - group_ptr[g], factor_ptr[g]
        for i in range(size):
            for k in range(count):
                z = 0.0
                for j in range(i + 1):
                    z += factors[f0 + i * size + j] * scores[low + j, k]
                out[low + i, k] = min(max(normal_cdf(z), U_MIN), 1.0 - U_MIN)


@leaf
def table_cells(
    stream: np.uint64, first: int, count: int, u_max: float, cols: np.ndarray, fracs: np.ndarray
) -> int:
    """Quantile-table cells (:func:`_cell`) of the uniforms of iterations ``first ..
    first + count - 1`` of ``stream``, each capped at ``u_max``: into ``cols`` and ``fracs``.
    Returns how many were capped."""
    capped = 0
    for k in range(count):
        u = uniform(stream, first + k)
        capped += u > u_max
        u = min(u, u_max)
        left = u < 0.5
        x = math.sqrt(2.0 * (u if left else 1.0 - u)) * N_HALF
        j = min(int(x), N_HALF - 1)
        fracs[k] = x - j
        cols[k] = np.uint64(j if left else RIGHT + j)
    return capped


@leaf
def row_draws(own, low: float, width: float, count: int, cols, fracs, out) -> None:
    """out[k] = low + width * Q(u_k) for k < count, Q linear between the entries of the
    quantile row ``own`` at the cells (``cols``, ``fracs``) of :func:`table_cells`."""
    for k in range(count):
        col = cols[k]
        a = own[col]
        out[k] = low + width * (a + fracs[k] * (own[col + ONE] - a))


@leaf
def sample_block(
    streams: np.ndarray,
    codes: np.ndarray,
    params: np.ndarray,
    aux: np.ndarray,
    table: np.ndarray,
    first: int,
    count: int,
    slots: np.ndarray,
    correlated: np.ndarray,
    cols: np.ndarray,
    fracs: np.ndarray,
    out: np.ndarray,
) -> None:
    """Durations of iterations ``first .. first + count - 1`` for every activity into ``out[:, :count]``.

    An activity with ``slots[t] >= 0`` takes its uniforms from ``correlated[slots[t]]`` (the
    copula); the simple codes get loops of their own so that the compiler vectorises them.
    ``cols`` (uint64) and ``fracs`` (float64), at least ``count`` long, are scratch space.
    """
    for t in range(codes.shape[0]):
        code = codes[t]
        s = streams[t]
        p = params[t]
        row = out[t]
        if slots[t] >= 0:
            u = correlated[slots[t]]
            for k in range(count):
                row[k] = quantile(code, p, aux, table, u[k])
        elif code == FIXED:
            for k in range(count):
                row[k] = p[0]
        elif code == UNIFORM:
            for k in range(count):
                row[k] = p[0] + uniform(s, first + k) * p[1]
        elif code == TRIANGULAR:
            # both branches computed and one selected, so that the loop vectorises
            low, mode, high, c = p[0], p[1], p[2], p[3]
            left, right = (high - low) * (mode - low), (high - low) * (high - mode)
            for k in range(count):
                u = uniform(s, first + k)
                a = low + math.sqrt(u * left)
                b = high - math.sqrt((1.0 - u) * right)
                row[k] = a if u < c else b
        elif code == PERT_TABLE:
            # cells first (a loop that vectorises), then the table reads on their own, so that
            # the loads do not wait on the arithmetic (bilinear between two shape rows)
            table_cells(s, first, count, 1.0, cols, fracs)
            low, width, shape = p[0], p[1], p[2]
            r0 = min(int(shape), N_S - 1)
            w = shape - r0
            below, above = table[r0], table[r0 + 1]
            for k in range(count):
                col, f = cols[k], fracs[k]
                a = below[col]
                a += f * (below[col + ONE] - a)
                b = above[col]
                b += f * (above[col + ONE] - b)
                row[k] = low + width * (a + w * (b - a))
        elif code == ROW_TABLE:  # a row of its own: one table read per draw
            table_cells(s, first, count, 1.0, cols, fracs)
            row_draws(table[int(p[2])], p[0], p[1], count, cols, fracs, row)
        elif code == LOGNORMAL:
            # the task's own quantile row, then the last cell (which ends at +inf) exactly, for
            # the rare blocks that reach it
            capped = table_cells(s, first, count, 1.0 - U_EXACT, cols, fracs)
            row_draws(table[int(p[2])], 0.0, 1.0, count, cols, fracs, row)
            if capped:
                for k in range(count):
                    u = uniform(s, first + k)
                    if u > 1.0 - U_EXACT:
                        row[k] = math.exp(p[0] + p[1] * ndtri(u))
        else:
            for k in range(count):
                row[k] = quantile(code, p, aux, table, uniform(s, first + k))
