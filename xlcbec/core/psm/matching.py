"""Matching on the propensity score with psmatch2's definitions (psmatch2 4.0.12).

Given scores ``p`` and a 0/1 treatment, for the ATT (treated matched to controls):

Common support (``common_support=True``, psmatch2's ``common``): a treated row
whose score lies outside ``[min, max]`` of the controls' scores is off support.
Controls stay on support (psmatch2 trims controls only for the ATE).

Kernels (psmatch2 ``_Kernel_``), with ``d = p_j - p_i`` for control j and
treated i and bandwidth h:
- ``epanechnikov``: ``K = 1 - (d/h)^2`` if ``|d| <= h``, else no weight (the
  3/4 factor cancels in the normalisation);
- ``normal``: ``K = phi(d/h)``, the standard normal density: every control;
then ``w_ij = K_ij / sum_j K_ij``.  A treated row with no control within h
(so no kernel weight at all) is off support, with or without ``common``.

Nearest neighbours (psmatch2 ``match_pscore``), with replacement: each treated
row takes the ``k`` controls with the smallest ``|p_i - p_j|``, each weighted
1/(number matched).  With a caliper c, only controls with ``|p_i - p_j| < c``
(strict, as psmatch2) count; a treated row with none is off support.
Tie rule (psmatch2's): the first neighbour is the closest control, and among
equally close ones the one with the lower score, then the one that comes first
in the data (psmatch2 uses the current sort order of the dataset, hence its
advice to randomise it; xlcbec uses the row order, which is reproducible).
Further neighbours are added by stepping outwards from the first one in score
order, taking the lower side when both sides are equally close.

Outputs, like psmatch2's variables: ``_support``; ``_weight`` (1 for treated on
support, the sum of its matching weights for a control with a positive sum,
missing otherwise); ``_y``, the matched outcome ``sum_j w_ij y_j`` of each
treated row on support.  ATT = mean over treated on support of ``y_i - _y_i``.

With ``estimand='ate'`` (psmatch2's ``ate``; its ``_Support_``, ``_Match_kernel``
and ``_mktab``): ``common`` also puts off support the untreated whose score lies
outside ``[min, max]`` of the treated scores (both ranges from the whole
groups); the untreated on support are matched to the treated on support with
the same kernel (or neighbours) first, and an untreated row with no treated
row in reach goes off support; then the treated are matched to the untreated
still on support.  ``ATU`` = mean over untreated on support of (matched treated
outcome - y); ``ATE = ATT N1/(N0 + N1) + ATU N0/(N0 + N1)`` with N1, N0 the
treated and untreated on support.  psmatch2's ``_weight`` of a treated row is
then the sum of its ATU weights; the ATT weights (treated 1) stay in
``weight`` for pstest (which resets treated weights to 1) and the PSM-DID.
psmatch2 reports no SE for ATU and ATE unless ``ai()`` is used.

Standard error (psmatch2 ``_mktab``; it "does not take into account that the
propensity score is estimated"):
``SE = sqrt(Var1/N1 + Var0 * sum_j _weight_j^2 / N1^2)`` where N1 = treated on
support, Var1 = sample variance (n - 1) of y among them, Var0 = unweighted
sample variance of y among controls with a ``_weight`` (weight > 0), and the
sum runs over those controls.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from xlcbec.core.options import Kernel, MatchingOptions, PsmEstimand
from xlcbec.errors import EstimationError

Method = Kernel  # the matching method: a kernel or nearest neighbours
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Treated rows per block when kernel weights are computed by broadcasting.
_BLOCK = 256


def check_options(method: str, bandwidth: float, k: int, caliper: float | None) -> Method:
    """The matching method after aliases; an OptionError for impossible options (through :class:`MatchingOptions`)."""
    return MatchingOptions(kernel=method, bandwidth=bandwidth, k=k, caliper=caliper).kernel  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Building blocks on arrays.


def kernel_values(d: np.ndarray, method: Method, bandwidth: float) -> np.ndarray:
    """Unnormalised kernel weights of score differences ``d = p_j - p_i`` (0 outside the window)."""
    u = d / bandwidth
    if method == "epanechnikov":
        return np.where(np.abs(d) <= bandwidth, 1.0 - u * u, 0.0)
    if method == "normal":
        return _INV_SQRT_2PI * np.exp(-0.5 * u * u)
    raise ValueError(f"no kernel for method {method!r}")


def kernel_weights(p_treated: np.ndarray, p_control: np.ndarray, *, method: Method, bandwidth: float) -> np.ndarray:
    """Normalised kernel weights, (n_treated, n_control); a treated row with no control in reach is all 0."""
    raw = kernel_values(p_control[None, :] - p_treated[:, None], method, bandwidth)
    total = raw.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, raw / np.where(total > 0, total, 1.0), 0.0)


def within_control_range(p: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """psmatch2 ``common`` for the ATT: True for controls, and for treated within [min, max] of the controls' scores."""
    p0 = p[~treated]
    return ~treated | ((p >= p0.min()) & (p <= p0.max()))


