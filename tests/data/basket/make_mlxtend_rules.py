"""Make ``mlxtend_rules.json``: mlxtend's apriori + association_rules on ``orders.csv`` (the golden file
``tests/test_basket.py`` compares ``crm basket`` with). mlxtend pulls in scikit-learn, scipy and
matplotlib (~490 MB), so it is not a test dependency; run this once in a venv that has it:

    python -m venv /tmp/mlx && /tmp/mlx/bin/pip install mlxtend==0.25.0
    /tmp/mlx/bin/python tests/data/basket/make_mlxtend_rules.py

Transactions are read here on their own, with the csv module: one per order number (订单号), the
set of its products (商品), orders whose status (订单状态) is not 交易成功 left out.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import mlxtend
import pandas as pd
from mlxtend.frequent_patterns import apriori, association_rules
from mlxtend.preprocessing import TransactionEncoder

HERE = Path(__file__).resolve().parent
MIN_SUPPORT = 2 / 14 - 1e-9  # an item set in at least 2 of the 14 counted orders


def main() -> None:
    baskets: dict[str, set[str]] = {}
    with open(HERE / "orders.csv", encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            if rec["订单状态"] == "交易成功":
                baskets.setdefault(rec["订单号"], set()).add(rec["商品"])
    enc = TransactionEncoder()
    onehot = pd.DataFrame(enc.fit(list(baskets.values())).transform(list(baskets.values())), columns=enc.columns_)
    sets = apriori(onehot, min_support=MIN_SUPPORT, use_colnames=True, max_len=3)
    rules = association_rules(sets, metric="confidence", min_threshold=0.0)
    out = {"mlxtend": mlxtend.__version__, "transactions": len(baskets), "min_support": MIN_SUPPORT,
           "itemsets": [{"items": sorted(s), "support": float(v)} for s, v in zip(sets["itemsets"], sets["support"])],
           "rules": [{"antecedents": sorted(r.antecedents), "consequents": sorted(r.consequents),
                      "support": float(r.support), "confidence": float(r.confidence), "lift": float(r.lift)}
                     for r in rules.itertuples()]}
    (HERE / "mlxtend_rules.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(baskets)} transactions, {len(sets)} item sets, {len(rules)} rules")


if __name__ == "__main__":
    main()
