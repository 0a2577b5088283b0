"""English and Chinese labels for every term, row, table and chart xlcbec writes.

``label(key, language)`` returns the text for a key, or the key itself when
no label is known (a user's own column names show as typed).  Sheet names are
never translated (contract v1); these labels are for cell contents only.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    "ATT": ("ATT", "平均处理效应（ATT）"),
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
    "att": ("ATT", "平均处理效应"),
    "bootstrap_se": ("Bootstrap SE", "自助法标准误"),
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
    "title_psm_att": ("Average treatment effect on the treated (kernel matching)", "平均处理效应（核匹配）"),
    "title_psm_did": ("PSM-DID estimates", "PSM-DID 估计结果"),
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
}


def label(key: str, language: Language | str = LANGUAGE) -> str:
    """The label for ``key`` in ``language``; unknown keys are returned as they are."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[1] if language == "zh" else pair[0]


def percent_text(level: float) -> str:
    """0.1 -> '10%', 0.001 -> '0.1%'."""
    value = round(level * 100, 6)
    return f"{value:g}%"


def stars_note(stars: tuple[float, float, float], stat: str, language: Language | str = LANGUAGE) -> str:
    """The table note stating the star thresholds (Settings ``stars``) and what is in parentheses, as the paper words it."""
    levels = sorted({float(level) for level in stars}, reverse=True)  # loosest first: 10%, 5%, 1%
    marks = ["*" * (i + 1) for i in range(len(levels))]
    strongest = list(zip(marks, levels))[::-1]  # ***, **, * at 1%, 5%, 10% (the paper's order)
    if language == "zh":
        inside = "t 值" if stat == "t" else "标准误"
        return (f"注：{'、'.join(m for m, _ in strongest)} 分别表示在 {'、'.join(percent_text(v) for _, v in strongest)} "
                f"的水平上显著；括号内为{inside}。")
    inside = "t statistics" if stat == "t" else "standard errors"
    names = [m for m, _ in strongest]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    at = [percent_text(v) for _, v in strongest]
    at_text = at[0] if len(at) == 1 else ", ".join(at[:-1]) + " and " + at[-1]
    return (f"Note: {listed} indicate significance at the {at_text} levels, respectively, "
            f"with {inside} in parentheses.")


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
