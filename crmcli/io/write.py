"""Writing tables: where output goes and in what format, CSV/TSV, JSON, and formula escaping.

``write_table`` writes one table in any of ``WRITE_FORMATS`` (xlsx through :mod:`.xlsx`, the one
workbook writer); every write is atomic (:mod:`.atomic`). No cell we write can start a formula:
CSV text starting with ``= + - @``, TAB or CR gets a leading ``'`` (plain numbers such as
``-12.5`` are left alone); xlsx text is a text cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .._bytes import byte_table, first_bytes, from_parts, np_bool, string_parts
from ..errors import UsageError
from ..privacy import Privacy, personal, protect_table, resolve, warn_unencrypted
from ..privacy.audit import note_output, written_mode
from .atomic import atomic_write
from .json import write_json
from .source import EXT_FORMATS
from .xlsx import write_workbook

WRITE_FORMATS = ("csv", "tsv", "xlsx", "json", "jsonl", "parquet")
FORMULA_START = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: first bytes that start a formula (``FORMULA_START``)
_FORMULA_FIRST = byte_table(b"=+-@\t\r")


def is_formula_like(value: str) -> bool:
    """True when a text cell would start a formula in Excel and is not a plain number."""
    return bool(FORMULA_START.match(value)) and not PLAIN_NUMBER.match(value)


def _plain_numbers(arr: Any, first: np.ndarray) -> np.ndarray:
    """Which values of ``arr`` (a pyarrow string array; ``first`` from :func:`first_bytes`) are
    plain numbers starting with ``+`` or ``-`` (``PLAIN_NUMBER`` as RE2 reads it: ASCII digits,
    ``$`` = end of text). Only those can start like a formula and still be a number.

    Signed integers (phones in E.164, refunds) are the bulk: the sign is swapped for a ``0`` in a
    copy of the data buffer and ``ascii_is_decimal`` checks the lot; the rest (``-12.5``) gets
    the regex.
    """
    import pyarrow.compute as pc

    signed = (first == ord("+")) | (first == ord("-"))
    plain = np.zeros(len(first), dtype=bool)
    pos = 0
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        n = len(chunk)
        sign = signed[pos:pos + n]
        if n and sign.any():
            # mostly signed (a phone column): work on the chunk; else on a filtered copy of the few
            dense = np.count_nonzero(sign) * 2 > n
            sub = chunk if dense else chunk.filter(pa.array(sign))
            offsets, data = string_parts(sub)
            data = data.copy()
            data[offsets[:-1][sign] if dense else offsets[:-1]] = ord("0")
            swapped = from_parts(offsets, data, sub.type)
            ok = np_bool(pc.ascii_is_decimal(swapped))
            ok &= np.diff(offsets) >= 2
            if dense:
                ok &= sign
            rest = (sign & ~ok) if dense else ~ok
            if rest.any():
                again = pc.match_substring_regex(sub.filter(pa.array(rest)), PLAIN_NUMBER.pattern)
                ok[rest] = np_bool(again)
            if dense:
                plain[pos:pos + n] = ok
            else:
                plain[pos:pos + n][sign] = ok
        pos += n
    return plain


def escape_formulas(series: pd.Series) -> pd.Series:
    """Prefix ``'`` to text that would start a formula (OWASP CSV injection); numbers untouched."""
    if not (pd.api.types.is_string_dtype(series) or series.dtype == object):
        return series
    s = series.astype("str")
    import pyarrow.compute as pc

    arr = getattr(s.array, "_pa_array", None)
    if arr is not None and not s.hasnans:
        # The first byte of every value, read from the arrow buffers: only the few values that
        # start like a formula get the plain-number test (RE2, as before), not the whole column.
        first = first_bytes(arr)
        if first is not None:
            starts = _FORMULA_FIRST.take(first)
            if not starts.any():
                return series
            mask = starts & ~_plain_numbers(arr, first)
            if not mask.any():
                return series
            mask_a = pa.array(mask)
        else:
            # all in pyarrow (RE2): pandas would run the fullmatch below in Python
            starts_a = pc.match_substring_regex(arr, FORMULA_START.pattern)
            if not pc.any(starts_a).as_py():
                return series
            mask_a = pc.and_(starts_a, pc.invert(pc.match_substring_regex(arr, PLAIN_NUMBER.pattern)))
            if not pc.any(mask_a).as_py():
                return series
        quote, empty = pa.scalar("'", arr.type), pa.scalar("", arr.type)
        escaped = pc.if_else(mask_a, pc.binary_join_element_wise(quote, arr, empty), arr)
        return pd.Series(pd.array(escaped, dtype=s.dtype), index=s.index, name=s.name)
    starts = s.str.match(FORMULA_START.pattern, na=False)
    if not starts.any():
        return series

    cand = s[starts]
    plain = pc.match_substring_regex(pa.array(cand.to_numpy(dtype=object), type=pa.string()),
                                     PLAIN_NUMBER.pattern).to_numpy(zero_copy_only=False)
    starts = starts.to_numpy(dtype=bool)
    mask = starts.copy()
    mask[starts] = ~plain
    if not mask.any():
        return series
    candidates = s[mask]
    mask[mask] = ~candidates.str.fullmatch(PLAIN_NUMBER.pattern[1:-1], na=False).to_numpy()
    return s.where(~mask, "'" + s)


