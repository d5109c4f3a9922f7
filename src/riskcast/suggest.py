"""Did-you-mean suggestions for unknown keys and ids.

Shared by the model, the model-file reader, the forecast and the command line, so it lives at the
top of the package: core modules must not import :mod:`riskcast.io`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggestion(name: str, known: Iterable[str]) -> str:
    """The closest known name as a message suffix.

    Parameters
    ----------
    name : str
        The unknown key or id, as the user wrote it.
    known : iterable of str
        The names that exist.

    Returns
    -------
    str
        ``'; did you mean "x"?'`` for the closest known name (similarity at least 0.6), or ``''``
        when none is close.
    """
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def unknown_key_message(key: str, allowed: Iterable[str], where: str) -> str:
    """The message for an unknown key: a suggestion and the allowed keys.

    Parameters
    ----------
    key : str
        The unknown key.
    allowed : iterable of str
        The keys allowed at that place, in the order to list them.
    where : str
        The place of the key, e.g. ``'task "api"'``.

    Returns
    -------
    str
        ``'unknown key "k" in <where>; did you mean "x"? (allowed: a, b)'``.
    """
    allowed = list(allowed)
    return (
        f'unknown key "{key}" in {where}{suggestion(key, allowed)} (allowed: {", ".join(allowed)})'
    )
