"""The cut line of an ordered backlog, against exact joint probabilities."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pytest

import riskcast as rc
from riskcast.roadmap import cut_line

N = 40_000
K_SE = 4.0
START = dt.date(2027, 1, 4)  # a Monday, Mon-Fri calendar
ROOT = Path(__file__).parent.parent


def backlog_plan(chained: bool) -> rc.Project:
    """Three items: a after Uniform(2, 6), b after Uniform(3, 9) (after a when ``chained``),
    c after Triangular(1, 4, 10)."""
    return rc.Project(
        "backlog",
        START,
        tasks=[
            rc.Task("a", rc.Uniform(2, 6)),
            rc.Task("b", rc.Uniform(3, 9), after=["a"] if chained else []),
            rc.Task("c", rc.Triangular(1, 4, 10)),
        ],
        milestones=[
            rc.Milestone("item-a", after=["a"]),
            rc.Milestone("item-b", after=["b"]),
            rc.Milestone("item-c", after=["c"]),
        ],
    )


def test_independent_items_have_the_product_of_their_chances():
    """By the end of Friday 8 January (5 working days): P(a) = 3/4, P(b) = 2/6 and, above the
    triangle's mode, P(c) = 1 - (10 - 5)^2 / ((10 - 1) (10 - 4)) = 1 - 25/54; the items share
    nothing, so the joint chances are the running products."""
    fc = rc.simulate(backlog_plan(chained=False), iterations=N, seed=11)
    line = cut_line(fc, ["item-a", "item-c", "item-b"], "2027-01-08", level=50)
    p = {"item-a": 3 / 4, "item-b": 2 / 6, "item-c": 1 - 25 / 54}
    exact_joint = np.cumprod([p["item-a"], p["item-c"], p["item-b"]])
    for item, joint in zip(line.items, exact_joint, strict=True):
        assert abs(item.probability - p[item.id]) <= K_SE * math.sqrt(
            p[item.id] * (1 - p[item.id]) / N
        )
        assert abs(item.joint - joint) <= K_SE * math.sqrt(joint * (1 - joint) / N)
    assert line.committed == ["item-a"]  # 0.75, then 0.75 x 0.537 = 0.40 < 50 %


def test_joint_confidence_counts_the_same_runs():
    fc = rc.simulate(backlog_plan(chained=True), iterations=5000, seed=3)
    line = cut_line(fc, ["item-a", "item-b"], "2027-01-15", level=80)
    bound = fc.milestone("item-a").to_days("2027-01-15") + 1e-6
    a, b = fc.milestone("item-a").samples, fc.milestone("item-b").samples
    assert line.items[0].joint == np.mean(a <= bound)
    assert line.items[1].joint == np.mean((a <= bound) & (b <= bound))
    # b follows a: whenever b is in, a is too, so the joint is b's own chance
    assert (
        line.items[1].joint
        == line.items[1].probability
        == fc.milestone("item-b").probability_by("2027-01-15")
    )
    assert [i.above for i in line.items] == [
        i.joint >= 0.8 for i in line.items
    ] and line.committed == [i.id for i in line.items if i.above]
    assert line.date == dt.date(2027, 1, 15)


def test_bad_backlogs_are_clear_errors():
    fc = rc.simulate(backlog_plan(chained=False), iterations=1024, seed=1)
    with pytest.raises(rc.ArgumentError, match="empty"):
        cut_line(fc, [], "2027-01-08")
    with pytest.raises(rc.ArgumentError, match="more than once"):
        cut_line(fc, ["item-a", "item-a"], "2027-01-08")
    with pytest.raises(rc.ArgumentError, match='no milestone "item-z"'):
        cut_line(fc, ["item-z"], "2027-01-08")
    with pytest.raises(rc.ArgumentError, match="percentage"):
        cut_line(fc, ["item-a"], "2027-01-08", level=120)
    assert cut_line(fc, ["item-a"], "2027-01-01").items[0].joint == 0  # before the start


def run_cli(*argv: str) -> tuple[int, str, str]:
    import io

    from riskcast import cli

    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cutline") / "backlog.toml"
    path.write_text(
        """[project]
name = "Backlog"
start = 2027-01-04

[[task]]
id = "a"
estimate = { uniform = [2, 6] }

[[task]]
id = "b"
estimate = { uniform = [3, 9] }
after = ["a"]

[[milestone]]
id = "item-a"
after = ["a"]

