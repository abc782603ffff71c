"""Clustering: connected components over the pairs scored above the threshold, guarded against chaining.

Plain connected components chain: A~B and B~C put A and C together even when A and C clearly
differ (two brothers sharing a phone). So every component of three or more records is checked:
all its record pairs are scored, and if any pair is a *cannot-link* (match weight below
``split_weight``), the component is rebuilt greedily from its strongest edges, joining two groups
only when no cannot-link pair lies between them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_GUARDED = 2000   #: components above this size are left as they are (reported)


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label per record: the smallest record position in its component (vectorised label propagation)."""
    label = np.arange(n, dtype=np.int64)
    if len(left) == 0:
        return label
    while True:
        low = np.minimum(label[left], label[right])
        before = label.copy()
        np.minimum.at(label, left, low)
        np.minimum.at(label, right, low)
        while True:   # pointer jumping
            nxt = label[label]
            if np.array_equal(nxt, label):
                break
            label = nxt
        if np.array_equal(label, before):
            return label


def guard_components(label: np.ndarray, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
                     score_pairs: Callable[[np.ndarray, np.ndarray], np.ndarray],
                     split_weight: float) -> tuple[np.ndarray, dict]:
    """Split components holding a cannot-link pair; returns new labels and counts for the stats."""
    label = label.copy()
    sizes = np.bincount(label, minlength=len(label))
    big = np.flatnonzero(sizes >= 3)
    stats = {"components_checked": int(len(big)), "components_split": 0, "components_unchecked": 0}
    if len(big) == 0:
        return label, stats
    edge_comp = label[left]
    in_big = np.isin(edge_comp, big)
    order = np.argsort(edge_comp[in_big], kind="stable")
    e_left, e_right, e_w = left[in_big][order], right[in_big][order], weight[in_big][order]
    e_comp = edge_comp[in_big][order]
    bounds = np.searchsorted(e_comp, big), np.searchsorted(e_comp, big, side="right")
    members_sorted = np.argsort(label, kind="stable")
    m_bounds = np.searchsorted(label[members_sorted], big), np.searchsorted(label[members_sorted], big, side="right")
    # every record pair inside every checked component, scored in ONE call (not one per component)
    comp_size = m_bounds[1] - m_bounds[0]
    unchecked = comp_size > MAX_GUARDED
    stats["components_unchecked"] = int(unchecked.sum())
    checked = np.flatnonzero(~unchecked)
    if len(checked) == 0:
        return label, stats
    pa, pb, owner = [], [], []
    for size in np.unique(comp_size[checked]):   # one triu per component size, broadcast over components
        these = checked[comp_size[checked] == size]
        a, b = np.triu_indices(int(size), 1)
        start = m_bounds[0][these][:, None]
        pa.append(members_sorted[start + a].ravel())
        pb.append(members_sorted[start + b].ravel())
        owner.append(np.repeat(np.arange(len(checked))[comp_size[checked] == size], len(a)))
    pa, pb, owner = np.concatenate(pa), np.concatenate(pb), np.concatenate(owner)
    order = np.argsort(owner, kind="stable")
    pa, pb, owner = pa[order], pb[order], owner[order]
    w_all = score_pairs(pa, pb)
    bad = np.flatnonzero(w_all < split_weight)   # owner is sorted, so bad pairs come grouped
    comps, starts = np.unique(owner[bad], return_index=True)
    for c, s0, s1 in zip(comps, starts, [*starts[1:], len(bad)]):
        idx = checked[c]
        members = members_sorted[m_bounds[0][idx]:m_bounds[1][idx]]
        sel = bad[s0:s1]
        cannot = {(int(x), int(y)) for x, y in zip(pa[sel], pb[sel])}
        lo, hi = bounds[0][idx], bounds[1][idx]
        new = _constrained_merge(members, e_left[lo:hi], e_right[lo:hi], e_w[lo:hi], cannot)
        for group in new:
            label[group] = min(group)
        stats["components_split"] += 1
    return label, stats


def _constrained_merge(members: np.ndarray, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
                       cannot: set[tuple[int, int]]) -> list[list[int]]:
    """Greedy single-link from the strongest edge down, never joining groups across a cannot-link."""
    group = {int(r): {int(r)} for r in members}
    for k in np.argsort(-weight, kind="stable"):
        ga, gb = group[int(left[k])], group[int(right[k])]
        if ga is gb:
            continue
        if any((min(x, y), max(x, y)) in cannot for x in ga for y in gb):
            continue
        ga |= gb
        for r in gb:
            group[r] = ga
    seen, out = set(), []
    for g in group.values():
        if id(g) not in seen:
            seen.add(id(g))
            out.append(sorted(g))
    return out


def best_scores(n: int, label: np.ndarray, left: np.ndarray, right: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Per record, the highest match probability to another record of its cluster (NaN if alone)."""
    same = label[left] == label[right]
    best = np.full(n, -1.0)
    np.maximum.at(best, left[same], prob[same])
    np.maximum.at(best, right[same], prob[same])
    best[best < 0] = np.nan
    return best
