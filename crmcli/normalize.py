"""Normalize: read → map → normalize, once, into the :class:`~crmcli.table.Table` every stage takes.

:func:`normalize_table` is the one way a stage gets its input: a path, ``"-"``, bytes or a
``read_table`` frame is read (:class:`~crmcli.options.ReadOptions`), its columns mapped onto
canonical fields (confirmed by content: :func:`~crmcli.schema.map_table`) and every mapped column
normalized by the field layer (:func:`normalize_columns`; phones with each row's own country when
the table has a country column). A :class:`~crmcli.table.Table` passes through unchanged, so a
stage handed one never reads or normalizes again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from .fields import Normalized, kind_of, normalize_field, warm_up
from .schema import ColumnMap, column_for, map_table
from .table import Table


def normalize_table(source: Any, *, read: Any = None, overrides: Mapping[str, str] | None = None,
                    mapping: Mapping[str, str] | None = None, region: str = "CN", dayfirst: bool | None = None,
                    progress: Callable[[int, int, str], None] | None = None,
                    count_changes: bool = False, unique: Iterable[str] | None = None) -> Table:
    """The :class:`Table` of ``source`` (read, mapped with ``overrides`` = ``{field: column}`` — or exactly
    ``mapping`` = ``{header: field}`` when given — and normalized with ``region`` and ``dayfirst``); a Table is
    returned as it is.

    ``unique`` (default: the fields that must not repeat, see :func:`crmcli.validate.default_unique`) are
    sorted alongside for the duplicate checks; ``count_changes`` counts each column's changed values;
    ``progress(done, total, column)`` is called as columns are started.
    """
    if isinstance(source, Table):
        return source
    from .io import read_input, source_info
    from .validate import default_unique

    df = read_input(source, read)
    columns = map_table(df.columns, overrides, data=df) if mapping is None else \
        ColumnMap({h: f for h, f in mapping.items() if h in df.columns})
    unique = default_unique(columns.mapping) if unique is None else tuple(unique)
    normalized = normalize_columns(df, columns.mapping, region=region, dayfirst=dayfirst, progress=progress,
                                   count_changes=count_changes, unique=unique)
    return Table(frame=df, columns=columns, normalized=normalized, source=source_info(df), region=region,
                 dayfirst=dayfirst)


#: Rows above which a table's columns are normalized on two threads (pyarrow and numpy
#: release the GIL for the column-wide passes that dominate).
PARALLEL_ROWS = 50_000


def normalize_columns(df: pd.DataFrame, mapping: Mapping[str, str], *, region: str = "CN",
                    dayfirst: bool | None | Mapping[str, bool | None] = None,
                    progress: Callable[[int, int, str], None] | None = None,
                    count_changes: bool = False, unique: Iterable[str] = ()) -> dict[str, Normalized]:
    """``{header: Normalized}`` for every mapped column (unmapped columns are left alone).

    ``progress(done, total, column)`` is called as columns are started (from this thread).
    Work the caller will need next can be done alongside, on big tables in the worker
    threads: ``count_changes`` counts each column's changed values (``Normalized.changed``),
    ``unique`` (fields) sorts those columns for the duplicate checks. ``dayfirst`` may be
    ``{column: dayfirst}`` (a column read in parts keeps the order decided for the whole of it).
    """
    cols = [c for c in mapping if c in df.columns]
    sort_cols = {column_for(mapping, f) for f in unique} & set(cols)
    regions = phone_regions(df, mapping, region)

    def one(col: str) -> Normalized:
        order = dayfirst.get(col) if isinstance(dayfirst, Mapping) else dayfirst
        res = normalize_field(df[col], kind_of(mapping[col]), region=region, dayfirst=order,
                              regions=regions if kind_of(mapping[col]) == "phone" else None)
        if count_changes:
            res.changed(df[col])
        return res

    if len(df) < PARALLEL_ROWS or len(cols) < 2 or (os.cpu_count() or 1) < 2:
        normalized: dict[str, Normalized] = {}
        for i, col in enumerate(cols):
            if progress:
                progress(i, len(cols), str(col))
            normalized[col] = one(col)
        for col in sort_cols:
            normalized[col]._first = first_rows(normalized[col].values)
        return normalized
    warm_up(region)

    def sorted_after(col: str, future: Future) -> Normalized:
        res = future.result()
        res._first = first_rows(res.values)
        return res

    # the slowest kinds first, so that the threads finish together (cutting a column in parts
    # for the threads was tried: slower, the extra copies cost more than they saved)
    cost = {"phone": 0, "date": 1, "email": 2, "amount": 3, "number": 4, "id": 5, "text": 6}
    ordered = sorted(cols, key=lambda c: cost.get(kind_of(mapping[c]), 9))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {col: pool.submit(one, col) for col in ordered}
        for col in ordered:
            if col in sort_cols:
                futures[col] = pool.submit(sorted_after, col, futures[col])
        for i, col in enumerate(ordered):
            if progress:
                progress(i, len(cols), str(col))
            futures[col].result()
        return {col: futures[col].result() for col in cols}


def phone_regions(df: pd.DataFrame, mapping: Mapping[str, str], region: str):
    """Each row's phone region from the table's country column (``Billing Country`` = United
    Kingdom → GB; blank or unknown → ``region``), or None when no country column is mapped."""
    from .fields import row_regions

    col = column_for(mapping, "country")
    if col is None or col not in df.columns or column_for(mapping, "phone") is None:
        return None
    return row_regions(df[col], region)




def first_rows(values: pd.Series) -> np.ndarray:
    """For each position, the position of the first row holding the same value (itself when
    it is the first): one stable sort, faster than hashing strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(values)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    arr = getattr(values.array, "_pa_array", None)
    if arr is None or arr.null_count:
        codes = pd.factorize(values.astype("str").fillna(""))[0]
        first_of_code = np.empty(codes.max() + 1, dtype=np.int64)
        first_of_code[codes[::-1]] = np.arange(n - 1, -1, -1)   # the last write (the first row) wins
        return first_of_code[codes]
    order = pc.sort_indices(arr).to_numpy(zero_copy_only=False).astype(np.int64)
    ordered = arr.take(pa.array(order))
    same = pc.equal(ordered.slice(1), ordered.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    starts = np.concatenate(([True], ~np.asarray(same, dtype=bool)))
    group = np.cumsum(starts) - 1
    first = np.empty(n, dtype=np.int64)
    first[order] = order[np.flatnonzero(starts)][group]   # the stable sort puts each group's first row first
    return first
