"""Placebo permutation test: the fast path against full refits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlcbec.core.did.placebo import PlaceboDesign, placebo_refit, placebo_test
from xlcbec.core.panel import prepare_panel
from xlcbec.core.twfe import fit_twfe
from xlcbec.errors import InputError


@pytest.fixture(scope="module")
def panel(test_data):
    df = pd.read_csv(test_data / "mpdta.csv")
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
    for j in range(3):  # pilot years are whole numbers, only moved around: exact
        assert np.array_equal(np.sort(np.nan_to_num(draws[:, j], nan=-1)), original)


def test_seeded_and_p_value_definition(panel):
    a = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=50, seed=3)
    b = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=50, seed=3)
    c = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=50, seed=4)
    # Same call, same seed, serial: bit-identical by design, so exact.
    assert np.array_equal(a.coefficients, b.coefficients) and not np.array_equal(a.coefficients, c.coefficients)
    expected = (1 + np.sum(np.abs(a.coefficients) >= abs(a.actual))) / (a.reps + 1)
    assert a.p_value == pytest.approx(expected)
    assert a.sd == pytest.approx(np.std(a.coefficients, ddof=1))
    row = a.to_estimates()[0]
    assert (row["analysis"], row["model"], row["term"]) == ("placebo", "permutation", "CBEC")


def test_reps_must_be_positive(panel):
    with pytest.raises(InputError, match="placebo_reps"):
        placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=0)


def test_parallel_and_dask_give_the_same_draws(panel, monkeypatch):
    """joblib workers and a local Dask cluster return the serial numbers (to rounding: BLAS threads differ)."""
    serial = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=300, seed=9)
    workers = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=300, seed=9, n_jobs=2)
    np.testing.assert_allclose(workers.coefficients, serial.coefficients, rtol=1e-10, atol=1e-15)
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        monkeypatch.setenv("XLCBEC_DASK_SCHEDULER", cluster.scheduler_address)
        on_dask = placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=300, seed=9)
    np.testing.assert_allclose(on_dask.coefficients, serial.coefficients, rtol=1e-10, atol=1e-15)
    assert on_dask.p_value == pytest.approx(serial.p_value)


def test_unreachable_scheduler_is_a_clear_error(panel, monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setenv("XLCBEC_DASK_SCHEDULER", "tcp://127.0.0.1:9")
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        placebo_test(panel, outcome="lemp", unit="countyreal", time="year", reps=300, seed=9)
