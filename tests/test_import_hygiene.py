"""A click is a whole Python process: a one-analysis refresh imports only what it uses.

The speed itself is measured in ``bench/bench_clicks.py``; this file keeps the
heavy modules a baseline refresh once imported from coming back: scipy.stats
(about 2 s: it builds every distribution and parses their docstrings), jieba
(its dictionary), multiprocessing (the several-workbook refresh),
xml.sax.saxutils (it imports urllib.request, http, ssl and email) and xlwings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr as stdlib_quoteattr

from hypothesis import given
from hypothesis import strategies as st

from tests.book_files import input_book, small_cities, small_panel
from xlcbec.book.result_package import quoteattr

ROOT = Path(__file__).resolve().parents[1]
NOT_FOR_A_BASELINE_CLICK = ("scipy.stats", "jieba", "multiprocessing", "xml.sax.saxutils", "urllib.request",
                            "xlwings", "statsmodels", "matplotlib")

_REFRESH = """
import json, sys
from xlcbec.cli import main
code = main(["refresh", sys.argv[1], "--only", "baseline", "-o", sys.argv[2], "--quiet"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_a_baseline_refresh_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    book = input_book(tmp_path / "book.xlsx", panel=small_panel(), cities=small_cities())
    done = subprocess.run([sys.executable, "-c", _REFRESH, str(book), str(tmp_path / "out.xlsx")], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["code"] == 0
    assert [m for m in NOT_FOR_A_BASELINE_CLICK if m in seen["modules"]] == []


@given(st.text())
def test_quoteattr_writes_what_the_standard_library_writes(value: str) -> None:
    assert quoteattr(value) == stdlib_quoteattr(value)
