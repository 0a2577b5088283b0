"""Reference values for the entropy weight method (tests/reference/README.md, "Entropy weights").

1. ELSAYED_*: plain entropy weights (no standardisation, no shift,
   p_ij = x_ij / column sum, k = 1/ln m with m = 12 rows) of the 12 x 5 decision
   matrix in Elsayed, Dawood & Karthikeyan (2017), "Evaluating alternatives
   through the application of TOPSIS method with entropy weight", Int. J. Eng.
   Trends Technol. 46(2).  Tag PUB-REPRO: published to 6 decimals, reproduced
   independently from the definition (numpy: [0.10499069 0.06912398 0.07137315
   0.44993707 0.3045751]).

2. TOY_*: xlcbec's definition (docs/methods.md section 2: min-max standardisation,
   shift A = 0.0001, k = 1/ln n) on 5 cities x 3 indicators with directions
   (+, +, -).  Tag COMP: computed from the published definition, given to 8
   decimals in tests/reference/README.md; reproduced with numpy 2.4 by the plain formula
   (numpy printed e = [0.72794107 0.83298144 0.81114805],
   w = [0.43326354 0.265983 0.30075346], scores = [0.33486699 0.71985955 0 1 0.38959352]).
"""

ELSAYED_MATRIX = [
    [7, 312, 1891, 6613, 163],
    [72, 88, 728, 941804, 1078],
    [10, 252, 2594, 3466, 117471],
    [10, 145, 980, 2371, 86329],
    [65, 54, 350, 501, 29897],
    [29, 48, 380, 912, 34051],
    [7, 476, 3300, 78470, 2212],
    [70, 87, 650, 733, 819000],
    [4, 86, 591, 3015, 103],
    [12, 79, 579, 3240, 96098],
    [21, 45, 261, 1253, 453],
    [1, 72, 530, 4333, 0.1048],
]
ELSAYED_WEIGHTS = [0.104991, 0.069124, 0.071373, 0.449937, 0.304575]
ELSAYED_DECIMALS = 6

TOY_MATRIX = [[10, 35, 60], [12, 40, 45], [8, 30, 70], [15, 42, 40], [9, 38, 55]]
TOY_DIRECTIONS = ["+", "+", "-"]
TOY_SHIFT = 1e-4
TOY_E = [0.72794107, 0.83298144, 0.81114805]
TOY_WEIGHTS = [0.43326354, 0.26598300, 0.30075346]
TOY_SCORES = [0.33486699, 0.71985955, 0.0, 1.0, 0.38959352]
TOY_DECIMALS = 8
