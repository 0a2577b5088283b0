"""Worksheet functions called as Excel calls them: plain nested lists in, numbers or `#XLCBEC:` text out.

Each function is checked against the core called directly on the same data
(two routes to one number), against published or hand-computed references,
and on bad input (an `#XLCBEC:` message naming the argument and cell).
"""

from __future__ import annotations

import math
import subprocess
import sys
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.reference import entropy as entropy_ref
from tests.reference import mpdta as mpdta_ref
from tests.reference import sobel as sobel_ref
from tests.reference import udf_cases
from tests.xlwings_windows import PRELUDE
from xlcbec.core.did.sobel import indirect_effect_tests
from xlcbec.core.index.entropy import entropy_index
from xlcbec.core.index.location_quotient import location_quotient
from xlcbec.core.psm.pscore import fit_score
from xlcbec.core.solow import steady_state_capital, steady_state_output
from xlcbec.core.twfe import fit_twfe
from xlcbec.excel import udfs
from xlcbec.excel.udf_inputs import ERROR_PREFIX

# Tolerances.
# SAME: the function and the core run the same arithmetic on the same floats; only
#   the order of a few sums may differ, so 1e-12 relative.
# REF: the repository default for reference values (COMMON.md), 1e-6 relative, where
#   the reference is given to more digits; otherwise half a unit in its last digit.
# STATSMODELS: the propensity score by statsmodels' optimiser (a different route to
#   the same maximum likelihood), converged to its default tolerance: 1e-6 absolute.
# Exact (==) where only the form of an argument changes (directions as a list, text or
#   numbers; numbers as text or ints; a blank optional cell; TRUE/FALSE for 1/0): the
#   parsed inputs are the same doubles and run the same code, so the results are
#   bit-identical by design.
SAME = 1e-12
REF = 1e-6
STATSMODELS = 1e-6

REPO = Path(__file__).resolve().parents[1]
MPDTA = Path(__file__).resolve().parent / "data" / "mpdta.csv"


def col(values) -> list[list[object]]:
    """A column as Excel passes it with ndim=2: one single-cell row per value."""
    return [[None if isinstance(v, float) and math.isnan(v) else v] for v in values]


def is_error(value, *fragments: str) -> bool:
    return isinstance(value, str) and value.startswith(ERROR_PREFIX) and all(f.lower() in value.lower() for f in fragments)


def flat(result) -> list:
    return [v for row in result for v in row]


# ---------------------------------------------------------------------------
# Entropy index


TOY = [[float(v) for v in row] for row in entropy_ref.TOY_MATRIX]


def toy_core(shift: float = entropy_ref.TOY_SHIFT, matrix=TOY):
    frame = pd.DataFrame(matrix, columns=["a", "b", "c"], dtype=float)
    return entropy_index(frame, ["a", "b", "c"], entropy_ref.TOY_DIRECTIONS, shift=shift)


def test_entropy_scores_match_reference_and_core():
    scores = udfs.CBEC_ENTROPY(TOY, [entropy_ref.TOY_DIRECTIONS])
    assert [len(row) for row in scores] == [1] * 5  # a column, one score per row
    np.testing.assert_allclose(flat(scores), entropy_ref.TOY_SCORES, rtol=0, atol=0.5 * 10**-entropy_ref.TOY_DECIMALS)
    np.testing.assert_allclose(flat(scores), toy_core().scores.to_numpy(), rtol=SAME, atol=SAME)
    assert all(type(v) is float for v in flat(scores))


def test_entropy_weights_match_reference_and_core():
    weights = udfs.CBEC_ENTROPY_WEIGHTS(TOY, [entropy_ref.TOY_DIRECTIONS])
    assert len(weights) == 1 and len(weights[0]) == 3  # a row under the indicator columns
    np.testing.assert_allclose(weights[0], entropy_ref.TOY_WEIGHTS, rtol=0, atol=0.5 * 10**-entropy_ref.TOY_DECIMALS)
    np.testing.assert_allclose(weights[0], toy_core().weights.to_numpy(), rtol=SAME)
    assert sum(weights[0]) == pytest.approx(1.0, rel=SAME)


