"""Read single-mode PSPLIB RCPSP instances (``.sm`` files) into a riskcast Project.

PSPLIB (Kolisch and Sprecher, TU Munich) is the benchmark library of the resource-constrained
project scheduling problem. A ``.sm`` file is plain text in blocks separated by lines of
asterisks: a header (``jobs (incl. supersource/sink ):  32``, the number of renewable,
nonrenewable and doubly constrained resources), ``PROJECT INFORMATION`` (with the ``MPM-Time``,
the critical-path length), ``PRECEDENCE RELATIONS`` (per job: number, modes, number of
successors, successors), ``REQUESTS/DURATIONS`` (per job: number, mode, duration in periods, a
request per renewable resource) and ``RESOURCEAVAILABILITIES`` (the capacity of each resource).

Jobs 1 (the dummy source) and n (the dummy sink) have duration 0 and no requests. Job 1 is
dropped; jobs 2 .. n-1 become tasks ``j2`` .. ``j{n-1}`` with Fixed durations and finish-to-start
links; the sink becomes the milestone ``end``. The project calendar works all seven days, so a
period is a day and a makespan in days is the PSPLIB makespan.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..calendar import Calendar
from ..distributions import MAX_DAYS, Fixed
from ..errors import ModelError
from ..model import Assignment, Milestone, Project, Resource, Task
from . import limits
from .limits import show
from .schedules import ImportResult, naming

__all__ = ["read_psplib"]

START = dt.date(2027, 1, 4)  # a Monday; PSPLIB times are periods from 0
ALL_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRECEDENCE = "PRECEDENCE RELATIONS"
REQUESTS = "REQUESTS/DURATIONS"
AVAILABILITIES = "RESOURCEAVAILABILITIES"
INFORMATION = "PROJECT INFORMATION"
SECTIONS = (INFORMATION, PRECEDENCE, REQUESTS, AVAILABILITIES)
SINGLE_MODE = "only single-mode RCPSP instances (PSPLIB .sm files) are read"
TRUNCATED = "the file may be truncated"

_INT = re.compile(r"[+-]?[0-9]{1,15}")
_RESOURCE = re.compile(r"([A-Za-z])\s*([0-9]{1,6})")


@dataclass
class _Section:
    """A block of the file: its heading's line number and its (line number, text) lines, and
    the column each line's text starts at."""

    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)


