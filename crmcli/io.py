"""Reading and writing tables: formats, encodings, stdin/stdout, atomic writes.

``read_table`` returns a DataFrame of text whatever the source: every column is ``str``,
empty cells are ``""`` (never NaN), and the index holds the row number a person sees in
Excel (the first data row under a header on row 1 is row 2). What was detected (format,
encoding, delimiter, sheet, header row, and reader-level problems such as ragged rows) is
in :func:`source_info`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import os
import re
import stat
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Union

import numpy as np
import pandas as pd

from ._bytes import byte_table, string_parts
from .errors import CrmError, InputError, OutputError, UsageError

Source = Union[str, os.PathLike, bytes, IO[bytes]]

TEXT_FORMATS = ("csv", "tsv")
WRITE_FORMATS = ("csv", "tsv", "xlsx", "json", "jsonl")
_EXT_FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".xls": "xls", ".ods": "ods", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
}
#: How many leading records are looked at to find the delimiter and the header row.
SNIFF_RECORDS = 50
#: Limits that keep a small hostile workbook from taking the machine.
MAX_XLSX_UNCOMPRESSED = 1 << 30          # 1 GiB of XML in all
MAX_XLSX_RATIO = 200                      # ... and no member inflating more than this
MAX_XLSX_RATIO_FLOOR = 64 << 20           # ratio only checked above 64 MiB inflated
MAX_INPUT_BYTES = 2 << 30                 # 2 GiB: a pipe or device never fills the memory
MAX_COLUMNS = 16_384                      # Excel's limit: wider tables are refused, not crawled
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384

csv.field_size_limit(2**31 - 1)


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


def _display_name(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return "<stdin>" if source is None or not isinstance(source, bytes) else "<bytes>"


def _read_bytes(source: Source) -> tuple[bytes, str | None, str]:
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
        return data, _EXT_FORMATS.get(path.suffix.lower()), name
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


def _sniff_format(data: bytes, ext_format: str | None, name: str) -> str:
    """Decide the format from the content first, the extension second."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "ods" if ext_format == "ods" or b"opendocument.spreadsheet" in data[:200] else "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
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


