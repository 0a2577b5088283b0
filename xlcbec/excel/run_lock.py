"""One ribbon run per workbook at a time.

On macOS, xlwings' ``RunPython`` starts Python in the background and returns
at once, so Excel takes the next click while the first run still reads or
writes the workbook.  A second run on the same workbook would then read half
written result sheets or replace them under the first.  :func:`run_lock`
prevents that: each run holds an exclusive lock on a small file named after
the workbook; a run that finds it held stops with :class:`RunInProgress`
before it touches the workbook.

The lock is an operating-system lock (``fcntl.flock`` on macOS and Linux,
``msvcrt.locking`` on Windows), so it is released when the process ends, even
if it crashes: a lock left by a run that died never blocks the next click.
On Windows ``RunPython`` waits for Python, so the lock never refuses a click
there; it costs one small file in the temporary folder.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final

from xlcbec.errors import XlcbecError

LOCK_PREFIX: Final = "xlcbec-run-"


class RunInProgress(XlcbecError):
    """Another xlcbec run holds the workbook; the message says to wait for it."""


def lock_path(workbook: str, folder: Path | None = None) -> Path:
    """The lock file of ``workbook`` (its full name as Excel gives it)."""
    # Letter case is ignored as Windows and macOS ignore it in file names.
    digest = hashlib.sha256(os.path.normcase(workbook).casefold().encode("utf-8")).hexdigest()[:20]
    return (folder if folder is not None else Path(tempfile.gettempdir())) / f"{LOCK_PREFIX}{digest}.lock"


def _try_lock(handle: BinaryIO) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: BinaryIO) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def run_lock(workbook: str, *, folder: Path | None = None) -> Iterator[None]:
    """Hold the lock of ``workbook`` for the ``with`` block; :class:`RunInProgress` if another run holds it."""
    path = lock_path(workbook, folder)
    with path.open("a+b") as handle:
        if not _try_lock(handle):
            raise RunInProgress(
                f"xlcbec is still running on {Path(workbook).name} (an earlier click). "
                "Wait until the status bar no longer shows xlcbec, then click again. "
                "xlcbec 仍在处理此工作簿，请等状态栏的 xlcbec 提示消失后再点击。"
            )
        try:
            yield
        finally:
            _unlock(handle)
