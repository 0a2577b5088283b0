"""PSM-DID (docs/methods.md section 5; the paper's eq. 9, Tables 5-6 and Figure 2).

The steps a Stata user runs, in one call:

1. ``psmatch2 CBEC covariates, outcome(y) kernel kerneltype(epan) bwidth(h) common``
   on the unit-year rows: probit (or logit) score, matching, ATT and its SE
   (:mod:`xlcbec.core.psm.pscore`, :mod:`xlcbec.core.psm.matching`);
2. ``bootstrap r(att), reps(R) seed(S) cluster(unit): psmatch2 ...``
   (:mod:`xlcbec.core.psm.bootstrap`);
3. ``pstest covariates, both`` (:mod:`xlcbec.core.psm.balance`);
4. the score densities of Figure 2 (:mod:`xlcbec.core.psm.kdensity`);
5. the baseline two-way fixed-effects DID re-estimated on the matched sample,
   (a) weighted by ``_weight`` (rows without a weight left out) and
   (b) unweighted on the rows with ``_support == 1`` (:func:`xlcbec.core.twfe.fit_twfe`).

The sample is the rows with the treatment, every covariate and the outcome
(psmatch2 leaves rows with a missing outcome out before estimating the score);
the rows left out are counted in ``rows``.  With a single period (a cross-
section) steps 1-4 run and the DID is not applicable (noted in ``warnings``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core import distributions
from xlcbec.core.numbers import numeric_column, require_columns
from xlcbec.core.options import (
    FIXED_EFFECTS,
    BootstrapOptions,
    FixedEffect,
    MatchingOptions,
    SEOptions,
)
from xlcbec.core.psm.balance import BalanceResult, pstest
from xlcbec.core.psm.bootstrap import BootstrapATT, bootstrap_att
from xlcbec.core.psm.kdensity import ScoreDensities, score_densities
from xlcbec.core.psm.matching import Matching, match_scores
from xlcbec.core.psm.pscore import (
    ScoreModel,
    fit_score_arrays,
    treatment_values,
)
from xlcbec.core.results import RegressionResult, RowAccount, estimate_row
from xlcbec.core.twfe import fit_twfe, normalize_fixed_effects
from xlcbec.errors import (
    EstimationError,
    InputError,
    NotApplicableError,
    OptionError,
    XlcbecWarning,
)

_Z975 = float(distributions.norm_ppf(0.975))


@dataclass(frozen=True, eq=False)
class PSMResult:
    """Everything PSM-DID produces, labelled and read-only.

    ``score``: the propensity-score model; ``matching``: psmatch2's support,
    weights, ATT and analytical SE; ``bootstrap``: the bootstrap SE (None when
    ``bootstrap_reps = 0``); ``balance``: pstest's table; ``densities``: the
    Figure 2 curves; ``did_weighted``/``did_support``: the TWFE DID on the
    matched sample (None when not applicable; ``warnings`` says why);
    ``rows``: rows read/used/dropped; ``settings``: the options used.
    """

    treatment: str
    outcome: str
    covariates: tuple[str, ...]
    controls: tuple[str, ...]
    settings: Mapping[str, Any]
    score: ScoreModel
    matching: Matching
    bootstrap: BootstrapATT | None
    balance: BalanceResult
    densities: ScoreDensities
    did_weighted: RegressionResult | None
    did_support: RegressionResult | None
    rows: RowAccount
    notes: tuple[str, ...] = ()

    @property
    def att(self) -> float:
        return float(self.matching.att) if self.matching.att is not None else math.nan

    @property
    def se(self) -> float:
        """psmatch2's analytical SE of the ATT."""
        return float(self.matching.se) if self.matching.se is not None else math.nan

    @property
    def variables(self) -> pd.DataFrame:
        """psmatch2's generated variables by data row: _pscore, _treated, _support, _weight, _<outcome>."""
        m = self.matching
        frame = pd.concat([self.score.scores.rename("_pscore"), m.treated.astype(int), m.support.astype(int),
                           m.psmatch2_weight], axis=1)
        if m.matched_outcome is not None:
            frame[m.matched_outcome.name] = m.matched_outcome
        return frame

    @property
    def model_name(self) -> str:
        return "nearest" if self.matching.method == "nearest" else "kernel"

    def to_estimates(self) -> list[dict[str, Any]]:
        """Rows for the Estimates sheet: psm_att/<kernel|nearest>/ATT (and ATU, ATE under ``ate``),
        psm_balance/unmatched|matched/<covariate>, psm_did/weighted|support/<treatment>."""
        m = self.matching
        t = self.att / self.se if self.se and math.isfinite(self.se) else math.nan
        note = self.bootstrap.describe() if self.bootstrap is not None else "bootstrap SE not computed (bootstrap_reps = 0)"
        note += (
            f"; std_error = psmatch2 SE (ignores that the score is estimated), p from N(0,1); {m.describe()}; "
            f"treated on support {m.n_treated_on} of {m.n_treated_on + m.n_treated_off}, "
            f"untreated matched {m.n_control_matched} of {m.n_control_on + m.n_control_off}"
        )
        rows = [
            estimate_row(
                "psm_att",
                self.model_name,
                "ATT",
                self.att,
                std_error=self.se,
                statistic=t,
                p_value=float(2 * distributions.norm_sf(abs(t))) if math.isfinite(t) else None,
                ci_low=self.att - _Z975 * self.se,
                ci_high=self.att + _Z975 * self.se,
                nobs=self.rows.used,
                note=note,
            )
        ]
        rows += self._ate_rows()
        rows += self.balance.to_estimates()
        for model, fit, what in (
            ("weighted", self.did_weighted, "weighted by the matching weights"),
            ("support", self.did_support, "unweighted, rows on the common support"),
        ):
            if fit is not None:
                rows += fit.to_estimates("psm_did", model, terms=[self.treatment], note=f"TWFE DID on the matched sample, {what}")
        return rows

    def _ate_rows(self) -> list[dict[str, Any]]:
        """psm_att rows ATU and ATE under psmatch2's ``ate``: std_error = the bootstrap SE (psmatch2 prints none)."""
        m = self.matching
        if m.estimand != "ate" or m.atu is None or m.ate is None:
            return []
        rows = []
        for term, value, boot_se in (("ATU", m.atu, self.bootstrap.se_atu if self.bootstrap else math.nan),
                                     ("ATE", m.ate, self.bootstrap.se_ate if self.bootstrap else math.nan)):
            z = value / boot_se if math.isfinite(boot_se) and boot_se > 0 else math.nan
            note = ("std_error = bootstrap SE (psmatch2 prints no SE for the ATU and ATE); "
                    f"{self.bootstrap.describe()}" if self.bootstrap is not None
                    else "no SE: psmatch2 prints none for the ATU and ATE, and the bootstrap is off (bootstrap_reps = 0)")
            note += (f"; {m.describe()}; untreated on support {m.n_control_on} of {m.n_control_on + m.n_control_off}"
                     if term == "ATU" else
                     f"; ATE = (ATT x {m.n_treated_on} + ATU x {m.n_control_on}) / {m.n_treated_on + m.n_control_on}")
            rows.append(estimate_row(
                "psm_att", self.model_name, term, value, std_error=boot_se, statistic=z,
                p_value=float(2 * distributions.norm_sf(abs(z))) if math.isfinite(z) else None,
                ci_low=value - _Z975 * boot_se, ci_high=value + _Z975 * boot_se, nobs=self.rows.used, note=note,
            ))
        return rows

    def __str__(self) -> str:
        m = self.matching
        lines = [
            f"PSM on {self.rows.describe()}: {m.describe()}",
            f"ATT on {self.outcome} = {self.att:.6f}  psmatch2 SE = {self.se:.6f}"
            + (f"  {self.bootstrap.describe()}" if self.bootstrap else ""),
            m.support_table.to_string(),
        ]
        if m.atu is not None and m.ate is not None:
            lines.insert(2, f"ATU = {m.atu:.6f}  ATE = {m.ate:.6f} (psmatch2 ate)")
        for label, fit in (("weighted", self.did_weighted), ("support", self.did_support)):
            if fit is not None:
                lines.append(f"PSM-DID ({label}): {self.treatment} = {fit.params[self.treatment]:.6f} "
                             f"(SE {fit.std_errors[self.treatment]:.6f}, N = {fit.nobs})")
        lines += list(self.notes)
        return "\n".join(lines)

    __repr__ = __str__


