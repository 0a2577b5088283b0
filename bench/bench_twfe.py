"""TWFE with 7 controls and clustered SEs: xlcbec vs pyfixest feols vs linearmodels PanelOLS.

Cases (all in one process run, numbers checked to agree before timing counts):
1. the city panel, 280 units x 12 years, per fit;
2. 1,048,576 rows (87,382 units x 12 years), balanced and with 5% of rows
   missing at random; peak traced memory against the size of the numeric data;
3. scaling: 10k, 100k, 1M rows, and the log-log slope of time against rows.

Run: ``python bench/bench_twfe.py [--quick]`` (needs ``pip install pyfixest``).
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
import warnings

import numpy as np

from common import CONTROLS, best_time, report, result_line, synthetic_panel
from xlcbec.core.twfe import fit_twfe

COEF_RTOL = 1e-10
SE_RTOL = 1e-8


def ours(df):
    return fit_twfe(df, outcome="HQD", regressors=["CBEC", *CONTROLS], unit="city", time="year")


def pyfixest_fit(df):
    import pyfixest as pf

    fit = pf.feols("HQD ~ CBEC + " + " + ".join(CONTROLS) + " | city + year", data=df, vcov={"CRV1": "city"})
    return fit.coef()["CBEC"], fit.se()["CBEC"]


def panelols_fit(df):
    from linearmodels.panel import PanelOLS

    frame = df.set_index(["city", "year"])
    model = PanelOLS(frame["HQD"], frame[["CBEC", *CONTROLS]], entity_effects=True, time_effects=True)
    # Configured to the Stata rule (METHODS.md section 3): count only the time effects
    # and the constant, G/(G-1) cluster adjustment.
    fit = model.fit(cov_type="clustered", cluster_entity=True, group_debias=True, count_effects=False, debiased=True)
    return fit.params["CBEC"], fit.std_errors["CBEC"]


def check(df, label):
    res = ours(df)
    b, se = pyfixest_fit(df)
    if not np.isclose(res.params["CBEC"], b, rtol=COEF_RTOL, atol=0):
        raise SystemExit(f"{label}: coefficient differs from pyfixest: {res.params['CBEC']!r} vs {b!r}")
    if not np.isclose(res.std_errors["CBEC"], se, rtol=SE_RTOL, atol=0):
        raise SystemExit(f"{label}: SE differs from pyfixest: {res.std_errors['CBEC']!r} vs {se!r}")
    return res


def peak_memory(df) -> tuple[float, float]:
    numeric = sum(df[c].to_numpy().nbytes for c in df.columns)
    gc.collect()
    tracemalloc.start()
    ours(df)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, peak / numeric


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 1M-row cases")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ratios: dict[str, float] = {}

    city = synthetic_panel(280, 12)
    check(city, "city panel")
    pyfixest_fit(city)  # warm up its JIT compilation outside the timing
    t_ours, _ = best_time(lambda: ours(city), repeat=30)
    t_pf, _ = best_time(lambda: pyfixest_fit(city), repeat=10)
    t_lm, _ = best_time(lambda: panelols_fit(city), repeat=10)
    ratios["city_pyfixest_over_xlcbec"] = t_pf / t_ours
    ratios["city_panelols_over_xlcbec"] = t_lm / t_ours
    report("1. city panel 280 x 12, 7 controls, clustered", [("xlcbec", t_ours), ("pyfixest feols", t_pf),
           ("linearmodels PanelOLS", t_lm)], {k: v for k, v in ratios.items() if k.startswith("city")})

    if not args.quick:
        for label, share in (("balanced", 0.0), ("unbalanced", 0.05)):
            big = synthetic_panel(87_382, 12, missing_share=share, seed=2)
            check(big, f"1M {label}")
            t_ours, _ = best_time(lambda: ours(big), repeat=3)
            t_pf, _ = best_time(lambda: pyfixest_fit(big), repeat=2)
            mib, multiple = peak_memory(big)
            ratios[f"1m_{label}_pyfixest_over_xlcbec"] = t_pf / t_ours
            ratios[f"1m_{label}_peak_memory_over_data"] = multiple
            report(f"2. {len(big):,} rows, {label}", [("xlcbec", t_ours), ("pyfixest feols", t_pf)],
                   {f"pyfixest/xlcbec": t_pf / t_ours, f"peak memory / numeric data ({mib:.0f} MiB)": multiple})
            del big
            gc.collect()

        sizes, times = [], []
        for rows in (10_000, 100_000, 1_000_000):
            df = synthetic_panel(rows // 12, 12, seed=3)
            t, _ = best_time(lambda: ours(df), repeat=3)
            sizes.append(len(df))
            times.append(t)
        slope = float(np.polyfit(np.log(sizes), np.log(times), 1)[0])
        ratios["scaling_loglog_slope"] = slope
        report("3. scaling", [(f"xlcbec {n:,} rows", t) for n, t in zip(sizes, times)], {"log-log slope": slope})
    result_line(ratios)


if __name__ == "__main__":
    main()
