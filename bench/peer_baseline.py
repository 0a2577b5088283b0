"""The peer of ``xlcbec refresh --only baseline``: the same job as a plain pandas + linearmodels script.

What an analyst would write without xlcbec, run as its own process by
``bench_refresh.py``: read the input workbook with ``pandas.read_excel``
(openpyxl engine), merge the pilot years from Cities, fill interior gaps by
linear interpolation within each city, build the HQD entropy index from the
Indicators sheet (global pooling, shift 0.0001), derive CBEC and fit the
three Table 4 columns with linearmodels' PanelOLS (unit and year effects,
SEs clustered by city).  Only the coefficients are compared with xlcbec's:
PanelOLS's small-sample factor for these SEs is its own, not the Stata rule.

Run: ``python bench/peer_baseline.py BOOK [--json OUT]``; prints the CBEC
coefficient of the model with controls.
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import pandas as pd
from linearmodels.panel import PanelOLS

CONTROLS = ["lnpop", "lnaca", "lngdp", "lngov", "lninter", "urban", "lncons"]
SHIFT = 0.0001


def entropy_scores(frame: pd.DataFrame, indicators: pd.DataFrame) -> pd.Series:
    columns = list(indicators["column"])
    negative = (indicators["direction"].str.strip() == "-").to_numpy()
    values = frame[columns]
    complete = values.notna().all(axis=1)
    x = values[complete].to_numpy(dtype=float)
    low, high = x.min(axis=0), x.max(axis=0)
    standardized = np.where(negative, high - x, x - low) / (high - low)
    p = (standardized + SHIFT) / (standardized + SHIFT).sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(x.shape[0])
    d = 1 - e
    w = d / d.sum()
    return pd.Series(standardized @ w, index=values.index[complete]).reindex(frame.index)


def fit(frame: pd.DataFrame, regressors: list[str]) -> tuple[float, float]:
    data = frame.dropna(subset=["HQD", *regressors]).set_index(["city", "year"])
    model = PanelOLS(data["HQD"], data[regressors], entity_effects=True, time_effects=True)
    res = model.fit(cov_type="clustered", cluster_entity=True, group_debias=True, count_effects=False, debiased=True)
    return float(res.params["CBEC"]), float(res.std_errors["CBEC"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("book")
    parser.add_argument("--json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sheets = pd.read_excel(args.book, sheet_name=["Panel", "Cities", "Indicators"], engine="openpyxl")
    panel, cities, indicators = sheets["Panel"], sheets["Cities"], sheets["Indicators"]
    indicators = indicators[indicators["include"].astype(str).str.lower() == "yes"]
    hqd = indicators[indicators["index"] == "HQD"]
    panel = panel.merge(cities[["city", "pilot_year", "municipality"]], on="city", how="left")
    panel = panel.sort_values(["city", "year"]).reset_index(drop=True)
    filled = [*hqd["column"], *CONTROLS]
    panel[filled] = (
        panel.set_index("year").groupby(panel["city"].to_numpy())[filled]
        .transform(lambda s: s.interpolate(method="index", limit_area="inside")).to_numpy()
    )
    panel["HQD"] = entropy_scores(panel, hqd)
    panel["CBEC"] = (panel["year"] >= panel["pilot_year"].fillna(np.inf)).astype(float)
    results = {
        "no_controls": fit(panel, ["CBEC"]),
        "controls": fit(panel, ["CBEC", *CONTROLS]),
        "excl_municipalities": fit(panel[panel["municipality"].fillna(0) != 1], ["CBEC", *CONTROLS]),
    }
    print(f"CBEC = {results['controls'][0]!r} (SE {results['controls'][1]!r})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({name: {"estimate": b, "std_error": se} for name, (b, se) in results.items()}, handle)


if __name__ == "__main__":
    main()
