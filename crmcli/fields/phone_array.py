"""A column of phone numbers at once (pyarrow strings): :func:`normalize_phone_array`.

For CN the mobiles (a table of valid five-digit prefixes from phonenumbers' CN mobile pattern),
landlines and truncated numbers (phonenumbers' CN rule on its metadata, once per distinct digits) and
scientific notation are decided vectorized, with the rules of :func:`.phone.normalize_phone`; the rest —
foreign numbers, words — goes through :func:`.phone.normalize_phone`, each distinct value once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from .phone import SCIENTIFIC, cn_fast_pattern, cn_validator, normalize_phone


def normalize_phones(values: Sequence[str], region: str = "CN") -> tuple[list[str], list[str]]:
    """Distinct values -> (normalized, codes).

    For CN, the digits-only forms (mobiles, landlines with area code, truncated numbers) are
    done vectorized with pyarrow (RE2) using the same rules as :func:`normalize_phone`; the
    rest (scientific notation, foreign numbers, words…) goes one by one.
    """
    import pyarrow as pa

    from ._arrow import CODES

    if (region or "").upper() == "CN" and len(values) >= 1000 and cn_fast_pattern() and cn_validator():
        vals, code_idx = normalize_phone_array(pa.array(values, type=pa.string()), region)
        return vals.to_pylist(), [CODES[i] for i in code_idx.tolist()]
    out: list[str] = [""] * len(values)
    codes: list[str] = [""] * len(values)
    for i, v in enumerate(values):
        out[i], codes[i] = normalize_phone(v, region)
    return out, codes


def _one_by_one(region: str):
    def slow(values: list[str]) -> tuple[list[str], list[str], None]:
        out, codes = [], []
        for v in values:
            o, c = normalize_phone(v, region)
            out.append(o)
            codes.append(c)
        return out, codes, None
    return slow


def normalize_phone_array(arr, region: str = "CN"):
    """A whole column (pyarrow strings) -> (E.164 strings, code indices into ``_arrow.CODES``).

    For CN the mobiles, landlines and truncated numbers are decided vectorized (the same rules
    as :func:`normalize_phone`, from phonenumbers' CN metadata); what is left — scientific
    notation, foreign numbers, words — goes through :func:`normalize_phone`, each distinct
    value once.
    """
    import numpy as np

    from ._arrow import fill_rest

    slow = _one_by_one(region)
    if (region or "").upper() != "CN" or len(arr) < 1000 or not (cn_fast_pattern() and cn_validator()):
        return fill_rest(arr, np.ones(len(arr), dtype=bool), slow)[:2]
    values, code_idx, todo = _cn_vectorized(arr)
    _scientific(arr, todo, code_idx)
    return fill_rest(arr, todo, slow, values=values, code_idx=code_idx)[:2]


def _scientific(arr, todo, code_idx) -> None:
    """Decide, among the ``todo`` rows, the ASCII values in scientific notation whose digits
    were lost (``1.38123E+10``: ``lossy-phone``) or that are too precise to be a phone number
    (``invalid-phone``) — :func:`normalize_phone`'s rule, vectorized; they leave ``todo``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import CODE_INDEX, np_bool

    rows = np.flatnonzero(todo)
    if len(rows) < 1000:
        return
    sub = pc.utf8_trim_whitespace(arr.take(pa.array(rows)))
    hit = np_bool(pc.match_substring_regex(sub, SCIENTIFIC.pattern)) & np_bool(pc.string_is_ascii(sub))
    if not hit.any():
        return
    rows, sub = rows[hit], sub.filter(pa.array(hit))
    parts = pc.extract_regex(sub, r"^[+-]?\d(?:\.(?P<frac>\d*))?[eE]\+?(?P<exp>\d{1,2})$")
    frac = pc.utf8_length(pc.struct_field(parts, [0])).to_numpy(zero_copy_only=False)
    exp = pc.cast(pc.struct_field(parts, [1]), pa.int64()).to_numpy(zero_copy_only=False)
    lossy, too_long = frac < exp, frac > exp
    code_idx[rows[lossy]] = CODE_INDEX["lossy-phone"]
    code_idx[rows[too_long]] = CODE_INDEX["invalid-phone"]
    todo[rows[lossy | too_long]] = False


@functools.cache
def _cn_mobile_table():
    """Valid CN mobiles by their first five digits (an 11-digit number's validity depends on
    nothing else in phonenumbers' pattern; checked with several tails), or None."""
    import numpy as np

    fast = cn_fast_pattern()
    if fast is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    mobile = fast.pattern.split(")?", 1)[1]      # the national part: "(MOBILE)"
    from .._bytes import from_parts

    p = np.arange(100_000)
    grid = np.empty((100_000, 11), dtype=np.uint8)
    for k in range(5):
        grid[:, k] = 48 + (p // 10 ** (4 - k)) % 10          # the five leading digits, as ASCII
    tables = []
    for tail in (b"000000", b"999999", b"507193"):
        grid[:, 5:] = np.frombuffer(tail, dtype=np.uint8)
        texts = from_parts(np.arange(100_001) * 11, grid.ravel(), pa.string())
        tables.append(pc.match_substring_regex(texts, f"^(?:{mobile})$").to_numpy(zero_copy_only=False))
    if not (np.array_equal(tables[0], tables[1]) and np.array_equal(tables[0], tables[2])):
        return None
    return np.asarray(tables[0], dtype=bool)


_SEP_BYTES = " \t\r\n\f\v\x1c\x1d\x1e\x1f-()[]./"     # the ASCII part of _SEPARATORS
_NON_ASCII_SEPS = r"[\s\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\-‐‑–—()\[\]./·]"
_ASCII_WS = r"[\t\n\v\f\r\x1c-\x1f ]"                 # what str.strip() removes, in ASCII
_FLOAT_TAIL_RE2 = rf"^{_ASCII_WS}*\+?\d+\.0+{_ASCII_WS}*$"


def _ascii_digits(arr):
    """For ASCII values: :func:`normalize_phone`'s digits (a float's ``.0`` tail cut,
    separators and surrounding whitespace removed), done on the bytes. Non-ASCII values
    come out with their non-ASCII bytes, so they never pass as digits."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .._bytes import byte_table, string_parts
    from ._arrow import drop_where, np_bool

    offsets, data = string_parts(arr)
    dropped = byte_table(_SEP_BYTES.encode())[data]
    dots = np.flatnonzero(data == ord("."))
    if len(dots):
        # ``13812345678.0``: a float's tail is cut, not read as a separator (one dot, zeros after it)
        row_of = np.searchsorted(offsets, dots, side="right") - 1
        rows, first, count = np.unique(row_of, return_index=True, return_counts=True)
        one = count == 1
        rows, at = rows[one], dots[first[one]]
        if len(rows):
            tail = np_bool(pc.match_substring_regex(arr.take(pa.array(rows)), _FLOAT_TAIL_RE2))
            rows, at = rows[tail], at[tail]
            ends = offsets[rows + 1]
            k = 0
            while len(at):
                dropped[at + k] = True
                k += 1
                more = at + k < ends
                at, ends = at[more], ends[more]
    return drop_where(arr, dropped, offsets, data)


def _wide_digits(trimmed):
    """:func:`normalize_phone`'s digits for (trimmed) values with non-ASCII characters: NFKC,
    a float's ``.0`` tail cut, every separator removed (RE2 passes; such values are few)."""
    import pyarrow.compute as pc

    s = pc.utf8_normalize(trimmed, "NFKC")
    s = pc.replace_substring_regex(s, r"^(\+?\d+)\.0+$", r"\1")
    return pc.replace_substring_regex(s, _NON_ASCII_SEPS, "")


def _cn_mobiles(digits):
    """(mask, E.164 array for the masked rows): ``digits`` that are a valid CN mobile,
    bare or after ``+86``/``0086``/``86`` — what :func:`cn_fast_pattern` accepts."""
    import numpy as np

    from .._bytes import from_parts, string_parts

    table = _cn_mobile_table()
    offsets, data = string_parts(digits)
    n = len(digits)
    length = np.diff(offsets)
    cand = np.flatnonzero((length == 11) | ((length >= 13) & (length <= 15)))
    start = offsets[cand] + length[cand] - 11
    if len(cand):
        nsn = np.lib.stride_tricks.sliding_window_view(data, 11)[start]   # (rows, 11) bytes, no index matrix
    else:
        nsn = np.empty((0, 11), dtype=np.uint8)
    ok = ((nsn - 48) < 10).all(axis=1)                    # uint8: bytes below '0' wrap round
    head = offsets[cand]
    plen = length[cand] - 11
    for text in (b"86", b"+86", b"0086"):
        sel = np.flatnonzero(plen == len(text))
        if len(sel):
            good = np.ones(len(sel), dtype=bool)
            for k, b in enumerate(text):
                good &= data[head[sel] + k] == b
            ok[sel] &= good
    five = nsn[:, :5].astype(np.int32) - 48
    ok &= table[np.where(ok, (((five[:, 0] * 10 + five[:, 1]) * 10 + five[:, 2]) * 10 + five[:, 3]) * 10
                         + five[:, 4], 0)]
    rows = cand[ok]
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    out = np.empty((len(rows), 14), dtype=np.uint8)
    out[:, :3] = np.frombuffer(b"+86", dtype=np.uint8)
    out[:, 3:] = nsn[ok]
    return mask, from_parts(np.arange(len(rows) + 1, dtype=np.int64) * 14, out.ravel(), digits.type)


def _cn_vectorized(arr):
    """(values, code indices, still-to-do mask) for a column: what the CN rules decide
    vectorized is filled in; ``todo`` marks the values left for :func:`normalize_phone`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import CODE_INDEX, np_bool

    n = len(arr)
    trimmed = pc.utf8_trim_whitespace(arr)
    digits = _ascii_digits(arr)
    wide = np.flatnonzero(~np_bool(pc.string_is_ascii(arr)))
    is_mobile, e164 = _cn_mobiles(digits)
    parts_rows, parts_values = [np.flatnonzero(is_mobile)], [e164]
    wide_digits = None
    if len(wide):
        wide_digits = _wide_digits(trimmed.take(pa.array(wide)))
        m, e = _cn_mobiles(wide_digits)
        is_mobile[wide[m]] = True
        parts_rows.append(wide[m])
        parts_values.append(e)
    code_idx = np.zeros(n, dtype=np.int8)
    todo = np.zeros(n, dtype=bool)
    rest_mask = ~is_mobile & np_bool(pc.greater(pc.binary_length(trimmed), 0))
    keep = rest_mask[wide]
    rest_mask[wide] = False
    rest = np.flatnonzero(rest_mask)
    rest_digits = digits.take(pa.array(rest))
    if len(wide):
        rest = np.concatenate([rest, wide[keep]])
        rest_digits = pa.concat_arrays([rest_digits, wide_digits.filter(pa.array(keep))])
    if len(rest):
        # The rest (landlines, truncated numbers…): phonenumbers' CN rule, once per distinct digits.
        enc = pc.dictionary_encode(rest_digits)
        pos = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        decided_u, valid_u, e164_u = _cn_rule(enc.dictionary)
        decided, valid = decided_u[pos], valid_u[pos]
        good = decided & valid
        if good.any():
            parts_rows.append(rest[good])
            parts_values.append(e164_u.take(pa.array(pos[good])))
        code_idx[rest[decided & ~valid]] = CODE_INDEX["invalid-phone"]
        todo[rest[~decided]] = True
    rows = np.concatenate(parts_rows)
    if not len(rows):
        return trimmed, code_idx, todo
    order = np.argsort(rows, kind="stable")
    replacement = pa.concat_arrays(parts_values).take(pa.array(order))
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(trimmed, pa.array(mask), replacement), code_idx, todo


def _cn_rule(digits):
    """For distinct digit strings: (decided, valid, E.164) by phonenumbers' CN rule (the
    general description, then any number type, with their lengths); undecided are the
    shapes only phonenumbers can tell (other country codes, ``11…``/``12…``/``179…``)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import np_bool

    prefixed = pc.struct_field(pc.extract_regex(digits, r"^(?:\+86|0086|0)(?P<n>[1-9]\d*)$"), [0])
    bare = pc.struct_field(pc.extract_regex(digits, r"^(?P<n>(?:[2-79]|8[0-57-9]|1[03-9])\d*)$"), [0])
    nsn = pc.coalesce(prefixed, bare)
    nsn_f = pc.fill_null(nsn, "")
    decided = np_bool(pc.is_valid(nsn)) & ~np_bool(pc.match_substring_regex(nsn_f, r"^(?:11|12|179)"))
    general, lengths, types = cn_validator()
    length = pc.utf8_length(nsn_f).to_numpy(zero_copy_only=False)

    def matches(pattern: re.Pattern[str], allowed: tuple[int, ...]) -> np.ndarray:
        ok = np_bool(pc.match_substring_regex(nsn_f, f"^(?:{pattern.pattern})$"))
        return ok & np.isin(length, allowed) if allowed else ok

    valid = matches(general, lengths)
    any_type = np.zeros(len(digits), dtype=bool)
    for pat, allowed in types:
        any_type |= matches(pat, allowed)
    valid &= any_type
    t = nsn_f.type
    return decided, valid, pc.binary_join_element_wise(pa.scalar("+86", t), nsn_f, pa.scalar("", t))


def warm_up_phones(region: str = "CN") -> None:
    """Build the region's phone tables (metadata, the CN fast path) once, before threads share them."""
    if (region or "").upper() == "CN" and cn_fast_pattern() is not None:
        cn_validator()
        _cn_mobile_table()
