"""The fixed-effects projection: sweeping unit and/or time effects out of columns.

A :class:`FixedEffectsSample` is built once per estimation sample (which rows,
which fixed effects, which weights) and then transforms any number of columns,
so models that share a sample (the Table 4 columns, every placebo draw, the
mediation steps) share the work.

How the two-way projection is computed, and why it is exact:
- balanced and unweighted: the closed form ``x - mean_unit - mean_time + mean``;
- otherwise: the larger dimension is swept out by group demeaning and the
  smaller one enters as explicit dummies, which are demeaned the same way and
  then partialled out by a QR least-squares step (Frisch-Waugh-Lovell).  This
  is exact (no iteration tolerance) and costs O(n * L) for L levels of the
  smaller dimension (years: 5 to 30);
- when both dimensions have many levels, alternating projections with a tight
  tolerance are used instead.

With weights, everything happens in the sqrt(w)-scaled space: the transformed
columns returned are ``sqrt(w) * (x - projection)``, so ordinary least squares
on them is weighted least squares on the original data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Up to this many levels the smaller fixed-effect dimension is handled with
# explicit dummies (exact); beyond it, alternating projections.
MAX_DUMMY_LEVELS = 400
_MAP_TOL = 1e-14
_MAP_MAX_ITER = 100_000


def _group_sums(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Column sums of ``values`` (n x m) within each group: (n_groups x m)."""
    if values.shape[1] <= 8:
        out = np.empty((n_groups, values.shape[1]))
        for j in range(values.shape[1]):
            out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_groups)
        return out
    # Many columns (placebo draws, bootstrap): one sparse product beats m passes.
    from scipy import sparse

    indicator = sparse.csr_matrix(
        (np.ones(codes.size), (codes, np.arange(codes.size))), shape=(n_groups, codes.size)
    )
    return np.asarray(indicator @ values)


@dataclass(frozen=True, eq=False)
class FixedEffectsSample:
    """Everything needed to sweep fixed effects out of columns of one sample.

    ``codes`` holds one integer array (0..levels-1) per fixed-effect dimension,
    ``levels`` their level counts.  ``weights`` is None for unweighted fits.
    """

    codes: tuple[np.ndarray, ...]
    levels: tuple[int, ...]
    weights: np.ndarray | None
    balanced: bool
    nobs: int

    @classmethod
    def build(cls, codes: Sequence[np.ndarray], weights: np.ndarray | None = None) -> "FixedEffectsSample":
        codes = tuple(np.asarray(c, dtype=np.int64) for c in codes)
        levels = tuple(int(c.max()) + 1 if c.size else 0 for c in codes)
        n = int(codes[0].size) if codes else (int(weights.size) if weights is not None else 0)
        balanced = False
        if len(codes) == 2 and weights is None:
            if n == levels[0] * levels[1]:
                cells = np.bincount(codes[0] * levels[1] + codes[1], minlength=n)
                balanced = bool(cells.max() == 1)
        w = None if weights is None else np.asarray(weights, dtype=float)
        return cls(codes, levels, w, balanced, n)

    @property
    def sqrt_weights(self) -> np.ndarray | None:
        return None if self.weights is None else np.sqrt(self.weights)

    @property
    def absorbed_dof(self) -> int:
        """Fixed-effect parameters absorbed, counting the constant once (0 without FE)."""
        if not self.codes:
            return 0
        return sum(self.levels) - (len(self.codes) - 1)

    def transform(self, columns: np.ndarray) -> np.ndarray:
        """``sqrt(w) * (x - P x)`` for each column x, with P the (weighted) FE projection.

        Without fixed effects, P removes the (weighted) mean: the constant.
        """
        x = np.array(columns, dtype=float, copy=True)
        if x.ndim == 1:
            x = x[:, None]
        w = self.weights
        if not self.codes:
            mean = (x.mean(axis=0) if w is None else (w @ x) / w.sum())
            x -= mean
        elif len(self.codes) == 1:
            x = self._demean(x, 0)
        elif self.balanced:
            x = self._demean_balanced(x)
        elif min(self.levels) <= MAX_DUMMY_LEVELS:
            x = self._demean_with_dummies(x)
        else:
            x = self._alternating_projections(x)
        if w is not None:
            x *= np.sqrt(w)[:, None]
        return x

    # -- the projections -------------------------------------------------
    def _group_means(self, dim: int, x: np.ndarray) -> np.ndarray:
        codes, n_groups, w = self.codes[dim], self.levels[dim], self.weights
        if w is None:
            counts = np.bincount(codes, minlength=n_groups).astype(float)
            sums = _group_sums(codes, n_groups, x)
        else:
            counts = np.bincount(codes, weights=w, minlength=n_groups)
            sums = _group_sums(codes, n_groups, x * w[:, None])
        return sums / counts[:, None]

    def _demean(self, x: np.ndarray, dim: int) -> np.ndarray:
        return x - self._group_means(dim, x)[self.codes[dim]]

    def _demean_balanced(self, x: np.ndarray) -> np.ndarray:
        unit_means = self._group_means(0, x)[self.codes[0]]
        time_means = self._group_means(1, x)[self.codes[1]]
        return x - unit_means - time_means + x.mean(axis=0)

    def _demean_with_dummies(self, x: np.ndarray) -> np.ndarray:
        # Sweep the dimension with more levels by demeaning; partial out the
        # other (few levels) as explicit dummies: exact, no iteration.
        big = 0 if self.levels[0] >= self.levels[1] else 1
        small = 1 - big
        n, n_small = self.nobs, self.levels[small]
        dummies = np.zeros((n, n_small))
        dummies[np.arange(n), self.codes[small]] = 1.0
        x_t = self._demean(x, big)
        d_t = self._demean(dummies, big)
        if self.weights is not None:
            sw = np.sqrt(self.weights)[:, None]
            x_t, d_t = x_t * sw, d_t * sw
        q = _orthonormal_basis(d_t)
        x_t = x_t - q @ (q.T @ x_t)
        if self.weights is not None:
            x_t = x_t / np.sqrt(self.weights)[:, None]
        return x_t

    def _alternating_projections(self, x: np.ndarray) -> np.ndarray:
        scale = np.maximum(np.abs(x).max(axis=0), 1.0)
        for _ in range(_MAP_MAX_ITER):
            previous = x
            for dim in range(len(self.codes)):
                x = self._demean(x, dim)
            if np.max(np.abs(x - previous) / scale) < _MAP_TOL:
                break
        return x


def _orthonormal_basis(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the column space of ``matrix`` (rank-revealing QR)."""
    from scipy.linalg import qr

    q, r, _ = qr(matrix, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    if diag.size == 0:
        return q[:, :0]
    rank = int(np.sum(diag > diag[0] * 1e-10)) if diag[0] > 0 else 0
    return q[:, :rank]