def within_common_range(p: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """psmatch2 ``common`` with ``ate``: each group within [min, max] of the other group's scores (whole groups)."""
    p0, p1 = p[~treated], p[treated]
    in_control_range = (p >= p0.min()) & (p <= p0.max())
    in_treated_range = (p >= p1.min()) & (p <= p1.max())
    return np.where(treated, in_control_range, in_treated_range)


def nearest_neighbours(p_treated: np.ndarray, p_control: np.ndarray, *, k: int = 1, caliper: float | None = None) -> list[np.ndarray]:
    """For each treated score, the positions (in ``p_control``) of its matched controls.

    Reproduces psmatch2's ``match_pscore``/``match2`` walk with replacement;
    see the module docstring for the tie rule.  An empty array means no control
    within the caliper (off support).
    """
    cal = math.inf if caliper is None else float(caliper)
    order = np.lexsort((np.arange(p_control.size), p_control))  # by score, then row order
    ps = p_control[order]
    last = ps.size - 1
    matches: list[np.ndarray] = []
    for pi in p_treated:
        pos = int(np.searchsorted(ps, pi, side="left"))
        # The closest control with the lowest sorted position: the first of the
        # tied group just below p_i, or the first at/above p_i.
        if pos == 0:
            best = 0
        else:
            best = int(np.searchsorted(ps, ps[pos - 1], side="left"))
            if pos <= last and abs(pi - ps[pos]) < abs(pi - ps[best]):
                best = pos
        if not abs(pi - ps[best]) < cal:
            matches.append(np.empty(0, dtype=np.int64))
            continue
        chosen = [best]
        pos0, pos1 = best - 1, best + 1
        dif0 = dif1 = math.inf
        while len(chosen) < k:
            if pos0 >= 0:
                dif0 = abs(pi - ps[pos0])
            if pos1 <= last:
                dif1 = abs(pi - ps[pos1])
            if (pos0 >= 0 and dif0 <= dif1) or (pos0 >= 0 and pos1 > last):
                j = pos0
                pos0 -= 1
            elif pos1 <= last:
                j = pos1
                pos1 += 1
            else:
                break
            if abs(pi - ps[j]) < cal:
                chosen.append(j)
            else:
                break
        matches.append(order[np.asarray(chosen, dtype=np.int64)])
    return matches


def _kernel_matrix(p1: np.ndarray, p0: np.ndarray, method: Method, bandwidth: float) -> sparse.csr_matrix:
    """Normalised kernel weights as a sparse (n1, n0) matrix, computed in blocks of treated rows.

    The non-zero weights of a block are read off in row-major order, which is the
    compressed-row layout itself: the matrix is assembled from them, not converted.
    """
    data, indices, counts = [], [], []
    for start in range(0, p1.size, _BLOCK):
        weights = kernel_weights(p1[start:start + _BLOCK], p0, method=method, bandwidth=bandwidth)
        rows, cols = np.nonzero(weights)
        data.append(weights[rows, cols])
        indices.append(cols)
        counts.append(np.bincount(rows, minlength=weights.shape[0]))
    if not data:
        return sparse.csr_matrix((0, p0.size))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
    return sparse.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=(p1.size, p0.size))


