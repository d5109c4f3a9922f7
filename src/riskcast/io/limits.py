"""Limits on what the readers accept, and the checks that keep hostile input from crashing them.

Every reader of untrusted files (model files, MSPDI, XER, PMXML) goes through these: a file size
limit, a nesting-depth limit for model files, a length limit for every piece of text riskcast
keeps (ids, names, tag keys and values, ...), recognising binary files, and short quotes of bad
values in messages. A limit that is hit is a :class:`~riskcast.errors.ModelError` naming the file,
the place, the limit and what to do; the limits are documented in the README ("Files and limits").
"""

from __future__ import annotations

import codecs
import math
import os
import reprlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ModelError

MiB = 1024 * 1024
#: Largest model file (TOML or JSON): about 100,000 tasks like those of the bundled models.
MAX_MODEL_BYTES = 32 * MiB
#: Largest schedule file (MSPDI XML, XER, PMXML); schedules carry much more than riskcast reads.
MAX_SCHEDULE_BYTES = 256 * MiB
#: Longest text riskcast keeps: a name, a title, an owner, a tag key or value, a calendar name,
#: a key of a model file. Longer text is an error (imported WBS paths are shortened).
MAX_TEXT = 2000
#: Longest id of a task, milestone, resource, risk or branch (ids name output files and columns).
MAX_ID = 200
#: Deepest nesting of tables and lists in a model file (real models need about 8 levels).
MAX_DEPTH = 32
#: Most problems listed in one ModelError; the rest are counted.
MAX_PROBLEMS = 200
#: Most links that the expansion of links on summary tasks may create in an imported schedule.
MAX_EXPANDED_LINKS = 1_000_000

MODEL_FORMATS = "TOML (.toml) or JSON (.json) model files"
SCHEDULE_FORMATS = "MS Project MSPDI XML (.xml), Primavera P6 XER (.xer) and P6 PMXML (.xml)"
ACCEPTED = (
    f"riskcast reads {MODEL_FORMATS} saved as UTF-8 text, and schedules exported as "
    f"{SCHEDULE_FORMATS}"
)

# File signatures of common non-text files, to name them in messages.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"PK\x03\x04", "a ZIP archive (e.g. an Excel or Word file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE2 compound file (e.g. a binary .mpp or .xls)"),
    (b"BZh", "a bzip2 archive"),
    (b"\x7fELF", "a program (ELF)"),
    (b"MZ", "a Windows program"),
)
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1a\x1b")

_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = 6
_REPR.maxdict = 4
_REPR.maxlevel = 3
_REPR.maxlong = 40


def show(value: Any) -> str:
    """A short quote of ``value`` for a message: at most a few dozen characters, whatever its
    size or depth (``reprlib``), so that a bad 50 MB value never becomes a 50 MB message."""
    try:
        return _REPR.repr(value)
    except Exception:  # a hostile object's __repr__
        return f"<{type(value).__name__}>"


def quote(text: str) -> str:
    """``"text"`` for a message, cut to a few dozen characters when longer."""
    return f'"{text}"' if len(text) <= 60 else f'"{text[:40]}..." ({len(text):,} characters)'


def size_text(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n:,} bytes"


