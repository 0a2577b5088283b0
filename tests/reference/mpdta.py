"""Two-way fixed-effects DID and pooled event study on mpdta.

Data: tests/data/mpdta.csv (R package `did`, Callaway & Sant'Anna; 500
counties, 2003-2007).  ``treat`` is the EVER-treated flag; the DID regressor is
``post = 1[first_treat > 0 and year >= first_treat]`` (291 treated rows).
Values: tests/reference/README.md (COMP: computed from the definition,
``lemp ~ post | countyreal + year`` clustered by county).
"""

DID_COEF = -0.036548936674067
DID_SE_STATA = 0.01326516  # xtreg / reghdfe / fixest rule, published to 8 decimals
DID_SE_CR0 = 0.01323862
DID_SE_AREG = 0.01483164  # dummy-variable rule, all fixed effects counted
DID_SE_PANELOLS_DEFAULT = 0.01481976  # linearmodels PanelOLS defaults: NOT the Stata number
TREATED_ROWS = 291

# Pooled TWFE event study, relative periods -4..3, reference -1, never-treated
# with all dummies 0, Stata clustering rule (COMP, 6 decimals).
EVENT_STUDY = {
    -4: (0.003549, 0.022829),
    -3: (0.024624, 0.017679),
    -2: (0.023355, 0.013437),
    0: (-0.018144, 0.010982),
    1: (-0.043472, 0.017577),
    2: (-0.131795, 0.028837),
    3: (-0.092247, 0.032336),
}
