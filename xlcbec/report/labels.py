"""English and Chinese labels for every term, row, table and chart xlcbec writes.

``label(key, language)`` returns the text for a key, or the key itself when
no label is known (a user's own column names show as typed).  Sheet names are
never translated (contract v1); these labels are for cell contents only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from xlcbec.core.options import LANGUAGE, Language

# key -> (English, Chinese)
LABELS: dict[str, tuple[str, str]] = {
    # --- core variables (paper section 3.2) ---
    "CBEC": ("CBEC", "跨境电商综试区"),
    "HQD": ("HQD", "经济高质量发展"),
    "lnpop": ("Population size (ln)", "人口规模（对数）"),
    "lnaca": ("Human capital (ln)", "人力资本（对数）"),
    "lngdp": ("Economic development (ln)", "经济发展水平（对数）"),
    "lngov": ("Government intervention (ln)", "政府干预（对数）"),
    "lninter": ("Internet use (ln)", "互联网使用（对数）"),
    "urban": ("Urbanisation rate", "城镇化率"),
    "lncons": ("Household consumption (ln)", "居民消费（对数）"),
    "diginf": ("Digital infrastructure", "数字基础设施"),
    "spec": ("Service agglomeration", "生产性服务业集聚"),
    "spec_low": ("Low-end service agglomeration", "中低端生产性服务业集聚"),
    "spec_high": ("High-end service agglomeration", "高端生产性服务业集聚"),
    "envir": ("Business environment", "营商环境"),
    "pilot_year": ("Pilot year", "综试区设立年份"),
    "city": ("City", "城市"),
    "year": ("Year", "年份"),
    "_cons": ("Constant", "常数项"),
    "const": ("Constant", "常数项"),
    # --- table rows ---
    "variables": ("Variables", "变量"),
    "control_variables": ("Control variables", "控制变量"),
    "controls_block": ("Controls", "控制变量"),
    "city_fe": ("City fixed effect", "城市固定效应"),
    "year_fe": ("Year fixed effect", "年份固定效应"),
    "n": ("N", "观测值"),
    "r2": ("R-squared", "R²"),
    "r2_within": ("Within R-squared", "组内 R²"),
    "clusters": ("Clusters", "聚类数"),
    "yes": ("Yes", "是"),
    "no": ("No", "否"),
    "sobel_z": ("Sobel Z", "Sobel Z 值"),
    "aroian_z": ("Aroian Z", "Aroian Z 值"),
    "goodman_z": ("Goodman Z", "Goodman Z 值"),
    "indirect_effect": ("Indirect effect (a×b)", "间接效应（a×b）"),
    "bootstrap_ci": ("Bootstrap 95% CI", "自助法 95% 置信区间"),
    "proportion_mediated": ("Proportion mediated", "中介效应占比"),
    "ATT": ("ATT", "处理组平均处理效应（ATT）"),
    "treated": ("Treated", "处理组"),
    "untreated": ("Untreated", "控制组"),
    "total": ("Total", "合计"),
    "on_support": ("On support", "共同支撑域内"),
    "off_support": ("Off support", "共同支撑域外"),
    "obs": ("Obs", "观测值"),
    "mean": ("Mean", "均值"),
    "sd": ("Std. dev.", "标准差"),
    "min": ("Min", "最小值"),
    "median": ("Median", "中位数"),
    "max": ("Max", "最大值"),
    "variable": ("Variable", "变量"),
    "sample": ("Sample", "样本"),
    "before_matching": ("Before matching", "匹配前"),
    "after_matching": ("After matching", "匹配后"),
    "treatment_group": ("Treatment group", "处理组"),
    "control_group": ("Control group", "控制组"),
    "t_test": ("t-test (p-value)", "t 检验（p 值）"),
    "standardized_bias": ("Standardized bias (%)", "标准化偏差（%）"),
    "bias_reduction": ("Reduction (%)", "偏差减少（%）"),
    "pseudo_r2": ("Pseudo R-squared", "伪 R²"),
    "weight": ("Weight", "权重"),
    "entropy": ("Entropy e", "信息熵 e"),
    "divergence": ("Divergence d", "差异系数 d"),
    "indicator": ("Indicator", "指标"),
    "dimension": ("Dimension", "维度"),
    "direction": ("Direction", "方向"),
    "subtotal": ("Subtotal", "小计"),
    "theme": ("Theme", "主题"),
    "keyword": ("Keyword", "关键词"),
    "count": ("Count", "词频"),
    "documents": ("Documents", "文档数"),
    "share_percent": ("Weighted proportion (%)", "加权占比（%）"),
    "relative_time": ("Years relative to pilot", "相对设立年份"),
    "coefficient": ("Coefficient", "系数"),
    "ci_95": ("95% confidence interval", "95% 置信区间"),
    "propensity_score": ("Propensity score", "倾向得分"),
    "density": ("Density", "核密度"),
    "frequency": ("Frequency", "频数"),
    "placebo_estimates": ("Placebo estimates", "安慰剂估计"),
    "actual_estimate": ("Actual estimate", "真实估计"),
    "never_treated": ("Never-treated cities", "非试点城市"),
    "treated_cities": ("Pilot cities", "试点城市"),
    "chart_data": ("Chart data", "图表数据"),
    # --- column headers of the result tables ---
    "coef": ("Coefficient", "系数"),
    "estimate": ("Estimate", "估计值"),
    "std_error": ("Std. error", "标准误"),
    "se": ("Std. error", "标准误"),
    "tstat": ("t", "t 值"),
    "t": ("t", "t 值"),
    "pvalue": ("p-value", "p 值"),
    "p_value": ("p-value", "p 值"),
    "p": ("p-value", "p 值"),
    "ci_low": ("95% CI low", "95% 置信区间下限"),
    "ci_high": ("95% CI high", "95% 置信区间上限"),
    "observations": ("Observations", "观测值"),
    "mean_treated": ("Mean (treated)", "均值（处理组）"),
    "mean_control": ("Mean (control)", "均值（控制组）"),
    "pct_bias": ("Bias (%)", "标准化偏差（%）"),
    "pct_reduction": ("Reduction in |bias| (%)", "偏差减少（%）"),
    "var_ratio": ("Variance ratio T/C", "方差比（处理/控制）"),
    "lr_chi2": ("LR chi2", "LR 卡方"),
    "p_chi2": ("p > chi2", "卡方 p 值"),
    "mean_bias": ("Mean bias (%)", "平均偏差（%）"),
    "median_bias": ("Median bias (%)", "偏差中位数（%）"),
    "actual": ("Actual estimate", "真实估计"),
    "placebo_mean": ("Placebo mean", "安慰剂均值"),
    "placebo_sd": ("Placebo SD", "安慰剂标准差"),
    "reps": ("Replications", "重复次数"),
    "seed": ("Seed", "随机种子"),
    "att": ("ATT", "处理组平均处理效应"),
    "bootstrap_se": ("Bootstrap SE", "自助法标准误"),
    "ATU": ("ATU", "控制组平均处理效应（ATU）"),
    "ATE": ("ATE", "平均处理效应（ATE）"),
    "treated_on": ("Treated on support", "处理组（支撑域内）"),
    "treated_off": ("Treated off support", "处理组（支撑域外）"),
    "controls_on": ("Controls on support", "控制组（支撑域内）"),
    "controls_off": ("Controls off support", "控制组（支撑域外）"),
    "comparisons": ("Comparisons", "比较数"),
    "type": ("Comparison type", "比较类型"),
    "occurrences": ("Occurrences", "出现次数"),
    "total_tokens": ("Total words", "总词数"),
    "tokens": ("Words", "词数"),
    "title": ("Title", "标题"),
    "issuer": ("Issuer", "发文机关"),
    "e": ("Entropy e", "信息熵 e"),
    "d": ("Divergence d", "差异系数 d"),
    # --- heterogeneity groups (Tables 7-10) ---
    "coastal=1": ("Coastal cities", "沿海城市"),
    "coastal=0": ("Inland cities", "内陆城市"),
    "region=east": ("Eastern region", "东部地区"),
    "region=central": ("Central region", "中部地区"),
    "region=west": ("Western region", "西部地区"),
    "region=northeast": ("Northeast region", "东北地区"),
    "tertiary_led=1": ("Tertiary-led cities", "第三产业主导城市"),
    "tertiary_led=0": ("Secondary-led cities", "第二产业主导城市"),
    "megacity=1": ("Megacities", "特大城市"),
    "megacity=0": ("Large or medium-sized cities", "大中城市"),
    "cluster=BTH": ("Beijing-Tianjin-Hebei", "京津冀"),
    "cluster=YRD": ("Yangtze River Delta", "长三角"),
    "cluster=PRD": ("Pearl River Delta", "珠三角"),
    "coastal": ("Coastal", "沿海"),
    "region": ("Region", "地区"),
    "tertiary_led": ("Tertiary-led", "第三产业主导"),
    "megacity": ("Megacity", "特大城市"),
    "cluster": ("Urban agglomeration", "城市群"),
    # --- table titles ---
    "title_index_weights": ("Entropy weights of the index indicators", "指数指标的熵值法权重"),
    "title_descriptives": ("Descriptive statistics", "描述性统计"),
    "title_baseline": ("Results of the baseline regression", "基准回归结果"),
    "title_event_study": ("Parallel trends: event-study coefficients", "平行趋势检验：事件研究系数"),
    "title_psm_balance": ("Results of the balance test", "平衡性检验结果"),
    "title_psm_att": ("Average treatment effect on the treated (kernel matching)", "处理组平均处理效应（核匹配）"),
    "title_psm_did": ("PSM-DID estimates", "PSM-DID 估计结果"),
    "title_psm_effects": ("Treatment effects: ATT, ATU and ATE (psmatch2 ate)", "处理效应：ATT、ATU 与 ATE（psmatch2 ate）"),
    "title_heterogeneity": ("Heterogeneity of the effect", "异质性检验结果"),
    "title_mediation": ("Mechanism test", "机制检验结果"),
    "title_policy_keywords": ("Policy-text keyword frequencies", "政策文本关键词词频"),
    "title_policy_themes": ("Weighted proportion of policy themes", "政策主题加权占比"),
    "title_placebo": ("Placebo test (random pilot years)", "安慰剂检验（随机设立年份）"),
    "title_bacon": ("Goodman-Bacon decomposition", "Goodman-Bacon 分解"),
    "title_cs": ("Callaway and Sant'Anna group-time effects", "Callaway-Sant'Anna 组别-时期处理效应"),
    "title_sun_abraham": ("Sun and Abraham interaction-weighted event study", "Sun-Abraham 交互加权事件研究"),
    # --- chart titles ---
    "chart_event_study": ("Event study: effect of the CBEC pilot by year", "事件研究：综试区设立的逐年效应"),
    "chart_psm_before": ("Propensity scores before matching", "匹配前倾向得分核密度"),
    "chart_psm_after": ("Propensity scores after matching", "匹配后倾向得分核密度"),
    "chart_placebo": ("Placebo estimates and the actual estimate", "安慰剂估计分布与真实估计"),
    "chart_index_weights": ("Indicator weights by dimension", "各维度指标权重"),
    "chart_dimension_weights": ("Weights by dimension", "各维度权重"),
    "chart_trend": ("Mean outcome: pilot vs never-treated cities", "试点城市与非试点城市的均值趋势"),
    "chart_comparison": ("Event-time effects: TWFE, Callaway-Sant'Anna, Sun-Abraham",
                         "事件时间效应比较：TWFE、Callaway-Sant'Anna、Sun-Abraham"),
    "effect": ("Effect", "效应"),
    # --- column headers of the diagnostics tables (Robustness, PSM, heterogeneity, mediation) ---
    "r": ("Years relative to pilot", "相对设立年份"),
    "event_time": ("Event time", "事件时间"),
    "group": ("Cohort (pilot year)", "组别（设立年份）"),
    "time": ("Year", "年份"),
    "base_time": ("Base year", "基期年份"),
    "post": ("After the pilot", "设立后"),
    "n_treated": ("Treated units", "处理组个体数"),
    "n_control": ("Control units", "对照组个体数"),
    "control": ("Comparison group (pilot year)", "对照组（设立年份）"),
    "earlier_vs_later": ("Earlier vs later treated", "早处理组对晚处理组"),
    "later_vs_earlier": ("Later vs earlier treated (forbidden)", "晚处理组对早处理组（不当比较）"),
    "treated_vs_never": ("Treated vs never treated", "处理组对从未处理组"),
    "never": ("Never treated", "从未处理"),
    "not_yet": ("Not yet treated", "尚未处理"),
    "aggregation": ("Aggregation", "汇总方式"),
    "simple": ("Simple (all post cells)", "简单加权"),
    "dynamic": ("By event time", "按事件时间"),
    "calendar": ("By calendar year", "按日历年"),
    "value": ("Group", "分组"),
    "units": ("Cities", "城市数"),
    "treated_units": ("Pilot cities", "试点城市数"),
    "split_coef": ("Split-sample coefficient", "分样本系数"),
    "split_std_error": ("Split-sample std. error", "分样本标准误"),
    "split_nobs": ("Split-sample N", "分样本观测值"),
    "diff": ("Difference from the rest", "与其余样本之差"),
    "equality_F": ("Equal-effect F", "效应相等检验 F 值"),
    "equality_p": ("Equal-effect p-value", "效应相等检验 p 值"),
    "nobs": ("N", "观测值"),
    "mediator": ("Mediator", "中介变量"),
    "a": ("a (CBEC → mediator)", "a（CBEC→中介变量）"),
    "se_a": ("Std. error of a", "a 的标准误"),
    "b": ("b (mediator → outcome)", "b（中介变量→结果）"),
    "se_b": ("Std. error of b", "b 的标准误"),
    "c_prime": ("Direct effect c'", "直接效应 c'"),
    "c": ("Total effect c", "总效应 c"),
    "indirect": ("Indirect effect a×b", "间接效应 a×b"),
    "sobel_p": ("Sobel p-value", "Sobel p 值"),
    "boot_low": ("Bootstrap 95% CI low", "自助法 95% 置信区间下限"),
    "boot_high": ("Bootstrap 95% CI high", "自助法 95% 置信区间上限"),
    "B": ("Rubin's B", "Rubin B 值"),
    "R": ("Rubin's R", "Rubin R 值"),
    "sum_weights": ("Sum of weights", "权重之和"),
    "Unmatched": ("Before matching", "匹配前"),
    "Matched": ("After matching", "匹配后"),
    "N": ("N", "观测值"),
    "word": ("Word", "词语"),
    "rank": ("Rank", "排序"),
    "language": ("Language", "语言"),
    "keywords": ("Keywords", "关键词"),
    "digital_infrastructure": ("Digital infrastructure", "数字基础设施"),
    "service_agglomeration": ("Service agglomeration", "生产性服务业集聚"),
    "business_environment": ("Business environment", "营商环境"),
    "weighted": ("Weighted", "加权"),
    "common_support": ("Common support", "共同支撑"),
    "se_paren": ("(Std. error)", "（标准误）"),
    "stars_levels": ("Significance", "显著性"),
    "untreated_on": ("Untreated on support", "控制组（支撑域内）"),
    "total_on": ("Total on support", "合计（支撑域内）"),
    "ate_row": ("Effect", "效应"),
    "continued": ("continued", "续"),
    "note_word": ("Note", "注"),
    # --- heterogeneity interaction rows (Tables 7-10: the group × CBEC) ---
    "coastal=1:x": ("Coast×CBEC", "沿海×CBEC"),
    "coastal=0:x": ("Inland×CBEC", "内陆×CBEC"),
    "region=east:x": ("East×CBEC", "东部×CBEC"),
    "region=central:x": ("Central×CBEC", "中部×CBEC"),
    "region=west:x": ("West×CBEC", "西部×CBEC"),
    "region=northeast:x": ("Northeast×CBEC", "东北×CBEC"),
    "tertiary_led=1:x": ("Tertiary×CBEC", "第三产业主导×CBEC"),
    "tertiary_led=0:x": ("Secondary×CBEC", "第二产业主导×CBEC"),
    "megacity=1:x": ("Large×CBEC", "特大城市×CBEC"),
    "megacity=0:x": ("Medium×CBEC", "大中城市×CBEC"),
    "cluster=BTH:x": ("BTH×CBEC", "京津冀×CBEC"),
    "cluster=YRD:x": ("YRD×CBEC", "长三角×CBEC"),
    "cluster=PRD:x": ("PRD×CBEC", "珠三角×CBEC"),
    "cluster=BTH:short": ("BTH", "京津冀"),
    "cluster=YRD:short": ("YRD", "长三角"),
    "cluster=PRD:short": ("PRD", "珠三角"),
    "GxCBEC": ("Group×CBEC", "分组×CBEC"),
    "groups:coastal": ("coastal and inland cities", "沿海与内陆城市"),
    "groups:region": ("eastern, central, western and northeast regions", "东部、中部、西部与东北地区"),
    "groups:tertiary_led": ("industrial structure", "产业结构"),
    "groups:megacity": ("city size", "城市规模"),
    "groups:cluster": ("urban agglomerations", "城市群"),
    # --- analyses (Log lines and notes start with their name) ---
    "index": ("Index", "指数测算"),
    "descriptives": ("Descriptive statistics", "描述性统计"),
    "baseline": ("Baseline", "基准回归"),
    "event_study": ("Event study", "事件研究"),
    "psm": ("PSM-DID", "PSM-DID"),
    "heterogeneity": ("Heterogeneity", "异质性分析"),
    "mediation": ("Mediation", "机制检验"),
    "policy_text": ("Policy text", "政策文本分析"),
    "placebo": ("Placebo test", "安慰剂检验"),
    "bacon": ("Goodman-Bacon", "Goodman-Bacon 分解"),
    "cs": ("Callaway-Sant'Anna", "Callaway-Sant'Anna"),
    "sun_abraham": ("Sun-Abraham", "Sun-Abraham"),
    # --- model names (Estimates, Log) ---
    "no_controls": ("Without controls", "无控制变量"),
    "controls": ("With controls", "含控制变量"),
    "excl_municipalities": ("Excluding municipalities", "剔除直辖市"),
    "twfe": ("TWFE", "双向固定效应"),
    "support": ("Common support", "共同支撑"),
    "iw": ("Interaction-weighted", "交互加权"),
    # --- Log sections ---
    "log_run": ("run", "运行"),
    "log_settings": ("settings", "设置"),
    "log_data": ("data", "数据"),
    "log_rows": ("rows", "样本行"),
    "log_skipped": ("skipped", "未运行"),
    "log_note": ("note", "说明"),
    "log_seconds": ("seconds", "用时（秒）"),
    "cs_simple": ("Simple (all post-treatment cells)", "简单加权（全部处理后单元）"),
    "cs_group": ("By cohort", "按组别"),
    "cs_dynamic": ("By event time (e ≥ 0)", "按事件时间（e ≥ 0）"),
    "cs_calendar": ("By calendar year", "按日历年"),
    "input": ("Input", "投入"),
    "output": ("Output", "产出"),
    "global": ("all years together", "全部年份合并"),
    "by_year": ("year by year", "逐年"),
    "+": ("+", "+"),
    "-": ("−", "−"),
    # --- readiness of each analysis (check and the Log) ---
    "readiness_analysis": ("Analysis", "分析"),
    "readiness_status": ("Status", "状态"),
    "readiness_reason": ("Reason", "原因"),
    "readiness_add": ("What to add", "需补充"),
    "will_run": ("will run", "将运行"),
    "will_run_in_part": ("will run, in part", "将部分运行"),
    "will_be_skipped": ("will be skipped", "将跳过"),
    "ran": ("ran", "已运行"),
    "ran_in_part": ("ran, in part", "部分运行"),
    "skipped": ("skipped", "已跳过"),
    "add_sheet": ("sheet", "工作表"),
    "add_column": ("column", "列"),
    "add_setting": ("Settings key", "设置项"),
    "analysis_index": ("Entropy index", "熵值法指数"),
    "analysis_descriptives": ("Descriptive statistics", "描述性统计"),
    "analysis_baseline": ("Baseline DID", "基准回归"),
    "analysis_event_study": ("Event study", "事件研究"),
    "analysis_psm": ("PSM-DID", "PSM-DID"),
    "analysis_heterogeneity": ("Heterogeneity", "异质性检验"),
    "analysis_mediation": ("Mediation", "机制检验"),
    "analysis_policy_text": ("Policy text", "政策文本分析"),
    "analysis_placebo": ("Placebo test", "安慰剂检验"),
    "analysis_bacon": ("Goodman-Bacon decomposition", "Goodman-Bacon 分解"),
    "analysis_cs": ("Callaway & Sant'Anna", "Callaway-Sant'Anna 估计"),
    "analysis_sun_abraham": ("Sun & Abraham", "Sun-Abraham 估计"),
    # --- the Check sheet (xlcbec check --write, the ribbon's Check inputs) ---
    "check_title": ("Check of the inputs", "检查"),
    "check_verdict_problems": ("{n} problem(s) found: a refresh stops until they are fixed (list below).",
                               "发现 {n} 个问题：修正之前无法运行分析（见下表）。"),
    "check_verdict_ready": ("No problems found: a refresh will run the analyses marked 'will run'.",
                            "未发现问题：运行后将完成标为“将运行”的分析。"),
    "check_after_refresh": ("Rewritten by the latest refresh: the status says what that refresh ran.",
                            "由最近一次运行重写：状态为该次运行的结果。"),
    "check_source": ("Workbook", "工作簿"),
    "check_readiness_title": ("Readiness of each analysis", "各项分析的准备情况"),
    "check_readiness_unknown": ("Fix the problems below, then check again to see which analyses will run.",
                                "请先修正下表中的问题，再次检查即可看到哪些分析将运行。"),
    "check_problems_title": ("Problems (to fix before a refresh)", "问题（运行前须修正）"),
    "check_no_problems": ("No problems found.", "未发现问题。"),
    "check_sheet": ("Sheet", "工作表名"),
    "check_rows": ("Row(s)", "行"),
    "check_column": ("Column", "列名"),
    "check_problem": ("Problem", "问题"),
    "check_fix": ("Fix", "修正方法"),
    "check_more_rows": (" and {n} more", " 等，另有 {n} 行"),
    "check_warnings_title": ("Warnings and notes", "警告与说明"),
    "check_kind": ("Kind", "类别"),
    "check_text": ("Text", "内容"),
    "check_warning": ("Warning", "警告"),
    "check_note": ("Remark", "提示"),
}


def label(key: str, language: Language | str = LANGUAGE) -> str:
    """The label for ``key`` in ``language``; unknown keys are returned as they are."""
    pair = LABELS.get(key) or indicator_labels().get(key)
    if pair is None:
        return key
    return pair[1] if language == "zh" else pair[0]


@lru_cache(maxsize=1)
def indicator_labels() -> dict[str, tuple[str, str]]:
    """Names of the paper's index indicators and dimensions (the indicator system shipped with xlcbec:
    HQD's 20 indicators in 5 dimensions, digital infrastructure's 6 in 2), by column and dimension name."""
    from xlcbec.demo_data import DIGINF_INDICATORS, HQD_INDICATORS  # the one table of the indicator system

    names: dict[str, tuple[str, str]] = {}
    for indicator in (*HQD_INDICATORS, *DIGINF_INDICATORS):
        names[indicator.column] = (indicator.name_en, indicator.name_zh)
        dimension = indicator.dimension
        names.setdefault(dimension, (dimension[:1].upper() + dimension[1:], indicator.dimension_zh))
    return names


def percent_text(level: float) -> str:
    """0.1 -> '10%', 0.001 -> '0.1%'."""
    value = round(level * 100, 6)
    return f"{value:g}%"


def stars_note(stars: tuple[float, float, float], stat: str | None, language: Language | str = LANGUAGE) -> str:
    """The table note stating the star thresholds (Settings ``stars``) and what is in parentheses, as the paper
    words it; ``stat`` None for a table without numbers in parentheses."""
    levels = sorted({float(level) for level in stars}, reverse=True)  # loosest first: 10%, 5%, 1%
    marks = ["*" * (i + 1) for i in range(len(levels))]
    strongest = list(zip(marks, levels))[::-1]  # ***, **, * at 1%, 5%, 10% (the paper's order)
    if language == "zh":
        inside = "" if stat is None else "；括号内为" + ("t 值" if stat == "t" else "标准误")
        return (f"注：{'、'.join(m for m, _ in strongest)} 分别表示在 {'、'.join(percent_text(v) for _, v in strongest)} "
                f"的水平上显著{inside}。")
    inside = "" if stat is None else ("t statistics" if stat == "t" else "standard errors")
    names = [m for m, _ in strongest]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    at = [percent_text(v) for _, v in strongest]
    at_text = at[0] if len(at) == 1 else ", ".join(at[:-1]) + " and " + at[-1]
    tail = f", with {inside} in parentheses" if inside else ""
    return f"Note: {listed} indicate significance at the {at_text} levels, respectively{tail}."


def cluster_note(cluster: str, n_clusters: int | str | None, language: Language | str = LANGUAGE) -> str:
    """'Standard errors clustered by city (285).' with the cluster variable's label, lower case in English."""
    count = f"（{n_clusters} 个聚类）" if n_clusters and language == "zh" else (f" ({n_clusters} clusters)" if n_clusters else "")
    if language == "zh":
        return f"标准误聚类到{label(cluster, 'zh')}层面{count}。"
    name = label(cluster, "en")
    return f"Standard errors clustered by {name[:1].lower() + name[1:] if name != name.upper() else name}{count}."


