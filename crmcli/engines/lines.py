"""Order lines typed for an engine: the field layer's values as Arrow record batches.

Whatever the engine, the field layer does the normalizing (phones, dates, amounts, ids …): a file
that streams is normalized batch by batch with one :class:`~crmcli.stream.Plan`
(:mod:`crmcli.stream`); anything else (a workbook, stdin, a Table) as one batch. Each batch becomes
the columns the order rules (:mod:`.sql`) work on — one row per input row:

``row`` (Excel row), ``cust`` (the customer key before line rows fill it), ``oid`` (order id),
``order_date`` (timestamp, null when invalid or blank) and ``order_date_blank``, ``amount`` /
``amount_blank``, ``line_value`` (unit price × quantity, for sharing an order's amount), ``status``,
``refund_status``, ``refund_amount`` (+ ``_blank``), ``cancelled`` (a cancelled-at time written),
``channel``, ``campaign``, ``totals`` (a totals row), ``h1``/``h2`` (a 128-bit hash of the row's
normalized values: repeated export rows).

A Parquet file ``crm clean`` wrote (its metadata says its mapped columns are normalized, dates and
money typed) needs none of that: :func:`direct_lines` gives the SQL that builds the same lines over
the file itself (:func:`crmcli.engines.sql.direct_lines`), with no Python per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..fields import FIELD_KINDS
from ..orders.notes import amount_notes
from ..orders.prepare import customer_key, key_fields, order_columns, type_fields
from ..schema import amount_source
from ..table import Table

TEXT_FIELDS = ("status", "refund_status", "channel", "campaign")
#: Rows of the head :func:`direct_lines` normalizes for its :class:`LineSpec` (the mapping is the whole head's)
SPEC_ROWS = 1000


@dataclass(frozen=True)
class LineSpec:
    """What the order rules need to know about the table, decided once (from its head)."""

    date_field: str
    amount_col: str | None
    named_total: bool
    has_oid: bool
    has_weights: bool
    has_refund: bool
    key_fields: tuple[str, ...]
    text_fields: tuple[str, ...]
    notes: tuple[str, ...] = ()
    mapping: Mapping[str, str] = field(default_factory=dict)
    #: The column map's own notes (the first of ``notes``)
    column_notes: tuple[str, ...] = ()


def line_spec(table: Table) -> LineSpec:
    """The :class:`LineSpec` of an orders table (its head for a streamed one); the errors
    :func:`crmcli.orders.prepare_orders` gives for a table without a date or an amount."""
    mapping = table.mapping
    cmap = table.columns
    date_field, date_note, amount_col = order_columns(mapping, list(table.frame.columns))
    lines, codes, _ = type_fields(table)
    fields = set(mapping.values())
    notes = list(cmap.notes()) + ([date_note] if date_note else [])
    notes += amount_notes(cmap, amount_col)
    order = key_fields(lines, codes) if "customer_id" not in fields else []
    _, key_note = customer_key(lines, codes, table.frame.index, order)
    if key_note:
        notes.append(key_note)
    return LineSpec(date_field=date_field, amount_col=amount_col,
                    named_total=amount_col is not None and amount_source(amount_col) != "amount",
                    has_oid="order_id" in fields, has_weights="unit_price" in fields,
                    has_refund="refund_amount" in fields,
                    key_fields=tuple(key_fields(lines, codes)) if "customer_id" not in fields else (),
                    text_fields=tuple(f for f in TEXT_FIELDS if f in fields), notes=tuple(notes),
                    mapping=dict(mapping), column_notes=tuple(cmap.notes()))


@dataclass(frozen=True)
class DirectLines:
    """The lines of a cleaned Parquet file as SQL over the file: ``query`` builds them, ``totals``
    counts the rows that may be totals rows (any: the field layer's path decides them instead)."""

    spec: LineSpec
    query: str
    totals: str
    relation: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def lines(self, windowed: bool) -> str:
        """The query of the lines :func:`crmcli.engines.sql.windowed_rows` says (``windowed`` or not)."""
        from . import sql

        return sql.direct_lines(self.relation, windowed=windowed, **self.options)


def typed_as(kind: str, type: pa.DataType) -> bool:
    """Whether an Arrow column of ``type`` holds a field of ``kind`` as the field's values (dates as
    dates/timestamps, amounts and numbers as decimals/floats/integers, the rest as text)."""
    if kind == "date":
        return pa.types.is_timestamp(type) or pa.types.is_date(type)
    if kind in ("amount", "number"):
        return pa.types.is_decimal(type) or pa.types.is_floating(type) or pa.types.is_integer(type)
    return pa.types.is_string(type) or pa.types.is_large_string(type)


def direct_lines(source: Any, *, overrides: Mapping[str, str] | None = None, customer: str | None = None,
                 region: str = "CN", dayfirst: bool | None = None) -> DirectLines | None:
    """The :class:`DirectLines` of a Parquet file whose mapped columns hold the field layer's values
    (:func:`crmcli.io.parquet.cleaned_fields`: text normalized, dates/money/numbers typed), mapped as its
    head maps (the same :func:`~crmcli.stream.plan_table` as the batch path); None for anything else,
    and for a table without a customer id column (its key needs each value's validity)."""
    import os

    import pyarrow.parquet as pq

    from ..io.parquet import cleaned_fields
    from ..stream import open_source, plan_table, streamable
    from . import sql

    if isinstance(source, Table) or not isinstance(source, (str, os.PathLike)) or streamable(source) != "parquet":
        return None
    path = os.fspath(source)
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError, ValueError):
        return None
    normalized = cleaned_fields(schema)
    if normalized is None:
        return None
    overrides = dict(overrides or {})
    if customer:
        overrides["customer_id"] = customer
    src = open_source(path)
    plan = plan_table(src.head, overrides=overrides, region=region, dayfirst=dayfirst)
    mapping = plan.mapping
    if "customer_id" not in mapping.values():
        return None
    for header, fname in mapping.items():
        kind = FIELD_KINDS.get(fname, "text")
        typed = typed_as(kind, schema.field(header).type)
        if not typed or (kind not in ("date", "amount", "number") and normalized.get(header) != fname):
            return None
    spec = line_spec(plan.normalize(src.head.iloc[:SPEC_ROWS]))   # with a customer id: decided by the mapping
    columns = tuple(schema.names)
    strings = tuple(c for c in columns if typed_as("text", schema.field(c).type))
    relation = f"read_parquet('{path.replace(chr(39), chr(39) * 2)}', file_row_number = true)"
    fields = {f: h for h, f in mapping.items()}
    options = {"columns": columns, "strings": strings, "fields": fields, "date_field": spec.date_field,
               "has_amount": spec.amount_col is not None}
    return DirectLines(spec=spec, query=sql.direct_lines(relation, **options),
                       totals=sql.totals_candidates(relation, [c for c in columns[:3] if c in strings]),
                       relation=relation, options=options)


