"""The report as one self-contained web page: ``crm report -o report.html`` (``--format html``).

The page is built from the same :class:`~crmcli.report.sheet.Sheet` specs as the workbook, so every sheet —
whatever builds it — is a section of the page: its KPI cards, its charts (the same :class:`Chart` specs, drawn as
inline SVG by pygal), its table with the same number formats (:func:`crmcli.formats.format_value`) and colour
scale, or its one-line message. Nothing is fetched: the CSS is inline, the charts are SVG in the page, there is
no script, no font or image to load — a cron job can mail it as it is. It reads on a phone (cards wrap, wide
tables scroll sideways, the charts scale to the screen). Long tables show their first :data:`HTML_ROWS` rows and
say how many the workbook has. Every text is escaped (a customer called ``<script>`` is text). The output is the
same bytes for the same report (the charts' ids are numbered, not random).
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import formats
from ..io import atomic_write
from ..privacy import resolve, warn_unencrypted
from ..privacy.audit import note_output, written_mode
from .charts import Chart
from .sheet import Card, Sheet
from .workbook import scale_maximum, sheets_hold_personal

if TYPE_CHECKING:  # pragma: no cover
    from .build import Report

#: Rows of a table shown on the page (the workbook has them all).
HTML_ROWS = 50
PALETTE = ("#4472C4", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#70AD47", "#264478", "#9E480E", "#636363",
           "#997300")
FONTS = ('system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
         '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", Roboto, Arial, sans-serif')

CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:%(fonts)s;color:#1f2933;background:#f4f6f9;line-height:1.45;font-size:15px;
-webkit-text-size-adjust:100%%}
header.top{background:#1F3864;color:#fff;padding:18px 20px 14px}
header.top h1{margin:0;font-size:22px;font-weight:600}
header.top p{margin:4px 0 0;opacity:.85;font-size:13px}
nav{margin-top:10px;display:flex;flex-wrap:wrap;gap:6px}
nav a{color:#fff;background:rgba(255,255,255,.14);padding:3px 9px;border-radius:12px;font-size:13px;
text-decoration:none}
main{max-width:1180px;margin:0 auto;padding:12px}
section.sheet{background:#fff;border:1px solid #dde3ec;border-radius:8px;margin:14px 0;padding:14px 16px}
section.sheet h2{margin:0 0 8px;font-size:18px;color:#1F3864}
p.subtitle,p.note,p.more,p.message{color:#52606d;font-size:13px;margin:4px 0 10px}
p.message{font-size:15px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin:6px 0 16px}
.card{background:#F3F6FB;border:1px solid #C9D3E3;border-radius:8px;padding:10px 12px}
.card .label{color:#52606d;font-size:13px}
.card .value{font-size:24px;font-weight:700;color:#1F3864;margin:2px 0;white-space:nowrap}
.card .detail{color:#52606d;font-size:12px}
.card .change{font-size:13px;font-weight:700}
.good{color:#1E7B34}.bad{color:#C0392B}.neutral{color:#595959}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px;margin:6px 0 12px}
figure.chart{margin:0;border:1px solid #eef1f5;border-radius:6px;padding:4px}
figure.chart svg{width:100%%;height:auto;display:block}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #eef1f5;border-radius:6px}
table{border-collapse:collapse;font-size:13px;min-width:100%%}
th{background:#DDEBF7;text-align:left;font-weight:600;position:sticky;top:0;white-space:nowrap}
th,td{padding:4px 8px;border-bottom:1px solid #eef1f5;vertical-align:top}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.date{white-space:nowrap}
td.wrap{min-width:16em;max-width:36em}
tr.total td{font-weight:700;border-top:1px solid #9aa5b1}
footer{color:#7b8794;font-size:12px;text-align:center;padding:10px 0 24px}
@media (max-width:600px){body{font-size:14px}main{padding:6px}section.sheet{padding:10px;margin:10px 0}
.cards{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}.card .value{font-size:20px}
.charts{grid-template-columns:1fr}header.top h1{font-size:19px}}
@media print{body{background:#fff}nav{display:none}section.sheet{break-inside:avoid-page;border:0}}
""" % {"fonts": FONTS}


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- pieces


def _card(card: Card, lang: str) -> str:
    value = formats.format_value(card.value, card.kind, lang)
    change = formats.arrow_text(card.change, card.change_kind, lang)
    return (f'<div class="card"><div class="label">{esc(card.label)}</div>'
            f'<div class="value">{esc(value) or "—"}</div>'
            f'<div class="detail">{esc(card.detail)}</div>'
            f'<div class="change {card.tone}">{esc(change) or "&nbsp;"}</div></div>')