def robust_note(vcov: str, language: Language | str = LANGUAGE) -> str:
    if language == "zh":
        return "异方差稳健标准误（HC1）。" if vcov == "robust" else "普通标准误。"
    return "Heteroskedasticity-robust (HC1) standard errors." if vcov == "robust" else "Conventional standard errors."


def se_note(results: Sequence[Any], language: Language | str = LANGUAGE) -> str:
    """The note naming the standard errors each column actually used, read off the fitted results.

    ``results`` carry ``vcov_type``, ``cluster`` and ``n_clusters`` (a
    :class:`~xlcbec.core.results.RegressionResult`); columns that differ are
    named by their numbers.
    """
    def one(result: Any, n_clusters: int | str | None) -> str:
        if result.vcov_type == "cluster":
            return cluster_note(str(result.cluster), n_clusters, language)
        return robust_note(result.vcov_type, language)

    kinds: dict[tuple[str, str | None], list[int]] = {}
    for j, result in enumerate(results, start=1):
        kinds.setdefault((result.vcov_type, getattr(result, "cluster", None)), []).append(j)
    notes = []
    for columns in kinds.values():
        chosen = [results[j - 1] for j in columns]
        counts = [r.n_clusters for r in chosen]
        shown = counts[0] if len(set(counts)) == 1 else (", ".join(str(c) for c in counts) if all(counts) else None)
        text = one(chosen[0], shown)
        if len(kinds) > 1:
            numbers = ", ".join(f"({j})" for j in columns)
            text = (f"列 {numbers}：{text}" if language == "zh" else f"Column{'s' if len(columns) > 1 else ''} {numbers}: {text}")
        notes.append(text)
    return " ".join(notes)


