"""Make made-up shop-platform order exports, and the figures the order rules give on them. Deterministic.

    python examples/platforms/make_platforms.py

Writes, beside this script (made-up people; the header sets and the mess of the real exports):

- taobao_orders.csv     Taobao/Tmall seller 订单报表, GB18030: one row per order; ``="…"`` order ids, ``'``-prefixed
                        mobiles, a 联系电话 of ``-``, headers with a trailing space; 交易成功 / 卖家已发货… / 买家已付款… /
                        等待买家付款 / 交易关闭, 退款金额 (partial refunds, one refund of the whole order)
- jd_orders.xlsx        JD 商家后台 order export: one row per SKU, the order-level amounts (订单金额, 应付金额, 结算金额)
                        repeated on every row; 完成 / 等待出库 / 等待确认收货 / 已取消 / 锁定 / 暂停 (not in the vocabulary)
- shopify_orders.csv    Shopify orders CSV, UTF-8: line rows with the order-level fields (Financial Status, Paid at,
                        Total, Refunded Amount, Billing …) on the first row only; times like ``2024-03-05 23:30:00
                        -0500``; paid / partially_refunded / refunded / pending / authorized / voided (+ Cancelled at)
- pinduoduo_orders.csv  Pinduoduo 订单导出, UTF-8 with BOM: amounts with ``(元)`` headers, masked phones
                        (``138****5678``), 售后状态 退款成功 on a delivered order
- youzan_orders.csv     Youzan 订单导出, UTF-8 with BOM: line rows with the order fields on the first row only,
                        买家昵称 as the buyer, 退款状态
- woocommerce_orders.csv WooCommerce (Advanced Order Export default columns): one row per item with the order
                        fields repeated, Country Code (Billing), Completed / Processing / On hold / Cancelled / Refunded
- online_retail.csv     UCI Online Retail-shaped: InvoiceNo, StockCode, Description, Quantity, InvoiceDate
                        (``12/1/2010 8:26``), UnitPrice, CustomerID (``17850.0``), Country; ``C…`` cancellation
                        invoices with negative quantities, one customer with only cancellations
- expected.json         per file: as_of, orders, customers, revenue and every customer's frequency, monetary and
                        recency_days by the order rules (the README's "Orders as shops export them"), computed
                        here from the orders themselves, not from the files; and the Shopify phones in E.164

The rules, as the figures apply them: an order counts unless its status is unpaid, cancelled/closed/voided or
refunded (or it has a cancelled-at time, a refund status of 退款成功, a refund equal to its amount); its amount is
the amount paid (else a total, else goods value, else unit price × quantity) less its refund, taken once per
order; an order with a negative net amount is a credit note: in revenue and monetary, not a purchase.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2024, 6, 30)
START = dt.datetime(2024, 1, 2, 8, 0, 0)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "晓东", "子涵", "雨萱", "浩然", "思远", "嘉怡", "俊杰", "欣怡", "宇航", "梓轩", "一诺", "若曦"]
CN_PRODUCTS = [("保温杯 500ml", 89.0), ("蓝牙耳机", 299.0), ("羊毛围巾", 259.5), ("咖啡豆 1kg", 168.0),
               ("电动牙刷", 399.0), ("瑜伽垫", 129.9), ("空气净化器", 1999.0), ("真丝眼罩", 45.8)]
EN_PRODUCTS = [("Ceramic Mug", 14.5), ("Loose Leaf Tea 100g", 9.99), ("Wool Scarf", 39.0), ("Tea Infuser", 6.25),
               ("Travel Tumbler", 24.95), ("Gift Card", 25.0)]
CITIES = ["上海市浦东新区", "北京市朝阳区", "浙江省杭州市西湖区", "广东省深圳市南山区", "四川省成都市武侯区"]
MOBILE = ["138", "139", "150", "151", "158", "159", "186", "187", "188", "135", "136", "177", "199"]
COUNTED = {"completed", "paid", "shipped", "partially_refunded"}


def _money(x: float) -> float:
    return round(x + 1e-9, 2)


@dataclass
class Customer:
    key: str                    # the customer key crm must arrive at
    name: str
    phone: str = ""             # national form as written
    e164: str = ""
    email: str = ""
    country: str = "CN"


@dataclass
class Order:
    oid: str
    customer: Customer
    created: dt.datetime
    status: str                 # as the platform writes it
    cls: str                    # the class the rules give it ("?": not in the vocabulary: counted)
    lines: list[tuple[str, int, float]]
    shipping: float = 0.0
    discount: float = 0.0
    refund: float = 0.0
    refund_status: str = ""     # 退款成功 …: the order is refunded whatever its status
    cancelled: bool = False

    @property
    def goods(self) -> float:
        return _money(sum(q * p for _, q, p in self.lines))

    @property
    def total(self) -> float:
        return _money(self.goods + self.shipping)

    @property
    def paid(self) -> float:
        return _money(self.total - self.discount)

    @property
    def counted(self) -> bool:
        if self.cancelled or self.refund_status == "退款成功":
            return False
        if self.cls not in COUNTED and self.cls != "?":
            return False
        return not (self.refund > 0 and self.refund >= self.paid)

    @property
    def net(self) -> float:
        return _money(self.paid - self.refund)


def _cn_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE) + f"{rng.randrange(10**8):08d}"


def _cn_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            return name


def _when(rng: random.Random) -> dt.datetime:
    return START + dt.timedelta(days=rng.randrange(0, (AS_OF - START.date()).days + 1),
                                seconds=rng.randrange(8 * 3600, 23 * 3600 + 59 * 60))


def _lines(rng: random.Random, products, most: int = 1) -> list[tuple[str, int, float]]:
    picks = rng.sample(products, rng.randint(1, most))
    return [(name, rng.choice([1, 1, 1, 2, 3]), price) for name, price in picks]


def truth(orders: list[Order], as_of: dt.date = AS_OF) -> dict:
    """The figures the order rules define, from the orders themselves."""
    counted = [o for o in orders if o.counted and o.created.date() <= as_of]
    per: dict[str, dict] = {}
    for o in counted:
        c = per.setdefault(o.customer.key, {"frequency": 0, "monetary": 0.0, "last": None})
        c["monetary"] = _money(c["monetary"] + o.net)
        if o.net >= 0:
            c["frequency"] += 1
            c["last"] = max(c["last"] or o.created.date(), o.created.date())
    customers = {k: {"frequency": v["frequency"], "monetary": v["monetary"],
                     "recency_days": (as_of - v["last"]).days}
                 for k, v in sorted(per.items()) if v["frequency"] > 0}
    purchases = [o for o in counted if o.net >= 0]
    return {"as_of": as_of.isoformat(), "orders": len(purchases), "customers": len(customers),
            "revenue": _money(sum(o.net for o in counted)), "credit_notes": len(counted) - len(purchases),
            "left_out": len([o for o in orders if not o.counted and o.created.date() <= as_of]),
            "customers_table": customers}


# ----------------------------------------------------------------- Taobao / Tmall

TAOBAO_STATUS = [("交易成功", "completed", 10), ("卖家已发货，等待买家确认", "shipped", 3),
                 ("买家已付款，等待卖家发货", "paid", 2), ("等待买家付款", "unpaid", 2), ("交易关闭", "cancelled", 3)]
TAOBAO_HEADERS = ["订单编号 ", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额 ",
                  "返点积分", "买家实际支付金额 ", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ",
                  "运送方式", "联系电话 ", "联系手机", "订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类",
                  "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "退款金额"]


def make_taobao(rng: random.Random) -> tuple[list[list[str]], list[Order]]:
    used: set[str] = set()
    customers = [Customer(key=f"tb_{rng.choice(['xiao', 'da', 'ai', 'mi'])}{rng.choice(['yu', 'mei', 'lan', 'feng'])}"
                          f"{i:02d}{rng.randrange(10, 99)}", name=_cn_name(rng, used), phone=_cn_mobile(rng))
                 for i in range(14)]
    weights = [w for *_, w in TAOBAO_STATUS]
    orders: list[Order] = []
    for i in range(60):
        st, cls, _ = rng.choices(TAOBAO_STATUS, weights)[0]
        o = Order(oid=f"{2300835653442855376 + i * 7919}", customer=rng.choice(customers), created=_when(rng),
                  status=st, cls=cls, lines=_lines(rng, CN_PRODUCTS, 2), shipping=rng.choice([0.0, 0.0, 6.0, 10.0]),
                  discount=rng.choice([0.0, 0.0, 5.0, 20.0]))
        if cls == "completed" and rng.random() < 0.2:
            o.refund = _money(min(o.paid, rng.choice([10.0, 29.9, 50.0])))
        orders.append(o)
    orders[5].status, orders[5].cls, orders[5].refund = "交易成功", "completed", orders[5].paid  # a whole refund
    rows = []
    for o in orders:
        paid = o.paid if o.cls not in ("unpaid", "cancelled") else 0.0
        phone = o.customer.phone
        mobile = rng.choice([f"'{phone}", phone, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"])
        paid_at = "" if o.cls == "unpaid" or (o.cls == "cancelled" and rng.random() < 0.5) else \
            (o.created + dt.timedelta(minutes=rng.randrange(1, 90))).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([f'="{o.oid}"', o.customer.key, f"{o.customer.key}@example.cn", f"{o.goods:.2f}",
                     f"{o.shipping:.2f}", "0", f"{o.total:.2f}", "0", f"{paid:.2f}", "0", o.status, "",
                     o.customer.name, f"{rng.choice(CITIES)}{rng.randrange(1, 300)}号", "快递", rng.choice(["-", "", "-"]),
                     mobile, o.created.strftime("%Y-%m-%d %H:%M:%S"), paid_at, " ".join(n for n, _, _ in o.lines),
                     str(len(o.lines)), f'="YT{rng.randrange(10**12):012d}"' if o.cls in ("completed", "shipped") else "",
                     "圆通速递" if o.cls in ("completed", "shipped") else "", "", str(sum(q for _, q, _ in o.lines)),
                     "57301234", "小雨家居旗舰店", "买家取消" if o.cls == "cancelled" else "", f"{o.refund:.2f}"])
    return rows, orders


# ----------------------------------------------------------------- JD

JD_STATUS = [("完成", "completed", 10), ("等待确认收货", "shipped", 3), ("等待出库", "paid", 2), ("已取消", "cancelled", 3),
             ("锁定", "cancelled", 1), ("暂停", "?", 1)]
JD_HEADERS = ["订单号", "商品ID", "商品名称", "订购数量", "支付方式", "下单时间", "京东价", "订单金额", "结算金额", "余额支付",
              "应付金额", "订单状态", "订单类型", "下单帐号", "客户姓名", "客户地址", "联系电话", "订单备注", "运费金额",
              "付款确认时间", "订单完成时间", "订单来源"]


def make_jd(rng: random.Random) -> tuple[list[list[object]], list[Order]]:
    used: set[str] = set()
    customers = [Customer(key=f"jd_{rng.randrange(10**6, 10**7)}", name=_cn_name(rng, used), phone=_cn_mobile(rng))
                 for i in range(12)]
    customers[3].name = customers[4].name  # two buyers with the same name: the account tells them apart
    weights = [w for *_, w in JD_STATUS]
    orders = []
    for i in range(45):
        st, cls, _ = rng.choices(JD_STATUS, weights)[0]
        orders.append(Order(oid=str(281000000000 + i * 131), customer=rng.choice(customers), created=_when(rng),
                            status=st, cls=cls, lines=_lines(rng, CN_PRODUCTS, 3), shipping=rng.choice([0.0, 6.0]),
                            discount=rng.choice([0.0, 0.0, 10.0, 30.0])))
    rows: list[list[object]] = []
    for o in orders:
        settle = _money(o.paid * 0.95)
        done = (o.created + dt.timedelta(days=5)).strftime("%Y-%m-%d %H:%M:%S") if o.cls == "completed" else ""
        masked = rng.random() < 0.3
        phone = f"{o.customer.phone[:3]}****{o.customer.phone[7:]}" if masked else o.customer.phone
        for name, qty, price in o.lines:
            rows.append([o.oid, str(100000 + CN_PRODUCTS.index((name, price))), name, qty, "在线支付",
                         o.created.strftime("%Y-%m-%d %H:%M:%S"), price, o.total, settle, 0.0, o.paid, o.status,
                         "SOP", o.customer.key, o.customer.name, rng.choice(CITIES), phone, "", o.shipping,
                         "" if o.cls == "cancelled" else o.created.strftime("%Y-%m-%d %H:%M:%S"), done, "京东APP"])
    return rows, orders


# ----------------------------------------------------------------- Shopify

SHOPIFY_STATUS = [("paid", "paid", 10), ("partially_refunded", "partially_refunded", 2), ("refunded", "refunded", 2),
                  ("pending", "unpaid", 1), ("authorized", "unpaid", 1), ("voided", "cancelled", 1)]
SHOPIFY_HEADERS = ["Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
                   "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
                   "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
                   "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
                   "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
                   "Billing Address1", "Billing City", "Billing Zip", "Billing Province", "Billing Country",
                   "Billing Phone", "Shipping Name", "Shipping Address1", "Shipping City", "Shipping Country",
                   "Shipping Phone", "Notes", "Cancelled at", "Payment Method", "Refunded Amount", "Vendor", "Id",
                   "Tags", "Risk Level", "Source", "Phone"]
SHOPIFY_PEOPLE = [("Emma Clarke", "GB"), ("Liam Walker", "US"), ("Olivia Wright", "GB"), ("Noah Hughes", "US"),
                  ("Mia Green", "DE"), ("Lucas Hall", "US"), ("Chloe Taylor", "GB"), ("Henry Wilson", "CA"),
                  ("Grace Brown", "AU"), ("Jack Smith", "US"), ("Wei Zhang", "CN")]
OFFSETS = {"GB": "+0000", "US": "-0500", "DE": "+0100", "CA": "-0500", "AU": "+1000", "CN": "+0800"}


def _phone_for(rng: random.Random, region: str) -> tuple[str, str]:
    """(national format as a person types it, E.164) of a valid mobile number of ``region``."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    base = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    for _ in range(200):
        digits = str(base.national_number)
        tail = f"{rng.randrange(10**4):04d}"
        num = phonenumbers.parse(digits[:-4] + tail, region)
        if phonenumbers.is_valid_number(num):
            national = phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL)
            return national, phonenumbers.format_number(num, PhoneNumberFormat.E164)
    raise RuntimeError(f"no valid number for {region}")


