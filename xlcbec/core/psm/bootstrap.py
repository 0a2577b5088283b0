"""Bootstrap standard error of the matching ATT: resample units, re-estimate the score, re-match.

What Stata users run as ``bootstrap r(att), reps(R) seed(S) cluster(unit): psmatch2 ...``:
each draw samples the units (cities) with replacement, keeps all rows of a
sampled unit as often as the unit was drawn, re-estimates the propensity
score on that sample, matches again with the same options, and records the
ATT; the SE is the standard deviation of the draws' ATTs (n - 1 divisor, as
Stata's ``bootstrap``).  Draws in which the score model cannot be estimated
or no treated row is on support are left out and counted (Stata: "insufficient
observations" draws), and the count is reported with the SE.

Why it is fast: a draw is a vector of frequency counts over the rows rather
than a copied dataset.  All draws' probits are solved together by
Newton-Raphson from the full-sample estimate (:func:`~xlcbec.core.psm.pscore.newton_batch`),
and the Epanechnikov kernel ATT of each draw comes from prefix sums over the
sorted controls (:func:`~xlcbec.core.psm.matching.att_with_counts`).  Both are
tested against re-running the plain estimator on the expanded resample.
Nearest-neighbour draws are matched on the expanded resample (copies of a
control are separate neighbours, as in Stata).  Note that Abadie and Imbens
(2008) show the bootstrap is not valid for nearest-neighbour matching; psmatch2's
help says the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from xlcbec.core.options import BootstrapOptions, PsmEstimand, ScoreModelName
from xlcbec.core.parallel import map_blocks
from xlcbec.core.psm.matching import (
    Method,
    att_with_counts,
    att_with_counts_batch,
    atu_and_ate,
    effects_with_counts,
    match_arrays,
)
from xlcbec.core.psm.pscore import cdf, newton_batch
from xlcbec.errors import EstimationError

# Draws solved together: bounds the (draws x rows) work arrays.
DRAW_CHUNK = 64


@dataclass(frozen=True, eq=False)
class BootstrapATT:
    """Bootstrap SE of the ATT: ``draws`` holds each draw's ATT (NaN = failed draw).

    With psmatch2's ``ate``, ``atu_draws``/``ate_draws`` and ``se_atu``/``se_ate``
    are the same for the ATU and the ATE (psmatch2 prints no SE for them with
    kernel matching; this is the SE a Stata user gets from ``bootstrap r(atu) r(ate)``).
    """

    se: float
    reps: int
    seed: int
    draws: np.ndarray
    n_units: int
    atu_draws: np.ndarray | None = None
    ate_draws: np.ndarray | None = None

    @property
    def se_atu(self) -> float:
        return _draw_sd(self.atu_draws)

    @property
    def se_ate(self) -> float:
        return _draw_sd(self.ate_draws)

    @property
    def failed(self) -> int:
        return int(np.isnan(self.draws).sum())

    @property
    def valid(self) -> int:
        return self.reps - self.failed

    def describe(self) -> str:
        text = f"bootstrap SE = {self.se:.6g} ({self.valid} of {self.reps} draws of {self.n_units} units, seed {self.seed})"
        if self.failed:
            text += f"; {self.failed} draws left out (score not estimable or no treated row on support)"
        return text


def _draw_sd(draws: np.ndarray | None) -> float:
    if draws is None:
        return math.nan
    valid = draws[~np.isnan(draws)]
    return float(np.std(valid, ddof=1)) if valid.size >= 2 else math.nan


def unit_draws(n_units: int, reps: int, seed: int) -> np.ndarray:
    """How often each unit is drawn in each replication: (reps, n_units) counts."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n_units, size=(reps, n_units))
    counts = np.zeros((reps, n_units), dtype=np.int64)
    rows = np.repeat(np.arange(reps), n_units)
    np.add.at(counts, (rows, picks.ravel()), 1)
    return counts


def _att_expanded(p: np.ndarray, treated: np.ndarray, y: np.ndarray, counts: np.ndarray, method: Method,
                  bandwidth: float, common_support: bool, k: int, caliper: float | None) -> float:
    """The plain route: copy each row ``counts`` times (copies stay in row order) and match."""
    rows = np.repeat(np.arange(p.size), counts)
    t = treated[rows]
    if t.all() or not t.any():
        return math.nan
    try:
        m = match_arrays(p[rows], t, method=method, bandwidth=bandwidth, common_support=common_support, k=k,
                         caliper=caliper)
    except EstimationError:
        return math.nan
    on = t & m.support
    yy = y[rows]
    return float(np.mean(yy[on] - (m.matrix @ yy)[on]))


def _effects_expanded(p: np.ndarray, treated: np.ndarray, y: np.ndarray, counts: np.ndarray, method: Method,
                      bandwidth: float, common_support: bool, k: int, caliper: float | None) -> tuple[float, float, float]:
    """(ATT, ATU, ATE) under psmatch2's ``ate`` on the expanded resample (the plain route)."""
    rows = np.repeat(np.arange(p.size), counts)
    t = treated[rows]
    if t.all() or not t.any():
        return math.nan, math.nan, math.nan
    try:
        m = match_arrays(p[rows], t, method=method, bandwidth=bandwidth, common_support=common_support, k=k,
                         caliper=caliper, estimand="ate")
    except EstimationError:
        return math.nan, math.nan, math.nan
    yy = y[rows]
    on1 = t & m.support
    if not (~t & m.support).any() or m.matrix_untreated is None:
        return math.nan, math.nan, math.nan
    matched = m.matrix @ yy
    att = float(np.mean(yy[on1] - matched[on1]))
    atu, ate = atu_and_ate(yy, t, m.support, m.matrix_untreated, att, matched)
    return att, atu, ate


