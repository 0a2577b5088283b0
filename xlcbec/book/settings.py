"""The Settings sheet: one typed, frozen :class:`Settings` from its Key/Value rows.

A blank value means the default (contract v1).  Every problem names sheet
``Settings``, the row and the column (``Key`` for an unknown or repeated key,
``Value`` for a bad value), what was expected and how to fix it.  ``xlcbec
check`` wants every problem at once: ``parse_settings(..., collect_errors=True)``
raises one :class:`~xlcbec.errors.InputErrors` holding all of them, and
:func:`settings_problems` returns them as a list.

One table, :data:`SETTING_SPECS`, gives each key's parser, default and
descriptions: the template, the parser, the Log and the core option objects
(:attr:`Settings.se` and friends) all come from it.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast, get_args

from xlcbec.book.contract import (
    ALL_WORD,
    ANALYSES,
    NO_WORDS,
    NONE_WORD,
    SETTINGS,
    YES_WORDS,
)
from xlcbec.core.number_rule import NUMBER_TEXT, is_blank, is_boolean, to_number
from xlcbec.core.options import (
    CROSS_CHECK,
    ENTROPY_POOLING,
    ENTROPY_SHIFT,
    FIXED_EFFECTS,
    INTERPOLATE,
    KERNEL_ALIASES,
    LANGUAGE,
    MEGACITY_THRESHOLD,
    PLACEBO_REPS,
    PSM_ESTIMAND,
    SHOW_CONTROLS,
    SINGLETONS,
    STARS,
    STAT_IN_PARENTHESES,
    BootstrapOptions,
    EntropyPooling,
    EventWindow,
    FixedEffect,
    Interpolation,
    Kernel,
    Language,
    MatchingOptions,
    PsmEstimand,
    ScoreModelName,
    SEOptions,
    Singletons,
    StatInParentheses,
)
from xlcbec.errors import InputError, InputErrors, OptionError, SettingsError

SettingRow = tuple[int, Any, Any]  # (spreadsheet row, key cell, value cell)


def format_setting(key: str, value: Any) -> str:
    """A setting's value written back the way the Settings sheet takes it."""
    if value is None:
        if key == "psm_covariates":
            return "(= controls)"
        if key == "treatment":
            return "(derived CBEC)"
        if key == "base_year":
            return "(first year)"
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        if key == "analyses" and value == ANALYSES:
            return ALL_WORD
        return ", ".join(_format_number(v) if isinstance(v, float) else str(v) for v in value) if value else NONE_WORD
    if isinstance(value, float):
        return _format_number(value)
    return str(value)


def _format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


# --- parsing --------------------------------------------------------------


class _BadValue(Exception):
    """A value problem; turned into a SettingsError that names the row."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


_LIST_SPLIT = re.compile(r"[,，;；、]")
_WINDOW_SPLIT = re.compile(r"[,，;；、\s]+")


def _text(value: Any) -> str:
    """A cell as the text a user typed (2015.0 -> '2015')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return _format_number(value)
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value).strip()


def _shown(value: Any) -> str:
    return repr(_text(value)) if not isinstance(value, (int, float)) or isinstance(value, bool) else _text(value)


def _column_name(key: str, value: Any) -> str:
    text = _text(value)
    if _LIST_SPLIT.search(text):
        raise _BadValue(f"'{key}' takes one column name, found {text!r}", f"write a single column name such as '{SPEC_BY_KEY[key].default_text or 'CBEC'}'")
    return text


def _column_list(key: str, value: Any) -> tuple[str, ...]:
    text = _text(value)
    if text.lower() == NONE_WORD:
        return ()
    names = [part.strip() for part in _LIST_SPLIT.split(text)]
    names = [n for n in names if n]
    if not names:
        raise _BadValue(f"'{key}' lists no column names, found {text!r}", "write names separated by commas, or none for an empty list")
    if any(n.lower() == NONE_WORD for n in names):
        raise _BadValue(f"'{key}' mixes 'none' with column names: {text!r}", "write either none or a list of names")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise _BadValue(f"'{key}' lists {', '.join(repeated)} more than once", "list each name once")
    return tuple(names)


