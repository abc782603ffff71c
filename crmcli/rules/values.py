"""Column values as the checks read them: whole columns as pyarrow/numpy arrays, never a loop per row."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..fields import Normalized, normalize_field

_DAY_NS = 86_400 * 10**9


def text_of(series: pd.Series) -> pa.Array:
    """A text column as one pyarrow large_string array, nulls as ""."""
    arr = series.array.__arrow_array__() if hasattr(series.array, "__arrow_array__") else None
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return pa.array(series.astype("str").fillna("").tolist(), type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def blank_of(arr: pa.Array) -> np.ndarray:
    """Where a text array is empty."""
    return np.asarray(pc.equal(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False), dtype=bool)


def numbers_of(res: Normalized) -> np.ndarray:
    """An amount/number column's parsed values as float64 (NaN where empty or invalid)."""
    return pd.to_numeric(pd.Series(res.parsed), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def days_of(res: Normalized) -> np.ndarray:
    """A date column as float days since 1970-01-01 (with the time of day as a fraction; NaN where empty or
    invalid)."""
    stamps = pd.to_datetime(pd.Series(res.parsed), errors="coerce").to_numpy(dtype="datetime64[ns]")
    out = stamps.view("int64").astype(np.float64) / _DAY_NS
    out[np.isnat(stamps)] = np.nan
    return out


def day_number(day) -> float:
    """A date as days since 1970-01-01."""
    return float((np.datetime64(day, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64))


def days_text(days: np.ndarray) -> pa.Array:
    """Days since 1970 as ``YYYY-MM-DD`` text."""
    stamps = (np.floor(days).astype(np.int64)).astype("datetime64[D]")
    return pa.array(np.datetime_as_string(stamps, unit="D"), type=pa.large_string())


def numbers_text(values: np.ndarray) -> pa.Array:
    """Numbers as short text (``598``, ``0.3``): rounded to 6 decimals."""
    rounded = np.round(values.astype(np.float64), 6)
    whole = np.isfinite(rounded) & (rounded == np.round(rounded))
    out = pc.cast(pa.array(rounded), pa.large_string())
    ints = pc.cast(pa.array(np.where(whole, rounded, 0).astype(np.int64)), pa.large_string())
    return pc.if_else(pa.array(whole), ints, out)


def column_values(table, typed: Mapping[str, str]) -> dict[str, Normalized]:
    """``{header: Normalized}``: the table's normalized columns, and the unmapped ``typed`` columns
    (header -> kind) normalized here for their rules (each time: a batch is normalized on its own)."""
    out = dict(table.normalized)
    for header, kind in typed.items():
        if header not in out:
            out[header] = normalize_field(table.frame[header], kind, region=table.region, dayfirst=table.dayfirst)
    return out


def value_text(table, cols: Mapping[str, Normalized], header: str) -> pa.Array:
    """A column's values as the checks compare them: normalized where mapped or typed, trimmed otherwise."""
    res = cols.get(header)
    if res is not None:
        return text_of(res.values)
    return pc.utf8_trim_whitespace(text_of(table.frame[header]))


def checked_rows(table) -> np.ndarray:
    """The rows the checks look at: all but the totals rows the reader flagged (合计 …)."""
    if not table.totals:
        return np.ones(len(table), dtype=bool)
    return ~table.frame.index.isin(list(table.totals))
