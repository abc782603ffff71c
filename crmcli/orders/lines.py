"""Line rows of an orders export: grouping rows into orders, order-level cells, net amounts.

Rows sharing an order id are one order (:func:`order_codes`, :func:`order_numbers`). An export
may fill the order-level cells (total, status, refund, dates) on one row of the order only:
:func:`fill_blank` gives the other rows the order's value, :func:`is_order_level` tells an
order-level amount (one value per order) from line amounts. :func:`net_lines` gives each
line its share of its order's net amount (amount less refund) in cents; :func:`group_orders`
makes one row per order with ``is_purchase`` (a negative net amount is a credit note).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Order-level columns taken from an order's first line.
FIRST_LINE_FIELDS = ("channel", "campaign")
#: Half a cent: a refund this close to the amount is the whole amount.
CENT = 0.005


def order_codes(order_id: pd.Series | None) -> np.ndarray | None:
    """Group codes of the rows sharing a non-empty order id (an empty id: a group of its own),
    or None when no order id repeats."""
    if order_id is None or len(order_id) == 0:
        return None
    codes, uniq = pd.factorize(order_id)
    empty = (order_id == "").to_numpy()
    if len(uniq) - int(empty.any()) + int(empty.sum()) >= len(order_id):
        return None
    if empty.any():
        codes = codes.copy()
        codes[empty] = len(uniq) + np.arange(int(empty.sum()))
    return codes


def pair_codes(cust: pd.Series, groups: np.ndarray) -> np.ndarray:
    """One code per (customer, order) pair, from :func:`order_codes`' ``groups``."""
    ccodes, _ = pd.factorize(cust)
    base = int(groups.max()) + 1 if len(groups) else 1
    return pd.factorize(ccodes.astype(np.int64) * base + groups)[0]


def fill_blank(s: pd.Series, is_blank: np.ndarray, groups: np.ndarray) -> pd.Series:
    """Blank cells take their order's first non-blank value; other cells (invalid ones too) stay."""
    text = pd.api.types.is_string_dtype(s.dtype)
    present = s.where(~is_blank, None) if text else s.where(~is_blank)
    first = present.groupby(groups, sort=False).transform("first")
    out = s.where(~is_blank, first)
    return out.fillna("").astype("str") if text else out.astype(s.dtype)


def is_order_level(values: pd.Series, is_blank: np.ndarray, groups: np.ndarray, named_total: bool) -> bool:
    """Whether an amount column holds one value per order: within every order of several rows
    the non-blank values agree, and some continuation row is blank or the header names an
    order total."""
    counts = np.bincount(groups)
    multi = counts[groups] > 1
    if not multi.any():
        return False
    sub = pd.DataFrame({"g": groups[multi], "v": values.to_numpy(dtype=np.float64, na_value=np.nan)[multi],
                        "b": is_blank[multi]})
    if (sub.groupby("g")["v"].nunique() > 1).any():
        return False
    has = sub.groupby("g").agg(blank=("b", "any"), value=("v", "count"))
    return bool(((has["blank"]) & (has["value"] > 0)).any()) or named_total


