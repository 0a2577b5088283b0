"""Import time of the worksheet functions: ``import xlcbec.excel.udfs`` against ``import xlwings``.

Excel loads the UDF module when a workbook that uses the functions opens, so
its import must cost little beyond xlwings itself (goal: at most 0.15 s more,
well under a second in all).  Each measurement runs in a fresh interpreter
(nothing cached in ``sys.modules``), the two imports alternate to share any
drift in machine load, and the best of ``--runs`` runs counts.

Run: ``python bench/bench_udf_import.py [--runs N]``.  Prints the times, the
ratio and the difference, then ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from common import ROOT, report, result_line

BUDGET_SECONDS = 0.15  # the performance goal: extra import time over xlwings

_TIMER = (
    "import time, sys\n"
    "start = time.perf_counter()\n"
    "{first}\n"
    "middle = time.perf_counter()\n"
    "import {module}\n"
    "end = time.perf_counter()\n"
    "light = ('xlcbec.core', 'xlcbec.core.options', 'xlcbec.core.number_rule')  # standard library only\n"
    "heavy = sorted(m for m in sys.modules if m in ('scipy', 'statsmodels', 'linearmodels')\n"
    "               or (m.startswith('xlcbec.core') and m not in light))\n"
    "print(repr(end - start), repr(end - middle), ','.join(heavy) or '-')\n"
)


def import_time(module: str, *, after_xlwings: bool = False) -> tuple[float, float, list[str]]:
    """Seconds to import ``module`` in a fresh interpreter, and the heavy packages it pulled in.

    With ``after_xlwings`` xlwings is imported first, in the same interpreter:
    the second number is then the cost of ``module`` on top of xlwings alone,
    a direct measurement of the difference that machine load disturbs less.
    """
    code = _TIMER.format(first="import xlwings" if after_xlwings else "pass", module=module)
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"importing {module} failed:\n{completed.stderr}")
    total, extra, heavy = completed.stdout.split()
    return float(total), float(extra), [h for h in heavy.split(",") if h != "-"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh-interpreter runs per measurement (best counts)")
    args = parser.parse_args()

    times: dict[str, list[float]] = {"xlwings": [], "xlcbec.excel.udfs": [], "udfs after xlwings": []}
    heavy: set[str] = set()
    import_time("xlcbec.excel.udfs")  # warm the file-system cache and the bytecode
    for _ in range(max(1, args.runs)):
        times["xlwings"].append(import_time("xlwings")[0])
        total, _, pulled = import_time("xlcbec.excel.udfs")
        times["xlcbec.excel.udfs"].append(total)
        heavy.update(pulled)
        times["udfs after xlwings"].append(import_time("xlcbec.excel.udfs", after_xlwings=True)[1])

    xlwings_best = min(times["xlwings"])
    udfs_best = min(times["xlcbec.excel.udfs"])
    extra = udfs_best - xlwings_best
    incremental = min(times["udfs after xlwings"])
    report(
        f"import time, best of {args.runs} fresh interpreters",
        [
            ("import xlwings", xlwings_best),
            ("import xlcbec.excel.udfs", udfs_best),
            ("difference (separate interpreters)", extra),
            ("udfs on top of xlwings (same interpreter)", incremental),
        ],
        {"udfs / xlwings": udfs_best / xlwings_best},
    )
    if heavy:
        print(f"  heavy packages imported at load time (should be none): {', '.join(sorted(heavy))}")
    # The goal is on what xlcbec adds; xlwings' own time depends on the machine (it loads pandas).
    within = max(extra, incremental) <= BUDGET_SECONDS and not heavy
    print(f"  goal: at most {BUDGET_SECONDS:.2f} s over xlwings and no heavy imports at load -> {'met' if within else 'NOT met'}")
    print("  all runs (s): " + json.dumps({k: [round(v, 4) for v in vs] for k, vs in times.items()}))
    result_line(
        {
            "xlwings_s": xlwings_best,
            "udfs_s": udfs_best,
            "extra_s": extra,
            "incremental_s": incremental,
            "ratio": udfs_best / xlwings_best,
            "budget_s": BUDGET_SECONDS,
            "goal_met": float(within),
        }
    )


if __name__ == "__main__":
    main()
