"""Costs in model files: task costs, risk impact costs, overheads, budget and currency are read
with every problem named once at its place, and written back to an equal plan."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib

import pytest

import riskcast as rc
from riskcast.costs import Cost, Overhead, money
from riskcast.distributions import Fixed, Pert, Triangular, Uniform
from riskcast.io.modelfile import model_schema
from riskcast.io.writer import model_toml, write_model_toml
from riskcast.model import Link, Milestone, Project, Task
from riskcast.risks import Branch, BranchOption, Correlation, Impact, Mitigation, Risk

MODEL = """
[project]
name = "Demo"
start = 2027-01-04
budget = 250000
currency = "EUR"

[[task]]
id = "build"
estimate = { pert = [10, 15, 30] }
cost = { fixed = { triangular = [4000, 5000, 9000] }, rate = 800 }

[[task]]
id = "test"
estimate = 5
after = ["build"]
cost = { fixed = 1200 }

[[task]]
id = "docs"
estimate = 3
after = ["build"]
cost = { rate = 300 }

[[milestone]]
id = "ga"
after = ["test", "docs"]

[[risk]]
id = "vendor"
probability = 0.3
impacts = [
  { task = "build", add = { triangular = [2, 5, 10] }, cost = { uniform = [1000, 3000] } },
  { task = "test", cost = 2500 },
]
mitigation = { probability = 0.1, impacts = [{ task = "test", cost = -500 }], cost = 4000 }

[[overhead]]
id = "team"
rate = 1500
until = "ga"
name = "Core team"

