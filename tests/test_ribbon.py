"""The ribbon: customUI.xml, the VBA callback module and the dispatch table agree; dispatch never evaluates a tag.

Tolerances: none; every check here is an exact comparison of names, strings or calls.
The run lock is tested with a second process holding it, as a second click does on macOS.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree

import xlcbec.jobs as jobs_module
from xlcbec.addin_build.build import VbaModuleSource
from xlcbec.book.contract import ANALYSES
from xlcbec.errors import InputError
from xlcbec.excel import ribbon
from xlcbec.excel.addin import CUSTOM_UI_NAMESPACE

ROOT = Path(__file__).resolve().parents[1]
CUSTOM_UI = ROOT / "workbook" / "customUI.xml"
CALLBACK_BAS = ROOT / "workbook" / "xlcbec_ribbon.bas"
NS = {"ui": CUSTOM_UI_NAMESPACE}
# Microsoft's lists of Excel's control ids (imageMso values); provenance in tests/reference/README.md.
EXCEL_CONTROL_IDS = ROOT / "tests" / "reference" / "excel_control_ids.txt"
CALLBACK = "xlcbec_ribbon.RunTagged"


def buttons() -> list[Any]:
    return list(ElementTree.parse(CUSTOM_UI).getroot().iterfind(".//ui:button", NS))


class FakeHost:
    """Records what the actions ask of Excel."""

    def __init__(
        self,
        sheets: dict[str, list[list[Any]]] | None = None,
        *,
        name: str = "C:\\data\\cbec.xlsx",
        file: Path | None = None,
        unsaved: bool = False,
        chosen: list[Path] | None = None,
        answer: bool = False,
    ) -> None:
        self.sheets = sheets or {}
        self.name = name
        self.file = file
        self.unsaved = unsaved
        self.chosen = chosen or []
        self.answer = answer
        self.questions: list[str] = []
        self.messages: list[tuple[str, bool]] = []
        self.statuses: list[str | None] = []
        self.written: list[Any] = []
        self.opened: list[Path] = []
        self.documents: list[Path] = []
        self.dialogs: list[str] = []
        self.flushed = 0
        self.result_tables: dict[str, list[Any]] = {}

    def workbook_name(self) -> str:
        return self.name

    def workbook_file(self) -> Path | None:
        return self.file

    def has_unsaved_changes(self) -> bool:
        return self.unsaved

    # SheetSource over the fake workbook
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def read_values(self, sheet: str) -> list[list[Any]]:
        return self.sheets[sheet]

    def backend(self) -> FakeHost:
        return self

    def flush(self) -> None:
        self.flushed += 1

    # The result-sheet side of a backend, as far as the Check sheet uses it: tables are recorded.
    def reset_result_sheet(self, sheet: str) -> None:
        from xlcbec.book.backend import check_result_sheet

        check_result_sheet(sheet)
        self.result_tables[sheet] = []

    def write_table(self, sheet: str, table: Any, anchor: tuple[int, int] = (1, 1)) -> Any:
        from xlcbec.book.backend import Placement

        self.result_tables[sheet].append(table)
        return Placement(sheet, anchor[0], anchor[1], anchor[0] + table.height - 1, anchor[1] + table.width - 1)

    def set_column_widths(self, sheet: str, widths: Any) -> None:
        pass

    def set_print_layout(self, sheet: str, **layout: Any) -> None:
        pass

    def set_status(self, text: str) -> None:
        self.statuses.append(text)

    def message(self, text: str, *, critical: bool = False) -> None:
        self.messages.append((text, critical))

    def ask(self, question: str) -> bool:
        self.questions.append(question)
        return self.answer

    def status(self, text: str | None) -> None:
        self.statuses.append(text)

    def open_workbook(self, path: Path) -> None:
        self.opened.append(path)

    def open_document(self, path: Path) -> None:
        self.documents.append(path)

    def choose_files(self, title: str) -> list[Path]:
        self.dialogs.append(title)
        return list(self.chosen)


@pytest.fixture(autouse=True)
def private_temp_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Lock files and error logs of these tests go to a folder of their own."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setattr(ribbon, "ERROR_LOG", folder / "xlcbec-error.log")
    return folder


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Replace reading and running with recorders; returns the (inputs, only) of each run."""
    import xlcbec.book.reading as reading
    import xlcbec.jobs as jobs

    calls: list[tuple[Any, Any]] = []
    monkeypatch.setattr(reading, "inputs_from_source", lambda source, **kw: ("inputs of", source))

    def run_inputs(inputs: Any, *, only: Any = None, progress: Any = None) -> str:
        calls.append((inputs, only))
        progress("baseline", 1, 1)
        return "report"

    def write_report(backend: FakeHost, report: Any) -> None:
        backend.written.append(report)

    monkeypatch.setattr(jobs, "run_inputs", run_inputs)
    monkeypatch.setattr(jobs, "write_report", write_report, raising=False)
    return calls


