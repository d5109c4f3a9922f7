"""The exception hierarchy: every user-facing failure is one of these."""

from __future__ import annotations

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
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            message = head + self.problems[0]
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{head}{len(self.problems)} problems:\n{lines}"
        super().__init__(message)


class CycleError(ModelError):
    """The links form a cycle; ``cycle`` lists the ids in order."""

    def __init__(self, problems: str | Iterable[str], cycle: list[str], source: str | None = None):
        self.cycle = cycle
        super().__init__(problems, source)


class ArgumentError(RiskcastError, ValueError):
    """An argument of a riskcast function is out of its allowed range or of the wrong type
    (a ``ValueError`` too, so ``except ValueError`` catches it)."""
