"""crm forecast: the CLI writes what forecast_sales computes; xlsx sheets; the backtest on stderr; errors."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from crmcli import forecast_sales
from crmcli.forecast import TABLE_COLUMNS
from crmcli.io import read_table

from .conftest import ROOT


@pytest.mark.slow
def test_cli_equals_library(run, examples):
    res = run(["forecast", examples / "shop_orders.csv", "-o", "-", "--periods", "4"])
    assert res.exit_code == 0, res.stderr
    out = pd.read_csv(io.StringIO(res.stdout))
    lib = forecast_sales(read_table(examples / "shop_orders.csv"), periods=4).table
    assert list(out.columns) == TABLE_COLUMNS and len(out) == len(lib) == 40
    fut = out[out["kind"] == "forecast"]
    assert (fut["revenue"].to_numpy() - lib.loc[lib["kind"] == "forecast", "revenue"].to_numpy()).max() < 1e-6
    err = " ".join(res.stderr.split())
    assert "36 complete months of history (2022-01 … 2024-12)" in err
    assert "backtest revenue, ets: 8 origins" in err and "MAPE" in err and "MASE" in err
    assert "seasonal naive MAPE" in err and "beats seasonal naive" in err
    assert "2025-04" in err and "80% interval" in err


def test_xlsx_and_weeks(run, examples, tmp_path):
    dest = tmp_path / "f.xlsx"
    res = run(["forecast", examples / "orders.xlsx", "--by", "week", "--level", "95", "-o", dest])
    assert res.exit_code == 0, res.stderr
    wb = openpyxl.load_workbook(dest)
    assert wb.sheetnames == ["forecast", "backtest"]
    rows = list(wb["forecast"].iter_rows(values_only=True))
    assert rows[0][:3] == ("period", "start", "kind") and rows[-1][2] == "forecast" and len(rows) - 1 > 13
    assert rows[1][0].startswith("2023-W")
    assert "95% interval" in res.stderr and "2024-W52 is not complete" in " ".join(res.stderr.split())


@pytest.mark.slow
def test_default_output_and_stdin(run, examples, tmp_path):
    src = tmp_path / "orders.xlsx"
    src.write_bytes((examples / "orders.xlsx").read_bytes())
    res = run(["forecast", src, "-q"])
    assert res.exit_code == 0 and res.stderr == "" and (tmp_path / "orders.forecast.xlsx").exists()
    res = run(["forecast", "-", "-q", "--by", "quarter"], input=(examples / "shop_orders.csv").read_bytes())
    assert res.exit_code == 0
    out = pd.read_csv(io.StringIO(res.stdout))
    assert out["period"].iloc[0] == "2022Q1" and (out["kind"] == "forecast").sum() == 4


@pytest.mark.parametrize("args,code,text", [
    (["--by", "day"], 2, "--by"), (["--periods", "0"], 2, "--periods"), (["--level", "5"], 2, "--level"),
    (["--model", "x"], 2, "--model"), (["--as-of", "2000-01-01"], 1, "before the first order"),
])
def test_errors(run, examples, args, code, text):
    res = run(["forecast", examples / "orders.xlsx", "-o", "-", *args])
    assert res.exit_code == code and text in res.stderr and "Traceback" not in res.stderr


def test_too_short_a_history(run, tmp_path):
    path = tmp_path / "o.csv"
    pd.DataFrame({"customer_id": ["A", "B"], "order_date": ["2024-01-05", "2024-02-03"],
                  "amount": [10, 20]}).to_csv(path, index=False)
    res = run(["forecast", path, "-o", "-"])
    assert res.exit_code == 1 and "too short to forecast" in res.stderr and res.stdout == ""


def test_help_and_readme_name_the_options(run):
    res = run(["forecast", "--help"])
    assert res.exit_code == 0
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "crm forecast" in readme and "seasonal naive" in readme
    for opt in ("--by", "--periods", "--level", "--model", "--as-of"):
        assert opt in res.stdout and opt in readme, opt
