"""Did-you-mean suggestions for unknown keys and ids."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggestion(name: str, known: Iterable[str]) -> str:
    """``'; did you mean "x"?'`` for the closest known name, or ``''``."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def unknown_key_message(key: str, allowed: Iterable[str], where: str) -> str:
    allowed = list(allowed)
    return (
        f'unknown key "{key}" in {where}{suggestion(key, allowed)} (allowed: {", ".join(allowed)})'
    )
