"""The dedupe stages: comparators, blocking, scoring, clustering guards, merge rules."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmcli.dedupe import Comparator, dedupe_table, explain_pair, find_duplicates, merge_duplicates
from crmcli.dedupe.block import BlockKey, block_pairs
from crmcli.dedupe.cluster import connected_components, guard_components
from crmcli.dedupe.compare import name_key, parse_on
from crmcli.dedupe.merge import assign_cluster_ids
from crmcli.errors import UsageError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from make_customers import COMMON, generate  # noqa: E402
from metrics import pairwise_scores  # noqa: E402


def _levels(kind: str, a: list[str], b: list[str]) -> list[int]:
    comp = Comparator("x", kind)
    prep = comp.prepare(pd.Series(a + b))
    n = len(a)
    lv, _ = comp.compare(prep, np.arange(n), np.arange(n, 2 * n))
    return lv.tolist()


@pytest.mark.parametrize("a, b", [("Smith, John", "John Smith"), ("Mr John SMITH", "john smith"),
                                  ("张伟先生", "张伟"), ("张 伟", "张伟"), ("王芳女士", "王 芳"), ("Ｊｏｈｎ", "john")])
def test_name_key_folds_order_honorifics_spaces(a, b):
    assert name_key(a) == name_key(b)


def test_name_comparator_levels():
    assert _levels("name", ["John Smith", "Jon Smith", "John Smith", ""], ["Smith, John", "John Smith", "Mary Lee", "x"]) \
        == [3, 2, 0, -1]


def test_phone_email_date_number_levels():
    assert _levels("phone", ["8613812345678", "8613812345678"], ["8613812345679", "8613999999999"]) == [1, 0]
    assert _levels("email", ["a.b@x.com", "a.b@x.com", "a.b@x.com"], ["A.B@X.COM", "a.b@y.org", "zz@q.com"]) == [3, 2, 0]
    assert _levels("date", ["19560409", "19560409", "19560409"], ["19560904", "19560408", "20011231"]) == [2, 2, 0]
    assert _levels("number", ["100", "100", "100"], ["100", "103", "200"]) == [2, 1, 0]
    assert _levels("exact", ["2119", ""], ["2119", "2119"]) == [1, -1]


def test_parse_on_repeatable_and_comma_separated():
    assert parse_on(["a:name,b", "c:date"], ["a", "b", "c"]) == [("a", "name"), ("b", None), ("c", "date")]
    with pytest.raises(UsageError):
        parse_on(["nope:name"], ["a"])


def test_block_pairs_all_pairs_in_small_blocks_and_window_in_big():
    codes = np.array([0, 0, 0, 1, -1, 1] + [2] * 50)
    flat = block_pairs(BlockKey("k", codes, window=3))
    pairs = {(int(p // len(codes)), int(p % len(codes))) for p in flat}
    assert {(0, 1), (0, 2), (1, 2), (3, 5)} <= pairs
    assert not any(4 in p for p in pairs)
    big = [p for p in pairs if p[0] >= 6]
    assert len(big) == 50 * 3 - 6          # sorted neighbourhood: each record with its 3 next


def test_blocking_recall_on_generated_customers():
    frame = generate(3000, seed=5).astype(str)
    dup = find_duplicates(frame.drop(columns=["entity"]).rename(columns={"name": "客户名称", "phone": "手机"}))
    ent = frame["entity"].to_numpy()
    cand = set(zip(dup.left.tolist(), dup.right.tolist()))
    groups = pd.Series(np.arange(len(frame))).groupby(ent).apply(list)
    true = [(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1:]]
    recall = sum((min(a, b), max(a, b)) in cand for a, b in true) / len(true)
    assert recall >= 0.99
    assert dup.stats["comparisons"] < 30 * len(frame)


def test_zero_config_f1_and_common_name_strangers_apart():
    frame = generate(3000, seed=7).astype(str)
    table = frame.drop(columns=["entity"]).rename(columns={"name": "Name", "phone": "Phone", "email": "Email",
                                                           "city": "City", "address": "Address"})
    dup = find_duplicates(table)
    assert pairwise_scores(dup.label, frame["entity"])["f1"] >= 0.95


def test_common_name_alone_never_merges():
    base = generate(1500, seed=11).astype(str).drop(columns=["entity"])
    strangers = pd.DataFrame({"name": ["张伟"] * 6 + ["欧阳娜娜", "欧阳娜娜"],
                              "phone": ["13811112222", "15923456789", "18634567890", "13745678901", "17756789012",
                                        "15067890123", "13912345678", "139 1234 5678"],
                              "email": ["zhangwei@qq.com", "wei.z@163.com", "zw1985@gmail.com", "zhang_w@sina.com",
                                        "weiwei@126.com", "zw@example.cn", "", "oy@163.com"],
                              "city": ["北京", "上海", "广州", "深圳", "北京", "成都", "南京", "南京"],
                              "address": [""] * 8})
    table = pd.concat([strangers, base], ignore_index=True)
    table.index = pd.RangeIndex(2, len(table) + 2, name="row")
    dup = find_duplicates(table)
    assert len(set(dup.label[:6])) == 6
    assert dup.label[6] == dup.label[7]


def test_connected_components_and_chaining_guard():
    label = connected_components(5, np.array([0, 1, 3]), np.array([1, 2, 4]))
    assert label.tolist() == [0, 0, 0, 3, 3]
    # A~B strong, B~C weaker, but A and C clearly differ: C must leave
    weights = {(0, 1): 20.0, (1, 2): 5.0, (0, 2): -30.0}

    def score(a, b):
        return np.array([weights[(int(x), int(y))] for x, y in zip(a, b)])

    new, stats = guard_components(label, np.array([0, 1]), np.array([1, 2]), np.array([20.0, 5.0]), score, -10.0)
    assert new[0] == new[1] != new[2]
    assert stats["components_split"] == 1


def _table():
    t = pd.DataFrame({"Name": ["John Smith", "Smith, John", "Mary Lee", "J. Smith"],
                      "Phone": ["13812345678", "138 1234 5678", "13900000000", "13711112222"],
                      "Email": ["js@x.com", "", "m@x.com", "JS@X.COM"],
                      "Created": ["2023-01-01", "2024-05-01", "2023-01-01", "2022-01-01"],
                      "Note": ["a", "longer note", "", "b"]})
    t.index = pd.RangeIndex(2, 6, name="row")
    return t


def test_merge_rules_keep_every_phone_and_provenance():
    t = _table()
    merged = merge_duplicates(t, np.array([1, 1, 2, 1]), multi_value={"Phone": pd.Series(
        ["+8613812345678", "+8613812345678", "+8613900000000", "+8613711112222"], index=t.index)},
        recency=pd.to_datetime(t["Created"]))
    row = merged.iloc[0]
    assert row["Phone"] == "13812345678; 13711112222"
    assert row["Note"] == "longer note"                  # most complete
    assert row["source_rows"] == "2;3;5"
    assert "Note←3" in row["provenance"] and "Phone←2,5" in row["provenance"]
    assert len(merged) == 2
    recent = merge_duplicates(t, np.array([1, 1, 2, 1]), keep="recent", recency=pd.to_datetime(t["Created"]))
    assert recent.iloc[0]["Name"] == "Smith, John" and recent.iloc[0]["Created"] == "2024-05-01"
    freq = merge_duplicates(t, np.array([1, 1, 2, 1]), keep="frequent")
    assert freq.iloc[0]["Name"] in {"John Smith", "Smith, John", "J. Smith"}
    with pytest.raises(UsageError):
        merge_duplicates(t, np.array([1, 1, 2, 1]), keep="best")


def test_stable_cluster_ids_with_previous():
    t = _table()
    ids = assign_cluster_ids(t, np.array([0, 0, 2, 3]))
    assert ids.tolist() == [1, 1, 2, 3]
    prev = t.copy()
    prev["cluster_id"] = [7, 7, 9, 4]
    again = assign_cluster_ids(t, np.array([0, 0, 2, 3]), prev)
    assert again.tolist() == [7, 7, 9, 4]
    grown = pd.concat([t, t.iloc[[2]].assign(Name="Someone New", Phone="1")])
    grown.index = pd.RangeIndex(2, 7, name="row")
    ids2 = assign_cluster_ids(grown, np.array([0, 0, 2, 3, 4]), prev)
    assert ids2.tolist()[:4] == [7, 7, 9, 4] and ids2[4] == 10


def test_dedupe_table_outputs_and_explain():
    frame = generate(400, seed=3).astype(str)
    table = frame.rename(columns={"name": "客户名称", "phone": "手机", "email": "邮箱", "city": "城市", "address": "地址"})
    table.index = pd.RangeIndex(2, len(table) + 2, name="row")
    res = dedupe_table(table)
    assert len(res.merged) == res.clusters["cluster_id"].nunique() < len(table)
    assert list(res.clusters.columns[-3:]) == ["cluster_id", "cluster_size", "match_score"]
    assert len(res.clusters) == len(table)
    assert {"row_l", "row_r", "客户名称_sim", "客户名称_weight", "match_probability"} <= set(res.pairs.columns)
    assert len(res.pairs) == res.stats["comparisons"]
    assert res.review["match_probability"].between(0.5, 0.99).all()
    pair = res.pairs.sort_values("match_probability").iloc[-1]
    exp = explain_pair(res, str(pair["row_l"]), str(pair["row_r"]))
    assert exp["field"].tolist()[-2:] == ["(prior)", "(total)"]
    assert exp.iloc[-1]["level"] == "match"
    assert res.stats["merged_rows"] + res.stats["rows_removed"] == len(table)


# ----------------------------------------------------------------------------- organisations, addresses, phones


def test_company_keys_drop_legal_forms_and_write_out_abbreviations():
    from crmcli.dedupe.org import company_key

    assert company_key("Salvation Army - Temple / Salvation Army") == company_key("SALVATION ARMY TEMPLE")
    assert company_key("St. Kevin's Ctr, Inc.") == company_key("SAINT KEVINS CENTER")
    assert company_key("Acme Ltd") == company_key("ACME LIMITED") == company_key("The Acme Co.")
    assert company_key("张三科技有限公司") == company_key("张三科技分公司") == company_key("张三科技")
    assert company_key("Chicago Youth Centers - Tots Express") != company_key("Henry Booth House - Tots Express")


def test_company_comparator_weighs_rare_words():
    names = ["Chicago Youth Centers - Rebecca Crown", "CHICAGO YOUTH CENTERS REBECCA K. CROWN",
             "Chicago Youth Centers - Fellowship House", "Whittier", "Whittier, John Greenleaf",
             "International Business Machines", "IBM"] + [f"Chicago Youth Centers - Site {i}" for i in range(20)]
    comp = Comparator("x", "company")
    prep = comp.prepare(pd.Series(names))
    lv, sim = comp.compare(prep, np.array([0, 0, 3, 5]), np.array([1, 2, 4, 6]))
    assert sim[0] >= 0.85 and lv[0] >= 2          # the same site, written two ways
    assert lv[1] == 0                               # a sibling site of the agency: only common words shared
    assert lv[2] >= 2 and lv[3] >= 2                # contained name; initials


def test_address_house_number_is_its_own_level_and_street_words_fold():
    assert _levels("address", ["1020 W Bryn Mawr Ave", "1 North Ogden Avenue", "4293 W. Garfield",
                               "8146 W Foster"],
                   ["1030 W Bryn Mawr Ave", "1 N OGDEN AVE", "4293 W. Garfield Blvd.",
                    "8146-50 West Foster Avenue Building Z"]) == [0, 4, 3, 3]


def test_phone_local_number_matches_its_full_form():
    # 7-digit local numbers (invalid for the region) compare on their digits: the last 7 agree
    assert _levels("phone", ["2262649", "2262649"], ["7732262649", "2262648"]) == [1, 1]
    assert _levels("phone", ["2262649"], ["5551234"]) == [0]


def test_swapped_given_name_and_surname_compare_crossed():
    t = pd.DataFrame({"first_name": ["Noah", "Watson", "Mia"], "surname": ["Watson", "Noah", "Cooke"],
                      "dob": ["2008-03-23", "2008-03-23", "2013-12-31"]})
    t.index = pd.RangeIndex(2, 5, name="row")
    dup = find_duplicates(t)
    exp = dup.explain(0, 1)
    assert exp["level"].tolist()[:2] == ["exact", "exact"]
    assert dup.label[0] == dup.label[1] != dup.label[2]


def test_public_people_set_zero_config():
    """Splink's fake_1000 (made-up people, MIT): zero-config pairwise F1 at the default threshold."""
    import crmcli

    t = crmcli.read_table(Path(__file__).resolve().parent / "data" / "fake_1000.csv")
    dup = find_duplicates(t.drop(columns=["group"]))
    assert pairwise_scores(dup.label, t["group"])["f1"] >= 0.95


def test_generated_organisation_sites_zero_config():
    from make_sites import generate as sites

    frame = sites(600, seed=3)
    dup = find_duplicates(frame.drop(columns=["True Id"]))
    assert dup.stats["compared_on"][0] == "Site name:company"
    assert pairwise_scores(dup.label, frame["True Id"])["f1"] >= 0.95
