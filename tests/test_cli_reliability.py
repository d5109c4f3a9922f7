"""The command line under stress: stopped by a signal, killed, run twice at once into one folder,
failing half-way through its output, hitting a bug, drawing names no font has.

The signal tests start real ``python -m riskcast`` processes and signal them only once their
staging folder exists (so a slow start on a loaded machine cannot make them flaky); a long run
uses ``--threads 1`` so that even a fast machine is still simulating when the signal comes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import riskcast as rc
from riskcast import cli
from riskcast.cli import _staging

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and locks")

ROOT = Path(__file__).parent.parent
PLATFORM = ROOT / "models" / "platform-release.toml"
CHECKOUT = ROOT / "models" / "checkout-redesign.toml"
LONG = ["--iterations", "2000000", "--threads", "1", "--seed", "1"]  # tens of seconds
START_TIMEOUT = 180  # generous: the first process may compile the kernels on a loaded machine
STOP_TIMEOUT = 15  # a signalled run is typically gone in well under a second

EMOJI_MODEL = """\
[project]
name = "Launch 🚀"
start = 2027-01-04

[[task]]
id = "🚀build"
name = "Build 🛠️ the 👩‍💻 thing"
estimate = { pert = [2, 3, 6] }

[[task]]
id = "test✅"
name = "Test 🧪"
estimate = { triangular = [1, 2, 5] }
after = ["🚀build"]

[[milestone]]
id = "ship🎉"
name = "Ship 🎉"
after = ["test✅"]
target = 2027-01-15

