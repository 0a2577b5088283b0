"""The Excel add-in: compound-file writer, VBA project repair, the built xlcbec.xlam, its configuration.

Tolerances: none; every check is an exact comparison of bytes, names or source text.
Independent readers: olefile reads what xlcbec.addin_build.cfb writes; oletools' olevba
reads the VBA source of the add-in; LibreOffice opens the built add-in again.
Tests marked ``libreoffice`` build the add-in once per module (LibreOffice headless,
a few seconds) and are skipped only where LibreOffice or python3-uno is missing.
"""

from __future__ import annotations

import csv
import inspect
import io
import random
import re
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

import olefile
import pytest

with warnings.catch_warnings():
    # oletools 0.60 uses pyparsing names deprecated since pyparsing 3.3; not our code.
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

import xlwings

from tests.xlwings_windows import PRELUDE
from xlcbec.addin_build import build as addin_build
from xlcbec.addin_build import udf_wrappers
from xlcbec.addin_build.cfb import CompoundFileError, write_compound_file
from xlcbec.addin_build.vba_project import VbaProject, VbaProjectError, decompress, parse_dir, restore_class_modules
from xlcbec.excel import addin
from xlcbec.excel.addin import AddinError

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbook" / "xlcbec.xlam"
CUSTOM_UI = ROOT / "workbook" / "customUI.xml"
CALLBACK_BAS = ROOT / "workbook" / "xlcbec_ribbon.bas"
TEMPLATE = Path(xlwings.__file__).resolve().parent / "quickstart_addin_ribbon.xlam"
CALLBACK_COMMAND = 'RunPython "import xlcbec.excel.ribbon as r; r.dispatch(\'" & control.Tag & "\')"'
# The customUI namespace and the relationship type that must point at a part in it
# ([MS-OI29500] 3.4.1.3 and 3.4.1.4; [MS-CUSTOMUI2] for the 2009/07 namespace of Office 2010 and later).
CUSTOM_UI_PAIRS = {
    "http://schemas.microsoft.com/office/2006/01/customui": "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",
    "http://schemas.microsoft.com/office/2009/07/customui": "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
}
NINE_FUNCTIONS = (
    "CBEC_ENTROPY", "CBEC_ENTROPY_WEIGHTS", "CBEC_DID", "CBEC_SOBEL", "CBEC_PSCORE",
    "CBEC_LQ", "CBEC_SOLOW_K", "CBEC_SOLOW_Y", "CBEC_STARS",
)  # fmt: skip


def olevba_modules(path: Path) -> dict[str, str]:
    """{file name olevba gives the module (name + .bas/.cls/.frm, or .vba when untyped): source}."""
    parser = VBA_Parser(str(path))
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def vba_bin(path: Path) -> bytes:
    with zipfile.ZipFile(path) as package:
        return package.read("xl/vbaProject.bin")


def lines(source: str) -> list[str]:
    return source.replace("\r\n", "\n").rstrip("\n").split("\n")


# ---------------------------------------------------------------- compound file writer


def test_compound_file_round_trips_through_olefile() -> None:
    rng = random.Random(20240101)
    # Sizes at the mini-stream cutoff (4096) and sector edges; one stream big enough to need two FAT sectors.
    sizes = [0, 1, 63, 64, 65, 511, 512, 4095, 4096, 4097, 70_000]
    streams = {f"S{i}": rng.randbytes(size) for i, size in enumerate(sizes)}
    streams.update({f"VBA/module{i}": rng.randbytes(rng.randrange(0, 9000)) for i in range(40)})
    streams["VBA/sub/deep"] = b"nested storage"
    data = write_compound_file(streams)
    # DEFECT_POTENTIAL: olefile raises on anything it would otherwise only warn about.
    with olefile.OleFileIO(data, raise_defects=olefile.DEFECT_POTENTIAL) as ole:
        read = {"/".join(p): ole.openstream(p).read() for p in ole.listdir(streams=True)}
        assert ole.get_type("VBA") == olefile.STGTY_STORAGE
        assert ole.get_type("VBA/sub") == olefile.STGTY_STORAGE
    assert read == streams
    assert len(data) % 512 == 0


