"""Build the Excel add-in ``xlcbec.xlam`` from xlwings' ribbon add-in template (``xlcbec addin build``).

Build tooling, not needed at run time in Excel: the template is patched as
:mod:`xlcbec.excel.addin` describes, its VBA project edited through
LibreOffice headless (:mod:`xlcbec.addin_build.libreoffice_vba`) and repaired
(:mod:`xlcbec.addin_build.vba_project`, :mod:`xlcbec.addin_build.cfb`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from defusedxml import ElementTree

from xlcbec.addin_build.udf_wrappers import udf_module
from xlcbec.addin_build.vba_project import VbaProject, VbaProjectError, restore_class_modules
from xlcbec.excel.addin import (  # the add-in's names and parts, shared with install
    _FIXED_ZIP_TIME,
    _MACRO_WORKBOOK_CONTENT_TYPE,
    _PROJECT_NAME_LINE,
    _RELATIONSHIPS_NAMESPACE,
    _XLWINGS_VERSION_LINE,
    ADDIN_CONTENT_TYPE,
    CALLBACK_MODULE,
    CALLBACK_SOURCE,
    CONFIG_SHEET,
    CONTENT_TYPES_PART,
    CUSTOM_UI_NAMESPACE,
    CUSTOM_UI_PART,
    CUSTOM_UI_RELATIONSHIP,
    CUSTOM_UI_SOURCE,
    EXPECTED_MODULES,
    PROJECT_NAME,
    ROOT_RELS_PART,
    SOURCES_DIR,
    TEMPLATE_CONFIG_SHEET,
    TEMPLATE_DEMO_MODULE,
    TEMPLATE_NAME,
    TEMPLATE_PROJECT,
    UNO_TIMEOUT_SECONDS,
    VBA_PART,
    WORKBOOK_PART,
    XLWINGS_MODULE,
    AddinError,
    Mapping,
    _atomic_write,
    _find,
)
from xlcbec.excel.ribbon import ADDIN_NAME


def template_path() -> Path:
    """xlwings' ribbon add-in template inside the installed xlwings package."""
    import xlwings

    candidate = Path(xlwings.__file__).resolve().parent / TEMPLATE_NAME
    if not candidate.is_file():
        raise AddinError(
            f"xlwings {xlwings.__version__} has no {TEMPLATE_NAME} (looked in {candidate.parent}); "
            "install an xlwings release that ships it (0.22 or later)."
        )
    return candidate



# ---------------------------------------------------------------- sources


@dataclass(frozen=True)
class VbaModuleSource:
    """A standard module as exported by the VBA editor (``.bas``)."""

    name: str
    code: str

    @classmethod
    def parse(cls, text: str) -> VbaModuleSource:
        lines = text.replace("\r\n", "\n").split("\n")
        match = re.fullmatch(r'Attribute VB_Name = "(\w+)"', lines[0].strip()) if lines else None
        if match is None:
            raise AddinError('a .bas module must start with the line Attribute VB_Name = "<module name>"')
        body = [line for line in lines[1:] if not line.startswith("Attribute ")]
        return cls(name=match.group(1), code="\n".join(body).strip("\n") + "\n")


def read_custom_ui(source: Path) -> bytes:
    """The ribbon XML, checked to parse and to be a customUI document."""
    data = source.read_bytes()
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise AddinError(f"{source} is not well-formed XML: {error}") from error
    if root.tag != f"{{{CUSTOM_UI_NAMESPACE}}}customUI":
        raise AddinError(f"{source} must have the root element customUI in namespace {CUSTOM_UI_NAMESPACE}; found {root.tag}")
    return data


# ---------------------------------------------------------------- LibreOffice


def _first_existing(candidates: list[Path]) -> str | None:
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return None


def find_soffice() -> str:
    """The LibreOffice program: ``$XLCBEC_SOFFICE``, then the PATH, then the usual install folders."""
    configured = os.environ.get("XLCBEC_SOFFICE")
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise AddinError(f"XLCBEC_SOFFICE is set to {configured}, which is not a program; point it to LibreOffice's soffice")
        return found
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    known = _first_existing(
        [
            Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
            Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "LibreOffice" / "program" / "soffice.exe",
        ]
    )
    if known:
        return known
    raise AddinError(
        "LibreOffice was not found. Building the add-in needs LibreOffice (any OS): install it "
        "(Debian/Ubuntu: apt-get install libreoffice-calc-nogui python3-uno libreoffice-script-provider-python) "
        "or set XLCBEC_SOFFICE to the soffice program."
    )


