"""Properties of zero-config dedupe on lists with a few planted duplicates, and of the estimation itself.

Lists come from ``benchmarks/make_lists.py``: 30 to 3,000 records, one, two or five of them repeating another
person written another way (spacing, case, phone formatting, a missing email), Chinese and English, very
common names given to different people. Every planted duplicate must be found and no stranger merged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmcli
from crmcli.dedupe import dedupe_table, find_duplicates
from crmcli.dedupe.compare import Comparator
from crmcli.dedupe.score import Model, em

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from make_lists import HEADERS, make_list  # noqa: E402
from metrics import pairwise_scores  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _check_list(n: int, dups: int, seed: int, lang: str) -> None:
    frame = make_list(n, dups, seed, lang)
    dup = find_duplicates(frame.drop(columns=["entity"]))
    s = pairwise_scores(dup.label, frame["entity"])
    assert s["predicted_pairs"] == s["tp"], f"strangers merged: {n} records, seed {seed}, {lang}"
    assert s["tp"] == s["true_pairs"] == dups, f"duplicates missed: {n} records, seed {seed}, {lang}"
    for k, comp in enumerate(dup.model.comparators):   # exact agreement is never evidence against a match
        assert dup.model.m[k][comp.top] >= dup.model.u[k][comp.top]


@settings(max_examples=30, **SETTINGS)
@given(n=st.integers(30, 600), dups=st.sampled_from([1, 2, 5]), seed=st.integers(0, 10**6),
       lang=st.sampled_from(["zh", "en"]))
def test_planted_duplicates_found_no_stranger_merged(n, dups, seed, lang):
    _check_list(n, min(dups, n // 2), seed, lang)


@pytest.mark.slow
@settings(max_examples=12, **SETTINGS)
@given(n=st.integers(600, 3000), dups=st.sampled_from([1, 2, 5]), seed=st.integers(0, 10**6),
       lang=st.sampled_from(["zh", "en"]))
def test_planted_duplicates_in_big_lists(n, dups, seed, lang):
    _check_list(n, dups, seed, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("seed", range(8))
def test_lists_of_six_records(seed, lang):
    _check_list(6, 1, seed, lang)


@pytest.mark.parametrize("n, dups", [(60, 1), (200, 2), (1000, 5)])
def test_the_issue_ratios(n, dups):
    """One in 60, two in 200, five in 1,000: the ratios at which EM used to collapse."""
    for seed in range(3):
        for lang in ("zh", "en"):
            _check_list(n, dups, seed, lang)


def test_no_duplicates_no_merge():
    for lang in ("zh", "en"):
        frame = make_list(500, 0, 3, lang)
        dup = find_duplicates(frame.drop(columns=["entity"]))
        assert dup.stats["duplicate_clusters"] == 0


# ----------------------------------------------------------------------------- the estimation


@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.data(), n_pairs=st.integers(0, 400), n_fields=st.integers(1, 5))
def test_em_never_gives_exact_agreement_less_weight_for_matches(data, n_pairs, n_fields):
    """Whatever the levels (all strangers, all twins, random), m[exact] >= u[exact] after EM."""
    tops = [data.draw(st.integers(1, 4)) for _ in range(n_fields)]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    lv = np.stack([rng.integers(-1, t + 1, n_pairs) for t in tops], axis=1).astype(np.int8) if n_pairs else \
        np.zeros((0, n_fields), dtype=np.int8)
    u = [rng.dirichlet(np.ones(t + 1)) for t in tops]
    m = [rng.dirichlet(np.ones(t + 1)) for t in tops]
    out, lam, _ = em(lv, list(range(n_fields)), u, m, 0.1, 30, 1e-6, fit_lam=True, prior_m=m,
                     strength=data.draw(st.sampled_from([0.0, 5.0, 20.0])))
    assert 0 < lam < 1
    for mk, uk in zip(out, u):
        assert mk[-1] >= uk[-1] - 1e-12
        assert mk[0] <= uk[0] + 1e-12 or len(mk) == 1
        assert abs(mk.sum() - 1) < 1e-9


def test_model_fit_anchors_and_says_how():
    frame = make_list(200, 2, 1, "zh")
    dup = find_duplicates(frame.drop(columns=["entity"]))
    est = dup.model.estimation
    assert est.anchors == 2
    assert dup.stats["estimation"].startswith("model: 2 anchor pairs")
    assert "prior" in dup.stats["estimation"] and "\n" not in dup.stats["estimation"]


def test_without_anchors_or_sessions_the_fallbacks_are_used():
    table = pd.DataFrame({"Name": ["Ann Lee", "Bo Chen", "Cy Wu"], "City": ["Leeds", "York", "Bath"]})
    table.index = pd.RangeIndex(2, 5, name="row")
    dup = find_duplicates(table)
    assert "default m for Name, City" in dup.stats["estimation"]
    assert np.allclose(dup.model.m[0], Comparator("Name", "name").default_m, atol=1e-9)
    assert dup.stats["duplicate_clusters"] == 0


def test_small_list_u_leans_on_the_prior():
    """Six distinct names do not prove names never repeat: u of exact agreement stays near the kind's prior."""
    comp = Comparator("x", "name")
    prep = comp.prepare(pd.Series(["Ann", "Bo", "Cy", "Di", "Ed", "Flo"]))
    assert 0.5 * comp.spec.u0 < prep.u_exact < 2 * comp.spec.u0
    big = comp.prepare(pd.Series([f"name{i}" for i in range(100_000)]))
    assert big.u_exact < comp.spec.u0 / 100


