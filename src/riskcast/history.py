"""The forecast history: each forecast of a plan recorded in an embedded SQLite file, and read
back to answer "are we slipping, and since when?".

A forecast is re-made every week as work completes. :meth:`History.record` stores what a
steering meeting compares week to week: per milestone (and the project finish, id ``"finish"``)
the plan date, the P50/P80/P95 dates and the probability of the target; per task its P80 finish
and criticality; and the actuals of the finished tasks (their estimates against the working days
they took). The read side (:meth:`History.runs`, :meth:`History.trend`, :meth:`History.actuals`)
never needs the model file.

Where the file lives: an explicit path (``History(path)``, ``riskcast history --history``) wins
over the environment variable ``RISKCAST_HISTORY``, which wins over the default next to the
model, ``<model folder>/.riskcast/history.sqlite`` (:func:`default_path`).

The file is safe to share between processes: it uses SQLite's write-ahead log, waits up to
:data:`BUSY_TIMEOUT_S` seconds for another writer, and writes each run in one ``BEGIN IMMEDIATE``
transaction, so concurrent recordings all land and none is ever half-written. The schema carries
its version (``PRAGMA user_version``) and riskcast's application id; an older file is upgraded
in place by :data:`MIGRATIONS`, in one transaction. Anything else (a damaged or truncated file,
a file that is not SQLite, another application's database, a schema newer than this riskcast)
raises :class:`HistoryError` naming the file and what to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArgumentError, RiskcastError
from .history_records import (
    ActualRecord,
    MilestoneRecord,
    RunRecord,
    TaskRecord,
    TrendPoint,
    trend_points,
)
from .suggest import suggestion

if TYPE_CHECKING:
    from .calendar import Calendar
    from .forecast import Forecast

ENV_VAR = "RISKCAST_HISTORY"
APPLICATION_ID = 0x52434853  # "RCHS": marks a SQLite file as a riskcast history
BUSY_TIMEOUT_S = 30.0  # how long a write waits for another process's write to finish
PERCENTILES = (50, 80, 95)

# MIGRATIONS[k] turns schema version k into k + 1, so a new file runs them all and a file of
# version k runs those from k on, in one transaction. Append a step for each change; never edit
# one that has shipped (files in the field were made by it).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: runs and their milestone rows
        f"PRAGMA application_id = {APPLICATION_ID}",
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, model TEXT NOT NULL, model_hash TEXT, "
        "status_date TEXT, recorded_at TEXT NOT NULL, seed INTEGER NOT NULL, "
        "iterations INTEGER NOT NULL)",
        "CREATE INDEX runs_by_model ON runs (model, status_date, recorded_at)",
        "CREATE TABLE milestones (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
        " position INTEGER NOT NULL, milestone TEXT NOT NULL, name TEXT NOT NULL, plan TEXT NOT"
        " NULL, p50 TEXT NOT NULL, p80 TEXT NOT NULL, p95 TEXT NOT NULL, target TEXT,"
        " probability_of_target REAL, PRIMARY KEY (run_id, milestone))",
    ),
    (  # 2: riskcast's version on each run, per-task rows, actuals of finished tasks
        "ALTER TABLE runs ADD COLUMN riskcast_version TEXT",
        "CREATE TABLE tasks (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
        " position INTEGER NOT NULL, task TEXT NOT NULL, name TEXT NOT NULL, p80_finish TEXT NOT"
        " NULL, criticality REAL NOT NULL, PRIMARY KEY (run_id, task))",
        "CREATE TABLE actuals (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
        " task TEXT NOT NULL, name TEXT NOT NULL, estimate_most_likely REAL NOT NULL,"
        " estimate_mean REAL NOT NULL, actual_start TEXT NOT NULL, actual_finish TEXT NOT NULL,"
        " actual_days REAL NOT NULL, PRIMARY KEY (run_id, task))",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
TABLES = {1: {"runs", "milestones"}, 2: {"runs", "milestones", "tasks", "actuals"}}

# The chronological order of runs: by status date (the recorded day without one), then by when
# each was recorded; the id breaks ties between runs recorded in the same microsecond.
_CHRONOLOGICAL = "COALESCE(r.status_date, substr(r.recorded_at, 1, 10)), r.recorded_at, r.id"
_RUN_COLUMNS = (
    "r.id, r.model, r.model_hash, r.status_date, r.recorded_at, r.seed, r.iterations, "
    "r.riskcast_version"
)


class HistoryError(RiskcastError):
    """The forecast history file cannot be used: damaged, not SQLite, not a riskcast history, of
    a newer schema, locked for too long or not writable. ``path`` names the file."""

    def __init__(self, message: str, path: str | Path):
        self.path = Path(path)
        super().__init__(f"{path}: {message}")


def default_path(model_path: str | Path) -> Path:
    """Where the forecast history of a model lives unless a path is given.

    Parameters
    ----------
    model_path : str or pathlib.Path
        The model file (or exported schedule).

    Returns
    -------
    pathlib.Path
        ``$RISKCAST_HISTORY`` when that variable is set and not empty, else
        ``<model folder>/.riskcast/history.sqlite``. An explicit path (``History(path)``,
        ``--history``) takes precedence over both.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(model_path).parent / ".riskcast" / "history.sqlite"


