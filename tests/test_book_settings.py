"""The Settings sheet: defaults, every validation rule, and the messages users see.

Tolerances: none; settings are parsed exactly (numbers as typed).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlcbec.book.contract import ANALYSES
from xlcbec.book.settings import (
    SETTING_KEYS,
    SETTING_SPECS,
    Settings,
    format_setting,
    parse_settings,
    settings_from_mapping,
    settings_problems,
)
from xlcbec.core.options import BootstrapOptions, EventWindow, MatchingOptions, SEOptions
from xlcbec.errors import InputErrors, SettingsError


def rows(**values):
    """(row, key, value) triples as the sheet gives them, from row 2."""
    return [(row, key, value) for row, (key, value) in enumerate(values.items(), start=2)]


def test_blank_sheet_gives_the_contract_defaults():
    settings = parse_settings([])
    assert settings == Settings()
    assert settings.controls == ("lnpop", "lnaca", "lngdp", "lngov", "lninter", "urban", "lncons")
    assert settings.fixed_effects == ("unit", "time")
    assert settings.event_window == (-5, 5) and settings.event_reference == -1
    assert settings.bandwidth == 0.06 and settings.seed == 20240101
    assert settings.stars == (0.1, 0.05, 0.01)
    assert settings.analyses == ANALYSES
    assert settings.se == SEOptions(vcov="cluster", cluster="city")
    assert settings.psm_covariates is None  # = the controls
    assert settings.matching == MatchingOptions() and settings.bootstrap == BootstrapOptions()
    assert settings.event_window_options == EventWindow()


# The keys of workbook contract v1, in order (ARCHITECTURE.md, "Settings keys").
CONTRACT_KEYS = (
    "unit", "time", "first_treat", "treatment", "outcome", "controls", "fixed_effects", "cluster",
    "interpolate", "entropy_shift", "entropy_pooling", "event_window", "event_reference", "bin_endpoints",
    "psm_covariates", "psm_model", "kernel", "bandwidth", "common_support", "bootstrap_reps", "placebo_reps",
    "seed", "mediators", "heterogeneity", "base_year", "megacity_threshold", "stat_in_parentheses", "stars",
    "language", "analyses",
    "singletons", "psm_estimand", "show_controls", "cross_check",  # contract v2 additions
)  # fmt: skip


def test_every_contract_key_has_a_spec_and_a_field():
    assert SETTING_KEYS == CONTRACT_KEYS
    assert all(spec.description_en and spec.description_zh for spec in SETTING_SPECS)
    assert set(SETTING_KEYS) <= set(Settings.__dataclass_fields__)


def test_blank_values_take_defaults_and_are_not_explicit():
    settings = parse_settings([(2, "bandwidth", None), (3, "kernel", "  "), (4, "seed", "")])
    assert settings == Settings() and settings.explicit == frozenset()


def test_values_are_typed():
    settings = parse_settings(
        rows(
            unit="code",
            controls="lnpop，lngdp；urban",  # Chinese comma and semicolon
            fixed_effects="time, unit",
            cluster="province",
            bandwidth="0.2",
            event_window="[-3, 4]",
            event_reference=-2.0,  # Excel gives numbers as floats
            bin_endpoints="NO",
            bootstrap_reps=50.0,
            seed="7",
            mediators="none",
            base_year=2012,
            stars="1%, 10%, 5%",
            language="中文",
            analyses="baseline, event-study",
            psm_covariates="lnpop",
        )
    )
    assert settings.unit == "code" and settings.cluster == "province"
    assert settings.controls == ("lnpop", "lngdp", "urban")
    assert settings.fixed_effects == ("unit", "time")
    assert settings.bandwidth == 0.2
    assert settings.event_window == (-3, 4) and settings.event_reference == -2
    assert settings.bin_endpoints is False
    assert settings.bootstrap_reps == 50 and isinstance(settings.bootstrap_reps, int)
    assert settings.seed == 7 and settings.base_year == 2012
    assert settings.mediators == ()
    assert settings.stars == (0.1, 0.05, 0.01)
    assert settings.language == "zh"
    assert settings.analyses == ("baseline", "event_study")
    assert settings.psm_covariates == ("lnpop",)


def test_cluster_default_follows_the_unit_and_none_or_robust_change_the_vcov():
    assert parse_settings(rows(unit="code")).se == SEOptions(vcov="cluster", cluster="code")
    assert parse_settings(rows(cluster="province")).se == SEOptions(vcov="cluster", cluster="province")
    assert parse_settings(rows(cluster="none")).se == SEOptions(vcov="iid")
    assert parse_settings(rows(cluster="Robust")).se == SEOptions(vcov="robust")


def test_bootstrap_reps_zero_turns_the_bootstrap_off_and_one_is_refused():
    assert parse_settings(rows(bootstrap_reps=0)).bootstrap == BootstrapOptions(reps=0)
    assert not parse_settings(rows(bootstrap_reps="0")).bootstrap.enabled
    with pytest.raises(SettingsError, match="must be 0 .no bootstrap. or at least 2, found 1") as caught:
        parse_settings(rows(seed=1, bootstrap_reps=1))
    assert caught.value.row == 3 and caught.value.column == "Value"
    # The message is the core's own (the option object decides), so check and refresh say the same.
    with pytest.raises(Exception) as core:
        BootstrapOptions(reps=1)
    assert core.value.problem == caught.value.problem


def test_reference_must_be_a_pre_period():
    with pytest.raises(SettingsError, match="pre-period inside the event window -5, 5, found 0"):
        parse_settings(rows(event_reference=0))


def test_all_and_none_for_analyses():
    assert parse_settings(rows(analyses="ALL")).analyses == ANALYSES
    assert parse_settings(rows(analyses="none")).analyses == ()
    # The contract's order is kept whatever order was typed.
    assert parse_settings(rows(analyses="psm, index")).analyses == ("index", "psm")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("bandwidth", 0, "greater than 0"),
        ("bandwidth", -0.1, "greater than 0"),
        ("bandwidth", "wide", "must be a number"),
        ("bandwidth", "inf", "finite"),
        ("entropy_shift", -1, "0 or more"),
        ("megacity_threshold", "500万", "must be a number"),
        ("event_window", "5", "two whole numbers"),
        ("event_window", "-5, 5, 6", "two whole numbers"),
        ("event_window", "0, 5", "start at -1 or earlier"),
        ("event_window", "-5, -1", "end at 0 or later"),
        ("event_window", "-5.5, 5", "whole numbers"),
        ("event_reference", 0.5, "whole number"),
        ("bootstrap_reps", 1, "0 (no bootstrap) or at least 2"),
        ("bootstrap_reps", -2, "at least 0"),
        ("placebo_reps", -3, "positive whole number"),
        ("placebo_reps", 2.5, "whole number"),
        ("seed", -1, "0 or more"),
        ("kernel", "triangle", "epanechnikov, normal, nearest"),
        ("language", "fr", "en, zh"),
        ("psm_model", "tobit", "probit, logit"),
        ("fixed_effects", "city", "unit, time / time / unit / none"),
        ("fixed_effects", "unit, unit", "unit, time / time / unit / none"),
        ("entropy_pooling", "pooled", "global, by_year"),
        ("interpolate", "spline", "linear, none"),
        ("bin_endpoints", "maybe", "yes or no"),
        ("common_support", 2, "yes or no"),
        ("stat_in_parentheses", "p", "t, se"),
        ("stars", "0.1, 0.05", "three significance levels"),
        ("stars", "0.1, 0.05, 1.5", "strictly between 0 and 1"),
        ("stars", "0.1, 0.1, 0.01", "three different"),
        ("stars", "a, b, c", "three numbers"),
        ("analyses", "baseline, pms", "did you mean 'psm'"),
        ("controls", "lnpop, lnpop", "more than once"),
        ("controls", "lnpop, none", "mixes 'none'"),
        ("outcome", "HQD, lngdp", "one column name"),
        ("base_year", "2015年", "write 2015 without 年"),
    ],
)
def test_bad_values_are_located_and_explained(key, value, expected):
    with pytest.raises(SettingsError) as caught:
        parse_settings([(7, key, value)])
    error = caught.value
    assert (error.sheet, error.row, error.column) == ("Settings", 7, "Value")
    assert expected in str(error)
    assert "Fix:" in str(error)
    assert str(error).startswith("Sheet 'Settings', row 7, column 'Value'")


def test_unknown_key_suggests_the_closest_and_lists_all():
    with pytest.raises(SettingsError) as caught:
        parse_settings([(5, "bandwith", 0.2)])
    message = str(caught.value)
    assert caught.value.column == "Key" and caught.value.row == 5
    assert "did you mean 'bandwidth'?" in message
    assert all(key in message for key in SETTING_KEYS)


def test_keys_are_matched_without_case_or_spacing():
    assert parse_settings([(2, " Event Window ", "-3, 3")]).event_window == (-3, 3)


def test_duplicate_keys_name_both_rows():
    with pytest.raises(SettingsError) as caught:
        parse_settings([(2, "bandwidth", 0.1), (9, "BANDWIDTH", 0.2)])
    assert caught.value.rows == (2, 9) and caught.value.column == "Key"
    assert "appears twice" in str(caught.value)


def test_value_without_key_is_an_error():
    with pytest.raises(SettingsError, match="has no key"):
        parse_settings([(4, None, "0.2")])


def test_reference_must_lie_inside_the_window():
    with pytest.raises(SettingsError, match="inside the event window -3, 3, found -4") as caught:
        parse_settings(rows(event_window="-3, 3", event_reference=-4))
    assert caught.value.row == 3  # the event_reference row
    # A wrong window is reported once, not again as a reference problem.
    assert len(settings_problems(rows(event_window="x", event_reference=-1))) == 1


def test_collect_errors_returns_every_problem():
    bad = [(2, "bandwidth", -1), (3, "kernel", "box"), (4, "nonsense", 1), (5, "seed", "x"), (6, "language", "en")]
    with pytest.raises(InputErrors) as caught:
        parse_settings(bad, collect_errors=True)
    assert [e.row for e in caught.value.errors] == [2, 3, 4, 5]
    assert len(settings_problems(bad)) == 4
    with pytest.raises(SettingsError):  # without collect_errors: the first problem only
        parse_settings(bad)


def test_settings_are_frozen_and_changes_make_new_objects():
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.bandwidth = 0.2  # type: ignore[misc]
    changed = replace(settings, bandwidth=0.2)
    assert changed.bandwidth == 0.2 and settings.bandwidth == 0.06


def test_log_rows_parse_back_to_the_same_settings():
    """Two routes: settings -> the Log's text -> parsed again gives the same object."""
    original = settings_from_mapping(
        {"controls": "lnpop, urban", "stars": "0.1, 0.05, 0.001", "cluster": "robust", "analyses": "psm, cs", "bandwidth": 0.2}
    )
    text_rows = [(row, key, value) for row, (key, value) in enumerate(original.as_rows(), start=2)]
    text_rows = [(r, k, "" if v.startswith("(") else v) for r, k, v in text_rows]  # '(= controls)' etc. mean blank
    assert parse_settings(text_rows) == original


@given(
    lo=st.integers(min_value=-20, max_value=-1),
    hi=st.integers(min_value=0, max_value=20),
    separator=st.sampled_from([",", "，", " ", ";", ", "]),
)
def test_any_valid_window_round_trips(lo, hi, separator):
    settings = parse_settings(rows(event_window=f"{lo}{separator}{hi}", event_reference=lo))
    assert settings.event_window == (lo, hi) and settings.event_reference == lo
    assert format_setting("event_window", settings.event_window) == f"{lo}, {hi}"


@pytest.mark.parametrize("typed", ["−5, 5", "－5，5", "-5 5"])
def test_window_typed_with_a_typographic_or_full_width_minus(typed):
    """Chinese input methods type U+2212 or the full-width minus; the number rule reads both as '-'."""
    settings = parse_settings(rows(event_window=typed, event_reference="−1"))
    assert settings.event_window == (-5, 5) and settings.event_reference == -1
