"""Staggered-adoption diagnostics: Goodman-Bacon, Callaway & Sant'Anna, Sun & Abraham."""
