"""Steady state of the paper's extended Solow model (paper eqs. 4, 6, 7; docs/methods.md section 10).

Production ``Y = A K^alpha L^(1-alpha) T^gamma`` (eq. 5; T is the transaction-cost
term, gamma its output elasticity) and accumulation ``dK/dt = s Y - delta K``
(eq. 2).  Setting dK/dt = 0 gives

    K* = (s A L^(1-alpha) T^gamma / delta)^(1/(1-alpha))        (eq. 6; eq. 4 when gamma = 0)
    Y* = A K*^alpha L^(1-alpha) T^gamma                          (eq. 7)

so that ``s Y* = delta K*`` holds at the steady state.  Both functions take
scalars or numpy arrays (broadcast together) and return a float for scalar
inputs, an ndarray otherwise.
"""

from __future__ import annotations

from typing import Union

import numpy as np
import numpy.typing as npt

from xlcbec.errors import InputError

ArrayLike = Union[float, npt.ArrayLike]

_PARAMETERS = {
    "s": ("The savings rate s", "enter the savings rate as a fraction in (0, 1], e.g. 0.2 for 20%"),
    "A": ("The technology level A", "enter a positive number"),
    "L": ("The labour input L", "enter a positive number"),
    "alpha": ("The capital elasticity alpha", "enter a fraction strictly between 0 and 1, e.g. 0.3"),
    "delta": ("The depreciation rate delta", "enter a positive rate, e.g. 0.05"),
    "T": ("The transaction-cost term T", "enter a positive number (1 leaves output unchanged)"),
    "gamma": (
        "The transaction-cost elasticity gamma",
        "enter a finite number (0 = the model without transaction costs)",
    ),
}


def steady_state_capital(
    s: ArrayLike,
    A: ArrayLike,
    L: ArrayLike,
    alpha: ArrayLike,
    delta: ArrayLike,
    T: ArrayLike = 1.0,
    gamma: ArrayLike = 0.0,
) -> float | np.ndarray:
    """Steady-state capital ``K* = (s A L^(1-alpha) T^gamma / delta)^(1/(1-alpha))`` (paper eqs. 4 and 6)."""
    return _shaped(_capital(_validated(s=s, A=A, L=L, alpha=alpha, delta=delta, T=T, gamma=gamma)))


def steady_state_output(
    s: ArrayLike,
    A: ArrayLike,
    L: ArrayLike,
    alpha: ArrayLike,
    delta: ArrayLike,
    T: ArrayLike = 1.0,
    gamma: ArrayLike = 0.0,
) -> float | np.ndarray:
    """Steady-state output ``Y* = A K*^alpha L^(1-alpha) T^gamma`` (paper eq. 7)."""
    values = _validated(s=s, A=A, L=L, alpha=alpha, delta=delta, T=T, gamma=gamma)
    capital = _capital(values)
    v = values
    output = v["A"] * capital ** v["alpha"] * v["L"] ** (1.0 - v["alpha"]) * v["T"] ** v["gamma"]
    return _shaped(output)


def _capital(v: dict[str, np.ndarray]) -> np.ndarray:
    inflow = v["s"] * v["A"] * v["L"] ** (1.0 - v["alpha"]) * v["T"] ** v["gamma"] / v["delta"]
    return inflow ** (1.0 / (1.0 - v["alpha"]))


def _validated(**raw: ArrayLike) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for name, value in raw.items():
        label, fix = _PARAMETERS[name]
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"{label} must be a number, found {value!r}", fix=fix) from None
        finite = np.isfinite(array)
        if not finite.all():
            raise InputError(f"{label} must be a finite number, found {_first(array, ~finite)}", fix=fix)
        if name == "alpha":
            bad = (array <= 0.0) | (array >= 1.0)
            expected = "strictly between 0 and 1"
        elif name == "s":
            bad = (array <= 0.0) | (array > 1.0)
            expected = "greater than 0 and at most 1"
        elif name == "gamma":
            bad = np.zeros(array.shape, dtype=bool)
            expected = ""
        else:
            bad = array <= 0.0
            expected = "positive"
        if bad.any():
            raise InputError(f"{label} must be {expected}, found {_first(array, bad)}", fix=fix)
        values[name] = array
    try:
        np.broadcast_shapes(*(v.shape for v in values.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in values.items() if v.shape)
        raise InputError(
            f"the parameter arrays have shapes that cannot be combined ({shapes})",
            fix="give arrays of the same length, or single numbers",
        ) from None
    return values


def _first(array: np.ndarray, mask: np.ndarray) -> str:
    return repr(float(array[mask].ravel()[0]))


def _shaped(result: np.ndarray) -> float | np.ndarray:
    result = np.asarray(result, dtype=float)
    return float(result) if result.ndim == 0 else result
