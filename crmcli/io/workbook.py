"""Workbooks (xlsx, xls, ods) to the text frame, read with calamine.

The first visible worksheet holding data (or ``sheet`` by name or 1-based number). An xlsx or
ods is checked as a zip first (bombs, DTDs: refused); what calamine's values lose (error cells,
16+ digit integers, formulas without a saved value) is patched from the sheet's XML.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from typing import IO, Any

import pandas as pd

from ..errors import InputError, UsageError
from .frame import build_frame, cell_text, count_filled, detect_header, report_skipped_rows, unique_headers
from .source import SourceInfo, describe_error

#: Limits that keep a small hostile workbook from taking the machine.
MAX_XLSX_UNCOMPRESSED = 1 << 30          # 1 GiB of XML in all
MAX_XLSX_RATIO = 200                      # ... and no member inflating more than this
MAX_XLSX_RATIO_FLOOR = 64 << 20           # ratio only checked above 64 MiB inflated


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
                raise InputError(f"{name} is not a readable workbook ({m.filename}: {describe_error(exc)})") from None
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise InputError(f"{name}: {m.filename} declares XML entities (a DTD), which Excel never writes",
                                 hint="refused as a possible XML bomb; re-save the file in Excel")


def _sheet_kind(meta: Any) -> str:
    return str(meta.typ).rpartition(".")[2]


def read_workbook(data: bytes, fmt: str, name: str, sheet: str | int | None,
                   header_row: int | None, problems: list[dict[str, Any]]) -> tuple[pd.DataFrame, SourceInfo]:
    import python_calamine as cal

    if fmt in ("xlsx", "ods"):
        _check_zip(data, name)
    try:
        wb = cal.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = list(wb.sheets_metadata)
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise InputError(f"{name} is not a readable workbook ({describe_error(exc)})") from None
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
        raise InputError(f"{name} is a damaged workbook: cannot read its sheet ({describe_error(exc)})") from None
    info = SourceInfo(path=name, format=fmt, sheet=chosen, sheets=sheets)
    if fmt == "xlsx":
        _patch_from_xml(data, chosen, rows, problems)
    text_rows = [[cell_text(v) for v in r] for r in rows]
    if not text_rows or not any(count_filled(r) for r in text_rows):
        info.header_row = None
        return pd.DataFrame(), info
    hidx = header_row - 1 if header_row is not None else detect_header(text_rows)
    if hidx >= len(text_rows):
        raise UsageError(f"{{opt:header_row}} {header_row} is past the last row ({len(text_rows)})")
    header = text_rows[hidx]
    report_skipped_rows(text_rows, hidx, problems)
    while header and not header[-1].strip() and all(len(r) < len(header) or not r[len(header) - 1].strip()
                                                       for r in text_rows[hidx + 1:]):
        header = header[:-1]
    body = [(i + 1, r) for i, r in enumerate(text_rows) if i > hidx and count_filled(r)]
    names = unique_headers(header, hidx + 1, problems)
    records = [r[: max(len(names), _last_filled(r))] for _, r in body]
    frame = build_frame(names, records, [n for n, _ in body], hidx + 1, problems)
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
    raise InputError(f"{name} has no visible worksheet", hint="choose one with {opt:sheet}")

