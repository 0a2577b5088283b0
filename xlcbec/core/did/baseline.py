"""The baseline multi-period DID (paper eq. 8, Table 4; docs/methods.md section 3).

Three columns, as in the paper: (1) no controls, (2) controls, (3) controls on
the sample without the municipalities (``municipality = 1``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlcbec.core.options import FIXED_EFFECTS, SEOptions
from xlcbec.core.panel import TREATMENT
from xlcbec.core.results import RegressionResult
from xlcbec.core.twfe import fit_twfe

MODEL_NAMES = ("no_controls", "controls", "excl_municipalities")


@dataclass(frozen=True, eq=False)
class BaselineResult:
    """The Table 4 models by name (``no_controls``, ``controls``, ``excl_municipalities``)."""

    models: Mapping[str, RegressionResult]
    treatment: str
    controls: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def main(self) -> RegressionResult:
        """The headline model: with controls when there are any."""
        return self.models.get("controls") or self.models["no_controls"]

    def to_estimates(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for name, result in self.models.items():
            note = "; ".join(result.notes)
            rows += result.to_estimates("baseline", name, note=note)
        return rows

    def __str__(self) -> str:
        return "\n\n".join(f"[{name}]\n{result}" for name, result in self.models.items())


def baseline_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str = TREATMENT,
    controls: Sequence[str] = (),
    fixed_effects: str | Sequence[str] = FIXED_EFFECTS,
    se: SEOptions = SEOptions(),
    municipality: str = "municipality",
) -> BaselineResult:
    """The paper's Table 4: CBEC alone, with ``controls``, and without the municipalities.

    Column (3) is fitted only when the ``municipality`` column exists (said in
    ``notes`` otherwise); every column uses the standard errors ``se``.
    """
    options: dict[str, Any] = dict(
        outcome=outcome, unit=unit, time=time, fixed_effects=fixed_effects, treatment=treatment,
        **se.fit_arguments(unit),
    )
    models: dict[str, RegressionResult] = {}
    notes: list[str] = []
    models["no_controls"] = fit_twfe(data, regressors=[treatment], **options)
    if controls:
        models["controls"] = fit_twfe(data, regressors=[treatment, *controls], **options)
        if municipality in data.columns:
            keep = pd.to_numeric(data[municipality], errors="coerce").fillna(0) != 1
            models["excl_municipalities"] = fit_twfe(data, regressors=[treatment, *controls], rows=keep.to_numpy(),
                                                     **options)
        else:
            notes.append(f"column ({len(models) + 1}) skipped: no {municipality!r} column to exclude the municipalities")
    return BaselineResult(models, treatment, tuple(controls), tuple(notes))
