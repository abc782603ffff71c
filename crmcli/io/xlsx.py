"""The one xlsx writer: every command's workbook and the report are written through it.

The cell rules, in one place (:meth:`SheetWriter.write`):

- missing values (None, NaN, NaT, NA) are empty cells;
- numbers are number cells (with the column's number format); ``±inf``, which no Excel cell
  holds, is the text ``inf``/``-inf`` (the text a CSV gets), never a crash and never an empty cell,
  and an integer past 2**53 is its digits as text (a number cell would round it);
- dates and datetimes are date cells (``yyyy-mm-dd``, with the time when there is one);
- booleans are boolean cells; everything else is a text cell, so text such as ``=1+1`` stays
  text (the writer never creates a formula);
- a text longer than Excel's 32,767 characters is refused with an :class:`OutputError` naming
  the sheet, row and column — never cut — and so is a sheet past 1,048,576 rows or 16,384
  columns (xlsxwriter would drop those cells without a word).

xlsxwriter streams rows (constant memory) through temp files that hold customer rows: each
workbook gets a private temp folder that is removed on every exit path (:mod:`.xlsx_temp`).

Every workbook is saved by :func:`save_workbook`, where the run's privacy policy applies
(:mod:`crmcli.privacy`): a workbook holding personal data gets the private file mode, and with a
password the workbook is made in memory and written encrypted (ECMA-376 agile) — the plain workbook
never reaches the disk.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd

from ..errors import OutputError
from ..privacy import Privacy, personal, protect_table, resolve
from ..privacy.audit import note_output, written_mode
from .atomic import atomic_write
from .xlsx_temp import open_workbook

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CHARS = 32_767
#: Widest a column is made (characters), and how many rows of a sheet size its columns.
MAX_WIDTH = 60
SAMPLE_ROWS = 200
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
HEADER_STYLE = {"bold": True, "bg_color": "#DDEBF7", "border": 1}
HIGHLIGHT_COLOR = "#FFC7CE"
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def display_width(text: str, limit: int | None = 80) -> int:
    """Display width in Excel columns (the width of a ``0``): a wide character — CJK, kana, hangul, full-width
    forms (``unicodedata.east_asian_width`` W or F) — takes two. Only the first ``limit`` characters are
    measured (a column is never made wider than ``MAX_WIDTH`` anyway)."""
    return sum(2 if ch > "\u10ff" and unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text[:limit])


def sheet_title(name: str) -> str:
    """A valid Excel sheet name (no ``[]:*?/\\``, no quote at the ends, at most 31 characters)."""
    return _BAD_TITLE.sub("_", name).strip("'")[:31] or "sheet"


def sheet_titles(names: Iterable[str]) -> dict[str, str]:
    """Valid, distinct sheet names (Excel compares them ignoring case): ``name -> title``."""
    titles: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        title = sheet_title(name)
        k = 2
        while title.lower() in used:
            title = sheet_title(name)[:28] + f"~{k}"
            k += 1
        used.add(title.lower())
        titles[name] = title
    return titles


def number_text(value: float, num_format: str | None) -> str:
    """How a number shows under ``num_format`` (to size its column): quoted text in the format (``"pp"``) too."""
    if num_format and '"' in num_format:
        section = num_format.split(";")[0]
        literal = "".join(re.findall(r'"([^"]*)"', section))
        return number_text(value, re.sub(r'"[^"]*"', "", section).strip() or None) + literal
    if num_format and num_format.endswith("%"):
        return f"{value:.1%}"
    if num_format == "#,##0":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def is_missing(v: Any) -> bool:
    """None, NaN, NaT or NA: written as an empty cell."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return v != v
    return isinstance(v, np.datetime64) and bool(np.isnat(v))


#: Integers past this are written as text: a float64 (and an Excel number) would round them.
_EXACT_INT = 2**53
#: Value types written as numbers without further checks (the common cells of a number column).
_NUMBER_TYPES = frozenset({float, int, np.float64, np.int64, np.float32, np.int32})


def _timestamp(v: Any, parse_text: bool) -> pd.Timestamp | None:
    if isinstance(v, (dt.date, np.datetime64)) or (parse_text and isinstance(v, str)):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            return None
        return None if pd.isna(ts) else ts
    return None


# --------------------------------------------------------------------------- cells


