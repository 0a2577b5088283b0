"""Test set-up: make the repository importable and locate the test data (`tests/data/`)."""

from __future__ import annotations

import os
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

# Public data sets the tests read; each file's source and licence: tests/data/README.md.
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The public data sets kept with the tests (`tests/data/`)."""
    return TEST_DATA


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """xlcbec's per-user cache (jieba's dictionary, segmentations) in a folder of this test session.

    So no test reads a cache left outside the repository; set before any test
    runs, and inherited by the command-line runs the tests start.
    """
    folder = tmp_path_factory.mktemp("xlcbec-cache")
    os.environ["XLCBEC_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def demo_book(tmp_path_factory) -> Path:
    """`xlcbec demo` once per test session (about 20 s), shared by every test that reads the refreshed demo."""
    from xlcbec.cli import main

    path = tmp_path_factory.mktemp("demo") / "cbec_demo.xlsx"
    assert main(["demo", str(path), "--quiet"]) == 0
    return path
