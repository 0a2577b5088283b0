"""Edit or inspect the VBA project of an Excel workbook with LibreOffice headless (UNO).

This file runs in a Python that can ``import uno`` (the system Python with
python3-uno on Linux, or the Python bundled with LibreOffice), which is in
general not the one xlcbec runs in.  So it uses only the standard library and
``uno``, imports nothing from xlcbec, and is started as a script:

    python3 libreoffice_vba.py JOB.json

The job file says what to do; the result is printed to stdout as JSON; a
failure prints one line to stderr and exits with status 1.

Jobs
----
``{"command": "edit", "soffice": ..., "source": ..., "target": ..., "project": {"from": "MyAddin", "to": "xlcbec"},
   "remove": [module names], "replace": [[module, old text, new text]], "add": {module name: VBA source}}``
    Opens ``source``, renames the VBA project (library), removes modules, edits
    module text, adds standard modules (registered with ``insertModuleInfo``,
    type NORMAL, before insertion: without module info LibreOffice would not
    export them as VBA modules) and saves ``target`` with the filter
    "Calc MS Excel 2007 VBA XML", which writes ``xl/vbaProject.bin``.
``{"command": "inspect", "soffice": ..., "source": ...}``
    Opens ``source`` and reports the sheet names, the VBA project name and the
    type of every module (1 normal, 2 class, 3 form, 4 document).

Documents are opened with macro execution off, in a private user profile that
is deleted afterwards, so nothing in a workbook runs and no user setting is touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.script import ModuleInfo

IMPORT_FILTER = "Calc MS Excel 2007 VBA XML"
EXPORT_FILTER = "Calc MS Excel 2007 VBA XML"
MODULE_TYPE_NORMAL = 1  # com.sun.star.script.ModuleType.NORMAL
NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
CONNECT_TIMEOUT_SECONDS = 90.0


class JobError(Exception):
    pass


def _property(name: str, value: Any) -> Any:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


@contextlib.contextmanager
def _office(soffice: str) -> Iterator[Any]:
    """A private headless LibreOffice, yielding its desktop; always shut down."""
    profile = tempfile.mkdtemp(prefix="xlcbec-lo-profile-")
    pipe = f"xlcbec_{os.getpid()}_{int(time.time() * 1000)}"
    process = subprocess.Popen(
        [
            soffice,
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            "--nolockcheck",
            "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise JobError(f"LibreOffice ({soffice}) exited with status {process.returncode} before accepting a connection")
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception as error:  # NoConnectException until the office listens
                if time.monotonic() > deadline:
                    raise JobError(f"could not connect to LibreOffice within {CONNECT_TIMEOUT_SECONDS:.0f} s: {error}") from error
                time.sleep(0.2)
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        try:
            yield desktop
        finally:
            with contextlib.suppress(Exception):  # the bridge drops as the office quits
                desktop.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def _document(desktop: Any, path: str) -> Iterator[Any]:
    url = uno.systemPathToFileUrl(os.path.abspath(path))
    properties = (
        _property("Hidden", True),
        _property("ReadOnly", False),
        _property("MacroExecutionMode", NEVER_EXECUTE),
        _property("FilterName", IMPORT_FILTER),
    )
    document = desktop.loadComponentFromURL(url, "_blank", 0, properties)
    if document is None:
        raise JobError(f"LibreOffice could not open {path}")
    try:
        yield document
    finally:
        document.close(True)


def _vba_library(document: Any, name: str) -> Any:
    libraries = document.BasicLibraries
    if not libraries.hasByName(name):
        raise JobError(f"the workbook has no VBA project '{name}'; its Basic libraries are {list(libraries.getElementNames())}")
    return libraries.getByName(name)


def _module_types(library: Any) -> dict[str, int]:
    types = {}
    for name in library.getElementNames():
        types[name] = int(library.getModuleInfo(name).ModuleType) if library.hasModuleInfo(name) else 0
    return types


def _edit(job: dict[str, Any]) -> dict[str, Any]:
    with _office(job["soffice"]) as desktop, _document(desktop, job["source"]) as document:
        libraries = document.BasicLibraries
        old_name, new_name = job["project"]["from"], job["project"]["to"]
        _vba_library(document, old_name)
        if new_name != old_name:
            libraries.renameLibrary(old_name, new_name)
            # The VBA export names the project after this property and looks the library up by it.
            libraries.ProjectName = new_name
        library = _vba_library(document, new_name)
        for name in job.get("remove", []):
            if not library.hasByName(name):
                raise JobError(f"cannot remove module '{name}': not in the VBA project")
            library.removeByName(name)
            if library.hasModuleInfo(name):
                library.removeModuleInfo(name)
        for name, old, new in job.get("replace", []):
            source = library.getByName(name)
            if source.count(old) != 1:
                raise JobError(f"expected the text {old!r} once in module '{name}', found it {source.count(old)} times")
            library.replaceByName(name, source.replace(old, new))
        for name, source in job.get("add", {}).items():
            if library.hasByName(name):
                raise JobError(f"cannot add module '{name}': the VBA project already has one")
            info = ModuleInfo()
            info.ModuleType = MODULE_TYPE_NORMAL
            library.insertModuleInfo(name, info)
            # The two header lines are the ones LibreOffice puts on imported VBA modules; its
            # export strips them again, so the exported source is exactly `source`.
            library.insertByName(name, "Rem Attribute VBA_ModuleType=VBAModule\nOption VBASupport 1\n" + source)
        target_url = uno.systemPathToFileUrl(os.path.abspath(job["target"]))
        document.storeToURL(target_url, (_property("FilterName", EXPORT_FILTER),))
        return {"project": libraries.ProjectName, "modules": _module_types(library)}


def _inspect(job: dict[str, Any]) -> dict[str, Any]:
    with _office(job["soffice"]) as desktop, _document(desktop, job["source"]) as document:
        libraries = document.BasicLibraries
        project = libraries.ProjectName
        modules = _module_types(libraries.getByName(project)) if project and libraries.hasByName(project) else {}
        return {"project": project, "modules": modules, "sheets": list(document.Sheets.getElementNames())}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: libreoffice_vba.py JOB.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    commands = {"edit": _edit, "inspect": _inspect}
    command = commands.get(job.get("command"))
    if command is None:
        print(f"unknown command {job.get('command')!r}; expected one of {sorted(commands)}", file=sys.stderr)
        return 2
    try:
        result = command(job)
    except JobError as error:
        print(str(error), file=sys.stderr)
        return 1
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
