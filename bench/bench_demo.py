"""Case 6: the full demo refresh, step by step, and the import time of the worksheet functions.

1. ``xlcbec demo OUT --quiet`` as a whole process (wall time): it writes the
   template filled with the embedded demo panel (285 cities x 12 years) and
   refreshes every analysis.  The seconds of each step come from the output's
   Log sheet (section ``seconds``: reading and preparing, then each analysis).
2. ``import xlcbec.excel.udfs`` against ``import xlwings`` in fresh
   interpreters (see ``bench_udf_import.py``); goal: at most 0.15 s more.

Run: ``python bench/bench_demo.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_udf_import import BUDGET_SECONDS, import_time
from common import ROOT, goal_line, report, result_line


def demo_command(out: Path) -> list[str]:
    script = Path(sys.executable).with_name("xlcbec")
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "xlcbec"]
    return [*prefix, "demo", str(out), "--quiet"]


def run_demo(out: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(demo_command(out), capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"xlcbec demo failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def step_seconds(book: Path) -> pd.Series:
    log = pd.read_excel(book, sheet_name="Log", engine="openpyxl")
    steps = log[log["section"] == "seconds"]
    return pd.Series(steps["value"].astype(float).to_numpy(), index=steps["item"].astype(str).to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="demo runs and fresh-interpreter imports (best counts)")
    args = parser.parse_args()
    runs = max(1, args.runs)

    with tempfile.TemporaryDirectory(prefix="xlcbec-bench-demo-") as folder:
        best, best_steps = float("inf"), pd.Series(dtype=float)
        for run in range(runs):
            out = Path(folder) / f"demo{run}.xlsx"
            seconds = run_demo(out)
            if seconds < best:
                best, best_steps = seconds, step_seconds(out)
    analyses = float(best_steps.sum())
    rows = [("xlcbec demo (whole process)", best), *((f"  step: {name}", value) for name, value in best_steps.items()),
            ("  sum of the steps", analyses),
            ("  rest: start-up, writing the demo inputs, reading them, writing the output", best - analyses)]
    report(f"6. full demo refresh, best of {runs}", rows, {"steps / whole process": analyses / best})

    import_time("xlcbec.excel.udfs")  # warm the file-system cache and the bytecode
    xlwings, udfs, incremental = [], [], []
    for _ in range(max(3, runs)):
        xlwings.append(import_time("xlwings")[0])
        udfs.append(import_time("xlcbec.excel.udfs")[0])
        incremental.append(import_time("xlcbec.excel.udfs", after_xlwings=True)[1])
    extra = min(udfs) - min(xlwings)
    report("6b. import time, fresh interpreters", [("import xlwings", min(xlwings)),
                                                   ("import xlcbec.excel.udfs", min(udfs)),
                                                   ("udfs on top of xlwings (same interpreter)", min(incremental))],
           {"udfs / xlwings": min(udfs) / min(xlwings)})
    met = goal_line("extra import seconds over xlwings", max(extra, min(incremental)), BUDGET_SECONDS, at_most=True)
    result_line({"demo_seconds": best, "steps_seconds": analyses,
                 **{f"step_{name.replace(' ', '_')}": float(v) for name, v in best_steps.items()},
                 "import_xlwings_s": min(xlwings), "import_udfs_s": min(udfs), "import_extra_s": extra,
                 "import_incremental_s": min(incremental), "import_goal_met": float(met)})


if __name__ == "__main__":
    main()
