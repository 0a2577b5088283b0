"""psmatch2's ``ate`` (Settings ``psm_estimand = ate``): ATT, ATU and ATE with psmatch2 4.0.12's rules.

Three routes:
1. the published Stata output of ``psmatch2 ..., kernel ate ties logit common``
   on the Lalonde/NSW experimental sample (tests/reference/psmatch2_ldw.py);
2. an independent re-implementation of the .ado's steps written here, loop by
   loop as psmatch2.ado runs them (``_Support_``, the sort, ``_Match_kernel``
   with ``_support`` changing inside the loop, ``_mktab``), compared with the
   core on several bandwidths and kernels;
3. the bootstrap's counts route against matching the expanded resample.

Tolerances:
- PUBLISHED 1e-7 relative: psmatch2 prints 9 significant digits and Stata's
  logit stops at its own convergence tolerance, so agreement beyond ~1e-8 is
  not available (the ATT agrees to 2e-9, the ATE to 8e-9).
- LOGIT 5e-6 relative: the logit is printed with 7 significant digits.
- ROUTES 1e-10 relative: the same arithmetic in another order.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.reference import psmatch2_ldw as L
from xlcbec.core.options import BootstrapOptions, MatchingOptions
from xlcbec.core.psm.bootstrap import draw_effects
from xlcbec.core.psm.matching import match_scores
from xlcbec.core.psm.pscore import fit_score
from xlcbec.core.psm.psm_did import psm_did

PUBLISHED = 1e-7
LOGIT = 5e-6
ROUTES = 1e-10


@pytest.fixture(scope="module")
def ldw(test_data) -> pd.DataFrame:
    df = pd.read_csv(test_data / "ldw_exper.csv", dtype={c: np.float32 for c in L.FLOAT32_COLUMNS})
    return df.astype({c: float for c in L.FLOAT32_COLUMNS})  # widened exactly, as Stata does


@pytest.fixture(scope="module")
def scores(ldw) -> pd.Series:
    model = fit_score(ldw, treatment=L.TREATMENT, covariates=list(L.COVARIATES), model="logit")
    return model.scores


def test_logit_equals_the_published_one(ldw):
    model = fit_score(ldw, treatment=L.TREATMENT, covariates=list(L.COVARIATES), model="logit")
    for name, value in L.LOGIT.items():
        assert model.params[name] == pytest.approx(value, rel=LOGIT)
    assert model.llf == pytest.approx(L.LOGIT_LLF, rel=LOGIT)


def test_kernel_ate_reproduces_psmatch2(ldw, scores):
    m = match_scores(scores, ldw[L.TREATMENT], ldw[L.OUTCOME], bandwidth=L.BANDWIDTH, common_support=True,
                     estimand="ate")
    assert m.att == pytest.approx(L.ATT, rel=PUBLISHED)
    assert m.se == pytest.approx(L.ATT_SE, rel=PUBLISHED)
    assert m.atu == pytest.approx(L.ATU, rel=PUBLISHED)
    assert m.ate == pytest.approx(L.ATE, rel=PUBLISHED)
    assert (m.n_control_off, m.n_control_on, m.n_treated_off, m.n_treated_on) == (
        L.UNTREATED_OFF, L.UNTREATED_ON, L.TREATED_OFF, L.TREATED_ON)
    y, on1, on0 = ldw[L.OUTCOME], m.treated & m.support, ~m.treated & m.support
    assert y[on1].mean() == pytest.approx(L.ATT_TREATED_MEAN, rel=PUBLISHED)
    assert m.matched_outcome[on1].mean() == pytest.approx(L.ATT_CONTROLS_MEAN, rel=PUBLISHED)
    assert y[on0].mean() == pytest.approx(L.ATU_UNTREATED_MEAN, rel=PUBLISHED)
    assert m.matched_outcome[on0].mean() == pytest.approx(L.ATU_MATCHED_MEAN, rel=PUBLISHED)


def test_ate_changes_the_control_pool_and_so_the_att(ldw, scores):
    """psmatch2's documented behaviour: with ``common``, ``ate`` trims the untreated too."""
    att_only = match_scores(scores, ldw[L.TREATMENT], ldw[L.OUTCOME], common_support=True)
    ate = match_scores(scores, ldw[L.TREATMENT], ldw[L.OUTCOME], common_support=True, estimand="ate")
    assert att_only.n_control_off == 0 and ate.n_control_off == L.UNTREATED_OFF
    p1 = scores[ate.treated]
    outside = ~ate.treated & ((scores < p1.min()) | (scores > p1.max()))
    assert outside.any() and not ate.support[outside].any()
    assert abs(att_only.att - ate.att) > 1e-3
    assert att_only.atu is None and att_only.ate is None
    # _weight: treated rows carry their ATU weights under ate, 1 otherwise; controls their ATT weights.
    w = ate.psmatch2_weight
    assert w[ate.treated & ate.support].sum() == pytest.approx(ate.n_control_on, rel=ROUTES)
    assert (ate.weight[ate.treated & ate.support] == 1).all()
    assert w[~ate.treated].sum() == pytest.approx(ate.n_treated_on, rel=ROUTES)