def _choice(key: str, value: Any) -> str:
    spec = SPEC_BY_KEY[key]
    text = _text(value).lower().replace("-", "_").replace(" ", "_") if key == "entropy_pooling" else _text(value).lower()
    aliases = _CHOICE_ALIASES.get(key, {})
    text = aliases.get(text, text)
    if text not in spec.choices:
        raise _BadValue(
            f"'{key}' must be one of {', '.join(spec.choices)}, found {_shown(value)}",
            f"write one of: {', '.join(spec.choices)}",
        )
    return text


_CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "language": {"english": "en", "chinese": "zh", "中文": "zh", "英文": "en", "zh_cn": "zh", "zh-cn": "zh", "cn": "zh"},
    "kernel": KERNEL_ALIASES,
    "stat_in_parentheses": {"t-stat": "t", "tstat": "t", "t_stat": "t", "std_error": "se", "standard error": "se"},
}


def _fixed_effects(key: str, value: Any) -> tuple[FixedEffect, ...]:
    text = _text(value).lower()
    allowed = "unit, time / time / unit / none"
    if text == NONE_WORD:
        return ()
    parts = [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()]
    if not parts or any(p not in ("unit", "time") for p in parts) or len(set(parts)) != len(parts):
        raise _BadValue(f"'{key}' must be one of {allowed}, found {_shown(value)}", "write unit, time (both), time, unit or none")
    return tuple(cast(FixedEffect, p) for p in ("unit", "time") if p in parts)


def _cluster(key: str, value: Any) -> str:
    text = _column_name(key, value)
    return text.lower() if text.lower() in (NONE_WORD, "robust") else text


def _number(key: str, value: Any) -> float:
    """A number by the core's rule (TRUE/FALSE are not numbers here); the messages say what to type."""
    number = to_number(value)
    if number is not None:
        return number
    example = SPEC_BY_KEY[key].default_text
    text = _text(value)
    spelled = text.lower().lstrip("+-")
    if (isinstance(value, (int, float)) and not is_boolean(value)) or spelled in ("inf", "infinity", "nan") \
            or NUMBER_TEXT.fullmatch(text):  # a number, but not a finite one (1e999)
        raise _BadValue(f"'{key}' must be a finite number, found {_shown(value)}", f"write a number such as {example}")
    if is_boolean(value):
        raise _BadValue(f"'{key}' must be a number, found {_shown(value)}", f"write a number such as {example}")
    raise _BadValue(f"'{key}' must be a number, found {text!r}",
                    f"write a plain number such as {example} (no units, text or thousands separators)")


def _integer(key: str, value: Any) -> int:
    number = _number(key, value)
    if not number.is_integer():
        raise _BadValue(f"'{key}' must be a whole number, found {_shown(value)}", f"write a whole number such as {SPEC_BY_KEY[key].default_text}")
    return int(number)


def _positive_integer(key: str, value: Any) -> int:
    number = _integer(key, value)
    if number <= 0:
        raise _BadValue(f"'{key}' must be a positive whole number, found {_shown(value)}", f"write a whole number of at least 1, such as {SPEC_BY_KEY[key].default_text}")
    return number


_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*(年度|年)?\s*$")


def _year(key: str, value: Any) -> int:
    text = _text(value)
    match = _YEAR_TEXT.match(text)
    if match and match.group(2):
        raise _BadValue(f"'{key}' must be a year as a number, found {text!r}", f"write {match.group(1)} without 年")
    return _integer(key, value)


def _yesno(key: str, value: Any) -> bool:
    text = _text(value).lower()
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise _BadValue(f"'{key}' must be yes or no, found {_shown(value)}", "write yes or no")


def _window(key: str, value: Any) -> tuple[int, int]:
    text = _text(value).strip("[]()（）")
    parts = [p for p in _WINDOW_SPLIT.split(text) if p]
    example = "-5, 5"
    if len(parts) != 2:
        raise _BadValue(
            f"'{key}' must be two whole numbers (first and last relative year), found {_shown(value)}",
            f"write them separated by a comma, such as {example}",
        )
    parsed = [to_number(p) for p in parts]  # the one number rule: "−5" with a typographic minus is -5
    if any(n is None for n in parsed):
        raise _BadValue(f"'{key}' must be two whole numbers, found {text!r}", f"write them separated by a comma, such as {example}")
    numbers = [float(n) for n in parsed if n is not None]
    if not all(math.isfinite(n) and n.is_integer() for n in numbers):
        raise _BadValue(f"'{key}' must be two whole numbers, found {text!r}", f"write whole numbers such as {example}")
    lo, hi = int(numbers[0]), int(numbers[1])
    if lo > -1 or hi < 0:
        raise _BadValue(
            f"'{key}' must start at -1 or earlier and end at 0 or later, found {lo}, {hi}",
            f"write the earliest pre-period first and the latest post-period second, such as {example}",
        )
    return lo, hi


