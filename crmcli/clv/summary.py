"""From orders to the BTYD summary: one row per customer with ``x``, ``t_x``, ``T`` (days) and spend.

Input: :class:`~crmcli.orders.PreparedOrders` (its ``.orders``), a frame as
:func:`~crmcli.io.read_table` gives it (prepared here), or a typed frame with ``customer_id``,
``order_date`` (datetime64), ``amount`` (numeric). Every row is an order that counts. With a bool
``is_purchase`` column, rows where it is False are credit notes (negative net orders): they net into
value but are not purchases; without it every order is a purchase.

Definitions (days everywhere):

- Purchases are aggregated per calendar day: a customer's purchase days are the days with at least
  one purchase; ``repeat_purchases`` (x) = purchase days − 1; ``t_x`` = last − first purchase day;
  ``T`` = as-of − first purchase day.
- A day's value = the sum of its purchases plus the credit notes netted into it; a credit note nets
  into the customer's latest purchase day on or before it (into the first purchase day when it is
  dated earlier). ``repeat_value`` = mean value of the repeat purchase days (the first purchase day
  excluded, BTYD's convention); ``monetary`` = all the customer's orders netted.
- Orders after as-of are left out and counted; customers with credit notes only have no row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..orders import PreparedOrders, prepare_orders, purchase_mask

DAY_NS = 86_400 * 10**9
SUMMARY_COLUMNS = ["customer_id", "repeat_purchases", "t_x", "T", "first_purchase", "last_purchase", "monetary",
                   "repeat_value"]


@dataclass
class OrderInput:
    """The orders as the models read them: typed, plus what was left out and why."""

    orders: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)


def read_orders(orders: Any, *, read: Any = None, overrides: Mapping[str, str] | None = None,
                customer: str | None = None, region: str = "CN", dayfirst: bool | None = None,
                statuses: Mapping[str, str] | None = None) -> OrderInput:
    """Typed orders from any accepted input (see the module docstring): PreparedOrders as they are, a typed
    frame checked, else a :class:`~crmcli.table.Table`, a ``read_table`` frame or a source prepared by
    :func:`~crmcli.orders.prepare_orders` (``read``, ``overrides``, ``region``, ``dayfirst``, ``statuses``)."""
    if isinstance(orders, PreparedOrders):
        return OrderInput(orders.orders, dict(orders.dropped), list(orders.notes), dict(orders.mapping))
    typed = isinstance(orders, pd.DataFrame) and ({"customer_id", "order_date", "amount"} <= set(orders.columns)
             and pd.api.types.is_datetime64_any_dtype(orders["order_date"])
             and pd.api.types.is_numeric_dtype(orders["amount"]))
    if typed and not overrides and customer is None:
        amount = orders["amount"].to_numpy(dtype=np.float64, na_value=np.nan)
        cust = orders["customer_id"]
        no_customer = (cust.isna() | (cust.astype("str") == "")).to_numpy()
        bad = orders["order_date"].isna().to_numpy() | ~np.isfinite(amount) | no_customer
        dropped = {"invalid-row": int(bad.sum())} if bad.any() else {}
        return OrderInput(orders[~bad] if bad.any() else orders, dropped)
    p = prepare_orders(orders, read=read, overrides=overrides, customer=customer, region=region, dayfirst=dayfirst,
                       statuses=statuses)
    return OrderInput(p.orders, dict(p.dropped), list(p.notes), dict(p.mapping))


def order_days(orders: pd.DataFrame) -> np.ndarray:
    """Each order's calendar day as whole days since 1970-01-01."""
    ns = orders["order_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    return ns // DAY_NS


def day_to_timestamp(days: np.ndarray | int) -> Any:
    return pd.to_datetime(np.asarray(days, dtype=np.int64) * DAY_NS)


def summarize_customers(orders: pd.DataFrame, as_of_day: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """The BTYD summary of ``orders`` (typed, every row counted) observed up to ``as_of_day`` (inclusive).

    Returns the table (:data:`SUMMARY_COLUMNS`, sorted by customer id) and counts of what was left out.
    """
    days = order_days(orders)
    left: dict[str, int] = {}
    keep = days <= as_of_day
    if not keep.all():
        left["after-as-of"] = int((~keep).sum())
    frame = orders[keep]
    days = days[keep]
    buy = purchase_mask(frame)
    cust_codes, cust_ids = pd.factorize(frame["customer_id"].astype("str"), sort=True)
    amount = frame["amount"].to_numpy(dtype=np.float64)
    ncust = len(cust_ids)
    if not buy.any():
        raise DataError(f"no purchases on or before {day_to_timestamp(as_of_day).date()}"
                        + (" (only credit notes)" if len(frame) else ""),
                        hint="check {opt:as_of} and the date column (crm inspect FILE)")
    span = int(days.max() - days.min()) + 1
    # purchase days: one key per (customer, day)
    key = cust_codes[buy].astype(np.int64) * span + (days[buy] - days.min())
    pday_keys, pday_inverse = np.unique(key, return_inverse=True)
    day_value = np.bincount(pday_inverse, weights=amount[buy], minlength=len(pday_keys))
    credit = ~buy
    if credit.any():
        ckey = cust_codes[credit].astype(np.int64) * span + (days[credit] - days.min())
        pos = np.searchsorted(pday_keys, ckey, side="right") - 1
        ccust = cust_codes[credit]
        same = (pos >= 0) & (pday_keys[np.clip(pos, 0, None)] // span == ccust)
        pos = np.where(same, pos, pos + 1)  # dated before the first purchase: into the first purchase day
        ok = (pos < len(pday_keys)) & (pday_keys[np.clip(pos, 0, len(pday_keys) - 1)] // span == ccust)
        day_value += np.bincount(pos[ok], weights=amount[credit][ok], minlength=len(pday_keys))
        if (~ok).any():
            left["credit-notes-only-customer"] = int((~ok).sum())
    pcust = (pday_keys // span).astype(np.intp)
    pday = pday_keys % span + days.min()
    n_days = np.bincount(pcust, minlength=ncust)
    has = n_days > 0
    first = np.full(ncust, np.iinfo(np.int64).max)
    last = np.full(ncust, np.iinfo(np.int64).min)
    np.minimum.at(first, pcust, pday)
    np.maximum.at(last, pcust, pday)
    first_value = np.zeros(ncust)
    is_first = pday == first[pcust]
    np.add.at(first_value, pcust[is_first], day_value[is_first])
    total_day_value = np.bincount(pcust, weights=day_value, minlength=ncust)
    monetary = np.bincount(cust_codes, weights=amount, minlength=ncust)
    x = n_days - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        repeat_value = np.where(x > 0, (total_day_value - first_value) / np.maximum(x, 1), np.nan)
    table = pd.DataFrame({
        "customer_id": pd.Series(cust_ids, dtype="str"),
        "repeat_purchases": x.astype(np.int64),
        "t_x": (last - first).astype(np.float64),
        "T": (as_of_day - first).astype(np.float64),
        "first_purchase": day_to_timestamp(np.where(has, first, 0)),
        "last_purchase": day_to_timestamp(np.where(has, last, 0)),
        "monetary": monetary,
        "repeat_value": repeat_value,
    })[has].reset_index(drop=True)
    return table, left


def count_purchase_days(orders: pd.DataFrame, start_day: int, end_day: int) -> pd.Series:
    """Purchase days per customer in ``(start_day, end_day]`` (a holdout window)."""
    days = order_days(orders)
    inside = (days > start_day) & (days <= end_day) & purchase_mask(orders)
    frame = pd.DataFrame({"customer_id": orders["customer_id"].astype("str").to_numpy()[inside],
                          "day": days[inside]})
    return frame.drop_duplicates().groupby("customer_id").size()


def compress(*columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows sharing their values share every likelihood term and prediction: the distinct rows (one array per
    column), how many rows each stands for, and each row's position among them."""
    frame = pd.DataFrame({str(i): c for i, c in enumerate(columns)})
    inverse = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    first = np.unique(inverse, return_index=True)[1]
    counts = np.bincount(inverse)
    return (*(c[first] for c in columns), counts.astype(np.float64), inverse)
