"""A slow, obviously correct reference simulator (plain Python + networkx).

It reads the Project (not the compiled arrays), schedules each run with a textbook forward pass,
and finds critical activities with a textbook backward pass (total float = late start - early
start). Durations come from the same uniforms as the kernel (the numpy twin of the generator) and
the kernel's own inverse CDF, so results must agree to round-off; distributions are checked
against scipy separately.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from riskcast.compile import compile_project
from riskcast.engine.rng import stream_keys, uniforms
from riskcast.engine.sampling import quantile
from riskcast.model import Project

TOLERANCE = 1e-9


def durations(project: Project, seed: int, iterations: int) -> dict[str, np.ndarray]:
    net = compile_project(project)
    streams = stream_keys(net.keys, seed)
    out = {}
    for j, id in enumerate(net.ids):
        u = uniforms(streams[j], np.arange(iterations))
        out[id] = np.array(
            [quantile(net.dist_code[j], net.dist_params[j], net.aux, net.table, x) for x in u]
        )
    return out


def graph(project: Project) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(a.id for a in project.activities)
    for a in project.activities:
        for link in a.after:
            g.add_edge(link.predecessor, a.id, type=link.type, lag=float(link.lag))
    return g


def forward(g, order, d, not_before):
    es, ef = {}, {}
    for v in order:
        s = max(0.0, not_before.get(v, 0.0))
        for p, _, e in g.in_edges(v, data=True):
            if e["type"] == "FS":
                s = max(s, ef[p] + e["lag"])
            elif e["type"] == "SS":
                s = max(s, es[p] + e["lag"])
            elif e["type"] == "FF":
                s = max(s, ef[p] + e["lag"] - d[v])
            else:  # SF
                s = max(s, es[p] + e["lag"] - d[v])
        es[v], ef[v] = s, s + d[v]
    return es, ef


def critical(g, order, d, es, ef, late_finish: dict[str, float]) -> set[str]:
    """Activities with zero total float, given the late finish bound of the target(s)."""
    ls = {v: late_finish.get(v, math.inf) - d[v] for v in order}
    for v in reversed(order):
        for _, s, e in g.out_edges(v, data=True):
            if ls[s] == math.inf:
                continue
            lag, kind = e["lag"], e["type"]
            if kind == "FS":
                bound = ls[s] - lag - d[v]
            elif kind == "SS":
                bound = ls[s] - lag
            elif kind == "FF":
                bound = ls[s] + d[s] - lag - d[v]
            else:  # SF
                bound = ls[s] + d[s] - lag
            ls[v] = min(ls[v], bound)
    return {v for v in order if ls[v] - es[v] <= TOLERANCE}


def simulate(project: Project, seed: int, iterations: int):
    """Returns (finishes (M + 1, iterations), critical counts {target: {id: count}})."""
    g = graph(project)
    order = list(nx.topological_sort(g))
    draws = durations(project, seed, iterations)
    cal, start = project.calendar, project.start
    not_before = {
        t.id: float(cal.days_until_start_of(start, t.not_before))
        for t in project.tasks
        if t.not_before is not None
    }
    targets = [m.id for m in project.milestones] + ["finish"]
    finishes = np.zeros((len(targets), iterations))
    counts = {t: dict.fromkeys(order, 0) for t in targets}
    for i in range(iterations):
        d = {v: float(draws[v][i]) for v in order}
        es, ef = forward(g, order, d, not_before)
        project_finish = max(ef.values())
        for k, target in enumerate(targets):
            if target == "finish":
                finishes[k, i] = project_finish
                bound = dict.fromkeys(order, project_finish)
            else:
                finishes[k, i] = ef[target]
                bound = {target: ef[target]}
            for v in critical(g, order, d, es, ef, bound):
                counts[target][v] += 1
    return finishes, counts