# --------------------------------------------------------------------------- decoding


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes, encoding: str | None = None, name: str = "input") -> tuple[str, str]:
    """Decode bytes to text. Returns (text, encoding name as reported)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}", hint="e.g. utf-8, gb18030, utf-16") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise InputError(f"{name} is not valid {encoding} (byte {exc.start})",
                             hint="leave out --encoding to detect it") from None
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", name, "utf-8-sig")
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return _strict(data, "utf-32", name, "utf-32")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data, "utf-16", name, "utf-16")
    utf16 = _looks_utf16(data)
    if utf16:
        return _strict(data, utf16, name, utf16)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        _refuse_broken_utf8(data, exc, name)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise InputError(f"{name}: cannot tell the text encoding",
                     hint="name it with --encoding (e.g. gb18030, cp1252)")


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_broken_utf8(data: bytes, exc: UnicodeDecodeError, name: str) -> None:
    """UTF-8 text with a few bad bytes is broken UTF-8, not GB18030: refuse it with the line number
    rather than decode every character wrongly (a legacy encoding has few valid UTF-8 sequences)."""
    sample = data[: 1 << 22]
    bad = sample.decode("utf-8", errors="replace").count("\ufffd")
    good = len(_UTF8_MULTIBYTE.findall(sample))
    if good >= 4 * max(bad, 1):
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{name} is UTF-8 with an invalid byte 0x{data[exc.start]:02X} on line {line} "
                         f"(byte {exc.start})", hint="fix or re-export the file, or name its encoding with --encoding")


def _strict(data: bytes, codec: str, name: str, label: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not valid {label} (byte {exc.start})",
                         hint="name the encoding with --encoding") from None


# --------------------------------------------------------------------------- arrow buffers


def _first_bytes(arr: Any, at: int = 0) -> np.ndarray | None:
    """The first byte (``at=1``: the second…) of every value of a pyarrow string array (chunked
    or not) as uint8, 0 for a value too short or null (or holding NUL there); None for a type
    whose buffers are not offsets + data.

    Reads the offsets and data buffers in place: a millisecond or two a million values, where a
    regex or ``utf8_slice`` pass costs tens.
    """
    import pyarrow as pa

    t = arr.type
    if not (pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_large_string(t)
            or pa.types.is_large_binary(t)):
        return None
    out = []
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        n = len(chunk)
        if n == 0:
            continue
        offsets, data = string_parts(chunk)
        if not len(data):
            out.append(np.zeros(n, dtype=np.uint8))
            continue
        where = offsets[:-1] + at if at else offsets[:-1]
        # (only values too short, at the very end, can point past the data)
        codes = data[where if where[-1] < len(data) else np.minimum(where, len(data) - 1)]
        codes[offsets[1:] <= where] = 0
        if chunk.null_count:
            codes[np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = 0
        out.append(codes)
    if not out:
        return np.zeros(0, dtype=np.uint8)
    return out[0] if len(out) == 1 else np.concatenate(out)


#: First bytes (UTF-8) of every character ``str.isspace`` accepts, and 0 for an empty value:
#: a value whose first byte is not here is certainly not blank (``v.strip()`` is not empty).
_MAYBE_BLANK = byte_table(b"\x00\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \xc2\xe1\xe2\xe3")


# --------------------------------------------------------------------------- CSV parsing

_DELIMITERS = (",", ";", "\t", "|", "，")


def _split_records(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    out = []
    try:
        for rec in reader:
            out.append(rec)
            if limit is not None and len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _head(text: str, lines: int = SNIFF_RECORDS * 4, chars: int = 1 << 20) -> str:
    pos = 0
    for _ in range(lines):
        nxt = text.find("\n", pos, chars)
        if nxt < 0:
            return text[:chars]
        pos = nxt + 1
    return text[:pos]


def sniff_delimiter(text: str, default: str = ",") -> str:
    """Pick the delimiter giving the most consistent multi-field records in the first lines."""
    head = _head(text)
    best, best_score = default, 0.0
    for delim in _DELIMITERS:
        if delim not in head:
            continue
        widths = [len(r) for r in _split_records(head, delim, SNIFF_RECORDS) if any(c.strip() for c in r)]
        widths = [w for w in widths if w > 1]
        if not widths:
            continue
        mode = max(set(widths), key=lambda w: (widths.count(w), w))
        score = widths.count(mode) + min(mode, 50) / 1000  # consistency first; width only breaks ties
        if score > best_score:
            best, best_score = delim, score
    return best


def _nonempty(row: Sequence[str]) -> int:
    return sum(1 for c in row if c is not None and str(c).strip())


_NUMBERISH = re.compile(r"^[\s+\-¥￥$€]*[\d.,:/\-\s%]+$")


def detect_header(rows: Sequence[Sequence[str]]) -> int:
    """Index (0-based) of the header among the first rows: skip titles, blank rows and notes.

    The header is the first row that fills at least half as many cells as the widest of the
    first rows (and two or more, unless the table has one column), and is mostly text.
    """
    head = list(rows[:SNIFF_RECORDS])
    counts = [_nonempty(r) for r in head]
    if not any(counts):
        return 0
    widest = max(counts)
    need = max(2, (widest + 1) // 2) if widest > 1 else 1
    for i, (row, n) in enumerate(zip(head, counts)):
        if n < need:
            continue
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        numeric = sum(1 for c in cells if _NUMBERISH.match(c))
        if numeric <= len(cells) // 2:
            return i
    return next(i for i, n in enumerate(counts) if n >= need)


def _unique_headers(raw: Sequence[str], header_row: int | None,
                    problems: list[dict[str, Any]]) -> list[str]:
    """Blank headers become ``column_N``; repeated ones get ``_2``, ``_3``… (reported)."""
    out: list[str] = []
    seen: set[str] = set()
    for pos, h in enumerate(raw, start=1):
        name = str(h).strip() if h is not None else ""
        name = " ".join(name.split())
        original = name
        if not name:
            name = f"column_{pos}"
        base, k = name, 2
        while name in seen:
            name = f"{base}_{k}"
            k += 1
        seen.add(name)
        out.append(name)
        if name != original:
            problems.append({"row": header_row, "column": name, "code": "renamed-header",
                             "message": f"header {original!r} in column {pos} is "
                                        f"{'blank' if not original else 'repeated'}; named {name!r}"})
    return out


def _frame(header: list[str], records: Sequence[Sequence[str]], rownums: Sequence[int],
           header_row: int | None, problems: list[dict[str, Any]]) -> pd.DataFrame:
    """Build the text frame; keep every value of ragged rows (extra cells get new columns)."""
    width = len(header)
    widest = max((len(r) for r in records), default=width)
    columns = list(header)
    if widest > width:
        taken = set(columns)
        for pos in range(width + 1, widest + 1):
            name = f"column_{pos}"
            while name in taken:
                name += "_"
            taken.add(name)
            columns.append(name)
    ncols = len(columns)
    _check_width(ncols)
    for rec, rownum in zip(records, rownums):
        n = len(rec)
        if n != width:
            problems.append({"row": rownum, "column": None, "code": "ragged-row",
                             "message": f"row has {n} cells, the header has {width}"
                                        + ("; extra cells kept in new columns" if n > width else "")})
    index = pd.Index(list(rownums), dtype="int64", name="row")
    if ncols > 64:
        # Wide tables: one 2-D block, then text columns (a dict of 10,000 Series is slow).
        import numpy as np

        grid = np.full((len(records), ncols), "", dtype=object)
        for i, rec in enumerate(records):
            grid[i, : len(rec)] = ["" if v is None else v for v in rec]
        frame = pd.DataFrame(grid, columns=pd.Index(columns, dtype=object), index=index).astype("str")
    else:
        data: list[list[str]] = [[] for _ in range(ncols)]
        for rec in records:
            n = len(rec)
            for j in range(ncols):
                v = rec[j] if j < n else ""
                data[j].append("" if v is None else v)
        frame = pd.DataFrame({c: pd.Series(col, dtype="str") for c, col in zip(columns, data)})
        frame.index = index
    _flag_totals(frame, problems)
    return frame


#: Labels of a totals/subtotals row that an export appends under the data.
TOTAL_LABELS = frozenset({"合计", "总计", "小计", "总合计", "汇总", "合计：", "合计:", "总计：", "总计:",
                          "total", "totals", "grand total", "subtotal", "sum", "total:", "totals:"})


def _filled(values: Iterable[Any]) -> int:
    return sum(1 for v in values if isinstance(v, str) and v.strip())


def _label_prefixes() -> np.ndarray:
    """256 x 256 table (flat): the first two bytes (UTF-8) a cell can start with when, stripped and
    lowercased, it is one of ``TOTAL_LABELS`` (a cell starting with whitespace is let through
    by ``_MAYBE_BLANK`` instead). Only ASCII letters lowercase to ASCII letters (a test checks)."""
    table = np.zeros((256, 256), dtype=bool)
    for label in TOTAL_LABELS:
        first, second = label[0], label[1]
        if first.isascii():
            for a in {first, first.upper()}:
                for b in {second, second.upper()}:
                    table[ord(a), ord(b)] = True
        else:
            head = first.encode("utf-8")
            table[head[0], head[1]] = True
    return table.ravel()  # indexed by first * 256 + second


_LABEL_PREFIX = _label_prefixes()


def _label_candidates(arr: Any) -> np.ndarray | None:
    """Cells of a pyarrow string column that may hold a totals label (a superset: two bytes of
    each value read from the arrow buffers), None when the buffers cannot be read."""
    first, second = _first_bytes(arr), _first_bytes(arr, at=1)
    if first is None or second is None:
        return None
    return _MAYBE_BLANK.take(first) | _LABEL_PREFIX.take((first.astype(np.uint16) << 8) | second)


def _flag_totals(frame: pd.DataFrame, problems: list[dict[str, Any]]) -> None:
    """Report rows labelled 合计/总计/Total… in one of the first three columns (``totals-row``).

    The rows stay in the table (nothing is dropped by the reader); :func:`totals_rows` lists
    them so analytics can leave them out and say so.
    """
    if frame.empty:
        return
    hits: set[int] = set()
    for col in list(frame.columns[:3]):
        s = frame[col]
        arr = getattr(s.array, "_pa_array", None)
        if arr is not None and len(s) > 10_000:
            # Large columns: only the cells whose first bytes can start a label (or whitespace)...
            cand = _label_candidates(arr)
            if cand is not None:
                if not cand.any():
                    continue
                s = s[cand]
                arr = getattr(s.array, "_pa_array", None)
        if arr is not None and len(s) > 10_000:
            # ... then a pyarrow (RE2) prefilter: every label holds one of these (any case); only
            # the few candidate cells get the exact check below.
            import pyarrow.compute as pc

            cand = pc.match_substring_regex(arr, "计|总|汇|tot|sum", ignore_case=True)
            cand = np.asarray(cand.to_numpy(zero_copy_only=False), dtype=bool)
            if not cand.any():
                continue
            s = s[cand]
        short = s.str.len() <= 12
        if not short.any():
            continue
        mask = short & s.str.strip().str.lower().isin(TOTAL_LABELS)
        hits.update(int(r) for r in s.index[mask.to_numpy()])
    if not hits:
        return
    # A totals row is at the bottom, or sparser than a typical row (a customer called "Total"
    # in a full row in the middle of the table is not one).
    sample = sorted(_filled(r) for r in frame.head(200).itertuples(index=False, name=None))
    typical = sample[len(sample) // 2]
    last = set(int(r) for r in frame.index[-5:])
    hits = {r for r in hits if r in last or _filled(frame.loc[r].tolist()) < typical}
    for row in sorted(hits):
        problems.append({"row": row, "column": None, "code": "totals-row",
                         "message": "looks like a totals row (合计/Total): kept in the table; analytics "
                                    "commands leave it out"})


def totals_rows(df: pd.DataFrame) -> list[int]:
    """Row numbers of ``df`` the reader flagged as totals rows (``totals-row`` problems)."""
    info = source_info(df)
    if info is None:
        return []
    return [p["row"] for p in info.problems if p.get("code") == "totals-row" and p.get("row") in df.index]


def drop_totals(df: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """``df`` without its flagged totals rows, and their row numbers (for analytics to report)."""
    rows = totals_rows(df)
    return (df.drop(index=rows) if rows else df), rows


def _is_blank(rec: Sequence[str]) -> bool:
    return not any(c.strip() for c in rec if c)


def _parse_csv(text: str, delimiter: str, header_row: int | None,
               problems: list[dict[str, Any]], raw: bytes | None = None,
               fast_only: bool = False) -> tuple[pd.DataFrame, int] | None:
    """``raw``: ``text`` as UTF-8 bytes when the input was UTF-8 (saves re-encoding it).

    ``fast_only``: ``text`` is only the head of ``raw`` (at least its first 2**20 characters, all
    that sniffing looks at); return None unless the fast path takes the file.
    """
    text = text.rstrip("\x1a")  # Ctrl-Z at the end of old DOS exports
    if raw is not None:
        raw = raw.rstrip(b"\x1a")
    head_records = _split_records(_head(text), delimiter, SNIFF_RECORDS)
    if header_row is not None:
        hidx = header_row - 1
    else:
        skip = 1 if head_records and len(head_records[0]) == 1 and head_records[0][0].lower().startswith("sep=") else 0
        hidx = skip + detect_header(head_records[skip:])
    _check_width(max((len(r) for r in head_records), default=0))
    _report_skipped(head_records, hidx, problems)
    fast = _parse_csv_fast(text, delimiter, hidx, head_records, problems, raw,
                           checked=len(text) if fast_only else None)
    if fast is not None:
        return fast, hidx + 1
    if fast_only:
        return None
    try:
        header, records, rownums = _read_records(text, delimiter, hidx, strict=True)
    except csv.Error:
        # A quote closed in the middle of a field ("abc"def): read it as Excel does, and say so.
        header, records, rownums = _read_records(text, delimiter, hidx, strict=False)
        problems.append({"row": None, "column": None, "code": "stray-quote",
                         "message": "a quoted field has text after its closing quote; read as Excel does "
                                    "(check the quoting)"})
    if header is None:
        return pd.DataFrame(), hidx + 1
    names = _unique_headers(header, hidx + 1, problems)
    _flag_swallowed_rows(records, rownums, delimiter, len(names), problems)
    return _frame(names, records, rownums, hidx + 1, problems), hidx + 1


def _report_skipped(rows: Sequence[Sequence[str]], hidx: int, problems: list[dict[str, Any]]) -> None:
    """Rows above the header (titles, notes) are not data: say so, with what they held."""
    for i, row in enumerate(rows[:hidx]):
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        if cells:
            text = " | ".join(cells)
            problems.append({"row": i + 1, "column": None, "code": "skipped-row",
                             "message": f"row above the header, not read as data: {text[:80]!r}"})


def _read_records(text: str, delimiter: str, hidx: int, strict: bool
                  ) -> tuple[list[str] | None, list[list[str]], list[int]]:
    """Every non-blank record after the header, with its record (Excel row) number."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    header: list[str] | None = None
    records: list[list[str]] = []
    rownums: list[int] = []
    rownum = 0
    try:
        for rec in reader:
            rownum += 1
            if len(rec) > MAX_COLUMNS:
                _check_width(len(rec), rownum)
            if rownum <= hidx:
                continue
            if header is None:
                header = rec
                continue
            if _is_blank(rec):
                continue
            records.append(rec)
            rownums.append(rownum)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc) or "EOF" in str(exc):
            raise InputError(f"a quote opened in row {rownum + 1} is never closed (the rest of the file "
                             f"would be one value)", hint="fix the quoting of that row") from None
        if strict:
            raise
        raise InputError(f"cannot parse CSV at row {rownum + 1}: {exc}") from None
    return header, records, rownums