def _cell(sheet: Sheet, i: int, j: int, v: Any, kind: str, lang: str, colors: dict[int, float]) -> str:
    col = str(sheet.data.columns[j])
    text = formats.format_value(v, kind, lang) if not (isinstance(v, str) and kind == "text") else v
    classes = []
    if kind not in ("text", "date", "datetime") and not isinstance(v, str):
        classes.append("num")
    elif kind in ("date", "datetime"):
        classes.append("date")
    if col in sheet.wrap:
        classes.append("wrap")
    style = ""
    if j in colors and sheet.color_scale is not None:
        fill = sheet.color_scale.color(v if not isinstance(v, str) else None, colors[j])
        if fill:
            style = f' style="background:{fill}"'
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{cls}{style}>{esc(text)}</td>"


def _table(sheet: Sheet, t_more: str, lang: str, rows: int = HTML_ROWS) -> str:
    df = sheet.data
    cols = [str(c) for c in df.columns]
    kind_at = sheet.kind_lookup()
    n = len(df)
    shown = n if n <= rows + 1 else rows
    top = scale_maximum(sheet) if sheet.color_scale is not None else 0.0
    colors = {cols.index(c): top for c in (sheet.color_scale.columns if sheet.color_scale else ()) if c in cols}
    out = ['<div class="table-wrap"><table><thead><tr>', *(f"<th>{esc(c)}</th>" for c in cols), "</tr></thead><tbody>"]
    positions = list(range(shown))
    if sheet.total_row and n and shown < n:
        positions.append(n - 1)  # the totals row stays
    for i in positions:
        values = df.iloc[i].tolist()
        total = sheet.total_row and i == n - 1
        out.append('<tr class="total">' if total else "<tr>")
        out.extend(_cell(sheet, i, j, v, kind_at(i, j), lang, colors) for j, v in enumerate(values))
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if shown < n:
        out.append(f'<p class="more">{esc(t_more.format(shown=f"{shown:,}", total=f"{n:,}"))}</p>')
    return "".join(out)


def _number(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _value_formatter(number_format: str | None):
    if number_format and number_format.endswith("%"):
        return lambda x: f"{x:.0%}"
    if number_format == "0.0":
        return lambda x: f"{x:,.1f}"
    return lambda x: f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.2f}"


