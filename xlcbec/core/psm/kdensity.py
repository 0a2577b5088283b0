"""Kernel density estimates of propensity scores, as Stata's ``kdensity`` draws them (Figure 2).

Stata's defaults: the Epanechnikov kernel scaled to unit variance,
``K(z) = 3/(4 sqrt 5) (1 - z^2/5)`` for ``|z| < sqrt 5``, and the bandwidth
``h = 0.9 min(sd, IQR/1.349) / n^(1/5)`` (Silverman's rule; sd alone when the
IQR is 0).  With weights (Stata ``aweight``) the weights are normalised to sum
to n, the number of rows, so sd, the quartiles and the density are weighted
and n stays the row count.  Quartiles follow Stata's ``summarize, detail``:
the first value whose cumulative weight exceeds p * W, or the average of two
values when the cumulative weight hits p * W exactly.

The paper's Figure 2 plots the score densities of treated and controls before
matching and after (controls weighted by their matching weights, treated on
support); :func:`score_densities` evaluates all four on one common grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

_SQRT5 = math.sqrt(5.0)


def stata_percentile(x: np.ndarray, p: float, w: np.ndarray | None = None) -> float:
    """The p-th percentile (0 < p < 100) by Stata's ``summarize, detail`` rule."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    ws = np.ones(xs.size) if w is None else np.asarray(w, dtype=float)[order]
    cum = np.cumsum(ws)
    target = p / 100.0 * cum[-1]
    i = int(np.searchsorted(cum, target, side="right"))  # first with cum > target
    i = min(i, xs.size - 1)
    if i > 0 and math.isclose(cum[i - 1], target, rel_tol=1e-12, abs_tol=0.0):
        return float((xs[i - 1] + xs[i]) / 2.0)
    return float(xs[i])


def silverman_bandwidth(x: np.ndarray, w: np.ndarray | None = None) -> float:
    """Stata kdensity's default ("optimal") half-width for the Epanechnikov kernel."""
    n = x.size
    wn = np.ones(n) if w is None else np.asarray(w, dtype=float) * n / float(np.sum(w))
    mean = float(wn @ x) / n
    sd = math.sqrt(float(wn @ (x - mean) ** 2) / (n - 1)) if n > 1 else 0.0
    iqr = stata_percentile(x, 75, wn) - stata_percentile(x, 25, wn)
    spread = min(sd, iqr / 1.349) if iqr > 0 else sd
    return 0.9 * spread / n**0.2


def kdensity(x: np.ndarray, at: np.ndarray, *, weights: np.ndarray | None = None, bandwidth: float | None = None) -> tuple[np.ndarray, float]:
    """Density of ``x`` at the points ``at``, and the bandwidth used."""
    x = np.asarray(x, dtype=float)
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float)
    h = silverman_bandwidth(x, weights) if bandwidth is None else float(bandwidth)
    if not h > 0:
        # Every value equal: no spread to smooth (Stata reports the same problem).
        return np.full(at.size, np.nan), h
    z = (at[:, None] - x[None, :]) / h
    k = np.where(np.abs(z) < _SQRT5, 0.75 * (1.0 - z * z / 5.0) / _SQRT5, 0.0)
    return (k @ w) / (float(w.sum()) * h), h


@dataclass(frozen=True, eq=False)
class ScoreDensities:
    """Figure 2 data: ``frame`` has ``score`` (the grid) and the four density curves
    ``treated_unmatched``, ``control_unmatched``, ``treated_matched``, ``control_matched``;
    ``bandwidths`` gives the kdensity half-width of each curve."""

    frame: pd.DataFrame
    bandwidths: pd.Series


def score_densities(
    scores: pd.Series, treated: pd.Series, weight: pd.Series, *, points: int = 100
) -> ScoreDensities:
    """Densities of the scores by group, before matching and after (weighted by psmatch2's ``_weight``).

    After matching only rows with a weight count: treated on support (weight
    1) and matched controls (their summed kernel weights).
    """
    p = scores.to_numpy(dtype=float)
    t = treated.reindex(scores.index).to_numpy().astype(bool)
    w = weight.reindex(scores.index).to_numpy(dtype=float)
    grid = np.linspace(float(p.min()), float(p.max()), points)
    curves: dict[str, np.ndarray] = {"score": grid}
    widths: dict[str, float] = {}
    has_w = ~np.isnan(w) & (w > 0)
    for name, mask, weights in (
        ("treated_unmatched", t, None),
        ("control_unmatched", ~t, None),
        ("treated_matched", t & has_w, w),
        ("control_matched", ~t & has_w, w),
    ):
        if mask.sum() < 2:
            curves[name], widths[name] = np.full(points, np.nan), math.nan
            continue
        curves[name], widths[name] = kdensity(p[mask], grid, weights=None if weights is None else weights[mask])
    return ScoreDensities(frame=pd.DataFrame(curves), bandwidths=pd.Series(widths, name="bandwidth"))
