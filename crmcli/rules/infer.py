"""A rules file from the data (``crm validate --infer-rules > rules.toml``): a commented starting point, as
qsv's ``schema`` writes one — each column's type, ``required`` where at least 99 % of its cells are
filled, ``unique`` where no value repeats, an ``enum`` for a column with few values (their variant
spellings left out and named), ``min``/``max`` for numbers and dates, and a ``pattern`` when (nearly) every
value has one shape (``SO\\d{8}``). The output is a valid rules file (:func:`crmcli.rules.read_rules`).
"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ..fields import kind_of, normalize_field
from .spec import toml_key
from .values import blank_of, days_of, days_text, numbers_of, text_of

#: A column filled at least this much gets ``required = true``.
REQUIRED_SHARE = 0.99
#: A column with at most this many values (and each used twice on average) gets an ``enum``.
ENUM_MAX = 20
#: Share of the values one shape must cover to become a ``pattern``.
PATTERN_SHARE = 0.99
#: Kinds an enum never makes sense for.
_NO_ENUM = ("phone", "email", "date", "amount", "number", "id")
_NO_ENUM_FIELDS = ("name", "first_name", "last_name", "company", "address", "national_id")


def infer_rules(table, *, source: str = "", clusters: pd.DataFrame | None = None,
                issues: pd.DataFrame | None = None) -> str:
    """The commented rules file for ``table`` (``source`` names it in the header; ``clusters``: the value
    clusters found, whose variants stay out of the enums; ``issues``: the table's issues, whose
    ``implausible-date`` cells stay out of the date ranges)."""
    n = len(table)
    implausible: dict[str, np.ndarray] = {}
    if issues is not None and not issues.empty:
        part = issues[issues["code"] == "implausible-date"]
        for col, rows in part.groupby("column")["row"]:
            implausible[str(col)] = table.frame.index.isin(rows.to_numpy())
    variants: dict[str, dict[str, str]] = {}
    if clusters is not None and not clusters.empty:
        for rec in clusters.itertuples(index=False):
            variants.setdefault(rec.column, {})[rec.variant] = rec.canonical
    lines = [f"# Rules inferred from {source or 'the table'} ({n:,} rows) by crm validate --infer-rules.",
             "# A starting point: check each rule against what you know, delete what does not hold, then run",
             "#   crm validate FILE --rules rules.toml      (or put the tables under [rules.<kind>] in crm.toml,",
             "#   e.g. [rules.orders.amount]).",
             "# Per column (a canonical field, or the header as written): required, unique, enum, min, max,",
             "# pattern (the whole cleaned value, RE2), length, type, severity (error | warning). Row rules:",
             '# [[rows]] rule = "amount = quantity * unit_price" tolerance = 0.01', ""]
    for header in map(str, table.frame.columns):
        lines += _column_rules(table, header, n, variants.get(header, {}), implausible.get(header))
    lines += ["# Row rules between fields, e.g.:", "# [[rows]]", '# rule = "amount = quantity * unit_price"',
              "# tolerance = 0.01", ""]
    return "\n".join(lines)


def _column_rules(table, header: str, n: int, variants: dict[str, str],
                  implausible: np.ndarray | None = None) -> list[str]:
    fld = table.mapping.get(header, "")
    res = table.normalized.get(header)
    if res is None:
        kind = _sniff(table.frame[header])
        res = normalize_field(table.frame[header], kind, region=table.region, dayfirst=table.dayfirst)
    else:
        kind = kind_of(fld)
    values = text_of(res.values)
    filled_mask = ~blank_of(values)
    filled = int(filled_mask.sum())
    key = fld or header
    counts = Counter(v for v in values.filter(pc.invert(pc.equal(pc.utf8_length(values), 0))).to_pylist())
    about = f"# {header}" + (f" ({fld})" if fld and fld != header else "") + \
        f": {filled / n:.1%} filled, {len(counts):,} distinct" if n else f"# {header}: no rows"
    out = [about, f"[{toml_key(key)}]", f'type = "{kind}"']
    if not filled:
        return [about + " (empty)", ""]
    share = filled / n
    if share >= REQUIRED_SHARE:
        out.append(f"required = true          # {share:.1%} filled")
    else:
        out.append(f"# required = true        # only {share:.1%} filled")
    repeats = filled - len(counts)
    if repeats == 0 and filled > 1:
        out.append("unique = true")
    elif kind == "id":
        out.append(f"# unique = true          # {repeats:,} values repeat")
    if kind in ("amount", "number"):
        x = numbers_of(res)[filled_mask & ~res.bad]
        if len(x):
            out += [f"min = {_number(np.min(x))}", f"max = {_number(np.max(x))}"]
    elif kind == "date":
        plausible = filled_mask & ~res.bad & (True if implausible is None else ~implausible)
        days = days_of(res)[plausible]
        days = days[np.isfinite(days)]
        if len(days):
            lo, hi = days_text(np.array([days.min(), days.max()])).to_pylist()
            out += [f"min = {lo}", f'max = {hi}               # or "today": the as-of day of each run']
            if implausible is not None and implausible.any():
                out.append(f"# {int(implausible.sum()):,} implausible dates left out of the range")
    if kind not in _NO_ENUM and fld not in _NO_ENUM_FIELDS:
        kept = [v for v, _ in counts.most_common() if v not in variants]
        if 1 < len(kept) <= ENUM_MAX and filled >= 2 * len(counts):
            out.append("enum = [" + ", ".join(json.dumps(v, ensure_ascii=False) for v in kept) + "]")
            if variants:
                shown = ", ".join(f"{v} → {c}" for v, c in list(variants.items())[:6])
                out.append(f"# left out of the enum, spellings of another value (merge them: crm clean "
                           f"--merge-values): {shown}")
    if kind in ("id", "text") and fld not in _NO_ENUM_FIELDS:
        pattern = _pattern(list(counts), weights=counts)
        if pattern:
            out.append(f"pattern = {_literal(pattern)}")
    out.append("")
    return out


def _sniff(series: pd.Series) -> str:
    """number, date or text: what (nearly) every filled cell of an unmapped column parses as."""
    sample = series.head(5000)
    filled = int((sample.astype("str").fillna("").str.strip() != "").sum())
    if not filled:
        return "text"
    for kind in ("number", "date"):
        res = normalize_field(sample, kind)
        good = filled - int(res.bad.sum())
        if good >= REQUIRED_SHARE * filled:
            return kind
    return "text"


def _shape(value: str, letters: bool) -> str:
    shape = re.sub(r"\d+", lambda m: f"\\d{{{len(m.group())}}}", re.escape(value))
    if letters:
        shape = re.sub(r"[A-Za-z]+", lambda m: f"[A-Za-z]{{{len(m.group())}}}", shape)
    return shape


def _pattern(values: list[str], weights: Counter) -> str | None:
    """The one shape (digits as \\d{n}; then letters as [A-Za-z]{n}) that ≥ 99 % of the values have."""
    if not values or not any(ch.isdigit() for v in values[:50] for ch in v):
        return None
    total = sum(weights.values())
    for letters in (False, True):
        shapes: Counter = Counter()
        for v in values:
            shapes[_shape(v, letters)] += weights[v]
        best, hits = shapes.most_common(1)[0]
        if hits >= PATTERN_SHARE * total and "\\d" in best:
            return best
    return None


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(round(float(v), 6))


def _literal(text: str) -> str:
    """A TOML literal string when it can be one (no escapes: a regex reads as written), else basic."""
    return f"'{text}'" if "'" not in text and "\n" not in text else json.dumps(text, ensure_ascii=False)
