"""The ``riskcast`` command: thin argparse front end over the public API.

Each subcommand is a pair: ``_parse_NAME`` declares its options, ``_cmd_NAME(args, streams)`` acts
through the library and returns an exit code. :func:`main` never calls ``sys.exit``; the console
script does. matplotlib is imported only when charts are drawn.

Exit codes (also in ``riskcast --help`` and the README):

* 0 -- success;
* 1 -- ``validate --strict`` found schedule-quality warnings;
* 2 -- bad input: an invalid model (every problem listed), an unknown milestone or risk id, a
  model without the risks or mitigations a command needs, a bad option;
* 3 -- the output could not be written (nothing partial is left behind);
* 130 -- interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

EXIT_OK = 0
EXIT_WARNINGS = 1
EXIT_INPUT = 2
EXIT_OUTPUT = 3
EXIT_INTERRUPTED = 130

EXIT_CODES = """\
exit codes:
  0    success
  1    validate --strict: schedule-quality warnings found
  2    bad input: invalid model (every problem is listed), unknown milestone or risk
       id, a model without the risks/mitigations the command needs, bad option
  3    the output could not be written (nothing partial is left behind)
  130  interrupted
"""
DEFAULT_ITERATIONS = 10_000
PERCENTILES = (50, 80, 95)


class CliError(Exception):
    """A user-facing failure: printed as one message, mapped to ``code``."""

    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


@dataclass
class Streams:
    out: TextIO
    err: TextIO


# -- atomic output --------------------------------------------------------------------------------
class Staging:
    """Output files are rendered into a hidden folder next to ``target`` and moved into place
    (``os.replace``, atomic per file) only when everything succeeded: a failed run leaves no
    partial content."""

    def __init__(self, target: Path):
        self.target = target
        if target.exists() and not target.is_dir():
            raise CliError(f"{target}: exists and is not a folder; choose another --out")
        base = target
        while not base.exists():  # the nearest existing ancestor: same file system as target
            base = base.parent
        try:
            self.root = Path(tempfile.mkdtemp(prefix=".riskcast-", dir=base))
        except OSError as exc:
            raise CliError(f"cannot write to {base}: {exc.strerror or exc}", EXIT_OUTPUT) from None
        self.files: list[str] = []

    def path(self, name: str) -> Path:
        """Where to render ``name`` (relative to the target folder)."""
        self.files.append(name)
        p = self.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def commit(self) -> list[Path]:
        self.target.mkdir(parents=True, exist_ok=True)
        written = []
        for name in self.files:
            final = self.target / name
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / name, final)
            written.append(final)
        self.discard()
        return written

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` on a temp file in ``path``'s folder, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")


def _csv_text(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# -- progress -------------------------------------------------------------------------------------
class ProgressBar:
    """``progress(done, total)`` callback drawing one self-erasing line on a terminal."""

    def __init__(self, stream: TextIO, label: str = "simulating"):
        self.stream, self.label = stream, label
        self.last = 0.0
        self.width = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        filled = int(28 * done / total) if total else 28
        line = f"\r{self.label} [{'#' * filled}{'.' * (28 - filled)}] {done:,}/{total:,} runs"
        self.width = max(self.width, len(line))
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


# -- shared helpers -------------------------------------------------------------------------------
def _load(path: str) -> Any:
    """A model file or a schedule from another tool (see :func:`riskcast.load`)."""
    import riskcast

    return riskcast.load(Path(path))


def _check_milestones(project: Any, wanted: Sequence[str] | None) -> list[str] | None:
    from .forecast import FINISH_ID
    from .io._suggest import suggestion

    if not wanted:
        return None
    known = [m.id for m in project.milestones] + [FINISH_ID]
    bad = [w for w in wanted if w not in known]
    if bad:
        raise CliError(
            "; ".join(f'no milestone "{b}"{suggestion(b, known)}' for b in bad)
            + f" (known: {', '.join(known)})"
        )
    return list(dict.fromkeys(wanted))


def _default_ids(forecast: Any) -> list[str]:
    """Every milestone, and the project finish when it is not the same as one of them."""
    import numpy as np

    ids = [m.id for m in forecast.milestones]
    finish = forecast.project_finish
    if not any(np.array_equal(m.samples, finish.samples) for m in forecast.milestones):
        ids.append(finish.id)
    return ids


def _simulate(project: Any, args: argparse.Namespace, s: Streams, quiet: bool) -> Any:
    import riskcast

    seed = args.seed if args.seed is not None else secrets.randbelow(10**9)
    bar = ProgressBar(s.err) if (not quiet and _isatty(s.err)) else None
    kwargs: dict[str, Any] = {"seed": seed, "threads": args.threads, "progress": bar}
    if getattr(args, "mitigation", None) is not None:
        kwargs["mitigation"] = args.mitigation
    if getattr(args, "precision", None) is not None:
        kwargs["precision"] = args.precision
    else:
        kwargs["iterations"] = args.iterations or DEFAULT_ITERATIONS
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            forecast = riskcast.simulate(project, **kwargs)
    finally:
        if bar is not None:
            bar.close()
    for w in caught:
        print(f"warning: {w.message}", file=s.err)
    if args.seed is None and not quiet:
        print(f"seed {seed} (none given; rerun with --seed {seed} to reproduce)", file=s.err)
    return forecast


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _confidence(text: str) -> float:
    value = _positive_float(text)
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"must be a percentile between 0 and 100, got {text}")
    return value


def _scenario(text: str) -> str:
    """``--mitigated``: pre, post or risk ids separated by commas (checked against the model in
    :func:`_check_mitigation`, once it is loaded)."""
    value = text.strip()
    if not value or not any(part.strip() for part in value.split(",")):
        raise argparse.ArgumentTypeError("expected pre, post or risk ids separated by commas")
    return value


MITIGATED_HELP = (
    "risk scenario: pre (risks as they are), post (every mitigation applied) or the risk ids "
    "whose mitigation is applied, separated by commas"
)


def _check_mitigation(project: Any, value: str, *, allow_pre: bool = True) -> str | list[str]:
    """The ``mitigation`` argument of :func:`riskcast.simulate` for a ``--mitigated`` value:
    "pre", "post" or the list of risk ids, each known and with a mitigation to apply."""
    from .io._suggest import suggestion

    if value == "pre" and not allow_pre:
        raise CliError(
            "--mitigated pre compares the risks with themselves; give post or the ids of the "
            "mitigated risks"
        )
    if value in ("pre", "post"):
        return value
    ids = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    known = [r.id for r in project.risks]
    if not known:
        raise CliError(
            f"--mitigated {value}: the model has no [[risk]] entries, so there is no risk "
            "to mitigate (use pre or post)"
        )
    bad = [i for i in ids if i not in known]
    if bad:
        raise CliError(
            "; ".join(f'--mitigated: no risk "{b}"{suggestion(b, known)}' for b in bad)
            + f" (known: {', '.join(known)})"
        )
    with_mitigation = [r.id for r in project.risks if r.mitigation is not None]
    bare = [i for i in ids if i not in with_mitigation]
    if bare:
        listed = ", ".join(with_mitigation) or "none"
        raise CliError(
            "--mitigated: "
            + ", ".join(f'risk "{b}"' for b in bare)
            + f" {'has' if len(bare) == 1 else 'have'} no mitigation to apply "
            f"(risks with a mitigation: {listed})"
        )
    return ids


def _scenario_note(mitigation: str | Sequence[str]) -> str:
    """ ", mitigation: post" for the header line; nothing for the pre-mitigation scenario."""
    if mitigation == "pre":
        return ""
    if isinstance(mitigation, str):
        return f", mitigation: {mitigation}"
    return f", mitigated: {', '.join(mitigation)}"


def _caught_warnings(s: Streams, act: Callable[[], Any]) -> Any:
    """Run ``act()`` and print the warnings it raised (e.g. a repaired correlation) as notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = act()
    for w in caught:
        print(f"warning: {w.message}", file=s.err)
    return result


