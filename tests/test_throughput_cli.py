"""``riskcast when`` and ``riskcast how-many``: output, files and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from riskcast import cli
from riskcast import throughput as tp

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
HISTORY = "3,5,4,6,2,5,4,3,6,5,4,2,5,6,4,5"
COUNTS = [int(x) for x in HISTORY.split(",")]
START = dt.date(2027, 1, 4)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_when_prints_the_exact_percentiles():
    code, out, err = run(
        "when", "-t", HISTORY, "--items", "40..55", "--split", "1.0..1.2",
        "--start", START.isoformat(), "--target", "2027-04-09",
    )  # fmt: skip
    assert code == 0, err
    exact = tp.when(COUNTS, (40, 55), split=(1.0, 1.2), start=START)
    for q in (50, 80, 85, 95):
        k = exact.percentile(q)
        row = next(line for line in out.splitlines() if line.startswith(f"P{q} "))
        assert row.split() == [f"P{q}", str(k), exact.date(k).isoformat()]
    assert "40..55 items (split x1.0..1.2)" in out
    chance = round(100 * exact.probability_by(dt.date(2027, 4, 9)))
    assert f"target 2027-04-09: {chance}% chance" in out
    assert "P(not done within 520 weeks) = 0" in out
    assert "Traceback" not in err


def test_when_json_and_text_formats():
    args = ["when", "-t", HISTORY, "-i", "40", "--start", "2027-01-04", "-c", "90"]
    code, out, _ = run(*args, "--format", "json")
    assert code == 0
    data = json.loads(out)
    exact = tp.when(COUNTS, 40)
    assert data["format"] == "riskcast-when/1"
    assert [p["confidence"] for p in data["percentiles"]] == [50, 80, 90, 95]
    assert [p["periods"] for p in data["percentiles"]] == [
        exact.percentile(q) for q in (50, 80, 90, 95)
    ]
    assert data["censored"] == 0.0 and data["files"] == []
    total = sum(row["probability"] for row in data["distribution"])
    assert total == pytest.approx(1.0, abs=1e-12)
    assert data["stability"]["stable"] is True
    assert run(*args, "--format", "text")[1] == run(*args)[1]


def test_when_writes_the_distribution_and_the_burnup_chart(tmp_path):
    out_dir = tmp_path / "out"
    code, _, err = run(
        "when", "-t", HISTORY, "-i", "100..120", "--split", "1.0..1.3", "--start", "2027-01-04",
        "--multiplier", "2027-02-15=0.5", "--out", str(out_dir), "-n", "2000",
    )  # fmt: skip
    assert code == 0, err
    assert "wrote" in err
    rows = list(csv.DictReader(io.StringIO((out_dir / "when.csv").read_text(encoding="utf-8"))))
    assert rows and set(rows[0]) == {"period", "date", "probability", "cumulative"}
    assert float(rows[-1]["cumulative"]) == pytest.approx(1.0, abs=1e-6)
    saved = json.loads((out_dir / "when.json").read_text(encoding="utf-8"))
    exact = tp.when(
        COUNTS, (100, 120), split=(1.0, 1.3), multipliers_spec={dt.date(2027, 2, 15): 0.5},
        start=START,
    )  # fmt: skip
    assert saved["percentiles"][0]["periods"] == exact.percentile(50)
    png = out_dir / "charts" / "burnup.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_how_many_matches_when():
    code, out, err = run(
        "how-many", "-t", HISTORY, "--by", "2027-03-26", "--start", "2027-01-04",
        "--items", "45", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["periods"] == 12  # twelve whole weeks from Monday 4 January to Friday 26 March
    many = tp.how_many(COUNTS, 12)
    assert [lvl["at_least"] for lvl in data["levels"]] == [
        many.at_least(q) for q in (50, 80, 85, 95)
    ]
    assert data["items"]["probability"] == tp.when(COUNTS, 45).cdf(12)


def test_how_many_table_and_chart(tmp_path):
    code, out, err = run(
        "how-many", "-t", HISTORY, "--by", "2027-03-25", "--start", "2027-01-04",
        "--out", str(tmp_path), "-n", "1000",
    )  # fmt: skip
    assert code == 0, err
    assert "11 weeks from 2027-01-04" in out  # the twelfth week is not over on Thursday
    assert "P85" in out and "at least" in out
    assert (tmp_path / "how-many.csv").is_file()
    assert (tmp_path / "charts" / "burnup.png").stat().st_size > 10_000


def test_a_csv_history_and_its_stability_warning(tmp_path):
    code, out, err = run(
        "when", "-t", str(DATA / "throughput-dates.csv"), "-i", "12", "--start", "2027-02-08"
    )
    assert code == 0, err
    assert "history: 5 weeks, 0-3 items a week" in out
    assert "too few to judge stability" in err
    shifted = tmp_path / "shifted.csv"
    lines = ["done"]
    for week in range(16):
        monday = dt.date(2026, 9, 7) + dt.timedelta(weeks=week)
        lines += [monday.isoformat()] * (1 if week < 8 else 6)
    shifted.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run("when", "-t", str(shifted), "-i", "30", "--start", "2027-01-04")
    assert code == 0
    assert "warning: throughput history: 8 weeks in a row below" in err
    code, _, err = run("when", "-t", str(shifted), "-i", "30", "--start", "2027-01-04", "-q")
    assert code == 0 and err == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["when", "-t", HISTORY, "-i", "120..100"], r"--items: the range \[120, 100\] is inverted"),
        (["when", "-t", "0,0,0", "-i", "10"], "would never be done"),
        (["when", "-t", "3,-1,4", "-i", "10"], r"--throughput\[1\]: items finished cannot be"),
        (["when", "-t", "3,2.5", "-i", "10"], r"--throughput\[1\]: must be a whole number"),
        (["when", "-t", "3,nan", "-i", "10"], r"--throughput\[1\]: must be a finite"),
        (["when", "-t", "3,x", "-i", "10"], "neither a CSV file nor items per period"),
        (["when", "-t", "nothing.csv", "-i", "10"], "nothing.csv: no such file"),
        (["when", "-t", str(DATA / "throughput-bad-date.csv"), "-i", "10"], "line 3"),
        (["when", "-t", HISTORY, "-i", "ten"], "range like 100..120"),
        (["when", "-t", HISTORY, "-i", "10", "--split", "1.3..1.0"], "inverted"),
        (["when", "-t", HISTORY, "-i", "10", "--split", "a..b"], "range like 1.0..1.3"),
        (
            [
                "when",
                "-t",
                HISTORY,
                "-i",
                "10",
                "--start",
                "2027-01-04",
                "--multiplier",
                "2026-01-01=0",
            ],
            "before the start",
        ),
        (
            ["how-many", "-t", HISTORY, "--by", "2026-12-01", "--start", "2027-01-04"],
            "before the start",
        ),
        (["how-many", "-t", HISTORY, "--by", "2027-13-01"], "expected a date"),
    ],
)
def test_bad_input_exits_2_with_a_message(argv, message, capsys):
    code, out, err = run(*argv)
    err += capsys.readouterr().err  # argparse's usage errors go to the process's stderr
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert re.search(message, err), err


def test_the_team_backlog_model_runs_from_the_cli():
    code, out, err = run(
        "run", str(ROOT / "models" / "team-backlog.toml"), "--seed", "1", "-n", "2000"
    )
    assert code == 0, err
    assert "Launch" in out
    code, out, err = run("validate", str(ROOT / "models" / "team-backlog.toml"))
    assert code == 0, err


def test_a_fresh_process_reads_a_throughput_estimate():
    # the estimate's module is imported on demand by the model reader: no import cycle
    import subprocess
    import sys

    model = Path(__file__).parent.parent / "models" / "team-backlog.toml"
    code = f"import riskcast; print(riskcast.load({str(model)!r}).tasks[1].estimate.mean)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 0
