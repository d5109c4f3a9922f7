"""Uncertainty templates: give single-point durations a relative range.

Imported plans carry one duration per task. A rule such as ``"pert(-10%, 0%, +30%)"`` turns a
task of d working days into Pert(0.9 d, d, 1.3 d); more specific rules override general ones:

    rules = [parse_rule("pert(-10%, 0%, +30%)"),             # every task
             parse_rule("design*: triangular(-5%, 0%, +50%)"),  # names starting with "design"
             parse_rule("wbs:Phase 2*: uniform(-10%, +20%)")]    # by WBS path
    project = apply_rules(project, rules)

The LAST matching rule wins, so write general rules first. Only tasks whose estimate is a single
point (:class:`Fixed`) change; explicit distributions and zero durations are left alone.

Model-file spelling (``[[uncertainty]]`` tables, read by :func:`rule_from_spec`)::

    [[uncertainty]]
    match = "design*"        # fnmatch pattern, case-insensitive; default "*"
    field = "name"           # name (default), id, wbs or tag.KEY
    estimate = "triangular(-5%, 0%, +50%)"
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..distributions import Distribution, Fixed, Pert, Triangular, Uniform
from ..errors import ModelError
from ..model import Project, Task
from ..suggest import suggestion, unknown_key_message

__all__ = ["Rule", "Uncertainty", "apply_rules", "parse_rule", "rule_from_spec"]

KINDS = {"pert": 3, "triangular": 3, "uniform": 2}
FIELDS = ("name", "id", "wbs", "tag.KEY")
EXAMPLE = 'e.g. "design*: triangular(-5%, 0%, +50%)" or "pert(-10%, 0%, +30%)"'
_ESTIMATE = re.compile(r"^\s*(?P<kind>[A-Za-z_]\w*)\s*\((?P<args>[^()]*)\)\s*$")
_PERCENT = re.compile(r"^\s*(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?P<pct>%?)\s*$")


@dataclass(frozen=True)
class Rule:
    """Give tasks whose ``field`` matches ``pattern`` a ``kind`` range relative to their duration.

    ``percents`` are the offsets in percent of the single-point duration d: (low, mode, high) for
    pert and triangular, (low, high) for uniform; the estimate is KIND(d (1 + p/100), ...).
    ``field`` is "name", "id", "wbs" or "tag.KEY"; ``pattern`` an fnmatch glob, case-insensitive.
    """

    kind: str
    percents: tuple[float, ...]
    pattern: str = "*"
    field: str = "name"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", str(self.kind).lower())
        object.__setattr__(self, "percents", tuple(float(p) for p in self.percents))
        if KINDS.get(self.kind) != len(self.percents):
            raise ModelError(
                f"uncertainty rule: {self.kind} needs {KINDS.get(self.kind, 3)} "
                f"percentages, got {self.percents}; {EXAMPLE}"
            )
        _check_field(self.field, self.field, "uncertainty rule")

    @property
    def estimate_text(self) -> str:
        """The estimate part in rule spelling, e.g. ``pert(-10%, 0%, +30%)``."""
        return f"{self.kind}({', '.join(_fmt_percent(p) for p in self.percents)})"

    def __str__(self) -> str:
        head = (
            ""
            if self.pattern == "*" and self.field == "name"
            else (f"{self.pattern}: " if self.field == "name" else f"{self.field}:{self.pattern}: ")
        )
        return head + self.estimate_text

    def to_spec(self) -> dict[str, str]:
        """The ``[[uncertainty]]`` table that :func:`rule_from_spec` reads back to an equal rule."""
        spec = {"match": self.pattern}
        if self.field != "name":
            spec["field"] = self.field
        spec["estimate"] = self.estimate_text
        return spec

    def value_of(self, task: Task) -> str | None:
        """The text this rule's pattern is matched against, or None (no such tag)."""
        if self.field == "name":
            return task.name or task.id
        if self.field == "id":
            return task.id
        if self.field == "wbs":
            return task.tags.get("wbs", "")
        value = task.tags.get(self.field[4:])
        return None if value is None else str(value)

    def matches(self, task: Task) -> bool:
        value = self.value_of(task)
        return value is not None and fnmatch.fnmatchcase(value.lower(), self.pattern.lower())

    def estimate(self, days: float) -> Distribution:
        """The estimate for a single-point duration of ``days`` working days."""
        if days == 0:
            return Fixed(0.0)
        # d * (100 + p) / 100 rather than d * (1 + p/100): exact for whole percents and days.
        values = [days * (100.0 + p) / 100.0 for p in self.percents]
        if self.kind == "uniform":
            return Uniform(*values)
        if self.kind == "triangular":
            return Triangular(*values)
        return Pert(*values)


