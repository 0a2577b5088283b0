"""Hand-computed matching values (psmatch2 4.0.12 definitions), with the arithmetic.

Provenance: computed by hand from psmatch2's source definitions (ado file
psmatch2.ado v4.0.12: _Kernel_, _Support_, match_pscore/match2, _mktab), as
restated in docs/methods.md section 5.  Nothing here calls xlcbec.

Data: five controls A-E and five treated T1-T5 with known scores, bandwidth
h = 0.1.  Rows are listed in this order (controls first).

    row  group  score  y
    A    C      0.10   2
    B    C      0.14   4
    C    C      0.40   6
    D    C      0.46   3
    E    C      0.60   5
    T1   T      0.13   7
    T2   T      0.44   9
    T3   T      0.26   8    no control within 0.1 (B is 0.12 away, C 0.14)
    T4   T      0.65   4    above the largest control score 0.60
    T5   T      0.05   6    below the smallest control score 0.10
"""

from __future__ import annotations

import math
from fractions import Fraction as F

LABELS = ["A", "B", "C", "D", "E", "T1", "T2", "T3", "T4", "T5"]
SCORES = [0.10, 0.14, 0.40, 0.46, 0.60, 0.13, 0.44, 0.26, 0.65, 0.05]
TREATED = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
Y = [2.0, 4.0, 6.0, 3.0, 5.0, 7.0, 9.0, 8.0, 4.0, 6.0]
H = 0.1

# --- Epanechnikov, common support -------------------------------------------
# K = 1 - (d/h)^2 for |d| <= h, d = p_j - p_i.
# T1 (0.13): A d=-0.03 -> 1 - 0.09 = 0.91; B d=+0.01 -> 1 - 0.01 = 0.99;
#            C..E farther than 0.1 -> 0.  Sum 1.90: w_A = 91/190, w_B = 99/190.
#            _y = (0.91*2 + 0.99*4)/1.90 = 5.78/1.90 = 289/95.
# T2 (0.44): C d=-0.04 -> 0.84; D d=+0.02 -> 0.96; B, E out.  Sum 1.80:
#            w_C = 84/180 = 7/15, w_D = 96/180 = 8/15; _y = (7*6 + 8*3)/15 = 66/15 = 4.4.
# T3: no control within h -> off support; T4, T5 outside [0.10, 0.60] -> off.
EPAN_COMMON = {
    "weights": {  # treated -> {control: weight}
        "T1": {"A": 91 / 190, "B": 99 / 190},
        "T2": {"C": 7 / 15, "D": 8 / 15},
    },
    "support": {"T1": True, "T2": True, "T3": False, "T4": False, "T5": False},
    # _weight: treated on support 1; controls = sum of their weights; E unmatched -> missing (None).
    "_weight": {"A": 91 / 190, "B": 99 / 190, "C": 7 / 15, "D": 8 / 15, "E": None,
                "T1": 1.0, "T2": 1.0, "T3": None, "T4": None, "T5": None},
    "_y": {"T1": 289 / 95, "T2": 4.4},
    # ATT = ((7 - 289/95) + (9 - 4.4)) / 2 = (376/95 + 437/95) / 2 = 813/190.
    "att": float(F(813, 190)),  # 4.278947368421052
    # Var1 = var(7, 9) = 2 (n - 1 divisor).
    "var1": 2.0,
    # Var0 over controls with a weight (A, B, C, D: y = 2, 4, 6, 3; mean 3.75):
    # (1.75^2 + 0.25^2 + 2.25^2 + 0.75^2) / 3 = 8.75 / 3 = 35/12.
    "var0": 35 / 12,
    # sum W^2 = (91^2 + 99^2)/190^2 + (7^2 + 8^2)/15^2 = 18082/36100 + 113/225 = 32591/32490.
    "sum_w2": float(F(32591, 32490)),  # 1.00310864881502
    # SE = sqrt(Var1/N1 + Var0 * sum W^2 / N1^2) = sqrt(2/2 + (35/12)(32591/32490)/4).
    "se": math.sqrt(1 + float(F(35, 12) * F(32591, 32490) / 4)),  # 1.315839424003154
    "n_treated_on": 2, "n_treated_off": 3, "n_control_on": 5, "n_control_off": 0,
}

