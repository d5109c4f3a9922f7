"""Plain-language explanation of one milestone's forecast, for people who read sentences.

:func:`explain` reads only a :class:`~riskcast.forecast.Forecast`: the P-dates against the plan
(CPM) date and the target, then the biggest contributors: the tasks most often on the critical
path, the tasks whose uncertainty moves the date most (sensitivity), and the merge points where
waiting for the slowest of several parallel paths adds the most time (merge bias).
"""

from __future__ import annotations

import datetime as dt
import textwrap

import numpy as np

from .forecast import FINISH_ID, Forecast, MilestoneForecast

TOP = 3  # contributors named per kind


def _day(d: dt.date) -> str:
    return f"{d:%a} {d.isoformat()}"


def _pct(p: float) -> str:
    if 0 < p < 0.01:
        return "under 1%"
    if 0.99 < p < 1:
        return "over 99%"
    return f"{round(100 * p)}%"


def _working_days(m: MilestoneForecast, a: dt.date, b: dt.date) -> int:
    """Signed number of working days from ``a`` to ``b``."""
    return int(np.busday_count(a, b, busdaycal=m.calendar.busdaycalendar))


def _gap(m: MilestoneForecast, reference: dt.date, d: dt.date, what: str) -> str:
    n = _working_days(m, reference, d)
    if n == 0:
        return f"the same day as the {what}"
    unit = "working day" if abs(n) == 1 else "working days"
    return f"{abs(n)} {unit} {'after' if n > 0 else 'before'} the {what}"


def _upstream(forecast: Forecast, milestone_id: str) -> set[str] | None:
    """Ids of the activities the milestone waits for (None when the plan is not attached)."""
    project = forecast.project
    if project is None:
        return None
    if milestone_id == FINISH_ID:
        return {a.id for a in project.activities}
    preds = {a.id: [link.predecessor for link in a.after] for a in project.activities}
    seen: set[str] = set()
    todo = list(preds.get(milestone_id, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(preds.get(node, ()))
    return seen


def _names(forecast: Forecast) -> dict[str, str]:
    names = dict(zip(forecast.task_ids, forecast.task_names, strict=True))
    names.update({m.id: m.name for m in forecast.targets})
    return names


def explain(forecast: Forecast, milestone_id: str) -> str:
    """Explain one milestone's forecast in a few paragraphs a manager can read.

    Says when the milestone is likely to land (P50, P80 and P95 dates), how that compares with the
    plan (CPM) date and the target in working days, the odds of the target, and which tasks
    (criticality, sensitivity), merge points (merge bias) and risks (how often they struck the
    critical path) drive the date. Reads only the forecast; a forecast rebuilt with
    :meth:`Forecast.from_dict` works too.

    Parameters
    ----------
    forecast : Forecast
        The result of :func:`riskcast.simulate`.
    milestone_id : str
        The milestone to explain; ``"finish"`` for the project finish.

    Returns
    -------
    str
        Paragraphs separated by blank lines, each wrapped at 88 characters.

    Raises
    ------
    RiskcastError
        If ``milestone_id`` is not a milestone of the forecast (with a did-you-mean suggestion).
    """
    m = forecast.milestone(milestone_id)
    names = _names(forecast)
    plan = m.cpm_date
    p50, p80, p95 = m.percentile(50), m.percentile(80), m.percentile(95)
    paragraphs = []

    text = (
        f"{m.name} ({m.id}) is planned for {_day(plan)} when every task takes its most-likely "
        f"time. Across {forecast.iterations:,} simulated runs it is delivered by {_day(p50)} in "
        f"half of them ({_gap(m, plan, p50, 'plan date')}), by {_day(p80)} in 80% and by "
        f"{_day(p95)} in 95%."
    )
    on_plan = m.probability_by(plan)
    text += f" The plan date itself is met in {_pct(on_plan)} of runs"
    text += "." if on_plan >= 0.5 else ", so the plan is optimistic."
    lo, hi = m.percentile_interval(80)
    if lo != hi:
        text += (
            f" (The P80 date is known to within {lo.isoformat()} .. {hi.isoformat()} at 95% "
            "confidence; more runs narrow it.)"
        )
    paragraphs.append(text)

    if m.target is not None:
        prob = m.target_probability or 0.0
        text = f"The target is {_day(m.target)}: the chance of meeting it is {_pct(prob)}."
        if p80 > m.target:
            text += f" To be 80% sure, commit to {_day(p80)}, {_gap(m, m.target, p80, 'target')}."
        else:
            text += f" The P80 date is {_gap(m, m.target, p80, 'target')}, so the target has room."
        paragraphs.append(text)
    else:
        paragraphs.append("It has no target date; add one to get the odds of meeting it.")

    upstream = _upstream(forecast, m.id)

    def keep(task_id: str) -> bool:
        return upstream is None or task_id in upstream

    crit = {k: v for k, v in forecast.criticality(m.id).items() if keep(k) and v > 0}
    always = sorted((k for k, v in crit.items() if v >= 0.99), key=list(crit).index)
    sometimes = sorted(
        ((k, v) for k, v in crit.items() if 0.05 <= v < 0.99), key=lambda kv: (-kv[1], kv[0])
    )
    if always:
        shown = [names[k] for k in always[:TOP]]
        more = len(always) - len(shown)
        paragraphs.append(
            f"{len(always)} task{'s are' if len(always) > 1 else ' is'} on the critical path in "
            "(nearly) every run, so any slip there moves the date: "
            + _join(shown + ([f"{more} more"] if more else []))
            + "."
        )
    if sometimes:
        parts = [f"{names[k]} ({_pct(v)} of runs)" for k, v in sometimes[:TOP]]
        paragraphs.append(
            "The critical path changes from run to run; these tasks are on it only sometimes: "
            + _join(parts)
            + "."
        )

    sens = {k: v for k, v in forecast.sensitivity(m.id).items() if keep(k) and v > 0.05}
    top_sens = sorted(sens.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    if top_sens:
        parts = [f"{names[k]} (correlation {v:.2f})" for k, v in top_sens]
        paragraphs.append(
            "The uncertainty that moves the date most comes from "
            + _join(parts)
            + "; narrowing or de-risking these estimates narrows the forecast most."
        )

    bias = {k: v for k, v in forecast.merge_bias().items() if k != m.id and keep(k) and v > 0.05}
    top_bias = sorted(bias.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    if top_bias:
        parts = [f"{names.get(k, k)} (+{v:.1f} working days)" for k, v in top_bias]
        paragraphs.append(
            "Where parallel paths join, waiting for the slowest of them adds time the plan does "
            "not show (merge bias: how much later than planned the join starts on average): "
            + _join(parts)
            + "."
        )
    if forecast.risk_ids:
        occurred = forecast.risk_occurrence()
        on_path = forecast.risk_criticality(m.id)
        titles = dict(zip(forecast.risk_ids, forecast.risk_titles, strict=True))
        top_risks = sorted(
            ((r, v) for r, v in on_path.items() if v > 0), key=lambda kv: (-kv[1], kv[0])
        )[:TOP]
        if top_risks:
            parts = [
                f"{titles[r]} (occurred in {_pct(occurred[r])} of runs, on the critical path in "
                f"{_pct(v)})"
                for r, v in top_risks
            ]
            paragraphs.append(
                "Of the risks, these most often struck a task on the critical path: "
                + _join(parts)
                + ". `riskcast drivers` ranks them by the days they add."
            )
    return "\n\n".join(textwrap.fill(p, 88) for p in paragraphs)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
