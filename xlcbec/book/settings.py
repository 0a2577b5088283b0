"""The Settings sheet: one typed, frozen :class:`Settings` from its Key/Value rows.

A blank value means the default (contract v1).  Every problem names sheet
``Settings``, the row and the column (``Key`` for an unknown or repeated key,
``Value`` for a bad value), what was expected and how to fix it.  ``xlcbec
check`` wants every problem at once: ``parse_settings(..., collect_errors=True)``
raises one :class:`~xlcbec.errors.InputErrors` holding all of them, and
:func:`settings_problems` returns them as a list.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, cast

from xlcbec.book.contract import (
    ALL_WORD,
    ANALYSES,
    NO_WORDS,
    NONE_WORD,
    SETTING_KEYS,
    SETTINGS,
    SPEC_BY_KEY,
    YES_WORDS,
)
from xlcbec.errors import InputErrors, SettingsError

FixedEffect = Literal["unit", "time"]
Interpolation = Literal["linear", "none"]
EntropyPooling = Literal["global", "by_year"]
PsmModel = Literal["probit", "logit"]
Kernel = Literal["epanechnikov", "normal", "nearest"]
StatInParentheses = Literal["t", "se"]
Language = Literal["en", "zh"]
Vcov = Literal["cluster", "robust", "iid"]

SettingRow = tuple[int, Any, Any]  # (spreadsheet row, key cell, value cell)

DEFAULT_CONTROLS: tuple[str, ...] = ("lnpop", "lnaca", "lngdp", "lngov", "lninter", "urban", "lncons")


@dataclass(frozen=True)
class Settings:
    """Every Settings key, typed, after defaults (contract v1).

    ``explicit`` holds the keys the user filled in: an analysis may skip
    quietly when a *default* names a column the data lacks, but a column the
    user named must exist.  ``rows`` maps each key on the sheet (filled or
    blank) to its spreadsheet row, so a problem found later names that row.
    """

    unit: str = "city"
    time: str = "year"
    first_treat: str = "pilot_year"
    treatment: str | None = None  # None: derive CBEC = 1[time >= first_treat]
    outcome: str = "HQD"
    controls: tuple[str, ...] = DEFAULT_CONTROLS
    fixed_effects: tuple[FixedEffect, ...] = ("unit", "time")
    cluster: str = "city"  # a column, "none" (conventional SEs) or "robust" (HC1)
    interpolate: Interpolation = "linear"
    entropy_shift: float = 0.0001
    entropy_pooling: EntropyPooling = "global"
    event_window: tuple[int, int] = (-5, 5)
    event_reference: int = -1
    bin_endpoints: bool = True
    psm_covariates: tuple[str, ...] | None = None  # None: the controls
    psm_model: PsmModel = "probit"
    kernel: Kernel = "epanechnikov"
    bandwidth: float = 0.06
    common_support: bool = True
    bootstrap_reps: int = 200
    placebo_reps: int = 500
    seed: int = 20240101
    mediators: tuple[str, ...] = ("diginf", "spec", "envir")
    heterogeneity: tuple[str, ...] = ("coastal", "region", "tertiary_led", "megacity", "cluster")
    base_year: int | None = None  # None: the first year of the data
    megacity_threshold: float = 5_000_000.0
    stat_in_parentheses: StatInParentheses = "t"
    stars: tuple[float, float, float] = (0.1, 0.05, 0.01)  # thresholds for *, **, ***
    language: Language = "en"
    analyses: tuple[str, ...] = ANALYSES
    explicit: frozenset[str] = field(default=frozenset(), compare=False)
    rows: Mapping[str, int] = field(default_factory=dict, compare=False)  # key -> its Settings row

    def row_of(self, key: str) -> int | None:
        """The Settings row holding ``key`` (None when the sheet has no row for it)."""
        return self.rows.get(key)

    @property
    def vcov(self) -> Vcov:
        """Standard-error type implied by ``cluster``."""
        if self.cluster == "robust":
            return "robust"
        if self.cluster == NONE_WORD:
            return "iid"
        return "cluster"

    @property
    def cluster_column(self) -> str | None:
        return self.cluster if self.vcov == "cluster" else None

    @property
    def matching_covariates(self) -> tuple[str, ...]:
        """PSM covariates after the default (= controls)."""
        return self.controls if self.psm_covariates is None else self.psm_covariates

    def runs(self, analysis: str) -> bool:
        return analysis in self.analyses

    def with_values(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied (a new object: settings are frozen)."""
        return replace(self, **changes)

    def as_rows(self) -> list[tuple[str, str]]:
        """(key, value as a user would type it) for every key, defaults resolved; for the Log."""
        return [(key, format_setting(key, getattr(self, key))) for key in SETTING_KEYS]


