"""Portfolios: the merged plan is the hand-merged model exactly, a project inside draws what it
draws alone, shared pools are never over-allocated, cross-project criticality, bad input, the
command line and the bundled example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc
from riskcast import portfolio as pf
from riskcast.compile import compile_project
from riskcast.engine.run import forward_pass
from riskcast.resources import levelled

from . import naive
from .test_levelling import check_feasible

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "models" / "portfolio" / "portfolio.toml"
RUNS = 2048

API = """\
[project]
name = "API"
start = 2027-01-04

[[resource]]
id = "backend"
capacity = 2
rate = 900

[[resource]]
id = "qa"
capacity = 1

[[task]]
id = "design"
estimate = { pert = [3, 5, 9] }

[[task]]
id = "auth"
estimate = { pert = [8, 12, 20] }
after = ["design"]
assignments = [{ resource = "backend" }]

[[task]]
id = "gateway"
estimate = { triangular = [6, 9, 16] }
after = ["design"]
assignments = [{ resource = "backend" }]

[[task]]
id = "load-test"
estimate = { pert = [2, 3, 6] }
after = ["auth", "gateway"]
assignments = [{ resource = "qa" }]

[[milestone]]
id = "public-beta"
after = ["auth", "gateway"]
target = 2027-02-05

[[milestone]]
id = "ga"
after = ["load-test"]
target = 2027-02-19

[[risk]]
id = "vendor"
probability = 0.3
impacts = [{ task = "gateway", add = { triangular = [2, 4, 9] } }]
"""

APP = """\
[project]
name = "App"
start = 2027-01-04

[[resource]]
id = "backend"
capacity = 1
rate = 900

[[resource]]
id = "qa"
capacity = 1

[[task]]
id = "shell"
estimate = { pert = [5, 8, 13] }
assignments = [{ resource = "backend" }]

[[task]]
id = "integration"
estimate = { pert = [4, 6, 10] }
after = ["shell"]

[[task]]
id = "beta-test"
estimate = { pert = [3, 5, 8] }
after = ["integration"]
assignments = [{ resource = "qa" }]

[[milestone]]
id = "launch"
after = ["beta-test"]
target = 2027-03-05

[[correlation]]
tasks = ["shell", "integration"]
coefficient = 0.5
"""

PORTFOLIO = """\
[portfolio]
name = "Line"

[[project]]
id = "api"
model = "api.toml"

[[project]]
id = "app"
model = "app.toml"

[[link]]
from = "api/public-beta"
to = "app/integration"
type = "SS"
lag = 2

[[pool]]
id = "backend"
capacity = 2
"""

# PORTFOLIO written by hand as one model file: namespaced ids, the cross link on its successor,
# the shared pool first (the portfolio's capacity, the projects' rate), then the private pools.
MERGED = """\
[project]
name = "Line"
start = 2027-01-04

[[resource]]
id = "backend"
capacity = 2
rate = 900

[[resource]]
id = "api/qa"
capacity = 1

[[resource]]
id = "app/qa"
capacity = 1

[[task]]
id = "api/design"
estimate = { pert = [3, 5, 9] }

[[task]]
id = "api/auth"
estimate = { pert = [8, 12, 20] }
after = ["api/design"]
assignments = [{ resource = "backend" }]

[[task]]
id = "api/gateway"
estimate = { triangular = [6, 9, 16] }
after = ["api/design"]
assignments = [{ resource = "backend" }]

[[task]]
id = "api/load-test"
estimate = { pert = [2, 3, 6] }
after = ["api/auth", "api/gateway"]
assignments = [{ resource = "api/qa" }]

[[task]]
id = "app/shell"
estimate = { pert = [5, 8, 13] }
assignments = [{ resource = "backend" }]

[[task]]
id = "app/integration"
estimate = { pert = [4, 6, 10] }
after = ["app/shell", { task = "api/public-beta", type = "SS", lag = 2 }]

[[task]]
id = "app/beta-test"
estimate = { pert = [3, 5, 8] }
after = ["app/integration"]
assignments = [{ resource = "app/qa" }]

[[milestone]]
id = "api/public-beta"
after = ["api/auth", "api/gateway"]
target = 2027-02-05

[[milestone]]
id = "api/ga"
after = ["api/load-test"]
target = 2027-02-19

[[milestone]]
id = "app/launch"
after = ["app/beta-test"]
target = 2027-03-05

[[risk]]
id = "api/vendor"
probability = 0.3
impacts = [{ task = "api/gateway", add = { triangular = [2, 4, 9] } }]