@pytest.mark.parametrize(
    "directions",
    [
        [["+", "+", "-"]],  # a row of cells
        [["+"], ["+"], ["-"]],  # a column of cells
        ["+", "+", "-"],  # a flat list (xlwings without ndim=2)
        "+, +, -",  # one text cell
        [[1.0, 1.0, -1.0]],  # numbers (typing + or - alone in Excel starts a formula)
        [[" + ", "+", "- "]],  # stray spaces
    ],
)
def test_entropy_direction_forms_agree(directions):
    assert udfs.CBEC_ENTROPY_WEIGHTS(TOY, directions) == udfs.CBEC_ENTROPY_WEIGHTS(TOY, [["+", "+", "-"]])


def test_entropy_numbers_as_text_and_ints_are_read():
    as_text = [[str(int(v)) for v in row] for row in TOY]
    as_int = [[int(v) for v in row] for row in TOY]
    expected = udfs.CBEC_ENTROPY(TOY, "+,+,-")
    assert udfs.CBEC_ENTROPY(as_text, "+,+,-") == expected
    assert udfs.CBEC_ENTROPY(as_int, "+,+,-") == expected


def test_entropy_shift_is_used():
    shifted = udfs.CBEC_ENTROPY_WEIGHTS(TOY, "+,+,-", 0.01)
    np.testing.assert_allclose(shifted[0], toy_core(shift=0.01).weights.to_numpy(), rtol=SAME)
    assert not np.allclose(shifted[0], entropy_ref.TOY_WEIGHTS, rtol=1e-4)
    # A blank shift cell (as [[None]] or None) means the default.
    assert udfs.CBEC_ENTROPY_WEIGHTS(TOY, "+,+,-", [[None]]) == udfs.CBEC_ENTROPY_WEIGHTS(TOY, "+,+,-")


def test_entropy_blank_rows_get_blank_scores_and_match_core():
    rng = np.random.default_rng(7)
    values = rng.uniform(1.0, 100.0, size=(30, 4))
    cells: list[list[object]] = values.tolist()
    cells[3][1] = None
    cells[17][0] = ""
    scores = udfs.CBEC_ENTROPY(cells, [["+", "-", "+", "+"]])
    assert scores[3] == [None] and scores[17] == [None]
    frame = pd.DataFrame(values, columns=list("wxyz"))
    frame.iloc[3, 1] = np.nan
    frame.iloc[17, 0] = np.nan
    core = entropy_index(frame, list("wxyz"), ["+", "-", "+", "+"])
    used = core.scores.notna().to_numpy()
    np.testing.assert_allclose(np.array(flat(scores), dtype=float)[used], core.scores.to_numpy()[used], rtol=SAME)
    weights = udfs.CBEC_ENTROPY_WEIGHTS(cells, [["+", "-", "+", "+"]])
    np.testing.assert_allclose(weights[0], core.weights.to_numpy(), rtol=SAME)


@pytest.mark.parametrize(
    ("indicators", "directions", "fragments"),
    [
        ([[1.0, 5.0], [1.0, 6.0], [1.0, 7.0]], "+,+", ("indicator 1", "single value")),
        (TOY, "+,+", ("one direction per indicator", "3", "2")),
        (TOY, [["+", "up", "-"]], ("directions, row 2", "'up'")),
        (TOY, [["+", None, "-"]], ("directions, row 2", "blank")),
        ([[1.0], [2.0], [3.0]], "+", ("at least 2",)),
        ([[1.0, 2.0], ["#N/A", 3.0], [4.0, 5.0]], "+,+", ("indicators, row 2, column 1", "#N/A")),
        ([[1.0, 2.0], [True, 3.0], [4.0, 5.0]], "+,+", ("row 2, column 1", "TRUE")),
        ([[1.0, 2.0], [3.0], [4.0, 5.0]], "+,+", ("equal length",)),
        ([["city", "gdp"], [1.0, 2.0], [3.0, 4.0]], "+,+", ("row 1", "'city'")),
        (TOY, "+,+,-", ()),  # a valid call, for contrast: must NOT be an error
    ],
)
def test_entropy_bad_input_gives_a_message(indicators, directions, fragments):
    result = udfs.CBEC_ENTROPY(indicators, directions)
    if fragments:
        assert is_error(result, *fragments), result
    else:
        assert not is_error(result)


def test_entropy_bad_shift():
    assert is_error(udfs.CBEC_ENTROPY(TOY, "+,+,-", -1.0), "entropy_shift")
    assert is_error(udfs.CBEC_ENTROPY(TOY, "+,+,-", "abc"), "shift", "'abc'")
    assert is_error(udfs.CBEC_ENTROPY(TOY, "+,+,-", [[0.1, 0.2]]), "shift", "single value")


