"""The checked inputs of a workbook, remembered between runs while the sheets they come from are unchanged.

A ribbon click or a command is a fresh process, and a user clicks one analysis
after another on the same data.  Parsing the Panel's XML, scanning it and
typing every column is most of a one-analysis click (about 0.5 s for the demo's
285 cities x 12 years, 7 MB of sheet XML), while the inputs pickled take a few
milliseconds to load.  So a successful read is kept in the user's cache folder
(:mod:`xlcbec.user_cache`, ``inputs/``) under a key made of

- the bytes of every part the reading depends on, as stored in the zip (no
  decompression): the input sheets' XML, the shared strings, the styles (which
  tell dates from numbers), the workbook part and its relationships, and every
  other part outside the sheets, drawings and document properties.  Result
  sheets are left out, so a refresh that writes them does not change the key;
- the workbook's full path (the inputs carry it, for messages);
- how it was read (every problem collected or the first; the engine);
- the code that reads: xlcbec's own files (path, size, time) and the versions
  of Python, pandas, NumPy (:func:`xlcbec.user_cache.code_fingerprint`) and
  python-calamine.

A hit is therefore the object this code would build from these bytes.  Only
successful reads are kept (a workbook with problems is read afresh each time,
so its messages are always current); how entries are stored and dropped is
:func:`xlcbec.user_cache.remembered`.
"""

from __future__ import annotations

import struct
import weakref
import zipfile
from collections.abc import Callable
from typing import Any, TypeVar

from xlcbec.book.aliases import find_sheet
from xlcbec.book.contract import CITIES, INDICATORS, KEYWORDS, PANEL, POLICIES, SETTINGS
from xlcbec.book.package import Package, seek_stored_data
from xlcbec.errors import InputError
from xlcbec.user_cache import digest, remembered

INPUT_SHEETS = (SETTINGS, PANEL, CITIES, INDICATORS, POLICIES, KEYWORDS)
# Parts that belong to sheets or describe the file, never to the values read (their sheets' own are added back).
_OUTSIDE_INPUTS = ("xl/worksheets/", "xl/drawings/", "xl/charts/", "xl/media/", "xl/printerSettings/", "docProps/")

T = TypeVar("T")


# The key of each inputs object read here, by identity: a copy with other frames has none.
_SOURCES: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


def cached(package: Package, how: tuple[Any, ...], read: Callable[[], T]) -> T:
    """``read()``, or what it returned for the same bytes, path, ``how`` and code before."""
    key = _key(package, how)
    if key is None:
        return read()
    value = remembered("inputs", key, read)
    _SOURCES[value] = key
    return value


def source_key(inputs: Any) -> str | None:
    """The key of the bytes ``inputs`` were read from (None: not read through :func:`cached`).

    What is computed from these inputs alone can be remembered under it
    (:func:`xlcbec.study.prepared_study`).
    """
    try:
        return _SOURCES.get(inputs)
    except TypeError:  # not weakly referable
        return None


def _key(package: Package, how: tuple[Any, ...]) -> str | None:
    """The digest of everything the inputs depend on; None when it cannot be told (then nothing is cached)."""
    try:
        sheets = {package.sheet_parts.get(actual) for code in INPUT_SHEETS
                  if (actual := find_sheet(code, package.sheet_names)) is not None}
    except InputError:  # an ambiguous sheet name: the read reports it
        return None
    parts: list[bytes | str] = [repr((str(package.path.resolve()), how, _calamine_version()))]
    try:
        with open(package.path, "rb") as handle, zipfile.ZipFile(handle) as zf:
            for info in zf.infolist():
                if info.filename in sheets or not info.filename.startswith(_OUTSIDE_INPUTS):
                    parts.append(repr((info.filename, info.compress_type, info.CRC, info.file_size)))
                    parts.append(_stored_bytes(handle, info))
    except (OSError, zipfile.BadZipFile, struct.error, ValueError):
        return None
    return digest(*parts)


def _calamine_version() -> str:
    try:
        import python_calamine
    except ImportError:
        return "absent"
    return str(getattr(python_calamine, "__version__", "present"))


def _stored_bytes(handle: Any, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes as stored in the zip (still compressed)."""
    seek_stored_data(handle, info)
    data = handle.read(info.compress_size)
    if len(data) != info.compress_size:
        raise ValueError("a truncated member")
    return data
