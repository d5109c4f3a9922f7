"""The forecast history: what is recorded reads back unchanged, concurrent writers all land, files
that are not a usable history are refused clearly, old files are upgraded, and the trend, its
chart and the ``history`` command show the recorded runs."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import multiprocessing
import re
import shutil
import sqlite3
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import numpy as np
import pytest

import riskcast as rc
from riskcast import history as history_module
from riskcast.calendar import Calendar
from riskcast.cli import CliError, Streams
from riskcast.cli.history import parse_history
from riskcast.forecast import Forecast
from riskcast.history import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    History,
    HistoryError,
    default_path,
    working_days,
)
from riskcast.history_plots import plot_trend

ROOT = Path(__file__).parent.parent
MODEL = ROOT / "models" / "update-example.toml"
NAME = "Field service app v2 (update 2027-03-15)"
WRITERS = 8
RUNS_PER_WRITER = 5
UTC = dt.UTC

# The version-1 layout as riskcast 1 wrote it: no riskcast version, no task rows, no actuals.
V1_SQL = f"""
PRAGMA application_id = {APPLICATION_ID};
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, model TEXT NOT NULL, model_hash TEXT, status_date TEXT,
    recorded_at TEXT NOT NULL, seed INTEGER NOT NULL, iterations INTEGER NOT NULL
);
CREATE INDEX runs_by_model ON runs (model, status_date, recorded_at);
CREATE TABLE milestones (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, milestone TEXT NOT NULL, name TEXT NOT NULL, plan TEXT NOT NULL,
    p50 TEXT NOT NULL, p80 TEXT NOT NULL, p95 TEXT NOT NULL, target TEXT,
    probability_of_target REAL, PRIMARY KEY (run_id, milestone)
);
INSERT INTO runs VALUES (1, 'Old plan', 'abc', '2027-01-04', '2027-01-04T09:00:00.000000+00:00',
    11, 5000);
INSERT INTO runs VALUES (2, 'Old plan', 'def', '2027-01-11', '2027-01-11T09:00:00.000000+00:00',
    12, 5000);
INSERT INTO milestones VALUES (1, 0, 'finish', 'Project finish', '2027-03-01', '2027-03-03',
    '2027-03-08', '2027-03-12', '2027-03-05', 0.61);
INSERT INTO milestones VALUES (2, 0, 'finish', 'Project finish', '2027-03-01', '2027-03-05',
    '2027-03-10', '2027-03-15', '2027-03-05', 0.4);
PRAGMA user_version = 1;
"""


@pytest.fixture(scope="module")
def forecast() -> Forecast:
    """A schedule update: a status date, two finished tasks, targets, and the project attached."""
    return rc.simulate(rc.load(MODEL), iterations=1024, seed=7)


@pytest.fixture(scope="module")
def saved(forecast) -> dict:
    """The forecast as ``forecast.json`` holds it (no project attached when read back)."""
    return json.loads(forecast.to_json())


def variant(saved: dict, status: str | None, seed: int, shift: float = 0.0) -> Forecast:
    """Another week's forecast: ``saved`` with another status date, seed and finishes."""
    data = json.loads(json.dumps(saved))
    data["status_date"], data["seed"] = status, seed
    for m in data["milestones"]:
        m["samples"] = (np.asarray(m["samples"]) + shift).tolist()
    return Forecast.from_dict(data)


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2027, 3, day, hour, tzinfo=UTC)


def milestone_fields(m) -> dict:
    return {
        "id": m.id,
        "name": m.name,
        "plan": m.plan,
        "p50": m.p50,
        "p80": m.p80,
        "p95": m.p95,
        "target": m.target,
        "probability_of_target": m.probability_of_target,
    }


def summary_fields(forecast: Forecast) -> list[dict]:
    keys = ("id", "name", "plan", "p50", "p80", "p95", "target", "probability_of_target")
    return [{k: row[k] for k in keys} for row in forecast.summary((50, 80, 95))]


