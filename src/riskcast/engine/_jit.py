"""The one home of numba options: every kernel is compiled through these decorators.

``error_model="numpy"`` lets divisions vectorise; no ``fastmath``, because reassociating sums
would make results depend on the compiler's choices instead of the iteration order.

Caching. numba keys a cached function on its own source file only, so a cached kernel would keep
running the old code of a helper edited in another file. Hence only the *entry kernels* (the
functions Python calls, in ``kernels.py``) are cached, and ``kernels.py`` records
:data:`~riskcast.engine.kernels.SOURCES_DIGEST`, a digest of every other source its machine code
is made of (:data:`HELPER_SOURCES`). Editing a helper changes the digest: until ``kernels.py``
records the new one (a test says so, with the value), the entry kernels compile without a cache,
so a stale cache is never used; recording it edits ``kernels.py``, which numba's own file stamp
turns into a fresh cache for everyone who installs or pulls the change. No private numba API and
no file deletion, so concurrent processes cannot race.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba

OPTIONS = {"error_model": "numpy", "nogil": True}

_ENGINE = Path(__file__).parent
# What the entry kernels' machine code is made of, besides kernels.py itself.
HELPER_SOURCES = [
    *(
        _ENGINE / name
        for name in (
            "_jit.py",
            "codes.py",
            "rng.py",
            "sampling.py",
            "timing.py",
            "forward.py",
            "levelling.py",
            "costs.py",
        )
    ),
    *(_ENGINE.parent / name for name in ("tables.py", "units.py")),
]

leaf = numba.njit(**OPTIONS)  # helpers, compiled into the entry kernels that call them
# A parallel entry kernel that calls no helper of another file: numba's stamp of its own file
# is all its cache needs.
standalone_entry = numba.njit(parallel=True, cache=True, **OPTIONS)


def sources_digest() -> str:
    """Digest of :data:`HELPER_SOURCES` (line endings normalised)."""
    text = b"".join(path.read_bytes().replace(b"\r\n", b"\n") for path in HELPER_SOURCES)
    return hashlib.blake2b(text, digest_size=12).hexdigest()


def entry_decorators(recorded_digest: str) -> tuple:
    """(serial, parallel) njit decorators for entry kernels: cached only while the helpers are
    those recorded in ``recorded_digest``."""
    cache = sources_digest() == recorded_digest
    return (
        numba.njit(cache=cache, **OPTIONS),
        numba.njit(parallel=True, cache=cache, **OPTIONS),
    )
