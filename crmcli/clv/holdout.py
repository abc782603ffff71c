"""The backtest no BTYD reference ships: fit up to a date, predict the window after it, compare.

Customers are those with a purchase on or before the calibration end (a customer first seen in the
holdout window is not predicted). Per customer: predicted = E[repeat purchase days in the window]
from the calibration fit, actual = purchase days in the window. Reported: totals and the total error
(predicted ÷ actual − 1), the mean absolute error per customer beside a naive baseline (each customer
keeps their calibration rate x ÷ T), the calibration table by number of calibration repeat purchases
(Fader, Hardie & Lee 2005, Figure 2: 0 … 6, 7+) and the window month by month.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .bgnbd import cumulative_if_alive, expected_purchases, probability_alive
from .summary import count_purchase_days, day_to_timestamp

TOP_BIN = 7  # the paper's last group: 7+


@dataclass
class HoldoutReport:
    """Predicted vs actual repeat purchase days in ``(calibration_end, holdout_end]``."""

    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    days: int
    customers: int
    predicted: float
    actual: int
    error: float             # predicted ÷ actual − 1 (NaN when nothing was bought)
    mae: float               # mean |predicted − actual| per customer
    mae_baseline: float      # the same for "each customer keeps the calibration rate x ÷ T"
    by_purchases: pd.DataFrame
    by_period: pd.DataFrame
    per_customer: pd.DataFrame

    def summary_table(self) -> pd.DataFrame:
        rows = [("calibration_end", str(self.calibration_end.date())), ("holdout_end", str(self.holdout_end.date())),
                ("holdout_days", self.days), ("customers", self.customers),
                ("predicted_repeat_purchases", round(self.predicted, 4)), ("actual_repeat_purchases", self.actual),
                ("total_error", _round(self.error)), ("mae_per_customer", _round(self.mae)),
                ("mae_baseline_calibration_rate", _round(self.mae_baseline))]
        return pd.DataFrame({"metric": [r[0] for r in rows], "value": [str(r[1]) for r in rows]})

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"summary": self.summary_table(), "by_purchases": self.by_purchases, "by_period": self.by_period,
                "customers": self.per_customer}

    def to_dict(self) -> dict[str, Any]:
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
                    for rec in df.to_dict("records")]

        return {"calibration_end": str(self.calibration_end.date()), "holdout_end": str(self.holdout_end.date()),
                "holdout_days": self.days, "customers": self.customers, "predicted": self.predicted,
                "actual": self.actual, "total_error": _none(self.error), "mae": _none(self.mae),
                "mae_baseline": _none(self.mae_baseline), "by_purchases": records(self.by_purchases),
                "by_period": records(self.by_period)}


def _round(v: float) -> Any:
    return "" if math.isnan(v) else round(float(v), 4)


def _none(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def backtest_holdout(params: dict[str, float], summary: pd.DataFrame, orders: pd.DataFrame, *, calibration_day: int,
                     end_day: int) -> HoldoutReport:
    """Compare the calibration fit's predictions with the purchases made after ``calibration_day``."""
    x = summary["repeat_purchases"].to_numpy(dtype=np.float64)
    t_x = summary["t_x"].to_numpy()
    T = summary["T"].to_numpy()
    length = end_day - calibration_day
    actual_days = count_purchase_days(orders, calibration_day, end_day)
    actual = actual_days.reindex(summary["customer_id"]).fillna(0).to_numpy(dtype=np.int64)
    predicted = expected_purchases(params, length, x, t_x, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        baseline = np.where(T > 0, x / T * length, 0.0)
    per_customer = pd.DataFrame({"customer_id": summary["customer_id"], "calibration_purchases": x.astype(np.int64),
                                 "predicted": predicted, "actual": actual})
    group = np.minimum(x, TOP_BIN).astype(np.int64)
    g = per_customer.assign(group=group).groupby("group")
    by = pd.DataFrame({"customers": g.size(), "predicted_mean": g["predicted"].mean(),
                       "actual_mean": g["actual"].mean(), "predicted_total": g["predicted"].sum(), "actual_total": g["actual"].sum()})
    by.index = [f"{i}+" if i == TOP_BIN else str(i) for i in by.index]
    by = by.rename_axis("calibration_purchases").reset_index()
    total_actual = int(actual.sum())
    total_pred = float(predicted.sum())
    return HoldoutReport(
        calibration_end=day_to_timestamp(calibration_day), holdout_end=day_to_timestamp(end_day), days=int(length),
        customers=len(summary), predicted=total_pred, actual=total_actual,
        error=(total_pred / total_actual - 1) if total_actual else float("nan"),
        mae=float(np.abs(predicted - actual).mean()), mae_baseline=float(np.abs(baseline - actual).mean()),
        by_purchases=by, by_period=_by_month(params, x, t_x, T, orders, summary, calibration_day, end_day),
        per_customer=per_customer)


def _by_month(params, x, t_x, T, orders, summary, calibration_day: int, end_day: int) -> pd.DataFrame:
    """Predicted and actual repeat purchase days per calendar month of the window (the last one partial)."""
    start = day_to_timestamp(calibration_day)
    end = day_to_timestamp(end_day)
    months = pd.period_range(start + pd.Timedelta(days=1), end, freq="M")
    rows = []
    known = set(summary["customer_id"])
    mine = orders[orders["customer_id"].astype("str").isin(known)]
    stops = [min(end_day, int(m.end_time.normalize().value // 86_400_000_000_000)) for m in months]
    cum, inv = cumulative_if_alive(params, [s - calibration_day for s in stops], x, T)
    # predicted purchases up to each month's end, summed over customers: Σ p_alive × E[· | alive]
    weight = np.bincount(inv, weights=probability_alive(params, x, t_x, T), minlength=cum.shape[1])
    totals = cum @ weight if len(stops) else np.zeros(0)
    previous = 0.0
    for m, stop, total in zip(months, stops, totals):
        begin = int(m.start_time.value // 86_400_000_000_000) - 1
        actual = int(count_purchase_days(mine, max(begin, calibration_day), stop).sum())
        rows.append({"month": str(m), "days": stop - max(begin, calibration_day),
                     "predicted": float(total - previous), "actual": actual})
        previous = float(total)
    df = pd.DataFrame(rows, columns=["month", "days", "predicted", "actual"])
    df["cumulative_predicted"] = df["predicted"].cumsum()
    df["cumulative_actual"] = df["actual"].cumsum()
    return df
