"""Resource levelling: hand-checked schedules, a feasibility checker over random models, and
exact agreement with the unlevelled simulation when capacities never bind."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskcast as rc
from riskcast.compile import compile_project
from riskcast.engine.run import forward_pass
from riskcast.resources import PRIORITY_RULES, levelled
from tests.test_reference_scheduler import random_plan

START = dt.date(2027, 1, 4)  # a Monday


def jan(day: int) -> dt.date:
    return dt.date(2027, 1, day)


def needs(pool: str, units: float = 1.0) -> tuple[rc.Assignment, ...]:
    return (rc.Assignment(pool, units),)


def plan_dates(project: rc.Project, scheme: str | None, priority: str = "lft") -> dict:
    rows = rc.simulate(project, iterations=64, seed=1, scheme=scheme, priority=priority)
    return {r["id"]: (r["plan_start"], r["plan_finish"]) for r in rows.task_table()}


@pytest.mark.parametrize("scheme", ["parallel", "serial"])
def test_two_tasks_needing_the_one_developer_run_one_after_the_other(scheme):
    tasks = (
        rc.Task("a", rc.Fixed(10), assignments=needs("dev")),
        rc.Task("b", rc.Fixed(10), assignments=needs("dev")),
        rc.Task("c", rc.Fixed(3)),  # needs nobody: not held back
    )
    project = rc.Project("p", START, tasks, resources=(rc.Resource("dev", capacity=1),))
    assert plan_dates(project, None)["b"] == (jan(4), jan(15))
    dates = plan_dates(project, scheme)
    # equal late finish: model order decides; b starts the Monday after a's Friday
    assert dates == {"a": (jan(4), jan(15)), "b": (jan(18), jan(29)), "c": (jan(4), jan(6))}


def three_on_two(rule: str) -> dict:
    tasks = (
        rc.Task("x", rc.Fixed(4), assignments=needs("qa")),
        rc.Task("y", rc.Fixed(2), assignments=needs("qa")),
        rc.Task("z", rc.Fixed(3), assignments=needs("qa")),
    )
    project = rc.Project("p", START, tasks, resources=(rc.Resource("qa", capacity=2),))
    return plan_dates(project, "parallel", rule)


def test_three_tasks_on_a_capacity_of_two_follow_the_rule():
    # listed: x and y start Monday; z waits for y (done Tuesday) and runs Wed-Fri
    assert three_on_two("listed") == {
        "x": (jan(4), jan(7)),
        "y": (jan(4), jan(5)),
        "z": (jan(6), jan(8)),
    }
    # longest first: x and z start Monday; y waits for z (done Wednesday): Thu-Fri
    assert three_on_two("max-duration") == {
        "x": (jan(4), jan(7)),
        "y": (jan(7), jan(8)),
        "z": (jan(4), jan(6)),
    }


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        # serial: the first task in priority order (a) goes first, at its earliest start
        # (Tuesday); b then fits only after it
        ("serial", {"a": (jan(5), jan(6)), "b": (jan(7), jan(11))}),
        # parallel: on Monday only b can start, and it does (non-delay); a waits for it
        ("parallel", {"a": (jan(7), jan(8)), "b": (jan(4), jan(6))}),
    ],
)
def test_serial_and_parallel_schemes_differ_as_documented(scheme, expected):
    tasks = (
        rc.Task("a", rc.Fixed(2), assignments=needs("dev"), not_before=jan(5), priority=1),
        rc.Task("b", rc.Fixed(3), assignments=needs("dev")),
    )
    project = rc.Project("p", START, tasks, resources=(rc.Resource("dev", capacity=1),))
    assert plan_dates(project, scheme, "listed") == expected


def test_a_capacity_change_lets_more_run_at_once():
    # one tester until a second one joins on Wednesday 6th
    team = rc.Resource("qa", capacity=1, changes=(rc.CapacityChange(jan(6), 2),))
    tasks = tuple(rc.Task(k, rc.Fixed(4), assignments=needs("qa")) for k in "abc")
    project = rc.Project("p", START, tasks, resources=(team,))
    dates = plan_dates(project, "parallel", "listed")
    # a: Mon-Thu; b starts when the second tester arrives; c when a is done
    assert dates == {"a": (jan(4), jan(7)), "b": (jan(6), jan(11)), "c": (jan(8), jan(13))}


def test_without_limited_pools_levelling_changes_nothing():
    tasks = (
        rc.Task("a", rc.Pert(1, 2, 5), assignments=needs("dev")),
        rc.Task("b", rc.Pert(1, 3, 4)),
    )
    project = rc.Project("p", START, tasks, resources=(rc.Resource("dev"),))  # unlimited
    free = rc.simulate(project, iterations=2048, seed=3, scheme=None)
    level = rc.simulate(project, iterations=2048, seed=3)
    np.testing.assert_array_equal(free.project_finish.samples, level.project_finish.samples)
    assert level.levelling is None


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("scheme", ["parallel", "serial"])
def test_ample_capacity_gives_the_unlevelled_runs_exactly(seed, scheme):
    # Random plans with calendars, lag calendars, leads, floors and progress, every task on a
    # pool of a capacity nobody reaches: the same draws give the same dates, bit for bit.
    base = random_plan(700 + seed)
    tasks = tuple(
        dataclasses.replace(
            t,
            estimate=rc.Triangular(
                0.5 * t.estimate.most_likely, t.estimate.most_likely, 2 * t.estimate.most_likely + 1
            ),
            assignments=() if t.alap else needs("crew", 1 + k % 3),
        )
        for k, t in enumerate(base.tasks)
    )
    project = dataclasses.replace(base, tasks=tasks, resources=(rc.Resource("crew", capacity=1e6),))
    free = rc.simulate(project, iterations=1024, seed=seed, scheme=None)
    level = rc.simulate(project, iterations=1024, seed=seed, scheme=scheme)
    assert level.levelling == (scheme, "lft")
    np.testing.assert_array_equal(free.project_finish.samples, level.project_finish.samples)
    for m in project.milestones:
        np.testing.assert_array_equal(free.milestone(m.id).samples, level.milestone(m.id).samples)
    assert free.task_table() == level.task_table()


# --- an independent feasibility checker over random models --------------------------------


def check_feasible(project: rc.Project, start: dict, finish: dict, durations: dict) -> None:
    """Every task once, with its duration; every link and floor held; no pool over capacity."""
    assert set(start) == {t.id for t in project.tasks}
    tol = 1e-9
    for t in project.tasks:
        assert finish[t.id] - start[t.id] == pytest.approx(durations[t.id], abs=tol)
        assert start[t.id] >= -tol
        for link in t.after:
            p = link.predecessor
            if link.type == "FS":
                assert start[t.id] >= finish[p] + link.lag - tol
            elif link.type == "SS":
                assert start[t.id] >= start[p] + link.lag - tol
            elif link.type == "FF":
                assert finish[t.id] >= finish[p] + link.lag - tol
            else:
                assert finish[t.id] >= start[p] + link.lag - tol
    for pool in project.resources:
        users = [
            (t.id, sum(a.units for a in t.assignments if a.resource == pool.id))
            for t in project.tasks
        ]
        # on the working-day clock a change on the Monday w weeks in begins at day 5 w
        steps = [(5.0 * ((c.date - START).days // 7), c.capacity) for c in pool.changes]

        def capacity_at(x: float, pool=pool, steps=steps) -> float:
            return next((c for day, c in reversed(steps) if x >= day), pool.capacity)

        # usage only rises at a start and capacity only changes at a step: check those
        for at in [start[id] for id, _ in users] + [day for day, _ in steps]:
            used = sum(u for k, u in users if u and start[k] <= at < finish[k] - tol)
            cap = capacity_at(at)
            assert used <= cap + tol, f"{pool.id} at {at}: {used} > {cap}"


@st.composite
def levelled_models(draw):
    n = draw(st.integers(2, 12))
    pools = []
    for k in range(draw(st.integers(1, 3))):
        changes = ()
        if draw(st.booleans()):  # another capacity from a Monday w weeks in (clock day 5 w)
            week = draw(st.integers(1, 4))
            changes = (
                rc.CapacityChange(START + dt.timedelta(weeks=week), draw(st.integers(1, 3))),
            )
        pools.append(rc.Resource(f"p{k}", capacity=draw(st.integers(1, 3)), changes=changes))
    tasks = []
    for i in range(n):
        after = []
        for p in draw(st.lists(st.integers(0, i - 1), max_size=3, unique=True)) if i else []:
            kind = draw(st.sampled_from(["FS", "SS", "FF", "SF"]))
            after.append(rc.Link(f"t{p}", kind, draw(st.sampled_from([0.0, 1.0, -1.0, 2.5]))))
        assignments = []
        for pool in draw(st.lists(st.sampled_from(pools), max_size=2, unique_by=lambda r: r.id)):
            most = int(min([pool.capacity, *(c.capacity for c in pool.changes)]))
            assignments.append(rc.Assignment(pool.id, draw(st.integers(1, most))))
        tasks.append(
            rc.Task(
                f"t{i}",
                rc.Fixed(draw(st.sampled_from([0.0, 1.0, 2.0, 3.5, 5.0]))),
                after=tuple(after),
                assignments=tuple(assignments),
            )
        )
    return rc.Project("random", START, tuple(tasks), resources=tuple(pools))


@settings(max_examples=150, deadline=None)
@given(
    levelled_models(),
    st.sampled_from(["parallel", "serial"]),
    st.sampled_from(PRIORITY_RULES),
)
def test_levelled_schedules_are_feasible(project, scheme, rule):
    network = levelled(compile_project(project), scheme, rule)
    start, finish = forward_pass(network, network.plan_duration)
    ids = network.ids
    durations = {t.id: t.estimate.most_likely for t in project.tasks}
    check_feasible(
        project,
        {id: start[k] for k, id in enumerate(ids)},
        {id: finish[k] for k, id in enumerate(ids)},
        durations,
    )


# --- the model's rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "units", "message"),
    [
        (rc.Resource("dev", capacity=1), 2, 'needs 2 of "dev", which has 1 at most'),
        (rc.Resource("dev", capacity=-1), 1, "capacity: must be a number of units >= 0"),
        (rc.Resource("dev", capacity=float("nan")), 1, "capacity: must be a number"),
        (
            rc.Resource("dev", capacity=3, changes=(rc.CapacityChange(jan(20), 1),)),
            2,
            'needs 2 of "dev", which has 1 from its last change on',
        ),
        (rc.Resource("dev", changes=(rc.CapacityChange(jan(20), 1),)), 1, "needs a capacity"),
        (
            rc.Resource("dev", capacity=1, changes=(rc.CapacityChange(jan(1), 2),)),
            1,
            "is not after the project start",
        ),
        (rc.Resource("qa", capacity=1), 1, 'unknown resource "dev"'),
    ],
)
def test_bad_pools_and_demands_are_model_errors(resource, units, message):
    task = rc.Task("t", rc.Fixed(1), assignments=needs("dev", units))
    project = rc.Project("p", START, (task,), resources=(resource,))
    with pytest.raises(rc.ModelError, match=message.replace("(", r"\(")):
        rc.simulate(project, iterations=64, seed=1)


def test_unknown_scheme_and_rule_are_argument_errors():
    project = rc.Project(
        "p",
        START,
        (rc.Task("t", rc.Fixed(1), assignments=needs("dev")),),
        resources=(rc.Resource("dev", capacity=1),),
    )
    with pytest.raises(rc.ArgumentError, match="scheme must be one of parallel, serial"):
        rc.simulate(project, iterations=64, seed=1, scheme="paralel")
    with pytest.raises(rc.ArgumentError, match="priority must be one of"):
        rc.simulate(project, iterations=64, seed=1, priority="fifo")


def test_the_model_file_reads_and_writes_capacities(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        """
[project]
name = "p"
start = 2027-01-04

