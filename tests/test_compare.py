"""``riskcast.compare`` and ``riskcast compare``: two versions of a plan on the same random
numbers, the move of each milestone and the changes that made it."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc
from riskcast import cli
from riskcast.changes import ENTITIES, EXISTS, PROJECT_KINDS, SILENT, apply, diff
from riskcast.compare import MAX_STEPS, compare

N = 2000

BASE = """\
[project]
name = "Weekly"
start = 2027-01-04

[[task]]
id = "design"
estimate = { pert = [3, 5, 9] }

[[task]]
id = "build"
estimate = { pert = [10, 15, 30] }
after = ["design"]

[[task]]
id = "test"
estimate = { triangular = [3, 4, 8] }
after = ["build"]

[[task]]
id = "docs"
estimate = { uniform = [4, 8] }
after = ["design"]

[[milestone]]
id = "beta"
name = "Beta"
after = ["test"]
target = 2027-02-26

[[task]]
id = "rollout"
estimate = { pert = [2, 3, 6] }
after = ["beta", "docs"]

[[milestone]]
id = "ga"
name = "GA"
after = ["rollout"]
target = 2027-03-12

[[risk]]
id = "vendor"
probability = 0.3
impacts = [{ task = "build", add = { triangular = [2, 4, 10] } }]
"""
NEW_ESTIMATE = BASE.replace("pert = [10, 15, 30]", "pert = [12, 18, 35]")
# a hardening task inserted between test and beta, and the vendor risk gone
HARDENING = """
[[task]]
id = "hardening"
estimate = { triangular = [2, 3, 6] }
after = ["test"]
"""
INSERTED = (
    BASE.replace('after = ["test"]\ntarget', 'after = ["hardening"]\ntarget')
    .replace('[[milestone]]\nid = "beta"', HARDENING + '\n[[milestone]]\nid = "beta"')
    .split("[[risk]]")[0]
)


def load(tmp_path: Path, text: str, name: str) -> rc.Project:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return rc.load(path)


@pytest.fixture
def base(tmp_path):
    return load(tmp_path, BASE, "base")


def _sums_exactly(result) -> None:
    """Every milestone's step contributions add up to its move, exactly (P80 and mean)."""
    for m in result.milestones:
        assert sum(step.p80_days[m.id] for step in result.steps) == m.move(80)
        assert sum(step.mean_days[m.id] for step in result.steps) == m.mean_move


# -- the API --------------------------------------------------------------------------------------
def test_a_model_compared_with_itself_moves_exactly_zero(tmp_path, base):
    again = load(tmp_path, BASE.replace('name = "Weekly"', 'name = "Weekly v2"'), "again")
    result = compare(base, again, iterations=N, seed=5)
    assert result.changes == () and result.steps == ()
    assert [m.id for m in result.milestones] == ["beta", "ga"]  # the finish is ga in every run
    for m in result.milestones:
        assert np.array_equal(m.old_days, m.new_days)
        assert m.move(80) == m.move(50) == m.mean_move == 0.0
        assert m.p80_interval == (0.0, 0.0)
        assert m.mean_se == 0.0 and m.mean_interval == (0.0, 0.0)
        assert m.old.percentile(80) == m.new.percentile(80)


def test_one_estimate_change_is_named_and_carries_the_whole_move(tmp_path, base):
    new = load(tmp_path, NEW_ESTIMATE, "new")
    (change,) = diff(base, new)
    assert change.kind == "task-estimate" and change.id == "build"
    assert change.text == "task build: estimate pert(10, 15, 30) → pert(12, 18, 35)"
    result = compare(base, new, iterations=N, seed=5)
    (step,) = result.steps
    assert step.changes == (change,) and step.note == ""
    for m in result.milestones:
        assert step.p80_days[m.id] == m.move(80) > 0
        assert step.mean_days[m.id] == m.mean_move > 0
        lo, hi = m.p80_interval
        assert lo <= m.move(80) <= hi


def test_changes_add_up_exactly_to_the_total(tmp_path, base):
    text = NEW_ESTIMATE.replace("uniform = [4, 8]", "uniform = [20, 30]").replace(
        "start = 2027-01-04", "start = 2027-01-11"
    )
    new = load(tmp_path, text, "new")
    result = compare(base, new, iterations=N, seed=9)
    kinds = [[c.kind for c in step.changes] for step in result.steps]
    assert kinds == [["project-start"], ["task-estimate"], ["task-estimate"]]
    # a week later on the same calendar: every run moves by exactly 5 working days
    assert all(step == 5.0 for step in result.steps[0].p80_days.values())
    assert all(step == 5.0 for step in result.steps[0].mean_days.values())
    assert result.continuous
    _sums_exactly(result)
    assert result.steps[2].p80_days["ga"] > 0 and result.steps[2].p80_days["beta"] == 0


