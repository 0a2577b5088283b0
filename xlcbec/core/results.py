"""Frozen result objects shared by the estimators, and the tidy ``Estimates`` export.

The ``Estimates`` sheet has exactly the columns in :data:`ESTIMATE_COLUMNS`:
the 13 of contract v1, in their order, then the columns contract v2 appends
(``n_clusters``: G of the model's clustered SEs, blank where no clustering
applies).  Every analysis turns its result into rows of that shape with
:func:`estimate_row` / :func:`estimates_frame`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core import distributions

ESTIMATE_COLUMNS: tuple[str, ...] = (
    "analysis",
    "model",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "nobs",
    "r2_within",
    "weight",
    "note",
    # contract v2: appended, never inserted
    "n_clusters",
)

_NUMERIC = ("estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "nobs", "r2_within", "weight",
            "n_clusters")


def _clean(value: Any) -> Any:
    """None for missing numbers, plain Python floats otherwise (JSON- and Excel-safe)."""
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    return value


def estimate_row(
    analysis: str,
    model: str,
    term: str,
    estimate: float | None = None,
    *,
    std_error: float | None = None,
    statistic: float | None = None,
    p_value: float | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    nobs: int | float | None = None,
    r2_within: float | None = None,
    weight: float | None = None,
    note: str = "",
    n_clusters: int | None = None,
) -> dict[str, Any]:
    """One row of the ``Estimates`` sheet, with exactly the contract's columns.

    ``n_clusters`` is G of a regression with clustered standard errors (None: not clustered).
    """
    row = {
        "analysis": analysis,
        "model": model,
        "term": term,
        "estimate": estimate,
        "std_error": std_error,
        "statistic": statistic,
        "p_value": p_value,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "nobs": nobs,
        "r2_within": r2_within,
        "weight": weight,
        "note": note or "",
        "n_clusters": n_clusters,
    }
    return {k: _clean(v) for k, v in row.items()}


def estimates_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows -> a DataFrame with exactly :data:`ESTIMATE_COLUMNS`, numbers as floats."""
    frame = pd.DataFrame(list(rows), columns=list(ESTIMATE_COLUMNS))
    for col in _NUMERIC:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["note"] = frame["note"].fillna("").astype(str)
    return frame


