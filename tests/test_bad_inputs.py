"""The catalogue of bad inputs: each kind through `xlcbec refresh` and `xlcbec check`.

Every case starts from one small valid input workbook (40 real cities x 6 years
of the embedded demo panel, written by the template writer), plants exactly
one problem, and asserts for both commands:

* exit code 2 (bad input), never 1 (a defect) and never a traceback;
* the message names the sheet, the row and the column where they apply, carries
  the case's key words and a ``Fix:`` hint;
* the input file is byte-identical afterwards and nothing else was written
  beside it (no results file, no temporary file);
* `check` reports exactly one problem: the planted one (no cascade).

Refreshes run one analysis (``--only``): the one that reads the planted value.

Tolerances: none (exit codes, messages and bytes are compared exactly).
"""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from tests.book_files import patch_zip, sheet_part
from xlcbec.book.settings import SETTING_KEYS
from xlcbec.book.template import write_input_workbook
from xlcbec.cli import main, write_demo_inputs

YEARS = range(2014, 2020)
# Pilot cohorts of the reduced panel: 2016 (8 cities), 2018 (8), 2019 (6), 2022 (6, after
# the last year) and 12 never-treated cities, in the demo's city order.
COHORTS = ((2016.0, 8), (2018.0, 8), (2019.0, 6), (2022.0, 6), (None, 12))

REFERENCE = Path(__file__).resolve().parent / "reference"
OLD_XLS = REFERENCE / "panel_excel97.xls"  # a real BIFF8 .xls, see reference/panel_excel97.md


def small_workbook(path: Path) -> Path:
    """A valid input workbook small enough to refresh in well under a second."""
    from xlcbec.demo_data import make_demo_panel

    demo = make_demo_panel()
    cities = demo.cities
    picks: list[int] = []
    for pilot, count in COHORTS:
        cohort = cities[cities.pilot_year.isna()] if pilot is None else cities[cities.pilot_year == pilot]
        picks += cohort.city.iloc[:count].tolist()
    panel = demo.panel[demo.panel.city.isin(picks) & demo.panel.year.isin(YEARS)].reset_index(drop=True)
    return write_input_workbook(
        path, panel=panel, cities=cities[cities.city.isin(picks)].reset_index(drop=True),
        indicators=demo.indicators.reset_index(drop=True), policies=demo.policies.reset_index(drop=True).iloc[:3],
        settings={"bootstrap_reps": 20, "placebo_reps": 20, "bandwidth": 0.2},
    )


@pytest.fixture(scope="session")
def base_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workbook(tmp_path_factory.mktemp("catalogue") / "base.xlsx")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def setting_row(key: str) -> int:
    """The template lists every key in contract order from row 2."""
    return SETTING_KEYS.index(key) + 2


def panel_row(city_position: int, year: int) -> int:
    """Panel rows run city by city (in Cities order), year by year, from row 2."""
    return 2 + city_position * len(YEARS) + (year - YEARS[0])


# --- mutations ----------------------------------------------------------------------------

Mutation = Callable[[Path], None]


def _column(ws: openpyxl.worksheet.worksheet.Worksheet, name: str) -> int:
    for cell in ws[1]:
        if cell.value == name:
            return int(cell.column)
    raise KeyError(name)


def edit(change: Callable[[openpyxl.Workbook], None]) -> Mutation:
    def mutate(path: Path) -> None:
        workbook = openpyxl.load_workbook(path)
        change(workbook)
        workbook.save(path)

    return mutate


def set_cell(sheet: str, row: int, column: str, value: object) -> Mutation:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        ws.cell(row, _column(ws, column)).value = value

    return edit(change)


def set_setting(key: str, value: object) -> Mutation:
    return set_cell("Settings", setting_row(key), "Value", value)


