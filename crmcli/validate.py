"""``find_issues``: every problem in a table, as data (one row per problem).

The issue list has the columns :data:`ISSUE_COLUMNS`:
``row`` (the Excel row number), ``column`` (the header as written), ``field`` (the canonical
field, "" for unmapped or table-level problems), ``value`` (the cell as written, trimmed),
``code``, ``severity`` (``error`` or ``warning``), ``message`` and ``suggestion``.

Codes (:data:`CODES`): the field layer's ``invalid-phone lossy-phone invalid-email
invalid-date ambiguous-date invalid-amount invalid-number``; ``duplicate-id`` (an id that
must be unique seen again: ``order_id``, or ``customer_id`` in a customer table, i.e. one
without order fields); ``duplicate-row`` (a row whose normalized values all repeat an earlier
row, e.g. an order exported twice; the later copies are reported, naming the first); and the
reader's problems (``ragged-row``, ``renamed-header``…) from ``source_info(df).problems``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fields import Normalized, kind_of, normalize_field
from .io import source_info
from .schema import column_for

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


def normalize_table(df: pd.DataFrame, mapping: Mapping[str, str], *, region: str = "CN",
                    dayfirst: bool | None = None,
                    progress: Callable[[int, int, str], None] | None = None) -> dict[str, Normalized]:
    """``{header: Normalized}`` for every mapped column (unmapped columns are left alone).

    ``progress(done, total, column)`` is called before each column when given.
    """
    cols = [c for c in mapping if c in df.columns]
    normalized: dict[str, Normalized] = {}
    for i, col in enumerate(cols):
        if progress:
            progress(i, len(cols), str(col))
        normalized[col] = normalize_field(df[col], kind_of(mapping[col]), region=region, dayfirst=dayfirst)
    return normalized


def default_unique(mapping: Mapping[str, str]) -> tuple[str, ...]:
    """``order_id`` in an order table; ``customer_id`` in a customer table (no order fields)."""
    fields = set(mapping.values())
    if fields & set(ORDER_FIELDS):
        return ("order_id",) if "order_id" in fields else ()
    return ("customer_id",) if "customer_id" in fields else ()


def find_issues(df: pd.DataFrame, mapping: Mapping[str, str] | None = None, *, region: str = "CN",
                dayfirst: bool | None = None, unique: Iterable[str] | None = None,
                required: Iterable[str] = ()) -> pd.DataFrame:
    """Every problem in ``df`` (a ``read_table`` frame) as an issues DataFrame, sorted by row.

    ``mapping`` is ``{header: field}`` (default: :func:`crmcli.schema.map_columns`);
    ``unique`` the fields that must not repeat (default: :func:`default_unique`);
    ``required`` fields whose empty cells are ``missing-value`` warnings.
    """
    if mapping is None:
        from .schema import map_columns

        mapping = map_columns(df.columns)
    normalized = normalize_table(df, mapping, region=region, dayfirst=dayfirst)
    return collect_issues(df, mapping, normalized, region=region, unique=unique, required=required)


def collect_issues(df: pd.DataFrame, mapping: Mapping[str, str], normalized: Mapping[str, Normalized], *,
                   region: str = "CN", unique: Iterable[str] | None = None,
                   required: Iterable[str] = ()) -> pd.DataFrame:
    """The issues of ``df`` given its normalized columns (see :func:`find_issues`)."""
    parts: list[pd.DataFrame] = []
    order = {c: i for i, c in enumerate(df.columns)}
    for col, res in normalized.items():
        mask = (res.codes != "").to_numpy()
        if not mask.any():
            continue
        codes = res.codes[mask]
        part = pd.DataFrame({
            "row": df.index[mask], "column": col, "field": mapping.get(col, ""),
            "value": df[col][mask].str.strip().to_numpy(), "code": codes.to_numpy(),
        })
        parts.append(_describe(part, region=region))
    for field in required:
        col = column_for(mapping, field)
        if col is None:
            continue
        mask = (normalized[col].values == "").to_numpy() if col in normalized else (df[col].str.strip() == "").to_numpy()
        if mask.any():
            part = pd.DataFrame({"row": df.index[mask], "column": col, "field": field, "value": "",
                                 "code": "missing-value"})
            parts.append(_describe(part, region=region))
    unique = default_unique(mapping) if unique is None else tuple(unique)
    clean = _clean_frame(df, normalized)
    dup_rows = _duplicate_rows(clean)
    if dup_rows is not None:
        parts.append(dup_rows)
    dup_mask = np.zeros(len(df), dtype=bool) if dup_rows is None else df.index.isin(dup_rows["row"])
    customer_table = not (set(mapping.values()) & set(ORDER_FIELDS))
    for field in unique:
        col = column_for(mapping, field)
        if col is None:
            continue
        part = _duplicate_ids(clean[col], col, field, skip=dup_mask)
        if part is not None:
            if field == "customer_id" and customer_table:
                part["severity"] = CUSTOMER_ID_SEVERITY
            parts.append(part)
    info = source_info(df)
    if info is not None and info.problems:
        rows = [{"row": p.get("row"), "column": p.get("column") or "", "field": "", "value": "",
                 "code": p.get("code", "reader"), "severity": "warning", "message": p.get("message", ""),
                 "suggestion": _READER_SUGGESTIONS.get(p.get("code", ""), "")} for p in info.problems]
        parts.append(pd.DataFrame(rows))
    if not parts:
        return empty_issues()
    issues = pd.concat(parts, ignore_index=True)
    issues["row"] = pd.to_numeric(issues["row"], errors="coerce").fillna(0).astype("int64")
    issues["_col"] = issues["column"].map(order).fillna(len(order)).astype("int64")
    issues = issues.sort_values(["row", "_col"], kind="stable").drop(columns="_col").reset_index(drop=True)
    for c in ISSUE_COLUMNS[1:]:
        issues[c] = issues[c].fillna("").astype("str")
    return issues[list(ISSUE_COLUMNS)]


def empty_issues() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in ISSUE_COLUMNS})
    frame["row"] = frame["row"].astype("int64")
    return frame


def _describe(part: pd.DataFrame, *, region: str) -> pd.DataFrame:
    """Fill severity, message and suggestion from the catalogue (per code, vectorized)."""
    part["severity"] = part["code"].map({c: v.severity for c, v in CODES.items()}).fillna("error")
    part["message"] = part["code"].map({c: v.message.format(region=region, field="", value="", first="")
                                        for c, v in CODES.items()}).fillna("")
    part["suggestion"] = part["code"].map({c: v.suggestion for c, v in CODES.items()}).fillna("")
    return part


def _clean_frame(df: pd.DataFrame, normalized: Mapping[str, Normalized]) -> pd.DataFrame:
    """``df`` with its mapped columns replaced by their normalized values."""
    out = df.copy(deep=False)
    for col, res in normalized.items():
        out[col] = res.values
    return out


def _duplicate_rows(clean: pd.DataFrame) -> pd.DataFrame | None:
    """Later copies of a row whose (normalized) values all repeat an earlier row."""
    if clean.shape[1] == 0 or len(clean) < 2:
        return None
    # Narrow to candidates column by column (most distinct first, e.g. the order id: one
    # factorize of one column), then compare the few candidate rows exactly.
    sub = clean
    for col in sorted(clean.columns, key=lambda c: -clean[c].iloc[:1000].nunique())[:2]:
        sub = sub[sub[col].duplicated(keep=False).to_numpy()]
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
    firsts = sub.index.to_numpy()[first_of.reindex(keys[dup_pos]).to_numpy()]
    rows = sub.index.to_numpy()[dup_pos]
    spec = CODES["duplicate-row"]
    return pd.DataFrame({
        "row": rows, "column": "", "field": "", "value": "", "code": "duplicate-row",
        "severity": spec.severity, "message": [spec.message.format(first=f) for f in firsts],
        "suggestion": spec.suggestion,
    })


def _duplicate_ids(values: pd.Series, col: str, field: str, *, skip: np.ndarray) -> pd.DataFrame | None:
    filled = (values != "").to_numpy()
    dup = values.duplicated(keep="first").to_numpy() & filled & ~skip
    if not dup.any():
        return None
    first_row = pd.Series(values.index, index=values.to_numpy())
    first_row = first_row[~first_row.index.duplicated(keep="first")]
    firsts = first_row.reindex(values[dup].to_numpy()).to_numpy()
    spec = CODES["duplicate-id"]
    vals = values[dup].to_numpy()
    return pd.DataFrame({
        "row": values.index[dup], "column": col, "field": field, "value": vals, "code": "duplicate-id",
        "severity": spec.severity, "message": [spec.message.format(field=field, value=v, first=f)
                                               for v, f in zip(vals, firsts)],
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
