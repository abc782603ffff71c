"""Where a table comes from: its bytes (a path, stdin, bytes or a stream), its format, and
:class:`SourceInfo`, what reading it found out.

The format comes from the content first (an xlsx starts with ``PK\\x03\\x04``), then the
extension; images, archives and HTML are refused by their magic bytes.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Union

import pandas as pd

from ..errors import InputError

Source = Union[str, os.PathLike, bytes, IO[bytes]]

#: The format an extension names (reading and writing).
EXT_FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".xls": "xls", ".ods": "ods", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}
MAX_INPUT_BYTES = 2 << 30                 # 2 GiB: a pipe or device never fills the memory


@dataclass
class SourceInfo:
    """What ``read_table`` found out about its source."""

    path: str | None = None
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[dict[str, Any]] = field(default_factory=list)
    header_row: int | None = None
    rows: int = 0
    #: Reader-level problems: ``{"row", "column", "code", "message"}`` (ragged rows, renamed headers…).
    problems: list[dict[str, Any]] = field(default_factory=list)

    def __deepcopy__(self, memo: dict) -> SourceInfo:
        # pandas deep-copies ``attrs`` on most operations: share this object instead.
        return self


def source_info(df: pd.DataFrame) -> SourceInfo | None:
    """The :class:`SourceInfo` ``read_table`` attached to ``df`` (None for other frames)."""
    info = df.attrs.get("source")
    return info if isinstance(info, SourceInfo) else None


# --------------------------------------------------------------------------- bytes in


def read_source(source: Source) -> tuple[bytes, str | None, str]:
    """Return (data, extension-format or None, display name)."""
    if isinstance(source, bytes):
        return source, None, "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        if name == "-":
            return _read_capped(sys.stdin.buffer, "<stdin>"), None, "<stdin>"
        path = Path(name)
        try:
            mode = os.stat(path).st_mode
            if stat.S_ISDIR(mode):
                raise InputError(f"{name} is a directory, not a file", hint="give a CSV or Excel file")
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                raise InputError(f"{name} is not a regular file (a device or socket)", hint="give a CSV or Excel file")
            with open(path, "rb") as fh:
                data = _read_capped(fh, name)
        except InputError:
            raise
        except FileNotFoundError:
            raise InputError(f"{name}: no such file", hint="check the path") from None
        except PermissionError:
            raise InputError(f"{name}: permission denied") from None
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
        return data, EXT_FORMATS.get(path.suffix.lower()), name
    try:
        return _read_capped(source, "input"), None, getattr(source, "name", "<stream>")
    except OSError as exc:
        raise InputError(f"cannot read input ({exc})") from None


def _read_capped(fh: IO[bytes], name: str) -> bytes:
    """Read a whole stream, refusing more than ``MAX_INPUT_BYTES`` (a pipe that never ends)."""
    data = fh.read(MAX_INPUT_BYTES + 1)
    if data is not None and len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{name} is larger than {MAX_INPUT_BYTES >> 30} GiB", hint="split the file")
    return data or b""


_MAGIC = [
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"), (b"BZh", "a bzip2 archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"), (b"\xfd7zXZ", "an xz archive"),
]


def sniff_format(data: bytes, ext_format: str | None, name: str) -> str:
    """Decide the format from the content first, the extension second."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "ods" if ext_format == "ods" or b"opendocument.spreadsheet" in data[:200] else "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if data.startswith(b"PAR1") and data.endswith(b"PAR1"):
        return "parquet"
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"{name} is {what}, not a table", hint="give a CSV or Excel file")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table", b"<head", b"<body")):
        raise InputError(f"{name} looks like HTML/XML, not a table", hint="save it as CSV or xlsx")
    if ext_format in ("json", "jsonl"):
        return ext_format
    if head[:1] in (b"[", b"{"):
        sniffed = _sniff_json(data)
        if sniffed:
            return sniffed
    if ext_format in ("xlsx", "xls", "ods"):
        # A text file with a workbook's name: read it as the text it is.
        return "csv"
    return ext_format or "csv"


def _sniff_json(data: bytes) -> str | None:
    """"json"/"jsonl" when text that starts with ``[`` or ``{`` parses as records, else None."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    try:
        value = json.loads(text)
        return "json" if isinstance(value, (list, dict)) else None
    except (json.JSONDecodeError, RecursionError):
        pass
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    try:
        if lines and all(isinstance(json.loads(ln), dict) for ln in lines):
            return "jsonl"
    except (json.JSONDecodeError, RecursionError):
        pass
    return None


def describe_error(exc: BaseException) -> str:
    """An exception's message on one line, at most 160 characters (to quote in an error)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]