# -- recording and reading back -------------------------------------------------------------------
def test_runs_read_back_every_recorded_field(tmp_path, forecast, saved):
    path = tmp_path / "nested" / "folder" / "history.sqlite"
    weeks = [
        (forecast, "2027-03-15", at(15)),
        (variant(saved, "2027-03-22", 8, 2.0), "2027-03-22", at(22)),
        (variant(saved, None, 9, 3.5), None, at(29)),
    ]
    with History(path) as history:
        ids = [history.record(weeks[0][0], model_path=MODEL, recorded_at=at(15))]
        ids += [
            history.record(f, model_text=f"week {k}", recorded_at=when)
            for k, (f, _, when) in enumerate(weeks[1:], 1)
        ]
    assert path.is_file()
    with History(path) as history:  # a fresh connection: what the file holds
        runs = history.runs()
        assert [r.id for r in runs] == ids
        hashes = [hashlib.sha256(MODEL.read_bytes()).hexdigest()] + [
            hashlib.sha256(f"week {k}".encode()).hexdigest() for k in (1, 2)
        ]
        for run, (f, status, when), digest in zip(runs, weeks, hashes, strict=True):
            assert run.model == NAME
            assert run.model_hash == digest
            assert run.status_date == (None if status is None else dt.date.fromisoformat(status))
            assert run.recorded_at == when
            assert run.recorded_at.tzinfo is not None
            assert run.date == (run.status_date or when.date())
            assert (run.seed, run.iterations) == (f.seed, 1024)
            assert run.riskcast_version == rc.__version__
            assert [milestone_fields(m) for m in run.milestones] == summary_fields(f)
            assert [m.id for m in run.milestones][-1] == "finish"
            tasks = history.tasks(run.id)
            assert [(t.id, t.name, t.p80_finish, t.criticality) for t in tasks] == [
                (row["id"], row["name"], row["p80_finish"], row["criticality"])
                for row in f.task_table()
            ]
        # Only the forecast with its plan attached knows the actuals.
        assert history.actuals(run_id=ids[1]) == []
        actuals = history.actuals(NAME, run_id=ids[0])
        assert history.actuals(NAME) == history.actuals() == actuals
    project = rc.load(MODEL)
    expected = []
    for task_id, days in (("discovery", 15.0), ("spec", 10.0)):  # Mon..Fri weeks, no holidays
        task = project.task(task_id)
        expected.append(
            (
                ids[0],
                NAME,
                dt.date(2027, 3, 15),
                task_id,
                task.name,
                task.estimate.most_likely,
                task.estimate.mean,
                task.actual_start,
                task.actual_finish,
                days,
            )
        )
    got = [
        (
            a.run_id,
            a.model,
            a.status_date,
            a.task,
            a.name,
            a.estimate_most_likely,
            a.estimate_mean,
            a.actual_start,
            a.actual_finish,
            a.actual_days,
        )
        for a in actuals
    ]
    assert got == expected
    assert expected[0][5:7] == (12.0, pytest.approx(38 / 3))  # pert [10, 12, 18]


def test_actuals_keep_the_latest_run_of_each_task(tmp_path, forecast):
    with History(tmp_path / "h.sqlite") as history:
        first = history.record(forecast, recorded_at=at(20))
        second = history.record(forecast, recorded_at=at(15))  # same status date, recorded first
        assert [r.id for r in history.runs()] == [second, first]
        assert {a.run_id for a in history.actuals()} == {first}
        assert {a.run_id for a in history.actuals(run_id=second)} == {second}


def test_working_days_count_holidays_and_short_days():
    cal = Calendar(
        holidays=(dt.date(2027, 4, 2),),
        exceptions={dt.date(2027, 4, 7): ("08:00-12:00",), dt.date(2027, 4, 10): ("08:00-12:00",)},
    )
    # Mon 29 Mar .. Sat 10 Apr: 10 weekdays, less Good Friday, Wednesday 7 April half a day,
    # plus Saturday 10 April's half day.
    assert working_days(cal, dt.date(2027, 3, 29), dt.date(2027, 4, 10)) == 9.0
    whole = Calendar(holidays=(dt.date(2027, 4, 2),))
    start, finish = dt.date(2027, 3, 1), dt.date(2027, 5, 14)
    busdays = np.busday_count(start, finish + dt.timedelta(days=1), busdaycal=whole.busdaycalendar)
    assert working_days(whole, start, finish) == busdays


