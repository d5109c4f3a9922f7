"""The exception hierarchy: every user-facing failure is one of these."""

from __future__ import annotations

import copy
from collections.abc import Iterable


class RiskcastError(Exception):
    """Base class of every error riskcast raises on purpose."""


class ModelError(RiskcastError, ValueError):
    """A model (file or Python-built) is invalid.

    ``problems`` lists every problem found, each as ``"place: what is wrong; what is allowed"``,
    so a user fixes a file in one pass instead of one error per run.
    """

    def __init__(self, problems: str | Iterable[str], source: str | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        super().__init__(_message(self.problems, source))

    def restated(self, problems: list[str] | None = None, source: str | None = None) -> ModelError:
        """A copy of this error (same class and fields) with other ``problems`` or ``source``:
        e.g. naming the user's file instead of a temporary copy read in its place."""
        err = copy.copy(self)
        err.problems = list(self.problems if problems is None else problems)
        err.source = self.source if source is None else source
        err.args = (_message(err.problems, err.source),)
        return err


def _message(problems: list[str], source: str | None) -> str:
    head = f"{source}: " if source else ""
    if len(problems) == 1:
        return head + problems[0]
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{head}{len(problems)} problems:\n{lines}"


class CycleError(ModelError):
    """The links form a cycle; ``cycle`` lists the ids in order."""

    def __init__(self, problems: str | Iterable[str], cycle: list[str], source: str | None = None):
        self.cycle = cycle
        super().__init__(problems, source)


class ArgumentError(RiskcastError, ValueError):
    """An argument of a riskcast function is out of its allowed range or of the wrong type
    (a ``ValueError`` too, so ``except ValueError`` catches it)."""
