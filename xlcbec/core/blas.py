"""One BLAS thread for the estimators' tall-and-skinny products.

The fits multiply an n x k matrix (k: a handful of regressors) by vectors
and by itself.  These products are bound by memory, not arithmetic, so extra
BLAS threads buy little; on a machine whose cores are busy with other work
they cost much more than that: each threaded call waits for its helper
threads to be scheduled (measured on 1M rows x 8 columns, 2 busy cores: a
matrix-vector product 0.5 ms on one thread, 7.6 ms on two; a whole
two-way fixed-effects fit twice as fast on one).

:func:`single_blas_thread` limits BLAS to one thread for the duration of a
block, through threadpoolctl when it is installed (else it does nothing).
The limit is process-wide, so only the main thread sets it, and nested or
repeated blocks set and restore it once; worker threads (a Dask cluster in
this process, joblib's threading backend) run their blocks unchanged.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_depth = 0
_limiter: Any = None
_controller: Any = None  # False once threadpoolctl turned out to be unavailable
_controls_scipy = False  # whether SciPy's own BLAS was loaded when the controller looked for libraries


def _get_controller() -> Any:
    """The threadpoolctl controller, looking again for BLAS libraries once SciPy's has been loaded.

    The controller sees the libraries loaded when it is made.  SciPy's BLAS
    comes with ``scipy.linalg``, which many runs never import (0.1-0.3 s), so
    it is not imported for the controller's sake: a block entered after it
    was loaded by an estimator gets a controller that sees it.
    """
    global _controller, _controls_scipy
    scipy_loaded = "scipy.linalg" in sys.modules
    if _controller is None or (_controller is not False and scipy_loaded and not _controls_scipy):
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller = False
        else:
            _controller = ThreadpoolController()
            _controls_scipy = scipy_loaded
    return _controller


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread (main thread only; see the module docstring)."""
    global _depth, _limiter
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _depth == 0:
        controller = _get_controller()
        _limiter = controller.limit(limits=1, user_api="blas") if controller else None
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _limiter is not None:
            _limiter.restore_original_limits()
            _limiter = None
