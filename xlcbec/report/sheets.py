"""What each result sheet shows: analysis outcomes -> ordered table and chart specs.

One builder per analysis, each returning the blocks (tables and charts) of
its part of a result sheet; :mod:`xlcbec.jobs` lays them out and a backend
draws them.  Tables follow the paper's layout (docs/methods.md section 11).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Union

import numpy as np
import pandas as pd

from xlcbec.report import charts as C
from xlcbec.report.labels import label, rows_note, se_note, singletons_note, stars_note, translate
from xlcbec.report.tables import (
    Cell,
    TableSpec,
    frame_table,
    number_cell,
    regression_table,
    starred_cell,
    statistic_cell,
    whole_numbers_plain,
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

    def notes(self, texts: Sequence[str]) -> list[str]:
        """Notes from the estimators (English in the core) in the report's language."""
        return [translate(t, self.language) for t in texts if t]

    def label(self, key: str) -> str:
        return label(key, self.language)

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
                extra_rows: Sequence[tuple[str, Sequence[Cell]]] = (),
                term_labels: Mapping[str, str] | None = None,
                column_terms: Sequence[Mapping[str, str]] | None = None) -> TableSpec:
    """The paper's regression layout; the star and standard-error notes come from the table builder.

    The controls follow Settings ``show_controls``: a Controls block listing
    each control's coefficient, or the paper's ``Control variables: Yes/No`` row.
    """
    controls: dict[str, Any] = {"controls_row": controls_flags}
    if controls_flags is not None:
        controls = view.control_layout([fit for _, fit in columns], terms, controls_flags)
        # the heterogeneity rows name a column's interaction term differently: not a control
        if column_terms is not None and "control_terms" in controls:
            own = {t for mapping in column_terms for t in mapping.values()}
            controls["control_terms"] = [t for t in controls["control_terms"] if t not in own] or None
            if controls["control_terms"] is None:
                controls = {"controls_row": controls_flags}
    return regression_table(
        columns, terms=terms, stat=view.stat, stars=view.stars,  # type: ignore[arg-type]
        language=view.language, title=title, key=key, extra_rows=extra_rows, notes=list(notes),
        term_labels=term_labels, column_terms=column_terms, **controls,
    )


def _rows_used(view: View, fits: Sequence[Any]) -> list[str]:
    """One note giving each column's rows used out of rows read, when any column dropped rows."""
    accounts = [getattr(fit, "rows", None) for fit in fits]
    if not any(a is not None and a.used != a.read for a in accounts):
        return []
    return [rows_note([(j, a) for j, a in enumerate(accounts, start=1) if a is not None], view.language)]


# --- Index ------------------------------------------------------------------


def index_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    blocks: list[Block] = []
    for name, result in outcome.result.items():
        table = result.table()
        blocks.append(frame_table(table, key=f"index_{name}", language=view.language,
                                  title=view.zh(f"{label('title_index_weights', 'en')}: {label(name, 'en')}",
                                                f"{label(name, 'zh')}：{label('title_index_weights', 'zh')}"),
                                  notes=[view.zh(f"Rows used n = {result.n_rows}; shift A = {result.shift:g}; "
                                                 f"weights from {label(str(result.pooling), 'en')}.",
                                                 f"使用行数 n = {result.n_rows}；平移量 A = {result.shift:g}；"
                                                 f"权重计算方式：{label(str(result.pooling), 'zh')}。")]))
        weights = table.reset_index()[["indicator", "dimension", "weight"]]
        blocks.append(C.index_weights_chart(weights, language=view.language, key=f"index_weights_{name}", index_name=name))
        if weights["dimension"].astype(str).str.len().gt(0).any():
            blocks.append(C.dimension_weights_chart(weights, language=view.language, key=f"dimension_weights_{name}",
                                                    index_name=name))
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
    spec = frame_table(table, key="descriptives", title=label("title_descriptives", view.language),
                       language=view.language, number_formats={"N": "0"})
    return [whole_numbers_plain(spec)]


# --- Baseline -------------------------------------------------------------------


def _controls_left_out(result: Any, view: View) -> list[str]:
    """A short note when default controls the Panel lacks were left out (the Log has the full warning)."""
    left_out = [c for c in view.controls if c not in result.controls]
    if not left_out:
        return []
    used = ", ".join(result.controls) or view.zh("none", "无")
    missing = ", ".join(left_out)
    return [view.zh(f"Controls used: {used} ({missing}: not a Panel column).",
                    f"所用控制变量：{used}（{missing} 不是面板数据（Panel）中的列）。")]


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
    notes = view.notes(notes) + _rows_used(view, list(result.models.values()))
    return [_regression(view, columns, key="baseline", title=label("title_baseline", view.language),
                        terms=[result.treatment], controls_flags=flags, notes=notes)]