def _check_width(width: int, row: int | None = None) -> None:
    if width > MAX_COLUMNS:
        where = f" (row {row})" if row else ""
        raise InputError(f"the table has {width:,} columns{where}; at most {MAX_COLUMNS:,} are read "
                         f"(Excel's limit)", hint="check the delimiter with --delimiter, or split the file")


def _flag_swallowed_rows(records: Sequence[Sequence[str]], rownums: Sequence[int], delimiter: str,
                         width: int, problems: list[dict[str, Any]]) -> None:
    """A quoted value holding whole lines that look like rows usually means a stray quote."""
    if width < 2:
        return
    for rec, rownum in zip(records, rownums):
        for pos, value in enumerate(rec):
            if "\n" not in value and "\r" not in value:
                continue
            lines = value.splitlines()[1:]
            if sum(1 for ln in lines if ln.count(delimiter) >= width - 1) >= 1:
                problems.append({"row": rownum, "column": None, "code": "suspicious-quote",
                                 "message": f"the quoted value in column {pos + 1} holds {len(lines)} more "
                                            "line(s) that look like rows: check for a stray quote"})
                break


@functools.lru_cache(maxsize=8)
def _bad_quote_patterns(delimiter: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """(anywhere, at the start) patterns for a quoted field pyarrow would read differently from
    Python's strict csv module, or not as one line.

    A quoted field opens with a quote at the start of a field (after the delimiter or a newline);
    its content is other characters and doubled quotes (possessive: a ``""`` is never split
    into a closing quote and an opening one); it is bad when the line (or the file) ends before
    it closes, or when its closing quote is followed by anything but the delimiter or a line end
    (``"abc"def``, ``""x``, also after a doubled quote). The patterns start with the quote itself, which lets
    ``re`` jump from quote to quote instead of trying every byte.
    """
    d = re.escape(delimiter)
    body = rb'(?:[^"\r\n]|"")*+(?:[\r\n]|\Z|"[^' + d + rb"\r\n])"
    return re.compile(rb'"(?<=[' + d + rb'\n]")' + body), re.compile(rb'"' + body)


def _quoting_ok(data: bytes, delimiter: str) -> bool:
    """Every quoted field of ``data`` closes on its line and is followed by the delimiter or the
    line end: then pyarrow's one-line-per-record parse reads what Python's strict parser reads.

    pyarrow accepts text after a closing quote and a quote left open without a word, and a
    quoted value spanning lines would be cut at the line end; such files take the careful path.
    A quote not at the start of a field is a literal character to both parsers (``5"``).
    False alarms are possible (a quoted value holding the delimiter right before a quote, as in
    ``"a,"`` or ``"a,""b"``): they only cost speed.
    """
    d = delimiter.encode("utf-8")
    if len(d) != 1 or d in b'"\r\n':
        return False
    anywhere, at_start = _bad_quote_patterns(d)
    if data.startswith(b'"') and at_start.match(data):
        return False
    return anywhere.search(data) is None


def _parse_csv_fast(text: str, delimiter: str, hidx: int, head_records: list[list[str]],
                    problems: list[dict[str, Any]], raw: bytes | None = None,
                    checked: int | None = None) -> pd.DataFrame | None:
    """pyarrow's parser for the common, well-formed case; None means use the careful path.

    ``raw`` is ``text`` encoded as UTF-8 when the caller has it (the input bytes). ``checked``:
    only the first ``checked`` bytes of ``raw`` are known to be valid UTF-8 (None: all of it);
    pyarrow checks the rows it reads, so the lines up to the header must lie within them."""
    if len(head_records) <= hidx or len(text) < 1 << 16:
        return None  # small files: the careful path is fast enough
    if len(head_records[hidx]) > 256:
        return None  # wide tables: per-column checks below would cost more than they save
    if any("\n" in c or "\r" in c for r in head_records[: hidx + 1] for c in r):
        return None
    data = raw if raw is not None else text.encode("utf-8")
    # (ASCII bytes stand for the same characters in UTF-8: the checks below can run on bytes)
    if b"\r" in data and b"\r\n" not in data:
        return None  # bare CR line ends
    if b"\x00" in data:
        return None
    pos = 0
    try:
        for _ in range(hidx):
            pos = data.index(b"\n", pos) + 1
    except ValueError:
        return None
    if checked is not None and data.find(b"\n", pos, checked) < 0:
        return None  # the header line is not (all) in the part known to be UTF-8
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad: list[int] = []

    def on_invalid(row: Any) -> str:
        bad.append(1)
        return "skip"

    header = head_records[hidx]
    names = [f"f{i}" for i in range(len(header))]

    def parse() -> Any:
        try:
            return pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(data).slice(pos)),  # no copy of the body
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                                 ignore_empty_lines=False, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, pa.ArrowException, ValueError):
            return None  # (invalid UTF-8 too: pyarrow checks every value)

    # pyarrow parses (its threads run without the GIL) while the checks below run in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(parse)
        try:
            quoting = b'"' not in data or _quoting_ok(data, delimiter)
            # Row numbers are record numbers: a quoted newline would make records span lines, so
            # the fast path is only taken when every record is exactly one line (_quoting_ok
            # checked the quoted fields; the line count checks pyarrow saw one row per line).
            lines = data.count(b"\n", pos) + (0 if len(data) > pos and data.endswith(b"\n") else 1) if quoting else 0
        finally:
            table = future.result()
    if not quoting or table is None or bad or lines != table.num_rows + 1:
        return None
    rownums = np.arange(hidx + 2, hidx + 2 + table.num_rows, dtype=np.int64)
    blank = _blank_rows(table.columns)
    if blank is not None:
        keep = np.ones(table.num_rows, dtype=bool)
        keep[blank] = False
        table, rownums = table.filter(pa.array(keep)), rownums[keep]
    frame = table.to_pandas()
    frame.columns = _unique_headers(header, hidx + 1, problems)
    frame.index = pd.Index(rownums, dtype="int64", name="row")
    _flag_totals(frame, problems)
    return frame


