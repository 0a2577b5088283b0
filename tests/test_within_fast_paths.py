"""The fixed-effect projection's fast paths against the plain routes to the same numbers.

Each fast path in :mod:`xlcbec.core.within` and :mod:`xlcbec.core.twfe` is
checked against the route it replaces, on the same data:

- the grid sweep (rows on the unit x time grid, either order) against the
  general balanced closed form (the same rows shuffled);
- the unbalanced partialling through the dummies' normal equations (dense and
  sparse cell weights, connected and disconnected panels, weighted) against
  explicit n x L dummies and a rank-revealing QR;
- the Gram-matrix collinearity check against the QR of the regressors;
- cluster sums over runs of rows (``np.add.reduceat``) against ``np.bincount``;
- transforming in place against transforming a copy.

Tolerances:
- PROJECTION = 1e-11 absolute on columns of unit scale: the routes differ only
  in summation order and in solving L x L normal equations instead of a QR
  (condition numbers below 1e3 here), a few hundred ulps at most.
- ROUTES = 1e-10 relative on coefficients and 1e-9 on standard errors, the
  project's tolerances for two routes to the same estimate.
- Exact for in place against a copy: the copy keeps the memory order
  (``order="K"``) and goes through the same projection code, so the same
  operations run on the same numbers (bit-identical by design).
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import xlcbec.core.within as within
from xlcbec.core.blas import single_blas_thread
from xlcbec.core.twfe import _collinear_columns, _independent_by_gram, fit_twfe
from xlcbec.core.within import FixedEffectsSample

PROJECTION = 1e-11
ROUTES = 1e-10
SE_ROUTES = 1e-9


def _panel(n_units: int, n_years: int, *, seed: int, missing: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_years)
    year = np.tile(np.arange(2001, 2001 + n_years), n_units)
    frame = pd.DataFrame({"city": unit, "year": year})
    frame["treat"] = ((unit % 3 == 0) & (year >= 2001 + n_years // 2)).astype(float)
    effect = rng.normal(size=n_units)[unit]
    frame["x1"] = 0.5 * effect + rng.normal(size=unit.size)
    frame["x2"] = rng.normal(size=unit.size) + 0.1 * (year - 2001)
    frame["y"] = effect + 0.3 * frame["treat"] + 0.2 * frame["x1"] - 0.1 * frame["x2"] + rng.normal(size=unit.size)
    frame["w"] = rng.uniform(0.3, 3.0, size=unit.size)
    if missing:
        frame = frame.loc[rng.uniform(size=len(frame)) >= missing].reset_index(drop=True)
    return frame


def _sample(frame: pd.DataFrame, weights: np.ndarray | None = None) -> FixedEffectsSample:
    return FixedEffectsSample.build([pd.factorize(frame.city)[0], pd.factorize(frame.year)[0]], weights)


def _columns(frame: pd.DataFrame) -> np.ndarray:
    return frame[["y", "treat", "x1", "x2"]].to_numpy(dtype=float)


@pytest.mark.parametrize("order", ["unit_major", "time_major"])
def test_grid_sweep_equals_balanced_closed_form(order):
    frame = _panel(40, 9, seed=1)
    if order == "time_major":
        frame = frame.sort_values(["year", "city"]).reset_index(drop=True)
    grid = _sample(frame)
    assert grid.balanced and grid.grid == (0 if order == "unit_major" else 1)
    shuffled = frame.sample(frac=1.0, random_state=3)
    general = _sample(shuffled)
    assert general.balanced and general.grid == -1
    for layout in ("F", "C"):  # per-column 2-D sweeps and the 3-D sweep
        fast = grid.transform(np.asarray(_columns(frame), order=layout))
        plain = general.transform(_columns(shuffled))
        reordered = pd.DataFrame(plain, index=shuffled.index).loc[frame.index].to_numpy()
        np.testing.assert_allclose(fast, reordered, rtol=0, atol=PROJECTION)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cells", ["dense", "sparse"])
def test_dummy_partialling_equals_explicit_dummies(weighted, cells, monkeypatch):
    frame = _panel(60, 8, seed=2, missing=0.2)
    if cells == "sparse":
        monkeypatch.setattr(within, "_dense_cells", lambda *args: False)
    sample = _sample(frame, frame.w.to_numpy() if weighted else None)
    assert not sample.balanced
    fast = sample.transform(_columns(frame))
    plain = sample._demean_with_dummies_qr(_columns(frame))
    if weighted:
        plain = plain * np.sqrt(frame.w.to_numpy())[:, None]
    np.testing.assert_allclose(fast, plain, rtol=0, atol=PROJECTION)
    system = sample._cache["system"]
    assert isinstance(system["cells"], np.ndarray) == (cells == "dense")


def test_disconnected_panel_drops_one_reference_per_part():
    # Units 0-19 are seen in 2001-2004 only, units 20-39 in 2005-2008 only: two parts,
    # so the year dummies lose two directions, not one.
    first = _panel(20, 4, seed=4, missing=0.1)
    second = _panel(20, 4, seed=5, missing=0.1).assign(city=lambda d: d.city + 20, year=lambda d: d.year + 4)
    frame = pd.concat([first, second], ignore_index=True)
    sample = _sample(frame)
    fast = sample.transform(_columns(frame))
    assert sample._cache["system"]["keep"].size == 8 - 2
    plain = sample._demean_with_dummies_qr(_columns(frame))
    np.testing.assert_allclose(fast, plain, rtol=0, atol=PROJECTION)


def test_in_place_transform_equals_copy():
    frame = _panel(30, 6, seed=6, missing=0.15)
    sample = _sample(frame)
    data = np.asfortranarray(_columns(frame))
    copy = sample.transform(data)
    assert not np.shares_memory(copy, data)
    same = sample.transform(data, overwrite=True)
    assert np.shares_memory(same, data)
    np.testing.assert_array_equal(same, copy)  # same code, same layout: exact (see the module docstring)


def test_collinearity_gram_check_agrees_with_qr():
    rng = np.random.default_rng(8)
    base = rng.normal(size=(500, 3))
    cases = {
        "independent": base,
        "exact copy": np.column_stack([base, 2.0 * base[:, 0]]),
        "near copy (1e-6)": np.column_stack([base, base[:, 1] + 1e-6 * rng.normal(size=500)]),
        "below the threshold (1e-12)": np.column_stack([base, base[:, 2] + 1e-12 * rng.normal(size=500)]),
        "zero column": np.column_stack([base, np.zeros(500)]),
    }
    expected = {"independent": [], "exact copy": [3], "near copy (1e-6)": [], "below the threshold (1e-12)": [3],
                "zero column": [3]}
    for name, x in cases.items():
        scale = np.sqrt(((x - x.mean(axis=0)) ** 2).sum(axis=0))
        with_gram = _collinear_columns(x, scale, x.T @ x)
        qr_only = _collinear_columns(x, scale, None)
        assert with_gram == qr_only == expected[name], name
    # The Gram matrix alone settles only clearly independent columns.
    assert _independent_by_gram(base.T @ base, np.ones(3), 500)
    near = cases["near copy (1e-6)"]
    assert not _independent_by_gram(near.T @ near, np.ones(4), 500)


def test_cluster_sums_over_runs_equal_bincount():
    frame = _panel(50, 7, seed=9, missing=0.1)
    sorted_fit = fit_twfe(frame, outcome="y", regressors=["treat", "x1", "x2"], unit="city", time="year")
    shuffled = frame.sample(frac=1.0, random_state=2)
    shuffled_fit = fit_twfe(shuffled, outcome="y", regressors=["treat", "x1", "x2"], unit="city", time="year")
    np.testing.assert_allclose(sorted_fit.params, shuffled_fit.params, rtol=ROUTES)
    np.testing.assert_allclose(sorted_fit.std_errors, shuffled_fit.std_errors, rtol=SE_ROUTES)


def test_single_blas_thread_restores_the_limit_and_leaves_workers_alone():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    with single_blas_thread():
        inside = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
        with single_blas_thread():  # nested blocks keep the limit
            pass
        assert [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"] == inside
    assert all(n == 1 for n in inside)
    after = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    assert after == before

    seen: list[list[int]] = []

    def worker() -> None:
        with single_blas_thread():
            seen.append([info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"])

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [before]


@pytest.mark.parametrize("size", [12, 100])  # the closure by squaring (<= 64 nodes) and the graph library
def test_components_label_each_node_with_its_parts_first_member(size):
    rng = np.random.default_rng(size)
    groups = rng.integers(0, 5, size=size)
    linked = (groups[:, None] == groups[None, :]) & (rng.uniform(size=(size, size)) < 0.5)
    linked = linked | linked.T
    # the same parts by a plain union-find
    parent = list(range(size))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(linked)):
        a, b = root(int(i)), root(int(j))
        parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = {}
    for i in range(size):
        members.setdefault(root(i), []).append(i)
    expected = np.empty(size, dtype=int)
    for part in members.values():
        expected[part] = min(part)
    np.testing.assert_array_equal(within._components(linked), expected)