def _positive_number(key: str, value: Any) -> float:
    number = _number(key, value)
    if number <= 0:
        raise _BadValue(f"'{key}' must be greater than 0, found {_shown(value)}", f"write a positive number such as {SPEC_BY_KEY[key].default_text}")
    return number


def _non_negative_number(key: str, value: Any) -> float:
    number = _number(key, value)
    if number < 0:
        raise _BadValue(f"'{key}' must be 0 or more, found {_shown(value)}", f"write a small positive number such as {SPEC_BY_KEY[key].default_text}")
    return number


def _seed(key: str, value: Any) -> int:
    number = _integer(key, value)
    if number < 0:
        raise _BadValue(f"'{key}' must be a whole number of 0 or more, found {_shown(value)}", "write a whole number such as 20240101")
    return number


def _stars(key: str, value: Any) -> tuple[float, float, float]:
    text = _text(value)
    parts = [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()]
    fix = "write three levels between 0 and 1 separated by commas, such as 0.1, 0.05, 0.01"
    if len(parts) != 3:
        raise _BadValue(f"'{key}' must be three significance levels, found {text!r}", fix)
    levels = []
    for part in parts:
        percent = part.endswith("%")
        try:
            level = float(part.rstrip("%")) / (100.0 if percent else 1.0)
        except ValueError:
            raise _BadValue(f"'{key}' must be three numbers, found {part!r} in {text!r}", fix) from None
        if not 0.0 < level < 1.0:
            raise _BadValue(f"'{key}' levels must lie strictly between 0 and 1, found {part!r}", fix)
        levels.append(level)
    if len(set(levels)) != 3:
        raise _BadValue(f"'{key}' levels must be three different numbers, found {text!r}", fix)
    # The loosest level earns one star, the strictest three, whatever order was typed.
    ordered = sorted(levels, reverse=True)
    return (ordered[0], ordered[1], ordered[2])


def _analyses(key: str, value: Any) -> tuple[str, ...]:
    text = _text(value).lower()
    if text == ALL_WORD:
        return ANALYSES
    if text == NONE_WORD:
        return ()
    names = [p.strip().replace("-", "_").replace(" ", "_") for p in _LIST_SPLIT.split(text) if p.strip()]
    if ALL_WORD in names:
        return ANALYSES
    unknown = [n for n in names if n not in ANALYSES]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, ANALYSES, n=1)
            hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise _BadValue(
            f"'{key}' names unknown analyses: {', '.join(hints)}",
            f"write all, or a comma-separated list drawn from: {', '.join(ANALYSES)}",
        )
    # Keep the contract's order so sheets are always built in the same sequence.
    return tuple(a for a in ANALYSES if a in names)


def _optional_column(key: str, value: Any) -> str | None:
    return _column_name(key, value) or None


def _optional_columns(key: str, value: Any) -> tuple[str, ...] | None:
    return _column_list(key, value)


def _bootstrap_reps(key: str, value: Any) -> int:
    return _validated(BootstrapOptions, reps=_integer(key, value)).reps


def _validated(option_type: Callable[..., Any], **values: Any) -> Any:
    """The core option object built from a parsed cell: its own checks decide, so check and refresh agree."""
    try:
        return option_type(**values)
    except OptionError as error:
        raise _BadValue(error.problem, error.fix or "") from None


# --- the table ------------------------------------------------------------


@dataclass(frozen=True)
class SettingSpec:
    """One row of the Settings sheet: key, parser, default and descriptions.

    The template row, the parser, the default after a blank and the Log line
    all come from this row.  ``default`` is the typed value a blank means
    (``None``: derived, as ``default_text`` says); ``choices`` makes the
    template offer a drop-down.
    """

    key: str
    parse: Callable[[str, Any], Any]
    default: Any
    description_en: str
    description_zh: str
    choices: tuple[str, ...] = ()
    default_text_en: str | None = None  # what a derived (None) default means, in words
    default_text_zh: str | None = None

    @property
    def default_text(self) -> str:
        """The default written as a user would type it (the template's Description shows it)."""
        return self.default_text_en if self.default_text_en is not None else format_setting(self.key, self.default)

    def description(self, language: str = "en") -> str:
        return self.description_zh if language == "zh" else self.description_en

    def default_label(self, language: str = "en") -> str:
        if language == "zh" and self.default_text_zh is not None:
            return self.default_text_zh
        return self.default_text


