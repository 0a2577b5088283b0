"""Work shared between models, held to the plain route it replaces.

- A sample restricted by a row mask (``prepare_sample(rows=...)``) is the sample
  of the sub-frame: same rows, codes, counts; the fit is the same arithmetic on
  the same numbers.
- Columns swept once and fitted in several models (:class:`SweptColumns`) give
  ``fit_twfe``'s models; sweeping columns in other groups can change the last
  bits of the dummy-partialling products (BLAS), so 1e-12 relative.
- ``RegressionResult.inference`` is the labelled properties' arithmetic.
- PSM: the compressed-row match matrices equal SciPy's conversions of the same
  weights.

Tolerances: SAME (1e-14 relative): the same operations on the same numbers;
GROUPED (1e-12 relative): the same algebra, columns swept in other groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from xlcbec.core.psm import matching
from xlcbec.core.twfe import SweptColumns, fit_twfe, prepare_sample, sweep_columns

SAME = 1e-14
GROUPED = 1e-12
CONTROLS = ["x1", "x2"]


def make_panel(seed: int = 11, n_units: int = 40, n_years: int = 8) -> pd.DataFrame:
    """An unbalanced panel with gaps, blanks, singletons and a cluster above the unit."""
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(n_units):
        years = [y for y in range(2010, 2010 + n_years) if rng.random() > 0.15] or [2010]
        start = 2012 + unit % 5 if unit % 3 else None
        for year in years:
            rows.append({"city": 100 + unit, "year": year, "province": f"p{unit // 4}",
                         "CBEC": float(start is not None and year >= start)})
    data = pd.DataFrame(rows)
    data.index = data.index + 2  # spreadsheet row numbers
    n = len(data)
    data["x1"] = rng.normal(size=n)
    data["x2"] = rng.normal(size=n) + 0.3 * data["x1"]
    data["m"] = 0.5 * data["CBEC"] + 0.2 * data["x1"] + rng.normal(size=n)
    data["y"] = 0.1 * data["CBEC"] + 0.4 * data["m"] + 0.3 * data["x2"] + rng.normal(size=n)
    data["w"] = rng.uniform(0.2, 2.0, size=n)
    data.loc[rng.choice(data.index, size=12, replace=False), "x2"] = np.nan
    data["group"] = (data["city"] % 2).astype(float)
    return data


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


def assert_same_fit(a, b, rtol):
    assert list(a.params.index) == list(b.params.index)
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=rtol)
    np.testing.assert_allclose(a.cov.to_numpy(), b.cov.to_numpy(), rtol=rtol, atol=0)
    assert (a.nobs, a.n_clusters, a.df_inference, a.df_resid) == (b.nobs, b.n_clusters, b.df_inference, b.df_resid)
    np.testing.assert_allclose([a.r2_within, a.r2, a.rss], [b.r2_within, b.r2, b.rss], rtol=rtol)
    assert a.rows == b.rows and a.n_singletons == b.n_singletons and a.notes == b.notes
    assert a.sample_index.equals(b.sample_index)


@pytest.mark.parametrize("cluster", ["city", "province"])
@pytest.mark.parametrize("drop_singletons", [True, False])
def test_row_mask_is_the_sample_of_the_sub_frame(panel, cluster, drop_singletons):
    lone = (panel["city"] % 8 == 1) & (panel["year"] != 2011)  # these cities keep one year: singletons
    mask = ((panel["group"] == 1) & (panel["year"] != 2013) & ~lone).to_numpy()
    options = dict(columns=["y", "CBEC", *CONTROLS], unit="city", time="year", cluster=cluster,
                   drop_singletons=drop_singletons)
    masked = prepare_sample(panel, rows=mask, **options)
    sub = prepare_sample(panel.loc[mask], **options)
    assert masked.index.equals(sub.index)
    np.testing.assert_array_equal(panel.index[masked.positions], sub.index)
    for name in ("unit_codes", "time_codes", "cluster_codes", "cluster_starts"):
        a, b = getattr(masked, name), getattr(sub, name)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    assert masked.rows == sub.rows and masked.rows.read == int(mask.sum())
    assert (masked.n_clusters, masked.nested_levels, masked.n_singletons) == (sub.n_clusters, sub.nested_levels,
                                                                              sub.n_singletons)
    assert sub.n_singletons > 0  # the mask leaves units with a single year


@pytest.mark.parametrize("weights", [None, "w"])
def test_fit_on_a_row_mask_equals_the_fit_on_the_sub_frame(panel, weights):
    mask = (panel["group"] == 0).to_numpy()
    options = dict(outcome="y", regressors=["CBEC", *CONTROLS], unit="city", time="year", weights=weights)
    assert_same_fit(fit_twfe(panel, rows=mask, **options), fit_twfe(panel.loc[mask], **options), SAME)


@pytest.mark.parametrize("fixed_effects", [("unit", "time"), ("unit",), ("time",), ()])
def test_columns_swept_once_give_each_models_fit(panel, fixed_effects):
    """The mediation steps' pattern: one sweep, three models, against three plain fits."""
    options = dict(unit="city", time="year", fixed_effects=fixed_effects, cluster="province")
    sample = prepare_sample(panel, columns=["y", "m", "CBEC", *CONTROLS], **options)
    # Swept in two groups, as mediation does (the mediator alone, the rest together).
    columns = sweep_columns(panel, sample, ["m"]).join(sweep_columns(panel, sample, ["y", "CBEC", *CONTROLS]))
    for outcome, regressors in (("m", ["CBEC", *CONTROLS]), ("y", ["CBEC", "m", *CONTROLS]), ("y", ["CBEC", *CONTROLS])):
        shared = columns.fit(outcome, regressors)
        plain = fit_twfe(panel, outcome=outcome, regressors=regressors, sample=sample, **options)
        assert_same_fit(shared, plain, GROUPED)


