"""Candidate projects of a portfolio: the projects that could be funded, and the rules of the
choice (:mod:`riskcast.selection` makes it).

A candidate is a project plan with an expected **value** (any estimate, currency units), a
**cost** (an estimate; default: what its plan costs in the simulation) and the other candidates
it **needs**. A cross link from a candidate into another candidate makes the second need the
first; a committed project may not depend on a candidate (it would not be committed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from .costs import has_costs
from .distributions import Distribution
from .model import Project
from .suggest import suggestion

SEPARATOR = "/"  # as riskcast.portfolio.SEPARATOR (kept here: this module sits below it)


@dataclass(frozen=True)
class Candidate:
    """A project that may join the portfolio.

    Parameters
    ----------
    id : str
        Its project id (the namespace of its ids, as for committed projects).
    project : Project
        Its plan, ids as in its own file (not namespaced).
    value : Distribution
        What delivering it is worth (currency units; :func:`riskcast.money` builds one).
    cost : Distribution, optional
        What funding it costs (currency units); None: the cost of its plan, simulated (the plan
        must then have costs).
    needs : tuple of str, optional
        Other candidates it cannot do without.
    name : str, optional
        Display name (default: its plan's name).
    """

    id: str
    project: Project
    value: Distribution
    cost: Distribution | None = None
    needs: tuple[str, ...] = ()
    name: str = ""

    @property
    def title(self) -> str:
        """The display name."""
        return self.name or self.project.name


@dataclass(frozen=True)
class SelectionRules:
    """What a selection must respect.

    Parameters
    ----------
    budget : float, optional
        Money for the candidates (currency units): the chosen candidates' expected costs add up
        to at most this. None: no limit.
    confidence : float, default 80
        Percent in (0, 100]: every roadmap milestone of a chosen candidate meets its due date
        in at least this share of the runs, and no committed roadmap milestone that does so
        without any candidate falls below it.
    """

    budget: float | None = None
    confidence: float = 80.0


def candidate_problems(
    candidates: Mapping[str, Candidate],
    committed: Iterable[str],
    rules: SelectionRules | None,
    rated: Iterable[str] = (),
) -> list[str]:
    """Every problem of ``candidates`` next to the ``committed`` project ids, and of ``rules``
    (``rated``: the shared pools the portfolio gives a rate)."""
    rated = set(rated)
    problems = []
    committed = set(committed)
    for cid, c in candidates.items():
        place = f'candidate "{cid}"'
        if cid in committed:
            problems.append(
                f"{place}: a committed project has this id too; project ids must be unique"
            )
        if not isinstance(c.value, Distribution):
            problems.append(f"{place} > value: expected an estimate of money, got {c.value!r}")
        if c.cost is not None and not isinstance(c.cost, Distribution):
            problems.append(f"{place} > cost: expected an estimate of money, got {c.cost!r}")
        elif c.cost is not None and c.cost.mean < 0:
            problems.append(f"{place} > cost: must not be negative on average")
        elif c.cost is None and isinstance(c.project, Project) and not _costs(c.project, rated):
            problems.append(
                f"{place}: its plan costs nothing; give the candidate a cost (an estimate of "
                "money), or its plan costs (task costs, resource rates)"
            )
        for need in c.needs:
            if need == cid:
                problems.append(f"{place} > needs: names the candidate itself")
            elif need in committed:
                problems.append(
                    f'{place} > needs: "{need}" is committed (always in the portfolio); list '
                    "only candidates"
                )
            elif need not in candidates:
                problems.append(
                    f'{place} > needs: no candidate "{need}"{suggestion(need, candidates)}'
                )
    if rules is not None:
        budget, level = rules.budget, rules.confidence
        if budget is not None and not (
            isinstance(budget, int | float) and math.isfinite(budget) and budget >= 0
        ):
            problems.append(f"selection > budget: must be a number >= 0, got {budget!r}")
        if not (isinstance(level, int | float) and 0 < level <= 100):
            problems.append(
                f"selection > confidence: must be a percentage in (0, 100], got {level!r}"
            )
    return problems


def _costs(project: Project, rated: set[str]) -> bool:
    """Whether the plan costs anything in the portfolio (its own costs, or a shared pool's)."""
    return has_costs(project) or any(
        a.resource in rated for t in project.tasks for a in t.assignments
    )


def link_needs(
    links: Iterable[tuple[str, str]], candidates: Mapping[str, Candidate]
) -> tuple[dict[str, set[str]], list[str]]:
    """The needs cross links imply, and the problems they make.

    Parameters
    ----------
    links : iterable of (str, str)
        (predecessor, successor) of each cross link, namespaced ids.
    candidates : mapping of str to Candidate

    Returns
    -------
    needs : dict of str to set of str
        Candidate id -> the candidates it needs, given and implied.
    problems : list of str
        Links from a candidate into a committed project.
    """
    needs = {cid: set(c.needs) for cid, c in candidates.items()}
    problems = []
    for k, (before, after) in enumerate(links):
        source, target = before.split(SEPARATOR)[0], after.split(SEPARATOR)[0]
        if source not in candidates:
            continue
        if target in candidates:
            needs[target].add(source)
        else:
            problems.append(
                f'link[{k}]: "{after}" of committed project "{target}" waits for "{before}" of '
                f'candidate "{source}"; a committed project cannot depend on a candidate: commit '
                f'"{source}" or make "{target}" a candidate'
            )
    return needs, problems


def closure(needs: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    """Every candidate's needs, direct and indirect (candidates that need each other go
    together: each needs the other)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(needs)
    graph.add_edges_from((cid, need) for cid, wanted in needs.items() for need in wanted)
    return {cid: frozenset(nx.descendants(graph, cid)) for cid in needs}


__all__ = ["Candidate", "SelectionRules", "candidate_problems", "closure", "link_needs"]
