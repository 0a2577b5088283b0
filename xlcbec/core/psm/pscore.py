"""Propensity scores: probit or logit of the treatment on covariates plus a constant.

This is the score model of Stata's ``psmatch2`` (which calls ``probit``, or
``logit`` with its ``logit`` option) and the balance probit of ``pstest``
(docs/methods.md section 5).  The log likelihood is maximised by Newton-Raphson with
the analytic (observed) Hessian, as Stata does, so the covariance matrix is
Stata's default OIM one.

Weights are Stata's ``iweight``/``fweight``: the weighted log likelihood is
``sum_i w_i * l_i`` with the weights used as given (not rescaled).  That is
what ``pstest`` fits after matching (``probit ... [iw=_weight]``), and its LR
chi2 = 2 (llf - llnull) depends on the scale of the weights, so the scale is
kept.  Point estimates and the pseudo R-squared do not depend on the scale.

Bad input: a covariate that alone separates treated from controls is named
(Stata: "x > c predicts data perfectly"); covariates collinear with the
constant or with earlier covariates are dropped with a CollinearityWarning
(Stata: "omitted because of collinearity"); a likelihood that does not converge
(separation by a combination of covariates) is an EstimationError naming them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from xlcbec.core import distributions
from xlcbec.core.numbers import numeric_column, require_columns
from xlcbec.core.options import MatchingOptions, ScoreModelName, check_choice
from xlcbec.errors import CollinearityWarning, EstimationError, InputError

CONSTANT = "_cons"
# Newton-Raphson stops when the largest step is below this (relative to 1 + |b|);
# convergence is quadratic, so the estimate is then accurate to machine precision.
STEP_TOL = 1e-11
MAX_ITER = 100
# A covariate is collinear when what it adds beyond the constant and earlier
# covariates is below this share of its own variation.
COLLINEAR_TOL = 1e-9
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


def check_model(model: str) -> ScoreModelName:
    """The model name, or an OptionError listing the allowed ones."""
    return check_choice("psm_model", model, ScoreModelName)  # type: ignore[no-any-return]


@dataclass(frozen=True, eq=False)
class ScoreModel:
    """A fitted probit/logit propensity-score model, labelled and read-only.

    ``params`` and ``std_errors`` are indexed by covariate then ``_cons``;
    ``scores`` (fitted probabilities) and ``linear_index`` (x'b) by the data
    rows used.  ``llnull`` is the constant-only model on the same rows and
    weights; ``pseudo_r2`` is McFadden's ``1 - llf/llnull`` (Stata ``e(r2_p)``);
    ``lr_chi2 = 2 (llf - llnull)`` on ``df_model`` degrees of freedom
    (Stata ``e(chi2)``, ``e(df_m)``).  ``nobs`` counts rows, ``sum_weights``
    their weights (= nobs unweighted).
    """

    model: ScoreModelName
    treatment: str
    params: pd.Series
    cov: pd.DataFrame
    llf: float
    llnull: float
    nobs: int
    sum_weights: float
    iterations: int
    scores: pd.Series
    linear_index: pd.Series
    weighted: bool = False
    dropped_collinear: tuple[str, ...] = ()

    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.params.index if c != CONSTANT)

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="std_error")

    @property
    def zstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("z")

    @property
    def pvalues(self) -> pd.Series:
        p = 2 * distributions.norm_sf(np.abs(self.zstats.to_numpy()))
        return pd.Series(p, index=self.params.index, name="pvalue")

    @property
    def df_model(self) -> int:
        return len(self.covariates)

    @property
    def pseudo_r2(self) -> float:
        return 1.0 - self.llf / self.llnull

    @property
    def lr_chi2(self) -> float:
        return 2.0 * (self.llf - self.llnull)

    @property
    def lr_pvalue(self) -> float:
        return float(distributions.chi2_sf(self.lr_chi2, self.df_model)) if self.df_model else float("nan")

    def __str__(self) -> str:
        table = pd.DataFrame(
            {"coef": self.params, "std_err": self.std_errors, "z": self.zstats, "p": self.pvalues}
        )
        lines = [
            f"{self.model.capitalize()} of {self.treatment}" + (" (weighted)" if self.weighted else ""),
            f"N = {self.nobs}    log likelihood = {self.llf:.6f}    pseudo R2 = {self.pseudo_r2:.4f}"
            f"    LR chi2({self.df_model}) = {self.lr_chi2:.3f}",
            table.to_string(float_format=lambda v: f"{v:.6f}"),
        ]
        if self.dropped_collinear:
            lines.append("Omitted (collinear): " + ", ".join(self.dropped_collinear))
        return "\n".join(lines)

    __repr__ = __str__


# ---------------------------------------------------------------------------
# The likelihood pieces, for one parameter vector or a batch of them.


def cdf(model: ScoreModelName, z: np.ndarray) -> np.ndarray:
    """P(treated | x) from the linear index."""
    return special.ndtr(z) if model == "probit" else special.expit(z)


def _loglik_terms(model: ScoreModelName, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row log likelihood, d l / d z and -d2 l / d z2 (all finite for any z)."""
    q = 2.0 * y - 1.0
    qz = q * z
    if model == "probit":
        # Phi(qz) by ndtr (full relative precision in the lower tail) and its log;
        # only where Phi underflows (qz < -37) is the slower log_ndtr needed.
        # In-place steps: in the bootstrap these arrays are (draws x rows).
        prob = special.ndtr(qz)
        tail = prob < 1e-300
        with np.errstate(divide="ignore", invalid="ignore"):
            log_cdf = np.log(prob)
            lam = np.multiply(z, z)
            lam *= -0.5
            np.exp(lam, out=lam)
            lam /= prob
            lam *= q / _SQRT_2PI
        if tail.any():
            zt = np.broadcast_to(z, qz.shape)[tail]
            log_cdf[tail] = special.log_ndtr(qz[tail])
            lam[tail] = np.broadcast_to(q, qz.shape)[tail] * np.exp(-0.5 * zt * zt - _LOG_SQRT_2PI - log_cdf[tail])
        d2 = lam + z
        d2 *= lam
        return log_cdf, lam, d2
    p = special.expit(z)
    return -np.logaddexp(0.0, -qz), y - p, p * (1.0 - p)


def null_loglik(y: np.ndarray, w: np.ndarray) -> float:
    """The constant-only log likelihood: the same for probit and logit (p = weighted mean)."""
    total = float(w.sum())
    p = float(w @ y) / total
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return float(total * (p * math.log(p) + (1.0 - p) * math.log(1.0 - p)))


def _null_start(model: ScoreModelName, y: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    p = float(w @ y) / float(w.sum())
    start = np.zeros(k)
    start[-1] = distributions.norm_ppf(p) if model == "probit" else math.log(p / (1.0 - p))
    return start


@dataclass(frozen=True)
class NewtonFit:
    """Raw Newton-Raphson output on arrays: ``params`` (k,), ``hessian`` (k, k) of -llf."""

    params: np.ndarray
    neg_hessian: np.ndarray
    llf: float
    iterations: int
    converged: bool


def newton(
    model: ScoreModelName,
    y: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    *,
    start: np.ndarray | None = None,
    max_iter: int = MAX_ITER,
    tol: float = STEP_TOL,
) -> NewtonFit:
    """Maximise ``sum_i w_i l_i(x_i'b)`` by Newton-Raphson with step halving.

    ``x`` (n, k) includes the constant as its last column.  Starting values: the
    constant-only model (as Stata), unless ``start`` is given (warm start).
    """
    k = x.shape[1]
    beta = _null_start(model, y, w, k) if start is None else np.asarray(start, dtype=float).copy()
    ll_terms, d1, d2 = _loglik_terms(model, y, x @ beta)
    llf = float(w @ ll_terms)
    for iteration in range(1, max_iter + 1):
        grad = x.T @ (w * d1)
        neg_h = (x * (w * d2)[:, None]).T @ x
        try:
            step = np.linalg.solve(neg_h, grad)
        except np.linalg.LinAlgError:
            return NewtonFit(beta, neg_h, llf, iteration, False)
        # Step halving when the full step lowers the likelihood (Stata: "backed up").
        for _ in range(40):
            candidate = beta + step
            ll_terms_c, d1_c, d2_c = _loglik_terms(model, y, x @ candidate)
            llf_c = float(w @ ll_terms_c)
            if llf_c >= llf - 1e-12 * (1.0 + abs(llf)):
                break
            step = step / 2.0
        beta, llf, d1, d2 = candidate, llf_c, d1_c, d2_c
        if np.max(np.abs(step)) <= tol * (1.0 + np.max(np.abs(beta))):
            neg_h = (x * (w * d2)[:, None]).T @ x
            return NewtonFit(beta, neg_h, llf, iteration, True)
    neg_h = (x * (w * d2)[:, None]).T @ x
    return NewtonFit(beta, neg_h, llf, max_iter, False)


def _batch_terms(
    model: ScoreModelName, y: np.ndarray, x_t: np.ndarray, beta: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted log likelihoods (b,) and w * dl/dz, w * -d2l/dz2 (b, n) for b parameter vectors."""
    terms, d1, d2 = _loglik_terms(model, y, beta @ x_t)
    d1 *= weights
    d2 *= weights
    return np.einsum("bn,bn->b", weights, terms), d1, d2


def newton_batch(
    model: ScoreModelName,
    y: np.ndarray,
    x: np.ndarray,
    weights: np.ndarray,
    start: np.ndarray,
    *,
    max_iter: int = 50,
    tol: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton-Raphson for B weight vectors at once (bootstrap draws as frequency weights).

    ``weights`` is (B, n); every draw starts from ``start`` (k,), the
    full-sample estimate, so a few steps suffice.  At that common start the
    per-row derivatives are the same for every draw, so the first step costs
    one evaluation on the rows and two matrix products with the weights; later
    steps evaluate the likelihood for all draws at once, and the B Hessians
    come from one matrix product with the per-row products ``x_ia x_ib``
    (a <= b: the Hessian is symmetric).  A draw stops after a step smaller than
    ``tol`` (relative to 1 + |b|): convergence is quadratic there, so the error
    left is of the order of the step squared, below 1e-10 (Stata's own probit
    stops at a relative change of 1e-6).  A step that lowers the likelihood is
    halved.  Returns ``params`` (B, k) and ``converged`` (B,).
    """
    n, k = x.shape
    reps = weights.shape[0]
    x_t = np.ascontiguousarray(x.T)
    upper_a, upper_b = np.triu_indices(k)
    outer = x[:, upper_a] * x[:, upper_b]
    start = np.asarray(start, dtype=float)
    beta = np.tile(start, (reps, 1))
    last_step = np.zeros((reps, k))
    converged = np.zeros(reps, dtype=bool)
    terms0, d1_0, d2_0 = _loglik_terms(model, y, x @ start)
    llf = weights @ terms0
    grad = weights @ (d1_0[:, None] * x)
    upper = weights @ (d2_0[:, None] * outer)
    idx = np.arange(reps)
    y_row = y[None, :]
    for _ in range(max_iter):
        neg_h = np.empty((idx.size, k, k))
        neg_h[:, upper_a, upper_b] = upper
        neg_h[:, upper_b, upper_a] = upper
        # A draw whose information matrix is singular or not finite cannot identify
        # the score model (e.g. a covariate constant in the resample): it stops unconverged.
        ok = np.all(np.isfinite(neg_h), axis=(1, 2)) & np.all(np.isfinite(grad), axis=1)
        ok[ok] = np.linalg.cond(neg_h[ok]) < 1e14
        idx, grad, neg_h = idx[ok], grad[ok], neg_h[ok]
        if idx.size == 0:
            break
        step = np.linalg.solve(neg_h, grad[:, :, None])[:, :, 0]
        beta[idx] += step
        last_step[idx] = step
        done = np.max(np.abs(step), axis=1) <= tol * (1.0 + np.max(np.abs(beta[idx]), axis=1))
        converged[idx[done]] = True
        idx = idx[~done]
        if idx.size == 0:
            break
        w = weights[idx]
        ll_new, wd1, wd2 = _batch_terms(model, y_row, x_t, beta[idx], w)
        worse = ll_new < llf[idx] - 1e-12 * (1.0 + np.abs(ll_new))
        for _halving in range(40):
            if not worse.any():
                break
            sub = np.flatnonzero(worse)
            last_step[idx[sub]] /= 2.0
            beta[idx[sub]] -= last_step[idx[sub]]
            ll_sub, wd1[sub], wd2[sub] = _batch_terms(model, y_row, x_t, beta[idx[sub]], w[sub])
            ll_new[sub] = ll_sub
            worse[sub] = ll_sub < llf[idx[sub]] - 1e-12 * (1.0 + np.abs(ll_sub))
        llf[idx] = ll_new
        grad = wd1 @ x
        upper = wd2 @ outer
    return beta, converged & np.all(np.isfinite(beta), axis=1)


# ---------------------------------------------------------------------------
# Checks that turn numerical failure into messages a user can act on.


def collinear_covariates(x: np.ndarray) -> list[int]:
    """Covariates (column positions, in order) that add nothing beyond the constant and earlier ones."""
    dropped: list[int] = []
    kept: list[np.ndarray] = []
    for j in range(x.shape[1]):
        raw = x[:, j] - x[:, j].mean()
        scale = float(np.sqrt(raw @ raw))
        col = raw.copy()
        for _ in range(2):  # Gram-Schmidt twice for numerical safety
            for q in kept:
                col -= q * (q @ col)
        norm = float(np.sqrt(col @ col))
        if scale == 0.0 or norm <= COLLINEAR_TOL * scale:
            dropped.append(j)
        else:
            kept.append(col / norm)
    return dropped


def separating_covariates(y: np.ndarray, x: np.ndarray, names: Sequence[str]) -> list[str]:
    """Covariates that alone predict the treatment perfectly (so no MLE exists).

    A covariate separates when every treated row lies on one side of every
    control row (ties at the boundary included: quasi-complete separation), or,
    for a 0/1 covariate, when one of its values occurs only among treated or
    only among controls (Stata: "x != 0 predicts success perfectly").
    """
    treated = y == 1
    found = []
    for j, name in enumerate(names):
        col = x[:, j]
        t, c = col[treated], col[~treated]
        if t.max() <= c.min() or c.max() <= t.min():
            found.append(name)
            continue
        values = np.unique(col)
        if values.size == 2:
            for v in values:
                cell = y[col == v]
                if cell.min() == cell.max():
                    found.append(name)
                    break
    return found


def _names_text(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def fit_score_arrays(
    y: np.ndarray,
    x: np.ndarray,
    names: Sequence[str],
    *,
    model: ScoreModelName = MatchingOptions.model,
    weights: np.ndarray | None = None,
    index: pd.Index | None = None,
    treatment: str = "treatment",
) -> ScoreModel:
    """Fit the score model on arrays: ``y`` 0/1 (n,), ``x`` covariates (n, m) without constant."""
    model = check_model(model)
    names = [str(n) for n in names]
    n = y.shape[0]
    index = pd.RangeIndex(n) if index is None else index
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if y.min() == y.max():
        which = "treated" if y.min() == 1 else "untreated"
        raise EstimationError(
            f"every row used for the propensity score is {which}, so the score cannot be estimated",
            fix="include both treated and untreated rows",
        )
    dropped_pos = collinear_covariates(x) if x.shape[1] else []
    dropped = [names[j] for j in dropped_pos]
    if dropped:
        warnings.warn(
            f"propensity score: omitted because collinear with the constant or earlier covariates: {', '.join(dropped)}",
            CollinearityWarning,
            stacklevel=2,
        )
        keep = [j for j in range(len(names)) if j not in dropped_pos]
        x = x[:, keep]
        names = [names[j] for j in keep]
    positive = w > 0
    separated = separating_covariates(y[positive], x[positive], names) if names else []
    if separated:
        raise EstimationError(
            f"the {model} for the propensity score cannot be estimated: {_names_text(separated)} "
            "alone predict(s) the treatment perfectly (perfect prediction: treated and untreated rows do not overlap "
            "in that covariate)",
            fix=f"remove {_names_text(separated)} from psm_covariates, or restrict the sample to rows where treated and "
            "untreated overlap",
        )
    design = np.column_stack([x, np.ones(n)])
    fit = newton(model, y, design, w)
    if not fit.converged or not np.all(np.isfinite(fit.params)):
        raise EstimationError(
            f"the {model} for the propensity score did not converge in {fit.iterations} iterations; "
            f"the covariates {_names_text(names)} together predict the treatment (almost) perfectly",
            fix="drop some of these covariates from psm_covariates (start with the most extreme), or check them for "
            "coding errors",
        )
    try:
        cov = np.linalg.inv(fit.neg_hessian)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(
            f"the {model} information matrix is singular for covariates {_names_text(names)}",
            fix="drop covariates that are (nearly) collinear",
        ) from exc
    labels = [*names, CONSTANT]
    z = design @ fit.params
    return ScoreModel(
        model=model,
        treatment=treatment,
        params=pd.Series(fit.params, index=labels, name="coef"),
        cov=pd.DataFrame(cov, index=labels, columns=labels),
        llf=fit.llf,
        llnull=null_loglik(y, w),
        nobs=int(positive.sum()),
        sum_weights=float(w.sum()),
        iterations=fit.iterations,
        scores=pd.Series(cdf(model, z), index=index, name="pscore"),
        linear_index=pd.Series(z, index=index, name="xb"),
        weighted=weights is not None,
        dropped_collinear=tuple(dropped),
    )


def treatment_values(data: pd.DataFrame, treatment: str) -> np.ndarray:
    """The treatment column as floats; anything but 0, 1 or blank is an InputError at its row."""
    values = numeric_column(data, treatment)
    bad = ~np.isnan(values) & (values != 0) & (values != 1)
    if bad.any():
        first = data.index[bad][0]
        raise InputError(
            f"the treatment must be 0 or 1, found {values[bad][0]:g}",
            row=int(first) if isinstance(first, (int, np.integer)) else None,
            column=treatment,
            fix="code treated rows 1 and untreated rows 0",
        )
    return values


def fit_score(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    model: ScoreModelName = MatchingOptions.model,
    weights: str | None = None,
) -> ScoreModel:
    """Fit ``Pr(treatment = 1) = F(covariates' b + constant)`` on the rows of ``data``.

    Rows missing the treatment or a covariate are left out (as Stata does);
    with ``weights`` (a column, Stata iweight) rows with a missing or zero
    weight are left out too.
    """
    covariates = list(dict.fromkeys(covariates))
    require_columns(data, [treatment, *covariates, *([weights] if weights else [])])
    y = treatment_values(data, treatment)
    x = np.column_stack([numeric_column(data, c) for c in covariates]) if covariates else np.empty((len(data), 0))
    keep = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    w = None
    if weights:
        w_all = numeric_column(data, weights)
        if (w_all[~np.isnan(w_all)] < 0).any():
            raise InputError("weights must not be negative", column=weights, fix="use non-negative weights")
        keep &= ~np.isnan(w_all) & (w_all > 0)
        w = w_all[keep]
    return fit_score_arrays(
        y[keep], x[keep], covariates, model=model, weights=w, index=data.index[keep], treatment=treatment
    )
