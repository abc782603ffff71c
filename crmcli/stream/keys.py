"""Duplicates across the batches of a streamed table, found with a compact key index.

Each row's key (all its normalized values for ``duplicate-row``, the normalized id for
``duplicate-id``) is kept as a 64-bit hash with its row number (16 bytes a row and key, whatever the
row holds), split by the hash's top bits into :attr:`KeySettings.parts` parts. Past
:attr:`KeySettings.spill_bytes` the parts go to a private temporary folder (mode 0700; hashes and row
numbers only, never a value), so the index's memory does not grow with the file. Repeats are found one
part at a time (a part larger than :attr:`KeySettings.part_rows` in sub-ranges of the next bits).
Rows whose hash repeats are *candidates*; hashes may collide (64 bits: about n²/2⁶⁵ false pairs,
~0 at 100M rows; fewer bits in tests), so candidates are confirmed on their exact values, one hash
range at a time (:mod:`.confirm`), and only rows whose values are really equal are reported — never a
false duplicate.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: One key index entry: the key's hash and the row's number.
ENTRY = np.dtype([("h", "<u8"), ("r", "<i8")])


@dataclass(frozen=True)
class KeySettings:
    """How the key index holds and confirms its keys (the defaults bound a run's memory at any size;
    tests narrow the hash to force collisions and spill everything)."""

    #: bits of the 64-bit hash kept (fewer: more collisions, every one confirmed away)
    hash_bits: int = 64
    #: 2**part_bits parts, by the hash's top bits
    part_bits: int = 6
    #: entries held in memory per index past which they are appended to the temporary folder
    spill_bytes: int = 32 << 20
    #: entries of a part sorted at once (a larger part is read in sub-ranges of the next bits)
    part_rows: int = 1 << 22
    #: candidate rows (all keys) confirmed in one pass over the file; more take a pass per hash range
    confirm_rows: int = 3_000_000


class SpillFolder:
    """A private temporary folder made when first needed (mode 0700), removed by :meth:`close`."""

    def __init__(self) -> None:
        self.path: Path | None = None

    def file(self, name: str) -> Path:
        if self.path is None:
            self.path = Path(tempfile.mkdtemp(prefix="crm-keys-"))
        return self.path / name

    def close(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


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
    if frame.shape[1] == 0 or len(frame) == 0:
        return np.zeros(len(frame), dtype=np.uint64)
    cols = text_columns(frame)
    names = [f"c{j}" for j in range(len(cols))]
    return _select(cols, names, [f"hash({', '.join(names)}) as h"]).column("h").to_numpy()


def _select(cols: list, names: list[str], exprs: list[str]):
    """``select exprs`` over the Arrow columns ``cols`` (named ``names``) on this thread's connection."""
    import pyarrow as pa

    con = _connection()
    con.register("batch", pa.Table.from_arrays(cols, names=names))
    try:
        return con.sql(f"select {', '.join(exprs)} from batch").to_arrow_table()
    finally:
        con.unregister("batch")


def hash_keys(frame: pd.DataFrame, id_cols: Iterable[str] = ()
              ) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """A text frame's row hashes (:func:`hash_rows`) and which rows have a non-empty cell, and for each
    of ``id_cols`` its values' hashes and which are not empty: one DuckDB query."""
    id_cols = list(id_cols)
    n = len(frame)
    if frame.shape[1] == 0 or n == 0:
        none = np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=bool)
        return none[0], none[1], {c: none for c in id_cols}
    cols = text_columns(frame)
    names = [f"c{j}" for j in range(len(cols))]
    at = {c: names[list(frame.columns).index(c)] for c in id_cols}
    exprs = [f"hash({', '.join(names)}) as h", "(" + " or ".join(f"{c} <> ''" for c in names) + ") as f"]
    for i, c in enumerate(id_cols):
        exprs += [f"hash({at[c]}) as h{i}", f"{at[c]} <> '' as f{i}"]
    out = _select(cols, names, exprs)

    def col(name: str) -> np.ndarray:
        return out.column(name).to_numpy()

    return col("h"), col("f"), {c: (col(f"h{i}"), col(f"f{i}")) for i, c in enumerate(id_cols)}


