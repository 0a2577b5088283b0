"""Callaway & Sant'Anna reference values on mpdta.

Provenance (PUB): R package ``did`` 2.5.0,
    att_gt(yname = "lemp", tname = "year", idname = "countyreal", gname = "first.treat",
           xformla = ~1, data = mpdta, est_method = "dr", base_period = "varying",
           control_group = "nevertreated", bstrap = FALSE)
then aggte(..., type = "simple" / "group" / "dynamic"), analytic standard errors,
as recorded in the tests/reference/README.md ("Callaway & Sant'Anna on
mpdta").  Data: tests/data/mpdta.csv (R did data/mpdta.rda, converted;
``first_treat`` 0 = never treated).
"""

# (group, time): (ATT, SE)
ATT_GT = {
    (2004, 2004): (-0.0105032462209624, 0.0232510363681664),
    (2004, 2005): (-0.0704231581031467, 0.0309847667572767),
    (2004, 2006): (-0.137258738889403, 0.0364356642876865),
    (2004, 2007): (-0.100811363085404, 0.0343592258346732),
    (2006, 2004): (0.00652011242423301, 0.0233268051418047),
    (2006, 2005): (-0.00275081875051882, 0.0195585610358817),
    (2006, 2006): (-0.00459460695286304, 0.0177551966592763),
    (2006, 2007): (-0.0412244715462175, 0.0202291807041068),
    (2007, 2004): (0.0305066555832928, 0.01503356028013),
    (2007, 2005): (-0.00272589288611625, 0.0163958328955344),
    (2007, 2006): (-0.0310871193896889, 0.0178775113133435),
    (2007, 2007): (-0.0260544107191966, 0.0166554353492522),
}

# aggte(type = "simple")
SIMPLE_ATT = -0.0399512751551763
SIMPLE_SE = 0.0120340127701854

# aggte(type = "group"): per cohort and overall
GROUP_ATT = {2004: -0.0797491265747291, 2006: -0.0229095392495403, 2007: -0.0260544107191966}
GROUP_OVERALL_ATT = -0.0310182822287484
GROUP_OVERALL_SE = 0.0124460593209979

# aggte(type = "dynamic"): event times e = -3..3 and overall (mean over e >= 0)
DYNAMIC_ATT = {
    -3: 0.0305066555832928,
    -2: -0.000563084626385429,
    -1: -0.0244587449711696,
    0: -0.0199318167892593,
    1: -0.0509573670651939,
    2: -0.137258738889403,
    3: -0.100811363085404,
}
DYNAMIC_OVERALL_ATT = -0.0772398214573151
DYNAMIC_OVERALL_SE = 0.0199649890618494

# att_gt()$Wpval: Wald pre-test of parallel trends, p-value rounded by R to 5 decimals.
PRETREND_P = 0.16812
PRETREND_P_ROUNDING = 5e-6