# --- row counts and the estimators' notes in the report's language -------------------

# Why rows were left out of a model (the keys of RowAccount.dropped).
DROP_REASONS: dict[str, tuple[str, str]] = {
    "missing values": ("missing values", "含缺失值"),
    "singletons": ("singletons", "单例观测"),
    "zero weight": ("zero weight", "权重为零"),
    "missing time": ("missing year", "缺少年份"),
}


def _reason(reason: str, language: Language | str) -> str:
    pair = DROP_REASONS.get(reason)
    if pair is not None:
        return pair[1] if language == "zh" else pair[0]
    return translate(reason, language)


def rows_note(accounts: Sequence[tuple[int, Any]], language: Language | str = LANGUAGE) -> str:
    """Rows each column's model used out of those it read, and why the rest were left out.

    ``accounts`` are (column number, :class:`~xlcbec.core.results.RowAccount`).
    """
    parts = []
    for j, account in accounts:
        why = [(n, _reason(reason, language)) for reason, n in account.dropped.items() if n]
        if language == "zh":
            text = f"第（{j}）列 {account.used}/{account.read}"
            parts.append(text + ("（" + "；".join(f"{r} {n} 行" for n, r in why) + "）" if why else ""))
        else:
            text = f"({j}) {account.used} of {account.read}"
            parts.append(text + (" (" + "; ".join(f"{n} {r}" for n, r in why) + ")" if why else ""))
    if language == "zh":
        return "使用的样本行数：" + "；".join(parts) + "。"
    return "Rows used: " + "; ".join(parts) + "."


