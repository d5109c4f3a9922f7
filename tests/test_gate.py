"""``riskcast run --fail-below``: the CI gate on the probability of meeting each target."""

from __future__ import annotations

import argparse
import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from riskcast import cli
from riskcast.cli._errors import CliError
from riskcast.cli._gate import EXIT_GATE, Gate, failures, gate_spec

# "never" cannot meet its target (the work takes at least 4 working days, the target is the
# second day) and "always" always does, whatever the seed: probabilities 0 % and 100 %.
MODEL = """\
[project]
name = "Gated"
start = 2027-01-04

[[task]]
id = "build"
estimate = { pert = [4, 6, 12] }

[[milestone]]
id = "never"
name = "Never on time"
after = ["build"]
target = 2027-01-05

[[task]]
id = "ship"
estimate = { triangular = [1, 2, 4] }
after = ["never"]

[[milestone]]
id = "always"
name = "Always on time"
after = ["ship"]
target = 2027-12-31

[[milestone]]
id = "open"
name = "No target"
after = ["ship"]
"""
NO_TARGETS = MODEL.replace("target = 2027-01-05\n", "").replace("target = 2027-12-31\n", "")
RUN = ["--iterations", "2000", "--seed", "3", "--no-charts"]
NEVER_LINE = "gate: Never on time 0% < 50% by its target 2027-01-05"


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "gated.toml"
    path.write_text(MODEL, encoding="utf-8")
    return path


def main(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_passing_gate_exits_0(model):
    code, out, err = main("run", model, *RUN, "--fail-below", "always=100")
    assert code == 0
    assert "Always on time" in out and "gate:" not in err


def test_failing_gate_prints_the_forecast_then_a_line_per_milestone_and_exits_1(model):
    code, out, err = main("run", model, *RUN, "--fail-below", "50")
    assert code == EXIT_GATE == 1
    assert "Never on time" in out and "Always on time" in out  # the table is still printed
    gate_lines = [line for line in err.splitlines() if line.startswith("gate:")]
    assert gate_lines == [NEVER_LINE]  # "open" has no target: the plain form skips it


def test_failing_gate_still_writes_the_outputs(model, tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = main(
        "run", model, *RUN, "--format", "json", "--out", out_dir, "--fail-below", "50"
    )
    assert code == 1
    assert json.loads(out)["milestones"][0]["probability_of_target"] == 0.0
    assert (out_dir / "forecast.json").is_file() and (out_dir / "milestones.csv").is_file()
    assert NEVER_LINE in err


def test_per_milestone_thresholds_override_the_plain_one(model):
    code, _, err = main("run", model, *RUN, "--fail-below", "100", "--fail-below", "never=0.01")
    assert code == 1  # never: 0 % < 0.01 %; always: 100 % is not below 100 %
    assert err.count("gate:") == 1 and "gate: Never on time 0% < 0.01%" in err
    code, _, err = main("run", model, *RUN, "--fail-below", "always=100,never=1")
    assert code == 1 and err.count("gate:") == 1 and "Never on time" in err
    code, _, _ = main("run", model, *RUN, "--fail-below", "always=99.5")
    assert code == 0


def test_plain_gate_covers_only_the_milestones_shown(model):
    code, _, err = main("run", model, *RUN, "--milestone", "always", "--fail-below", "50")
    assert code == 0 and "gate:" not in err
    code, _, err = main("run", model, *RUN, "--milestone", "open", "--fail-below", "50")
    assert code == 2 and "no milestone shown has a target" in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nevr=50", 'no milestone "nevr"; did you mean "never"?'),
        ("open=50", 'milestone "open" has no target date'),
        ("finish=50", 'milestone "finish" has no target date'),
        ("0", "(0, 100]"),
        ("101", "(0, 100]"),
        ("nan", "(0, 100]"),
        ("eighty", "expected a percentage"),
        ("=80", "milestone id is missing"),
        ("never=80,", "empty entry"),
        ("never=80,never=90", 'milestone "never" is given twice'),
    ],
)
def test_bad_gates_exit_2_before_simulating(model, value, message, capsys):
    code, out, err = main("run", model, *RUN, "--fail-below", value)
    err += capsys.readouterr().err  # argparse reports a bad option value on sys.stderr
    assert code == 2
    assert message in err and out == "" and "Traceback" not in err


def test_plain_gate_on_a_model_without_targets_exits_2(tmp_path):
    path = tmp_path / "open.toml"
    path.write_text(NO_TARGETS, encoding="utf-8")
    code, _, err = main("run", path, *RUN, "--fail-below", "80")
    assert code == 2 and "nothing to gate" in err


def test_two_plain_thresholds_exit_2(model):
    code, _, err = main("run", model, *RUN, "--fail-below", "80", "--fail-below", "70")
    assert code == 2 and "plain percentage is given twice" in err


def test_help_documents_the_gate_exit_code(capsys):
    for args in (["--help"], ["run", "--help"]):
        code, _, _ = main(*args)
        out = capsys.readouterr().out  # argparse prints --help on sys.stdout
        assert code == 0
        assert re.search(r"1 +validate --strict.*\n +run --fail-below", out)


# -- the gate's logic ------------------------------------------------------------------------------
def test_gate_spec_reads_plain_named_and_percent_forms():
    assert gate_spec("80") == [(None, 80.0)]
    assert gate_spec("80%") == [(None, 80.0)]
    assert gate_spec(" ga = 80 , beta=60.5 ") == [("ga", 80.0), ("beta", 60.5)]
    assert gate_spec("100") == [(None, 100.0)]
    with pytest.raises(argparse.ArgumentTypeError):
        gate_spec("")


def _forecast(*shares: float) -> SimpleNamespace:
    import datetime as dt

    target = dt.date(2027, 6, 30)
    return SimpleNamespace(
        milestones=[
            SimpleNamespace(id=f"m{k}", name=f"M{k}", target=target, target_probability=share)
            for k, share in enumerate(shares)
        ]
    )


def test_failures_name_each_milestone_below_its_threshold_in_model_order():
    forecast = _forecast(0.54, 0.9, 0.2)
    lines = failures({"m2": 30.0, "m0": 80.0, "m1": 80.0}, forecast)
    assert lines == [
        "gate: M0 54% < 80% by its target 2027-06-30",
        "gate: M2 20% < 30% by its target 2027-06-30",
    ]


def test_a_share_equal_to_the_threshold_passes_despite_round_off():
    # 0.57 * 100 is 56.99999999999999 in floating point: still "57 %", not below 57 %
    assert failures({"m0": 57.0}, _forecast(0.57)) == []
    assert failures({"m0": 57.0}, _forecast(0.5699)) != []


def test_a_share_just_below_shows_the_decimals_that_make_it_visibly_below():
    (line,) = failures({"m0": 80.0}, _forecast(0.7996))
    assert "79.96% < 80%" in line


def test_gate_from_options_combines_and_checks_repeats():
    gate = Gate.from_options([[(None, 80.0)], [("ga", 90.0), ("beta", 60.0)]])
    assert gate == Gate(80.0, {"ga": 90.0, "beta": 60.0})
    assert Gate.from_options(None) is None
    with pytest.raises(CliError, match="given twice"):
        Gate.from_options([[("ga", 90.0)], [("ga", 80.0)]])