[[correlation]]
tasks = ["app/shell", "app/integration"]
coefficient = 0.5
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (name -> text) into ``folder``; the path of the portfolio file."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "portfolio.toml"


@pytest.fixture
def line(tmp_path) -> Path:
    return write(tmp_path, {"api.toml": API, "app.toml": APP, "portfolio.toml": PORTFOLIO})


def same_runs(a: rc.Forecast, b: rc.Forecast) -> None:
    """Every target finished at the same time in every run."""
    assert [m.id for m in a.targets] == [m.id for m in b.targets]
    for x, y in zip(a.targets, b.targets, strict=True):
        np.testing.assert_array_equal(x.samples, y.samples, err_msg=x.id)


# --- the merged plan -----------------------------------------------------------------------------


def test_the_portfolio_is_the_hand_merged_model_file_exactly(line, tmp_path):
    portfolio = rc.load_portfolio(line)
    by_hand = tmp_path / "merged.toml"
    by_hand.write_text(MERGED, encoding="utf-8")
    merged = rc.load(by_hand)
    assert portfolio.project.tasks == merged.tasks
    assert portfolio.project.milestones == merged.milestones
    assert portfolio.project.resources == merged.resources
    for seed in (1, 2):
        got = pf.simulate(portfolio, iterations=RUNS, seed=seed)
        same_runs(got.forecast, rc.simulate(merged, iterations=RUNS, seed=seed))
        assert got.forecast.criticality("app/launch") == rc.simulate(
            merged, iterations=RUNS, seed=seed
        ).criticality("app/launch")
    assert got.forecast.levelling == ("parallel", "lft")


def test_load_of_a_portfolio_file_is_its_merged_plan(line):
    project = rc.load(line)
    assert project.name == "Line" and project.source == str(line)
    assert [m.id for m in project.milestones] == ["api/public-beta", "api/ga", "app/launch"]
    assert project.tasks == rc.load_portfolio(line).project.tasks


def test_pools_shared_replace_private_stay_namespaced(line):
    portfolio = rc.load_portfolio(line)
    pools = {r.id: r for r in portfolio.project.resources}
    assert set(pools) == {"backend", "api/qa", "app/qa"}
    assert pools["backend"].capacity == 2  # the portfolio's, not 2 + 1 nor either project's
    assert pools["backend"].rate == 900  # the projects agree on it
    # alone, each project keeps its own capacity under its own namespaced id
    assert {r.id: r.capacity for r in portfolio.projects["app"].resources} == {
        "app/backend": 1,
        "app/qa": 1,
    }
    assert portfolio.projects["app"].task("app/shell").assignments[0].resource == "app/backend"


def test_a_pool_rate_overrides_the_projects_rates(tmp_path):
    text = PORTFOLIO.replace("capacity = 2\n", "capacity = 2\nrate = 1000\n")
    path = write(tmp_path, {"api.toml": API, "app.toml": APP, "portfolio.toml": text})
    assert rc.load_portfolio(path).project.resources[0].rate == 1000


# --- the same random numbers as alone --------------------------------------------------------------

PROBABLE = """\
[project]
name = "Extras"
start = 2027-01-18

[[resource]]
id = "crew"
capacity = 1

[[task]]
id = "survey"
estimate = { lognormal = { p10 = 2, p90 = 6 } }
assignments = [{ resource = "crew" }]

[[task]]
id = "rework"
estimate = { uniform = [1, 4] }
probability = 0.4
after = ["survey"]
assignments = [{ resource = "crew" }]

[[task]]
id = "fast"
estimate = 2

[[task]]
id = "slow"
estimate = { pert = [3, 6, 12] }

[[task]]
id = "wrap-up"
estimate = { pert = [1, 2, 4] }
after = ["rework", "fast", "slow"]
assignments = [{ resource = "crew" }]

[[milestone]]
id = "done"
after = ["wrap-up"]
target = 2027-02-26

[[branch]]
id = "route"
options = [{ tasks = ["fast"], probability = 0.5 }, { tasks = ["slow"], probability = 0.5 }]
"""


