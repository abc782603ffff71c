"""What the commands print on stderr (tables and lines) and on stdout (rule tables, descriptions).

Numbers have thousands separators; lines are never wrapped when stderr is not a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..privacy.kinds import CELL_TEXT_CODES

MAX_SHOWN_COLUMNS = 200  # a 16,384-column table would take rich a minute to lay out


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 error``, ``3 errors``, ``1,204 warnings``: a count with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def number(v: Any) -> str:
    """A value for stderr: whole numbers with thousands separators, others to 2–4 places, blanks as ``-``."""
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".") if abs(v) < 10 else f"{v:,.2f}"
    return str(v)


def _table(*heads: str, right: tuple[str, ...] = ()) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for head in heads:
        table.add_column(head, justify="right" if head in right else "left", overflow="fold")
    return table


def _as_is(value: Any, field: str | None = None) -> str:
    return "" if value is None else str(value)


def description(console: Console, desc: dict[str, Any], cell: Any = _as_is) -> None:
    """``crm inspect``'s table; ``cell(value, field)`` shows an example (masked, or its shape with --redact)."""
    delim = {"\t": "TAB", None: "-"}.get(desc["delimiter"], desc["delimiter"])
    console.print(f"format: {desc['format']}   encoding: {desc['encoding'] or '-'}   delimiter: {delim}")
    if desc["sheets"]:
        names = ", ".join(s["name"] + (" (hidden)" if s["hidden"] else "") for s in desc["sheets"])
        console.print(f"sheet: {desc['sheet']}   sheets: {names}")
    console.print(f"header row: {desc['header_row']}   rows: {desc['rows']:,}   columns: {len(desc['columns']):,}")
    table = _table("column", "field", "filled", "distinct", "examples", right=("filled", "distinct"))
    shown = desc["columns"][:MAX_SHOWN_COLUMNS]
    for col in shown:
        table.add_row(col["name"], col["field"] or "-", f"{col['filled']:.0%}", f"{col['distinct']:,}",
                      " | ".join(cell(v, col["field"]) for v in col["examples"]))
    console.print(table)
    if len(desc["columns"]) > len(shown):
        console.print(f"… {len(desc['columns']) - len(shown):,} more columns (--json lists them all)")


def problems(console: Console, found: list[dict[str, Any]], limit: int = 10, redact: bool = False) -> None:
    """The reader's findings; with ``redact``, a message quoting cell text says only what it is."""
    for p in found[:limit]:
        where = f"row {p['row']}: " if p.get("row") else ""
        message = p["message"]
        if redact and p.get("code") in CELL_TEXT_CODES:
            message = message.split(":")[0]
        console.print(f"warning: {where}{message}")
    if len(found) > limit:
        console.print(f"warning: +{len(found) - limit:,} more")


def issues(console: Console, found: Any, rows: int, summary: Any, limit: int = 20,
           counts: tuple[int, int, int] | None = None, lang: str = "en", cell: Any = _as_is,
           redact: bool = False) -> None:
    """``crm validate``'s summary and first issues. ``counts`` = (errors, warnings, issues) when ``found`` is only
    the first of them (a streamed run); ``cell(value, field)`` shows a value (masked with --mask); with ``redact``
    no value at all: the rows, columns and codes only."""
    from ..issue_text import code_name, severity_name

    errors = int((found["severity"] == "error").sum()) if counts is None else counts[0]
    warnings = int((found["severity"] == "warning").sum()) if counts is None else counts[1]
    total = len(found) if counts is None else counts[2]
    console.print(f"{counted(rows, 'row')} checked: {counted(errors, 'error')}, {counted(warnings, 'warning')}")
    if not total:
        return
    counts = _table("field", "code", *(("problem",) if lang == "zh" else ()), "severity", "count", right=("count",))
    for rec in summary.itertuples(index=False):
        named = (code_name(rec.code, lang),) if lang == "zh" else ()
        counts.add_row(rec.field or "-", rec.code, *named, severity_name(rec.severity, lang), f"{rec.count:,}")
    console.print(counts)
    heads = ("row", "column", "code", "message") if redact else ("row", "column", "value", "code", "message")
    first = _table(*heads, right=("row",))
    for rec in found.head(limit).itertuples(index=False):
        shown = cell(rec.value, rec.field) if rec.value else ""
        message = rec.message.replace(rec.value, shown) if rec.value and rec.value in rec.message else rec.message
        if redact and rec.code in CELL_TEXT_CODES:
            message = message.split(":")[0]
        values = (str(rec.row), escape(rec.column or "-"), rec.code, escape(message)) if redact else \
            (str(rec.row), escape(rec.column or "-"), escape(shown), rec.code, escape(message))
        first.add_row(*values)
    console.print(first)
    if total > min(limit, len(found)):
        console.print(f"+{total - min(limit, len(found)):,} more")


