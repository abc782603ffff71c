"""Equal answers on every engine: RFM, KPIs, monthly figures and cohorts from pandas, DuckDB and Spark
on CDNOW, the messy truth files and the platform exports."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.gen_orders import make_orders, write_csv
from crmcli.engines import analytics_engine, resolve_engine
from crmcli.engines.analytics import open_runner
from crmcli.engines.kpis_on import churn_on, metrics_on
from crmcli.engines.run import prepare_on, rfm_on, to_spark_sql
from crmcli.errors import UsageError
from crmcli.metrics import compute_metrics
from crmcli.rfm import score_rfm

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PLATFORMS = sorted((ROOT / "examples" / "platforms").glob("*_orders.*")) + [ROOT / "examples" / "platforms" /
                                                                           "online_retail.csv"]


@pytest.fixture(scope="session")
def cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("engines")
    cdnow = folder / "cdnow.csv"
    cdnow.write_bytes(gzip.decompress((HERE / "data" / "cdnow_master.csv.gz").read_bytes()))
    raw, _ = make_orders(4000, seed=5)
    write_csv(raw, folder / "messy_gb18030.csv", "gb18030")
    out = {"cdnow": (cdnow, {"amount": "dollar_value"}, "1998-06-30"),
           "messy": (folder / "messy_gb18030.csv", None, None),
           "shop_orders": (ROOT / "examples" / "shop_orders.csv", None, None),
           "orders_xlsx": (ROOT / "examples" / "orders.xlsx", None, None)}
    for p in PLATFORMS:
        out[p.stem] = (p, None, None)
    return out


def pandas_figures(src, overrides, as_of):
    rfm = score_rfm(src, overrides=overrides, as_of=as_of)
    metrics = compute_metrics(src, overrides=overrides, as_of=as_of, by="month", cohorts=True)
    return rfm, metrics


def engine_figures(runner, src, overrides, as_of):
    prepared = prepare_on(runner, str(src), overrides=overrides)
    return rfm_on(prepared, as_of=as_of), metrics_on(prepared, as_of=as_of, by="month", cohorts=True)


def assert_same(a, b):
    rfm_a, met_a = a
    rfm_b, met_b = b
    pd.testing.assert_frame_equal(rfm_a.table, rfm_b.table, check_dtype=False)
    pd.testing.assert_frame_equal(rfm_a.segments, rfm_b.segments, check_dtype=False)
    assert rfm_a.edges == rfm_b.edges and rfm_a.as_of == rfm_b.as_of
    assert rfm_a.dropped == rfm_b.dropped and rfm_a.notes == rfm_b.notes
    for name in ("kpis", "periods", "cohorts"):
        pd.testing.assert_frame_equal(getattr(met_a, name), getattr(met_b, name), check_dtype=False)
    assert met_a.dropped == met_b.dropped and met_a.notes == met_b.notes


CASE_NAMES = ["cdnow", "messy", "shop_orders", "orders_xlsx", *[p.stem for p in PLATFORMS]]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_duckdb_gives_the_pandas_answers(cases, case):
    src, overrides, as_of = cases[case]
    with open_runner("duckdb") as runner:
        assert_same(pandas_figures(src, overrides, as_of), engine_figures(runner, src, overrides, as_of))


@pytest.mark.parametrize("case", ["cdnow", "taobao_orders"])
def test_churn_rate_alone_is_the_kpi_tables(cases, case):
    """The report's previous-period churn rate, asked for alone (churn_on), is the KPI table's, at any day."""
    src, overrides, as_of = cases[case]
    with open_runner("duckdb") as runner:
        prepared = prepare_on(runner, str(src), overrides=overrides)
        last = metrics_on(prepared, as_of=as_of).as_of
        for back, days in ((0, 90), (5, 30), (20, 365), (3, 1)):
            day = last - pd.Timedelta(days=back)
            k = metrics_on(prepared, as_of=day, churn_days=days).kpis.set_index("metric")
            assert churn_on(prepared, as_of=day, churn_days=days) == k.at["churn_rate", "value"], (back, days)
        with pytest.raises(UsageError, match="no orders on or before"):
            churn_on(prepared, as_of="1990-01-01")


def test_cdnow_rfm_on_duckdb_matches_the_published_figures(cases):
    src, overrides, as_of = cases["cdnow"]
    res = score_rfm(src, overrides=overrides, as_of=as_of, engine="duckdb")
    assert len(res.table) == 23_570 and res.orders == 69_659
    assert round(res.table["monetary"].sum(), 2) == 2_500_315.63


@pytest.mark.slow
@pytest.mark.parametrize("case", ["messy", "taobao_orders", "orders_xlsx"])
def test_spark_gives_the_pandas_answers(cases, case, spark):
    # messy: a GB18030 CSV read by Spark and cleaned on the executors; taobao: a platform export's
    # statuses and refunds; orders_xlsx: a workbook, typed on the driver and handed to Spark
    src, overrides, as_of = cases[case]
    with open_runner("spark", session=spark) as runner:
        assert_same(pandas_figures(src, overrides, as_of), engine_figures(runner, src, overrides, as_of))


@pytest.mark.slow
def test_cdnow_on_spark_through_the_library_calls(cases, spark):
    # the spark-submit way: an existing session given to score_rfm / compute_metrics
    src, overrides, as_of = cases["cdnow"]
    options = {"session": spark}
    assert_same(pandas_figures(src, overrides, as_of),
                (score_rfm(str(src), overrides=overrides, as_of=as_of, engine="spark", engine_options=options),
                 compute_metrics(str(src), overrides=overrides, as_of=as_of, by="month", cohorts=True,
                                 engine="spark", engine_options=options)))


def test_the_definitions_transpile_to_spark():
    from crmcli.engines import sql

    text = to_spark_sql(sql.lines_net(amount_order_level=True, refund_order_level=False, has_refund=True))
    assert "BROUND(" in text and "ROUND_EVEN" not in text
    assert "IGNORE NULLS" in to_spark_sql(sql.filled_windowed(("status",)))   # the windows of the order rules


def test_auto_picks_duckdb_for_big_files_only(tmp_path):
    small = tmp_path / "a.csv"
    small.write_text("x\n1\n")
    assert resolve_engine("auto", [small], big=1 << 20) == "pandas"
    assert resolve_engine("auto", [small], big=1) == "duckdb"
    assert resolve_engine(None, [small], big=1) == "duckdb"
    assert analytics_engine(None, small) == "pandas"
    assert analytics_engine("auto", small, big=1, supported=False) == "pandas"
    with pytest.raises(UsageError):
        analytics_engine("duckdb", small, supported=False, what="--clv")
    with pytest.raises(UsageError):
        resolve_engine("polars")


@pytest.mark.parametrize("header, missing", [("客户ID,金额\nC1,10\n", "order date"), ("客户ID,下单时间\nC1,2024-01-02\n", "amount")])
def test_an_orders_table_without_a_date_or_an_amount_is_the_same_usage_error_on_every_engine(tmp_path, header, missing):
    path = tmp_path / "orders.csv"
    path.write_text(header, encoding="utf-8")
    messages = []
    for engine in ("pandas", "duckdb"):
        with pytest.raises(UsageError) as err:
            rfm_on_engine(path, engine)
        messages.append((str(err.value), err.value.hint))
    assert messages[0] == messages[1]
    assert f"no {missing} column" in messages[0][0] and "{opt:map}" in messages[0][1] and "客户ID" in messages[0][1]


def rfm_on_engine(path: Path, engine: str):
    if engine == "pandas":
        return score_rfm(path)
    return prepare_on(open_runner("duckdb"), path)
