"""Anchors: deterministic rules whose pairs are near-certain matches, to seed the estimation.

As Splink's ``estimate_probability_two_random_records_match`` counts pairs that deterministic rules match, a
pair agreeing exactly on an identifier (a normalized phone or email) *and* on every name field both records
fill, or on two identifiers, is taken as a match: its levels on the fields its rule did not test are labelled
evidence for those fields' m.
"""

from __future__ import annotations

import numpy as np

from .compare import NAME_KINDS, Comparator


def anchor_rules(comps: list[Comparator]) -> list[tuple[int, ...]]:
    """Deterministic rules as field-index tuples: each identifier with the name fields, and identifier pairs."""
    ids = [k for k, c in enumerate(comps) if c.identifier]
    names = tuple(k for k, c in enumerate(comps) if c.kind in NAME_KINDS)
    rules: list[tuple[int, ...]] = []
    if names:
        rules += [(i, *names) for i in ids]
    rules += [(i, j) for x, i in enumerate(ids) for j in ids[x + 1:]]
    return rules


def rule_mask(lv: np.ndarray, comps: list[Comparator], rule: tuple[int, ...]) -> np.ndarray:
    """Pairs satisfying ``rule``: exact on its identifiers, and exact on every name field both records fill
    (at least one)."""
    ok = np.ones(len(lv), dtype=bool)
    name_seen = np.zeros(len(lv), dtype=bool)
    has_name = False
    for k in rule:
        col, top = lv[:, k], comps[k].top
        if comps[k].kind in NAME_KINDS and not comps[k].identifier:
            has_name = True
            ok &= (col == top) | (col < 0)
            name_seen |= col == top
        else:
            ok &= col == top
    return ok & name_seen if has_name else ok


def rule_label(comps: list[Comparator], rule: tuple[int, ...]) -> str:
    return "+".join(comps[k].column for k in rule)
