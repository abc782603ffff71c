"""crm clv and crm rfm --clv: the CLI writes what fit_clv computes; --params, --holdout(-report), config, errors."""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
import pytest

from crmcli import fit_clv
from crmcli.clv import COLUMNS
from crmcli.io import read_table

from .conftest import ROOT
from .test_clv import DATA, cdnow_sample_text


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cdnow") / "cdnow_sample.csv"
    cdnow_sample_text().to_csv(path, index=False)
    return path


def test_cli_equals_library(run, examples):
    res = run(["clv", examples / "shop_orders.csv", "-o", "-"])
    assert res.exit_code == 0, res.stderr
    out = pd.read_csv(io.StringIO(res.stdout), dtype={"customer_id": str, "churn_risk": str})
    lib = fit_clv(read_table(examples / "shop_orders.csv")).table
    assert list(out.columns) == COLUMNS
    assert list(out["customer_id"]) == list(lib["customer_id"])
    assert (out["p_alive"] - lib["p_alive"]).abs().max() < 1e-9
    assert (out["clv"] - lib["clv"]).abs().max() < 1e-6
    assert list(out["churn_risk"]) == list(lib["churn_risk"])
    err = " ".join(res.stderr.split())
    assert "BG/NBD (days): r 0.3615" in err and "converged" in err and "2 of 2 starts" in err
    assert "Gamma-Gamma: p" in err and "frequency-value correlation" in err
    assert "churn_risk: high = p_alive < 0.5" in err
    assert "left out: 44 cancelled or closed, 85 refunded orders (by their status)" in err  # voided, refunded


@pytest.mark.slow
def test_cdnow_params_holdout_report_and_xlsx(run, cdnow_csv, tmp_path):
    params, report, dest = tmp_path / "params.json", tmp_path / "holdout.json", tmp_path / "clv.xlsx"
    res = run(["clv", cdnow_csv, "--as-of", "1998-06-30", "--holdout", "1997-09-30", "--params", params,
               "--holdout-report", report, "-o", dest])
    assert res.exit_code == 0, res.stderr
    p = json.loads(params.read_text())
    assert p["bgnbd"]["unit"] == "day" and p["as_of"] == "1997-09-30" and p["customers"] == 2357
    assert p["bgnbd"]["alpha"] / 7 == pytest.approx(4.414, rel=0.01)
    assert p["gamma_gamma"]["q"] == pytest.approx(3.74, rel=0.01)
    h = json.loads(report.read_text())
    assert h["actual"] == 1882 and h["holdout_days"] == 273
    assert [r["calibration_purchases"] for r in h["by_purchases"]][-1] == "7+"
    assert len(h["customers_detail"]) == 2357
    wb = openpyxl.load_workbook(dest)
    assert wb.sheetnames == ["clv"]
    head = [c.value for c in wb["clv"][1]]
    assert head == [*COLUMNS, "holdout_predicted", "holdout_actual"]
    assert isinstance(wb["clv"]["A2"].value, str)  # ids stay text: "00004"
    err = " ".join(res.stderr.split())
    assert "holdout 1997-09-30 → 1998-06-30 (273 days, 2,357 customers): predicted 1,653.4" in err
    assert "actual 1,882" in err and "7+" in err


@pytest.mark.parametrize("ext,check", [
    ("xlsx", lambda p: openpyxl.load_workbook(p).sheetnames == ["summary", "by_purchases", "by_period", "customers"]),
    ("csv", lambda p: list(pd.read_csv(p).columns) == ["calibration_purchases", "customers", "predicted_mean",
                                                       "actual_mean", "predicted_total", "actual_total"]),
])
def test_holdout_report_formats(run, cdnow_csv, tmp_path, ext, check):
    dest = tmp_path / f"h.{ext}"
    res = run(["clv", cdnow_csv, "--holdout-days", "273", "--holdout-report", dest, "-o", tmp_path / "c.csv", "-q"])
    assert res.exit_code == 0 and res.stderr == ""
    assert check(dest)


def test_stdin_and_config_horizon(run, tmp_path, examples):
    (tmp_path / "crm.toml").write_text("[clv]\nhorizon = 90\ndiscount = 0.05\n", encoding="utf-8")
    data = (examples / "shop_orders.csv").read_bytes()
    res = run(["clv", "-", "--config", tmp_path / "crm.toml", "--params", tmp_path / "p.json"], input=data)
    assert res.exit_code == 0, res.stderr
    p = json.loads((tmp_path / "p.json").read_text())
    assert p["horizon_days"] == 90 and p["discount_per_year"] == 0.05
    res2 = run(["clv", "-", "--config", tmp_path / "crm.toml", "--horizon", "30", "-q", "--params",
                tmp_path / "p2.json"], input=data)
    assert json.loads((tmp_path / "p2.json").read_text())["horizon_days"] == 30  # the flag wins
    a = pd.read_csv(io.StringIO(res.stdout))
    b = pd.read_csv(io.StringIO(res2.stdout))
    assert (b["expected_orders"] <= a["expected_orders"] + 1e-12).all()


