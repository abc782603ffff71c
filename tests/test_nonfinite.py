"""``1e309``, ``inf``, ``-inf``, ``nan`` in a money column are ``invalid-amount`` (the field layer:
every amount a command adds up is finite), and no writer crashes on a non-finite float.

Before: ``1e309`` parsed to ``inf``; ``crm clean -o x.xlsx`` died with "unexpected TypeError"
(xlsxwriter refuses inf), ``crm pivot`` summed it to ``inf``.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from crmcli.fields import normalize_amounts, normalize_field, parse_amount
from crmcli.io import is_formula_like, read_table, write_table
from crmcli.pivot import pivot_table
from crmcli.report import Sheet, write_report_workbook
from crmcli.rfm import score_rfm

NOT_FINITE = ["1e309", "-1e309", "1E+999", "1" + "0" * 400, "-" + "9" * 320 + ".5", "inf", "-inf", "+inf",
              "Infinity", "nan", "NaN", "¥1e309", "1e305万"]
FINITE = {"1.5e308": "15" + "0" * 307, "-1.7E+308": "-17" + "0" * 307,
          "12.50": "12.5", "-3": "-3"}

ORDERS = ("订单号,客户,金额,下单日期\n"
          "SO1,张三,1e309,2024-01-02\n"
          "SO2,张三,120.50,2024-01-03\n"
          "SO3,李四,inf,2024-01-04\n"
          "SO4,李四,-inf,2024-01-05\n"
          "SO5,王五,nan,2024-01-06\n"
          f"SO6,王五,{'1' + '0' * 400},2024-02-01\n"
          "SO7,赵六,88,2024-02-02\n").encode("utf-8")
BAD_ROWS = [2, 4, 5, 6, 7]  # Excel rows of SO1, SO3..SO6


@pytest.mark.parametrize("text", NOT_FINITE)
def test_parse_amount_refuses_what_no_float_holds(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize("text,canon", FINITE.items())
def test_parse_amount_keeps_large_finite_numbers(text, canon):
    assert parse_amount(text) == canon and math.isfinite(float(canon))


def test_distinct_values_path_and_column_path_agree():
    values = NOT_FINITE + list(FINITE)
    out, codes, nums = normalize_amounts(values)
    assert codes == ["invalid-amount"] * len(NOT_FINITE) + [""] * len(FINITE)
    assert np.isfinite(nums[len(NOT_FINITE):]).all() and np.isnan(nums[:len(NOT_FINITE)]).all()
    # a whole column: the vectorized plain-decimal path (which casts "1000…0" itself) and the rest
    col = pd.Series(values * 3000, dtype="str")
    res = normalize_field(col, "amount")
    bad = (res.codes == "invalid-amount").to_numpy()
    assert bad.tolist() == [c == "invalid-amount" for c in codes] * 3000
    parsed = res.parsed.to_numpy(dtype=np.float64)
    assert np.isfinite(parsed[~bad]).all() and np.isnan(parsed[bad]).all()
    assert res.values[bad].tolist() == [v.strip() for v in values if parse_amount(v) is None] * 3000


def test_quantities_follow_the_same_rule():
    res = normalize_field(pd.Series(["1e309", "3件", "inf"], dtype="str"), "number")
    assert res.codes.tolist() == ["invalid-number", "", "invalid-number"]


# --------------------------------------------------------------------------- commands


@pytest.fixture
def orders_csv(tmp_path):
    p = tmp_path / "orders.csv"
    p.write_bytes(ORDERS)
    return p


def test_crm_clean_csv(run, orders_csv):
    res = run(["clean", orders_csv, "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr
    out = pd.read_csv(io.StringIO(res.stdout), dtype=str, keep_default_na=False)
    assert out["金额"].tolist() == ["1e309", "120.5", "inf", "'-inf", "nan", "1" + "0" * 400, "88"]
    res = run(["validate", orders_csv, "--format", "json", "-o", "-"])
    issues = json.loads(res.stdout)
    assert sorted(i["row"] for i in issues if i["code"] == "invalid-amount") == BAD_ROWS


def test_crm_clean_xlsx(run, orders_csv, tmp_path):
    dest = tmp_path / "cleaned.xlsx"
    res = run(["clean", orders_csv, "-o", dest])
    assert res.exit_code == 0, res.stderr
    ws = openpyxl.load_workbook(dest)["cleaned"]
    cells = [ws.cell(r, 3) for r in range(2, 9)]
    assert [c.value for c in cells] == ["1e309", 120.5, "inf", "-inf", "nan", "1" + "0" * 400, 88]
    assert [c.data_type for c in cells] == ["s", "n", "s", "s", "s", "s", "n"]
    issues = openpyxl.load_workbook(dest)["issues"]
    rows = [r[0] for r in issues.iter_rows(min_row=2, values_only=True) if "invalid-amount" in r]
    assert sorted(rows) == BAD_ROWS


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_crm_pivot_leaves_them_out(run, orders_csv, fmt):
    res = run(["pivot", orders_csv, "--rows", "客户", "--values", "金额", "-o", "-", "--format", fmt])
    assert res.exit_code == 0, res.stderr
    out = (pd.read_csv(io.StringIO(res.stdout)) if fmt == "csv" else pd.DataFrame(json.loads(res.stdout)))
    sums = dict(zip(out.iloc[:, 0], out.iloc[:, 1]))
    assert sums["Total"] == pytest.approx(208.5) and sums["张三"] == pytest.approx(120.5)
    assert all(math.isfinite(v) for v in sums.values())
    assert "5 row(s) with a non-numeric 金额 left out of the sum" in res.stderr
    lib = pivot_table(read_table(orders_csv), rows=["客户"], values="金额")
    assert lib.table.iloc[:, 1].tolist() == pytest.approx(out.iloc[:, 1].tolist())


def test_crm_pivot_xlsx(run, orders_csv, tmp_path):
    dest = tmp_path / "p.xlsx"
    res = run(["pivot", orders_csv, "--rows", "客户", "--values", "金额", "-o", dest])
    assert res.exit_code == 0, res.stderr
    values = [r[1] for r in openpyxl.load_workbook(dest).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert values[-1] == pytest.approx(208.5)


def test_crm_rfm_leaves_them_out(run, orders_csv):
    res = run(["rfm", orders_csv, "-o", "-"])
    assert res.exit_code == 0, res.stderr
    assert "left out: 5 rows (5 invalid-amount)" in res.stderr
    out = pd.read_csv(io.StringIO(res.stdout), dtype={"customer_id": str})
    assert dict(zip(out["customer_id"], out["monetary"])) == {"张三": 120.5, "赵六": 88.0}
    lib = score_rfm(read_table(orders_csv)).table
    assert lib["monetary"].tolist() == out["monetary"].tolist()


# --------------------------------------------------------------------------- writers


FLOATS = pd.DataFrame({"x": [1.5, math.inf, -math.inf, math.nan],
                       "mixed": pd.Series([2.0, "text", math.inf, -math.inf], dtype=object),
                       "f32": np.array([1, np.inf, -np.inf, np.nan], dtype=np.float32)})


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_text_writers_spell_infinity_and_escape_the_sign(tmp_path, fmt):
    dest = tmp_path / f"o.{fmt}"
    write_table(FLOATS, dest)
    rows = pd.read_csv(dest, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False)
    assert rows["x"].tolist() == ["1.5", "inf", "'-inf", ""]
    assert rows["mixed"].tolist() == ["2.0", "text", "inf", "'-inf"]
    assert rows["f32"].tolist() == ["1", "inf", "'-inf", ""]
    assert not [v for v in rows.to_numpy().ravel() if is_formula_like(v)]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_writers_write_strict_json(tmp_path, fmt):
    dest = tmp_path / f"o.{fmt}"
    write_table(FLOATS, dest)

    def refuse(name):
        raise AssertionError(f"{name} is not JSON")

    text = dest.read_text(encoding="utf-8")
    records = (json.loads(text, parse_constant=refuse) if fmt == "json"
               else [json.loads(line, parse_constant=refuse) for line in text.splitlines()])
    assert [r["x"] for r in records] == [1.5, "inf", "-inf", None]
    assert [r["mixed"] for r in records] == [2.0, "text", "inf", "-inf"]
    assert [r["f32"] for r in records] == [1.0, "inf", "-inf", None]


def test_json_writer_missing_values_of_every_kind(tmp_path):
    df = pd.DataFrame({"d": pd.to_datetime(["2024-01-02", None]), "n": pd.array([1, None], dtype="Int64")})
    dest = tmp_path / "o.json"
    write_table(df, dest)
    assert json.loads(dest.read_text()) == [{"d": "2024-01-02T00:00:00", "n": 1}, {"d": None, "n": None}]


def test_xlsx_writer_spells_infinity_as_text(tmp_path):
    dest = tmp_path / "o.xlsx"
    write_table(FLOATS, dest)
    ws = openpyxl.load_workbook(dest).worksheets[0]
    got = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows(min_row=2)]
    assert got == [[(1.5, "n"), (2, "n"), (1, "n")],
                   [("inf", "s"), ("text", "s"), ("inf", "s")],
                   [("-inf", "s"), ("inf", "s"), ("-inf", "s")],
                   [(None, "n"), ("-inf", "s"), (None, "n")]]


def test_report_writer_spells_infinity_as_text(tmp_path):
    dest = tmp_path / "r.xlsx"
    df = pd.DataFrame({"share": [0.5, math.inf, math.nan], "aov": [1.0, -math.inf, 2.0]})
    write_report_workbook([Sheet("s", df, kinds={"share": "percent", "aov": "money"})], dest)
    ws = openpyxl.load_workbook(dest)["s"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [[0.5, 1], ["inf", "-inf"], [None, 2]]
    assert ws["A2"].number_format == "0.0%" and ws["B4"].number_format == "#,##0.00"
