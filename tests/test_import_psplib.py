"""Importing PSPLIB RCPSP instances (.sm): checked against an independent re-reading of each
file, the header's MPM-Time, the CLI round trip and hostile variants of a real instance."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc
from riskcast.io.psplib import read_psplib
from riskcast.io.schedules import read_schedule, sniff_format

ROOT = Path(__file__).parent.parent
LOCAL = Path(__file__).parent / "data" / "psplib"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "psplib"
J301_1 = LOCAL / "j301_1.sm"

FILES = [pytest.param(p, id=f"local-{p.stem}") for p in sorted(LOCAL.glob("*.sm"))] + [
    pytest.param(p, id=f"shared-{p.parent.name}-{p.stem}")
    for sub in ("j30", "j60", "j120")
    for p in sorted((SHARED / sub).glob("*.sm"))
]


# --------------------------------------------------------------------------------------------
# An independent re-reading of a .sm file (blocks by their titles, numbers by columns).


@dataclasses.dataclass
class Instance:
    mpm_time: int
    durations: dict[int, int]
    successors: dict[int, list[int]]
    requests: dict[int, list[int]]
    capacities: list[int]

    @property
    def sink(self) -> int:
        return max(self.durations)

    def predecessors(self, job: int) -> set[int]:
        return {j for j, succ in self.successors.items() if job in succ}


def reread(path: Path) -> Instance:
    text = path.read_text()
    blocks: dict[str, list[str]] = {}
    for block in re.split(r"^\*+\s*$", text, flags=re.M):
        rows = [row for row in block.strip().splitlines() if row.strip()]
        if rows and rows[0].rstrip().endswith(":"):
            blocks[rows[0].strip().rstrip(":")] = rows[1:]
    mpm_time = int(blocks["PROJECT INFORMATION"][1].split()[5])
    successors = {}
    for row in blocks["PRECEDENCE RELATIONS"][1:]:
        job, modes, count, *succ = (int(x) for x in row.split())
        assert modes == 1 and count == len(succ)
        successors[job] = succ
    durations, requests = {}, {}
    for row in blocks["REQUESTS/DURATIONS"][2:]:  # the column titles, then a line of dashes
        job, mode, duration, *req = (int(x) for x in row.split())
        assert mode == 1
        durations[job], requests[job] = duration, req
    capacities = [int(x) for x in blocks["RESOURCEAVAILABILITIES"][1].split()]
    assert sorted(durations) == sorted(successors) == list(range(1, len(durations) + 1))
    return Instance(mpm_time, durations, successors, requests, capacities)


def as_seen(project: rc.Project) -> dict[str, tuple[float, set[str], dict[str, float]]]:
    """Each task's (duration, predecessors, assignments); checks every link is FS without lag."""
    out = {}
    for task in project.tasks:
        assert isinstance(task.estimate, rc.Fixed)
        assert all(link.type == "FS" and link.lag == 0 for link in task.after)
        out[task.id] = (
            task.estimate.value,
            {link.predecessor for link in task.after},
            {a.resource: a.units for a in task.assignments},
        )
    return out


def test_the_rereading_reads_j301_1():
    """The re-reading itself, on numbers copied by hand from j301_1.sm."""
    inst = reread(J301_1)
    assert inst.mpm_time == 38
    assert inst.sink == 32
    assert inst.durations[2] == 8 and inst.requests[2] == [4, 0, 0, 0]
    assert inst.successors[1] == [2, 3, 4] and inst.successors[8] == [12, 19, 27]
    assert inst.predecessors(32) == {29, 30, 31}
    assert inst.capacities == [12, 13, 4, 12]


@pytest.mark.parametrize("path", FILES)
def test_instance_matches_an_independent_reading(path):
    inst = reread(path)
    result = read_schedule(path)
    project = result.project
    assert result.source_format == "psplib"
    assert result.warnings == []
    assert project.name == path.stem
    assert project.start.isoformat() == "2027-01-04"
    assert set(project.calendar.workdays) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    assert project.calendar.holidays == ()
    assert [t.id for t in project.tasks] == [f"j{j}" for j in range(2, inst.sink)]
    expected = {
        f"j{job}": (
            inst.durations[job],
            {f"j{p}" for p in inst.predecessors(job) if p != 1},
            {f"R{k}": units for k, units in enumerate(inst.requests[job], 1) if units},
        )
        for job in range(2, inst.sink)
    }
    assert as_seen(project) == expected
    assert [(r.id, r.capacity) for r in project.resources] == [
        (f"R{k}", cap) for k, cap in enumerate(inst.capacities, 1)
    ]
    (end,) = project.milestones
    assert (end.id, end.name) == ("end", "Project end")
    assert {link.predecessor for link in end.after} == {
        f"j{p}" for p in inst.predecessors(inst.sink) if p != 1
    }
    assert rc.load(path) == project  # the same through riskcast.load


