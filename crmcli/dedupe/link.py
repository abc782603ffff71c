"""find_duplicates: choose comparators, block, compare, score (EM), cluster.

The stages live in their own modules (block, compare, score, cluster); this one wires them
together and keeps what a caller needs afterwards (pairs, review band, explanations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..fields import Normalized, kind_of, normalize_field
from ..schema import map_columns
from .block import BlockKey, block_pairs, compound_codes, pair_budget
from .cluster import best_scores, connected_components, guard_components
from .compare import FIELD_COMPARATORS, Comparator, Prepared, parse_on
from .pairs import FieldEquality, PairStore, PatternCounts, concat_pairs, key_chunks, key_rule, sort_order
from .score import Model, probability, weight_of

DEFAULT_THRESHOLD = 0.9
DEFAULT_SPLIT_PROBABILITY = 1e-6
DEFAULT_WINDOW = 25
#: without keep_pairs, the pairs kept for --review and --pairs: probability at least this (or the threshold)
KEEP_PROBABILITY = 0.5
#: field-layer kind used to normalize a comparator kind's column before comparing
_FIELD_KIND = {"phone": "phone", "email": "email", "date": "date"}


@dataclass
class Duplicates:
    """What ``find_duplicates`` found: a cluster label per record and the scored candidate pairs."""

    table: pd.DataFrame
    model: Model
    left: np.ndarray            #: candidate pairs as record positions (left < right)
    right: np.ndarray
    weight: np.ndarray          #: total match weight per pair (log2 odds, prior included)
    prob: np.ndarray            #: match probability per pair
    label: np.ndarray           #: cluster label per record (smallest member position)
    match_score: np.ndarray     #: per record: best probability to another member of its cluster
    threshold: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [c.column for c in self.model.comparators]

    def pairs_frame(self, mask: np.ndarray | None = None) -> pd.DataFrame:
        """Pairs with per-field similarity and weight (``row_l``, ``row_r`` = the rows as numbered in Excel)."""
        left, right = (self.left, self.right) if mask is None else (self.left[mask], self.right[mask])
        lv, sim = self.model.levels(left, right)
        w, total = self.model.score(lv, left)
        rows = self.table.index.to_numpy()
        out: dict[str, Any] = {"row_l": rows[left], "row_r": rows[right]}
        for k, comp in enumerate(self.model.comparators):
            labels = np.asarray(("missing", *comp.levels), dtype=object)
            out[f"{comp.column}_sim"] = np.round(sim[:, k].astype(np.float64), 3)
            out[f"{comp.column}_level"] = labels[lv[:, k].astype(np.int64) + 1]
            out[f"{comp.column}_weight"] = np.round(w[:, k].astype(np.float64), 2)
        out["match_weight"] = np.round(total.astype(np.float64), 2)
        out["match_probability"] = np.round(probability(total).astype(np.float64), 4)
        out["same_cluster"] = self.label[left] == self.label[right]
        return pd.DataFrame(out)

    def review_frame(self, low: float = 0.5, high: float = 0.99) -> pd.DataFrame:
        """Pairs near the threshold: probability in [min(low, threshold) .. max(high, threshold)]."""
        lo, hi = min(low, self.threshold), max(high, self.threshold)
        mask = (self.prob >= lo) & (self.prob <= hi)
        frame = self.pairs_frame(mask)
        return frame.sort_values("match_probability", kind="stable").reset_index(drop=True)

    def explain(self, a: int, b: int) -> pd.DataFrame:
        """Per-field breakdown for records at positions ``a`` and ``b``: values, level, similarity, weight."""
        left, right = np.array([a]), np.array([b])
        lv, sim = self.model.levels(left, right)
        w, total = self.model.score(lv, left)
        rows = []
        for k, (comp, prep) in enumerate(zip(self.model.comparators, self.model.prepared)):
            level = int(lv[0, k])
            tf = ""
            if comp.tf and level == comp.top:
                tf = f"{float(self.model.tf_adjustment(k, left)[0]):+.2f}"
            rows.append({"field": comp.column, "kind": comp.kind,
                         "left": str(self.table.iat[a, self.table.columns.get_loc(comp.column)]),
                         "right": str(self.table.iat[b, self.table.columns.get_loc(comp.column)]),
                         "level": "missing" if level < 0 else comp.levels[level],
                         "similarity": "" if level < 0 else f"{sim[0, k]:.3f}",
                         "m": "" if level < 0 else f"{self.model.m[k][level]:.4g}",
                         "u": "" if level < 0 else f"{self.model.u[k][level]:.4g}",
                         "tf_adjustment": tf, "weight": f"{w[0, k]:+.2f}"})
        rows.append({"field": "(prior)", "kind": "", "left": "", "right": "", "level": "", "similarity": "",
                     "m": "", "u": "", "tf_adjustment": "", "weight": f"{self.model.prior:+.2f}"})
        p = float(probability(total)[0])
        rows.append({"field": "(total)", "kind": "", "left": "", "right": "",
                     "level": "match" if p >= self.threshold else "no match", "similarity": "", "m": "", "u": "",
                     "tf_adjustment": "", "weight": f"{total[0]:+.2f}", "probability": f"{p:.4f}"})
        return pd.DataFrame(rows).fillna("")


def choose_comparators(table: pd.DataFrame, on: list[str] | None = None,
                       mapping: dict[str, str] | None = None) -> list[Comparator]:
    """Comparators from ``--on COLUMN[:KIND]`` items, else from the column mapping (zero-config)."""
    columns = [str(c) for c in table.columns]
    mapping = mapping if mapping is not None else map_columns(columns)
    if on:
        out = []
        for col, kind in parse_on(on, columns):
            if kind is None:
                kind = FIELD_COMPARATORS.get(mapping.get(col, ""), "text")
            out.append(Comparator(col, kind))
        return out
    comps = [Comparator(col, FIELD_COMPARATORS[f]) for col, f in mapping.items() if f in FIELD_COMPARATORS]
    if not comps:
        raise UsageError("no column to compare records on",
                        hint="name the columns with {opt:on} COLUMN[:KIND], e.g. {opt:on} 姓名:name {opt:on} 电话:phone")
    return comps


def _normalized(series: pd.Series, kind: str, region: str, known: Normalized | None = None,
                field: str | None = None) -> pd.Series | None:
    """The field layer's values of a column compared as ``kind`` (``known``: already normalized as ``field``)."""
    fkind = _FIELD_KIND.get(kind)
    if fkind is None:
        return None
    res = known if known is not None and kind_of(field) == fkind else normalize_field(series, fkind, region=region)
    if fkind == "phone" and res.bad.any():  # a masked number (138****5678) is no matching key
        return res.values.where(res.codes != "masked-phone", "")
    return res.values