[[risk]]
id = "🔥"
title = "Fire 🔥 in the server room"
probability = 0.3
impacts = [{ task = "test✅", add = { triangular = [1, 2, 4] } }]
"""


# -- helpers --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _signals_not_ignored():
    """Children inherit an *ignored* SIGINT/SIGTERM (pytest started in the background by a
    non-interactive shell); a handled one is reset to the default at exec."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s, handler in saved.items():
        if handler == signal.SIG_IGN:
            signal.signal(s, signal.default_int_handler)
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def start(*args: object) -> subprocess.Popen:
    with _signals_not_ignored():
        return subprocess.Popen(
            [sys.executable, "-m", "riskcast", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def riskcast(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "riskcast", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def staged(folder: Path) -> list[Path]:
    """The hidden staging entries in ``folder``."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(".riskcast"))


def debris(out: Path) -> list[Path]:
    """Staging left inside or beside ``out``."""
    return staged(out) + staged(out.parent)


def wait_for_staging(proc: subprocess.Popen, out: Path) -> list[Path]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = staged(out)
        if found:
            return found
        if proc.poll() is not None:
            pytest.fail(f"the run ended before staging its output: {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the run did not start staging its output in time")


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` (hidden ones too) with a hash of its bytes."""
    found = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in paths:
            found[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def main(*args: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """A folder with a good earlier run's --out and --export (in-process, small)."""
    root = tmp_path_factory.mktemp("earlier")
    out, export = root / "out", root / "exports" / "tasks-p6.csv"
    code, _, err = main("run", CHECKOUT, "-n", 2000, "--seed", 3, "--out", out, "--export", export)
    assert code == 0, err
    return out, export


def copy_tree(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst)


# -- 1. signals and kills -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sig", "code", "existing"),
    [(signal.SIGINT, 130, True), (signal.SIGTERM, 143, False), (signal.SIGTERM, 143, True)],
    ids=["sigint-existing-out", "sigterm-new-out", "sigterm-existing-out"],
)
def test_signal_stops_a_run_quickly_and_leaves_nothing(tmp_path, earlier, sig, code, existing):
    out = tmp_path / "out"
    if existing:
        copy_tree(earlier[0], out)
    before = snapshot(out) if existing else {}
    proc = start("run", PLATFORM, *LONG, "--out", out)
    wait_for_staging(proc, out)
    time.sleep(0.3)  # into the simulation
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"no exit within {STOP_TIMEOUT} s of the signal")
    assert time.monotonic() - sent < STOP_TIMEOUT
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] in (
        "riskcast: interrupted",
        "riskcast: terminated (SIGTERM)",
    )
    assert debris(out) == []
    if existing:
        assert snapshot(out) == before  # the earlier output, byte for byte
    else:
        assert not out.exists()  # the folder made for this run is gone again


def test_a_killed_run_leaves_staging_that_the_next_run_removes(tmp_path):
    out = tmp_path / "out"
    proc = start("run", PLATFORM, *LONG, "--out", out)
    left = wait_for_staging(proc, out)
    proc.kill()  # SIGKILL: no clean-up possible
    proc.communicate(timeout=STOP_TIMEOUT)  # reaped: the process is gone, not a zombie
    assert staged(out) == left
    export_left = out.parent / f".riskcast-{proc.pid}-0badc0de.tmp"  # as if it had been exporting
    export_left.write_text("half an export")
    # The killed run's lock died with it: the next run is not refused, and removes the debris.
    result = riskcast("run", CHECKOUT, "-n", 500, "--seed", 1, "--no-charts", "--out", out, "-q")
    assert result.returncode == 0, result.stderr
    assert debris(out) == []
    assert sorted(p.name for p in out.iterdir()) == ["forecast.json", "milestones.csv", "tasks.csv"]


def test_stale_staging_is_removed_only_when_its_owner_is_gone(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".riskcast-{sleeper.pid}-abc123"  # a live process's: kept
        live.mkdir()
        mine = tmp_path / f".riskcast-{os.getpid()}-def456"  # this pid, locked: a live run's
        mine.mkdir()
        lock = os.open(mine, os.O_RDONLY)
        import fcntl

        fcntl.flock(lock, fcntl.LOCK_EX)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        gone = tmp_path / f".riskcast-{dead.pid}-0a1b2c"  # a dead process's: removed
        gone.mkdir()
        (gone / "charts").mkdir()
        (gone / "charts" / "x.png").write_bytes(b"x")
        gone_file = tmp_path / f".riskcast-{dead.pid}-0a1b2c3d.tmp"
        gone_file.write_text("half an export")
        other = tmp_path / ".riskcast-somebody-elses"  # not a name riskcast makes: kept
        other.mkdir()
        removed = _staging.remove_stale(tmp_path)
        assert sorted(removed) == sorted([gone, gone_file])
        assert live.exists() and mine.exists() and other.exists()
        os.close(lock)  # the run holding it ended; its pid is this (reused) one
        assert _staging.remove_stale(tmp_path) == [mine]
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.fixture
def own_sigterm():
    """Tests that send SIGTERM to this very process: only where it is ours to handle."""
    if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        pytest.skip("SIGTERM is handled or ignored by the test runner")


def test_sigterm_in_process_exits_143_without_traceback(monkeypatch, own_sigterm, tmp_path):
    from riskcast.cli import run

    def table(self):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # the signal interrupts this

    monkeypatch.setattr(run.RunReport, "table", table)
    sent = time.monotonic()
    code, _, err = main("run", CHECKOUT, "-n", 500, "--seed", 1, "--out", tmp_path / "o")
    assert time.monotonic() - sent < STOP_TIMEOUT
    assert (code, err) == (143, "riskcast: terminated (SIGTERM)\n")
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored


def test_a_signal_lost_in_a_callback_is_sent_again(own_sigterm):
    """numba's compiler calls Python from C (ctypes callbacks), where an exception raised by a
    signal handler is printed and dropped: the signal must come again, not be lost."""
    import ctypes

    from riskcast.cli import _signals

    def body():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)  # the handler raises here, inside the callback: dropped

    callback = ctypes.CFUNCTYPE(None)(body)
    with pytest.raises(_signals.Terminated), _signals.handled():
        callback()
        time.sleep(30)  # the signal comes again
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_signal_waits_for_a_deferred_block(own_sigterm):
    from riskcast.cli import _signals

    done = []
    with pytest.raises(_signals.Terminated), _signals.handled():
        with _signals.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            done.append("published")
        done.append("not reached")
    assert done == ["published"]


# -- 2. nothing partial ---------------------------------------------------------------------------
def test_a_failing_export_leaves_the_earlier_output_byte_identical(tmp_path, earlier):
    out = tmp_path / "out"
    copy_tree(earlier[0], out)
    before = snapshot(out)
    code, stdout, err = main("run", PLATFORM, "-n", 2000, "--seed", 9, "--out", out,
                             "--export", "/proc/t.csv")  # fmt: skip
    assert code == 3, err
    assert "cannot write /proc/t.csv" in err and stdout == ""
    assert snapshot(out) == before
    assert debris(out) == []


def test_a_failure_while_publishing_puts_everything_back(tmp_path, earlier, monkeypatch):
    """The export is replaced last; when that fails, the --out files already moved into place
    are undone: both the earlier folder and the earlier export file stay byte-identical."""
    out, export = tmp_path / "out", tmp_path / "exports" / "tasks-p6.csv"
    copy_tree(earlier[0], out)
    export.parent.mkdir()
    export.write_bytes(earlier[1].read_bytes())
    before = snapshot(out, export)
    real_replace = os.replace

    def replace(src, dst, **kw):
        if Path(dst) == export:
            raise OSError(5, "Input/output error", str(dst))
        return real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "replace", replace)
    code, _, err = main("run", PLATFORM, "-n", 2000, "--seed", 9, "--no-charts", "--out", out,
                        "--export", export)  # fmt: skip
    assert code == 3, err
    assert "Input/output error" in err
    assert snapshot(out, export) == before
    assert debris(out) == [] and staged(export.parent) == []


def test_a_failed_run_removes_the_folders_it_made(tmp_path, monkeypatch):
    from riskcast import plotting

    def broken_save(ax, path, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plotting, "save", broken_save)
    code, _, err = main("run", CHECKOUT, "-n", 500, "--seed", 1, "--out", tmp_path / "a" / "b",
                        "--export", tmp_path / "c" / "t.csv")  # fmt: skip
    assert code == 3 and "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


# -- 3. one run at a time per folder; the folder holds exactly one run's files --------------------
def test_a_second_run_into_the_same_out_is_refused(tmp_path):
    out = tmp_path / "out"
    first = start("run", CHECKOUT, "-n", 200000, "--threads", "1", "--seed", 5, "--out", out)
    wait_for_staging(first, out)
    first.send_signal(signal.SIGSTOP)  # hold it mid-run, however fast the machine
    try:
        second = riskcast("run", CHECKOUT, "-n", 500, "--seed", 6, "--out", out)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 75, second.stderr
    assert "another riskcast run is writing to this folder" in second.stderr
    assert "Traceback" not in second.stderr and second.stdout == ""
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert debris(out) == []
    forecast = rc.Forecast.from_json((out / "forecast.json").read_text())
    assert forecast.seed == 5 and forecast.iterations == 200000  # the first run's, complete
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert len(charts) == 11 and "gantt.png" in charts


def test_publishing_clears_the_outputs_of_an_earlier_run(tmp_path):
    out = tmp_path / "out"
    assert main("run", PLATFORM, "-n", 1000, "--seed", 1, "--out", out, "-q")[0] == 0
    (out / "notes.txt").write_text("mine")  # the user's own file: left alone
    (out / "charts" / "README").write_text("mine too")
    assert main("run", CHECKOUT, "-n", 1000, "--seed", 1, "--out", out, "-q",
                "--milestone", "beta")[0] == 0  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == [
        "charts",
        "forecast.json",
        "milestones.csv",
        "notes.txt",
        "tasks.csv",
    ]
    assert sorted(p.name for p in (out / "charts").iterdir()) == [
        "README",
        "gantt.png",
        "histogram-beta.png",
        "roadmap.png",
        "scurve-beta.png",
        "tornado-beta.png",
    ]
    # Without charts, the folder's charts go too (and the folder, once empty).
    (out / "charts" / "README").unlink()
    assert main("run", CHECKOUT, "-n", 500, "--seed", 1, "--out", out, "-q", "--no-charts")[0] == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "forecast.json",
        "milestones.csv",
        "notes.txt",
        "tasks.csv",
    ]


