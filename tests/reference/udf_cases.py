"""Hand-computed cases for the worksheet functions (xlcbec.excel.udfs).

Every number here is worked out by hand from the definition named beside it;
the tests also compare each function with the core on the same data.

1. STARS_DEFAULT: significance stars with the default levels 0.1, 0.05, 0.01
   (docs/methods.md section 11; the convention of Stata's esttab ``star(* 0.10 ** 0.05
   *** 0.01)``: a star for each level the p-value is strictly below).  The
   boundaries carry the fewer stars: p = 0.05 is not below 0.05.
2. STARS_CUSTOM: levels 0.05 and 0.01 only (two levels -> at most two stars).
3. LQ_*: location quotient (paper eq. 12) of 3 cities x 2 sectors, one year:
   sector jobs per city 1+2 = 3, 3+4 = 7, 5+6 = 11 (sum 21); totals 10, 20, 30 (sum 60):
       LQ1 = (3/21) / (10/60) = 18/21 = 6/7
       LQ2 = (7/21) / (20/60) = 1
       LQ3 = (11/21) / (30/60) = 22/21
4. SOLOW_CASE1: s = 0.2, A = 1, L = 100, alpha = 0.5, delta = 0.05 (docs/methods.md section 10):
   K* = L (s A / delta)^(1/(1-alpha)) = 100 * 4^2 = 1600; Y* = L A^(1/(1-alpha)) (s/delta)^(alpha/(1-alpha)) = 100 * 4 = 400.
"""

STARS_DEFAULT = [
    (0.0, "***"),
    (0.0099, "***"),
    (0.01, "**"),
    (0.0499, "**"),
    (0.05, "*"),
    (0.0999, "*"),
    (0.1, ""),
    (0.5, ""),
    (1.0, ""),
]

STARS_CUSTOM_LEVELS = (0.05, 0.01)
STARS_CUSTOM = [(0.001, "**"), (0.03, "*"), (0.07, "")]

LQ_SECTORS = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
LQ_TOTALS = [[10.0], [20.0], [30.0]]
LQ_EXPECTED = [6.0 / 7.0, 1.0, 22.0 / 21.0]

SOLOW_CASE1 = {"s": 0.2, "A": 1.0, "L": 100.0, "alpha": 0.5, "delta": 0.05}
SOLOW_CASE1_K = 1600.0
SOLOW_CASE1_Y = 400.0