[[milestone]]
id = "item-b"
after = ["b"]
"""
    )
    return path


def test_the_command_prints_the_apis_numbers(plan_file):
    import json

    args = (plan_file, "--backlog", "item-a,item-b", "--date", "2027-01-15", "-n", 4096)
    code, out, _ = run_cli("cutline", *args, "--seed", 5, "--format", "json")
    assert code == 0
    data = json.loads(out)
    fc = rc.simulate(rc.load(plan_file), iterations=4096, seed=5)
    line = cut_line(fc, ["item-a", "item-b"], "2027-01-15", level=85)
    assert [i["joint"] for i in data["items"]] == [i.joint for i in line.items]
    assert data["committed"] == line.committed
    code, table, _ = run_cli("cutline", *args, "--seed", 5)
    assert code == 0 and "cut line at 85%" in table


@pytest.mark.parametrize(
    ("backlog", "message"),
    [
        ("item-a,item-zz", 'no milestone "item-zz"'),
        ("item-a,item-a", "more than once"),
        (",", "names no milestone"),
    ],
)
def test_the_command_refuses_bad_backlogs(plan_file, backlog, message):
    code, _, err = run_cli("cutline", plan_file, "--backlog", backlog, "--date", "2027-01-15")
    assert code == 2 and message in err


def test_groups_by_project_and_by_quarter():
    from riskcast.roadmap import by_project, by_quarter

    line = rc.load(ROOT / "models" / "portfolio" / "portfolio.toml")
    fc = rc.simulate(line, iterations=1024, seed=2)
    groups = by_project(fc)
    assert list(groups) == ["api", "data", "billing", "app", "web"]
    assert [id for ids in groups.values() for id in ids] == [m.id for m in fc.milestones]
    quarters = by_quarter(fc)
    for label, ids in quarters.items():
        year, quarter = label.split(" Q")
        for id in ids:
            target = fc.milestone(id).target
            assert (target.year, (target.month - 1) // 3 + 1) == (int(year), int(quarter))
    single = rc.simulate(backlog_plan(chained=False), iterations=1024, seed=1)
    assert by_project(single) == {"backlog": ["item-a", "item-b", "item-c"]}


def test_the_roadmap_draws_a_bold_heading_above_each_group():
    import matplotlib

    matplotlib.use("Agg")
    from riskcast import plotting

    fc = rc.simulate(backlog_plan(chained=False), iterations=1024, seed=1)
    groups = {"Now": ["item-a"], "Later": ["item-b", "item-c"]}
    ax = plotting.roadmap(fc, groups=groups)
    labels = [(t.get_text(), t.get_fontweight()) for t in ax.get_yticklabels()][::-1]
    assert labels == [
        ("Now", "bold"),
        ("item-a", "normal"),
        ("Later", "bold"),
        ("item-b", "normal"),
        ("item-c", "normal"),
    ]
    assert {a.get_gid() for a in ax.patches} >= {"range-item-a", "range-item-b", "range-item-c"}
    assert any(line.get_gid() == "group-Later" for line in ax.lines)
    with pytest.raises(rc.ArgumentError, match="not both"):
        plotting.roadmap(fc, ["item-a"], groups=groups)
    ax.figure.clf()


# -- the roadmap of a portfolio file --------------------------------------------------------------
ROADMAP_PROJECT = """\
[project]
name = "{name}"
start = 2027-01-04

[[task]]
id = "build"
estimate = {{ uniform = [{low}, {high}] }}

[[milestone]]
id = "done"
name = "{name} done"
after = ["build"]
{target}
"""


@pytest.fixture
def roadmap_file(tmp_path):
    files = {
        "a.toml": ROADMAP_PROJECT.format(name="Alpha", low=2, high=6, target=""),
        "b.toml": ROADMAP_PROJECT.format(name="Beta", low=3, high=9, target="target = 2027-01-13"),
        "c.toml": ROADMAP_PROJECT.format(name="Gamma", low=1, high=2, target=""),
        "portfolio.toml": """\
[portfolio]
name = "Line"

[[project]]
id = "a"
model = "a.toml"

[[project]]
id = "b"
model = "b.toml"

[[candidate]]
id = "c"
model = "c.toml"
value = 5
cost = 1

[roadmap]
release = 2027-01-11
confidence = 70

[[item]]
milestone = "b/done"
product = "Second"
name = "Beta feature"

[[item]]
milestone = "c/done"
product = "Bets"

