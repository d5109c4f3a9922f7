"""A hostile corpus: bad model files through ``riskcast validate``, ``riskcast run`` and the Python
API. Each must give exit code 2 (the API: a riskcast error that is a ValueError), one message
naming the file and the place, no traceback, and leave an earlier good ``--out`` byte-identical."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import riskcast as rc
from riskcast import cli

HEAD = '[project]\nname = "Hostile"\nstart = 2027-01-04\n\n'
TASK = '[[task]]\nid = "a"\nestimate = { pert = [2, 3, 6] }\n\n'
MILESTONE = '[[milestone]]\nid = "m"\nafter = ["a"]\n'

# name -> (file name, content, a fragment the message must contain)
CORPUS: dict[str, tuple[str, str | bytes, str]] = {
    "cycle": (
        "m.toml",
        HEAD + '[[task]]\nid = "a"\nestimate = 2\nafter = ["b"]\n\n'
        '[[task]]\nid = "b"\nestimate = 2\nafter = ["a"]\n\n' + MILESTONE,
        "cycle",
    ),
    "unknown-id": ("m.toml", HEAD + TASK + '[[milestone]]\nid = "m"\nafter = ["zz"]\n', '"zz"'),
    "inverted-range": (
        "m.toml",
        HEAD + '[[task]]\nid = "a"\nestimate = { pert = [6, 3, 2] }\n\n' + MILESTONE,
        'task "a"',
    ),
    "negative-duration": (
        "m.toml",
        HEAD + '[[task]]\nid = "a"\nestimate = { uniform = [-5, 2] }\n\n' + MILESTONE,
        'task "a"',
    ),
    "nan": ("m.json", "", "estimate"),  # filled in below (TOML has nan too, JSON is stricter)
    "huge-value": (
        "m.toml",
        HEAD + '[[task]]\nid = "a"\nestimate = 1e300\n\n' + MILESTONE,
        'task "a"',
    ),
    "wrong-type": (
        "m.toml",
        HEAD + '[[task]]\nid = "a"\nestimate = "three days"\n\n' + MILESTONE,
        'task "a"',
    ),
    "duplicate-id": ("m.toml", HEAD + TASK + TASK + MILESTONE, "duplicate"),
    "empty": ("m.toml", "", "project"),
    "no-tasks": ("m.toml", HEAD, "task"),
    "year-9999": (
        "m.toml",
        HEAD.replace("2027-01-04", "9999-12-20") + TASK + MILESTONE,
        "project > start",
    ),
    "target-year-1": ("m.toml", HEAD + TASK + MILESTONE + "target = 0001-01-01\n", "target"),
    "target-before-start": (
        "m.toml",
        HEAD + TASK + MILESTONE + "target = 2026-12-01\n",
        "before the project start",
    ),
    "bad-link-type": (
        "m.toml",
        HEAD + TASK + '[[milestone]]\nid = "m"\nafter = [{ task = "a", type = "XX" }]\n',
        "XX",
    ),
    "self-link": (
        "m.toml",
        HEAD + '[[task]]\nid = "a"\nestimate = 2\nafter = ["a"]\n\n' + MILESTONE,
        "itself",
    ),
    "inconsistent-correlation": (
        "m.toml",
        HEAD
        + "".join(f'[[task]]\nid = "{t}"\nestimate = {{ pert = [2, 3, 6] }}\n\n' for t in "abc")
        + '[[correlation]]\ntasks = ["a", "b"]\ncoefficient = 0.9\n\n'
        + '[[correlation]]\ntasks = ["b", "c"]\ncoefficient = 0.9\n\n'
        + '[[correlation]]\ntasks = ["a", "c"]\ncoefficient = -0.9\n\n'
        + MILESTONE,
        "repair_correlation",
    ),
    "swapped-probability": (
        "m.toml",
        HEAD
        + TASK
        + '[[risk]]\nid = "r"\nprobability = [0.5, 0.2]\n'
        + 'impacts = [{ task = "a", add = 2 }]\n\n'
        + MILESTONE,
        'risk "r"',
    ),
    "binary": ("m.toml", bytes(range(256)) * 4, "m.toml"),
    "not-toml": ("m.toml", "[project\nname = ", "m.toml"),
    "yaml": ("m.yaml", "project:\n  name: x\n", ".toml"),
    "deep-json": ("m.json", '{"a": ' * 100_000 + "1" + "}" * 100_000, "m.json"),
}
NAN = {
    "project": {"name": "Hostile", "start": "2027-01-04"},
    "task": [{"id": "a", "estimate": {"uniform": [1, "nan"]}}],
    "milestone": [{"id": "m", "after": ["a"]}],
}
CORPUS["nan"] = ("m.json", json.dumps(NAN).replace('"nan"', "NaN"), 'task "a"')


def write(tmp_path: Path, name: str) -> tuple[Path, str]:
    file, content, fragment = CORPUS[name]
    path = tmp_path / file
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path, fragment


def call(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def good_out(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """An --out folder written by a good run, and its files' bytes."""
    folder = tmp_path_factory.mktemp("good") / "out"
    model = Path(__file__).parent.parent / "models" / "checkout-redesign.toml"
    code, err = call("run", str(model), "-n", "1024", "--seed", "1", "--out", str(folder))
    assert code == 0, err
    return folder, snapshot(folder)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_validate_refuses_with_one_clear_message(tmp_path, name):
    path, fragment = write(tmp_path, name)
    code, err = call("validate", str(path))
    assert code == 2, err
    assert "Traceback" not in err
    assert fragment in err, err[:500]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_run_refuses_and_leaves_the_earlier_output_alone(tmp_path, name, good_out):
    folder, before = good_out
    path, fragment = write(tmp_path, name)
    code, err = call("run", str(path), "-n", "1024", "--out", str(folder))
    assert code == 2, err
    assert "Traceback" not in err
    assert fragment in err, err[:500]
    assert snapshot(folder) == before
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".riskcast")]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_api_raises_a_riskcast_value_error(tmp_path, name):
    path, fragment = write(tmp_path, name)
    with pytest.raises(rc.RiskcastError) as error:
        rc.simulate(rc.load(path), iterations=64, seed=1)
    assert isinstance(error.value, ValueError)
    assert fragment in str(error.value)
