"""The inputs of a throughput forecast (:mod:`riskcast.throughput`): a team's history of items
finished per period (counts, or a CSV of completion dates bucketed by week), the backlog (a
number, a range or any estimate of item counts, with an optional split factor), the period
multipliers and the horizon, each checked with a clear error naming its place.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .distributions import Discrete, Distribution
from .errors import ArgumentError, ModelError

DEFAULT_PERIOD_DAYS = 5.0  # working days in a period: a week
DEFAULT_HORIZON = 520  # periods (ten years of weeks) before the rest is censored
MAX_HORIZON = 10_000  # periods: beyond any plan, and it bounds the work of the DP
MAX_ITEMS = 1_000_000  # items in a backlog: bounds the DP's memory (8 MB per period's array)
MAX_HISTORY_BYTES = 64 * 1024 * 1024  # a CSV of completion dates
MAX_SPLIT = 100.0  # a split factor beyond this is a unit mistake
MAX_MULTIPLIER = 100.0
ROUNDING_TOLERANCE = 1e-9  # items: round-off allowed when a product is rounded to whole items
PERCENTILE_TOLERANCE = 1e-12  # probability: round-off allowed when a percentile is looked up
TINY = 1e-300  # probability: a survival below this is round-off, taken as 0 (see when())
TAIL = 1e-12  # a continuous backlog distribution is cut at this upper-tail probability
# A plan's throughput task may censor at most this probability: the engine needs a finite
# duration, so the censored runs are put one period past the horizon (a lower bound), and more
# than this would be a visibly wrong tail.
MAX_CENSORED = 1e-4


XMR_SCALE = 2.66  # natural process limits: mean +/- 2.66 x average moving range (3 / d2)
RUN_LENGTH = 8  # points in a row on one side of the centre line that signal a shift
SHORT_HISTORY = 6  # periods: fewer make the process limits unreliable

# The folder a model file's ``history = "file.csv"`` is relative to (set while it is read).
_HISTORY_FOLDER: ContextVar[Path | None] = ContextVar("history_folder", default=None)


@contextmanager
def history_folder(folder: str | Path) -> Iterator[None]:
    """Read relative ``history`` paths of throughput estimates from ``folder`` inside this block
    (the model reader sets the model file's folder)."""
    token = _HISTORY_FOLDER.set(Path(folder))
    try:
        yield
    finally:
        _HISTORY_FOLDER.reset(token)


# -- inputs ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class History:
    """Items finished per period, oldest first.

    Attributes
    ----------
    counts : tuple of int
        Items finished in each period (>= 0, not all zero).
    first_period : datetime.date or None
        Monday of the first ISO week, when the history was bucketed from completion dates.
    source : str or None
        The file it was read from, if any.
    """

    counts: tuple[int, ...]
    first_period: dt.date | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", parse_counts(self.counts))

    @property
    def mean(self) -> float:
        """Mean items per period."""
        return math.fsum(self.counts) / len(self.counts)

    def __len__(self) -> int:
        return len(self.counts)


def parse_counts(values: Any, where: str = "throughput") -> tuple[int, ...]:
    """Validate a throughput history: a non-empty list of whole, non-negative item counts per
    period, not all zero (a team that never finishes anything never finishes the backlog).

    Raises
    ------
    ModelError
        Naming each bad entry (``throughput[3]: ...``) and what is allowed.
    """
    if isinstance(values, History):
        return values.counts
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Sequence | np.ndarray):
        raise ModelError(
            f"{where}: expected a list of items finished per period, e.g. [3, 5, 4, 6], "
            f"got {values!r}"
        )
    if len(values) == 0:
        raise ModelError(
            f"{where}: the history is empty; give the items finished in each past period"
        )
    problems, out = [], []
    for i, v in enumerate(np.asarray(values, dtype=object).tolist()):
        if isinstance(v, np.generic):  # numpy scalars in a list stay numpy objects
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, int | float):
            problems.append(f"{where}[{i}]: must be a whole number of items, got {v!r}")
        elif not math.isfinite(v):
            problems.append(f"{where}[{i}]: must be a finite whole number, got {v!r}")
        elif v < 0:
            problems.append(f"{where}[{i}]: items finished cannot be negative, got {v!r}")
        elif v != int(v):
            problems.append(f"{where}[{i}]: must be a whole number of items, got {v!r}")
        elif v > MAX_ITEMS:
            problems.append(f"{where}[{i}]: at most {MAX_ITEMS:,} items a period, got {v!r}")
        else:
            out.append(int(v))
    if problems:
        raise ModelError(problems)
    if not any(out):
        raise ModelError(
            f"{where}: every period of the history finished 0 items, so the backlog would never "
            "be done; give a history with some finished items"
        )
    return tuple(out)


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None


