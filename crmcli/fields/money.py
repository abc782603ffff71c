"""Amounts and quantities: plain decimal text out (``1234.5``), a float64 parsed value.

Accepted: currency marks anywhere at the ends (``¥ ￥ $ € £ RMB CNY USD 元 人民币``), ``万``
(ten thousand: ``1.2万`` = 12000, for amounts and counts such as ``曝光 1.2万``),
thousands separators in proper groups (``1,234.50``), full-width digits (``１２３４．５``),
surrounding spaces, a sign (refunds are negative), accounting brackets ``(12.50)``.
Scientific notation (``1.2345E+05``, as Excel shows large numbers) is read as the number it
writes. A comma that is not a thousands separator (``12,5``) is not guessed at: it is invalid.
A number too large for a float64 (``1e309``, a 400-digit integer) is invalid too, as are
``inf``/``nan`` spellings: every amount a command adds up is finite.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

_CURRENCY = re.compile(r"(?i)(?:rmb|cny|usd|eur|hkd|us\$|hk\$|人民币|[¥$€£])")
_UNIT_SUFFIX = re.compile(r"(?:元整|元|块钱|块)$")
_QTY_SUFFIX = re.compile(r"(?i)(?:件|个|pcs|pc|箱|份|只|台|瓶|盒|套|张|本|条|包|袋|双)$")
_SPACES = re.compile(r"\s+")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_NUMBER = re.compile(r"^([+-]?)(\d+)?(?:\.(\d*))?$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d{1,3}$")
_PLAIN = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$")


def parse_amount(text: str, *, units: re.Pattern[str] = _UNIT_SUFFIX) -> str | None:
    """The canonical decimal text of ``text`` ("" for empty), or None when it is not a number
    (or one too large for a float64: ``1e309``)."""
    canon = _parse_amount(text, units)
    if canon and not math.isfinite(float(canon)):
        return None
    return canon


def _parse_amount(text: str, units: re.Pattern[str]) -> str | None:
    if _PLAIN.match(text):
        return text if text != "-0" else "0"
    s = text if text.isascii() else unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    s = _SPACES.sub("", s)
    if not s:
        return ""
    s = units.sub("", s)
    s = _CURRENCY.sub("", s)
    if s.endswith("万") and units in (_UNIT_SUFFIX, _QTY_SUFFIX):  # 1.2万 = 12000 (exact: the decimal point shifted)
        inner = _parse_amount(s[:-1], _UNIT_SUFFIX)
        if not inner:
            return None
        return _shift(inner, 4)
    neg = False
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1]
    if "," in s:
        if not _GROUPED.match(s):
            return None
        s = s.replace(",", "")
    m = _NUMBER.match(s)
    if not m and _SCIENTIFIC.match(s):  # 1.2345E+05 as Excel shows a large number
        s = format(Decimal(s), "f")
        m = _NUMBER.match(s)
    if not m or not (m.group(2) or m.group(3)):
        return None
    sign, whole, frac = m.group(1), (m.group(2) or "0").lstrip("0") or "0", (m.group(3) or "").rstrip("0")
    if neg:
        sign = "" if sign == "-" else "-"
    out = whole + ("." + frac if frac else "")
    return ("-" + out) if sign == "-" and out != "0" else out


def _shift(canon: str, places: int) -> str:
    """Multiply a canonical decimal text by 10**places, exactly."""
    sign = "-" if canon.startswith("-") else ""
    whole, _, frac = canon.lstrip("-").partition(".")
    frac = frac.ljust(places, "0")
    digits = (whole + frac[:places]).lstrip("0") or "0"
    rest = frac[places:].rstrip("0")
    out = digits + ("." + rest if rest else "")
    return sign + out if out != "0" else out


def normalize_amounts(values: Sequence[str], *, code: str = "invalid-amount",
                      units: re.Pattern[str] = _UNIT_SUFFIX) -> tuple[list[str], list[str], np.ndarray]:
    """Distinct values -> (normalized text, codes, float64)."""
    out: list[str] = []
    codes: list[str] = []
    nums = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        t = v.strip()
        p = parse_amount(t, units=units)
        if p is None:
            out.append(t)
            codes.append(code)
        else:
            out.append(p)
            codes.append("")
            if p:
                nums[i] = float(p)
    return out, codes, nums


def normalize_numbers(values: Sequence[str]) -> tuple[list[str], list[str], np.ndarray]:
    """Quantities: like amounts, with unit words (``3件``, ``2 pcs``) instead of currency."""
    return normalize_amounts(values, code="invalid-number", units=_QTY_SUFFIX)


def normalize_amount_array(arr, *, code: str = "invalid-amount", units: re.Pattern[str] = _UNIT_SUFFIX):
    """A whole column (pyarrow strings) -> (normalized strings, code indices, float64).

    Plain decimals (already canonical: ``1234.5``, ``-3``) are found and converted in two
    pyarrow passes; the rest, each distinct value once, by :func:`parse_amount`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from ._arrow import fill_rest, np_bool

    n = len(arr)
    nums = np.full(n, np.nan)
    plain = np_bool(pc.match_substring_regex(arr, _PLAIN.pattern)) & np_bool(pc.not_equal(arr, "-0"))
    if plain.any():
        nums[plain] = pc.cast(arr.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
        huge = plain & np.isinf(nums)
        if huge.any():  # past float64 (a 400-digit integer): parse_amount refuses it
            plain &= ~huge
            nums[huge] = np.nan
    todo = ~plain & np_bool(pc.greater(pc.binary_length(arr), 0))

    def slow(values: list[str]) -> tuple[list[str], list[str], np.ndarray]:
        return normalize_amounts(values, code=code, units=units)

    return fill_rest(arr, todo, slow, parsed=nums)


def normalize_number_array(arr):
    """Quantities: :func:`normalize_amount_array` with unit words instead of currency."""
    return normalize_amount_array(arr, code="invalid-number", units=_QTY_SUFFIX)