def _fresh_seed(args: argparse.Namespace, s: Streams, quiet: bool) -> int:
    """``--seed``, or a fresh seed that is printed (unless quiet) so the run can be repeated."""
    if args.seed is not None:
        return args.seed
    seed = secrets.randbelow(10**9)
    if not quiet:
        print(f"seed {seed} (none given; rerun with --seed {seed} to reproduce)", file=s.err)
    return seed


# -- run ------------------------------------------------------------------------------------------
def _parse_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="simulate a model: milestone confidence table, files and charts",
        description="Simulate MODEL and print each milestone's plan (CPM) date, P-dates and the "
        "probability of meeting its target; when the model has risks, also each risk's share "
        "of runs in which it occurred and in which it hit the critical path. --mitigated "
        "chooses the risk scenario (before or after the mitigations). With --out, also write "
        "forecast.json, milestones.csv, tasks.csv and charts/.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="model file (.toml or .json)")
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--iterations",
        "-n",
        type=_positive_int,
        metavar="N",
        help=f"number of simulated runs (default {DEFAULT_ITERATIONS:,})",
    )
    size.add_argument(
        "--precision",
        type=_positive_float,
        metavar="DAYS",
        help="run until every milestone's P80 is known to +/- DAYS working days (95%% confidence)",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        metavar="S",
        help="random seed; the same seed gives identical results (default: a fresh "
        "seed, printed so the run can be repeated)",
    )
    p.add_argument(
        "--out",
        "-o",
        metavar="DIR",
        help="write forecast.json, milestones.csv, tasks.csv and charts/ here",
    )
    p.add_argument(
        "--milestone",
        "-m",
        action="append",
        metavar="ID",
        help="show only this milestone (repeatable; 'finish' is the project finish)",
    )
    p.add_argument(
        "--confidence",
        type=_confidence,
        default=80.0,
        metavar="P",
        help="the percentile emphasised in the table and charts (default 80)",
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="what to print on stdout (default table)",
    )
    p.add_argument("--no-charts", action="store_true", help="do not draw charts")
    p.add_argument(
        "--chart-format",
        choices=("png", "svg"),
        default="png",
        help="chart file format (default png)",
    )
    p.add_argument(
        "--export",
        metavar="FILE",
        help="write a per-task CSV (plan dates, P50/P80 finish, criticality, "
        "sensitivity) to paste into a scheduling tool",
    )
    p.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="worker threads (default: all cores; results do not depend on it)",
    )
    p.add_argument(
        "--mitigated",
        type=_scenario,
        default="pre",
        metavar="pre|post|ID,...",
        help=MITIGATED_HELP + " (default pre)",
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no notes on stderr"
    )
    p.set_defaults(act=_cmd_run)


def _percentiles(confidence: float) -> list[float]:
    return sorted({*PERCENTILES, confidence})


