"""Mediation (docs/methods.md section 7): the steps, the Sobel family, the cluster bootstrap.

Tolerances:
- ROUTES = 1e-10 relative: mediation's steps and a direct ``fit_twfe`` on the
  same rows run the same algebra; so do c and c' + a*b (an exact OLS identity
  when all three regressions share rows, controls and fixed effects).
- BOOT_ROUTES = 1e-8 relative: a bootstrap replicate rebuilt here as a
  DataFrame and fitted with ``fit_twfe`` against the fast index-array path
  (different projection code paths for the resampled, unbalanced panel).
- MOMENT_ROUTE = 1e-12 relative: the bootstrap draws by the moment route (Gram
  matrices summed over drawn units, normal equations of the unit-length-scaled
  design) against the plain route (each replicate's rows, the fixed-effect sweep,
  least squares by SVD).  Same model, different arithmetic: they differ by rounding,
  about cond(design)^2 * 1e-16 (seen: 1e-14); the replicates the moment route
  leaves to the plain route are computed by it, so their NaNs are the same.
- SOBEL_5DP = 5e-6 absolute: tests/reference/README.md gives the toy z values to 5 decimals.
- PERCENTILE = 1e-12 relative: the bootstrap interval against ``np.quantile`` of the
  draws at 0.025/0.975.  Same numpy function on the same draws, but the module asks
  for the probabilities (1 - level)/2 and 1 - (1 - level)/2, and 1 - 0.95 is not
  exactly 0.05 in binary (0.025000000000000022), so the interpolation weight, and
  the interval end, can differ in the last bit (it does by 1 ulp on numpy 2.4.6).
- Exact (==) where the same call runs twice with the same seed (bit-identical by
  design: one generator call draws every replicate's clusters, serial blocks), and
  where an Estimates row holds a copy of a result's own float.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.reference import sobel as S
from xlcbec.core.cluster_bootstrap import ClusterResampler
from xlcbec.core.did import mediation_bootstrap
from xlcbec.core.did.mediation import mediation
from xlcbec.core.did.sobel import indirect_effect_tests
from xlcbec.core.options import BootstrapOptions, SEOptions
from xlcbec.core.panel import prepare_panel
from xlcbec.core.results import ESTIMATE_COLUMNS, estimates_frame
from xlcbec.core.twfe import fit_twfe
from xlcbec.errors import OptionError

ROUTES = 1e-10
BOOT_ROUTES = 1e-8
MOMENT_ROUTE = 1e-12
SOBEL_5DP = 5e-6
PERCENTILE = 1e-12
CONTROLS = ["x1", "x2"]
YEARS = list(range(2010, 2018))
SEED = 20240101


def make_panel(seed: int = 11, n_units: int = 60, noise_seed: int = 4, few_treated: bool = False) -> pd.DataFrame:
    """60 cities x 8 years (3 cities a province), staggered adoption 2012/2014/2016/never, seeded.

    Planted: CBEC -> m 0.6, m -> y 0.5, direct 0.3.  ``m_noise`` is unrelated
    noise (its seed 4 gives |t_a|, |t_b| < 1, so Goodman's radicand is negative).
    ``few_treated``: only 2 cities are ever treated, so some bootstrap
    replicates draw no treated city.  A few mediator values are blank.
    """
    rng = np.random.default_rng(seed)
    units = np.arange(1, n_units + 1)
    cohort = np.where(units <= 2, 2014, 0) if few_treated else np.array([2012, 2014, 2016, 0])[units % 4]
    unit_effect = rng.normal(size=n_units)
    rows = []
    for i, u in enumerate(units):
        for t in YEARS:
            d = float(cohort[i] > 0 and t >= cohort[i])
            x1, x2 = rng.normal(size=2)
            m = 0.6 * d + 0.3 * x1 + 0.2 * unit_effect[i] + 0.02 * (t - 2010) + rng.normal(scale=0.5)
            y = unit_effect[i] + 0.05 * (t - 2010) + 0.3 * d + 0.5 * m + 0.4 * x1 - 0.2 * x2 + rng.normal(scale=0.5)
            rows.append({"city": f"c{u:02d}", "province": f"p{(u - 1) // 3:02d}", "year": t,
                         "pilot_year": cohort[i] if cohort[i] else np.nan, "y": y, "m": m, "x1": x1, "x2": x2})
    frame = pd.DataFrame(rows)
    frame["m_noise"] = np.random.default_rng(noise_seed).normal(size=len(frame))
    frame.loc[[5, 77, 300], "m"] = np.nan  # the common-sample rule must matter
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # spreadsheet row numbers
    return prepare_panel(frame, unit="city", time="year", first_treat="pilot_year", interpolate="none").data


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


@pytest.fixture(scope="module")
def result(panel):
    return mediation(panel, outcome="y", mediators=["m", "not_there", "m_noise"], unit="city", time="year",
                     controls=CONTROLS, bootstrap=BootstrapOptions(reps=99, seed=SEED))


def test_steps_equal_direct_regressions(panel, result):
    res = result["m"]
    rows = panel.dropna(subset=["m"])  # the three steps share the rows where the mediator is known
    opts = dict(unit="city", time="year", cluster="city")
    step1 = fit_twfe(rows, outcome="m", regressors=["CBEC", *CONTROLS], **opts)
    step2 = fit_twfe(rows, outcome="y", regressors=["CBEC", "m", *CONTROLS], **opts)
    total = fit_twfe(rows, outcome="y", regressors=["CBEC", *CONTROLS], **opts)
    for mine, direct in ((res.step1, step1), (res.step2, step2), (res.total, total)):
        assert mine.nobs == direct.nobs == len(YEARS) * 60 - 3
        np.testing.assert_allclose(mine.params.to_numpy(), direct.params.to_numpy(), rtol=ROUTES)
        np.testing.assert_allclose(mine.std_errors.to_numpy(), direct.std_errors.to_numpy(), rtol=ROUTES)
    assert res.a == pytest.approx(step1.params["CBEC"], rel=ROUTES)
    assert res.b == pytest.approx(step2.params["m"], rel=ROUTES)
    assert res.c_prime == pytest.approx(step2.params["CBEC"], rel=ROUTES)
    assert res.c == pytest.approx(total.params["CBEC"], rel=ROUTES)
    # The total effect on the full outcome sample differs: the common-rows rule is in force.
    assert fit_twfe(panel, outcome="y", regressors=["CBEC", *CONTROLS], **opts).nobs == len(panel)


def test_total_effect_is_direct_plus_indirect(result):
    res = result["m"]
    assert res.c == pytest.approx(res.c_prime + res.a * res.b, rel=ROUTES)
    assert res.proportion_mediated == pytest.approx(res.a * res.b / res.c, rel=ROUTES)
    # The planted mediation is found: a near 0.6, b near 0.5.
    assert 0.4 < res.a < 0.8 and 0.4 < res.b < 0.6


def test_sobel_family_from_the_steps(result):
    res = result["m"]
    a, sa = res.a, float(res.step1.std_errors["CBEC"])
    b, sb = res.b, float(res.step2.std_errors["m"])
    # By hand, docs/methods.md section 7.
    sobel = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    aroian = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2 + sa**2 * sb**2)
    goodman = a * b / np.sqrt(b**2 * sa**2 + a**2 * sb**2 - sa**2 * sb**2)
    rows = estimates_frame(res.to_estimates()).set_index("term")
    for term, z in (("indirect_sobel", sobel), ("indirect_aroian", aroian), ("indirect_goodman", goodman)):
        assert rows.loc[term, "statistic"] == pytest.approx(z, rel=ROUTES)
        assert rows.loc[term, "estimate"] == pytest.approx(a * b, rel=ROUTES)


def test_sobel_toy_example():
    """tests/reference/README.md 'Sobel family': a=2, b=3, s_a=0.3, s_b=0.4 (the module mediation uses)."""
    toy = indirect_effect_tests(S.TOY_A, S.TOY_SE_A, S.TOY_B, S.TOY_SE_B)
    assert toy.sobel_z == pytest.approx(S.TOY_SOBEL_Z_5DP, abs=SOBEL_5DP)
    assert toy.aroian_z == pytest.approx(S.TOY_AROIAN_Z_5DP, abs=SOBEL_5DP)
    assert toy.goodman_z == pytest.approx(S.TOY_GOODMAN_Z_5DP, abs=SOBEL_5DP)


def test_goodman_undefined_is_said(result):
    res = result["m_noise"]
    t_a = res.a / float(res.step1.std_errors["CBEC"])
    t_b = res.b / float(res.step2.std_errors["m_noise"])
    assert t_a**2 + t_b**2 < 1  # the radicand b^2 s_a^2 + a^2 s_b^2 - s_a^2 s_b^2 is then negative
    row = estimates_frame(res.to_estimates()).set_index("term").loc["indirect_goodman"]
    assert np.isnan(row["statistic"]) and "undefined" in row["note"]


def test_absent_mediator_is_skipped(result):
    assert list(result.mediators) == ["m", "m_noise"]
    assert "not_there" in result.skipped and "no column" in result.skipped["not_there"]
    assert any("not_there" in n for n in result.notes)
    assert "not_there" not in {r["model"] for r in result.to_estimates()}


def test_estimates_rows(result):
    frame = estimates_frame(result.to_estimates())
    assert list(frame.columns) == list(ESTIMATE_COLUMNS)
    assert set(frame.analysis) == {"mediation"}
    m = frame[frame.model == "m"].set_index("term")
    assert list(m.index) == ["a", "b", "c_prime", "c", "indirect_sobel", "indirect_aroian", "indirect_goodman",
                             "indirect_boot", "proportion_mediated"]
    res = result["m"]
    # The row's estimate and bootstrap interval are copies of the result's floats: exact.
    assert m.loc["a", "estimate"] == res.a and m.loc["a", "std_error"] == pytest.approx(
        float(res.step1.std_errors["CBEC"]), rel=ROUTES)
    boot = res.bootstrap
    assert m.loc["indirect_boot", "estimate"] == pytest.approx(res.a * res.b, rel=ROUTES)
    assert (m.loc["indirect_boot", "ci_low"], m.loc["indirect_boot", "ci_high"]) == (boot.low, boot.high)
    assert str(SEED) in m.loc["indirect_boot", "note"]


def test_bootstrap_reproducible_with_seed(panel, result):
    again = mediation(panel, outcome="y", mediators=["m"], unit="city", time="year", controls=CONTROLS,
                      bootstrap=BootstrapOptions(reps=99, seed=SEED))["m"].bootstrap
    other = mediation(panel, outcome="y", mediators=["m"], unit="city", time="year", controls=CONTROLS,
                      bootstrap=BootstrapOptions(reps=99, seed=SEED + 1))["m"].bootstrap
    first = result["m"].bootstrap
    # Same call, same seed: bit-identical by design, so exact.
    assert (again.low, again.high) == (first.low, first.high)
    np.testing.assert_array_equal(again.draws, first.draws)
    assert (other.low, other.high) != (first.low, first.high)
    assert first.low < result["m"].indirect < first.high
    # Percentile interval of the replicate values, by numpy directly (PERCENTILE: the
    # module's probabilities are (1 - 0.95)/2, not the literal 0.025).
    np.testing.assert_allclose((first.low, first.high), np.quantile(first.draws, [0.025, 0.975]), rtol=PERCENTILE,
                               atol=0)


def _replicate_by_hand(rows: pd.DataFrame, cluster: str, picks: np.ndarray) -> float:
    """One replicate the slow way: stack the drawn clusters' rows, give each copy its own unit id, fit."""
    clusters = pd.unique(rows[cluster])  # numbered by first appearance in the estimation rows
    pieces = []
    for k, pick in enumerate(picks):
        part = rows[rows[cluster] == clusters[pick]].copy()
        part["boot_unit"] = f"{k}:" + part["city"]
        pieces.append(part)
    boot = pd.concat(pieces, ignore_index=True)
    opts = dict(unit="boot_unit", time="year", vcov="iid")
    a = fit_twfe(boot, outcome="m", regressors=["CBEC", *CONTROLS], **opts).params["CBEC"]
    b = fit_twfe(boot, outcome="y", regressors=["CBEC", "m", *CONTROLS], **opts).params["m"]
    return float(a * b)


@pytest.mark.parametrize("cluster", ["city", "province"])
def test_bootstrap_fast_path_equals_replicates_built_by_hand(panel, cluster):
    reps = 4
    res = mediation(panel, outcome="y", mediators=["m"], unit="city", time="year", controls=CONTROLS,
                    se=SEOptions(cluster=cluster), bootstrap=BootstrapOptions(reps=reps, seed=SEED))["m"]
    boot = res.bootstrap
    assert boot.resampled == cluster and boot.n_clusters == (60 if cluster == "city" else 20)
    rows = panel.loc[res.step2.sample_index]
    picks = np.random.default_rng(SEED).integers(0, boot.n_clusters, size=(reps, boot.n_clusters))
    by_hand = [_replicate_by_hand(rows, cluster, p) for p in picks]
    np.testing.assert_allclose(boot.draws, by_hand, rtol=BOOT_ROUTES)


def _plain_route_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mediation_bootstrap.UnitMoments, "build", classmethod(lambda cls, *args: None))


