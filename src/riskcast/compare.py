"""Two versions of a plan: what changed, how each milestone moved, and which changes moved it.

* :func:`riskcast.changes.diff` lists the changes from OLD to NEW in words; its
  :func:`~riskcast.changes.apply` makes some of them: an intermediate version.
* :func:`compare` simulates both versions with the same seed. Every draw is keyed by model ids
  (:func:`riskcast.compile.stream_key`), so an unchanged task draws the same numbers in both,
  run by run: the per-run difference NEW - OLD of a finish carries none of the sampling noise
  of the unchanged parts. The mean move gets its paired standard error, sd(NEW - OLD) /
  sqrt(n), and a normal 95 % interval; the P80 move a 95 % bootstrap percentile interval
  (:data:`BOOTSTRAP` resamples of the runs, the same runs in both versions, drawn by a
  generator with a fixed seed).
* Sequential attribution: the changes are made one step at a time in the order of
  :data:`KIND_ORDER` (model order within a kind): OLD, OLD + step 1, ..., NEW, each simulated
  with the same seed; a step's share is what it moved the P80 (and the mean), and the shares
  add up to the total move exactly. Changes that refer to each other's ids (a new task and the
  links to it) are one step, and so is a change that alone would leave an invalid model (a
  cycle) with the step after it; beyond :data:`MAX_STEPS` steps, changes are grouped by kind.
  A share depends on the order: what matters only together with a later change shows there.
* :func:`compare_recorded` compares two forecasts recorded in a history (:mod:`riskcast.history`)
  from their rows alone, in calendar days: nothing is simulated and nothing attributed.

Time axis: working days of NEW's project calendar from OLD's start, so a later start or a new
holiday moves a milestone too. When every version counts working days of that calendar (the
usual case), a finish is shifted by the working days between the starts and keeps its time of
day; otherwise (another calendar, or the elapsed clock of several calendars) each run's finish
is taken to its delivery date and counted to the end of that date in whole working days. Values
are rounded to 2**-20 working days (under 0.03 s of an 8-hour day): differences and their sums
are then exact in floating point.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from .calendar import Calendar
from .changes import KIND_ORDER, Change, apply, diff, groups
from .clock import same_as_clock
from .compile import Network, compile_project
from .engine.binning import exact_runs
from .engine.run import forward_pass, normalise_seed, run
from .errors import ArgumentError, ModelError
from .forecast import FINISH_ID, MilestoneForecast
from .history_records import MilestoneRecord, RunRecord
from .model import Project
from .resources import levelled
from .statistics import percentile_index
from .suggest import suggestion

DEFAULT_SEED = 1  # fixed: comparing the same two files twice gives the same report
MAX_STEPS = 30  # attributed one step each; beyond, by kind (a longer table reads as noise)
BOOTSTRAP = 1000  # resamples for the interval of the P80 move
BOOTSTRAP_SEED = 20_240_601  # fixed: the same runs give the same interval
BOOTSTRAP_VALUES = 2_000_000  # resampled runs held at once (memory: 16 MB per array)
GRID = 2.0**20  # finishes are rounded to 1 / GRID working days: exact differences and sums
Z95 = NormalDist().inv_cdf(0.975)
Version = tuple[list[Change], str, Project, Network]  # changes made last, why together, plan

if TYPE_CHECKING:
    from .history import History


def _network(project: Project) -> Network:
    """The network :func:`riskcast.simulate` runs by default (pools levelled, parallel, lft)."""
    return levelled(compile_project(project), "parallel", "lft")


def _versions(old: Project, new: Project, changes: list[Change]) -> tuple[list[Version], list[str]]:
    """OLD, then OLD with each step made in turn (the last is NEW), and notes."""
    steps = groups(changes, old, new)
    by_kind = len(steps) > MAX_STEPS
    notes = []
    if by_kind:
        notes.append(
            f"{len(changes)} changes in {len(steps)} independent steps, more than "
            f"{MAX_STEPS}: they are attributed by kind"
        )
        steps = [g for kind in KIND_ORDER if (g := [c for c in changes if c.kind == kind])]
    versions: list[Version] = [([], "", old, _network(old))]
    made: list[Change] = []
    pending: list[Change] = []
    why: list[str] = []
    for k, group in enumerate(steps):
        pending += group
        if len(group) > 1 and not by_kind:
            why.append("they refer to each other's ids")
        project = new if k == len(steps) - 1 else apply(old, new, made + pending)
        try:
            network = _network(project)
        except ModelError as exc:  # never for NEW, which was compiled first
            why.append(f"without the next step the model is invalid: {exc.problems[0]}")
            continue
        versions.append((pending, "; ".join(dict.fromkeys(why)), project, network))
        made, pending, why = made + pending, [], []
    if not changes:
        versions.append(([], "", new, _network(new)))
    return versions, notes


def _milestone_ids(old: Project, new: Project, wanted: Sequence[str] | None) -> list[str]:
    in_old = {m.id for m in old.milestones}
    known = [m.id for m in new.milestones if m.id in in_old] + [FINISH_ID]
    if wanted is None:
        if len(known) == 1 and old.milestones and new.milestones:
            raise ArgumentError(
                "no milestone is in both versions (old: "
                f"{', '.join(m.id for m in old.milestones)}; new: "
                f"{', '.join(m.id for m in new.milestones)}); compare the project finish "
                f'("{FINISH_ID}") instead'
            )
        return known
    bad = [w for w in wanted if w not in known]
    if bad:
        raise ArgumentError(
            "; ".join(f'no milestone "{b}" in both versions{suggestion(b, known)}' for b in bad)
            + f" (in both: {', '.join(known)})"
        )
    return list(dict.fromkeys(wanted))


def _on_axis(t: np.ndarray, project: Project, network: Network, axis: tuple) -> np.ndarray:
    """Finishes ``t`` (clock time of ``project``) on the axis (see the module docstring)."""
    calendar, origin, continuous = axis
    if continuous:
        days = t + calendar.days_until_start_of(origin, project.start)
    else:
        dates = network.clock.calendar.finish_dates(project.start, t)
        days = calendar.days_until_end_of(origin, dates).astype(np.float64)
    return np.round(days * GRID) / GRID


def _percentile(days: np.ndarray, q: float) -> float:
    """The forecast's percentile (inverted empirical CDF) of finishes on the axis."""
    k = percentile_index(len(days), q)
    return float(np.partition(days, k)[k])


