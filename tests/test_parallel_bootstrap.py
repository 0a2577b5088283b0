"""Bootstrap draws spread over workers or a Dask cluster give the serial numbers.

The mediation cluster bootstrap and the PSM bootstrap run their draws in
blocks through :func:`xlcbec.core.parallel.map_blocks`.  Every draw's
resample comes from one generator call made before the split, and a block's
draws do not depend on which worker computes them, so a run in this process,
in two worker processes (joblib) and on a local Dask cluster (threads in this
process) must give the same draws in the same order.

Tolerances: SPREAD = 1e-10 relative (atol 1e-15): the same algebra on the same
rows; BLAS may split its sums differently across threads in a Dask worker
thread (the main thread runs the fits on one BLAS thread), which moves the
last bits, nothing more.  Exact only where the block size alone changes, all in
this process: each replicate is computed on its own (same rows, same
operations, same thread), whichever block holds it, so the draws are
bit-identical by design.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlcbec.core.did import mediation as mediation_module
from xlcbec.core.did.mediation import mediation
from xlcbec.core.options import BootstrapOptions
from xlcbec.core.panel import prepare_panel
from xlcbec.core.psm import bootstrap as psm_bootstrap
from xlcbec.core.psm.bootstrap import bootstrap_att
from xlcbec.core.psm.pscore import fit_score_arrays

SPREAD = 1e-10


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """40 cities x 6 years, staggered adoption, a mediator m on the path CBEC -> m -> y (seeded)."""
    rng = np.random.default_rng(5)
    n_units, years = 40, np.arange(2012, 2018)
    city = np.repeat(np.arange(n_units), years.size)
    year = np.tile(years, n_units)
    pilot = np.array([2014.0, 2015.0, 2016.0, np.nan])[np.arange(n_units) % 4][city]
    treated = (year >= np.nan_to_num(pilot, nan=np.inf)).astype(float)
    x1 = rng.normal(size=city.size)
    m = 0.6 * treated + 0.3 * x1 + rng.normal(scale=0.5, size=city.size)
    y = rng.normal(size=n_units)[city] + 0.3 * treated + 0.5 * m + 0.4 * x1 + rng.normal(scale=0.5, size=city.size)
    frame = pd.DataFrame({"city": city, "year": year, "pilot_year": pilot, "y": y, "m": m, "x1": x1})
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return prepare_panel(frame, unit="city", time="year", first_treat="pilot_year").data


def _mediation_draws(panel: pd.DataFrame, **spread) -> np.ndarray:
    result = mediation(panel, outcome="y", mediators=["m"], unit="city", time="year", controls=["x1"],
                       bootstrap=BootstrapOptions(reps=120, seed=7), **spread)
    return result["m"].bootstrap.draws


def _psm_draws(panel: pd.DataFrame, **spread) -> np.ndarray:
    treated = panel["CBEC"].to_numpy() == 1
    x = panel[["x1", "m"]].to_numpy()
    score = fit_score_arrays(treated.astype(float), x, ["x1", "m"])
    design = np.column_stack([x, np.ones(len(x))])
    codes = pd.factorize(panel["city"])[0]
    boot = bootstrap_att(panel["y"].to_numpy(), treated, design, codes, model="probit",
                         start=score.params.to_numpy(), method="epanechnikov", bandwidth=0.2, common_support=True,
                         reps=150, seed=11, **spread)
    return boot.draws


@pytest.mark.parametrize("draws_of", [_mediation_draws, _psm_draws], ids=["mediation", "psm"])
def test_worker_processes_and_a_dask_cluster_give_the_serial_draws(panel, draws_of, monkeypatch):
    # Several blocks, so that the spread is real: 120 replicates in blocks of 50, 150 draws in blocks of 64.
    assert 120 > mediation_module.BOOTSTRAP_BLOCK and 150 > 2 * psm_bootstrap.DRAW_CHUNK
    monkeypatch.delenv("XLCBEC_DASK_SCHEDULER", raising=False)
    serial = draws_of(panel)
    assert np.isfinite(serial).sum() > 0.9 * serial.size and np.std(serial[np.isfinite(serial)]) > 0
    workers = draws_of(panel, n_jobs=2)
    np.testing.assert_allclose(workers, serial, rtol=SPREAD, atol=1e-15)

    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = draws_of(panel, scheduler=client)
            tasks = client.run_on_scheduler(_task_counts)
    np.testing.assert_allclose(on_dask, serial, rtol=SPREAD, atol=1e-15)
    block_tasks = [count for prefix, count in tasks.items() if "_block" in prefix]
    assert block_tasks and block_tasks[0] >= 2, tasks  # the blocks went through the cluster


def _task_counts(dask_scheduler=None) -> dict:
    """Tasks per task prefix the scheduler has seen (runs on the scheduler)."""
    return {key: max(prefix.state_counts.values(), default=0) for key, prefix in dask_scheduler.task_prefixes.items()}


def test_the_split_does_not_change_the_draws(panel, monkeypatch):
    monkeypatch.delenv("XLCBEC_DASK_SCHEDULER", raising=False)
    serial = _mediation_draws(panel)
    monkeypatch.setattr(mediation_module, "BOOTSTRAP_BLOCK", 7)
    # Exact: serial both times, and a replicate's arithmetic does not depend on its block.
    np.testing.assert_array_equal(_mediation_draws(panel), serial)