# --- Epanechnikov, no common-support trimming --------------------------------
# T4 (0.65): E d=-0.05 -> 1 - 0.25 = 0.75, D d=-0.19 out -> w_E = 1, _y = 5.
# T5 (0.05): A d=+0.05 -> 0.75; B d=+0.09 -> 1 - 0.81 = 0.19.  Sum 0.94:
#            w_A = 75/94, w_B = 19/94; _y = (0.75*2 + 0.19*4)/0.94 = 2.26/0.94 = 113/47.
# T3 is still off (no control within h: psmatch2 drops it in the kernel loop).
# ATT = (376/95 + 23/5 + (4 - 5) + (6 - 113/47)) / 4 = 49801/17860.
# Var1 = var(7, 9, 4, 6) = 13/3; Var0 = var(2, 4, 6, 3, 5) = 10/4 = 5/2.
# sum W^2 = (91/190 + 75/94)^2 + (99/190 + 19/94)^2 + (7/15)^2 + (8/15)^2 + 1^2 = 131177668/35885205.
_SW2_NC = F(131177668, 35885205)
EPAN_NO_COMMON = {
    "support": {"T1": True, "T2": True, "T3": False, "T4": True, "T5": True},
    "_weight": {"A": float(F(91, 190) + F(75, 94)), "B": float(F(99, 190) + F(19, 94)),
                "C": 7 / 15, "D": 8 / 15, "E": 1.0,
                "T1": 1.0, "T2": 1.0, "T3": None, "T4": 1.0, "T5": 1.0},
    "_y": {"T1": 289 / 95, "T2": 4.4, "T4": 5.0, "T5": 113 / 47},
    "att": float(F(49801, 17860)),  # 2.7884098544232923
    "var1": 13 / 3,
    "var0": 2.5,
    "sum_w2": float(_SW2_NC),  # 3.655480524634038
    "se": math.sqrt(float(F(13, 3) / 4 + F(5, 2) * _SW2_NC / 16)),  # 1.286274529526027
}


# --- Normal (Gaussian) kernel, common support --------------------------------
# K = phi((p_j - p_i)/h), phi the standard normal density; every control gets a
# weight, so T3 (inside [0.10, 0.60]) is on support; T4, T5 are off (common).
def _phi(u: float) -> float:
    return math.exp(-0.5 * u * u) / math.sqrt(2 * math.pi)


def _normal_row(p_i: float) -> dict[str, float]:
    raw = {c: _phi((SCORES[j] - p_i) / H) for j, c in enumerate(LABELS[:5])}
    total = sum(raw.values())
    return {c: v / total for c, v in raw.items()}


_NORMAL_W = {t: _normal_row(SCORES[LABELS.index(t)]) for t in ("T1", "T2", "T3")}
_NORMAL_Y = {t: sum(w * Y[LABELS.index(c)] for c, w in row.items()) for t, row in _NORMAL_W.items()}
_N1 = 3
_y1 = [Y[LABELS.index(t)] for t in ("T1", "T2", "T3")]
_mean1 = sum(_y1) / _N1
_cw = {c: sum(_NORMAL_W[t][c] for t in _NORMAL_W) for c in LABELS[:5]}
NORMAL_COMMON = {
    "weights": _NORMAL_W,
    "support": {"T1": True, "T2": True, "T3": True, "T4": False, "T5": False},
    "_y": _NORMAL_Y,
    "_weight": {**_cw, "T1": 1.0, "T2": 1.0, "T3": 1.0, "T4": None, "T5": None},
    # ATT = mean over T1..T3 of y - _y.
    "att": sum(Y[LABELS.index(t)] - _NORMAL_Y[t] for t in _NORMAL_W) / _N1,
    # Var1 = var(7, 9, 8) = 1; Var0 = var of all five controls' y = 5/2 (all have a weight).
    "var1": 1.0,
    "var0": 2.5,
    "sum_w2": sum(v * v for v in _cw.values()),
}
NORMAL_COMMON["se"] = math.sqrt(1.0 / _N1 + 2.5 * NORMAL_COMMON["sum_w2"] / _N1**2)

