"""The cut line of an ordered backlog: which roadmap items make a release date, and how sure.

Items are milestones (of a plan or of a portfolio's merged plan) in priority order. Item k's
**joint confidence** is the share of runs in which it *and every item above it* is delivered by
the date, counted on the same runs: items that share work or teams move together, so the joint
confidence is not the product of the separate ones (it is when they share nothing). It never
rises down the list, so the items that make the date at a confidence level are a prefix: the
cut line falls under the last item whose joint confidence reaches the level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .budget import check_level, within
from .errors import ArgumentError
from .model import as_date
from .suggest import suggestion
from .units import TIME_TOLERANCE

if TYPE_CHECKING:
    from .forecast import Forecast


@dataclass(frozen=True)
class RoadmapItem:
    """A feature or epic on the roadmap, delivered by a milestone.

    Parameters
    ----------
    milestone : str
        The milestone that delivers it (namespaced in a portfolio: ``"app/launch"``).
    name : str, optional
        Display name (default: the milestone's).
    product : str, optional
        The heading it goes under on the roadmap chart (default: its project).
    """

    milestone: str
    name: str = ""
    product: str = ""


@dataclass(frozen=True)
class Roadmap:
    """Roadmap items in priority order (the backlog), with a release date.

    Parameters
    ----------
    items : tuple of RoadmapItem
        Most important first; each milestone at most once.
    release : datetime.date, optional
        The release date the cut line is drawn for.
    confidence : float, default 85
        The joint confidence (percent) the items above the cut line reach.
    """

    items: tuple[RoadmapItem, ...]
    release: dt.date | None = None
    confidence: float = 85.0

    @property
    def backlog(self) -> list[str]:
        """The items' milestone ids, most important first."""
        return [item.milestone for item in self.items]

    @property
    def names(self) -> dict[str, str]:
        """Milestone id -> item name, for the items that give one."""
        return {item.milestone: item.name for item in self.items if item.name}

    def due(self, item: RoadmapItem, target: dt.date | None) -> dt.date | None:
        """When ``item`` is due: its milestone's ``target``, else the release date."""
        return target if target is not None else self.release

    def groups(self, present: Sequence[str] | None = None) -> dict[str, list[str]]:
        """Product -> its items' milestone ids, in backlog order (an item without a product
        goes under its project); only the milestones in ``present`` when given. For
        :func:`riskcast.plotting.roadmap`'s ``groups``."""
        keep = None if present is None else set(present)
        out: dict[str, list[str]] = {}
        for item in self.items:
            if keep is None or item.milestone in keep:
                product = item.product or item.milestone.split("/", 1)[0]
                out.setdefault(product, []).append(item.milestone)
        return out


def roadmap_problems(roadmap: Roadmap, milestones: Sequence[str]) -> list[str]:
    """Items that name no milestone of ``milestones`` or repeat one, and a bad confidence."""
    problems = []
    known = set(milestones)
    seen: dict[str, int] = {}
    for k, item in enumerate(roadmap.items):
        place = f"item[{k}]"
        if item.milestone in seen:
            problems.append(
                f'{place} > milestone: "{item.milestone}" is item[{seen[item.milestone]}]\'s '
                "too; give each item its own milestone"
            )
        elif item.milestone not in known:
            problems.append(
                f'{place} > milestone: no milestone "{item.milestone}"'
                f"{suggestion(item.milestone, known)} (a namespaced milestone id such as "
                '"app/launch")'
            )
        seen.setdefault(item.milestone, k)
    level = roadmap.confidence
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level <= 100:
        problems.append(f"roadmap > confidence: must be a percentage in (0, 100], got {level!r}")
    return problems


@dataclass(frozen=True)
class CutLineItem:
    """One backlog item: ``probability`` of its own delivery by the date, ``joint`` of its and
    every item's above it (shares of runs, in [0, 1]), and whether it is above the line."""

    id: str
    name: str
    probability: float
    joint: float
    above: bool


@dataclass(frozen=True)
class CutLine:
    """The backlog at a release ``date`` and a confidence ``level`` (percent)."""

    date: dt.date
    level: float
    items: list[CutLineItem]

    @property
    def committed(self) -> list[str]:
        """The ids above the line: the items that can be promised together at ``level``."""
        return [item.id for item in self.items if item.above]


def cut_line(
    forecast: Forecast,
    backlog: Sequence[str],
    date: dt.date | str,
    level: float = 85,
    names: Mapping[str, str] | None = None,
) -> CutLine:
    """Where the line falls in an ordered backlog for a release date.

    Parameters
    ----------
    forecast : Forecast
        The simulated plan (every run kept: no histogram past the exact-runs limit).
    backlog : sequence of str
        Milestone ids, most important first (each at most once).
    date : datetime.date or str
        The release date; an item counts as delivered by it as
        :meth:`~riskcast.forecast.MilestoneForecast.probability_by` counts it.
    level : float, default 85
        The confidence (percent, (0, 100]) the items above the line reach together.
    names : mapping of str to str, optional
        Milestone id -> the item's name (default, and for the ids it lacks: the milestone's).

    Returns
    -------
    CutLine
        Per item its own and its joint confidence; the items above the line are those whose
        joint confidence is at least ``level`` %.

    Raises
    ------
    ArgumentError
        An empty or repeated backlog, an unknown milestone, a bad level, or a forecast without
        every run's finish.
    """
    level = check_level(level)
    if not backlog:
        raise ArgumentError("the backlog is empty: give the milestone ids in priority order")
    repeated = sorted({id for id in backlog if list(backlog).count(id) > 1})
    if repeated:
        raise ArgumentError(f"the backlog names {', '.join(repeated)} more than once")
    targets = [forecast.milestone(id) for id in backlog]
    if any(t.samples is None for t in targets):
        raise ArgumentError(
            "the cut line needs every run's finish: simulate fewer runs than the exact-runs limit"
        )
    day = as_date(date, "date")
    bound = targets[0].to_days(day)
    runs = forecast.iterations
    needed = within(runs, level)  # runs that must deliver everything above the line
    together = np.ones(runs, bool)
    items = []
    for t in targets:
        delivered = t.samples <= bound + TIME_TOLERANCE if bound > 0 else np.zeros(runs, bool)
        together &= delivered
        count = int(np.count_nonzero(together))
        share = np.count_nonzero(delivered) / runs
        name = (names or {}).get(t.id) or t.name
        items.append(CutLineItem(t.id, name, share, count / runs, count >= needed))
    return CutLine(day, level, items)


def by_project(forecast: Forecast) -> dict[str, list[str]]:
    """The milestones grouped by project: for a portfolio's merged plan, by the namespace of
    their ids (``"app/beta"`` under ``app``), in order of first appearance; a plain plan is one
    group under its name. For :func:`riskcast.plotting.roadmap`'s ``groups``."""
    groups: dict[str, list[str]] = {}
    for m in forecast.milestones:
        project = m.id.split("/", 1)[0] if "/" in m.id else forecast.project_name
        groups.setdefault(project, []).append(m.id)
    return groups


def by_quarter(forecast: Forecast) -> dict[str, list[str]]:
    """The milestones grouped by the calendar quarter of their target (of their P50 date when
    they have none), quarters in order, ``"2027 Q2"``. For :func:`riskcast.plotting.roadmap`."""
    keyed = []
    for m in forecast.milestones:
        day = m.target if m.target is not None else m.percentile(50)
        keyed.append(((day.year, (day.month - 1) // 3 + 1), m.id))
    groups: dict[str, list[str]] = {}
    for (year, quarter), id in sorted(keyed, key=lambda k: k[0]):  # stable: plan order kept
        groups.setdefault(f"{year} Q{quarter}", []).append(id)
    return groups
