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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import distance, fuzz, process

from ..errors import UsageError
from ..privacy.pseudonym import is_pseudonym
from .keys import address_key, digits_key, exact_key, fold, house_numbers, name_key, text_key  # noqa: F401
from .org import company_key, company_similarity

KINDS = ("name", "company", "phone", "email", "address", "date", "text", "exact", "number")

#: canonical field -> comparator kind, for zero-config (no ``--on``) runs.
FIELD_COMPARATORS: dict[str, str] = {
    "name": "name", "first_name": "name", "last_name": "name", "company": "company",
    "phone": "phone", "email": "email", "address": "address", "birth_date": "date",
    "postcode": "exact", "national_id": "exact", "city": "exact", "gender": "exact",
}


@dataclass(frozen=True)
class KindSpec:
    """What a comparator kind compares: its levels and the fallbacks the estimation starts from.

    ``m`` are the documented fallback m probabilities (P(level | same record), from "differ" up to
    "exact"), used wherever the data hold too few matches to learn from; ``u0`` is the prior chance
    that two *different* records agree exactly, which a small list cannot measure (it is worth
    ``PSEUDO_RECORDS`` records of evidence, so a list of 6 leans on it and a list of 10,000 does not).
    """

    thresholds: tuple[float, ...]
    levels: tuple[str, ...]
    m: tuple[float, ...]
    u0: float
    tf: bool = True


#: m: the true m measured on labelled sets (FEBRL 1-4, Splink's fake_1000, generated customers, organisation
#: sites and planted-duplicate lists; benchmarks/measure_m.py), averaged per kind and rounded; "differ" kept at
#: 5 % or more for what people change (a phone, an email, a company's name); number: no labelled set, a guess.
KIND_SPECS: dict[str, KindSpec] = {
    "name": KindSpec((0.92, 0.80), ("differ", "jaro-winkler>=0.80", "jaro-winkler>=0.92", "exact"),
                     (0.08, 0.03, 0.12, 0.77), 2e-3),
    "company": KindSpec((0.80, 0.55), ("differ", "words>=0.55", "words>=0.80", "exact"),
                        (0.05, 0.05, 0.30, 0.60), 1e-3),
    "phone": KindSpec((), ("differ", "same last 7 digits or 1 typo", "exact"), (0.06, 0.07, 0.87), 1e-4, tf=False),
    "email": KindSpec((0.88,), ("differ", "jaro-winkler>=0.88, same numbers", "same local part", "exact"),
                      (0.06, 0.05, 0.02, 0.87), 1e-4),
    "address": KindSpec((0.90, 0.75), ("other house number", "differ", "similarity>=0.75", "similarity>=0.90",
                                       "exact"), (0.01, 0.06, 0.13, 0.21, 0.59), 1e-3),
    "date": KindSpec((), ("differ", "within 1 year or 2 typos", "1 typo or day/month swapped", "exact"),
                     (0.08, 0.04, 0.03, 0.85), 1e-3, tf=False),
    "text": KindSpec((0.90,), ("differ", "jaro-winkler>=0.90", "exact"), (0.07, 0.14, 0.79), 0.02),
    "exact": KindSpec((), ("differ", "exact"), (0.12, 0.88), 0.1),
    "number": KindSpec((), ("differ", "within 5%", "exact"), (0.10, 0.15, 0.75), 0.02, tf=False),
}
#: how many records of evidence the prior ``u0`` is worth (see KindSpec)
PSEUDO_RECORDS = 20.0
#: kinds whose exact agreement identifies a record (anchors of the estimation)
IDENTIFIER_KINDS = ("phone", "email")
#: kinds that name the record (a person or an organisation)
NAME_KINDS = ("name", "company")


