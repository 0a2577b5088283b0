"""The workbook contract, version 1: sheet names, Settings keys, input columns.

Everything a user can see in a workbook is named here once; the Settings
keys, their defaults and descriptions are the table in :mod:`xlcbec.book.settings`.  Input sheets belong to the user and are only
read; result sheets belong to xlcbec and are rebuilt whole by each refresh.
Sheet names are the same in every language; only descriptions and table
labels are translated.
"""

from __future__ import annotations

CONTRACT_VERSION = 1

# --- sheets ---------------------------------------------------------------

SETTINGS = "Settings"
PANEL = "Panel"
CITIES = "Cities"
INDICATORS = "Indicators"
POLICIES = "Policies"
KEYWORDS = "Keywords"

INPUT_SHEETS: tuple[str, ...] = (SETTINGS, PANEL, CITIES, INDICATORS, POLICIES, KEYWORDS)
# The template's first sheet: what to fill and how to run; xlcbec never reads it.
INSTRUCTIONS_SHEET: dict[str, str] = {"en": "Read me", "zh": "说明"}
# Panel is the only sheet without which nothing can run; the others may be
# absent (defaults, no city attributes, no index, no policy documents).
REQUIRED_SHEETS: tuple[str, ...] = (PANEL,)

RESULT_SHEETS: tuple[str, ...] = (
    # First when present: what `check --write` (or the ribbon's Check inputs) found, a to-do list that
    # comes before any result; a later refresh rewrites it from its own run (xlcbec.report.check_sheet).
    "Check",
    "Summary",  # first: each analysis' headline and a plain verdict (xlcbec.report.summary)
    "Index",
    "Descriptives",
    "Baseline",
    "EventStudy",
    "PSM",
    "Heterogeneity",
    "Mediation",
    "PolicyText",
    "Robustness",
    "Estimates",
    "Log",
)
CHECK = "Check"
SUMMARY = "Summary"
ESTIMATES = "Estimates"
LOG = "Log"

# --- analyses -------------------------------------------------------------

ANALYSES: tuple[str, ...] = (
    "index",
    "descriptives",
    "baseline",
    "event_study",
    "psm",
    "heterogeneity",
    "mediation",
    "policy_text",
    "placebo",
    "bacon",
    "cs",
    "sun_abraham",
)

# The result sheet each analysis writes its tables and charts to.
ANALYSIS_SHEET: dict[str, str] = {
    "index": "Index",
    "descriptives": "Descriptives",
    "baseline": "Baseline",
    "event_study": "EventStudy",
    "psm": "PSM",
    "heterogeneity": "Heterogeneity",
    "mediation": "Mediation",
    "policy_text": "PolicyText",
    "placebo": "Robustness",
    "bacon": "Robustness",
    "cs": "Robustness",
    "sun_abraham": "Robustness",
}

# --- input sheet columns --------------------------------------------------

SETTINGS_COLUMNS: tuple[str, ...] = ("Key", "Value", "Description")
INDICATORS_COLUMNS: tuple[str, ...] = ("index", "column", "dimension", "direction", "include")
# Shown on the template's Indicators sheet for the reader; xlcbec does not use them.
INDICATORS_INFO_COLUMNS: tuple[str, ...] = ("name", "unit")
POLICIES_COLUMNS: tuple[str, ...] = ("year", "title", "issuer", "text")
KEYWORDS_COLUMNS: tuple[str, ...] = ("theme", "keyword")
# Cities: the unit column (Settings `unit`) first, then time-invariant attributes.
CITIES_ATTRIBUTES: tuple[str, ...] = ("province", "region", "coastal", "cluster", "municipality", "pilot_year")
# The city's name beside its code (Cities; written by import on Panel); text, never used in a model.
CITY_NAME = "city_name"

# Panel: the unit and time columns (Settings `unit`, `time`), then numeric columns.

# Columns that must be numbers wherever they appear (0/1 flags and years).
NUMERIC_ATTRIBUTES: tuple[str, ...] = ("coastal", "municipality", "pilot_year")

# --- Settings sheet words ---------------------------------------------------

YES_WORDS = frozenset({"yes", "y", "true", "1", "是", "对"})
NO_WORDS = frozenset({"no", "n", "false", "0", "否", "不"})
NONE_WORD = "none"
ALL_WORD = "all"