def _nearest_matrix(p1: np.ndarray, p0: np.ndarray, k: int, caliper: float | None) -> sparse.csr_matrix:
    matches = nearest_neighbours(p1, p0, k=k, caliper=caliper)
    counts = np.array([m.size for m in matches], dtype=np.int64)
    cols = np.concatenate(matches) if matches else np.empty(0, dtype=np.int64)
    rows = np.repeat(np.arange(p1.size), counts)
    vals = np.repeat(np.divide(1.0, counts, out=np.zeros(counts.size), where=counts > 0), counts)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(p1.size, p0.size))


def psmatch2_se(y: np.ndarray, treated: np.ndarray, support: np.ndarray, weight: np.ndarray) -> tuple[float, float, float, float]:
    """psmatch2's analytical ATT standard error: (SE, Var1, Var0, sum of control weights squared).

    ``weight`` is psmatch2's ``_weight`` (NaN = missing).  A variance over fewer
    than 2 rows is undefined (Stata: missing), so is then the SE.
    """
    on = treated & support
    n1 = int(on.sum())
    var1 = float(np.var(y[on], ddof=1)) if n1 >= 2 else math.nan
    matched = ~treated & ~np.isnan(weight)
    var0 = float(np.var(y[matched], ddof=1)) if matched.sum() >= 2 else math.nan
    sum_w2 = float(np.sum(weight[matched] ** 2))
    se = math.sqrt(var1 / n1 + var0 * sum_w2 / n1**2) if n1 else math.nan
    return se, var1, var0, sum_w2


def _nice_up(value: float) -> float:
    """Round up to two significant digits (for a suggested bandwidth)."""
    if value <= 0 or not math.isfinite(value):
        return value
    exponent = math.floor(math.log10(value)) - 1
    step = 10.0**exponent
    return round(math.ceil(value / step) * step, 12)


def _no_support_error(p1: np.ndarray, p0: np.ndarray, method: Method, bandwidth: float, caliper: float | None, n_in_range: int) -> EstimationError:
    if p1.size == 0 or n_in_range == 0:
        return EstimationError(
            "no treated row has a propensity score inside the range of the untreated rows' scores, so no treated row "
            "is on the common support",
            fix="check the covariates (treated and untreated rows may differ too much to be compared), or set "
            "common_support to no",
        )
    p0s = np.sort(p0)
    pos = np.clip(np.searchsorted(p0s, p1), 1, p0s.size - 1) if p0s.size > 1 else np.zeros(p1.size, dtype=int)
    nearest = np.minimum(np.abs(p1 - p0s[pos - 1 if p0s.size > 1 else 0]), np.abs(p1 - p0s[pos]))
    closest, typical = float(nearest.min()), float(np.quantile(nearest, 0.9))
    if method == "nearest":
        return EstimationError(
            f"no treated row has an untreated row within the caliper {caliper:g} (the closest pair is "
            f"{closest:.3g} apart)",
            fix=f"use a wider caliper (at least {_nice_up(typical)} matches 90% of the treated rows) or none",
        )
    return EstimationError(
        f"no treated row has an untreated row within the bandwidth {bandwidth:g} of its propensity score, so no "
        f"treated row is on support (the closest pair is {closest:.3g} apart)",
        fix=f"use a wider bandwidth: {_nice_up(typical)} puts 90% of the treated rows on support",
    )


@dataclass(frozen=True)
class MatchArrays:
    """Matching on arrays (n rows): ``support``, ``weight`` (NaN = missing) and the
    sparse (n, n) matrix ``matrix`` whose row i holds treated i's weights on control columns.

    With ``estimand='ate'``: ``matrix_untreated`` holds each untreated row's
    weights on treated columns and ``treated_weight`` psmatch2's ``_weight`` of
    the treated rows (the sum of their ATU weights; NaN = missing); otherwise None.
    """

    support: np.ndarray
    weight: np.ndarray
    matrix: sparse.csr_matrix
    matrix_untreated: sparse.csr_matrix | None = None
    treated_weight: np.ndarray | None = None


