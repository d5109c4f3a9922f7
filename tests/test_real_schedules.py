"""The deterministic schedule of real MS Project and Primavera P6 files against the dates the
tools themselves stored (early dates, or actual dates for progressed activities).

The files are in ../shared/data/mpxj-testdata (MPXJ's test schedules, LGPL-2.1, saved by real
MS Project and P6) and tests/data/p6. The stored dates are read by the tests' own parsers
(tests/stored_dates_mspdi.py, tests/stored_dates_p6.py), not by riskcast's importers.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from riskcast.compile import compile_project
from riskcast.engine.run import forward_pass
from riskcast.io.schedules import read_schedule
from tests.stored_dates_mspdi import stored_dates as mspdi_dates
from tests.stored_dates_p6 import stored_dates as p6_dates

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mpxj-testdata"
HERE = Path(__file__).parent / "data"
FILES = sorted(
    [
        *SHARED.glob("mspdi/*.xml"),
        *SHARED.glob("xer/*.xer"),
        *SHARED.glob("pmxml/*.xml"),
        *HERE.glob("p6/*.xer"),
    ]
)
# Activities whose stored dates riskcast does not reproduce, with the cause.
EXCEPTIONS = {
    # an 800-hour effort-driven task whose resources work on their own calendars (MS Project
    # schedules it by the resource calendar, which riskcast does not apply; the import warns)
    ("sample1.xml", "2"),
}


def plan_dates(path: Path) -> tuple[dict[str, tuple[dt.date, dt.date]], object]:
    project = read_schedule(path).project
    network = compile_project(project)
    start, finish = forward_pass(network, network.plan_duration)
    cal = network.clock.calendar
    starts = cal.start_dates(project.start, start).astype(object)
    finishes = cal.finish_dates(project.start, finish).astype(object)
    return {id: (starts[k], finishes[k]) for k, id in enumerate(network.ids)}, project


ELAPSED_FORMATS = {4, 6, 8, 10, 12, 20}  # MSPDI DurationFormat codes of elapsed durations


def ms_finishes_at_day_start(path: Path) -> set[str]:
    """UIDs of tasks with working-time work whose stored Finish is 08:00 on a later day than
    their start: MS Project's way of writing the end of the working day before."""
    out = set()
    for el in ET.parse(path).getroot().iter():
        if el.tag.endswith("}Task"):
            values = {child.tag.split("}")[1]: child.text for child in el}
            start, finish = values.get("Start") or "", values.get("Finish") or ""
            elapsed = int(values.get("DurationFormat") or 7) in ELAPSED_FORMATS
            if finish.endswith("T08:00:00") and finish[:10] > start[:10] and not elapsed:
                out.add(values.get("UID"))
    return out


@pytest.mark.skipif(not FILES, reason="the shared real files are not present")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_plan_reproduces_the_stored_dates(path):
    ours, project = plan_dates(path)
    is_mspdi = path.suffix == ".xml" and path.parent.name == "mspdi"
    stored = mspdi_dates(path) if is_mspdi else p6_dates(path)
    day_start = ms_finishes_at_day_start(path) if is_mspdi else set()
    cal = project.calendar
    compared, differ = 0, []
    for id, (start, finish) in stored.items():
        if id not in ours or (path.name, id) in EXCEPTIONS:
            continue
        compared += 1
        if id in day_start:  # the working day before the stored 08:00
            finish = np.busday_offset(
                np.datetime64(finish, "D"), -1, roll="backward", busdaycal=cal.busdaycalendar
            ).astype(dt.date)
        if ours[id] != (start, finish):
            differ.append((id, ours[id], (start, finish)))
    assert compared > 0
    assert differ == []
