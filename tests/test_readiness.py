"""Readiness rows: the data API a result sheet or the terminal lays out (en and zh labels).

Tolerances: none (labels and fields are compared exactly).
"""

from __future__ import annotations

from types import SimpleNamespace

from xlcbec.errors import EstimationError, NotApplicableError
from xlcbec.readiness import Readiness, readiness_after_run, readiness_lines, readiness_rows
from xlcbec.report.labels import LABELS


def test_rows_from_the_preflight_say_what_to_add():
    checked = SimpleNamespace(
        skipped={"mediation": NotApplicableError("no mediators are selected", setting="mediators"),
                 "policy_text": NotApplicableError("the Policies sheet has no documents", sheet="Policies", column="text")},
        left_out={"heterogeneity": (NotApplicableError("megacity skipped", sheet="Panel", column="population",
                                                       setting="heterogeneity"),)},
    )
    rows = readiness_rows(("baseline", "heterogeneity", "mediation", "policy_text"), checked)
    assert [r.analysis for r in rows] == ["baseline", "heterogeneity", "mediation", "policy_text"]
    baseline, heterogeneity, mediation, policy = rows
    assert baseline == Readiness("baseline", True)
    assert heterogeneity.will_run and heterogeneity.partial and heterogeneity.column == "population"
    assert not mediation.will_run and mediation.setting == "mediators" and mediation.sheet is None
    assert policy.what_to_add() == "sheet Policies, column text"
    assert policy.what_to_add("zh") == "工作表 Policies, 列 text"
    assert mediation.what_to_add() == "Settings key 'mediators'"
    assert (mediation.status(), mediation.status("zh")) == ("will be skipped", "将跳过")
    assert (heterogeneity.status(), heterogeneity.status("zh")) == ("will run, in part", "将部分运行")
    assert mediation.name("zh") == "机制检验"


def test_rows_after_a_run_keep_the_skips_own_error():
    run = SimpleNamespace(skipped={"bacon": "no timing", "cs": "singular"},
                          reasons={"bacon": NotApplicableError("no timing", sheet="Cities", column="pilot_year"),
                                   "cs": EstimationError("singular")})
    rows = readiness_after_run(("baseline", "bacon", "cs"), run)
    assert [r.status() for r in rows] == ["ran", "skipped", "skipped"]
    assert rows[1].what_to_add() == "sheet Cities, column pilot_year"
    assert rows[2].what_to_add() == "" and rows[2].reason == "singular"


def test_the_terminal_table_has_one_line_per_analysis_and_every_label_both_languages():
    rows = (Readiness("baseline", True), Readiness("mediation", False, "no mediators", setting="mediators"))
    lines = readiness_lines(rows)
    assert len(lines) == 3 and lines[2].startswith("Mediation") and "Settings key 'mediators'" in lines[2]
    assert len(readiness_lines(rows, "zh")) == 3
    from xlcbec.book.contract import ANALYSES

    for name in ANALYSES:
        assert f"analysis_{name}" in LABELS and all(LABELS[f"analysis_{name}"])