_S = SettingSpec
_YESNO = ("yes", "no")

SETTING_SPECS: tuple[SettingSpec, ...] = (
    _S("unit", _column_name, "city", "Panel column that identifies the unit (city).", "Panel 中标识个体（城市）的列名。"),
    _S("time", _column_name, "year", "Panel column that holds the period (year).", "Panel 中表示时期（年份）的列名。"),
    _S("first_treat", _column_name, "pilot_year",
       "Column with the year the unit became a CBEC pilot zone; blank or 0 = never.",
       "记录城市设立跨境电商综试区年份的列名；空白或 0 表示从未设立。"),
    _S("treatment", _optional_column, None,
       "A 0/1 treatment column; blank = derived CBEC = 1[year >= pilot year].",
       "0/1 处理变量列名；空白表示按 CBEC = 1[年份 >= 设立年份] 自动生成。",
       default_text_en="", default_text_zh="（空白：自动生成 CBEC）"),
    _S("outcome", _column_name, "HQD", "Outcome: a Panel column or an index defined on Indicators.",
       "被解释变量：Panel 中的列或 Indicators 中定义的指数。"),
    _S("controls", _column_list, ("lnpop", "lnaca", "lngdp", "lngov", "lninter", "urban", "lncons"),
       "Control variables, comma-separated; none = no controls.", "控制变量，逗号分隔；none 表示不加控制变量。"),
    _S("fixed_effects", _fixed_effects, FIXED_EFFECTS, "Fixed effects: unit, time / time / unit / none.",
       "固定效应：unit, time（个体和时间）/ time / unit / none。"),
    _S("cluster", _cluster, None,
       "Cluster standard errors by this unit-level column; none = conventional; robust = HC1.",
       "按该个体层面的列聚类标准误；none 为普通标准误；robust 为 HC1 稳健标准误。",
       default_text_en="city", default_text_zh="city（个体列）"),
    _S("interpolate", _choice, INTERPOLATE,
       "Fill interior gaps within a unit: linear or none (edges are never extrapolated).",
       "个体内部缺失值的插补方式：linear（线性）或 none；首尾缺失不外推。", choices=get_args(Interpolation)),
    _S("entropy_shift", _non_negative_number, ENTROPY_SHIFT,
       "Shift added to standardised indicators before the entropy weights.", "熵值法中标准化后指标的平移量。"),
    _S("entropy_pooling", _choice, ENTROPY_POOLING,
       "Entropy weights from all unit-years (global) or year by year (by_year).",
       "熵值法权重：global 为全部城市-年份合并计算，by_year 为逐年计算。", choices=get_args(EntropyPooling)),
    _S("event_window", _window, EventWindow().bounds,
       "Event-study window: first and last relative year (first <= -1, last >= 0).",
       "事件研究窗口：起止相对年份（起点 <= -1，终点 >= 0）。"),
    _S("event_reference", _integer, EventWindow.reference,
       "Relative year left out as the reference (a pre-period inside the window).",
       "事件研究的基准期（须为窗口内的事前年份）。"),
    _S("bin_endpoints", _yesno, EventWindow.bin_endpoints,
       "Bin relative years beyond the window into its end points (yes) or drop them (no).",
       "窗口之外的相对年份并入端点（yes）或删除（no）。", choices=_YESNO),
    _S("psm_covariates", _optional_columns, None, "Covariates of the propensity score; blank = the controls.",
       "倾向得分匹配的协变量；空白表示与控制变量相同。",
       default_text_en="= controls", default_text_zh="（空白：同控制变量）"),
    _S("psm_model", _choice, MatchingOptions.model, "Propensity-score model: probit or logit.",
       "倾向得分模型：probit 或 logit。", choices=get_args(ScoreModelName)),
    _S("kernel", _choice, MatchingOptions.kernel, "Matching kernel: epanechnikov, normal or nearest.",
       "匹配方法：epanechnikov 核、normal 高斯核或 nearest 近邻。", choices=get_args(Kernel)),
    _S("bandwidth", _positive_number, MatchingOptions.bandwidth,
       "Kernel bandwidth (psmatch2 default 0.06; the paper uses 0.20).", "核匹配带宽（psmatch2 默认 0.06；论文使用 0.20）。"),
    _S("common_support", _yesno, MatchingOptions.common_support,
       "Drop treated observations outside the common support: yes or no.",
       "是否剔除共同支撑域之外的处理组观测：yes 或 no。", choices=_YESNO),
    _S("bootstrap_reps", _bootstrap_reps, BootstrapOptions.reps,
       "Bootstrap replications (PSM and mediation); 0 = no bootstrap.",
       "自助法重复次数（PSM 与中介效应）；0 表示不做自助法。"),
    _S("placebo_reps", _positive_integer, PLACEBO_REPS, "Placebo (permutation) replications.",
       "安慰剂（随机置换）检验次数。"),
    _S("seed", _seed, BootstrapOptions.seed, "Random seed for bootstrap and placebo draws.",
       "自助法与安慰剂检验的随机数种子。"),
    _S("mediators", _column_list, ("diginf", "spec", "envir"),
       "Mediator columns or indices, comma-separated; none = skip mediation.",
       "中介变量（列或指数），逗号分隔；none 表示不做中介分析。"),
    _S("heterogeneity", _column_list, ("coastal", "region", "tertiary_led", "megacity", "cluster"),
       "Grouping variables for heterogeneity, comma-separated; none = skip.",
       "异质性分组变量，逗号分隔；none 表示不做异质性分析。"),
    _S("base_year", _year, None,
       "Year in which tertiary_led and megacity groups are evaluated; blank = first year.",
       "划分 tertiary_led 与 megacity 分组的基准年份；空白表示样本第一年。",
       default_text_en="first year", default_text_zh="（空白：样本第一年）"),
    _S("megacity_threshold", _positive_number, MEGACITY_THRESHOLD,
       "Population above which a city counts as a megacity (base year).", "基准年人口超过该值的城市视为特大城市。"),
    _S("stat_in_parentheses", _choice, STAT_IN_PARENTHESES, "Statistic shown in parentheses under coefficients: t or se.",
       "系数下方括号内显示的统计量：t（t 值）或 se（标准误）。", choices=get_args(StatInParentheses)),
    _S("stars", _stars, STARS, "Significance levels for *, **, *** (three numbers between 0 and 1).",
       "*、**、*** 对应的显著性水平（0 到 1 之间的三个数）。"),
    _S("language", _choice, LANGUAGE, "Language of table labels: en or zh.", "表格标签语言：en（英文）或 zh（中文）。",
       choices=get_args(Language)),
    _S("analyses", _analyses, ANALYSES,
       "Analyses to run: all, or a comma-separated list of " + ", ".join(ANALYSES) + ".",
       "要运行的分析：all，或从以下名称中选择并用逗号分隔：" + ", ".join(ANALYSES) + "。"),
    _S("singletons", _choice, SINGLETONS,
       "Units observed once: drop (reghdfe; not in N or the clusters) or keep (xtreg, fe; counted in N, the "
       "clusters and the small-sample factor). Coefficients are the same.",
       "只有一期观测的个体：drop 剔除（同 reghdfe，不计入 N 与聚类数）或 keep 保留（同 xtreg, fe，计入 N、"
       "聚类数与小样本校正）；系数相同。", choices=get_args(Singletons)),
    _S("psm_estimand", _choice, PSM_ESTIMAND,
       "PSM effects: att (psmatch2 default) or ate (psmatch2's ate: also ATU and ATE; with common_support the "
       "untreated outside the treated scores' range are off support too).",
       "PSM 效应：att（psmatch2 默认）或 ate（psmatch2 的 ate 选项：另报告 ATU 与 ATE；选择共同支撑时，倾向得分"
       "超出处理组范围的控制组也在支撑域外）。", choices=get_args(PsmEstimand)),
    _S("show_controls", _yesno, SHOW_CONTROLS,
       "Regression tables list each control's coefficient under a Controls block (yes) or only a Yes/No row (no).",
       "回归表在“控制变量”栏下列出各控制变量的系数（yes），或只显示“是/否”一行（no）。", choices=_YESNO),
    _S("cross_check", _yesno, CROSS_CHECK,
       "After a refresh, re-estimate the baseline with linearmodels and the PSM score with statsmodels and "
       "report the largest differences in the Log: yes or no.",
       "刷新后用 linearmodels 重新估计基准回归、用 statsmodels 重新估计倾向得分模型，并在 Log 中报告最大差异：yes 或 no。",
       choices=_YESNO),
)

