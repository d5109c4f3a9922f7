"""Forecast tables as pandas data frames and as notebook HTML."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import riskcast as rc

pandas = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def forecast():
    p = rc.Project(
        "Frames & <tables>",
        dt.date(2027, 1, 4),
        tasks=[
            rc.Task("a", rc.Triangular(2, 4, 9), cost=rc.Cost(1000.0, 50)),
            rc.Task("b", rc.Uniform(1, 3), after=["a"]),
        ],
        milestones=[rc.Milestone("m", after=["a"], target="2027-01-08")],
        budget=1300,
        currency="EUR",
    )
    return rc.simulate(p, iterations=2048, seed=3)


def test_the_milestone_frame_has_real_dates_and_the_forecasts_numbers(forecast):
    frame = forecast.to_frame()
    assert list(frame.index) == ["m", "finish"]
    for column in ("target", "plan", "p50", "p80", "p95"):
        assert frame[column].dtype == np.dtype("datetime64[s]")
    m = forecast.milestone("m")
    assert frame.loc["m", "p80"] == pandas.Timestamp(m.percentile(80))
    assert frame.loc["m", "probability_of_target"] == m.probability_by("2027-01-08")
    assert pandas.isna(frame.loc["finish", "target"])
    assert frame.loc["m", "cost_p80"] == forecast.cost("m").percentile(80)
    assert frame.loc["m", "jcl"] == forecast.jcl("m")
    assert frame.loc["m", "probability_within_budget"] == forecast.cost("m").probability_within()


def test_the_task_frame_matches_the_task_table(forecast):
    frame = forecast.task_frame()
    table = {row["id"]: row for row in forecast.task_table()}
    assert list(frame.index) == list(table)
    assert frame["p80_finish"].dtype == np.dtype("datetime64[s]")
    assert frame.loc["b", "criticality"] == table["b"]["criticality"]
    assert frame.loc["a", "plan_finish"] == pandas.Timestamp(table["a"]["plan_finish"])


def test_notebooks_show_the_milestone_table_escaped(forecast):
    text = forecast._repr_html_()
    assert "Frames &amp; &lt;tables&gt;" in text and "<tables>" not in text
    assert text.count("<tr>") == 3  # the header and two rows
    assert forecast.milestone("m").percentile(80).isoformat() in text
    assert "cost P80 EUR" in text


def test_without_pandas_the_error_says_what_to_install(forecast, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(rc.ArgumentError, match=r"riskcast\[pandas\]"):
        forecast.to_frame()
    assert "<table>" in forecast._repr_html_()  # notebooks need no pandas