@dataclass
class Comparator:
    """Compare one column by ``kind``; ``levels`` are labels from "differ" up to "exact"."""

    column: str
    kind: str
    tf: bool = True                      #: term-frequency adjust the exact level
    thresholds: tuple[float, ...] = ()   #: similarity cut-offs, highest first (fuzzy levels)
    levels: tuple[str, ...] = field(default=())
    identifier: bool | None = None       #: exact agreement identifies the record (default: phone, email)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UsageError(f"unknown comparator kind {self.kind!r}", hint="kinds: " + ", ".join(KINDS))
        spec = KIND_SPECS[self.kind]
        if not self.thresholds:
            self.thresholds = spec.thresholds
        if not self.levels:
            self.levels = spec.levels
        if not spec.tf:
            self.tf = False
        if self.identifier is None:
            self.identifier = self.kind in IDENTIFIER_KINDS

    @property
    def spec(self) -> KindSpec:
        return KIND_SPECS[self.kind]

    @property
    def default_m(self) -> np.ndarray:
        """The documented fallback m of this comparator's levels."""
        m = np.asarray(self.spec.m, dtype=np.float64)
        if len(m) != len(self.levels):   # custom levels: "differ" keeps its share, the rest rise geometrically
            rest = np.geomspace(0.05, 1.0, len(self.levels) - 1)
            m = np.concatenate(([self.spec.m[0]], rest / rest.sum() * (1 - self.spec.m[0])))
        return m / m.sum()

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    # ------------------------------------------------------------------ prepare

    def prepare(self, values: pd.Series, normalized: pd.Series | None = None) -> Prepared:
        """Normalize the column (``normalized`` = the field layer's values, when given) into codes."""
        raw = normalized if normalized is not None else values
        fn = {"name": name_key, "company": company_key, "address": address_key, "text": text_key,
              "exact": exact_key, "email": fold, "phone": digits_key, "date": digits_key,
              "number": lambda s: s.strip().replace(",", "")}[self.kind]
        # normalize each distinct raw value once, then map the records through it
        raw_codes, raw_values = factorize_text(raw)
        # a pseudonym (ps_…) is its own key: equal or not, never "similar"; the distinct raw values are
        # Python strings only a batch at a time (a million ids are half a gigabyte as Python strings)
        keys = np.empty(len(raw_values), dtype=object)
        for start, batch in text_batches(raw_values):
            keys[start:start + len(batch)] = [(v if is_pseudonym(v) else fn(v)) if v else "" for v in batch]
        del raw_values
        key_codes, uniques = pd.factorize(keys, sort=False)
        del keys
        uniq = np.asarray(uniques, dtype=object)
        codes = key_codes.astype(np.int32)[raw_codes]   # 4 bytes a record and field
        empty = np.flatnonzero(uniq == "")
        if len(empty):
            codes[codes == empty[0]] = -1
        counts = np.bincount(codes[codes >= 0], minlength=len(uniq)).astype(np.float64)
        prep = Prepared(codes=codes, uniques=uniq, counts=counts, u0=self.spec.u0)
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
        lv = np.zeros(len(a), dtype=np.int8)
        opaque = prep.derived("pseudonym", lambda v: np.fromiter((is_pseudonym(x) for x in v), dtype=bool,
                                                                count=len(v)))
        if opaque.any():
            hidden = opaque[a] | opaque[b]
            if hidden.any():  # pseudonyms agree exactly or not at all
                lv_rest, sim_rest = self._fuzzy_plain(prep, a[~hidden], b[~hidden])
                sim = np.zeros(len(a), dtype=np.float32)
                lv[~hidden], sim[~hidden] = lv_rest, sim_rest
                return lv, sim
        return self._fuzzy_plain(prep, a, b)

    def _fuzzy_plain(self, prep: Prepared, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
            # a 7-digit local number ("2262649") is the same line as "(773) 226-2649"
            lev = _cp(va, vb, distance.Levenshtein.distance)
            tail = prep.derived("tail7", lambda v: _codes([x[-7:] if len(x) >= 7 else "" for x in v]))
            same_tail = (tail[a] == tail[b]) & (tail[a] >= 0)
            lv[(lev <= 1) | same_tail] = 1
            return lv, _cp(va, vb, distance.Levenshtein.normalized_similarity).astype(np.float32)
        if self.kind == "company":
            sim = company_similarity(prep, a, b)
            for k, t in enumerate(self.thresholds):
                lv[(lv == 0) & (sim >= t)] = self.top - 1 - k
            return lv, sim.astype(np.float32)
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
            # carter.r608@ and carter.r983@ are two people: the numbers in an address must agree to be close
            nums = prep.derived("email_numbers", lambda v: _codes(["#" + house_numbers(x) for x in v]))
            lv[(sim >= self.thresholds[0]) & (nums[a] == nums[b])] = 1
            lv[local[a] == local[b]] = 2
            return lv, sim.astype(np.float32)
        if self.kind in ("address", "name"):
            nospace = prep.derived("nospace", lambda v: np.array([x.replace(" ", "") for x in v], dtype=object))
        if self.kind == "address":
            # 1020 and 1030 W Bryn Mawr Ave are two buildings: a different house number is its own level
            num = prep.derived("numbers", lambda v: np.array([house_numbers(x) for x in v], dtype=object))
            first = prep.derived("first_number", lambda v: _codes([n.split(" ")[0] if n else "" for n in num]))
            other = (first[a] >= 0) & (first[b] >= 0) & (first[a] != first[b])
            same = np.flatnonzero(~other)   # only these need a similarity
            sim = np.zeros(len(a), dtype=np.float64)
            if len(same):
                a2, b2 = a[same], b[same]
                s = np.maximum(_cp(u[a2], u[b2], fuzz.token_sort_ratio), _cp(nospace[a2], nospace[b2], fuzz.ratio)) / 100.0
                # "8146 W Foster" is all of "8146-50 West Foster Avenue Building Z": close, never exact
                low = np.flatnonzero((s < self.thresholds[0]) & (s >= 0.5))
                if len(low):
                    s3 = _cp(u[a2[low]], u[b2[low]], fuzz.token_set_ratio) / 100.0
                    s[low] = np.maximum(s[low], np.minimum(s3, self.thresholds[0]))
                sim[same] = s
            lv[:] = 1
            for k, t in enumerate(self.thresholds):
                lv[(lv == 1) & (sim >= t)] = self.top - 1 - k
            lv[other] = 0
            return lv, sim.astype(np.float32)
        else:  # name, text
            sim = _cp(va, vb, distance.JaroWinkler.similarity)
            if self.kind == "name":
                # "annemarie" vs "anne marie", initials and CJK names one character apart
                sim = np.maximum(sim, _cp(nospace[a], nospace[b], distance.JaroWinkler.similarity))
        for k, t in enumerate(self.thresholds):
            lv[(lv == 0) & (sim >= t)] = self.top - 1 - k
        return lv, sim.astype(np.float32)


def factorize_text(values: pd.Series) -> tuple[np.ndarray, list[str] | Any]:
    """Integer code per record and the distinct values as text (a list, or for Arrow-backed and ``string``
    columns — a compact form for millions of records — an Arrow string array, read in batches by
    :func:`text_batches`). Text columns as pandas holds them are read as ``str`` of each cell; a null is the
    empty value."""
    if values.dtype == object:
        codes, uniques = pd.factorize(values.astype(str).fillna(""), sort=False)
        return codes, uniques.tolist()
    import pyarrow as pa

    codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
    arrow = values.dtype.pyarrow_dtype if isinstance(values.dtype, pd.ArrowDtype) else None
    if arrow is not None and (pa.types.is_string(arrow) or pa.types.is_large_string(arrow)):
        texts: Any = pa.chunked_array([pa.array(uniques)]).combine_chunks().fill_null("")
    else:
        texts = ["" if v is None or v is pd.NA else str(v) for v in uniques.tolist()]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(texts), codes)
        texts = [*texts, ""] if isinstance(texts, list) else pa.concat_arrays([texts, pa.array([""], type=texts.type)])
    return codes, texts


