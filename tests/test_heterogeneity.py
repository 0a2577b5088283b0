"""Heterogeneity (docs/methods.md section 6): group indicators, the paper's G x CBEC columns,
split samples and equal-effects tests, each checked against a second route.

Tolerances:
- ROUTES = 1e-10 relative: the heterogeneity output and a direct ``fit_twfe`` on
  an interaction column built here run the same algebra on the same rows; only
  floating-point rounding differs.
- REPARAM = 1e-8 relative: the equal-effects F from (G x CBEC, (1-G) x CBEC)
  against t^2 from the reparametrised model (CBEC, G x CBEC); the two designs
  differ, so rounding differs a little more (the algebra is identical).

Reference numbers are not needed: every check is a second computation of the
same definition (the Wald statistic by hand from params and cov; group
membership by plain pandas on the raw columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from xlcbec.core.did.city_groups import build_group_dummies
from xlcbec.core.did.heterogeneity import (
    EQUALITY_TERM,
    INTERACTION,
    SPLIT_TERM,
    group_dummies,
    heterogeneity,
)
from xlcbec.core.options import SEOptions
from xlcbec.core.panel import prepare_panel
from xlcbec.core.results import ESTIMATE_COLUMNS, estimates_frame
from xlcbec.core.twfe import fit_twfe
from xlcbec.errors import InputError, OptionError

ROUTES = 1e-10
REPARAM = 1e-8
CONTROLS = ["x1", "x2"]
YEARS = list(range(2010, 2018))


def make_panel(seed: int = 7, n_units: int = 60) -> pd.DataFrame:
    """60 cities x 8 years, staggered adoption (2012, 2014, 2016, never), seeded.

    The northeast has no pilot city (its column is not identified); city 60
    has a blank region; the coastal effect is planted (0.2 inland, 0.5 coastal).
    """
    rng = np.random.default_rng(seed)
    units = np.arange(1, n_units + 1)
    region = np.array(["east", "central", "west", "northeast"])[(units // 4) % 4].astype(object)
    cohort = np.where(region == "northeast", 0, np.array([2012, 2014, 2016, 0])[units % 4])
    region[-1] = ""
    coastal = (rng.random(n_units) < 0.4).astype(int)
    city_cluster = np.array(["BTH", "YRD", "PRD", "", "", ""], dtype=object)[units % 6]
    unit_effect = rng.normal(size=n_units)
    tertiary_level = np.where(units % 3 == 0, 0.75, 1.25) * np.exp(rng.normal(0, 0.2, n_units))
    population = np.exp(rng.normal(15.2, 0.4, n_units))
    rows = []
    for i, u in enumerate(units):
        for t in YEARS:
            d = float(cohort[i] > 0 and t >= cohort[i])
            x1, x2 = rng.normal(size=2)
            y = (unit_effect[i] + 0.05 * (t - 2010) + (0.2 + 0.3 * coastal[i]) * d + 0.4 * x1 - 0.2 * x2
                 + rng.normal(scale=0.5))
            rows.append({
                "city": f"c{u:02d}", "year": t, "pilot_year": cohort[i] if cohort[i] else np.nan, "y": y,
                "x1": x1, "x2": x2, "coastal": coastal[i], "region": region[i], "cluster": city_cluster[i],
                "gdp_tertiary": tertiary_level[i] * (1 + 0.06 * (t - 2010)), "gdp_secondary": 1.0,
                "population": population[i] * (1 + 0.01 * (t - 2010)),
            })
    frame = pd.DataFrame(rows)
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # spreadsheet row numbers
    return prepare_panel(frame, unit="city", time="year", first_treat="pilot_year").data


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


@pytest.fixture(scope="module")
def result(panel):
    return heterogeneity(panel, outcome="y", unit="city", time="year", controls=CONTROLS)


def independent_dummies(panel: pd.DataFrame, base_year: int = 2010, threshold: float = 5_000_000) -> pd.DataFrame:
    """Group membership computed here with plain pandas, independently of city_groups."""
    base = panel[panel.year == base_year].set_index("city")
    led = (base.gdp_tertiary / base.gdp_secondary > 1).astype(float)
    mega = (base.population > threshold).astype(float)
    region = panel.region.where(panel.region != "")
    out = {
        "coastal=1": (panel.coastal == 1).astype(float), "coastal=0": (panel.coastal == 0).astype(float),
        "tertiary_led=1": panel.city.map(led), "tertiary_led=0": 1 - panel.city.map(led),
        "megacity=1": panel.city.map(mega), "megacity=0": 1 - panel.city.map(mega),
    }
    for value in ("east", "central", "west", "northeast"):
        out[f"region={value}"] = (region == value).astype(float).where(region.notna())
    for value in ("BTH", "YRD", "PRD"):
        out[f"cluster={value}"] = (panel.cluster == value).astype(float)
    return pd.DataFrame(out, index=panel.index)


def test_group_dummies_match_plain_pandas(panel):
    built = group_dummies(panel, unit="city", time="year")
    expected = independent_dummies(panel)
    assert set(built.columns) == set(expected.columns)
    pd.testing.assert_frame_equal(built[expected.columns], expected, check_dtype=False)
    # Each two-valued group partitions the units with a known value.
    for group in ("coastal", "tertiary_led", "megacity"):
        assert (built[f"{group}=1"] + built[f"{group}=0"]).eq(1).all()
    # The blank region of city 60 is unknown (NaN), not a fifth region.
    assert built.loc[panel.city == "c60", "region=east"].isna().all()
    # Blank city cluster = in none of the three (0, not unknown).
    assert built.loc[panel.cluster == "", ["cluster=BTH", "cluster=YRD", "cluster=PRD"]].eq(0).all().all()


def test_base_year_decides_tertiary_led(panel):
    late = group_dummies(panel, unit="city", time="year", base_year=2015, groups=["tertiary_led"])
    early = group_dummies(panel, unit="city", time="year", groups=["tertiary_led"])
    pd.testing.assert_series_equal(late["tertiary_led=1"], independent_dummies(panel, 2015)["tertiary_led=1"],
                                   check_dtype=False)
    # Tertiary output grows faster than secondary here, so some cities become tertiary-led by 2015:
    # the test would not notice a base year that is ignored otherwise.
    assert (late["tertiary_led=1"] > early["tertiary_led=1"]).any()
    with pytest.raises(OptionError, match="base_year 2030"):
        group_dummies(panel, unit="city", time="year", base_year=2030)


@pytest.mark.parametrize("name", ["coastal=1", "coastal=0", "region=east", "region=west", "tertiary_led=1",
                                  "tertiary_led=0", "megacity=1", "megacity=0", "cluster=BTH", "cluster=PRD"])
def test_interaction_equals_direct_twfe(panel, result, name):
    frame = panel.copy()
    frame["G_x_treat"] = independent_dummies(panel)[name] * frame["CBEC"]
    direct = fit_twfe(frame, outcome="y", regressors=["G_x_treat", *CONTROLS], unit="city", time="year",
                      cluster="city")
    est = result[name].interaction
    assert est.nobs == direct.nobs
    np.testing.assert_allclose(est.params.to_numpy(), direct.params.to_numpy(), rtol=ROUTES, atol=0)
    np.testing.assert_allclose(est.cov.to_numpy(), direct.cov.to_numpy(), rtol=ROUTES, atol=1e-300)
    assert est.r2_within == pytest.approx(direct.r2_within, rel=ROUTES)
    assert est.df_inference == direct.df_inference == direct.n_clusters - 1


@pytest.mark.parametrize("name", ["coastal=1", "region=central", "megacity=1", "cluster=YRD"])
def test_split_sample_equals_baseline_on_group_rows(panel, result, name):
    rows = independent_dummies(panel)[name] == 1
    direct = fit_twfe(panel.loc[rows], outcome="y", regressors=["CBEC", *CONTROLS], unit="city", time="year")
    split = result[name].split
    assert split is not None and split.nobs == direct.nobs == int(rows.sum())
    np.testing.assert_allclose(split.params.to_numpy(), direct.params.to_numpy(), rtol=ROUTES)
    np.testing.assert_allclose(split.std_errors.to_numpy(), direct.std_errors.to_numpy(), rtol=ROUTES)


@pytest.mark.parametrize("name", ["coastal=1", "region=west", "tertiary_led=0", "cluster=PRD"])
def test_equality_test_by_hand(panel, result, name):
    frame = panel.copy()
    dummy = independent_dummies(panel)[name]
    frame["in_g"] = dummy * frame["CBEC"]
    frame["out_g"] = (1 - dummy) * frame["CBEC"]
    both = fit_twfe(frame, outcome="y", regressors=["in_g", "out_g", *CONTROLS], unit="city", time="year")
    b, v = both.params, both.cov
    diff = b["in_g"] - b["out_g"]
    f_hand = diff**2 / (v.loc["in_g", "in_g"] + v.loc["out_g", "out_g"] - 2 * v.loc["in_g", "out_g"])
    p_hand = stats.f.sf(f_hand, 1, both.n_clusters - 1)
    eq = result[name].equality
    assert eq is not None
    assert eq.difference == pytest.approx(diff, rel=ROUTES)
    assert eq.statistic == pytest.approx(f_hand, rel=ROUTES)
    assert eq.pvalue == pytest.approx(p_hand, rel=ROUTES)
    assert (eq.df_num, eq.df_denom) == (1, both.n_clusters - 1)
    assert both.n_clusters == (59 if name.startswith("region") else 60)  # city 60 has no region
    # Second route: y ~ CBEC + G x CBEC; the G x CBEC coefficient is the difference, its t^2 the F.
    reparam = fit_twfe(frame, outcome="y", regressors=["CBEC", "in_g", *CONTROLS], unit="city", time="year")
    assert reparam.params["in_g"] == pytest.approx(diff, rel=REPARAM)
    assert reparam.tstats["in_g"] ** 2 == pytest.approx(eq.statistic, rel=REPARAM)
    assert reparam.pvalues["in_g"] == pytest.approx(eq.pvalue, rel=REPARAM)


def test_two_valued_groups_test_the_same_difference(result):
    one, zero = result["coastal=1"].equality, result["coastal=0"].equality
    assert one.difference == pytest.approx(-zero.difference, rel=ROUTES)
    assert one.statistic == pytest.approx(zero.statistic, rel=ROUTES)


def test_group_without_treated_units_is_skipped_with_a_note(result):
    assert "region=northeast" not in result.estimates
    assert "no treated unit" in result.skipped["region=northeast"]
    assert any("region=northeast" in n and "not identified" in n for n in result.notes)
    models = {row["model"] for row in result.to_estimates()}
    assert "region=northeast" not in models and "region=east" in models
    # The unit with a blank region is reported, not silently dropped.
    assert any(n.startswith("region: 1 unit(s) have no value") for n in result.notes)
    assert result["region=east"].interaction.nobs == 59 * len(YEARS)


def test_absent_attribute_column_skips_the_group(panel):
    frame = panel.drop(columns=["population"])
    res = heterogeneity(frame, outcome="y", unit="city", time="year", controls=CONTROLS,
                        groups=["coastal", "megacity"])
    assert "megacity" in res.skipped and "population" in res.skipped["megacity"]
    assert any("megacity skipped" in n for n in res.notes)
    assert list(res.estimates) == ["coastal=1", "coastal=0"]
    with pytest.raises(InputError, match="population"):
        group_dummies(frame, unit="city", time="year", groups=["megacity"])


def test_estimates_rows(result):
    frame = estimates_frame(result.to_estimates())
    assert list(frame.columns) == list(ESTIMATE_COLUMNS)
    assert set(frame.analysis) == {"heterogeneity"}
    # Exact (==) for estimates and statistics: the rows hold copies of the results' own floats.
    inter = frame[frame.term == INTERACTION].set_index("model")
    assert list(inter.index) == list(result.estimates)
    for name, est in result.estimates.items():
        assert inter.loc[name, "estimate"] == est.coef
        assert inter.loc[name, "std_error"] == pytest.approx(float(est.interaction.std_errors[INTERACTION]), rel=ROUTES)
        assert inter.loc[name, "nobs"] == est.interaction.nobs
    split = frame[frame.term == SPLIT_TERM].set_index("model")
    assert split.loc["coastal=1", "estimate"] == float(result["coastal=1"].split.params["CBEC"])
    equality = frame[frame.term == EQUALITY_TERM].set_index("model")
    assert equality.loc["coastal=1", "statistic"] == result["coastal=1"].equality.statistic


def test_robust_standard_errors_pass_through(panel):
    res = heterogeneity(panel, outcome="y", unit="city", time="year", controls=CONTROLS, groups=["coastal"],
                        se=SEOptions(vcov="robust"))
    frame = panel.copy()
    frame["G_x_treat"] = (frame.coastal == 1) * frame.CBEC
    direct = fit_twfe(frame, outcome="y", regressors=["G_x_treat", *CONTROLS], unit="city", time="year",
                      vcov="robust")
    assert res["coastal=1"].interaction.std_errors.iloc[0] == pytest.approx(direct.std_errors.iloc[0], rel=ROUTES)
    # n - K without clustering; the equality model has one regressor more than the interaction model
    assert res["coastal=1"].equality.df_denom == direct.df_inference - 1 == direct.nobs - (3 + 60 + 8 - 1) - 1


def test_attribute_must_not_vary_within_a_city(panel):
    frame = panel.copy()
    row = frame.index[(frame.city == "c05") & (frame.year == 2013)][0]
    frame.loc[row, "coastal"] = 1 - frame.loc[row, "coastal"]
    with pytest.raises(InputError, match="c05") as info:
        group_dummies(frame, unit="city", time="year", groups=["coastal"])
    assert row in info.value.rows and info.value.column == "coastal"


def test_unknown_region_names_the_row(panel):
    frame = panel.copy()
    row = frame.index[frame.city == "c07"]
    frame.loc[row, "region"] = "south"
    with pytest.raises(InputError, match="south") as info:
        group_dummies(frame, unit="city", time="year", groups=["region"])
    assert info.value.row == row[0]


def test_population_in_ten_thousands_is_flagged(panel):
    frame = panel.assign(population=panel.population / 10_000)
    built = build_group_dummies(frame, unit="city", time="year", groups=["megacity"])
    assert any("10,000 persons" in n for n in built.notes)


def test_mpdta_megacity(test_data):
    """A real panel: mpdta counties, megacity = population above 50,000 persons (lpop is log thousands)."""
    raw = pd.read_csv(test_data / "mpdta.csv")
    raw.index = raw.index + 2
    raw["population"] = np.exp(raw.lpop) * 1000
    data = prepare_panel(raw, unit="countyreal", time="year", first_treat="first_treat").data
    res = heterogeneity(data, outcome="lemp", unit="countyreal", time="year",
                        groups=["megacity", "tertiary_led"], megacity_threshold=50_000)
    assert "tertiary_led" in res.skipped  # no output columns in mpdta
    for name, flag in (("megacity=1", 1.0), ("megacity=0", 0.0)):
        frame = data.copy()
        frame["G_x_treat"] = (frame.population > 50_000).astype(float).eq(flag) * frame.CBEC
        direct = fit_twfe(frame, outcome="lemp", regressors=["G_x_treat"], unit="countyreal", time="year")
        assert res[name].coef == pytest.approx(float(direct.params.iloc[0]), rel=ROUTES)
        assert res[name].interaction.std_errors.iloc[0] == pytest.approx(float(direct.std_errors.iloc[0]), rel=ROUTES)
    # Split samples partition the treated counties' rows of the baseline.
    assert res["megacity=1"].split.nobs + res["megacity=0"].split.nobs == 2500


def test_group_identified_only_against_the_complement(panel):
    """PRD = exactly the 2014 adopters: G x CBEC is identified (others compare), the split sample is not."""
    frame = panel.copy()
    frame["cluster"] = np.where(frame["_first_treat"] == 2014, "PRD", "")
    res = heterogeneity(frame, outcome="y", unit="city", time="year", controls=CONTROLS, groups=["cluster"])
    prd = res["cluster=PRD"]
    assert prd.split is None and prd.equality is not None
    assert any("cluster=PRD: split-sample estimate not identified" in n for n in res.notes)
    assert SPLIT_TERM not in {r["term"] for r in prd.to_estimates()}
    assert "cluster=BTH" in res.skipped  # no city left in BTH


def test_complement_without_treated_units(panel):
    """coastal = ever treated: coastal=0 has no treated city (skipped); coastal=1 has no complement to test."""
    frame = panel.copy()
    frame["coastal"] = frame["_first_treat"].notna().astype(int)
    res = heterogeneity(frame, outcome="y", unit="city", time="year", controls=CONTROLS, groups=["coastal"])
    assert list(res.estimates) == ["coastal=1"] and "coastal=0" in res.skipped
    assert res["coastal=1"].equality is None
    assert any("no treated unit outside the group" in n for n in res.notes)


def test_lenient_spellings(panel):
    frame = panel.copy()
    frame["coastal"] = frame["coastal"].map({1: "yes", 0: "no"})
    frame["cluster"] = frame["cluster"].replace({"BTH": "JJJ", "": "Chengdu-Chongqing"})
    built = build_group_dummies(frame, unit="city", time="year", groups=["coastal", "cluster"])
    expected = independent_dummies(panel)
    pd.testing.assert_frame_equal(built.dummies[["coastal=1", "cluster=BTH", "cluster=PRD"]],
                                  expected[["coastal=1", "cluster=BTH", "cluster=PRD"]], check_dtype=False)
    assert any("Chengdu-Chongqing" in n and "complement" in n for n in built.notes)
