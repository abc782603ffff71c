"""Excel-style pivot tables: rows × columns of one aggregated value, with totals.

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
from dataclasses import dataclass, field

import pandas as pd

from .errors import UsageError
from .formats import COUNT, MONEY, NUMBER
from .metrics.kpis import PERIODS
from .normalize import normalize_table
from .schema import FIELDS, header_key
from .table import Table

AGGS = ("sum", "count", "mean", "nunique", "min", "max")
TOTAL = "Total"
BLANK = "(blank)"
#: Bounded work: a --cols field with more values than an Excel sheet has columns, or a grid of more
#: cells than this, is refused (a 100,000-row file pivoted on two id columns would be 10^10 cells).
MAX_COLUMNS = 16_384
MAX_CELLS = 10_000_000


@dataclass
class Pivot:
    table: pd.DataFrame
    value_columns: list[str]          # the numeric columns (cells and totals)
    number_format: str                # Excel number format for those columns
    notes: list[str] = field(default_factory=list)


#: Left-out reasons of prepare_orders that are order rules (a pivot leaves those rows out too);
#: rows it leaves out for a missing date or customer are still rows of the pivot.
ORDER_RULE_REASONS = ("totals-row", "duplicate-row", "unpaid", "cancelled", "refunded")


def _resolve(name: str, columns: list[str], mapping: Mapping[str, str]) -> tuple[str, str | None]:
    """(header, canonical field or None) for a field name or a header."""
    name = name.strip()
    by_field = {f: h for h, f in mapping.items()}
    if name in by_field:
        return by_field[name], name
    if name in columns:
        return name, mapping.get(name)
    keyed = [c for c in columns if header_key(c) == header_key(name)]
    if len(keyed) == 1:
        return keyed[0], mapping.get(keyed[0])
    if name in FIELDS:
        raise UsageError(f"no column is mapped to the field {name!r}",
                         hint=f"map one with --map {name}=COLUMN; columns: " + ", ".join(columns[:20]))
    raise UsageError(f"no field or column named {name!r}", hint="columns: " + ", ".join(columns[:20]))


def _kind(field_name: str | None) -> str:
    from .fields import FIELD_KINDS

    return FIELD_KINDS.get(field_name, "text") if field_name else "text"


class _Rows(NamedTuple):
    values: pd.Series
    parsed: pd.Series


def _normalized(t: Table, series: pd.Series, kind: str):
    """``series`` (a column of ``t``, maybe fewer rows) normalized as ``kind``: the table's own values when it
    normalized the column as that kind, else normalized now."""
    from .fields import kind_of, normalize_field

    header = series.name
    if header in t.normalized and kind_of(t.mapping[header]) == kind:
        res = t.normalized[header]
        return _Rows(res.values.loc[series.index], res.parsed.loc[series.index])
    return normalize_field(series, kind, region=t.region, dayfirst=t.dayfirst)


def _dimension(t: Table, table: pd.DataFrame, header: str, field_name: str | None, by: str | None,
               notes: list[str]) -> tuple[pd.Series, bool]:
    """The labels of one row/column dimension, and whether it was a date bucketed by ``by``."""
    kind = _kind(field_name)
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


def pivot_table(table: pd.DataFrame | str, *, rows: Sequence[str], cols: str | None = None, values: str | None = None,
                agg: str = "sum", by: str | None = None, totals: bool = True,
                overrides: Mapping[str, str] | None = None, region: str = "CN",
                dayfirst: bool | None = None, read: object = None,
                statuses: Mapping[str, str] | None = None) -> Pivot:
    """Pivot ``table`` (text as read by ``read_table``): one row per ``rows`` combination, one
    column per ``cols`` value (or one value column), cells = ``agg`` of ``values``.

    ``values`` defaults to counting rows (``agg`` sum or count). ``table`` may be a path or
    ``"-"`` (read with ``read``, a :class:`~crmcli.options.ReadOptions`). ``by`` (month/quarter/year) buckets the date fields
    among ``rows``/``cols``; when none is a date, the order date (else the first date field)
    becomes ``cols``. Returns a :class:`Pivot`; totals row and column unless ``totals=False``.
    """
    t = normalize_table(table, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
    agg = agg.lower()
    if agg not in AGGS:
        raise UsageError(f"--agg {agg!r} is not one of " + ", ".join(AGGS))
    if by is not None and by not in PERIODS:
        raise UsageError(f"--by {by!r} is not month, quarter or year")
    rows = [r for r in (rows or []) if r.strip()]
    if not rows:
        raise UsageError("--rows needs at least one field", hint="e.g. --rows channel")
    notes: list[str] = []
    total_rows = list(t.totals)  # a 合计 row counted again would double the Total
    table = t.frame.drop(index=total_rows) if total_rows else t.frame
    if total_rows:
        notes.append(f"{len(total_rows)} totals row(s) left out (row {', '.join(map(str, total_rows[:5]))})")
    columns = [str(c) for c in table.columns]
    cmap = t.columns
    mapping = cmap.mapping
    notes.extend(cmap.notes())
    row_heads = [_resolve(r, columns, mapping) for r in rows]
    col_head = _resolve(cols, columns, mapping) if cols else None
    if by:
        dims = row_heads + ([col_head] if col_head else [])
        if not any(_kind(f) == "date" for _, f in dims):
            if col_head:
                raise UsageError(f"--by {by} needs a date field among --rows/--cols",
                                 hint="e.g. --cols order_date --by month")
            date_heads = [h for h, f in mapping.items() if f == "order_date"] or [
                h for h, f in mapping.items() if _kind(f) == "date"]
            if not date_heads:
                raise UsageError(f"--by {by}: the table has no date column",
                                 hint="map one with --map order_date=COLUMN")
            col_head = (date_heads[0], mapping[date_heads[0]])

    frame = pd.DataFrame(index=table.index)
    dim_names: list[str] = []
    for header, fname in row_heads + ([col_head] if col_head else []):
        labels, _ = _dimension(t, table, header, fname, by, notes)
        frame[header] = labels.where(labels != "", BLANK)
        dim_names.append(header)
    row_names = dim_names[: len(row_heads)]
    col_name = dim_names[len(row_heads)] if col_head else None
    if col_name in row_names:
        raise UsageError(f"{col_name!r} is both in --rows and --cols")

    value_label, number_format, money = "rows", COUNT, False
    if values and values.strip() == "amount" and "amount" not in mapping.values() and "unit_price" in mapping.values():
        if agg in ("count", "nunique"):
            raise UsageError("no column is mapped to amount: it is unit price × quantity, which has no values to "
                             "count", hint="--agg sum, mean, min or max")
        ruled = []
        frame["_v"] = _order_amounts(t, table, None, statuses, notes, ruled)
        frame = frame[~frame.index.isin(ruled)]
        value_label, number_format, money = "amount", MONEY, True
    elif values:
        vhead, vfield = _resolve(values, columns, mapping)
        raw = table[vhead].astype("str").str.strip()
        if agg in ("count", "nunique"):
            kind = _kind(vfield)
            text = _normalized(t, table[vhead], kind).values if kind != "amount" else raw
            frame["_v"] = text.where(text != "", None)
        else:
            kind = _kind(vfield)
            res = _normalized(t, table[vhead], "number" if kind == "number" else "amount")
            frame["_v"] = res.parsed.astype("float64")
            bad = int((frame["_v"].isna() & (raw != "")).sum())
            if bad:
                notes.append(f"{bad} row(s) with a non-numeric {vhead} left out of the {agg}")
            if vfield == "amount":
                ruled: list = []
                frame["_v"] = _order_amounts(t, table, frame["_v"], statuses, notes, ruled)
                frame = frame[~frame.index.isin(ruled)]  # rows of orders the rules leave out: not in the pivot
            money = kind == "amount" or vfield is None
            number_format = MONEY if money else NUMBER
        value_label = vhead
    else:
        if agg not in ("count", "sum"):
            raise UsageError(f"--agg {agg} needs --values", hint="e.g. --values amount")
        agg = "count"  # without --values: count rows
        frame["_v"] = 1.0
    label = f"{agg} of {value_label}"

    def aggregate(keys: list[str]) -> pd.Series | float:
        if not keys:
            s = frame["_v"]
            return float(_apply(s, agg))
        return frame.groupby(keys, sort=True, dropna=False)["_v"].agg(_agg_arg(agg)).astype("float64")

    if col_name is None:
        body = aggregate(row_names).rename(label).reset_index()
        value_cols = [label]
        if totals:
            total = {n: "" for n in row_names}
            total[row_names[0]] = TOTAL
            total[label] = aggregate([])
            body = pd.concat([body, pd.DataFrame([total])], ignore_index=True)
    else:
        grouped = aggregate(row_names + [col_name])
        n_cols = grouped.index.get_level_values(col_name).nunique(dropna=False)
        n_rows = grouped.index.droplevel(col_name).nunique() if len(row_names) > 1 else \
            grouped.index.get_level_values(row_names[0]).nunique(dropna=False)
        if n_cols + len(row_names) + 1 > MAX_COLUMNS or n_rows * n_cols > MAX_CELLS:
            raise UsageError(f"the pivot would be {n_rows:,} rows × {n_cols:,} columns: {cols} has too many "
                             f"distinct values for --cols",
                             hint=f"at most {MAX_COLUMNS - len(row_names) - 1:,} columns and {MAX_CELLS:,} cells; "
                                  "use a field with fewer values, or put it in --rows")
        cells = grouped.unstack(col_name)
        cells.columns = [str(c) for c in cells.columns]
        cells = cells[[c for c in cells.columns if c != BLANK] + [c for c in cells.columns if c == BLANK]]
        value_cols = list(cells.columns)
        if totals:
            cells[TOTAL] = aggregate(row_names)
            value_cols.append(TOTAL)
        body = cells.reset_index()
        if totals:
            col_tot = aggregate([col_name])
            total = {n: "" for n in row_names}
            total[row_names[0]] = TOTAL
            for c, v in col_tot.items():
                total[str(c)] = v
            total[TOTAL] = aggregate([])
            body = pd.concat([body, pd.DataFrame([total])], ignore_index=True)
    for c in value_cols:
        body[c] = body[c].astype("float64")
        if money:
            body[c] = body[c].round(2)  # money in cents
    body = _blank_rows_last(body, row_names, totals)
    for n in row_names:
        body[n] = body[n].astype("str")
    if agg in ("count", "nunique"):
        number_format = COUNT
    return Pivot(body, value_cols, number_format, notes)


def _order_amounts(t: Table, table: pd.DataFrame, parsed: pd.Series | None, statuses: Mapping[str, str] | None,
                   notes: list[str], ruled_out: list | None = None) -> pd.Series:
    """Each row's amount by the order rules (see the module docstring); ``parsed`` = the rows'
    own parsed amounts (None: unit price × quantity), kept where the rules have no say. The rows
    the rules leave out are appended to ``ruled_out``."""
    from .orders import prepare_orders

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


def _blank_rows_last(body: pd.DataFrame, row_names: list[str], totals: bool) -> pd.DataFrame:
    """Rows labelled (blank) go after the others (before the totals row), as in Excel."""
    n = len(body) - (1 if totals else 0)
    head, tail = body.iloc[:n], body.iloc[n:]
    blank = head[row_names].eq(BLANK).any(axis=1)
    return pd.concat([head[~blank], head[blank], tail], ignore_index=True)


def _agg_arg(agg: str):
    return {"count": "count", "nunique": "nunique"}.get(agg, agg)


def _apply(s: pd.Series, agg: str) -> float:
    return getattr(s, _agg_arg(agg))()
