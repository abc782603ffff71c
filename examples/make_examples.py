"""Make the bundled example files (made-up people, realistic mess). Deterministic.

    python examples/make_examples.py

Writes, beside this script:
- orders.xlsx            orders workbook: title row, blank row, Chinese header on row 3, a notes sheet
- orders_gb18030.csv     the same orders as a GB18030 CSV (as WPS/Excel on Chinese Windows save them)
- customers_zh.csv       UTF-8-with-BOM customers, Chinese headers (记录号, 客户名称, 联系电话, 邮箱, 城市, 地址);
                         record 61 repeats record 4 (a trailing space, the email in capitals): the planted duplicate
- customers_en.csv       UTF-8 customers, English headers; the last row repeats C10013 (Ethan Green) as
                         "GREEN, Ethan" with +86 and a capitalised email: the duplicate `crm dedupe` finds
- leads.csv              UTF-8-with-BOM sales leads (线索编号, 线索日期, 阶段, 负责人…) for `crm metrics --leads`:
                         some became the customers in the orders (matched by customer id or phone), some never did
- campaigns.csv          UTF-8-with-BOM campaign contacts and costs for `crm metrics --campaigns`: one row per
                         contacted customer plus one row per campaign carrying its cost (one campaign costs 0)
- crm.toml               the settings `crm init` writes, pointing at these files (crm report --config examples/crm.toml)
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "晓东", "子涵", "雨萱", "浩然", "思远", "嘉怡", "俊杰", "欣怡", "宇航"]
EN_FIRST = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Grace", "Henry", "Chloe", "Jack"]
EN_LAST = ["Smith", "Brown", "Wilson", "Taylor", "Clarke", "Walker", "Wright", "Hughes", "Green", "Hall"]
CITIES = [("上海", "上海市", "021"), ("北京", "北京市", "010"), ("杭州", "浙江省", "0571"), ("广州", "广东省", "020"),
          ("深圳", "广东省", "0755"), ("成都", "四川省", "028"), ("南京", "江苏省", "025"), ("武汉", "湖北省", "027")]
STREETS = ["中山路", "人民路", "解放路", "建设路", "南京西路", "文三路", "天府大道", "珠江新城华夏路", "科技园南路"]
#: Each city's own districts and streets (a customer's street is drawn from STREETS' index, so every file
#: draws the same random numbers as before; the address is then its city's street at that index).
CITY_STREETS = {
    "上海": [("黄浦区", "南京东路"), ("静安区", "南京西路"), ("徐汇区", "漕溪北路"), ("浦东新区", "世纪大道"),
             ("长宁区", "延安西路")],
    "北京": [("朝阳区", "建国路"), ("海淀区", "中关村大街"), ("东城区", "东直门内大街"), ("西城区", "西单北大街"),
             ("丰台区", "丰台北路")],
    "杭州": [("西湖区", "文三路"), ("上城区", "解放路"), ("拱墅区", "莫干山路"), ("滨江区", "江南大道"),
             ("余杭区", "文一西路")],
    "广州": [("天河区", "珠江新城华夏路"), ("越秀区", "中山五路"), ("海珠区", "新港中路"), ("白云区", "白云大道")],
    "深圳": [("南山区", "科技园南路"), ("福田区", "深南大道"), ("罗湖区", "人民南路"), ("宝安区", "宝安大道")],
    "成都": [("武侯区", "天府大道北段"), ("锦江区", "春熙路"), ("青羊区", "人民中路"), ("成华区", "建设路")],
    "南京": [("鼓楼区", "中山路"), ("玄武区", "珠江路"), ("秦淮区", "太平南路"), ("建邺区", "江东中路")],
    "武汉": [("江汉区", "解放大道"), ("武昌区", "中南路"), ("洪山区", "珞喻路"), ("江岸区", "沿江大道")],
}
PRODUCTS = [("智能手表", "数码", 899.0), ("蓝牙耳机", "数码", 299.0), ("保温杯", "家居", 89.0),
            ("羊毛围巾", "服饰", 259.0), ("咖啡豆 1kg", "食品", 168.0), ("空气净化器", "家电", 1999.0),
            ("瑜伽垫", "运动", 129.0), ("电动牙刷", "个护", 399.0)]
CHANNELS = ["天猫", "京东", "微信小程序", "线下门店", "抖音"]
CAMPAIGNS = ["", "", "", "双11大促", "618年中", "会员日"]


MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                   "155", "156", "157", "158", "159", "177", "180", "181", "182", "185", "186", "187", "188",
                   "189", "198", "199"]


def _phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


def _messy_phone(rng: random.Random, phone: str) -> str:
    r = rng.random()
    if r < 0.45:
        return phone
    if r < 0.55:
        return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    if r < 0.63:
        return f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    if r < 0.70:
        return f"0086{phone}"
    if r < 0.76:
        return phone.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if r < 0.82:
        return f"{phone}.0"
    if r < 0.86:
        return f"{float(phone):.5E}".replace("E+", "E+")  # what Excel shows after a float cast
    if r < 0.90:
        return phone[:7]  # truncated
    return f"({phone[:3]}) {phone[3:]}"


def _messy_date(rng: random.Random, d: dt.datetime) -> str:
    r = rng.random()
    if r < 0.40:
        return d.strftime("%Y-%m-%d")
    if r < 0.55:
        return f"{d.year}/{d.month}/{d.day}"
    if r < 0.63:
        return f"{d.year}年{d.month}月{d.day}日"
    if r < 0.70:
        return d.strftime("%Y%m%d")
    if r < 0.78:
        return d.strftime("%Y-%m-%d %H:%M:%S")
    if r < 0.84:
        return d.strftime("%Y.%m.%d")
    if r < 0.90:
        return d.strftime("%d %b %Y")
    if r < 0.97:
        return str((d - dt.datetime(1899, 12, 30)).days)  # an Excel serial number
    return rng.choice(["待定", "2024-02-30", "unknown"])


def _messy_amount(rng: random.Random, amount: float) -> str:
    r = rng.random()
    if r < 0.45:
        return f"{amount:.2f}"
    if r < 0.60:
        return f"¥{amount:,.2f}"
    if r < 0.70:
        return f"￥{amount:g}"
    if r < 0.80:
        return f"{amount:g}元"
    if r < 0.87:
        return f"RMB {amount:.2f}"
    if r < 0.92:
        return f"{amount:.1f}".translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    if r < 0.98:
        return f"{amount:.2f}  "
    return rng.choice(["面议", "N/A"])


def make_customers(rng: random.Random, n: int = 60) -> list[dict[str, str]]:
    customers = []
    for i in range(n):
        city, province, area = rng.choice(CITIES)
        if rng.random() < 0.15:
            name = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
            email_user = name.lower().replace(" ", ".")
        else:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            email_user = f"user{1000 + i}"
        customers.append({
            "id": f"C{10001 + i}",
            "name": name,
            "phone": _phone(rng),
            "landline": f"{area}-{rng.randint(6000_0000, 8999_9999)}",
            "email": f"{email_user}@{rng.choice(['example.com', 'example.cn', 'mail.example.org'])}",
            "city": city,
            "province": province,
            "address": (f"{city}市" if province == f"{city}市" else f"{province}{city}市")
            + "".join(CITY_STREETS[city][STREETS.index(rng.choice(STREETS)) % len(CITY_STREETS[city])])
            + f"{rng.randint(1, 999)}号",
            "created": dt.datetime(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 700)),
        })
    return customers


def make_orders(rng: random.Random, customers: list[dict[str, str]], n: int = 320,
                dates: dict[str, dt.datetime] | None = None,
                blanked: dict[str, str] | None = None) -> list[list[str]]:
    """The order rows; ``dates`` (if given) receives each order id's true date, ``blanked`` the true customer
    id of each order whose customer id cell was left blank."""
    start = dt.datetime(2023, 1, 1)
    rows = []
    weights = [rng.paretovariate(1.2) for _ in customers]
    for k in range(n):
        c = rng.choices(customers, weights)[0]
        product, _category, price = rng.choice(PRODUCTS)
        qty = rng.choice([1, 1, 1, 2, 2, 3])
        amount = price * qty
        if rng.random() < 0.04:
            amount = -amount  # a refund
        when = start + dt.timedelta(days=rng.randint(0, 729), hours=rng.randint(8, 22), minutes=rng.randint(0, 59))
        if dates is not None:
            dates[f"SO{20230001 + k}"] = when
        name = c["name"]
        if rng.random() < 0.1 and " " not in name:
            name = name + rng.choice(["先生", "女士"])
        elif rng.random() < 0.05:
            name = f" {name}  "
        rows.append([
            f"SO{20230001 + k}", c["id"], name, _messy_phone(rng, c["phone"]), _messy_date(rng, when),
            product, str(qty), _messy_amount(rng, amount), rng.choice(CHANNELS),
        ])
    lost = plant_order_mess(rows)
    if blanked is not None:
        blanked.update(lost)
    for _ in range(6):  # the same orders exported twice
        rows.insert(rng.randint(0, len(rows)), list(rng.choice(rows)))
    return rows


#: The spellings another system or a colleague gives the Tmall channel (value clusters: crm clean --merge-values).
TMALL_VARIANTS = {2: "天猫旗舰店", 5: "Tmall", 7: "tmall"}


def plant_order_mess(rows: list[list[str]]) -> dict[str, str]:
    """Mess planted without random draws (so every other value stays as it was): the Tmall channel written
    four ways (every 9th 天猫 row at offsets TMALL_VARIANTS); 'unknown' dates and 'N/A' amounts left blank,
    the first blank-date row without its customer id either (blank required cells); and two implausible
    dates, 2035-06-18 and Excel's 1900-01-01, on the first two rows with a wrong amount and a real date
    (rows the analyses leave out for their amount, so every figure stays). Returns {order id: the customer
    id blanked}."""
    tmall = 0
    for r in rows:
        if r[8] == "天猫":
            r[8] = TMALL_VARIANTS.get(tmall % 9, "天猫")
            tmall += 1
    lost: dict[str, str] = {}
    implausible = ["2035-06-18", "1900-01-01"]
    for r in rows:
        if r[4] == "unknown":
            r[4] = ""
            if not lost:
                lost[r[0]], r[1] = r[1], ""
        if r[7] in ("N/A", "面议") and implausible and r[4] not in ("", "待定", "2024-02-30"):
            r[4] = implausible.pop(0)
        if r[7] == "N/A":
            r[7] = ""
    return lost


ORDER_HEADER = ["订单号", "客户ID", "客户名称", "联系电话", "下单日期", "产品", "数量", "金额", "渠道"]


def write_orders_xlsx(rows: list[list[str]], path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws["A1"] = "2023-2024年销售订单导出"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:I1")
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([])
    ws.append(ORDER_HEADER)
    for r in rows:
        cells: list[object] = list(r)
        # Excel users type numbers: quantities, some amounts and some phones become numeric cells
        if r[6].isdigit():
            cells[6] = int(r[6])
        try:
            cells[7] = float(r[7]) if r[7].strip() == r[7] else r[7]
        except ValueError:
            pass
        if r[3].isdigit() and len(r[3]) == 11:
            cells[3] = int(r[3])
        ws.append(cells)
    notes = wb.create_sheet("说明")
    notes.append(["字段说明"])
    notes.append(["订单号", "系统订单编号"])
    notes.append(["金额", "实付金额（元），负数为退款"])
    notes.append(["导出时间", "2025-01-02 09:00"])
    wb.save(path)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def main() -> None:
    rng = random.Random(20241231)
    customers = make_customers(rng)
    order_dates: dict[str, dt.datetime] = {}
    blanked: dict[str, str] = {}
    orders = make_orders(rng, customers, dates=order_dates, blanked=blanked)
    write_orders_xlsx(orders, HERE / "orders.xlsx")
    write_csv(HERE / "orders_gb18030.csv", ORDER_HEADER, orders, "gb18030")

    zh_rows = []
    for i, c in enumerate(customers, start=1):
        phone = c["landline"] if rng.random() < 0.1 else _messy_phone(rng, c["phone"])
        email = c["email"].replace("@", "＠") if rng.random() < 0.05 else c["email"]
        zh_rows.append([str(i), c["name"], phone, email, c["city"], c["address"]])
    zh_rows.append([str(len(zh_rows) + 1), customers[3]["name"] + " ", customers[3]["phone"],
                    customers[3]["email"].upper(), customers[3]["city"], customers[3]["address"]])
    plant_customer_mess(zh_rows)
    write_csv(HERE / "customers_zh.csv", ["记录号", "客户名称", "联系电话", "邮箱", "城市", "地址"], zh_rows, "utf-8-sig")

    en_rows = []
    for c in customers[:40]:
        en_rows.append([c["id"], c["name"], _messy_phone(rng, c["phone"]), c["email"], c["city"],
                        c["province"], c["created"].strftime(rng.choice(["%Y-%m-%d", "%d/%m/%Y", "%b %d, %Y"]))])
    # the planted duplicate: an English-named customer typed again, surname first, the phone with its
    # country code, the email in capitals, no province (no random draw: the other files stay byte-identical)
    c = next(c for c in customers[:40] if " " in c["name"])
    first, last = c["name"].split(" ", 1)
    p = c["phone"]
    en_rows.append([f"C{10001 + len(en_rows)}", f"{last.upper()}, {first}", f"+86 {p[:3]} {p[3:7]} {p[7:]}",
                    c["email"].upper(), c["city"], "", (c["created"] + dt.timedelta(days=200)).strftime("%d/%m/%Y")])
    # implausible dates (Excel's zero date, a typed year) and a province that is not the city's: no random draws
    en_rows[4][6], en_rows[8][6] = "1900-01-01", "2035-03-08"
    en_rows[19][5] = next(p for _c, p, _a in CITIES if p != en_rows[19][5])
    write_csv(HERE / "customers_en.csv", ["Customer ID", "Name", "Mobile", "Email", "City", "Province", "Created"],
              en_rows, "utf-8")

    # leads and campaigns: their own generator, so the files above stay byte-identical
    rng2 = random.Random(20250107)
    first_order: dict[str, dt.datetime] = {}
    for r in orders:
        when = order_dates[r[0]]
        cid = r[1] or blanked.get(r[0], "")
        if cid not in first_order or when < first_order[cid]:
            first_order[cid] = when
    by_id = {c["id"]: c for c in customers}
    write_csv(HERE / "leads.csv", LEAD_HEADER, make_leads(rng2, by_id, first_order), "utf-8-sig")
    write_csv(HERE / "campaigns.csv", CAMPAIGN_HEADER, make_campaigns(rng2, by_id, first_order), "utf-8-sig")

    write_config(HERE / "crm.toml")


def plant_customer_mess(rows: list[list[str]]) -> None:
    """Mess planted in customers_zh.csv (记录号, 客户名称, 联系电话, 邮箱, 城市, 地址) without random draws:
    record 7's city says another city than its address; record 15's address puts a Guangzhou district
    (天河区) in its own city; record 30's city is blank (its address says it); a last record has only a
    city and an address — no name, phone or email (a blank required cell)."""
    cities = [c for c, _p, _a in CITIES]
    r = rows[6]
    r[4] = cities[(cities.index(r[4]) + 1) % len(cities)]
    r = next(r for r in rows[14:] if r[4] not in ("广州", "北京", "上海"))
    head = r[5][: r[5].index("市") + 1]
    r[5] = f"{head}天河区珠江新城华夏路{r[0]}号"
    rows[29][4] = ""
    rows.append([str(len(rows) + 1), "", "", "", "上海", "上海市徐汇区漕溪北路88号"])


LEAD_HEADER = ["线索编号", "线索日期", "客户名称", "联系电话", "客户ID", "阶段", "负责人", "来源"]
OWNERS = ["张伟", "李娜", "王磊", "陈静"]
LEAD_SOURCES = ["官网表单", "展会", "朋友推荐", "抖音广告", "电话咨询"]


def make_leads(rng: random.Random, by_id: dict[str, dict], first_order: dict[str, dt.datetime]) -> list[list[str]]:
    """Leads: 24 that became ordering customers (lead 3..45 days before the first order), 26 that did not."""
    rows = []
    converted = rng.sample(sorted(first_order), 24)
    for cid in converted:
        c = by_id[cid]
        lead_day = first_order[cid] - dt.timedelta(days=rng.randint(3, 45))
        stage = "成交" if rng.random() < 0.85 else "报价"  # the CRM stage was not always updated
        with_id = rng.random() < 0.5
        rows.append([lead_day, c["name"], _messy_phone(rng, c["phone"]) if not with_id else c["phone"],
                     cid if with_id else "", stage])
    for _ in range(26):
        lead_day = dt.datetime(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
        stage = rng.choice(["新线索", "新线索", "已联系", "已联系", "意向", "意向", "报价", "丢单", "丢单"])
        rows.append([lead_day, rng.choice(SURNAMES) + rng.choice(GIVEN), _phone(rng), "", stage])
    rng.shuffle(rows)
    out = []
    for i, (day, name, phone, cid, stage) in enumerate(sorted(rows, key=lambda r: r[0]), start=1):
        out.append([f"L{2023000 + i}", day.strftime(rng.choice(["%Y-%m-%d", "%Y/%m/%d"])), name, phone, cid, stage,
                    rng.choice(OWNERS), rng.choice(LEAD_SOURCES)])
    return out


CAMPAIGN_HEADER = ["活动", "客户ID", "联系电话", "触达日期", "是否响应", "触达人数", "响应人数", "费用"]


def make_campaigns(rng: random.Random, by_id: dict[str, dict],
                   first_order: dict[str, dt.datetime]) -> list[list[str]]:
    """One row per campaign (its cost; an offline flyer with only counts) + one row per contacted customer."""
    plan = [("双11大促", dt.datetime(2023, 11, 1), "8000", 30), ("春节老客回访", dt.datetime(2024, 1, 20), "1200", 20),
            ("618年中", dt.datetime(2024, 6, 1), "5000", 25), ("会员日", dt.datetime(2024, 9, 15), "0", 20)]
    rows = []
    known = sorted(first_order)
    for name, day, cost, n in plan:
        rows.append([name, "", "", day.strftime("%Y-%m-%d"), "", "", "", cost])
        for cid in rng.sample(known, n):
            c = by_id[cid]
            by_phone = name == "春节老客回访"  # a phone list: matched to customers by phone
            touch = day + dt.timedelta(days=rng.randint(0, 3))
            rows.append([name, "" if by_phone else cid, _messy_phone(rng, c["phone"]) if by_phone else "",
                         touch.strftime("%Y-%m-%d"), rng.choice(["是", "否", "否", "否"]), "", "", ""])
    rows.append(["线下传单", "", "", "2024-03-08", "", "500", "12", "¥600"])
    return rows


def write_config(path: Path) -> None:
    import sys

    sys.path.insert(0, str(HERE.parent))
    from crmcli.config import render_example_config

    path.write_text(render_example_config(), encoding="utf-8")


if __name__ == "__main__":
    main()
