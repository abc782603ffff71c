"""Writing the report workbook: sheets, formats, colour scales, charts.

A report is a list of :class:`Sheet` specs, written through the one xlsx writer
(:mod:`crmcli.io.xlsx`), so its cells follow the same rules as every command's workbook:
numbers are number cells with a number/percent format, dates are date cells, everything
else is a text cell (text that looks like a formula stays text), a value too long for an
Excel cell is refused rather than cut, and the temp files are removed however the write
ends. Every sheet gets a bold frozen header with a filter and sized columns. Writing is
atomic (``io.atomic_write``): a failed run leaves the previous report untouched.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd

from ..io.xlsx import WorkbookWriter, column_kind, display_width, save_workbook, sheet_titles
from ..privacy import Privacy, personal, protect_table, resolve
from ..io.xlsx_temp import open_workbook
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


def _column_kind(sheet: Sheet, col: str, s: pd.Series) -> str:
    kind = sheet.kinds.get(col)
    if kind:
        if kind not in KINDS:
            raise ValueError(f"unknown column kind {kind!r}")
        return kind
    # numbers and dates by their dtype; booleans and mixed (object) columns as text
    return {"number": "number", "date": "date"}.get(column_kind(s), "text")


def _cell_kind(kind: str) -> tuple[str, str | None]:
    """A report column kind as the xlsx writer's (cell kind, number format)."""
    if kind not in KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    if kind == "text":
        return "text", None
    if kind == "date":
        return "date", None  # yyyy-mm-dd, with the time when there is one
    if kind == "datetime":
        return "date", NUMBER_FORMATS["datetime"]
    return "number", NUMBER_FORMATS[kind]


def _cents(v: Any) -> Any:
    """Money in cents, never 453.00000000000006."""
    if isinstance(v, (float, np.floating)) and math.isfinite(v):
        return round(float(v), 2) + 0.0
    return v


def _write_sheet(book: WorkbookWriter, sheet: Sheet, title: str) -> tuple[Any, int]:
    if sheet.message is not None:
        ws = book.wb.add_worksheet(title)
        ws.write_string(0, 0, sheet.message, book.header)
        ws.set_column(0, 0, min(max(display_width(sheet.message), 10), 100) + 2)
        ws.freeze_panes(1, 0)
        return ws, 0
    df = sheet.data
    out = book.add_sheet(sheet.name, df.columns, len(df), title)
    cols = out.columns
    kinds = [_column_kind(sheet, c, df[c]) for c in df.columns]
    cell_kinds = {k: _cell_kind(k) for k in {*kinds, *(sheet.row_kinds or ())}}
    row_kinds = list(sheet.row_kinds) if sheet.row_kinds is not None else None
    override = {cols.index(c) for c in sheet.row_kind_columns if c in cols}
    n = len(df)
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        bold = sheet.total_row and i == n - 1
        measure = i < SAMPLE_ROWS or bold
        for j, v in enumerate(row):
            report_kind = row_kinds[i] if (row_kinds is not None and j in override) else kinds[j]
            kind, num_format = cell_kinds[report_kind]
            if report_kind == "money":
                v = _cents(v)
            w = out.write(i + 1, j, v, kind, num_format, total=bold, measure=measure)
            if measure:
                out.fit(j, w)
    out.finish(n)
    ws = out.ws
    last = n - (1 if sheet.total_row else 0)
    for c in sheet.color_scale:
        if c in cols and last >= 1:
            j = cols.index(c)
            ws.conditional_format(1, j, last, j, {"type": "3_color_scale", "min_color": "#F8696B",
                                                  "mid_color": "#FFEB84", "max_color": "#63BE7B"})
    return ws, n


def render_workbook(sheets: Sequence[Sheet], fh: IO[bytes]) -> None:
    """Write ``sheets`` (and their charts) as an xlsx to the open binary file ``fh``."""
    with open_workbook(fh, default_date_format=NUMBER_FORMATS["date"]) as wb:
        book = WorkbookWriter(wb)
        titles = sheet_titles(sheet.name for sheet in sheets)
        written = {}
        for sheet in sheets:
            written[sheet.name] = _write_sheet(book, sheet, titles[sheet.name])
        for sheet in sheets:
            ws, _ = written[sheet.name]
            for chart in sheet.charts:
                add_chart(wb, ws, chart, titles, {name: n for name, (_, n) in written.items()},
                          {s.name: [str(c) for c in s.data.columns] for s in sheets})


def protect_sheets(sheets: Sequence[Sheet], privacy: Privacy | None = None) -> list[Sheet]:
    """The sheets as the privacy policy lets them be written (masked, pseudonymized; numbers unchanged)."""
    from dataclasses import replace

    privacy = resolve(privacy)
    return [replace(s, data=protect_table(s.data, privacy)) if s.message is None else s for s in sheets]


def write_report_workbook(sheets: Sequence[Sheet], dest: str | os.PathLike, *,
                          inputs: Iterable[str | os.PathLike] = (), privacy: Privacy | None = None) -> str:
    """Write the report atomically to ``dest`` (never onto one of ``inputs``). Returns ``dest``.

    ``privacy`` (default: the policy in force) masks and pseudonymizes every sheet, gives the workbook
    the private file mode when a sheet holds personal data, and encrypts it when there is a password."""
    privacy = resolve(privacy)
    sheets = protect_sheets(sheets, privacy)
    save_workbook(dest, lambda fh: render_workbook(sheets, fh), inputs=inputs, privacy=privacy,
                  personal_data=any(s.message is None and personal(s.data) for s in sheets),
                  rows=sum(len(s.data) for s in sheets))
    return os.fspath(dest)
