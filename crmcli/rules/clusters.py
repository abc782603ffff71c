"""Value clusters: the spellings of one value in a categorical column (天猫 / 天猫旗舰店 / Tmall / tmall).

OpenRefine's two families of methods, on the column's distinct values:

- **key collision** — values with the same key are one value (merged by ``crm clean --merge-values``):
  :func:`fingerprint` (OpenRefine's: case, accents, punctuation, word order and repeated words aside),
  :func:`ngram_fingerprint` (the sorted set of letter pairs: spaces and letter order within pairs aside),
  and the Chinese keys — :func:`chinese_key` (full/half width, traditional → simplified with OpenCC, the
  shop suffixes 旗舰店 / 官方 / 店 of a channel, the 市 / 省 of a city or province, platform names
  written in Latin letters: Tmall = 天猫) and :func:`pinyin_key` (the same pinyin with tones: 杭州 = 航州;
  a Latin spelling is joined to the Chinese value whose toneless pinyin it is: Hangzhou = 杭州);
- **nearest neighbour** — Latin-script values one edit apart (two for long ones) with the same digits,
  by rapidfuzz's Levenshtein distance: listed for review (``similar-value``), merged only when written
  into ``[values]`` (a real value one letter from another — Shenzhen / Shenzen — is common, but so are
  different ones: Mia / Mila).

The most frequent spelling of a cluster is its canonical value; ``[values]`` in crm.toml
(``canonical = [variants]``; ``[values.<column>]`` for one column) names it instead and merges its
variants always. Only columns of a categorical field (:data:`crmcli.rules.defaults.CATEGORY_FIELDS`)
with at most :data:`MAX_DISTINCT` distinct values are clustered; everything is per distinct value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import UsageError
from .defaults import CATEGORY_FIELDS
from .local import report
from .values import blank_of, text_of

CLUSTER_COLUMNS = ("column", "field", "canonical", "variant", "count", "method", "merge")
#: A column with more distinct values than this is not categorical: not clustered.
MAX_DISTINCT = 5_000
#: Nearest-neighbour pairs are looked for among at most this many distinct values.
MAX_NEIGHBOUR_VALUES = 2_000
#: The suffixes a shop name carries (longest first): 天猫旗舰店 = 天猫官方 = 天猫店 = 天猫.
SHOP_SUFFIXES = ("官方旗舰店", "官方专卖店", "官方店", "旗舰店", "专卖店", "专营店", "自营店", "直营店", "官方", "自营",
                 "商城", "店铺", "店")
#: The suffixes of a place name: 杭州市 = 杭州, 浙江省 = 浙江, 广西壮族自治区 = 广西.
PLACE_SUFFIXES = ("特别行政区", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")
#: Sales platforms as written in Latin letters or short forms -> their Chinese name.
PLATFORM_NAMES = {"tmall": "天猫", "tianmao": "天猫", "taobao": "淘宝", "jd": "京东", "jdcom": "京东",
                  "jingdong": "京东", "douyin": "抖音", "pinduoduo": "拼多多", "pdd": "拼多多", "wechat": "微信",
                  "weixin": "微信", "xiaohongshu": "小红书", "kuaishou": "快手", "meituan": "美团",
                  "vipshop": "唯品会", "vip": "唯品会", "suning": "苏宁", "youzan": "有赞", "amazon": "亚马逊"}
SHOP_FIELDS = ("channel",)
PLACE_FIELDS = ("city", "province", "state")
METHODS = {"fingerprint": "fingerprint", "ngram": "n-gram fingerprint", "chinese": "Chinese key",
           "pinyin": "pinyin", "levenshtein": "Levenshtein distance", "values": "[values]"}

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DIGITS = re.compile(r"\D+")


# ----------------------------------------------------------------------------- keys


def preload_keys() -> None:
    """Import the key libraries (pypinyin's phrase dictionary takes ~0.5 s) on a background thread, so that
    they load while a big table is read and normalized rather than after; a no-op once loaded."""
    import sys
    import threading

    if "pypinyin" in sys.modules or any(t.name == "crm-preload-keys" for t in threading.enumerate()):
        return

    def load() -> None:
        import pypinyin  # noqa: F401
        _to_simplified()

    threading.Thread(target=load, name="crm-preload-keys", daemon=True).start()



@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """NFKC (full/half width), traditional → simplified, lower case, accents dropped."""
    text = unicodedata.normalize("NFKC", text)
    if _CJK.search(text):
        text = _to_simplified().convert(text)
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def fingerprint(text: str) -> str:
    """OpenRefine's fingerprint: folded, punctuation removed, the unique words sorted and joined."""
    return " ".join(sorted(set(_PUNCT.sub(" ", fold(text)).split())))


def ngram_fingerprint(text: str, n: int = 2) -> str:
    """OpenRefine's n-gram fingerprint: folded, no spaces or punctuation, the unique n-grams sorted."""
    s = _PUNCT.sub("", fold(text))
    if len(s) <= n:
        return s
    return "".join(sorted({s[i:i + n] for i in range(len(s) - n + 1)}))


def chinese_key(text: str, field: str = "") -> str:
    """Folded, no spaces or punctuation; a channel without its shop suffix and with a platform's Latin
    name as its Chinese one; a place without 市 / 省 / 自治区."""
    s = _PUNCT.sub("", fold(text))
    if field in SHOP_FIELDS:
        s = PLATFORM_NAMES.get(s, s)
        s = _strip(s, SHOP_SUFFIXES)
        s = PLATFORM_NAMES.get(s, s)
    elif field in PLACE_FIELDS:
        s = _strip(s, PLACE_SUFFIXES)
    return s


def _strip(s: str, suffixes: Sequence[str]) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in suffixes:
            if s.endswith(suffix) and len(s) > len(suffix):
                s, changed = s[: -len(suffix)], True
                break
    return s


def pinyin_key(text: str, field: str = "", tones: bool = True) -> str:
    """The pinyin of a value's Chinese key (with tones: 杭州 hang2zhou1); "" for a value without Chinese."""
    key = chinese_key(text, field)
    if not _CJK.search(key):
        return ""
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(key, style=Style.TONE3 if tones else Style.NORMAL, errors="ignore"))


