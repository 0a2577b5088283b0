"""Test set-up: make the repository importable and locate the shared data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so CI is reproducible;
# `--hypothesis-profile=explore` draws new ones when hunting for bugs locally.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public data folder beside the repository (`../shared/data`)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA
