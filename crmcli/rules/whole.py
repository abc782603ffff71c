"""The whole-table checks: each needs every row of a column before it can judge one.

- ``outlier-amount``: an amount far outside its column's distribution (:func:`outlier_fences`, then
  :func:`flag_outliers` — two steps, so a table read in batches can gather the fences first);
- value clusters: spellings of one value in a categorical column (:mod:`.clusters`; the distinct values
  and their counts first, then each batch's cells);
- ``missing-column``: a rule whose field has no column;
- unique values (``duplicate-id``, ``duplicate-value``) are checked by :func:`crmcli.validate.check_table`
  with the one sort of the id column it shares with ``duplicate-row``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..fields import Normalized
from .bind import BoundRules
from .defaults import OUTLIER_FIELDS
from .local import report
from .values import checked_rows, column_values, numbers_of

#: At least this many nonzero amounts before a column's distribution says what is far outside it.
OUTLIER_MIN_VALUES = 20
#: Fences at this many interquartile ranges beyond the quartiles, on the log10 scale of |amount| …
OUTLIER_IQRS = 3.0
#: … with the interquartile range taken as at least this (a factor of about 3).
OUTLIER_MIN_IQR = 0.5


def check_whole(table, bound: BoundRules, out) -> pd.DataFrame:
    """Add the whole-table issues of ``table`` to ``out``; returns the value clusters found
    (:data:`crmcli.rules.clusters.CLUSTER_COLUMNS`)."""
    from .clusters import check_clusters

    from ..schema import FIELDS
    from ..validate import issue_texts

    keep = checked_rows(table)
    header_row = table.source.header_row if table.source is not None and table.source.header_row else 0
    for key, severity in bound.missing:      # table-level: on the header row
        message, suggestion = issue_texts("missing-column", 1, lang=out.lang, key=key)
        out.add(np.array([header_row]), "", key if key in FIELDS else "", "", "missing-column", severity,
                message, suggestion)
    if not bound.defaults and bound.values is None:
        return check_clusters(table, bound, out, keep, find=False)
    if bound.defaults:
        ranged = {c.column for c in bound.columns if c.rule.min or c.rule.max}
        cols = column_values(table, {})
        check_outliers(table, cols, out, keep, skip=ranged)
    return check_clusters(table, bound, out, keep, find=bound.defaults)


def check_outliers(table, cols: Mapping[str, Normalized], out, keep: np.ndarray, skip: set[str]) -> None:
    for header, fld in table.mapping.items():
        if fld not in OUTLIER_FIELDS or header in skip:
            continue
        values = numbers_of(cols[header])
        fences = outlier_fences(values[keep])
        if fences is None:
            continue
        bad = keep & flag_outliers(values, fences)
        report(out, table, bad, header, fld, "outlier-amount", typical=describe_typical(fences))


def outlier_fences(values: np.ndarray) -> tuple[float, float, float, float] | None:
    """``(low, high, q1, q3)`` on the log10 scale of |amount| over the nonzero finite ``values``: an amount is
    an outlier below ``low = q1 − 3·IQR`` or above ``high = q3 + 3·IQR`` (IQR = q3 − q1, at least 0.5), i.e.
    more than 30–1000 times off the middle half of the column. None with fewer than 20 nonzero amounts."""
    x = np.abs(values[np.isfinite(values)])
    x = x[x > 0]
    if len(x) < OUTLIER_MIN_VALUES:
        return None
    logs = np.log10(x)
    q1, q3 = np.quantile(logs, [0.25, 0.75])
    iqr = max(q3 - q1, OUTLIER_MIN_IQR)
    return q1 - OUTLIER_IQRS * iqr, q3 + OUTLIER_IQRS * iqr, float(q1), float(q3)


def flag_outliers(values: np.ndarray, fences: tuple[float, float, float, float]) -> np.ndarray:
    """Where ``values`` fall outside ``fences`` (zeros and blanks never do)."""
    low, high = fences[0], fences[1]
    x = np.abs(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(x)
    return np.isfinite(logs) & (x > 0) & ((logs < low) | (logs > high))


def describe_typical(fences: tuple[float, float, float, float]) -> str:
    """The middle half of the column's |amounts|: ``259 – 1,798``."""
    def money(v: float) -> str:
        return f"{v:,.0f}" if v >= 10 else f"{v:,.2f}"

    return f"{money(10 ** fences[2])} – {money(10 ** fences[3])}"
