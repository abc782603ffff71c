"""Market basket analysis (联合分析 / 关联分析): products bought together, and "then bought".

:func:`find_associations` is the one call behind ``crm basket``. Definitions:

- **Baskets.** Same-order mode (the default): a basket is an order (a distinct order id of a
  customer, as :func:`crmcli.orders.prepare_orders` groups lines; without an order id column each
  row is an order). The order rules apply: rows of unpaid, cancelled and refunded orders, repeated
  export rows and credit notes are left out; so are lines with a negative amount (returned items) and
  lines with no item. An item in a basket counts once, whatever its quantity.
- **Then bought** (``window`` = N days): the unit is a customer. The rule ``A ⇒ B`` holds for a
  customer who bought ``A`` in an order and ``B`` in a later order (a later order time) at most N
  days after it; ``{A, B} ⇒ C`` for a customer who bought ``A`` and ``B`` in one order and then
  ``C``. Only antecedent orders whose whole window is observed (order date + N ≤ as_of, the latest
  order date by default) count, in the numerator and the denominator alike.
- **Items** (``by``): ``product`` (default), ``category``, or any field or column of the table.
- **Measures** (as in mlxtend's ``association_rules``): ``count`` = baskets (customers) holding
  antecedent and consequent; ``support`` = count ÷ baskets; ``confidence`` = count ÷
  ``antecedent_count``; ``lift`` = confidence ÷ (``consequent_count`` ÷ baskets): above 1, buying the
  antecedent makes the consequent more likely than it is on its own.
- **Frequent** item sets are those in at least ``max(min_count, min_support × baskets)`` baskets
  (defaults: 2 baskets and 1 %); rules below ``min_confidence`` are dropped. Rules are sorted by lift,
  then count, then confidence (highest first). Pairs give the rules ``A ⇒ B`` and ``B ⇒ A``; with
  ``max_size=3`` each frequent triple gives ``{A, B} ⇒ C``, ``{A, C} ⇒ B`` and ``{B, C} ⇒ A``.

Counting is vectorized on a sparse basket × item matrix (see :mod:`.count`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, UsageError
from . import count as counting
from .tables import ITEMSET_COLUMNS, RULE_COLUMNS, SEPARATOR, Rules, itemset_table

__all__ = ["BASKET_DEFINITIONS", "Basket", "ITEMSET_COLUMNS", "RULE_COLUMNS", "SEPARATOR", "find_associations",
           "parse_share"]
BASKET_DEFINITIONS = {
    "count": "baskets (orders; customers with --window) holding the antecedent and the consequent",
    "antecedent_count": "baskets holding the antecedent",
    "consequent_count": "baskets holding the consequent",
    "support": "count ÷ baskets",
    "confidence": "count ÷ antecedent_count: the share of antecedent baskets that also hold the consequent",
    "lift": "confidence ÷ (consequent_count ÷ baskets); above 1: bought together more often than by chance",
}
DEFAULT_MIN_SUPPORT = 0.01
DEFAULT_MIN_COUNT = 2


@dataclass
class Basket:
    """What :func:`find_associations` found. ``rules`` is the output table."""

    rules: pd.DataFrame
    itemsets: pd.DataFrame
    baskets: int                     # orders (same-order mode) or customers (window mode)
    items: int                       # distinct items in the baskets
    unit: str                        # "orders" or "customers"
    by: str
    threshold: int                   # the minimum count of a frequent item set
    min_support: float
    window: int | None = None
    as_of: pd.Timestamp | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


#: A stand-in customer column for order lines that name no customer (till receipts): baskets need orders only.
ANONYMOUS = "\x00basket customer"


def _typed_lines(orders: Any, *, by: str, read: Any, overrides: Mapping[str, str] | None, customer: str | None,
                 region: str, dayfirst: bool | None, statuses: Mapping[str, str] | None, window: int | None = None
                 ) -> tuple[pd.DataFrame, pd.Series, dict[str, int], list[str], bool]:
    """(purchase lines, their item labels, dropped, notes, has_order_id) for any accepted input."""
    from ..io import read_input
    from ..metrics import group_labels
    from ..normalize import normalize_table
    from ..orders import PreparedOrders, prepare_orders
    from ..table import Table

    table = None
    if isinstance(orders, PreparedOrders):
        prepared = orders
    elif isinstance(orders, pd.DataFrame) and _is_typed(orders, by):
        lines = orders
        items = lines[by].astype("str").str.strip()
        has_ids = "order_id" in lines.columns and bool((lines["order_id"].astype("str") != "").any())
        return lines, items, {}, [], has_ids
    else:
        table = normalize_table(orders if isinstance(orders, Table) else read_input(orders, read),
                                overrides=overrides, region=region, dayfirst=dayfirst)
        if customer:
            table = table.remap({"customer_id": customer})
        elif window is None and not {"customer_id", "email", "phone", "name"} & set(table.mapping.values()):
            # the same order is the basket: lines that name no customer (till receipts) still make one
            from dataclasses import replace

            table = replace(table, frame=table.frame.assign(**{ANONYMOUS: "-"})).remap({"customer_id": ANONYMOUS})
        prepared = prepare_orders(table, statuses=statuses)
    lines = prepared.lines
    dropped = dict(prepared.dropped)
    notes = list(prepared.notes)
    if by in lines.columns and by not in ("order_date", "amount"):
        items = lines[by].astype("str").str.strip()
    elif by in ("product", "category"):
        raise UsageError(f"the orders table has no {by} column",
                         hint=f"map one with {{opt:map}} {by}=COLUMN" + ("" if table is None else
                              "; columns: " + ", ".join(map(str, list(table.frame.columns)[:20]))), option="by")
    elif table is None:
        raise UsageError(f"{{opt:by}} {by!r}: the prepared orders have no such column", option="by")
    else:
        items = group_labels(table, lines, by).replace("(blank)", "")
    has_ids = bool((lines["order_id"] != "").any())
    return lines, items, dropped, notes, has_ids


def _is_typed(df: pd.DataFrame, by: str) -> bool:
    return by in df.columns and "order_id" in df.columns and not (
        "order_date" in df.columns and not pd.api.types.is_datetime64_any_dtype(df["order_date"]))


def _threshold(n: int, min_support: float, min_count: int) -> int:
    return max(int(min_count), int(math.ceil(min_support * n - 1e-9)), 1)


def find_associations(orders: Any, *, by: str = "product", max_size: int = 2, window: int | None = None,
                      min_support: float = DEFAULT_MIN_SUPPORT, min_count: int = DEFAULT_MIN_COUNT,
                      min_confidence: float = 0.0, top: int | None = None, as_of: Any = None,
                      read: Any = None, overrides: Mapping[str, str] | None = None, customer: str | None = None,
                      region: str = "CN", dayfirst: bool | None = None,
                      statuses: Mapping[str, str] | None = None) -> Basket:
    """Association rules between items bought in the same order, or (``window`` days) bought by
    the same customer one after the other. See the module docstring for the definitions.

    ``orders``: a table as :func:`~crmcli.io.read_table` gives it (text; prepared with the order
    rules, ``overrides``/``customer``/``region``/``dayfirst``/``statuses`` as for
    :func:`~crmcli.orders.prepare_orders`), a path or ``"-"`` (read with ``read``), a
    :class:`~crmcli.orders.PreparedOrders`, or typed order lines (``order_id``, the ``by`` column, and
    for ``window`` ``customer_id`` and a datetime ``order_date``).
    """
    from ..options import parse_as_of
    from ..orders import order_numbers

    if max_size not in (2, 3):
        raise UsageError(f"{{opt:max_size}} {max_size!r} must be 2 (pairs) or 3 (triples)", option="max_size")
    if not 0 <= min_support <= 1:
        raise UsageError(f"{{opt:min_support}} {min_support!r} must be a share from 0 to 1 (0.01 = 1 %)",
                         option="min_support")
    if min_count < 1:
        raise UsageError(f"{{opt:min_count}} {min_count!r} must be at least 1", option="min_count")
    if not 0 <= min_confidence <= 1:
        raise UsageError(f"{{opt:min_confidence}} {min_confidence!r} must be from 0 to 1", option="min_confidence")
    if window is not None and window < 1:
        raise UsageError(f"{{opt:window}} {window!r} must be at least 1 day", option="window")
    if top is not None and top < 1:
        raise UsageError(f"{{opt:top}} {top!r} must be at least 1", option="top")
    lines, items, dropped, notes, has_ids = _typed_lines(orders, by=by, read=read, overrides=overrides,
                                                         customer=customer, region=region, dayfirst=dayfirst,
                                                         statuses=statuses, window=window)
    keep = np.ones(len(lines), dtype=bool)
    if "is_purchase" in lines.columns:
        credit = ~lines["is_purchase"].to_numpy(dtype=bool)
        if credit.any():
            dropped["credit-note"] = int(credit.sum())
        keep &= ~credit
    if "amount" in lines.columns:
        returned = (lines["amount"].to_numpy(dtype=np.float64, na_value=np.nan) < 0) & keep
        if returned.any():
            dropped["negative-line"] = int(returned.sum())
        keep &= ~returned
    blank = (items.to_numpy(dtype=object) == "") & keep
    if blank.any():
        dropped[f"no-{by}"] = int(blank.sum())
    keep &= ~blank
    base = lines if "customer_id" in lines.columns else lines.assign(customer_id="")
    numbers = order_numbers(base, has_order_id=has_ids)
    lines, items, numbers = lines[keep], items[keep], numbers[keep]
    if lines.empty:
        raise DataError(f"no order lines with a {by} to look for baskets in",
                        hint=f"check the {by} column (crm inspect FILE)")
    item_codes, labels = pd.factorize(items, sort=True)
    labels = np.asarray(labels, dtype=object)
    if window is None:
        result = _same_order(numbers, item_codes, labels, max_size, min_support, min_count)
    else:
        if "customer_id" not in lines.columns or "order_date" not in lines.columns:
            raise UsageError("{opt:window} needs customers and order dates", option="window",
                             hint="the orders table needs a customer and an order date column")
        day = parse_as_of(as_of)
        from .then import then_bought

        result = then_bought(lines, numbers, item_codes, labels, window=window, as_of=day, max_size=max_size,
                             threshold=lambda n: _threshold(n, min_support, min_count), notes=notes)
        result.min_support = min_support
    rules = result.rules
    if min_confidence > 0:
        rules = rules[rules["confidence"] >= min_confidence - 1e-12]
    if top is not None:
        rules = rules.head(top)
    result.rules = rules.reset_index(drop=True)
    result.by = by
    mark_item_field(result, by)
    result.dropped = {**dropped, **result.dropped}
    result.notes = notes + result.notes
    return result


def mark_item_field(result: Basket, by: str) -> None:
    """Say what the items are (``df.attrs["fields"]``), so that items of a personal field (``by="name"``) are
    masked and pseudonymized in the outputs like that field's column (:mod:`crmcli.privacy.kinds`)."""
    from ..schema import field_for_header

    item = by if by in ("product", "category") else (field_for_header(by) or by)
    result.rules.attrs["fields"] = {"antecedent": item, "consequent": item}
    result.itemsets.attrs["fields"] = {"itemset": item}


