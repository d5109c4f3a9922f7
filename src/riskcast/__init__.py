"""riskcast: Monte Carlo schedule risk simulation with per-milestone delivery-date confidence.

>>> import riskcast as rc
>>> project = rc.load("models/checkout-redesign.toml")        # doctest: +SKIP
>>> forecast = rc.simulate(project, iterations=20_000, seed=7)  # doctest: +SKIP
>>> forecast.milestone("beta").percentile(80)                   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from .budget import CashFlow, CostForecast, FrontierPoint
from .calendar import Calendar
from .compile import Network, compile_project
from .costs import Cost, Overhead, money
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
from .drivers import compare_mitigation, risk_drivers
from .errors import ArgumentError, CycleError, ModelError, RiskcastError
from .explain import explain
from .forecast import Forecast, MilestoneForecast
from .io.modelfile import model_schema
from .model import Assignment, CapacityChange, Link, Milestone, Project, Resource, Task, validate
from .portfolio import load_portfolio
from .quality import schedule_warnings
from .risks import Branch, BranchOption, Correlation, Impact, Mitigation, Risk
from .simulate import simulate

__version__ = "0.1.0"

MODEL_SUFFIXES = (".toml", ".json")


def load(path: str | Path) -> Project:
    """Load a plan from a model file or an exported schedule.

    Parameters
    ----------
    path : str or pathlib.Path
        A riskcast model file (``.toml``, ``.json``) or a schedule exported by Microsoft Project
        (MSPDI ``.xml``) or Primavera P6 (``.xer``, PMXML ``.xml``). Dates in the file are
        calendar dates; durations and lags are in working days of the project calendar. A
        portfolio file (TOML with a ``[portfolio]`` table, :func:`load_portfolio`) gives its
        merged plan.

    Returns
    -------
    Project
        The validated plan (see :func:`validate`).

    Raises
    ------
    ModelError
        Listing every problem found: unreadable or unknown file format, unknown keys, bad
        estimates, unknown ids, cycles.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in MODEL_SUFFIXES:
        from .io.modelfile import read_model_file
        from .portfolio_file import is_portfolio_file

        if is_portfolio_file(path):
            return load_portfolio(path).project

        return read_model_file(path)
    if suffix in (".yaml", ".yml", ".ini", ".cfg", ".xlsx", ".xls", ".csv"):
        from .io.limits import ACCEPTED

        raise ModelError(
            f"{suffix} files are not read: {ACCEPTED}. Write the model as TOML or as JSON "
            "with the same keys (`riskcast schema` lists them)",
            str(path),
        )
    from .io.schedules import read_schedule

    return read_schedule(path).project


__all__ = [
    "ArgumentError",
    "Assignment",
    "Beta",
    "Branch",
    "BranchOption",
    "Calendar",
    "CapacityChange",
    "CashFlow",
    "Correlation",
    "Cost",
    "CostForecast",
    "CycleError",
    "Discrete",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Forecast",
    "FrontierPoint",
    "Impact",
    "Link",
    "LogNormal",
    "Milestone",
    "MilestoneForecast",
    "Mitigation",
    "ModelError",
    "Network",
    "Normal",
    "Overhead",
    "Pert",
    "Project",
    "Resource",
    "Risk",
    "RiskcastError",
    "Task",
    "Triangular",
    "Uniform",
    "compare_mitigation",
    "compile_project",
    "explain",
    "load",
    "load_portfolio",
    "model_schema",
    "money",
    "risk_drivers",
    "schedule_warnings",
    "simulate",
    "validate",
]
