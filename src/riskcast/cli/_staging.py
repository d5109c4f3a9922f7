"""All-or-nothing output: a command's files are rendered into hidden staging and published
together only when every one of them was written.

* ``--out DIR`` is created if needed and locked (``flock`` on the folder itself) for the whole
  run, so a second run into the same folder is refused at once (exit 75) instead of mixing its
  files with the first's. The lock belongs to the process: it ends with it, even with a SIGKILL.
* Files of ``DIR`` are rendered into ``DIR/.riskcast-PID-<random>/`` (inside ``DIR``, so on its file
  system); a file outside it (``--export``) into ``.riskcast-PID-<random>.tmp`` beside that file.
  Each is locked by its run while it exists.
* :meth:`Staging.publish` moves everything into place and removes the outputs of an earlier run
  that this run did not write (see :data:`OUTPUT_FILES`), so ``DIR`` holds exactly this run's
  files. The files it replaces or removes are kept (hard links) until the end: any failure
  puts every one of them back, byte for byte, and removes what was new.
* A run killed before it could clean up (SIGKILL, out of memory) leaves its staging behind; the
  next run into the same folder (or exporting beside it) removes it, once nobody holds its lock
  and the process named in it is gone. Another live run's staging is never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

from ._errors import EXIT_BUSY, EXIT_OUTPUT, CliError
from ._signals import deferred

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, no clean-up of other runs' staging
    fcntl = None  # type: ignore[assignment]

PREFIX = ".riskcast-"
# What riskcast writes into --out: publishing removes those an earlier run left and this one
# did not write. Other files in the folder are the user's and stay.
OUTPUT_FILES = (
    "forecast.json",
    "milestones.csv",
    "tasks.csv",
    "cashflow.csv",
    "drivers.csv",
    "mitigation.csv",
    "jcl.csv",
    "compare.csv",
    "cutline.csv",
    "selection.csv",
    "selection.json",
    "when.csv",
    "when.json",
    "how-many.csv",
    "how-many.json",
    "backtest-tasks.csv",
    "backtest-projects.csv",
    "coverage.csv",
)
CHARTS = "charts"
CHART_SUFFIXES = (".png", ".svg")

_STAGED = re.compile(re.escape(PREFIX) + r"(\d+)-\w+(\.tmp|\.old)?")
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class Staging:
    """The files of one command: ``path(name)`` for a file of ``--out`` (``target``; None when
    there is none), ``add(path, text)`` for a file outside it; then :meth:`publish` (all or
    nothing) and, always, :meth:`close`."""

    def __init__(self, target: Path | None):
        self.target = target
        self.root: Path | None = None
        self.files: list[str] = []
        self._extra: list[tuple[Path, Path, int]] = []  # (file, its staged copy, locked fd)
        self._created: list[Path] = []  # folders made for this run: removed again on failure
        self._locks: list[int] = []
        self._published = False
        if target is None:
            return
        try:
            with deferred():
                self._open(target)
        except BaseException:
            self.close()
            raise

    # -- staging ----------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """Where to render ``name`` (relative to the target folder)."""
        if self.root is None:
            raise RuntimeError("no --out folder to stage files for")
        self.files.append(name)
        p = self.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def add(self, path: Path, text: str) -> None:
        """Stage ``text`` as the file ``path`` outside the target folder (e.g. ``--export``)."""
        folder = path.parent
        try:
            with deferred():
                self._make_folders(folder)
                remove_stale(folder, keep=self._mine())
                tmp, fd = _create_hidden(folder, ".tmp")
                self._extra.append((path, tmp, fd))
                _try_lock(fd)
            with open(fd, "w", encoding="utf-8", newline="", closefd=False) as f:
                f.write(text)
        except OSError as exc:  # name the file asked for, not the hidden one
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None

    # -- publishing -------------------------------------------------------------------------------
    def publish(self) -> list[Path]:
        """Move every staged file into place and, in ``--out``, remove the outputs of an earlier
        run that this one did not write. On any failure everything is put back as it was."""
        written: list[Path] = []
        with deferred():  # a signal waits until the folder is consistent again
            journal = _Journal(self)
            try:
                if self.target is not None and self.root is not None:
                    names = list(dict.fromkeys(self.files))
                    for name in names:
                        journal.put(self.root / name, self.target / name)
                        written.append(self.target / name)
                    stale = _stale_outputs(self.target, set(names))
                    for old in stale:
                        journal.drop(old)
                    if any(old.parent.name == CHARTS for old in stale):
                        journal.prune(self.target / CHARTS)
                for final, tmp, _ in self._extra:  # last: each one an atomic replace
                    journal.put(tmp, final)
                    written.append(final)
            except BaseException:
                journal.undo()
                raise
            self._published = True
            journal.forget()
        return list(dict.fromkeys(written))

    def close(self) -> None:
        """Remove the staging (and, when nothing was published, the folders made for this run),
        then release the locks."""
        with deferred():
            for _, tmp, fd in self._extra:
                with contextlib.suppress(OSError):
                    os.close(fd)
                if not self._published:
                    tmp.unlink(missing_ok=True)
            self._extra = []
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None
            if not self._published:
                for folder in reversed(self._created):
                    with contextlib.suppress(OSError):
                        folder.rmdir()  # only if empty: never anything of someone else's
            self._created = []
            for fd in self._locks:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._locks = []

    # -- internals --------------------------------------------------------------------------------
    def _open(self, target: Path) -> None:
        """Make and lock ``target``, remove stale staging in it, then make this run's."""
        if target.exists() and not target.is_dir():
            raise CliError(f"{target}: exists and is not a folder; choose another --out")
        try:
            self._lock_target(target)
            remove_stale(target)
            remove_stale(target.parent)  # e.g. an --export's staging there
            self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=target))
            if fcntl is not None:
                fd = os.open(self.root, os.O_RDONLY | _DIRECTORY)
                self._locks.append(fd)
                _try_lock(fd)
        except OSError as exc:
            raise CliError(
                f"cannot write to {target}: {exc.strerror or exc}", EXIT_OUTPUT
            ) from None

    def _lock_target(self, target: Path) -> None:
        for _ in range(5):  # the folder may vanish in between: a failed run removing its own
            self._make_folders(target)
            if fcntl is None:
                return
            try:
                fd = os.open(target, os.O_RDONLY | _DIRECTORY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                self._created = []  # the other run uses them now
                raise CliError(
                    f"{target}: another riskcast run is writing to this folder; wait until it "
                    "has finished, or choose another --out",
                    EXIT_BUSY,
                ) from None
            except OSError:  # no locks on this file system (some network ones): go on without
                os.close(fd)
                return
            if _same_file(fd, target):
                self._locks.append(fd)
                return
            os.close(fd)  # locked a folder removed meanwhile: again
        raise CliError(f"cannot write to {target}: it keeps disappearing", EXIT_OUTPUT)

    def _make_folders(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            try:
                made.mkdir()
            except FileExistsError:  # made by someone else meanwhile: not ours to remove
                continue
            self._created.append(made)

    def _mine(self) -> set[Path]:
        return {p for p in [self.root, *(tmp for _, tmp, _ in self._extra)] if p is not None}


class _Journal:
    """What :meth:`Staging.publish` changed, to undo it: each file it replaced or removed is
    first kept as a hard link (a copy where links are not possible), so the original path never
    goes missing before the new file is in place."""

    def __init__(self, staging: Staging):
        self.staging = staging
        self.kept: list[tuple[Path, Path]] = []  # (file, its previous content)
        self.new: list[Path] = []  # files that did not exist before
        self.made: list[Path] = []  # folders made while publishing
        self.pruned: list[Path] = []  # folders removed because they ended up empty

    def put(self, source: Path, final: Path) -> None:
        self._mkdirs(final.parent)
        existed = self._keep(final)
        os.replace(source, final)
        if not existed:
            self.new.append(final)

    def drop(self, final: Path) -> None:
        if self._keep(final):
            final.unlink()

    def prune(self, folder: Path) -> None:
        """Remove ``folder`` if dropping stale files left it empty."""
        with contextlib.suppress(OSError):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                self.pruned.append(folder)

    def undo(self) -> None:
        for folder in self.pruned:
            with contextlib.suppress(OSError):
                folder.mkdir(parents=True, exist_ok=True)
        for final in reversed(self.new):
            with contextlib.suppress(OSError):
                final.unlink()
        for final, saved in reversed(self.kept):
            with contextlib.suppress(OSError):
                if _same_path_file(final, saved):  # never replaced: drop the extra link
                    saved.unlink()
                    continue
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(saved, final)
        for folder in reversed(self.made):
            with contextlib.suppress(OSError):
                folder.rmdir()

    def forget(self) -> None:
        """Published: drop the kept previous contents."""
        for _, saved in self.kept:
            with contextlib.suppress(OSError):
                saved.unlink()

    def _keep(self, final: Path) -> bool:
        """Keep the current content of ``final`` (if any) aside; True if there was one."""
        if not os.path.lexists(final):
            return False
        saved = self._saved_path(final)
        try:
            os.link(final, saved, follow_symlinks=False)
        except OSError:
            shutil.copy2(final, saved, follow_symlinks=False)
        self.kept.append((final, saved))
        return True

    def _saved_path(self, final: Path) -> Path:
        """Inside this run's staging for files of ``--out``; a hidden file beside others."""
        staging = self.staging
        if staging.root is not None and staging.target is not None:
            with contextlib.suppress(ValueError):
                relative = final.relative_to(staging.target)
                saved = staging.root / ".previous" / str(len(self.kept)) / relative
                saved.parent.mkdir(parents=True, exist_ok=True)
                return saved
        return final.parent / f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}.old"

    def _mkdirs(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            made.mkdir()
            self.made.append(made)


def _stale_outputs(target: Path, names: set[str]) -> list[Path]:
    """The riskcast outputs in ``target`` that this run did not write."""
    stale = [target / n for n in OUTPUT_FILES if n not in names and (target / n).is_file()]
    charts = target / CHARTS
    if charts.is_dir():
        stale += sorted(
            p
            for p in charts.iterdir()
            if p.suffix.lower() in CHART_SUFFIXES
            and f"{CHARTS}/{p.name}" not in names
            and p.is_file()
        )
    return stale


# -- other runs' staging ---------------------------------------------------------------------------
def remove_stale(folder: Path, keep: set[Path] | None = None) -> list[Path]:
    """Remove from ``folder`` the staging of runs that were killed before they could clean up:
    a ``.riskcast-PID-...`` folder or file nobody holds locked whose process PID is gone (or is
    this process, which did not make it: the PID was reused, as in containers). Returns what
    was removed."""
    if os.name != "posix":
        return []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    removed = []
    for entry in entries:
        match = _STAGED.fullmatch(entry.name)
        path = Path(entry.path)
        if match is None or (keep and path in keep):
            continue
        pid = int(match.group(1))
        if _locked(path) or (pid != os.getpid() and _alive(pid)):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie, killed but not yet reaped, does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:
        return False
    except OSError:  # e.g. EPERM: it exists, it is someone else's
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    fields = stat.rpartition(")")[2].split()
    return not fields or fields[0] != "Z"


def _locked(path: Path) -> bool:
    """Whether some process holds ``path`` locked (False where locks are not available)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | (_DIRECTORY if path.is_dir() else 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def _try_lock(fd: int) -> None:
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _same_path_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _create_hidden(folder: Path, suffix: str) -> tuple[Path, int]:
    """A new empty file ``.riskcast-PID-<random><suffix>`` in ``folder`` (mode from the umask,
    unlike ``mkstemp``'s 0600) and its open descriptor."""
    for _ in range(100):
        path = folder / f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        return path, fd
    raise FileExistsError(f"cannot make a temporary file in {folder}")
