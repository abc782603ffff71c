"""crmcli.forecast: the per-period history, the models and their fallbacks, the rolling-origin backtest."""

from __future__ import annotations

import builtins
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmcli import forecast_sales
from crmcli.errors import DataError, UsageError
from crmcli.forecast import BACKTEST_COLUMNS, TABLE_COLUMNS, describe_forecast
from crmcli.forecast.backtest import mase_scale, run_backtest
from crmcli.forecast.models import effective_model, naive_forecast, seasonal_naive
from crmcli.forecast.series import build_series
from crmcli.io import read_table

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def daily_orders(start: str, end: str, per_day, amount=50.0, purchase=None) -> pd.DataFrame:
    days = pd.date_range(start, end, freq="D")
    rows = []
    for i, d in enumerate(days):
        for k in range(int(per_day(d, i))):
            rows.append((f"C{(i * 7 + k) % 97}", d + pd.Timedelta(hours=10 + k % 8), amount))
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    if purchase is not None:
        df["is_purchase"] = purchase(df)
    return df


@pytest.fixture(scope="module")
def shop():
    return forecast_sales(read_table(EXAMPLES / "shop_orders.csv"))


# ----------------------------------------------------------------- the history


def test_monthly_history_drops_the_incomplete_last_month_and_fills_empty_months():
    df = daily_orders("2023-01-15", "2024-03-10", lambda d, i: 0 if d.month == 6 and d.year == 2023 else 1)
    s = build_series(df, by="month", as_of=pd.Timestamp("2024-03-10"))
    assert s.frame["period"].iloc[0] == "2023-01" and s.frame["period"].iloc[-1] == "2024-02"
    assert s.partial == "2024-03"
    june = s.frame.set_index("period").loc["2023-06"]
    assert june["revenue"] == 0 and june["orders"] == 0
    assert s.frame.set_index("period").loc["2023-07", "orders"] == 31
    full = build_series(df, by="month", as_of=pd.Timestamp("2024-03-31"))
    assert full.partial is None and full.frame["period"].iloc[-1] == "2024-03"


def test_weeks_start_on_monday_and_quarters():
    df = daily_orders("2024-01-01", "2024-12-31", lambda d, i: 1)  # 2024-01-01 is a Monday
    w = build_series(df, by="week", as_of=pd.Timestamp("2024-12-29"))  # a Sunday: that week is complete
    assert w.frame["period"].iloc[0] == "2024-W01" and w.frame["start"].iloc[0] == pd.Timestamp("2024-01-01")
    assert (w.frame["orders"] == 7).all() and w.partial is None and w.season_length == 52
    q = build_series(df, by="quarter", as_of=pd.Timestamp("2024-12-31"))
    assert list(q.frame["period"]) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"] and q.season_length == 4


def test_credit_notes_net_into_revenue_but_are_not_orders():
    df = daily_orders("2024-01-01", "2024-01-31", lambda d, i: 2,
                      purchase=lambda f: np.arange(len(f)) % 2 == 0)
    df.loc[~df["is_purchase"], "amount"] = -10.0
    s = build_series(df, by="month", as_of=pd.Timestamp("2024-01-31"))
    assert s.frame["orders"].iloc[0] == 31 and s.frame["revenue"].iloc[0] == pytest.approx(31 * 50 - 31 * 10)
    s = build_series(df.drop(columns="is_purchase"), by="month", as_of=pd.Timestamp("2024-01-31"))
    assert s.frame["orders"].iloc[0] == 31  # without the column a negative order is a credit note all the same


# ----------------------------------------------------------------- models


def test_fallback_rules():
    assert effective_model("ets", 36, 12) == "ets" and effective_model("arima", 24, 12) == "arima"
    assert effective_model("ets", 23, 12) == "simple" and effective_model("auto", 10, 12) == "simple"
    assert effective_model("ets", 5, 12) == "naive"


def test_naive_and_seasonal_naive():
    y = np.array([10.0, 12, 11, 13, 12, 14])
    fc = naive_forecast(y, 4, 80, "naive")
    assert (fc.mean == 14).all() and (np.diff(fc.hi - fc.lo) > 0).all()  # the interval widens with √h
    assert seasonal_naive(np.arange(1.0, 25), 3, 12).tolist() == [13.0, 14.0, 15.0]
    assert seasonal_naive(np.arange(1.0, 6), 3, 12).tolist() == [5.0, 5.0, 5.0]
    assert mase_scale(np.arange(1.0, 25), 12) == 12.0 and mase_scale(np.arange(1.0, 6), 12) == 1.0


def test_a_seasonal_series_beats_seasonal_naive():
    rng = np.random.default_rng(5)
    t = np.arange(48)
    y = 1000 + 15 * t + 250 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 30, 48)  # trend + season
    bt = run_backtest(y, model="ets", horizon=6, level=80, season_length=12)
    assert bt.model == "ets" and bt.origins == 8 and bt.forecasts == sum(min(6, 48 - o) for o in range(40, 48))
    assert bt.mase < bt.baseline_mase and bt.mape < bt.baseline_mape
    assert 0 <= bt.coverage <= 1
    assert run_backtest(y[:6], model="ets", horizon=6, level=80, season_length=12) is None