def _blank_rows(columns: Sequence[Any]) -> np.ndarray | None:
    """Positions of the rows whose cells are all empty or whitespace (as ``_is_blank`` says),
    or None when there are none. ``columns``: pyarrow string arrays of one length.

    Only rows whose every cell starts like whitespace (or is empty) get the exact check."""
    maybe: np.ndarray | None = None
    for col in columns:
        first = _first_bytes(col)
        cell = np.ones(len(col), dtype=bool) if first is None else _MAYBE_BLANK.take(first)
        maybe = cell if maybe is None else (maybe & cell)
        if not maybe.any():
            return None
    if maybe is None:
        return None
    import pyarrow as pa

    where = np.flatnonzero(maybe)
    take = pa.array(where)
    cells = [col.take(take).to_pylist() for col in columns]
    blank = np.array([_is_blank(rec) for rec in zip(*cells)], dtype=bool)
    return where[blank] if blank.any() else None


# --------------------------------------------------------------------------- workbooks


def _check_zip(data: bytes, name: str) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise InputError(f"{name} is not a readable workbook (corrupt zip: {exc})") from None
    with zf:
        members = zf.infolist()
        if len(members) > 10_000:
            raise InputError(f"{name} is a zip of {len(members):,} files, not a workbook this tool will open")
        names = {m.filename for m in members}
        if "xl/workbook.xml" not in names and "content.xml" not in names and \
                not any(n.endswith("workbook.xml") for n in names):
            raise InputError(f"{name} is a zip file but not an Excel workbook")
        total = 0
        for m in members:
            total += m.file_size
            ratio = m.file_size / max(m.compress_size, 1)
            if total > MAX_XLSX_UNCOMPRESSED or (m.file_size > MAX_XLSX_RATIO_FLOOR and ratio > MAX_XLSX_RATIO):
                raise InputError(f"{name} inflates to more than this tool will read "
                                 f"({m.filename}: {m.file_size >> 20} MiB, ratio {ratio:.0f}:1)",
                                 hint="a zip bomb, or a workbook too large to open safely")
        for m in members:
            if not m.filename.endswith((".xml", ".rels")):
                continue
            try:
                with zf.open(m) as fh:
                    head = fh.read(4096)
            except (zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError) as exc:
                raise InputError(f"{name} is not a readable workbook ({m.filename}: {_short(exc)})") from None
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise InputError(f"{name}: {m.filename} declares XML entities (a DTD), which Excel never writes",
                                 hint="refused as a possible XML bomb; re-save the file in Excel")


def _cell_text(v: Any) -> str:
    import datetime as dt

    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return ""
        if v.is_integer() and abs(v) < 1e17:
            return str(int(v))
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        if v.hour == v.minute == v.second == v.microsecond == 0:
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v)


def _sheet_kind(meta: Any) -> str:
    return str(meta.typ).rpartition(".")[2]


def _read_workbook(data: bytes, fmt: str, name: str, sheet: str | int | None,
                   header_row: int | None, problems: list[dict[str, Any]]) -> tuple[pd.DataFrame, SourceInfo]:
    import python_calamine as cal

    if fmt in ("xlsx", "ods"):
        _check_zip(data, name)
    try:
        wb = cal.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = list(wb.sheets_metadata)
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise InputError(f"{name} is not a readable workbook ({_short(exc)})") from None
    sheets = [{"name": m.name, "hidden": m.visible != cal.SheetVisibleEnum.Visible, "kind": _sheet_kind(m)}
              for m in metas]
    try:
        if sheet is not None:
            chosen, rows = _pick_named_sheet(wb, metas, sheet, name)
        else:
            chosen, rows = _pick_default_sheet(wb, metas, sheets, name)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{name} is a damaged workbook: cannot read its sheet ({_short(exc)})") from None
    info = SourceInfo(path=name, format=fmt, sheet=chosen, sheets=sheets)
    if fmt == "xlsx":
        _patch_from_xml(data, chosen, rows, problems)
    text_rows = [[_cell_text(v) for v in r] for r in rows]
    if not text_rows or not any(_nonempty(r) for r in text_rows):
        info.header_row = None
        return pd.DataFrame(), info
    hidx = header_row - 1 if header_row is not None else detect_header(text_rows)
    if hidx >= len(text_rows):
        raise UsageError(f"--header-row {header_row} is past the last row ({len(text_rows)})")
    header = text_rows[hidx]
    _report_skipped(text_rows, hidx, problems)
    while header and not header[-1].strip() and all(len(r) < len(header) or not r[len(header) - 1].strip()
                                                       for r in text_rows[hidx + 1:]):
        header = header[:-1]
    body = [(i + 1, r) for i, r in enumerate(text_rows) if i > hidx and _nonempty(r)]
    names = _unique_headers(header, hidx + 1, problems)
    records = [r[: max(len(names), _last_filled(r))] for _, r in body]
    frame = _frame(names, records, [n for n, _ in body], hidx + 1, problems)
    info.header_row = hidx + 1
    return frame, info


