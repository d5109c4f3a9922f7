"""Property-based fuzzing of every reader: whatever the bytes, a Project or a riskcast error.

The model loader (``riskcast.load`` on TOML and JSON files, ``parse_model`` on arbitrary nested
data) and each schedule reader (MSPDI XML, XER, PMXML) get random bytes and mutations of real
files (byte flips, truncation, deleted and duplicated lines, values replaced by hostile ones:
empty, negative, NaN, huge, binary). Any exception other than :class:`RiskcastError` fails.

The examples are derived deterministically (``derandomize=True``), so CI sees the same inputs on
every run. For a longer local session set ``RISKCAST_FUZZ_EXAMPLES`` (examples per test) and
``RISKCAST_FUZZ_RANDOM=1`` (fresh random inputs instead of the fixed ones).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskcast as rc
from riskcast.errors import RiskcastError
from riskcast.io.modelfile import parse_model
from riskcast.io.mspdi import read_mspdi
from riskcast.io.pmxml import read_pmxml
from riskcast.io.schedules import ImportResult, read_schedule
from riskcast.io.xer import read_xer

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "mpxj"
EXAMPLES = int(os.environ.get("RISKCAST_FUZZ_EXAMPLES", "0")) or None
RANDOM = bool(os.environ.get("RISKCAST_FUZZ_RANDOM"))  # fresh random inputs on every run


def fuzz(examples: int) -> Callable:
    """Deterministic, deadline-free settings with ``examples`` examples (or the override)."""
    return settings(
        max_examples=EXAMPLES or examples,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(value)


MODEL_FILES = ["checkout-redesign.toml", "checkout-risks.toml", "hardware-pilot-line.toml"]
TOML_SEEDS = {name: (ROOT / "models" / name).read_bytes() for name in MODEL_FILES}
MODEL_DATA = [tomllib.loads(seed.decode("utf-8")) for seed in TOML_SEEDS.values()]
JSON_SEEDS = {
    name.replace(".toml", ".json"): json.dumps(d, indent=1, default=_json_default).encode()
    for name, d in zip(MODEL_FILES, MODEL_DATA, strict=True)
}
MSPDI_SEEDS = {
    name: (DATA / "mspdi" / name).read_bytes()
    for name in ("mspdirelations.xml", "task-links-project2019-mspdi.xml")
}
XER_SEEDS = {
    name: (DATA / "xer" / name).read_bytes()
    for name in ("percent-complete-8.4.xer", "resource-rates-test.xer", "SuccessorCalendar.xer")
}
PMXML_SEEDS = {"PredecessorCalendar.xml": (DATA / "pmxml" / "PredecessorCalendar.xml").read_bytes()}

# Values that break readers: empty, signs, non-finite and huge numbers, odd dates, binary.
HOSTILE = [
    b"",
    b"-1",
    b"0",
    b"-0",
    b"nan",
    b"NaN",
    b"inf",
    b"-inf",
    b"1e999",
    b"1e308",
    b"1e-320",
    b"99999999999999999999",
    b"4294967296",
    b"-2147483649",
    b"1.5.5",
    b"\xc2\xb2",  # a superscript digit: str.isdigit() but not int()
    b"0000-00-00",
    b"9999-12-31",
    b"9999-12-31T23:59:59",
    b"0001-01-01T00:00:00",
    b"2027-02-30",
    b"PT",
    b"P",
    b"-P1D",
    b"P" + b"9" * 400 + b"D",
    b"PT99999999999999999999H",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\t",
    b"\n",
    b"%E",
    b"%R",
    b"(",
    b")",
    b"((",
    b"[[",
    b"{",
    b"<",
    b"&amp;",
    b"x" * 5000,
]


class Mutant:
    """A seed file and the mutations applied to it; the repr names them, not the bytes."""

    def __init__(self, name: str, content: bytes, ops: list[str]):
        self.name, self.content, self.ops = name, content, ops

    def __repr__(self) -> str:
        return f"Mutant({self.name!r}, {len(self.content)} bytes, ops={self.ops!r})"


def as_bytes(content: bytes | Mutant) -> bytes:
    return content.content if isinstance(content, Mutant) else content


@st.composite
def mutated(draw: st.DrawFn, seeds: dict[str, bytes]) -> Mutant:
    """One of ``seeds`` with 1-4 mutations: byte flips, truncation, line deletion, duplication
    and swaps, and a token (a run of letters, digits, dots and signs) replaced by a hostile
    value."""
    name = draw(st.sampled_from(sorted(seeds)))
    data = bytearray(seeds[name])
    ops: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(
                [
                    "flip",
                    "truncate",
                    "delete_line",
                    "dup_line",
                    "swap_lines",
                    "cell",
                    "token",
                    "token",
                ]
            )
        )
        if not data:
            break
        if op == "flip":
            pos = draw(st.integers(0, len(data) - 1))
            data[pos] = draw(st.integers(0, 255))
            ops.append(f"byte {pos} = {data[pos]:#04x}")
        elif op == "truncate":
            pos = draw(st.integers(0, len(data) - 1))
            del data[pos:]
            ops.append(f"cut at {pos}")
        elif op in ("delete_line", "dup_line", "swap_lines"):
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            if op == "delete_line":
                del lines[k]
                ops.append(f"delete line {k + 1}")
            elif op == "dup_line":
                lines.insert(k, lines[k])
                ops.append(f"duplicate line {k + 1}")
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[k], lines[j] = lines[j], lines[k]
                ops.append(f"swap lines {k + 1} and {j + 1}")
            data = bytearray(b"\n".join(lines))
        elif op == "cell":  # a tab-separated value removed: the rest of the row shifts left
            tabs = [m.start() for m in re.finditer(rb"\t", bytes(data))]
            if tabs:
                start = tabs[draw(st.integers(0, len(tabs) - 1))]
                end = data.find(b"\t", start + 1)
                end = end if end >= 0 else start + 1
                ops.append(f"delete cell at {start}")
                del data[start:end]
        else:
            tokens = [m.span() for m in re.finditer(rb"[\w.:+\-]+", bytes(data))]
            if tokens:
                start, end = tokens[draw(st.integers(0, len(tokens) - 1))]
                value = draw(st.sampled_from(HOSTILE))
                ops.append(f"{bytes(data[start:end])[:40]!r} at {start} -> {value[:40]!r}")
                data[start:end] = value
    return Mutant(name, bytes(data), ops)


ANY_BYTES = st.binary(max_size=2000)


@contextmanager
def _file(content: bytes, name: str):
    with tempfile.TemporaryDirectory(prefix="riskcast-fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        yield path


def _no_mpxj(name: str, *args: Any) -> Any:
    return None if name == "mpxj" else _find_spec(name, *args)


_find_spec = importlib.util.find_spec


def assert_survives(call: Callable[[Path], Any], content: bytes | Mutant, name: str) -> None:
    """``call(path)`` returns or raises a RiskcastError; anything else fails the test. MPXJ is
    hidden so that a file sniffed as "another format" never starts a Java VM here."""
    with (
        _file(as_bytes(content), name) as path,
        mock.patch.object(importlib.util, "find_spec", _no_mpxj),
    ):
        try:
            result = call(path)
        except RiskcastError:
            return
    assert isinstance(result, rc.Project | ImportResult)


# -- model files ----------------------------------------------------------------------------------


@fuzz(300)
@given(content=st.one_of(ANY_BYTES, mutated(TOML_SEEDS)))
def test_toml_model_files(content):
    assert_survives(rc.load, content, "model.toml")


@fuzz(300)
@given(content=st.one_of(ANY_BYTES, mutated(JSON_SEEDS)))
def test_json_model_files(content):
    assert_survives(rc.load, content, "model.json")


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**400, -(10**400), 2**63, 0.1, -0.0, 1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "FS", "SS", "pert", "mon", "2027-01-04", "a", "b", "x" * 5000]),
    st.dates(),
    st.datetimes(),
    st.times(),
)
ANY_DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.one_of(
                st.text(max_size=10),
                st.sampled_from(["id", "task", "estimate", "after", "pert", "low", "add"]),
                st.integers(-2, 2),
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=30,
)


def _paths(data: Any, here: tuple = ()) -> list[tuple]:
    """Every path (a tuple of keys and indexes) to a value inside ``data``."""
    out = [here]
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(_paths(v, (*here, k)))
    elif isinstance(data, list):
        for k, v in enumerate(data):
            out.extend(_paths(v, (*here, k)))
    return out


@st.composite
def mutated_model(draw: st.DrawFn) -> Any:
    """A real model's data with 1-3 values replaced by arbitrary data, or removed."""
    data = json.loads(json.dumps(draw(st.sampled_from(MODEL_DATA)), default=_json_default))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(ANY_DATA)
    return data


