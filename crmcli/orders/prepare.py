"""Orders prepared for analysis: mapped, normalized, typed, de-duplicated, grouped into orders.

Shared by RFM (``crm rfm``), the metrics (``crm metrics``) and the report, so all count the
same orders::

    p = prepare_orders(df, overrides=None, customer=None, region="CN", dayfirst=None, statuses=None)
    p.lines    # one row per kept input row (index = Excel row); amount = the line's share of its order's net
    p.orders   # one row per counted order; is_purchase False for credit notes
    p.dropped  # reason -> rows left out
    p.notes    # sentences for stderr
    p.mapping  # {header: field}

Definitions (DESIGN.md "RFM and metrics definitions"):

- Columns map to canonical fields, confirmed by content (:func:`~crmcli.schema.map_table`;
  ``overrides`` = ``{field: column}``, ``customer`` = the column to use as ``customer_id``);
  every mapped field goes through the field layer (phones with each row's own country when
  the table has a country column). The order date is the ``order_date`` column, else the
  order's creation time (``created_at``: Shopify ``Created at``), else its payment time.
- **Which amount**: the best-ranked money column (:data:`~crmcli.schema.AMOUNT_SOURCES`: the
  amount paid > a total > a generic amount > goods value), else ``unit_price × quantity``
  (quantity 1 where missing); said in ``notes`` when there was a choice.
- **Line rows**: rows sharing an order id are one order. Order-level fields (dates, status,
  refund, customer) may be filled on one row of the order only: a blank cell on another row
  takes the order's value, it is not invalid. The amount column is *order-level* when every
  order's non-blank values agree and either some rows leave it blank or its header names an
  order total (paid / total / goods value): the order's amount is then taken once, never
  multiplied by its line count; otherwise line amounts are summed.
- ``duplicate-row``: with an ``order_id`` column, a row whose values (after normalization) all
  repeat an earlier row is the same order line exported twice; it is dropped before summing.
  Without an order id two identical rows may be two real purchases: kept, counted in ``notes``.
- **Status** (:mod:`.status`): rows of *unpaid*, *cancelled* (closed, voided) and *refunded*
  orders are left out (``dropped`` keys ``unpaid``, ``cancelled``, ``refunded``), as are the
  rows of an order with a cancelled-at time, a refund status of *refunded*, or a refund
  amount that is the whole of its amount. Unknown statuses count and are listed in ``notes``.
- Then a row is left out for ``invalid-date`` (empty or unparseable order date),
  ``invalid-amount`` (empty or not a number; negative amounts are kept), ``missing-customer``
  (no customer key), after ``totals-row`` (a row the reader flagged as a totals row, e.g.
  合计). Each left-out row is counted under one reason.
- The customer key is the ``customer_id`` column (a buyer account such as 买家会员名 / 下单帐号
  when there is no customer id column); without one, the normalized email or phone (valid
  values; the more complete column first, email on a tie), else the name — said in ``notes``.
- **Refunds and credit notes**: a refund amount is netted from its order (taken once when it
  is order-level). An order's net amount is its amount less its refund; its lines share it
  (by unit price × quantity when known). An order whose net amount is negative is a *credit
  note* (a return with its own order id, an Online Retail ``C…`` invoice): it nets into
  revenue and monetary but is not a purchase (``is_purchase`` False).
- An order is a distinct ``order_id`` of a customer; a row with an empty order id, or every
  row when there is no order id column, is an order of its own. An order's date is its
  earliest line's date, its channel and campaign those of its first line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..fields import FIELD_KINDS
from ..normalize import normalize_table
from ..schema import amount_source, column_for
from .lines import fill_blank, group_orders, is_order_level, net_lines, order_codes, order_numbers, pair_codes
from .notes import (
    ambiguous_sentence,
    amount_notes,
    credit_note_sentence,
    repeated_rows_sentence,
    status_sentence,
    unknown_sentence,
)
from .status import LEFT_OUT_CLASSES, classify_statuses, status_table

#: Reasons a row is left out, in the order they are checked.
DROP_REASONS = ("totals-row", "duplicate-row", "cancelled", "unpaid", "refunded", "invalid-date", "invalid-amount",
                "missing-customer")
#: Line fields typed as float64 (besides amount).
NUMERIC_FIELDS = ("quantity", "unit_price", "cost", "refund_amount")
#: Fields an export may fill on one line of an order only (the others take the order's value).
ORDER_LEVEL_FIELDS = ("order_date", "created_at", "paid_at", "cancelled_at", "status", "refund_status",
                      "refund_amount", "customer_id", "email", "phone", "name", "channel", "campaign", "country")
#: Where the order date comes from, best first.
DATE_FIELDS = ("order_date", "created_at", "paid_at")


def order_columns(mapping: Mapping[str, str], headers: list[Any]) -> tuple[str, str | None, str | None]:
    """The orders table's date field (``order_date``, else the first of :data:`DATE_FIELDS` it has), a
    note when that is not ``order_date``, and its amount column (None when only a unit price is there);
    a :class:`UsageError` naming the first 20 ``headers`` for a table without a date or an amount."""
    columns = ", ".join(map(str, headers[:20]))
    date_field = next((f for f in DATE_FIELDS if column_for(mapping, f) is not None), None)
    if date_field is None:
        raise UsageError("the orders table has no order date column",
                         hint=f"map one with {{opt:map}} order_date=COLUMN (columns: {columns})")
    amount_col = column_for(mapping, "amount")
    if amount_col is None and column_for(mapping, "unit_price") is None:
        raise UsageError("the orders table has no amount column",
                         hint=f"map one with {{opt:map}} amount=COLUMN (columns: {columns})")
    note = None if date_field == "order_date" else \
        f"no order date column: {column_for(mapping, date_field)!r} ({date_field}) is the order date"
    return date_field, note, amount_col


@dataclass
class PreparedOrders:
    """Orders ready for analytics; see the module docstring for the definitions.

    ``orders``: ``order_id, customer_id, order_date, amount`` (net), ``is_purchase``, then
    ``refund_amount`` (with a refund column) and ``channel``/``campaign`` when mapped.
    ``left_out_orders``: orders left out by status class; ``unknown_statuses``: status text →
    orders counted with it; ``amount_from``: the amount's source (a header, or
    ``unit_price × quantity``); ``credit_notes``: orders with a negative net amount.
    """

    lines: pd.DataFrame
    orders: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    left_out_orders: dict[str, int] = field(default_factory=dict)
    unknown_statuses: dict[str, int] = field(default_factory=dict)
    amount_from: str = ""
    credit_notes: int = 0
    #: The reason each left-out row was left out (index = Excel row), one of :data:`DROP_REASONS`.
    left_out: pd.Series = field(default_factory=lambda: pd.Series(dtype="str"))

    @property
    def rows_left_out(self) -> int:
        return int(sum(self.dropped.values()))

    @property
    def purchases(self) -> pd.DataFrame:
        """The orders that are purchases (no credit notes)."""
        return self.orders[self.orders["is_purchase"].to_numpy()]


def purchase_mask(orders: pd.DataFrame) -> np.ndarray:
    """Which rows of an orders frame are purchases: its ``is_purchase`` column, else amount ≥ 0
    (a typed frame from elsewhere: a negative order is a credit note)."""
    if "is_purchase" in orders.columns:
        return orders["is_purchase"].to_numpy(dtype=bool)
    return ~(orders["amount"].to_numpy(dtype=np.float64, na_value=np.nan) < 0)


def prepare_orders(orders: Any, *, read: Any = None, overrides: Mapping[str, str] | None = None,
                   customer: str | None = None, region: str = "CN", dayfirst: bool | None = None,
                   statuses: Mapping[str, str] | None = None) -> PreparedOrders:
    """Type an orders table and group it into orders: a :class:`~crmcli.table.Table` (its normalized
    columns are used as they are), or a ``read_table`` frame / a source (read with ``read``, mapped with
    ``overrides`` = ``{field: column}``, normalized with ``region`` and ``dayfirst`` here).

    ``customer`` names the column to use as ``customer_id``. ``statuses`` (``{status text: class}``,
    crm.toml's ``[orders] status``) extends or overrides the status vocabulary (:mod:`crmcli.orders.status`).
    """
    vocabulary = status_table(statuses)  # checks the overrides before any work
    overrides = dict(overrides or {})
    if customer:
        overrides["customer_id"] = customer
    table = normalize_table(orders, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
    if customer:
        table = table.remap({"customer_id": customer})
    df, cmap = table.frame, table.columns
    mapping = cmap.mapping
    notes: list[str] = cmap.notes()
    date_field, date_note, amount_col = order_columns(mapping, list(df.columns))
    notes += [date_note] if date_note else []

    n = len(df)
    index = df.index
    lines, codes, blank = type_fields(table)
    if date_field != "order_date":
        lines["order_date"], blank["order_date"] = lines[date_field], blank[date_field]
        codes["order_date"] = codes[date_field]

    amount_from = amount_col or "unit_price × quantity"
    line_value = None
    if "unit_price" in lines:
        line_value = lines["unit_price"] * (lines["quantity"].fillna(1.0) if "quantity" in lines else 1.0)
    if amount_col is None:
        lines["amount"] = line_value
        blank["amount"] = np.zeros(n, dtype=bool)
    notes += amount_notes(cmap, amount_col)

    cust, key_note = _customer_key(lines, codes, index)
    if key_note:
        notes.append(key_note)
    order_id = lines["order_id"].str.strip() if "order_id" in lines else None

    # exact repeated export rows (every column, normalized where mapped, raw otherwise), found
    # before line rows take their order's values: two lines that differ only in a blank cell differ
    dup = None
    if n:
        compare = pd.DataFrame({str(c): (lines[mapping[c]] if c in mapping else df[c]) for c in df.columns},
                               index=index)
        dup = compare.duplicated(keep="first").to_numpy()

    # line rows: order-level cells filled on one row of the order only take the order's value
    order_groups = order_codes(order_id)
    amount_order_level = refund_order_level = False
    if order_groups is not None:
        cust = fill_blank(cust, (cust == "").to_numpy(), order_groups)
        pair = pair_codes(cust, order_groups)
        for fname in ORDER_LEVEL_FIELDS:
            if fname in lines and fname != "customer_id" and blank[fname].any():
                lines[fname] = fill_blank(lines[fname], blank[fname], pair)
        if date_field != "order_date" and date_field in lines:
            lines["order_date"] = lines[date_field]
        if amount_col is not None:
            amount_order_level = is_order_level(lines["amount"], blank["amount"], pair,
                                                 amount_source(amount_col) != "amount")
            if amount_order_level:
                lines["amount"] = fill_blank(lines["amount"], blank["amount"], pair)
                notes.append(f"{amount_col!r} is an order-level amount (one value per order, on its first row or "
                             f"repeated): taken once per order, not once per line")
        if "refund_amount" in lines:
            refund_order_level = is_order_level(lines["refund_amount"], blank["refund_amount"], pair, True)
    else:
        pair = None

    dropped: dict[str, int] = {}
    keep = np.ones(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    # rows the reader flagged as a totals row (合计 …): summed again they would double the revenue
    tot = table.totals
    if tot:
        is_tot = index.isin(tot)
        dropped["totals-row"] = int(is_tot.sum())
        reason[is_tot] = "totals-row"
        keep &= ~is_tot
    if dup is not None and dup.any():
        if order_id is not None:
            dropped["duplicate-row"] = int((dup & keep).sum())
            reason[dup & keep] = "duplicate-row"
            keep &= ~dup
        else:
            notes.append(repeated_rows_sentence(int(dup.sum())))

    # order status: unpaid, cancelled/closed/voided and refunded orders are left out, by class
    row_class = _status_classes(lines, blank, vocabulary)
    left_out_orders: dict[str, int] = {}
    for cls in LEFT_OUT_CLASSES:
        hit = (row_class == cls) & keep
        if hit.any():
            dropped[cls] = int(hit.sum())
            left_out_orders[cls] = _count_orders(hit, pair)
            reason[hit] = cls
            keep &= ~hit

    checks = (("invalid-date", lines["order_date"].isna().to_numpy()),
              ("invalid-amount", ~np.isfinite(lines["amount"].to_numpy(dtype=np.float64, na_value=np.nan))),
              ("missing-customer", (cust == "").to_numpy()))
    for why, bad in checks:
        hit = bad & keep
        if hit.any():
            dropped[why] = int(hit.sum())
            reason[hit] = why
            keep &= ~bad
    amb = codes.get("order_date")
    if amb is not None:
        n_amb = int(((amb == "ambiguous-date").to_numpy() & keep).sum())
        if n_amb:
            notes.append(ambiguous_sentence(n_amb))

    out = {"customer_id": cust, "order_id": order_id if order_id is not None else pd.Series("", index=index,
                                                                                          dtype="str"),
           "order_date": lines["order_date"], "amount": lines["amount"]}
    for fname, s in lines.items():
        if fname not in out:
            out[fname] = s
    line_frame = pd.DataFrame(out, index=index)[keep]
    line_frame.index.name = index.name or "row"
    unknown_rows = (row_class == "?")[keep]
    weights = line_value[keep] if line_value is not None else None
    line_frame, fully_refunded = net_lines(line_frame, weights, pair[keep] if pair is not None else None,
                                            amount_order_level, refund_order_level)
    if fully_refunded.any():
        dropped["refunded"] = dropped.get("refunded", 0) + int(fully_refunded.sum())
        left_out_orders["refunded"] = left_out_orders.get("refunded", 0) + _count_orders(
            fully_refunded, pair[keep] if pair is not None else None)
        reason[np.flatnonzero(keep)[fully_refunded]] = "refunded"
        line_frame = line_frame[~fully_refunded]
        unknown_rows = unknown_rows[~fully_refunded]
    # no order id repeats in the table: each kept line is an order of its own (no second factorize)
    numbers = np.arange(len(line_frame)) if order_groups is None else order_numbers(
        line_frame, has_order_id=order_id is not None)
    order_frame = group_orders(line_frame, has_order_id=order_id is not None, numbers=numbers)
    line_frame["is_purchase"] = order_frame["is_purchase"].to_numpy()[numbers]
    unknown = _unknown_statuses(line_frame, unknown_rows, numbers)
    credit = int((~order_frame["is_purchase"]).sum())
    if left_out_orders:
        notes.append(status_sentence(left_out_orders, {k: dropped[k] for k in left_out_orders}))
    if unknown:
        notes.append(unknown_sentence(unknown))
    if credit:
        notes.append(credit_note_sentence(credit, float(order_frame.loc[~order_frame["is_purchase"], "amount"].sum())))
    return PreparedOrders(lines=line_frame, orders=order_frame, dropped=dropped, notes=notes, mapping=mapping,
                          left_out_orders=left_out_orders, unknown_statuses=unknown, amount_from=amount_from,
                          credit_notes=credit, left_out=pd.Series(reason[reason != ""], index=index[reason != ""],
                                                                  dtype="str"))


def type_fields(table: Any) -> tuple[dict[str, pd.Series], dict[str, pd.Series], dict[str, np.ndarray]]:
    """``({field: typed values}, {field: issue codes}, {field: blank mask})`` of a Table's mapped
    columns: dates as datetime64, amounts and numbers as float64 (NaN where invalid), the rest text."""
    index = table.frame.index
    lines: dict[str, pd.Series] = {}
    codes: dict[str, pd.Series] = {}
    blank: dict[str, np.ndarray] = {}
    for header, fname in table.mapping.items():
        res = table.normalized[header]
        codes[fname] = res.codes
        kind = FIELD_KINDS.get(fname, "text")
        if kind == "date":
            lines[fname] = pd.Series(res.parsed, index=index).astype("datetime64[ns]")
        elif kind in ("amount", "number"):
            lines[fname] = pd.Series(res.parsed, index=index, dtype="float64")
        else:
            lines[fname] = pd.Series(res.values, index=index, dtype="str")
        blank[fname] = (res.values.fillna("") == "").to_numpy()
    return lines, codes, blank


# ----------------------------------------------------------------- building blocks


def _customer_key(lines: dict[str, pd.Series], codes: dict[str, pd.Series], index: pd.Index
                  ) -> tuple[pd.Series, str | None]:
    """The customer key per row and the note saying how it was made (None with a customer id column)."""
    return customer_key(lines, codes, index)


def key_fields(lines: Mapping[str, pd.Series], codes: Mapping[str, pd.Series]) -> list[str]:
    """The fields a customer key is taken from, in order, without a customer id column: the more
    complete (more valid values) of email and phone first (an orders export's email is the buyer's
    account), then the name."""
    valid = {f: int(((lines[f].str.strip() != "") & (codes[f] == "")).sum()) for f in ("email", "phone") if f in lines}
    return [*sorted(valid, key=lambda f: -valid[f]), *(["name"] if "name" in lines else [])]


def customer_key(lines: Mapping[str, pd.Series], codes: Mapping[str, pd.Series], index: pd.Index,
                 fields: list[str] | None = None) -> tuple[pd.Series, str | None]:
    """The customer key per row — the ``customer_id`` column, else the first valid value of
    ``fields`` (default :func:`key_fields`; a table read in parts decides them once) — and the note
    saying how it was made (None with a customer id column)."""
    if "customer_id" in lines:
        return lines["customer_id"].str.strip(), None
    cust = pd.Series("", index=index, dtype="str")
    valid = {}
    for fname in ("email", "phone", "name"):
        if fname in lines:
            vals = lines[fname].str.strip()
            valid[fname] = (vals, ((vals != "") & (codes[fname] == "")).to_numpy())
    order = key_fields(lines, codes) if fields is None else [f for f in fields if f in valid]
    used = []
    for fname in order:
        vals, ok = valid[fname]
        take = (cust == "").to_numpy() & ok
        if take.any():
            cust = cust.where(~take, vals)
            used.append(fname)
    return cust, ("no customer id column: customers keyed by normalized "
                  + (", else ".join(used) if used else "email or phone, else name"))


def _status_classes(lines: dict[str, pd.Series], blank: dict[str, np.ndarray], table: Mapping[str, str]
                    ) -> np.ndarray:
    """Each row's status class (object array; "" = no status, "?" = a status not in the vocabulary)."""
    n = len(next(iter(lines.values()))) if lines else 0
    row_class = np.full(n, "", dtype=object)
    if "status" in lines:
        codes, uniq = pd.factorize(lines["status"].str.strip())
        classes = classify_statuses(list(uniq), table)
        row_class = np.asarray([c if c is not None else "?" for c in classes] + [""], dtype=object)[codes]
    if "refund_status" in lines:
        codes, uniq = pd.factorize(lines["refund_status"].str.strip())
        classes = classify_statuses(list(uniq), table)
        refunded = np.asarray([c in ("refunded", "cancelled") for c in classes] + [False], dtype=bool)[codes]
        row_class = np.where(refunded, "refunded", row_class)
    if "cancelled_at" in lines:
        row_class = np.where(~blank["cancelled_at"], "cancelled", row_class)
    return row_class


def _unknown_statuses(lines: pd.DataFrame, unknown: np.ndarray, numbers: np.ndarray) -> dict[str, int]:
    """Status text -> counted orders written with it, for the kept lines of an unknown status."""
    if not unknown.any():
        return {}
    frame = pd.DataFrame({"s": lines["status"].to_numpy()[unknown], "o": numbers[unknown]})
    counts = frame.groupby("s", sort=False)["o"].nunique()
    return {str(k): int(v) for k, v in counts.sort_values(ascending=False, kind="stable").items()}


def _count_orders(mask: np.ndarray, pair: np.ndarray | None) -> int:
    """Orders among the masked rows (each row its own order without line grouping)."""
    if pair is None:
        return int(mask.sum())
    return len(np.unique(pair[mask]))
