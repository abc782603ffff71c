"""``find_issues``: every problem in a table, as data (one row per problem).

The issue list has the columns :data:`ISSUE_COLUMNS`:
``row`` (the Excel row number), ``column`` (the header as written), ``field`` (the canonical
field, "" for unmapped or table-level problems), ``value`` (the cell as written, trimmed),
``code``, ``severity`` (``error`` or ``warning``), ``message`` and ``suggestion``.

Codes (:data:`CODES`): the field layer's ``invalid-phone lossy-phone masked-phone invalid-email
invalid-date ambiguous-date invalid-amount invalid-number``; ``duplicate-id`` (an id that
must be unique seen again: ``order_id``, or ``customer_id`` in a customer table, i.e. one
without order fields); ``duplicate-row`` (a row whose normalized values all repeat an earlier
row, e.g. an order exported twice; the later copies are reported, naming the first); and the
reader's problems (``ragged-row``, ``renamed-header``…) from the table's source info.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .fields import CODES as FIELD_CODES
from .fields import Normalized
from .issue_text import issue_text
from .normalize import first_rows
from .schema import column_for
from .table import Table

ISSUE_COLUMNS = ("row", "column", "field", "value", "code", "severity", "message", "suggestion")
#: Fields whose presence makes a table an order table.
ORDER_FIELDS = ("order_id", "order_date", "amount", "quantity", "unit_price", "product")


@dataclass(frozen=True)
class IssueCode:
    severity: str
    message: str
    suggestion: str


#: The issue-code catalogue.
CODES: dict[str, IssueCode] = {
    "invalid-phone": IssueCode("error", "not a valid phone number for region {region}",
                               "check the digits; write foreign numbers with +country code"),
    "lossy-phone": IssueCode("error", "phone in scientific notation: its last digits are lost",
                             "export the column as text from the source system; the digits cannot be recovered here"),
    "masked-phone": IssueCode("warning", "a masked phone number (digits hidden by the platform): kept as written, "
                              "never used to match customers", "export the orders with full numbers to contact or "
                              "match these customers"),
    "invalid-email": IssueCode("error", "not a valid email address", "check for typos, spaces or a missing @"),
    "invalid-date": IssueCode("error", "not a date, or an impossible one", "write it as YYYY-MM-DD"),
    "ambiguous-date": IssueCode("warning", "day/month order unknown: the column has no value with a day over 12",
                                "pass --dayfirst or --monthfirst"),
    "invalid-amount": IssueCode("error", "not an amount", "use digits with one decimal point, e.g. 1234.50"),
    "invalid-number": IssueCode("error", "not a number", "use digits, e.g. 3"),
    "missing-value": IssueCode("warning", "empty", "fill it in"),
    "duplicate-id": IssueCode("warning", "{field} {value} already on row {first}",
                              "check whether the rows are the same record"),
    "duplicate-row": IssueCode("error", "same values as row {first}", "remove the repeated row"),
}
#: In a customer table a repeated customer_id is an error (in an order table, lines may share an order id).
CUSTOMER_ID_SEVERITY = "error"
_READER_SUGGESTIONS = {"ragged-row": "check the row's delimiters and quotes in the source file"}


def code_spec(code: str, lang: str = "en") -> IssueCode:
    """The catalogue's entry for ``code`` with its message and suggestion in ``lang`` (:mod:`crmcli.issue_text`)."""
    spec = CODES[code]
    text = issue_text(code, lang, message=spec.message, suggestion=spec.suggestion)
    return IssueCode(spec.severity, text.message, text.suggestion)


def default_unique(mapping: Mapping[str, str]) -> tuple[str, ...]:
    """``order_id`` in an order table; ``customer_id`` in a customer table (no order fields)."""
    fields = set(mapping.values())
    if fields & set(ORDER_FIELDS):
        return ("order_id",) if "order_id" in fields else ()
    return ("customer_id",) if "customer_id" in fields else ()


def find_issues(table: Any, mapping: Mapping[str, str] | None = None, *, region: str = "CN",
                dayfirst: bool | None = None, unique: Iterable[str] | None = None,
                required: Iterable[str] = (), lang: str = "en") -> pd.DataFrame:
    """Every problem in ``table`` as an issues DataFrame, sorted by row.

    ``table`` is a :class:`~crmcli.table.Table` (its normalized columns are used as they are), or a
    ``read_table`` frame / a source, normalized here with ``mapping`` (``{header: field}``; default:
    the content-confirmed automatic mapping), ``region`` and ``dayfirst``. ``unique``: the fields that
    must not repeat (default: :func:`default_unique`); ``required``: fields whose empty cells are
    ``missing-value`` warnings; ``lang``: the language of the messages and suggestions (``zh``, ``en``).
    """
    from .normalize import normalize_table

    table = normalize_table(table, mapping=mapping, region=region, dayfirst=dayfirst, unique=unique)
    return collect_issues(table, unique=unique, required=required, lang=lang)


