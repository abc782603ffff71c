"""``crm pivot`` on an engine: the rows typed by the field layer (:func:`.run.prepare_on`'s ``lines``, the
order rules' ``reasons`` joined to them by row, and ``lines_net``), grouped in SQL; the pivot's shape (cells,
totals computed from the rows, shown values, number formats, row order) is
:func:`crmcli.pivot.table.shape_pivot`, the same for every engine.

On an engine a pivot's fields are those the prepared lines carry: ``channel``, ``campaign``, ``status``,
``refund_status``, ``customer_id``, ``order_id`` and the order date (bucketed by ``by``); its values count
rows, sum / average / min / max the amount (each row's share of its order's net amount, by the order
rules, as on pandas) or count / count distinct order and customer ids. ``where``, ``top``, other fields
and tables without an order date run on pandas (:func:`engine_can_pivot` says why).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..errors import UsageError

#: Field -> the column of the prepared lines holding its normalized value.
LINE_COLUMNS = {"channel": "channel", "campaign": "campaign", "status": "status", "refund_status": "refund_status",
                "customer_id": "cust", "order_id": "oid"}
#: SQL aggregation of each pivot aggregation (a sum of no values is 0, as pandas' group sums).
SQL_AGGS = {"sum": "COALESCE(SUM({v}), 0)", "count": "COUNT({v})", "mean": "AVG({v})",
            "nunique": "COUNT(DISTINCT {v})", "min": "MIN({v})", "max": "MAX({v})"}


def head_table(source: Any, *, read: Any = None, overrides: Mapping[str, str] | None = None, region: str = "CN",
               dayfirst: bool | None = None) -> Any:
    """The table's first rows normalized (a file that streams), else the whole table: its columns and mapping."""
    from ..stream import open_source, plan_table, streamable

    if isinstance(source, str) and streamable(source) is not None:
        src = open_source(source, read)
        return plan_table(src.head, overrides=overrides, region=region, dayfirst=dayfirst).normalize(src.head)
    from ..normalize import normalize_table

    return normalize_table(source, read=read, overrides=overrides, region=region, dayfirst=dayfirst)


def engine_can_pivot(head: Any, *, rows: Sequence[str], cols: str | None, values: Any, agg: str, by: str | None,
                     where: Any = None, top: Any = None) -> str | None:
    """None when the pivot can run on an engine (see the module docstring), else what runs on pandas only."""
    from ..pivot.table import field_kind, parse_values, resolve_column

    if where:
        return "a pivot with {opt:where}"
    if top is not None:
        return "a pivot with {opt:top}"
    from ..orders.prepare import DATE_FIELDS

    mapping = dict(head.mapping)
    columns = [str(c) for c in head.frame.columns]
    fields = set(mapping.values())
    date_field = next((f for f in DATE_FIELDS if f in fields), None)
    if date_field is None or "amount" not in fields:
        return "a pivot of a table without an order date and an amount column"
    dims = [resolve_column(n, columns, mapping) for n in [r for r in rows if r.strip()] + ([cols] if cols else [])]
    if by and not cols and not any(field_kind(f) == "date" for _, f in dims):
        # the date pandas buckets: the order date, else the first date column
        heads = [h for h, f in mapping.items() if f == "order_date"] or [
            h for h, f in mapping.items() if field_kind(f) == "date"]
        dims += [(h, mapping[h]) for h in heads[:1]]
    for header, fname in dims:
        if field_kind(fname) == "date":
            if fname != date_field or not by:
                return f"a pivot on {header!r}" + ("" if by else " without {opt:by}")
        elif fname not in LINE_COLUMNS:
            return f"a pivot on {header!r}"
    for spec in parse_values(values, agg):
        if spec.field is None:
            continue
        header, fname = resolve_column(spec.field.strip(), columns, mapping)
        ok = (fname == "amount" and spec.agg not in ("count", "nunique")) or (
            fname in ("customer_id", "order_id") and spec.agg in ("count", "nunique"))
        if not ok:
            return f"{spec.agg} of {header!r} in a pivot"
    return None


def period_label(by: str, column: str) -> str:
    """The period label pandas gives (``2024-03``, ``2024Q1``, ``2024``) of a timestamp column."""
    year = f"CAST(YEAR({column}) AS VARCHAR)"
    if by == "month":
        return f"{year} || '-' || LPAD(CAST(MONTH({column}) AS VARCHAR), 2, '0')"
    if by == "quarter":
        return f"{year} || 'Q' || CAST(QUARTER({column}) AS VARCHAR)"
    return year