def parse_history_csv(text: str, source: str = "history") -> History:
    """Bucket a CSV of completion dates (one finished item a line, the date in the first column,
    ISO ``YYYY-MM-DD`` or an ISO date-time) into items per ISO week (Monday to Sunday).

    A first line whose first cell holds no digit is a header; blank lines are skipped. Weeks
    between the first and the last date without a finished item count as 0.

    Raises
    ------
    ModelError
        Naming ``source`` and the line of a date that cannot be read, or an empty file.
    """
    rows = csv.reader(io.StringIO(text))
    dates: list[dt.date] = []
    problems: list[str] = []
    seen_data = False
    for number, row in enumerate(rows, start=1):
        cell = row[0].strip() if row else ""
        if not cell and not any(c.strip() for c in row):
            continue
        if not seen_data and not any(ch.isdigit() for ch in cell):
            seen_data = True  # the header
            continue
        seen_data = True
        date = _parse_date(cell)
        if date is None:
            hint = (
                "; the file lists one completion date per finished item, give counts per "
                "period inline instead (e.g. 3,5,4)"
                if cell.isdigit()
                else ""
            )
            problems.append(
                f"{source} line {number}: {cell!r} is not a date (expected YYYY-MM-DD){hint}"
            )
            if len(problems) >= 20:
                problems.append(f"{source}: more bad lines not listed")
                break
            continue
        dates.append(date)
    if problems:
        raise ModelError(problems)
    if not dates:
        raise ModelError(f"{source}: no completion dates; list one date per finished item")
    ordinals = np.array([d.toordinal() for d in dates], np.int64)
    # ordinal 1 is Monday 0001-01-01, so (ordinal - 1) // 7 numbers the Monday-based weeks
    weeks = (ordinals - 1) // 7
    counts = np.bincount(weeks - weeks.min())
    first = dt.date.fromordinal(int(weeks.min()) * 7 + 1)
    try:
        return History(tuple(int(c) for c in counts), first, source)
    except ModelError as exc:  # not all zero by construction; kept for a clear message anyway
        raise ModelError([f"{source}: {p}" for p in exc.problems]) from None


def read_history_csv(path: str | Path) -> History:
    """Read a CSV of completion dates (see :func:`parse_history_csv`). A relative path is taken
    from the folder of the model file being read, if any (:func:`history_folder`)."""
    path = Path(path)
    folder = _HISTORY_FOLDER.get()
    if folder is not None and not path.is_absolute():
        path = folder / path
    source = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_HISTORY_BYTES + 1)
    except FileNotFoundError:
        raise ModelError(f"{source}: cannot read the history: file not found") from None
    except IsADirectoryError:
        raise ModelError(f"{source}: this is a folder, not a history file") from None
    except OSError as exc:
        raise ModelError(f"{source}: cannot read the history: {exc.strerror or exc}") from None
    if len(data) > MAX_HISTORY_BYTES:
        raise ModelError(f"{source}: a history file may hold at most {MAX_HISTORY_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelError(
            f"{source}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"
        ) from None
    return parse_history_csv(text, source)


def as_history(value: Any) -> History:
    if isinstance(value, History):
        return value
    if isinstance(value, str | Path):
        return read_history_csv(value)
    return History(parse_counts(value))


@dataclass(frozen=True)
class Backlog:
    """Distribution of the number of items to finish (after any split), on whole numbers.

    Attributes
    ----------
    values : numpy.ndarray of int64
        Item counts, ascending.
    probabilities : numpy.ndarray of float64
        Their probabilities (sum 1).
    """

    values: np.ndarray
    probabilities: np.ndarray

    @property
    def low(self) -> int:
        return int(self.values[0])

    @property
    def high(self) -> int:
        return int(self.values[-1])

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probabilities))

    def quantile(self, q: float) -> int:
        """Smallest item count n with P(B <= n) >= q/100."""
        cum = np.cumsum(self.probabilities)
        return int(
            self.values[min(np.searchsorted(cum, q / 100 - PERCENTILE_TOLERANCE), len(cum) - 1)]
        )


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ModelError(f"{where}: expected a whole number of items, got {value!r}")
    if not math.isfinite(value) or value != int(value):
        raise ModelError(f"{where}: expected a whole number of items, got {value!r}")
    if not 0 <= value <= MAX_ITEMS:
        raise ModelError(f"{where}: must be between 0 and {MAX_ITEMS:,} items, got {value!r}")
    return int(value)


