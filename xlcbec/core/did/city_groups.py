"""City groups for the heterogeneity analysis (docs/methods.md section 6, paper Tables 7-10).

Every group is a unit attribute turned into one 0/1 indicator per group value,
broadcast to the unit's rows:

| group | values | from |
|---|---|---|
| ``coastal`` | ``1`` (coastal), ``0`` (inland) | the ``coastal`` column (0/1, yes/no) |
| ``region`` | ``east``, ``central``, ``west``, ``northeast`` | the ``region`` column (NBS regions) |
| ``tertiary_led`` | ``1``, ``0`` | tertiary / secondary output > 1 in the base year |
| ``megacity`` | ``1``, ``0`` | population (persons) > ``megacity_threshold`` in the base year |
| ``cluster`` | ``BTH``, ``YRD``, ``PRD`` | the ``cluster`` column; blank = none of them |

Indicator columns are named ``<group>=<value>`` (the Estimates model names).
A unit whose attribute is unknown (blank region, no base-year output) gets
NaN in that group's columns, so the group's models leave its rows out and say
so in a note; the cluster group is the exception (blank means "in no cluster",
so those units are in every cluster's complement).  Attributes must not vary
within a unit: a unit with two different values is an error naming its rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

import numpy as np
import pandas as pd

from xlcbec.core.numbers import located_error, numeric_column
from xlcbec.core.options import MEGACITY_THRESHOLD, check_positive
from xlcbec.errors import InputError, OptionError

GroupName = Literal["coastal", "region", "tertiary_led", "megacity", "cluster"]
GROUPS: tuple[str, ...] = get_args(GroupName)
REGIONS: tuple[str, ...] = ("east", "central", "west", "northeast")
CITY_CLUSTERS: tuple[str, ...] = ("BTH", "YRD", "PRD")

# Chinese names of the values (the Chinese template writes these).
REGION_NAMES_ZH: dict[str, str] = {"east": "东部", "central": "中部", "west": "西部", "northeast": "东北"}
CLUSTER_NAMES_ZH: dict[str, str] = {"BTH": "京津冀", "YRD": "长三角", "PRD": "珠三角"}
# Spellings accepted for the categorical attributes (the paper writes JJJ for BTH).
_REGION_ALIASES = {
    "east": "east", "eastern": "east",
    "central": "central", "middle": "central", "mid": "central",
    "west": "west", "western": "west",
    "northeast": "northeast", "north-east": "northeast", "north east": "northeast",
    **{chinese: code for code, chinese in REGION_NAMES_ZH.items()},
}
_CLUSTER_ALIASES = {
    "BTH": "BTH", "JJJ": "BTH", "YRD": "YRD", "PRD": "PRD",
    **{chinese: code for code, chinese in CLUSTER_NAMES_ZH.items()},
}
_NO_CLUSTER = {"", "NONE", "0", "-", "NA", "N/A", "无"}
_TRUE = {"1", "1.0", "yes", "y", "true", "coastal", "是"}
_FALSE = {"0", "0.0", "no", "n", "false", "inland", "否"}

# A prefecture-level city has at least a few hundred thousand residents; a
# largest base-year population below this is almost surely in 10,000 persons.
_IMPLAUSIBLY_SMALL_POPULATION = 100_000


def dummy_name(group: str, value: object) -> str:
    """The indicator column / Estimates model name of one group value: 'coastal=1', 'region=east'."""
    return f"{group}={value}"


@dataclass(frozen=True, eq=False)
class GroupDummies:
    """Group indicators, one column per group value, indexed like the data.

    ``dummies`` holds 0.0/1.0 (NaN where the unit's attribute is unknown);
    ``members`` maps each built group to its column names in table order;
    ``skipped`` maps a group that could not be built to the reason; ``notes``
    are plain-language remarks for the table note and the Log.
    """

    dummies: pd.DataFrame
    members: Mapping[str, tuple[str, ...]]
    base_year: int
    notes: tuple[str, ...] = ()
    skipped: Mapping[str, str] = field(default_factory=dict)


def group_dummies(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    base_year: int | None = None,
    groups: Sequence[str] = GROUPS,
    coastal_column: str = "coastal",
    region_column: str = "region",
    cluster_column: str = "cluster",
    tertiary_column: str = "gdp_tertiary",
    secondary_column: str = "gdp_secondary",
    population_column: str = "population",
    megacity_threshold: float = MEGACITY_THRESHOLD,
) -> pd.DataFrame:
    """The group indicator columns (``<group>=<value>``) for ``data``'s rows.

    Strict: a requested group whose attribute column is absent is an
    :class:`InputError`.  :func:`build_group_dummies` skips it with a note instead.
    """
    built = build_group_dummies(
        data, unit=unit, time=time, base_year=base_year, groups=groups, coastal_column=coastal_column,
        region_column=region_column, cluster_column=cluster_column, tertiary_column=tertiary_column,
        secondary_column=secondary_column, population_column=population_column,
        megacity_threshold=megacity_threshold, on_missing="error",
    )
    return built.dummies


def build_group_dummies(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    base_year: int | None = None,
    groups: Sequence[str] = GROUPS,
    coastal_column: str = "coastal",
    region_column: str = "region",
    cluster_column: str = "cluster",
    tertiary_column: str = "gdp_tertiary",
    secondary_column: str = "gdp_secondary",
    population_column: str = "population",
    megacity_threshold: float = MEGACITY_THRESHOLD,
    on_missing: Literal["skip", "error"] = "skip",
) -> GroupDummies:
    """Build the indicators of ``groups``; see the module docstring for the definitions.

    ``base_year`` (default: the first period in ``data``) is the year whose
    output ratio and population classify a unit for ``tertiary_led`` and
    ``megacity``.  ``on_missing='skip'`` leaves out a group whose attribute
    column is absent and records why in ``skipped``.
    """
    for column in (unit, time):
        if column not in data.columns:
            raise InputError(f"the column {column!r} is missing", column=column,
                             fix=f"add a column headed {column!r} or correct the name in Settings")
    wanted = _check_groups(groups)
    check_positive("megacity_threshold", megacity_threshold)
    periods = pd.to_numeric(data[time], errors="coerce")
    year = _base_year(periods, base_year)
    columns_needed: dict[str, tuple[str, ...]] = {
        "coastal": (coastal_column,),
        "region": (region_column,),
        "tertiary_led": (tertiary_column, secondary_column),
        "megacity": (population_column,),
        "cluster": (cluster_column,),
    }
    frames: list[pd.DataFrame] = []
    members: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    skipped: dict[str, str] = {}
    units = data[unit]
    for group in wanted:
        absent = [c for c in columns_needed[group] if c not in data.columns]
        if absent:
            reason = (f"{group} skipped: no column {absent[0]!r} in the data"
                      + {"tertiary_led": " (tertiary and secondary value added are needed: Panel columns 'gdp_tertiary' and 'gdp_secondary', 10k yuan)",
                         "megacity": " (year-end population in persons is needed: Panel column 'population')"}.get(group, ""))
            if on_missing == "error":
                raise InputError(reason, column=absent[0],
                                 fix=f"add the column {absent[0]!r} (Panel or Cities sheet) or drop {group!r} from Settings 'heterogeneity'")
            skipped[group] = reason
            continue
        if group == "coastal":
            per_unit = _unit_attribute(data, unit, coastal_column, _coastal_value)
            values: tuple[str, ...] = ("1", "0")
        elif group == "region":
            per_unit = _unit_attribute(data, unit, region_column, _region_value)
            values = REGIONS
        elif group == "cluster":
            per_unit = _unit_attribute(data, unit, cluster_column, _cluster_value)
            others = sorted({v for v in per_unit.dropna() if v not in CITY_CLUSTERS and v != ""})
            if others:
                notes.append(f"cluster: values {', '.join(others)} are none of BTH, YRD, PRD; "
                             "those cities are counted in every cluster's complement")
            per_unit = per_unit.fillna("")  # blank cluster = in no cluster, not unknown
            values = CITY_CLUSTERS
        elif group == "tertiary_led":
            per_unit, note = _tertiary_led(data, unit, periods, year, tertiary_column, secondary_column)
            notes += note
            values = ("1", "0")
        else:
            per_unit, note = _megacity(data, unit, periods, year, population_column, megacity_threshold)
            notes += note
            values = ("1", "0")
        unknown = int(per_unit.isna().sum())
        if unknown and group not in ("tertiary_led", "megacity"):
            notes.append(f"{group}: {unknown} unit(s) have no value in {columns_needed[group][0]!r}; "
                         f"their rows are left out of the {group} models")
        row_values = units.map(per_unit)
        block = {}
        unknown_rows = row_values.isna().to_numpy()
        for value in values:
            block[dummy_name(group, value)] = np.where(unknown_rows, np.nan, (row_values == value).to_numpy(dtype=float))
        frames.append(pd.DataFrame(block, index=data.index))
        members[group] = tuple(block)
    dummies = pd.concat(frames, axis=1) if frames else pd.DataFrame(index=data.index)
    return GroupDummies(dummies, MappingProxyType(members), year, tuple(notes), MappingProxyType(skipped))


def _check_groups(groups: Sequence[str]) -> list[str]:
    if isinstance(groups, str):
        groups = [g for g in groups.replace(";", ",").split(",")]
    wanted = list(dict.fromkeys(str(g).strip().lower() for g in groups if str(g).strip()))
    bad = [g for g in wanted if g not in GROUPS]
    if bad:
        raise OptionError(
            f"unknown heterogeneity group {bad[0]!r}; allowed: {', '.join(GROUPS)}",
            option="heterogeneity",
            fix=f"list any of {', '.join(GROUPS)} separated by commas (or none)",
        )
    return wanted


def _base_year(periods: pd.Series, base_year: int | None) -> int:
    known = periods.dropna()
    if known.empty:
        raise InputError("the panel has no periods", fix="fill in the year column")
    if base_year is None or (isinstance(base_year, str) and not base_year.strip()):
        return int(known.min())
    try:
        year = int(base_year)
    except (TypeError, ValueError):
        raise OptionError(f"base_year must be a year, found {base_year!r}", option="base_year",
                            fix="type a year of the panel, or leave it blank for the first year") from None
    if not (known == year).any():
        raise OptionError(
            f"base_year {year} is not a period of the panel ({int(known.min())}-{int(known.max())})",
            option="base_year", fix="type a year of the panel, or leave it blank for the first year",
        )
    return year


def _unit_attribute(data: pd.DataFrame, unit: str, column: str, parse) -> pd.Series:
    """One value per unit (NaN when blank in every row); two different values in a unit is an error."""
    raw = data[column]
    # Parse each distinct cell value once (fast on long panels); an error names
    # the first row holding the bad value.
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    first_rows = pd.Series(np.arange(len(raw))).groupby(codes).first()
    parsed_uniques = np.array(
        [parse(v, column, data.index[first_rows[k]]) for k, v in enumerate(uniques)] + [parse(None, column, None)],
        dtype=object,
    )
    parsed = pd.Series(parsed_uniques[codes], index=data.index, dtype=object)  # code -1 (blank) -> the last entry
    distinct = parsed.groupby(data[unit], sort=False).nunique(dropna=True)
    if (distinct > 1).any():
        bad_unit = distinct.index[distinct > 1][0]
        rows = data.index[(data[unit] == bad_unit).to_numpy()]
        found = sorted(str(v) for v in parsed[rows].dropna().unique())
        raise located_error(
            f"unit {bad_unit!r} has different {column!r} values in different rows ({', '.join(found)})",
            rows=list(rows), column=column,
            fix=f"give every row of a city the same {column} (it is a city attribute; the Cities sheet holds it once)",
        )
    return parsed.groupby(data[unit], sort=False).first()


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _coastal_value(value: object, column: str, label: object) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip().lower()
    if isinstance(value, (bool, np.bool_)):
        text = "1" if value else "0"
    if text in _TRUE:
        return "1"
    if text in _FALSE:
        return "0"
    raise located_error(f"expected 1 (coastal) or 0 (inland), found {value!r}", rows=[label],
                        column=column, fix="write 1 for a coastal city and 0 for an inland city")


def _region_value(value: object, column: str, label: object) -> str | None:
    if _blank(value):
        return None
    text = " ".join(str(value).strip().lower().split())
    if text in _REGION_ALIASES:
        return _REGION_ALIASES[text]
    raise located_error(f"expected a region (east, central, west or northeast), found {value!r}",
                        rows=[label], column=column, fix="use the NBS regions: east, central, west, northeast")


def _cluster_value(value: object, column: str, label: object) -> str | None:
    if _blank(value):
        return None  # in no cluster; filled with "" per unit after the consistency check
    text = str(value).strip()
    if text.upper() in _NO_CLUSTER:
        return None
    return _CLUSTER_ALIASES.get(text.upper(), _CLUSTER_ALIASES.get(text, text))


def _base_year_values(
    data: pd.DataFrame, unit: str, periods: pd.Series, year: int, column: str
) -> pd.Series:
    """``column`` in the base year, one value per unit (NaN when the unit has no such row or a blank)."""
    values = pd.Series(numeric_column(data, column), index=data.index)
    at_base = (periods == year).to_numpy()
    per_unit = values[at_base].groupby(data[unit][at_base], sort=False).first()
    all_units = pd.Index(data[unit].drop_duplicates())
    return per_unit.reindex(all_units)


def _flags(condition: pd.Series, defined: pd.Series) -> pd.Series:
    """'1' where ``condition``, '0' where not, None where the attribute is not ``defined``."""
    out = pd.Series([None] * len(condition), index=condition.index, dtype="object")
    out[(defined & condition).to_numpy()] = "1"
    out[(defined & ~condition).to_numpy()] = "0"
    return out


def _tertiary_led(
    data: pd.DataFrame, unit: str, periods: pd.Series, year: int, tertiary: str, secondary: str
) -> tuple[pd.Series, list[str]]:
    tert = _base_year_values(data, unit, periods, year, tertiary)
    sec = _base_year_values(data, unit, periods, year, secondary)
    negative = (tert < 0) | (sec < 0)
    if negative.any():
        bad_unit = negative.index[negative.to_numpy()][0]
        rows = data.index[((data[unit] == bad_unit) & (periods == year)).to_numpy()]
        raise located_error(f"industry output must not be negative (unit {bad_unit!r}, {year})",
                            rows=list(rows), column=tertiary if tert.get(bad_unit, 0) < 0 else secondary,
                            fix="enter value added as a non-negative amount")
    # ratio > 1 <=> tertiary > secondary for positive secondary output; a
    # ratio with zero secondary output and positive tertiary is infinite (> 1).
    defined = tert.notna() & sec.notna() & ((sec > 0) | (tert > 0))
    led = _flags(tert > sec, defined)
    notes = [f"tertiary_led: tertiary/secondary output ratio ({tertiary} / {secondary}) > 1 in {year}"]
    missing = int((~defined).sum())
    if missing:
        notes.append(f"tertiary_led: {missing} unit(s) have no {tertiary}/{secondary} value in {year}; "
                     "their rows are left out of the tertiary_led models")
    return led, notes


def _megacity(
    data: pd.DataFrame, unit: str, periods: pd.Series, year: int, population: str, threshold: float
) -> tuple[pd.Series, list[str]]:
    pop = _base_year_values(data, unit, periods, year, population)
    mega = _flags(pop > threshold, pop.notna())
    notes = [f"megacity: {population} > {threshold:,.0f} persons in {year}"]
    missing = int(pop.isna().sum())
    if missing:
        notes.append(f"megacity: {missing} unit(s) have no {population} value in {year}; "
                     "their rows are left out of the megacity models")
    if pop.notna().any() and float(pop.max()) < _IMPLAUSIBLY_SMALL_POPULATION:
        notes.append(f"megacity: the largest {population} in {year} is {float(pop.max()):,.0f}; the threshold is in "
                     "persons, so the column may be in 10,000 persons (multiply it by 10,000)")
    return mega, notes
