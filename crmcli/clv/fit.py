"""``fit_clv``: BG/NBD + Gamma-Gamma fitted on the orders, one row per customer of predictions.

Per customer (days everywhere): ``p_alive`` (BG/NBD P(alive) at as-of), ``expected_orders`` (expected
repeat purchase days over the next ``horizon`` days), ``expected_order_value`` (Gamma-Gamma's
conditional mean spend per purchase day), ``clv`` = Σ over the horizon's months of expected orders in
the month × value, discounted monthly at ``discount`` per year ((1 + d)^(−k/12) for month k; the last
month may be partial), ``value_at_stake`` = what the customer is worth if still alive minus ``clv``
(= CLV if alive × (1 − p_alive)), ``churn_risk``:

- ``high``: p_alive < 0.5 and the customer is a repeat buyer or in the high value tier (top 20 % by
  monetary);
- ``medium``: otherwise p_alive < 0.8;
- ``low``: the rest. (BG/NBD puts a one-purchase customer's p_alive at 1: it cannot see a drop-out
  before the second purchase; their ``expected_orders`` carries what is known.)

Bad input never gives a NaN table: too few customers, no repeat purchases, every purchase on one day,
as-of before the first order, or a fit that does not converge raise :class:`~crmcli.errors.DataError`
with the reason. When Gamma-Gamma cannot be used (fewer than :data:`MIN_GG_CUSTOMERS` repeat customers
with a positive repeat value, no convergence, or q ≤ 1), ``expected_order_value`` falls back to the
customer's own mean purchase-day value (stated in ``notes``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, UsageError
from ..options import parse_as_of
from ..rfm import DEFAULT_TIERS, assign_tiers
from . import bgnbd, gammagamma
from .holdout import HoldoutReport, backtest_holdout
from .mle import MleFit
from .summary import compress, day_to_timestamp, order_days, read_orders, summarize_customers

MIN_CUSTOMERS = 10
MIN_REPEAT_CUSTOMERS = 3
MIN_GG_CUSTOMERS = 10
CHURN_HIGH = 0.5
CHURN_MEDIUM = 0.8
MONTH_DAYS = 365.25 / 12
DEFAULT_HORIZON = 365
DEFAULT_DISCOUNT = 0.10
CHURN_RULE = (f"churn_risk: high = p_alive < {CHURN_HIGH} and a repeat buyer or in the high value tier (top 20% by "
              f"monetary); medium = p_alive < {CHURN_MEDIUM}; low = the rest")


@dataclass
class ClvResult:
    """What :func:`fit_clv` computed. ``table`` is one row per customer (:data:`COLUMNS`)."""

    table: pd.DataFrame
    params: dict[str, Any]            # the ``--params`` JSON
    as_of: pd.Timestamp               # the end of the data the models were fitted on
    horizon: int
    discount: float
    bgnbd_fit: MleFit
    gamma_gamma_fit: MleFit | None
    value_model: str                  # "gamma-gamma" or the fallback's description
    frequency_value_correlation: float
    holdout: HoldoutReport | None = None
    summary: pd.DataFrame | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)


def check_options(horizon: Any, discount: Any) -> tuple[int, float]:
    """``horizon`` a whole number of days ≥ 1, ``discount`` a yearly rate in [0, 1) (``10`` = 10 %)."""
    try:
        h = int(horizon)
    except (TypeError, ValueError):
        raise UsageError(f"{{opt:horizon}} {horizon!r} is not a whole number of days", hint="e.g. {opt:horizon} 365") from None
    if isinstance(horizon, bool) or h != float(horizon) or h < 1:
        raise UsageError(f"{{opt:horizon}} must be a whole number of days ≥ 1, got {horizon!r}", hint="e.g. {opt:horizon} 365")
    try:
        d = float(discount)
    except (TypeError, ValueError):
        raise UsageError(f"{{opt:discount}} {discount!r} is not a number",
                         hint="a yearly rate, e.g. {opt:discount} 0.1") from None
    if d >= 1:
        d = d / 100  # given in percent
    if not math.isfinite(d) or not 0 <= d < 1:
        raise UsageError(f"{{opt:discount}} must be a yearly rate from 0 to 1 (or 0-100 %), got {discount!r}")
    return h, d


def check_fit_data(summary: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """A clear DataError when the data cannot support a BG/NBD fit."""
    n = len(summary)
    repeat = int((summary["repeat_purchases"] > 0).sum())
    if n < MIN_CUSTOMERS:
        raise DataError(f"{n} customers are too few to fit the purchase model (it needs at least {MIN_CUSTOMERS})",
                        hint="RFM scores any number of customers (leave out {opt:clv})")
    if summary["first_purchase"].nunique() == 1 and (summary["T"] == 0).all():
        raise DataError(f"every purchase is on one day ({as_of.date()}): there is no time to learn repeat buying from",
                        hint="the model needs purchase dates spread over weeks or months")
    if repeat == 0:
        raise DataError(f"none of the {n} customers bought on two different days: repeat buying cannot be fitted",
                        hint="the model needs repeat customers (check the customer id column: crm inspect FILE)")
    if repeat < MIN_REPEAT_CUSTOMERS:
        raise DataError(f"only {repeat} of {n} customers bought on two different days: too few to fit "
                        f"(needs at least {MIN_REPEAT_CUSTOMERS})")


def month_boundaries(horizon: int) -> np.ndarray:
    """Ends of the horizon's months, in days: 30.44, 60.88, …, the horizon."""
    k = math.ceil(horizon / MONTH_DAYS - 1e-9)
    return np.minimum(np.arange(1, k + 1) * MONTH_DAYS, horizon)