def _imports_uno(python: str) -> bool:
    try:
        result = subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def find_uno_python(soffice: str) -> str:
    """A Python that can ``import uno``: ``$XLCBEC_UNO_PYTHON``, LibreOffice's own, the system's."""
    configured = os.environ.get("XLCBEC_UNO_PYTHON")
    if configured:
        return configured
    program = Path(soffice).resolve().parent
    candidates = [
        program / "python.exe",  # Windows: bundled with LibreOffice
        program / "python",
        program.parent / "Resources" / "python",  # macOS app bundle
        Path("/usr/bin/python3"),  # Linux: python3-uno
        Path(sys.executable),
    ]
    for candidate in candidates:
        if candidate.is_file() and _imports_uno(str(candidate)):
            return str(candidate)
    raise AddinError(
        "no Python that can import uno (LibreOffice's Python-UNO bridge) was found. "
        "On Debian/Ubuntu install python3-uno; elsewhere set XLCBEC_UNO_PYTHON to LibreOffice's python."
    )


def _run_libreoffice(job: dict[str, object], *, soffice: str | None, uno_python: str | None) -> dict[str, object]:
    soffice = soffice or find_soffice()
    python = uno_python or find_uno_python(soffice)
    script = Path(__file__).with_name("libreoffice_vba.py")
    with tempfile.TemporaryDirectory(prefix="xlcbec-uno-job-") as folder:
        job_file = Path(folder) / "job.json"
        job_file.write_text(json.dumps({**job, "soffice": soffice}), encoding="utf-8")
        try:
            result = subprocess.run(
                [python, str(script), str(job_file)],
                capture_output=True,
                text=True,
                timeout=UNO_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise AddinError(f"LibreOffice did not finish within {UNO_TIMEOUT_SECONDS} s") from error
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise AddinError(f"LibreOffice could not {job['command']} the VBA project: {detail}")
    report: dict[str, object] = json.loads(result.stdout)
    return report


@dataclass(frozen=True)
class LibreOfficeView:
    """A workbook as LibreOffice reads it: VBA project name, module types, sheet names."""

    project: str
    modules: Mapping[str, int]
    sheets: tuple[str, ...]


def inspect_with_libreoffice(
    workbook: Path, *, soffice: str | None = None, uno_python: str | None = None
) -> LibreOfficeView:
    """Open ``workbook`` in LibreOffice headless and report what it read."""
    with tempfile.TemporaryDirectory(prefix="xlcbec-addin-inspect-") as folder:
        # A copy: LibreOffice puts a lock file beside what it opens.
        copy = Path(folder) / Path(workbook).name
        shutil.copyfile(workbook, copy)
        report = _run_libreoffice({"command": "inspect", "source": str(copy)}, soffice=soffice, uno_python=uno_python)
    modules = report.get("modules", {})
    sheets = report.get("sheets", [])
    if not isinstance(modules, dict) or not isinstance(sheets, list):
        raise AddinError(f"unexpected report from LibreOffice: {report}")
    return LibreOfficeView(
        project=str(report.get("project", "")),
        modules={str(k): int(v) for k, v in modules.items()},
        sheets=tuple(str(s) for s in sheets),
    )


# ---------------------------------------------------------------- assembling


def _custom_ui_target(rels: bytes) -> str | None:
    for relationship in ElementTree.fromstring(rels).iter(f"{{{_RELATIONSHIPS_NAMESPACE}}}Relationship"):
        if relationship.get("Type") == CUSTOM_UI_RELATIONSHIP:
            return str(PurePosixPath(relationship.get("Target", "")).as_posix().lstrip("/"))
    return None


def _with_custom_ui_relationship(rels: bytes) -> bytes:
    text = rels.decode("utf-8")
    taken = set(re.findall(r'Id="([^"]+)"', text))
    number = 1
    while f"rId{number}" in taken:
        number += 1
    relationship = f'<Relationship Id="rId{number}" Type="{CUSTOM_UI_RELATIONSHIP}" Target="{CUSTOM_UI_PART}" />'
    return text.replace("</Relationships>", relationship + "</Relationships>").encode("utf-8")


def _replace_once(text: str, old: str, new: str, part: str) -> str:
    if text.count(old) != 1:
        raise AddinError(f"expected {old!r} once in the template's {part}, found it {text.count(old)} times")
    return text.replace(old, new)


def assemble(template: Path, vba_project: bytes, custom_ui: bytes) -> bytes:
    """The add-in file: ``template``'s parts with the VBA project, ribbon and sheet name replaced."""
    with zipfile.ZipFile(template) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    if VBA_PART not in parts:
        raise AddinError(f"the template {template} has no {VBA_PART}")
    parts[VBA_PART] = vba_project
    ui_part = _custom_ui_target(parts[ROOT_RELS_PART])
    if ui_part is None:
        parts[ROOT_RELS_PART] = _with_custom_ui_relationship(parts[ROOT_RELS_PART])
        ui_part = CUSTOM_UI_PART
    parts[ui_part] = custom_ui
    workbook = parts[WORKBOOK_PART].decode("utf-8")
    parts[WORKBOOK_PART] = _replace_once(
        workbook, f'name="{TEMPLATE_CONFIG_SHEET}"', f'name="{CONFIG_SHEET}"', WORKBOOK_PART
    ).encode("utf-8")
    content_types = parts[CONTENT_TYPES_PART].decode("utf-8").replace(_MACRO_WORKBOOK_CONTENT_TYPE, ADDIN_CONTENT_TYPE)
    if ADDIN_CONTENT_TYPE not in content_types:
        raise AddinError(f"the template's {CONTENT_TYPES_PART} does not declare the workbook part")
    parts[CONTENT_TYPES_PART] = content_types.encode("utf-8")

    buffer = tempfile.SpooledTemporaryFile()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        # [Content_Types].xml first, then the template's order: some readers expect it.
        for name in sorted(parts, key=lambda n: n != CONTENT_TYPES_PART):
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, parts[name])
    buffer.seek(0)
    return buffer.read()


