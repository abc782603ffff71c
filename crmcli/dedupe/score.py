"""Scoring: Fellegi–Sunter match weights, learned without labels by EM.

For each field k and agreement level l there is ``m[k][l]`` = P(level | same person) and
``u[k][l]`` = P(level | different people). A pair's match weight is
``prior + sum_k log2(m[k][l_k] / u[k][l_k])`` (missing values add 0: neutral), its match
probability ``2**w / (1 + 2**w)``. ``m``, ``u`` and the share of matches among candidate pairs
(``lam``, the prior) are fitted by expectation–maximisation on the candidate pairs (a two-class
latent model, as recordlinkage's ECM and Splink do), started from ``u`` measured on random record
pairs.

Term-frequency adjustment (Splink's): exact agreement on a value ``v`` held by a share ``p_v`` of
records gets ``log2(u_exact / p_v)`` added, where ``u_exact = sum_v p_v**2`` is the chance two
random records agree at all. Agreeing on 张伟 or Smith counts for less than agreeing on a rare name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .compare import Comparator, Prepared

EM_SAMPLE = 400_000      #: EM runs on at most this many candidate pairs (a seeded sample)
SESSION_SAMPLE = 100_000  #: each EM training session runs on at most this many pairs
RANDOM_PAIRS = 50_000    #: random record pairs for the starting u
FLOOR = 1e-6


@dataclass
class Model:
    comparators: list[Comparator]
    prepared: list[Prepared]
    m: list[np.ndarray] = field(default_factory=list)
    u: list[np.ndarray] = field(default_factory=list)
    lam: float = 0.01
    iterations: int = 0

    # ------------------------------------------------------------- levels and weights

    def levels(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pairs × fields) agreement levels (int8, -1 missing) and similarities (float32)."""
        n_f = len(self.comparators)
        lv = np.empty((len(left), n_f), dtype=np.int8)
        sim = np.empty((len(left), n_f), dtype=np.float32)
        for k, (comp, prep) in enumerate(zip(self.comparators, self.prepared)):
            lv[:, k], sim[:, k] = comp.compare(prep, left, right)
        return lv, sim

    @property
    def prior(self) -> float:
        lam = min(max(self.lam, FLOOR), 1 - FLOOR)
        return float(np.log2(lam / (1 - lam)))

    def field_weights(self, lv: np.ndarray, left: np.ndarray) -> np.ndarray:
        """(pairs × fields) weights: log2(m/u) of the level, TF-adjusted at the exact level, 0 if missing."""
        w = np.zeros(lv.shape, dtype=np.float32)
        for k, (comp, prep) in enumerate(zip(self.comparators, self.prepared)):
            table = np.log2(self.m[k] / self.u[k]).astype(np.float32)
            col = lv[:, k]
            ok = col >= 0
            w[ok, k] = table[col[ok]]
            if comp.tf:
                top = ok & (col == comp.top)
                p_v = prep.freq[prep.codes[left[top]]]
                w[top, k] += np.log2(prep.u_exact / np.maximum(p_v, FLOOR)).astype(np.float32)
        return w

    def score(self, lv: np.ndarray, left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(field weights, total match weight incl. prior) of pairs."""
        w = self.field_weights(lv, left)
        return w, w.sum(axis=1) + np.float32(self.prior)

    # ------------------------------------------------------------- fitting

    def fit(self, sessions: list[tuple[int | None, np.ndarray]], n_records: int, n_candidates: int,
            candidate_levels: np.ndarray, *, seed: int = 0, max_iter: int = 40, tol: float = 1e-5) -> Model:
        """Estimate ``u`` on random pairs, ``m`` by EM training sessions, and the prior.

        Each session is ``(blocked_field, levels)``: the levels of the candidate pairs that agree exactly on
        ``blocked_field`` (as if blocked on it).
        As in Splink, ``u`` is fixed (random pairs) and a session does not learn ``m`` of the field it
        was blocked on (every pair agrees there by construction); each field's ``m`` is the mean over
        the sessions that learned it. The prior ``lam`` is the share of matches among *all* record
        pairs: EM on the candidate pairs gives their expected number of matches.
        """
        rng = np.random.default_rng(seed)
        self.u = self._random_u(n_records, rng)
        n_f = len(self.comparators)
        learned: list[list[np.ndarray]] = [[] for _ in range(n_f)]
        for blocked, lv in sessions:
            if len(lv) > SESSION_SAMPLE:
                lv = lv[rng.choice(len(lv), SESSION_SAMPLE, replace=False)]
            if len(lv) < 10:
                continue
            fields = [k for k in range(n_f) if k != blocked]
            m, _, it = _em(lv, fields, [self.u[k] for k in range(n_f)],
                           [_start_m(c.top + 1) for c in self.comparators], 0.1, max_iter, tol, fit_lam=True)
            self.iterations += it
            for k in fields:
                learned[k].append(m[k])
        self.m = [np.mean(ms, axis=0) if ms else _start_m(c.top + 1) for ms, c in zip(learned, self.comparators)]
        self.m = [_monotone(m, u) for m, u in zip(self.m, self.u)]
        # prior: expected matches among the candidates, over all pairs
        lv = candidate_levels
        if len(lv) > EM_SAMPLE:
            lv = lv[rng.choice(len(lv), EM_SAMPLE, replace=False)]
        _, lam_c, it = _em(lv, [], self.u, self.m, 0.1, max_iter, tol, fit_lam=True)
        self.iterations += it
        total_pairs = max(n_records * (n_records - 1) / 2, 1.0)
        self.lam = min(max(lam_c * n_candidates / total_pairs, FLOOR * FLOOR), 0.5)
        return self

    def _random_u(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        k = min(RANDOM_PAIRS, max(n * (n - 1) // 2, 1))
        a = rng.integers(0, max(n, 1), k)
        b = rng.integers(0, max(n, 1), k)
        keep = a != b
        lv, _ = self.levels(a[keep], b[keep])
        out = []
        for j, comp in enumerate(self.comparators):
            col = lv[:, j]
            cnt = np.bincount(col[col >= 0], minlength=comp.top + 1).astype(np.float64) + 0.5
            u = cnt / cnt.sum()
            u[comp.top] = max(self.prepared[j].u_exact, FLOOR)   # exact: known without sampling
            out.append(u / u.sum())
        return out


def _em(lv: np.ndarray, fields: list[int], u: list[np.ndarray], m: list[np.ndarray], lam: float,
        max_iter: int, tol: float, fit_lam: bool) -> tuple[list[np.ndarray], float, int]:
    """EM with ``u`` fixed: re-estimate ``m`` of ``fields`` (and ``lam``) from the pairs' levels."""
    m = [x.copy() for x in m]
    lv, count = _patterns(lv)   # EM over distinct level patterns, weighted by how many pairs show each
    log_u0 = np.zeros(len(lv))
    for k in range(len(u)):
        col = lv[:, k]
        ok = col >= 0
        log_u0[ok] += np.log(u[k])[col[ok]]
    it = 0
    for it in range(1, max_iter + 1):
        log_m = np.zeros(len(lv))
        for k in range(len(m)):
            col = lv[:, k]
            ok = col >= 0
            log_m[ok] += np.log(m[k])[col[ok]]
        odds = np.clip(np.log(lam) - np.log(1 - lam) + log_m - log_u0, -700, 700)
        post = 1.0 / (1.0 + np.exp(-odds))
        delta = 0.0
        if fit_lam and count.sum() > 0:  # no pair at all: keep the prior (the mean of nothing is NaN)
            new_lam = min(max(float((post * count).sum() / count.sum()), 1e-9), 1 - 1e-9)
            delta = abs(new_lam - lam)
            lam = new_lam
        for k in fields:
            col = lv[:, k]
            ok = col >= 0
            mk = np.bincount(col[ok], weights=(post * count)[ok], minlength=len(m[k])) + 1e-3
            mk = np.maximum(mk / mk.sum(), FLOOR)
            delta = max(delta, float(np.abs(mk - m[k]).max()))
            m[k] = mk
        if delta < tol:
            break
    return m, lam, it


def _patterns(lv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of the (pairs × fields) levels and how often each occurs."""
    if len(lv) == 0:
        return lv, np.zeros(0)
    n_f = lv.shape[1]
    shifted = lv.astype(np.int64) + 1
    if n_f > 21 or shifted.max(initial=0) >= 8:   # does not fit 3 bits a field in an int64
        uniq, count = np.unique(lv, axis=0, return_counts=True)
        return uniq, count.astype(np.float64)
    code = (shifted << (3 * np.arange(n_f, dtype=np.int64))).sum(axis=1)
    inv, ucode = pd.factorize(code, sort=False)      # hash-based, no sort
    count = np.bincount(inv).astype(np.float64)
    uniq = ((ucode[:, None] >> (3 * np.arange(n_f, dtype=np.int64))) & 7) - 1
    return uniq.astype(np.int8), count


def _monotone(m: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Agreement is never evidence against a match, nor "differ" evidence for one."""
    m = m.copy()
    if m[-1] < u[-1]:
        m[-1] = u[-1]
    if m[0] > u[0]:
        m[0] = u[0]
    return m / m.sum()


def _start_m(n_levels: int) -> np.ndarray:
    m = np.geomspace(0.02, 1.0, n_levels)
    m[-1] = 0.9 * m.sum()
    return m / m.sum()


def probability(weight: np.ndarray) -> np.ndarray:
    """Match probability of a match weight (log2 odds)."""
    return 1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60)))


def weight_of(prob: float) -> float:
    """The match weight (log2 odds) of a probability."""
    p = min(max(prob, 1e-12), 1 - 1e-12)
    return float(np.log2(p / (1 - p)))
