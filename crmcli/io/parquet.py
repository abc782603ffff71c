"""Parquet in and out.

Reading gives the same text frame as every other format (a typed column becomes the text
``read_table`` gives for such a cell: dates ISO, whole numbers without ``.0``, decimals as
written). Writing a cleaned table keeps its types (:func:`typed_schema`): dates as ``date32``
(``timestamp[s]`` when the column has times), money as ``decimal128(18, 2)``, numbers as
``float64``, phones, ids and every other column as strings. A cell that did not normalize (an
invalid date or amount) is null in its typed column; the value as written is in the issue list.
Its key-value metadata says so (:func:`cleaned_metadata`): ``crm.normalized`` and the column →
field mapping, which lets an engine take its columns as they are (:func:`cleaned_fields`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from .source import describe_error

MAGIC = b"PAR1"
#: money in a Parquet file: 16 digits and cents (what decimal(18,2) holds: ±9,999,999,999,999,999.99)
MONEY_TYPE = pa.decimal128(18, 2)
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
#: the key-value metadata of a Parquet file whose mapped columns hold the field layer's values
NORMALIZED_KEY = b"crm.normalized"
FIELDS_KEY = b"crm.fields"


def cleaned_metadata(fields: Mapping[str, str]) -> dict[bytes, bytes]:
    """The schema metadata of a cleaned table: its mapped columns (``{column: field}``) are normalized
    (text as the field layer writes it, dates/money/numbers typed, null where invalid or blank)."""
    import json

    return {NORMALIZED_KEY: b"1", FIELDS_KEY: json.dumps(dict(fields), ensure_ascii=False).encode("utf-8")}


def cleaned_fields(schema: pa.Schema) -> dict[str, str] | None:
    """``{column: field}`` of a Parquet schema :func:`cleaned_metadata` marked, else None."""
    import json

    meta = schema.metadata or {}
    if meta.get(NORMALIZED_KEY) != b"1" or FIELDS_KEY not in meta:
        return None
    try:
        fields = json.loads(meta[FIELDS_KEY].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(fields, dict):
        return None
    names = set(schema.names)
    return {str(c): str(f) for c, f in fields.items() if c in names and isinstance(f, str)}


def text_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A typed Arrow column as the text a reader gives its cells (nulls are ``""``)."""
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = arr.cast(pa.large_string())
    elif pa.types.is_timestamp(t) or pa.types.is_date64(t):
        out = timestamp_text(arr).cast(pa.large_string())
    elif pa.types.is_date32(t):
        out = pc.strftime(arr.cast(pa.timestamp("s")), format="%Y-%m-%d").cast(pa.large_string())
    elif pa.types.is_floating(t):
        out = float_text(arr)
    elif pa.types.is_boolean(t):
        out = pc.if_else(arr, pa.scalar("TRUE", pa.large_string()), pa.scalar("FALSE", pa.large_string()))
    else:
        out = arr.cast(pa.large_string())
    return pc.fill_null(out, pa.scalar("", pa.large_string()))


def timestamp_text(arr: pa.Array) -> pa.Array:
    """Timestamps (any unit; date64) as text: ``YYYY-MM-DD`` at midnight, else ``YYYY-MM-DD HH:MM:SS``
    (seconds floored, a time zone's wall clock); nulls stay null. The one rule for the dates crm reads
    from Parquet and writes to CSV (:func:`crmcli.io.write.date_text`), by Arrow's casts."""
    import pyarrow.compute as pc

    if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
        arr = pc.local_timestamp(arr)
    values = arr.to_numpy(zero_copy_only=False)   # datetime64 in the column's unit, NaT for a null
    days = values.astype("datetime64[D]")
    text = pa.array(days, from_pandas=True).cast(pa.string())
    timed = values != days
    if timed.any():
        clock = pa.array(values.astype("datetime64[s]"), from_pandas=True).cast(pa.string())
        text = pc.if_else(pa.array(timed), clock, text)
    return text


def float_text(arr: pa.Array) -> pa.Array:
    """A float column as :func:`crmcli.io.frame.cell_text` writes each value (whole numbers without
    ``.0``, others as ``repr``, NaN/infinities/nulls empty), vectorized: Arrow's shortest text is
    ``repr``'s where it has no exponent and 1e-4 <= |v| < 1e16; the few others go value by value."""
    import pyarrow.compute as pc

    from .frame import cell_text

    vals = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
    size = np.abs(vals)
    finite = np.isfinite(vals)
    whole = finite & (vals == np.trunc(vals)) & (size < 1e16)
    floats = pc.cast(pa.array(vals), pa.large_string())
    ints = pc.cast(pc.cast(pa.array(np.where(whole, vals, 0.0)), pa.int64()), pa.large_string())
    out = pc.if_else(pa.array(whole), ints, floats)
    odd = finite & ~whole & ((size < 1e-4) | (size >= 1e16) | np.asarray(pc.match_substring(floats, "e"), dtype=bool))
    if odd.any():
        text = np.asarray(out.to_numpy(zero_copy_only=False), dtype=object)
        for i in np.flatnonzero(odd):
            text[i] = cell_text(float(vals[i]))
        out = pa.array(text, type=pa.large_string())
    return pc.if_else(pa.array(finite), out, pa.scalar("", pa.large_string()))


def text_batch(batch: pa.RecordBatch | pa.Table) -> list[pa.Array]:
    """Every column of ``batch`` as text (:func:`text_array`)."""
    return [text_array(col) for col in batch.columns]


