"""The confirming pass of a streamed run: candidates (rows whose key hash repeats) checked on their
exact values, one hash range at a time, in memory that does not grow with the file.

The key indexes' parts (:class:`.keys.KeyIndex`) are grouped into consecutive hash ranges holding at
most :attr:`.keys.KeySettings.confirm_rows` candidates (of every key); each range is one pass over the
file reading only its candidate rows (rows with equal values have equal hashes, so they are in the
same range). Within a pass the candidates come in row order and each exact key is remembered with its
first row (memory: the range's distinct keys), so a later row with the same values is a duplicate of
that first row. What is kept across ranges is numbers (row, first row; and the repeated id's text),
merged at the end into the ``duplicate-row`` / ``duplicate-id`` issues in row order, in the words
:func:`crmcli.validate.collect_issues` uses, a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..validate import CUSTOMER_ID_SEVERITY, ISSUE_COLUMNS, ORDER_FIELDS, code_spec
from .keys import KeyIndex, row_keys
from .source import member_mask

#: Issues built into one frame at a time.
ISSUE_CHUNK = 100_000


@dataclass
class _Found:
    """A key's confirmed repeats: each later row and the first row with the same value."""

    rows: list[np.ndarray] = field(default_factory=list)
    firsts: list[np.ndarray] = field(default_factory=list)
    values: list[str] = field(default_factory=list)

    def add(self, rows: list[int], firsts: list[int], values: list[str] | None = None) -> None:
        if rows:
            self.rows.append(np.asarray(rows, dtype=np.int64))
            self.firsts.append(np.asarray(firsts, dtype=np.int64))
            if values is not None:
                self.values.extend(values)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(self.rows), np.concatenate(self.firsts)


def plan_ranges(counts: list[int], limit: int) -> list[range]:
    """Consecutive parts grouped so that each group holds at most ``limit`` candidates (a part holding
    more is a group of its own); parts without a candidate are left out."""
    ranges: list[range] = []
    start, held = None, 0
    for p, n in enumerate(counts):
        if start is not None and held + n > limit:
            ranges.append(range(start, p))
            start, held = None, 0
        if start is None:
            start = p
        held += n
    if start is not None and held:
        ranges.append(range(start, len(counts)))
    return [r for r in ranges if sum(counts[p] for p in r)]


def confirm_duplicates(src: Any, plan: Any, row_index: KeyIndex, id_index: Mapping[str, KeyIndex],
                       id_cols: Mapping[str, str], *, lang: str = "en") -> tuple[int, int, Iterator[pd.DataFrame]]:
    """The candidates' count, the passes over the file taken, and the confirmed duplicates' issues,
    in row order, in chunks (messages in ``lang``)."""
    indexes = [row_index, *id_index.values()]
    per_index = [idx.find_repeats() for idx in indexes]
    counts = [sum(c) for c in zip(*per_index)]
    n_cand = sum(counts)
    if not n_cand:
        return 0, 0, iter(())
    found = [_Found() for _ in indexes]
    ranges = plan_ranges(counts, row_index.settings.confirm_rows)
    for parts in ranges:
        _confirm_range(src, plan, indexes, parts, list(id_cols), found)
    return n_cand, len(ranges), _issue_chunks(found, id_cols, plan.mapping, lang)


def _confirm_range(src: Any, plan: Any, indexes: list[KeyIndex], parts: range, id_cols: list[str],
                   found: list[_Found]) -> None:
    """One pass over the file for the candidates of the parts ``parts`` of every key."""
    wanted = [np.concatenate([idx.part_candidates(p) for p in parts]) for idx in indexes]
    wanted = [np.sort(w) for w in wanted]
    rows = np.unique(np.concatenate(wanted))
    seen: list[dict[str, int]] = [{} for _ in indexes]
    for frame in src.batches(rows=rows):
        clean = plan.normalize(frame).cleaned()
        at = clean.index.to_numpy()
        for k, idx in enumerate(indexes):
            mask = member_mask(at, wanted[k])
            if not mask.any():
                continue
            if k == 0:
                keys = row_keys(clean[mask])
            else:
                keys = clean.loc[mask, id_cols[k - 1]].fillna("").astype("str")
                keys = keys[keys != ""]
            later, firsts, values = [], [], []
            first_of = seen[k]
            for r, key in zip(keys.index.tolist(), keys.tolist()):
                f = first_of.setdefault(key, r)
                if f != r:
                    later.append(r)
                    firsts.append(f)
                    values.append(key)
            found[k].add(later, firsts, values if k else None)


def _issue_chunks(found: list[_Found], id_cols: Mapping[str, str], mapping: Mapping[str, str], lang: str = "en"
                  ) -> Iterator[pd.DataFrame]:
    """The issues of the confirmed repeats, in row order (the row's issue first, then its ids' in
    column order); an id repeated on a row that repeats a whole row is not listed again."""
    dup_rows, dup_firsts = found[0].arrays()
    order = np.argsort(dup_rows, kind="stable")
    dup_rows, dup_firsts = dup_rows[order], dup_firsts[order]
    rows, firsts, which, values = [dup_rows], [dup_firsts], [np.zeros(len(dup_rows), dtype=np.int32)], [None]
    for k, f in enumerate(found[1:], start=1):
        r, fi = f.arrays()
        keep = ~member_mask(r, dup_rows) if len(dup_rows) else np.ones(len(r), dtype=bool)
        rows.append(r[keep])
        firsts.append(fi[keep])
        which.append(np.full(int(keep.sum()), k, dtype=np.int32))
        values.append(np.asarray(f.values, dtype=object)[keep])
    all_rows, all_firsts, all_which = np.concatenate(rows), np.concatenate(firsts), np.concatenate(which)
    # each key's value, by position among all issues (ids only)
    offsets = np.cumsum([0, *(len(r) for r in rows)])
    order = np.lexsort((all_which, all_rows))
    cols = ["", *id_cols]
    fields = ["", *id_cols.values()]
    customer_table = not (set(mapping.values()) & set(ORDER_FIELDS))
    row_spec, id_spec = code_spec("duplicate-row", lang), code_spec("duplicate-id", lang)
    for start in range(0, len(order), ISSUE_CHUNK):
        pos = order[start:start + ISSUE_CHUNK]
        w = all_which[pos]
        first = all_firsts[pos]
        value = [""] * len(pos)
        code, severity, message, suggestion = [], [], [], []
        for i, (k, p, f) in enumerate(zip(w.tolist(), pos.tolist(), first.tolist())):
            if k == 0:
                code.append("duplicate-row")
                severity.append(row_spec.severity)
                message.append(row_spec.message.format(first=f))
                suggestion.append(row_spec.suggestion)
            else:
                v = values[k][p - offsets[k]]
                value[i] = v
                fname = fields[k]
                code.append("duplicate-id")
                severity.append(CUSTOMER_ID_SEVERITY if fname == "customer_id" and customer_table
                                else id_spec.severity)
                message.append(id_spec.message.format(field=fname, value=v, first=f))
                suggestion.append(id_spec.suggestion)
        yield pd.DataFrame({"row": all_rows[pos], "column": [cols[k] for k in w.tolist()],
                            "field": [fields[k] for k in w.tolist()], "value": value, "code": code,
                            "severity": severity, "message": message, "suggestion": suggestion},
                           columns=list(ISSUE_COLUMNS))
