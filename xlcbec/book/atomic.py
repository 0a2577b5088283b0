"""Atomic file writes: a failure at any point leaves the previous file untouched.

The new content goes to a temporary file in the target's own folder (so the
final rename never crosses file systems), is flushed and fsynced, then
replaces the target with :func:`os.replace`, which is atomic on POSIX and
Windows.  If anything fails the temporary file is removed and the old file is
as it was.  Two writers racing for the same target each write their own
temporary file; the last rename wins and the target is always one complete file.

``--in-place`` refreshes also need to know what openpyxl would lose:
:func:`parts_openpyxl_would_drop` (re-exported from :mod:`xlcbec.book.package`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from xlcbec.book.package import parts_openpyxl_would_drop
from xlcbec.errors import InputError

__all__ = ["atomic_write", "atomic_write_bytes", "parts_openpyxl_would_drop"]

NEW_FILE_MODE = 0o644


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write a file at ``path`` through ``write(handle)``, all or nothing.

    OS problems (folder missing or read-only, disk full, target open in
    another program) become an :class:`InputError` that says which step failed.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"the folder '{folder}' does not exist", fix="create the folder or choose another output path")
    if target.is_dir():
        raise InputError(f"'{target}' is a folder, not a file name", fix="give a file name ending in .xlsx")
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(
            f"cannot write in the folder '{folder}' ({exc.strerror or exc})",
            fix="choose a folder you are allowed to write to, e.g. with -o PATH",
        ) from None
    temp = Path(temp_name)
    step = "writing"
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            step = "flushing"
            handle.flush()
            os.fsync(handle.fileno())
        step = "setting permissions of"
        _copy_mode(target, temp)
        step = "replacing"
        os.replace(temp, target)
    except OSError as exc:
        _remove(temp)
        hint = (
            "close the file if it is open in Excel or another program, then try again"
            if step == "replacing"
            else "check free disk space and that the folder is writable"
        )
        raise InputError(f"{step} '{target}' failed ({exc.strerror or exc}); the previous file, if any, is unchanged", fix=hint) from None
    except BaseException:
        _remove(temp)
        raise
    _fsync_folder(folder)
    return target


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    def write(handle: BinaryIO) -> None:
        handle.write(data)

    return atomic_write(path, write)


def _copy_mode(target: Path, temp: Path) -> None:
    """Keep an existing file's permissions; new files get rw-r--r-- (mkstemp makes rw-------)."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    os.chmod(temp, mode)


def _remove(temp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the OS allows it (POSIX); best effort."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
