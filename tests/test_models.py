"""The bundled models load, pass validation, simulate, and show what they claim to show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import riskcast as rc
from riskcast.quality import schedule_warnings

ROOT = Path(__file__).parent.parent
MODELS = sorted((ROOT / "models").glob("*.toml"))


def test_the_three_models_are_there():
    assert {p.name for p in MODELS} >= {
        "checkout-redesign.toml",
        "platform-release.toml",
        "hardware-pilot-line.toml",
    }


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_model_loads_and_runs(path):
    project = rc.load(path)
    forecast = rc.simulate(project, iterations=2000, seed=1)
    assert project.milestones and all(m.target is not None for m in project.milestones)
    for m in forecast.milestones:
        assert m.cpm_date <= m.percentile(50) <= m.percentile(80) <= m.percentile(95)
        assert 0.0 < m.target_probability < 1.0  # targets tuned so the odds are interesting
    codes = {w.code for w in schedule_warnings(project)}
    assert not codes & {"open-start", "open-end", "redundant-link", "no-target"}


def test_checkout_keeps_its_ids():
    project = rc.load(ROOT / "models" / "checkout-redesign.toml")
    assert [m.id for m in project.milestones] == ["beta", "ga", "launch"]
    assert "api" in {t.id for t in project.tasks}


def test_platform_release_covers_the_format():
    project = rc.load(ROOT / "models" / "platform-release.toml")
    assert 100 <= len(project.tasks) <= 140 and len(project.milestones) == 5
    links = [link for a in project.activities for link in a.after]
    assert {link.type for link in links} == {"FS", "SS", "FF", "SF"}
    assert any(link.lag < 0 for link in links) and any(link.lag > 0 for link in links)
    kinds = {t.estimate.kind for t in project.tasks}
    assert kinds >= {
        "pert",
        "triangular",
        "beta",
        "uniform",
        "lognormal",
        "normal",
        "exponential",
        "discrete",
        "empirical",
        "fixed",
    }
    assert any(getattr(t.estimate, "lam", 4.0) != 4.0 for t in project.tasks)
    assert project.calendar.holidays


def test_platform_release_is_what_its_generator_writes():
    script = ROOT / "models" / "generate_platform_release.py"
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout == (ROOT / "models" / "platform-release.toml").read_text()


def test_hardware_pilot_line_has_long_leads_and_holidays():
    project = rc.load(ROOT / "models" / "hardware-pilot-line.toml")
    assert len(project.calendar.holidays) >= 10 and "sat" in project.calendar.workdays
    long_leads = [w.place for w in schedule_warnings(project) if w.code == "long-task"]
    assert len(long_leads) >= 2
    forecast = rc.simulate(project, iterations=2000, seed=1)
    crit = forecast.criticality("line-qualified")
    assert max(crit["oven-delivery"], crit["pnp-delivery"]) > 0.5  # long leads drive the line


@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.stem)
def test_examples_run(script, tmp_path):
    out = subprocess.run(
        [sys.executable, str(script), "--iterations", "2000"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_mobile_team_shows_what_its_shared_engineers_cost():
    project = rc.load(ROOT / "models" / "mobile-team.toml")
    forecast = rc.simulate(project, iterations=4000, seed=3)
    assert forecast.levelling == ("parallel", "lft")
    for m in project.milestones:  # the team's limits delay both milestones by weeks
        delay = forecast.milestone(m.id).percentile_days(80) - forecast.unlevelled.milestone(
            m.id
        ).percentile_days(80)
        assert delay > 5.0, (m.id, delay)
    shares = forecast.resource_criticality("release")
    assert max(shares, key=shares.get) == "android"  # one Android engineer until March
