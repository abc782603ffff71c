"""The checks of a table: the field layer's codes, the rules and default checks, the repeated rows and
ids, the reader's problems (:func:`check_table`), and ``crm validate``'s call (:func:`validate_table`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..fields import Normalized, arrow_of
from ..issue_text import issue_text
from ..normalize import first_rows
from ..schema import column_for
from ..table import Table
from .codes import code_spec
from .issues import IssueList, add_field_issues, summarize_issues


def find_issues(table: Any, mapping: Mapping[str, str] | None = None, *, region: str = "CN",
                dayfirst: bool | None = None, unique: Iterable[str] | None = None,
                required: Iterable[str] = (), rules: Any = None, kind: str | None = None,
                as_of: Any = None, values: Any = None, defaults: bool = True, lang: str = "en") -> pd.DataFrame:
    """Every problem in ``table`` as an issues DataFrame, sorted by row.

    ``table`` is a :class:`~crmcli.table.Table` (its normalized columns are used as they are), or a
    ``read_table`` frame / a source, normalized here with ``mapping`` (``{header: field}``; default:
    the content-confirmed automatic mapping), ``region`` and ``dayfirst``. ``unique``: the fields that
    must not repeat (default: :func:`default_unique`); ``required``: more fields whose empty cells are
    ``missing-value`` warnings. ``rules`` (a :class:`crmcli.rules.RuleSet`, or a rules table as a dict),
    ``kind`` (``orders customers leads campaigns``; default: :func:`table_kind`), ``as_of`` (the day dates
    may not pass and ``today`` in a rule means; None: no such check), ``values`` (``{canonical: [variants]}``)
    and ``defaults`` (the default checks of :mod:`crmcli.rules.defaults`) are :func:`check_table`'s;
    ``lang``: the language of the messages and suggestions (``zh``, ``en``).
    """
    from ..normalize import normalize_table

    table = normalize_table(table, mapping=mapping, region=region, dayfirst=dayfirst, unique=unique)
    return collect_issues(table, unique=unique, required=required, rules=rules, kind=kind, as_of=as_of,
                          values=values, defaults=defaults, lang=lang)


@dataclass
class Validation:
    """What ``crm validate`` found: the issue list, its summary, the value clusters, the table checked."""

    issues: pd.DataFrame
    summary: pd.DataFrame
    table: Table
    #: Groups of spellings that are one value (see :func:`crmcli.rules.clusters.find_clusters`).
    clusters: pd.DataFrame = field(default_factory=lambda: empty_clusters())

    @property
    def rows(self) -> int:
        return len(self.table)


def validate_table(source: Any, *, read: Any = None, overrides: Mapping[str, str] | None = None,
                   region: str = "CN", dayfirst: bool | None = None, rules: Any = None, kind: str | None = None,
                   required: Iterable[str] = (), as_of: Any = None, values: Any = None,
                   lang: str = "en") -> Validation:
    """Read, map (``overrides`` = ``{field: column}``) and normalize ``source`` (a path, ``"-"``, bytes,
    a ``read_table`` frame or a :class:`~crmcli.table.Table`; ``read`` = ReadOptions) and find every
    issue, the default checks and ``rules`` included (see :func:`check_table`): the call behind
    ``crm validate``."""
    from ..normalize import normalize_table
    from ..rules.clusters import preload_keys

    preload_keys()
    table = normalize_table(source, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
    checked = check_table(table, rules=rules, kind=kind, required=required, as_of=as_of, values=values, lang=lang)
    return Validation(issues=checked.issues, summary=summarize_issues(checked.issues), table=table,
                      clusters=checked.clusters)


@dataclass
class Checked:
    """:func:`check_table`'s result: the issue list and the value clusters found."""

    issues: pd.DataFrame
    clusters: pd.DataFrame
    #: The rules as bound to the table (what clean's --merge-values and --fill-address use).
    bound: Any = None


def collect_issues(table: Table, *, unique: Iterable[str] | None = None, required: Iterable[str] = (),
                   rules: Any = None, kind: str | None = None, as_of: Any = None, values: Any = None,
                   defaults: bool = True, lang: str = "en", duplicates: bool = True, whole: bool = True
                   ) -> pd.DataFrame:
    """The issues of a :class:`~crmcli.table.Table` (see :func:`check_table`)."""
    return check_table(table, unique=unique, required=required, rules=rules, kind=kind, as_of=as_of,
                       values=values, defaults=defaults, lang=lang, duplicates=duplicates, whole=whole).issues


