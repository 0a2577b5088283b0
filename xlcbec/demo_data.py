"""The embedded demo: the 285 real cities and their real CBEC pilot years, with
SYNTHETIC indicators from a documented, seeded process whose effects are known.

Nothing in the demo panel is an official statistic.  The cities, provinces,
regions, coastal flags, city clusters, municipality flags and pilot years are
real (``xlcbec/data/cities.csv``; provenance in ``xlcbec/data/README.md``);
every indicator value is drawn by :func:`make_demo_panel` from the process
below, so that each analysis has a true answer to recover.  The policy titles
are real; their texts were written for the demo (``xlcbec/data/demo_policies.csv``).

Data-generating process
=======================

Units i, years t, ``tau = t - first year``, ``D_it = 1[t >= pilot_year_i]``
(never-treated cities and the 2022 batches have ``D = 0`` throughout).
``N(0, s)`` is a normal draw with standard deviation s; ``AR(s)`` a stationary
AR(1) series within the unit, coefficient 0.5, marginal standard deviation s,
independent across units and series; ``c``, ``v`` are independent N(0, 1) city
draws.  Everything comes from ``numpy.random.default_rng(seed)`` in a fixed order.

1. City development level (time-invariant, absorbed by the city fixed effect)::

       u_i = region_i + 0.25 coastal_i + 0.9 municipality_i + 0.6 capital_i
             + 0.3 pilot_i + 0.15 early_i + N(0, 0.55),    s_i = u_i standardised

   region: east 0.35, central -0.05, west -0.25, northeast -0.05; capital:
   provincial capitals (division code XX0100) and the five sub-provincial
   cities with separate plans; pilot: ever a pilot; early: pilot year at or
   before the median pilot year.  Pilot cities are more developed in LEVELS
   (what PSM sees); nothing in any time path depends on the pilot except the
   effect itself, so parallel trends hold by construction and there is no
   anticipation.

2. Controls (never affected by the pilot; means and dispersions like the paper's Table 3)::

       lnpop   = 5.887 + 0.66 (0.55 s_i + 0.835 v1_i) + 0.005 tau + AR(0.01)
       g       = 10.29 + 0.40 (0.8 s_i + 0.6 v2_i) + 0.075 tau + xi_g,  xi_g = AR(0.03)
       lngdp   = lnpop + g                      (GDP in 10k yuan; g = ln GDP per head)
       lngov   = lnpop + 8.62 + 0.25 (0.3 s_i + 0.954 v3_i) + 0.07 tau + AR(0.03)
       lncons  = lnpop + 9.19 + 0.45 (0.8 s_i + 0.6 v4_i) + 0.09 tau + AR(0.03)
       lninter = lnpop + 6.975 + 0.45 (0.7 s_i + 0.714 v5_i) + 0.10 tau + AR(0.05)
       lnaca   = 7.635 + 1.30 (0.6 s_i + 0.8 v6_i) + 0.01 tau + AR(0.05)
       urban   = logistic(logit(0.548) + 0.6 (0.7 s_i + 0.714 v7_i)) + 0.008 (tau - 5.5) + xi_u,  xi_u = AR(0.008)
                 (clipped to [0.05, 1])
       population = exp(lnpop) 10^4 persons

   Every control is a city level plus a common time path plus its own shock,
   so after the two-way fixed effects only the shocks vary, and they are
   independent of the pilot: controlling for them removes noise, not bias.

3. Mediators (within-city parts), each raised by the pilot zone::

       M_dig = A_DIG m_i D_it + AR(0.15)      digital infrastructure
       M_agg = A_AGG m_i D_it + AR(0.15)      productive-service agglomeration
       M_env = A_ENV m_i D_it + AR(0.15)      business environment

   ``m_i = 0.5 + 0.6 coastal_i + 0.5 east_i`` is the heterogeneity multiplier
   (inland non-east 0.5, inland east 1.0, coastal non-east 1.1, coastal east 1.6).

4. Within-city development (the time-varying part of latent HQD ``L = u_i + V``)::

       V_it = TAU_DIRECT m_i D_it + B_DIG M_dig + B_AGG M_agg + B_ENV M_env
              + 3 xi_g + 10 xi_u + AR(0.10)

   so the pilot raises ``V`` by ``m_i (TAU_DIRECT + B_DIG A_DIG + B_AGG A_AGG
   + B_ENV A_ENV)``, constant in event time (no dynamics); constants in
   :data:`LATENT_EFFECTS`.  HQD responds to the controls through their own
   shocks ``xi_g``, ``xi_u``, which are independent of the pilot.

5. Indicators.  Indicator j (parameters in :data:`HQD_INDICATORS`,
   :data:`DIGINF_INDICATORS`) has a city level and an ADDITIVE common time path,
   so its untreated mean is ``level_ji + path_j tau`` and parallel trends hold in
   levels, hence in the entropy index, which is linear in the indicators::

       a_ji   = beta_j s_i + sqrt(1 - beta_j^2) c_ji
       kind "level":  level = exp(centre + sg spread a),      x = level (1 + sg effect W + noise e) + path tau
       kind "excess": level = exp(centre + sg spread a),      x = 1 + level (1 + sg effect W + noise e) + path tau
       kind "share":  level = 100 logistic(centre + sg spread a), x = level + sg effect W + noise e + path tau

   ``sg`` = +1 for a positive and -1 for a negative indicator (a more developed
   city has a better value), ``e = AR(1)``, ``W = V`` for the 20 HQD indicators
   and ``W = M_dig`` for the 6 ``di_*`` indicators.  "level" are per-head and
   per-GDP quantities, "share" percentages, "excess" the urban-rural income
   ratio (above 1).  Industrial upgrading (tertiary / secondary value added) is
   a "level" indicator whose city level is ``T_i / ((100 - T_i)(1 - q_i))``,
   ``T_i`` the tertiary share's level and ``q_i = logistic(logit(0.2) - 0.4 s_i
   + 0.3 c_i)`` the primary sector's part of the rest; ``gdp_tertiary =
   GDP tertiary_share / 100`` and ``gdp_secondary = GDP min(tertiary_share /
   ind_upgrading, 99 - tertiary_share) / 100`` (10k yuan; the cap keeps the
   primary sector at 1% of GDP or more in the few rows where the additive paths
   would push it below).  Values are kept in range by clipping (level kinds at
   2% of ``exp(centre)``, shares to [0.1, 99.9]); the default demo clips no
   indicator cell (tested), the 20-year county panel a few dozen.

6. Sector employment (persons) and the business environment::

       emp_total = population logistic(logit(0.12) + 0.25 s_i + 0.25 v8_i + 0.02 tau + AR(0.03))
       emp_k     = emp_total base_k exp(0.25 c_ki) (1 + kappa_k M_agg + AR(0.04))   (share floored at 0.1%)
       envir     = 66 + 2.5 (0.6 s_i + 0.8 c_i) + 5 M_env + 0.25 tau + N(0, 0.4)    (points, 0-100)

   kappa = 0.5 for transport, wholesale, leasing (low/middle-end services)
   and 0.25 for IT, finance, research (high-end), as the paper finds the pilot
   zones concentrate low-end services first.  ``spec`` (docs/methods.md section 2,
   the location quotient) is computed from these columns.

7. Missing values (to exercise the Panel rules), placed at random: interior
   gaps (neither first nor last year) in ``wastewater_per_gdp`` (4),
   ``patents_per_10k`` (2), ``lnaca`` (3), ``urban`` (3), ``di_fiber`` (2),
   ``envir`` (2); edge gaps only outside the HQD index: ``lnaca`` first year
   (2 cities), ``urban`` last year (2), ``envir`` first year (1).  After linear
   interpolation every row has an HQD index, and the index's min/max equal the
   raw columns' min/max (interpolation never creates an extreme).

The true effect on the HQD index
================================

HQD is the entropy index of the 20 indicators (docs/methods.md section 2).  Given
its realised weights ``w_j`` and each indicator's min and max, the index is
linear in the indicators, ``S = sum_j w_j x'_j`` with ``x'_j = (x_j -
min_j)/(max_j - min_j)`` (positive) or ``(max_j - x_j)/(max_j - min_j)``
(negative).  The generator keeps the untreated potential outcomes ``x(0)``
(same draws, ``D = 0``) and the planted effects ``x - x(0)``
(:attr:`DemoData.effects`), so the effect on a treated row's index is exactly::

    delta_it = sum_j w_j sg_j (x_jit - x_jit(0)) / (max_j - min_j)
             = m_i TAU_TOTAL sum_j w_j effect_j level_ji / (max_j - min_j)   ("level" kinds; "share": effect_j)

which is constant over time within a city.  :func:`true_baseline_effect`
returns its mean over the treated rows: the ATT on HQD.  The baseline TWFE
coefficient estimates a weighted mean of the same ``delta_it`` whose weights
differ from the ATT's only through the cross-city heterogeneity (the effects
are constant in event time, so no forbidden comparison biases it).

For the default seed (20240101, 2010-2021; ``tests/test_demo_data.py``):
the ATT on HQD is 0.01330 (HQD itself has mean 0.18, SD 0.066); the
noise-free TWFE estimand (the planted ``delta_it`` regressed on CBEC with
city and year effects) is 0.01276; the baseline DID gives 0.01352 without
controls (city-clustered 95% CI 0.01084 to 0.01619) and 0.01311 with the
seven controls (0.01055 to 0.01567).  Both intervals cover the ATT, as they
did for each of seeds 1-40 in a check run while the process was built.  The
latent effect is 0.320 (``truth["latent_att"]``).

The latent mediation shares in ``truth["mediated_share"]`` (diginf 31%,
spec 19%, envir 19%) are on the latent scale.  The mediation analysis works
on the computed indices (an entropy index of the ``di_*`` indicators, the
location quotient, ``envir``), which measure the latent mediators with noise
and on other scales, so its proportions mediated are not expected to equal
these shares; the signs and significance of the a and b paths are the check.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from xlcbec.core.index.system import SystemIndicator, indicator_system, system_indicator
from xlcbec.core.options import SEED

if TYPE_CHECKING:
    from xlcbec.core.index.entropy import EntropyResult

DEFAULT_SEED = SEED  # the project's one default seed (xlcbec.core.options)
DEMO_YEARS = range(2010, 2022)

DEMO_NOTICE_EN = (
    "SYNTHETIC DEMO DATA. The cities, provinces, regions and CBEC pilot years are real; every indicator, "
    "control, employment and business-environment value is generated by xlcbec's seeded demo process "
    "(xlcbec.demo_data) with planted effects, not official statistics. Policy titles are real; their texts "
    "were written for the demo."
)
DEMO_NOTICE_ZH = (
    "演示数据为模拟数据。城市、省份、地区及跨境电商综试区设立年份为真实信息；所有指标、控制变量、就业和营商环境数值均由"
    "xlcbec 的演示数据生成程序（xlcbec.demo_data，固定随机种子）模拟生成，并预设了政策效应，并非官方统计数据。"
    "政策文件标题为真实标题，正文为演示而编写。"
)

Kind = Literal["level", "excess", "share", "upgrading"]


@dataclass(frozen=True)
class Indicator(SystemIndicator):
    """One built-in indicator (:class:`~xlcbec.core.index.system.SystemIndicator`) with its generating parameters (step 5).

    ``centre`` and ``spread`` are on the kind's transform scale; ``path`` is in
    the indicator's unit per year; ``effect`` and ``noise`` are relative to the
    level for "level"/"excess" kinds and in percentage points for "share".
    """

    kind: Kind = "level"
    centre: float = 0.0
    spread: float = 0.0
    beta: float = 0.0
    path: float = 0.0
    effect: float = 0.0
    noise: float = 0.0


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _generated(column: str, kind: Kind, centre: float, spread: float, beta: float, path: float, effect: float,
               noise: float) -> Indicator:
    """A built-in indicator (names, unit, direction from :mod:`xlcbec.core.index.system`) with its generating parameters."""
    known = system_indicator(column)
    return Indicator(**dataclasses.asdict(known), kind=kind, centre=centre, spread=spread, beta=beta, path=path,
                     effect=effect, noise=noise)


_LN = math.log
# The 20 indicators of the HQD system (xlcbec/data/indicator_system.csv): same order, names, units and directions.
HQD_INDICATORS: tuple[Indicator, ...] = (
    _generated("sci_exp_share", "level", _LN(1.6), 0.55, 0.7, 0.05, 0.25, 0.05),
    _generated("patents_per_10k", "level", _LN(4.0), 0.85, 0.8, 1.0, 0.25, 0.06),
    _generated("students_per_10k", "level", _LN(120.0), 0.90, 0.7, 3.0, 0.20, 0.03),
    _generated("urban_rural_income_ratio", "excess", _LN(1.5), 0.25, 0.5, -0.04, 0.15, 0.03),
    _generated("tertiary_share", "share", _logit(0.39), 0.40, 0.6, 0.8, 3.0, 0.8),
    _generated("ind_upgrading", "upgrading", 0.0, 0.0, 0.0, 0.07, 0.20, 0.03),
    _generated("fiscal_self_sufficiency", "share", _logit(0.42), 0.75, 0.7, 0.0, 4.0, 1.5),
    _generated("wastewater_per_gdp", "level", _LN(4.0), 0.55, 0.4, -0.03, 0.15, 0.06),
    _generated("so2_per_gdp", "level", _LN(20.0), 0.55, 0.5, -0.2, 0.15, 0.08),
    _generated("green_coverage", "share", _logit(0.38), 0.22, 0.4, 0.3, 1.5, 0.6),
    _generated("waste_treatment", "share", _logit(0.85), 0.35, 0.4, 0.2, 2.0, 0.5),
    _generated("pm25", "level", _LN(48.0), 0.30, 0.2, -1.0, 0.08, 0.04),
    _generated("trade_openness", "level", _LN(9.0), 0.85, 0.6, 0.0, 0.30, 0.05),
    _generated("fdi_share", "level", _LN(1.1), 0.75, 0.4, 0.0, 0.25, 0.10),
    _generated("tourism_fx_share", "level", _LN(0.3), 0.75, 0.4, 0.0, 0.25, 0.08),
    _generated("urban_income", "level", _LN(19000.0), 0.18, 0.8, 2000.0, 0.10, 0.01),
    _generated("hospital_beds_per_10k", "level", _LN(42.0), 0.22, 0.5, 1.5, 0.10, 0.02),
    _generated("physicians_per_10k", "level", _LN(18.0), 0.25, 0.6, 0.8, 0.10, 0.02),
    _generated("library_books_per_100", "level", _LN(50.0), 0.60, 0.6, 3.0, 0.15, 0.03),
    _generated("unemployment_rate", "share", _logit(0.032), 0.25, 0.3, -0.03, 0.3, 0.15),
)

# Six input-output indicators of digital infrastructure, in the spirit of Wang Qin et al. (2023).
DIGINF_INDICATORS: tuple[Indicator, ...] = (
    _generated("di_broadband", "level", _LN(16.0), 0.35, 0.7, 2.5, 0.30, 0.03),
    _generated("di_mobile", "level", _LN(80.0), 0.25, 0.6, 3.0, 0.20, 0.02),
    _generated("di_fiber", "level", _LN(1.0), 0.60, 0.5, 0.12, 0.30, 0.04),
    _generated("di_telecom_rev", "level", _LN(850.0), 0.35, 0.7, 20.0, 0.25, 0.03),
    _generated("di_postal_rev", "level", _LN(80.0), 0.60, 0.6, 25.0, 0.40, 0.04),
    _generated("di_dfi", "level", _LN(80.0), 0.15, 0.8, 20.0, 0.15, 0.02),
)

if [i.column for i in (*HQD_INDICATORS, *DIGINF_INDICATORS)] != [i.column for i in indicator_system()]:
    raise RuntimeError("the demo's indicators must be those of xlcbec/data/indicator_system.csv, in its order")
HQD_COLUMNS: tuple[str, ...] = tuple(ind.column for ind in HQD_INDICATORS)
DIGINF_COLUMNS: tuple[str, ...] = tuple(ind.column for ind in DIGINF_INDICATORS)
CONTROL_COLUMNS: tuple[str, ...] = ("lnpop", "lnaca", "lngdp", "lngov", "lninter", "urban", "lncons")
EMPLOYMENT_COLUMNS: tuple[str, ...] = (
    "emp_transport", "emp_wholesale", "emp_leasing", "emp_it", "emp_finance", "emp_research", "emp_total",
)
OUTCOME_COLUMNS: tuple[str, ...] = (
    *HQD_COLUMNS, *DIGINF_COLUMNS, *EMPLOYMENT_COLUMNS, "envir", "gdp_tertiary", "gdp_secondary",
)
"""Columns the pilot zone changes: their untreated values and planted effects are kept."""
PANEL_COLUMNS: tuple[str, ...] = (
    "city", "city_name", "year", *HQD_COLUMNS, *CONTROL_COLUMNS, "population", "gdp_tertiary", "gdp_secondary",
    *DIGINF_COLUMNS, *EMPLOYMENT_COLUMNS, "envir",
)

LATENT_EFFECTS: Mapping[str, float] = MappingProxyType({
    "TAU_DIRECT": 0.10,
    "A_DIG": 0.40, "B_DIG": 0.25,
    "A_AGG": 0.30, "B_AGG": 0.20,
    "A_ENV": 0.30, "B_ENV": 0.20,
})
"""Steps 3-4: effects on the latent scale per unit of the multiplier m_i."""
TAU_TOTAL: float = (
    LATENT_EFFECTS["TAU_DIRECT"] + LATENT_EFFECTS["B_DIG"] * LATENT_EFFECTS["A_DIG"]
    + LATENT_EFFECTS["B_AGG"] * LATENT_EFFECTS["A_AGG"] + LATENT_EFFECTS["B_ENV"] * LATENT_EFFECTS["A_ENV"]
)
MULTIPLIER: Mapping[str, float] = MappingProxyType({"base": 0.5, "coastal": 0.6, "east": 0.5})

_REGION_LEVEL = {"east": 0.35, "central": -0.05, "west": -0.25, "northeast": -0.05}
_SUB_PROVINCIAL = frozenset({210200, 330200, 350200, 370200, 440300})  # Dalian, Ningbo, Xiamen, Qingdao, Shenzhen
# Sector employment (step 6): column, base share of total employment, kappa on M_agg.
_SECTORS: tuple[tuple[str, float, float], ...] = (
    ("emp_transport", 0.045, 0.50),
    ("emp_wholesale", 0.050, 0.50),
    ("emp_leasing", 0.035, 0.50),
    ("emp_it", 0.018, 0.25),
    ("emp_finance", 0.030, 0.25),
    ("emp_research", 0.020, 0.25),
)
# Step 7: column, interior gaps, edge gaps, which edge.
_GAPS: tuple[tuple[str, int, int, str], ...] = (
    ("wastewater_per_gdp", 4, 0, "first"),
    ("patents_per_10k", 2, 0, "first"),
    ("lnaca", 3, 2, "first"),
    ("urban", 3, 2, "last"),
    ("di_fiber", 2, 0, "first"),
    ("envir", 2, 1, "first"),
)
_AR = 0.5
_SHARE_BOUNDS = (0.1, 99.9)
_LEVEL_FLOOR = 0.02


@dataclass(frozen=True, eq=False)
class DemoData:
    """A synthetic panel with known effects (see the module docstring).

    Every frame is indexed by the spreadsheet row it becomes (header in row 1,
    data from row 2); panel-aligned frames share the panel's index.

    Attributes (n = units x years rows, sorted by city then year)
    ----------
    panel : DataFrame (n, :data:`PANEL_COLUMNS`): ``city`` (int division code;
        1..N in the county panel), ``city_name`` (English), ``year``, the 20 HQD
        indicators, the controls, ``population`` (persons), ``gdp_tertiary`` and
        ``gdp_secondary`` (10k yuan), the 6 ``di_*`` indicators, sector
        employment (persons) and ``envir``.  A few cells are blank on purpose (step 7).
    cities : DataFrame, one row per unit: ``city``, ``city_zh``, ``city_en``,
        ``province`` (English), ``province_zh``, ``region``, ``coastal``, ``cluster``
        (BTH/YRD/PRD or missing), ``municipality``, ``pilot_year`` (float year, NaN = never;
        float rather than a nullable integer, as a spreadsheet reader gives it).
    indicators : the Indicators sheet (``index``, ``column``, ``dimension``,
        ``direction``, ``include``) for HQD and diginf.
    policies : the Policies sheet (``year``, ``title``, ``issuer``, ``text``).
    untreated : DataFrame (n, :data:`OUTCOME_COLUMNS`), untreated potential
        outcomes ``x(0)`` (same draws, no pilot zone), no missing values.
    effects : DataFrame (n, :data:`OUTCOME_COLUMNS`), the planted effect
        ``x - x(0)`` (before the gaps were planted); 0 on rows not treated.
    truth : read-only mapping of the planted parameters and latent effects.
    seed : the seed given to ``numpy.random.default_rng``.
    """

    panel: pd.DataFrame
    cities: pd.DataFrame
    indicators: pd.DataFrame
    policies: pd.DataFrame
    untreated: pd.DataFrame
    effects: pd.DataFrame
    truth: Mapping[str, Any]
    seed: int

    @property
    def treated(self) -> pd.Series:
        """``CBEC_it = 1[year >= pilot_year]`` per panel row, as bool."""
        pilot = self.panel["city"].map(self.cities.set_index("city")["pilot_year"]).astype(float)
        return (self.panel["year"] >= pilot.fillna(np.inf)).rename("CBEC")


# ---------------------------------------------------------------------------
# public entry points


def make_demo_panel(seed: int = DEFAULT_SEED, years: Sequence[int] = DEMO_YEARS) -> DemoData:
    """The demo: the 285 real cities and pilot years, synthetic indicators for ``years``."""
    years_arr = _check_years(years)
    units = load_cities()
    rng = np.random.default_rng(seed)
    return _build(units, years_arr, rng, seed=seed)


def make_county_panel(
    n_units: int = 2850, years: Sequence[int] = range(2001, 2021), seed: int = DEFAULT_SEED
) -> DemoData:
    """A larger synthetic panel with the demo's columns, for benchmarks.

    Units are coded 1..``n_units`` and named ``Unit 0001``, ...; each copies
    the province, region, coastal flag and cluster of a real city drawn at
    random.  About 40% never become pilots; the others get a pilot year drawn
    uniformly from the fourth year up to two years after the last one.
    """
    n = int(n_units)
    if n < 2:
        raise ValueError(f"n_units must be at least 2, found {n_units}")
    years_arr = _check_years(years)
    rng = np.random.default_rng(seed)
    real = load_cities()
    template = real.iloc[rng.integers(0, len(real), size=n)].reset_index(drop=True)
    cohorts = np.arange(years_arr[min(3, len(years_arr) - 1)], years_arr[-1] + 3)
    pilot = rng.choice(cohorts, size=n).astype(float)
    pilot[rng.random(n) < 0.4] = np.nan
    width = len(str(n))
    codes = np.arange(1, n + 1, dtype=np.int64)
    units = pd.DataFrame({
        "city": codes,
        "city_zh": [f"单位{c:0{width}d}" for c in codes],
        "city_en": [f"Unit {c:0{width}d}" for c in codes],
        "province": template["province"].to_numpy(),
        "province_zh": template["province_zh"].to_numpy(),
        "region": template["region"].to_numpy(),
        "coastal": template["coastal"].to_numpy(),
        "cluster": template["cluster"].to_numpy(),
        "municipality": np.zeros(n, dtype=np.int64),
        "pilot_year": pilot,
        "_capital": np.zeros(n, dtype=bool),
    })
    return _build(units, years_arr, rng, seed=seed)


def true_baseline_effect(
    demo: DemoData,
    weights: Mapping[str, float] | pd.Series | None = None,
    *,
    rows: pd.Series | np.ndarray | None = None,
    panel: pd.DataFrame | None = None,
) -> float:
    """The ATT of the pilot zones on the HQD entropy index implied by the process.

    ``delta_it = sum_j w_j sg_j (x_jit - x_jit(0)) / (max_j - min_j)`` averaged
    over the treated rows (module docstring, "The true effect on the HQD index").

    weights : the entropy weights of the 20 HQD indicators; default: those of
        :func:`hqd_entropy` (global pooling, shift 0.0001, interior gaps
        interpolated), the index the analyses use.
    rows : boolean mask over ``demo.panel`` rows restricting the average (e.g.
        coastal cities, for a true group effect); intersected with the treated rows.
    panel : the indicator data the index was standardised on (its min/max);
        default ``demo.panel``.
    """
    data = demo.panel if panel is None else panel
    if weights is None:
        weights = hqd_entropy(demo, panel=data).weights
    w = pd.Series(weights, dtype=float).reindex(list(HQD_COLUMNS))
    if w.isna().any():
        raise ValueError(f"weights are missing for the HQD indicators {', '.join(w.index[w.isna()])}")
    values = data[list(HQD_COLUMNS)]
    spread = values.max() - values.min()
    sign = pd.Series({ind.column: 1.0 if ind.direction == "+" else -1.0 for ind in HQD_INDICATORS})
    treated = demo.treated.to_numpy()
    if rows is not None:
        treated = treated & np.asarray(rows, dtype=bool)
    if not treated.any():
        raise ValueError("no treated row is selected, so the effect is undefined")
    delta = demo.effects[list(HQD_COLUMNS)].mul(sign * w / spread, axis=1).sum(axis=1)
    return float(delta.to_numpy()[treated].mean())


def hqd_entropy(demo: DemoData, *, panel: pd.DataFrame | None = None) -> EntropyResult:
    """The HQD entropy index (global pooling, default shift) of the panel after interior interpolation."""
    from xlcbec.core.index.entropy import entropy_index
    from xlcbec.core.panel import interpolate_interior

    data = (demo.panel if panel is None else panel).sort_values(["city", "year"], kind="stable")
    filled, _ = interpolate_interior(data, columns=list(HQD_COLUMNS), unit="city", time="year")
    directions = {ind.column: ind.direction for ind in HQD_INDICATORS}
    dimensions = {ind.column: ind.dimension for ind in HQD_INDICATORS}
    return entropy_index(filled, list(HQD_COLUMNS), directions, dimensions=dimensions, name="HQD")


def load_cities() -> pd.DataFrame:
    """The 285 cities and their pilot years (``xlcbec/data/cities.csv``) in the Cities-sheet layout.

    Carries a private ``_capital`` column (provincial capital or sub-provincial
    city) that the generator uses and :class:`DemoData` drops.
    """
    raw = _cities_csv()
    cities = pd.DataFrame({
        "city": raw["code"].astype(np.int64),
        "city_zh": raw["city_zh"].astype(str),
        "city_en": raw["city_en"].astype(str),
        "province": raw["province_en"].astype(str),
        "province_zh": raw["province_zh"].astype(str),
        "region": raw["region"].astype(str),
        "coastal": raw["coastal"].astype(np.int64),
        "cluster": raw["cluster"],
        "municipality": raw["municipality"].astype(np.int64),
        "pilot_year": raw["pilot_year"].astype(float),
    })
    cities["_capital"] = (cities["city"] % 10000 == 100) | cities["city"].isin(_SUB_PROVINCIAL)
    return cities


def indicator_table() -> pd.DataFrame:
    """The demo's Indicators sheet: HQD (20 indicators) and diginf (6)."""
    records = [
        {"index": ind.index, "column": ind.column, "dimension": ind.dimension, "direction": ind.direction,
         "include": "yes"}
        for ind in (*HQD_INDICATORS, *DIGINF_INDICATORS)
    ]
    return _sheet_index(pd.DataFrame.from_records(records))