def _milestone_rows(forecast: Any, ids: Sequence[str], confidence: float) -> list[dict[str, Any]]:
    rows = []
    for mid in ids:
        m = forecast.milestone(mid)
        row: dict[str, Any] = {
            "id": m.id,
            "name": m.name,
            "target": m.target,
            "plan": m.cpm_date,
        }
        for q in _percentiles(confidence):
            row[f"p{q:g}"] = m.percentile(q)
        lo, hi = m.percentile_interval(confidence)
        row[f"p{confidence:g}_low"], row[f"p{confidence:g}_high"] = lo, hi
        row["probability_of_target"] = m.target_probability
        row["mean_days"], row["sd_days"] = m.mean_days, m.sd_days
        rows.append(row)
    return rows


def _milestone_columns(confidence: float) -> list[str]:
    c = f"p{confidence:g}"
    return [
        "id",
        "name",
        "target",
        "plan",
        *(f"p{q:g}" for q in _percentiles(confidence)),
        f"{c}_low",
        f"{c}_high",
        "probability_of_target",
        "mean_days",
        "sd_days",
    ]


TASK_EXPORT_COLUMNS = (
    "id",
    "name",
    "plan_start",
    "plan_finish",
    "p50_finish",
    "p80_finish",
    "criticality",
    "sensitivity",
)
TASK_COLUMNS = (
    "id",
    "name",
    "plan_start",
    "plan_finish",
    "p10_finish",
    "p50_finish",
    "p80_finish",
    "p90_finish",
    "mean_start_days",
    "mean_finish_days",
    "mean_duration_days",
    "sd_duration_days",
    "criticality",
    "sensitivity",
)


def _ci_days(forecast: Any, mid: str, confidence: float) -> str:
    m = forecast.milestone(mid)
    lo, hi = m.percentile_interval_days(confidence)
    mid_days = m.percentile_days(confidence)
    half = max(mid_days - lo, hi - mid_days)
    return f"±{half:.1f}d"


def _table(forecast: Any, ids: Sequence[str], confidence: float, args: argparse.Namespace) -> str:
    qs = _percentiles(confidence)
    head = [
        "milestone",
        "target",
        "plan (CPM)",
        *(f"P{q:g}" for q in qs),
        f"P{confidence:g} CI",
        "on target",
    ]
    body = []
    for mid in ids:
        m = forecast.milestone(mid)
        p = m.target_probability
        body.append(
            [
                m.name,
                m.target.isoformat() if m.target else "-",
                m.cpm_date.isoformat(),
                *(m.percentile(q).isoformat() for q in qs),
                _ci_days(forecast, mid, confidence),
                "-" if p is None else f"{100 * p:.0f}%",
            ]
        )
    lines = []
    if args.precision is not None:
        size = f"{forecast.iterations:,} runs (P80 to ±{args.precision:g} working days)"
    else:
        size = f"{forecast.iterations:,} runs"
    lines.append(
        f"{forecast.project_name} — {size}, seed {forecast.seed}, plan start "
        f"{forecast.start.isoformat()}{_scenario_note(forecast.mitigation)}"
    )
    lines.extend(_aligned([head, *body]))
    lines.append(
        f"P{confidence:g} CI: 95% Monte Carlo interval (working days); "
        "on target: share of runs delivered by the target"
    )
    if forecast.risk_ids:
        lines.append("")
        lines.extend(_risk_table(forecast, ids[0]))
    return "\n".join(lines)


