"""Model files and validation: every problem reported at once, each naming file and place."""

from __future__ import annotations

import json
import math

import pytest

import riskcast as rc
from riskcast.io.modelfile import model_schema, parse_model

GOOD = """
[project]
name = "Demo"
start = 2027-01-04

[[task]]
id = "spec"
estimate = { pert = [3, 5, 10] }

[[task]]
id = "api"
estimate = { triangular = [8, 12, 25] }
after = ["spec"]

[[task]]
id = "qa"
estimate = { lognormal = { p10 = 4, p90 = 12 } }
after = [{ task = "api", type = "SS", lag = 3 }]

[[milestone]]
id = "beta"
after = ["qa"]
target = 2027-03-01
"""


def write(tmp_path, text, name="model.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(tmp_path, text, name="model.toml"):
    with pytest.raises(rc.ModelError) as info:
        rc.load(write(tmp_path, text, name))
    return info.value


def test_good_model_loads(tmp_path):
    project = rc.load(write(tmp_path, GOOD))
    assert [t.id for t in project.tasks] == ["spec", "api", "qa"]
    assert project.task("qa").after == (rc.Link("api", "SS", 3.0),)
    assert project.milestone("beta").target.isoformat() == "2027-03-01"
    assert isinstance(project.task("qa").estimate, rc.LogNormal)


def test_json_equals_toml(tmp_path):
    import tomllib

    data = tomllib.loads(GOOD)
    data["project"]["start"] = "2027-01-04"
    data["milestone"][0]["target"] = "2027-03-01"
    from_json = rc.load(write(tmp_path, json.dumps(data), "model.json"))
    from_toml = rc.load(write(tmp_path, GOOD))
    assert from_json.tasks == from_toml.tasks
    assert from_json.milestones == from_toml.milestones


def test_all_errors_of_a_file_are_reported_at_once(tmp_path):
    text = (
        GOOD.replace('id = "api"', 'id = "api"\nestimat = 3')
        .replace("[8, 12, 25]", "[12, 8, 25]")
        .replace('after = ["qa"]', 'after = ["qa", "gone"]')
    )
    error = problems_of(tmp_path, text)
    message = str(error)
    assert str(tmp_path / "model.toml") in message
    assert len(error.problems) == 3
    assert 'task "api": unknown key "estimat"' in message and 'did you mean "estimate"' in message
    assert 'task "api" > estimate' in message and "low <= mode <= high" in message
    assert 'unknown predecessor "gone"' in message and 'milestone "beta"' in message


def test_cycle_is_named_in_order(tmp_path):
    text = GOOD.replace('id = "spec"', 'id = "spec"\nafter = ["qa"]')
    error = problems_of(tmp_path, text)
    assert isinstance(error, rc.CycleError)
    assert error.cycle in (
        ["spec", "api", "qa", "spec"],
        ["api", "qa", "spec", "api"],
        ["qa", "spec", "api", "qa"],
    )
    assert "cycle" in str(error)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('id = "api"', 'id = "spec"'), "duplicate id"),
        (('after = ["spec"]', 'after = ["api"]'), "links to itself"),
        (("[3, 5, 10]", "[3, 5, nan]"), "finite"),
        (("[3, 5, 10]", "[-3, 5, 10]"), "a duration must be >= 0 working days"),
        (("[3, 5, 10]", '"five"'), "pert takes [low, mode, high]"),
        (("{ pert = [3, 5, 10] }", '"five"'), "an estimate is a number or a table"),
        (('type = "SS"', 'type = "XX"'), "type must be one of FS, SS, FF, SF"),
        (("lag = 3", 'lag = "three"'), "lag"),
        (("target = 2027-03-01", 'target = "soon"'), "expected a date"),
        (("{ pert = [3, 5, 10] }", "{ pret = [3, 5, 10] }"), 'did you mean "pert"'),
        (('name = "Demo"', "name = 5"), "project > name"),
        (("{ p10 = 4, p90 = 12 }", "{ p10 = 12, p90 = 4 }"), "p10 < p90"),
        (('after = ["qa"]\n', ""), 'missing required key "after"'),
    ],
)
def test_bad_input_is_a_clear_model_error(tmp_path, change, expected):
    error = problems_of(tmp_path, GOOD.replace(*change, 1))
    assert expected in str(error)
    assert str(tmp_path / "model.toml") in str(error)


def test_empty_and_broken_files(tmp_path):
    assert "no tasks" in str(problems_of(tmp_path, '[project]\nname = "x"\nstart = 2027-01-04\n'))
    assert "invalid TOML" in str(problems_of(tmp_path, "[project\n"))
    assert "invalid JSON" in str(problems_of(tmp_path, "{", "m.json"))
    assert "missing [project]" in str(problems_of(tmp_path, '[[task]]\nid = "a"\nestimate = 1\n'))
    with pytest.raises(rc.ModelError, match="file not found"):
        rc.load(tmp_path / "nope.toml")


def test_huge_and_wrong_typed_values(tmp_path):
    assert "finite" in str(problems_of(tmp_path, GOOD.replace("[3, 5, 10]", "[3, 5, inf]")))
    assert "must be a number" in str(
        problems_of(tmp_path, GOOD.replace("[3, 5, 10]", "[3, true, 10]"))
    )


def test_python_builder_validates_too():
    project = rc.Project("p", "2027-01-04", (rc.Task("a", 2), rc.Task("b", 3, after=("a", "c"))))
    with pytest.raises(rc.ModelError, match='unknown predecessor "c"'):
        rc.simulate(project, iterations=10)
    with pytest.raises(rc.ModelError, match="low must not exceed high"):
        rc.Uniform(5, 1)
    assert rc.Normal(4, 1).low == 0.0 and math.isinf(rc.Normal(4, 1).high)


def test_schema_describes_what_the_loader_accepts():
    schema = model_schema()
    assert schema["required"] == ["project", "task"]
    task = schema["properties"]["task"]["items"]
    from riskcast.io.modelfile import SECTIONS

    assert set(task["properties"]) == set(SECTIONS["task"])
    kinds = {
        next(iter(option["properties"])) for option in task["properties"]["estimate"]["anyOf"][1:]
    }
    assert kinds == set(rc.distributions.KINDS)
    json.dumps(schema)  # serialisable


def test_parse_model_rejects_unknown_top_level_keys():
    with pytest.raises(rc.ModelError, match='did you mean "task"'):
        parse_model({"project": {"name": "x", "start": "2027-01-04"}, "tasks": []})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[3, 5, 10]", "[3, 5, 1e308]"), "within +/-1,000,000 working days"),
        (("lag = 3", "lag = 1e12"), "within +/-1,000,000"),
        (("{ p10 = 4, p90 = 12 }", "{ mu = 4, sigma = 50 }"), "99.9th percentile"),
    ],
)
def test_huge_values_are_refused_as_unit_mistakes(tmp_path, change, expected):
    assert expected in str(problems_of(tmp_path, GOOD.replace(*change, 1)))


def test_schema_describes_the_calendar_and_project_keys():
    from riskcast.io.modelfile import SECTIONS

    schema = model_schema()["properties"]
    assert set(schema["project"]["properties"]) == set(SECTIONS["project"])
    calendar = schema["calendars"]["additionalProperties"]["properties"]
    assert set(calendar) == set(SECTIONS["calendars"])
    json.dumps(schema)