def check_table(table: Table, *, unique: Iterable[str] | None = None, required: Iterable[str] = (),
                rules: Any = None, kind: str | None = None, as_of: Any = None, values: Any = None,
                defaults: bool = True, lang: str = "en", duplicates: bool = True, whole: bool = True) -> Checked:
    """Every check on a :class:`~crmcli.table.Table`: the field layer's codes, the rules (``rules``: a
    :class:`crmcli.rules.RuleSet` or a rules table; ``required``: more required fields), the default
    checks for the table's ``kind`` (``defaults=False``: none), the duplicates and the reader's problems.

    The column-local checks (:func:`crmcli.rules.check_columns`) can run on any batch of rows; the
    whole-table ones (:func:`crmcli.rules.check_whole`: unique values, outlier amounts, value clusters)
    need every row. ``lang``: the messages' language (codes the Chinese table lacks keep their English text).
    ``duplicates=False``: no ``duplicate-row`` check (a table read in batches finds them over the whole file);
    ``whole=False``: only the checks that hold on any batch of rows (no unique ids or values, no outlier amounts,
    no value clusters: :data:`crmcli.stream.run.STREAM_LEAVES_OUT`)."""
    from ..rules import bind_rules, check_columns, check_whole

    df, mapping, normalized, region = table.frame, table.mapping, table.normalized, table.region
    out = IssueList(df.columns, lang)
    for col, res in normalized.items():
        add_field_issues(out, df, col, mapping.get(col, ""), res, region, lang)
    bound = bind_rules(table, rules, kind=kind, required=required, unique=unique, defaults=defaults,
                       values=values)
    check_columns(table, bound, out, as_of=as_of)
    clean = _clean_frame(df, normalized)
    # column -> position of each value's first row (one sort per column, shared; maybe done already)
    firsts = {col: res._first for col, res in normalized.items() if res._first is not None}
    dup_rows = _duplicate_rows(clean, firsts, lang) if duplicates else None
    if dup_rows is not None:
        out.add_frame(dup_rows)
    dup_mask = np.zeros(len(df), dtype=bool) if dup_rows is None else df.index.isin(dup_rows["row"])
    for want in bound.unique if whole else ():
        part = _duplicate_ids(clean[want.column], want.column, want.field, skip=dup_mask, firsts=firsts,
                              code=want.code, lang=lang)
        if part is not None:
            if want.severity:
                part["severity"] = want.severity
            out.add_frame(part)
    clusters = check_whole(table, bound, out) if whole else empty_clusters()
    if table.problems:
        out.add_frame(pd.DataFrame([
            {"row": p.get("row"), "column": p.get("column") or "", "field": "", "value": "",
             "code": p.get("code", "reader"), "severity": "warning",
             **_reader_text(p.get("code", "reader"), p.get("message", ""), lang)} for p in table.problems]))
    return Checked(issues=out.frame(), clusters=clusters, bound=bound)


_READER_SUGGESTIONS = {"ragged-row": "check the row's delimiters and quotes in the source file"}


def _reader_text(code: str, message: str, lang: str) -> dict[str, str]:
    text = issue_text(code, lang, message=message, suggestion=_READER_SUGGESTIONS.get(code, ""))
    return {"message": text.message, "suggestion": text.suggestion}


def empty_clusters() -> pd.DataFrame:
    from ..rules.clusters import CLUSTER_COLUMNS

    return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "count" else "str") for c in CLUSTER_COLUMNS})


def filled_in_order(df: pd.DataFrame, mapping: Mapping[str, str], normalized: Mapping[str, Normalized],
                     blank: np.ndarray) -> np.ndarray:
    """Blank cells on a line of an order whose other line fills them (an export writes the
    order-level fields — total, status, dates — on the order's first line only): not missing."""
    col = column_for(mapping, "order_id")
    if col is None or not blank.any():
        return np.zeros(len(df), dtype=bool)
    res = normalized.get(col)
    values = res.values if res is not None else df[col].astype("str").str.strip()
    ids = (values != "").to_numpy(dtype=bool, na_value=False)
    if res is not None and res._first is not None:
        at, first = np.arange(len(values)), res._first
    else:   # only the orders holding a blank cell matter: their rows are grouped, not the whole table's
        wanted = blank & ids
        if not wanted.any():
            return np.zeros(len(df), dtype=bool)
        at = np.flatnonzero(_holding(values, wanted))
        first = first_rows(values.iloc[at])
    # each row's order is its first row's position: an order is filled when any of its rows is
    has = np.zeros(len(values), dtype=bool)
    has[at] = np.bincount(first, weights=~blank[at], minlength=len(at))[first] > 0
    return blank & has & ids


