from __future__ import annotations

import io

import pandas as pd
import pytest

from crmcli.io import read_table
from crmcli.schema import map_columns
from crmcli.validate import find_issues
from tests.conftest import run_crm

BAD = "订单号,联系电话,下单日期,金额\nSO1,13812345678,2024-03-05,12\nSO2,1.38123E+10,待定,abc\n".encode()
GOOD = "订单号,联系电话,下单日期,金额\nSO1,13812345678,2024-03-05,12\n".encode()
AMBIGUOUS = "订单号,下单日期\nSO1,03/05/2024\n".encode()


def test_validate_summary_on_stderr_and_exit_1(run, tmp_path):
    src = tmp_path / "o.csv"
    src.write_bytes(BAD)
    res = run(["validate", src])
    assert res.exit_code == 1
    assert res.stdout == ""
    assert "2 rows checked: 3 errors, 0 warnings" in res.stderr
    assert "lossy-phone" in res.stderr and "invalid-date" in res.stderr
    assert src.read_bytes() == BAD


def test_validate_and_clean_count_one_issue_in_the_singular(run, tmp_path):
    src = tmp_path / "o.csv"
    src.write_bytes("订单号,联系电话,下单日期,金额\nSO1,13812345678,待定,12\n".encode())
    res = run(["validate", src])
    assert "1 row checked: 1 error, 0 warnings" in res.stderr
    res = run(["clean", src, "-o", tmp_path / "out.csv"])
    assert "cleaned 1 row: 1 error, 0 warnings" in res.stderr


def test_validate_clean_file_exit_0(run):
    res = run(["validate", "-"], input=GOOD)
    assert res.exit_code == 0 and "0 errors" in res.stderr


@pytest.mark.parametrize("fail_on,data,code", [
    ("error", AMBIGUOUS, 0), ("warning", AMBIGUOUS, 1), ("never", BAD, 0), ("error", BAD, 1)])
def test_fail_on(run, fail_on, data, code):
    assert run(["validate", "-", "--fail-on", fail_on], input=data).exit_code == code


def test_fail_on_bad_value(run):
    assert run(["validate", "-", "--fail-on", "sometimes"], input=GOOD).exit_code == 2


def test_dayfirst_flags(run):
    assert run(["validate", "-", "--fail-on", "warning", "--dayfirst"], input=AMBIGUOUS).exit_code == 0
    assert run(["validate", "-", "--fail-on", "warning", "--monthfirst"], input=AMBIGUOUS).exit_code == 0


def test_issues_to_stdout_equals_library(run):
    res = run(["validate", "-", "-o", "-"], input=BAD)
    got = pd.read_csv(io.StringIO(res.stdout), dtype=str, keep_default_na=False)
    df = read_table(BAD)
    want = find_issues(df, map_columns(df.columns))
    assert list(got.columns) == list(want.columns)
    assert got.astype(str).values.tolist() == want.astype(str).values.tolist()


def test_issues_file_and_region(run, tmp_path):
    out = tmp_path / "issues.xlsx"
    data = "phone\n(212) 555-2671\n".encode()
    assert run(["validate", "-", "--issues", out, "--region", "US"], input=data).exit_code == 0
    assert read_table(out).empty or len(read_table(out)) == 0


def test_validate_examples_workbook(run, examples):
    res = run(["validate", examples / "orders.xlsx", "--fail-on", "never"])
    assert res.exit_code == 0
    assert "+" in res.stderr and "more" in res.stderr  # first 20 issues, then "+N more"


def test_missing_file_exit_3(run, tmp_path):
    res = run(["validate", tmp_path / "nope.csv"])
    assert res.exit_code == 3 and res.stderr.startswith("crm: error:")


@pytest.mark.slow
def test_validate_subprocess_exit_code(tmp_path):
    res = run_crm(["validate", "-"], input=BAD)
    assert res.returncode == 1 and b"lossy-phone" in res.stderr and res.stdout == b""
