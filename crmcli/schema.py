"""Canonical fields and the mapping of real-world headers onto them.

A header matches a field when its *key* (lower-cased, with spaces, punctuation and
underscores removed, full-width characters folded; a unit in brackets such as ``(元)``
ignored) equals the key of one of the field's synonyms. English and Chinese synonyms are
listed, with the header sets of the shop platforms' exports (Taobao/Tmall, JD, Pinduoduo,
Youzan, Shopify, WooCommerce); ``--map FIELD=COLUMN`` overrides. When several columns name
a field, the best-ranked one takes it (:data:`AMOUNT_SOURCES`, :data:`BUYER_ACCOUNTS`);
generic headers are confirmed by their values (:func:`map_table`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from .errors import UsageError

#: Field name -> synonyms (the field name itself is always a synonym).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer id", "cust id", "customer no", "customer number", "customer code",
                    "client id", "member id", "member no", "user id", "buyer id", "account id",
                    "客户id", "客户编号", "客户号", "客户代码", "客户编码", "会员id", "会员编号", "会员号",
                    "会员卡号", "用户id", "用户编号", "买家id", "顾客id", "顾客编号", "customer id (billing)"),
    "name": ("name", "customer name", "customer", "client name", "client", "full name", "contact",
             "contact name", "contact person", "buyer name", "member name", "billing name",
             "shipping name", "recipient", "recipient name", "收货人姓名", "收件人", "收件人姓名", "提货人",
             "收货人/提货人",
             "客户名称", "客户姓名", "客户名", "客户", "姓名", "名字", "联系人", "顾客", "顾客姓名",
             "会员姓名", "会员名称", "买家", "买家姓名", "收货人", "用户名", "用户姓名"),
    "first_name": ("first name", "given name", "forename", "firstname", "名", "first name (billing)",
                   "billing first name"),
    "last_name": ("last name", "surname", "family name", "lastname", "姓", "last name (billing)",
                  "billing last name"),
    "company": ("company", "company name", "organization", "organisation", "org", "account",
                "account name", "business", "employer", "公司", "公司名称", "单位", "单位名称",
                "企业", "企业名称", "客户公司", "所属公司", "机构",
                "organization name", "organisation name", "org name", "business name", "company legal name",
                "legal name", "firm", "firm name", "agency", "agency name", "site name", "site",
                "location name", "facility", "facility name", "provider name", "center name",
                "centre name", "school name", "store name", "shop name", "branch name", "outlet",
                "merchant name", "vendor name", "supplier name",
                "机构名称", "门店名称", "门店", "网点", "网点名称", "商户", "商户名称", "商家", "商家名称",
                "分店", "分店名称", "店名", "经销商", "经销商名称", "供应商", "供应商名称", "客户单位",
                "工作单位", "学校名称", "医院名称", "单位全称", "公司全称", "企业全称"),
    "phone": ("phone", "phone number", "mobile", "mobile phone", "mobile number", "cell",
              "cellphone", "cell phone", "tel", "telephone", "contact number", "contact phone",
              "电话", "手机", "手机号", "手机号码", "联系电话", "联系方式", "电话号码", "移动电话",
              "联系手机", "客户电话", "客户手机", "收货人电话", "收货人手机", "billing phone", "shipping phone",
              "phone (billing)", "phone (shipping)", "买家手机", "买家手机号", "收货人手机号", "提货人手机号",
              "收件人电话", "收件人手机", "收货人手机号/提货人手机号"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "邮箱", "电子邮箱",
              "电子邮件", "邮件", "邮箱地址", "email地址", "customer email", "billing email", "email (billing)",
              "buyer email", "买家邮箱"),
    "address": ("address", "street", "street address", "address line", "address 1", "address1",
                "mailing address", "shipping address", "地址", "详细地址", "联系地址", "收货地址",
                "通讯地址", "街道地址", "家庭住址", "住址", "billing address1", "billing address", "billing street",
                "shipping address1", "shipping street", "address 1&2 (billing)", "address 1 (billing)",
                "详细收货地址", "收件地址", "客户地址", "收货人地址", "提货地址", "详细收货地址/提货地址"),
    "city": ("city", "town", "城市", "市", "所在城市", "所在市", "billing city", "shipping city", "city (billing)",
             "收货城市"),
    "province": ("province", "省", "省份", "所在省", "所在省份", "省/直辖市", "省市", "billing province",
                 "billing province name", "shipping province", "收货省份"),
    "state": ("state", "region", "county", "州", "地区", "state code (billing)", "billing state"),
    "country": ("country", "nation", "国家", "国家/地区", "国别", "billing country", "shipping country",
                "country code (billing)", "country (billing)", "country code", "收货国家"),
    "postcode": ("postcode", "post code", "postal code", "zip", "zip code", "zipcode", "邮编",
                 "邮政编码", "billing zip", "shipping zip", "postcode (billing)", "billing postcode"),
    "gender": ("gender", "sex", "性别"),
    "birth_date": ("birth date", "date of birth", "dob", "birthday", "birthdate", "出生日期",
                   "生日", "出生年月"),
    "national_id": ("national id", "id card", "id number", "ssn", "soc sec id", "passport",
                    "身份证", "身份证号", "身份证号码", "证件号", "证件号码"),
    "created_at": ("created at", "created", "create time", "created time", "creation date", "created date",
                   "signup date", "sign up date", "registered", "registration date", "join date",
                   "创建时间", "创建日期", "注册时间", "注册日期", "录入时间", "录入日期", "入会时间",
                   "建档日期", "开户日期"),
    "order_id": ("order id", "order no", "order number", "order", "order code", "invoice",
                 "invoice no", "invoice number", "invoice id", "transaction id", "txn id",
                 "订单号", "订单编号", "订单id", "订单", "单号", "订单号码", "交易号", "交易编号",
                 "流水号", "发票号", "order name", "订单编码", "主订单编号", "交易订单号"),
    "order_date": ("order date", "date", "purchase date", "transaction date", "invoice date",
                   "sale date", "sales date", "order time", "purchase time", "order created", "order created at",
                   "date created", "order placed", "placed at", "order creation time",
                   "下单日期", "订单日期", "日期", "成交日期", "下单时间", "订单时间", "成交时间",
                   "交易日期", "交易时间", "购买日期", "购买时间", "销售日期", "订单创建时间", "订单成交时间",
                   "创建订单时间", "拍下时间", "订单提交时间", "提交时间"),
    "product": ("product", "product name", "item", "item name", "sku", "goods", "description",
                "产品", "产品名称", "商品", "商品名称", "品名", "货品", "货品名称", "宝贝名称", "物品",
                "lineitem name", "line item name", "宝贝标题", "商品标题", "products", "product(s)", "选购商品",
                "商品信息"),
    "category": ("category", "product category", "type", "product type", "class",
                 "类别", "分类", "品类", "商品类别", "商品分类", "产品类别", "产品分类", "类目"),
    "quantity": ("quantity", "qty", "units", "count", "number of units", "pcs",
                 "数量", "件数", "购买数量", "销量", "销售数量", "lineitem quantity", "line item quantity",
                 "quantity (- refund)", "宝贝总数量", "订购数量", "商品数量", "items sold", "item count"),
    "unit_price": ("unit price", "price", "unit cost", "单价", "价格", "售价", "商品单价", "销售单价",
                   "lineitem price", "line item price", "item cost", "item price", "京东价", "宝贝单价"),
    "amount": ("amount", "total", "total amount", "order amount", "sales", "sales amount",
               "revenue", "value", "order value", "payment", "paid", "paid amount", "sum",
               "金额", "订单金额", "总金额", "实付金额", "实付", "付款金额", "销售额", "销售金额",
               "成交金额", "交易金额", "应付金额", "合计金额", "总价", "消费金额", "net sales", "net revenue",
               "gross sales", "预计金额", "商机金额", "预计成交金额", "预计签约金额", "合同金额", "expected amount",
               "deal amount", "deal value", "deal size", "opportunity amount", "gmv", "成交额", "活动销售额"),
    "channel": ("channel", "sales channel", "source", "platform", "store", "shop",
                "渠道", "销售渠道", "来源", "平台", "店铺", "来源渠道", "下单渠道", "店铺名称", "shop name",
                "store name", "订单来源", "订单渠道", "lead source", "线索来源", "商机来源", "客户来源"),
    "campaign": ("campaign", "campaign name", "campaign id", "promotion", "promo",
                 "活动", "活动名称", "营销活动", "推广活动", "活动编号"),
    "status": ("status", "order status", "state of order", "状态", "订单状态", "交易状态", "financial status",
               "payment status", "支付状态", "付款状态"),
    "lead_id": ("lead id", "lead no", "lead number", "prospect id", "线索id", "线索编号", "商机编号",
                "商机id", "opportunity id", "opportunity no", "opportunity number", "deal id", "商机号"),
    "lead_date": ("lead date", "lead created", "inquiry date", "enquiry date", "first contact",
                  "线索日期", "线索创建时间", "获客日期", "咨询日期", "首次接触日期"),
    "stage": ("stage", "lead stage", "pipeline stage", "funnel stage", "lead status", "deal stage",
              "阶段", "销售阶段", "线索阶段", "跟进阶段", "商机阶段", "线索状态"),
    "owner": ("owner", "sales rep", "salesperson", "sales person", "rep", "account manager", "opportunity owner",
              "deal owner", "lead owner", "account owner", "sales owner",
              "assigned to", "负责人", "销售", "销售员", "业务员", "跟进人", "客户经理", "归属销售",
              "所属销售"),
    "cost": ("cost", "spend", "budget", "campaign cost", "费用", "成本", "花费", "投入", "活动费用",
             "total cost", "总费用", "总成本", "费用合计", "成本合计", "活动成本", "投入费用"),
    "paid_at": ("paid at", "paid date", "payment date", "payment time", "date paid", "付款时间", "付款日期",
                "订单付款时间", "支付时间", "买家付款时间", "付款确认时间", "支付完成时间"),
    "refund_amount": ("refund amount", "refunded amount", "refund", "refunded", "order refund amount",
                      "退款金额", "退款", "已退款金额", "退款总金额"),
    "cancelled_at": ("cancelled at", "canceled at", "cancelled date", "cancel time", "取消时间", "订单取消时间"),
    "refund_status": ("refund status", "return status", "after-sale status", "售后状态", "退款状态", "维权状态"),
    # campaigns as marketers count them (counts on a campaign row; cost by type)
    "impressions": ("impressions", "impression", "exposures", "exposure", "views", "impr", "曝光", "曝光量",
                    "曝光数", "曝光次数", "展示量", "展示次数", "展现量", "展现", "浏览量", "阅读量"),
    "clicks": ("clicks", "click", "click count", "点击", "点击量", "点击数", "点击次数", "点击人数"),
    "participants": ("participants", "participant count", "attendees", "signups", "sign ups", "joined",
                     "参与人数", "参与者", "参加人数", "报名人数", "参与人次", "活动参与人数"),
    "buyers": ("buyers", "buyer count", "purchasers", "customers converted", "converted customers", "conversions",
               "成交人数", "购买人数", "下单人数", "付款人数", "转化人数", "成交客户数", "购买客户数"),
    "cost_ads": ("ad cost", "ads cost", "ad spend", "advertising", "advertising cost", "media cost", "media spend",
                 "广告费", "广告费用", "广告投放", "投放费用", "推广费", "推广费用", "媒介费用"),
    "cost_staff": ("staff cost", "labor cost", "labour cost", "personnel cost", "people cost", "人力", "人力成本",
                   "人力费用", "人工成本", "人工费用", "人员费用"),
    "cost_material": ("material cost", "materials", "materials cost", "print cost", "printing", "物料",
                      "物料费", "物料费用", "物料成本", "印刷费", "礼品费用"),
    "cost_other": ("other cost", "other costs", "other expenses", "misc cost", "其他", "其他费用", "其他成本",
                   "杂费"),
    # opportunities (the pipeline)
    "probability": ("probability", "win probability", "probability (%)", "win rate", "close probability",
                    "likelihood", "赢率", "赢单率", "成交概率", "成交可能性", "成单概率", "赢单概率"),
    "close_date": ("close date", "expected close", "expected close date", "closing date", "estimated close date",
                   "预计成交日期", "预计签约日期", "预计成交时间", "预计关闭日期", "预计成交", "预计结单日期"),
}

#: Headers that name the sales channel in an order table but the organisation itself in a list of them
#: (a Taobao export's 店铺 is the shop that sold; a franchise list's 店铺名称 is the record): in a table
#: with no order fields they map to ``company``.
CONTEXT_HEADERS: dict[str, tuple[str, str]] = {
    header: ("channel", "company") for header in ("store", "shop", "店铺", "店铺名称", "门店名")}
ORDER_FIELDS = frozenset(("order_id", "order_date", "amount", "quantity", "unit_price", "product"))

#: Canonical fields in their documented order.
FIELDS: tuple[str, ...] = tuple(SYNONYMS)

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def header_key(text: object) -> str:
    """The comparison key of a header: NFKC-folded, lower-case, no spaces or punctuation."""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    return _PUNCT.sub("", s)


#: Where an orders export's amount comes from, best first (DESIGN: the amount actually paid
#: wins over a total, which wins over goods value, which wins over unit price × quantity).
#: Each class lists its headers best first; the generic amount headers of :data:`SYNONYMS`
#: (``amount``, ``金额``, ``sales`` …) rank between a total and goods value.
AMOUNT_SOURCES: dict[str, tuple[str, ...]] = {
    "paid": ("买家实际支付金额", "实付金额", "实付款", "实付", "应付金额", "结算金额", "用户实付金额", "订单实付金额",
             "实收金额", "商家实收金额", "付款金额", "支付金额", "已付金额", "amount paid", "paid amount", "total paid",
             "net paid", "paid", "payment", "payment amount"),
    "total": ("总金额", "订单金额", "订单总金额", "订单总额", "订单总价", "订单应付金额", "total", "order total",
              "order total amount", "total amount", "order amount", "grand total", "order value", "合计金额", "总价"),
    "amount": (),
    "goods": ("买家应付货款", "商品总价", "商品金额", "商品金额合计", "商品总金额", "货款", "货品金额", "subtotal",
              "order subtotal", "order subtotal amount", "goods value", "merchandise total", "items total"),
}
#: Labels of the amount classes, for the sentence saying which column was used.
AMOUNT_LABELS = {"paid": "the amount paid", "total": "a total", "amount": "an amount", "goods": "goods value"}
#: Buyer accounts: the customer id of an orders export that has no customer id column.
BUYER_ACCOUNTS: tuple[str, ...] = (
    "买家会员名", "买家昵称", "买家账号", "买家帐号", "下单帐号", "下单账号", "会员名", "会员账号", "会员帐号",
    "用户账号", "用户帐号", "buyer", "buyer account", "buyer nick", "buyer username", "buyer login", "customer username",
    "账号", "帐号", "用户昵称", "粉丝昵称")
#: Other stand-ins, ranked after the field's own synonyms: a SKU or item number names the
#: product only when no product name column does.
STAND_INS: dict[str, tuple[str, ...]] = {"customer_id": BUYER_ACCOUNTS,
                                         "product": ("sku", "item", "goods", "货号", "商品编码", "商家编码", "商品id")}
#: Headers so generic that they name a field only when the column's values fit it
#: (a column ``value`` of ``01, 002, 00003`` is not money; a ``Name`` of ``#1001`` is an order number).
GENERIC_HEADERS: tuple[str, ...] = ("value", "total", "sum", "date", "time", "name", "id", "no", "number", "code",
                                    "order", "count", "paid", "payment", "item")
#: Another field a generic header may name when its values fit that one instead.
GENERIC_ALTERNATIVES: dict[str, tuple[str, ...]] = {"name": ("order_id",)}
#: Cells that mean "nothing" in exports (counted as blank when columns compete for a field).
PLACEHOLDERS = frozenset({"", "-", "--", "—", "null", "none", "n/a", "na", "无", "暂无", "/"})

_UNIT = re.compile(r"\s*[(（\[【]\s*(?:元|件|个|人民币|rmb|cny|usd|\$|¥|￥|pcs|%)\s*[)）\]】]\s*$", re.IGNORECASE)

_INDEX: dict[str, str] = {}
_RANK: dict[str, int] = {}
for _field, _syns in SYNONYMS.items():
    for _syn in (_field, *_syns):
        _INDEX.setdefault(header_key(_syn), _field)
for _k, (_cls, _heads) in enumerate(AMOUNT_SOURCES.items()):
    for _i, _syn in enumerate(_heads):
        _key = header_key(_syn)
        _INDEX[_key] = "amount"
        _RANK.setdefault(_key, 100 * _k + _i)
for _key, _field in _INDEX.items():
    if _field == "amount":
        _RANK.setdefault(_key, 200)
for _field, _syns in STAND_INS.items():
    for _i, _syn in enumerate(_syns):
        _key = header_key(_syn)
        if _INDEX.get(_key) in (None, _field, "name"):
            _INDEX[_key] = _field
            _RANK[_key] = 100 + _i
_GENERIC = frozenset(header_key(h) for h in GENERIC_HEADERS)


def _lookup_key(header: object) -> str:
    """The index key of a header: its :func:`header_key`, without a unit in brackets (``用户实付金额(元)``)."""
    key = header_key(header)
    if key in _INDEX:
        return key
    return header_key(_UNIT.sub("", str(header)))


_CONTEXT = {header_key(h): fields for h, fields in CONTEXT_HEADERS.items()}


def field_for_header(header: object) -> str | None:
    """The canonical field a single header names, or None."""
    return _INDEX.get(_lookup_key(header)) if header is not None else None


def header_rank(header: object) -> int:
    """How surely a header names its field: 0 for the field's own synonyms; stand-ins (a total
    or goods value for ``amount``, a buyer account for ``customer_id``) rank higher (worse)."""
    return _RANK.get(_lookup_key(header), 0)


def amount_source(header: object) -> str:
    """The class of an amount header: ``paid``, ``total``, ``amount`` (generic) or ``goods``."""
    rank = header_rank(header)
    return list(AMOUNT_SOURCES)[min(rank // 100, len(AMOUNT_SOURCES) - 1)]


def parse_map_options(items: Iterable[str] | None) -> dict[str, str]:
    """Parse ``--map FIELD=COLUMN`` items into ``{field: column}``; raise UsageError if malformed."""
    out: dict[str, str] = {}
    for item in items or ():
        field, sep, column = item.partition("=")
        field = field.strip()
        if not sep or not field or not column.strip():
            raise UsageError(f"{{opt:map}} {item!r} is not FIELD=COLUMN", hint="e.g. {opt:map} phone=联系电话")
        if field not in SYNONYMS:
            raise UsageError(f"{{opt:map}} names unknown field {field!r}",
                             hint="fields: " + ", ".join(FIELDS))
        out[field] = column.strip()
    return out


@dataclass
class ColumnMap:
    """What :func:`map_table` decided: ``mapping`` ``{header: field}``; ``passed_over``
    ``{field: [headers]}`` (columns that also named the field but lost to a better one);
    ``unfit`` ``{header: sentence}`` (generic headers whose values did not fit their field)."""

    mapping: dict[str, str]
    passed_over: dict[str, list[str]] = field(default_factory=dict)
    unfit: dict[str, str] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """Sentences for stderr: the generic columns left unmapped (or mapped elsewhere) for their values."""
        return [f"column {h!r} {why}" for h, why in self.unfit.items()]


def resolve_header(field_name: str, header: str, columns: list[str]) -> str:
    """The column ``header`` names (as written, else the one column with the same key) for an override
    ``field_name = header``; a UsageError when the field is unknown or no single column matches."""
    if field_name not in SYNONYMS:
        raise UsageError(f"unknown field {field_name!r}", hint="fields: " + ", ".join(FIELDS), option="map")
    if header in columns:
        return header
    matches = [c for c in columns if header_key(c) == header_key(header)]
    if len(matches) != 1:
        raise UsageError(f"{{opt:map}} {field_name}={header}: no column named {header!r}",
                         hint="columns: " + ", ".join(columns[:30]), option="map")
    return matches[0]


def map_table(columns: Iterable[object], overrides: Mapping[str, str] | None = None, *,
              data: pd.DataFrame | None = None) -> ColumnMap:
    """Map headers onto canonical fields (see :func:`map_columns`), and say why.

    With ``data`` (the table, text as read) the mapping is also confirmed by content: a
    generic header (``value``, ``total``, ``date``, ``name``…) names its field only when its
    values fit it (numbers for money, dates for a date, names for ``name``; a ``Name`` of
    ``#1001`` names ``order_id``), and among columns naming a field equally well the one
    with the most values wins (a Taobao ``联系电话`` full of ``-`` loses to ``联系手机``).
    """
    columns = [str(c) for c in columns]
    overrides = dict(overrides or {})
    mapping: dict[str, str] = {}
    for fld, header in overrides.items():
        mapping[resolve_header(fld, header, columns)] = fld
    taken = set(mapping.values())
    unfit: dict[str, str] = {}
    candidates: dict[str, list[tuple[int, float, int, str]]] = {}
    orders = any(field_for_header(h) in ORDER_FIELDS for h in columns) or bool(taken & ORDER_FIELDS)
    for pos, header in enumerate(columns):
        if header in mapping:
            continue
        fld = field_for_header(header)
        context = _CONTEXT.get(header_key(header))
        if context:  # 店铺 / Store: the channel of an order, the record itself in a list of shops
            fld = context[0] if orders else context[1]
        if fld is None:
            continue
        rank = header_rank(header)
        if data is not None and header in data.columns and _lookup_key(header) in _GENERIC:
            fitting = _fitting_field(header, fld, data[header], unfit)
            if fitting is None:
                continue
            if fitting != fld:  # a stand-in for the other field: its own headers come first
                fld, rank = fitting, rank + 150
        candidates.setdefault(fld, []).append((rank, 0.0, pos, header))
    passed_over: dict[str, list[str]] = {}
    for fld, cands in candidates.items():
        if fld in taken:
            continue
        if len(cands) > 1 and data is not None:
            cands = [(r, -_filled_share(data[h]) if h in data.columns else 0.0, p, h) for r, _, p, h in cands]
        cands.sort()
        best = cands[0][3]
        mapping[best] = fld
        taken.add(fld)
        if len(cands) > 1:
            passed_over[fld] = [c[3] for c in cands[1:]]
    return ColumnMap({h: mapping[h] for h in columns if h in mapping}, passed_over, unfit)


def map_columns(columns: Iterable[object], overrides: Mapping[str, str] | None = None, *,
                data: pd.DataFrame | None = None) -> dict[str, str]:
    """Map headers onto canonical fields.

    Returns ``{header: field}`` for the mapped headers only (unmapped columns pass through
    untouched). Each field is taken by at most one column: the override, else the header
    that names it best (:func:`header_rank`: an amount paid over a total over goods value, a
    customer id over a buyer account), else — with ``data`` — the one with the most values,
    else the first. ``overrides`` is ``{field: header}``; a header not in ``columns`` is a
    UsageError. ``data`` (the table) confirms generic headers by content (:func:`map_table`).
    """
    return map_table(columns, overrides, data=data).mapping


def _filled_share(series: pd.Series) -> float:
    text = series.astype("str").fillna("").str.strip().str.casefold()
    return float((~text.isin(PLACEHOLDERS)).mean()) if len(text) else 0.0


#: An order number or code: no spaces, a digit (``#1001``, ``#7``, ``SO-2024-0001``, ``STORE1001``).
_CODE_LIKE = re.compile(r"^(?=\D*\d)[#A-Za-z0-9][\w#./-]*$")
_LEADING_ZERO = re.compile(r"^0\d")
SAMPLE = 500


def _fitting_field(header: str, fld: str, series: pd.Series, unfit: dict[str, str]) -> str | None:
    """The field a generic header's values fit (its own, else an alternative), or None; says why in ``unfit``."""
    values = [v for v in series.astype("str").fillna("").str.strip().head(SAMPLE * 4).tolist()
              if v.casefold() not in PLACEHOLDERS][:SAMPLE]
    if not values:
        return fld
    ok, why = _fits(fld, values)
    if ok:
        return fld
    for alt in GENERIC_ALTERNATIVES.get(_lookup_key(header), ()):
        if _fits(alt, values)[0]:
            unfit[header] = f"holds {why}, not {fld} values: mapped to {alt}"
            return alt
    unfit[header] = f"left unmapped: its values ({why}) do not fit {fld}"
    return None


def _fits(fld: str, values: list[str]) -> tuple[bool, str]:
    """Whether most sampled values fit ``fld`` (at least half), and what they look like when they do not."""
    from .fields import FIELD_KINDS, normalize_field

    kind = FIELD_KINDS.get(fld, "text")
    n = len(values)
    examples = ", ".join(list(dict.fromkeys(values))[:3])
    code_like = sum(bool(_CODE_LIKE.match(v)) for v in values) / n
    if kind in ("amount", "number"):
        res = normalize_field(pd.Series(values, dtype="str"), kind)
        numeric = float((~res.bad).mean())
        zeros = sum(bool(_LEADING_ZERO.match(v)) for v in values) / n
        if zeros > 0.2:
            return False, f"codes with leading zeros: {examples}"
        return numeric >= 0.5, f"not numbers: {examples}"
    if kind == "date":
        res = normalize_field(pd.Series(values, dtype="str"), "date")
        return float(res.parsed.notna().mean()) >= 0.5, f"not dates: {examples}"
    lettered = sum(any(c.isalpha() for c in v) for v in values) / n
    if fld == "product":
        return lettered >= 0.5, f"numbers: {examples}"
    if fld == "name":
        return lettered >= 0.5 and code_like < 0.5, f"numbers or codes: {examples}"
    if fld == "order_id":
        return code_like >= 0.8, f"not order numbers: {examples}"
    return True, ""


def find_column(name: str, columns: Iterable[object], mapping: Mapping[str, str]) -> tuple[str, str | None] | None:
    """``(header, field)`` of the column ``name`` means — a canonical field mapped in ``mapping``
    (``owner``), a header as written or by its key (``负责人``), or a synonym of a mapped field
    (``source`` -> the column mapped to ``channel``) — or None."""
    name = str(name).strip()
    columns = [str(c) for c in columns]
    by_field = {f: h for h, f in mapping.items()}
    if name in by_field:
        return by_field[name], name
    if name in columns:
        return name, mapping.get(name)
    keyed = [c for c in columns if header_key(c) == header_key(name)]
    if len(keyed) == 1:
        return keyed[0], mapping.get(keyed[0])
    fld = field_for_header(name)
    if fld in by_field:
        return by_field[fld], fld
    return None


def column_for(mapping: Mapping[str, str], field: str) -> str | None:
    """The header mapped to ``field`` in a ``{header: field}`` mapping, or None."""
    for header, f in mapping.items():
        if f == field:
            return header
    return None
