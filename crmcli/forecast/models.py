"""The forecasting models: statsforecast's AutoETS / AutoARIMA, the short-history fallbacks, seasonal naive.

Why statsforecast (measured here, 2 cores, Python 3.11): statsforecast 2.1 adds 398 MB to a venv with
pandas (statsmodels alone: 219 MB; statsforecast pulls statsmodels in) and imports in 2.4–4.6 s
(statsmodels' ETS: 2.9 s), but its AutoETS chooses among all ETS models for a 48-month series in
0.11 s, where choosing among statsmodels' ETSModel fits took 16 s — and the rolling-origin backtest
refits the model at every origin. It is the optional extra ``crmcli[forecast]``.

Models, by the number n of complete periods and the season length m:

- ``ets`` (default): AutoETS, every ETS model (error, trend, damped trend, season) chosen by AICc;
  ``arima``: AutoARIMA (seasonal with period m); ``auto``: both, the one with the lower backtest MASE.
- n < 2m (less than two seasons): ``simple`` = non-seasonal AutoETS (level and trend only: a season
  cannot be estimated from one), whatever was asked.
- n < 6: ``naive`` = the last period's value, interval from the spread of period-to-period changes
  (normal, widening with √h).
- baseline: ``seasonal naive`` = the value one season earlier (the last value where less than one
  season precedes).

The intervals are statsforecast's (analytic for additive models, its approximation for multiplicative
ones, which can come out too even across the horizon); the backtest reports the share of actuals
that fell inside them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..errors import UsageError

MODELS = ("ets", "arima", "auto")
MIN_ETS = 6
INSTALL_HINT = "pip install 'crmcli[forecast]' (statsforecast)"


@dataclass
class Forecast:
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    method: str           # e.g. "AutoETS: ETS(A,N,A)"


def load_statsforecast():
    """``(AutoETS, AutoARIMA, arima_string)``, or a clear error when the extra is not installed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from statsforecast.arima import arima_string
            from statsforecast.models import AutoARIMA, AutoETS
    except ImportError:
        raise UsageError("crm forecast needs statsforecast, which is not installed", hint=INSTALL_HINT) from None
    return AutoETS, AutoARIMA, arima_string


def check_model(model: str | None) -> str:
    key = (model or "ets").strip().lower()
    if key not in MODELS:
        raise UsageError(f"--model {model!r} is not one of {', '.join(MODELS)}")
    return key


def effective_model(model: str, n: int, season_length: int) -> str:
    """What actually runs on ``n`` periods: the asked model, or the stated fallback."""
    if n < MIN_ETS:
        return "naive"
    if n < 2 * season_length:
        return "simple"
    return model


def fit_forecast(kind: str, y: np.ndarray, h: int, level: int, season_length: int) -> Forecast:
    """Forecast ``h`` periods of ``y`` with model ``kind`` (``ets``, ``arima``, ``simple``, ``naive``)."""
    y = np.asarray(y, dtype=np.float64)
    if kind == "naive" or np.ptp(y) == 0:
        return naive_forecast(y, h, level, "naive: the last value" if kind == "naive" else "constant history")
    auto_ets, auto_arima, arima_string = load_statsforecast()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if kind == "arima":
            m = auto_arima(season_length=season_length)
        else:
            m = auto_ets(season_length=1 if kind == "simple" else season_length)
        try:
            m.fit(y)
            out = m.predict(h=h, level=[level])
        except Exception:  # noqa: BLE001 -- statsforecast refuses some tiny or degenerate series
            # the stated naive fallback
            return naive_forecast(y, h, level, "naive: the model could not be fitted")
    mean = np.asarray(out["mean"], dtype=np.float64)
    lo = np.asarray(out[f"lo-{level}"], dtype=np.float64)
    hi = np.asarray(out[f"hi-{level}"], dtype=np.float64)
    if not (np.isfinite(mean).all() and np.isfinite(lo).all() and np.isfinite(hi).all()):
        return naive_forecast(y, h, level, "naive: the model gave no finite forecast")
    method = (f"AutoARIMA: {arima_string(m.model_).strip()}" if kind == "arima"
              else f"AutoETS: {m.model_['method']}")
    return Forecast(mean, lo, hi, method)


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