def make_shopify(rng: random.Random) -> tuple[list[list[str]], list[Order], dict[str, str]]:
    customers = []
    for name, cc in SHOPIFY_PEOPLE:
        national, e164 = _phone_for(rng, cc)
        first, last = name.lower().split()
        customers.append(Customer(key=f"{first}.{last}@example.com", name=name, phone=national, e164=e164,
                                  email=f"{first}.{last}@example.com", country=cc))
    weights = [w for *_, w in SHOPIFY_STATUS]
    orders = []
    for i in range(40):
        st, cls, _ = rng.choices(SHOPIFY_STATUS, weights)[0]
        c = rng.choice(customers)
        o = Order(oid=f"#{1001 + i}", customer=c, created=_when(rng), status=st, cls=cls,
                  lines=_lines(rng, EN_PRODUCTS, 3), shipping=rng.choice([0.0, 4.99, 7.5]),
                  discount=rng.choice([0.0, 0.0, 5.0]), cancelled=(st == "voided"))
        if cls == "partially_refunded":
            o.refund = _money(min(o.paid, o.lines[0][2]))
        if cls == "refunded":
            o.refund = o.paid
        orders.append(o)
    orders[3].created = orders[3].created.replace(hour=23, minute=30)  # the local date, not the UTC one
    rows, phones = [], {}
    for o in orders:
        c = o.customer
        off = OFFSETS[c.country]
        created = o.created.strftime("%Y-%m-%d %H:%M:%S") + " " + off
        paid_at = "" if o.cls == "unpaid" else (o.created + dt.timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S") \
            + " " + off
        email = c.email if rng.random() < 0.8 else c.email.split("@")[0] + "@EXAMPLE.com"
        for k, (name, qty, price) in enumerate(o.lines):
            first = k == 0
            order_level = [o.status, paid_at, "fulfilled" if o.cls != "unpaid" else "unfulfilled", "", "no", "USD",
                           f"{o.goods:.2f}", f"{o.shipping:.2f}", "0.00", f"{o.paid:.2f}",
                           "SPRING5" if o.discount else "", f"{o.discount:.2f}", "Standard"] if first else [""] * 13
            billing = [c.name, "1 High Street", "1 High Street", "Springfield", "00000", "", c.country, c.phone,
                       c.name, "1 High Street", "Springfield", c.country, ""] if first else [""] * 13
            rows.append([o.oid, email, *order_level, created, str(qty), name, f"{price:.2f}", "", f"SKU-{k}",
                         "true", "true", "fulfilled", *billing, "",
                         (o.created + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S") + " " + off
                         if (first and o.cancelled) else "",
                         "Shopify Payments" if first else "", f"{o.refund:.2f}" if first else "", "Teahouse",
                         str(5550000000 + int(o.oid[1:])) if first else "", "", "Low" if first else "",
                         "web" if first else "", ""])
            if first:
                phones[f"{o.oid}"] = c.e164
    return rows, orders, phones


# ----------------------------------------------------------------- Pinduoduo

PDD_STATUS = [("已签收", "completed", 8), ("已发货，待签收", "shipped", 3), ("待发货", "paid", 2), ("已取消", "cancelled", 2)]
PDD_HEADERS = ["商品", "订单号", "订单状态", "商品总价(元)", "店铺优惠折扣(元)", "平台优惠折扣(元)", "邮费(元)",
               "用户实付金额(元)", "商家实收金额(元)", "商品数量(件)", "收货人", "手机", "详细地址", "订单成交时间",
               "支付时间", "发货时间", "确认收货时间", "商品id", "商品规格", "售后状态", "快递单号", "快递公司"]


def make_pdd(rng: random.Random) -> tuple[list[list[str]], list[Order]]:
    used: set[str] = set()
    customers = []
    for _ in range(12):
        name = _cn_name(rng, used)
        customers.append(Customer(key=name, name=name, phone=_cn_mobile(rng)))
    weights = [w for *_, w in PDD_STATUS]
    orders = []
    for i in range(40):
        st, cls, _ = rng.choices(PDD_STATUS, weights)[0]
        o = Order(oid=f"240{rng.randrange(101, 630):03d}-{rng.randrange(10**14, 10**15)}", customer=rng.choice(customers),
                  created=_when(rng), status=st, cls=cls, lines=_lines(rng, CN_PRODUCTS, 1),
                  discount=rng.choice([0.0, 3.0, 5.0]))
        if cls == "completed" and rng.random() < 0.15:
            o.refund_status = "退款成功"
        orders.append(o)
    rows = []
    for o in orders:
        name, qty, price = o.lines[0]
        shop, platform = (o.discount, 0.0) if rng.random() < 0.5 else (0.0, o.discount)
        masked = f"{o.customer.phone[:3]}****{o.customer.phone[7:]}"
        rows.append([name, o.oid, o.status, f"{o.goods:.2f}", f"{shop:.2f}", f"{platform:.2f}", "0.00",
                     f"{o.paid:.2f}", f"{_money(o.paid + platform):.2f}", str(qty), o.customer.name, masked,
                     f"{rng.choice(CITIES)}****", o.created.strftime("%Y-%m-%d %H:%M:%S"),
                     "" if o.cls == "cancelled" else o.created.strftime("%Y-%m-%d %H:%M:%S"), "", "",
                     str(400000 + CN_PRODUCTS.index((name, price))), "默认", o.refund_status or "无售后或售后取消",
                     "", ""])
    return rows, orders


# ----------------------------------------------------------------- Youzan

YOUZAN_STATUS = [("已完成", "completed", 8), ("已发货", "shipped", 2), ("待发货", "paid", 2), ("待付款", "unpaid", 2),
                 ("已关闭", "cancelled", 2)]
YOUZAN_HEADERS = ["订单号", "订单状态", "订单创建时间", "买家付款时间", "买家昵称", "买家手机号", "收货人/提货人",
                  "收货人手机号/提货人手机号", "详细收货地址/提货地址", "商品名称", "商品规格", "商品数量", "商品单价",
                  "商品金额合计", "运费", "订单实付金额", "退款状态", "订单来源"]


def make_youzan(rng: random.Random) -> tuple[list[list[str]], list[Order]]:
    used: set[str] = set()
    customers = [Customer(key=f"{rng.choice(['小', '阿', '大'])}{_cn_name(rng, used)[1:]}{i}", name=_cn_name(rng, used),
                          phone=_cn_mobile(rng)) for i in range(10)]
    weights = [w for *_, w in YOUZAN_STATUS]
    orders = []
    for i in range(36):
        st, cls, _ = rng.choices(YOUZAN_STATUS, weights)[0]
        o = Order(oid=f"E2024{i:04d}{rng.randrange(10**9):09d}", customer=rng.choice(customers), created=_when(rng),
                  status=st, cls=cls, lines=_lines(rng, CN_PRODUCTS, 3), shipping=rng.choice([0.0, 8.0]))
        if cls == "completed" and rng.random() < 0.15:
            o.refund_status = "退款成功"
        orders.append(o)
    rows = []
    for o in orders:
        for k, (name, qty, price) in enumerate(o.lines):
            head = [o.oid, o.status, o.created.strftime("%Y-%m-%d %H:%M:%S"),
                    "" if o.cls == "unpaid" else o.created.strftime("%Y-%m-%d %H:%M:%S"), o.customer.key,
                    o.customer.phone, o.customer.name, o.customer.phone, rng.choice(CITIES)] if k == 0 else \
                [o.oid] + [""] * 8
            tail = [f"{o.goods:.2f}", f"{o.shipping:.2f}", f"{o.paid:.2f}", o.refund_status or "无", "微商城"] \
                if k == 0 else [""] * 5
            rows.append([*head, name, "默认", str(qty), f"{price:.2f}", *tail])
    return rows, orders


# ----------------------------------------------------------------- WooCommerce

WOO_STATUS = [("Completed", "completed", 8), ("Processing", "paid", 3), ("On hold", "unpaid", 1),
              ("Pending payment", "unpaid", 1), ("Cancelled", "cancelled", 1), ("Refunded", "refunded", 1)]
WOO_HEADERS = ["Order Number", "Order Status", "Order Date", "Customer Note", "First Name (Billing)",
               "Last Name (Billing)", "Company (Billing)", "Address 1&2 (Billing)", "City (Billing)",
               "State Code (Billing)", "Postcode (Billing)", "Country Code (Billing)", "Email (Billing)",
               "Phone (Billing)", "Payment Method Title", "Cart Discount Amount", "Order Subtotal Amount",
               "Shipping Method Title", "Order Shipping Amount", "Order Refund Amount", "Order Total Amount",
               "Order Total Tax Amount", "SKU", "Item #", "Item Name", "Quantity (- Refund)", "Item Cost", "Coupon Code",
               "Discount Amount"]
WOO_PEOPLE = [("Amelia", "Jones", "GB"), ("Oliver", "Davies", "GB"), ("Isla", "Evans", "GB"), ("Harry", "Roberts", "US"),
              ("Ava", "Thomas", "US"), ("George", "Johnson", "DE"), ("Sophie", "Lee", "AU"), ("Leo", "Martin", "FR")]


def make_woo(rng: random.Random) -> tuple[list[list[str]], list[Order]]:
    customers = []
    for first, last, cc in WOO_PEOPLE:
        national, e164 = _phone_for(rng, cc)
        customers.append(Customer(key=f"{first.lower()}{last.lower()}@example.org", name=f"{first} {last}",
                                  phone=national, e164=e164, email=f"{first.lower()}{last.lower()}@example.org",
                                  country=cc))
    weights = [w for *_, w in WOO_STATUS]
    orders = []
    for i in range(30):
        st, cls, _ = rng.choices(WOO_STATUS, weights)[0]
        o = Order(oid=str(4100 + i * 3), customer=rng.choice(customers), created=_when(rng), status=st, cls=cls,
                  lines=_lines(rng, EN_PRODUCTS, 3), shipping=rng.choice([0.0, 3.95]), discount=rng.choice([0.0, 2.0]))
        if cls == "completed" and rng.random() < 0.2:
            o.refund = _money(o.lines[0][2])
        if cls == "refunded":
            o.refund = o.paid
        orders.append(o)
    rows = []
    for o in orders:
        c = o.customer
        first, last = c.name.split()
        for k, (name, qty, price) in enumerate(o.lines, start=1):
            rows.append([o.oid, o.status, o.created.strftime("%Y-%m-%d %H:%M"), "", first, last, "", "12 Mill Lane",
                         "Leeds", "", "LS1 4AB", c.country, c.email, c.phone, "Credit card", f"{o.discount:.2f}",
                         f"{o.goods:.2f}", "Flat rate", f"{o.shipping:.2f}", f"{o.refund:.2f}", f"{o.paid:.2f}", "0.00",
                         f"TEA-{EN_PRODUCTS.index((name, price)):03d}", str(k), name, str(qty), f"{price:.2f}",
                         "WELCOME2" if o.discount else "", f"{o.discount:.2f}" if k == 1 else "0.00"])
    return rows, orders


# ----------------------------------------------------------------- UCI Online Retail

RETAIL = [("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55), ("71053", "WHITE METAL LANTERN", 3.39),
          ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75), ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65),
          ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25), ("22633", "HAND WARMER UNION JACK", 1.85)]


