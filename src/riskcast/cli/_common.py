"""What several subcommands share: option types and options, loading the model and checking the
ids a command names against it, seeding and simulating."""

from __future__ import annotations

import argparse
import contextlib
import secrets
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ._errors import EXIT_CODES, CliError
from ._output import ProgressBar, Streams, feedback, isatty

DEFAULT_ITERATIONS = 10_000

MITIGATED_HELP = (
    "risk scenario: pre (risks as they are), post (every mitigation applied) or the risk ids "
    "whose mitigation is applied, separated by commas"
)


# -- options --------------------------------------------------------------------------------------
def add_command(
    sub: Any, name: str, act: Callable[[argparse.Namespace, Streams], int], **texts: str
) -> argparse.ArgumentParser:
    """A subcommand (``help=``, ``description=``) whose help ends with the exit codes;
    ``act(args, streams)`` runs it."""
    p = sub.add_parser(
        name, epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter, **texts
    )
    p.set_defaults(act=act)
    add_debug(p)
    return p


def add_debug(p: argparse.ArgumentParser, default: Any = argparse.SUPPRESS) -> None:
    """``--debug``, a global option also accepted after the subcommand (whose parser must not
    reset it: ``default`` SUPPRESS there)."""
    p.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="on an internal error (exit 70), print the full traceback",
    )


def add_iterations(p: Any, runs: str = "simulated runs") -> None:
    """``--iterations``; ``p`` is a parser or an argument group."""
    p.add_argument(
        "--iterations",
        "-n",
        type=positive_int,
        metavar="N",
        help=f"number of {runs} (default {DEFAULT_ITERATIONS:,})",
    )


def add_milestone(p: argparse.ArgumentParser, help: str) -> None:
    """``--milestone``: one id, the project finish by default (checked by :func:`check_milestone`)."""
    p.add_argument("--milestone", "-m", default="finish", metavar="ID", help=help)


def add_seed(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--seed", type=_seed, metavar="S", help=help)


def add_threads(
    p: argparse.ArgumentParser,
    help: str = "worker threads (default: all cores; results do not depend on it)",
) -> None:
    p.add_argument("--threads", type=positive_int, metavar="N", help=help)


def add_dask(p: argparse.ArgumentParser) -> None:
    """``--dask``: run the simulations on a Dask cluster (opened by :func:`dask_executor`)."""
    p.add_argument(
        "--dask",
        metavar="SPEC",
        help="run the simulations on a Dask cluster: local:N starts N worker processes on this "
        "machine (stopped at the end), an address such as tcp://scheduler:8786 uses a running "
        "scheduler; results are identical to a run without it (needs pip install "
        "'riskcast[dask]')",
    )


@contextlib.contextmanager
def dask_executor(args: argparse.Namespace) -> Iterator[Any]:
    """The ``distributed.Client`` of ``--dask`` (None without it), closed on exit, a local
    cluster stopped. A bad spec, a missing package or an unreachable scheduler is a
    :class:`~riskcast.errors.RiskcastError` (exit 2, one message)."""
    spec = getattr(args, "dask", None)
    if spec is None:
        yield None
        return
    from ..engine.distributed import open_client

    with open_client(spec) as client:
        yield client


def add_mitigated(
    p: argparse.ArgumentParser,
    default: str = "pre",
    help: str = MITIGATED_HELP + " (default pre)",
) -> None:
    """``--mitigated``, checked against the model by :func:`check_mitigation`."""
    metavar = "post|ID,..." if default == "post" else "pre|post|ID,..."
    p.add_argument("--mitigated", type=_scenario, default=default, metavar=metavar, help=help)


def add_levelling(p: argparse.ArgumentParser) -> None:
    """``--scheme`` and ``--priority``: how tasks competing for limited pools are levelled."""
    from ..resources import PRIORITY_RULES, SCHEMES

    p.add_argument(
        "--scheme",
        choices=(*SCHEMES, "none"),
        default="parallel",
        help="resource levelling in every run, for pools with a capacity: the parallel "
        "(non-delay) or serial schedule generation scheme, or none (default parallel)",
    )
    p.add_argument(
        "--priority",
        choices=PRIORITY_RULES,
        default="lft",
        help="the order of tasks competing for a pool, after their own priority "
        "(default lft: the task with the earliest late finish first)",
    )


def add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="what to print on stdout (default table)",
    )


def _number(text: str, convert: Callable[[str], Any], expected: str) -> Any:
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    value = _number(text, int, "a non-negative integer")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float, "a number")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def confidence(text: str) -> float:
    """A percentile, strictly between 0 and 100."""
    value = positive_float(text)
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"must be a percentile between 0 and 100, got {text}")
    return value


