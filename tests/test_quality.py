"""Schedule-quality warnings: each check fires on the plan it is about and stays quiet otherwise."""

from __future__ import annotations

import itertools
from pathlib import Path

import riskcast as rc
from riskcast.model import Link, Milestone, Project, Task
from riskcast.quality import LONG_TASK_DAYS, ScheduleWarning, schedule_warnings

ROOT = Path(__file__).parent.parent
PERT = {"pert": [2, 3, 6]}


def project(tasks, milestones=None) -> Project:
    if milestones is None:
        milestones = [Milestone("done", after=[tasks[-1].id], target="2027-03-01")]
    p = Project("t", "2027-01-04", tasks, milestones)
    rc.validate(p)
    return p


def codes(p: Project) -> list[tuple[str, str]]:
    return [(w.code, w.place) for w in schedule_warnings(p)]


def test_a_clean_chain_has_no_warnings():
    p = project([Task("a", PERT), Task("b", PERT, after=["a"]), Task("c", PERT, after=["b"])])
    assert schedule_warnings(p) == []


def test_open_start_and_open_end():
    p = project(
        [
            Task("a", PERT),
            Task("b", PERT),
            Task("c", PERT, after=["a", "b"]),
            Task("loose", PERT, after=["a"]),
        ],
        [Milestone("done", after=["c"], target="2027-03-01")],
    )
    found = codes(p)
    assert ("open-start", 'task "a"') in found and ("open-start", 'task "b"') in found
    assert ("open-end", 'task "loose"') in found
    assert not [c for c in found if c[1] == 'task "c"']


def test_single_start_and_not_before_are_fine():
    p = project(
        [
            Task("a", PERT),
            Task("b", PERT, not_before="2027-02-01"),
            Task("c", PERT, after=["a", "b"]),
        ]
    )
    assert [c for c, _ in codes(p)] == []


def test_dangling_start_and_finish():
    p = project(
        [
            Task("a", PERT),
            Task("b", PERT, after=[Link("a", "FF", 1)]),
            Task("c", PERT, after=[Link("b", "SS", 2)]),
            Task("d", PERT, after=["c", Link("b", "SS")]),
        ]
    )
    found = codes(p)
    assert ("dangling-start", 'task "b"') in found
    assert ("dangling-finish", 'task "b"') in found


def test_negative_lag_long_task_zero_spread_and_no_target():
    p = project(
        [
            Task("a", PERT),
            Task("b", {"triangular": [40, 50, 70]}, after=[Link("a", "FS", -2)]),
            Task("c", 5, after=["b"]),
            Task("marker", 0, after=["c"]),
        ],
        [Milestone("done", after=["marker"])],
    )
    found = codes(p)
    assert ("negative-lag", 'task "b" > after[0]') in found
    assert ("long-task", 'task "b"') in found and 50 > LONG_TASK_DAYS
    assert ("zero-spread", 'task "c"') in found
    assert ("zero-spread", 'task "marker"') not in found  # a zero-length marker is fine
    assert ("no-target", 'milestone "done"') in found


def test_redundant_link_uses_the_transitive_reduction():
    p = project(
        [
            Task("a", PERT),
            Task("b", PERT, after=["a"]),
            Task("c", PERT, after=["b", "a"]),
            Task("d", PERT, after=["c", Link("a", "FS", 3)]),  # a lag is information: not redundant
        ]
    )
    found = schedule_warnings(p)
    redundant = [w for w in found if w.code == "redundant-link"]
    assert [(w.place) for w in redundant] == ['task "c" > after[1]']
    assert '"a" -> "b" -> "c"' in redundant[0].message


def test_ss_links_do_not_make_fs_links_redundant():
    p = project(
        [
            Task("a", PERT),
            Task("b", PERT, after=[Link("a", "SS")]),
            Task("c", PERT, after=["b", "a"]),
        ]
    )
    assert not [w for w in schedule_warnings(p) if w.code == "redundant-link"]


def test_warning_text_and_order():
    w = ScheduleWarning("no-target", 'milestone "m"', "no target date")
    assert str(w) == 'milestone "m": no target date [no-target]'
    found = schedule_warnings(rc.load(ROOT / "models" / "checkout-redesign.toml"))
    assert [x.code for x in found] == ["dangling-start", "negative-lag"]


def _redundant_by_transitive_reduction(p: Project) -> set[str]:
    """The redundant FS links by networkx's transitive reduction (an independent oracle)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(a.id for a in p.activities)
    for item in p.activities:
        for link in item.after:
            if link.type == "FS" and link.lag >= 0:
                graph.add_edge(link.predecessor, item.id)
    reduced = nx.transitive_reduction(graph)
    return {
        f'{"milestone" if isinstance(item, Milestone) else "task"} "{item.id}" > after[{k}]'
        for item in p.activities
        for k, link in enumerate(item.after)
        if link.type == "FS" and link.lag == 0 and not reduced.has_edge(link.predecessor, item.id)
    }


def test_redundant_links_are_those_the_transitive_reduction_drops():
    from .dags import random_project

    found_any = False
    for seed in range(40):
        p = random_project(seed, n_tasks=25)
        warnings = [w for w in schedule_warnings(p) if w.code == "redundant-link"]
        assert {w.place for w in warnings} == _redundant_by_transitive_reduction(p), seed
        for w in warnings:  # the named path is a real chain of FS links
            ids = [part for part in w.message.split('"')[1::2]]
            u, path = ids[0], ids[1:]
            assert path[0] == u and len(path) >= 3
            for a, b in itertools.pairwise(path):
                assert any(
                    link.predecessor == a and link.type == "FS" and link.lag >= 0
                    for link in next(x for x in p.activities if x.id == b).after
                )
        found_any = found_any or bool(warnings)
    assert found_any
