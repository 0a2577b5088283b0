"""The read cache: a hit is exactly what reading the same bytes gives; any change to what is read is a miss.

Frames are compared with check_exact=True: a hit must be the very values a
fresh read gives, not values close to them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.book_files import input_book, patch_zip, replace_cell, sheet_part, small_cities, small_panel
from xlcbec import user_cache
from xlcbec.book import read_cache, reading
from xlcbec.book.package import open_package
from xlcbec.errors import InputError


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XLCBEC_CACHE_DIR", str(folder))
    return folder / "inputs"


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The workbooks actually parsed (cache misses), in order."""
    parsed: list[str] = []
    real = reading._open_source

    def counting(package, engine):
        parsed.append(package.path.name)
        return real(package, engine)

    monkeypatch.setattr(reading, "_open_source", counting)
    return parsed


def _same_inputs(a: reading.WorkbookInputs, b: reading.WorkbookInputs) -> None:
    for name in ("panel", "cities", "indicators", "policies", "keywords"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
        assert getattr(a, name).attrs == getattr(b, name).attrs
    assert a.settings == b.settings
    assert (a.notes, a.sheet_names, a.path, a.spelling) == (b.notes, b.sheet_names, b.path, b.spelling)


def test_a_second_read_of_the_same_bytes_is_a_hit_and_equal(tmp_path, cache, reads):
    book = input_book(tmp_path / "book.xlsx", panel=small_panel(), cities=small_cities())
    first = reading.read_inputs(book, collect_errors=True)
    second = reading.read_inputs(book, collect_errors=True)
    assert reads == ["book.xlsx"]
    assert len(list(cache.glob("*.pickle"))) == 1
    _same_inputs(first, second)
    # How it is read is part of the key: stopping at the first problem is another read.
    reading.read_inputs(book)
    assert reads == ["book.xlsx", "book.xlsx"]


def test_a_changed_input_cell_is_read_afresh(tmp_path, cache, reads):
    book = input_book(tmp_path / "book.xlsx", panel=small_panel(), cities=small_cities())
    before = reading.read_inputs(book)
    cell = before.panel.attrs["column_letters"]["HQD"] + "2"
    part = sheet_part(book, "Panel")
    edited = patch_zip(book, tmp_path / "edited.xlsx", {part: lambda xml: replace_cell(xml, cell, f'<c r="{cell}"><v>0.987</v></c>')})
    shutil.move(edited, book)  # the same path, new bytes
    after = reading.read_inputs(book)
    assert reads == ["book.xlsx", "book.xlsx"]
    assert after.panel.loc[2, "HQD"] == 0.987 and before.panel.loc[2, "HQD"] != 0.987


def test_the_same_bytes_at_another_path_carry_that_path(tmp_path, cache, reads):
    book = input_book(tmp_path / "book.xlsx", panel=small_panel(), cities=small_cities())
    copy = shutil.copy(book, tmp_path / "copy.xlsx")
    assert reading.read_inputs(book).path != reading.read_inputs(copy).path
    assert reads == ["book.xlsx", "copy.xlsx"]


def test_sheets_that_are_not_read_do_not_change_the_key(tmp_path):
    import openpyxl

    book = input_book(tmp_path / "book.xlsx", panel=small_panel(), cities=small_cities())
    workbook = openpyxl.load_workbook(book)
    workbook.create_sheet("Baseline")["A1"] = 1.5
    workbook.save(book)
    how = ("read_inputs", False, "auto")
    key = read_cache._key(open_package(book), how)
    assert key is not None

    def edited(part: str, old: bytes, new: bytes) -> str | None:
        patch_zip(book, tmp_path / "edited.xlsx", {part: lambda xml: xml.replace(old, new)})
        shutil.move(tmp_path / "edited.xlsx", book)
        return read_cache._key(open_package(book), how)

    assert edited(sheet_part(book, "Baseline"), b"<v>1.5</v>", b"<v>2.5</v>") == key  # a result sheet: not read
    letter = reading.read_inputs(book).panel.attrs["column_letters"]["HQD"]
    panel = sheet_part(book, "Panel")
    assert edited(panel, f'r="{letter}2"'.encode(), f'r="{letter}2" '.encode()) != key  # any byte of the Panel


def test_a_workbook_with_problems_is_never_kept(tmp_path, cache, reads):
    panel = small_panel().astype({"HQD": object})
    panel.loc[panel.index[0], "HQD"] = "n/a"
    book = input_book(tmp_path / "bad.xlsx", panel=panel, cities=small_cities())
    for _ in range(2):
        with pytest.raises(InputError):
            reading.read_inputs(book)
    assert reads == ["bad.xlsx", "bad.xlsx"]
    assert not list(cache.glob("*.pickle"))


def test_a_damaged_entry_is_dropped_and_the_book_read_afresh(tmp_path, cache, reads):
    book = input_book(tmp_path / "book.xlsx", panel=small_panel(), cities=small_cities())
    first = reading.read_inputs(book)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    again = reading.read_inputs(book)
    assert reads == ["book.xlsx", "book.xlsx"]
    _same_inputs(first, again)
    assert entry.exists() and entry.read_bytes() != b"not a pickle"  # rewritten by the fresh read


def test_no_cache_folder_means_plain_reads(tmp_path, monkeypatch, reads):
    blocker = tmp_path / "a file"
    blocker.write_text("in the way")
    monkeypatch.setenv("XLCBEC_CACHE_DIR", str(blocker / "cache"))
    book = input_book(tmp_path / "book.xlsx", panel=small_panel(), cities=small_cities())
    _same_inputs(reading.read_inputs(book), reading.read_inputs(book))
    assert reads == ["book.xlsx", "book.xlsx"]


def test_old_entries_are_dropped_beyond_the_limit(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(user_cache, "MAX_ENTRIES", 2)
    for name in ("a", "b", "c"):
        reading.read_inputs(input_book(tmp_path / f"{name}.xlsx", panel=small_panel(), cities=small_cities()))
    assert len(list(cache.glob("*.pickle"))) == 2


def test_a_remembered_study_gives_the_same_run(demo_book, cache):
    """The second run loads the inputs and the prepared study; its estimates and notes are the first run's, exactly."""
    from xlcbec import jobs

    only = ["index", "baseline", "event_study"]
    first = jobs.run_inputs(reading.read_inputs(demo_book), only=only)
    second = jobs.run_inputs(reading.read_inputs(demo_book), only=only)
    assert len(list((cache.parent / "studies").glob("*.pickle"))) == 1
    pd.testing.assert_frame_equal(first.study.data, second.study.data, check_exact=True)
    assert first.notes == second.notes and first.warnings == second.warnings
    pd.testing.assert_frame_equal(first.estimates, second.estimates, check_exact=True)
    # The study's locate is the workbook's own, not the remembered one's: errors still land on the sheets.
    from xlcbec.errors import InputError

    placed = second.study.locate(InputError("x", column="HQD", row=[5]))
    assert placed.sheet is not None
