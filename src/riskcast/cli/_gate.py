"""``run --fail-below``: a CI gate on the probability of meeting each milestone's target.

``--fail-below 80`` gates every milestone shown (all, or those given with ``--milestone``) that
has a target; ``--fail-below ga=80`` one milestone (the option repeats, and takes pairs
separated by commas: ``ga=80,beta=60``). A named threshold overrides the plain one for its
milestone. The forecast is printed and written as usual; then each milestone below its
threshold gets one line on stderr and ``run`` exits with :data:`EXIT_GATE`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import EXIT_WARNINGS, CliError

# Exit 1 means "the check ran and found what it was asked to fail on", as for validate --strict:
# a CI job tells a failed gate (1) from bad input (2) and a crash (70).
EXIT_GATE = EXIT_WARNINGS
# Probabilities are shares of runs (count / runs): 100 x share can land a hair below a
# threshold it equals (0.57 x 100 = 56.99999999999999), which must not fail the gate.
SLACK = 1e-9

Threshold = tuple[str | None, float]  # (milestone id, or None for every one; percent)


def gate_spec(text: str) -> list[Threshold]:
    """The thresholds of one ``--fail-below`` value: ``80``, ``80%``, ``ga=80,beta=60``."""
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise argparse.ArgumentTypeError("expected a percentage or ID=PERCENT, got nothing")
    out = []
    for part in parts:
        if not part:
            raise argparse.ArgumentTypeError(f"an empty entry in {text!r}")
        mid, sep, number = part.rpartition("=")
        if sep and not mid.strip():
            raise argparse.ArgumentTypeError(f"a milestone id is missing before '=' in {part!r}")
        out.append((mid.strip() if sep else None, _percent(number.strip())))
    return out


def _percent(text: str) -> float:
    try:
        value = float(text.removesuffix("%").strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= 100):
        raise argparse.ArgumentTypeError(f"a percentage must be in (0, 100], got {text}")
    return value


@dataclass(frozen=True)
class Gate:
    """The thresholds in force: ``plain`` for every milestone shown with a target, ``named``
    per milestone id (percent, in (0, 100])."""

    plain: float | None = None
    named: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_options(cls, values: Iterable[list[Threshold]] | None) -> Gate | None:
        """The gate of the parsed ``--fail-below`` options; None when there are none. A
        milestone (or the plain form) given twice is a CliError: which should win is unclear."""
        if not values:
            return None
        plain, named = None, {}
        for mid, value in (t for option in values for t in option):
            if (plain if mid is None else named.get(mid)) is not None:
                what = "a plain percentage" if mid is None else f'milestone "{mid}"'
                raise CliError(f"--fail-below: {what} is given twice; give it once")
            if mid is None:
                plain = value
            else:
                named[mid] = value
        return cls(plain, named)

    def thresholds(self, project: Any, shown: Sequence[str]) -> dict[str, float]:
        """Milestone id -> threshold, each checked against ``project``.

        ``shown`` are the ids the table shows (what the plain form gates). CliError (exit 2)
        for an unknown milestone, a named one without a target, and a plain threshold with no
        shown milestone that has a target.
        """
        from ._common import check_milestones

        try:
            check_milestones(project, list(self.named))
        except CliError as exc:
            raise CliError(f"--fail-below: {exc}") from None
        targets = {m.id: m.target for m in project.milestones}
        untargeted = [mid for mid in self.named if targets.get(mid) is None]
        if untargeted:
            raise CliError(
                "--fail-below: "
                + "; ".join(f'milestone "{mid}" has no target date to gate' for mid in untargeted)
                + f" (milestones with a target: {', '.join(_with_target(targets)) or 'none'})"
            )
        out = {}
        if self.plain is not None:
            out = {mid: self.plain for mid in shown if targets.get(mid) is not None}
            if not out:
                raise CliError(
                    f"--fail-below {self.plain:g}: no milestone shown has a target date, so "
                    "there is nothing to gate; give milestones a target"
                )
        return out | self.named


def _with_target(targets: dict[str, Any]) -> list[str]:
    return [mid for mid, target in targets.items() if target is not None]


def failures(thresholds: dict[str, float], forecast: Any) -> list[str]:
    """One line per milestone of ``forecast`` whose probability of meeting its target is below
    its threshold, in model order: ``gate: Beta 54% < 80% by its target 2027-06-30``."""
    lines = []
    for m in forecast.milestones:
        if m.id not in thresholds:
            continue
        share, threshold = m.target_probability, thresholds[m.id]
        if 100 * share < threshold - SLACK:
            lines.append(
                f"gate: {m.name} {_shown(share, threshold)} < {threshold:g}% by its target "
                f"{m.target.isoformat()}"
            )
    return lines


def _shown(share: float, threshold: float) -> str:
    """``share`` as a percentage, with the decimals that keep it visibly below ``threshold``
    (79.6%, not a rounded 80% < 80%)."""
    for digits in range(4):
        text = f"{100 * share:.{digits}f}"
        if float(text) < threshold:
            return f"{text}%"
    return f"{100 * share!r}%"