def _match_matrix(p_from: np.ndarray, p_to: np.ndarray, method: Method, bandwidth: float, k: int,
                  caliper: float | None) -> sparse.csr_matrix:
    """Each row of ``p_from`` matched to ``p_to`` (kernel weights or neighbours), as a sparse matrix."""
    if method == "nearest":
        return _nearest_matrix(p_from, p_to, k, caliper)
    return _kernel_matrix(p_from, p_to, method, bandwidth)


def _embed(local: sparse.csr_matrix, rows: np.ndarray, cols: np.ndarray, n: int) -> sparse.csr_matrix:
    """``local`` (rows x cols of the sample) as an (n, n) matrix: its row i at ``rows[i]``, column j at ``cols[j]``.

    ``rows`` and ``cols`` increase, so each row's columns stay in order: the
    compressed-row arrays are relabelled, not rebuilt.
    """
    local = local.tocsr()
    if not local.has_canonical_format:  # sorted column indices, no repeats
        local = local.copy()
        local.sum_duplicates()
    counts = np.zeros(n, dtype=np.int64)
    counts[rows] = np.diff(local.indptr)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return sparse.csr_matrix((local.data, cols[local.indices], indptr), shape=(n, n))


def match_arrays(
    p: np.ndarray,
    treated: np.ndarray,
    *,
    method: Method = MatchingOptions.kernel,
    bandwidth: float = MatchingOptions.bandwidth,
    common_support: bool = True,
    k: int = 1,
    caliper: float | None = None,
    estimand: PsmEstimand = MatchingOptions.estimand,
) -> MatchArrays:
    """psmatch2's matching on plain arrays (no labels, no outcome): the ATT, and with ``estimand='ate'`` the ATU too."""
    method = check_options(method, bandwidth, k, caliper)
    ate = estimand == "ate"
    treated = np.asarray(treated, dtype=bool)
    n = p.size
    if treated.all() or not treated.any():
        raise EstimationError(
            "matching needs both treated and untreated rows; found only "
            + ("treated" if treated.all() else "untreated") + " rows",
            fix="check the treatment column and the sample",
        )
    if common_support:
        support = within_common_range(p, treated) if ate else within_control_range(p, treated)
    else:
        support = np.ones(n, dtype=bool)
    support = support.copy()
    matrix_untreated = treated_weight = None
    if ate:
        # psmatch2 matches the untreated first; one with no treated row in reach goes off support.
        u_pos = np.flatnonzero(~treated & support)
        t_pool = np.flatnonzero(treated & support)
        local_u = (_match_matrix(p[u_pos], p[t_pool], method, bandwidth, k, caliper) if u_pos.size and t_pool.size
                   else sparse.csr_matrix((u_pos.size, t_pool.size)))
        support[u_pos[np.diff(local_u.indptr) == 0]] = False
        matrix_untreated = _embed(local_u, u_pos, t_pool, n)
        treated_sum = np.zeros(n)
        treated_sum[t_pool] = np.asarray(local_u.sum(axis=0)).ravel()
    t_pos = np.flatnonzero(treated & support)
    c_pos = np.flatnonzero(~treated & support) if ate else np.flatnonzero(~treated)
    p1, p0 = p[t_pos], p[c_pos]
    local = _match_matrix(p1, p0, method, bandwidth, k, caliper)
    has_match = np.diff(local.indptr) > 0
    if not has_match.any():
        raise _no_support_error(p[treated], p0 if p0.size else p[~treated], method, bandwidth, caliper, t_pos.size)
    support[t_pos[~has_match]] = False
    matrix = _embed(local, t_pos, c_pos, n)
    weight = np.full(n, np.nan)
    weight[treated & support] = 1.0
    control_sum = np.asarray(local.sum(axis=0)).ravel()
    weight[c_pos] = np.where(control_sum > 0, control_sum, np.nan)
    if ate:
        treated_weight = np.where(treated & support & (treated_sum > 0), treated_sum, np.nan)
    return MatchArrays(support=support, weight=weight, matrix=matrix, matrix_untreated=matrix_untreated,
                       treated_weight=treated_weight)


