"""The embedded demo data: real cities and pilot years, a seeded synthetic panel with known effects."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from tests.reference.demo_data import (
    CITY_COUNT,
    CLUSTER_COUNTS,
    COASTAL_COUNT,
    MUNICIPALITY_COUNT,
    PILOT_COUNT_2022,
    PILOT_COUNTS_2010_2021,
    TABLE3,
    TABLE4_CONTROLS_COEF,
    TREATED_2010_2021,
    TREATED_PREFECTURE_ONLY,
)
from xlcbec import demo_data
from xlcbec.core.did.event_study import event_study
from xlcbec.core.index.entropy import entropy_index
from xlcbec.core.panel import interpolate_interior, prepare_panel
from xlcbec.core.twfe import fit_twfe
from xlcbec.demo_data import (
    CONTROL_COLUMNS,
    DIGINF_COLUMNS,
    EMPLOYMENT_COLUMNS,
    HQD_COLUMNS,
    HQD_INDICATORS,
    OUTCOME_COLUMNS,
    PANEL_COLUMNS,
    TAU_TOTAL,
    hqd_entropy,
    make_county_panel,
    make_demo_panel,
    true_baseline_effect,
)

# Tolerances, and why.
# Two routes to the same floating-point number (within-OLS by hand vs fit_twfe,
# an index by hand vs entropy_index, a formula vs the generator): 1e-9 relative;
# they differ only by summation order.
ROUTE_RTOL = 1e-9
# Exact (check_exact=True, ==): the generator run twice with the same seed (same
# calls, same draws: bit-identical by design), and the untreated world against the
# observed one off treatment (the same formula on the same draws with effect 0.0).
# Table 3 comparison: the controls are synthetic draws whose parameters were set
# to resemble Table 3, not fitted to it.  A mean within 0.25 of the paper's
# standard deviation and a standard deviation within 15% are "Table 3-like".
TABLE3_MEAN_TOL_SD = 0.25
TABLE3_SD_RATIO = (0.85, 1.15)
# The TWFE estimand (the noise-free regression of the planted effects) weights
# cities differently from the ATT; for the default seed they must agree within
# half a clustered standard error so the baseline CI is informative about the ATT.
ESTIMAND_GAP_IN_SE = 0.5


@pytest.fixture(scope="module")
def demo() -> demo_data.DemoData:
    return make_demo_panel()


@pytest.fixture(scope="module")
def analysed(demo: demo_data.DemoData) -> pd.DataFrame:
    """The demo panel as the pipeline sees it: Cities merged, CBEC derived, gaps interpolated, HQD added."""
    frame = demo.panel.merge(demo.cities[["city", "pilot_year", "coastal", "region"]], on="city", how="left")
    frame.index = demo.panel.index
    data = prepare_panel(frame).data
    hqd = entropy_index(data, list(HQD_COLUMNS), {i.column: i.direction for i in HQD_INDICATORS}, name="HQD")
    data["HQD"] = hqd.scores
    return data


@pytest.fixture(scope="module")
def truth(demo: demo_data.DemoData) -> float:
    return true_baseline_effect(demo)


# --- the real cities and pilot years -------------------------------------------------


def test_cities_match_the_public_list(demo, test_data):
    public = pd.read_csv(test_data / "cities.csv")
    cities = demo.cities
    assert len(cities) == CITY_COUNT == len(public)
    assert cities["city"].is_unique
    assert (cities["city"].to_numpy() == public["code"].to_numpy()).all()
    assert (cities["city_zh"].to_numpy() == public["city_zh"].to_numpy()).all()
    assert (cities["city_en"].to_numpy() == public["city_en"].to_numpy()).all()
    assert (cities["province"].to_numpy() == public["province_en"].to_numpy()).all()
    assert (cities["region"].to_numpy() == public["region"].to_numpy()).all()
    assert cities["coastal"].sum() == COASTAL_COUNT
    assert cities["cluster"].value_counts().to_dict() == CLUSTER_COUNTS
    assert cities["municipality"].sum() == MUNICIPALITY_COUNT
    assert list(cities.index[:2]) == [2, 3]  # sheet rows: header in row 1


def test_pilot_years_are_the_earliest_credited_approval(demo, test_data):
    # Route 2: derive from the pilot list directly (county-level pilots credited to their parent city).
    pilots = pd.read_csv(test_data / "cbec_pilots.csv")
    pilots = pilots[pilots["panel_code"].notna()]
    earliest = pilots.groupby(pilots["panel_code"].astype(np.int64))["year"].min()
    expected = demo.cities["city"].map(earliest).astype(float)
    pd.testing.assert_series_equal(demo.cities["pilot_year"], expected, check_names=False)


def test_pilot_year_counts(demo, test_data):
    years = demo.cities["pilot_year"]
    within = years[(years >= 2010) & (years <= 2021)]
    assert len(within) == TREATED_2010_2021
    assert within.astype(int).value_counts().sort_index().to_dict() == PILOT_COUNTS_2010_2021
    assert (years == 2022).sum() == PILOT_COUNT_2022
    assert years.isna().sum() == CITY_COUNT - TREATED_2010_2021 - PILOT_COUNT_2022
    # README's second figure: prefecture-level and municipality pilots only.
    pilots = pd.read_csv(test_data / "cbec_pilots.csv")
    prefecture = pilots[pilots["admin_level"].isin(["prefecture", "municipality"]) & pilots["panel_code"].isin(demo.cities["city"])]
    first = prefecture.groupby("panel_code")["year"].min()
    assert int((first <= 2021).sum()) == TREATED_PREFECTURE_ONLY
    assert demo.truth["treated_units"] == TREATED_2010_2021


# --- shape, determinism, plausibility ---------------------------------------------


def test_panel_layout(demo):
    panel = demo.panel
    assert tuple(panel.columns) == PANEL_COLUMNS
    assert len(panel) == CITY_COUNT * 12 == 3420
    assert panel["year"].min() == 2010 and panel["year"].max() == 2021
    assert not panel.duplicated(["city", "year"]).any()
    assert panel["city"].dtype == np.int64 and panel["city"].between(100000, 999999).all()
    assert (panel.groupby("city")["city_name"].nunique() == 1).all()
    assert panel.index[0] == 2 and panel.index.is_monotonic_increasing
    assert len(HQD_COLUMNS) == 20 and len(DIGINF_COLUMNS) == 6
    assert all(c.startswith("di_") for c in DIGINF_COLUMNS)
    assert demo.untreated.index.equals(panel.index) and demo.effects.index.equals(panel.index)
    assert tuple(demo.untreated.columns) == OUTCOME_COLUMNS


def test_deterministic_given_the_seed():
    first, second = make_demo_panel(seed=7), make_demo_panel(seed=7)
    # Same call, same seed: bit-identical by design (pandas' default would allow 1e-5).
    pd.testing.assert_frame_equal(first.panel, second.panel, check_exact=True)
    pd.testing.assert_frame_equal(first.untreated, second.untreated, check_exact=True)
    other = make_demo_panel(seed=8)
    assert not np.allclose(first.panel["patents_per_10k"].fillna(0), other.panel["patents_per_10k"].fillna(0))
    assert first.truth["seed"] == 7 and first.seed == 7


def test_results_are_read_only(demo):
    with pytest.raises(dataclasses.FrozenInstanceError):
        demo.panel = demo.panel  # type: ignore[misc]
    with pytest.raises(TypeError):
        demo.truth["seed"] = 1  # type: ignore[index]


def test_values_are_plausible(demo):
    panel = demo.panel
    assert (panel[list(EMPLOYMENT_COLUMNS)] > 0).all().all()
    sectors = panel[list(EMPLOYMENT_COLUMNS[:-1])].sum(axis=1)
    assert (sectors < panel["emp_total"]).all()
    assert (panel["emp_total"] < panel["population"]).all()
    # Percentages stay in [0, 100], except trade (imports + exports) / GDP, which exceeds 100% in real port cities.
    percent = [i.column for i in HQD_INDICATORS if i.unit == "%" and i.column != "trade_openness"]
    assert ((panel[percent] >= 0) & (panel[percent] <= 100)).all().all()
    positive = [c for c in (*HQD_COLUMNS, *DIGINF_COLUMNS, "population", "gdp_tertiary", "gdp_secondary", "envir")]
    assert ((panel[positive] > 0) | panel[positive].isna()).all().all()
    assert (panel["urban_rural_income_ratio"] > 1).all()
    assert panel["urban"].dropna().between(0, 1).all()
    assert panel["envir"].dropna().between(0, 100).all()
    gdp = np.exp(panel["lngdp"]) * (1 + 1e-12)
    assert (panel["gdp_tertiary"] + panel["gdp_secondary"] < gdp).all()
    # No indicator cell of the default demo reaches a clipping bound (so the process is exactly as documented).
    for ind in (*demo_data.HQD_INDICATORS, *demo_data.DIGINF_INDICATORS):
        for frame in (demo.untreated, panel):
            values = frame[ind.column].dropna()
            if ind.kind == "share":
                assert values.between(*demo_data._SHARE_BOUNDS, inclusive="neither").all(), ind.column
            elif ind.kind in ("level", "excess"):
                floor = demo_data._LEVEL_FLOOR * np.exp(ind.centre) + (1.0 if ind.kind == "excess" else 0.0)
                assert (values > floor).all(), ind.column


def test_controls_resemble_table3(demo):
    for column in CONTROL_COLUMNS:
        _obs, mean, sd, *_ = TABLE3[column]
        values = demo.panel[column].dropna()
        assert abs(values.mean() - mean) < TABLE3_MEAN_TOL_SD * sd, column
        assert TABLE3_SD_RATIO[0] < values.std() / sd < TABLE3_SD_RATIO[1], column


def test_planted_gaps(demo):
    missing = demo.panel.isna().sum()
    assert missing[missing > 0].to_dict() == {
        "patents_per_10k": 2, "wastewater_per_gdp": 4, "lnaca": 5, "urban": 5, "di_fiber": 2, "envir": 3,
    }
    edge_years = demo.panel["year"].isin([2010, 2021])
    # The HQD indicators have interior gaps only, so interpolation completes them.
    assert not demo.panel.loc[edge_years, list(HQD_COLUMNS)].isna().any().any()
    filled, counts = interpolate_interior(demo.panel, columns=list(HQD_COLUMNS), unit="city", time="year")
    assert not filled[list(HQD_COLUMNS)].isna().any().any()
    assert counts == {"patents_per_10k": 2, "wastewater_per_gdp": 4}
    # Edge gaps outside the index stay missing: lnaca 2010 (2), urban 2021 (2), envir 2010 (1).
    assert demo.panel.loc[edge_years, ["lnaca", "urban", "envir"]].isna().sum().to_dict() == {
        "lnaca": 2, "urban": 2, "envir": 1,
    }


# --- tables: indicators and policies -----------------------------------------------


def test_indicator_table_matches_the_public_system(demo, test_data):
    public = pd.read_csv(test_data / "hqd_indicators.csv")
    assert [i.name_zh for i in HQD_INDICATORS] == public["indicator_zh"].tolist()
    assert [i.name_en for i in HQD_INDICATORS] == public["indicator_en"].tolist()
    assert [i.dimension for i in HQD_INDICATORS] == public["dimension_en"].tolist()
    assert [i.dimension_zh for i in HQD_INDICATORS] == public["dimension_zh"].tolist()
    assert [i.unit for i in HQD_INDICATORS] == public["unit"].tolist()
    assert [i.direction for i in HQD_INDICATORS] == public["direction"].map({"positive": "+", "negative": "-"}).tolist()
    table = demo.indicators
    assert list(table.columns) == ["index", "column", "dimension", "direction", "include"]
    assert table["index"].value_counts().to_dict() == {"HQD": 20, "diginf": 6}
    assert table["column"].tolist() == [*HQD_COLUMNS, *DIGINF_COLUMNS]
    assert set(table["include"]) == {"yes"} and set(table["direction"]) <= {"+", "-"}


def test_policies_have_real_titles_and_keyword_texts(demo, test_data):
    docs = pd.read_csv(test_data / "policy_docs.csv")
    keywords = pd.read_csv(test_data / "policy_keywords.csv")
    policies = demo.policies
    assert list(policies.columns) == ["year", "title", "issuer", "text"]
    assert len(policies) >= 8
    by_title = {**docs.set_index("title_zh")[["year", "issuer"]].T.to_dict(),
                **docs.set_index("title_en")[["year"]].T.to_dict()}
    for row in policies.itertuples():
        assert row.title in by_title, row.title
        assert row.year == by_title[row.title]["year"]
        if "issuer" in by_title[row.title]:
            assert row.issuer == by_title[row.title]["issuer"]
        zh = sum(k in row.text for k in keywords["keyword_zh"])
        en = sum(k.lower() in row.text.lower() for k in keywords["keyword_en"])
        assert max(zh, en) >= 3, row.title
    assert "SYNTHETIC" in demo_data.DEMO_NOTICE_EN and "模拟数据" in demo_data.DEMO_NOTICE_ZH


# --- the planted effects ----------------------------------------------------------


def test_effects_are_zero_off_treatment_and_constant_in_event_time(demo):
    treated = demo.treated.to_numpy()
    effects = demo.effects
    assert (effects.to_numpy()[~treated] == 0).all()
    # Untreated potential outcomes equal the observations on untreated rows (where not blanked).
    observed = demo.panel[list(OUTCOME_COLUMNS)].to_numpy(dtype=float)[~treated]
    untreated = demo.untreated.to_numpy(dtype=float)[~treated]
    present = ~np.isnan(observed)
    # Exact: the same formula on the same draws, with an effect of 0.0 in both worlds here.
    np.testing.assert_array_equal(observed[present], untreated[present])
    # No dynamics: each HQD indicator's effect is the same in every treated year of a city.
    on = effects.loc[treated, list(HQD_COLUMNS)].assign(city=demo.panel.loc[treated, "city"])
    spread = on.groupby("city").agg(lambda s: s.max() - s.min()).to_numpy()
    scale = np.abs(on[list(HQD_COLUMNS)]).max().to_numpy()
    assert (spread <= ROUTE_RTOL * scale).all()


def test_share_indicator_effect_is_the_documented_formula(demo):
    # "share" kind: x - x(0) = sign * effect * TAU_TOTAL * m_i, m_i = 0.5 + 0.6 coastal + 0.5 east.
    treated = demo.treated.to_numpy()
    cities = demo.cities.set_index("city")
    m = (0.5 + 0.6 * cities["coastal"] + 0.5 * (cities["region"] == "east")).rename("m")
    m_row = demo.panel["city"].map(m).to_numpy()[treated]
    for ind in HQD_INDICATORS:
        if ind.kind != "share":
            continue
        sign = 1.0 if ind.direction == "+" else -1.0
        expected = sign * ind.effect * TAU_TOTAL * m_row
        np.testing.assert_allclose(demo.effects[ind.column].to_numpy()[treated], expected, rtol=ROUTE_RTOL)


def test_mechanisms_move_the_mediators(demo):
    treated = demo.treated.to_numpy()
    assert (demo.effects.loc[treated, list(DIGINF_COLUMNS)] > 0).all().all()
    assert (demo.effects.loc[treated, "envir"] > 0).all()
    assert (demo.effects.loc[treated, list(EMPLOYMENT_COLUMNS[:-1])] >= 0).all().all()
    assert (demo.effects["emp_total"] == 0).all()
    assert (demo.effects[["gdp_tertiary"]].loc[treated] > 0).all().all()


def test_true_effect_by_hand(demo, truth):
    # Route 2: delta_it = sum_j w_j sign_j (x - x0) / (max - min), averaged over treated rows.
    weights = hqd_entropy(demo).weights
    values = demo.panel[list(HQD_COLUMNS)]
    total = np.zeros(len(values))
    for ind in HQD_INDICATORS:
        sign = 1.0 if ind.direction == "+" else -1.0
        span = values[ind.column].max() - values[ind.column].min()
        total += weights[ind.column] * sign * demo.effects[ind.column].to_numpy() / span
    by_hand = total[demo.treated.to_numpy()].mean()
    assert truth == pytest.approx(by_hand, rel=ROUTE_RTOL)
    assert truth == pytest.approx(true_baseline_effect(demo, weights), rel=ROUTE_RTOL)
    # Same order of magnitude as the paper's Table 4 column (2).
    assert TABLE4_CONTROLS_COEF / 3 < truth < TABLE4_CONTROLS_COEF * 3
    # Heterogeneity: coastal cities gain more than inland ones.
    coastal = demo.panel["city"].map(demo.cities.set_index("city")["coastal"]).to_numpy() == 1
    assert true_baseline_effect(demo, weights, rows=coastal) > 2 * true_baseline_effect(demo, weights, rows=~coastal)


def test_index_by_hand_matches_entropy_index(demo, analysed):
    # Route 2 for the outcome: docs/methods.md section 2 in a few lines of numpy.
    x = analysed[list(HQD_COLUMNS)].to_numpy(dtype=float)
    lo, hi = x.min(axis=0), x.max(axis=0)
    negative = np.array([i.direction == "-" for i in HQD_INDICATORS])
    std = np.where(negative, (hi - x) / (hi - lo), (x - lo) / (hi - lo))
    shifted = std + 1e-4
    p = shifted / shifted.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(len(x))
    w = (1 - e) / (1 - e).sum()
    np.testing.assert_allclose(std @ w, analysed["HQD"].to_numpy(), rtol=ROUTE_RTOL)
    np.testing.assert_allclose(w, hqd_entropy(demo).weights.to_numpy(), rtol=ROUTE_RTOL)


def _within_ols(data: pd.DataFrame, outcome: str, treatment: str) -> float:
    """Closed-form two-way-demeaned OLS on a balanced panel: sum(d~ y~) / sum(d~^2)."""
    def demean(column: str) -> np.ndarray:
        v = data[column]
        return (v - v.groupby(data["city"]).transform("mean") - v.groupby(data["year"]).transform("mean")
                + v.mean()).to_numpy()
    d, y = demean(treatment), demean(outcome)
    return float(d @ y / (d @ d))


def _dummy_ols(data: pd.DataFrame, outcome: str, regressors: list[str]) -> float:
    """OLS with city and year effects on an unbalanced sample: the coefficient of regressors[0].

    Frisch-Waugh-Lovell: demeaning every column within city absorbs the city
    dummies exactly; the year dummies stay in the design.
    """
    sample = data.dropna(subset=[outcome, *regressors])
    years = pd.get_dummies(sample["year"], drop_first=True, dtype=float)
    columns = pd.concat([sample[[outcome, *regressors]].astype(float), years], axis=1)
    within = columns - columns.groupby(sample["city"]).transform("mean")
    design = within.drop(columns=[outcome]).to_numpy()
    coef, *_ = np.linalg.lstsq(design, within[outcome].to_numpy(), rcond=None)
    return float(coef[0])


def test_baseline_recovers_the_planted_effect(analysed, truth):
    """Acceptance: the baseline DID's 95% CI covers the effect implied by the process."""
    assert len(analysed) == 3420 and analysed["HQD"].notna().all()  # balanced after interpolation
    controls = list(CONTROL_COLUMNS)
    no_controls = fit_twfe(analysed, outcome="HQD", regressors=["CBEC"], unit="city", time="year", cluster="city")
    with_controls = fit_twfe(analysed, outcome="HQD", regressors=["CBEC", *controls], unit="city", time="year",
                             cluster="city")
    # Two routes to each coefficient.
    assert no_controls.params["CBEC"] == pytest.approx(_within_ols(analysed, "HQD", "CBEC"), rel=ROUTE_RTOL)
    assert with_controls.params["CBEC"] == pytest.approx(_dummy_ols(analysed, "HQD", ["CBEC", *controls]),
                                                         rel=ROUTE_RTOL)
    assert with_controls.nobs == 3420 - 4  # lnaca 2010 (2) and urban 2021 (2) are edge gaps, not interpolated
    for result in (no_controls, with_controls):
        low, high = result.conf_int().loc["CBEC"]
        assert low < truth < high, (low, truth, high)
        assert result.pvalues["CBEC"] < 0.01


