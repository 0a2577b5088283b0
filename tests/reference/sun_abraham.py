"""Sun & Abraham (2021) interaction-weighted event study on mpdta.

tests/reference/README.md (COMP): never-treated control cohort, reference -1.
Post periods equal the Callaway & Sant'Anna dynamic values (R did 2.5.0, PUB)
exactly; pre periods are long differences against g - 1 (6 decimals published).
"""

POST = {  # e: value (C&S dynamic aggregation, R did 2.5.0, full precision)
    0: -0.0199318167892593,
    1: -0.0509573670651939,
    2: -0.137258738889403,
    3: -0.100811363085404,
}
PRE = {-4: 0.003306, -3: 0.025022, -2: 0.024459}  # COMP, 6 decimals
ATT = -0.0399512751551766  # observation-weighted; = C&S simple aggregation