@fuzz(600)
@given(data=st.one_of(ANY_DATA, mutated_model()))
def test_parse_model_on_arbitrary_data(data):
    try:
        project = parse_model(data, "fuzz.toml")
    except RiskcastError:
        return
    assert isinstance(project, rc.Project)


# -- schedules ------------------------------------------------------------------------------------


@fuzz(300)
@given(content=st.one_of(ANY_BYTES, mutated(MSPDI_SEEDS)))
def test_mspdi_reader(content):
    assert_survives(read_mspdi, content, "plan.xml")


@fuzz(300)
@given(content=st.one_of(ANY_BYTES, mutated(XER_SEEDS)))
def test_xer_reader(content):
    assert_survives(read_xer, content, "plan.xer")


@fuzz(300)
@given(content=st.one_of(ANY_BYTES, mutated(PMXML_SEEDS)))
def test_pmxml_reader(content):
    assert_survives(read_pmxml, content, "plan.xml")


@fuzz(300)
@given(content=st.one_of(ANY_BYTES, mutated(MSPDI_SEEDS | XER_SEEDS | PMXML_SEEDS)))
def test_read_schedule_and_load_sniff_any_file(content):
    assert_survives(read_schedule, content, "plan.xml")
    assert_survives(rc.load, content, "plan.xer")


SEEDS = TOML_SEEDS | JSON_SEEDS | MSPDI_SEEDS | XER_SEEDS | PMXML_SEEDS


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_the_seeds_themselves_load(name):
    with _file(SEEDS[name], name) as path:
        project = rc.load(path)
    assert isinstance(project, rc.Project) and project.activities
