"""crm basket / find_associations: against mlxtend's rules, against brute-force counts, hand-checked tables, CLI."""

from __future__ import annotations

import io
import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from crmcli.basket import SEPARATOR, find_associations
from crmcli.errors import DataError, UsageError
from crmcli.io import read_table

DATA = Path(__file__).resolve().parent / "data" / "basket"


def rules_by_key(result) -> dict[tuple[tuple[str, ...], str], tuple[float, float, float]]:
    return {(tuple(r.antecedent.split(SEPARATOR)), r.consequent): (r.support, r.confidence, r.lift)
            for r in result.rules.itertuples()}


# ----------------------------------------------------------------- against mlxtend (golden file)


def test_rules_equal_mlxtend_apriori_and_association_rules():
    """mlxtend 0.25.0 apriori + association_rules on the same orders (tests/data/basket/make_mlxtend_rules.py
    made the golden file; mlxtend itself is too heavy to be a test dependency). Cancelled and unpaid orders
    and the repeated line are left out by the order rules, as the golden script leaves out every order not
    交易成功; rules with one consequent are the ones crm lists."""
    golden = json.loads((DATA / "mlxtend_rules.json").read_text(encoding="utf-8"))
    res = find_associations(read_table(DATA / "orders.csv"), max_size=3, min_support=golden["min_support"],
                            min_count=1)
    assert res.baskets == golden["transactions"] == 14
    want = {(tuple(r["antecedents"]), r["consequents"][0]): (r["support"], r["confidence"], r["lift"])
            for r in golden["rules"] if len(r["consequents"]) == 1}
    got = rules_by_key(res)
    assert set(got) == set(want) and len(got) == 15
    for key, values in want.items():
        assert got[key] == pytest.approx(values), key
    sets = {tuple(s.split(SEPARATOR)): v for s, v in zip(res.itemsets["itemset"], res.itemsets["support"])}
    assert sets == pytest.approx({tuple(s["items"]): s["support"] for s in golden["itemsets"]})


# ----------------------------------------------------------------- against a brute-force count


def brute_force(baskets: dict[str, set[str]], size: int) -> Counter:
    counts: Counter = Counter()
    for items in baskets.values():
        for combo in itertools.combinations(sorted(items), size):
            counts[combo] += 1
    return counts


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_pair_and_triple_counts_equal_an_itertools_count(seed):
    rng = np.random.default_rng(seed)
    n = 600
    orders = rng.integers(0, 150, n).astype(str)
    products = rng.choice(list("ABCDEFGHIJ"), n, p=np.linspace(2, 0.5, 10) / np.linspace(2, 0.5, 10).sum())
    lines = pd.DataFrame({"order_id": orders, "product": products})
    baskets: dict[str, set[str]] = {}
    for o, p in zip(orders, products):
        baskets.setdefault(o, set()).add(p)
    res = find_associations(lines, max_size=3, min_support=0.0, min_count=3)
    assert res.baskets == len(baskets)
    single = brute_force(baskets, 1)
    for size in (2, 3):
        want = {k: v for k, v in brute_force(baskets, size).items() if v >= 3}
        sets = res.itemsets[res.itemsets["size"] == size]
        assert dict(zip((tuple(s.split(SEPARATOR)) for s in sets["itemset"]), sets["count"])) == want
    pairs = brute_force(baskets, 2)
    for r in res.rules.itertuples():
        ante = tuple(r.antecedent.split(SEPARATOR))
        both = tuple(sorted(ante + (r.consequent,)))
        n_ante = pairs[ante] if len(ante) == 2 else single[ante]
        assert r.count == brute_force(baskets, len(both))[both]
        assert r.confidence == pytest.approx(r.count / n_ante)
        assert r.lift == pytest.approx(r.count / n_ante / (single[(r.consequent,)] / len(baskets)))


