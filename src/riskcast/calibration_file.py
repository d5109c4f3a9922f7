"""The files of a calibration: the past tasks it learns from (a CSV file, or the forecast history
database) and what :func:`~riskcast.calibration.fit_calibration` learnt, as TOML.

The calibration file::

    format = "riskcast-calibration/1"
    source = "history.csv"
    tag = "team"                       # the task tag whose values name the classes
    items = 186                        # past tasks, and their projects
    projects = 14
    reference = "mean"                 # ratios are actual / the estimate's mean

    [pooled]
    items = 186
    projects = 14
    median_ratio = 1.31                # bias: half the tasks take longer than 1.31 x estimate
    p80_ratio = 1.83
    sigma_between = 0.24               # log-scale sd of the shared (per-project) part
    sigma_within = 0.31                # log-scale sd of the per-task part
    family = "lognormal"               # the per-task part's shape (chosen by AIC)
    shared = { lognormal = { mu = 0.27, sigma = 0.24 } }   # riskcast estimate specs
    task = { lognormal = { mu = 0.0, sigma = 0.31 } }

    [[class]]
    value = "backend"
    ...                                # as [pooled], plus weight and fallback

``shared`` and ``task`` are riskcast estimate specs (:func:`riskcast.distributions.from_spec`),
the distributions a calibrated plan samples; the other numbers are there for people (the
reader checks their types, not that they agree with the specs). Written atomically.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .distributions import from_spec
from .errors import ModelError, RiskcastError

if TYPE_CHECKING:
    from .calibration import Calibration, ClassFit

FAMILIES = ("lognormal", "gamma", "weibull")  # candidate shapes of the per-task residual
POOLED = "pooled"
FORMAT = "riskcast-calibration/1"
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
KNOWN_COLUMNS = (
    "project",
    "task",
    "estimate",
    "low",
    "likely",
    "high",
    "actual",
    "start",
    "finish",
)

MAX_PROBLEMS = 20  # listed in one error; the rest are counted


class CalibrationError(RiskcastError, ValueError):
    """Past-task data that cannot be calibrated on: a bad row (the message names the file and
    line), missing columns, or too little data."""


@dataclass(frozen=True)
class PastTask:
    """One finished task: what was estimated and what it took.

    Parameters
    ----------
    project : str
        The project it belonged to (its errors share the project's effect).
    task : str
        Its id, unique within the project.
    estimate : float
        The reference estimate, in working days (> 0): a single point, or a three-point
        estimate's Beta-PERT mean.
    actual : float
        The working days it took (> 0).
    tags : Mapping[str, str]
        Its labels (``team``, ``kind``, ...), the reference classes it can belong to.
    low, likely, high : float, optional
        The three-point estimate, in working days, when one was given.
    line : int, optional
        Its line in the CSV file it came from (for messages).
    """

    project: str
    task: str
    estimate: float
    actual: float
    tags: Mapping[str, str] = field(default_factory=dict)
    low: float | None = None
    likely: float | None = None
    high: float | None = None
    line: int | None = None

    @property
    def ratio(self) -> float:
        """``actual / estimate`` (dimensionless)."""
        return self.actual / self.estimate

    @property
    def three_point(self) -> bool:
        return self.low is not None and self.high is not None and self.likely is not None


# -- reading past tasks --------------------------------------------------------------------------
def _number(text: str, what: str, problems: list[str], place: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.append(f"{place}: {what} is not a number: {text!r}")
        return None
    if not math.isfinite(value):
        problems.append(f"{place}: {what} must be a finite number of working days, got {text!r}")
        return None
    return value


def _working_days(start: dt.date, finish: dt.date) -> float:
    """Mon-Fri working days from the start of ``start`` through the end of ``finish``."""
    return float(np.busday_count(start, finish + dt.timedelta(days=1)))


def _row(
    raw: dict[str, str], tags: Sequence[str], place: str, line: int, problems: list[str]
) -> PastTask | None:
    """One CSV row as a :class:`PastTask`, or None with its problems appended."""
    before = len(problems)
    get = {k: (raw.get(k) or "").strip() for k in (*KNOWN_COLUMNS, *tags)}
    for key in ("project", "task"):
        if not get[key]:
            problems.append(f"{place}: {key} is empty")
    three = [get[k] for k in ("low", "likely", "high")]
    low = likely = high = None
    if any(three):
        if get["estimate"]:
            problems.append(f"{place}: give estimate or low, likely, high, not both")
        elif not all(three):
            problems.append(f"{place}: a three-point estimate needs low, likely and high")
        else:
            low, likely, high = (
                _number(get[k], k, problems, place) for k in ("low", "likely", "high")
            )
            if None not in (low, likely, high):
                assert low is not None and likely is not None and high is not None
                if not low <= likely <= high:
                    problems.append(
                        f"{place}: need low <= likely <= high, got {low:g}, {likely:g}, {high:g}"
                    )
                elif low < 0 or high <= 0:
                    problems.append(
                        f"{place}: a three-point estimate must be >= 0 with high > 0 working "
                        f"days, got {low:g}, {likely:g}, {high:g}"
                    )
        estimate = None if low is None else (low + 4 * likely + high) / 6  # type: ignore[operator]
    elif get["estimate"]:
        estimate = _number(get["estimate"], "estimate", problems, place)
        if estimate is not None and estimate <= 0:
            problems.append(
                f"{place}: estimate must be > 0 working days (a ratio needs a positive "
                f"estimate), got {get['estimate']}"
            )
    else:
        problems.append(f"{place}: no estimate: give estimate, or low, likely and high")
        estimate = None
    actual = None
    if get["actual"]:
        actual = _number(get["actual"], "actual", problems, place)
        if actual is not None and actual <= 0:
            problems.append(f"{place}: actual must be > 0 working days, got {get['actual']}")
    elif get["start"] or get["finish"]:
        try:
            start = dt.date.fromisoformat(get["start"])
            finish = dt.date.fromisoformat(get["finish"])
        except ValueError:
            problems.append(
                f"{place}: start and finish must be dates YYYY-MM-DD, got "
                f"{get['start']!r} and {get['finish']!r}"
            )
        else:
            if finish < start:
                problems.append(
                    f"{place}: actual finish {finish} is before its start {start}; "
                    "swap them or fix the dates"
                )
            else:
                actual = _working_days(start, finish)
                if actual <= 0:
                    problems.append(f"{place}: {start} to {finish} holds no working day (Mon-Fri)")
    else:
        problems.append(f"{place}: no actual: give actual (working days), or start and finish")
    if len(problems) > before:
        return None
    assert estimate is not None and actual is not None
    labels = {t: get[t] for t in tags if get[t]}
    return PastTask(get["project"], get["task"], estimate, actual, labels, low, likely, high, line)


def read_history_csv(path: str | Path) -> list[PastTask]:
    """Past tasks from a CSV file.

    Columns: ``project``, ``task`` (its id), the estimate (``estimate``, a single point, or
    ``low``, ``likely``, ``high``; either per row), the actual (``actual`` working days, or
    ``start`` and ``finish`` dates, counted as Mon-Fri working days including both ends), and
    any other column as a tag (``team``, ``kind``, ``phase``, ...; empty means untagged).

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file (UTF-8, a header row first).

    Returns
    -------
    list of PastTask
        In file order.

    Raises
    ------
    CalibrationError
        Missing columns, or bad rows: every problem is listed with its line, e.g. a zero or
        negative estimate, a negative actual, a finish before the start, a value that is not a
        finite number, a repeated (project, task).
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            missing = [c for c in ("project", "task") if c not in header]
            if "estimate" not in header and not {"low", "likely", "high"} <= set(header):
                missing.append("estimate (or low, likely, high)")
            if "actual" not in header and not {"start", "finish"} <= set(header):
                missing.append("actual (or start, finish)")
            if missing:
                raise CalibrationError(
                    f"{path}: missing column{'s' if len(missing) > 1 else ''}: "
                    f"{', '.join(missing)} (header: {', '.join(header) or 'none'})"
                )
            tags = [h for h in header if h and h not in KNOWN_COLUMNS]
            items: list[PastTask] = []
            problems: list[str] = []
            seen: dict[tuple[str, str], int] = {}
            for raw in reader:
                line = reader.line_num
                if None in raw:
                    problems.append(f"line {line}: more values than the header has columns")
                    continue
                if not any((v or "").strip() for v in raw.values()):
                    continue  # a blank line
                # a repeat is a problem even when the first one was bad too
                key = ((raw.get("project") or "").strip(), (raw.get("task") or "").strip())
                if all(key) and key in seen:
                    problems.append(
                        f'line {line}: task "{key[1]}" of project "{key[0]}" is repeated '
                        f"(first on line {seen[key]}); each task once"
                    )
                    continue
                seen.setdefault(key, line)
                item = _row(raw, tags, f"line {line}", line, problems)
                if item is None:
                    continue
                items.append(item)
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CalibrationError(f"{path}: not a readable CSV file: {exc}") from None
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        tail = f"\n  ... and {more} more" if more else ""
        head = f"{path}: {len(problems)} bad row{'s' if len(problems) > 1 else ''}:"
        raise CalibrationError(head + "\n" + "\n".join(f"  - {p}" for p in shown) + tail)
    if not items:
        raise CalibrationError(f"{path}: no past tasks (the file has a header only)")
    return items


def from_history(history: Any, model: str | None = None) -> list[PastTask]:
    """Past tasks from the forecast history database (:class:`riskcast.history.History`).

    Each finished task, as the latest recorded forecast of its model saw it
    (:meth:`~riskcast.history.History.actuals`): the model's project name is the project, the
    estimate's mean the reference estimate, the recorded working days the actual. The database
    keeps no tags, so it feeds the pooled class only. Tasks with a zero estimate (milestone-like
    work) or no working time carry no ratio and are left out.

    Parameters
    ----------
    history : History, str or pathlib.Path
        An open history, or the path of its file.
    model : str, optional
        Only this model's tasks (its project name); None for every model.

    Returns
    -------
    list of PastTask

    Raises
    ------
    CalibrationError
        If the history holds no finished task with a positive estimate.
    """
    from .history import History

    if isinstance(history, History):
        records = history.actuals(model)
        where = str(history.path) if hasattr(history, "path") else "the history"
    else:
        with History(history, create=False) as opened:
            records = opened.actuals(model)
        where = str(history)
    items = [
        PastTask(a.model, a.task, a.estimate_mean, a.actual_days, {}, likely=a.estimate_most_likely)
        for a in records
        if a.estimate_mean > 0 and a.actual_days > 0
    ]
    if not items:
        raise CalibrationError(
            f"{where}: no finished task with a positive estimate recorded yet; record forecasts "
            "of plans with actual start and finish dates first (riskcast run)"
        )
    return items


def read_past_tasks(path: str | Path) -> list[PastTask]:
    """Past tasks from a CSV file (:func:`read_history_csv`) or a forecast history database
    (:func:`from_history`; recognised by its SQLite header, whatever its name)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head == b"SQLite format 3\x00":
        return from_history(path)
    return read_history_csv(path)


# -- the calibration file ---------------------------------------------------------------------------


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key)


def _value(value: Any) -> str:
    """Inline TOML for the values a calibration holds (JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ("inf" if value > 0 else "-inf") if math.isinf(value) else "nan"
        return repr(value)  # the shortest text that reads back to the same float
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _class_lines(fit: ClassFit, pooled: bool) -> list[str]:
    pairs: list[tuple[str, Any]] = []
    if not pooled:
        pairs.append(("value", fit.value or ""))
    pairs += [
        ("items", fit.items),
        ("projects", fit.projects),
        ("median_ratio", round(fit.median_ratio, 6)),
        ("p80_ratio", round(fit.p80_ratio, 6)),
        ("sigma_between", fit.sigma_b),
        ("sigma_within", fit.sigma_w),
        ("mu", fit.mu),
        ("family", fit.family),
    ]
    if not pooled:
        pairs += [("weight", fit.weight), ("fallback", fit.fallback)]
    if fit.aic:
        pairs.append(("aic", dict(fit.aic)))
    pairs += [("shared", fit.shared.to_spec()), ("task", fit.task.to_spec())]
    return [f"{k} = {_value(v)}" for k, v in pairs]


def calibration_toml(calibration: Calibration) -> str:
    """The calibration file's text (see the module docstring)."""
    head: list[tuple[str, Any]] = [("format", FORMAT), ("source", calibration.source)]
    if calibration.tag is not None:
        head.append(("tag", calibration.tag))
    head += [
        ("items", calibration.items),
        ("projects", calibration.projects),
        ("reference", "mean"),
    ]
    lines = [
        "# riskcast calibration: how actual durations compared with their estimates",
        "# (ratio = actual / estimate mean; shared: one draw per run for a class's tasks,",
        "# task: one draw per task). Written by riskcast calibrate.",
        *(f"{k} = {_value(v)}" for k, v in head),
        "",
        "[pooled]",
        *_class_lines(calibration.pooled, True),
    ]
    for fit in calibration.classes:
        lines += ["", "[[class]]", *_class_lines(fit, False)]
    return "\n".join(lines) + "\n"


def write_calibration(calibration: Calibration, path: str | Path) -> Path:
    """Write the calibration file atomically (a temp file in the same folder, then a rename).

    Parameters
    ----------
    calibration : Calibration
    path : str or pathlib.Path
        The TOML file to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    text = calibration_toml(calibration)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _field(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise CalibrationError(f"{where}: missing {key}")
    value = table[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CalibrationError(f"{where} > {key}: unexpected value {value!r}")
    return value


def _read_class(table: Any, where: str, pooled: bool) -> ClassFit:
    if not isinstance(table, Mapping):
        raise CalibrationError(f"{where}: expected a table")
    from .calibration import ClassFit

    number = (int, float)
    family = _field(table, "family", str, where)
    if family not in FAMILIES:
        raise CalibrationError(f"{where} > family: {family!r} is not one of {', '.join(FAMILIES)}")
    try:
        shared = from_spec(_field(table, "shared", (dict, int, float), where))
        task = from_spec(_field(table, "task", (dict, int, float), where))
    except ModelError as exc:
        raise CalibrationError(f"{where}: {exc}") from None
    for name, dist in (("shared", shared), ("task", task)):
        problems = dist.problems()
        if problems or dist.minimum < 0:
            raise CalibrationError(
                f"{where} > {name}: {'; '.join(problems) or 'a ratio must be >= 0'}"
            )
    sigmas = [float(_field(table, k, number, where)) for k in ("sigma_between", "sigma_within")]
    if any(not (math.isfinite(s) and s >= 0) for s in sigmas):
        raise CalibrationError(f"{where}: sigma_between and sigma_within must be >= 0")
    aic = table.get("aic", {})
    return ClassFit(
        POOLED if pooled else "",
        None if pooled else str(_field(table, "value", str, where)),
        int(_field(table, "items", int, where)),
        int(_field(table, "projects", int, where)),
        float(_field(table, "mu", number, where)),
        sigmas[0],
        sigmas[1],
        family,
        shared,
        task,
        1.0 if pooled else float(_field(table, "weight", number, where)),
        False if pooled else bool(_field(table, "fallback", bool, where)),
        {str(k): float(v) for k, v in aic.items()} if isinstance(aic, Mapping) else {},
    )


def read_calibration(path: str | Path) -> Calibration:
    """Read a calibration file written by :func:`write_calibration`.

    Raises
    ------
    CalibrationError
        The file cannot be read, is not TOML, is not a calibration, or a field is missing or
        wrong (the message names the file and the field).
    """
    from .calibration import Calibration

    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CalibrationError(f"{path}: not a TOML file: {exc}") from None
    if document.get("format") != FORMAT:
        raise CalibrationError(
            f'{path}: not a riskcast calibration (format = "{FORMAT}" expected, got '
            f"{document.get('format')!r}); write one with riskcast calibrate"
        )
    pooled = _read_class(document.get("pooled"), f"{path} > pooled", True)
    tag = document.get("tag")
    classes = []
    for k, table in enumerate(document.get("class", [])):
        fit = _read_class(table, f"{path} > class[{k}]", False)
        if tag is None:
            raise CalibrationError(f"{path}: classes need the tag they match on (tag = ...)")
        classes.append(_named(fit, f"{tag}={fit.value}"))
    return Calibration(
        pooled,
        tuple(classes),
        tag if isinstance(tag, str) else None,
        int(document.get("items", pooled.items)),
        int(document.get("projects", pooled.projects)),
        str(document.get("source", "")),
    )


def _named(fit: ClassFit, name: str) -> ClassFit:
    return dataclasses.replace(fit, name=name)