def test_record_is_all_or_nothing(tmp_path, forecast, monkeypatch):
    path = tmp_path / "h.sqlite"
    with History(path) as history:
        history.record(forecast, recorded_at=at(1))
        rows = history_module._task_rows(forecast)
        monkeypatch.setattr(history_module, "_task_rows", lambda f: rows + rows[:1])
        with pytest.raises(HistoryError, match=str(path)):
            history.record(forecast, recorded_at=at(2))
        monkeypatch.undo()
        assert len(history.runs()) == 1
    db = sqlite3.connect(path)
    try:
        counts = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("runs", "tasks")]
    finally:
        db.close()
    assert counts == [1, len(forecast.task_ids)]


def test_unknown_model_and_milestone_are_named(tmp_path, forecast):
    with History(tmp_path / "h.sqlite") as history:
        history.record(forecast)
        with pytest.raises(
            rc.ArgumentError, match=r'"Field service app v2 \(update 2027-03-16\)".*did you mean'
        ):
            history.runs("Field service app v2 (update 2027-03-16)")
        with pytest.raises(rc.ArgumentError, match=r"\"bta\".*did you mean \"beta\""):
            history.trend(NAME, "bta")
        with pytest.raises(rc.ArgumentError, match="time zone"):
            history.record(forecast, recorded_at=dt.datetime(2027, 3, 1))
        with pytest.raises(rc.ArgumentError, match="not both"):
            history.record(forecast, model_path=MODEL, model_text="x")
        assert len(history.runs()) == 1


def test_default_path_and_its_override(tmp_path, monkeypatch):
    monkeypatch.delenv("RISKCAST_HISTORY", raising=False)
    assert default_path(tmp_path / "plans" / "a.toml") == (
        tmp_path / "plans" / ".riskcast" / "history.sqlite"
    )
    monkeypatch.setenv("RISKCAST_HISTORY", str(tmp_path / "shared.sqlite"))
    assert default_path(tmp_path / "plans" / "a.toml") == tmp_path / "shared.sqlite"
    monkeypatch.setenv("RISKCAST_HISTORY", "")
    assert default_path("a.toml") == Path(".riskcast") / "history.sqlite"


# -- concurrent writers ---------------------------------------------------------------------------
def _write_runs(path: str, text: str, barrier, writer: int) -> None:
    """In a worker process: record RUNS_PER_WRITER copies of a saved forecast, starting with
    the other workers so that they race to create the file too."""
    forecast = Forecast.from_json(text)
    barrier.wait(timeout=120)
    with History(path) as history:
        for k in range(RUNS_PER_WRITER):
            history.record(forecast, model_text=f"{writer}-{k}")