def _check_red_black(ole: Any, sid: int) -> int:
    """Black height of the sibling subtree at ``sid``; asserts BST order and the red-black rules."""
    if sid == olefile.NOSTREAM:
        return 1
    entry = ole.direntries[sid]
    for child_sid in (entry.sid_left, entry.sid_right):
        if child_sid != olefile.NOSTREAM and entry.color == 0:
            assert ole.direntries[child_sid].color == 1, "red node with a red child"
    left, right = _check_red_black(ole, entry.sid_left), _check_red_black(ole, entry.sid_right)
    assert left == right, "paths with different numbers of black nodes"
    return left + (entry.color == 1)


def _in_order(ole: Any, sid: int) -> list[str]:
    if sid == olefile.NOSTREAM:
        return []
    entry = ole.direntries[sid]
    return _in_order(ole, entry.sid_left) + [entry.name] + _in_order(ole, entry.sid_right)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 40])
def test_sibling_trees_are_ordered_red_black_trees(count: int) -> None:
    names = [f"m{'x' * (i % 5)}{i}" for i in range(count)]
    data = write_compound_file({f"VBA/{name}": b"x" for name in names})
    with olefile.OleFileIO(data) as ole:
        storage = ole.direntries[ole.root.sid_child]
        assert ole.direntries[storage.sid_child].color == 1 or count == 1, "root of the tree is black"
        _check_red_black(ole, storage.sid_child)
        # [MS-CFB] 2.6.4 order: shorter names first, then case-insensitive.
        expected = sorted(names, key=lambda n: (len(n), n.upper()))
        assert _in_order(ole, storage.sid_child) == expected


@pytest.mark.parametrize("name", ["", "a/b/", "x" * 32, "bad:name", "bad!name"])
def test_compound_file_rejects_invalid_names(name: str) -> None:
    with pytest.raises(CompoundFileError):
        write_compound_file({name: b"x"})


# ---------------------------------------------------------------- MS-OVBA reading


def test_decompress_spec_example_without_copy_tokens() -> None:
    # [MS-OVBA] 3.2.1 "No Compression Example": every token is a literal.
    compressed = bytes.fromhex("0119B000616263646566676800696A6B6C6D6E6F7000717273747576 2E".replace(" ", ""))
    assert decompress(compressed) == b"abcdefghijklmnopqrstuv."
    assert bytes(decompress_stream(bytearray(compressed))) == b"abcdefghijklmnopqrstuv."


def test_decompress_agrees_with_olevba_on_every_template_stream() -> None:
    template = VbaProject.read(vba_bin(TEMPLATE))
    assert len(template.modules) == 5
    for module in template.modules:
        ours = decompress(template.compressed_source(module.name))
        theirs = bytes(decompress_stream(bytearray(template.compressed_source(module.name))))
        assert ours == theirs, module.name
    dir_stream = template.streams["VBA/dir"]
    assert decompress(dir_stream) == bytes(decompress_stream(bytearray(dir_stream)))


def test_dir_records_of_the_template() -> None:
    template = VbaProject.read(vba_bin(TEMPLATE))
    assert template.code_page == 1252
    assert template.name == "MyAddin"
    kinds = {m.name: m.kind for m in template.modules}
    assert kinds == {
        "ThisWorkbook": "document_or_class",
        "Dictionary": "document_or_class",
        "RibbonMyAddin": "procedural",
        "Sheet2": "document_or_class",
        "xlwings": "procedural",
    }
    assert template.class_modules == ("Dictionary",)
    records = parse_dir(decompress(template.streams["VBA/dir"]))
    assert records[-1].id == 0x0010, "dir stream ends with the PROJECTMODULES terminator"


