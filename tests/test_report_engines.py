"""`crm report --engine`: the report's tables computed on DuckDB (and Spark) are the pandas report's, table by
table and sheet by sheet, on the shop examples, a messy generated file, the platform exports and Parquet files
`crm clean` wrote (read by DuckDB straight from the file)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from benchmarks.gen_orders import make_orders, write_csv
from crmcli.cli import app
from crmcli.config import Settings
from crmcli.errors import UsageError
from crmcli.report import build_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PLATFORMS = sorted((EXAMPLES / "platforms").glob("*_orders.*")) + [EXAMPLES / "platforms" / "online_retail.csv"]
#: Tables only the pandas report holds (the lines and orders stay on the engine).
IN_MEMORY_ONLY = {"lines", "orders"}


@pytest.fixture(scope="session")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report_engines")
    raw, _ = make_orders(3000, seed=11)
    write_csv(raw, folder / "messy_gb18030.csv", "gb18030")
    out = {"messy": folder / "messy_gb18030.csv", "shop_orders": EXAMPLES / "shop_orders.csv",
           "orders_xlsx": EXAMPLES / "orders.xlsx"}
    out |= {p.stem: p for p in PLATFORMS}
    runner = CliRunner()
    for name in ("messy", "shop_orders", "taobao_orders"):   # cleaned Parquet: DuckDB reads the file itself
        dest = folder / f"{name}.parquet"
        res = runner.invoke(app, ["clean", str(out[name]), "-o", str(dest), "-q"])
        assert res.exit_code == 0, res.output
        out[f"{name}_parquet"] = dest
    return out


def assert_same_report(a, b):
    assert set(a.tables) - IN_MEMORY_ONLY == set(b.tables)
    for name in b.tables:
        pd.testing.assert_frame_equal(a.tables[name].reset_index(drop=True), b.tables[name].reset_index(drop=True),
                                      check_dtype=False, obj=name)
    assert [s.name for s in a.sheets] == [s.name for s in b.sheets]
    for sa, sb in zip(a.sheets, b.sheets):
        pd.testing.assert_frame_equal(sa.data, sb.data, check_dtype=False, obj=sa.name)
        assert sa.message == sb.message and sa.subtitle == sb.subtitle and sa.kinds == sb.kinds
    assert a.kpis == b.kpis or pd.Series(a.kpis).equals(pd.Series(b.kpis))
    assert (a.as_of, a.lang, a.rows_read, a.rows_left_out, a.notes) == (b.as_of, b.lang, b.rows_read,
                                                                          b.rows_left_out, b.notes)
    assert a.issue_count == b.issue_count


#: Fast: a workbook, a platform export and a cleaned Parquet; the larger files (a report each way) are slow.
FAST = {"orders_xlsx", "taobao_orders", "taobao_orders_parquet"}
CASES = [pytest.param(c, marks=() if c in FAST else pytest.mark.slow) for c in
         ["messy", "shop_orders", "orders_xlsx", *[p.stem for p in PLATFORMS], "messy_parquet", "shop_orders_parquet",
          "taobao_orders_parquet"]]


@pytest.mark.parametrize("case", CASES)
def test_duckdb_report_has_the_pandas_tables(sources, case):
    src = str(sources[case])
    pandas_report = build_report(src, settings=Settings(), engine="pandas")
    duck = build_report(src, settings=Settings(), engine="duckdb")
    assert duck.engine == "duckdb" and pandas_report.engine == "pandas"
    assert_same_report(pandas_report, duck)


def test_customer_sheets_cut_to_customer_rows_show_the_same_customers(sources):
    src = str(sources["taobao_orders_parquet"])
    settings = Settings(report_customer_rows=3)
    a = build_report(src, settings=settings, engine="pandas")
    b = build_report(src, settings=settings, engine="duckdb")
    for sa, sb in zip(a.sheets, b.sheets):
        pd.testing.assert_frame_equal(sa.data, sb.data, check_dtype=False, obj=sa.name)
    # on the engine only the shown customers' contacts are looked up
    assert len(b.tables["contacts"]) < len(a.tables["contacts"])
    shown = a.tables["contacts"].set_index("customer_id").loc[b.tables["contacts"]["customer_id"]].reset_index()
    pd.testing.assert_frame_equal(shown, b.tables["contacts"], check_dtype=False)


def test_data_quality_of_more_issues_than_the_streamed_validate_holds(sources, monkeypatch):
    """A cleaned Parquet with more issues than the streamed validate keeps to show: the Data quality sheet
    counts every issue by group, as the pandas report does (it used to fail with a KeyError)."""
    import crmcli.stream.run as run

    src = str(sources["messy_parquet"])
    a = build_report(src, settings=Settings(), engine="pandas")
    monkeypatch.setattr(run, "SHOWN_ISSUES", 5)
    b = build_report(src, settings=Settings(), engine="duckdb")
    assert a.issue_count == b.issue_count > 5

    def counts(report):
        q = report.tables["quality"]
        return q[["field", "code", "severity", "count"]].sort_values(["field", "code"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(counts(a), counts(b), check_dtype=False)


@pytest.mark.slow
def test_spark_report_has_the_pandas_tables(sources, spark, monkeypatch):
    import crmcli.engines.analytics as engines

    opened = engines.open_runner
    monkeypatch.setattr(engines, "open_runner", lambda engine, **kw: opened(engine, session=spark))
    src = str(sources["taobao_orders"])
    assert_same_report(build_report(src, settings=Settings(), engine="pandas"),
                       build_report(src, settings=Settings(), engine="spark"))


def test_options_only_pandas_computes(sources, tmp_path):
    src = str(sources["taobao_orders"])
    with pytest.raises(UsageError, match="leads"):
        build_report(src, leads=str(EXAMPLES / "leads.csv"), settings=Settings(), engine="duckdb")
    with pytest.raises(UsageError, match="owners"):
        build_report(str(EXAMPLES / "order_lines.csv"), settings=Settings(), engine="duckdb")
    # auto over the size it would take DuckDB for: pandas, with a note
    report = build_report(src, leads=str(EXAMPLES / "leads.csv"), settings=Settings(engine_big=1), engine="auto")
    assert report.engine == "pandas" and report.notes[0].startswith("engine: a report with leads")
    report = build_report(str(EXAMPLES / "order_lines.csv"), settings=Settings(engine_big=1), engine="auto")
    assert report.engine == "pandas" and "owners" in report.notes[0]
    assert build_report(src, settings=Settings(engine_big=1), engine="auto").engine == "duckdb"
    assert build_report(src, settings=Settings(), engine="auto").engine == "pandas"   # small: no note
    assert not build_report(src, settings=Settings(), engine="auto").notes[0].startswith("engine:")


def test_cli_report_engine(sources, tmp_path):
    runner = CliRunner()
    out = tmp_path / "r.xlsx"
    res = runner.invoke(app, ["report", str(sources["taobao_orders_parquet"]), "--engine", "duckdb", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and "data issues" in res.output
    res = runner.invoke(app, ["report", str(sources["taobao_orders"]), "--engine", "duckdb", "--campaigns",
                              str(EXAMPLES / "campaigns.csv"), "-o", str(tmp_path / "c.xlsx")])
    assert res.exit_code == 2 and "--engine" in res.output and not (tmp_path / "c.xlsx").exists()
    res = runner.invoke(app, ["report", str(sources["taobao_orders"]), "--engine", "auto", "--campaigns",
                              str(EXAMPLES / "campaigns.csv"), "-o", str(tmp_path / "a.xlsx")],
                        env={"CRM_ENGINE_BIG": "1"})
    assert res.exit_code == 0, res.output
    assert "ran on pandas" in res.output
    res = runner.invoke(app, ["report", str(sources["taobao_orders"]), "--engine", "polars", "-o", str(out)])
    assert res.exit_code == 2
