"""Bench: find_associations (crm basket) vs a plain pandas self-join of order lines, same pair counts.

    python benchmarks/bench_basket.py [--lines 1000000] [--products 50000] [--repeat 3] [--min-count 2]

Data: deterministic synthetic order lines (``order_id``, ``customer_id``, ``product``): orders of 1–12
lines (mean ≈ 3.3), products drawn with a Zipf-like popularity over ``--products`` names, plus a few
planted "bought together" pairs; a product may repeat inside an order (counted once).

Baseline: the pandas way to count pairs bought together — distinct (order, product) lines,
``merge`` on the order (a self-join), keep ``product_x < product_y``, ``groupby(...).size()`` —
then keep the pairs in at least ``--min-count`` orders. crm: ``find_associations`` on the same typed
lines with ``min_support=0`` and the same ``min_count``, building the whole rules table (both
directions, support, confidence, lift). Both are checked to give the same pairs with the same
counts; the ratio is crm ÷ baseline, the median of ``--repeat`` alternating runs, in this run
(target: < 1, i.e. faster).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crmcli.basket import SEPARATOR, find_associations  # noqa: E402


def make_lines(n_lines: int, n_products: int, seed: int = 17) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = np.minimum(rng.geometric(0.3, size=n_lines), 12)
    ends = np.cumsum(sizes)
    sizes = sizes[: int(np.searchsorted(ends, n_lines)) + 1]
    order = np.repeat(np.arange(len(sizes)), sizes)[:n_lines]
    weights = 1.0 / np.arange(1, n_products + 1) ** 0.9
    product = rng.choice(n_products, size=n_lines, p=weights / weights.sum())
    # planted associations: product k is often followed in its order by product k + 1
    planted = rng.random(n_lines) < 0.05
    follow = np.flatnonzero(planted[:-1] & (order[1:] == order[:-1]))
    product[follow + 1] = (product[follow] + 1) % n_products
    names = np.char.add("P", np.char.zfill(np.arange(n_products).astype(str), 5))
    return pd.DataFrame({
        "order_id": pd.Series(np.char.add("SO", order.astype(str)), dtype="str"),
        "customer_id": pd.Series(np.char.add("C", (order % max(1, len(sizes) // 3)).astype(str)), dtype="str"),
        "product": pd.Series(names[product], dtype="str"),
    })


def baseline(lines: pd.DataFrame, min_count: int) -> pd.Series:
    """Pair counts by a self-join of the distinct (order, product) lines."""
    d = lines[["order_id", "product"]].drop_duplicates()
    m = d.merge(d, on="order_id")
    m = m[m["product_x"] < m["product_y"]]
    counts = m.groupby(["product_x", "product_y"], sort=False).size()
    return counts[counts >= min_count]


def crm(lines: pd.DataFrame, min_count: int):
    return find_associations(lines, min_support=0.0, min_count=min_count)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--products", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--min-count", type=int, default=2)
    args = ap.parse_args()

    lines = make_lines(args.lines, args.products)
    print(f"data: {len(lines):,} order lines, {lines['order_id'].nunique():,} orders, "
          f"{lines['product'].nunique():,} products")
    t_base, t_crm = [], []
    base = res = None
    for _ in range(args.repeat):  # alternating, so drift on a shared machine hits both
        t, base = timed(lambda: baseline(lines, args.min_count))
        t_base.append(t)
        t, res = timed(lambda: crm(lines, args.min_count))
        t_crm.append(t)

    pairs = res.itemsets[res.itemsets["size"] == 2]
    got = dict(zip(pairs["itemset"], pairs["count"]))
    want = {f"{a}{SEPARATOR}{b}": int(n) for (a, b), n in base.items()}
    assert got == want, f"pair counts differ: {len(got)} vs {len(want)} pairs"
    assert len(res.rules) == 2 * len(want)
    med_base, med_crm = statistics.median(t_base), statistics.median(t_crm)
    ratio = med_crm / med_base
    print(f"same pairs and counts: {len(want):,} pairs in at least {args.min_count} orders ({len(res.rules):,} rules)")
    print(f"baseline pandas self-join (pair counts only): median {med_base:.2f} s of {args.repeat} "
          f"({', '.join(f'{t:.2f}' for t in t_base)})")
    print(f"crm find_associations (pairs + rules table): median {med_crm:.2f} s of {args.repeat} "
          f"({', '.join(f'{t:.2f}' for t in t_crm)})")
    print(f"ratio: {ratio:.2f}x (target < 1) -> {'OK' if ratio < 1 else 'SLOW'}")


if __name__ == "__main__":
    main()
