"""xlcbec: the evaluation of China's cross-border e-commerce pilot zones, in Excel.

The estimation core lives in :mod:`xlcbec.core` (no Excel imports); the
workbook contract in :mod:`xlcbec.book`; the command line in :mod:`xlcbec.cli`.
"""

__version__ = "0.1.0"