def fill_column(sheet: str, column: str, value: Callable[[int], object]) -> Mutation:
    """Every data cell of ``column`` set to ``value(row)``."""

    def change(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        col = _column(ws, column)
        for row in range(2, ws.max_row + 1):
            ws.cell(row, col).value = value(row)

    return edit(change)


def add_column(sheet: str, name: str, value: Callable[[int], object]) -> Callable[[openpyxl.Workbook], None]:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        col = ws.max_column + 1
        ws.cell(1, col).value = name
        for row in range(2, ws.max_row + 1):
            ws.cell(row, col).value = value(row)

    return change


def remove_sheet(name: str) -> Mutation:
    return edit(lambda wb: wb.remove(wb[name]))


def remove_column(sheet: str, name: str) -> Mutation:
    return edit(lambda wb: wb[sheet].delete_cols(_column(wb[sheet], name)))


def clear_data_rows(sheet: str) -> Mutation:
    return edit(lambda wb: wb[sheet].delete_rows(2, wb[sheet].max_row))


def repeat_row(sheet: str, row: int) -> Mutation:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        ws.append([cell.value for cell in ws[row]])

    return edit(change)


def merge_header(sheet: str, cells: str) -> Mutation:
    return edit(lambda wb: wb[sheet].merge_cells(cells))


def switching_treatment(wb: openpyxl.Workbook) -> None:
    """A 0/1 treatment column D: the first city treated from 2016, but 0 again in 2018."""
    def treated(row: int) -> int:
        year = YEARS[(row - 2) % len(YEARS)]
        return int(row < 2 + len(YEARS) and year >= 2016 and year != 2018)

    add_column("Panel", "D", treated)(wb)
    settings = wb["Settings"]
    settings.cell(setting_row("treatment"), _column(settings, "Value")).value = "D"


def renamed_unit_and_bad_bandwidth(wb: openpyxl.Workbook) -> None:
    """Units in a column 'code' (Settings unit = code) and one bad value elsewhere on Settings:
    the other sheets must still be read with unit = code, so nothing else is reported."""
    for sheet in ("Panel", "Cities"):
        wb[sheet].cell(1, _column(wb[sheet], "city")).value = "code"
    settings = wb["Settings"]
    settings.cell(setting_row("unit"), _column(settings, "Value")).value = "code"
    settings.cell(setting_row("bandwidth"), _column(settings, "Value")).value = -0.2


def write_bytes(data: bytes) -> Mutation:
    return lambda path: path.write_bytes(data)


def truncate(keep: float) -> Mutation:
    return lambda path: path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])


def scramble_sheet(sheet: str) -> Mutation:
    """Flip 64 bytes inside the compressed XML of ``sheet``: its deflate stream no longer decodes."""

    def mutate(path: Path) -> None:
        data = bytearray(path.read_bytes())
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(sheet_part(path, sheet))
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 200
        for i in range(start, start + 64):
            data[i] ^= 0x5A
        path.write_bytes(bytes(data))

    return mutate


def declared_zip_bomb(path: Path) -> None:
    """A part whose central-directory entry declares 3 GB from 1 MB stored: refused before expansion."""
    member = "xl/media/image1.bin"
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, b"\0" * 1024**2)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_length] == member.encode():
            data[at + 24 : at + 28] = (3 * 10**9).to_bytes(4, "little")  # uncompressed size
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