# ----------------------------------------------------------------------------- clusters


@dataclass
class Cluster:
    canonical: str
    #: variant -> (count, method)
    variants: dict[str, tuple[int, str]] = field(default_factory=dict)
    merge: bool = True


def find_clusters(values: Sequence[str], counts: Sequence[int], field: str = "") -> list[Cluster]:
    """The clusters among a column's distinct ``values`` (with their ``counts``): key collisions
    (merge = True) and nearest neighbours (merge = False), canonical = the most frequent spelling."""
    values = list(values)
    count = dict(zip(values, (int(c) for c in counts)))
    parent = {v: v for v in values}

    def root(v: str) -> str:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    def join(group: Sequence[str]) -> None:
        first = root(group[0])
        for v in group[1:]:
            parent[root(v)] = first

    keyers = (("fingerprint", fingerprint), ("ngram", ngram_fingerprint),
              ("chinese", lambda v: chinese_key(v, field)), ("pinyin", lambda v: pinyin_key(v, field)))
    keys: dict[str, dict[str, str]] = {}
    for name, keyer in keyers:
        if name == "pinyin" and field in PLACE_FIELDS:
            continue                      # 泰州 / 台州, 福州 / 抚州: real places that sound alike
        by_key: dict[str, list[str]] = {}
        keys[name] = {}
        for v in values:
            k = keyer(v)
            keys[name][v] = k
            if k:
                by_key.setdefault(k, []).append(v)
        for group in by_key.values():
            if len(group) > 1:
                join(group)
    _join_latin_pinyin(values, field, join)
    groups: dict[str, list[str]] = {}
    for v in values:
        groups.setdefault(root(v), []).append(v)
    clusters = []
    for members in groups.values():
        if len(members) < 2:
            continue
        canonical = max(members, key=lambda v: (count[v], bool(_CJK.search(v)), -len(v)))
        c = Cluster(canonical=canonical)
        for v in sorted(members, key=lambda v: -count[v]):
            if v != canonical:
                c.variants[v] = (count[v], _method(v, canonical, keys))
        clusters.append(c)
    clustered = {v for c in clusters for v in (c.canonical, *c.variants)}
    clusters += _neighbours([v for v in values if v not in clustered], count)
    return sorted(clusters, key=lambda c: -(count[c.canonical] + sum(n for n, _ in c.variants.values())))