def output_format(dest: str | os.PathLike | None, format: str | None) -> str:
    """The format for ``dest``: ``format`` if given, else the extension, else CSV."""
    if format:
        fmt = format.lower().lstrip(".")
        if fmt not in WRITE_FORMATS:
            raise UsageError(f"unknown output format {format!r}", hint="one of " + ", ".join(WRITE_FORMATS))
        return fmt
    if dest is None or os.fspath(dest) == "-":
        return "csv"
    ext = Path(os.fspath(dest)).suffix.lower()
    fmt = EXT_FORMATS.get(ext)
    if fmt in WRITE_FORMATS:
        return fmt
    if ext in (".txt", ""):
        return "csv"
    raise UsageError(f"cannot write {ext} files", hint="use .csv, .tsv, .xlsx, .json, .jsonl or .parquet")


def default_output(source: str | os.PathLike | None, suffix: str = "cleaned", ext: str | None = None) -> str:
    """Where output goes by default: stdout for stdin, else ``<stem>.<suffix><ext>`` beside the input."""
    if source is None or os.fspath(source) == "-":
        return "-"
    p = Path(os.fspath(source))
    return str(p.with_name(f"{p.stem}.{suffix}{ext or p.suffix or '.csv'}"))


def _escape_value(v: Any) -> Any:
    """Scalar :func:`escape_formulas`."""
    if isinstance(v, str) and v and v[0] in "=+-@\t\r" and not PLAIN_NUMBER.match(v):
        return "'" + v
    return v


def _csv_bytes(df: pd.DataFrame, fh: IO[bytes], delimiter: str, bom: bool) -> None:
    write_csv_part(df, fh, delimiter, bom=bom, header=True)


def date_text(s: pd.Series) -> pd.Series:
    """A date column as text (:func:`crmcli.io.parquet.timestamp_text`: ``YYYY-MM-DD`` at midnight, else
    ``YYYY-MM-DD HH:MM:SS``), missing as missing; ~10x pandas' ``dt.strftime``."""
    from .parquet import timestamp_text

    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)   # the wall clock
    return pd.Series(pd.array(timestamp_text(pa.array(s.to_numpy(), from_pandas=True)), dtype="str"), index=s.index)