def working_days(calendar: Calendar, start: dt.date, finish: dt.date) -> float:
    """Working time from the start of ``start`` through the end of ``finish``.

    Parameters
    ----------
    calendar : Calendar
        The calendar the work was done on (holidays, exceptions and short days included).
    start, finish : datetime.date
        First and last day of the work (``finish`` >= ``start``).

    Returns
    -------
    float
        Working days of ``calendar``: its working minutes over those days divided by the
        minutes of a duration day (``hours_per_day``); on a calendar of whole days, the number
        of working days (what ``numpy.busday_count`` gives).
    """
    span = (finish - start).days + 1
    minutes = sum(
        b - a for k in range(span) for a, b in calendar.periods_on(start + dt.timedelta(days=k))
    )
    return minutes / (calendar.hours_per_day * 60.0)


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _iso(date: dt.date | None) -> str | None:
    return None if date is None else date.isoformat()


def _utc(moment: dt.datetime | None) -> str:
    """An aware moment (now when None) as sortable ISO text in UTC, to the microsecond."""
    if moment is None:
        moment = dt.datetime.now(dt.UTC)
    elif moment.tzinfo is None or moment.utcoffset() is None:
        raise ArgumentError(f"recorded_at must carry a time zone (e.g. UTC), got {moment!r}")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _model_hash(model_path: str | Path | None, model_text: str | bytes | None) -> str | None:
    """SHA-256 (hex) of the model file's bytes or of ``model_text`` (UTF-8); None without both."""
    if model_path is not None and model_text is not None:
        raise ArgumentError("give model_path or model_text, not both")
    if model_text is not None:
        data = model_text.encode("utf-8") if isinstance(model_text, str) else model_text
    elif model_path is not None:
        try:
            data = Path(model_path).read_bytes()
        except OSError as exc:
            raise ArgumentError(
                f"{model_path}: cannot read the model file to fingerprint it ({exc.strerror})"
            ) from exc
    else:
        return None
    return hashlib.sha256(data).hexdigest()


def _milestone_rows(forecast: Forecast) -> list[tuple[Any, ...]]:
    rows = []
    for k, row in enumerate(forecast.summary(PERCENTILES)):
        dates = [_iso(row[key]) for key in ("plan", "p50", "p80", "p95", "target")]
        rows.append((k, row["id"], row["name"], *dates, row["probability_of_target"]))
    return rows


def _task_rows(forecast: Forecast) -> list[tuple[Any, ...]]:
    return [
        (k, row["id"], row["name"], _iso(row["p80_finish"]), row["criticality"])
        for k, row in enumerate(forecast.task_table())
    ]


def _actual_rows(forecast: Forecast) -> list[tuple[Any, ...]]:
    """The finished tasks of the forecast's plan (none when the plan is not attached, as in a
    forecast read back from JSON)."""
    project = forecast.project
    if project is None:
        return []
    rows = []
    for task in project.tasks:
        if task.actual_start is None or task.actual_finish is None:
            continue
        calendar = project.calendars[task.calendar] if task.calendar else project.calendar
        estimate = (float(task.estimate.most_likely), float(task.estimate.mean))
        dates = (task.actual_start.isoformat(), task.actual_finish.isoformat())
        days = working_days(calendar, task.actual_start, task.actual_finish)
        rows.append((task.id, task.label, *estimate, *dates, days))
    return rows