def make_retail(rng: random.Random) -> tuple[list[list[str]], list[Order]]:
    ids = [str(12346 + 7 * i) for i in range(15)]
    customers = [Customer(key=cid, name="", country=rng.choice(["United Kingdom"] * 4 + ["France", "Germany"]))
                 for cid in ids]
    orders: list[Order] = []
    n = 536365
    for i in range(55):
        c = rng.choice(customers[:-1])
        lines = [(f"{code} {desc}", rng.choice([1, 2, 6, 12, 24]), price)
                 for code, desc, price in rng.sample(RETAIL, rng.randint(1, 4))]
        orders.append(Order(oid=str(n + i), customer=c, created=_when(rng), status="", cls="completed", lines=lines))
    for k, o in enumerate(rng.sample(orders, 9)):  # cancellations: a C… invoice with negative quantities
        line = o.lines[0]
        orders.append(Order(oid=f"C{n + 100 + k}", customer=o.customer,
                            created=o.created + dt.timedelta(days=rng.randrange(0, 5)), status="", cls="completed",
                            lines=[(line[0], -min(line[1], rng.choice([1, 2, 6])), line[2])]))
    lonely = customers[-1]  # a customer with only a cancellation
    orders.append(Order(oid=f"C{n + 200}", customer=lonely, created=_when(rng), status="", cls="completed",
                        lines=[(f"{RETAIL[2][0]} {RETAIL[2][1]}", -3, RETAIL[2][2])]))
    rows = []
    for o in sorted(orders, key=lambda o: o.created):
        for text, qty, price in o.lines:
            code, desc = text.split(" ", 1)
            when = f"{o.created.month}/{o.created.day}/{o.created.year} {o.created.hour}:{o.created.minute:02d}"
            rows.append([o.oid, code, desc, str(qty), when, f"{price:.2f}", f"{o.customer.key}.0", o.customer.country])
    # a row without a customer (as in the real data set): left out, counted
    rows.append([str(n + 300), "22633", "HAND WARMER UNION JACK", "6", "6/1/2024 9:00", "1.85", "", "United Kingdom"])
    return rows, orders