def clusters(console: Console, found: Any, limit: int = 20) -> None:
    """The value clusters: one line per canonical value with its variants and their counts."""
    if found is None or found.empty:
        return
    table = _table("column", "value", "other spellings (rows)", "merge", right=())
    groups = found.groupby(["column", "canonical"], sort=False)
    for (column, canonical), part in list(groups)[:limit]:
        spellings = ", ".join(f"{v} ({n:,})" for v, n in zip(part["variant"], part["count"]))
        merge = "yes" if (part["merge"] == "yes").all() else "review" if (part["merge"] == "no").all() else "some"
        table.add_row(escape(str(column)), escape(str(canonical)), escape(spellings), merge)
    console.print(f"value clusters: {groups.ngroups:,} (merge = yes: crm clean --merge-values rewrites them; "
                  f"review: list them under [values] in crm.toml to merge)", markup=False)
    console.print(table)
    if groups.ngroups > limit:
        console.print(f"+{groups.ngroups - limit:,} more")


def notes(console: Console, dropped: dict[str, int], lines: list[str]) -> None:
    for reason, n in dropped.items():
        console.print(f"note: {n:,} row(s) left out: {reason}")
    for line in lines:
        console.print(f"note: {line}")


def rfm(console: Console, result: Any, definitions: str) -> None:
    from ..rfm import describe_edges

    prospects = getattr(result, "prospects", 0)
    extra = f" (+{prospects:,} prospects: leads with no order)" if prospects else ""
    console.print(f"rfm: {counted(len(result.table) - prospects, 'customer')}{extra}, "
                  f"{counted(result.orders, 'order')}, as of "
                  f"{result.as_of.date()}, scheme {result.rules.name}")
    console.print(f"definitions: {definitions}")
    if result.dropped:
        left = ", ".join(f"{n:,} {reason}" for reason, n in result.dropped.items())
        console.print(f"left out: {counted(sum(result.dropped.values()), 'row')} ({left})")
    for line in result.notes:
        console.print(f"note: {line}")
    for line in describe_edges(result):
        console.print(f"edges {line}")
    if result.rules.basis == "mean":
        m = result.means
        console.print(f"means: recency_days {m['recency_days']:,.1f}, frequency {m['frequency']:,.2f}, "
                      f"monetary {m['monetary']:,.2f} (R high = recency below the mean)")
    table = _table("segment", "customers", "share", "revenue share", "AOV",
                   right=("customers", "share", "revenue share", "AOV"))
    for row in result.segments.itertuples(index=False):
        if row.customers == 0:
            continue
        aov = "-" if row.aov != row.aov else f"{row.aov:,.2f}"
        rshare = "-" if row.revenue_share != row.revenue_share else f"{row.revenue_share:.1%}"
        table.add_row(str(row.segment), f"{row.customers:,}", f"{row.share:.1%}", rshare, aov)
    console.print(table)


def rules(report: Any) -> None:
    """The active RFM rule table, on stdout (it is the data ``crm rfm --rules`` asks for)."""
    out = Console(file=sys.stdout, highlight=False, width=160, no_color=bool(os.environ.get("NO_COLOR")) or None)
    t = report.table
    out.print(f"scheme {t.name}: {t.description}", soft_wrap=True)
    cols = ["#", "segment", "R", "F", "M", "cells", "owned", "overlaps (earlier rules)"]
    has_customers = "customers" in report.rules.columns
    if has_customers:
        cols += ["customers", "share"]
    table = _table(*cols)
    for row in report.rules.to_dict("records"):
        flag = " (never matches)" if row["never_matches"] else ""
        cells = [str(row["rule"]), row["label"] + flag, row["r"], row["f"], row["m"], str(row["cells"]),
                 str(row["owned"]), row["overlaps"] or "-"]
        if has_customers:
            cells += [f"{row['customers']:,}", f"{row['share']:.1%}"]
        table.add_row(*cells)
    out.print(table)
    for w in report.warnings:
        out.print(f"warning: {w}")
    line = f"unmatched: {report.unmatched_cells} of {report.cells} cells"
    if report.unmatched_share is not None:
        line += f", {report.unmatched_share:.1%} of customers -> {t.default_label(report.lang)}"
    out.print(line)