_COLUMNS = {
    "runs": "model, model_hash, status_date, recorded_at, seed, iterations, riskcast_version",
    "milestones": "run_id, position, milestone, name, plan, p50, p80, p95, target, "
    "probability_of_target",
    "tasks": "run_id, position, task, name, p80_finish, criticality",
    "actuals": "run_id, task, name, estimate_most_likely, estimate_mean, actual_start, "
    "actual_finish, actual_days",
}


def _insert(table: str) -> str:
    """The INSERT statement of ``table``, its values in the order of ``_COLUMNS[table]``."""
    columns = _COLUMNS[table]
    return f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * (columns.count(',') + 1))})"


def _problem(exc: sqlite3.Error) -> str:
    """What a SQLite error means for the user, and what to do about it."""
    text, low = str(exc), str(exc).lower()
    if "not a database" in low:
        return (
            f"is not a SQLite database, so not a forecast history ({text}); riskcast leaves it "
            f"alone. Give the history another file (--history or ${ENV_VAR}), or move this one "
            "aside if it was a history that got damaged"
        )
    if any(word in low for word in ("malformed", "corrupt", "i/o")):
        return (
            f"the forecast history is damaged ({text}). Move the file aside (riskcast then "
            "starts a new history there) and keep the copy: `sqlite3 FILE .recover` may save "
            "its rows"
        )
    advice = (
        ("locked", f"another process kept it locked over {BUSY_TIMEOUT_S:g} s; retry later"),
        ("busy", f"another process kept it locked over {BUSY_TIMEOUT_S:g} s; retry later"),
        ("readonly", "make it writable, or give the history another file"),
        ("unable to open", "check that its folder exists and is writable"),
    )
    what = next((a for word, a in advice if word in low), "see the SQLite message")
    return f"the forecast history cannot be used ({text}): {what}"