def ceil_items(x: np.ndarray) -> np.ndarray:
    """Round up to whole items, a value within ROUNDING_TOLERANCE above a whole number counting
    as that number (binary round-off, e.g. 100 x 1.1 = 110.00000000000001)."""
    return np.ceil(np.asarray(x, float) - ROUNDING_TOLERANCE).astype(np.int64)


def base_backlog(items: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, probabilities) of the backlog before any split."""
    if isinstance(items, Backlog):
        return items.values, items.probabilities
    if isinstance(items, str):
        return base_backlog(parse_items(items, where), where)
    if isinstance(items, Distribution):
        return _discretise(items, where)
    if isinstance(items, Sequence) and not isinstance(items, bytes):
        if len(items) != 2:
            raise ModelError(f"{where}: a range of items is [low, high], got {list(items)!r}")
        low, high = _whole(items[0], f"{where}[0]"), _whole(items[1], f"{where}[1]")
        if low > high:
            raise ModelError(
                f"{where}: the range [{low}, {high}] is inverted; write [{high}, {low}]"
            )
        n = high - low + 1
        return np.arange(low, high + 1, dtype=np.int64), np.full(n, 1.0 / n)
    return np.array([_whole(items, where)], np.int64), np.ones(1)


def _discretise(dist: Distribution, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Whole item counts of ``dist``, rounded up: P(B = n) = F(n) - F(n - 1), B >= 0."""
    if isinstance(dist, Discrete):
        values, probs = dist.sorted_support
        counts = np.maximum(ceil_items(np.array(values)), 0)
        if counts.max() > MAX_ITEMS:
            raise ModelError(f"{where}: at most {MAX_ITEMS:,} items, got {counts.max():,}")
        merged = np.bincount(counts, weights=np.array(probs))
        keep = np.flatnonzero(merged > 0)
        return keep.astype(np.int64), merged[keep] / math.fsum(merged[keep])
    if not dist.has_spread:  # Fixed, or a distribution without spread
        return np.array([max(int(ceil_items(np.array([dist.mean]))[0]), 0)], np.int64), np.ones(1)
    ref = dist.scipy()
    low = max(math.floor(dist.minimum), 0)
    top = float(ref.ppf(1.0 - TAIL))
    if not math.isfinite(top) or top > MAX_ITEMS:
        raise ModelError(
            f"{where}: the backlog distribution reaches beyond {MAX_ITEMS:,} items; check it"
        )
    high = max(math.ceil(top), low)
    grid = np.arange(low, high + 1, dtype=np.int64)
    cdf = np.asarray(ref.cdf(grid.astype(float)), float)
    cdf[-1] = 1.0  # the tail past the cut goes onto the last point
    probs = np.diff(np.concatenate(([0.0], cdf)))
    probs = np.clip(probs, 0.0, None)
    keep = np.flatnonzero(probs > 0)
    return grid[keep], probs[keep] / math.fsum(probs[keep])


def parse_items(text: str, where: str = "--items") -> tuple[int, int] | int:
    """``"100"`` or ``"100..120"`` (a range of whole numbers, inclusive) from the command line."""
    low, sep, high = text.strip().partition("..")
    try:
        if not sep:
            return _whole(float(low) if "." in low or "e" in low.lower() else int(low), where)
        return (_whole(int(low), where), _whole(int(high), where))
    except ValueError:
        raise ModelError(
            f"{where}: expected a number of items or a range like 100..120, got {text!r}"
        ) from None


def check_split(split: Any, where: str = "split") -> tuple[float, float] | None:
    if split is None:
        return None
    if isinstance(split, int | float) and not isinstance(split, bool):
        split = (split, split)
    if not isinstance(split, Sequence) or isinstance(split, str) or len(split) != 2:
        raise ModelError(f"{where}: expected [low, high], e.g. [1.0, 1.3], got {split!r}")
    low, high = split
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ModelError(f"{where}: {name} must be a finite number, got {v!r}")
        if not 0 < v <= MAX_SPLIT:
            raise ModelError(f"{where}: {name} must be in (0, {MAX_SPLIT:g}], got {v!r}")
    if low > high:
        raise ModelError(f"{where}: the range [{low}, {high}] is inverted; write [{high}, {low}]")
    return float(low), float(high)