def kpis(console: Console, report: Any) -> None:
    table = Table(show_edge=False, header_style="bold", title=f"as of {report.as_of.date()}")
    for head in ("metric", "value", "指标"):
        table.add_column(head, justify="right" if head == "value" else "left")
    for row in report.kpis.itertuples(index=False):
        table.add_row(row.metric, number(row.value), row.label_zh)
    console.print(table)


def basket(console: Console, result: Any, definitions: dict[str, str], limit: int = 10) -> None:
    """``crm basket``'s summary: what a basket is, the threshold, the first rules."""
    what = f"{result.unit} (then bought within {result.window} days)" if result.window else result.unit
    console.print(f"basket: {result.baskets:,} {what}, {result.items:,} {result.by} values; frequent = in at least "
                  f"{result.threshold:,} {result.unit} (min support {result.min_support:.1%}); "
                  f"{len(result.rules):,} rules")
    if result.dropped:
        left = ", ".join(f"{n:,} {reason}" for reason, n in result.dropped.items())
        console.print(f"left out: {counted(sum(result.dropped.values()), 'row')} ({left})")
    for line in result.notes:
        console.print(f"note: {line}", markup=False)
    console.print("definitions: " + "; ".join(f"{k} = {v}" for k, v in definitions.items()), markup=False)
    if result.rules.empty:
        console.print("no rules: lower --min-support / --min-count")
        return
    table = _table("antecedent", "consequent", "count", "support", "confidence", "lift",
                   right=("count", "support", "confidence", "lift"))
    for row in result.rules.head(limit).itertuples(index=False):
        table.add_row(escape(row.antecedent), escape(row.consequent), f"{row.count:,}", f"{row.support:.1%}",
                      f"{row.confidence:.1%}", f"{row.lift:,.2f}")
    console.print(table)
    if len(result.rules) > limit:
        console.print(f"+{len(result.rules) - limit:,} more")


def pipeline(console: Console, result: Any, definitions: dict[str, str]) -> None:
    """``crm pipeline``'s summary: the totals, then the open amount and weighted pipeline by stage."""
    console.print(f"pipeline: {result.opportunities:,} opportunities; open amount {result.open_amount:,.2f}, "
                  f"weighted pipeline {result.weighted_pipeline:,.2f}; won {result.won_amount:,.2f}")
    for line in result.notes:
        console.print(f"note: {line}", markup=False)
    console.print("definitions: " + "; ".join(f"{k} = {v}" for k, v in definitions.items()), markup=False)
    table = _table("stage", "open", "open amount", "probability", "weighted", "won",
                   right=("open", "open amount", "probability", "weighted", "won"))
    for row in result.table[result.table["by"] == "stage"].itertuples(index=False):
        prob = "-" if row.avg_probability != row.avg_probability else f"{row.avg_probability:.0%}"
        table.add_row(escape(str(row.value)), f"{row.open_opportunities:,}", f"{row.open_amount:,.2f}", prob,
                      f"{row.weighted_pipeline:,.2f}", f"{row.won_amount:,.2f}")
    console.print(table)


def team(console: Console, report: Any) -> None:
    """``crm metrics --team``: one line per owner."""
    t = report.table
    since = f"{report.start.date()} .. " if report.start is not None else "up to "
    owners = int((~t["owner"].isin(["Total", "(unassigned)"])).sum())
    console.print(f"team: {owners:,} owners, {since}{report.as_of.date()} (owners from the {report.owners_from})")
    cols = [c for c in ("owner", "revenue", "orders", "customers", "new_customers", "conversion_rate", "attainment")
            if c in t.columns]
    table = _table(*cols, right=tuple(cols[1:]))
    for row in t[cols].itertuples(index=False):
        cells = [escape(str(row[0]))]
        for name, v in zip(cols[1:], row[1:]):
            cells.append("-" if v != v else f"{v:.1%}" if name in ("conversion_rate", "attainment") else number(v))
        table.add_row(*cells)
    console.print(table)