SETTING_KEYS: tuple[str, ...] = tuple(spec.key for spec in SETTING_SPECS)
SPEC_BY_KEY: dict[str, SettingSpec] = {spec.key: spec for spec in SETTING_SPECS}
DEFAULT_CONTROLS: tuple[str, ...] = SPEC_BY_KEY["controls"].default


def _default(key: str) -> Any:
    return SPEC_BY_KEY[key].default


@dataclass(frozen=True)
class Settings:
    """Every Settings key, typed, after defaults (the table above gives each default).

    ``explicit`` holds the keys the user filled in: an analysis may skip
    quietly when a *default* names a column the data lack, but a column the
    user named must exist.  ``rows`` maps each key on the sheet (filled or
    blank) to its spreadsheet row, so a problem found later names that row.
    The core option objects (:attr:`se`, :attr:`matching`, :attr:`bootstrap`,
    :attr:`event_window_options`) are built here and nowhere else.
    """

    unit: str = _default("unit")
    time: str = _default("time")
    first_treat: str = _default("first_treat")
    treatment: str | None = _default("treatment")  # None: derive CBEC = 1[time >= first_treat]
    outcome: str = _default("outcome")
    controls: tuple[str, ...] = _default("controls")
    fixed_effects: tuple[FixedEffect, ...] = _default("fixed_effects")
    cluster: str = _default("cluster")  # a column, "none" or "robust"; blank: the unit column
    singletons: Singletons = _default("singletons")
    interpolate: Interpolation = _default("interpolate")
    entropy_shift: float = _default("entropy_shift")
    entropy_pooling: EntropyPooling = _default("entropy_pooling")
    event_window: tuple[int, int] = _default("event_window")
    event_reference: int = _default("event_reference")
    bin_endpoints: bool = _default("bin_endpoints")
    psm_covariates: tuple[str, ...] | None = _default("psm_covariates")  # None: the controls
    psm_model: ScoreModelName = _default("psm_model")
    kernel: Kernel = _default("kernel")
    bandwidth: float = _default("bandwidth")
    common_support: bool = _default("common_support")
    psm_estimand: PsmEstimand = _default("psm_estimand")
    bootstrap_reps: int = _default("bootstrap_reps")
    placebo_reps: int = _default("placebo_reps")
    seed: int = _default("seed")
    mediators: tuple[str, ...] = _default("mediators")
    heterogeneity: tuple[str, ...] = _default("heterogeneity")
    base_year: int | None = _default("base_year")  # None: the first year of the data
    megacity_threshold: float = _default("megacity_threshold")
    stat_in_parentheses: StatInParentheses = _default("stat_in_parentheses")
    show_controls: bool = _default("show_controls")
    stars: tuple[float, float, float] = _default("stars")  # thresholds for *, **, ***
    language: Language = _default("language")
    analyses: tuple[str, ...] = _default("analyses")
    cross_check: bool = _default("cross_check")
    explicit: frozenset[str] = field(default=frozenset(), compare=False)
    rows: Mapping[str, int] = field(default_factory=dict, compare=False)  # key -> its Settings row

    def __post_init__(self) -> None:
        if self.cluster is None:  # the default: cluster by the unit column, whatever it is called
            object.__setattr__(self, "cluster", self.unit)

    def row_of(self, key: str) -> int | None:
        """The Settings row holding ``key`` (None when the sheet has no row for it)."""
        return self.rows.get(key)

    @property
    def se(self) -> SEOptions:
        """Standard errors of every regression, from ``cluster`` (a column, robust or none)."""
        return SEOptions.from_text(self.cluster, singletons=self.singletons)

    @property
    def matching(self) -> MatchingOptions:
        return MatchingOptions(model=self.psm_model, kernel=self.kernel, bandwidth=self.bandwidth,
                               common_support=self.common_support, estimand=self.psm_estimand)

    @property
    def bootstrap(self) -> BootstrapOptions:
        return BootstrapOptions(reps=self.bootstrap_reps, seed=self.seed)

    @property
    def event_window_options(self) -> EventWindow:
        lo, hi = self.event_window
        return EventWindow(lo=lo, hi=hi, reference=self.event_reference, bin_endpoints=self.bin_endpoints)

    def as_rows(self) -> list[tuple[str, str]]:
        """(key, value as a user would type it) for every key, defaults resolved; for the Log."""
        return [(key, format_setting(key, getattr(self, key))) for key in SETTING_KEYS]


