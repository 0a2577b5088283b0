"""The a*b draws of the mediation cluster bootstrap (:mod:`xlcbec.core.did.mediation`), two routes.

A replicate stacks copies of the drawn clusters' units, each copy a unit of
its own (:mod:`xlcbec.core.cluster_bootstrap`), and fits step 1 (mediator on
the treatment and controls) and step 2 (outcome on the treatment, the mediator
and controls) with the sample's fixed effects; the draw is a*b.

- The plain route (:func:`replicate_draw`) builds each replicate's rows, sweeps
  the fixed effects out of them and solves both least-squares problems.
- The moment route (:func:`block_draws`) never builds a replicate.  A copy of
  a unit demeaned within itself is the original unit demeaned, so every
  cross-product a replicate's fit needs is a weighted sum over the original
  units, the weight being how often the unit was drawn: with Z_u the unit's
  rows of [unit-demeaned columns, unit-demeaned time dummies], the replicate's
  Gram matrix is ``sum_u w_u Z_u'Z_u``, one matrix product for a whole block
  of replicates.  The time dummies are partialled out of it
  (Frisch-Waugh-Lovell, pseudo-inverse over the periods present), leaving the
  Gram matrix of the fully demeaned columns, from which a and b come by the
  normal equations of the unit-length-scaled columns, as the plain route
  scales them.  Without a unit effect the columns are not demeaned by unit;
  without any fixed effect the constant takes the dummies' place.

The normal equations are as exact as least squares only when the design is
well conditioned and no column is nearly absorbed by the fixed effects, and
the plain route decides absorption and rank on the transformed rows
themselves.  So a replicate goes the moment route only when those decisions
are clear-cut (every column keeps at least ``CLEAR_WITHIN_SHARE`` of its raw
scale, the scaled design's smallest eigenvalue is above
``CLEAR_MIN_EIGENVALUE``, the periods' Gram matrix has no eigenvalue between
numerical zero and clearly positive); any other replicate (no treated unit
drawn, a control without variation, ...) takes the plain route.  Both routes
give the same draws to rounding (``tests/test_mediation.py`` holds them to
each other), and a replicate's draw does not depend on the block it is
computed in (the sums over units are taken row by row in a fixed order, the
small matrix problems one replicate at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xlcbec.core.cluster_bootstrap import ClusterResampler
from xlcbec.core.twfe import COLLINEAR_TOL
from xlcbec.core.within import FixedEffectsSample

# Singular values below this share of the largest (unit-length columns) count as zero in a replicate.
RANK_RCOND = 1e-10
# The moment route's clear-cut cases (see the module docstring).  A column's within norm computed from
# Gram matrices carries an error of about sqrt(machine epsilon) = 1.5e-8 of its raw scale, far below 1e-4;
# the normal equations lose about cond^2 * 1e-16 (relative), at most 1e-10 when the scaled design's
# smallest eigenvalue is above 1e-6.
CLEAR_WITHIN_SHARE = 1e-4
CLEAR_MIN_EIGENVALUE = 1e-6
# Eigenvalues of the periods' Gram matrix below this share of the largest are zero (a period's
# reference, periods absent from the replicate); between it and CLEAR_PERIOD_EIGENVALUE nothing is clear.
_PERIOD_NULL = 1e-11
_CLEAR_PERIOD_EIGENVALUE = 1e-7
# The moment route holds one (q x q) matrix per unit: beyond this many floats the plain route is used.
MAX_MOMENT_FLOATS = 8_000_000
MAX_PERIOD_DUMMIES = 100


@dataclass(frozen=True, eq=False)
class ReplicateDesign:
    """The prepared sample's numeric matrix and which of its columns each step uses.

    ``matrix`` columns: 0 the mediator, 1 the outcome, then the treatment and
    the controls; ``design1`` / ``design2`` list the columns of step 1 (the
    treatment first: a is coefficient 0) and step 2 (the treatment, then the
    mediator: b is coefficient 1).
    """

    matrix: np.ndarray
    design1: Sequence[int]
    design2: Sequence[int]
    fixed_effects: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class UnitMoments:
    """Per original unit: the Gram matrix of its demeaned columns and dummies, and its raw sums.

    A Gram matrix is symmetric: only its upper triangle (row-major, ``np.triu_indices(q)``) is kept and
    summed over units, half the work of the whole matrix.
    """

    gram: np.ndarray  # (units, q (q + 1) / 2): the upper triangle; q = p columns + d dummies
    count: np.ndarray  # (units,) rows
    sums: np.ndarray  # (units, p) of the centred raw columns
    squares: np.ndarray  # (units, p) sums of squares of the centred raw columns
    cluster_of_unit: np.ndarray  # (units,) the cluster each unit lies in (numbered as the resampler's)
    p: int
    d: int

    @classmethod
    def build(cls, design: ReplicateDesign, resampler: ClusterResampler) -> "UnitMoments | None":
        """The moments of ``design`` over the resampler's units, or None when the moment route does not apply."""
        matrix = design.matrix
        n, p = matrix.shape
        units, times = resampler.unit_codes, resampler.time_codes
        n_units = int(units.max()) + 1 if units.size else 0
        has_unit, has_time = "unit" in design.fixed_effects, "time" in design.fixed_effects
        n_periods = int(times.max()) + 1 if times.size else 0
        d = n_periods if has_time else (0 if has_unit else 1)
        q = p + d
        if not n or d > MAX_PERIOD_DUMMIES or n_units * q * q > MAX_MOMENT_FLOATS:
            return None
        clusters = np.full(n_units, -1, dtype=np.int64)
        clusters[units] = resampler.cluster_codes
        if np.any(clusters[units] != resampler.cluster_codes):
            return None  # a unit in two clusters: the resampler draws units then, never this case
        centred = matrix - matrix.mean(axis=0)
        if has_time:
            dummies = np.zeros((n, d))
            dummies[np.arange(n), times] = 1.0
        else:
            dummies = np.ones((n, d))
        z = np.concatenate([centred, dummies], axis=1)
        count = np.bincount(units, minlength=n_units).astype(float)
        if has_unit:
            means = np.stack([np.bincount(units, weights=z[:, j], minlength=n_units) for j in range(q)], axis=1)
            z -= (means / np.maximum(count, 1.0)[:, None])[units]
        order = np.argsort(units, kind="stable")
        z = z[order]
        ends = np.cumsum(count.astype(np.int64))
        upper_row, upper_col = np.triu_indices(q)
        gram = np.empty((n_units, upper_row.size))
        starts = ends - count.astype(np.int64)
        for rows in np.unique(count.astype(np.int64)):
            # The units with this many rows: one stacked product, unit by unit the same as block.T @ block.
            members = np.flatnonzero(count == rows)
            blocks = z[starts[members][:, None] + np.arange(rows)]  # (members, rows, q)
            gram[members] = np.matmul(blocks.transpose(0, 2, 1), blocks)[:, upper_row, upper_col]
        sums = np.stack([np.bincount(units, weights=centred[:, j], minlength=n_units) for j in range(p)], axis=1)
        squares = np.stack([np.bincount(units, weights=centred[:, j] ** 2, minlength=n_units) for j in range(p)],
                           axis=1)
        return cls(gram, count, sums, squares, clusters, p, d)


