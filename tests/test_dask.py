"""Simulations on a Dask cluster (``executor=``, ``--dask``) give the in-process result bit for bit,
survive a lost worker, ship the network once per worker and fail clearly.

One small local cluster (two single-thread worker processes) serves the whole module.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import riskcast as rc  # noqa: E402
from riskcast.cli import main  # noqa: E402
from riskcast.compile import compile_project  # noqa: E402
from riskcast.drivers import compare_mitigation, risk_drivers  # noqa: E402
from riskcast.engine import binning  # noqa: E402
from riskcast.engine import distributed as engine_distributed  # noqa: E402
from riskcast.engine.blocks import KernelNetwork  # noqa: E402
from riskcast.engine.distributed import Cluster, parse_spec  # noqa: E402
from riskcast.engine.kernels import CHUNK  # noqa: E402
from riskcast.engine.run import Runs, Simulation, run  # noqa: E402
from riskcast.errors import ArgumentError  # noqa: E402
from riskcast.resources import levelled  # noqa: E402
from riskcast.simulate import FIRST_CHECK, precision_rule  # noqa: E402

MODELS = Path(__file__).parent.parent / "models"
PLAIN = MODELS / "checkout-risks.toml"  # risks, correlation, several milestones
PORTFOLIO = MODELS / "portfolio" / "portfolio.toml"  # limited pools (levelling) and costs


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env={"NUMBA_NUM_THREADS": "1"},
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def network(path: Path) -> object:
    return levelled(compile_project(rc.load(path)), "parallel", "lft")


def assert_same_runs(a: Runs, b: Runs) -> None:
    """Every field of two Runs equal bit for bit (the kept runs up to ``kept``)."""
    assert (a.seed, a.iterations, a.kept) == (b.seed, b.iterations, b.kept)
    for field in dataclasses.fields(Runs):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if field.name in ("kept_duration", "kept_finish", "kept_start"):
            x, y = a.kept_rows(x), b.kept_rows(y)
        if field.name == "kept_cost" and x is not None:
            x, y = x[:, : a.kept], y[:, : b.kept]
        if field.name == "binned":
            assert (x is None) == (y is None)
            for p, q in zip(x or [], y or [], strict=True):
                for f in dataclasses.fields(p):
                    assert np.array_equal(getattr(p, f.name), getattr(q, f.name)), f.name
        elif isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert x is not None and y is not None, field.name
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), field.name
        else:
            assert x == y, field.name


@pytest.mark.parametrize(
    ("path", "seed", "iterations", "block"),
    [
        (PLAIN, 1, 6000, 1024),  # several blocks, a short last one
        (PLAIN, 2**62 + 3, 5000, 4096),
        (PLAIN, 7, 3000, 100_000),  # one block
        (PORTFOLIO, 5, 5000, 2048),  # levelling and costs
    ],
)
def test_cluster_gives_the_in_process_runs_bit_for_bit(client, path, seed, iterations, block):
    net = network(path)
    local = run(net, seed, iterations, batch=3 * CHUNK)
    for full in (True, False):
        remote = run(net, seed, iterations, full=full, executor=client, block=block)
        assert_same_runs(local if full else run(net, seed, iterations, full=False), remote)


def test_precision_mode_stops_at_the_same_run_count(client):
    net = network(PLAIN)
    rule = precision_rule(0.25, 80.0, 0.95, 40 * CHUNK)
    local = run(net, 3, 40 * CHUNK, rule=rule, first_check=FIRST_CHECK)
    remote = run(
        net, 3, 40 * CHUNK, rule=rule, first_check=FIRST_CHECK, executor=client, block=3 * CHUNK
    )
    assert FIRST_CHECK < local.iterations  # more than one check: several cluster rounds
    assert_same_runs(local, remote)


def test_binned_runs_past_exact_runs_are_identical(client, monkeypatch):
    # binning happens where the blocks are merged: in this process
    monkeypatch.setattr(binning, "EXACT_RUNS", 2 * CHUNK)
    net = network(PLAIN)
    local = run(net, 11, 6 * CHUNK + 5)
    remote = run(net, 11, 6 * CHUNK + 5, executor=client, block=CHUNK)
    assert local.binned is not None
    assert_same_runs(local, remote)


def test_simulate_and_portfolio_forecasts_are_identical(client):
    project = rc.load(PORTFOLIO)
    local = rc.simulate(project, iterations=3000, seed=4)
    remote = rc.simulate(project, iterations=3000, seed=4, executor=client, block=1024)
    assert local.unlevelled is not None  # the unlevelled rerun went to the cluster too
    assert remote.to_json() == local.to_json()
    assert remote.unlevelled.to_json() == local.unlevelled.to_json()
    portfolio = rc.load_portfolio(PORTFOLIO)
    a = rc.portfolio.simulate(portfolio, iterations=2000, seed=1)
    b = rc.portfolio.simulate(portfolio, iterations=2000, seed=1, executor=client)
    assert b.forecast.to_json() == a.forecast.to_json()


def test_precision_through_simulate(client):
    project = rc.load(PLAIN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        local = rc.simulate(project, precision=0.3, max_iterations=30 * CHUNK, seed=8)
        remote = rc.simulate(
            project, precision=0.3, max_iterations=30 * CHUNK, seed=8, executor=client
        )
    assert remote.iterations == local.iterations
    assert remote.to_json() == local.to_json()


def test_scenario_sweeps_on_the_cluster_are_identical(client):
    project = rc.load(PLAIN)
    local = risk_drivers(project, iterations=3000, seed=6)
    remote = risk_drivers(project, iterations=3000, seed=6, executor=client, block=CHUNK)
    assert remote.drivers == local.drivers
    assert remote.forecast.to_json() == local.forecast.to_json()
    local = compare_mitigation(project, iterations=3000, seed=6)
    remote = compare_mitigation(project, iterations=3000, seed=6, executor=client, block=CHUNK)
    assert remote.rows == local.rows
    assert remote.post.to_json() == local.post.to_json()


def test_progress_is_reported_as_blocks_complete(client):
    seen: list[tuple[int, int]] = []
    run(
        network(PLAIN),
        1,
        5 * CHUNK + 1,
        executor=client,
        block=CHUNK,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert [total for _, total in seen] == [5 * CHUNK + 1] * 6  # one report per block
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1][0] == 5 * CHUNK + 1


def _block_keys(dask_scheduler) -> list[str]:
    return [str(k) for k in dask_scheduler.tasks if "riskcast-block" in str(k)]


def _block_dependencies(dask_scheduler) -> dict[str, list[str]]:
    return {
        str(k): [str(d.key) for d in ts.dependencies]
        for k, ts in dask_scheduler.tasks.items()
        if "riskcast-block" in str(k)
    }


def _wait_for_no_blocks(client, seconds: float = 10.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := client.run_on_scheduler(_block_keys)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_a_worker_killed_mid_run_changes_nothing(client):
    net = network(PLAIN)
    local = run(net, 21, 40 * CHUNK)
    pids = client.run(os.getpid)  # worker address -> process id
    killed = []

    def kill_one_worker(done: int, total: int) -> None:
        if not killed:  # after the first completed block, one worker process dies at once
            killed.append(next(iter(pids.values())))
            os.kill(killed[0], signal.SIGKILL)

    remote = run(net, 21, 40 * CHUNK, executor=client, block=CHUNK, progress=kill_one_worker)
    assert killed
    assert_same_runs(local, remote)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the next tests
    assert killed[0] not in client.run(os.getpid).values()


def test_an_interrupted_run_cancels_its_blocks(client):
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(network(PLAIN), 2, 200 * CHUNK, executor=client, block=CHUNK, progress=interrupt)
    assert _wait_for_no_blocks(client) == []


class CountedNetwork(KernelNetwork):
    """Counts its unpicklings in each process (on ``sys``, which every process has)."""

    def __setstate__(self, state: dict) -> None:
        sys.riskcast_network_loads = getattr(sys, "riskcast_network_loads", 0) + 1
        self.__dict__.update(state)


def _loads() -> int:
    return getattr(sys, "riskcast_network_loads", 0)


def test_the_network_ships_once_per_worker_not_once_per_block(client):
    view = KernelNetwork.of(network(PLAIN))
    counted = CountedNetwork(view.arrays, view.costs)
    before = client.run(_loads)
    cluster = Cluster(client, CHUNK)
    blocks = 24
    started = cluster.start(counted, 5, blocks * CHUNK)
    # every block's task names the scattered network by its key, not a copy of it
    scattered = cluster.network(counted).key
    deadline = time.monotonic() + 10  # submissions reach the scheduler asynchronously
    while len(deps := client.run_on_scheduler(_block_dependencies)) < blocks:
        assert time.monotonic() < deadline, deps
        time.sleep(0.02)
    assert deps and all(d == [str(scattered)] for d in deps.values())
    remote = started.runs()
    assert_same_runs(run(counted, 5, blocks * CHUNK), remote)
    loads = {w: n - before.get(w, 0) for w, n in client.run(_loads).items()}
    assert all(n <= 1 for n in loads.values()), loads  # 24 blocks, one copy per worker
    assert sum(loads.values()) >= 1


def test_block_keys_are_deterministic(client):
    net = network(PLAIN)
    sim_a, sim_b = Simulation(net, 9, 4 * CHUNK), Simulation(net, 9, 4 * CHUNK)
    cluster = Cluster(client, CHUNK)
    a, b = cluster.submit(sim_a, 4 * CHUNK), cluster.submit(sim_b, 4 * CHUNK)
    assert [f.key for f in a.values()] == [f.key for f in b.values()]
    other = cluster.submit(Simulation(net, 10, 4 * CHUNK), 4 * CHUNK)
    assert not {f.key for f in a.values()} & {f.key for f in other.values()}
    client.cancel([*a.values(), *other.values()])


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "spec", ["local", "local:0", "local:x", "bogus", "http://host:1", "tcp://host", "host:port"]
)
def test_bad_specs_are_refused(spec):
    with pytest.raises(ArgumentError, match="--dask"):
        parse_spec(spec)


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("local:4", ("local", 4)),
        ("tcp://scheduler:8786", ("address", "tcp://scheduler:8786")),
        ("10.0.0.5:8786", ("address", "10.0.0.5:8786")),
    ],
)
def test_good_specs(spec, parsed):
    assert parse_spec(spec) == parsed


def test_an_executor_that_is_no_client_is_refused():
    with pytest.raises(ArgumentError, match=r"distributed\.Client"):
        rc.simulate(rc.load(PLAIN), iterations=100, seed=1, executor=object())


@pytest.mark.parametrize("block", [0, -5, 1.5, True])
def test_a_bad_block_is_refused(client, block):
    with pytest.raises(ArgumentError, match="block"):
        rc.simulate(rc.load(PLAIN), iterations=100, seed=1, executor=client, block=block)


def test_without_distributed_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(ArgumentError, match=r"pip install 'riskcast\[dask\]'"):
        rc.simulate(rc.load(PLAIN), iterations=100, seed=1, executor=object())
    err = tmp_path / "err"
    with err.open("w") as stderr, (tmp_path / "out").open("w") as stdout:
        code = main(
            ["run", str(PLAIN), "-n", "100", "--no-history", "--dask", "local:1"],
            stdout=stdout,
            stderr=stderr,
        )
    assert code == 2
    assert "pip install 'riskcast[dask]'" in err.read_text()


def _cli(tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        code = main(list(argv), stdout=stdout, stderr=stderr)
    return code, out.read_text(), err.read_text()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("local:none", "local takes a number of worker processes"),
        ("ftp://x:1", "expected local:N"),
        ("tcp://127.0.0.1:9", "could not reach the Dask scheduler"),
    ],
)
def test_cli_bad_or_unreachable_dask_exits_2(tmp_path, monkeypatch, spec, message):
    monkeypatch.setattr(engine_distributed, "CONNECT_TIMEOUT", 1.0)
    code, _, err = _cli(tmp_path, "run", str(PLAIN), "-n", "100", "--no-history", "--dask", spec)
    assert code == 2, err
    assert message in err and "Traceback" not in err


def test_cli_on_a_scheduler_writes_the_same_files(client, tmp_path):
    address = client.scheduler.address
    common = ["run", str(PLAIN), "-n", "3000", "--seed", "3", "--no-history", "--no-charts"]
    code, here, _ = _cli(tmp_path, *common, "-o", str(tmp_path / "a"), "-q")
    assert code == 0
    code, there, err = _cli(tmp_path, *common, "-o", str(tmp_path / "b"), "-q", "--dask", address)
    assert code == 0, err
    assert there == here
    for name in ("forecast.json", "milestones.csv", "tasks.csv"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()
    for command in ("drivers", "mitigation"):
        argv = [command, str(PLAIN), "-n", "2000", "--seed", "3", "--format", "json", "-q"]
        code, alone, _ = _cli(tmp_path, *argv)
        code_d, spread, err = _cli(tmp_path, *argv, "--dask", address)
        assert code == code_d == 0, err
        assert spread == alone


def test_cli_interrupted_on_a_cluster_writes_nothing(client, tmp_path, monkeypatch):
    absorb = Simulation.absorb

    def interrupted(self, block):
        if block.first > 0:  # Ctrl-C once the first block is in
            raise KeyboardInterrupt
        absorb(self, block)

    monkeypatch.setattr(Simulation, "absorb", interrupted)
    out = tmp_path / "out"
    code, _, err = _cli(
        tmp_path,
        "run",
        str(PLAIN),
        "-n",
        str(4 * engine_distributed.DEFAULT_BLOCK),
        "--seed",
        "1",
        "--no-history",
        "-o",
        str(out),
        "--dask",
        client.scheduler.address,
    )
    assert code == 130, err
    assert not out.exists() or not any(out.iterdir())
    assert _wait_for_no_blocks(client) == []


def test_a_selection_on_the_cluster_is_the_same(client):
    from riskcast.selection import select

    line = rc.load_portfolio(PORTFOLIO)
    kwargs = {"seed": 3, "scenarios": 64, "iterations": 1024, "runners_up": 1}
    here, there = select(line, **kwargs), select(line, executor=client, **kwargs)
    assert there.to_dict() | {"seconds": 0} == here.to_dict() | {"seconds": 0}