def demo_policies() -> pd.DataFrame:
    """The demo's Policies sheet: real titles, short texts written for the demo (10 Chinese, 2 English)."""
    with resources.files("xlcbec").joinpath("data", "demo_policies.csv").open("rb") as handle:
        raw = pd.read_csv(handle, dtype={"year": np.int64})
    return _sheet_index(raw[["year", "title", "issuer", "text"]].copy())


# ---------------------------------------------------------------------------
# the generating process


@lru_cache(maxsize=1)
def _cities_csv() -> pd.DataFrame:
    with resources.files("xlcbec").joinpath("data", "cities.csv").open("rb") as handle:
        return pd.read_csv(handle, dtype={"code": np.int64, "pilot_year": float})


def _check_years(years: Sequence[int]) -> np.ndarray:
    arr = np.asarray(list(years), dtype=np.int64)
    if arr.size < 3 or np.any(np.diff(arr) != 1):
        raise ValueError(f"years must be at least 3 consecutive years, found {arr.tolist()[:6]}")
    return arr


def _sheet_index(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    return frame


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _ar1(rng: np.random.Generator, shape: tuple[int, int], sd: float) -> np.ndarray:
    """Stationary AR(1) series along axis 1 (time), coefficient 0.5, marginal SD ``sd``."""
    shocks = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = shocks[:, 0]
    innovation = math.sqrt(1 - _AR**2)
    for t in range(1, shape[1]):
        out[:, t] = _AR * out[:, t - 1] + innovation * shocks[:, t]
    return sd * out


@dataclass(frozen=True)
class _Draws:
    """Every random draw, made once; outcomes are a deterministic function of these and D.

    Arrays are (units,) or (units, years).
    """

    s: np.ndarray
    controls: dict[str, np.ndarray]
    shock_gdp: np.ndarray
    shock_urban: np.ndarray
    mediator_noise: dict[str, np.ndarray]
    latent_noise: np.ndarray
    city_part: dict[str, np.ndarray]
    indicator_noise: dict[str, np.ndarray]
    primary_city: np.ndarray
    emp_rate: np.ndarray
    sector_city: dict[str, np.ndarray]
    sector_noise: dict[str, np.ndarray]
    envir_noise: np.ndarray


def _draw(units: pd.DataFrame, n_years: int, rng: np.random.Generator) -> _Draws:
    n = len(units)
    shape = (n, n_years)
    tau = np.arange(n_years, dtype=float)[None, :]
    pilot = units["pilot_year"].to_numpy(dtype=float)
    ever = ~np.isnan(pilot)
    early = ever & (pilot <= (np.nanmedian(pilot) if ever.any() else np.inf))
    region = units["region"].map(_REGION_LEVEL).fillna(0.0).to_numpy(dtype=float)
    u = (region + 0.25 * units["coastal"].to_numpy(float) + 0.9 * units["municipality"].to_numpy(float)
         + 0.6 * units["_capital"].to_numpy(float) + 0.3 * ever + 0.15 * early + 0.55 * rng.standard_normal(n))
    s = (u - u.mean()) / u.std()
    sc = s[:, None]

    v = rng.standard_normal((8, n))[:, :, None]
    shock_gdp = _ar1(rng, shape, 0.03)
    shock_urban = _ar1(rng, shape, 0.008)
    lnpop = 5.887 + 0.66 * (0.55 * sc + 0.835 * v[0]) + 0.005 * tau + _ar1(rng, shape, 0.01)
    g = 10.29 + 0.40 * (0.8 * sc + 0.6 * v[1]) + 0.075 * tau + shock_gdp
    controls = {
        "lnpop": lnpop,
        "lngdp": lnpop + g,
        "lngov": lnpop + 8.62 + 0.25 * (0.3 * sc + 0.954 * v[2]) + 0.07 * tau + _ar1(rng, shape, 0.03),
        "lncons": lnpop + 9.19 + 0.45 * (0.8 * sc + 0.6 * v[3]) + 0.09 * tau + _ar1(rng, shape, 0.03),
        "lninter": lnpop + 6.975 + 0.45 * (0.7 * sc + 0.714 * v[4]) + 0.10 * tau + _ar1(rng, shape, 0.05),
        "lnaca": 7.635 + 1.30 * (0.6 * sc + 0.8 * v[5]) + 0.01 * tau + _ar1(rng, shape, 0.05),
        "urban": np.clip(_logistic(_logit(0.548) + 0.6 * (0.7 * sc + 0.714 * v[6])) + 0.008 * (tau - 5.5)
                         + shock_urban, 0.05, 1.0),
    }
    emp_rate = _logistic(_logit(0.12) + 0.25 * sc + 0.25 * v[7] + 0.02 * tau + _ar1(rng, shape, 0.03))

    mediator_noise = {name: _ar1(rng, shape, 0.15) for name in ("dig", "agg", "env")}
    latent_noise = _ar1(rng, shape, 0.10)
    city_part: dict[str, np.ndarray] = {}
    indicator_noise: dict[str, np.ndarray] = {}
    for ind in (*HQD_INDICATORS, *DIGINF_INDICATORS):
        city_part[ind.column] = ind.beta * s + math.sqrt(1 - ind.beta**2) * rng.standard_normal(n)
        indicator_noise[ind.column] = _ar1(rng, shape, 1.0)
    city_part["envir"] = 0.6 * s + 0.8 * rng.standard_normal(n)
    primary_city = rng.standard_normal(n)
    sector_city = {name: rng.standard_normal(n) for name, *_ in _SECTORS}
    sector_noise = {name: _ar1(rng, shape, 0.04) for name, *_ in _SECTORS}
    envir_noise = 0.4 * rng.standard_normal(shape)
    return _Draws(s, controls, shock_gdp, shock_urban, mediator_noise, latent_noise, city_part, indicator_noise,
                  primary_city, emp_rate, sector_city, sector_noise, envir_noise)


def _multiplier(units: pd.DataFrame) -> np.ndarray:
    return (MULTIPLIER["base"] + MULTIPLIER["coastal"] * units["coastal"].to_numpy(float)
            + MULTIPLIER["east"] * (units["region"] == "east").to_numpy(float))


def _indicator(ind: Indicator, level: np.ndarray, driver: np.ndarray, noise: np.ndarray, tau: np.ndarray
               ) -> np.ndarray:
    """Step 5 for one indicator given its city level (units,) and driver W (units, years)."""
    sign = 1.0 if ind.direction == "+" else -1.0
    lvl = level[:, None]
    if ind.kind == "share":
        x = lvl + sign * ind.effect * driver + ind.noise * noise + ind.path * tau
        return np.clip(x, *_SHARE_BOUNDS)
    x = lvl * (1.0 + sign * ind.effect * driver + ind.noise * noise) + ind.path * tau
    if ind.kind == "excess":
        return 1.0 + np.maximum(x, _LEVEL_FLOOR * math.exp(ind.centre))
    return np.maximum(x, _LEVEL_FLOOR * (math.exp(ind.centre) if ind.kind == "level" else float(np.median(level))))


def _levels(draws: _Draws) -> dict[str, np.ndarray]:
    """City levels of the indicators (step 5), before the time path."""
    levels: dict[str, np.ndarray] = {}
    for ind in (*HQD_INDICATORS, *DIGINF_INDICATORS):
        sign = 1.0 if ind.direction == "+" else -1.0
        z = ind.centre + sign * ind.spread * draws.city_part[ind.column]
        if ind.kind == "share":
            levels[ind.column] = 100.0 * _logistic(z)
        elif ind.kind in ("level", "excess"):
            levels[ind.column] = np.exp(z)
    tertiary = levels["tertiary_share"]
    primary_part = _logistic(_logit(0.2) - 0.4 * draws.s + 0.3 * draws.primary_city)
    levels["ind_upgrading"] = tertiary / ((100.0 - tertiary) * (1.0 - primary_part))
    return levels


def _outcomes(draws: _Draws, levels: dict[str, np.ndarray], effect: np.ndarray) -> dict[str, np.ndarray]:
    """Observed outcomes for ``effect = m_i D_it`` (all zeros: the untreated world)."""
    k = LATENT_EFFECTS
    tau = np.arange(effect.shape[1], dtype=float)[None, :]
    dig = k["A_DIG"] * effect + draws.mediator_noise["dig"]
    agg = k["A_AGG"] * effect + draws.mediator_noise["agg"]
    env = k["A_ENV"] * effect + draws.mediator_noise["env"]
    within = (k["TAU_DIRECT"] * effect + k["B_DIG"] * dig + k["B_AGG"] * agg + k["B_ENV"] * env
              + 3.0 * draws.shock_gdp + 10.0 * draws.shock_urban + draws.latent_noise)

    out: dict[str, np.ndarray] = {}
    for ind in (*HQD_INDICATORS, *DIGINF_INDICATORS):
        driver = within if ind.index == "HQD" else dig
        out[ind.column] = _indicator(ind, levels[ind.column], driver, draws.indicator_noise[ind.column], tau)
    gdp = np.exp(draws.controls["lngdp"])
    out["gdp_tertiary"] = gdp * out["tertiary_share"] / 100.0
    # Secondary = tertiary / upgrading, capped so that the primary sector keeps at least 1% of GDP.
    secondary_share = np.minimum(out["tertiary_share"] / out["ind_upgrading"], 99.0 - out["tertiary_share"])
    out["gdp_secondary"] = gdp * secondary_share / 100.0

    population = np.exp(draws.controls["lnpop"]) * 1e4
    emp_total = np.round(population * draws.emp_rate)
    for name, base, kappa in _SECTORS:
        share = base * np.exp(0.25 * draws.sector_city[name])[:, None] * (1.0 + kappa * agg + draws.sector_noise[name])
        out[name] = np.round(emp_total * np.maximum(share, 0.001))
    out["emp_total"] = emp_total
    out["envir"] = 66.0 + 2.5 * draws.city_part["envir"][:, None] + 5.0 * env + 0.25 * tau + draws.envir_noise
    return out


def _build(units: pd.DataFrame, years: np.ndarray, rng: np.random.Generator, *, seed: int) -> DemoData:
    n, n_years = len(units), len(years)
    draws = _draw(units, n_years, rng)
    levels = _levels(draws)
    pilot = units["pilot_year"].to_numpy(dtype=float)
    treated = years[None, :] >= np.nan_to_num(pilot, nan=np.inf)[:, None]
    effect = _multiplier(units)[:, None] * treated
    observed = _outcomes(draws, levels, effect)
    untreated = _outcomes(draws, levels, np.zeros_like(effect))

    columns: dict[str, Any] = {
        "city": np.repeat(units["city"].to_numpy(np.int64), n_years),
        "city_name": np.repeat(units["city_en"].to_numpy(dtype=object), n_years),
        "year": np.tile(years, n),
    }
    columns.update({col: observed[col].reshape(-1) for col in HQD_COLUMNS})
    columns.update({col: draws.controls[col].reshape(-1) for col in CONTROL_COLUMNS})
    columns["population"] = np.round(np.exp(draws.controls["lnpop"]) * 1e4).reshape(-1)
    columns.update({col: observed[col].reshape(-1)
                    for col in ("gdp_tertiary", "gdp_secondary", *DIGINF_COLUMNS, *EMPLOYMENT_COLUMNS, "envir")})
    panel = _sheet_index(pd.DataFrame(columns))
    panel["city_name"] = panel["city_name"].astype(str)
    for col in (*EMPLOYMENT_COLUMNS, "population"):
        panel[col] = panel[col].astype(np.int64)
    untreated_frame = pd.DataFrame({col: untreated[col].reshape(-1) for col in OUTCOME_COLUMNS}, index=panel.index)
    for col in EMPLOYMENT_COLUMNS:
        untreated_frame[col] = untreated_frame[col].astype(np.int64)
    effects = panel[list(OUTCOME_COLUMNS)] - untreated_frame
    _plant_gaps(panel, rng, n_units=n, n_years=n_years)

    truth = MappingProxyType({
        "seed": int(seed),
        "years": (int(years[0]), int(years[-1])),
        "n_units": n,
        "treated_units": int(treated.any(axis=1).sum()),
        "treated_rows": int(treated.sum()),
        "latent_effects": dict(LATENT_EFFECTS),
        "latent_total_per_multiplier": TAU_TOTAL,
        "multiplier": dict(MULTIPLIER),
        "latent_att": float(TAU_TOTAL * effect[treated].mean()) if treated.any() else 0.0,
        "mediated_share": {
            "diginf": LATENT_EFFECTS["B_DIG"] * LATENT_EFFECTS["A_DIG"] / TAU_TOTAL,
            "spec": LATENT_EFFECTS["B_AGG"] * LATENT_EFFECTS["A_AGG"] / TAU_TOTAL,
            "envir": LATENT_EFFECTS["B_ENV"] * LATENT_EFFECTS["A_ENV"] / TAU_TOTAL,
        },
        "direct_share": LATENT_EFFECTS["TAU_DIRECT"] / TAU_TOTAL,
        "parallel_trends": True,
        "anticipation": False,
        "dynamics": "none: effects are constant in event time",
        "hqd_att": "true_baseline_effect(demo), which depends on the realised entropy weights",
    })
    cities = _sheet_index(units.drop(columns=["_capital"]))
    return DemoData(panel=panel, cities=cities, indicators=indicator_table(), policies=demo_policies(),
                    untreated=untreated_frame, effects=effects, truth=truth, seed=int(seed))


def _plant_gaps(panel: pd.DataFrame, rng: np.random.Generator, *, n_units: int, n_years: int) -> None:
    """Blank the cells of step 7: interior years, plus edge gaps outside the HQD index."""
    labels = panel.index.to_numpy()
    for column, interior, edge, where in _GAPS:
        units = rng.choice(n_units, size=min(interior + edge, n_units), replace=False)
        years = rng.integers(1, n_years - 1, size=interior)
        cells = [u * n_years + y for u, y in zip(units[:interior], years)]
        edge_year = 0 if where == "first" else n_years - 1
        cells += [u * n_years + edge_year for u in units[interior:]]
        panel.loc[labels[cells], column] = np.nan
