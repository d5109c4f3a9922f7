"""What riskcast writes for other programs: ``forecast.json`` (format ``riskcast-forecast/1``,
:meth:`riskcast.Forecast.to_dict`) and the report of ``riskcast run --format json`` (format
``riskcast-run/1``), with the JSON Schema (draft 2020-12) of each, and the summaries the compact
form of ``forecast.json`` keeps in place of every run.

**Two forms of forecast.json, one format.** The full form keeps each target's finish in every
run (past :func:`~riskcast.engine.binning.exact_runs` runs, their day-aligned histogram) and,
with costs, each target's cost in every run. The compact form (``to_dict(samples=False)``,
``riskcast run --out DIR --no-samples``) keeps each target as a histogram of at most
:data:`~riskcast.compact.COMPACT_BINS` bins (:func:`~riskcast.compact.compact_histogram`) and
each target's cost as :func:`~riskcast.compact.cost_summary`: a file of kilobytes instead of megabytes. It is a backward-compatible
change (it fills the histogram key the full form already uses past the exact-runs limit, and
gives a cost target a second shape), so the format id stays ``riskcast-forecast/1`` and every
file written before still reads back; a riskcast from before it reads a compact file only when
it has no costs.

**Units.** Times in a forecast are working days of its ``calendar`` counted from its ``start``
(on the elapsed clock of a plan whose tasks work on several calendars, that calendar counts every
day and hour); dates are ISO ``YYYY-MM-DD``; shares are in [0, 1]; amounts are in the project's
currency units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .budget import CASH_FLOW_BANDS
from .calendar import WEEKDAYS
from .compact import COST_PERCENTILES
from .resources import PRIORITY_RULES, SCHEMES
from .statistics import FINISH_PERCENTILES
from .units import TIME_TOLERANCE

if TYPE_CHECKING:
    pass

FORECAST_FORMAT = "riskcast-forecast/1"
REPORT_FORMAT = "riskcast-run/1"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

PERCENTILE_KEY = r"^[0-9]+(\.[0-9]+)?(e-[0-9]+)?$"  # a percentile in (0, 100], as %g writes it
# keys of forecast.json that files written before levelling, constraints or costs existed lack
OPTIONAL_FORECAST_KEYS = ("levelling", "pools", "constraints", "status_date", "costs")


# -- schema building blocks -----------------------------------------------------------------------
def _typed(kind: str | list[str], description: str, **more: Any) -> dict[str, Any]:
    return {"type": kind, "description": description, **more}


def _number(description: str, nullable: bool = False, **more: Any) -> dict[str, Any]:
    return _typed(["number", "null"] if nullable else "number", description, **more)


def _share(description: str, nullable: bool = False) -> dict[str, Any]:
    return _number(description, nullable, minimum=0, maximum=1)


def _count(description: str, minimum: int = 0) -> dict[str, Any]:
    return _typed("integer", description, minimum=minimum)


def _string(description: str, **more: Any) -> dict[str, Any]:
    return _typed("string", description, **more)


def _date(description: str, nullable: bool = False) -> dict[str, Any]:
    return _typed(["string", "null"] if nullable else "string", description, format="date")


def _array(items: dict[str, Any], description: str, **more: Any) -> dict[str, Any]:
    return _typed("array", description, items=items, **more)


def _numbers(description: str) -> dict[str, Any]:
    return _array({"type": "number"}, description)


def _object(
    description: str, properties: dict[str, Any], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A fixed structure: every key in ``properties``, required unless ``optional``."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


def _by_id(value: dict[str, Any], description: str) -> dict[str, Any]:
    """An object keyed by ids, each ``value``."""
    return {"type": "object", "description": description, "additionalProperties": value}


def _by_percentile(value: dict[str, Any], description: str) -> dict[str, Any]:
    """An object keyed by percentiles ("50", "80", "87.5"), each ``value``."""
    return _by_id(False, description) | {"patternProperties": {PERCENTILE_KEY: value}}


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "anyOf": [{"type": "null"}, schema]}


def _mitigation() -> dict[str, Any]:
    return {
        "description": 'The risk scenario simulated: "pre" (risks as they are), "post" (every '
        "mitigation applied), or the ids of the risks whose mitigation was applied.",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    }


def _constraints() -> dict[str, Any]:
    return _array(
        _object(
            "A late constraint and how often the runs miss it (dates are never moved to meet it).",
            {
                "id": _string("The constrained task."),
                "constraint": _string(
                    "Kind of constraint.", enum=["not_after", "finish_not_after", "deadline"]
                ),
                "date": _date("The constraint's date."),
                "plan_missed": _typed("boolean", "Whether the plan (CPM) already misses it."),
                "share": _share("Share of runs that miss it."),
            },
        ),
        "The late constraints (start no later than, finish no later than, deadline), in task "
        "order.",
    )


# -- forecast.json --------------------------------------------------------------------------------
def _histogram() -> dict[str, Any]:
    return _object(
        "A target's finishes counted in bins: bin i holds the finishes t with origin + i * "
        f"width < t - {TIME_TOLERANCE:g} <= origin + (i + 1) * width (the calendar's rule for the "
        "day a finish falls on). While width <= 1, bin edges are day boundaries: dates and "
        "probabilities are exact, a percentile is within one bin width (the upper edge of its "
        "bin, at most high).",
        {
            "origin": _number("Lower edge of bin 0, working days from the start (a whole number)."),
            "width": _number("Working days per bin, a power of two.", exclusiveMinimum=0),
            "first_bin": _count("Index of the bin that counts[0] is (bins before it are empty)."),
            "counts": _array(
                _count("Runs in the bin."), "Runs per bin from first_bin to the last held bin."
            ),
            "bins": _count("Bins in all (those after the counts are empty)."),
            "n": _count("Runs counted.", 1),
            "low": _number("The earliest finish, working days from the start (exact)."),
            "high": _number("The latest finish, working days from the start (exact)."),
            "anchor": _number("A whole number of working days near the finishes (for the sums)."),
            "shifted_sum": _number("Sum over the runs of (finish - anchor), working days."),
            "shifted_squares": _number(
                "Sum over the runs of (finish - anchor)^2, working days squared."
            ),
            "limit": _count("The most bins before the width doubles.", 1),
        },
    )


def _target() -> dict[str, Any]:
    return _object(
        "A milestone (or the project finish): its plan date and simulated finishes. Exactly one "
        "of samples and histogram is not null.",
        {
            "id": _string('Milestone id; "finish" for the project finish.'),
            "name": _string("Milestone name."),
            "target": _date("Target date; null without a target.", nullable=True),
            "cpm_days": _number(
                "Plan (CPM) finish with every duration at its most likely value, working days "
                "from the start."
            ),
            "samples": _nullable(
                _numbers("Finish per run, working days from the start, in run order."),
                "Every run's finish (full form, up to the exact-runs limit); null when the "
                "histogram holds them.",
            ),
            "histogram": _nullable(
                {"$ref": "#/$defs/histogram"},
                "The finishes as a histogram (compact form, or past the exact-runs limit); null "
                "or absent when samples holds them.",
            ),
        },
        optional=("histogram",),
    )


def _stats() -> dict[str, Any]:
    per_target = "targets (milestones, then the project finish) x tasks"
    finishes = {
        f"finish_p{q}": _numbers(
            f"Per task, its P{q} finish over the kept runs, working days from the start."
        )
        for q in FINISH_PERCENTILES
    }
    return _object(
        "Per-task and per-risk statistics; arrays over tasks in model order (tasks.ids), risks "
        "(risks.ids), or targets (milestones, then the project finish) x tasks or risks.",
        {
            "criticality": _array(
                _numbers("Shares of runs, one per task."),
                f"Share of runs in which each task is critical for each target ({per_target}).",
            ),
            "risk_occurred": _numbers("Per risk, the share of runs in which it occurred."),
            "risk_critical": _array(
                _numbers("Shares of runs, one per risk."),
                "Per target x risk, the share of runs in which the risk occurred and hit a task "
                "critical for the target.",
            ),
            "plan_start": _numbers("Per task, its plan (CPM) start, days from the start."),
            "plan_finish": _numbers("Per task, its plan (CPM) finish, days from the start."),
            "started": _numbers("Per task, 1 when it had started by the status date, else 0."),
            "mean_start": _numbers("Per task, its mean simulated start, days from the start."),
            "mean_finish": _numbers("Per task, its mean simulated finish, days from the start."),
            "duration_mean": _numbers("Per task, its mean duration, working days of its calendar."),
            "duration_sd": _numbers(
                "Per task, the sd of its duration (n - 1), working days of its own calendar."
            ),
            "sensitivity": _array(
                _numbers("Rank correlations in [-1, 1], one per task."),
                "Spearman rank correlation of each task's duration with each target's finish "
                f"over the kept runs ({per_target}); absent when no run was kept.",
            ),
            **finishes,
        },
        optional=("sensitivity", *finishes),
    )


def _pools() -> dict[str, Any]:
    usage = _object(
        "One pool's units in use per day of the plan, over the kept runs.",
        {
            "p50": _numbers("Median units in use per day (time-weighted)."),
            "p90": _numbers("P90 of the units in use per day (time-weighted)."),
            "mean": _numbers("Mean units in use per day (time-weighted)."),
            "capacity": _numbers("Units available per day."),
        },
    )
    return _object(
        "What the limited resource pools did when levelled in every run.",
        {
            "ids": _array(_string("Pool id."), "The limited pools levelled."),
            "critical": _array(
                _array(_count("Runs."), "One count per pool."),
                "Per target x pool, the runs in which the pool held back a task critical for "
                "the target.",
            ),
            "iterations": _count("Runs levelled.", 1),
            "usage": _by_id(usage, "Per pool id, its usage bands."),
        },
    )


def _cash_flow() -> dict[str, Any]:
    bands = ", ".join(f"{q:g}" for q in CASH_FLOW_BANDS)
    return _object(
        "Cumulative spend over time, per percentile band, from the runs kept in full.",
        {
            "days": _numbers(
                "The ends of whole clock days, working days from the start (elapsed days on "
                "the elapsed clock)."
            ),
            "dates": _array(_date("A date."), "The date each of days ends on."),
            "bands": _by_percentile(
                _numbers("Cumulative spend at each of days, currency units (non-decreasing)."),
                f"Per percentile (keys {bands}), the cumulative spend.",
            ),
            "runs": _count("Runs the curve is made of."),
        },
    )


def _costs() -> dict[str, Any]:
    head = {
        "id": _string('Milestone id; "finish" for the project finish.'),
        "base": _number("The plan's cost, currency units."),
    }
    full = _object(
        "A target's cost in every run (full form).",
        {
            **head,
            "samples": _numbers(
                "Cost of all the work up to the target per run, currency units, in run order "
                "(aligned with the target's samples)."
            ),
        },
    )
    compact = _object(
        "A target's cost summary (compact form): the per-run costs, and with them the joint "
        "confidence (JCL), are not kept.",
        {
            **head,
            "percentiles": _by_percentile(
                _number("Cost, currency units."),
                f"The cost percentiles {', '.join(f'P{q}' for q in COST_PERCENTILES)}: the "
                "smallest simulated cost with at least that share of the runs at or below it.",
            ),
            "mean": _number("Mean cost, currency units."),
            "sd": _number("Standard deviation of the cost (n - 1), currency units."),
            "probability_within_budget": _share(
                "Share of runs costing at most the budget; null without a budget.", True
            ),
        },
    )
    return _object(
        "The cost side, when the plan costs anything.",
        {
            "budget": _number("The project budget, currency units; null without one.", True),
            "currency": _string('The currency of every amount ("" when not given).'),
            "targets": _array(
                {"description": "One target's costs.", "oneOf": [full, compact]},
                "Per target, in the order of milestones.",
            ),
            "cash_flow": {"$ref": "#/$defs/cash_flow"},
        },
    )


def _forecast_properties() -> dict[str, Any]:
    return {
        "format": _string("The format and its version.", const=FORECAST_FORMAT),
        "project": _string("The project name."),
        "start": _date("The project start: time 0 of every working-day count."),
        "calendar": _object(
            "The calendar that working days are counted on (the plan's clock).",
            {
                "workdays": _array(_string("A weekday.", enum=list(WEEKDAYS)), "Working weekdays."),
                "holidays": _array(_date("A day without work."), "Days without work."),
                "hours_per_day": _number("Hours of work in a working day.", exclusiveMinimum=0),
            },
        ),
        "seed": _count("The random seed: the same seed gives the same forecast."),
        "iterations": _count("Runs simulated.", 1),
        "kept_iterations": _count(
            "Runs kept in full for the sensitivity, task finish percentiles and cash flow."
        ),
        "milestones": _array(
            {"$ref": "#/$defs/target"},
            'Every milestone in model order, then the project finish (id "finish").',
            minItems=1,
        ),
        "tasks": _object(
            "The tasks, in model order (the order of every per-task array).",
            {
                "ids": _array(_string("Task id."), "Task ids."),
                "names": _array(_string("Task name."), "Task names."),
            },
        ),
        "risks": _object(
            "The risks, in model order (the order of every per-risk array).",
            {
                "ids": _array(_string("Risk id."), "Risk ids."),
                "titles": _array(_string("Risk title."), "Risk titles."),
            },
        ),
        "precision": _number(
            "Working days the emphasised percentile was known to (95 % Monte Carlo interval) "
            "when the precision rule chose the number of runs; null otherwise.",
            True,
        ),
        "mitigation": _mitigation(),
        "levelling": _nullable(
            {
                "type": "array",
                "prefixItems": [
                    _string("Levelling scheme.", enum=list(SCHEMES)),
                    _string("Priority rule.", enum=list(PRIORITY_RULES)),
                ],
                "items": False,
                "minItems": 2,
            },
            "[scheme, priority rule] when limited resource pools were levelled in every run; "
            "null otherwise.",
        ),
        "pools": _nullable(_pools(), "With levelling, what the limited pools did; else null."),
        "stats": _stats(),
        "merge_points": _by_id(
            _numbers("[mean start, plan start]") | {"minItems": 2, "maxItems": 2},
            "Per activity with two or more predecessors, [mean simulated start, plan start], "
            "days from the start (their difference is its merge bias).",
        ),
        "constraints": _constraints(),
        "status_date": _date("The data date of a schedule update; null without.", nullable=True),
        "costs": _nullable(_costs(), "Costs, when the plan costs anything; null otherwise."),
    }


def forecast_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``forecast.json``, both forms.

    Returns
    -------
    dict
        Every key described with its unit; ``additionalProperties`` is false wherever the keys
        are fixed. Keys that older files may lack (histogram, levelling, pools, constraints,
        status_date, costs) are optional.
    """
    return {
        "$schema": DRAFT,
        "title": f"riskcast forecast ({FORECAST_FORMAT})",
        "description": "A forecast as riskcast run --out writes it (forecast.json) and "
        "riskcast.Forecast.from_json reads it back. Full form: every run's finish and cost. "
        "Compact form (run --no-samples, to_dict(samples=False)): each target's finishes as a "
        "day-aligned histogram (dates and probabilities exact, percentiles within one bin) and "
        f"each target's cost as a summary. The format id stays {FORECAST_FORMAT}: the compact "
        "form is a backward-compatible change (it fills the histogram key that was already "
        "there for very many runs, and gives a cost target a second shape with optional keys), "
        "so every file written before remains valid and readable; a riskcast from before the "
        "compact form reads a compact file without costs, not one with costs. Times: working "
        "days of calendar from start; dates: YYYY-MM-DD; shares: [0, 1]; amounts: currency "
        "units.",
        "type": "object",
        "properties": _forecast_properties(),
        "required": [k for k in _forecast_properties() if k not in OPTIONAL_FORECAST_KEYS],
        "additionalProperties": False,
        "$defs": {"histogram": _histogram(), "target": _target(), "cash_flow": _cash_flow()},
    }


