"""Every estimation option in one place: its allowed values, its default, one validator.

The estimators take these frozen objects keyword-only; the workbook layer
(``xlcbec.book.settings``) builds them once from the Settings sheet, so a
default is written here and nowhere else.  A bad option raises
:class:`~xlcbec.errors.OptionError` naming the option (the Settings key of the
same name); only the workbook layer turns that into a Settings row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from xlcbec.errors import OptionError

Vcov = Literal["cluster", "robust", "iid"]
SmallSample = Literal["stata", "areg", "none"]
FixedEffect = Literal["unit", "time"]
Interpolation = Literal["linear", "none"]
EntropyPooling = Literal["global", "by_year"]
ScoreModelName = Literal["probit", "logit"]
Kernel = Literal["epanechnikov", "normal", "nearest"]
StatInParentheses = Literal["t", "se"]
Language = Literal["en", "zh"]
Singletons = Literal["drop", "keep"]  # units observed once: dropped (reghdfe) or kept (xtreg, fe)
PsmEstimand = Literal["att", "ate"]  # psmatch2's default ATT, or its `ate` option (ATT, ATU and ATE)

# Other spellings of the matching methods (psmatch2's own words among them).
KERNEL_ALIASES = {"epan": "epanechnikov", "kernel": "epanechnikov", "gaussian": "normal", "nn": "nearest",
                  "neighbor": "nearest", "neighbour": "nearest"}

# Words a Settings cell may use for an SE type instead of a cluster column.
ROBUST_WORD = "robust"
NO_CLUSTER_WORD = "none"

FIXED_EFFECTS: tuple[FixedEffect, ...] = ("unit", "time")
INTERPOLATE: Interpolation = "linear"
ENTROPY_POOLING: EntropyPooling = "global"
ENTROPY_SHIFT = 1e-4  # added to the standardised indicators before the entropy weights
PLACEBO_REPS = 500
MEGACITY_THRESHOLD = 5_000_000.0  # persons in the base year
SEED = 20240101
STARS = (0.1, 0.05, 0.01)  # significance levels for *, **, ***
STAT_IN_PARENTHESES: StatInParentheses = "t"
LANGUAGE: Language = "en"
SINGLETONS: Singletons = "drop"
PSM_ESTIMAND: PsmEstimand = "att"
SHOW_CONTROLS = True  # regression tables list the controls' coefficients
CROSS_CHECK = False  # re-estimate with linearmodels/statsmodels after a refresh

def check_choice(option: str, value: Any, allowed: Any, aliases: Mapping[str, str] | None = None) -> Any:
    """``value`` as one of the ``allowed`` Literal's strings (after ``aliases``), else an OptionError listing them."""
    choices: tuple[str, ...] = get_args(allowed) or tuple(allowed)
    text = str(value).strip().lower() if isinstance(value, str) else value
    if aliases and isinstance(text, str):
        text = aliases.get(text, text)
    if text not in choices:
        raise OptionError(f"'{option}' must be one of {', '.join(choices)}, found {value!r}", option=option,
                          fix=f"use one of: {', '.join(choices)}")
    return text