def backlog(items: Any, split: Any = None, *, where: str = "items") -> Backlog:
    """The distribution of items to finish: ``items`` (a count, ``(low, high)`` whole numbers
    each equally likely, ``"100..120"``, or a riskcast distribution of item counts, rounded up)
    times an optional ``split`` factor uniform on ``(low, high)``, rounded up.

    The split is exact: for a backlog b and F ~ U(low, high), ceil(b F) = m exactly when
    (m - 1 + tol)/b < F <= (m + tol)/b (tol = :data:`ROUNDING_TOLERANCE`), whose length divided
    by high - low is P(m | b).
    """
    values, probs = base_backlog(items, where)
    factor = check_split(split)
    if factor is None or factor == (1.0, 1.0):
        return Backlog(values.astype(np.int64), np.asarray(probs, float))
    low, high = factor
    top = int(ceil_items(np.array([values[-1] * high]))[0])
    if top > MAX_ITEMS:
        raise ModelError(f"{where}: the split backlog reaches {top:,} items, above {MAX_ITEMS:,}")
    out = np.zeros(top + 1)
    for b, p in zip(values.tolist(), probs.tolist(), strict=True):
        if b == 0:
            out[0] += p
            continue
        if low == high:
            out[int(ceil_items(np.array([b * low]))[0])] += p
            continue
        first = int(ceil_items(np.array([b * low]))[0])
        last = int(ceil_items(np.array([b * high]))[0])
        m = np.arange(first, last + 1)
        lower = np.maximum((m - 1 + ROUNDING_TOLERANCE) / b, low)
        upper = np.minimum((m + ROUNDING_TOLERANCE) / b, high)
        out[first : last + 1] += p * np.clip(upper - lower, 0.0, None) / (high - low)
    keep = np.flatnonzero(out > 0)
    return Backlog(keep.astype(np.int64), out[keep] / math.fsum(out[keep]))


def check_horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer):
        raise ArgumentError(f"horizon must be a whole number of periods, got {horizon!r}")
    if not 1 <= horizon <= MAX_HORIZON:
        raise ArgumentError(f"horizon must be between 1 and {MAX_HORIZON:,} periods, got {horizon}")
    return int(horizon)


def check_period_days(period: Any, where: str = "period") -> float:
    if isinstance(period, bool) or not isinstance(period, int | float) or not math.isfinite(period):
        raise ModelError(f"{where}: expected working days per period (> 0), got {period!r}")
    if not 0 < period <= 366:
        raise ModelError(f"{where}: working days per period must be in (0, 366], got {period!r}")
    return float(period)


def period_of(date: dt.date, start: dt.date, period_days: float, calendar: Any = None) -> int:
    """The period (1 = the first) that holds ``date``, for periods of ``period_days`` working
    days from ``start`` on ``calendar`` (default Mon-Fri)."""
    from .calendar import Calendar

    cal = calendar or Calendar()
    if date < start:
        raise ModelError(f"{date.isoformat()} is before the start {start.isoformat()}")
    return int(cal.days_until_start_of(start, date) // period_days) + 1


def multipliers(
    spec: Any,
    horizon: int,
    *,
    start: dt.date | None = None,
    period_days: float = DEFAULT_PERIOD_DAYS,
    calendar: Any = None,
    where: str = "multipliers",
) -> np.ndarray:
    """Factors of periods 1..``horizon`` (index 0 is period 1), 1 unless ``spec`` says otherwise.

    ``spec`` is a mapping ``{period or date: factor}`` or a list of ``(period or date, factor)``
    pairs or ``{period = 3, factor = 0.5}`` / ``{date = ..., factor = ...}`` tables. Periods count
    from 1; a date needs ``start`` and names the period that holds it. A factor is >= 0.
    """
    out = np.ones(horizon)
    if spec is None:
        return out
    items: list[tuple[Any, Any]] = []
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, Sequence) and not isinstance(spec, str):
        for i, entry in enumerate(spec):
            if isinstance(entry, Mapping):
                unknown = set(entry) - {"period", "date", "factor"}
                if unknown or "factor" not in entry or len(set(entry) & {"period", "date"}) != 1:
                    raise ModelError(
                        f"{where}[{i}]: expected {{ period = 3, factor = 0.5 }} or "
                        f"{{ date = 2027-12-21, factor = 0.5 }}, got {entry!r}"
                    )
                items.append((entry.get("period", entry.get("date")), entry["factor"]))
            elif isinstance(entry, Sequence) and not isinstance(entry, str) and len(entry) == 2:
                items.append((entry[0], entry[1]))
            else:
                raise ModelError(f"{where}[{i}]: expected (period, factor), got {entry!r}")
    else:
        raise ModelError(f"{where}: expected a list of {{ period, factor }}, got {spec!r}")
    for key, factor in items:
        place = f"{where} {key}"
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            raise ModelError(f"{place}: the factor must be a number, got {factor!r}")
        if not math.isfinite(factor) or not 0 <= factor <= MAX_MULTIPLIER:
            raise ModelError(
                f"{place}: the factor must be in [0, {MAX_MULTIPLIER:g}], got {factor!r}"
            )
        if isinstance(key, str):
            parsed = _parse_date(key)
            if parsed is None:
                raise ModelError(f"{place}: expected a period number or a date, got {key!r}")
            key = parsed
        if isinstance(key, dt.date):
            if start is None:
                raise ModelError(
                    f"{place}: a date needs the start of the forecast; in a plan the task's "
                    "start varies from run to run, so give the period number (1 = its first)"
                )
            key = period_of(key, start, period_days, calendar)
        if isinstance(key, bool) or not isinstance(key, int | float) or key != int(key):
            raise ModelError(f"{place}: the period must be a whole number >= 1, got {key!r}")
        if key < 1:
            raise ModelError(f"{place}: periods count from 1 (the first), got {key!r}")
        if key <= horizon:
            out[int(key) - 1] = float(factor)
    return out


