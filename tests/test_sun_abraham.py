"""Sun-Abraham interaction-weighted event study.

Tolerances: post periods and the ATT against full-precision R did values,
1e-9 relative (same algebra, different code path); pre periods published to
6 decimals: 5e-7 absolute.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.reference import sun_abraham as REF
from xlcbec.core.panel import prepare_panel
from xlcbec.core.staggered.sun_abraham import sun_abraham
from xlcbec.errors import NotApplicableError


@pytest.fixture(scope="module")
def mpdta(test_data):
    df = pd.read_csv(test_data / "mpdta.csv")
    df.index = df.index + 2
    return prepare_panel(df, unit="countyreal", time="year", first_treat="first_treat").data


def test_mpdta_matches_references(mpdta):
    res = sun_abraham(mpdta, outcome="lemp", unit="countyreal", time="year")
    table = res.table.set_index("r")
    for r, value in REF.POST.items():
        assert table.loc[r, "coef"] == pytest.approx(value, rel=1e-9)
    for r, value in REF.PRE.items():
        assert table.loc[r, "coef"] == pytest.approx(value, abs=5e-7)
    assert res.att == pytest.approx(REF.ATT, rel=1e-9)
    assert -1 not in table.index
    terms = [row["term"] for row in res.to_estimates()]
    assert terms == ["e-4", "e-3", "e-2", "e0", "e1", "e2", "e3", "att"]


def test_cell_is_a_long_difference_and_weights_are_shares(mpdta):
    """delta_{2006,1}: cohort-2006 change 2005->2007 minus never-treated change (two routes)."""
    res = sun_abraham(mpdta, outcome="lemp", unit="countyreal", time="year")
    cell = res.cells.set_index(["cohort", "r"])
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    cohort = mpdta.groupby("countyreal")["first_treat"].first()
    change = wide[2007] - wide[2005]
    hand = change[cohort == 2006].mean() - change[cohort.isna() | (cohort == 0)].mean()
    assert cell.loc[(2006, 1), "coef"] == pytest.approx(hand, rel=1e-10)
    assert res.cells.groupby("r")["weight"].sum().to_numpy() == pytest.approx(1.0)
    # SE of a single-cohort period equals the cell's own SE
    assert res.table.set_index("r").loc[-4, "std_error"] == pytest.approx(cell.loc[(2007, -4), "std_error"], rel=1e-12)


def test_needs_never_treated(mpdta):
    only_treated = mpdta[mpdta["_first_treat"].notna()]
    with pytest.raises(NotApplicableError, match="never-treated"):
        sun_abraham(only_treated, outcome="lemp", unit="countyreal", time="year")
