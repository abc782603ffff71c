"""What a report sheet is, for every writer (the workbook, :mod:`.workbook`, and the web page,
:mod:`.html`): a :class:`Sheet` (a table, its columns' kinds, KPI :class:`Card` s, a :class:`ColorScale`,
charts) and the :class:`PageInfo` every printed page shows."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import formats
from ..io.xlsx import column_kind
from .charts import Chart

KINDS = formats.KINDS


@dataclass
class Card:
    """One KPI card: ``label``, ``value`` (shown large, in its ``kind``'s format), a ``detail`` line (e.g. the
    previous period's value), and ``change`` (``change_kind``: ``change`` = this ÷ previous − 1, or ``points``
    = percentage points) with an arrow, green when it goes the ``better`` way (+1 up, −1 down, 0 neither)."""

    label: str
    value: Any
    kind: str
    detail: str = ""
    change: Any = None
    change_kind: str = "change"
    better: int = 1

    @property
    def tone(self) -> str:
        """``good``, ``bad`` or ``neutral``: the change's direction against ``better``."""
        c = self.change
        if c is None or (isinstance(c, float) and math.isnan(c)) or not self.better or round(float(c), 4) == 0:
            return "neutral"
        return "good" if (c > 0) == (self.better > 0) else "bad"


@dataclass
class ColorScale:
    """One colour scale over the ``columns`` together (a matrix): ``low`` colour at ``minimum``, ``high`` at
    ``maximum`` (None: the matrix's largest value); values above ``maximum`` get ``high``; empty cells none."""

    columns: Sequence[str]
    minimum: float = 0.0
    maximum: float | None = None
    low: str = "#FFFFFF"
    high: str = "#63BE7B"

    def color(self, value: Any, maximum: float) -> str | None:
        """The fill of ``value`` (``#RRGGBB``), None when empty: the HTML page's copy of the Excel scale."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        span = (maximum - self.minimum) or 1.0
        f = min(max((float(value) - self.minimum) / span, 0.0), 1.0)
        lo = [int(self.low[i:i + 2], 16) for i in (1, 3, 5)]
        hi = [int(self.high[i:i + 2], 16) for i in (1, 3, 5)]
        return "#" + "".join(f"{round(a + (b - a) * f):02X}" for a, b in zip(lo, hi))


@dataclass
class Sheet:
    """One sheet of the report: a table under a one-row header (optionally KPI cards above it).

    ``kinds`` maps a column to a kind of :data:`crmcli.formats.KIND_FORMATS` (unlisted columns: numbers
    get ``number``, datetimes ``date``, the rest ``text``). ``row_kinds`` (one kind per row, e.g. for a KPI
    table mixing money and rates) overrides the kind of the ``row_kind_columns`` for that row; ``cell_kinds``
    (``{(row, column): kind}``) a single cell's. ``color_scale`` colours a matrix; a ``total_row`` is bold.
    ``message`` makes a one-line sheet (e.g. an input that was not given). ``cards`` go above the table
    (``card_spans``: the (first, last) columns of each card in a row of cards), under a ``title`` and
    ``subtitle``; ``widths`` set columns' widths, ``wrap`` columns wrap their text; ``freeze_columns``
    columns stay in view beside the frozen header.
    """

    name: str
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    kinds: dict[str, str] = field(default_factory=dict)
    row_kinds: Sequence[str] | None = None
    row_kind_columns: Sequence[str] = ()
    cell_kinds: dict[tuple[int, str], str] = field(default_factory=dict)
    color_scale: ColorScale | None = None
    total_row: bool = False
    message: str | None = None
    charts: list[Chart] = field(default_factory=list)
    cards: Sequence[Card] = ()
    card_spans: Sequence[tuple[int, int]] = ((0, 0), (1, 2), (3, 4))
    title: str | None = None
    subtitle: str | None = None
    widths: dict[str, float] = field(default_factory=dict)
    wrap: Sequence[str] = ()
    freeze_columns: int = 0
    note: str | None = None

    @property
    def is_card_page(self) -> bool:
        return bool(self.cards)

    def column_kinds(self) -> list[str]:
        """The kind of every column (see :class:`Sheet`)."""
        return [column_kind_of(self, c, self.data[c]) for c in self.data.columns]

    def kind_lookup(self) -> Callable[[int, int], str]:
        """``at(i, j)``: the kind of the cell at row position ``i``, column position ``j`` — a cell's own kind,
        else its row's (in a ``row_kind_columns`` column), else its column's. Built once per sheet: a lookup is a
        list index for the plain columns (it runs for every cell of a 100,000-row sheet)."""
        kinds = self.column_kinds()
        position = {c: j for j, c in enumerate(self.data.columns)}
        cells = {(i, position[c]): k for (i, c), k in self.cell_kinds.items() if c in position}
        rows = self.row_kinds
        over = {position[c] for c in self.row_kind_columns if c in position} if rows is not None else set()
        if not cells and not over:
            return lambda i, j: kinds[j]

        def at(i: int, j: int) -> str:
            kind = cells.get((i, j))
            if kind is not None:
                return kind
            return rows[i] if j in over else kinds[j]   # type: ignore[index]
        return at


@dataclass(frozen=True)
class PageInfo:
    """What every printed page says: the report's ``title`` (top left), the sheet (top centre), ``as_of``
    (top right, e.g. ``截至 2024-12-28``) and ``pages`` (bottom centre, with ``&P`` and ``&N``: page x of y)."""

    title: str = "Report"
    as_of: str = ""
    pages: str = "Page &P of &N"
    lang: str = "en"


def column_kind_of(sheet: Sheet, col: str, s: pd.Series) -> str:
    kind = sheet.kinds.get(col)
    if kind:
        if kind not in KINDS:
            raise ValueError(f"unknown column kind {kind!r}")
        return kind
    # numbers and dates by their dtype; booleans and mixed (object) columns as text
    return {"number": "number", "date": "date"}.get(column_kind(s), "text")


def is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and math.isnan(v)) or v is pd.NA or v is pd.NaT
