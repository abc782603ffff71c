"""Equal answers on every engine for clv's per-customer summary, the pivot and the report's tables
(pandas, DuckDB, Spark), on CDNOW, the messy GB18030 orders, the shop examples and the platform exports."""

from __future__ import annotations

import pandas as pd
import pytest

from crmcli.clv.summary import read_orders, summarize_customers
from crmcli.engines.analytics import open_runner
from crmcli.engines.clv_on import summarize_on
from crmcli.engines.run import prepare_on
from crmcli.errors import UsageError
from tests.test_engines import CASE_NAMES, cases  # noqa: F401  (fixtures)


def pandas_summary(src, overrides, as_of_day):
    inp = read_orders(str(src), overrides=overrides)
    return summarize_customers(inp.orders, as_of_day)


def engine_summary(runner, src, overrides, as_of_day):
    return summarize_on(prepare_on(runner, str(src), overrides=overrides), as_of_day)


def as_of_day(src, overrides, as_of):
    if as_of:
        return int(pd.Timestamp(as_of).value // 86_400_000_000_000)
    days = read_orders(str(src), overrides=overrides).orders["order_date"]
    return int(days.max().value // 86_400_000_000_000) - 30   # some orders after as-of


def assert_same_summary(a, b):
    pd.testing.assert_frame_equal(a[0], b[0], check_dtype=False, check_exact=False, rtol=1e-9)
    assert a[1] == b[1]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_clv_summary_on_duckdb(cases, case):
    src, overrides, as_of = cases[case]
    day = as_of_day(src, overrides, as_of)
    with open_runner("duckdb") as runner:
        assert_same_summary(pandas_summary(src, overrides, day), engine_summary(runner, src, overrides, day))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["messy", "shop_orders", "orders_xlsx"])
def test_clv_summary_on_spark(cases, case, spark):
    src, overrides, as_of = cases[case]
    day = as_of_day(src, overrides, as_of)
    with open_runner("spark", session=spark) as runner:
        assert_same_summary(pandas_summary(src, overrides, day), engine_summary(runner, src, overrides, day))


def test_fit_clv_on_duckdb_gives_the_pandas_fit():
    from crmcli.clv import fit_clv

    a = fit_clv("examples/shop_orders.csv", as_of="2024-12-31")
    b = fit_clv("examples/shop_orders.csv", as_of="2024-12-31", engine="duckdb")
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-6)
    assert a.dropped == b.dropped and a.notes == b.notes and a.params["customers"] == b.params["customers"]
    with pytest.raises(UsageError, match="holdout runs on the pandas engine only"):
        fit_clv("examples/shop_orders.csv", holdout_days=90, engine="duckdb")
    assert fit_clv("examples/shop_orders.csv", holdout_days=90, engine="auto").holdout is not None


# ----------------------------------------------------------------------------------------- pivot


def pivot_specs(src, overrides):
    """Pivots of the fields the table has: its channel (else status, else customer) by rows; amounts, counts."""
    from crmcli.engines.pivot_sql import head_table

    fields = set(head_table(str(src), overrides=overrides).mapping.values())
    from crmcli.orders.prepare import DATE_FIELDS

    dim = next(f for f in ("channel", "status", "customer_id") if f in fields)
    date = next(f for f in DATE_FIELDS if f in fields)
    specs = [dict(rows=[dim], values=["amount:sum", "order_id:nunique"] if "order_id" in fields else ["amount:sum"]),
             dict(rows=[dim], by="quarter", values=["amount:sum"], show="col%"),
             dict(rows=[dim], values=None),
             dict(rows=[dim], cols=date, by="year",
                  values=["amount:mean", *(["customer_id:nunique"] if "customer_id" in fields else [])])]
    return specs


def assert_same_pivot(a, b):
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-9)
    assert a.notes == b.notes and a.number_formats == b.number_formats and a.value_columns == b.value_columns


