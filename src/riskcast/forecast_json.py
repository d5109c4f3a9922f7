"""``forecast.json``: a :class:`~riskcast.forecast.Forecast` as plain data and back.

The format is ``riskcast-forecast/1`` (its JSON Schema: :func:`riskcast.output_schema.forecast_schema`):
milestones with every run's finish (or a day-aligned histogram), task and risk statistics,
seed, runs and, with costs, every run's cost (or a summary in the compact form,
:mod:`riskcast.compact`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np

from .budget import CashFlow, CostForecast
from .calendar import Calendar
from .errors import ArgumentError
from .forecast import MilestoneForecast
from .model import as_date
from .utilisation import PoolReport

if TYPE_CHECKING:
    from .engine.binning import Binned
    from .forecast import Forecast


def forecast_dict(forecast: Forecast, samples: bool = True) -> dict[str, Any]:
    """The plain data of :meth:`riskcast.forecast.Forecast.to_dict` (see there)."""

    def iso(d: dt.date | None) -> str | None:
        return None if d is None else d.isoformat()

    return {
        "format": "riskcast-forecast/1",
        "project": forecast.project_name,
        "start": iso(forecast.start),
        "calendar": {
            "workdays": list(forecast.calendar.workdays),
            "holidays": [iso(h) for h in forecast.calendar.days_off],
            "hours_per_day": forecast.calendar.hours_per_day,
        },
        "seed": forecast.seed,
        "iterations": forecast.iterations,
        "kept_iterations": forecast.kept_iterations,
        "milestones": [_target_dict(m, samples) for m in forecast.targets],
        "tasks": {"ids": forecast.task_ids, "names": forecast.task_names},
        "risks": {"ids": forecast.risk_ids, "titles": forecast.risk_titles},
        "precision": forecast.precision,
        "mitigation": forecast.mitigation,
        "levelling": None if forecast.levelling is None else list(forecast.levelling),
        "pools": None if forecast.pools is None else forecast.pools.to_json(),
        "stats": {k: v.tolist() for k, v in forecast.stats.items()},
        "merge_points": {k: list(v) for k, v in forecast.merge_points.items()},
        "constraints": [{**row, "date": iso(row["date"])} for row in forecast.constraint_misses()],
        "status_date": iso(forecast.status_date),
        "costs": None
        if forecast.costs is None and forecast._cost_summary is None
        else costs_dict(forecast, samples),
    }


def costs_dict(forecast: Forecast, samples: bool) -> dict[str, Any]:
    """The ``costs`` entry: per target its cost in every run, or (``samples`` False, or a
    forecast read from a compact file) its :attr:`cost_summary`."""
    if samples and forecast.costs is not None:
        first = forecast.costs[0]
        budget, currency = first.budget, first.currency
        targets = [
            {"id": c.id, "base": c.base, "samples": c.samples.tolist()} for c in forecast.costs
        ]
    else:
        summary = forecast.cost_summary
        budget, currency = summary["budget"], summary["currency"]
        targets = [
            {
                "id": id,
                **row,
                "percentiles": {f"{q:g}": v for q, v in row["percentiles"].items()},
            }
            for id, row in summary["targets"].items()
        ]
    return {
        "budget": budget,
        "currency": currency,
        "targets": targets,
        "cash_flow": forecast.cash_flow().to_dict(),
    }


def forecast_from_dict(cls: type[Forecast], data: dict[str, Any]) -> Forecast:
    """The forecast of :meth:`riskcast.forecast.Forecast.from_dict` (see there)."""
    if data.get("format") != "riskcast-forecast/1":
        raise ArgumentError("not a riskcast forecast (format riskcast-forecast/1 expected)")
    c = data["calendar"]
    calendar = Calendar(
        tuple(c["workdays"]),
        tuple(as_date(h, "holiday") for h in c["holidays"]),
        c["hours_per_day"],
    )
    start = as_date(data["start"], "start")
    targets = [
        MilestoneForecast(
            m["id"],
            m["name"],
            None if m["samples"] is None else np.asarray(m["samples"], np.float64),
            m["cpm_days"],
            None if m["target"] is None else as_date(m["target"], "target"),
            calendar,
            start,
            None if m.get("histogram") is None else _histogram(m["histogram"]),
        )
        for m in data["milestones"]
    ]
    forecast = cls(
        project_name=data["project"],
        start=start,
        calendar=calendar,
        seed=data["seed"],
        iterations=data["iterations"],
        milestones=targets[:-1],
        project_finish=targets[-1],
        task_ids=list(data["tasks"]["ids"]),
        task_names=list(data["tasks"]["names"]),
        stats={k: np.asarray(v, np.float64) for k, v in data["stats"].items()},
        merge_points={k: (v[0], v[1]) for k, v in data["merge_points"].items()},
        kept_iterations=data["kept_iterations"],
        risk_ids=list(data["risks"]["ids"]),
        risk_titles=list(data["risks"]["titles"]),
    )
    forecast.precision = data["precision"]
    forecast.mitigation = data["mitigation"]
    levelling = data.get("levelling")
    forecast.levelling = None if levelling is None else tuple(levelling)
    pools = data.get("pools")
    forecast.pools = None if pools is None else PoolReport.from_json(pools)
    if data.get("status_date"):
        forecast.status_date = as_date(data["status_date"], "status_date")
    forecast._misses = [
        {**row, "date": as_date(row["date"], "date")} for row in data.get("constraints", [])
    ]
    if data.get("costs"):
        read_costs(forecast, data["costs"], targets)
    return forecast


def read_costs(forecast: Forecast, costs: dict[str, Any], targets: list[MilestoneForecast]) -> None:
    """The ``costs`` entry of :meth:`to_dict`: per-run costs, or a compact file's summary."""
    forecast._cash_flow = CashFlow.from_dict(costs["cash_flow"])
    rows = costs["targets"]
    if all("samples" in c for c in rows):
        forecast.costs = [
            CostForecast(
                c["id"],
                t.name,
                np.asarray(c["samples"], np.float64),
                c["base"],
                costs["budget"],
                costs["currency"],
            )
            for c, t in zip(rows, targets, strict=True)
        ]
        return
    forecast._cost_summary = {
        "budget": costs["budget"],
        "currency": costs["currency"],
        "targets": {
            c["id"]: {
                "base": c["base"],
                "percentiles": {float(q): v for q, v in c["percentiles"].items()},
                "mean": c["mean"],
                "sd": c["sd"],
                "probability_within_budget": c["probability_within_budget"],
            }
            for c in rows
        },
    }


