"""The user's cache folder, shared by xlcbec's caches (jieba's dictionary and segmentations, read inputs).

Every cache kept there is an accelerator only: one that cannot be read is
ignored and one that cannot be written is skipped, and the results are the
same either way, only slower.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

CACHE_VARIABLE = "XLCBEC_CACHE_DIR"
MAX_ENTRIES = 16  # per kind of remembered object; the least recently used go first

T = TypeVar("T")


def cache_dir() -> Path:
    """The folder for xlcbec's caches: ``XLCBEC_CACHE_DIR`` if set, else the platform's per-user cache folder.

    Windows ``%LOCALAPPDATA%\\xlcbec\\Cache``, macOS ``~/Library/Caches/xlcbec``,
    elsewhere ``$XDG_CACHE_HOME/xlcbec`` (default ``~/.cache/xlcbec``).
    """
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen:
        return Path(chosen)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "xlcbec" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "xlcbec"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "xlcbec"


def private_folder(name: str) -> Path | None:
    """``<cache_dir>/<name>``, created private to the user; None when it cannot be made or written."""
    folder = cache_dir() / name
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def digest(*parts: bytes | str) -> str:
    """A short hex key for ``parts`` (with the code that computes, see :func:`code_fingerprint`)."""
    hashed = hashlib.blake2b(digest_size=20)
    for part in (code_fingerprint(), *parts):
        data = part.encode("utf-8") if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "little"))
        hashed.update(data)
    return hashed.hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """xlcbec's files by path, size and modification time, and the versions of Python, pandas and NumPy.

    A remembered object is only ever used by the code that made it.
    """
    import numpy
    import pandas

    root = Path(__file__).resolve().parent
    files = []
    for folder, _dirs, names in os.walk(root):
        for name in sorted(names):
            if name.endswith((".py", ".csv", ".json", ".txt")):
                path = os.path.join(folder, name)
                info = os.stat(path)
                files.append(f"{os.path.relpath(path, root)}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join([sys.version, pandas.__version__, numpy.__version__, *sorted(files)])


def remembered(kind: str, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned under ``key`` before (kept in ``<cache_dir>/<kind>``).

    Only a value ``compute`` returns is kept; an exception passes through and
    nothing is stored.  Entries are pickles written whole and renamed into
    place, so concurrent runs never load half of one; a damaged entry is
    dropped and computed again.  They live in a folder private to the user:
    whoever can write there can already change the user's Python.
    """
    folder = private_folder(kind)
    if folder is None:
        return compute()
    entry = folder / f"{key}.pickle"
    found = _load(entry)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    _store(folder, entry, value)
    return value


def _load(entry: Path) -> Any:
    try:
        with open(entry, "rb") as handle:
            value = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or foreign entry: computed afresh, and dropped
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
        entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[MAX_ENTRIES:]:
            old.unlink()
    except Exception:  # a cache that cannot be written is skipped
        return
