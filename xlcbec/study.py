"""The prepared study every analysis starts from, and the checks made before any analysis runs.

``prepare_study`` validates the panel and derives CBEC, interpolates, builds
the entropy indices named on the Indicators sheet (HQD, diginf) and the
service-agglomeration quotients.  ``treatment_problems`` and
``study_problems`` find what the Settings name for the chosen analyses that
the data lack, each located on the Settings row or sheet cell to fix.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlcbec.book.contract import NO_WORDS
from xlcbec.book.settings import Settings
from xlcbec.core.panel import PanelData, prepare_panel
from xlcbec.errors import InputError, OptionError, XlcbecWarning

PANEL_SHEET = "Panel"
SETTINGS_SHEET = "Settings"


@dataclass(frozen=True, eq=False)
class Study:
    """Everything the analyses share, built once per refresh."""

    panel: PanelData
    settings: Settings
    indices: Mapping[str, Any]  # index name -> EntropyResult
    policies: pd.DataFrame
    keywords: pd.DataFrame
    notes: tuple[str, ...] = ()
    # What a user should see before trusting the results (check prints them; the Log and the tables say them).
    warnings: tuple[str, ...] = ()
    # Moves an error an analysis raises to where the user typed the value (Settings row, Cities cell).
    locate: Callable[[InputError], InputError] = field(default=lambda error: error, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # ``locate`` is a closure over the workbook just read: a remembered study is given its own again.
        return (Study, (self.panel, self.settings, self.indices, self.policies, self.keywords, self.notes,
                        self.warnings))

    @property
    def data(self) -> pd.DataFrame:
        return self.panel.data

    @property
    def unit(self) -> str:
        return self.panel.unit

    @property
    def time(self) -> str:
        return self.panel.time

    @property
    def controls(self) -> tuple[str, ...]:
        return self.settings.controls

    def model_options(self) -> dict[str, Any]:
        """What every TWFE-based analysis shares: unit, time, fixed effects and the standard errors."""
        return {"unit": self.unit, "time": self.time, "fixed_effects": self.settings.fixed_effects,
                "se": self.settings.se}


def locate_in_panel(error: InputError) -> InputError:
    """A data error from the core (which knows no sheets) placed on the Panel sheet, whose rows it names.

    The core sees the Panel merged with Cities; :meth:`MergedPanel.locate` then
    moves an error about a Cities column to that sheet.  Option errors are the
    Settings sheet's (:func:`xlcbec.book.settings.locate_option`).
    """
    if error.sheet is not None or isinstance(error, OptionError):
        return error
    return InputError(error.problem, sheet=PANEL_SHEET, row=error.rows or None, column=error.column, fix=error.fix)


def default_control_warnings(columns: Sequence[str], settings: Settings) -> tuple[str, ...]:
    """A default control the Panel lacks is left out of the models: say which, and the header it may be typed as.

    A control named in Settings must exist (an error, :func:`study_problems`);
    the defaults apply only where the data have them, which must not go unseen.
    """
    if "controls" in settings.explicit:
        return ()
    present = [str(c) for c in columns]
    missing = [c for c in settings.controls if c not in present]
    if not missing:
        return ()
    used = [c for c in settings.controls if c in present]
    hints = []
    for control in missing:
        header = _closest_header(control, present)
        hints.append(f"'{control}'" + (f" (closest header: '{header}')" if header else ""))
    return (
        f"default control{'s' if len(missing) > 1 else ''} {', '.join(hints)} "
        f"{'are not Panel columns' if len(missing) > 1 else 'is not a Panel column'} and left out of every model; "
        f"the models use {', '.join(used) if used else 'no controls'}. Fix: name the Panel column exactly "
        "as the control, or list your controls in Settings 'controls'",
    )


def _closest_header(name: str, headers: Sequence[str]) -> str | None:
    """A header that is ``name`` with a note around it (``lnpop（人口对数）``), or else a close spelling."""
    import difflib
    import re

    bare = {h: re.sub(r"[（(\[【].*?[）)\]】]", "", h).strip().lower() for h in headers}
    for header, stripped in bare.items():
        if stripped == name.lower():
            return header
    close = difflib.get_close_matches(name.lower(), list(bare.values()), n=1, cutoff=0.8)
    return next((h for h, s in bare.items() if close and s == close[0]), None)


def setting_error(settings: Settings, key: str, problem: str, *, fix: str) -> InputError:
    """A problem with the value of Settings ``key``, located on its row of the Settings sheet."""
    return InputError(problem, sheet=SETTINGS_SHEET, row=settings.row_of(key), column="Value", fix=fix)


def _names(columns: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in columns)


def missing_columns_error(settings: Settings, key: str, what: str, missing: Sequence[str]) -> InputError:
    plural = len(missing) > 1
    return setting_error(
        settings, key,
        f"the {what}{'s' if plural else ''} {_names(missing)} named in Settings '{key}' "
        f"{'are not Panel columns' if plural else 'is not a Panel column'} (nor Cities columns or indices)",
        fix=f"add the column{'s' if plural else ''} {_names(missing)} to Panel, or correct Settings '{key}'",
    )


def outcome_error(settings: Settings, outcome: str) -> InputError:
    return setting_error(
        settings, "outcome",
        f"the outcome {outcome!r} is neither a Panel column nor an index defined on the Indicators sheet",
        fix=f"add a column {outcome!r} to Panel, define it on Indicators, or set Settings 'outcome'",
    )


# Which analyses read which settings (for the checks made before any analysis runs).
USES_OUTCOME = ("baseline", "event_study", "psm", "heterogeneity", "mediation", "placebo", "bacon", "cs", "sun_abraham")
USES_CONTROLS = ("baseline", "event_study", "psm", "heterogeneity", "mediation", "placebo")
USES_CLUSTER = ("baseline", "event_study", "psm", "heterogeneity", "mediation", "sun_abraham")


def treatment_problems(columns: Sequence[str], settings: Settings, *, cities_header: Sequence[str] = (),
                       cities_rows: int = 0) -> list[InputError]:
    """Before the panel is prepared: the treatment (or pilot-year) column the Settings name must exist.

    ``cities_header`` and ``cities_rows`` describe the Cities sheet: a pilot-year
    header there over no rows is said as such, not as a missing column.
    """
    present = set(columns)
    if settings.treatment:
        if settings.treatment not in present:
            return [missing_columns_error(settings, "treatment", "treatment column", [settings.treatment])]
        return []
    if settings.first_treat in present or (settings.first_treat in cities_header and cities_rows):
        return []
    if settings.first_treat in cities_header:
        return [InputError(
            f"the Cities sheet has the column {settings.first_treat!r} but no rows, so no city has a pilot year",
            sheet="Cities", row=2, column=settings.first_treat,
            fix=f"list each {settings.unit} on Cities with its pilot year (empty = never a pilot), "
            "or put the pilot years in a Panel column",
        )]
    if "first_treat" in settings.explicit:
        return [missing_columns_error(settings, "first_treat", "pilot-year column", [settings.first_treat])]
    return [InputError(
        f"the pilot-year column {settings.first_treat!r} is on neither Panel nor Cities",
        sheet=PANEL_SHEET, row=1, column=settings.first_treat,
        fix=f"add a column {settings.first_treat!r} with each city's pilot year (empty = never) to Cities or Panel, "
        "or name a 0/1 treatment column in Settings 'treatment'",
    )]


def study_problems(study: Study, analyses: Sequence[str]) -> list[InputError]:
    """Every column or group the Settings name for ``analyses`` that the data lack, one problem per setting.

    A column the user named must exist; a *default* the data lack is left out
    (or the analysis skipped) with a line in the Log, as before.
    """
    from xlcbec.core.did.city_groups import GROUPS

    s = study.settings
    columns = set(study.data.columns)
    chosen = set(analyses)
    problems: list[InputError] = []
    units = study.data[study.unit].dropna().unique()
    if chosen & set(USES_OUTCOME) and len(units) < 2:
        problems.append(InputError(
            f"the Panel has {'one ' + study.unit + ' (' + str(units[0]) + ')' if len(units) else f'no {study.unit}'}: "
            f"a difference-in-differences needs at least two, to compare treated with not yet treated",
            sheet=PANEL_SHEET, column=study.unit,
            fix=f"fill in the Panel for every {study.unit} of the study (one row per {study.unit} and {study.time})"))
    if chosen & set(USES_OUTCOME) and s.outcome not in columns:
        problems.append(outcome_error(s, s.outcome))
    if chosen & set(USES_CONTROLS) and "controls" in s.explicit:
        missing = [c for c in s.controls if c not in columns]
        if missing:
            problems.append(missing_columns_error(s, "controls", "control", missing))
    if "psm" in chosen and s.psm_covariates is not None:
        missing = [c for c in s.psm_covariates if c not in columns]
        if missing:
            problems.append(missing_columns_error(s, "psm_covariates", "PSM covariate", missing))
    if "mediation" in chosen and "mediators" in s.explicit:
        missing = [m for m in s.mediators if m not in columns]
        if missing:
            problems.append(missing_columns_error(s, "mediators", "mediator", missing))
    if "heterogeneity" in chosen:
        unknown = [g for g in s.heterogeneity if g.strip().lower() not in GROUPS]
        if unknown:
            problems.append(setting_error(
                s, "heterogeneity", f"'heterogeneity' names unknown group{'s' if len(unknown) > 1 else ''} {_names(unknown)}",
                fix=f"list any of {', '.join(GROUPS)} separated by commas, or none"))
        if s.base_year is not None and s.base_year not in study.panel.periods:
            periods = study.panel.periods
            problems.append(setting_error(
                s, "base_year", f"'base_year' {s.base_year} is not a year of the Panel ({periods[0]}-{periods[-1]})",
                fix="type a year of the panel, or leave it blank for the first year"))
    cluster = s.se.cluster_column(s.unit)
    if chosen & set(USES_CLUSTER) and cluster is not None and cluster not in columns:
        problems.append(missing_columns_error(s, "cluster", "cluster column", [cluster]))
    return problems


# --- preparation ------------------------------------------------------------


def build_indices(data: pd.DataFrame, indicators: pd.DataFrame | None, settings: Settings) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """Entropy indices from the Indicators sheet; their scores become Panel columns."""
    from xlcbec.core.index.entropy import entropy_index

    notes: list[str] = []
    results: dict[str, Any] = {}
    if indicators is None or indicators.empty:
        return data, results, notes
    table = indicators
    if "include" in table.columns:
        table = table[table["include"].map(lambda v: str(v).strip().lower() not in NO_WORDS)]
    for name, rows in table.groupby("index", sort=False):
        name = str(name)
        columns = [str(c) for c in rows["column"]]
        missing = [c for c in columns if c not in data.columns]
        if missing:
            row = int(rows.index[[str(c) for c in rows["column"]].index(missing[0])])
            raise InputError(
                f"indicator {missing[0]!r} of index {name!r} is not a Panel column",
                sheet="Indicators", row=row, column="column",
                fix=f"add the column {missing[0]!r} to Panel, correct its name, or set include to no",
            )
        dimensions = dict(zip(columns, rows["dimension"].astype(str))) if "dimension" in rows.columns else None
        result = entropy_index(
            data, columns, dict(zip(columns, rows["direction"].astype(str).str.strip())), dimensions=dimensions,
            shift=settings.entropy_shift, pooling=settings.entropy_pooling, time=settings.time, name=name,
        )
        if name in data.columns:
            notes.append(f"index {name!r} computed from the Indicators sheet replaces the Panel column of that name")
        data = data.assign(**{name: result.scores})
        results[name] = result
    return data, results, notes


def add_service_agglomeration(data: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, list[str]]:
    """``spec``, ``spec_low``, ``spec_high`` from sector employment, when the columns exist and spec does not."""
    from xlcbec.core.index import location_quotient as lq

    needed = [lq.DEFAULT_TOTAL, *lq.DEFAULT_LOW_SECTORS, *lq.DEFAULT_HIGH_SECTORS]
    if "spec" in data.columns or any(c not in data.columns for c in needed):
        return data, []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", XlcbecWarning)
        quotients = lq.service_agglomeration(
            data, time=settings.time, total=lq.DEFAULT_TOTAL, low_sectors=lq.DEFAULT_LOW_SECTORS,
            high_sectors=lq.DEFAULT_HIGH_SECTORS,
        )
    notes = ["spec, spec_low and spec_high computed from sector employment (paper eq. 12)"]
    notes += [str(w.message) for w in caught]
    return data.join(quotients), notes


def prepared_study(
    panel: pd.DataFrame,
    settings: Settings,
    *,
    indicators: pd.DataFrame | None = None,
    policies: pd.DataFrame | None = None,
    keywords: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
    source: str | None = None,
) -> Study:
    """:func:`prepare_study`, remembered between runs when the arguments come from the same workbook bytes.

    A click after a click on the same workbook prepares the same study again:
    the treatment, the interpolation, the indices (about 0.1 s on the demo).
    ``source`` is the key of the bytes the arguments were read and merged
    from (:func:`xlcbec.book.read_cache.source_key`); with the settings and
    notes and the code that prepares (:func:`xlcbec.user_cache.digest`) it
    is the key of the study.  Without a source the study is prepared afresh.
    A study that cannot be prepared raises as before and nothing is kept.
    """
    def prepare() -> Study:
        return prepare_study(panel, settings, indicators=indicators, policies=policies, keywords=keywords, notes=notes)

    if not source:
        return prepare()
    from xlcbec.user_cache import digest, remembered

    key = digest("prepare_study", source, repr(_canonical(settings)), repr(tuple(notes)))
    return remembered("studies", key, prepare)


def _canonical(value: Any) -> Any:
    """``value`` with its sets sorted, so that equal settings give equal text in every process.

    (A set's order, and so its pickle, follows string hashes, which differ from process to process.)
    """
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, _canonical(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((_canonical(v) for v in value), key=repr)))
    if isinstance(value, Mapping):
        return ("map", tuple(sorted(((_canonical(k), _canonical(v)) for k, v in value.items()), key=repr)))
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    return value


def prepare_study(
    panel: pd.DataFrame,
    settings: Settings,
    *,
    indicators: pd.DataFrame | None = None,
    policies: pd.DataFrame | None = None,
    keywords: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
) -> Study:
    """Validate the (Cities-merged) panel, derive the treatment, build indices."""
    prepared = prepare_panel(
        panel, unit=settings.unit, time=settings.time, first_treat=settings.first_treat,
        treatment=settings.treatment, interpolate=settings.interpolate,
    )
    data, indices, index_notes = build_indices(prepared.data, indicators, settings)
    data, spec_notes = add_service_agglomeration(data, settings)
    prepared = PanelData(data=data, unit=prepared.unit, time=prepared.time, treatment=prepared.treatment,
                         periods=prepared.periods, notes=prepared.notes, interpolated=prepared.interpolated)
    empty = pd.DataFrame()
    control_notes = default_control_warnings(list(data.columns), settings)
    return Study(prepared, settings, indices, policies if policies is not None else empty,
                 keywords if keywords is not None else empty,
                 tuple(notes) + prepared.notes + tuple(index_notes) + tuple(spec_notes), warnings=control_notes)