def _histogram_dict(b: Binned) -> dict[str, Any]:
    """JSON form of a histogram: its non-empty range of bins and its scalars."""
    held = np.flatnonzero(b.counts)
    first, last = (int(held[0]), int(held[-1])) if len(held) else (0, -1)
    return {
        "origin": b.origin,
        "width": b.width,
        "first_bin": first,
        "counts": b.counts[first : last + 1].tolist(),
        "bins": len(b.counts),
        **{k: getattr(b, k) for k in ("n", "low", "high", "anchor", "limit")},
        "shifted_sum": b.shifted_sum,
        "shifted_squares": b.shifted_squares,
    }


def _histogram(d: dict[str, Any]) -> Binned:
    from .engine.binning import Binned

    counts = np.zeros(d["bins"], np.int64)
    counts[d["first_bin"] : d["first_bin"] + len(d["counts"])] = d["counts"]
    return Binned(
        d["origin"],
        d["width"],
        counts,
        d["n"],
        d["low"],
        d["high"],
        d["anchor"],
        d["shifted_sum"],
        d["shifted_squares"],
        d["limit"],
    )


def _target_dict(m: MilestoneForecast, samples: bool) -> dict[str, Any]:
    """JSON form of a target: every run's finish (past the exact-runs limit, the engine's
    histogram), or with ``samples`` False its compact histogram."""
    if samples:
        binned = m.binned  # None when every finish is kept
    else:
        from .compact import compact_histogram

        binned = compact_histogram(m.samples, m.binned)
    return {
        "id": m.id,
        "name": m.name,
        "target": None if m.target is None else m.target.isoformat(),
        "cpm_days": m.cpm_days,
        "samples": m.samples.tolist() if samples and m.samples is not None else None,
        "histogram": None if binned is None else _histogram_dict(binned),
    }
