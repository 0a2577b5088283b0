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

from xlcbec.core.options import BootstrapOptions, ScoreModelName
from xlcbec.core.parallel import map_blocks
from xlcbec.core.psm.matching import (
    Method,
    att_with_counts,
    att_with_counts_batch,
    match_arrays,
)
from xlcbec.core.psm.pscore import cdf, newton_batch
from xlcbec.errors import EstimationError

# Draws solved together: bounds the (draws x rows) work arrays.
DRAW_CHUNK = 64


@dataclass(frozen=True, eq=False)
class BootstrapATT:
    """Bootstrap SE of the ATT: ``draws`` holds each draw's ATT (NaN = failed draw)."""

    se: float
    reps: int
    seed: int
    draws: np.ndarray
    n_units: int

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
                  method=method, bandwidth=bandwidth, common_support=common_support, k=k, caliper=caliper)
    draws = np.concatenate(map_blocks(job, blocks, n_jobs=n_jobs, scheduler=scheduler)) if blocks else np.full(0, np.nan)
    valid = draws[~np.isnan(draws)]
    se = float(np.std(valid, ddof=1)) if valid.size >= 2 else math.nan
    draws.flags.writeable = False
    return BootstrapATT(se=se, reps=reps, seed=seed, draws=draws, n_units=n_units)


def _block_att(
    block: np.ndarray, *, y: np.ndarray, treated: np.ndarray, design: np.ndarray, unit_codes: np.ndarray,
    model: ScoreModelName, start: np.ndarray, method: Method, bandwidth: float, common_support: bool, k: int,
    caliper: float | None,
) -> np.ndarray:
    """The ATTs of one block of draws (rows of unit counts); NaN where a draw fails."""
    draws = np.full(block.shape[0], np.nan)
    row_counts = block[:, unit_codes]
    params, converged = newton_batch(model, y=treated.astype(float), x=design, weights=row_counts.astype(float),
                                     start=start)
    scores = cdf(model, params @ design.T)
    good = converged & np.all(np.isfinite(scores), axis=1)
    if method == "epanechnikov":
        draws[np.flatnonzero(good)] = att_with_counts_batch(scores[good], treated, y, row_counts[good],
                                                            bandwidth=bandwidth, common_support=common_support)
        return draws
    for b in np.flatnonzero(good):
        draws[b] = draw_att(scores[b], treated, y, row_counts[b], method=method, bandwidth=bandwidth,
                            common_support=common_support, k=k, caliper=caliper)
    return draws
