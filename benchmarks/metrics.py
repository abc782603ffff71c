"""Pairwise precision / recall / F1 of a clustering against ground truth entities."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pairs(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(cluster: np.ndarray | pd.Series, entity: np.ndarray | pd.Series) -> dict[str, float]:
    """Precision, recall and F1 over record pairs: a pair is predicted when both share a cluster."""
    frame = pd.DataFrame({"c": np.asarray(cluster), "e": np.asarray(entity)})
    tp = _pairs(frame.groupby(["c", "e"]).size().to_numpy())
    pred = _pairs(frame.groupby("c").size().to_numpy())
    true = _pairs(frame.groupby("e").size().to_numpy())
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "true_pairs": true, "predicted_pairs": pred, "tp": tp}
