"""Mapping a table's headers onto canonical fields: overrides, the best-ranked header, content confirmation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from ..errors import UsageError
from .headers import (FIELDS, GENERIC_ALTERNATIVES, ORDER_FIELDS, PLACEHOLDERS, SYNONYMS, context_fields,
                      field_for_header, header_key, header_rank, is_generic, lookup_key)


def parse_map_options(items: Iterable[str] | None) -> dict[str, str]:
    """Parse ``--map FIELD=COLUMN`` items into ``{field: column}``; raise UsageError if malformed."""
    out: dict[str, str] = {}
    for item in items or ():
        field, sep, column = item.partition("=")
        field = field.strip()
        if not sep or not field or not column.strip():
            raise UsageError(f"{{opt:map}} {item!r} is not FIELD=COLUMN", hint="e.g. {opt:map} phone=联系电话")
        if field not in SYNONYMS:
            raise UsageError(f"{{opt:map}} names unknown field {field!r}",
                             hint="fields: " + ", ".join(FIELDS))
        out[field] = column.strip()
    return out


@dataclass
class ColumnMap:
    """What :func:`map_table` decided: ``mapping`` ``{header: field}``; ``passed_over``
    ``{field: [headers]}`` (columns that also named the field but lost to a better one);
    ``unfit`` ``{header: sentence}`` (generic headers whose values did not fit their field)."""

    mapping: dict[str, str]
    passed_over: dict[str, list[str]] = field(default_factory=dict)
    unfit: dict[str, str] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """Sentences for stderr: the generic columns left unmapped (or mapped elsewhere) for their values."""
        return [f"column {h!r} {why}" for h, why in self.unfit.items()]


def resolve_header(field_name: str, header: str, columns: list[str]) -> str:
    """The column ``header`` names (as written, else the one column with the same key) for an override
    ``field_name = header``; a UsageError when the field is unknown or no single column matches."""
    if field_name not in SYNONYMS:
        raise UsageError(f"unknown field {field_name!r}", hint="fields: " + ", ".join(FIELDS), option="map")
    if header in columns:
        return header
    matches = [c for c in columns if header_key(c) == header_key(header)]
    if len(matches) != 1:
        raise UsageError(f"{{opt:map}} {field_name}={header}: no column named {header!r}",
                         hint="columns: " + ", ".join(columns[:30]), option="map")
    return matches[0]


def map_table(columns: Iterable[object], overrides: Mapping[str, str] | None = None, *,
              data: pd.DataFrame | None = None) -> ColumnMap:
    """Map headers onto canonical fields (see :func:`map_columns`), and say why.

    With ``data`` (the table, text as read) the mapping is also confirmed by content: a
    generic header (``value``, ``total``, ``date``, ``name``…) names its field only when its
    values fit it (numbers for money, dates for a date, names for ``name``; a ``Name`` of
    ``#1001`` names ``order_id``), and among columns naming a field equally well the one
    with the most values wins (a Taobao ``联系电话`` full of ``-`` loses to ``联系手机``).
    """
    columns = [str(c) for c in columns]
    overrides = dict(overrides or {})
    mapping: dict[str, str] = {}
    for fld, header in overrides.items():
        mapping[resolve_header(fld, header, columns)] = fld
    taken = set(mapping.values())
    unfit: dict[str, str] = {}
    candidates: dict[str, list[tuple[int, float, int, str]]] = {}
    orders = any(field_for_header(h) in ORDER_FIELDS for h in columns) or bool(taken & ORDER_FIELDS)
    for pos, header in enumerate(columns):
        if header in mapping:
            continue
        fld = field_for_header(header)
        context = context_fields(header)
        if context:  # 店铺 / Store: the channel of an order, the record itself in a list of shops
            fld = context[0] if orders else context[1]
        if fld is None:
            continue
        rank = header_rank(header)
        if data is not None and header in data.columns and is_generic(header):
            fitting = _fitting_field(header, fld, data[header], unfit)
            if fitting is None:
                continue
            if fitting != fld:  # a stand-in for the other field: its own headers come first
                fld, rank = fitting, rank + 150
        candidates.setdefault(fld, []).append((rank, 0.0, pos, header))
    passed_over: dict[str, list[str]] = {}
    for fld, cands in candidates.items():
        if fld in taken:
            continue
        if len(cands) > 1 and data is not None:
            cands = [(r, -_filled_share(data[h]) if h in data.columns else 0.0, p, h) for r, _, p, h in cands]
        cands.sort()
        best = cands[0][3]
        mapping[best] = fld
        taken.add(fld)
        if len(cands) > 1:
            passed_over[fld] = [c[3] for c in cands[1:]]
    return ColumnMap({h: mapping[h] for h in columns if h in mapping}, passed_over, unfit)


def map_columns(columns: Iterable[object], overrides: Mapping[str, str] | None = None, *,
                data: pd.DataFrame | None = None) -> dict[str, str]:
    """Map headers onto canonical fields.

    Returns ``{header: field}`` for the mapped headers only (unmapped columns pass through
    untouched). Each field is taken by at most one column: the override, else the header
    that names it best (:func:`header_rank`: an amount paid over a total over goods value, a
    customer id over a buyer account), else — with ``data`` — the one with the most values,
    else the first. ``overrides`` is ``{field: header}``; a header not in ``columns`` is a
    UsageError. ``data`` (the table) confirms generic headers by content (:func:`map_table`).
    """
    return map_table(columns, overrides, data=data).mapping


def _filled_share(series: pd.Series) -> float:
    text = series.astype("str").fillna("").str.strip().str.casefold()
    return float((~text.isin(PLACEHOLDERS)).mean()) if len(text) else 0.0


#: An order number or code: no spaces, a digit (``#1001``, ``#7``, ``SO-2024-0001``, ``STORE1001``).
_CODE_LIKE = re.compile(r"^(?=\D*\d)[#A-Za-z0-9][\w#./-]*$")
_LEADING_ZERO = re.compile(r"^0\d")
SAMPLE = 500


def _fitting_field(header: str, fld: str, series: pd.Series, unfit: dict[str, str]) -> str | None:
    """The field a generic header's values fit (its own, else an alternative), or None; says why in ``unfit``."""
    values = [v for v in series.astype("str").fillna("").str.strip().head(SAMPLE * 4).tolist()
              if v.casefold() not in PLACEHOLDERS][:SAMPLE]
    if not values:
        return fld
    ok, why = _fits(fld, values)
    if ok:
        return fld
    for alt in GENERIC_ALTERNATIVES.get(lookup_key(header), ()):
        if _fits(alt, values)[0]:
            unfit[header] = f"holds {why}, not {fld} values: mapped to {alt}"
            return alt
    unfit[header] = f"left unmapped: its values ({why}) do not fit {fld}"
    return None


def _fits(fld: str, values: list[str]) -> tuple[bool, str]:
    """Whether most sampled values fit ``fld`` (at least half), and what they look like when they do not."""
    from ..fields import FIELD_KINDS, normalize_field

    kind = FIELD_KINDS.get(fld, "text")
    n = len(values)
    examples = ", ".join(list(dict.fromkeys(values))[:3])
    code_like = sum(bool(_CODE_LIKE.match(v)) for v in values) / n
    if kind in ("amount", "number"):
        res = normalize_field(pd.Series(values, dtype="str"), kind)
        numeric = float((~res.bad).mean())
        zeros = sum(bool(_LEADING_ZERO.match(v)) for v in values) / n
        if zeros > 0.2:
            return False, f"codes with leading zeros: {examples}"
        return numeric >= 0.5, f"not numbers: {examples}"
    if kind == "date":
        res = normalize_field(pd.Series(values, dtype="str"), "date")
        return float(res.parsed.notna().mean()) >= 0.5, f"not dates: {examples}"
    lettered = sum(any(c.isalpha() for c in v) for v in values) / n
    if fld == "product":
        return lettered >= 0.5, f"numbers: {examples}"
    if fld == "name":
        return lettered >= 0.5 and code_like < 0.5, f"numbers or codes: {examples}"
    if fld == "order_id":
        return code_like >= 0.8, f"not order numbers: {examples}"
    return True, ""


def find_column(name: str, columns: Iterable[object], mapping: Mapping[str, str]) -> tuple[str, str | None] | None:
    """``(header, field)`` of the column ``name`` means — a canonical field mapped in ``mapping``
    (``owner``), a header as written or by its key (``负责人``), or a synonym of a mapped field
    (``source`` -> the column mapped to ``channel``) — or None."""
    name = str(name).strip()
    columns = [str(c) for c in columns]
    by_field = {f: h for h, f in mapping.items()}
    if name in by_field:
        return by_field[name], name
    if name in columns:
        return name, mapping.get(name)
    keyed = [c for c in columns if header_key(c) == header_key(name)]
    if len(keyed) == 1:
        return keyed[0], mapping.get(keyed[0])
    fld = field_for_header(name)
    if fld in by_field:
        return by_field[fld], fld
    return None


def column_for(mapping: Mapping[str, str], field: str) -> str | None:
    """The header mapped to ``field`` in a ``{header: field}`` mapping, or None."""
    for header, f in mapping.items():
        if f == field:
            return header
    return None