def _write_csv(path: Path, headers: list[str], rows: list[list[object]], encoding: str, raw: bool = False) -> None:
    """A CSV as the platform writes it; ``raw``: cells joined as they are (Taobao writes ``="2300…"`` unquoted)."""
    if raw:
        lines = [",".join(map(str, r)) for r in [headers, *rows]]
        assert not any("\n" in line or line.count(",") != len(headers) - 1 for line in lines)
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
        return
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)


def _write_xlsx(path: Path, headers: list[str], rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "订单列表"
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)


def main(out: Path = HERE, seed: int = 20240630) -> dict:
    """Write every file into ``out``; return the expected figures."""
    out = Path(out)
    rng = random.Random(seed)
    expected: dict = {}
    rows, orders = make_taobao(rng)
    _write_csv(out / "taobao_orders.csv", TAOBAO_HEADERS, rows, "gb18030", raw=True)
    expected["taobao_orders.csv"] = truth(orders)
    rows, orders = make_jd(rng)
    _write_xlsx(out / "jd_orders.xlsx", JD_HEADERS, rows)
    expected["jd_orders.xlsx"] = truth(orders)
    rows, orders, phones = make_shopify(rng)
    _write_csv(out / "shopify_orders.csv", SHOPIFY_HEADERS, rows, "utf-8")
    expected["shopify_orders.csv"] = {**truth(orders), "phones": phones}
    rows, orders = make_pdd(rng)
    _write_csv(out / "pinduoduo_orders.csv", PDD_HEADERS, rows, "utf-8-sig")
    expected["pinduoduo_orders.csv"] = truth(orders)
    rows, orders = make_youzan(rng)
    _write_csv(out / "youzan_orders.csv", YOUZAN_HEADERS, rows, "utf-8-sig")
    expected["youzan_orders.csv"] = truth(orders)
    rows, orders = make_woo(rng)
    _write_csv(out / "woocommerce_orders.csv", WOO_HEADERS, rows, "utf-8")
    expected["woocommerce_orders.csv"] = {**truth(orders),
                                          "phones": {o.oid: o.customer.e164 for o in orders}}
    rows, orders = make_retail(rng)
    _write_csv(out / "online_retail.csv", ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                                            "UnitPrice", "CustomerID", "Country"], rows, "utf-8")
    expected["online_retail.csv"] = truth(orders)
    (out / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return expected


if __name__ == "__main__":
    for name, e in main().items():
        print(f"{name:24} orders {e['orders']:3}  customers {e['customers']:3}  revenue {e['revenue']:>10,.2f}  "
              f"credit notes {e['credit_notes']}  left out {e['left_out']}")
