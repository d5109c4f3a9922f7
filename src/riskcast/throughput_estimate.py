"""A plan's task whose duration comes from a team's throughput (:mod:`riskcast.throughput`):
``estimate = { throughput = [3, 5, 4], items = 40 }`` compiles to a
:class:`~riskcast.distributions.Discrete` distribution of working days, exact from the dynamic
programme, so the engine, correlation and everything else work unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .distributions import Discrete, Distribution
from .errors import ArgumentError, ModelError
from .throughput import when
from .throughput_inputs import (
    DEFAULT_HORIZON,
    DEFAULT_PERIOD_DAYS,
    MAX_CENSORED,
    as_history,
    check_horizon,
    check_period_days,
    check_split,
    multipliers,
    parse_counts,
    parse_items,
    read_history_csv,
)

# -- the plan's estimate --------------------------------------------------------------------------
SPEC_KEYS = ("throughput", "history", "items", "split", "period", "multipliers", "horizon")


@dataclass(frozen=True)
class ThroughputEstimate(Discrete):
    """A task's duration from a team's throughput: the exact distribution of the periods to
    finish ``items`` (:func:`when`), as a :class:`~riskcast.distributions.Discrete` of working
    days (k x ``period`` for k periods), so that the engine, correlation and every statistic
    treat it as any discrete estimate. Build it with :meth:`build` (or ``from_spec``).

    Runs later than the horizon are put one period past it, ``(horizon + 1) x period`` working
    days (the earliest they could finish); a history that leaves more than
    :data:`MAX_CENSORED` of the probability there is refused (raise ``horizon`` or check the
    history) rather than forecast a wrong tail.
    """

    counts: tuple[int, ...] = ()
    items: Any = 0
    split: tuple[float, float] | None = None
    period: float = DEFAULT_PERIOD_DAYS
    factors: tuple[tuple[int, float], ...] = ()
    horizon: int = DEFAULT_HORIZON
    kind: ClassVar[str] = "throughput"

    @classmethod
    def build(
        cls,
        history: Any,
        items: Any,
        *,
        split: Any = None,
        period: float = DEFAULT_PERIOD_DAYS,
        multipliers_spec: Any = None,
        horizon: int = DEFAULT_HORIZON,
    ) -> ThroughputEstimate:
        """The estimate of ``items`` at the throughput of ``history`` (see :func:`when`);
        ``period`` in working days (in hours when the task's unit is hours)."""
        hist = as_history(history)
        period = check_period_days(period)
        try:
            horizon = check_horizon(horizon)
        except ArgumentError as exc:
            raise ModelError(str(exc)) from None
        factors = multipliers(multipliers_spec, horizon)
        pairs = tuple((k + 1, float(f)) for k, f in enumerate(factors.tolist()) if f != 1.0)
        forecast = when(
            hist,
            items,
            split=split,
            multipliers_spec=dict(pairs),
            horizon=horizon,
            period_days=period,
        )
        if forecast.censored > MAX_CENSORED:
            raise ModelError(
                f"throughput: {100 * forecast.censored:.2g}% of runs would not finish "
                f"{_describe_items(items)} within the horizon of {horizon} periods (mean "
                f"throughput {hist.mean:.3g} items per period); raise horizon or check the history"
            )
        probs = forecast.probabilities
        weights = np.concatenate([probs, [forecast.censored]]) if forecast.censored else probs
        keep = np.flatnonzero(weights > 0)
        values = tuple(float(k * period) for k in keep.tolist())
        return cls(
            values,
            tuple(weights[keep].tolist()),
            counts=hist.counts,
            items=_items_key(items),
            split=check_split(split),
            period=period,
            factors=pairs,
            horizon=horizon,
        )

    def to_spec(self) -> Any:
        spec: dict[str, Any] = {"throughput": list(self.counts), "items": _items_spec(self.items)}
        if self.split is not None:
            spec["split"] = list(self.split)
        if self.period != DEFAULT_PERIOD_DAYS:
            spec["period"] = self.period
        if self.factors:
            spec["multipliers"] = [{"period": k, "factor": f} for k, f in self.factors]
        if self.horizon != DEFAULT_HORIZON:
            spec["horizon"] = self.horizon
        return spec

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> ThroughputEstimate:
        """Read ``{ throughput = [3, 5, 4], items = 40, split = [1.0, 1.3], period = 5,
        multipliers = [{ period = 3, factor = 0.5 }], horizon = 520 }`` (``history =
        "done.csv"`` instead of ``throughput``: a CSV of completion dates)."""
        from .suggest import unknown_key_message

        problems = [
            unknown_key_message(k, SPEC_KEYS, "throughput estimate")
            for k in spec
            if k not in SPEC_KEYS
        ]
        sources = [k for k in ("throughput", "history") if k in spec]
        if len(sources) != 1:
            problems.append(
                "throughput: give exactly one of throughput = [items per period, ...] or "
                'history = "completion-dates.csv"'
            )
        if "items" not in spec:
            problems.append("throughput: items is required: a number, [low, high] or an estimate")
        if problems:
            raise ModelError(problems)
        if "history" in spec:
            if not isinstance(spec["history"], str):
                raise ModelError(
                    f"history: expected the path of a CSV file, got {spec['history']!r}"
                )
            history: Any = read_history_csv(spec["history"])
        else:
            history = parse_counts(spec["throughput"])
        items = spec["items"]
        if isinstance(items, Mapping):
            from .distributions import from_spec

            items = from_spec(dict(items))
        return cls.build(
            history,
            items,
            split=spec.get("split"),
            period=spec.get("period", DEFAULT_PERIOD_DAYS),
            multipliers_spec=spec.get("multipliers"),
            horizon=spec.get("horizon", DEFAULT_HORIZON),
        )


def _items_key(items: Any) -> Any:
    """``items`` in a hashable form that :func:`_items_spec` writes back."""
    if isinstance(items, Distribution):
        return items
    if isinstance(items, str):
        items = parse_items(items, "items")
    if isinstance(items, Sequence):
        return tuple(int(v) for v in items)
    return int(items)


def _items_spec(items: Any) -> Any:
    if isinstance(items, Distribution):
        return items.to_spec()
    if isinstance(items, tuple):
        return list(items)
    return items


def _describe_items(items: Any) -> str:
    if isinstance(items, Distribution):
        return f"the {items.kind} backlog"
    if isinstance(items, Sequence) and not isinstance(items, str):
        return f"{items[0]}..{items[1]} items"
    return f"{items} items"
