"""Panel validation, treatment timing and interpolation (docs/methods.md section 1)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from xlcbec.core.panel import FIRST_TREAT, prepare_panel
from xlcbec.errors import InputError


def small_panel() -> pd.DataFrame:
    rows = []
    for city, pilot in [("A", 2016), ("B", None), ("C", 2030), ("D", 2012)]:
        for year in range(2014, 2019):
            rows.append({"city": city, "year": year, "pilot_year": pilot, "y": year - 2000.0 + (city == "A")})
    df = pd.DataFrame(rows)
    df.index = df.index + 2
    return df


def test_cbec_from_pilot_year_and_notes():
    p = prepare_panel(small_panel())
    d = p.data.set_index(["city", "year"])
    assert d.loc[("A", 2015), "CBEC"] == 0 and d.loc[("A", 2016), "CBEC"] == 1
    assert d.loc[("B", 2018), "CBEC"] == 0 and np.isnan(d.loc[("B", 2018), FIRST_TREAT])
    assert d.loc[("C", 2018), "CBEC"] == 0 and d.loc[("C", 2018), FIRST_TREAT] == 2030
    assert d.loc[("D", 2014), "CBEC"] == 1  # pilot before the first period: treated throughout
    assert any("after the last period" in n for n in p.notes)
    assert any("treated throughout" in n for n in p.notes)
    assert p.treated_units == 3 and p.n_units == 4


def test_zero_pilot_year_means_never():
    df = small_panel()
    df.loc[df.city == "B", "pilot_year"] = 0
    d = prepare_panel(df).data
    assert d.loc[d.city == "B", "CBEC"].sum() == 0 and d.loc[d.city == "B", FIRST_TREAT].isna().all()


def test_interior_gaps_interpolated_edges_not():
    df = small_panel()
    df.loc[(df.city == "A") & (df.year == 2016), "y"] = np.nan  # interior
    df.loc[(df.city == "A") & (df.year == 2017), "y"] = np.nan  # interior (two in a row)
    df.loc[(df.city == "B") & (df.year == 2014), "y"] = np.nan  # edge
    p = prepare_panel(df)
    d = p.data.set_index(["city", "year"])["y"]
    # A: 2015 -> 16, 2018 -> 19 (A gets +1); linear in time
    assert d[("A", 2016)] == pytest.approx(17.0) and d[("A", 2017)] == pytest.approx(18.0)
    assert np.isnan(d[("B", 2014)])
    assert p.interpolated == {"y": 2}
    none = prepare_panel(df, interpolate="none").data.set_index(["city", "year"])["y"]
    assert np.isnan(none[("A", 2016)])


def test_interpolation_uses_actual_time_gaps():
    df = pd.DataFrame({"city": ["A"] * 3, "year": [2010, 2011, 2014], "y": [0.0, np.nan, 4.0], "pilot_year": [2011] * 3})
    df = pd.concat([df, df.assign(city="B", pilot_year=np.nan)], ignore_index=True)
    d = prepare_panel(df).data
    assert d.loc[(d.city == "A") & (d.year == 2011), "y"].item() == pytest.approx(1.0)


def test_duplicate_rows_named():
    df = pd.concat([small_panel(), small_panel().iloc[[3]]])
    df.index = range(2, len(df) + 2)
    with pytest.raises(InputError) as err:
        prepare_panel(df)
    msg = str(err.value)
    assert "rows 5, 22" in msg.lower() and "'A'" in msg and "2017" in msg and "Fix:" in msg


def test_year_as_text_named():
    df = small_panel().astype({"year": object})
    df.loc[4, "year"] = "2015年"
    with pytest.raises(InputError) as err:
        prepare_panel(df)
    assert "row 4" in str(err.value).lower() and "'year'" in str(err.value) and "2015年" in str(err.value)


@pytest.mark.parametrize("bad", ["soon", 2015.5, 1850, 2101])
def test_implausible_pilot_year(bad):
    df = small_panel().astype({"pilot_year": object})
    df.loc[df.city == "A", "pilot_year"] = bad
    with pytest.raises(InputError) as err:
        prepare_panel(df)
    assert "'pilot_year'" in str(err.value) and "row 2" in str(err.value).lower()


def test_conflicting_pilot_years_within_unit():
    df = small_panel()
    df.loc[3, "pilot_year"] = 2017
    with pytest.raises(InputError, match="different pilot years"):
        prepare_panel(df)


def test_user_treatment_must_be_absorbing():
    df = small_panel().drop(columns="pilot_year")
    df["treat"] = ((df.city == "A") & (df.year >= 2016)).astype(int)
    ok = prepare_panel(df, treatment="treat")
    assert ok.data.loc[ok.data.city == "A", FIRST_TREAT].iloc[0] == 2016
    df.loc[(df.city == "A") & (df.year == 2018), "treat"] = 0
    with pytest.raises(InputError) as err:
        prepare_panel(df, treatment="treat")
    msg = str(err.value)
    assert "'A'" in msg and "2018" in msg and "switches back" in msg


def test_no_treated_or_all_treated():
    df = small_panel().assign(pilot_year=np.nan)
    with pytest.raises(InputError, match="no row is treated"):
        prepare_panel(df)
    with pytest.raises(InputError, match="every row is treated"):
        prepare_panel(small_panel().assign(pilot_year=2000))


def test_missing_columns_and_empty_panel():
    with pytest.raises(InputError, match="'pilot_year' is missing"):
        prepare_panel(small_panel().drop(columns="pilot_year"))
    with pytest.raises(InputError, match="time column 'year' is missing"):
        prepare_panel(small_panel().drop(columns="year"))
    with pytest.raises(InputError, match="no data rows"):
        prepare_panel(small_panel().iloc[:0])


def test_core_does_not_import_excel_libraries():
    code = (
        "import sys, xlcbec.core, xlcbec.core.twfe, xlcbec.core.did.event_study, xlcbec.core.did.baseline, xlcbec.core.panel;"
        "import pkgutil, importlib;"
        "mods = [importlib.import_module(m.name) for m in pkgutil.walk_packages(xlcbec.core.__path__, 'xlcbec.core.')];"
        "assert len(mods) > 30, len(mods);"
        "bad = [m for m in ('xlwings', 'openpyxl') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stdout + out.stderr


def test_nullable_integer_pilot_years():
    df = small_panel()
    df["pilot_year"] = df["pilot_year"].astype("Int64")
    d = prepare_panel(df).data
    assert d.loc[d.city == "B", "CBEC"].sum() == 0 and d.loc[d.city == "A", "CBEC"].sum() == 3


def test_own_treatment_column_beside_pilot_years_must_agree():
    """A CBEC column typed by the user next to pilot years: checked, not silently replaced."""
    derived = prepare_panel(small_panel()).data["CBEC"].to_numpy()
    agreeing = prepare_panel(small_panel().assign(CBEC=derived))
    assert any("own 'CBEC' column agrees" in note for note in agreeing.notes)
    wrong = small_panel().assign(CBEC=derived)
    row = wrong.index[(derived == 1)][0]
    wrong.loc[row, "CBEC"] = 0.0
    with pytest.raises(InputError) as err:
        prepare_panel(wrong)
    assert err.value.rows == (row,) and err.value.column == "CBEC"
    assert "says 0 where the pilot year" in err.value.problem and "Settings 'treatment'" in err.value.fix