def test_twfe_estimand_is_close_to_the_att(demo, analysed, truth):
    # The noise-free regression of the planted index effects on CBEC (same FE, no controls).
    weights = hqd_entropy(demo).weights
    values = demo.panel[list(HQD_COLUMNS)]
    sign = np.array([1.0 if i.direction == "+" else -1.0 for i in HQD_INDICATORS])
    span = (values.max() - values.min()).to_numpy()
    frame = analysed.assign(delta=demo.effects[list(HQD_COLUMNS)].to_numpy() @ (sign * weights.to_numpy() / span))
    estimand = _within_ols(frame, "delta", "CBEC")
    se = fit_twfe(analysed, outcome="HQD", regressors=["CBEC"], unit="city", time="year").std_errors["CBEC"]
    assert abs(estimand - truth) < ESTIMAND_GAP_IN_SE * se


def test_event_study_pre_period_is_flat(analysed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = event_study(analysed, outcome="HQD", unit="city", time="year", controls=list(CONTROL_COLUMNS))
    table = result.table.set_index("r")
    assert result.pretrend.pvalue > 0.05
    assert (table.loc[[0, 1, 2, 3], "pvalue"] < 0.01).all()


# --- the county panel -------------------------------------------------------------


def test_county_panel():
    county = make_county_panel(n_units=300, years=range(2001, 2021), seed=3)
    assert tuple(county.panel.columns) == PANEL_COLUMNS
    assert len(county.panel) == 300 * 20
    assert county.cities["city"].tolist() == list(range(1, 301))
    assert (county.panel[list(EMPLOYMENT_COLUMNS)] > 0).all().all()
    assert county.cities["pilot_year"].isna().any() and county.cities["pilot_year"].notna().any()
    # Same call, same seed: bit-identical by design.
    pd.testing.assert_frame_equal(county.panel, make_county_panel(n_units=300, years=range(2001, 2021), seed=3).panel,
                                  check_exact=True)
    full = make_county_panel()
    assert full.panel.shape == (2850 * 20, len(PANEL_COLUMNS))
    assert full.panel["year"].min() == 2001 and full.panel["year"].max() == 2020


def test_custom_years_and_bad_years():
    short = make_demo_panel(years=range(2014, 2019))
    assert sorted(short.panel["year"].unique()) == [2014, 2015, 2016, 2017, 2018]
    assert short.truth["treated_units"] == 1 + 12 + 22  # 2015, 2016, 2018 batches
    with pytest.raises(ValueError, match="consecutive"):
        make_demo_panel(years=[2010, 2012, 2013])
