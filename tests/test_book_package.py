"""The workbook file as a package: what is refused before parsing, and what --in-place would lose.

Tolerances: none (file-format checks).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.book_files import input_book, patch_zip, sheet_part
from xlcbec.book import package, sheet_scan
from xlcbec.book.openpyxl_backend import OpenpyxlBackend
from xlcbec.book.openpyxl_losses import parts_openpyxl_would_drop
from xlcbec.book.package import open_package
from xlcbec.book.reading import read_inputs
from xlcbec.book.sheet_scan import scan_sheet
from xlcbec.errors import InputError
from xlcbec.report.charts import trend_chart

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return input_book(tmp_path / "good.xlsx")


# --- not a readable .xlsx -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"city,year,HQD\n1,2015,0.5\n", "not an Excel workbook"),
        (b"", "is empty"),
        (OLE_MAGIC + b"\0" * 504 + "Workbook".encode("utf-16-le") + b"\0" * 100, r"old Excel 97-2003 workbook \(\.xls\)"),
        (OLE_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le"), "protected with a password"),
        (OLE_MAGIC + b"\0" * 600, "Office file but not an Excel workbook"),
    ],
)
def test_other_formats_are_named(tmp_path, content, expected):
    path = tmp_path / "input.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match=expected) as caught:
        read_inputs(path)
    assert caught.value.fix


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_inputs(tmp_path / "nope.xlsx")
    with pytest.raises(InputError, match="is a folder"):
        read_inputs(tmp_path)


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.95])
def test_truncated_workbook_is_reported_as_damaged(good, tmp_path, keep):
    data = good.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputError, match="damaged|incomplete|cannot be read"):
        read_inputs(cut)


def test_ods_and_docx_are_named(tmp_path):
    ods = tmp_path / "a.xlsx"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(InputError, match=r"OpenDocument spreadsheet \(.ods\)"):
        read_inputs(ods)
    docx = tmp_path / "b.xlsx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(InputError, match="Word or PowerPoint"):
        read_inputs(docx)


# --- bombs ----------------------------------------------------------------------------------------


def test_zip_bomb_refused_from_declared_sizes_before_expansion(good, tmp_path, monkeypatch):
    bomb = patch_zip(good, tmp_path / "bomb.xlsx", {"xl/media/zeros.bin": b"\0" * (3 * 1024**2)})
    monkeypatch.setattr(package, "LARGE_PART", 1024**2)  # 3 MB of zeros compress ~1000-fold
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    with pytest.raises(InputError, match=r"expands \d+-fold .* possible zip bomb"):
        read_inputs(bomb)
    assert opened == []  # refused from the central directory alone


def test_zip_total_size_limit(good, monkeypatch):
    monkeypatch.setattr(package, "MAX_TOTAL_UNCOMPRESSED", 1000)
    with pytest.raises(InputError, match="would expand to"):
        read_inputs(good)


def test_too_many_parts(good, monkeypatch):
    monkeypatch.setattr(package, "MAX_PARTS", 5)
    with pytest.raises(InputError, match="parts, more than a workbook ever needs"):
        read_inputs(good)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def _laughing(xml: bytes, padding: str = "") -> bytes:
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    return (BILLION_LAUGHS + padding).encode() + body.replace(b"<t>city</t>", b"<t>&lol3;</t>", 1)


@pytest.mark.parametrize("padding", ["", "<!--" + "x" * 200_000 + "-->"])
def test_xml_bomb_in_a_sheet_is_refused(good, tmp_path, padding):
    bomb = patch_zip(good, tmp_path / "lol.xlsx", {sheet_part(good, "Panel"): lambda xml: _laughing(xml, padding)})
    with pytest.raises(InputError, match="declares a document type or entities"):
        read_inputs(bomb)
    with pytest.raises(InputError, match="declares a document type"):
        OpenpyxlBackend.open(bomb)


def test_openpyxl_itself_parses_through_defusedxml(good, tmp_path):
    """The second guard: openpyxl refuses entity declarations because defusedxml is installed."""
    import defusedxml
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML
    bomb = patch_zip(good, tmp_path / "lol.xlsx", {sheet_part(good, "Panel"): _laughing})
    with pytest.raises(Exception) as caught:
        openpyxl.load_workbook(bomb)
    chain = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, defusedxml.DefusedXmlException) for e in chain)


# --- the sheet scan ---------------------------------------------------------------------------------


def test_scan_finds_errors_uncached_formulas_and_merges(tmp_path):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "Panel"
    ws.append(["city", "year", "HQD"])
    ws.append([1, 2015, "=1+1"])
    ws.merge_cells("A1:B1")
    ws.merge_cells("A5:C6")
    path = tmp_path / "scan.xlsx"
    workbook.save(path)
    part = sheet_part(path, "Panel")
    patched = patch_zip(path, tmp_path / "scan2.xlsx", {part: lambda xml: xml.replace(b'<c r="B2" t="n"><v>2015</v></c>', b'<c r="B2" t="e"><v>#N/A</v></c>')})
    scan = scan_sheet(patched, part)
    assert scan.errors == {(2, 2): "#N/A"}
    assert scan.uncached == ((2, 3),)
    assert set(scan.merged) == {(1, 1, 1, 2), (5, 1, 6, 3)}


def test_scan_handles_prefixed_xml_and_rows_split_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(sheet_scan, "CHUNK", 64)
    rows = "".join(f'<x:row r="{r}"><x:c r="A{r}"><x:v>{r}</x:v></x:c><x:c r="B{r}"><x:f>A{r}*2</x:f></x:c></x:row>' for r in range(1, 40))
    xml = f'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("sheet.xml", xml)
    scan = scan_sheet(path, "sheet.xml")
    assert scan.uncached == tuple((r, 2) for r in range(1, 40))


def test_package_maps_sheet_names_to_parts(good):
    opened = open_package(good)
    assert opened.sheet_names == ("Settings", "Panel", "Cities", "Indicators", "Policies", "Keywords")
    assert opened.sheet_parts["Panel"] == "xl/worksheets/sheet2.xml"


# --- what --in-place would lose --------------------------------------------------------------------


def test_clean_workbook_loses_nothing(good):
    assert parts_openpyxl_would_drop(good) == []


def test_macros_and_ribbon_are_reported(good, tmp_path):
    xlsm = patch_zip(good, tmp_path / "m.xlsx", {"xl/vbaProject.bin": b"\0" * 64, "customUI/customUI14.xml": b"<customUI/>"})
    found = parts_openpyxl_would_drop(xlsm)
    assert any("VBA macros" in f for f in found)
    assert any("custom ribbon" in f for f in found)


def test_shapes_on_an_input_sheet_are_reported_but_result_charts_are_not(good, tmp_path):
    backend = OpenpyxlBackend.open(good)
    backend.write_chart("Descriptives", trend_chart([2015, 2016], [0.1, 0.2], [0.1, 0.15]), (1, 1))
    refreshed = backend.save(tmp_path / "refreshed.xlsx")
    assert parts_openpyxl_would_drop(refreshed) == []  # the chart sits on a result sheet
    # Put a text box on the Panel sheet through a drawing part.
    panel_part = sheet_part(refreshed, "Panel")
    rels = panel_part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    drawing = (
        b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">'
        b"<xdr:twoCellAnchor><xdr:sp><xdr:nvSpPr/></xdr:sp></xdr:twoCellAnchor></xdr:wsDr>"
    )
    rel = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing" Target="../drawings/drawing99.xml"/>'
        b"</Relationships>"
    )
    shaped = patch_zip(refreshed, tmp_path / "shaped.xlsx", {rels: rel, "xl/drawings/drawing99.xml": drawing})
    found = parts_openpyxl_would_drop(shaped)
    assert found == ["shapes or text boxes on sheet 'Panel' (xl/drawings/drawing99.xml)"]
