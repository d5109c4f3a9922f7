"""Working days <-> dates: weekends, holidays and the rounding rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import riskcast as rc
from riskcast.calendar import Calendar


def test_task_finishing_over_a_weekend_and_a_holiday_lands_on_the_right_date():
    # Start Thursday 2027-04-01. Good Friday 04-02 and Easter Monday 04-05 are holidays.
    cal = Calendar(holidays=(dt.date(2027, 4, 2), dt.date(2027, 4, 5)))
    project = rc.Project(
        "easter",
        "2027-04-01",
        (rc.Task("a", rc.Fixed(3)),),
        (rc.Milestone("done", ("a",)),),
        calendar=cal,
    )
    forecast = rc.simulate(project, iterations=8, seed=0)
    # working days: Thu 04-01 (1), Tue 04-06 (2), Wed 04-07 (3) -> delivered Wednesday 04-07
    assert forecast.milestone("done").cpm_date == dt.date(2027, 4, 7)
    assert forecast.milestone("done").percentile(50) == dt.date(2027, 4, 7)
    assert forecast.milestone("done").probability_by("2027-04-06") == 0.0
    assert forecast.milestone("done").probability_by("2027-04-07") == 1.0


def test_rounding_rule():
    cal = Calendar()
    monday = dt.date(2027, 1, 4)
    finishes = cal.finish_dates(monday, np.array([0.0, 0.3, 1.0, 1.2, 5.0, 5.5])).astype(dt.date)
    assert list(finishes) == [
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 5),
        dt.date(2027, 1, 8),
        dt.date(2027, 1, 11),
    ]
    starts = cal.start_dates(monday, np.array([0.0, 4.9, 5.0])).astype(dt.date)
    assert list(starts) == [dt.date(2027, 1, 4), dt.date(2027, 1, 8), dt.date(2027, 1, 11)]
    # "finished by Friday" is 5 working days; by Sunday still 5
    assert cal.days_until_end_of(monday, dt.date(2027, 1, 8)) == 5
    assert cal.days_until_end_of(monday, dt.date(2027, 1, 10)) == 5


def test_six_day_week_and_not_before():
    cal = Calendar(workdays=("mon", "tue", "wed", "thu", "fri", "sat"))
    project = rc.Project(
        "six",
        "2027-01-04",
        (rc.Task("a", rc.Fixed(2)), rc.Task("b", rc.Fixed(1), not_before="2027-01-11")),
        (rc.Milestone("m", ("a", "b")),),
        calendar=cal,
    )
    forecast = rc.simulate(project, iterations=8, seed=0)
    # b may start Monday 01-11 = working day 6 (Mon..Sat = 0..5), finishing at 7.0 -> 01-11
    assert forecast.milestone("m").cpm_days == 7.0
    assert forecast.milestone("m").cpm_date == dt.date(2027, 1, 11)


def test_start_on_a_weekend_rolls_forward():
    assert Calendar().first_working_day(dt.date(2027, 1, 2)) == dt.date(2027, 1, 4)


@pytest.mark.parametrize("bad", [("mon", "fun"), ()])
def test_bad_calendars_are_model_errors(bad):
    with pytest.raises(rc.ModelError):
        Calendar(workdays=bad)
