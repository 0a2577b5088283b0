"""Grunfeld investment panel: clustered standard-error conventions.

Data: statsmodels' ``grunfeld`` dataset without firm "American Steel"
(= R plm's Grunfeld: 10 firms x 20 years, 200 rows).
Model ``invest ~ capital | firm + year``, clustered by firm.
Source: the fixest vignette "On standard-errors" (rendered outputs), as listed
in tests/reference/README.md (PUB-REPRO).
"""

COEF_CAPITAL = 0.4138018  # published to 7 digits
# Stata `xtreg inv capital i.year, fe vce(cluster firm)` = fixest default
SE_STATA = 0.06328129
# lm + sandwich::vcovCL HC1 = dummy-variable regression / areg rule
SE_AREG = 0.06493478
# plm vcovHC(cluster = "group"): CR0
SE_CR0 = 0.05693726
# iid
SE_IID = 0.02597821