# The estimators and the workbook reader write their notes and warnings in English; in a zh
# run every such line goes through this catalogue: (pattern, Chinese template).  Templates
# name the pattern's groups ({name}); a group ending in _l is shown as its label.
NOTE_PATTERNS: list[tuple[str, str]] = [
    # rows and samples
    (r"(?P<used>\d+) of (?P<read>\d+) rows used", "使用 {used}/{read} 行"),
    (r"(?P<used>\d+) of (?P<read>\d+) rows used \((?P<why>.+)\)", "使用 {used}/{read} 行（{why_t}）"),
    (r"(?P<n>\d+) missing values?", "{n} 行含缺失值"),
    (r"(?P<n>\d+) singletons?", "{n} 个单例观测"),
    (r"(?P<n>\d+) zero weight", "{n} 行权重为零"),
    (r"(?P<n>\d+) missing time", "{n} 行缺少年份"),
    (r"every group's full-sample models: (?P<rest>.+)", "各分组的全样本模型：{rest_t}"),
    (r"(?P<n>\d+) interior missing value\(s\) filled by linear interpolation within (?P<unit>\w+)",
     "{n} 个内部缺失值已在{unit_l}内线性插值补齐"),
    (r"(?P<n>\d+) unit\(s\) have a pilot year after the last period (?P<last>\d+): not yet treated in the sample "
     r"\(CBEC = 0 throughout\); they enter the event study's pre-period dummies",
     "{n} 个城市的设立年份晚于样本末期 {last}：样本期内尚未处理（CBEC 始终为 0），进入事件研究的事前虚拟变量"),
    (r"(?P<a>\w+), (?P<b>\w+) and (?P<c>\w+) computed from sector employment \(paper eq\. 12\)",
     "{a}、{b}、{c} 由分行业就业人数计算（论文式 12）"),
    (r"default controls? (?P<hints>.+?) (?:are not Panel columns|is not a Panel column) and left out of every model; "
     r"the models use (?P<used>.+?)\. Fix: name the Panel column exactly as the control, or list your controls in "
     r"Settings 'controls'",
     "默认控制变量 {hints_t} 不是面板数据（Panel）中的列，所有模型均未纳入；模型使用的控制变量：{used}。"
     "修改方法：将 Panel 的列名改为与控制变量完全相同，或在 Settings 的 'controls' 中列出所用控制变量"),
    (r"no controls", "无控制变量"),
    (r"'(?P<name>[^']+)' \(closest header: '(?P<header>[^']+)'\)", "'{name}'（最接近的列名：'{header}'）"),
    # heterogeneity groups
    (r"tertiary_led: tertiary/secondary output ratio \((?P<ratio>[^)]+)\) > 1 in (?P<year>\d+)",
     "第三产业主导：{year} 年第三产业与第二产业增加值之比（{ratio}）大于 1"),
    (r"megacity: population > (?P<n>[\d,]+) persons in (?P<year>\d+)", "特大城市：{year} 年人口超过 {n} 人"),
    (r"baseline on the group's rows only", "仅用该组样本的基准回归"),
    (r"Wald test of equal effects, group (?P<g>\S+) vs complement (?P<c>\S+): F\((?P<df>[^)]+)\)",
     "效应相等的 Wald 检验：该组 {g}，其余样本 {c}：F({df})"),
    (r"estimate = group minus complement", "估计值 = 该组减去其余样本"),
    # event study, PSM
    (r"joint F test of (?P<k>\d+) pre-period coefficients = 0, F\((?P<df>[^)]+)\)",
     "{k} 个事前系数联合为零的 F 检验，F({df})"),
    (r"bootstrap SE = (?P<se>\S+) \((?P<valid>\d+) of (?P<reps>\d+) draws of (?P<units>\d+) units, seed (?P<seed>\d+)\)",
     "自助法标准误 = {se}（{reps} 次抽样中有效 {valid} 次，每次抽取 {units} 个个体，随机种子 {seed}）"),
    (r"(?P<n>\d+) draws left out \(score not estimable or no treated row on support\)",
     "{n} 次抽样未计入（倾向得分无法估计或支撑域内无处理组）"),
    (r"bootstrap SE not computed \(bootstrap_reps = 0\)", "未计算自助法标准误（bootstrap_reps = 0）"),
    (r"std_error = psmatch2 SE \(ignores that the score is estimated\), p from N\(0,1\)",
     "标准误为 psmatch2 标准误（未考虑倾向得分为估计值），p 值基于标准正态分布"),
    (r"(?P<kernel>\w+) kernel, bandwidth (?P<bw>\S+?)(?P<cs>, common support)?",
     "{kernel} 核匹配，带宽 {bw}{cs_t}"),
    (r", common support", "，限定共同支撑域"),
    (r"(?P<k>\d+) nearest neighbour\(s\) with replacement(?P<rest>.*)", "{k} 近邻有放回匹配{rest_t}"),
    (r", caliper (?P<c>\S+)", "，卡尺 {c}"),
    (r"treated on support (?P<a>\d+) of (?P<b>\d+)", "支撑域内处理组 {a}/{b}"),
    (r"untreated matched (?P<a>\d+) of (?P<b>\d+)", "匹配上的控制组 {a}/{b}"),
    (r"TWFE DID on the matched sample, weighted by the matching weights", "匹配样本上的 TWFE DID，以匹配权重加权"),
    (r"TWFE DID on the matched sample, unweighted, rows on the common support",
     "匹配样本上的 TWFE DID，不加权，仅用共同支撑域内样本"),
    # mediation
    (r"step 1: (?P<m>\w+) on (?P<d>\w+)", "第一步：{m} 对 {d} 回归"),
    (r"direct effect", "直接效应"),
    (r"indirect effect", "间接效应"),
    (r"total effect", "总效应"),
    (r"step 2: (?P<y>\w+) on (?P<d>\w+) and (?P<m>\w+)", "第二步：{y} 对 {d} 和 {m} 回归"),
    (r"total effect \(same rows\)", "总效应（相同样本）"),
    (r"a\*b / c", "a×b / c"),
    (r"cluster bootstrap by (?P<unit>\w+) \((?P<g>\d+) clusters, copies as distinct units\), (?P<reps>\d+) replicates, "
     r"seed (?P<seed>\d+), percentile 95% CI",
     "按{unit_l}聚类自助法（{g} 个聚类，重复抽中视为不同个体），{reps} 次，随机种子 {seed}，百分位 95% 置信区间"),
    (r"spec_low and spec_high follow spec \(the paper's Table 12\)", "spec_low 与 spec_high 列于 spec 之后（论文表 12）"),
    # policy text, placebo
    (r"(?P<n>\d+) keyword occurrences in (?P<t>\d+) tokens", "{t} 个词中关键词出现 {n} 次"),
    (r"(?P<reps>\d+) permutations of pilot years \(seed (?P<seed>\d+)\)", "{reps} 次随机设立年份置换（随机种子 {seed}）"),
    (r"placebo mean (?P<m>\S+), SD (?P<sd>\S+)", "安慰剂均值 {m}，标准差 {sd}"),
    (r"std_error = SD of the placebo coefficients", "标准误为安慰剂系数的标准差"),
    # staggered adoption
    (r"post-treatment ATT\(g,t\) weighted by cohort size", "处理后 ATT(g,t) 按组别规模加权"),
    (r"mean of event-time effects e >= 0", "事件时间 e >= 0 各期效应的均值"),
    (r"cohort effects weighted by cohort size", "各组别效应按组别规模加权"),
    (r"calendar-year effects averaged over years", "各日历年效应的均值"),
    (r"chi2\((?P<df>\d+)\) Wald test that all pre-treatment ATT\(g,t\) are 0",
     "全部处理前 ATT(g,t) 为零的卡方({df}) Wald 检验"),
    (r"post-period cells weighted by their observations", "处理后各单元按观测值加权"),
    (r"(?P<n>\d+) units first treated after the last period \((?P<last>\d+)\) are not treated within the data and serve "
     r"as never-treated controls",
     "{n} 个城市的首次处理晚于样本末期（{last}），样本期内未处理，作为从未处理的对照组"),
    (r"cohorts with fewer than (?P<n>\d+) units: (?P<g>[\d, ]+)", "个体数少于 {n} 的组别：{g}"),
    (r"estimates may be imprecise", "估计可能不精确"),
    # index
    (r"dimension=(?P<dim>[^;]+)", "维度={dim_l}"),
    (r"direction=(?P<d>[+-])", "方向={d}"),
    # Log items
    (r"panel rows", "面板行数"),
    (r"units", "个体数"),
    (r"treated units", "处理组个体数"),
    (r"periods", "时期"),
    (r"started", "开始时间"),
    (r"xlcbec version", "xlcbec 版本"),
    (r"input", "输入文件"),
    (r"analyses", "分析"),
    (r"seconds", "用时（秒）"),
    (r"read and prepare", "读取与准备"),
    (r"interpolated (?P<c>\w+)", "插值 {c}"),
    (r"(?P<a>\w+): not run \((?P<why>.*)\)", "{a_l}：未运行（{why_t}）"),
    (r"%bias = 100 \(mean T - mean C\) / sqrt\(\(var T \+ var C\) / 2\), unmatched variances",
     "标准化偏差 = 100 ×（处理组均值 − 控制组均值）/ sqrt((处理组方差 + 控制组方差) / 2)，使用匹配前方差"),
    (r"t-test of equal means \(pstest\)", "均值相等的 t 检验（pstest）"),
    (r"control variable", "控制变量"),
    (r"control variable of the (?P<m>\w+) model", "{m} 模型的控制变量"),
    (r"the Keywords sheet is empty or absent: the policy-text analysis uses the built-in dictionary",
     "“关键词”表为空或不存在：政策文本分析使用内置词典"),
    (r"(?P<n>\d+) Policies row\(s\) have no text: their title is counted instead; paste the full texts into "
     r"'text' for the paper's analysis",
     "“政策文本”表中有 {n} 行没有正文：改为统计其标题；如需复现论文的分析，请把全文粘贴到“正文 text”列"),
    # general forms last (the specific ones above take precedence)
    (r"step (?P<n>\d): (?P<what>.+)", "第 {n} 步：{what_t}"),
]