def write_csv_part(df: pd.DataFrame, fh: IO[bytes], delimiter: str = ",", *, bom: bool = False,
                   header: bool = True) -> None:
    """``df`` as CSV (pyarrow's writer, ~10x ``to_csv``): formula-like text escaped, dates as
    ``YYYY-MM-DD[ HH:MM:SS]``, missing values empty. ``header=False``: the rows only (a later part
    of a file written in parts)."""
    import pyarrow.csv as pacsv

    if bom:
        fh.write(codecs.BOM_UTF8)
    names = [str(c) for c in df.columns]
    if not names:
        return
    arrays = []
    for j in range(len(names)):
        s = df.iloc[:, j]
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s):
            s = date_text(s)
        elif pd.api.types.is_float_dtype(s) and np.isinf(s.to_numpy(dtype=np.float64, na_value=np.nan)).any():
            # infinities as the text pyarrow writes ("inf"), escaped like any text ("-inf" would start a formula)
            text = pa.Array.from_pandas(s.reset_index(drop=True)).cast(pa.large_string())
            s = pd.Series(pd.array(text, dtype="str"))
        if len(s) <= 1000 and pd.api.types.is_string_dtype(s) and s.dtype != object:
            # short columns (wide tables): plain Python beats a dozen pandas calls per column
            values = [None if not isinstance(v, str) else _escape_value(v) for v in s.tolist()]
            arrays.append(pa.array(values, type=pa.string()))
        else:
            arrays.append(pa.Array.from_pandas(escape_formulas(s).reset_index(drop=True)))
    if header:
        line = io.StringIO()
        csv.writer(line, delimiter=delimiter, lineterminator="\n").writerow([_escape_value(c) for c in names])
        fh.write(line.getvalue().encode("utf-8"))
    table = pa.Table.from_arrays(arrays, names=[f"c{j}" for j in range(len(names))])
    pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed",
                                                                include_header=False))


def write_table(df: pd.DataFrame, dest: str | os.PathLike, *, format: str | None = None,
                bom: bool = False, sheet_name: str = "data",
                inputs: Iterable[str | os.PathLike] = (), privacy: Privacy | None = None) -> str:
    """Write one table to ``dest`` (a path or ``"-"`` for stdout). Returns the format used.

    CSV/TSV are UTF-8 (``bom=True`` adds a BOM for Excel); xlsx gets a bold, frozen,
    filtered header; JSON is a list of records, JSONL one record a line. Text that would
    start a formula is escaped. Writing is atomic and never onto one of ``inputs``.
    ``privacy`` (default: the policy in force) masks and pseudonymizes the table first and sets
    the file mode of an output holding personal data; only an xlsx can be encrypted.
    """
    fmt = output_format(dest, format)
    privacy = resolve(privacy)
    if fmt == "xlsx":
        return write_workbook({sheet_name: df}, dest, inputs=inputs, privacy=privacy) or fmt
    df = protect_table(df, privacy)
    warn_unencrypted(privacy, dest)

    def write(fh: IO[bytes]) -> None:
        if fmt in ("csv", "tsv"):
            _csv_bytes(df, fh, "\t" if fmt == "tsv" else ",", bom)
        elif fmt == "parquet":
            from .parquet import frame_table, write_parquet

            write_parquet(frame_table(df), fh)
        else:
            write_json(df, fh, lines=fmt == "jsonl")

    personal_data = personal(df)
    atomic_write(dest, write, inputs=inputs, mode=privacy.file_mode if personal_data else None)
    target = os.fspath(dest)
    note_output(target, format=fmt, rows=len(df),
                mode=written_mode(target))
    return fmt



def write_sheets(tables: Mapping[str, pd.DataFrame], spec: Any, *, primary: str | None = None,
                 number_formats: Mapping[str, Mapping[str, str]] | None = None,
                 highlights: Mapping[str, Iterable[tuple[int, int]]] | None = None,
                 inputs: Iterable[str | os.PathLike] = (), privacy: Privacy | None = None) -> str:
    """Write named tables to ``spec`` (a :class:`crmcli.options.WriteSpec`): every table a sheet of an
    xlsx, else the one table ``primary`` (default: the first) in the spec's format. Returns the format."""
    if spec.format == "xlsx":
        return write_workbook(tables, spec.dest, number_formats=number_formats, highlights=highlights,
                              inputs=inputs, privacy=privacy)
    name = primary or next(iter(tables))
    return write_table(tables[name], spec.dest, format=spec.format, inputs=inputs, privacy=privacy)
