"""The CLV columns beside the RFM table (``crm rfm --clv``, the report's Customers sheet)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from .columns import PREDICTION_COLUMNS


def join_predictions(table: pd.DataFrame, clv_table: pd.DataFrame,
                     columns: list[str] | tuple[str, ...] = PREDICTION_COLUMNS) -> pd.DataFrame:
    """``table`` (one row per ``customer_id``) with ``columns`` of the CLV table added at the end.

    A customer the CLV table does not hold (none, when both come from the same orders) gets empty
    cells: NaN numbers and ``""`` for ``churn_risk``.
    """
    extra = clv_table.set_index("customer_id")[list(columns)].reindex(table["customer_id"].astype("str"))
    out = table.copy()
    for col in columns:
        values = extra[col].to_numpy()
        out[col] = pd.Series(np.where(pd.isna(values), "", values), dtype="str").to_numpy() \
            if col == "churn_risk" else values
    return out


def add_clv(rfm_result: Any, orders: Any, **clv_options: Any) -> tuple[Any, Any]:
    """``crm rfm --clv``: fit CLV on the same ``orders`` as of the RFM result's as-of date and add
    ``p_alive, expected_orders, clv, churn_risk`` to its table. Returns (new RFM result, the CLV result)."""
    from .fit import fit_clv   # scipy: imported when a fit is asked for, not by the report's joins

    result = fit_clv(orders, as_of=rfm_result.as_of, **clv_options)
    table = join_predictions(rfm_result.table, result.table)
    return dataclasses.replace(rfm_result, table=table), result
