"""Excel-style pivot tables: rows × columns of aggregated values, with totals.

Fields are named by canonical field (``amount``) or by header (``金额``). Each used column
is typed on purpose through the field layer: amounts/numbers parsed for sum/mean/min/max,
dates bucketed into periods with ``by``, text normalized (so ``天猫`` and `` 天猫 `` are
one row). Totals are computed from the underlying rows (a mean's total is the mean of all
rows, a nunique's total counts distinct values overall), as Excel does.

Money pivots (``values`` = the amount field) follow the order rules of
:func:`crmcli.orders.prepare_orders` when the table is an orders table (it has an order
date): each row's amount is its share of its order's net amount — an order-level total
counted once, refunds netted — and the rows of orders the rules leave out (unpaid,
cancelled, refunded, a repeated export row) are not summed, so the Total equals
``crm metrics``' revenue for the rows that have a date and a customer. Without an amount
column, amount = unit price × quantity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..formats import COUNT, MONEY, NUMBER
from ..metrics.kpis import PERIODS, check_period
from ..normalize import normalize_table
from ..table import Table
from .shape import aggregate_cells, shape_pivot
from .spec import BLANK, ORDER_RULE_REASONS, OTHER, Pivot, ValueSpec, field_kind, parse_values, resolve_column


class _Rows(NamedTuple):
    values: pd.Series
    parsed: pd.Series


def _normalized(t: Table, series: pd.Series, kind: str):
    """``series`` (a column of ``t``, maybe fewer rows) normalized as ``kind``: the table's own values when it
    normalized the column as that kind, else normalized now."""
    from ..fields import kind_of, normalize_field

    header = series.name
    if header in t.normalized and kind_of(t.mapping[header]) == kind:
        res = t.normalized[header]
        return _Rows(res.values.loc[series.index], res.parsed.loc[series.index])
    return normalize_field(series, kind, region=t.region, dayfirst=t.dayfirst)


def _dimension(t: Table, table: pd.DataFrame, header: str, field_name: str | None, by: str | None,
               notes: list[str]) -> tuple[pd.Series, bool]:
    """The labels of one row/column dimension, and whether it was a date bucketed by ``by``."""
    kind = field_kind(field_name)
    if kind == "date":
        res = _normalized(t, table[header], "date")
        if by:
            per = res.parsed.dt.to_period(PERIODS[by])
            labels = per.astype("str").where(res.parsed.notna(), "")
            bad = int(((res.parsed.isna()) & (table[header].astype("str").str.strip() != "")).sum())
            if bad:
                notes.append(f"{bad} row(s) with an invalid {header} date are under {BLANK}")
            return labels.astype("str"), True
        return res.values.astype("str"), False
    if kind in ("phone", "email", "id", "text"):
        return _normalized(t, table[header], kind).values.astype("str"), False
    return table[header].astype("str").str.strip(), False


def pivot_table(table: pd.DataFrame | str, *, rows: Sequence[str], cols: str | None = None,
                values: str | Sequence[str] | None = None, agg: str = "sum", by: str | None = None,
                totals: bool = True, show: str | None = None, where: str | Sequence[str] | None = None,
                top: int | None = None, overrides: Mapping[str, str] | None = None, region: str = "CN",
                dayfirst: bool | None = None, read: object = None,
                statuses: Mapping[str, str] | None = None, engine: str | None = None,
                engine_options: Mapping[str, object] | None = None) -> Pivot:
    """Pivot ``table`` (text as read by ``read_table``): one row per ``rows`` combination, one
    column per ``cols`` value (or one value column), cells = ``agg`` of ``values``.

    ``values`` defaults to counting rows (``agg`` sum or count); several values are
    ``["amount:sum", "order_id:nunique"]`` (``FIELD[:AGG[:SHOW]]``, see :func:`parse_values`).
    ``show`` shows the values as Excel's "Show Values As" does (:mod:`crmcli.pivot.show`):
    ``row% col% total% rank running index diff-prev pct-diff-prev``. ``where`` keeps the rows
    meeting every condition (``"channel=天猫"``, ``"amount>=100 AND city in [上海, 杭州]"``; fields
    typed by the field layer, see :mod:`crmcli.conditions`). ``top`` keeps the N rows with the
    largest first value and puts the rest in one ``Other`` row, computed from their rows.
    ``table`` may be a path or ``"-"`` (read with ``read``, a :class:`~crmcli.options.ReadOptions`).
    ``by`` (month/quarter/year) buckets the date fields among ``rows``/``cols``; when none is a
    date, the order date (else the first date field) becomes ``cols``. Totals row and column
    (computed from the rows, as Excel does) unless ``totals=False``.
    ``engine`` (``pandas`` default, ``duckdb``, ``spark``, ``auto``): the rows grouped there
    (:mod:`crmcli.engines.pivot_sql`: the order fields and amounts; ``where``/``top`` run on pandas).
    """
    from ..engines import ENGINE_BIG_BYTES, analytics_engine

    options = dict(engine_options or {})
    big = options.pop("big", ENGINE_BIG_BYTES)
    where_run = analytics_engine(engine, table, big=big)
    if where_run != "pandas":
        from ..engines.pivot_sql import engine_can_pivot, head_table, pivot_with_engine

        head = head_table(table, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
        why = engine_can_pivot(head, rows=rows, cols=cols, values=values, agg=agg, by=by, where=where, top=top)
        if why:
            where_run = analytics_engine(engine, table, big=big, supported=False, what=why)
    if where_run != "pandas":
        return pivot_with_engine(table, engine=where_run, options=options, rows=rows, cols=cols, values=values,
                                 agg=agg, by=by, totals=totals, show=show, overrides=overrides, region=region,
                                 dayfirst=dayfirst, read=read, statuses=statuses)
    t = normalize_table(table, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
    specs = parse_values(values, agg, show)
    check_period(by)
    if top is not None and top < 1:
        raise UsageError(f"{{opt:top}} {top!r} must be at least 1", option="top")
    rows = [r for r in (rows or []) if r.strip()]
    if not rows:
        raise UsageError("{opt:rows} needs at least one field", hint="e.g. {opt:rows} channel", option="rows")
    from ..conditions import parse_conditions

    conditions = parse_conditions(where)
    notes: list[str] = []
    total_rows = list(t.totals)  # a 合计 row counted again would double the Total
    table = t.frame.drop(index=total_rows) if total_rows else t.frame
    if total_rows:
        notes.append(f"{len(total_rows)} totals row(s) left out (row {', '.join(map(str, total_rows[:5]))})")
    columns = [str(c) for c in table.columns]
    cmap = t.columns
    mapping = cmap.mapping
    notes.extend(cmap.notes())
    row_heads = [resolve_column(r, columns, mapping) for r in rows]
    col_head = resolve_column(cols, columns, mapping) if cols else None
    if by:
        dims = row_heads + ([col_head] if col_head else [])
        if not any(field_kind(f) == "date" for _, f in dims):
            if col_head:
                raise UsageError(f"{{opt:by}} {by} needs a date field among {{opt:rows}}/{{opt:cols}}",
                                 hint="e.g. {opt:cols} order_date {opt:by} month")
            date_heads = [h for h, f in mapping.items() if f == "order_date"] or [
                h for h, f in mapping.items() if field_kind(f) == "date"]
            if not date_heads:
                raise UsageError(f"{{opt:by}} {by}: the table has no date column",
                                 hint="map one with {opt:map} order_date=COLUMN")
            col_head = (date_heads[0], mapping[date_heads[0]])

    frame = pd.DataFrame(index=table.index)
    dim_names: list[str] = []
    dates: list[str] = []
    for header, fname in row_heads + ([col_head] if col_head else []):
        labels, bucketed = _dimension(t, table, header, fname, by, notes)
        frame[header] = labels.where(labels != "", BLANK)
        dim_names.append(header)
        if field_kind(fname) == "date":
            dates.append(header)
    row_names = dim_names[: len(row_heads)]
    col_name = dim_names[len(row_heads)] if col_head else None
    if col_name in row_names:
        raise UsageError(f"{col_name!r} is both in {{opt:rows}} and {{opt:cols}}")

    ruled: list = []
    measures: list[tuple[str, str, str]] = []  # (column in frame, agg, label) per spec
    formats: list[tuple[str, bool]] = []  # (number format, money: rounded to cents) per spec
    for k, spec in enumerate(specs):
        column, label, fmt, money = _value_column(t, table, spec, k, columns, mapping, frame, statuses, notes,
                                                  ruled)
        measures.append((column, spec.agg, label))
        formats.append((fmt, money))
    if ruled:
        frame = frame[~frame.index.isin(ruled)]  # rows of orders the rules leave out: not in the pivot
    if conditions:
        keep = _where(t, table.loc[frame.index], conditions, columns, mapping)
        notes.append(f"where {' AND '.join(map(str, conditions))}: {int(keep.sum()):,} of {len(keep):,} rows")
        frame = frame[keep]
    order = None
    if top is not None:
        frame, order = _top_rows(frame, row_names, measures[0], top)

    return shape_pivot(lambda column, how: _aggregate(frame, row_names, col_name, column, how), specs, measures,
                       formats, row_names=row_names, col_name=col_name, dates=dates, totals=totals, order=order,
                       notes=notes, cols=cols)


def _value_column(t: Table, table: pd.DataFrame, spec: ValueSpec, k: int, columns: list[str],
                  mapping: Mapping[str, str], frame: pd.DataFrame, statuses, notes: list[str],
                  ruled: list) -> tuple[str, str, str, bool]:
    """Put the ``k``-th value's series in ``frame``; (its column, its label, its number format, whether it is
    money)."""
    name = f"_v{k}"
    agg = spec.agg
    if spec.field is None:
        frame[name] = 1.0
        return name, f"{agg} of rows", COUNT, False
    values = spec.field.strip()
    if values == "amount" and "amount" not in mapping.values() and "unit_price" in mapping.values():
        if agg in ("count", "nunique"):
            raise UsageError("no column is mapped to amount: it is unit price × quantity, which has no values to "
                             "count", hint="{opt:agg} sum, mean, min or max")
        frame[name] = _order_amounts(t, table, None, statuses, notes, ruled)
        return name, f"{agg} of amount", MONEY, True
    vhead, vfield = resolve_column(values, columns, mapping)
    raw = table[vhead].astype("str").str.strip()
    kind = field_kind(vfield)
    if agg in ("count", "nunique"):
        text = _normalized(t, table[vhead], kind).values if kind != "amount" else raw
        frame[name] = text.where(text != "", None)
        return name, f"{agg} of {vhead}", COUNT, False
    res = _normalized(t, table[vhead], "number" if kind == "number" else "amount")
    frame[name] = res.parsed.astype("float64")
    bad = int((frame[name].isna() & (raw != "")).sum())
    if bad:
        notes.append(f"{bad} row(s) with a non-numeric {vhead} left out of the {agg}")
    if vfield == "amount":
        frame[name] = _order_amounts(t, table, frame[name], statuses, notes, ruled)
    money = kind == "amount" or vfield is None
    return name, f"{agg} of {vhead}", MONEY if money else NUMBER, money


def _where(t: Table, table: pd.DataFrame, conditions, columns: list[str], mapping: Mapping[str, str]) -> np.ndarray:
    """Rows meeting every condition, each field typed by the field layer (dates as dates, money and
    numbers as numbers, phones/emails/text normalized)."""
    from ..conditions import compare
    from ..fields import normalize_field

    def typed(values: tuple[str, ...], kind: str):
        return normalize_field(pd.Series(values, dtype="str"), kind, region=t.region, dayfirst=t.dayfirst)

    keep = np.ones(len(table), dtype=bool)
    for cond in conditions:
        header, fname = resolve_column(cond.field, columns, mapping)
        kind = field_kind(fname)
        if kind in ("date", "amount", "number"):
            cells = _normalized(t, table[header], kind).parsed
            target = typed(cond.values, kind)
            if target.parsed.isna().any():
                bad = [v for v, p in zip(cond.values, target.parsed) if pd.isna(p)]
                raise UsageError(f"{{opt:where}} {cond}: {bad[0]!r} is not a {kind} (the {header} column holds "
                                 f"{kind}s)", option="where",
                                 hint="dates as YYYY-MM-DD, numbers as 100 or 1.2万")
            targets = list(target.parsed)
            if kind == "date":
                cells = pd.to_datetime(cells)
                targets = [pd.Timestamp(t) for t in targets]
            else:
                cells = cells.astype("float64")
        else:
            cells = _normalized(t, table[header], kind).values.astype("str")
            targets = list(typed(cond.values, kind).values)
        keep &= compare(cells, cond.op, targets)
    return keep


def _top_rows(frame: pd.DataFrame, row_names: list[str], measure: tuple[str, str, str], top: int
              ) -> tuple[pd.DataFrame, list]:
    """The ``top`` row combinations by the first value; every other row relabelled ``Other``."""
    column, how, _ = measure
    score = frame.groupby(row_names, sort=True, dropna=False)[column].agg(_agg_arg(how)).astype("float64")
    ranked = score.sort_values(ascending=False, kind="stable", na_position="last")
    kept = list(ranked.index[:top])
    if len(ranked) <= top:
        return frame, kept
    keys = pd.MultiIndex.from_frame(frame[row_names]) if len(row_names) > 1 else pd.Index(frame[row_names[0]])
    inside = keys.isin(kept)
    frame = frame.copy()
    frame.loc[~inside, row_names[0]] = OTHER
    for n in row_names[1:]:
        frame.loc[~inside, n] = ""
    other = OTHER if len(row_names) == 1 else (OTHER, *[""] * (len(row_names) - 1))
    return frame, kept + [other]


def _aggregate(frame: pd.DataFrame, row_names: list[str], col_name: str | None, column: str, how: str
               ) -> tuple[pd.DataFrame, pd.Series | None, pd.Series, float]:
    """(cells rows × cols, row totals, column totals, grand total), every total from the rows."""
    def agg(keys: list[str]):
        if not keys:
            return float(_apply(frame[column], how))
        return frame.groupby(keys, sort=True, dropna=False)[column].agg(_agg_arg(how)).astype("float64")

    return aggregate_cells(agg, row_names, col_name)


def _order_amounts(t: Table, table: pd.DataFrame, parsed: pd.Series | None, statuses: Mapping[str, str] | None,
                   notes: list[str], ruled_out: list | None = None) -> pd.Series:
    """Each row's amount by the order rules (see the module docstring); ``parsed`` = the rows'
    own parsed amounts (None: unit price × quantity), kept where the rules have no say. The rows
    the rules leave out are appended to ``ruled_out``."""
    from ..orders import prepare_orders

    if parsed is None:
        by_field = {f: h for h, f in t.mapping.items()}
        price = _normalized(t, table[by_field["unit_price"]], "amount").parsed.astype("float64")
        qty = _normalized(t, table[by_field["quantity"]], "number").parsed.astype("float64").fillna(1.0) \
            if "quantity" in by_field else 1.0
        parsed = (price * qty).round(2)
        notes.append("no amount column: amount = unit_price × quantity")
    try:
        p = prepare_orders(t, statuses=statuses)
    except UsageError:  # not an orders table (no order date): the rows as they are
        return parsed
    out = parsed.astype("float64").copy()
    kept = p.lines.index.isin(out.index)  # the pivot's rows: the table less its totals rows
    out.loc[p.lines.index[kept]] = p.lines["amount"].to_numpy()[kept]
    ruled = p.left_out[p.left_out.isin(ORDER_RULE_REASONS) & p.left_out.index.isin(out.index)]
    out.loc[ruled.index] = float("nan")
    if ruled_out is not None:
        ruled_out.extend(ruled.index)
    notes.extend(n for n in p.notes if n.startswith(("left out:", "amount:", "unknown order status")) or
                 "order-level amount" in n or "credit note" in n)
    if len(ruled):
        counts = ruled.value_counts()
        notes.append("order rules: " + ", ".join(f"{n} {r} row(s)" for r, n in counts.items())
                     + " left out of the amount")
    return out


def _agg_arg(agg: str):
    return {"count": "count", "nunique": "nunique"}.get(agg, agg)


def _apply(s: pd.Series, agg: str) -> float:
    return getattr(s, _agg_arg(agg))()
