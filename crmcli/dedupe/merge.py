"""Merge (survivorship): one golden row per cluster, with provenance and stable cluster ids.

Per column, the surviving value is chosen by a rule:

- ``complete`` (default): the most complete value — the one with the most letters and digits
  (``GREEN, Ethan`` says no more than ``Ethan Green``; ties: the most frequent, then the first);
- ``frequent``: the most frequent non-empty value (ties: the longest, then the first);
- ``recent``: the non-empty value of the most recent record, by the recency column (``created_at``
  / ``order_date`` …, else the last row in the file).

Phone and email columns keep *every* distinct value (distinct by normalized form), joined with
``"; "`` in order of first appearance — a second number is never dropped.

``source_rows`` lists the rows (as numbered in Excel) merged into each golden row and
``provenance`` says which row each value came from (``Name←5; Phone←2,5``).

Cluster ids are numbers. With ``previous`` (the ``--clusters`` file of an earlier run), a cluster
keeps the id of the earlier cluster it overlaps most (records matched by ``id_column`` when given,
else by the content of their original columns); new clusters get ids after the largest old one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DataError, UsageError

RULES = ("complete", "frequent", "recent")
EXTRA_COLUMNS = ("cluster_id", "cluster_size", "match_score")
JOIN = "; "


def assign_cluster_ids(table: pd.DataFrame, label: np.ndarray, previous: pd.DataFrame | None = None,
                       id_column: str | None = None) -> np.ndarray:
    """A cluster id (int) per record: numbered by first appearance, or kept from ``previous``."""
    _, first_seen = np.unique(label, return_inverse=True)
    # number clusters in order of their first record
    order = pd.unique(first_seen)
    renum = np.empty(len(order), dtype=np.int64)
    renum[order] = np.arange(1, len(order) + 1)
    ids = renum[first_seen]
    if previous is None or previous.empty:
        return ids
    if "cluster_id" not in previous.columns:
        raise DataError("the {opt:previous} file has no cluster_id column",
                        hint="pass the {opt:clusters} file written by an earlier crm dedupe run")
    prev_ids = pd.to_numeric(previous["cluster_id"], errors="coerce")
    own = _row_keys(table, id_column, [c for c in table.columns if c not in EXTRA_COLUMNS])
    old = _row_keys(previous, id_column, [c for c in table.columns if c not in EXTRA_COLUMNS])
    lookup = pd.Series(prev_ids.to_numpy(), index=old)
    lookup = lookup[~lookup.index.duplicated()]
    old_of_row = lookup.reindex(own).to_numpy()
    frame = pd.DataFrame({"new": ids, "old": old_of_row}).dropna()
    overlap = frame.groupby(["new", "old"]).size().sort_values(ascending=False, kind="stable")
    taken_new, taken_old, mapping = set(), set(), {}
    for (new, old_id), _ in overlap.items():
        if new in taken_new or old_id in taken_old:
            continue
        mapping[new] = int(old_id)
        taken_new.add(new)
        taken_old.add(old_id)
    next_id = int(np.nanmax(prev_ids.to_numpy(dtype=np.float64), initial=0)) + 1
    out = np.empty(len(ids), dtype=np.int64)
    fresh: dict[int, int] = {}
    for pos, new in enumerate(ids):
        if new in mapping:
            out[pos] = mapping[new]
        else:
            if new not in fresh:
                fresh[new] = next_id
                next_id += 1
            out[pos] = fresh[new]
    return out


def _row_keys(table: pd.DataFrame, id_column: str | None, columns: list[str]) -> np.ndarray:
    if id_column:
        if id_column not in table.columns:
            raise UsageError(f"{{opt:id}} {id_column}: no such column in the previous clusters file",
                             hint="use the same {opt:id} as the earlier run")
        return table[id_column].astype(str).str.strip().to_numpy()
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"the {{opt:previous}} file lacks column {missing[0]!r}",
                        hint="pass the {opt:clusters} file of a run on the same kind of table, or use {opt:id}")
    part = table[columns].astype(str)
    return pd.util.hash_pandas_object(part, index=False).to_numpy()


def merge_duplicates(table: pd.DataFrame, cluster_ids: np.ndarray, *, keep: Mapping[str, str] | str = "complete",
                     multi_value: Mapping[str, pd.Series] | None = None,
                     recency: pd.Series | None = None) -> pd.DataFrame:
    """One row per cluster (in order of first appearance) with ``cluster_id``, ``cluster_size``,
    ``source_rows`` and ``provenance``.

    ``keep`` is a rule for every column or ``{column: rule, "*": default}``; ``multi_value`` maps
    a column whose distinct values are all kept (phones, emails) to its normalized form;
    ``recency`` is a datetime Series (same index) ordering records for the ``recent`` rule.
    """
    rules = {"*": keep} if isinstance(keep, str) else {"*": "complete", **keep}
    for col, rule in rules.items():
        if rule not in RULES:
            raise UsageError(f"unknown survivorship rule {rule!r}", hint="rules: " + ", ".join(RULES))
        if col != "*" and col not in table.columns:
            raise UsageError(f"{{opt:keep}} {col}={rule}: no column named {col!r}")
    multi_value = dict(multi_value or {})
    columns = [c for c in table.columns if c not in EXTRA_COLUMNS]
    rows = table.index.to_numpy()
    values = {c: table[c].astype(str).to_numpy(dtype=object) for c in columns}
    norm = {c: s.astype(str).to_numpy(dtype=object) for c, s in multi_value.items()}
    rank = np.arange(len(table), dtype=np.float64)
    if recency is not None:
        t = pd.to_datetime(recency, errors="coerce")
        rank = np.where(t.isna().to_numpy(), -np.inf, t.to_numpy(dtype="datetime64[ns]").astype(np.int64))
        rank = rank.astype(np.float64) + np.arange(len(table)) * 1e-9   # ties: later row wins

    ids = np.asarray(cluster_ids)
    sizes = pd.Series(ids).map(pd.Series(ids).value_counts()).to_numpy()
    first = ~pd.Series(ids).duplicated().to_numpy()
    out = {c: values[c][first].copy() for c in columns}
    out_sources = rows[first].astype(str).astype(object)
    out_prov = np.full(first.sum(), "", dtype=object)
    multi_pos = np.flatnonzero(first & (sizes > 1))
    if len(multi_pos):
        where = {cid: k for k, cid in enumerate(ids[first])}
        groups = pd.Series(np.arange(len(ids))).groupby(ids, sort=False).indices
        for pos in multi_pos:
            members = np.sort(groups[ids[pos]])
            k = where[ids[pos]]
            prov = []
            for c in columns:
                rule = rules.get(c, rules["*"])
                if c in norm:
                    value, src = _keep_all(values[c][members], norm[c][members], rows[members])
                else:
                    value, src = _survive(values[c][members], rows[members], rank[members], rule)
                out[c][k] = value
                if src:
                    prov.append(f"{c}←{','.join(map(str, src))}")
            out_sources[k] = ";".join(map(str, rows[members]))
            out_prov[k] = "; ".join(prov)
    merged = pd.DataFrame(out)
    merged.insert(0, "cluster_id", ids[first])
    merged.insert(1, "cluster_size", sizes[first])
    merged["source_rows"] = out_sources
    merged["provenance"] = out_prov
    return merged


def _keep_all(raw: np.ndarray, norm: np.ndarray, rows: np.ndarray) -> tuple[str, list]:
    kept, src, seen = [], [], set()
    for value, key, row in zip(raw, norm, rows):
        value = str(value).strip()
        if not value:
            continue
        key = str(key).strip() or value
        if key in seen:
            continue
        seen.add(key)
        kept.append(value)
        src.append(row)
    return JOIN.join(kept), src


def _completeness(value: str) -> int:
    """How much a value says: its letters and digits (punctuation, spaces and case add nothing)."""
    return sum(ch.isalnum() for ch in value)


def _survive(vals: np.ndarray, rows: np.ndarray, rank: np.ndarray, rule: str) -> tuple[str, list]:
    filled = [(str(v).strip(), r, t) for v, r, t in zip(vals, rows, rank) if str(v).strip()]
    if not filled:
        return "", []
    counts = Counter(v for v, _, _ in filled)
    if rule == "recent":
        value = max(filled, key=lambda x: x[2])[0]
    elif rule == "frequent":
        value = max(counts, key=lambda v: (counts[v], len(v)))
    else:
        value = max(counts, key=lambda v: (_completeness(v), counts[v]))
    src = [r for v, r, _ in filled if v == value]
    return value, src
