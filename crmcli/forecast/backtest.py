"""Rolling-origin backtest of a forecasting rule against seasonal naive.

Origins are the last K = min(8, n − 6) periods; at each origin o the rule is applied to the
periods before o exactly as :func:`crmcli.forecast.forecast_sales` would apply it to that much
history (so a short training window gets the short-history fallback), and forecasts 1 … H =
min(periods, n − o) steps ahead. All those forecasts are pooled:

- MAPE = mean |actual − forecast| ÷ |actual| over forecasts whose actual is not 0, in percent;
- MASE = mean |actual − forecast| ÷ the in-sample mean absolute error of seasonal naive on the
  training window (lag m; lag 1 when the window is shorter than m + 1): below 1 beats it in-sample;
- coverage = the share of actuals inside the forecast's interval (near the level when the interval
  is honest).

The baseline is seasonal naive over the same origins and steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models import MIN_ETS, effective_model, fit_forecast, seasonal_naive

MAX_ORIGINS = 8


@dataclass
class Backtest:
    model: str            # the models the origins ran, e.g. "simple+ets" (a short window gets the fallback)
    origins: int
    forecasts: int
    mape: float
    mase: float
    baseline_mape: float
    baseline_mase: float
    coverage: float       # share of actuals inside the forecast's interval (the level if the interval is right)


def mase_scale(train: np.ndarray, season_length: int) -> float:
    lag = season_length if len(train) > season_length else 1
    if len(train) <= lag:
        return float("nan")
    scale = float(np.mean(np.abs(train[lag:] - train[:-lag])))
    return scale if scale > 0 else float("nan")


def run_backtest(y: np.ndarray, *, model: str, horizon: int, level: int, season_length: int) -> Backtest | None:
    """The rolling-origin errors of ``model`` and of seasonal naive on ``y``; None when too short."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    k = min(MAX_ORIGINS, n - MIN_ETS)
    if k < 1:
        return None
    errs, base_errs, scaled, base_scaled, actuals, kinds, inside = [], [], [], [], [], [], []
    for o in range(n - k, n):
        train, h = y[:o], min(horizon, n - o)
        kind = effective_model(model, o, season_length)
        if kind not in kinds:
            kinds.append(kind)
        fc = fit_forecast(kind, train, h, level, season_length)
        pred = fc.mean
        base = seasonal_naive(train, h, season_length)
        truth = y[o:o + h]
        scale = mase_scale(train, season_length)
        errs.append(truth - pred)
        base_errs.append(truth - base)
        scaled.append(np.abs(truth - pred) / scale)
        base_scaled.append(np.abs(truth - base) / scale)
        actuals.append(truth)
        inside.append((truth >= fc.lo) & (truth <= fc.hi))
    e, b, a = np.concatenate(errs), np.concatenate(base_errs), np.concatenate(actuals)
    s, bs = np.concatenate(scaled), np.concatenate(base_scaled)
    nz = a != 0
    return Backtest(model="+".join(kinds), origins=k, forecasts=len(e),
                    mape=_mean(np.abs(e[nz]) / np.abs(a[nz])) * 100, mase=_mean(s),
                    baseline_mape=_mean(np.abs(b[nz]) / np.abs(a[nz])) * 100, baseline_mase=_mean(bs),
                    coverage=float(np.concatenate(inside).mean()))


def _mean(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")
