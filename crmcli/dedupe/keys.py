"""Normalized comparison keys: what a name, an organisation, an address or a phone is compared as.

Each function turns one raw value into the key its comparator works on (folded width and case, no
punctuation). They run once per *distinct* value of a column, never per pair.
"""

from __future__ import annotations

import re
import unicodedata

_EN_HONORIFICS = frozenset("mr mrs ms miss mx dr prof sir madam mme mlle herr frau dame lady lord".split())
_ZH_HONORIFICS = ("先生", "女士", "小姐", "太太", "夫人", "老师", "同学")
_SPLIT = re.compile(r"[^\w]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
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
    tokens = [t for t in _SPLIT.split(s) if t and t not in _EN_HONORIFICS]
    if not tokens:
        return ""
    if all(_CJK.match(t) for t in tokens):
        joined = "".join(tokens)
        for h in _ZH_HONORIFICS:
            if joined.endswith(h) and len(joined) > len(h):
                joined = joined[: -len(h)]
                break
        return joined
    return " ".join(sorted(tokens))


def text_key(text: str) -> str:
    """Trimmed, case- and width-folded, punctuation-free text; CJK runs keep no spaces."""
    s = " ".join(t for t in _SPLIT.split(fold(text)) if t)
    if _CJK.search(s):
        s = re.sub(r"(?<=[\u3400-\u9fff]) (?=\S)|(?<=\S) (?=[\u3400-\u9fff])", "", s)
    return s


def exact_key(text: str) -> str:
    return fold(text)


def digits_key(text: str) -> str:
    return _NONDIGIT.sub("", text)


# ---------------------------------------------------------------------------------------- organisations

#: words that say what legal form an organisation has, not which one it is: dropped from the key
ORG_LEGAL_WORDS = frozenset(
    "inc incorporated corp corporation co company ltd limited llc llp lp plc gmbh ag sa sarl srl bv nv pty "
    "pte kk oy ab as spa the".split())
#: abbreviations written out, so "Ctr" and "Center", "St." and "Saint", "Assn" and "Association" agree
ORG_ABBREVIATIONS = {
    "ctr": "center", "cntr": "center", "centre": "center", "dev": "development", "devel": "development",
    "assn": "association", "assoc": "association", "univ": "university", "intl": "international",
    "natl": "national", "comm": "community", "cmty": "community", "svc": "services", "svcs": "services",
    "serv": "services", "service": "services", "dept": "department", "grp": "group", "hosp": "hospital",
    "sch": "school", "schl": "school", "acad": "academy", "st": "saint", "ste": "sainte", "mt": "mount",
    "ft": "fort", "bros": "brothers", "mfg": "manufacturing", "mgmt": "management", "tech": "technology",
    "chldrn": "children", "childrens": "children",
}
#: Chinese legal forms and branch words (longest first), dropped from the key
ZH_ORG_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "总公司", "分公司", "公司",
                   "分店", "总店", "门店", "专卖店", "旗舰店", "营业部", "办事处", "分行", "支行")


def company_tokens(text: str) -> list[str]:
    """The words of an organisation name that identify it: ``"St. Kevin's Ctr, Inc."`` -> saint, kevins, center.

    Latin words are folded, apostrophes joined (``Kevin's`` -> ``kevins``), abbreviations written out and
    legal forms dropped; a CJK run loses its legal/branch suffixes (有限公司, 分公司, 门店…) and becomes its
    character bigrams (``张三科技`` -> 张三 三科 科技), so word order and a region in brackets matter little.
    """
    s = fold(text).replace("'", "").replace("’", "").replace("&", " and ")
    out: list[str] = []
    for part in _SPLIT.split(s):
        if not part:
            continue
        for run in _split_scripts(part):
            if _CJK.match(run):
                out.extend(_cjk_tokens(run))
                continue
            word = ORG_ABBREVIATIONS.get(run, run)
            for w in word.split():
                if w not in ORG_LEGAL_WORDS:
                    out.append(w)
    return out


def company_key(text: str) -> str:
    """The organisation's identifying words, de-duplicated and sorted (equal keys = the same name)."""
    return " ".join(sorted(set(company_tokens(text))))


def _split_scripts(part: str) -> list[str]:
    """``"abc张三科技"`` -> ``["abc", "张三科技"]``."""
    if not _CJK.search(part):
        return [part]
    out, last = [], 0
    for m in _CJK_RUN.finditer(part):
        if m.start() > last:
            out.append(part[last:m.start()])
        out.append(m.group())
        last = m.end()
    if last < len(part):
        out.append(part[last:])
    return out


def _cjk_tokens(run: str) -> list[str]:
    changed = True
    while changed:
        changed = False
        for suffix in ZH_ORG_SUFFIXES:
            if run.endswith(suffix) and len(run) > len(suffix):
                run = run[: -len(suffix)]
                changed = True
                break
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


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
    tokens = [t for t in _SPLIT.split(fold(text)) if t]
    out: list[str] = []
    for t in tokens:
        m = _ORDINAL.match(t)
        if m:
            t = m.group(1)
        elif t in ("th", "nd") and out and out[-1].isdigit():
            continue   # "24 TH BLVD"
        out.append(ADDRESS_WORDS.get(t, t))
    s = " ".join(out)
    if _CJK.search(s):
        s = re.sub(r"(?<=[\u3400-\u9fff]) (?=\S)|(?<=\S) (?=[\u3400-\u9fff])", "", s)
    return s


def house_numbers(key: str) -> str:
    """The digit runs of an address key, space-joined (``"1020 w bryn mawr ave"`` -> ``"1020"``)."""
    return " ".join(_DIGITS.findall(key))