# ----------------------------------------------------------------- forecast_sales


def test_shop_forecast_shape_interval_and_backtest(shop):
    t = shop.table
    assert list(t.columns) == TABLE_COLUMNS and list(shop.backtest.columns) == BACKTEST_COLUMNS
    fut = t[t["kind"] == "forecast"]
    assert len(fut) == 6 and list(fut["period"]) == [f"2025-0{m}" for m in range(1, 7)]
    assert (fut["revenue_lo"] <= fut["revenue"]).all() and (fut["revenue"] <= fut["revenue_hi"]).all()
    assert (fut["orders_lo"] >= 0).all()
    hist = t[t["kind"] == "actual"]
    assert len(hist) == 36 and hist[["revenue_lo", "orders_lo"]].isna().all().all()
    assert not fut.isna().any().any()
    assert shop.methods["revenue"].startswith("ETS(")
    bt = shop.backtest.set_index("series")
    # three years of a seasonal shop: the forecast beats seasonal naive on both series (README figures)
    assert (bt["beats_baseline"] == "yes").all() and (bt["mase"] < bt["baseline_mase"]).all()
    assert (bt["model"] == "ets").all()
    lines = describe_forecast(shop)
    assert "36 complete months" in lines[0] and any("beats seasonal naive" in ln for ln in lines)


def test_auto_picks_the_lower_backtest_mase():
    r = forecast_sales(read_table(EXAMPLES / "shop_orders.csv"), model="auto", periods=3)
    for series, g in r.backtest.groupby("series"):
        assert len(g) == 2 and g["chosen"].sum() == 1
        assert g.loc[g["chosen"], "mase"].iloc[0] == g["mase"].min()
        kind = g.loc[g["chosen"], "model"].iloc[0]
        assert r.methods[series].startswith("Theta" if kind == "theta" else "ETS(")


def test_cdnow_falls_back_and_still_beats_seasonal_naive():
    tx = pd.read_csv(DATA / "cdnow_master.csv.gz", dtype=str)
    df = pd.DataFrame({"customer_id": tx["customer_id"], "order_date": tx["date"], "amount": tx["dollar_value"]})
    r = forecast_sales(df, by="month")
    assert len(r.history.frame) == 18  # 1997-01 … 1998-06: less than two seasons
    assert any("less than two seasons" in n for n in r.notes)
    assert (r.backtest["model"] == "simple").all()
    assert (r.backtest["mase"] < r.backtest["baseline_mase"]).all()
    w = forecast_sales(df, by="week")
    assert w.history.partial == "1998-W27" and len(w.history.frame) == 78


def test_bundled_orders_say_the_partial_month_and_short_history():
    df = read_table(EXAMPLES / "orders.xlsx")
    r = forecast_sales(df)
    assert r.history.partial == "2024-12" and len(r.history.frame) == 23
    assert any("2024-12 is not complete" in n for n in r.notes)
    assert (r.backtest["model"] == "simple").all()
    full = forecast_sales(df, as_of="2024-12-31")
    assert len(full.history.frame) == 24 and full.history.partial is None


def test_short_histories():
    tiny = daily_orders("2024-01-01", "2024-05-31", lambda d, i: 1 + i % 3)
    r = forecast_sales(tiny, as_of="2024-05-31")
    assert len(r.history.frame) == 5 and r.methods["revenue"].startswith("naive")
    assert any("too short for exponential smoothing" in n for n in r.notes)
    assert not r.table[r.table["kind"] == "forecast"].isna().any().any()
    with pytest.raises(DataError, match="2 complete months of history: too short"):
        forecast_sales(daily_orders("2024-01-01", "2024-02-29", lambda d, i: 1), as_of="2024-02-29")


def test_constant_history_and_zero_periods():
    flat = daily_orders("2023-01-01", "2024-12-31", lambda d, i: 1 if d.day == 1 else 0)
    r = forecast_sales(flat, as_of="2024-12-31")
    fut = r.table[r.table["kind"] == "forecast"]
    assert (fut["orders"] == 1).all() and (fut["revenue"] == 50).all()


@pytest.mark.parametrize("kwargs,text", [
    ({"by": "day"}, "by="), ({"periods": 0}, "periods="), ({"level": 120}, "level="),
    ({"model": "prophet"}, "model="), ({"as_of": "later"}, "not a date"),
])
def test_bad_options(kwargs, text):
    df = daily_orders("2024-01-01", "2024-12-31", lambda d, i: 1)
    with pytest.raises(UsageError, match=text):
        forecast_sales(df, **kwargs)


def test_as_of_before_the_first_order():
    df = daily_orders("2024-01-01", "2024-12-31", lambda d, i: 1)
    with pytest.raises(DataError, match="before the first order"):
        forecast_sales(df, as_of="2023-06-30")


def test_missing_statsmodels_is_a_clear_error(monkeypatch):
    real = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name.startswith("statsmodels"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(UsageError, match="needs statsmodels") as err:
        forecast_sales(daily_orders("2024-01-01", "2024-12-31", lambda d, i: 1))
    assert "pip install" in err.value.hint
