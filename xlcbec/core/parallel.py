"""Running independent blocks of draws (placebo, bootstrap) in parallel.

Blocks go through joblib: in this process (``n_jobs=1``, the default, since
the vectorised draws are already fast on a city panel), in worker processes
(``n_jobs > 1`` or ``-1`` for every core), or on a Dask cluster when one is
configured, by the ``XLCBEC_DASK_SCHEDULER`` environment variable or the
``scheduler`` argument (a scheduler address such as ``tcp://10.0.0.5:8786``,
or a ``dask.distributed.Client``).  Results come back in block order, so a
seeded run gives the same numbers however it is spread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from xlcbec.errors import InputError

T = TypeVar("T")
R = TypeVar("R")

SCHEDULER_VARIABLE = "XLCBEC_DASK_SCHEDULER"


def configured_scheduler(scheduler: Any = None) -> Any:
    """The Dask scheduler to use: the argument, else the environment variable, else None."""
    if scheduler not in (None, ""):
        return scheduler
    return os.environ.get(SCHEDULER_VARIABLE) or None


def map_blocks(func: Callable[[T], R], blocks: Sequence[T], *, n_jobs: int = 1, scheduler: Any = None) -> list[R]:
    """``[func(b) for b in blocks]``, possibly in parallel; order is kept."""
    scheduler = configured_scheduler(scheduler)
    if scheduler is None and (n_jobs == 1 or len(blocks) <= 1):
        return [func(block) for block in blocks]
    from joblib import Parallel, delayed, parallel_config

    if scheduler is None:
        return list(Parallel(n_jobs=n_jobs)(delayed(func)(block) for block in blocks))
    try:
        from dask.distributed import Client
    except ImportError as missing:
        raise InputError(
            "a Dask scheduler is configured but dask.distributed is not installed",
            fix="pip install 'dask[distributed]', or clear XLCBEC_DASK_SCHEDULER",
        ) from missing
    client = scheduler if isinstance(scheduler, Client) else _connect(Client, scheduler)
    try:
        with parallel_config(backend="dask"):
            return list(Parallel()(delayed(func)(block) for block in blocks))
    finally:
        if client is not scheduler:
            client.close()


def _connect(client_class: Any, address: str) -> Any:
    try:
        return client_class(address, timeout="10s")
    except (OSError, TimeoutError) as failure:
        raise InputError(
            f"cannot reach the Dask scheduler at {address!r} ({failure})",
            fix=f"start the scheduler, correct its address, or clear {SCHEDULER_VARIABLE} to run on this machine",
        ) from failure