@pytest.mark.parametrize("case", [c for c in CASE_NAMES if c != "cdnow"])
def test_pivot_on_duckdb(cases, case):
    from crmcli.pivot import pivot_table

    from crmcli.engines.pivot_sql import engine_can_pivot, head_table

    src, overrides, _ = cases[case]
    head = head_table(str(src), overrides=overrides)
    for spec in pivot_specs(src, overrides):
        why = engine_can_pivot(head, **{"cols": None, "by": None, "values": None, "agg": "sum",
                                        **{k: v for k, v in spec.items() if k != "show"}})
        if why:
            # e.g. amount = unit price x quantity (Online Retail), or a second date column by quarter (Shopify's
            # Paid at beside Created at): pandas computes those
            with pytest.raises(UsageError, match="runs on the pandas engine only"):
                pivot_table(str(src), overrides=overrides, engine="duckdb", **spec)
            continue
        assert_same_pivot(pivot_table(str(src), overrides=overrides, **spec),
                          pivot_table(str(src), overrides=overrides, engine="duckdb", **spec))


def test_cdnow_pivot_on_duckdb(cases):
    from crmcli.pivot import pivot_table

    src, overrides, _ = cases["cdnow"]
    spec = dict(rows=["order_date"], by="year", values=["amount:sum", "customer_id:nunique"])
    a = pivot_table(str(src), overrides=overrides, **spec)
    assert_same_pivot(a, pivot_table(str(src), overrides=overrides, engine="duckdb", **spec))
    assert round(float(a.table.iloc[-1, 1]), 2) == 2_500_315.63   # every dollar of CDNOW's orders


@pytest.mark.slow
@pytest.mark.parametrize("case", ["messy", "orders_xlsx"])
def test_pivot_on_spark(cases, case, spark):
    from crmcli.pivot import pivot_table

    src, overrides, _ = cases[case]
    for spec in pivot_specs(src, overrides):
        assert_same_pivot(pivot_table(str(src), overrides=overrides, **spec),
                          pivot_table(str(src), overrides=overrides, engine="spark",
                                      engine_options={"session": spark}, **spec))


def test_pivot_options_only_pandas_computes():
    from crmcli.pivot import pivot_table

    for kw in (dict(rows=["product"], values="amount"), dict(rows=["channel"], values="amount", top=2),
               dict(rows=["channel"], values="amount", where="amount>100"), dict(rows=["channel"], values="product")):
        with pytest.raises(UsageError, match="runs on the pandas engine only"):
            pivot_table("examples/orders.xlsx", engine="duckdb", **kw)
        auto = pivot_table("examples/orders.xlsx", engine="auto", engine_options={"big": 1}, **kw)
        assert_same_pivot(pivot_table("examples/orders.xlsx", **kw), auto)


# ----------------------------------------------------------------------------------------- the commands


def test_commands_take_engine(run, tmp_path):
    from crmcli.io import read_table

    orders = "examples/orders.xlsx"
    for engine in ("pandas", "duckdb"):
        res = run(["pivot", orders, "--rows", "channel", "--cols", "order_date", "--by", "quarter", "--values",
                   "amount", "--engine", engine, "-o", tmp_path / f"p_{engine}.csv", "-q"])
        assert res.exit_code == 0, res.output
    assert read_table(tmp_path / "p_pandas.csv").equals(read_table(tmp_path / "p_duckdb.csv"))
    res = run(["pivot", orders, "--rows", "channel", "--values", "amount", "--top", "3", "--engine", "duckdb",
               "-o", tmp_path / "t.csv"])
    assert res.exit_code == 2 and "--top runs on the pandas engine only" in res.output
    assert not (tmp_path / "t.csv").exists()
    for engine in ("pandas", "duckdb"):
        res = run(["clv", "examples/shop_orders.csv", "--as-of", "2024-12-31", "--engine", engine,
                   "-o", tmp_path / f"c_{engine}.csv", "-q"])
        assert res.exit_code == 0, res.output
    a, b = pd.read_csv(tmp_path / "c_pandas.csv"), pd.read_csv(tmp_path / "c_duckdb.csv")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6)
    res = run(["clv", "examples/shop_orders.csv", "--holdout-days", "90", "--engine", "duckdb", "-o", "-"])
    assert res.exit_code == 2 and "holdout runs on the pandas engine only" in res.output