# ---------------------------------------------------------------- customUI.xml


def test_ribbon_has_one_bilingual_tab_with_the_five_groups() -> None:
    root = ElementTree.parse(CUSTOM_UI).getroot()
    assert root.tag == f"{{{NS['ui']}}}customUI"
    tabs = root.findall("./ui:ribbon/ui:tabs/ui:tab", NS)
    assert [tab.get("label") for tab in tabs] == ["CBEC 跨境电商"]
    groups = [group.get("label").split(" ")[0] for group in tabs[0].findall("ui:group", NS)]
    assert groups == ["Data", "Estimate", "Robustness", "Report", "Help"]


def test_every_button_has_a_tag_and_the_one_callback() -> None:
    found = buttons()
    assert len(found) == 15
    for button in found:
        assert button.get("tag"), f"button {button.get('id')} has no tag"
        assert button.get("onAction") == CALLBACK
    ids = [button.get("id") for button in found]
    assert len(set(ids)) == len(ids)


def test_button_tags_and_dispatch_table_match_one_to_one() -> None:
    tags = [button.get("tag") for button in buttons()]
    assert len(set(tags)) == len(tags), "a tag is used by two buttons"
    assert set(tags) == set(ribbon.ACTIONS)


def test_tags_are_plain_identifiers() -> None:
    # The VBA callback splices the tag into a quoted Python string; a quote or
    # backslash in a tag could break out of it.
    for tag in ribbon.ACTIONS:
        assert re.fullmatch(r"[a-z][a-z_]*", tag), tag


def test_button_labels_start_with_the_action_labels() -> None:
    for button in buttons():
        action = ribbon.ACTIONS[button.get("tag")]
        assert button.get("label").startswith(action.label + " "), (button.get("label"), action.label)


# ---------------------------------------------------------------- the VBA module


def test_callback_module_defines_the_callback_the_ribbon_names() -> None:
    module = VbaModuleSource.parse(CALLBACK_BAS.read_text(encoding="utf-8"))
    module_name, sub_name = CALLBACK.split(".")
    assert module.name == module_name
    assert f"Sub {sub_name}(control As IRibbonControl)" in module.code
    assert (
        'RunPython "import xlcbec.excel.ribbon as r; r.dispatch(\'" & control.Tag & "\')"' in module.code
    )
    assert 'RunPython "import xlcbec.excel.ribbon as r; r.main()"' in module.code


def _python_command_for(tag: str) -> str:
    """What VBA hands to RunPython for ``tag``: the literal of the .bas with the tag spliced in."""
    code = CALLBACK_BAS.read_text(encoding="utf-8")
    match = re.search(r'RunPython "(.*)" & control\.Tag & "(.*)"', code)
    assert match is not None
    return match.group(1) + tag + match.group(2)


def test_the_vba_command_calls_dispatch_with_the_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(ribbon, "dispatch", lambda tag: seen.append(tag))
    for tag in ribbon.ACTIONS:
        exec(_python_command_for(tag), {})  # the static command text of our own .bas, as RunPython runs it
    assert seen == list(ribbon.ACTIONS)


