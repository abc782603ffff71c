"""Email addresses: syntax checked by email-validator (no DNS), trimmed, domain lower-cased.

A full-width ``＠`` (and any full-width ASCII) is folded first. The local part is kept as
written. Plain ASCII addresses of the everyday shape take a regex fast path that accepts
only what email-validator accepts (a test holds the two in agreement).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email

from ..privacy.pseudonym import PREFIX as PSEUDONYM_PREFIX
from ..privacy.pseudonym import is_pseudonym
from .text import FULLWIDTH

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_FAST = re.compile(rf"^({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})$")
_SPECIAL_TLDS = {"arpa", "invalid", "local", "localhost", "onion", "test"}


def normalize_email(text: str) -> tuple[str, str]:
    """One value -> (normalized address, code)."""
    t = text.strip()
    if not t:
        return "", ""
    if t.startswith(PSEUDONYM_PREFIX) and is_pseudonym(t):  # a pseudonymized email: an opaque, valid key
        return t, ""
    s = t if t.isascii() else t.translate(FULLWIDTH).strip()
    m = _FAST.match(s)
    if (m and len(m.group(1)) <= 64 and len(s) <= 254 and "--" not in m.group(2)
            and m.group(2).rsplit(".", 1)[-1].lower() not in _SPECIAL_TLDS):
        return f"{m.group(1)}@{m.group(2).lower()}", ""
    try:
        res = validate_email(s, check_deliverability=False)
    except EmailNotValidError:
        return t, "invalid-email"
    return f"{res.local_part}@{res.domain}", ""


def normalize_emails(values: Sequence[str]) -> tuple[list[str], list[str]]:
    out: list[str] = []
    codes: list[str] = []
    for v in values:
        o, c = normalize_email(v)
        out.append(o)
        codes.append(c)
    return out, codes


def normalize_email_array(arr):
    """A whole column (pyarrow strings) -> (normalized addresses, code indices); each distinct
    non-empty value once."""
    import pyarrow.compute as pc

    from ._arrow import fill_rest, np_bool

    def slow(values: list[str]) -> tuple[list[str], list[str], None]:
        out, codes = normalize_emails(values)
        return out, codes, None

    return fill_rest(arr, np_bool(pc.greater(pc.binary_length(arr), 0)), slow)[:2]
