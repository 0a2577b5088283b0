"""The workbook contract (v1): sheet names, Settings, reading inputs, writing result specs.

Readers go through :mod:`xlcbec.book.package` (file safety) and
:mod:`xlcbec.book.reading`; writers through a backend
(:mod:`xlcbec.book.backend`), saved atomically (:mod:`xlcbec.book.atomic`).
"""