def then_bought_by_hand(lines: pd.DataFrame, window: int, as_of: pd.Timestamp) -> dict[tuple[str, str], int]:
    """Customers who bought a in an order and b in a later order within window days (a's window observed)."""
    hits: dict[tuple[str, str], set] = {}
    rows = list(lines.itertuples(index=False))
    for r in rows:
        if r.order_date.normalize() + pd.Timedelta(days=window) > as_of:
            continue
        for s in rows:
            if (s.customer_id == r.customer_id and s.order_date > r.order_date and s.product != r.product
                    and (s.order_date.normalize() - r.order_date.normalize()).days <= window):
                hits.setdefault((r.product, s.product), set()).add(r.customer_id)
    return {k: len(v) for k, v in hits.items()}


@pytest.mark.parametrize("seed", [5, 6])
def test_then_bought_counts_equal_a_nested_loop(seed):
    rng = np.random.default_rng(seed)
    n = 300
    cust = rng.integers(0, 40, n)
    lines = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)], "customer_id": [f"c{c}" for c in cust],
        "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
        + pd.to_timedelta(rng.integers(0, 24, n), unit="h"),
        "product": rng.choice(list("ABCDEF"), n)})
    res = find_associations(lines, window=20, min_support=0.0, min_count=1)
    want = then_bought_by_hand(lines, 20, lines["order_date"].max().normalize())
    got = {(r.antecedent, r.consequent): r.count for r in res.rules.itertuples()}
    assert got == want


# ----------------------------------------------------------------- hand-checked tables


def test_category_level_hand_checked():
    """Categories per counted order: 咖啡 9, 茶 6, 杯具 5 of 14; 杯具 + 茶 in B05, B07, B16; 咖啡 + 杯具 in
    B06, B12; 咖啡 + 茶 only in B13 (below 2 orders: not frequent)."""
    res = find_associations(read_table(DATA / "orders.csv"), by="category")
    got = {(r.antecedent, r.consequent): (r.count, r.antecedent_count, r.consequent_count)
           for r in res.rules.itertuples()}
    assert got == {("杯具", "茶"): (3, 5, 6), ("茶", "杯具"): (3, 6, 5), ("咖啡", "杯具"): (2, 9, 5),
                   ("杯具", "咖啡"): (2, 5, 9)}
    top = res.rules.iloc[0]
    assert top["lift"] == pytest.approx(3 * 14 / (5 * 6)) and top["support"] == pytest.approx(3 / 14)
    assert res.threshold == 2 and res.dropped == {"duplicate-row": 1, "cancelled": 2, "unpaid": 1}


def test_then_bought_hand_checked():
    lines = pd.DataFrame({
        "order_id": ["1", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        "customer_id": ["c1", "c1", "c1", "c2", "c2", "c3", "c3", "c4", "c4", "c5"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-10", "2024-01-01", "2024-03-01",
                                      "2024-02-01", "2024-02-05", "2024-02-01", "2024-02-02", "2024-04-30"]),
        "product": ["A", "C", "B", "A", "B", "A", "B", "B", "A", "A"]})
    res = find_associations(lines, window=30, min_support=0, min_count=1, max_size=3)
    got = {(r.antecedent, r.consequent): (r.count, r.antecedent_count, r.consequent_count)
           for r in res.rules.itertuples()}
    # c1: A, C then B 9 days later; c2: B 60 days after A (too late); c3: A then B; c4: B then A;
    # c5 bought A on the last day: its window is not over, so it is no antecedent
    assert got == {("A + C", "B"): (1, 1, 4), ("C", "B"): (1, 1, 4), ("A", "B"): (2, 4, 4), ("B", "A"): (1, 4, 5)}
    assert res.baskets == 5 and res.unit == "customers"
    ab = res.rules.set_index(["antecedent", "consequent"]).loc[("A", "B")]
    assert ab["confidence"] == 0.5 and ab["lift"] == pytest.approx(0.5 / (4 / 5))
    assert any("not antecedents" in n for n in res.notes)


