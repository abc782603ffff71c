"""Segment rule tables: the DESIGN.md tables as data, cell analysis, loading from crm.toml data."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from crmcli.errors import UsageError
from crmcli.segments import (CN8_RULES, RFM_RULES, assign_segments, describe_rules, load_rules, parse_levels,
                             rescale_scores)


def seg(table, r, f, m):
    idx = assign_segments(table, np.array([r - 1]), np.array([f - 1]), np.array([m - 1]))[0]
    return table.labels()[idx]


def test_rfm_table_first_match_wins():
    assert [r.name for r in RFM_RULES.rules][:3] == ["Champions", "Potential Loyalist", "Loyal Customers"]
    assert seg(RFM_RULES, 5, 5, 5) == "Champions"
    assert seg(RFM_RULES, 5, 5, 4) == "Potential Loyalist"
    assert seg(RFM_RULES, 4, 1, 4) == "Promising"
    assert seg(RFM_RULES, 5, 1, 1) == "New Customers"
    assert seg(RFM_RULES, 1, 4, 5) == "Can't Lose Them"
    assert seg(RFM_RULES, 1, 5, 5) == "At Risk"
    assert seg(RFM_RULES, 3, 1, 1) == "About To Sleep"
    assert seg(RFM_RULES, 1, 1, 1) == "Lost"
    assert seg(RFM_RULES, 2, 5, 1) == "Others"


def test_describe_rules_counts_cells_and_flags():
    rep = describe_rules(RFM_RULES)
    assert rep.cells == 125
    assert rep.rules["owned"].sum() + rep.unmatched_cells == 125
    assert rep.rules.loc[0, "owned"] == 1 and rep.rules.loc[1, "overlaps"] == "Champions"
    assert not rep.rules["never_matches"].any()
    cn8 = describe_rules(CN8_RULES, ["重要价值客户", "一般挽留客户", "一般挽留客户", "其他"])
    assert cn8.cells == 8 and cn8.unmatched_cells == 0 and list(cn8.rules["owned"]) == [1] * 8
    assert cn8.unmatched_share == 0.25 and cn8.rules.loc[7, "customers"] == 2
    shadowed = load_rules({"rules": [{"name": "Any", "r": "*"}, {"name": "Top", "r": 5}]})
    rep = describe_rules(shadowed)
    assert rep.rules.loc[1, "never_matches"] and "can never match" in rep.warnings[0]


def test_load_rules_from_toml():
    doc = tomllib.loads('''
[rfm]
basis = "score"
default = "Rest"
[[rfm.rules]]
name = "Best"
label_zh = "最好"
r = "4-5"
f = [4, 5]
m = 5
[[rfm.rules]]
name = "Gone"
r = "1"
''')
    table = load_rules(doc["rfm"])
    assert table.rules[0].f == (4, 5) and table.rules[0].m == (5,) and table.rules[1].f == (1, 2, 3, 4, 5)
    assert table.labels("zh") == ["最好", "Gone", "其他"] and table.default == "Rest"
    mean = load_rules({"basis": "mean", "rules": [{"name": "Hot", "r": "high", "m": "高"}]})
    assert mean.rules[0].r == ("high",) and mean.rules[0].f == ("low", "high")


@pytest.mark.parametrize("bad", [
    {"rules": []}, {"rulez": [{"name": "x"}]}, {"rules": [{"name": "x", "q": 1}]}, {"rules": [{"r": 1}]},
    {"rules": [{"name": "x", "r": "6"}]}, {"rules": [{"name": "x", "r": "a-b"}]}, {"basis": "median", "rules": [{}]},
    {"basis": "mean", "rules": [{"name": "x", "r": "3"}]},
])
def test_load_rules_rejects(bad):
    with pytest.raises(UsageError):
        load_rules(bad)


def test_parse_levels_and_rescale():
    assert parse_levels("3–5") == (3, 4, 5) and parse_levels("1,3") == (1, 3) and parse_levels(None) == (1, 2, 3, 4, 5)
    assert list(rescale_scores(np.array([1, 2, 3]), 3, 5)) == [1, 3, 5]
    assert list(rescale_scores(np.array([1, 10]), 10, 5)) == [1, 5]
