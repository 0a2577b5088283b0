"""Mediation: does CBEC work through a mediator M? (docs/methods.md section 7, paper eqs. 10-11, Tables 11-13)

Per mediator, three regressions with the baseline's fixed effects and standard
errors (section 3), all on the same rows (complete in the outcome, the
mediator, the treatment and the controls), so that the OLS identity
``c = c' + a*b`` holds exactly:

- step 1 (eq. 10):  ``M = a CBEC + g'X + mu_i + nu_t + e``         -- term ``a``
- step 2 (eq. 11):  ``y = c' CBEC + b M + g'X + mu_i + nu_t + e``  -- terms ``c_prime``, ``b``
- total effect:     ``y = c CBEC + g'X + mu_i + nu_t + e``          -- term ``c``

The indirect effect a*b is tested three ways (Sobel, Aroian, Goodman; normal
p-values; :mod:`xlcbec.core.did.sobel`) and by a cluster bootstrap percentile
interval: ``bootstrap_reps`` replicates resample clusters (the standard-error
cluster when units are nested in it, else units) with replacement, a unit
drawn twice entering as two distinct units with their own fixed effects (as
Stata's ``bootstrap, cluster() idcluster()``; see
:mod:`xlcbec.core.cluster_bootstrap`), and re-estimate a and b.  The
interval is the (alpha/2, 1 - alpha/2) quantiles of the replicate a*b values
(numpy's default linear interpolation); a replicate in which a or b is not
identified (e.g. no treated unit drawn) is left out and counted in the note.
Proportion mediated = a*b / c.

A mediator column that is absent (or is the outcome, the treatment or a
control) is skipped with the reason in ``skipped``, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from xlcbec.core.cluster_bootstrap import ClusterResampler
from xlcbec.core.did.mediation_bootstrap import ReplicateDesign, UnitMoments, block_draws
from xlcbec.core.did.sobel import SobelResult, indirect_effect_tests
from xlcbec.core.options import FIXED_EFFECTS, BootstrapOptions, SEOptions
from xlcbec.core.panel import TREATMENT
from xlcbec.core.parallel import map_blocks
from xlcbec.core.results import RegressionResult, estimate_row
from xlcbec.core.twfe import SweptColumns, prepare_sample, sweep_columns
from xlcbec.errors import EstimationError, OptionError

# Replicates handed to a worker at a time (xlcbec.core.parallel) and solved together by the moment
# route (xlcbec.core.did.mediation_bootstrap); the numbers do not depend on it.
BOOTSTRAP_BLOCK = 50


@dataclass(frozen=True, eq=False)
class BootstrapInterval:
    """Cluster-bootstrap percentile interval of the indirect effect a*b.

    ``draws`` has one a*b per replicate in replicate order, NaN where the
    replicate could not identify a or b (counted in ``failed`` and the note).
    ``std_error`` is the standard deviation of the successful draws (ddof 1).
    """

    estimate: float
    low: float
    high: float
    std_error: float
    level: float
    reps: int
    failed: int
    seed: int
    resampled: str  # the column whose values were resampled
    n_clusters: int
    draws: np.ndarray
    note: str

    @property
    def successful(self) -> int:
        return self.reps - self.failed


@dataclass(frozen=True, eq=False)
class MediatorResult:
    """The mediation steps of one mediator, the indirect-effect tests and the bootstrap interval."""

    mediator: str
    treatment: str
    step1: RegressionResult  # mediator ~ treatment + controls
    step2: RegressionResult  # outcome ~ treatment + mediator + controls
    total: RegressionResult  # outcome ~ treatment + controls
    tests: SobelResult
    bootstrap: BootstrapInterval | None
    level: float = 0.95
    notes: tuple[str, ...] = ()

    @property
    def a(self) -> float:
        return float(self.step1.params[self.treatment])

    @property
    def b(self) -> float:
        return float(self.step2.params[self.mediator])

    @property
    def c_prime(self) -> float:
        return float(self.step2.params[self.treatment])

    @property
    def c(self) -> float:
        return float(self.total.params[self.treatment])

    @property
    def indirect(self) -> float:
        return self.a * self.b

    @property
    def proportion_mediated(self) -> float:
        return self.indirect / self.c if self.c != 0 else float("nan")

    @property
    def nobs(self) -> int:
        return self.step2.nobs

    def to_estimates(self) -> list[dict[str, Any]]:
        model = self.mediator
        rows: list[dict[str, Any]] = []
        steps = (
            ("a", self.step1, self.treatment, f"step 1: {self.mediator} on {self.treatment}"),
            ("b", self.step2, self.mediator, f"step 2: {self.step2.outcome} on {self.treatment} and {self.mediator}"),
            ("c_prime", self.step2, self.treatment, "step 2: direct effect"),
            ("c", self.total, self.treatment, "total effect (same rows)"),
        )
        for term, result, coef, note in steps:
            for row in result.to_estimates("mediation", model, terms=[coef], note="; ".join((note, *result.notes))):
                rows.append({**row, "term": term})
        rows += self.tests.to_estimates(model, nobs=self.nobs, level=self.level)
        boot = self.bootstrap
        if boot is not None:
            rows.append(estimate_row("mediation", model, "indirect_boot", self.indirect, std_error=boot.std_error,
                                     ci_low=boot.low, ci_high=boot.high, nobs=self.nobs, note=boot.note))
        share = self.proportion_mediated
        note = "a*b / c"
        if not np.isfinite(share):
            note += "; undefined because the total effect c is 0"
        elif not 0 <= share <= 1:
            note += "; outside [0, 1] because the direct and indirect effects have opposite signs"
        rows.append(estimate_row("mediation", model, "proportion_mediated", share, nobs=self.nobs, note=note))
        return rows


@dataclass(frozen=True, eq=False)
class MediationResult:
    """Per mediator (in the order given) a :class:`MediatorResult`; ``skipped`` maps the rest to the reason."""

    mediators: Mapping[str, MediatorResult]
    skipped: Mapping[str, str]
    outcome: str
    treatment: str
    controls: tuple[str, ...]
    bootstrap_reps: int
    seed: int
    notes: tuple[str, ...] = ()

    def __getitem__(self, mediator: str) -> MediatorResult:
        return self.mediators[mediator]

    @property
    def table(self) -> pd.DataFrame:
        """One row per mediator: a, b, c', c, a*b, the three z's, the bootstrap interval, the share mediated.

        The bootstrap columns are there only when the bootstrap ran (``bootstrap_reps`` > 0).
        """
        records = []
        bootstrapped = any(res.bootstrap is not None for res in self.mediators.values())
        for name, res in self.mediators.items():
            boot = res.bootstrap
            record = {
                "a": res.a, "se_a": float(res.step1.std_errors[res.treatment]),
                "b": res.b, "se_b": float(res.step2.std_errors[name]),
                "c_prime": res.c_prime, "c": res.c, "indirect": res.indirect,
                "sobel_z": res.tests.sobel_z, "sobel_p": res.tests.sobel_p,
                "aroian_z": res.tests.aroian_z, "goodman_z": res.tests.goodman_z,
            }
            if bootstrapped:
                record.update({"boot_low": boot.low if boot else np.nan, "boot_high": boot.high if boot else np.nan})
            record.update({"proportion_mediated": res.proportion_mediated, "nobs": res.nobs})
            records.append(record)
        return pd.DataFrame(records, index=pd.Index(list(self.mediators), name="mediator"))

    def to_estimates(self) -> list[dict[str, Any]]:
        """Estimates rows ``mediation / <mediator> / a, b, c_prime, c, indirect_*, proportion_mediated``."""
        rows: list[dict[str, Any]] = []
        for res in self.mediators.values():
            rows += res.to_estimates()
        return rows

    def __str__(self) -> str:
        lines = [f"Mediation of the {self.treatment} effect on {self.outcome}",
                 self.table.to_string(float_format=lambda v: f"{v:.6f}")]
        lines += [f"Skipped {k}: {v}" for k, v in self.skipped.items()]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    __repr__ = __str__


def mediation(
    data: pd.DataFrame,
    *,
    outcome: str,
    mediators: Sequence[str],
    unit: str,
    time: str,
    treatment: str = TREATMENT,
    controls: Sequence[str] = (),
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    se: SEOptions = SEOptions(),
    bootstrap: BootstrapOptions = BootstrapOptions(),
    level: float = 0.95,
    n_jobs: int = 1,
    scheduler: Any = None,
) -> MediationResult:
    """Run the mediation steps, the Sobel-family tests and the cluster bootstrap for each mediator.

    The bootstrap replicates run in blocks, in this process or spread over
    workers or a Dask cluster (``n_jobs``, ``scheduler``: see
    :mod:`xlcbec.core.parallel`), with the same numbers however they are spread;
    ``bootstrap.reps = 0`` leaves the bootstrap out.  ``se`` sets the standard
    errors of every step (clustered by the unit by default).
    """
    reps, seed = bootstrap.reps, bootstrap.seed
    if not 0.0 < float(level) < 1.0:
        raise OptionError(f"the confidence level must be between 0 and 1, found {level!r}", option="level",
                          fix="use 0.95")
    if isinstance(mediators, str):
        mediators = [m.strip() for m in mediators.split(",") if m.strip()]
    controls = list(dict.fromkeys(controls))
    if not data.index.is_unique:  # rows are addressed by label below; spreadsheet row labels are unique
        data = data.reset_index(drop=True)
    results: dict[str, MediatorResult] = {}
    skipped: dict[str, str] = {}
    notes: list[str] = []
    if not mediators:
        notes.append("no mediators named: mediation not run")
    shared: list[SweptColumns] = []  # the outcome, treatment and controls swept on the last mediator's rows
    for mediator in dict.fromkeys(mediators):
        reason = _unusable(mediator, data, outcome=outcome, treatment=treatment, controls=controls)
        if reason:
            skipped[mediator] = reason
            notes.append(f"mediator {mediator!r} skipped: {reason}")
            continue
        try:
            results[mediator] = _one_mediator(
                data, outcome=outcome, mediator=mediator, unit=unit, time=time, treatment=treatment,
                controls=controls, fixed_effects=fixed_effects, se=se, reps=reps, seed=seed, level=float(level),
                n_jobs=n_jobs, scheduler=scheduler, shared=shared,
            )
        except EstimationError as err:
            skipped[mediator] = str(err)
            notes.append(f"mediator {mediator!r} skipped: {err}")
    return MediationResult(MappingProxyType(results), MappingProxyType(skipped), outcome, treatment, tuple(controls),
                           reps, seed, tuple(notes))


def _unusable(mediator: str, data: pd.DataFrame, *, outcome: str, treatment: str, controls: Sequence[str]) -> str:
    if mediator not in data.columns:
        return f"no column {mediator!r} in the data (add it, or remove it from Settings 'mediators')"
    if mediator == outcome:
        return "it is the outcome"
    if mediator == treatment:
        return "it is the treatment"
    if mediator in controls:
        return "it is also a control variable (a mediator must not be controlled for)"
    return ""


def _one_mediator(
    data: pd.DataFrame, *, outcome: str, mediator: str, unit: str, time: str, treatment: str,
    controls: Sequence[str], fixed_effects: str | Sequence[str], se: SEOptions, reps: int, seed: int, level: float, n_jobs: int = 1,
    scheduler: Any = None, shared: list[SweptColumns] | None = None,
) -> MediatorResult:
    cluster = se.cluster_column(unit)
    sample = prepare_sample(
        data, columns=[outcome, mediator, treatment, *controls], unit=unit, time=time, fixed_effects=fixed_effects,
        cluster=cluster, drop_singletons=se.drop_singletons,
    )
    # The three steps share one sweep of their columns; the outcome, treatment and controls also that of
    # the previous mediator when its rows are the same (a mediator observed wherever the others are).
    shared = [] if shared is None else shared
    if shared and np.array_equal(shared[0].sample.positions, sample.positions):
        common = shared[0].on(sample)
        sample = common.sample
    else:
        common = sweep_columns(data, sample, [outcome, treatment, *controls])
        shared[:] = [common]
    columns = sweep_columns(data, sample, [mediator]).join(common)
    options: dict[str, Any] = dict(vcov=se.vcov, small_sample=se.small_sample, treatment=treatment)
    step1 = columns.fit(mediator, [treatment, *controls], **options)
    step2 = columns.fit(outcome, [treatment, mediator, *controls], **options)
    total = columns.fit(outcome, [treatment, *controls], **options)
    if mediator not in step2.params.index:
        raise EstimationError(f"the mediator {mediator!r} has no variation left after the fixed effects and controls",
                              fix="check the mediator's values, or drop it from Settings 'mediators'")
    a, b = float(step1.params[treatment]), float(step2.params[mediator])
    tests = indirect_effect_tests(a, float(step1.std_errors[treatment]), b, float(step2.std_errors[mediator]))
    notes: list[str] = []
    if sample.rows.dropped:
        notes.append(f"{mediator}: {sample.rows.describe()}")
    boot = None
    if reps:
        boot = _bootstrap(
            columns, outcome=outcome, mediator=mediator, treatment=treatment,
            step1_controls=[c for c in step1.params.index if c != treatment],
            step2_controls=[c for c in step2.params.index if c not in (treatment, mediator)],
            unit=unit, cluster=cluster, reps=reps, seed=seed, level=level,
            estimate=a * b, n_jobs=n_jobs, scheduler=scheduler,
        )
    else:
        notes.append("bootstrap not run (bootstrap_reps = 0)")
    return MediatorResult(mediator, treatment, step1, step2, total, tests, boot, level, tuple(notes))


def _bootstrap(
    columns: SweptColumns, *, outcome: str, mediator: str, treatment: str,
    step1_controls: Sequence[str], step2_controls: Sequence[str], unit: str, cluster: str | None,
    reps: int, seed: int, level: float, estimate: float, n_jobs: int = 1, scheduler: Any = None,
) -> BootstrapInterval:
    controls = list(dict.fromkeys([*step1_controls, *step2_controls]))
    sample = columns.sample
    design = ReplicateDesign(
        matrix=columns.raw_columns([mediator, outcome, treatment, *controls]),  # positions 0, 1, 2, 3...
        design1=[2, *(3 + controls.index(c) for c in step1_controls)],  # a: coefficient 0
        design2=[2, 0, *(3 + controls.index(c) for c in step2_controls)],  # b: coefficient 1
        fixed_effects=tuple(sample.fixed_effects),
    )
    note_parts: list[str] = []
    cluster_codes = sample.cluster_codes
    if cluster is not None and cluster_codes is not None and _nested(sample.unit_codes, cluster_codes):
        resample_codes, resampled = cluster_codes, cluster
    else:
        resample_codes, resampled = sample.unit_codes, unit
        if cluster is not None:
            note_parts.append(f"units resampled because {unit!r} is not nested in the clusters {cluster!r}")
    resampler = ClusterResampler.build(resample_codes, sample.unit_codes, sample.time_codes)
    # Every replicate's cluster picks come from one generator call (ClusterResampler.picks), so
    # the draws are the same however the blocks are spread.
    picks = resampler.picks(reps, seed)
    blocks = [(first, picks[first:first + BOOTSTRAP_BLOCK]) for first in range(0, reps, BOOTSTRAP_BLOCK)]
    job = partial(block_draws, resampler=resampler, design=design, moments=UnitMoments.build(design, resampler))
    draws = np.concatenate(map_blocks(job, blocks, n_jobs=n_jobs, scheduler=scheduler)) if blocks else np.full(0, np.nan)
    ok = draws[np.isfinite(draws)]
    failed = reps - ok.size
    alpha = 1.0 - level
    if ok.size >= 2:
        low, high = (float(q) for q in np.quantile(ok, [alpha / 2, 1 - alpha / 2]))
        se = float(np.std(ok, ddof=1))
    else:
        low = high = se = float("nan")
        note_parts.append("interval not computed: fewer than 2 replicates identified a and b")
    if failed:
        note_parts.append(f"{failed} of {reps} replicates left out (a or b not identified, e.g. no treated unit drawn)")
    draws.setflags(write=False)
    note = "; ".join([
        f"cluster bootstrap by {resampled} ({resampler.n_clusters} clusters, copies as distinct units), "
        f"{reps} replicates, seed {seed}, percentile {level:.0%} CI",
        *note_parts,
    ])
    return BootstrapInterval(estimate, low, high, se, level, reps, failed, seed, resampled, resampler.n_clusters,
                             draws, note)


def _nested(unit_codes: np.ndarray, cluster_codes: np.ndarray) -> bool:
    """True when every unit lies within a single cluster."""
    pairs = pd.DataFrame({"u": unit_codes, "c": cluster_codes}).drop_duplicates()
    return bool(pairs["u"].is_unique)
