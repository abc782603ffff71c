"""Phone numbers: E.164 out (``+8613812345678``) via phonenumbers, with a default region.

Accepted: spaces, dashes, dots, brackets, ``+86`` / ``0086`` / ``86`` prefixes, full-width
digits, a float's ``.0`` tail (``13812345678.0``), landlines with area codes
(``021-62345678``, ``(0571)87654321``), extensions (kept as `` ext. N``).

Problems: ``lossy-phone`` for scientific notation whose digits were lost (``1.38123E+10``:
the real digits are gone, nothing is invented); ``masked-phone`` (a warning) for a number a
platform masked (``138****5678``): kept as written, never a matching key; ``invalid-phone``
for anything else that is not a valid number for its region. A value an export wrapped to
keep Excel from reading it as a number (``="13812345678"``, ``'13812345678``) is unwrapped.

Speed: phonenumbers parses ~18k numbers/s, so plain mainland mobiles (the bulk of real data)
take a regex fast path built from phonenumbers' own CN mobile pattern, checked against
phonenumbers once per process (:func:`cn_fast_pattern`); other digits-only CN numbers
(landlines with their area code, truncated numbers) are checked by phonenumbers' own rule
applied to its CN metadata (:func:`_cn_is_valid`); the rest goes through phonenumbers. A whole
column takes the same rules vectorized in Arrow (:mod:`.phone_array`).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from .text import unwrap_excel_text

_FLOAT_TAIL = re.compile(r"^(\+?\d+)\.0+$")
SCIENTIFIC = re.compile(r"^[+-]?(\d)(?:\.(\d*))?[eE]\+?(\d{1,2})$")
_SEPARATORS = re.compile(r"[\s\-‐‑–—()\[\]./·]")
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x)\s*(\d{1,6})$", re.IGNORECASE)
#: A number with digits hidden by stars (``138****5678``, ``+86 138 **** 5678``).
_MASKED = re.compile(r"^\+?[\d\s\-().]*\*{2,}[\d\s\-().*]*$")


@functools.cache
def cn_fast_pattern() -> re.Pattern[str] | None:
    """``(prefix)(national mobile number)`` for CN, or None if phonenumbers disagrees with it."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    mobile = meta.mobile.national_number_pattern if meta and meta.mobile else None
    if not mobile:
        return None
    pattern = re.compile(rf"(?:\+86|0086|86)?({mobile})")
    # Confirm once: every 4-digit mobile prefix the pattern accepts is valid by phonenumbers'
    # own rule on its CN metadata (_cn_is_valid; a test holds that rule to phonenumbers.parse).
    if cn_validator() is None:
        return None
    for prefix in range(1300, 2000):
        nsn = f"{prefix}5555555"
        if pattern.fullmatch(nsn) and not _cn_is_valid(nsn):
            return None
    return pattern


_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
          "fixed_line", "mobile")


@functools.cache
def cn_validator() -> tuple[re.Pattern[str], tuple[int, ...], list[tuple[re.Pattern[str], tuple[int, ...]]]] | None:
    """CN's number descriptions from phonenumbers' metadata, as compiled regexes + lengths."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    if meta is None or meta.general_desc is None or not meta.general_desc.national_number_pattern:
        return None
    types = []
    for name in _TYPES:
        desc = getattr(meta, name, None)
        if desc is not None and desc.national_number_pattern:
            types.append((re.compile(desc.national_number_pattern), tuple(desc.possible_length or ())))
    general = meta.general_desc
    return re.compile(general.national_number_pattern), tuple(general.possible_length or ()), types


def _cn_national(digits: str) -> str | None:
    """The national significant number of a digits-only CN string, or None when only
    phonenumbers can tell (other country codes, carrier-select prefixes, a bare ``86``)."""
    if digits.startswith("+86"):
        nsn = digits[3:]
    elif digits.startswith("0086"):
        nsn = digits[4:]
    elif digits.startswith("+") or digits.startswith("00") or digits.startswith("86"):
        return None
    elif digits.startswith("0"):
        nsn = digits[1:]
    else:
        nsn = digits
    if not nsn.isdigit() or nsn.startswith(("0", "11", "12", "179")):
        return None
    return nsn


def _cn_is_valid(nsn: str) -> bool:
    """phonenumbers' own validity rule (general description, then any number type) on CN metadata."""
    general, lengths, types = cn_validator()
    n = len(nsn)
    if (lengths and n not in lengths) or not general.fullmatch(nsn):
        return False
    return any((not tl or n in tl) and pat.fullmatch(nsn) for pat, tl in types)


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


from ..privacy.pseudonym import PREFIX as PSEUDONYM_PREFIX  # noqa: E402
from ..privacy.pseudonym import is_pseudonym  # noqa: E402


def normalize_phone(text: str, region: str = "CN") -> tuple[str, str]:
    """One value -> (E.164 text, code); invalid values come back trimmed, with their code."""
    t = text.strip()
    if not t:
        return "", ""
    if t.startswith(PSEUDONYM_PREFIX) and is_pseudonym(t):  # a pseudonymized phone: an opaque, valid key
        return t, ""
    s = t if t.isascii() else unicodedata.normalize("NFKC", t)
    if s[0] in "='":
        s = unwrap_excel_text(s)
    if "*" in s and _MASKED.match(s) and sum(c.isdigit() for c in s) >= 2:
        return t, "masked-phone"
    m = _FLOAT_TAIL.match(s)
    if m:
        s = m.group(1)
    else:
        m = SCIENTIFIC.match(s)
        if m:
            lead, frac, exp = m.group(1), m.group(2) or "", int(m.group(3))
            if len(frac) != exp:
                return t, "lossy-phone" if len(frac) < exp else "invalid-phone"
            s = lead + frac
    region = (region or "").upper()
    if region == "CN":
        fast = cn_fast_pattern()
        if fast is not None:
            digits = _SEPARATORS.sub("", s)
            m = fast.fullmatch(digits)
            if m:
                return "+86" + m.group(1), ""
            nsn = _cn_national(digits) if cn_validator() is not None else None
            if nsn is not None:
                return ("+86" + nsn, "") if _cn_is_valid(nsn) else (t, "invalid-phone")
    s = _EXTENSION.sub(r" ext. \1", s)
    out, code = _parse(s, region)
    return (t, code) if code else (out, code)