def test_an_added_task_and_a_removed_risk_are_named(tmp_path, base):
    new = load(tmp_path, INSERTED, "new")
    changes = diff(base, new)
    texts = {c.kind: c.text for c in changes}
    assert texts["task-added"] == "task hardening added: triangular(2, 3, 6), after test"
    assert texts["milestone-links"] == "milestone beta: links test → hardening"
    assert texts["risk-removed"].startswith("risk vendor removed (was probability 0.3, hits build")
    result = compare(base, new, iterations=N, seed=5)
    grouped, removed = result.steps
    # the new task and the link to it are one step: the link cannot be made without the task
    assert {c.kind for c in grouped.changes} == {"task-added", "milestone-links"}
    assert "refer to each other" in grouped.note
    assert grouped.p80_days["beta"] > 0 and removed.p80_days["beta"] < 0
    _sums_exactly(result)


def test_a_change_that_alone_would_make_a_cycle_is_made_with_the_next(tmp_path, base):
    # build and test swap places: test after design, build after test, beta after build
    swapped = (
        BASE.replace(
            'id = "build"\nestimate = { pert = [10, 15, 30] }\nafter = ["design"]',
            'id = "build"\nestimate = { pert = [10, 15, 30] }\nafter = ["test"]',
        )
        .replace('after = ["build"]', 'after = ["design"]')
        .replace('after = ["test"]\ntarget', 'after = ["build"]\ntarget')
    )
    new = load(tmp_path, swapped, "new")
    changes = diff(base, new)
    assert [c.text for c in changes] == [
        "task build: links design → test",
        "task test: links build → design",
        "milestone beta: links test → build",
    ]
    with pytest.raises(rc.CycleError):
        rc.validate(apply(base, new, changes[:1]))
    result = compare(base, new, iterations=N, seed=5)
    first, second = result.steps
    assert first.changes == tuple(changes[:2]) and second.changes == (changes[2],)
    assert "invalid" in first.note and "cycle" in first.note
    _sums_exactly(result)


def test_paired_standard_error_is_below_the_unpaired_one(tmp_path, base):
    new = load(tmp_path, NEW_ESTIMATE, "new")
    result = compare(base, new, iterations=N, seed=5)
    for m in result.milestones:
        n = len(m.old_days)
        unpaired = math.sqrt(np.var(m.old_days, ddof=1) / n + np.var(m.new_days, ddof=1) / n)
        assert m.unpaired_se == pytest.approx(unpaired)
        assert m.mean_se < unpaired / 2  # the unchanged tasks' noise cancels run by run
        lo, hi = m.mean_interval
        assert lo < m.mean_move < hi


def test_applying_every_change_gives_the_new_version(tmp_path, base):
    for text in (NEW_ESTIMATE, INSERTED):
        new = load(tmp_path, text, "new")
        assert apply(base, new, diff(base, new)) == new
        assert apply(base, new, []) == dataclasses.replace(base, source=new.source)


def test_more_changes_than_steps_are_attributed_by_kind(tmp_path):
    chain = '[project]\nname = "Chain"\nstart = 2027-01-04\n'
    tasks = MAX_STEPS + 5
    for k in range(tasks):
        after = f'after = ["t{k - 1}"]\n' if k else ""
        chain += f'\n[[task]]\nid = "t{k}"\nestimate = {{ pert = [1, 2, 4] }}\n{after}'
    chain += f'\n[[milestone]]\nid = "end"\nafter = ["t{tasks - 1}"]\n'
    old = load(tmp_path, chain, "old")
    new = load(tmp_path, chain.replace("pert = [1, 2, 4]", "pert = [1, 3, 5]"), "new")
    result = compare(old, new, iterations=N)
    assert len(result.changes) == tasks
    (step,) = result.steps
    assert [c.kind for c in step.changes] == ["task-estimate"] * tasks
    assert result.notes and "attributed by kind" in result.notes[0]
    _sums_exactly(result)


def test_a_new_holiday_is_counted_by_delivery_date(tmp_path):
    team = 'start = 2027-01-04\ncalendar = "team"\n\n[calendars.team]\nworkdays = ["mon", "tue", "wed", "thu", "fri"]\n'
    text = BASE.replace("start = 2027-01-04\n", team)
    base = load(tmp_path, text, "base")
    text = text.replace('"fri"]\n', '"fri"]\nholidays = [2027-01-06]\n')
    new = load(tmp_path, text, "new")
    (change,) = diff(base, new)
    assert change.kind == "project-calendars" and "holidays added 2027-01-06" in change.text
    result = compare(base, new, iterations=N, seed=5)
    assert not result.continuous
    for m in result.milestones:  # whole working days: every run one working day later
        assert m.move(80) == m.mean_move == 1.0
        assert m.new.percentile(80) > m.old.percentile(80)
    _sums_exactly(result)