# --- Event study ----------------------------------------------------------------


def event_study_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    result = outcome.result
    table = result.table.set_index("r")[["coef", "std_error", "tstat", "pvalue", "ci_low", "ci_high", "observations"]]
    test = result.pretrend
    binned = view.zh("binned", "合并") if result.binned else view.zh("dropped", "删除")
    note = view.zh(
        f"Joint test that all pre-period coefficients are zero: F({test.df_num}, {test.df_denom}) = {test.statistic:.3f}, p = {test.pvalue:.4f}. "
        f"Reference period r = {result.reference} omitted; end points {binned}.",
        f"事前系数联合为零检验：F({test.df_num}, {test.df_denom}) = {test.statistic:.3f}，p = {test.pvalue:.4f}。"
        f"基期 r = {result.reference} 已省略；窗口两端{binned}。",
    )
    tbl = frame_table(table, key="event_study", title=label("title_event_study", view.language), language=view.language,
                      number_formats={"observations": "0", "pvalue": "0.0000"},
                      notes=[note, *view.se_notes(result.regression), *view.notes(result.notes)])
    chart = C.event_study_chart(result.table["r"].tolist(), result.table["coef"].tolist(),
                                result.table["ci_low"].tolist(), result.table["ci_high"].tolist(),
                                reference=result.reference, language=view.language)
    return [tbl, chart, *_controls_table(result.regression, result.controls, view, key="event_study_controls")]


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


def psm_att_table(r: Any, view: View) -> TableSpec:
    """The paper's Table 6: ATT with stars and its statistic in parentheses, then the counts on support."""
    m = r.matching
    t = r.att / r.se if r.se and math.isfinite(r.se) else math.nan
    p = float(2 * stats_norm_sf(abs(t))) if math.isfinite(t) else None
    shown = t if view.stat == "t" else r.se
    k = 1
    body: list[tuple[Cell, ...]] = [
        (Cell(label("ATT", view.language), None, "label"), starred_cell(r.att, p, view.stars)),
        (Cell("", None, "label"), statistic_cell(shown, digits=2 if view.stat == "t" else 4)),
    ]
    if r.bootstrap is not None:  # bootstrap_reps = 0: no bootstrap row at all
        body.append((Cell(label("bootstrap_se", view.language), None, "label"), number_cell(r.bootstrap.se)))
    ate_note: list[str] = []
    if getattr(m, "atu", None) is not None and getattr(m, "ate", None) is not None:
        # psm_estimand = ate: psmatch2 prints no SE for the ATU and ATE; their stars and statistic use the bootstrap SE.
        for term, value, boot_se in (("ATU", m.atu, getattr(r.bootstrap, "se_atu", None)),
                                     ("ATE", m.ate, getattr(r.bootstrap, "se_ate", None))):
            z = value / boot_se if boot_se else math.nan
            p_boot = float(2 * stats_norm_sf(abs(z))) if math.isfinite(z) else None
            body.append((Cell(label(term, view.language), None, "label"), starred_cell(value, p_boot, view.stars)))
            body.append((Cell("", None, "label"), statistic_cell(z if view.stat == "t" else boot_se,
                                                                 digits=2 if view.stat == "t" else 4)))
        ate_note = [view.zh("ate (psmatch2): the untreated are matched to the treated too; ATE = (ATT x treated on "
                            "support + ATU x untreated on support) / all on support. psmatch2 prints no SE for the ATU "
                            "and ATE: their statistic uses the bootstrap SE.",
                            "ate（psmatch2）：控制组也与处理组匹配；ATE =（ATT×支撑域内处理组数 + ATU×支撑域内控制组数）/"
                            "支撑域内总数。psmatch2 不报告 ATU 与 ATE 的标准误，其统计量使用自助法标准误。")]
    rule = len(body) - 1
    counts = [("treated_on", m.n_treated_on), ("untreated_on", m.n_control_on), ("total_on", m.n_treated_on + m.n_control_on),
              ("treated_off", m.n_treated_off), ("controls_off", m.n_control_off)]
    for key, n in counts:
        body.append((Cell(label(key, view.language), None, "label"), Cell(int(n), "0", "number")))
    notes = [stars_note(view.stars, view.stat, view.language),
             view.zh("Standard error: psmatch2's analytical SE (ignores that the score is estimated); p from N(0,1).",
                     "标准误为 psmatch2 的解析标准误（未考虑倾向得分为估计值）；p 值基于标准正态分布。"),
             *view.notes([m.describe(), *([r.bootstrap.describe()] if r.bootstrap is not None else [])]), *ate_note]
    return TableSpec(
        key="psm_att", title=label("title_psm_effects" if ate_note else "title_psm_att", view.language),
        header=((Cell(label("variables", view.language), None, "header"), Cell(label(r.outcome, view.language), None, "header")),),
        body=tuple(body), notes=tuple(notes), column_widths=(30.0,) + (16.0,) * k, rules_after=(rule,),
    )