[[item]]
milestone = "a/done"
""",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path / "portfolio.toml"


def test_a_portfolio_files_roadmap_is_read(roadmap_file):
    from riskcast.roadmap import Roadmap, RoadmapItem

    line = rc.load_portfolio(roadmap_file)
    assert line.roadmap == Roadmap(
        (
            RoadmapItem("b/done", "Beta feature", "Second"),
            RoadmapItem("c/done", "", "Bets"),
            RoadmapItem("a/done", "", ""),
        ),
        dt.date(2027, 1, 11),
        70.0,
    )
    assert line.roadmap.backlog == ["b/done", "c/done", "a/done"]
    assert line.roadmap.names == {"b/done": "Beta feature"}
    assert line.roadmap.due(line.roadmap.items[0], dt.date(2027, 1, 13)) == dt.date(2027, 1, 13)
    assert line.roadmap.due(line.roadmap.items[2], None) == dt.date(2027, 1, 11)


def test_the_portfolio_cut_line_is_the_roadmaps(roadmap_file):
    from riskcast import portfolio as pf

    line = rc.load_portfolio(roadmap_file)
    forecast = pf.simulate(line, iterations=4096, seed=3)
    got = forecast.cut_line()
    # the candidate's item is not in the portfolio until chosen
    expected = cut_line(forecast.forecast, ["b/done", "a/done"], "2027-01-11", 70)
    assert [(i.id, i.probability, i.joint, i.above) for i in got.items] == [
        (i.id, i.probability, i.joint, i.above) for i in expected.items
    ]
    assert [i.name for i in got.items] == ["Beta feature", "Alpha done"]
    assert forecast.cut_line(date="2027-01-20", level=50).date == dt.date(2027, 1, 20)
    assert forecast.roadmap_groups() == {"Second": ["b/done"], "a": ["a/done"]}
    chosen = pf.simulate(line.with_candidates(["c"]), iterations=1024, seed=3)
    assert chosen.roadmap_groups() == {"Second": ["b/done"], "Bets": ["c/done"], "a": ["a/done"]}


def test_the_cutline_command_takes_the_roadmaps_defaults(roadmap_file):
    import json

    args = ("cutline", roadmap_file, "-n", "4096", "--seed", "3", "--format", "json")
    code, out, err = run_cli(*args)
    assert code == 0, err
    data = json.loads(out)
    assert data["date"] == "2027-01-11" and data["confidence"] == 70.0
    assert [i["id"] for i in data["items"]] == ["b/done", "a/done"]
    assert data["items"][0]["name"] == "Beta feature"
    code, table, err = run_cli(*args[:-2])
    assert "1  Beta feature" in table
    assert "1 roadmap item(s) of candidate projects left out" in err and "c/done" in err
    code, out, _ = run_cli(*args, "-c", "90")
    assert json.loads(out)["confidence"] == 90.0


def test_without_a_roadmap_the_cutline_command_needs_backlog_and_date(plan_file):
    code, _, err = run_cli("cutline", plan_file, "--backlog", "item-a")
    assert code == 2
    assert "give --date" in err and "has no [roadmap]" in err


def test_bad_roadmaps_are_clear_errors(roadmap_file):
    text = roadmap_file.read_text()
    for change, message in (
        (('milestone = "a/done"', 'milestone = "a/dome"'), 'no milestone "a/dome"'),
        (('milestone = "a/done"', 'milestone = "b/done"'), "give each item its own milestone"),
        (("confidence = 70", "confidence = 170"), "roadmap > confidence"),
        (("release = 2027-01-11", 'release = "soon"'), "roadmap > release"),
        (('product = "Bets"', "product = 3"), "item[1] > product"),
    ):
        roadmap_file.write_text(text.replace(*change))
        with pytest.raises(rc.ModelError, match=re.escape(message)):
            rc.load_portfolio(roadmap_file)
    roadmap_file.write_text(text.split("[[item]]")[0])
    with pytest.raises(rc.ModelError, match=r"\[roadmap\] has no \[\[item\]\]"):
        rc.load_portfolio(roadmap_file)


def test_run_groups_a_portfolios_roadmap_chart_by_product(roadmap_file, plan_file):
    from riskcast import portfolio as pf
    from riskcast.cli.run import _portfolio_groups, _shown_groups

    forecast = pf.simulate(rc.load_portfolio(roadmap_file), iterations=1024, seed=1).forecast
    groups = _portfolio_groups(str(roadmap_file), forecast)
    assert groups == {"Second": ["b/done"], "a": ["a/done"]}
    assert _shown_groups(groups, ["a/done"]) == {"a": ["a/done"]}
    assert _shown_groups({"Second": ["b/done"]}, ["a/done", "b/done"]) == {
        "Second": ["b/done"],
        "Other milestones": ["a/done"],
    }
    assert _shown_groups(None, ["a/done"]) is None
    assert _portfolio_groups(str(plan_file), forecast) is None  # a plain model: no headings
