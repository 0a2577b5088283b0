"""Heterogeneity of the CBEC effect across city groups (docs/methods.md section 6, paper Tables 7-10).

For every group value g (``coastal=1``, ``region=east``, ``cluster=PRD``, ...;
indicators from :mod:`xlcbec.core.did.city_groups`), three things:

1. The paper's column, on the full sample:
   ``y = b (G_g x CBEC) + g'X + mu_i + nu_t + e`` -- Estimates term ``GxCBEC``.
   As in the paper, ``CBEC`` itself is not in the model, so treated rows
   outside the group count with the comparison rows.
2. The split-sample estimate: the baseline DID ``y = a CBEC + g'X + FE`` on the
   group's rows only -- term ``CBEC_split``.
3. The test of equal effects against the complement: ``G_g x CBEC`` and
   ``(1 - G_g) x CBEC`` in one full-sample regression and the Wald test of
   equal coefficients, F(1, G - 1) under clustering (F(1, n - K) otherwise)
   -- term ``equal_effects`` (estimate = group minus complement).

Fixed effects, controls and standard errors follow the baseline (section 3).
Models 1 and 3 of a group share one estimation sample: rows complete in the
outcome, treatment, controls and the group indicator.  A group value with no
treated unit in that sample is not identified: it is skipped and the table
note says so.  A group whose attribute column is absent is skipped the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core import distributions
from xlcbec.core.did.city_groups import (
    CITY_CLUSTERS,
    GROUPS,
    POPULATION_COLUMN,
    REGIONS,
    SECONDARY_COLUMN,
    TERTIARY_COLUMN,
    GroupDummies,
    build_group_dummies,
    group_dummies,
)
from xlcbec.core.numbers import require_columns
from xlcbec.core.options import FIXED_EFFECTS, MEGACITY_THRESHOLD, SEOptions
from xlcbec.core.panel import TREATMENT
from xlcbec.core.results import RegressionResult, estimate_row
from xlcbec.core.twfe import SweptColumns, fit_twfe, normalize_fixed_effects, prepare_sample, sweep_columns
from xlcbec.errors import EstimationError, InputError

__all__ = [
    "CITY_CLUSTERS", "GROUPS", "REGIONS", "INTERACTION", "COMPLEMENT_INTERACTION", "EqualityTest", "GroupEstimate",
    "HeterogeneityResult", "equality_test", "group_dummies", "heterogeneity",
]

INTERACTION = "GxCBEC"  # the Estimates term of the paper's column
COMPLEMENT_INTERACTION = "(1-G)xCBEC"
SPLIT_TERM = "CBEC_split"
EQUALITY_TERM = "equal_effects"


@dataclass(frozen=True, eq=False)
class EqualityTest:
    """Wald test that the group's and the complement's CBEC effects are equal.

    ``difference`` = b(G x CBEC) - b((1-G) x CBEC) from ``regression``;
    ``statistic`` = difference^2 / Var(difference), F(1, ``df_denom``).
    """

    group_effect: float
    complement_effect: float
    difference: float
    std_error: float
    statistic: float
    df_num: int
    df_denom: int
    pvalue: float
    regression: RegressionResult


def equality_test(result: RegressionResult, first: str, second: str) -> EqualityTest:
    """Wald test of ``params[first] == params[second]`` with the result's covariance and df."""
    at = result.params.index.get_indexer(pd.Index([first, second]))
    b = result.params.to_numpy(dtype=float)[at]
    v = result.cov.to_numpy(dtype=float)[np.ix_(at, at)]
    diff = float(b[0] - b[1])
    var = float(v[0, 0] + v[1, 1] - 2.0 * v[0, 1])
    se = float(np.sqrt(var)) if var > 0 else float("nan")
    f = diff * diff / var if var > 0 else float("nan")
    p = float(distributions.f_sf(f, 1, result.df_inference)) if var > 0 else float("nan")
    return EqualityTest(float(b[0]), float(b[1]), diff, se, f, 1, result.df_inference, p, result)