def format_setting(key: str, value: Any) -> str:
    """A setting's value written back the way the Settings sheet takes it."""
    if value is None:
        if key == "psm_covariates":
            return "(= controls)"
        if key == "treatment":
            return "(derived CBEC)"
        if key == "base_year":
            return "(first year)"
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        if key == "analyses" and value == ANALYSES:
            return ALL_WORD
        return ", ".join(_format_number(v) if isinstance(v, float) else str(v) for v in value) if value else NONE_WORD
    if isinstance(value, float):
        return _format_number(value)
    return str(value)


def _format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


# --- parsing --------------------------------------------------------------


class _BadValue(Exception):
    """A value problem; turned into a SettingsError that names the row."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


_LIST_SPLIT = re.compile(r"[,，;；、]")
_WINDOW_SPLIT = re.compile(r"[,，;；、\s]+")


def _text(value: Any) -> str:
    """A cell as the text a user typed (2015.0 -> '2015')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return _format_number(value)
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value).strip()


def _is_blank(value: Any) -> bool:
    return _text(value) == ""


def _shown(value: Any) -> str:
    return repr(_text(value)) if not isinstance(value, (int, float)) or isinstance(value, bool) else _text(value)


def _column_name(key: str, value: Any) -> str:
    text = _text(value)
    if _LIST_SPLIT.search(text):
        raise _BadValue(f"'{key}' takes one column name, found {text!r}", f"write a single column name such as '{SPEC_BY_KEY[key].default_text or 'CBEC'}'")
    return text


def _column_list(key: str, value: Any) -> tuple[str, ...]:
    text = _text(value)
    if text.lower() == NONE_WORD:
        return ()
    names = [part.strip() for part in _LIST_SPLIT.split(text)]
    names = [n for n in names if n]
    if not names:
        raise _BadValue(f"'{key}' lists no column names, found {text!r}", "write names separated by commas, or none for an empty list")
    if any(n.lower() == NONE_WORD for n in names):
        raise _BadValue(f"'{key}' mixes 'none' with column names: {text!r}", "write either none or a list of names")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise _BadValue(f"'{key}' lists {', '.join(repeated)} more than once", "list each name once")
    return tuple(names)


def _choice(key: str, value: Any) -> str:
    spec = SPEC_BY_KEY[key]
    text = _text(value).lower().replace("-", "_").replace(" ", "_") if key == "entropy_pooling" else _text(value).lower()
    aliases = _CHOICE_ALIASES.get(key, {})
    text = aliases.get(text, text)
    if text not in spec.choices:
        raise _BadValue(
            f"'{key}' must be one of {', '.join(spec.choices)}, found {_shown(value)}",
            f"write one of: {', '.join(spec.choices)}",
        )
    return text


_CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "language": {"english": "en", "chinese": "zh", "中文": "zh", "英文": "en", "zh_cn": "zh", "zh-cn": "zh", "cn": "zh"},
    "kernel": {"epan": "epanechnikov", "gaussian": "normal"},
    "stat_in_parentheses": {"t-stat": "t", "tstat": "t", "t_stat": "t", "std_error": "se", "standard error": "se"},
}