@dataclass
class Validation:
    """What ``crm validate`` found: the issue list, its summary, the table checked."""

    issues: pd.DataFrame
    summary: pd.DataFrame
    table: Table

    @property
    def rows(self) -> int:
        return len(self.table)


def validate_table(source: Any, *, read: Any = None, overrides: Mapping[str, str] | None = None,
                   region: str = "CN", dayfirst: bool | None = None, lang: str = "en") -> Validation:
    """Read, map (``overrides`` = ``{field: column}``) and normalize ``source`` (a path, ``"-"``, bytes,
    a ``read_table`` frame or a :class:`~crmcli.table.Table`; ``read`` = ReadOptions) and find every
    issue (messages in ``lang``): the call behind ``crm validate``."""
    from .normalize import normalize_table

    table = normalize_table(source, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
    issues = collect_issues(table, lang=lang)
    return Validation(issues=issues, summary=summarize_issues(issues), table=table)


def collect_issues(table: Table, *, unique: Iterable[str] | None = None,
                   required: Iterable[str] = (), lang: str = "en") -> pd.DataFrame:
    """The issues of a :class:`~crmcli.table.Table` (see :func:`find_issues`)."""
    df, mapping, normalized, region = table.frame, table.mapping, table.normalized, table.region
    out = _IssueList(df.columns)
    catalogue = _catalogue(region, lang)
    for col, res in normalized.items():
        mask = res.bad
        if not mask.any():
            continue
        idx = pa.array(res.code_index[mask])
        out.add(df.index.to_numpy()[mask], col, mapping.get(col, ""), _stripped(df[col], mask),
                *(table.take(idx) for table in catalogue))
    for field in required:
        col = column_for(mapping, field)
        if col is None:
            continue
        mask = (normalized[col].values == "").to_numpy() if col in normalized else (df[col].str.strip() == "").to_numpy()
        if mask.any():
            mask = mask & ~_filled_in_order(df, mapping, normalized, mask)
        if mask.any():
            spec = code_spec("missing-value", lang)
            out.add(df.index.to_numpy()[mask], col, field, "", "missing-value", spec.severity, spec.message,
                    spec.suggestion)
    unique = default_unique(mapping) if unique is None else tuple(unique)
    clean = _clean_frame(df, normalized)
    # column -> position of each value's first row (one sort per column, shared; maybe done already)
    firsts = {col: res._first for col, res in normalized.items() if res._first is not None}
    dup_rows = _duplicate_rows(clean, firsts, lang)
    if dup_rows is not None:
        out.add_frame(dup_rows)
    dup_mask = np.zeros(len(df), dtype=bool) if dup_rows is None else df.index.isin(dup_rows["row"])
    customer_table = not (set(mapping.values()) & set(ORDER_FIELDS))
    for field in unique:
        col = column_for(mapping, field)
        if col is None:
            continue
        part = _duplicate_ids(clean[col], col, field, skip=dup_mask, firsts=firsts, lang=lang)
        if part is not None:
            if field == "customer_id" and customer_table:
                part["severity"] = CUSTOMER_ID_SEVERITY
            out.add_frame(part)
    if table.problems:
        out.add_frame(pd.DataFrame([
            {"row": p.get("row"), "column": p.get("column") or "", "field": "", "value": "",
             "code": p.get("code", "reader"), "severity": "warning",
             **_reader_text(p.get("code", "reader"), p.get("message", ""), lang)} for p in table.problems]))
    return out.frame()


def _reader_text(code: str, message: str, lang: str) -> dict[str, str]:
    text = issue_text(code, lang, message=message, suggestion=_READER_SUGGESTIONS.get(code, ""))
    return {"message": text.message, "suggestion": text.suggestion}


def _filled_in_order(df: pd.DataFrame, mapping: Mapping[str, str], normalized: Mapping[str, Normalized],
                     blank: np.ndarray) -> np.ndarray:
    """Blank cells on a line of an order whose other line fills them (an export writes the
    order-level fields — total, status, dates — on the order's first line only): not missing."""
    col = column_for(mapping, "order_id")
    if col is None or not blank.any():
        return np.zeros(len(df), dtype=bool)
    ids = (normalized[col].values if col in normalized else df[col].astype("str").str.strip()).to_numpy()
    frame = pd.DataFrame({"id": ids, "filled": ~blank})
    has = frame.groupby("id", sort=False)["filled"].transform("any").to_numpy()
    return blank & has & (ids != "")


def _stripped(series: pd.Series, mask: np.ndarray) -> pa.Array:
    """``series[mask]`` trimmed, as a pyarrow string array."""
    arr = getattr(series.array, "_pa_array", None)
    if arr is None or arr.null_count:
        return pa.array(series[mask].astype("str").fillna("").str.strip().tolist(), type=pa.large_string())
    return pc.utf8_trim_whitespace(arr.filter(pa.array(mask)).combine_chunks())


class _IssueList:
    """Issues gathered column-wise (pyarrow arrays), sorted and framed once at the end."""

    def __init__(self, columns: Iterable[str]):
        self.order = {c: i for i, c in enumerate(columns)}
        self.rows: list[np.ndarray] = []
        self.colpos: list[np.ndarray] = []
        self.cols: dict[str, list[pa.Array]] = {c: [] for c in ISSUE_COLUMNS[1:]}

    def add(self, rows: np.ndarray, column: str, field: str, *values: object) -> None:
        n = len(rows)
        self.rows.append(np.asarray(rows, dtype=np.int64))
        self.colpos.append(np.full(n, self.order.get(column, len(self.order)), dtype=np.int64))
        for key, v in zip(ISSUE_COLUMNS[1:], (column, field, *values)):
            self.cols[key].append(_text_array(v, n))

    def add_frame(self, part: pd.DataFrame) -> None:
        rows = pd.to_numeric(part["row"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        self.rows.append(rows)
        self.colpos.append(part["column"].map(self.order).fillna(len(self.order)).to_numpy(dtype=np.int64))
        for key in ISSUE_COLUMNS[1:]:
            self.cols[key].append(_text_array(part[key].fillna("").astype("str").tolist(), len(part)))

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return empty_issues()
        rows, colpos = np.concatenate(self.rows), np.concatenate(self.colpos)
        sort = pa.array(np.lexsort((colpos, rows)))   # by row, then column; stable
        data = {"row": rows[sort.to_numpy()]}
        for key, chunks in self.cols.items():
            data[key] = pd.array(pa.concat_arrays(chunks).take(sort), dtype=_STR)
        return pd.DataFrame(data)[list(ISSUE_COLUMNS)]


_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _text_array(value: object, n: int) -> pa.Array:
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        arr = value.combine_chunks() if isinstance(value, pa.ChunkedArray) else value
        return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())
    if isinstance(value, str):
        return pa.repeat(pa.scalar(value, pa.large_string()), n)
    return pa.array(list(value), type=pa.large_string())


def empty_issues() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in ISSUE_COLUMNS})
    frame["row"] = frame["row"].astype("int64")
    return frame