def _unlimited(project: rc.Project) -> rc.Project:
    resources = tuple(dataclasses.replace(r, capacity=None) for r in project.resources)
    return dataclasses.replace(project, resources=resources)


@pytest.mark.parametrize("path", FILES)
def test_without_resource_limits_the_finish_is_the_mpm_time(path):
    """The network and durations alone give the header's critical-path length (in days)."""
    mpm_time = reread(path).mpm_time
    forecast = rc.simulate(_unlimited(rc.load(path)), iterations=64, seed=1)
    assert np.all(forecast.project_finish.samples == mpm_time)
    assert np.all(forecast.milestone("end").samples == mpm_time)
    assert forecast.milestone("end").cpm_days == mpm_time


def optimum(path: Path) -> int | None:
    """The proven optimal makespan from the shared solution tables, when there is one."""
    size = next(k for k in ("j120", "j30", "j60", "j90") if path.stem.startswith(k))
    table = SHARED / "solutions" / f"{size}_optimum_kobe.csv"
    if not table.exists():
        return None
    for line in table.read_text().splitlines()[1:]:
        name, value = line.split(",")
        if name == path.name and value.isdigit():
            return int(value)
    return None


@pytest.mark.parametrize("path", FILES)
def test_with_resource_limits_the_finish_is_no_better_than_possible(path):
    """The capacities are imported and used: a levelled schedule is a feasible one, so it
    cannot beat the critical path nor the instance's proven optimum."""
    inst = reread(path)
    forecast = rc.simulate(rc.load(path), iterations=64, seed=1)
    bound = max(inst.mpm_time, optimum(path) or 0)
    assert np.all(forecast.project_finish.samples >= bound)


def test_optimum_table_is_found_where_shared_data_is():
    if not (SHARED / "solutions").exists():
        pytest.skip("no shared PSPLIB solutions")
    assert optimum(J301_1) == 43
    assert optimum(LOCAL / "j601_1.sm") == 77
    assert optimum(LOCAL / "j1201_2.sm") == 109


# --------------------------------------------------------------------------------------------
# The CLI.