def test_a_project_inside_draws_exactly_what_it_draws_alone(tmp_path):
    # No cross links and no shared pools: each project's milestones finish in every run exactly
    # when its namespaced plan alone does (risks, correlation, probabilistic tasks, branches,
    # private pools levelled, and a project starting two weeks after the portfolio).
    text = "\n".join(
        [
            '[portfolio]\nname = "Independent"',
            *(
                f'[[project]]\nid = "{pid}"\nmodel = "{pid}.toml"'
                for pid in ("api", "app", "extras")
            ),
        ]
    )
    path = write(
        tmp_path,
        {"api.toml": API, "app.toml": APP, "extras.toml": PROBABLE, "portfolio.toml": text},
    )
    portfolio = rc.load_portfolio(path)
    assert portfolio.start == rc.load(tmp_path / "api.toml").start
    inside = pf.simulate(portfolio, iterations=RUNS, seed=11)
    for pid, alone_plan in portfolio.projects.items():
        alone = rc.simulate(alone_plan, iterations=RUNS, seed=11)
        assert [m.id for m in alone.milestones] == [m.id for m in inside.milestones(pid)]
        for m in alone.milestones:
            np.testing.assert_array_equal(m.samples, inside.milestone(m.id).samples, err_msg=m.id)
        # each task is critical for its own milestones as often as alone
        for m in alone.milestones:
            own = inside.forecast.criticality(m.id)
            assert {k: own[k] for k in alone.criticality(m.id)} == alone.criticality(m.id)


SEVEN_DAYS = """\
[project]
name = "Burn-in"
start = 2027-01-04

[calendars.seven]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[[task]]
id = "burn-in"
estimate = { pert = [3, 5, 9] }
calendar = "seven"

[[milestone]]
id = "done"
after = ["burn-in"]
"""


def test_another_projects_task_calendar_keeps_the_dates(tmp_path):
    # A 7-day task calendar puts the merged plan on the elapsed-time clock: the API's finishes
    # are counted in elapsed days there, in working days alone, and deliver on the same dates.
    text = '[portfolio]\nname = "Mixed"\n[[project]]\nid = "api"\nmodel = "api.toml"\n'
    text += '[[project]]\nid = "lab"\nmodel = "lab.toml"\n'
    path = write(tmp_path, {"api.toml": API, "lab.toml": SEVEN_DAYS, "portfolio.toml": text})
    portfolio = rc.load_portfolio(path)
    inside = pf.simulate(portfolio, iterations=RUNS, seed=6).milestone("api/ga")
    alone = rc.simulate(portfolio.projects["api"], iterations=RUNS, seed=6).milestone("api/ga")
    for q in (5, 25, 50, 80, 95):
        assert inside.percentile(q) == alone.percentile(q), q
    for date in ("2027-02-12", "2027-02-19", "2027-02-26"):
        assert inside.probability_by(date) == alone.probability_by(date), date


def test_a_later_project_keeps_its_start(tmp_path):
    # Fixed durations: the later project's plan dates are those of its file alone.
    path = write(
        tmp_path,
        {
            "api.toml": API,
            "extras.toml": PROBABLE.replace("probability = 0.4\n", ""),
            "portfolio.toml": '[portfolio]\nname = "Two"\n[[project]]\nid = "api"\n'
            'model = "api.toml"\n[[project]]\nid = "extras"\nmodel = "extras.toml"\n',
        },
    )
    portfolio = rc.load_portfolio(path)
    alone = rc.load(tmp_path / "extras.toml")
    inside = pf.simulate(portfolio, iterations=256, seed=3)
    by_itself = rc.simulate(alone, iterations=256, seed=3)
    assert inside.milestone("extras/done").cpm_date == by_itself.milestone("done").cpm_date
    assert portfolio.project.task("extras/survey").not_before == alone.start
    first = min(inside.milestone("extras/done").samples)
    assert inside.milestone("extras/done").to_date(first) >= alone.start


# --- shared pools ------------------------------------------------------------------------------------