# ----------------------------------------------------------------- same order


def _same_order(numbers: np.ndarray, item_codes: np.ndarray, labels: np.ndarray, max_size: int,
                min_support: float, min_count: int) -> Basket:
    baskets, basket_codes = np.unique(numbers, return_inverse=True)
    n = len(baskets)
    x = counting.basket_matrix(basket_codes, item_codes, n, len(labels))
    single = counting.item_counts(x)
    thr = _threshold(n, min_support, min_count)
    frequent = np.flatnonzero(single >= thr)
    xf = x[:, frequent]
    a, b, nab = counting.pair_counts(xf, thr)
    rules = Rules()
    rules.add_pairs(frequent[a], frequent[b], nab, single)
    sets = [(frequent[:, None], single[frequent]), (np.stack([frequent[a], frequent[b]], 1), nab)]
    if max_size == 3 and len(a):
        ta, tb, tc, nabc = counting.triple_counts(xf, a, b, thr)
        pair_count = _pair_lookup(a, b, nab)
        ta_, tb_, tc_ = frequent[ta], frequent[tb], frequent[tc]
        # {a, b} ⇒ c, {a, c} ⇒ b, {b, c} ⇒ a
        rules.add(np.stack([ta_, tb_], 1), tc_, nabc, pair_count(ta, tb), single[tc_])
        rules.add(np.stack([ta_, tc_], 1), tb_, nabc, pair_count(ta, tc), single[tb_])
        rules.add(np.stack([tb_, tc_], 1), ta_, nabc, pair_count(tb, tc), single[ta_])
        sets.append((np.stack([ta_, tb_, tc_], 1), nabc))
    return Basket(rules=rules.table(n, labels), itemsets=itemset_table(sets, n, labels), baskets=n, items=len(labels),
                  unit="orders", by="product", threshold=thr, min_support=min_support)


def _pair_lookup(a: np.ndarray, b: np.ndarray, nab: np.ndarray):
    """``lookup(i, j)`` = the count of the frequent pair ``(i, j)`` (i < j), vectorized."""
    width = int(max(a.max(initial=0), b.max(initial=0))) + 1
    key = a.astype(np.int64) * width + b
    order = np.argsort(key)
    skey, scount = key[order], nab[order]

    def lookup(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(skey, i.astype(np.int64) * width + j)
        return scount[np.minimum(pos, len(skey) - 1)]

    return lookup


def parse_share(value: Any, option: str = "min_support") -> float:
    """A share from ``0.01``, ``1%`` or ``1 %`` (percent when it ends with ``%``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace("％", "%")
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"{{opt:{option}}} {value!r} is not a share", hint="e.g. 0.01 or 1%", option=option) from None
    return share
