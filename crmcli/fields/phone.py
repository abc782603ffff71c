"""Phone numbers: E.164 out (``+8613812345678``) via phonenumbers, with a default region.

Accepted: spaces, dashes, dots, brackets, ``+86`` / ``0086`` / ``86`` prefixes, full-width
digits, a float's ``.0`` tail (``13812345678.0``), landlines with area codes
(``021-62345678``, ``(0571)87654321``), extensions (kept as `` ext. N``).

Problems: ``lossy-phone`` for scientific notation whose digits were lost (``1.38123E+10``:
the real digits are gone, nothing is invented); ``invalid-phone`` for anything that is not a
valid number for its region.

Speed: phonenumbers parses ~18k numbers/s, so plain mainland mobiles (the bulk of real data)
take a regex fast path built from phonenumbers' own CN mobile pattern, checked against
phonenumbers once per process (:func:`_cn_fast_pattern`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

_FLOAT_TAIL = re.compile(r"^(\+?\d+)\.0+$")
_SCIENTIFIC = re.compile(r"^[+-]?(\d)(?:\.(\d*))?[eE]\+?(\d{1,2})$")
_SEPARATORS = re.compile(r"[\s\-‐‑–—()\[\]./·]")
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x)\s*(\d{1,6})$", re.IGNORECASE)


@functools.cache
def _cn_fast_pattern() -> re.Pattern[str] | None:
    """``(prefix)(national mobile number)`` for CN, or None if phonenumbers disagrees with it."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    mobile = meta.mobile.national_number_pattern if meta and meta.mobile else None
    if not mobile:
        return None
    pattern = re.compile(rf"(?:\+86|0086|86)?({mobile})")
    # Confirm once: every 4-digit mobile prefix the pattern accepts is valid to phonenumbers.
    for prefix in range(1300, 2000):
        for tail in ("0000000", "5555555", "9876543"):
            nsn = f"{prefix}{tail}"
            if pattern.fullmatch(nsn):
                num = phonenumbers.parse(nsn, "CN")
                if not phonenumbers.is_valid_number(num):
                    return None
    return pattern


def _parse(text: str, region: str) -> tuple[str, str]:
    """phonenumbers' slow path: (E.164 or the input, code)."""
    candidates = [text]
    digits = _SEPARATORS.sub("", text)
    cc = phonenumbers.country_code_for_region(region) if region else 0
    if cc and digits.isdigit() and digits.startswith(str(cc)):
        candidates.append("+" + digits)  # ``86 21 62345678`` without the plus
    for cand in candidates:
        try:
            num = phonenumbers.parse(cand, region or None)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            out = phonenumbers.format_number(num, PhoneNumberFormat.E164)
            if num.extension:
                out += f" ext. {num.extension}"
            return out, ""
    return text, "invalid-phone"


def normalize_phone(text: str, region: str = "CN") -> tuple[str, str]:
    """One value -> (E.164 text, code); invalid values come back trimmed, with their code."""
    t = text.strip()
    if not t:
        return "", ""
    s = t if t.isascii() else unicodedata.normalize("NFKC", t)
    m = _FLOAT_TAIL.match(s)
    if m:
        s = m.group(1)
    else:
        m = _SCIENTIFIC.match(s)
        if m:
            lead, frac, exp = m.group(1), m.group(2) or "", int(m.group(3))
            if len(frac) != exp:
                return t, "lossy-phone" if len(frac) < exp else "invalid-phone"
            s = lead + frac
    region = (region or "").upper()
    if region == "CN":
        fast = _cn_fast_pattern()
        if fast is not None:
            m = fast.fullmatch(_SEPARATORS.sub("", s))
            if m:
                return "+86" + m.group(1), ""
    s = _EXTENSION.sub(r" ext. \1", s)
    out, code = _parse(s, region)
    return (t, code) if code else (out, code)


def normalize_phones(values: Sequence[str], region: str = "CN") -> tuple[list[str], list[str]]:
    """Distinct values -> (normalized, codes)."""
    out: list[str] = []
    codes: list[str] = []
    for v in values:
        o, c = normalize_phone(v, region)
        out.append(o)
        codes.append(c)
    return out, codes