def _aligned(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """Rows of cells as lines of columns two spaces apart (columns in ``right`` right-aligned)."""
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return [
        "  ".join(
            c.rjust(w) if k in right else c.ljust(w)
            for k, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _risk_rows(forecast: Any, mid: str) -> list[dict[str, Any]]:
    """Per risk (most often critical first, then model order): shares of runs in which it
    occurred and in which it occurred and hit a task critical for ``mid``."""
    occurred = forecast.risk_occurrence()
    critical = forecast.risk_criticality(mid)
    order = sorted(range(len(forecast.risk_ids)), key=lambda k: -critical[forecast.risk_ids[k]])
    return [
        {
            "id": forecast.risk_ids[k],
            "title": forecast.risk_titles[k],
            "occurred": occurred[forecast.risk_ids[k]],
            "critical": critical[forecast.risk_ids[k]],
        }
        for k in order
    ]


def _risk_table(forecast: Any, mid: str) -> list[str]:
    name = forecast.milestone(mid).name
    head = ["risk", "title", "occurred", f"critical for {name}"]
    body = [
        [r["id"], _short(r["title"]), f"{100 * r['occurred']:.0f}%", f"{100 * r['critical']:.0f}%"]
        for r in _risk_rows(forecast, mid)
    ]
    return [
        *_aligned([head, *body], right=(2, 3)),
        "occurred: share of runs in which the risk occurred; critical: share in which it "
        f"occurred and hit a task on the critical path to {name}",
    ]


def _json_summary(
    forecast: Any,
    ids: Sequence[str],
    confidence: float,
    args: argparse.Namespace,
    files: Sequence[Path],
) -> str:
    def iso(d: Any) -> Any:
        return None if d is None else d.isoformat()

    milestones = []
    for mid in ids:
        m = forecast.milestone(mid)
        milestones.append(
            {
                "id": m.id,
                "name": m.name,
                "target": iso(m.target),
                "plan": iso(m.cpm_date),
                "percentiles": {f"{q:g}": iso(m.percentile(q)) for q in _percentiles(confidence)},
                "confidence_interval": {
                    f"{confidence:g}": [iso(d) for d in m.percentile_interval(confidence)]
                },
                "probability_of_target": m.target_probability,
                "mean_days": m.mean_days,
                "sd_days": m.sd_days,
            }
        )
    data = {
        "format": "riskcast-run/1",
        "model": args.model,
        "project": forecast.project_name,
        "start": iso(forecast.start),
        "seed": forecast.seed,
        "iterations": forecast.iterations,
        "precision": args.precision,
        "confidence": confidence,
        "mitigation": forecast.mitigation,
        "milestones": milestones,
        "risks": [
            {
                "id": rid,
                "title": title,
                "occurred": forecast.risk_occurrence()[rid],
                "critical": {mid: forecast.risk_criticality(mid)[rid] for mid in ids},
            }
            for rid, title in zip(forecast.risk_ids, forecast.risk_titles, strict=True)
        ],
        "files": [str(f) for f in files],
    }
    return json.dumps(data, indent=2)


def _safe_name(mid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in mid) or "_"


def _draw_charts(
    forecast: Any, ids: Sequence[str], confidence: float, fmt: str, staging: Staging
) -> None:
    from . import plotting

    milestones = [i for i in ids if i != "finish"] or list(ids)
    jobs: list[tuple[Callable[[], Any], Path]] = [
        (lambda: plotting.roadmap(forecast, milestones), staging.path(f"charts/roadmap.{fmt}"))
    ]
    for mid in ids:
        name = _safe_name(mid)
        jobs += [
            (
                lambda mid=mid: plotting.scurve(forecast, mid, confidence=confidence),
                staging.path(f"charts/scurve-{name}.{fmt}"),
            ),
            (
                lambda mid=mid: plotting.histogram(forecast, mid),
                staging.path(f"charts/histogram-{name}.{fmt}"),
            ),
            (
                lambda mid=mid: plotting.tornado(forecast, mid),
                staging.path(f"charts/tornado-{name}.{fmt}"),
            ),
        ]
    jobs.append(
        (
            lambda: plotting.gantt(forecast, _gantt_tasks(forecast)),
            staging.path(f"charts/gantt.{fmt}"),
        )
    )
    forecast.stats  # noqa: B018  (the deferred statistics, once, before any worker starts)
    _save_charts(jobs)


_JOBS: list[tuple[Callable[[], Any], Path]] = []  # what forked chart workers inherit
CHARTS_PER_WORKER = 4  # below this a worker process costs more than it saves


def _save_charts(jobs: list[tuple[Callable[[], Any], Path]]) -> None:
    """Draw each ``(draw, path)`` chart and save it. Where the system can fork (Linux) and has
    cores to spare, the charts are split between worker processes that inherit everything
    already computed; rendering is most of a run's wall time."""
    from . import plotting

    workers = min(len(jobs) // CHARTS_PER_WORKER, os.cpu_count() or 1, 4)
    if workers < 2 or not sys.platform.startswith("linux"):
        for draw, path in jobs:
            plotting.save(draw(), path)
        return
    import importlib
    import multiprocessing

    importlib.import_module("matplotlib.backends.backend_agg")  # once, before the fork

    global _JOBS
    _JOBS = jobs
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(_save_share, [(w, workers) for w in range(workers)])
    finally:
        _JOBS = []


def _save_share(share: tuple[int, int]) -> None:
    from . import plotting

    worker, workers = share
    for draw, path in _JOBS[worker::workers]:
        plotting.save(draw(), path)


GANTT_ROWS = 40  # a Gantt chart stops being readable (and gets slow to draw) beyond this


def _gantt_tasks(forecast: Any) -> list[str] | None:
    """Every task of a small plan; for a large one the GANTT_ROWS most critical (model order)."""
    if len(forecast.task_ids) <= GANTT_ROWS:
        return None
    crit = forecast.criticality()
    chosen = set(sorted(forecast.task_ids, key=lambda t: -crit[t])[:GANTT_ROWS])
    return [t for t in forecast.task_ids if t in chosen]


def _cmd_run(args: argparse.Namespace, s: Streams) -> int:
    project = _load(args.model)
    wanted = _check_milestones(project, args.milestone)
    args.mitigation = _check_mitigation(project, args.mitigated)
    staging = Staging(Path(args.out)) if args.out else None
    export = Path(args.export) if args.export else None
    if export is not None and export.is_dir():
        raise CliError(f"{export}: is a folder; --export takes a CSV file name")
    try:
        forecast = _simulate(project, args, s, args.quiet or args.format != "table")
        ids = wanted or _default_ids(forecast)
        conf = args.confidence
        written: list[Path] = []
        if staging is not None:
            _write_text(staging.path("forecast.json"), forecast.to_json())
            _write_text(
                staging.path("milestones.csv"),
                _csv_text(_milestone_rows(forecast, ids, conf), _milestone_columns(conf)),
            )
            _write_text(staging.path("tasks.csv"), _csv_text(forecast.task_table(), TASK_COLUMNS))
            if not args.no_charts:
                _draw_charts(forecast, ids, conf, args.chart_format, staging)
        export_text = _csv_text(forecast.task_table(), TASK_EXPORT_COLUMNS) if export else None
        # Everything is rendered: now move it into place.
        if staging is not None:
            written = staging.commit()
        if export is not None and export_text is not None:
            write_atomic(export, lambda tmp: _write_text(tmp, export_text))
            written.append(export)
    except OSError as exc:
        raise CliError(f"cannot write output: {exc}", EXIT_OUTPUT) from None
    finally:
        if staging is not None:
            staging.discard()

    if args.format == "json":
        print(_json_summary(forecast, ids, conf, args, written), file=s.out)
    elif args.format == "csv":
        s.out.write(_csv_text(_milestone_rows(forecast, ids, conf), _milestone_columns(conf)))
    else:
        print(_table(forecast, ids, conf, args), file=s.out)
    if written and not args.quiet and args.format == "table":
        print("wrote " + _files_note(written, args.out), file=s.err)
    return EXIT_OK


def _files_note(files: Sequence[Path], out: str | None) -> str:
    charts = [f for f in files if f.parent.name == "charts"]
    others = [str(f) for f in files if f not in charts]
    if charts:
        suffixes = sorted({f.suffix.lstrip(".") for f in charts})
        noun = "chart" if len(charts) == 1 else "charts"
        others.append(f"{charts[0].parent}/*.{'|'.join(suffixes)} ({len(charts)} {noun})")
    return ", ".join(others)


# -- risk commands: shared options ----------------------------------------------------------------
def _add_simulation_options(p: Any, *, mitigated_default: str, mitigated_help: str) -> None:
    p.add_argument(
        "--iterations",
        "-n",
        type=_positive_int,
        metavar="N",
        help=f"number of simulated runs per scenario (default {DEFAULT_ITERATIONS:,})",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        metavar="S",
        help="random seed; every scenario uses the same random numbers (default: a fresh "
        "seed, printed so the run can be repeated)",
    )
    p.add_argument(
        "--mitigated",
        type=_scenario,
        default=mitigated_default,
        metavar="post|ID,..." if mitigated_default == "post" else "pre|post|ID,...",
        help=mitigated_help,
    )
    p.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="worker threads (default: all cores; results do not depend on it)",
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="what to print on stdout (default table)",
    )


def _render(staging: Staging | None, render: Callable[[Staging], None]) -> list[Path]:
    """Render every output file into ``staging``, then move them into place (all or nothing)."""
    if staging is None:
        return []
    try:
        render(staging)
        return staging.commit()
    except OSError as exc:
        raise CliError(f"cannot write output: {exc}", EXIT_OUTPUT) from None
    finally:
        staging.discard()


def _days(value: float) -> str:
    return f"{value:+.1f}"


# -- drivers --------------------------------------------------------------------------------------
def _parse_drivers(sub: Any) -> None:
    p = sub.add_parser(
        "drivers",
        help="rank the risks by the working days each adds to a milestone",
        description="Rank the risks of MODEL by the working days each adds to a milestone's "
        "percentile (default P80 of the project finish): the simulated date minus the date of "
        "the same runs with that risk switched off. Every run uses the same random numbers, so "
        "a difference is the risk's own effect, not Monte Carlo noise. Also shows the days "
        "added to the mean, the share of runs in which the risk occurred, and the share in "
        "which it occurred and hit a task on the critical path. With --out, write "
        "drivers.csv and charts/risk-tornado.png.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="model file (.toml or .json) with [[risk]] entries")
    p.add_argument(
        "--milestone",
        "-m",
        default="finish",
        metavar="ID",
        help="milestone whose date the risks move (default: the project finish)",
    )
    p.add_argument(
        "--percentile",
        "-p",
        type=_confidence,
        default=80.0,
        metavar="Q",
        help="the percentile of the milestone date (default 80)",
    )
    _add_simulation_options(
        p, mitigated_default="pre", mitigated_help=MITIGATED_HELP + " (default pre)"
    )
    p.add_argument("--out", "-o", metavar="DIR", help="write drivers.csv and charts/ here")
    p.add_argument("--no-charts", action="store_true", help="do not draw the tornado chart")
    p.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    p.set_defaults(act=_cmd_drivers)


DRIVER_COLUMNS = (
    "rank",
    "id",
    "title",
    "milestone",
    "percentile",
    "days",
    "mean_days",
    "occurred",
    "critical",
)


def _driver_rows(result: Any) -> list[dict[str, Any]]:
    return [
        {"rank": k, "milestone": result.milestone, "percentile": result.percentile, **row}
        for k, row in enumerate(result.rows(), start=1)
    ]


def _drivers_table(result: Any) -> str:
    forecast = result.forecast
    m = forecast.milestone(result.milestone)
    q = f"P{result.percentile:g}"
    lines = [
        f"{forecast.project_name} — risk drivers of {m.name} at {q} "
        f"({forecast.iterations:,} runs per risk, seed {forecast.seed}"
        f"{_scenario_note(forecast.mitigation)})",
        f"{m.name}: {q} {m.percentile(result.percentile).isoformat()} with every risk, "
        f"plan (CPM) {m.cpm_date.isoformat()}",
    ]
    head = ["rank", "risk", "title", f"+days {q}", "+days mean", "occurred", "critical"]
    body = [
        [
            str(row["rank"]),
            row["id"],
            _short(row["title"]),
            _days(row["days"]),
            _days(row["mean_days"]),
            f"{100 * row['occurred']:.0f}%",
            f"{100 * row['critical']:.0f}%",
        ]
        for row in _driver_rows(result)
    ]
    lines.extend(_aligned([head, *body], right=(0, 3, 4, 5, 6)))
    lines.append(
        f"+days: working days the risk adds to {q} (and to the mean) of {m.name}, against "
        "the same runs without it (same random numbers, so no sampling noise); "
        "critical: share of runs in which it occurred and hit a critical task"
    )
    return "\n".join(lines)


def _drivers_json(result: Any, args: argparse.Namespace, files: Sequence[Path]) -> str:
    forecast = result.forecast
    m = forecast.milestone(result.milestone)
    data = {
        "format": "riskcast-drivers/1",
        "model": args.model,
        "project": forecast.project_name,
        "seed": forecast.seed,
        "iterations": forecast.iterations,
        "mitigation": forecast.mitigation,
        "milestone": m.id,
        "percentile": result.percentile,
        "date": m.percentile(result.percentile).isoformat(),
        "drivers": [
            {
                k: row[k]
                for k in ("rank", "id", "title", "days", "mean_days", "occurred", "critical")
            }
            for row in _driver_rows(result)
        ],
        "files": [str(f) for f in files],
    }
    return json.dumps(data, indent=2)


def _cmd_drivers(args: argparse.Namespace, s: Streams) -> int:
    from .drivers import risk_drivers

    project = _load(args.model)
    if not project.risks:
        raise CliError(
            f"{args.model}: the model has no [[risk]] entries, so there are no risk drivers to "
            "rank; add a risk register (see the README, 'Risks, correlation and branches')"
        )
    (mid,) = _check_milestones(project, [args.milestone]) or [args.milestone]
    mitigation = _check_mitigation(project, args.mitigated)
    quiet = args.quiet or args.format != "table"
    seed = _fresh_seed(args, s, quiet)
    staging = Staging(Path(args.out)) if args.out else None
    try:
        result = _caught_warnings(
            s,
            lambda: risk_drivers(
                project,
                mid,
                percentile=args.percentile,
                iterations=args.iterations or DEFAULT_ITERATIONS,
                seed=seed,
                mitigation=mitigation,
                threads=args.threads,
            ),
        )
    except BaseException:
        if staging is not None:
            staging.discard()
        raise

    def render(staging: Staging) -> None:
        _write_text(staging.path("drivers.csv"), _csv_text(_driver_rows(result), DRIVER_COLUMNS))
        if not args.no_charts:
            from . import plotting

            plotting.save(plotting.risk_tornado(result), staging.path("charts/risk-tornado.png"))

    written = _render(staging, render)
    if args.format == "json":
        print(_drivers_json(result, args, written), file=s.out)
    elif args.format == "csv":
        s.out.write(_csv_text(_driver_rows(result), DRIVER_COLUMNS))
    else:
        print(_drivers_table(result), file=s.out)
    if written and not quiet:
        print("wrote " + _files_note(written, args.out), file=s.err)
    return EXIT_OK


# -- mitigation -----------------------------------------------------------------------------------
def _parse_mitigation(sub: Any) -> None:
    p = sub.add_parser(
        "mitigation",
        help="compare the forecast before and after the risk mitigations",
        description="Simulate MODEL before and after its risk mitigations on the same random "
        "numbers and print, per milestone, the P50/P80/P95 dates and the probability of the "
        "target pre and post, the working days gained at P80 and the days gained per 1,000 "
        "of mitigation cost; then the total cost of the mitigations. With --out, write "
        "mitigation.csv and charts/mitigation-MILESTONE.png (pre and post S-curves).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="model file (.toml or .json) with mitigated [[risk]] entries")
    _add_simulation_options(
        p,
        mitigated_default="post",
        mitigated_help="the mitigations to apply: post (every mitigation, the default) or the "
        "ids of the mitigated risks, separated by commas",
    )
    p.add_argument("--out", "-o", metavar="DIR", help="write mitigation.csv and charts/ here")
    p.add_argument("--no-charts", action="store_true", help="do not draw the S-curves")
    p.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    p.set_defaults(act=_cmd_mitigation)


MITIGATION_PERCENTILES = (50, 80, 95)
COST_UNIT = 1000  # days gained are shown per 1,000 of mitigation cost


def _mitigation_rows(comparison: Any) -> list[dict[str, Any]]:
    """One row per milestone (and the project finish when it differs from every milestone)."""
    shown = set(_default_ids(comparison.pre))
    rows = []
    for r in comparison.rows:
        if r.id not in shown:
            continue
        row: dict[str, Any] = {"id": r.id, "name": r.name, "target": r.target}
        for q in MITIGATION_PERCENTILES:
            row[f"pre_p{q}"], row[f"post_p{q}"] = r.pre[q], r.post[q]
        row["pre_probability"], row["post_probability"] = r.pre_probability, r.post_probability
        for q in MITIGATION_PERCENTILES:
            row[f"days_gained_p{q}"] = r.days_gained[q]
        per_cost = r.days_per_cost[80]
        row["days_per_1000_p80"] = None if per_cost is None else per_cost * COST_UNIT
        row["mitigation_cost"] = comparison.cost
        rows.append(row)
    return rows


MITIGATION_COLUMNS = (
    "id",
    "name",
    "target",
    *(f"{when}_p{q}" for q in MITIGATION_PERCENTILES for when in ("pre", "post")),
    "pre_probability",
    "post_probability",
    *(f"days_gained_p{q}" for q in MITIGATION_PERCENTILES),
    "days_per_1000_p80",
    "mitigation_cost",
)


def _money(value: float) -> str:
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"


def _mitigation_costs(project: Any, comparison: Any) -> list[tuple[str, float]]:
    return [
        (r.id, r.mitigation.cost)
        for r in project.risks
        if r.id in comparison.mitigated and r.mitigation is not None
    ]


def _mitigation_table(project: Any, comparison: Any) -> str:
    pre = comparison.pre
    n = len(comparison.mitigated)
    lines = [
        f"{pre.project_name} — before and after {n} mitigation{'s' if n != 1 else ''} "
        f"({pre.iterations:,} runs each, seed {pre.seed}, same random numbers)"
    ]
    head = [
        "milestone",
        "target",
        "",
        *(f"P{q}" for q in MITIGATION_PERCENTILES),
        "on target",
        "gained P80",
        "per 1,000",
    ]
    body = []
    for row in _mitigation_rows(comparison):
        for when in ("pre", "post"):
            p = row[f"{when}_probability"]
            first = when == "pre"
            per_cost = row["days_per_1000_p80"]
            body.append(
                [
                    row["name"] if first else "",
                    (row["target"].isoformat() if row["target"] else "-") if first else "",
                    when,
                    *(row[f"{when}_p{q}"].isoformat() for q in MITIGATION_PERCENTILES),
                    "-" if p is None else f"{100 * p:.0f}%",
                    "" if first else f"{_days(row['days_gained_p80'])}d",
                    "" if first or per_cost is None else f"{per_cost:+.2f}d",
                ]
            )
    lines.extend(_aligned([head, *body], right=(6, 7, 8)))
    costs = ", ".join(f"{rid} {_money(c)}" for rid, c in _mitigation_costs(project, comparison))
    lines.append(f"total mitigation cost: {_money(comparison.cost)} ({costs})")
    lines.append(
        "gained P80: working days earlier at P80 after mitigation; per 1,000: days gained per "
        "1,000 of mitigation cost"
    )
    return "\n".join(lines)


def _mitigation_json(
    project: Any, comparison: Any, args: argparse.Namespace, files: Sequence[Path]
) -> str:
    def iso(d: Any) -> Any:
        return None if d is None else d.isoformat()

    milestones = []
    for row in _mitigation_rows(comparison):
        milestones.append(
            {
                "id": row["id"],
                "name": row["name"],
                "target": iso(row["target"]),
                "pre": {f"{q}": iso(row[f"pre_p{q}"]) for q in MITIGATION_PERCENTILES},
                "post": {f"{q}": iso(row[f"post_p{q}"]) for q in MITIGATION_PERCENTILES},
                "pre_probability": row["pre_probability"],
                "post_probability": row["post_probability"],
                "days_gained": {f"{q}": row[f"days_gained_p{q}"] for q in MITIGATION_PERCENTILES},
                "days_per_1000_p80": row["days_per_1000_p80"],
            }
        )
    data = {
        "format": "riskcast-mitigation/1",
        "model": args.model,
        "project": comparison.pre.project_name,
        "seed": comparison.pre.seed,
        "iterations": comparison.pre.iterations,
        "mitigated": list(comparison.mitigated),
        "cost": comparison.cost,
        "costs": dict(_mitigation_costs(project, comparison)),
        "milestones": milestones,
        "files": [str(f) for f in files],
    }
    return json.dumps(data, indent=2)


def _cmd_mitigation(args: argparse.Namespace, s: Streams) -> int:
    from .drivers import compare_mitigation

    project = _load(args.model)
    if not any(r.mitigation is not None for r in project.risks):
        what = "no [[risk]] entries" if not project.risks else "no risk with a mitigation"
        raise CliError(
            f"{args.model}: the model has {what}, so there is nothing to compare; give a risk "
            "mitigation = { probability = ..., impacts = [...], cost = ... }"
        )
    chosen = _check_mitigation(project, args.mitigated, allow_pre=False)
    quiet = args.quiet or args.format != "table"
    seed = _fresh_seed(args, s, quiet)
    staging = Staging(Path(args.out)) if args.out else None
    try:
        comparison = _caught_warnings(
            s,
            lambda: compare_mitigation(
                project,
                True if chosen == "post" else chosen,
                iterations=args.iterations or DEFAULT_ITERATIONS,
                seed=seed,
                percentiles=MITIGATION_PERCENTILES,
                threads=args.threads,
            ),
        )
    except BaseException:
        if staging is not None:
            staging.discard()
        raise
    rows = _mitigation_rows(comparison)

    def render(staging: Staging) -> None:
        _write_text(staging.path("mitigation.csv"), _csv_text(rows, MITIGATION_COLUMNS))
        if not args.no_charts:
            from . import plotting

            for row in rows:
                plotting.save(
                    plotting.mitigation_scurves(comparison, row["id"]),
                    staging.path(f"charts/mitigation-{_safe_name(row['id'])}.png"),
                )

    written = _render(staging, render)
    if args.format == "json":
        print(_mitigation_json(project, comparison, args, written), file=s.out)
    elif args.format == "csv":
        s.out.write(_csv_text(rows, MITIGATION_COLUMNS))
    else:
        print(_mitigation_table(project, comparison), file=s.out)
    if written and not quiet:
        print("wrote " + _files_note(written, args.out), file=s.err)
    return EXIT_OK


# -- validate -------------------------------------------------------------------------------------
def _parse_validate(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check a model: every error at once, then schedule-quality warnings",
        description="Report every schema and graph error of MODEL (exit 2), then the "
        "schedule-quality warnings a scheduler would raise before trusting a simulation "
        "(open ends, leads, very long tasks, estimates without spread, milestones without "
        "target, redundant links).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="model file (.toml or .json)")
    p.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    p.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    p.set_defaults(act=_cmd_validate)


def _cmd_validate(args: argparse.Namespace, s: Streams) -> int:
    from .quality import schedule_warnings

    project = _load(args.model)
    found = schedule_warnings(project)
    links = sum(len(a.after) for a in project.activities)
    if not args.quiet:
        print(
            f"{args.model}: valid — {len(project.tasks)} tasks, {len(project.milestones)} "
            f"milestones, {links} links",
            file=s.out,
        )
    if found:
        noun = "warning" if len(found) == 1 else "warnings"
        print(f"{len(found)} schedule-quality {noun}:", file=s.out)
        for w in found:
            print(f"  {w}", file=s.out)
    elif not args.quiet:
        print("no schedule-quality warnings", file=s.out)
    return EXIT_WARNINGS if (found and args.strict) else EXIT_OK


# -- explain --------------------------------------------------------------------------------------
def _parse_explain(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="explain one milestone's forecast in plain language",
        description="Simulate MODEL and explain one milestone's forecast in a few sentences: "
        "its P-dates against the plan and target, and what drives them.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="model file (.toml or .json)")
    p.add_argument(
        "--milestone",
        "-m",
        default="finish",
        metavar="ID",
        help="milestone id (default: the project finish)",
    )
    p.add_argument(
        "--iterations",
        "-n",
        type=_positive_int,
        metavar="N",
        help=f"number of simulated runs (default {DEFAULT_ITERATIONS:,})",
    )
    p.add_argument("--seed", type=_seed, metavar="S", help="random seed")
    p.add_argument("--threads", type=_positive_int, metavar="N", help="worker threads")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no notes")
    p.set_defaults(act=_cmd_explain)


def _cmd_explain(args: argparse.Namespace, s: Streams) -> int:
    from .explain import explain

    project = _load(args.model)
    (mid,) = _check_milestones(project, [args.milestone]) or [args.milestone]
    forecast = _simulate(project, args, s, args.quiet)
    print(explain(forecast, mid), file=s.out)
    return EXIT_OK


# -- schema ---------------------------------------------------------------------------------------
def _parse_schema(sub: Any) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of the model file format",
        description="Print the JSON Schema (draft 2020-12) of riskcast model "
        "files, for editors that validate TOML/JSON.",
    )
    p.set_defaults(act=_cmd_schema)


def _cmd_schema(args: argparse.Namespace, s: Streams) -> int:
    from .io.modelfile import model_schema

    print(json.dumps(model_schema(), indent=2), file=s.out)
    return EXIT_OK


# -- import ---------------------------------------------------------------------------------------
def _parse_import(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="convert an MS Project / Primavera schedule into a riskcast model",
        description="Read a schedule (MS Project MSPDI .xml, Primavera P6 .xer or PMXML) and "
        "write a riskcast TOML model, optionally with uncertainty rules that turn single-point "
        "durations into ranges.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="schedule file to import")
    p.add_argument(
        "-o", "--output", required=True, metavar="MODEL", help="model file to write (.toml)"
    )
    p.add_argument(
        "--uncertainty",
        "-u",
        action="append",
        default=[],
        metavar="RULE",
        help='uncertainty rule for single-point durations, e.g. "pert(-10%%, 0%%, +30%%)" '
        'or "name:Test*: triangular(0%%, 10%%, 50%%)" (repeatable)',
    )
    p.add_argument(
        "--three-point",
        metavar="LOW,MODE,HIGH",
        help="custom fields holding three-point durations: MS Project extended-attribute aliases "
        "or fields (e.g. Duration1,Duration2,Duration3) or P6 user-defined field labels; leave "
        "MODE empty (LOW,,HIGH) to use the scheduled duration as most likely",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="do not print importer warnings")
    p.set_defaults(act=_cmd_import)


def _cmd_import(args: argparse.Namespace, s: Streams) -> int:
    try:
        from .io.schedules import read_schedule
        from .io.templates import Uncertainty, apply_rules, parse_rule
        from .io.writer import write_model_toml
    except ImportError as exc:
        raise CliError(f"schedule import is not available in this installation ({exc})") from None

    rules = [parse_rule(text) for text in args.uncertainty]
    three_point = None
    if args.three_point is not None:
        names = [name.strip() or None for name in args.three_point.split(",")]
        if len(names) != 3:
            raise CliError(
                f"--three-point takes LOW,MODE,HIGH field names, got {args.three_point!r}"
            )
        three_point = tuple(names)
    result = read_schedule(args.file, Uncertainty(three_point=three_point))
    if rules:
        apply_rules(result.project, rules)  # fail here, before writing, if a rule does not apply
    if not args.quiet:
        for w in result.warnings:
            print(f"warning: {w}", file=s.err)
    output = Path(args.output)
    if output.is_dir():
        raise CliError(f"{output}: is a folder; -o takes the model file to write")
    try:
        # The file keeps the schedule's single-point durations and the rules as [[uncertainty]]
        # tables (the loader applies them), so the rules stay editable. The writer is atomic.
        write_model_toml(result.project, output, rules=tuple(rules), notes=result.warnings)
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc}", EXIT_OUTPUT) from None
    if not args.quiet:
        print(
            f"wrote {output} ({len(result.project.tasks)} tasks, "
            f"{len(result.project.milestones)} milestones from {result.source_format})",
            file=s.err,
        )
    return EXIT_OK


# -- entry point ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="riskcast",
        description="Monte Carlo schedule risk: when will each milestone ship, and how sure "
        "are we?",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"riskcast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (
        _parse_run,
        _parse_drivers,
        _parse_mitigation,
        _parse_validate,
        _parse_explain,
        _parse_schema,
        _parse_import,
    ):
        add(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the ``riskcast`` command line with ``argv`` (default ``sys.argv[1:]``); return the exit
    code. Errors are printed as one message on stderr, never as a traceback."""
    from .errors import RiskcastError

    s = Streams(stdout or sys.stdout, stderr or sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse has printed them
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    try:
        return args.act(args, s)
    except CliError as exc:
        print(f"riskcast: error: {exc}", file=s.err)
        return exc.code
    except RiskcastError as exc:
        print(f"riskcast: error: {exc}", file=s.err)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("riskcast: interrupted", file=s.err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `riskcast run ... | head`
        _silence_stdout()
        return EXIT_OK


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
