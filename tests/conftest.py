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