LIBREOFFICE_CLASS_SOURCE = b'Attribute VB_Name = "Dictionary"\r\nOption ClassModule\r\nPrivate x As Long\r\n'


def _exported_like_libreoffice(template: bytes, *, class_type: int = 0x0022) -> bytes:
    """A stand-in for LibreOffice 7.4's export of ``template``.

    Every module at text offset 0 (source only), the class's source rewritten
    the LibreOffice way, no ``Class=`` line and a fresh project ID.
    """
    project = VbaProject.read(template)
    streams = dict(project.streams)
    for module in project.modules:
        streams[f"VBA/{module.stream_name}"] = project.compressed_source(module.name)
    streams["VBA/Dictionary"] = _literal_container(LIBREOFFICE_CLASS_SOURCE)
    text = "\r\n".join(line for line in project.project_lines if line != "Class=Dictionary")
    text = re.sub(r'ID="[^"]+"', 'ID="{00000000-0000-0000-0000-000000000000}"', text)
    streams["PROJECT"] = text.encode("cp1252")
    raw = bytearray()
    in_dictionary = False
    for record in parse_dir(decompress(project.streams["VBA/dir"])):
        data = record.data
        if record.id == 0x0019:
            in_dictionary = data == b"Dictionary"
        if record.id == 0x0031:
            data = b"\x00\x00\x00\x00"
        record_id = class_type if in_dictionary and record.id in (0x0021, 0x0022) else record.id
        size = 4 if record.id == 0x0009 else len(data)
        raw += struct.pack("<HI", record_id, size) + data
    streams["VBA/dir"] = _literal_container(bytes(raw))
    return write_compound_file(streams)


def test_restore_puts_back_the_class_line_and_source() -> None:
    template = vba_bin(TEMPLATE)
    original = VbaProject.read(template)
    exported = _exported_like_libreoffice(template)
    before = VbaProject.read(exported)
    assert before.class_modules == () and "Option ClassModule" in before.source("Dictionary")

    project = VbaProject.read(restore_class_modules(exported, template))
    assert project.class_modules == ("Dictionary",)
    assert project.source("Dictionary") == original.source("Dictionary")
    assert project.source("xlwings") == original.source("xlwings")
    # The identity lines come from the template: the same on every build.
    for key in ("ID", "CMG", "DPB", "GC"):
        assert project.project_items(key) == original.project_items(key)
    assert [line.split("=")[0] for line in project.project_lines[:2]] == ["ID", "Class"]


def test_restore_refuses_a_class_exported_as_a_standard_module() -> None:
    template = vba_bin(TEMPLATE)
    with pytest.raises(VbaProjectError, match="Dictionary"):
        restore_class_modules(_exported_like_libreoffice(template, class_type=0x0021), template)


def _literal_container(data: bytes) -> bytes:
    """An MS-OVBA container of literal tokens only (valid, uncompressed in effect)."""
    out = bytearray(b"\x01")
    for chunk_start in range(0, len(data), 4096):
        chunk = data[chunk_start : chunk_start + 4096]
        body = bytearray()
        for start in range(0, len(chunk), 8):
            body += b"\x00" + chunk[start : start + 8]
        if len(body) + 2 > 4098:
            out += struct.pack("<H", 0x3000 | 0x0FFF) + chunk.ljust(4096, b"\x00")  # stored chunk
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


def test_literal_container_helper_is_valid() -> None:
    sample = bytes(range(256)) * 3
    assert decompress(_literal_container(sample)) == sample


# ---------------------------------------------------------------- sources and configuration


def test_bas_parsing_keeps_the_code_and_drops_attributes() -> None:
    module = addin_build.VbaModuleSource.parse('Attribute VB_Name = "m1"\r\nAttribute VB_Exposed = False\r\nSub A()\r\nEnd Sub\r\n')
    assert module == addin_build.VbaModuleSource(name="m1", code="Sub A()\nEnd Sub\n")
    with pytest.raises(AddinError):
        addin_build.VbaModuleSource.parse("Sub A()\nEnd Sub\n")