# ---------------------------------------------------------------- the dispatch table


def test_action_has_exactly_one_of_analyses_or_handler() -> None:
    with pytest.raises(TypeError):
        ribbon.Action("x", "neither")
    with pytest.raises(TypeError):
        ribbon.Action("x", "both", analyses=("baseline",), handler=lambda host: None)


def test_analysis_buttons_use_contract_names_and_reach_every_analysis() -> None:
    named = [name for action in ribbon.ACTIONS.values() if action.analyses for name in action.analyses]
    assert set(named) <= set(ANALYSES)
    assert sorted(named) == sorted(ANALYSES), "every analysis has exactly one button"


@pytest.mark.parametrize("tag", [t for t, a in ribbon.ACTIONS.items() if a.analyses])
def test_analysis_button_runs_only_its_analyses(tag: str, pipeline: list[tuple[Any, Any]]) -> None:
    host = FakeHost()
    ribbon.dispatch(tag, host=host)
    assert pipeline == [(("inputs of", host), ribbon.ACTIONS[tag].analyses)]
    assert host.written == ["report"]
    assert host.flushed == 1, "the written sheets are brought into the workbook"
    assert host.messages == []
    assert host.statuses[-1] is None, "the status bar is given back to Excel"
    assert "xlcbec: baseline (1/1) ..." in host.statuses


def test_refresh_all_and_main_run_the_settings_selection(pipeline: list[tuple[Any, Any]]) -> None:
    host = FakeHost()
    ribbon.dispatch("refresh_all", host=host)
    ribbon.main(host=host)
    assert [only for _, only in pipeline] == [None, None]
    assert host.written == ["report", "report"]


@pytest.mark.parametrize(
    "tag",
    ["", "Baseline", "baseline ", "__import__('os').system('echo x')", "refresh_all'); import os; ('", "ACTIONS"],
)
def test_unknown_tag_is_reported_and_nothing_runs(tag: str, pipeline: list[tuple[Any, Any]]) -> None:
    host = FakeHost()
    ribbon.dispatch(tag, host=host)
    assert pipeline == []
    assert host.written == []
    assert len(host.messages) == 1
    text, critical = host.messages[0]
    assert text.startswith(f"#XLCBEC: unknown button tag {tag!r}")
    assert critical


def test_input_error_becomes_one_short_message(monkeypatch: pytest.MonkeyPatch, pipeline: list[Any]) -> None:
    import xlcbec.jobs as jobs

    def failing(inputs: Any, **kw: Any) -> None:
        raise InputError("expected a number, found 'abc'", sheet="Panel", row=5, column="HQD", fix="type a number")

    monkeypatch.setattr(jobs, "run_inputs", failing)
    host = FakeHost()
    ribbon.dispatch("baseline", host=host)
    assert host.messages == [
        ("#XLCBEC: Sheet 'Panel', row 5, column 'HQD': expected a number, found 'abc'. Fix: type a number", True)
    ]
    assert host.written == []
    assert host.statuses[-1] is None


def test_unexpected_error_gives_a_short_message_and_a_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pipeline: list[Any]
) -> None:
    import xlcbec.jobs as jobs

    def broken(inputs: Any, **kw: Any) -> None:
        raise RuntimeError("boom")

    log = tmp_path / "error.log"
    monkeypatch.setattr(jobs, "run_inputs", broken)
    monkeypatch.setattr(ribbon, "ERROR_LOG", log)
    host = FakeHost()
    ribbon.dispatch("psm", host=host)
    (text, critical), = host.messages
    assert text.startswith("#XLCBEC: unexpected error (RuntimeError: boom).")
    assert str(log) in text and "Traceback" not in text and critical
    assert "Traceback" in log.read_text(encoding="utf-8") and "RuntimeError: boom" in log.read_text(encoding="utf-8")
    assert host.statuses[-1] is None


# ---------------------------------------------------------------- the special actions


