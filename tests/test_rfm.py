"""score_rfm: definitions, CDNOW against an independent computation, tie-safe scores, properties."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.errors import DataError, UsageError
from crmcli.io import read_table
from crmcli.orders import prepare_orders
from crmcli.rfm import COLUMNS, assign_tiers, parse_breaks, parse_tiers, quantile_edges, score_rfm, score_values
from crmcli.segments import CN8_RULES, RFM_RULES

from .test_orders import MESSY, TRUTH

DATA = Path(__file__).resolve().parent / "data"


def typed(rows):
    """A typed orders frame from (customer, order_id, date, amount) tuples."""
    c, o, d, a = zip(*rows)
    return pd.DataFrame({"customer_id": pd.Series(c, dtype="str"), "order_id": pd.Series(o, dtype="str"),
                         "order_date": pd.to_datetime(list(d)), "amount": np.array(a, dtype=float)})


# ----------------------------------------------------------------- CDNOW: R rfm::rfm_table_order's numbers


def cdnow_truth(text: str, as_of: dt.date) -> dict[str, tuple[int, int, float]]:
    """What R's rfm_table_order computes, written out independently: per customer,
    recency_days = analysis_date - max(order_date), transaction_count = n(), amount = sum(revenue)."""
    last: dict[str, dt.date] = {}
    count: dict[str, int] = defaultdict(int)
    total: dict[str, float] = defaultdict(float)
    for rec in csv.DictReader(io.StringIO(text)):
        cid = rec["customer_id"]
        day = dt.datetime.strptime(rec["date"], "%Y%m%d").date()
        last[cid] = max(last.get(cid, day), day)
        count[cid] += 1
        total[cid] += float(rec["dollar_value"])
    return {cid: ((as_of - last[cid]).days, count[cid], total[cid]) for cid in last}


@pytest.mark.slow
def test_cdnow_matches_rfm_table_order():
    raw = gzip.decompress((DATA / "cdnow_master.csv.gz").read_bytes())
    truth = cdnow_truth(raw.decode(), dt.date(1998, 6, 30))
    res = score_rfm(read_table(raw), as_of="1998-06-30", overrides={"amount": "dollar_value"})
    t = res.table.set_index("customer_id")
    assert len(t) == len(truth) == 23_570
    assert res.orders == 69_659
    exp = pd.DataFrame.from_dict(truth, orient="index", columns=["recency_days", "frequency", "monetary"])
    exp = exp.loc[t.index]
    assert (t["recency_days"].to_numpy() == exp["recency_days"].to_numpy()).all()
    assert (t["frequency"].to_numpy() == exp["frequency"].to_numpy()).all()
    np.testing.assert_allclose(t["monetary"].to_numpy(), exp["monetary"].to_numpy(), atol=1e-6)
    assert round(t["monetary"].sum(), 2) == 2_500_315.63
    # half the customers bought once: the tied frequency cut points skip a score, never split the tie
    assert res.edges["f"][0] == res.edges["f"][1] == 1
    assert t.loc[t["frequency"] == 1, "f_score"].nunique() == 1


# ----------------------------------------------------------------- messy GB18030 orders: hand-computed truth


def test_messy_gb18030_matches_hand_truth():
    res = score_rfm(read_table(MESSY))
    assert list(res.table.columns) == COLUMNS
    assert str(res.as_of.date()) == "2024-03-15"
    t = res.table.set_index("customer_id")
    assert sorted(t.index) == sorted(TRUTH)
    for cid, (rec, freq, mon, first, last) in TRUTH.items():
        row = t.loc[cid]
        assert (row.recency_days, row.frequency) == (rec, freq), cid
        assert row.monetary == pytest.approx(mon), cid
        assert row.avg_order_value == pytest.approx(mon / freq)
        assert str(row.first_order.date()) == first and str(row.last_order.date()) == last
    assert res.dropped == {"duplicate-row": 1, "invalid-date": 1, "invalid-amount": 1, "missing-customer": 1}
    # same numbers from a PreparedOrders and from its typed lines
    again = score_rfm(prepare_orders(read_table(MESSY)))
    pd.testing.assert_frame_equal(again.table, res.table)
    lines = prepare_orders(read_table(MESSY)).lines
    pd.testing.assert_frame_equal(score_rfm(lines).table, res.table)


def test_as_of_given_excludes_later_orders():
    df = typed([("a", "1", "2024-01-01", 10), ("a", "2", "2024-02-01", 5), ("b", "3", "2024-01-10", 1)])
    res = score_rfm(df, as_of="2024-01-31")
    t = res.table.set_index("customer_id")
    assert t.loc["a", "frequency"] == 1 and t.loc["a", "recency_days"] == 30
    assert res.dropped == {"after-as-of": 1}


def test_order_lines_collapse_and_empty_order_ids():
    df = typed([("a", "1", "2024-01-02", 10), ("a", "1", "2024-01-01", 5), ("a", "", "2024-01-03", 1),
                ("a", "", "2024-01-03", 1), ("b", "1", "2024-01-03", 2)])
    t = score_rfm(df).table.set_index("customer_id")
    assert t.loc["a", "frequency"] == 3 and t.loc["a", "monetary"] == 17
    assert str(t.loc["a", "first_order"].date()) == "2024-01-01"
    assert t.loc["b", "frequency"] == 1  # the same order id under another customer is another order


# ----------------------------------------------------------------- scores, breaks, tiers, schemes


def test_ties_get_one_score_and_edges_are_reported():
    f = np.array([1] * 60 + [2] * 20 + [3] * 10 + [9] * 10)
    edges = quantile_edges(f, 5)
    assert list(edges) == [1, 1, 1, 2]
    s = score_values(f, edges)
    assert set(s[f == 1]) == {1} and set(s[f == 2]) == {4} and set(s[f == 9]) == {5}
    r = score_values(np.array([0, 10, 10, 400]), np.array([5.0, 10, 100, 300]), reverse=True)
    assert list(r) == [5, 4, 4, 1]


def test_breaks():
    assert parse_breaks(["r=30,90,180,365", "f=1,2,5,10"], 5)["r"].tolist() == [30, 90, 180, 365]
    assert parse_breaks({"monetary": [1, 2]}, 3)["m"].tolist() == [1, 2]
    for bad in (["r=1,2"], ["x=1,2,3,4"], ["r=4,3,2,1"], ["r"], ["f=a,b,c,d"]):
        with pytest.raises(UsageError):
            parse_breaks(bad, 5)
    df = typed([("a", "1", "2024-01-01", 10), ("b", "2", "2024-03-01", 600), ("b", "3", "2024-03-31", 600)])
    res = score_rfm(df, breaks=["r=30,90,180,365", "m=100,500,1000,5000"])
    t = res.table.set_index("customer_id")
    assert t.loc["a", "r_score"] == 4 and t.loc["b", "r_score"] == 5      # 90 days; 0 days
    assert t.loc["a", "m_score"] == 1 and t.loc["b", "m_score"] == 4      # 10; 1200
    assert res.edge_source == {"r": "breaks", "f": "quantiles", "m": "breaks"}


def test_tiers():
    m = np.array([100, 90, 80, 70, 60, 50, 40, 30, 20, 10])
    assert list(assign_tiers(m)) == ["high"] * 2 + ["mid"] * 3 + ["low"] * 5
    tied = np.array([5, 5, 5, 5, 1, 1, 1, 1, 1, 1])
    assert list(assign_tiers(tied)) == ["high"] * 4 + ["mid"] * 6   # ties share the better tier
    assert parse_tiers("10,40") == (("high", 0.1), ("mid", 0.4), ("low", 0.5))
    with pytest.raises(UsageError):
        parse_tiers("80,40")


def test_cn8_against_the_mean_and_lang():
    df = typed([("a", "1", "2024-03-01", 1000), ("a", "2", "2024-03-02", 1000), ("b", "3", "2023-01-01", 10),
                ("c", "4", "2024-03-02", 10)])
    res = score_rfm(df, scheme="cn8")
    t = res.table.set_index("customer_id")["segment"]
    assert t["a"] == "重要价值客户" and t["b"] == "一般挽留客户" and t["c"] == "一般发展客户"
    assert score_rfm(df, scheme="cn8", lang="en").table.set_index("customer_id").loc["a", "segment"] == \
        "Important value"
    assert score_rfm(df, lang="zh").table["segment"].isin(RFM_RULES.labels("zh")).all()
    assert res.means["frequency"] == pytest.approx(4 / 3)


def test_custom_rules_and_bad_options():
    df = typed([("a", "1", "2024-03-01", 10), ("b", "2", "2024-01-01", 1)])
    res = score_rfm(df, rules={"rules": [{"name": "Recent", "r": "4-5"}], "default": "Rest"})
    assert set(res.table["segment"]) == {"Recent", "Rest"}
    with pytest.raises(UsageError):
        score_rfm(df, bins=1)
    with pytest.raises(UsageError):
        score_rfm(df, scheme="nope")
    with pytest.raises(UsageError):
        score_rfm(df, as_of="not a date")


def test_bins_other_than_five_still_use_the_five_point_table():
    rng = np.random.default_rng(1)
    n = 300
    df = typed([(f"c{i % 97}", str(i), f"2024-01-{1 + i % 28:02d}", float(rng.integers(1, 500))) for i in range(n)])
    for bins in (3, 10):
        res = score_rfm(df, bins=bins)
        assert res.table[["r_score", "f_score", "m_score"]].isin(range(1, bins + 1)).all().all()
        assert res.table["segment"].isin(RFM_RULES.labels()).all()
    assert "-" in score_rfm(df, bins=10).table["rfm_score"].iloc[0]


# ----------------------------------------------------------------- properties

order_rows = st.lists(
    st.tuples(st.sampled_from(list("abcdefghij")), st.integers(0, 30),
              st.integers(0, 400), st.sampled_from([1.0, 5.0, 5.0, 20.0, -3.0, 100.0, 1000.0])),
    min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(order_rows, st.integers(2, 9), st.sampled_from(["rfm", "cn8"]))
@pytest.mark.slow
def test_properties(rows, bins, scheme):
    df = typed([(c, str(o), str(dt.date(2024, 1, 1) + dt.timedelta(days=d)), a) for c, o, d, a in rows])
    before = df.copy()
    # a customer whose orders (same customer and order id) are all negative has only credit notes: no row
    net = df.groupby(["customer_id", "order_id"])["amount"].sum().round(2)
    buyers = set(net[net >= 0].index.get_level_values(0))
    if not buyers:
        with pytest.raises(DataError, match="credit note"):
            score_rfm(df, bins=bins, scheme=scheme)
        return
    res = score_rfm(df, bins=bins, scheme=scheme)
    pd.testing.assert_frame_equal(df, before)                      # input untouched
    t = res.table
    assert t["customer_id"].is_unique and set(t["customer_id"]) == buyers
    assert (t["frequency"] >= 1).all()
    for col in ("r_score", "f_score", "m_score"):
        assert t[col].between(1, bins).all()                        # scores in range
    for col, score, sign in (("recency_days", "r_score", -1), ("frequency", "f_score", 1), ("monetary", "m_score", 1)):
        v, s = t[col].to_numpy(), t[score].to_numpy()
        # equal values -> equal scores; monotone (recency reversed)
        assert (t.groupby(col)[score].nunique() == 1).all()
        order = np.argsort(sign * v, kind="stable")
        assert (np.diff(s[order]) >= 0).all()
    assert t["segment"].isin(res.rules.labels(res.lang)).all() and (t["segment"] != "").all()
    assert t["tier"].isin(["high", "mid", "low"]).all()
    assert res.segments["customers"].sum() == len(t)
    assert res.orders == t["frequency"].sum()


@given(st.lists(st.sampled_from([0.0, 1.5, 10.0, 99.99, 100.0, 250.0, float("nan")]), max_size=60),
       st.sampled_from([((0.2, 0.3, 0.5)), (1.0,), (0.5, 0.5), (0.0, 0.1, 0.9)]))
def test_tiers_rank_as_pandas_ranks_ties(values, shares):
    """A customer's tier by how many have a strictly larger monetary (ties share the better tier), the
    same as pandas' rank(method="min") gives, NaN included."""
    m = np.array(values, dtype=np.float64)
    tiers = [(f"t{i}", s) for i, s in enumerate(shares)]
    n = len(m)
    rank = pd.Series(m).rank(method="min", ascending=False).to_numpy() - 1
    want = np.searchsorted(np.cumsum(shares)[:-1], rank / max(n, 1), side="right")
    assert assign_tiers(m, tiers).tolist() == [f"t{i}" for i in want]


@given(st.lists(st.tuples(*[st.integers(1, 5)] * 3), min_size=1, max_size=40))
def test_rfm_code_is_the_three_scores(scores):
    from crmcli.rfm.scoring import _rfm_code

    got = _rfm_code({d: np.array([s[i] for s in scores]) for i, d in enumerate("rfm")}, 5)
    assert got.tolist() == [f"{r}{f}{m}" for r, f, m in scores] and str(got.dtype) == "str"
