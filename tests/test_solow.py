"""Steady state of the extended Solow model (paper eqs. 4, 6, 7; docs/methods.md section 10).

Hand calculations.  With T^gamma = 1 the steady state simplifies, since
(L^(1-alpha))^(1/(1-alpha)) = L:

    K* = (s A L^(1-alpha) / delta)^(1/(1-alpha)) = L (s A / delta)^(1/(1-alpha))
    Y* = A K*^alpha L^(1-alpha)                 = L A^(1/(1-alpha)) (s / delta)^(alpha/(1-alpha))

Case 1: s = 0.2, A = 1, L = 100, alpha = 0.5, delta = 0.05
    s/delta = 4;  K* = 100 * 4^2 = 1600;  Y* = 100 * 4^1 = 400;  check s Y* = 80 = delta K*.
Case 2 (the brief's example): s = 0.2, A = 1, L = 100, alpha = 0.3, delta = 0.05
    K* = 100 * 4^(1/0.7) = 100 * 2^(20/7) = 100 * 7.24578931411125... = 724.578931411125...
    Y* = 100 * 4^(0.3/0.7) = 100 * 2^(6/7) = 100 * 1.81144732852781... = 181.144732852781...
    check s Y* = 36.2289... = 0.05 * 724.5789... = delta K*.
Case 3 (transaction costs): case 2 with T = 2, gamma = 0.35
    K* = L (s A T^gamma / delta)^(1/(1-alpha)) = 100 * (4 * 2^0.35)^(1/0.7) = 100 * 2^(2.35/0.7)
       = 100 * 2^(23.5/7) = 100 * 10.2470935181... = 1024.70935181...
    Y* = A K*^alpha L^(1-alpha) T^gamma = 100 * 2^(0.3 * 23.5/7) * 2^0.35 = 100 * 2^(7.05/7 + 2.45/7)
       = 100 * 2^(9.5/7) = 100 * 2^(19/14) = 256.17733795...
The numeric constants below are those powers of 2 evaluated with Python's
``decimal`` module at 30 digits (exp/ln), independent of numpy.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlcbec.core.solow import steady_state_capital, steady_state_output
from xlcbec.errors import InputError

# Tolerances: closed forms against hand evaluations differ only by float rounding
# in pow/exp (a few ulp), so 1e-12 relative; the steady-state identity
# s Y* = delta K* is a law of the model, checked at 1e-10 relative (powers of
# large numbers lose a few more digits).
TOL_HAND = 1e-12
TOL_LAW = 1e-10

# decimal (30 digits): 2^(20/7), 2^(6/7), 2^(23.5/7), 2^(19/14)
TWO_POW_20_7 = 7.24578931411125337275
TWO_POW_6_7 = 1.81144732852781334319
TWO_POW_23_5_7 = 10.2470935181141806143
TWO_POW_19_14 = 2.56177337952854515358

BASE = dict(s=0.2, A=1.0, L=100.0, alpha=0.3, delta=0.05)


def test_case1_round_numbers():
    params = dict(BASE, alpha=0.5)
    assert steady_state_capital(**params) == pytest.approx(1600.0, rel=TOL_HAND)
    assert steady_state_output(**params) == pytest.approx(400.0, rel=TOL_HAND)


def test_case2_without_transaction_costs_eq4():
    assert steady_state_capital(**BASE) == pytest.approx(100 * TWO_POW_20_7, rel=TOL_HAND)
    assert steady_state_output(**BASE) == pytest.approx(100 * TWO_POW_6_7, rel=TOL_HAND)
    # gamma = 0 is eq. 4 whatever T is (T^0 = 1)
    assert steady_state_capital(**BASE, T=7.0, gamma=0.0) == pytest.approx(100 * TWO_POW_20_7, rel=TOL_HAND)


def test_case3_with_transaction_costs_eqs6_7():
    capital = steady_state_capital(**BASE, T=2.0, gamma=0.35)
    output = steady_state_output(**BASE, T=2.0, gamma=0.35)
    assert capital == pytest.approx(100 * TWO_POW_23_5_7, rel=TOL_HAND)
    assert output == pytest.approx(100 * TWO_POW_19_14, rel=TOL_HAND)
    # eq. 7 written out as in the paper: A (s A L^(1-a) T^g / delta)^(a/(1-a)) L^(1-a) T^g
    s, A, L, a, d, T, g = 0.2, 1.0, 100.0, 0.3, 0.05, 2.0, 0.35
    eq7 = A * (s * A * L ** (1 - a) * T**g / d) ** (a / (1 - a)) * L ** (1 - a) * T**g
    assert output == pytest.approx(eq7, rel=TOL_HAND)
    # gamma > 0 and T > 1 raise both K* and Y* above the model without transaction costs
    assert capital > steady_state_capital(**BASE) and output > steady_state_output(**BASE)


def test_scalar_in_float_out():
    assert isinstance(steady_state_capital(**BASE), float)
    assert isinstance(steady_state_output(**BASE), float)


def test_vectorised_matches_elementwise():
    s = np.array([0.2, 0.25, 0.3])
    alpha = np.array([0.3, 0.5, 0.4])
    capital = steady_state_capital(s, 1.0, 100.0, alpha, 0.05)
    output = steady_state_output(s, 1.0, 100.0, alpha, 0.05, T=np.array([1.0, 2.0, 3.0]), gamma=0.2)
    assert isinstance(capital, np.ndarray) and capital.shape == (3,)
    assert capital[1] == pytest.approx(100 * (0.25 / 0.05) ** 2, rel=TOL_HAND)  # alpha = 0.5: L (s/delta)^2 = 2500
    for i in range(3):
        assert capital[i] == pytest.approx(steady_state_capital(s[i], 1.0, 100.0, alpha[i], 0.05), rel=TOL_HAND)
        assert output[i] == pytest.approx(
            steady_state_output(s[i], 1.0, 100.0, alpha[i], 0.05, T=[1.0, 2.0, 3.0][i], gamma=0.2), rel=TOL_HAND
        )


@settings(max_examples=200, deadline=None)
@given(
    s=st.floats(0.01, 1.0),
    A=st.floats(0.1, 10.0),
    L=st.floats(1.0, 1e4),
    alpha=st.floats(0.05, 0.9),
    delta=st.floats(0.01, 0.5),
    T=st.floats(0.1, 10.0),
    gamma=st.floats(-1.0, 1.0),
)
def test_steady_state_law(s, A, L, alpha, delta, T, gamma):
    # dK/dt = s Y - delta K = 0 at the steady state (paper eqs. 2-3)
    capital = steady_state_capital(s, A, L, alpha, delta, T, gamma)
    output = steady_state_output(s, A, L, alpha, delta, T, gamma)
    assert s * output == pytest.approx(delta * capital, rel=TOL_LAW)
    # and Y* is the production function (eq. 5) evaluated at K*
    assert output == pytest.approx(A * capital**alpha * L ** (1 - alpha) * T**gamma, rel=TOL_LAW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alpha": 1.0}, "The capital elasticity alpha must be strictly between 0 and 1, found 1.0"),
        ({"alpha": 0.0}, "alpha must be strictly between 0 and 1, found 0.0"),
        ({"delta": 0.0}, "The depreciation rate delta must be positive, found 0.0"),
        ({"delta": -0.05}, "delta must be positive, found -0.05"),
        ({"s": 20.0}, "The savings rate s must be greater than 0 and at most 1, found 20.0"),
        ({"L": -100.0}, "The labour input L must be positive, found -100.0"),
        ({"A": 0.0}, "The technology level A must be positive"),
        ({"T": 0.0}, "The transaction-cost term T must be positive"),
        ({"A": float("nan")}, "A must be a finite number, found nan"),
        ({"s": "twenty"}, "The savings rate s must be a number, found 'twenty'"),
        ({"alpha": np.array([0.3, 1.5])}, "alpha must be strictly between 0 and 1, found 1.5"),
    ],
)
def test_invalid_parameters_give_problem_and_fix(change, message):
    params = dict(BASE, **change)
    for function in (steady_state_capital, steady_state_output):
        with pytest.raises(InputError, match=message) as info:
            function(**params)
        assert "Fix:" in str(info.value)
        assert info.value.sheet is None


def test_incompatible_array_shapes():
    with pytest.raises(InputError, match="cannot be combined"):
        steady_state_capital(np.array([0.2, 0.3]), 1.0, np.array([100.0, 200.0, 300.0]), 0.3, 0.05)