def read_parquet(data: bytes, name: str) -> pd.DataFrame:
    """A Parquet file's bytes as the text frame (index = row number, the first data row is 2)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{name} is not a readable Parquet file ({describe_error(exc)})") from None
    columns = text_batch(table)
    frame = pd.DataFrame({str(n): pd.Series(pd.array(c, dtype=_STR)) for n, c in zip(table.column_names, columns)})
    frame.index = pd.Index(np.arange(2, len(frame) + 2, dtype=np.int64), name="row")
    return frame


def open_parquet(path: str | os.PathLike) -> Any:
    """A ``pyarrow.parquet.ParquetFile`` for streaming, or InputError."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(os.fspath(path))
    except FileNotFoundError:
        raise InputError(f"{os.fspath(path)}: no such file", hint="check the path") from None
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{os.fspath(path)} is not a readable Parquet file ({describe_error(exc)})") from None


def iter_parquet(path: str | os.PathLike, batch_rows: int) -> Iterator[list[pa.Array]]:
    """The file's rows, ``batch_rows`` at a time, as the columns stored (:func:`text_array` gives their
    text: a reader picking some rows takes them first, the costly part on the picked only)."""
    pf = open_parquet(path)
    for batch in pf.iter_batches(batch_size=batch_rows):
        yield batch.columns


# ------------------------------------------------------------------------- writing


def typed_schema(columns: list[str], kinds: Mapping[str, str], with_time: Mapping[str, bool] | None = None,
                 fields: Mapping[str, str] | None = None) -> pa.Schema:
    """The Parquet schema of a cleaned table: ``kinds`` = ``{column: field kind}`` of the mapped columns;
    ``fields`` (``{column: field}``) marks it as normalized (:func:`cleaned_metadata`)."""
    out = []
    for col in columns:
        kind = kinds.get(col)
        if kind == "date":
            out.append(pa.field(col, pa.timestamp("s") if (with_time or {}).get(col) else pa.date32()))
        elif kind == "amount":
            out.append(pa.field(col, MONEY_TYPE))
        elif kind == "number":
            out.append(pa.field(col, pa.float64()))
        else:
            out.append(pa.field(col, pa.large_string()))
    return pa.schema(out, metadata=cleaned_metadata(fields) if fields is not None else None)


def typed_column(values: pd.Series, parsed: pd.Series | None, bad: np.ndarray | None, type: pa.DataType) -> pa.Array:
    """One column for :func:`typed_schema`: ``parsed`` (datetime64 / float64) where valid, null where
    ``bad``; text columns from ``values``."""
    if pa.types.is_large_string(type) or parsed is None:
        arr = pa.Array.from_pandas(values.reset_index(drop=True))
        return arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
    p = parsed.reset_index(drop=True)
    mask = None if bad is None else np.asarray(bad, dtype=bool)
    if pa.types.is_decimal(type):
        vals = p.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(vals) & (np.abs(vals) < 1e16)
        if mask is not None:
            ok &= ~mask
        cents = np.where(ok, np.round(vals * 100.0), 0).astype(np.int64)
        # exact cents as decimals (from integers: no binary-float digits leak into the decimal)
        return cents_to_decimal(cents, ok)
    if pa.types.is_floating(type):
        vals = p.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = ~np.isnan(vals) if mask is None else (~np.isnan(vals) & ~mask)
        return pa.array(vals, type=pa.float64(), mask=~ok)
    stamps = pd.to_datetime(p, errors="coerce").to_numpy(dtype="datetime64[ns]")
    ok = ~np.isnat(stamps) if mask is None else (~np.isnat(stamps) & ~mask)
    arr = pa.array(stamps.astype("datetime64[s]"), type=pa.timestamp("s"), mask=~ok)
    return arr.cast(pa.date32()) if pa.types.is_date32(type) else arr


def cents_to_decimal(cents: np.ndarray, ok: np.ndarray) -> pa.Array:
    """Integer cents as decimal128(18, 2), null where not ``ok``: the unscaled 128-bit integers are
    the cents themselves (little-endian, sign-extended), so no binary-float digit reaches a decimal."""
    cents = np.where(ok, cents, 0).astype(np.int64)
    storage = np.empty((len(cents), 2), dtype=np.int64)
    storage[:, 0] = cents
    storage[:, 1] = cents >> 63
    validity = pa.array(ok, type=pa.bool_()).buffers()[1] if not ok.all() else None
    return pa.Array.from_buffers(MONEY_TYPE, len(cents), [validity, pa.py_buffer(storage.tobytes())],
                                 null_count=int((~ok).sum()))


def write_parquet(table: pa.Table, fh: IO[bytes]) -> None:
    """Write one Arrow table to the binary file ``fh`` (zstd-compressed)."""
    import pyarrow.parquet as pq

    pq.write_table(table, fh, compression="zstd")


def frame_table(df: pd.DataFrame) -> pa.Table:
    """A frame as an Arrow table for Parquet: text columns as strings, others as they are typed."""
    cols, names = [], []
    for j, name in enumerate(df.columns):
        s = df.iloc[:, j].reset_index(drop=True)
        try:
            arr = pa.Array.from_pandas(s)
        except (pa.ArrowException, TypeError, ValueError):
            arr = pa.array(s.astype("str").tolist(), type=pa.large_string())
        if pa.types.is_string(arr.type):
            arr = arr.cast(pa.large_string())
        cols.append(arr)
        names.append(str(name))
    return pa.Table.from_arrays(cols, names=names)
