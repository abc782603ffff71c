"""Each customer's name, phone, email and city for the Customers and At risk sheets.

From the customers file when one is given (its row for the customer), else — and for every customer or field the
file leaves blank — from the orders: the customer's most recent order line (by order date, then row) whose value
is filled in and passed validation. Values are the normalized ones (``+8613812345678``, never ``1.38E+10``); a
value that failed validation is never shown: the cell stays blank and the customer's note names the problem and
the row (``phone: lossy-phone, orders row 12``), so it can be fixed at the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..table import Table

CONTACT_FIELDS = ("name", "phone", "email", "city")


@dataclass(frozen=True)
class ContactProblem:
    """Why a customer's ``field`` is blank: the ``code`` of its value on ``row`` of ``source`` (orders/customers)."""

    field: str
    code: str
    row: int
    source: str


def _field_values(table: Table, f: str, rows: pd.Index) -> tuple[pd.Series, pd.Series] | None:
    """The normalized values and issue codes of field ``f`` on ``rows`` of ``table`` (None: no such column)."""
    res = table.normalized_field(f)
    if res is None:
        return None
    values = res.values.astype("str").fillna("").str.strip().reindex(rows, fill_value="")
    codes = res.codes.astype("str").fillna("").reindex(rows, fill_value="")
    return values, codes


def _pick(frame: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """From ``customer_id, order, row, value, code`` rows: each customer's latest valid value, and for the
    customers without one, their latest invalid value's code and row."""
    filled = frame[frame["value"] != ""].sort_values(["customer_id", "order", "row"], kind="stable")
    ok = filled["code"] == ""
    best = filled[ok].groupby("customer_id", sort=False)["value"].last()
    bad = filled[~ok & ~filled["customer_id"].isin(best.index)].groupby("customer_id", sort=False)[["code", "row"]].last()
    return best, bad


def customer_contacts(customer_ids: Sequence[str], *, lines: pd.DataFrame, orders: Table,
                      customers: Table | None = None) -> tuple[pd.DataFrame, dict[str, list[ContactProblem]]]:
    """``customer_id`` + the contact fields any input has (:data:`CONTACT_FIELDS`), one row per id in order, and
    the problems that left a field blank, by customer.

    ``lines`` are the prepared order lines (``customer_id``, ``order_date``; index = the orders' Excel rows) the
    report counts; ``orders`` is the orders table they came from, ``customers`` the customers file.
    """
    ids = pd.Index([str(c) for c in customer_ids])
    out = pd.DataFrame({"customer_id": ids})
    problems: dict[str, list[ContactProblem]] = {}
    sources = []
    if customers is not None and len(customers) and customers.column("customer_id"):
        idc = customers.column("customer_id")
        key = customers.normalized[idc].values.astype("str").str.strip()
        order = pd.Series(np.arange(len(key)), index=key.index)  # the first row of an id wins: order = −position
        sources.append(("customers", customers, key, -order))
    if len(lines) and "customer_id" in lines.columns:
        when = lines["order_date"].astype("int64") if "order_date" in lines.columns else pd.Series(0, lines.index)
        sources.append(("orders", orders, lines["customer_id"].astype("str"), when))
    for f in CONTACT_FIELDS:
        column = pd.Series("", index=ids, dtype="str")
        seen = False
        missing: dict[str, ContactProblem] = {}
        for name, table, key, order in sources:
            got = _field_values(table, f, key.index)
            if got is None:
                continue
            seen = True
            values, codes = got
            frame = pd.DataFrame({"customer_id": key.to_numpy(), "order": order.to_numpy(),
                                  "row": key.index.to_numpy(), "value": values.to_numpy(), "code": codes.to_numpy()})
            best, bad = _pick(frame[frame["customer_id"].isin(ids)])
            fill = (column == "") & column.index.isin(best.index)
            column[fill] = best.reindex(column.index[fill]).to_numpy()
            for cid, code, row in bad.itertuples(name=None):
                if cid not in missing:
                    missing[cid] = ContactProblem(f, str(code), int(row), name)
        if not seen:
            continue
        out[f] = column.to_numpy()
        for cid, problem in missing.items():
            if column.get(cid, "") == "":
                problems.setdefault(cid, []).append(problem)
    return out, problems
