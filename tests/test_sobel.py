"""Sobel, Aroian and Goodman tests of the indirect effect (docs/methods.md section 7)."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference import sobel as ref
from xlcbec.core.did.sobel import SOBEL_METHODS, indirect_effect_tests, sobel_p, sobel_z
from xlcbec.errors import EstimationError, InputError

# Tolerances
# - values tests/reference/README.md gives to 5 decimals: half a unit in the 5th decimal, absolute.
TOL_5DP = 5e-6
# - the published Sobel z (3 decimals): half a unit in the 3rd decimal.
TOL_3DP = 5e-4
# - closed forms against the 40-digit decimal evaluation: only float rounding separates them.
TOL_EXACT_REL = 1e-12
# - p-value from scipy (module) against math.erfc (test): two implementations of the normal tail.
TOL_P_REL = 1e-9


def _normal_two_sided_p(z: float) -> float:
    # 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt 2): the second route, no scipy
    return math.erfc(abs(z) / math.sqrt(2.0))


@pytest.fixture(scope="module")
def toy():
    return indirect_effect_tests(ref.TOY_A, ref.TOY_SE_A, ref.TOY_B, ref.TOY_SE_B)


def test_toy_z_statistics_match_references_md(toy):
    assert toy.indirect == 6.0  # a*b = 2*3
    assert toy.sobel_z == pytest.approx(ref.TOY_SOBEL_Z_5DP, abs=TOL_5DP)
    assert toy.aroian_z == pytest.approx(ref.TOY_AROIAN_Z_5DP, abs=TOL_5DP)
    assert toy.goodman_z == pytest.approx(ref.TOY_GOODMAN_Z_5DP, abs=TOL_5DP)
    assert toy.sobel_z == pytest.approx(ref.TOY_PUBLISHED_SOBEL_Z_3DP, abs=TOL_3DP)


def test_toy_agrees_with_40_digit_evaluation(toy):
    assert toy.sobel_z == pytest.approx(ref.TOY_SOBEL_Z_EXACT, rel=TOL_EXACT_REL)
    assert toy.aroian_z == pytest.approx(ref.TOY_AROIAN_Z_EXACT, rel=TOL_EXACT_REL)
    assert toy.goodman_z == pytest.approx(ref.TOY_GOODMAN_Z_EXACT, rel=TOL_EXACT_REL)
    assert toy.sobel_se == pytest.approx(ref.TOY_SOBEL_SE_EXACT, rel=TOL_EXACT_REL)
    assert toy.aroian_se == pytest.approx(ref.TOY_AROIAN_SE_EXACT, rel=TOL_EXACT_REL)
    assert toy.goodman_se == pytest.approx(ref.TOY_GOODMAN_SE_EXACT, rel=TOL_EXACT_REL)
    assert toy.goodman_note == "" and toy.sobel_note == ""


def test_toy_p_values_two_routes(toy):
    for method in SOBEL_METHODS:
        z = getattr(toy, f"{method}_z")
        p = getattr(toy, f"{method}_p")
        assert p == pytest.approx(_normal_two_sided_p(z), rel=TOL_P_REL)
    # order of magnitude pinned independently: Sobel z = 4.98 -> p ~ 6.3e-7
    assert 6.2e-7 < toy.sobel_p < 6.4e-7


def test_worksheet_functions_equal_result_fields(toy):
    # Exact: the worksheet functions and indirect_effect_tests call the same _test on the same
    # floats ("0.3" and 2 parse to the same doubles), so the results are bit-identical by design.
    for method in SOBEL_METHODS:
        args = (ref.TOY_A, ref.TOY_SE_A, ref.TOY_B, ref.TOY_SE_B)
        assert sobel_z(*args, method=method) == getattr(toy, f"{method}_z")
        assert sobel_p(*args, method=method) == getattr(toy, f"{method}_p")
    # a worksheet user may type the method in any case, with spaces
    assert sobel_z(2, 0.3, 3, 0.4, method=" Aroian ") == toy.aroian_z  # type: ignore[arg-type]
    assert sobel_z(2, 0.3, 3, 0.4) == toy.sobel_z  # default method is Sobel


def test_goodman_undefined_is_nan_with_note():
    result = indirect_effect_tests(ref.UNDEFINED_A, ref.UNDEFINED_SE_A, ref.UNDEFINED_B, ref.UNDEFINED_SE_B)
    assert math.isnan(result.goodman_z) and math.isnan(result.goodman_se) and math.isnan(result.goodman_p)
    assert "undefined" in result.goodman_note
    assert f"{ref.UNDEFINED_GOODMAN_RADICAND:.6g}" in result.goodman_note
    # the other two stay defined
    assert result.sobel_z == pytest.approx(ref.UNDEFINED_SOBEL_Z, rel=TOL_EXACT_REL)
    assert not math.isnan(result.aroian_z) and result.sobel_note == ""
    assert not result.test("goodman").defined and result.test("sobel").defined
    with pytest.raises(EstimationError, match="Goodman test undefined.*Fix: use the Sobel or Aroian"):
        sobel_z(ref.UNDEFINED_A, ref.UNDEFINED_SE_A, ref.UNDEFINED_B, ref.UNDEFINED_SE_B, method="goodman")
    with pytest.raises(EstimationError, match="undefined"):
        sobel_p(ref.UNDEFINED_A, ref.UNDEFINED_SE_A, ref.UNDEFINED_B, ref.UNDEFINED_SE_B, method="goodman")


def test_goodman_radicand_exactly_zero_is_undefined():
    # b^2 s_a^2 + a^2 s_b^2 - s_a^2 s_b^2 with a = 0, b = 1, s_a = s_b = 1: 1 + 0 - 1 = 0 exactly -> undefined
    # (<= 0); Sobel: z = 0 / sqrt(1) = 0, p = 1
    result = indirect_effect_tests(0.0, 1.0, 1.0, 1.0)
    assert math.isnan(result.goodman_z) and "= 0 <= 0" in result.goodman_note
    assert result.sobel_z == 0.0 and result.sobel_p == 1.0


def test_zero_paths_make_sobel_undefined_but_not_aroian():
    result = indirect_effect_tests(0.0, 1.0, 0.0, 2.0)
    assert math.isnan(result.sobel_z) and "Sobel test undefined" in result.sobel_note
    # Aroian: sqrt(0 + 0 + 1 * 4) = 2, z = 0 / 2 = 0, p = 1
    assert result.aroian_se == 2.0 and result.aroian_z == 0.0 and result.aroian_p == 1.0


def test_to_estimates_rows(toy):
    rows = toy.to_estimates("diginf", nobs=3360)
    assert [r["term"] for r in rows] == ["indirect_sobel", "indirect_aroian", "indirect_goodman"]
    assert {r["analysis"] for r in rows} == {"mediation"} and {r["model"] for r in rows} == {"diginf"}
    sobel_row = rows[0]
    # Exact: 2 * 3 = 6 in binary, and the row's statistic is a copy of the result's float.
    assert sobel_row["estimate"] == 6.0 and sobel_row["statistic"] == toy.sobel_z and sobel_row["nobs"] == 3360
    # 95% normal interval: q = 1.959963984540054 (Phi^-1(0.975), scipy.stats.norm.ppf, also in any normal table as 1.95996)
    assert sobel_row["ci_low"] == pytest.approx(6.0 - 1.959963984540054 * toy.sobel_se, rel=1e-12)
    assert sobel_row["ci_high"] == pytest.approx(6.0 + 1.959963984540054 * toy.sobel_se, rel=1e-12)

    undefined = indirect_effect_tests(0.1, 1.0, 0.1, 1.0).to_estimates("spec")
    goodman_row = undefined[2]
    assert goodman_row["statistic"] is None and goodman_row["p_value"] is None  # NaN -> blank cell
    assert "undefined" in goodman_row["note"]


def test_table_has_one_row_per_method(toy):
    table = toy.table
    assert list(table.index) == list(SOBEL_METHODS)
    assert table.loc["aroian", "z"] == toy.aroian_z


def test_result_is_frozen(toy):
    with pytest.raises(dataclasses.FrozenInstanceError):
        toy.sobel_z = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((2, 0.0, 3, 0.4), "standard error se_a must be positive, found 0.0"),
        ((2, 0.3, 3, -0.4), "standard error se_b must be positive, found -0.4"),
        ((float("nan"), 0.3, 3, 0.4), "a must be a finite number"),
        ((2, 0.3, "three", 0.4), "b must be a number, found 'three'"),
    ],
)
def test_invalid_inputs_say_what_and_how(args, message):
    with pytest.raises(InputError, match=message) as info:
        indirect_effect_tests(*args)
    assert "Fix:" in str(info.value)


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(InputError, match="use one of sobel, aroian, goodman"):
        sobel_z(2, 0.3, 3, 0.4, method="baron-kenny")  # type: ignore[arg-type]


finite = st.floats(min_value=-50, max_value=50, allow_nan=False).filter(lambda v: abs(v) > 1e-3)
positive = st.floats(min_value=1e-3, max_value=20)


@settings(max_examples=200, deadline=None)
@given(a=finite, se_a=positive, b=finite, se_b=positive)
def test_laws(a, se_a, b, se_b):
    result = indirect_effect_tests(a, se_a, b, se_b)
    # the paths enter symmetrically: swapping (a, s_a) and (b, s_b) changes nothing
    swapped = indirect_effect_tests(b, se_b, a, se_a)
    for method in SOBEL_METHODS:
        one, two = getattr(result, f"{method}_z"), getattr(swapped, f"{method}_z")
        # Goodman subtracts s_a^2 s_b^2 inside the root: cancellation costs digits.
        rel = 1e-8 if method == "goodman" else 1e-12
        assert (math.isnan(one) and math.isnan(two)) or one == pytest.approx(two, rel=rel)
    # Aroian adds s_a^2 s_b^2 to the radicand, Goodman subtracts it: |z_A| <= |z_S| <= |z_G|
    assert abs(result.aroian_z) <= abs(result.sobel_z) * (1 + 1e-12)
    if not math.isnan(result.goodman_z):
        assert abs(result.sobel_z) <= abs(result.goodman_z) * (1 + 1e-12)
    else:
        assert b * b * se_a * se_a + a * a * se_b * se_b - se_a * se_a * se_b * se_b <= 0
    # the sign of z is the sign of a*b
    assert math.copysign(1.0, result.sobel_z) == math.copysign(1.0, a * b)