[[resource]]
id = "ios"
capacity = 2
changes = [{ from = 2027-03-01, capacity = 3 }]

[[task]]
id = "a"
estimate = 5
priority = 2
assignments = [{ resource = "ios", units = 2 }]
""",
        encoding="utf-8",
    )
    project = rc.load(model)
    (pool,) = project.resources
    assert (pool.capacity, pool.changes) == (2, (rc.CapacityChange(dt.date(2027, 3, 1), 3),))
    assert project.task("a").priority == 2
    from riskcast.io.writer import write_model_toml

    again = rc.load(write_model_toml(project, tmp_path / "again.toml"))
    assert again.resources == project.resources
    assert again.task("a").priority == 2


# --- PSPLIB: real instances with their optimal makespans -------------------------------------

from tests.test_import_psplib import FILES as PSPLIB_FILES  # noqa: E402
from tests.test_import_psplib import optimum  # noqa: E402


@pytest.mark.parametrize("path", PSPLIB_FILES)
def test_psplib_levelled_plans_are_feasible_and_never_beat_the_optimum(path):
    project = rc.load(path)
    best = optimum(path)
    durations = {t.id: t.estimate.most_likely for t in project.tasks}
    for scheme in ("parallel", "serial"):
        for rule in PRIORITY_RULES:
            network = levelled(compile_project(project), scheme, rule)
            start, finish = forward_pass(network, network.plan_duration)
            tasks = {t.id for t in project.tasks}
            dates = [
                {id: x[k] for k, id in enumerate(network.ids) if id in tasks}
                for x in (start, finish)
            ]
            check_feasible(project, *dates, durations)
            if best is not None:
                assert finish.max() >= best, (scheme, rule)


# --- what the pools did: resource criticality and usage -------------------------------------


def two_on_one_dev(extra: tuple = ()) -> rc.Project:
    tasks = (
        rc.Task("a", rc.Triangular(8, 10, 14), assignments=needs("dev")),
        rc.Task("b", rc.Triangular(8, 10, 14), assignments=needs("dev")),
        *extra,
    )
    return rc.Project(
        "p",
        START,
        tasks,
        (rc.Milestone("done", ("a", "b")),),
        resources=(rc.Resource("dev", capacity=1), rc.Resource("qa", capacity=5)),
    )


def test_resource_criticality_counts_the_runs_a_pool_held_back_a_critical_task():
    # b always waits for the developer and always finishes last; the QA pool never binds; a
    # short task that waits for the developer only after both is off the critical path of done
    quick = rc.Task("x", rc.Fixed(1), assignments=(*needs("qa"), *needs("dev")), priority=-1)
    forecast = rc.simulate(two_on_one_dev((quick,)), iterations=2048, seed=2)
    assert forecast.resource_criticality("done") == {"dev": 1.0, "qa": 0.0}
    # the project finish: x, held back by the developer, is the last task in every run
    assert forecast.resource_criticality() == {"dev": 1.0, "qa": 0.0}
    again = rc.Forecast.from_json(forecast.to_json())
    assert again.resource_criticality("done") == {"dev": 1.0, "qa": 0.0}
    assert (
        rc.simulate(two_on_one_dev(), iterations=64, seed=1, scheme=None).resource_criticality()
        == {}
    )


def test_daily_usage_is_the_time_weighted_units_of_each_day():
    from riskcast.utilisation import daily_usage

    rng = np.random.default_rng(5)
    starts = rng.uniform(0, 8, (6, 40))
    finishes = starts + rng.uniform(0, 4, (6, 40))
    units = rng.integers(1, 4, 6).astype(float)
    got = daily_usage(starts, finishes, units, 14)
    fine = np.linspace(0, 14, 14 * 400, endpoint=False) + 1 / 800  # midpoints of 1/400 days
    busy = (starts[:, :, None] <= fine) & (fine < finishes[:, :, None])
    brute = (units[:, None, None] * busy).sum(axis=0).reshape(40, 14, 400).mean(axis=2)
    np.testing.assert_allclose(got, brute, atol=4 / 400 * units.sum())


def test_usage_of_a_pool_with_fixed_durations_is_known_exactly():
    # one developer on a (10 days) then b (10 days): one unit in use for 20 working days; the
    # QA pool of 2 has one tester on t (Mon-Wed) and a capacity that rises to 3 on Thursday 7th
    tester = rc.Task("t", rc.Fixed(3), assignments=needs("qa"))
    project = two_on_one_dev((tester,))
    fixed = tuple(
        dataclasses.replace(t, estimate=rc.Fixed(t.estimate.most_likely)) for t in project.tasks
    )
    qa = rc.Resource("qa", capacity=2, changes=(rc.CapacityChange(jan(7), 3),))
    project = dataclasses.replace(project, tasks=fixed, resources=(project.resources[0], qa))
    forecast = rc.simulate(project, iterations=64, seed=1)
    dev = forecast.resource_usage("dev")
    assert dev["dates"][0] == np.datetime64("2027-01-04") and len(dev["dates"]) == 20
    for band in ("p50", "p90", "mean"):
        np.testing.assert_array_equal(dev[band], np.ones(20))
    use = forecast.resource_usage("qa")
    np.testing.assert_array_equal(use["p50"], [1, 1, 1] + [0] * 17)
    np.testing.assert_array_equal(use["capacity"], [2, 2, 2] + [3] * 17)
    with pytest.raises(rc.ArgumentError, match=r'no levelled pool "qq" \(levelled: dev, qa\)'):
        forecast.resource_usage("qq")


def test_the_charts_of_a_levelled_forecast():
    pytest.importorskip("matplotlib")
    from riskcast import plotting

    forecast = rc.simulate(two_on_one_dev(), iterations=2048, seed=2)
    ax = plotting.resource_usage(forecast, "dev")
    gids = {line.get_gid() for line in ax.get_lines()}
    assert {"p50", "p90", "capacity"} <= gids
    ax = plotting.levelling_scurves(forecast, "done")
    gids = {line.get_gid() for line in ax.get_lines()}
    assert {"levelled", "unlimited", "p80-levelled", "p80-unlimited"} <= gids
    free = rc.simulate(two_on_one_dev(), iterations=64, seed=2, scheme=None)
    with pytest.raises(rc.ArgumentError, match="not levelled"):
        plotting.levelling_scurves(free, "done")


def test_the_command_line_levels_and_says_so(tmp_path):
    import json
    import subprocess
    import sys

    from riskcast.io.writer import write_model_toml

    model = write_model_toml(two_on_one_dev(), tmp_path / "team.toml")
    out = tmp_path / "out"

    def run(*extra: str) -> subprocess.CompletedProcess:
        args = [sys.executable, "-m", "riskcast", "run", str(model), "-n", "2000", "--seed", "4"]
        return subprocess.run([*args, *extra], capture_output=True, text=True)

    done = run("--out", str(out), "--scheme", "serial", "--priority", "min-slack")
    assert done.returncode == 0, done.stderr
    assert "resources levelled in every run (serial scheme, min-slack priority)" in done.stdout
    assert "P80 unlimited" in done.stdout and "dev   100%" in done.stdout
    as_json = run("--format", "json", "--no-charts", "--scheme", "serial", "--priority", "lft")
    summary = json.loads(as_json.stdout)
    assert summary["levelling"] == {"scheme": "serial", "priority": "lft"}
    charts = {p.name for p in (out / "charts").iterdir()}
    assert {"usage-dev.png", "usage-qa.png", "levelling-done.png"} <= charts
    plain = run("--scheme", "none", "--no-charts")
    assert plain.returncode == 0 and "levelled" not in plain.stdout
    bad = run("--scheme", "paralel")
    assert bad.returncode == 2 and "invalid choice: 'paralel'" in bad.stderr


# --- capacities from MS Project and P6 -------------------------------------------------------

DATA = __import__("pathlib").Path(__file__).parent / "data" / "mpxj"


def test_ms_project_max_units_are_the_capacity():
    from riskcast.io.schedules import read_schedule

    project = read_schedule(DATA / "mspdi" / "sample1.xml").project
    # <MaxUnits>1</MaxUnits> on both work resources: one full-time unit each
    assert [(r.id, r.capacity) for r in project.resources] == [("1", 1.0), ("2", 1.0)]


def test_p6_max_units_per_time_with_its_periods_and_an_over_allocation(tmp_path):
    from riskcast.io.schedules import read_schedule

    text = (DATA / "xer" / "resource-rates-test.xer").read_text(encoding="cp1252")
    # two rate periods: 1 per hour from 2022-01-01, 3 per hour from 2023-01-01; the project
    # starts in 2022, so the capacity is 1 and rises to 3 in 2023
    text = text.replace(
        "%R\t1762\t1316\t1\t21.0000\t2023-01-01 00:00",
        "%R\t1762\t1316\t3\t21.0000\t2023-01-01 00:00",
    )
    path = tmp_path / "rates.xer"
    path.write_text(text, encoding="cp1252")
    result = read_schedule(path)
    (pool,) = result.project.resources
    # task A1000 needs 5 units (target_qty_per_hr 5): more than P6's maximum, so the capacity
    # is raised to 5 everywhere, with a warning that names the task
    assert (pool.capacity, pool.changes) == (5.0, (rc.CapacityChange(dt.date(2023, 1, 1), 5.0),))
    assert any(
        'task "A1000" needs 5 units, more than its maximum of 1' in w for w in result.warnings
    )


def test_a_model_file_with_bad_pools_lists_every_problem(tmp_path):
    model = tmp_path / "bad.toml"
    model.write_text(
        """
