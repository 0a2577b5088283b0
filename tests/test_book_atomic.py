"""Atomic saves: a failure at any step leaves the previous file byte-identical and no temporary file.

Tolerances: none (bytes are compared).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest

from xlcbec.book import atomic
from xlcbec.book.atomic import atomic_write, atomic_write_bytes
from xlcbec.book.openpyxl_backend import OpenpyxlBackend
from xlcbec.errors import InputError
from xlcbec.report.tables import Cell, TableSpec

OLD = b"previous workbook bytes"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "out.xlsx"
    path.write_bytes(OLD)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_success_replaces_the_file_and_leaves_no_temporary(target):
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert leftovers(target.parent) == []


class Boom(Exception):
    pass


def _write_then_fail(handle):
    handle.write(b"half a workbook")
    raise Boom("the writer failed half-way")


def test_writer_failure_keeps_the_old_file(target):
    with pytest.raises(Boom):
        atomic_write(target, _write_then_fail)
    assert target.read_bytes() == OLD
    assert leftovers(target.parent) == []


@pytest.mark.parametrize(
    ("name", "owner"),
    [("fsync", os), ("chmod", os), ("replace", os)],
)
def test_os_failure_at_each_step_keeps_the_old_file(target, monkeypatch, name, owner):
    def fail(*args, **kwargs):
        raise OSError(28, "simulated failure")

    monkeypatch.setattr(owner, name, fail)
    with pytest.raises(InputError, match="the previous file, if any, is unchanged"):
        atomic_write_bytes(target, b"new content")
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert leftovers(target.parent) == []


def test_write_failure_with_an_os_error(target):
    def disk_full(handle):
        handle.write(b"partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="No space left on device") as caught:
        atomic_write(target, disk_full)
    assert "free disk space" in caught.value.fix
    assert target.read_bytes() == OLD and leftovers(target.parent) == []


def test_replace_failure_suggests_closing_the_file(target, monkeypatch):
    def locked(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(InputError) as caught:
        atomic_write_bytes(target, b"x")
    assert "open in Excel" in caught.value.fix


def test_unwritable_folder_is_a_clear_input_error(target, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # as a read-only folder would
    with pytest.raises(InputError, match="cannot write in the folder") as caught:
        atomic_write_bytes(target, b"x")
    assert "folder you are allowed to write to" in caught.value.fix
    assert target.read_bytes() == OLD


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        atomic_write_bytes(tmp_path / "no" / "such" / "out.xlsx", b"x")


def test_new_files_are_readable_by_others_and_existing_modes_kept(tmp_path, target):
    fresh = atomic_write_bytes(tmp_path / "fresh.xlsx", b"x")
    assert fresh.stat().st_mode & 0o777 == atomic.NEW_FILE_MODE
    os.chmod(target, 0o600)
    atomic_write_bytes(target, b"y")
    assert target.stat().st_mode & 0o777 == 0o600


def test_concurrent_writers_leave_one_complete_file(target):
    payloads = [bytes([65 + i]) * (200_000 + i) for i in range(6)]
    barrier = threading.Barrier(len(payloads))
    errors: list[BaseException] = []

    def writer(data: bytes) -> None:
        try:
            barrier.wait()
            atomic_write_bytes(target, data)
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert target.read_bytes() in payloads
    assert leftovers(target.parent) == []


def test_backend_save_failure_keeps_the_previous_results(target, monkeypatch):
    backend = OpenpyxlBackend.new()
    backend.write_table("Baseline", TableSpec(key="t", title="x", header=(), body=((Cell(1.0),),)), (1, 1))

    def fail(*args, **kwargs):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(InputError):
        backend.save(target)
    assert target.read_bytes() == OLD and leftovers(target.parent) == []
    monkeypatch.undo()
    backend.save(target)
    assert target.read_bytes()[:2] == b"PK"


def test_backend_refuses_other_extensions(tmp_path):
    with pytest.raises(InputError, match=r"\.xlsx"):
        OpenpyxlBackend.new().save(tmp_path / "out.xlsm")
