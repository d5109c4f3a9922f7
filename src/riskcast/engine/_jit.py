"""The one home of numba options: every kernel is compiled through these decorators.

``cache=True`` keeps compile time out of every run after the first; ``error_model="numpy"`` lets
divisions vectorise; no ``fastmath``, because reassociating sums would make results depend on the
compiler's choices instead of the iteration order.
"""

from __future__ import annotations

import numba

OPTIONS = {"cache": True, "error_model": "numpy", "nogil": True}

leaf = numba.njit(**OPTIONS)  # serial helpers, called from kernels
kernel = numba.njit(parallel=True, **OPTIONS)  # drivers that use prange