def find_duplicates(table: pd.DataFrame, *, on: list[str] | None = None, mapping: dict[str, str] | None = None,
                    threshold: float = DEFAULT_THRESHOLD, region: str = "CN", window: int = DEFAULT_WINDOW,
                    split_probability: float = DEFAULT_SPLIT_PROBABILITY, seed: int = 0,
                    normalized: Mapping[str, Normalized] | None = None, keep_pairs: bool = True) -> Duplicates:
    """Find records of the same person: block → compare → score (EM, no labels) → cluster.

    Memory stays bounded by the records, not the pairs: candidate pairs are made, compared and scored chunk
    by chunk (:mod:`.pairs`), EM runs on the counts of distinct level patterns, and clustering on the pairs
    over the threshold. ``keep_pairs=False`` keeps only the pairs with a match probability of at least
    ``min(KEEP_PROBABILITY, threshold)`` (the review band and the matches) instead of every compared pair.

    ``normalized``: the mapped columns already normalized by the field layer (``normalize_table``),
    so they are not normalized again."""
    if not 0 < threshold < 1:
        raise UsageError(f"{{opt:threshold}} {threshold} is not a probability between 0 and 1", hint="e.g. {opt:threshold} 0.9")
    comps = choose_comparators(table, on, mapping)
    n = len(table)
    known, fields = normalized or {}, mapping or {}
    prepared = [c.prepare(table[c.column], _normalized(table[c.column], c.kind, region, known.get(c.column),
                                                       fields.get(c.column))) for c in comps]
    model = Model(comps, prepared, swap=_swap_pair(comps, prepared))

    sessions = _sessions(model, comps, prepared, n, seed)
    with PairStore() as store:
        patterns, key_report = _compare_candidates(model, n, window, store)
        model.fit(sessions, n, store.pairs, patterns, seed=seed)
        floor = min(KEEP_PROBABILITY, threshold)
        kept, hits = [], []
        for left, right, lv in store:   # the scoring pass, chunk by chunk
            _, weight = model.score(lv, left)
            prob = probability(weight)
            hit = prob >= threshold
            hits.append((left[hit], right[hit], weight[hit], prob[hit]))
            keep = slice(None) if keep_pairs else prob >= floor
            kept.append((left[keep], right[keep], weight[keep], prob[keep]))
            del weight, prob, lv
        comparisons, spilled = store.pairs, store.spilled
    h_left, h_right, h_weight, h_prob = concat_pairs(hits, 4)
    del hits
    left, right, weight, prob = concat_pairs(kept, 4)
    del kept
    label = connected_components(n, h_left, h_right)

    def score_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        lv_ab, _ = model.levels(a, b)
        return model.score(lv_ab, a)[1]

    label, guard = guard_components(label, h_left, h_right, h_weight, score_pairs, weight_of(split_probability))
    match_score = best_scores(n, label, h_left, h_right, h_prob)
    sizes = np.bincount(label, minlength=n)
    stats = {
        "records": n, "comparisons": int(comparisons), "matched_pairs": int(len(h_left)),
        "clusters": int((sizes > 0).sum()), "duplicate_clusters": int((sizes > 1).sum()),
        "records_in_duplicate_clusters": int(sizes[label].__gt__(1).sum()),
        "em_iterations": model.iterations, "prior": float(f"{model.lam:.4g}"),
        "estimation": model.estimation.line(),
        "compared_on": [f"{c.column}:{c.kind}" for c in comps], "blocking": key_report, **guard,
        "pairs_kept": "all" if keep_pairs else f"probability >= {floor:g}", "chunks_on_disk": spilled,
    }
    return Duplicates(table, model, left, right, weight, prob, label, match_score, threshold, stats)