@dataclass
class _Job:
    line: int  # of its PRECEDENCE RELATIONS row
    successors: list[int]
    duration: int | None = None
    requests: tuple[int, ...] = ()
    request_line: int = 0


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.source = str(path)

    def fail(self, where: str, what: str) -> ModelError:
        return ModelError(f"{where}: {what}", self.source)

    # ----------------------------------------------------------------------------------------
    # Text and blocks.

    def text(self) -> str:
        data = limits.read_bytes(
            self.path, limits.MAX_SCHEDULE_BYTES, "schedule files", self.source
        )
        if limits.is_utf16(data[:64]):
            return limits.decode_utf16(data, "PSPLIB", self.source)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ModelError(
                f"not a text file in UTF-8 (byte {exc.start} cannot be read); PSPLIB files are "
                "plain ASCII text",
                self.source,
            ) from None

    def split(self, text: str) -> tuple[list[tuple[int, str]], dict[str, _Section]]:
        """The header lines (before the first named block) and the named blocks."""
        header = _Section(0)
        sections: dict[str, _Section] = {}
        current: _Section | None = header
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            if set(line) == {"*"}:
                current = header if not sections else None
                continue
            name = next((s for s in SECTIONS if line.upper().startswith(s + ":")), None)
            if name is not None:
                if name in sections:
                    raise self.fail(
                        f"line {number}",
                        f"a second {name} block (the first is at line {sections[name].line})",
                    )
                sections[name] = current = _Section(number)
                rest = line[len(name) + 1 :].strip()
                if rest:
                    current.lines.append((number, rest))
                    current.columns.append(len(raw) - len(raw.lstrip()) + len(name) + 1)
                continue
            if current is None:
                raise self.fail(
                    f"line {number}",
                    f"unexpected text {show(line[:60])} between blocks (expected one of "
                    f"{', '.join(s + ':' for s in SECTIONS)})",
                )
            current.lines.append((number, line))
            current.columns.append(len(raw) - len(raw.lstrip()))
        return header.lines, sections

    def block(self, sections: dict[str, _Section], name: str) -> _Section:
        if name not in sections:
            raise ModelError(
                f"no {name} block; a PSPLIB .sm file has PRECEDENCE RELATIONS, "
                f"REQUESTS/DURATIONS and RESOURCEAVAILABILITIES ({TRUNCATED})",
                self.source,
            )
        return sections[name]

    def ints(self, where: str, tokens: Sequence[str], what: Sequence[str]) -> list[int]:
        """``tokens`` as whole numbers; ``what`` names each (the last name repeats)."""
        out = []
        for i, token in enumerate(tokens):
            if not _INT.fullmatch(token):
                name = what[min(i, len(what) - 1)]
                raise self.fail(where, f"{name} must be a whole number, got {show(token[:40])}")
            out.append(int(token))
        return out

    # ----------------------------------------------------------------------------------------
    # The blocks.

    def header(self, lines: list[tuple[int, str]]) -> dict[str, tuple[int, int]]:
        """The numbers of the header's ``key : value`` lines, by lower-cased key."""
        values: dict[str, tuple[int, int]] = {}
        for number, line in lines:
            key, colon, value = line.partition(":")
            if not colon:
                continue
            key = key.strip(" -").lower()
            tokens = value.split()
            if not tokens or not _INT.fullmatch(tokens[0]):
                continue  # text values (the base data file's name)
            values[key] = (number, int(tokens[0]))
        return values

    def check_header(self, values: dict[str, tuple[int, int]]) -> int | None:
        """The number of jobs the header gives (None: not given); refuses multi-mode files."""
        projects = values.get("projects")
        if projects is not None and projects[1] != 1:
            raise self.fail(
                f"header, line {projects[0]}",
                f"{projects[1]} projects; a PSPLIB RCPSP instance holds one",
            )
        for key in ("nonrenewable", "doubly constrained"):
            if key in values and values[key][1] != 0:
                raise self.fail(
                    f"header, line {values[key][0]}",
                    f"{values[key][1]} {key} resources; {SINGLE_MODE} (renewable resources only)",
                )
        jobs = next((v for k, v in values.items() if k.startswith("jobs")), None)
        if jobs is None:
            return None
        if not 2 <= jobs[1] <= 10_000_000:
            raise self.fail(
                f"header, line {jobs[0]}",
                f"{jobs[1]} jobs; an instance has 2 (the dummy source and sink) to 10,000,000",
            )
        return jobs[1]

    def precedence(self, section: _Section) -> dict[int, _Job]:
        where = f"{PRECEDENCE} (line {section.line})"
        rows = section.lines
        if not rows or not rows[0][1].lower().startswith("jobnr"):
            empty = f" ({TRUNCATED})" if not rows else ""
            raise self.fail(
                where, f"expected the column line 'jobnr. #modes #successors ...'{empty}"
            )
        jobs: dict[int, _Job] = {}
        for number, line in rows[1:]:
            at = f"{PRECEDENCE}, line {number}"
            tokens = line.split()
            if len(tokens) < 3:
                raise self.fail(
                    at,
                    f"expected job number, #modes, #successors and the successors, got "
                    f"{show(line[:60])} ({TRUNCATED})",
                )
            job, modes, count = self.ints(
                at, tokens[:3], ("the job number", "#modes", "#successors")
            )
            succ = self.ints(at, tokens[3:], ("a successor",))
            if modes != 1:
                raise self.fail(at, f"job {job} has {modes} modes; {SINGLE_MODE}")
            if count != len(succ):
                raise self.fail(
                    at,
                    f"job {job} says {count} successors but lists {len(succ)}"
                    + (f" ({TRUNCATED})" if count > len(succ) else ""),
                )
            if job in jobs:
                raise self.fail(at, f"job {job} again (first at line {jobs[job].line})")
            twice = sorted({s for s in succ if succ.count(s) > 1})
            if twice:
                raise self.fail(at, f"job {job} lists successor {twice[0]} more than once")
            jobs[job] = _Job(number, succ)
        if not jobs:
            raise self.fail(where, f"no jobs listed ({TRUNCATED})")
        return jobs

    def check_jobs(self, jobs: dict[int, _Job], n: int | None, where: str) -> int:
        """The number of jobs n, after checking the rows are jobs 1 .. n."""
        if n is None:
            n = max(jobs)
        bad = next((j for j in jobs if not 1 <= j <= n), None)
        if bad is not None:
            raise self.fail(
                f"{PRECEDENCE}, line {jobs[bad].line}",
                f"job number {bad} is not one of the file's jobs 1..{n}",
            )
        if len(jobs) < n:
            missing = next(k for k in range(1, len(jobs) + 2) if k not in jobs)
            raise self.fail(
                where, f"job {missing} is not listed (jobs 1..{n} expected; {TRUNCATED})"
            )
        for job, item in jobs.items():
            at = f"{PRECEDENCE}, line {item.line}"
            for s in item.successors:
                if not 1 <= s <= n:
                    raise self.fail(at, f"job {job}: successor {s} is not a job (jobs are 1..{n})")
                if s == job:
                    raise self.fail(at, f"job {job} lists itself as its successor")
                if s == 1:
                    raise self.fail(
                        at,
                        f"job {job} lists job 1 as its successor; job 1 is the dummy source, "
                        "which comes first",
                    )
        if jobs[n].successors:
            raise self.fail(
                f"{PRECEDENCE}, line {jobs[n].line}",
                f"job {n} is the dummy sink (the last job) but has successors",
            )
        return n

    def resource_columns(self, where: str, line: str, count: int | None) -> list[str]:
        """The resource ids ("R1", ...) of a column line like ``R 1  R 2``."""
        found = _RESOURCE.findall(line)
        if not found or _RESOURCE.sub("", line).strip():
            raise self.fail(
                where, f"expected resource columns like 'R 1  R 2', got {show(line[:60])}"
            )
        kinds = {k.upper() for k, _ in found}
        if kinds != {"R"}:
            raise self.fail(
                where,
                f"resources other than renewable ({', '.join(sorted(kinds - {'R'}))}); "
                f"{SINGLE_MODE} (renewable resources only)",
            )
        ids = [f"R{int(num)}" for _, num in found]
        if len(set(ids)) != len(ids):
            raise self.fail(where, "a resource column appears twice")
        if count is not None and len(ids) != count:
            raise self.fail(
                where,
                f"{len(ids)} resource columns, but the header says {count} renewable resources",
            )
        return ids

    def requests(
        self, section: _Section, jobs: dict[int, _Job], renewable: int | None
    ) -> list[str]:
        rows = section.lines
        where = f"{REQUESTS} (line {section.line})"
        if not rows or not rows[0][1].lower().startswith("jobnr"):
            empty = f" ({TRUNCATED})" if not rows else ""
            raise self.fail(
                where, f"expected the column line 'jobnr. mode duration R 1 ...'{empty}"
            )
        number, line = rows[0]
        columns = line.split(None, 3)
        ids = self.resource_columns(
            f"{REQUESTS}, line {number}", columns[3] if len(columns) == 4 else "", renewable
        )
        seen: dict[int, int] = {}
        last_job: int | None = None
        mode_column = 0  # where the last job row's mode starts
        for (number, line), column in zip(rows[1:], section.columns[1:], strict=True):
            at = f"{REQUESTS}, line {number}"
            if set(line) == {"-"}:
                continue
            tokens = line.split()
            # A further mode's line (.mm files) leaves the job column empty: it starts under
            # the mode column of its job's line.
            if last_job is not None and column >= mode_column and len(tokens) == 2 + len(ids):
                raise self.fail(at, f"a further mode of job {last_job}; {SINGLE_MODE}")
            if len(tokens) != 3 + len(ids):
                raise self.fail(
                    at,
                    f"expected job number, mode, duration and {len(ids)} requests "
                    f"({3 + len(ids)} values), got {len(tokens)}"
                    + (f" ({TRUNCATED})" if len(tokens) < 3 + len(ids) else ""),
                )
            job, mode, duration = self.ints(
                at, tokens[:3], ("the job number", "the mode", "the duration")
            )
            requests = self.ints(at, tokens[3:], [f"the request of {r}" for r in ids])
            if job not in jobs:
                raise self.fail(at, f"job {job} is not a job of {PRECEDENCE}")
            if job in seen:
                raise self.fail(at, f"job {job} again (first at line {seen[job]})")
            if mode != 1:
                raise self.fail(at, f"job {job} in mode {mode}; {SINGLE_MODE}")
            if duration < 0:
                raise self.fail(at, f"job {job}: the duration is {duration}; it cannot be negative")
            if duration > MAX_DAYS:
                raise self.fail(
                    at,
                    f"job {job}: the duration {duration} is beyond the {MAX_DAYS:,.0f} days "
                    "riskcast plans with",
                )
            for r, units in zip(ids, requests, strict=True):
                if units < 0:
                    raise self.fail(
                        at, f"job {job}: the request of {r} is {units}; it cannot be negative"
                    )
            seen[job] = number
            last_job = job
            mode_column = column + line.index(tokens[1], len(tokens[0]))
            jobs[job].duration, jobs[job].requests, jobs[job].request_line = (
                duration,
                tuple(requests),
                number,
            )
        missing = next((j for j in sorted(jobs) if j not in seen), None)
        if missing is not None:
            raise self.fail(where, f"job {missing} has no duration and requests ({TRUNCATED})")
        return ids

    def availabilities(self, section: _Section, ids: list[str]) -> list[int]:
        rows = section.lines
        where = f"{AVAILABILITIES} (line {section.line})"
        if not rows:
            raise self.fail(where, f"no resource columns and capacities ({TRUNCATED})")
        number, line = rows[0]
        names = self.resource_columns(f"{AVAILABILITIES}, line {number}", line, None)
        if names != ids:
            raise self.fail(
                f"{AVAILABILITIES}, line {number}",
                f"resources {' '.join(names)} do not match those of {REQUESTS} ({' '.join(ids)})",
            )
        if len(rows) < 2:
            raise self.fail(where, f"no capacities after the resource columns ({TRUNCATED})")
        if len(rows) > 2:
            raise self.fail(
                f"{AVAILABILITIES}, line {rows[2][0]}", "more than one line of capacities"
            )
        number, line = rows[1]
        at = f"{AVAILABILITIES}, line {number}"
        tokens = line.split()
        if len(tokens) != len(ids):
            raise self.fail(
                at,
                f"expected {len(ids)} capacities ({' '.join(ids)}), got {len(tokens)}"
                + (f" ({TRUNCATED})" if len(tokens) < len(ids) else ""),
            )
        capacities = self.ints(at, tokens, [f"the capacity of {r}" for r in ids])
        for r, cap in zip(ids, capacities, strict=True):
            if cap < 0:
                raise self.fail(at, f"the capacity of {r} is {cap}; it cannot be negative")
        return capacities

    # ----------------------------------------------------------------------------------------

    def read(self) -> ImportResult:
        header_lines, sections = self.split(self.text())
        values = self.header(header_lines)
        n = self.check_header(values)
        renewable = values.get("renewable")
        precedence = self.block(sections, PRECEDENCE)
        jobs = self.precedence(precedence)
        n = self.check_jobs(jobs, n, f"{PRECEDENCE} (line {precedence.line})")
        count = None if renewable is None else renewable[1]
        ids = self.requests(self.block(sections, REQUESTS), jobs, count)
        capacities = self.availabilities(self.block(sections, AVAILABILITIES), ids)
        for job in (1, n):
            item = jobs[job]
            if item.duration or any(item.requests):
                role = "source (the first job)" if job == 1 else "sink (the last job)"
                raise self.fail(
                    f"{REQUESTS}, line {item.request_line}",
                    f"job {job} is the dummy {role}; it must have duration 0 and no requests",
                )
        for job, item in jobs.items():
            for r, units, cap in zip(ids, item.requests, capacities, strict=True):
                if units > cap:
                    raise self.fail(
                        f"{REQUESTS}, line {item.request_line}",
                        f"job {job} requests {units} units of {r}, but only {cap} are available "
                        f"({AVAILABILITIES}); the instance has no feasible schedule",
                    )
        predecessors: dict[int, list[int]] = {job: [] for job in jobs}
        for job in sorted(jobs):
            for s in jobs[job].successors:
                predecessors[s].append(job)

        def after(job: int) -> tuple[str, ...]:
            return tuple(f"j{p}" for p in sorted(predecessors[job]) if p != 1)

        with naming(self.source):
            tasks = tuple(
                Task(
                    f"j{job}",
                    Fixed(float(jobs[job].duration or 0)),
                    after=after(job),
                    assignments=tuple(
                        Assignment(r, float(units))
                        for r, units in zip(ids, jobs[job].requests, strict=True)
                        if units
                    ),
                )
                for job in range(2, n)
            )
            resources = tuple(
                Resource(r, name=f"renewable resource {r[1:]}", capacity=float(cap))
                for r, cap in zip(ids, capacities, strict=True)
            )
            project = Project(
                self.path.stem,
                START,
                tasks,
                (Milestone("end", after(n), name="Project end"),),
                calendar=Calendar(workdays=ALL_WEEK),
                resources=resources,
                source=self.source,
            )
        return ImportResult(project, [], "psplib")


