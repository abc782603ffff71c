"""Native Excel charts (xlsxwriter chart objects, not pictures) over the report's own sheets.

A :class:`Chart` names the sheet and columns it plots; the workbook writer resolves them to
cell ranges after the data is written, so a chart always shows exactly the numbers in the
sheet it points at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CHART_KINDS = ("line", "column", "bar", "pie")


@dataclass
class Chart:
    """A chart of ``values`` columns against the ``categories`` column of sheet ``source``.

    ``exclude_last`` leaves out the sheet's last row (a totals row). ``anchor`` is the
    top-left cell where the chart sits on the sheet that holds it.
    """

    kind: str
    title: str
    source: str
    categories: str
    values: Sequence[str]
    anchor: str = "H2"
    exclude_last: bool = False
    number_format: str | None = None
    x_title: str | None = None
    y_title: str | None = None
    size: tuple[int, int] = (640, 320)
    options: dict[str, Any] = field(default_factory=dict)
    #: Extra xlsxwriter series options per value column, e.g. ``{"Upper": {"line": {"dash_type": "dash"}}}``.
    series_options: dict[str, dict[str, Any]] = field(default_factory=dict)


def add_chart(wb: Any, ws: Any, chart: Chart, titles: Mapping[str, str], nrows: Mapping[str, int],
              columns: Mapping[str, Sequence[str]]) -> bool:
    """Insert ``chart`` into worksheet ``ws``; False (and nothing inserted) when it has no data."""
    if chart.kind not in CHART_KINDS:
        raise ValueError(f"unknown chart kind {chart.kind!r}")
    if chart.source not in titles:
        return False
    cols = list(columns[chart.source])
    n = nrows[chart.source] - (1 if chart.exclude_last else 0)
    if n < 1 or chart.categories not in cols:
        return False
    series_cols = [c for c in chart.values if c in cols]
    if not series_cols:
        return False
    cat = cols.index(chart.categories)
    xl = wb.add_chart({"type": chart.kind, **({"subtype": "clustered"} if chart.kind in ("bar", "column") else {})})
    for c in series_cols:
        j = cols.index(c)
        series: dict[str, Any] = {
            "name": [titles[chart.source], 0, j],
            "categories": [titles[chart.source], 1, cat, n, cat],
            "values": [titles[chart.source], 1, j, n, j],
        }
        if chart.kind == "line":
            series["marker"] = {"type": "circle", "size": 5}
        if chart.kind == "pie":
            series["data_labels"] = {"percentage": True, "category": False}
        series.update(chart.series_options.get(c, {}))
        xl.add_series(series)
    xl.set_title({"name": chart.title})
    if chart.kind != "pie":
        xl.set_legend({"position": "bottom"} if len(series_cols) > 1 else {"none": True})
        x_axis: dict[str, Any] = {}
        y_axis: dict[str, Any] = {"major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
        if chart.x_title:
            x_axis["name"] = chart.x_title
        if chart.y_title:
            y_axis["name"] = chart.y_title
        if chart.number_format:
            y_axis["num_format"] = chart.number_format
        xl.set_x_axis(x_axis)
        xl.set_y_axis(y_axis)
    else:
        xl.set_legend({"position": "right"})
    xl.set_size({"width": chart.size[0], "height": chart.size[1]})
    ws.insert_chart(chart.anchor, xl, {"x_offset": 10, "y_offset": 5, "object_position": 1})
    return True
