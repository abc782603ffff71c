"""The rules and item-set tables of ``crm basket``, built from integer item codes.

Rules and item sets are collected as code arrays (items are codes into sorted labels; ``-1``
pads a shorter set), measured and sorted in numpy, and turned into text only at the end
(pyarrow ``take`` and joins), so a million rules cost a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Joins the items of an item set (``咖啡豆 + 磨豆机``).
SEPARATOR = " + "
RULE_COLUMNS = ["antecedent", "consequent", "size", "count", "antecedent_count", "consequent_count", "support",
                "confidence", "lift"]
ITEMSET_COLUMNS = ["itemset", "size", "count", "support"]


@dataclass
class Rules:
    """Rules ``antecedent ⇒ consequent`` as code arrays: ``ante`` is (rules × 2), -1 padding a
    one-item antecedent."""

    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add(self, ante: np.ndarray, cons: np.ndarray, both: np.ndarray, ante_n: np.ndarray,
            cons_n: np.ndarray) -> None:
        ante = np.asarray(ante, dtype=np.int64)
        if ante.ndim == 1:
            ante = np.stack([ante, np.full(len(ante), -1, dtype=np.int64)], axis=1)
        self.parts.append((ante, np.asarray(cons, dtype=np.int64), np.asarray(both, dtype=np.int64),
                           np.asarray(ante_n, dtype=np.int64), np.asarray(cons_n, dtype=np.int64)))

    def add_pairs(self, a: np.ndarray, b: np.ndarray, nab: np.ndarray, single: np.ndarray) -> None:
        """Both directions of each pair: ``a ⇒ b`` and ``b ⇒ a``."""
        ante, cons = np.concatenate([a, b]), np.concatenate([b, a])
        self.add(ante, cons, np.concatenate([nab, nab]), single[ante], single[cons])

    def table(self, n: int, labels: np.ndarray) -> pd.DataFrame:
        """The rules table, sorted by lift, count, confidence (highest first), then by the items."""
        if self.parts:
            ante, cons, both, ante_n, cons_n = (np.concatenate(p) for p in zip(*self.parts))
        else:
            ante = np.zeros((0, 2), dtype=np.int64)
            cons = both = ante_n = cons_n = np.zeros(0, dtype=np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            support = both / n if n else both.astype(np.float64)
            confidence = np.where(ante_n > 0, both / np.maximum(ante_n, 1), np.nan)
            lift = np.where((ante_n > 0) & (cons_n > 0), both * float(n) / (ante_n * cons_n.astype(np.float64)),
                            np.nan)
        order = np.lexsort((cons, ante[:, 1], ante[:, 0], -confidence, -both, -lift))
        ante, cons = ante[order], cons[order]
        return pd.DataFrame({
            "antecedent": item_text(ante, labels), "consequent": item_text(cons[:, None], labels),
            "size": (2 + (ante[:, 1] >= 0)).astype(np.int64), "count": both[order],
            "antecedent_count": ante_n[order], "consequent_count": cons_n[order], "support": support[order],
            "confidence": confidence[order], "lift": lift[order],
        })


def item_text(members: np.ndarray, labels: np.ndarray) -> pd.Series:
    """``"A + B"`` for each row of codes (-1 = no item)."""
    names = pa.array(list(labels), type=pa.string())
    text = names.take(pa.array(np.maximum(members[:, 0], 0))) if len(members) else pa.array([], pa.string())
    for k in range(1, members.shape[1]):
        more = members[:, k] >= 0
        if more.any():
            joined = pc.binary_join_element_wise(text, names.take(pa.array(np.maximum(members[:, k], 0))), SEPARATOR)
            text = pc.if_else(pa.array(more), joined, text)
    return pd.Series(text, dtype="str")


def itemset_table(sets: list[tuple[np.ndarray, np.ndarray]], n: int, labels: np.ndarray) -> pd.DataFrame:
    """Frequent item sets ``(members (sets × k), counts)`` as one table: by size, then count (highest first)."""
    width = max([m.shape[1] for m, _ in sets] or [1])
    members = np.concatenate([np.pad(m.astype(np.int64), ((0, 0), (0, width - m.shape[1])), constant_values=-1)
                              for m, _ in sets]) if sets else np.zeros((0, 1), dtype=np.int64)
    counts = np.concatenate([np.asarray(c, dtype=np.int64) for _, c in sets]) if sets else np.zeros(0, np.int64)
    size = (members >= 0).sum(axis=1)
    order = np.lexsort((*[members[:, k] for k in range(width - 1, -1, -1)], -counts, size))
    members, counts = members[order], counts[order]
    return pd.DataFrame({"itemset": item_text(members, labels), "size": size[order].astype(np.int64),
                         "count": counts, "support": counts / n if n else counts.astype(np.float64)})