def test_config_file_for_windows(tmp_path: Path) -> None:
    written = addin.write_config(tmp_path, interpreter=r"C:\envs\cbec\python.exe", platform="win32", encoding="cp1252")
    assert written == tmp_path / "xlcbec.conf"
    assert written.read_bytes() == (
        b'"INTERPRETER_WIN","C:\\envs\\cbec\\python.exe"\r\n'
        b'"ADD_WORKBOOK_TO_PYTHONPATH","False"\r\n'
        b'"USE UDF SERVER","True"\r\n'
    )
    # VBA's `Input #` reads quoted comma-separated fields, as csv does.
    pairs = dict(csv.reader(io.StringIO(written.read_text(encoding="cp1252"))))
    assert pairs == {
        "INTERPRETER_WIN": r"C:\envs\cbec\python.exe",
        "ADD_WORKBOOK_TO_PYTHONPATH": "False",
        "USE UDF SERVER": "True",  # ribbon clicks in the persistent COM server (README: Speed of a click)
    }


# A Python under a Chinese user name: the path Windows gives, e.g. C:\Users\张伟\...
CHINESE_INTERPRETER = "C:\\Users\\张伟\\xlcbec 环境\\Scripts\\python.exe"


def test_config_round_trips_a_chinese_path_in_code_page_936(tmp_path: Path) -> None:
    # Chinese Windows: VBA reads the file in the ANSI code page 936 (GBK), as xlwings' own writer writes it.
    written = addin.write_config(tmp_path, interpreter=CHINESE_INTERPRETER, platform="win32", encoding="cp936")
    data = written.read_bytes()
    assert "张伟".encode("cp936") in data and "张伟".encode("utf-8") not in data
    pairs = dict(csv.reader(io.StringIO(data.decode("cp936"), newline="")))
    assert pairs["INTERPRETER_WIN"] == CHINESE_INTERPRETER


def test_config_refuses_a_path_the_code_page_cannot_hold(tmp_path: Path) -> None:
    # Western Windows (code page 1252) has no Chinese characters: refused with the reason, nothing written.
    with pytest.raises(AddinError, match=r"cannot hold '张伟' .*code page \(cp1252\).*C:\\xlcbec"):
        addin.write_config(tmp_path, interpreter=CHINESE_INTERPRETER, platform="win32", encoding="cp1252")
    assert not (tmp_path / "xlcbec.conf").exists()


def test_config_encoding_is_the_ansi_code_page_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    import locale

    monkeypatch.setattr(locale, "getencoding", lambda: "cp936", raising=False)
    assert addin.config_encoding("win32") == "cp936"
    assert addin.config_encoding("darwin") == "utf-8"


def test_config_lines_refuse_a_quote_in_any_value() -> None:
    with pytest.raises(AddinError, match="double quote"):
        addin.config_lines({"PYTHONPATH": 'C:\\a"b'})


def test_config_file_for_macos(tmp_path: Path) -> None:
    written = addin.write_config(tmp_path, interpreter="/Users/a/cbec/bin/python", platform="darwin")
    assert written.read_text(encoding="utf-8").splitlines()[0] == '"INTERPRETER_MAC","/Users/a/cbec/bin/python"'
    # macOS: UTF-8, the locale encoding xlwings' own config writer uses there.
    chinese = addin.write_config(tmp_path, interpreter="/Users/zhang/环境/bin/python", platform="darwin")
    assert "环境".encode("utf-8") in chinese.read_bytes()
    assert b"\r\n" not in written.read_bytes()
    assert "USE UDF SERVER" not in written.read_text(encoding="utf-8")  # no COM server on macOS


