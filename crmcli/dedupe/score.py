"""Scoring: Fellegi–Sunter match weights, estimated without labels in a way that cannot collapse.

For each field k and agreement level l there is ``m[k][l]`` = P(level | same record) and
``u[k][l]`` = P(level | different records). A pair's match weight is
``prior + sum_k log2(m[k][l_k] / u[k][l_k])`` (missing values add 0: neutral), its match
probability ``2**w / (1 + 2**w)``.

How the parameters are estimated (:meth:`Model.fit`), in this order:

1. ``u`` from random record pairs (all pairs of a small list); exact agreement from the value counts
   (``Prepared.u_exact``: a record never agrees with itself; small lists lean on the kind's prior ``u0``).
2. **Anchors**: candidate pairs that agree exactly on an identifier (a normalized phone or email) *and*
   on the name, or on two identifiers, are near-certain matches. Their levels on the *other* fields are
   labelled evidence for ``m`` (a field's m is never learned from a rule that tested it). They seed
   ``m`` (with the documented fallbacks ``KindSpec.m`` as a prior worth ``ANCHOR_STRENGTH`` pairs).
3. **EM training sessions** as Splink runs them (pairs blocked on one selective column learn the other
   columns' m), but maximum-a-posteriori: the seeded m is a prior worth ``EM_STRENGTH`` matches, so a
   session holding almost no matches (one duplicate in 60 records) stays at the seed instead of letting
   m collapse onto u; and exact agreement is never less likely for matches than for non-matches
   (``m[exact] >= u[exact]``, enforced at every step). A session with fewer than ``MIN_SESSION_PAIRS``
   pairs is not run; a field that no anchor and no session could learn keeps its fallback m.
4. **The prior** (the chance two random records match): EM on the candidate pairs with m and u fixed
   (one parameter: well posed), never below the anchors' own share (they are matches), as Splink's
   ``estimate_probability_two_random_records_match`` counts deterministic matches.

Term-frequency adjustment (Splink's): exact agreement on a value ``v`` that another record holds with
chance ``u_v`` gets ``log2(u_exact / u_v)`` added: agreeing on 张伟 or Smith counts for less than agreeing
on a rare name. ``Model.estimation`` describes, in one line, how the model was estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .anchors import anchor_rules, rule_label, rule_mask
from .compare import NAME_KINDS, Comparator, Prepared
from .pairs import count_patterns

SESSION_SAMPLE = 100_000  #: each EM training session runs on at most this many pairs
RANDOM_PAIRS = 50_000    #: random record pairs for u (all pairs when a list has fewer)
MIN_SESSION_PAIRS = 10   #: a training session needs at least this many pairs
ANCHOR_STRENGTH = 10.0   #: pairs of evidence the fallback m is worth against the anchors
EM_STRENGTH = 20.0       #: matches of evidence the seeded m is worth in an EM session
ROUNDS = 1               #: sessions then the prior, this many times (a second round was measured: no change)
ANCHOR_RECALL = 0.1      #: least share of (fillable) matches the anchor rules find: caps the prior
FLOOR = 1e-6


@dataclass
class Estimation:
    """How the model was estimated: what ``crm dedupe`` says in one line on stderr."""

    anchors: int = 0                                   #: near-certain pairs (identifier + name)
    anchor_rules: list[str] = field(default_factory=list)
    sessions: list[tuple[str, int]] = field(default_factory=list)   #: (blocked column, pairs) per EM session
    skipped: list[tuple[str, int]] = field(default_factory=list)    #: sessions with too few pairs
    fallback: list[str] = field(default_factory=list)  #: fields whose m is the documented default
    prior: float = 0.0
    prior_source: str = ""

    def line(self) -> str:
        parts = []
        if self.anchors:
            parts.append(f"{self.anchors} anchor pair{'s' if self.anchors != 1 else ''} "
                         f"({', '.join(self.anchor_rules)})")
        else:
            parts.append("no anchor pairs")
        if self.sessions:
            parts.append("EM sessions " + ", ".join(f"{c} ({p} pairs)" for c, p in self.sessions))
        if self.skipped:
            parts.append("too few pairs for " + ", ".join(f"{c} ({p})" for c, p in self.skipped))
        if self.fallback:
            parts.append("default m for " + ", ".join(self.fallback))
        parts.append(f"prior {self.prior:.3g} ({self.prior_source})")
        return "model: " + "; ".join(parts)


@dataclass
class Model:
    comparators: list[Comparator]
    prepared: list[Prepared]
    m: list[np.ndarray] = field(default_factory=list)
    u: list[np.ndarray] = field(default_factory=list)
    lam: float = 0.01
    iterations: int = 0
    estimation: Estimation = field(default_factory=Estimation)
    #: two person-name fields that data entry swaps (given name typed as surname): (i, j, both columns
    #: prepared in one key space, records of j offset by the number of records)
    swap: tuple[int, int, Prepared] | None = None

    # ------------------------------------------------------------- levels and weights

    def levels(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pairs × fields) agreement levels (int8, -1 missing) and similarities (float32).

        With ``swap``, a pair whose two name fields agree better crossed (Watson, Noah / Noah, Watson)
        is compared crossed.
        """
        n_f = len(self.comparators)
        lv = np.empty((len(left), n_f), dtype=np.int8)
        sim = np.empty((len(left), n_f), dtype=np.float32)
        for k, (comp, prep) in enumerate(zip(self.comparators, self.prepared)):
            lv[:, k], sim[:, k] = comp.compare(prep, left, right)
        if self.swap is not None and len(left):
            self._uncross(lv, sim, left, right)
        return lv, sim

    def _uncross(self, lv: np.ndarray, sim: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
        """Compare crossed the pairs where one name equals the other record's other name."""
        i, j, joint = self.swap
        n = len(self.prepared[i].codes)
        jc = joint.codes
        a_i, a_j, b_i, b_j = jc[left], jc[left + n], jc[right], jc[right + n]
        cand = np.flatnonzero(((a_i >= 0) & (a_i == b_j)) | ((a_j >= 0) & (a_j == b_i)))
        if len(cand) == 0:
            return
        l, r = left[cand], right[cand]
        ci, si = self.comparators[i].compare(joint, l, r + n)    # i of left vs j of right
        cj, sj = self.comparators[j].compare(joint, l + n, r)    # j of left vs i of right
        straight = np.maximum(lv[cand, i], 0).astype(np.int16) + np.maximum(lv[cand, j], 0)
        crossed = np.maximum(ci, 0).astype(np.int16) + np.maximum(cj, 0)
        use = (ci >= 0) & (cj >= 0) & (crossed > straight)
        rows = cand[use]
        lv[rows, i], lv[rows, j], sim[rows, i], sim[rows, j] = ci[use], cj[use], si[use], sj[use]

    @property
    def prior(self) -> float:
        lam = min(max(self.lam, FLOOR * FLOOR), 1 - FLOOR)
        return float(np.log2(lam / (1 - lam)))

    def tf_adjustment(self, k: int, records: np.ndarray) -> np.ndarray:
        """log2(u_exact / u_v) of field ``k``'s value held by ``records`` (added at the exact level)."""
        prep = self.prepared[k]
        return np.log2(prep.u_exact / prep.value_u(prep.codes[records]))

    def level_weights(self, k: int) -> np.ndarray:
        """log2(m/u) per level of field ``k``; a farther level never weighs more than a closer one (a level
        scoring above the next closer one is lowered to it, so a level no pair reaches changes nothing)."""
        w = np.log2(self.m[k] / self.u[k])
        return np.minimum.accumulate(w[::-1])[::-1].astype(np.float32)

    def field_weights(self, lv: np.ndarray, left: np.ndarray) -> np.ndarray:
        """(pairs × fields) weights: log2(m/u) of the level, TF-adjusted at the exact level, 0 if missing."""
        w = np.zeros(lv.shape, dtype=np.float32)
        for k, comp in enumerate(self.comparators):
            table = self.level_weights(k)
            col = lv[:, k]
            ok = col >= 0
            w[ok, k] = table[col[ok]]
            if comp.tf:
                top = ok & (col == comp.top)
                w[top, k] += self.tf_adjustment(k, left[top]).astype(np.float32)
        return w

    def score(self, lv: np.ndarray, left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(field weights, total match weight incl. prior) of pairs."""
        w = self.field_weights(lv, left)
        return w, w.sum(axis=1) + np.float32(self.prior)

    # ------------------------------------------------------------- fitting

    def fit(self, sessions: list[tuple[int | None, np.ndarray]], n_records: int, n_candidates: int,
            candidates: tuple[np.ndarray, np.ndarray], *, seed: int = 0, max_iter: int = 40,
            tol: float = 1e-5) -> Model:
        """Estimate ``u``, anchor and learn ``m``, then the prior (see the module docstring).

        ``sessions`` are ``(blocked_field, levels)``: the levels of pairs blocked on ``blocked_field``;
        ``candidates`` the distinct level patterns of all ``n_candidates`` candidate pairs and how many pairs
        show each (:func:`~crmcli.dedupe.pairs.count_patterns`): exactly what the anchors and EM need.
        """
        rng = np.random.default_rng(seed)
        est = self.estimation = Estimation()
        self.u = self._random_u(n_records, rng)
        n_f = len(self.comparators)
        total_pairs = max(n_records * (n_records - 1) / 2, 1.0)
        lv_c, count_c = candidates

        # 2. anchors seed m
        rules = anchor_rules(self.comparators)
        masks = [rule_mask(lv_c, self.comparators, r) for r in rules]
        any_anchor = np.zeros(len(lv_c), dtype=bool)
        for mask in masks:
            any_anchor |= mask
        est.anchors = int(round(count_c[any_anchor].sum()))
        est.anchor_rules = [rule_label(self.comparators, r) for r, mask in zip(rules, masks) if mask.any()]
        seeded, learned_by_anchor = [], []
        for k, comp in enumerate(self.comparators):
            free = np.zeros(len(lv_c), dtype=bool)
            for r, mask in zip(rules, masks):
                if k not in r:
                    free |= mask
            col, weight = lv_c[free, k], count_c[free]
            ok = col >= 0
            counts = np.bincount(col[ok], weights=weight[ok], minlength=comp.top + 1).astype(np.float64)
            seeded.append(_constrain((counts + ANCHOR_STRENGTH * comp.default_m) / (counts.sum() + ANCHOR_STRENGTH),
                                     self.u[k]))
            learned_by_anchor.append(counts.sum() > 0)

        # 3. EM sessions, maximum-a-posteriori around the seed, their share of matches fixed by the prior;
        # 4. the prior: expected matches among the candidates (EM with m, u fixed), over all pairs.
        # Two rounds: the prior from the seeded m sets the sessions' share of matches, then again.
        floor = est.anchors / total_pairs
        # at least ANCHOR_RECALL of the matches whose records fill a rule's fields satisfy it (as Splink's
        # estimate_probability_two_random_records_match states a recall): the prior's ceiling
        fill = max((self._rule_fill(r, n_records) for r in rules), default=0.0)
        ceiling = est.anchors / (ANCHOR_RECALL * fill) / total_pairs if est.anchors and fill else 0.5
        sessions = [(b, _without(lv[rng.choice(len(lv), SESSION_SAMPLE, replace=False)] if len(lv) > SESSION_SAMPLE
                                 else lv, b)) for b, lv in sessions]
        self.m = seeded
        self.lam = self._fit_prior(candidates, n_candidates, total_pairs, floor, ceiling, max_iter, tol)
        for _ in range(ROUNDS):
            learned: list[list[np.ndarray]] = [[] for _ in range(n_f)]
            est.sessions, est.skipped = [], []
            for blocked, lv in sessions:
                name = self.comparators[blocked].column if blocked is not None else "candidates"
                if len(lv) < MIN_SESSION_PAIRS:
                    est.skipped.append((name, len(lv)))
                    continue
                fields = [k for k in range(n_f) if k != blocked]
                m, _, it = em(lv, fields, self.u, seeded, self._session_share(blocked), max_iter, tol,
                              fit_lam=False, prior_m=seeded, strength=EM_STRENGTH)
                est.sessions.append((name, len(lv)))
                self.iterations += it
                for k in fields:
                    learned[k].append(m[k])
            self.m = [_constrain(np.mean(ms, axis=0), u) if ms else s
                      for ms, s, u in zip(learned, seeded, self.u)]
            self.lam = self._fit_prior(candidates, n_candidates, total_pairs, floor, ceiling, max_iter, tol)
        est.fallback = [c.column for c, ms, a in zip(self.comparators, learned, learned_by_anchor) if not ms and not a]
        est.prior_source = ("the anchor pairs" if self.lam <= floor else
                            f"capped at {1 / ANCHOR_RECALL:g}x the anchors" if self.lam >= ceiling * 0.999 else
                            "EM on the candidate pairs")
        est.prior = self.lam
        return self

    def _fit_prior(self, candidates: tuple[np.ndarray, np.ndarray], n_candidates: int, total_pairs: float,
                   floor: float, ceiling: float, max_iter: int, tol: float) -> float:
        """The chance two random records match: EM's share of matches among the candidates (m, u fixed),
        scaled to all pairs, between the anchors' own share and what the anchors' least recall allows."""
        _, lam_c, it = em(candidates[0], [], self.u, self.m, 0.1, max_iter, tol, fit_lam=True,
                          counts=candidates[1])
        self.iterations += it
        lam = min(lam_c * n_candidates / total_pairs, ceiling)
        return min(max(lam, floor, FLOOR * FLOOR), 0.5)

    def _rule_fill(self, rule: tuple[int, ...], n: int) -> float:
        """Chance that both records of a random pair fill what ``rule`` tests."""
        share = {k: self.prepared[k].filled / max(n, 1) for k in rule}
        names = [share[k] for k in rule if self.comparators[k].kind in NAME_KINDS]
        q = float(np.prod([share[k] ** 2 for k in rule if self.comparators[k].kind not in NAME_KINDS]))
        return q * (max(names) ** 2 if names else 1.0)

    def _session_share(self, blocked: int | None) -> float:
        """Share of matches among pairs that agree exactly on ``blocked`` (Bayes' rule on the prior)."""
        if blocked is None:
            return self.lam
        bf = self.m[blocked][-1] / self.u[blocked][-1]
        odds = self.lam / (1 - self.lam) * bf
        return float(min(max(odds / (1 + odds), 1e-9), 0.999))

    def _random_u(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        total = n * (n - 1) // 2
        if total <= RANDOM_PAIRS:   # a small list: every pair
            a, b = np.triu_indices(max(n, 1), 1)
        else:
            a = rng.integers(0, n, RANDOM_PAIRS)
            b = rng.integers(0, n, RANDOM_PAIRS)
            keep = a != b
            a, b = a[keep], b[keep]
        lv, _ = self.levels(a, b)
        out = []
        for j, comp in enumerate(self.comparators):
            col = lv[:, j]
            cnt = np.bincount(col[col >= 0], minlength=comp.top + 1).astype(np.float64)
            cnt[comp.top] = 0.0
            u = (cnt + 0.5) / (cnt.sum() + 0.5 * (comp.top + 1))   # levels below exact, from the pairs
            u[comp.top] = max(self.prepared[j].u_exact, FLOOR * FLOOR)   # exact: from the value counts
            u[:comp.top] *= (1 - u[comp.top]) / u[:comp.top].sum()
            out.append(u)
        return out


# ----------------------------------------------------------------------------------- EM


def em(lv: np.ndarray, fields: list[int], u: list[np.ndarray], m: list[np.ndarray], lam: float,
       max_iter: int, tol: float, fit_lam: bool, prior_m: list[np.ndarray] | None = None,
       strength: float = 0.0, counts: np.ndarray | None = None) -> tuple[list[np.ndarray], float, int]:
    """EM with ``u`` fixed: re-estimate ``m`` of ``fields`` (and ``lam``) from the pairs' levels.

    EM runs over distinct level patterns weighted by how many pairs show each (exact: the likelihood
    depends on a pair only through its pattern); ``counts`` given, ``lv`` already holds the patterns.
    With ``prior_m``, each M step is maximum-a-posteriori: ``prior_m`` counts as ``strength`` matches.
    Exact agreement never ends less likely for matches than for non-matches (``m[exact] >= u[exact]``).
    """
    m = [x.copy() for x in m]
    lv, count = count_patterns(lv) if counts is None else (lv, counts)
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
            mk = np.bincount(col[ok], weights=(post * count)[ok], minlength=len(m[k]))
            if prior_m is not None:
                mk = mk + strength * prior_m[k]
            mk = _constrain(np.maximum(mk + 1e-3, 0) / (mk.sum() + 1e-3 * len(mk)), u[k])
            delta = max(delta, float(np.abs(mk - m[k]).max()))
            m[k] = mk
        if delta < tol:
            break
    return m, lam, it


def _without(lv: np.ndarray, blocked: int | None) -> np.ndarray:
    """A session's levels with its blocked field set missing: the share of matches already counts it."""
    if blocked is None:
        return lv
    lv = lv.copy()
    lv[:, blocked] = -1
    return lv


def _constrain(m: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Exact agreement is never evidence against a match (m >= u), nor "differ" evidence for one (m <= u)."""
    m = np.maximum(np.asarray(m, dtype=np.float64), FLOOR)
    m = m / m.sum()
    if m[-1] < u[-1]:
        m[:-1] *= (1 - u[-1]) / m[:-1].sum()
        m[-1] = u[-1]
    if m[0] > u[0] and len(m) > 1:
        spare = m[0] - u[0]
        m[0] = u[0]
        m[1:] += spare * m[1:] / m[1:].sum()
    return m / m.sum()


def probability(weight: np.ndarray) -> np.ndarray:
    """Match probability of a match weight (log2 odds)."""
    return 1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60)))


def weight_of(prob: float) -> float:
    """The match weight (log2 odds) of a probability."""
    p = min(max(prob, 1e-12), 1 - 1e-12)
    return float(np.log2(p / (1 - p)))