def translate(text: str, language: Language | str = LANGUAGE) -> str:
    """``text`` (a note, warning or Log line from the estimators) in ``language``.

    English stays as it is; in Chinese the first matching pattern of
    :data:`NOTE_PATTERNS` gives the sentence, and a text made of several
    sentences joined by '; ' is translated piece by piece.  A line no pattern
    knows stays English (the completeness test lists them).
    """
    if language != "zh" or not text:
        return text
    return _translate_zh(text.strip())


def _translate_zh(text: str) -> str:
    if text in LABELS:
        return label(text, "zh")
    for pattern, template in _compiled():
        match = pattern.fullmatch(text)
        if match is not None:
            values: dict[str, str] = {}
            for name, value in match.groupdict().items():
                value = value or ""
                values[name] = value
                values[f"{name}_t"] = _translate_zh(value) if value else ""
                values[f"{name}_l"] = "、".join(label(v.strip(), "zh") for v in value.split(",")) if value else ""
            return template.format(**values)
    for separator, joined in (("; ", "；"), (": ", "："), (", ", "，")):
        if separator in text:
            head, _, tail = text.partition(separator)
            left, right = _translate_zh(head), _translate_zh(tail)
            if (left, right) != (head, tail):
                return f"{left}{joined}{right}"
    return text


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[Any, str]]:
    import re

    return [(re.compile(pattern), template) for pattern, template in NOTE_PATTERNS]


