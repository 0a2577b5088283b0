"""The user's cache folder, shared by xlcbec's caches (jieba's dictionary and segmentations, read inputs).

Every cache kept there is an accelerator only: one that cannot be read is
ignored and one that cannot be written is skipped, and the results are the
same either way, only slower.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CACHE_VARIABLE = "XLCBEC_CACHE_DIR"


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
