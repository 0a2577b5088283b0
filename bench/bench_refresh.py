"""Case 5, end to end: ``xlcbec refresh --only baseline`` against a pandas + linearmodels script.

The workbook: the input template filled with the synthetic county panel
(``make_county_panel``: 2,850 units x 20 years = 57,000 rows, 47 columns),
with its Cities, Indicators (HQD and diginf are entropy indices built from the
Panel's indicator columns) and Policies sheets.

Both contenders run as whole processes (``subprocess``, wall time, Python
start-up and imports included), taking turns round by round:

- xlcbec: ``xlcbec refresh BOOK --only baseline -o OUT --quiet --json OUT.json``:
  read every input sheet (calamine), interpolate, build the entropy indices,
  fit the three Table 4 columns, write OUT (BOOK with the result sheets);
- the peer: ``bench/peer_baseline.py BOOK``: ``pandas.read_excel`` (openpyxl)
  of Panel, Cities and Indicators, the same interpolation and HQD index in
  pandas, and linearmodels PanelOLS for the same three columns.

The CBEC coefficients of the three columns must agree to 1e-10 (relative)
before the times count.  Goal: xlcbec's time at most half the peer's.

Run: ``python bench/bench_refresh.py [--book PATH] [--rounds N]``; without
``--book`` the workbook is built first (about a minute, not timed) in a
temporary folder (``--keep`` leaves it there for the next run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, goal_line, report, result_line

COEF_RTOL = 1e-10
GOAL = 2.0  # peer time / xlcbec time


def build_book(path: Path, *, n_units: int = 2850, years: range = range(2001, 2021)) -> Path:
    from xlcbec.book.template import write_input_workbook
    from xlcbec.demo_data import make_county_panel

    county = make_county_panel(n_units=n_units, years=years)
    return write_input_workbook(path, panel=county.panel, cities=county.cities, indicators=county.indicators,
                                policies=county.policies, title="xlcbec benchmark (synthetic county panel)")


def xlcbec_command(book: Path, out: Path, json_path: Path) -> list[str]:
    script = Path(sys.executable).with_name("xlcbec")
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "xlcbec"]
    return [*prefix, "refresh", str(book), "--only", "baseline", "-o", str(out), "--quiet", "--json", str(json_path)]


def peer_command(book: Path, json_path: Path) -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "peer_baseline.py"), str(book), "--json", str(json_path)]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def check_agreement(ours_json: Path, peer_json: Path) -> float:
    ours = json.loads(ours_json.read_text(encoding="utf-8"))
    peer = json.loads(peer_json.read_text(encoding="utf-8"))
    worst = 0.0
    for model, values in peer.items():
        row = next(r for r in ours["estimates"] if r["analysis"] == "baseline" and r["model"] == model
                   and r["term"] == "CBEC")
        diff = abs(row["estimate"] - values["estimate"]) / abs(values["estimate"])
        print(f"  {model:<20s} CBEC xlcbec {row['estimate']:.12g}  peer {values['estimate']:.12g}  rel. diff {diff:.1e}")
        worst = max(worst, diff)
    if worst > COEF_RTOL:
        raise SystemExit(f"the CBEC coefficients differ by {worst:.2e} (relative), more than {COEF_RTOL:g}")
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, help="an existing benchmark workbook (else one is built)")
    parser.add_argument("--rounds", type=int, default=3, help="turns each contender runs (best counts)")
    parser.add_argument("--keep", action="store_true", help="keep the built workbook and outputs")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="xlcbec-bench-refresh-"))
    try:
        book = args.book
        if book is None:
            start = time.perf_counter()
            book = build_book(folder / "county_panel.xlsx")
            print(f"built {book} ({book.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - start:.0f} s")
        out, ours_json, peer_json = folder / "county.results.xlsx", folder / "ours.json", folder / "peer.json"
        times = {"xlcbec refresh --only baseline": float("inf"), "pandas + openpyxl + PanelOLS script": float("inf")}
        for _ in range(max(1, args.rounds)):
            times["xlcbec refresh --only baseline"] = min(times["xlcbec refresh --only baseline"],
                                                          timed(xlcbec_command(book, out, ours_json)))
            times["pandas + openpyxl + PanelOLS script"] = min(times["pandas + openpyxl + PanelOLS script"],
                                                               timed(peer_command(book, peer_json)))
        worst = check_agreement(ours_json, peer_json)
        ratio = times["pandas + openpyxl + PanelOLS script"] / times["xlcbec refresh --only baseline"]
        report(f"5. end to end, {book.name}, whole processes, best of {args.rounds}", list(times.items()),
               {"peer / xlcbec": ratio})
        met = goal_line("peer time / xlcbec time", ratio, GOAL)
        result_line({"refresh_seconds": times["xlcbec refresh --only baseline"],
                     "peer_seconds": times["pandas + openpyxl + PanelOLS script"], "peer_over_xlcbec": ratio,
                     "cbec_max_rel_diff": worst, "goal_met": float(met)})
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