def singletons_note(results: Sequence[Any], language: Language | str = LANGUAGE) -> str:
    """Which singleton convention the fixed-effects columns used (Settings ``singletons``), with the count.

    Singletons are observations alone in a fixed-effect group (a city observed
    in one year): reghdfe drops them, ``xtreg, fe`` keeps them in N and the
    clusters.  Empty for results without fixed effects.
    """
    with_fe = [r for r in results if getattr(r, "fixed_effects", ())]
    if not with_fe:
        return ""
    kept = getattr(with_fe[0], "singletons", "drop") == "keep"
    count = max(int(getattr(r, "n_singletons", 0)) for r in with_fe)
    if language == "zh":
        rule = "保留并计入 N 与聚类数（同 xtreg, fe）" if kept else "剔除（同 reghdfe）"
        found = f"共 {count} 个" if count else "样本中没有"
        return f"单期观测（只出现一次的城市）{rule}：{found}。"
    rule = "kept and counted in N and the clusters (as xtreg, fe)" if kept else "dropped (as reghdfe)"
    found = f"{count} in the sample" if count else "none in the sample"
    return f"Singletons (a city observed once) {rule}: {found}."


# --- Summary sheet and Word report ------------------------------------------------------
# Verdict templates are filled with str.format by xlcbec.report.summary; every
# placeholder a template uses is given there for both languages.
LABELS.update({
    "title_summary": ("Summary of the results", "结果概览"),
    "summary_col_analysis": ("Analysis", "分析"),
    "summary_col_result": ("Numbers", "主要数字"),
    "summary_col_verdict": ("Verdict", "结论"),
    "summary_col_source": ("Sheet and table", "依据（工作表与表格）"),
    "summary_baseline": ("Baseline effect (DID)", "基准回归效应（DID）"),
    "summary_pretrend": ("Pre-trend test (event study)", "平行趋势检验（事件研究）"),
    "summary_placebo": ("Placebo test", "安慰剂检验"),
    "summary_psm_balance": ("PSM: balance after matching", "PSM：匹配后平衡性"),
    "summary_psm_att": ("PSM: ATT", "PSM：处理组平均处理效应（ATT）"),
    "summary_heterogeneity": ("Heterogeneity", "异质性"),
    "summary_group_coastal": ("location (coastal or inland)", "沿海与内陆区位"),
    "summary_group_region": ("region", "地区"),
    "summary_group_tertiary_led": ("industrial structure", "产业结构"),
    "summary_group_megacity": ("city size", "城市规模"),
    "summary_group_cluster": ("urban agglomeration", "城市群"),
    "summary_mediation": ("Mechanism", "机制"),
    "summary_bacon": ("Goodman-Bacon decomposition", "Goodman-Bacon 分解"),
    "summary_cs": ("Callaway-Sant'Anna vs TWFE", "Callaway-Sant'Anna 与 TWFE 比较"),
    "summary_sun_abraham": ("Sun-Abraham vs TWFE", "Sun-Abraham 与 TWFE 比较"),
    "summary_numbers_effect": ("{b}{stars}, 95% CI [{lo}, {hi}], {p}", "{b}{stars}，95% 置信区间 [{lo}, {hi}]，{p}"),
    "summary_numbers_pretrend": ("F({df1}, {df2}) = {F}, {p}; pre-period coefficients significant on their own: {leads}",
                                 "F({df1}, {df2}) = {F}，{p}；单独显著的事前系数：{leads}"),
    "summary_numbers_placebo": ("actual estimate {actual}; permutation {p} ({reps} draws)",
                                "真实估计 {actual}；置换检验 {p}（{reps} 次随机抽样）"),
    "summary_numbers_balance": ("after matching: mean |bias| {mean}%, largest {largest}% ({covariate}), {n} covariates",
                                "匹配后：平均 |标准化偏差| {mean}%，最大 {largest}%（{covariate}），共 {n} 个协变量"),
    "summary_numbers_att": ("ATT {b}{stars}, 95% CI [{lo}, {hi}], {p}; {treated} treated on support, {controls} controls matched",
                            "ATT {b}{stars}，95% 置信区间 [{lo}, {hi}]，{p}；支撑域内处理组 {treated} 个，匹配的控制组 {controls} 个"),
    "summary_numbers_heterogeneity": ("{effects}; equal-effect test: {tests}", "{effects}；效应相等检验：{tests}"),
    "summary_numbers_mediation": ("a×b = {indirect}; Sobel z = {z}{stars}, {p}{boot}; share mediated {share}",
                                  "a×b = {indirect}；Sobel z = {z}{stars}，{p}{boot}；中介效应占比 {share}"),
    "summary_boot_ci": ("; bootstrap 95% CI [{lo}, {hi}]", "；自助法 95% 置信区间 [{lo}, {hi}]"),
    "summary_numbers_bacon": ("weight of later-vs-earlier comparisons {weight} (their average {estimate}); TWFE {twfe}",
                              "“后处理组对先处理组”比较的权重 {weight}（其平均估计 {estimate}）；TWFE {twfe}"),
    "summary_numbers_robust": ("{b}{stars}, 95% CI [{lo}, {hi}], {p}; TWFE without controls {twfe}",
                               "{b}{stars}，95% 置信区间 [{lo}, {hi}]，{p}；无控制变量 TWFE {twfe}"),
    "summary_source_column": ("{sheet}: baseline regression, column ({column})", "{sheet}：基准回归结果第（{column}）列"),
    "summary_note_level": (
        "Tests are judged at the {level} level (the loosest level of Settings 'stars'); stars: the levels of Settings "
        "'stars'. 'Not significant' means the data cannot tell the effect from zero, not that it is zero. "
        "Balance: |bias| below {threshold} after matching.",
        "检验以 {level} 水平判断（Settings 中 stars 的最宽松水平），星号按 Settings 中 stars 的水平标注。"
        "“不显著”表示数据无法将效应与零区分开，并不表示效应为零。平衡性标准：匹配后 |标准化偏差| 低于 {threshold}。"),
    "summary_note_skipped": ("{analysis}: not run ({reason}).", "{analysis}：未运行（{reason}）。"),
    "summary_cross_check": ("Cross-check", "交叉检验"),
    "verdict_cross_check_agree": (
        "Independent implementations (linearmodels, statsmodels) give the same estimates and standard errors: the "
        "numbers do not hinge on xlcbec's own code.",
        "独立实现（linearmodels、statsmodels）给出相同的估计值与标准误：结果不依赖于 xlcbec 自身的代码。"),
    "verdict_cross_check_differ": (
        "The independent re-estimation differs for the models named; the Log gives the differences.",
        "独立重估在所列模型上存在差异，差异见 Log。"),
    "verdict_cross_check_none": ("Nothing could be cross-checked; the Log says why.", "未能进行交叉检验，原因见 Log。"),
    # verdicts
    "verdict_effect_positive": (
        "Positive and significant at the {level} level: after the pilot, pilot cities' {outcome} rose {b} more than "
        "other cities' (the 95% CI excludes zero). It reads as the pilot's effect if the pre-trend test passes.",
        "正向且在 {level} 水平上显著：设立后试点城市的{outcome}比其他城市多提高 {b}（95% 置信区间不含 0）。"
        "若平行趋势检验通过，可解读为综试区设立的效应。"),
    "verdict_effect_negative": (
        "Negative and significant at the {level} level: after the pilot, pilot cities' {outcome} changed by {b} "
        "relative to other cities' (the 95% CI excludes zero).",
        "负向且在 {level} 水平上显著：设立后试点城市的{outcome}相对其他城市变化 {b}（95% 置信区间不含 0）。"),
    "verdict_effect_null": (
        "Not significant at the {level} level ({p}): the 95% CI [{lo}, {hi}] contains zero, so the data cannot tell "
        "the effect apart from no effect. This does not show that the effect is zero.",
        "在 {level} 水平上不显著（{p}）：95% 置信区间 [{lo}, {hi}] 包含 0，数据无法将该效应与零效应区分开；"
        "这并不证明效应为零。"),
    "verdict_effect_positive_att": (
        "Positive and significant at the {level} level: matched pilot city-years' {outcome} is {b} higher than that "
        "of similar non-pilot city-years.",
        "正向且在 {level} 水平上显著：匹配后试点城市样本的{outcome}比相似的非试点样本高 {b}。"),
    "verdict_effect_negative_att": (
        "Negative and significant at the {level} level: matched pilot city-years' {outcome} differs by {b} from that "
        "of similar non-pilot city-years.",
        "负向且在 {level} 水平上显著：匹配后试点城市样本的{outcome}与相似的非试点样本相差 {b}。"),
    "verdict_effect_null_att": (
        "Not significant at the {level} level ({p}): matching does not show a difference from similar non-pilot "
        "city-years; this does not show that there is none.",
        "在 {level} 水平上不显著（{p}）：匹配后未发现与相似非试点样本的差异，但这并不证明没有差异。"),
    "verdict_pretrend_pass": (
        "Passes at the {level} level ({p}): before the pilot, the trends of pilot and other cities are not told apart. "
        "This finds no evidence against parallel trends; it does not prove them.",
        "在 {level} 水平上通过（{p}）：设立前试点城市与其他城市的趋势无显著差异。"
        "这说明没有证据否定平行趋势，但并不能证明平行趋势成立。"),
    "verdict_pretrend_fail": (
        "Fails at the {level} level ({p}): pilot cities already trended differently before the pilot, so the "
        "baseline effect may partly reflect earlier differences. Compare the Callaway-Sant'Anna and Sun-Abraham rows.",
        "在 {level} 水平上未通过（{p}）：设立前试点城市的趋势已与其他城市不同，基准效应可能部分反映事前差异；"
        "请对照 Callaway-Sant'Anna 与 Sun-Abraham 的结果。"),
    "verdict_placebo_pass": (
        "Passes: random pilot years rarely give an estimate as far from zero as the actual one ({p}), so the effect "
        "is unlikely to come from chance timing alone.",
        "通过：随机设立年份很少得到与真实估计一样远离 0 的结果（{p}），效应不太可能仅来自偶然的时间安排。"),
    "verdict_placebo_fail": (
        "Does not pass at the {level} level: random pilot years often give estimates as far from zero as the actual "
        "one ({p}), so the placebo test does not support a real effect.",
        "在 {level} 水平上未通过：随机设立年份常得到与真实估计同样远离 0 的结果（{p}），安慰剂检验不支持效应真实存在。"),
    "verdict_placebo_floor": (
        " No random draw came as far from zero as the actual estimate; with {reps} draws p cannot be below {floor}.",
        "没有一次随机抽样达到真实估计；{reps} 次抽样时 p 值最小为 {floor}。"),
    "verdict_balance_good": (
        "Balanced: after matching every covariate's |bias| is below {threshold} (largest {largest}%, {covariate}); "
        "matched pilot and non-pilot city-years are alike in the covariates.",
        "平衡：匹配后各协变量的 |标准化偏差| 均低于 {threshold}（最大为{covariate}，{largest}%），"
        "匹配后的处理组与控制组在协变量上相近。"),
    "verdict_balance_poor": (
        "Not balanced: {covariate} still differs by {largest}% after matching (above the usual {threshold}); the "
        "matched groups still differ, so read the ATT with caution.",
        "不平衡：匹配后{covariate}的标准化偏差仍为 {largest}%（高于通常的 {threshold}），"
        "匹配后两组仍有差异，ATT 需谨慎解读。"),
    "verdict_hetero_differs": (
        "The effect differs by {group}: at the {level} level the equal-effect test tells {which} apart from "
        "the other cities.",
        "效应因{group}而异：{which}与其余城市的效应在 {level} 水平上显著不同（效应相等检验）。"),
    "verdict_hetero_same": (
        "No significant difference by {group} at the {level} level (smallest equal-effect test {p}): the groups' "
        "estimates may differ by chance; this does not show that the effect is the same.",
        "按{group}分组的效应差异在 {level} 水平上不显著（效应相等检验最小 {p}）：各组估计值的差别可能出于偶然，"
        "但这并不证明效应相同。"),
    "verdict_channel_supported": (
        "Consistent with a channel through {mediator}: the indirect effect a×b is significant at the {level} level.",
        "与经由{mediator}的传导机制一致：间接效应 a×b 在 {level} 水平上显著。"),
    "verdict_channel_mixed": (
        "Mixed evidence for {mediator}: the Sobel test ({p}) and the bootstrap 95% interval disagree on whether the "
        "indirect effect differs from zero, so this is not a clear channel.",
        "{mediator}渠道的证据不一致：Sobel 检验（{p}）与自助法 95% 置信区间对间接效应是否为零的结论不同，不能视为明确的传导渠道。"),
    "verdict_channel_not_supported": (
        "No significant indirect effect through {mediator} at the {level} level ({p}): the data do not show this "
        "channel.",
        "经由{mediator}的间接效应在 {level} 水平上不显著（{p}）：数据未显示该渠道。"),
    "verdict_share": (
        " About {share} of the total effect runs through it. The three-step test shows an association along the "
        "path, not that this channel causes the effect.",
        "约 {share} 的总效应经由该渠道。三步法检验显示的是路径上的关联，并不能证明该渠道导致了效应。"),
    "verdict_share_meaningless": (
        " The share mediated ({share}) is not a share here: the direct and indirect effects have opposite signs.",
        "中介效应占比（{share}）不在 0 至 100% 之间：直接效应与间接效应方向相反，不宜解读为占比。"),
    "verdict_bacon_small": (
        "Small: only {weight} of the TWFE weight comes from comparisons that use already-treated cities as controls "
        "(below {threshold}), so staggered timing matters little for TWFE. A share, not a test.",
        "较小：TWFE 权重中仅 {weight} 来自以已设立城市为对照的比较（低于 {threshold}），交错设立对 TWFE 估计影响不大。"
        "此为权重占比，非统计检验。"),
    "verdict_bacon_large": (
        "Not small: {weight} of the TWFE weight comes from comparisons that use already-treated cities as controls; "
        "if effects change over time these pull TWFE away from the average effect, so compare the Callaway-Sant'Anna "
        "and Sun-Abraham rows. A share, not a test.",
        "不可忽视：TWFE 权重中有 {weight} 来自以已设立城市为对照的比较；若效应随时间变化，会使 TWFE 偏离平均效应，"
        "请对照 Callaway-Sant'Anna 与 Sun-Abraham 的结果。此为权重占比，非统计检验。"),
    "verdict_robust_agree": (
        "Agrees with TWFE: the TWFE estimate ({twfe}) lies inside this estimator's 95% CI and has the same sign, so "
        "staggered adoption does not visibly distort it.",
        "与 TWFE 一致：TWFE 估计（{twfe}）落在该估计量的 95% 置信区间内且符号相同，交错设立未明显扭曲 TWFE 估计。"),
    "verdict_robust_differ": (
        "Differs from TWFE: the TWFE estimate ({twfe}) lies outside this estimator's 95% CI [{lo}, {hi}] or has the "
        "other sign; the heterogeneity-robust estimate is the safer one.",
        "与 TWFE 不一致：TWFE 估计（{twfe}）落在该估计量的 95% 置信区间 [{lo}, {hi}] 之外或符号相反，"
        "以异质性稳健的估计为宜。"),
    "verdict_cs_pretrend_fail": (
        " Its own pre-trend test fails at the {level} level ({p}); it is a different test from the event study's "
        "(each pre-period ATT(g,t) against never-treated cities, without controls).",
        "其自身的事前趋势检验在 {level} 水平上未通过（{p}）；该检验不同于事件研究的检验"
        "（以从未设立城市为对照逐一检验事前 ATT(g,t)，无控制变量）。"),
})