def test_concurrent_writers_all_land(tmp_path, forecast):
    path = tmp_path / "shared" / "history.sqlite"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    text = forecast.to_json()
    workers = [
        context.Process(target=_write_runs, args=(str(path), text, barrier, w))
        for w in range(WRITERS)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    for w in workers:
        if w.is_alive():  # hung: fail below, without leaving it running
            w.kill()
            w.join()
    assert [w.exitcode for w in workers] == [0] * WRITERS
    total = WRITERS * RUNS_PER_WRITER
    with History(path) as history:
        runs = history.runs()
        assert len(runs) == total
        assert all(len(r.milestones) == len(forecast.targets) for r in runs)
        assert all(len(history.tasks(r.id)) == len(forecast.task_ids) for r in runs)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT count(DISTINCT model_hash) FROM runs").fetchone() == (total,)
        assert db.execute("SELECT count(*) FROM milestones").fetchone() == (
            total * len(forecast.targets),
        )
    finally:
        db.close()


# -- files that are not a usable history ----------------------------------------------------------
def _truncated(path: Path, forecast: Forecast) -> None:
    with History(path) as history:
        for k in range(3):
            history.record(forecast, recorded_at=at(k + 1))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _text(path: Path, forecast: Forecast) -> None:
    path.write_text("status,p80\n2027-03-15,2027-06-25\n" * 50, encoding="utf-8")


def _sqlite(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript(sql)
    finally:
        db.close()


def _foreign(path: Path, forecast: Forecast) -> None:
    _sqlite(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);")


def _no_version(path: Path, forecast: Forecast) -> None:
    _sqlite(path, V1_SQL.replace("PRAGMA user_version = 1;", ""))


def _missing_table(path: Path, forecast: Forecast) -> None:
    with History(path):
        pass
    _sqlite(path, "DROP TABLE actuals;")


def _newer(path: Path, forecast: Forecast) -> None:
    with History(path) as history:
        history.record(forecast)
    _sqlite(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1};")


REFUSED = {
    "truncated": (_truncated, "damaged.*move the file aside"),
    "text file": (_text, "not a SQLite database.*another file"),
    "foreign SQLite database": (_foreign, "not a riskcast forecast history.*invoices"),
    "no schema version": (_no_version, "without a known schema version"),
    "missing table": (_missing_table, "damaged.*no table actuals"),
    "newer schema": (_newer, f"newer riskcast.*version {SCHEMA_VERSION + 1}.*Upgrade riskcast"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_unusable_files_give_a_clear_history_error(tmp_path, forecast, case):
    make, expected = REFUSED[case]
    path = tmp_path / "history.sqlite"
    make(path, forecast)
    before = path.read_bytes()
    with pytest.raises(HistoryError) as caught:
        with History(path) as history:  # a damaged page may only show when read
            history.runs()
    err = caught.value
    assert isinstance(err, rc.RiskcastError)
    assert str(err).startswith(f"{path}: ")
    assert err.path == path
    assert re.search(expected, str(err), flags=re.I | re.S)
    assert path.read_bytes() == before  # riskcast never writes to a file it refused


def test_missing_history_is_not_created_for_reading(tmp_path):
    path = tmp_path / "none" / "history.sqlite"
    with pytest.raises(HistoryError, match="no forecast history there yet"):
        History(path, create=False)
    assert not path.parent.exists()
    with pytest.raises(HistoryError, match="is a folder"):
        History(tmp_path)


# -- migrations -----------------------------------------------------------------------------------
def test_a_version_1_history_is_upgraded_keeping_its_rows(tmp_path, forecast):
    path = tmp_path / "history.sqlite"
    _sqlite(path, V1_SQL)
    with History(path) as history:
        old = history.runs("Old plan")
        assert [(r.id, r.model_hash, r.seed, r.iterations) for r in old] == [
            (1, "abc", 11, 5000),
            (2, "def", 12, 5000),
        ]
        assert [r.riskcast_version for r in old] == [None, None]
        assert old[1].recorded_at == dt.datetime(2027, 1, 11, 9, tzinfo=UTC)
        assert [milestone_fields(m) for m in old[0].milestones] == [
            {
                "id": "finish",
                "name": "Project finish",
                "plan": dt.date(2027, 3, 1),
                "p50": dt.date(2027, 3, 3),
                "p80": dt.date(2027, 3, 8),
                "p95": dt.date(2027, 3, 12),
                "target": dt.date(2027, 3, 5),
                "probability_of_target": 0.61,
            }
        ]
        assert history.tasks(1) == []
        new = history.record(forecast)
        assert history.runs(NAME)[0].riskcast_version == rc.__version__
        assert len(history.tasks(new)) == len(forecast.task_ids)
        assert len(history.actuals(NAME)) == 2
        assert history.models() == ["Old plan", NAME]
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    finally:
        db.close()


def test_a_failed_migration_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "history.sqlite"
    _sqlite(path, V1_SQL)
    broken = (*history_module.MIGRATIONS[:-1], (*history_module.MIGRATIONS[-1], "NOT SQL"))
    monkeypatch.setattr(history_module, "MIGRATIONS", broken)
    with pytest.raises(HistoryError, match=str(path)):
        History(path)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        columns = [row[1] for row in db.execute("PRAGMA table_info(runs)")]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()
    assert "riskcast_version" not in columns
    assert tables == {"runs", "milestones"}


# -- the trend and its chart ----------------------------------------------------------------------
@pytest.fixture
def weekly(tmp_path, forecast, saved) -> Path:
    """A history of four weekly forecasts (recorded out of order, one without status date)."""
    path = tmp_path / "history.sqlite"
    with History(path) as history:
        history.record(variant(saved, "2027-03-22", 2, 2.0), recorded_at=at(22))
        history.record(forecast, model_path=MODEL, recorded_at=at(15))
        history.record(variant(saved, "2027-03-29", 3, 4.0), recorded_at=at(29, 8))
        history.record(variant(saved, None, 4, 6.0), recorded_at=at(29, 7))
    return path


def test_the_trend_is_the_recorded_runs_in_status_date_order(weekly):
    with History(weekly) as history:
        runs = history.runs(NAME)
        for mid in ("beta", "ga", "finish"):
            trend = history.trend(NAME, mid)
            assert [p.run_id for p in trend] == [r.id for r in runs]
            for point, run in zip(trend, runs, strict=True):
                m = run.milestone(mid)
                assert (point.status_date, point.recorded_at) == (run.status_date, run.recorded_at)
                assert (point.plan, point.p50, point.p80, point.p95) == (
                    m.plan,
                    m.p50,
                    m.p80,
                    m.p95,
                )
                assert (point.target, point.probability_of_target) == (
                    m.target,
                    m.probability_of_target,
                )
    # By status date; on 29 March the run without one goes by its recorded day, recorded first.
    assert [p.date for p in trend] == [dt.date(2027, 3, d) for d in (15, 22, 29, 29)]
    assert [p.status_date for p in trend][-2:] == [None, dt.date(2027, 3, 29)]
    assert [r.seed for r in runs] == [7, 2, 4, 3]


def _line_data(line) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(line.convert_xunits(line.get_xdata()), float)
    y = np.asarray(line.convert_yunits(line.get_ydata()), float)
    return x, y


def num(dates) -> np.ndarray:
    return mdates.date2num(np.array(dates, "datetime64[D]"))


def test_trend_chart_draws_the_recorded_dates(weekly, tmp_path):
    from riskcast import plotting

    with History(weekly) as history:
        trend = history.trend(NAME, "beta")
        ax = plot_trend(history, NAME, "beta")
        runs = history.runs()
    lines = {line.get_gid(): line for line in ax.lines}
    for q in (50, 80):
        x, y = _line_data(lines[f"p{q}-beta"])
        np.testing.assert_array_equal(x, num([p.date for p in trend]))
        np.testing.assert_array_equal(y, num([getattr(p, f"p{q}") for p in trend]))
    _, target = _line_data(lines["target-beta"])
    assert set(target) == {num([trend[0].target])[0]}
    assert "chance of meeting the target" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "P80",
        "P50",
        f"target {trend[0].target.isoformat()}",
    ]
    # Every milestone (the finish is left out when the plan has milestones), from rows too.
    ax = plot_trend(runs, NAME)
    assert {line.get_gid() for line in ax.lines} == {
        f"{what}-{mid}" for what in ("p50", "p80", "target") for mid in ("beta", "ga")
    }
    png = plotting.save(ax, tmp_path / "trend.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(rc.ArgumentError, match="no forecasts of model"):
        plot_trend(runs, "Another plan")
    with pytest.raises(rc.ArgumentError, match=r'"gaa".*did you mean "ga"'):
        plot_trend(runs, NAME, "gaa")


# -- the history command --------------------------------------------------------------------------
def history_command(*argv: str) -> tuple[int, str, str]:
    """``riskcast history ARGV`` through the subcommand's own parser and action."""
    parser = argparse.ArgumentParser(prog="riskcast")
    parse_history(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["history", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = args.act(args, Streams(out, err))
    return code, out.getvalue(), err.getvalue()


def test_history_command_prints_the_table_and_writes_the_chart(tmp_path, weekly, monkeypatch):
    monkeypatch.delenv("RISKCAST_HISTORY", raising=False)
    model = tmp_path / "plan" / "update.toml"
    model.parent.mkdir()
    shutil.copy(MODEL, model)
    (model.parent / ".riskcast").mkdir()
    shutil.copy(weekly, default_path(model))  # the default place next to the model
    chart = tmp_path / "charts" / "trend.png"
    code, out, err = history_command(str(model), "--chart", str(chart))
    assert code == 0
    assert out.splitlines()[0] == f"{NAME} — 4 forecasts recorded in {default_path(model)}"
    with History(weekly) as history:
        runs = history.runs(NAME)
    for mid in ("beta", "ga"):  # the finish has the dates of ga in every run: not repeated
        name = runs[0].milestone(mid).name
        block = out.split(f"{name} ({mid})")[1].split("\n\n")[0].splitlines()
        assert block[1].split()[:4] == ["status", "date", "recorded", "(UTC)"]
        rows = block[2:]
        assert len(rows) == len(runs)
        for row, run in zip(rows, runs, strict=True):
            m = run.milestone(mid)
            cells = row.split()
            assert cells[0] == (run.status_date.isoformat() if run.status_date else "-")
            assert cells[1:3] == [f"{run.recorded_at:%Y-%m-%d}", f"{run.recorded_at:%H:%M}"]
            assert cells[3:5] == [str(run.seed), f"{run.iterations:,}"]
            assert cells[5:9] == [d.isoformat() for d in (m.plan, m.p50, m.p80, m.p95)]
            assert cells[9] == f"{100 * m.probability_of_target:.0f}%"
        assert rows[0].endswith("-")
        moved = (runs[1].milestone(mid).p80 - runs[0].milestone(mid).p80).days
        assert rows[1].split()[-2:] == [f"{moved:+d}" if moved else "0", "d"]
    assert "Project finish" not in out
    assert err == f"wrote {chart}\n"
    assert chart.read_bytes().startswith(b"\x89PNG")

    code, out, _ = history_command(str(model), "--milestone", "finish", "--history", str(weekly))
    assert code == 0 and "Project finish (finish)" in out and "beta" not in out


def test_history_command_errors(tmp_path, weekly, monkeypatch):
    monkeypatch.delenv("RISKCAST_HISTORY", raising=False)
    model = tmp_path / "update.toml"
    shutil.copy(MODEL, model)
    with pytest.raises(HistoryError, match="no forecast history there yet"):
        history_command(str(model))
    monkeypatch.setenv("RISKCAST_HISTORY", str(weekly))  # the environment names the file
    assert history_command(str(model))[0] == 0
    with pytest.raises(CliError, match=r'"gaa".*did you mean "ga"'):
        history_command(str(model), "-m", "gaa")
    with pytest.raises(CliError, match=r"must end in \.png"):
        history_command(str(model), "--chart", str(tmp_path / "trend.txt"))
    with pytest.raises(CliError, match="input file"):
        history_command(
            str(model),
            "--chart",
            str(weekly.with_suffix(".svg")),
            "--history",
            str(weekly.with_suffix(".svg")),
        )


def test_run_records_each_forecast_unless_told_not_to(tmp_path, monkeypatch):
    from riskcast import cli

    store = tmp_path / "h.sqlite"
    monkeypatch.setenv("RISKCAST_HISTORY", str(store))
    out, err = io.StringIO(), io.StringIO()
    for extra in ((), ("--no-history",), ("--history", str(tmp_path / "other.sqlite"))):
        code = cli.main(
            ["run", str(MODEL), "-n", "1024", "--seed", "5", *extra], stdout=out, stderr=err
        )
        assert code == 0, err.getvalue()
    with History(store) as history:
        (run,) = history.runs()
    assert run.seed == 5 and run.iterations == 1024
    with History(tmp_path / "other.sqlite") as other:
        assert len(other.runs()) == 1


def test_run_warns_but_succeeds_when_the_history_is_unusable(tmp_path):
    from riskcast import cli

    broken = tmp_path / "broken.sqlite"
    broken.write_text("not a database")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["run", str(MODEL), "-n", "1024", "--history", str(broken)], stdout=out, stderr=err
    )
    assert code == 0
    assert "warning: forecast not recorded in the history" in err.getvalue()
    assert broken.read_text() == "not a database"
