"""A big input read in batches: the head decides (format, encoding, delimiter, header row,
header names — exactly as ``read_table`` decides them), then pyarrow reads the rest a batch at a
time, each batch the same text frame ``read_table`` gives (index = Excel row number).

CSV/TSV (any encoding the head is detected in; pyarrow transcodes) and Parquet stream; other
formats are read whole (:func:`streamable`). Blank lines are skipped and keep their row numbers;
a row with too few cells is padded, one with too many keeps the header's width and the extra
cells are named in its ``ragged-row`` problem (a streamed table cannot grow columns).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..io import SourceInfo, read_table
from ..io.source import EXT_FORMATS, describe_error, sniff_format
from ..io.totals import flag_totals

#: Bytes of a CSV read to decide how to read it (the reader's own sniffing looks at 1 MiB of text).
HEAD_BYTES = 4 << 20
#: Rows per batch: big enough for the vectorized field layer, small enough to bound memory.
BATCH_ROWS = 200_000
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def text_frame(columns: list[str], cols: list[pa.Array], rows: np.ndarray, info: SourceInfo | None = None,
               problems: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """One batch as the text frame ``read_table`` gives (index = row number), its totals rows flagged
    and its reader problems in ``frame.attrs["source"]``."""
    problems = [] if problems is None else problems
    frame = pd.DataFrame({name: pd.Series(pd.array(c, dtype=_STR)) for name, c in zip(columns, cols)})
    frame.index = pd.Index(rows, dtype="int64", name="row")
    flag_totals(frame, problems)
    info = info or SourceInfo()
    frame.attrs["source"] = SourceInfo(path=info.path, format=info.format, encoding=info.encoding,
                                       delimiter=info.delimiter, header_row=info.header_row, rows=len(frame),
                                       problems=problems)
    return frame


def streamable(path: str | os.PathLike) -> str | None:
    """``csv``/``tsv``/``parquet`` when ``path`` is a file that can be read in batches, else None
    (stdin, workbooks, JSON)."""
    name = os.fspath(path)
    if name == "-" or not os.path.isfile(name):
        return None
    try:
        with open(name, "rb") as fh:
            head = fh.read(4096)
            fh.seek(-4, os.SEEK_END) if os.path.getsize(name) >= 8 else None
            tail = fh.read(4)
    except OSError:
        return None
    if head.startswith(b"PAR1") and tail == b"PAR1":
        return "parquet"
    ext = EXT_FORMATS.get(os.path.splitext(name)[1].lower())
    try:
        fmt = sniff_format(head, ext, name)
    except InputError:
        return None
    return fmt if fmt in ("csv", "tsv") else None


@dataclass
class BatchSource:
    """One input read in batches. ``head`` is the first rows as ``read_table`` reads them (for the
    column mapping and the decisions every batch then keeps); ``info`` what was detected."""

    path: str
    format: str
    head: pd.DataFrame
    info: SourceInfo
    columns: list[str]
    batch_rows: int = BATCH_ROWS
    #: reader problems found while streaming (ragged rows), besides the head's
    problems: list[dict[str, Any]] = field(default_factory=list)
    #: parse on several threads (pyarrow then cannot number a bad row: :class:`Renumber` asks for one thread)
    threads: bool = True
    #: the last record's row of the batch read last (rows up to it, skipped ones too, are placed)
    _read_to: int = field(default=0, repr=False)

    def batches(self, rows: np.ndarray | None = None) -> Iterator[pd.DataFrame]:
        """Text frames of at most ``batch_rows`` rows, in order; each has its reader problems
        (totals rows, ragged rows) in ``frame.attrs["source"].problems``.

        ``rows`` (sorted Excel row numbers): only those rows, picked from the columns as read
        (before any frame is built; batches without one are left out; reading stops after the last)."""
        if self.format == "parquet":
            yield from self._parquet_batches(rows)
        else:
            yield from self._csv_batches(rows)

    # ------------------------------------------------------------------ parquet

    def _parquet_batches(self, wanted: np.ndarray | None) -> Iterator[pd.DataFrame]:
        from ..io.parquet import iter_parquet, text_array

        start = 2
        for cols in iter_parquet(self.path, self.batch_rows):
            n = len(cols[0]) if cols else 0
            rows = np.arange(start, start + n, dtype=np.int64)
            start += n
            if wanted is not None:   # picked as stored, then made text
                cols, rows = pick_rows(cols, rows, wanted)
                if not len(rows):
                    if not len(wanted) or start > wanted[-1]:
                        return
                    continue
            yield self._frame([text_array(c) for c in cols], rows, [], record=wanted is None)

    # ------------------------------------------------------------------ csv

    def _csv_batches(self, wanted: np.ndarray | None) -> Iterator[pd.DataFrame]:
        import pyarrow.csv as pacsv

        width = len(self.columns)
        names = [f"f{i}" for i in range(width)]
        header_row = int(self.info.header_row or 1)
        invalid: list[tuple[int, list[str]]] = []   # (row, cells) of rows pyarrow could not take
        unnumbered: list[int] = []
        delim = self.info.delimiter or ","

        def on_invalid(row: Any) -> str:
            # (with one parsing thread pyarrow numbers records from the file's first: the Excel row)
            if row.number is None:
                unnumbered.append(1)
                return "skip"
            number = row.number if row.number is not None and row.number > 0 else 0
            cells = next(csv.reader(io.StringIO(row.text or "", newline=""), delimiter=delim), [])
            invalid.append((number, cells))
            return "skip"

        enc = codecs.lookup(self.info.encoding or "utf-8").name
        encoding = "utf8" if enc in ("utf-8", "utf-8-sig") else enc
        try:
            reader = pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=header_row, block_size=4 << 20,
                                               encoding=encoding, use_threads=self.threads),
                parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True, ignore_empty_lines=False,
                                                 invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise self._read_error(exc) from None
        done = 0          # valid records so far
        placed = 0        # invalid rows already put into a batch
        pending: list[pa.Table] = []
        pending_rows = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise self._read_error(exc) from None
            if unnumbered:
                raise Renumber()
            pending.append(pa.Table.from_batches([batch]))
            pending_rows += batch.num_rows
            if pending_rows < self.batch_rows:
                continue
            table = pa.concat_tables(pending)
            whole = table.num_rows - table.num_rows % self.batch_rows
            for start in range(0, whole, self.batch_rows):
                part = table.slice(start, self.batch_rows)
                frame, done, placed = self._csv_frame(part, done, invalid, placed, header_row, width, final=False,
                                                      wanted=wanted)
                if frame is not None:
                    yield frame
                if wanted is not None and (not len(wanted) or self._read_to >= wanted[-1]):
                    return       # every row up to the batch's last is placed
            rest = table.slice(whole)            # carried into the next batch
            pending, pending_rows = ([rest], rest.num_rows) if rest.num_rows else ([], 0)
        table = pa.concat_tables(pending) if pending else None
        frame, done, placed = self._csv_frame(table, done, invalid, placed, header_row, width, final=True,
                                              wanted=wanted)
        if frame is not None and (len(frame) or (placed < len(invalid) and wanted is None)):
            yield frame

    def _csv_frame(self, table: pa.Table | None, done: int, invalid: list[tuple[int, list[str]]], placed: int,
                   header_row: int, width: int, *, final: bool, wanted: np.ndarray | None = None
                   ) -> tuple[pd.DataFrame | None, int, int]:
        """One batch: row numbers (records, with the rows pyarrow skipped put back in their place),
        blank lines left out; with ``wanted``, only those rows (None when the batch has none)."""
        n = table.num_rows if table is not None else 0
        cols = [table.column(i) for i in range(width)] if table is not None else \
            [pa.array([], type=pa.large_string()) for _ in range(width)]
        skipped = np.array(sorted(r for r, _ in invalid), dtype=np.int64)
        rows = header_row + 1 + done + np.arange(n, dtype=np.int64)
        if len(skipped):
            for _ in range(len(skipped) + 1):   # the j-th valid record takes the j-th row no skipped row holds
                shift = np.searchsorted(skipped, rows, side="right")
                new = header_row + 1 + done + np.arange(n, dtype=np.int64) + shift
                if np.array_equal(new, rows):
                    break
                rows = new
        problems: list[dict[str, Any]] = []
        last = int(rows[-1]) if n else None
        self._read_to = last if last is not None else self._read_to
        take = [(r, cells) for r, cells in sorted(invalid, key=lambda x: x[0])[placed:]
                if final or (last is not None and r < last)]
        if take:
            extra_rows = np.array([r for r, _ in take], dtype=np.int64)
            extra_cols = []
            for j in range(width):
                extra_cols.append(pa.array([cells[j] if j < len(cells) else "" for _, cells in take],
                                           type=pa.large_string()))
            for r, cells in take:
                message = f"row has {len(cells)} cells, the header has {width}"
                if len(cells) > width:
                    message += "; the extra cells are not in the streamed table: " + " | ".join(cells[width:])[:200]
                problems.append({"row": r, "column": None, "code": "ragged-row", "message": message})
            order = np.argsort(np.concatenate([rows, extra_rows]), kind="stable")
            rows = np.concatenate([rows, extra_rows])[order]
            cols = [pa.concat_arrays([*_chunks(c), e]).take(pa.array(order)) for c, e in zip(cols, extra_cols)]
            placed += len(take)
        if wanted is not None:
            cols, rows = pick_rows(cols, rows, wanted)
            if not len(rows):
                return None, done + n, placed
            problems = [p for p in problems if p["row"] in set(rows.tolist())]
        cols = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in cols]
        keep = _not_blank(cols)
        if keep is not None:
            rows = rows[keep]
            mask = pa.array(keep)
            cols = [c.filter(mask) for c in cols]
        return self._frame(cols, rows, problems, record=wanted is None), done + n, placed

    def _frame(self, cols: list[pa.Array], rows: np.ndarray, problems: list[dict[str, Any]], *,
               record: bool = True) -> pd.DataFrame:
        if record:
            self.problems.extend(p for p in problems if p.get("code") == "ragged-row")
        return text_frame(self.columns, cols, rows, self.info, problems)

    def _read_error(self, exc: BaseException) -> InputError:
        text = describe_error(exc)
        hint = "give the encoding with {opt:encoding} (e.g. gb18030)" if "UTF8" in text or "utf-8" in text.lower() \
            or "decode" in text.lower() else "check the file"
        return InputError(f"{self.path}: cannot read it in batches ({text})", hint=hint)


def _chunks(arr: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(arr.chunks) if isinstance(arr, pa.ChunkedArray) else [arr]


def member_mask(rows: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``np.isin(rows, wanted)`` for a sorted ``wanted``, looking only at the part of ``wanted`` within the
    rows' range (two binary searches): a pass over a file of N batches costs O(wanted) in all, not N sorts
    of every wanted row."""
    sel = np.zeros(len(rows), dtype=bool)
    if not len(rows) or not len(wanted):
        return sel
    order = None if bool(np.all(rows[1:] >= rows[:-1])) else np.argsort(rows, kind="stable")
    ranked = rows if order is None else rows[order]
    part = wanted[np.searchsorted(wanted, ranked[0], side="left"):np.searchsorted(wanted, ranked[-1], side="right")]
    pos = np.searchsorted(ranked, part)
    pos = pos[ranked[np.minimum(pos, len(ranked) - 1)] == part]
    sel[pos if order is None else order[pos]] = True
    return sel