def locate_option(error: InputError, settings: Settings) -> InputError:
    """A core option error moved to its key's row on the Settings sheet (the option's name is the key).

    Any other error comes back unchanged.
    """
    if not isinstance(error, OptionError) or error.option not in SPEC_BY_KEY:
        return error
    key = error.option
    problem = error.problem if key in error.problem else f"'{key}': {error.problem}"
    return SettingsError(problem, sheet=SETTINGS, row=settings.row_of(key), column="Value",
                         fix=error.fix or f"correct Settings '{key}'")


def _normalise_key(key: Any) -> str:
    return re.sub(r"[\s\-]+", "_", _text(key).lower())


def _error(problem: str, *, row: int | list[int], column: str, fix: str) -> SettingsError:
    return SettingsError(problem, sheet=SETTINGS, row=row, column=column, fix=fix)


def settings_problems(rows: Iterable[SettingRow]) -> list[SettingsError]:
    """Every problem in the Settings rows (empty list = valid)."""
    _, problems = _parse(rows)
    return problems


def parse_settings(rows: Iterable[SettingRow], *, collect_errors: bool = False) -> Settings:
    """Settings from (row number, key, value) triples; blank values take the default.

    Raises the first :class:`SettingsError`, or with ``collect_errors=True`` an
    :class:`InputErrors` holding every problem found.
    """
    settings, problems = _parse(rows)
    if problems:
        if collect_errors:
            raise InputErrors(problems)
        raise problems[0]
    return settings