def block_draws(block: tuple[int, np.ndarray], *, resampler: ClusterResampler, design: ReplicateDesign,
                moments: UnitMoments | None) -> np.ndarray:
    """a*b of the replicates ``first, first + 1, ...`` whose cluster picks are the rows of ``picks``.

    The moment route where its decisions are clear-cut, the plain route for
    the other replicates and for every replicate when ``moments`` is None.
    """
    first, picks = block
    draws = np.full(len(picks), np.nan)
    plain = np.ones(len(picks), dtype=bool)
    if moments is not None and len(picks):
        fast, clear = _moment_draws(picks, resampler.n_clusters, design, moments)
        draws[clear] = fast[clear]
        plain = ~clear
    for offset in np.flatnonzero(plain):
        draws[offset] = replicate_draw(resampler, first + offset, picks[offset], design)
    return draws


def _moment_draws(picks: np.ndarray, n_clusters: int, design: ReplicateDesign,
                  moments: UnitMoments) -> tuple[np.ndarray, np.ndarray]:
    """(a*b, clear-cut) per replicate of the block, by the moment route."""
    reps, p, d = picks.shape[0], moments.p, moments.d
    drawn = np.zeros((reps, n_clusters))
    np.add.at(drawn, (np.repeat(np.arange(reps), picks.shape[1]), picks.ravel()), 1.0)
    weights = drawn[:, moments.cluster_of_unit]  # (reps, units): copies of each unit in the replicate
    # The sums over units by einsum, not a matrix product: BLAS may order a row's sum differently with
    # the number of rows, einsum never does, so a replicate's draw does not depend on its block.
    upper = _weighted_sums(weights, moments.gram)
    upper_row, upper_col = np.triu_indices(p + d)
    gram = np.empty((reps, p + d, p + d))
    gram[:, upper_row, upper_col] = upper
    gram[:, upper_col, upper_row] = upper
    within = gram[:, :p, :p]
    clear = np.ones(reps, dtype=bool)
    if d:
        cross = gram[:, :p, p:]
        values, vectors = np.linalg.eigh(gram[:, p:, p:])
        top = np.maximum(values[:, -1:], 1e-300)
        null = values <= _PERIOD_NULL * top
        clear &= ~np.any(~null & (values <= _CLEAR_PERIOD_EIGENVALUE * top), axis=1)
        projected = cross @ vectors  # (reps, p, d)
        inverse = np.where(null, 0.0, 1.0 / np.where(null, 1.0, values))
        within = within - (projected * inverse[:, None, :]) @ projected.transpose(0, 2, 1)
    rows = _weighted_sums(weights, moments.count[:, None])[:, 0]
    sums = _weighted_sums(weights, moments.sums)
    raw_scale = np.sqrt(np.maximum(_weighted_sums(weights, moments.squares) - sums**2 / rows[:, None], 0.0))
    norms = np.sqrt(np.maximum(np.diagonal(within, axis1=1, axis2=2), 0.0))
    used = sorted(set(design.design1) | set(design.design2))
    clear &= np.all(norms[:, used] > CLEAR_WITHIN_SHARE * raw_scale[:, used], axis=1)
    clear &= np.all(raw_scale[:, used] > 0, axis=1)
    a = _coefficient(within, norms, design.design1, 0, 0, clear)
    b = _coefficient(within, norms, design.design2, 1, 1, clear)
    return a * b, clear


