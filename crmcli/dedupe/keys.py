"""Normalized comparison keys: what a name, an organisation, an address or a phone is compared as.

Each function turns one raw value into the key its comparator works on (folded width and case, no
punctuation). They run once per *distinct* value of a column, never per pair.
"""

from __future__ import annotations

import re
import unicodedata

_EN_HONORIFICS = frozenset("mr mrs ms miss mx dr prof sir madam mme mlle herr frau dame lady lord".split())
_ZH_HONORIFICS = ("先生", "女士", "小姐", "太太", "夫人", "老师", "同学")
WORD_SPLIT = re.compile(r"[^\w]+", re.UNICODE)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_NONDIGIT = re.compile(r"\D+")
_DIGITS = re.compile(r"\d+")


def fold(text: str) -> str:
    """NFKC (full-width → ASCII), case-folded, trimmed."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def name_key(text: str) -> str:
    """Normalized, token-order-insensitive name: ``"Smith, John"`` and ``"Mr John SMITH"`` -> ``"john smith"``.

    Honorifics (Mr/Mrs/Dr…, 先生/女士/小姐…) are dropped; a name written only in CJK characters is
    joined without spaces (``"张 伟"`` -> ``"张伟"``).
    """
    s = fold(text)
    tokens = [t for t in WORD_SPLIT.split(s) if t and t not in _EN_HONORIFICS]
    if not tokens:
        return ""
    if all(CJK.match(t) for t in tokens):
        joined = "".join(tokens)
        for h in _ZH_HONORIFICS:
            if joined.endswith(h) and len(joined) > len(h):
                joined = joined[: -len(h)]
                break
        return joined
    return " ".join(sorted(tokens))


def text_key(text: str) -> str:
    """Trimmed, case- and width-folded, punctuation-free text; CJK runs keep no spaces."""
    s = " ".join(t for t in WORD_SPLIT.split(fold(text)) if t)
    if CJK.search(s):
        s = re.sub(r"(?<=[\u3400-\u9fff]) (?=\S)|(?<=\S) (?=[\u3400-\u9fff])", "", s)
    return s


def exact_key(text: str) -> str:
    return fold(text)


def digits_key(text: str) -> str:
    return _NONDIGIT.sub("", text)


# ---------------------------------------------------------------------------------------- addresses

#: street words in one spelling each (USPS-style short forms), so "North Ogden Avenue" = "N Ogden Ave"
ADDRESS_WORDS = {
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne", "northwest": "nw",
    "southeast": "se", "southwest": "sw", "avenue": "ave", "av": "ave", "street": "st", "str": "st",
    "road": "rd", "boulevard": "blvd", "drive": "dr", "place": "pl", "court": "ct", "lane": "ln",
    "parkway": "pkwy", "highway": "hwy", "square": "sq", "terrace": "ter", "suite": "ste", "apartment": "apt",
    "floor": "fl", "building": "bldg", "circle": "cir", "crescent": "cres", "close": "cl", "way": "way",
    "center": "ctr", "centre": "ctr", "expressway": "expy", "freeway": "fwy", "trail": "trl",
}
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")


def address_key(text: str) -> str:
    """Folded address with street words in one form and ordinals as numbers (``19TH STREET`` -> ``19 st``)."""
    tokens = [t for t in WORD_SPLIT.split(fold(text)) if t]
    out: list[str] = []
    for t in tokens:
        m = _ORDINAL.match(t)
        if m:
            t = m.group(1)
        elif t in ("th", "nd") and out and out[-1].isdigit():
            continue   # "24 TH BLVD"
        out.append(ADDRESS_WORDS.get(t, t))
    s = " ".join(out)
    if CJK.search(s):
        s = re.sub(r"(?<=[\u3400-\u9fff]) (?=\S)|(?<=\S) (?=[\u3400-\u9fff])", "", s)
    return s


def house_numbers(key: str) -> str:
    """The digit runs of an address key, space-joined (``"1020 w bryn mawr ave"`` -> ``"1020"``)."""
    return " ".join(_DIGITS.findall(key))
