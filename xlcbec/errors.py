"""The errors and warnings xlcbec shows to its users.

Every problem a user can fix is an :class:`InputError` (a ``ValueError``): it
says where (sheet, row, column), what was expected, what was found and how to
fix it.  The command line and the ribbon turn these into one short message per
problem (exit code 2); anything else is a bug and is reported as one (exit 1).

Row numbers are the ones the user sees in the spreadsheet: DataFrames read from
a sheet are indexed by their source row number (header in row 1, data from row
2), and core functions report ``df.index`` labels as rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def _format_rows(rows: Sequence[object], limit: int = 20) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        shown += f" and {len(rows) - limit} more"
    return shown


class XlcbecError(Exception):
    """Base class of every error xlcbec reports to a user."""


class InputError(XlcbecError, ValueError):
    """A problem in the user's input that the user can fix.

    Parameters
    ----------
    problem : what is wrong ("expected a number, found '2015年'").
    sheet, row, column : where; any may be None when not known or not meaningful.
        ``row`` may be a single row number or a sequence of them.
    fix : how to fix it, in the user's terms.
    """

    def __init__(
        self,
        problem: str,
        *,
        sheet: str | None = None,
        row: int | Sequence[int] | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.sheet = sheet
        self.rows: tuple[int, ...] = (
            () if row is None else (int(row),) if isinstance(row, (int,)) else tuple(int(r) for r in row)
        )
        self.column = column
        self.fix = fix
        super().__init__(self.message)

    @property
    def row(self) -> int | None:
        return self.rows[0] if self.rows else None

    @property
    def location(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.rows:
            word = "row" if len(self.rows) == 1 else "rows"
            parts.append(f"{word} {_format_rows(self.rows)}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    @property
    def message(self) -> str:
        text = self.problem
        if self.location:
            text = f"{self.location[0].upper()}{self.location[1:]}: {text}"
        if self.fix:
            text = f"{text.rstrip('.')}. Fix: {self.fix}"
        return text

    def __str__(self) -> str:
        return self.message


class SettingsError(InputError):
    """A value on the Settings sheet is unknown or invalid."""


class OptionError(InputError):
    """An estimation option is invalid; ``option`` names it (the Settings key of the same name).

    Raised by the core, which knows no sheets; the workbook layer moves it to
    the option's row on the Settings sheet.
    """

    def __init__(self, problem: str, *, option: str, fix: str | None = None) -> None:
        self.option = option
        super().__init__(problem, fix=fix)

    @property
    def location(self) -> str:
        return super().location or f"option '{self.option}'"


class EstimationError(XlcbecError, ValueError):
    """The data cannot identify what was asked (no variation, perfect prediction, ...).

    Carries an optional ``fix`` hint like :class:`InputError`.
    """

    def __init__(self, problem: str, *, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        text = problem if not fix else f"{problem.rstrip('.')}. Fix: {fix}"
        super().__init__(text)


class NotApplicableError(XlcbecError, ValueError):
    """An analysis does not apply to this design (it is skipped with a Log line).

    ``sheet``, ``column`` and ``setting`` say what the user could add for it
    to run (a Panel column, a Settings key); any may be None.
    """

    def __init__(self, problem: str, *, sheet: str | None = None, column: str | None = None,
                 setting: str | None = None) -> None:
        self.sheet = sheet
        self.column = column
        self.setting = setting
        super().__init__(problem)


class InputErrors(XlcbecError, ValueError):
    """Several input problems found in one pass (``xlcbec check`` lists them all)."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class XlcbecWarning(UserWarning):
    """Something the user should know that is not an error (goes to the Log and table notes)."""


class CollinearityWarning(XlcbecWarning):
    """Regressors were dropped because they are collinear with others or with the fixed effects."""


class DataQualityWarning(XlcbecWarning):
    """Rows were dropped or values were interpolated."""
