"""Linear models with unit and/or time fixed effects and Stata-grade standard errors.

This is the engine behind the baseline DID (docs/methods.md section 3), the event
study, PSM-DID, heterogeneity and mediation regressions.

Standard errors (``vcov``):
- ``cluster`` (default, by the unit): ``V = c * (X'X)^-1 (sum_g u_g u_g') (X'X)^-1``
  with ``small_sample``:
  - ``stata`` (xtreg fe vce(cluster) / reghdfe / fixest): ``c = G/(G-1) * (n-1)/(n-K)``,
    K = slopes + fixed-effect parameters not nested in the clusters + 1 (constant);
    with unit and year effects clustered by unit, K = k + T;
  - ``areg``: every fixed-effect parameter counted (the dummy-variable regression rule);
  - ``none``: CR0.
  Inference uses t(G - 1).
- ``robust``: HC1 with every fixed-effect parameter counted; t(n - K).
- ``iid``: conventional; t(n - K).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from xlcbec.core.blas import single_blas_thread
from xlcbec.core.numbers import numeric_column, require_columns
from xlcbec.core.options import FIXED_EFFECTS, FixedEffect, SmallSample, Vcov, check_choice
from xlcbec.core.results import RegressionResult, RowAccount
from xlcbec.core.within import FixedEffectsSample
from xlcbec.errors import CollinearityWarning, EstimationError, InputError

# A regressor whose within variation is below this share of its raw variation
# is collinear with the fixed effects or the regressors before it.
COLLINEAR_TOL = 1e-9


def normalize_fixed_effects(fixed_effects: str | Sequence[str]) -> tuple[FixedEffect, ...]:
    """Accept ("unit", "time"), "unit,time", "both", "none", ... -> an ordered tuple."""
    if isinstance(fixed_effects, str):
        text = fixed_effects.strip().lower()
        items = [] if text in ("", "none") else ["unit", "time"] if text == "both" else [
            p.strip() for p in text.replace("+", ",").split(",") if p.strip()
        ]
    else:
        items = [str(p).strip().lower() for p in fixed_effects]
    bad = [p for p in items if p not in ("unit", "time")]
    if bad:
        raise InputError(
            f"unknown fixed effect {bad[0]!r}; allowed: unit, time (or none)",
            column="fixed_effects",
            fix="write 'unit, time', 'unit', 'time' or 'none'",
        )
    return tuple(fe for fe in ("unit", "time") if fe in items)  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class EstimationSample:
    """The rows a model uses, their fixed-effect codes and the projection over them."""

    index: pd.Index
    positions: np.ndarray  # integer positions of the rows used, in ``data``
    fe: FixedEffectsSample
    unit_codes: np.ndarray
    time_codes: np.ndarray
    cluster_codes: np.ndarray | None
    n_clusters: int | None
    nested_levels: int  # fixed-effect levels nested in the clusters (not counted by the Stata rule)
    fixed_effects: tuple[FixedEffect, ...]
    rows: RowAccount
    n_singletons: int  # observations alone in a fixed-effect group: dropped, or kept when ``singletons_kept``
    # When the rows of each cluster are consecutive: where each cluster's run starts
    # (cluster sums then come from one np.add.reduceat per column).
    cluster_starts: np.ndarray | None = None
    cluster: str | None = None  # the column the cluster codes come from
    singletons_kept: bool = False


def _drop_singletons(unit: np.ndarray, time: np.ndarray, keep: np.ndarray, fixed_effects: Sequence[str]) -> np.ndarray:
    """Iteratively drop observations alone in a fixed-effect group (as reghdfe does)."""
    keep = keep.copy()
    dims = [codes for name, codes in (("unit", unit), ("time", time)) if name in fixed_effects]
    while dims and keep.any():
        changed = False
        for codes in dims:
            counts = np.bincount(codes if keep.all() else codes[keep], minlength=int(codes.max()) + 1)
            if not (counts == 1).any():
                continue  # no level with a single row: nothing to look up row by row
            # codes of blank cells are -1; those rows are not kept, so clip them for the lookup
            single = keep & (counts[np.maximum(codes, 0)] == 1)
            if single.any():
                keep &= ~single
                changed = True
        if not changed:
            break
    return keep


def prepare_sample(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    unit: str,
    time: str,
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    cluster: str | None = None,
    weights: str | None = None,
    drop_singletons: bool = True,
    rows: np.ndarray | None = None,
) -> EstimationSample:
    """Choose the rows a model can use (complete cases, positive weights, no singletons).

    ``drop_singletons=False`` keeps observations alone in a fixed-effect group
    (xtreg, fe): they add nothing to the coefficients but count in n and G.
    ``n_singletons`` counts them either way.  ``rows`` (a boolean mask over
    ``data``) restricts the model to those rows: the sample is the one of
    ``data[rows]`` (same rows, codes and counts), with positions into ``data``,
    so a subsample needs no copy of the frame.
    """
    fes = normalize_fixed_effects(fixed_effects)
    needed = [unit, time, *columns] + ([cluster] if cluster else []) + ([weights] if weights else [])
    require_columns(data, list(dict.fromkeys(needed)))
    read = len(data) if rows is None else int(np.count_nonzero(rows))
    dropped: dict[str, int] = {}
    complete = np.ones(len(data), dtype=bool) if rows is None else np.array(rows, dtype=bool)
    for col in dict.fromkeys(columns):
        complete &= ~np.isnan(numeric_column(data, col))
    complete &= data[unit].notna().to_numpy() & data[time].notna().to_numpy()
    if cluster:
        complete &= data[cluster].notna().to_numpy()
    missing = read - int(complete.sum())
    if missing:
        dropped["missing values"] = missing
    keep = complete
    w_all = None
    if weights:
        w_all = numeric_column(data, weights)
        negative = keep & (w_all < 0)
        if negative.any():
            raise InputError("weights must not be negative", column=weights,
                             row=[int(i) for i in data.index[negative][:8] if isinstance(i, (int, np.integer))] or None,
                             fix="use non-negative matching weights")
        zero = keep & ~(w_all > 0)
        if zero.any():
            dropped["zero weight"] = int(zero.sum())
        keep = keep & (w_all > 0)
    unit_all = _factorize(data[unit])
    time_all = _factorize(data[time])
    n_singletons = 0
    if fes:
        before = int(keep.sum())
        without = _drop_singletons(unit_all, time_all, keep, fes)
        n_singletons = before - int(without.sum())
        if drop_singletons:
            keep = without
            if n_singletons:
                dropped["singletons"] = n_singletons
    if keep.sum() == 0:
        raise EstimationError(
            "no rows left to estimate the model (every row misses a needed value)",
            fix=f"check that the columns {', '.join(columns)} have values",
        )
    positions = np.flatnonzero(keep)
    index = data.index[positions]
    if positions.size == len(data):
        unit_codes, time_codes = unit_all, time_all
    else:  # renumber the levels that are left so the codes stay dense
        unit_codes = pd.factorize(unit_all[positions])[0]
        time_codes = pd.factorize(time_all[positions])[0]
    codes = [c for name, c in (("unit", unit_codes), ("time", time_codes)) if name in fes]
    w = None if w_all is None else w_all[keep]
    fe = FixedEffectsSample.build(codes, w) if codes else FixedEffectsSample((), (), w, False, int(keep.sum()))
    cluster_codes = None
    n_clusters = None
    nested = 0
    if cluster:
        cluster_codes = unit_codes if cluster == unit else pd.factorize(data[cluster].to_numpy()[positions])[0]
        n_clusters = int(cluster_codes.max()) + 1
        for name, c in (("unit", unit_codes), ("time", time_codes)):
            # codes are trivially nested in themselves (clustering by the unit)
            if name in fes and (c is cluster_codes or _is_nested(c, cluster_codes)):
                nested += int(c.max()) + 1
    rows = RowAccount(read=read, used=int(keep.sum()), dropped=dropped)
    return EstimationSample(index, positions, fe, unit_codes, time_codes, cluster_codes, n_clusters, nested, fes, rows,
                            n_singletons, _run_starts(cluster_codes), cluster or None, not drop_singletons)


def _run_starts(codes: np.ndarray | None) -> np.ndarray | None:
    """Start of each code's run when the codes are 0, 0, 1, 1, 1, 2, ... (each level in one run), else None."""
    if codes is None or codes.size == 0 or codes[0] != 0:
        return None
    steps = np.diff(codes)
    if not np.all((steps == 0) | (steps == 1)):
        return None
    return np.concatenate([[0], np.flatnonzero(steps) + 1])


