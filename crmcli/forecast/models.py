"""The forecasting models: statsmodels' ETS (chosen by AICc) and Theta, the short-history fallbacks, seasonal naive.

Why statsmodels (measured here, 2 cores, Python 3.11): statsforecast 2.1 (AutoETS) pins ``pandas<3``
(so do its fugue dependency's releases) — installing it replaced pandas 3.1 with 2.3 and broke 120 of the
project's tests — and adds 398 MB to a pandas venv. statsmodels 0.15 works with pandas 3, adds 67 MB to a
venv that already holds scipy (``crm clv`` needs it), imports in 2.8–3.2 s, and with the heuristic
initial states (Hyndman et al.) fits one ETS model of a 36-month series in ~0.02 s, so choosing among
all twelve below at every origin of the backtest stays within a few seconds.

Models, by the number n of complete periods and the season length m:

- ``ets`` (default): statsmodels' ``ETSModel``, the candidate with the lowest AICc among error A/M ×
  trend N/A/Ad × season N (and A/M when n ≥ 2m); multiplicative error or season only for positive
  series. ``theta``: statsmodels' ``ThetaModel`` (deseasonalized when n ≥ 2m, without its seasonality
  test). ``auto``: both, the one with the lower backtest MASE.
- n < 2m (less than two seasons): ``simple`` = ETS without a season (level and trend only: a season
  cannot be estimated from one), whatever was asked.
- n < 6: ``naive`` = the last period's value, interval from the spread of period-to-period changes
  (normal, widening with √h).
- baseline: ``seasonal naive`` = the value one season earlier (the last value where less than one
  season precedes).

Intervals: analytic for additive ETS models, simulated (1,000 paths, a fixed seed) for multiplicative
ones; Theta's are its analytic ones. The backtest reports the share of actuals that fell inside them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..errors import UsageError

MODELS = ("ets", "theta", "auto")
MIN_ETS = 6
HEURISTIC_MIN = 10          # statsmodels' heuristic initial states need 10 observations (and two seasons)
INSTALL_HINT = "pip install 'statsmodels>=0.15'"
TRENDS = ((None, False), ("add", False), ("add", True))
INIT = "heuristic"


@dataclass
class Forecast:
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    method: str           # e.g. "ETS(A,N,A)"


def load_statsmodels():
    """``(ETSModel, ThetaModel)``, or a clear error when statsmodels is missing."""
    try:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        from statsmodels.tsa.forecasting.theta import ThetaModel
    except ImportError:
        raise UsageError("crm forecast needs statsmodels, which is not installed", hint=INSTALL_HINT) from None
    return ETSModel, ThetaModel


def check_model(model: str | None) -> str:
    key = (model or "ets").strip().lower()
    if key not in MODELS:
        raise UsageError(f"{{opt:model}} {model!r} is not one of {', '.join(MODELS)}")
    return key


def effective_model(model: str, n: int, season_length: int) -> str:
    """What actually runs on ``n`` periods: the asked model, or the stated fallback."""
    if n < MIN_ETS:
        return "naive"
    if n < 2 * season_length:
        return "simple"
    return model


def fit_forecast(kind: str, y: np.ndarray, h: int, level: int, season_length: int) -> Forecast:
    """Forecast ``h`` periods of ``y`` with model ``kind`` (``ets``, ``theta``, ``simple``, ``naive``)."""
    y = np.asarray(y, dtype=np.float64)
    if kind == "naive" or np.ptp(y) == 0:
        return naive_forecast(y, h, level, "naive: the last value" if kind == "naive" else "constant history")
    # one BLAS thread: tiny problems, and spinning OpenBLAS threads on a busy machine made each L-BFGS-B step
    # milliseconds (see crmcli.clv.mle)
    with warnings.catch_warnings(), np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter; the backtest judges the result
        fc = theta_forecast(y, h, level, season_length) if kind == "theta" else \
            ets_forecast(y, h, level, season_length if kind == "ets" else 1)
    if fc is None or not (np.isfinite(fc.mean).all() and np.isfinite(fc.lo).all() and np.isfinite(fc.hi).all()):
        return naive_forecast(y, h, level, "naive: the model could not be fitted")
    return fc


def ets_candidates(y: np.ndarray, season_length: int) -> list[dict]:
    positive = bool((y > 0).all())
    seasons = [None] + (["add", "mul"] if season_length > 1 and len(y) >= 2 * season_length else [])
    out = []
    for error in ("add", "mul") if positive else ("add",):
        for trend, damped in TRENDS:
            for season in seasons:
                if season == "mul" and not positive or (error == "add" and season == "mul"):
                    continue  # A error with M season is numerically unstable (Hyndman et al.): left out
                out.append({"error": error, "trend": trend, "damped_trend": damped, "seasonal": season,
                            "seasonal_periods": season_length if season else None})
    return out


def ets_forecast(y: np.ndarray, h: int, level: int, season_length: int) -> Forecast | None:
    """The lowest-AICc ETS model of :func:`ets_candidates`, its forecast and interval."""
    ets_model, _ = load_statsmodels()
    init = "heuristic" if INIT == "heuristic" and len(y) >= HEURISTIC_MIN else "estimated"
    series = pd.Series(y)  # statsmodels 0.15's prediction needs an indexed endog
    best = None
    for spec in ets_candidates(y, season_length):
        try:
            res = ets_model(series, initialization_method=init, **spec).fit(disp=False)
        except Exception:  # noqa: BLE001, S112 -- a candidate statsmodels cannot fit is skipped
            continue
        if np.isfinite(res.aicc) and (best is None or res.aicc < best.aicc):
            best = res
    if best is None:
        return None
    n = len(y)
    try:
        pred = best.get_prediction(start=n, end=n + h - 1, simulate_repetitions=1000, rng=np.random.default_rng(0))
        frame = pred.summary_frame(alpha=1 - level / 100)
    except Exception:  # noqa: BLE001 -- no interval: the stated naive fallback takes over
        return None
    m = best.model
    trend = "N" if not m.trend else ("Ad" if m.damped_trend else "A")
    method = f"ETS({m.error[0].upper()},{trend},{m.seasonal[0].upper() if m.seasonal else 'N'})"
    return Forecast(frame["mean"].to_numpy(dtype=np.float64), frame["pi_lower"].to_numpy(dtype=np.float64),
                    frame["pi_upper"].to_numpy(dtype=np.float64), method)


def theta_forecast(y: np.ndarray, h: int, level: int, season_length: int) -> Forecast | None:
    _, theta_model = load_statsmodels()
    seasonal = season_length > 1 and len(y) >= 2 * season_length
    try:
        # with two seasons of history the season is removed without statsmodels' ACF test, which let a clear
        # yearly pattern through on the shop example (backtest MASE 1.48 / 1.41 with it, 1.03 / 0.74 without)
        res = theta_model(y, period=season_length if seasonal else 1, deseasonalize=seasonal,
                          use_test=False).fit()
        mean = np.asarray(res.forecast(h), dtype=np.float64)
        pi = res.prediction_intervals(h, alpha=1 - level / 100)
    except Exception:  # noqa: BLE001 -- the stated naive fallback takes over
        return None
    return Forecast(mean, pi["lower"].to_numpy(dtype=np.float64), pi["upper"].to_numpy(dtype=np.float64),
                    "Theta" + (f" (deseasonalized, period {season_length})" if seasonal else ""))


def naive_forecast(y: np.ndarray, h: int, level: int, method: str) -> Forecast:
    """The last value; interval ± z·σ(first differences)·√h (0 wide with fewer than 3 periods)."""
    last = float(y[-1])
    steps = np.arange(1, h + 1, dtype=np.float64)
    diffs = np.diff(y)
    sigma = float(np.std(diffs, ddof=1)) if len(diffs) >= 2 else 0.0
    z = NormalDist().inv_cdf(0.5 + level / 200)
    half = z * sigma * np.sqrt(steps)
    mean = np.full(h, last)
    return Forecast(mean, mean - half, mean + half, method)


def seasonal_naive(y: np.ndarray, h: int, season_length: int) -> np.ndarray:
    """The value one season earlier (repeating the last season); the last value with less than one season."""
    y = np.asarray(y, dtype=np.float64)
    if len(y) < season_length or season_length <= 1:
        return np.full(h, float(y[-1]))
    season = y[-season_length:]
    return season[np.arange(h) % season_length]
