"""Building the Excel add-in (``xlcbec addin build``): tooling, not loaded in Excel."""
