"""``python -m xlcbec`` is the same as the ``xlcbec`` command."""

from xlcbec.cli import run

run()
