"""Record linkage as pipeline stages: block → compare → score → cluster → merge.

``dedupe_table`` is the one call behind ``crm dedupe``: it finds the duplicates (no labels
needed: Fellegi–Sunter weights anchored on deterministic evidence and learned by EM) and merges
each cluster into a golden row of normalized values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..fields import Normalized, kind_of
from ..normalize import normalize_table
from .compare import KINDS, Comparator
from .link import DEFAULT_THRESHOLD, Duplicates, choose_comparators, find_duplicates, record_position
from .merge import RULES, assign_cluster_ids, merge_duplicates

__all__ = ["KINDS", "RULES", "Comparator", "DedupeResult", "Duplicates", "choose_comparators", "dedupe_table",
           "explain_pair", "find_duplicates", "golden_values", "merge_duplicates", "record_position"]

_RECENCY_FIELDS = ("created_at", "order_date", "lead_date")


@dataclass
class DedupeResult:
    merged: pd.DataFrame        #: one golden row per cluster (normalized values, as text)
    clusters: pd.DataFrame      #: every input row + cluster_id, cluster_size, match_score
    stats: dict[str, Any]
    duplicates: Duplicates = field(repr=False)
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def pairs(self) -> pd.DataFrame:
        """Every compared pair with per-field similarity, level and weight."""
        return self.duplicates.pairs_frame()

    @property
    def review(self) -> pd.DataFrame:
        """Pairs near the threshold, for a person to check."""
        return self.duplicates.review_frame()

    def sheet(self) -> pd.DataFrame:
        """The golden rows for a workbook, typed like ``crm clean``'s sheet: dates as dates, money as numbers."""
        from ..clean import type_cells
        from ..normalize import normalize_columns

        typed = {c: f for c, f in self.mapping.items() if c in self.merged.columns
                 and kind_of(f) in ("date", "amount", "number")}
        # the golden rows hold normalized text already: parsed once more only to type the cells
        return type_cells(self.merged, typed, normalize_columns(self.merged, typed))


def golden_values(table: pd.DataFrame, normalized: dict[str, Normalized], mapping: dict[str, str]) -> pd.DataFrame:
    """``table`` with its mapped columns' normalized values (E.164 phones, ISO dates…) and emails folded
    (``User@Example.com`` and ``user@example.com`` are one address): what golden rows are built from."""
    out = table.copy(deep=False)
    for col, res in normalized.items():
        values = res.values
        if kind_of(mapping.get(col)) == "email":
            values = values.str.casefold()
        out[col] = values
    return out


def dedupe_table(table: Any, *, read: Any = None, on: list[str] | None = None, mapping: dict[str, str] | None = None,
                 overrides: Mapping[str, str] | None = None, threshold: float = DEFAULT_THRESHOLD,
                 region: str = "CN", dayfirst: bool | None = None, keep: dict[str, str] | str = "complete",
                 previous: pd.DataFrame | None = None, id_column: str | None = None,
                 keep_pairs: bool = True) -> DedupeResult:
    """Find duplicate records and merge them: the library call behind ``crm dedupe``.

    ``table``: a :class:`~crmcli.table.Table` (its normalized columns are used as they are), or a
    ``read_table`` frame / a source (read with ``read``, mapped with ``overrides`` — or exactly ``mapping`` —
    and normalized with ``region``/``dayfirst`` here). Rows the reader flagged as totals rows (合计/Total)
    are not records: they are left out (``stats["totals_rows"]``). Golden rows hold normalized values
    (:func:`golden_values`); the clusters table keeps every other input row as written.
    ``keep_pairs=False``: :attr:`DedupeResult.pairs` holds only the pairs of probability 0.5 and more (what
    ``review`` needs), not every compared pair — memory then grows with the records, not the pairs.
    """
    t = normalize_table(table, read=read, overrides=overrides, mapping=mapping, region=region, dayfirst=dayfirst)
    totals = list(t.totals)
    t = t.drop_rows(totals)
    table, mapping, normalized, region = t.frame, t.mapping, dict(t.normalized), t.region
    dup = find_duplicates(table, on=on, mapping=mapping, threshold=threshold, region=region, normalized=normalized,
                          keep_pairs=keep_pairs)
    ids = assign_cluster_ids(table if previous is None else _as_written(table, mapping), dup.label,
                             previous, id_column)
    clusters = table.copy()
    sizes = pd.Series(ids).map(pd.Series(ids).value_counts()).to_numpy()
    clusters["cluster_id"] = ids
    clusters["cluster_size"] = sizes
    clusters["match_score"] = np.round(dup.match_score, 4)
    golden = golden_values(table, normalized, mapping)
    kinds = {c.column: c.kind for c in dup.model.comparators}
    multi = {col: golden[col] for col in table.columns
             if (kinds.get(col) or {"phone": "phone", "email": "email"}.get(mapping.get(col, ""))) in ("phone", "email")}
    recency = next((normalized[c].parsed for c, f in mapping.items() if f in _RECENCY_FIELDS and c in normalized),
                   None)
    merged = merge_duplicates(golden, ids, keep=keep, multi_value=multi, recency=recency)
    for frame in (clusters, merged):  # what the writers' privacy rules go by
        frame.attrs["fields"] = dict(mapping)
    stats = {**dup.stats, "merged_rows": len(merged), "rows_removed": len(table) - len(merged),
             "totals_rows": totals}
    return DedupeResult(merged, clusters, stats, dup, mapping)


def _as_written(table: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """The records as the clusters file is written under the privacy policy in force (pseudonyms, masks), so
    they compare with a ``--previous`` clusters file written the same way."""
    from ..privacy import protect_table

    return protect_table(table, fields=mapping)


def explain_pair(result: DedupeResult | Duplicates, first: str, second: str, id_column: str | None = None) -> pd.DataFrame:
    """Per-field breakdown of why two records (by ``id_column`` value, or Excel row number) match or not."""
    dup = result.duplicates if isinstance(result, DedupeResult) else result
    a = record_position(dup.table, first, id_column)
    b = record_position(dup.table, second, id_column)
    return dup.explain(a, b)
