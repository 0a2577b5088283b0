"""Locate and install the Excel add-in ``xlcbec.xlam`` (building it is :mod:`xlcbec.addin_build.build`).

The add-in is xlwings' ribbon add-in template (``quickstart_addin_ribbon.xlam``,
shipped inside the xlwings package; it carries the xlwings VBA runtime that
provides ``RunPython``) with four changes:

1. the ribbon part ``customUI/customUI.xml`` is ``workbook/customUI.xml``
   (Office 2010 namespace, linked with the matching relationship type);
2. the VBA project is named ``xlcbec``, the xlwings module's ``PROJECT_NAME``
   is ``"xlcbec"`` (so the add-in reads ``xlcbec.conf``), the template's demo
   module ``RibbonMyAddin`` is removed, ``workbook/xlcbec_ribbon.bas`` added, and
   the module ``xlcbec_udfs`` added: the worksheet functions' VBA wrappers,
   generated at build time from :mod:`xlcbec.excel.udfs`
   (:mod:`xlcbec.addin_build.udf_wrappers`);
3. the template's configuration sheet ``_myaddin.conf`` is ``_xlcbec.conf``;
4. nothing else: every other part is the template's, byte for byte.

Step 2 needs a VBA editor.  LibreOffice headless provides one on any OS
(:mod:`xlcbec.addin_build.libreoffice_vba`, run in a Python that has ``uno``); only
its ``xl/vbaProject.bin`` is kept, after repairing the class modules its
export loses (:mod:`xlcbec.addin_build.vba_project`).

``install`` copies the built add-in into Excel's startup folder as
``xlwings addin install`` does and writes the add-in's configuration file.
"""

from __future__ import annotations

import locale
import os
import re
import shutil
import site
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from xlcbec.errors import XlcbecError
from xlcbec.excel.ribbon import ADDIN_NAME

PROJECT_NAME: Final = "xlcbec"
CALLBACK_MODULE: Final = "xlcbec_ribbon"
FUNCTIONS_MODULE: Final = "xlcbec_udfs"
TEMPLATE_NAME: Final = "quickstart_addin_ribbon.xlam"
TEMPLATE_PROJECT: Final = "MyAddin"
TEMPLATE_DEMO_MODULE: Final = "RibbonMyAddin"
TEMPLATE_CONFIG_SHEET: Final = "_myaddin.conf"
CONFIG_SHEET: Final = f"_{PROJECT_NAME}.conf"
XLWINGS_MODULE: Final = "xlwings"
_PROJECT_NAME_LINE: Final = 'Public Const PROJECT_NAME As String = "{}"'
_XLWINGS_VERSION_LINE: Final = re.compile(r'Public Const XLWINGS_VERSION As String = "([^"]+)"')

# workbook/ of a source checkout (or an editable install); a wheel installs the same
# files under <prefix>/share/xlcbec (pyproject: [tool.setuptools.data-files]).
SOURCES_DIR: Final = Path(__file__).resolve().parents[2] / "workbook"
CUSTOM_UI_SOURCE: Final = "customUI.xml"
CALLBACK_SOURCE: Final = f"{CALLBACK_MODULE}.bas"

VBA_PART: Final = "xl/vbaProject.bin"
WORKBOOK_PART: Final = "xl/workbook.xml"
CONTENT_TYPES_PART: Final = "[Content_Types].xml"
ROOT_RELS_PART: Final = "_rels/.rels"
CUSTOM_UI_PART: Final = "customUI/customUI.xml"
# One pair ([MS-OI29500] 3.4.1.3 and 3.4.1.4, [MS-CUSTOMUI2]): the Office 2010 ribbon namespace
# (customUI14, Office 2010 and later) is the target of the 2007 relationship type; the Office 2007
# namespace .../2006/01/customui would be the target of .../2006/relationships/ui/extensibility.
CUSTOM_UI_RELATIONSHIP: Final = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CUSTOM_UI_NAMESPACE: Final = "http://schemas.microsoft.com/office/2009/07/customui"
ADDIN_CONTENT_TYPE: Final = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
_MACRO_WORKBOOK_CONTENT_TYPE: Final = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_RELATIONSHIPS_NAMESPACE: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_FIXED_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # reproducible builds

# What LibreOffice must read back from a built add-in (module types: 1 normal, 2 class, 4 document).
EXPECTED_MODULES: Final[Mapping[str, int]] = {
    XLWINGS_MODULE: 1,
    CALLBACK_MODULE: 1,
    FUNCTIONS_MODULE: 1,
    "Dictionary": 2,
    "ThisWorkbook": 4,
    "Sheet2": 4,
}

UNO_TIMEOUT_SECONDS: Final = 600


class AddinError(XlcbecError):
    """The add-in cannot be built, found or installed; the message says why and what to do."""


# ---------------------------------------------------------------- locating files


def workbook_dirs() -> tuple[Path, ...]:
    """Where the add-in files are looked for, in order: the checkout's workbook/, then the installed copies."""
    return (
        SOURCES_DIR,
        Path(sys.prefix) / "share" / PROJECT_NAME,
        Path(site.getuserbase()) / "share" / PROJECT_NAME,
    )


def _find(name: str, what: str) -> Path:
    for folder in workbook_dirs():
        if (folder / name).is_file():
            return folder / name
    looked = ", ".join(str(folder) for folder in workbook_dirs())
    raise AddinError(f"{what} {name} was not found (looked in {looked}); reinstall xlcbec or use a checkout of its repository.")


