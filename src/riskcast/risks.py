"""Risks, correlation and probabilistic branching: the uncertainty beyond single estimates.

* A :class:`Risk` occurs in an iteration with its ``probability`` (one draw per iteration) and then
  changes the durations of the tasks it names: ``multiply`` scales the duration by a drawn factor,
  ``add`` adds drawn working days (negative values are opportunities). A task's duration is
  ``estimate x product of factors + sum of additions`` over the risks that occurred. With
  ``shared_impact`` (the default) one uniform drives every impact of the risk (the tasks move
  together); otherwise each task draws its own. A probability of 1 makes a risk driver: an
  uncertainty that always applies (AACE RP 57R-09).
* A :class:`Mitigation` gives the risk's probability and/or impacts after the response, and its cost.
* A :class:`Correlation` asks for a rank (Spearman) correlation between every pair of its task
  durations or risk occurrences; it is applied to the uniforms through a Gaussian copula, so every
  marginal stays exactly as given.
* A task with ``probability`` < 1 happens only in that share of iterations; a :class:`Branch` picks
  one of its options (sets of tasks) per iteration. Tasks that do not happen take zero time but keep
  their links.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import correlation
from .distributions import Distribution, from_spec


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _probability(value: Any, place: str, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        problems.append(f"{place}: a probability is a number within [0, 1], got {value!r}")


@dataclass(frozen=True)
class Impact:
    """What a risk does to one task when it occurs: add working days or multiply the duration,
    and what it costs.

    Give at most one of ``add`` and ``multiply``, and at least one of them or ``cost`` (checked
    by :func:`riskcast.validate`).

    Parameters
    ----------
    task : str
        The id of the task hit.
    add : Distribution, number or estimate table, optional
        Working days added to the task's duration, drawn per iteration (negative values are
        opportunities; a duration never goes below 0).
    multiply : Distribution, number or estimate table, optional
        Factor (>= 0) the task's estimate is multiplied by, drawn per iteration.
    cost : Distribution, number or estimate table, optional
        Currency units the occurrence costs (negative: a saving), drawn per iteration in which
        the risk occurs, on a stream of its own; it counts towards the task's cost.

    Raises
    ------
    ModelError
        If ``add`` or ``multiply`` is not a valid estimate (e.g. ``{"pert": [1, 2]}``).
    """

    task: str
    add: Distribution | None = None
    multiply: Distribution | None = None
    cost: Distribution | None = None

    def __post_init__(self) -> None:
        for name in ("add", "multiply"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, from_spec(value))
        if self.cost is not None:
            from .costs import money

            object.__setattr__(self, "cost", money(self.cost))

    @property
    def distribution(self) -> Distribution | None:
        """The duration impact (None: the impact only costs money)."""
        return self.add if self.add is not None else self.multiply


@dataclass(frozen=True)
class Mitigation:
    """A risk after its response (what a mitigation changes, and what it costs).

    Parameters
    ----------
    probability : float or (float, float), optional
        The probability of occurrence after the response, in [0, 1] (or a (low, high) range);
        None keeps the risk's own.
    impacts : tuple of Impact, optional
        The impacts after the response; None keeps the risk's own.
    cost : float, default 0
        The response's cost, in the project's currency (>= 0).
    """

    probability: float | tuple[float, float] | None = None
    impacts: tuple[Impact, ...] | None = None
    cost: float = 0.0

    def __post_init__(self) -> None:
        if self.impacts is not None:
            object.__setattr__(self, "impacts", tuple(self.impacts))
        if isinstance(self.probability, list):
            object.__setattr__(self, "probability", tuple(self.probability))


@dataclass(frozen=True)
class Risk:
    """An uncertain event that, when it occurs, changes the durations of the tasks it names.

    Parameters
    ----------
    id : str
        Unique id among the project's risks.
    probability : float or (float, float)
        Probability of occurrence per iteration, in [0, 1]; or a (low, high) range, drawn
        uniformly per iteration (so the risk occurs with the range's midpoint probability). A
        probability of 1 makes it an always-applying uncertainty (a risk driver, AACE RP 57R-09).
    impacts : tuple of Impact
        What it does to each task it hits (at least one).
    title : str, optional
        Name shown in tables and charts (default: the id).
    owner : str, optional
        Who manages the risk.
    shared_impact : bool, default True
        One uniform drives every impact (the tasks move together); False draws each separately.
    mitigation : Mitigation, optional
        The risk after its response, for ``mitigation="post"`` runs and
        :func:`riskcast.compare_mitigation`.

    Notes
    -----
    Values are checked by :func:`riskcast.validate` (called by :func:`riskcast.load` and
    :func:`riskcast.simulate`), which lists every problem at once.
    """

    id: str
    probability: float | tuple[float, float]
    impacts: tuple[Impact, ...]
    title: str = ""
    owner: str = ""
    shared_impact: bool = True
    mitigation: Mitigation | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "impacts", tuple(self.impacts))
        if isinstance(self.probability, list):
            object.__setattr__(self, "probability", tuple(self.probability))

    @property
    def label(self) -> str:
        return self.title or self.id

    def effective(self, mitigated: bool) -> tuple[float | tuple[float, float], tuple[Impact, ...]]:
        """(probability, impacts) before or after mitigation."""
        if not mitigated or self.mitigation is None:
            return self.probability, self.impacts
        m = self.mitigation
        return (
            self.probability if m.probability is None else m.probability,
            self.impacts if m.impacts is None else m.impacts,
        )


@dataclass(frozen=True)
class Correlation:
    """A rank (Spearman) correlation between task durations or between risk occurrences.

    Applied through a Gaussian copula, so every marginal distribution stays exactly as given.

    Parameters
    ----------
    coefficient : float
        The rank correlation between every pair of the named ids, in [-1, 1].
    tasks : tuple of str, optional
        Ids of at least two tasks whose durations are correlated.
    risks : tuple of str, optional
        Ids of at least two risks whose occurrences are correlated (name tasks or risks, not both).
    """

    coefficient: float
    tasks: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(self.tasks))
        object.__setattr__(self, "risks", tuple(self.risks))


@dataclass(frozen=True)
class BranchOption:
    """One option of a :class:`Branch`: tasks that happen together when it is chosen.

    Parameters
    ----------
    tasks : tuple of str
        Ids of the tasks of this option (a task belongs to at most one branch).
    probability : float
        Probability that this option is chosen in an iteration, in [0, 1].
    """

    tasks: tuple[str, ...]
    probability: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(self.tasks))


@dataclass(frozen=True)
class Branch:
    """Exclusive alternatives: per iteration, one option's tasks happen and the others' do not.

    Tasks that do not happen take zero time but keep their links.

    Parameters
    ----------
    id : str
        Unique id among the project's branches.
    options : tuple of BranchOption
        At least two options whose probabilities add up to at most 1; with the remaining
        probability no option happens.
    """

    id: str
    options: tuple[BranchOption, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))


def _check_probability_spec(value: Any, place: str, problems: list[str]) -> None:
    if isinstance(value, tuple | list):
        if len(value) != 2:
            problems.append(f"{place}: a probability range is [low, high], got {list(value)!r}")
            return
        for v in value:
            _probability(v, place, problems)
        # compared whenever both ends are numbers: never hidden by another problem
        if all(_is_number(v) for v in value) and value[0] > value[1]:
            problems.append(f"{place}: range low {value[0]} exceeds high {value[1]}; swap them")
    else:
        _probability(value, place, problems)


def _check_impacts(impacts: Iterable[Impact], tasks: set[str], place: str, out: list[str]) -> None:
    for k, impact in enumerate(impacts):
        where = f"{place} > impacts[{k}]"
        if impact.task not in tasks:
            from .suggest import suggestion

            out.append(f'{where}: unknown task "{impact.task}"{suggestion(impact.task, tasks)}')
        if impact.add is not None and impact.multiply is not None:
            out.append(f"{where}: give one of add (working days) or multiply (a factor), not both")
        elif impact.add is None and impact.multiply is None and impact.cost is None:
            out.append(f"{where}: give add (working days), multiply (a factor) or cost (money)")
        if impact.multiply is not None and impact.multiply.mean < 0:
            out.append(f"{where} > multiply: factors must be >= 0")


def risk_problems(project: Any, order: Sequence[str] | None = None) -> list[str]:
    """Every problem with the risks, correlations, branches and task probabilities of a project.

    ``order`` is the activities' dependency order, which orders the tasks named in a correlation
    problem as the compiler does (None: file order).
    """
    problems: list[str] = []
    tasks = {t.id for t in project.tasks}
    risk_ids: set[str] = set()
    for risk in project.risks:
        place = f'risk "{risk.id}"'
        if risk.id in risk_ids:
            problems.append(f"{place}: duplicate risk id")
        risk_ids.add(risk.id)
        _check_probability_spec(risk.probability, f"{place} > probability", problems)
        if not risk.impacts:
            problems.append(f"{place}: a risk needs at least one impact")
        _check_impacts(risk.impacts, tasks, place, problems)
        m = risk.mitigation
        if m is not None:
            if m.probability is not None:
                _check_probability_spec(
                    m.probability, f"{place} > mitigation > probability", problems
                )
            if m.impacts is not None:
                _check_impacts(m.impacts, tasks, f"{place} > mitigation", problems)
            if (
                isinstance(m.cost, bool)
                or not isinstance(m.cost, int | float)
                or not (math.isfinite(m.cost) and m.cost >= 0)
            ):
                problems.append(
                    f"{place} > mitigation > cost: must be a number >= 0, got {m.cost!r}"
                )
    for task in project.tasks:
        if task.probability != 1.0:
            _probability(task.probability, f'task "{task.id}" > probability', problems)
    # the same check the compiler factors the correlations with (riskcast.correlation.plan)
    problems.extend(correlation.plan(project, order).problems)
    in_branch: dict[str, str] = {}
    for branch in project.branches:
        place = f'branch "{branch.id}"'
        total = 0.0
        for k, option in enumerate(branch.options):
            _probability(option.probability, f"{place} > options[{k}] > probability", problems)
            if isinstance(option.probability, int | float):
                total += option.probability
            for id in option.tasks:
                if id not in tasks:
                    problems.append(f'{place} > options[{k}]: unknown task "{id}"')
                elif id in in_branch:
                    problems.append(f'{place}: task "{id}" is already in branch "{in_branch[id]}"')
                else:
                    in_branch[id] = branch.id
        if len(branch.options) < 2:
            problems.append(f"{place}: a branch needs at least two options")
        if total > 1 + 1e-9:
            problems.append(f"{place}: option probabilities add up to {total:g}, more than 1")
    for task in project.tasks:
        if task.id in in_branch and task.probability != 1.0:
            problems.append(f'task "{task.id}": has a probability and is in a branch; choose one')
    return problems