def stats_norm_sf(z: float) -> float:
    """Upper tail of N(0,1): the core's one definition (p from N(0,1), as psmatch2 and R did)."""
    from xlcbec.core.distributions import norm_sf

    return float(norm_sf(z))


def psm_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    blocks: list[Block] = []
    balance = r.balance.table.reset_index()
    if "covariate" in balance.columns:
        balance.index = [f"{label(str(row.covariate), view.language)} ({label(str(row.sample), view.language)})"
                         for row in balance.itertuples()]
    balance = balance.drop(columns=[c for c in ("covariate", "sample") if c in balance.columns])
    blocks.append(frame_table(balance, key="psm_balance", title=label("title_psm_balance", view.language),
                              language=view.language, index_label=label("variable", view.language),
                              number_formats={"p": "0.0000"},
                              notes=[view.zh("%bias uses the unmatched variances in both rows (pstest).",
                                             "标准化偏差在匹配前后均使用匹配前方差（pstest）。")]))
    blocks.append(frame_table(r.balance.summary, key="psm_summary", language=view.language,
                              title=view.zh("Score model before and after matching", "匹配前后倾向得分模型"),
                              number_formats={"nobs": "0", "p_chi2": "0.0000"}))
    blocks.append(psm_att_table(r, view))
    did = [(view.label("weighted"), r.did_weighted), (view.label("common_support"), r.did_support)]
    did = [(name, fit) for name, fit in did if fit is not None]
    if did:
        blocks.append(_regression(view, did, key="psm_did", title=label("title_psm_did", view.language),
                                  terms=[r.treatment], controls_flags=[bool(r.controls)] * len(did),
                                  notes=_rows_used(view, [fit for _, fit in did])))
    dens = r.densities.frame
    before, after = C.psm_density_charts(dens["score"], dens["treated_unmatched"], dens["control_unmatched"],
                                         dens["treated_matched"], dens["control_matched"], language=view.language)
    return blocks + [before, after]


# --- Heterogeneity ------------------------------------------------------------------


def _group_label(group: str, value: str, view: View, suffix: str) -> str:
    """The paper's label of a subgroup (``coastal=1`` -> 'Coastal cities'; suffix ':x' -> 'Coast×CBEC')."""
    key = f"{group}={value}{suffix}"
    text = label(key, view.language)
    if text != key:
        return text
    base = f"{label(group, view.language)}={value}"
    return f"{base}×CBEC" if suffix == ":x" else base


def _groups_title(group: str, view: View) -> str:
    key = f"groups:{group}"
    text = label(key, view.language)
    return label(group, view.language) if text == key else text