# -- the report of run --format json --------------------------------------------------------------
def _report_cost() -> dict[str, Any]:
    return _object(
        "The milestone's cost (plans with costs only): of all the work up to it.",
        {
            "plan": _number("The plan's cost, currency units."),
            "percentiles": _by_percentile(
                _number("Cost, currency units."), "Cost percentiles (P50, P80, P95, --confidence)."
            ),
            "mean": _number("Mean cost, currency units."),
            "sd": _number("Standard deviation of the cost (n - 1), currency units."),
            "probability_within_budget": _share(
                "Share of runs costing at most the budget; null without a budget.", True
            ),
            "jcl": _share(
                "Joint confidence level: share of runs delivered by the target and within the "
                "budget; null without a target or a budget.",
                True,
            ),
            "contingency": _by_percentile(
                _object(
                    "Contingency at the --confidence percentile.",
                    {
                        "cost": _number("Cost percentile minus the plan's cost, currency units."),
                        "schedule_days": _number(
                            "Percentile finish minus the plan finish, working days."
                        ),
                    },
                ),
                "Keyed by the --confidence percentile.",
            ),
        },
    )


def _report_milestone() -> dict[str, Any]:
    return _object(
        "One milestone shown (or the project finish).",
        {
            "id": _string('Milestone id; "finish" for the project finish.'),
            "name": _string("Milestone name."),
            "target": _date("Target date; null without one.", nullable=True),
            "plan": _date("Plan (CPM) date: every duration at its most likely value."),
            "percentiles": _by_percentile(
                _date("The date by which at least that share of the runs delivered."),
                "P-dates: P50, P80, P95 and the --confidence percentile.",
            ),
            "confidence_interval": _by_percentile(
                _array(_date("A date."), "[low, high]", minItems=2, maxItems=2),
                "95 % Monte Carlo interval of the --confidence P-date.",
            ),
            "probability_of_target": _share(
                "Share of runs delivered by the target; null without a target.", True
            ),
            "mean_days": _number("Mean finish, working days from the start."),
            "sd_days": _number("Standard deviation of the finish (n - 1), working days."),
            "cost": _report_cost(),
        },
        optional=("cost",),
    )