def _weighted_sums(weights: np.ndarray, per_unit: np.ndarray) -> np.ndarray:
    """``weights @ per_unit`` with each row summed in the same order whatever the number of rows."""
    return np.einsum("bu,uq->bq", weights, per_unit)


def _coefficient(within: np.ndarray, norms: np.ndarray, columns: Sequence[int], y: int, j: int,
                 clear: np.ndarray) -> np.ndarray:
    """Coefficient ``j`` of column ``y`` on ``columns`` per replicate; ``clear`` is narrowed where not clear-cut."""
    cols = np.asarray(columns)
    out = np.full(within.shape[0], np.nan)
    ok = np.flatnonzero(clear)
    if not ok.size:
        return out
    scale = norms[ok][:, cols]
    xx = within[np.ix_(ok, cols, cols)] / (scale[:, :, None] * scale[:, None, :])
    xy = within[np.ix_(ok, cols, [y])][:, :, 0] / scale
    smallest = np.linalg.eigvalsh(xx)[:, 0]
    good = smallest > CLEAR_MIN_EIGENVALUE
    clear[ok[~good]] = False
    if good.any():
        coef = np.linalg.solve(xx[good], xy[good][:, :, None])[:, j, 0]
        out[ok[good]] = coef / scale[good, j]
    return out


def replicate_draw(resampler: ClusterResampler, index: int, picks: np.ndarray, design: ReplicateDesign) -> float:
    """a*b of one replicate by the plain route: its rows, the fixed-effect sweep, least squares."""
    rep = resampler.replicate(index, picks)
    codes = [c for name, c in (("unit", rep.unit_codes), ("time", rep.time_codes)) if name in design.fixed_effects]
    fe = FixedEffectsSample.build(codes) if codes else FixedEffectsSample((), (), None, False, int(rep.rows.size))
    raw = design.matrix[rep.rows]
    z = fe.transform(raw)
    raw_scale = np.sqrt(((raw - raw.mean(axis=0)) ** 2).sum(axis=0))
    design1, design2 = list(design.design1), list(design.design2)
    a = identified_coefficient(z[:, design1], z[:, 0], 0, raw_scale[design1])
    b = identified_coefficient(z[:, design2], z[:, 1], 1, raw_scale[design2])
    return a * b


def identified_coefficient(x: np.ndarray, y: np.ndarray, j: int, raw_scale: np.ndarray) -> float:
    """OLS coefficient j of y on x, or NaN when column j is not identified.

    A column whose within variation is below ``COLLINEAR_TOL`` of its raw
    variation (``raw_scale``) has been absorbed by the fixed effects, as in
    :func:`xlcbec.core.twfe.fit_twfe`; it is zeroed.  Columns are then scaled
    to unit length so the rank decision does not depend on units of
    measurement.  When another column is collinear (a control without
    variation in this replicate) the minimum-norm solution still gives the
    unique value of an identified coefficient.
    """
    norms = np.sqrt((x * x).sum(axis=0))
    absorbed = norms <= COLLINEAR_TOL * np.maximum(raw_scale, 1e-300)
    if absorbed[j]:
        return float("nan")
    scale = np.where(absorbed, 1.0, norms)
    xs = np.where(absorbed, 0.0, x / scale)
    coef, _, rank, _ = np.linalg.lstsq(xs, y, rcond=RANK_RCOND)
    if rank < xs.shape[1]:
        rest = np.delete(xs, j, axis=1)
        rest_rank = np.linalg.matrix_rank(rest, tol=RANK_RCOND * np.linalg.norm(rest, 2)) if rest.size else 0
        if rest_rank == rank:
            return float("nan")
    return float(coef[j] / scale[j])
