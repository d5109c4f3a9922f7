"""Where a command's output goes: files (all or nothing), the table, JSON or CSV on stdout, notes
and the progress bar on stderr. :func:`deliver` is the one flow of every command with results."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ._errors import EXIT_OK, EXIT_OUTPUT, CliError
from ._paths import check_paths
from ._staging import Staging
from ._text import csv_text


@dataclass
class Streams:
    out: TextIO
    err: TextIO


# -- atomic output --------------------------------------------------------------------------------
def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` on a temp file in ``path``'s folder, then rename it over ``path``.

    The file gets the mode any new file gets (0666 less the umask), not ``mkstemp``'s 0600: a
    report or a model is for others to read too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")


def files_note(files: Sequence[Path]) -> str:
    """The files written, the charts folded into one ``charts/*.png (N charts)`` entry."""
    charts = [f for f in files if f.parent.name == "charts"]
    others = [str(f) for f in files if f not in charts]
    if charts:
        suffixes = sorted({f.suffix.lstrip(".") for f in charts})
        noun = "chart" if len(charts) == 1 else "charts"
        others.append(f"{charts[0].parent}/*.{'|'.join(suffixes)} ({len(charts)} {noun})")
    return ", ".join(others)


# -- progress and status -------------------------------------------------------------------------
class StatusLine:
    """One self-erasing line on stderr ("drawing 17 charts…"), redrawn in place; does nothing
    when ``stream`` is None (not a terminal, or --quiet)."""

    def __init__(self, stream: TextIO | None):
        self.stream = stream
        self.width = 0
        self.lock = threading.Lock()

    def show(self, text: str) -> None:
        with self.lock:
            self._draw(text)

    def _draw(self, text: str) -> None:
        if self.stream is None:
            return
        pad = " " * max(0, self.width - len(text))
        self.width = max(self.width, len(text))
        self.stream.write("\r" + text + pad)
        self.stream.flush()

    def close(self) -> None:
        with self.lock:
            if self.width and self.stream is not None:
                self.stream.write("\r" + " " * self.width + "\r")
                self.stream.flush()
            self.width = 0


class ProgressBar(StatusLine):
    """``progress(done, total)`` callback drawing one self-erasing line on a terminal.

    After :meth:`start`, a ticker thread also redraws the line every :attr:`TICK` seconds with
    the time elapsed, so it moves while a kernel call runs (the kernels release the GIL); until
    the first report it shows :attr:`status` (e.g. that the kernels are being compiled) if set.
    ``reports`` keeps ``(time, done)`` of every report, to measure the time per batch."""

    TICK = 0.5

    def __init__(self, stream: TextIO, label: str = "simulating"):
        super().__init__(stream)
        self.label = label
        self.last = 0.0
        self.status: str | None = None
        self.done, self.total = 0, 0
        self.began = time.monotonic()
        self.reports: list[tuple[float, int]] = []
        self._ticking = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        self.reports.append((now, done))
        with self.lock:
            self.done, self.total, self.status = done, total, None
            if done < total and now - self.last < 0.1:  # at most ten redraws a second
                return
            self._redraw(now)

    def start(self, total: int, status: str | None = None) -> ProgressBar:
        """Draw the line now (``status``, or the empty bar of ``total`` runs) and redraw it
        every TICK seconds until :meth:`close`."""
        self.total, self.status, self._ticking = total, status, True
        self.began = time.monotonic()
        with self.lock:
            self._redraw(self.began)
        self._ticker = threading.Thread(target=self._tick, name="riskcast-progress", daemon=True)
        self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(self.TICK):
            with self.lock:
                if not self._stop.is_set():
                    self._redraw(time.monotonic())

    def _redraw(self, now: float) -> None:
        self.last = now
        elapsed = f" {now - self.began:.0f} s" if self._ticking else ""
        if self.status is not None:
            self._draw(f"{self.status}{elapsed}")
            return
        done, total = self.done, self.total
        filled = int(28 * done / total) if total else 28
        bar = "#" * filled + "." * (28 - filled)
        then = ", computing the statistics…" if self._ticking and total and done >= total else ""
        self._draw(f"{self.label} [{bar}] {done:,}/{total:,} runs{then}{elapsed}")

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2 * self.TICK)
            self._ticker = None
        super().close()


def isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def quiet(args: argparse.Namespace) -> bool:
    """No notes on stderr: asked for, or stdout carries JSON or CSV for another program."""
    return args.quiet or args.format != "table"


def feedback(args: argparse.Namespace, s: Streams) -> bool:
    """Whether to show what is being done (progress bar, status lines): stderr is a terminal
    and the command is not quiet."""
    return not quiet(args) and isatty(s.err)


def status_line(args: argparse.Namespace, s: Streams) -> StatusLine:
    """A status line on stderr, or one that does nothing (see :func:`feedback`)."""
    return StatusLine(s.err if feedback(args, s) else None)


# -- one flow for every result --------------------------------------------------------------------
class Report(ABC):
    """A computed result as a command delivers it: its files, and its table, JSON or CSV."""

    columns: Sequence[str] = ()  # of the CSV printed by --format csv
    # What is being done while the files are rendered ("drawing 17 charts…"), on a terminal
    # only: set by :func:`deliver`.
    status: StatusLine = StatusLine(None)

    @abstractmethod
    def rows(self) -> list[dict[str, Any]]:
        """The CSV rows (also the command's main CSV file)."""

    def csv(self) -> str:
        return csv_text(self.rows(), self.columns)

    @abstractmethod
    def table(self) -> str:
        """The table printed by default."""

    @abstractmethod
    def summary(self) -> dict[str, Any]:
        """The JSON summary, less the ``files`` written (:func:`deliver` adds them last)."""

    @abstractmethod
    def write(self, staging: Staging) -> None:
        """Render the files of ``--out`` into ``staging``."""

    def extra_files(self) -> list[tuple[Path, str]]:
        """``(path, text)`` of files outside ``--out``: staged and published with it."""
        return []


def deliver(args: argparse.Namespace, s: Streams, compute: Callable[[], Report]) -> int:
    """Lock ``--out``, compute the report, stage all its files (``--out`` and ``--export``) and
    publish them together (all or nothing), print it in ``--format``, then note the files
    written on stderr."""
    check_paths(
        [args.model],
        args.out,
        [("--export", args.export)] if getattr(args, "export", None) else [],
    )
    staging = Staging(Path(args.out) if args.out else None)
    try:
        report = compute()
        report.status = status_line(args, s)
        try:
            if args.out:
                report.write(staging)
            for path, text in report.extra_files():
                staging.add(path, text)
            report.status.close()
            # Everything is rendered: now move it into place.
            written = staging.publish()
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else " output"
            raise CliError(f"cannot write{where}: {exc.strerror or exc}", EXIT_OUTPUT) from None
        finally:
            report.status.close()
    finally:
        staging.close()

    if args.format == "json":
        data = {**report.summary(), "files": [str(f) for f in written]}
        print(json.dumps(data, indent=2), file=s.out)
    elif args.format == "csv":
        s.out.write(report.csv())
    else:
        print(report.table(), file=s.out)
    if written and not quiet(args):
        print("wrote " + files_note(written), file=s.err)
    return EXIT_OK
