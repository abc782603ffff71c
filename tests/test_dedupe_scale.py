"""Dedupe in bounded memory: chunked candidate pairs, pattern counts for EM, pairs spilled to disk."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmcli.dedupe import find_duplicates, link, pairs
from crmcli.dedupe.block import BlockKey, block_pairs, compound_codes
from crmcli.dedupe.pairs import (FieldEquality, PairStore, PatternCounts, count_patterns, key_chunks, key_rule,
                                 sort_order)
from crmcli.dedupe.score import em

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from make_customers import generate  # noqa: E402


def _union_by_rules(fields: list[np.ndarray], keys: list[tuple[tuple[int, ...], int]], order_by, chunk: int):
    """Pairs of the OR of ``keys`` made chunk by chunk, each pair an earlier key gave dropped by its rule."""
    rules, out = [], []
    for fs, window in keys:
        codes = fields[fs[0]] if len(fs) == 1 else compound_codes(fields[fs[0]], fields[fs[1]])
        order = sort_order(codes, order_by)
        for left, right in key_chunks(codes, window, order, chunk=chunk):
            equal = FieldEquality(fields, left, right)
            seen = np.zeros(len(left), dtype=bool)
            for rule in rules:
                seen |= rule.holds(equal, left, right)
            out += list(zip(left[~seen].tolist(), right[~seen].tolist()))
        rules.append(key_rule(codes, fs, window, order))
    return out


@pytest.mark.parametrize("chunk", [1, 7, 50_000])
def test_chunked_union_of_keys_is_exactly_the_union_of_their_pairs(chunk):
    rng = np.random.default_rng(3)
    n = 600
    # small blocks, big blocks (sorted neighbourhood) and missing values, in three fields
    fields = [rng.integers(-1, 40, n), rng.integers(-1, 4, n), rng.integers(-1, 300, n)]
    order_by = rng.permutation(n)
    keys = [((0,), 3), ((2,), 4), ((0, 1), 5), ((1, 2), 25), ((1,), 2)]
    made = _union_by_rules(fields, keys, order_by, chunk)
    expected = set()
    for fs, window in keys:
        codes = fields[fs[0]] if len(fs) == 1 else compound_codes(fields[fs[0]], fields[fs[1]])
        flat = block_pairs(BlockKey("k", codes, window, order_by))
        expected |= {(int(p // n), int(p % n)) for p in flat}
    assert len(made) == len(set(made))          # no pair twice
    assert set(made) == expected                # and none lost
    assert all(a < b for a, b in made)


def test_pattern_counts_merge_chunks_exactly():
    rng = np.random.default_rng(1)
    lv = rng.integers(-1, 4, (5000, 6)).astype(np.int8)
    acc = PatternCounts(6)
    for part in np.array_split(lv, 97):
        acc.add(part)
    uniq, counts = acc.result()
    whole, whole_counts = count_patterns(lv)
    assert counts.sum() == len(lv)
    assert dict(zip(map(bytes, uniq), counts)) == dict(zip(map(bytes, whole), whole_counts))


def test_em_on_pattern_counts_equals_em_on_every_pair():
    rng = np.random.default_rng(2)
    lv = rng.integers(-1, 3, (3000, 4)).astype(np.int8)
    u = [np.array([0.7, 0.2, 0.1])] * 4
    m = [np.array([0.1, 0.2, 0.7])] * 4
    a = em(lv, [0, 1, 2, 3], u, m, 0.1, 30, 1e-9, fit_lam=True)
    uniq, counts = count_patterns(lv)
    b = em(uniq, [0, 1, 2, 3], u, m, 0.1, 30, 1e-9, fit_lam=True, counts=counts)
    assert a[1] == pytest.approx(b[1], rel=1e-9)
    for x, y in zip(a[0], b[0]):
        np.testing.assert_allclose(x, y, rtol=1e-9)


def test_pair_store_spills_to_a_private_folder_and_removes_it():
    store = PairStore(spill_bytes=100)
    chunks = [(np.arange(k, k + 10, dtype=np.int32), np.arange(k + 1, k + 11, dtype=np.int32),
               np.full((10, 3), k, dtype=np.int8)) for k in range(5)]
    with store:
        for c in chunks:
            store.add(*c)
        assert store.spilled == 5 and store.pairs == 50
        folder = store.folder
        assert folder.is_dir() and len(list(folder.iterdir())) == 5
        for got, want in zip(store, chunks):
            for x, y in zip(got, want):
                np.testing.assert_array_equal(x, y)
    assert not folder.exists()


@pytest.fixture(scope="module")
def customers():
    frame = generate(2500, seed=11).astype(str)
    return frame.drop(columns=["entity"]).rename(columns={"name": "客户名称", "phone": "手机"}), frame["entity"]


def test_spilled_run_and_bounded_pairs_give_the_same_clusters(customers, monkeypatch):
    frame, _ = customers
    whole = find_duplicates(frame)
    monkeypatch.setattr(pairs, "SPILL_BYTES", 0)
    monkeypatch.setattr(link, "COMPARE_PAIRS", 997)      # many small comparison chunks
    small = find_duplicates(frame, keep_pairs=False)
    assert small.stats["chunks_on_disk"] > 1
    np.testing.assert_array_equal(whole.label, small.label)
    np.testing.assert_allclose(whole.match_score, small.match_score, equal_nan=True)
    assert small.stats["comparisons"] == whole.stats["comparisons"] == len(whole.left)
    # without keep_pairs only the pairs of probability >= 0.5 are kept: the review band and the matches
    keep = whole.prob >= 0.5
    np.testing.assert_array_equal(small.left, whole.left[keep])
    np.testing.assert_array_equal(small.right, whole.right[keep])
    assert len(small.review_frame()) == len(whole.review_frame())


def test_whole_pairs_are_sorted_and_unique(customers):
    dup = find_duplicates(customers[0])
    flat = dup.left.astype(np.int64) * len(customers[0]) + dup.right
    assert (np.diff(flat) > 0).all() and (dup.left < dup.right).all()


def test_arrow_strings_give_the_same_answer(customers):
    frame, _ = customers
    arrow = frame.astype(pd.ArrowDtype(__import__("pyarrow").string()))
    a, b = find_duplicates(frame), find_duplicates(arrow)
    np.testing.assert_array_equal(a.label, b.label)
    assert a.stats["comparisons"] == b.stats["comparisons"]


def test_arrow_column_prepared_in_batches_equals_the_object_column(monkeypatch):
    import pyarrow as pa

    from crmcli.dedupe import compare
    from crmcli.dedupe.compare import Comparator

    rng = np.random.default_rng(5)
    words = ["Smith, John", "JOHN smith", "Mr John Smith", "张 伟", "张伟先生", "", "Anne-Marie O'Neil", "ｊｏｈｎ"]
    values = [words[i] if i < len(words) else f"name {i}" for i in rng.integers(0, 40, 3000)]
    values[7] = None
    arrow = pd.Series(pa.chunked_array([pa.array(values[:1000]), pa.array(values[1000:])]),
                      dtype=pd.ArrowDtype(pa.string()))
    plain = pd.Series(["" if v is None else v for v in values], dtype=object)
    monkeypatch.setattr(compare, "TEXT_BATCH", 3)   # the distinct values turned into keys three at a time
    for kind in ("name", "text", "exact"):
        a, b = Comparator("c", kind).prepare(arrow), Comparator("c", kind).prepare(plain)
        assert a.codes.dtype == np.int32 and (a.codes[7] == -1)
        np.testing.assert_array_equal(a.uniques[a.codes[a.codes >= 0]], b.uniques[b.codes[b.codes >= 0]])
        np.testing.assert_array_equal(a.codes < 0, b.codes < 0)
        np.testing.assert_array_equal(a.counts[a.codes[a.codes >= 0]], b.counts[b.codes[b.codes >= 0]])


def _name_rank_by_python(names: list, n: int) -> np.ndarray:
    """The definition: records ordered by their name keys' words, sorted and joined (stable on ties)."""
    texts = [" ".join(sorted(" ".join(str(p.uniques[p.codes[r]]) if p.codes[r] >= 0 else "" for p in names).split()))
             for r in range(n)]
    order = sorted(range(n), key=lambda r: texts[r])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


@pytest.mark.parametrize("batch", [2, 500_000])
def test_name_rank_orders_records_by_their_sorted_name_words(monkeypatch, batch):
    from crmcli.dedupe.compare import Comparator

    rng = np.random.default_rng(9)
    given = ["john", "anne marie", "", "Zoë", "张伟", "ann", "john paul", "émile", "z"]
    family = ["smith", "", "watson", "john", "李", "Anne", "o'neil"]
    n = 400
    frame = pd.DataFrame({"g": [given[i] for i in rng.integers(0, len(given), n)],
                          "f": [family[i] for i in rng.integers(0, len(family), n)]})
    names = [Comparator(c, "name").prepare(frame[c]) for c in ("g", "f")]
    monkeypatch.setattr(link, "TEXT_BATCH", batch)
    np.testing.assert_array_equal(link._name_rank(names, n), _name_rank_by_python(names, n))
