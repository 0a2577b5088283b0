"""Descriptive statistics (paper Table 3): checked against pandas and numpy directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlcbec.core.descriptives import DESCRIPTIVE_COLUMNS, describe
from xlcbec.errors import InputError

# Tolerance: the same statistics by pandas' and numpy's own reductions; summation
# order may differ by a few ulps -> 1e-12 relative.
RTOL = 1e-12


@pytest.fixture
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    n = 120
    frame = pd.DataFrame(
        {
            "CBEC": rng.integers(0, 2, n),
            "lnpop": rng.normal(5.9, 0.66, n),
            "urban": rng.uniform(0, 1, n),
            "lnaca": rng.normal(7.7, 1.3, n),
            "city": [f"c{i % 10}" for i in range(n)],
        },
        index=range(2, n + 2),
    )
    frame.loc[frame.index[:9], "lnaca"] = np.nan  # N differs across variables, as in the paper
    frame.loc[frame.index[-14:], "urban"] = np.nan
    return frame


def test_matches_pandas_and_numpy(panel):
    columns = ["CBEC", "lnpop", "urban", "lnaca"]
    table = describe(panel, columns)
    assert list(table.columns) == list(DESCRIPTIVE_COLUMNS) and list(table.index) == columns
    for column in columns:
        series = panel[column].dropna()
        values = series.to_numpy(dtype=float)
        assert table.loc[column, "N"] == series.count()
        np.testing.assert_allclose(table.loc[column, "mean"], series.mean(), rtol=RTOL)
        np.testing.assert_allclose(table.loc[column, "sd"], series.std(), rtol=RTOL)  # pandas std: ddof=1
        np.testing.assert_allclose(table.loc[column, "sd"], np.std(values, ddof=1), rtol=RTOL)
        np.testing.assert_allclose(table.loc[column, "min"], values.min(), rtol=RTOL)
        np.testing.assert_allclose(table.loc[column, "median"], series.median(), rtol=RTOL)
        np.testing.assert_allclose(table.loc[column, "max"], values.max(), rtol=RTOL)
    assert table.loc["lnaca", "N"] == 111 and table.loc["urban", "N"] == 106 and table.loc["lnpop", "N"] == 120


def test_small_hand_example():
    # 1, 2, 3, 10: mean 4, sample variance ((9 + 4 + 1 + 36) / 3) = 50/3, median 2.5.
    table = describe(pd.DataFrame({"x": [1.0, 2.0, np.nan, 3.0, 10.0]}), ["x"])
    assert table.loc["x"].tolist() == pytest.approx([4, 4.0, np.sqrt(50 / 3), 1.0, 2.5, 10.0], rel=RTOL)


def test_labels_and_empty_columns(panel):
    panel["blank"] = np.nan
    table = describe(panel, ["lnpop", "blank"], labels={"lnpop": "Population (log)"})
    assert list(table.index) == ["Population (log)", "blank"]
    assert table.loc["blank", "N"] == 0 and table.loc["blank", ["mean", "sd"]].isna().all()


def test_single_value_has_blank_sd():
    table = describe(pd.DataFrame({"x": [np.nan, 3.0]}), ["x"])
    assert table.loc["x", "N"] == 1 and table.loc["x", "mean"] == 3.0 and np.isnan(table.loc["x", "sd"])


def test_non_numeric_column_is_named(panel):
    with pytest.raises(InputError) as info:
        describe(panel, ["lnpop", "city"])
    message = str(info.value)
    assert info.value.column == "city" and "'city'" in message and "numeric" in message
    assert info.value.rows[:2] == (2, 3) and "rows 2, 3" in message.lower() and "'c0'" in message
    assert "Fix:" in message and "leave 'city' out" in message


def test_missing_and_duplicate_columns(panel):
    with pytest.raises(InputError, match="'lngdp' is not in the data"):
        describe(panel, ["lnpop", "lngdp"])
    with pytest.raises(InputError, match="listed twice"):
        describe(panel, ["lnpop", "lnpop"])
    with pytest.raises(InputError, match="share the label"):
        describe(panel, ["lnpop", "urban"], labels={"lnpop": "x", "urban": "x"})
