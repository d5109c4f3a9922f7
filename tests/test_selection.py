"""Selecting candidate projects: the mixed-integer program equals brute-force enumeration over
every subset, the scenario arrays are the hand-computed work and capacity, the levelled check
rejects what the program cannot see, the reasons, bad input and the command line."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc
from riskcast.budget import within
from riskcast.engine.run import normalise_seed
from riskcast.errors import ArgumentError, ModelError
from riskcast.selection import build_scenarios, select
from riskcast.selection_model import Scenarios, solve

from .test_portfolio import riskcast

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "models" / "portfolio" / "portfolio.toml"


# -- the program against brute force ----------------------------------------------------------
def brute_force(sc: Scenarios, budget: float | None) -> tuple[float, list[frozenset[int]]]:
    """The best expected value over every subset that keeps every rule, and the subsets that
    reach it; written from the rules, loop by loop (not with the module's helpers)."""
    n, count = len(sc.candidates), sc.count
    pools, checkpoints = sc.capacity.shape
    best, argbest = -math.inf, []
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            chosen = set(subset)
            if budget is not None and sum(sc.cost[j] for j in chosen) > budget + 1e-9:
                continue
            if any(not sc.needs[j] <= chosen for j in chosen):
                continue
            fits = np.ones((checkpoints, count), bool)
            for k in range(checkpoints):
                for s in range(count):
                    for r in range(pools):
                        load = sc.work[-1, r, k, s] + sum(sc.work[j, r, k, s] for j in chosen)
                        if load > sc.capacity[r, k] + 1e-9:
                            fits[k, s] = False
            ok = True
            for m in range(len(sc.milestones)):
                if sc.owner[m] >= 0 and sc.owner[m] not in chosen:
                    continue
                k = sc.checkpoint[m]
                on = sum(1 for s in range(count) if sc.on_time[m, s] and fits[k, s])
                ok &= on >= sc.required[m]
            if not ok:
                continue
            value = sum(sc.value[j] for j in chosen)
            if value > best + 1e-9:
                best, argbest = value, [frozenset(chosen)]
            elif abs(value - best) <= 1e-9:
                argbest.append(frozenset(chosen))
    return best, argbest


def random_scenarios(rng: np.random.Generator, n: int = 6, count: int = 30) -> Scenarios:
    """A random selection problem with contention: committed work plus candidates' work
    around the capacity, chance constraints at 70-90 %, needs and costs."""
    pools, checkpoints = 2, 3
    owner = np.array([-1, -1, *[j for j in range(n) for _ in range(rng.integers(1, 3))]])
    m = len(owner)
    on_time = rng.random((m, count)) < rng.uniform(0.75, 1.0, size=(m, 1))
    work = rng.uniform(0, 10, size=(n + 1, pools, checkpoints, count))
    work[:-1] *= rng.random((n, pools, 1, 1)) < 0.7  # not every candidate needs every team
    work = np.cumsum(work, axis=2)  # work due by a later checkpoint includes the earlier
    share = rng.uniform(0.3, 1.1)  # of the candidates' work the teams have room for
    capacity = np.mean(work[-1] + share * work[:-1].sum(axis=0), axis=-1)
    needs = [frozenset() for _ in range(n)]
    for j in range(1, n):
        if rng.random() < 0.3:
            needs[j] = frozenset({int(rng.integers(0, j))})
    level = rng.choice([70.0, 80.0, 90.0])
    required = np.full(m, within(count, level))
    sc = Scenarios(
        tuple(f"c{j}" for j in range(n)),
        rng.uniform(1, 100, n),
        rng.uniform(1, 50, n),
        needs,
        tuple(f"m{k}" for k in range(m)),
        owner,
        required,
        on_time,
        rng.integers(0, checkpoints, m),
        work,
        capacity,
    )
    alone = sc.on_time_counts(np.zeros(n, bool))
    required = np.where(owner < 0, np.minimum(required, alone), required)
    return Scenarios(**{**sc.__dict__, "required": required})


def closed(needs: list[frozenset[int]]) -> list[frozenset[int]]:
    """Needs closed under 'needs of needs' (as the module passes them)."""
    out = [set(n) for n in needs]
    for _ in needs:
        for wanted in out:
            for i in list(wanted):
                wanted |= out[i]
    return [frozenset(w) for w in out]


@pytest.mark.parametrize("case", range(40))
def test_program_equals_brute_force(case):
    rng = np.random.default_rng(case)
    sc = random_scenarios(rng)
    sc = Scenarios(**{**sc.__dict__, "needs": closed(sc.needs)})
    budget = None if case % 4 == 0 else float(sc.cost.sum() * rng.uniform(0.3, 0.8))
    value, optima = brute_force(sc, budget)
    chosen = solve(sc, budget)
    if not optima:
        assert chosen is None
        return
    assert chosen is not None
    assert sum(sc.value[j] for j in chosen) == pytest.approx(value, rel=1e-12)
    assert chosen in optima
    assert sc.feasible(np.isin(np.arange(len(sc.candidates)), list(chosen)), budget)


def test_cuts_exclude_the_set_and_its_supersets():
    rng = np.random.default_rng(104)
    sc = random_scenarios(rng)
    sc = Scenarios(**{**sc.__dict__, "needs": closed(sc.needs)})
    first = solve(sc, None)
    assert first  # this case chooses something
    second = solve(sc, None, covers=[first])
    assert second is not None and not first <= second
    again = solve(sc, None, exclude=[first])
    assert again != first
    # the runner-up is the best of every other set
    value, _ = brute_force_without(sc, first)
    assert sum(sc.value[j] for j in again) == pytest.approx(value)


def brute_force_without(sc: Scenarios, excluded: frozenset[int]) -> tuple[float, None]:
    n = len(sc.candidates)
    best = -math.inf
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            chosen = frozenset(subset)
            mask = np.isin(np.arange(n), list(chosen))
            if chosen != excluded and sc.feasible(mask, None):
                best = max(best, float(sum(sc.value[j] for j in chosen)))
    return best, None


# -- a portfolio whose answers are known by hand ------------------------------------------------
CORE = """\
[project]
name = "Core"
start = 2027-01-04
[[resource]]
id = "team"
capacity = 1
[[task]]
id = "c1"
estimate = 3
[[milestone]]
id = "done"
after = ["c1"]
target = 2027-01-29
"""

# a: 5 days without the team, then 10 with it, due at the end of working day 16 (Jan 25)
A = """\
[project]
name = "Alpha"
start = 2027-01-04
[[resource]]
id = "team"
capacity = 1
rate = 100
[[task]]
id = "a1"
estimate = 5
[[task]]
id = "a2"
estimate = 10
after = ["a1"]
assignments = [{ resource = "team" }]
[[milestone]]
id = "done"
after = ["a2"]
target = 2027-01-25
"""

# b: 10 days with the team from the start, due at the end of working day 20 (Jan 29)
B = """\
[project]
name = "Beta"
start = 2027-01-04
[[resource]]
id = "team"
capacity = 1
rate = 100
[[task]]
id = "b1"
estimate = 10
assignments = [{ resource = "team" }]
[[milestone]]
id = "done"
after = ["b1"]
target = 2027-01-29
"""

TINY = """\
[portfolio]
name = "Tiny"

[[project]]
id = "core"
model = "core.toml"

[[candidate]]
id = "a"
model = "a.toml"
value = 100

[[candidate]]
id = "b"
model = "b.toml"
value = { triangular = [60, 80, 100] }

[[pool]]
id = "team"
capacity = 1
rate = 100
"""


def tiny(tmp_path, text: str = TINY, **files: str) -> Path:
    """The tiny portfolio's files in ``tmp_path`` (``files`` replace some); its path."""
    for name, body in {
        "core.toml": CORE,
        "a.toml": A,
        "b.toml": B,
        "pf.toml": text,
        **files,
    }.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path / "pf.toml"


def test_work_and_capacity_are_the_hand_computed_ones(tmp_path):
    portfolio = rc.load_portfolio(tiny(tmp_path))
    sc, due = build_scenarios(portfolio, 80, 64, 5)
    assert sc.candidates == ("a", "b")
    assert due == {
        "core/done": _d("2027-01-29"),
        "a/done": _d("2027-01-25"),
        "b/done": _d("2027-01-29"),
    }
    # checkpoints at 16 and 20 working days; the team's capacity is 1 unit all along
    assert sc.capacity.tolist() == [[16.0, 20.0]]
    a, b, committed = sc.work[:, 0]
    assert np.all(a[0] == 10) and np.all(a[1] == 10)  # a2, due by day 16
    assert np.all(b[0] == 0) and np.all(b[1] == 10)  # b1, due by day 20
    assert np.all(committed == 0)  # the core task needs no team
    assert sc.on_time.all()  # without the team's limit every milestone is on time
    assert sc.value.tolist() == [100.0, 80.0]  # the means of the value estimates
    assert sc.cost.tolist() == [1000.0, 1000.0]  # 10 days x rate 100, from the plans


def _d(text):
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_the_levelled_check_rejects_what_the_program_cannot_see(tmp_path):
    # a and b fit the team by each due date (10 <= 16, 20 <= 20), but levelled, b holds the
    # team from day 0 while a waits for a1: a2 runs days 10-20 and a misses day 16
    portfolio = rc.load_portfolio(tiny(tmp_path))
    chosen = select(portfolio, seed=3, scenarios=64, iterations=256, runners_up=1)
    assert chosen.best.candidates == ("a",)
    assert chosen.best.confidence == {"core/done": 1.0, "a/done": 1.0}
    assert [c.candidates for c in chosen.rejected] == [("a", "b")]
    assert chosen.rejected[0].confidence["a/done"] == 0.0
    assert chosen.rejected[0].planned["a/done"] == 1.0
    assert [c.candidates for c in chosen.runners_up] == [("b",)]
    assert "levelling" in chosen.reasons["b"] and "a/done reaches 0%" in chosen.reasons["b"]
    assert chosen.reasons["a"].startswith("chosen")


def test_budget_and_needs_give_their_reasons(tmp_path):
    text = TINY.replace("value = 100\n", "value = 100\ncost = 900\n").replace(
        "value = { triangular = [60, 80, 100] }\n",
        'value = { triangular = [60, 80, 100] }\nneeds = ["a"]\n',
    )
    portfolio = rc.load_portfolio(tiny(tmp_path, text))
    chosen = select(portfolio, budget=1500, seed=1, scenarios=32, iterations=128)
    # b needs a, and together they break a's date when levelled: a alone is best
    assert chosen.best.candidates == ("a",)
    chosen = select(portfolio, budget=500, seed=1, scenarios=32, iterations=128)
    assert chosen.best.candidates == ()
    assert chosen.reasons["a"].startswith("over budget: costs 900, 500 left")
    assert chosen.reasons["b"].startswith("over budget: costs 1,900 with a")


def test_a_candidates_own_milestone_below_the_level_keeps_it_out(tmp_path):
    late = A.replace("target = 2027-01-25", "target = 2027-01-12")  # day 7: a takes 15
    portfolio = rc.load_portfolio(tiny(tmp_path, **{"a.toml": late}))
    chosen = select(portfolio, seed=2, scenarios=32, iterations=128)
    assert chosen.best.candidates == ("b",)
    assert chosen.reasons["a"] == (
        "adding it, a/done would be on time in 0% of the scenarios (needs 80%)"
    )
    assert chosen.rejected == []  # the program saw it: nothing to re-simulate


def test_the_check_is_an_out_of_sample_levelled_simulation(tmp_path):
    uncertain = A.replace("estimate = 10", "estimate = { triangular = [6, 9, 14] }")
    portfolio = rc.load_portfolio(tiny(tmp_path, **{"a.toml": uncertain}))
    chosen = select(portfolio, seed=11, scenarios=64, iterations=512, runners_up=0)
    root = np.random.SeedSequence(11)
    scenario_seed, check_seed = (normalise_seed(c) for c in root.spawn(2))
    assert scenario_seed != check_seed
    again = rc.simulate(
        portfolio.with_candidates(chosen.best.candidates).project,
        iterations=512,
        seed=check_seed,
    )
    for id, share in chosen.best.confidence.items():
        assert share == again.milestone(id).probability_by(portfolio_due(portfolio, id))


def portfolio_due(portfolio, id):
    pid, mid = id.split("/")
    plan = portfolio.plans.get(pid) or portfolio.candidates[pid].project
    return next(m.target for m in plan.milestones if m.id == mid)


def test_a_roadmap_constrains_only_its_items(tmp_path):
    # the roadmap lists b's milestone only: a's date no longer binds, a and b both fit
    text = TINY + '\n[roadmap]\nrelease = 2027-03-01\n[[item]]\nmilestone = "b/done"\n'
    portfolio = rc.load_portfolio(tiny(tmp_path, text))
    chosen = select(portfolio, seed=3, scenarios=32, iterations=128)
    assert chosen.best.candidates == ("a", "b")
    assert set(chosen.best.confidence) == {"b/done"}


def test_committed_milestones_already_below_the_level_are_reported(tmp_path):
    late = CORE.replace("target = 2027-01-29", "target = 2027-01-05")  # day 2: c1 takes 3
    portfolio = rc.load_portfolio(tiny(tmp_path, **{"core.toml": late}))
    chosen = select(portfolio, seed=3, scenarios=32, iterations=128)
    assert chosen.below == {"core/done": 0.0}
    assert chosen.best.candidates == ("a",)


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("value = 100\n", 'value = 100\nneeds = ["c"]\n'), 'needs: no candidate "c"'),
        (("value = 100\n", 'value = 100\nneeds = ["core"]\n'), '"core" is committed'),
        (("value = 100\n", 'value = "lots"\n'), 'candidate[0] "a" > value'),
        (("value = 100\n", ""), 'missing required key "value"'),
        (('id = "b"', 'id = "core"'), "a committed project has this id too"),
        (("[[pool]]", "[selection]\nconfidence = 0\n\n[[pool]]"), "selection > confidence"),
        (("[[pool]]", "[selection]\nbudget = -5\n\n[[pool]]"), "selection > budget"),
        (("[[pool]]", "[selection]\nbugdet = 5\n\n[[pool]]"), "bugdet"),
    ],
)
def test_bad_candidates_are_clear_errors(tmp_path, change, message):
    with pytest.raises(ModelError) as caught:
        rc.load_portfolio(tiny(tmp_path, TINY.replace(*change, 1)))
    assert message in str(caught.value)
    assert "pf.toml" in str(caught.value)