def _fmt_percent(p: float) -> str:
    text = f"{p:+g}" if p != 0 else "0"
    return text + "%"


def _parse_percents(kind: str, args: str, text: str, place: str) -> tuple[float, ...]:
    parts = [a for a in args.split(",")]
    want = KINDS[kind]
    names = "low, high" if want == 2 else "low, most likely, high"
    if len(parts) != want:
        raise ModelError(
            f"{place}: {kind} takes {want} percentages ({names}), got "
            f"{len(parts) if args.strip() else 0} in {text!r}; {EXAMPLE}"
        )
    values = []
    for part in parts:
        m = _PERCENT.match(part)
        if not m or (not m.group("pct") and float(m.group("num")) != 0):
            raise ModelError(
                f"{place}: {part.strip()!r} in {text!r} is not a percentage like "
                f"-10% or +30%; {EXAMPLE}"
            )
        values.append(float(m.group("num")))
    if values[0] < -100:
        raise ModelError(
            f"{place}: the low offset {_fmt_percent(values[0])} in {text!r} would "
            "make durations negative; it must be >= -100%"
        )
    if any(a > b for a, b in itertools.pairwise(values)):
        raise ModelError(
            f"{place}: percentages in {text!r} must be in order {names} "
            f"(each <= the next); {EXAMPLE}"
        )
    return tuple(values)


def _parse_estimate(estimate: str, text: str, place: str) -> tuple[str, tuple[float, ...]]:
    m = _ESTIMATE.match(estimate)
    if not m:
        raise ModelError(
            f'{place}: cannot read {text!r}; a rule is "[FIELD:]PATTERN: '
            f'KIND(a%, b%, c%)" with KIND pert, triangular or uniform (two values); '
            f"{EXAMPLE}"
        )
    kind = m.group("kind").lower()
    if kind not in KINDS:
        raise ModelError(
            f"{place}: unknown kind {m.group('kind')!r} in {text!r}"
            f"{suggestion(kind, KINDS)} (allowed: pert, triangular, uniform); "
            f"{EXAMPLE}"
        )
    return kind, _parse_percents(kind, m.group("args"), text, place)


def _check_field(name: str, text: str, place: str) -> str:
    if name in ("name", "id", "wbs"):
        return name
    if name.startswith("tag.") and len(name) > 4:
        return name
    raise ModelError(
        f"{place}: unknown field {name!r} in {text!r}"
        f"{suggestion(name, ('name', 'id', 'wbs'))} (allowed: {', '.join(FIELDS)}); "
        f'e.g. "wbs:Phase 1*: pert(-10%, 0%, +30%)"'
    )


def parse_rule(text: str) -> Rule:
    """Read ``"[FIELD:]PATTERN: KIND(a%, b%, c%)"`` or ``"KIND(...)"`` (applies to every task).

    KIND is pert, triangular (three percentages) or uniform (two). FIELD is name (default), id,
    wbs or tag.KEY; PATTERN an fnmatch glob, case-insensitive. Raises ModelError naming the rule.
    """
    place = f"uncertainty rule {text!r}"
    if not isinstance(text, str) or not text.strip():
        raise ModelError(f"{place}: empty rule; {EXAMPLE}")
    # The estimate is the last "KIND(...)"; everything before its colon is [FIELD:]PATTERN.
    m = re.match(r"^(?:(?P<head>.*):)?\s*(?P<est>[A-Za-z_]\w*\s*\([^()]*\))\s*$", text, re.S)
    if not m:
        _parse_estimate(text.rsplit(":", 1)[-1], text, place)  # raises the precise message
        raise ModelError(f"{place}: cannot read it; {EXAMPLE}")  # pragma: no cover
    kind, percents = _parse_estimate(m.group("est"), text, place)
    head = m.group("head")
    if head is None:
        return Rule(kind, percents)
    field, pattern = "name", head.strip()
    prefix = re.match(r"^\s*([A-Za-z_][\w.]*)\s*:(.*)$", head, re.S)
    if prefix:  # "wbs:Phase 1*" — a word before a colon must be a field name
        field = _check_field(prefix.group(1), text, place)
        pattern = prefix.group(2).strip()
    if not pattern:
        raise ModelError(
            f"{place}: empty pattern before the estimate; use * for every task; {EXAMPLE}"
        )
    return Rule(kind, percents, pattern, field)