def check_whole(option: str, value: Any, *, minimum: int) -> int:
    """``value`` as an int of at least ``minimum`` (a float with no fraction is accepted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value != int(value):
        raise OptionError(f"'{option}' must be a whole number, found {value!r}", option=option,
                          fix=f"use a whole number of at least {minimum}")
    if value < minimum:
        raise OptionError(f"'{option}' must be at least {minimum}, found {int(value)}", option=option,
                          fix=f"use a whole number of at least {minimum}")
    return int(value)


def check_positive(option: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float greater than 0 (or at least 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise OptionError(f"'{option}' must be a finite number, found {value!r}", option=option,
                          fix="use a plain number")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "0 or more" if allow_zero else "greater than 0"
        raise OptionError(f"'{option}' must be {bound}, found {value!r}", option=option,
                          fix=f"use a number {bound}")
    return float(value)


@dataclass(frozen=True)
class SEOptions:
    """Standard errors of every regression: ``vcov`` and, when clustered, the cluster column.

    ``cluster=None`` with ``vcov='cluster'`` clusters by the model's unit
    column.  ``small_sample`` is the finite-sample rule (docs/methods.md
    section 3): ``stata`` (xtreg/reghdfe), ``areg`` (every fixed effect
    counted) or ``none`` (CR0 / no correction).  ``singletons`` says which
    rows count in n and G: ``drop`` removes observations alone in a
    fixed-effect group (reghdfe), ``keep`` leaves them in (xtreg, fe); the
    coefficients are the same either way, n, G and so the SEs are not.
    """

    vcov: Vcov = "cluster"
    cluster: str | None = None
    small_sample: SmallSample = "stata"
    singletons: Singletons = SINGLETONS

    def __post_init__(self) -> None:
        check_choice("cluster", self.vcov, Vcov)
        check_choice("small_sample", self.small_sample, SmallSample)
        object.__setattr__(self, "singletons", check_choice("singletons", self.singletons, Singletons))
        if self.vcov != "cluster" and self.cluster is not None:
            raise OptionError(f"a cluster column ({self.cluster!r}) only applies to clustered standard errors",
                              option="cluster", fix="give either a cluster column or robust / none")

    @classmethod
    def from_text(cls, text: str | None, *, singletons: Singletons = SINGLETONS) -> "SEOptions":
        """From the Settings word: a column name, ``robust`` (HC1) or ``none`` (conventional); blank = the unit."""
        word = (text or "").strip()
        if word.lower() == ROBUST_WORD:
            return cls(vcov="robust", singletons=singletons)
        if word.lower() == NO_CLUSTER_WORD:
            return cls(vcov="iid", singletons=singletons)
        return cls(vcov="cluster", cluster=word or None, singletons=singletons)

    @property
    def drop_singletons(self) -> bool:
        return self.singletons == "drop"

    def cluster_column(self, unit: str) -> str | None:
        """The column clustered on for a model whose unit is ``unit`` (None when not clustered)."""
        return (self.cluster or unit) if self.vcov == "cluster" else None

    def fit_arguments(self, unit: str) -> dict[str, Any]:
        """Keyword arguments of :func:`xlcbec.core.twfe.fit_twfe`."""
        return {"vcov": self.vcov, "cluster": self.cluster_column(unit), "small_sample": self.small_sample,
                "drop_singletons": self.drop_singletons}

    def singletons_text(self) -> str:
        """How a Log line and a table note name the singleton convention."""
        if self.drop_singletons:
            return "singletons dropped (reghdfe convention)"
        return "singletons kept (xtreg, fe convention)"

    def text(self, unit: str) -> str:
        """How a Log line names these SEs."""
        if self.vcov == "robust":
            return "robust (HC1)"
        if self.vcov == "iid":
            return "conventional"
        return f"clustered by {self.cluster_column(unit)}"


@dataclass(frozen=True)
class MatchingOptions:
    """Propensity-score model and matching rule, with psmatch2's defaults.

    ``bandwidth`` is psmatch2's default ``bwidth`` (0.06); ``k`` and ``caliper``
    apply to nearest-neighbour matching.  ``estimand = 'ate'`` is psmatch2's
    ``ate`` option: the untreated are matched to the treated as well (ATU, ATE)
    and, with ``common_support``, the support rule applies to both groups.
    """

    model: ScoreModelName = "probit"
    kernel: Kernel = "epanechnikov"
    bandwidth: float = 0.06
    common_support: bool = True
    k: int = 1
    caliper: float | None = None
    estimand: PsmEstimand = PSM_ESTIMAND

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", check_choice("psm_model", self.model, ScoreModelName))
        object.__setattr__(self, "estimand", check_choice("psm_estimand", self.estimand, PsmEstimand))
        kernel = check_choice("kernel", self.kernel, Kernel, KERNEL_ALIASES)
        object.__setattr__(self, "kernel", kernel)
        if kernel != "nearest":
            object.__setattr__(self, "bandwidth", check_positive("bandwidth", self.bandwidth))
            if self.caliper is not None:
                raise OptionError(f"a caliper applies to nearest-neighbour matching only, not to the {kernel} kernel",
                                  option="caliper", fix="leave the caliper blank, or set 'kernel' to nearest")
        object.__setattr__(self, "k", check_whole("k", self.k, minimum=1))
        if self.caliper is not None:
            object.__setattr__(self, "caliper", check_positive("caliper", self.caliper))
        if not isinstance(self.common_support, bool):
            raise OptionError(f"'common_support' must be yes or no, found {self.common_support!r}",
                              option="common_support", fix="use yes or no")


@dataclass(frozen=True)
class BootstrapOptions:
    """Bootstrap replications and seed, shared by PSM and mediation; ``reps = 0`` turns the bootstrap off.

    One replication cannot give a standard error or an interval, so 1 is refused.
    """

    reps: int = 200
    seed: int = SEED

    def __post_init__(self) -> None:
        reps = check_whole("bootstrap_reps", self.reps, minimum=0)
        if reps == 1:
            raise OptionError("'bootstrap_reps' must be 0 (no bootstrap) or at least 2, found 1",
                              option="bootstrap_reps", fix="write 200 (the default), another number of at least 2, or 0")
        object.__setattr__(self, "reps", reps)
        object.__setattr__(self, "seed", check_whole("seed", self.seed, minimum=0))

    @property
    def enabled(self) -> bool:
        return self.reps > 0


@dataclass(frozen=True)
class EventWindow:
    """Event-study relative years ``lo..hi``, the reference year left out, and how years beyond are treated."""

    lo: int = -5
    hi: int = 5
    reference: int = -1
    bin_endpoints: bool = True

    def __post_init__(self) -> None:
        lo = check_whole("event_window", self.lo, minimum=-10**6)
        hi = check_whole("event_window", self.hi, minimum=-10**6)
        if lo > -1 or hi < 0:
            raise OptionError(f"'event_window' must start at -1 or earlier and end at 0 or later, found {lo}, {hi}",
                              option="event_window", fix="write the earliest pre-period first and the latest "
                              "post-period second, such as -5, 5")
        reference = check_whole("event_reference", self.reference, minimum=-10**6)
        if not lo <= reference <= -1:
            raise OptionError(f"'event_reference' must be a pre-period inside the event window {lo}, {hi}, "
                              f"found {reference}", option="event_reference",
                              fix=f"choose a reference between {lo} and -1 (usually -1), or widen event_window")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)
        object.__setattr__(self, "reference", reference)

    @property
    def bounds(self) -> tuple[int, int]:
        return self.lo, self.hi
