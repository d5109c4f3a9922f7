"""No command writes over a file it reads, or one output over another of the same run.

Checked before any work, from the paths alone (a path that does not exist yet is compared by its
resolved form; existing ones also by file identity, so links and ``..`` do not slip through).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ._errors import CliError
from ._staging import CHARTS, OUTPUT_FILES


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name the same file (or would, once written)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def written_by_out(path: Path, out: Path) -> str | None:
    """The name of the ``--out`` output that ``path`` is (a table or a chart), else None."""
    for name in OUTPUT_FILES:
        if same_file(path, out / name):
            return name
    charts = (out / CHARTS).resolve()
    if path.resolve().is_relative_to(charts):
        return f"{CHARTS}/"
    return None


def check_paths(
    inputs: Iterable[str | Path], out: str | Path | None, files: Iterable[tuple[str, str | Path]]
) -> None:
    """CliError (exit 2) when an output would replace an input or another output.

    ``inputs`` are the files the command reads; ``out`` is its ``--out`` folder, if any;
    ``files`` are ``(option, path)`` of the single files it writes (``--export``, ``-o``).
    """
    sources = [Path(p) for p in inputs]
    folder = None if out is None else Path(out)
    for option, raw in files:
        path = Path(raw)
        for source in sources:
            if same_file(path, source):
                raise CliError(
                    f"{option} {raw}: that is the input file {source}; writing there would "
                    "destroy it, so nothing was written. Choose another file name"
                )
        name = None if folder is None else written_by_out(path, folder)
        if name is not None:
            raise CliError(
                f"{option} {raw}: --out {out} writes {name} there too; nothing was written. "
                "Choose a name that is not one of the run's outputs"
            )
    if folder is None:
        return
    for source in sources:
        if same_file(folder, source):
            raise CliError(f"--out {out}: that is the input file; give a folder for the results")
        name = written_by_out(source, folder)
        if name is not None:
            raise CliError(
                f"--out {out}: the run writes {name} there, which is the input file {source}; "
                "nothing was written. Choose another folder"
            )
