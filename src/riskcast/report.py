"""One self-contained HTML report of a forecast, for a steering meeting.

:func:`build_report` returns a single HTML document that opens anywhere without a network: the
milestone table (with the cost columns and the JCL when the plan has costs), the charts as
inline SVG scaled to the screen, what drives the dates (the most critical tasks, the risks), the
plain-language explanation of each milestone, the trend of the recorded forecasts when a
history is given, and a methods appendix with what it takes to reproduce the numbers (seed,
runs, riskcast version, SHA-256 of the model file, status date, when the report was made).

Every text that comes from the model (names, ids, titles, owners) is escaped; the page has no
script, no external resource and inline CSS only. Charts are drawn with the functions of
:mod:`riskcast.plotting` (matplotlib is imported only when a report is built).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArgumentError
from .explain import explain
from .forecast import FINISH_ID
from .frames import milestone_rows
from .report_html import (
    CSS,
    date_text,
    esc,
    html_key,
    money_text,
    odds_chip,
    percent,
    table,
    unbroken,
)

if TYPE_CHECKING:
    from .forecast import Forecast
    from .history import History, RunRecord
    from .model import Project

PERCENTILES = (50.0, 80.0, 95.0)
CONFIDENCE = 80.0  # the percentile whose Monte Carlo interval the table shows
TOP_TASKS = 10  # rows of the critical-task table


@dataclass(frozen=True)
class Chart:
    """A chart of the report: its figure id (``fig-KIND[-MILESTONE]``), a caption, and
    ``draw()`` drawing it at the chart function's own size (returns the Axes). A ``wide``
    chart spans the page; the others share it two by two on a laptop screen."""

    key: str
    caption: str
    draw: Callable[[], Any]
    wide: bool = False


def model_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a model file's bytes: the fingerprint of what was simulated."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def report_ids(forecast: Forecast) -> list[str]:
    """Every milestone, and the project finish when it is not the same as one of them."""
    ids = [m.id for m in forecast.milestones]
    finish = forecast.project_finish
    if not any(m.same_finishes(finish) for m in forecast.milestones):
        ids.append(finish.id)
    return ids


def spends(forecast: Forecast) -> bool:
    """Whether the plan costs anything: it has costs, and some run spends money (a plan whose
    only costs are those of its mitigations spends nothing before they are applied)."""
    return forecast.has_costs and forecast.cost().percentile(100) > 0


def headline_id(forecast: Forecast) -> str:
    """The milestone that is the project finish (the one with its target, when a milestone
    finishes with the project), else ``"finish"``."""
    finish = forecast.project_finish
    same = [m.id for m in forecast.milestones if m.same_finishes(finish)]
    return same[-1] if same else FINISH_ID


# -- charts ---------------------------------------------------------------------------------------
def chart_svg(ax: Any, prefix: str, label: str = "") -> str:
    """The figure holding ``ax`` as an ``<svg>`` element to inline in HTML, then closed.

    The XML prolog, doctype, comments, metadata and matplotlib's global style rule are dropped
    (the page's CSS scopes that rule to charts), every id and reference to one is prefixed with
    ``prefix`` (several charts share glyph and clip-path ids) and a repeated id (a ``gid`` on
    several bars) numbered, and the ``viewBox`` is kept so that CSS scales the chart to the
    screen.
    """
    import matplotlib as mpl

    buf = io.StringIO()
    # Self-contained whatever the user's matplotlibrc says: text as outlines (no font needed),
    # images inline (not files next to the page); a fixed salt keeps the ids stable.
    inline = {"svg.fonttype": "path", "svg.image_inline": True, "svg.hashsalt": "riskcast"}
    with mpl.rc_context(inline):
        ax.figure.savefig(buf, format="svg", metadata={"Date": None})
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(ax.figure)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(
        r"<!--.*?-->|<metadata>.*?</metadata>|<style[^>]*>.*?</style>", "", svg, flags=re.S
    )
    seen: dict[str, int] = {}

    def unique(match: re.Match[str]) -> str:  # a gid may name several artists (bars)
        n = seen[match[1]] = seen.get(match[1], 0) + 1
        return f'id="{prefix}-{match[1]}{f"-{n}" if n > 1 else ""}"'

    svg = re.sub(r'\bid="([^"]*)"', unique, svg)
    svg = re.sub(r"url\(#([^)]*)\)", lambda m: f"url(#{prefix}-{m[1]})", svg)
    svg = re.sub(r'href="#([^"]*)"', lambda m: f'href="#{prefix}-{m[1]}"', svg)
    return svg.replace("<svg ", f'<svg class="chart" role="img" aria-label="{esc(label)}" ', 1)


def report_charts(forecast: Forecast, ids: Sequence[str]) -> dict[str, list[Chart]]:
    """The charts of each section (``dates``, ``costs``, ``resources``, ``drivers``); a
    section without charts is left out."""
    from . import plotting  # it also has the cost and resource charts

    head = headline_id(forecast)
    name = forecast.milestone(head).name
    milestones = [i for i in ids if i != FINISH_ID] or list(ids)
    dates = [
        Chart(
            "fig-roadmap",
            "Roadmap: each milestone's P10–P90 range, P50 dot, plan date and target; the bar "
            "colour is the chance of meeting the target.",
            lambda: plotting.roadmap(forecast, milestones),
            wide=True,
        )
    ]
    for mid in ids:
        m = forecast.milestone(mid)
        dates.append(
            Chart(
                f"fig-scurve-{html_key(mid)}",
                f"{m.name}: chance of delivery by each date (S-curve).",
                lambda mid=mid: plotting.scurve(forecast, mid, confidence=CONFIDENCE),
            )
        )
    sections = {"dates": dates}
    if spends(forecast):
        sections["costs"] = [
            Chart(
                "fig-cost-scurve",
                f"{name}: chance of the cost staying under each amount.",
                lambda: plotting.cost_scurve(forecast, head),
            ),
            Chart(
                "fig-jcl",
                f"{name}: each run's date and cost; the shaded corner is on time and within "
                "budget (JCL).",
                lambda: plotting.jcl_scatter(forecast, head),
            ),
            Chart(
                "fig-cash-flow",
                "Cumulative spend over time: the median and the P10–P90 band.",
                lambda: plotting.cash_flow_fan(forecast),
                wide=True,
            ),
        ]
    if forecast.pools is not None and forecast.unlevelled is not None:
        resources = [
            Chart(
                f"fig-usage-{html_key(pool)}",
                f"{pool}: units in use per day against the capacity.",
                lambda pool=pool: plotting.resource_usage(forecast, pool),
            )
            for pool in forecast.pools.usage
        ]
        resources.append(
            Chart(
                "fig-levelling",
                f"{name}: with and without resource limits, in the same runs.",
                lambda: plotting.levelling_scurves(forecast, head),
            )
        )
        sections["resources"] = resources
    sections["drivers"] = [
        Chart(
            "fig-tornado",
            f"{name}: the tasks whose uncertainty moves the date most (sensitivity) and how "
            "often each is on the critical path (criticality).",
            lambda: plotting.tornado(forecast, head),
            wide=True,
        )
    ]
    return sections


def _figures(charts: Sequence[Chart]) -> str:
    """The charts drawn and inlined, in a grid that is one column wide on a phone."""
    parts = []
    for chart in charts:
        svg = chart_svg(chart.draw(), chart.key, chart.caption)
        wide = ' class="wide"' if chart.wide else ""
        parts.append(
            f'<figure id="{chart.key}"{wide}>{svg}<figcaption>{esc(chart.caption)}'
            "</figcaption></figure>"
        )
    return f'<div class="charts">{"".join(parts)}</div>'


# -- sections -------------------------------------------------------------------------------------
def _lead(forecast: Forecast) -> str:
    """One sentence on the milestone the project ends with: its P80 and the odds of its
    target."""
    m = forecast.milestone(headline_id(forecast))
    text = (
        f"<strong>{esc(m.name)}</strong>: 80% of the simulated runs deliver by "
        f"<strong>{date_text(m.percentile(80))}</strong> (half of them by {date_text(m.percentile(50))}; "
        f"plan date {date_text(m.cpm_date)})."
    )
    if m.target is not None:
        text += f" Chance of meeting the target {date_text(m.target)}: {odds_chip(m.target_probability)}."
    if spends(forecast):
        cost = forecast.cost(m.id)
        unit = f" {esc(cost.currency)}" if cost.currency else ""
        text += f" Cost at P80: {money_text(cost.percentile(80))}{unit}"
        if cost.budget is not None:
            text += (
                f"; within the budget of {money_text(cost.budget)}{unit} in "
                f"{esc(percent(cost.probability_within()))} of the runs"
            )
        text += "."
    return f'<p class="lead">{unbroken(text)}</p>'


def _interval(m: Any) -> str:
    """Half-width of the 95% Monte Carlo interval of the CONFIDENCE percentile, working days."""
    lo, hi = m.percentile_interval_days(CONFIDENCE)
    mid = m.percentile_days(CONFIDENCE)
    return f"±{max(mid - lo, hi - mid):.1f} d"


def _named(name: str, id: str) -> tuple[str, str]:
    """The first cell of a row: the name, and the id under it in small print."""
    return ("", f'{esc(name)}<span class="id">{esc(id)}</span>')


def milestone_table(forecast: Forecast, ids: Sequence[str]) -> str:
    """The milestone table of :func:`riskcast.frames.milestone_rows` (rows ``ids``) and, when
    the plan has costs, its cost columns and the JCL as a second table (one table of both would
    not fit a laptop screen); notes on the columns under each."""
    by_id = {row["id"]: row for row in milestone_rows(forecast, PERCENTILES)}
    rows = [by_id[mid] for mid in ids]
    head = [("", "Milestone"), ("", "Target"), ("", "Plan (CPM)")]
    head += [("", f"P{q:g}") for q in PERCENTILES]
    head += [("num", f"P{CONFIDENCE:g} MC ±"), ("num", "On target")]
    body = [
        [
            _named(row["name"], row["id"]),
            ("date", date_text(row["target"])),
            ("date", date_text(row["plan"])),
            *(("date", date_text(row[f"p{q:g}"])) for q in PERCENTILES),
            ("num", _interval(forecast.milestone(row["id"]))),
            ("num", odds_chip(row["probability_of_target"])),
        ]
        for row in rows
    ]
    text = table(head, body, "milestone-table") + (
        '<p class="note">P50/P80/P95: the date by which that share of the simulated runs '
        f"delivered. P{CONFIDENCE:g} MC ±: half-width of the 95% Monte Carlo interval of the "
        f"P{CONFIDENCE:g} date, in working days. On target: share of runs delivered by the "
        "target.</p>"
    )
    if not spends(forecast):
        return text
    cost = forecast.cost()
    head = [("", "Milestone"), ("num", "Plan cost")]
    head += [("num", f"Cost P{q:g}") for q in PERCENTILES]
    head += [("num", "Within budget"), ("num", "JCL")]
    body = [
        [
            _named(row["name"], row["id"]),
            ("num", money_text(row["cost_plan"])),
            *(("num", money_text(row[f"cost_p{q:g}"])) for q in PERCENTILES),
            ("num", odds_chip(row["probability_within_budget"])),
            ("num", odds_chip(row["jcl"])),
        ]
        for row in rows
    ]
    title = f"Cost in {cost.currency}" if cost.currency else "Cost"
    title += ", no budget" if cost.budget is None else f", budget {money_text(cost.budget)}"
    return (
        text
        + f"<h3>{esc(title)}</h3>"
        + table(head, body, "cost-table")
        + '<p class="note">Cost: of all the work up to the milestone. Within budget: share of '
        "runs costing at most the budget. JCL (joint confidence level): share of runs delivered "
        "by the target and within the budget.</p>"
    )


def _critical_tasks(forecast: Forecast, mid: str) -> str:
    """The TOP_TASKS tasks most often on the critical path to ``mid``."""
    crit, sens = forecast.criticality(mid), forecast.sensitivity(mid)
    names = dict(zip(forecast.task_ids, forecast.task_names, strict=True))
    p80 = {row["id"]: row["p80_finish"] for row in forecast.task_table()}
    order = sorted(forecast.task_ids, key=lambda t: (-crit[t], -abs(sens[t])))
    shown = [t for t in order if crit[t] > 0 or abs(sens[t]) > 0][:TOP_TASKS]
    head = [("", "Task"), ("num", "Critical"), ("num", "Sensitivity"), ("", "P80 finish")]
    body = [
        [
            _named(names[t], t),
            ("num", esc(percent(crit[t]))),
            ("num", f"{sens[t]:+.2f}"),
            ("date", date_text(p80[t])),
        ]
        for t in shown
    ]
    return (
        table(head, body)
        + '<p class="note">Critical: share of runs in which the task was on the critical path. '
        "Sensitivity: rank correlation of its duration with the milestone's date (−1 to +1).</p>"
    )


def _risk_table(project: Project, forecast: Forecast, mid: str) -> str:
    """Per risk, most often critical first: how often it occurred and hit the critical path."""
    occurred, critical = forecast.risk_occurrence(), forecast.risk_criticality(mid)
    known = {r.id: r for r in project.risks}
    order = sorted(
        zip(forecast.risk_ids, forecast.risk_titles, strict=True), key=lambda r: -critical[r[0]]
    )
    head = [("", "Risk"), ("", "Owner"), ("num", "Occurred"), ("num", "Critical")]
    head.append(("", "Mitigation"))
    body = []
    for rid, title in order:
        risk = known.get(rid)
        body.append(
            [
                _named(title, rid),
                ("", esc(risk.owner or "–") if risk is not None else "–"),
                ("num", esc(percent(occurred[rid]))),
                ("num", esc(percent(critical[rid]))),
                ("", "planned" if risk is not None and risk.mitigation is not None else "–"),
            ]
        )
    return (
        table(head, body)
        + '<p class="note">Occurred: share of runs in which the risk occurred. Critical: share in '
        "which it occurred and hit a task on the critical path. <code>riskcast drivers</code> "
        "ranks the risks by the working days each adds.</p>"
    )


def drivers_section(project: Project, forecast: Forecast, charts: Sequence[Chart]) -> str:
    """The tornado chart, the most critical tasks and, with risks, the risk table."""
    mid = headline_id(forecast)
    name = esc(forecast.milestone(mid).name)
    parts = [
        _figures(charts),
        f"<h3>The tasks most often on the critical path to {name}</h3>",
        _critical_tasks(forecast, mid),
    ]
    if forecast.risk_ids:
        parts += [f"<h3>Risks, for {name}</h3>", _risk_table(project, forecast, mid)]
    return "".join(parts)


def resources_section(forecast: Forecast, ids: Sequence[str], charts: Sequence[Chart]) -> str:
    """What the resource limits cost: each milestone's P80 with and without them, how often
    each pool held back a critical task, and the charts."""
    scheme, rule = forecast.levelling or ("", "")
    head = [("", "Milestone"), ("", "P80 levelled"), ("", "P80 unlimited"), ("num", "Delay")]
    body = []
    for mid in ids:
        m, free = forecast.milestone(mid), forecast.unlevelled.milestone(mid)
        delay = m.percentile_days(80) - free.percentile_days(80)
        body.append(
            [
                ("", esc(m.name)),
                ("date", date_text(m.percentile(80))),
                ("date", date_text(free.percentile(80))),
                ("num", f"{delay:+.1f} d"),
            ]
        )
    pools = [
        [("", esc(pool)), ("num", esc(percent(share)))]
        for pool, share in forecast.resource_criticality().items()
    ]
    return (
        f"<p>Resources are levelled in every run ({esc(scheme)} scheme, {esc(rule)} priority); "
        "the same runs without the limits show the delay they cause.</p>"
        + table(head, body)
        + table([("", "Pool"), ("num", "Held back a critical task")], pools)
        + _figures(charts)
    )


def explanations_section(forecast: Forecast, ids: Sequence[str]) -> str:
    """:func:`riskcast.explain` of each milestone, as paragraphs under a heading that folds
    them away (the one of the milestone the project ends with open)."""
    head = headline_id(forecast)
    parts = []
    for mid in ids:
        # explain() wraps its paragraphs for a terminal, also after the hyphen of a word or a
        # date ("most-|likely"): those breaks are closed up, the others become spaces.
        text = re.sub(r"(?<=\w-)\n(?=\S)", "", explain(forecast, mid))
        paragraphs = ""
        for paragraph in text.split("\n\n"):
            html_ = unbroken(esc(" ".join(paragraph.split())))
            html_ = re.sub(r"`([^`]+)`", r"<code>\1</code>", html_)  # command names
            paragraphs += f"<p>{html_}</p>"
        opened = " open" if mid == head else ""
        name = esc(forecast.milestone(mid).name)
        parts.append(f"<details{opened}><summary>{name}</summary>{paragraphs}</details>")
    return "".join(parts)


# -- the trend of the recorded forecasts ----------------------------------------------------------
def trend_runs(history: History | None, model: str) -> list[RunRecord] | None:
    """The recorded forecasts of ``model`` (its project name), oldest first; None without a
    history or without any forecast of this model in it.

    Raises
    ------
    HistoryError
        The history file cannot be read.
    """
    if history is None:
        return None
    try:
        return history.runs(model) or None
    except ArgumentError:  # the history holds other models' forecasts only
        return None


def trend_section(history: History | None, forecast: Forecast) -> str | None:
    """The trend chart of the recorded forecasts, and how far the latest one moved the P80 of
    the milestone the project ends with; None when there is no history of this model."""
    from .history_plots import plot_trend

    model = forecast.project_name
    runs = trend_runs(history, model)
    if runs is None:
        return None
    mid = headline_id(forecast)
    points = [(r.date, r.milestone(mid)) for r in runs if r.milestone(mid) is not None]
    if not points:
        points = [(r.date, r.milestone(FINISH_ID)) for r in runs if r.milestone(FINISH_ID)]
    noun = "forecast" if len(runs) == 1 else "forecasts"
    text = f"{len(runs)} {noun} of this model recorded (this report's own is not among them "
    text += "unless it was recorded too)."
    day, last = points[-1]
    text += f" In the latest, of {date_text(day)}, {esc(last.name)} has its P80 on {date_text(last.p80)}"
    if len(points) > 1:
        moved = (last.p80 - points[-2][1].p80).days
        days = f"{abs(moved)} day{'' if abs(moved) == 1 else 's'}"
        how = f"{days} {'later' if moved > 0 else 'earlier'} than" if moved else "as in"
        text += f", {how} the forecast before"
    chart = Chart(
        "fig-trend",
        "How the P50 and P80 dates moved from one recorded forecast to the next, against the "
        "target.",
        lambda: plot_trend(runs, model),
        wide=True,
    )
    return f"<p>{unbroken(text)}.</p>" + _figures([chart])


# -- methods and reproducibility ------------------------------------------------------------------
def _scenario(mitigation: str | Sequence[str]) -> str:
    if mitigation == "pre":
        return "the risks as they are (before any mitigation)"
    if mitigation == "post":
        return "every planned mitigation applied"
    return "mitigations applied for " + ", ".join(mitigation)


def methods_section(
    forecast: Forecast, model_path: str | Path | None, generated_at: dt.datetime
) -> str:
    """The reproducibility stamp and a short description of the method."""
    from . import __version__

    runs = f"{forecast.iterations:,}"
    if forecast.precision is not None:
        runs += f" (chosen to know each P80 to ±{forecast.precision:g} working days)"
    status = forecast.status_date
    scheme = forecast.levelling
    levelled = "none" if scheme is None else "{} scheme, {} priority".format(*scheme)
    stamp = [  # (id, label, value): the ids let a reader's tools pick the values out
        ("seed", "Seed", str(forecast.seed)),
        ("iterations", "Runs (iterations)", runs),
        ("version", "riskcast version", __version__),
        ("model", "Model file", Path(model_path).name if model_path else "–"),
        ("sha256", "Model SHA-256", model_sha256(model_path) if model_path else "–"),
        ("status-date", "Status date", date_text(status) if status else "none (the plan as made)"),
        ("start", "Plan start", date_text(forecast.start)),
        ("scenario", "Risk scenario", _scenario(forecast.mitigation)),
        ("levelling", "Resource levelling", levelled),
        ("generated", "Generated", f"{generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"),
    ]
    items = "".join(
        f'<dt>{esc(label)}</dt><dd id="stamp-{key}">{esc(value)}</dd>'
        for key, label, value in stamp
    )
    return (
        f"<dl>{items}</dl>"
        "<p>The same model file, seed, runs and scenario give the same numbers on any machine.</p>"
        "<p><strong>Monte Carlo simulation.</strong> Each run draws every task's duration from "
        "its estimate (a range, not a single number), together with the risks, correlations and "
        "resource limits of the model, and schedules the plan through its links and calendars. "
        "Each run is one way the project could go; the runs are independent.</p>"
        "<p><strong>Percentiles.</strong> A P-date is a percentile of the runs' dates: P80 is "
        "the date by which 80% of the runs delivered. The chance of meeting a target is the "
        "share of runs delivered by it. The plan (CPM) date is the schedule with every task at "
        "its most-likely duration; it is usually optimistic.</p>"
        "<p><strong>Monte Carlo intervals.</strong> The runs are a sample, so each percentile "
        "carries sampling error; the table gives the half-width of the 95% interval of the P80 "
        "date (from order statistics, distribution-free). More runs narrow it.</p>"
        "<p><strong>Drivers.</strong> Criticality is the share of runs in which a task is on the "
        "critical path; sensitivity is the rank (Spearman) correlation of a task's duration "
        "with the milestone's date. With costs, each run also adds up its costs, and the JCL is "
        "the share of runs both on time and within budget.</p>"
    )


# -- the page -------------------------------------------------------------------------------------
def build_report(
    project: Project,
    forecast: Forecast,
    model_path: str | Path | None = None,
    history: History | None = None,
    *,
    generated_at: dt.datetime | None = None,
) -> str:
    """The forecast as one self-contained HTML page for a steering meeting.

    Parameters
    ----------
    project : Project
        The plan simulated (its risks' owners and mitigations are listed).
    forecast : Forecast
        The result of :func:`riskcast.simulate` for ``project``.
    model_path : str or pathlib.Path, optional
        The model file simulated: its name and SHA-256 go into the reproducibility stamp.
    history : History, optional
        The forecast history; when it holds forecasts of this model (by project name), the
        report shows their trend. None (default): no trend section.
    generated_at : datetime.datetime, optional
        When the report was made, with a time zone (shown in UTC); default now.

    Returns
    -------
    str
        An HTML5 document: no script, no external resource, charts as inline SVG.

    Raises
    ------
    HistoryError
        ``history`` is a history file that cannot be read.
    OSError
        ``model_path`` cannot be read.
    """
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    ids = report_ids(forecast)
    charts = report_charts(forecast, ids)
    dates = milestone_table(forecast, ids) + _figures(charts["dates"])
    sections = [("milestones", "When will it ship?", dates)]
    if "costs" in charts:
        sections.append(("costs", "Cost and joint confidence", _figures(charts["costs"])))
    if "resources" in charts:
        sections.append(
            ("resources", "Resources", resources_section(forecast, ids, charts["resources"]))
        )
    sections += [
        ("drivers", "What drives the dates", drivers_section(project, forecast, charts["drivers"])),
        ("explanation", "In plain words", explanations_section(forecast, ids)),
    ]
    trend = trend_section(history, forecast)
    if trend is not None:
        sections.append(("trend", "Trend of the recorded forecasts", trend))
    methods = methods_section(forecast, model_path, generated_at)
    sections.append(("methods", "Method and reproducibility", methods))
    return _page(forecast, sections, generated_at)


def _page(forecast: Forecast, sections: Sequence[tuple[str, str, str]], when: dt.datetime) -> str:
    """The HTML document around the ``(anchor, title, body)`` sections."""
    name = esc(forecast.project_name)
    status = forecast.status_date
    basis = (
        f"status date {date_text(status)}" if status else f"plan from {date_text(forecast.start)}"
    )
    meta = (
        f"Forecast report: {basis}; {forecast.iterations:,} simulated runs, seed "
        f"{forecast.seed}; made {when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    nav = "".join(f'<a href="#{anchor}">{esc(title)}</a>' for anchor, title, _ in sections)
    body = "".join(
        f'<section id="{anchor}"><h2>{esc(title)}</h2>{html_}</section>'
        for anchor, title, html_ in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="riskcast">'
        f"<title>{name} — forecast report</title><style>{CSS}</style></head>"
        f'<body><main><header><h1>{name}</h1><p class="meta">{meta}</p>'
        f"{_lead(forecast)}<nav>{nav}</nav>"
        '<p class="hint note">The charts are drawn to scale: zoom in for their detail.</p>'
        f"</header>{body}</main></body></html>\n"
    )