@pytest.mark.parametrize("fixed_effects", [["unit", "time"], ["unit"], ["time"], "none"])
@pytest.mark.parametrize("cluster", ["city", "province"])
def test_bootstrap_moment_route_equals_plain_route(panel, cluster, fixed_effects, monkeypatch):
    options = dict(outcome="y", mediators=["m"], unit="city", time="year", controls=CONTROLS,
                   fixed_effects=fixed_effects, se=SEOptions(cluster=cluster),
                   bootstrap=BootstrapOptions(reps=60, seed=SEED))
    fast = mediation(panel, **options)["m"].bootstrap
    _plain_route_only(monkeypatch)
    plain = mediation(panel, **options)["m"].bootstrap
    assert fast.failed == plain.failed == 0
    np.testing.assert_allclose(fast.draws, plain.draws, rtol=MOMENT_ROUTE, atol=0)


def test_moment_route_leaves_unclear_replicates_to_the_plain_route(monkeypatch):
    """Replicates without a treated city: a is not identified; the moment route must not decide that itself."""
    data = make_panel(few_treated=True)
    options = dict(outcome="y", mediators=["m"], unit="city", time="year", controls=CONTROLS,
                   bootstrap=BootstrapOptions(reps=50, seed=SEED))
    res = mediation(data, **options)["m"]
    sample = res.step2
    rows = data.loc[sample.sample_index]
    codes = pd.factorize(rows["city"])[0]
    resampler = ClusterResampler.build(codes, codes, pd.factorize(rows["year"])[0])
    design = mediation_bootstrap.ReplicateDesign(rows[["m", "y", "CBEC", *CONTROLS]].to_numpy(float), [2, 3, 4],
                                                 [2, 0, 3, 4], ("unit", "time"))
    moments = mediation_bootstrap.UnitMoments.build(design, resampler)
    picks = resampler.picks(50, SEED)
    _, clear = mediation_bootstrap._moment_draws(picks, resampler.n_clusters, design, moments)
    failed = np.isnan(res.bootstrap.draws)
    assert failed.any() and not clear[failed].any() and clear[~failed].all()
    _plain_route_only(monkeypatch)
    plain = mediation(data, **options)["m"].bootstrap
    np.testing.assert_array_equal(np.isnan(plain.draws), failed)
    np.testing.assert_allclose(res.bootstrap.draws, plain.draws, rtol=MOMENT_ROUTE, atol=0)


