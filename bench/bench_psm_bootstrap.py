"""Benchmark: the PSM bootstrap SE, vectorised path vs a naive loop.

Run from the repository root:  python bench/bench_psm_bootstrap.py [--quick]

Data: a synthetic city-year panel shaped like the paper's (285 cities x 12
years, 8 covariates, roughly 10% treated rows), seeded.  Both paths resample
the same units with the same counts and compute the kernel-matching ATT
(Epanechnikov, bandwidth 0.06, common support) of every draw:

- vectorised (xlcbec): all draws' probits by batched Newton-Raphson from the
  full-sample estimate, then each draw's ATT from prefix sums over the sorted
  controls (``bootstrap_att``);
- naive: for each draw, copy the sampled rows, refit with statsmodels'
  ``Probit``, and match treated by treated (psmatch2's loop) on the copies.

Times are CPU seconds of this process (best of 3 for the vectorised path).
It checks that both give the same draws, shows that the vectorised cost is
linear in the number of replications, and prints the speed-up.  The last line
is ``RESULT {json}``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# One BLAS thread for both paths: the comparison is of algorithms, and on a
# shared 2-core machine threaded BLAS mostly measures contention.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import statsmodels.api as sm  # noqa: E402

from xlcbec.core.psm.bootstrap import bootstrap_att, unit_draws  # noqa: E402
from xlcbec.core.psm.pscore import fit_score_arrays  # noqa: E402

BANDWIDTH = 0.06
SEED = 20240101


def make_panel(n_units: int = 285, n_years: int = 12, n_cov: int = 8, seed: int = 7):
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_years)
    year = np.tile(np.arange(n_years), n_units)
    city_effect = rng.normal(size=(n_units, n_cov))
    x = city_effect[unit] + 0.3 * rng.normal(size=(unit.size, n_cov)) + 0.05 * year[:, None]
    pilot = rng.uniform(size=n_units) < 0.35
    first_year = rng.integers(6, n_years + 3, size=n_units)
    treated = pilot[unit] & (year >= first_year[unit])
    y = x @ rng.normal(scale=0.1, size=n_cov) + 0.03 * treated + rng.normal(scale=0.1, size=unit.size)
    return x, treated, y, unit


def naive_draw(x: np.ndarray, treated: np.ndarray, y: np.ndarray, rows: np.ndarray) -> float:
    xs, ts, ys = x[rows], treated[rows], y[rows]
    design = sm.add_constant(xs, prepend=False)
    fit = sm.Probit(ts.astype(float), design).fit(disp=0)
    p = fit.predict(design)
    p0, y0 = p[~ts], ys[~ts]
    lo, hi = p0.min(), p0.max()
    diffs = []
    for i in np.flatnonzero(ts):
        if p[i] < lo or p[i] > hi:
            continue
        d = p0 - p[i]
        k = np.where(np.abs(d) <= BANDWIDTH, 1 - (d / BANDWIDTH) ** 2, 0.0)
        if k.sum() > 0:
            diffs.append(ys[i] - (k @ y0) / k.sum())
    return float(np.mean(diffs)) if diffs else float("nan")


def main(quick: bool = False) -> dict:
    x, treated, y, unit = make_panel()
    n_units = int(unit.max()) + 1
    score = fit_score_arrays(treated.astype(float), x, [f"x{j}" for j in range(x.shape[1])])
    design = np.column_stack([x, np.ones(x.shape[0])])
    print(f"panel: {x.shape[0]} rows, {n_units} units, {int(treated.sum())} treated rows, {x.shape[1]} covariates")

    fast_reps = [25, 50, 100] if quick else [50, 100, 200, 400]
    fast_times = {}
    draws_by_reps = {}
    for reps in fast_reps:
        # CPU time of this process (the machine may be shared), best of 3 runs.
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            boot = bootstrap_att(y, treated, design, unit, model="probit", start=score.params.to_numpy(),
                                 method="epanechnikov", bandwidth=BANDWIDTH, common_support=True, reps=reps, seed=SEED)
            best = min(best, time.process_time() - start)
        fast_times[reps] = best
        draws_by_reps[reps] = boot.draws
        print(f"vectorised: {reps:4d} reps  {fast_times[reps]:7.3f} s  ({fast_times[reps] / reps * 1e3:6.2f} ms/draw)"
              f"  SE = {boot.se:.6f}")

    naive_reps = 5 if quick else 20
    counts = unit_draws(n_units, naive_reps, SEED)
    start = time.process_time()
    naive = np.array([naive_draw(x, treated, y, np.repeat(np.arange(unit.size), counts[b][unit]))
                      for b in range(naive_reps)])
    naive_time = time.process_time() - start
    per_naive = naive_time / naive_reps
    print(f"naive loop: {naive_reps:4d} reps  {naive_time:7.3f} s  ({per_naive * 1e3:6.2f} ms/draw)")

    # Same seed -> the first draws of every run are the same draws.
    reference = draws_by_reps[fast_reps[-1]][:naive_reps]
    max_diff = float(np.nanmax(np.abs(reference - naive)))
    print(f"largest difference between the two paths' draw ATTs: {max_diff:.2e}")

    per_fast = {r: t / r for r, t in fast_times.items()}
    slope = np.polyfit(list(fast_times), list(fast_times.values()), 1)
    linear_fit = np.polyval(slope, list(fast_times))
    r2 = 1 - np.sum((np.array(list(fast_times.values())) - linear_fit) ** 2) / np.sum(
        (np.array(list(fast_times.values())) - np.mean(list(fast_times.values()))) ** 2)
    print(f"vectorised cost ~ {slope[0] * 1e3:.2f} ms/draw + {slope[1] * 1e3:.1f} ms (linear fit R2 = {r2:.4f})")
    best = fast_reps[-1]
    speedup = per_naive / per_fast[best]
    print(f"speed-up at {best} reps: {speedup:.1f}x per draw (goal: at least 10x)")
    result = {
        "rows": int(x.shape[0]),
        "units": n_units,
        "fast_seconds": {str(k): round(v, 4) for k, v in fast_times.items()},
        "fast_ms_per_draw": round(per_fast[best] * 1e3, 3),
        "naive_ms_per_draw": round(per_naive * 1e3, 3),
        "speedup": round(speedup, 2),
        "linear_r2": round(float(r2), 5),
        "max_draw_diff": max_diff,
        "goal_met": bool(speedup >= 10),
    }
    print("RESULT " + json.dumps(result))
    return result


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