# -- 4. internal errors ---------------------------------------------------------------------------
def _break_the_table(monkeypatch, exc: BaseException) -> None:
    from riskcast.cli import run

    def table(self):
        raise exc

    monkeypatch.setattr(run.RunReport, "table", table)


def test_an_internal_error_is_one_line_and_exit_70(monkeypatch):
    _break_the_table(monkeypatch, RuntimeError("the table\nbroke"))
    code, _, err = main("run", CHECKOUT, "-n", 500, "--seed", 1)
    assert code == 70
    assert err.splitlines() == [
        "riskcast: internal error: RuntimeError: the table broke; rerun with --debug for the "
        "traceback"
    ]


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(monkeypatch, where):
    _break_the_table(monkeypatch, RuntimeError("boom"))
    args = ["run", CHECKOUT, "-n", 500, "--seed", 1]
    args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    code, _, err = main(*args)
    assert code == 70
    assert "Traceback (most recent call last)" in err and "in table" in err
    assert err.rstrip().endswith("riskcast: internal error: RuntimeError: boom")


def test_interrupt_and_input_errors_keep_their_codes(monkeypatch, tmp_path):
    _break_the_table(monkeypatch, KeyboardInterrupt())
    code, _, err = main("run", CHECKOUT, "-n", 500, "--seed", 1)
    assert (code, err) == (130, "riskcast: interrupted\n")
    code, _, err = main("--debug", "run", tmp_path / "missing.toml")
    assert code == 2 and "Traceback" not in err