def test_resampled_copies_are_distinct_units(panel):
    """Stata's idcluster() convention: a cluster drawn twice brings two units per city."""
    codes = pd.factorize(panel["province"])[0]
    units = pd.factorize(panel["city"])[0]
    times = pd.factorize(panel["year"])[0]
    resampler = ClusterResampler.build(codes, units, times)
    picks = np.array([0, 0, 0, 5] + [7] * 16)  # province 0 three times: 9 city copies
    rep = resampler.replicate(0, picks)
    assert rep.rows.size == 20 * 3 * len(YEARS)
    assert int(rep.unit_codes.max()) + 1 == 20 * 3  # 20 drawn provinces x 3 cities, every copy its own unit
    assert set(panel["province"].to_numpy()[rep.rows]) == {"p00", "p05", "p07"}
    # Each (unit copy, year) pair occurs once, as in a proper panel.
    assert pd.Series(list(zip(rep.unit_codes, rep.time_codes))).is_unique


def test_replicates_without_a_treated_city_are_counted():
    data = make_panel(few_treated=True)
    res = mediation(data, outcome="y", mediators=["m"], unit="city", time="year", controls=CONTROLS,
                    bootstrap=BootstrapOptions(reps=50, seed=SEED))["m"]
    boot = res.bootstrap
    # P(no treated city among 60 draws of 60, 2 treated) = (58/60)^60 = 0.13: some of 50 replicates fail.
    assert boot.failed == int(np.isnan(boot.draws).sum()) > 0
    assert f"{boot.failed} of 50 replicates left out" in boot.note
    assert np.isfinite(boot.low) and np.isfinite(boot.high)


