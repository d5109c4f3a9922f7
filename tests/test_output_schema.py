"""The JSON Schemas of what riskcast writes (:mod:`riskcast.output_schema`), checked against real
outputs: ``forecast.json`` in both forms (with costs, risks, levelling and constraints, and
without any of them), a file of the format's first release, and ``run --format json``.

The validator below implements the keywords the schemas use (and refuses any other, so a keyword
it does not know can never pass unchecked): types, const, enum, required, properties,
additionalProperties, patternProperties, items, prefixItems, sizes, bounds, formats, anyOf,
oneOf and local $ref.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

import riskcast as rc
from riskcast import cli
from riskcast.output_schema import forecast_schema, report_schema

ROOT = Path(__file__).parent.parent

# Costs, risks, a limited pool (levelled in every run), a late constraint and a status date.
FULL_MODEL = """\
[project]
name = "Lab move"
start = 2027-01-04
status_date = 2027-01-11
budget = 60_000
currency = "EUR"

[[resource]]
id = "tech"
name = "Technicians"
capacity = 1
rate = 600

[[overhead]]
id = "site"
rate = 150

[[task]]
id = "plan"
estimate = { pert = [2, 3, 5] }
actual_start = 2027-01-04
actual_finish = 2027-01-06

[[task]]
id = "pack"
after = ["plan"]
estimate = { pert = [3, 4, 8] }
assignments = [{ resource = "tech" }]

[[task]]
id = "wire"
after = ["plan"]
estimate = { triangular = [2, 3, 6] }
assignments = [{ resource = "tech" }]
cost = { fixed = { triangular = [4_000, 5_000, 8_000] } }
deadline = 2027-01-20

[[milestone]]
id = "moved"
name = "Lab moved"
after = ["pack", "wire"]
target = 2027-01-25

[[task]]
id = "calibrate"
after = ["moved"]
estimate = { pert = [1, 2, 4] }
cost = { rate = 300 }

