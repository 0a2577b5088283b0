"""The template's first sheet (``Read me`` / ``说明``): what to fill, in which order, and how to run.

:func:`instruction_blocks` gives the sheet as blocks of rows (a heading, plain
lines, small tables); :mod:`xlcbec.book.template` draws them.  The table of
which columns each analysis needs is built from :data:`~xlcbec.book.column_guide.PANEL_GUIDE`,
so it cannot drift from the Panel headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xlcbec.book.aliases import column_title, sheet_title
from xlcbec.book.column_guide import PANEL_GUIDE
from xlcbec.book.contract import ANALYSES, ANALYSIS_SHEET, CITIES, INDICATORS, KEYWORDS, PANEL, POLICIES, SETTINGS
from xlcbec.core.index.system import index_columns


@dataclass(frozen=True)
class Block:
    """A heading and its rows; ``table`` rows are drawn as cells A, B, C (the first one a header)."""

    heading: str
    lines: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()


GROUP_LABELS = {
    "en": {"baseline": "Required for the baseline DID (and most analyses)", "analysis": "Needed by one analysis",
           "optional": "Optional (used when present)"},
    "zh": {"baseline": "基准回归必填（多数分析都需要）", "analysis": "某一项分析需要", "optional": "可选（有则使用）"},
}

# Settings keys an analysis reads besides the common ones (outcome, controls, fixed_effects, cluster).
_ANALYSIS_SETTINGS: dict[str, str] = {
    "index": "entropy_shift, entropy_pooling",
    "descriptives": "outcome, controls, mediators",
    "baseline": "outcome, controls, fixed_effects, cluster",
    "event_study": "event_window, event_reference, bin_endpoints",
    "psm": "psm_covariates, psm_model, kernel, bandwidth, common_support, bootstrap_reps",
    "heterogeneity": "heterogeneity, base_year, megacity_threshold",
    "mediation": "mediators, bootstrap_reps",
    "policy_text": "-",
    "placebo": "placebo_reps, seed",
    "bacon": "-",
    "cs": "-",
    "sun_abraham": "event_reference",
}
_ANALYSIS_NAMES = {
    "index": ("Entropy index (HQD, digital infrastructure)", "熵值法指数（高质量发展、数字基础设施）"),
    "descriptives": ("Descriptive statistics", "描述性统计"),
    "baseline": ("Baseline DID (Table 4)", "基准回归（表4）"),
    "event_study": ("Event study, parallel trends (Figure 1)", "事件研究与平行趋势（图1）"),
    "psm": ("PSM-DID (Tables 5-6)", "PSM-DID（表5-6）"),
    "heterogeneity": ("Heterogeneity (Tables 7-10)", "异质性分析（表7-10）"),
    "mediation": ("Mechanisms / mediation (Tables 11-13)", "机制检验（表11-13）"),
    "policy_text": ("Policy text keywords (Tables 1-2)", "政策文本关键词（表1-2）"),
    "placebo": ("Placebo test", "安慰剂检验"),
    "bacon": ("Goodman-Bacon decomposition", "Goodman-Bacon 分解"),
    "cs": ("Callaway & Sant'Anna", "Callaway-Sant'Anna 估计"),
    "sun_abraham": ("Sun & Abraham", "Sun-Abraham 估计"),
}
_EXTRA_INPUTS = {
    # Inputs that are not Panel columns, per analysis.
    "index": ("Indicators sheet", "指标体系表"),
    "baseline": ("Cities: pilot_year", "城市信息表：综试区设立年份 pilot_year"),
    "heterogeneity": ("Cities: coastal, region, cluster", "城市信息表：沿海城市、地区、城市群"),
    "policy_text": ("Policies sheet (text or title); Keywords sheet", "政策文本表（正文或标题）；关键词表"),
}


def _columns_text(codes: Sequence[str], language: str) -> str:
    """Panel columns, the indicator families collapsed ("the 20 HQD indicators")."""
    parts: list[str] = []
    families = {
        "HQD": (index_columns("HQD"), "the {n} HQD indicators", "高质量发展的 {n} 个指标"),
        "diginf": (index_columns("diginf"), "the {n} digital-infrastructure indicators (di_*)", "数字基础设施的 {n} 个指标（di_*）"),
        "emp": (tuple(c.code for c in PANEL_GUIDE if c.code.startswith("emp_")), "the {n} employment columns (emp_*)",
                "{n} 个就业人数列（emp_*）"),
    }
    done: set[str] = set()
    for code in codes:
        if code in done:
            continue
        family = next((f for f in families.values() if code in f[0]), None)
        if family is not None:
            members, en, zh = family
            parts.append((zh if language == "zh" else en).format(n=len(members)))
            done.update(members)
            continue
        parts.append(column_title(PANEL, code, language))
        done.add(code)
    return ("、" if language == "zh" else ", ").join(parts)


def analysis_table(language: str) -> tuple[tuple[str, ...], ...]:
    """Analysis -> Panel columns it needs -> other inputs -> Settings keys it reads."""
    zh = language == "zh"
    header = ("分析", "面板数据列", "其他输入", "设置项", "结果表") if zh else (
        "Analysis", "Panel columns", "Other inputs", "Settings keys", "Result sheet")
    rows = [header]
    for analysis in ANALYSES:
        codes = [c.code for c in PANEL_GUIDE if analysis in c.used_by and c.group != "optional"]
        optional = [c.code for c in PANEL_GUIDE if analysis in c.used_by and c.group == "optional"]
        text = _columns_text(codes, language) or "-"
        if optional:
            text += ("；可选：" if zh else "; optional: ") + _columns_text(optional, language)
        extra = _EXTRA_INPUTS.get(analysis, ("-", "-"))
        if analysis in ("event_study", "psm", "placebo", "bacon", "cs", "sun_abraham", "mediation"):
            extra = _EXTRA_INPUTS["baseline"]
        rows.append((_ANALYSIS_NAMES[analysis][1 if zh else 0], text, extra[1 if zh else 0],
                     _ANALYSIS_SETTINGS[analysis], ANALYSIS_SHEET[analysis]))
    return tuple(rows)


def instruction_blocks(language: str) -> tuple[Block, ...]:
    """The instructions sheet's content in ``language``."""
    s = {name: sheet_title(name, language) for name in (SETTINGS, PANEL, CITIES, INDICATORS, POLICIES, KEYWORDS)}
    if language == "zh":
        return (
            Block("跨境电商综试区政策评估模板（xlcbec）", (
                "本工作簿用于评估跨境电子商务综合试验区对城市经济高质量发展的影响。您只需在"
                f"“{s[PANEL]}”表中按城市和年份填写数据，其余表格已预先填好公开信息。",
            )),
            Block("填写步骤", (
                f"1. {s[PANEL]}：每个城市每年一行。表头颜色表示用途（见下方图例），每个表头都有批注，说明含义、单位和用到它的分析。"
                "也可以用“导入数据”按钮或命令 xlcbec import 把统计年鉴式的表格（城市为行、年份为列）导入。",
                f"2. {s[CITIES]}：已填好 285 个地级及以上城市的省份、地区、是否沿海、城市群、是否直辖市和综试区设立年份。"
                "城市列是 6 位行政区划代码，面板数据中的城市须与此一致。",
                f"3. {s[INDICATORS]}：已填好高质量发展指标体系（20 个指标）和数字基础设施指数（6 个指标）。"
                "某个指标没有数据时，把“纳入”改为“否”。",
                f"4. {s[POLICIES]}：已填好 20 份中央政策文件的标题。把正文粘贴到“正文”列即可按论文做文本分析；"
                "正文为空的行只统计标题。",
                f"5. {s[KEYWORDS]}：内置的关键词词典，可增删；清空后仍使用内置词典（日志中会说明）。",
                f"6. {s[SETTINGS]}：取值留空即用默认值，默认值写在说明列中。",
                "7. 点击“检查输入”（或运行 xlcbec check 工作簿.xlsx）：列出所有问题和每项分析能否运行。",
                "8. 点击“全部刷新”（或运行 xlcbec refresh 工作簿.xlsx）：结果写入各结果表。",
            )),
            Block("面板数据表头颜色", tuple(GROUP_LABELS["zh"][g] for g in ("baseline", "analysis", "optional"))),
            Block("每项分析需要的数据", table=analysis_table("zh")),
            Block("运行方式", (
                "Excel：功能区“CBEC 跨境电商”选项卡：检查输入、全部刷新、各项分析按钮、导入数据、新建模板、帮助。",
                "命令行：xlcbec check 工作簿.xlsx；xlcbec refresh 工作簿.xlsx（结果另存为 工作簿.results.xlsx）；"
                "xlcbec import 年鉴表.xlsx -o 工作簿.xlsx --into 模板.xlsx。",
            )),
            Block("结果在哪里", (
                "每项分析写入自己的结果表（Index、Descriptives、Baseline、EventStudy、PSM、Heterogeneity、Mediation、"
                "PolicyText、Robustness）；所有数值另列于 Estimates 表，Log 表记录每次运行的设置、样本和警告。"
                "输入表只读，从不被改写。",
            )),
            Block("预填数据来源", (
                "城市：国家统计局 2023 年统计用区划代码；东中西部和东北地区按国家统计局 2011 年划分；沿海城市据《中国海洋统计年鉴》；"
                "京津冀 13 市、长三角 26 市（2016 年规划）、珠三角 9 市。",
                "综试区设立年份：国务院关于设立跨境电子商务综合试验区的 7 批批复（2015—2022 年，国函〔2015〕44号、〔2016〕17号、"
                "〔2018〕93号、〔2019〕137号、〔2020〕47号、〔2022〕8号、〔2022〕126号）；县级试点计入所属地级市；空白 = 未设立。",
                "指标体系：按创新、协调、绿色、开放、共享五大理念，综合已发表的城市高质量发展指标体系（详见 xlcbec/data/README.md）。",
                "关键词：论文表 2 的政策高频词（译为中文）及常见跨境电商政策用语。政策文件标题：中国政府网政策文件库（www.gov.cn/zhengce）。",
            )),
        )
    return (
        Block("CBEC pilot zones evaluation template (xlcbec)", (
            "This workbook evaluates the effect of the cross-border e-commerce (CBEC) comprehensive pilot zones on "
            f"cities' high-quality development. You fill the '{s[PANEL]}' sheet, one row per city and year; the other "
            "sheets come pre-filled with public information.",
        )),
        Block("What to fill, in this order", (
            f"1. {s[PANEL]}: one row per city and year. Header colours say what each column is for (legend below); "
            "every header has a note with its meaning, unit and the analyses that use it. Yearbook tables (cities in "
            "rows, years in columns) can be brought in with the Import data button or `xlcbec import`.",
            f"2. {s[CITIES]}: the 285 prefecture-level cities with province, region, coastal flag, urban cluster, "
            "municipality flag and CBEC pilot year, pre-filled. The city column holds the 6-digit division code; "
            "the Panel's cities must use the same codes.",
            f"3. {s[INDICATORS]}: the HQD indicator system (20 indicators) and the digital-infrastructure index "
            "(6 indicators), pre-filled. Set include to no for an indicator you have no data for.",
            f"4. {s[POLICIES]}: the titles of 20 central-government CBEC documents, pre-filled. Paste each "
            "document's full text into 'text' for the paper's analysis; a row without text is counted on its title.",
            f"5. {s[KEYWORDS]}: the built-in keyword dictionary, editable; an emptied sheet still means the built-in "
            "one (the Log says so).",
            f"6. {s[SETTINGS]}: a blank value means the default, stated in the Description column.",
            "7. Check inputs (or `xlcbec check BOOK.xlsx`): lists every problem and which analyses will run.",
            "8. Refresh all (or `xlcbec refresh BOOK.xlsx`): writes the result sheets.",
        )),
        Block("Panel header colours", tuple(GROUP_LABELS["en"][g] for g in ("baseline", "analysis", "optional"))),
        Block("What each analysis needs", table=analysis_table("en")),
        Block("How to run", (
            "Excel: the CBEC ribbon tab: Check inputs, Refresh all, one button per analysis, Import data, New "
            "template, Help.",
            "Command line: `xlcbec check BOOK.xlsx`; `xlcbec refresh BOOK.xlsx` (results go to BOOK.results.xlsx); "
            "`xlcbec import TABLES.xlsx -o BOOK.xlsx --into TEMPLATE.xlsx`.",
        )),
        Block("Where results appear", (
            "Each analysis rebuilds its own result sheet (Index, Descriptives, Baseline, EventStudy, PSM, "
            "Heterogeneity, Mediation, PolicyText, Robustness); every number is also on Estimates, and Log records "
            "each run's settings, rows used and warnings. Input sheets are only read, never written.",
        )),
        Block("Where the pre-filled data come from", (
            "Cities: National Bureau of Statistics division codes (2023); NBS 2011 regions (east, central, west, "
            "northeast); coastal cities per the China Marine Statistical Yearbook; Beijing-Tianjin-Hebei (13 cities), "
            "Yangtze River Delta (26, 2016 plan), Pearl River Delta (9).",
            "Pilot years: the State Council's 7 batches of replies establishing the pilot zones, 2015-2022 "
            "(国函〔2015〕44号, 〔2016〕17号, 〔2018〕93号, 〔2019〕137号, 〔2020〕47号, 〔2022〕8号, 〔2022〕126号); "
            "county-level pilots count for their parent city; blank = never a pilot.",
            "Indicator system: the five development concepts (innovation, coordination, green, openness, sharing), "
            "composed from published city HQD indicator systems (xlcbec/data/README.md).",
            "Keywords: the paper's Table 2 terms, in Chinese and English, plus common CBEC policy terms. Policy "
            "titles: the State Council policy library (www.gov.cn/zhengce).",
        )),
    )
