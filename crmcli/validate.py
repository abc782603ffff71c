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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    "missing-value": IssueCode("error", "empty", "fill in {columns}"),
    "duplicate-id": IssueCode("warning", "{field} {value} already on row {first}",
                              "check whether the rows are the same record"),
    "duplicate-row": IssueCode("error", "same values as row {first}", "remove the repeated row"),
    # rules (crm.toml [rules.*], --rules PATH; severity from the rule): crmcli.rules
    "not-in-enum": IssueCode("error", "not one of the allowed values", "write one of: {allowed}"),
    "out-of-range": IssueCode("error", "outside {range}", "check the value; the rule allows {range}"),
    "pattern-mismatch": IssueCode("error", "does not match {pattern}", "write it in the form {pattern}"),
    "wrong-length": IssueCode("error", "{length} characters, outside {range}", "check for missing or extra characters"),
    "duplicate-value": IssueCode("error", "{value} already on row {first}", "each value of {column} must be unique"),
    "row-rule": IssueCode("error", "{rule} does not hold: {left} against {right}", "check {columns} on this row"),
    "missing-column": IssueCode("warning", "no column for {key}: its rules are not checked",
                                "map a column to it with --map {key}=COLUMN, or drop the rule"),
    # the default checks (no rules file needed)
    "implausible-date": IssueCode("warning", "outside the plausible dates {range}",
                                  "check the year (a typo, an Excel zero date, a clock set wrong)"),
    "negative-quantity": IssueCode("warning", "a negative quantity on a row that is not a refund",
                                   "check the sign, or mark the row as a refund (a negative amount or a refund status)"),
    "outlier-amount": IssueCode("warning", "far outside the column's amounts (most are {typical})",
                                "check for extra or missing digits, or a wrong unit"),
    "address-mismatch": IssueCode("warning", "{here} here, but {source} is in {place}",
                                  "check {column} against {source}"),
    "postcode-mismatch": IssueCode("warning", "postcode {value} is not in {place}",
                                   "check the postcode against the address"),
    "fillable-from-address": IssueCode("warning", "empty; {source} says {place}",
                                       "fill in {place} (crm clean --fill-address does)"),
    "value-variant": IssueCode("warning", "a spelling of {canonical} ({method})",
                               "write {canonical} (crm clean --merge-values does)"),
    "similar-value": IssueCode("warning", "close to {canonical}, which is more common ({method})",
                               "write {canonical} if it is the same value (list it under [values] in crm.toml to "
                               "merge it)"),
}
#: In a customer table a repeated customer_id is an error (in an order table, lines may share an order id).
CUSTOMER_ID_SEVERITY = "error"
_READER_SUGGESTIONS = {"ragged-row": "check the row's delimiters and quotes in the source file"}


def default_unique(mapping: Mapping[str, str]) -> tuple[str, ...]:
    """``order_id`` in an order table; ``lead_id`` in leads; ``customer_id`` in a customer table; nothing
    in a campaign contact list (see :func:`table_kind`)."""
    fields = set(mapping.values())
    kind = table_kind(mapping)
    if kind == "orders":
        return ("order_id",) if "order_id" in fields else ()
    if kind == "leads":
        return ("lead_id",) if "lead_id" in fields else ()
    if kind == "campaigns":
        return ()                               # a contact list names a customer once per campaign
    return ("customer_id",) if "customer_id" in fields else ()


def code_spec(code: str, lang: str = "en") -> IssueCode:
    """The catalogue's entry for ``code`` with its message and suggestion in ``lang`` (:mod:`crmcli.issue_text`)."""
    spec = CODES[code]
    text = issue_text(code, lang, message=spec.message, suggestion=spec.suggestion)
    return IssueCode(spec.severity, text.message, text.suggestion)


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
    from .normalize import normalize_table

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
    from .normalize import normalize_table
    from .rules.clusters import preload_keys

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
                   defaults: bool = True, lang: str = "en", duplicates: bool = True) -> pd.DataFrame:
    """The issues of a :class:`~crmcli.table.Table` (see :func:`check_table`)."""
    return check_table(table, unique=unique, required=required, rules=rules, kind=kind, as_of=as_of,
                       values=values, defaults=defaults, lang=lang, duplicates=duplicates).issues


def check_table(table: Table, *, unique: Iterable[str] | None = None, required: Iterable[str] = (),
                rules: Any = None, kind: str | None = None, as_of: Any = None, values: Any = None,
                defaults: bool = True, lang: str = "en", duplicates: bool = True) -> Checked:
    """Every check on a :class:`~crmcli.table.Table`: the field layer's codes, the rules (``rules``: a
    :class:`crmcli.rules.RuleSet` or a rules table; ``required``: more required fields), the default
    checks for the table's ``kind`` (``defaults=False``: none), the duplicates and the reader's problems.

    The column-local checks (:func:`crmcli.rules.check_columns`) can run on any batch of rows; the
    whole-table ones (:func:`crmcli.rules.check_whole`: unique values, outlier amounts, value clusters)
    need every row. ``lang``: the messages' language (codes the Chinese table lacks keep their English text).
    ``duplicates=False``: no ``duplicate-row`` check (a table read in batches finds them over the whole file)."""
    from .rules import bind_rules, check_columns, check_whole

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
    for want in bound.unique:
        part = _duplicate_ids(clean[want.column], want.column, want.field, skip=dup_mask, firsts=firsts,
                              code=want.code, lang=lang)
        if part is not None:
            if want.severity:
                part["severity"] = want.severity
            out.add_frame(part)
    clusters = check_whole(table, bound, out)
    if table.problems:
        out.add_frame(pd.DataFrame([
            {"row": p.get("row"), "column": p.get("column") or "", "field": "", "value": "",
             "code": p.get("code", "reader"), "severity": "warning",
             **_reader_text(p.get("code", "reader"), p.get("message", ""), lang)} for p in table.problems]))
    return Checked(issues=out.frame(), clusters=clusters, bound=bound)


