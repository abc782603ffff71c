"""Orders prepared for analysis: mapped, normalized, typed, de-duplicated, grouped into orders.

Shared by RFM (``crm rfm``) and the metrics (``crm metrics``), so both count the same orders::

    p = prepare_orders(df, overrides=None, customer=None, region="CN", dayfirst=None)
    p.lines    # one row per kept input row (index = Excel row)
    p.orders   # one row per order
    p.dropped  # reason -> rows left out
    p.notes    # sentences for stderr
    p.mapping  # {header: field}

Definitions:

- Columns map to canonical fields (:func:`~crmcli.schema.map_columns`, ``overrides`` =
  ``{field: column}``, ``customer`` = the column to use as ``customer_id``); every mapped field
  goes through the field layer (:func:`~crmcli.fields.normalize_field`).
- ``duplicate-row``: with an ``order_id`` column, a row whose values (after normalization) all
  repeat an earlier row is the same order line exported twice; it is dropped before summing.
  Without an order id two identical rows may be two real purchases (same customer, same day,
  same price): they are kept and counted in ``notes``.
- Then, in this order, a row is left out for ``invalid-date`` (empty or unparseable order
  date), ``invalid-amount`` (empty or not a number; negative amounts are refunds and kept),
  ``missing-customer`` (no customer key), after ``totals-row`` (a row the reader flagged as a
  totals row, e.g. 合计). Each left-out row is counted under one reason.
- The customer key is the ``customer_id`` column; without one, the normalized phone (when
  valid), else the email (when valid), else the name — said in ``notes``.
- An order is a distinct ``order_id`` of a customer; a row with an empty order id, or every
  row when there is no order id column, is an order of its own. An order's date is its
  earliest line's date, its amount the sum of its lines (refund lines net), its channel and
  campaign those of its first line.
- Without an ``amount`` column but with ``unit_price``, amount = unit_price × quantity
  (quantity 1 where missing) — said in ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import UsageError
from .fields import FIELD_KINDS, normalize_field
from .schema import column_for, map_columns

#: Reasons a row is left out, in the order they are checked.
DROP_REASONS = ("totals-row", "duplicate-row", "invalid-date", "invalid-amount", "missing-customer")
#: Line fields typed as float64 (besides amount).
NUMERIC_FIELDS = ("quantity", "unit_price", "cost")
#: Order-level columns taken from an order's first line.
FIRST_LINE_FIELDS = ("channel", "campaign")


@dataclass
class PreparedOrders:
    """Orders ready for analytics; see the module docstring for the definitions."""

    lines: pd.DataFrame
    orders: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def rows_left_out(self) -> int:
        return int(sum(self.dropped.values()))


def _normalized(df: pd.DataFrame, header: str, field_name: str, region: str, dayfirst: bool | None):
    kind = FIELD_KINDS.get(field_name, "text")
    return normalize_field(df[header].astype("str"), kind, region=region, dayfirst=dayfirst)


def prepare_orders(df: pd.DataFrame, *, overrides: Mapping[str, str] | None = None, customer: str | None = None,
                   region: str = "CN", dayfirst: bool | None = None) -> PreparedOrders:
    """Map, normalize and type an orders table (text, as :func:`~crmcli.io.read_table` gives it)."""
    overrides = dict(overrides or {})
    if customer:
        overrides["customer_id"] = customer
    mapping = map_columns(df.columns, overrides)
    columns = ", ".join(map(str, list(df.columns)[:20]))
    date_col = column_for(mapping, "order_date")
    if date_col is None:
        raise UsageError("the orders table has no order date column",
                         hint=f"map one with --map order_date=COLUMN (columns: {columns})")
    amount_col = column_for(mapping, "amount")
    notes: list[str] = []
    if amount_col is None and column_for(mapping, "unit_price") is None:
        raise UsageError("the orders table has no amount column",
                         hint=f"map one with --map amount=COLUMN (columns: {columns})")

    n = len(df)
    index = df.index
    lines: dict[str, pd.Series] = {}
    codes: dict[str, pd.Series] = {}
    for header, fname in mapping.items():
        res = _normalized(df, header, fname, region, dayfirst)
        codes[fname] = res.codes
        if fname == "order_date":
            lines[fname] = pd.Series(res.parsed, index=index).astype("datetime64[ns]")
        elif fname == "amount" or fname in NUMERIC_FIELDS:
            lines[fname] = pd.Series(res.parsed, index=index, dtype="float64")
        else:
            lines[fname] = pd.Series(res.values, index=index, dtype="str")

    if amount_col is None:
        qty = lines["quantity"].fillna(1.0) if "quantity" in lines else 1.0
        lines["amount"] = lines["unit_price"] * qty
        notes.append("no amount column: amount = unit_price × quantity")

    # the customer key
    if "customer_id" in lines:
        cust = lines["customer_id"].str.strip()
    else:
        cust = pd.Series("", index=index, dtype="str")
        used = []
        for fname in ("phone", "email", "name"):
            if fname not in lines:
                continue
            vals = lines[fname].str.strip()
            ok = (vals != "") & (codes[fname] == "")
            take = (cust == "") & ok
            if take.any():
                cust = cust.where(~take, vals)
                used.append(fname)
        notes.append("no customer id column: customers keyed by normalized "
                     + (", else ".join(used) if used else "phone, else email, else name"))
    order_id = lines["order_id"].str.strip() if "order_id" in lines else None

    dropped: dict[str, int] = {}
    keep = np.ones(n, dtype=bool)
    # rows the reader flagged as a totals row (合计 …): summed again they would double the revenue
    from .io import totals_rows

    tot = totals_rows(df)
    if tot:
        is_tot = index.isin(tot)
        dropped["totals-row"] = int(is_tot.sum())
        keep &= ~is_tot
    # exact repeated export rows: every column, normalized where mapped, raw otherwise
    if n:
        compare = pd.DataFrame({str(c): (lines[mapping[c]] if c in mapping else df[c]) for c in df.columns},
                               index=index)
        dup = compare.duplicated(keep="first").to_numpy()
        if dup.any():
            if order_id is not None:
                dropped["duplicate-row"] = int(dup.sum())
                keep &= ~dup
            else:
                notes.append(f"{int(dup.sum())} rows repeat an earlier row exactly; without an order id column "
                             f"each is counted as an order of its own")
    checks = (("invalid-date", lines["order_date"].isna().to_numpy()),
              ("invalid-amount", ~np.isfinite(lines["amount"].to_numpy(dtype=np.float64, na_value=np.nan))),
              ("missing-customer", (cust == "").to_numpy()))
    for reason, bad in checks:
        hit = bad & keep
        if hit.any():
            dropped[reason] = int(hit.sum())
            keep &= ~bad
    amb = codes.get("order_date")
    if amb is not None:
        n_amb = int(((amb == "ambiguous-date").to_numpy() & keep).sum())
        if n_amb:
            notes.append(f"{n_amb} order dates are ambiguous (day/month); read as the column's likely order — "
                         f"use --dayfirst to force")

    out = {"customer_id": cust, "order_id": order_id if order_id is not None else pd.Series("", index=index,
                                                                                          dtype="str"),
           "order_date": lines["order_date"], "amount": lines["amount"]}
    for fname, s in lines.items():
        if fname not in out:
            out[fname] = s
    line_frame = pd.DataFrame(out, index=index)[keep]
    line_frame.index.name = index.name or "row"
    order_frame = group_orders(line_frame, has_order_id=order_id is not None)
    return PreparedOrders(lines=line_frame, orders=order_frame, dropped=dropped, notes=notes, mapping=mapping)


def group_orders(lines: pd.DataFrame, *, has_order_id: bool = True) -> pd.DataFrame:
    """One row per order from prepared lines: ``order_id, customer_id, order_date`` (earliest line),
    ``amount`` (sum), and ``channel`` / ``campaign`` of the first line when present."""
    extra = [f for f in FIRST_LINE_FIELDS if f in lines.columns]
    cols = ["order_id", "customer_id", "order_date", "amount", *extra]
    if not has_order_id or len(lines) == 0:
        return lines[cols].reset_index(drop=True)
    ccodes, _ = pd.factorize(lines["customer_id"])
    ocodes, ouniq = pd.factorize(lines["order_id"])
    if len(ouniq) == len(lines):  # every order id distinct: each line is an order
        return lines[cols].reset_index(drop=True)
    empty = (lines["order_id"] == "").to_numpy()
    base = len(ouniq) + int(empty.sum())
    if empty.any():  # a line without an order id is an order of its own
        ocodes = ocodes.copy()
        ocodes[empty] = len(ouniq) + np.arange(int(empty.sum()))
    pair, _ = pd.factorize(ccodes.astype(np.int64) * base + ocodes)
    g = lines.groupby(pair, sort=False)
    agg = {"order_id": ("order_id", "first"), "customer_id": ("customer_id", "first"),
           "order_date": ("order_date", "min"), "amount": ("amount", "sum")}
    for f in extra:
        agg[f] = (f, "first")
    out = g.agg(**agg).reset_index(drop=True)
    return out[cols]


def parse_as_of(value: Any) -> pd.Timestamp | None:
    """``as_of`` as a day (Timestamp at midnight); accepts ISO text, date, datetime, Timestamp."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, str):
            text = value.strip().replace("/", "-").replace(".", "-")
            ts = pd.Timestamp(text)
        else:
            ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UsageError(f"--as-of {value!r} is not a date", hint="use YYYY-MM-DD, e.g. --as-of 1998-06-30") from None
    if ts is pd.NaT:
        raise UsageError(f"--as-of {value!r} is not a date", hint="use YYYY-MM-DD")
    return ts.tz_localize(None).normalize() if ts.tzinfo else ts.normalize()
