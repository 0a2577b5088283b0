"""One contract test suite, run against every workbook backend.

The openpyxl backend runs everywhere.  The xlwings backend (live Excel) runs
only where Excel can be started; elsewhere its tests are skipped, not failed.
A backend module provides a class with ``open(path)`` returning a
:class:`~xlcbec.book.backend.WorkbookBackend`, and optionally ``close()``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from xlcbec.book.backend import WorkbookBackend

BACKENDS = {
    "openpyxl": ("xlcbec.book.openpyxl_backend", "OpenpyxlBackend"),
    "xlwings": ("xlcbec.book.xlwings_backend", "XlwingsBackend"),
}


@dataclass
class BackendKit:
    name: str
    opener: Callable[[Path], WorkbookBackend]
    opened: list[WorkbookBackend]

    def open(self, path: Path) -> WorkbookBackend:
        backend = self.opener(path)
        self.opened.append(backend)
        return backend


def _excel_available() -> bool:
    try:
        import xlwings as xw

        app = xw.App(visible=False, add_book=False)
    except Exception:  # no Excel on this machine (Linux CI): xlwings raises various errors
        return False
    app.quit()
    return True


@pytest.fixture(params=sorted(BACKENDS))
def kit(request: pytest.FixtureRequest) -> Iterator[BackendKit]:
    module_name, class_name = BACKENDS[request.param]
    if request.param == "xlwings":
        try:
            importlib.import_module(module_name)
        except ImportError:
            pytest.skip("the xlwings backend is not part of this build")
        if not _excel_available():
            pytest.skip("Excel is not available on this machine")
    cls = getattr(importlib.import_module(module_name), class_name)
    kit = BackendKit(request.param, cls.open, [])
    yield kit
    for backend in kit.opened:
        close = getattr(backend, "close", None)
        if callable(close):
            close()
