"""The pivot's shape from its aggregates, whatever engine computed them: cells rows × columns, totals
from the rows, shown values, (blank) rows last, number formats."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..formats import COUNT
from .spec import BLANK, MAX_CELLS, MAX_COLUMNS, SHOW_FORMATS, TOTAL, Pivot, ValueSpec


def shape_pivot(aggregate, specs: list[ValueSpec], measures: list[tuple[str, str, str]],
                formats: list[tuple[str, bool]], *, row_names: list[str], col_name: str | None, dates: list[str],
                totals: bool, order: list | None, notes: list[str], cols: str | None) -> Pivot:
    """The pivot from its aggregates, whatever engine computed them: ``aggregate(column, how)`` gives
    (cells, row totals, column totals, grand total) as :func:`aggregate_cells` does; shown values, totals
    row, number formats and row order are the same for every engine."""
    from .show import show_values

    base, groups = _base(row_names, col_name, dates)
    parts: list[pd.DataFrame] = []
    total_parts: dict[str, float] = {}
    value_cols: list[str] = []
    number_formats: dict[str, str] = {}
    money_cols: set[str] = set()
    several = len(specs) > 1
    for (column, how, label), spec, (fmt, money) in zip(measures, specs, formats):
        cells, rtot, ctot, grand = aggregate(column, how)
        if spec.show:
            if spec.show == "running" and how not in ("sum", "count"):
                raise UsageError(f"{{opt:show}} running needs a sum or a count, not a {how}", option="show")
            cells, rtot, ctot, grand = show_values(spec.show, cells, rtot, ctot, grand, base=base,
                                                   groups=groups, additive=how in ("sum", "count"))
            label = f"{label} ({spec.show})"
            money = money and spec.show not in SHOW_FORMATS
            fmt = SHOW_FORMATS.get(spec.show, fmt)
        if how in ("count", "nunique") and spec.show not in SHOW_FORMATS:
            fmt, money = COUNT, False
        if col_name is None:
            names = [label]
            block = cells.set_axis(names, axis=1)
            tot_row = {label: grand}
        else:
            names = [_named(c, label, several) for c in cells.columns]
            block = cells.set_axis(names, axis=1)
            tot_row = {_named(c, label, several): v for c, v in ctot.items()}
            if totals:
                tname = _named(TOTAL, label, several)
                block[tname] = rtot
                names.append(tname)
                tot_row[tname] = grand
        parts.append(block)
        total_parts.update(tot_row)
        value_cols += names
        number_formats.update(dict.fromkeys(names, fmt))
        if money:
            money_cols.update(names)
    body = pd.concat(parts, axis=1).reset_index()
    if col_name is not None:
        n_cols = len(value_cols) + len(row_names)
        if n_cols > MAX_COLUMNS:
            raise UsageError(f"the pivot would be {len(body):,} rows × {n_cols:,} columns: {cols} has too many "
                             f"distinct values for {{opt:cols}}",
                             hint=f"at most {MAX_COLUMNS - len(row_names) - 1:,} columns and {MAX_CELLS:,} cells; "
                                  "use a field with fewer values, or put it in {opt:rows}")
    if totals:
        total = {n: "" for n in row_names}
        total[row_names[0]] = TOTAL
        total.update(total_parts)
        body = pd.concat([body, pd.DataFrame([total])], ignore_index=True)
    for c in value_cols:
        body[c] = body[c].astype("float64")
        if c in money_cols:
            body[c] = body[c].round(2)  # money in cents
    body = _ordered_rows(body, row_names, totals, order)
    for n in row_names:
        body[n] = body[n].astype("str")
    return Pivot(body, value_cols, number_formats[value_cols[0]], notes, number_formats)


def _named(col: object, label: str, several: bool) -> str:
    """A value column's name: the --cols value (``2024Q1``), or with several values ``label | 2024Q1``."""
    return f"{label} | {col}" if several else str(col)


def _base(row_names: list[str], col_name: str | None, dates: list[str]) -> tuple[str, list[str]]:
    """Where running totals and differences go: along the date field, else along --cols, else down the
    rows (the last row field; the other row fields group them)."""
    if col_name is not None and (col_name in dates or not any(d in row_names for d in dates)):
        return "cols", []
    field_ = next((d for d in row_names if d in dates), row_names[-1])
    return "rows", [n for n in row_names if n != field_]


def aggregate_cells(agg, row_names: list[str], col_name: str | None
                    ) -> tuple[pd.DataFrame, pd.Series | None, pd.Series, float]:
    """(cells rows × cols, row totals, column totals, grand total) from ``agg(keys)``: the value grouped by
    ``keys`` (a float Series indexed by them, sorted) or, for no keys, over every row (a float)."""
    if col_name is None:
        cells = _blank_last(agg(row_names)).to_frame("_")
        return cells, None, pd.Series({"_": agg([])}), agg([])
    grouped = agg(row_names + [col_name])
    n_cols = grouped.index.get_level_values(col_name).nunique(dropna=False)
    n_rows = grouped.index.droplevel(col_name).nunique() if len(row_names) > 1 else \
        grouped.index.get_level_values(row_names[0]).nunique(dropna=False)
    if n_cols + len(row_names) + 1 > MAX_COLUMNS or n_rows * n_cols > MAX_CELLS:
        raise UsageError(f"the pivot would be {n_rows:,} rows × {n_cols:,} columns: {col_name} has too many "
                         f"distinct values for {{opt:cols}}",
                         hint=f"at most {MAX_COLUMNS - len(row_names) - 1:,} columns and {MAX_CELLS:,} cells; "
                              "use a field with fewer values, or put it in {opt:rows}")
    cells = grouped.unstack(col_name)
    cells.columns = [str(c) for c in cells.columns]
    cells = cells[[c for c in cells.columns if c != BLANK] + [c for c in cells.columns if c == BLANK]]
    ctot = agg([col_name])
    ctot.index = [str(c) for c in ctot.index]
    cells = _blank_last(cells)
    return cells, agg(row_names).reindex(cells.index), ctot.reindex(cells.columns), agg([])


def _blank_last(frame):
    """Rows with a (blank) label after the others, as Excel lists them (running totals and differences
    follow this order)."""
    index = frame.index
    levels = [index.get_level_values(i) for i in range(index.nlevels)]
    blank = np.zeros(len(index), dtype=bool)
    for level in levels:
        blank |= np.asarray(level.astype("str") == BLANK)
    return frame.iloc[np.concatenate([np.flatnonzero(~blank), np.flatnonzero(blank)])]


def _ordered_rows(body: pd.DataFrame, row_names: list[str], totals: bool, order: list | None) -> pd.DataFrame:
    """Rows labelled (blank) go after the others (before the totals row), as in Excel; with ``top``,
    the rows in ``order`` (largest first, then Other)."""
    n = len(body) - (1 if totals else 0)
    head, tail = body.iloc[:n], body.iloc[n:]
    if order is not None:
        keys = [tuple(r) if len(row_names) > 1 else r[0] for r in head[row_names].itertuples(index=False)]
        rank = {k: i for i, k in enumerate(order)}
        head = head.iloc[sorted(range(len(head)), key=lambda i: rank.get(keys[i], len(rank)))]
        return pd.concat([head, tail], ignore_index=True)
    blank = head[row_names].eq(BLANK).any(axis=1)
    return pd.concat([head[~blank], head[blank], tail], ignore_index=True)
