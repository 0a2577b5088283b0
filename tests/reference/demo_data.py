"""Reference facts for the embedded demo data (xlcbec/demo_data.py, xlcbec/data/cities.csv).

* CITY_COUNT, COASTAL_COUNT, CLUSTER_COUNTS, MUNICIPALITY_COUNT: tests/data/README.md,
  row "cities.csv" (285 cities, coastal 53, BTH 13, YRD 26, PRD 9) and the 4
  municipalities named in that row.
* PILOT_COUNTS_2010_2021, TREATED_2010_2021, TREATED_PREFECTURE_ONLY: tests/data/README.md,
  "Within a 2010-2021 panel of these 285 cities, 102 are treated (pilot year
  2015: 1, 2016: 12, 2018: 22, 2019: 22, 2020: 45, when county-level pilots are
  credited to their parent city; 98 with prefecture cities only); the 2022
  batches are not yet treated inside that window."
* PILOT_COUNT_2022: COMP, counted from tests/data/cbec_pilots.csv (earliest
  approval year per panel_code among the 285 codes): 154 cities are ever
  credited a pilot, 154 - 102 = 52 first in 2022.
* TABLE3: the paper's Table 3 (Zhou & Wang, "Cross-border e-commerce policies and the high-quality development of urban economies",
  "Table 3 Descriptive Statistics"): variable -> (Obs, Mean, Std.Dev., Min, Median, Max).
  The demo's controls are synthetic; the tests only ask for similar means and
  dispersions (see the tolerances in tests/test_demo_data.py).
* TABLE4_CONTROLS_COEF: the paper's Table 4 column (2), CBEC = 0.0107 (t 3.60);
  only used to check that the planted effect has the paper's order of magnitude.
"""

CITY_COUNT = 285
COASTAL_COUNT = 53
CLUSTER_COUNTS = {"BTH": 13, "YRD": 26, "PRD": 9}
MUNICIPALITY_COUNT = 4

PILOT_COUNTS_2010_2021 = {2015: 1, 2016: 12, 2018: 22, 2019: 22, 2020: 45}
TREATED_2010_2021 = 102
TREATED_PREFECTURE_ONLY = 98
PILOT_COUNT_2022 = 52

TABLE3 = {
    "lnpop": (3360, 5.9148, 0.6638, 3.4002, 5.9463, 8.1362),
    "lnaca": (3351, 7.6926, 1.3123, 2.4849, 7.6104, 11.2343),
    "lngdp": (3360, 16.6105, 0.9256, 14.1773, 16.5039, 19.8843),
    "lngov": (3360, 14.8929, 0.7595, 12.9718, 14.8323, 18.24999),
    "lninter": (3360, 13.4386, 0.9627, 9.2103, 13.39999, 17.7617),
    "urban": (3346, 0.5487, 0.1553, 0.0, 0.5333, 1.0),
    "lncons": (3360, 15.6009, 1.0490, 5.4723, 15.5573, 19.0129),
}

TABLE4_CONTROLS_COEF = 0.0107
