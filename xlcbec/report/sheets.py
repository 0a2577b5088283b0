"""What each result sheet shows: analysis outcomes -> ordered table and chart specs.

One builder per analysis, each returning the blocks (tables and charts) of
its part of a result sheet; :mod:`xlcbec.jobs` lays them out and a backend
draws them.  Tables follow the paper's layout (docs/methods.md section 11).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

import numpy as np
import pandas as pd

from xlcbec.report import charts as C
from xlcbec.report.labels import label, se_note, singletons_note, stars_note
from xlcbec.report.tables import (
    Cell,
    TableSpec,
    frame_table,
    regression_table,
)

Block = Union[TableSpec, C.ChartSpec]


class View:
    """The presentation settings every builder needs (language, stars, statistic)."""

    def __init__(self, settings: Any) -> None:
        self.language: str = settings.language
        self.stars: tuple[float, float, float] = tuple(settings.stars)  # type: ignore[assignment]
        self.stat: str = settings.stat_in_parentheses
        self.controls: tuple[str, ...] = tuple(settings.controls)
        # Settings show_controls: each control's coefficient under a Controls block, or a Yes/No row only.
        self.show_controls: bool = bool(getattr(settings, "show_controls", True))

    def se_notes(self, regression: Any) -> list[str]:
        """The star note and the standard-error note of a table built from one fitted regression."""
        notes = [stars_note(self.stars, self.stat, self.language), se_note([regression], self.language)]
        return notes + [n for n in (singletons_note([regression], self.language),) if n]

    def zh(self, english: str, chinese: str) -> str:
        return chinese if self.language == "zh" else english

    def control_layout(self, fits: Sequence[Any], main_terms: Sequence[str],
                       flags: Sequence[bool]) -> dict[str, Any]:
        """``regression_table`` arguments for the controls: a Controls block (show_controls) or the Yes/No row."""
        if not self.show_controls:
            return {"controls_row": flags}
        shown = set(main_terms)
        terms = [str(t) for fit in fits if fit is not None for t in fit.params.index if str(t) not in shown]
        if not terms:
            return {"controls_row": flags}
        return {"control_terms": list(dict.fromkeys(terms))}


def _regression(view: View, columns: Sequence[tuple[str, Any]], *, key: str, title: str, terms: Sequence[str],
                controls_flags: Sequence[bool] | None = None, notes: Sequence[str] = (),
                extra_rows: Sequence[tuple[str, Sequence[Cell]]] = ()) -> TableSpec:
    """The paper's regression layout; the star and standard-error notes come from the table builder.

    The controls follow Settings ``show_controls``: a Controls block listing
    each control's coefficient, or the paper's ``Control variables: Yes/No`` row.
    """
    controls: dict[str, Any] = {"controls_row": controls_flags}
    if controls_flags is not None:
        controls = view.control_layout([fit for _, fit in columns], terms, controls_flags)
    return regression_table(
        columns, terms=terms, stat=view.stat, stars=view.stars,  # type: ignore[arg-type]
        language=view.language, title=title, key=key, extra_rows=extra_rows, notes=list(notes), **controls,
    )


# --- Index ------------------------------------------------------------------


def index_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    blocks: list[Block] = []
    for name, result in outcome.result.items():
        table = result.table()
        blocks.append(frame_table(table, key=f"index_{name}", language=view.language,
                                  title=f"{label('title_index_weights', view.language)}: {name}",
                                  notes=[f"n = {result.n_rows}; shift A = {result.shift:g}; pooling = {result.pooling}"]))
        weights = table.reset_index()[["indicator", "dimension", "weight"]]
        blocks.append(C.index_weights_chart(weights, language=view.language, key=f"index_weights_{name}"))
        if weights["dimension"].astype(str).str.len().gt(0).any():
            blocks.append(C.dimension_weights_chart(weights, language=view.language, key=f"dimension_weights_{name}"))
    outcome_name = study.settings.outcome
    if outcome_name in study.data.columns:
        blocks.append(trend_block(study, outcome_name, view))
    return blocks


def trend_block(study: Any, outcome_name: str, view: View) -> C.ChartSpec:
    data = study.data
    from xlcbec.core.panel import FIRST_TREAT

    ever = data[FIRST_TREAT].notna() & (data[FIRST_TREAT] <= max(study.panel.periods))
    means = data.groupby([ever.rename("treated"), data[study.time]])[outcome_name].mean().unstack(0)
    periods = list(means.index)
    treated = means[True] if True in means.columns else pd.Series(np.nan, index=means.index)
    never = means[False] if False in means.columns else pd.Series(np.nan, index=means.index)
    return C.trend_chart(periods, treated.to_numpy(), never.to_numpy(), outcome_label=label(outcome_name, view.language),
                         language=view.language)


# --- Descriptives -------------------------------------------------------------


def descriptives_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    table = outcome.result.copy()
    table.index = [label(str(i), view.language) for i in table.index]
    table.index.name = "variable"
    return [frame_table(table, key="descriptives", title=label("title_descriptives", view.language),
                        language=view.language, number_formats={"N": "0"})]


# --- Baseline -------------------------------------------------------------------


def _controls_left_out(result: Any, view: View) -> list[str]:
    """A short note when default controls the Panel lacks were left out (the Log has the full warning)."""
    left_out = [c for c in view.controls if c not in result.controls]
    if not left_out:
        return []
    used = ", ".join(result.controls) or view.zh("none", "无")
    missing = ", ".join(left_out)
    return [view.zh(f"Controls used: {used} ({missing}: not a Panel column).",
                    f"所用控制变量：{used}（{missing} 不是 Panel 中的列）。")]


def baseline_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    result = outcome.result
    dependent = label(study.settings.outcome, view.language)
    columns = [(dependent, fit) for fit in result.models.values()]
    flags = [name != "no_controls" for name in result.models]
    notes = [view.zh("Column (3) excludes the municipalities.", "第（3）列剔除直辖市样本。")] if "excl_municipalities" in result.models else []
    notes += list(result.notes) + _controls_left_out(result, view)
    main = result.main
    # Collinear controls dropped, rows dropped (missing values, singletons): said under the table too.
    notes += [w for w in main.notes if w not in notes]
    if main.rows is not None and main.rows.dropped:
        notes.append(main.rows.describe())
    return [_regression(view, columns, key="baseline", title=label("title_baseline", view.language),
                        terms=[result.treatment], controls_flags=flags, notes=notes)]


# --- Event study ----------------------------------------------------------------


def event_study_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    result = outcome.result
    table = result.table.set_index("r")[["coef", "std_error", "tstat", "pvalue", "ci_low", "ci_high", "observations"]]
    test = result.pretrend
    note = view.zh(
        f"Joint test that all pre-period coefficients are zero: F({test.df_num}, {test.df_denom}) = {test.statistic:.3f}, p = {test.pvalue:.4f}. "
        f"Reference period r = {result.reference} omitted; end points {'binned' if result.binned else 'dropped'}.",
        f"事前系数联合为零检验：F({test.df_num}, {test.df_denom}) = {test.statistic:.3f}，p = {test.pvalue:.4f}。基期 r = {result.reference} 已省略。",
    )
    tbl = frame_table(table, key="event_study", title=label("title_event_study", view.language), language=view.language,
                      index_label="r", number_formats={"observations": "0", "pvalue": "0.0000"},
                      notes=[note, *view.se_notes(result.regression), *result.notes])
    chart = C.event_study_chart(result.table["r"].tolist(), result.table["coef"].tolist(),
                                result.table["ci_low"].tolist(), result.table["ci_high"].tolist(),
                                reference=result.reference, language=view.language)
    return [tbl, *_controls_table(result.regression, result.controls, view, key="event_study_controls"), chart]


def _controls_table(fit: Any, controls: Sequence[str], view: View, *, key: str) -> list[Block]:
    """A frame table's companion: the controls' coefficients (show_controls = yes) or the Yes row (no)."""
    if not controls:
        return []
    if not view.show_controls:
        row = pd.DataFrame({label("control_variables", view.language): [label("yes", view.language)]},
                           index=[label("controls_block", view.language)])
        return [frame_table(row, key=key, language=view.language)]
    ci = fit.conf_int()
    table = pd.DataFrame({"coef": fit.params[list(controls)], "std_error": fit.std_errors[list(controls)],
                          "tstat": fit.tstats[list(controls)], "pvalue": fit.pvalues[list(controls)],
                          "ci_low": ci.loc[list(controls), "lower"], "ci_high": ci.loc[list(controls), "upper"]})
    table.index = [label(str(c), view.language) for c in controls]
    return [frame_table(table, key=key, title=label("controls_block", view.language), language=view.language,
                        index_label=label("variable", view.language), number_formats={"pvalue": "0.0000"})]


# --- PSM ----------------------------------------------------------------------------


def psm_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    m = r.matching
    blocks: list[Block] = []
    balance = r.balance.table.reset_index()
    balance.index = [f"{row.covariate} ({row.sample})" if hasattr(row, "covariate") else str(i)
                     for i, row in zip(balance.index, balance.itertuples())]
    balance = balance.drop(columns=[c for c in ("covariate", "sample") if c in balance.columns])
    blocks.append(frame_table(balance, key="psm_balance", title=label("title_psm_balance", view.language),
                              language=view.language, index_label=label("variable", view.language),
                              notes=[view.zh("%bias uses the unmatched variances in both rows (pstest).",
                                             "标准化偏差在匹配前后均使用匹配前方差（pstest）。")]))
    blocks.append(frame_table(r.balance.summary, key="psm_summary", language=view.language,
                              title=view.zh("Score model before and after matching", "匹配前后倾向得分模型"),
                              number_formats={"nobs": "0"}))
    t = r.att / r.se if r.se else math.nan
    counts = {"treated_on": [m.n_treated_on], "treated_off": [m.n_treated_off],
              "controls_on": [m.n_control_on], "controls_off": [m.n_control_off]}
    if m.atu is not None and m.ate is not None:  # psm_estimand = ate: psmatch2's ATT, ATU and ATE rows
        columns: dict[str, list[Any]] = {"estimate": [r.att, m.atu, m.ate], "se": [r.se, math.nan, math.nan],
                                         "t": [t, math.nan, math.nan]}
        if r.bootstrap is not None:
            columns["bootstrap_se"] = [r.bootstrap.se, r.bootstrap.se_atu, r.bootstrap.se_ate]
        blank = [math.nan, math.nan]
        att = pd.DataFrame({**columns, **{k: v + blank for k, v in counts.items()}},
                           index=[label(term, view.language) for term in ("ATT", "ATU", "ATE")])
    else:
        columns = {"ATT": [r.att], "se": [r.se], "t": [t]}
        if r.bootstrap is not None:  # bootstrap_reps = 0: no bootstrap column at all
            columns["bootstrap_se"] = [r.bootstrap.se]
        att = pd.DataFrame({**columns, **counts}, index=[label(r.outcome, view.language)])
    ate_note = [view.zh("ate (psmatch2): the untreated are matched to the treated too; ATE = (ATT x treated on "
                         "support + ATU x untreated on support) / all on support. psmatch2 prints no SE for the ATU "
                         "and ATE; the bootstrap SE is shown.",
                         "ate（psmatch2）：控制组也与处理组匹配；ATE =（ATT×支撑域内处理组数 + ATU×支撑域内控制组数）/"
                         "支撑域内总数。psmatch2 不报告 ATU 与 ATE 的标准误，此处给出自助法标准误。")] if m.atu is not None else []
    title = label("title_psm_effects" if m.atu is not None else "title_psm_att", view.language)
    blocks.append(frame_table(att, key="psm_att", title=title, language=view.language,
                              notes=[m.describe(), *([r.bootstrap.describe()] if r.bootstrap is not None else []),
                                     *ate_note],
                              number_formats={c: "0" for c in ("treated_on", "treated_off", "controls_on", "controls_off")}))
    did = [(view.zh("Weighted", "加权"), r.did_weighted), (view.zh("Common support", "共同支撑"), r.did_support)]
    did = [(name, fit) for name, fit in did if fit is not None]
    if did:
        blocks.append(_regression(view, did, key="psm_did", title=label("title_psm_did", view.language),
                                  terms=[r.treatment], controls_flags=[bool(r.controls)] * len(did)))
    dens = r.densities.frame
    before, after = C.psm_density_charts(dens["score"], dens["treated_unmatched"], dens["control_unmatched"],
                                         dens["treated_matched"], dens["control_matched"], language=view.language)
    return blocks + [before, after]


# --- Heterogeneity ------------------------------------------------------------------


def heterogeneity_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    blocks: list[Block] = []
    by_group: dict[str, list[tuple[str, Any]]] = {}
    for name, est in r.estimates.items():
        by_group.setdefault(est.group, []).append((str(est.value), est.interaction))
    for group, columns in by_group.items():
        blocks.append(_regression(view, columns, key=f"heterogeneity_{group}",
                                  title=f"{label('title_heterogeneity', view.language)}: {label(group, view.language)}",
                                  terms=["GxCBEC"], controls_flags=[bool(view.controls)] * len(columns)))
    blocks.append(frame_table(r.table.set_index(["group", "value"]).reset_index(drop=True).set_index(
        r.table["group"].astype(str) + "=" + r.table["value"].astype(str)), key="heterogeneity_summary",
        title=view.zh("Interaction, split-sample and equal-effect test", "交互项、分样本与效应相等检验"),
        language=view.language, notes=list(r.notes), number_formats={"nobs": "0", "units": "0", "treated_units": "0",
                                                                     "split_nobs": "0"}))
    return blocks


# --- Mediation ----------------------------------------------------------------------


def mediation_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    blocks: list[Block] = []
    for name, res in r.mediators.items():
        tests = res.tests
        extra = [
            (label("sobel_z", view.language), [Cell(None), Cell(tests.sobel_z, "0.000", "number")]),
            (label("indirect_effect", view.language), [Cell(None), Cell(res.indirect, "0.0000", "number")]),
        ]
        columns = [(label(name, view.language), res.step1), (label(study.settings.outcome, view.language), res.step2),
                   (view.zh("Total", "总效应"), res.total)]
        blocks.append(_regression(view, columns, key=f"mediation_{name}",
                                  title=f"{label('title_mediation', view.language)}: {label(name, view.language)}",
                                  terms=[res.treatment, name], controls_flags=[bool(view.controls)] * 3,
                                  extra_rows=[(lab, cells + [Cell(None)]) for lab, cells in extra]))
    table = r.table
    bootstrapped = "boot_low" in table.columns
    blocks.append(frame_table(table, key="mediation_summary", language=view.language,
                              title=view.zh("Indirect effects: Sobel, Aroian, Goodman and bootstrap"
                                            if bootstrapped else "Indirect effects: Sobel, Aroian and Goodman",
                                            "间接效应：Sobel、Aroian、Goodman 检验与自助法"
                                            if bootstrapped else "间接效应：Sobel、Aroian、Goodman 检验"),
                              notes=list(r.notes), number_formats={"nobs": "0"}))
    return blocks


# --- Policy text --------------------------------------------------------------------


def policy_text_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    docs = r.documents.copy()
    docs.index = range(1, len(docs) + 1)
    blocks: list[Block] = [
        frame_table(docs, key="policy_documents", title=view.zh("Policy documents", "政策文件"), language=view.language,
                    index_label="#", number_formats={"year": "0", "tokens": "0"}),
        frame_table(r.themes.set_index("theme"), key="policy_themes", title=label("title_policy_themes", view.language),
                    language=view.language, number_formats={"occurrences": "0", "total_tokens": "0", "share_percent": "0.00"}),
        frame_table(r.keywords.set_index("keyword"), key="policy_keywords", title=label("title_policy_keywords", view.language),
                    language=view.language, number_formats={"count": "0", "documents": "0"}),
    ]
    by_year = r.themes_by_year.pivot_table(index="year", columns="theme", values="share_percent")
    blocks.append(frame_table(by_year, key="policy_themes_by_year", language=view.language,
                              title=view.zh("Theme shares by year (%)", "分年度主题占比（%）"),
                              default_digits=2))
    top = r.top_words(20)
    blocks.append(frame_table(top.set_index(top.columns[0]) if not isinstance(top, pd.Series) else top.to_frame("count"),
                              key="policy_top_words", title=view.zh("High-frequency words", "高频词"),
                              language=view.language, number_formats={"count": "0"}))
    return blocks


# --- Robustness ---------------------------------------------------------------------


def placebo_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    table = pd.DataFrame({"actual": [r.actual], "placebo_mean": [r.mean], "placebo_sd": [r.sd], "p_value": [r.p_value],
                          "reps": [r.reps], "seed": [r.seed]}, index=["CBEC"])
    note = view.zh("Two-sided permutation p = (1 + #{|placebo| >= |actual|}) / (reps + 1).",
                   "双侧置换检验 p = (1 + #{|安慰剂| >= |真实|}) / (次数 + 1)。")
    return [frame_table(table, key="placebo", title=label("title_placebo", view.language), language=view.language,
                        number_formats={"reps": "0", "seed": "0"}, notes=[note]),
            C.placebo_histogram_chart(r.coefficients, r.actual, language=view.language)]


def bacon_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    note = view.zh(f"TWFE coefficient without controls = {r.twfe_coefficient:.6f}; weights sum to {r.comparisons['weight'].sum():.6f}.",
                   f"无控制变量 TWFE 系数 = {r.twfe_coefficient:.6f}；权重之和 = {r.comparisons['weight'].sum():.6f}。")
    return [frame_table(r.by_type, key="bacon", title=label("title_bacon", view.language), language=view.language,
                        notes=[note, *r.notes]),
            frame_table(r.comparisons, key="bacon_comparisons", index=False, language=view.language,
                        title=view.zh("Every 2x2 comparison", "全部 2x2 比较"))]


def cs_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    blocks: list[Block] = []
    for control_group, r in outcome.result.items():
        title = f"{label('title_cs', view.language)} ({view.zh('control', '对照组')}: {control_group})"
        rows = []
        for kind in ("simple", "group", "dynamic", "calendar"):
            agg = getattr(r, kind, None)
            if agg is not None:
                rows.append((kind, agg.overall_att, agg.overall_se))
        summary = pd.DataFrame(rows, columns=["aggregation", "att", "se"]).set_index("aggregation")
        notes = [f"pre-trend Wald p = {r.pretrend.pvalue:.4f}" if getattr(r, "pretrend", None) is not None else "",
                 view.zh("Analytic influence-function standard errors, clustered by unit as R did does; "
                         "Settings 'cluster' does not apply to Callaway & Sant'Anna.",
                         "标准误为解析影响函数标准误，按个体聚类（同 R did）；Settings 中的 cluster 不适用于 Callaway & Sant'Anna。")]
        blocks.append(frame_table(summary, key=f"cs_{control_group}", title=title, language=view.language, notes=notes))
        blocks.append(frame_table(r.dynamic.detail, key=f"cs_dynamic_{control_group}", language=view.language, index=False,
                                  title=view.zh("Event-time aggregation", "按事件时间汇总")))
        blocks.append(frame_table(r.group_time, key=f"cs_gt_{control_group}", language=view.language, index=False,
                                  title="ATT(g,t)"))
    return blocks


def sun_abraham_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    table = r.table.set_index("r").drop(columns="term")
    note = view.zh(f"Observation-weighted ATT = {r.att:.6f} (SE {r.att_se:.6f}).",
                   f"按观测值加权的 ATT = {r.att:.6f}（标准误 {r.att_se:.6f}）。")
    return [frame_table(table, key="sun_abraham", title=label("title_sun_abraham", view.language), language=view.language,
                        index_label="e", notes=[note, *view.se_notes(r.regression)[1:], *r.notes])]


def comparison_chart(outcomes: Mapping[str, Any], view: View) -> C.ChartSpec | None:
    """TWFE, Callaway-Sant'Anna and Sun-Abraham event-time coefficients side by side."""
    series: list[C.ChartSeries] = []
    offsets = {"event_study": -0.15, "cs": 0.0, "sun_abraham": 0.15}
    if "event_study" in outcomes:
        t = outcomes["event_study"].result.table
        series.append(C.ChartSeries("TWFE", tuple(float(r) + offsets["event_study"] for r in t["r"]),
                                    C._floats(t["coef"].to_numpy()), color=C.PALETTE[0]))
    if "cs" in outcomes and "never" in outcomes["cs"].result:
        d = outcomes["cs"].result["never"].dynamic.detail
        xcol = d.columns[0]
        series.append(C.ChartSeries("Callaway-Sant'Anna", tuple(float(e) for e in d[xcol]),
                                    C._floats(d["att"].to_numpy()), color=C.PALETTE[1]))
    if "sun_abraham" in outcomes:
        t = outcomes["sun_abraham"].result.table
        series.append(C.ChartSeries("Sun-Abraham", tuple(float(r) + offsets["sun_abraham"] for r in t["r"]),
                                    C._floats(t["coef"].to_numpy()), color=C.PALETTE[2]))
    if len(series) < 2:
        return None
    return C.ChartSpec(
        key="event_time_comparison", kind="scatter",
        title=view.zh("Event-time effects: TWFE, Callaway-Sant'Anna, Sun-Abraham",
                      "事件时间效应比较：TWFE、Callaway-Sant'Anna、Sun-Abraham"),
        x_title=view.zh("Years relative to the pilot", "相对设立年份"), y_title=view.zh("Effect", "效应"),
        series=tuple(series), reference_lines=(C.ReferenceLine("y", 0.0), C.ReferenceLine("x", -0.5)),
        x_number_format="0", language=view.language,
    )


BUILDERS: dict[str, Callable[[Any, View, Any], list[Block]]] = {
    "index": index_blocks,
    "descriptives": descriptives_blocks,
    "baseline": baseline_blocks,
    "event_study": event_study_blocks,
    "psm": psm_blocks,
    "heterogeneity": heterogeneity_blocks,
    "mediation": mediation_blocks,
    "policy_text": policy_text_blocks,
    "placebo": placebo_blocks,
    "bacon": bacon_blocks,
    "cs": cs_blocks,
    "sun_abraham": sun_abraham_blocks,
}