def predict_customers(params: dict[str, float], x, t_x, T, *, horizon: int, discount: float) -> dict[str, np.ndarray]:
    """``p_alive``, ``expected_orders`` over ``horizon`` and the discounted orders-if-alive per customer.

    The expectation if alive depends on (x, T) only (₂F₁ is the costly part): it is computed once per
    distinct pair and month end.
    """
    x, t_x, T = (np.asarray(a, dtype=np.float64) for a in (x, t_x, T))
    alive = bgnbd.probability_alive(params, x, t_x, T)
    ends = month_boundaries(horizon)
    cum, inv = bgnbd.cumulative_if_alive(params, ends, x, T)
    per_month = np.diff(np.vstack([np.zeros(cum.shape[1]), cum]), axis=0)
    factors = (1.0 + discount) ** (-np.arange(1, len(ends) + 1) / 12.0)
    discounted = (factors[:, None] * per_month).sum(axis=0)
    return {"p_alive": alive, "expected_orders": alive * cum[-1][inv], "discounted_if_alive": discounted[inv]}


def fit_values(summary: pd.DataFrame) -> tuple[np.ndarray, dict[str, float] | None, MleFit | None, str, float,
                                               list[str]]:
    """Expected value per purchase day: Gamma-Gamma, else the stated fallback."""
    notes: list[str] = []
    x = summary["repeat_purchases"].to_numpy(dtype=np.float64)
    z = summary["repeat_value"].to_numpy(dtype=np.float64)
    usable = (x > 0) & np.isfinite(z) & (z > 0)
    corr = gammagamma.frequency_value_correlation(x[usable], z[usable])
    own = np.maximum(summary["monetary"].to_numpy(dtype=np.float64) / (x + 1), 0.0)
    fallback = "each customer's own mean purchase-day value (monetary ÷ purchase days)"
    if usable.sum() < MIN_GG_CUSTOMERS:
        notes.append(f"Gamma-Gamma not fitted: {int(usable.sum())} repeat customers with a positive repeat value "
                     f"(needs {MIN_GG_CUSTOMERS}); expected_order_value = {fallback}")
        return own, None, None, "fallback: " + fallback, corr, notes
    params, fit = gammagamma.fit_gamma_gamma(x[usable], z[usable])
    if not fit.converged or params["q"] <= 1:
        why = fit.describe() if not fit.converged else f"q = {params['q']:.3g} ≤ 1 (no finite mean spend)"
        notes.append(f"Gamma-Gamma not used: {why}; expected_order_value = {fallback}")
        return own, params, fit, "fallback: " + fallback, corr, notes
    value = gammagamma.expected_order_value(params, np.where(usable, x, 0.0), np.where(usable, z, 0.0))
    odd = int(((x > 0) & ~usable).sum())
    if odd:
        notes.append(f"{odd} repeat customers whose repeat purchases net to ≤ 0 (returns) get the population mean "
                     f"order value")
    return value, params, fit, "gamma-gamma", corr, notes


def assign_churn_risk(p_alive: np.ndarray, repeat: np.ndarray, tier: np.ndarray) -> np.ndarray:
    """``high`` / ``medium`` / ``low`` by :data:`CHURN_RULE`."""
    high = (p_alive < CHURN_HIGH) & ((repeat > 0) | (tier == "high"))
    return np.where(high, "high", np.where(p_alive < CHURN_MEDIUM, "medium", "low"))


