"""Writing the report workbook: sheets, formats, KPI cards, colour scales, charts, the print layout.

A report is a list of :class:`~.sheet.Sheet` specs (:mod:`.sheet`), written through the one xlsx writer
(:mod:`crmcli.io.xlsx`), so its cells follow the same rules as every command's workbook:
numbers are number cells with their kind's format (:mod:`crmcli.formats`), dates are date cells,
everything else is a text cell (text that looks like a formula stays text), a value too long for an
Excel cell is refused rather than cut, and the temp files are removed however the write ends.

Every sheet — whatever builds it — gets the same layout: a bold header (frozen, filtered) with sized
columns (a CJK character is two columns wide), text indented off the numbers beside it, charts to the
right of the table stacked one under the other, and a print layout: landscape A4, one page wide, the
header row on every page, a print area holding the table and its charts, the report's title, sheet
and as-of date above and "page x of y" below (:class:`PageInfo`). A sheet with ``cards`` is a "card"
page: KPI cards (merged cells) above its table, no gridlines, printed on one page.
Writing is atomic (``io.atomic_write``): a failed run leaves the previous report untouched.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd

from .. import formats
from ..io.xlsx import (PageLayout, SheetWriter, WorkbookWriter, display_width, header_text,
                       save_workbook, set_page_layout, sheet_titles)
from ..privacy import Privacy, personal, protect_table, resolve
from ..io.xlsx_temp import open_workbook
from .charts import Chart, add_chart, chart_cells
from .columns import prepare_column, write_rows
from .sheet import KINDS, PageInfo, Sheet, is_missing

SAMPLE_ROWS = 500  # rows looked at to size columns
WRAP_WIDTH = 48    # a wrapped column's width (characters), unless the sheet sets one
LINE_PT = 14.5     # points per line of a wrapped cell
#: Card colours: the card, its border, a good change, a bad one, a neutral one.
CARD_FILL, CARD_BORDER = "#F3F6FB", "#C9D3E3"
GOOD, BAD, NEUTRAL = "#1E7B34", "#C0392B", "#595959"
TITLE_COLOR = "#1F3864"


def _cell_kind(kind: str, lang: str) -> tuple[str, str | None]:
    """A report column kind as the xlsx writer's (cell kind, number format)."""
    if kind not in KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    if kind == "text":
        return "text", None
    if kind == "date":
        return "date", None  # yyyy-mm-dd, with the time when there is one
    if kind == "datetime":
        return "date", formats.DATETIME
    return "number", formats.kind_format(kind, lang)


def _cents(v: Any) -> Any:
    """Money in cents, never 453.00000000000006."""
    if isinstance(v, (float, np.floating)) and math.isfinite(v):
        return round(float(v), 2) + 0.0
    return v


# --------------------------------------------------------------------------- cards


