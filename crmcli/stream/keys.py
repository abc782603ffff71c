"""Duplicates across the batches of a streamed table, found with a compact key index.

Each row's key (all its normalized values for ``duplicate-row``, the normalized id for
``duplicate-id``) is kept as a 32-bit hash, in row order (the row numbers are the batches' own:
a first row and a count, unless a batch skipped blank lines): 4 bytes a row and key, whatever the
row holds. Rows whose hash repeats are *candidates*; hashes collide (32 bits: about n²/2³³ false
pairs — a million at 100M rows), so candidates are confirmed on their values (a second pass over
just those rows, :func:`crmcli.stream.run.stream_table`) and only rows whose values are really
equal are reported — never a false duplicate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..validate import CODES, CUSTOMER_ID_SEVERITY, ISSUE_COLUMNS, ORDER_FIELDS

#: The hash's top bits pick a part; the parts are sorted one at a time (a sort's memory is a part's).
PARTS = 16


_LOCAL = threading.local()


def _connection():
    """This thread's DuckDB connection for hashing (a connection costs ~50 ms: one per thread, kept)."""
    con = getattr(_LOCAL, "con", None)
    if con is None:
        import duckdb

        con = _LOCAL.con = duckdb.connect()
    return con


def text_columns(frame: pd.DataFrame) -> list:
    """A text frame's columns as pyarrow string arrays, nulls as ``""``."""
    import pyarrow as pa

    cols = []
    for j in range(frame.shape[1]):
        s = frame.iloc[:, j]
        arr = getattr(s.array, "_pa_array", None)
        if arr is None:
            arr = pa.Array.from_pandas(s.reset_index(drop=True))
        elif isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
        cols.append(arr if not arr.null_count else arr.fill_null(""))
    return cols