def test_a_shared_pool_is_never_over_allocated_in_any_run(tmp_path):
    # One backend engineer for both projects. Every run's levelled schedule, rebuilt from the
    # run's own draws, holds every link and never has more than one task on the pool; and it
    # is the schedule the simulation delivered (the same milestone finishes, to round-off: the
    # reference draws its durations outside the kernel).
    api = API[: API.index("[[risk]]")]  # naive.durations samples the estimates alone
    app = APP[: APP.index("[[correlation]]")]
    text = PORTFOLIO.replace("capacity = 2", "capacity = 1").replace(
        'from = "api/public-beta"', 'from = "api/auth"'
    )
    path = write(tmp_path, {"api.toml": api, "app.toml": app, "portfolio.toml": text})
    project = rc.load_portfolio(path).project
    runs = 300
    forecast = rc.simulate(project, iterations=runs, seed=5)
    network = levelled(compile_project(project), "parallel", "lft")
    draws = naive.durations(project, 5, runs)
    unlimited = compile_project(project)
    rows = {m.id: network.index(m.id) for m in project.milestones}
    waited = 0
    for r in range(runs):
        durations = np.array([draws[id][r] if id in draws else 0.0 for id in network.ids])
        start, finish = forward_pass(network, durations)
        waited += bool(np.any(start > forward_pass(unlimited, durations)[0] + 1e-9))
        check_feasible(
            project,
            {t.id: start[network.index(t.id)] for t in project.tasks},
            {t.id: finish[network.index(t.id)] for t in project.tasks},
            {t.id: draws[t.id][r] for t in project.tasks},
        )
        for m in project.milestones:
            delivered = forecast.milestone(m.id).samples[r]
            assert finish[rows[m.id]] == pytest.approx(delivered, abs=naive.TOLERANCE), (r, m.id)
    assert waited > runs / 2  # the pool binds: tasks wait for the one engineer in most runs


def test_only_the_linked_and_pooled_projects_move(tmp_path):
    # api and app share a pool and a link; extras shares nothing: it runs exactly as alone,
    # while the app, gated by the API and short of backend engineers, finishes later.
    text = PORTFOLIO + '\n[[project]]\nid = "extras"\nmodel = "extras.toml"\n'
    path = write(
        tmp_path,
        {"api.toml": API, "app.toml": APP, "extras.toml": PROBABLE, "portfolio.toml": text},
    )
    portfolio = rc.load_portfolio(path)
    inside = pf.simulate(portfolio, iterations=RUNS, seed=2)
    alone = {
        pid: rc.simulate(plan, iterations=RUNS, seed=2) for pid, plan in portfolio.projects.items()
    }
    done = inside.milestone("extras/done")
    np.testing.assert_array_equal(done.samples, alone["extras"].milestone("extras/done").samples)
    launch, by_itself = inside.milestone("app/launch"), alone["app"].milestone("app/launch")
    assert np.all(launch.samples >= by_itself.samples - 1e-9)
    assert launch.mean_days > by_itself.mean_days + 1


# --- cross-project criticality -----------------------------------------------------------------------

GATE = """\
[project]
name = "Core"
start = 2027-01-04

[[task]]
id = "core"
estimate = { pert = [40, 45, 55] }

[[task]]
id = "docs"
estimate = { pert = [2, 3, 5] }

[[milestone]]
id = "beta"
after = ["core", "docs"]
target = 2027-03-19
"""

SHORT = """\
[project]
name = "Client"
start = 2027-01-04

[[task]]
id = "ui"
estimate = { pert = [3, 5, 8] }

[[task]]
id = "integration"
estimate = { pert = [2, 3, 5] }
after = ["ui"]

[[milestone]]
id = "release"
after = ["integration"]
target = 2027-03-26
"""


def test_a_milestone_waiting_on_another_projects_long_task_is_critical_from_there(tmp_path):
    text = (
        '[portfolio]\nname = "Gate"\n[[project]]\nid = "core"\nmodel = "core.toml"\n'
        '[[project]]\nid = "client"\nmodel = "client.toml"\n'
        '[[link]]\nfrom = "core/beta"\nto = "client/integration"\n'
    )
    path = write(tmp_path, {"core.toml": GATE, "client.toml": SHORT, "portfolio.toml": text})
    forecast = pf.simulate(rc.load_portfolio(path), iterations=RUNS, seed=4)
    # the client's own path takes at most 13 days, the core task at least 40
    assert forecast.cross_criticality("client/release") == {"core": 1.0}
    assert forecast.cross_driver("client/release") == ("core/core", 1.0)
    assert forecast.cross_criticality("core/beta") == {"client": 0.0}
    assert forecast.cross_driver("core/beta") is None
    # the last task is the client's integration, after the core task: both lead to the finish
    assert forecast.cross_criticality("finish") == {"core": 1.0, "client": 1.0}
    rows = {row["id"]: row for row in forecast.summary(85)}
    assert rows["client/release"]["cross_project"] == 1.0
    assert rows["client/release"]["driver"] == "core/core"
    assert rows["core/beta"]["cross_project"] == 0.0 and rows["core/beta"]["driver"] is None
    release = forecast.milestone("client/release")
    assert rows["client/release"]["promise"] == (release.target_probability >= 0.85)
    assert [m.id for m in forecast.milestones("client")] == ["client/release"]
    with pytest.raises(rc.ArgumentError, match='no project "clent"; did you mean "client"'):
        forecast.milestones("clent")
    assert forecast.table().splitlines()[-1].startswith("finish")