def test_settings_are_checked(panel):
    with pytest.raises(OptionError, match="bootstrap_reps"):
        mediation(panel, outcome="y", mediators=["m"], unit="city", time="year", bootstrap=BootstrapOptions(reps=-5))
    with pytest.raises(OptionError, match="seed"):
        mediation(panel, outcome="y", mediators=["m"], unit="city", time="year", bootstrap=BootstrapOptions(seed="abc"))
    none = mediation(panel, outcome="y", mediators=["m"], unit="city", time="year", bootstrap=BootstrapOptions(reps=0))
    assert none["m"].bootstrap is None and "bootstrap not run" in none["m"].notes[-1]


def test_mediator_that_is_a_control_is_skipped(panel):
    res = mediation(panel, outcome="y", mediators=["x1"], unit="city", time="year", controls=CONTROLS,
                    bootstrap=BootstrapOptions(reps=0))
    assert not res.mediators and "control" in res.skipped["x1"]


def test_mpdta_with_a_seeded_mediator(test_data):
    """A real panel (500 counties): a mediator planted on mpdta; steps equal direct fits; bootstrap is fast."""
    raw = pd.read_csv(test_data / "mpdta.csv")
    raw.index = raw.index + 2
    data = prepare_panel(raw, unit="countyreal", time="year", first_treat="first_treat").data
    rng = np.random.default_rng(5)
    data["med"] = 0.05 * data["CBEC"] + 0.1 * data["lemp"] + rng.normal(scale=0.05, size=len(data))
    res = mediation(data, outcome="lemp", mediators=["med"], unit="countyreal", time="year",
                    bootstrap=BootstrapOptions(reps=50, seed=SEED))["med"]
    step1 = fit_twfe(data, outcome="med", regressors=["CBEC"], unit="countyreal", time="year")
    step2 = fit_twfe(data, outcome="lemp", regressors=["CBEC", "med"], unit="countyreal", time="year")
    assert res.a == pytest.approx(float(step1.params["CBEC"]), rel=ROUTES)
    assert res.b == pytest.approx(float(step2.params["med"]), rel=ROUTES)
    assert res.c == pytest.approx(-0.036548936674067, rel=1e-9)  # tests/reference/README.md mpdta TWFE DID (COMP)
    assert res.bootstrap.failed == 0 and res.bootstrap.n_clusters == 500
