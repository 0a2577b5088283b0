"""The ribbon: customUI.xml, the VBA callback module and the dispatch table agree; dispatch never evaluates a tag.

Tolerances: none; every check here is an exact comparison of names, strings or calls.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree

from xlcbec.addin_build.build import VbaModuleSource
from xlcbec.book.contract import ANALYSES
from xlcbec.errors import InputError
from xlcbec.excel import ribbon

ROOT = Path(__file__).resolve().parents[1]
CUSTOM_UI = ROOT / "workbook" / "customUI.xml"
CALLBACK_BAS = ROOT / "workbook" / "xlcbec_ribbon.bas"
NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
CALLBACK = "xlcbec_ribbon.RunTagged"


def buttons() -> list[Any]:
    return list(ElementTree.parse(CUSTOM_UI).getroot().iterfind(".//ui:button", NS))


class FakeHost:
    """Records what the actions ask of Excel."""

    def __init__(self, sheets: dict[str, list[list[Any]]] | None = None) -> None:
        self.sheets = sheets or {}
        self.messages: list[tuple[str, bool]] = []
        self.statuses: list[str | None] = []
        self.written: list[Any] = []
        self.opened: list[Path] = []
        self.imported: list[str] = []
        self.flushed = 0

    # SheetSource over the fake workbook
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def read_values(self, sheet: str) -> list[list[Any]]:
        return self.sheets[sheet]

    def backend(self) -> FakeHost:
        return self

    def flush(self) -> None:
        self.flushed += 1

    def message(self, text: str, *, critical: bool = False) -> None:
        self.messages.append((text, critical))

    def status(self, text: str | None) -> None:
        self.statuses.append(text)

    def open_workbook(self, path: Path) -> None:
        self.opened.append(path)

    def import_functions(self, module: str) -> None:
        self.imported.append(module)


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
    assert groups == ["Data", "Estimate", "Robustness", "Functions", "Help"]


def test_every_button_has_a_tag_and_the_one_callback() -> None:
    found = buttons()
    assert len(found) == 14
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


def test_import_functions_needs_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    host = FakeHost()
    ribbon.dispatch("import_functions", host=host)
    assert host.imported == []
    (text, critical), = host.messages
    assert text.startswith("#XLCBEC: worksheet functions need Excel on Windows") and critical

    monkeypatch.setattr(sys, "platform", "win32")
    host = FakeHost()
    ribbon.dispatch("import_functions", host=host)
    assert host.imported == ["xlcbec.excel.udfs"]


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
