"""CSV/TSV text to the text frame: the delimiter and header row sniffed, then pyarrow's parser
(:mod:`.csv_fast`) for the common well-formed file and Python's csv module for the rest.

A big UTF-8 file is first tried without decoding all of it (:func:`read_big_utf8_csv`).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..errors import CrmError, InputError
from .csv_fast import parse_csv_fast
from .decode import looks_utf16
from .frame import (MAX_COLUMNS, SNIFF_RECORDS, build_frame, check_width, detect_header, is_blank_record,
                    report_skipped_rows, unique_headers)
from .source import SourceInfo

TEXT_FORMATS = ("csv", "tsv")
_DELIMITERS = (",", ";", "\t", "|", "，")

csv.field_size_limit(2**31 - 1)


def _split_records(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    """The first ``limit`` records of ``text`` (what parses of them: sniffing never fails)."""
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
    """The first ``lines`` lines of ``text``, at most ``chars`` characters: what sniffing looks at."""
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

def parse_csv(text: str, delimiter: str, header_row: int | None,
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
    check_width(max((len(r) for r in head_records), default=0))
    report_skipped_rows(head_records, hidx, problems)
    fast = parse_csv_fast(text, delimiter, hidx, head_records, problems, raw,
                           checked=len(text) if fast_only else None)
    if fast is not None:
        return fast, hidx + 1
    if fast_only:
        return None
    try:
        header, records, rownums = read_records(text, delimiter, hidx, strict=True)
    except csv.Error:
        # A quote closed in the middle of a field ("abc"def): read it as Excel does, and say so.
        header, records, rownums = read_records(text, delimiter, hidx, strict=False)
        problems.append({"row": None, "column": None, "code": "stray-quote",
                         "message": "a quoted field has text after its closing quote; read as Excel does "
                                    "(check the quoting)"})
    if header is None:
        return pd.DataFrame(), hidx + 1
    names = unique_headers(header, hidx + 1, problems)
    _flag_swallowed_rows(records, rownums, delimiter, len(names), problems)
    return build_frame(names, records, rownums, hidx + 1, problems), hidx + 1

def read_records(text: str, delimiter: str, hidx: int, strict: bool
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
                check_width(len(rec), rownum)
            if rownum <= hidx:
                continue
            if header is None:
                header = rec
                continue
            if is_blank_record(rec):
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

#: A CSV larger than this is first tried as UTF-8 without decoding all of it (see below).
QUICK_HEAD_BYTES = 4 << 20


def read_big_utf8_csv(data: bytes, fmt: str, name: str, encoding: str | None, header_row: int | None,
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
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)) or looks_utf16(data):
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
        parsed = parse_csv(head, delim, header_row, problems, raw=raw, fast_only=True)
    except CrmError:
        return None
    if parsed is None or parsed[0].shape[1] == 0:
        return None
    frame, hrow = parsed
    info = SourceInfo(path=name, format="tsv" if delim == "\t" else "csv", encoding=label, delimiter=delim,
                      header_row=hrow)
    return frame, info, problems