def _mean(days: np.ndarray) -> float:
    return float(np.round(np.mean(days) * GRID) / GRID)


def _forecasts(project: Project, network: Network, finishes: np.ndarray, ids: Sequence[str]):
    """The compared milestones of one version as :class:`MilestoneForecast` (own dates)."""
    plan = forward_pass(network, network.plan_duration)[1]
    rows = {m.id: (k, m) for k, m in enumerate(project.milestones)}
    out = {}
    for mid in ids:
        if mid == FINISH_ID:
            row, name, cpm, target = -1, "Project finish", plan.max(), None
        else:
            row, m = rows[mid]
            name, cpm, target = m.label, plan[network.milestone_idx[row]], m.target
        out[mid] = MilestoneForecast(
            mid, name, finishes[row], float(cpm), target, network.clock.calendar, project.start
        )
    return out


def _p80_interval(old: np.ndarray, new: np.ndarray, q: float = 80) -> tuple[float, float]:
    """95 % bootstrap percentile interval of the move of percentile ``q``: the runs resampled
    with replacement, the same runs in both versions (the pairing kept)."""
    n = len(old)
    k = percentile_index(n, q)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    block = max(1, BOOTSTRAP_VALUES // n)
    moves = []
    for done in range(0, BOOTSTRAP, block):
        idx = rng.integers(0, n, size=(min(block, BOOTSTRAP - done), n))
        moves.append(
            np.partition(new[idx], k, axis=1)[:, k] - np.partition(old[idx], k, axis=1)[:, k]
        )
    ordered = np.sort(np.concatenate(moves))
    return float(ordered[math.floor(0.025 * BOOTSTRAP)]), float(
        ordered[math.ceil(0.975 * BOOTSTRAP) - 1]
    )


# -- the result -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One step of the sequential attribution: the changes made together, and what they moved.

    Attributes
    ----------
    changes : tuple of Change
        Made in this step, in :data:`KIND_ORDER`.
    note : str
        Why several changes are one step (``""`` for one change).
    p80_days, mean_days : dict of str to float
        Per milestone id compared: working days the step moves the P80 and the mean finish
        (positive: later); over the steps they add up to :meth:`MilestoneMove.move` and
        :attr:`MilestoneMove.mean_move` exactly.
    """

    changes: tuple[Change, ...]
    note: str
    p80_days: dict[str, float]
    mean_days: dict[str, float]


@dataclass(frozen=True)
class MilestoneMove:
    """How one milestone moved from OLD to NEW. Working days are on the comparison's axis
    (NEW's project calendar from OLD's start: see :mod:`riskcast.compare`); dates are each
    version's own.

    Attributes
    ----------
    id, name : str
        The milestone's id (``"finish"``: the project finish) and its name in NEW.
    old, new : MilestoneForecast
        The milestone in each version: P-dates, plan date, probability of its target.
    old_days, new_days : numpy.ndarray
        float64 (runs,): each run's finish on the axis; run i drew the same numbers in both for
        everything the changes left alone.
    p80_interval : (float, float)
        95 % bootstrap interval of the P80 move (working days).
    mean_se : float
        Paired standard error of the mean move: sd(new_days - old_days) / sqrt(runs).
    unpaired_se : float
        The standard error independent runs would give, sqrt(var_old / n + var_new / n): the
        noise the common random numbers take out.
    """

    id: str
    name: str
    old: MilestoneForecast
    new: MilestoneForecast
    old_days: np.ndarray
    new_days: np.ndarray
    p80_interval: tuple[float, float]
    mean_se: float
    unpaired_se: float

    def days(self, q: float) -> tuple[float, float]:
        """Percentile ``q`` (0, 100] of the finish in OLD and in NEW, working days on the axis."""
        return _percentile(self.old_days, q), _percentile(self.new_days, q)

    def move(self, q: float = 80) -> float:
        """Working days percentile ``q`` moved, NEW - OLD (positive: later)."""
        before, after = self.days(q)
        return after - before

    @property
    def mean_days(self) -> tuple[float, float]:
        """Mean finish in OLD and in NEW, working days on the axis."""
        return _mean(self.old_days), _mean(self.new_days)

    @property
    def mean_move(self) -> float:
        """Working days the mean finish moved, NEW - OLD."""
        before, after = self.mean_days
        return after - before

    @property
    def mean_interval(self) -> tuple[float, float]:
        """95 % interval of the mean move (normal, paired standard error), working days."""
        half = Z95 * self.mean_se
        return self.mean_move - half, self.mean_move + half


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`.

    Attributes
    ----------
    old_name, new_name : str
        The two projects' names.
    seed, iterations : int
        The seed every version was simulated with, and the runs of each.
    calendar : Calendar
        NEW's project calendar: the axis counts its working days ...
    origin : datetime.date
        ... from OLD's start.
    continuous : bool
        True: finishes keep their time of day on the axis; False: they were counted by
        delivery date (whole working days; another calendar or an elapsed clock).
    changes : tuple of Change
        Every change (:func:`diff`).
    steps : tuple of Step
        In the order made; their contributions add up to each milestone's move.
    milestones : tuple of MilestoneMove
        Per milestone compared, in NEW's order, the project finish last.
    notes : tuple of str
        What the reader should know (changes attributed by kind).
    """

    old_name: str
    new_name: str
    seed: int
    iterations: int
    calendar: Calendar
    origin: dt.date
    continuous: bool
    changes: tuple[Change, ...]
    steps: tuple[Step, ...]
    milestones: tuple[MilestoneMove, ...]
    notes: tuple[str, ...]

    def milestone(self, id: str) -> MilestoneMove:
        """The milestone ``id`` (KeyError, with a suggestion, when it was not compared)."""
        for m in self.milestones:
            if m.id == id:
                return m
        ids = [m.id for m in self.milestones]
        raise KeyError(f'no milestone "{id}" compared{suggestion(id, ids)}')


def compare(
    old: Project,
    new: Project,
    *,
    iterations: int = 10_000,
    seed: int | np.random.SeedSequence | np.random.Generator | None = DEFAULT_SEED,
    milestones: Sequence[str] | None = None,
    threads: int | None = None,
) -> Comparison:
    """Compare two versions of a plan: how each milestone moved, and which changes moved it.

    Both versions, and OLD with each step of the changes made in turn, are simulated with the
    same seed (common random numbers; see :mod:`riskcast.compare`).

    Parameters
    ----------
    old, new : Project
        The two versions; items are matched by id.
    iterations : int, default 10_000
        Runs per version (at least 2).
    seed : int, numpy SeedSequence or Generator, optional
        The seed of every simulation (default :data:`DEFAULT_SEED`; None draws one).
    milestones : sequence of str, optional
        Ids in both versions (``"finish"``: the project finish). Default: every milestone in
        both, and the project finish unless it is one of them in every run of both.
    threads : int, optional
        Worker threads per simulation (default: all); results do not depend on it.

    Returns
    -------
    Comparison
        Per milestone the P50/P80 and mean in each version (working days on a common axis,
        and dates), the moves with their intervals, and each step's contribution.

    Raises
    ------
    ModelError
        A version is invalid.
    ArgumentError
        No milestone in both versions, an id not in both, too many runs to keep (every run's
        finish is kept), or a bad ``iterations`` or ``seed``.
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 2:
        raise ArgumentError(f"iterations must be a whole number >= 2, got {iterations!r}")
    seed = normalise_seed(seed)
    _network(old), _network(new)  # an invalid version fails here, before any simulation
    ids = _milestone_ids(old, new, milestones)
    changes = diff(old, new)
    versions, notes = _versions(old, new, changes)
    limit = exact_runs(max(len(v[2].milestones) for v in versions) + 1)
    if iterations > limit:
        raise ArgumentError(f"compare keeps every run's finish: at most {limit:,} runs")
    continuous = all(
        not v[3].clock.elapsed and same_as_clock(new.calendar, v[3].clock.calendar)
        for v in versions
    )
    axis = (new.calendar, old.start, continuous)
    stats, ends = _simulate(versions, ids, axis, seed, iterations, threads)
    if milestones is None and all(_finish_is_a_milestone(days, ids) for days, _ in ends):
        ids.remove(FINISH_ID)
    steps = tuple(
        Step(
            tuple(made),
            note,
            {i: stats[k][i][0] - stats[k - 1][i][0] for i in ids},
            {i: stats[k][i][1] - stats[k - 1][i][1] for i in ids},
        )
        for k, (made, note, _, _) in enumerate(versions)
        if made
    )
    (a, old_f), (b, new_f) = ends
    moves = tuple(_milestone_move(old_f[i], new_f[i], a[i], b[i]) for i in ids)
    return Comparison(
        old.name, new.name, seed, iterations, *axis, tuple(changes), steps, moves, tuple(notes)
    )


def _simulate(
    versions: list[Version],
    ids: Sequence[str],
    axis: tuple,
    seed: int,
    iterations: int,
    threads: int | None,
) -> tuple[list[dict[str, tuple[float, float]]], list[tuple[dict, dict]]]:
    """Per version, each milestone's (P80, mean) on the axis; for OLD and NEW also every run's
    finish on the axis and each :class:`MilestoneForecast` (an intermediate version keeps two
    numbers per milestone, however many the runs)."""
    stats, ends = [], []
    for k, (_, _, project, network) in enumerate(versions):
        finishes = run(network, seed, iterations, threads=threads, full=False).finishes
        rows = {m.id: r for r, m in enumerate(project.milestones)} | {FINISH_ID: -1}
        days = {i: _on_axis(finishes[rows[i]], project, network, axis) for i in ids}
        stats.append({i: (_percentile(x, 80), _mean(x)) for i, x in days.items()})
        if k in (0, len(versions) - 1):
            ends.append((days, _forecasts(project, network, finishes, ids)))
    return stats, ends


def _finish_is_a_milestone(days: dict[str, np.ndarray], ids: Sequence[str]) -> bool:
    return FINISH_ID in days and any(
        np.array_equal(days[FINISH_ID], days[i]) for i in ids if i != FINISH_ID
    )


def _milestone_move(
    old: MilestoneForecast, new: MilestoneForecast, a: np.ndarray, b: np.ndarray
) -> MilestoneMove:
    n = len(a)
    paired = float(np.std(b - a, ddof=1) / math.sqrt(n))
    unpaired = float(math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / n))
    return MilestoneMove(new.id, new.name, old, new, a, b, _p80_interval(a, b), paired, unpaired)


# -- two recorded forecasts -----------------------------------------------------------------------
@dataclass(frozen=True)
class RecordedMove:
    """How one milestone moved between two recorded forecasts A and B.

    Attributes
    ----------
    id, name : str
        The milestone's id (``"finish"``: the project finish) and its name in B.
    a, b : MilestoneRecord
        Its row in each forecast: plan date, P50/P80/P95 dates, target and its probability.
    """

    id: str
    name: str
    a: MilestoneRecord
    b: MilestoneRecord

    def moved(self, date: str) -> int:
        """Calendar days from A's to B's ``date`` (``"plan"``, ``"p50"``, ``"p80"`` or
        ``"p95"``); positive: later."""
        return (getattr(self.b, date) - getattr(self.a, date)).days

    @property
    def probability_change(self) -> float | None:
        """B's probability of meeting its target minus A's (share of runs); None when either
        has no target."""
        a, b = self.a.probability_of_target, self.b.probability_of_target
        return None if a is None or b is None else b - a


@dataclass(frozen=True)
class RecordedComparison:
    """The result of :func:`compare_recorded`.

    Attributes
    ----------
    model : str
        The project name the forecasts were recorded under.
    a, b : RunRecord
        The two recorded forecasts; moves are B minus A.
    milestones : tuple of RecordedMove
        Per milestone compared, in B's order.
    notes : tuple of str
        What the reader should know (milestones in one forecast only, the same model file).
    """

    model: str
    a: RunRecord
    b: RunRecord
    milestones: tuple[RecordedMove, ...]
    notes: tuple[str, ...]


def compare_recorded(
    history: History,
    model: str,
    a: str | int,
    b: str | int,
    milestones: Sequence[str] | None = None,
) -> RecordedComparison:
    """Compare two forecasts recorded in a history: per milestone the P50/P80/P95 dates and the
    probability of the target in each, and how far they moved, from the history alone.

    Nothing is simulated and nothing is attributed: which changes moved a milestone needs the
    two model files (:func:`compare`). A recorded move also carries the Monte Carlo noise of
    each forecast's own runs.

    Parameters
    ----------
    history : History
        The forecast history.
    model : str
        The project name the forecasts were recorded under.
    a, b : str or int
        Each a run id (``RunRecord.id``), ``"latest"``, ``"latest~N"`` (N forecasts before the
        latest) or a date ``YYYY-MM-DD`` (the latest forecast dated that day: its status date,
        else the day it was recorded).
    milestones : sequence of str, optional
        Ids in both forecasts (``"finish"``: the project finish). Default: every milestone in
        both, and the project finish unless a milestone had its dates in both.

    Returns
    -------
    RecordedComparison

    Raises
    ------
    ArgumentError
        No forecast of ``model``, a run that is not one of its forecasts, or a milestone not in
        both.
    """
    runs = history.runs(model)
    run_a, run_b = (_find_run(history, runs, model, ref) for ref in (a, b))
    ids, notes = _recorded_ids(run_a, run_b, milestones)
    moves = tuple(
        RecordedMove(i, run_b.milestone(i).name, run_a.milestone(i), run_b.milestone(i))
        for i in ids
    )
    if run_a.id == run_b.id:
        notes.append(f"A and B are the same forecast (run {run_a.id})")
    elif run_a.model_hash is not None and run_a.model_hash == run_b.model_hash:
        notes.append(
            "both forecasts simulated the same model file (same content hash): any move is "
            f"Monte Carlo noise (seeds {run_a.seed} and {run_b.seed})"
        )
    return RecordedComparison(model, run_a, run_b, moves, tuple(notes))


def _find_run(history: History, runs: Sequence[RunRecord], model: str, ref: str | int):
    """The forecast ``ref`` names among ``runs`` (one model's, oldest first)."""
    text = str(ref).strip()
    latest = re.fullmatch(r"latest(?:~([0-9]+))?", text)
    if text.isdigit():
        chosen = [r for r in runs if r.id == int(text)]
        other = [r for r in history.runs() if r.id == int(text)] if not chosen else []
        if other:
            raise ArgumentError(f'run {text} is a forecast of "{other[0].model}", not of "{model}"')
    elif latest:
        back = int(latest[1] or 0)
        chosen = [runs[-1 - back]] if back < len(runs) else []
    else:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ArgumentError(
                f'"{text}" names no forecast: give a run id, latest, latest~N or a date YYYY-MM-DD'
            ) from None
        chosen = [r for r in runs if r.date == day][-1:]
    if not chosen:
        some = f"the last 10 of {len(runs)}" if len(runs) > 10 else str(len(runs))
        listed = ", ".join(f"{r.id} ({r.date.isoformat()})" for r in runs[-10:])
        raise ArgumentError(
            f'no forecast "{text}" of "{model}" in {history.path} (its runs, {some}: {listed})'
        )
    return chosen[0]


def _recorded_ids(
    a: RunRecord, b: RunRecord, wanted: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """The milestones to compare (in B's order) and notes on those left out."""
    in_a = {m.id for m in a.milestones}
    both = [m.id for m in b.milestones if m.id in in_a]
    if wanted is not None:
        bad = [w for w in wanted if w not in both]
        if bad:
            raise ArgumentError(
                "; ".join(f'no milestone "{w}" in both forecasts{suggestion(w, both)}' for w in bad)
                + f" (in both: {', '.join(both)})"
            )
        return list(dict.fromkeys(wanted)), []
    notes = [
        f'milestone "{m.id}" is only in run {run.id}'
        for run, other in ((a, b), (b, a))
        for m in run.milestones
        if other.milestone(m.id) is None
    ]

    def dates(run: RunRecord, mid: str) -> tuple[dt.date, ...]:
        m = run.milestone(mid)
        return (m.plan, m.p50, m.p80, m.p95)

    shown = [i for i in both if i != FINISH_ID]
    if not any(dates(r, i) == dates(r, FINISH_ID) for i in shown for r in (a, b)):
        shown.append(FINISH_ID)
    return shown, notes