def _fixed_effects(key: str, value: Any) -> tuple[FixedEffect, ...]:
    text = _text(value).lower()
    allowed = "unit, time / time / unit / none"
    if text == NONE_WORD:
        return ()
    parts = [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()]
    if not parts or any(p not in ("unit", "time") for p in parts) or len(set(parts)) != len(parts):
        raise _BadValue(f"'{key}' must be one of {allowed}, found {_shown(value)}", "write unit, time (both), time, unit or none")
    return tuple(cast(FixedEffect, p) for p in ("unit", "time") if p in parts)


def _cluster(key: str, value: Any) -> str:
    text = _column_name(key, value)
    return text.lower() if text.lower() in (NONE_WORD, "robust") else text


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise _BadValue(f"'{key}' must be a number, found {_shown(value)}", f"write a number such as {SPEC_BY_KEY[key].default_text}")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # a whole number beyond the float range: refused below as not finite
            number = math.inf
    else:
        text = _text(value)
        try:
            number = float(text)
        except ValueError:
            raise _BadValue(
                f"'{key}' must be a number, found {text!r}",
                f"write a plain number such as {SPEC_BY_KEY[key].default_text} (no units, text or thousands separators)",
            ) from None
    if not math.isfinite(number):
        raise _BadValue(f"'{key}' must be a finite number, found {_shown(value)}", f"write a number such as {SPEC_BY_KEY[key].default_text}")
    return number


def _integer(key: str, value: Any) -> int:
    number = _number(key, value)
    if not number.is_integer():
        raise _BadValue(f"'{key}' must be a whole number, found {_shown(value)}", f"write a whole number such as {SPEC_BY_KEY[key].default_text}")
    return int(number)


def _positive_integer(key: str, value: Any) -> int:
    number = _integer(key, value)
    if number <= 0:
        raise _BadValue(f"'{key}' must be a positive whole number, found {_shown(value)}", f"write a whole number of at least 1, such as {SPEC_BY_KEY[key].default_text}")
    return number


_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*(年度|年)?\s*$")


def _year(key: str, value: Any) -> int:
    text = _text(value)
    match = _YEAR_TEXT.match(text)
    if match and match.group(2):
        raise _BadValue(f"'{key}' must be a year as a number, found {text!r}", f"write {match.group(1)} without 年")
    return _integer(key, value)


def _yesno(key: str, value: Any) -> bool:
    text = _text(value).lower()
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise _BadValue(f"'{key}' must be yes or no, found {_shown(value)}", "write yes or no")


def _window(key: str, value: Any) -> tuple[int, int]:
    text = _text(value).strip("[]()（）")
    parts = [p for p in _WINDOW_SPLIT.split(text) if p]
    example = "-5, 5"
    if len(parts) != 2:
        raise _BadValue(
            f"'{key}' must be two whole numbers (first and last relative year), found {_shown(value)}",
            f"write them separated by a comma, such as {example}",
        )
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise _BadValue(f"'{key}' must be two whole numbers, found {text!r}", f"write them separated by a comma, such as {example}") from None
    if not all(math.isfinite(n) and n.is_integer() for n in numbers):
        raise _BadValue(f"'{key}' must be two whole numbers, found {text!r}", f"write whole numbers such as {example}")
    lo, hi = int(numbers[0]), int(numbers[1])
    if lo > -1 or hi < 0:
        raise _BadValue(
            f"'{key}' must start at -1 or earlier and end at 0 or later, found {lo}, {hi}",
            f"write the earliest pre-period first and the latest post-period second, such as {example}",
        )
    return lo, hi


def _positive_number(key: str, value: Any) -> float:
    number = _number(key, value)
    if number <= 0:
        raise _BadValue(f"'{key}' must be greater than 0, found {_shown(value)}", f"write a positive number such as {SPEC_BY_KEY[key].default_text}")
    return number