def test_cli_import_writes_a_model_that_loads_back(tmp_path):
    out = tmp_path / "model.toml"
    run = subprocess.run(
        [sys.executable, "-m", "riskcast", "import", str(J301_1), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "psplib" in run.stderr
    loaded = rc.load(out)
    imported = rc.load(J301_1)
    assert as_seen(loaded) == as_seen(imported)
    assert [(m.id, {link.predecessor for link in m.after}) for m in loaded.milestones] == [
        ("end", {"j29", "j30", "j31"})
    ]
    assert set(loaded.calendar.workdays) == set(imported.calendar.workdays)
    assert [(r.id, r.capacity) for r in loaded.resources] == [
        ("R1", 12),
        ("R2", 13),
        ("R3", 4),
        ("R4", 12),
    ]


# --------------------------------------------------------------------------------------------
# Sniffing and dispatch.


def test_sniffed_as_psplib():
    assert sniff_format(J301_1) == "psplib"


def test_mpxj_reader_is_refused_for_psplib():
    with pytest.raises(rc.ModelError, match="MPXJ does not read PSPLIB") as err:
        read_schedule(J301_1, reader="mpxj")
    assert err.value.source == str(J301_1)


def test_three_point_fields_are_refused():
    with pytest.raises(rc.ModelError, match="no custom fields") as err:
        read_schedule(J301_1, rc.io.templates.Uncertainty(three_point=("a", None, "c")))
    assert err.value.source == str(J301_1)


def test_uncertainty_rules_apply():
    project = read_schedule(J301_1, ["pert(-10%, 0%, +30%)"]).project
    assert all(not isinstance(t.estimate, rc.Fixed) or t.estimate.value == 0 for t in project.tasks)


# --------------------------------------------------------------------------------------------
# Hostile inputs: variants of j301_1.sm, each a ModelError naming the file (and the line).

TEXT = J301_1.read_text()


def _row(section: str, job: int) -> int:
    """The index in TEXT's lines of ``job``'s row in ``section``."""
    lines = TEXT.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(section))
    return next(i for i in range(start + 1, len(lines)) if lines[i].split()[:1] == [str(job)])


def _edit(section: str, job: int, old: str, new: str) -> str:
    lines = TEXT.splitlines()
    i = _row(section, job)
    assert old in lines[i]
    lines[i] = lines[i].replace(old, new, 1)
    return "\n".join(lines) + "\n"


def _insert_after(section: str, job: int, row: str) -> str:
    lines = TEXT.splitlines()
    lines.insert(_row(section, job) + 1, row)
    return "\n".join(lines) + "\n"


PREC, REQ = "PRECEDENCE RELATIONS", "REQUESTS/DURATIONS"

HOSTILE = {
    "successor-not-a-job": (
        _edit(PREC, 5, "   20", "   99"),
        r"PRECEDENCE RELATIONS, line 23: job 5: successor 99 is not a job \(jobs are 1..32\)",
    ),
    "successor-is-itself": (_edit(PREC, 5, "   20", "    5"), r"line 23: job 5 lists itself"),
    "successor-is-the-source": (_edit(PREC, 5, "   20", "    1"), r"line 23: .*dummy source"),
    "successor-count-short": (
        _edit(PREC, 8, "3          12  19  27", "3          12  19"),
        r"line 26: job 8 says 3 successors but lists 2",
    ),
    "successor-not-a-number": (
        _edit(PREC, 8, "12  19", "12  1x"),
        r"line 26: a successor must be a whole number, got '1x'",
    ),
    "sink-with-successor": (
        _edit(PREC, 32, "1          0", "1          1   2"),
        r"job 32 is the dummy sink",
    ),
    "duplicate-job": (
        _insert_after(PREC, 5, "   5        1          1          20"),
        r"line 24: job 5 again \(first at line 23\)",
    ),
    "non-numeric-duration": (
        _edit(REQ, 2, "1     8", "1     eight"),
        r"REQUESTS/DURATIONS, line 56: the duration must be a whole number, got 'eight'",
    ),
    "fractional-duration": (
        _edit(REQ, 2, "1     8", "1     8.5"),
        r"line 56: the duration must be a whole number, got '8.5'",
    ),
    "negative-duration": (
        _edit(REQ, 2, "1     8", "1    -8"),
        r"line 56: job 2: the duration is -8; it cannot be negative",
    ),
    "huge-duration": (
        _edit(REQ, 2, "1     8", "1     999999999999"),
        r"line 56: job 2: the duration 999999999999 is beyond",
    ),
    "request-a-letter": (
        _edit(REQ, 2, "8       4", "8       x"),
        r"line 56: the request of R1 must be a whole number, got 'x'",
    ),
    "request-negative": (
        _edit(REQ, 2, "8       4", "8      -4"),
        r"line 56: job 2: the request of R1 is -4; it cannot be negative",
    ),
    "request-over-capacity": (
        _edit(REQ, 2, "8       4", "8      40"),
        r"line 56: job 2 requests 40 units of R1, but only 12 are available",
    ),
    "source-with-duration": (
        _edit(REQ, 1, "1     0", "1     3"),
        r"line 55: job 1 is the dummy source",
    ),
    "multi-mode-job": (
        _edit(PREC, 2, "   2        1", "   2        3"),
        r"line 20: job 2 has 3 modes; only single-mode RCPSP instances",
    ),
    "multi-mode-requests": (
        _insert_after(REQ, 2, "         2     5       0    3    0    9"),
        r"line 57: a further mode of job 2; only single-mode RCPSP instances",
    ),
    "mode-2": (
        _edit(REQ, 2, "  2      1", "  2      2"),
        r"line 56: job 2 in mode 2; only single-mode RCPSP instances",
    ),
    "nonrenewable-resources": (
        TEXT.replace("nonrenewable              :  0", "nonrenewable              :  2"),
        r"header, line 10: 2 nonrenewable resources; only single-mode RCPSP instances",
    ),
    "nonrenewable-columns": (
        TEXT.replace("R 3  R 4", "N 1  N 2"),
        r"REQUESTS/DURATIONS, line 53: resources other than renewable \(N\); only single-mode",
    ),
    "missing-availabilities": (
        TEXT.split("RESOURCEAVAILABILITIES")[0],
        r"no RESOURCEAVAILABILITIES block",
    ),
    "availabilities-without-capacities": (
        TEXT.rsplit("   12   13", 1)[0],
        r"RESOURCEAVAILABILITIES \(line 88\): no capacities",
    ),
    "capacity-a-letter": (
        TEXT.replace("   12   13    4   12", "   12   13    x   12"),
        r"RESOURCEAVAILABILITIES, line 90: the capacity of R3 must be a whole number, got 'x'",
    ),
    "missing-job-rows": (
        TEXT.replace(TEXT.splitlines()[_row(REQ, 17)] + "\n", ""),
        r"REQUESTS/DURATIONS \(line 52\): job 17 has no duration and requests",
    ),
    "job-count-too-large": (
        TEXT.replace("supersource/sink ):  32", "supersource/sink ):  40"),
        r"job 33 is not listed \(jobs 1..40 expected",
    ),
    "cycle": (_edit(PREC, 20, "23  25", "23   5"), r"cycle"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_a_model_error_naming_the_file_and_place(tmp_path, name):
    text, message = HOSTILE[name]
    assert text != TEXT
    path = tmp_path / f"{name}.sm"
    path.write_text(text)
    with pytest.raises(rc.ModelError, match=message) as err:
        rc.load(path)
    assert err.value.source == str(path)
    assert str(path) in str(err.value)


def test_the_hostile_variants_edit_the_lines_the_messages_name():
    """Line numbers in HOSTILE are those of j301_1.sm."""
    lines = TEXT.splitlines()
    assert lines[22].split()[0] == "5" and lines[22 - 5].strip().startswith("jobnr.")
    assert lines[55].split()[:3] == ["2", "1", "8"]
    assert lines[51].startswith("REQUESTS/DURATIONS")
    assert lines[87].startswith("RESOURCEAVAILABILITIES")
    assert lines[89].split() == ["12", "13", "4", "12"]


@pytest.mark.parametrize("fraction", [0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.97])
def test_truncated_file_is_a_model_error_naming_the_file(tmp_path, fraction):
    path = tmp_path / "cut.sm"
    cut = int(len(TEXT) * fraction)
    assert TEXT[cut:].strip("*\n ")  # content is lost, not only the closing asterisks
    path.write_text(TEXT[:cut])
    with pytest.raises(rc.ModelError) as err:
        rc.load(path)
    assert err.value.source == str(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("keep", ["", "   12", "   12   13    4"])
def test_truncated_capacities_are_named(tmp_path, keep):
    path = tmp_path / "cut.sm"
    path.write_text(TEXT[: TEXT.index("   12   13    4   12")] + keep)
    with pytest.raises(rc.ModelError, match=r"RESOURCEAVAILABILITIES.*truncated") as err:
        read_psplib(path)
    assert err.value.source == str(path)


def test_truncated_inside_a_row_says_so(tmp_path):
    path = tmp_path / "cut.sm"
    i = TEXT.index("  2      1     8       4    0    0    0")
    path.write_text(TEXT[: i + len("  2      1     8       4    0")])
    with pytest.raises(rc.ModelError, match=r"line 56: .*got 5 \(the file may be truncated\)"):
        read_psplib(path)


def test_direct_reader_names_a_missing_block(tmp_path):
    path = tmp_path / "cut.sm"
    path.write_text(TEXT.split("REQUESTS/DURATIONS")[0])
    with pytest.raises(rc.ModelError, match="no REQUESTS/DURATIONS block") as err:
        read_psplib(path)
    assert str(path) in str(err.value)


def test_text_that_is_not_psplib_is_still_refused(tmp_path):
    path = tmp_path / "notes.sm"
    path.write_text("**********\nsome notes\nnot a schedule\n")
    with pytest.raises(rc.ModelError, match="not a schedule format") as err:
        rc.load(path)
    assert err.value.source == str(path)