_CELL_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR_R = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_ATTR_T = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
MAX_REPORTED = 50


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding worksheet ``sheet`` (workbook.xml + its rels, read with regexes:
    no DTD or entity is ever expanded)."""
    try:
        wb = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, OSError, zlib.error):
        return None
    from xml.sax.saxutils import unescape

    rid = None
    for m in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)/?>", wb):
        attrs = m.group(1)
        nm = re.search(rb'\bname="([^"]*)"', attrs)
        if nm and unescape(nm.group(1).decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"}) == sheet:
            r = re.search(rb'\br:id="([^"]*)"', attrs) or re.search(rb'\b\w+:id="([^"]*)"', attrs)
            rid = r.group(1) if r else None
            break
    if rid is None:
        return None
    for m in re.finditer(rb"<(?:\w+:)?Relationship\b([^>]*)/?>", rels):
        attrs = m.group(1)
        if re.search(rb'\bId="' + re.escape(rid) + rb'"', attrs):
            t = re.search(rb'\bTarget="([^"]*)"', attrs)
            if not t:
                return None
            target = t.group(1).decode("utf-8", "replace")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _patch_from_xml(data: bytes, sheet: str, rows: list[list[Any]], problems: list[dict[str, Any]]) -> None:
    """Fix what calamine's values lose, from the sheet's XML (size already bounded by ``_check_zip``):

    - error cells (``#DIV/0!``, ``#N/A``) read as empty: put the error text back (``error-cell``);
    - integers of 16+ digits (ids above 2**53) read as rounded floats: keep the exact digits;
    - formulas saved without a value (files written by tools that do not calculate): reported
      as ``formula-without-value``, since the value does not exist in the file.
    """
    counts = {"errors": 0, "formulas": 0}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = _sheet_part(zf, sheet)
            if part is None or part not in zf.namelist():
                return
            with zf.open(part) as fh:
                for chunk, pfx in _cell_chunks(fh):
                    _patch_chunk(chunk, pfx, rows, problems, counts)
    except (zipfile.BadZipFile, OSError, KeyError, zlib.error, EOFError):
        return
    formulas, errors = counts["formulas"], counts["errors"]
    if formulas > MAX_REPORTED:
        problems.append({"row": None, "column": None, "code": "formula-without-value",
                         "message": f"{formulas - MAX_REPORTED} more formula cells have no saved value"})
    if errors > MAX_REPORTED:
        problems.append({"row": None, "column": None, "code": "error-cell",
                         "message": f"{errors - MAX_REPORTED} more cells hold Excel errors"})


def _cell_chunks(fh: IO[bytes], size: int = 2 << 20) -> Iterable[tuple[bytes, bytes]]:
    """The sheet XML in pieces of about ``size`` bytes, each cut before a ``<c`` so no cell is split
    (memory stays at a few chunks, not the whole inflated sheet). Yields (chunk, namespace prefix)."""
    carry = b""
    pfx: bytes | None = None
    while True:
        block = fh.read(size)
        buf = carry + block
        if pfx is None:
            m = re.search(rb"<(\w+:)?sheetData\b", buf)
            if m is None and block and len(buf) < 64 << 20:
                carry = buf
                continue
            pfx = (m.group(1) or b"") if m else b""
        if not block:
            if buf:
                yield buf, pfx
            return
        cut = buf.rfind(b"<" + pfx + b"c ")
        if cut <= 0:
            if len(buf) > 64 << 20:
                return  # one cell of 64 MiB: not something to patch
            carry = buf
            continue
        yield buf[:cut], pfx
        carry = buf[cut:]


def _patch_chunk(xml: bytes, pfx: bytes, rows: list[list[Any]], problems: list[dict[str, Any]],
                 counts: dict[str, int]) -> None:
    cell_open = b"<" + pfx + b"c"
    starts: set[int] = set()
    for marker in (b't="e"', b"<" + pfx + b"f>", b"<" + pfx + b"f "):
        pos = xml.find(marker)
        while pos >= 0:
            starts.add(xml.rfind(cell_open, 0, pos))
            pos = xml.find(marker, pos + 1)
    for big in re.finditer(b"<" + re.escape(pfx) + rb"v>-?\d{16,}<", xml):
        starts.add(xml.rfind(cell_open, 0, big.start()))
    starts.discard(-1)
    for start in sorted(starts):
        m = _CELL_RE.match(xml, start)
        if not m:
            continue
        attrs, inner = m.group(1), m.group(2) or b""
        ref = _ATTR_R.search(attrs)
        if not ref:
            continue
        r, c = int(ref.group(2)) - 1, _col_index(ref.group(1))
        kind = _ATTR_T.search(attrs)
        kind = kind.group(1) if kind else b"n"
        value = _VALUE.search(inner)
        text = value.group(1).decode("utf-8", "replace") if value else None
        label = f"{ref.group(1).decode()}{r + 1}"
        if kind == b"e" and text:
            _put(rows, r, c, text)
            counts["errors"] += 1
            if counts["errors"] <= MAX_REPORTED:
                problems.append({"row": r + 1, "column": None, "code": "error-cell",
                                 "message": f"cell {label} holds the Excel error {text}"})
        elif kind == b"n" and text and re.fullmatch(r"-?\d{16,}", text):
            _put(rows, r, c, text)
        if _FORMULA.search(inner) and value is None:
            counts["formulas"] += 1
            if counts["formulas"] <= MAX_REPORTED:
                problems.append({"row": r + 1, "column": None, "code": "formula-without-value",
                                 "message": f"cell {label} has a formula but no saved value (read as empty); "
                                            "open and save the file in Excel to calculate it"})


def _put(rows: list[list[Any]], r: int, c: int, value: str) -> None:
    if r >= len(rows) + 1000:
        return  # far below what calamine read: not a cell of this table
    while r >= len(rows):
        rows.append([])
    row = rows[r]
    if c >= len(row):
        row.extend([""] * (c + 1 - len(row)))
    row[c] = value


def _last_filled(row: Sequence[str]) -> int:
    for j in range(len(row) - 1, -1, -1):
        if row[j].strip():
            return j + 1
    return 0


def _sheet_rows(wb: Any, index: int) -> list[list[Any]]:
    sh = wb.get_sheet_by_index(index)
    rows = sh.to_python(skip_empty_area=False)
    return rows


def _pick_named_sheet(wb: Any, metas: list, sheet: str | int, name: str) -> tuple[str, list]:
    names = [m.name for m in metas]
    idx: int | None = None
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
        n = int(sheet)
        if not 1 <= n <= len(names):
            raise InputError(f"{name} has no sheet number {n} (it has {len(names)})",
                             hint="sheets: " + ", ".join(names))
        idx = n - 1
    elif sheet in names:
        idx = names.index(sheet)
    else:
        raise InputError(f"{name} has no sheet named {sheet!r}", hint="sheets: " + ", ".join(names))
    if _sheet_kind(metas[idx]) != "WorkSheet":
        raise InputError(f"sheet {names[idx]!r} of {name} is a {_sheet_kind(metas[idx])}, not a worksheet")
    return names[idx], _sheet_rows(wb, idx)


def _pick_default_sheet(wb: Any, metas: list, sheets: list[dict], name: str) -> tuple[str, list]:
    first_empty: tuple[str, list] | None = None
    for idx, (meta, s) in enumerate(zip(metas, sheets)):
        if s["hidden"] or s["kind"] != "WorkSheet":
            continue
        rows = _sheet_rows(wb, idx)
        if any(any(v not in (None, "") for v in r) for r in rows):
            return meta.name, rows
        first_empty = first_empty or (meta.name, rows)
    if first_empty is not None:
        return first_empty
    raise InputError(f"{name} has no visible worksheet", hint="choose one with --sheet")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


# --------------------------------------------------------------------------- JSON


def _read_json(text: str, fmt: str, name: str) -> pd.DataFrame:
    try:
        if fmt == "jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            records = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{name} is not valid JSON ({_short(exc)})") from None
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(f"{name}: JSON input must be a list of objects (records)")
    columns: list[str] = []
    seen: set[str] = set()
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                columns.append(k)

    def text_of(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (dict, list)):
            return json.dumps(v, ensure_ascii=False)
        return _cell_text(v)

    frame = pd.DataFrame({c: pd.Series([text_of(r.get(c)) for r in records], dtype="str") for c in columns})
    frame.index = pd.Index(range(2, len(records) + 2), dtype="int64", name="row")
    return frame


# --------------------------------------------------------------------------- read_table


_EMPTY_BYTES = b" \t\r\n\x00\x1a\xef\xbb\xbf"
#: A CSV larger than this is first tried as UTF-8 without decoding all of it (see below).
QUICK_HEAD_BYTES = 4 << 20


def _read_big_utf8_csv(data: bytes, fmt: str, name: str, encoding: str | None, header_row: int | None,
                       delimiter: str | None) -> tuple[pd.DataFrame, SourceInfo, list[dict[str, Any]]] | None:
    """A big UTF-8 CSV without decoding all of it to text: (frame, info, problems), or None to
    take the full path (decode_text, then the fast or the careful parser) as for any other file.

    Only the head is decoded (4 MiB: at least the 2**20 characters that sniffing the delimiter
    and the header looks at, so both come out as from the whole text); the bytes go to pyarrow,
    which checks that every value is UTF-8. Whenever that parser does not take the file (odd
    quoting, another encoding further down, ...) or anything is raised, None: the full path
    then decides, detects the encoding and reports errors exactly as before.
    """
    if fmt not in TEXT_FORMATS or len(data) <= QUICK_HEAD_BYTES:
        return None
    bom = data.startswith(codecs.BOM_UTF8)
    if encoding:
        try:
            if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
                return None
        except LookupError:
            return None
        label = encoding
    elif bom:
        label = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)) or _looks_utf16(data):
        return None  # (decode_text checks these before trying UTF-8; UTF-32-LE starts like UTF-16-LE)
    else:
        label = "utf-8"
    raw = data[3:] if bom else data
    try:
        head = codecs.getincrementaldecoder("utf-8")().decode(raw[:QUICK_HEAD_BYTES], final=False)
    except UnicodeDecodeError:
        return None
    if len(head) < 1 << 20 or head.startswith("\ufeff") or head.endswith("\x1a"):
        return None
    problems: list[dict[str, Any]] = []
    delim = delimiter or sniff_delimiter(head, "\t" if fmt == "tsv" else ",")
    try:
        parsed = _parse_csv(head, delim, header_row, problems, raw=raw, fast_only=True)
    except CrmError:
        return None
    if parsed is None or parsed[0].shape[1] == 0:
        return None
    frame, hrow = parsed
    info = SourceInfo(path=name, format="tsv" if delim == "\t" else "csv", encoding=label, delimiter=delim,
                      header_row=hrow)
    return frame, info, problems


def read_table(source: Source, *, sheet: str | int | None = None, encoding: str | None = None,
               header_row: int | None = None, delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/XLSX/XLS/ODS/JSON table as text.

    ``source`` is a path, ``"-"`` (stdin), bytes, or a binary file object. The format comes
    from the content first (an xlsx starts with ``PK\\x03\\x04``), then the extension.
    Returns a DataFrame of ``str`` columns (empty cells are ``""``) indexed by Excel row
    number; :func:`source_info` gives what was detected. Raises :class:`InputError` when
    the input cannot be read.
    """
    if header_row is not None and header_row < 1:
        raise UsageError("--header-row must be 1 or more")
    if delimiter is not None and len(delimiter) != 1:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise UsageError(f"delimiter must be one character, not {delimiter!r}")
    data, ext_format, name = _read_bytes(source)
    if not data[:4096].strip(_EMPTY_BYTES) and not data.strip(_EMPTY_BYTES):
        raise InputError(f"{name} is empty", hint="export the data again")
    fmt = _sniff_format(data, ext_format, name)
    problems: list[dict[str, Any]] = []
    if fmt in ("xlsx", "xls", "ods"):
        frame, info = _read_workbook(data, fmt, name, sheet, header_row, problems)
    else:
        if sheet is not None:
            raise UsageError(f"--sheet applies to workbooks; {name} is {fmt.upper()}")
        quick = _read_big_utf8_csv(data, fmt, name, encoding, header_row, delimiter)
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
            frame = _read_json(text, fmt, name)
            info.header_row = None
        else:
            delim = delimiter or sniff_delimiter(text, "\t" if fmt == "tsv" else ",")
            fmt = "tsv" if delim == "\t" else "csv"
            info.format, info.delimiter = fmt, delim
            frame, info.header_row = _parse_csv(text, delim, header_row, problems, raw=raw)
            if frame.shape[1] == 0:
                raise InputError(f"{name} has no header row", hint="the file holds no data")
    info.rows = len(frame)
    info.problems = problems
    frame.attrs["source"] = info
    return frame


# --------------------------------------------------------------------------- writing

_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: first bytes that start a formula (``_FORMULA_START``)
_FORMULA_FIRST = byte_table(b"=+-@\t\r")


def is_formula_like(value: str) -> bool:
    """True when a text cell would start a formula in Excel and is not a plain number."""
    return bool(_FORMULA_START.match(value)) and not _PLAIN_NUMBER.match(value)


def _plain_numbers(arr: Any, first: np.ndarray) -> np.ndarray:
    """Which values of ``arr`` (a pyarrow string array; ``first`` from :func:`_first_bytes`) are
    plain numbers starting with ``+`` or ``-`` (``_PLAIN_NUMBER`` as RE2 reads it: ASCII digits,
    ``$`` = end of text). Only those can start like a formula and still be a number.

    Signed integers (phones in E.164, refunds) are the bulk: the sign is swapped for a ``0`` in a
    copy of the data buffer and ``ascii_is_decimal`` checks the lot; the rest (``-12.5``) gets
    the regex.
    """
    import pyarrow as pa
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
            bufs = sub.buffers()
            otype = np.int64 if pa.types.is_large_string(sub.type) or pa.types.is_large_binary(sub.type) else np.int32
            offsets = np.frombuffer(bufs[1], dtype=otype, count=sub.offset + len(sub) + 1)[sub.offset:]
            data = np.frombuffer(bufs[2], dtype=np.uint8).copy()
            data[offsets[:-1][sign] if dense else offsets[:-1]] = ord("0")
            swapped = pa.Array.from_buffers(sub.type, len(sub), [None, bufs[1], pa.py_buffer(data)],
                                            null_count=0, offset=sub.offset)
            ok = np.asarray(pc.ascii_is_decimal(swapped).to_numpy(zero_copy_only=False), dtype=bool)
            ok &= np.diff(offsets) >= 2
            if dense:
                ok &= sign
            rest = (sign & ~ok) if dense else ~ok
            if rest.any():
                again = pc.match_substring_regex(sub.filter(pa.array(rest)), _PLAIN_NUMBER.pattern)
                ok[rest] = np.asarray(again.to_numpy(zero_copy_only=False), dtype=bool)
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
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = getattr(s.array, "_pa_array", None)
    if arr is not None and not s.hasnans:
        # The first byte of every value, read from the arrow buffers: only the few values that
        # start like a formula get the plain-number test (RE2, as before), not the whole column.
        first = _first_bytes(arr)
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
            starts_a = pc.match_substring_regex(arr, _FORMULA_START.pattern)
            if not pc.any(starts_a).as_py():
                return series
            mask_a = pc.and_(starts_a, pc.invert(pc.match_substring_regex(arr, _PLAIN_NUMBER.pattern)))
            if not pc.any(mask_a).as_py():
                return series
        quote, empty = pa.scalar("'", arr.type), pa.scalar("", arr.type)
        escaped = pc.if_else(mask_a, pc.binary_join_element_wise(quote, arr, empty), arr)
        return pd.Series(pd.array(escaped, dtype=s.dtype), index=s.index, name=s.name)
    starts = s.str.match(_FORMULA_START.pattern, na=False)
    if not starts.any():
        return series

    cand = s[starts]
    plain = pc.match_substring_regex(pa.array(cand.to_numpy(dtype=object), type=pa.string()),
                                     _PLAIN_NUMBER.pattern).to_numpy(zero_copy_only=False)
    starts = starts.to_numpy(dtype=bool)
    mask = starts.copy()
    mask[starts] = ~plain
    if not mask.any():
        return series
    candidates = s[mask]
    mask[mask] = ~candidates.str.fullmatch(_PLAIN_NUMBER.pattern[1:-1], na=False).to_numpy()
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
    fmt = _EXT_FORMATS.get(ext)
    if fmt in WRITE_FORMATS:
        return fmt
    if ext in (".txt", ""):
        return "csv"
    raise UsageError(f"cannot write {ext} files", hint="use .csv, .tsv, .xlsx, .json or .jsonl")


def default_output(source: str | os.PathLike | None, suffix: str = "cleaned", ext: str | None = None) -> str:
    """Where output goes by default: stdout for stdin, else ``<stem>.<suffix><ext>`` beside the input."""
    if source is None or os.fspath(source) == "-":
        return "-"
    p = Path(os.fspath(source))
    return str(p.with_name(f"{p.stem}.{suffix}{ext or p.suffix or '.csv'}"))


def _check_dest(dest: Path, inputs: Iterable[str | os.PathLike]) -> None:
    for inp in inputs:
        if inp is None or os.fspath(inp) == "-":
            continue
        try:
            if dest.exists() and os.path.samefile(dest, inp):
                raise OutputError(f"refusing to overwrite the input {os.fspath(inp)}",
                                  hint="choose another -o path")
        except OSError:
            continue
    if dest.is_dir():
        raise OutputError(f"{dest} is a directory", hint="give a file name with -o")
    if not dest.parent.exists():  # every command creates a missing output folder
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create folder {dest.parent} for {dest} ({exc.strerror or exc})") from None


def atomic_write(dest: str | os.PathLike, write: Any, *, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """Call ``write(fileobj)`` on a temp file beside ``dest``, then rename it into place.

    ``dest`` of ``"-"`` writes to stdout. A failure leaves any previous ``dest`` untouched.
    """
    if os.fspath(dest) == "-":
        buf = io.BytesIO()
        write(buf)
        try:
            sys.stdout.buffer.write(buf.getvalue())
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write to stdout ({exc.strerror or exc})") from None
        return
    path = Path(os.fspath(dest))
    _check_dest(path, inputs)
    if path.exists() and not path.is_file() and not path.is_dir():
        # a device or pipe (-o /dev/null, a FIFO): write into it; renaming over it would replace it
        try:
            with open(path, "wb") as fh:
                write(fh)
        except OSError as exc:
            raise OutputError(f"cannot write {path} ({exc.strerror or exc})") from None
        return
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        if path.exists():
            try:
                os.chmod(tmp_name, path.stat().st_mode & 0o777)
            except OSError:
                pass
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, path)
        tmp_name = None
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror or exc})") from None
    finally:
        if tmp_name and os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _escape_value(v: Any) -> Any:
    """Scalar :func:`escape_formulas`."""
    if isinstance(v, str) and v and v[0] in "=+-@\t\r" and not _PLAIN_NUMBER.match(v):
        return "'" + v
    return v


