"""Location quotient of productive-service agglomeration (paper eq. 12, docs/methods.md section 2)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from xlcbec.core.index.location_quotient import (
    DEFAULT_HIGH_SECTORS,
    DEFAULT_LOW_SECTORS,
    DEFAULT_TOTAL,
    location_quotient,
    service_agglomeration,
)
from xlcbec.errors import DataQualityWarning, InputError

# Tolerances: the hand example's quotients are ratios of small integers whose
# floating-point evaluation is within a few ulps of the exact fraction -> 1e-12
# relative.  Two routes (vectorised vs pandas groupby) also agree to 1e-12.
EXACT_RTOL = 1e-12


def three_cities() -> pd.DataFrame:
    """3 cities x 2 years, 2 service sectors; the expected quotients are worked out by hand below."""
    return pd.DataFrame(
        {
            "city": ["A", "B", "C", "A", "B", "C"],
            "year": [2020, 2020, 2020, 2021, 2021, 2021],
            "s1": [10.0, 30.0, 5.0, 20.0, 10.0, 15.0],
            "s2": [20.0, 10.0, 25.0, 20.0, 10.0, 25.0],
            "total": [100.0, 200.0, 100.0, 100.0, 100.0, 200.0],
        },
        index=range(2, 8),
    )


# Hand computation, eq. 12: (sum_j S_ij / sum_i sum_j S_ij) / (S_i / sum_i S_i), within each year.
# 2020: service = 30, 40, 30 (sum 100); total = 100, 200, 100 (sum 400)
#       A: (30/100)/(100/400) = 1.2   B: (40/100)/(200/400) = 0.8   C: (30/100)/(100/400) = 1.2
# 2021: service = 40, 20, 40 (sum 100); total = 100, 100, 200 (sum 400)
#       A: (40/100)/(100/400) = 1.6   B: (20/100)/(100/400) = 0.8   C: (40/100)/(200/400) = 0.8
HAND_SPEC = [1.2, 0.8, 1.2, 1.6, 0.8, 0.8]
# Sector s1 alone. 2020: s1 = 10, 30, 5 (sum 45): A (10/45)/(1/4) = 8/9, B (30/45)/(1/2) = 4/3, C (5/45)/(1/4) = 4/9
#                  2021: s1 = 20, 10, 15 (sum 45): A (20/45)/(1/4) = 16/9, B (10/45)/(1/4) = 8/9, C (15/45)/(1/2) = 2/3
HAND_S1 = [8 / 9, 4 / 3, 4 / 9, 16 / 9, 8 / 9, 2 / 3]
# Sector s2 alone. 2020: s2 = 20, 10, 25 (sum 55): A (20/55)*4 = 16/11, B (10/55)*2 = 4/11, C (25/55)*4 = 20/11
#                  2021: s2 = 20, 10, 25 (sum 55): A 16/11, B (10/55)*4 = 8/11, C (25/55)*2 = 10/11
HAND_S2 = [16 / 11, 4 / 11, 20 / 11, 16 / 11, 8 / 11, 10 / 11]


def test_hand_computed_three_city_example():
    spec = location_quotient(three_cities(), ["s1", "s2"], "total", time="year")
    np.testing.assert_allclose(spec.to_numpy(), HAND_SPEC, rtol=EXACT_RTOL)
    assert list(spec.index) == list(range(2, 8)) and spec.name == "spec"
    single = location_quotient(three_cities(), ["s1"], "total", time="year", name="spec_s1")
    np.testing.assert_allclose(single.to_numpy(), HAND_S1, rtol=EXACT_RTOL)


def test_service_agglomeration_columns():
    table = service_agglomeration(three_cities(), time="year", total="total", low_sectors=["s1"], high_sectors=["s2"])
    assert list(table.columns) == ["spec", "spec_low", "spec_high"]
    np.testing.assert_allclose(table["spec"], HAND_SPEC, rtol=EXACT_RTOL)
    np.testing.assert_allclose(table["spec_low"], HAND_S1, rtol=EXACT_RTOL)
    np.testing.assert_allclose(table["spec_high"], HAND_S2, rtol=EXACT_RTOL)


def random_employment(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cities, years = 25, list(range(2010, 2015))
    n = cities * len(years)
    frame = pd.DataFrame(
        {name: rng.integers(100, 5000, n).astype(float) for name in (*DEFAULT_LOW_SECTORS, *DEFAULT_HIGH_SECTORS)},
        index=range(2, n + 2),
    )
    frame[DEFAULT_TOTAL] = frame.sum(axis=1) + rng.integers(10_000, 90_000, n)
    frame["year"] = np.repeat(years, cities)
    frame["city"] = np.tile(np.arange(cities), len(years))
    return frame


def groupby_route(frame: pd.DataFrame, sectors) -> pd.Series:
    """Eq. 12 the plain pandas way, as the second route."""
    service = frame[list(sectors)].sum(axis=1)
    service_share = service / service.groupby(frame["year"]).transform("sum")
    total_share = frame[DEFAULT_TOTAL] / frame[DEFAULT_TOTAL].groupby(frame["year"]).transform("sum")
    return service_share / total_share


def test_defaults_match_a_pandas_groupby_route():
    frame = random_employment()
    table = service_agglomeration(frame, time="year")
    np.testing.assert_allclose(table["spec"], groupby_route(frame, (*DEFAULT_LOW_SECTORS, *DEFAULT_HIGH_SECTORS)), rtol=EXACT_RTOL)
    np.testing.assert_allclose(table["spec_low"], groupby_route(frame, DEFAULT_LOW_SECTORS), rtol=EXACT_RTOL)
    np.testing.assert_allclose(table["spec_high"], groupby_route(frame, DEFAULT_HIGH_SECTORS), rtol=EXACT_RTOL)


def test_employment_weighted_mean_is_one_each_year():
    # Identity of eq. 12: sum_i (S_it / sum_i S_it) * spec_it = sum_i service share = 1.
    frame = random_employment(4)
    spec = location_quotient(frame, DEFAULT_LOW_SECTORS, DEFAULT_TOTAL, time="year")
    share = frame[DEFAULT_TOTAL] / frame[DEFAULT_TOTAL].groupby(frame["year"]).transform("sum")
    np.testing.assert_allclose((share * spec).groupby(frame["year"]).sum(), 1.0, rtol=EXACT_RTOL)


def test_missing_value_gives_nan_warns_and_leaves_the_row_out_of_the_totals():
    frame = three_cities()
    frame.loc[3, "s2"] = np.nan  # city B, 2020
    with pytest.warns(DataQualityWarning, match="spec: 1 rows"):
        spec = location_quotient(frame, ["s1", "s2"], "total", time="year")
    assert np.isnan(spec.loc[3])
    # 2020 without B: service 30, 30 (sum 60), total 100, 100 (sum 200) -> A = C = (30/60)/(100/200) = 1
    np.testing.assert_allclose(spec.loc[[2, 4]], [1.0, 1.0], rtol=EXACT_RTOL)
    np.testing.assert_allclose(spec.loc[5:7], HAND_SPEC[3:], rtol=EXACT_RTOL)


def test_service_agglomeration_warns_once_for_sectors_above_total():
    frame = three_cities()
    frame.loc[2, "total"] = 25.0  # A 2020: 30 service jobs of 25 in all
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        service_agglomeration(frame, time="year", total="total", low_sectors=["s1"], high_sectors=["s2"])
    messages = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert len(messages) == 1 and "more employment" in messages[0] and "row 2" in messages[0]


def test_no_warning_on_clean_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        service_agglomeration(random_employment(), time="year")


def test_missing_column():
    with pytest.raises(InputError) as info:
        service_agglomeration(three_cities(), time="year")
    assert "'emp_transport'" in str(info.value) and "Fix:" in str(info.value)
    with pytest.raises(InputError, match="'period' is not in the data"):
        location_quotient(three_cities(), ["s1"], "total", time="period")


def test_negative_employment_names_row_and_column():
    frame = three_cities()
    frame.loc[6, "s1"] = -5.0
    with pytest.raises(InputError) as info:
        location_quotient(frame, ["s1", "s2"], "total", time="year")
    assert info.value.rows == (6,) and info.value.column == "s1"
    assert "row 6" in str(info.value).lower() and "negative" in str(info.value) and "Fix:" in str(info.value)


def test_zero_total_names_row_and_column():
    frame = three_cities()
    frame.loc[4, "total"] = 0.0
    frame.loc[4, ["s1", "s2"]] = 0.0
    with pytest.raises(InputError) as info:
        location_quotient(frame, ["s1", "s2"], "total", time="year")
    assert info.value.rows == (4,) and info.value.column == "total" and "Fix:" in str(info.value)


def test_year_without_service_employment():
    frame = three_cities()
    frame.loc[frame["year"] == 2021, "s1"] = 0.0
    with pytest.raises(InputError, match="no employment in s1 in year 2021.*Fix:"):
        location_quotient(frame, ["s1"], "total", time="year")


def test_text_cell_names_row_and_column():
    frame = three_cities().astype({"s2": object})
    frame.loc[5, "s2"] = "n/a"
    with pytest.raises(InputError) as info:
        location_quotient(frame, ["s1", "s2"], "total", time="year")
    assert info.value.rows == (5,) and info.value.column == "s2" and "'n/a'" in str(info.value)
