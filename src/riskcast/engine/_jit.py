"""The one home of numba options: every kernel is compiled through these decorators.

``cache=True`` keeps compile time out of every run after the first; ``error_model="numpy"`` lets
divisions vectorise; no ``fastmath``, because reassociating sums would make results depend on the
compiler's choices instead of the iteration order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numba

OPTIONS = {"cache": True, "error_model": "numpy", "nogil": True}

leaf = numba.njit(**OPTIONS)  # serial helpers, called from kernels
kernel = numba.njit(parallel=True, **OPTIONS)  # drivers that use prange


# What the compiled kernels are made of: the engine's modules, and the constants they read.
KERNEL_SOURCES = [
    *sorted(Path(__file__).parent.glob("*.py")),
    *(Path(__file__).parent.parent / name for name in ("tables.py", "compile.py")),
]


def drop_stale_cache(kernel_function: Callable) -> None:
    """Remove the engine's cached machine code when any kernel source changed since it was cached.

    numba keys a cached function on its own file only, so a kernel would keep running the old
    code of a helper edited in another file (an editable install after ``git pull``). A stamp of
    every kernel source beside the cache decides; best effort, as numba's cache itself is.
    """
    try:
        from numba.core.caching import FunctionCache

        directory = Path(FunctionCache(kernel_function.py_func)._cache_path)
        stamp = hashlib.blake2b(
            b"".join(path.read_bytes() for path in KERNEL_SOURCES), digest_size=16
        ).hexdigest()
        marker = directory / "riskcast-kernels.stamp"
        if marker.is_file() and marker.read_text() == stamp:
            return
        for cached in [*directory.glob("*.nbi"), *directory.glob("*.nbc")]:
            cached.unlink(missing_ok=True)
        directory.mkdir(parents=True, exist_ok=True)
        marker.write_text(stamp)
    except (ImportError, AttributeError, OSError):  # an unusual numba or a read-only cache
        return
