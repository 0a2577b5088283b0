"""One BLAS thread in estimator blocks (xlcbec.core.blas), without importing SciPy's BLAS for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CODE = """
import json, sys
import numpy, threadpoolctl
from xlcbec.core.blas import single_blas_thread
def threads():
    return [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
with single_blas_thread():
    early = threads()
scipy_before = "scipy.linalg" in sys.modules
import scipy.linalg
with single_blas_thread():
    late = threads()
print(json.dumps({"early": early, "scipy_before": scipy_before, "late": late, "after": threads()}))
"""


def test_scipy_blas_loaded_later_is_limited_too() -> None:
    done = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=True, cwd=ROOT)
    seen = json.loads(done.stdout)
    assert not seen["scipy_before"]  # the limit itself never loads scipy.linalg (0.1-0.3 s)
    assert seen["early"] and set(seen["early"]) == {1}
    assert len(seen["late"]) >= len(seen["early"]) and set(seen["late"]) == {1}  # SciPy's BLAS as well
