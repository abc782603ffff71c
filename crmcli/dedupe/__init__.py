"""Record linkage as pipeline stages: block → compare → score → cluster → merge.

``dedupe_table`` is the one call behind ``crm dedupe``: it finds the duplicates (no labels
needed: Fellegi–Sunter weights learned by EM) and merges each cluster into a golden row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..fields import normalize_field
from ..schema import map_columns
from .compare import KINDS, Comparator
from .link import DEFAULT_THRESHOLD, Duplicates, choose_comparators, find_duplicates, record_position
from .merge import RULES, assign_cluster_ids, merge_duplicates

__all__ = ["KINDS", "RULES", "Comparator", "DedupeResult", "Duplicates", "choose_comparators", "dedupe_table",
           "explain_pair", "find_duplicates", "merge_duplicates", "record_position"]

_RECENCY_FIELDS = ("created_at", "order_date", "lead_date")


@dataclass
class DedupeResult:
    merged: pd.DataFrame        #: one golden row per cluster
    clusters: pd.DataFrame      #: every input row + cluster_id, cluster_size, match_score
    stats: dict[str, Any]
    duplicates: Duplicates = field(repr=False)

    @property
    def pairs(self) -> pd.DataFrame:
        """Every compared pair with per-field similarity, level and weight."""
        return self.duplicates.pairs_frame()

    @property
    def review(self) -> pd.DataFrame:
        """Pairs near the threshold, for a person to check."""
        return self.duplicates.review_frame()


def dedupe_table(table: pd.DataFrame, *, on: list[str] | None = None, mapping: dict[str, str] | None = None,
                 overrides: Mapping[str, str] | None = None,
                 threshold: float = DEFAULT_THRESHOLD, region: str = "CN", keep: dict[str, str] | str = "complete",
                 previous: pd.DataFrame | None = None, id_column: str | None = None) -> DedupeResult:
    """Find duplicate records and merge them: the library call behind ``crm dedupe``."""
    mapping = mapping if mapping is not None else map_columns(table.columns, overrides, data=table)
    dup = find_duplicates(table, on=on, mapping=mapping, threshold=threshold, region=region)
    ids = assign_cluster_ids(table, dup.label, previous, id_column)
    clusters = table.copy()
    sizes = pd.Series(ids).map(pd.Series(ids).value_counts()).to_numpy()
    clusters["cluster_id"] = ids
    clusters["cluster_size"] = sizes
    clusters["match_score"] = np.round(dup.match_score, 4)
    kinds = {c.column: c.kind for c in dup.model.comparators}
    multi = {}
    for col in table.columns:
        kind = kinds.get(col) or {"phone": "phone", "email": "email"}.get(mapping.get(col, ""))
        if kind in ("phone", "email"):
            multi[col] = normalize_field(table[col], kind, region=region).values
    recency = None
    for col, f in mapping.items():
        if f in _RECENCY_FIELDS:
            recency = normalize_field(table[col], "date").parsed
            break
    merged = merge_duplicates(table, ids, keep=keep, multi_value=multi, recency=recency)
    stats = {**dup.stats, "merged_rows": len(merged), "rows_removed": len(table) - len(merged)}
    return DedupeResult(merged, clusters, stats, dup)


def explain_pair(result: DedupeResult | Duplicates, first: str, second: str, id_column: str | None = None) -> pd.DataFrame:
    """Per-field breakdown of why two records (by ``id_column`` value, or Excel row number) match or not."""
    dup = result.duplicates if isinstance(result, DedupeResult) else result
    a = record_position(dup.table, first, id_column)
    b = record_position(dup.table, second, id_column)
    return dup.explain(a, b)