class History:
    """The forecast history of one or more models, in a SQLite file.

    Parameters
    ----------
    path : str or pathlib.Path
        The history file (see :func:`default_path`); its folder is created if needed.
    create : bool, default True
        Create the file when it does not exist; False raises :class:`HistoryError` instead
        (for commands that only read).

    Raises
    ------
    HistoryError
        The file cannot be used: damaged or truncated, not SQLite, another application's
        database, a riskcast history without a schema version or of a version newer than this
        riskcast, not writable, or missing with ``create=False``.

    Notes
    -----
    Use it as a context manager (or call :meth:`close`) to release the file. A file of an older
    schema is upgraded when opened.
    """

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        if self.path.is_dir():
            raise HistoryError("is a folder; give the history's file name", self.path)
        if not create and not self.path.exists():
            raise HistoryError(
                "no forecast history there yet; `riskcast run MODEL` records each forecast "
                f"(give another file with --history or ${ENV_VAR})",
                self.path,
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(
                f"cannot create its folder ({exc.strerror}); choose a writable place", self.path
            ) from exc
        with self._guard():
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            self._open()
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the file (a closed history cannot be used again)."""
        self._db.close()

    def __repr__(self) -> str:
        return f"History({str(self.path)!r})"

    # -- opening and upgrading --------------------------------------------------------------------
    @contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite errors as :class:`HistoryError` naming the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise HistoryError(_problem(exc), self.path) from exc

    @contextmanager
    def _transaction(self, mode: str = "DEFERRED") -> Iterator[sqlite3.Connection]:
        """One transaction: ``IMMEDIATE`` takes the write lock at once (waiting up to
        :data:`BUSY_TIMEOUT_S` for another writer), so a write never fails half-way on a lock;
        ``DEFERRED`` reads one consistent snapshot."""
        with self._guard():
            self._db.execute(f"BEGIN {mode}")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.rollback()
                raise
            self._db.execute("COMMIT")

    def _open(self) -> None:
        with self._guard():
            self._db.execute("PRAGMA foreign_keys = ON")
        with self._transaction():  # one snapshot: another process may be creating the file
            version = self._version()
        if version == SCHEMA_VERSION:
            return
        self._use_wal()
        with self._transaction("IMMEDIATE") as db:
            version = self._version()  # again under the lock: another process may have upgraded
            for step in MIGRATIONS[version:]:
                for sql in step:
                    db.execute(sql)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _use_wal(self) -> None:
        """Switch the file to the write-ahead log, which lets readers go on while a run is
        recorded. Only a file known to be ours (or empty) gets here: the switch writes to it.

        SQLite answers "locked" at once, without waiting, when another process holds the file
        during the switch (as when several create it together), so it is retried here until
        :data:`BUSY_TIMEOUT_S`."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        with self._guard():
            while True:
                try:
                    self._db.execute("PRAGMA journal_mode = WAL")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)

    def _version(self) -> int:
        """The file's schema version (0: an empty file); HistoryError for anything not ours."""
        db = self._db
        app = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if app == 0 and version == 0 and not tables:
            return 0
        if app != APPLICATION_ID:
            what = f"its tables: {', '.join(sorted(tables))}" if tables else f"application id {app}"
            raise HistoryError(
                f"is a SQLite database but not a riskcast forecast history ({what}); riskcast "
                "leaves it alone. Give the history another file (--history or "
                f"${ENV_VAR})",
                self.path,
            )
        if version not in TABLES and version <= SCHEMA_VERSION:
            raise HistoryError(
                f"is a riskcast forecast history without a known schema version ({version}); "
                "it was changed by another program. Move it aside to start a new history",
                self.path,
            )
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"was written by a newer riskcast (history schema version {version}; this "
                f"riskcast reads up to {SCHEMA_VERSION}). Upgrade riskcast "
                "(pip install -U riskcast) to read it",
                self.path,
            )
        missing = TABLES[version] - tables
        if missing:
            raise HistoryError(
                f"is a damaged riskcast forecast history (no table {', '.join(sorted(missing))})"
                "; move it aside to start a new history",
                self.path,
            )
        return version

    # -- writing ----------------------------------------------------------------------------------
    def record(
        self,
        forecast: Forecast,
        model_path: str | Path | None = None,
        model_text: str | bytes | None = None,
        *,
        recorded_at: dt.datetime | None = None,
    ) -> int:
        """Record a forecast.

        Parameters
        ----------
        forecast : Forecast
            The result of :func:`riskcast.simulate` (or :meth:`Forecast.from_json`, which has no
            plan attached and so records no actuals).
        model_path : str or pathlib.Path, optional
            The model file simulated: its bytes are fingerprinted (SHA-256).
        model_text : str or bytes, optional
            The model's text, fingerprinted instead of a file (str as UTF-8).
        recorded_at : datetime.datetime, optional
            When the forecast was made, with a time zone (stored in UTC); default now.

        Returns
        -------
        int
            The id of the recorded run.

        Raises
        ------
        ArgumentError
            Both ``model_path`` and ``model_text``, an unreadable ``model_path``, or a
            ``recorded_at`` without time zone.
        HistoryError
            The file could not be written (nothing of the run is kept then).
        """
        from . import __version__

        digest = _model_hash(model_path, model_text)
        status, when = _iso(forecast.status_date), _utc(recorded_at)
        run = (forecast.project_name, digest, status, when, int(forecast.seed))
        run += (int(forecast.iterations), __version__)
        # Everything is computed before the write lock is taken: other writers wait for SQL only.
        rows = {
            "milestones": _milestone_rows(forecast),
            "tasks": _task_rows(forecast),
            "actuals": _actual_rows(forecast),
        }
        with self._transaction("IMMEDIATE") as db:
            run_id = int(db.execute(_insert("runs"), run).lastrowid)
            for table, values in rows.items():
                db.executemany(_insert(table), [(run_id, *row) for row in values])
        return run_id

    # -- reading ----------------------------------------------------------------------------------
    def models(self) -> list[str]:
        """The models (project names) with recorded forecasts, in the order first recorded."""
        with self._transaction() as db:
            rows = db.execute("SELECT model FROM runs GROUP BY model ORDER BY min(id)").fetchall()
        return [model for (model,) in rows]

    def _check_model(self, db: sqlite3.Connection, model: str) -> None:
        if db.execute("SELECT 1 FROM runs WHERE model = ? LIMIT 1", (model,)).fetchone():
            return
        known = [m for (m,) in db.execute("SELECT DISTINCT model FROM runs ORDER BY model")]
        listed = f" (models: {', '.join(known)})" if known else " (none recorded yet)"
        raise ArgumentError(
            f'no forecasts of model "{model}" in {self.path}{suggestion(model, known)}{listed}'
        )

    def runs(self, model: str | None = None) -> list[RunRecord]:
        """The recorded forecasts with their milestone rows, oldest first.

        Parameters
        ----------
        model : str, optional
            Only this model's (project name); None for every model.

        Returns
        -------
        list of RunRecord
            Ordered by status date (the recorded day for a run without one), then by when
            each was recorded.

        Raises
        ------
        ArgumentError
            No forecast of ``model`` was recorded (the message lists the models that were).
        HistoryError
            The file cannot be read.
        """
        where, params = ("WHERE r.model = ?", (model,)) if model is not None else ("", ())
        with self._transaction() as db:
            if model is not None:
                self._check_model(db, model)
            runs = db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs r {where} ORDER BY {_CHRONOLOGICAL}", params
            ).fetchall()
            milestones = db.execute(
                "SELECT m.run_id, m.milestone, m.name, m.plan, m.p50, m.p80, m.p95, m.target,"
                f" m.probability_of_target FROM milestones m JOIN runs r ON r.id = m.run_id {where}"
                " ORDER BY m.run_id, m.position",
                params,
            ).fetchall()
        by_run: dict[int, list[MilestoneRecord]] = {}
        for run_id, mid, name, *dates, probability in milestones:
            row = MilestoneRecord(mid, name, *map(_date, dates), probability)
            by_run.setdefault(run_id, []).append(row)
        records = []
        for run_id, name, digest, status, recorded, *rest in runs:
            when, own = dt.datetime.fromisoformat(recorded), tuple(by_run.get(run_id, ()))
            records.append(RunRecord(run_id, name, digest, _date(status), when, *rest, own))
        return records

    def tasks(self, run_id: int) -> list[TaskRecord]:
        """The task rows of one recorded forecast, in model order.

        Parameters
        ----------
        run_id : int
            As returned by :meth:`record` (``RunRecord.id``).

        Returns
        -------
        list of TaskRecord
            Empty for a run recorded before task rows were kept.

        Raises
        ------
        ArgumentError
            No run ``run_id``.
        """
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                raise ArgumentError(f"no run {run_id} in {self.path}")
            rows = db.execute(
                "SELECT task, name, p80_finish, criticality FROM tasks WHERE run_id = ?"
                " ORDER BY position",
                (run_id,),
            ).fetchall()
        return [TaskRecord(id, name, _date(p80), crit) for id, name, p80, crit in rows]

    def trend(self, model: str, milestone: str = "finish") -> list[TrendPoint]:
        """How one milestone's forecast moved from run to run.

        Parameters
        ----------
        model : str
            The model (project name).
        milestone : str, default "finish"
            A milestone id; ``"finish"`` for the project finish.

        Returns
        -------
        list of TrendPoint
            One per recorded run that has the milestone, in :meth:`runs` order (by status
            date, then by when recorded).

        Raises
        ------
        ArgumentError
            No forecast of ``model``, or none of its runs has ``milestone``.
        """
        return trend_points(self.runs(model), milestone)

    def actuals(self, model: str | None = None, run_id: int | None = None) -> list[ActualRecord]:
        """The finished tasks: their estimates against the working days they took.

        Parameters
        ----------
        model : str, optional
            Only this model's (project name); None for every model.
        run_id : int, optional
            Only what this run recorded. Without it, each finished task once per model, as the
            latest run (in :meth:`runs` order) recorded it.

        Returns
        -------
        list of ActualRecord
            Ordered by model, actual finish, then task id.

        Raises
        ------
        ArgumentError
            No forecast of ``model`` was recorded.
        """
        clauses, params = [], []
        if model is not None:
            clauses.append("r.model = ?")
            params.append(model)
        if run_id is not None:
            clauses.append("r.id = ?")
            params.append(run_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._transaction() as db:
            if model is not None:
                self._check_model(db, model)
            rows = db.execute(
                "SELECT a.run_id, r.model, r.status_date, a.task, a.name, a.estimate_most_likely,"
                " a.estimate_mean, a.actual_start, a.actual_finish, a.actual_days"
                f" FROM actuals a JOIN runs r ON r.id = a.run_id {where}"
                f" ORDER BY {_CHRONOLOGICAL}",
                params,
            ).fetchall()
        latest: dict[tuple[str, str], ActualRecord] = {}
        for run, name, status, task, label, likely, mean, start, finish, days in rows:
            dates = (_date(start), _date(finish))
            record = ActualRecord(run, name, _date(status), task, label, likely, mean, *dates, days)
            latest[(name, task)] = record  # the rows come oldest first: the last one wins
        return sorted(latest.values(), key=lambda a: (a.model, a.actual_finish, a.task))
