"""Costs in the plan: what each task, risk and standing overhead costs, in the project's currency.

* A task's :class:`Cost` is a one-off ``fixed`` amount (any estimate distribution, drawn once per
  run) plus a ``rate`` per working day of its simulated duration (a burn rate). Its resource
  assignments add ``Resource.rate x units`` per working day the same way. A finished task costs
  its actual duration; a started one is costed at completion (its whole sampled duration).
* A risk :class:`~riskcast.risks.Impact` may carry a ``cost`` (drawn only in the runs in which the
  risk occurs; negative values are savings). A mitigation's cost counts in the runs of the
  mitigated scenario.
* An :class:`Overhead` is a time-dependent cost: a ``rate`` per working day of the project
  calendar from the project start until a milestone (or the project finish): the standing army.
* ``Project.budget`` and ``Project.currency`` give the money the forecast is compared against.

Amounts are money, not working days: distributions of money are built by :func:`money` (their
values may reach :data:`~riskcast.distributions.MAX_MONEY`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .distributions import MAX_MONEY, Distribution, from_spec, value_limit


def money(spec: Any) -> Distribution:
    """A distribution of money from an estimate spec (a number, ``{triangular = [...]}`` ...).

    Parameters
    ----------
    spec : Distribution, number or estimate table
        As for durations (see :func:`riskcast.distributions.from_spec`), in currency units.

    Returns
    -------
    Distribution

    Raises
    ------
    ModelError
        If the spec is not a valid estimate, or reaches beyond +/- ``MAX_MONEY``.
    """
    with value_limit(MAX_MONEY, "currency units"):
        return from_spec(spec)


@dataclass(frozen=True)
class Cost:
    """What a task costs: ``fixed`` (drawn once per run) + ``rate`` x its duration.

    Parameters
    ----------
    fixed : Distribution, number or estimate table, optional
        A one-off amount (currency units), e.g. ``{"triangular": [4000, 5000, 9000]}``; >= 0.
    rate : float, default 0
        Currency units per working day of the task's simulated duration; >= 0.
    """

    fixed: Distribution | None = None
    rate: float = 0.0

    def __post_init__(self) -> None:
        if self.fixed is not None:
            object.__setattr__(self, "fixed", money(self.fixed))


@dataclass(frozen=True)
class Overhead:
    """A standing cost: ``rate`` per working day of the project calendar, from the project start
    until milestone ``until`` is reached (None: the project finish).

    Parameters
    ----------
    id : str
        Unique among the overheads.
    rate : float
        Currency units per working day; >= 0.
    until : str, optional
        The id of the milestone at which it stops (None: the project finish).
    name : str, optional
        Shown in tables (default: the id).
    """

    id: str
    rate: float
    until: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.id


def _amount(value: Any) -> bool:
    """A finite number, not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _rate(value: Any, place: str, problems: list[str]) -> None:
    if not (_amount(value) and 0 <= value <= MAX_MONEY):
        problems.append(
            f"{place}: a rate is a number of currency units per working day within "
            f"[0, {MAX_MONEY:,.0f}], got {value!r}"
        )


def has_costs(project: Any) -> bool:
    """Whether the plan's work costs money (tasks, resources in use, risk impacts, overheads).

    Mitigation costs alone do not make a cost forecast: they are what a response costs
    (:func:`riskcast.compare_mitigation` weighs them); in a plan with costs they count in the
    mitigated scenario.
    """
    rates = {r.id: r.rate for r in project.resources}
    return bool(
        project.overheads
        or any(t.cost is not None for t in project.tasks)
        or any(rates.get(a.resource) for t in project.tasks for a in t.assignments)
        or any(
            i.cost is not None
            for r in project.risks
            for i in (*r.impacts, *((r.mitigation.impacts or ()) if r.mitigation else ()))
        )
    )


def cost_problems(project: Any) -> list[str]:
    """Every problem with the plan's costs, budget, currency and overheads, each with its place."""
    problems: list[str] = []
    for task in project.tasks:
        cost = task.cost
        if cost is None:
            continue
        place = f'task "{task.id}" > cost'
        if not isinstance(cost, Cost):
            problems.append(f"{place}: must be a Cost (fixed, rate), got {type(cost).__name__}")
            continue
        _rate(cost.rate, f"{place} > rate", problems)
        if cost.fixed is not None and cost.fixed.minimum < 0:
            problems.append(
                f"{place} > fixed: a task's cost must be >= 0, but this {cost.fixed.kind} reaches "
                f"{cost.fixed.minimum:g}; raise its low end (savings belong to risk impacts)"
            )
    for res in project.resources:
        _rate(res.rate, f'resource "{res.id}" > rate', problems)
    budget = project.budget
    if budget is not None and not (_amount(budget) and 0 < budget <= MAX_MONEY):
        problems.append(
            f"project > budget: must be a positive amount of currency units up to "
            f"{MAX_MONEY:,.0f}, got {budget!r}"
        )
    if not isinstance(project.currency, str) or len(project.currency) > 12:
        problems.append(
            f'project > currency: a short name or code such as "EUR", got {project.currency!r}'
        )
    milestones = {m.id for m in project.milestones}
    seen: set[str] = set()
    for k, overhead in enumerate(project.overheads):
        ok_id = isinstance(overhead.id, str) and overhead.id.strip()
        place = f'overhead "{overhead.id}"' if ok_id else f"overhead[{k}]"
        if not ok_id:
            problems.append(f"{place}: id must be a non-empty string, got {overhead.id!r}")
        elif overhead.id in seen:
            problems.append(f"{place}: duplicate overhead id; ids must be unique")
        seen.add(overhead.id)
        _rate(overhead.rate, f"{place} > rate", problems)
        if overhead.until is not None and overhead.until not in milestones:
            from .suggest import suggestion

            problems.append(
                f'{place} > until: unknown milestone "{overhead.until}"'
                f"{suggestion(str(overhead.until), milestones)}; name a milestone, or leave it "
                "out to run until the project finish"
            )
    return problems
