"""Saving charts, split between forked worker processes where that pays: rendering is most of a
run's wall time. matplotlib is imported only here, and only when a chart is drawn."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _signals

Chart = tuple[Callable[[], Any], Path]  # (draw: returns the Axes, the file to save it to)

CHARTS_PER_WORKER = 4  # below this a worker process costs more than it saves
_JOBS: list[Chart] = []  # what forked chart workers inherit


def safe_name(mid: str) -> str:
    """``mid`` as a file-name part: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in mid) or "_"


def save_charts(jobs: list[Chart]) -> None:
    """Draw each ``(draw, path)`` chart and save it. Where the system can fork (Linux) and has
    cores to spare, the charts are split between worker processes that inherit everything
    already computed."""
    from .. import plotting

    plotting.add_fallback_fonts()  # emoji and symbols in names, where such a font is installed
    workers = min(len(jobs) // CHARTS_PER_WORKER, os.cpu_count() or 1, 4)
    if workers < 2 or not sys.platform.startswith("linux"):
        for draw, path in jobs:
            plotting.save(draw(), path)
        return
    import importlib
    import multiprocessing

    importlib.import_module("matplotlib.backends.backend_agg")  # once, before the fork

    global _JOBS
    _JOBS = jobs
    try:
        # The workers leave signals to this process (which stops them), and die with it.
        with multiprocessing.get_context("fork").Pool(
            workers, initializer=_signals.in_worker, initargs=(os.getpid(),)
        ) as pool:
            pool.map(_save_share, [(w, workers) for w in range(workers)])
    finally:
        _JOBS = []


def _save_share(share: tuple[int, int]) -> None:
    """In a worker: save every ``workers``-th chart, starting at ``worker``."""
    from .. import plotting

    worker, workers = share
    for draw, path in _JOBS[worker::workers]:
        plotting.save(draw(), path)
