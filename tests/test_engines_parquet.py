"""A Parquet file `crm clean` wrote: its metadata marks it normalized, and DuckDB builds its lines in SQL
over the file itself (crmcli.engines.lines.direct_lines) with the pandas answers on the same file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.gen_orders import make_orders, write_csv
from crmcli.engines.analytics import open_runner
from crmcli.engines.lines import direct_lines
from crmcli.io.parquet import cleaned_fields, cleaned_metadata
from crmcli.stream import stream_table
from tests.test_engines import assert_same, engine_figures, pandas_figures

ROOT = Path(__file__).resolve().parent.parent


def cleaned(src: Path, folder: Path, name: str, batch_rows: int = 700) -> Path:
    out = folder / f"{name}.parquet"
    stream_table(str(src), output=str(out), issues=str(folder / f"{name}.issues.csv"), batch_rows=batch_rows)
    return out


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("direct")
    raw, _ = make_orders(3000, seed=11)
    write_csv(raw, folder / "messy.csv", "utf-8")
    return cleaned(folder / "messy.csv", folder, "messy")


def test_a_cleaned_parquet_says_it_is_normalized(messy):
    schema = pq.read_schema(messy)
    fields = cleaned_fields(schema)
    assert fields is not None and "customer_id" in fields.values() and "order_date" in fields.values()
    assert all(c in schema.names for c in fields)
    assert cleaned_fields(pa.schema([pa.field("a", pa.string())])) is None
    broken = pa.schema([pa.field("a", pa.string())], metadata={b"crm.normalized": b"1", b"crm.fields": b"[1"})
    assert cleaned_fields(broken) is None
    assert cleaned_fields(pa.schema([pa.field("a", pa.string())], metadata=cleaned_metadata({"a": "order_id",
                                                                                             "gone": "x"}))) == \
        {"a": "order_id"}


def test_duckdb_on_a_cleaned_parquet_builds_the_lines_in_sql_with_the_pandas_answers(messy):
    assert direct_lines(str(messy)) is not None
    with open_runner("duckdb") as runner:
        assert_same(pandas_figures(str(messy), None, None), engine_figures(runner, messy, None, None))


@pytest.mark.parametrize(("name", "direct"), [("order_lines.csv", True), ("platforms/taobao_orders.csv", True),
                                             ("platforms/youzan_orders.csv", True), ("platforms/online_retail.csv", True),
                                             ("platforms/shopify_orders.csv", False)])
def test_cleaned_examples_on_duckdb_give_the_pandas_answers(tmp_path, name, direct):
    """Line rows (an order id on several rows, cells filled on the first row only), refunds, statuses;
    without a customer id column (customers keyed by email/phone/name) the field layer's path runs."""
    out = cleaned(ROOT / "examples" / name, tmp_path, Path(name).stem, batch_rows=97)
    assert (direct_lines(str(out)) is not None) == direct
    with open_runner("duckdb") as runner:
        assert_same(pandas_figures(str(out), None, None), engine_figures(runner, out, None, None))


def test_repeated_rows_are_found_by_the_sql_hashes(tmp_path):
    """Equal rows (every column; a null cell reads as a blank one) are duplicates; rows differing in one
    cell are not."""
    table = pa.table({"订单号": ["A1", "A1", "A1", "", "", ""], "客户ID": ["C1", "C1", "C1", "C2", "C2", "C2"],
                      "下单日期": pa.array([10_000, 10_000, 10_000, 10_001, 10_001, 10_001], pa.date32()),
                      "金额": pa.array([100, 100, 101, 50, 50, 50], pa.float64()).cast(pa.decimal128(18, 2)),
                      "备注": ["x", "x", "x", "", None, "y"]})
    fields = {"订单号": "order_id", "客户ID": "customer_id", "下单日期": "order_date", "金额": "amount"}
    path = tmp_path / "rows.parquet"
    pq.write_table(table.replace_schema_metadata(cleaned_metadata(fields)), path)
    assert direct_lines(str(path)) is not None
    with open_runner("duckdb") as runner:
        engine = engine_figures(runner, path, None, "2000-01-01")
    # row 3 = row 2 (row 4 differs in 金额); row 6 = row 5 (备注 null and blank; row 7 differs in 备注)
    assert engine[0].dropped.get("duplicate-row") == 2
    assert_same(pandas_figures(str(path), None, "2000-01-01"), engine)


def test_what_is_not_a_cleaned_parquet_takes_the_field_layer(tmp_path, messy):
    plain = tmp_path / "plain.parquet"
    pq.write_table(pq.read_table(messy).replace_schema_metadata(None), plain)
    assert direct_lines(str(plain)) is None
    # a text date column is parsed by the field layer, not taken as it is
    table = pq.read_table(messy)
    date_col = next(c for c, f in cleaned_fields(table.schema).items() if f == "order_date")
    texts = table.set_column(table.schema.get_field_index(date_col), date_col,
                             table[date_col].cast(pa.string()))
    texty = tmp_path / "texty.parquet"
    pq.write_table(texts, texty)
    assert direct_lines(str(texty)) is None
    assert direct_lines(str(ROOT / "examples" / "shop_orders.csv")) is None


def test_a_totals_row_in_a_cleaned_parquet_is_left_out_by_the_field_layer(tmp_path, messy):
    """A 合计 row appended to the file: the SQL path cannot tell it, so the batch path (which flags it) runs;
    pandas reading the same Parquet flags it too (one totals rule for every reader)."""
    table = pq.read_table(messy)
    row = {n: [None] for n in table.schema.names}
    row[table.schema.names[0]] = ["合计"]
    total = pa.table(row, schema=table.schema)
    path = tmp_path / "totals.parquet"
    pq.write_table(pa.concat_tables([table, total]), path)
    with open_runner("duckdb") as runner:
        engine = engine_figures(runner, path, None, None)
    with open_runner("duckdb") as runner:
        without = engine_figures(runner, messy, None, None)
    assert engine[0].dropped == {"totals-row": 1, **without[0].dropped}
    pd.testing.assert_frame_equal(engine[0].table, without[0].table)
    pd.testing.assert_frame_equal(engine[1].kpis, without[1].kpis)
    assert_same(pandas_figures(str(path), None, None), engine)   # the pandas reader flags the row too