def _non_negative_number(key: str, value: Any) -> float:
    number = _number(key, value)
    if number < 0:
        raise _BadValue(f"'{key}' must be 0 or more, found {_shown(value)}", f"write a small positive number such as {SPEC_BY_KEY[key].default_text}")
    return number


def _seed(key: str, value: Any) -> int:
    number = _integer(key, value)
    if number < 0:
        raise _BadValue(f"'{key}' must be a whole number of 0 or more, found {_shown(value)}", "write a whole number such as 20240101")
    return number


def _stars(key: str, value: Any) -> tuple[float, float, float]:
    text = _text(value)
    parts = [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()]
    fix = "write three levels between 0 and 1 separated by commas, such as 0.1, 0.05, 0.01"
    if len(parts) != 3:
        raise _BadValue(f"'{key}' must be three significance levels, found {text!r}", fix)
    levels = []
    for part in parts:
        percent = part.endswith("%")
        try:
            level = float(part.rstrip("%")) / (100.0 if percent else 1.0)
        except ValueError:
            raise _BadValue(f"'{key}' must be three numbers, found {part!r} in {text!r}", fix) from None
        if not 0.0 < level < 1.0:
            raise _BadValue(f"'{key}' levels must lie strictly between 0 and 1, found {part!r}", fix)
        levels.append(level)
    if len(set(levels)) != 3:
        raise _BadValue(f"'{key}' levels must be three different numbers, found {text!r}", fix)
    # The loosest level earns one star, the strictest three, whatever order was typed.
    ordered = sorted(levels, reverse=True)
    return (ordered[0], ordered[1], ordered[2])


def _analyses(key: str, value: Any) -> tuple[str, ...]:
    text = _text(value).lower()
    if text == ALL_WORD:
        return ANALYSES
    if text == NONE_WORD:
        return ()
    names = [p.strip().replace("-", "_").replace(" ", "_") for p in _LIST_SPLIT.split(text) if p.strip()]
    if ALL_WORD in names:
        return ANALYSES
    unknown = [n for n in names if n not in ANALYSES]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, ANALYSES, n=1)
            hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise _BadValue(
            f"'{key}' names unknown analyses: {', '.join(hints)}",
            f"write all, or a comma-separated list drawn from: {', '.join(ANALYSES)}",
        )
    # Keep the contract's order so sheets are always built in the same sequence.
    return tuple(a for a in ANALYSES if a in names)


def _optional_column(key: str, value: Any) -> str | None:
    return _column_name(key, value) or None


def _optional_columns(key: str, value: Any) -> tuple[str, ...] | None:
    return _column_list(key, value)


_PARSERS: dict[str, Any] = {
    "unit": _column_name,
    "time": _column_name,
    "first_treat": _column_name,
    "treatment": _optional_column,
    "outcome": _column_name,
    "controls": _column_list,
    "fixed_effects": _fixed_effects,
    "cluster": _cluster,
    "interpolate": _choice,
    "entropy_shift": _non_negative_number,
    "entropy_pooling": _choice,
    "event_window": _window,
    "event_reference": _integer,
    "bin_endpoints": _yesno,
    "psm_covariates": _optional_columns,
    "psm_model": _choice,
    "kernel": _choice,
    "bandwidth": _positive_number,
    "common_support": _yesno,
    "bootstrap_reps": _positive_integer,
    "placebo_reps": _positive_integer,
    "seed": _seed,
    "mediators": _column_list,
    "heterogeneity": _column_list,
    "base_year": _year,
    "megacity_threshold": _positive_number,
    "stat_in_parentheses": _choice,
    "stars": _stars,
    "language": _choice,
    "analyses": _analyses,
}

_SETTINGS_FIELDS = {f.name for f in fields(Settings)}
if set(_PARSERS) != set(SETTING_KEYS) or not set(SETTING_KEYS) <= _SETTINGS_FIELDS:  # pragma: no cover - import-time guard
    raise RuntimeError("Settings keys, parsers and the Settings dataclass disagree")


