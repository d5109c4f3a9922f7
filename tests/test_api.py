"""The public API: what ``import riskcast as rc`` offers, and how its functions are called."""

from __future__ import annotations

import inspect

import pytest

import riskcast as rc
from riskcast import drivers, plotting, quality, risks
from riskcast.explain import explain

EXPORTED = {
    "Risk": risks.Risk,
    "Impact": risks.Impact,
    "Mitigation": risks.Mitigation,
    "Correlation": risks.Correlation,
    "Branch": risks.Branch,
    "BranchOption": risks.BranchOption,
    "risk_drivers": drivers.risk_drivers,
    "compare_mitigation": drivers.compare_mitigation,
    "explain": explain,  # the function shadows its module as an attribute, like simulate
    "schedule_warnings": quality.schedule_warnings,
}


def test_all_is_sorted_unique_and_importable():
    assert rc.__all__ == sorted(set(rc.__all__))
    missing = [name for name in rc.__all__ if not hasattr(rc, name)]
    assert not missing


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_the_analyses_and_risk_register_are_exported(name):
    assert name in rc.__all__
    assert getattr(rc, name) is EXPORTED[name]


def positional(function) -> list[str]:
    """Names of the parameters that may be passed by position."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in inspect.signature(function).parameters.values() if p.kind in kinds]


@pytest.mark.parametrize(
    ("function", "names"),
    [
        (rc.simulate, ["project"]),
        (rc.risk_drivers, ["project", "milestone"]),
        (rc.compare_mitigation, ["project"]),
        (rc.explain, ["forecast", "milestone_id"]),
        (rc.schedule_warnings, ["project"]),
        (plotting.scurve, ["forecast", "milestone"]),
        (plotting.histogram, ["forecast", "milestone"]),
        (plotting.roadmap, ["forecast", "milestones"]),
        (plotting.tornado, ["forecast", "milestone"]),
        (plotting.gantt, ["forecast", "tasks"]),
        (plotting.risk_tornado, ["drivers", "milestone"]),
        (plotting.mitigation_scurves, ["comparison", "milestone"]),
        (plotting.save, ["ax", "path"]),
    ],
)
def test_options_are_keyword_only(function, names):
    assert positional(function) == names


CHARTS = (
    "scurve",
    "histogram",
    "roadmap",
    "tornado",
    "gantt",
    "risk_tornado",
    "mitigation_scurves",
)
DOCUMENTED = [
    rc.load,
    rc.simulate,
    rc.validate,
    rc.risk_drivers,
    rc.compare_mitigation,
    rc.explain,
    rc.schedule_warnings,
    *(getattr(plotting, name) for name in CHARTS),
    plotting.save,
]


@pytest.mark.parametrize("function", DOCUMENTED, ids=lambda f: f.__qualname__)
def test_public_functions_have_numpydoc_sections(function):
    doc = inspect.getdoc(function)
    assert doc is not None
    for section in ("Parameters\n----------", "Returns\n-------"):
        assert section in doc, f"{function.__qualname__}: no {section.splitlines()[0]} section"
