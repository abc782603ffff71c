"""Blocking: which record pairs are worth comparing at all.

Each blocking key is an integer code per record (``-1`` = no key). Records sharing a code form
a block; all pairs inside a block are candidates, except that a block larger than ``window + 1``
(张伟 in a million customers) only pairs each record with its ``window`` nearest neighbours in a
sort order (sorted neighbourhood), so the cost stays near-linear. Keys are OR-ed: the candidate
pairs are the union over keys, built as ``int64`` arrays (``i * n + j`` with ``i < j``) and
de-duplicated with ``np.unique`` — never pandas index unions.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

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
    out = np.full(len(a), -1, dtype=np.int64)
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


def candidate_pairs(keys: list[BlockKey], n: int, *, max_pairs_per_record: float = 12.0
                    ) -> tuple[np.ndarray, np.ndarray, list[dict], dict[str, np.ndarray]]:
    """Union of the pairs of every key: ``(left, right, report, per_key)`` with left < right, sorted.

    ``per_key`` holds each used key's own pairs (encoded ``i * n + j``), for EM training sessions.

    A key that would give more than ``max_pairs_per_record * n`` pairs on its own (state + gender)
    is too coarse to be worth it and is skipped (reported), unless it is the only key.
    """
    chunks, report, per_key = [], [], {}
    budget = max(int(max_pairs_per_record * n), 1000)
    for key in keys:
        expected = pair_budget(key.codes, key.window)
        used = expected <= budget or len(keys) == 1
        report.append({"key": key.name, "pairs": expected if used else 0, "skipped": not used})
        if used:
            chunks.append(block_pairs(key))
            per_key[key.name] = chunks[-1]
    if not chunks:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, report, per_key
    flat = np.sort(np.concatenate(chunks))
    if len(flat):
        flat = flat[np.concatenate(([True], flat[1:] != flat[:-1]))]
    return flat // n, flat % n, report, per_key


def compound_keys(single: dict[str, np.ndarray], window: int = 25,
                  order_by: np.ndarray | None = None) -> list[BlockKey]:
    """Every pair of single keys as a compound key (``surname + date_of_birth``)."""
    return [BlockKey(f"{a}+{b}", compound_codes(single[a], single[b]), window, order_by)
            for a, b in combinations(single, 2)]
