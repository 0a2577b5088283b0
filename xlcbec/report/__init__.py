"""Results -> table and chart specifications (cells, number formats, labels in en/zh).

No Excel library is imported here: :mod:`xlcbec.book` backends draw the specs.
"""
