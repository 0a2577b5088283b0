"""The Word report against the refresh it repeats: ``xlcbec report`` vs ``xlcbec refresh`` on the demo.

``xlcbec report`` re-runs the analyses of the workbook's last refresh (to
check its Estimates still match its inputs and to build the same tables and
charts), then writes the .docx (python-docx tables, matplotlib charts).  Both
run as whole processes (wall time, Python start-up and imports included),
taking turns round by round, on the demo workbook (built first, not timed).
The ratio report / refresh says what the document itself costs on top of the
analyses.  Goal: the report at most twice the refresh.

Run: ``python bench/bench_report.py [--rounds N] [--lang zh|en]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import goal_line, report, result_line

GOAL = 2.0  # report time / refresh time, at most


def command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("xlcbec")
    return [*([str(script)] if script.exists() else [sys.executable, "-m", "xlcbec"]), *args]


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xlcbec-bench-report-") as folder:
        demo = Path(folder) / "demo.xlsx"
        subprocess.run(command("demo", str(demo), "--quiet"), check=True, capture_output=True)
        times = {"xlcbec refresh demo": float("inf"), "xlcbec report demo": float("inf")}
        for round_ in range(args.rounds):
            out = Path(folder) / f"refreshed{round_}.xlsx"
            times["xlcbec refresh demo"] = min(times["xlcbec refresh demo"],
                                               timed(command("refresh", str(demo), "-o", str(out), "--quiet")))
            docx = Path(folder) / f"report{round_}.docx"
            times["xlcbec report demo"] = min(times["xlcbec report demo"],
                                              timed(command("report", str(demo), "-o", str(docx), "--lang", args.lang,
                                                            "--quiet")))
        ratio = times["xlcbec report demo"] / times["xlcbec refresh demo"]
        report(f"Word report vs refresh, demo, whole processes, best of {args.rounds}", list(times.items()),
               {"report / refresh": ratio})
        goal_line("report time / refresh time", ratio, GOAL, at_most=True)
        result_line({"report_seconds": times["xlcbec report demo"], "refresh_seconds": times["xlcbec refresh demo"],
                     "report_over_refresh": ratio})


if __name__ == "__main__":
    main()
