"""Shared pieces of the benchmarks: synthetic panels, timing, the result line.

Benchmarks run on demand (``python bench/<name>.py``), never in the test suite.
Each compares xlcbec with its peers on the same data in one process run,
checks the numbers agree and prints times and ratios, then one final line
``RESULT {json}`` with every ratio for machines to read.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CONTROLS = ["lnpop", "lnaca", "lngdp", "lngov", "lninter", "urban", "lncons"]
COHORTS = (2015, 2016, 2018, 2019, 2020)


def synthetic_panel(n_units: int, n_years: int, *, missing_share: float = 0.0, seed: int = 1) -> pd.DataFrame:
    """A city-year panel with staggered CBEC adoption, 7 controls and a planted effect of 0.05."""
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2010 + n_years)
    unit = np.repeat(np.arange(n_units), n_years)
    year = np.tile(years, n_units)
    cohort = rng.choice(np.array([*COHORTS, 0]), size=n_units, p=[0.02, 0.05, 0.08, 0.08, 0.15, 0.62])
    first = cohort[unit]
    cbec = ((first > 0) & (year >= first)).astype(float)
    unit_effect = rng.normal(size=n_units)[unit]
    year_effect = (0.02 * (year - 2010))
    frame = {"city": unit, "year": year, "CBEC": cbec}
    y = unit_effect + year_effect + 0.05 * cbec
    for j, name in enumerate(CONTROLS):
        x = 0.5 * unit_effect + rng.normal(size=unit.size)
        frame[name] = x
        y = y + 0.01 * (j + 1) * x
    frame["HQD"] = y + rng.normal(scale=0.1, size=unit.size)
    df = pd.DataFrame(frame)
    if missing_share:
        df = df.loc[rng.uniform(size=len(df)) >= missing_share].reset_index(drop=True)
    return df


def best_time(func: Callable[[], Any], *, repeat: int = 5, min_time: float = 0.0) -> tuple[float, Any]:
    """Best wall time over ``repeat`` runs (and the last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
        if min_time and best > min_time:
            break
    return best, result


def side_by_side(funcs: dict[str, Callable[[], Any]], *, rounds: int = 3, repeat: int = 1) -> dict[str, float]:
    """Best wall time of each function, the functions taking turns round by round.

    On a shared machine the load drifts; alternating the contenders exposes
    them to the same drift, so the ratio of their best times is fair.
    """
    best = {name: float("inf") for name in funcs}
    for _ in range(rounds):
        for name, func in funcs.items():
            best[name] = min(best[name], best_time(func, repeat=repeat)[0])
    return best


def goal_line(label: str, value: float, goal: float, *, at_most: bool = False) -> bool:
    """Print whether ``value`` meets ``goal`` (at least, or ``at_most``) and return it."""
    met = value <= goal if at_most else value >= goal
    print(f"  goal {label}: {value:.3g} {'<=' if at_most else '>='} {goal:g} -> {'met' if met else 'NOT met'}")
    return met


def report(name: str, rows: list[tuple[str, float]], ratios: dict[str, float]) -> None:
    print(f"\n== {name}")
    for label, seconds in rows:
        print(f"  {label:<48s} {seconds * 1000:10.2f} ms")
    for label, ratio in ratios.items():
        print(f"  ratio {label:<42s} {ratio:10.2f}")


def result_line(ratios: dict[str, float]) -> None:
    print("RESULT " + json.dumps({k: round(v, 4) for k, v in ratios.items()}, sort_keys=True))
