"""Matching with psmatch2's definitions: kernel weights, support, _weight, ATT and its SE.

Tolerances:
- hand values (tests/reference/psm_hand.py): 1e-12 relative; they are exact
  fractions and the only error is floating-point rounding of a few operations;
- fast bootstrap route vs the plain route on an expanded sample: 1e-9
  relative; the fast route expands the Epanechnikov kernel into prefix sums,
  which reorders additions (observed differences ~1e-13).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference import psm_hand as H
from xlcbec.core.psm.matching import (
    att_with_counts,
    att_with_counts_batch,
    kernel_weights,
    match_arrays,
    match_scores,
    nearest_neighbours,
)
from xlcbec.errors import EstimationError, OptionError

HAND_REL = 1e-12
ROUTE_REL = 1e-9


def hand_data() -> tuple[pd.Series, pd.Series, pd.Series]:
    index = pd.Index(H.LABELS, name="row")
    return (
        pd.Series(H.SCORES, index=index, name="pscore"),
        pd.Series(H.TREATED, index=index, name="treated"),
        pd.Series(H.Y, index=index, name="y"),
    )


def check_weight(result, expected: dict) -> None:
    for label, value in expected.items():
        got = result.weight[label]
        if value is None:
            assert math.isnan(got), f"_weight of {label} should be missing, got {got}"
        else:
            assert got == pytest.approx(value, rel=HAND_REL), label


def weights_of(result, treated_label: str) -> dict[str, float]:
    labels = list(result.weight.index)
    row = result.matrix.getrow(labels.index(treated_label)).tocoo()
    return {labels[j]: v for j, v in zip(row.col, row.data)}


# ---------------------------------------------------------------------------
# Epanechnikov


def test_epanechnikov_common_support_hand_values():
    p, t, y = hand_data()
    m = match_scores(p, t, y, kernel="epanechnikov", bandwidth=H.H, common_support=True)
    ref = H.EPAN_COMMON
    for label, expected in ref["weights"].items():
        got = weights_of(m, label)
        assert got.keys() == expected.keys()
        for c, w in expected.items():
            assert got[c] == pytest.approx(w, rel=HAND_REL)
    assert {k: bool(m.support[k]) for k in ref["support"]} == ref["support"]
    assert all(m.support[c] for c in "ABCDE")
    check_weight(m, ref["_weight"])
    for label, value in ref["_y"].items():
        assert m.matched_outcome[label] == pytest.approx(value, rel=HAND_REL)
    assert m.matched_outcome[["T3", "T4", "T5"]].isna().all()
    assert m.att == pytest.approx(ref["att"], rel=HAND_REL)
    assert m.var1 == pytest.approx(ref["var1"], rel=HAND_REL)
    assert m.var0 == pytest.approx(ref["var0"], rel=HAND_REL)
    assert m.sum_w2 == pytest.approx(ref["sum_w2"], rel=HAND_REL)
    assert m.se == pytest.approx(ref["se"], rel=HAND_REL)
    assert (m.n_treated_on, m.n_treated_off, m.n_control_on, m.n_control_off) == (
        ref["n_treated_on"], ref["n_treated_off"], ref["n_control_on"], ref["n_control_off"])
    table = m.support_table
    assert table.loc["Treated", "on_support"] == 2 and table.loc["Total", "total"] == 10
    assert m.n_control_matched == 4


def test_epanechnikov_without_common_support_keeps_outside_treated_with_controls_in_reach():
    p, t, y = hand_data()
    m = match_scores(p, t, y, kernel="epanechnikov", bandwidth=H.H, common_support=False)
    ref = H.EPAN_NO_COMMON
    assert {k: bool(m.support[k]) for k in ref["support"]} == ref["support"]
    check_weight(m, ref["_weight"])
    for label, value in ref["_y"].items():
        assert m.matched_outcome[label] == pytest.approx(value, rel=HAND_REL)
    assert m.att == pytest.approx(ref["att"], rel=HAND_REL)
    assert (m.var1, m.var0) == (pytest.approx(ref["var1"], rel=HAND_REL), pytest.approx(ref["var0"], rel=HAND_REL))
    assert m.sum_w2 == pytest.approx(ref["sum_w2"], rel=HAND_REL)
    assert m.se == pytest.approx(ref["se"], rel=HAND_REL)


def test_epanechnikov_window_is_closed_at_the_bandwidth():
    # |d| = h exactly (0.25 - 0.5 in binary) gets weight 1 - 1 = 0 but counts as in the window,
    # so a lone control exactly h away would give a 0/0 weight: psmatch2 then has a zero sum.
    w = kernel_weights(np.array([0.5]), np.array([0.25, 0.625]), method="epanechnikov", bandwidth=0.25)
    # 0.625 is 0.125 away: 1 - 0.25 = 0.75; the control at distance h adds 0.
    assert w.tolist() == [[0.0, 1.0]]


def test_kernel_weight_matrix_by_broadcasting_equals_the_formula_row_by_row():
    rng = np.random.default_rng(3)
    p1, p0 = rng.uniform(size=7), rng.uniform(size=40)
    for method in ("epanechnikov", "normal"):
        w = kernel_weights(p1, p0, method=method, bandwidth=0.15)
        for i, pi in enumerate(p1):
            d = p0 - pi
            if method == "epanechnikov":
                raw = np.array([1 - (dj / 0.15) ** 2 if abs(dj) <= 0.15 else 0.0 for dj in d])
            else:
                raw = np.array([math.exp(-0.5 * (dj / 0.15) ** 2) / math.sqrt(2 * math.pi) for dj in d])
            expected = raw / raw.sum() if raw.sum() > 0 else raw
            np.testing.assert_allclose(w[i], expected, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------------------
# Normal kernel


def test_normal_kernel_hand_values():
    p, t, y = hand_data()
    m = match_scores(p, t, y, kernel="normal", bandwidth=H.H, common_support=True)
    ref = H.NORMAL_COMMON
    assert {k: bool(m.support[k]) for k in ref["support"]} == ref["support"]
    for label, expected in ref["weights"].items():
        got = weights_of(m, label)
        for c, w in expected.items():
            assert got[c] == pytest.approx(w, rel=HAND_REL)
    check_weight(m, ref["_weight"])
    assert m.att == pytest.approx(ref["att"], rel=HAND_REL)
    assert m.var0 == pytest.approx(ref["var0"], rel=HAND_REL)
    assert m.se == pytest.approx(ref["se"], rel=HAND_REL)


# ---------------------------------------------------------------------------
# Nearest neighbours


def test_nearest_one_neighbour_hand_values():
    p, t, y = hand_data()
    m = match_scores(p, t, y, kernel="nearest", k=1)
    for label, controls in H.NEAREST_1["matches"].items():
        assert sorted(weights_of(m, label)) == sorted(controls)
    check_weight(m, H.NEAREST_1["_weight"])
    assert m.att == pytest.approx(H.NEAREST_1["att"], rel=HAND_REL)
    assert m.se == pytest.approx(H.NEAREST_1["se"], rel=HAND_REL)


def test_nearest_caliper_is_strict_and_drops_treated_without_a_match():
    p, t, y = hand_data()
    m = match_scores(p, t, y, kernel="nearest", k=1, caliper=0.05)
    ref = H.NEAREST_CALIPER
    assert {k: bool(m.support[k]) for k in ref["support"]} == ref["support"]
    assert m.att == pytest.approx(ref["att"], rel=HAND_REL)
    assert m.se == pytest.approx(ref["se"], rel=HAND_REL)
    # T2's match D is 0.02 away: a caliper of exactly 0.02 ... computed as |0.44 - 0.46|.
    d = abs(0.44 - 0.46)
    strict = match_scores(p, t, y, kernel="nearest", k=1, caliper=d)
    assert not strict.support["T2"]


def test_nearest_two_neighbours_hand_values():
    p, t, y = hand_data()
    m = match_scores(p, t, y, kernel="nearest", k=2)
    for label, controls in H.NEAREST_2["matches"].items():
        got = weights_of(m, label)
        assert sorted(got) == sorted(controls)
        assert all(v == pytest.approx(0.5) for v in got.values())
    check_weight(m, H.NEAREST_2["_weight"])
    assert m.att == pytest.approx(H.NEAREST_2["att"], rel=HAND_REL)
    assert m.se == pytest.approx(H.NEAREST_2["se"], rel=HAND_REL)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_tie_rule_lower_score_then_row_order(k):
    got = nearest_neighbours(np.array([H.TIES_TREATED]), np.array(H.TIES_SCORES_CONTROL), k=k)
    assert got[0].tolist() == H.TIES_MATCHES[k]
    got = nearest_neighbours(np.array([H.TIES_TREATED_2]), np.array(H.TIES_SCORES_CONTROL_2), k=k)
    assert got[0].tolist() == H.TIES_MATCHES_2[k]


def psmatch2_walk(p_treated, p_control, k, caliper):
    """psmatch2's match_pscore/match2, transcribed step by step (with replacement).

    The controls are sorted by (score, row); treated are visited in score order
    and the search for each starts where the previous treated row's match was.
    """
    cal = math.inf if caliper is None else caliper
    order = sorted(range(len(p_control)), key=lambda j: (p_control[j], j))
    ps = [p_control[j] for j in order]
    j0, j1 = 0, len(ps) - 1
    result = {}
    jmatch = j0
    forward = True
    treated_order = sorted(range(len(p_treated)), key=lambda i: (p_treated[i], i))
    for n_done, i in enumerate(treated_order):
        pi = p_treated[i]
        j = jmatch
        dif1 = abs(pi - ps[j])
        while j0 <= j < j1:
            j = j + 1 if forward else j - 1
            if j < j0 or j > j1:
                break
            dif0, dif1 = dif1, abs(pi - ps[j])
            if dif1 > dif0:
                j = j1
            if dif1 < dif0:
                jmatch = j
        matched = []
        if abs(pi - ps[jmatch]) < cal:
            matched.append(jmatch)
            pos0, pos1 = jmatch - 1, jmatch + 1
            dif0 = dif1 = math.inf
            kk = 1
            while kk < k:
                if pos0 >= j0:
                    dif0 = abs(pi - ps[pos0])
                if pos1 <= j1:
                    dif1 = abs(pi - ps[pos1])
                if (dif0 <= dif1 and pos0 >= j0) or (pos0 >= j0 and pos1 > j1):
                    jm = pos0
                    pos0 -= 1
                elif pos1 <= j1:
                    jm = pos1
                    pos1 += 1
                else:
                    break
                if abs(pi - ps[jm]) < cal:
                    matched.append(jm)
                    kk += 1
                else:
                    break
        if jmatch == j1 and n_done < len(treated_order) - 1:
            forward = False
        result[i] = [order[j] for j in matched]
    return [result[i] for i in range(len(p_treated))]


@pytest.mark.parametrize("k,caliper", [(1, None), (2, None), (3, None), (1, 0.02), (3, 0.03)])
def test_nearest_equals_psmatch2_walk_with_many_ties(k, caliper):
    rng = np.random.default_rng(11 + k)
    # Scores on a coarse grid: many equal scores and equal distances.
    p0 = np.round(rng.uniform(0.05, 0.9, size=60) * 40) / 40
    p1 = np.round(rng.uniform(0.05, 0.9, size=25) * 40) / 40
    ours = nearest_neighbours(p1, p0, k=k, caliper=caliper)
    walk = psmatch2_walk(list(p1), list(p0), k, caliper)
    assert [m.tolist() for m in ours] == walk


# ---------------------------------------------------------------------------
# Laws, the fast bootstrap route, errors


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0.01, 0.99), min_size=2, max_size=25),
    st.lists(st.floats(0.01, 0.99), min_size=1, max_size=10),
    st.sampled_from(["epanechnikov", "normal"]),
    st.floats(0.02, 0.5),
)
def test_kernel_weights_sum_to_one_per_treated_and_to_n1_over_controls(controls, treated, method, bandwidth):
    p = np.array(controls + treated)
    t = np.array([False] * len(controls) + [True] * len(treated))
    try:
        m = match_arrays(p, t, method=method, bandwidth=bandwidth, common_support=True)
    except EstimationError:
        return  # no treated row on support: nothing to check
    on = t & m.support
    row_sums = np.asarray(m.matrix.sum(axis=1)).ravel()
    np.testing.assert_allclose(row_sums[on], 1.0, rtol=1e-12)
    assert np.all(row_sums[~on] == 0)
    assert np.nansum(m.weight[~t]) == pytest.approx(on.sum(), rel=1e-12)


@pytest.mark.parametrize("method", ["epanechnikov", "normal"])
@pytest.mark.parametrize("common", [True, False])
def test_att_with_counts_equals_matching_on_the_expanded_sample(method, common):
    rng = np.random.default_rng(21)
    n = 400
    p = rng.beta(1.5, 6, size=n)
    t = rng.uniform(size=n) < 0.2 + p
    y = rng.normal(size=n) + 2 * p + t
    for _ in range(4):
        counts = rng.poisson(1.0, size=n)
        rows = np.repeat(np.arange(n), counts)
        plain = match_arrays(p[rows], t[rows], method=method, bandwidth=0.05, common_support=common)
        on = t[rows] & plain.support
        yy = y[rows]
        expected = float(np.mean(yy[on] - (plain.matrix @ yy)[on]))
        got = att_with_counts(p, t, y, counts, method=method, bandwidth=0.05, common_support=common)
        assert got == pytest.approx(expected, rel=ROUTE_REL)
        if method == "epanechnikov":
            batch = att_with_counts_batch(p[None, :], t, y, counts[None, :], bandwidth=0.05, common_support=common)
            assert batch[0] == pytest.approx(expected, rel=ROUTE_REL)


def test_bandwidth_must_be_positive():
    p, t, y = hand_data()
    for bad, message in ((0.0, "greater than 0"), (-0.1, "greater than 0"), (float("nan"), "finite number")):
        with pytest.raises(OptionError, match=f"'bandwidth' must be (a )?{message}") as caught:
            match_scores(p, t, y, bandwidth=bad)
        assert caught.value.option == "bandwidth"


def test_caliper_only_for_nearest_and_unknown_kernel():
    p, t, y = hand_data()
    with pytest.raises(OptionError, match="caliper applies to nearest"):
        match_scores(p, t, y, kernel="epanechnikov", caliper=0.1)
    with pytest.raises(OptionError, match="one of epanechnikov, normal, nearest"):
        match_scores(p, t, y, kernel="triangle")
    with pytest.raises(OptionError, match="at least 1"):
        match_scores(p, t, y, kernel="nearest", k=0)


def test_no_treated_on_support_suggests_a_wider_bandwidth():
    p, t, y = hand_data()
    # Bandwidth 0.005: T1 is 0.01 from B, T2 0.02 from D: nobody within h.
    with pytest.raises(EstimationError, match="wider bandwidth") as info:
        match_scores(p, t, y, bandwidth=0.005)
    assert "no treated row has an untreated row within the bandwidth 0.005" in str(info.value)
    with pytest.raises(EstimationError, match="wider caliper"):
        match_scores(p, t, y, kernel="nearest", caliper=0.001)