def test_check_lists_every_problem_with_its_cell() -> None:
    # Read through the real input checks (xlcbec.book.reading) from a fake workbook.
    panel = [["city", "year", "HQD"], ["Hangzhou", 2015, 0.5], ["Hangzhou", 2016, "abc"], ["Ningbo", "20x6", 0.3]]
    host = FakeHost({"Panel": panel})
    ribbon.dispatch("check", host=host)
    (text, critical), = host.messages
    assert critical
    assert text.splitlines()[0] == "2 problem(s) found:"
    assert "Sheet 'Panel', row 3, column 'HQD': expected a number in cell C3, found 'abc'" in text
    assert "Sheet 'Panel', row 4, column 'year': expected a number in cell B4, found '20x6'" in text
    assert host.written == [] and host.statuses[-1] is None
    # The Check sheet (a result sheet; the input sheets are not touched) holds the same problems.
    assert list(host.result_tables) == ["Check"] and host.sheets["Panel"] == panel
    problems = next(t for t in host.result_tables["Check"] if t.key == "check_problems")
    assert sorted(row[:3] for row in problems.values()[1:]) == [["Panel", "3", "HQD"], ["Panel", "4", "year"]]
    assert text.splitlines()[-1] == ribbon.CHECK_SHEET_LINE


def test_check_says_so_when_there_is_no_problem() -> None:
    # A panel a refresh can run: a pilot city (2016) and two never-treated ones, three years
    # (two cities and two years leave the baseline model no degree of freedom, which Check says too).
    panel = [["city", "year", "HQD", "pilot_year"]]
    for city, pilot, level in (("Hangzhou", 2016, 0.5), ("Ningbo", None, 0.4), ("Wenzhou", None, 0.3)):
        panel += [[city, year, level + 0.01 * (year - 2015) + (0.05 if pilot and year >= pilot else 0.0) + 0.003 * (year % 2),
                   pilot] for year in (2015, 2016, 2017)]
    host = FakeHost({"Panel": panel})
    ribbon.dispatch("check", host=host)
    ((text, critical),) = host.messages
    assert text.startswith("No problems found in the input sheets.") and not critical
    # No control columns at all: the defaults are left out, and Check says so before a refresh.
    assert "Warning: default controls 'lnpop'" in text and "the models use no controls" in text


def test_check_reports_what_a_refresh_would_stop_at() -> None:
    # Readable sheets, but no city is ever a pilot: the same problem `xlcbec check` reports.
    panel = [["city", "year", "HQD", "pilot_year"], ["Hangzhou", 2015, 0.5, None], ["Hangzhou", 2016, 0.6, None],
             ["Ningbo", 2015, 0.4, None], ["Ningbo", 2016, 0.45, None]]
    host = FakeHost({"Panel": panel})
    ribbon.dispatch("check", host=host)
    (text, critical), = host.messages
    assert critical and text.startswith("1 problem(s) found:")
    assert "Sheet 'Panel', column 'pilot_year': no row is treated" in text and "Fix:" in text


def test_check_reports_a_missing_panel_sheet() -> None:
    host = FakeHost({"Sheet1": [["a"]]})
    ribbon.dispatch("check", host=host)
    (text, _), = host.messages
    assert "Panel" in text and text.startswith("1 problem(s) found:")


def test_new_template_writes_into_documents_and_opens_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    written: list[tuple[Path, str]] = []

    def write_template(path: Path, *, language: str) -> None:
        written.append((path, language))
        path.write_bytes(b"template")

    fake = types.ModuleType("xlcbec.book.template")
    fake.write_template = write_template  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xlcbec.book.template", fake)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    (tmp_path / "Documents").mkdir()
    host = FakeHost()
    ribbon.dispatch("new_template", host=host)
    ribbon.dispatch("new_template", host=host)
    first, second = tmp_path / "Documents" / "cbec_template.xlsx", tmp_path / "Documents" / "cbec_template (2).xlsx"
    assert [path for path, _ in written] == [first, second]
    assert {language for _, language in written} <= {"en", "zh"}
    assert host.opened == [first, second]
    assert host.messages == []


