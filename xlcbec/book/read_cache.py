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
  of Python, pandas, NumPy and python-calamine.

A hit is therefore the object this code would build from these bytes.  Only
successful reads are kept (a workbook with problems is read afresh each time,
so its messages are always current), at most :data:`MAX_ENTRIES` of them, the
least recently used dropped first.  A file is written whole and renamed into
place, so concurrent runs never load half an entry; one that cannot be loaded
is ignored and removed.  The entries are pickles in a folder private to the
user: whoever can write there can already change the user's Python.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import struct
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from xlcbec.book.aliases import find_sheet
from xlcbec.book.contract import CITIES, INDICATORS, KEYWORDS, PANEL, POLICIES, SETTINGS
from xlcbec.book.package import Package
from xlcbec.errors import InputError
from xlcbec.user_cache import private_folder

FORMAT = 1  # raise when the layout of the cached objects changes
MAX_ENTRIES = 16
INPUT_SHEETS = (SETTINGS, PANEL, CITIES, INDICATORS, POLICIES, KEYWORDS)
# Parts that belong to sheets or describe the file, never to the values read (their sheets' own are added back).
_OUTSIDE_INPUTS = ("xl/worksheets/", "xl/drawings/", "xl/charts/", "xl/media/", "xl/printerSettings/", "docProps/")
_CHUNK = 1024**2

T = TypeVar("T")


def cached(package: Package, how: tuple[Any, ...], read: Callable[[], T]) -> T:
    """``read()``, or what it returned for the same bytes, path, ``how`` and code before."""
    folder = private_folder("inputs")
    key = _key(package, how) if folder is not None else None
    if folder is None or key is None:
        return read()
    entry = folder / f"{key}.pickle"
    found = _load(entry)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = read()
    _store(folder, entry, value)
    return value


def _key(package: Package, how: tuple[Any, ...]) -> str | None:
    """The digest of everything the inputs depend on; None when it cannot be told (then nothing is cached)."""
    try:
        sheets = {package.sheet_parts.get(actual) for code in INPUT_SHEETS
                  if (actual := find_sheet(code, package.sheet_names)) is not None}
    except InputError:  # an ambiguous sheet name: the read reports it
        return None
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((FORMAT, str(package.path.resolve()), how, _code_fingerprint())).encode("utf-8"))
    try:
        with open(package.path, "rb") as handle, zipfile.ZipFile(handle) as zf:
            for info in zf.infolist():
                if info.filename in sheets or not info.filename.startswith(_OUTSIDE_INPUTS):
                    digest.update(repr((info.filename, info.compress_type, info.CRC, info.file_size)).encode("utf-8"))
                    _hash_stored_bytes(handle, info, digest)
    except (OSError, zipfile.BadZipFile, struct.error, ValueError):
        return None
    return digest.hexdigest()


def _hash_stored_bytes(handle: Any, info: zipfile.ZipInfo, digest: Any) -> None:
    """Feed the member's bytes as stored (still compressed) to ``digest``."""
    handle.seek(info.header_offset)
    local = handle.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise ValueError("a damaged local header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    remaining = info.compress_size
    while remaining:
        chunk = handle.read(min(_CHUNK, remaining))
        if not chunk:
            raise ValueError("a truncated member")
        digest.update(chunk)
        remaining -= len(chunk)


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """xlcbec's files by path, size and modification time, and the versions of what reads and builds frames."""
    import numpy
    import pandas

    try:
        import python_calamine
        calamine = getattr(python_calamine, "__version__", "present")
    except ImportError:
        calamine = "absent"
    root = Path(__file__).resolve().parents[1]
    files = []
    for folder, _dirs, names in os.walk(root):
        for name in sorted(names):
            if name.endswith((".py", ".csv", ".json", ".txt")):
                info = os.stat(os.path.join(folder, name))
                files.append(f"{os.path.relpath(os.path.join(folder, name), root)}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join([sys.version, pandas.__version__, numpy.__version__, calamine, *sorted(files)])


def _load(entry: Path) -> Any:
    try:
        with open(entry, "rb") as handle:
            value = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or foreign entry: read afresh, and drop it
        try:
            entry.unlink()
        except OSError:
            pass
        return None
    try:
        os.utime(entry)  # most recently used
    except OSError:
        pass
    return value


def _store(folder: Path, entry: Path, value: Any) -> None:
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temporary, entry)
        except BaseException:
            os.unlink(temporary)
            raise
        _evict(folder)
    except Exception:  # a cache that cannot be written is skipped
        return


def _evict(folder: Path) -> None:
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        try:
            old.unlink()
        except OSError:
            pass