def hash_rows(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of a text frame (all its columns; DuckDB's ``hash``, on the Arrow
    columns as they are: ~6x pandas' hashing of Arrow strings)."""
    import pyarrow as pa

    if frame.shape[1] == 0 or len(frame) == 0:
        return np.zeros(len(frame), dtype=np.uint64)
    cols = text_columns(frame)
    names = [f"c{j}" for j in range(len(cols))]
    con = _connection()
    con.register("batch", pa.Table.from_arrays(cols, names=names))
    try:
        out = con.sql(f"select hash({', '.join(names)}) as h from batch").to_arrow_table()
    finally:
        con.unregister("batch")
    return out.column("h").to_numpy()


def filled_rows(frame: pd.DataFrame) -> np.ndarray:
    """Mask of the rows of a text frame with a non-empty cell."""
    import pyarrow.compute as pc

    filled = np.zeros(len(frame), dtype=bool)
    for arr in text_columns(frame):
        filled |= pc.greater(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False)
    return filled


def hash_values(values: pd.Series) -> np.ndarray:
    """One 64-bit hash per value."""
    return hash_rows(values.to_frame())


@dataclass
class KeyIndex:
    """32-bit hashes of one key over every batch, in row order (0 = the row has no key)."""

    name: str
    hashes: list[np.ndarray] = field(default_factory=list)
    rows: list[np.ndarray | tuple[int, int]] = field(default_factory=list)

    def add(self, rows: np.ndarray, hashes: np.ndarray, keyed: np.ndarray | None = None) -> None:
        """A batch's rows (Excel row numbers, ascending), their 64-bit hashes, and which rows have a key."""
        h = (np.asarray(hashes, dtype=np.uint64) >> np.uint64(32)).astype(np.uint32)
        h[h == 0] = 1
        if keyed is not None:
            h[~np.asarray(keyed, dtype=bool)] = 0
        self.hashes.append(h)
        rows = np.asarray(rows, dtype=np.int64)
        contiguous = len(rows) == 0 or int(rows[-1]) - int(rows[0]) + 1 == len(rows)
        self.rows.append((int(rows[0]) if len(rows) else 0, len(rows)) if contiguous else rows)

    @property
    def nbytes(self) -> int:
        return sum(h.nbytes + (r.nbytes if isinstance(r, np.ndarray) else 16) for h, r in zip(self.hashes, self.rows))

    def _rows(self, i: int, sel: np.ndarray) -> np.ndarray:
        r = self.rows[i]
        if isinstance(r, np.ndarray):
            return r[sel]
        return r[0] + np.flatnonzero(sel)

    def candidates(self) -> np.ndarray:
        """Rows whose hash is shared with another row (sorted)."""
        if not self.hashes:
            return np.empty(0, dtype=np.int64)
        found = []
        for part in range(PARTS):
            hs, rs = [], []
            for i, h in enumerate(self.hashes):
                sel = ((h >> np.uint32(28)) == part) & (h != 0)
                if sel.any():
                    hs.append(h[sel])
                    rs.append(self._rows(i, sel))
            if not hs:
                continue
            h, r = np.concatenate(hs), np.concatenate(rs)
            order = np.argsort(h, kind="stable")
            hs_sorted = h[order]
            same = hs_sorted[1:] == hs_sorted[:-1]
            hit = np.zeros(len(h), dtype=bool)
            hit[1:] |= same
            hit[:-1] |= same
            found.append(r[order[hit]])
        return np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def first_of(keys: pd.Series) -> pd.Series:
    """For rows (index = Excel row, sorted) holding exact key values, the first row with the same value."""
    if keys.empty:
        return pd.Series([], dtype="int64")
    frame = pd.DataFrame({"k": keys.to_numpy(), "row": keys.index.to_numpy()})
    return pd.Series(frame.groupby("k", sort=False)["row"].transform("min").to_numpy(), index=keys.index)


def duplicate_issues(rows_keys: pd.Series | None, ids: Mapping[str, tuple[str, pd.Series]],
                     mapping: Mapping[str, str]) -> pd.DataFrame:
    """The ``duplicate-row`` and ``duplicate-id`` issues of confirmed candidates, in the words
    :func:`crmcli.validate.collect_issues` uses.

    ``rows_keys``: the candidate rows' exact row keys (index = Excel row); ``ids``: ``{column:
    (field, candidate rows' normalized ids)}``."""
    parts = []
    dup_rows: set[int] = set()
    if rows_keys is not None and len(rows_keys):
        first = first_of(rows_keys)
        later = first.index.to_numpy() != first.to_numpy()
        spec = CODES["duplicate-row"]
        rows = first.index.to_numpy()[later]
        dup_rows = set(rows.tolist())
        parts.append(pd.DataFrame({
            "row": rows, "column": "", "field": "", "value": "", "code": "duplicate-row", "severity": spec.severity,
            "message": [spec.message.format(first=int(f)) for f in first.to_numpy()[later]],
            "suggestion": spec.suggestion}))
    customer_table = not (set(mapping.values()) & set(ORDER_FIELDS))
    for col, (fname, values) in ids.items():
        values = values[values != ""]
        if values.empty:
            continue
        first = first_of(values)
        later = (first.index.to_numpy() != first.to_numpy()) & ~np.isin(first.index.to_numpy(), list(dup_rows))
        if not later.any():
            continue
        spec = CODES["duplicate-id"]
        vals = values.to_numpy()[later]
        parts.append(pd.DataFrame({
            "row": first.index.to_numpy()[later], "column": col, "field": fname, "value": vals,
            "code": "duplicate-id",
            "severity": CUSTOMER_ID_SEVERITY if fname == "customer_id" and customer_table else spec.severity,
            "message": [spec.message.format(field=fname, value=v, first=int(f))
                        for v, f in zip(vals, first.to_numpy()[later])],
            "suggestion": spec.suggestion}))
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "row" else "str") for c in ISSUE_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    order = {c: i for i, c in enumerate(["", *ids])}
    out = out.assign(_c=out["column"].map(order)).sort_values(["row", "_c"], kind="stable").drop(columns="_c")
    return out.reset_index(drop=True)[list(ISSUE_COLUMNS)]


def row_keys(clean: pd.DataFrame) -> pd.Series:
    """Exact row keys (every normalized value, joined by a separator no cell holds: ``\\x1f``) of a
    frame's rows, ``""``-only rows left out."""
    text = clean.astype("str").fillna("")
    filled = np.zeros(len(text), dtype=bool)
    for c in text.columns:
        filled |= (text[c] != "").to_numpy()
    joined = text.iloc[:, 0].str.len().astype("str") + "\x1f" + text.iloc[:, 0]
    for c in text.columns[1:]:
        joined = joined + "\x1f" + text[c].str.len().astype("str") + "\x1f" + text[c]
    return joined[filled]


def iter_rows(index_rows: Iterable[int]) -> np.ndarray:
    return np.asarray(sorted(set(index_rows)), dtype=np.int64)
