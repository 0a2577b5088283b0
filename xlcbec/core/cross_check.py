"""An independent re-estimation of xlcbec's numbers with the libraries the field knows (Settings ``cross_check``).

After a refresh with ``cross_check = yes``:

- each baseline column (docs/methods.md section 3) is re-estimated with
  linearmodels' ``PanelOLS`` on the same rows (entity and/or time effects as
  the model has them).  linearmodels is asked for the plain sandwich
  (``debiased=False``, effects not counted: CR0, HC0 or RSS/n) and the small-sample
  rule is applied here, written out from the data: clustered,
  ``G/(G-1) (n-1)/(n-K)`` with K = slopes + fixed-effect levels not nested in
  the clusters + 1 (the constant), which is k + T for unit and year effects
  clustered by unit; robust and conventional, ``n/(n-K_all)`` with every
  fixed-effect level counted.
- the PSM score model is re-estimated with statsmodels ``Probit``/``Logit``
  on the rows it used (statsmodels' default covariance is the inverse of the
  observed information, Stata's).

The largest absolute and relative differences of coefficients and standard
errors per model go to the Log (:meth:`CrossCheck.lines`) and a one-line
verdict to the Summary (:meth:`CrossCheck.summary_line`); a difference above
:data:`TOLERANCE` is a warning naming the model.

linearmodels and statsmodels are imported here, inside the functions, and this
module is imported only when ``cross_check = yes``, so a refresh without it
never loads them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xlcbec.core.results import RegressionResult

# Differences above this (absolute and relative both) are a warning: two correct
# routes to the same least-squares numbers agree to about 1e-13.
TOLERANCE = 1e-8


@dataclass(frozen=True)
class ModelCheck:
    """One model re-estimated: the largest |differences| of its coefficients and standard errors."""

    analysis: str
    model: str
    library: str  # "linearmodels 7.1", "statsmodels 0.15.0"
    terms: int
    coef_abs: float
    coef_rel: float
    se_abs: float
    se_rel: float

    @property
    def largest(self) -> float:
        """The larger of the absolute and relative differences that decide the verdict (each pair's smaller)."""
        return max(min(self.coef_abs, self.coef_rel), min(self.se_abs, self.se_rel))

    @property
    def agrees(self) -> bool:
        return self.largest <= TOLERANCE

    def line(self) -> str:
        return (f"{self.analysis} {self.model}: checked against {self.library}: |Δcoef| <= {self.coef_abs:.1e} "
                f"(relative {self.coef_rel:.1e}), |ΔSE| <= {self.se_abs:.1e} (relative {self.se_rel:.1e}), "
                f"{self.terms} terms")


@dataclass(frozen=True)
class CrossCheck:
    """Every model checked, and those that could not be (with the reason)."""

    checks: tuple[ModelCheck, ...]
    skipped: tuple[str, ...] = field(default=())

    @property
    def warnings(self) -> list[str]:
        """One warning per model whose difference exceeds :data:`TOLERANCE`."""
        return [f"cross-check: {c.analysis} {c.model} differs from {c.library} by {c.largest:.2e} "
                f"(above {TOLERANCE:g}); the numbers of that model need a look" for c in self.checks if not c.agrees]

    @property
    def agrees(self) -> bool:
        return all(c.agrees for c in self.checks)

    def lines(self) -> list[str]:
        """The Log lines: one per model, then the models not checked."""
        return [c.line() for c in self.checks] + [f"not checked: {text}" for text in self.skipped]

    def summary_line(self, language: str = "en") -> str:
        """One sentence for the Summary sheet."""
        if not self.checks:
            return "交叉检验未能运行。" if language == "zh" else "Cross-check: nothing could be checked."
        libraries = ", ".join(dict.fromkeys(c.library for c in self.checks))
        coef = max(c.coef_abs for c in self.checks)
        se = max(c.se_abs for c in self.checks)
        bad = [f"{c.analysis} {c.model}" for c in self.checks if not c.agrees]
        if language == "zh":
            verdict = "一致" if not bad else "不一致：" + "、".join(bad)
            return (f"交叉检验（{libraries}）：{len(self.checks)} 个模型，|Δ系数| <= {coef:.0e}，"
                    f"|Δ标准误| <= {se:.0e}，{verdict}。")
        verdict = "all agree" if not bad else "differences in " + ", ".join(bad)
        return (f"Cross-check against {libraries}: {len(self.checks)} models, |Δcoef| <= {coef:.0e}, "
                f"|ΔSE| <= {se:.0e}; {verdict}.")


def _differences(ours: pd.Series, theirs: pd.Series) -> tuple[float, float]:
    """Largest absolute and relative difference over the terms both have."""
    a = ours.to_numpy(dtype=float)
    b = theirs.reindex(ours.index).to_numpy(dtype=float)
    gap = np.abs(a - b)
    if not np.isfinite(gap).all():
        return math.inf, math.inf
    scale = np.maximum(np.abs(b), np.finfo(float).tiny)
    return float(gap.max(initial=0.0)), float((gap / scale).max(initial=0.0))


def _nested(codes: np.ndarray, clusters: np.ndarray) -> bool:
    """Every level of ``codes`` lies in one cluster."""
    frame = pd.DataFrame({"level": codes, "cluster": clusters})
    return bool((frame.groupby("level")["cluster"].nunique() <= 1).all())


def small_sample_factor(fit: RegressionResult, rows: pd.DataFrame, *, unit: str, time: str) -> float:
    """The variance factor of xlcbec's rule (docs/methods.md section 3), counted afresh from the rows used.

    Clustered (``stata``): ``G/(G-1) (n-1)/(n-K)``, K = k + (fixed-effect
    parameters incl. the constant) - (levels of the effects nested in the
    clusters) + 1 when some are nested; ``areg``: every parameter counted;
    robust and conventional: ``n/(n-K_all)``.
    """
    n, k = len(rows), len(fit.params)
    column = {"unit": unit, "time": time}
    effects = [fe for fe in ("unit", "time") if fe in fit.fixed_effects]
    levels = {fe: rows[column[fe]].nunique() for fe in effects}
    absorbed = sum(levels.values()) - (len(effects) - 1) if effects else 1  # the constant counted once
    if fit.small_sample == "none":
        return 1.0
    if fit.vcov_type != "cluster":
        return n / (n - (k + absorbed))
    clusters = rows[fit.cluster or unit].to_numpy()
    g = len(pd.unique(clusters))
    nested = sum(levels[fe] for fe in effects if _nested(rows[column[fe]].to_numpy(), clusters))
    counted = absorbed if fit.small_sample == "areg" else absorbed - nested + (1 if nested else 0)
    return g / (g - 1) * (n - 1) / (n - (k + counted))


def check_regression(data: pd.DataFrame, fit: RegressionResult, *, analysis: str, model: str, unit: str,
                     time: str) -> ModelCheck:
    """Re-estimate ``fit`` with linearmodels' PanelOLS on the rows it used and compare."""
    import linearmodels
    from linearmodels import PanelOLS

    if fit.sample_index is None or fit.weighted:
        raise ValueError("only unweighted fits that record their rows can be checked")
    terms = [str(t) for t in fit.params.index]
    rows = data.loc[fit.sample_index]
    panel = rows.set_index([unit, time])
    options: dict[str, object] = {}
    if fit.vcov_type == "cluster":
        cov_type = "clustered"
        if fit.cluster in (None, unit):
            options["cluster_entity"] = True
        else:
            options["clusters"] = pd.Series(pd.factorize(rows[fit.cluster])[0], index=panel.index, name="cluster")
    else:
        cov_type = "robust" if fit.vcov_type == "robust" else "unadjusted"
    exog = panel[terms].astype(float)
    if not fit.fixed_effects:
        exog = exog.assign(const=1.0)
    result = PanelOLS(panel[fit.outcome].astype(float), exog, entity_effects="unit" in fit.fixed_effects,
                      time_effects="time" in fit.fixed_effects, singletons=True).fit(
        cov_type=cov_type, debiased=False, auto_df=False, count_effects=False, **options)
    factor = small_sample_factor(fit, rows, unit=unit, time=time)
    theirs_se = result.std_errors[terms] * math.sqrt(factor)
    coef_abs, coef_rel = _differences(fit.params, result.params[terms])
    se_abs, se_rel = _differences(fit.std_errors, theirs_se)
    return ModelCheck(analysis, model, f"linearmodels {linearmodels.__version__}", len(terms), coef_abs, coef_rel,
                      se_abs, se_rel)


def check_score_model(data: pd.DataFrame, score: object) -> ModelCheck:
    """Re-estimate the propensity-score model with statsmodels Probit/Logit on its rows and compare."""
    import statsmodels
    import statsmodels.api as sm

    params: pd.Series = score.params  # type: ignore[attr-defined]
    covariates = [c for c in params.index if c != "_cons"]
    rows = data.loc[score.scores.index]  # type: ignore[attr-defined]
    x = rows[covariates].astype(float).assign(_cons=1.0)
    y = pd.to_numeric(rows[score.treatment]).astype(float)  # type: ignore[attr-defined]
    family = sm.Probit if score.model == "probit" else sm.Logit  # type: ignore[attr-defined]
    fitted = family(y, x).fit(disp=0, method="newton", tol=1e-12, maxiter=200)
    coef_abs, coef_rel = _differences(params, fitted.params)
    se_abs, se_rel = _differences(score.std_errors, fitted.bse)  # type: ignore[attr-defined]
    return ModelCheck("psm", f"score ({score.model})", f"statsmodels {statsmodels.__version__}",  # type: ignore[attr-defined]
                      len(params), coef_abs, coef_rel, se_abs, se_rel)


def cross_check(data: pd.DataFrame, *, baseline: object | None = None, psm: object | None = None, unit: str,
                time: str) -> CrossCheck:
    """Check the baseline columns and the PSM score model that a refresh produced (either may be None)."""
    checks: list[ModelCheck] = []
    skipped: list[str] = []
    if baseline is not None:
        for name, fit in baseline.models.items():  # type: ignore[attr-defined]
            try:
                checks.append(check_regression(data, fit, analysis="baseline", model=name, unit=unit, time=time))
            except (ValueError, np.linalg.LinAlgError) as problem:
                skipped.append(f"baseline {name} ({problem})")
    else:
        skipped.append("baseline (not run)")
    if psm is not None:
        try:
            checks.append(check_score_model(data, psm.score))  # type: ignore[attr-defined]
        except (ValueError, np.linalg.LinAlgError) as problem:
            skipped.append(f"PSM score model ({problem})")
    return CrossCheck(tuple(checks), tuple(skipped))


__all__: Sequence[str] = ("TOLERANCE", "CrossCheck", "ModelCheck", "check_regression", "check_score_model",
                          "cross_check", "small_sample_factor")
