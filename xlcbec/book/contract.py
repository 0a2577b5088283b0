"""The workbook contract, version 1: sheet names, Settings keys, input columns.

Everything a user can see in a workbook is named here once (ARCHITECTURE.md,
"Workbook contract, version 1").  Input sheets belong to the user and are only
read; result sheets belong to xlcbec and are rebuilt whole by each refresh.
Sheet names are the same in every language; only descriptions and table
labels are translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CONTRACT_VERSION = 1

# --- sheets ---------------------------------------------------------------

SETTINGS = "Settings"
PANEL = "Panel"
CITIES = "Cities"
INDICATORS = "Indicators"
POLICIES = "Policies"
KEYWORDS = "Keywords"

INPUT_SHEETS: tuple[str, ...] = (SETTINGS, PANEL, CITIES, INDICATORS, POLICIES, KEYWORDS)
# Panel is the only sheet without which nothing can run; the others may be
# absent (defaults, no city attributes, no index, no policy documents).
REQUIRED_SHEETS: tuple[str, ...] = (PANEL,)

RESULT_SHEETS: tuple[str, ...] = (
    "Index",
    "Descriptives",
    "Baseline",
    "EventStudy",
    "PSM",
    "Heterogeneity",
    "Mediation",
    "PolicyText",
    "Robustness",
    "Estimates",
    "Log",
)
ESTIMATES = "Estimates"
LOG = "Log"

# --- analyses -------------------------------------------------------------

ANALYSES: tuple[str, ...] = (
    "index",
    "descriptives",
    "baseline",
    "event_study",
    "psm",
    "heterogeneity",
    "mediation",
    "policy_text",
    "placebo",
    "bacon",
    "cs",
    "sun_abraham",
)

# The result sheet each analysis writes its tables and charts to.
ANALYSIS_SHEET: dict[str, str] = {
    "index": "Index",
    "descriptives": "Descriptives",
    "baseline": "Baseline",
    "event_study": "EventStudy",
    "psm": "PSM",
    "heterogeneity": "Heterogeneity",
    "mediation": "Mediation",
    "policy_text": "PolicyText",
    "placebo": "Robustness",
    "bacon": "Robustness",
    "cs": "Robustness",
    "sun_abraham": "Robustness",
}

# --- input sheet columns --------------------------------------------------

SETTINGS_COLUMNS: tuple[str, ...] = ("Key", "Value", "Description")
INDICATORS_COLUMNS: tuple[str, ...] = ("index", "column", "dimension", "direction", "include")
POLICIES_COLUMNS: tuple[str, ...] = ("year", "title", "issuer", "text")
KEYWORDS_COLUMNS: tuple[str, ...] = ("theme", "keyword")
# Cities: the unit column (Settings `unit`) first, then time-invariant attributes.
CITIES_ATTRIBUTES: tuple[str, ...] = ("province", "region", "coastal", "cluster", "municipality", "pilot_year")
# Panel: the unit and time columns (Settings `unit`, `time`), then numeric columns.

# Columns that must be numbers wherever they appear (0/1 flags and years).
NUMERIC_ATTRIBUTES: tuple[str, ...] = ("coastal", "municipality", "pilot_year")

# --- settings -------------------------------------------------------------

SettingKind = Literal[
    "column",  # one column name
    "optional_column",  # one column name, blank = derived
    "cluster",  # a column name, `none` or `robust`; blank = the unit column
    "columns",  # comma-separated column names, `none` = empty
    "optional_columns",  # as columns, blank = another key's value
    "choice",  # one of `choices`
    "fixed_effects",  # `unit, time`, `time`, `unit` or `none`
    "number",  # a real number with bounds checked in settings.py
    "integer",  # a whole number
    "optional_year",  # a year, blank = derived from the data
    "window",  # two integers lo, hi
    "yesno",  # yes / no
    "stars",  # three significance levels
    "analyses",  # `all` or a list drawn from ANALYSES
]


@dataclass(frozen=True)
class SettingSpec:
    """One row of the Settings sheet: its key, default, kind and descriptions.

    ``default_text`` is what a blank value means, written the way a user would
    type it (the template shows it in the Description column).
    """

    key: str
    default_text: str
    kind: SettingKind
    description_en: str
    description_zh: str
    choices: tuple[str, ...] = ()
    default_zh: str | None = None  # the default in Chinese when the English text does not read well

    def description(self, language: str = "en") -> str:
        return self.description_zh if language == "zh" else self.description_en

    def default_label(self, language: str = "en") -> str:
        if language == "zh" and self.default_zh is not None:
            return self.default_zh
        return self.default_text


_S = SettingSpec

SETTING_SPECS: tuple[SettingSpec, ...] = (
    _S("unit", "city", "column", "Panel column that identifies the unit (city).", "Panel 中标识个体（城市）的列名。"),
    _S("time", "year", "column", "Panel column that holds the period (year).", "Panel 中表示时期（年份）的列名。"),
    _S(
        "first_treat",
        "pilot_year",
        "column",
        "Column with the year the unit became a CBEC pilot zone; blank or 0 = never.",
        "记录城市设立跨境电商综试区年份的列名；空白或 0 表示从未设立。",
    ),
    _S(
        "treatment",
        "",
        "optional_column",
        "A 0/1 treatment column; blank = derived CBEC = 1[year >= pilot year].",
        "0/1 处理变量列名；空白表示按 CBEC = 1[年份 >= 设立年份] 自动生成。",
        default_zh="（空白：自动生成 CBEC）",
    ),
    _S("outcome", "HQD", "column", "Outcome: a Panel column or an index defined on Indicators.", "被解释变量：Panel 中的列或 Indicators 中定义的指数。"),
    _S(
        "controls",
        "lnpop, lnaca, lngdp, lngov, lninter, urban, lncons",
        "columns",
        "Control variables, comma-separated; none = no controls.",
        "控制变量，逗号分隔；none 表示不加控制变量。",
    ),
    _S(
        "fixed_effects",
        "unit, time",
        "fixed_effects",
        "Fixed effects: unit, time / time / unit / none.",
        "固定效应：unit, time（个体和时间）/ time / unit / none。",
        choices=("unit, time", "time", "unit", "none"),
    ),
    _S(
        "cluster",
        "city",
        "cluster",
        "Cluster standard errors by this unit-level column; none = conventional; robust = HC1.",
        "按该个体层面的列聚类标准误；none 为普通标准误；robust 为 HC1 稳健标准误。",
    ),
    _S(
        "interpolate",
        "linear",
        "choice",
        "Fill interior gaps within a unit: linear or none (edges are never extrapolated).",
        "个体内部缺失值的插补方式：linear（线性）或 none；首尾缺失不外推。",
        choices=("linear", "none"),
    ),
    _S(
        "entropy_shift",
        "0.0001",
        "number",
        "Shift added to standardised indicators before the entropy weights.",
        "熵值法中标准化后指标的平移量。",
    ),
    _S(
        "entropy_pooling",
        "global",
        "choice",
        "Entropy weights from all unit-years (global) or year by year (by_year).",
        "熵值法权重：global 为全部城市-年份合并计算，by_year 为逐年计算。",
        choices=("global", "by_year"),
    ),
    _S(
        "event_window",
        "-5, 5",
        "window",
        "Event-study window: first and last relative year (first <= -1, last >= 0).",
        "事件研究窗口：起止相对年份（起点 <= -1，终点 >= 0）。",
    ),
    _S(
        "event_reference",
        "-1",
        "integer",
        "Relative year left out as the reference (inside the window).",
        "事件研究的基准期（须在窗口内）。",
    ),
    _S(
        "bin_endpoints",
        "yes",
        "yesno",
        "Bin relative years beyond the window into its end points (yes) or drop them (no).",
        "窗口之外的相对年份并入端点（yes）或删除（no）。",
        choices=("yes", "no"),
    ),
    _S(
        "psm_covariates",
        "= controls",
        "optional_columns",
        "Covariates of the propensity score; blank = the controls.",
        "倾向得分匹配的协变量；空白表示与控制变量相同。",
        default_zh="（空白：同控制变量）",
    ),
    _S("psm_model", "probit", "choice", "Propensity-score model: probit or logit.", "倾向得分模型：probit 或 logit。", choices=("probit", "logit")),
    _S(
        "kernel",
        "epanechnikov",
        "choice",
        "Matching kernel: epanechnikov, normal or nearest.",
        "匹配方法：epanechnikov 核、normal 高斯核或 nearest 近邻。",
        choices=("epanechnikov", "normal", "nearest"),
    ),
    _S("bandwidth", "0.06", "number", "Kernel bandwidth (psmatch2 default 0.06; the paper uses 0.20).", "核匹配带宽（psmatch2 默认 0.06；论文使用 0.20）。"),
    _S(
        "common_support",
        "yes",
        "yesno",
        "Drop treated observations outside the common support: yes or no.",
        "是否剔除共同支撑域之外的处理组观测：yes 或 no。",
        choices=("yes", "no"),
    ),
    _S("bootstrap_reps", "200", "integer", "Bootstrap replications (PSM and mediation).", "自助法重复次数（PSM 与中介效应）。"),
    _S("placebo_reps", "500", "integer", "Placebo (permutation) replications.", "安慰剂（随机置换）检验次数。"),
    _S("seed", "20240101", "integer", "Random seed for bootstrap and placebo draws.", "自助法与安慰剂检验的随机数种子。"),
    _S(
        "mediators",
        "diginf, spec, envir",
        "columns",
        "Mediator columns or indices, comma-separated; none = skip mediation.",
        "中介变量（列或指数），逗号分隔；none 表示不做中介分析。",
    ),
    _S(
        "heterogeneity",
        "coastal, region, tertiary_led, megacity, cluster",
        "columns",
        "Grouping variables for heterogeneity, comma-separated; none = skip.",
        "异质性分组变量，逗号分隔；none 表示不做异质性分析。",
    ),
    _S(
        "base_year",
        "first year",
        "optional_year",
        "Year in which tertiary_led and megacity groups are evaluated; blank = first year.",
        "划分 tertiary_led 与 megacity 分组的基准年份；空白表示样本第一年。",
        default_zh="（空白：样本第一年）",
    ),
    _S(
        "megacity_threshold",
        "5000000",
        "number",
        "Population above which a city counts as a megacity (base year).",
        "基准年人口超过该值的城市视为特大城市。",
    ),
    _S(
        "stat_in_parentheses",
        "t",
        "choice",
        "Statistic shown in parentheses under coefficients: t or se.",
        "系数下方括号内显示的统计量：t（t 值）或 se（标准误）。",
        choices=("t", "se"),
    ),
    _S(
        "stars",
        "0.1, 0.05, 0.01",
        "stars",
        "Significance levels for *, **, *** (three numbers between 0 and 1).",
        "*、**、*** 对应的显著性水平（0 到 1 之间的三个数）。",
    ),
    _S("language", "en", "choice", "Language of table labels: en or zh.", "表格标签语言：en（英文）或 zh（中文）。", choices=("en", "zh")),
    _S(
        "analyses",
        "all",
        "analyses",
        "Analyses to run: all, or a comma-separated list of " + ", ".join(ANALYSES) + ".",
        "要运行的分析：all，或从以下名称中选择并用逗号分隔：" + ", ".join(ANALYSES) + "。",
    ),
)

SETTING_KEYS: tuple[str, ...] = tuple(spec.key for spec in SETTING_SPECS)
SPEC_BY_KEY: dict[str, SettingSpec] = {spec.key: spec for spec in SETTING_SPECS}

YES_WORDS = frozenset({"yes", "y", "true", "1", "是", "对"})
NO_WORDS = frozenset({"no", "n", "false", "0", "否", "不"})
NONE_WORD = "none"
ALL_WORD = "all"
