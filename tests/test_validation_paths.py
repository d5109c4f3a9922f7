"""One validation path: what ``validate`` (Python and CLI) passes, ``compile_project`` and ``run``
accept, and every problem of a model is reported at once, whatever else is wrong with it."""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable

import pytest

import riskcast as rc
from riskcast import cli
from riskcast.compile import compile_project
from riskcast.risks import Branch, BranchOption, Correlation, Impact, Mitigation, Risk


def _base(**extra) -> rc.Project:
    tasks = (
        rc.Task("a", rc.Pert(1, 2, 4)),
        rc.Task("b", rc.Pert(1, 2, 4), after=("a",)),
        rc.Task("c", rc.Triangular(1, 2, 5), after=("a",)),
        rc.Task("d", rc.Uniform(1, 3), after=("b", "c")),
    )
    risks = (
        Risk("r1", 0.3, (Impact("a", add=2),)),
        Risk("r2", 0.4, (Impact("b", add=1),)),
        Risk("r3", 0.5, (Impact("c", multiply=rc.Fixed(1.5)),)),
    )
    return rc.Project(
        "paths", "2027-01-04", tasks, (rc.Milestone("m", ("d",)),), risks=risks, **extra
    )


def _triangle(kind: str, ids: tuple[str, str, str]) -> tuple[Correlation, ...]:
    """a~b 0.9, b~c 0.9, a~c -0.9: each pair is fine, the three cannot hold together."""
    x, y, z = ids
    return (
        Correlation(0.9, **{kind: (x, y)}),
        Correlation(0.9, **{kind: (y, z)}),
        Correlation(-0.9, **{kind: (x, z)}),
    )


TRIANGLE = _triangle("tasks", ("a", "b", "c"))

BAD_MODELS = {
    "inconsistent task correlations": _base(correlations=TRIANGLE),
    # file order of the tasks differs from the dependency order the compiler uses
    "inconsistent correlations, tasks named out of order": _base(
        correlations=_triangle("tasks", ("d", "c", "a"))
    ),
    "inconsistent risk correlations": _base(correlations=_triangle("risks", ("r1", "r2", "r3"))),
    "one pair, two coefficients": _base(
        correlations=(Correlation(0.3, tasks=("a", "b")), Correlation(0.5, tasks=("b", "a")))
    ),
    "inconsistent correlations and an unknown predecessor": dataclasses.replace(
        _base(correlations=TRIANGLE),
        milestones=(rc.Milestone("m", ("d", "zz")),),
    ),
    "inconsistent correlations and a bad coefficient elsewhere": _base(
        correlations=(*TRIANGLE, Correlation(1.5, risks=("r1", "r2")))
    ),
    "swapped probability range after another bad risk": dataclasses.replace(
        _base(),
        risks=(
            Risk("r1", 1.5, (Impact("a", add=2),)),
            Risk("r2", (0.5, 0.2), (Impact("b", add=1),)),
        ),
    ),
    "cycle": dataclasses.replace(
        _base(),
        tasks=(
            rc.Task("a", 1, after=("d",)),
            *_base().tasks[1:],
        ),
    ),
}

GOOD_MODELS = {
    "consistent correlations": _base(
        correlations=(
            Correlation(0.5, tasks=("a", "b", "c")),
            Correlation(0.3, risks=("r1", "r2")),
        )
    ),
    "inconsistent correlations, repaired": _base(correlations=TRIANGLE, repair_correlation=True),
}


def _outcome(act: Callable[[], object]) -> tuple[type, list[str], str] | None:
    """None when ``act`` passes, else the ModelError's type, problems and message."""
    try:
        act()
    except rc.ModelError as exc:
        return type(exc), exc.problems, str(exc)
    return None


@pytest.mark.parametrize("name", list(BAD_MODELS))
def test_validate_refuses_exactly_what_compile_refuses_with_the_same_text(name):
    project = BAD_MODELS[name]
    validated = _outcome(lambda: rc.validate(project))
    compiled = _outcome(lambda: compile_project(project))
    assert compiled is not None, "the model is meant to be refused"
    assert validated == compiled
    for scenario in (True, ["r1"]):  # a mitigation scenario compiles the same checks
        assert _outcome(lambda s=scenario: compile_project(project, mitigated=s)) == compiled


@pytest.mark.parametrize("name", list(GOOD_MODELS))
def test_what_validate_passes_compiles(name, recwarn):
    project = GOOD_MODELS[name]
    assert _outcome(lambda: rc.validate(project)) is None
    assert _outcome(lambda: compile_project(project)) is None


