"""Counting item sets on a sparse basket × item matrix (scipy.sparse), never a Python loop over baskets.

- :func:`pair_counts`: ``Xᵀ X`` of the binary basket × item matrix ``X`` holds, above its
  diagonal, how many baskets contain each pair of items.
- :func:`triple_counts`: for the frequent pairs ``(a, b)``, the baskets holding both
  (``X[:, a] ∘ X[:, b]``, one sparse column per pair) times ``X`` count the triples ``(a, b, c)``.
  By apriori only items and pairs that are frequent themselves can be in a frequent triple.
- :func:`sequence_counts`: "then bought": for every antecedent event (a customer, an order's
  time, an item set bought in that order) the consequent events of the same customer later and
  within ``window`` days are a contiguous slice of the events sorted by (customer, time), found
  with two ``searchsorted`` calls; the slices are expanded with ``np.repeat`` and counted once
  per customer.

Work is bounded: column selections and slice expansions run in chunks of at most
:data:`CHUNK` matrix entries or pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:   # scipy takes ~0.1 s to import: loaded when a basket is counted, not when crm starts
    from scipy import sparse

#: Entries per chunk of the triple and sequence counting (memory stays ~ a few hundred MB).
CHUNK = 20_000_000


def basket_matrix(baskets: np.ndarray, items: np.ndarray, n_baskets: int, n_items: int) -> sparse.csr_matrix:
    """The binary basket × item matrix (an item bought twice in a basket counts once)."""
    from scipy import sparse

    x = sparse.csr_matrix((np.ones(len(baskets), dtype=np.int32), (baskets, items)), shape=(n_baskets, n_items))
    x.sum_duplicates()
    x.data[:] = 1
    return x


def item_counts(x: sparse.spmatrix) -> np.ndarray:
    """Baskets holding each item (column sums of the binary matrix)."""
    return np.asarray(x.sum(axis=0)).ravel().astype(np.int64)


def pair_counts(x: sparse.csr_matrix, threshold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, count)`` for item pairs ``a < b`` in at least ``threshold`` baskets."""
    from scipy import sparse

    co = sparse.triu(x.T.tocsr() @ x, k=1).tocoo()
    keep = co.data >= threshold
    return co.row[keep].astype(np.int64), co.col[keep].astype(np.int64), co.data[keep].astype(np.int64)


def pair_columns(x: sparse.csr_matrix, a: np.ndarray, b: np.ndarray) -> sparse.csc_matrix:
    """The basket × pair matrix: column k marks the baskets holding both ``a[k]`` and ``b[k]``."""
    xc = x.tocsc()
    return xc[:, a].multiply(xc[:, b]).tocsc()


def triple_counts(x: sparse.csr_matrix, a: np.ndarray, b: np.ndarray, threshold: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, c, count)`` for triples ``a < b < c`` in at least ``threshold`` baskets, from the
    frequent pairs ``(a, b)`` (``a < b``)."""
    out: list[tuple[np.ndarray, ...]] = []
    degree = item_counts(x)
    cost = degree[a] + degree[b]
    start = 0
    while start < len(a):
        stop = start + max(1, int(np.searchsorted(np.cumsum(cost[start:]), CHUNK, side="right")))
        pa, pb = a[start:stop], b[start:stop]
        both = pair_columns(x, pa, pb)
        t = (both.T.tocsr() @ x).tocoo()
        k, c, n = t.row, t.col.astype(np.int64), t.data.astype(np.int64)
        keep = (c > pb[k]) & (n >= threshold)
        out.append((pa[k[keep]], pb[k[keep]], c[keep], n[keep]))
        start = stop
    if not out:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    return tuple(np.concatenate(parts) for parts in zip(*out))  # type: ignore[return-value]


def sequence_counts(ante_customer: np.ndarray, ante_second: np.ndarray, ante_day: np.ndarray,
                    ante_set: np.ndarray, ante_members: np.ndarray,
                    cons_customer: np.ndarray, cons_second: np.ndarray, cons_day: np.ndarray,
                    cons_item: np.ndarray, window: int, n_items: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(set, item, customers)``: how many customers bought item set ``set`` in an order and
    then ``item`` in a later order (a later time) within ``window`` days.

    Antecedent events are ``(customer, second, day, set)``; ``ante_members`` is a (sets × k)
    array of each set's items (an item already in the set is never its own consequent).
    Consequent events are ``(customer, second, day, item)``. Customers are codes 0..C-1,
    seconds and days are counted from the first order.
    """
    order = np.lexsort((cons_second, cons_customer))
    cc, cs, cd, ci = cons_customer[order], cons_second[order], cons_day[order], cons_item[order]
    span_s = int(max(cs.max(initial=0), ante_second.max(initial=0))) + 2
    span_d = int(max(cd.max(initial=0), ante_day.max(initial=0))) + window + 2
    key_s = cc * span_s + cs
    key_d = cc * span_d + cd
    lo = np.searchsorted(key_s, ante_customer * span_s + ante_second, side="right")
    hi = np.searchsorted(key_d, ante_customer * span_d + ante_day + window, side="right")
    hi = np.maximum(hi, lo)
    n_customers = int(max(cc.max(initial=-1), ante_customer.max(initial=-1))) + 1
    # antecedent events in customer order, chunked at customer boundaries: each customer is
    # counted once within one chunk, so the chunks' distinct keys never repeat across chunks
    by_customer = np.argsort(ante_customer, kind="stable")
    sizes = (hi - lo)[by_customer]
    cum = np.concatenate([[0], np.cumsum(sizes)])
    n = len(by_customer)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(ante_customer[by_customer])) + 1, [n]])
    n_sets = int(ante_set.max(initial=0)) + 1
    wide = n_sets * n_items * max(n_customers, 1) >= 2**62
    keys_all: list[np.ndarray] = []
    s = 0
    while s < len(bounds) - 1:
        e = int(np.searchsorted(cum[bounds], cum[bounds[s]] + CHUNK, side="right")) - 1
        e = min(max(e, s + 1), len(bounds) - 1)
        ev = by_customer[bounds[s]:bounds[e]]
        s = e
        reps = (hi - lo)[ev]
        total = int(reps.sum())
        if not total:
            continue
        idx = np.repeat(ev, reps)
        j = lo[idx] + np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
        item = ci[j]
        sets = ante_set[idx]
        ok = ~(ante_members[sets] == item[:, None]).any(axis=1)
        set_item = sets[ok].astype(np.int64) * n_items + item[ok]
        cust = ante_customer[idx[ok]].astype(np.int64)
        if wide:
            keys_all.append(np.unique(np.stack([set_item, cust], axis=1), axis=0)[:, 0])
        else:
            keys_all.append(np.unique(set_item * n_customers + cust) // n_customers)
    if not keys_all:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    pair_key, n_cust = np.unique(np.concatenate(keys_all), return_counts=True)
    return pair_key // n_items, pair_key % n_items, n_cust.astype(np.int64)
