"""Quantile tables for the distributions whose inverse CDF has no closed form (Beta-PERT, beta)
and for the standard normal (lognormal sampling).

A row holds Q(u) on a grid that is uniform in w = sqrt(2 u) for u < 1/2 and in
w = sqrt(2 (1 - u)) above: ``N_HALF`` + 1 points per half, the left half at u = (j/N)^2 / 2 and the
right half at u = 1 - (j/N)^2 / 2. The cells shrink towards u = 0 and 1 exactly as fast as quantile
functions bend there (linear interpolation errs by about h^2 / (8 u) in probability for a cell of
width h in u; here h grows like sqrt(u)), so the error is even across the whole range. The engine
finds the cell with one square root and interpolates linearly in w.

Standard PERT (lambda = 4) has one free shape, s = (mode - low)/(high - low), because
alpha + beta = 6: one universal table of :data:`N_S` + 1 rows over s in [0, 1] serves every PERT
task, interpolated bilinearly in (s, w). A network gives each of its PERT shapes a row of its own,
the universal table interpolated at s (:func:`pert_row`), so that a draw reads one row instead of
two; past :data:`MAX_PERT_ROWS` shapes it keeps the universal table instead, which bounds the
memory. Modified PERT and beta get a row of their own.

Accuracy (tested against scipy.stats in ``tests/test_distributions.py``): the CDF of a sampled value
is within 2e-6 of its uniform everywhere (below 1e-6 on a row; PERT shapes between two rows of the
universal table add up to about 1e-6), far under the Monte Carlo noise of any run. The universal
table takes about 16 MB and is built once (about 1.5 s) and kept in the user cache folder.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np

N_HALF = 1024  # cells per half row
N_S = 1024  # PERT shape intervals of the universal table
MAX_PERT_ROWS = N_S // 2  # PERT shapes with rows of their own (8 MB), at most, in one network
ROW_LENGTH = 2 * (N_HALF + 1)
_VERSION = 5


def _u_grid() -> np.ndarray:
    """The u of each row entry: left half ascending from 0, right half descending from 1."""
    half = (np.arange(N_HALF + 1) / N_HALF) ** 2 / 2
    return np.concatenate([half, 1.0 - half])


def beta_row(alpha: float, beta: float) -> np.ndarray:
    """Quantiles of Beta(alpha, beta) on [0, 1] on the row grid, shape (ROW_LENGTH,)."""
    from scipy.special import betaincinv

    return _pin_ends(betaincinv(alpha, beta, _u_grid()))


def _pin_ends(rows: np.ndarray) -> np.ndarray:
    """Exact 0 and 1 at u = 0 and u = 1."""
    rows[..., 0] = 0.0
    rows[..., N_HALF + 1] = 1.0
    return rows


def lognormal_row(mu: float, sigma: float) -> np.ndarray:
    """Quantiles of exp(N(mu, sigma)) on the row grid (the infinite top end is never interpolated:
    the engine computes u in the last cell exactly)."""
    with np.errstate(over="ignore"):
        return np.exp(mu + sigma * normal_row())


@cache
def normal_row() -> np.ndarray:
    """Standard normal quantiles on the row grid (infinite at u = 0 and 1)."""
    from statistics import NormalDist

    inverse = NormalDist().inv_cdf  # Wichura's AS 241, as in the engine
    u = _u_grid()
    return np.array([-np.inf if x == 0 else np.inf if x == 1 else inverse(x) for x in u])


def _cache_dir() -> Path:
    root = os.environ.get("RISKCAST_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(root) / "riskcast" if root else Path.home() / ".cache" / "riskcast"


def _build_pert_table() -> np.ndarray:
    from scipy.special import betaincinv

    s = np.linspace(0.0, 1.0, N_S + 1)[: N_S // 2 + 1, None]
    lower = _pin_ends(betaincinv(1.0 + 4.0 * s, 5.0 - 4.0 * s, _u_grid()))
    # PERT(1 - s) mirrors PERT(s): Q_{1-s}(u) = 1 - Q_s(1 - u), and 1 - u swaps the halves.
    mirrored = 1.0 - lower[-2::-1]
    upper = np.concatenate([mirrored[:, N_HALF + 1 :], mirrored[:, : N_HALF + 1]], axis=1)
    return np.ascontiguousarray(np.vstack([lower, upper]))


def pert_row(s: float) -> np.ndarray:
    """Quantiles of the standard PERT with shape ``s`` in [0, 1] on the row grid, shape
    (ROW_LENGTH,): the universal table's two rows around s, interpolated linearly in s (the same
    bilinear approximation as sampling the universal table)."""
    table = pert_table()
    x = s * N_S
    r0 = min(int(x), N_S - 1)
    w = x - r0
    return table[r0] + w * (table[r0 + 1] - table[r0])


@cache
def pert_table() -> np.ndarray:
    """The universal lambda = 4 PERT table, shape (N_S + 1, ROW_LENGTH); rows s = k / N_S.

    Built once with scipy (about 1.5 s) and kept in the user cache folder
    (``$RISKCAST_CACHE_DIR`` or ``~/.cache/riskcast``) when it is writable.
    """
    path = _cache_dir() / f"pert-table-v{_VERSION}-{N_S}x{ROW_LENGTH}.npy"
    try:
        table = np.load(path)
        if table.shape == (N_S + 1, ROW_LENGTH):
            return table
    except (OSError, ValueError):
        pass
    table = _build_pert_table()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, table)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return table