def _scenario(text: str) -> str:
    """``--mitigated``: pre, post or risk ids separated by commas."""
    value = text.strip()
    if not value or not any(part.strip() for part in value.split(",")):
        raise argparse.ArgumentTypeError("expected pre, post or risk ids separated by commas")
    return value


# -- the model ------------------------------------------------------------------------------------
def load(path: str) -> Any:
    """A model file or a schedule from another tool (see :func:`riskcast.load`)."""
    import riskcast

    return riskcast.load(Path(path))


def check_milestones(project: Any, wanted: Sequence[str] | None) -> list[str] | None:
    """``wanted`` without repeats, each a milestone of ``project`` or the finish; None if empty."""
    from ..forecast import FINISH_ID
    from ..suggest import suggestion

    if not wanted:
        return None
    known = [m.id for m in project.milestones] + [FINISH_ID]
    bad = [w for w in wanted if w not in known]
    if bad:
        raise CliError(
            "; ".join(f'no milestone "{b}"{suggestion(b, known)}' for b in bad)
            + f" (known: {', '.join(known)})"
        )
    return list(dict.fromkeys(wanted))


def check_milestone(project: Any, mid: str) -> str:
    (mid,) = check_milestones(project, [mid]) or [mid]
    return mid


def check_mitigation(project: Any, value: str, *, allow_pre: bool = True) -> str | list[str]:
    """The ``mitigation`` argument of :func:`riskcast.simulate` for a ``--mitigated`` value:
    "pre", "post" or the list of risk ids, each known and with a mitigation to apply."""
    from ..suggest import suggestion

    if value == "pre" and not allow_pre:
        raise CliError(
            "--mitigated pre compares the risks with themselves; give post or the ids of the "
            "mitigated risks"
        )
    if value in ("pre", "post"):
        return value
    ids = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    known = [r.id for r in project.risks]
    if not known:
        raise CliError(
            f"--mitigated {value}: the model has no [[risk]] entries, so there is no risk "
            "to mitigate (use pre or post)"
        )
    bad = [i for i in ids if i not in known]
    if bad:
        raise CliError(
            "; ".join(f'--mitigated: no risk "{b}"{suggestion(b, known)}' for b in bad)
            + f" (known: {', '.join(known)})"
        )
    with_mitigation = [r.id for r in project.risks if r.mitigation is not None]
    bare = [i for i in ids if i not in with_mitigation]
    if bare:
        listed = ", ".join(with_mitigation) or "none"
        raise CliError(
            "--mitigated: "
            + ", ".join(f'risk "{b}"' for b in bare)
            + f" {'has' if len(bare) == 1 else 'have'} no mitigation to apply "
            f"(risks with a mitigation: {listed})"
        )
    return ids


def scenario_note(mitigation: str | Sequence[str]) -> str:
    """ ", mitigation: post" for the header line; nothing for the pre-mitigation scenario."""
    if mitigation == "pre":
        return ""
    if isinstance(mitigation, str):
        return f", mitigation: {mitigation}"
    return f", mitigated: {', '.join(mitigation)}"


# -- simulating -----------------------------------------------------------------------------------
def default_ids(forecast: Any) -> list[str]:
    """Every milestone, and the project finish when it is not the same as one of them."""
    ids = [m.id for m in forecast.milestones]
    finish = forecast.project_finish
    if not any(m.same_finishes(finish) for m in forecast.milestones):
        ids.append(finish.id)
    return ids