def _csv_bytes(df: pd.DataFrame, fh: IO[bytes], delimiter: str, bom: bool) -> None:
    import pyarrow as pa
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
            s = s.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
        if len(s) <= 1000 and pd.api.types.is_string_dtype(s) and s.dtype != object:
            # short columns (wide tables): plain Python beats a dozen pandas calls per column
            values = [None if not isinstance(v, str) else _escape_value(v) for v in s.tolist()]
            arrays.append(pa.array(values, type=pa.string()))
        else:
            arrays.append(pa.Array.from_pandas(escape_formulas(s).reset_index(drop=True)))
    header = io.StringIO()
    csv.writer(header, delimiter=delimiter, lineterminator="\n").writerow([_escape_value(c) for c in names])
    fh.write(header.getvalue().encode("utf-8"))
    table = pa.Table.from_arrays(arrays, names=[f"c{j}" for j in range(len(names))])
    pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed",
                                                                include_header=False))


def _json_safe(v: Any) -> Any:
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, (_json_safe(v) for v in row))) for row in df.itertuples(index=False, name=None)]


def write_table(df: pd.DataFrame, dest: str | os.PathLike, *, format: str | None = None,
                bom: bool = False, sheet_name: str = "data",
                inputs: Iterable[str | os.PathLike] = ()) -> str:
    """Write one table to ``dest`` (a path or ``"-"`` for stdout). Returns the format used.

    CSV/TSV are UTF-8 (``bom=True`` adds a BOM for Excel); xlsx gets a bold, frozen,
    filtered header; JSON is a list of records, JSONL one record a line. Text that would
    start a formula is escaped. Writing is atomic and never onto one of ``inputs``.
    """
    fmt = output_format(dest, format)
    if fmt == "xlsx":
        return write_workbook({sheet_name: df}, dest, inputs=inputs) or fmt

    def write(fh: IO[bytes]) -> None:
        if fmt in ("csv", "tsv"):
            _csv_bytes(df, fh, "\t" if fmt == "tsv" else ",", bom)
        elif fmt == "json":
            fh.write(json.dumps(_records(df), ensure_ascii=False, indent=1).encode("utf-8"))
            fh.write(b"\n")
        else:
            for rec in _records(df):
                fh.write(json.dumps(rec, ensure_ascii=False).encode("utf-8"))
                fh.write(b"\n")

    atomic_write(dest, write, inputs=inputs)
    return fmt