def _catalogue(region: str, lang: str = "en") -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """code, severity, message, suggestion by field-layer code index (:data:`crmcli.fields.CODES`)."""
    specs = [code_spec(c, lang) if c in CODES else None for c in FIELD_CODES]
    return (
        pa.array(FIELD_CODES, type=pa.large_string()),
        pa.array([s.severity if s else "" for s in specs], type=pa.large_string()),
        pa.array([s.message.format(region=region, field="", value="", first="") if s else "" for s in specs],
                 type=pa.large_string()),
        pa.array([s.suggestion if s else "" for s in specs], type=pa.large_string()),
    )


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
                   firsts: dict[str, np.ndarray] | None = None, lang: str = "en") -> pd.DataFrame | None:
    first = (firsts or {}).get(col)
    if first is None:
        first = first_rows(values)
    filled = (values != "").to_numpy()
    dup = (first != np.arange(len(values))) & filled & ~skip
    if not dup.any():
        return None
    firsts_rows = values.index.to_numpy()[first[dup]]
    spec = code_spec("duplicate-id", lang)
    vals = values[dup].to_numpy()
    return pd.DataFrame({
        "row": values.index[dup], "column": col, "field": field, "value": vals, "code": "duplicate-id",
        "severity": spec.severity, "message": [spec.message.format(field=field, value=v, first=f)
                                               for v, f in zip(vals, firsts_rows)],
        "suggestion": spec.suggestion,
    })


def summarize_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """Counts per field and code: columns ``field, code, severity, count`` (largest first)."""
    if issues.empty:
        return pd.DataFrame({"field": pd.Series([], dtype="str"), "code": pd.Series([], dtype="str"),
                             "severity": pd.Series([], dtype="str"), "count": pd.Series([], dtype="int64")})
    counts = issues.groupby(["field", "code", "severity"], sort=False).size().rename("count").reset_index()
    return counts.sort_values(["count", "field", "code"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)
