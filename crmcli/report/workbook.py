"""Writing the report workbook: sheets, formats, colour scales (xlsxwriter, constant memory).

A report is a list of :class:`Sheet` specs. Every sheet gets a bold frozen header with a
filter and sized columns; numbers are number cells with a number/percent format, dates are
date cells, everything else is a text cell (so text that looks like a formula stays text —
the writer never creates a formula cell). Writing is atomic (``io.atomic_write``): a failed
run leaves the previous report untouched.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import pandas as pd

from ..io import atomic_write
from .charts import Chart, add_chart

#: Column kinds and their Excel number formats.
NUMBER_FORMATS = {
    "money": "#,##0.00",
    "int": "#,##0",
    "number": "#,##0.00",
    "percent": "0.0%",
    "days": "#,##0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
KINDS = ("text", *NUMBER_FORMATS)
MAX_WIDTH = 60
SAMPLE_ROWS = 500  # rows looked at to size columns


@dataclass
class Sheet:
    """One sheet of the report: a table under a one-row header.

    ``kinds`` maps a column to ``text | money | int | number | percent | days | date``
    (unlisted columns: numbers get ``number``, datetimes ``date``, the rest ``text``).
    ``row_kinds`` (one kind per row, e.g. for a KPI table mixing money and rates) overrides
    the kind of the ``row_kind_columns`` for that row. ``color_scale`` columns get a
    three-colour scale; a ``total_row`` is bold. ``message`` makes a one-line sheet (e.g. an
    input that was not given).
    """

    name: str
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    kinds: dict[str, str] = field(default_factory=dict)
    row_kinds: Sequence[str] | None = None
    row_kind_columns: Sequence[str] = ()
    color_scale: Sequence[str] = ()
    total_row: bool = False
    message: str | None = None
    charts: list[Chart] = field(default_factory=list)


def _is_blank(v: Any) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    if isinstance(v, float) and not math.isfinite(v):
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (str, bytes)) else False
    except (TypeError, ValueError):
        return False


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text[:80])


_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str) -> str:
    """A valid Excel sheet name (no ``[]:*?/\\``, at most 31 characters)."""
    return _BAD_TITLE.sub("_", name).strip("'")[:31] or "sheet"


def _column_kind(sheet: Sheet, col: str, s: pd.Series) -> str:
    kind = sheet.kinds.get(col)
    if kind:
        if kind not in KINDS:
            raise ValueError(f"unknown column kind {kind!r}")
        return kind
    if pd.api.types.is_bool_dtype(s):
        return "text"
    if pd.api.types.is_numeric_dtype(s):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    return "text"


def _number_text(v: float, kind: str) -> str:
    if kind == "percent":
        return f"{v:.1%}"
    if kind == "int":
        return f"{v:,.0f}"
    return f"{v:,.2f}"


class _Formats:
    """xlsxwriter formats, made once per (kind, bold)."""

    def __init__(self, wb: Any):
        self.wb = wb
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": False})
        self.message = wb.add_format({"italic": True})
        self._cache: dict[tuple[str, bool], Any] = {}

    def get(self, kind: str, bold: bool = False) -> Any:
        key = (kind, bold)
        if key not in self._cache:
            props: dict[str, Any] = {}
            if kind in NUMBER_FORMATS:
                props["num_format"] = NUMBER_FORMATS[kind]
            if bold:
                props["bold"] = True
                props["top"] = 1
            self._cache[key] = self.wb.add_format(props) if props else None
        return self._cache[key]


def _to_timestamp(v: Any) -> pd.Timestamp | None:
    if isinstance(v, (dt.date, pd.Timestamp, str)):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            return None
        return None if pd.isna(ts) else ts
    return None


def _to_float(v: Any) -> float | None:
    if isinstance(v, bool) or isinstance(v, str):
        return None
    try:
        fv = float(v)
    except (TypeError, ValueError):
        return None
    return fv if math.isfinite(fv) else None


def _write_cell(ws: Any, r: int, c: int, v: Any, kind: str, fmt: _Formats, bold: bool) -> int:
    """Write one value; return its display width (0 when blank)."""
    if _is_blank(v):
        if bold:
            ws.write_blank(r, c, None, fmt.get(kind, bold))
        return 0
    if kind in ("date", "datetime"):
        ts = _to_timestamp(v)
        if ts is not None:
            py = ts.to_pydatetime().replace(tzinfo=None)
            k = "datetime" if kind == "datetime" or (py.hour or py.minute or py.second) else "date"
            ws.write_datetime(r, c, py, fmt.get(k, bold))
            return 19 if k == "datetime" else 10
    elif kind != "text":
        fv = _to_float(v)
        if fv is not None:
            if kind == "money":
                fv = round(fv, 2) + 0.0  # money in cents, never 453.00000000000006
            ws.write_number(r, c, fv, fmt.get(kind, bold))
            return len(_number_text(fv, kind))
    text = str(v)
    if len(text) > 32767:
        text = text[:32767]  # Excel's cell limit
    ws.write_string(r, c, text, fmt.get("text", bold))  # a string cell: never a formula
    return _width(text)


def _write_sheet(wb: Any, fmt: _Formats, sheet: Sheet, title: str) -> tuple[Any, int]:
    ws = wb.add_worksheet(title)
    if sheet.message is not None:
        ws.write_string(0, 0, sheet.message, fmt.header)
        ws.set_column(0, 0, min(max(_width(sheet.message), 10), 100) + 2)
        ws.freeze_panes(1, 0)
        return ws, 0
    df = sheet.data
    cols = [str(c) for c in df.columns]
    kinds = [_column_kind(sheet, c, df[c]) for c in df.columns]
    widths = [min(max(_width(c), 6), MAX_WIDTH) for c in cols]
    for j, c in enumerate(cols):
        ws.write_string(0, j, c, fmt.header)
    row_kinds = list(sheet.row_kinds) if sheet.row_kinds is not None else None
    override = {cols.index(c) for c in sheet.row_kind_columns if c in cols}
    n = len(df)
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        bold = sheet.total_row and i == n - 1
        for j, v in enumerate(row):
            kind = row_kinds[i] if (row_kinds is not None and j in override) else kinds[j]
            w = _write_cell(ws, i + 1, j, v, kind, fmt, bold)
            if i < SAMPLE_ROWS or bold:
                widths[j] = max(widths[j], min(w, MAX_WIDTH))
    for j, w in enumerate(widths):
        ws.set_column(j, j, w + 2)
    ws.freeze_panes(1, 0)
    if cols:
        ws.autofilter(0, 0, max(n, 1), len(cols) - 1)
    last = n - (1 if sheet.total_row else 0)
    for c in sheet.color_scale:
        if c in cols and last >= 1:
            j = cols.index(c)
            ws.conditional_format(1, j, last, j, {"type": "3_color_scale", "min_color": "#F8696B",
                                                  "mid_color": "#FFEB84", "max_color": "#63BE7B"})
    return ws, n


def render_workbook(sheets: Sequence[Sheet], fh: IO[bytes]) -> None:
    """Write ``sheets`` (and their charts) as an xlsx to the open binary file ``fh``."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(fh, {"constant_memory": True, "strings_to_formulas": False,
                                  "strings_to_urls": False, "strings_to_numbers": False,
                                  "nan_inf_to_errors": False, "default_date_format": "yyyy-mm-dd"})
    fmt = _Formats(wb)
    titles: dict[str, str] = {}
    used: set[str] = set()
    for sheet in sheets:
        title = sheet_title(sheet.name)
        k = 2
        while title.lower() in used:
            title = sheet_title(sheet.name)[:28] + f"~{k}"
            k += 1
        used.add(title.lower())
        titles[sheet.name] = title
    written = {}
    for sheet in sheets:
        ws, n = _write_sheet(wb, fmt, sheet, titles[sheet.name])
        written[sheet.name] = (ws, n)
    for sheet in sheets:
        ws, _ = written[sheet.name]
        for chart in sheet.charts:
            add_chart(wb, ws, chart, titles, {name: n for name, (_, n) in written.items()},
                      {s.name: [str(c) for c in s.data.columns] for s in sheets})
    wb.close()


def write_report_workbook(sheets: Sequence[Sheet], dest: str | os.PathLike, *,
                          inputs: Iterable[str | os.PathLike] = ()) -> str:
    """Write the report atomically to ``dest`` (never onto one of ``inputs``). Returns ``dest``."""
    atomic_write(dest, lambda fh: render_workbook(sheets, fh), inputs=inputs)
    return os.fspath(dest)