class _Styles:
    """The report's own cell formats (titles, cards), made once per workbook."""

    def __init__(self, wb: Any, lang: str):
        self.wb, self.lang = wb, lang
        self._cache: dict[tuple, Any] = {}

    def get(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self.wb.add_format(props)
        return self._cache[key]

    def card(self, part: str, *, num_format: str | None = None, color: str | None = None) -> Any:
        base = {"bg_color": CARD_FILL, "left": 1, "right": 1, "left_color": CARD_BORDER,
                "right_color": CARD_BORDER, "indent": 1, "valign": "vcenter"}
        if part == "label":
            base.update(top=1, top_color=CARD_BORDER, font_color=NEUTRAL, font_size=10)
        elif part == "value":
            base.update(bold=True, font_size=18, font_color=TITLE_COLOR, align="left")
        elif part == "detail":
            base.update(font_size=9, font_color=NEUTRAL)
        elif part == "change":
            base.update(bottom=1, bottom_color=CARD_BORDER, bold=True, font_size=10, font_color=color or NEUTRAL,
                        align="left")
        if num_format:
            base["num_format"] = num_format
        return self.get(**base)


#: Card row heights (points): label, value, detail, change, the gap under a row of cards.
CARD_ROWS = (18, 30, 15, 18, 9)


def _put(ws: Any, r: int, span: tuple[int, int], value: Any, style: Any) -> None:
    """One card line over ``span`` columns: a number cell, a text cell (never a formula) or blank."""
    c0, c1 = span
    if c1 > c0:
        ws.merge_range(r, c0, r, c1, "", style)
    if is_missing(value):
        ws.write_blank(r, c0, None, style)
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        ws.write_number(r, c0, float(value), style)
    else:
        ws.write_string(r, c0, str(value), style)


def _write_cards(ws: Any, st: _Styles, sheet: Sheet, row: int) -> int:
    """The cards, a row of ``len(card_spans)`` at a time, row by row (the writer streams rows); the next free row."""
    spans = list(sheet.card_spans)
    per_row = len(spans)
    colors = {"good": GOOD, "bad": BAD, "neutral": NEUTRAL}
    for start in range(0, len(sheet.cards), per_row):
        group = list(zip(sheet.cards[start:start + per_row], spans))
        for line, height in zip(("label", "value", "detail", "change"), CARD_ROWS):
            ws.set_row(row, height)
            for card, span in group:
                if line == "label":
                    _put(ws, row, span, card.label, st.card("label"))
                elif line == "value":
                    _put(ws, row, span, _cents(card.value) if card.kind == "money" else card.value,
                         st.card("value", num_format=formats.kind_format(card.kind, st.lang)))
                elif line == "detail":
                    _put(ws, row, span, card.detail, st.card("detail"))
                else:
                    fmt = formats.arrow_format(card.change_kind, st.lang)
                    _put(ws, row, span, card.change, st.card("change", num_format=fmt, color=colors[card.tone]))
            row += 1
        ws.set_row(row, CARD_ROWS[-1])
        row += 1
    return row


# --------------------------------------------------------------------------- sheets


@dataclass
class Written:
    """Where a sheet's table landed: the worksheet, its data rows, the header's row and its columns."""

    ws: Any
    rows: int
    first_row: int
    columns: list[str]
    widths: list[float] = field(default_factory=list)


def _write_message(book: WorkbookWriter, sheet: Sheet, title: str) -> Written:
    ws = book.add_worksheet(sheet.name, title)
    ws.write_string(0, 0, sheet.message, book.header)
    width = min(max(display_width(sheet.message), 10), 100) + 2
    ws.set_column(0, 0, width)
    ws.freeze_panes(1, 0)
    return Written(ws, 0, 0, [], [width])


def _write_sheet(book: WorkbookWriter, st: _Styles, sheet: Sheet, title: str) -> Written:
    if sheet.message is not None:
        return _write_message(book, sheet, title)
    df = sheet.data
    cols = [str(c) for c in df.columns]
    ws = book.add_worksheet(sheet.name, title)
    row = 0
    last_col = max(len(cols) - 1, 0)
    if sheet.title:
        ws.set_row(row, 26)
        _put(ws, row, (0, last_col), sheet.title, st.get(bold=True, font_size=16, font_color=TITLE_COLOR))
        row += 1
    if sheet.subtitle:
        _put(ws, row, (0, last_col), sheet.subtitle, st.get(font_size=10, font_color=NEUTRAL))
        row += 1
    if sheet.cards:
        row = _write_cards(ws, st, sheet, row + 1)
    out = SheetWriter(book, ws, sheet.name, cols, rows=len(df), first_row=row)
    wrap = {cols.index(c): float(sheet.widths.get(c, WRAP_WIDTH)) for c in sheet.wrap if c in cols}
    out.wrap = set(wrap)
    kind_at = sheet.kind_lookup()
    cell_kinds: dict[str, tuple[str, str | None]] = {}
    n = len(df)
    base = row + 1
    # past the rows that size the columns, a sheet of plain columns is written from columns prepared once
    # (:mod:`.columns`); the first rows, a total row and any column of mixed cells go cell by cell
    body = n - (1 if sheet.total_row else 0)
    plain = not (wrap or sheet.row_kinds is not None or sheet.cell_kinds)
    fast_from = min(SAMPLE_ROWS, body) if plain else body
    prepared: list = []
    slow: list[int] = []
    if fast_from < body:
        for j, report_kind in enumerate(sheet.column_kinds()):
            kind, num_format = _cell_kind(report_kind, st.lang)
            col = prepare_column(out, j, df.iloc[fast_from:body, j], kind, num_format, report_kind == "money")
            if col is None:
                slow.append(j)
            else:
                prepared.append((j, col))

    def write_cells(i: int, values: tuple, bold: bool, measure: bool, only: Iterable[int] | None = None) -> None:
        for j in (range(len(values)) if only is None else only):
            report_kind = kind_at(i, j)
            if report_kind not in cell_kinds:
                cell_kinds[report_kind] = _cell_kind(report_kind, st.lang)
            kind, num_format = cell_kinds[report_kind]
            v = _cents(values[j]) if report_kind == "money" else values[j]
            w = out.write(base + i, j, v, kind, num_format, total=bold, measure=measure)
            if measure:
                out.fit(j, w)

    def write_row(i: int, values: tuple) -> None:
        if wrap:  # a wrapped cell's row is as tall as its lines (no viewer is relied on to fit it)
            lines = max(wrapped_lines(values[j], w) for j, w in wrap.items())
            if lines > 1:
                ws.set_row(base + i, LINE_PT * lines + 2)
        bold = sheet.total_row and i == n - 1
        write_cells(i, values, bold, i < SAMPLE_ROWS or bold)

    for i, values in enumerate(df.iloc[:fast_from].itertuples(index=False, name=None)):
        write_row(i, values)
    if fast_from < body:
        if not slow:
            write_rows(prepared, base + fast_from, 0, body - fast_from)
        else:
            rest = df.iloc[fast_from:body, slow].itertuples(index=False, name=None)
            for k, values in enumerate(rest):
                write_rows(prepared, base + fast_from, k, k + 1)
                full = dict(zip(slow, values))
                write_cells(fast_from + k, tuple(full.get(j) for j in range(len(cols))), False, False, slow)
    for i, values in enumerate(df.iloc[body:].itertuples(index=False, name=None), start=body):
        write_row(i, values)  # the total row
    for c, w in sheet.widths.items():
        if c in cols:
            out.widths[cols.index(c)] = w - 2
    for j, w in wrap.items():
        out.widths[j] = w - 2
    out.finish(n, freeze=not sheet.is_card_page, freeze_columns=sheet.freeze_columns,
               autofilter=not sheet.is_card_page)
    _color_scale(ws, sheet, cols, row, n)
    if sheet.note:
        ws.write_string(base + n + 1, 0, sheet.note, st.get(italic=True, font_color=NEUTRAL))
    return Written(ws, n, row, cols, [w + 2 for w in out.widths])


def wrapped_lines(value: Any, width: float) -> int:
    """How many lines ``value`` takes wrapped in a column ``width`` characters wide (a CJK character is two)."""
    if not isinstance(value, str) or not value:
        return 1
    room = max(width - 2, 4)
    return sum(max(1, math.ceil(display_width(part, None) / room)) for part in value.split("\n"))


def _color_scale(ws: Any, sheet: Sheet, cols: list[str], first_row: int, n: int) -> None:
    """One colour scale over the whole matrix: explicit minimum and maximum, so every block shares it."""
    scale = sheet.color_scale
    last = n - (1 if sheet.total_row else 0)
    idx = sorted(cols.index(c) for c in scale.columns if c in cols) if scale else []
    if not idx or last < 1:
        return
    maximum = scale_maximum(sheet)
    for c0, c1 in _runs(idx):
        ws.conditional_format(first_row + 1, c0, first_row + last, c1, {
            "type": "2_color_scale", "min_type": "num", "min_value": scale.minimum, "min_color": scale.low,
            "max_type": "num", "max_value": maximum, "max_color": scale.high})


def scale_maximum(sheet: Sheet) -> float:
    """The value the scale's top colour stands for: ``maximum``, else the matrix's largest value."""
    scale = sheet.color_scale
    if scale is None:
        return 1.0
    if scale.maximum is not None:
        return float(scale.maximum)
    cols = [c for c in scale.columns if c in sheet.data.columns]
    body = sheet.data[cols].iloc[: len(sheet.data) - (1 if sheet.total_row else 0)]
    top = pd.to_numeric(body.stack(), errors="coerce").max() if len(body) else np.nan
    return float(top) if pd.notna(top) and top > scale.minimum else scale.minimum + 1.0


def _runs(idx: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for j in idx:
        if runs and runs[-1][1] == j - 1:
            runs[-1] = (runs[-1][0], j)
        else:
            runs.append((j, j))
    return runs


# --------------------------------------------------------------------------- charts and print layout

#: Pixels of a default row (15 pt) and a default column (8.43 characters).
ROW_PX, COL_PX = 20, 64
CHART_GAP_ROWS = 1


def _col_px(width: float) -> int:
    """Pixels of a column ``width`` characters wide (Excel's rule for the default font)."""
    return int(width * 7 + 5) if width >= 1 else int(width * 12 + 0.5)


def place_charts(sheet: Sheet, written: Written) -> list[tuple[Chart, int, int, int, int]]:
    """Each chart's cells: (chart, first row, first column, last row, last column), to the right of the table
    after one empty column, one under the other; a chart with an ``anchor`` of its own stays there."""
    placed = []
    col0 = len(written.columns) + 1
    row = written.first_row + 1
    for chart in sheet.charts:
        r0, c0 = (chart.anchor_cell if chart.anchor else (row, col0))
        rows = math.ceil((chart.size[1] + 10) / ROW_PX)
        cols = math.ceil((chart.size[0] + 10) / COL_PX)
        placed.append((chart, r0, c0, r0 + rows, c0 + cols))
        if not chart.anchor:
            row = r0 + rows + CHART_GAP_ROWS
    return placed


def page_layout(sheet: Sheet, written: Written, placed: list, page: PageInfo) -> PageLayout:
    """The print layout of one sheet (see the module's docstring)."""
    last_row = written.first_row + written.rows + (2 if sheet.note else 0)
    last_col = max(len(written.columns) - 1, 0)
    for _, _, _, r1, c1 in placed:
        last_row, last_col = max(last_row, r1), max(last_col, c1)
    header = (f"&L&\"-,Bold\"{header_text(page.title)[:80]}&C&A"
              + (f"&R{header_text(page.as_of)[:60]}" if page.as_of else ""))
    card = sheet.is_card_page
    return PageLayout(area=(0, 0, last_row, last_col),
                      repeat_rows=None if card or sheet.message is not None else (written.first_row,
                                                                                  written.first_row),
                      header=header, footer=f"&C{page.pages}", pages_tall=1 if card else 0, gridlines=not card)


def render_workbook(sheets: Sequence[Sheet], fh: IO[bytes], page: PageInfo | None = None) -> None:
    """Write ``sheets`` (and their charts, print layout) as an xlsx to the open binary file ``fh``."""
    page = page or PageInfo()
    with open_workbook(fh, default_date_format=formats.DATE) as wb:
        book = WorkbookWriter(wb, text_indent=1, valign="top")
        st = _Styles(wb, page.lang)
        titles = sheet_titles(sheet.name for sheet in sheets)
        written = {sheet.name: _write_sheet(book, st, sheet, titles[sheet.name]) for sheet in sheets}
        cells = {name: chart_cells(titles[name], w.first_row, w.rows, w.columns) for name, w in written.items()}
        for sheet in sheets:
            w = written[sheet.name]
            placed = place_charts(sheet, w)
            for chart, r0, c0, _, _ in placed:
                add_chart(wb, w.ws, chart, cells, (r0, c0))
            set_page_layout(w.ws, page_layout(sheet, w, placed, page))


def protect_sheets(sheets: Sequence[Sheet], privacy: Privacy | None = None) -> list[Sheet]:
    """The sheets as the privacy policy lets them be written (masked, pseudonymized; numbers unchanged)."""
    from dataclasses import replace

    privacy = resolve(privacy)
    return [replace(s, data=protect_table(s.data, privacy)) if s.message is None else s for s in sheets]


def sheets_hold_personal(sheets: Sequence[Sheet]) -> bool:
    """Does a table sheet of ``sheets`` hold personal data (the report gets the private file mode)?"""
    return any(s.message is None and personal(s.data) for s in sheets)


def write_report_workbook(sheets: Sequence[Sheet], dest: str | os.PathLike, *,
                          inputs: Iterable[str | os.PathLike] = (), page: PageInfo | None = None,
                          privacy: Privacy | None = None) -> str:
    """Write the report atomically to ``dest`` (never onto one of ``inputs``). Returns ``dest``.

    ``privacy`` (default: the policy in force) masks and pseudonymizes every sheet, gives the workbook
    the private file mode when a sheet holds personal data, and encrypts it when there is a password."""
    privacy = resolve(privacy)
    sheets = protect_sheets(sheets, privacy)
    save_workbook(dest, lambda fh: render_workbook(sheets, fh, page), inputs=inputs, privacy=privacy,
                  personal_data=sheets_hold_personal(sheets),
                  rows=sum(len(s.data) for s in sheets))
    return os.fspath(dest)
