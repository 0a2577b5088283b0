"""Tail probabilities and quantiles of the normal, t, F and chi-squared distributions.

The same numbers as ``scipy.stats`` (``norm``, ``t``, ``f``, ``chi2``: their
``sf`` and ``ppf``), computed by the ``scipy.special`` functions those methods
call, with the same answers at the edges (invalid degrees of freedom or NaN
give NaN; at or beyond the ends of the support the tail is 1 or 0 and the
quantile of 0 or 1 is the end).  Why not ``scipy.stats`` itself: importing it
costs about two seconds (it builds every distribution and parses their
docstrings), which a click that estimates in a few milliseconds should not
pay; ``scipy.special`` costs a tenth of that and is imported on first use.
``tests/test_distributions.py`` holds these functions to ``scipy.stats``.

Each function takes numbers or arrays (broadcast together) and returns a
NumPy float, or an array for array input, as ``scipy.stats`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def norm_sf(x: Any) -> Any:
    """Upper tail P(Z > x) of the standard normal (``scipy.stats.norm.sf``)."""
    from scipy.special import ndtr

    x = np.asarray(x, dtype=float)
    return _tail(ndtr(-x), x, np.True_, -np.inf, np.inf)


def norm_ppf(q: Any) -> Any:
    """Quantile of the standard normal (``scipy.stats.norm.ppf``)."""
    from scipy.special import ndtri

    q = np.asarray(q, dtype=float)
    return _quantile(ndtri(q), q, np.True_, -np.inf, np.inf)


def t_sf(x: Any, df: Any) -> Any:
    """Upper tail P(T > x) of Student's t with ``df`` degrees of freedom (``scipy.stats.t.sf``)."""
    from scipy.special import stdtr

    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    return _tail(stdtr(df, -x), x, df > 0, -np.inf, np.inf)


def t_ppf(q: Any, df: Any) -> Any:
    """Quantile of Student's t with ``df`` degrees of freedom (``scipy.stats.t.ppf``)."""
    from scipy.special import stdtrit

    q, df = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(df, dtype=float))
    return _quantile(stdtrit(df, q), q, df > 0, -np.inf, np.inf)


def f_sf(x: Any, dfn: Any, dfd: Any) -> Any:
    """Upper tail of the F(dfn, dfd) distribution (``scipy.stats.f.sf``)."""
    from scipy.special import fdtrc

    x, dfn, dfd = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x, dfn, dfd)))
    return _tail(fdtrc(dfn, dfd, x), x, (dfn > 0) & (dfd > 0), 0.0, np.inf)


def chi2_sf(x: Any, df: Any) -> Any:
    """Upper tail of the chi-squared distribution with ``df`` degrees of freedom (``scipy.stats.chi2.sf``)."""
    from scipy.special import chdtrc

    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    return _tail(chdtrc(df, x), x, df > 0, 0.0, np.inf)


def _tail(values: Any, x: np.ndarray, valid: Any, lower: float, upper: float) -> Any:
    # scipy.stats' rv_continuous.sf: NaN for invalid parameters or x; 1 at or below the support's
    # lower end, 0 at or above its upper end; the special function inside.
    out = np.where(x <= lower, 1.0, np.where(x >= upper, 0.0, values))
    out = np.where(valid & ~np.isnan(x), out, np.nan)
    return out[()]


def _quantile(values: Any, q: np.ndarray, valid: Any, lower: float, upper: float) -> Any:
    # scipy.stats' rv_continuous.ppf: the support's ends at q = 0 and 1, NaN outside [0, 1] or for invalid parameters.
    out = np.where(q == 0, lower, np.where(q == 1, upper, values))
    out = np.where(valid & (q >= 0) & (q <= 1), out, np.nan)
    return out[()]
