"""pyarrow's CSV parser for the common, well-formed file: one record a line, every quoted
field closed on its line. Whatever it would read differently from Python's strict csv module
is found first (:func:`quoting_ok`, line counts) and sent back to the careful path, so both
paths give the same frame and the same problems (``tests/test_io_fast.py``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._bytes import MAYBE_BLANK, first_bytes
from .frame import is_blank_record, unique_headers
from .totals import flag_totals


@functools.lru_cache(maxsize=8)
def _bad_quote_patterns(delimiter: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """(anywhere, at the start) patterns for a quoted field pyarrow would read differently from
    Python's strict csv module, or not as one line.

    A quoted field opens with a quote at the start of a field (after the delimiter or a newline);
    its content is other characters and doubled quotes (possessive: a ``""`` is never split
    into a closing quote and an opening one); it is bad when the line (or the file) ends before
    it closes, or when its closing quote is followed by anything but the delimiter or a line end
    (``"abc"def``, ``""x``, also after a doubled quote). The patterns start with the quote itself, which lets
    ``re`` jump from quote to quote instead of trying every byte.
    """
    d = re.escape(delimiter)
    body = rb'(?:[^"\r\n]|"")*+(?:[\r\n]|\Z|"[^' + d + rb"\r\n])"
    return re.compile(rb'"(?<=[' + d + rb'\n]")' + body), re.compile(rb'"' + body)


def quoting_ok(data: bytes, delimiter: str) -> bool:
    """Every quoted field of ``data`` closes on its line and is followed by the delimiter or the
    line end: then pyarrow's one-line-per-record parse reads what Python's strict parser reads.

    pyarrow accepts text after a closing quote and a quote left open without a word, and a
    quoted value spanning lines would be cut at the line end; such files take the careful path.
    A quote not at the start of a field is a literal character to both parsers (``5"``).
    False alarms are possible (a quoted value holding the delimiter right before a quote, as in
    ``"a,"`` or ``"a,""b"``): they only cost speed.
    """
    d = delimiter.encode("utf-8")
    if len(d) != 1 or d in b'"\r\n':
        return False
    anywhere, at_start = _bad_quote_patterns(d)
    if data.startswith(b'"') and at_start.match(data):
        return False
    return anywhere.search(data) is None


def parse_csv_fast(text: str, delimiter: str, hidx: int, head_records: list[list[str]],
                    problems: list[dict[str, Any]], raw: bytes | None = None,
                    checked: int | None = None) -> pd.DataFrame | None:
    """pyarrow's parser for the common, well-formed case; None means use the careful path.

    ``raw`` is ``text`` encoded as UTF-8 when the caller has it (the input bytes). ``checked``:
    only the first ``checked`` bytes of ``raw`` are known to be valid UTF-8 (None: all of it);
    pyarrow checks the rows it reads, so the lines up to the header must lie within them."""
    if len(head_records) <= hidx or len(text) < 1 << 16:
        return None  # small files: the careful path is fast enough
    if len(head_records[hidx]) > 256:
        return None  # wide tables: per-column checks below would cost more than they save
    if any("\n" in c or "\r" in c for r in head_records[: hidx + 1] for c in r):
        return None
    data = raw if raw is not None else text.encode("utf-8")
    # (ASCII bytes stand for the same characters in UTF-8: the checks below can run on bytes)
    if b"\r" in data and b"\r\n" not in data:
        return None  # bare CR line ends
    if b"\x00" in data:
        return None
    pos = 0
    try:
        for _ in range(hidx):
            pos = data.index(b"\n", pos) + 1
    except ValueError:
        return None
    if checked is not None and data.find(b"\n", pos, checked) < 0:
        return None  # the header line is not (all) in the part known to be UTF-8
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad: list[int] = []

    def on_invalid(row: Any) -> str:
        bad.append(1)
        return "skip"

    header = head_records[hidx]
    names = [f"f{i}" for i in range(len(header))]

    def parse() -> Any:
        try:
            return pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(data).slice(pos)),  # no copy of the body
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                                 ignore_empty_lines=False, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, pa.ArrowException, ValueError):
            return None  # (invalid UTF-8 too: pyarrow checks every value)

    # pyarrow parses (its threads run without the GIL) while the checks below run in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(parse)
        try:
            quoting = b'"' not in data or quoting_ok(data, delimiter)
            # Row numbers are record numbers: a quoted newline would make records span lines, so
            # the fast path is only taken when every record is exactly one line (quoting_ok
            # checked the quoted fields; the line count checks pyarrow saw one row per line).
            lines = data.count(b"\n", pos) + (0 if len(data) > pos and data.endswith(b"\n") else 1) if quoting else 0
        finally:
            table = future.result()
    if not quoting or table is None or bad or lines != table.num_rows + 1:
        return None
    rownums = np.arange(hidx + 2, hidx + 2 + table.num_rows, dtype=np.int64)
    blank = _blank_rows(table.columns)
    if blank is not None:
        keep = np.ones(table.num_rows, dtype=bool)
        keep[blank] = False
        table, rownums = table.filter(pa.array(keep)), rownums[keep]
    frame = table.to_pandas()
    frame.columns = unique_headers(header, hidx + 1, problems)
    frame.index = pd.Index(rownums, dtype="int64", name="row")
    flag_totals(frame, problems)
    return frame


def _blank_rows(columns: Sequence[Any]) -> np.ndarray | None:
    """Positions of the rows whose cells are all empty or whitespace (as ``is_blank_record`` says),
    or None when there are none. ``columns``: pyarrow string arrays of one length.

    Only rows whose every cell starts like whitespace (or is empty) get the exact check."""
    maybe: np.ndarray | None = None
    for col in columns:
        first = first_bytes(col)
        cell = np.ones(len(col), dtype=bool) if first is None else MAYBE_BLANK.take(first)
        maybe = cell if maybe is None else (maybe & cell)
        if not maybe.any():
            return None
    if maybe is None:
        return None
    import pyarrow as pa

    where = np.flatnonzero(maybe)
    take = pa.array(where)
    cells = [col.take(take).to_pylist() for col in columns]
    blank = np.array([is_blank_record(rec) for rec in zip(*cells)], dtype=bool)
    return where[blank] if blank.any() else None

