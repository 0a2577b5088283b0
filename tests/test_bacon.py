"""Goodman-Bacon (2021) decomposition: castle doctrine panel, the paper's Figure 2, and a design done by hand.

Tolerances (why):
- IDENTITY_TOL 1e-9: weights summing to 1 and the weighted sum equalling the TWFE coefficient are
  exact identities (Theorem 1), so only rounding error remains; the issue asks for 1e-9.
- TWFE_RTOL 1e-9 relative: the castle TWFE coefficient is published to 13 significant digits.
- Published per-type numbers are rounded (5 decimals in bacondecomp's summary, 3 in the paper's
  Figure 2), so they are compared to within half a unit of the last printed digit.
- HAND_TOL 1e-12: the hand design's numbers are exact fractions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.reference import bacon as ref
from xlcbec.core.staggered.bacon import bacon_decomposition, twfe_by_demeaning
from xlcbec.errors import InputError, NotApplicableError

IDENTITY_TOL = 1e-9
TWFE_RTOL = 1e-9
HAND_TOL = 1e-12

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "castle.csv", usecols=["state", "sid", "year", "l_homicide", "post", "effyear"])
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame


@pytest.fixture(scope="module")
def castle_result(castle):
    return bacon_decomposition(castle, outcome="l_homicide", treatment="post", unit="sid", time="year")


def twfe_by_dummies(frame: pd.DataFrame, *, outcome: str, treatment: str, unit: str, time: str) -> float:
    """TWFE coefficient by least squares on unit and period dummies (the lm(y ~ D + factor(i) + factor(t)) route)."""
    x = pd.concat(
        [frame[[treatment]].astype(float),
         pd.get_dummies(frame[unit].astype(str), prefix="u", dtype=float),
         pd.get_dummies(frame[time].astype(str), prefix="t", drop_first=True, dtype=float)],
        axis=1,
    ).to_numpy()
    coef, *_ = np.linalg.lstsq(x, frame[outcome].to_numpy(dtype=float), rcond=None)
    return float(coef[0])


# --- castle doctrine ------------------------------------------------------------------------------

def test_castle_effyear_codes_never_treated_as_blank(castle):
    # Documenting the data: never-adopting states have a blank effyear and post = 0 throughout.
    never = castle[castle["effyear"].isna()]
    assert never["sid"].nunique() == 29
    assert (never["post"] == 0).all()


def test_castle_weights_sum_to_one_and_reproduce_twfe(castle, castle_result):
    result = castle_result
    assert result.comparisons["weight"].sum() == pytest.approx(1.0, abs=IDENTITY_TOL)
    assert (result.comparisons["weight"] > 0).all()
    assert result.twfe_coefficient == pytest.approx(ref.CASTLE_TWFE, rel=TWFE_RTOL)
    assert result.decomposition_sum == pytest.approx(ref.CASTLE_TWFE, rel=TWFE_RTOL)
    dummies = twfe_by_dummies(castle, outcome="l_homicide", treatment="post", unit="sid", time="year")
    assert result.twfe_coefficient == pytest.approx(dummies, rel=TWFE_RTOL)


def test_castle_types_match_bacondecomp(castle_result):
    by_type = castle_result.by_type
    assert set(by_type.index) == set(ref.CASTLE_BY_TYPE)
    for kind, expected in ref.CASTLE_BY_TYPE.items():
        assert abs(by_type.loc[kind, "weight"] - expected["weight"]) <= ref.CASTLE_ROUNDING, kind
        assert abs(by_type.loc[kind, "estimate"] - expected["estimate"]) <= ref.CASTLE_ROUNDING, kind
    # 5 adoption cohorts (2005-2009) and never treated: 5 treated-vs-never, 10 + 10 timing pairs.
    assert by_type["comparisons"].to_dict() == {"earlier_vs_later": 10, "later_vs_earlier": 10, "treated_vs_never": 5}


def test_castle_each_2x2_is_twfe_on_its_subsample(castle, castle_result):
    # Second route for every 2x2: TWFE (closed-form demeaning) on the two groups and the comparison window,
    # as bacondecomp computes it (feols on the subset).
    adoption = castle[castle["post"] == 1].groupby("sid")["year"].min()
    timing = castle["sid"].map(adoption).fillna(np.inf)
    for _, comparison in castle_result.comparisons.iterrows():
        k, u = comparison["treated"], comparison["control"]
        rows = timing.isin([k, u])
        if comparison["type"] == "earlier_vs_later":
            rows &= castle["year"] < u
        elif comparison["type"] == "later_vs_earlier":
            rows &= castle["year"] >= u
        part = castle[rows]
        y = part.pivot(index="sid", columns="year", values="l_homicide").to_numpy()
        d = part.pivot(index="sid", columns="year", values="post").to_numpy(dtype=float)
        beta, _ = twfe_by_demeaning(y, d)
        assert comparison["estimate"] == pytest.approx(beta, rel=1e-10, abs=1e-13), (k, u)


def test_castle_to_estimates(castle_result):
    rows = castle_result.to_estimates()
    assert [r["model"] for r in rows] == ["earlier_vs_later", "later_vs_earlier", "treated_vs_never"]
    assert {(r["analysis"], r["term"]) for r in rows} == {("bacon", "avg")}
    assert sum(r["weight"] for r in rows) == pytest.approx(1.0, abs=IDENTITY_TOL)
    assert sum(r["weight"] * r["estimate"] for r in rows) == pytest.approx(ref.CASTLE_TWFE, rel=TWFE_RTOL)
    assert rows[2]["nobs"] == 550


# --- the paper's Figure 2 -------------------------------------------------------------------------

def test_goodman_bacon_figure_2_weights():
    periods = np.arange(1, ref.FIGURE2_PERIODS + 1)
    start = {"early": ref.FIGURE2_EARLY_START, "late": ref.FIGURE2_LATE_START, "never": None}
    rng = np.random.default_rng(20240101)
    frame = pd.DataFrame(
        [{"unit": name, "t": t, "d": int(s is not None and t >= s), "y": rng.normal()} for name, s in start.items() for t in periods]
    )
    result = bacon_decomposition(frame, outcome="y", treatment="d", unit="unit", time="t")
    label = {float(ref.FIGURE2_EARLY_START): "early", float(ref.FIGURE2_LATE_START): "late", float("inf"): "never"}
    weights = {(label[r.treated], label[r.control]): r.weight for r in result.comparisons.itertuples()}
    assert set(weights) == set(ref.FIGURE2_WEIGHTS)
    for pair, expected in ref.FIGURE2_WEIGHTS.items():
        assert abs(weights[pair] - expected) <= ref.FIGURE2_ROUNDING, pair
    assert result.decomposition_sum == pytest.approx(result.twfe_coefficient, abs=IDENTITY_TOL)


# --- a design worked by hand ----------------------------------------------------------------------

# Periods 1-4.  E (1 unit) treated from t = 2, L (1 unit) from t = 4, U (2 units) never treated.
HAND_OUTCOME = {
    "E": [1, 4, 5, 7],
    "L": [2, 3, 3, 6],
    "U1": [0, 1, 2, 2],
    "U2": [2, 1, 2, 4],  # U period means: 1, 1, 2, 3
}
HAND_START = {"E": 2, "L": 4, "U1": None, "U2": None}


def hand_frame() -> pd.DataFrame:
    rows = []
    for unit, values in HAND_OUTCOME.items():
        for t, y in zip(range(1, 5), values):
            start = HAND_START[unit]
            rows.append({"unit": unit, "t": t, "y": float(y), "d": int(start is not None and t >= start)})
    frame = pd.DataFrame(rows)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame


def test_hand_design_2x2_estimates_weights_and_twfe():
    result = bacon_decomposition(hand_frame(), outcome="y", treatment="d", unit="unit", time="t")
    got = {(r.treated, r.control): (r.type, r.estimate, r.weight) for r in result.comparisons.itertuples()}
    inf = float("inf")
    # Shares of units: n_E = 1/4, n_L = 1/4, n_U = 1/2.  Shares of periods treated: D_E = 3/4, D_L = 1/4.
    # Two-way demeaned treatment D~ = D - mean_i - mean_t + 1/4 (period means of D: 0, 1/4, 1/4, 1/2):
    #   E: -1/2, 1/4, 1/4, 0;  L: 0, -1/4, -1/4, 1/2;  each U: 1/4, 0, 0, -1/4
    #   sum of squares 6/16 + 6/16 + 2 * 2/16 = 1, so V_D = 1 / 16 (16 unit-periods).
    #
    # E vs U (whole panel, PRE = {1}, POST = {2,3,4}):
    #   E: (4+5+7)/3 - 1 = 13/3;  U: (1+2+3)/3 - 1 = 1;  beta = 10/3
    #   s = (n_E+n_U)^2 n_EU (1-n_EU) D_E (1-D_E) / V_D = (3/4)^2 (1/3)(2/3)(3/4)(1/4) * 16 = 3/8
    # L vs U (whole panel, PRE = {1,2,3}, POST = {4}):
    #   L: 6 - (2+3+3)/3 = 10/3;  U: 3 - (1+1+2)/3 = 5/3;  beta = 5/3
    #   s = (3/4)^2 (1/3)(2/3)(1/4)(3/4) * 16 = 3/8
    # E vs L, earlier vs later (periods before 4: PRE = {1}, MID = {2,3}):
    #   E: (4+5)/2 - 1 = 7/2;  L: (3+3)/2 - 2 = 1;  beta = 5/2
    #   s = ((n_E+n_L)(1-D_L))^2 n_EL (1-n_EL) (D_E-D_L)/(1-D_L) (1-D_E)/(1-D_L) / V_D
    #     = (1/2 * 3/4)^2 (1/4) (2/3) (1/3) * 16 = 1/8
    # L vs E, later vs earlier (periods from 2: MID = {2,3}, POST = {4}):
    #   L: 6 - 3 = 3;  E: 7 - 9/2 = 5/2;  beta = 1/2
    #   s = ((n_E+n_L) D_E)^2 n_EL (1-n_EL) (D_L/D_E) (D_E-D_L)/D_E / V_D = (3/8)^2 (1/4)(1/3)(2/3) * 16 = 1/8
    expected = {
        (2.0, inf): ("treated_vs_never", 10 / 3, 3 / 8),
        (4.0, inf): ("treated_vs_never", 5 / 3, 3 / 8),
        (2.0, 4.0): ("earlier_vs_later", 5 / 2, 1 / 8),
        (4.0, 2.0): ("later_vs_earlier", 1 / 2, 1 / 8),
    }
    assert set(got) == set(expected)
    for pair, (kind, estimate, weight) in expected.items():
        assert got[pair][0] == kind
        assert got[pair][1] == pytest.approx(estimate, abs=HAND_TOL), pair
        assert got[pair][2] == pytest.approx(weight, abs=HAND_TOL), pair
    # TWFE = sum(D~ y) / sum(D~^2) = (1.75 + 1.5 - 0.5 - 0.5) / 1 = 9/4
    #      = 3/8 * 10/3 + 3/8 * 5/3 + 1/8 * 5/2 + 1/8 * 1/2.
    assert result.variance_treatment == pytest.approx(1 / 16, abs=HAND_TOL)
    assert result.twfe_coefficient == pytest.approx(9 / 4, abs=HAND_TOL)
    assert result.decomposition_sum == pytest.approx(9 / 4, abs=HAND_TOL)
    # Type totals: treated vs never weight 3/4 with average (3/8 * 10/3 + 3/8 * 5/3) / (3/4) = 5/2.
    assert result.by_type.loc["treated_vs_never", "weight"] == pytest.approx(3 / 4, abs=HAND_TOL)
    assert result.by_type.loc["treated_vs_never", "estimate"] == pytest.approx(5 / 2, abs=HAND_TOL)


def test_always_treated_units_serve_as_controls():
    # Add A, treated in every period (adopted before the panel starts), outcome 3, 3, 5, 6.
    frame = hand_frame()
    extra = pd.DataFrame({"unit": "A", "t": [1, 2, 3, 4], "y": [3.0, 3.0, 5.0, 6.0], "d": 1})
    frame = pd.concat([frame, extra], ignore_index=True)
    result = bacon_decomposition(frame, outcome="y", treatment="d", unit="unit", time="t")
    assert any("treated in every period" in w for w in result.notes)
    comparisons = result.comparisons
    # A is never a treated group (no pre-period), only a comparison: "later vs always treated".
    assert 1.0 not in set(comparisons["treated"])
    always = comparisons[comparisons["control"] == 1.0].set_index("treated")
    assert set(always["type"]) == {"later_vs_always"}
    # L vs A over the whole panel: L 6 - 8/3 = 10/3; A 6 - 11/3 = 7/3; beta = 1.
    assert always.loc[4.0, "estimate"] == pytest.approx(1.0, abs=HAND_TOL)
    # E vs A: E 16/3 - 1 = 13/3; A 14/3 - 3 = 5/3; beta = 8/3.
    assert always.loc[2.0, "estimate"] == pytest.approx(8 / 3, abs=HAND_TOL)
    assert comparisons["weight"].sum() == pytest.approx(1.0, abs=IDENTITY_TOL)
    dummies = twfe_by_dummies(frame, outcome="y", treatment="d", unit="unit", time="t")
    assert result.twfe_coefficient == pytest.approx(dummies, rel=1e-10)
    assert result.decomposition_sum == pytest.approx(dummies, rel=1e-10)


# --- designs that do not apply, bad input ---------------------------------------------------------

def test_unbalanced_panel_is_not_applicable(castle):
    with pytest.raises(NotApplicableError, match="balanced panel"):
        bacon_decomposition(castle.drop(index=castle.index[5]), outcome="l_homicide", treatment="post", unit="sid", time="year")
    blank = castle.copy()
    blank.loc[blank.index[5], "l_homicide"] = np.nan
    with pytest.raises(NotApplicableError, match="balanced panel.*row 7"):
        bacon_decomposition(blank, outcome="l_homicide", treatment="post", unit="sid", time="year")


def test_single_cohort_without_comparison_group_is_not_applicable():
    frame = hand_frame()
    frame = frame[frame["unit"] == "E"]
    with pytest.raises(NotApplicableError, match="at least two timing groups"):
        bacon_decomposition(frame, outcome="y", treatment="d", unit="unit", time="t")
    never = hand_frame().assign(d=0)
    with pytest.raises(NotApplicableError, match="switches on inside the panel"):
        bacon_decomposition(never, outcome="y", treatment="d", unit="unit", time="t")


def test_single_cohort_with_never_treated_is_one_2x2():
    frame = hand_frame()
    frame = frame[frame["unit"] != "L"]
    result = bacon_decomposition(frame, outcome="y", treatment="d", unit="unit", time="t")
    assert len(result.comparisons) == 1
    assert result.comparisons["weight"].iloc[0] == pytest.approx(1.0, abs=HAND_TOL)
    assert result.twfe_coefficient == pytest.approx(10 / 3, abs=HAND_TOL)


def test_treatment_must_be_binary_and_absorbing():
    frame = hand_frame()
    frame.loc[3, "d"] = 2
    with pytest.raises(InputError, match="0 or 1") as info:
        bacon_decomposition(frame, outcome="y", treatment="d", unit="unit", time="t")
    assert info.value.rows == (3,) and info.value.column == "d"
    frame = hand_frame()
    frame.loc[4, "d"] = 0  # E: 0, 1, 0, 1
    with pytest.raises(InputError, match="absorbing.*'E'.*from 1 in 2 to 0 in 3") as info:
        bacon_decomposition(frame, outcome="y", treatment="d", unit="unit", time="t")
    assert info.value.rows == (3, 4)
    duplicated = pd.concat([hand_frame(), hand_frame().iloc[[0]].set_axis([99])])
    with pytest.raises(InputError, match="more than one row"):
        bacon_decomposition(duplicated, outcome="y", treatment="d", unit="unit", time="t")
