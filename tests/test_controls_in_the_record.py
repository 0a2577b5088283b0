"""Every control coefficient in the record: Estimates rows of the event study and heterogeneity models,
the Controls block on the sheets (Settings ``show_controls``), and ``n_clusters``.

The values are the fitted models' own (no new arithmetic): compared exactly
(``==`` on the same float would do; approx with 1e-15 keeps the rule of no
bare float equality).  Tolerance SAME 1e-15 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlcbec.book.settings import settings_from_mapping
from xlcbec.core.did.event_study import event_study
from xlcbec.core.did.heterogeneity import heterogeneity
from xlcbec.core.options import EventWindow
from xlcbec.core.panel import prepare_panel
from xlcbec.report.labels import label
from xlcbec.report.sheets import View, _regression, event_study_blocks

SAME = 1e-15
CONTROLS = ["x1", "x2"]


@pytest.fixture(scope="module")
def data(test_data) -> pd.DataFrame:
    raw = pd.read_csv(test_data / "mpdta.csv")
    raw.index = raw.index + 2
    rng = np.random.default_rng(18)
    raw["x1"] = rng.normal(size=len(raw))
    raw["x2"] = 0.5 * raw["x1"] + rng.normal(size=len(raw))
    raw["coastal"] = (raw.countyreal % 2).astype(int)
    return prepare_panel(raw, unit="countyreal", time="year", first_treat="first_treat").data


def test_event_study_controls_and_clusters_in_estimates(data):
    result = event_study(data, outcome="lemp", unit="countyreal", time="year", controls=CONTROLS,
                         window=EventWindow(-3, 3))
    rows = {r["term"]: r for r in result.to_estimates()}
    fit = result.regression
    assert result.controls == tuple(CONTROLS)
    for control in CONTROLS:
        assert rows[control]["estimate"] == pytest.approx(fit.params[control], rel=SAME)
        assert rows[control]["std_error"] == pytest.approx(fit.std_errors[control], rel=SAME)
    assert all(r["n_clusters"] == 500 for r in rows.values())
    assert list(rows)[-1] == "pretrend_wald"


def test_heterogeneity_controls_in_estimates(data):
    result = heterogeneity(data, outcome="lemp", unit="countyreal", time="year", controls=CONTROLS,
                           groups=["coastal"])
    for name, est in result.estimates.items():
        rows = [r for r in result.to_estimates() if r["model"] == name]
        by_term = {r["term"]: r for r in rows}
        for control in CONTROLS:
            assert by_term[control]["estimate"] == pytest.approx(est.interaction.params[control], rel=SAME)
        assert {r["n_clusters"] for r in rows if r["term"] != "CBEC_split"} == {500}
        assert by_term["CBEC_split"]["n_clusters"] == est.split.n_clusters < 500  # the group's own clusters


def test_sheets_show_a_controls_block_or_the_yes_row(data):
    result = event_study(data, outcome="lemp", unit="countyreal", time="year", controls=CONTROLS,
                         window=EventWindow(-3, 3))

    class Outcome:
        pass

    outcome = Outcome()
    outcome.result = result  # type: ignore[attr-defined]
    for language in ("en", "zh"):
        shown = View(settings_from_mapping({"language": language}))
        hidden = View(settings_from_mapping({"language": language, "show_controls": "no"}))
        periods = [t for t in result.regression.params.index if t not in CONTROLS]
        block = _regression(shown, [("y", result.regression)], key="k", title="t", terms=periods, controls_flags=[True])
        values = [row[0].value for row in block.body]
        at = values.index(label("controls_block", language))
        assert values[at + 1] == label("x1", language) and values[at + 3] == label("x2", language)
        assert all(row[1].value is None for row in block.body if row[0].value == label("control_variables", language))
        row = block.find_row(label("x1", language))
        assert row[1].value == pytest.approx(result.regression.params["x1"], rel=SAME)
        plain = _regression(hidden, [("y", result.regression)], key="k", title="t", terms=periods, controls_flags=[True])
        plain_values = [row[0].value for row in plain.body]
        assert "x1" not in plain_values and len(plain.body) == len(block.body) - 2 * len(CONTROLS)
        assert plain.find_row(label("control_variables", language))[1].value == label("yes", language)
        tables = [b for b in event_study_blocks(outcome, shown, None) if getattr(b, "key", "") == "event_study_controls"]
        assert tables and tables[0].find_row("x1")[1].value == pytest.approx(result.regression.params["x1"], rel=SAME)
        yes_only = [b for b in event_study_blocks(outcome, hidden, None) if getattr(b, "key", "") == "event_study_controls"]
        assert yes_only[0].body[0][1].value == label("yes", language)