def heterogeneity_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    blocks: list[Block] = []
    by_group: dict[str, list[tuple[str, Any]]] = {}
    for name, est in r.estimates.items():
        by_group.setdefault(est.group, []).append((str(est.value), est.interaction))
    for group, columns in by_group.items():
        rows = [f"{group}={value}:x" for value, _ in columns]
        blocks.append(_regression(
            view, [(_group_label(group, value, view, ""), fit) for value, fit in columns],
            key=f"heterogeneity_{group}",
            title=f"{label('title_heterogeneity', view.language)}{view.zh(': ', '：')}{_groups_title(group, view)}",
            terms=rows, term_labels={row: _group_label(group, value, view, ":x") for row, (value, _) in zip(rows, columns)},
            column_terms=[{row: "GxCBEC"} for row in rows],
            controls_flags=[bool(view.controls)] * len(columns)))
    table = r.table.copy()
    table.index = [_group_label(str(g), str(v), view, "") for g, v in zip(table["group"], table["value"])]
    table.index.name = "value"
    interaction = [c for c in ("coef", "std_error", "tstat", "pvalue", "nobs", "units", "treated_units") if c in table.columns]
    split = [c for c in ("split_coef", "split_std_error", "split_nobs", "diff", "equality_F", "equality_p") if c in table.columns]
    integer = {"nobs": "0", "units": "0", "treated_units": "0", "split_nobs": "0", "pvalue": "0.0000", "equality_p": "0.0000"}
    blocks.append(frame_table(table[interaction], key="heterogeneity_summary", language=view.language,
                              title=view.zh("Group×CBEC interaction (full sample)", "分组×CBEC 交互项（全样本）"),
                              number_formats=integer, notes=view.notes(r.notes)))
    if split:
        blocks.append(frame_table(table[split], key="heterogeneity_split", language=view.language,
                                  title=view.zh("Split samples and the test of equal effects",
                                                "分样本回归与效应相等检验"),
                                  number_formats=integer,
                                  notes=[view.zh("Difference: the group's effect minus the rest's; F and p: Wald test that they are equal.",
                                                 "差值为该组效应减去其余样本效应；F 与 p 为二者相等的 Wald 检验。")]))
    return blocks


# --- Mediation ----------------------------------------------------------------------


def star_column(table: TableSpec, column: int, p_values: Sequence[Any], stars: tuple[float, float, float],
                digits: int = 3) -> TableSpec:
    """``table`` with the numbers of body column ``column`` starred by ``p_values`` (one per body row)."""
    body = []
    for row, p in zip(table.body, p_values):
        cells = list(row)
        if cells[column].is_number:
            cells[column] = starred_cell(cells[column].value, p, stars, digits=digits)
        body.append(tuple(cells))
    return replace(table, body=tuple(body))


def mediation_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    blocks: list[Block] = []
    for name, res in r.mediators.items():
        tests = res.tests
        extra = [
            (label("sobel_z", view.language), [Cell(None), starred_cell(tests.sobel_z, tests.sobel_p, view.stars, digits=3)]),
            (label("indirect_effect", view.language), [Cell(None), Cell(res.indirect, "0.0000", "number")]),
        ]
        columns = [(label(name, view.language), res.step1), (label(study.settings.outcome, view.language), res.step2),
                   (view.zh("Total effect", "总效应"), res.total)]
        blocks.append(_regression(view, columns, key=f"mediation_{name}",
                                  title=f"{label('title_mediation', view.language)}{view.zh(': ', '：')}{label(name, view.language)}",
                                  terms=[res.treatment, name], controls_flags=[bool(view.controls)] * 3,
                                  extra_rows=[(lab, cells + [Cell(None)]) for lab, cells in extra]))
    table = r.table.copy()
    table.index = [label(str(m), view.language) for m in table.index]
    table.index.name = "mediator"
    paths = [c for c in ("a", "se_a", "b", "se_b", "c_prime", "c", "nobs") if c in table.columns]
    indirect = [c for c in ("indirect", "sobel_z", "sobel_p", "aroian_z", "goodman_z", "boot_low", "boot_high",
                            "proportion_mediated") if c in table.columns]
    blocks.append(frame_table(table[paths], key="mediation_paths", language=view.language,
                              title=view.zh("Mediation paths: a, b, direct effect c' and total effect c",
                                            "中介路径：a、b、直接效应 c' 与总效应 c"),
                              number_formats={"nobs": "0"}))
    summary = frame_table(table[indirect], key="mediation_summary", language=view.language,
                          title=view.zh("Indirect effects: Sobel, Aroian, Goodman and bootstrap"
                                        if "boot_low" in indirect else "Indirect effects: Sobel, Aroian and Goodman",
                                        "间接效应：Sobel、Aroian、Goodman 检验与自助法"
                                        if "boot_low" in indirect else "间接效应：Sobel、Aroian、Goodman 检验"),
                          number_formats={"proportion_mediated": "0.0%", "sobel_p": "0.0000"},
                          notes=[stars_note(view.stars, None, view.language), *view.notes(r.notes)])
    if "sobel_z" in indirect and "sobel_p" in indirect:
        summary = star_column(summary, 1 + indirect.index("sobel_z"), list(table["sobel_p"]), view.stars)
    blocks.append(summary)
    return blocks


