"""xlcbec.core.distributions against scipy.stats: the same p-values and critical values, edges included.

Reference: scipy.stats (the version pinned in .ci/constraints.txt), ``norm``,
``t``, ``f``, ``chi2`` ``.sf`` / ``.ppf``, evaluated in the test itself.
Tolerance: 1e-15 relative, NaN equal to NaN, infinities equal.  Both sides
evaluate the same scipy.special function on the same float64 arguments, so
they agree to the last bit; the tolerance only allows for nothing else.
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

RTOL = 1e-15  # same special function, same arguments: bit-identical (see the module docstring)

X = [-np.inf, -1e6, -40.0, -5.0, -1.96, -0.3, -0.0, 0.0, 1e-300, 1e-8, 0.5, 1.0, 1.96, 3.0, 12.5, 40.0, 1e6,
     np.inf, np.nan]
DF = [-1.0, 0.0, 1e-3, 0.5, 1.0, 2.0, 3.7, 10.0, 30.0, 284.0, 1e6, np.inf, np.nan]
Q = [-0.1, 0.0, 1e-300, 1e-10, 0.005, 0.025, 0.05, 0.5, 0.95, 0.975, 0.995, 1 - 1e-12, 1.0, 1.1, np.nan]


def same(ours: object, reference: object) -> None:
    np.testing.assert_allclose(np.asarray(ours, dtype=float), np.asarray(reference, dtype=float), rtol=RTOL, atol=0,
                               equal_nan=True)
    assert np.ndim(ours) == np.ndim(reference)


@pytest.mark.parametrize("x", X)
def test_norm_sf(x: float) -> None:
    same(dist.norm_sf(x), stats.norm.sf(x))


@pytest.mark.parametrize("q", Q)
def test_norm_ppf(q: float) -> None:
    same(dist.norm_ppf(q), stats.norm.ppf(q))


@pytest.mark.parametrize("df", DF)
def test_t_sf_and_ppf(df: float) -> None:
    for x in X:
        same(dist.t_sf(x, df), stats.t.sf(x, df))
    for q in Q:
        same(dist.t_ppf(q, df), stats.t.ppf(q, df))


@pytest.mark.parametrize("df", DF)
def test_chi2_sf(df: float) -> None:
    for x in X:
        same(dist.chi2_sf(x, df), stats.chi2.sf(x, df))


@pytest.mark.parametrize(("dfn", "dfd"), list(itertools.product([-1.0, 0.0, 0.5, 1.0, 3.0, 12.0, 1e5, np.inf, np.nan],
                                                                   [0.0, 0.7, 1.0, 5.0, 29.0, 3000.0, np.inf, np.nan])))
def test_f_sf(dfn: float, dfd: float) -> None:
    for x in X:
        same(dist.f_sf(x, dfn, dfd), stats.f.sf(x, dfn, dfd))


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
    same(dist.t_sf(x, df), stats.t.sf(x, df))
    same(dist.t_ppf(q, df), stats.t.ppf(q, df))
    same(dist.norm_sf(x), stats.norm.sf(x))
    same(dist.norm_ppf(q), stats.norm.ppf(q))
    same(dist.chi2_sf(x, df), stats.chi2.sf(x, df))
    same(dist.f_sf(x, df, dfd), stats.f.sf(x, df, dfd))


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