def _report_properties() -> dict[str, Any]:
    return {
        "format": _string("The format and its version.", const=REPORT_FORMAT),
        "model": _string("The model file, as given on the command line."),
        "project": _string("The project name."),
        "start": _date("The project start."),
        "seed": _count("The random seed."),
        "iterations": _count("Runs simulated.", 1),
        "precision": _number("--precision in working days; null without.", True),
        "confidence": _number(
            "The emphasised percentile (--confidence).", exclusiveMinimum=0, maximum=100
        ),
        "mitigation": _mitigation(),
        "levelling": _nullable(
            _object(
                "How limited pools were levelled.",
                {
                    "scheme": _string("Levelling scheme.", enum=list(SCHEMES)),
                    "priority": _string("Priority rule.", enum=list(PRIORITY_RULES)),
                },
            ),
            "Resource levelling in every run; null without.",
        ),
        "milestones": _array(_report_milestone(), "The milestones shown, in order.", minItems=1),
        "currency": _string("Currency of every amount (plans with costs only)."),
        "budget": _number("The budget, currency units (plans with costs only).", True),
        "status_date": _date("The data date of a schedule update; null without.", nullable=True),
        "constraints": _constraints(),
        "risks": _array(
            _object(
                "One risk of the model.",
                {
                    "id": _string("Risk id."),
                    "title": _string("Risk title."),
                    "occurred": _share("Share of runs in which it occurred."),
                    "critical": _by_id(
                        _share("Share of runs."),
                        "Per milestone shown, the share of runs in which it occurred and hit a "
                        "task critical for that milestone.",
                    ),
                },
            ),
            "Every risk of the model (empty without risks).",
        ),
        "calibration": _object(
            "With --calibration only: the plan calibrated by a file (riskcast calibrate), "
            "simulated on the same runs and seed as the plan's own forecast above.",
            {
                "file": _string("The calibration file, as given."),
                "items": _count("Past tasks the calibration rests on."),
                "projects": _count("Past projects they come from."),
                "tasks": _count("Tasks of this plan calibrated."),
                "milestones": _by_id(
                    _object(
                        "A milestone's calibrated percentiles.",
                        {"p50": _date("Calibrated P50."), "p80": _date("Calibrated P80.")},
                    ),
                    "Per milestone shown, its calibrated P50 and P80.",
                ),
            },
        ),
        "files": _array(
            _string("A path."), "The files written (--out, --export); empty without them."
        ),
    }


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of what ``riskcast run --format json`` prints.

    Returns
    -------
    dict
        Every key described with its unit; ``additionalProperties`` is false wherever the keys
        are fixed.
    """
    return {
        "$schema": DRAFT,
        "title": f"riskcast run report ({REPORT_FORMAT})",
        "description": "The summary riskcast run --format json prints on stdout. Dates: "
        "YYYY-MM-DD; shares: [0, 1]; amounts: currency units; days: working days of the "
        "project calendar from the start. currency, budget and each milestone's cost appear "
        "only for a plan with costs; calibration only with --calibration.",
        "type": "object",
        "properties": _report_properties(),
        "required": [
            k for k in _report_properties() if k not in ("currency", "budget", "calibration")
        ],
        "additionalProperties": False,
    }
