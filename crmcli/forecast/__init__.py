"""Sales forecast: revenue and orders for the next periods with an interval, backtested against seasonal naive.

One call::

    result = forecast_sales(orders, by="month", periods=6, level=80, model="ets", as_of=None)
    result.table      # period, start, kind (actual|forecast), revenue, revenue_lo, revenue_hi,
                      # orders, orders_lo, orders_hi  (lo/hi only on forecast rows)
    result.backtest   # series, model, origins, forecasts, mape, mase, coverage, baseline_mape, baseline_mase, …
    result.methods    # series -> the model that made the forecast, e.g. "ETS(M,A,M)"

``series`` builds the per-period history, ``models`` holds the models and why statsmodels,
``backtest`` the rolling-origin evaluation. Lower interval bounds are clipped at 0 for orders, and
for revenue when no period of the history had negative revenue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..clv.summary import read_orders
from ..errors import DataError, UsageError
from ..formats import ESTIMATE, MONEY
from ..options import parse_as_of
from .backtest import Backtest, run_backtest
from .models import INSTALL_HINT, MIN_ETS, MODELS, check_model, effective_model, fit_forecast, load_statsmodels
from .series import PERIODS, SERIES, PeriodSeries, build_series, check_by, future_periods

DEFAULT_PERIODS = {"week": 13, "month": 6, "quarter": 4}
MIN_PERIODS = 3
TABLE_COLUMNS = ["period", "start", "kind", "revenue", "revenue_lo", "revenue_hi", "orders", "orders_lo", "orders_hi"]
BACKTEST_COLUMNS = ["series", "model", "origins", "forecasts", "mape", "mase", "coverage", "baseline_mape",
                    "baseline_mase", "beats_baseline", "chosen"]

#: Number formats of ``crm forecast``'s xlsx sheets (predicted orders keep a decimal).
FORECAST_FORMATS = {
    "forecast": {**dict.fromkeys(("revenue", "revenue_lo", "revenue_hi"), MONEY),
                 **dict.fromkeys(("orders", "orders_lo", "orders_hi"), ESTIMATE)},
    "backtest": {"mape": "0.0", "mase": "0.000", "coverage": "0%", "baseline_mape": "0.0", "baseline_mase": "0.000"},
}

__all__ = ["FORECAST_FORMATS", "BACKTEST_COLUMNS", "DEFAULT_PERIODS", "INSTALL_HINT", "MODELS", "PERIODS", "TABLE_COLUMNS",
           "ForecastResult", "describe_forecast", "forecast_sales", "load_statsmodels"]


@dataclass
class ForecastResult:
    table: pd.DataFrame
    backtest: pd.DataFrame
    methods: dict[str, str]
    history: PeriodSeries
    by: str
    periods: int
    level: int
    as_of: pd.Timestamp
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)


def check_options(by: str | None, periods: Any, level: Any, model: str | None) -> tuple[str, int, int, str]:
    key = check_by(by)
    try:
        n = DEFAULT_PERIODS[key] if periods is None else int(periods)
    except (TypeError, ValueError):
        raise UsageError(f"{{opt:periods}} {periods!r} is not a whole number") from None
    if n < 1 or n > 520:
        raise UsageError(f"{{opt:periods}} must be from 1 to 520, got {periods!r}")
    try:
        lv = int(level)
    except (TypeError, ValueError):
        raise UsageError(f"{{opt:level}} {level!r} is not a whole percentage", hint="e.g. {opt:level} 80") from None
    if not 50 <= lv <= 99:
        raise UsageError(f"{{opt:level}} must be a percentage from 50 to 99, got {level!r}", hint="e.g. {opt:level} 95")
    return key, n, lv, check_model(model)


def forecast_sales(orders: Any, *, by: str | None = "month", periods: int | None = None, level: int = 80,
                   model: str | None = "ets", as_of: Any = None, customer: str | None = None,
                   overrides: Mapping[str, str] | None = None, region: str = "CN",
                   dayfirst: bool | None = None, read: Any = None,
                   statuses: Mapping[str, str] | None = None) -> ForecastResult:
    """Forecast revenue and orders per ``by`` period for the next ``periods`` (see the module docstring).

    ``orders``: a :func:`~crmcli.io.read_table` frame, a :class:`~crmcli.orders.PreparedOrders` or a
    typed frame (``customer_id``, ``order_date``, ``amount``, optional bool ``is_purchase``).
    """
    by, periods, level, model = check_options(by, periods, level, model)
    load_statsmodels()  # fail early and clearly when statsmodels is missing
    inp = read_orders(orders, read=read, overrides=overrides, customer=customer, region=region, dayfirst=dayfirst,
                      statuses=statuses)
    frame = inp.orders
    notes = list(inp.notes)
    dropped = dict(inp.dropped)
    if frame.empty:
        raise DataError("no orders with a valid date and amount to forecast from",
                        hint="check the date/amount columns (crm inspect FILE), or {opt:map} them")
    as_of_ts = parse_as_of(as_of) or frame["order_date"].max().normalize()
    first = frame["order_date"].min().normalize()
    if as_of_ts < first:
        raise DataError(f"as-of {as_of_ts.date()} is before the first order ({first.date()})", hint="check {opt:as_of}")
    later = int((frame["order_date"].dt.normalize() > as_of_ts).sum())
    if later:
        dropped["after-as-of"] = later
    history = build_series(frame, by=by, as_of=as_of_ts)
    n = len(history.frame)
    m = history.season_length
    if history.partial:
        notes.append(f"{history.partial} is not complete (data to {history.partial_to.date()}): left out of the fit; "
                     f"give --as-of the period's last day if the data is complete")
    if n < MIN_PERIODS:
        raise DataError(f"{n} complete {by}{'' if n == 1 else 's'} of history: too short to forecast "
                        f"(needs at least {MIN_PERIODS})",
                        hint="use a shorter {opt:by} (week), or wait for more history")
    kind = effective_model(model, n, m)
    if kind == "simple":
        notes.append(f"{n} {by}s is less than two seasons ({2 * m}): the fallback is non-seasonal exponential "
                     f"smoothing (ETS without a season)")
    elif kind == "naive":
        notes.append(f"{n} {by}s is too short for exponential smoothing (needs {MIN_ETS}): the fallback is naive "
                     f"(the last value; interval from the spread of changes)")
    rows, methods, bt_rows = {}, {}, []
    for name in SERIES:
        y = history.frame[name].to_numpy(dtype=np.float64)
        candidates = ["ets", "theta"] if kind == "auto" else [kind]
        results = {c: run_backtest(y, model=c, horizon=periods, level=level, season_length=m) for c in candidates}
        chosen = candidates[0]
        if kind == "auto":
            scored = [(r.mase if r and not math.isnan(r.mase) else np.inf, i, c)
                      for i, (c, r) in enumerate(results.items())]
            chosen = min(scored)[2]
        fc = fit_forecast(chosen, y, periods, level, m)
        floor = 0.0 if name == "orders" or (y >= 0).all() else -np.inf
        rows[name] = (np.maximum(fc.mean, floor), np.maximum(fc.lo, floor), np.maximum(fc.hi, floor))
        methods[name] = fc.method
        seen = set()
        for c, r in results.items():
            if r is not None and r.model in seen:
                continue  # the same models ran at every origin (a short history): one row
            seen.add(r.model if r is not None else c)
            bt_rows.append(_backtest_row(name, c, r, chosen=(c == chosen)))
        if all(r is None for r in results.values()):
            notes.append(f"{name}: too short for a backtest (needs {MIN_ETS + 1} periods)")
    labels, starts = future_periods(history.frame["start"].iloc[-1], by, periods)
    actual = history.frame.assign(kind="actual")
    future = pd.DataFrame({"period": labels, "start": starts, "kind": "forecast",
                           "revenue": rows["revenue"][0], "revenue_lo": rows["revenue"][1],
                           "revenue_hi": rows["revenue"][2], "orders": rows["orders"][0],
                           "orders_lo": rows["orders"][1], "orders_hi": rows["orders"][2]})
    table = pd.concat([actual, future], ignore_index=True).reindex(columns=TABLE_COLUMNS)
    table["kind"] = table["kind"].astype("str")
    table["period"] = table["period"].astype("str")
    backtest = pd.DataFrame(bt_rows, columns=BACKTEST_COLUMNS)
    return ForecastResult(table=table, backtest=backtest, methods=methods, history=history, by=by, periods=periods,
                          level=level, as_of=as_of_ts, dropped=dropped, notes=notes, mapping=inp.mapping)


def _backtest_row(series: str, model: str, r: Backtest | None, *, chosen: bool) -> dict[str, Any]:
    if r is None:
        return {"series": series, "model": model, "origins": 0, "forecasts": 0, "mape": np.nan, "mase": np.nan,
                "coverage": np.nan, "baseline_mape": np.nan, "baseline_mase": np.nan, "beats_baseline": "", "chosen": chosen}
    known = not (math.isnan(r.mase) or math.isnan(r.baseline_mase))
    beats = ("yes" if r.mase < r.baseline_mase else "no") if known else ""
    return {"series": series, "model": r.model, "origins": r.origins, "forecasts": r.forecasts, "mape": r.mape,
            "mase": r.mase, "coverage": r.coverage, "baseline_mape": r.baseline_mape, "baseline_mase": r.baseline_mase,
            "beats_baseline": beats, "chosen": chosen}


def describe_forecast(result: ForecastResult) -> list[str]:
    """What was forecast and how well the rule did in the backtest, in a few lines."""
    h = result.history.frame
    span = f"{h['period'].iloc[0]} … {h['period'].iloc[-1]}" if len(h) else "-"
    head = (f"forecast: revenue and orders per {result.by}, {len(h)} complete {result.by}s of history ({span}), "
            f"next {result.periods} {result.by}s, {result.level}% interval")
    lines = [head, "model: " + "; ".join(f"{name} {method}" for name, method in result.methods.items())]
    for r in result.backtest.itertuples(index=False):
        if not r.origins:
            continue
        mark = " (chosen)" if r.chosen and (result.backtest["series"] == r.series).sum() > 1 else ""
        verdict = {"yes": " -> beats seasonal naive (MASE)", "no": " -> does NOT beat seasonal naive (MASE)"}
        lines.append(f"backtest {r.series}, {r.model}{mark}: {r.origins} origins, {r.forecasts} forecasts 1-"
                     f"{min(result.periods, r.origins)} {result.by}s ahead: MAPE {_pct(r.mape)}, MASE {_num(r.mase)}, "
                     f"{r.coverage:.0%} inside the {result.level}% interval; "
                     f"seasonal naive MAPE {_pct(r.baseline_mape)}, MASE {_num(r.baseline_mase)}"
                     f"{verdict.get(r.beats_baseline, '')}")
    return lines


def _pct(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.1f}%"


def _num(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.3f}"