def test_swept_arrays_equal_swept_frame_columns(panel):
    """Columns given as arrays (heterogeneity's interactions) are the frame's columns swept."""
    sample = prepare_sample(panel, columns=["y", "CBEC", *CONTROLS, "group"], unit="city", time="year", cluster="city")
    inter = panel["group"].to_numpy() * panel["CBEC"].to_numpy()
    frame = panel.assign(GxCBEC=inter)
    raw = inter[sample.positions]
    from_array = sweep_columns(panel, sample, ["y", *CONTROLS]).join(SweptColumns.of(sample, raw, ["GxCBEC"]))
    np.testing.assert_array_equal(raw, inter[sample.positions])  # the caller's array is left alone
    plain = fit_twfe(frame, outcome="y", regressors=["GxCBEC", *CONTROLS], unit="city", time="year", sample=sample)
    assert_same_fit(from_array.fit("y", ["GxCBEC", *CONTROLS]), plain, GROUPED)


def test_columns_for_a_sample_on_other_rows_are_refused(panel):
    a = prepare_sample(panel, columns=["y", "CBEC"], unit="city", time="year")
    b = prepare_sample(panel, columns=["y", "CBEC", "x2"], unit="city", time="year")
    with pytest.raises(ValueError, match="other rows"):
        sweep_columns(panel, a, ["y"]).on(b)
    with pytest.raises(ValueError, match="different samples"):
        sweep_columns(panel, a, ["y"]).join(sweep_columns(panel, b, ["CBEC"]))


def test_inference_arrays_are_the_labelled_statistics(panel):
    res = fit_twfe(panel, outcome="y", regressors=["CBEC", "m", *CONTROLS], unit="city", time="year")
    b, se, t, p, low, high = res.inference()
    ci = res.conf_int()
    for array, series in ((b, res.params), (se, res.std_errors), (t, res.tstats), (p, res.pvalues),
                          (low, ci["lower"]), (high, ci["upper"])):
        np.testing.assert_allclose(array, series.to_numpy(), rtol=SAME, atol=0)
    rows = res.to_estimates("baseline", "m")
    assert [r["term"] for r in rows] == list(res.params.index)
    np.testing.assert_allclose([r["ci_high"] for r in rows], ci["upper"].to_numpy(), rtol=SAME)


def test_kernel_match_matrix_equals_scipy_conversions():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, size=700)
    treated = rng.random(700) < 0.3
    t_pos, c_pos = np.flatnonzero(treated), np.flatnonzero(~treated)
    local = matching._kernel_matrix(p[t_pos], p[c_pos], "epanechnikov", 0.05)
    dense = matching.kernel_weights(p[t_pos], p[c_pos], method="epanechnikov", bandwidth=0.05)
    expected = sparse.csr_matrix(dense)
    assert local.nnz == expected.nnz and local.shape == expected.shape
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(local, name), getattr(expected, name))
    embedded = matching._embed(local, t_pos, c_pos, p.size)
    coo = expected.tocoo()
    by_scipy = sparse.csr_matrix((coo.data, (t_pos[coo.row], c_pos[coo.col])), shape=(p.size, p.size))
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(embedded, name), getattr(by_scipy, name))