@dataclass(frozen=True)
class RowAccount:
    """How many rows a model read, used and dropped, and why (for the Log and table notes)."""

    read: int
    used: int
    dropped: Mapping[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        if not self.dropped:
            return f"{self.used} of {self.read} rows used"
        why = "; ".join(f"{n} {reason}" for reason, n in self.dropped.items() if n)
        return f"{self.used} of {self.read} rows used ({why})"


@dataclass(frozen=True, eq=False)
class RegressionResult:
    """A fitted linear model with fixed effects: labelled, read-only.

    ``params``, ``std_errors``, ``tstats``, ``pvalues`` are Series indexed by
    term; ``cov`` is the k x k covariance DataFrame.  Inference uses the t
    distribution with ``df_inference`` degrees of freedom (G - 1 when clustered,
    n - K otherwise).
    """

    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    df_inference: int
    df_resid: int
    n_clusters: int | None
    r2_within: float
    r2: float
    rss: float
    fixed_effects: tuple[str, ...]
    vcov_type: str
    small_sample: str
    cluster: str | None = None  # the column clustered on (None unless vcov_type is "cluster")
    dropped_collinear: tuple[str, ...] = ()
    n_singletons: int = 0  # observations alone in a fixed-effect group, dropped or (singletons = "keep") kept
    singletons: str = "drop"  # "drop" (reghdfe) or "keep" (xtreg, fe): whether they count in nobs and n_clusters
    rows: RowAccount | None = None
    notes: tuple[str, ...] = ()
    outcome: str = ""
    weighted: bool = False
    sample_index: pd.Index | None = None

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("tstat")

    @property
    def pvalues(self) -> pd.Series:
        t = self.tstats.to_numpy()
        return pd.Series(2 * distributions.t_sf(np.abs(t), self.df_inference), index=self.params.index, name="pvalue")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        q = distributions.t_ppf(0.5 + level / 2, self.df_inference)
        se = self.std_errors
        return pd.DataFrame({"lower": self.params - q * se, "upper": self.params + q * se})

    def wald_test(self, terms: Sequence[str]) -> "WaldTest":
        """Joint test that ``terms`` are all zero: F = W/q against F(q, df_inference)."""
        return wald_test(self.params, self.cov, terms, self.df_inference)

    def inference(self, level: float = 0.95) -> tuple[np.ndarray, ...]:
        """(params, std errors, t, p, CI low, CI high) as arrays in term order.

        The same arithmetic as the labelled properties, without building a Series
        for each (an analysis turns dozens of models into Estimates rows).
        """
        b = self.params.to_numpy(dtype=float)
        se = np.sqrt(np.diag(self.cov.to_numpy()))
        t = b / se
        p = 2 * distributions.t_sf(np.abs(t), self.df_inference)
        q = distributions.t_ppf(0.5 + level / 2, self.df_inference)
        return b, se, t, p, b - q * se, b + q * se

    def to_estimates(self, analysis: str, model: str, *, terms: Sequence[str] | None = None, note: str = "") -> list[dict[str, Any]]:
        b, se, t, p, low, high = self.inference()
        position = {term: j for j, term in enumerate(self.params.index)}
        rows = []
        for term in terms if terms is not None else self.params.index:
            j = position.get(term)
            if j is None:
                continue
            rows.append(
                estimate_row(
                    analysis,
                    model,
                    str(term),
                    b[j],
                    std_error=se[j],
                    statistic=t[j],
                    p_value=p[j],
                    ci_low=low[j],
                    ci_high=high[j],
                    nobs=self.nobs,
                    r2_within=self.r2_within,
                    note=note,
                    n_clusters=self.n_clusters,
                )
            )
        return rows

    def __str__(self) -> str:
        ci = self.conf_int()
        table = pd.DataFrame(
            {
                "coef": self.params,
                "std_err": self.std_errors,
                "t": self.tstats,
                "p": self.pvalues,
                "ci_low": ci["lower"],
                "ci_high": ci["upper"],
            }
        )
        fe = " + ".join(self.fixed_effects) if self.fixed_effects else "none"
        lines = [
            f"Dependent variable: {self.outcome}    Fixed effects: {fe}",
            f"N = {self.nobs}" + (f"    clusters = {self.n_clusters}" if self.n_clusters else "")
            + f"    SE: {self.vcov_type} ({self.small_sample})",
            f"R-squared within = {self.r2_within:.4f}    R-squared incl. FE = {self.r2:.4f}",
            table.to_string(float_format=lambda v: f"{v:.6f}"),
        ]
        if self.dropped_collinear:
            lines.append("Dropped (collinear): " + ", ".join(self.dropped_collinear))
        if self.n_singletons:
            what = "dropped" if self.singletons == "drop" else "kept (counted in N and the clusters)"
            lines.append(f"Singleton observations {what}: {self.n_singletons}")
        return "\n".join(lines)

    __repr__ = __str__


@dataclass(frozen=True)
class WaldTest:
    """A joint Wald test: ``statistic`` is F = W / q, ``chi2`` is W."""

    statistic: float
    chi2: float
    df_num: int
    df_denom: int
    pvalue: float
    terms: tuple[str, ...]


def wald_test(params: pd.Series, cov: pd.DataFrame, terms: Sequence[str], df_denom: int) -> WaldTest:
    """Joint test that ``terms`` are zero: W = b' V^-1 b, F = W/q against F(q, df_denom)."""
    terms = [t for t in terms if t in params.index]
    if not terms:
        return WaldTest(float("nan"), float("nan"), 0, df_denom, float("nan"), ())
    b = params[terms].to_numpy()
    v = cov.loc[terms, terms].to_numpy()
    w = float(b @ np.linalg.pinv(v) @ b)
    q = len(terms)
    f = w / q
    return WaldTest(f, w, q, df_denom, float(distributions.f_sf(f, q, df_denom)), tuple(terms))