# -- stability (XmR) -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stability:
    """XmR (individuals and moving range) check of a throughput history.

    Attributes
    ----------
    values : tuple of int
        The history, items per period.
    mean : float
        Centre line, items per period.
    moving_ranges : tuple of float
        |x[i] - x[i-1]| for i = 1 .. n - 1.
    average_moving_range : float
    upper_limit, lower_limit : float
        Natural process limits, mean +/- 2.66 x average moving range; the lower one floored at 0.
    outside : tuple of int
        Indices of the periods outside the limits (strictly).
    runs : tuple of (int, int)
        (first index, length) of each run of >= 8 periods on one side of the centre line (a
        period on the line ends a run).
    warnings : tuple of str
        Why the history may not be a stable basis for a forecast; empty when it is.
    """

    values: tuple[int, ...]
    mean: float
    moving_ranges: tuple[float, ...]
    average_moving_range: float
    upper_limit: float
    lower_limit: float
    outside: tuple[int, ...]
    runs: tuple[tuple[int, int], ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def stable(self) -> bool:
        """No period outside the limits and no long run on one side."""
        return not self.outside and not self.runs


def stability(history: Any) -> Stability:
    """The XmR check of ``history``: is it a stable basis for a forecast?

    Points outside the natural process limits (mean +/- 2.66 x the average moving range, the
    lower one floored at 0) and runs of 8 or more periods on one side of the mean signal that the
    process changed: resampling from the whole history then mixes two different teams.
    """
    hist = as_history(history)
    x = np.asarray(hist.counts, float)
    mean = math.fsum(hist.counts) / len(x)
    mr = np.abs(np.diff(x))
    amr = float(mr.mean()) if mr.size else 0.0
    upper = mean + XMR_SCALE * amr
    lower = max(mean - XMR_SCALE * amr, 0.0)
    outside = tuple(int(i) for i in np.flatnonzero((x > upper) | (x < lower)))
    side = np.sign(x - mean).astype(int)
    runs: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(x) + 1):
        if i == len(x) or side[i] != side[first] or side[i] == 0:
            length = i - first
            if side[first] != 0 and length >= RUN_LENGTH:
                runs.append((first, length))
            first = i
    warnings: list[str] = []
    label = "period" if hist.first_period is None else "week"

    def when_(i: int) -> str:
        if hist.first_period is None:
            return f"{label} {i + 1}"
        return f"week of {(hist.first_period + dt.timedelta(weeks=i)).isoformat()}"

    if outside:
        shown = ", ".join(f"{when_(i)} ({hist.counts[i]})" for i in outside[:5])
        more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
        warnings.append(
            f"{len(outside)} {label}(s) outside the natural process limits "
            f"[{lower:.3g}, {upper:.3g}]: {shown}{more}; the history mixes unusual periods"
        )
    for start, length in runs:
        where = "above" if side[start] > 0 else "below"
        warnings.append(
            f"{length} {label}s in a row {where} the mean ({mean:.3g}) from {when_(start)}: "
            "the team's throughput shifted; consider only the periods since"
        )
    if len(x) < SHORT_HISTORY:
        warnings.append(
            f"only {len(x)} {label}(s) of history: too few to judge stability "
            f"({SHORT_HISTORY} or more recommended)"
        )
    return Stability(
        hist.counts,
        mean,
        tuple(mr.tolist()),
        amr,
        upper,
        lower,
        outside,
        tuple(runs),
        tuple(warnings),
    )
