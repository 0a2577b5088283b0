"""A baseline click, a check and a worksheet function import no SciPy module at all.

Importing ``scipy.special`` or ``scipy.linalg`` costs 0.1-0.3 s of a whole-process click (its array-API layer and
its decorators' docstring parsing); the p-values, the entropy index and the fixed-effects projection of these paths
are computed with ``math`` and NumPy (``xlcbec.core.distributions``, ``core/index/entropy.py``, ``core/within.py``).
Each case runs in a fresh interpreter and lists the ``scipy`` modules loaded at the end.  The panel is unbalanced,
so the fixed effects go through the dummy partialling (the route that used SciPy's Cholesky); the subprocess
reports that this route ran, so the test cannot pass by not reaching it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tests.book_files import input_book

ROOT = Path(__file__).resolve().parents[1]

# Counts the calls of the dummy partialling, runs the click given as code, then prints the SciPy modules loaded.
_HARNESS = """
import json, sys
from xlcbec.core.within import FixedEffectsSample
calls = []
partial = FixedEffectsSample._partial_small_dimension
def counted(self, x):
    calls.append(1)
    return partial(self, x)
FixedEffectsSample._partial_small_dimension = counted
code = None
{click}
print(json.dumps({{"code": code, "dummy_route": len(calls), "scipy": sorted(m for m in sys.modules if m.split(".")[0] == "scipy")}}))
"""

_REFRESH = """
from xlcbec.cli import main
code = main(["refresh", sys.argv[1], "--only", "baseline", "-o", sys.argv[2], "--quiet"])
"""

_CHECK = """
from xlcbec.cli import main
code = main(["check", sys.argv[1]])
"""

_UDF = """
import pandas as pd
from xlcbec.excel import udfs
panel = pd.read_csv(sys.argv[1])
col = lambda name: [[v] for v in panel[name].tolist()]
row = udfs.CBEC_DID(col("HQD"), col("treat"), col("city"), col("year"), col("lnpop"))[0]
code = 0 if isinstance(row[3], float) and 0.0 <= row[3] <= 1.0 else 1
"""


def _unbalanced_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Twelve cities x seven years, three city-years missing; pilots in 2016, 2017 and never."""
    rng = np.random.default_rng(16)
    cities = [330100 + 100 * i for i in range(12)]
    pilots = [2016] * 4 + [2017] * 4 + [0] * 4
    rows = []
    for city, pilot in zip(cities, pilots):
        for year in range(2012, 2019):
            treat = int(pilot > 0 and year >= pilot)
            rows.append({"city": city, "year": year, "treat": treat,
                         "HQD": 0.2 + 0.01 * (year - 2012) + 0.03 * treat + rng.normal(0, 0.01),
                         "lnpop": 6.0 + rng.normal(0, 0.1)})
    panel = pd.DataFrame(rows).drop(index=[3, 20, 41]).reset_index(drop=True)
    meta = pd.DataFrame({"city": cities, "province": ["Zhejiang"] * 12, "region": ["east"] * 12,
                         "coastal": [1] * 12, "municipality": [0] * 12, "pilot_year": pilots})
    return panel, meta


def _run(click: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _HARNESS.format(click=click), *args], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_baseline_refresh_check_and_cbec_did_import_no_scipy(tmp_path: Path) -> None:
    panel, meta = _unbalanced_panel()
    book = input_book(tmp_path / "book.xlsx", panel=panel.drop(columns="treat"), cities=meta)
    table = tmp_path / "panel.csv"
    panel.to_csv(table, index=False)
    for name, seen in (("refresh --only baseline", _run(_REFRESH, str(book), str(tmp_path / "out.xlsx"))),
                       ("check", _run(_CHECK, str(book))),
                       ("import udfs + CBEC_DID", _run(_UDF, str(table)))):
        assert seen["code"] == 0, name
        assert seen["scipy"] == [], name
        if name != "check":  # check reads and preflights; it need not estimate
            assert seen["dummy_route"] > 0, name
