"""The simulated portfolio: per-project and portfolio milestones from one merged simulation,
cross-project criticality, and the roadmap's cut line (re-exported by :mod:`riskcast.portfolio`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ArgumentError
from .forecast import Forecast, MilestoneForecast
from .suggest import suggestion

if TYPE_CHECKING:
    from .portfolio import Portfolio
    from .roadmap import CutLine

SEPARATOR = "/"


@dataclass
class PortfolioForecast:
    """The simulated portfolio: every project's milestones and the portfolio finish, from one
    merged simulation, and how much of each milestone's risk comes from other projects.

    Attributes
    ----------
    portfolio : Portfolio
        What was simulated.
    forecast : Forecast
        The merged plan's forecast (namespaced milestone and task ids); its project finish is
        the portfolio finish.
    """

    portfolio: Portfolio
    forecast: Forecast

    @property
    def finish(self) -> MilestoneForecast:
        """The portfolio finish: when the last task of every project is done."""
        return self.forecast.project_finish

    def milestone(self, id: str) -> MilestoneForecast:
        """A milestone's forecast by namespaced id (``"app/beta"``)."""
        return self.forecast.milestone(id)

    def milestones(self, project: str) -> list[MilestoneForecast]:
        """The milestones of one project (namespaced ids), in model order.

        Raises
        ------
        ArgumentError
            No such project (the message suggests the nearest id).
        """
        known = self.portfolio.projects
        if project not in known:
            raise ArgumentError(
                f'no project "{project}"{suggestion(project, known)} (known: {", ".join(known)})'
            )
        prefix = project + SEPARATOR
        return [m for m in self.forecast.milestones if m.id.startswith(prefix)]

    def cut_line(self, date: dt.date | str | None = None, level: float | None = None) -> CutLine:
        """The roadmap's cut line (:func:`riskcast.roadmap.cut_line`) over its items in this
        portfolio (a candidate's are not, until chosen).

        Parameters
        ----------
        date : datetime.date or str, optional
            The release date (default: the roadmap's).
        level : float, optional
            Percent (default: the roadmap's confidence).

        Raises
        ------
        ArgumentError
            No roadmap, no release date, or no item in the portfolio.
        """
        from .roadmap import cut_line

        roadmap = self.portfolio.roadmap
        if roadmap is None:
            raise ArgumentError("the portfolio has no roadmap: add [roadmap] and [[item]]s")
        day = date if date is not None else roadmap.release
        if day is None:
            raise ArgumentError("the roadmap has no release date: give date")
        present = {m.id for m in self.forecast.milestones}
        backlog = [id for id in roadmap.backlog if id in present]
        level = roadmap.confidence if level is None else level
        return cut_line(self.forecast, backlog, day, level, roadmap.names)

    def roadmap_groups(self) -> dict[str, list[str]]:
        """Heading -> milestone ids for :func:`riskcast.plotting.roadmap`'s ``groups``: the
        roadmap's items by product, in backlog order; without a roadmap, by project."""
        roadmap = self.portfolio.roadmap
        if roadmap is None:
            from .roadmap import by_project

            return by_project(self.forecast)
        return roadmap.groups([m.id for m in self.forecast.milestones])

    def cross_criticality(self, milestone: str) -> dict[str, float]:
        """Per other project, how often its work is on the milestone's critical path.

        Parameters
        ----------
        milestone : str
            A namespaced milestone id, or ``"finish"`` (then every project counts).

        Returns
        -------
        dict of str to float
            Project id -> the largest criticality towards ``milestone``
            (:meth:`Forecast.criticality`) among that project's tasks, in [0, 1]: the share of
            runs in which its most often critical task is critical. It is a lower bound on the
            share of runs in which any of its tasks is, and equals it when the project's work
            reaches the milestone through one task (a hand-over task before a cross link).
            Every project other than the milestone's own, in portfolio order. Criticality
            follows links: a wait for a shared pool is in
            ``forecast.resource_criticality(milestone)``.
        """
        own = None if milestone == "finish" else self.portfolio.project_of(milestone)
        shares = dict.fromkeys((p for p in self.portfolio.projects if p != own), 0.0)
        for task, share in self.forecast.criticality(milestone).items():
            pid = self.portfolio.project_of(task)
            if pid in shares:
                shares[pid] = max(shares[pid], share)
        return shares

    def cross_driver(self, milestone: str) -> tuple[str, float] | None:
        """The task of another project most often critical for ``milestone``, and that share;
        None when no other project's task ever is."""
        own = self.portfolio.project_of(milestone)
        outside = [
            (share, task)
            for task, share in self.forecast.criticality(milestone).items()
            if self.portfolio.project_of(task) != own and share > 0
        ]
        if not outside:
            return None
        share, task = max(outside, key=lambda x: x[0])
        return task, share

    def summary(self, confidence: float = 85.0) -> list[dict[str, Any]]:
        """One row per milestone of every project: can it be promised at ``confidence`` %?

        Parameters
        ----------
        confidence : float, default 85
            The percentile a promise is made at, in (0, 100].

        Returns
        -------
        list of dict
            ``project``, ``id`` (namespaced), ``name``, ``target``, ``date`` (the
            ``confidence`` percentile's delivery date), ``probability`` (of meeting the
            target; None without one), ``promise`` (True when the target is met in at least
            ``confidence`` % of the runs; None without a target), ``cross_project`` (the
            largest :meth:`cross_criticality` over the other projects) and ``driver`` (the
            other project's task most often critical, or None).
        """
        rows = []
        for m in self.forecast.milestones:
            p = m.target_probability
            driver = self.cross_driver(m.id)
            shares = self.cross_criticality(m.id).values()
            rows.append(
                {
                    "project": self.portfolio.project_of(m.id),
                    "id": m.id,
                    "name": m.name,
                    "target": m.target,
                    "date": m.percentile(confidence),
                    "probability": p,
                    "promise": None if p is None else p >= confidence / 100.0,
                    "cross_project": max(shares, default=0.0),
                    "driver": None if driver is None else driver[0],
                }
            )
        return rows

    def table(self, confidence: float = 85.0) -> str:
        """:meth:`summary` as an aligned text table, the portfolio finish last."""
        head = ["milestone", "target", f"P{confidence:g}", "on target", "promise", "other projects"]
        lines = []
        for row in self.summary(confidence):
            p, promise = row["probability"], row["promise"]
            other = f"{100 * row['cross_project']:.0f}%"
            if row["driver"]:
                other += f" ({row['driver']})"
            lines.append(
                [
                    row["id"],
                    str(row["target"] or "-"),
                    str(row["date"]),
                    "-" if p is None else f"{100 * p:.0f}%",
                    "-" if promise is None else ("yes" if promise else "no"),
                    other,
                ]
            )
        lines.append(["finish", "-", str(self.finish.percentile(confidence)), "-", "-", "-"])
        widths = [max(len(r[k]) for r in [head, *lines]) for k in range(len(head))]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in [head, *lines]
        )


def simulate(portfolio: Portfolio, **kwargs: Any) -> PortfolioForecast:
    """Simulate the merged plan of ``portfolio`` once.

    Parameters
    ----------
    portfolio : Portfolio
        From :func:`load_portfolio` or :func:`build_portfolio`.
    **kwargs
        As for :func:`riskcast.simulate` (``iterations``, ``seed``, ``scheme``, ...).

    Returns
    -------
    PortfolioForecast
    """
    from .simulate import simulate as simulate_project

    return PortfolioForecast(portfolio, simulate_project(portfolio.project, **kwargs))


__all__ = ["PortfolioForecast", "simulate"]
