"""Where a command's output goes: files (all or nothing), the table, JSON or CSV on stdout, notes
and the progress bar on stderr. :func:`deliver` is the one flow of every command with results."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
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


# -- progress -------------------------------------------------------------------------------------
class ProgressBar:
    """``progress(done, total)`` callback drawing one self-erasing line on a terminal."""

    def __init__(self, stream: TextIO, label: str = "simulating"):
        self.stream, self.label = stream, label
        self.last = 0.0
        self.width = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:  # at most ten redraws a second
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


def isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def quiet(args: argparse.Namespace) -> bool:
    """No notes on stderr: asked for, or stdout carries JSON or CSV for another program."""
    return args.quiet or args.format != "table"


# -- one flow for every result --------------------------------------------------------------------
class Report(ABC):
    """A computed result as a command delivers it: its files, and its table, JSON or CSV."""

    columns: Sequence[str] = ()  # of the CSV printed by --format csv

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
        try:
            if args.out:
                report.write(staging)
            for path, text in report.extra_files():
                staging.add(path, text)
            # Everything is rendered: now move it into place.
            written = staging.publish()
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else " output"
            raise CliError(f"cannot write{where}: {exc.strerror or exc}", EXIT_OUTPUT) from None
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
