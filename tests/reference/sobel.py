"""Reference values for the Sobel family of indirect-effect tests (docs/methods.md section 7).

Toy case from tests/reference/README.md, "Sobel family (PUB toy + COMP)":
a = 2, b = 3, s_a = 0.3, s_b = 0.4.

* TOY_*_Z_5DP: the values tests/reference/README.md lists to 5 decimals.  Sobel is tagged
  PUB (published as 4.983, to 3 decimals); Aroian and Goodman are COMP
  (computed from the published definitions
  z = ab / sqrt(b^2 s_a^2 + a^2 s_b^2 [+|-] s_a^2 s_b^2)).  Tolerance 5e-6
  absolute: half a unit in the 5th decimal.
* TOY_*_Z_EXACT: the same formulas evaluated with Python's ``decimal`` module at
  40 significant digits (Python 3.11, ``Decimal.sqrt``), independent of numpy
  and scipy:
      radicands 1.45, 1.4644, 1.4356 (= 0.81 + 0.64, +/- 0.0144)
      sqrt: 1.204159457879229548..., 1.210123960592467568..., 1.198165264060012716...
"""

TOY_A = 2.0
TOY_SE_A = 0.3
TOY_B = 3.0
TOY_SE_B = 0.4

# tests/reference/README.md, 5 decimals
TOY_SOBEL_Z_5DP = 4.98273  # PUB (published 4.983)
TOY_AROIAN_Z_5DP = 4.95817  # COMP
TOY_GOODMAN_Z_5DP = 5.00766  # COMP
TOY_PUBLISHED_SOBEL_Z_3DP = 4.983

# decimal, 40 digits (truncated to 16 significant digits here)
TOY_SOBEL_Z_EXACT = 4.982728791224398130
TOY_AROIAN_Z_EXACT = 4.958169737472552178
TOY_GOODMAN_Z_EXACT = 5.007656439370351280
TOY_SOBEL_SE_EXACT = 1.204159457879229548
TOY_AROIAN_SE_EXACT = 1.210123960592467568
TOY_GOODMAN_SE_EXACT = 1.198165264060012716

# Goodman undefined: a = b = 0.1, s_a = s_b = 1 gives the radicand
# 0.01 * 1 + 0.01 * 1 - 1 * 1 = -0.98 <= 0 (hand computation).
UNDEFINED_A = 0.1
UNDEFINED_SE_A = 1.0
UNDEFINED_B = 0.1
UNDEFINED_SE_B = 1.0
UNDEFINED_GOODMAN_RADICAND = -0.98
# Sobel there: ab / sqrt(0.02) = 0.01 / 0.1414213562... = 0.0707106781186547524 (= sqrt(2)/20, hand computation)
UNDEFINED_SOBEL_Z = 0.0707106781186547524