# --- Word report (xlcbec report) ---------------------------------------------------------
LABELS.update({
    "report_title": ("Evaluation of the cross-border e-commerce pilot zones: results",
                     "跨境电子商务综合试验区政策效应评估结果"),
    "report_source": ("Workbook: {source}", "数据来源：{source}"),
    "report_refreshed": ("results computed {refreshed}", "结果计算时间：{refreshed}"),
    "report_version": ("xlcbec {version}", "xlcbec {version}"),
    "report_in_memory": ("The workbook held no results: they were computed from its inputs for this report "
                         "(the workbook was not changed).",
                         "工作簿中尚无结果：本报告的结果由其输入数据直接计算（工作簿未被修改）。"),
    "report_table": ("Table", "表"),
    "report_figure": ("Figure", "图"),
    "report_panels": ("{titles}", "{titles}"),
    "report_section_summary": ("Summary of the results", "结果概览"),
    "report_section_data": ("Data and indicator system", "数据与指标体系"),
    "report_section_baseline": ("Baseline regression", "基准回归"),
    "report_section_event_study": ("Parallel trends: event study", "平行趋势检验：事件研究"),
    "report_section_psm": ("PSM-DID", "PSM-DID 检验"),
    "report_section_heterogeneity": ("Heterogeneity", "异质性分析"),
    "report_section_mediation": ("Mechanism tests", "机制检验"),
    "report_section_policy_text": ("Policy text analysis", "政策文本分析"),
    "report_section_robustness": ("Robustness", "稳健性检验"),
    "report_section_appendix": ("Appendix: detail tables", "附录：明细表"),
    "report_no_cjk_font": ("no Chinese font found for the charts (looked for {fonts}, ...): the charts are drawn "
                           "with English labels; install one of these fonts for Chinese charts",
                           "未找到绘制图表所需的中文字体（已查找 {fonts} 等）：图表改用英文标签；"
                           "安装其中任一字体即可绘制中文图表"),
})
