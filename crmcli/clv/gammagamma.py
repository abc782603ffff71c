"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie's note "The Gamma-Gamma Model
of Monetary Value"): the mean value ``z̄`` of a customer's ``x`` repeat purchases.

An order's value is gamma(p, ν) with ν gamma(q, v) across customers, so ``z̄ | x`` has the density
whose log is ``gammaln(px+q) − gammaln(px) − gammaln(q) + q ln v + (px−1) ln z̄ + px ln x
− (px+q) ln(x z̄ + v)``.
The model assumes value and frequency are independent; :func:`frequency_value_correlation` is the
check the papers make. ``v`` is in money units; the fit scales money by the mean ``z̄``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from .mle import MleFit, fit_mle

NAMES = ("p", "q", "v")


def log_likelihood_terms(params, x, mean_value) -> np.ndarray:
    p, q, v = (float(k) for k in params)
    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(mean_value, dtype=np.float64)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(z) + px * np.log(x)
            - (px + q) * np.log(x * z + v))


@dataclass
class LikelihoodData:
    """Repeat customers' x, mean value z (scaled), their logs and weights; ``xs``/``xi`` the distinct x."""

    x: np.ndarray
    z: np.ndarray
    lz: np.ndarray
    w: np.ndarray
    xs: np.ndarray
    xi: np.ndarray

    @classmethod
    def from_arrays(cls, x, z, w) -> LikelihoodData:
        xs, xi = np.unique(x, return_inverse=True)
        return cls(x, z, np.log(z), w, xs, xi)


def negative_log_likelihood(log_params, data: LikelihoodData) -> tuple[float, np.ndarray]:
    """−LL and its gradient with respect to the log parameters; special functions on the distinct x only."""
    p, q, v = np.exp(log_params)
    xs, xi, x, w = data.xs, data.xi, data.x, data.w
    pxs = p * xs
    lx = np.log(xs)
    g_s = gammaln(pxs + q) - gammaln(pxs) - gammaln(q) + pxs * lx
    dpq = digamma(pxs + q)
    dp_s = xs * (dpq - digamma(pxs) + lx)
    dq_s = dpq - digamma(q) + np.log(v)
    xz_v = x * data.z + v
    lxzv = np.log(xz_v)
    px = p * x
    ll = g_s[xi] + q * np.log(v) + (px - 1) * data.lz - (px + q) * lxzv
    d_p = dp_s[xi] + x * (data.lz - lxzv)
    d_q = dq_s[xi] - lxzv
    d_v = q / v - (px + q) / xz_v
    grad = np.array([np.dot(w, d) for d in (d_p, d_q, d_v)]) * np.array([p, q, v])
    return -float(np.dot(w, ll)), -grad


def fit_gamma_gamma(x, mean_value, weights=None) -> tuple[dict[str, float], MleFit]:
    """Maximum-likelihood ``{p, q, v}`` from repeat customers' ``x`` (> 0) and mean repeat value (> 0)."""
    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(mean_value, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    scale = float(np.average(z, weights=w)) or 1.0
    data = LikelihoodData.from_arrays(x, z / scale, w)
    starts = [(1.0, 1.0, 1.0), (5.0, 3.0, 3.0), (2.0, 5.0, 8.0), (10.0, 2.0, 0.5)]
    fit = fit_mle(lambda k: negative_log_likelihood(k, data), starts, NAMES, float(w.sum()))
    p, q, v = fit.params
    params = {"p": float(p), "q": float(q), "v": float(v * scale)}
    if np.isfinite(fit.log_likelihood):
        fit.log_likelihood = float(np.dot(w, log_likelihood_terms(tuple(params.values()), x, z)))
    return params, fit


def expected_order_value(params, x, mean_value) -> np.ndarray:
    """E[value of an order | x, z̄] = p (v + x z̄) / (p x + q − 1); for x = 0 the population mean p v / (q − 1).

    Needs ``q > 1`` (else the population mean is infinite).
    """
    p, q, v = (float(params[k]) for k in NAMES) if isinstance(params, dict) else (float(k) for k in params)
    x = np.asarray(x, dtype=np.float64)
    z = np.nan_to_num(np.asarray(mean_value, dtype=np.float64), nan=0.0)
    return p * (v + x * z) / (p * x + q - 1)


def frequency_value_correlation(x, mean_value) -> float:
    """Pearson correlation of repeat purchases and mean repeat value (the model assumes about 0)."""
    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(mean_value, dtype=np.float64)
    if len(x) < 3 or x.std() == 0 or z.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, z)[0, 1])