def test_a_candidate_without_costs_needs_a_cost(tmp_path):
    free = B.replace("rate = 100\n", "")
    text = TINY.replace("rate = 100\n", "")  # the shared pool gives no rate either
    with pytest.raises(ModelError, match='candidate "b": its plan costs nothing'):
        rc.load_portfolio(tiny(tmp_path, text, **{"b.toml": free, "core.toml": CORE}))
    assert rc.load_portfolio(tiny(tmp_path, **{"b.toml": free}))  # the pool's rate counts


def test_a_committed_project_cannot_wait_for_a_candidate(tmp_path):
    text = TINY + '\n[[link]]\nfrom = "a/done"\nto = "core/c1"\n'
    with pytest.raises(ModelError, match="a committed project cannot depend on a candidate"):
        rc.load_portfolio(tiny(tmp_path, text))


def test_a_link_between_candidates_is_a_need(tmp_path):
    text = TINY + '\n[[link]]\nfrom = "a/done"\nto = "b/b1"\n'
    portfolio = rc.load_portfolio(tiny(tmp_path, text))
    with pytest.raises(ArgumentError, match='candidate "b" needs a: choose it too'):
        portfolio.with_candidates(["b"])
    both = portfolio.with_candidates(["a", "b"])
    assert any(k.predecessor == "a/done" and k.successor == "b/b1" for k in both.links)
    assert "b/b1" in {t.id for t in both.project.tasks}