#: distinct values turned into Python strings at once
TEXT_BATCH = 200_000


def text_batches(texts) -> Any:
    """``(start, list of str)`` batches of a list or an Arrow string array."""
    for start in range(0, len(texts), TEXT_BATCH):
        part = texts[start:start + TEXT_BATCH]
        yield start, part if isinstance(part, list) else part.to_pylist()


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
    """A column turned into integer codes of normalized keys (``-1`` = empty), with their counts.

    ``u_exact`` (ū) is the chance that a random record agrees exactly with another random record (a record
    never agrees with itself); a small list adds ``PSEUDO_RECORDS`` records of the kind's prior ``u0``, so a
    list of 6 distinct names does not claim that names never repeat.

    ``value_u(codes)`` is the chance that a *stranger* holds the value a pair agrees on (the term
    frequency), estimated empirical-Bayes from the records other than the pair's two, with ū as the
    prior worth ``1/ū`` records (the number of records in which one would expect to see the value once):
    ``(c - 2 + 1) / (n - 2 + 1/ū)``. A value only the pair holds is then as common as a typical value (no
    adjustment), 张伟 held by 20 records is more common, and the pair's own two copies never count as
    evidence that strangers share the value.
    """

    codes: np.ndarray
    uniques: np.ndarray
    counts: np.ndarray          #: records holding each key
    u0: float = 1e-3            #: prior chance two different records agree exactly (KindSpec.u0)
    numbers: np.ndarray | None = None
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def filled(self) -> float:
        return float(self.counts.sum())

    @property
    def freq(self) -> np.ndarray:
        """Share of filled records holding each key."""
        n = self.filled
        return self.counts / n if n else self.counts

    @property
    def u_exact(self) -> float:
        n, c = self.filled, self.counts
        if n < 2:
            return self.u0
        agree = float((c * (c - 1)).sum()) + PSEUDO_RECORDS * self.u0 * n
        return max(agree / (n * (n - 1 + PSEUDO_RECORDS)), 1e-12)

    def value_u(self, code: np.ndarray) -> np.ndarray:
        """Per agreeing pair (by the key code they share): the chance a stranger holds that key."""
        c = self.counts[np.maximum(code, 0)]
        return (np.maximum(c - 1, 1.0)) / (max(self.filled - 2, 0.0) + 1.0 / self.u_exact)

    def derived(self, name: str, fn) -> np.ndarray:
        """``fn(uniques)``: an array per distinct value, computed once and kept."""
        if name not in self.cache:
            self.cache[name] = fn(self.uniques)
        return self.cache[name]


def _cp(a, b, scorer) -> np.ndarray:
    if not len(a):
        return np.zeros(0, dtype=np.float64)
    workers = -1 if len(a) >= 50_000 else 1
    return np.asarray(process.cpdist(a.tolist(), b.tolist(), scorer=scorer, workers=workers), dtype=np.float64)


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
                    raise UsageError(f"{{opt:on}} {part}: no column named {col!r}",
                                     hint="columns: " + ", ".join(columns[:30]))
                col = stripped[0]
            out.append((col, kind))
    return out
