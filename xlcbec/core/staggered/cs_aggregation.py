"""Aggregating Callaway & Sant'Anna ATT(g,t) into summary effects, with analytic standard errors.

Definitions follow Callaway & Sant'Anna (2021, J. Econometrics), section 3,
as implemented by R ``did::aggte`` (version 2.5):

- weights are cohort shares ``pg = P(G = g)`` (share of units first treated
  in g), normalised within the cells being averaged;
- ``simple``: post-treatment cells (t >= g) weighted by pg;
- ``group``: per cohort the plain mean over its post-treatment cells; overall
  = cohort means weighted by pg;
- ``dynamic``: per event time e = t - g the pg-weighted mean of the cells with
  that e (pre-treatment e included); overall = plain mean over e >= 0;
- ``calendar``: per period t the pg-weighted mean of the cells treated by t;
  overall = plain mean over those periods.

Because pg is estimated, every weighted average with data-dependent weights
carries an extra influence-function term (R's ``wif``): the numerator and the
denominator of ``pg_k / sum(pg)`` are sample means.  Averages with fixed
weights (a cohort's mean over periods, the mean over e >= 0) have none.
Standard errors are ``sqrt(mean(psi^2) / n)`` for a unit-level influence
function psi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from xlcbec.core import distributions

AggregationKind = Literal["simple", "group", "dynamic", "calendar"]

# R did reports a standard error this small (a cell with no sampling variation) as missing.
SE_FLOOR = float(np.sqrt(np.finfo(float).eps) * 10)


@dataclass(frozen=True, eq=False)
class CSAggregation:
    """One aggregation of ATT(g,t).

    ``detail`` is indexed by the cohort (``group``), event time (``dynamic``)
    or period (``calendar``) and has columns ``att``, ``se``, ``ci_low``,
    ``ci_high``; it is empty for ``simple``.  ``influence`` (length n units)
    is the influence function of the overall effect.
    """

    kind: AggregationKind
    overall_att: float
    overall_se: float
    overall_ci: tuple[float, float]
    detail: pd.DataFrame
    influence: np.ndarray


def standard_error(psi: np.ndarray) -> float:
    """Analytic SE of an average with unit-level influence function ``psi`` (R did ``getSE``)."""
    se = float(np.sqrt(np.mean(psi**2) / psi.shape[0]))
    return float("nan") if se <= SE_FLOOR else se


def weight_influence(pg: np.ndarray, cell_groups: np.ndarray, cohort: np.ndarray) -> np.ndarray:
    """Influence function (n x k) of the weights ``pg_k / sum(pg)`` over k cells.

    ``pg`` are the cells' cohort shares, ``cell_groups`` their cohorts,
    ``cohort`` the cohort of each unit.  Derivative of a ratio of means:
    (1{G=g_k} - pg_k) / S  minus  sum_j (1{G=g_j} - pg_j) * pg_k / S^2.
    """
    total = pg.sum()
    centered = (cohort[:, None] == cell_groups[None, :]).astype(float) - pg[None, :]
    return centered / total - centered.sum(axis=1, keepdims=True) * (pg / total**2)[None, :]


def _weighted(att: np.ndarray, influence: np.ndarray, weights: np.ndarray, wif: np.ndarray | None) -> tuple[float, np.ndarray]:
    psi = influence @ weights
    if wif is not None:
        psi = psi + wif @ att
    return float(att @ weights), psi


def _detail(labels: list[float], atts: list[float], ses: list[float], z: float, name: str) -> pd.DataFrame:
    att = np.asarray(atts, dtype=float)
    se = np.asarray(ses, dtype=float)
    return pd.DataFrame(
        {"att": att, "se": se, "ci_low": att - z * se, "ci_high": att + z * se},
        index=pd.Index(labels, name=name),
    )


def _result(kind: AggregationKind, att: float, psi: np.ndarray, detail: pd.DataFrame, z: float) -> CSAggregation:
    se = standard_error(psi)
    return CSAggregation(kind, att, se, (att - z * se, att + z * se), detail, psi)


def aggregate(
    kind: AggregationKind,
    *,
    groups: np.ndarray,
    times: np.ndarray,
    att: np.ndarray,
    influence: np.ndarray,
    cohort: np.ndarray,
    alpha: float,
) -> CSAggregation:
    """Aggregate K cells (``groups``, ``times``, ``att``: length K; ``influence``: n x K).

    ``cohort`` (length n) is each unit's first-treatment period (inf = never).
    Cells with a missing ATT must have been removed by the caller.
    """
    z = float(distributions.norm_ppf(1 - alpha / 2))
    pg = np.array([np.mean(cohort == g) for g in groups])
    post = groups <= times

    if kind == "simple":
        keep = np.flatnonzero(post)
        value, psi = _weighted(att[keep], influence[:, keep], pg[keep] / pg[keep].sum(),
                               weight_influence(pg[keep], groups[keep], cohort))
        return _result(kind, value, psi, _detail([], [], [], z, "label"), z)

    if kind == "group":
        labels, means, ses, columns = [], [], [], []
        for g in np.unique(groups[post]):
            keep = np.flatnonzero(post & (groups == g))
            # Within one cohort pg is constant, so the weights are fixed: no wif term.
            mean, psi_g = _weighted(att[keep], influence[:, keep], np.full(keep.size, 1 / keep.size), None)
            labels.append(g)
            means.append(mean)
            ses.append(standard_error(psi_g))
            columns.append(psi_g)
        cohort_att = np.asarray(means)
        cohort_if = np.column_stack(columns)
        cohort_pg = np.array([np.mean(cohort == g) for g in labels])
        value, psi = _weighted(cohort_att, cohort_if, cohort_pg / cohort_pg.sum(),
                               weight_influence(cohort_pg, np.asarray(labels, dtype=float), cohort))
        return _result(kind, value, psi, _detail(labels, means, ses, z, "group"), z)

    if kind == "dynamic":
        event = times - groups
        labels, means, ses, columns = [], [], [], []
        for e in np.unique(event):
            keep = np.flatnonzero(event == e)
            mean, psi_e = _weighted(att[keep], influence[:, keep], pg[keep] / pg[keep].sum(),
                                    weight_influence(pg[keep], groups[keep], cohort))
            labels.append(e)
            means.append(mean)
            ses.append(standard_error(psi_e))
            columns.append(psi_e)
        after = np.asarray(labels) >= 0
        value = float(np.mean(np.asarray(means)[after]))
        psi = np.column_stack(columns)[:, after].mean(axis=1)
        return _result(kind, value, psi, _detail(labels, means, ses, z, "event_time"), z)

    if kind == "calendar":
        labels, means, ses, columns = [], [], [], []
        for t in np.unique(times[post]):
            keep = np.flatnonzero(post & (times == t))
            mean, psi_t = _weighted(att[keep], influence[:, keep], pg[keep] / pg[keep].sum(),
                                    weight_influence(pg[keep], groups[keep], cohort))
            labels.append(t)
            means.append(mean)
            ses.append(standard_error(psi_t))
            columns.append(psi_t)
        value = float(np.mean(means))
        psi = np.column_stack(columns).mean(axis=1)
        return _result(kind, value, psi, _detail(labels, means, ses, z, "time"), z)

    raise ValueError(f"unknown aggregation {kind!r}: expected simple, group, dynamic or calendar")
