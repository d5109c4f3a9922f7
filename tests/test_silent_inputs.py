"""Inputs that used to run silently and wrongly are refused or warned about, with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

import riskcast as rc


def plan(**project) -> rc.Project:
    tasks = (rc.Task("a", rc.Triangular(2, 3, 6)), rc.Task("b", 2, after=("a",)))
    milestones = (rc.Milestone("m", ("b",), target=project.pop("target", None)),)
    return rc.Project("silent", "2027-01-04", tasks, milestones, **project)


@pytest.mark.parametrize("seed", [2**63, 2**70, -1])
def test_seeds_beyond_63_bits_are_refused_not_wrapped(seed):
    with pytest.raises(rc.ArgumentError, match="2\\*\\*63"):
        rc.simulate(plan(), iterations=64, seed=seed)
    assert rc.simulate(plan(), iterations=64, seed=2**63 - 1).seed == 2**63 - 1


def test_a_target_before_the_start_is_a_validation_problem():
    with pytest.raises(rc.ModelError, match="before the project start"):
        rc.validate(plan(target="2027-01-01"))
    rc.validate(plan(target="2027-01-04"))


@pytest.mark.parametrize("mitigation", ["post", ["r1"]])
def test_mitigation_without_risks_is_refused(mitigation):
    with pytest.raises(rc.ArgumentError, match="no risks"):
        rc.simulate(plan(), iterations=64, seed=1, mitigation=mitigation)


def test_a_block_of_holidays_is_warned_about():
    first = dt.date(2027, 3, 1)
    holidays = tuple(first + dt.timedelta(days=k) for k in range(0, 30 * 365, 1))
    decades = plan(calendar=rc.Calendar(holidays=holidays))
    warnings = [w for w in rc.schedule_warnings(decades) if w.code == "holiday-block"]
    assert len(warnings) == 1 and "2027-03-01" in warnings[0].message
    shutdown = tuple(dt.date(2027, 12, 20) + dt.timedelta(days=k) for k in range(14))
    assert not [
        w
        for w in rc.schedule_warnings(plan(calendar=rc.Calendar(holidays=shutdown)))
        if w.code == "holiday-block"
    ]