def chart_svg(chart: Chart, sheets: dict[str, Sheet], number: int) -> str | None:
    """``chart`` as an inline SVG (pygal, no script), or None when it has nothing to draw."""
    import pygal
    from pygal.style import Style

    src = sheets.get(chart.source)
    if src is None or src.message is not None or chart.categories not in src.data.columns:
        return None
    df = src.data
    n = len(df) - (1 if chart.exclude_last else 0)
    if chart.limit is not None:
        n = min(n, chart.limit)
    series = chart.series([str(c) for c in df.columns])
    if n < 1 or not series:
        return None
    cats = [str(c) for c in df[chart.categories].iloc[:n]]
    style = Style(background="white", plot_background="white", foreground="#333", foreground_strong="#1F3864",
                  foreground_subtle="#DDE3EC", font_family=FONTS, colors=PALETTE, title_font_size=17,
                  label_font_size=13, major_label_font_size=13, legend_font_size=14, value_font_size=12,
                  value_label_font_size=12)
    horizontal = chart.kind == "bar"
    kind = {"line": pygal.Line, "pie": pygal.Pie}.get(chart.kind)
    if kind is None:
        kind = (pygal.HorizontalStackedBar if horizontal else pygal.StackedBar) if chart.stacked else \
            (pygal.HorizontalBar if horizontal else pygal.Bar)
    width, height = 640, max(300, min(chart.size[1], 640))
    options: dict[str, Any] = dict(js=[], width=width, height=height, style=style, disable_xml_declaration=True,
                                   legend_at_bottom=True, show_legend=len(series) > 1 or chart.kind == "pie",
                                   value_formatter=_value_formatter(chart.number_format), truncate_label=-1,
                                   truncate_legend=-1, margin=12, spacing=8, dots_size=3)
    if not horizontal and len(cats) > 8:
        options.update(x_label_rotation=45 if len(cats) <= 24 else 90)
        if len(cats) > 24:
            options["x_labels_major_every"] = max(1, len(cats) // 12)
            options["show_minor_x_labels"] = False
    if chart.labels is not None:
        options["print_labels"] = True
    if horizontal:  # pygal sizes the label column for narrow letters: make room for CJK ones
        from ..io.xlsx import display_width

        options["margin_left"] = 8 + 7 * max(display_width(x) for x in cats)
    c = kind(**options)
    c.title = chart.title
    order = list(range(n))[::-1] if horizontal else list(range(n))  # bars read top-down, as the table
    if chart.kind != "pie":
        c.x_labels = [cats[k] for k in order]
    for s_i, col in enumerate(series):
        values = [_number(v) for v in df[col].iloc[:n]]
        opts: dict[str, Any] = {}
        line = chart.series_options.get(col, {}).get("line", {})
        if line.get("dash_type"):
            opts.update(stroke_style={"width": 1.5, "dasharray": "6,4"}, show_dots=False)
        if chart.kind == "pie":
            for k in range(n):
                if values[k] is not None:
                    c.add(cats[k], values[k])
            break
        points = [values[k] for k in order]
        if chart.labels is not None and s_i == 0:
            labels = list(chart.labels)
            points = [{"value": values[k], "label": labels[k] if k < len(labels) else ""} for k in order]
        c.add(col, points, **opts)
    svg = c.render(is_unicode=True)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)   # pygal's comment says when it ran: not ours to say
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)  # its tooltip config: the page has no script
    return re.sub(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", f"chart-{number}", svg)


def _section(sheet: Sheet, k: int, sheets: dict[str, Sheet], lang: str, more: str, counter: list[int]) -> str:
    out = [f'<section class="sheet" id="sheet-{k}" data-sheet="{esc(sheet.name)}"><h2>{esc(sheet.name)}</h2>']
    if sheet.message is not None:
        out.append(f'<p class="message">{esc(sheet.message)}</p></section>')
        return "".join(out)
    if sheet.subtitle:
        out.append(f'<p class="subtitle">{esc(sheet.subtitle)}</p>')
    if sheet.cards:
        out.append('<div class="cards">' + "".join(_card(c, lang) for c in sheet.cards) + "</div>")
    svgs = []
    for chart in sheet.charts:
        counter[0] += 1
        svg = chart_svg(chart, sheets, counter[0])
        if svg:
            svgs.append(f'<figure class="chart" data-series="{len(chart.series(list(map(str, sheet.data.columns))))}"'
                        f' aria-label="{esc(chart.title)}">{svg}</figure>')
    if svgs:
        out.append('<div class="charts">' + "".join(svgs) + "</div>")
    out.append(_table(sheet, more, lang))
    if sheet.note:
        out.append(f'<p class="note">{esc(sheet.note)}</p>')
    out.append("</section>")
    return "".join(out)


def render_report_html(report: Report) -> str:
    """The whole page as text."""
    from .labels import Labeller

    t = Labeller(report.lang)
    sheets = {s.name: s for s in report.sheets}
    page = report.page
    counter = [0]
    nav = "".join(f'<a href="#sheet-{k}">{esc(s.name)}</a>' for k, s in enumerate(report.sheets))
    body = "".join(_section(s, k, sheets, report.lang, t("rows_more"), counter) for k, s in enumerate(report.sheets))
    lang = "zh-CN" if report.lang == "zh" else "en"
    title = f"{page.title} · {page.as_of}" if page.as_of else page.title
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="color-scheme" content="light"><title>{esc(title)}</title><style>{CSS}</style></head>'
            f'<body><header class="top"><h1>{esc(page.title)}</h1><p>{esc(page.as_of)}</p>'
            f'<nav aria-label="{esc(t("sections"))}">{nav}</nav></header><main>{body}</main>'
            f'<footer>{esc(title)}</footer></body></html>\n')


def write_report_html(report: Report, dest: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = ()) -> str:
    """Write the page atomically (UTF-8) to ``dest`` (``-`` = stdout), never onto one of ``inputs``: with the
    policy's private file mode when a sheet holds personal data (a page cannot be encrypted: a password in
    force gives a warning, as for every output that is not a workbook)."""
    privacy = resolve(None)
    data = render_report_html(report).encode("utf-8")
    warn_unencrypted(privacy, dest)
    mode = privacy.file_mode if sheets_hold_personal(report.sheets) else None
    atomic_write(dest, lambda fh: fh.write(data), inputs=inputs, mode=mode)
    target = os.fspath(dest)
    note_output(target, format="html", rows=sum(len(s.data) for s in report.sheets),
                mode=written_mode(target))
    return target


__all__ = ["HTML_ROWS", "chart_svg", "render_report_html", "write_report_html"]
