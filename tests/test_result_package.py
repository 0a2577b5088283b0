"""The refresh output written by the zip-level merge against the openpyxl route.

Two routes to the same workbook: :func:`xlcbec.book.result_package.save_results`
copies the input package and adds the result sheets; the plain route loads
the input into openpyxl, writes the results and saves.  Both must give the
same sheets in the same order with the same values, number formats, fonts,
borders, alignment, column widths, frozen panes, filters and charts; the
merge must keep every input part byte for byte (all but the four parts that
list parts and styles, which only gain entries).

Tolerances: none; values, styles and bytes are compared exactly.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName

from xlcbec import jobs
from xlcbec.book import result_package
from xlcbec.book.openpyxl_backend import OpenpyxlBackend
from xlcbec.book.reading import read_inputs
from xlcbec.book.result_package import Unsupported, plan_merge, save_results
from xlcbec.book.template import write_input_workbook
from xlcbec.demo_data import make_county_panel

CHANGED_PARTS = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}


@pytest.fixture(scope="module")
def inputs_book(tmp_path_factory) -> Path:
    demo = make_county_panel(n_units=40, years=range(2010, 2018))
    return write_input_workbook(tmp_path_factory.mktemp("merge") / "inputs.xlsx", panel=demo.panel,
                                cities=demo.cities, indicators=demo.indicators)


@pytest.fixture(scope="module")
def report(inputs_book):
    return jobs.run_inputs(read_inputs(inputs_book), only=("index", "baseline", "event_study"))


def _write(report, book):
    # One source name for every route, so that the Log sheets compare equal.
    return lambda backend: jobs.write_report(backend, report, source="inputs.xlsx")


def _plain(book: Path, report, target: Path) -> Path:
    backend = OpenpyxlBackend.open(book)
    _write(report, book)(backend)
    return backend.save(target)


def _cell_facts(cell) -> tuple:
    font, border, align = cell.font, cell.border, cell.alignment
    return (cell.value, cell.number_format, font.name, font.b, font.i, font.sz, font.color.rgb if font.color else None,
            border.top.style, border.bottom.style, align.horizontal, align.vertical, cell.quotePrefix,
            cell.fill.fill_type, cell.fill.fgColor.rgb)


def assert_same_workbook(left: Path, right: Path, *, same_active: bool = True) -> None:
    a, b = openpyxl.load_workbook(left), openpyxl.load_workbook(right)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        wa, wb = a[name], b[name]
        assert (wa.max_row, wa.max_column) == (wb.max_row, wb.max_column), name
        for row_a, row_b in zip(wa.iter_rows(), wb.iter_rows()):
            for ca, cb in zip(row_a, row_b):
                assert _cell_facts(ca) == _cell_facts(cb), (name, ca.coordinate)
        assert {k: v.width for k, v in wa.column_dimensions.items()} == {k: v.width for k, v in wb.column_dimensions.items()}
        assert wa.freeze_panes == wb.freeze_panes, name
        assert wa.auto_filter.ref == wb.auto_filter.ref, name
        assert len(wa._charts) == len(wb._charts), name
        assert dict(wa.defined_names).keys() == dict(wb.defined_names).keys(), name
        assert wa.print_area == wb.print_area, name
    if same_active:
        assert a.active.title == b.active.title


def test_merge_equals_the_openpyxl_route(inputs_book, report, tmp_path):
    merged = save_results(inputs_book, tmp_path / "merged.xlsx", _write(report, inputs_book))
    plain = _plain(inputs_book, report, tmp_path / "plain.xlsx")
    assert_same_workbook(merged, plain)
    assert sum(len(ws._charts) for ws in openpyxl.load_workbook(merged).worksheets) >= 1  # the event-study chart
    with zipfile.ZipFile(merged) as zf:
        assert zf.testzip() is None
        assert len(zf.namelist()) == len(set(zf.namelist()))


def test_merge_keeps_every_input_part_byte_for_byte(inputs_book, report, tmp_path):
    merged = save_results(inputs_book, tmp_path / "merged.xlsx", _write(report, inputs_book))
    with zipfile.ZipFile(inputs_book) as zin, zipfile.ZipFile(merged) as zout:
        out_names = set(zout.namelist())
        for info in zin.infolist():
            assert info.filename in out_names
            if info.filename not in CHANGED_PARTS:
                assert zout.read(info.filename) == zin.read(info.filename), info.filename
                assert zout.getinfo(info.filename).compress_size == info.compress_size  # copied, not recompressed
        old_workbook = zin.read("xl/workbook.xml").decode()
        new_workbook = zout.read("xl/workbook.xml").decode()
        for sheet in ("Settings", "Panel", "Cities", "Indicators"):
            assert f'name="{sheet}"' in new_workbook and f'name="{sheet}"' in old_workbook


def test_user_sheets_styles_and_names_survive(inputs_book, report, tmp_path):
    """A user's own sheet after the inputs, with a custom style, a local name and the active tab."""
    book = openpyxl.load_workbook(inputs_book)
    notes = book.create_sheet("Notes")
    notes["A1"] = 0.1234
    notes["A1"].number_format = "0.000%"
    notes["A1"].font = Font(name="Arial", bold=True, color="FFFF0000")
    notes.defined_names["checked"] = DefinedName("checked", attr_text="Notes!$A$1")
    notes.print_area = "A1:B4"
    book.active = len(book.sheetnames) - 1
    custom = tmp_path / "custom.xlsx"
    book.save(custom)

    merged = save_results(custom, tmp_path / "merged.xlsx", _write(report, custom))
    plain = _plain(custom, report, tmp_path / "plain.xlsx")
    # openpyxl keeps the active tab's position, so there the results' first sheet becomes
    # active; the merge keeps the user's sheet active.
    assert_same_workbook(merged, plain, same_active=False)
    result = openpyxl.load_workbook(merged)
    assert result.sheetnames.index("Notes") == len(result.sheetnames) - 1  # results go before the user's sheet
    assert result.active.title == "Notes"
    cell = result["Notes"]["A1"]
    assert (cell.number_format, cell.font.name, cell.font.b, cell.font.color.rgb) == ("0.000%", "Arial", True, "FFFF0000")
    assert "checked" in result["Notes"].defined_names
    assert result["Baseline"]["A1"].font.name == "Times New Roman"