def typed_lines(table: Table, spec: LineSpec) -> pa.Table:
    """One batch's lines (see the module docstring)."""
    from ..stream.keys import hash_rows

    lines, codes, blank = type_fields(table)
    index = table.frame.index
    n = len(index)
    cust, _ = customer_key(lines, codes, index, list(spec.key_fields))
    date = lines[spec.date_field]
    line_value = None
    if "unit_price" in lines:
        line_value = lines["unit_price"] * (lines["quantity"].fillna(1.0) if "quantity" in lines else 1.0)
    if spec.amount_col is not None:
        amount, amount_blank = lines["amount"], blank["amount"]
    else:
        amount, amount_blank = line_value, np.zeros(n, dtype=bool)
    cols: dict[str, pa.Array] = {
        "row": pa.array(index.to_numpy(dtype=np.int64)),
        "cust": _text(cust),
        "oid": _text(lines["order_id"].str.strip()) if "order_id" in lines else pa.repeat(pa.scalar("", pa.string()), n),
        "order_date": pa.array(date.to_numpy(dtype="datetime64[ns]").astype("datetime64[us]"), type=pa.timestamp("us"),
                               mask=date.isna().to_numpy()),
        "order_date_blank": pa.array(blank[spec.date_field]),
        "amount": _float(amount),
        "amount_blank": pa.array(np.asarray(amount_blank, dtype=bool)),
        "line_value": _float(line_value) if line_value is not None else pa.nulls(n, pa.float64()),
        "refund_amount": _float(lines["refund_amount"]) if "refund_amount" in lines else pa.nulls(n, pa.float64()),
        "refund_amount_blank": pa.array(blank["refund_amount"]) if "refund_amount" in lines else
        pa.array(np.ones(n, dtype=bool)),
        "cancelled": pa.array(~blank["cancelled_at"]) if "cancelled_at" in blank else pa.array(np.zeros(n, dtype=bool)),
        "totals": pa.array(index.isin(table.totals)),
        "date_ambiguous": pa.array((codes[spec.date_field] == "ambiguous-date").to_numpy(dtype=bool, na_value=False)),
    }
    for f in TEXT_FIELDS:
        cols[f] = _text(lines[f]) if f in lines else pa.repeat(pa.scalar("", pa.string()), n)
        cols[f + "_blank"] = pa.array(blank[f]) if f in blank else pa.array(np.ones(n, dtype=bool))
    # exact repeated export rows: every column (normalized where mapped, as written otherwise)
    clean = table.cleaned()
    cols["h1"] = pa.array(hash_rows(clean).view(np.int64))   # (signed: Spark has no unsigned integers)
    salted = clean.iloc[:, ::-1].copy(deep=False)
    salted.insert(0, "\x1f", "\x1f")   # a second, independent combination of the same values
    cols["h2"] = pa.array(hash_rows(salted).view(np.int64))
    return pa.Table.from_pydict(cols)


