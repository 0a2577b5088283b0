"""Entropy weight method (docs/methods.md section 2): reference values, two routes, laws, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.reference.entropy import (
    ELSAYED_DECIMALS,
    ELSAYED_MATRIX,
    ELSAYED_WEIGHTS,
    TOY_DECIMALS,
    TOY_DIRECTIONS,
    TOY_E,
    TOY_MATRIX,
    TOY_SCORES,
    TOY_SHIFT,
    TOY_WEIGHTS,
)
from xlcbec.core.index.entropy import EntropyResult, entropy_index, plain_entropy_weights
from xlcbec.core.results import ESTIMATE_COLUMNS, RowAccount, estimates_frame
from xlcbec.errors import InputError, OptionError

# Tolerances, and why.
# Published values are rounded to d decimals, so a correct computation lies within
# half a unit of the last digit: 0.5 * 10**-d (absolute).  Elsayed et al. give
# 6 decimals -> 5e-7; the xlcbec toy gives 8 decimals -> 5e-9 (that is ~2e-8
# relative at the smallest weight 0.266, tighter than the 1e-7 relative asked for).
ELSAYED_ATOL = 0.5 * 10.0**-ELSAYED_DECIMALS
TOY_ATOL = 0.5 * 10.0**-TOY_DECIMALS
# Two routes doing the same floating-point work in a different order: a few ulps.
ROUTE_RTOL = 1e-12
# Rescaling/shifting an indicator rounds each value once (relative 1.1e-16); the
# generated columns have a span >= 1e-4 of their largest magnitude and the affine
# shift is at most 1e3 spans, so standardised values move by < 1e-11; weights
# and scores are smooth in them.  1e-9 absolute leaves room and still catches
# any real dependence on the scale (which would move weights at the 1e-2 level).
PROPERTY_ATOL = 1e-9


def toy_frame() -> pd.DataFrame:
    # Indexed like a sheet: header in row 1, data from row 2.
    return pd.DataFrame(TOY_MATRIX, columns=["patents", "students", "income_gap"], index=range(2, 7))


TOY_INDICATORS = ["patents", "students", "income_gap"]


# --- reference values ---------------------------------------------------------------------------


def test_plain_entropy_reproduces_elsayed_weights():
    weights = plain_entropy_weights(ELSAYED_MATRIX)
    np.testing.assert_allclose(weights, ELSAYED_WEIGHTS, rtol=0, atol=ELSAYED_ATOL)


def test_plain_entropy_on_a_dataframe_is_labelled():
    frame = pd.DataFrame(ELSAYED_MATRIX, columns=list("ABCDE"))
    weights = plain_entropy_weights(frame)
    assert list(weights.index) == list("ABCDE")
    np.testing.assert_allclose(weights.to_numpy(), ELSAYED_WEIGHTS, rtol=0, atol=ELSAYED_ATOL)


def test_toy_entropies_weights_and_scores():
    result = entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, shift=TOY_SHIFT)
    np.testing.assert_allclose(result.e.to_numpy(), TOY_E, rtol=0, atol=TOY_ATOL)
    np.testing.assert_allclose(result.weights.to_numpy(), TOY_WEIGHTS, rtol=0, atol=TOY_ATOL)
    np.testing.assert_allclose(result.scores.to_numpy(), TOY_SCORES, rtol=0, atol=TOY_ATOL)
    np.testing.assert_allclose(result.d.to_numpy(), 1 - np.array(TOY_E), rtol=0, atol=TOY_ATOL)
    assert list(result.scores.index) == [2, 3, 4, 5, 6]
    assert result.scores.name == "HQD"
    assert result.n_rows == 5 and result.shift == TOY_SHIFT and result.pooling == "global"


def test_toy_standardisation_by_hand():
    # patents: min 8, max 15 -> (x - 8)/7; income_gap is negative: min 40, max 70 -> (70 - x)/30.
    result = entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS)
    np.testing.assert_allclose(result.standardized["patents"], [2 / 7, 4 / 7, 0, 1, 1 / 7], rtol=ROUTE_RTOL)
    np.testing.assert_allclose(result.standardized["income_gap"], [10 / 30, 25 / 30, 0, 1, 15 / 30], rtol=ROUTE_RTOL)


# --- two routes -----------------------------------------------------------------------------------


def test_global_weights_equal_plain_entropy_of_the_shifted_standardised_matrix():
    # Steps 3-4 of docs/methods.md are the plain method applied to x' + A (k = 1/ln n in both).
    rng = np.random.default_rng(7)
    data = pd.DataFrame(rng.lognormal(size=(40, 4)), columns=list("abcd"))
    result = entropy_index(data, list("abcd"), ["+", "-", "+", "-"], shift=0.01)
    plain = plain_entropy_weights(result.standardized + 0.01)
    np.testing.assert_allclose(result.weights.to_numpy(), plain.to_numpy(), rtol=ROUTE_RTOL)
    np.testing.assert_allclose(result.scores, result.standardized.to_numpy() @ result.weights.to_numpy(), rtol=ROUTE_RTOL)


def random_panel(seed: int, years: range, cities: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(years) * cities
    frame = pd.DataFrame(
        {
            "city": np.tile(np.arange(cities), len(years)),
            "year": np.repeat(list(years), cities),
            "x1": rng.normal(size=n),
            "x2": rng.lognormal(size=n),
            "x3": rng.uniform(size=n),
        },
        index=range(2, n + 2),
    )
    return frame.sample(frac=1.0, random_state=1)  # rows in no particular year order


def test_by_year_equals_global_on_each_years_rows():
    data = random_panel(3, range(2010, 2016), 30)
    directions = {"x1": "+", "x2": "-", "x3": "+"}
    by_year = entropy_index(data, ["x1", "x2", "x3"], directions, pooling="by_year", time="year")
    assert by_year.weights_by_year is not None and list(by_year.weights_by_year.index) == list(range(2010, 2016))
    for year, rows in data.groupby("year"):
        alone = entropy_index(rows, ["x1", "x2", "x3"], directions)
        np.testing.assert_allclose(by_year.weights_by_year.loc[year], alone.weights, rtol=ROUTE_RTOL)
        np.testing.assert_allclose(by_year.e_by_year.loc[year], alone.e, rtol=ROUTE_RTOL)
        np.testing.assert_allclose(by_year.d_by_year.loc[year], alone.d, rtol=ROUTE_RTOL)
        np.testing.assert_allclose(by_year.scores.loc[rows.index], alone.scores, rtol=ROUTE_RTOL, atol=1e-15)
        np.testing.assert_allclose(by_year.standardized.loc[rows.index], alone.standardized, rtol=ROUTE_RTOL, atol=1e-15)
        assert by_year.n_rows_by_year.loc[year] == 30
    # The exported weights are the plain mean of the yearly weights, and still sum to 1.
    np.testing.assert_allclose(by_year.weights, by_year.weights_by_year.mean(axis=0), rtol=ROUTE_RTOL)
    assert by_year.weights.sum() == pytest.approx(1.0, abs=1e-12)
    # ... and differ from the global weights (the pooling option does something).
    pooled = entropy_index(data, ["x1", "x2", "x3"], directions)
    assert not np.allclose(pooled.weights, by_year.weights, atol=1e-4)
    assert pooled.weights_by_year is None and pooled.time is None


def test_rows_missing_an_indicator_are_excluded_and_counted():
    data = toy_frame()
    data.loc[7] = [np.nan, 33.0, 50.0]
    data.loc[8] = [11.0, np.nan, np.nan]
    result = entropy_index(data, TOY_INDICATORS, TOY_DIRECTIONS)
    assert result.rows == RowAccount(read=7, used=5, dropped={"missing indicator value": 2})
    assert result.n_rows == 5
    assert result.scores.loc[[7, 8]].isna().all() and result.standardized.loc[[7, 8]].isna().all().all()
    np.testing.assert_allclose(result.weights.to_numpy(), TOY_WEIGHTS, rtol=0, atol=TOY_ATOL)
    np.testing.assert_allclose(result.scores.loc[2:6].to_numpy(), TOY_SCORES, rtol=0, atol=TOY_ATOL)
    assert "2 missing indicator value" in result.rows.describe()


def test_by_year_counts_rows_missing_the_year():
    data = random_panel(5, range(2010, 2013), 10)
    data["year"] = data["year"].astype(float)
    data.loc[data.index[0], "year"] = np.nan
    result = entropy_index(data, ["x1", "x2", "x3"], "+++", pooling="by_year", time="year")
    assert result.rows.dropped == {"missing time": 1}
    assert np.isnan(result.scores.iloc[0]) and result.scores.iloc[1:].notna().all()


def test_dimension_subtotals_and_mapping_directions():
    dims = {"patents": "Innovation", "students": "Innovation", "income_gap": "Coordination"}
    by_sequence = entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, dimensions=dims)
    by_mapping = entropy_index(toy_frame(), TOY_INDICATORS, dict(zip(TOY_INDICATORS, TOY_DIRECTIONS)), dimensions=dims)
    # Exact: both direction forms become the same mapping before any arithmetic (same path, same floats).
    pd.testing.assert_series_equal(by_sequence.weights, by_mapping.weights, check_exact=True)
    assert by_sequence.dimension_weights["Innovation"] == pytest.approx(TOY_WEIGHTS[0] + TOY_WEIGHTS[1], abs=2 * TOY_ATOL)
    assert by_sequence.dimension_weights["Coordination"] == pytest.approx(TOY_WEIGHTS[2], abs=TOY_ATOL)
    assert list(by_sequence.dimension_weights.index) == ["Innovation", "Coordination"]
    table = by_sequence.table()
    assert list(table.columns) == ["dimension", "direction", "e", "d", "weight"]
    assert table.loc["income_gap", "direction"] == "-"
    no_dims = entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS)
    assert no_dims.dimensions is None and no_dims.dimension_weights.empty


def test_estimates_rows():
    result = entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, name="DIGINF")
    frame = estimates_frame(result.to_estimates())
    assert list(frame.columns) == list(ESTIMATE_COLUMNS)
    assert set(frame["analysis"]) == {"index_weight"} and set(frame["model"]) == {"DIGINF"}
    assert list(frame["term"]) == TOY_INDICATORS
    np.testing.assert_allclose(frame["estimate"], TOY_WEIGHTS, rtol=0, atol=TOY_ATOL)
    assert (frame["nobs"] == 5).all()
    assert result.scores.name == "DIGINF"
    assert "Entropy index DIGINF" in str(result)


def test_zero_shift_is_allowed_and_finite():
    # With A = 0 the minimum row has p = 0; 0 ln 0 is taken as 0 (its limit).
    result = entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, shift=0.0)
    assert np.isfinite(result.e).all() and result.weights.sum() == pytest.approx(1.0, abs=1e-12)
    shifted = entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, shift=TOY_SHIFT)
    # The shift is used: it moves e by ~2e-4 on this matrix (weights by ~3e-6).
    assert not np.allclose(result.e, shifted.e, rtol=0, atol=1e-5)


def test_numbers_stored_as_text_are_read():
    data = toy_frame().astype(object)
    data.loc[3, "students"] = " 40 "
    result = entropy_index(data, TOY_INDICATORS, TOY_DIRECTIONS)
    np.testing.assert_allclose(result.weights.to_numpy(), TOY_WEIGHTS, rtol=0, atol=TOY_ATOL)


# --- laws (hypothesis) --------------------------------------------------------------------------


@st.composite
def indicator_matrices(draw):
    n = draw(st.integers(min_value=3, max_value=25))
    m = draw(st.integers(min_value=2, max_value=5))
    values = draw(hnp.arrays(np.float64, (n, m), elements=st.floats(-100, 100, allow_nan=False, allow_infinity=False)))
    span = values.max(axis=0) - values.min(axis=0)
    assume(bool((span >= 1e-4 * (1.0 + np.abs(values).max(axis=0))).all()))
    directions = draw(st.lists(st.sampled_from(["+", "-"]), min_size=m, max_size=m))
    shift = draw(st.sampled_from([0.0, 1e-4, 1e-2, 1.0]))
    columns = [f"x{j}" for j in range(m)]
    return pd.DataFrame(values, columns=columns), columns, directions, shift


@settings(max_examples=150, deadline=None)
@given(case=indicator_matrices())
def test_weights_sum_to_one_are_non_negative_and_scores_lie_in_unit_interval(case):
    data, columns, directions, shift = case
    result = entropy_index(data, columns, directions, shift=shift)
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert (result.weights >= 0).all()
    assert ((result.e >= 0) & (result.e < 1)).all()
    assert ((result.scores >= -1e-12) & (result.scores <= 1 + 1e-12)).all()


@settings(max_examples=150, deadline=None)
@given(
    case=indicator_matrices(),
    column=st.integers(min_value=0, max_value=4),
    scale=st.floats(min_value=1e-3, max_value=1e3),
    offset=st.floats(min_value=-1e3, max_value=1e3),
)
def test_weights_and_scores_invariant_to_positive_affine_rescaling(case, column, scale, offset):
    data, columns, directions, shift = case
    name = columns[column % len(columns)]
    base = entropy_index(data, columns, directions, shift=shift)
    rescaled = data.copy()
    # offset is measured in spans of the rescaled column, which keeps rounding bounded (see PROPERTY_ATOL).
    span = float(data[name].max() - data[name].min()) * scale
    rescaled[name] = data[name] * scale
    scaled_only = entropy_index(rescaled, columns, directions, shift=shift)
    rescaled[name] = rescaled[name] + offset * span
    affine = entropy_index(rescaled, columns, directions, shift=shift)
    for other in (scaled_only, affine):
        np.testing.assert_allclose(other.weights, base.weights, rtol=0, atol=PROPERTY_ATOL)
        np.testing.assert_allclose(other.scores, base.scores, rtol=0, atol=PROPERTY_ATOL)


@settings(max_examples=150, deadline=None)
@given(case=indicator_matrices(), column=st.integers(min_value=0, max_value=4))
def test_negating_an_indicator_and_flipping_its_direction_changes_nothing(case, column):
    data, columns, directions, shift = case
    j = column % len(columns)
    flipped_data = data.copy()
    flipped_data[columns[j]] = -data[columns[j]]
    flipped = list(directions)
    flipped[j] = "-" if directions[j] == "+" else "+"
    base = entropy_index(data, columns, directions, shift=shift)
    other = entropy_index(flipped_data, columns, flipped, shift=shift)
    # (max(-x) - (-x)) and (x - min(x)) round identically, so this is exact in practice.
    np.testing.assert_allclose(other.weights, base.weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(other.scores, base.scores, rtol=0, atol=1e-12)


# --- bad input ------------------------------------------------------------------------------------


def test_constant_indicator_names_column_sheet_and_fix():
    data = toy_frame()
    data["students"] = 40.0
    with pytest.raises(InputError) as info:
        entropy_index(data, TOY_INDICATORS, TOY_DIRECTIONS)
    message = str(info.value)
    assert "'students'" in message and info.value.column == "students"
    assert "Fix:" in message and "Indicators" in message and "include" in message
    assert info.value.sheet is None  # the core names no sheet; the workbook layer places it (test_bad_inputs)


def test_constant_within_a_year_is_an_error_in_by_year_mode():
    data = random_panel(2, range(2010, 2013), 6)
    data.loc[data["year"] == 2011, "x2"] = 1.0
    with pytest.raises(InputError) as info:
        entropy_index(data, ["x1", "x2", "x3"], "+++", pooling="by_year", time="year")
    assert "'x2'" in str(info.value) and "2011" in str(info.value) and "Fix:" in str(info.value)
    entropy_index(data, ["x1", "x2", "x3"], "+++")  # fine when pooled


def test_fewer_than_two_indicators():
    with pytest.raises(InputError, match="at least 2 indicators.*Fix:"):
        entropy_index(toy_frame(), ["patents"], ["+"])


def test_non_numeric_cell_names_row_and_column():
    data = toy_frame().astype(object)
    data.loc[4, "patents"] = "12件"
    with pytest.raises(InputError) as info:
        entropy_index(data, TOY_INDICATORS, TOY_DIRECTIONS)
    message = str(info.value)
    assert info.value.rows == (4,) and info.value.column == "patents"
    assert "row 4" in message.lower() and "'patents'" in message and "'12件'" in message and "Fix:" in message


def test_bad_direction():
    with pytest.raises(InputError) as info:
        entropy_index(toy_frame(), TOY_INDICATORS, ["+", "positive", "-"])
    assert "'students'" in str(info.value) and "'positive'" in str(info.value) and "Fix:" in str(info.value)
    with pytest.raises(InputError, match="one direction per indicator"):
        entropy_index(toy_frame(), TOY_INDICATORS, ["+", "+"])
    with pytest.raises(InputError, match="no direction"):
        entropy_index(toy_frame(), TOY_INDICATORS, {"patents": "+", "students": "+"})


def test_indicator_entirely_missing():
    data = toy_frame()
    data["students"] = np.nan
    with pytest.raises(InputError) as info:
        entropy_index(data, TOY_INDICATORS, TOY_DIRECTIONS)
    assert "'students'" in str(info.value) and "no values" in str(info.value) and "Fix:" in str(info.value)
    with pytest.raises(InputError, match="'gdp_growth' is not in the data"):
        entropy_index(toy_frame(), ["patents", "gdp_growth"], "++")


def test_negative_or_non_numeric_shift():
    with pytest.raises(OptionError, match="entropy_shift.*0 or more.*Fix:"):
        entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, shift=-1e-4)
    with pytest.raises(OptionError, match="'entropy_shift' must be a finite number"):
        entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, shift="small")


def test_bad_pooling_and_by_year_without_time():
    with pytest.raises(OptionError, match="global, by_year"):
        entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, pooling="yearly")
    with pytest.raises(OptionError, match="period column"):
        entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, pooling="by_year")
    with pytest.raises(InputError, match="'year' is not in the data"):
        entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, pooling="by_year", time="year")


def test_a_year_with_one_row_is_an_error_in_by_year_mode():
    data = toy_frame()
    data["year"] = [2010, 2010, 2010, 2010, 2011]
    with pytest.raises(InputError, match="year 2011 has fewer.*Fix:"):
        entropy_index(data, TOY_INDICATORS, TOY_DIRECTIONS, pooling="by_year", time="year")


def test_duplicate_indicator_and_missing_dimension():
    with pytest.raises(InputError, match="listed twice"):
        entropy_index(toy_frame(), ["patents", "patents"], "++")
    with pytest.raises(InputError) as info:
        entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS, dimensions={"patents": "Innovation"})
    assert "'students'" in str(info.value) and "no dimension" in str(info.value)


def test_too_few_complete_rows():
    data = toy_frame()
    data.loc[3:6, "patents"] = np.nan
    with pytest.raises(InputError, match="at least 2 rows.*found 1"):
        entropy_index(data, TOY_INDICATORS, TOY_DIRECTIONS)


def test_result_is_frozen():
    result = entropy_index(toy_frame(), TOY_INDICATORS, TOY_DIRECTIONS)
    assert isinstance(result, EntropyResult)
    with pytest.raises(AttributeError):
        result.shift = 0.5  # type: ignore[misc]


def test_plain_entropy_rejects_negative_values():
    with pytest.raises(InputError, match="non-negative"):
        plain_entropy_weights([[1, -2], [3, 4]])


def test_errors_name_non_numeric_row_labels_in_the_text():
    # An index of city names (not sheet rows) still locates the cell, in the message text.
    data = pd.DataFrame({"a": ["1", "2", "x"], "b": [1.0, 2.0, 3.0]}, index=["Beijing", "Tianjin", "Hebei"])
    with pytest.raises(InputError) as info:
        entropy_index(data, ["a", "b"], "++")
    assert "'Hebei'" in str(info.value) and "'a'" in str(info.value) and "'x'" in str(info.value)


def test_p_log_p_is_scipy_xlogy_to_the_bit() -> None:
    # The index computes p log p with NumPy (scipy.special costs ~0.3 s to import on a click); scipy's xlogy is the
    # second route: the same IEEE products and C-library logarithm, so equal to the bit, 0 log 0 = 0, NaN kept.
    from scipy.special import xlogy

    from xlcbec.core.index.entropy import _plogp

    shares = np.random.default_rng(7).dirichlet(np.ones(200), size=30).T
    shares[::9, ::4] = 0.0
    shares[3, 3] = np.nan
    assert np.array_equal(_plogp(shares), xlogy(shares, shares), equal_nan=True)
