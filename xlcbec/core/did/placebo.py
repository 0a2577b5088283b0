"""Placebo test by random permutation of pilot years (docs/methods.md section 9).

Each draw reassigns the units' pilot years by a random permutation (so the
distribution of pilot years, never-treated included, is kept), rebuilds
``CBEC = 1[t >= placebo pilot year]`` and re-estimates the baseline.

Why it is fast: the sample, the fixed-effect projection of the outcome and of
the controls do not change between draws.  By Frisch-Waugh-Lovell the CBEC
coefficient is ``(d' M y) / (d' M d)`` with ``d`` the projected placebo
treatment and ``M`` the residual maker of the projected controls, so a draw
costs one projection of one column, done for a block of draws at once.

The two-sided permutation p-value is ``(1 + #{|b_r| >= |b|}) / (R + 1)``: the
actual assignment counts as one of the equally likely ones, so p is never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core.options import FIXED_EFFECTS, PLACEBO_REPS, SEED, SmallSample, Vcov, check_whole
from xlcbec.core.panel import FIRST_TREAT
from xlcbec.core.parallel import map_blocks
from xlcbec.core.results import estimate_row
from xlcbec.core.twfe import EstimationSample, fit_twfe, prepare_sample
from xlcbec.errors import InputError

BLOCK = 256  # draws projected together: bounds memory at n * BLOCK floats


@dataclass(frozen=True, eq=False)
class PlaceboResult:
    """The actual estimate, the placebo coefficients and the permutation p-value."""

    actual: float
    coefficients: np.ndarray  # shape (reps,)
    p_value: float
    reps: int
    seed: int
    nobs: int

    @property
    def mean(self) -> float:
        return float(self.coefficients.mean())

    @property
    def sd(self) -> float:
        return float(self.coefficients.std(ddof=1)) if self.reps > 1 else float("nan")

    def to_estimates(self) -> list[dict[str, Any]]:
        return [
            estimate_row(
                "placebo", "permutation", "CBEC", self.actual, p_value=self.p_value, nobs=self.nobs,
                std_error=self.sd,
                note=f"{self.reps} permutations of pilot years (seed {self.seed}); placebo mean {self.mean:.6g}, "
                f"SD {self.sd:.6g}; std_error = SD of the placebo coefficients",
            )
        ]


class PlaceboDesign:
    """The parts of the baseline that every draw shares."""

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        outcome: str,
        unit: str,
        time: str,
        first_treat: str = FIRST_TREAT,
        controls: Sequence[str] = (),
        fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
        sample: EstimationSample | None = None,
        drop_singletons: bool = True,
    ) -> None:
        if first_treat not in data.columns:
            raise InputError(f"the pilot-year column {first_treat!r} is missing", column=first_treat,
                             fix="give each city its pilot year")
        self.sample = sample or prepare_sample(
            data, columns=[outcome, *controls], unit=unit, time=time, fixed_effects=fixed_effects,
            drop_singletons=drop_singletons,
        )
        rows = data.loc[self.sample.index]
        self.time_values = rows[time].to_numpy(dtype=float)
        self.unit_codes = self.sample.unit_codes
        first = rows[first_treat].to_numpy(dtype=float)
        # one pilot year per unit (NaN = never), in unit-code order
        n_units = int(self.unit_codes.max()) + 1
        self.unit_first_treat = np.full(n_units, np.nan)
        self.unit_first_treat[self.unit_codes] = first
        fe = self.sample.fe
        y = fe.transform(rows[outcome].to_numpy(dtype=float))[:, 0]
        if controls:
            x = fe.transform(rows[list(controls)].to_numpy(dtype=float))
            q, r = np.linalg.qr(x)
            keep = np.abs(np.diag(r)) > 1e-10 * max(np.abs(np.diag(r)).max(), 1e-300)
            self._basis = q[:, keep]
            y = y - self._basis @ (self._basis.T @ y)
        else:
            self._basis = None
        self._y_resid = y

    def coefficients(self, unit_first_treat: np.ndarray) -> np.ndarray:
        """CBEC coefficients for pilot-year assignments (units x draws, NaN = never)."""
        assignments = np.atleast_2d(np.asarray(unit_first_treat, dtype=float).T).T
        assignments = np.where(np.isnan(assignments), np.inf, assignments)
        out = np.empty(assignments.shape[1])
        for start in range(0, assignments.shape[1], BLOCK):
            first = assignments[self.unit_codes, start:start + BLOCK]  # rows x draws
            d = self.sample.fe.transform((self.time_values[:, None] >= first).astype(float))
            # FWL with the controls: numerator d' M y = d' y_resid (y_resid is already
            # orthogonal to the controls); denominator d' M d = d'd - |B'd|^2.
            numerator = d.T @ self._y_resid
            denom = np.einsum("ij,ij->j", d, d)
            if self._basis is not None:
                projected = self._basis.T @ d
                denom = denom - np.einsum("ij,ij->j", projected, projected)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[start:start + BLOCK] = numerator / denom
        return out

    def draw(self, reps: int, seed: int) -> np.ndarray:
        """Placebo pilot-year assignments: ``reps`` permutations across units."""
        rng = np.random.default_rng(seed)
        return np.column_stack([rng.permutation(self.unit_first_treat) for _ in range(reps)]) if reps else np.empty(
            (self.unit_first_treat.size, 0)
        )


def placebo_test(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    first_treat: str = FIRST_TREAT,
    controls: Sequence[str] = (),
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    reps: int = PLACEBO_REPS,
    seed: int = SEED,
    n_jobs: int = 1,
    scheduler: Any = None,
    drop_singletons: bool = True,
) -> PlaceboResult:
    """Permutation placebo test of the baseline CBEC coefficient.

    Draws are made here (so the numbers do not depend on how they are spread)
    and their coefficients computed in blocks, in parallel when ``n_jobs`` or a
    Dask ``scheduler`` says so (:mod:`xlcbec.core.parallel`).
    """
    reps = check_whole("placebo_reps", reps, minimum=1)
    design = PlaceboDesign(data, outcome=outcome, unit=unit, time=time, first_treat=first_treat,
                           controls=controls, fixed_effects=fixed_effects, drop_singletons=drop_singletons)
    actual = float(design.coefficients(design.unit_first_treat)[0])
    draws = design.draw(reps, seed)
    blocks = [draws[:, start:start + BLOCK] for start in range(0, reps, BLOCK)]
    placebo = np.concatenate(map_blocks(design.coefficients, blocks, n_jobs=n_jobs, scheduler=scheduler))
    finite = placebo[np.isfinite(placebo)]
    p_value = (1 + np.sum(np.abs(finite) >= abs(actual) - 1e-15 * abs(actual))) / (finite.size + 1)
    return PlaceboResult(actual, finite, float(p_value), int(finite.size), int(seed), design.sample.fe.nobs)


def placebo_refit(
    data: pd.DataFrame,
    unit_first_treat: pd.Series,
    *,
    outcome: str,
    unit: str,
    time: str,
    controls: Sequence[str] = (),
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    vcov: Vcov = "cluster",
    small_sample: SmallSample = "stata",
) -> float:
    """The slow route: rebuild CBEC from a pilot-year assignment and refit the model."""
    first = data[unit].map(unit_first_treat)
    frame = data.assign(_placebo=(data[time] >= first.fillna(np.inf)).astype(float))
    res = fit_twfe(frame, outcome=outcome, regressors=["_placebo", *controls], unit=unit, time=time,
                   fixed_effects=fixed_effects, vcov=vcov, small_sample=small_sample)
    return float(res.params["_placebo"])