def test_term_frequency_never_counts_the_pair_itself():
    """A value held only by the pair is a typical value (no adjustment); one held by many counts for less."""
    values = pd.Series(["张伟"] * 20 + [f"人{i}" for i in range(978)] + ["韩嘉怡", "韩嘉怡"])
    comp = Comparator("x", "name")
    prep = comp.prepare(values)
    model = Model([comp], [prep])
    adj_pair = model.tf_adjustment(0, np.array([998]))[0]
    adj_common = model.tf_adjustment(0, np.array([0]))[0]
    assert abs(adj_pair) < 1.5
    assert adj_common < -3


# ----------------------------------------------------------------------------- the bundled examples


def test_bundled_examples_merge_their_planted_duplicate():
    zh = dedupe_table(crmcli.read_table(EXAMPLES / "customers_zh.csv"))
    groups = zh.clusters[zh.clusters["cluster_size"] > 1].index.tolist()
    assert groups == [5, 62]                 # record 61 (row 62) repeats record 4 (row 5)
    assert len(zh.merged) == 61              # 62 records; the last (only a city and an address) is its own
    en = dedupe_table(crmcli.read_table(EXAMPLES / "customers_en.csv"))
    groups = en.clusters[en.clusters["cluster_size"] > 1]
    assert groups["Customer ID"].tolist() == ["C10013", "C10041"]
    golden = en.merged[en.merged["source_rows"] == "14;42"].iloc[0]
    assert golden["Mobile"] == "+8615314515097" and golden["Email"] == "ethan.green@example.cn"
    assert golden["Name"] == "Ethan Green" and golden["Created"] == "2022-01-24"


def test_golden_rows_are_normalized_and_emails_folded():
    h = HEADERS["en"]
    table = pd.DataFrame({h["name"]: ["Ann Lee", "LEE, Ann", "Bo Chen"],
                          h["phone"]: ["138 1234 5678", "+86-13812345678", "13900001111"],
                          h["email"]: ["Ann.Lee@Mail.com", "ann.lee@mail.com", "bo@x.cn"],
                          "Created": ["25/03/2023", "2023-05-01", "2022-01-02"]})
    table.index = pd.RangeIndex(2, 5, name="row")
    res = dedupe_table(table)
    row = res.merged.iloc[0]
    assert row["source_rows"] == "2;3"
    assert row[h["phone"]] == "+8613812345678"           # one number, E.164
    assert row[h["email"]] == "ann.lee@mail.com"         # differing only in case: one address
    assert row["Created"] == "2023-03-25"                # ISO (as complete as the other: the first)
    sheet = res.sheet()
    assert isinstance(sheet["Created"].iloc[0], pd.Timestamp)