def test_config_defaults_to_the_running_python(tmp_path: Path) -> None:
    written = addin.write_config(tmp_path)
    assert f'"{sys.executable}"' in written.read_text(encoding=addin.config_encoding(sys.platform))


def test_config_folders_are_where_the_add_in_looks() -> None:
    # xlwings VBA GetConfigFilePath: %USERPROFILE%\.<PROJECT_NAME>\ on Windows, Excel's sandbox home on macOS.
    assert addin.default_config_dir("win32") == Path.home() / ".xlcbec"
    assert addin.default_config_dir("darwin") == Path.home() / "Library/Containers/com.microsoft.Excel/Data"


def test_config_rejects_a_quote_in_the_interpreter_path(tmp_path: Path) -> None:
    with pytest.raises(AddinError):
        addin.write_config(tmp_path, interpreter='C:\\a"b\\python.exe', platform="win32")


def test_build_names_a_missing_libreoffice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XLCBEC_SOFFICE", str(tmp_path / "no-such-soffice"))
    with pytest.raises(AddinError, match="XLCBEC_SOFFICE"):
        addin_build.build(tmp_path / "xlcbec.xlam")
    assert not (tmp_path / "xlcbec.xlam").exists()


@pytest.mark.skipif(sys.platform.startswith("win") or sys.platform == "darwin", reason="Excel platforms install for real")
def test_install_without_excel_says_why() -> None:
    with pytest.raises(AddinError, match=r"Windows and macOS; this computer runs"):
        addin.install()


# ---------------------------------------------------------------- worksheet-function wrappers

_XLWINGS_WRAPPERS = PRELUDE + r"""
import io
out = io.StringIO()
real.generate_vba_wrapper("xlcbec.excel.udfs", udfs, out, types.SimpleNamespace(Name="xlcbec.xlam"))
sys.stdout.write(out.getvalue())
"""


def _function_blocks(text: str) -> dict[str, list[str]]:
    blocks = re.findall(r"^Function (\w+)\(.*?^End Function$", text, flags=re.M | re.S)
    bodies = re.findall(r"^(Function \w+\(.*?^End Function)$", text, flags=re.M | re.S)
    return {name: lines(body) for name, body in zip(blocks, bodies)}


