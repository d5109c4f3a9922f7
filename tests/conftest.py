"""Shared fixtures and the hypothesis profiles (fast by default; RISKCAST_THOROUGH=1 for more)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=400, deadline=None)
settings.load_profile("thorough" if os.environ.get("RISKCAST_THOROUGH") else "fast")

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def checkout_model():
    import riskcast as rc

    return rc.load(ROOT / "models" / "checkout-redesign.toml")


@pytest.fixture(autouse=True)
def _history_in_a_temporary_folder(tmp_path_factory, monkeypatch):
    """Every test's ``riskcast run`` records its forecast in a history of its own, never beside
    the bundled models; a test that studies the default location unsets the variable."""
    folder = tmp_path_factory.mktemp("history")
    monkeypatch.setenv("RISKCAST_HISTORY", str(folder / "history.sqlite"))