@dataclass(frozen=True, eq=False)
class GroupEstimate:
    """The three estimates of one group value (``name`` = '<group>=<value>')."""

    group: str
    value: str
    interaction: RegressionResult  # full sample, term GxCBEC
    split: RegressionResult | None  # the group's rows only, term = the treatment
    equality: EqualityTest | None
    n_units: int  # units of the group in the full-sample estimation rows
    n_treated_units: int
    treatment: str = TREATMENT
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.group}={self.value}"

    @property
    def coef(self) -> float:
        return float(self.interaction.params[INTERACTION])

    @property
    def controls(self) -> tuple[str, ...]:
        """The control terms the paper's column kept (its terms other than the interaction)."""
        return tuple(str(t) for t in self.interaction.params.index if t != INTERACTION)

    def to_estimates(self) -> list[dict[str, Any]]:
        note = "; ".join((*self.notes, *self.interaction.notes))
        rows = self.interaction.to_estimates("heterogeneity", self.name, terms=[INTERACTION], note=note)
        rows += self.interaction.to_estimates("heterogeneity", self.name, terms=self.controls,
                                              note=f"control variable of the {INTERACTION} model")
        if self.split is not None:
            for row in self.split.to_estimates("heterogeneity", self.name, terms=[self.treatment],
                                               note="; ".join(("baseline on the group's rows only", *self.split.notes))):
                rows.append({**row, "term": SPLIT_TERM})
        if self.equality is not None:
            eq = self.equality
            rows.append(estimate_row(
                "heterogeneity", self.name, EQUALITY_TERM, eq.difference, std_error=eq.std_error,
                statistic=eq.statistic, p_value=eq.pvalue, nobs=eq.regression.nobs,
                r2_within=eq.regression.r2_within, n_clusters=eq.regression.n_clusters,
                note=(f"Wald test of equal effects, group {eq.group_effect:.6g} vs complement "
                      f"{eq.complement_effect:.6g}: F(1, {eq.df_denom}); estimate = group minus complement"),
            ))
        return rows


@dataclass(frozen=True, eq=False)
class HeterogeneityResult:
    """Per group value (keyed '<group>=<value>', in table order): :class:`GroupEstimate`.

    ``skipped`` maps a group or group value that was not estimated to the
    reason; ``notes`` (group definitions and every skip) go into the table note.
    """

    estimates: Mapping[str, GroupEstimate]
    groups: Mapping[str, tuple[str, ...]]  # group -> names estimated, in table order
    skipped: Mapping[str, str]
    notes: tuple[str, ...]
    outcome: str
    treatment: str
    controls: tuple[str, ...]
    base_year: int

    def __getitem__(self, name: str) -> GroupEstimate:
        return self.estimates[name]

    @property
    def table(self) -> pd.DataFrame:
        """One row per group value: the interaction, the split estimate and the equality test."""
        records = []
        for name, est in self.estimates.items():
            inter = est.interaction
            rec: dict[str, Any] = {
                "group": est.group, "value": est.value,
                "coef": est.coef, "std_error": float(inter.std_errors[INTERACTION]),
                "tstat": float(inter.tstats[INTERACTION]), "pvalue": float(inter.pvalues[INTERACTION]),
                "nobs": inter.nobs, "r2_within": inter.r2_within, "r2": inter.r2,
                "units": est.n_units, "treated_units": est.n_treated_units,
                "split_coef": np.nan, "split_std_error": np.nan, "split_nobs": np.nan,
                "diff": np.nan, "equality_F": np.nan, "equality_p": np.nan,
            }
            if est.split is not None:
                rec.update(split_coef=float(est.split.params[est.treatment]),
                           split_std_error=float(est.split.std_errors[est.treatment]), split_nobs=est.split.nobs)
            if est.equality is not None:
                rec.update(diff=est.equality.difference, equality_F=est.equality.statistic,
                           equality_p=est.equality.pvalue)
            records.append(rec)
        return pd.DataFrame(records, index=pd.Index(list(self.estimates), name="model"))

    def to_estimates(self) -> list[dict[str, Any]]:
        """Estimates rows ``heterogeneity / <group>=<value> / GxCBEC`` (+ ``CBEC_split``, ``equal_effects``)."""
        rows: list[dict[str, Any]] = []
        for est in self.estimates.values():
            rows += est.to_estimates()
        return rows

    def __str__(self) -> str:
        lines = [f"Heterogeneity of the {self.treatment} effect on {self.outcome} (base year {self.base_year})",
                 self.table.to_string(float_format=lambda v: f"{v:.6f}")]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    __repr__ = __str__


