"""Pillow is not loaded by a refresh that writes no pictures, yet pictures survive openpyxl.

:mod:`xlcbec.book.lazy_pillow` defers ``PIL.Image`` until openpyxl first
touches a picture; a workbook with a picture loaded and saved through openpyxl
in that same process (the in-place route) must still hold its picture.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
from openpyxl.drawing.image import Image as XlImage
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

_ROUND_TRIP = """
import json, sys
import xlcbec.book.openpyxl_backend as backend
loaded_at_import = "PIL.ExifTags" in sys.modules  # PIL.Image imports it when it runs
book = backend.openpyxl.load_workbook(sys.argv[1])
pictures = len(book["Pictures"]._images)
book.save(sys.argv[2])
print(json.dumps({"loaded_at_import": loaded_at_import, "pictures": pictures,
                  "loaded_after": "PIL.ExifTags" in sys.modules}))
"""


def test_pillow_waits_for_a_picture_and_pictures_survive(tmp_path: Path) -> None:
    Image.new("RGB", (8, 6), (200, 30, 30)).save(tmp_path / "red.png")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Pictures"
    sheet.add_image(XlImage(str(tmp_path / "red.png")), "B2")
    book.save(tmp_path / "in.xlsx")

    done = subprocess.run([sys.executable, "-c", _ROUND_TRIP, str(tmp_path / "in.xlsx"), str(tmp_path / "out.xlsx")],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen == {"loaded_at_import": False, "pictures": 1, "loaded_after": True}
    again = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert len(again["Pictures"]._images) == 1