[[risk]]
id = "damage"
title = "Equipment damaged in transit"
probability = 0.2
impacts = [{ task = "pack", add = { triangular = [1, 2, 5] }, cost = { triangular = [1_000, 2_000, 6_000] } }]
"""


# -- a small JSON Schema validator ----------------------------------------------------------------
KNOWN = {
    "$schema", "$defs", "$ref", "title", "description", "type", "const", "enum", "required",
    "properties", "additionalProperties", "patternProperties", "items", "prefixItems",
    "minItems", "maxItems", "minimum", "maximum", "exclusiveMinimum", "format", "anyOf", "oneOf",
}  # fmt: skip
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _is_date(value: str) -> bool:
    try:
        return dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def resolve(schema: Any, root: dict) -> Any:
    """``schema``, or what its local ``$ref`` points at."""
    if isinstance(schema, dict) and "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return target
    return schema


def fits(value: Any, schema: Any, root: dict) -> bool:
    """Whether ``value`` is of a type ``schema`` allows (other keywords aside)."""
    kinds = resolve(schema, root).get("type") if isinstance(schema, dict) else None
    kinds = [kinds] if isinstance(kinds, str) else kinds
    return kinds is None or any(TYPES[k](value) for k in kinds)


def errors(value: Any, schema: Any, root: dict, at: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty when it is valid), each with its place."""
    if schema is True:
        return []
    if schema is False:
        return [f"{at}: not allowed"]
    unknown = set(schema) - KNOWN
    assert not unknown, f"the validator does not know {unknown}"
    if "$ref" in schema:
        return errors(value, resolve(schema, root), root, at)
    if not fits(value, schema, root):
        return [f"{at}: {value!r:.60} is not of type {schema['type']}"]
    found = []
    if "const" in schema and value != schema["const"]:
        found.append(f"{at}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} not in {schema['enum']}")
    if schema.get("format") == "date" and isinstance(value, str) and not _is_date(value):
        found.append(f"{at}: {value!r} is not a YYYY-MM-DD date")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{at}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{at}: {value} > {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            found.append(f"{at}: {value} <= {schema['exclusiveMinimum']}")
    if isinstance(value, dict):
        found += _object_errors(value, schema, root, at)
    if isinstance(value, list):
        found += _array_errors(value, schema, root, at)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            tried = [errors(value, option, root, at) for option in schema[key]]
            passed = tried.count([])
            if passed == 0:  # the nearest option of the value's type says what is wrong
                options = zip(schema[key], tried, strict=True)
                near = min(options, key=lambda o: (not fits(value, o[0], root), len(o[1])))
                found += [f"{at}: none of the {key} options match", *near[1]]
            elif key == "oneOf" and passed > 1:
                found.append(f"{at}: {passed} of the oneOf options match")
    return found


def _object_errors(value: dict, schema: dict, root: dict, at: str) -> list[str]:
    found = [f"{at}: no key {k!r}" for k in schema.get("required", ()) if k not in value]
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    for key, item in value.items():
        place = f"{at}.{key}"
        matched = [s for p, s in patterns.items() if re.search(p, key)]
        if key in properties:
            found += errors(item, properties[key], root, place)
        for sub in matched:
            found += errors(item, sub, root, place)
        if key not in properties and not matched:
            found += errors(item, schema.get("additionalProperties", True), root, place)
    return found


def _array_errors(value: list, schema: dict, root: dict, at: str) -> list[str]:
    found = []
    if len(value) < schema.get("minItems", 0):
        found.append(f"{at}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        found.append(f"{at}: more than {schema['maxItems']} items")
    prefix = schema.get("prefixItems", [])
    for k, item in enumerate(value):
        sub = prefix[k] if k < len(prefix) else schema.get("items", True)
        found += errors(item, sub, root, f"{at}[{k}]")
    return found


def check(document: Any, schema: dict) -> None:
    problems = errors(document, schema, schema)
    assert not problems, "\n".join(problems[:20])


# -- outputs --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def full(tmp_path_factory) -> rc.Forecast:
    path = tmp_path_factory.mktemp("model") / "lab.toml"
    path.write_text(FULL_MODEL, encoding="utf-8")
    forecast = rc.simulate(rc.load(path), iterations=2000, seed=3)
    assert forecast.has_costs and forecast.risk_ids and forecast.levelling is not None
    assert forecast.pools is not None and forecast.constraint_misses() and forecast.status_date
    return forecast


@pytest.fixture(scope="module")
def plain() -> rc.Forecast:
    """No costs, risks, pools, constraints or status date."""
    forecast = rc.simulate(
        rc.load(ROOT / "models" / "checkout-redesign.toml"), iterations=2000, seed=3
    )
    assert not forecast.has_costs and not forecast.risk_ids and forecast.levelling is None
    return forecast


def run_json(*args: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["run", *args, "--format", "json", "--no-history"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


@pytest.mark.parametrize("which", ["full", "plain"])
@pytest.mark.parametrize("samples", [True, False])
def test_forecast_json_in_both_forms_fits_the_schema(request, which, samples):
    forecast = request.getfixturevalue(which)
    document = json.loads(forecast.to_json(samples=samples))
    check(document, forecast_schema())
    # and what is read back writes the same document again
    again = rc.Forecast.from_json(json.dumps(document)).to_dict(samples=samples)
    assert json.loads(json.dumps(again)) == document


def test_a_file_of_the_first_release_still_fits(plain):
    """Files written before levelling, pools, constraints, status dates, histograms and costs
    existed lack those keys: the schema and the reader take them."""
    document = json.loads(plain.to_json())
    for key in ("levelling", "pools", "constraints", "status_date", "costs"):
        del document[key]
    for m in document["milestones"]:
        del m["histogram"]
    check(document, forecast_schema())
    back = rc.Forecast.from_dict(document)
    assert back.summary() == plain.summary()


def test_the_forecast_past_the_exact_runs_limit_fits(monkeypatch):
    from riskcast.engine import binning

    monkeypatch.setattr(binning, "EXACT_RUNS", 1024)
    model = rc.load(ROOT / "models" / "checkout-redesign.toml")
    forecast = rc.simulate(model, iterations=3072, seed=3)
    assert forecast.project_finish.samples is None
    for samples in (True, False):
        check(json.loads(forecast.to_json(samples=samples)), forecast_schema())


def test_run_format_json_fits_the_report_schema(tmp_path):
    model = tmp_path / "lab.toml"
    model.write_text(FULL_MODEL, encoding="utf-8")
    out = tmp_path / "out"
    with_costs = run_json(
        str(model), "-n", "2000", "--seed", "3", "--confidence", "87.5", "--out", str(out),
        "--no-charts", "--no-samples",
    )  # fmt: skip
    assert with_costs["levelling"] and with_costs["risks"] and with_costs["constraints"]
    assert "cost" in with_costs["milestones"][0] and with_costs["files"]
    check(with_costs, report_schema())
    check(json.loads((out / "forecast.json").read_text(encoding="utf-8")), forecast_schema())
    plain = run_json(str(ROOT / "models" / "checkout-redesign.toml"), "-n", "2000", "-m", "ga")
    assert "cost" not in plain["milestones"][0] and "budget" not in plain
    check(plain, report_schema())


DELETE = object()
BROKEN = [  # (where, what it becomes, the problem found)
    (("seed",), DELETE, "$: no key 'seed'"),
    (("surprise",), 1, "$.surprise: not allowed"),
    (("format",), "riskcast-forecast/2", "$.format: 'riskcast-forecast/2' is not"),
    (("iterations",), "2000", "$.iterations: '2000' is not of type"),
    (("calendar", "workdays", 0), "monday", "$.calendar.workdays[0]: 'monday' not in"),
    (("start",), "2027-13-01", "$.start: '2027-13-01' is not a YYYY-MM-DD date"),
    (
        ("milestones", 0, "histogram", "counts", 0),
        1.5,
        "$.milestones[0].histogram.counts[0]: 1.5 is not of type",
    ),
    (("costs", "targets", 0, "percentiles"), DELETE, "$.costs.targets[0]: no key 'percentiles'"),
    (("levelling", 1), "random", "$.levelling[1]: 'random' not in"),
    (("constraints", 0, "share"), 1.5, "$.constraints[0].share: 1.5 > 1"),
    (("stats", "extra"), [], "$.stats.extra: not allowed"),
]


def broken(document: Any, where: tuple, value: Any) -> Any:
    document = copy.deepcopy(document)
    *path, last = where
    inner = document
    for step in path:
        inner = inner[step]
    if value is DELETE:
        del inner[last]
    else:
        inner[last] = value
    return document


@pytest.mark.parametrize(("where", "value", "problem"), BROKEN)
def test_a_broken_forecast_fails(full, where, value, problem):
    schema = forecast_schema()
    good = json.loads(full.to_json(samples=False))
    assert not errors(good, schema, schema)
    found = errors(broken(good, where, value), schema, schema)
    assert any(problem in p for p in found), found


def test_a_broken_report_fails():
    report = run_json(str(ROOT / "models" / "checkout-redesign.toml"), "-n", "1024")
    schema = report_schema()
    assert not errors(report, schema, schema)
    report["milestones"][0]["percentiles"]["P80"] = report["milestones"][0]["percentiles"]["80"]
    del report["files"]
    found = errors(report, schema, schema)
    assert "$: no key 'files'" in found
    assert "$.milestones[0].percentiles.P80: not allowed" in found


def test_every_key_is_described():
    """Each property says what it is (with its unit where it has one)."""

    def walk(node: Any, at: str) -> list[str]:
        missing = []
        if isinstance(node, dict):
            for group in ("properties", "patternProperties"):
                for key, sub in node.get(group, {}).items():
                    if "description" not in sub and "$ref" not in sub:
                        missing.append(f"{at}.{key}")
            for key, sub in node.items():
                missing += walk(sub, f"{at}.{key}")
        elif isinstance(node, list):
            for k, sub in enumerate(node):
                missing += walk(sub, f"{at}[{k}]")
        return missing

    for schema in (forecast_schema(), report_schema()):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert not walk(schema, "$")
    assert "riskcast-forecast/1" in forecast_schema()["description"]


def test_schema_command_prints_each_schema(capsys):
    def schema(*args: str) -> dict:
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["schema", *args], stdout=out, stderr=err) == 0, err.getvalue()
        return json.loads(out.getvalue())

    assert schema("--output") == forecast_schema()
    assert schema("--output", "forecast") == forecast_schema()
    assert schema("--output", "run") == report_schema()
    assert schema()["title"] == "riskcast model"
    assert cli.main(["schema", "--output", "html"]) == 2  # argparse writes to sys.stderr
    assert "invalid choice: 'html'" in capsys.readouterr().err
