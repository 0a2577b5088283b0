"""The Estimates header: contract v1's 13 columns unchanged and in order, v2's appended after them."""

from __future__ import annotations

from xlcbec.core.results import ESTIMATE_COLUMNS, estimate_row, estimates_frame

CONTRACT_V1 = ("analysis", "model", "term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high",
               "nobs", "r2_within", "weight", "note")
CONTRACT_V2_APPENDED = ("n_clusters",)


def test_header_is_v1_then_the_appended_columns():
    assert ESTIMATE_COLUMNS[:13] == CONTRACT_V1
    assert ESTIMATE_COLUMNS == CONTRACT_V1 + CONTRACT_V2_APPENDED


def test_rows_and_frames_carry_every_column_in_order():
    row = estimate_row("baseline", "controls", "CBEC", 0.1, n_clusters=285)
    assert tuple(row) == ESTIMATE_COLUMNS
    frame = estimates_frame([row, estimate_row("placebo", "permutation", "CBEC", 0.2)])
    assert tuple(frame.columns) == ESTIMATE_COLUMNS
    assert frame["n_clusters"].iloc[0] == 285 and frame["n_clusters"].isna().iloc[1]