# --- Policy text --------------------------------------------------------------------


def policy_text_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    docs = r.documents.copy()
    docs.index = pd.RangeIndex(1, len(docs) + 1)
    keywords = r.keywords.copy()
    joiner = view.zh(", ", "、")
    themes = r.themes.set_index("theme")
    themes["keywords"] = [joiner.join(str(k) for k in keywords.loc[keywords["theme"] == theme, "keyword"])
                          for theme in themes.index]
    blocks: list[Block] = [
        frame_table(docs, key="policy_documents", title=view.zh("Policy documents", "政策文件"), language=view.language,
                    index_label="#", number_formats={"year": "0", "tokens": "0"}),
        frame_table(themes, key="policy_themes", title=label("title_policy_themes", view.language),
                    language=view.language, number_formats={"occurrences": "0", "total_tokens": "0", "share_percent": "0.00"}),
        frame_table(keywords.set_index("keyword"), key="policy_keywords", title=label("title_policy_keywords", view.language),
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


def _never_as_word(frame: pd.DataFrame, column: str, view: View) -> pd.DataFrame:
    """A cohort column where never-treated units are coded as infinity: the word instead, whole years as integers."""
    out = frame.copy()
    values = pd.to_numeric(out[column], errors="coerce")
    out[column] = [label("never", view.language) if not np.isfinite(v) else int(v) if float(v).is_integer() else float(v)
                   for v in values]
    return out


def bacon_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    note = view.zh(f"TWFE coefficient without controls = {r.twfe_coefficient:.6f}; weights sum to {r.comparisons['weight'].sum():.6f}.",
                   f"无控制变量 TWFE 系数 = {r.twfe_coefficient:.6f}；权重之和 = {r.comparisons['weight'].sum():.6f}。")
    comparisons = _never_as_word(r.comparisons, "control", view) if "control" in r.comparisons.columns else r.comparisons
    return [frame_table(r.by_type, key="bacon", title=label("title_bacon", view.language), language=view.language,
                        notes=[note, *view.notes(r.notes)]),
            frame_table(comparisons, key="bacon_comparisons", index=False, language=view.language,
                        title=view.zh("Every 2x2 comparison", "全部 2x2 比较"))]


CS_AGGREGATIONS = ("simple", "group", "dynamic", "calendar")


def cs_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    blocks: list[Block] = []
    for control_group, r in outcome.result.items():
        title = f"{label('title_cs', view.language)}{view.zh(' (control group: ', '（对照组：')}{label(control_group, view.language)}{view.zh(')', '）')}"
        rows = []
        for kind in CS_AGGREGATIONS:
            agg = getattr(r, kind, None)
            if agg is not None:
                rows.append((f"cs_{kind}", agg.overall_att, agg.overall_se))
        summary = pd.DataFrame(rows, columns=["aggregation", "att", "se"]).set_index("aggregation")
        notes = []
        if getattr(r, "pretrend", None) is not None:
            test = r.pretrend
            notes.append(view.zh(
                f"Pre-trend Wald test that all {test.df} pre-period ATT(g,t) are zero: chi2({test.df}) = {test.statistic:.2f}, "
                f"p = {test.pvalue:.4f}. It differs from the EventStudy sheet's F test: it tests each cohort's "
                "short-difference ATT(g,t) against the never/not-yet-treated units without controls, while the "
                "event study tests the pooled TWFE lead coefficients with controls and fixed effects; many small, "
                "precisely estimated cells can reject where the pooled leads do not.",
                f"事前趋势 Wald 检验（全部 {test.df} 个事前 ATT(g,t) 为零）：卡方({test.df}) = {test.statistic:.2f}，"
                f"p = {test.pvalue:.4f}。它与事件研究（EventStudy）表的 F 检验不同：此处逐一检验各组别相邻期差分的 ATT(g,t)，"
                "对照组为从未/尚未处理的城市且不含控制变量；事件研究检验的是含控制变量和双向固定效应的 TWFE 事前系数。"
                "大量估计精确的小单元可能被拒绝，而合并的事前系数并不显著。"))
        notes.append(view.zh("Analytic influence-function standard errors, clustered by unit as R did does; "
                             "Settings 'cluster' does not apply to Callaway & Sant'Anna.",
                             "标准误为解析影响函数标准误，按个体聚类（同 R did）；Settings 中的 cluster 不适用于 Callaway & Sant'Anna。"))
        spec = frame_table(summary, key=f"cs_{control_group}", title=title, language=view.language,
                           notes=[stars_note(view.stars, None, view.language), *notes])
        p_values = [2 * stats_norm_sf(abs(a / s)) if s and math.isfinite(s) and s > 0 else None for a, s in zip(summary["att"], summary["se"])]
        blocks.append(star_column(spec, 1, p_values, view.stars, digits=4))
        dynamic = r.dynamic.detail.reset_index()
        blocks.append(frame_table(dynamic, key=f"cs_dynamic_{control_group}", language=view.language, index=False,
                                  title=view.zh(f"Event-time aggregation (control group: {label(control_group, 'en').lower()})",
                                                f"按事件时间汇总（对照组：{label(control_group, 'zh')}）")))
        # The cells' confidence bounds stay in Estimates; nine columns print at a readable size.
        group_time = r.group_time.drop(columns=[c for c in ("ci_low", "ci_high") if c in r.group_time.columns])
        blocks.append(frame_table(group_time, key=f"cs_gt_{control_group}", language=view.language, index=False,
                                  title=f"ATT(g,t){view.zh(' (control group: ', '（对照组：')}{label(control_group, view.language)}{view.zh(')', '）')}"))
    return blocks


def sun_abraham_blocks(outcome: Any, view: View, study: Any) -> list[Block]:
    r = outcome.result
    table = r.table.set_index("r").drop(columns="term")
    table.index.name = "event_time"
    note = view.zh(f"Observation-weighted ATT = {r.att:.6f} (SE {r.att_se:.6f}).",
                   f"按观测值加权的 ATT = {r.att:.6f}（标准误 {r.att_se:.6f}）。")
    return [frame_table(table, key="sun_abraham", title=label("title_sun_abraham", view.language), language=view.language,
                        number_formats={"pvalue": "0.0000"},
                        notes=[note, *view.se_notes(r.regression)[1:], *view.notes(r.notes)])]


def comparison_chart(outcomes: Mapping[str, Any], view: View) -> C.ChartSpec | None:
    """TWFE, Callaway-Sant'Anna and Sun-Abraham effects by event time, each with its 95% CI bars."""
    def floats(values: Any) -> tuple[float | None, ...]:
        return C._floats(np.asarray(values, dtype=float))

    estimators: list[C.EventTimeEstimates] = []
    window: tuple[int, int] | None = None
    if "event_study" in outcomes:
        t = outcomes["event_study"].result.table
        window = (int(t["r"].min()), int(t["r"].max()))
        estimators.append(C.EventTimeEstimates("TWFE", tuple(int(r) for r in t["r"]), floats(t["coef"]),
                                               floats(t["ci_low"]), floats(t["ci_high"])))
    if "cs" in outcomes and "never" in outcomes["cs"].result:
        d = outcomes["cs"].result["never"].dynamic.detail.reset_index()
        times = d.columns[0]
        estimators.append(C.EventTimeEstimates("Callaway-Sant'Anna", tuple(int(e) for e in d[times]), floats(d["att"]),
                                               floats(d["ci_low"]), floats(d["ci_high"])))
    if "sun_abraham" in outcomes:
        t = outcomes["sun_abraham"].result.table
        estimators.append(C.EventTimeEstimates("Sun-Abraham", tuple(int(r) for r in t["r"]), floats(t["coef"]),
                                               floats(t["ci_low"]), floats(t["ci_high"])))
    if len(estimators) < 2:
        return None
    return C.event_time_comparison_chart(estimators, window=window, language=view.language)


# --- Estimates and Log in the report's language ---------------------------------------


def localise_estimates(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """Estimates with its ``note`` column in ``language`` (the other columns are identifiers and numbers)."""
    if language != "zh" or "note" not in frame.columns:
        return frame
    out = frame.copy()
    out["note"] = [translate(v, language) if isinstance(v, str) else v for v in out["note"]]
    return out


def localise_log(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """The Log's sections, items and text values in ``language`` (settings keep their keys and values as typed)."""
    if language != "zh":
        return frame
    out = frame.copy()
    settings = out["section"] == "settings"
    out["item"] = [item if is_setting else translate(str(item), language) for item, is_setting in zip(out["item"], settings)]
    out["value"] = [v if is_setting or not isinstance(v, str) else translate(v, language)
                    for v, is_setting in zip(out["value"], settings)]
    out["section"] = [label(f"log_{section}", language) for section in out["section"]]
    return out


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