def _normalise_key(key: Any) -> str:
    return re.sub(r"[\s\-]+", "_", _text(key).lower())


def _error(problem: str, *, row: int | list[int], column: str, fix: str) -> SettingsError:
    return SettingsError(problem, sheet=SETTINGS, row=row, column=column, fix=fix)


def settings_problems(rows: Iterable[SettingRow]) -> list[SettingsError]:
    """Every problem in the Settings rows (empty list = valid)."""
    _, problems = _parse(rows)
    return problems


def parse_settings(rows: Iterable[SettingRow], *, collect_errors: bool = False) -> Settings:
    """Settings from (row number, key, value) triples; blank values take the default.

    Raises the first :class:`SettingsError`, or with ``collect_errors=True`` an
    :class:`InputErrors` holding every problem found.
    """
    settings, problems = _parse(rows)
    if problems:
        if collect_errors:
            raise InputErrors(problems)
        raise problems[0]
    return settings


def parse_settings_keeping_valid(rows: Iterable[SettingRow]) -> tuple[Settings, list[SettingsError]]:
    """The Settings from the valid rows (a bad value falls back to its default) and every problem.

    For ``xlcbec check``: the other sheets are then read with the unit, time
    and column names the user did give, so one bad value is reported once,
    not again as missing Panel columns.
    """
    return _parse(rows)


def settings_from_mapping(values: Mapping[str, Any]) -> Settings:
    """Settings from ``{key: value}`` as typed on the sheet (rows numbered from 2); for tests and the demo."""
    return parse_settings([(row, key, value) for row, (key, value) in enumerate(values.items(), start=2)])


def _parse(rows: Iterable[SettingRow]) -> tuple[Settings, list[SettingsError]]:
    problems: list[SettingsError] = []
    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    value_rows: dict[str, int] = {}
    failed: set[str] = set()
    for row, raw_key, raw_value in rows:
        key = _normalise_key(raw_key)
        if not key:
            if not _is_blank(raw_value):
                problems.append(
                    _error(
                        f"a value ({_shown(raw_value)}) has no key",
                        row=row,
                        column="Key",
                        fix="write the setting's name in the Key column, or delete the row",
                    )
                )
            continue
        if key not in SPEC_BY_KEY:
            close = difflib.get_close_matches(key, SETTING_KEYS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(
                _error(
                    f"unknown setting '{_text(raw_key)}'",
                    row=row,
                    column="Key",
                    fix=f"{hint}Valid keys: {', '.join(SETTING_KEYS)}",
                )
            )
            continue
        if key in seen:
            problems.append(
                _error(
                    f"setting '{key}' appears twice (rows {seen[key]} and {row})",
                    row=[seen[key], row],
                    column="Key",
                    fix=f"keep one row for '{key}' and delete the other",
                )
            )
            continue
        seen[key] = row
        if _is_blank(raw_value):
            continue
        try:
            values[key] = _PARSERS[key](key, raw_value)
            value_rows[key] = row
        except _BadValue as bad:
            failed.add(key)
            problems.append(_error(bad.problem, row=row, column="Value", fix=bad.fix))

    explicit = frozenset(values)
    settings = Settings(**values, explicit=explicit, rows=dict(seen))
    if "cluster" not in values:
        # The contract's default clusters by the unit column (city by default).
        settings = replace(settings, cluster=settings.unit)

    lo, hi = settings.event_window
    if not failed & {"event_window", "event_reference"} and not lo <= settings.event_reference <= hi:
        where = value_rows.get("event_reference", value_rows.get("event_window"))
        problems.append(
            _error(
                f"'event_reference' {settings.event_reference} lies outside the event window {lo}, {hi}",
                row=where if where is not None else [],
                column="Value",
                fix=f"choose a reference between {lo} and {hi} (usually -1), or widen event_window",
            )
        )
    return settings, problems