def line_shares(weights: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each row's share of its group: by ``weights`` where the group's weights add up to more
    than 0, else all on the group's first row."""
    w = np.where(np.isfinite(weights) & (weights > 0), weights, 0.0)
    total = np.bincount(groups, weights=w)[groups]
    first = np.zeros(len(groups), dtype=bool)
    if len(groups):
        first[np.unique(groups, return_index=True)[1]] = True
    return np.where(total > 0, w / np.where(total > 0, total, 1.0), first.astype(np.float64))


def allocate_cents(per_group: np.ndarray, shares: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each group's amount split over its rows by ``shares``, in cents; the cents lost to
    rounding go to the group's first row, so the rows add up to the group's amount."""
    part = np.round(per_group[groups] * shares, 2)
    if not len(groups):
        return part
    rest = np.round(per_group - np.bincount(groups, weights=part, minlength=len(per_group)), 2)
    first = np.unique(groups, return_index=True)[1]
    part[first] += rest
    return part


def net_lines(lines: pd.DataFrame, weights: pd.Series | None, pair: np.ndarray | None, amount_order_level: bool,
               refund_order_level: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """Lines whose ``amount`` is their share of the order's net amount (amount less refund), in
    cents; and the mask of the lines of fully refunded orders (refund ≥ amount > 0)."""
    n = len(lines)
    groups = pair if pair is not None else np.arange(n)
    if n == 0:
        return lines, np.zeros(0, dtype=bool)
    if pair is not None:
        groups = pd.factorize(groups)[0]
    amount = lines["amount"].to_numpy(dtype=np.float64)
    has_refund = "refund_amount" in lines.columns
    refund = lines["refund_amount"].to_numpy(dtype=np.float64, na_value=np.nan) if has_refund else None
    if not amount_order_level and not has_refund:
        lines = lines.assign(amount=np.round(amount, 2))
        return lines, np.zeros(n, dtype=bool)
    w = weights.to_numpy(dtype=np.float64, na_value=np.nan) if weights is not None else np.zeros(n)
    counts = np.bincount(groups)
    if amount_order_level:
        gross_order = first_per_group(amount, groups)
        gross_shares = line_shares(w, groups)
    else:
        gross_order = np.bincount(groups, weights=amount)
        gross_shares = line_shares(np.where(amount > 0, amount, 0.0), groups)
    if has_refund:
        r = np.nan_to_num(refund, nan=0.0)
        refund_order = first_per_group(r, groups) if refund_order_level else np.bincount(groups, weights=r)
    else:
        refund_order = np.zeros(len(counts))
    full = (refund_order > 0) & (gross_order > 0) & (refund_order >= gross_order - CENT)
    line_refund = allocate_cents(refund_order, gross_shares, groups) if has_refund else 0.0
    if amount_order_level:  # the order's net amount shared by its lines
        line_net = allocate_cents(np.round(gross_order - refund_order, 2), gross_shares, groups)
    else:
        line_net = np.round(np.round(amount, 2) - line_refund, 2)
    out = lines.assign(amount=line_net + 0.0)
    if has_refund:
        out["refund_amount"] = line_refund
    return out, full[groups]


def first_per_group(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The first finite value of each group (NaN when none)."""
    out = np.full(int(groups.max()) + 1 if len(groups) else 0, np.nan)
    ok = np.isfinite(values)
    g, v = groups[ok][::-1], values[ok][::-1]
    out[g] = v  # the last assignment per group wins: reversed, that is the first value
    return out


def order_numbers(lines: pd.DataFrame, *, has_order_id: bool = True) -> np.ndarray:
    """Each line's order, numbered 0, 1, … in order of first appearance: a distinct
    ``order_id`` of a customer; a line without an order id (or every line, without an order id
    column) is an order of its own."""
    n = len(lines)
    if not has_order_id or n == 0:
        return np.arange(n)
    ocodes, ouniq = pd.factorize(lines["order_id"])
    if len(ouniq) == n:  # every order id distinct: each line is an order
        return np.arange(n)
    ccodes, _ = pd.factorize(lines["customer_id"])
    empty = (lines["order_id"] == "").to_numpy()
    base = len(ouniq) + int(empty.sum())
    if empty.any():
        ocodes = ocodes.copy()
        ocodes[empty] = len(ouniq) + np.arange(int(empty.sum()))
    return pd.factorize(ccodes.astype(np.int64) * base + ocodes)[0]


def group_orders(lines: pd.DataFrame, *, has_order_id: bool = True, numbers: np.ndarray | None = None
                 ) -> pd.DataFrame:
    """One row per order (:func:`order_numbers`, or the given ``numbers``) from prepared lines:
    ``order_id, customer_id, order_date`` (earliest line), ``amount`` (sum, in cents),
    ``is_purchase`` (amount ≥ 0: an order with a negative net amount is a credit note),
    ``refund_amount`` (sum) when the lines have one, and ``channel`` / ``campaign`` of the
    first line when present."""
    extra = [f for f in FIRST_LINE_FIELDS if f in lines.columns]
    sums = ["refund_amount"] if "refund_amount" in lines.columns else []
    cols = ["order_id", "customer_id", "order_date", "amount", *sums, *extra]
    numbers = order_numbers(lines, has_order_id=has_order_id) if numbers is None else numbers
    if len(lines) == 0 or int(numbers.max()) + 1 == len(lines):
        return _with_purchase(lines[cols].reset_index(drop=True))
    g = lines.groupby(numbers, sort=True)
    agg = {"order_id": ("order_id", "first"), "customer_id": ("customer_id", "first"),
           "order_date": ("order_date", "min"), "amount": ("amount", "sum")}
    for f in sums:
        agg[f] = (f, "sum")
    for f in extra:
        agg[f] = (f, "first")
    out = g.agg(**agg).reset_index(drop=True)
    return _with_purchase(out[cols])


def _with_purchase(orders: pd.DataFrame) -> pd.DataFrame:
    amount = np.round(orders["amount"].to_numpy(dtype=np.float64), 2) + 0.0
    orders = orders.assign(amount=amount)
    orders.insert(4, "is_purchase", ~(amount < 0))
    return orders