def rule_from_spec(spec: Mapping[str, Any], place: str) -> Rule:
    """Read one ``[[uncertainty]]`` table: ``match`` (default "*"), ``field`` (default "name"),
    ``estimate`` (e.g. "pert(-10%, 0%, +30%)"). ``place`` prefixes error messages."""
    if not isinstance(spec, Mapping):
        raise ModelError(
            f"{place}: an [[uncertainty]] entry is a table with match, field and "
            f"estimate, got {spec!r}"
        )
    allowed = ("match", "field", "estimate")
    problems = [
        f"{place}: {unknown_key_message(k, allowed, '[[uncertainty]]')}"
        for k in spec
        if k not in allowed
    ]
    if problems:
        raise ModelError(problems)
    if "estimate" not in spec:
        raise ModelError(f'{place}: missing estimate, e.g. estimate = "pert(-10%, 0%, +30%)"')
    values = {k: spec.get(k, d) for k, d in (("match", "*"), ("field", "name"), ("estimate", ""))}
    for key, value in values.items():
        if not isinstance(value, str):
            raise ModelError(f"{place} > {key}: must be a string, got {value!r}")
    estimate = values["estimate"]
    kind, percents = _parse_estimate(estimate, estimate, f"{place} > estimate")
    field = _check_field(values["field"], values["field"], f"{place} > field")
    if not values["match"].strip():
        raise ModelError(f'{place} > match: empty pattern; use "*" for every task')
    return Rule(kind, percents, values["match"].strip(), field)


def apply_rules(project: Project, rules: Sequence[Rule]) -> Project:
    """A copy of ``project`` where every single-point task gets the estimate of its last matching
    rule. Tasks with an explicit distribution, zero durations and milestones stay as they are."""
    rules = [parse_rule(r) if isinstance(r, str) else r for r in rules]
    if not rules:
        return project
    tasks = []
    for task in project.tasks:
        if isinstance(task.estimate, Fixed) and task.estimate.value > 0:
            for rule in reversed(rules):
                if rule.matches(task):
                    task = dataclasses.replace(task, estimate=rule.estimate(task.estimate.value))
                    break
        tasks.append(task)
    return dataclasses.replace(project, tasks=tuple(tasks))


@dataclass(frozen=True)
class Uncertainty:
    """How :func:`riskcast.io.schedules.read_schedule` adds spread to an imported plan.

    ``three_point`` names the custom fields holding (low, most likely, high): MS Project extended
    attribute aliases or field names (e.g. ("Optimistic", "Most likely", "Pessimistic") or
    ("Duration1", "Duration2", "Duration3")), P6 user-defined field labels. A None middle name
    uses the scheduled duration as most likely. ``rules`` are applied afterwards to the tasks that
    still have a single point.
    """

    three_point: tuple[str | None, str | None, str | None] | None = None
    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        if self.three_point is not None:
            names = tuple(self.three_point)
            if len(names) != 3 or names[0] is None or names[2] is None:
                raise ModelError(
                    f"three_point names (low, most likely, high) fields, the middle "
                    f"one may be None; got {self.three_point!r}"
                )
            object.__setattr__(self, "three_point", names)
        object.__setattr__(
            self, "rules", tuple(parse_rule(r) if isinstance(r, str) else r for r in self.rules)
        )


def as_uncertainty(value: Any) -> Uncertainty:
    """An :class:`Uncertainty` from None, itself, a mapping of its fields, or a list of rules."""
    if value is None:
        return Uncertainty()
    if isinstance(value, Uncertainty):
        return value
    if isinstance(value, Mapping):
        return Uncertainty(value.get("three_point"), tuple(value.get("rules", ())))
    if isinstance(value, str | Rule):
        return Uncertainty(rules=(value,))
    return Uncertainty(rules=tuple(value))