def path() -> Path:
    """The built add-in file that ``install`` copies (``workbook/xlcbec.xlam``)."""
    return _find(ADDIN_NAME, "the built add-in")


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` beside ``target``, then rename: a failure leaves ``target`` as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp makes the file private
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def default_config_dir(platform: str | None = None) -> Path:
    """Where the add-in's VBA looks for ``xlcbec.conf`` (xlwings' ``GetConfigFilePath``)."""
    platform = platform or sys.platform
    if platform == "darwin":
        # Excel on macOS is sandboxed: its "home folder" is its container.
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data"
    return Path.home() / f".{PROJECT_NAME}"


def config_entries(interpreter: str, platform: str) -> dict[str, str]:
    """The keys and values of ``xlcbec.conf`` written at install (one row per key; add keys here)."""
    entries = {
        "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN": interpreter,
        # xlcbec is imported from the environment, never from a file beside the user's workbook.
        "ADD_WORKBOOK_TO_PYTHONPATH": "False",
    }
    if platform.startswith("win"):
        # Ribbon clicks run in xlwings' persistent COM server (the worksheet functions' Python): the first
        # click starts it and imports the statistics stack, later clicks skip both (README: "Speed of a
        # click" gives the trade-off).  macOS has no COM server: every click is a new Python.
        entries["USE UDF SERVER"] = "True"
    return entries


def config_lines(entries: Mapping[str, str]) -> tuple[str, ...]:
    """The lines of ``xlcbec.conf`` (format of xlwings' config file: ``"KEY","value"``)."""
    for key, value in entries.items():
        # VBA's `Input #` reads quoted fields: a quote inside one would end it early.
        if '"' in key or '"' in value:
            raise AddinError(f"the configuration value of {key} must not contain a double quote: {value}")
    return tuple(f'"{key}","{value}"' for key, value in entries.items())


def config_encoding(platform: str) -> str:
    """The encoding the add-in's VBA reads ``xlcbec.conf`` in.

    On Windows VBA's ``Open ... For Input`` / ``Input #`` reads bytes in the ANSI
    code page (936 on Chinese Windows, 1252 on Western ones), and xlwings' own
    config writer uses the locale encoding, which is that code page.  Python 3.11's
    ``locale.getencoding()`` gives it even in Python's UTF-8 mode.  On macOS
    the locale encoding, and so xlwings' writer, is UTF-8.
    """
    if not platform.startswith("win"):
        return "utf-8"
    getencoding = getattr(locale, "getencoding", None)  # Python 3.11+
    return str(getencoding() if getencoding is not None else locale.getpreferredencoding(False))


def encode_config(lines: tuple[str, ...], platform: str, encoding: str) -> bytes:
    """The file's bytes: ``lines`` in ``encoding``, or a clear refusal of what it cannot hold."""
    newline = "\r\n" if platform.startswith("win") else "\n"
    text = newline.join(lines) + newline
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as error:
        unreadable = text[error.start : error.end]
        line = next(line for line in lines if unreadable in line)
        raise AddinError(
            f"the add-in's configuration cannot hold {unreadable!r} in {line}: Excel's VBA reads the file in this "
            f"computer's code page ({encoding}), which has no such character. Install Python (or the environment) "
            "in a folder whose path this code page can write, e.g. C:\\xlcbec\\venv, and run `xlcbec addin install` again."
        ) from None


def write_config(
    directory: Path | None = None,
    *,
    interpreter: str | None = None,
    platform: str | None = None,
    encoding: str | None = None,
) -> Path:
    """Write ``xlcbec.conf`` for the current Python environment, in the encoding VBA reads; return its path."""
    target, data = config_file(directory, interpreter=interpreter, platform=platform, encoding=encoding)
    _atomic_write(target, data)
    return target


def config_file(
    directory: Path | None = None,
    *,
    interpreter: str | None = None,
    platform: str | None = None,
    encoding: str | None = None,
) -> tuple[Path, bytes]:
    """(where, bytes) of ``xlcbec.conf``: :func:`write_config` without the write, so install can check it first."""
    platform = platform or sys.platform
    folder = Path(directory) if directory is not None else default_config_dir(platform)
    lines = config_lines(config_entries(interpreter or sys.executable, platform))
    return folder / f"{PROJECT_NAME}.conf", encode_config(lines, platform, encoding or config_encoding(platform))


def install(source: Path | None = None) -> Path:
    """Copy the add-in (default :func:`path`) into Excel's startup folder, write its configuration.

    Returns where the add-in went.
    """
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        raise AddinError(
            f"`xlcbec addin install` puts the add-in into Microsoft Excel, which runs on Windows and macOS; "
            f"this computer runs {sys.platform}. Without Excel, use `xlcbec refresh BOOK`."
        )
    import xlwings as xw
    from xlwings import cli as xlwings_cli

    source = Path(source) if source is not None else path()
    from xlcbec.addin_build.build import addin_xlwings_version  # reads the add-in's VBA project

    # A configuration the add-in could not read is refused before anything is installed.
    config_target, config_data = config_file()
    built_with = addin_xlwings_version(source)
    if built_with != xw.__version__:
        raise AddinError(
            f"the add-in carries the VBA of xlwings {built_with} but this environment has xlwings {xw.__version__}; "
            f"they must match: pip install xlwings=={built_with} (or rebuild the add-in with `xlcbec addin build`)."
        )
    # Same folder as `xlwings addin install`: the user's XLSTART (starts Excel if none runs).
    target = Path(str(xlwings_cli.get_addin_dir())) / ADDIN_NAME
    for app in xw.apps:
        try:
            app.books[ADDIN_NAME].close()
        except KeyError:
            pass
    try:
        shutil.copyfile(source, target)
    except PermissionError as error:
        raise AddinError(f"could not write {target}: quit Excel and run `xlcbec addin install` again") from error
    if sys.platform == "darwin":
        # RunPython on macOS goes through an AppleScript that must sit in Excel's script folder.
        xlwings_cli.runpython_install(None)
    _atomic_write(config_target, config_data)
    return target
