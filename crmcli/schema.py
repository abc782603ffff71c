"""Canonical fields and the mapping of real-world headers onto them.

A header matches a field when its *key* (lower-cased, with spaces, punctuation and
underscores removed, full-width characters folded) equals the key of one of the field's
synonyms. English and Chinese synonyms are listed; ``--map FIELD=COLUMN`` overrides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from .errors import UsageError

#: Field name -> synonyms (the field name itself is always a synonym).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer id", "cust id", "customer no", "customer number", "customer code",
                    "client id", "member id", "member no", "user id", "buyer id", "account id",
                    "客户id", "客户编号", "客户号", "客户代码", "客户编码", "会员id", "会员编号", "会员号",
                    "会员卡号", "用户id", "用户编号", "买家id", "顾客id", "顾客编号"),
    "name": ("name", "customer name", "customer", "client name", "client", "full name", "contact",
             "contact name", "contact person", "buyer", "buyer name", "member name",
             "客户名称", "客户姓名", "客户名", "客户", "姓名", "名字", "联系人", "顾客", "顾客姓名",
             "会员姓名", "会员名称", "买家", "买家姓名", "收货人", "用户名", "用户姓名"),
    "first_name": ("first name", "given name", "forename", "firstname", "名"),
    "last_name": ("last name", "surname", "family name", "lastname", "姓"),
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
              "联系手机", "客户电话", "客户手机", "收货人电话", "收货人手机"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "邮箱", "电子邮箱",
              "电子邮件", "邮件", "邮箱地址", "email地址"),
    "address": ("address", "street", "street address", "address line", "address 1", "address1",
                "mailing address", "shipping address", "地址", "详细地址", "联系地址", "收货地址",
                "通讯地址", "街道地址", "家庭住址", "住址"),
    "city": ("city", "town", "城市", "市", "所在城市", "所在市"),
    "province": ("province", "省", "省份", "所在省", "所在省份", "省/直辖市", "省市"),
    "state": ("state", "region", "county", "州", "地区"),
    "country": ("country", "nation", "国家", "国家/地区", "国别"),
    "postcode": ("postcode", "post code", "postal code", "zip", "zip code", "zipcode", "邮编",
                 "邮政编码"),
    "gender": ("gender", "sex", "性别"),
    "birth_date": ("birth date", "date of birth", "dob", "birthday", "birthdate", "出生日期",
                   "生日", "出生年月"),
    "national_id": ("national id", "id card", "id number", "ssn", "soc sec id", "passport",
                    "身份证", "身份证号", "身份证号码", "证件号", "证件号码"),
    "created_at": ("created at", "created", "create time", "created time", "creation date",
                   "signup date", "sign up date", "registered", "registration date", "join date",
                   "创建时间", "创建日期", "注册时间", "注册日期", "录入时间", "录入日期", "入会时间",
                   "建档日期", "开户日期"),
    "order_id": ("order id", "order no", "order number", "order", "order code", "invoice",
                 "invoice no", "invoice number", "invoice id", "transaction id", "txn id",
                 "订单号", "订单编号", "订单id", "订单", "单号", "订单号码", "交易号", "交易编号",
                 "流水号", "发票号"),
    "order_date": ("order date", "date", "purchase date", "transaction date", "invoice date",
                   "sale date", "sales date", "order time", "purchase time", "paid at",
                   "下单日期", "订单日期", "日期", "成交日期", "下单时间", "订单时间", "成交时间",
                   "交易日期", "交易时间", "购买日期", "购买时间", "付款时间", "付款日期", "销售日期"),
    "product": ("product", "product name", "item", "item name", "sku", "goods", "description",
                "产品", "产品名称", "商品", "商品名称", "品名", "货品", "货品名称", "宝贝名称", "物品"),
    "category": ("category", "product category", "type", "product type", "class",
                 "类别", "分类", "品类", "商品类别", "商品分类", "产品类别", "产品分类", "类目"),
    "quantity": ("quantity", "qty", "units", "count", "number of units", "pcs",
                 "数量", "件数", "购买数量", "销量", "销售数量"),
    "unit_price": ("unit price", "price", "unit cost", "单价", "价格", "售价", "商品单价", "销售单价"),
    "amount": ("amount", "total", "total amount", "order amount", "sales", "sales amount",
               "revenue", "value", "order value", "payment", "paid", "paid amount", "sum",
               "金额", "订单金额", "总金额", "实付金额", "实付", "付款金额", "销售额", "销售金额",
               "成交金额", "交易金额", "应付金额", "合计金额", "总价", "消费金额"),
    "channel": ("channel", "sales channel", "source", "platform", "store", "shop",
                "渠道", "销售渠道", "来源", "平台", "店铺", "来源渠道", "下单渠道"),
    "campaign": ("campaign", "campaign name", "campaign id", "promotion", "promo",
                 "活动", "活动名称", "营销活动", "推广活动", "活动编号"),
    "status": ("status", "order status", "state of order", "状态", "订单状态", "交易状态"),
    "lead_id": ("lead id", "lead no", "lead number", "prospect id", "线索id", "线索编号", "商机编号",
                "商机id"),
    "lead_date": ("lead date", "lead created", "inquiry date", "enquiry date", "first contact",
                  "线索日期", "线索创建时间", "获客日期", "咨询日期", "首次接触日期"),
    "stage": ("stage", "lead stage", "pipeline stage", "funnel stage", "lead status", "deal stage",
              "阶段", "销售阶段", "线索阶段", "跟进阶段", "商机阶段", "线索状态"),
    "owner": ("owner", "sales rep", "salesperson", "sales person", "rep", "account manager",
              "assigned to", "负责人", "销售", "销售员", "业务员", "跟进人", "客户经理", "归属销售",
              "所属销售"),
    "cost": ("cost", "spend", "budget", "campaign cost", "费用", "成本", "花费", "投入", "活动费用",
             "推广费用"),
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


_INDEX: dict[str, str] = {}
for _field, _syns in SYNONYMS.items():
    for _syn in (_field, *_syns):
        _INDEX.setdefault(header_key(_syn), _field)


_CONTEXT = {header_key(h): fields for h, fields in CONTEXT_HEADERS.items()}


def field_for_header(header: object) -> str | None:
    """The canonical field a single header names, or None."""
    return _INDEX.get(header_key(header)) if header is not None else None


def parse_map_options(items: Iterable[str] | None) -> dict[str, str]:
    """Parse ``--map FIELD=COLUMN`` items into ``{field: column}``; raise UsageError if malformed."""
    out: dict[str, str] = {}
    for item in items or ():
        field, sep, column = item.partition("=")
        field = field.strip()
        if not sep or not field or not column.strip():
            raise UsageError(f"--map {item!r} is not FIELD=COLUMN", hint="e.g. --map phone=联系电话")
        if field not in SYNONYMS:
            raise UsageError(f"--map names unknown field {field!r}",
                             hint="fields: " + ", ".join(FIELDS))
        out[field] = column.strip()
    return out


def map_columns(columns: Iterable[object], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map headers onto canonical fields.

    Returns ``{header: field}`` for the mapped headers only (unmapped columns pass through
    untouched). Each field is taken by at most one column: the override, else the first
    header that names it. ``overrides`` is ``{field: header}``; a header not in ``columns``
    is a UsageError.
    """
    columns = [str(c) for c in columns]
    overrides = dict(overrides or {})
    mapping: dict[str, str] = {}
    for field, header in overrides.items():
        if field not in SYNONYMS:
            raise UsageError(f"unknown field {field!r}", hint="fields: " + ", ".join(FIELDS))
        if header not in columns:
            matches = [c for c in columns if header_key(c) == header_key(header)]
            if len(matches) != 1:
                raise UsageError(f"--map {field}={header}: no column named {header!r}",
                                 hint="columns: " + ", ".join(columns[:30]))
            header = matches[0]
        mapping[header] = field
    taken = set(mapping.values())
    orders = any(field_for_header(h) in ORDER_FIELDS for h in columns) or bool(taken & ORDER_FIELDS)
    for header in columns:
        if header in mapping:
            continue
        field = field_for_header(header)
        context = _CONTEXT.get(header_key(header))
        if context:
            field = context[0] if orders else context[1]
        if field and field not in taken:
            mapping[header] = field
            taken.add(field)
    return {h: mapping[h] for h in columns if h in mapping}


def column_for(mapping: Mapping[str, str], field: str) -> str | None:
    """The header mapped to ``field`` in a ``{header: field}`` mapping, or None."""
    for header, f in mapping.items():
        if f == field:
            return header
    return None