def test_a_second_refresh_rebuilds_the_result_sheets_in_place(inputs_book, report, tmp_path, monkeypatch):
    """Refreshing a workbook that already holds result sheets replaces them, parts and names included."""
    first = save_results(inputs_book, tmp_path / "first.xlsx", _write(report, inputs_book))
    opened: list[Path] = []
    real_open = OpenpyxlBackend.open.__func__

    def counting_open(cls, path, **kwargs):
        opened.append(Path(path))
        return real_open(cls, path, **kwargs)

    monkeypatch.setattr(OpenpyxlBackend, "open", classmethod(counting_open))
    again = save_results(first, tmp_path / "again.xlsx", _write(report, first))
    assert opened == []  # merged, not loaded into openpyxl
    monkeypatch.undo()
    plain = _plain(first, report, tmp_path / "plain.xlsx")
    assert_same_workbook(again, plain)
    assert_same_workbook(again, first)
    with zipfile.ZipFile(first) as before, zipfile.ZipFile(again) as after:
        assert len(after.namelist()) == len(before.namelist())  # the old sheets' parts are gone, not kept beside
        assert after.testzip() is None
        content_types = after.read("[Content_Types].xml").decode()
        for name in after.namelist():
            if name.endswith(".xml") and not name.startswith(("[", "_rels")) and "/_rels/" not in name:
                assert f'PartName="/{name}"' in content_types, name
        workbook = after.read("xl/workbook.xml").decode()
        assert workbook.count("_xlnm._FilterDatabase") == before.read("xl/workbook.xml").decode().count("_xlnm._FilterDatabase")

    # Only some analyses again: the other result sheets stay as they were.
    partial_report = jobs.run_inputs(read_inputs(first), only=("baseline",))
    partly = save_results(first, tmp_path / "partly.xlsx", _write(partial_report, first))
    assert_same_workbook(partly, _plain(first, partial_report, tmp_path / "partly_plain.xlsx"))
    assert "EventStudy" in openpyxl.load_workbook(partly).sheetnames


def test_a_sheet_differing_only_in_case_takes_the_openpyxl_route(inputs_book, report, tmp_path):
    book = openpyxl.load_workbook(inputs_book)
    book.create_sheet("baseline")
    clashing = tmp_path / "clashing.xlsx"
    book.save(clashing)
    results = io.BytesIO()
    backend = OpenpyxlBackend.results_only(clashing)
    _write(report, clashing)(backend)
    backend.workbook.save(results)
    with pytest.raises(Unsupported, match="already has a sheet"):
        plan_merge(clashing, results.getvalue())


def test_macro_enabled_packages_are_not_merged(inputs_book, report, tmp_path):
    xlsm = tmp_path / "inputs.xlsm"
    with zipfile.ZipFile(inputs_book) as zin, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
            zout.writestr(info, data)
    results = io.BytesIO()
    backend = OpenpyxlBackend.results_only(inputs_book)
    _write(report, inputs_book)(backend)
    backend.workbook.save(results)
    with pytest.raises(Unsupported, match="macro-enabled"):
        plan_merge(xlsm, results.getvalue())
    assert result_package.PLAIN_WORKBOOK.endswith("sheet.main+xml")
