"""Writing a report table fast: column by column prepared, row by row written.

A report sheet can hold hundreds of thousands of rows (the Customers sheet of a big shop). Writing
it cell by cell through :meth:`crmcli.io.xlsx.SheetWriter.write` asks every cell which kind it is,
which format it takes and whether it fits; here each column is looked at ONCE: its values are turned
into the Python values xlsxwriter writes (money rounded to cents, dates as datetimes, missing as
None) with one format for the column, and the rows are then written straight to the worksheet
(``constant_memory`` mode: row after row). The cell rules stay those of the one xlsx writer: a column
this module cannot prepare without deciding cell by cell (mixed values, a number beyond 2**53, an
infinity, a text too long for a cell) is written through ``SheetWriter.write``, as are the rows that
size the columns and a total row. Text is a string cell (``write_string``): never a formula.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..io.xlsx import DATE_FORMAT, DATETIME_FORMAT, EXCEL_MAX_CHARS

#: Integers past this are not exact as a float: the cell writer writes them as text.
EXACT_INT = 2**53
_DAY_S = 86_400

#: (row position -> value or None, write function, format) of one column.
Column = tuple[list, Callable[..., Any], Any]


def prepare_column(out: Any, j: int, s: pd.Series, kind: str, num_format: str | None, money: bool
                   ) -> Column | None:
    """The fast writer of column ``j`` (values ``s``; the report ``kind``'s xlsx cell ``kind`` and
    ``num_format``), or None when its cells need the cell-by-cell writer."""
    ws, book = out.ws, out.book
    dtype = s.dtype
    if kind == "text":
        if pd.api.types.is_string_dtype(dtype) or dtype == object:
            if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
                return None
            text = s.astype("object")
            missing = text.isna().to_numpy()
            if len(s) and int(text[~missing].str.len().max() if (~missing).any() else 0) > EXCEL_MAX_CHARS:
                return None
            values = text.where(~missing, None).tolist()
            return values, ws.write_string, book.text_style(False, False, wrap=j in out.wrap)
        return None
    if kind == "date":
        if not pd.api.types.is_datetime64_dtype(dtype):
            return None
        ns = s.to_numpy(dtype="datetime64[ns]")
        missing = np.isnat(ns)
        py = pd.Series(s.dt.tz_localize(None) if getattr(s.dt, "tz", None) else s).dt.to_pydatetime()
        if num_format:
            style = book.style(num_format, False, False)
            values = [None if m else v for v, m in zip(py, missing)]
            return values, ws.write_datetime, style
        secs = ns.astype("datetime64[s]").astype(np.int64)
        has_time = (secs % _DAY_S) != 0
        date_style, time_style = book.style(DATE_FORMAT, False, False), book.style(DATETIME_FORMAT, False, False)
        values = [None if m else (v, time_style if t else date_style) for v, m, t in zip(py, missing, has_time)]
        return values, _datetime_with_style(ws), None
    if kind != "number" or pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return None
    arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_integer_dtype(dtype) and len(arr) and np.abs(s.to_numpy()).max() > EXACT_INT:
        return None
    if np.isinf(arr).any():
        return None
    floats = arr.tolist()
    if money:  # cents as the cell writer rounds them (Python's round, never 453.00000000000006)
        values = [None if v != v else round(v, 2) + 0.0 for v in floats]
    else:
        values = [None if v != v else v for v in floats]
    return values, ws.write_number, book.style(num_format, False, False)


def _datetime_with_style(ws: Any) -> Callable[..., Any]:
    def write(r: int, c: int, value: tuple, _style: Any) -> Any:
        return ws.write_datetime(r, c, value[0], value[1])
    return write


def write_rows(columns: list[tuple[int, Column]], base: int, start: int, stop: int) -> None:
    """Rows ``start``..``stop`` (positions) of the prepared ``columns`` at sheet row ``base`` + position;
    a missing value is no cell."""
    for i in range(start, stop):
        r = base + i
        for j, (values, write, style) in columns:
            v = values[i]
            if v is not None:
                write(r, j, v, style)
