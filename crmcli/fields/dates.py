"""Dates: ISO text out (``2024-03-05``, or ``2024-03-05 14:23:05`` when the column has times).

Accepted forms (each distinct value is parsed once, by explicit patterns — never by a
format-guessing parser): ISO ``2024-03-05``, ``2024/3/5``, ``2024.03.05``, ``2024年3月5日``,
``20240305``, ``2024-03-05 14:23:05`` / ``2024-03-05T14:23`` (a UTC offset such as
``2024-03-05 23:30:00 -0500`` or ``…T…+08:00`` keeps the date and time as written: the
shop's local date), Excel serial numbers
(origin 1899-12-30; only serials for 1950..2099, i.e. 18264..73050), ``5 Mar 2024``,
``Mar 5, 2024``, and ``dd/mm/yyyy`` vs ``mm/dd/yyyy`` (also with ``.`` or ``-``).

Day-first or month-first is decided per column by evidence: a value whose first number is
over 12 shows day-first, one whose second number is over 12 shows month-first; when the
column shows only one of them, that order is used for all its ``a/b/yyyy`` values;
``dayfirst=True/False`` forces it. When it shows both (a column mixing conventions), only
the self-evident values are converted and the rest are ``ambiguous-date``. With no evidence either way, a value such
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

#: A time after the date; a UTC offset (``Z``, ``+08:00``, `` -0500``, ``UTC+8``) is read and dropped:
#: the date and time stay as the shop wrote them (its local time).
_TIME = (r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"
         r"(?:\s*(?:Z|(?:UTC|GMT)?\s*[+-](?:[01]?\d|2[0-3])(?::?[0-5]\d)?|UTC|GMT))?)?")
_YMD = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_CN = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
                 r"(?:\s*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})\s*秒?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.(\d+))?$")
_AB = re.compile(rf"^(\d{{1,2}})([-/.])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}$")
_D_MON_Y = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/]*([A-Za-z]{{3,9}})\.?,?[\s\-/]*(\d{{4}}|\d{{2}}){_TIME}$")
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
        return (_year2(m[3]), MONTHS[m[2].lower()], int(m[1]), *_time(m.groups()[3:6]))
    m = _MON_D_Y.match(s)
    if m and m[1].lower() in MONTHS:
        return (int(m[3]), MONTHS[m[1].lower()], int(m[2]), *_time(m.groups()[3:6]))
    return None


def _valid(y: int, mo: int, d: int, h: int, mi: int, s: int) -> bool:
    return (YEAR_MIN <= y <= YEAR_MAX and 1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1]
            and h < 24 and mi < 60 and s < 60)


def decide_dayfirst(pieces: Sequence[tuple | None]) -> bool | None:
    """The column's order for ``a/b/yyyy`` values: True day-first, False month-first, None
    undecided (no evidence, or evidence both ways)."""
    day_votes = month_votes = 0
    for p in pieces:
        if p is not None and p[0] == "ab":
            a, b = p[1], p[2]
            if a > 12 and b <= 12:
                day_votes += 1
            elif b > 12 and a <= 12:
                month_votes += 1
    if day_votes and not month_votes:
        return True
    if month_votes and not day_votes:
        return False
    return None  # no evidence, or contradicting evidence: each value decides for itself or is ambiguous


def column_dayfirst(values: Sequence[str]) -> bool | None:
    """The order a column's evidence decides for its ``a/b/yyyy`` values (see :func:`decide_dayfirst`):
    what :func:`normalize_dates` decides for the same values; to fix one decision for a column read in parts."""
    trimmed = [v.strip() for v in values if v and v.strip()]
    return decide_dayfirst([_pieces(t if t.isascii() else unicodedata.normalize("NFKC", t)) for t in trimmed])


_STRICT_ISO = r"^\d{4}-\d{2}-\d{2}(?: (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)?$"


def _strict_iso(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of values written exactly ``YYYY-MM-DD[ HH:MM:SS]`` and their datetime64[s]
    (NaT where impossible or out of range) — parsed vectorized by pyarrow, round-tripped so
    that ``2024-02-30`` is not silently rolled over to March."""
    import pyarrow as pa

    return _strict_iso_array(pa.array(values, type=pa.string()))