# --- bad input ----------------------------------------------------------------------------------------

STATUS = "start = 2027-01-04\nstatus_date = 2027-01"
SIX_DAYS = '\n[calendars.six]\nworkdays = ["mon", "tue", "wed", "thu", "fri", "sat"]\n'


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"portfolio.toml": PORTFOLIO.replace('"app.toml"', '"mobile.toml"')},
            'project[1] "app" > model: no file "mobile.toml"',
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace('id = "app"', 'id = "api"')},
            'project[1] "api": duplicate project id "api" (project[0] "api" has it too)',
        ),
        (
            {
                "portfolio.toml": PORTFOLIO.replace(
                    'to = "app/integration"', 'to = "app/integraton"'
                )
            },
            'link[0] > to: project "app" has no task or milestone "app/integraton"; did you mean '
            '"app/integration"?',
        ),
        (
            {
                "portfolio.toml": PORTFOLIO.replace(
                    'to = "app/integration"', 'to = "ap/integration"'
                )
            },
            'link[0] > to: no project "ap" (in "ap/integration"); did you mean "app"?',
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace('to = "app/integration"', 'to = "integration"')},
            'link[0] > to: expected a namespaced id "<project>/<id>"',
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace('to = "app/integration"', 'to = "api/ga"')},
            'link[0]: "api/public-beta" and "api/ga" are in the same project',
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace('type = "SS"', 'type = "XX"')},
            'link[0] > type: "XX" is not one of FS, SS, FF, SF',
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace('id = "backend"', 'id = "bakend"')},
            'pool "bakend": no project has a resource pool of this id; did you mean "backend"?',
        ),
        (
            {
                "app.toml": APP.replace(
                    "start = 2027-01-04", 'start = 2027-01-04\ncalendar = "six"'
                )
                + SIX_DAYS
            },
            'project "app": its project calendar (mon-tue-wed-thu-fri-sat, 8 h/day, 0 '
            'holidays) differs from project "api"\'s (mon-tue-wed-thu-fri, 8 h/day, 0 holidays)',
        ),
        (
            {"app.toml": APP.replace("rate = 900", "rate = 800")},
            'pool "backend": the projects give it different rates ("api": 900, "app": 800); '
            "give the shared pool a rate",
        ),
        (
            {
                "portfolio.toml": PORTFOLIO.replace(
                    'name = "Line"', 'name = "Line"\nstart = 2027-02-01'
                )
            },
            'project "api": starts on 2027-01-04, before the portfolio start 2027-02-01',
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace('id = "app"', 'id = "app/x"')},
            "project id 'app/x': must be a non-empty string without '/'",
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace('model = "app.toml"', 'modle = "app.toml"')},
            'project[1] "app": unknown key "modle" in [project]; did you mean "model"?',
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace("[portfolio]", "[portfolo]")},
            "missing [portfolio] table",
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace("capacity = 2", 'capacity = "two"')},
            'pool[0] "backend" > capacity: expected a finite number',
        ),
        (
            {"app.toml": APP.replace('after = ["shell"]', 'after = ["shel"]')},
            'project[1] "app" > model "app.toml": task "integration" > after[0]: unknown '
            'predecessor "shel"',
        ),
        (
            {
                "api.toml": API.replace("start = 2027-01-04", f"{STATUS}-08"),
                "app.toml": APP.replace("start = 2027-01-04", f"{STATUS}-11"),
            },
            'different values of project > status_date ("api": 2027-01-08, "app": 2027-01-11)',
        ),
        (
            {"portfolio.toml": PORTFOLIO + '[[pool]]\nid = "backend"\ncapacity = 3\n'},
            'pool "backend": given twice',
        ),
        (
            {"portfolio.toml": PORTFOLIO.replace("capacity = 2", "capacity = 0.5")},
            'task "app/shell" > assignments[0]: needs 1 of "backend", which has 0.5 at most',
        ),
        (
            {"app.toml": PORTFOLIO},
            'project[1] "app" > model: "app.toml" is a portfolio file',
        ),
    ],
)
def test_bad_portfolios_say_what_and_where(tmp_path, files, message):
    path = write(tmp_path, {"api.toml": API, "app.toml": APP, "portfolio.toml": PORTFOLIO, **files})
    with pytest.raises(rc.ModelError) as caught:
        rc.load_portfolio(path)
    assert any(message in p for p in caught.value.problems), caught.value.problems
    assert str(path) in str(caught.value)