def build(
    out: Path | None = None,
    *,
    verify: bool = True,
    soffice: str | None = None,
    uno_python: str | None = None,
) -> Path:
    """Build ``xlcbec.xlam`` at ``out`` and return its path.

    ``out`` defaults to ``workbook/xlcbec.xlam`` in a checkout, else the current folder.

    With ``verify``, the result is opened again in LibreOffice and must show the
    expected VBA project; otherwise :class:`AddinError` is raised (and the file
    is left for inspection).
    """
    if out is not None:
        target = Path(out)
    else:
        target = (SOURCES_DIR if SOURCES_DIR.is_dir() else Path.cwd()) / ADDIN_NAME
    custom_ui = read_custom_ui(_find(CUSTOM_UI_SOURCE, "the ribbon source"))
    callback = VbaModuleSource.parse(_find(CALLBACK_SOURCE, "the VBA module source").read_text(encoding="utf-8"))
    if callback.name != CALLBACK_MODULE:
        raise AddinError(f"{CALLBACK_SOURCE} declares the module '{callback.name}', expected '{CALLBACK_MODULE}'")
    functions_module, functions_code = udf_module()
    template = template_path()
    with zipfile.ZipFile(template) as source:
        template_vba = source.read(VBA_PART)

    with tempfile.TemporaryDirectory(prefix="xlcbec-addin-build-") as folder:
        # LibreOffice works on copies in a private folder (it leaves lock files beside what it opens).
        staged = Path(folder) / TEMPLATE_NAME
        shutil.copyfile(template, staged)
        exported = Path(folder) / "exported.xlsm"
        _run_libreoffice(
            {
                "command": "edit",
                "source": str(staged),
                "target": str(exported),
                "project": {"from": TEMPLATE_PROJECT, "to": PROJECT_NAME},
                "remove": [TEMPLATE_DEMO_MODULE],
                "replace": [
                    [
                        XLWINGS_MODULE,
                        _PROJECT_NAME_LINE.format(TEMPLATE_PROJECT.lower()),
                        _PROJECT_NAME_LINE.format(PROJECT_NAME),
                    ]
                ],
                "add": {callback.name: callback.code, functions_module: functions_code},
            },
            soffice=soffice,
            uno_python=uno_python,
        )
        with zipfile.ZipFile(exported) as export:
            exported_vba = export.read(VBA_PART)
    try:
        vba_project = restore_class_modules(exported_vba, template_vba)
    except VbaProjectError as error:
        raise AddinError(f"the VBA project LibreOffice exported cannot be repaired: {error}") from error
    _atomic_write(target, assemble(template, vba_project, custom_ui))

    if verify:
        view = inspect_with_libreoffice(target, soffice=soffice, uno_python=uno_python)
        if view.project != PROJECT_NAME or dict(view.modules) != dict(EXPECTED_MODULES):
            raise AddinError(
                f"the built add-in {target} does not read back as expected: LibreOffice sees project "
                f"'{view.project}' with modules {dict(view.modules)}; expected '{PROJECT_NAME}' with {dict(EXPECTED_MODULES)}"
            )
    return target


# ---------------------------------------------------------------- reading a built add-in


def read_vba_project(addin: Path) -> VbaProject:
    with zipfile.ZipFile(addin) as package:
        return VbaProject.read(package.read(VBA_PART))


def addin_xlwings_version(addin: Path) -> str:
    """The xlwings version whose VBA runtime the add-in carries."""
    match = _XLWINGS_VERSION_LINE.search(read_vba_project(addin).source(XLWINGS_MODULE))
    if match is None:
        raise AddinError(f"{addin} has no XLWINGS_VERSION constant in its xlwings module")
    return match.group(1)


# ---------------------------------------------------------------- configuration and install


