"""Organisation names: the words that identify an organisation, and how alike two names are.

``company_key`` is the comparison key (``St. Kevin's Ctr, Inc.`` and ``SAINT KEVINS CENTER`` are one name);
``company_similarity`` scores two different keys by their shared words, each weighted by its rarity in the
column, so the words every site of an agency shares (Chicago, Center, 科技, 北京) count for little.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import distance

from .keys import CJK, CJK_RUN, WORD_SPLIT, fold

if TYPE_CHECKING:
    from .compare import Prepared

#: similarity of an organisation name all of whose words are in the other
CONTAINED = 0.85

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
#: Chinese legal forms and branch words (longest first), dropped from the key wherever they stand
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
    for part in WORD_SPLIT.split(s):
        if not part:
            continue
        for run in _split_scripts(part):
            if CJK.match(run):
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
    if not CJK.search(part):
        return [part]
    out, last = [], 0
    for m in CJK_RUN.finditer(part):
        if m.start() > last:
            out.append(part[last:m.start()])
        out.append(m.group())
        last = m.end()
    if last < len(part):
        out.append(part[last:])
    return out


def _cjk_tokens(run: str) -> list[str]:
    """Character bigrams of a CJK run, its legal and branch words (有限公司, 分公司…) taken out wherever they are."""
    for word in ZH_ORG_SUFFIXES:   # longest first
        run = run.replace(word, " ")
    out: list[str] = []
    for seg in run.split():
        out.extend([seg] if len(seg) == 1 else [seg[i:i + 2] for i in range(len(seg) - 1)])
    return out


def company_similarity(prep: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Weighted word overlap of organisation names (distinct value pairs ``a``, ``b``), 0..1.

    Words are weighted by their rarity in the column (inverse document frequency): "Chicago", "Center",
    "Association", 科技 or 北京 shared by many records count for little, "Gilchrist" for much. A word
    without an exact partner may pair with a near spelling (Jaro-Winkler >= 0.9, counted at that
    similarity); a one-word name that is the other's initials (IBM) counts as a strong match. The score is
    the cosine of the two weighted word sets.
    """
    tokens, weights = prep.derived("org_words", lambda v: _org_weights(v, prep.codes))
    jw = distance.JaroWinkler.similarity
    out = np.zeros(len(a), dtype=np.float64)
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        ta, tb = tokens[x], tokens[y]
        if not ta or not tb:
            continue
        wa, wb = weights[x], weights[y]
        dot = 0.0
        loose = []
        for t, w in wa.items():
            v = wb.get(t)
            if v is not None:
                dot += w * v
            else:
                loose.append((t, w))
        if loose:
            rest = [(t, w) for t, w in wb.items() if t not in wa]
            for t, w in loose:
                best, bw = 0.0, 0.0
                for u, v in rest:
                    s = jw(t, u)
                    if s > best:
                        best, bw = s, v
                if best >= 0.9:
                    dot += w * bw * best
        na, nb = sum(w * w for w in wa.values()), sum(w * w for w in wb.values())
        sim = dot / np.sqrt(na * nb) if na and nb else 0.0
        # every word of the shorter name is in the longer one ("Whittier" / "Whittier, John Greenleaf",
        # "Irving Park Nursery" / "Ada S. McKinley - Irving Park Nursery"): close, not the same
        small = min(na, nb)
        if small:
            sim = max(sim, CONTAINED * min(dot / small, 1.0))
        if len(ta) == 1 or len(tb) == 1:   # initials: "ibm" = "international business machines"
            one, many = (ta, tb) if len(ta) == 1 else (tb, ta)
            # the key's words are sorted, so the initials are compared as a multiset of letters
            if len(many) >= 2 and len(one[0]) == len(many) and sorted(one[0]) == sorted(t[0] for t in many):
                sim = max(sim, 0.9)
        out[i] = min(sim, 1.0)
    return out


def _org_weights(uniques: np.ndarray, codes: np.ndarray) -> tuple[list[list[str]], list[dict[str, float]]]:
    tokens = [u.split(" ") if u else [] for u in uniques.tolist()]
    per_value = np.bincount(codes[codes >= 0], minlength=len(uniques))
    df: dict[str, float] = {}
    for toks, k in zip(tokens, per_value.tolist()):
        for t in toks:
            df[t] = df.get(t, 0.0) + k
    n = float(per_value.sum())
    # a single letter (the K. of "Rebecca K. Crown") is an initial: it says little whatever its rarity
    idf = {t: (float(np.log((n + 1.0) / (d + 0.5))) + 0.1) * (0.3 if len(t) == 1 and t.isascii() else 1.0)
           for t, d in df.items()}
    return tokens, [{t: idf[t] for t in toks} for toks in tokens]
