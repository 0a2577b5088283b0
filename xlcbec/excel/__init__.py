"""The Excel side of xlcbec: ribbon actions and the add-in build (xlwings).

Importing this package imports neither xlwings nor the estimation stack; each
module imports what it needs when it needs it.
"""
