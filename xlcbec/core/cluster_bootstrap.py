"""Cluster (pairs) bootstrap draws for panel models with fixed effects.

A replicate draws G clusters with replacement from the G clusters of the
estimation sample and stacks their rows.  A cluster drawn twice brings two
copies of each of its units, and each copy is a unit of its own: the copy
gets its own unit fixed effect, exactly as Stata's
``bootstrap, cluster(id) idcluster(newid)`` followed by ``xtset newid`` does.  Reusing the old unit codes would merge the copies into
one unit with each year twice, which is not a panel (the copies are identical,
so least-squares point estimates happen to agree, but observation and
fixed-effect counts, singletons and any panel check would not).

Speed: rows are grouped by cluster once (a sort), so each replicate's rows
are built from index arrays (``np.repeat`` + ``arange``) without touching a
DataFrame; the caller transforms a prepared numeric matrix.

Reproducibility: ``draws(seed)`` takes every replicate's cluster picks from
one call ``numpy.random.default_rng(seed).integers(0, G, size=(reps, G))``;
row r of that matrix is replicate r, clusters numbered 0..G-1 as in
``cluster_codes`` (order of first appearance in the estimation rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class BootstrapReplicate:
    """One replicate: ``rows`` (positions into the original sample) and its fixed-effect codes.

    ``unit_codes`` number the drawn unit copies 0..U-1 (a unit drawn twice
    appears as two units); ``time_codes`` number the periods present 0..T-1.
    """

    index: int
    picks: np.ndarray
    rows: np.ndarray
    unit_codes: np.ndarray
    time_codes: np.ndarray


@dataclass(frozen=True, eq=False)
class ClusterResampler:
    """Rows grouped by cluster, ready to draw replicates from."""

    cluster_codes: np.ndarray
    unit_codes: np.ndarray
    time_codes: np.ndarray
    order: np.ndarray  # row positions sorted by cluster (stable)
    starts: np.ndarray  # first position in ``order`` of each cluster
    sizes: np.ndarray  # rows per cluster

    @classmethod
    def build(cls, cluster_codes: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray) -> "ClusterResampler":
        cluster_codes = np.asarray(cluster_codes, dtype=np.int64)
        order = np.argsort(cluster_codes, kind="stable")
        sizes = np.bincount(cluster_codes)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return cls(cluster_codes, np.asarray(unit_codes, dtype=np.int64), np.asarray(time_codes, dtype=np.int64),
                   order, starts, sizes)

    @property
    def n_clusters(self) -> int:
        return int(self.sizes.size)

    def picks(self, reps: int, seed: int) -> np.ndarray:
        """The (reps, G) matrix of drawn cluster numbers (see the module docstring)."""
        rng = np.random.default_rng(seed)
        return rng.integers(0, self.n_clusters, size=(reps, self.n_clusters))

    def replicate(self, index: int, picks: np.ndarray) -> BootstrapReplicate:
        lengths = self.sizes[picks]
        ends = np.cumsum(lengths)
        offsets = np.repeat(self.starts[picks] - (ends - lengths), lengths) + np.arange(int(ends[-1]) if ends.size else 0)
        rows = self.order[offsets]
        draw = np.repeat(np.arange(picks.size, dtype=np.int64), lengths)
        # (draw, unit) pairs are the new units: copies of a unit are distinct units.
        n_units = int(self.unit_codes.max()) + 1 if self.unit_codes.size else 1
        unit_codes = pd.factorize(draw * n_units + self.unit_codes[rows])[0]
        time_codes = pd.factorize(self.time_codes[rows])[0]
        return BootstrapReplicate(index, picks, rows, unit_codes, time_codes)

    def draws(self, reps: int, seed: int) -> Iterator[BootstrapReplicate]:
        for r, picks in enumerate(self.picks(reps, seed)):
            yield self.replicate(r, picks)