def _reader_text(code: str, message: str, lang: str) -> dict[str, str]:
    text = issue_text(code, lang, message=message, suggestion=_READER_SUGGESTIONS.get(code, ""))
    return {"message": text.message, "suggestion": text.suggestion}


    from .issue_text import ZH

    for code, text in ZH.items():
        if "{" in text.message:
            continue
        rows = (issues["code"] == code).to_numpy()
        if rows.any():
            issues.loc[rows, "message"] = text.message
            issues.loc[rows, "suggestion"] = text.suggestion
    return issues


def add_field_issues(out: IssueList, df: pd.DataFrame, column: str, field: str, res: Normalized,
                     region: str, lang: str = "en") -> None:
    """The field layer's issues of one normalized column (``invalid-phone``, ``invalid-date`` …) into ``out``."""
    mask = res.bad
    if not mask.any():
        return
    idx = pa.array(res.code_index[mask])
    out.add(df.index.to_numpy()[mask], column, field, stripped_cells(df[column], mask),
            *(table.take(idx) for table in _catalogue(region, lang)))


def table_kind(mapping: Mapping[str, str]) -> str:
    """What a table holds, by its mapped fields: ``orders`` (an order id, date, amount, quantity, unit
    price or product), ``leads`` (a lead id, lead date or stage), ``campaigns`` (a campaign column without
    order fields), else ``customers``."""
    fields = set(mapping.values())
    if fields & set(ORDER_FIELDS):
        return "orders"
    if fields & {"lead_id", "lead_date", "stage"}:
        return "leads"
    if "campaign" in fields:
        return "campaigns"
    return "customers"


def empty_clusters() -> pd.DataFrame:
    from .rules.clusters import CLUSTER_COLUMNS

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
    first = res._first if res is not None and res._first is not None else first_rows(values)
    # each row's order is its first row's position: an order is filled when any of its rows is
    has = np.bincount(first, weights=~blank, minlength=len(first))[first] > 0
    return blank & has & (values != "").to_numpy(dtype=bool, na_value=False)


def stripped_cells(series: pd.Series, mask: np.ndarray) -> pa.Array:
    """``series[mask]`` trimmed, as a pyarrow string array."""
    arr = getattr(series.array, "_pa_array", None)
    if arr is None or arr.null_count:
        return pa.array(series[mask].astype("str").fillna("").str.strip().tolist(), type=pa.large_string())
    return pc.utf8_trim_whitespace(arr.filter(pa.array(mask)).combine_chunks())


class IssueList:
    """Issues gathered column-wise (pyarrow arrays), sorted and framed once at the end."""

    def __init__(self, columns: Iterable[str], lang: str = "en"):
        self.lang = lang          # the language of the messages the checks write into it
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
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill_template(template: str, n: int, params: Mapping[str, object]) -> pa.Array:
    """``template`` (a :data:`CODES` message or suggestion) filled for ``n`` issues at once: each
    ``{name}`` from ``params[name]``, a string (the same for every issue) or an array/sequence of n."""
    pieces: list[object] = []
    arrays = False
    for i, part in enumerate(_PLACEHOLDER.split(template)):
        if i % 2 == 0:
            if part:
                pieces.append(pa.scalar(part, pa.large_string()))
            continue
        value = params[part]
        if isinstance(value, str):
            pieces.append(pa.scalar(value, pa.large_string()))
        else:
            pieces.append(_text_array(value, n))
            arrays = True
    if not arrays:
        text = "".join(p.as_py() for p in pieces)  # type: ignore[union-attr]
        return pa.repeat(pa.scalar(text, pa.large_string()), n)
    if len(pieces) == 1:
        return pieces[0]  # type: ignore[return-value]
    return pc.binary_join_element_wise(*pieces, pa.scalar("", pa.large_string()))


def issue_texts(code: str, n: int, *, lang: str = "en", **params: object) -> tuple[pa.Array, pa.Array]:
    """The message and suggestion of ``n`` issues of ``code`` in ``lang``, filled from ``params``
    (see :func:`fill_template`)."""
    spec = code_spec(code, lang)
    return fill_template(spec.message, n, params), fill_template(spec.suggestion, n, params)


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


def summarize_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """Counts per field and code: columns ``field, code, severity, count`` (largest first)."""
    if issues.empty:
        return pd.DataFrame({"field": pd.Series([], dtype="str"), "code": pd.Series([], dtype="str"),
                             "severity": pd.Series([], dtype="str"), "count": pd.Series([], dtype="int64")})
    counts = issues.groupby(["field", "code", "severity"], sort=False).size().rename("count").reset_index()
    return counts.sort_values(["count", "field", "code"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)
