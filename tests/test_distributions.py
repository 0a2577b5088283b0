"""xlcbec.core.distributions against scipy.stats: the same p-values and critical values, edges included.

Two routes to the same numbers: ours (``math`` and NumPy: continued fractions,
series and the DiDonato-Morris expansions, see the module docstring) and
scipy.stats (the version pinned in .ci/constraints.txt: ``norm``, ``t``, ``f``,
``chi2`` ``.sf`` / ``.ppf``), evaluated in the test itself.

Tolerance: 1e-12 relative wherever the value is at least 1e-300 (below, both
routes lose digits to subnormal arithmetic), NaN equal to NaN, infinities
equal.  Where scipy itself is less accurate than that, the comparison says so
and why; those places were checked against 50-digit arithmetic (mpmath) while
this module was written, and hold a closed form or our own inverse here
instead:

- ``f.sf`` with dfd >= 1e6: scipy forms y = dfd / (dfd + dfn x) in floating
  point first; the rounding of y, raised to the power dfd/2, leaves up to
  3e-10 (ours: 2e-14 of the 50-digit values), so 1e-9 there;
- ``t.sf`` within 1e-4 of 0 at small df: scipy's is off by up to 3e-9 (at
  df = 1, x = 1e-8; 1e-12 at x = 4e-5); ours is held to the Cauchy closed form instead;
- ``f.sf`` with a shape of 1e4 or more: scipy's is off by up to 6.6e-11
  (dfn = 1e7, dfd = 10, x = 0.75; 2.4e-12 at dfd = 1e5), so 1e-10 there;
- ``chi2.sf`` with df >= 1e4 far in the tail: scipy's is off by 3e-12 (df = 1e4,
  x = 15849; ours 1.6e-13), so 1e-11 there;
- ``t.ppf`` within 0.01 of q = 1/2: scipy's is off by up to 5e-13 relative
  (Cauchy closed form), so 1e-11 there; below q = 1e-20 scipy's is off by
  factors (q = 1e-200, df = 3: its quantile has tail 8 q) or capped near
  1e153 (or even returns +inf for q < 1/2), so wherever scipy's quantile is beyond 1e150 or q below
  1e-20 ours is held to closed forms and to its own tail.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from xlcbec.core import distributions as dist

RTOL = 1e-12  # two independent double-precision routes (see the module docstring)

X = [-np.inf, -1e6, -40.0, -5.0, -1.96, -0.3, -0.0, 0.0, 1e-300, 1e-8, 0.5, 1.0, 1.96, 3.0, 12.5, 40.0, 1e6,
     np.inf, np.nan]
DF = [-1.0, 0.0, 1e-3, 0.5, 1.0, 2.0, 3.7, 10.0, 30.0, 284.0, 1e6, np.inf, np.nan]
Q = [-0.1, 0.0, 1e-300, 1e-10, 0.005, 0.025, 0.05, 0.5, 0.95, 0.975, 0.995, 1 - 1e-12, 1.0, 1.1, np.nan]


def same(ours: object, reference: object, rtol: float = RTOL) -> None:
    ours_, reference_ = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    # below 1e-300 both routes work in subnormal numbers: only the order of magnitude is compared there
    tiny = np.abs(reference_) < 1e-300
    np.testing.assert_allclose(np.where(tiny, 0.0, ours_), np.where(tiny, 0.0, reference_), rtol=rtol, atol=0,
                               equal_nan=True)
    assert np.all(np.abs(ours_[tiny]) < 1e-280)
    assert np.ndim(ours) == np.ndim(reference)


@pytest.mark.parametrize("x", X)
def test_norm_sf(x: float) -> None:
    same(dist.norm_sf(x), stats.norm.sf(x))


@pytest.mark.parametrize("q", Q)
def test_norm_ppf(q: float) -> None:
    same(dist.norm_ppf(q), stats.norm.ppf(q))


def check_t_sf(x: float, df: float) -> None:
    if 0 < abs(x) < 1e-4 and 0 < df < 1e3:
        return  # scipy off by up to 3e-9 here: see the module docstring and test_t_near_zero_and_closed_forms
    same(dist.t_sf(x, df), stats.t.sf(x, df))


def check_t_ppf(q: float, df: float) -> None:
    ours = dist.t_ppf(q, df)
    if not 0 < q < 1 or not df > 0:
        same(ours, stats.t.ppf(q, df))
    elif np.isinf(ours):  # beyond the float range (scipy caps near 1e152): the largest float leaves a larger tail
        assert ours == (-np.inf if q < 0.5 else np.inf)
        assert dist.t_sf(np.finfo(float).max, df) > min(q, 1 - q)
    elif 1e-20 <= q <= 1 - 1e-12 and abs(stats.t.ppf(q, df)) < 1e150:
        same(ours, stats.t.ppf(q, df), rtol=1e-11 if abs(q - 0.5) < 0.01 else RTOL)  # scipy's centre: docstring
    else:  # extreme tail (scipy unreliable, docstring): our quantile has our tail, itself held to scipy above
        tail = dist.t_sf(-ours, df) if q < 0.5 else dist.t_sf(ours, df)
        same(tail, min(q, 1 - q))


@pytest.mark.parametrize("df", DF)
def test_t_sf_and_ppf(df: float) -> None:
    for x in X:
        check_t_sf(x, df)
    for q in Q:
        check_t_ppf(q, df)


def f_rtol(dfn: float, dfd: float) -> float:
    # scipy rounds y = dfd / (dfd + dfn x) first, then raises it to powers of order df/2: see the module docstring
    return 1e-9 if dfd >= 1e6 else 1e-10 if max(dfn, dfd) >= 1e4 else RTOL


@pytest.mark.parametrize("df", DF)
def test_chi2_sf(df: float) -> None:
    for x in X:
        same(dist.chi2_sf(x, df), stats.chi2.sf(x, df))


@pytest.mark.parametrize(("dfn", "dfd"), list(itertools.product([-1.0, 0.0, 0.5, 1.0, 3.0, 12.0, 1e5, np.inf, np.nan],
                                                                   [0.0, 0.7, 1.0, 5.0, 29.0, 3000.0, np.inf, np.nan])))
def test_f_sf(dfn: float, dfd: float) -> None:
    for x in X:
        same(dist.f_sf(x, dfn, dfd), stats.f.sf(x, dfn, dfd), rtol=f_rtol(dfn, dfd))


def test_arrays_broadcast_as_scipy_stats() -> None:
    x = np.array([[-2.0, 0.0, 1.5], [3.0, np.nan, 0.2]])
    df = np.array([4.0, 40.0, np.inf])
    same(dist.t_sf(np.abs(x), df), stats.t.sf(np.abs(x), df))
    same(dist.t_ppf(np.array([0.975, 0.5]), 3.0), stats.t.ppf(np.array([0.975, 0.5]), 3.0))
    same(dist.norm_sf(x), stats.norm.sf(x))
    same(dist.chi2_sf(x, df), stats.chi2.sf(x, df))
    same(dist.f_sf(x, 2.0, df), stats.f.sf(x, 2.0, df))
    assert isinstance(dist.norm_ppf(0.975), np.floating)  # a scalar in, a scalar out (callers take float())


finite = st.floats(-1e4, 1e4, allow_nan=False)
positive = st.floats(1e-2, 1e5, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(x=finite, df=positive, dfd=positive, q=st.floats(0.0, 1.0))
def test_random_arguments(x: float, df: float, dfd: float, q: float) -> None:
    check_t_sf(x, df)
    check_t_ppf(q, df)
    same(dist.norm_sf(x), stats.norm.sf(x))
    same(dist.norm_ppf(q), stats.norm.ppf(q))
    same(dist.chi2_sf(x, df), stats.chi2.sf(x, df))
    same(dist.f_sf(x, df, dfd), stats.f.sf(x, df, dfd), rtol=f_rtol(df, dfd))


# The dense grid: degrees of freedom from 0.5 to 1e7, integer and not; arguments through the body into the far
# tails (values down to 1e-300); probabilities near 0 and 1.
DF_GRID = [0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 3.7, 5.0, 7.5, 10.0, 16.0, 17.3, 30.0, 50.5, 100.0, 284.0, 1000.5,
           1e4, 12345.6, 1e5, 1e6, 1e7]
X_GRID = np.concatenate([np.linspace(-10, 10, 81), np.geomspace(1e-6, 1e6, 61), -np.geomspace(1e-3, 1e3, 13),
                         np.linspace(10, 40, 31)])
Q_GRID = np.concatenate([[1e-300, 1e-200, 1e-100, 1e-50, 1e-30], np.geomspace(1e-20, 1e-3, 18),
                         np.linspace(0.01, 0.99, 50), 1 - np.geomspace(1e-12, 1e-3, 10)])


def test_dense_grid_norm() -> None:
    same(dist.norm_sf(X_GRID), stats.norm.sf(X_GRID))
    same(dist.norm_ppf(Q_GRID), stats.norm.ppf(Q_GRID))
    same(dist.norm_sf(np.linspace(-38.4, 38.4, 769)), stats.norm.sf(np.linspace(-38.4, 38.4, 769)))


@pytest.mark.parametrize("df", DF_GRID)
def test_dense_grid_t_and_chi2(df: float) -> None:
    near_zero = (np.abs(X_GRID) < 1e-4) & (df < 1e3)  # scipy's t near 0 (docstring): held to the Cauchy form below
    same(dist.t_sf(X_GRID[~near_zero], df), stats.t.sf(X_GRID[~near_zero], df))
    chi2_rtol = 1e-11 if df >= 1e4 else RTOL  # scipy's far tail at large df: see the module docstring
    same(dist.chi2_sf(np.abs(X_GRID) * 10, df), stats.chi2.sf(np.abs(X_GRID) * 10, df), rtol=chi2_rtol)
    same(dist.chi2_sf(df + np.sqrt(df) * np.linspace(-5, 40, 46), df),
         stats.chi2.sf(df + np.sqrt(df) * np.linspace(-5, 40, 46), df), rtol=chi2_rtol)
    for q in Q_GRID:
        check_t_ppf(float(q), df)


@pytest.mark.parametrize("dfd", DF_GRID)
def test_dense_grid_f(dfd: float) -> None:
    x = np.concatenate([np.geomspace(1e-4, 1e4, 33), np.linspace(0.5, 3.0, 11)])
    for dfn in DF_GRID[::2]:
        same(dist.f_sf(x, dfn, dfd), stats.f.sf(x, dfn, dfd), rtol=f_rtol(dfn, dfd))


def test_t_near_zero_and_closed_forms() -> None:
    # df = 1 is the Cauchy distribution, df = 2 has a closed-form quantile: exact references, no scipy
    for x in (1e-300, 1e-12, 1e-8, 1e-6, 0.3, 1.0, 40.0, 1e6, 1e150):
        same(dist.t_sf(x, 1.0), np.arctan2(1.0, x) / np.pi)  # 1/2 - atan(x)/pi without the cancellation
        same(dist.t_sf(x, 2.0), 0.5 * (1 - x / np.sqrt(2 + x * x)) if x < 1 else 1 / (np.sqrt(2 + x * x) * (np.sqrt(2 + x * x) + x)))
    for q in (1e-300, 1e-100, 1e-20, 0.01, 0.3, 0.4999, 0.5001, 0.9, 1 - 1e-12):
        cauchy = (np.tan(np.pi * (q - 0.5)) if 0.25 <= q <= 0.75  # q - 1/2 exact there; tan near pi/2 is not
                  else -1 / np.tan(np.pi * q) if q < 0.5 else 1 / np.tan(np.pi * (1 - q)))
        same(dist.t_ppf(q, 1.0), cauchy, rtol=1e-13)
        same(dist.t_ppf(q, 2.0), (2 * q - 1) / np.sqrt(2 * q * (1 - q)), rtol=1e-13)
    assert dist.t_ppf(1e-300, 0.5) == -np.inf  # |t| ~ 1e600: beyond the float range (scipy returns -4.7e153)


def test_no_module_imports_scipy_stats() -> None:
    # scipy.stats costs about two seconds to import (it builds every distribution and parses their
    # docstrings); a click that estimates in milliseconds must not pay it, lazily or not.
    package = Path(dist.__file__).resolve().parents[1]
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "scipy.stats" or n.startswith("scipy.stats.") for n in names):
                found.append(f"{path.relative_to(package)}:{node.lineno}")
    assert found == []
