"""xlwings' Windows-only UDF code (decorators, wrapper generator) run here, in a child Python.

``xlwings.udfs`` imports pywin32 at load time; the COM modules are stubbed
(never called while decorating or generating VBA) and xlwings' real
``xlfunc``/``xlarg``/``xlret`` replace the no-op decorators it uses off Windows,
before :mod:`xlcbec.excel.udfs` is imported.  Tests append their own lines to
:data:`PRELUDE` and run the result with ``python -c``.
"""

PRELUDE = r"""
import sys, types
for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
    sys.modules[name] = types.ModuleType(name)
sys.modules["pythoncom"].CoInitialize = lambda: None
sys.modules["win32com.client"].Dispatch = object
sys.modules["win32com"].client = sys.modules["win32com.client"]
import xlwings
import xlwings.udfs as real
xlwings.func, xlwings.arg, xlwings.ret = real.xlfunc, real.xlarg, real.xlret
import xlcbec.excel.udfs as udfs
"""