def test_exit_codes_are_documented():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in ("| 70 |", "| 75 |", "| 130 |", "| 143 |"):
        assert code in text
    for code in ("70", "75", "130", "143"):
        assert f"  {code} " in cli.EXIT_CODES


# -- 5. names no font can draw --------------------------------------------------------------------
@pytest.fixture
def emoji_model(tmp_path):
    path = tmp_path / "emoji.toml"
    path.write_text(EMOJI_MODEL, encoding="utf-8")
    return path


def test_charts_of_emoji_names_draw_without_a_warning(emoji_model, tmp_path):
    from riskcast import plotting
    from riskcast.drivers import risk_drivers

    project = rc.load(emoji_model)
    forecast = rc.simulate(project, iterations=500, seed=1)
    drivers = risk_drivers(project, "ship🎉", iterations=500, seed=1)
    charts = [
        plotting.scurve(forecast, "ship🎉"),
        plotting.histogram(forecast, "ship🎉"),
        plotting.tornado(forecast, "ship🎉"),
        plotting.roadmap(forecast),
        plotting.gantt(forecast),
        plotting.risk_tornado(drivers),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k, ax in enumerate(charts):
            for suffix in ("png", "svg"):
                plotting.save(ax, tmp_path / f"{k}.{suffix}")
    assert charts[0].get_title().startswith("Ship \ufffd:")
    covered = plotting._coverage()
    names = [t.get_text() for t in charts[4].get_yticklabels()]
    assert [n.startswith(("Build \ufffd", "Test \ufffd")) for n in names] == [True, True]
    assert all(ord(c) in covered for n in names for c in n)


def test_run_with_emoji_names_prints_no_warning(emoji_model, tmp_path):
    result = riskcast("run", emoji_model, "-n", 500, "--seed", 1, "--out", tmp_path / "o", "-q")
    assert result.returncode == 0
    assert result.stderr == ""
    assert len(list((tmp_path / "o" / "charts").iterdir())) == 5


def test_an_installed_fallback_font_draws_what_the_main_font_lacks():
    import matplotlib as mpl

    from riskcast import plotting

    lacking = "\u3016x\u3017"  # 〖x〗: not in DejaVu Sans, in DejaVu Math TeX Gyre
    with mpl.rc_context():
        assert plotting._drawable(lacking) == "\ufffdx\ufffd"
        if "DejaVu Math TeX Gyre" not in plotting.add_fallback_fonts(["DejaVu Math TeX Gyre"]):
            pytest.skip("no DejaVu Math TeX Gyre font")
        assert plotting._drawable(lacking) == lacking
        assert plotting.add_fallback_fonts(["Not A Font", "DejaVu Math TeX Gyre"]) == []
