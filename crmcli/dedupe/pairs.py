"""Candidate pairs chunk by chunk: generated key by key, compared, counted and stored compactly.

The blocking keys are OR-ed, but their pairs are never all in memory at once. Each key's pairs are made
``CHUNK_RECORDS`` places of its sort order at a time (:func:`key_chunks`), and a pair that an earlier key
already gave is dropped by testing that key's rule on the pair itself (:meth:`KeyRule.holds`): a key's pairs
are exactly the record pairs that agree on all its fields (``codes >= 0``) and lie within ``window`` places of
each other in its sort order when their block is larger than ``window + 1`` records. So the union is exact,
without a sort of every pair, and each chunk is compared as soon as it is made.

A chunk's agreement levels (``int8``, pairs × fields) are counted per distinct pattern
(:class:`PatternCounts`: what Fellegi–Sunter EM needs, exactly, in a few hundred rows) and kept for the
scoring pass in a :class:`PairStore` (record positions as ``int32``), which moves chunks to a private
temporary folder past ``SPILL_BYTES``. Only positions and levels are written there, never a record's values.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

CHUNK_RECORDS = 50_000     #: places of a key's sort order turned into pairs at once (≤ window × this pairs)
SPILL_BYTES = 192 << 20    #: a PairStore keeps up to this many bytes of chunks in memory, the rest on disk


@dataclass
class KeyRule:
    """What a used blocking key's pairs are, to recognise them again: the fields they agree on, and (for
    keys with a block over ``window + 1`` records) each record's place in the key's sort order."""

    fields: tuple[int, ...]
    window: int
    place: np.ndarray | None = None   #: int32 place in the sort order, -1 = in no block

    def holds(self, equal: FieldEquality, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        ok = np.ones(len(left), dtype=bool)
        for f in self.fields:
            ok &= equal[f]
        if self.place is not None:
            pl, pr = self.place[left], self.place[right]
            ok &= (pl >= 0) & (pr >= 0) & (np.abs(pl.astype(np.int64) - pr) <= self.window)
        return ok


class FieldEquality:
    """Per field, which pairs of a chunk agree exactly (both filled), computed when first asked."""

    def __init__(self, codes: list[np.ndarray], left: np.ndarray, right: np.ndarray) -> None:
        self.codes, self.left, self.right, self.cache = codes, left, right, {}

    def __getitem__(self, f: int) -> np.ndarray:
        if f not in self.cache:
            c = self.codes[f]
            a = c[self.left]
            self.cache[f] = (a == c[self.right]) & (a >= 0)
        return self.cache[f]


def sort_order(codes: np.ndarray, order_by: np.ndarray | None) -> np.ndarray:
    """Records sharing their code with another record, sorted by code (then by ``order_by``)."""
    has = np.flatnonzero(codes >= 0)
    if len(has) >= 2:   # only records sharing their code with another one can pair: sort just those
        has = has[np.bincount(codes[has])[codes[has]] >= 2]
    if len(has) < 2:
        return np.zeros(0, dtype=np.int64)
    if order_by is None:
        return has[np.argsort(codes[has], kind="stable")]
    return has[np.lexsort((order_by[has], codes[has]))]


def key_rule(codes: np.ndarray, fields: tuple[int, ...], window: int, order: np.ndarray) -> KeyRule:
    """The rule of a key whose sort order is ``order``; places are kept only when a block exceeds the window."""
    rule = KeyRule(fields, window)
    if len(order) and np.bincount(codes[order]).max() > window + 1:
        rule.place = np.full(len(codes), -1, dtype=np.int32)
        rule.place[order] = np.arange(len(order), dtype=np.int32)
    return rule


def key_chunks(codes: np.ndarray, window: int, order: np.ndarray,
               chunk: int = CHUNK_RECORDS) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """A key's pairs ``(left, right)`` with left < right (int32), ``chunk`` places of its sort order at a time:
    each record with the next ``window`` records of its block (all pairs of a block of ≤ window + 1)."""
    c = codes[order]
    last = len(order)
    for start in range(0, max(last - 1, 0), chunk):
        pos = np.arange(start, min(start + chunk, last - 1))
        lefts, rights = [], []
        for d in range(1, window + 1):
            pos = pos[pos + d < last]
            pos = pos[c[pos] == c[pos + d]]
            if len(pos) == 0:
                break
            i, j = order[pos], order[pos + d]
            lefts.append(np.minimum(i, j).astype(np.int32))
            rights.append(np.maximum(i, j).astype(np.int32))
        if lefts:
            yield np.concatenate(lefts), np.concatenate(rights)


# ---------------------------------------------------------------------------------------- patterns


def pattern_codes(lv: np.ndarray) -> np.ndarray | None:
    """One int64 per row of levels (3 bits a field), or None when they do not fit."""
    n_f = lv.shape[1]
    if n_f > 21 or (len(lv) and int(lv.max()) >= 7):
        return None
    shifted = lv.astype(np.int64) + 1
    return (shifted << (3 * np.arange(n_f, dtype=np.int64))).sum(axis=1)


def decode_patterns(codes: np.ndarray, n_f: int) -> np.ndarray:
    return (((codes[:, None] >> (3 * np.arange(n_f, dtype=np.int64))) & 7) - 1).astype(np.int8)


@dataclass
class PatternCounts:
    """How many pairs show each distinct level pattern: the candidates as EM sees them."""

    n_fields: int
    parts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def add(self, lv: np.ndarray) -> None:
        if len(lv):
            self.parts.append(count_patterns(lv))
            if len(self.parts) > 64:
                self.parts = [self._merged()]

    def _merged(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.parts:
            return np.zeros((0, self.n_fields), dtype=np.int8), np.zeros(0)
        rows = np.concatenate([p for p, _ in self.parts])
        counts = np.concatenate([c for _, c in self.parts])
        uniq, inv = np.unique(rows, axis=0, return_inverse=True)
        return uniq, np.bincount(inv.ravel(), weights=counts, minlength=len(uniq))

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct patterns sorted, counts)."""
        return self._merged()