def _method(v: str, canonical: str, keys: Mapping[str, Mapping[str, str]]) -> str:
    for name in ("fingerprint", "ngram", "chinese", "pinyin"):
        if name in keys and keys[name].get(v) and keys[name].get(v) == keys[name].get(canonical):
            return METHODS[name]
    return "Latin pinyin" if not _CJK.search(v) else METHODS["chinese"]


def _join_latin_pinyin(values: Sequence[str], field: str, join) -> None:
    """A Latin spelling joins the most frequent Chinese value whose toneless pinyin it is (Hangzhou = 杭州);
    Chinese values are never joined to each other this way."""
    chinese: dict[str, str] = {}
    for v in values:
        if _CJK.search(v):
            chinese.setdefault(pinyin_key(v, field, tones=False), v)
    for v in values:
        if not _CJK.search(v):
            key = chinese_key(v, field)
            if key and key.isascii() and key in chinese:
                join([chinese[key], v])


def _neighbours(values: Sequence[str], count: Mapping[str, int]) -> list[Cluster]:
    """Latin-script values one edit apart (two when 10+ letters long) with the same digits: for review."""
    latin = [v for v in values if v.isascii() and len(_PUNCT.sub("", v)) >= 5][:MAX_NEIGHBOUR_VALUES]
    if len(latin) < 2:
        return []
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    keys = [fingerprint(v) for v in latin]
    dist = process.cdist(keys, keys, scorer=Levenshtein.distance, score_cutoff=2, dtype=np.int32)
    out: list[Cluster] = []
    taken: set[int] = set()
    order = sorted(range(len(latin)), key=lambda i: -count[latin[i]])
    for i in order:
        if i in taken:
            continue
        near = [j for j in np.flatnonzero(dist[i] <= 2) if j != i and j not in taken
                and dist[i, j] <= (2 if min(len(keys[i]), len(keys[j])) >= 10 else 1)
                and _DIGITS.sub("", keys[i]) == _DIGITS.sub("", keys[j]) and count[latin[j]] <= count[latin[i]]]
        if not near:
            continue
        c = Cluster(canonical=latin[i], merge=False)
        for j in near:
            c.variants[latin[j]] = (count[latin[j]], METHODS["levenshtein"])
            taken.add(j)
        taken.add(i)
        out.append(c)
    return out


# ----------------------------------------------------------------------------- [values] in crm.toml


@dataclass(frozen=True)
class ValueTable:
    """``[values]`` of crm.toml: ``canonical = [variants]`` for every categorical column, and
    ``[values.<column>]`` tables for one column. Variants match by their :func:`fingerprint`."""

    everywhere: Mapping[str, str] = field(default_factory=dict)            # variant key -> canonical
    by_column: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    where: str = "[values]"

    def for_column(self, key_of_column: Sequence[str]) -> dict[str, str]:
        """variant key -> canonical for a column known by these keys (its header and field)."""
        out = dict(self.everywhere)
        for key in key_of_column:
            out.update(self.by_column.get(key, {}))
        return out