def _text(s: pd.Series) -> pa.Array:
    return pa.array(s.fillna("").astype("str").to_numpy(dtype=object), type=pa.string())


def _float(s: pd.Series) -> pa.Array:
    v = s.to_numpy(dtype=np.float64, na_value=np.nan)
    return pa.array(v, type=pa.float64(), mask=~np.isfinite(v))


def line_batches(source: Any, *, read: Any = None, overrides: Mapping[str, str] | None = None,
                 customer: str | None = None, region: str = "CN", dayfirst: bool | None = None,
                 batch_rows: int | None = None) -> tuple[LineSpec, Iterator[pa.Table], pa.Schema]:
    """``(spec, batches, schema)`` for an orders source: a path that streams (CSV/TSV/Parquet), read
    in batches; anything else (another path, ``-``, bytes, a frame, a Table) normalized whole."""
    from ..stream import BATCH_ROWS, open_source, plan_table, streamable

    overrides = dict(overrides or {})
    if customer:
        overrides["customer_id"] = customer
    if isinstance(source, Table) or not isinstance(source, str) or streamable(source) is None:
        from ..normalize import normalize_table

        table = normalize_table(source, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
        if customer:
            table = table.remap({"customer_id": customer})
        spec = line_spec(table)
        first = typed_lines(table, spec)
        return spec, iter([first]), first.schema
    src = open_source(source, read, batch_rows=batch_rows or BATCH_ROWS)
    plan = plan_table(src.head, overrides=overrides, region=region, dayfirst=dayfirst)
    head = plan.normalize(src.head)
    spec = line_spec(head)
    schema = typed_lines(head.drop_rows(head.frame.index), spec).schema

    def batches() -> Iterator[pa.Table]:
        for frame in src.batches():
            yield typed_lines(plan.normalize(frame), spec).cast(schema)

    return spec, batches(), schema