def write_workbook(sheets: Mapping[str, pd.DataFrame], dest: str | os.PathLike, *,
                   number_formats: Mapping[str, Mapping[str, str]] | None = None,
                   highlights: Mapping[str, Iterable[tuple[int, int]]] | None = None,
                   inputs: Iterable[str | os.PathLike] = ()) -> str:
    """Write several tables as sheets of one xlsx (xlsxwriter, constant memory).

    Text cells are written as text (a ``=`` at the start never becomes a formula), numbers
    as numbers, datetimes as dates. Every sheet gets a bold frozen header with a filter and
    columns sized to their content. ``number_formats[sheet][column]`` sets an Excel number
    format; ``highlights[sheet]`` lists ``(row_position, column_position)`` cells to fill.
    """
    import datetime as dt

    import xlsxwriter

    number_formats = number_formats or {}
    highlights = highlights or {}

    def write(fh: IO[bytes]) -> None:
        wb = xlsxwriter.Workbook(fh, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False, "strings_to_numbers": False,
                                      "nan_inf_to_errors": False})
        bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        formats: dict[tuple[str, bool], Any] = {}

        def fmt_for(num: str | None, hl: bool) -> Any:
            key = (num or "", hl)
            if key not in formats:
                props: dict[str, Any] = {}
                if num:
                    props["num_format"] = num
                if hl:
                    props["bg_color"] = "#FFC7CE"
                formats[key] = wb.add_format(props) if props else None
            return formats[key]

        for sheet_name, df in sheets.items():
            # xlsxwriter skips cells past the sheet's edge without an error: refuse instead
            if len(df) + 1 > EXCEL_MAX_ROWS or len(df.columns) > EXCEL_MAX_COLUMNS:
                raise OutputError(f"sheet {sheet_name!r} would have {len(df) + 1:,} rows and {len(df.columns):,} "
                                  f"columns; an Excel sheet holds {EXCEL_MAX_ROWS:,} x {EXCEL_MAX_COLUMNS:,}",
                                  hint="write CSV instead (-o FILE.csv)")
            ws = wb.add_worksheet(_sheet_title(sheet_name))
            cols = [str(c) for c in df.columns]
            marks: dict[int, set[int]] = {}
            for r, c in highlights.get(sheet_name, ()):
                marks.setdefault(r, set()).add(c)
            nf = number_formats.get(sheet_name, {})
            widths = [min(max(_width(c), 6), 60) for c in cols]
            for j, c in enumerate(cols):
                if len(c) > 32767:
                    raise OutputError(f"sheet {sheet_name!r}: a column name of {len(c):,} characters does not "
                                      "fit an Excel cell (32,767 at most)", hint="write CSV instead")
                ws.write_string(0, j, c, bold)
            kinds = []
            for c in df.columns:
                s = df[c]
                if pd.api.types.is_bool_dtype(s):
                    kinds.append("bool")
                elif pd.api.types.is_numeric_dtype(s):
                    kinds.append("num")
                elif pd.api.types.is_datetime64_any_dtype(s):
                    kinds.append("date")
                else:
                    kinds.append("text")
            for i, row in enumerate(df.itertuples(index=False, name=None)):
                hl = marks.get(i, ())
                for j, v in enumerate(row):
                    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT or v is pd.NA:
                        if j in hl:
                            ws.write_blank(i + 1, j, None, fmt_for(None, True))
                        continue
                    kind = kinds[j]
                    cell_fmt = fmt_for(nf.get(cols[j]), j in hl)
                    if kind == "num" and not isinstance(v, bool):
                        fv = float(v)
                        if fv != fv or fv in (float("inf"), float("-inf")):
                            continue
                        ws.write_number(i + 1, j, fv, cell_fmt)
                        if i < 200:
                            widths[j] = max(widths[j], min(len(f"{fv:,.2f}"), 60))
                    elif kind == "date":
                        ts = pd.Timestamp(v).to_pydatetime()
                        has_time = ts.hour or ts.minute or ts.second
                        f = fmt_for(nf.get(cols[j]) or ("yyyy-mm-dd hh:mm:ss" if has_time else "yyyy-mm-dd"), j in hl)
                        ws.write_datetime(i + 1, j, ts.replace(tzinfo=None), f)
                        widths[j] = max(widths[j], 19 if has_time else 11)
                    elif kind == "bool" or isinstance(v, bool):
                        ws.write_boolean(i + 1, j, bool(v), cell_fmt)
                    elif isinstance(v, (dt.datetime, np.datetime64)):
                        # a typed cell in a mixed (object) column, e.g. a date column holding invalid text too
                        ts = pd.Timestamp(v).to_pydatetime()
                        has_time = ts.hour or ts.minute or ts.second
                        f = fmt_for(nf.get(cols[j]) or ("yyyy-mm-dd hh:mm:ss" if has_time else "yyyy-mm-dd"), j in hl)
                        ws.write_datetime(i + 1, j, ts.replace(tzinfo=None), f)
                        widths[j] = max(widths[j], 19 if has_time else 11)
                    elif isinstance(v, (int, float, np.integer, np.floating)):
                        ws.write_number(i + 1, j, float(v), cell_fmt)  # a number in a mixed column
                    else:
                        text = str(v)
                        if len(text) > 32767:
                            raise OutputError(f"sheet {sheet_name!r}, row {i + 2}, column {cols[j]!r} holds "
                                              f"{len(text):,} characters; an Excel cell holds at most 32,767",
                                              hint="write CSV instead (-o FILE.csv)")
                        ws.write_string(i + 1, j, text, cell_fmt)
                        if i < 200:
                            widths[j] = max(widths[j], min(_width(text), 60))
            for j, w in enumerate(widths):
                ws.set_column(j, j, w + 2)
            ws.freeze_panes(1, 0)
            if cols:
                ws.autofilter(0, 0, max(len(df), 1), len(cols) - 1)
        wb.close()

    atomic_write(dest, write, inputs=inputs)
    return "xlsx"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text[:80])


