"""Callaway & Sant'Anna (2021) ATT(g,t), aggregations and pre-trend test against R did 2.5.0 on mpdta.

Tolerances (why):
- ATT_RTOL 1e-6 relative: point estimates are differences of means; R's printed values carry 15 digits.
- SE_RTOL 1e-5 relative: SEs go through a different (but algebraically equal) influence-function route.
- ROUTE_RTOL 1e-10 relative: two computations of the same number in double precision here.
- The pre-trend p-value is printed by R rounded to 5 decimals, so it is compared to within 5e-6.
- SAMPLE_RTOL 1e-12 relative (atol 1e-15): a sample rule applied by the estimator (units dropped,
  late or blank adoption read as never treated) against the same rows given directly.  The
  estimator then does the same arithmetic (bit-equal today), but the rows reach it through a
  different filter and index, so a few ulps are allowed; pandas' default (1e-5) would hide real changes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.reference import cs_mpdta as ref
from xlcbec.core.staggered.callaway_santanna import callaway_santanna
from xlcbec.errors import InputError, NotApplicableError, OptionError

ATT_RTOL = 1e-6
SE_RTOL = 1e-5
ROUTE_RTOL = 1e-10
SAMPLE_RTOL = 1e-12

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "mpdta.csv")
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # spreadsheet rows: header in row 1
    return frame


def fit(frame: pd.DataFrame, **options):
    return callaway_santanna(frame, outcome="lemp", unit="countyreal", time="year", first_treat="first_treat", **options)


def assert_same_cells(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """The ATT(g,t) tables of a sample rule and of the same rows given directly (SAMPLE_RTOL)."""
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=SAMPLE_RTOL, atol=1e-15)


@pytest.fixture(scope="module")
def never(mpdta):
    return fit(mpdta)


def cell(result, g, t) -> pd.Series:
    table = result.group_time
    return table[(table["group"] == g) & (table["time"] == t)].iloc[0]


def hand_att(frame: pd.DataFrame, g: int, t: int, base: int, control_cohorts: set[int]) -> float:
    """Difference of mean changes Y_t - Y_base, cohort g minus the control cohorts, from the long data."""
    wide = frame.pivot(index="countyreal", columns="year", values="lemp")
    cohort = frame.groupby("countyreal")["first_treat"].first()
    change = wide[t] - wide[base]
    return change[cohort == g].mean() - change[cohort.isin(control_cohorts)].mean()


# --- R did 2.5.0 reference values --------------------------------------------------------------

def test_group_time_att_and_se_match_r_did(never):
    assert len(never.group_time) == len(ref.ATT_GT)
    for (g, t), (att, se) in ref.ATT_GT.items():
        row = cell(never, g, t)
        assert row["att"] == pytest.approx(att, rel=ATT_RTOL), (g, t)
        assert row["se"] == pytest.approx(se, rel=SE_RTOL), (g, t)


def test_simple_aggregation_matches_r_did(never):
    assert never.simple.overall_att == pytest.approx(ref.SIMPLE_ATT, rel=ATT_RTOL)
    assert never.simple.overall_se == pytest.approx(ref.SIMPLE_SE, rel=SE_RTOL)


def test_group_aggregation_matches_r_did(never):
    for g, att in ref.GROUP_ATT.items():
        assert never.group.detail.loc[g, "att"] == pytest.approx(att, rel=ATT_RTOL)
    assert never.group.overall_att == pytest.approx(ref.GROUP_OVERALL_ATT, rel=ATT_RTOL)
    assert never.group.overall_se == pytest.approx(ref.GROUP_OVERALL_SE, rel=SE_RTOL)


def test_dynamic_aggregation_matches_r_did(never):
    assert list(never.dynamic.detail.index) == sorted(ref.DYNAMIC_ATT)
    for e, att in ref.DYNAMIC_ATT.items():
        assert never.dynamic.detail.loc[e, "att"] == pytest.approx(att, rel=ATT_RTOL)
    assert never.dynamic.overall_att == pytest.approx(ref.DYNAMIC_OVERALL_ATT, rel=ATT_RTOL)
    assert never.dynamic.overall_se == pytest.approx(ref.DYNAMIC_OVERALL_SE, rel=SE_RTOL)


def test_pretrend_wald_matches_r_did(never):
    test = never.pretrend
    assert test is not None
    assert test.df == 5  # pre-treatment cells: (2006: 2004, 2005), (2007: 2004, 2005, 2006)
    assert abs(test.pvalue - ref.PRETREND_P) <= ref.PRETREND_P_ROUNDING


def test_the_weight_influence_term_matters_for_the_simple_se(never):
    # Without R's "wif" term (estimated cohort shares) the SE would differ: recompute it without.
    table = never.group_time
    post = (table["post"]).to_numpy()
    pg = np.array([np.mean(never.cohorts.to_numpy() == g) for g in table["group"][post]])
    psi = never.influence[:, post] @ (pg / pg.sum())
    se_without = np.sqrt(np.mean(psi**2) / never.n_units)
    assert abs(se_without - ref.SIMPLE_SE) / ref.SIMPLE_SE > 1e-3
    assert never.simple.overall_se == pytest.approx(ref.SIMPLE_SE, rel=SE_RTOL)


# --- second routes -------------------------------------------------------------------------------

def test_never_treated_cells_are_hand_differences_of_means(mpdta, never):
    # Post cell: base g - 1; pre cell (varying): base t - 1.
    assert cell(never, 2006, 2007)["att"] == pytest.approx(hand_att(mpdta, 2006, 2007, 2005, {0}), rel=ROUTE_RTOL)
    assert cell(never, 2007, 2005)["att"] == pytest.approx(hand_att(mpdta, 2007, 2005, 2004, {0}), rel=ROUTE_RTOL)


def test_cell_se_is_the_two_sample_formula(mpdta, never):
    # Influence-function SE of a difference of two means = sqrt(s1^2/n1 + s0^2/n0) with 1/n variances.
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    cohort = mpdta.groupby("countyreal")["first_treat"].first()
    change = wide[2006] - wide[2003]
    treated, control = change[cohort == 2004], change[cohort == 0]
    se = np.sqrt(treated.var(ddof=0) / len(treated) + control.var(ddof=0) / len(control))
    assert cell(never, 2004, 2006)["se"] == pytest.approx(se, rel=ROUTE_RTOL)


def test_single_cell_aggregations_equal_the_cell(never):
    # Calendar 2004 and event time 3 each average one cell: same estimate and SE (the weight term vanishes).
    only = cell(never, 2004, 2004)
    assert never.calendar.detail.loc[2004, "att"] == pytest.approx(only["att"], rel=ROUTE_RTOL)
    assert never.calendar.detail.loc[2004, "se"] == pytest.approx(only["se"], rel=ROUTE_RTOL)
    last = cell(never, 2004, 2007)
    assert never.dynamic.detail.loc[3, "se"] == pytest.approx(last["se"], rel=ROUTE_RTOL)
    assert never.calendar.overall_att == pytest.approx(never.calendar.detail["att"].mean(), rel=ROUTE_RTOL)


def test_not_yet_treated_cells_are_hand_differences_of_means(mpdta):
    result = fit(mpdta, control_group="not_yet")
    assert result.control_group == "not_yet"
    # ATT(2004,2005): base 2003; controls never treated + cohorts not treated by 2005 (2006, 2007).
    assert cell(result, 2004, 2005)["att"] == pytest.approx(hand_att(mpdta, 2004, 2005, 2003, {0, 2006, 2007}), rel=ROUTE_RTOL)
    # ATT(2006,2006): base 2005; controls never treated + 2007.
    assert cell(result, 2006, 2006)["att"] == pytest.approx(hand_att(mpdta, 2006, 2006, 2005, {0, 2007}), rel=ROUTE_RTOL)
    # Pre cell ATT(2007,2005): base 2004; controls never treated + 2006 (not 2007 itself).
    assert cell(result, 2007, 2005)["att"] == pytest.approx(hand_att(mpdta, 2007, 2005, 2004, {0, 2006}), rel=ROUTE_RTOL)
    # The last cohort's post cell has only never-treated controls left: same as the never-treated design.
    assert cell(result, 2007, 2007)["att"] == pytest.approx(ref.ATT_GT[(2007, 2007)][0], rel=ATT_RTOL)
    assert cell(result, 2004, 2005)["n_control"] == 309 + 40 + 131


def test_universal_base_period(mpdta, never):
    result = fit(mpdta, base_period="universal")
    # Post-treatment cells use base g - 1 under both options.
    for (g, t), (att, _) in ref.ATT_GT.items():
        if t >= g:
            assert cell(result, g, t)["att"] == pytest.approx(att, rel=ATT_RTOL)
    # The reference cell t = g - 1 is 0; pre cells are long differences against g - 1.
    assert cell(result, 2007, 2006)["att"] == 0.0
    assert np.isnan(cell(result, 2007, 2006)["se"])
    assert cell(result, 2007, 2004)["att"] == pytest.approx(hand_att(mpdta, 2007, 2004, 2006, {0}), rel=ROUTE_RTOL)
    assert len(result.group_time) == 3 * 5


def test_anticipation_shifts_the_base_period_and_drops_cohort_2004(mpdta):
    result = fit(mpdta, anticipation=1)
    assert sorted(result.group_time["group"].unique()) == [2006, 2007]
    assert result.units_dropped["already treated in the first period"] == 20
    assert any("already treated in the first period" in w for w in result.notes)
    assert cell(result, 2007, 2007)["att"] == pytest.approx(hand_att(mpdta, 2007, 2007, 2005, {0}), rel=ROUTE_RTOL)


# --- sample rules ---------------------------------------------------------------------------------

def test_units_treated_in_the_first_period_are_dropped_and_reported(mpdta, never):
    changed = mpdta.copy()
    first_units = changed["countyreal"].drop_duplicates().iloc[:3]
    changed.loc[changed["countyreal"].isin(first_units), "first_treat"] = 2003
    result = fit(changed)
    assert result.units_dropped == {"already treated in the first period": 3}
    assert result.n_units == 497
    assert any("dropped 3 units already treated" in w for w in result.notes)
    same = fit(mpdta[~mpdta["countyreal"].isin(first_units)])
    assert_same_cells(result.group_time, same.group_time)


def test_unbalanced_units_are_dropped_and_counted(mpdta):
    gap_unit = mpdta["countyreal"].iloc[0]
    with_gap = mpdta.drop(index=mpdta.index[2])
    result = fit(with_gap)
    assert result.units_dropped == {"not observed in every period": 1}
    assert result.rows.dropped["unit not observed in every period"] == 4
    assert any("balanced panel" in w for w in result.notes)
    same = fit(mpdta[mpdta["countyreal"] != gap_unit])
    assert_same_cells(result.group_time, same.group_time)
    # A blank outcome counts like a missing row.
    blank = mpdta.copy()
    blank.loc[blank.index[2], "lemp"] = np.nan
    assert_same_cells(fit(blank).group_time, same.group_time)


def test_adoption_after_the_last_period_counts_as_never_treated(mpdta, never):
    changed = mpdta.copy()
    changed.loc[changed["first_treat"] == 0, "first_treat"] = 2010
    result = fit(changed)
    assert_same_cells(result.group_time, never.group_time)
    assert any("after the last period" in w for w in result.notes)


def test_blank_first_treat_means_never_treated(mpdta, never):
    changed = mpdta.copy()
    changed["first_treat"] = changed["first_treat"].astype(float).replace(0.0, np.nan)
    assert_same_cells(fit(changed).group_time, never.group_time)
    # Blank in some rows and 0 in others of the same unit is still one value: never treated.
    changed.loc[changed.index[::2], "first_treat"] = mpdta["first_treat"].iloc[::2].to_numpy()
    assert_same_cells(fit(changed).group_time, never.group_time)


def test_not_yet_without_never_treated_drops_late_periods(mpdta):
    treated_only = mpdta[mpdta["first_treat"] > 0]
    result = fit(treated_only, control_group="not_yet")
    # Cohort 2007 only serves as control; periods from 2007 on are dropped.
    assert sorted(result.group_time["group"].unique()) == [2004, 2006]
    assert result.group_time["time"].max() == 2006
    assert (result.cohorts == 2007).sum() == 131  # still a cohort (a control), not turned into never treated
    assert any("no unit is never treated" in w for w in result.notes)
    assert cell(result, 2004, 2005)["att"] == pytest.approx(
        hand_att(treated_only, 2004, 2005, 2003, {2006, 2007}), rel=ROUTE_RTOL)


# --- designs that do not apply, bad input ---------------------------------------------------------

def test_never_control_group_without_never_treated_units_is_not_applicable(mpdta):
    with pytest.raises(NotApplicableError, match="never treated.*not-yet-treated control group"):
        fit(mpdta[mpdta["first_treat"] > 0])


def test_single_cohort_without_never_treated_is_not_applicable_for_not_yet(mpdta):
    with pytest.raises(NotApplicableError, match="at least two adoption cohorts"):
        fit(mpdta[mpdta["first_treat"] == 2006], control_group="not_yet")


def test_only_first_period_adopters_is_not_applicable(mpdta):
    changed = mpdta.copy()
    changed.loc[changed["first_treat"] > 0, "first_treat"] = 2003
    with pytest.raises(NotApplicableError, match="first treated after the first period"):
        fit(changed)


def test_bad_options_and_inputs(mpdta):
    with pytest.raises(OptionError, match="never, not_yet"):
        fit(mpdta, control_group="notyettreated")
    with pytest.raises(OptionError, match="anticipation"):
        fit(mpdta, anticipation=-1)
    with pytest.raises(InputError, match="'missing' is not in the data"):
        callaway_santanna(mpdta, outcome="missing", unit="countyreal", time="year", first_treat="first_treat")
    duplicated = pd.concat([mpdta, mpdta.iloc[[0]].set_axis([9999])])
    with pytest.raises(InputError, match="more than one row") as info:
        fit(duplicated)
    assert info.value.rows == (2, 9999)
    varying = mpdta.copy()
    varying.loc[varying.index[1], "first_treat"] = 2006
    with pytest.raises(InputError, match="must be the same in every row of a unit"):
        fit(varying)
    text = mpdta.astype({"lemp": object})
    text.loc[5, "lemp"] = "n/a"
    with pytest.raises(InputError, match="expected a number") as info:
        fit(text)
    assert info.value.rows == (5,) and info.value.column == "lemp"


# --- Estimates rows -------------------------------------------------------------------------------

def test_to_estimates_rows(never):
    rows = never.to_estimates()
    by_term = {row["term"]: row for row in rows}
    assert {row["analysis"] for row in rows} == {"cs"}
    assert {row["model"] for row in rows} == {"never"}
    assert by_term["simple"]["estimate"] == pytest.approx(ref.SIMPLE_ATT, rel=ATT_RTOL)
    assert by_term["dynamic"]["std_error"] == pytest.approx(ref.DYNAMIC_OVERALL_SE, rel=SE_RTOL)
    assert by_term["group"]["estimate"] == pytest.approx(ref.GROUP_OVERALL_ATT, rel=ATT_RTOL)
    assert by_term["e-3"]["estimate"] == pytest.approx(ref.DYNAMIC_ATT[-3], rel=ATT_RTOL)
    assert by_term["e0"]["estimate"] == pytest.approx(ref.DYNAMIC_ATT[0], rel=ATT_RTOL)
    row = by_term["att_2004_2006"]
    att, se = ref.ATT_GT[(2004, 2006)]
    assert row["estimate"] == pytest.approx(att, rel=ATT_RTOL)
    assert row["statistic"] == pytest.approx(att / se, rel=SE_RTOL)
    # Normal-based p-value 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt 2), and the 95% interval.
    assert row["p_value"] == pytest.approx(math.erfc(abs(att / se) / math.sqrt(2)), rel=SE_RTOL)
    assert row["ci_low"] == pytest.approx(att - 1.959963984540054 * se, rel=SE_RTOL)
    assert row["nobs"] == 500
    assert abs(by_term["pretrend_wald"]["p_value"] - ref.PRETREND_P) <= ref.PRETREND_P_ROUNDING
    assert len([t for t in by_term if t.startswith("att_")]) == 12
    assert len([t for t in by_term if t.startswith("e")]) == 7


def test_result_is_frozen(never):
    with pytest.raises(AttributeError):
        never.simple = None  # type: ignore[misc]
