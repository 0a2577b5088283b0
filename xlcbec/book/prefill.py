"""What the template pre-fills from public data: Cities, Indicators, Policies and Keywords.

Sources (provenance in ``xlcbec/data/README.md``): ``cities.csv`` (the 285
prefecture-level cities and their real CBEC pilot years),
``indicator_system.csv`` (the HQD indicator system and the digital-
infrastructure index), ``policy_documents.csv`` (titles of central-government
CBEC documents) and the built-in keyword dictionary.  Frames are indexed by the
spreadsheet row they become (data from row 2) and use the contract's column
codes; values are in the template's language where a Chinese spelling is read
back to the same code (regions, clusters, dimensions, yes/no).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from xlcbec.book.contract import CITIES_ATTRIBUTES, CITY_NAME, INDICATORS_COLUMNS, INDICATORS_INFO_COLUMNS
from xlcbec.core.did.city_groups import CLUSTER_NAMES_ZH, REGION_NAMES_ZH
from xlcbec.core.index.system import indicator_system

YES = {"en": "yes", "zh": "是"}
NO = {"en": "no", "zh": "否"}


@lru_cache(maxsize=1)
def _cities_csv() -> pd.DataFrame:
    with resources.files("xlcbec").joinpath("data", "cities.csv").open("rb") as handle:
        return pd.read_csv(handle, dtype={"code": np.int64, "pilot_year": float, "cluster": object})


def _sheet_rows(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    return frame


def cities(language: str, *, unit: str = "city") -> pd.DataFrame:
    """The Cities sheet: code, name, province, region, coastal, cluster, municipality, pilot year (blank = never)."""
    raw = _cities_csv()
    zh = language == "zh"
    frame = pd.DataFrame({
        unit: raw["code"],
        CITY_NAME: raw["city_zh" if zh else "city_en"],
        "province": raw["province_zh" if zh else "province_en"],
        "region": raw["region"].map(REGION_NAMES_ZH) if zh else raw["region"],
        "coastal": raw["coastal"].astype(np.int64),
        "cluster": raw["cluster"].map(lambda c: None if pd.isna(c) else CLUSTER_NAMES_ZH.get(c, c) if zh else c),
        "municipality": raw["municipality"].astype(np.int64),
        "pilot_year": raw["pilot_year"].astype("Int64"),
    })
    return _sheet_rows(frame[[unit, CITY_NAME, *CITIES_ATTRIBUTES]])


def indicators(language: str) -> pd.DataFrame:
    """The Indicators sheet: HQD (20 indicators) and diginf (6), with names and units for the reader."""
    records = [
        {"index": ind.index, "column": ind.column, "dimension": ind.dimension_label(language),
         "direction": ind.direction, "include": YES[language], "name": ind.name(language), "unit": ind.unit}
        for ind in indicator_system()
    ]
    return _sheet_rows(pd.DataFrame.from_records(records, columns=[*INDICATORS_COLUMNS, *INDICATORS_INFO_COLUMNS]))


def policies(language: str) -> pd.DataFrame:
    """The Policies sheet: year, title and issuer of 20 central-government documents; the text is left to the user."""
    with resources.files("xlcbec").joinpath("data", "policy_documents.csv").open("rb") as handle:
        raw = pd.read_csv(handle, dtype={"year": np.int64})
    return _sheet_rows(pd.DataFrame({
        "year": raw["year"], "title": raw["title_zh" if language == "zh" else "title_en"], "issuer": raw["issuer"],
        "text": pd.Series([None] * len(raw), dtype=object),
    }))


def keywords() -> pd.DataFrame:
    """The Keywords sheet: the built-in dictionary, Chinese then English keywords."""
    from xlcbec.core.text.policy_text import load_default_keywords

    return _sheet_rows(load_default_keywords("both"))
