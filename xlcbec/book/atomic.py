"""Atomic file writes: a failure at any point leaves the previous file untouched.

The new content goes to a temporary file in the target's own folder (so the
final rename never crosses file systems), is flushed and fsynced, then
replaces the target with :func:`os.replace`, which is atomic on POSIX and
Windows.  If anything fails the temporary file is removed and the old file is
as it was.  Two writers racing for the same target each write their own
temporary file; the last rename wins and the target is always one complete file.

With ``overwrite=False`` an existing file is never replaced, not even by a
file that appears between a check and the write: the finished temporary file
is hard-linked to the target name, which fails if the name exists.  A writer
killed half-way leaves its ``.NAME.*.tmp`` behind; the next write to that
target removes such files when they are older than the running process (by
a minute, so that a concurrent writer's file is never taken).

:func:`check_output_paths` checks every path a command will write against
every file it reads and against each other, before anything is read or written.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import stat
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from xlcbec.errors import InputError

__all__ = ["atomic_write", "atomic_write_bytes", "check_output_paths"]

NEW_FILE_MODE = 0o644


_IMPORTED = time.time()


@functools.lru_cache(maxsize=1)
def process_start() -> float:
    """When this process started (seconds since the epoch); the module's import time when the OS will not say.

    Asked only when a leftover temporary is found: psutil costs 40 ms to import, at every click.
    """
    try:
        import psutil  # optional: present with the cluster and test extras

        return float(psutil.Process().create_time())
    except Exception:  # noqa: BLE001 - no psutil or no permission: fall back to the import time
        return _IMPORTED

# A temporary another writer is still finishing (flush, rename) is seconds old at most; one a minute
# older than this process was left by a writer that died.
STALE_MARGIN_SECONDS = 60.0


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None], *, overwrite: bool = True) -> Path:
    """Write a file at ``path`` through ``write(handle)``, all or nothing.

    OS problems (folder missing or read-only, disk full, target open in
    another program) become an :class:`InputError` that says which step failed.
    With ``overwrite=False`` an existing ``path`` is refused, never replaced.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"the folder '{folder}' does not exist", fix="create the folder or choose another output path")
    if target.is_dir():
        raise InputError(f"'{target}' is a folder, not a file name", fix="give a file name ending in .xlsx")
    if not overwrite and os.path.lexists(target):
        raise _exists_error(target)
    _remove_stale_temporaries(folder, target.name)
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
        if overwrite:
            os.replace(temp, target)
        else:
            _move_without_replacing(temp, target)
    except FileExistsError:
        _remove(temp)
        raise _exists_error(target) from None
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


def atomic_write_bytes(path: str | Path, data: bytes, *, overwrite: bool = True) -> Path:
    """:func:`atomic_write` of ``data``."""

    def write(handle: BinaryIO) -> None:
        handle.write(data)

    return atomic_write(path, write, overwrite=overwrite)


def _exists_error(target: Path) -> InputError:
    return InputError(f"'{target}' exists", fix="choose another name, or pass --force to replace it")


def _move_without_replacing(temp: Path, target: Path) -> None:
    """Give ``temp`` the name ``target`` unless that name exists (FileExistsError), even at the last moment."""
    try:
        os.link(temp, target)  # fails if target exists
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if os.name == "nt":
            os.rename(temp, target)  # Windows' rename refuses an existing target
            return
        if os.path.lexists(target):
            raise FileExistsError(str(target)) from None
        os.rename(temp, target)
        return
    _remove(temp)


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Our own temporaries for ``name`` left by a writer that was killed (older than this process)."""
    for leftover in glob.glob(os.path.join(glob.escape(str(folder)), f".{glob.escape(name)}.*.tmp")):
        try:
            if os.stat(leftover).st_mtime < process_start() - STALE_MARGIN_SECONDS:
                os.remove(leftover)
        except OSError:
            pass  # gone already, or not ours to remove: leave it


def check_output_paths(inputs: Sequence[str | Path], outputs: Mapping[str, str | Path]) -> None:
    """Refuse, before anything is read or written, an output that is an input or another output.

    ``outputs`` maps how the user named each output (``-o``, ``--json``, "the
    default output") to its path.  Paths are compared after resolving
    relative parts and links; names differing only in letter case count as the
    same file, as they are on Windows and macOS.  Every output's folder must exist.
    """
    problems: list[InputError] = []
    named = list(outputs.items())
    for role, output in named:
        folder = Path(output).parent if str(Path(output).parent) else Path(".")
        if not folder.is_dir():
            problems.append(InputError(f"the folder of {role} '{output}' does not exist",
                                       fix="create the folder or choose another path"))
        for source in inputs:
            if _same_file(Path(output), Path(source)):
                problems.append(InputError(f"{role} '{output}' is the input workbook '{source}': it would be overwritten",
                                           fix=f"choose another name for {role}"))
    for i, (role_a, a) in enumerate(named):
        for role_b, b in named[i + 1:]:
            if _same_file(Path(a), Path(b)):
                problems.append(InputError(f"{role_a} '{a}' and {role_b} '{b}' are the same file: one would replace the other",
                                           fix=f"give {role_b} another name"))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        from xlcbec.errors import InputErrors

        raise InputErrors(problems)


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        with contextlib.suppress(OSError):
            return os.path.samefile(a, b)
    ra, rb = os.path.realpath(a), os.path.realpath(b)
    return os.path.normcase(ra).casefold() == os.path.normcase(rb).casefold()


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