def fit_clv(orders: Any, *, as_of: Any = None, horizon: int = DEFAULT_HORIZON, discount: float = DEFAULT_DISCOUNT,
            holdout: Any = None, holdout_days: int | None = None, customer: str | None = None,
            overrides: Mapping[str, str] | None = None, region: str = "CN", dayfirst: bool | None = None,
            tiers: Sequence[tuple[str, float]] = DEFAULT_TIERS, read: Any = None,
            statuses: Mapping[str, str] | None = None, engine: str | None = None,
            engine_options: Mapping[str, Any] | None = None) -> ClvResult:
    """Fit BG/NBD and Gamma-Gamma on ``orders`` and predict per customer (see the module docstring).

    ``orders``: a :func:`~crmcli.io.read_table` frame, a :class:`~crmcli.orders.PreparedOrders` or a
    typed frame (``customer_id``, ``order_date``, ``amount``, optional bool ``is_purchase``).
    ``as_of``: the end of observation (default: the latest order date). ``holdout`` (a date) or
    ``holdout_days``: fit on the orders up to that date instead and compare the predictions with
    what happened up to as-of (:attr:`ClvResult.holdout`); the table then holds the calibration fit's
    predictions plus ``holdout_predicted`` and ``holdout_actual``.

    ``engine`` (``pandas`` default, ``duckdb``, ``spark``, ``auto``): the per-customer summary computed there
    (:mod:`crmcli.engines.clv_on`), the fits here; a holdout runs on pandas only.
    """
    from ..engines import ENGINE_BIG_BYTES, analytics_engine
    from ..orders import PreparedOrders

    horizon, discount = check_options(horizon, discount)
    if holdout is not None and holdout_days is not None:
        raise UsageError("give {opt:holdout} DATE or {opt:holdout_days} N, not both")
    options = dict(engine_options or {})
    where = "pandas" if isinstance(orders, PreparedOrders) else analytics_engine(
        engine, orders, big=options.pop("big", ENGINE_BIG_BYTES), supported=holdout is None and holdout_days is None,
        what="a clv holdout")
    if where != "pandas":
        from ..engines.clv_on import clv_with_engine

        return clv_with_engine(orders, engine=where, options=options, read=read, overrides=overrides,
                               customer=customer, region=region, dayfirst=dayfirst, statuses=statuses, as_of=as_of,
                               horizon=horizon, discount=discount, tiers=tiers)
    inp = read_orders(orders, read=read, overrides=overrides, customer=customer, region=region, dayfirst=dayfirst,
                      statuses=statuses)
    frame = inp.orders
    dropped, notes = dict(inp.dropped), list(inp.notes)
    if frame.empty:
        raise DataError("no orders with a valid date, amount and customer",
                        hint="check the date/amount columns (crm inspect FILE), or {opt:map} them")
    days = order_days(frame)
    as_of_ts = parse_as_of(as_of)
    end_day = int(days.max()) if as_of_ts is None else int(as_of_ts.value // 86_400_000_000_000)
    first_day = int(days.min())
    if end_day < first_day:
        raise DataError(f"as-of {day_to_timestamp(end_day).date()} is before the first order "
                        f"({day_to_timestamp(first_day).date()})", hint="check {opt:as_of}")
    fit_day = end_day
    if holdout is not None or holdout_days is not None:
        fit_day = _calibration_day(holdout, holdout_days, first_day, end_day)
    later = int((days > end_day).sum())
    if later:
        dropped["after-as-of"] = later
    summary, left = summarize_customers(frame, fit_day)
    for k, v in left.items():
        if k != "after-as-of":  # counted above; in a backtest the orders after the fit day are the holdout
            dropped[k] = dropped.get(k, 0) + v

    def backtest(params: dict[str, float]) -> HoldoutReport:
        return backtest_holdout(params, summary, frame, calibration_day=fit_day, end_day=end_day)

    return fit_summary(summary, fit_day=fit_day, horizon=horizon, discount=discount, tiers=tiers, dropped=dropped,
                       notes=notes, mapping=inp.mapping, backtest=backtest if fit_day != end_day else None)


def fit_summary(summary: pd.DataFrame, *, fit_day: int, horizon: int, discount: float,
                tiers: Sequence[tuple[str, float]] = DEFAULT_TIERS, dropped: dict[str, int] | None = None,
                notes: list[str] | None = None, mapping: Mapping[str, str] | None = None,
                backtest: Any = None) -> ClvResult:
    """The models fitted on a per-customer summary (:func:`~crmcli.clv.summary.summarize_customers`'
    table, from pandas or an engine) observed up to ``fit_day``; ``backtest(params)`` gives the holdout
    report when there is one."""
    dropped, notes = dict(dropped or {}), list(notes or [])
    fit_ts = day_to_timestamp(fit_day)
    check_fit_data(summary, fit_ts)

    x = summary["repeat_purchases"].to_numpy(dtype=np.float64)
    t_x, T = summary["t_x"].to_numpy(), summary["T"].to_numpy()
    ux, ut, uT, counts, _ = compress(x, t_x, T)
    params, fit = bgnbd.fit_bgnbd(ux, ut, uT, counts)
    if not fit.converged:
        raise DataError(f"the purchase model (BG/NBD) did not converge on {len(summary)} customers: {fit.message}",
                        hint="more customers or a longer history help; check that customer ids are stable")
    pred = predict_customers(params, x, t_x, T, horizon=horizon, discount=discount)
    value, gg_params, gg_fit, value_model, corr, value_notes = fit_values(summary)
    notes += value_notes
    if not math.isnan(corr) and abs(corr) > 0.3:
        notes.append(f"repeat purchases and mean repeat value are correlated ({corr:.2f}); Gamma-Gamma assumes "
                     f"they are independent, so expected_order_value is less reliable")
    monetary = summary["monetary"].to_numpy(dtype=np.float64)
    tier = assign_tiers(monetary, tiers)
    clv_alive = value * pred["discounted_if_alive"]
    table = pd.DataFrame({
        "customer_id": summary["customer_id"],
        "repeat_purchases": summary["repeat_purchases"],
        "t_x": summary["t_x"].astype(np.int64),
        "T": summary["T"].astype(np.int64),
        "monetary": monetary,
        "p_alive": pred["p_alive"],
        "expected_orders": pred["expected_orders"],
        "expected_order_value": value,
        "clv": clv_alive * pred["p_alive"],
        "value_at_stake": clv_alive * (1.0 - pred["p_alive"]),
        "churn_risk": pd.Series(assign_churn_risk(pred["p_alive"], x, tier), dtype="str"),
    })
    report = None
    if backtest is not None:
        report = backtest(params)
        table["holdout_predicted"] = report.per_customer["predicted"].to_numpy()
        table["holdout_actual"] = report.per_customer["actual"].to_numpy()
    out_params = {
        "bgnbd": {**params, "unit": "day", "log_likelihood": fit.log_likelihood, "converged": fit.converged,
                  "fit": fit.describe()},
        "gamma_gamma": None if gg_params is None else {
            **gg_params, "customers": int(((x > 0) & (summary["repeat_value"].to_numpy() > 0)).sum()),
            "log_likelihood": gg_fit.log_likelihood, "converged": gg_fit.converged, "fit": gg_fit.describe(),
            "frequency_value_correlation": None if math.isnan(corr) else corr},
        "log_likelihood": fit.log_likelihood,
        "customers": len(summary),
        "as_of": str(fit_ts.date()),
        "horizon_days": horizon,
        "discount_per_year": discount,
        "expected_order_value": value_model,
    }
    if report is not None:
        out_params["holdout"] = report.to_dict()
    return ClvResult(table=table, params=out_params, as_of=fit_ts, horizon=horizon, discount=discount,
                     bgnbd_fit=fit, gamma_gamma_fit=gg_fit, value_model=value_model, frequency_value_correlation=corr,
                     holdout=report, summary=summary, dropped=dropped, notes=notes, mapping=dict(mapping or {}))


def _calibration_day(holdout: Any, holdout_days: Any, first_day: int, end_day: int) -> int:
    if holdout_days is not None:
        try:
            n = int(holdout_days)
        except (TypeError, ValueError):
            raise UsageError(f"{{opt:holdout_days}} {holdout_days!r} is not a whole number") from None
        if n < 1:
            raise UsageError("{opt:holdout_days} must be at least 1")
        cal = end_day - n
    else:
        ts = parse_as_of(holdout, option="holdout")
        if ts is None:
            raise UsageError(f"{{opt:holdout}} {holdout!r} is not a date", hint="use YYYY-MM-DD")
        cal = int(ts.value // 86_400_000_000_000)
    end = day_to_timestamp(end_day).date()
    if cal >= end_day:
        raise UsageError(f"the holdout must end before as-of {end}: calibration end {day_to_timestamp(cal).date()}",
                         hint="pick a {opt:holdout} date inside the data")
    if cal < first_day:
        raise UsageError(f"calibration end {day_to_timestamp(cal).date()} is before the first order "
                         f"({day_to_timestamp(first_day).date()})", hint="pick a later {opt:holdout} date")
    return cal
