"""Blocking: which record pairs are worth comparing at all.

Each blocking key is an integer code per record (``-1`` = no key). Records sharing a code form
a block; all pairs inside a block are candidates, except that a block larger than ``window + 1``
(张伟 in a million customers) only pairs each record with its ``window`` nearest neighbours in a
sort order (sorted neighbourhood), so the cost stays near-linear. Keys are OR-ed: the candidate
pairs are the union over keys, made chunk by chunk without ever holding them all (``pairs.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .pairs import key_chunks, sort_order


@dataclass
class BlockKey:
    name: str
    codes: np.ndarray       #: int64 per record, -1 = record has no key
    window: int = 25        #: blocks above window+1 records use sorted neighbourhood
    order_by: np.ndarray | None = None   #: rank per record giving the neighbourhood order in a block


def compound_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One code per record for the pair of keys (a, b); -1 where either is missing."""
    ok = (a >= 0) & (b >= 0)
    combined = np.where(ok, a * (np.int64(b.max(initial=0)) + 1) + b, -1)
    out = np.full(len(a), -1, dtype=np.int32)   # fewer than 2**31 records: 4 bytes a record
    if ok.any():
        out[ok] = pd.factorize(combined[ok], sort=False)[0]   # hash-based, no sort
    return out


def block_pairs(key: BlockKey) -> np.ndarray:
    """Candidate pairs of one key, encoded ``i * n + j`` (i < j), unsorted, possibly repeated."""
    n = len(key.codes)
    order = sort_order(key.codes, key.order_by)
    out = [i.astype(np.int64) * n + j for i, j in key_chunks(key.codes, key.window, order, chunk=max(len(order), 1))]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def pair_budget(codes: np.ndarray, window: int) -> int:
    """How many pairs a key would produce (blocks capped by the window)."""
    c = codes[codes >= 0]
    if len(c) == 0:
        return 0
    sizes = np.bincount(c)
    sizes = sizes[sizes > 1].astype(np.int64)
    full = sizes * (sizes - 1) // 2
    capped = sizes * window - window * (window + 1) // 2
    return int(np.where(sizes <= window + 1, full, capped).sum())
