"""Normal-theory tests of an indirect (mediated) effect a*b: Sobel, Aroian, Goodman.

docs/methods.md section 7.  With ``a`` the effect of CBEC on the mediator, ``b``
the mediator's effect on the outcome, and their standard errors s_a, s_b:

    Sobel    se = sqrt(b^2 s_a^2 + a^2 s_b^2)
    Aroian   se = sqrt(b^2 s_a^2 + a^2 s_b^2 + s_a^2 s_b^2)
    Goodman  se = sqrt(b^2 s_a^2 + a^2 s_b^2 - s_a^2 s_b^2)

z = a*b / se and the two-sided p-value from the standard normal.  Goodman's
radicand can be zero or negative (small a and b relative to their standard
errors); the test is then undefined: its se, z and p are NaN and
``goodman_note`` says why (so the NaN is never silent).  The same holds for
Sobel when a = b = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

import pandas as pd

from xlcbec.core import distributions
from xlcbec.core.results import estimate_row
from xlcbec.errors import EstimationError, InputError

SobelMethod = Literal["sobel", "aroian", "goodman"]
SOBEL_METHODS: tuple[str, ...] = get_args(SobelMethod)


@dataclass(frozen=True)
class IndirectTest:
    """One test of a*b: ``std_error``, ``z``, two-sided normal ``p_value``; NaN with ``note`` when undefined."""

    method: str
    std_error: float
    z: float
    p_value: float
    note: str = ""

    @property
    def defined(self) -> bool:
        return not self.note


@dataclass(frozen=True)
class SobelResult:
    """The indirect effect ``indirect = a*b`` and its Sobel, Aroian and Goodman tests.

    Each ``<method>_se``, ``<method>_z``, ``<method>_p`` is a float; Goodman's
    (and, only when a = b = 0, Sobel's) are NaN when the test is undefined,
    with the reason in ``goodman_note`` / ``sobel_note``.
    """

    a: float
    se_a: float
    b: float
    se_b: float
    indirect: float
    sobel_se: float
    sobel_z: float
    sobel_p: float
    aroian_se: float
    aroian_z: float
    aroian_p: float
    goodman_se: float
    goodman_z: float
    goodman_p: float
    goodman_note: str = ""
    sobel_note: str = ""

    def test(self, method: SobelMethod) -> IndirectTest:
        name = _method(method)
        return IndirectTest(
            name,
            getattr(self, f"{name}_se"),
            getattr(self, f"{name}_z"),
            getattr(self, f"{name}_p"),
            {"sobel": self.sobel_note, "aroian": "", "goodman": self.goodman_note}[name],
        )

    @property
    def table(self) -> pd.DataFrame:
        """One row per method: ``indirect``, ``std_error``, ``z``, ``p_value``, ``note``."""
        tests = [self.test(m) for m in SOBEL_METHODS]  # type: ignore[arg-type]
        return pd.DataFrame(
            {
                "indirect": [self.indirect] * len(tests),
                "std_error": [t.std_error for t in tests],
                "z": [t.z for t in tests],
                "p_value": [t.p_value for t in tests],
                "note": [t.note for t in tests],
            },
            index=pd.Index(SOBEL_METHODS, name="method"),
        )

    def to_estimates(self, model: str, *, nobs: int | None = None, level: float = 0.95) -> list[dict[str, Any]]:
        """Estimates rows ``mediation / <model> / indirect_<method>``: estimate a*b, statistic z.

        ``ci_low``/``ci_high`` are the normal-theory interval a*b -/+ q se at ``level``.
        """
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be between 0 and 1, got {level!r}")
        q = float(distributions.norm_ppf(0.5 + level / 2.0))
        rows = []
        for method in SOBEL_METHODS:
            t = self.test(method)  # type: ignore[arg-type]
            rows.append(
                estimate_row(
                    "mediation",
                    model,
                    f"indirect_{method}",
                    self.indirect,
                    std_error=t.std_error,
                    statistic=t.z,
                    p_value=t.p_value,
                    ci_low=self.indirect - q * t.std_error,
                    ci_high=self.indirect + q * t.std_error,
                    nobs=nobs,
                    note=t.note,
                )
            )
        return rows


def indirect_effect_tests(a: float, se_a: float, b: float, se_b: float) -> SobelResult:
    """Sobel, Aroian and Goodman tests of the indirect effect a*b (docs/methods.md section 7)."""
    a, se_a, b, se_b = _checked(a, se_a, b, se_b)
    tests = {m: _test(m, a, se_a, b, se_b) for m in SOBEL_METHODS}
    return SobelResult(
        a=a,
        se_a=se_a,
        b=b,
        se_b=se_b,
        indirect=a * b,
        sobel_se=tests["sobel"].std_error,
        sobel_z=tests["sobel"].z,
        sobel_p=tests["sobel"].p_value,
        aroian_se=tests["aroian"].std_error,
        aroian_z=tests["aroian"].z,
        aroian_p=tests["aroian"].p_value,
        goodman_se=tests["goodman"].std_error,
        goodman_z=tests["goodman"].z,
        goodman_p=tests["goodman"].p_value,
        goodman_note=tests["goodman"].note,
        sobel_note=tests["sobel"].note,
    )


def sobel_z(a: float, se_a: float, b: float, se_b: float, method: SobelMethod = "sobel") -> float:
    """The z statistic of one test (the worksheet function).

    Raises EstimationError when the test is undefined (Goodman's radicand <= 0),
    so a worksheet shows the reason instead of a bare #NUM.
    """
    return _defined(_test(_method(method), *_checked(a, se_a, b, se_b))).z


def sobel_p(a: float, se_a: float, b: float, se_b: float, method: SobelMethod = "sobel") -> float:
    """The two-sided normal p-value of one test; undefined tests raise EstimationError as in :func:`sobel_z`."""
    return _defined(_test(_method(method), *_checked(a, se_a, b, se_b))).p_value


def _test(method: str, a: float, se_a: float, b: float, se_b: float) -> IndirectTest:
    first_order = b * b * se_a * se_a + a * a * se_b * se_b
    second_order = se_a * se_a * se_b * se_b
    radicands = {"sobel": first_order, "aroian": first_order + second_order, "goodman": first_order - second_order}
    radicand = radicands[method]
    if radicand <= 0.0:
        nan = float("nan")
        note = (
            f"{method.capitalize()} test undefined: b^2 s_a^2 + a^2 s_b^2"
            + {"sobel": "", "aroian": " + s_a^2 s_b^2", "goodman": " - s_a^2 s_b^2"}[method]
            + f" = {radicand:.6g} <= 0"
        )
        return IndirectTest(method, nan, nan, nan, note)
    se = math.sqrt(radicand)
    z = a * b / se
    return IndirectTest(method, se, z, float(2.0 * distributions.norm_sf(abs(z))))


def _defined(test: IndirectTest) -> IndirectTest:
    if test.note:
        raise EstimationError(test.note, fix="use the Sobel or Aroian test, which stay defined")
    return test


def _method(method: str) -> str:
    name = method.strip().lower() if isinstance(method, str) else method
    if name not in SOBEL_METHODS:
        raise InputError(
            f"Unknown indirect-effect test {method!r}",
            fix=f"use one of {', '.join(SOBEL_METHODS)}",
        )
    return str(name)


def _checked(a: float, se_a: float, b: float, se_b: float) -> tuple[float, float, float, float]:
    values = []
    for name, value in (("a", a), ("se_a", se_a), ("b", b), ("se_b", se_b)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a number, found {value!r}", fix="enter a number") from None
        if not math.isfinite(number):
            raise InputError(f"{name} must be a finite number, found {value!r}", fix="enter a finite number")
        if name.startswith("se_") and number <= 0.0:
            raise InputError(
                f"The standard error {name} must be positive, found {number!r}",
                fix="enter the coefficient's standard error from the regression output (a positive number)",
            )
        values.append(number)
    return values[0], values[1], values[2], values[3]
