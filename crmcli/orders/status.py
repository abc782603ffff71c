"""Order status: which orders count, by the status text shops export (en + zh).

Each status maps to a class (:data:`CLASSES`). *completed*, *paid*, *shipped* and *partially
refunded* orders count; *unpaid* (pending), *cancelled* (closed, voided) and *refunded* (in
full) orders are left out and counted by class. Matching is case-, width-, space- and
punctuation-insensitive (``卖家已发货，等待买家确认`` = ``卖家已发货 等待买家确认``; ``Partially
Refunded`` = ``partially_refunded``). A status not in the vocabulary counts and is listed
once. Users extend or override the vocabulary (``crm.toml``: ``[orders] status``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from ..errors import UsageError

#: Status classes: counted (True) or left out (False).
CLASSES: dict[str, bool] = {"completed": True, "paid": True, "shipped": True, "partially_refunded": True,
                            "unpaid": False, "cancelled": False, "refunded": False}
#: Other spellings of the class names accepted in crm.toml.
CLASS_ALIASES = {"pending": "unpaid", "closed": "cancelled", "canceled": "cancelled", "voided": "cancelled",
                 "partially refunded": "partially_refunded", "partial_refund": "partially_refunded",
                 "complete": "completed", "fulfilled": "completed", "counted": "completed"}
#: How a left-out class is said on stderr (``left out: 312 cancelled or closed, 98 unpaid, 41 refunded``).
LEFT_OUT_LABELS = {"cancelled": "cancelled or closed", "unpaid": "unpaid", "refunded": "refunded"}
#: Status classes whose orders are left out (the ``dropped`` keys).
LEFT_OUT_CLASSES = tuple(LEFT_OUT_LABELS)

#: The vocabulary: class -> status texts as platforms write them (Taobao/Tmall, JD, Pinduoduo,
#: Youzan, Douyin, Shopify, WooCommerce, generic ERP exports).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "completed": ("交易成功", "已完成", "完成", "已签收", "交易完成", "订单完成", "已收货", "确认收货", "已确认收货",
                  "买家已确认收货", "已成交", "成功", "completed", "complete", "fulfilled", "delivered", "success",
                  "succeeded", "done", "finished", "received", "wc-completed"),
    "shipped": ("卖家已发货，等待买家确认", "卖家已发货", "商家已发货", "商家已发货，等待买家确认", "已发货", "等待确认收货",
                "等待买家确认收货", "已发货，待签收",
                "已发货待签收", "待收货", "待签收", "配送中", "运输中", "已出库", "shipped", "in transit", "dispatched",
                "out for delivery", "partially fulfilled", "partial", "partially shipped"),
    "paid": ("买家已付款，等待卖家发货", "买家已付款", "等待卖家发货", "等待商家发货", "买家已付款，等待商家发货", "等待出库",
             "待出库", "待发货", "已付款", "已支付",
             "付款成功", "支付成功", "备货中", "待配送", "等待发货", "未发货", "待成团", "退款中", "售后中", "退款处理中",
             "paid", "processing", "captured", "settled", "partially_paid", "partially paid", "wc-processing"),
    "partially_refunded": ("部分退款", "部分退款成功", "部分退款完成", "partially_refunded", "partially refunded",
                           "partial refund", "partly refunded"),
    "unpaid": ("等待买家付款", "待付款", "未付款", "待支付", "未支付", "等待付款", "付款中", "待买家付款",
               "等待买家支付", "pending", "unpaid", "authorized", "awaiting payment", "pending payment",
               "payment pending", "on hold", "on-hold", "failed", "payment failed", "draft", "checkout-draft",
               "wc-pending", "wc-on-hold", "wc-failed", "wc-checkout-draft"),
    "cancelled": ("交易关闭", "已取消", "已关闭", "取消", "锁定", "订单取消", "交易取消", "已作废", "作废", "关闭",
                  "订单关闭", "已删除", "删除", "拒收", "已拒收", "配送退货", "cancelled", "canceled", "voided", "void",
                  "closed", "rejected", "declined", "expired", "deleted", "trash", "wc-cancelled"),
    "refunded": ("退款成功", "已退款", "全额退款", "退款完成", "退货退款成功", "已退货", "退货完成", "全部退款",
                 "refunded", "fully refunded", "returned", "wc-refunded"),
}

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def status_key(text: object) -> str:
    """The comparison key of a status: NFKC-folded, lower-case, no spaces or punctuation."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", str(text)).casefold())


def parse_status_classes(table: Mapping[str, object] | None, where: str = "[orders] status") -> dict[str, str]:
    """``{status text: class}`` from crm.toml's ``[orders] status`` table, classes checked
    (:data:`CLASSES` or :data:`CLASS_ALIASES`); a UsageError names a bad one."""
    out: dict[str, str] = {}
    for text, cls in dict(table or {}).items():
        name = str(cls).strip().casefold()
        name = CLASS_ALIASES.get(name, name)
        if name not in CLASSES or not isinstance(cls, str):
            raise UsageError(f"{where}: {text!r} = {cls!r} is not a status class",
                             hint="classes: " + ", ".join(CLASSES) + " (also pending, closed, voided)")
        if not status_key(text):
            raise UsageError(f"{where}: an empty status text")
        out[str(text)] = name
    return out


def status_table(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{status key: class}``: the vocabulary, with ``overrides`` (``{text: class}``) winning."""
    table = {status_key(t): cls for cls, texts in VOCABULARY.items() for t in texts}
    for text, cls in parse_status_classes(overrides).items():
        table[status_key(text)] = cls
    return table


def classify_statuses(values: list[str], table: Mapping[str, str]) -> list[str | None]:
    """The class of each status text (``""`` for a blank one, None for an unknown one)."""
    out: list[str | None] = []
    for v in values:
        key = status_key(v)
        out.append("" if not key else table.get(key))
    return out