def test_credit_notes_negative_lines_and_blank_products_are_no_purchase():
    table = pd.DataFrame({"订单号": ["1", "1", "2", "2", "3", "3", "4", "4"],
                          "客户": ["a", "a", "b", "b", "c", "c", "d", "d"],
                          "日期": ["2024-01-01"] * 8,
                          "商品": ["X", "Y", "X", "Y", "X", "Y", "X", ""],
                          "金额": ["10", "20", "30", "-20", "-10", "-20", "10", "5"]},
                         index=pd.RangeIndex(2, 10, name="row"))
    res = find_associations(table, min_count=1)
    # order 1: X, Y; order 2: Y is a returned line; order 3 is a credit note; order 4: a blank product
    assert res.baskets == 3
    assert {(r.antecedent, r.consequent): r.count for r in res.rules.itertuples()} == {("X", "Y"): 1, ("Y", "X"): 1}
    assert res.dropped == {"credit-note": 2, "negative-line": 1, "no-product": 1}


def test_min_confidence_top_and_the_default_threshold():
    res = find_associations(read_table(DATA / "orders.csv"), min_confidence=0.7)
    assert (res.rules["confidence"] >= 0.7).all() and len(res.rules) == 3
    assert len(find_associations(read_table(DATA / "orders.csv"), top=2).rules) == 2
    many = pd.DataFrame({"order_id": np.repeat(np.arange(1000), 2).astype(str),
                         "product": np.tile(["A", "B"], 1000)})
    many.loc[:11, "product"] = ["C", "D"] * 6  # C + D in 6 of 1,000 orders: under 1 %
    res = find_associations(many)
    assert res.threshold == 10 and set(res.rules["antecedent"]) == {"A", "B"}


@pytest.mark.parametrize("kw, match", [(dict(max_size=4), "must be 2"), (dict(min_support=2.0), "share"),
                                        (dict(by="category"), "no category column"), (dict(window=0), "at least 1"),
                                        (dict(min_confidence=-1), "from 0 to 1")])
def test_usage_errors(kw, match):
    with pytest.raises(UsageError, match=match):
        find_associations(pd.DataFrame({"订单号": ["1"], "日期": ["2024-01-01"], "商品": ["X"], "金额": ["1"]}), **kw)


def test_no_product_lines_is_a_data_error():
    with pytest.raises(DataError):
        find_associations(pd.DataFrame({"订单号": ["1"], "日期": ["2024-01-01"], "商品": [""], "金额": ["1"]}))


# ----------------------------------------------------------------- CLI


def test_cli_stdout_equals_the_library(run):
    res = run(["basket", DATA / "orders.csv", "--max-size", "3", "--min-support", "10%", "-o", "-"])
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(io.StringIO(res.stdout))
    lib = find_associations(read_table(DATA / "orders.csv"), max_size=3, min_support=0.10).rules
    assert list(got.columns) == list(lib.columns)
    assert got["antecedent"].tolist() == lib["antecedent"].tolist()
    assert got["lift"].tolist() == pytest.approx(lib["lift"].tolist())
    assert "basket: 14 orders, 6 product values" in res.stderr and "咖啡豆 + 磨豆机" in res.stderr


def test_cli_xlsx_has_rules_and_itemsets_with_formats(run, tmp_path):
    out = tmp_path / "b.xlsx"
    res = run(["basket", DATA / "orders.csv", "-o", out, "-q"])
    assert res.exit_code == 0, res.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["rules", "itemsets"]
    head = [c.value for c in wb["rules"][1]]
    assert head == ["antecedent", "consequent", "size", "count", "antecedent_count", "consequent_count", "support",
                    "confidence", "lift"]
    assert wb["rules"].cell(2, head.index("support") + 1).number_format == "0.0%"
    assert wb["rules"].cell(2, head.index("lift") + 1).number_format == "0.00"


def test_cli_window_and_errors(run, tmp_path):
    res = run(["basket", DATA / "orders.csv", "--window", "7", "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr
    res = run(["basket", DATA / "orders.csv", "--max-size", "4"])
    assert res.exit_code == 2 and res.stderr.startswith("crm: error: --max-size 4 must be 2")
    res = run(["basket", DATA / "orders.csv", "--min-support", "lots"])
    assert res.exit_code == 2 and "--min-support 'lots' is not a share" in res.stderr
    src = tmp_path / "no_product.csv"
    src.write_text("订单号,日期,金额\n1,2024-01-01,5\n", encoding="utf-8")
    res = run(["basket", src])
    assert res.exit_code == 2 and "no product column" in res.stderr and "--map product=COLUMN" in res.stderr