def parse_values(data: Mapping[str, Any], where: str = "[values]") -> ValueTable:
    """Check and read a ``[values]`` table; a :class:`UsageError` names what is wrong."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{where} must be a table of canonical = [variants]")

    def table(entries: Mapping[str, Any], here: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for canonical, variants in entries.items():
            if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
                raise UsageError(f"{here}: {canonical!r} must be a list of its spellings, got {variants!r}",
                                 hint='e.g. "天猫" = ["天猫旗舰店", "Tmall", "tmall"]')
            for v in variants:
                key = fingerprint(v)
                if key in out and out[key] != canonical:
                    raise UsageError(f"{here}: {v!r} is listed under both {out[key]!r} and {canonical!r}")
                if key != fingerprint(canonical):
                    out[key] = str(canonical)
        return out

    everywhere = {k: v for k, v in data.items() if not isinstance(v, Mapping)}
    by_column = {str(k): table(v, f"{where}.{k}") for k, v in data.items() if isinstance(v, Mapping)}
    return ValueTable(everywhere=table(everywhere, where), by_column=by_column, where=where)


# ----------------------------------------------------------------------------- issues and merging


def check_clusters(table, bound, out, keep: np.ndarray, *, find: bool = True) -> pd.DataFrame:
    """Report each cell holding a variant (``value-variant``, or ``similar-value`` for a nearest neighbour);
    returns the clusters as rows of :data:`CLUSTER_COLUMNS`."""
    rows: list[dict[str, object]] = []
    values_table = bound.values
    if values_table is None and not find:     # nothing to look for
        from ..validate import empty_clusters

        return empty_clusters()
    columns = [h for h, f in table.mapping.items() if f in CATEGORY_FIELDS]
    if values_table is not None:
        from .bind import find_column

        headers = [str(h) for h in table.frame.columns]
        for key in values_table.by_column:
            header = find_column(key, headers, table.mapping, where=values_table.where)
            if header is not None and header not in columns:
                columns.append(header)
    for header in columns:
        fld = table.mapping.get(header, "")
        res = table.normalized.get(header)
        arr = text_of(res.values) if res is not None else pc.utf8_trim_whitespace(text_of(table.frame[header]))
        enc = pc.dictionary_encode(arr)
        idx = enc.indices.to_numpy(zero_copy_only=False)
        distinct = enc.dictionary.to_pylist()
        live = keep & ~blank_of(arr)
        counts = np.bincount(idx[live], minlength=len(distinct))
        present = [i for i in range(len(distinct)) if counts[i] and distinct[i]]
        if len(present) < 2 or len(present) > MAX_DISTINCT:
            continue
        variant_of: dict[str, tuple[str, str, bool]] = {}    # value -> (canonical, method, merge)
        fixed = values_table.for_column([header, fld]) if values_table is not None else {}
        for i in present:
            canonical = fixed.get(fingerprint(distinct[i]))
            if canonical is not None and canonical != distinct[i]:
                variant_of[distinct[i]] = (canonical, METHODS["values"], True)
        if find:
            rest = [i for i in present if distinct[i] not in variant_of]
            for c in find_clusters([distinct[i] for i in rest], [counts[i] for i in rest], fld):
                for v, (_n, method) in c.variants.items():
                    variant_of[v] = (c.canonical, method, c.merge)
        if not variant_of:
            continue
        pos = {v: i for i, v in enumerate(distinct)}
        for v, (canonical, method, merge) in variant_of.items():
            rows.append({"column": header, "field": fld, "canonical": canonical, "variant": v,
                         "count": int(counts[pos[v]]), "method": method, "merge": "yes" if merge else "no"})
        for merge, code in ((True, "value-variant"), (False, "similar-value")):
            hit = np.zeros(len(distinct), dtype=bool)
            canon = np.full(len(distinct), "", dtype=object)
            how = np.full(len(distinct), "", dtype=object)
            for v, (canonical, method, m) in variant_of.items():
                if m == merge:
                    hit[pos[v]], canon[pos[v]], how[pos[v]] = True, canonical, method
            mask = live & hit[idx]
            if mask.any():
                report(out, table, mask, header, fld, code,
                       canonical=pa.array(canon[idx[mask]].tolist(), type=pa.large_string()),
                       method=pa.array(how[idx[mask]].tolist(), type=pa.large_string()))
    if not rows:
        from ..validate import empty_clusters

        return empty_clusters()
    return pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS))


def merges_of(clusters: pd.DataFrame, *, found: bool = True) -> dict[str, dict[str, str]]:
    """``{column: {variant: canonical}}`` to rewrite: the ``[values]`` variants, and with ``found`` the key
    collisions found (nearest neighbours never: they are for review)."""
    out: dict[str, dict[str, str]] = {}
    if clusters.empty:
        return out
    take = clusters["merge"] == "yes"
    if not found:
        take &= clusters["method"] == METHODS["values"]
    for rec in clusters[take].itertuples(index=False):
        out.setdefault(rec.column, {})[rec.variant] = rec.canonical
    return out


def merge_values(values: pd.Series, merges: Mapping[str, str]) -> tuple[pd.Series, int]:
    """``values`` with each variant written as its canonical value, and how many cells changed."""
    if not merges:
        return values, 0
    arr = text_of(values)
    variants = pa.array(list(merges), type=pa.large_string())
    canon = pa.array(list(merges.values()), type=pa.large_string())
    where = pc.index_in(arr, value_set=variants)
    hit = pc.is_valid(where)
    n = int(pc.sum(hit).as_py() or 0)
    if not n:
        return values, 0
    merged = pc.if_else(hit, canon.take(pc.fill_null(where, 0)), arr)
    return pd.Series(pd.array(merged, dtype=values.dtype if values.dtype == "str" else "str"), index=values.index,
                     name=values.name), n