def test_the_non_psd_problem_names_the_pairs_and_the_repair():
    with pytest.raises(ValueError, match="not positive semi-definite") as info:
        rc.validate(BAD_MODELS["inconsistent task correlations"])
    (problem,) = info.value.problems
    assert problem.startswith("correlation[0], correlation[1], correlation[2]:")
    assert '"a"-"b"' in problem and '"a"-"c"' in problem and '"b"-"c"' in problem
    assert "repair_correlation = true" in problem


def test_conflicting_coefficients_for_one_pair_are_a_validation_problem():
    with pytest.raises(rc.ModelError) as info:
        rc.validate(BAD_MODELS["one pair, two coefficients"])
    assert info.value.problems == [
        'correlation[1]: "a" and "b" already have coefficient 0.3 from correlation[0]; '
        "give each pair one value"
    ]


def test_a_bad_correlation_entry_does_not_hide_an_inconsistent_matrix():
    with pytest.raises(rc.ModelError) as info:
        rc.validate(BAD_MODELS["inconsistent correlations and a bad coefficient elsewhere"])
    problems = info.value.problems
    assert len(problems) == 2
    assert "correlation[3] > coefficient: a rank correlation is within [-1, 1]" in problems[0]
    assert "not positive semi-definite" in problems[1]


INCONSISTENT_FILE = """\
[project]
name = "Inconsistent"
start = 2027-01-04

[[task]]
id = "a"
estimate = { pert = [1, 2, 4] }

[[task]]
id = "b"
estimate = { pert = [1, 2, 4] }
after = ["a"]

[[task]]
id = "c"
estimate = { pert = [1, 2, 4] }
after = ["a"]

[[milestone]]
id = "done"
after = ["b", "c"]
target = 2027-01-20

[[correlation]]
tasks = ["a", "b"]
coefficient = 0.9

[[correlation]]
tasks = ["b", "c"]
coefficient = 0.9

[[correlation]]
tasks = ["a", "c"]
coefficient = -0.9
"""


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_validate_refuses_what_run_refuses_with_the_same_message(tmp_path):
    path = tmp_path / "inconsistent.toml"
    path.write_text(INCONSISTENT_FILE)
    code, out, err = _cli("validate", str(path))
    run_code, run_out, run_err = _cli("run", str(path), "-n", "200", "--seed", "1")
    assert (code, run_code) == (2, 2)
    assert "valid —" not in out and run_out == ""
    assert err == run_err
    assert "not positive semi-definite" in err and '"a"-"b"' in err
    assert "repair_correlation = true" in err and str(path) in err


def test_cli_validate_passes_a_repaired_model_and_says_it_will_be_repaired(tmp_path):
    path = tmp_path / "repaired.toml"
    path.write_text(INCONSISTENT_FILE.replace("[project]", "[project]\nrepair_correlation = true"))
    code, out, err = _cli("validate", str(path))
    assert code == 0 and "valid — 3 tasks" in out
    assert "cannot all hold at once" in err and "nearest valid matrix" in err
    run_code, _, run_err = _cli("run", str(path), "-n", "200", "--seed", "1")
    assert run_code == 0 and "repaired to the nearest valid matrix" in run_err


# -- every problem at once -------------------------------------------------------------------------
def test_every_risk_problem_is_reported_at_once_from_python():
    risks = (
        Risk("r1", 1.5, (Impact("a", add=2),)),
        Risk("r2", (0.5, 0.2), (Impact("b", add=1),)),
        Risk(
            "r3",
            (0.7, 0.1),
            (Impact("zz", add=1),),
            mitigation=Mitigation(probability=(0.6, 0.3), cost=-5),
        ),
        Risk("r4", (1.5, 0.2), (Impact("c", add=1),)),
    )
    project = dataclasses.replace(_base(), risks=risks)
    with pytest.raises(rc.ModelError) as info:
        rc.validate(project)
    assert info.value.problems == [
        'risk "r1" > probability: a probability is a number within [0, 1], got 1.5',
        'risk "r2" > probability: range low 0.5 exceeds high 0.2; swap them',
        'risk "r3" > probability: range low 0.7 exceeds high 0.1; swap them',
        'risk "r3" > impacts[0]: unknown task "zz"',
        'risk "r3" > mitigation > probability: range low 0.6 exceeds high 0.3; swap them',
        'risk "r3" > mitigation > cost: must be a number >= 0, got -5',
        'risk "r4" > probability: a probability is a number within [0, 1], got 1.5',
        'risk "r4" > probability: range low 1.5 exceeds high 0.2; swap them',
    ]
    assert _outcome(lambda: compile_project(project))[1] == info.value.problems