# --- an independent re-implementation of psmatch2.ado's steps ----------------------------------


def ado_kernel_ate(p: np.ndarray, treated: np.ndarray, y: np.ndarray, *, bandwidth: float, kernel: str,
                   common: bool) -> dict[str, float]:
    """psmatch2 4.0.12, ``kernel ate [common]``, step by step as the .ado runs them (plain loops)."""
    n = p.size
    support = np.ones(n, dtype=bool)
    if common:  # _Support_: ranges from the whole groups
        lo0, hi0 = p[~treated].min(), p[~treated].max()
        lo1, hi1 = p[treated].min(), p[treated].max()
        for i in range(n):
            if treated[i] and (p[i] < lo0 or p[i] > hi0):
                support[i] = False
            if not treated[i] and (p[i] < lo1 or p[i] > hi1):
                support[i] = False
    weight = np.where(support, 0.0, np.nan)  # _weight = _treated if _support, then 0 for treated under ate
    matched = np.full(n, np.nan)
    # sort -_support _treated: on-support untreated first, then on-support treated (stable in row order)
    order = [i for i in range(n) if support[i] and not treated[i]] + [i for i in range(n) if support[i] and treated[i]]
    for i in order:  # _Match_kernel with ate: every on-support row, against the other group's rows on support now
        pool = [j for j in range(n) if support[j] and treated[j] != treated[i]]
        k = {}
        for j in pool:
            d = p[j] - p[i]
            if kernel == "epan":
                if abs(d) <= bandwidth:
                    k[j] = 1 - (d / bandwidth) ** 2
            else:
                k[j] = math.exp(-0.5 * (d / bandwidth) ** 2) / math.sqrt(2 * math.pi)
        if not k:  # cap assert weight==. : no one in reach, off support
            support[i] = False
            continue
        total = sum(k.values())
        for j, v in k.items():
            weight[j] += v / total
        matched[i] = sum(v / total * y[j] for j, v in k.items())
    on1, on0 = treated & support, ~treated & support
    att = float(np.mean(y[on1] - matched[on1]))
    atu = float(np.mean(matched[on0] - y[on0]))
    n1, n0 = on1.sum(), on0.sum()
    weight[(weight == 0) | ~support] = np.nan
    control_w = weight[~treated & ~np.isnan(weight)]
    se = math.sqrt(np.var(y[on1], ddof=1) / n1
                   + np.var(y[~treated & ~np.isnan(weight)], ddof=1) * np.sum(control_w ** 2) / n1 ** 2)
    return {"att": att, "atu": atu, "ate": att * n1 / (n0 + n1) + atu * n0 / (n0 + n1), "se": se,
            "treated_off": int((treated & ~support).sum()), "untreated_off": int((~treated & ~support).sum())}