# ---------------------------------------------------------------------------
# The labelled result.


@dataclass(frozen=True, eq=False)
class Matching:
    """psmatch2's matching and ATT, labelled by the data rows.

    Series indexed by row: ``treated`` (bool), ``support`` (``_support``),
    ``weight`` (``_weight``, NaN = missing), ``matched_outcome`` (``_<outcome>``,
    NaN except treated on support).  ``matrix`` is the sparse (n, n) matrix of
    matching weights (row = treated row, column = control row, positions in
    the index order).  ``att``/``se`` are psmatch2's ATT and analytical SE;
    ``var1``, ``var0``, ``sum_w2`` the pieces of the SE.
    """

    method: Method
    bandwidth: float | None
    k: int | None
    caliper: float | None
    common_support: bool
    outcome: str | None
    treated: pd.Series
    support: pd.Series
    weight: pd.Series
    matched_outcome: pd.Series | None
    matrix: sparse.csr_matrix
    att: float | None
    se: float | None
    var1: float | None
    var0: float | None
    sum_w2: float | None
    estimand: PsmEstimand = "att"
    atu: float | None = None
    ate: float | None = None
    matrix_untreated: sparse.csr_matrix | None = None
    treated_weight: pd.Series | None = None

    @property
    def psmatch2_weight(self) -> pd.Series:
        """psmatch2's ``_weight``: ``weight``, with the treated rows' ATU weight sums under ``ate``."""
        if self.treated_weight is None:
            return self.weight
        return self.weight.where(~self.treated, self.treated_weight).rename("_weight")

    @property
    def n_treated_on(self) -> int:
        return int((self.treated & self.support).sum())

    @property
    def n_treated_off(self) -> int:
        return int((self.treated & ~self.support).sum())

    @property
    def n_control_on(self) -> int:
        return int((~self.treated & self.support).sum())

    @property
    def n_control_off(self) -> int:
        return int((~self.treated & ~self.support).sum())

    @property
    def n_control_matched(self) -> int:
        """Controls with a positive matching weight (psmatch2: ``_weight`` not missing)."""
        return int((~self.treated & self.weight.notna()).sum())

    @property
    def support_table(self) -> pd.DataFrame:
        """psmatch2's closing ``tab _treated _support``: rows Untreated/Treated/Total."""
        table = pd.DataFrame(
            {
                "off_support": [self.n_control_off, self.n_treated_off],
                "on_support": [self.n_control_on, self.n_treated_on],
            },
            index=["Untreated", "Treated"],
        )
        table["total"] = table.sum(axis=1)
        table.loc["Total"] = table.sum(axis=0)
        return table

    @property
    def t_stat(self) -> float | None:
        return None if self.att is None or self.se is None or not self.se else self.att / self.se

    def describe(self) -> str:
        if self.method == "nearest":
            how = f"{self.k} nearest neighbour(s) with replacement" + (
                f", caliper {self.caliper:g}" if self.caliper is not None else ""
            )
        else:
            how = f"{self.method} kernel, bandwidth {self.bandwidth:g}"
        how += ", common support" if self.common_support else ""
        if self.estimand == "ate":
            how += " (ate: untreated matched to treated too" + (", support rule on both groups)" if self.common_support else ")")
        return how