def heterogeneity(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    groups: Sequence[str] = GROUPS,
    controls: Sequence[str] = (),
    treatment: str = TREATMENT,
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    se: SEOptions = SEOptions(),
    base_year: int | None = None,
    coastal_column: str = "coastal",
    region_column: str = "region",
    cluster_column: str = "cluster",
    tertiary_column: str = TERTIARY_COLUMN,
    secondary_column: str = SECONDARY_COLUMN,
    population_column: str = POPULATION_COLUMN,
    megacity_threshold: float = MEGACITY_THRESHOLD,
) -> HeterogeneityResult:
    """Estimate the paper's heterogeneity columns, split samples and equality tests per group value.

    ``se`` sets the standard errors of every model (clustered by the unit by
    default); ``cluster_column`` is the city-cluster attribute (BTH/YRD/PRD).
    """
    controls = list(dict.fromkeys(controls))
    reserved = {INTERACTION, COMPLEMENT_INTERACTION}
    clash = [c for c in (outcome, treatment, *controls) if c in reserved]
    if clash:
        raise InputError(f"the column name {clash[0]!r} is reserved for the heterogeneity interaction terms",
                         column=clash[0], fix="rename that column")
    built: GroupDummies = build_group_dummies(
        data, unit=unit, time=time, base_year=base_year, groups=groups, coastal_column=coastal_column,
        region_column=region_column, cluster_column=cluster_column, tertiary_column=tertiary_column,
        secondary_column=secondary_column, population_column=population_column,
        megacity_threshold=megacity_threshold, on_missing="skip",
    )
    notes: list[str] = list(built.notes)
    skipped: dict[str, str] = dict(built.skipped)
    notes += list(built.skipped.values())
    cluster = se.cluster_column(unit)
    base_columns = list(dict.fromkeys([unit, time, outcome, treatment, *controls, *([cluster] if cluster else [])]))
    require_columns(data, base_columns)
    work = pd.concat([data[base_columns], built.dummies], axis=1)
    if not work.index.is_unique:  # .loc by sample rows needs unique labels; spreadsheet rows always are
        work.index = pd.RangeIndex(len(work))
    options: dict[str, Any] = dict(outcome=outcome, unit=unit, time=time, fixed_effects=fixed_effects,
                                   **se.fit_arguments(unit))
    fit_options: dict[str, Any] = dict(vcov=se.vcov, small_sample=se.small_sample)
    if "unit" not in normalize_fixed_effects(fixed_effects):
        notes.append("without unit fixed effects the groups' own levels are not controlled for "
                     "(the paper's form relies on the city effects to absorb them)")
    if not built.members and not built.skipped:
        notes.append("no heterogeneity groups requested")
    estimates: dict[str, GroupEstimate] = {}
    estimated: dict[str, tuple[str, ...]] = {}
    row_accounts: dict[str, str] = {}
    treat_all = pd.to_numeric(work[treatment], errors="coerce").to_numpy(dtype=float)
    for group, names in built.members.items():
        sample = prepare_sample(
            work, columns=[outcome, treatment, *controls, names[0]], unit=unit, time=time,
            fixed_effects=fixed_effects, cluster=cluster, drop_singletons=se.drop_singletons,
        )
        # The outcome and controls are swept once per group; each value adds its two interaction columns.
        shared = sweep_columns(work, sample, [outcome, *controls])
        treat = treat_all[sample.positions]
        treated = treat == 1
        kept: list[str] = []
        for name in names:
            member = built.dummies[name].to_numpy(dtype=float)
            in_group = member[sample.positions] == 1
            n_units = _count_units(sample.unit_codes, in_group)
            n_treated = _count_units(sample.unit_codes, in_group & treated)
            if n_units == 0 or n_treated == 0:
                why = "no unit" if n_units == 0 else f"no treated unit among its {n_units} unit(s)"
                reason = f"{name} skipped: {why} in the estimation sample, so {INTERACTION} is not identified"
                skipped[name] = reason
                notes.append(reason)
                continue
            own_notes: list[str] = []
            g = member[sample.positions]
            columns = shared.join(SweptColumns.of(sample, np.column_stack([g * treat, (1.0 - g) * treat]),
                                                  [INTERACTION, COMPLEMENT_INTERACTION]))
            try:
                interaction = columns.fit(outcome, [INTERACTION, *controls], treatment=INTERACTION, **fit_options)
            except EstimationError as err:
                reason = f"{name} skipped: {err}"
                skipped[name] = reason
                notes.append(reason)
                continue
            split = _split_sample(work, in_group_rows=member == 1, treatment=treatment, controls=controls,
                                  options=options, name=name, notes=own_notes)
            equality = None
            n_treated_complement = _count_units(sample.unit_codes, ~in_group & treated)
            if n_treated_complement == 0:
                own_notes.append(f"{name}: no treated unit outside the group, so equal effects cannot be tested")
            else:
                try:
                    both = columns.fit(outcome, [INTERACTION, COMPLEMENT_INTERACTION, *controls],
                                       treatment=INTERACTION, **fit_options)
                except EstimationError as err:
                    own_notes.append(f"{name}: equal-effects test not computed ({err})")
                else:
                    if COMPLEMENT_INTERACTION in both.params.index:
                        equality = equality_test(both, INTERACTION, COMPLEMENT_INTERACTION)
                    else:
                        own_notes.append(f"{name}: the complement's interaction has no variation after the fixed "
                                         "effects, so equal effects cannot be tested")
            notes += own_notes
            estimates[name] = GroupEstimate(group, name.split("=", 1)[1], interaction, split, equality, n_units,
                                            n_treated, treatment, tuple(own_notes))
            kept.append(name)
        if kept:
            estimated[group] = tuple(kept)
        if sample.rows.dropped:
            row_accounts[group] = sample.rows.describe()
    if len(set(row_accounts.values())) == 1 and len(row_accounts) == len(built.members):
        notes.append(f"every group's full-sample models: {next(iter(row_accounts.values()))}")
    else:
        notes += [f"{group}: {text}" for group, text in row_accounts.items()]
    return HeterogeneityResult(
        estimates=MappingProxyType(estimates), groups=MappingProxyType(estimated),
        skipped=MappingProxyType(skipped), notes=tuple(notes), outcome=outcome, treatment=treatment,
        controls=tuple(controls), base_year=built.base_year,
    )


def _split_sample(
    work: pd.DataFrame, *, in_group_rows: np.ndarray, treatment: str, controls: Sequence[str],
    options: Mapping[str, Any], name: str, notes: list[str],
) -> RegressionResult | None:
    """The baseline DID on the group's rows; None (with a note) when the group alone cannot identify it."""
    try:
        return fit_twfe(work, regressors=[treatment, *controls], treatment=treatment, rows=in_group_rows, **options)
    except EstimationError as err:
        notes.append(f"{name}: split-sample estimate not identified ({err})")
        return None


def _count_units(unit_codes: np.ndarray, rows: np.ndarray) -> int:
    """How many distinct units the ``rows`` (a mask over the sample) hold."""
    return int(np.count_nonzero(np.bincount(unit_codes[rows], minlength=1)))
