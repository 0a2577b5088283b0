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
    "title_psm_att": ("Average treatment effect on the treated (kernel matching)", "平均处理效应（核匹配）"),
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
    """The table note stating the star thresholds and what is in parentheses."""
    one, two, three = (percent_text(level) for level in stars)
    if language == "zh":
        inside = "t 值" if stat == "t" else "标准误"
        return f"注：***、**、* 分别表示在 {three}、{two}、{one} 的水平上显著；括号内为{inside}。"
    inside = "t statistics" if stat == "t" else "standard errors"
    return f"Note: ***, ** and * indicate significance at the {three}, {two} and {one} levels; {inside} in parentheses."


def cluster_note(cluster: str, n_clusters: int | None, language: Language | str = LANGUAGE) -> str:
    count = f" ({n_clusters})" if n_clusters else ""
    if language == "zh":
        return f"标准误聚类到{label(cluster, 'zh')}层面{count}。"
    return f"Standard errors clustered by {cluster}{count}."


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
    def one(result: Any, n_clusters: int | None) -> str:
        if result.vcov_type == "cluster":
            return cluster_note(str(result.cluster), n_clusters, language)
        return robust_note(result.vcov_type, language)

    kinds: dict[tuple[str, str | None], list[int]] = {}
    for j, result in enumerate(results, start=1):
        kinds.setdefault((result.vcov_type, getattr(result, "cluster", None)), []).append(j)
    notes = []
    for columns in kinds.values():
        chosen = [results[j - 1] for j in columns]
        counts = {r.n_clusters for r in chosen}
        text = one(chosen[0], counts.pop() if len(counts) == 1 else None)
        if len(kinds) > 1:
            numbers = ", ".join(f"({j})" for j in columns)
            text = (f"列 {numbers}：{text}" if language == "zh" else f"Column{'s' if len(columns) > 1 else ''} {numbers}: {text}")
        notes.append(text)
    return " ".join(notes)


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