def test_help_describes_every_button() -> None:
    host = FakeHost()
    ribbon.dispatch("help", host=host)
    (text, critical), = host.messages
    assert not critical
    for action in ribbon.ACTIONS.values():
        assert f"{action.label}: {action.description}" in text


def test_importing_the_ribbon_imports_neither_excel_nor_the_pipeline() -> None:
    import subprocess

    code = (
        "import sys; import xlcbec.excel.ribbon; "
        "heavy = [m for m in ('xlwings', 'pandas', 'xlcbec.jobs', 'openpyxl') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == ""


# ---------------------------------------------------------------- icons


def excel_control_ids() -> set[str]:
    lines = EXCEL_CONTROL_IDS.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_the_control_id_list_is_microsofts() -> None:
    ids = excel_control_ids()
    assert len(ids) == 1809
    # Spot checks: Excel's own ids (TableInsert is PowerPoint's, for one; Excel's is TableInsertExcel).
    assert {"TableInsertExcel", "FileNew", "RefreshAll", "Help"} <= ids
    assert "TableInsert" not in ids


def test_every_image_is_an_excel_control_id() -> None:
    ids = excel_control_ids()
    images = {element.get("imageMso") for element in ElementTree.parse(CUSTOM_UI).getroot().iter() if element.get("imageMso")}
    assert images, "the ribbon names its icons with imageMso"
    assert images - ids == set(), "not an Excel control id; pick one from tests/reference/excel_control_ids.txt"


# ---------------------------------------------------------------- no workbook open


def _bas_text() -> str:
    return CALLBACK_BAS.read_text(encoding="utf-8")


def test_vba_guard_lets_exactly_the_no_workbook_actions_through() -> None:
    match = re.search(r'Private Const NO_WORKBOOK_TAGS As String = "\|(.*)\|"', _bas_text())
    assert match is not None
    in_vba = set(match.group(1).split("|"))
    in_python = {tag for tag, action in ribbon.ACTIONS.items() if not action.needs_workbook}
    assert in_vba == in_python == {"new_template", "import_data", "help"}


def test_vba_checks_the_active_workbook_before_every_run_python() -> None:
    code = VbaModuleSource.parse(_bas_text()).code
    for sub in re.findall(r"^Sub \w+\(.*?^End Sub", code, flags=re.M | re.S):
        guard, run = sub.find("If ActiveWorkbook Is Nothing Then"), sub.find("RunPython \"")
        assert 0 <= guard < run, sub.splitlines()[0]
    # Without a workbook, the buttons that need none get a blank one; the others ask for one.
    assert "Set blank = Workbooks.Add" in code and "AskForWorkbook" in code


def test_vba_message_reads_in_chinese_too() -> None:
    # VBA source is stored in code page 1252, so the Chinese text is spelled with ChrW.
    match = re.search(r"((?:ChrW\(&H[0-9A-F]{4}\) & (?:_\s*)?)+ChrW\(&H[0-9A-F]{4}\))", _bas_text())
    assert match is not None
    text = "".join(chr(int(code, 16)) for code in re.findall(r"ChrW\(&H([0-9A-F]{4})\)", match.group(1)))
    assert text == "请先打开或新建一个工作簿。"
    assert _bas_text().isascii()


def test_no_workbook_actions_run_without_the_run_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    import xlcbec.excel.run_lock as run_lock_module

    def no_lock(workbook: str, **kw: Any) -> Any:
        raise AssertionError("a no-workbook action asked for the workbook's lock")

    monkeypatch.setattr(ribbon, "run_lock", no_lock)
    assert run_lock_module.run_lock is not no_lock
    host = FakeHost()
    ribbon.dispatch("help", host=host)
    assert len(host.messages) == 1 and not host.messages[0][1]


def test_a_host_that_cannot_be_built_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, private_temp_folder: Path
) -> None:
    class NoCaller:
        def __init__(self) -> None:
            raise RuntimeError("Book.caller() found no calling workbook")

    monkeypatch.setattr(ribbon, "XlwingsHost", NoCaller)
    with pytest.raises(SystemExit) as raised:
        ribbon.dispatch("baseline")
    text = str(raised.value.code)
    assert text.startswith("#XLCBEC: xlcbec could not reach the calling workbook (RuntimeError: Book.caller()")
    assert "Traceback" not in text and str(private_temp_folder / "xlcbec-error.log") in text
    assert "RuntimeError" in (private_temp_folder / "xlcbec-error.log").read_text(encoding="utf-8")


