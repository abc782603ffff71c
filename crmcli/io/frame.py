"""From records to the text frame ``read_table`` returns, for every format: which row is the
header, header names made unique, ragged rows kept, rows above the header reported, Excel row
numbers as the index, totals rows flagged (:mod:`.totals`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .totals import flag_totals

#: How many leading records are looked at to find the delimiter and the header row.
SNIFF_RECORDS = 50
MAX_COLUMNS = 16_384                      # Excel's limit: wider tables are refused, not crawled


def count_filled(row: Sequence[str]) -> int:
    """How many cells of ``row`` hold something other than whitespace."""
    return sum(1 for c in row if c is not None and str(c).strip())


_NUMBERISH = re.compile(r"^[\s+\-¥￥$€]*[\d.,:/\-\s%]+$")


def detect_header(rows: Sequence[Sequence[str]]) -> int:
    """Index (0-based) of the header among the first rows: skip titles, blank rows and notes.

    The header is the first row that fills at least half as many cells as the widest of the
    first rows (and two or more, unless the table has one column), and is mostly text.
    """
    head = list(rows[:SNIFF_RECORDS])
    counts = [count_filled(r) for r in head]
    if not any(counts):
        return 0
    widest = max(counts)
    need = max(2, (widest + 1) // 2) if widest > 1 else 1
    for i, (row, n) in enumerate(zip(head, counts)):
        if n < need:
            continue
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        numeric = sum(1 for c in cells if _NUMBERISH.match(c))
        if numeric <= len(cells) // 2:
            return i
    return next(i for i, n in enumerate(counts) if n >= need)


def unique_headers(raw: Sequence[str], header_row: int | None,
                    problems: list[dict[str, Any]]) -> list[str]:
    """Blank headers become ``column_N``; repeated ones get ``_2``, ``_3``… (reported)."""
    out: list[str] = []
    seen: set[str] = set()
    for pos, h in enumerate(raw, start=1):
        name = str(h).strip() if h is not None else ""
        name = " ".join(name.split())
        original = name
        if not name:
            name = f"column_{pos}"
        base, k = name, 2
        while name in seen:
            name = f"{base}_{k}"
            k += 1
        seen.add(name)
        out.append(name)
        if name != original:
            problems.append({"row": header_row, "column": name, "code": "renamed-header",
                             "message": f"header {original!r} in column {pos} is "
                                        f"{'blank' if not original else 'repeated'}; named {name!r}"})
    return out


def build_frame(header: list[str], records: Sequence[Sequence[str]], rownums: Sequence[int],
           header_row: int | None, problems: list[dict[str, Any]]) -> pd.DataFrame:
    """Build the text frame; keep every value of ragged rows (extra cells get new columns)."""
    width = len(header)
    widest = max((len(r) for r in records), default=width)
    columns = list(header)
    if widest > width:
        taken = set(columns)
        for pos in range(width + 1, widest + 1):
            name = f"column_{pos}"
            while name in taken:
                name += "_"
            taken.add(name)
            columns.append(name)
    ncols = len(columns)
    check_width(ncols)
    for rec, rownum in zip(records, rownums):
        n = len(rec)
        if n != width:
            problems.append({"row": rownum, "column": None, "code": "ragged-row",
                             "message": f"row has {n} cells, the header has {width}"
                                        + ("; extra cells kept in new columns" if n > width else "")})
    index = pd.Index(list(rownums), dtype="int64", name="row")
    if ncols > 64:
        # Wide tables: one 2-D block, then text columns (a dict of 10,000 Series is slow).
        grid = np.full((len(records), ncols), "", dtype=object)
        for i, rec in enumerate(records):
            grid[i, : len(rec)] = ["" if v is None else v for v in rec]
        frame = pd.DataFrame(grid, columns=pd.Index(columns, dtype=object), index=index).astype("str")
    else:
        data: list[list[str]] = [[] for _ in range(ncols)]
        for rec in records:
            n = len(rec)
            for j in range(ncols):
                v = rec[j] if j < n else ""
                data[j].append("" if v is None else v)
        frame = pd.DataFrame({c: pd.Series(col, dtype="str") for c, col in zip(columns, data)})
        frame.index = index
    flag_totals(frame, problems)
    return frame


def is_blank_record(rec: Sequence[str]) -> bool:
    """True when every cell of ``rec`` is empty or whitespace (a blank line of the file)."""
    return not any(c.strip() for c in rec if c)

def report_skipped_rows(rows: Sequence[Sequence[str]], hidx: int, problems: list[dict[str, Any]]) -> None:
    """Rows above the header (titles, notes) are not data: say so, with what they held."""
    for i, row in enumerate(rows[:hidx]):
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        if cells:
            text = " | ".join(cells)
            problems.append({"row": i + 1, "column": None, "code": "skipped-row",
                             "message": f"row above the header, not read as data: {text[:80]!r}"})

def check_width(width: int, row: int | None = None) -> None:
    """Refuse a table wider than ``MAX_COLUMNS`` (Excel's limit) before it is built."""
    if width > MAX_COLUMNS:
        where = f" (row {row})" if row else ""
        raise InputError(f"the table has {width:,} columns{where}; at most {MAX_COLUMNS:,} are read "
                         f"(Excel's limit)", hint="check the delimiter with {opt:delimiter}, or split the file")

def cell_text(v: Any) -> str:
    """A typed cell value (calamine's, JSON's) as the text ``read_table`` gives: integers
    without ``.0``, dates as ISO text, booleans ``TRUE``/``FALSE``, NaN and infinities empty."""
    import datetime as dt

    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return ""
        if v.is_integer() and abs(v) < 1e17:
            return str(int(v))
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        if v.hour == v.minute == v.second == v.microsecond == 0:
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v)