SEVERAL_BAD_RISKS = """\
[project]
name = "Risky"
start = 2027-01-04

[[task]]
id = "a"
estimate = 3

[[task]]
id = "b"
estimate = 2
after = ["a"]

[[milestone]]
id = "m"
after = ["b"]

[[risk]]
id = "first"
probability = 1.5
impacts = [{ task = "a", add = 2 }]

[[risk]]
id = "swapped"
probability = [0.5, 0.2]
impacts = [{ task = "b", add = 1 }]

[[risk]]
id = "both-ends"
probability = ["low", true]
impacts = [{ task = "a", add = 1 }]

[[risk]]
id = "no-impacts"
probability = [0.9, 0.1]

[[risk]]
id = "bad-impact"
probability = -0.2
impacts = [{ task = "a", add = { pert = [3, 1, 2] }, extra = 1 }]

[[risk]]
id = "mitigated"
probability = 0.3
impacts = [{ task = "a", add = 1 }]
mitigation = { probability = [0.4, 0.1], impacts = [{ task = "b", multiply = -1 }], cost = "lots", when = "now" }

[[correlation]]
risks = ["no-impacts", "first"]
coefficient = 0.5
"""


def test_every_risk_problem_of_a_file_is_reported_at_once(tmp_path):
    path = tmp_path / "risky.toml"
    path.write_text(SEVERAL_BAD_RISKS)
    with pytest.raises(rc.ModelError) as info:
        rc.load(path)
    problems = info.value.problems
    text = "\n".join(problems)
    for expected in (
        'risk "first" > probability: a probability is a number within [0, 1], got 1.5',
        'risk "swapped" > probability: range low 0.5 exceeds high 0.2; swap them',
        "risk \"both-ends\" > probability: expected a finite number, got 'low'",
        'risk "both-ends" > probability: expected a finite number, got True',
        'risk "no-impacts": missing required key "impacts"',
        'risk "no-impacts" > probability: range low 0.9 exceeds high 0.1; swap them',
        'risk "bad-impact" > impacts[0]: unknown key "extra"',
        'risk "bad-impact" > impacts[0] > add: pert',
        'risk "bad-impact" > probability: a probability is a number within [0, 1], got -0.2',
        'risk "mitigated" > mitigation: unknown key "when"',
        "risk \"mitigated\" > mitigation > cost: expected a finite number, got 'lots'",
        'risk "mitigated" > mitigation > probability: range low 0.4 exceeds high 0.1; swap them',
    ):
        assert expected in text, expected
    # the risk without impacts is kept (its other problems show), without a spurious echo
    assert not any("a risk needs at least one impact" in p for p in problems)
    assert not any('unknown id "no-impacts"' in p for p in problems)


def test_a_link_to_an_unknown_predecessor_still_has_its_type_and_lag_checked():
    project = dataclasses.replace(
        _base(),
        milestones=(rc.Milestone("m", (rc.Link("zz", "XX", math.nan),)),),
    )
    with pytest.raises(rc.ModelError) as info:
        rc.validate(project)
    text = "\n".join(info.value.problems)
    assert 'unknown predecessor "zz"' in text
    assert 'link type "XX" is not one of FS, SS, FF, SF' in text
    assert "> lag: must be a number of working days" in text


def test_a_file_without_project_table_still_reports_its_other_problems():
    from riskcast.io.modelfile import parse_model

    data = {
        "task": [{"id": "a", "estimate": {"pert": [5, 3, 1]}}],
        "calendars": {"team": {"workdays": ["mon", "funday", "someday"]}},
    }
    with pytest.raises(rc.ModelError) as info:
        parse_model(data)
    text = "\n".join(info.value.problems)
    assert "missing [project] table" in text
    assert 'task "a" > estimate' in text
    assert "unknown weekday 'funday'" in text and "unknown weekday 'someday'" in text


def test_branch_option_problems_are_all_reported():
    from riskcast.io.modelfile import parse_model

    data = {
        "project": {"name": "x", "start": "2027-01-04"},
        "task": [{"id": "a", "estimate": 1}, {"id": "b", "estimate": 1}],
        "branch": [
            {
                "id": "x",
                "options": [
                    {"tasks": [3], "probability": "half"},
                    {"tasks": ["b"], "probability": 0.5},
                ],
            }
        ],
    }
    with pytest.raises(rc.ModelError) as info:
        parse_model(data)
    text = "\n".join(info.value.problems)
    assert "options[0] > tasks[0]: expected a non-empty string" in text
    assert "options[0]: expected a finite number, got 'half'" in text


def test_python_branch_and_correlation_problems_come_with_risk_problems():
    project = dataclasses.replace(
        _base(correlations=TRIANGLE),
        risks=(Risk("r1", (0.5, 0.2), (Impact("a", add=2),)),),
        branches=(Branch("x", (BranchOption(("a",), 0.7), BranchOption(("b",), 0.5))),),
    )
    with pytest.raises(rc.ModelError) as info:
        rc.validate(project)
    text = "\n".join(info.value.problems)
    assert "swap them" in text and "not positive semi-definite" in text
    assert "add up to 1.2, more than 1" in text
