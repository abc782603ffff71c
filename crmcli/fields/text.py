"""Text fields (names, addresses, products…): trimmed, whitespace collapsed, full-width folded.

Names keep their script: only full-width ASCII (``ＡＢＣ１２３``) is folded to half-width, and
an ideographic space (U+3000) between two CJK characters is dropped (``张　三`` → ``张三``);
elsewhere it counts as an ordinary space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Full-width ASCII (U+FF01..U+FF5E) -> ASCII, and the ideographic space -> a plain space.
FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
FULLWIDTH_SPACE = {**FULLWIDTH, 0x3000: 0x20}

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_EXCEL_FORMULA_TEXT = re.compile(r'^=\s*"(.*)"$', re.S)
_IDEO_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])\u3000+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


def fold_width(text: str) -> str:
    """Full-width ASCII to half-width and the ideographic space to a space (nothing else)."""
    return text if text.isascii() else text.translate(FULLWIDTH_SPACE)


def unwrap_excel_text(text: str) -> str:
    """A value as an export wrapped it to keep Excel from turning it into a number, unwrapped
    and trimmed: ``="2300835653442855376"`` → ``2300835653442855376``, ``'13812345678`` →
    ``13812345678``, a leading tab removed. Other text comes back trimmed."""
    t = text.strip()
    m = _EXCEL_FORMULA_TEXT.match(t)
    if m:
        t = m.group(1).strip()
    if t.startswith("'"):
        t = t[1:].strip()
    return t


def normalize_text(text: str) -> str:
    """Trim, collapse inner whitespace, fold full-width ASCII, drop ideographic spaces in CJK text."""
    if not text.isascii():
        text = _IDEO_BETWEEN_CJK.sub("", text).translate(FULLWIDTH_SPACE)
    text = text.strip()
    if "  " in text or "\t" in text or "\n" in text or "\r" in text or "\xa0" in text or not text.isascii():
        text = _SPACES.sub(" ", text)
    return text


def normalize_texts(values: Sequence[str]) -> tuple[list[str], list[str]]:
    """Normalize distinct values; text never fails, so every code is ``""``."""
    out = [normalize_text(v) for v in values]
    return out, [""] * len(out)


def _re2_class(chars: str) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


_WS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
#: RE2: a value :func:`normalize_text` would change (space at an end, any other whitespace
#: character, two spaces, full-width ASCII); values without a match are already normal.
TEXT_WORK = (f"^{_re2_class(_WS)}|{_re2_class(_WS)}$|{_re2_class(_WS.replace(' ', ''))}| {_re2_class(_WS)}"
             r"|[\x{ff01}-\x{ff5e}]")


def normalize_text_array(arr, *, work: str = TEXT_WORK, normalize=None, dotted: bool = False, extra: str = ""):
    """A whole column (pyarrow strings) -> (normalized strings, code indices): the values that
    need work are found on the bytes (ASCII) or by one RE2 pass (the others); only those,
    each distinct one once, are normalized. ``dotted``: values with a ``.`` may need work too
    (ids: ``10023.0``); ``extra``: other ASCII characters that make a value a candidate."""
    from ._arrow import fill_rest

    one = normalize or normalize_text
    todo = needs_work(arr, work, dotted=dotted, extra=extra)

    def slow(values: list[str]) -> tuple[list[str], list[str], None]:
        return [one(v) for v in values], [""] * len(values), None

    return fill_rest(arr, todo, slow)[:2]


_ASCII_SPACE_BYTES = "\t\n\v\f\r\x1c\x1d\x1e\x1f"


def needs_work(arr, work: str = TEXT_WORK, *, dotted: bool = False, extra: str = ""):
    """Mask of the values :data:`TEXT_WORK` (or ``work``) matches. ASCII values are judged
    on the bytes (whitespace other than single inner spaces; with ``dotted``, any ``.``; any
    of the ``extra`` characters) and only the candidates and the non-ASCII values go to RE2."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .._bytes import byte_table, string_parts
    from ._arrow import np_bool

    n = len(arr)
    if n < 10_000:
        return np_bool(pc.match_substring_regex(arr, work))
    offsets, data = string_parts(arr)
    cand = ~np_bool(pc.string_is_ascii(arr))
    hits = [np.flatnonzero(byte_table((_ASCII_SPACE_BYTES + ("." if dotted else "") + extra).encode())[data])]
    space = data == 32
    hits.append(np.flatnonzero(space[:-1] & space[1:]))
    filled = offsets[1:] > offsets[:-1]
    cand[filled] |= space[offsets[:-1][filled]] | space[offsets[1:][filled] - 1]
    at = np.concatenate(hits)
    if len(at):
        cand[np.searchsorted(offsets, at, side="right") - 1] = True
    rows = np.flatnonzero(cand)
    todo = np.zeros(n, dtype=bool)
    if len(rows):
        todo[rows] = np_bool(pc.match_substring_regex(arr.take(pa.array(rows)), work))
    return todo
