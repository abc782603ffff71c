"""Make the example files of the sales analyses (made-up people and companies, the mess real exports have).
Deterministic:

    python examples/make_sales_examples.py

Writes, beside this script:
- order_lines.csv       UTF-8-with-BOM order lines as a shop exports them (订单编号, 下单时间, 客户ID, 商品名称,
                        商品类别, 数量, 单价, 订单状态, 渠道, 销售员): several products per order, some bought together
                        (咖啡豆 + 磨豆机 + 滤纸, 茶叶 + 茶具, 手机 + 手机壳 + 钢化膜) and some bought later (滤纸 weeks after
                        咖啡豆), cancelled and unpaid orders, a line exported twice, times in several formats, prices
                        with ¥ — for `crm basket` and `crm metrics --team`
- opportunities.csv     a CRM's opportunities export with English headers (Opportunity ID, Account Name,
                        Opportunity Owner, Stage, Amount, Probability (%), Close Date, Lead Source, Created Date):
                        Salesforce-style stages, probabilities as 60% / blank, amounts as $12,000 / 1.2万 — for
                        `crm pipeline`
- campaign_results.csv  one row per campaign as a marketing team reports it (活动名称, 曝光量, 点击量, 参与人数, 成交人数,
                        成交金额, 广告费用, 人力成本, 物料费用, 其他费用; counts as 85万 and 3,600) — for
                        `crm metrics --campaigns`: 双11大促 is the seeds' worked example (5,000 participants -> 500
                        buyers = 10 %; 5万 cost -> 20万 revenue = ROAS 4 = 1:4)
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_examples import GIVEN, SURNAMES, write_csv  # noqa: E402  (the examples' names and CSV writer)
#: product -> (category, unit price)
PRODUCTS = {
    "咖啡豆 500g": ("咖啡", 98.0), "手冲壶": ("咖啡", 169.0), "磨豆机": ("咖啡", 299.0), "滤纸 100张": ("咖啡", 25.0),
    "茶叶 250g": ("茶", 128.0), "茶具套装": ("茶", 260.0), "保温杯": ("杯具", 89.0), "马克杯": ("杯具", 49.0),
    "手机": ("数码", 2999.0), "手机壳": ("数码", 59.0), "钢化膜": ("数码", 29.0), "蓝牙耳机": ("数码", 299.0),
}
#: Baskets people buy, with their weights (the associations crm basket should find).
BASKETS = [(("咖啡豆 500g", "磨豆机", "滤纸 100张"), 5), (("咖啡豆 500g", "滤纸 100张"), 2), (("咖啡豆 500g", "手冲壶"), 3),
           (("茶叶 250g", "茶具套装"), 6), (("茶叶 250g", "保温杯"), 3), (("手机", "手机壳", "钢化膜"), 4),
           (("手机", "手机壳"), 3), (("蓝牙耳机",), 2), (("马克杯",), 3), (("保温杯",), 4), (("咖啡豆 500g",), 6),
           (("茶叶 250g",), 4), (("蓝牙耳机", "手机壳"), 2)]
CHANNELS = ["天猫", "京东", "微信小程序", "线下门店"]
REPS = ["张伟", "李娜", "王磊", "陈静"]
STATUSES = ["交易成功"] * 14 + ["交易关闭", "等待买家付款", "卖家已发货，等待买家确认"]


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "186", "177"]) + "".join(rng.choice("0123456789") for _ in range(8))


def _time(rng: random.Random, when: dt.datetime) -> str:
    r = rng.random()
    if r < 0.55:
        return when.strftime("%Y-%m-%d %H:%M:%S")
    if r < 0.8:
        return f"{when.year}/{when.month}/{when.day} {when:%H:%M}"
    if r < 0.92:
        return when.strftime("%Y-%m-%d")
    return f"{when.year}年{when.month}月{when.day}日"


def _price(rng: random.Random, price: float) -> str:
    r = rng.random()
    return f"¥{price:,.2f}" if r < 0.4 else f"{price:g}" if r < 0.8 else f"{price:.2f}元"


def make_order_lines(rng: random.Random) -> list[list[str]]:
    customers = [(f"K{2001 + i}", rng.choice(SURNAMES) + rng.choice(GIVEN), _phone(rng), rng.choice(REPS + [""]))
                 for i in range(90)]
    start = dt.datetime(2024, 1, 2, 9)
    rows: list[list[str]] = []
    baskets, weights = zip(*BASKETS)
    for k in range(115):
        cid, name, phone, rep = rng.choice(customers)
        when = start + dt.timedelta(days=rng.randint(0, 170), hours=rng.randint(0, 12), minutes=rng.randint(0, 59))
        items = list(rng.choices(baskets, weights)[0])
        if rng.random() < 0.2:  # one more thing picked up on the way
            items.append(rng.choice(list(PRODUCTS)))
        status = rng.choice(STATUSES)
        channel = rng.choice(CHANNELS)
        for item in dict.fromkeys(items):
            category, price = PRODUCTS[item]
            rows.append([f"DD{24000 + k}", _time(rng, when), cid, name, phone, item, category,
                         str(rng.choice([1, 1, 1, 2])), _price(rng, price), status, channel, rep])
        for first, then, share in (("咖啡豆 500g", "滤纸 100张", 0.6), ("手机", "蓝牙耳机", 0.5)):
            if first in items and then not in items and status == "交易成功" and rng.random() < share:
                later = when + dt.timedelta(days=rng.randint(5, 25))  # bought later: the filters ran out
                category, price = PRODUCTS[then]
                rows.append([f"DD{24500 + k}{then == '蓝牙耳机' and 'B' or ''}", _time(rng, later), cid, name, phone,
                             then, category, "1", _price(rng, price), "交易成功", channel, rep])
    rows.insert(40, list(rows[39]))  # a line exported twice
    return rows


OPPORTUNITY_HEADER = ["Opportunity ID", "Opportunity Name", "Account Name", "Opportunity Owner", "Stage", "Amount",
                      "Probability (%)", "Close Date", "Lead Source", "Created Date"]
ACCOUNTS = ["Northwind Trading", "Blue Harbor Foods", "Maple Leaf Retail", "Sunrise Hotels", "Crescent Cafés",
            "Evergreen Offices", "Riverside Clinics", "Golden Gate Gyms", "Silver Oak Schools", "Harborview Bakery",
            "上海青禾餐饮", "杭州云栖茶舍", "深圳南山科技园食堂", "成都宽窄咖啡"]
OWNERS = ["Zhang Wei", "Li Na", "Wang Lei", "Chen Jing"]
STAGES = [("Prospecting", ""), ("Qualification", ""), ("Needs Analysis", ""), ("Proposal/Price Quote", "60%"),
          ("Negotiation/Review", "80%"), ("Closed Won", "100%"), ("Closed Lost", "0%")]


def make_opportunities(rng: random.Random) -> list[list[str]]:
    rows = []
    for i in range(36):
        stage, prob = rng.choice(STAGES)
        if prob and rng.random() < 0.4:
            prob = ""  # left for the stage's default
        amount = rng.choice([3, 5, 8, 12, 15, 20, 30, 45]) * 1000
        amount_text = (f"${amount:,}" if rng.random() < 0.5 else f"{amount / 10000:g}万" if rng.random() < 0.3
                       else str(amount))
        if rng.random() < 0.05:
            amount_text = ""
        created = dt.date(2024, 3, 1) + dt.timedelta(days=rng.randint(0, 120))
        close = created + dt.timedelta(days=rng.randint(20, 120))
        account = rng.choice(ACCOUNTS)
        rows.append([f"OPP-{1001 + i}", f"{account} — {rng.choice(['coffee service', 'tea supply', 'gift boxes'])}",
                     account, rng.choice(OWNERS), stage, amount_text, prob,
                     close.strftime(rng.choice(["%Y-%m-%d", "%m/%d/%Y"])) if rng.random() > 0.05 else "",
                     rng.choice(["Web", "Trade Show", "Referral", "Cold Call"]), created.isoformat()])
    return rows


CAMPAIGN_HEADER = ["活动名称", "开始日期", "结束日期", "投放渠道", "曝光量", "点击量", "参与人数", "成交人数", "成交金额",
                   "广告费用", "人力成本", "物料费用", "其他费用"]


def make_campaign_results() -> list[list[str]]:
    return [
        ["双11大促", "2023-11-01", "2023-11-11", "天猫/京东", "85万", "21,300", "5000", "500", "20万", "¥30,000", "15000",
         "5000", ""],
        ["618年中", "2024-06-01", "2024-06-18", "抖音", "120万", "9,600", "8000", "96", "¥38,400", "¥40,000", "8000",
         "2000", "1500"],
        ["会员日", "2024-09-15", "2024-09-15", "微信小程序", "3.2万", "2,400", "600", "72", "¥18,000", "", "3000", "800",
         ""],
        ["春节老客回访", "2024-01-20", "2024-02-05", "短信", "", "", "320", "41", "9,840", "1200", "", "", ""],
    ]


def main() -> None:
    rng = random.Random(20250301)
    write_csv(HERE / "order_lines.csv", ["订单编号", "下单时间", "客户ID", "客户名称", "手机号", "商品名称", "商品类别", "数量",
                                          "单价", "订单状态", "渠道", "销售员"], make_order_lines(rng), "utf-8-sig")
    write_csv(HERE / "opportunities.csv", OPPORTUNITY_HEADER, make_opportunities(rng), "utf-8")
    write_csv(HERE / "campaign_results.csv", CAMPAIGN_HEADER, make_campaign_results(), "utf-8-sig")


if __name__ == "__main__":
    main()
