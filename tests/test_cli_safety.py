"""Safe writing and hostile files, through the command line.

* A save that fails at any step (the writer, flush/fsync, permissions, the
  final rename) leaves the previous results file byte-identical, the input
  untouched and no temporary file; the user gets exit 2 and a message.
* Two refreshes writing the same output at once (two processes) leave one
  complete workbook: exactly one of the two runs' results.
* An unwritable or missing output folder is a clear message, said before any
  estimation starts.
* XML bombs in any part and zip bombs (declared sizes) are refused, the zip
  bomb before anything is expanded; openpyxl parses through defusedxml.
* No cell content is evaluated: a formula's stored result is what is used.
* Input text starting with =, +, - or @ comes back as text, never a formula.

Tolerances: bytes, exit codes and texts are compared exactly.  Estimates read
back from a results workbook are compared to the run's JSON with relative
tolerance 1e-14: the .xlsx stores each number as decimal text of up to 17
significant digits, and the read-back may differ from the double in the last
digit (the two runs compared differ by more than 1e-3 relative).  A formula
cell's stored result against the same plain value: the JSON estimates are
compared exactly, since both runs read the same double and run the same
baseline in this process (bit-identical by design).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from tests.book_files import patch_zip, replace_cell, sheet_part
from tests.test_bad_inputs import XML_BOMB, declared_zip_bomb, small_workbook
from xlcbec.cli import main

ROOT = Path(__file__).resolve().parents[1]
FLOAT_ROUND_TRIP = 1e-14  # see the module docstring


@pytest.fixture(scope="module")
def base_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workbook(tmp_path_factory.mktemp("safety") / "base.xlsx")


@pytest.fixture
def book(base_book: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(base_book, tmp_path / "inputs.xlsx"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def refresh(*args: str) -> list[str]:
    return ["refresh", *args, "--only", "baseline", "--quiet"]


# --- atomic saves -----------------------------------------------------------------------------


class WriterFailure(OSError):
    pass


def _fail_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    from xlcbec.book.result_package import _ZipWriter

    real_save = openpyxl.Workbook.save

    def half_then_fail(self, handle):  # writes part of the zip, then the disk fills up
        real_save(self, handle)
        raise WriterFailure(28, "No space left on device")

    def members_then_fail(self):  # the merged package: every member written, the disk fills up before the directory
        raise WriterFailure(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", half_then_fail)  # the openpyxl route
    monkeypatch.setattr(_ZipWriter, "close", members_then_fail)  # the zip-level merge


def _fail(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def refuse(*args, **kwargs):
        raise OSError(5, f"simulated failure in {name}")

    monkeypatch.setattr(os, name, refuse)


@pytest.mark.parametrize("step", ["writer", "fsync", "chmod", "replace"])
def test_a_save_failing_at_any_step_keeps_the_previous_results(book, monkeypatch, capsys, step):
    out = book.parent / "results.xlsx"
    assert main(refresh(str(book), "-o", str(out))) == 0
    previous, inputs = sha(out), sha(book)
    capsys.readouterr()
    if step == "writer":
        _fail_writer(monkeypatch)
    else:
        _fail(monkeypatch, step)
    code = main(refresh(str(book), "-o", str(out)))
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 2, err
    assert "the previous file, if any, is unchanged" in err and "Fix:" in err and "Traceback" not in err
    assert sha(out) == previous and sha(book) == inputs
    assert temporaries(book.parent) == []
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[-1] == "Log"  # still the complete old results


def test_two_refreshes_writing_one_output_at_once_leave_one_complete_file(book, tmp_path):
    """Two processes, two different inputs, one output name: the survivor is one run's complete results."""
    other = tmp_path / "other.xlsx"
    shutil.copyfile(book, other)
    wb = openpyxl.load_workbook(other)
    panel = wb["Panel"]
    for row in range(2, 50):  # a different outcome: the two runs' estimates differ
        cell = panel.cell(row, 4)
        cell.value = float(cell.value) * 1.5
    wb.save(other)
    out = tmp_path / "shared.xlsx"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    runs = [subprocess.Popen([sys.executable, "-m", "xlcbec.cli", *refresh(str(source), "-o", str(out),
                                                                              "--json", str(tmp_path / f"{source.stem}.json"))],
                             cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for source in (book, other)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None  # every member complete, checksums valid
    estimates = openpyxl.load_workbook(out, read_only=True)["Estimates"]
    written = [row[3] for row in estimates.iter_rows(min_row=2, values_only=True)]
    expected = [[row["estimate"] for row in json.loads((tmp_path / f"{s.stem}.json").read_text())["estimates"]]
                for s in (book, other)]
    matches = [len(e) == len(written) and np.allclose(written, e, rtol=FLOAT_ROUND_TRIP, atol=0.0) for e in expected]
    assert sum(matches) == 1, (written, expected)  # one run's results, whole: not a mix, not neither
    assert temporaries(tmp_path) == []


def test_an_unwritable_output_folder_is_said_before_estimating(book, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # running as root, permissions do not bind: refuse as the OS would
            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(tempfile, "mkstemp", refuse)
        code = main(refresh(str(book), "-o", str(folder / "out.xlsx")))
        err = capsys.readouterr().err
    finally:
        folder.chmod(0o755)
    assert code == 2, err
    assert re.search(r"cannot write in the (output )?folder", err) and "Fix:" in err and "Traceback" not in err
    assert list(folder.iterdir()) == []


def test_a_missing_output_folder_is_said_before_estimating(book, tmp_path, monkeypatch, capsys):
    from xlcbec import jobs

    def never(*args, **kwargs):
        raise AssertionError("the analyses ran although the results could not be saved")

    monkeypatch.setattr(jobs, "run_inputs", never)
    code = main(refresh(str(book), "-o", str(tmp_path / "no" / "such" / "out.xlsx")))
    err = capsys.readouterr().err
    assert code == 2 and "does not exist" in err and "Fix:" in err


# --- hostile files ------------------------------------------------------------------------------


@pytest.mark.parametrize("part", ["Panel", "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                  "[Content_Types].xml", "docProps/core.xml"])
def test_an_xml_bomb_in_any_part_is_refused(book, tmp_path, capsys, part):
    member = sheet_part(book, part) if part == "Panel" else part
    with zipfile.ZipFile(book) as archive:
        assert member in archive.namelist()  # the bomb replaces a real part

    def laughing(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        return XML_BOMB.encode() + body

    bomb = patch_zip(book, tmp_path / "bomb.xlsx", {member: laughing})
    for command in (refresh(str(bomb)), ["check", str(bomb)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"part {member} declares a document type or entities" in err and "Fix:" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.xlsx", "inputs.xlsx"]


def test_openpyxl_parses_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML


def test_a_zip_bomb_is_refused_before_anything_is_expanded(book, monkeypatch, capsys):
    declared_zip_bomb(book)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    assert main(refresh(str(book))) == 2
    err = capsys.readouterr().err
    assert "possible zip bomb" in err and "Fix:" in err
    assert opened == []  # refused from the central directory alone


def _with_cached_formula(book: Path, target: Path, cached: float) -> Path:
    """Panel cell X7 (lnpop) becomes a formula whose stored result is ``cached``; the formula
    itself would compute something else, and would run a program if anything evaluated it."""
    formula = "cmd|'/C calc'!A0+1"  # a DDE payload: evaluating cells would be dangerous
    cell = f'<c r="X7"><f>{formula}</f><v>{cached!r}</v></c>'
    return patch_zip(book, target, {sheet_part(book, "Panel"): lambda xml: replace_cell(xml, "X7", cell)})


def test_no_cell_content_is_evaluated(book, tmp_path, capsys):
    """A formula counts with its stored result: the estimates equal those of a plain value there."""
    value = openpyxl.load_workbook(book)["Panel"]["X7"].value
    with_formula = _with_cached_formula(book, tmp_path / "formula.xlsx", float(value))
    runs = {}
    for name, source in (("plain", book), ("formula", with_formula)):
        assert main(refresh(str(source), "-o", str(tmp_path / f"{name}.results.xlsx"), "--json",
                            str(tmp_path / f"{name}.json"))) == 0
        runs[name] = json.loads((tmp_path / f"{name}.json").read_text())["estimates"]
    assert runs["formula"] == runs["plain"]  # same doubles in, same code: exact (see the module docstring)
    assert main(["check", str(with_formula)]) == 0
    capsys.readouterr()


# --- text that looks like a formula ------------------------------------------------------------

FORMULA_LIKE = {"=": '=HYPERLINK("http://example.invalid","x")', "+": "+跨境", "-": "-贸易", "@": "@SUM(1,2)"}


def test_formula_like_input_text_is_written_as_text(book, tmp_path):
    wb = openpyxl.load_workbook(book)
    policies = wb["Policies"]
    policies.cell(2, 2).value = FORMULA_LIKE["="]  # a policy title
    policies.cell(2, 2).data_type = "s"
    keywords = wb["Keywords"]
    keywords.append(["@theme", FORMULA_LIKE["+"]])  # a theme and its keyword
    keywords.append(["+trade", FORMULA_LIKE["-"]])
    indicators = wb["Indicators"]
    indicators.cell(2, 3).value = FORMULA_LIKE["@"]  # a dimension of the index
    for sheet in (keywords, indicators):
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    wb.save(book)
    assert main(["refresh", str(book), "--only", "index,policy_text", "--quiet"]) == 0
    out = book.with_name("inputs.results.xlsx")
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(\w+:)?f[ >/]", archive.read(name)), name
    results = openpyxl.load_workbook(out)
    found: dict[str, set[str]] = {}
    for sheet in ("Index", "PolicyText", "Estimates"):
        for row in results[sheet].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value[:1] in FORMULA_LIKE:
                    assert cell.data_type == "s", (sheet, cell.coordinate, cell.value)
                    found.setdefault(cell.value[0], set()).add(sheet)
    assert set(found) == set(FORMULA_LIKE), found  # each of =, +, -, @ reached a result sheet as text


# --- no command destroys a file the user has -------------------------------------------------


def _nothing_written(folder: Path, before: set[str]) -> bool:
    return {p.name for p in folder.iterdir()} == before


@pytest.mark.parametrize("arrangement", ["json_is_the_input", "json_is_the_output", "output_is_the_input_by_link",
                                         "output_differs_only_in_case", "json_folder_missing"])
def test_an_output_clash_is_refused_before_anything_is_read_or_written(book, tmp_path, monkeypatch, capsys, arrangement):
    from xlcbec.book import reading

    def never(*args, **kwargs):
        raise AssertionError("the input was read although an output clashes")

    monkeypatch.setattr(reading, "read_inputs", never)
    out = tmp_path / "out.xlsx"
    if arrangement == "json_is_the_input":
        args, named = ["-o", str(out), "--json", str(book)], [str(book), "--json"]
    elif arrangement == "json_is_the_output":
        args, named = ["-o", str(out), "--json", str(out)], ["-o", "--json", "same file"]
    elif arrangement == "output_is_the_input_by_link":
        link = tmp_path / "link.xlsx"
        link.symlink_to(book)
        args, named = ["-o", str(link)], ["overwrite the input"]
    elif arrangement == "output_differs_only_in_case":
        args, named = ["-o", str(book.with_name(book.name.upper()))], ["is the input workbook"]
    else:
        args, named = ["-o", str(out), "--json", str(tmp_path / "missing" / "r.json")], ["does not exist", "--json"]
    before, inputs = {p.name for p in tmp_path.iterdir()}, sha(book)
    code = main(refresh(str(book), *args))
    err = capsys.readouterr().err
    assert code == 2, err
    assert all(word in err for word in named) and "Fix:" in err and "Traceback" not in err
    assert sha(book) == inputs and _nothing_written(tmp_path, before)


def test_a_batch_whose_results_would_replace_another_input_is_refused(book, tmp_path, capsys):
    second = Path(shutil.copyfile(book, tmp_path / "inputs.results.xlsx"))  # where inputs.xlsx's results go
    inputs = sha(second)
    code = main(["refresh", str(book), str(second), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "is the input workbook" in err and str(second) in err
    assert sha(second) == inputs


@pytest.mark.parametrize("command", ["template", "demo"])
def test_template_and_demo_never_replace_an_existing_workbook(book, capsys, command):
    inputs = sha(book)
    code = main([command, str(book)] + (["--quiet"] if command == "demo" else []))
    err = capsys.readouterr().err
    assert code == 2 and "exists" in err and "--force" in err
    assert sha(book) == inputs


def test_template_force_replaces_atomically(book, capsys):
    assert main(["template", str(book), "--force"]) == 0
    assert openpyxl.load_workbook(book, read_only=True)["Panel"].max_row == 1  # the blank template now
    assert temporaries(book.parent) == []


def test_a_new_file_is_never_replaced_even_when_it_appears_during_the_write(tmp_path):
    """The no-replace write links the finished file to its name: a file created meanwhile stays."""
    from xlcbec.book.atomic import atomic_write
    from xlcbec.errors import InputError

    target = tmp_path / "new.xlsx"

    def write(handle):
        target.write_bytes(b"the user's")  # appears after the check, before the rename
        handle.write(b"ours")

    with pytest.raises(InputError, match="exists"):
        atomic_write(target, write, overwrite=False)
    assert target.read_bytes() == b"the user's" and temporaries(tmp_path) == []


def test_stale_temporaries_of_a_killed_writer_are_removed_by_the_next_write(book, tmp_path):
    import time as clock

    from xlcbec.book import atomic

    out = tmp_path / "out.xlsx"
    stale, fresh, foreign = tmp_path / ".out.xlsx.k1ll3d.tmp", tmp_path / ".out.xlsx.writing.tmp", tmp_path / ".other.xlsx.k1ll3d.tmp"
    for leftover in (stale, fresh, foreign):
        leftover.write_bytes(b"half a workbook")
    old = atomic.process_start() - atomic.STALE_MARGIN_SECONDS - 3600
    os.utime(stale, (old, old))
    os.utime(foreign, (old, old))
    os.utime(fresh, (clock.time(), clock.time()))  # a concurrent writer's: kept
    assert main(refresh(str(book), "-o", str(out))) == 0
    assert not stale.exists() and fresh.exists() and foreign.exists()


def test_the_command_exits_quickly_yet_keeps_its_output_code_and_exit_handlers(tmp_path):
    """``xlcbec`` ends without the interpreter's teardown: what it printed, its exit code and atexit still hold."""
    script = ("import atexit, sys; atexit.register(lambda: print('exit handlers ran', flush=True)); "
              "sys.argv = ['xlcbec', 'check', 'no such book.xlsx']; from xlcbec.cli import run; run()")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout.strip() == "exit handlers ran"
    module = subprocess.run([sys.executable, "-m", "xlcbec", "--version"], capture_output=True, text=True,
                            cwd=tmp_path, check=False, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert module.returncode == 0 and module.stdout.strip()
