"""What a refreshed workbook already holds: its Estimates, the analyses its Log lists, its About notice.

Read by the Word report, which checks that the workbook's results are the
ones its inputs give before it writes them up.  A workbook that was never
refreshed has no Estimates sheet (``estimates`` is None).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xlcbec.book.contract import ANALYSES, ESTIMATES, LOG
from xlcbec.book.package import open_package
from xlcbec.book.reading import read_sheet

ABOUT = "About"  # the demo's notice sheet (xlcbec.book.template)


@dataclass(frozen=True, eq=False)
class StoredResults:
    """``estimates``: the Estimates sheet or None; ``analyses``: the Log's analyses of the last refresh
    (None when the Log does not say); ``refreshed``: when that refresh started; ``notices``: the About lines."""

    estimates: pd.DataFrame | None
    analyses: tuple[str, ...] | None
    refreshed: str
    notices: tuple[str, ...]


def read_stored_results(path: str | Path) -> StoredResults:
    """The results part of the workbook at ``path`` (input sheets are read by :func:`~xlcbec.book.reading.read_inputs`)."""
    names = open_package(path).sheet_names
    estimates = read_sheet(path, ESTIMATES) if ESTIMATES in names else None
    analyses: tuple[str, ...] | None = None
    refreshed = ""
    if LOG in names:
        log = read_sheet(path, LOG)
        if {"section", "item", "value"} <= set(log.columns):
            run = log[log["section"] == "run"].set_index("item")["value"]
            if "analyses" in run.index and isinstance(run["analyses"], str):
                analyses = tuple(a.strip() for a in run["analyses"].split(",") if a.strip() in ANALYSES)
            if "started" in run.index and run["started"] is not None:
                refreshed = str(run["started"])
    notices: tuple[str, ...] = ()
    if ABOUT in names:
        about = read_sheet(path, ABOUT)
        lines = [str(c) for c in about.columns] + [str(v) for v in about.iloc[:, 0] if v is not None] if len(about.columns) else []
        notices = tuple(line for line in lines if line.strip() and not line.startswith("Unnamed"))
    return StoredResults(estimates, analyses or None, refreshed, notices)
