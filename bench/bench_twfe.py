"""TWFE with 7 controls and clustered SEs: xlcbec vs pyfixest feols vs linearmodels PanelOLS.

Cases (all in one process run, numbers checked to agree before timing counts):
1. the city panel, 280 units x 12 years, per fit;
2. 1,048,576 rows (87,382 units x 12 years), balanced and with 5% of rows
   missing at random; peak traced memory against the size of the numeric data;
3. scaling: 10k, 100k, 1M rows, and the log-log slope of time against rows.

Timing: the contenders take turns round by round (the machine may be shared)
and the best time of each counts.  pyfixest is timed with its default BLAS
threads and with one thread (threadpoolctl), and the faster of the two is its
time; xlcbec limits BLAS to one thread itself during a fit
(:mod:`xlcbec.core.blas`).  Coefficients must agree with pyfixest to 1e-10
and clustered SEs (Stata rule: G/(G-1) (n-1)/(n-K), K = k + T) to 1e-9, else
the run stops.

Goals: pyfixest/xlcbec >= 5 on the city panel, >= 3 on the balanced and
>= 1.5 on the unbalanced 1M-row panel; peak traced memory <= 3x the numeric
data; log-log slope of time against rows <= 1.1.

Run: ``python bench/bench_twfe.py [--quick]`` (needs ``pip install pyfixest``).
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
import warnings

import numpy as np
from common import CONTROLS, best_time, goal_line, report, result_line, side_by_side, synthetic_panel

from xlcbec.core.twfe import fit_twfe

COEF_RTOL = 1e-10
SE_RTOL = 1e-9


def ours(df):
    return fit_twfe(df, outcome="HQD", regressors=["CBEC", *CONTROLS], unit="city", time="year")


def pyfixest_fit(df):
    import pyfixest as pf

    fit = pf.feols("HQD ~ CBEC + " + " + ".join(CONTROLS) + " | city + year", data=df, vcov={"CRV1": "city"})
    return fit.coef()["CBEC"], fit.se()["CBEC"]


def pyfixest_one_thread(df):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return pyfixest_fit(df)


def panelols_fit(df):
    from linearmodels.panel import PanelOLS

    frame = df.set_index(["city", "year"])
    model = PanelOLS(frame["HQD"], frame[["CBEC", *CONTROLS]], entity_effects=True, time_effects=True)
    fit = model.fit(cov_type="clustered", cluster_entity=True, group_debias=True, count_effects=False, debiased=True)
    return fit.params["CBEC"], fit.std_errors["CBEC"]


def check(df, label):
    res = ours(df)
    b, se = pyfixest_fit(df)
    coef_diff = abs(res.params["CBEC"] - b) / abs(b)
    se_diff = abs(res.std_errors["CBEC"] - se) / se
    if coef_diff > COEF_RTOL:
        raise SystemExit(f"{label}: coefficient differs from pyfixest: {res.params['CBEC']!r} vs {b!r}")
    if se_diff > SE_RTOL:
        raise SystemExit(f"{label}: SE differs from pyfixest: {res.std_errors['CBEC']!r} vs {se!r}")
    print(f"  {label}: CBEC = {res.params['CBEC']:.10g} (SE {res.std_errors['CBEC']:.6g}); relative difference "
          f"from pyfixest: coefficient {coef_diff:.1e}, SE {se_diff:.1e}")
    return res


def peak_memory(df) -> tuple[float, float]:
    numeric = sum(df[c].to_numpy().nbytes for c in df.columns)
    gc.collect()
    tracemalloc.start()
    ours(df)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, peak / numeric


def compare(df, *, rounds: int, repeat: int) -> dict[str, float]:
    times = side_by_side({"xlcbec": lambda: ours(df), "pyfixest": lambda: pyfixest_fit(df),
                          "pyfixest, 1 BLAS thread": lambda: pyfixest_one_thread(df)}, rounds=rounds, repeat=repeat)
    times["peer"] = min(times["pyfixest"], times["pyfixest, 1 BLAS thread"])
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 1M-row cases")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ratios: dict[str, float] = {}
    goals: dict[str, bool] = {}

    city = synthetic_panel(280, 12)
    check(city, "city panel")
    pyfixest_fit(city)  # warm up its JIT compilation outside the timing
    times = compare(city, rounds=5, repeat=5)
    t_lm, _ = best_time(lambda: panelols_fit(city), repeat=5)
    ratios["city_pyfixest_over_xlcbec"] = times["peer"] / times["xlcbec"]
    ratios["city_panelols_over_xlcbec"] = t_lm / times["xlcbec"]
    report("1. city panel 280 x 12, 7 controls, clustered",
           [*((k, v) for k, v in times.items() if k != "peer"), ("linearmodels PanelOLS", t_lm)],
           {k: v for k, v in ratios.items() if k.startswith("city")})
    goals["city"] = goal_line("pyfixest/xlcbec, city panel", ratios["city_pyfixest_over_xlcbec"], 5)

    if not args.quick:
        for label, share, goal in (("balanced", 0.0, 3.0), ("unbalanced", 0.05, 1.5)):
            big = synthetic_panel(87_382, 12, missing_share=share, seed=2)
            check(big, f"1M {label}")
            times = compare(big, rounds=3, repeat=1)
            mib, multiple = peak_memory(big)
            ratio = times["peer"] / times["xlcbec"]
            ratios[f"1m_{label}_pyfixest_over_xlcbec"] = ratio
            ratios[f"1m_{label}_peak_memory_over_data"] = multiple
            report(f"2. {len(big):,} rows, {label}", [(k, v) for k, v in times.items() if k != "peer"],
                   {"pyfixest/xlcbec": ratio, f"peak memory / numeric data ({mib:.0f} MiB)": multiple})
            goals[f"1m_{label}"] = goal_line(f"pyfixest/xlcbec, {label}", ratio, goal)
            goals[f"1m_{label}_memory"] = goal_line("peak memory / numeric data", multiple, 3.0, at_most=True)
            del big
            gc.collect()

        sizes, times_by_size = [], []
        for rows in (10_000, 100_000, 1_000_000):
            df = synthetic_panel(rows // 12, 12, seed=3)
            ours(df)
            t, _ = best_time(lambda: ours(df), repeat=5 if rows < 1_000_000 else 3)
            sizes.append(len(df))
            times_by_size.append(t)
        slope = float(np.polyfit(np.log(sizes), np.log(times_by_size), 1)[0])
        ratios["scaling_loglog_slope"] = slope
        report("3. scaling", [(f"xlcbec {n:,} rows", t) for n, t in zip(sizes, times_by_size)], {"log-log slope": slope})
        goals["scaling"] = goal_line("log-log slope", slope, 1.1, at_most=True)
    ratios["goals_met"] = float(all(goals.values()))
    result_line(ratios)


if __name__ == "__main__":
    main()