def match_scores(
    scores: pd.Series,
    treated: pd.Series,
    outcome: pd.Series | None = None,
    *,
    kernel: str = MatchingOptions.kernel,
    bandwidth: float = MatchingOptions.bandwidth,
    common_support: bool = True,
    k: int = 1,
    caliper: float | None = None,
    estimand: PsmEstimand = MatchingOptions.estimand,
) -> Matching:
    """Match treated to untreated rows on ``scores`` as psmatch2 does; ATT and SE if ``outcome`` is given.

    ``estimand='ate'`` (psmatch2's ``ate``) matches the untreated to the treated
    as well and adds ATU and ATE (see the module docstring).

    All three Series share the index (the data rows); ``treated`` holds 0/1
    or booleans; ``outcome`` must have no missing value (psmatch2 leaves rows
    with a missing outcome out of the sample before matching).
    """
    method = check_options(kernel, bandwidth, k, caliper)
    index = scores.index
    p = scores.to_numpy(dtype=float)
    is_treated = treated.reindex(index).to_numpy().astype(bool)
    result = match_arrays(
        p, is_treated, method=method, bandwidth=bandwidth, common_support=common_support, k=k, caliper=caliper,
        estimand=estimand,
    )
    att = se = var1 = var0 = sum_w2 = atu = ate = None
    matched_outcome = None
    name: Hashable | None = None
    if outcome is not None:
        name = outcome.name
        y = outcome.reindex(index).to_numpy(dtype=float)
        if np.isnan(y).any():
            raise ValueError("match_scores: outcome has missing values; leave those rows out first")
        on = is_treated & result.support
        m = np.full(p.size, np.nan)
        m[on] = (result.matrix @ y)[on]
        att = float(np.mean(y[on] - m[on]))
        se, var1, var0, sum_w2 = psmatch2_se(y, is_treated, result.support, result.weight)
        if result.matrix_untreated is not None:
            atu, ate = atu_and_ate(y, is_treated, result.support, result.matrix_untreated, att, m)
        matched_outcome = pd.Series(m, index=index, name=f"_{name}")
    return Matching(
        method=method,
        bandwidth=None if method == "nearest" else float(bandwidth),
        k=int(k) if method == "nearest" else None,
        caliper=None if caliper is None else float(caliper),
        common_support=bool(common_support),
        outcome=None if name is None else str(name),
        treated=pd.Series(is_treated, index=index, name="_treated"),
        support=pd.Series(result.support, index=index, name="_support"),
        weight=pd.Series(result.weight, index=index, name="_weight"),
        matched_outcome=matched_outcome,
        matrix=result.matrix,
        att=att,
        se=se,
        var1=var1,
        var0=var0,
        sum_w2=sum_w2,
        estimand=estimand,
        atu=atu,
        ate=ate,
        matrix_untreated=result.matrix_untreated,
        treated_weight=None if result.treated_weight is None else pd.Series(result.treated_weight, index=index,
                                                                           name="_weight"),
    )


def atu_and_ate(y: np.ndarray, treated: np.ndarray, support: np.ndarray, matrix_untreated: sparse.csr_matrix,
             att: float, matched: np.ndarray) -> tuple[float, float]:
    """psmatch2 ``_mktab`` under ``ate``: ATU over the untreated on support, ATE as the share-weighted average.

    ``matched`` (psmatch2's ``_y``) receives the untreated rows' matched treated outcome in place.
    """
    on0 = ~treated & support
    matched[on0] = (matrix_untreated @ y)[on0]
    atu = float(np.mean(matched[on0] - y[on0]))
    n1, n0 = int((treated & support).sum()), int(on0.sum())
    return atu, att * n1 / (n0 + n1) + atu * n0 / (n0 + n1)


# ---------------------------------------------------------------------------
# Fast ATT for bootstrap draws: rows carry frequency counts instead of being copied.


def att_with_counts(
    p: np.ndarray,
    treated: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    *,
    method: Method,
    bandwidth: float,
    common_support: bool,
) -> float:
    """The kernel-matching ATT on the sample in which row r appears ``counts[r]`` times (NaN: none on support)."""
    gap, matched = _gap_with_counts(p, treated, y, counts, method=method, bandwidth=bandwidth,
                                    common_support=common_support)
    return gap / matched if matched > 0 else math.nan


