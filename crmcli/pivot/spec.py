"""What a pivot is asked for and what it gives back: the ``--values`` specs, the aggregations and
"Show Values As" names, the labels (Total, (blank), Other), the size limits and the :class:`Pivot` result,
shared by the pandas pivot (:mod:`.table`) and the engines' (:mod:`crmcli.engines.pivot_sql`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..errors import UsageError
from ..formats import COUNT, RATE, RATIO
from ..schema import FIELDS, find_column

AGGS = ("sum", "count", "mean", "nunique", "min", "max")
TOTAL = "Total"
BLANK = "(blank)"
#: The row that holds every row outside ``top`` (its values computed from those rows).
OTHER = "Other"
#: Bounded work: a --cols field with more values than an Excel sheet has columns, or a grid of more
#: cells than this, is refused (a 100,000-row file pivoted on two id columns would be 10^10 cells).
MAX_COLUMNS = 16_384
MAX_CELLS = 10_000_000


@dataclass
class Pivot:
    table: pd.DataFrame
    value_columns: list[str]          # the numeric columns (cells and totals)
    number_format: str                # Excel number format of the first value's columns
    notes: list[str] = field(default_factory=list)
    #: Excel number format of every value column (several --values, --show percentages).
    number_formats: dict[str, str] = field(default_factory=dict)


@dataclass
class ValueSpec:
    """One ``--values FIELD[:AGG[:SHOW]]``: the field (None = count rows), its aggregation and how it is shown."""

    field: str | None
    agg: str
    show: str | None = None


def parse_values(values: str | Sequence[str] | None, agg: str = "sum", show: str | None = None) -> list[ValueSpec]:
    """``["amount:sum", "order_id:nunique", "amount:sum:row%"]`` -> specs; a spec without ``:AGG`` takes
    ``agg``, without ``:SHOW`` takes ``show``. None = count rows."""
    agg = (agg or "sum").lower()
    if agg not in AGGS:
        raise UsageError(f"{{opt:agg}} {agg!r} is not one of " + ", ".join(AGGS), option="agg")
    if show is not None and show not in SHOWS:
        raise UsageError(f"{{opt:show}} {show!r} is not one of " + ", ".join(SHOWS), option="show")
    items = [values] if isinstance(values, str) else list(values or [])
    items = [v for v in items if v is not None and str(v).strip()]
    if not items:
        if agg not in ("count", "sum"):
            raise UsageError(f"{{opt:agg}} {agg} needs {{opt:values}}", hint="e.g. {opt:values} amount", option="agg")
        return [ValueSpec(None, "count", show)]
    specs = []
    for item in items:
        parts = [p.strip() for p in str(item).split(":")]
        own_show = parts.pop() if len(parts) > 1 and parts[-1] in SHOWS else None
        own_agg = parts.pop().lower() if len(parts) > 1 and parts[-1].lower() in AGGS else None
        name = ":".join(parts).strip()
        if not name:
            raise UsageError(f"{{opt:values}} {item!r} names no field", hint="e.g. {opt:values} amount:sum",
                             option="values")
        specs.append(ValueSpec(name, own_agg or agg, own_show or show))
    return specs


#: Number formats of the values shown as shares, ranks and indexes (the others keep the value's own).
SHOW_FORMATS = {"row%": RATE, "col%": RATE, "total%": RATE, "pct-diff-prev": RATE, "rank": COUNT,
                "index": RATIO}
SHOWS = ("row%", "col%", "total%", "rank", "running", "index", "diff-prev", "pct-diff-prev")

#: Left-out reasons of prepare_orders that are order rules (a pivot leaves those rows out too);
#: rows it leaves out for a missing date or customer are still rows of the pivot.
ORDER_RULE_REASONS = ("totals-row", "duplicate-row", "unpaid", "cancelled", "refunded")


def resolve_column(name: str, columns: list[str], mapping: Mapping[str, str]) -> tuple[str, str | None]:
    """(header, canonical field or None) for a field name or a header; a UsageError naming the columns."""
    found = find_column(name, columns, mapping)
    if found is not None:
        return found
    if name.strip() in FIELDS:
        raise UsageError(f"no column is mapped to the field {name.strip()!r}",
                         hint=f"map one with {{opt:map}} {name.strip()}=COLUMN; columns: " + ", ".join(columns[:20]))
    raise UsageError(f"no field or column named {name.strip()!r}", hint="columns: " + ", ".join(columns[:20]))


def field_kind(field_name: str | None) -> str:
    """The field layer's kind of a canonical field (``text`` for none)."""
    from ..fields import FIELD_KINDS

    return FIELD_KINDS.get(field_name, "text") if field_name else "text"