def test_milestones_must_be_in_both_versions(tmp_path, base):
    other = load(tmp_path, BASE.replace('"beta"', '"alpha"').replace('"ga"', '"launch"'), "o")
    with pytest.raises(rc.ArgumentError, match="no milestone is in both versions"):
        compare(base, other, iterations=N)
    only = compare(base, other, iterations=N, milestones=["finish"])
    assert [m.id for m in only.milestones] == ["finish"]
    with pytest.raises(rc.ArgumentError, match='did you mean "beta"'):
        compare(base, base, iterations=N, milestones=["betta"])
    with pytest.raises(rc.ArgumentError, match="iterations"):
        compare(base, base, iterations=1)


def test_every_field_is_compared_or_known_to_change_no_number():
    kinds = {name: kinds for name, (_, _, kinds) in ENTITIES.items()}
    kinds["project"] = PROJECT_KINDS
    classes = {name: cls for name, (_, cls, _) in ENTITIES.items()} | {"project": rc.Project}
    for name, cls in classes.items():
        covered = {f for fields in kinds[name].values() for f in fields} | set(SILENT[name])
        attrs = {"tasks", "milestones", "risks"} if name == "project" else {"id"}
        assert {f.name for f in dataclasses.fields(cls)} == covered | attrs, name
    assert EXISTS not in {f.name for cls in classes.values() for f in dataclasses.fields(cls)}


# -- the command line -----------------------------------------------------------------------------
def main(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    old.write_text(BASE, encoding="utf-8")
    new.write_text(INSERTED.replace("pert = [10, 15, 30]", "pert = [12, 18, 35]"), encoding="utf-8")
    return old, new


def test_cli_table_names_the_changes_and_the_total(files):
    code, out, err = main("compare", *files, "-n", N, "--seed", "4")
    assert code == 0, err
    assert "old.toml → new.toml — 2,000 runs per version, seed 4" in out
    assert "task build: estimate pert(10, 15, 30) → pert(12, 18, 35)" in out
    assert "task hardening added" in out and "risk vendor removed" in out
    assert "together: they refer to each other's ids" in out
    assert "total" in out and "Beta" in out and "GA" in out


def test_cli_json_matches_the_api_and_sums(files):
    code, out, _ = main("compare", *files, "-n", N, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "riskcast-compare/1" and data["seed"] == 1
    result = compare(rc.load(files[0]), rc.load(files[1]), iterations=N)
    assert [m["id"] for m in data["milestones"]] == ["beta", "ga"]
    for m, api in zip(data["milestones"], result.milestones, strict=True):
        assert m["p80_move_days"] == api.move(80)
        assert sum(step["p80_days"][m["id"]] for step in data["steps"]) == m["p80_move_days"]
        assert m["old"]["p80"] == api.old.percentile(80).isoformat()
    assert [c["text"] for c in data["changes"]] == [c.text for c in result.changes]


def test_cli_csv_and_out_folder(files, tmp_path):
    out_dir = tmp_path / "out"
    code, out, _ = main("compare", *files, "-n", N, "--format", "csv", "--out", out_dir)
    assert code == 0
    written = (out_dir / "compare.csv").read_text(encoding="utf-8")
    assert written == out
    rows = list(csv.DictReader(io.StringIO(out)))
    totals = [r for r in rows if r["step"] == "total"]
    assert [r["milestone"] for r in totals] == ["beta", "ga"]
    assert totals[0]["old_p80"] and totals[0]["p80_low_days"] and totals[0]["mean_se_days"]
    steps = [r for r in rows if r["milestone"] == "beta" and r["step"] != "total"]
    assert {r["kind"] for r in steps} >= {"task-estimate", "risk-removed"}


def test_cli_errors_exit_2(files, tmp_path):
    old, new = files
    code, _, err = main("compare", old, tmp_path / "missing.toml", "-n", N)
    assert code == 2 and "missing.toml" in err
    other = tmp_path / "other.toml"
    other.write_text(BASE.replace('"beta"', '"alpha"').replace('"ga"', '"launch"'), "utf-8")
    code, _, err = main("compare", old, other, "-n", N)
    assert code == 2 and "no milestone is in both versions" in err
    code, _, err = main("compare", old, new, "-n", N, "-m", "gaa")
    assert code == 2 and 'did you mean "ga"' in err
    broken = tmp_path / "broken.toml"
    broken.write_text(BASE.replace('after = ["design"]', 'after = ["desing"]', 1), "utf-8")
    code, _, err = main("compare", old, broken, "-n", N)
    assert code == 2 and "desing" in err and "Traceback" not in err