def test_default_output_beside_input(run, examples, tmp_path):
    src = tmp_path / "shop.csv"
    src.write_bytes((examples / "shop_orders.csv").read_bytes())
    res = run(["clv", src, "-q"])
    assert res.exit_code == 0 and (tmp_path / "shop.clv.csv").exists()
    assert src.read_bytes() == (examples / "shop_orders.csv").read_bytes()


def test_rfm_clv_adds_the_columns(run, examples):
    res = run(["rfm", examples / "orders.xlsx", "--clv", "-o", "-"])
    assert res.exit_code == 0, res.stderr
    out = pd.read_csv(io.StringIO(res.stdout), dtype={"customer_id": str, "rfm_score": str})
    assert list(out.columns)[-4:] == ["p_alive", "expected_orders", "clv", "churn_risk"]
    lib = fit_clv(read_table(examples / "orders.xlsx")).table.set_index("customer_id")
    assert (out.set_index("customer_id")["p_alive"] - lib["p_alive"]).abs().max() < 1e-9
    assert "BG/NBD (days)" in res.stderr


def small_csv(tmp_path, rows) -> str:
    path = tmp_path / "orders.csv"
    pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"]).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("rows,args,code,text", [
    ([("A", "2024-01-01", 10), ("A", "2024-02-01", 5), ("B", "2024-01-03", 7), ("C", "2024-01-09", 4)], [], 1,
     "3 customers are too few"),
    ([(f"C{i}", f"2024-01-{i + 1:02d}", 10) for i in range(20)], [], 1, "bought on two different days"),
    ([(f"C{i}", "2024-03-01", 10) for i in range(20)] * 2, [], 1, "every purchase is on one day"),
    ([(f"C{i}", "2024-03-01", 10) for i in range(20)], ["--as-of", "2023-01-01"], 1, "before the first order"),
    ([(f"C{i}", "2024-03-01", 10) for i in range(20)], ["--horizon", "0"], 2, "--horizon"),
    ([(f"C{i}", "2024-03-01", 10) for i in range(20)], ["--holdout", "2025-01-01"], 2, "before as-of"),
    ([(f"C{i}", "2024-03-01", 10) for i in range(20)], ["--holdout-report", "h.json"], 2, "needs --holdout"),
    ([(f"C{i}", "2024-03-01", 10) for i in range(20)], ["--params", "-"], 2, "cannot both go to stdout"),
])
def test_bad_input_is_one_clear_line(run, tmp_path, rows, args, code, text):
    res = run(["clv", small_csv(tmp_path, rows), "-o", "-", *args])
    assert res.exit_code == code, res.stderr
    assert text in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == ""


def test_non_convergence_is_reported(run, tmp_path):
    rows = [(f"C{c}", (pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)).date().isoformat(), 20)
            for c in range(40) for d in range(c * 3, 400, 10)]
    res = run(["clv", small_csv(tmp_path, rows), "-o", "-"])
    assert res.exit_code == 1 and "did not converge" in res.stderr and "ran to" in res.stderr


def test_help_and_readme_name_the_options(run):
    res = run(["clv", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    assert "repeat_purchases = purchase days − 1" in text and "Days everywhere" in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for opt in ("--horizon", "--discount", "--holdout", "--holdout-days", "--holdout-report", "--params", "--as-of",
                "--customer", "--config"):
        assert opt in res.stdout and opt in readme, opt
    assert "crm clv" in readme and "crm rfm" in readme and "--clv" in readme
    assert (DATA / "cdnow_sample.csv.gz").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_looking_customer_ids_stay_text(run, examples, tmp_path, fmt):
    from tests.hostile import assert_no_live_formula

    shop = pd.read_csv(examples / "shop_orders.csv", dtype=str, keep_default_na=False)
    ids = ['=HYPERLINK("http://evil.example","x")', "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3"]
    no_phone = shop.loc[shop["Phone"] == "", "Email"].drop_duplicates().head(len(ids))
    shop = shop.rename(columns={"Email": "Customer ID"})
    shop["Customer ID"] = shop["Customer ID"].replace(dict(zip(no_phone, ids)))
    src = tmp_path / "shop.csv"
    shop.to_csv(src, index=False)
    dest = tmp_path / f"clv.{fmt}"
    res = run(["clv", src, "-o", dest, "-q"])
    assert res.exit_code == 0, res.stderr
    assert_no_live_formula(dest)
    if fmt == "xlsx":
        got = {c.value for c in openpyxl.load_workbook(dest)["clv"]["A"]}
        assert set(ids) <= got  # the values reach the sheet, as text cells
