"""Messy order exports at scale, vectorized: 1M rows in ~2 s, 100M in minutes (not an hour).

    python benchmarks/gen_scale.py ROWS OUT.csv|OUT.parquet [--seed S] [--customers N]

The columns of ``gen_orders`` (订单号 客户ID 客户名称 联系电话 下单日期 产品 数量 金额 渠道) plus 订单状态,
with the messes real exports have, drawn per row with numpy and assembled with pyarrow compute:
phones plain / spaced / +86 / 0086 / Excel-lost (1.38E+10) / too short; dates ISO, ISO with time,
2024/3/5, 2024年3月5日, 20240305, 待定; amounts plain, ¥1,234.50, 1234.5元, N/A; a status column
with paid, cancelled, unpaid and refunded orders; ~0.5 % of rows exported twice. Written in
chunks (memory bounded by one chunk). The same seed gives the same file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HEADERS = ["订单号", "客户ID", "客户名称", "联系电话", "下单日期", "产品", "数量", "金额", "渠道", "订单状态"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]
PRODUCTS = np.array(["智能手表", "蓝牙耳机", "保温杯", "羊毛围巾", "咖啡豆 1kg", "空气净化器", "瑜伽垫", "电动牙刷", "加湿器"])
PRICES = np.array([899.0, 299.0, 89.0, 259.5, 168.0, 1999.0, 129.9, 399.0, 1234.5])
CHANNELS = np.array(["天猫", "京东", "微信小程序", "线下门店", "抖音"])
STATUSES = np.array(["已完成", "交易成功", "已发货", "已付款", "交易关闭", "待付款", "已退款"])
STATUS_P = [0.40, 0.25, 0.10, 0.13, 0.05, 0.04, 0.03]
PREFIXES = np.array([130, 131, 132, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 158, 159, 177, 180, 181,
                     185, 186, 187, 188, 189, 198, 199])
CHUNK = 1_000_000
DAY0 = np.datetime64("2021-01-01", "s")


def _text(values: np.ndarray) -> pa.Array:
    """Numbers and dates through pyarrow's casts (C), strings as they are."""
    if values.dtype.kind in "iuM":
        return pa.array(values).cast(pa.large_string())
    return pa.array(values, type=pa.large_string())


def _pad(arr: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(arr, width=width, padding="0")


def _join(*parts: pa.Array | str) -> pa.Array:
    arrays = [p if isinstance(p, (pa.Array, pa.ChunkedArray)) else pa.scalar(p, pa.large_string()) for p in parts]
    return pc.binary_join_element_wise(*arrays, pa.scalar("", pa.large_string()))


def _pick(choice: np.ndarray, forms: list[pa.Array]) -> pa.Array:
    """Row i takes ``forms[choice[i]][i]``."""
    out = forms[0]
    for k in range(1, len(forms)):
        out = pc.if_else(pa.array(choice == k), forms[k], out)
    return out


def make_chunk(rng: np.random.Generator, start: int, n: int, customers: int) -> pa.Table:
    cust = rng.integers(0, customers, n)
    order_no = np.arange(start, start + n, dtype=np.int64)
    names = np.array([s + g for s in SURNAMES for g in GIVEN])
    name = names[cust % len(names)]
    # phones: one per customer (from its number), written in one of six ways
    nsn = PREFIXES[cust % len(PREFIXES)].astype(np.int64) * 10**8 + (cust * 7919 + 12345) % 10**8
    digits = _text(nsn)
    head, mid, tail = (pc.utf8_slice_codeunits(digits, a, b) for a, b in ((0, 3), (3, 7), (7, 11)))
    mantissa = _text(np.round(nsn / 10**5).astype(np.int64))   # Excel's 1.38123E+10: the last digits lost
    sci = _join(pc.utf8_slice_codeunits(mantissa, 0, 1), ".", pc.utf8_slice_codeunits(mantissa, 1, 6), "E+10")
    phone = _pick(rng.choice(6, n, p=[0.55, 0.15, 0.12, 0.08, 0.06, 0.04]),
                  [digits, _join(head, " ", mid, " ", tail), _join("+86 ", digits), _join("0086-", digits), sci,
                   pc.utf8_slice_codeunits(digits, 0, 7)])
    # dates over three years, one of six forms
    stamp = DAY0 + rng.integers(0, 3 * 365 * 86400, n).astype("timedelta64[s]")
    day = stamp.astype("datetime64[D]")
    iso = _text(day)
    y, m, d = (pc.utf8_slice_codeunits(iso, a, b) for a, b in ((0, 4), (5, 7), (8, 10)))
    m1, d1 = pc.utf8_ltrim(m, characters="0"), pc.utf8_ltrim(d, characters="0")
    date = _pick(rng.choice(6, n, p=[0.45, 0.2, 0.15, 0.1, 0.08, 0.02]),
                 [iso, pa.array(stamp).cast(pa.large_string()), _join(y, "/", m1, "/", d1),
                  _join(y, "年", m1, "月", d1, "日"), _join(y, m, d), pa.repeat(pa.scalar("待定", pa.large_string()), n)])
    product = rng.integers(0, len(PRODUCTS), n)
    qty = rng.integers(1, 4, n)
    amount = np.round(PRICES[product] * qty, 2)
    in_cents = np.round(amount * 100).astype(np.int64)
    whole = in_cents // 100
    cents = _pad(_text(in_cents % 100), 2)
    plain = _join(_text(whole), ".", cents)
    thousands = _text(whole // 1000)
    rest = _pad(_text(whole % 1000), 3)
    grouped = pc.if_else(pa.array(whole >= 1000), _join("¥", thousands, ",", rest, ".", cents), _join("¥", plain))
    money = _pick(rng.choice(4, n, p=[0.6, 0.2, 0.17, 0.03]),
                  [plain, grouped, _join(plain, "元"), pa.repeat(pa.scalar("N/A", pa.large_string()), n)])
    cols = [_join("SO", _text(order_no)), _join("C", _text(cust)), _text(name), phone, date, _text(PRODUCTS[product]),
            _text(qty), money, _text(CHANNELS[rng.integers(0, len(CHANNELS), n)]),
            _text(STATUSES[rng.choice(len(STATUSES), n, p=STATUS_P)])]
    table = pa.Table.from_arrays(cols, names=HEADERS)
    # ~0.5 % of the rows exported twice, right after themselves
    twice = np.flatnonzero(rng.random(n) < 0.005)
    if len(twice):
        order = np.sort(np.concatenate([np.arange(n), twice]), kind="stable")
        table = table.take(pa.array(order))
    return table


def generate(rows: int, out: str | Path, *, seed: int = 7, customers: int | None = None) -> Path:
    """Write ``rows`` (before the ~0.5 % repeated ones) messy order rows to a UTF-8 CSV or Parquet file."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    customers = customers or max(rows // 8, 10)
    rng = np.random.default_rng(seed)
    tmp = out.with_name(out.name + ".part")
    writer = None
    try:
        for start in range(0, rows, CHUNK):
            table = make_chunk(rng, start, min(CHUNK, rows - start), customers)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd") if out.suffix == ".parquet" else \
                    pacsv.CSVWriter(tmp, table.schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
            writer.write_table(table)
        writer.close()
        tmp.replace(out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--customers", type=int, default=None)
    a = ap.parse_args(argv)
    t = time.perf_counter()
    generate(a.rows, a.out, seed=a.seed, customers=a.customers)
    print(f"wrote {a.out}: {a.rows:,} rows in {time.perf_counter() - t:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