# ---------------------------------------------------------------------------
# DID


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    df = pd.read_csv(MPDTA)
    df["post"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(float)
    return df


def test_did_matches_reference_and_core_on_mpdta(mpdta):
    row = udfs.CBEC_DID(col(mpdta["lemp"]), col(mpdta["post"]), col(mpdta["countyreal"]), col(mpdta["year"]))
    assert len(row) == 1 and len(row[0]) == 5
    coef, se, t, p, n = row[0]
    assert coef == pytest.approx(mpdta_ref.DID_COEF, rel=REF)
    assert se == pytest.approx(mpdta_ref.DID_SE_STATA, abs=0.5e-8)
    core = fit_twfe(mpdta, outcome="lemp", regressors=["post"], unit="countyreal", time="year")
    np.testing.assert_allclose(
        [coef, se, t, p], [core.params["post"], core.std_errors["post"], core.tstats["post"], core.pvalues["post"]], rtol=SAME
    )
    # t and p by hand: t = b / se, two-sided p from t(G - 1) with G = 500 counties.
    assert t == pytest.approx(coef / se, rel=SAME)
    assert p == pytest.approx(2 * stats.t.sf(abs(t), 500 - 1), rel=1e-10)
    assert n == 2500 and isinstance(n, int)


def synthetic_panel(seed: int = 3) -> pd.DataFrame:
    """40 cities x 6 years, staggered treatment, 2 controls, a province column, some blanks."""
    rng = np.random.default_rng(seed)
    units, years = 40, 6
    city = np.repeat([f"city{i:02d}" for i in range(units)], years)
    year = np.tile(np.arange(2015, 2015 + years), units)
    start = np.repeat(rng.choice([2016, 2018, 0], size=units), years)
    treat = ((start > 0) & (year >= start)).astype(float)
    x1, x2 = rng.normal(size=city.size), rng.normal(size=city.size)
    y = 0.3 * treat + 0.5 * x1 - 0.2 * x2 + np.repeat(rng.normal(size=units), years) + rng.normal(scale=0.3, size=city.size)
    df = pd.DataFrame({"city": city, "year": year, "treat": treat, "x1": x1, "x2": x2, "y": y})
    df["province"] = np.repeat([f"p{i % 8}" for i in range(units)], years)
    df.loc[[5, 50, 101], "y"] = np.nan
    df.loc[[77], "x2"] = np.nan
    return df


def test_did_with_controls_cluster_and_blanks_matches_core():
    df = synthetic_panel()
    controls = df[["x1", "x2"]].astype(object).where(df[["x1", "x2"]].notna(), None).to_numpy().tolist()
    args = (col(df["y"]), col(df["treat"]), col(df["city"]), col(df["year"]), controls)
    core = fit_twfe(df, outcome="y", regressors=["treat", "x1", "x2"], unit="city", time="year")
    row = udfs.CBEC_DID(*args)[0]
    np.testing.assert_allclose(row[:4], [core.params["treat"], core.std_errors["treat"], core.tstats["treat"], core.pvalues["treat"]], rtol=SAME)
    assert row[4] == core.nobs == 240 - 4  # four rows with a blank are dropped

    by_province = udfs.CBEC_DID(*args, col(df["province"]))[0]
    core_p = fit_twfe(df, outcome="y", regressors=["treat", "x1", "x2"], unit="city", time="year", cluster="province")
    np.testing.assert_allclose(by_province[:4], [core_p.params["treat"], core_p.std_errors["treat"], core_p.tstats["treat"], core_p.pvalues["treat"]], rtol=SAME)
    assert by_province[1] != pytest.approx(row[1], rel=1e-3)  # the cluster column is used

    for word, vcov in (("robust", "robust"), ("none", "iid"), ("NONE", "iid")):
        got = udfs.CBEC_DID(*args, word)[0]
        core_v = fit_twfe(df, outcome="y", regressors=["treat", "x1", "x2"], unit="city", time="year", vcov=vcov)
        np.testing.assert_allclose(got[:4], [core_v.params["treat"], core_v.std_errors["treat"], core_v.tstats["treat"], core_v.pvalues["treat"]], rtol=SAME)

    # Omitted controls given as a blank cell, TRUE/FALSE treatment, flat lists: same numbers.
    plain = udfs.CBEC_DID(col(df["y"]), col(df["treat"]), col(df["city"]), col(df["year"]))
    assert udfs.CBEC_DID(col(df["y"]), col(df["treat"]), col(df["city"]), col(df["year"]), [[None]]) == plain
    as_bool = [[bool(v)] for v in df["treat"]]
    assert udfs.CBEC_DID(col(df["y"]), as_bool, col(df["city"]), col(df["year"])) == plain
    flat_lists = udfs.CBEC_DID(flat(col(df["y"])), list(df["treat"]), list(df["city"]), [float(v) for v in df["year"]])
    np.testing.assert_allclose(flat_lists[0], plain[0], rtol=SAME)


def test_did_bad_input_gives_a_message():
    df = synthetic_panel()
    y, d, u, t = col(df["y"]), col(df["treat"]), col(df["city"]), col(df["year"])
    assert is_error(udfs.CBEC_DID(y[:-1], d, u, t), "y has 239 rows", "treat has 240")
    bad_d = [row[:] for row in d]
    bad_d[9] = [2.0]
    assert is_error(udfs.CBEC_DID(y, bad_d, u, t), "treat, row 10", "0 or 1")
    bad_y = [row[:] for row in y]
    bad_y[0] = ["#DIV/0!"]
    assert is_error(udfs.CBEC_DID(bad_y, d, u, t), "y, row 1", "#DIV/0!")
    bad_y[0] = ["1,5"]
    assert is_error(udfs.CBEC_DID(bad_y, d, u, t), "y, row 1", "'1,5'")
    assert is_error(udfs.CBEC_DID(y, [[0.0]] * 240, u, t), "no variation")
    assert is_error(udfs.CBEC_DID(y, d, u, t, None, [["a"]] * 240), "2 clusters")
    assert is_error(udfs.CBEC_DID(y, d, u, t, [[1.0, 2.0]] * 239), "controls has 239")
    assert is_error(udfs.CBEC_DID(y, d, [[row[0], "x"] for row in u], t), "unit", "single column")


# ---------------------------------------------------------------------------
# Sobel family


@pytest.mark.parametrize(
    ("method", "expected_z"),
    [
        (None, sobel_ref.TOY_SOBEL_Z_EXACT),
        ("sobel", sobel_ref.TOY_SOBEL_Z_EXACT),
        ("Aroian", sobel_ref.TOY_AROIAN_Z_EXACT),
        ("goodman", sobel_ref.TOY_GOODMAN_Z_EXACT),
    ],
)
def test_sobel_matches_reference_and_core(method, expected_z):
    a, se_a, b, se_b = sobel_ref.TOY_A, sobel_ref.TOY_SE_A, sobel_ref.TOY_B, sobel_ref.TOY_SE_B
    row = udfs.CBEC_SOBEL(a, se_a, b, se_b, method)
    assert len(row) == 1 and len(row[0]) == 2
    z, p = row[0]
    assert z == pytest.approx(expected_z, rel=SAME)
    assert p == pytest.approx(2 * stats.norm.sf(expected_z), rel=1e-10)
    core = indirect_effect_tests(a, se_a, b, se_b).test((method or "sobel").lower())
    assert (z, p) == pytest.approx((core.z, core.p_value), rel=SAME)
    # Single cells as 1 x 1 ranges and numbers as text give the same row.
    assert udfs.CBEC_SOBEL([[a]], [["0.3"]], [[b]], [[se_b]], [[method]]) == row


def test_sobel_bad_input_gives_a_message():
    ref = sobel_ref
    assert is_error(udfs.CBEC_SOBEL(ref.UNDEFINED_A, ref.UNDEFINED_SE_A, ref.UNDEFINED_B, ref.UNDEFINED_SE_B, "goodman"), "undefined", "-0.98")
    assert not is_error(udfs.CBEC_SOBEL(ref.UNDEFINED_A, ref.UNDEFINED_SE_A, ref.UNDEFINED_B, ref.UNDEFINED_SE_B))
    assert is_error(udfs.CBEC_SOBEL(2.0, -0.3, 3.0, 0.4), "se_a", "positive")
    assert is_error(udfs.CBEC_SOBEL(2.0, 0.3, None, 0.4), "b", "blank")
    assert is_error(udfs.CBEC_SOBEL(2.0, 0.3, 3.0, 0.4, "bootstrap"), "method", "sobel, aroian, goodman")
    assert is_error(udfs.CBEC_SOBEL([[2.0, 1.0]], 0.3, 3.0, 0.4), "a:", "single value")
    assert is_error(udfs.CBEC_SOBEL("#N/A", 0.3, 3.0, 0.4), "#N/A")


# ---------------------------------------------------------------------------
# Propensity score


def score_data(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 200
    x1, x2 = rng.normal(size=n), rng.uniform(size=n)
    treat = (0.4 * x1 - 0.8 * x2 + rng.normal(size=n) > 0).astype(float)
    df = pd.DataFrame({"treat": treat, "x1": x1, "x2": x2})
    df.loc[13, "x2"] = np.nan
    df.loc[150, "treat"] = np.nan
    return df


@pytest.mark.parametrize("model", ["probit", "logit"])
def test_pscore_matches_core_and_statsmodels(model):
    import statsmodels.api as sm

    df = score_data()
    covariates = df[["x1", "x2"]].astype(object).where(df[["x1", "x2"]].notna(), None).to_numpy().tolist()
    result = udfs.CBEC_PSCORE(col(df["treat"]), covariates, model.upper() if model == "logit" else None)
    assert len(result) == 200 and all(len(r) == 1 for r in result)
    assert result[13] == [None] and result[150] == [None]
    scores = np.array([np.nan if v is None else v for v in flat(result)])
    core = fit_score(df, treatment="treat", covariates=["x1", "x2"], model=model)
    used = df.dropna().index
    np.testing.assert_allclose(scores[used], core.scores.loc[used].to_numpy(), rtol=SAME)
    # Another route: statsmodels' own Probit/Logit on the complete rows.
    complete = df.dropna()
    fitter = sm.Probit if model == "probit" else sm.Logit
    fit = fitter(complete["treat"], sm.add_constant(complete[["x1", "x2"]])).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(scores[used], fit.predict(), rtol=0, atol=STATSMODELS)


def test_pscore_bad_input_gives_a_message():
    df = score_data()
    covariates = df[["x1"]].to_numpy().tolist()
    treat = col(df["treat"].fillna(0.0))
    assert is_error(udfs.CBEC_PSCORE(treat, covariates, "tobit"), "model", "probit, logit")
    assert is_error(udfs.CBEC_PSCORE(treat[:-1], covariates), "treat has 199", "covariates has 200")
    assert is_error(udfs.CBEC_PSCORE([[1.0]] * 200, covariates), "every row", "treated")
    separated = [[v] for v in df["treat"].fillna(0.0)]
    assert is_error(udfs.CBEC_PSCORE(treat, separated), "predict", "perfectly")
    assert is_error(udfs.CBEC_PSCORE([[0.5]] + treat[1:], covariates), "treat, row 1", "0 or 1")


# ---------------------------------------------------------------------------
# Location quotient


def test_lq_matches_hand_values_and_core():
    result = udfs.CBEC_LQ(udf_cases.LQ_SECTORS, udf_cases.LQ_TOTALS)
    np.testing.assert_allclose(flat(result), udf_cases.LQ_EXPECTED, rtol=SAME)
    frame = pd.DataFrame(udf_cases.LQ_SECTORS, columns=["s1", "s2"])
    frame["total"] = [r[0] for r in udf_cases.LQ_TOTALS]
    frame["year"] = 2020
    core = location_quotient(frame, ["s1", "s2"], "total", time="year")
    np.testing.assert_allclose(flat(result), core.to_numpy(), rtol=SAME)


def test_lq_blank_row_is_left_out_of_the_national_sums():
    rng = np.random.default_rng(5)
    sectors = rng.uniform(10, 1000, size=(25, 3))
    totals = sectors.sum(axis=1) * rng.uniform(3, 8, size=25)
    cells: list[list[object]] = sectors.tolist()
    cells[4][2] = None
    result = flat(udfs.CBEC_LQ(cells, col(totals)))
    assert result[4] is None
    keep = np.arange(25) != 4
    service = sectors[keep].sum(axis=1)
    formula = (service / service.sum()) / (totals[keep] / totals[keep].sum())  # paper eq. 12 over the other cities
    np.testing.assert_allclose(np.array(result, dtype=float)[keep], formula, rtol=SAME)


def test_lq_bad_input_gives_a_message():
    assert is_error(udfs.CBEC_LQ([[1.0, -2.0], [3.0, 4.0]], [[10.0], [20.0]]), "negative")
    assert is_error(udfs.CBEC_LQ([[1.0, 2.0], [3.0, 4.0]], [[0.0], [20.0]]), "total employment is 0")
    assert is_error(udfs.CBEC_LQ([[1.0, 2.0], [3.0, 4.0]], [[10.0], [20.0], [5.0]]), "sector_employment has 2", "total_employment has 3")
    assert is_error(udfs.CBEC_LQ([[1.0, 2.0], [3.0, 4.0]], [[10.0, 1.0], [20.0, 2.0]]), "total_employment", "single column")


# ---------------------------------------------------------------------------
# Solow steady state


def test_solow_matches_hand_values_and_core():
    case = udf_cases.SOLOW_CASE1
    assert udfs.CBEC_SOLOW_K(*case.values()) == pytest.approx(udf_cases.SOLOW_CASE1_K, rel=SAME)
    assert udfs.CBEC_SOLOW_Y(*case.values()) == pytest.approx(udf_cases.SOLOW_CASE1_Y, rel=SAME)
    args = dict(s=0.2, A=1.3, L=250.0, alpha=0.3, delta=0.06, T=2.0, gamma=0.35)
    k = udfs.CBEC_SOLOW_K(*args.values())
    y = udfs.CBEC_SOLOW_Y(*[[[v]] for v in args.values()])
    assert k == pytest.approx(steady_state_capital(**args), rel=SAME)
    assert y == pytest.approx(steady_state_output(**args), rel=SAME)
    assert args["s"] * y == pytest.approx(args["delta"] * k, rel=1e-10)  # steady state: s Y* = delta K*
    assert udfs.CBEC_SOLOW_K(0.2, 1.3, 250.0, 0.3, 0.06) != pytest.approx(k, rel=1e-3)  # T and gamma are used


def test_solow_broadcasts_ranges_like_excel():
    savings = [[0.1], [0.2], [0.3]]  # a column
    labour = [[100.0, 200.0]]  # a row
    result = udfs.CBEC_SOLOW_K(savings, 1.0, labour, 0.5, 0.05)
    expected = steady_state_capital(np.array(savings), 1.0, np.array(labour), 0.5, 0.05)
    assert np.shape(result) == (3, 2)
    np.testing.assert_allclose(result, expected, rtol=SAME)


def test_solow_bad_input_gives_a_message():
    assert is_error(udfs.CBEC_SOLOW_K(0.2, 1.0, 100.0, 1.0, 0.05), "alpha", "between 0 and 1")
    assert is_error(udfs.CBEC_SOLOW_Y(0.0, 1.0, 100.0, 0.3, 0.05), "savings rate")
    assert is_error(udfs.CBEC_SOLOW_K(0.2, None, 100.0, 0.3, 0.05), "A", "blank")
    assert is_error(udfs.CBEC_SOLOW_K(0.2, 1.0, 100.0, 0.3, 0.05, -1.0), "transaction-cost term")
    assert is_error(udfs.CBEC_SOLOW_K([[0.1, 0.2, 0.3]], 1.0, [[1.0, 2.0]], 0.3, 0.05), "cannot be combined")
    assert is_error(udfs.CBEC_SOLOW_K(0.2, 1e300, 1e300, 0.3, 1e-300), "not a finite number")


# ---------------------------------------------------------------------------
# Stars


@pytest.mark.parametrize(("p", "expected"), udf_cases.STARS_DEFAULT)
def test_stars_default_levels(p, expected):
    assert udfs.CBEC_STARS(p) == expected
    assert udfs.CBEC_STARS([[p]]) == expected


@pytest.mark.parametrize(
    "thresholds",
    [[[0.05, 0.01]], [[0.01], [0.05]], "0.05, 0.01", "5%; 1%", [["5%", "1%", None]]],
)
@pytest.mark.parametrize(("p", "expected"), udf_cases.STARS_CUSTOM)
def test_stars_custom_levels(thresholds, p, expected):
    assert udfs.CBEC_STARS(p, thresholds) == expected


def test_stars_of_a_range_and_blanks():
    assert udfs.CBEC_STARS([[0.001, 0.2], [None, 0.04]]) == [["***", ""], ["", "**"]]
    assert udfs.CBEC_STARS([[0.001], [0.07]]) == [["***"], ["*"]]
    assert udfs.CBEC_STARS(None) == "" and udfs.CBEC_STARS("") == ""


def test_stars_bad_input_gives_a_message():
    assert is_error(udfs.CBEC_STARS(1.5), "between 0 and 1", "1.5")
    assert is_error(udfs.CBEC_STARS(-0.01), "between 0 and 1")
    assert is_error(udfs.CBEC_STARS("abc"), "p", "'abc'")
    assert is_error(udfs.CBEC_STARS([[0.1, "x"]]), "p, row 1, column 2")
    assert is_error(udfs.CBEC_STARS(0.01, "0.1, 0.1"), "different levels")
    assert is_error(udfs.CBEC_STARS(0.01, "0.1, 0.05, 0.01, 0.001"), "one to three", "4")
    assert is_error(udfs.CBEC_STARS(0.01, "10"), "strictly between 0 and 1")


# ---------------------------------------------------------------------------
# What Excel needs from the functions themselves


@pytest.mark.parametrize("function", udfs.UDFS, ids=lambda f: f.__name__)
def test_function_metadata_fits_excel_and_xlwings(function):
    from xlwings.conversion import accessors

    assert function.__name__.startswith("CBEC_")
    doc = function.__doc__ or ""
    assert doc.strip() and len(doc) <= 255, f"Excel's function wizard shows 255 characters, the help has {len(doc)}"
    import inspect

    for parameter in inspect.signature(function).parameters.values():
        # xlwings maps Excel's arguments by position; keyword-only or *args parameters break it.
        assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert parameter.default in (inspect.Parameter.empty, None)
    # On Windows xlwings turns each annotation into the argument's converter: each must be one it knows.
    for name, hint in typing.get_type_hints(function).items():
        assert hint in accessors, f"{function.__name__}: annotation of {name} ({hint!r}) is not an xlwings converter"


_WINDOWS_REGISTRATION = PRELUDE + r"""
import json
out = {}
for f in udfs.UDFS:
    info = f.__xlfunc__
    out[f.__name__] = {
        "category": info["category"],
        "doc": info["ret"]["doc"],
        "args": [{"name": a["name"], "doc": a["doc"], "optional": "optional" in a,
                  "ndim": a["options"].get("ndim"), "err_to_str": a["options"].get("err_to_str")} for a in info["args"]],
    }
print(json.dumps(out))
"""


def test_functions_register_with_xlwings_windows_decorators():
    """The real xlfunc/xlarg (Windows) accept every decorator: argument names exist, docs attach."""
    import json

    completed = subprocess.run([sys.executable, "-c", _WINDOWS_REGISTRATION], cwd=REPO, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    info = json.loads(completed.stdout)
    assert list(info) == [f.__name__ for f in udfs.UDFS]
    for name, function in info.items():
        assert function["category"] == "xlcbec"
        assert function["doc"] == getattr(udfs, name).__doc__
        for arg in function["args"]:
            assert arg["doc"] and not arg["doc"].startswith("Positional argument"), (name, arg)
            assert len(arg["doc"]) <= 255
            assert arg["err_to_str"] is True  # Excel errors arrive as '#N/A' text and are named
    did = {a["name"]: a for a in info["CBEC_DID"]["args"]}
    assert did["y"]["ndim"] == 2 and did["controls"]["optional"] and not did["y"]["optional"]
    assert [a["optional"] for a in info["CBEC_SOLOW_K"]["args"]] == [False] * 5 + [True] * 2


def test_import_is_light():
    code = (
        "import sys, xlcbec.excel.udfs\n"
        "heavy = [m for m in ('scipy', 'statsmodels', 'linearmodels', 'openpyxl') if m in sys.modules]\n"
        # the option defaults and the number rule are standard library only; no estimator may load
        "light = ('xlcbec.core.options', 'xlcbec.core.number_rule')\n"
        "heavy += [m for m in sys.modules if m.startswith('xlcbec.core.') and m not in light]\n"
        "print(','.join(heavy))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "", f"importing the worksheet functions loaded {completed.stdout.strip()}"


def test_an_unexpected_failure_is_a_message_not_a_traceback(monkeypatch):
    import xlcbec.core.solow as solow

    def broken(**kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(solow, "steady_state_capital", broken)
    result = udfs.CBEC_SOLOW_K(0.2, 1.0, 100.0, 0.3, 0.05)
    assert is_error(result, "unexpected error", "ZeroDivisionError", "boom")