def test_the_exit_message_is_all_python_prints(private_temp_folder: Path) -> None:
    # What xlwings' RunPython shows is the process's stderr: exactly the one line.
    code = (
        "import xlcbec.excel.ribbon as r\n"
        "class NoCaller:\n"
        "    def __init__(self):\n"
        "        raise RuntimeError('no caller')\n"
        "r.XlwingsHost = NoCaller\n"
        "r.dispatch('check')\n"
    )
    env = {**__import__("os").environ, "TMPDIR": str(private_temp_folder)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("#XLCBEC: xlcbec could not reach the calling workbook (RuntimeError: no caller)")
    assert len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- one run per workbook (macOS clicks)

_HOLD_LOCK = """
import sys
from pathlib import Path
from xlcbec.excel.run_lock import run_lock
with run_lock(sys.argv[1], folder=Path(sys.argv[2])):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes stdin
"""


class LockHolder:
    """Another process in a run on ``workbook``, as the Python of a first click on macOS."""

    def __init__(self, workbook: str, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLD_LOCK, workbook, str(folder)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "held"

    def finish(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0


def test_second_click_on_a_busy_workbook_says_a_run_is_in_progress(
    pipeline: list[tuple[Any, Any]], private_temp_folder: Path
) -> None:
    workbook = "/Users/li/Documents/cbec 面板.xlsx"
    holder = LockHolder(workbook, private_temp_folder)
    try:
        host = FakeHost(name=workbook)
        ribbon.dispatch("baseline", host=host)
        assert pipeline == [] and host.written == []
        ((text, critical),) = host.messages
        assert text.startswith("xlcbec is still running on cbec 面板.xlsx") and not critical
        # The same workbook, its name in other letter case (macOS and Windows ignore case): busy too.
        other_case = FakeHost(name=workbook.upper())
        ribbon.dispatch("check", host=other_case)
        assert other_case.messages[0][0].startswith("xlcbec is still running")
        # Another workbook, and the buttons that need none, run meanwhile.
        elsewhere = FakeHost(name="/Users/li/Documents/other.xlsx")
        ribbon.dispatch("baseline", host=elsewhere)
        ribbon.dispatch("help", host=host)
        assert len(pipeline) == 1 and elsewhere.written == ["report"]
    finally:
        holder.finish()
    # The first run has ended (its process too): the next click runs.
    again = FakeHost(name=workbook)
    ribbon.dispatch("baseline", host=again)
    assert again.written == ["report"] and again.messages == []


def test_the_lock_is_given_back_after_a_failed_run(
    monkeypatch: pytest.MonkeyPatch, pipeline: list[Any], private_temp_folder: Path
) -> None:
    import xlcbec.jobs as jobs

    def failing(inputs: Any, **kw: Any) -> None:
        raise InputError("expected a number", sheet="Panel", row=2, column="HQD")

    with monkeypatch.context() as patch:
        patch.setattr(jobs, "run_inputs", failing)
        ribbon.dispatch("baseline", host=(first := FakeHost()))
    assert first.messages[0][0].startswith("#XLCBEC: Sheet 'Panel'")
    ribbon.dispatch("baseline", host=(second := FakeHost()))
    assert second.written == ["report"] and second.messages == []


def test_a_lock_left_by_a_killed_run_does_not_block(pipeline: list[Any], private_temp_folder: Path) -> None:
    workbook = "C:\\data\\cbec.xlsx"
    holder = LockHolder(workbook, private_temp_folder)
    holder.process.kill()
    holder.process.wait(timeout=60)
    ribbon.dispatch("baseline", host=(host := FakeHost(name=workbook)))
    assert host.written == ["report"] and host.messages == []


# ---------------------------------------------------------------- Import data and Export report


def test_import_data_does_nothing_when_the_dialog_is_cancelled() -> None:
    host = FakeHost(chosen=[])
    ribbon.dispatch("import_data", host=host)
    assert host.dialogs == [ribbon.IMPORT_DIALOG_TITLE]
    assert host.opened == [] and host.messages == [] and host.statuses == []


@pytest.mark.parametrize("unsaved, file", [(False, None), (True, Path("book.xlsx"))])
def test_export_report_asks_to_save_first(unsaved: bool, file: Path | None, tmp_path: Path) -> None:
    host = FakeHost(file=None if file is None else tmp_path / file, unsaved=unsaved)
    ribbon.dispatch("export_report", host=host)
    ((text, critical),) = host.messages
    assert ("never been saved" if file is None else "unsaved changes") in text and "Ctrl+S" in text and not critical
    assert host.documents == [] and list(tmp_path.iterdir()) == [tmp_path / "temp"]

needs_import = pytest.mark.skipif(
    not hasattr(jobs_module, "import_tables"), reason="xlcbec.jobs.import_tables (table import) is not in this build"
)
needs_word_report = pytest.mark.skipif(
    not hasattr(jobs_module, "write_word_report"), reason="xlcbec.jobs.write_word_report (Word report) is not in this build"
)


def _long_table(path: Path, rows: list[tuple[str, int, float]]) -> Path:
    path.write_text("城市,年份,HQD\n" + "".join(f"{c},{y},{v}\n" for c, y, v in rows), encoding="utf-8")
    return path


@needs_import
def test_import_data_writes_a_new_workbook_beside_the_tables_and_opens_it(tmp_path: Path) -> None:
    import openpyxl

    source = _long_table(tmp_path / "hqd.csv", [("杭州市", 2015, 0.5), ("杭州市", 2016, 0.6), ("宁波市", 2015, 0.4)])
    (tmp_path / "cbec_panel.xlsx").write_bytes(b"a file of the user's")
    host = FakeHost(chosen=[source])
    ribbon.dispatch("import_data", host=host)
    output = tmp_path / "cbec_panel (2).xlsx"
    assert host.opened == [output] and (tmp_path / "cbec_panel.xlsx").read_bytes() == b"a file of the user's"
    ((text, critical),) = host.messages
    assert text.startswith(f"Wrote {output}: 3 Panel rows, 2 cities") and not critical
    assert len(openpyxl.load_workbook(output, read_only=True).sheetnames) > 1


@needs_import
@pytest.mark.parametrize("answer", [False, True])
def test_import_data_offers_to_leave_out_unmatched_cities(tmp_path: Path, answer: bool) -> None:
    source = _long_table(tmp_path / "hqd.csv", [("杭州市", 2015, 0.5), ("火星市", 2015, 0.4)])
    host = FakeHost(chosen=[source], answer=answer)
    ribbon.dispatch("import_data", host=host)
    ((question),) = host.questions
    assert "火星市" in question and "leave out" in question
    assert "--skip-unmatched" not in question, "a command-line option means nothing in Excel"
    if answer:
        assert host.opened == [tmp_path / "cbec_panel.xlsx"]
        assert "1 row(s) with unmatched city names skipped" in host.messages[0][0]
    else:
        # No: nothing written, nothing opened, and no second message repeating the question's text.
        assert host.opened == [] and host.messages == [] and not (tmp_path / "cbec_panel.xlsx").exists()


@needs_word_report
def test_export_report_writes_a_word_file_beside_the_saved_workbook(tmp_path: Path) -> None:
    from xlcbec.book.template import write_input_workbook
    from xlcbec.demo_data import make_demo_panel

    demo = make_demo_panel()
    book = write_input_workbook(
        tmp_path / "cbec.xlsx", panel=demo.panel, cities=demo.cities, indicators=demo.indicators,
        settings={"analyses": "baseline"},
    )
    before = book.read_bytes()
    host = FakeHost(file=book)
    ribbon.dispatch("export_report", host=host)
    report = tmp_path / "cbec.report.docx"
    assert host.documents == [report] and zipfile.is_zipfile(report)
    with zipfile.ZipFile(report) as docx:
        assert "word/document.xml" in docx.namelist()
    ((text, critical),) = host.messages
    assert text.startswith(f"The report was written to {report}.") and not critical
    assert book.read_bytes() == before, "the workbook is only read"


# ---------------------------------------------------------------- XlwingsHost, on a stand-in for Excel


class FakeApi:
    """Excel's object model as XlwingsHost reaches it through ``.api``; records GetOpenFilename calls."""

    def __init__(self, calls: list[tuple[Any, ...]], *, saved: bool = True, chosen: Any = False) -> None:
        self.calls, self.chosen = calls, chosen
        self.Saved = saved  # Windows (COM): Workbook.Saved
        self.saved = types.SimpleNamespace(get=lambda: saved)  # macOS (appscript): workbook's saved property

    def GetOpenFilename(self, *args: Any) -> Any:  # noqa: N802 - Excel's name
        self.calls.append(("GetOpenFilename", *args))
        return self.chosen


class FakeExcel:
    """The few xlwings objects XlwingsHost touches: Book.fullname, Book.api, App.api, App.alert."""

    def __init__(self, fullname: str, *, saved: bool = True, chosen: Any = False, answer: str = "no") -> None:
        self.fullname = fullname
        self.calls: list[tuple[Any, ...]] = []
        self.api = FakeApi(self.calls, saved=saved)
        self.app = types.SimpleNamespace(api=FakeApi(self.calls, chosen=chosen), alert=self._alert)
        self._answer = answer

    def _alert(self, text: str, **options: Any) -> str:
        self.calls.append(("alert", text, tuple(sorted(options.items()))))
        return self._answer if options.get("buttons") == "yes_no" else "ok"


def test_xlwings_host_reads_the_workbook_file_and_saved_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    saved_book = tmp_path / "cbec.xlsx"
    saved_book.write_bytes(b"x")
    assert ribbon.XlwingsHost(FakeExcel(str(saved_book))).workbook_file() == saved_book  # type: ignore[arg-type]
    assert ribbon.XlwingsHost(FakeExcel("Book1")).workbook_file() is None  # type: ignore[arg-type]
    assert ribbon.XlwingsHost(FakeExcel("https://x.sharepoint.com/a.xlsx")).workbook_file() is None  # type: ignore[arg-type]
    for platform in ("win32", "darwin"):  # COM property Saved; AppleScript property saved
        monkeypatch.setattr(sys, "platform", platform)
        assert ribbon.XlwingsHost(FakeExcel("b", saved=False)).has_unsaved_changes()  # type: ignore[arg-type]
        assert not ribbon.XlwingsHost(FakeExcel("b", saved=True)).has_unsaved_changes()  # type: ignore[arg-type]


def test_xlwings_host_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    excel = FakeExcel("b", chosen=("C:\\t\\a.xlsx", "C:\\t\\b.csv"), answer="yes")
    host = ribbon.XlwingsHost(excel)  # type: ignore[arg-type]
    assert host.choose_files("title") == [Path("C:\\t\\a.xlsx"), Path("C:\\t\\b.csv")]
    # Application.GetOpenFilename(FileFilter, FilterIndex, Title, ButtonText, MultiSelect)
    assert excel.calls == [("GetOpenFilename", ribbon.IMPORT_FILE_FILTER, 1, "title", "", True)]
    assert ribbon.XlwingsHost(FakeExcel("b", chosen=False)).choose_files("t") == []  # type: ignore[arg-type]
    assert host.ask("Go on?") is True
    assert excel.calls[-1] == ("alert", "Go on?", (("buttons", "yes_no"), ("title", "xlcbec")))
    assert ribbon.XlwingsHost(FakeExcel("b", answer="no")).ask("Go on?") is False  # type: ignore[arg-type]
