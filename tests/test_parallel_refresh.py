"""``xlcbec refresh A.xlsx B.xlsx``: several workbooks in parallel processes, each as if refreshed alone.

Two small workbooks with different data are refreshed in one command (one
worker process each); each output must hold the Estimates that refreshing
that workbook alone gives, and the two must differ (so a swap would show).

Tolerances: text columns exactly; numbers to 1e-13 relative (atol 1e-15):
the same code on the same data in another process; the .xlsx stores each
number as decimal text of up to 17 significant digits, so a read-back may
move the last digit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlcbec.book.template import write_input_workbook
from xlcbec.cli import main
from xlcbec.demo_data import make_county_panel

NUMBERS = ["estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "nobs", "r2_within"]


def _book(path: Path, seed: int) -> Path:
    panel = make_county_panel(n_units=40, years=range(2012, 2020), seed=seed)
    return write_input_workbook(path, panel=panel.panel, cities=panel.cities, indicators=panel.indicators)


def _estimates(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name="Estimates", engine="openpyxl")


def _assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert list(left.columns) == list(right.columns) and len(left) == len(right)
    for column in ("analysis", "model", "term"):
        assert (left[column].astype(str) == right[column].astype(str)).all(), column
    for column in NUMBERS:
        np.testing.assert_allclose(left[column].to_numpy(float), right[column].to_numpy(float), rtol=1e-13,
                                   atol=1e-15, equal_nan=True, err_msg=column)


def test_two_workbooks_in_one_command_equal_two_single_refreshes(tmp_path, capsys):
    first, second = _book(tmp_path / "A.xlsx", seed=1), _book(tmp_path / "B.xlsx", seed=2)
    alone = {}
    for book in (first, second):
        out = tmp_path / f"{book.stem}.alone.xlsx"
        assert main(["refresh", str(book), "--only", "baseline", "-o", str(out), "--quiet"]) == 0
        alone[book.stem] = _estimates(out)
    capsys.readouterr()

    assert main(["refresh", str(first), str(second), "--only", "baseline", "--jobs", "2"]) == 0
    printed = capsys.readouterr().out
    for book in (first, second):
        out = book.with_name(book.stem + ".results.xlsx")
        assert out.exists() and f"{book}: wrote {out}" in printed
        _assert_same(_estimates(out), alone[book.stem])
    with pytest.raises(AssertionError):
        _assert_same(alone["A"], alone["B"])