def caught_warnings(s: Streams, act: Callable[[], Any]) -> Any:
    """Run ``act()`` and print the warnings it raised (e.g. a repaired correlation) as notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = act()
    for w in caught:
        print(f"warning: {w.message}", file=s.err)
    return result


def fresh_seed(args: argparse.Namespace, s: Streams, quiet: bool) -> int:
    """``--seed``, or a fresh seed that is printed (unless quiet) so the run can be repeated."""
    value = _draw_seed(args)
    _note_seed(args, value, s, quiet)
    return value


def _draw_seed(args: argparse.Namespace) -> int:
    return args.seed if args.seed is not None else secrets.randbelow(10**9)


def _note_seed(args: argparse.Namespace, value: int, s: Streams, quiet: bool) -> None:
    if args.seed is None and not quiet:
        print(f"seed {value} (none given; rerun with --seed {value} to reproduce)", file=s.err)


def simulate(project: Any, args: argparse.Namespace, s: Streams, quiet: bool) -> Any:
    """:func:`riskcast.simulate` with the options of ``run``/``explain``, a progress bar on a
    terminal, and its warnings and the drawn seed as notes (in that order).

    On a terminal the bar says when the kernels are being compiled, ticks every half second,
    and the batch (runs per kernel call, which changes no result) is chosen so that the count
    moves about every :data:`UPDATE_SECONDS` (see :func:`adaptive_batch`)."""
    import riskcast

    value = _draw_seed(args)
    bar = ProgressBar(s.err) if (not quiet and isatty(s.err)) else None
    kwargs: dict[str, Any] = {"seed": value, "threads": args.threads, "progress": bar}
    executor = getattr(args, "executor", None)
    if executor is not None:  # blocks on the cluster: no batch, no kernels to load here
        kwargs["executor"] = executor
    if getattr(args, "mitigation", None) is not None:
        kwargs["mitigation"] = args.mitigation
    if getattr(args, "scheme", None) is not None:
        kwargs["scheme"] = None if args.scheme == "none" else args.scheme
        kwargs["priority"] = args.priority
    if getattr(args, "precision", None) is not None:
        from ..simulate import MAX_ITERATIONS

        kwargs["precision"] = args.precision
        kwargs["precision_percentile"] = getattr(args, "confidence", 80.0)
        total = MAX_ITERATIONS
    else:
        kwargs["iterations"] = total = args.iterations or DEFAULT_ITERATIONS
    threads = _threads(args.threads) if bar is not None else 1
    if bar is not None and executor is None:
        kwargs["batch"] = adaptive_batch(project, threads)

    def run() -> Any:
        if bar is not None:
            bar.start(total, COMPILING if kernels_cold() and executor is None else None)
        try:
            return riskcast.simulate(project, **kwargs)
        finally:
            if bar is not None:
                bar.close()
                if executor is None:  # a cluster's pace says nothing of this machine's
                    _learn(bar, _activities(project), threads)

    forecast = caught_warnings(s, run)
    _note_seed(args, value, s, quiet)
    return forecast


def simulating(args: argparse.Namespace, s: Streams, what: str) -> ProgressBar | None:
    """A started status line ``what`` (with the time elapsed, and the kernels' compilation
    named first when they are cold) for a simulation without progress reports; None when
    :func:`~._output.feedback` is off. Close it before printing anything else."""
    if not feedback(args, s):
        return None
    if kernels_cold():
        what = f"{COMPILING.rstrip('…')}, then {what}"
    return ProgressBar(s.err).start(0, what)


# -- feedback on a terminal -----------------------------------------------------------------------
COMPILING = "loading the simulation kernels (a first run compiles them: about 20 s)…"
UPDATE_SECONDS = 0.5  # the progress bar's count moves about this often
# Thread-seconds per activity and run: a first guess (measured on generated plans), replaced by
# what each simulation of this process measures (:func:`_learn`).
_seconds_per_activity_run = 3e-8


def kernels_cold() -> bool:
    """Whether the entry kernels still have to be loaded in this process: from numba's disk
    cache (a fraction of a second) or, on a first run, by compiling them (public numba API
    only: a dispatcher's ``signatures``)."""
    from ..engine import kernels

    return not (kernels.schedule.signatures and kernels.simulate_chunks.signatures)


def _threads(threads: int | None) -> int:
    """The worker threads a simulation with ``--threads threads`` uses."""
    import numba

    wanted = numba.get_num_threads() if threads is None else threads
    return max(1, min(wanted, numba.config.NUMBA_NUM_THREADS))


def _activities(project: Any) -> int:
    return len(project.tasks) + len(project.milestones) + 1


def adaptive_batch(project: Any, threads: int) -> int:
    """Runs per kernel call so that a call takes about UPDATE_SECONDS: whole rounds of one
    chunk (1,024 runs) per thread, at least one round (fewer runs would idle threads) and at
    most :func:`riskcast.simulate`'s default batch (the memory bound assumes it); that default
    when one round is larger. Results do not depend on the batch."""
    from ..engine.kernels import CHUNK

    default = 16 * CHUNK
    round_runs = CHUNK * threads
    if round_runs >= default:
        return default
    seconds_per_run = _seconds_per_activity_run * _activities(project) / threads
    rounds = int(UPDATE_SECONDS / seconds_per_run) // round_runs
    return round_runs * max(1, min(rounds, default // round_runs))


def _learn(bar: ProgressBar, activities: int, threads: int) -> None:
    """Time per run from ``bar``'s reports, for the next :func:`adaptive_batch` of this process;
    the first batch is left out (it also loads or compiles the kernels)."""
    global _seconds_per_activity_run
    if len(bar.reports) < 2:
        return
    (t0, d0), (t1, d1) = bar.reports[0], bar.reports[-1]
    if d1 > d0 and t1 > t0:
        _seconds_per_activity_run = (t1 - t0) * threads / ((d1 - d0) * activities)