def effects_with_counts(
    p: np.ndarray,
    treated: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    *,
    method: Method,
    bandwidth: float,
    common_support: bool,
) -> tuple[float, float, float]:
    """(ATT, ATU, ATE) of psmatch2's ``ate`` on the sample in which row r appears ``counts[r]`` times.

    The support rule of ``ate`` (each group within the other's score range,
    ranges from the rows drawn) is applied by zeroing counts; then the ATT is
    :func:`att_with_counts` and the ATU the same with the roles swapped (the
    kernel is symmetric, so an untreated row no treated row reaches carries no
    ATT weight anyway, as in psmatch2's order of matching).  NaN where not defined.
    """
    counts = np.asarray(counts)
    if common_support:
        present = counts > 0
        p0, p1 = p[~treated & present], p[treated & present]
        if p0.size == 0 or p1.size == 0:
            return math.nan, math.nan, math.nan
        inside = np.where(treated, (p >= p0.min()) & (p <= p0.max()), (p >= p1.min()) & (p <= p1.max()))
        counts = np.where(inside, counts, 0)
    gap1, n1 = _gap_with_counts(p, treated, y, counts, method=method, bandwidth=bandwidth, common_support=False)
    gap0, n0 = _gap_with_counts(p, ~treated, y, counts, method=method, bandwidth=bandwidth, common_support=False)
    if n1 <= 0 or n0 <= 0:
        return math.nan, math.nan, math.nan
    att, atu = gap1 / n1, -gap0 / n0
    return att, atu, (att * n1 + atu * n0) / (n1 + n0)


def _gap_with_counts(
    p: np.ndarray,
    treated: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    *,
    method: Method,
    bandwidth: float,
    common_support: bool,
) -> tuple[float, float]:
    """Sum of ``counts * (y - matched outcome)`` over the treated on support, and their total count.

    The ATT is the ratio (:func:`att_with_counts`): the kernel-matching ATT on
    the sample in which row r appears ``counts[r]`` times.

    Equal to :func:`match_arrays` + the ATT on the expanded sample (tested),
    without copying rows: a control appearing c times enters every sum with
    weight c.  The Epanechnikov kernel is a quadratic in ``p_j`` inside the
    window, so its sums come from prefix sums over the sorted controls and a
    window search: O(n log n) per draw.  NaN when no treated row is on support.
    """
    c_mask = (~treated) & (counts > 0)
    t_mask = treated & (counts > 0)
    if not c_mask.any() or not t_mask.any():
        return math.nan, 0.0
    p0, c0, y0 = p[c_mask], counts[c_mask].astype(float), y[c_mask]
    p1, c1, y1 = p[t_mask], counts[t_mask].astype(float), y[t_mask]
    if common_support:
        inside = (p1 >= p0.min()) & (p1 <= p0.max())
        p1, c1, y1 = p1[inside], c1[inside], y1[inside]
        if p1.size == 0:
            return math.nan, 0.0
    if method == "epanechnikov":
        order = np.argsort(p0, kind="stable")
        ps, cs, ys = p0[order], c0[order], y0[order]
        # Centre the scores so that the quadratic expansion loses no precision.
        centre = 0.5 * float(ps[0] + ps[-1])
        u = ps - centre
        v = p1 - centre
        sums = np.zeros((6, ps.size + 1))
        cy = cs * ys
        np.cumsum(cs, out=sums[0, 1:])
        np.cumsum(cs * u, out=sums[1, 1:])
        np.cumsum(cs * u * u, out=sums[2, 1:])
        np.cumsum(cy, out=sums[3, 1:])
        np.cumsum(cy * u, out=sums[4, 1:])
        np.cumsum(cy * u * u, out=sums[5, 1:])
        lo = np.searchsorted(ps, p1 - bandwidth, side="left")
        hi = np.searchsorted(ps, p1 + bandwidth, side="right")
        s = sums[:, hi] - sums[:, lo]
        h2 = bandwidth * bandwidth
        # sum_j c_j (1 - (u_j - v)^2 / h^2) and the same with c_j y_j.
        denom = s[0] - (s[2] - 2.0 * v * s[1] + v * v * s[0]) / h2
        numer = s[3] - (s[5] - 2.0 * v * s[4] + v * v * s[3]) / h2
        has = (hi > lo) & (denom > 0)
    else:
        denom = np.empty(p1.size)
        numer = np.empty(p1.size)
        for start in range(0, p1.size, _BLOCK):
            kv = kernel_values(p0[None, :] - p1[start:start + _BLOCK, None], method, bandwidth) * c0[None, :]
            denom[start:start + _BLOCK] = kv.sum(axis=1)
            numer[start:start + _BLOCK] = kv @ y0
        has = denom > 0
    if not has.any():
        return math.nan, 0.0
    matched = numer[has] / denom[has]
    return float(np.sum(c1[has] * (y1[has] - matched))), float(np.sum(c1[has]))


