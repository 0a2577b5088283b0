"""Table specifications: the paper's regression layout (docs/methods.md section 11) and plain tables.

Reference numbers: coefficients and t statistics are the paper's Table 4/7
values (cbec_pilot_zones_paper.txt), used as inputs; p-values follow from
t(df) by the formula p = 2 * t.sf(|t|, df) (scipy.stats), star counts from the
contract's rule p < level for levels 0.1, 0.05, 0.01.

Tolerances: 1e-12 relative for numbers passed through unchanged (only float
re-association of b / se); formats compared exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from xlcbec.core.results import RegressionResult
from xlcbec.report import formats
from xlcbec.report.labels import LABELS, label, stars_note
from xlcbec.report.tables import Cell, frame_table, regression_table, starred_cell

REL = 1e-12
DF = 279  # G - 1 for 280 cities


def result(coefs: dict[str, tuple[float, float]], *, nobs=3327, r2=0.6045, r2_within=0.25, fe=("unit", "time"), vcov="cluster", dropped=()):
    """A RegressionResult from {term: (coefficient, t statistic)}: se = b / t, diagonal covariance."""
    names = list(coefs)
    params = pd.Series([coefs[n][0] for n in names], index=names, name="coef")
    se = np.array([coefs[n][0] / coefs[n][1] for n in names])
    cov = pd.DataFrame(np.diag(se**2), index=names, columns=names)
    return RegressionResult(
        params=params, cov=cov, nobs=nobs, df_inference=DF, df_resid=nobs - 20, n_clusters=280 if vcov == "cluster" else None,
        r2_within=r2_within, r2=r2, rss=1.0, fixed_effects=fe, vcov_type=vcov, small_sample="stata", dropped_collinear=dropped,
        cluster="city" if vcov == "cluster" else None,
    )


def expected_stars(t: float) -> int:
    p = 2 * stats.t.sf(abs(t), DF)
    return sum(p < level for level in (0.1, 0.05, 0.01))


def test_star_count_boundaries():
    stars = (0.1, 0.05, 0.01)
    assert [formats.star_count(p, stars) for p in (0.2, 0.1, 0.0999, 0.05, 0.049, 0.01, 0.0099, float("nan"), None)] == [0, 0, 1, 1, 2, 2, 3, 0, 0]
    assert formats.starred(4, 3) == '0.0000"***"' and formats.starred(4, 0) == "0.0000"
    assert formats.parenthesised(2) == "(0.00);(-0.00)"


def test_baseline_layout_matches_the_paper():
    columns = [
        ("HQD", result({"CBEC": (0.0113, 6.13)}, nobs=3336, r2=0.5989)),
        ("HQD", result({"CBEC": (0.0107, 3.60), "lnpop": (0.02, 1.2)}, nobs=3327)),
        ("HQD", result({"CBEC": (0.0101, 3.37), "lnpop": (0.02, 1.2)}, nobs=3279, r2=0.6004)),
    ]
    table = regression_table(columns, terms=["CBEC"], controls_row=[False, True, True], title="Table 4")
    grid = table.values()
    assert grid[0] == ["Variables", "HQD", "HQD", "HQD"]
    assert grid[1] == ["", "(1)", "(2)", "(3)"]
    assert [row[0] for row in grid[2:]] == ["CBEC", "", "Control variables", "City fixed effect", "Year fixed effect", "N", "R-squared", "Within R-squared"]
    coef, stat = table.body[0], table.body[1]
    for j, (b, t) in enumerate(((0.0113, 6.13), (0.0107, 3.60), (0.0101, 3.37)), start=1):
        assert coef[j].value == pytest.approx(b, rel=REL)
        assert coef[j].number_format == formats.starred(4, expected_stars(t)) == '0.0000"***"'
        assert stat[j].value == pytest.approx(t, rel=REL) and stat[j].number_format == "(0.00);(-0.00)"
    assert [c.value for c in table.find_row("Control variables")[1:]] == ["No", "Yes", "Yes"]
    assert [c.value for c in table.find_row("N")[1:]] == [3336, 3327, 3279]
    assert [c.value for c in table.find_row("R-squared")[1:]] == [0.5989, 0.6045, 0.6004]
    assert table.notes[0] == ("Note: ***, ** and * indicate significance at the 1%, 5% and 10% levels, respectively, "
                              "with t statistics in parentheses.")
    assert table.notes[1] == "Standard errors clustered by city (280 clusters)."


def test_heterogeneity_columns_show_their_own_terms_and_stars():
    # Table 7 t statistics: 4.07, 1.03, -0.94, 2.78, and a 10%-level case 1.70.
    columns = [(name, result({term: (b, t)})) for name, term, b, t in (
        ("Coastal cities", "coastalxCBEC", 0.0168, 4.07),
        ("Inland cities", "inlandxCBEC", 0.0039, 1.03),
        ("Central region", "midxCBEC", -0.0033, -0.94),
        ("Northeast region", "northeastxCBEC", 0.0256, 2.78),
        ("Test", "testxCBEC", 0.01, 1.70),
    )]
    table = regression_table(columns, term_labels={"coastalxCBEC": "Coast × CBEC"})
    assert table.body[0][0].value == "Coast × CBEC"
    ts = (4.07, 1.03, -0.94, 2.78, 1.70)
    for j, t in enumerate(ts, start=1):
        row = table.body[2 * (j - 1)]
        filled = [k for k, c in enumerate(row[1:], start=1) if c.value is not None]
        assert filled == [j]
        assert row[j].number_format.count("*") == expected_stars(t)
    assert [expected_stars(t) for t in ts] == [3, 0, 0, 3, 1]
    negative_stat = table.body[5][3]
    assert negative_stat.value == pytest.approx(-0.94, rel=REL)


def test_standard_errors_in_parentheses_and_chinese_labels():
    table = regression_table([("HQD", result({"CBEC": (0.0303, 3.19)}))], stat="se", language="zh", controls_row=[True])
    assert table.body[1][1].value == pytest.approx(0.0303 / 3.19, rel=REL)
    assert table.body[1][1].number_format == "(0.0000);(-0.0000)"
    assert table.header[0][0].value == "变量"
    assert [r[0].value for r in table.body[2:5]] == ["控制变量", "城市固定效应", "年份固定效应"]
    assert table.body[2][1].value == "是"
    assert table.notes[0] == "注：***、**、* 分别表示在 1%、5%、10% 的水平上显著；括号内为标准误。"


def test_fixed_effect_rows_follow_each_result():
    table = regression_table([("a", result({"x": (1.0, 2.0)}, fe=("time",))), ("b", result({"x": (1.0, 2.0)}, fe=()))])
    assert [c.value for c in table.find_row("City fixed effect")[1:]] == ["No", "No"]
    assert [c.value for c in table.find_row("Year fixed effect")[1:]] == ["Yes", "No"]


def test_notes_for_other_thresholds_robust_ses_and_dropped_terms():
    table = regression_table(
        [("y", result({"x": (1.0, 2.0)}, vcov="robust", dropped=("lnpop",)))], stars=(0.05, 0.01, 0.001), extra_rows=[("Sobel Z", [starred_cell(6.884, 5e-12, (0.05, 0.01, 0.001), digits=3)])]
    )
    assert table.notes[0].startswith("Note: ***, ** and * indicate significance at the 0.1%, 1% and 5% levels")
    assert table.notes[1] == "Heteroskedasticity-robust (HC1) standard errors."
    assert "dropped as collinear: lnpop" in table.notes[2]
    sobel = table.find_row("Sobel Z")
    assert sobel[1].value == 6.884 and sobel[1].number_format == '0.000"***"'


def test_missing_values_are_empty_cells_never_nan():
    frame = pd.DataFrame({"Obs": [3360, 3351], "Mean": [0.0929, np.nan]}, index=pd.Index(["CBEC", "lnaca"], name="variable"))
    table = frame_table(frame, key="descriptives", number_formats={"Mean": "0.0000"})
    assert table.values() == [["Variable", "Obs", "Mean"], ["CBEC", 3360, 0.0929], ["Human capital (ln)", 3351, None]]
    assert table.body[0][1].number_format == "0" and table.body[0][2].number_format == "0.0000"
    assert all(not (isinstance(v, float) and np.isnan(v)) for row in table.values() for v in row)


def test_cells_stay_numbers():
    cell = starred_cell(np.float64(-0.0033), 0.35, (0.1, 0.05, 0.01))
    assert isinstance(cell.value, float) and cell.is_number and cell.number_format == "0.0000"
    assert starred_cell(float("nan"), 0.1, (0.1, 0.05, 0.01)) == Cell()


def test_every_label_has_english_and_chinese():
    assert all(en and zh for en, zh in LABELS.values())
    assert label("city_fe", "zh") == "城市固定效应" and label("unknown_column") == "unknown_column"
    assert stars_note((0.1, 0.05, 0.01), "t", "en").endswith("t statistics in parentheses.")
