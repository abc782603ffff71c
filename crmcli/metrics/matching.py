"""Matching leads and campaign contacts to the customers in the orders.

A record matches a customer by ``customer_id`` when that id has orders; else by its
normalized phone, else by its normalized email (case-insensitive), looked up in the order
lines' phone/email columns.
"""

from __future__ import annotations

import pandas as pd

IDENTIFIERS = ("customer_id", "phone", "email")


def _lookup(lines: pd.DataFrame, field: str) -> dict[str, str]:
    if field not in lines.columns:
        return {}
    keys = lines[field].astype("str").str.strip()
    if field == "email":
        keys = keys.str.casefold()
    pairs = pd.DataFrame({"key": keys.to_numpy(), "customer_id": lines["customer_id"].astype("str").to_numpy()})
    pairs = pairs[pairs["key"] != ""].drop_duplicates("key")
    return dict(zip(pairs["key"], pairs["customer_id"]))


def match_customers(records: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """The customer id each record matches in ``lines`` ("" when none), same index as ``records``.

    ``records`` may hold any of ``customer_id``, ``phone``, ``email`` (normalized text, ""
    when empty); ``lines`` holds ``customer_id`` and optionally ``phone``/``email``.
    """
    out = pd.Series("", index=records.index, dtype="str")
    known = set(lines["customer_id"].astype("str"))
    if "customer_id" in records.columns:
        ids = records["customer_id"].astype("str").str.strip()
        out = out.where(~ids.isin(known), ids)
    for field in ("phone", "email"):
        if field not in records.columns:
            continue
        table = _lookup(lines, field)
        if not table:
            continue
        keys = records[field].astype("str").str.strip()
        if field == "email":
            keys = keys.str.casefold()
        found = keys.map(table).fillna("").astype("str")
        out = out.where(out != "", found)
    return out


def identity(records: pd.DataFrame, matched: pd.Series) -> pd.Series:
    """A key naming the person behind each record: the matched customer, else the first identifier."""
    out = matched.astype("str").copy()
    for field in IDENTIFIERS:
        if field in records.columns:
            val = records[field].astype("str").str.strip()
            if field == "email":
                val = val.str.casefold()
            out = out.where(out != "", (field + ":" + val).where(val != "", ""))
    return out
