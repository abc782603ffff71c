"""Dates: ISO text out (``2024-03-05``, or ``2024-03-05 14:23:05`` when the column has times).

Accepted forms (each distinct value is parsed once, by explicit patterns — never by a
format-guessing parser): ISO ``2024-03-05``, ``2024/3/5``, ``2024.03.05``, ``2024年3月5日``,
``20240305``, ``2024-03-05 14:23:05`` / ``2024-03-05T14:23``, Excel serial numbers
(origin 1899-12-30; only serials for 1950..2099, i.e. 18264..73050), ``5 Mar 2024``,
``Mar 5, 2024``, and ``dd/mm/yyyy`` vs ``mm/dd/yyyy`` (also with ``.`` or ``-``).

Day-first or month-first is decided per column by evidence: a value whose first number is
over 12 votes day-first, one whose second number is over 12 votes month-first, and the
majority wins; ``dayfirst=True/False`` forces it. With no evidence either way, a value such
as ``03/05/2024`` is an ``ambiguous-date`` warning and is kept as written (``05/05/2024``
is not ambiguous). Impossible dates (``2024-02-30``) and words (``待定``) are
``invalid-date``.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

YEAR_MIN, YEAR_MAX = 1900, 2099
EXCEL_EPOCH = np.datetime64("1899-12-30", "s")
SERIAL_MIN, SERIAL_MAX = 18264, 73050      # 1950-01-01 .. 2099-12-31

_TIME = r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?Z?)?"
_YMD = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_CN = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
                 r"(?:\s*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})\s*秒?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.(\d+))?$")
_AB = re.compile(rf"^(\d{{1,2}})([-/.])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}$")
_D_MON_Y = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/]*([A-Za-z]{{3,9}})\.?,?[\s\-/]*(\d{{4}}){_TIME}$")
_MON_D_Y = re.compile(rf"^([A-Za-z]{{3,9}})\.?[\s\-/]*(\d{{1,2}})(?:st|nd|rd|th)?,?[\s\-/]*(\d{{4}}){_TIME}$")

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

# Parsed pieces of one value: (year, month, day, hour, minute, second, has_time) or a
# day/month-order question ("ab", first, second, year, h, m, s, has_time).


def _time(g: Sequence[str | None]) -> tuple[int, int, int, bool]:
    h, mi, s = g
    if h is None:
        return 0, 0, 0, False
    return int(h), int(mi), int(s or 0), True


def _year2(y: str) -> int:
    n = int(y)
    return n if len(y) == 4 else (2000 + n if n < 70 else 1900 + n)


def _pieces(s: str) -> tuple | None:
    m = _YMD.match(s)
    if m:
        return (int(m[1]), int(m[2]), int(m[3]), *_time(m.groups()[3:6]))
    m = _COMPACT.match(s)
    if m:
        return (int(m[1]), int(m[2]), int(m[3]), 0, 0, 0, False)
    m = _SERIAL.match(s)
    if m and SERIAL_MIN <= int(m[1]) <= SERIAL_MAX:
        seconds = round(float("0." + m[2]) * 86400) if m[2] else 0
        ts = (EXCEL_EPOCH + np.timedelta64(int(m[1]), "D") + np.timedelta64(seconds, "s")).item()
        return (ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second, seconds != 0)
    m = _AB.match(s)
    if m:
        return ("ab", int(m[1]), int(m[3]), _year2(m[4]), *_time(m.groups()[4:7]))
    m = _CN.match(s)
    if m:
        return (int(m[1]), int(m[2]), int(m[3]), *_time(m.groups()[3:6]))
    m = _D_MON_Y.match(s)
    if m and m[2].lower() in MONTHS:
        return (int(m[3]), MONTHS[m[2].lower()], int(m[1]), *_time(m.groups()[3:6]))
    m = _MON_D_Y.match(s)
    if m and m[1].lower() in MONTHS:
        return (int(m[3]), MONTHS[m[1].lower()], int(m[2]), *_time(m.groups()[3:6]))
    return None


def _valid(y: int, mo: int, d: int, h: int, mi: int, s: int) -> bool:
    return (YEAR_MIN <= y <= YEAR_MAX and 1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]
            and h < 24 and mi < 60 and s < 60)


def decide_dayfirst(pieces: Sequence[tuple | None]) -> bool | None:
    """The column's order for ``a/b/yyyy`` values: True day-first, False month-first, None undecided."""
    day_votes = month_votes = 0
    for p in pieces:
        if p is not None and p[0] == "ab":
            a, b = p[1], p[2]
            if a > 12 and b <= 12:
                day_votes += 1
            elif b > 12 and a <= 12:
                month_votes += 1
    if day_votes > month_votes:
        return True
    if month_votes > day_votes:
        return False
    return None


def normalize_dates(values: Sequence[str], *, dayfirst: bool | None = None
                    ) -> tuple[list[str], list[str], np.ndarray]:
    """Distinct values -> (ISO text, codes, datetime64[ns])."""
    trimmed = [v.strip() for v in values]
    pieces = [_pieces(t if t.isascii() else unicodedata.normalize("NFKC", t)) if t else None for t in trimmed]
    order = dayfirst if dayfirst is not None else decide_dayfirst(pieces)
    ymd: list[tuple | None] = []
    codes: list[str] = []
    for t, p in zip(trimmed, pieces):
        if not t:
            ymd.append(None)
            codes.append("")
            continue
        if p is None:
            ymd.append(None)
            codes.append("invalid-date")
            continue
        if p[0] == "ab":
            _, a, b, y, h, mi, s, has_time = p
            first = order
            if first is None:
                if a == b or (a > 12) != (b > 12):
                    first = a > 12 or a == b
                else:
                    ymd.append(None)
                    codes.append("ambiguous-date" if a <= 12 and b <= 12 else "invalid-date")
                    continue
            p = (y, b, a, h, mi, s, has_time) if first else (y, a, b, h, mi, s, has_time)
        if _valid(*p[:6]):
            ymd.append(p)
            codes.append("")
        else:
            ymd.append(None)
            codes.append("invalid-date")
    with_time = any(p is not None and p[6] and (p[3] or p[4] or p[5]) for p in ymd)
    out: list[str] = []
    stamps = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[s]")
    for i, (t, p) in enumerate(zip(trimmed, ymd)):
        if p is None:
            out.append(t)
            continue
        y, mo, d, h, mi, s = p[:6]
        iso = f"{y:04d}-{mo:02d}-{d:02d}"
        full = f"{iso}T{h:02d}:{mi:02d}:{s:02d}"
        stamps[i] = np.datetime64(full, "s")
        out.append(full.replace("T", " ") if with_time else iso)
    return out, codes, stamps.astype("datetime64[ns]")


def normalize_date(text: str, *, dayfirst: bool | None = None) -> tuple[str, str]:
    """One value -> (ISO text, code); a lone ``03/05/2024`` is ambiguous unless ``dayfirst`` is given."""
    out, codes, _ = normalize_dates([text], dayfirst=dayfirst)
    return out[0], codes[0]

