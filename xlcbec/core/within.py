"""The fixed-effects projection: sweeping unit and/or time effects out of columns.

A :class:`FixedEffectsSample` is built once per estimation sample (which rows,
which fixed effects, which weights) and then transforms any number of columns,
so models that share a sample (the Table 4 columns, every placebo draw, the
mediation steps) share the work.

How the two-way projection is computed, and why it is exact:
- balanced and unweighted: the closed form ``x - mean_unit - mean_time + mean``;
  when the rows lie on the unit x time grid in order (a panel sorted by unit
  then time, or by time then unit) the means are taken on a reshaped view of
  each column, with no gathers;
- otherwise: the larger dimension is swept out by group demeaning and the
  smaller one (L levels: years, 5 to 30) enters as explicit dummies, partialled
  out by Frisch-Waugh-Lovell.  The L x L normal equations of the demeaned
  dummies are formed from the cell counts alone (``diag(m) - C' diag(1/n) C``),
  one level per connected part of the panel is the reference (the rest are
  linearly independent), and the dummy coefficients of every column come from
  one Cholesky solve.  This is exact (no iteration tolerance) and costs
  O(n) per column, never an n x L matrix;
- when both dimensions have many levels, alternating projections with a tight
  tolerance are used instead.

With weights, everything happens in the sqrt(w)-scaled space: the transformed
columns returned are ``sqrt(w) * (x - projection)``, so ordinary least squares
on them is weighted least squares on the original data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Up to this many levels the smaller fixed-effect dimension is handled with
# explicit dummies (exact); beyond it, alternating projections.
MAX_DUMMY_LEVELS = 400
_MAP_TOL = 1e-14
_MAP_MAX_ITER = 100_000
# Group sums of up to this many columns go column by column through bincount;
# more columns (placebo draws, bootstrap) through one sparse product.
_BINCOUNT_COLUMNS = 8
_SPARSE_MIN_CELLS = 100_000
# Cell weights of the dummy partialling are held densely (big x small levels) up to this many cells
# or 4 per observation, whichever is more; beyond, as a sparse matrix.
_DENSE_CELLS = 1 << 20


def _dense_cells(n_big: int, n_small: int, nobs: int) -> bool:
    return n_big * n_small <= max(4 * nobs, _DENSE_CELLS)


def _group_sums(codes: np.ndarray, n_groups: int, values: np.ndarray, cache: dict[str, Any] | None = None,
                key: str = "") -> np.ndarray:
    """Column sums of ``values`` (n x m) within each group: (n_groups x m).

    Few columns, column-major data or little data: one bincount per column.
    Many columns of row-major data (placebo draws, bootstrap): one product with
    the sparse group indicator, kept in ``cache[key]`` for the next call.
    """
    n, m = values.shape
    if m <= _BINCOUNT_COLUMNS or n * m < _SPARSE_MIN_CELLS or values.flags.f_contiguous and not values.flags.c_contiguous:
        out = np.empty((n_groups, m))
        for j in range(m):
            out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_groups)
        return out
    from scipy import sparse

    indicator = cache.get(key) if cache is not None else None
    if indicator is None:
        indicator = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
        if cache is not None:
            cache[key] = indicator
    return np.asarray(indicator @ values)


def _components(linked: np.ndarray) -> np.ndarray:
    """Connected-component label (its smallest member) of each node of a symmetric boolean adjacency."""
    size = linked.shape[0]
    if size > 64:
        from scipy import sparse
        from scipy.sparse.csgraph import connected_components

        _, labels = connected_components(sparse.csr_matrix(linked), directed=False)
        first = np.full(labels.max() + 1, size)
        np.minimum.at(first, labels, np.arange(size))
        return first[labels]
    # Few nodes (years): the transitive closure by repeated squaring is cheaper than a graph library call.
    reach = (linked | np.eye(size, dtype=bool)).astype(float)
    while True:
        wider = (reach @ reach > 0).astype(float)
        if np.array_equal(wider, reach):
            break
        reach = wider
    return reach.argmax(axis=0)


@dataclass(frozen=True, eq=False)
class FixedEffectsSample:
    """Everything needed to sweep fixed effects out of columns of one sample.

    ``codes`` holds one integer array (0..levels-1) per fixed-effect dimension,
    ``levels`` their level counts.  ``weights`` is None for unweighted fits.
    ``grid`` is the dimension whose code changes slowest when the rows lie on
    the balanced unit x time grid in order (row i has codes ``divmod(i, L)``),
    else -1.
    """

    codes: tuple[np.ndarray, ...]
    levels: tuple[int, ...]
    weights: np.ndarray | None
    balanced: bool
    nobs: int
    grid: int = -1
    # Work shared by every transform of this sample (dummy normal equations), built on first use.
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, codes: Sequence[np.ndarray], weights: np.ndarray | None = None) -> "FixedEffectsSample":
        codes = tuple(np.asarray(c, dtype=np.int64) for c in codes)
        levels = tuple(int(c.max()) + 1 if c.size else 0 for c in codes)
        n = int(codes[0].size) if codes else (int(weights.size) if weights is not None else 0)
        balanced = False
        grid = -1
        if len(codes) == 2 and weights is None:
            if n == levels[0] * levels[1]:
                cells = codes[0] * levels[1] + codes[1]
                if np.array_equal(cells, np.arange(n)):
                    balanced, grid = True, 0
                else:
                    balanced = bool(np.bincount(cells, minlength=n).max() == 1)
                    if balanced and np.array_equal(codes[1] * levels[0] + codes[0], np.arange(n)):
                        grid = 1
        w = None if weights is None else np.asarray(weights, dtype=float)
        return cls(codes, levels, w, balanced, n, grid)

    @property
    def absorbed_dof(self) -> int:
        """Fixed-effect parameters absorbed, counting the constant once (0 without FE)."""
        if not self.codes:
            return 0
        return sum(self.levels) - (len(self.codes) - 1)

    def transform(self, columns: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
        """``sqrt(w) * (x - P x)`` for each column x, with P the (weighted) FE projection.

        Without fixed effects, P removes the (weighted) mean: the constant.
        With ``overwrite=True`` a 2-D float64 array is transformed in place
        (and returned), which saves a copy of large data; anything else is copied.
        """
        x = np.asarray(columns)
        in_place = (overwrite and x.ndim == 2 and x.dtype == np.float64 and x.flags.writeable
                    and (x.flags.f_contiguous or x.flags.c_contiguous))
        if not in_place:
            x = np.array(x, dtype=float, copy=True, order="K")
        if x.ndim == 1:
            x = x[:, None]
        w = self.weights
        if not self.codes:
            x -= (x.mean(axis=0) if w is None else (w @ x) / w.sum())
        elif len(self.codes) == 1:
            self._demean(x, 0)
        elif self.balanced and self.grid >= 0:
            self._demean_grid(x)
        elif self.balanced:
            self._demean_balanced(x)
        elif min(self.levels) <= MAX_DUMMY_LEVELS:
            self._partial_small_dimension(x)
        else:
            x = self._alternating_projections(x)
        if w is not None:
            x *= np.sqrt(w)[:, None]
        return x

    # -- the projections (all in place) -------------------------------------
    def _counts(self, dim: int) -> np.ndarray:
        key = f"counts{dim}"
        if key not in self._cache:
            w = self.weights
            self._cache[key] = (np.bincount(self.codes[dim], minlength=self.levels[dim]).astype(float) if w is None
                                else np.bincount(self.codes[dim], weights=w, minlength=self.levels[dim]))
        counts: np.ndarray = self._cache[key]
        return counts

    def _group_means(self, dim: int, x: np.ndarray) -> np.ndarray:
        codes, n_groups, w = self.codes[dim], self.levels[dim], self.weights
        sums = _group_sums(codes, n_groups, x if w is None else x * w[:, None], self._cache, f"indicator{dim}")
        return sums / self._counts(dim)[:, None]

    def _demean(self, x: np.ndarray, dim: int) -> None:
        means = self._group_means(dim, x)
        codes = self.codes[dim]
        if x.flags.f_contiguous:
            for j in range(x.shape[1]):
                x[:, j] -= means[codes, j]
        else:
            x -= means[codes]

    def _demean_grid(self, x: np.ndarray) -> None:
        # Rows are the cells of the grid in order: each column is a (slow x fast) matrix.
        shape = (self.levels[0], self.levels[1]) if self.grid == 0 else (self.levels[1], self.levels[0])
        if x.flags.f_contiguous:
            for j in range(x.shape[1]):
                _sweep_two_way(x[:, j].reshape(shape))
        else:  # C-contiguous (transform copies anything else)
            _sweep_two_way(x.reshape(*shape, x.shape[1]))

    def _demean_balanced(self, x: np.ndarray) -> None:
        unit_means = self._group_means(0, x)
        time_means = self._group_means(1, x)
        grand = x.mean(axis=0)
        if x.flags.f_contiguous:
            for j in range(x.shape[1]):
                column = x[:, j]
                column -= unit_means[self.codes[0], j]
                column -= time_means[self.codes[1], j]
                column += grand[j]
        else:
            x -= unit_means[self.codes[0]]
            x -= time_means[self.codes[1]]
            x += grand

    def _dummy_system(self) -> dict[str, Any]:
        """The normal equations of the demeaned small-dimension dummies, factorised once.

        With b the big dimension (n_i = weight of its level i), s the small one
        (m_t) and C[i, t] the weight of cell (i, t), the dummies demeaned over b
        have Gram matrix ``G = diag(m) - C' diag(1/n) C``.  Its null space is
        spanned by the indicators of the connected parts of the panel (levels
        of s linked when some level of b has both, i.e. G[s, t] != 0), so one
        reference level per part is dropped and the rest is positive definite.
        """
        if "system" in self._cache:
            system: dict[str, Any] = self._cache["system"]
            return system
        big = 0 if self.levels[0] >= self.levels[1] else 1
        small = 1 - big
        b, s = self.codes[big], self.codes[small]
        n_big, n_small = self.levels[big], self.levels[small]
        n_b = self._counts(big)
        m_s = self._counts(small)
        cells: Any
        if _dense_cells(n_big, n_small, self.nobs):
            # dense cell weights (N x L): as small as the data for a panel
            cells = np.bincount(b * n_small + s, weights=self.weights, minlength=n_big * n_small).astype(float)
            cells = cells.reshape(n_big, n_small)
            scaled = cells / n_b[:, None]
            gram = np.diag(m_s) - cells.T @ scaled
        else:
            from scipy import sparse  # only for many cells: the dense route needs no scipy.sparse import

            w = self.weights if self.weights is not None else np.ones(self.nobs)
            cells = sparse.csr_matrix((w, (b, s)), shape=(n_big, n_small))  # duplicates are summed
            scaled = sparse.diags(1.0 / n_b) @ cells
            gram = np.diag(m_s) - np.asarray((cells.T @ scaled).todense())
        # Off-diagonal G[s, t] is minus a sum of positive terms: non-zero exactly when linked.
        # Each part's first level is its reference.
        keep = np.flatnonzero(_components(gram != 0) != np.arange(n_small))
        factor = None
        if keep.size:
            try:  # NumPy's Cholesky (LAPACK potrf): fails exactly when the matrix is not numerically positive definite
                factor = np.linalg.cholesky(gram[np.ix_(keep, keep)])
            except np.linalg.LinAlgError:
                factor = None  # numerically singular: the QR route decides the rank
        system = {"big": big, "small": small, "cells": cells, "scaled": scaled, "keep": keep, "factor": factor,
                  "ok": factor is not None or keep.size == 0}
        self._cache["system"] = system
        return system

    def _partial_small_dimension(self, x: np.ndarray) -> None:
        # Sweep the dimension with more levels by demeaning; partial out the
        # other (few levels) as dummies through their normal equations: exact, no iteration.
        system = self._dummy_system()
        if not system["ok"]:
            x[...] = self._demean_with_dummies_qr(x)
            return
        big, small = system["big"], system["small"]
        b, s = self.codes[big], self.codes[small]
        big_means = self._group_means(big, x)  # (levels_big, m)
        weighted = x if self.weights is None else x * self.weights[:, None]
        rhs = (_group_sums(s, self.levels[small], weighted, self._cache, f"indicator{small}")
               - np.asarray(system["cells"].T @ big_means))
        coef = np.zeros_like(rhs)
        if system["keep"].size:
            keep = system["keep"]
            coef[keep] = _cholesky_solve(system["factor"], rhs[keep])
        # x - P_b x - (D c - P_b D c): the big-dimension part of D c is (C c) / n.
        big_part = big_means - np.asarray(system["scaled"] @ coef)
        if x.flags.f_contiguous:
            for j in range(x.shape[1]):
                column = x[:, j]
                column -= big_part[b, j]
                column -= coef[s, j]
        else:
            x -= big_part[b]
            x -= coef[s]

    def _demean_with_dummies_qr(self, x: np.ndarray) -> np.ndarray:
        """The plain route (explicit n x L dummies and a rank-revealing QR), for degenerate designs."""
        big = 0 if self.levels[0] >= self.levels[1] else 1
        small = 1 - big
        n, n_small = self.nobs, self.levels[small]
        dummies = np.zeros((n, n_small))
        dummies[np.arange(n), self.codes[small]] = 1.0
        x_t = np.array(x, order="F")
        self._demean(x_t, big)
        self._demean(dummies, big)
        if self.weights is not None:
            sw = np.sqrt(self.weights)[:, None]
            x_t, dummies = x_t * sw, dummies * sw
        q = _orthonormal_basis(dummies)
        x_t = x_t - q @ (q.T @ x_t)
        if self.weights is not None:
            x_t = x_t / np.sqrt(self.weights)[:, None]
        return x_t

    def _alternating_projections(self, x: np.ndarray) -> np.ndarray:
        scale = np.maximum(np.abs(x).max(axis=0), 1.0)
        for _ in range(_MAP_MAX_ITER):
            previous = x.copy()
            for dim in range(len(self.codes)):
                self._demean(x, dim)
            if np.max(np.abs(x - previous) / scale) < _MAP_TOL:
                break
        return x


def _sweep_two_way(grid: np.ndarray) -> None:
    """In place ``x - row mean - column mean + mean`` over the first two axes of ``grid``.

    A 2-D grid (one column of the data) takes its means as matrix-vector
    products, which run at memory speed; a 3-D grid (slow x fast x columns)
    through reductions.
    """
    rows, cols = grid.shape[:2]
    if grid.ndim == 2:
        row_means = grid @ np.full(cols, 1.0 / cols)
        column_means = np.full(rows, 1.0 / rows) @ grid
        grand = column_means.mean()
        grid -= row_means[:, None]
        grid -= (column_means - grand)[None, :]
        return
    row_means = grid.mean(axis=1, keepdims=True)
    column_means = grid.mean(axis=0, keepdims=True)
    grand = column_means.mean(axis=1, keepdims=True)
    grid -= row_means
    grid -= column_means - grand


def _cholesky_solve(lower: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve (L L') x = rhs with the lower Cholesky factor L: two triangular solves.

    NumPy has no triangular solver; ``np.linalg.solve`` on a triangular matrix is
    exact in structure (its LU factors are the matrix itself up to pivoting) and
    the matrices here are small (the levels of the smaller dimension).  SciPy's
    ``cho_solve`` would cost an import of ``scipy.linalg`` (0.1-0.3 s) on every click.
    """
    return np.linalg.solve(lower.T, np.linalg.solve(lower, rhs))


def _orthonormal_basis(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the column space of ``matrix`` (rank-revealing QR).

    Only degenerate designs come here; NumPy's QR does not pivot, so SciPy's does the work.
    """
    from scipy.linalg import qr

    q, r, _ = qr(matrix, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    if diag.size == 0:
        return q[:, :0]
    rank = int(np.sum(diag > diag[0] * 1e-10)) if diag[0] > 0 else 0
    return q[:, :rank]