def test_wrappers_are_line_for_line_what_xlwings_generates() -> None:
    # Two routes to the same VBA: xlwings' own generator (with its real decorators) and the build's.
    completed = subprocess.run([sys.executable, "-c", _XLWINGS_WRAPPERS], cwd=ROOT, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    theirs = _function_blocks(completed.stdout)
    ours = _function_blocks(udf_wrappers.udf_module()[1])
    assert sorted(theirs) == sorted(NINE_FUNCTIONS)
    assert ours == theirs


def test_registration_carries_each_functions_help() -> None:
    from xlcbec.excel import udfs

    source = udf_wrappers.udf_module()[1]
    for function in udfs.UDFS:
        described = re.search(rf'^    Describe "{function.__name__}", "((?:[^"]|"")*)", Array\((.*?)\)$', source, flags=re.M | re.S)
        assert described is not None, function.__name__
        assert described.group(1).replace('""', '"') == function.__doc__
        helps = [text.replace('""', '"') for text in re.findall(r'"((?:[^"]|"")*)"', described.group(2))]
        names = list(inspect.signature(function).parameters)
        assert helps == [udfs.ARG_DOCS[name] for name in names]
    for line in source.splitlines():
        assert len(line) <= 1023, "VBA's longest line"
    assert source.isascii()


def test_generator_refuses_what_it_cannot_wrap() -> None:
    def keyword_only(a: object, *, b: object = None) -> None: ...

    with pytest.raises(AddinError, match="positional"):
        udf_wrappers.WorksheetFunction.of(keyword_only, {"a": "x", "b": "y"})
    too_long = udf_wrappers.WorksheetFunction("F", ("a",), (False,), "d" * 256, ("help",))
    with pytest.raises(AddinError, match="255"):
        udf_wrappers.registration([too_long], "xlcbec")
    with pytest.raises(AddinError, match="ASCII"):
        udf_wrappers.vba_string("面板")


# ---------------------------------------------------------------- the committed add-in


def test_path_is_the_committed_add_in() -> None:
    assert addin.path() == COMMITTED
    assert COMMITTED.is_file()


def check_package(built: Path) -> None:
    """The zip parts of a built add-in: ribbon, relationship, add-in type, config sheet."""
    from defusedxml import ElementTree

    with zipfile.ZipFile(built) as package:
        names = package.namelist()
        assert names[0] == "[Content_Types].xml"
        assert package.read("customUI/customUI.xml") == CUSTOM_UI.read_bytes()
        rels = package.read("_rels/.rels").decode()
        # Exactly one ribbon relationship, of the type that goes with the part's namespace.
        ribbon_rels = [
            (r.get("Type"), r.get("Target"))
            for r in ElementTree.fromstring(rels)
            if r.get("Type", "").endswith("/relationships/ui/extensibility")
        ]
        namespace = ElementTree.fromstring(package.read("customUI/customUI.xml")).tag[1:].split("}")[0]
        assert namespace == "http://schemas.microsoft.com/office/2009/07/customui"
        assert ribbon_rels == [(CUSTOM_UI_PAIRS[namespace], "customUI/customUI.xml")]
        types = package.read("[Content_Types].xml").decode()
        assert 'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml"' in types
        workbook = package.read("xl/workbook.xml").decode()
        assert 'name="_xlcbec.conf"' in workbook and "_myaddin" not in workbook
        assert 'codeName="ThisWorkbook"' in workbook, "the workbook part stays the template's (Excel's)"


def check_vba(built: Path) -> None:
    """The VBA project of a built add-in, read back by olevba."""
    modules = olevba_modules(built)
    assert sorted(modules) == [
        "Dictionary.cls", "Sheet2.cls", "ThisWorkbook.cls", "xlcbec_ribbon.bas", "xlcbec_udfs.bas", "xlwings.bas",
    ]  # fmt: skip
    callback = modules["xlcbec_ribbon.bas"]
    assert "Sub RunTagged(control As IRibbonControl)" in callback and CALLBACK_COMMAND in callback
    assert lines(callback) == lines(CALLBACK_BAS.read_text(encoding="utf-8")), "rebuild the add-in: xlcbec addin build"
    # The guard: no RunPython while no workbook is active (xlwings' RunPython needs ActiveWorkbook).
    run_tagged = callback[callback.index("Sub RunTagged") : callback.index("End Sub")]
    assert run_tagged.index("If ActiveWorkbook Is Nothing Then") < run_tagged.index('RunPython "')

    # The worksheet functions are in the add-in from the first start: a wrapper Function each,
    # registered under the category xlcbec when Excel opens the add-in.
    functions = modules["xlcbec_udfs.bas"]
    assert lines(functions)[1:] == lines(udf_wrappers.udf_module()[1]), "rebuild the add-in: xlcbec addin build"
    declared = re.findall(r"^Function (\w+)\(", functions, flags=re.M)
    assert declared == list(NINE_FUNCTIONS)
    for name in NINE_FUNCTIONS:
        assert f'{name} = XLPy.CallUDF("xlcbec.excel.udfs", "{name}", ' in functions
        assert f'    Describe "{name}", ' in functions
    assert "Sub Auto_Open()" in functions and 'Category:="xlcbec"' in functions

    template = olevba_modules(TEMPLATE)
    # The xlwings runtime is the template's, with only its PROJECT_NAME changed.
    ours, theirs = lines(modules["xlwings.bas"]), lines(template["xlwings.bas"])
    changed = [(a, b) for a, b in zip(ours, theirs) if a != b]
    assert len(ours) == len(theirs)
    assert changed == [
        ('Public Const PROJECT_NAME As String = "xlcbec"', 'Public Const PROJECT_NAME As String = "myaddin"')
    ]
    assert f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"' in ours
    # The class module survives whole, attributes included (VB_UserMemId makes Item the default member).
    assert lines(modules["Dictionary.cls"]) == lines(template["Dictionary.cls"])
    assert "Attribute Item.VB_UserMemId = 0" in modules["Dictionary.cls"]
    assert "Option ClassModule" not in modules["Dictionary.cls"]

    project = VbaProject.read(vba_bin(built))
    assert project.name == "xlcbec"
    assert project.class_modules == ("Dictionary",)
    assert project.project_items("Module") == ("xlwings", "xlcbec_ribbon", "xlcbec_udfs")


def test_committed_add_in_package() -> None:
    check_package(COMMITTED)


def test_committed_add_in_vba_project() -> None:
    check_vba(COMMITTED)


def test_committed_add_in_carries_the_installed_xlwings_runtime() -> None:
    # The VBA calls xlwings64-<version>.dll / xlwings-<version>.applescript of the Python environment:
    # the add-in works only with the xlwings version it was built from.
    assert addin_build.addin_xlwings_version(COMMITTED) == xlwings.__version__


# ---------------------------------------------------------------- a fresh build (LibreOffice)


def _libreoffice() -> tuple[str, str] | None:
    try:
        soffice = addin_build.find_soffice()
        return soffice, addin_build.find_uno_python(soffice)
    except AddinError:
        return None


LIBREOFFICE = _libreoffice()
needs_libreoffice = pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice headless with python3-uno not installed")


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert LIBREOFFICE is not None
    soffice, python = LIBREOFFICE
    out = tmp_path_factory.mktemp("addin") / "xlcbec.xlam"
    return addin_build.build(out, verify=False, soffice=soffice, uno_python=python)


@pytest.fixture(scope="module")
def read_back(fresh_build: Path) -> addin_build.LibreOfficeView:
    assert LIBREOFFICE is not None
    soffice, python = LIBREOFFICE
    return addin_build.inspect_with_libreoffice(fresh_build, soffice=soffice, uno_python=python)


@pytest.mark.libreoffice
@needs_libreoffice
def test_fresh_build_package(fresh_build: Path) -> None:
    check_package(fresh_build)


@pytest.mark.libreoffice
@needs_libreoffice
def test_fresh_build_vba_project(fresh_build: Path) -> None:
    check_vba(fresh_build)


@pytest.mark.libreoffice
@needs_libreoffice
def test_committed_add_in_is_up_to_date(fresh_build: Path) -> None:
    with zipfile.ZipFile(fresh_build) as fresh, zipfile.ZipFile(COMMITTED) as committed:
        assert fresh.namelist() == committed.namelist()
        for name in fresh.namelist():
            if name != "xl/vbaProject.bin":
                assert fresh.read(name) == committed.read(name), f"{name} differs: run `xlcbec addin build`"
    assert olevba_modules(fresh_build) == olevba_modules(COMMITTED)
    assert VbaProject.read(vba_bin(fresh_build)).project_lines == VbaProject.read(vba_bin(COMMITTED)).project_lines


@pytest.mark.libreoffice
@needs_libreoffice
def test_libreoffice_opens_the_built_add_in(read_back: addin_build.LibreOfficeView) -> None:
    # A second reader of the repaired project: LibreOffice types Dictionary as a class (2)
    # only from the restored Class= line.
    assert read_back.project == "xlcbec"
    assert dict(read_back.modules) == {
        "xlwings": 1, "xlcbec_ribbon": 1, "xlcbec_udfs": 1, "Dictionary": 2, "ThisWorkbook": 4, "Sheet2": 4,
    }  # fmt: skip
    assert read_back.sheets == ("_xlcbec.conf",)
