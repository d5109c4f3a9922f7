"""Real instances: PSPLIB networks with fixed durations finish at their critical-path length."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc

FILES = sorted((Path(__file__).parent / "data" / "psplib").glob("*.sm"))


def read_psplib(path: Path) -> tuple[rc.Project, int]:
    """The precedence network and durations of a PSPLIB .sm file, and its MPM-Time."""
    text = path.read_text()
    header = re.search(r"MPM-Time\s*\n\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", text)
    mpm_time = int(header.group(6))
    prec = text.split("PRECEDENCE RELATIONS:")[1].split("****")[0].strip().splitlines()[1:]
    successors = {}
    for line in prec:
        fields = [int(x) for x in line.split()]
        successors[fields[0]] = fields[3 : 3 + fields[2]]
    req = text.split("REQUESTS/DURATIONS:")[1].split("****")[0].strip().splitlines()[2:]
    durations = {int(line.split()[0]): int(line.split()[2]) for line in req}
    predecessors: dict[int, list[int]] = {job: [] for job in durations}
    for job, succ in successors.items():
        for s in succ:
            predecessors[s].append(job)
    tasks = tuple(
        rc.Task(
            f"j{job}", rc.Fixed(durations[job]), after=tuple(f"j{p}" for p in predecessors[job])
        )
        for job in sorted(durations)
    )
    sink = max(durations)
    return rc.Project(
        path.stem, "2027-01-04", tasks, (rc.Milestone("end", (f"j{sink}",)),)
    ), mpm_time


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixed_durations_finish_at_the_mpm_time(path):
    project, mpm_time = read_psplib(path)
    forecast = rc.simulate(project, iterations=64, seed=1)
    assert np.all(forecast.milestone("end").samples == mpm_time)
    assert forecast.milestone("end").cpm_days == mpm_time
    assert np.all(forecast.project_finish.samples == mpm_time)


def test_psplib_with_uncertainty_finishes_later_on_average():
    project, mpm_time = read_psplib(FILES[0])
    tasks = tuple(
        t
        if t.estimate.mean == 0
        else rc.Task(
            t.id,
            rc.Triangular(0.8 * t.estimate.mean, t.estimate.mean, 1.5 * t.estimate.mean),
            after=t.after,
        )
        for t in project.tasks
    )
    forecast = rc.simulate(
        rc.Project("u", project.start, tasks, project.milestones), iterations=4000, seed=3
    )
    end = forecast.milestone("end")
    assert end.cpm_days == mpm_time  # the plan uses the most-likely (unchanged) durations
    assert end.mean_days - 4 * end.sd_days / np.sqrt(4000) > mpm_time
