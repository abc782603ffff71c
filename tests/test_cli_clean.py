from __future__ import annotations

import shutil

import openpyxl
import pytest

from crmcli.clean import clean_table, write_cleaned
from crmcli.io import read_table
from tests.conftest import run_crm

MESSY = ("订单号,客户名称,联系电话,下单日期,金额\n"
         "SO1, 张三 ,138 1234 5678,2024/3/5,\"¥1,234.50\"\n"
         "SO2,李四,1.38123E+10,待定,abc\n"
         "SO3,王五,+86 139-1234-5678,20240306,１２．５\n").encode()


def test_clean_csv_stdin_to_stdout(run):
    res = run(["clean", "-"], input=MESSY)
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [
        "订单号,客户名称,联系电话,下单日期,金额",
        '"SO1","张三","+8613812345678","2024-03-05","1234.5"',
        '"SO2","李四","1.38123E+10","待定","abc"',
        '"SO3","王五","+8613912345678","2024-03-06","12.5"',
    ]
    assert "3 rows: 3 errors" in res.stderr


def test_clean_default_output_beside_input_xlsx(run, tmp_path, examples):
    src = tmp_path / "orders.xlsx"
    shutil.copy(examples / "orders.xlsx", src)
    before = src.read_bytes()
    res = run(["clean", src])
    assert res.exit_code == 0
    out = tmp_path / "orders.cleaned.xlsx"
    assert out.exists() and src.read_bytes() == before
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["cleaned", "issues", "summary"]
    assert wb["cleaned"].max_row == 327  # every row kept


def test_clean_csv_with_issues_file_equals_library(run, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(MESSY)
    out, issues = tmp_path / "out.csv", tmp_path / "issues.csv"
    assert run(["clean", src, "-o", out, "--issues", issues]).exit_code == 0
    lib_out, lib_issues = tmp_path / "lib.csv", tmp_path / "lib_issues.csv"
    write_cleaned(clean_table(read_table(src)), lib_out, issues_path=lib_issues)
    assert out.read_bytes() == lib_out.read_bytes()
    assert issues.read_bytes() == lib_issues.read_bytes()
    assert src.read_bytes() == MESSY


def test_drop_invalid_csv_writes_rejected_file(run, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(MESSY)
    res = run(["clean", src, "--drop-invalid"])
    assert res.exit_code == 0
    kept = read_table(tmp_path / "in.cleaned.csv")
    rejected = read_table(tmp_path / "in.rejected.csv")
    assert list(kept["订单号"]) == ["SO1", "SO3"] and list(rejected["订单号"]) == ["SO2"]
    assert "2 rows kept, 1 rejected" in res.stderr


def test_drop_invalid_xlsx_rejected_sheet(run, tmp_path):
    out = tmp_path / "out.xlsx"
    assert run(["clean", "-", "-o", out, "--drop-invalid"], input=MESSY).exit_code == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["cleaned", "issues", "summary", "rejected"]
    assert wb["rejected"].cell(2, 1).value == "SO2"


def test_drop_invalid_stdin_to_stdout_needs_a_place(run, tmp_path):
    assert run(["clean", "-", "--drop-invalid"], input=MESSY).exit_code == 2
    res = run(["clean", "-", "--drop-invalid", "--rejected", tmp_path / "r.csv"], input=MESSY)
    assert res.exit_code == 0 and (tmp_path / "r.csv").exists() and "SO2" not in res.stdout


def test_clean_fail_on(run):
    assert run(["clean", "-", "--fail-on", "error"], input=MESSY).exit_code == 1


def test_clean_refuses_to_overwrite_input(run, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(MESSY)
    res = run(["clean", src, "-o", src])
    assert res.exit_code == 4 and src.read_bytes() == MESSY


def test_clean_gb18030_example_no_progress_in_tests(run, examples):
    res = run(["clean", examples / "orders_gb18030.csv", "-o", "-"])
    assert res.exit_code == 0 and "\r" not in res.stderr
    assert res.stdout.count("\n") == 327


@pytest.mark.slow
def test_clean_pipe_subprocess():
    res = run_crm(["clean", "-"], input=MESSY)
    assert res.returncode == 0 and b"+8613812345678" in res.stdout