def test_unknown_roadmap_items_are_clear_errors(tmp_path):
    text = TINY + '\n[roadmap]\n[[item]]\nmilestone = "a/dne"\n[[item]]\nmilestone = "a/dne"\n'
    with pytest.raises(ModelError) as caught:
        rc.load_portfolio(tiny(tmp_path, text))
    assert 'item[0] > milestone: no milestone "a/dne"; did you mean "a/done"?' in str(caught.value)
    assert "item[1] > milestone" in str(caught.value)


def test_select_needs_candidates_and_sane_arguments(tmp_path):
    portfolio = rc.load_portfolio(
        tiny(tmp_path, TINY.split("[[candidate]]")[0] + '[[pool]]\nid = "team"\ncapacity = 1\n')
    )
    with pytest.raises(ArgumentError, match="no candidates"):
        select(portfolio)
    portfolio = rc.load_portfolio(tiny(tmp_path))
    for kwargs in ({"confidence": 0}, {"scenarios": 0}, {"budget": -1.0}, {"runners_up": -1}):
        with pytest.raises(ArgumentError):
            select(portfolio, **kwargs)


# -- the command line -------------------------------------------------------------------------
def test_riskcast_select_prints_writes_and_repeats(tmp_path):
    path = tiny(tmp_path)
    out = tmp_path / "out"
    args = ("select", path, "--seed", "3", "--scenarios", "64", "-n", "256")
    done = riskcast(*args, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "chosen       a" in done.stdout
    assert "runner-up 1  b" in done.stdout
    assert "a/done reaches 0%" in done.stdout
    rows = (out / "selection.csv").read_text().splitlines()
    assert rows[0] == "id,name,value,cost,chosen,why"
    data = json.loads((out / "selection.json").read_text())
    assert data["best"]["candidates"] == ["a"]
    again = riskcast(*args, "--format", "json")
    assert json.loads(again.stdout)["best"] == data["best"]


def test_riskcast_select_refuses_what_it_cannot_choose_from(tmp_path):
    path = tiny(tmp_path)
    plain = riskcast("select", path.parent / "a.toml")
    assert plain.returncode == 2 and "not a portfolio file" in plain.stderr
    bad = riskcast("select", path, "--confidence", "120")
    assert bad.returncode == 2
    none = tmp_path / "none.toml"
    none.write_text(
        TINY.split("[[candidate]]")[0].replace("core.toml", str(path.parent / "core.toml"))
    )
    empty = riskcast("select", none)
    assert empty.returncode == 2 and "no [[candidate]]" in empty.stderr