# --- Nearest neighbour, with replacement, common support ----------------------
# k = 1: T1 (0.13) -> B (0.01 away; A is 0.03); T2 (0.44) -> D (0.02; C is 0.04);
#        T3 (0.26) -> B (0.12; C is 0.14).  T4, T5 off (common).
#        _weight: B = 2 (two matches), D = 1.  _y: T1 4, T2 3, T3 4.
#        ATT = ((7-4) + (9-3) + (8-4)) / 3 = 13/3.
#        Var1 = var(7, 9, 8) = 1; Var0 = var(y_B, y_D) = var(4, 3) = 1/2; sum W^2 = 4 + 1 = 5.
#        SE = sqrt(1/3 + (1/2)(5)/9) = sqrt(11/18).
NEAREST_1 = {
    "matches": {"T1": ["B"], "T2": ["D"], "T3": ["B"]},
    "_weight": {"A": None, "B": 2.0, "C": None, "D": 1.0, "E": None,
                "T1": 1.0, "T2": 1.0, "T3": 1.0, "T4": None, "T5": None},
    "att": 13 / 3,
    "se": math.sqrt(11 / 18),
}
# k = 1, caliper 0.05 (strict |d| < 0.05): T3's nearest is 0.12 away -> off support.
#        ATT = ((7-4) + (9-3)) / 2 = 4.5; Var1 = var(7, 9) = 2; Var0 = var(4, 3) = 1/2;
#        sum W^2 = 1 + 1 = 2; SE = sqrt(2/2 + (1/2)(2)/4) = sqrt(5/4).
NEAREST_CALIPER = {
    "support": {"T1": True, "T2": True, "T3": False, "T4": False, "T5": False},
    "att": 4.5,
    "se": math.sqrt(5 / 4),
}
# k = 2 (psmatch2 steps outwards from the first match, lower side on ties):
#   T1: B (0.01), then A (0.03) vs C (0.27) -> A.  _y = (4 + 2)/2 = 3.
#   T2: D (0.02), then C (0.04) vs E (0.16) -> C.  _y = (3 + 6)/2 = 4.5.
#   T3: B (0.12), then A (0.16) vs C (0.14) -> C.  _y = (4 + 6)/2 = 5.
#   ATT = ((7-3) + (9-4.5) + (8-5)) / 3 = 11.5/3.
#   _weight: A 1/2, B 1/2 + 1/2 = 1, C 1/2 + 1/2 = 1, D 1/2.
#   Var1 = 1; Var0 = var(2, 4, 6, 3) = 35/12; sum W^2 = 1/4 + 1 + 1 + 1/4 = 5/2.
#   SE = sqrt(1/3 + (35/12)(5/2)/9).
NEAREST_2 = {
    "matches": {"T1": ["B", "A"], "T2": ["D", "C"], "T3": ["B", "C"]},
    "_weight": {"A": 0.5, "B": 1.0, "C": 1.0, "D": 0.5, "E": None},
    "att": 11.5 / 3,
    "se": math.sqrt(1 / 3 + (35 / 12) * 2.5 / 9),
}

# --- Ties (scores exact in binary) --------------------------------------------
# Controls c0 0.25, c1 0.75, c2 0.25 (rows in this order); treated t 0.5.
# 0.25 and 0.75 are equally close: psmatch2 keeps the lower score, and of the
# two 0.25s the one first in the data (c0).  k = 2 adds c2 (next in score
# order, same distance as c1 but on the lower side); k = 3 adds c1.
TIES_SCORES_CONTROL = [0.25, 0.75, 0.25]
TIES_TREATED = 0.5
TIES_MATCHES = {1: [0], 2: [0, 2], 3: [0, 2, 1]}
# Controls 0.25 (row 0), 0.25 (row 1), 0.5 (row 2); treated 0.875: the first
# match is 0.5; stepping down from it psmatch2 meets row 1 before row 0.
TIES_SCORES_CONTROL_2 = [0.25, 0.25, 0.5]
TIES_TREATED_2 = 0.875
TIES_MATCHES_2 = {1: [2], 2: [2, 1], 3: [2, 1, 0]}