@pytest.mark.parametrize("bandwidth,kernel,common", [
    (0.06, "epan", True), (0.01, "epan", True), (0.02, "epan", False), (0.05, "normal", True),
])
def test_core_equals_the_ado_steps(ldw, scores, bandwidth, kernel, common):
    t = ldw[L.TREATMENT].to_numpy() == 1
    expected = ado_kernel_ate(scores.to_numpy(), t, ldw[L.OUTCOME].to_numpy(), bandwidth=bandwidth, kernel=kernel,
                              common=common)
    m = match_scores(scores, ldw[L.TREATMENT], ldw[L.OUTCOME], bandwidth=bandwidth, common_support=common,
                     kernel="epanechnikov" if kernel == "epan" else "normal", estimand="ate")
    for name in ("att", "atu", "ate", "se"):
        assert getattr(m, name) == pytest.approx(expected[name], rel=ROUTES), name
    assert (m.n_treated_off, m.n_control_off) == (expected["treated_off"], expected["untreated_off"])


def test_the_ado_steps_reproduce_the_published_output(ldw, scores):
    """The re-implementation itself is checked against Stata, so the comparison above means something."""
    t = ldw[L.TREATMENT].to_numpy() == 1
    found = ado_kernel_ate(scores.to_numpy(), t, ldw[L.OUTCOME].to_numpy(), bandwidth=L.BANDWIDTH, kernel="epan",
                           common=True)
    assert (found["att"], found["atu"], found["ate"]) == pytest.approx((L.ATT, L.ATU, L.ATE), rel=PUBLISHED)


@pytest.mark.parametrize("method", ["epanechnikov", "normal", "nearest"])
def test_bootstrap_draw_equals_matching_the_expanded_resample(ldw, scores, method):
    p, t, y = scores.to_numpy(), ldw[L.TREATMENT].to_numpy() == 1, ldw[L.OUTCOME].to_numpy()
    counts = np.random.default_rng(7).integers(0, 3, p.size)
    found = draw_effects(p, t, y, counts, method=method, bandwidth=0.06, common_support=True)
    rows = np.repeat(np.arange(p.size), counts)
    m = match_scores(pd.Series(p[rows]), pd.Series(t[rows]), pd.Series(y[rows]), kernel=method, bandwidth=0.06,
                     common_support=True, estimand="ate")
    assert found == pytest.approx((m.att, m.atu, m.ate), rel=ROUTES)


def test_psm_did_reports_atu_and_ate_with_bootstrap_ses(ldw):
    result = psm_did(ldw, treatment=L.TREATMENT, covariates=list(L.COVARIATES), outcome=L.OUTCOME, unit=None,
                     time=None, matching=MatchingOptions(model="logit", estimand="ate"),
                     bootstrap=BootstrapOptions(reps=30, seed=1))
    rows = {r["term"]: r for r in result.to_estimates() if r["analysis"] == "psm_att"}
    assert set(rows) == {"ATT", "ATU", "ATE"} and {r["model"] for r in rows.values()} == {"kernel"}
    assert rows["ATU"]["estimate"] == pytest.approx(L.ATU, rel=PUBLISHED)
    assert rows["ATE"]["estimate"] == pytest.approx(L.ATE, rel=PUBLISHED)
    assert rows["ATT"]["std_error"] == pytest.approx(L.ATT_SE, rel=PUBLISHED)
    boot = result.bootstrap
    assert rows["ATU"]["std_error"] == pytest.approx(np.nanstd(boot.atu_draws, ddof=1), rel=ROUTES)
    assert rows["ATE"]["std_error"] == pytest.approx(np.nanstd(boot.ate_draws, ddof=1), rel=ROUTES)
    assert "bootstrap SE" in rows["ATU"]["note"]
    assert result.variables["_weight"][result.matching.treated & result.matching.support].notna().all()
    off = psm_did(ldw, treatment=L.TREATMENT, covariates=list(L.COVARIATES), outcome=L.OUTCOME, unit=None, time=None,
                  matching=MatchingOptions(model="logit", estimand="ate"), bootstrap=BootstrapOptions(reps=0))
    atu = next(r for r in off.to_estimates() if r["term"] == "ATU")
    assert atu["std_error"] is None and "psmatch2 prints none" in atu["note"]
