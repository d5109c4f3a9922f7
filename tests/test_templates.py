"""Uncertainty templates (rules) and the TOML model writer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from pathlib import Path

import pytest

from riskcast.calendar import Calendar
from riskcast.distributions import Fixed, LogNormal, Pert, Triangular, Uniform, from_spec
from riskcast.errors import ModelError
from riskcast.io.schedules import read_schedule
from riskcast.io.templates import Rule, apply_rules, parse_rule, rule_from_spec
from riskcast.io.writer import write_model_toml
from riskcast.model import Assignment, Link, Milestone, Project, Resource, Task

DATA = Path(__file__).parent / "data" / "mpxj"


def plan() -> Project:
    return Project(
        name="Plan",
        start=dt.date(2027, 1, 4),
        tasks=(
            Task("spec", Fixed(10.0), "Write spec", tags={"wbs": "Phase 1 / Design"}),
            Task(
                "design", Fixed(20.0), "Design UI", tags={"wbs": "Phase 1 / Design", "team": "ux"}
            ),
            Task("api", Fixed(8.0), "Build API", tags={"team": "backend"}),
            Task("known", Triangular(1, 2, 3), "Known range"),
            Task("gate", Fixed(0.0), "Gate"),
        ),
        milestones=(Milestone("beta", ("api",), "Beta"),),
    )


# --- parse_rule -------------------------------------------------------------------------------


def test_parse_rule_forms():
    assert parse_rule("pert(-10%, 0%, +30%)") == Rule("pert", (-10, 0, 30))
    assert parse_rule("design*: triangular(-5%, 0%, +50%)") == Rule(
        "triangular", (-5, 0, 50), "design*"
    )
    assert parse_rule("wbs:Phase 1*: uniform(-10%, +20%)") == Rule(
        "uniform", (-10, 20), "Phase 1*", "wbs"
    )
    assert parse_rule("tag.team:backend: PERT(-5%, 0, 25%)") == Rule(
        "pert", (-5, 0, 25), "backend", "tag.team"
    )
    assert parse_rule("id:a?: pert(0%, 10%, 20.5%)").percents == (0.0, 10.0, 20.5)
    # A name pattern may hold a colon after a space-separated word.
    assert parse_rule("Phase 1: review*: pert(-1%, 0%, 1%)").pattern == "Phase 1: review*"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty rule"),
        ("pert(-10%, +30%)", "pert takes 3 percentages"),
        ("uniform(-10%, 0%, +30%)", "uniform takes 2 percentages"),
        ("normal(-10%, 0%, +30%)", "unknown kind 'normal'"),
        ("pret(-10%, 0%, +30%)", 'did you mean "pert"'),
        ("pert(-10, 0%, +30%)", "'-10' in .* is not a percentage"),
        ("pert(-10%, 0%, x%)", "is not a percentage"),
        ("pert(+10%, 0%, +30%)", "must be in order low, most likely, high"),
        ("pert(-120%, 0%, +30%)", "must be >= -100%"),
        ("nmae:design*: pert(-10%, 0%, +30%)", "unknown field 'nmae'.*did you mean \"name\""),
        ("design* pert(-10%, 0%, +30%)", "cannot read"),
        (": pert(-10%, 0%, +30%)", "empty pattern"),
    ],
)
def test_parse_rule_errors(text, message):
    with pytest.raises(ModelError, match=message) as info:
        parse_rule(text)
    text_shown = str(info.value)
    assert repr(text) in text_shown  # the rule is named
    assert "e.g." in text_shown or "must be" in text_shown  # with an example or the limit


def test_rule_spec_round_trip():
    for text in (
        "pert(-10%, 0%, +30%)",
        "design*: triangular(-5%, 0%, +50%)",
        "wbs:Phase 1*: uniform(-10%, +20%)",
        "tag.team:ux: pert(-2.5%, 0%, 7.25%)",
    ):
        rule = parse_rule(text)
        assert rule_from_spec(rule.to_spec(), "[[uncertainty]][0]") == rule
        assert parse_rule(str(rule)) == rule
    assert parse_rule("pert(-10%, 0%, +30%)").to_spec() == {
        "match": "*",
        "estimate": "pert(-10%, 0%, +30%)",
    }


def test_rule_from_spec_defaults_and_errors():
    assert rule_from_spec({"estimate": "pert(-10%, 0%, +30%)"}, "x") == Rule("pert", (-10, 0, 30))
    with pytest.raises(ModelError, match=r'uncertainty\[2\]: unknown key "macth".*did you mean'):
        rule_from_spec({"macth": "*", "estimate": "pert(-1%, 0%, 1%)"}, "uncertainty[2]")
    with pytest.raises(ModelError, match=r"uncertainty\[0\]: missing estimate"):
        rule_from_spec({"match": "*"}, "uncertainty[0]")
    with pytest.raises(ModelError, match=r"u\[1\] > field: unknown field 'team'"):
        rule_from_spec({"field": "team", "estimate": "pert(-1%, 0%, 1%)"}, "u[1]")
    with pytest.raises(ModelError, match=r"u\[1\] > estimate: unknown kind"):
        rule_from_spec({"estimate": "beta(-1%, 0%, 1%)"}, "u[1]")
    with pytest.raises(ModelError, match=r"u\[1\] > match: must be a string"):
        rule_from_spec({"match": 3, "estimate": "pert(-1%, 0%, 1%)"}, "u[1]")


# --- apply_rules ---------------------------------------------------------------------------------


def test_last_matching_rule_wins_and_values_are_exact():
    rules = [
        parse_rule("pert(-10%, 0%, +30%)"),
        parse_rule("design*: triangular(-5%, 0%, +50%)"),
        parse_rule("tag.team:backend: uniform(-25%, +50%)"),
    ]
    out = apply_rules(plan(), rules)
    assert out.task("spec").estimate == Pert(9.0, 10.0, 13.0)  # only the general rule
    assert out.task("design").estimate == Triangular(19.0, 20.0, 30.0)  # 20 x 0.95, 1, 1.5
    assert out.task("api").estimate == Uniform(6.0, 12.0)  # 8 x 0.75, 8 x 1.5
    # Reversed order: the general rule comes last and wins everywhere.
    out = apply_rules(plan(), rules[::-1])
    assert out.task("design").estimate == Pert(18.0, 20.0, 26.0)


def test_explicit_distributions_and_zero_durations_untouched():
    p = plan()
    out = apply_rules(p, ["pert(-10%, 0%, +30%)"])
    assert out.task("known").estimate == Triangular(1, 2, 3)
    assert out.task("gate").estimate == Fixed(0.0)
    assert out.milestones == p.milestones
    assert apply_rules(p, []) is p
    assert p.task("spec").estimate == Fixed(10.0)  # the input is not modified


def test_fields_wbs_id_and_missing_tags():
    out = apply_rules(
        plan(),
        [
            "wbs:phase 1 / *: pert(0%, 0%, +10%)",
            "id:API: pert(-50%, 0%, 0%)",
            "tag.owner:*: uniform(-99%, +99%)",
        ],
    )
    assert out.task("spec").estimate == Pert(10.0, 10.0, 11.0)  # case-insensitive glob
    assert out.task("api").estimate == Pert(4.0, 8.0, 8.0)
    # No task has an "owner" tag: that rule matches nothing.
    assert all(not isinstance(t.estimate, Uniform) for t in out.tasks)


def test_read_schedule_applies_rules():
    result = read_schedule(DATA / "mspdi" / "mspdirelations.xml", ["pert(-10%, 0%, +30%)"])
    assert {t.estimate for t in result.project.tasks} == {Pert(0.9, 1.0, 1.3)}


# --- writer ---------------------------------------------------------------------------------


def rich_project() -> Project:
    return Project(
        name='Say "hi" \\ to\nnewlines',
        start=dt.date(2027, 1, 4),
        calendar=Calendar(("mon", "tue", "wed", "thu"), (dt.date(2027, 4, 1),), 7.5),
        resources=(Resource("dev", 'Dev "A"', 640.0), Resource("qa", "", 0.0)),
        tasks=(
            Task(
                "spec", Pert(3, 5, 10), "Spec", tags={"wbs": "Phase 1 / Design", "odd key": "x\ty"}
            ),
            Task(
                "api",
                Fixed(12.5),
                "Build API",
                after=(Link("spec"), Link("design", "SS", 3.0), Link("spec", "FF", -1.5)),
                not_before=dt.date(2027, 2, 1),
                percent_complete=40.0,
                actual_start=dt.date(2027, 1, 5),
                assignments=(Assignment("dev", 0.5), Assignment("qa", 1.0)),
            ),
            Task(
                "design",
                LogNormal(1.0, 0.5),
                "Design",
                actual_start=dt.date(2027, 1, 4),
                actual_finish=dt.date(2027, 1, 20),
            ),
        ),
        milestones=(
            Milestone("beta", ("api", Link("spec", "SS", 2.0)), "Beta", dt.date(2027, 3, 1)),
        ),
        source="C:\\plans\\x.xml",
        status_date=dt.date(2027, 1, 25),
    )


def link_spec(link: Link):
    return {"task": link.predecessor, "type": link.type, "lag": link.lag}


def norm(item) -> dict:
    if isinstance(item, str):
        return {"task": item, "type": "FS", "lag": 0.0}
    return {"task": item["task"], "type": item.get("type", "FS"), "lag": item.get("lag", 0.0)}


def test_writer_round_trips_every_field(tmp_path):
    project = rich_project()
    rules = [parse_rule("pert(-10%, 0%, +30%)"), "wbs:Phase*: uniform(-5%, +5%)"]
    path = write_model_toml(project, tmp_path / "model.toml", rules, notes=["a note\nsecond"])
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# riskcast model imported from C:\\plans\\x.xml")
    assert "[[uncertainty]]" in text.split("[project]")[0]  # the how-to comment
    data = tomllib.loads(text)
    assert data["project"] == {
        "name": project.name,
        "start": project.start,
        "calendar": "main",
        "status_date": project.status_date,
    }
    assert data["calendars"]["main"] == {
        "workdays": ["mon", "tue", "wed", "thu"],
        "holidays": [dt.date(2027, 4, 1)],
        "hours_per_day": 7.5,
    }
    assert data["resource"] == [
        {"id": "dev", "name": 'Dev "A"', "rate": 640.0},
        {"id": "qa", "rate": 0.0},
    ]
    assert len(data["task"]) == len(project.tasks)
    for spec, task in zip(data["task"], project.tasks, strict=True):
        assert spec["id"] == task.id and spec["name"] == task.name
        assert from_spec(spec["estimate"]) == task.estimate
        assert [norm(a) for a in spec.get("after", [])] == [link_spec(k) for k in task.after]
        assert spec.get("tags", {}) == dict(task.tags)
        for key in ("not_before", "actual_start", "actual_finish"):
            assert spec.get(key) == getattr(task, key)
        assert spec.get("percent_complete", 0.0) == task.percent_complete
        assert [Assignment(a["resource"], a["units"]) for a in spec.get("assignments", [])] == list(
            task.assignments
        )
    (m,) = data["milestone"]
    beta = project.milestones[0]
    assert (m["id"], m["name"], m["target"]) == (beta.id, beta.name, beta.target)
    assert [norm(a) for a in m["after"]] == [link_spec(k) for k in beta.after]
    read_back = [rule_from_spec(u, f"uncertainty[{k}]") for k, u in enumerate(data["uncertainty"])]
    assert read_back == [parse_rule(r) if isinstance(r, str) else r for r in rules]


def test_writer_round_trips_an_imported_schedule(tmp_path):
    result = read_schedule(DATA / "mspdi" / "sample1.xml")
    path = write_model_toml(result.project, tmp_path / "sample1.toml", notes=result.warnings)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [t["id"] for t in data["task"]] == [t.id for t in result.project.tasks]
    assert [from_spec(t["estimate"]) for t in data["task"]] == [
        t.estimate for t in result.project.tasks
    ]
    assert {r["id"]: r["rate"] for r in data["resource"]} == {"1": 80.0, "2": 40.0}


def test_writer_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.toml"
    path.write_text("old", encoding="utf-8")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_model_toml(plan(), path)
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.toml"]  # no temp file left


def test_written_model_loads_with_the_model_loader(tmp_path):
    import riskcast

    project = rich_project()
    path = write_model_toml(project, tmp_path / "model.toml")
    loaded = riskcast.load(path)
    assert loaded.tasks == project.tasks
    assert loaded.milestones == project.milestones
    assert loaded.resources == project.resources
    # an unnamed calendar is written as [calendars.main] and reads back named by its table
    assert loaded.calendar == dataclasses.replace(project.calendar, name="main")
    assert loaded.calendars == {"main": loaded.calendar}
    assert (loaded.name, loaded.start, loaded.status_date) == (
        project.name,
        project.start,
        project.status_date,
    )
