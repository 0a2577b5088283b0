"""What each Panel column of the template is for: its group, the analyses that use it, unit and meaning.

The template's Panel headers, their colours and cell notes, and the table
"analysis -> columns" on the instructions sheet all come from :data:`PANEL_GUIDE`.
Names are those of :mod:`xlcbec.book.aliases`; the indicators' units and
directions those of the built-in indicator system.

Groups:

* ``baseline``: required for the baseline DID (and so for nearly every analysis):
  the city and year, the indicators of the HQD index (the outcome) and the
  default controls;
* ``analysis``: needed by one analysis (heterogeneity groups, mediators);
* ``optional``: used when present; an analysis runs without it (the business
  environment index is published by research institutes, not in yearbooks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xlcbec.book.settings import DEFAULT_CONTROLS
from xlcbec.core.index.system import indicator_system

Group = Literal["baseline", "analysis", "optional"]
GROUPS: tuple[Group, ...] = ("baseline", "analysis", "optional")

# Analyses that need the outcome (so the HQD indicators); descriptives describe outcome, controls and mediators.
_OUTCOME_ANALYSES = ("index", "descriptives", "baseline", "event_study", "psm", "heterogeneity", "mediation",
                     "placebo", "bacon", "cs", "sun_abraham")
_CONTROL_ANALYSES = ("descriptives", "baseline", "event_study", "psm", "heterogeneity", "mediation", "placebo")


@dataclass(frozen=True)
class PanelColumn:
    """One Panel column the default analyses use."""

    code: str
    group: Group
    used_by: tuple[str, ...]
    unit_en: str
    unit_zh: str
    meaning_en: str
    meaning_zh: str

    def unit(self, language: str) -> str:
        return self.unit_zh if language == "zh" else self.unit_en

    def meaning(self, language: str) -> str:
        return self.meaning_zh if language == "zh" else self.meaning_en


def _indicator_columns(index: str, group: Group, used_by: tuple[str, ...]) -> list[PanelColumn]:
    columns = []
    for ind in indicator_system():
        if ind.index != index:
            continue
        better_en = "higher is better" if ind.direction == "+" else "lower is better"
        better_zh = "正向指标，越大越好" if ind.direction == "+" else "负向指标，越小越好"
        columns.append(PanelColumn(
            ind.column, group, used_by, ind.unit, ind.unit,
            f"{ind.name_en}. Indicator of the {ind.index} index, dimension {ind.dimension}; {better_en}.",
            f"{ind.name_zh}。{'经济高质量发展' if ind.index == 'HQD' else '数字基础设施'}指数（{ind.index}）的指标，"
            f"维度：{ind.dimension_zh}；{better_zh}。",
        ))
    return columns


_CONTROLS: dict[str, tuple[str, str, str, str]] = {
    # code: (unit en, unit zh, meaning en, meaning zh)
    "lnpop": ("ln(10k persons)", "对数（万人）", "Population size: ln of the year-end resident population in 10,000 persons.",
              "人口规模：年末常住人口（万人）取自然对数。"),
    "lnaca": ("ln(persons)", "对数（人）", "Human capital: ln of the number of teachers (or higher-education students).",
              "人力资本：教师人数（或普通高校在校生数）取自然对数。"),
    "lngdp": ("ln(10k yuan)", "对数（万元）", "Economic development: ln of GDP in 10,000 yuan (before the logarithm).",
              "经济发展水平：地区生产总值（万元）取自然对数。"),
    "lngov": ("ln(10k yuan)", "对数（万元）", "Government intervention: ln of general public budget expenditure.",
              "政府干预：地方一般公共预算支出（万元）取自然对数。"),
    "lninter": ("ln(households)", "对数（户）", "Internet use: ln of broadband internet subscribers.",
                "互联网使用：互联网宽带接入用户数取自然对数。"),
    "urban": ("share 0-1", "比例（0-1）", "Urbanisation rate: urban residents / total residents, as a share between 0 and 1.",
              "城镇化率：城镇常住人口 / 常住人口，填 0 到 1 之间的小数。"),
    "lncons": ("ln(10k yuan)", "对数（万元）", "Household consumption: ln of total retail sales of consumer goods.",
               "居民消费：社会消费品零售总额（万元）取自然对数。"),
}
_EMPLOYMENT: dict[str, tuple[str, str]] = {
    "emp_transport": ("transport, storage and post", "交通运输、仓储和邮政业"),
    "emp_wholesale": ("wholesale and retail", "批发和零售业"),
    "emp_leasing": ("leasing and business services", "租赁和商务服务业"),
    "emp_it": ("information transmission, software and IT services", "信息传输、软件和信息技术服务业"),
    "emp_finance": ("finance", "金融业"),
    "emp_research": ("scientific research and technical services", "科学研究和技术服务业"),
}


def _guide() -> tuple[PanelColumn, ...]:
    columns = [
        PanelColumn("city", "baseline", _OUTCOME_ANALYSES, "code", "代码",
                    "City: the 6-digit division code listed on the Cities sheet (xlcbec import matches city names to it).",
                    "城市：城市信息表中的 6 位行政区划代码（xlcbec import 导入时会把城市名称自动匹配为代码）。"),
        PanelColumn("year", "baseline", _OUTCOME_ANALYSES, "year", "年",
                    "Year, e.g. 2015. One row per city and year.", "年份，例如 2015。每个城市每年一行。"),
        *_indicator_columns("HQD", "baseline", _OUTCOME_ANALYSES),
    ]
    for code in DEFAULT_CONTROLS:
        unit_en, unit_zh, meaning_en, meaning_zh = _CONTROLS[code]
        columns.append(PanelColumn(code, "baseline", _CONTROL_ANALYSES, unit_en, unit_zh,
                                   meaning_en + " Default control (Settings 'controls').",
                                   meaning_zh + "默认控制变量（设置项 controls）。"))
    columns += [
        PanelColumn("population", "analysis", ("heterogeneity",), "persons", "人",
                    "Year-end population in persons (not 10,000 persons); cities above Settings 'megacity_threshold' "
                    "in the base year are megacities (heterogeneity by city size).",
                    "年末总人口（人，不是万人）；基期超过设置项 megacity_threshold 的城市为特大城市（城市规模异质性）。"),
        PanelColumn("gdp_tertiary", "analysis", ("heterogeneity",), "10k yuan", "万元",
                    "Value added of the tertiary industry; tertiary / secondary > 1 in the base year = tertiary-led city "
                    "(heterogeneity by industrial structure).",
                    "第三产业增加值；基期第三产业 / 第二产业增加值大于 1 为第三产业主导城市（产业结构异质性）。"),
        PanelColumn("gdp_secondary", "analysis", ("heterogeneity",), "10k yuan", "万元",
                    "Value added of the secondary industry (heterogeneity by industrial structure).",
                    "第二产业增加值（产业结构异质性）。"),
        *_indicator_columns("diginf", "analysis", ("index", "descriptives", "mediation")),
        PanelColumn("emp_total", "analysis", ("descriptives", "mediation"), "persons", "人",
                    "Employment in urban units, all sectors: the denominator of the service-agglomeration quotient "
                    "'spec' (mediator).",
                    "城镇单位就业人员合计：生产性服务业集聚度 spec（中介变量）区位熵的分母。"),
    ]
    for code, (sector_en, sector_zh) in _EMPLOYMENT.items():
        columns.append(PanelColumn(code, "analysis", ("descriptives", "mediation"), "persons", "人",
                                   f"Employment in {sector_en} (urban units): enters the service-agglomeration "
                                   "quotient 'spec' (mediator).",
                                   f"{sector_zh}城镇单位就业人员：用于计算生产性服务业集聚度 spec（中介变量）。"))
    columns.append(PanelColumn(
        "envir", "optional", ("descriptives", "mediation"), "index 0-100", "指数（0-100）",
        "Business environment index (mediator), e.g. a published city business-environment index. Optional: "
        "mediation runs on the other mediators without it and says so in the Log.",
        "营商环境指数（中介变量），例如已发布的城市营商环境指数。可选：缺少时中介效应分析只用其余中介变量，并在日志中说明。",
    ))
    return tuple(columns)


PANEL_GUIDE: tuple[PanelColumn, ...] = _guide()
PANEL_GUIDE_BY_CODE = {column.code: column for column in PANEL_GUIDE}