def test_a_cycle_through_cross_links_names_them(line):
    text = PORTFOLIO + '\n[[link]]\nfrom = "app/integration"\nto = "api/auth"\n'
    line.write_text(text, encoding="utf-8")
    with pytest.raises(rc.CycleError) as caught:
        rc.load_portfolio(line)
    (problem,) = [p for p in caught.value.problems if "cycle" in p]
    assert '"api/auth"' in problem and '"app/integration"' in problem
    assert "through the portfolio's link[0], link[1]" in problem
    assert str(line) in str(caught.value)


def test_overheads_must_end_at_a_milestone_of_their_project(tmp_path):
    app = APP + '\n[[overhead]]\nid = "pm"\nrate = 100\n'
    path = write(tmp_path, {"api.toml": API, "app.toml": app, "portfolio.toml": PORTFOLIO})
    with pytest.raises(rc.ModelError, match='overhead "pm": runs until the project finish'):
        rc.load_portfolio(path)
    fixed = app.replace("rate = 100\n", 'rate = 100\nuntil = "launch"\n')
    (tmp_path / "app.toml").write_text(fixed, encoding="utf-8")
    overheads = rc.load_portfolio(path).project.overheads
    assert [(o.id, o.until) for o in overheads] == [("app/pm", "app/launch")]


def test_the_python_builder_gives_the_files_portfolio(line, tmp_path):
    built = pf.build_portfolio(
        "Line",
        {"api": rc.load(tmp_path / "api.toml"), "app": rc.load(tmp_path / "app.toml")},
        [pf.CrossLink("api/public-beta", "app/integration", "ss", 2)],
        [pf.SharedPool("backend", capacity=2)],
    )
    read = rc.load_portfolio(line)
    assert built.project.tasks == read.project.tasks
    assert built.project.resources == read.project.resources
    assert built.names == {"api": "API", "app": "App"}
    with pytest.raises(rc.ModelError, match="a portfolio needs at least one project"):
        pf.build_portfolio("Empty", {})


# --- the command line and the example -------------------------------------------------------------


def riskcast(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "riskcast", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_riskcast_run_takes_a_portfolio_file():
    done = riskcast("run", EXAMPLE, "--iterations", "2000", "--seed", "7", "--no-charts")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Product line 2027 — 2,000 runs, seed 7, plan start 2027-01-04"
    forecast = pf.simulate(rc.load_portfolio(EXAMPLE), iterations=2000, seed=7)
    for m in forecast.forecast.milestones:
        row = next(line for line in lines if line.startswith(m.name + "  "))
        assert m.percentile(80).isoformat() in row
    assert any(line.startswith("Project finish") for line in lines)
    one = riskcast("run", EXAMPLE, "-n", "2000", "--seed", "7", "-m", "app/beta", "--no-charts")
    assert one.returncode == 0, one.stderr
    assert "App 5.0 beta" in one.stdout and "Web dashboard" not in one.stdout


def test_riskcast_run_reports_a_bad_portfolio_without_a_traceback(line):
    line.write_text(PORTFOLIO.replace('"app.toml"', '"nope.toml"'), encoding="utf-8")
    done = riskcast("run", line, "--iterations", "500")
    assert done.returncode != 0
    assert 'project[1] "app" > model: no file "nope.toml"' in done.stderr
    assert "Traceback" not in done.stderr


def test_the_example_portfolio():
    portfolio = rc.load_portfolio(EXAMPLE)
    assert len(portfolio.projects) == 5 and len(portfolio.pools) == 3
    assert len(portfolio.links) >= 4
    for pid, project in portfolio.projects.items():
        assert 6 <= len(project.tasks) <= 15, pid
        assert project.milestones and all(m.target for m in project.milestones), pid
    for pool in portfolio.pools:  # each shared team works for at least two projects
        users = {
            pid
            for pid, p in portfolio.projects.items()
            for t in p.tasks
            for a in t.assignments
            if a.resource == f"{pid}/{pool.id}"
        }
        assert len(users) >= 2, pool.id
    forecast = pf.simulate(portfolio, iterations=RUNS, seed=7)
    rows = forecast.summary(85)
    assert {r["promise"] for r in rows} == {True, False}  # the question has a real answer
    assert any(r["cross_project"] > 0.5 for r in rows)
    assert forecast.finish.percentile(50) >= max(
        m.percentile(50) for m in forecast.forecast.milestones
    )
