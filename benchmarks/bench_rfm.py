"""Bench: score_rfm vs a plain vectorized pandas groupby computing the same R/F/M.

    python benchmarks/bench_rfm.py [--orders 1000000] [--customers 100000] [--repeat 3]

Data: deterministic synthetic orders (customer ids ``C000123``, unique order ids, dates over two
years, amounts with 3 % refunds). The ratio is score_rfm (scores, segments, tiers, summary
included) on a typed frame ÷ the baseline groupby (recency from the max date, frequency =
distinct order ids of purchases, monetary = sum with credit notes netted), best of ``--repeat`` runs
each, measured in this run.
Also printed: the end-to-end time from a text frame (what read_table gives) through
prepare_orders (field normalization, duplicates, order grouping) and scoring.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crmcli.rfm import score_rfm  # noqa: E402

TARGET = 1.5


def make_orders(n: int, customers: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cust = rng.zipf(1.3, n) % customers  # skewed: a few heavy buyers, many one-off
    cust[:customers] = np.arange(customers)  # every customer has at least one order
    ids = np.char.add("C", np.char.zfill(cust.astype(str), 6))
    days = rng.integers(0, 730, n)
    amount = np.round(rng.gamma(2.0, 60.0, n), 2)
    amount[rng.random(n) < 0.03] *= -1
    return pd.DataFrame({
        "customer_id": pd.Series(ids, dtype="str"),
        "order_id": pd.Series(np.char.add("SO", np.arange(n).astype(str)), dtype="str"),
        "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D"),
        "amount": amount,
    })


def baseline(df: pd.DataFrame) -> pd.DataFrame:
    """R/F/M by the definitions: a refund with its own order id (a negative order) is a credit
    note — it nets into monetary but is no purchase (frequency, recency); customers with only
    credit notes get no row."""
    buys = df[df["amount"] >= 0]
    g = buys.groupby("customer_id", sort=True)
    out = g.agg(last=("order_date", "max"), frequency=("order_id", "nunique"))
    out["monetary"] = df.groupby("customer_id", sort=True)["amount"].sum().reindex(out.index)
    as_of = df["order_date"].max().normalize()
    out["recency_days"] = (as_of - out["last"].dt.normalize()).dt.days
    return out


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    df = make_orders(args.orders, args.customers)
    print(f"data: {len(df):,} orders, {df['customer_id'].nunique():,} customers")
    t_base, base = best(lambda: baseline(df), args.repeat)
    t_rfm, res = best(lambda: score_rfm(df), args.repeat)

    t = res.table.set_index("customer_id")
    assert (t["frequency"].to_numpy() == base["frequency"].to_numpy()).all()
    assert (t["recency_days"].to_numpy() == base["recency_days"].to_numpy()).all()
    assert np.allclose(t["monetary"].to_numpy(), base["monetary"].to_numpy())

    ratio = t_rfm / t_base
    print(f"baseline groupby (R/F/M only): {t_base:.3f} s")
    print(f"score_rfm (typed frame, scores+segments+tiers): {t_rfm:.3f} s")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET}x) -> {'OK' if ratio <= TARGET else 'SLOW'}")

    text = pd.DataFrame({
        "订单号": df["order_id"], "客户ID": df["customer_id"],
        "下单日期": df["order_date"].dt.strftime("%Y-%m-%d").astype("str"),
        "金额": df["amount"].map("{:.2f}".format).astype("str"),
    })
    t0 = time.perf_counter()
    e2e = score_rfm(text)
    t_e2e = time.perf_counter() - t0
    assert len(e2e.table) == len(t)
    print(f"end-to-end from text (prepare_orders + score_rfm): {t_e2e:.3f} s")


if __name__ == "__main__":
    main()