class WorkbookWriter:
    """Formats, made once per workbook, and the sheets written under the cell rules."""

    def __init__(self, wb: Any, *, text_indent: int = 0, valign: str | None = None):
        self.wb = wb
        self.header = wb.add_format(HEADER_STYLE)
        self.text_indent = text_indent
        #: Every cell's vertical alignment (``"top"``: a row with a wrapped cell reads from its first line).
        self.valign = valign
        self._styles: dict[tuple[str | None, bool, bool], Any] = {}
        self._text_styles: dict[tuple[bool, bool, bool], Any] = {}

    def style(self, num_format: str | None = None, total: bool = False, highlight: bool = False) -> Any:
        """The cell format: a number format, the bold top-ruled total row, the highlight fill."""
        key = (num_format, total, highlight)
        if key not in self._styles:
            props: dict[str, Any] = {"valign": self.valign} if self.valign else {}
            if num_format:
                props["num_format"] = num_format
            if total:
                props["bold"] = True
                props["top"] = 1
            if highlight:
                props["bg_color"] = HIGHLIGHT_COLOR
            self._styles[key] = self.wb.add_format(props) if props else None
        return self._styles[key]

    def text_style(self, total: bool = False, highlight: bool = False, wrap: bool = False) -> Any:
        """A text cell's format: :meth:`style`, indented by ``text_indent`` (text never runs into a number right
        beside it), wrapped in a long-text column."""
        if not (self.text_indent or wrap or self.valign):
            return self.style(None, total, highlight)
        key = (total, highlight, wrap)
        if key not in self._text_styles:
            props: dict[str, Any] = {"valign": self.valign or "top"} if (wrap or self.valign) else {}
            if self.text_indent:
                props["indent"] = self.text_indent
            if wrap:
                props["text_wrap"] = True
            if total:
                props.update(bold=True, top=1)
            if highlight:
                props["bg_color"] = HIGHLIGHT_COLOR
            self._text_styles[key] = self.wb.add_format(props)
        return self._text_styles[key]

    def add_sheet(self, name: str, columns: Sequence[Any], rows: int, title: str | None = None) -> SheetWriter:
        """A new worksheet with a bold header of ``columns``, for ``rows`` rows under it."""
        return SheetWriter(self, self.add_worksheet(name, title), name, [str(c) for c in columns], rows=rows)

    def add_worksheet(self, name: str, title: str | None = None) -> Any:
        """A new, empty worksheet (write rows above a table on it, then a :class:`SheetWriter` with ``first_row``)."""
        return self.wb.add_worksheet(title or sheet_title(name))


