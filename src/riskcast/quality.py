"""Schedule-quality checks a scheduler runs before trusting a simulation of a plan.

:func:`schedule_warnings` returns what a reviewer would flag (after the DCMA 14-point assessment):

========================  ==========================================================================
code                      what it means
========================  ==========================================================================
``open-start``            a task with no predecessor (and no not-before date) while other tasks also
                          have none: it is pinned to the project start, whatever happens elsewhere.
``open-end``              a task that nothing depends on: its delay shows in no milestone.
``dangling-start``        every predecessor constrains only the task's finish (FF/SF links), so its
                          start floats free.
``dangling-finish``       every successor hangs on the task's start (SS/SF links), so a late finish
                          delays nothing.
``negative-lag``          a lead (negative lag): hides the overlap in a number instead of in tasks.
``long-task``             most-likely duration above :data:`LONG_TASK_DAYS` working days (DCMA 44).
``zero-spread``           an estimate without uncertainty on a task that takes time.
``no-target``             a milestone without a target date: no probability of meeting it.
``redundant-link``        an FS link i -> j already implied by a path of FS links i -> k -> j.
``holiday-block``         more than :data:`HOLIDAY_BLOCK_DAYS` working weekdays in a row are all
                          holidays (a range typed for a list?): every date after it moves that much.
========================  ==========================================================================

Warnings never stop a simulation; ``riskcast validate --strict`` turns them into exit code 1.
The project must be structurally valid (:func:`riskcast.validate`) before it is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Milestone, Project, Task

LONG_TASK_DAYS = 44.0  # DCMA-14 "high duration": more than 44 working days
HOLIDAY_BLOCK_DAYS = 20  # working weekdays in a row that may all be holidays (a 4-week shutdown)
FINISH_LINKS = ("FS", "FF")  # link types that hang on the predecessor's finish
START_LINKS = ("FS", "SS")  # link types that constrain the successor's start


@dataclass(frozen=True)
class ScheduleWarning:
    """One schedule-quality finding of :func:`schedule_warnings`.

    Attributes
    ----------
    code : str
        Stable code of the rule, e.g. ``"long-task"`` (listed in the module docstring).
    place : str
        Where the finding is, e.g. ``task "api" > after[1]``.
    message : str
        What is wrong and what to do about it.
    """

    code: str
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message} [{self.code}]"


def _place(item: Task | Milestone) -> str:
    return f'{"milestone" if isinstance(item, Milestone) else "task"} "{item.id}"'


def schedule_warnings(project: Project) -> list[ScheduleWarning]:
    """Check a plan against schedule-quality rules (after the DCMA 14-point assessment).

    The codes and what they mean are listed in the module docstring (:mod:`riskcast.quality`).
    Warnings never stop a simulation.

    Parameters
    ----------
    project : Project
        A structurally valid plan (see :func:`riskcast.validate`; :func:`riskcast.load` returns
        one).

    Returns
    -------
    list of ScheduleWarning
        Every finding, in file order of the places they name; empty for a clean plan.
    """
    out: list[ScheduleWarning] = []
    successors: dict[str, list[str]] = {a.id: [] for a in project.activities}  # link types out
    for item in project.activities:
        for link in item.after:
            if link.predecessor in successors:
                successors[link.predecessor].append(link.type)
    open_starts = {t.id for t in project.tasks if not t.after and t.not_before is None}
    open_ends = {t.id for t in project.tasks if not successors[t.id]}
    allowed_ends = 0 if project.milestones else 1

    for task in project.tasks:
        place = _place(task)
        if len(open_starts) > 1 and task.id in open_starts:
            out.append(
                ScheduleWarning(
                    "open-start",
                    place,
                    f"no predecessor, so it starts on the project start ({project.start}) whatever "
                    "else happens; link it to what it really waits for, or give it a not_before date",
                )
            )
        if task.after and not any(link.type in START_LINKS for link in task.after):
            out.append(
                ScheduleWarning(
                    "dangling-start",
                    place,
                    "its predecessors constrain only its finish (FF/SF links), so its start is free; "
                    "add an FS or SS link that says when it can begin",
                )
            )
        if len(open_ends) > allowed_ends and task.id in open_ends:
            out.append(
                ScheduleWarning(
                    "open-end",
                    place,
                    "no successor: a delay here reaches no milestone; link it to the milestone or "
                    "task that needs it",
                )
            )
        elif successors[task.id] and not any(k in FINISH_LINKS for k in successors[task.id]):
            out.append(
                ScheduleWarning(
                    "dangling-finish",
                    place,
                    "its successors hang only on its start (SS/SF links), so finishing late delays "
                    "nothing; add an FS or FF link from it",
                )
            )
        most_likely = task.estimate.most_likely
        if most_likely > LONG_TASK_DAYS:
            out.append(
                ScheduleWarning(
                    "long-task",
                    place,
                    f"most-likely duration {most_likely:.4g} working days is over {LONG_TASK_DAYS:g} "
                    "(DCMA-14 high duration); split it into pieces that can be tracked",
                )
            )
        if not task.estimate.has_spread and most_likely > 0:
            out.append(
                ScheduleWarning(
                    "zero-spread",
                    place,
                    f"the estimate ({task.estimate.kind} {most_likely:g} days) has no uncertainty; "
                    "give a range (e.g. pert = [low, likely, high]) unless it is contractually fixed",
                )
            )

    for item in project.activities:
        for k, link in enumerate(item.after):
            if link.lag < 0:
                out.append(
                    ScheduleWarning(
                        "negative-lag",
                        f"{_place(item)} > after[{k}]",
                        f"a lead of {-link.lag:g} working days on the {link.type} link from "
                        f'"{link.predecessor}"; model the overlap as tasks instead of a negative lag',
                    )
                )

    for m in project.milestones:
        if m.target is None:
            out.append(
                ScheduleWarning(
                    "no-target",
                    _place(m),
                    "no target date, so the forecast cannot say the odds of meeting it; add target = "
                    "YYYY-MM-DD",
                )
            )

    out.extend(_holiday_blocks(project))

    # A path of FS links with non-negative lags guarantees start_j >= finish_i, so a direct FS
    # link i -> j without lag says nothing more: it is redundant (and clutters criticality).
    preds, reach, bit = _fs_reachability(project)
    for item in project.activities:
        for k, link in enumerate(item.after):
            u = link.predecessor
            if link.type != "FS" or link.lag != 0 or u not in bit:
                continue
            via = next((w for w in preds[item.id] if w != u and reach[w] >> bit[u] & 1), None)
            if via is not None:
                path = _path_back(preds, reach, bit, u, via)
                out.append(
                    ScheduleWarning(
                        "redundant-link",
                        f"{_place(item)} > after[{k}]",
                        f'the FS link from "{u}" is implied by the path '
                        + " -> ".join(f'"{n}"' for n in [*path, item.id])
                        + "; remove it",
                    )
                )
    order = {a.id: k for k, a in enumerate(project.activities)}
    return sorted(out, key=lambda w: order.get(_id_of(w.place), len(order)))


def _id_of(place: str) -> str:
    return place.split('"')[1] if '"' in place else ""


def _holiday_blocks(project: Project) -> list[ScheduleWarning]:
    """A warning for each run of more than HOLIDAY_BLOCK_DAYS working weekdays that are all
    holidays of the project calendar."""
    import numpy as np

    cal = project.calendar
    if not cal.holidays:
        return []
    weekmask = [day in cal.workdays for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    days = np.array(cal.holidays, "datetime64[D]")
    days = days[np.is_busday(days, weekmask=weekmask)]
    if len(days) <= HOLIDAY_BLOCK_DAYS:
        return []
    index = np.busday_count(days[0], days, weekmask=weekmask)  # position among working weekdays
    breaks = np.flatnonzero(np.diff(index) != 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(days) - 1]])
    return [
        ScheduleWarning(
            "holiday-block",
            "calendar > holidays",
            f"{e - s + 1} working days in a row from {days[s]} to {days[e]} are holidays: every "
            "date after them moves by as much; check the holiday list",
        )
        for s, e in zip(starts, ends, strict=True)
        if e - s + 1 > HOLIDAY_BLOCK_DAYS
    ]


def _fs_reachability(
    project: Project,
) -> tuple[dict[str, list[str]], dict[str, int], dict[str, int]]:
    """Over the FS links with lag >= 0: each activity's distinct predecessors, and the set of
    activities each can be reached from (a bit set as an int, bit[id] the id's bit), built in
    one pass in dependency order: O(links x activities / 64) word operations."""
    from .model import topological_order

    order = topological_order(project)
    bit = {id: k for k, id in enumerate(order)}
    preds: dict[str, list[str]] = {id: [] for id in order}
    for item in project.activities:
        for link in item.after:
            if link.type == "FS" and link.lag >= 0 and link.predecessor in bit:
                if link.predecessor not in preds[item.id]:
                    preds[item.id].append(link.predecessor)
    reach: dict[str, int] = {}
    for id in order:
        r = 0
        for p in preds[id]:
            r |= reach[p] | (1 << bit[p])
        reach[id] = r
    return preds, reach, bit


def _path_back(
    preds: dict[str, list[str]], reach: dict[str, int], bit: dict[str, int], source: str, via: str
) -> list[str]:
    """A path source -> ... -> via over the FS links (``via`` is reachable from ``source``)."""
    path = [via]
    while path[-1] != source:
        path.append(next(p for p in preds[path[-1]] if p == source or reach[p] >> bit[source] & 1))
    return path[::-1]
