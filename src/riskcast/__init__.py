"""riskcast: Monte Carlo schedule risk simulation with per-milestone delivery-date confidence.

>>> import riskcast as rc
>>> project = rc.load("models/checkout-redesign.toml")        # doctest: +SKIP
>>> forecast = rc.simulate(project, iterations=20_000, seed=7)  # doctest: +SKIP
>>> forecast.milestone("beta").percentile(80)                   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from .calendar import Calendar
from .compile import Network, compile_project
from .distributions import (
    Beta,
    Discrete,
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
)
from .errors import CycleError, ModelError, RiskcastError
from .forecast import Forecast, MilestoneForecast
from .io.modelfile import model_schema
from .model import Assignment, Link, Milestone, Project, Resource, Task, validate
from .simulate import simulate

__version__ = "0.1.0"

MODEL_SUFFIXES = (".toml", ".json")


def load(path: str | Path) -> Project:
    """Load a plan: a riskcast model file (.toml, .json) or a schedule exported by Microsoft
    Project (MSPDI .xml) or Primavera P6 (.xer, PMXML .xml). Raises :class:`ModelError` listing
    every problem found."""
    path = Path(path)
    if path.suffix.lower() in MODEL_SUFFIXES:
        from .io.modelfile import read_model_file

        return read_model_file(path)
    from .io.schedules import read_schedule

    return read_schedule(path).project


__all__ = [
    "Assignment",
    "Beta",
    "Calendar",
    "CycleError",
    "Discrete",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Forecast",
    "Link",
    "LogNormal",
    "Milestone",
    "MilestoneForecast",
    "ModelError",
    "Network",
    "Normal",
    "Pert",
    "Project",
    "Resource",
    "RiskcastError",
    "Task",
    "Triangular",
    "Uniform",
    "compile_project",
    "load",
    "model_schema",
    "simulate",
    "validate",
]