def pick_rows(cols: list[Any], rows: np.ndarray, wanted: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """The columns' and row numbers' entries whose row is in ``wanted`` (sorted): :func:`member_mask`."""
    sel = member_mask(rows, wanted)
    if sel.all():
        return cols, rows
    where = pa.array(np.flatnonzero(sel))
    return [c.take(where) for c in cols], rows[sel]


class Renumber(Exception):
    """A row pyarrow could not take, read on several threads (no row number): read again on one."""


def _not_blank(cols: list[pa.Array]) -> np.ndarray | None:
    """Mask of the rows with a cell that is not empty or whitespace (None: every row has one).
    Only rows whose every cell starts like whitespace (or is empty) get the exact check."""
    import pyarrow.compute as pc

    from .._bytes import MAYBE_BLANK, first_bytes

    if not cols or not len(cols[0]):
        return None
    maybe = np.ones(len(cols[0]), dtype=bool)
    for c in cols:
        first = first_bytes(c)
        if first is not None:
            maybe &= MAYBE_BLANK.take(first)
        if not maybe.any():
            return None
    where = pa.array(np.flatnonzero(maybe))
    blank = np.ones(len(where), dtype=bool)
    for c in cols:
        blank &= pc.equal(pc.binary_length(pc.utf8_trim_whitespace(c.take(where))), 0).to_numpy(zero_copy_only=False)
    if not blank.any():
        return None
    out = np.ones(len(cols[0]), dtype=bool)
    out[np.flatnonzero(maybe)[blank]] = False
    return out


def open_source(path: str | os.PathLike, read: Any = None, *, batch_rows: int = BATCH_ROWS) -> BatchSource:
    """A :class:`BatchSource` for a CSV/TSV/Parquet file (``read`` = ReadOptions: encoding, header
    row and delimiter are obeyed as ``read_table`` obeys them)."""
    name = os.fspath(path)
    fmt = streamable(name)
    if fmt is None:
        raise InputError(f"{name} cannot be read in batches", hint="stream CSV, TSV or Parquet files")
    opts = read.kwargs() if read is not None else {}
    if fmt == "parquet":
        from ..io.parquet import open_parquet, text_batch

        pf = open_parquet(name)
        first = next(pf.iter_batches(batch_size=min(batch_rows, 50_000)), None)
        columns = [str(c) for c in pf.schema_arrow.names]
        cols = text_batch(first) if first is not None else [pa.array([], type=pa.large_string()) for _ in columns]
        head = pd.DataFrame({c: pd.Series(pd.array(a, dtype=_STR)) for c, a in zip(columns, cols)})
        head.index = pd.Index(np.arange(2, len(head) + 2, dtype=np.int64), name="row")
        info = SourceInfo(path=name, format="parquet", header_row=None, problems=[])
        head.attrs["source"] = info
        return BatchSource(name, "parquet", head, info, columns, batch_rows)
    try:
        with open(name, "rb") as fh:
            data = fh.read(HEAD_BYTES)
            more = bool(fh.read(1))
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if more:
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut > 0 else data
    head = read_table(data, encoding=opts.get("encoding"), header_row=opts.get("header_row"),
                      delimiter=opts.get("delimiter"))
    detected = head.attrs["source"]
    info = SourceInfo(path=name, format=detected.format, encoding=detected.encoding, delimiter=detected.delimiter,
                      header_row=detected.header_row,
                      problems=[p for p in detected.problems if p.get("code") in ("renamed-header", "skipped-row")])
    # a streamed table keeps the header's width (the head may have grown columns for a ragged row)
    width = _header_width(data, detected)
    head = head.iloc[:, :width]
    return BatchSource(name, detected.format, head, info, [str(c) for c in head.columns], batch_rows)


def _header_width(data: bytes, info: SourceInfo) -> int:
    """How many cells the header row has."""
    enc = info.encoding or "utf-8"
    text = data.decode("utf-8-sig" if codecs.lookup(enc).name == "utf-8" else enc, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=info.delimiter or ",", strict=False)
    record: list[str] = []
    for i, rec in enumerate(reader):
        record = rec
        if i + 1 >= int(info.header_row or 1):
            break
    return max(len(record), 1)