def att_with_counts_batch(
    p: np.ndarray,
    treated: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    *,
    bandwidth: float,
    common_support: bool,
) -> np.ndarray:
    """:func:`att_with_counts` for the Epanechnikov kernel and B draws at once.

    ``p`` and ``counts`` are (B, n): each draw's scores and row counts.  The
    controls of every draw are sorted together (one ``argsort`` along rows)
    and the window sums come from prefix sums along rows, so the work is a
    handful of array operations for the whole batch.  Returns (B,) ATTs, NaN
    where no treated row is on support.
    """
    reps = p.shape[0]
    ctrl = np.flatnonzero(~treated)
    trt = np.flatnonzero(treated)
    n0 = ctrl.size
    p0, c0 = p[:, ctrl], counts[:, ctrl].astype(float)
    p1, c1 = p[:, trt], counts[:, trt].astype(float)
    y0, y1 = y[ctrl], y[trt]
    present0 = c0 > 0
    # Controls that were not drawn sort to the end and weigh nothing: past the most controls any draw
    # has, every draw's sorted row holds only those, so the sums stop there.
    p0 = np.where(present0, p0, np.inf)
    n_present = present0.sum(axis=1)
    order = np.argsort(p0, axis=1)[:, :max(int(n_present.max(initial=0)), 1)]
    width = order.shape[1]
    flat_order = (order + (np.arange(reps) * n0)[:, None]).ravel()
    ps = p0.ravel()[flat_order].reshape(reps, width)
    cs = c0.ravel()[flat_order].reshape(reps, width)
    ys = y0[order]
    ok = (n_present > 0) & (c1 > 0).any(axis=1)
    last = np.maximum(n_present - 1, 0)
    low, high = ps[:, 0], ps[np.arange(reps), last]
    centre = np.where(ok, 0.5 * (low + high), 0.0)
    u = np.where(np.isfinite(ps), ps - centre[:, None], 0.0)
    v = p1 - centre[:, None]
    cy = cs * ys
    # Prefix sums of c, c u, c u^2, c y, c y u, c y u^2 along the sorted controls.
    sums = np.empty((6, reps, width + 1))
    sums[:, :, 0] = 0.0
    moment = cs
    for j in range(3):
        np.cumsum(moment, axis=1, out=sums[j, :, 1:])
        moment = moment * u
    moment = cy
    for j in range(3, 6):
        np.cumsum(moment, axis=1, out=sums[j, :, 1:])
        moment = moment * u
    sums = sums.reshape(6, reps * (width + 1))
    lo = np.empty(p1.shape, dtype=np.int64)
    hi = np.empty(p1.shape, dtype=np.int64)
    for b in range(reps):
        lo[b] = np.searchsorted(ps[b], p1[b] - bandwidth, side="left")
        hi[b] = np.searchsorted(ps[b], p1[b] + bandwidth, side="right")
    offset = (np.arange(reps) * (width + 1))[:, None]
    s = sums[:, (hi + offset).ravel()].reshape(6, reps, -1) - sums[:, (lo + offset).ravel()].reshape(6, reps, -1)
    h2 = bandwidth * bandwidth
    denom = s[0] - (s[2] - 2.0 * v * s[1] + v * v * s[0]) / h2
    numer = s[3] - (s[5] - 2.0 * v * s[4] + v * v * s[3]) / h2
    on = (c1 > 0) & (hi > lo) & (denom > 0)
    if common_support:
        on &= (p1 >= low[:, None]) & (p1 <= high[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(on, y1[None, :] - numer / np.where(on, denom, 1.0), 0.0)
        weight = np.where(on, c1, 0.0)
        total = weight.sum(axis=1)
        att = (weight * gap).sum(axis=1) / np.where(total > 0, total, 1.0)
    return np.where(ok & (total > 0), att, np.nan)
