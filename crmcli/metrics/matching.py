"""Matching leads and campaign contacts to the customers in the orders.

A record matches a customer by ``customer_id`` when that id has orders; else by its
normalized phone, else by its normalized email (case-insensitive), looked up in the order
lines' phone/email columns.

Pseudonymized inputs (``crm … --pseudonymize``, :mod:`crmcli.privacy.pseudonym`) match as they are when
both sides carry the same key's pseudonyms; when the run has the key (a pseudonymizer in force) and only
one side is pseudonymized, both sides are compared as pseudonyms.
"""

from __future__ import annotations

import pandas as pd

IDENTIFIERS = ("customer_id", "phone", "email")


def _as_pseudonyms(keys: pd.Series, field: str) -> pd.Series:
    """``keys`` as pseudonyms when the run has a pseudonym key and they are not pseudonyms yet."""
    from ..privacy import current, is_pseudonym

    ps = current().pseudonymizer
    if ps is None or keys.empty:
        return keys
    kind = {"customer_id": "id"}.get(field, field)
    return pd.Series([v if (not v or is_pseudonym(v)) else ps.pseudonym(v, kind) for v in keys.tolist()],
                     index=keys.index, dtype="str")


def _mixed(a: pd.Series, b: pd.Series) -> bool:
    """One side pseudonymized and the other not."""
    from ..privacy import PSEUDONYM_PREFIX

    pa_, pb = a.str.startswith(PSEUDONYM_PREFIX).any(), b.str.startswith(PSEUDONYM_PREFIX).any()
    return bool(pa_) != bool(pb)


def _lookup(lines: pd.DataFrame, field: str, pseudonyms: bool = False) -> dict[str, str]:
    if field not in lines.columns:
        return {}
    keys = lines[field].astype("str").str.strip()
    if field == "email":
        keys = keys.str.casefold()
    if pseudonyms:
        keys = _as_pseudonyms(keys, field)
    pairs = pd.DataFrame({"key": keys.to_numpy(), "customer_id": lines["customer_id"].astype("str").to_numpy()})
    pairs = pairs[pairs["key"] != ""].drop_duplicates("key")
    return dict(zip(pairs["key"], pairs["customer_id"]))


def match_customers(records: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """The customer id each record matches in ``lines`` ("" when none), same index as ``records``.

    ``records`` may hold any of ``customer_id``, ``phone``, ``email`` (normalized text, ""
    when empty); ``lines`` holds ``customer_id`` and optionally ``phone``/``email``.
    """
    out = pd.Series("", index=records.index, dtype="str")
    known_ids = lines["customer_id"].astype("str")
    if "customer_id" in records.columns:
        ids = records["customer_id"].astype("str").str.strip()
        if _mixed(ids, known_ids):
            hashed = _as_pseudonyms(ids, "customer_id")
            by_pseudonym = dict(zip(_as_pseudonyms(known_ids, "customer_id"), known_ids))
            out = out.where(~hashed.isin(by_pseudonym), hashed.map(by_pseudonym).fillna("").astype("str"))
        else:
            out = out.where(~ids.isin(set(known_ids)), ids)
    for field in ("phone", "email"):
        if field not in records.columns:
            continue
        keys = records[field].astype("str").str.strip()
        if field == "email":
            keys = keys.str.casefold()
        mixed = field in lines.columns and _mixed(keys, lines[field].astype("str").str.strip())
        table = _lookup(lines, field, pseudonyms=mixed)
        if not table:
            continue
        if mixed:
            keys = _as_pseudonyms(keys, field)
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