def draw_effects(p: np.ndarray, treated: np.ndarray, y: np.ndarray, counts: np.ndarray, *, method: Method,
                 bandwidth: float, common_support: bool, k: int = 1,
                 caliper: float | None = None) -> tuple[float, float, float]:
    """One draw's (ATT, ATU, ATE) under psmatch2's ``ate`` (NaN where not defined)."""
    if method == "nearest":
        return _effects_expanded(p, treated, y, counts, method, bandwidth, common_support, k, caliper)
    return effects_with_counts(p, treated, y, counts, method=method, bandwidth=bandwidth, common_support=common_support)


def draw_att(p: np.ndarray, treated: np.ndarray, y: np.ndarray, counts: np.ndarray, *, method: Method,
             bandwidth: float, common_support: bool, k: int = 1, caliper: float | None = None) -> float:
    """One draw's ATT given its scores and row counts (NaN when no treated row is on support)."""
    if method == "nearest":
        return _att_expanded(p, treated, y, counts, method, bandwidth, common_support, k, caliper)
    return att_with_counts(p, treated, y, counts, method=method, bandwidth=bandwidth, common_support=common_support)


def bootstrap_att(
    y: np.ndarray,
    treated: np.ndarray,
    design: np.ndarray,
    unit_codes: np.ndarray,
    *,
    model: ScoreModelName,
    start: np.ndarray,
    method: Method,
    bandwidth: float,
    common_support: bool,
    k: int = 1,
    caliper: float | None = None,
    reps: int = BootstrapOptions.reps,
    seed: int = BootstrapOptions.seed,
    n_jobs: int = 1,
    scheduler: Any = None,
    estimand: PsmEstimand = "att",
) -> BootstrapATT:
    """Bootstrap the ATT over units.

    ``design`` is the score model's (n, k) design with the constant last,
    ``start`` the full-sample coefficients, ``unit_codes`` 0..G-1 per row.
    All draws' unit counts come from one generator call; blocks of
    ``DRAW_CHUNK`` draws are solved together, in this process or spread over
    workers or a Dask cluster (``n_jobs``, ``scheduler``: see
    :mod:`xlcbec.core.parallel`), with the same numbers however they are spread.
    """
    n_units = int(unit_codes.max()) + 1
    unit_counts = unit_draws(n_units, reps, seed)
    blocks = [unit_counts[first:first + DRAW_CHUNK] for first in range(0, reps, DRAW_CHUNK)]
    job = partial(_block_att, y=y, treated=treated, design=design, unit_codes=unit_codes, model=model, start=start,
                  method=method, bandwidth=bandwidth, common_support=common_support, k=k, caliper=caliper,
                  estimand=estimand)
    width = 3 if estimand == "ate" else 1
    found = np.concatenate(map_blocks(job, blocks, n_jobs=n_jobs, scheduler=scheduler)) if blocks else np.full(
        (0, width), np.nan)
    found = found.reshape(-1, width)
    columns = [np.ascontiguousarray(found[:, j]) for j in range(width)]
    for column in columns:
        column.flags.writeable = False
    draws = columns[0]
    extra = {"atu_draws": columns[1], "ate_draws": columns[2]} if width == 3 else {}
    return BootstrapATT(se=_draw_sd(draws), reps=reps, seed=seed, draws=draws, n_units=n_units, **extra)


def _block_att(
    block: np.ndarray, *, y: np.ndarray, treated: np.ndarray, design: np.ndarray, unit_codes: np.ndarray,
    model: ScoreModelName, start: np.ndarray, method: Method, bandwidth: float, common_support: bool, k: int,
    caliper: float | None, estimand: PsmEstimand = "att",
) -> np.ndarray:
    """The ATTs of one block of draws (rows of unit counts); NaN where a draw fails.

    Under ``ate``: a (draws, 3) array of ATT, ATU, ATE.
    """
    row_counts = block[:, unit_codes]
    params, converged = newton_batch(model, y=treated.astype(float), x=design, weights=row_counts.astype(float),
                                     start=start)
    scores = cdf(model, params @ design.T)
    good = converged & np.all(np.isfinite(scores), axis=1)
    if estimand == "ate":
        effects = np.full((block.shape[0], 3), np.nan)
        for b in np.flatnonzero(good):
            effects[b] = draw_effects(scores[b], treated, y, row_counts[b], method=method, bandwidth=bandwidth,
                                      common_support=common_support, k=k, caliper=caliper)
        return effects
    draws = np.full(block.shape[0], np.nan)
    if method == "epanechnikov":
        draws[np.flatnonzero(good)] = att_with_counts_batch(scores[good], treated, y, row_counts[good],
                                                            bandwidth=bandwidth, common_support=common_support)
        return draws
    for b in np.flatnonzero(good):
        draws[b] = draw_att(scores[b], treated, y, row_counts[b], method=method, bandwidth=bandwidth,
                            common_support=common_support, k=k, caliper=caliper)
    return draws
