"""Native Excel charts (xlsxwriter chart objects, not pictures) over the report's own sheets.

A :class:`Chart` names the sheet and columns it plots; the workbook writer resolves them to
cell ranges after the data is written (:func:`chart_cells`), so a chart always shows exactly the
numbers in the sheet it points at. Only what Excel, WPS and LibreOffice all draw is used: line,
column (clustered or stacked), bar and pie charts, literal data labels, dashed lines. The HTML page
draws the same :class:`Chart` as SVG (:mod:`crmcli.report.html`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_cell_to_rowcol

CHART_KINDS = ("line", "column", "bar", "pie")


@dataclass
class Chart:
    """A chart of ``values`` columns against the ``categories`` column of sheet ``source``.

    ``exclude_last`` leaves out the sheet's last row (a totals row). ``stacked`` stacks columns/bars.
    ``labels`` are literal data labels, one per category, on the first series (e.g. a funnel's rates).
    ``anchor`` (a cell such as ``"H2"``) pins the chart; by default the writer puts it to the right of the
    table, under the sheet's previous chart.
    """

    kind: str
    title: str
    source: str
    categories: str
    values: Sequence[str]
    anchor: str | None = None
    exclude_last: bool = False
    number_format: str | None = None
    x_title: str | None = None
    y_title: str | None = None
    size: tuple[int, int] = (640, 320)
    stacked: bool = False
    labels: Sequence[str] | None = None
    #: At most this many rows (the first: a ranking's best).
    limit: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: Extra xlsxwriter series options per value column, e.g. ``{"Upper": {"line": {"dash_type": "dash"}}}``.
    series_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def anchor_cell(self) -> tuple[int, int]:
        return xl_cell_to_rowcol(self.anchor) if self.anchor else (0, 0)

    def series(self, columns: Sequence[str]) -> list[str]:
        """The value columns the source sheet has."""
        return [c for c in self.values if c in columns]


@dataclass(frozen=True)
class ChartCells:
    """Where a sheet's table is: its (quoted-safe) sheet title, header row, data rows and columns."""

    title: str
    first_row: int
    rows: int
    columns: Sequence[str]


def chart_cells(title: str, first_row: int, rows: int, columns: Sequence[str]) -> ChartCells:
    return ChartCells(title, first_row, rows, list(columns))


def add_chart(wb: Any, ws: Any, chart: Chart, cells: Mapping[str, ChartCells], at: tuple[int, int]) -> bool:
    """Insert ``chart`` into worksheet ``ws`` at cell ``at``; False (and nothing inserted) when it has no data."""
    if chart.kind not in CHART_KINDS:
        raise ValueError(f"unknown chart kind {chart.kind!r}")
    src = cells.get(chart.source)
    if src is None:
        return False
    cols = list(src.columns)
    n = src.rows - (1 if chart.exclude_last else 0)
    if chart.limit is not None:
        n = min(n, chart.limit)
    if n < 1 or chart.categories not in cols:
        return False
    series_cols = chart.series(cols)
    if not series_cols:
        return False
    cat = cols.index(chart.categories)
    top, bottom = src.first_row + 1, src.first_row + n
    subtype = {"subtype": "stacked" if chart.stacked else "clustered"} if chart.kind in ("bar", "column") else {}
    xl = wb.add_chart({"type": chart.kind, **subtype})
    for k, c in enumerate(series_cols):
        j = cols.index(c)
        series: dict[str, Any] = {
            "name": [src.title, src.first_row, j],
            "categories": [src.title, top, cat, bottom, cat],
            "values": [src.title, top, j, bottom, j],
        }
        if chart.kind == "line":
            series["marker"] = {"type": "circle", "size": 5}
        if chart.kind == "pie":
            series["data_labels"] = {"percentage": True, "category": False}
        if chart.labels is not None and k == 0:
            series["data_labels"] = {"value": True, "custom": [{"value": str(v)} for v in list(chart.labels)[:n]],
                                     "position": "outside_end" if chart.kind in ("bar", "column") else "right"}
        if chart.kind in ("bar", "column") and chart.stacked:
            series["gap"] = 60
        series.update(chart.series_options.get(c, {}))
        xl.add_series(series)
    xl.set_title({"name": chart.title, "name_font": {"size": 12, "bold": True}})
    if chart.kind != "pie":
        xl.set_legend({"position": "bottom"} if len(series_cols) > 1 else {"none": True})
        cat_axis: dict[str, Any] = {}
        val_axis: dict[str, Any] = {"major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
        if chart.kind == "bar":  # categories top to bottom, as the table lists them
            cat_axis.update(reverse=True, crossing="max")  # ... and the value axis stays at the bottom
        if chart.x_title:
            cat_axis["name"] = chart.x_title
        if chart.y_title:
            val_axis["name"] = chart.y_title
        if chart.number_format:
            val_axis["num_format"] = chart.number_format
        # xlsxwriter's x axis is the horizontal one: a bar chart's value axis
        xl.set_x_axis(val_axis if chart.kind == "bar" else cat_axis)
        xl.set_y_axis(cat_axis if chart.kind == "bar" else val_axis)
    else:
        xl.set_legend({"position": "right"})
    xl.set_size({"width": chart.size[0], "height": chart.size[1]})
    ws.insert_chart(at[0], at[1], xl, {"x_offset": 10, "y_offset": 5, "object_position": 1})
    return True