class KeyIndex:
    """The 64-bit hashes of one key over every batch with their rows, in parts by the hash's top bits
    (rows without a key are left out)."""

    def __init__(self, name: str, settings: KeySettings | None = None, folder: SpillFolder | None = None) -> None:
        self.name = name
        self.settings = settings or KeySettings()
        self.folder = folder or SpillFolder()
        self.parts = 1 << self.settings.part_bits
        self._tag = f"k{id(self):x}"
        self._held: list[list[np.ndarray]] = [[] for _ in range(self.parts)]
        self._held_bytes = 0
        self._spilled = [0] * self.parts          # entries of each part in its file
        self.entries = 0
        self._cands: list[np.ndarray | int] = []  # per part: candidate rows (or, spilled, their count)

    def add(self, rows: np.ndarray, hashes: np.ndarray, keyed: np.ndarray | None = None) -> None:
        """A batch's rows (Excel row numbers), their 64-bit hashes, and which rows have a key."""
        h = np.asarray(hashes, dtype=np.uint64)
        r = np.asarray(rows, dtype=np.int64)
        if keyed is not None:
            keyed = np.asarray(keyed, dtype=bool)
            h, r = h[keyed], r[keyed]
        drop = 64 - self.settings.hash_bits
        if drop >= 64:
            h = np.zeros(len(h), dtype=np.uint64)
        elif drop:
            h = (h >> np.uint64(drop)) << np.uint64(drop)
        small = np.uint8 if self.settings.part_bits <= 8 else np.uint16   # (a stable sort of these is a radix sort)
        part = (h >> np.uint64(64 - self.settings.part_bits)).astype(small) if self.settings.part_bits else \
            np.zeros(len(h), dtype=small)
        order = np.argsort(part, kind="stable")
        entries = np.empty(len(h), dtype=ENTRY)
        entries["h"], entries["r"] = h[order], r[order]
        bounds = np.searchsorted(part[order], np.arange(self.parts + 1), side="left")
        for p in np.flatnonzero(np.diff(bounds)):
            self._held[p].append(entries[bounds[p]:bounds[p + 1]])
        self._held_bytes += entries.nbytes
        self.entries += len(entries)
        if self._held_bytes > self.settings.spill_bytes:
            self._spill()

    def _spill(self) -> None:
        for p, held in enumerate(self._held):
            if held:
                with open(self.folder.file(f"{self._tag}-{p}.bin"), "ab") as fh:
                    for chunk in held:
                        chunk.tofile(fh)
                self._spilled[p] += sum(len(c) for c in held)
                self._held[p] = []
        self._held_bytes = 0

    @property
    def nbytes(self) -> int:
        """The index's size (in memory and in the temporary folder): 16 bytes a keyed row."""
        return self.entries * ENTRY.itemsize

    def _part_chunks(self, p: int) -> Iterable[np.ndarray]:
        """A part's entries, at most ``part_rows`` at a time."""
        if self._spilled[p]:
            mm = np.memmap(self.folder.file(f"{self._tag}-{p}.bin"), dtype=ENTRY, mode="r", shape=(self._spilled[p],))
            step = self.settings.part_rows
            for start in range(0, len(mm), step):
                yield np.array(mm[start:start + step])
            del mm
        yield from self._held[p]

    def _part_repeats(self, p: int) -> np.ndarray:
        """The rows of part ``p`` whose hash another row shares (sorted)."""
        n = self._spilled[p] + sum(len(c) for c in self._held[p])
        if n < 2:
            return np.empty(0, dtype=np.int64)
        subs = 1
        while n > subs * self.settings.part_rows and subs < (1 << 16):
            subs <<= 1
        shift = np.uint64(64 - self.settings.part_bits - subs.bit_length() + 1)
        mask = np.uint64(subs - 1)
        found = []
        for sub in range(subs):
            picked = []
            for chunk in self._part_chunks(p):
                picked.append(chunk if subs == 1 else chunk[((chunk["h"] >> shift) & mask) == sub])
            e = np.concatenate(picked) if picked else np.empty(0, dtype=ENTRY)
            if len(e) < 2:
                continue
            hs = np.sort(e["h"])
            repeated = np.unique(hs[1:][hs[1:] == hs[:-1]])   # (a sort of the hashes alone, then the few repeated)
            if not len(repeated):
                continue
            # (pandas' hash-table isin: 0.2 s over 10M hashes, where a searchsorted into the repeated took 1.5 s)
            found.append(e["r"][pd.Series(e["h"]).isin(repeated).to_numpy()])
        return np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)

    def find_repeats(self) -> list[int]:
        """Find every part's candidates (kept in memory, or past ``spill_bytes`` in the temporary
        folder, as row numbers); the count of each part's."""
        counts = []
        held = 0
        self._cands = []
        for p in range(self.parts):
            rows = self._part_repeats(p)
            counts.append(len(rows))
            if held + rows.nbytes > self.settings.spill_bytes:
                rows.tofile(self.folder.file(f"{self._tag}-c{p}.bin"))
                self._cands.append(len(rows))
            else:
                held += rows.nbytes
                self._cands.append(rows)
        self._held = [[] for _ in range(self.parts)]   # the entries are not needed any more
        return counts

    def part_candidates(self, p: int) -> np.ndarray:
        """The candidate rows of part ``p`` (sorted), after :meth:`find_repeats`."""
        c = self._cands[p]
        if isinstance(c, np.ndarray):
            return c
        return np.fromfile(self.folder.file(f"{self._tag}-c{p}.bin"), dtype=np.int64, count=c)

    def candidates(self) -> np.ndarray:
        """Rows whose hash is shared with another row (sorted)."""
        if not self._cands:
            self.find_repeats()
        parts = [self.part_candidates(p) for p in range(self.parts)]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def row_keys(clean: pd.DataFrame) -> pd.Series:
    """Exact row keys (every normalized value after its length in characters, joined by a separator no
    cell holds: ``\x1f``) of a frame's rows, ``""``-only rows left out. Joined in Arrow (pandas' string
    concatenation took 1.2 s for the 200,000 candidates of 10M rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = clean.astype("str").fillna("")
    filled = np.zeros(len(text), dtype=bool)
    parts = []
    for arr in text_columns(text):
        arr = arr.cast(pa.large_string())
        filled |= pc.greater(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False)
        parts += [pc.utf8_length(arr).cast(pa.large_string()), arr]
    if not parts:
        return pd.Series([], dtype=object)
    joined = pc.binary_join_element_wise(*parts, pa.scalar("\x1f", pa.large_string()))
    return pd.Series(joined.to_pylist(), index=text.index, dtype=object)[filled]
