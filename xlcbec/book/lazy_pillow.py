"""Pillow loaded when openpyxl first handles a picture, not when openpyxl is imported.

openpyxl imports ``PIL.Image`` at start-up for the pictures it may read or write
(``openpyxl.drawing.image``).  Result sheets hold no pictures, yet every refresh
paid the import (about 40 ms, with its EXIF and TIFF tag tables) on a click.
:func:`defer_pillow`, called before openpyxl is first imported, registers
``PIL.Image`` through the standard library's :class:`importlib.util.LazyLoader`:
the module is executed on its first attribute access, so a workbook with
pictures loaded through openpyxl (the in-place route) still keeps them.
"""

from __future__ import annotations

import importlib.util
import sys


def defer_pillow() -> None:
    """Make ``PIL.Image`` load on first use; nothing when it is already imported or Pillow is absent."""
    if "PIL.Image" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("PIL.Image")  # imports the small PIL package itself
    except ImportError:
        return
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["PIL.Image"] = module
    loader.exec_module(module)
    setattr(sys.modules["PIL"], "Image", module)  # as a completed import of the submodule would