def read_psplib(
    path: str | os.PathLike[str], three_point: Sequence[str | None] | None = None
) -> ImportResult:
    """Read a single-mode PSPLIB RCPSP instance (``.sm``) into a riskcast Project.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.sm`` file.
    three_point : sequence of str, optional
        Not used: PSPLIB files have no custom fields; giving field names is an error (add
        spread with uncertainty rules instead).

    Returns
    -------
    ImportResult
        ``project``: named after the file's stem, starting 2027-01-04 on a calendar that works
        all seven days (one PSPLIB period = one day); tasks ``j2`` .. ``j{n-1}`` (jobs 2 .. n-1)
        with ``Fixed`` durations, finish-to-start links without lag and an assignment per
        non-zero renewable resource request; resources ``R1``, ``R2``, ... with the
        ``capacity`` of RESOURCEAVAILABILITIES; the milestone ``end`` after the sink's
        predecessors. The dummy source (job 1) is dropped. ``warnings`` is empty;
        ``source_format`` is ``"psplib"``.

    Raises
    ------
    ModelError
        Naming the file and the place (block and line number) of anything malformed: a
        missing block (truncated file), a job or successor number that is not a job, a
        non-numeric or negative duration or request, a request over its resource's capacity,
        and multi-mode instances (more than one mode, nonrenewable or doubly constrained
        resources): only single-mode RCPSP files are read.
    """
    path = Path(path)
    if three_point and any(three_point):
        raise ModelError(
            "PSPLIB files have no custom fields for three-point durations; add spread with "
            "uncertainty rules instead",
            str(path),
        )
    return _Reader(path).read()