def parse_settings_keeping_valid(rows: Iterable[SettingRow]) -> tuple[Settings, list[SettingsError]]:
    """The Settings from the valid rows (a bad value falls back to its default) and every problem.

    For ``xlcbec check``: the other sheets are then read with the unit, time
    and column names the user did give, so one bad value is reported once,
    not again as missing Panel columns.
    """
    return _parse(rows)


def settings_from_mapping(values: Mapping[str, Any]) -> Settings:
    """Settings from ``{key: value}`` as typed on the sheet (rows numbered from 2); for tests and the demo."""
    return parse_settings([(row, key, value) for row, (key, value) in enumerate(values.items(), start=2)])


def _parse(rows: Iterable[SettingRow]) -> tuple[Settings, list[SettingsError]]:
    problems: list[SettingsError] = []
    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    value_rows: dict[str, int] = {}
    failed: set[str] = set()
    for row, raw_key, raw_value in rows:
        key = _normalise_key(raw_key)
        if not key:
            if not is_blank(raw_value):
                problems.append(
                    _error(
                        f"a value ({_shown(raw_value)}) has no key",
                        row=row,
                        column="Key",
                        fix="write the setting's name in the Key column, or delete the row",
                    )
                )
            continue
        if key not in SPEC_BY_KEY:
            close = difflib.get_close_matches(key, SETTING_KEYS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(
                _error(
                    f"unknown setting '{_text(raw_key)}'",
                    row=row,
                    column="Key",
                    fix=f"{hint}Valid keys: {', '.join(SETTING_KEYS)}",
                )
            )
            continue
        if key in seen:
            problems.append(
                _error(
                    f"setting '{key}' appears twice (rows {seen[key]} and {row})",
                    row=[seen[key], row],
                    column="Key",
                    fix=f"keep one row for '{key}' and delete the other",
                )
            )
            continue
        seen[key] = row
        if is_blank(raw_value):
            continue
        try:
            values[key] = SPEC_BY_KEY[key].parse(key, raw_value)
            value_rows[key] = row
        except _BadValue as bad:
            failed.add(key)
            problems.append(_error(bad.problem, row=row, column="Value", fix=bad.fix))

    explicit = frozenset(values)
    settings = Settings(**values, explicit=explicit, rows=dict(seen))
    if not failed & {"event_window", "event_reference", "bin_endpoints"}:
        try:
            settings.event_window_options  # the core's own check of window and reference together
        except OptionError as error:
            where = value_rows.get(error.option, value_rows.get("event_reference", value_rows.get("event_window")))
            problems.append(_error(error.problem, row=where if where is not None else [], column="Value",
                                   fix=error.fix or ""))
    return settings, problems