def _fresh_column(data: pd.DataFrame, base: str) -> str:
    name = base
    while name in data.columns:
        name = "_" + name
    return name


def psm_did(
    data: pd.DataFrame,
    *,
    treatment: str = "CBEC",
    covariates: Sequence[str],
    outcome: str,
    unit: str | None,
    time: str | None,
    controls: Sequence[str] | None = None,
    matching: MatchingOptions = MatchingOptions(),
    bootstrap: BootstrapOptions = BootstrapOptions(),
    se: SEOptions = SEOptions(),
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    density_points: int = 100,
) -> PSMResult:
    """Propensity-score matching with psmatch2/pstest semantics, then the DID on the matched sample.

    ``data`` has one row per unit-period, indexed by spreadsheet row.
    ``covariates`` enter the score model; ``controls`` (default: the
    covariates) enter the DID with the treatment.  ``unit`` is the bootstrap's
    resampling unit and the DID's unit effect and default cluster; with
    ``unit=None`` rows are resampled.  ``time=None`` or a single period: no DID.
    ``matching`` holds the score model and matching rule; ``bootstrap.reps = 0``
    skips the bootstrap.  ``se`` (clustered by the unit by default) and
    ``fixed_effects`` set both DID regressions as in
    :func:`~xlcbec.core.twfe.fit_twfe`.
    """
    fixed = normalize_fixed_effects(fixed_effects)
    covariates = list(dict.fromkeys(str(c) for c in covariates))
    if not covariates:
        raise OptionError("the propensity score needs at least one covariate (psm_covariates is empty)",
                          option="psm_covariates", fix="list covariates in 'psm_covariates' (default: the controls)")
    controls = covariates if controls is None else list(dict.fromkeys(str(c) for c in controls))
    controls = [c for c in controls if c != treatment]
    if treatment in covariates:
        raise OptionError(f"the treatment '{treatment}' cannot also be a covariate of its own propensity score",
                          option="psm_covariates", fix=f"remove '{treatment}' from psm_covariates")
    if not data.index.is_unique:
        raise ValueError("psm_did: the data's index (row labels) must be unique")
    needed = [treatment, *covariates, outcome] + [c for c in (unit, time) if c]
    require_columns(data, list(dict.fromkeys(needed)))
    require_columns(data, controls, role="control")

    caught: list[str] = []
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        result = _run(data, treatment=treatment, covariates=covariates, outcome=outcome, unit=unit, time=time,
                      controls=controls, options=matching, bootstrap=bootstrap, se=se, fixed_effects=fixed,
                      density_points=density_points, notes=caught)
    for record in records:  # pass them on, and keep their text for the Log
        warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
        text = str(record.message)
        if text not in caught:
            caught.append(text)
    return _with_warnings(result, caught)


