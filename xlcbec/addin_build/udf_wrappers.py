"""The VBA module of the worksheet functions, generated at build time (module ``xlcbec_udfs`` of the add-in).

Excel calls a worksheet function of an add-in through a VBA ``Function``; for
a Python function xlwings generates one that hands the arguments to its COM
server (``XLPy.CallUDF``).  xlwings writes these wrappers at run time
(``xlwings.udfs.import_udfs``: needs Excel on Windows, *Trust access to the VBA
project object model*, and saving the add-in), with ``generate_vba_wrapper``,
which imports pywin32 and so cannot run without Windows.  This module writes
the same ``Function`` text without Excel, so the build puts the functions
into the add-in once for everybody; ``tests/test_addin.py`` checks the text
against xlwings' own generator line by line.

It also writes ``Auto_Open``, which Excel runs when it opens the add-in (at
start from ``XLSTART`` or the Add-ins dialog): it registers every function
with ``Application.MacroOptions`` (category ``xlcbec``, description,
argument help), as ``import_udfs`` does, so Insert Function lists them under
``xlcbec`` with their help.  The texts come from :mod:`xlcbec.excel.udfs`:
each function's docstring and ``ARG_DOCS``.

The wrappers do what xlwings' generator does for these functions: every
argument is passed on (optional ones as ``Optional``), results come back as
the function returns them, and an error in the call shows as its text in the
cell.  Only what xlcbec's functions use is supported (no ``*args``, no
``caller`` or ``vba`` arguments, no ``Sub``, not volatile, callable from the
function wizard); anything else is refused so it cannot be generated wrongly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from xlcbec.excel.addin import FUNCTIONS_MODULE, AddinError
from xlcbec.excel.ribbon import UDF_MODULE

# Add-ins pass the workbook of the formula (xlwings: "Add-ins work with ActiveWorkbook instead of ThisWorkbook").
_WORKBOOK_ARGUMENT: Final = "ActiveWorkbook"
EXCEL_TEXT_LIMIT: Final = 255  # MacroOptions: Description and each argument description
_VBA_LINE_LIMIT: Final = 1023


@dataclass(frozen=True)
class WorksheetFunction:
    """What the wrapper and the registration of one function need."""

    name: str
    arguments: tuple[str, ...]
    optional: tuple[bool, ...]
    description: str
    argument_help: tuple[str, ...]

    @classmethod
    def of(cls, function: Callable[..., Any], argument_docs: dict[str, str]) -> WorksheetFunction:
        names: list[str] = []
        optional: list[bool] = []
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD or parameter.name in ("caller",):
                raise AddinError(f"{function.__name__}: argument {parameter.name} cannot be wrapped (positional arguments only)")
            names.append(parameter.name)
            optional.append(parameter.default is not inspect.Parameter.empty)
        return cls(
            name=function.__name__,
            arguments=tuple(names),
            optional=tuple(optional),
            description=(function.__doc__ or "").strip(),
            argument_help=tuple(argument_docs[name] for name in names),
        )


def wrapper(function: WorksheetFunction, module: str = UDF_MODULE) -> list[str]:
    """The VBA ``Function`` of ``function``, line for line as xlwings' ``generate_vba_wrapper`` writes it."""
    signature = ", ".join(("Optional " if optional else "") + name for name, optional in zip(function.arguments, function.optional))
    arguments = f"Array({', '.join(function.arguments)})"
    call = f'XLPy.CallUDF("{module}", "{function.name}", {arguments}'
    return [
        f"Function {function.name}({signature})",
        '    #If App = "Microsoft Excel" Then',
        "        If TypeOf Application.Caller Is Range Then On Error GoTo failed",
        f"        {function.name} = {call}, {_WORKBOOK_ARGUMENT}, Application.Caller)",
        "        Exit Function",
        "    #Else",
        f"        {function.name} = {call})",
        "        Exit Function",
        "    #End If",
        "failed:",
        f"    {function.name} = Err.Description",
        "End Function",
        "",
    ]


def vba_string(text: str) -> str:
    """``text`` as a VBA string literal; the VBA project stores source in code page 1252, so ASCII only here."""
    if not text.isascii():
        raise AddinError(f"help text for Excel must be ASCII (the add-in's VBA source is code page 1252): {text!r}")
    return '"' + text.replace('"', '""') + '"'


def registration(functions: Sequence[WorksheetFunction], category: str) -> list[str]:
    """``Auto_Open`` and the ``MacroOptions`` call that puts ``functions`` into Insert Function under ``category``."""
    lines = [
        "' Excel runs Auto_Open when it opens the add-in: Insert Function (Shift+F3) then lists",
        "' the functions under their category, with the help of each function and argument.",
        "Sub Auto_Open()",
    ]
    for function in functions:
        for text in (function.description, *function.argument_help):
            if not text or len(text) > EXCEL_TEXT_LIMIT:
                raise AddinError(f"{function.name}: Excel shows help texts of 1 to {EXCEL_TEXT_LIMIT} characters: {text!r}")
        head = f"    Describe {vba_string(function.name)}, {vba_string(function.description)}, Array("
        if not function.argument_help:
            lines.append(head + ")")
            continue
        # One argument's help per line: a VBA line holds at most 1023 characters.
        helps = [f"        {vba_string(text)}" for text in function.argument_help]
        lines += [head + " _"] + [line + ", _" for line in helps[:-1]] + [helps[-1] + ")"]
    lines += [
        "End Sub",
        "",
        "Private Sub Describe(FunctionName As String, Description As String, ArgumentHelp As Variant)",
        "    ' Help only: a failure here must never stop Excel from opening the add-in.",
        "    On Error Resume Next",
        "    Application.MacroOptions Macro:=\"'\" & ThisWorkbook.Name & \"'!\" & FunctionName, Description:=Description, _",
        f"        Category:={vba_string(category)}, ArgumentDescriptions:=ArgumentHelp",
        "    On Error GoTo 0",
        "End Sub",
    ]
    return lines


def module_source(functions: Sequence[WorksheetFunction], category: str, module: str = UDF_MODULE) -> str:
    """The whole module, as the text of a ``.bas`` file after its ``Attribute VB_Name`` line."""
    lines = [
        f"' The worksheet functions of {module}, generated by `xlcbec addin build`; do not edit.",
        "' Each Function passes its arguments to Python through the xlwings COM server (XLPy).",
        "Option Explicit",
        '#Const App = "Microsoft Excel"',
        "",
    ]
    for function in functions:
        lines += wrapper(function, module)
    lines += registration(functions, category)
    for line in lines:
        if len(line) > _VBA_LINE_LIMIT:
            raise AddinError(f"a generated VBA line is longer than {_VBA_LINE_LIMIT} characters: {line[:80]}...")
    return "\n".join(lines) + "\n"


def udf_module() -> tuple[str, str]:
    """(module name, source) of the add-in's worksheet-function module, from :mod:`xlcbec.excel.udfs`."""
    from xlcbec.excel import udfs

    functions = [WorksheetFunction.of(function, udfs.ARG_DOCS) for function in udfs.UDFS]
    return FUNCTIONS_MODULE, module_source(functions, udfs.CATEGORY)
