"""Goodman-Bacon decomposition reference values.

Castle doctrine panel: tests/data/castle.csv (R package bacondecomp,
data/castle.rda, converted): 50 states x 2000-2010, outcome ``l_homicide``,
treatment ``post``, unit ``sid``; ``effyear`` is blank (NA) for the 29 states
that never adopt.
"""

# PUB: TWFE coefficient of post in lm(l_homicide ~ post + factor(state) + factor(year), data = castle),
# printed in bacondecomp's example notebook (index.ipynb) as 0.0818116169306475 and recorded in
# tests/reference/README.md as 0.0818116169306.
CASTLE_TWFE = 0.0818116169306

# PUB: bacondecomp vignette "bacon" (CRAN, rendered output of
#   bacon(l_homicide ~ post, data = bacondecomp::castle, id_var = "state", time_var = "year")),
# bacon_summary() rounds weight and weighted-average estimate to 5 decimals.
CASTLE_BY_TYPE = {
    "earlier_vs_later": {"weight": 0.05976, "estimate": -0.00554},  # "Earlier vs Later Treated"
    "later_vs_earlier": {"weight": 0.03190, "estimate": 0.07032},  # "Later vs Earlier Treated"
    "treated_vs_never": {"weight": 0.90834, "estimate": 0.08796},  # "Treated vs Untreated"
}
CASTLE_ROUNDING = 5e-6

# PUB: Goodman-Bacon (2021, J. Econometrics), Figure 2 design: T = 100 periods, one early unit
# treated from t = 34 (D_k = 0.67), one late unit from t = 85 (D_l = 0.16), one never-treated unit.
# Weights printed in the figure (also bacondecomp tests/testthat/test_bacon_weights.R), 3 decimals.
FIGURE2_PERIODS = 100
FIGURE2_EARLY_START = 34
FIGURE2_LATE_START = 85
FIGURE2_WEIGHTS = {
    ("early", "never"): 0.365,  # s_kU
    ("late", "never"): 0.222,  # s_lU
    ("early", "late"): 0.278,  # s_kl^k (earlier vs later)
    ("late", "early"): 0.135,  # s_kl^l (later vs earlier)
}
FIGURE2_ROUNDING = 5e-4
