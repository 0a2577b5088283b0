"""Placebo permutation test: 1,000 draws on the shared projection vs 1,000 full refits.

Compares, on the city panel (280 x 12, 7 controls), in one process run:
- xlcbec's placebo test (all draws share the fixed-effect projection);
- 1,000 full refits with xlcbec's own ``fit_twfe`` (the naive route);
- 1,000 refits with linearmodels PanelOLS (the peer a Python user would loop over),
  timed on a subset and scaled, since a full loop takes minutes.
Checks that the fast path reproduces the refits draw by draw first.
Goal: the placebo's extra time is at most 2% of 1,000 PanelOLS refits.

The placebo test runs with one BLAS thread, as in a refresh (``xlcbec.jobs``
limits BLAS to one thread below 200,000 rows: on small matrices threads cost
more than they give); its time is the best of 3 runs.

Run: ``python bench/bench_placebo.py [--draws 1000]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from common import CONTROLS, goal_line, report, result_line, synthetic_panel

from xlcbec.core.did.placebo import PlaceboDesign, placebo_refit, placebo_test
from xlcbec.core.panel import prepare_panel


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--peer-draws", type=int, default=50, help="PanelOLS refits timed, then scaled")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    df = synthetic_panel(280, 12)
    cohort = df.loc[df.CBEC == 1].groupby("city")["year"].min()
    df["pilot_year"] = df["city"].map(cohort)
    data = prepare_panel(df.drop(columns="CBEC"), first_treat="pilot_year").data
    opts = dict(outcome="HQD", unit="city", time="year", controls=CONTROLS)

    design = PlaceboDesign(data, **opts)
    draws = design.draw(args.draws, seed=1)
    units = pd.factorize(data.loc[design.sample.index, "city"])[1]
    fast = design.coefficients(draws[:, :5])
    for j in range(5):
        slow = placebo_refit(data, pd.Series(draws[:, j], index=units), **opts)
        if not np.isclose(fast[j], slow, rtol=1e-9, atol=1e-14):
            raise SystemExit(f"draw {j}: fast path {fast[j]!r} differs from the refit {slow!r}")

    from threadpoolctl import threadpool_limits

    t_fast = float("inf")
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(3):
            start = time.perf_counter()
            placebo_test(data, reps=args.draws, seed=1, **opts)
            t_fast = min(t_fast, time.perf_counter() - start)

    start = time.perf_counter()
    for j in range(args.draws):
        placebo_refit(data, pd.Series(draws[:, j], index=units), **opts)
    t_refits = time.perf_counter() - start

    from linearmodels.panel import PanelOLS

    start = time.perf_counter()
    for j in range(args.peer_draws):
        first_year = data["city"].map(pd.Series(draws[:, j], index=units))
        frame = data.assign(placebo=(data.year >= first_year.fillna(np.inf)).astype(float)).set_index(["city", "year"])
        PanelOLS(frame["HQD"], frame[["placebo", *CONTROLS]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True)
    t_peer = (time.perf_counter() - start) * args.draws / args.peer_draws

    ratios = {
        "placebo_share_of_xlcbec_refits": t_fast / t_refits,
        "placebo_share_of_panelols_refits": t_fast / t_peer,
    }
    report(f"4a. placebo, {args.draws} draws, city panel", [
        ("xlcbec placebo (shared projection)", t_fast),
        (f"{args.draws} xlcbec refits", t_refits),
        (f"{args.draws} PanelOLS refits (scaled from {args.peer_draws})", t_peer),
    ], ratios)
    ratios["goal_met"] = float(goal_line("placebo time / 1,000 PanelOLS refits", ratios["placebo_share_of_panelols_refits"],
                                         0.02, at_most=True))
    result_line(ratios)


if __name__ == "__main__":
    main()