class SheetWriter:
    """One worksheet's table: the header (on ``first_row``; rows above it are the caller's, written before),
    then :meth:`write` cell by cell, then :meth:`finish`."""

    def __init__(self, book: WorkbookWriter, ws: Any, name: str, columns: list[str], *, rows: int = 0,
                 first_row: int = 0):
        if first_row + rows + 1 > EXCEL_MAX_ROWS or len(columns) > EXCEL_MAX_COLUMNS:
            raise OutputError(f"sheet {name!r} would have {first_row + rows + 1:,} rows and {len(columns):,} "
                              f"columns; an Excel sheet holds {EXCEL_MAX_ROWS:,} x {EXCEL_MAX_COLUMNS:,}",
                              hint="write CSV instead ({opt:output} FILE.csv)")
        self.book, self.ws, self.name, self.columns = book, ws, name, columns
        self.first_row = first_row
        #: Columns whose text wraps (a long text column: definitions, notes).
        self.wrap: set[int] = set()
        self.widths = [min(max(display_width(c), 6), MAX_WIDTH) for c in columns]
        for j, c in enumerate(columns):
            if len(c) > EXCEL_MAX_CHARS:
                raise OutputError(f"sheet {name!r}: a column name of {len(c):,} characters does not "
                                  f"fit an Excel cell ({EXCEL_MAX_CHARS:,} at most)", hint="write CSV instead")
            ws.write_string(first_row, j, c, book.header)

    def write(self, r: int, c: int, v: Any, kind: str = "auto", num_format: str | None = None, *,
              total: bool = False, highlight: bool = False, measure: bool = True) -> int:
        """Write ``v`` at row ``r`` (0 = the sheet's first row), column ``c``; return its display width
        (0 when not ``measure``: sizing looks at the first rows only, and measuring costs).

        ``kind``: ``"text"`` writes every value as text; ``"number"`` and ``"date"`` prefer a
        number or date cell (a date column's text is parsed as a date); ``"auto"`` (and any
        value the kind does not fit) goes by the value's type.
        """
        book = self.book
        cls = v.__class__
        if cls is str and kind != "date":
            return self._text(r, c, v, total, highlight, measure)
        # the column's number format is for the cells of its kind: a date in a money column gets
        # a date format, a number in a date column none
        date_format, num_format = (num_format, None) if kind == "date" else (None, num_format)
        if kind != "text" and cls in _NUMBER_TYPES:
            return self._number(r, c, v, num_format, total, highlight, measure)
        if is_missing(v):
            if total or highlight:
                self.ws.write_blank(r, c, None, book.style(num_format or date_format, total, highlight))
            return 0
        if kind != "text":
            ts = _timestamp(v, parse_text=kind == "date")
            if ts is not None:
                py = ts.to_pydatetime().replace(tzinfo=None)
                has_time = bool(py.hour or py.minute or py.second)
                fmt = date_format or (DATETIME_FORMAT if has_time else DATE_FORMAT)
                self.ws.write_datetime(r, c, py, book.style(fmt, total, highlight))
                return 19 if has_time or "h" in fmt else 10
            if isinstance(v, (bool, np.bool_)):
                self.ws.write_boolean(r, c, bool(v), book.style(None, total, highlight))
                return 5
            if isinstance(v, (int, float, np.integer, np.floating)):
                return self._number(r, c, v, num_format, total, highlight, measure)
            if kind == "number" and not isinstance(v, (str, bytes)):
                try:
                    fv = float(v)
                except (TypeError, ValueError, OverflowError):
                    pass
                else:
                    return self._number(r, c, fv, num_format, total, highlight, measure)
        return self._text(r, c, v if isinstance(v, str) else str(v), total, highlight, measure)

    def _number(self, r: int, c: int, v: Any, num_format: str | None, total: bool, highlight: bool,
                measure: bool) -> int:
        if isinstance(v, (int, np.integer)) and not -_EXACT_INT <= v <= _EXACT_INT:
            # a float (and Excel) would round it (or overflow): its digits, as text
            return self._text(r, c, str(v), total, highlight, measure)
        fv = float(v)
        if not math.isfinite(fv):
            if fv != fv:  # NaN: missing
                if total or highlight:
                    self.ws.write_blank(r, c, None, self.book.style(num_format, total, highlight))
                return 0
            return self._text(r, c, "inf" if fv > 0 else "-inf", total, highlight, measure)
        self.ws.write_number(r, c, fv, self.book.style(num_format, total, highlight))
        return display_width(number_text(fv, num_format)) if measure else 0

    def _text(self, r: int, c: int, text: str, total: bool, highlight: bool, measure: bool) -> int:
        style = self.book.text_style(total, highlight, wrap=c in self.wrap)
        if len(text) > EXCEL_MAX_CHARS:
            raise OutputError(f"sheet {self.name!r}, row {r + 1}, column {self.columns[c]!r} holds "
                              f"{len(text):,} characters; an Excel cell holds at most {EXCEL_MAX_CHARS:,}",
                              hint="write CSV instead ({opt:output} FILE.csv), or shorten the value")
        self.ws.write_string(r, c, text, style)  # a string cell: never a formula
        return display_width(text) if measure else 0

    def fit(self, c: int, width: int) -> None:
        """Widen column ``c`` to show ``width`` characters (up to ``MAX_WIDTH``)."""
        if width > self.widths[c]:
            self.widths[c] = min(width, MAX_WIDTH)

    def finish(self, rows: int, *, freeze: bool = True, freeze_columns: int = 0, autofilter: bool = True) -> None:
        """Size the columns, freeze the header (and ``freeze_columns`` columns) and put a filter on it
        (``rows``: data rows)."""
        for j, w in enumerate(self.widths):
            self.ws.set_column(j, j, w + 2)
        if freeze:
            self.ws.freeze_panes(self.first_row + 1, freeze_columns)
        if self.columns and autofilter:
            self.ws.autofilter(self.first_row, 0, self.first_row + max(rows, 1), len(self.columns) - 1)


# --------------------------------------------------------------------------- print layout


@dataclass(frozen=True)
class PageLayout:
    """How a sheet prints: landscape A4, fit to one page wide (``pages_tall`` 0 = as many as it takes; 1 = one
    page), ``repeat_rows`` (first, last) printed on every page, ``area`` (first row, first col, last row, last
    col), a ``header``/``footer`` in Excel's codes (``&P`` page, ``&N`` pages, ``&A`` sheet; a literal ``&`` is
    ``&&``: :func:`header_text`), and gridlines shown or not (a "card" page has none)."""

    area: tuple[int, int, int, int] | None = None
    repeat_rows: tuple[int, int] | None = None
    header: str = ""
    footer: str = ""
    landscape: bool = True
    pages_wide: int = 1
    pages_tall: int = 0
    gridlines: bool = True
    paper: int = 9   # A4


def header_text(text: str) -> str:
    """Text for a page header/footer: ``&`` doubled so Excel prints it rather than reading a code."""
    return str(text).replace("&", "&&")


def set_page_layout(ws: Any, layout: PageLayout) -> None:
    """Apply ``layout`` to an xlsxwriter worksheet."""
    if layout.landscape:
        ws.set_landscape()
    ws.set_paper(layout.paper)
    ws.fit_to_pages(layout.pages_wide, layout.pages_tall)
    ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.6)
    ws.center_horizontally()
    if layout.repeat_rows is not None:
        ws.repeat_rows(*layout.repeat_rows)
    if layout.area is not None:
        ws.print_area(*layout.area)
    if layout.header:
        ws.set_header(layout.header, {"margin": 0.3})
    if layout.footer:
        ws.set_footer(layout.footer, {"margin": 0.3})
    if not layout.gridlines:
        ws.hide_gridlines(2)


