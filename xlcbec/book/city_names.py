"""Matching city names as yearbooks print them to the 285 prefecture-level cities.

A name matches a city when, after folding full-width characters and removing
every space (ordinary, full-width, non-breaking), it equals the city's
Chinese name with or without its suffix 市, or an older form with 地区 or 盟
(毕节地区 and 毕节市 are one city; 乌兰察布盟 is 乌兰察布市), or the city's
English name when no other city shares it, or its 6-digit division code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from xlcbec.book import prefill

_SPACES = re.compile(r"\s+")
_SUFFIXES = ("地区", "市", "盟")


def city_key(name: object) -> str:
    """A name as compared: NFKC, no spaces, lower case, suffix 市 / 地区 / 盟 removed."""
    text = _SPACES.sub("", unicodedata.normalize("NFKC", str(name))).casefold()
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


@dataclass(frozen=True)
class CityIndex:
    """Name -> division code for the 285 cities; ``names`` gives each code its Chinese and English names."""

    codes: dict[str, int]
    names: dict[int, tuple[str, str]]

    def match(self, value: object) -> int | None:
        """The division code ``value`` names, or None."""
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, (int, float)) and float(value).is_integer():
            return int(value) if int(value) in self.names else None
        text = str(value).strip()
        if text.isdigit():
            return int(text) if int(text) in self.names else None
        return self.codes.get(city_key(text))


@lru_cache(maxsize=1)
def city_index() -> CityIndex:
    """The 285 cities of ``xlcbec/data/cities.csv``."""
    zh = prefill.cities("zh")
    en = prefill.cities("en")
    codes: dict[str, int] = {}
    names: dict[int, tuple[str, str]] = {}
    english = en["city_name"].map(city_key)
    shared = set(english[english.duplicated(keep=False)])
    for code, name_zh, name_en in zip(zh["city"], zh["city_name"], en["city_name"]):
        code = int(code)
        names[code] = (str(name_zh), str(name_en))
        codes[city_key(name_zh)] = code
        if city_key(name_en) not in shared:
            codes[city_key(name_en)] = code
    return CityIndex(codes=codes, names=names)


def city_names(language: str) -> pd.Series:
    """Division code -> city name in ``language``."""
    index = city_index()
    return pd.Series({code: pair[0] if language == "zh" else pair[1] for code, pair in index.names.items()})