def count_patterns(lv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of the (pairs × fields) levels and how often each occurs."""
    if len(lv) == 0:
        return lv, np.zeros(0)
    code = pattern_codes(lv)
    if code is None:
        uniq, count = np.unique(lv, axis=0, return_counts=True)
        return uniq, count.astype(np.float64)
    inv, ucode = pd.factorize(code, sort=False)      # hash-based, no sort
    return decode_patterns(np.asarray(ucode), lv.shape[1]), np.bincount(inv).astype(np.float64)


# ---------------------------------------------------------------------------------------- store


class PairStore:
    """Chunks of compared pairs (left, right int32; levels int8), in memory up to ``SPILL_BYTES``, then in
    a private temporary folder (removed by :meth:`close`). Iterating gives the chunks in the order added."""

    def __init__(self, spill_bytes: int | None = None) -> None:
        self.spill_bytes = SPILL_BYTES if spill_bytes is None else spill_bytes
        self.chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray] | Path] = []
        self.in_memory = 0
        self.pairs = 0
        self.folder: Path | None = None

    def add(self, left: np.ndarray, right: np.ndarray, lv: np.ndarray) -> None:
        self.pairs += len(left)
        size = left.nbytes + right.nbytes + lv.nbytes
        if self.in_memory + size <= self.spill_bytes:
            self.chunks.append((left, right, lv))
            self.in_memory += size
            return
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="crm-dedupe-"))
        path = self.folder / f"{len(self.chunks)}.npz"
        np.savez(path, left=left, right=right, lv=lv)
        self.chunks.append(path)

    @property
    def spilled(self) -> int:
        return sum(isinstance(c, Path) for c in self.chunks)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for c in self.chunks:
            if isinstance(c, Path):
                with np.load(c) as z:
                    yield z["left"], z["right"], z["lv"]
            else:
                yield c

    def close(self) -> None:
        self.chunks = []
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PairStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def concat_pairs(parts: list[tuple[np.ndarray, ...]], width: int) -> tuple[np.ndarray, ...]:
    """Kept pairs' arrays joined and sorted by (left, right), as one list of pairs is ordered."""
    if not parts:
        return tuple(np.zeros(0, dtype=np.int32) for _ in range(width))
    arrays = [np.concatenate([p[k] for p in parts]) for k in range(width)]
    order = np.lexsort((arrays[1], arrays[0]))
    return tuple(a[order] for a in arrays)
