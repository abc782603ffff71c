"""crmcli.clv: BG/NBD + Gamma-Gamma on CDNOW against the published fits and lifetimes' figures; the
summary rules (days, purchase days, credit notes); CLV discounting; the holdout backtest; bad input."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from crmcli import fit_clv
from crmcli.clv import (
    COLUMNS,
    add_clv,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    frequency_value_correlation,
    join_predictions,
    probability_alive,
    summarize_customers,
)
from crmcli.clv.bgnbd import LikelihoodData as BgnbdData
from crmcli.clv.bgnbd import log_likelihood_terms
from crmcli.clv.bgnbd import negative_log_likelihood as bgnbd_neg_ll
from crmcli.clv.fit import month_boundaries
from crmcli.clv.gammagamma import LikelihoodData as GgData
from crmcli.clv.gammagamma import log_likelihood_terms as gg_terms
from crmcli.clv.gammagamma import negative_log_likelihood as gg_neg_ll
from crmcli.errors import DataError, UsageError
from crmcli.io import read_table
from crmcli.orders import prepare_orders
from crmcli.rfm import score_rfm

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CAL_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"
# Fader, Hardie & Lee (2005), CDNOW 1/10 sample, 39-week calibration: BG/NBD in weeks; Gamma-Gamma (Hardie's note)
PUBLISHED_BGNBD_WEEKS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL_WEEKS = -9582.4
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def cdnow_sample_text() -> pd.DataFrame:
    """The CDNOW 1/10 sample as read_table gives a CSV: text columns (lifetimes/datasets/CDNOW_sample.txt)."""
    tx = pd.read_csv(DATA / "cdnow_sample.csv.gz", dtype=str)
    return pd.DataFrame({"customer_id": tx["customer_id"], "order_date": tx["date"], "amount": tx["dollar_value"]})


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return cdnow_sample_text()


@pytest.fixture(scope="module")
def fitted(cdnow):
    return fit_clv(cdnow, as_of=HOLDOUT_END, holdout=CAL_END)


@pytest.fixture(scope="module")
def lifetimes():
    table = pd.read_csv(DATA / "cdnow_sample_lifetimes.csv.gz", dtype={"customer_id": str})
    params = json.loads((DATA / "cdnow_sample_lifetimes.json").read_text())
    return table, params


# ----------------------------------------------------------------- the Done-when figures


def test_bgnbd_matches_the_published_fit_in_weeks(fitted):
    p = fitted.params["bgnbd"]
    assert p["unit"] == "day"
    weeks = {"r": p["r"], "alpha": p["alpha"] / 7, "a": p["a"], "b": p["b"]}  # alpha is a time scale
    for k, want in PUBLISHED_BGNBD_WEEKS.items():
        assert weeks[k] == pytest.approx(want, rel=0.01), k
    assert fitted.bgnbd_fit.converged and fitted.bgnbd_fit.agreeing >= 2


def test_bgnbd_log_likelihood_in_weeks_is_the_papers(fitted):
    s = fitted.summary
    params, fit = fit_bgnbd(s["repeat_purchases"], s["t_x"] / 7, s["T"] / 7)
    assert fit.log_likelihood == pytest.approx(PUBLISHED_LL_WEEKS, abs=0.1)
    assert params["alpha"] == pytest.approx(fitted.params["bgnbd"]["alpha"] / 7, rel=1e-5)
    # the same likelihood in days differs by the Jacobian of the time change only: Σx ln 7
    shift = s["repeat_purchases"].sum() * math.log(7)
    assert fitted.params["log_likelihood"] == pytest.approx(fit.log_likelihood - shift, abs=1e-3)


def test_gamma_gamma_matches_the_published_fit(fitted):
    gg = fitted.params["gamma_gamma"]
    for k, want in PUBLISHED_GG.items():
        assert gg[k] == pytest.approx(want, rel=0.01), k
    assert gg["customers"] == 946 and gg["converged"]
    assert gg["frequency_value_correlation"] == pytest.approx(0.11, abs=0.01)  # the papers' 0.11
    assert fitted.value_model == "gamma-gamma"


def test_summary_equals_lifetimes_in_days(fitted, lifetimes):
    lt, _ = lifetimes
    s = fitted.summary.set_index("customer_id")
    lt = lt.set_index("customer_id")
    assert len(s) == len(lt) == 2357
    assert (s["repeat_purchases"] == lt.loc[s.index, "frequency"]).all()
    assert (s["t_x"] == lt.loc[s.index, "recency"]).all()
    assert (s["T"] == lt.loc[s.index, "T"]).all()
    repeat = lt["frequency"] > 0
    assert np.allclose(s.loc[lt.index[repeat], "repeat_value"], lt.loc[repeat, "monetary_value"])


def test_every_p_alive_within_0005_of_lifetimes(fitted, lifetimes):
    lt, _ = lifetimes
    got = fitted.table.set_index("customer_id")["p_alive"]
    diff = (got.loc[lt["customer_id"]].to_numpy() - lt["p_alive"].to_numpy())
    assert np.abs(diff).max() < 0.005


def test_39_week_expected_repeat_orders_within_1pct_of_lifetimes(fitted, lifetimes):
    lt, params = lifetimes
    assert fitted.holdout.days == 39 * 7
    assert fitted.holdout.predicted == pytest.approx(params["expected_39w_total"], rel=0.01)
    per = fitted.table.set_index("customer_id")["holdout_predicted"].loc[lt["customer_id"]].to_numpy()
    assert np.abs(per - lt["expected_39w"].to_numpy()).max() < 1e-3


def test_holdout_report_compares_with_the_39_weeks_that_followed(fitted, cdnow):
    h = fitted.holdout
    # the actual repeat purchase days, counted here independently: distinct (customer, day) after the calibration end
    tx = cdnow.assign(day=pd.to_datetime(cdnow["order_date"], format="%Y%m%d"))
    known = set(tx.loc[tx["day"] <= CAL_END, "customer_id"])
    later = tx[(tx["day"] > CAL_END) & (tx["day"] <= HOLDOUT_END) & tx["customer_id"].isin(known)]
    actual = later.drop_duplicates(["customer_id", "day"]).groupby("customer_id").size()
    assert h.actual == actual.sum() == 1882
    assert h.customers == 2357
    assert h.error == pytest.approx(h.predicted / h.actual - 1)
    assert -0.2 < h.error < 0  # BG/NBD under-forecasts CDNOW's holdout a little, as in the paper's tracking plot
    got = fitted.table.set_index("customer_id")["holdout_actual"]
    assert (got.loc[actual.index] == actual).all() and got.sum() == h.actual
    # the calibration table of Figure 2: 0 … 6, 7+
    by = h.by_purchases
    assert list(by["calibration_purchases"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert by["customers"].sum() == 2357 and by["actual_total"].sum() == h.actual
    assert by["predicted_total"].sum() == pytest.approx(h.predicted)
    assert (np.diff(by["predicted_mean"]) > 0).all()  # more past purchases, more predicted
    assert h.mae < h.mae_baseline  # beats "keep your calibration rate"
    months = h.by_period
    assert list(months["month"]) == [str(p) for p in pd.period_range("1997-10", "1998-06", freq="M")]
    assert months["days"].sum() == 273 and months["actual"].sum() == h.actual
    assert months["cumulative_predicted"].iloc[-1] == pytest.approx(h.predicted)


# ----------------------------------------------------------------- the mathematics


def test_analytic_gradients_match_finite_differences(fitted):
    s = fitted.summary
    x, t, T = (s[c].to_numpy(dtype=float) for c in ("repeat_purchases", "t_x", "T"))
    data = BgnbdData.from_arrays(x, t / 100, T / 100, np.ones_like(x))
    theta = np.log([0.3, 0.8, 0.7, 2.0])
    value, grad = bgnbd_neg_ll(theta, data)
    assert value == pytest.approx(-log_likelihood_terms(np.exp(theta), x, t / 100, T / 100).sum())
    for i in range(4):
        e = np.zeros(4)
        e[i] = 1e-6
        num = (bgnbd_neg_ll(theta + e, data)[0] - bgnbd_neg_ll(theta - e, data)[0]) / 2e-6
        assert grad[i] == pytest.approx(num, rel=1e-5, abs=1e-4)
    rep = x > 0
    z = s["repeat_value"].to_numpy()[rep] / 30
    gdata = GgData.from_arrays(x[rep], z, np.ones(int(rep.sum())))
    theta = np.log([3.0, 2.5, 1.5])
    value, grad = gg_neg_ll(theta, gdata)
    assert value == pytest.approx(-gg_terms(np.exp(theta), x[rep], z).sum())
    for i in range(3):
        e = np.zeros(3)
        e[i] = 1e-6
        num = (gg_neg_ll(theta + e, gdata)[0] - gg_neg_ll(theta - e, gdata)[0]) / 2e-6
        assert grad[i] == pytest.approx(num, rel=1e-5, abs=1e-4)


def test_conditional_expectation_equals_the_papers_formula():
    params = (0.243, 30.9, 0.793, 2.426)
    r, alpha, a, b = params
    x = np.array([0.0, 1, 2, 5, 10, 20])
    t_x = np.array([0.0, 30, 100, 200, 250, 260])
    T = np.full(6, 272.0)
    t = 273.0
    # eq. (10) of Fader, Hardie & Lee (2005) as written
    direct = ((a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                             * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
              / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)))
    assert np.allclose(expected_purchases(params, t, x, t_x, T), direct, rtol=1e-9)


def test_large_counts_and_a_near_one_stay_finite():
    x = np.array([0.0, 50, 300, 2000])
    t_x = np.array([0.0, 700, 720, 729])
    T = np.full(4, 730.0)
    for params in ((0.5, 20.0, 0.8, 2.5), (0.5, 20.0, 1.0, 2.5), (3.0, 2.0, 1.0 + 1e-12, 40.0)):
        e = expected_purchases(params, 365, x, t_x, T)
        p = probability_alive(params, x, t_x, T)
        assert np.isfinite(e).all() and (e >= 0).all() and ((p >= 0) & (p <= 1)).all()
        assert np.isfinite(log_likelihood_terms(params, x, t_x, T)).all()
    # a customer who bought 2000 times, the last yesterday, keeps buying at about their rate
    e = expected_purchases((0.5, 20.0, 0.8, 2.5), 365, x, t_x, T)
    assert 800 < e[-1] < 1100
    # and one who bought 300 times but not for 10 days after a daily habit is less likely alive than that one
    p = probability_alive((0.5, 20.0, 0.8, 2.5), x, t_x, T)
    assert p[2] < p[3]


def test_bgnbd_recovers_simulated_parameters():
    """Customers simulated by the BG/NBD story (days): the fit finds the parameters they were drawn with."""
    rng = np.random.default_rng(11)
    n, (r, alpha, a, b) = 40_000, (0.5, 20.0, 0.9, 3.0)
    lam, drop = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    T = rng.integers(30, 366, n).astype(float)
    x, t_x, now, alive = np.zeros(n), np.zeros(n), np.zeros(n), np.ones(n, dtype=bool)
    while alive.any():  # after each repeat purchase a customer drops out with probability p
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1 / lam[idx])
        hit = idx[now[idx] <= T[idx]]
        alive[idx[now[idx] > T[idx]]] = False
        x[hit] += 1
        t_x[hit] = now[hit]
        alive[hit] &= rng.random(len(hit)) >= drop[hit]
    params, fit = fit_bgnbd(x, t_x, T)
    assert fit.converged
    for k, want in {"r": r, "alpha": alpha, "a": a, "b": b}.items():
        assert params[k] == pytest.approx(want, rel=0.1), k


def test_gamma_gamma_recovers_simulated_parameters():
    rng = np.random.default_rng(3)
    n = 20_000
    nu = rng.gamma(4.0, 1 / 60.0, n)  # each customer's rate ν ~ gamma(q = 4, v = 60)
    x = rng.integers(1, 12, n)
    z = rng.gamma(5.0 * x, 1 / nu) / x  # the mean of x orders, each gamma(p = 5, ν)
    params, fit = fit_gamma_gamma(x, z)
    assert fit.converged
    assert params["p"] == pytest.approx(5.0, rel=0.1)
    assert params["q"] == pytest.approx(4.0, rel=0.15)
    assert params["v"] == pytest.approx(60.0, rel=0.2)
    assert abs(frequency_value_correlation(x, z)) < 0.1


def test_month_boundaries_and_discounting(cdnow):
    assert month_boundaries(365)[-1] == 365 and len(month_boundaries(365)) == 12
    assert len(month_boundaries(30)) == 1 and month_boundaries(31).tolist() == pytest.approx([365.25 / 12, 31])
    flat = fit_clv(cdnow, as_of=CAL_END, discount=0).table
    disc = fit_clv(cdnow, as_of=CAL_END, discount=0.2).table
    undiscounted = flat["expected_orders"] * flat["expected_order_value"]
    assert np.allclose(flat["clv"], undiscounted)
    assert (disc["clv"] < flat["clv"]).all() and (disc["clv"] > flat["clv"] / 1.2).all()
    assert np.allclose(flat["expected_orders"], disc["expected_orders"])
    # value at stake = CLV if alive × (1 − p_alive)
    alive = flat["clv"] / flat["p_alive"]
    assert np.allclose(flat["value_at_stake"], alive * (1 - flat["p_alive"]))


def test_churn_risk_rule(fitted):
    t = fitted.table
    assert set(t["churn_risk"]) <= {"high", "medium", "low"}
    high = t["churn_risk"] == "high"
    assert (t.loc[high, "p_alive"] < 0.5).all()
    assert (t.loc[t["p_alive"] < 0.5, "churn_risk"] == "high").all()  # every one of them bought again: BG/NBD
    assert (t.loc[t["repeat_purchases"] == 0, "p_alive"] == 1).all()
    mid = t["churn_risk"] == "medium"
    assert ((t.loc[mid, "p_alive"] >= 0.5) & (t.loc[mid, "p_alive"] < 0.8)).all()
    assert (t.loc[t["churn_risk"] == "low", "p_alive"] >= 0.8).all()


# ----------------------------------------------------------------- the summary rules


def orders_frame(rows, purchase=None) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    df["order_date"] = pd.to_datetime(df["order_date"], format="ISO8601")
    if purchase is not None:
        df["is_purchase"] = purchase
    return df


def test_purchases_are_counted_per_day_and_credit_notes_net_into_value():
    rows = [("A", "2024-01-01 09:00", 100.0), ("A", "2024-01-01 18:00", 50.0),  # one purchase day
            ("A", "2024-01-10", 80.0), ("A", "2024-01-12", -30.0),             # a credit note after a purchase
            ("A", "2024-01-20", 40.0),
            ("B", "2024-01-05", -20.0), ("B", "2024-01-07", 60.0),             # a credit note before the first
            ("C", "2024-01-08", -15.0)]                                         # credit notes only: no row
    purchase = [True, True, True, False, True, False, True, False]
    end = pd.Timestamp("2024-01-31").value // 86_400_000_000_000
    table, left = summarize_customers(orders_frame(rows, purchase), end)
    a, b = table.set_index("customer_id").loc["A"], table.set_index("customer_id").loc["B"]
    assert list(table["customer_id"]) == ["A", "B"] and left == {"credit-notes-only-customer": 1}
    assert (a["repeat_purchases"], a["t_x"], a["T"]) == (2, 19, 30)
    assert a["repeat_value"] == pytest.approx(((80 - 30) + 40) / 2)  # the credit note nets into 01-10
    assert a["monetary"] == pytest.approx(240)
    assert (b["repeat_purchases"], b["t_x"], b["T"]) == (0, 0, 24) and math.isnan(b["repeat_value"])
    assert b["monetary"] == pytest.approx(40)  # nets into the first purchase day
    # without is_purchase a negative order is a credit note all the same (one rule: crmcli.orders.purchase_mask)
    same, left_again = summarize_customers(orders_frame(rows), end)
    pd.testing.assert_frame_equal(same, table)
    assert left_again == left


def test_orders_after_as_of_are_left_out_and_counted(cdnow):
    r = fit_clv(cdnow, as_of=CAL_END)
    assert r.dropped["after-as-of"] == (pd.to_datetime(cdnow["order_date"], format="%Y%m%d") > CAL_END).sum()
    assert r.as_of == pd.Timestamp(CAL_END) and r.params["as_of"] == CAL_END


def test_inputs_text_prepared_and_typed_agree(cdnow):
    text = fit_clv(cdnow, as_of=CAL_END).table
    prepared = prepare_orders(cdnow)
    before = prepared.orders.copy()
    assert fit_clv(prepared, as_of=CAL_END).table.equals(text)
    assert prepared.orders.equals(before)  # inputs are never changed
    typed = prepared.orders[["customer_id", "order_date", "amount"]]
    assert fit_clv(typed, as_of=CAL_END).table.equals(text)
    assert list(text.columns) == COLUMNS
    assert not text.isna().any().any()


def test_examples_give_full_tables_without_nan():
    for name in ("orders.xlsx", "orders_gb18030.csv", "shop_orders.csv"):
        r = fit_clv(read_table(EXAMPLES / name))
        assert not r.table.isna().any().any(), name
        assert (r.table["clv"] >= 0).all() and (r.table["expected_orders"] >= 0).all()
        assert r.params["bgnbd"]["converged"]
    shop = fit_clv(read_table(EXAMPLES / "shop_orders.csv"))
    assert shop.value_model == "gamma-gamma"  # 3 years, hundreds of repeat customers
    small = fit_clv(read_table(EXAMPLES / "orders.xlsx"))
    # 48 customers: Gamma-Gamma runs v to infinity there, so the stated fallback is used and said
    assert small.value_model.startswith("fallback") and any("Gamma-Gamma not used" in n for n in small.notes)


def test_add_clv_joins_the_rfm_table():
    df = read_table(EXAMPLES / "orders.xlsx")
    rfm = score_rfm(df)
    joined, clv = add_clv(rfm, df)
    assert list(joined.table.columns) == [*rfm.table.columns, "p_alive", "expected_orders", "clv", "churn_risk"]
    got = joined.table.set_index("customer_id")
    want = clv.table.set_index("customer_id")
    assert np.allclose(got["p_alive"], want.loc[got.index, "p_alive"])
    assert clv.as_of == rfm.as_of
    # a customer the CLV table lacks gets empty cells, not an error
    extra = pd.concat([rfm.table.head(1).assign(customer_id="NEW")], ignore_index=True)
    out = join_predictions(extra, clv.table)
    assert out["churn_risk"].iloc[0] == "" and math.isnan(out["p_alive"].iloc[0])


def test_params_json_has_the_documented_keys(fitted):
    p = fitted.params
    assert {"bgnbd", "gamma_gamma", "log_likelihood", "customers", "as_of"} <= set(p)
    assert {"r", "alpha", "a", "b", "unit"} <= set(p["bgnbd"]) and p["bgnbd"]["unit"] == "day"
    assert {"p", "q", "v"} <= set(p["gamma_gamma"])
    assert p["customers"] == 2357 and p["as_of"] == CAL_END
    json.dumps(p, allow_nan=False)


# ----------------------------------------------------------------- bad input: a clear message, never a NaN table


def days_frame(spec: dict[str, list[int]], start="2024-01-01") -> pd.DataFrame:
    rows = [(c, pd.Timestamp(start) + pd.Timedelta(days=d), 25.0) for c, ds in spec.items() for d in ds]
    return orders_frame(rows)


def test_one_purchase_customers_only():
    df = days_frame({f"C{i}": [i * 3] for i in range(30)})
    with pytest.raises(DataError, match="none of the 30 customers bought on two different days"):
        fit_clv(df)


def test_all_purchases_on_one_day():
    df = days_frame({f"C{i}": [0, 0] for i in range(30)})
    with pytest.raises(DataError, match="every purchase is on one day"):
        fit_clv(df)


def test_as_of_before_any_order():
    df = days_frame({f"C{i}": [5, 40] for i in range(30)})
    with pytest.raises(DataError, match="before the first order"):
        fit_clv(df, as_of="2023-12-01")


def test_three_customers():
    df = days_frame({"A": [0, 10, 30], "B": [3, 50], "C": [7]})
    with pytest.raises(DataError, match="3 customers are too few"):
        fit_clv(df)


def test_a_fit_that_does_not_converge():
    # 40 customers buying every 10 days, none dropping out: no heterogeneity to estimate
    df = days_frame({f"C{c}": list(range(c * 3, 400, 10)) for c in range(40)})
    with pytest.raises(DataError, match="did not converge.*ran to"):
        fit_clv(df)


def test_bad_options():
    df = days_frame({f"C{i}": [5, 40] for i in range(30)})
    for kwargs, text in (({"horizon": 0}, "horizon="), ({"horizon": 1.5}, "horizon="),
                         ({"discount": -0.1}, "discount="), ({"discount": "x"}, "discount="),
                         ({"holdout": "2030-01-01"}, "before as-of"), ({"holdout": "2020-01-01"}, "first order"),
                         ({"holdout": "soon"}, "not a date"), ({"holdout_days": 0}, "at least 1"),
                         ({"holdout": "2024-01-20", "holdout_days": 5}, "not both")):
        with pytest.raises(UsageError, match=text):
            fit_clv(df, **kwargs)
    assert fit_clv(read_table(EXAMPLES / "orders.xlsx"), discount=10).discount == 0.1  # 10 = 10 %


def test_fixture_files_are_small_and_say_how_they_were_made():
    assert (DATA / "cdnow_sample.csv.gz").stat().st_size < 100_000
    head = gzip.decompress((DATA / "cdnow_sample.csv.gz").read_bytes()).decode().splitlines()[0]
    assert head == "customer_id,date,number_of_cds,dollar_value"
    assert "lifetimes" in (DATA / "make_lifetimes_fixture.py").read_text()