def _sheet_title(name: str) -> str:
    bad = re.compile(r"[\[\]:*?/\\]")
    return bad.sub("_", name)[:31] or "sheet"


def read_input(source: Source | pd.DataFrame, read: Any = None) -> pd.DataFrame:
    """``source`` as a table: a DataFrame as it is, else :func:`read_table` with ``read``
    (a :class:`crmcli.options.ReadOptions`; None = detect everything)."""
    if isinstance(source, pd.DataFrame):
        return source
    return read_table(source, **(read.kwargs() if read is not None else {}))


def write_sheets(tables: Mapping[str, pd.DataFrame], spec: Any, *, primary: str | None = None,
                 number_formats: Mapping[str, Mapping[str, str]] | None = None,
                 highlights: Mapping[str, Iterable[tuple[int, int]]] | None = None,
                 inputs: Iterable[str | os.PathLike] = ()) -> str:
    """Write named tables to ``spec`` (a :class:`crmcli.options.WriteSpec`): every table a sheet of an
    xlsx, else the one table ``primary`` (default: the first) in the spec's format. Returns the format."""
    if spec.format == "xlsx":
        return write_workbook(tables, spec.dest, number_formats=number_formats, highlights=highlights,
                              inputs=inputs)
    name = primary or next(iter(tables))
    return write_table(tables[name], spec.dest, format=spec.format, inputs=inputs)