def _holding(values: pd.Series, wanted: np.ndarray) -> np.ndarray:
    """Mask of the rows whose value is one of the ``wanted`` rows' values: in Arrow for Arrow strings
    (``is_in``: 5-10 ms for a 200,000-row batch, pandas' ``isin`` of the same 35-40 ms)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_of(values)
    if arr is None:
        return values.isin(pd.unique(values[wanted])).to_numpy(dtype=bool, na_value=False)
    found = pc.is_in(arr, value_set=pc.unique(arr.filter(pa.array(wanted))))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _clean_frame(df: pd.DataFrame, normalized: Mapping[str, Normalized]) -> pd.DataFrame:
    """``df`` with its mapped columns replaced by their normalized values."""
    out = df.copy(deep=False)
    for col, res in normalized.items():
        out[col] = res.values
    return out


def _repeated(first: np.ndarray) -> np.ndarray:
    """Mask of the rows whose value occurs more than once (``duplicated(keep=False)``)."""
    n = len(first)
    later = first != np.arange(n)
    out = later.copy()
    out[first[later]] = True
    return out


def _duplicate_rows(clean: pd.DataFrame, firsts: dict[str, np.ndarray], lang: str = "en") -> pd.DataFrame | None:
    """Later copies of a row whose (normalized) values all repeat an earlier row."""
    if clean.shape[1] == 0 or len(clean) < 2:
        return None
    # Narrow to candidates column by column (most distinct first, e.g. the order id: one
    # sort of one column), then compare the few candidate rows exactly.
    keys = sorted(clean.columns, key=lambda c: -clean[c].iloc[:1000].nunique())[:2]
    first = firsts.get(keys[0])
    if first is None:
        firsts[keys[0]] = first = first_rows(clean[keys[0]])
    sub = clean[_repeated(first)]
    if sub.empty:
        return None
    if len(keys) > 1:
        sub = sub[sub[keys[1]].duplicated(keep=False).to_numpy()]
        if sub.empty:
            return None
    exact = sub.duplicated(keep="first").to_numpy()
    blank = np.ones(len(sub), dtype=bool)
    for col in sub.columns:
        blank &= (sub[col] == "").to_numpy()
    dup_pos = np.flatnonzero(exact & ~blank)
    if not len(dup_pos):
        return None
    keys = pd.MultiIndex.from_frame(sub.astype("str").reset_index(drop=True)) if sub.shape[1] > 1 else \
        pd.Index(sub.iloc[:, 0].to_numpy())
    first_of = pd.Series(np.arange(len(sub)), index=keys)
    first_of = first_of[~first_of.index.duplicated(keep="first")]
    firsts_rows = sub.index.to_numpy()[first_of.reindex(keys[dup_pos]).to_numpy()]
    rows = sub.index.to_numpy()[dup_pos]
    spec = code_spec("duplicate-row", lang)
    return pd.DataFrame({
        "row": rows, "column": "", "field": "", "value": "", "code": "duplicate-row",
        "severity": spec.severity, "message": [spec.message.format(first=f) for f in firsts_rows],
        "suggestion": spec.suggestion,
    })


def _duplicate_ids(values: pd.Series, col: str, field: str, *, skip: np.ndarray,
                   firsts: dict[str, np.ndarray] | None = None, code: str = "duplicate-id",
                   lang: str = "en") -> pd.DataFrame | None:
    first = (firsts or {}).get(col)
    if first is None:
        first = first_rows(values)
    filled = (values != "").to_numpy()
    dup = (first != np.arange(len(values))) & filled & ~skip
    if not dup.any():
        return None
    firsts_rows = values.index.to_numpy()[first[dup]]
    spec = code_spec(code, lang)
    vals = values[dup].to_numpy()
    return pd.DataFrame({
        "row": values.index[dup], "column": col, "field": field, "value": vals, "code": code,
        "severity": spec.severity, "message": [spec.message.format(field=field or col, value=v, first=f)
                                               for v, f in zip(vals, firsts_rows)],
        "suggestion": spec.suggestion.format(column=col),
    })
