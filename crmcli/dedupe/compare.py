"""Comparators: how two values of one field are compared, as ordered agreement levels.

A comparator is a small declarative object (the shape of Splink's comparison library):
a kind, a column, and thresholds. ``prepare`` turns the column into a normalized key per
record; ``compare`` turns candidate pairs (two integer arrays of record positions) into an
agreement *level* per pair (``-1`` = a value is missing, which is neutral; ``0`` = differ;
higher = closer; the top level is "exactly equal") and a similarity in 0..1.

Fuzzy similarities are computed once per distinct *pair of values* (rapidfuzz ``cpdist``),
not once per pair of records, so a million candidate pairs over a few thousand distinct
names cost a few thousand string comparisons.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import distance, fuzz, process

from ..errors import UsageError

KINDS = ("name", "phone", "email", "address", "date", "text", "exact", "number")

#: canonical field -> comparator kind, for zero-config (no ``--on``) runs.
FIELD_COMPARATORS: dict[str, str] = {
    "name": "name", "first_name": "name", "last_name": "name", "company": "name",
    "phone": "phone", "email": "email", "address": "address", "birth_date": "date",
    "postcode": "exact", "national_id": "exact", "city": "exact", "gender": "exact",
}

_EN_HONORIFICS = frozenset("mr mrs ms miss mx dr prof sir madam mme mlle herr frau dame lady lord".split())
_ZH_HONORIFICS = ("先生", "女士", "小姐", "太太", "夫人", "老师", "同学")
_SPLIT = re.compile(r"[^\w]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NONDIGIT = re.compile(r"\D+")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def name_key(text: str) -> str:
    """Normalized, token-order-insensitive name: ``"Smith, John"`` and ``"Mr John SMITH"`` -> ``"john smith"``.

    Honorifics (Mr/Mrs/Dr…, 先生/女士/小姐…) are dropped; a name written only in CJK characters is
    joined without spaces (``"张 伟"`` -> ``"张伟"``).
    """
    s = _fold(text)
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
    s = " ".join(t for t in _SPLIT.split(_fold(text)) if t)
    if _CJK.search(s):
        s = re.sub(r"(?<=[\u3400-\u9fff]) (?=\S)|(?<=\S) (?=[\u3400-\u9fff])", "", s)
    return s


def exact_key(text: str) -> str:
    return _fold(text)


def digits_key(text: str) -> str:
    return _NONDIGIT.sub("", text)


@dataclass
class Comparator:
    """Compare one column by ``kind``; ``levels`` are labels from "differ" up to "exact"."""

    column: str
    kind: str
    tf: bool = True                      #: term-frequency adjust the exact level
    thresholds: tuple[float, ...] = ()   #: similarity cut-offs, highest first (fuzzy levels)
    levels: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UsageError(f"unknown comparator kind {self.kind!r}", hint="kinds: " + ", ".join(KINDS))
        defaults = {
            "name": ((0.92, 0.80), ("differ", "jaro-winkler>=0.80", "jaro-winkler>=0.92", "exact")),
            "phone": ((0.9,), ("differ", "same last 8 digits or 1 typo", "exact")),
            "email": ((0.88,), ("differ", "jaro-winkler>=0.88", "same local part", "exact")),
            "address": ((0.90, 0.75), ("differ", "similarity>=0.75", "similarity>=0.90", "exact")),
            "date": ((), ("differ", "within 1 year or 2 typos", "1 typo or day/month swapped", "exact")),
            "text": ((0.90,), ("differ", "jaro-winkler>=0.90", "exact")),
            "exact": ((), ("differ", "exact")),
            "number": ((), ("differ", "within 5%", "exact")),
        }[self.kind]
        if not self.thresholds:
            self.thresholds = defaults[0]
        if not self.levels:
            self.levels = defaults[1]
        if self.kind in ("phone", "date", "number"):
            self.tf = False

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    # ------------------------------------------------------------------ prepare

    def prepare(self, values: pd.Series, normalized: pd.Series | None = None) -> Prepared:
        """Normalize the column (``normalized`` = the field layer's values, when given) into codes."""
        raw = normalized if normalized is not None else values
        raw = raw.astype(str).fillna("")
        fn = {"name": name_key, "address": text_key, "text": text_key, "exact": exact_key,
              "email": lambda s: _fold(s), "phone": digits_key, "date": digits_key,
              "number": lambda s: s.strip().replace(",", "")}[self.kind]
        # normalize each distinct raw value once, then map the records through it
        raw_codes, raw_uniques = pd.factorize(raw, sort=False)
        keys = [fn(v) if v else "" for v in raw_uniques.tolist()]
        key_codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
        uniq = np.asarray(uniques, dtype=object)
        codes = key_codes.astype(np.int64)[raw_codes]
        empty = np.flatnonzero(uniq == "")
        if len(empty):
            codes[codes == empty[0]] = -1
        counts = np.bincount(codes[codes >= 0], minlength=len(uniq)).astype(np.float64)
        filled = counts.sum()
        freq = counts / filled if filled else counts
        prep = Prepared(codes=codes, uniques=uniq, freq=freq, u_exact=float((freq**2).sum()) or 1e-12)
        if self.kind == "number":
            prep.numbers = pd.to_numeric(pd.Series(uniq), errors="coerce").to_numpy(dtype=np.float64)
        return prep

    # ------------------------------------------------------------------ compare

    def compare(self, prep: Prepared, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Levels (int8, -1 = missing) and similarities (float32, NaN = missing) of record pairs."""
        cl, cr = prep.codes[left], prep.codes[right]
        level = np.zeros(len(left), dtype=np.int8)
        sim = np.zeros(len(left), dtype=np.float32)
        missing = (cl < 0) | (cr < 0)
        same = (cl == cr) & ~missing
        level[same] = self.top
        sim[same] = 1.0
        todo = ~missing & ~same
        if todo.any() and self.top > 1:
            a, b = np.minimum(cl[todo], cr[todo]), np.maximum(cl[todo], cr[todo])
            n_u = np.int64(len(prep.uniques))
            key = a * n_u + b
            inv, ukey = pd.factorize(key, sort=False)   # hash-based: no sort of the pairs
            ua, ub = ukey // n_u, ukey % n_u
            lv, sv = self._fuzzy(prep, ua, ub)
            level[todo] = lv[inv]
            sim[todo] = sv[inv]
        level[missing] = -1
        sim[missing] = np.nan
        return level, sim

    def _fuzzy(self, prep: Prepared, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Levels below "exact" for distinct value pairs (codes ``a`` != ``b``).

        Helpers derived from the distinct values (space-free forms, date parts, phone tails, email
        local parts) are computed once per column (``Prepared.derived``), then indexed: no Python
        loop runs per pair.
        """
        u = prep.uniques
        va, vb = u[a], u[b]
        lv = np.zeros(len(a), dtype=np.int8)
        if self.kind == "number":
            x, y = prep.numbers[a], prep.numbers[b]
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.abs(x - y) / np.maximum(np.abs(x), np.abs(y))
            sim = np.nan_to_num(1 - rel, nan=0.0).clip(0, 1).astype(np.float32)
            lv[rel <= 0.05] = 1
            return lv, sim
        if self.kind == "phone":
            lev = _cp(va, vb, distance.Levenshtein.distance)
            tail = prep.derived("tail8", lambda v: _codes([x[-8:] if len(x) >= 8 else "" for x in v]))
            same_tail = (tail[a] == tail[b]) & (tail[a] >= 0)
            lv[(lev <= 1) | same_tail] = 1
            return lv, _cp(va, vb, distance.Levenshtein.normalized_similarity).astype(np.float32)
        if self.kind == "date":
            lev = _cp(va, vb, distance.Levenshtein.distance)
            ymd = prep.derived("ymd", _date_parts)   # (year, month, day) as ints, -1 where not 8 digits
            y, m, d = ymd[:, 0], ymd[:, 1], ymd[:, 2]
            ok8 = (y[a] >= 0) & (y[b] >= 0)
            swapped = ok8 & (y[a] == y[b]) & (m[a] == d[b]) & (d[a] == m[b])
            yr = prep.derived("year4", lambda v: np.array([int(x[:4]) if len(x) >= 4 and x[:4].isdigit() else -9
                                                           for x in v], dtype=np.int64))
            rest = prep.derived("rest4", lambda v: _codes([x[4:] if len(x) >= 4 else "\0" + x for x in v]))
            near = (yr[a] >= 0) & (yr[b] >= 0) & (np.abs(yr[a] - yr[b]) <= 1) & (rest[a] == rest[b])
            lv[(lev <= 2) | near] = 1
            lv[(lev <= 1) | swapped] = 2
            sim = _cp(va, vb, distance.Levenshtein.normalized_similarity).astype(np.float32)
            return lv, sim
        if self.kind == "email":
            sim = _cp(va, vb, distance.JaroWinkler.similarity)
            local = prep.derived("local", lambda v: _codes([x.split("@")[0] for x in v]))
            lv[sim >= self.thresholds[0]] = 1
            lv[local[a] == local[b]] = 2
            return lv, sim.astype(np.float32)
        if self.kind in ("address", "name"):
            nospace = prep.derived("nospace", lambda v: np.array([x.replace(" ", "") for x in v], dtype=object))
        if self.kind == "address":
            s1 = _cp(va, vb, fuzz.token_sort_ratio) / 100.0
            s2 = _cp(nospace[a], nospace[b], fuzz.ratio) / 100.0
            sim = np.maximum(s1, s2)
        else:  # name, text
            sim = _cp(va, vb, distance.JaroWinkler.similarity)
            if self.kind == "name":
                # "annemarie" vs "anne marie", initials and CJK names one character apart
                sim = np.maximum(sim, _cp(nospace[a], nospace[b], distance.JaroWinkler.similarity))
        for k, t in enumerate(self.thresholds):
            lv[(lv == 0) & (sim >= t)] = self.top - 1 - k
        return lv, sim.astype(np.float32)


def _codes(values: list[str]) -> np.ndarray:
    """Integer code per value (equal values, equal codes); ``-1`` for ``""``."""
    codes, uniq = pd.factorize(pd.Series(values, dtype=object), sort=False)
    codes = codes.astype(np.int64)
    empty = np.flatnonzero(np.asarray(uniq, dtype=object) == "")
    if len(empty):
        codes[codes == empty[0]] = -1
    return codes


def _date_parts(values: np.ndarray) -> np.ndarray:
    out = np.full((len(values), 3), -1, dtype=np.int64)
    for i, x in enumerate(values):
        if len(x) >= 8 and x[:8].isdigit():
            out[i] = int(x[:4]), int(x[4:6]), int(x[6:8])
    return out


@dataclass
class Prepared:
    """A column turned into integer codes of normalized keys (``-1`` = empty)."""

    codes: np.ndarray
    uniques: np.ndarray
    freq: np.ndarray            #: share of filled records holding each key (term frequency)
    u_exact: float              #: chance two random filled records agree exactly (sum of freq²)
    numbers: np.ndarray | None = None
    cache: dict = field(default_factory=dict, repr=False)

    def derived(self, name: str, fn) -> np.ndarray:
        """``fn(uniques)``: an array per distinct value, computed once and kept."""
        if name not in self.cache:
            self.cache[name] = fn(self.uniques)
        return self.cache[name]


def _cp(a, b, scorer) -> np.ndarray:
    if not len(a):
        return np.zeros(0, dtype=np.float64)
    workers = -1 if len(a) >= 50_000 else 1
    return np.asarray(process.cpdist(list(a), list(b), scorer=scorer, workers=workers), dtype=np.float64)


def parse_on(items: list[str] | None, columns: list[str]) -> list[tuple[str, str | None]]:
    """``["given_name:name", "a,b:date"]`` -> ``[("given_name", "name"), ("a", None), ("b", "date")]``."""
    out: list[tuple[str, str | None]] = []
    for item in items or ():
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            col, sep, kind = part.rpartition(":")
            if not sep or kind not in KINDS:
                col, kind = part, None
            if col not in columns:
                stripped = [c for c in columns if c.strip() == col.strip()]
                if len(stripped) != 1:
                    raise UsageError(f"--on {part}: no column named {col!r}",
                                     hint="columns: " + ", ".join(columns[:30]))
                col = stripped[0]
            out.append((col, kind))
    return out
