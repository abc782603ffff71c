"""What prepared orders say: the sentences of their notes (where the amount comes from, credit notes,
unknown statuses, repeated rows, ambiguous dates, the orders left out by their status), one place for each,
used by :func:`.prepare.prepare_orders` and the engines (:mod:`crmcli.engines.run`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..schema import AMOUNT_LABELS, amount_source
from .status import LEFT_OUT_CLASSES, LEFT_OUT_LABELS


def amount_notes(cmap: Any, amount_col: str | None) -> list[str]:
    """Where the amount comes from, when there was a choice (or no amount column)."""
    if amount_col is None:
        return ["no amount column: amount = unit_price × quantity"]
    passed = cmap.passed_over.get("amount", [])
    if not passed:
        return []
    others = ", ".join(f"{h!r} ({AMOUNT_LABELS[amount_source(h)]})" for h in passed)
    return [f"amount: {amount_col!r} ({AMOUNT_LABELS[amount_source(amount_col)]}) over {others} — the amount paid "
            f"wins over a total, a total over goods value, goods value over unit price × quantity"]


def credit_note_sentence(credit: int, total: float) -> str:
    """The note on credit notes (orders with a negative net amount)."""
    return (f"{credit} credit note{'s' if credit != 1 else ''} (orders with a negative net amount: returns "
            f"with their own order id, C… invoices; {total:,.2f} in all) net into revenue and monetary "
            f"but are not purchases: no order count, frequency, AOV denominator, first/last order or "
            f"recency")


def unknown_sentence(unknown: Mapping[str, int]) -> str:
    listed = ", ".join(f"{text!r} ({k} order{'s' if k != 1 else ''})" for text, k in unknown.items())
    return (f"unknown order status, counted as a purchase: {listed} — set its class in crm.toml "
            f"(the status table of the orders section, orders.status)")


def repeated_rows_sentence(n: int) -> str:
    return (f"{n} rows repeat an earlier row exactly; without an order id column each is counted as an order "
            f"of its own")


def ambiguous_sentence(n: int) -> str:
    return (f"{n} order dates are ambiguous (day/month); read as the column's likely order — "
            f"use --dayfirst to force")


def status_sentence(orders_by_class: Mapping[str, int], rows_by_class: Mapping[str, int] | None = None) -> str:
    """``left out: 312 cancelled or closed, 98 unpaid, 41 refunded orders`` (+ rows when they differ)."""
    parts = [f"{orders_by_class[c]} {LEFT_OUT_LABELS[c]}" for c in LEFT_OUT_CLASSES if orders_by_class.get(c)]
    n_orders = sum(orders_by_class.values())
    text = "left out: " + ", ".join(parts) + (" orders" if n_orders != 1 else " order") + " (by their status)"
    rows = sum((rows_by_class or {}).values())
    if rows_by_class and rows != n_orders:
        text += f"; {rows} rows"
    return text
