"""``read_table``: any source to a text frame.

The source's bytes (:mod:`.source`), its format from the content, then the reader for it:
:mod:`.workbook` (xlsx, xls, ods), :mod:`.json`, or :mod:`.csv` after :mod:`.decode`.
"""

from __future__ import annotations

import codecs
from typing import Any

import pandas as pd

from ..errors import InputError, UsageError
from ..privacy import current as current_privacy
from ..privacy import decrypt_workbook, is_encrypted
from ..privacy.audit import note_input
from ..privacy.encrypt import OLE_MAGIC
from .csv import parse_csv, read_big_utf8_csv, sniff_delimiter
from .decode import decode_text
from .json import read_json
from .source import Source, SourceInfo, read_source, sniff_format
from .totals import flag_totals
from .workbook import read_workbook

_EMPTY_BYTES = b" \t\r\n\x00\x1a\xef\xbb\xbf"


def read_table(source: Source, *, sheet: str | int | None = None, encoding: str | None = None,
               header_row: int | None = None, delimiter: str | None = None,
               password: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/XLSX/XLS/ODS/JSON table as text.

    ``source`` is a path, ``"-"`` (stdin), bytes, or a binary file object. The format comes
    from the content first (an xlsx starts with ``PK\\x03\\x04``), then the extension.
    Returns a DataFrame of ``str`` columns (empty cells are ``""``) indexed by Excel row
    number; :func:`source_info` gives what was detected. Raises :class:`InputError` when
    the input cannot be read. A password-protected workbook is decrypted in memory with ``password``
    (default: the password of the privacy policy in force, :mod:`crmcli.privacy`); without one, or with a
    wrong one, it is an :class:`InputError`.
    """
    if header_row is not None and header_row < 1:
        raise UsageError("{opt:header_row} must be 1 or more")
    if delimiter is not None and len(delimiter) != 1:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise UsageError(f"delimiter must be one character, not {delimiter!r}")
    data, ext_format, name = read_source(source)
    noted = note_input(name, data)
    if data[:8] == OLE_MAGIC and is_encrypted(data):
        data = decrypt_workbook(data, password or current_privacy().password, name)
    frame = _read_bytes(data, ext_format, name, sheet, encoding, header_row, delimiter)
    if noted is not None:
        noted["rows"] = len(frame)
    return frame


def _read_bytes(data: bytes, ext_format: str | None, name: str, sheet: str | int | None, encoding: str | None,
                header_row: int | None, delimiter: str | None) -> pd.DataFrame:
    if not data[:4096].strip(_EMPTY_BYTES) and not data.strip(_EMPTY_BYTES):
        raise InputError(f"{name} is empty", hint="export the data again")
    fmt = sniff_format(data, ext_format, name)
    problems: list[dict[str, Any]] = []
    if fmt in ("xlsx", "xls", "ods"):
        frame, info = read_workbook(data, fmt, name, sheet, header_row, problems)
    elif fmt == "parquet":
        from .parquet import read_parquet

        if sheet is not None:
            raise UsageError(f"{{opt:sheet}} applies to workbooks; {name} is Parquet", option="sheet")
        frame, info = read_parquet(data, name), SourceInfo(path=name, format="parquet", header_row=None)
        flag_totals(frame, problems)   # as every reader does: a 合计/Total row is flagged, not dropped
    else:
        if sheet is not None:
            raise UsageError(f"{{opt:sheet}} applies to workbooks; {name} is {fmt.upper()}")
        quick = read_big_utf8_csv(data, fmt, name, encoding, header_row, delimiter)
        if quick is not None:
            frame, info, problems = quick
            info.rows = len(frame)
            info.problems = problems
            frame.attrs["source"] = info
            return frame
        text, enc = decode_text(data, encoding, name)
        raw = None
        if text.startswith("\ufeff"):
            text = text[1:]
        if codecs.lookup(enc).name in ("utf-8", "utf-8-sig"):
            # the bytes already are the UTF-8 the fast CSV parser wants: no re-encoding
            raw = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        info = SourceInfo(path=name, format=fmt, encoding=enc)
        if fmt in ("json", "jsonl"):
            frame = read_json(text, fmt, name)
            info.header_row = None
        else:
            delim = delimiter or sniff_delimiter(text, "\t" if fmt == "tsv" else ",")
            fmt = "tsv" if delim == "\t" else "csv"
            info.format, info.delimiter = fmt, delim
            frame, info.header_row = parse_csv(text, delim, header_row, problems, raw=raw)
            if frame.shape[1] == 0:
                raise InputError(f"{name} has no header row", hint="the file holds no data")
    info.rows = len(frame)
    info.problems = problems
    frame.attrs["source"] = info
    return frame



def read_input(source: Source | pd.DataFrame, read: Any = None) -> pd.DataFrame:
    """``source`` as a table: a DataFrame as it is, else :func:`read_table` with ``read``
    (a :class:`crmcli.options.ReadOptions`; None = detect everything)."""
    if isinstance(source, pd.DataFrame):
        return source
    return read_table(source, **(read.kwargs() if read is not None else {}))