def column_kind(s: pd.Series) -> str:
    """The cell kind of a column from its dtype."""
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_numeric_dtype(s):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    return "auto"


def write_frame(book: WorkbookWriter, name: str, df: pd.DataFrame, *, title: str | None = None,
                number_formats: Mapping[str, str | Sequence[str | None]] | None = None,
                highlights: Iterable[tuple[int, int]] = ()) -> SheetWriter:
    """``df`` as one sheet: typed cells, ``number_formats[column]`` (a format, or one per row: a long KPI
    table's value column), ``highlights`` (row position, column position) filled; columns sized on the
    first ``SAMPLE_ROWS`` rows."""
    sheet = book.add_sheet(name, df.columns, len(df), title)
    marks: dict[int, set[int]] = {}
    for r, c in highlights:
        marks.setdefault(r, set()).add(c)
    nf = number_formats or {}
    given = [nf.get(c) for c in sheet.columns]
    per_row = {j: list(f) for j, f in enumerate(given) if f is not None and not isinstance(f, str)}
    formats = [None if j in per_row else f for j, f in enumerate(given)]
    kinds = [column_kind(df.iloc[:, j]) for j in range(len(sheet.columns))]
    write, fit = sheet.write, sheet.fit
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        hl = marks.get(i, ())
        if per_row:
            for j, f in per_row.items():
                formats[j] = f[i] if i < len(f) else None
        for j, v in enumerate(row):
            if i < SAMPLE_ROWS:
                fit(j, write(i + 1, j, v, kinds[j], formats[j], highlight=j in hl))
            else:  # (a date still says how wide it is: dates with a time need more room)
                w = write(i + 1, j, v, kinds[j], formats[j], highlight=j in hl, measure=False)
                if w:
                    fit(j, w)
    sheet.finish(len(df))
    return sheet


def save_workbook(dest: str | os.PathLike, render: Callable[[IO[bytes]], None], *, personal_data: bool,
                  inputs: Iterable[str | os.PathLike] = (), privacy: Privacy | None = None,
                  rows: int | None = None) -> None:
    """Save a workbook that ``render(fh)`` writes: atomically, with the policy's file mode when it holds
    ``personal_data``, encrypted when the policy has a password (made in memory, then encrypted)."""
    from ..privacy import encrypt_workbook

    privacy = resolve(privacy)
    mode = privacy.file_mode if personal_data else None
    write = render
    if privacy.encrypts:
        def write(fh: IO[bytes]) -> None:
            buf = io.BytesIO()
            render(buf)
            plain = buf.getvalue()
            buf.close()
            fh.write(encrypt_workbook(plain, privacy.password or ""))

    atomic_write(dest, write, inputs=inputs, mode=mode)
    target = os.fspath(dest)
    note_output(target, format="xlsx", rows=rows, encrypted=privacy.encrypts,
                mode=written_mode(target))


def write_workbook(sheets: Mapping[str, pd.DataFrame], dest: str | os.PathLike, *,
                   number_formats: Mapping[str, Mapping[str, str | Sequence[str | None]]] | None = None,
                   highlights: Mapping[str, Iterable[tuple[int, int]]] | None = None,
                   inputs: Iterable[str | os.PathLike] = (), privacy: Privacy | None = None) -> str:
    """Write several tables as sheets of one xlsx (atomically, never onto one of ``inputs``).

    Cells follow the module's rules. Every sheet gets a bold frozen header with a filter and
    columns sized to their content. ``number_formats[sheet][column]`` sets an Excel number
    format; ``highlights[sheet]`` lists ``(row_position, column_position)`` cells to fill.
    ``privacy`` (default: the policy in force, :func:`crmcli.privacy.applied`) masks and pseudonymizes
    the tables, sets the file mode and encrypts the workbook.
    """
    number_formats = number_formats or {}
    highlights = highlights or {}
    privacy = resolve(privacy)
    sheets = {name: protect_table(df, privacy) for name, df in sheets.items()}

    def write(fh: IO[bytes]) -> None:
        with open_workbook(fh) as wb:
            book = WorkbookWriter(wb)
            titles = sheet_titles(sheets)
            for name, df in sheets.items():
                write_frame(book, name, df, title=titles[name], number_formats=number_formats.get(name),
                            highlights=highlights.get(name, ()))

    save_workbook(dest, write, personal_data=any(personal(df) for df in sheets.values()), inputs=inputs,
                  privacy=privacy, rows=sum(len(df) for df in sheets.values()))
    return "xlsx"