def check_size(path: Path, limit: int, what: str, source: str) -> int:
    """The size of ``path``; a ModelError when it is over ``limit`` or cannot be read."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise ModelError("cannot read the file: file not found", source) from None
    except OSError as exc:
        raise ModelError(f"cannot read the file: {exc.strerror or exc}", source) from None
    if size > limit:
        raise ModelError(
            f"the file is {size_text(size)}; riskcast reads {what} up to {size_text(limit)}. "
            f"Check that it is the right file; split a larger plan into several",
            source,
        )
    return size


def read_bytes(path: Path, limit: int, what: str, source: str) -> bytes:
    """The bytes of ``path`` (at most ``limit``; see :func:`check_size`)."""
    check_size(path, limit, what, source)
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise ModelError("cannot read the file: file not found", source) from None
    except IsADirectoryError:
        raise ModelError("this is a folder, not a file", source) from None
    except OSError as exc:
        raise ModelError(f"cannot read the file: {exc.strerror or exc}", source) from None
    if len(data) > limit:  # it grew since stat
        raise ModelError(f"the file is over {size_text(limit)}, the limit for {what}", source)
    return data


def signature(head: bytes) -> str | None:
    """What a known binary file is ("a PNG image"), from its first bytes; None if unknown."""
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            return what
    return None


def looks_binary(head: bytes) -> bool:
    """True for data that is not text: a NUL byte, or more than 1 % control characters."""
    sample = head[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls > max(1, len(sample) // 100)


def is_utf16(head: bytes) -> bool:
    """A UTF-16 text: a UTF-16 byte-order mark, or ASCII text with every other byte NUL."""
    if head.startswith(UTF16_BOMS):
        return True
    sample = head[:64]
    if len(sample) < 8:
        return False
    evens, odds = sample[0::2], sample[1::2]
    little = not odds.strip(b"\x00") and evens.isascii() and bool(evens.strip(b"\x00"))
    big = not evens.strip(b"\x00") and odds.isascii() and bool(odds.strip(b"\x00"))
    return little or big


def decode_utf16(data: bytes, what: str, source: str) -> str:
    """Text of a UTF-16 file (with or without byte-order mark)."""
    if data.startswith(UTF16_BOMS):
        codec = "utf-16"
    else:
        codec = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ModelError(
            f"this {what} is UTF-16 text with a damaged character at byte {exc.start}; "
            "save it again (as UTF-8 if the tool offers it)",
            source,
        ) from None


def decode_text(data: bytes, what: str, source: str) -> str:
    """The text of a model file: UTF-8 (a byte-order mark is dropped) or UTF-16.

    Binary data (an image, an archive, random bytes) and text in another encoding are errors that
    say what the file is and what riskcast reads.
    """
    if is_utf16(data):
        return decode_utf16(data, what, source)
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    kind = signature(data)
    if kind is not None or looks_binary(data):
        raise ModelError(f"this is {kind or 'binary data'}, not a text {what}; {ACCEPTED}", source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        raise ModelError(
            f"line {line}, column {column}: byte {data[exc.start]:#04x} is not UTF-8 text; "
            f"the {what} must be saved as UTF-8 (the file may be in a Windows code page: "
            "save it again choosing UTF-8)",
            source,
        ) from None


def check_text(value: str, where: str, source: str | None = None) -> None:
    """A ModelError when ``value`` is longer than :data:`MAX_TEXT` characters."""
    if len(value) > MAX_TEXT:
        raise ModelError(f"{where}: {too_long(value)}", source)


def check_id(value: str, where: str, source: str | None = None) -> None:
    """A ModelError when the id ``value`` is longer than :data:`MAX_ID` characters."""
    if len(value) > MAX_ID:
        raise ModelError(f"{where}: {too_long(value, MAX_ID)}", source)


def too_long(value: str, limit: int = MAX_TEXT) -> str:
    """The problem of an over-long text (without its place)."""
    what = "an id is" if limit == MAX_ID else "text is"
    return (
        f"{len(value):,} characters, starting {show(value[:30])}; {what} limited to "
        f"{limit:,} characters. Shorten it"
    )


def finite(value: float) -> bool:
    """True for a number that is neither NaN nor infinite (ints of any size are tested too)."""
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        return False


def cap(problems: list[str]) -> list[str]:
    """At most :data:`MAX_PROBLEMS` problems, the rest counted in a last line; each problem cut
    to a readable length."""
    out = [p if len(p) <= 2000 else p[:2000] + " ... (message cut)" for p in problems]
    if len(out) > MAX_PROBLEMS:
        rest = len(out) - MAX_PROBLEMS
        out = [*out[:MAX_PROBLEMS], f"... and {rest:,} more problems (fix these first)"]
    return out


def walk_model(data: Any) -> Iterator[tuple[tuple, str]]:
    """(path, problem) for each shape problem of parsed model data: nesting deeper than
    :data:`MAX_DEPTH`, text or keys longer than :data:`MAX_TEXT`, keys that are not text,
    numbers beyond the float range and JSON nulls. Iterative: any depth is safe, time is
    linear."""
    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict | list | tuple) and len(path) >= MAX_DEPTH:
            yield (
                path,
                (
                    f"nested too deeply: more than {MAX_DEPTH} levels of tables and lists "
                    "(a model needs about 8); the file is damaged or not a riskcast model"
                ),
            )
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    yield path, f"key {show(key)} is not text; keys are names like id or task"
                    continue
                if len(key) > MAX_TEXT:
                    yield path, f"a key of {too_long(key)}"
                    continue
                stack.append((item, (*path, key)))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, k)) for k, item in enumerate(value))
        elif isinstance(value, str):
            if len(value) > MAX_TEXT:
                yield path, too_long(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            if not finite(value):
                yield path, f"the number {show(value)} is too large (beyond ±1.8e308)"
        elif value is None:
            yield path, "null is not a value of any key in a model; leave the key out instead"


def place(data: Any, path: tuple) -> str:
    """``task "api" > estimate > pert[2]``: a path into model data as the messages name it."""
    parts: list[str] = []
    node = data
    for k, key in enumerate(path):
        child = node[key] if isinstance(node, dict | list | tuple) else None
        if isinstance(key, int):
            ident = child.get("id") if isinstance(child, dict) else None
            if k == 1 and isinstance(ident, str) and len(ident) <= 100:
                parts[-1] = f'{parts[-1]} "{ident}"'
            else:
                parts[-1] = f"{parts[-1]}[{key}]" if parts else f"[{key}]"
        else:
            parts.append(key if len(key) <= 100 else show(key))
        node = child
    return " > ".join(parts) or "the file"