[[overhead]]
id = "office"
rate = 200
"""


def write(tmp_path, text, name="model.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path, text) -> list[str]:
    with pytest.raises(rc.ModelError) as info:
        rc.load(write(tmp_path, text))
    return info.value.problems


def changed(old: str, new: str) -> str:
    assert old in MODEL, old
    return MODEL.replace(old, new, 1)


# --- reading ---------------------------------------------------------------------------------


def test_every_cost_construct_loads(tmp_path):
    project = rc.load(write(tmp_path, MODEL))
    assert (project.budget, project.currency) == (250000.0, "EUR")
    assert project.task("build").cost == Cost(Triangular(4000, 5000, 9000), 800.0)
    assert project.task("test").cost == Cost(Fixed(1200))  # a plain number is a fixed amount
    assert project.task("docs").cost == Cost(rate=300.0)
    vendor = project.risk("vendor")
    assert vendor.impacts == (
        Impact("build", add=Triangular(2, 5, 10), cost=Uniform(1000, 3000)),
        Impact("test", cost=Fixed(2500)),  # an impact that only costs money
    )
    assert vendor.mitigation == Mitigation(0.1, (Impact("test", cost=Fixed(-500)),), 4000.0)
    assert project.overheads == (
        Overhead("team", 1500.0, "ga", "Core team"),
        Overhead("office", 200.0),
    )


def test_a_model_without_costs_has_none(tmp_path):
    plain = '[project]\nname = "p"\nstart = 2027-01-04\n\n[[task]]\nid = "a"\nestimate = 1\n'
    project = rc.load(write(tmp_path, plain))
    assert (project.budget, project.currency, project.overheads) == (None, "", ())
    assert project.task("a").cost is None


def test_amounts_above_a_million_working_days_load_as_money(tmp_path):
    text = (
        changed("{ triangular = [4000, 5000, 9000] }", "{ triangular = [2e6, 3e6, 5e6] }")
        .replace("budget = 250000", "budget = 4e9")
        .replace("cost = 2500 }", "cost = { pert = [1e7, 2e7, 9e7] } }")
        .replace("rate = 1500", "rate = 3e6")
    )
    project = rc.load(write(tmp_path, text))
    assert project.task("build").cost.fixed == money({"triangular": [2e6, 3e6, 5e6]})
    assert project.risk("vendor").impacts[1].cost == money({"pert": [1e7, 2e7, 9e7]})
    assert (project.budget, project.overheads[0].rate) == (4e9, 3e6)


def test_json_reads_the_same_as_toml(tmp_path):
    data = tomllib.loads(MODEL)
    data["project"]["start"] = data["project"]["start"].isoformat()
    from_json = rc.load(write(tmp_path, json.dumps(data), "model.json"))
    from_toml = rc.load(write(tmp_path, MODEL))
    for name in ("tasks", "risks", "overheads", "budget", "currency"):
        assert getattr(from_json, name) == getattr(from_toml, name), name


# --- bad input -------------------------------------------------------------------------------

RATE = "rate = 800 }"
BAD = [
    (
        ("fixed = { triangular", "fixd = { triangular"),
        ['task "build" > cost: unknown key "fixd" in a cost; did you mean "fixed"?', "allowed"],
    ),
    (
        ("cost = { fixed = 1200 }", "cost = 5"),
        ['task "test" > cost: expected a table { fixed', "cost = { fixed = 5 }"],
    ),
    (("cost = { fixed = 1200 }", 'cost = "x"'), ['task "test" > cost: expected a table', "'x'"]),
    (
        (RATE, 'rate = "high" }'),
        ['task "build" > cost > rate: expected an amount in currency units', "'high'"],
    ),
    ((RATE, "rate = nan }"), ['task "build" > cost > rate: expected an amount', "got nan"]),
    ((RATE, "rate = -5 }"), ['task "build" > cost > rate: a rate is a number', "within [0,"]),
    (
        ("cost = { fixed = 1200 }", 'cost = { fixed = "lots" }'),
        ['task "test" > cost > fixed: expected an amount in currency units', "triangular"],
    ),
    (
        ("cost = { fixed = 1200 }", "cost = { fixed = -3 }"),
        ['task "test" > cost > fixed: a task\'s cost must be >= 0', "raise its low end"],
    ),
    (
        ("cost = { fixed = 1200 }", "cost = { fixed = 2e16 }"),
        ['task "test" > cost > fixed: fixed: value must be within', "currency units"],
    ),
    (("budget = 250000", "budget = nan"), ["project > budget: expected an amount", "got nan"]),
    (("budget = 250000", "budget = -5"), ["project > budget: must be a positive amount"]),
    (("budget = 250000", "budget = 0"), ["project > budget: must be a positive amount"]),
    (("budget = 250000", 'budget = "250k"'), ["project > budget: expected an amount", "'250k'"]),
    (('currency = "EUR"', "currency = 3"), ["project > currency: expected a short", '"EUR"']),
    (
        ('currency = "EUR"', 'currency = "Euros of the realm"'),
        ['project > currency: a short name or code such as "EUR"'],
    ),
    (
        ('id = "team"\n', ""),
        ['overhead[0]: missing required key "id"'],
    ),
    (
        ("rate = 1500\n", ""),
        ['overhead "team": missing required key "rate"', "per working day"],
    ),
    (
        ("rate = 1500\n", 'rate = "lots"\n'),
        ['overhead "team" > rate: expected an amount in currency units'],
    ),
    (
        ("rate = 1500\n", "rate = -1\n"),
        ['overhead "team" > rate: a rate is a number of currency units per working day'],
    ),
    (
        ('until = "ga"', 'until = "gaa"'),
        ['overhead "team" > until: unknown milestone "gaa"; did you mean "ga"?', "leave it out"],
    ),
    (('until = "ga"', "until = 3"), ['overhead "team" > until: expected a non-empty string']),
    (
        ('id = "office"', 'id = "team"'),
        ['overhead "team": duplicate overhead id; ids must be unique'],
    ),
    (
        ('name = "Core team"', 'name = "Core team"\ncolour = "red"'),
        ['overhead "team": unknown key "colour" in [overhead]', "allowed: id, name, rate, until"],
    ),
    (
        ('{ task = "test", cost = 2500 }', '{ task = "test" }'),
        ['risk "vendor" > impacts[1]: give add (working days) or multiply', "cost (money)"],
    ),
    (
        ('{ task = "test", cost = 2500 }', '{ task = "test", add = 1, cots = 2500 }'),
        ['risk "vendor" > impacts[1]: unknown key "cots" in an impact; did you mean "cost"?'],
    ),
    (
        ('{ task = "test", cost = 2500 }', '{ task = "test", cost = "2,500" }'),
        ['risk "vendor" > impacts[1] > cost: expected an amount in currency units', "'2,500'"],
    ),
    (
        ('{ task = "test", cost = 2500 }', '{ task = "test", cost = { pert = [3, 1, 2] } }'),
        ['risk "vendor" > impacts[1] > cost: pert'],
    ),
    (
        ('{ task = "test", cost = 2500 }', '{ task = "test", add = 1, multiply = 2, cost = 9 }'),
        ['risk "vendor" > impacts[1]: give one of add (working days) or multiply', "not both"],
    ),
    (
        ('{ task = "test", cost = -500 }', '{ task = "test", cost = true }'),
        ['risk "vendor" > mitigation > impacts[0] > cost: expected an amount', "True"],
    ),
    (
        ('{ task = "test", cost = 2500 }', '{ task = "tset", cost = 2500 }'),
        ['risk "vendor" > impacts[1]: unknown task "tset"; did you mean "test"?'],
    ),
]


@pytest.mark.parametrize(("change", "expected"), BAD, ids=lambda v: str(v)[:40])
def test_bad_cost_input_is_named_once_at_its_place(tmp_path, change, expected):
    problems = problems_of(tmp_path, changed(*change))
    matching = [p for p in problems if expected[0] in p]
    assert len(matching) == 1, problems  # reported once: by the reader or by validate
    for part in expected[1:]:
        assert part in matching[0], matching[0]
    place = expected[0].split(":")[0]
    assert sum(p.startswith(place + ":") or p.startswith(place + " >") for p in problems) == 1


def test_every_cost_problem_of_a_file_is_reported_at_once(tmp_path):
    text = (
        changed(RATE, "rate = -5 }")
        .replace("budget = 250000", "budget = -1")
        .replace("cost = { fixed = 1200 }", "cost = { fixed = -3, rate = nan }")
        .replace('until = "ga"', 'until = "nope"')
        .replace('id = "office"', 'id = "team"')
    )
    problems = problems_of(tmp_path, text)
    for expected in (
        'task "build" > cost > rate: a rate is',
        "project > budget: must be a positive amount",
        'task "test" > cost > rate: expected an amount',
        'task "test" > cost > fixed: a task\'s cost must be >= 0',
        'overhead "team" > until: unknown milestone "nope"',
        'overhead "team": duplicate overhead id',
    ):
        assert sum(expected in p for p in problems) == 1, (expected, problems)
    assert len(problems) == 6, problems


def test_a_wrongly_typed_overhead_id_is_reported_once(tmp_path):
    problems = problems_of(tmp_path, changed('id = "team"', 'id = ["team"]'))
    assert problems == ["overhead[0] > id: expected a non-empty string, got ['team']"]


def test_overhead_must_be_an_array_of_tables(tmp_path):
    text = "overhead = 5\n" + MODEL.split("[[overhead]]")[0]
    problems = problems_of(tmp_path, text)
    assert any("[[overhead]] must be an array of tables" in p for p in problems)


def test_an_unknown_top_level_table_suggests_overhead(tmp_path):
    text = MODEL.replace("[[overhead]]", "[[overheads]]")
    assert any('did you mean "overhead"?' in p for p in problems_of(tmp_path, text))


# --- writing ---------------------------------------------------------------------------------


def costed_plan() -> Project:
    return Project(
        name="Costed",
        start=dt.date(2027, 1, 4),
        tasks=(
            Task("a", Pert(3, 5, 9), cost=Cost({"triangular": [2e6, 3e6, 5e6]}, 1250.5)),
            Task("b", Fixed(2), after=(Link("a"),), cost={"fixed": 800}),
            Task("c", Uniform(1, 4), after=(Link("a"),), cost=Cost(rate=90.0)),
            Task("d", Fixed(1), after=(Link("a"),), cost=Cost()),
            Task("e", Fixed(1), after=(Link("a"),)),
        ),
        milestones=(Milestone("ga", ("b", "c", "d", "e"), "GA"),),
        risks=(
            Risk(
                "vendor",
                (0.1, 0.4),
                (
                    Impact("a", add=Triangular(-1, 2, 6), cost=Uniform(-500, 3000)),
                    Impact("b", multiply=Pert(1.0, 1.1, 1.5)),
                    Impact("c", cost=2500),
                ),
                title='Vendor "late"',
                owner="Ops",
                shared_impact=False,
                mitigation=Mitigation(0.05, (Impact("c", cost=Fixed(100)),), 4000.0),
            ),
            Risk("staff", 0.2, (Impact("b", add=1),), mitigation=Mitigation(cost=0.0)),
            Risk("scope", 0.5, (Impact("c", cost={"triangular": [1e6, 2e6, 8e6]}),)),
        ),
        correlations=(
            Correlation(0.6, tasks=("a", "c")),
            Correlation(-0.3, risks=("vendor", "staff")),
        ),
        branches=(Branch("route", (BranchOption(("d",), 0.4), BranchOption(("e",), 0.5))),),
        repair_correlation=True,
        budget=9.5e6,
        currency="EUR",
        overheads=(Overhead("team", 1500.0, "ga", "Core team"), Overhead("site", 2.5e6)),
    )


def assert_same_plan(loaded: Project, project: Project) -> None:
    for f in dataclasses.fields(Project):
        if f.name not in ("source", "calendar", "calendars"):  # calendars: their own tests
            assert getattr(loaded, f.name) == getattr(project, f.name), f.name


def test_a_costed_plan_reads_back_equal(tmp_path):
    project = costed_plan()
    rc.validate(project)
    assert_same_plan(rc.load(write_model_toml(project, tmp_path / "model.toml")), project)


def test_a_loaded_model_is_written_back_equal(tmp_path):
    project = rc.load(write(tmp_path, MODEL))
    assert_same_plan(rc.load(write_model_toml(project, tmp_path / "again.toml")), project)


def test_costs_are_written_compactly():
    text = model_toml(costed_plan())
    assert 'budget = 9500000.0\ncurrency = "EUR"' in text
    assert "cost = { fixed = { triangular = [2000000.0, 3000000.0, 5000000.0] }" in text
    assert "cost = { fixed = 800 }" in text  # a certain amount is a plain number
    assert "cost = { rate = 90.0 }" in text and "cost = {}" in text
    assert '    { task = "c", cost = 2500 },' in text  # one impact a line
    assert "[[overhead]]" in text and 'until = "ga"' in text
    assert "repair_correlation = true" in text and "[[branch]]" in text


def test_a_plan_without_costs_writes_no_cost_keys():
    text = model_toml(Project("p", dt.date(2027, 1, 4), (Task("a", Fixed(1)),)))
    data = tomllib.loads(text)
    assert set(data) == {"project", "calendars", "task"}
    assert set(data["project"]) == {"name", "start", "calendar"}
    assert "cost" not in data["task"][0]


# --- schema ----------------------------------------------------------------------------------


def test_the_schema_describes_the_cost_keys():
    schema = model_schema()["properties"]
    assert {"budget", "currency"} <= set(schema["project"]["properties"])
    cost = schema["task"]["items"]["properties"]["cost"]
    assert set(cost["properties"]) == {"fixed", "rate"} and not cost["additionalProperties"]
    overhead = schema["overhead"]["items"]
    assert set(overhead["properties"]) == {"id", "name", "rate", "until"}
    assert set(overhead["required"]) == {"id", "rate"}
    impact = schema["risk"]["items"]["properties"]["impacts"]["items"]
    assert {"add", "multiply", "cost"} <= set(impact["properties"])
    # an impact's cost may be a saving: its values may go below 0
    assert impact["properties"]["cost"]["anyOf"][0] == {"type": "number"}
    json.dumps(schema)