def _strict_iso_array(arr) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_strict_iso` on a pyarrow string array: the digits are read from the bytes."""
    import pyarrow.compute as pc

    from .._bytes import string_parts
    from ._arrow import np_bool

    idx = np.flatnonzero(np_bool(pc.match_substring_regex(arr, _STRICT_ISO)))
    if not len(idx):
        return idx, np.empty(0, dtype="datetime64[s]")
    offsets, data = string_parts(arr)
    at = offsets[idx]
    has_time = (offsets[idx + 1] - at) == 19

    def number(first: int, width: int) -> np.ndarray:
        out = np.zeros(len(at), dtype=np.int64)
        for k in range(first, first + width):
            out = out * 10 + (data[np.minimum(at + k, len(data) - 1)].astype(np.int64) - 48)
        return out

    y, mo, d = number(0, 4), number(5, 2), number(8, 2)
    h, mi, sec = (np.where(has_time, number(p, 2), 0) for p in (11, 14, 17))
    return idx, _stamps(y, mo, d, h, mi, sec)


def _stamps(y: np.ndarray, mo: np.ndarray, d: np.ndarray, h: np.ndarray, mi: np.ndarray,
            sec: np.ndarray) -> np.ndarray:
    """datetime64[s] from parts, NaT where the date or time is impossible or out of range
    (vectorized :func:`_valid`)."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days_in = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(mo, 0, 12)] + (leap & (mo == 2))
    ok = ((y >= YEAR_MIN) & (y <= YEAR_MAX) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= days_in)
          & (h < 24) & (mi < 60) & (sec < 60))
    yy, mm, dd = np.where(ok, y, 1970), np.where(ok, mo, 1), np.where(ok, d, 1)
    day = ((yy - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (mm - 1)).astype("datetime64[D]") + (dd - 1)
    out = day.astype("datetime64[s]") + (h * 3600 + mi * 60 + sec).astype("timedelta64[s]")
    out[~ok] = np.datetime64("NaT")
    return out


#: Date-only forms decided vectorized (the one-by-one parser reads them the same way):
#: ``2024/3/5`` ``2024.03.05`` ``2024-3-5``, ``2024年3月5日``, ``20240305``.
_YMD_RE2 = r"^(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})|年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})[日号]?" \
           r"|(?P<m3>\d{2})(?P<d3>\d{2}))$"


def _ymd_forms(arr) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``arr`` in one of the :data:`_YMD_RE2` forms and their datetime64[s] (NaT if impossible)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import np_bool

    idx = np.flatnonzero(np_bool(pc.match_substring_regex(arr, _YMD_RE2)))
    if not len(idx):
        return idx, np.empty(0, dtype="datetime64[s]")
    parts = pc.extract_regex(arr.take(pa.array(idx)), _YMD_RE2)

    def ints(*names: str) -> np.ndarray:
        vals = pc.coalesce(*[pc.if_else(pc.equal(pc.struct_field(parts, [_GROUPS.index(n)]), ""), None,
                                        pc.struct_field(parts, [_GROUPS.index(n)])) for n in names])
        return pc.cast(vals, pa.int64()).to_numpy(zero_copy_only=False)

    zero = np.zeros(len(idx), dtype=np.int64)
    return idx, _stamps(ints("y"), ints("m", "m2", "m3"), ints("d", "d2", "d3"), zero, zero, zero)


_GROUPS = ("y", "m", "d", "m2", "d2", "m3", "d3")


def _iso_text(stamps: np.ndarray, type):
    """``YYYY-MM-DD`` strings (of pyarrow ``type``) for valid datetime64 values, built from bytes."""
    from .._bytes import from_parts

    days = stamps.astype("datetime64[D]")
    y = days.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = (days.astype("datetime64[M]").astype(np.int64) % 12) + 1
    d = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    grid = np.empty((len(stamps), 10), dtype=np.uint8)
    for k, (num, width) in enumerate(((y, 4), (mo, 2), (d, 2))):
        first = (0, 5, 8)[k]
        for w in range(width):
            grid[:, first + w] = 48 + (num // 10 ** (width - 1 - w)) % 10
    grid[:, 4] = grid[:, 7] = ord("-")
    return from_parts(np.arange(len(stamps) + 1, dtype=np.int64) * 10, grid.ravel(), type)


def normalize_date_array(arr, *, dayfirst: bool | None = None):
    """A whole column (pyarrow strings) -> (ISO strings, code indices, datetime64[ns]).

    Values written exactly ``YYYY-MM-DD[ HH:MM:SS]`` and the common date-only forms
    (:data:`_YMD_RE2`) are decided vectorized; the others go through :func:`normalize_dates`
    (each distinct value once, one day/month decision for the column); then every valid
    value gets the column's one shape (with or without time).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import CODE_INDEX, fill_rest, np_bool

    n = len(arr)
    parsed = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    code_idx = np.zeros(n, dtype=np.int8)
    todo = np_bool(pc.greater(pc.binary_length(arr), 0))
    iso_idx, iso_stamps = _strict_iso_array(arr)
    parsed[iso_idx] = iso_stamps.astype("datetime64[ns]")
    code_idx[iso_idx[np.isnat(iso_stamps)]] = CODE_INDEX["invalid-date"]
    todo[iso_idx] = False
    values = arr
    rest = np.flatnonzero(todo)
    if len(rest) >= 1000:
        sub_idx, sub_stamps = _ymd_forms(arr.take(pa.array(rest)))
        if len(sub_idx):
            rows = rest[sub_idx]
            todo[rows] = False
            good = ~np.isnat(sub_stamps)
            parsed[rows[good]] = sub_stamps[good].astype("datetime64[ns]")
            code_idx[rows[~good]] = CODE_INDEX["invalid-date"]
            if good.any():
                mask = np.zeros(n, dtype=bool)
                mask[rows[good]] = True
                values = pc.replace_with_mask(values, pa.array(mask), _iso_text(sub_stamps[good], arr.type))

    def slow(values: list[str]) -> tuple[list[str], list[str], np.ndarray]:
        return normalize_dates(values, dayfirst=dayfirst)

    values, code_idx, parsed = fill_rest(arr, todo, slow, values=values, code_idx=code_idx, parsed=parsed)
    valid = ~np.isnat(parsed)
    if not valid.any():
        return values, code_idx, parsed
    stamps = parsed[valid]
    with_time = bool((stamps != stamps.astype("datetime64[D]")).any())
    length = pc.binary_length(values).to_numpy(zero_copy_only=False)
    if with_time:
        fix = valid & (length == 10)
        if fix.any():
            values = pc.if_else(pa.array(fix), pc.binary_join_element_wise(values, pa.scalar(" 00:00:00", values.type),
                                                                               pa.scalar("", values.type)), values)
    else:
        fix = valid & (length > 10)
        if fix.any():
            values = pc.if_else(pa.array(fix), pc.utf8_slice_codeunits(values, 0, 10), values)
    return values, code_idx, parsed


def normalize_dates(values: Sequence[str], *, dayfirst: bool | None = None
                    ) -> tuple[list[str], list[str], np.ndarray]:
    """Distinct values -> (ISO text, codes, datetime64[ns])."""
    if len(values) >= 1000:
        iso_idx, iso_stamps = _strict_iso(values)
        if len(iso_idx):
            return _merge_iso(values, iso_idx, iso_stamps, dayfirst)
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


def _merge_iso(values: Sequence[str], iso_idx: np.ndarray, iso_stamps: np.ndarray,
               dayfirst: bool | None) -> tuple[list[str], list[str], np.ndarray]:
    """The strict-ISO values (done vectorized) merged with the others (done one by one)."""
    rest = np.setdiff1d(np.arange(len(values)), iso_idx)
    r_out, r_codes, r_stamps = normalize_dates([values[i] for i in rest], dayfirst=dayfirst) if len(rest) \
        else ([], [], np.empty(0, dtype="datetime64[ns]"))
    valid = ~np.isnat(iso_stamps)
    iso_time = bool(((iso_stamps[valid] - iso_stamps[valid].astype("datetime64[D]")) != np.timedelta64(0)).any())
    rest_time = any(len(o) > 10 for o, c in zip(r_out, r_codes) if not c and o)
    with_time = iso_time or rest_time
    out: list[str] = [""] * len(values)
    codes: list[str] = [""] * len(values)
    stamps = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    stamps[iso_idx] = iso_stamps.astype("datetime64[ns]")
    text = np.datetime_as_string(iso_stamps, unit="s")  # 2024-03-05T14:23:05
    for k, i in enumerate(iso_idx):
        if valid[k]:
            out[i] = text[k].replace("T", " ") if with_time else text[k][:10]
        else:
            out[i], codes[i] = values[i], "invalid-date"
    if len(rest):
        stamps[rest] = r_stamps
        for k, i in enumerate(rest):
            o, c = r_out[k], r_codes[k]
            if not c and o and with_time and len(o) == 10:
                o += " 00:00:00"
            out[i], codes[i] = o, c
    return out, codes, stamps


def normalize_date(text: str, *, dayfirst: bool | None = None) -> tuple[str, str]:
    """One value -> (ISO text, code); a lone ``03/05/2024`` is ambiguous unless ``dayfirst`` is given."""
    out, codes, _ = normalize_dates([text], dayfirst=dayfirst)
    return out[0], codes[0]