[project]
name = "Bad"
start = 2027-01-04

[[resource]]
id = "dev"
capacity = -2
changes = [{ from = 2027-02-01, capacity = "x" }, { at = 2027-03-01 }]

[[task]]
id = "a"
estimate = 3
priority = "high"
assignments = [{ resource = "dev", units = -1 }]
""",
        encoding="utf-8",
    )
    with pytest.raises(rc.ModelError) as caught:
        rc.load(model)
    problems = caught.value.problems
    assert any("changes[0] > capacity: expected a finite number, got 'x'" in p for p in problems)
    assert any(
        "changes[1]: expected the keys from and capacity" in p and "got at" in p for p in problems
    )
    assert any('task "a" > priority: expected a finite number' in p for p in problems)
    assert any("units: must be >= 0" in p for p in problems)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("scheme", ["parallel", "serial"])
def test_levelled_plans_on_calendars_with_progress_never_exceed_a_pool(seed, scheme):
    # Random plans with task and lag calendars, leads, floors and progress, every unstarted
    # task on one of two tight pools: on the elapsed clock, no instant has more units in use
    # than the pool has (started tasks' units: the next test).
    base = random_plan(900 + seed)
    tasks = tuple(
        dataclasses.replace(
            t,
            assignments=()
            if t.alap or t.actual_start is not None
            else needs(("a", "b")[k % 2], 1 + k % 2),
        )
        for k, t in enumerate(base.tasks)
    )
    pools = (rc.Resource("a", capacity=1), rc.Resource("b", capacity=2))
    project = dataclasses.replace(base, tasks=tasks, resources=pools)
    network = levelled(compile_project(project), scheme, "lft")
    start, finish = forward_pass(network, network.plan_duration)
    free_start, _ = forward_pass(compile_project(project), network.plan_duration)
    for pool in pools:
        users = [
            (network.index(t.id), a.units)
            for t in tasks
            for a in t.assignments
            if a.resource == pool.id and t.actual_finish is None
        ]
        for j, _ in users:
            used = sum(u for i, u in users if start[i] <= start[j] < finish[i] - 1e-9)
            assert used <= pool.capacity + 1e-9, (pool.id, network.ids[j], used)
    unstarted = [network.index(t.id) for t in tasks if t.actual_start is None]
    # levelling only ever holds a task back from its unlevelled start
    assert np.all(start[unstarted] >= free_start[unstarted] - 1e-9)


def test_a_started_task_holds_its_units_while_its_remaining_work_runs():
    # On the status date (Mon 11th) the developer is on "api" (started, 3 days left, till
    # Wed 13th); "ui" (2 days) needs the developer too: it starts Thursday 14th. "check" is
    # started with no work left, but under retained logic it cannot finish before "build"
    # (finish-to-finish, Thu 14th): it waits, holding nobody, so "doc" starts on the status date.
    tasks = (
        rc.Task("api", rc.Fixed(5), actual_start=jan(6), remaining=3, assignments=needs("dev")),
        rc.Task("ui", rc.Fixed(2), assignments=needs("dev")),
        rc.Task("build", rc.Fixed(4)),
        rc.Task(
            "check",
            rc.Fixed(4),
            after=(rc.Link("build", "FF"),),
            actual_start=jan(5),
            remaining=0,
            assignments=needs("qa"),
        ),
        rc.Task("doc", rc.Fixed(1), assignments=needs("qa")),
    )
    pools = (rc.Resource("dev", capacity=1), rc.Resource("qa", capacity=1))
    project = rc.Project("p", START, tasks, resources=pools, status_date=jan(11))
    dates = plan_dates(project, "parallel")
    assert dates["api"] == (jan(6), jan(13))
    assert dates["ui"] == (jan(14), jan(15))
    assert dates["check"] == (jan(5), jan(14))
    assert dates["doc"] == (jan(11), jan(11))
