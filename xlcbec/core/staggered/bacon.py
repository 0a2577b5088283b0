"""Goodman-Bacon (2021) decomposition of the two-way fixed-effects DID coefficient.

With staggered adoption and no controls, the TWFE coefficient on a 0/1
treatment in a balanced panel is a weighted average of every 2x2 DID between
two timing groups (Goodman-Bacon 2021, J. Econometrics, Theorem 1):

- ``treated_vs_never``: cohort k against the never-treated units U, whole panel;
- ``earlier_vs_later``: earlier cohort k against later cohort l, periods before l
  (l not yet treated: a clean comparison);
- ``later_vs_earlier``: later cohort l against earlier cohort k, periods from k
  on (k already treated: its changes in effect bias this term);
- ``later_vs_always``: cohort l against units treated in every period A
  (treated before the panel starts), whole panel.

Always-treated units: their treatment never changes, so the unit effect
absorbs it and, after two-way demeaning, their treatment is identical to the
never-treated units' (both equal minus the period mean of D).  They are
therefore a comparison group like U, never a treated group, and the
"treated vs always treated" 2x2s get the treated-vs-untreated weight formula
with the cohort's treated share.  This is the paper's treatment and what R
``bacondecomp::bacon`` reports as "Later vs Always Treated".

Weights are eq. (10a-c) of the paper, with n_g the share of units in timing
group g and D_g the share of periods in which group g is treated:

    s_kU  = (n_k + n_U)^2 n_kU (1 - n_kU) D_k (1 - D_k) / V_D
    s_kl^k = ((n_k + n_l)(1 - D_l))^2 n_kl (1 - n_kl) (D_k - D_l)/(1 - D_l) (1 - D_k)/(1 - D_l) / V_D
    s_kl^l = ((n_k + n_l) D_k)^2 n_kl (1 - n_kl) (D_l / D_k) (D_k - D_l)/D_k / V_D

where n_kU = n_k / (n_k + n_U) and V_D is the variance of the two-way demeaned
treatment.  They are not rescaled: that they sum to 1 and reproduce the TWFE
coefficient is the theorem, which the tests check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from xlcbec.core.numbers import located_error, numeric_column, require_columns
from xlcbec.core.results import RowAccount, estimate_row
from xlcbec.core.staggered.wide_panel import (
    check_unique_unit_time,
    to_wide,
)
from xlcbec.errors import NotApplicableError

ComparisonType = Literal["earlier_vs_later", "later_vs_earlier", "treated_vs_never", "later_vs_always"]
COMPARISON_TYPES: tuple[ComparisonType, ...] = ("earlier_vs_later", "later_vs_earlier", "treated_vs_never", "later_vs_always")


@dataclass(frozen=True, eq=False)
class BaconResult:
    """All 2x2 comparisons, their weights, and the TWFE coefficient they add up to.

    ``comparisons``: one row per 2x2 with columns ``treated`` (adoption period
    of the treated cohort), ``control`` (adoption period of the comparison
    group; ``inf`` = never treated, the first period = always treated),
    ``type``, ``estimate``, ``weight``, ``n_treated``, ``n_control`` (units).
    ``by_type``: indexed by type, columns ``weight`` (total), ``estimate``
    (weight-averaged 2x2), ``comparisons`` (count).
    ``timing_groups``: number of units per adoption period (inf = never).
    """

    comparisons: pd.DataFrame
    by_type: pd.DataFrame
    twfe_coefficient: float
    variance_treatment: float
    timing_groups: pd.Series
    n_units: int
    n_periods: int
    outcome: str
    treatment: str
    rows: RowAccount
    notes: tuple[str, ...] = ()

    @property
    def decomposition_sum(self) -> float:
        """Sum of weight x estimate over all 2x2s: equals ``twfe_coefficient`` (Theorem 1)."""
        return float(np.sum(self.comparisons["weight"] * self.comparisons["estimate"]))

    def to_estimates(self, *, note: str = "") -> list[dict[str, Any]]:
        """Rows for the Estimates sheet: one per comparison type, term ``avg``."""
        rows = []
        for kind, row in self.by_type.iterrows():
            count = int(row["comparisons"])
            text = f"{count} 2x2 comparison{'s' if count != 1 else ''}; TWFE = {self.twfe_coefficient:.6g}"
            rows.append(
                estimate_row(
                    "bacon", str(kind), "avg", row["estimate"],
                    weight=row["weight"], nobs=self.n_units * self.n_periods,
                    note="; ".join(s for s in (text, note) if s),
                )
            )
        return rows

    def __str__(self) -> str:
        lines = [
            f"Goodman-Bacon decomposition of the TWFE DID: {self.outcome} on {self.treatment}, "
            f"{self.n_units} units x {self.n_periods} periods",
            self.by_type.to_string(float_format=lambda v: f"{v:.6f}"),
            f"TWFE coefficient {self.twfe_coefficient:.10f} = sum of weight x estimate {self.decomposition_sum:.10f}",
        ]
        lines.extend(f"Note: {w}" for w in self.notes)
        return "\n".join(lines)

    __repr__ = __str__


def twfe_by_demeaning(outcome: np.ndarray, treatment: np.ndarray) -> tuple[float, float]:
    """TWFE DID coefficient and V_D on a balanced N x T panel, by closed-form two-way demeaning.

    D~ = D - mean_i - mean_t + mean; beta = sum(D~ y) / sum(D~^2); V_D = mean(D~^2).
    """
    d = treatment - treatment.mean(axis=1, keepdims=True) - treatment.mean(axis=0, keepdims=True) + treatment.mean()
    denominator = float(np.sum(d * d))
    return float(np.sum(d * outcome) / denominator), denominator / d.size


def _did(outcome: np.ndarray, treated: np.ndarray, control: np.ndarray, before: np.ndarray, after: np.ndarray) -> float:
    """(treated after - treated before) - (control after - control before), means over units and periods."""
    def mean(units: np.ndarray, periods: np.ndarray) -> float:
        return float(outcome[np.ix_(units, periods)].mean())
    return (mean(treated, after) - mean(treated, before)) - (mean(control, after) - mean(control, before))


def _read(data: pd.DataFrame, *, outcome: str, treatment: str, unit: str, time: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index, RowAccount]:
    require_columns(data, [unit, time, outcome, treatment])
    frame = data[[unit]].copy()
    frame[time] = numeric_column(data, time)
    frame["_y"] = numeric_column(data, outcome)
    frame["_d"] = numeric_column(data, treatment)
    check_unique_unit_time(frame, unit, time)
    not_binary = ~np.isnan(frame["_d"].to_numpy()) & ~np.isin(frame["_d"].to_numpy(), (0.0, 1.0))
    if not_binary.any():
        raise located_error(
            f"the treatment must be 0 or 1; found {frame['_d'].to_numpy()[not_binary][0]!r}",
            rows=data.index[not_binary], column=treatment,
            fix="use 1 in the periods a unit is treated and 0 otherwise",
        )
    complete = frame[unit].notna().to_numpy() & ~frame[[time, "_y", "_d"]].isna().any(axis=1).to_numpy()
    if not complete.all():
        gaps = data.index[~complete]
        raise NotApplicableError(
            f"the Goodman-Bacon decomposition needs a balanced panel with '{outcome}' and '{treatment}' in every "
            f"unit-period; {int((~complete).sum())} rows have blanks (first at row {gaps[0]}). "
            "Fill them (interpolation) or remove those units"
        )
    panel_y, complete_y = to_wide(frame, unit=unit, time=time, value="_y")
    panel_d, _ = to_wide(frame, unit=unit, time=time, value="_d")
    if not complete_y.all():
        raise NotApplicableError(
            f"the Goodman-Bacon decomposition needs a balanced panel: {int((~complete_y).sum())} units are not "
            f"observed in all {len(panel_y.times)} periods. Add the missing unit-periods or remove those units"
        )
    d = panel_d.outcome
    switch_off = np.diff(d, axis=1) < 0
    if switch_off.any():
        i, j = np.argwhere(switch_off)[0]
        raise located_error(
            f"the treatment must be absorbing (once 1, it stays 1), but for {unit} {panel_d.units[i]!r} it goes from 1 "
            f"in {panel_d.times[j]:g} to 0 in {panel_d.times[j + 1]:g}",
            rows=pd.Index([panel_d.rows[i, j], panel_d.rows[i, j + 1]]),
            column=treatment,
            fix="code the treatment as 1 from the first treated period on (the decomposition needs staggered adoption)",
        )
    return panel_y.outcome, d, panel_y.times, panel_y.units, RowAccount(read=len(data), used=d.size)


def bacon_decomposition(data: pd.DataFrame, *, outcome: str, treatment: str, unit: str, time: str) -> BaconResult:
    """Every 2x2 DID of the TWFE coefficient of ``outcome`` on ``treatment`` with unit and period effects."""
    y, d, times, units, rows = _read(data, outcome=outcome, treatment=treatment, unit=unit, time=time)
    n_units, n_periods = d.shape
    treated_any = d.any(axis=1)
    # Adoption period index; never treated -> n_periods (after the panel).
    start = np.where(treated_any, d.argmax(axis=1), n_periods)
    groups = np.unique(start)
    always = 0 in groups
    warnings: list[str] = []
    if always:
        warnings.append(
            f"{int(np.sum(start == 0))} units are treated in every period (first period {times[0]:g} or before): "
            "they serve only as a comparison group (later_vs_always)"
        )
    cohorts = [int(k) for k in groups if 0 < k < n_periods]
    if not cohorts:
        raise NotApplicableError(
            "the Goodman-Bacon decomposition needs units whose treatment switches on inside the panel; "
            f"here every unit is {'treated throughout or ' if always else ''}never treated"
        )
    if len(groups) < 2:
        raise NotApplicableError(
            "the Goodman-Bacon decomposition needs at least two timing groups (several adoption periods, or "
            f"never-treated units); every unit here is first treated in {times[cohorts[0]]:g}, so the period "
            "effects absorb the treatment"
        )

    twfe, variance_d = twfe_by_demeaning(y, d)
    share = {int(g): float(np.mean(start == g)) for g in groups}          # n_g: share of units
    treated_share = {int(g): float(d[start == g].mean()) for g in groups}  # D_g: share of periods treated
    all_periods = np.arange(n_periods)

    records = []
    for k in cohorts:
        for u in (int(g) for g in groups):
            if u == k:
                continue
            n_k, n_u, d_k, d_u = share[k], share[u], treated_share[k], treated_share[u]
            n_ku = n_k / (n_k + n_u)
            members_k, members_u = np.flatnonzero(start == k), np.flatnonzero(start == u)
            if u == n_periods or u == 0:
                kind = "treated_vs_never" if u == n_periods else "later_vs_always"
                estimate = _did(y, members_k, members_u, all_periods[:k], all_periods[k:])
                weight = (n_k + n_u) ** 2 * n_ku * (1 - n_ku) * d_k * (1 - d_k) / variance_d
            elif k < u:
                kind = "earlier_vs_later"
                estimate = _did(y, members_k, members_u, all_periods[:k], all_periods[k:u])
                weight = (((n_k + n_u) * (1 - d_u)) ** 2 * n_ku * (1 - n_ku)
                          * (d_k - d_u) / (1 - d_u) * (1 - d_k) / (1 - d_u) / variance_d)
            else:
                kind = "later_vs_earlier"
                # Here the earlier cohort u is the control; eq. (10c) with the roles k=u (earlier), l=k (later).
                n_early = n_u / (n_k + n_u)
                estimate = _did(y, members_k, members_u, all_periods[u:k], all_periods[k:])
                weight = (((n_k + n_u) * d_u) ** 2 * n_early * (1 - n_early)
                          * (d_k / d_u) * (d_u - d_k) / d_u / variance_d)
            records.append({
                "treated": float(times[k]),
                "control": float("inf") if u == n_periods else float(times[u]),
                "type": kind,
                "estimate": estimate,
                "weight": weight,
                "n_treated": int(members_k.size),
                "n_control": int(members_u.size),
            })

    comparisons = pd.DataFrame.from_records(records)
    by_type = _by_type(comparisons)
    timing = pd.Series(
        {float("inf") if g == n_periods else float(times[g]): int(np.sum(start == g)) for g in groups},
        name="units",
    )
    timing.index.name = "first_treated"
    return BaconResult(
        comparisons=comparisons,
        by_type=by_type,
        twfe_coefficient=twfe,
        variance_treatment=variance_d,
        timing_groups=timing,
        n_units=n_units,
        n_periods=n_periods,
        outcome=outcome,
        treatment=treatment,
        rows=rows,
        notes=tuple(warnings),
    )


def _by_type(comparisons: pd.DataFrame) -> pd.DataFrame:
    out: dict[str, Mapping[str, float]] = {}
    for kind in COMPARISON_TYPES:
        part = comparisons[comparisons["type"] == kind]
        if part.empty:
            continue
        total = float(part["weight"].sum())
        out[kind] = {
            "weight": total,
            "estimate": float(np.sum(part["weight"] * part["estimate"]) / total) if total > 0 else float("nan"),
            "comparisons": len(part),
        }
    frame = pd.DataFrame.from_dict(out, orient="index")
    frame.index.name = "type"
    return frame
