"""BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): repeat purchases and P(alive).

Per customer: ``x`` repeat purchases (purchase days − 1), ``t_x`` time from the first to the last
purchase, ``T`` time from the first purchase to the end of observation, all in one time unit
(``crm`` uses days). Parameters ``r, alpha`` (gamma heterogeneity of the purchase rate; ``alpha``
is in the time unit) and ``a, b`` (beta heterogeneity of the drop-out probability).

The log-likelihood is written with ``gammaln`` / ``betaln`` and a log-sum-exp of its two
terms, so it stays finite for customers with hundreds of purchases; its gradient is analytic
(digamma). The conditional expectation uses Euler's transformation of ₂F₁, whose parameters then
do not grow with ``x``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from .mle import MleFit, fit_mle

NAMES = ("r", "alpha", "a", "b")


def _as_arrays(x, t_x, T, weights=None):
    x = np.asarray(x, dtype=np.float64)
    t_x = np.asarray(t_x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    return x, t_x, T, w


def log_likelihood_terms(params, x, t_x, T) -> np.ndarray:
    """Each customer's log-likelihood (in the time unit of ``t_x`` and ``T``)."""
    r, alpha, a, b = (float(p) for p in params)
    x, t_x, T, _ = _as_arrays(x, t_x, T)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    rep = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a3 = np.where(rep, betaln(a + 1, np.where(rep, b + x - 1, b)) - betaln(a, b)
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1 + np.logaddexp(a2, a3)


#: Rows of the likelihood evaluated at a time: each step's temporaries stay in the CPU's cache (measured on
#: 770,302 distinct histories: 66 ms an evaluation on whole arrays, 30 ms in blocks of 16,384).
BLOCK = 16_384


@dataclass
class LikelihoodData:
    """The fit's data: rows (x, t_x, T, weight) and the distinct values of x, T and t_x, where every
    special function and logarithm is evaluated (they depend on one of them only, and a million
    customers have a few hundred distinct x and, in days, a few thousand distinct T and t_x)."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    w: np.ndarray
    xs: np.ndarray       # the distinct x values
    xi: np.ndarray       # row -> position in xs
    Ts: np.ndarray       # the distinct T values
    Ti: np.ndarray       # row -> position in Ts
    ts: np.ndarray       # the distinct t_x values
    ti: np.ndarray       # row -> position in ts
    wx: np.ndarray       # the weight of each distinct x

    @classmethod
    def from_arrays(cls, x, t_x, T, w) -> LikelihoodData:
        xs, xi = np.unique(x, return_inverse=True)
        Ts, Ti = np.unique(T, return_inverse=True)
        ts, ti = np.unique(t_x, return_inverse=True)
        return cls(x, t_x, T, w, xs, xi.astype(np.intp), Ts, Ti.astype(np.intp), ts, ti.astype(np.intp),
                   np.bincount(xi, w, minlength=len(xs)))


def negative_log_likelihood(log_params, data: LikelihoodData) -> tuple[float, np.ndarray]:
    """−LL and its gradient with respect to the log parameters (the objective :func:`fit_bgnbd` minimizes).

    Per row the log-likelihood is ``g(x) + r log alpha + log(e^A2 + e^A3)`` with ``A2 = b2(x) − (r + x)
    log(alpha + T)`` and ``A3 = b3(x) − (r + x) log(alpha + t_x)``; with ``w2 = e^A2 / (e^A2 + e^A3)``
    every derivative is a part that depends on x alone (summed once over the distinct x, by weight)
    and a part weighted by ``w2`` (its per-x sums, ``s2``, collected by ``bincount``). The rows go
    through in fixed :data:`BLOCK` s, summed in order: the same data, the same bits."""
    r, alpha, a, b = np.exp(log_params)
    xs = data.xs
    rep_s = xs > 0
    bx1 = np.where(rep_s, b + xs - 1, b)  # unused where x = 0
    base = betaln(a, b)
    # the x-only parts, on the distinct x values
    g_r = gammaln(r + xs) - gammaln(r)
    b2 = betaln(a, b + xs) - base
    b3 = np.where(rep_s, betaln(a + 1, bx1) - base, -np.inf)
    dab, dbb = digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)
    d_abx = digamma(a + b + xs)
    dr_s = digamma(r + xs) - digamma(r)
    da2, da3 = digamma(a) - d_abx - dab, digamma(a + 1) - d_abx - dab
    db2 = digamma(b + xs) - d_abx - dbb
    db3 = np.where(rep_s, digamma(bx1) - d_abx - dbb, 0.0)
    # the T-only and t_x-only parts, on their distinct values
    lT_s, lt_s = np.log(alpha + data.Ts), np.log(alpha + data.ts)
    iT_s, it_s = 1.0 / (alpha + data.Ts), 1.0 / (alpha + data.ts)
    s_m = s_l = s_alpha = 0.0
    s2 = np.zeros(len(xs))
    with np.errstate(invalid="ignore"):
        for start in range(0, len(data.x), BLOCK):
            rows = slice(start, start + BLOCK)
            xi, Ti, ti, w = data.xi[rows], data.Ti[rows], data.ti[rows], data.w[rows]
            lT, lt = lT_s[Ti], lt_s[ti]
            rx = r + data.x[rows]
            a2 = b2[xi] - rx * lT
            a3 = b3[xi] - rx * lt          # -inf where x = 0: e = 0, w2 = 1
            # log(e^a2 + e^a3) and w2 from one exponential (numpy's logaddexp is 20x an exp)
            e = np.exp(-np.abs(a2 - a3))
            one_e = 1.0 + e
            w2 = np.where(a2 >= a3, 1.0, e) / one_e
            ww2 = w * w2
            s_m += np.dot(w, np.maximum(a2, a3) + np.log(one_e))
            s_l += np.dot(w, lt) + np.dot(ww2, lT - lt)
            it = it_s[ti]
            s_alpha += np.dot(w * rx, it + w2 * (iT_s[Ti] - it))
            s2 += np.bincount(xi, ww2, minlength=len(xs))
    total = float(data.w.sum())
    la = np.log(alpha)
    ll = np.dot(data.wx, g_r) + r * la * total + s_m
    d_r = np.dot(data.wx, dr_s) + la * total - s_l
    d_alpha = r / alpha * total - s_alpha
    d_a = np.dot(data.wx, da3) + np.dot(s2, da2 - da3)
    d_b = np.dot(data.wx, db3) + np.dot(s2, db2 - db3)
    grad = np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])
    return -float(ll), -grad


def fit_bgnbd(x, t_x, T, weights=None) -> tuple[dict[str, float], MleFit]:
    """Maximum-likelihood ``{r, alpha, a, b}`` (``alpha`` in the unit of ``t_x``/``T``) and the fit report.

    ``weights`` counts customers sharing one ``(x, t_x, T)``. Time is scaled by the mean ``T``
    inside the fit (better conditioning); ``alpha`` and the log-likelihood are reported unscaled.
    """
    x, t_x, T, w = _as_arrays(x, t_x, T, weights)
    scale = float(np.average(T, weights=w)) or 1.0
    data = LikelihoodData.from_arrays(x, t_x / scale, T / scale, w)
    rate = max(float(np.average(x, weights=w)), 1e-3)  # repeat purchases per (scaled) unit, roughly
    starts = [(1.0, 1.0 / rate, 1.0, 1.0), (0.25, 0.25 / rate, 0.8, 2.5), (2.0, 2.0 / rate, 0.3, 5.0),
              (0.5, 1.0, 2.0, 0.5)]
    fit = fit_mle(lambda p: negative_log_likelihood(p, data), starts, NAMES, float(w.sum()))
    r, alpha, a, b = fit.params
    params = {"r": float(r), "alpha": float(alpha * scale), "a": float(a), "b": float(b)}
    if np.isfinite(fit.log_likelihood):
        fit.log_likelihood = float(np.dot(w, log_likelihood_terms(tuple(params.values()), x, t_x, T)))
    return params, fit


def _params(params) -> tuple[float, float, float, float]:
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in NAMES)  # type: ignore[return-value]
    return tuple(float(p) for p in params)  # type: ignore[return-value]


def probability_alive(params, x, t_x, T) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x−1) ((α+T)/(α+t_x))^(r+x)); 1 for x = 0."""
    r, alpha, a, b = _params(params)
    x, t_x, T, _ = _as_arrays(x, t_x, T)
    rep = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = np.log(a) - np.log(np.where(rep, b + x - 1, 1.0)) + (r + x) * (np.log(alpha + T)
                                                                                 - np.log(alpha + t_x))
    return np.where(rep, expit(-log_odds), 1.0)


def expected_purchases_if_alive(params, t, x, T) -> np.ndarray:
    """E[purchases in (T, T+t] | x, T, still alive at T] (it does not depend on t_x).

    = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; t/(α+T+t))]
    (Fader et al. 2005, eq. 10, divided by P(alive), with Euler's transformation of ₂F₁).
    """
    r, alpha, a, b = _params(params)
    if abs(a - 1.0) < 1e-9:  # the formula's removable singularity at a = 1
        a = 1.0 + 1e-9
    x = np.asarray(x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    z = t / (alpha + T + t)
    c = a + b + x - 1
    tail = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, c, z)
    return c / (a - 1) * (1.0 - tail)


def cumulative_if_alive(params, ends, x, T) -> tuple[np.ndarray, np.ndarray]:
    """The expectation if alive up to each of ``ends`` (rows) for each distinct (x, T) (columns), and each
    customer's column: ₂F₁ is the costly part and depends on (x, T) only."""
    from .summary import compress

    ux, uT, _, inv = compress(np.asarray(x, dtype=np.float64), np.asarray(T, dtype=np.float64))
    cum = np.vstack([expected_purchases_if_alive(params, t, ux, uT) for t in ends]) if len(ends) else \
        np.zeros((0, len(ux)))
    return cum, inv


def expected_purchases(params, t, x, t_x, T) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] = P(alive) × the expectation if alive."""
    return probability_alive(params, x, t_x, T) * expected_purchases_if_alive(params, t, x, T)
