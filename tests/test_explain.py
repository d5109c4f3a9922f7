"""The plain-language explanation states the forecast's own numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

import riskcast as rc
from riskcast.explain import explain

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def forecast():
    return rc.simulate(rc.load(ROOT / "models" / "checkout-redesign.toml"), iterations=2000, seed=7)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_explain_states_dates_odds_and_drivers(forecast):
    text = flat(explain(forecast, "beta"))
    m = forecast.milestone("beta")
    assert text.startswith("Public beta (beta) is planned for")
    assert m.cpm_date.isoformat() in text
    for q in (50, 80, 95):
        assert m.percentile(q).isoformat() in text
    assert f"chance of meeting it is {100 * m.target_probability:.0f}%" in text
    names = dict(zip(forecast.task_ids, forecast.task_names, strict=True))
    sens = forecast.sensitivity("beta")
    top = max(sens, key=sens.get)
    assert f"{names[top]} (correlation {sens[top]:.2f})" in text
    bias = {k: v for k, v in forecast.merge_bias().items() if k != "beta"}
    assert "merge bias" in text and names.get(max(bias, key=bias.get), "") in text


def test_explain_only_names_tasks_upstream_of_the_milestone(forecast):
    text = flat(explain(forecast, "beta"))
    for downstream in ("Launch campaign", "Beta feedback round", "Performance hardening"):
        assert downstream not in text


def test_explain_project_finish_and_forecast_without_plan(forecast):
    text = flat(explain(forecast, "finish"))
    assert "no target date" in text
    restored = rc.Forecast.from_json(forecast.to_json())
    assert flat(explain(restored, "ga")).startswith("General availability (ga)")


def test_explain_unknown_milestone(forecast):
    with pytest.raises(rc.RiskcastError, match="no milestone"):
        explain(forecast, "gaa")


def test_explanation_names_the_risks_on_the_critical_path():
    project = rc.load(ROOT / "models" / "checkout-risks.toml")
    forecast = rc.simulate(project, iterations=3000, seed=5)
    text = explain(forecast, "beta")
    on_path = forecast.risk_criticality("beta")
    top = sorted(on_path.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    title = dict(zip(forecast.risk_ids, forecast.risk_titles, strict=True))[top]
    assert "most often struck a task on the critical path" in text
    assert " ".join(title.split()) in " ".join(text.split())