XML_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def xml_bomb(path: Path) -> None:
    def laughing(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        return XML_BOMB.encode() + body

    source = path.with_name("source.xlsx")
    shutil.move(path, source)
    patch_zip(source, path, {sheet_part(source, "Panel"): laughing})
    source.unlink()


def encrypted(path: Path) -> None:
    """Password-protect the workbook as Excel does (agile encryption in an OLE container)."""
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:  # without msoffcrypto-tool: the same OLE directory names Excel writes
        ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
        path.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le"))
        return
    out = io.BytesIO()
    with path.open("rb") as handle:
        OOXMLFile(handle).encrypt("secret", out)
    path.write_bytes(out.getvalue())


def old_xls(path: Path) -> None:
    shutil.copyfile(OLD_XLS, path)


# --- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One kind of bad input: how to plant it, what to run, and what the message must say."""

    id: str
    mutate: Mutation
    words: tuple[str, ...]  # key words of the problem (case-sensitive substrings)
    sheet: str | None = None
    row: int | str | None = None  # an int -> "row N"; a str is matched as written ("rows 3, 242")
    column: str | None = None
    only: str = "baseline"
    extra: dict[str, object] = field(default_factory=dict)


FILE_FIX = "Fix:"
CASES = [
    # -- the file itself
    Case("not_a_workbook", write_bytes(b"city,year,HQD\n110000,2015,0.5\n"), ("not an Excel workbook",)),
    Case("empty_file", write_bytes(b""), ("is empty (0 bytes)",)),
    Case("old_xls", old_xls, ("old Excel 97-2003 workbook (.xls)", "save it as 'Excel Workbook (*.xlsx)'")),
    Case("password_protected", encrypted, ("protected with a password", "remove the password")),
    Case("truncated_zip", truncate(0.6), ("damaged or incomplete",)),
    Case("corrupted_zip", scramble_sheet("Panel"), ("is damaged", "cannot be read")),
    Case("zip_bomb", declared_zip_bomb, ("possible zip bomb", "xl/media/image1.bin")),
    Case("xml_bomb", xml_bomb, ("declares a document type or entities", "possible XML bomb")),
    # -- sheets and headers
    Case("missing_panel_sheet", remove_sheet("Panel"), ("no sheet named 'Panel'", "sheets found"), sheet="Panel"),
    Case("missing_required_column", remove_column("Panel", "year"), ("the time column 'year' is not on this sheet",),
         sheet="Panel", row=1, column="year"),
    Case("empty_panel", clear_data_rows("Panel"), ("the panel has no data rows",), sheet="Panel"),
    Case("merged_header_cells", merge_header("Panel", "D1:E1"), ("header cells D1:E1 are merged", "unmerge"),
         sheet="Panel", row=1),
    Case("stray_cell_far_outside_the_table", edit(lambda wb: wb["Panel"].cell(1048576, 16384, "x")),
         ("the sheet's cells reach XFD1048576", "Ctrl+End"), sheet="Panel", row=1048576, column="XFD"),
    Case("repeated_header", set_cell("Panel", 1, "lnaca", "lnpop"), ("the header 'lnpop' appears twice",),
         sheet="Panel", row=1, column="lnpop"),
    # -- Panel values
    Case("duplicate_city_year", repeat_row("Panel", 3), ("city 110000 and year 2015 appear on more than one row",),
         sheet="Panel", row="rows 3, 242", column="year"),
    Case("text_in_numeric_column", set_cell("Panel", 7, "lnpop", "n/a"), ("expected a number in cell X7", "'n/a'"),
         sheet="Panel", row=7, column="lnpop"),
    Case("excel_error_div0", set_cell("Panel", 9, "lngdp", "#DIV/0!"), ("cell Z9 holds the Excel error #DIV/0!",),
         sheet="Panel", row=9, column="lngdp"),
    Case("excel_error_na", set_cell("Panel", 11, "pm25", "#N/A"), ("cell O11 holds the Excel error #N/A",),
         sheet="Panel", row=11, column="pm25"),
    Case("year_as_text", set_cell("Panel", 7, "year", "2015年"), ("'2015年'", "the number 2015, without 年"),
         sheet="Panel", row=7, column="year"),
    Case("formula_without_cached_value", set_cell("Panel", 7, "lnpop", "=X6*2"),
         ("cell X7 holds a formula whose result was not saved", "open the workbook in Excel and save it"),
         sheet="Panel", row=7, column="lnpop"),
    Case("date_in_numeric_column", set_cell("Panel", 8, "lncons", __import__("datetime").date(2015, 1, 3)),
         ("found the date 2015-01-03", "format it as Number"), sheet="Panel", row=8, column="lncons"),
    Case("blank_unit", set_cell("Panel", 12, "city", None), ("the unit identifier is empty in cell A12",),
         sheet="Panel", row=12, column="city"),
    # -- Settings
    Case("unknown_setting_key", set_cell("Settings", setting_row("bandwidth"), "Key", "bandwith"),
         ("unknown setting 'bandwith'", "did you mean 'bandwidth'?"),
         sheet="Settings", row=setting_row("bandwidth"), column="Key"),
    Case("bandwidth_not_positive", set_setting("bandwidth", 0), ("'bandwidth' must be greater than 0",),
         sheet="Settings", row=setting_row("bandwidth"), column="Value", only="psm"),
    Case("bad_setting_beside_a_renamed_unit", edit(renamed_unit_and_bad_bandwidth),
         ("'bandwidth' must be greater than 0, found -0.2",),
         sheet="Settings", row=setting_row("bandwidth"), column="Value", only="psm"),
    Case("event_window_not_two_integers", set_setting("event_window", "-5"), ("'event_window' must be two whole numbers",),
         sheet="Settings", row=setting_row("event_window"), column="Value", only="event_study"),
    Case("event_window_fractional", set_setting("event_window", "-2.5, 3"), ("'event_window' must be two whole numbers",),
         sheet="Settings", row=setting_row("event_window"), column="Value", only="event_study"),
    Case("bootstrap_reps_one", set_setting("bootstrap_reps", 1),
         ("'bootstrap_reps' must be 0 (no bootstrap) or at least 2, found 1",),
         sheet="Settings", row=setting_row("bootstrap_reps"), column="Value", only="psm"),
    Case("bootstrap_reps_fractional", set_setting("bootstrap_reps", 2.5), ("'bootstrap_reps' must be a whole number",),
         sheet="Settings", row=setting_row("bootstrap_reps"), column="Value", only="mediation"),
    Case("unknown_kernel", set_setting("kernel", "triangular"), ("'kernel' must be one of epanechnikov, normal, nearest",),
         sheet="Settings", row=setting_row("kernel"), column="Value", only="psm"),
    Case("unknown_language", set_setting("language", "fr"), ("'language' must be one of en, zh", "'fr'"),
         sheet="Settings", row=setting_row("language"), column="Value"),
    Case("event_reference_outside_window", set_setting("event_reference", -9),
         ("'event_reference' must be a pre-period inside the event window -5, 5, found -9",),
         sheet="Settings", row=setting_row("event_reference"), column="Value", only="event_study"),
    Case("control_not_in_panel", set_setting("controls", "lnpop, lngdp, lnfdi"),
         ("the control 'lnfdi' named in Settings 'controls' is not a Panel column",),
         sheet="Settings", row=setting_row("controls"), column="Value"),
    Case("psm_covariate_not_in_panel", set_setting("psm_covariates", "lnpop, lnfdi"),
         ("the PSM covariate 'lnfdi' named in Settings 'psm_covariates'",),
         sheet="Settings", row=setting_row("psm_covariates"), column="Value", only="psm"),
    Case("mediator_not_in_panel", set_setting("mediators", "diginf, logistics"),
         ("the mediator 'logistics' named in Settings 'mediators'",),
         sheet="Settings", row=setting_row("mediators"), column="Value", only="mediation"),
    Case("unknown_heterogeneity_group", set_setting("heterogeneity", "coastal, inland"),
         ("'heterogeneity' names unknown group 'inland'",),
         sheet="Settings", row=setting_row("heterogeneity"), column="Value", only="heterogeneity"),
    Case("cluster_column_not_in_panel", set_setting("cluster", "prefecture"),
         ("the cluster column 'prefecture' named in Settings 'cluster'",),
         sheet="Settings", row=setting_row("cluster"), column="Value"),
    Case("outcome_not_in_panel", set_setting("outcome", "GDPX"), ("the outcome 'GDPX' is neither a Panel column",),
         sheet="Settings", row=setting_row("outcome"), column="Value"),
    # -- treatment
    Case("non_absorbing_treatment", edit(switching_treatment), ("switches back from 1 to 0 in year 2018", "absorbing"),
         sheet="Panel", row=panel_row(0, 2018), column="D"),
    Case("no_treated_units", fill_column("Cities", "pilot_year", lambda row: None), ("no row is treated",),
         sheet="Cities", column="pilot_year"),
    Case("no_untreated_units", fill_column("Cities", "pilot_year", lambda row: 2010), ("every row is treated",),
         sheet="Cities", column="pilot_year"),
    Case("pilot_year_as_text", set_cell("Cities", 4, "pilot_year", "2016年"), ("'2016年'", "without 年"),
         sheet="Cities", row=4, column="pilot_year"),
    Case("pilot_year_fractional", set_cell("Cities", 4, "pilot_year", 2016.5), ("found 2016.5", "whole numbers"),
         sheet="Cities", row=4, column="pilot_year"),
    Case("pilot_year_before_1900", set_cell("Cities", 5, "pilot_year", 1850), ("1850 in cell J5 is not a plausible pilot year",),
         sheet="Cities", row=5, column="pilot_year"),
    Case("pilot_year_after_2100", set_cell("Cities", 6, "pilot_year", 2150), ("2150 in cell J6 is not a plausible pilot year",),
         sheet="Cities", row=6, column="pilot_year"),
    # -- Cities against Panel
    Case("panel_city_without_cities_row", edit(lambda wb: wb["Cities"].delete_rows(5)),
         ("1 city value(s) on Panel have no row on sheet Cities: 130200",),
         sheet="Panel", row=f"rows {', '.join(str(panel_row(3, y)) for y in YEARS)}", column="city"),
    Case("panel_and_cities_disagree", edit(add_column("Panel", "coastal", lambda row: 0)),
         ("'coastal' is 0 on Panel", "but 1 on Cities (cell G3)"), sheet="Panel", row="rows 8, 9, 10", column="coastal"),
    Case("repeated_cities_row", repeat_row("Cities", 3), ("has more than one row (rows 3, 42)",),
         sheet="Cities", row="rows 3, 42", column="city"),
    # -- Indicators
    Case("indicator_constant", fill_column("Panel", "pm25", lambda row: 3.0), ("takes the single value 3 in every row",),
         sheet="Panel", column="pm25", only="index"),
    Case("indicator_entirely_missing", fill_column("Panel", "pm25", lambda row: None), ("the indicator has no values",),
         sheet="Panel", column="pm25", only="index"),
    Case("indicator_not_in_panel", set_cell("Indicators", 5, "column", "nosuch"), ("indicator 'nosuch' of index 'HQD'",),
         sheet="Indicators", row=5, column="column", only="index"),
    Case("indicator_direction_unknown", set_cell("Indicators", 6, "direction", "up"), ("direction must be + (higher is better)",),
         sheet="Indicators", row=6, column="direction", only="index"),
    # -- Policies and Keywords
    Case("policy_text_empty", edit(lambda wb: [wb["Policies"].cell(3, c).__setattr__("value", None) for c in (2, 4)]),
         ("the policy text (or at least its title) is empty in cell D3",),
         sheet="Policies", row=3, column="text", only="policy_text"),
    Case("keyword_listed_twice", edit(lambda wb: (wb["Keywords"].append(["trade", "跨境"]), wb["Keywords"].append(["logistics", "跨境"]))),
         ("the keyword '跨境' is listed more than once",), sheet="Keywords", row="rows 2, 3", column="keyword",
         only="policy_text"),
]


def test_the_catalogue_has_at_least_30_kinds():
    assert len({case.id for case in CASES}) == len(CASES) >= 30


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr of one command (stdout is checked where it matters)."""
    code = main(argv)
    return code, capsys.readouterr().err


def assert_names_the_problem(message: str, case: Case) -> None:
    assert "Traceback" not in message
    for word in case.words:
        assert word in message, (word, message)
    assert "Fix:" in message, message
    if case.sheet:
        assert f"heet '{case.sheet}'" in message, message
    if isinstance(case.row, int):
        assert f"row {case.row}," in message or f"row {case.row}:" in message, message
    elif case.row:
        assert case.row in message, message
    if case.column:
        assert f"column '{case.column}'" in message, message


@pytest.fixture
def planted(base_book: Path, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Case, Path]:
    case: Case = request.param
    book = tmp_path / "inputs.xlsx"
    shutil.copyfile(base_book, book)
    case.mutate(book)
    return case, book


@pytest.mark.parametrize("planted", CASES, ids=[c.id for c in CASES], indirect=True)
def test_refresh_and_check_report_the_planted_problem(planted, capsys):
    case, book = planted
    before = sha(book)

    code, err = run_cli(["refresh", str(book), "--only", case.only, "--quiet"], capsys)
    assert code == 2, err
    problems = [line for line in err.splitlines() if line.startswith("xlcbec: ")]
    assert problems, err
    assert_names_the_problem(problems[0], case)

    code, err = run_cli(["check", str(book)], capsys)
    assert code == 2, err
    problems = [line for line in err.splitlines() if line.startswith("xlcbec: ")]
    assert len(problems) == 1, err  # exactly the planted problem, no cascade
    assert err.rstrip().endswith("1 problem(s) found")
    assert_names_the_problem(problems[0], case)

    assert sha(book) == before
    assert sorted(p.name for p in book.parent.iterdir()) == ["inputs.xlsx"]  # no results, no temporary file


def test_the_base_workbook_is_valid(base_book, tmp_path, capsys):
    """Each case fails because of what it plants: the base checks clean and refreshes."""
    book = shutil.copyfile(base_book, tmp_path / "inputs.xlsx")
    code, err = run_cli(["check", str(book)], capsys)
    assert code == 0, err
    analyses = sorted({case.only for case in CASES})
    code, err = run_cli(["refresh", str(book), "--only", ",".join(analyses), "--quiet"], capsys)
    assert code == 0, err
    assert (tmp_path / "inputs.results.xlsx").exists()


def test_check_reports_no_problem_on_the_demo_inputs(tmp_path, capsys):
    book = write_demo_inputs(tmp_path / "demo_inputs.xlsx")
    assert main(["check", str(book)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().endswith("no problems found") and captured.err == ""


def test_the_old_xls_is_a_real_excel97_file():
    """The .xls case uses a genuine BIFF8 workbook, not a forged header."""
    import olefile

    assert olefile.isOleFile(str(OLD_XLS))
    with olefile.OleFileIO(str(OLD_XLS)) as ole:
        assert ole.exists("Workbook")


def test_one_city_and_a_blank_template_are_said_plainly_by_check_and_refresh(tmp_path, capsys):
    """check and refresh stop at the same plain message (exit 2), naming the sheet and the column."""
    from xlcbec.book.template import write_template

    blank = write_template(tmp_path / "blank.xlsx")
    one = small_workbook(tmp_path / "one.xlsx")
    wb = openpyxl.load_workbook(one)
    panel = wb["Panel"]
    first = panel.cell(2, 1).value
    for row in range(panel.max_row, 1, -1):
        if panel.cell(row, 1).value != first:
            panel.delete_rows(row)
    wb.save(one)
    for book, words in ((blank, "the panel has no data rows"), (one, "a difference-in-differences needs at least two")):
        for command in (["check", str(book)], ["refresh", str(book), "--only", "baseline", "--quiet"]):
            assert main(command) == 2
            err = capsys.readouterr().err
            assert words in err and "Sheet 'Panel'" in err and "Fix:" in err and "Traceback" not in err, err


def test_a_default_control_typed_with_a_note_is_a_warning_check_prints_and_the_results_say(tmp_path, capsys):
    """'lnpop（人口对数）' is not 'lnpop': the models leave it out, and every place the user looks says so."""
    book = small_workbook(tmp_path / "renamed.xlsx")
    wb = openpyxl.load_workbook(book)
    panel = wb["Panel"]
    for cell in panel[1]:
        if cell.value == "lnpop":
            cell.value = "lnpop（人口对数）"
    wb.save(book)
    assert main(["check", str(book)]) == 0
    captured = capsys.readouterr()
    assert "default control 'lnpop' (closest header: 'lnpop（人口对数）') is not a Panel column" in captured.err
    assert "1 warning(s)" in captured.out
    out = tmp_path / "renamed.results.xlsx"
    assert main(["refresh", str(book), "--only", "baseline", "--quiet"]) == 0
    results = openpyxl.load_workbook(out, read_only=True)
    log = [str(v) for row in results["Log"].iter_rows(values_only=True) for v in row if v]
    baseline = [str(v) for row in results["Baseline"].iter_rows(values_only=True) for v in row if v]
    assert any("default control 'lnpop'" in t and "the models use" in t for t in log)
    assert any(t.startswith("Controls used: lnaca") and "(lnpop: not a Panel column)" in t for t in baseline)
