"""Which columns of a table hold personal data, and of what kind.

A result table says it itself when its producer knows (``df.attrs["fields"]`` = ``{header: field}``, set
from the column mapping by :meth:`crmcli.table.Table.cleaned` and ``crm dedupe``); every other header is
looked up like an input header (``电话`` and ``Phone`` are phones, ``客户名称`` a name: the synonyms of
:mod:`crmcli.schema`), so a table of canonical names (``crm rfm``) and a labelled one (the report) are
known too. Issue lists (and the report's data-quality sheet, ``crm dedupe --explain``) hold values of several
fields in one column: each row's ``field`` (or ``kind``) column says what its ``value`` is.

A customer key (``customer_id``) is kept as an id, unless it is itself a contact: without a customer id column,
customers are keyed by their email, phone or name, so a key that looks like one of those is treated as one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import pandas as pd

#: Canonical field -> what it is masked as (``customer`` = by its values, see :func:`key_kind`).
FIELD_KINDS: dict[str, str] = {
    "phone": "phone", "email": "email", "name": "name", "first_name": "name", "last_name": "name",
    "address": "address", "postcode": "postcode", "national_id": "national_id", "birth_date": "birth_date",
    "customer_id": "customer", "lead_id": "id",
}
#: Comparator kinds (``crm dedupe --explain``'s ``kind`` column) -> mask kind.
COMPARATOR_KINDS = {"name": "name", "phone": "phone", "email": "email", "address": "address"}
#: Columns that say, per row, the field of the values in the listed columns.
ROW_FIELD_COLUMNS: dict[str, tuple[str, ...]] = {"field": ("value", "example", "suggestion"),
                                                 "kind": ("left", "right")}

#: Issue codes whose message quotes cell text itself (a title row above the header), not one field's value.
CELL_TEXT_CODES = ("skipped-row",)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+\d{7,15}$|^1[3-9]\d{9}$")
_NAME = re.compile(r"^(?:[\u3400-\u9fff·]{2,5}|[A-Za-z][A-Za-z'.\-]*(?: [A-Za-z][A-Za-z'.\-]*)+)$")


def key_kind(value: str) -> str | None:
    """The contact a customer key is (``email``, ``phone``, ``name``), or None for an id."""
    text = value.strip()
    if _EMAIL.match(text):
        return "email"
    if _PHONE.match(text.replace(" ", "").replace("-", "")):
        return "phone"
    if _NAME.match(text):
        return "name"
    return None


@functools.cache
def _report_labels() -> dict[str, str]:
    """The report's labels of the row-field columns (``字段`` / ``示例值`` …) -> their library names."""
    from ..report.labels import LABELS

    out = {}
    for key in ("field", "example"):
        for label in LABELS.get(key, ()):
            out[label] = key
    return out


def _header(header: object) -> str:
    from ..schema import header_key

    return header_key(header)


def column_kinds(df: pd.DataFrame, fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{column: kind}`` for the columns of ``df`` that hold personal data (kinds of :data:`FIELD_KINDS`)."""
    from ..schema import field_for_header

    given = dict(df.attrs.get("fields") or {})
    given.update(fields or {})
    out: dict[str, str] = {}
    for col in df.columns:
        f = given.get(col)
        if f is None:
            f = field_for_header(col)
        kind = FIELD_KINDS.get(f or "")
        if kind is not None:
            out[col] = kind
    return out


def row_field_columns(df: pd.DataFrame) -> list[tuple[str, str]]:
    """``[(value column, field column)]``: columns whose values are of the field named on each row."""
    labels = _report_labels()
    names = {col: labels.get(str(col), _header(col)) for col in df.columns}
    out = []
    for key_col, name in names.items():
        if name not in ROW_FIELD_COLUMNS:
            continue
        wanted = {_header(v) for v in ROW_FIELD_COLUMNS[name]}
        out += [(col, key_col) for col, other in names.items() if other in wanted]
    return out


def row_kind(field_or_kind: object, column_kind: str) -> str | None:
    """The mask kind of a row-field value: by its field (issue lists) or comparator kind (``--explain``)."""
    text = str(field_or_kind or "")
    if column_kind == "kind":
        return COMPARATOR_KINDS.get(text)
    if text in FIELD_KINDS:
        return FIELD_KINDS[text]
    from ..schema import field_for_header   # a field written as a label (the report's 字段 column: 电话, 邮箱 …)

    return FIELD_KINDS.get(field_for_header(text) or "")


def holds_personal(df: pd.DataFrame, fields: Mapping[str, str] | None = None) -> bool:
    """True when a table has a column of personal data (an output that gets the private file mode)."""
    return bool(column_kinds(df, fields)) or bool(row_field_columns(df))
