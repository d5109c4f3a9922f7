"""What the command line shows on a terminal while it works: the kernels' compilation, a progress
bar that moves at least every second, the charts being drawn; and nothing of it when stderr is
not a terminal or with --quiet. The adaptive batch changes no result."""

from __future__ import annotations

import io
import itertools
import re
import time
from pathlib import Path

import pytest

import riskcast
from riskcast import cli
from riskcast.cli import _common
from riskcast.engine.kernels import CHUNK

ROOT = Path(__file__).resolve().parents[1]
CHECKOUT = ROOT / "models" / "checkout-redesign.toml"
RISKS = ROOT / "models" / "checkout-risks.toml"


class Terminal(io.StringIO):
    """A stderr that says it is a terminal and records when each write came."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[float, str]] = []

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.times.append((time.monotonic(), text))
        return super().write(text)


def riskcast_cli(*args: object, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def screens(err: str) -> list[str]:
    """Each state of the redrawn line, trailing padding removed."""
    return [part.rstrip() for part in err.split("\r") if part.strip()]


@pytest.fixture(scope="module")
def big_model(tmp_path_factory) -> Path:
    """3,000 tasks: a few seconds for 30,000 runs on one thread."""
    lines = ['[project]\nname = "Big"\nstart = 2027-01-04\n']
    for k in range(3000):
        after = f'after = ["t{k - 1}", "t{k // 2}"]\n' if k > 2 else ""
        lines.append(f'[[task]]\nid = "t{k}"\nestimate = {{ pert = [2, 3, 6] }}\n{after}')
    lines.append('[[milestone]]\nid = "done"\nafter = ["t2999"]\n')
    path = tmp_path_factory.mktemp("big") / "big.toml"
    path.write_text("\n".join(lines))
    return path


def test_status_lines_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setattr(_common, "kernels_cold", lambda: True)
    err = Terminal()
    code, out, text = riskcast_cli(
        "run", CHECKOUT, "-n", 4000, "--seed", 1, "--out", tmp_path / "out", stderr=err
    )
    assert code == 0, text
    shown = screens(text)
    assert shown[0].startswith(_common.COMPILING)
    assert any(re.match(r"simulating \[#+\] 4,000/4,000 runs", s) for s in shown)
    assert "computing the task statistics…" in shown
    n = len(list((tmp_path / "out" / "charts").iterdir()))
    assert f"drawing {n} charts…" in shown
    # every status line is erased before the note of the files written
    before, note = text.rsplit("wrote ", 1)
    assert before.endswith("\r") and before.rsplit("\r", 2)[-2].strip() == ""
    assert note.startswith(str(tmp_path / "out"))
    assert "4,000 runs, seed 1" in out


def test_drivers_and_mitigation_say_they_simulate(tmp_path):
    for command in ("drivers", "mitigation"):
        err = Terminal()
        code, _, text = riskcast_cli(command, RISKS, "-n", 1000, "--seed", 2, stderr=err)
        assert code == 0, text
        assert any("simulating every scenario (1,000 runs each)…" in s for s in screens(text))
        assert text.endswith("\r")  # erased; nothing else to note with a seed and no --out


def test_the_bar_moves_at_least_every_second_on_a_slow_run(big_model):
    err = Terminal()
    began = time.monotonic()
    code, _, text = riskcast_cli(
        "run", big_model, "-n", 30000, "--seed", 3, "--threads", 1, stderr=err
    )
    assert code == 0, text
    bar = [(t, s) for t, s in err.times if "simulating" in s or "compiling" in s]
    times = [began] + [t for t, _ in bar]
    assert max(b - a for a, b in itertools.pairwise(times)) < 1.0
    counts = {m.group(1) for _, s in bar if (m := re.search(r"\] ([\d,]+)/30,000 runs", s))}
    assert "30,000" in counts and len(counts) >= 3, counts  # the count itself moves too


def test_nothing_extra_without_a_terminal_or_with_quiet():
    _, _, piped = riskcast_cli("run", CHECKOUT, "-n", 2000, "--seed", 4)
    assert piped == ""
    _, _, quiet = riskcast_cli("run", CHECKOUT, "-n", 2000, "--seed", 4, "-q", stderr=Terminal())
    assert quiet == ""
    _, _, drivers = riskcast_cli("drivers", RISKS, "-n", 1000, "--seed", 4, "-q", stderr=Terminal())
    assert drivers == ""
    _, _, json_out = riskcast_cli(
        "run", CHECKOUT, "-n", 2000, "--seed", 4, "--format", "json", stderr=Terminal()
    )
    assert json_out == ""


def test_the_adaptive_batch_changes_no_result(big_model, monkeypatch):
    calls: list[tuple[int | None, str]] = []
    simulate = riskcast.simulate

    def spy(project, **kwargs):
        forecast = simulate(project, **kwargs)
        calls.append((kwargs.get("batch"), forecast.to_json()))
        return forecast

    monkeypatch.setattr(riskcast, "simulate", spy)
    # as if a run took a millisecond: one chunk (1,024 runs) per batch on one thread
    monkeypatch.setattr(
        _common, "_seconds_per_activity_run", 1e-3 / _common._activities(riskcast.load(big_model))
    )
    args = ("run", big_model, "-n", 12000, "--seed", 5, "--threads", 1)
    _, on_terminal, _ = riskcast_cli(*args, stderr=Terminal())
    _, piped, _ = riskcast_cli(*args)
    (batch, adaptive), (default, plain) = calls
    assert default is None and batch is not None and batch == CHUNK
    assert on_terminal == piped
    assert adaptive == plain  # the whole forecast, bit for bit


def test_adaptive_batch_is_whole_rounds_of_chunks_of_about_half_a_second(monkeypatch):
    project = riskcast.load(CHECKOUT)
    activities = _common._activities(project)
    most = 16 * CHUNK  # riskcast.simulate's default batch
    for threads in (1, 2, 3, 8, 32):
        one_round = CHUNK * threads  # one chunk per thread
        for seconds_per_run in (1e-7, 1e-5, 1e-4, 1e-3, 1.0):  # wall time
            cost = seconds_per_run * threads / activities
            monkeypatch.setattr(_common, "_seconds_per_activity_run", cost)
            batch = _common.adaptive_batch(project, threads)
            if one_round >= most:
                assert batch == most
                continue
            assert batch % one_round == 0 and one_round <= batch <= most
            if batch > one_round:  # not the least: at most half a second
                assert batch * seconds_per_run <= _common.UPDATE_SECONDS
            if batch + one_round <= most:  # not the most: another round would take longer
                assert (batch + one_round) * seconds_per_run > _common.UPDATE_SECONDS
