"""Messy order exports with known truth, for the truth-check test and the benchmark.

    python benchmarks/gen_orders.py N OUT.csv|OUT.xlsx [--seed S] [--encoding gb18030]

``make_orders(n, seed)`` returns ``(raw, truth)``: ``raw`` is a DataFrame of the text cells a
sales export holds (订单号 客户ID 客户名称 联系电话 下单日期 产品 数量 金额 渠道) with every messy form
of phone, date and amount mixed in, and a few orders exported twice; ``truth`` has, per raw
row, what crm must make of it: ``phone``/``date``/``amount`` (the exact normalized value, or
"" when the cell must be flagged), ``phone_code``/``date_code``/``amount_code`` (the expected
issue code, "" when valid), ``dup_of`` (position of the first copy, -1 if none).
``write_csv`` / ``write_xlsx`` write it as a GB18030/UTF-8 CSV or an xlsx with a title row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

import pandas as pd

HEADERS = ["订单号", "客户ID", "客户名称", "联系电话", "下单日期", "产品", "数量", "金额", "渠道"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "晓东", "子涵", "雨萱", "浩然", "思远", "嘉怡", "俊杰", "欣怡", "宇航"]
PRODUCTS = [("智能手表", 899.0), ("蓝牙耳机", 299.0), ("保温杯", 89.0), ("羊毛围巾", 259.5), ("咖啡豆 1kg", 168.0),
            ("空气净化器", 1999.0), ("瑜伽垫", 129.9), ("电动牙刷", 399.0), ("加湿器", 1234.5)]
CHANNELS = ["天猫", "京东", "微信小程序", "线下门店", "抖音"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                   "155", "156", "157", "158", "159", "177", "180", "181", "182", "185", "186", "187", "188",
                   "189", "198", "199"]
LANDLINES = [("021", 8, "+8621"), ("010", 8, "+8610"), ("0571", 8, "+86571"), ("020", 8, "+8620"),
             ("0755", 8, "+86755")]
FW = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _customer(rng: random.Random) -> tuple[str, str]:
    """(name, phone): an 11-digit mobile, or a landline ``021-62345678``."""
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    if rng.random() < 0.9:
        nsn = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        return name, nsn
    import phonenumbers

    while True:  # landlines: only numbers phonenumbers holds valid, so the truth is unambiguous
        area, n, _ = rng.choice(LANDLINES)
        local = str(rng.randrange(2, 9)) + f"{rng.randrange(10**(n - 1)):0{n - 1}d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(area + local, "CN")):
            return name, area + "-" + local


def _phone_cell(rng: random.Random, raw: str) -> tuple[str, str, str]:
    """(cell text, expected E.164 or "", expected code)."""
    if "-" in raw:  # landline 021-62345678
        area, local = raw.split("-")
        e164 = "+86" + area[1:] + local
        r = rng.random()
        if r < 0.5:
            return raw, e164, ""
        if r < 0.8:
            return f"({area}){local}", e164, ""
        return f"+86 {area[1:]} {local}", e164, ""
    e164 = "+86" + raw
    r = rng.random()
    forms = [
        (0.40, lambda: raw), (0.48, lambda: f"{raw[:3]}-{raw[3:7]}-{raw[7:]}"),
        (0.54, lambda: f"{raw[:3]} {raw[3:7]} {raw[7:]}"), (0.60, lambda: f"+86 {raw}"),
        (0.64, lambda: f"0086{raw}"), (0.67, lambda: f"86{raw}"), (0.72, lambda: raw.translate(FW)),
        (0.80, lambda: f"{raw}.0"), (0.84, lambda: f"({raw[:3]}){raw[3:]}"), (0.87, lambda: f" {raw}  "),
    ]
    for cut, make in forms:
        if r < cut:
            return make(), e164, ""
    if r < 0.93:
        return f"{float(raw):.5E}", "", "lossy-phone"
    if r < 0.97:
        return raw[: rng.randrange(5, 10)], "", "invalid-phone"
    return "", "", ""  # empty cell: nothing to check


def _date_cell(rng: random.Random, d: dt.datetime, dayfirst: bool) -> tuple[object, str]:
    """(cell, expected code); the expected value is computed from ``d`` by the caller."""
    r = rng.random()
    if r < 0.25:
        return d.strftime("%Y-%m-%d"), ""
    if r < 0.35:
        return f"{d.year}/{d.month}/{d.day}", ""
    if r < 0.42:
        return d.strftime("%Y.%m.%d"), ""
    if r < 0.49:
        return f"{d.year}年{d.month}月{d.day}日", ""
    if r < 0.55:
        return d.strftime("%Y%m%d"), ""
    if r < 0.63:
        return "@time", ""   # a timestamp: made by the caller, which picks the time
    if r < 0.68:
        return str((d.date() - dt.date(1899, 12, 30)).days), ""
    if r < 0.73:
        return f"{d.day} {MONTH_ABBR[d.month - 1]} {d.year}", ""
    if r < 0.78:
        return f"{MONTH_ABBR[d.month - 1]} {d.day}, {d.year}", ""
    if r < 0.92:
        a, b = (d.day, d.month) if dayfirst else (d.month, d.day)
        return f"{a:02d}/{b:02d}/{d.year}", ""
    if r < 0.95:
        return rng.choice(["待定", "未知", "N/A", "TBD"]), "invalid-date"
    if r < 0.97:
        return rng.choice(["2024-02-30", "2023-02-29", "2024-04-31", "2024-13-05"]), "invalid-date"
    return "", ""


def _amount_cell(rng: random.Random, value: float) -> tuple[str, str, str]:
    """(cell, expected canonical text or "", expected code)."""
    canon = f"{value:.2f}".rstrip("0").rstrip(".")
    if canon == "-0":
        canon = "0"
    r = rng.random()
    forms = [
        (0.35, lambda: f"{value:.2f}"), (0.45, lambda: f"¥{value:,.2f}"), (0.52, lambda: f"￥{value:.1f}"
                                                                           if round(value, 1) == value else f"￥{value}"),
        (0.60, lambda: f"{canon}元"), (0.66, lambda: f"RMB {value:.2f}"), (0.71, lambda: canon.translate(FW)),
        (0.78, lambda: f"{canon}  "), (0.85, lambda: canon),
    ]
    for cut, make in forms:
        if r < cut:
            return make(), canon, ""
    if r < 0.95:
        return f"{value:,.2f}", canon, ""
    if r < 0.98:
        return rng.choice(["N/A", "待付款", "见备注", "免单?"]), "", "invalid-amount"
    return "", "", ""


def make_orders(n: int = 5000, seed: int = 1, *, customers: int | None = None, duplicates: int | None = None,
                dayfirst: bool | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` messy order rows (including the repeated exports) and their truth."""
    rng = random.Random(seed)
    dayfirst = rng.random() < 0.5 if dayfirst is None else dayfirst
    pool = [(f"C{10000 + i}", *_customer(rng)) for i in range(customers or max(20, n // 5))]
    duplicates = max(3, n // 500) if duplicates is None else duplicates
    start = dt.datetime(2022, 1, 1)
    rows: list[list[str]] = []
    truth: list[dict] = []
    for i in range(n - duplicates):
        cid, name, raw_phone = rng.choice(pool)
        product, price = rng.choice(PRODUCTS)
        qty = rng.choice([1, 1, 1, 2, 2, 3, 5])
        value = round(price * qty * (-1 if rng.random() < 0.04 else 1), 2)
        when = start + dt.timedelta(days=rng.randrange(0, 1000))
        phone_cell, phone, phone_code = _phone_cell(rng, raw_phone)
        date_cell, date_code = _date_cell(rng, when, dayfirst)
        if date_cell == "@time":
            when = when.replace(hour=rng.randrange(8, 23), minute=rng.randrange(60), second=rng.randrange(1, 60))
            date_cell = when.strftime("%Y-%m-%d %H:%M:%S")
        amount_cell, amount, amount_code = _amount_cell(rng, value)
        rows.append([f"SO{2022000000 + i}", cid, name, phone_cell, date_cell, product, str(qty), amount_cell,
                     rng.choice(CHANNELS)])
        truth.append({"phone": phone, "phone_code": phone_code,
                      "date": when if date_cell and not date_code else None, "date_code": date_code,
                      "amount": amount, "amount_code": amount_code, "dup_of": -1})
    for _ in range(duplicates):  # orders exported twice: an exact copy later in the file
        src = rng.randrange(len(rows) // 2)
        pos = rng.randrange(src + 1, len(rows) + 1)
        rows.insert(pos, list(rows[src]))
        truth.insert(pos, {**truth[src], "dup_of": -2 - src})
    # resolve dup_of to positions after all insertions
    firsts = {id(r): k for k, r in enumerate(rows)}
    seen: dict[tuple, int] = {}
    for k, r in enumerate(rows):
        key = tuple(r)
        if key in seen:
            truth[k]["dup_of"] = seen[key]
        else:
            seen[key] = k
            truth[k]["dup_of"] = -1
    del firsts
    raw = pd.DataFrame(rows, columns=HEADERS, dtype="str")
    return raw, pd.DataFrame(truth)


def write_csv(raw: pd.DataFrame, path: str | Path, encoding: str = "gb18030") -> None:
    """A CSV in ``encoding`` (GB18030 as WPS/Excel on Chinese Windows save it)."""
    Path(path).write_bytes(raw.to_csv(index=False, lineterminator="\r\n").encode(encoding))


def write_xlsx(raw: pd.DataFrame, path: str | Path, seed: int = 1) -> int:
    """An xlsx with a title row and a blank row above the header (row 3); some cells typed
    as Excel would type them (phones and amounts as numbers, dates as date cells). Returns the
    header row number."""
    import xlsxwriter

    rng = random.Random(seed)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("订单")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_string(0, 0, "2022-2024年销售订单导出")
    for j, h in enumerate(raw.columns):
        ws.write_string(2, j, h)
    for i, row in enumerate(raw.itertuples(index=False, name=None)):
        for j, v in enumerate(row):
            col = raw.columns[j]
            if col == "联系电话" and v.isdigit() and len(v) == 11 and rng.random() < 0.5:
                ws.write_number(i + 3, j, int(v))
            elif col == "金额" and rng.random() < 0.3 and _is_plain(v):
                ws.write_number(i + 3, j, float(v))
            elif col == "下单日期" and _iso_date(v) and rng.random() < 0.5:
                ws.write_datetime(i + 3, j, _iso_date(v), date_fmt)
            else:
                ws.write_string(i + 3, j, v)
    wb.close()
    return 3


def _iso_date(v: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(v, "%Y-%m-%d") if len(v) == 10 else None
    except ValueError:
        return None


def _is_plain(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return v.strip() == v and v != ""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--encoding", default="gb18030")
    args = ap.parse_args(argv)
    raw, _ = make_orders(args.n, args.seed)
    if args.out.endswith(".xlsx"):
        write_xlsx(raw, args.out, args.seed)
    else:
        write_csv(raw, args.out, args.encoding)
    print(f"wrote {len(raw)} rows to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
