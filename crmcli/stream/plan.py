"""What every batch of a streamed table keeps: decided once, from the head, then applied to each batch.

:func:`plan_table` maps the columns (content-confirmed, exactly as for a whole table), decides each
date column's day/month order and whether it holds times, and :meth:`Plan.normalize` turns one
batch into the :class:`~crmcli.table.Table` the validate and clean stages take — the same field
layer (:func:`~crmcli.normalize.normalize_columns`), so a streamed value is the value the whole
table would have. The Spark engine ships a plan to its executors (it pickles).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..fields import Normalized, kind_of
from ..fields.dates import column_dayfirst
from ..normalize import normalize_columns
from ..schema import ColumnMap, map_table
from ..table import Table


@dataclass(frozen=True)
class Plan:
    """The decisions a streamed table keeps for all its batches."""

    columns: tuple[str, ...]
    column_map: ColumnMap
    region: str = "CN"
    #: ``{date column: True day-first / False month-first / None undecided}``
    dayfirst: Mapping[str, bool | None] = field(default_factory=dict)
    #: ``{date column: holds times}`` (then every valid value gets ``HH:MM:SS``)
    with_time: Mapping[str, bool] = field(default_factory=dict)
    forced_dayfirst: bool | None = None

    @property
    def mapping(self) -> dict[str, str]:
        return self.column_map.mapping

    @property
    def kinds(self) -> dict[str, str]:
        return {h: kind_of(f) for h, f in self.mapping.items()}

    def normalize(self, frame: pd.DataFrame) -> Table:
        """One batch (a text frame indexed by Excel row) as a normalized :class:`Table`."""
        normalized = normalize_columns(frame, self.mapping, region=self.region, dayfirst=dict(self.dayfirst))
        for col, times in self.with_time.items():
            res = normalized.get(col)
            if res is not None and times:
                values = with_times(res.values, res.bad)
                if values is not res.values:
                    normalized[col] = Normalized(values, parsed=res.parsed, _code_idx=res.code_index)
        for col, res in normalized.items():
            res.changed(frame[col])
        return Table(frame=frame, columns=self.column_map, normalized=normalized, source=frame.attrs.get("source"),
                     region=self.region, dayfirst=self.forced_dayfirst)


def with_times(values: pd.Series, bad: np.ndarray) -> pd.Series:
    """Valid dates written without a time get ``00:00:00`` (the column's one shape when it holds times)."""
    arr = pa.array(values.fillna("").to_numpy(dtype=object).tolist(), type=pa.large_string()) \
        if getattr(values.array, "_pa_array", None) is None else values.array._pa_array.combine_chunks()
    length = pc.binary_length(arr).to_numpy(zero_copy_only=False)
    fix = (length == 10) & ~bad
    if not fix.any():
        return values
    out = pc.if_else(pa.array(fix), pc.binary_join_element_wise(arr, pa.scalar(" 00:00:00", arr.type),
                                                                 pa.scalar("", arr.type)), arr)
    return pd.Series(pd.array(out, dtype=values.dtype), index=values.index, name=values.name)


def plan_table(head: pd.DataFrame, *, overrides: Mapping[str, str] | None = None,
               mapping: Mapping[str, str] | None = None, region: str = "CN",
               dayfirst: bool | None = None) -> Plan:
    """The :class:`Plan` for a table whose first rows are ``head`` (a ``read_table`` frame)."""
    columns = map_table(head.columns, overrides, data=head) if mapping is None else \
        ColumnMap({h: f for h, f in mapping.items() if h in head.columns})
    orders: dict[str, bool | None] = {}
    times: dict[str, bool] = {}
    dates = {h: f for h, f in columns.mapping.items() if kind_of(f) == "date"}
    if dates:
        normalized = normalize_columns(head, dates, region=region, dayfirst=dayfirst)
        for col, res in normalized.items():
            values = head[col].fillna("").astype("str")
            orders[col] = dayfirst if dayfirst is not None else column_dayfirst(values.unique().tolist())
            ok = res.values[~res.bad].fillna("")
            times[col] = bool((ok.str.len() > 10).any())
    return Plan(columns=tuple(map(str, head.columns)), column_map=columns, region=region, dayfirst=orders,
                with_time=times, forced_dayfirst=dayfirst)


def plan_summary(plan: Plan) -> dict[str, Any]:
    """The decisions as plain data (for notes and tests)."""
    return {"mapping": dict(plan.mapping), "dayfirst": dict(plan.dayfirst), "with_time": dict(plan.with_time)}
