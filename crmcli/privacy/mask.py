"""Masking one value by its kind: what a person may see of a phone, an email, a name, an address.

========== ============================== =====================================================
kind       example                        rule
========== ============================== =====================================================
phone      ``+8613812345678``             China: ``138****5678`` (first 3 and last 4 digits of the national
                                          number); elsewhere ``+44 79** ***456`` (country code, first 2 and
                                          last 3 digits, international grouping); other text: digits hidden
                                          but the first 3 and last 2 of 9 or more
email      ``zhangsan@qq.com``            ``z***@qq.com`` (first character of the local part, the domain)
name       ``张三`` / ``John Smith``       ``张*`` (one ``*`` per hidden character) / ``J*** Smith`` (initials
                                          of all but the last word)
address    ``北京市朝阳区建国路88号``        ``北京市朝阳区***`` (province, city and district); Western
                                          addresses keep the parts after the street with no digits
                                          (``London, UK***``)
postcode   ``100020`` / ``SW1A 1AA``       ``100***`` / ``SW1A ***``
national_id ``110101199003071234``        ``110***********1234``
birth_date ``1990-03-07``                 ``1990-**-**``
========== ============================== =====================================================

A value already masked (holding ``*``) or a pseudonym stays as it is; several values in one cell (a
merged record's phones ``a; b``, an item set ``A + B``) are masked one by one. :func:`shape_value` is the
stronger form stderr gets under ``--redact``: only the first character and the layout (``1**********``,
``u***@***.com``).
Masking hides values from the people who read a sheet; it is not anonymization (see the README).
"""

from __future__ import annotations

import re

from .pseudonym import is_pseudonym

#: The kinds a value can be masked as.
KINDS = ("phone", "email", "name", "address", "postcode", "national_id", "birth_date")
#: How several values share one cell: a merged record's (``crm dedupe``: ``a; b``), an item set's (``crm basket``:
#: ``A + B``). Each part is masked or pseudonymized on its own.
JOINS = ("; ", " + ")


def joined_parts(text: str) -> tuple[str, list[str]] | None:
    """(separator, parts) of a cell holding several values, else None."""
    for sep in JOINS:
        if sep in text:
            return sep, text.split(sep)
    return None
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CN_ADMIN = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区|特别行政区))?"
    r"(?:[\u4e00-\u9fff]{1,9}?(?:市|自治州|地区|盟))?"
    r"(?:[\u4e00-\u9fff]{1,9}?(?:区|县|旗|市))?")
_NOT_DISTRICT = ("小区", "社区", "园区", "校区", "厂区", "景区", "营区")


def _hide_digits(text: str, keep_first: int, keep_last: int) -> str:
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if len(digits) <= keep_first + keep_last:
        hidden = set(digits)
    else:
        hidden = set(digits[keep_first:len(digits) - keep_last])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask_phone(value: str) -> str:
    """``138****5678`` / ``+44 79** ***456``; text that is no valid number keeps 3 + 2 of 9+ digits."""
    text = value.strip()
    if text.startswith("+"):
        import phonenumbers

        try:
            num = phonenumbers.parse(text.split(" ext.")[0], None)
        except phonenumbers.NumberParseException:
            num = None
        if num is not None:
            nsn = phonenumbers.national_significant_number(num)
            if num.country_code == 86 and len(nsn) >= 8:
                return nsn[:3] + "*" * (len(nsn) - 7) + nsn[-4:]
            intl = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            cc = f"+{num.country_code}"
            if intl.startswith(cc):
                return cc + _hide_digits(intl[len(cc):], 2, 3)
    n = sum(ch.isdigit() for ch in text)
    if n >= 11 and text.isdigit() and text.startswith("1"):   # a Chinese mobile as written
        return text[:3] + "*" * (n - 7) + text[-4:]
    return _hide_digits(text, 3, 2) if n >= 9 else _hide_digits(text, 0, 0)


def mask_email(value: str) -> str:
    """``z***@qq.com``: the local part's first character, then the domain."""
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return mask_name(text)
    return local[0] + "***@" + domain


def mask_name(value: str) -> str:
    """``张*`` / ``欧***`` (Chinese: the first character, one ``*`` per hidden one); ``J*** Smith``."""
    text = " ".join(value.split())
    if not text:
        return text
    if _CJK.match(text):
        return text[0] + "".join("*" if not ch.isspace() and ch not in "·•" else ch for ch in text[1:])
    words = text.split(" ")
    if len(words) == 1:
        return words[0][0] + "***"
    return " ".join(w[0] + "***" for w in words[:-1]) + " " + words[-1]


def mask_address(value: str) -> str:
    """The province, city and district of a Chinese address; the parts after the street of another."""
    text = value.strip()
    if _CJK.search(text[:4]):
        m = _CN_ADMIN.match(text.replace(" ", ""))
        keep = m.group(0) if m else ""
        for word in _NOT_DISTRICT:
            if word in keep:
                keep = keep[:keep.index(word)]
                keep = keep[:max(keep.rfind("市"), keep.rfind("省"), keep.rfind("区"), keep.rfind("县")) + 1]
                break
        return keep + "***" if keep != text.replace(" ", "") else keep
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2:
        return "***"
    kept = []
    for part in parts[1:]:
        words = [w for w in part.split() if not any(ch.isdigit() for ch in w)]
        if words:
            kept.append(" ".join(words))
    return (", ".join(kept) + "***") if kept else "***"


def mask_postcode(value: str) -> str:
    """``100***``, ``SW1A ***``: the area part only."""
    text = value.strip()
    if " " in text:
        head = text.split(" ")[0]
        return head + " ***"
    keep = 3 if len(text) > 4 else 1
    return text[:keep] + "*" * max(len(text) - keep, 0)


def mask_national_id(value: str) -> str:
    """``110***********1234``: the first 3 and the last 4 characters of 10 or more."""
    text = value.strip()
    if len(text) >= 10:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return text[:1] + "*" * max(len(text) - 1, 0)


def mask_birth_date(value: str) -> str:
    """``1990-**-**``: the year only."""
    text = value.strip()
    m = re.match(r"^(\d{4})\D", text)
    return f"{m.group(1)}-**-**" if m else "****"


_MASKERS = {"phone": mask_phone, "email": mask_email, "name": mask_name, "address": mask_address,
            "postcode": mask_postcode, "national_id": mask_national_id, "birth_date": mask_birth_date}


def is_masked(text: str) -> bool:
    return "*" in text


def mask_value(value: object, kind: str) -> object:
    """``value`` masked as ``kind`` (one of :data:`KINDS`); empty, missing, masked and pseudonym values as they are."""
    if not isinstance(value, str):
        if value is None or value != value:
            return value
        if kind not in ("phone", "national_id", "postcode", "birth_date"):
            return value
        value = str(value)
    text = value.strip()
    if not text or is_pseudonym(text):
        return value
    joined = joined_parts(text)
    if joined is not None:
        sep, parts = joined
        return sep.join(str(mask_value(part, kind)) for part in parts)
    if is_masked(text) and kind != "birth_date":
        return text
    return _MASKERS[kind](text)


# --------------------------------------------------------------------------- shapes (stderr under --redact)


def shape_value(value: object, kind: str | None = None) -> str:
    """What a value looks like, without it: ``1**********``, ``u***@***.com``, ``张*``."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if kind == "email" or ("@" in text and kind in (None, "id", "text")):
        local, _, domain = text.rpartition("@")
        tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
        return (local[:1] or "*") + "***@***" + (f".{tld}" if tld else "")
    return text[0] + "".join("*" if ch.isalnum() else ch for ch in text[1:])
