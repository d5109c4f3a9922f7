"""``riskcast when`` and ``riskcast how-many``: throughput forecasts for a team that counts
backlog items (:mod:`riskcast.throughput`).

The percentiles are exact (dynamic programming over periods); the burn-up fan of ``--out`` is
drawn from Monte Carlo runs of the same model, seeded (``--seed``, default 0) so that the same
command draws the same chart."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from ._common import add_command, confidence, positive_float, positive_int
from ._errors import CliError
from ._output import Report, Staging, Streams, deliver, write_text
from ._text import aligned, iso, percent
from .jcl import iso_date

PERCENTILES = (50.0, 80.0, 95.0)
FAN_ITERATIONS = 10_000


# -- options ---------------------------------------------------------------------------------------
def _range(text: str) -> tuple[float, float]:
    """``--split``: ``1.0..1.3`` or one factor."""
    low, sep, high = text.strip().partition("..")
    try:
        pair = (float(low), float(high if sep else low))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a factor or a range like 1.0..1.3, got {text!r}"
        ) from None
    return pair


def _multiplier(text: str) -> tuple[str, float]:
    """``--multiplier WHEN=FACTOR``: a period number or a date, and its factor."""
    when, sep, factor = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return when.strip(), float(factor)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected PERIOD=FACTOR or DATE=FACTOR, e.g. 2027-12-20=0.5, got {text!r}"
        ) from None


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--throughput",
        "-t",
        required=True,
        metavar="FILE.csv|N,N,...",
        help="the team's history: a CSV of completion dates (one line per finished item, "
        "bucketed by ISO week; weeks without one count as 0) or items finished per period, "
        "separated by commas",
    )
    p.add_argument(
        "--start",
        "-s",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="first day of work (default: today), rolled to a working day (Mon-Fri)",
    )
    p.add_argument(
        "--period",
        type=positive_float,
        default=5.0,
        metavar="DAYS",
        help="working days per period of the history (default 5: a week)",
    )
    p.add_argument(
        "--multiplier",
        type=_multiplier,
        action="append",
        default=[],
        metavar="WHEN=FACTOR",
        help="capacity of one period, e.g. 2027-12-20=0.5 (the period holding that date) or "
        "3=0 (the third period); repeat for more",
    )
    p.add_argument(
        "--confidence",
        "-c",
        type=confidence,
        default=85.0,
        metavar="P",
        help="the confidence shown besides P50/P80/P95, a percentage (default 85)",
    )
    p.add_argument(
        "--iterations",
        "-n",
        type=positive_int,
        default=FAN_ITERATIONS,
        metavar="N",
        help=f"Monte Carlo runs of the burn-up chart (default {FAN_ITERATIONS:,}; the "
        "percentiles are exact and do not depend on it)",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="S",
        help="random seed of the burn-up chart's runs (default 0)",
    )
    p.add_argument(
        "--format",
        choices=("table", "text", "json", "csv"),
        default="table",
        help="what to print on stdout (default table; text is the same)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no notes and no warnings on stderr")


def parse_when(sub: Any) -> None:
    p = add_command(
        sub,
        "when",
        cmd_when,
        help="when will a backlog of items be done, from the team's throughput",
        description="Forecast the date a team finishes --items backlog items, resampling its "
        "past throughput (items finished per period) period by period. The percentiles are "
        "exact: the smallest period by which the backlog is done with at least that "
        "probability. With --out, write when.csv (the distribution), when.json and "
        "charts/burnup.png (the burn-up fan).",
    )
    _common_options(p)
    p.add_argument(
        "--items",
        "-i",
        required=True,
        metavar="N|LOW..HIGH",
        help="backlog size: a number of items, or a range whose whole numbers are equally likely",
    )
    p.add_argument(
        "--split",
        type=_range,
        metavar="LOW..HIGH",
        help="split/growth factor of the backlog, uniform on [LOW, HIGH] (e.g. 1.0..1.3); "
        "the items to finish are the backlog times it, rounded up",
    )
    p.add_argument(
        "--target",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="a target date: the probability of being done by then",
    )
    p.add_argument(
        "--horizon",
        type=positive_int,
        default=520,
        metavar="PERIODS",
        help="periods computed (default 520); later finishes are reported as beyond it",
    )
    p.add_argument("--out", "-o", metavar="DIR", help="write when.csv, when.json and the chart")


def parse_how_many(sub: Any) -> None:
    p = add_command(
        sub,
        "how-many",
        cmd_how_many,
        help="how many backlog items will be done by a date, from the team's throughput",
        description="Forecast the number of items a team finishes from --start through --by "
        "(whole periods only), resampling its past throughput. Each confidence level is the "
        "largest number of items done with at least that probability. With --out, write "
        "how-many.csv (the distribution), how-many.json and charts/burnup.png.",
    )
    _common_options(p)
    p.add_argument(
        "--by", "-b", type=iso_date, required=True, metavar="YYYY-MM-DD", help="the date"
    )
    p.add_argument(
        "--items",
        "-i",
        type=int,
        metavar="N",
        help="also give the probability that at least N items are done by then",
    )
    p.add_argument(
        "--out", "-o", metavar="DIR", help="write how-many.csv, how-many.json and the chart"
    )


# -- shared steps ----------------------------------------------------------------------------------
def _prepare(args: argparse.Namespace) -> Any:
    """The history (a History), the start date, the multipliers; ``args.model`` for deliver's
    check that --out does not replace the history file."""
    from ..calendar import Calendar
    from ..throughput import History, parse_counts, read_history_csv

    if args.format == "text":
        args.format = "table"
    source = args.throughput.strip()
    if Path(source).is_file():
        history = read_history_csv(source)
        args.model = source
    elif Path(source).exists() or source.lower().endswith(".csv"):
        raise CliError(f"--throughput {source}: no such file (give a CSV of completion dates)")
    else:
        try:
            values = [float(part) for part in source.split(",") if part.strip()]
        except ValueError:
            raise CliError(
                f"--throughput {source!r}: neither a CSV file nor items per period separated "
                "by commas (e.g. 3,5,4,6)"
            ) from None
        history = History(parse_counts(values, "--throughput"))
        args.model = os.devnull
    start = Calendar().first_working_day(args.start or dt.date.today())
    return history, start, _factors(args)


def _period_or_date(text: str) -> Any:
    if text.isdigit():
        return int(text)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--multiplier {text}: expected a period number or a date") from None


def _levels(chosen: float) -> list[float]:
    return sorted(set(PERCENTILES) | {float(chosen)})


def _p(q: float) -> str:
    return f"P{q:g}"


def _unit(period_days: float, n: int | None = None) -> str:
    word = "week" if period_days == 5.0 else "period"
    return word if n == 1 else word + "s"


def _stability_notes(history: Any, s: Streams, args: argparse.Namespace) -> Any:
    from ..throughput import stability

    check = stability(history)
    if not args.quiet:
        for text in check.warnings:
            print(f"warning: throughput history: {text}", file=s.err)
    return check


def _stability_json(check: Any) -> dict[str, Any]:
    return {
        "stable": check.stable,
        "mean": check.mean,
        "average_moving_range": check.average_moving_range,
        "upper_limit": check.upper_limit,
        "lower_limit": check.lower_limit,
        "outside": list(check.outside),
        "runs": [{"first": a, "length": n} for a, n in check.runs],
        "warnings": list(check.warnings),
    }


def _history_json(history: Any) -> dict[str, Any]:
    return {
        "periods": len(history.counts),
        "mean": history.mean,
        "counts": list(history.counts),
        "first_week": iso(history.first_period),
        "source": history.source,
    }


def _history_line(history: Any, period_days: float) -> str:
    unit = _unit(period_days)
    n = len(history.counts)
    return (
        f"history: {n} {_unit(period_days, n)}, {min(history.counts)}-{max(history.counts)} "
        f"items a {unit[:-1]}, mean {history.mean:.3g}"
        + (f" (from {history.source})" if history.source else "")
    )


def _save_chart(staging: Staging, draw: Any) -> None:
    from .. import plotting

    plotting.save(draw(), staging.path("charts/burnup.png"))


# -- when ------------------------------------------------------------------------------------------
def cmd_when(args: argparse.Namespace, s: Streams) -> int:
    from ..throughput import backlog as make_backlog
    from ..throughput import parse_items

    history, start, factors = _prepare(args)
    items = parse_items(args.items, "--items")
    bl = make_backlog(items, args.split, where="--items")
    check = _stability_notes(history, s, args)

    def compute() -> Report:
        from ..throughput import when

        forecast = when(
            history,
            bl,
            multipliers_spec=factors,
            horizon=args.horizon,
            period_days=args.period,
            start=start,
        )
        return WhenReport(args, forecast, check, items)

    return deliver(args, s, compute)


class WhenReport(Report):
    """The exact distribution of the periods to finish a backlog, and its burn-up fan."""

    columns = ("period", "date", "probability", "cumulative")

    def __init__(self, args: argparse.Namespace, forecast: Any, check: Any, items: Any):
        self.args, self.forecast, self.check, self.items = args, forecast, check, items

    def percentiles(self) -> list[dict[str, Any]]:
        f = self.forecast
        out = []
        for q in _levels(self.args.confidence):
            k = f.percentile(q)
            out.append(
                {
                    "confidence": q,
                    "periods": k,
                    "working_days": None if k is None else f.days(k),
                    "date": iso(f.date(k)),
                    "beyond_horizon": k is None,
                }
            )
        return out

    def rows(self) -> list[dict[str, Any]]:
        f = self.forecast
        probs = f.probabilities
        cum = 1.0 - f.survival
        first = int(next((k for k, p in enumerate(probs) if p > 0), 0))
        return [
            {
                "period": k,
                "date": f.date(k),
                "probability": float(probs[k]),
                "cumulative": float(cum[k]),
            }
            for k in range(first, len(probs))
        ]

    def _items_text(self) -> str:
        items = self.items
        text = f"{items[0]}..{items[1]} items" if isinstance(items, tuple) else f"{items} items"
        if self.args.split is not None:
            low, high = self.args.split
            text += f" (split x{_factor(low)}" + (f"..{_factor(high)})" if high != low else ")")
        return text

    def table(self) -> str:
        f, args = self.forecast, self.args
        unit = _unit(f.period_days)
        rows = [["confidence", unit, "done by"]]
        for row in self.percentiles():
            if row["periods"] is None:
                rows.append([_p(row["confidence"]), f"> {f.horizon}", "later than the horizon"])
            else:
                rows.append([_p(row["confidence"]), str(row["periods"]), row["date"]])
        lines = [
            f"When will {self._items_text()} be done? Start {f.start.isoformat()}, "
            f"{unit[:-1]} = {f.period_days:g} working days",
            _history_line(f.history, f.period_days),
            *aligned(rows, right=(1,)),
        ]
        if args.target is not None:
            lines.append(
                f"target {args.target.isoformat()}: {percent(f.probability_by(args.target))} "
                "chance of being done by then"
            )
        lines.append(
            f"exact distribution; P(not done within {f.horizon} {unit}) = {_share(f.censored)}"
        )
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        f, args = self.forecast, self.args
        target = None
        if args.target is not None:
            target = {"date": iso(args.target), "probability": f.probability_by(args.target)}
        return {
            "format": "riskcast-when/1",
            "items": {
                "given": list(self.items) if isinstance(self.items, tuple) else self.items,
                "split": None if args.split is None else list(args.split),
                "low": f.backlog.low,
                "high": f.backlog.high,
                "mean": f.backlog.mean,
            },
            "start": iso(f.start),
            "period_days": f.period_days,
            "horizon": f.horizon,
            "history": _history_json(f.history),
            "percentiles": self.percentiles(),
            "mean_periods": f.mean,
            "censored": f.censored,
            "target": target,
            "distribution": self.rows_json(),
            "stability": _stability_json(self.check),
            "chart_runs": {"iterations": args.iterations, "seed": args.seed},
        }

    def rows_json(self) -> list[dict[str, Any]]:
        return [{**r, "date": iso(r["date"])} for r in self.rows()]

    def write(self, staging: Staging) -> None:
        write_text(staging.path("when.csv"), self.csv())
        write_text(staging.path("when.json"), json.dumps(self.summary(), indent=2) + "\n")
        self.status.show("drawing the burn-up chart…")
        _save_chart(staging, self.chart)

    def chart(self) -> Any:
        import numpy as np

        from ..throughput import sample
        from ..throughput_plots import burnup

        f, args = self.forecast, self.args
        runs = sample(
            f.history,
            self.items,
            args.iterations,
            args.seed,
            split=args.split,
            multipliers_spec=dict(_factors(args)),
            horizon=f.horizon,
            period_days=f.period_days,
            start=f.start,
            paths=True,
        )
        done = np.minimum(runs.done, runs.backlog[:, None])
        q = args.confidence
        k = f.percentile(q)
        marker = None if k is None else (f.date(k), f"{_p(q)} {f.date(k).isoformat()}")
        headline = None
        if args.target is not None:
            headline = f"{percent(f.probability_by(args.target))} chance by the target"
        elif k is not None:
            headline = f"{_p(q)}: done by {f.date(k).isoformat()}"
        return burnup(
            done,
            f.start,
            period_days=f.period_days,
            backlog=sorted({f.backlog.low, f.backlog.high}),
            target=args.target,
            marker=marker,
            title=f"When will {self._items_text()} be done?",
            headline=headline,
        )


def _factor(x: float) -> str:
    """1.0, 1.25: at least one decimal."""
    text = f"{x:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _factors(args: argparse.Namespace) -> list[tuple[Any, float]]:
    return [(_period_or_date(when), factor) for when, factor in args.multiplier]


def _share(p: float) -> str:
    if p == 0.0:
        return "0"
    if p < 1e-4:
        return f"{p:.2g}"  # say how small: "< 0.01%" would hide a 1e-250 as much as a 9e-5
    return f"{100 * p:.2g}%"


# -- how many --------------------------------------------------------------------------------------
def cmd_how_many(args: argparse.Namespace, s: Streams) -> int:
    from ..throughput import MAX_HORIZON, whole_periods

    history, start, factors = _prepare(args)
    if args.by < start:
        raise CliError(f"--by {args.by.isoformat()} is before the start {start.isoformat()}")
    periods = whole_periods(start, args.by, args.period)
    if periods > MAX_HORIZON:
        raise CliError(
            f"--by {args.by.isoformat()} is {periods:,} periods away: at most {MAX_HORIZON:,}"
        )
    if args.items is not None and args.items < 0:
        raise CliError(f"--items must be >= 0, got {args.items}")
    check = _stability_notes(history, s, args)

    def compute() -> Report:
        from ..throughput import how_many

        forecast = how_many(
            history, periods, multipliers_spec=factors, period_days=args.period, start=start
        )
        return HowManyReport(args, forecast, check)

    return deliver(args, s, compute)


class HowManyReport(Report):
    """The exact distribution of the items done by a date, and its burn-up fan."""

    columns = ("items", "probability", "at_least")

    def __init__(self, args: argparse.Namespace, forecast: Any, check: Any):
        self.args, self.forecast, self.check = args, forecast, check

    def levels(self) -> list[dict[str, Any]]:
        return [
            {"confidence": q, "at_least": self.forecast.at_least(q)}
            for q in _levels(self.args.confidence)
        ]

    def rows(self) -> list[dict[str, Any]]:
        f = self.forecast
        return [
            {"items": n, "probability": float(p), "at_least": f.probability_at_least(n)}
            for n, p in enumerate(f.probabilities)
            if p > 0
        ]

    def _question(self) -> str:
        f = self.forecast
        return (
            f"How many items by {self.args.by.isoformat()}? {f.periods} "
            f"{_unit(f.period_days, f.periods)} from {f.start.isoformat()}"
        )

    def table(self) -> str:
        f, args = self.forecast, self.args
        rows = [["confidence", "at least"]]
        rows += [[_p(r["confidence"]), str(r["at_least"])] for r in self.levels()]
        lines = [
            self._question() + f" ({_unit(f.period_days)[:-1]} = {f.period_days:g} working days)",
            _history_line(f.history, f.period_days),
            *aligned(rows, right=(1,)),
        ]
        if args.items is not None:
            lines.append(
                f"{args.items} items: {percent(f.probability_at_least(args.items))} chance that "
                "all are done by then"
            )
        lines.append(f"exact distribution; mean {f.mean:.1f} items")
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        f, args = self.forecast, self.args
        return {
            "format": "riskcast-how-many/1",
            "by": iso(args.by),
            "start": iso(f.start),
            "period_days": f.period_days,
            "periods": f.periods,
            "history": _history_json(f.history),
            "levels": self.levels(),
            "mean_items": f.mean,
            "items": None
            if args.items is None
            else {"items": args.items, "probability": f.probability_at_least(args.items)},
            "distribution": self.rows(),
            "stability": _stability_json(self.check),
            "chart_runs": {"iterations": args.iterations, "seed": args.seed},
        }

    def write(self, staging: Staging) -> None:
        write_text(staging.path("how-many.csv"), self.csv())
        write_text(staging.path("how-many.json"), json.dumps(self.summary(), indent=2) + "\n")
        self.status.show("drawing the burn-up chart…")
        _save_chart(staging, self.chart)

    def chart(self) -> Any:
        from ..throughput import sample_done
        from ..throughput_plots import burnup

        f, args = self.forecast, self.args
        done = sample_done(
            f.history,
            f.periods,
            args.iterations,
            args.seed,
            multipliers_spec=dict(_factors(args)),
            period_days=f.period_days,
            start=f.start,
        )
        q = args.confidence
        return burnup(
            done,
            f.start,
            period_days=f.period_days,
            backlog=[] if args.items is None else [args.items],
            target=args.by,
            title=self._question(),
            headline=f"{_p(q)}: at least {f.at_least(q)} items",
        )


__all__ = ["cmd_how_many", "cmd_when", "parse_how_many", "parse_when"]
