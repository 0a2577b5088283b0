"""Placebo permutation test: the fast path against full refits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlcbec.core.panel import prepare_panel
from xlcbec.core.placebo import PlaceboDesign, placebo_refit, placebo_test
from xlcbec.core.twfe import fit_twfe
from xlcbec.errors import InputError


@pytest.fixture(scope="module")
def panel(shared_data):
    df = pd.read_csv(shared_data / "mpdta.csv")
    df.index = df.index + 2
    df["x"] = np.random.default_rng(0).normal(size=len(df)) + 0.01 * df.year
    df = df.sample(frac=0.93, random_state=4)  # unbalanced on purpose
    return prepare_panel(df, unit="countyreal", time="year", first_treat="first_treat").data


def test_actual_assignment_gives_the_baseline(panel):
    res = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", controls=["x"], reps=20, seed=1)
    base = fit_twfe(panel, outcome="lemp", regressors=["CBEC", "x"], unit="countyreal", time="year")
    assert res.actual == pytest.approx(base.params["CBEC"], rel=1e-12)


def test_each_draw_equals_a_full_refit(panel):
    design = PlaceboDesign(panel, outcome="lemp", unit="countyreal", time="year", controls=["x"])
    draws = design.draw(5, seed=11)
    fast = design.coefficients(draws)
    units = pd.factorize(panel.loc[design.sample.index, "countyreal"])[1]
    for j in range(5):
        slow = placebo_refit(panel, pd.Series(draws[:, j], index=units), outcome="lemp", unit="countyreal",
                             time="year", controls=["x"])
        assert fast[j] == pytest.approx(slow, rel=1e-9, abs=1e-14)


def test_permutations_keep_the_pilot_year_distribution(panel):
    design = PlaceboDesign(panel, outcome="lemp", unit="countyreal", time="year")
    draws = design.draw(3, seed=2)
    original = np.sort(np.nan_to_num(design.unit_first_treat, nan=-1))
    for j in range(3):
        assert np.array_equal(np.sort(np.nan_to_num(draws[:, j], nan=-1)), original)


def test_seeded_and_p_value_definition(panel):
    a = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=50, seed=3)
    b = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=50, seed=3)
    c = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=50, seed=4)
    assert np.array_equal(a.coefficients, b.coefficients) and not np.array_equal(a.coefficients, c.coefficients)
    expected = (1 + np.sum(np.abs(a.coefficients) >= abs(a.actual))) / (a.reps + 1)
    assert a.p_value == pytest.approx(expected)
    assert a.sd == pytest.approx(np.std(a.coefficients, ddof=1))
    row = a.to_estimates()[0]
    assert (row["analysis"], row["model"], row["term"]) == ("placebo", "permutation", "CBEC")


def test_reps_must_be_positive(panel):
    with pytest.raises(InputError, match="placebo_reps"):
        placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=0)