def _with_warnings(result: PSMResult, notes: list[str]) -> PSMResult:
    return replace(result, notes=tuple(notes))


def _run(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: list[str],
    outcome: str,
    unit: str | None,
    time: str | None,
    controls: list[str],
    options: MatchingOptions,
    bootstrap: BootstrapOptions,
    se: SEOptions,
    fixed_effects: tuple[FixedEffect, ...],
    density_points: int,
    notes: list[str],
) -> PSMResult:
    d = treatment_values(data, treatment)
    x = np.column_stack([numeric_column(data, c) for c in covariates])
    y = numeric_column(data, outcome)
    complete = ~np.isnan(d) & ~np.isnan(x).any(axis=1) & ~np.isnan(y)
    if unit:
        complete &= data[unit].notna().to_numpy()
    read = len(data)
    dropped = {"missing treatment, covariate or outcome": int(read - complete.sum())} if complete.sum() < read else {}
    if complete.sum() == 0:
        raise InputError(
            "no row has the treatment, all covariates and the outcome",
            fix=f"fill in {treatment}, {outcome} and the covariates {', '.join(covariates)}",
        )
    index = data.index[complete]
    d, x, y = d[complete], x[complete], y[complete]
    treated = pd.Series(d == 1, index=index, name="_treated")

    model, method, bandwidth = options.model, options.kernel, options.bandwidth
    common_support, k, caliper = options.common_support, options.k, options.caliper
    score = fit_score_arrays(d, x, covariates, model=model, index=index, treatment=treatment)
    used = list(score.covariates)
    matching = match_scores(
        score.scores, treated, pd.Series(y, index=index, name=outcome),
        kernel=method, bandwidth=bandwidth, common_support=common_support, k=k, caliper=caliper,
        estimand=options.estimand,
    )
    cov_frame = pd.DataFrame(x[:, [covariates.index(c) for c in used]], index=index, columns=used)
    balance = pstest(cov_frame, treated, matching.support, matching.weight)
    notes.extend(balance.notes)
    densities = score_densities(score.scores, treated, matching.weight, points=density_points)

    boot = None
    reps, seed = bootstrap.reps, bootstrap.seed
    if bootstrap.enabled:
        codes = pd.factorize(data.loc[index, unit])[0] if unit else np.arange(index.size)
        design = np.column_stack([x[:, [covariates.index(c) for c in used]], np.ones(index.size)])
        boot = bootstrap_att(
            y, treated.to_numpy(), design, codes, model=model, start=score.params.to_numpy(), method=method,
            bandwidth=bandwidth, common_support=common_support, k=k, caliper=caliper, reps=reps, seed=seed,
            estimand=options.estimand,
        )
        if boot.failed:
            notes.append(boot.describe())

    did_weighted = did_support = None
    if time is None or unit is None:
        notes.append("PSM-DID not estimated: it needs unit and time columns (only the matching results are reported)")
    elif data.loc[index, time].nunique() < 2:
        notes.append("PSM-DID not estimated: the data have a single period (a cross-section), so only the matching "
                     "results are reported")
    else:
        did_weighted, did_support = _did(data.loc[index], matching, treatment=treatment, outcome=outcome,
                                         controls=controls, unit=unit, time=time, se=se,
                                         fixed_effects=fixed_effects, notes=notes)
    settings = {
        "treatment": treatment, "outcome": outcome, "psm_covariates": list(covariates), "controls": list(controls),
        "psm_model": model, "kernel": method, "bandwidth": matching.bandwidth, "k": matching.k,
        "caliper": caliper, "common_support": common_support, "psm_estimand": options.estimand,
        "bootstrap_reps": reps, "seed": seed,
        "cluster": (se.cluster_column(unit) if unit else None) or se.vcov,
    }
    return PSMResult(
        treatment=treatment, outcome=outcome, covariates=tuple(used), controls=tuple(controls),
        settings=MappingProxyType(settings),
        score=score, matching=matching, bootstrap=boot, balance=balance, densities=densities,
        did_weighted=did_weighted, did_support=did_support,
        rows=RowAccount(read=read, used=int(complete.sum()), dropped=dropped),
    )


def _did(
    panel: pd.DataFrame,
    matching: Matching,
    *,
    treatment: str,
    outcome: str,
    controls: list[str],
    unit: str,
    time: str,
    se: SEOptions,
    fixed_effects: tuple[FixedEffect, ...],
    notes: list[str],
) -> tuple[RegressionResult | None, RegressionResult | None]:
    weight_col = _fresh_column(panel, "_weight")
    frame = panel.copy()
    frame[weight_col] = matching.weight
    regressors = [treatment, *controls]
    fits: list[RegressionResult | None] = []
    for label, rows, weights in (
        ("weighted", matching.weight.notna(), weight_col),
        ("support", matching.support, None),
    ):
        try:
            fits.append(
                fit_twfe(frame, outcome=outcome, regressors=regressors, unit=unit, time=time, rows=rows.to_numpy(),
                         fixed_effects=fixed_effects, **se.fit_arguments(unit), weights=weights, treatment=treatment)
            )
        except (EstimationError, NotApplicableError) as exc:
            text = f"PSM-DID ({label}) not estimated: {exc}"
            notes.append(text)
            warnings.warn(text, XlcbecWarning, stacklevel=3)
            fits.append(None)
    return fits[0], fits[1]