def _factorize(values: pd.Series) -> np.ndarray:
    """``pd.factorize`` codes (order of first appearance, -1 for blanks).

    A sorted numeric column without blanks (the unit column of a panel sorted
    by unit and time) is numbered by its runs, without hashing.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        array = values.to_numpy()
        if array.size and array.dtype.kind in "iuf":
            step = array[1:] != array[:-1]
            if (array.dtype.kind != "f" or not np.isnan(array).any()) and bool(np.all(array[1:] >= array[:-1])):
                codes = np.empty(array.size, dtype=np.intp)
                codes[0] = 0
                np.cumsum(step, out=codes[1:])
                return codes
    return pd.factorize(values)[0]


def _is_nested(codes: np.ndarray, cluster_codes: np.ndarray) -> bool:
    """True when every level of ``codes`` lies within a single cluster."""
    head = min(codes.size, 4096)
    if head < codes.size and not _is_nested(codes[:head], cluster_codes[:head]):
        return False  # nesting fails on the first rows already (the usual answer for years in cities)
    cluster_of_level = np.empty(int(codes.max()) + 1, dtype=np.int64)
    cluster_of_level[codes] = cluster_codes  # any one cluster per level; then check all agree
    return bool(np.array_equal(cluster_of_level[codes], cluster_codes))


def fit_twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    regressors: Sequence[str],
    unit: str,
    time: str,
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    cluster: str | None = None,
    vcov: Vcov = "cluster",
    small_sample: SmallSample = "stata",
    weights: str | None = None,
    drop_singletons: bool = True,
    treatment: str | None = None,
    sample: EstimationSample | None = None,
    rows: np.ndarray | None = None,
) -> RegressionResult:
    """Fit ``outcome ~ regressors + fixed effects`` by the within estimator.

    ``cluster`` defaults to the unit column when ``vcov='cluster'``.
    ``treatment`` (default: the first regressor) must keep variation after the
    fixed effects, else :class:`EstimationError`; other collinear regressors
    are dropped with a :class:`CollinearityWarning` naming them.
    ``sample`` reuses a prepared sample (and its projection) from
    :func:`prepare_sample`; ``rows`` (a boolean mask) fits on those rows of
    ``data`` only (see :func:`prepare_sample`).  Several models on one sample
    can share the sweep of their columns: :func:`sweep_columns` and
    :meth:`SweptColumns.fit`.
    """
    regressors = list(dict.fromkeys(regressors))
    if not regressors:
        raise InputError("a model needs at least one regressor", fix="name the treatment column")
    if vcov == "cluster" and cluster is None:
        cluster = unit
    check_choice("cluster", vcov, Vcov)
    check_choice("small_sample", small_sample, SmallSample)
    treatment = treatment or regressors[0]
    if sample is None:
        sample = prepare_sample(
            data,
            columns=[outcome, *regressors],
            unit=unit,
            time=time,
            fixed_effects=fixed_effects,
            cluster=cluster if vcov == "cluster" else None,
            weights=weights,
            drop_singletons=drop_singletons,
            rows=rows,
        )
    columns = sweep_columns(data, sample, [outcome, *regressors])
    return columns.fit(outcome, regressors, vcov=vcov, small_sample=small_sample, treatment=treatment)


def sweep_columns(data: pd.DataFrame, sample: EstimationSample, names: Sequence[str]) -> "SweptColumns":
    """The columns ``names`` of ``data`` on the rows of ``sample``, swept of its fixed effects."""
    return SweptColumns.of(sample, _column_matrix(data, names, sample.positions), names, overwrite=True)


@dataclass(frozen=True, eq=False)
class SweptColumns:
    """Named columns on one sample's rows, swept of its fixed effects (``sqrt(w)``-scaled), with their raw spread.

    The models fitted on one sample (a city group's interaction and equal-effects
    models, the three steps of a mediation) take their outcome and regressors
    from here, so a column is swept once however many models use it; the fit
    is the one :func:`fit_twfe` makes.
    """

    sample: EstimationSample
    names: tuple[str, ...]
    swept: np.ndarray  # (rows used, columns), column-major
    tss: np.ndarray  # per column: total sum of squares about the (weighted) mean (when it is the outcome)
    scale: np.ndarray  # per column: centred norm (when it is a regressor)
    raw: np.ndarray  # the columns before the sweep, column-major

    @classmethod
    def of(cls, sample: EstimationSample, raw: np.ndarray, names: Sequence[str], *,
           overwrite: bool = False) -> "SweptColumns":
        """Sweep ``raw`` (the sample's rows, one column per name).

        ``overwrite=True`` sweeps a column-major float64 ``raw`` in place (saves a copy).
        """
        matrix = np.asarray(raw, dtype=float).reshape(len(sample.positions), -1)
        if matrix.shape[1] != len(names):
            raise ValueError(f"{matrix.shape[1]} columns for {len(names)} names")
        kept = np.array(matrix, order="F")
        if not (overwrite and matrix.flags.f_contiguous and matrix.flags.writeable):
            matrix = np.array(kept, order="F")
        weights = sample.fe.weights
        tss = np.array([_total_sum_of_squares(kept[:, j], weights) for j in range(kept.shape[1])])
        scale = np.array([_centred_norm(kept[:, j]) for j in range(kept.shape[1])])
        with single_blas_thread():
            sample.fe.transform(matrix, overwrite=True)
        return cls(sample, tuple(names), matrix, tss, scale, kept)

    def _positions(self) -> dict[str, int]:
        return {name: j for j, name in reversed(list(enumerate(self.names)))}  # the first of repeated names

    def raw_columns(self, names: Sequence[str]) -> np.ndarray:
        """The unswept ``names`` on the sample's rows, column-major (in the order asked)."""
        position = self._positions()
        return np.asfortranarray(self.raw[:, [position[name] for name in names]])

    def on(self, sample: EstimationSample) -> "SweptColumns":
        """These columns for ``sample``, prepared anew on the same rows (its row account may say why
        differently); the sweep and its cached projection are reused."""
        if not np.array_equal(sample.positions, self.sample.positions):
            raise ValueError("a sample on other rows")
        return SweptColumns(replace(sample, fe=self.sample.fe), self.names, self.swept, self.tss, self.scale, self.raw)

    def join(self, other: "SweptColumns") -> "SweptColumns":
        """These columns and ``other``'s (swept on the same sample)."""
        if other.sample is not self.sample:
            raise ValueError("columns swept on different samples")
        return SweptColumns(self.sample, self.names + other.names, np.concatenate([self.swept, other.swept], axis=1),
                            np.concatenate([self.tss, other.tss]), np.concatenate([self.scale, other.scale]),
                            np.concatenate([self.raw, other.raw], axis=1))

    def fit(self, outcome: str, regressors: Sequence[str], *, vcov: Vcov = "cluster",
            small_sample: SmallSample = "stata", treatment: str | None = None) -> RegressionResult:
        """``outcome ~ regressors + fixed effects`` on the sample (see :func:`fit_twfe`)."""
        regressors = list(dict.fromkeys(regressors))
        if not regressors:
            raise InputError("a model needs at least one regressor", fix="name the treatment column")
        check_choice("cluster", vcov, Vcov)
        check_choice("small_sample", small_sample, SmallSample)
        position = self._positions()
        y_at, x_at = position[outcome], [position[name] for name in regressors]
        if x_at == list(range(x_at[0], x_at[0] + len(x_at))):
            x = self.swept[:, x_at[0]:x_at[0] + len(x_at)]  # a column-major view
        else:
            x = np.asfortranarray(self.swept[:, x_at])
        raw = RawSpread(float(self.tss[y_at]), self.scale[x_at])
        with single_blas_thread():
            return fit_transformed(self.swept[:, y_at], x, self.sample, regressors=regressors, raw=raw,
                                   outcome=outcome, vcov=vcov, small_sample=small_sample,
                                   treatment=treatment or regressors[0])


def _column_matrix(data: pd.DataFrame, columns: Sequence[str], positions: np.ndarray) -> np.ndarray:
    """The rows ``positions`` of ``columns`` as one (n, m) column-major float matrix."""
    matrix = np.empty((positions.size, len(columns)), order="F")
    every_row = positions.size == len(data)
    for j, name in enumerate(columns):
        values = numeric_column(data, name)
        if every_row:
            matrix[:, j] = values
        else:
            np.take(values, positions, out=matrix[:, j], mode="clip")  # positions are valid; clip skips buffering
    return matrix


@dataclass(frozen=True)
class RawSpread:
    """What the fit needs from the raw (untransformed) columns.

    ``tss``: total sum of squares of the outcome about its (weighted) mean (for
    the R-squared including fixed effects); ``x_scale``: each regressor's
    centred norm (the yardstick of the collinearity test).
    """

    tss: float
    x_scale: np.ndarray

    @classmethod
    def of(cls, y_raw: np.ndarray, x_raw: np.ndarray, weights: np.ndarray | None) -> "RawSpread":
        x_raw = x_raw.reshape(x_raw.shape[0], -1)
        return cls(_total_sum_of_squares(y_raw, weights), np.array([_centred_norm(x_raw[:, j])
                                                                    for j in range(x_raw.shape[1])]))


def _total_sum_of_squares(y_raw: np.ndarray, weights: np.ndarray | None) -> float:
    if weights is None:
        return float(((y_raw - y_raw.mean()) ** 2).sum())
    return float((weights * (y_raw - (weights @ y_raw) / weights.sum()) ** 2).sum())


def _centred_norm(x_raw: np.ndarray) -> float:
    centred = x_raw - x_raw.mean()
    return float(np.sqrt(centred @ centred))


def _collinear_columns(x: np.ndarray, x_scale: np.ndarray, xtx: np.ndarray | None = None) -> list[int]:
    """Indices of columns (in order) that add nothing beyond the FE and earlier columns.

    The diagonal of R in x = QR is the norm of each column's part orthogonal to
    the columns before it; compared with the column's raw spread (``x_scale``)
    it tells whether the fixed effects and earlier regressors already explain it.

    Fast path: the same diagonal is the Cholesky factor's of x'x (already
    formed for the fit), which settles the common case, every column clearly
    independent, without touching the n rows again.  Only when a column comes
    near the threshold (where the Gram matrix's squared condition loses the
    digits to decide) does the QR of x decide, as before.
    """
    n, k = x.shape
    if k == 0:
        return []
    if xtx is not None and n >= k:
        decided = _independent_by_gram(xtx, x_scale, n)
        if decided:
            return []
    r = np.linalg.qr(x, mode="r")
    # With fewer rows than columns R has only n diagonal entries: the columns past
    # them cannot add anything new (residual norm 0).
    residual_norm = np.zeros(k)
    residual_norm[: min(r.shape)] = np.abs(np.diag(r))
    scale = np.maximum(np.maximum(x_scale, np.sqrt((x * x).sum(axis=0))), 1e-300)
    return [j for j in range(k) if x_scale[j] == 0 or residual_norm[j] <= COLLINEAR_TOL * scale[j]]


def _independent_by_gram(xtx: np.ndarray, x_scale: np.ndarray, n: int) -> bool:
    """True when the Cholesky factor of x'x shows every column clearly independent.

    With unit-length columns, the squared residual share s_j of column j is the
    Schur complement on the diagonal; its rounding error is at most about
    k * n * eps.  Columns count as clearly independent when s_j is far above
    that (1e-8 at least) and the residual norm is at least twice the collinearity
    threshold; anything closer goes to the QR test.
    """
    k = xtx.shape[0]
    norms = np.sqrt(np.diag(xtx))
    if not (np.all(norms > 0) and np.all(x_scale > 0) and np.all(np.isfinite(xtx))):
        return False
    unit_gram = xtx / np.outer(norms, norms)
    try:
        chol = np.linalg.cholesky(unit_gram)
    except np.linalg.LinAlgError:
        return False
    share = np.diag(chol) ** 2
    floor = max(1e-8, 100.0 * k * n * np.finfo(float).eps)
    residual_norm = np.diag(chol) * norms
    scale = np.maximum(x_scale, norms)
    return bool(np.all(share > floor) and np.all(residual_norm > 2.0 * COLLINEAR_TOL * scale))


def fit_transformed(
    y: np.ndarray,
    x: np.ndarray,
    sample: EstimationSample,
    *,
    regressors: Sequence[str],
    y_raw: np.ndarray | None = None,
    x_raw: np.ndarray | None = None,
    raw: RawSpread | None = None,
    outcome: str,
    vcov: Vcov = "cluster",
    small_sample: SmallSample = "stata",
    treatment: str | None = None,
) -> RegressionResult:
    """OLS and the sandwich on columns already swept of fixed effects (sqrt(w)-scaled).

    The raw columns enter only through their spread: give ``raw``
    (:class:`RawSpread`) or ``y_raw`` and ``x_raw``.
    """
    if raw is None:
        if y_raw is None or x_raw is None:
            raise TypeError("fit_transformed needs raw= or both y_raw= and x_raw=")
        raw = RawSpread.of(np.asarray(y_raw, dtype=float), np.asarray(x_raw, dtype=float), sample.fe.weights)
    names = list(regressors)
    x_scale = raw.x_scale
    messages: list[str] = []
    xtx = x.T @ x
    drop = _collinear_columns(x, x_scale, xtx)
    if drop:
        dropped_names = [names[j] for j in drop]
        if treatment in dropped_names:
            raise EstimationError(
                f"the treatment {treatment!r} has no variation left after the fixed effects "
                f"({' + '.join(sample.fixed_effects) or 'constant'}), so its effect cannot be estimated",
                fix="check that some units are treated and others are not (or that treatment starts at different times)",
            )
        text = "dropped because collinear with the fixed effects or other regressors: " + ", ".join(dropped_names)
        warnings.warn(text, CollinearityWarning, stacklevel=3)
        messages.append(text)
        keep = [j for j in range(len(names)) if j not in drop]
        x, names = x[:, keep], [names[j] for j in keep]
        xtx = x.T @ x
    n, k = x.shape
    bread = np.linalg.inv(xtx)
    beta = bread @ (x.T @ y)
    resid = y - x @ beta
    rss = float(resid @ resid)
    tss_within = float(y @ y)
    w = sample.fe.weights
    tss = raw.tss
    absorbed_all = sample.fe.absorbed_dof if sample.fixed_effects else 1
    k_all = k + absorbed_all
    # Checked before any small-sample factor n / (n - K) is formed.
    if n - k_all <= 0:
        raise EstimationError(
            f"too few observations ({n}) for {k} regressors and the fixed effects",
            fix="use fewer controls or more data",
        )
    n_clusters = None
    if vcov == "cluster":
        if sample.cluster_codes is None:
            raise InputError("clustered standard errors need a cluster column", column="cluster")
        g = sample.n_clusters or 1
        # Cluster sums of the scores x_j * e, one column at a time (no n x k temporary).
        sums = np.zeros((g, k))
        starts = sample.cluster_starts
        for j in range(k):
            if starts is not None and starts.size == g:
                sums[:, j] = np.add.reduceat(x[:, j] * resid, starts)
            else:
                sums[:, j] = np.bincount(sample.cluster_codes, weights=x[:, j] * resid, minlength=g)
        meat = sums.T @ sums
        cov = bread @ meat @ bread
        n_clusters = g
        if g < 2:
            raise EstimationError(
                "clustered standard errors need at least 2 clusters", fix="cluster by a column with several values"
            )
        if small_sample == "stata":
            k_stata = k + (sample.fe.absorbed_dof - sample.nested_levels + (1 if sample.nested_levels else 0)
                           if sample.fixed_effects else 1)
            cov *= g / (g - 1) * (n - 1) / (n - k_stata)
        elif small_sample == "areg":
            cov *= g / (g - 1) * (n - 1) / (n - k_all)
        df_inference = g - 1
    elif vcov == "robust":
        meat = (x * resid[:, None] ** 2).T @ x
        cov = bread @ meat @ bread * (n / (n - k_all) if small_sample != "none" else 1.0)
        df_inference = n - k_all
    else:
        cov = bread * rss / (n - k_all)
        df_inference = n - k_all
    labels = pd.Index(names)  # one index for the coefficients and both axes of their covariance
    params = pd.Series(beta, index=labels, name="coef")
    return RegressionResult(
        params=params,
        cov=pd.DataFrame(cov, index=labels, columns=labels),
        nobs=n,
        df_inference=int(df_inference),
        df_resid=int(n - k_all),
        n_clusters=n_clusters,
        r2_within=1 - rss / tss_within if tss_within > 0 else float("nan"),
        r2=1 - rss / tss if tss > 0 else float("nan"),
        rss=rss,
        fixed_effects=sample.fixed_effects,
        vcov_type=vcov,
        small_sample=small_sample,
        cluster=sample.cluster if vcov == "cluster" else None,
        dropped_collinear=tuple(n_ for n_ in regressors if n_ not in names),
        n_singletons=sample.n_singletons,
        singletons="keep" if sample.singletons_kept else "drop",
        rows=sample.rows,
        notes=tuple(messages),
        outcome=outcome,
        weighted=w is not None,
        sample_index=sample.index,
    )
