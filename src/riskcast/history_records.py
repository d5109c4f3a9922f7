"""What a forecast history holds: the records :class:`~riskcast.history.History` reads back.

Plain frozen dataclasses (a run, its milestones and tasks, the actuals of finished tasks) and
the trend of one milestone across runs; nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import ArgumentError
from .suggest import suggestion


@dataclass(frozen=True)
class MilestoneRecord:
    """One milestone (or the project finish, id ``"finish"``) of a recorded forecast.

    Dates are calendar dates; ``probability_of_target`` is the share of runs (in [0, 1])
    delivered by ``target``, None without a target.
    """

    id: str
    name: str
    plan: dt.date
    p50: dt.date
    p80: dt.date
    p95: dt.date
    target: dt.date | None
    probability_of_target: float | None


@dataclass(frozen=True)
class RunRecord:
    """One recorded forecast.

    ``model`` is the project name, ``model_hash`` the SHA-256 (hex) of the model's text (None
    when none was given), ``recorded_at`` when it was recorded (UTC), ``iterations`` the
    simulated runs, ``riskcast_version`` the version that recorded it (None for runs recorded
    before versions were kept). ``milestones`` are in forecast order, the finish last.
    """

    id: int
    model: str
    model_hash: str | None
    status_date: dt.date | None
    recorded_at: dt.datetime
    seed: int
    iterations: int
    riskcast_version: str | None
    milestones: tuple[MilestoneRecord, ...]

    @property
    def date(self) -> dt.date:
        """The date the forecast speaks for: its status date, else the (UTC) day recorded."""
        return self.status_date or self.recorded_at.date()

    def milestone(self, id: str) -> MilestoneRecord | None:
        """The row of milestone ``id`` (``"finish"``: the project finish); None if absent."""
        return next((m for m in self.milestones if m.id == id), None)


@dataclass(frozen=True)
class TaskRecord:
    """One task of a recorded forecast: its P80 finish date and its criticality towards the
    project finish (share of runs, in [0, 1])."""

    id: str
    name: str
    p80_finish: dt.date
    criticality: float


@dataclass(frozen=True)
class ActualRecord:
    """A finished task as a recorded forecast saw it: its estimate against what it took.

    ``estimate_most_likely`` and ``estimate_mean`` are the estimate's most-likely value and
    mean, ``actual_days`` the working time from the start of ``actual_start`` through the end
    of ``actual_finish``; all three in working days of the task's calendar (days of its
    ``hours_per_day`` hours, so a half working day counts 0.5).
    """

    run_id: int
    model: str
    status_date: dt.date | None
    task: str
    name: str
    estimate_most_likely: float
    estimate_mean: float
    actual_start: dt.date
    actual_finish: dt.date
    actual_days: float


@dataclass(frozen=True)
class TrendPoint:
    """One milestone in one recorded forecast, for a trend over time.

    ``date`` is the status date, or the (UTC) day the run was recorded when it had none; the
    other dates are calendar dates, ``probability_of_target`` a share in [0, 1] (None without a
    target).
    """

    run_id: int
    date: dt.date
    status_date: dt.date | None
    recorded_at: dt.datetime
    plan: dt.date
    p50: dt.date
    p80: dt.date
    p95: dt.date
    target: dt.date | None
    probability_of_target: float | None

    @classmethod
    def of(cls, run: RunRecord, m: MilestoneRecord) -> TrendPoint:
        """The point of milestone row ``m`` of ``run``."""
        dates = (m.plan, m.p50, m.p80, m.p95, m.target)
        return cls(
            run.id, run.date, run.status_date, run.recorded_at, *dates, m.probability_of_target
        )


def trend_points(runs: Sequence[RunRecord], milestone: str) -> list[TrendPoint]:
    """One milestone's :class:`TrendPoint` in each run that has it, in the order of ``runs``.

    Raises
    ------
    ArgumentError
        No run has ``milestone`` (the message lists the milestones they have).
    """
    points = []
    for run in runs:
        m = run.milestone(milestone)
        if m is not None:
            points.append(TrendPoint.of(run, m))
    if not points:
        known = list(dict.fromkeys(m.id for r in runs for m in r.milestones))
        raise ArgumentError(
            f'no milestone "{milestone}" in the recorded forecasts{suggestion(milestone, known)}'
            f" (known: {', '.join(known) or 'none'})"
        )
    return points