def _swap_pair(comps: list[Comparator], prepared: list[Prepared]) -> tuple | None:
    """Two person-name comparators (given name, surname) in one key space, for crossed comparison: the
    records' keys of the first column, then of the second (records offset by the number of records)."""
    names = [k for k, c in enumerate(comps) if c.kind == "name"]
    if len(names) != 2:
        return None
    i, j = names
    pi, pj = prepared[i], prepared[j]
    codes, uniques = pd.factorize(np.concatenate([pi.uniques, pj.uniques]), sort=False)
    joint_codes = np.concatenate([np.where(pi.codes >= 0, codes[np.maximum(pi.codes, 0)], -1),
                                  np.where(pj.codes >= 0, codes[len(pi.uniques) + np.maximum(pj.codes, 0)], -1)])
    uniq = np.asarray(uniques, dtype=object)
    counts = np.bincount(joint_codes[joint_codes >= 0], minlength=len(uniq)).astype(np.float64)
    return i, j, Prepared(codes=joint_codes.astype(np.int32), uniques=uniq, counts=counts, u0=pi.u0)


SESSIONS = 2                 #: EM training sessions (Splink's tutorial uses two)
SESSION_PAIRS = 100_000      #: pairs compared per session at most (a seeded sample)


def _sessions(model: Model, comps: list[Comparator], prepared: list, n: int, seed: int) -> list:
    """EM training sessions, as Splink's: pairs blocked on ONE column, learning every other column's ``m``.

    The most selective columns are blocked on (an id, a phone, a date of birth), so that the
    pairs are a good share of matches and their non-matches agree on nothing but that column —
    unlike the candidate pairs, whose non-matches agree on two columns by construction (that
    makes EM take them for matches on large tables). Each session compares a sample of its pairs.
    """
    rng = np.random.default_rng(seed)
    budgets = [(pair_budget(p.codes, 4), k) for k, p in enumerate(prepared)]
    chosen = [k for b, k in sorted(budgets) if b >= 10][:SESSIONS]
    out = []
    for k in chosen:
        flat = block_pairs(BlockKey(comps[k].column, prepared[k].codes, 4))
        if len(flat) > SESSION_PAIRS:
            flat = flat[rng.choice(len(flat), SESSION_PAIRS, replace=False)]
        out.append((k, model.levels(flat // n, flat % n)[0]))
    return out


#: a key is used only while it adds at most this many candidate pairs per record
SINGLE_KEY_BUDGET = 1.0
COMPOUND_KEY_BUDGET = 1.0
#: ... or this many pairs, whichever is more: a small list can afford to compare far more pairs per record
MIN_KEY_PAIRS = 20_000
NAME_WINDOW = 2
#: candidate pairs compared in one call (a chunk of the comparison stage)
COMPARE_PAIRS = 500_000


def _compare_candidates(model: Model, n: int, window: int, store: PairStore) -> tuple[tuple, list]:
    """Candidate pairs, compared chunk by chunk into ``store``: OR of selective keys, so cost stays near-linear.

    A column alone is a key only when it is selective (phone, email, an id: at most
    ``SINGLE_KEY_BUDGET`` pairs per record); every pair of columns (``surname + date_of_birth``,
    Splink's tutorial rules) is a key within ``COMPOUND_KEY_BUDGET``; and a sorted neighbourhood
    on the names catches records whose every other field differs. Returns the level patterns' counts
    and the keys' report.
    """
    comps, prepared = model.comparators, model.prepared
    names = [p for c, p in zip(comps, prepared) if c.kind == "name"]
    order_by = _name_rank(names, n) if names else None
    single_budget = max(SINGLE_KEY_BUDGET * n, MIN_KEY_PAIRS)
    compound_budget = max(COMPOUND_KEY_BUDGET * n, MIN_KEY_PAIRS)
    singles = [((k,), f"{c.column}", window if c.kind in ("phone", "email") else 4, single_budget)
               for k, c in enumerate(comps)]
    compounds = [((a, b), f"{comps[a].column}+{comps[b].column}", window, compound_budget)
                 for a, b in combinations(range(len(comps)), 2)]
    codes = [p.codes for p in prepared]
    report, skipped, rules = [], [], []
    patterns = PatternCounts(len(comps))

    def run(key_codes: np.ndarray, fields: tuple[int, ...], name: str, win: int, last: bool = False) -> None:
        order = sort_order(key_codes, order_by)
        report.append({"key": name, "pairs": pair_budget(key_codes, win), "skipped": False})
        for left, right in key_chunks(key_codes, win, order):
            if rules:
                equal = FieldEquality(codes, left, right)
                seen = np.zeros(len(left), dtype=bool)
                for rule in rules:
                    seen |= rule.holds(equal, left, right)
                left, right = left[~seen], right[~seen]
            if len(left):
                buffer.append((left, right))
                buffered[0] += len(left)
                if buffered[0] >= COMPARE_PAIRS:
                    flush()
        if not last:   # the last key's pairs are recognised by no later key
            rules.append(key_rule(key_codes, fields, win, order))

    buffer: list[tuple[np.ndarray, np.ndarray]] = []
    buffered = [0]

    def flush() -> None:   # compare the pairs made so far in one call: few, large chunks
        if buffer:
            left, right = (np.concatenate(x) for x in zip(*buffer))
            buffer.clear()
            buffered[0] = 0
            lv, _ = model.levels(left, right)
            patterns.add(lv)
            store.add(left, right, lv)

    for group in (singles, compounds):
        for fields, name, win, budget in group:
            key_codes = codes[fields[0]] if len(fields) == 1 else compound_codes(codes[fields[0]], codes[fields[1]])
            if pair_budget(key_codes, win) <= budget or len(comps) == 1:
                run(key_codes, fields, name, win)
            else:
                skipped.append({"key": name, "pairs": 0, "skipped": True})
            del key_codes
    if order_by is not None:
        run(np.zeros(n, dtype=np.int32), (), "names~neighbours", NAME_WINDOW, last=True)
    flush()
    return patterns.result(), report + skipped


def _name_rank(names: list, n: int) -> np.ndarray:
    """Rank of each record's concatenated name keys (for sorted-neighbourhood order).

    Word order does not matter: "Noah Watson" and "Watson Noah" sort together. Each distinct combination
    of the records' name keys is joined once; records carry only integer codes."""
    combo = np.zeros(n, dtype=np.int64)
    parts: list[np.ndarray] = []   # per name field, its key code (-1 = empty) of each distinct combination
    for p in names:
        pair = combo * (len(p.uniques) + 1) + (p.codes.astype(np.int64) + 1)
        combo, uniq = pd.factorize(pair, sort=False)
        uniq = np.asarray(uniq, dtype=np.int64)
        parts = [q[uniq // (len(p.uniques) + 1)] for q in parts] + [uniq % (len(p.uniques) + 1) - 1]
    key_rank = _text_rank(_combination_texts(names, parts))
    order = np.argsort(key_rank[combo] if len(key_rank) else np.zeros(n, dtype=np.int64), kind="stable")
    rank = np.empty(n, dtype=np.int32)   # 4 bytes a record
    rank[order] = np.arange(n, dtype=np.int32)
    return rank


#: distinct name combinations turned into text at once (their words as Python strings only a batch at a time)
TEXT_BATCH = 500_000


def _combination_texts(names: list, parts: list[np.ndarray]):
    """Each distinct combination's name words, sorted and space-joined, as an Arrow string array: the words
    of each name key are split once per key, and a combination's text is made a batch at a time."""
    import pyarrow as pa

    words = [[str(u).split() for u in p.uniques] + [[]] for p in names]   # the last: an empty key (-1)
    total = len(parts[0]) if parts else 0
    batches = []
    for start in range(0, total, TEXT_BATCH):
        cols = [np.where(q[start:start + TEXT_BATCH] >= 0, q[start:start + TEXT_BATCH], len(w) - 1).tolist()
                for q, w in zip(parts, words)]
        batch = [" ".join(sorted([t for w, c in zip(words, combo) for t in w[c]])) for combo in zip(*cols)]
        batches.append(pa.array(batch, type=pa.string()))
    return pa.chunked_array(batches, type=pa.string())


def _text_rank(texts) -> np.ndarray:
    """Dense rank of each text in code-point order (UTF-8 byte order is code-point order), equal texts equal."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(texts) == 0:
        return np.zeros(0, dtype=np.int64)
    order = pc.sort_indices(texts).to_numpy()
    ordered = pa.concat_arrays(texts.take(order).chunks) if isinstance(texts, pa.ChunkedArray) else texts.take(order)
    step = pc.not_equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1)).to_numpy(zero_copy_only=False)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.concatenate(([0], np.cumsum(step, dtype=np.int64)))
    return rank


def record_position(table: pd.DataFrame, key: str, id_column: str | None = None) -> int:
    """Position of the record whose ``id_column`` is ``key`` (or whose Excel row number is ``key``)."""
    if id_column:
        if id_column not in table.columns:
            raise UsageError(f"{{opt:id}} {id_column}: no column named {id_column!r}",
                             hint="columns: " + ", ".join(map(str, table.columns[:30])))
        hits = np.flatnonzero(table[id_column].astype(str).str.strip().to_numpy() == str(key).strip())
        what = f"{id_column} = {{value}}"
    else:
        hits = np.flatnonzero(table.index.astype(str).to_numpy() == str(key).strip())
        what = f"row {key}"
    if len(hits) == 0:
        raise UsageError(f"{{opt:explain}}: no record with {what}", values=(key,) if id_column else (),
                         hint="give two ids of the {opt:id} column, or two row numbers as Excel shows them")
    if len(hits) > 1:
        raise UsageError(f"{{opt:explain}}: {len(hits)} records have {what}", hint="choose a unique {opt:id} column",
                         values=(key,) if id_column else ())
    return int(hits[0])