def pivot_with_engine(source: Any, *, engine: str, options: Mapping[str, Any] | None = None,
                      rows: Sequence[str], cols: str | None = None, values: Any = None, agg: str = "sum",
                      by: str | None = None, totals: bool = True, show: str | None = None,
                      overrides: Mapping[str, str] | None = None, region: str = "CN", dayfirst: bool | None = None,
                      read: Any = None, statuses: Mapping[str, str] | None = None) -> Any:
    """``crmcli.pivot.pivot_table`` on ``engine`` (see the module docstring for what it covers)."""
    from ..formats import COUNT, MONEY
    from ..metrics.kpis import check_period
    from ..pivot.table import BLANK, ORDER_RULE_REASONS, field_kind, parse_values, resolve_column, shape_pivot
    from .analytics import open_runner
    from .run import prepare_on

    specs = parse_values(values, agg, show)
    check_period(by)
    rows = [r for r in (rows or []) if r.strip()]
    if not rows:
        raise UsageError("{opt:rows} needs at least one field", hint="e.g. {opt:rows} channel", option="rows")
    with open_runner(engine, **dict(options or {})) as runner:
        p = prepare_on(runner, source, read=read, overrides=overrides, region=region, dayfirst=dayfirst,
                       statuses=statuses, keep_orders=False)
        # the rows of orders of one row (their cells their own) need no join: their reason and net amount
        # are per row (``single``); the rows of orders of several rows join their lines by row (``many``)
        from . import sql

        runner.create("pivot_single", "SELECT row, reason, line_amount, full_refund, cust_f AS cust, order_id AS oid, "
                      "order_date, amount_f AS amount, channel_f AS channel, campaign_f AS campaign, status_f AS status, "
                      f"refund_status_f AS refund_status FROM ({sql.net_single(**p.net)}) AS s", view=True)
        mapping = dict(p.spec.mapping)
        columns = list(mapping)
        date_head = next((h for h, f in mapping.items() if f == p.spec.date_field), None)

        def line_column(header: str, fname: str | None) -> str:
            if fname in LINE_COLUMNS and (fname in p.spec.text_fields or fname in ("customer_id", "order_id")):
                return LINE_COLUMNS[fname]
            raise UsageError(f"a pivot on {header!r} runs on the pandas engine only",
                             hint="leave {opt:engine} out, or use pandas", option="engine")

        row_heads = [resolve_column(r, columns, mapping) for r in rows]
        col_head = resolve_column(cols, columns, mapping) if cols else None
        if by and not any(field_kind(f) == "date" for _, f in row_heads + ([col_head] if col_head else [])):
            if col_head:
                raise UsageError(f"{{opt:by}} {by} needs a date field among {{opt:rows}}/{{opt:cols}}",
                                 hint="e.g. {opt:cols} order_date {opt:by} month")
            col_head = (date_head, p.spec.date_field)
        notes: list[str] = []
        n_totals = runner.fetch("SELECT COUNT(*) AS n, MIN(row) AS r FROM lines WHERE totals")
        total_rows = runner.fetch("SELECT row FROM lines WHERE totals ORDER BY row LIMIT 5")["row"].tolist()
        if int(n_totals["n"].iloc[0]):
            notes.append(f"{int(n_totals['n'].iloc[0])} totals row(s) left out (row {', '.join(map(str, total_rows))})")
        notes += list(p.spec.column_notes)
        dims: list[str] = []
        exprs: list[str] = []
        dates: list[str] = []
        for header, fname in row_heads + ([col_head] if col_head else []):
            if field_kind(fname) == "date":
                if header != date_head or not by:
                    raise UsageError(f"a pivot on {header!r} without {{opt:by}} runs on the pandas engine only",
                                     hint="give {opt:by} month|quarter|year, or leave {opt:engine} out",
                                     option="engine")
                expr = f"COALESCE({period_label(by, '{r}.order_date')}, '')"
                bad = int(runner.fetch("SELECT COUNT(*) AS n FROM lines WHERE NOT totals AND order_date IS NULL "
                                       "AND NOT order_date_blank")["n"].iloc[0])
                if bad:
                    notes.append(f"{bad} row(s) with an invalid {header} date are under {BLANK}")
                dates.append(header)
            else:
                expr = f"COALESCE({{r}}.{line_column(header, fname)}, '')"
            exprs.append(f"CASE WHEN {expr} = '' THEN '{BLANK}' ELSE {expr} END")
            dims.append(header)
        row_names = dims[: len(row_heads)]
        col_name = dims[len(row_heads)] if col_head else None
        if col_name in row_names:
            raise UsageError(f"{col_name!r} is both in {{opt:rows}} and {{opt:cols}}")

        measures, formats, value_exprs = [], [], []
        ruled = False
        for k, spec in enumerate(specs):
            name = f"v{k}"
            if spec.field is None:
                value_exprs.append("1.0")
                measures.append((name, spec.agg, f"{spec.agg} of rows"))
                formats.append((COUNT, False))
                continue
            vhead, vfield = resolve_column(spec.field.strip(), columns, mapping)
            if vfield == "amount" and spec.agg not in ("count", "nunique") and p.spec.amount_col is not None:
                bad = int(runner.fetch("SELECT COUNT(*) AS n FROM lines WHERE NOT totals AND amount IS NULL "
                                       "AND NOT amount_blank")["n"].iloc[0])
                if bad:
                    notes.append(f"{bad} row(s) with a non-numeric {vhead} left out of the {spec.agg}")
                value_exprs.append("CASE WHEN {kept} THEN {n}.line_amount ELSE {r}.amount END")
                measures.append((name, spec.agg, f"{spec.agg} of {vhead}"))
                formats.append((MONEY, True))
                ruled = True
            elif vfield in ("customer_id", "order_id") and spec.agg in ("count", "nunique"):
                col = LINE_COLUMNS[vfield]
                value_exprs.append(f"NULLIF({{r}}.{col}, '')")
                measures.append((name, spec.agg, f"{spec.agg} of {vhead}"))
                formats.append((COUNT, False))
            else:
                raise UsageError(f"{spec.agg} of {vhead!r} in a pivot runs on the pandas engine only",
                                 hint="leave {opt:engine} out, or use pandas", option="engine")
        # the two parts: {r} the line's own cells, {n} its net amount, {q} its reason, {kept} counted,
        # {full} in an order refunded whole
        single = {"r": "s", "n": "s", "q": "s", "kept": "s.reason = ''", "full": "(s.reason = '' AND s.full_refund)",
                  "from": "pivot_single AS s"}
        many = {"r": "r", "n": "n", "q": "q", "kept": "n.row IS NOT NULL", "full": "COALESCE(n.full_refund, FALSE)",
                "from": "lines_w AS r JOIN reasons AS q ON r.row = q.row AND q.order_rows > 1"
                        + (" LEFT JOIN lines_net_w AS n ON r.row = n.row" if ruled else "")}
        keep = "{q}.reason <> 'totals-row'"
        if ruled:
            reasons = ", ".join(f"'{x}'" for x in ORDER_RULE_REASONS)
            keep += f" AND {{q}}.reason NOT IN ({reasons}) AND NOT {{full}}"
            notes.extend(x for x in p.notes if x.startswith(("left out:", "amount:", "unknown order status")) or
                         "order-level amount" in x or "credit note" in x)
            part = """
SELECT CASE WHEN {full} AND {q}.reason = '' THEN 'refunded' ELSE {q}.reason END AS reason, {r}.row AS row
FROM {from} WHERE {q}.reason <> 'totals-row' AND ({q}.reason IN (%s) OR {full})""" % reasons
            counts = runner.fetch(f"""
SELECT reason, COUNT(*) AS n, MIN(row) AS first FROM ({part.format(**single)} UNION ALL {part.format(**many)}) AS o
GROUP BY 1 ORDER BY n DESC, first""")
            if len(counts):
                notes.append("order rules: " + ", ".join(f"{int(n)} {r} row(s)" for r, n in
                                                         zip(counts["reason"], counts["n"]))
                             + " left out of the amount")
        select = ", ".join([f"{e} AS d{i}" for i, e in enumerate(exprs)] +
                           [f"{e} AS {m[0]}" for e, m in zip(value_exprs, measures)])
        parts = [f"SELECT {select} FROM {{from}} WHERE {keep}".format(**part) for part in (single, many)]
        runner.create("pivot_rows", "\nUNION ALL\n".join(parts))
        position = {h: f"d{i}" for i, h in enumerate(dims)}

        def aggregate(column: str, how: str):
            def agg(keys: list[str]):
                expr = SQL_AGGS[how].format(v=column)
                if not keys:
                    got = runner.fetch(f"SELECT {expr} AS v FROM pivot_rows")["v"].iloc[0]
                    return float("nan") if pd.isna(got) else float(got)
                group = ", ".join(position[k] for k in keys)
                got = runner.fetch(f"SELECT {group}, {expr} AS v FROM pivot_rows GROUP BY {group}")
                index = (pd.MultiIndex.from_frame(got[[position[k] for k in keys]].astype("str"), names=keys)
                         if len(keys) > 1 else pd.Index(got[position[keys[0]]].astype("str"), name=keys[0]))
                return pd.Series(got["v"].to_numpy(dtype="float64"), index=index).sort_index()

            from ..pivot.table import aggregate_cells

            return aggregate_cells(agg, row_names, col_name)

        return shape_pivot(aggregate, specs, measures, formats, row_names=row_names, col_name=col_name,
                           dates=dates, totals=totals, order=None, notes=notes, cols=cols)
