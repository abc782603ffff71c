"""The report's column-wise writer (crmcli/report/columns.py) writes the cells the cell-by-cell writer does."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from crmcli.report import workbook
from crmcli.report.sheet import Sheet
from crmcli.report.workbook import write_report_workbook


def _sheet(n: int) -> Sheet:
    rng = np.random.default_rng(7)
    money = rng.uniform(-50, 5000, n).round(3)
    money[::17] = np.nan
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    with_time = when + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")
    text = np.array([f"客户{i}" for i in range(n)], dtype=object)
    text[5::97] = "=HYPERLINK(\"http://x\")"    # never a formula
    text[7::89] = None
    mixed = pd.Series([i if i % 3 else f"t{i}" for i in range(n)], dtype=object)  # cell by cell
    df = pd.DataFrame({"customer": text, "monetary": money, "frequency": rng.integers(1, 40, n),
                       "share": rng.uniform(0, 1, n), "last_order": when, "seen_at": with_time.where(
                           rng.uniform(size=n) > 0.1), "mixed": mixed, "flag": rng.uniform(size=n) > 0.5})
    return Sheet("Customers", df, kinds={"customer": "text", "monetary": "money", "frequency": "int",
                                          "share": "percent", "seen_at": "datetime"})


def _cells(path) -> list[list[tuple]]:
    ws = openpyxl.load_workbook(path)["Customers"]
    return [[(c.value, c.number_format, c.data_type) for c in row] for row in ws.iter_rows()]


@pytest.mark.parametrize("total", [False, True])
def test_fast_rows_equal_cell_by_cell(tmp_path, monkeypatch, total):
    sheet = _sheet(1_300)
    sheet.total_row = total
    fast = tmp_path / "fast.xlsx"
    write_report_workbook([sheet], fast)
    monkeypatch.setattr(workbook, "SAMPLE_ROWS", 10**9)   # every row through SheetWriter.write
    slow = tmp_path / "slow.xlsx"
    write_report_workbook([sheet], slow)
    a, b = _cells(fast), _cells(slow)
    assert len(a) == len(b) == 1_301
    assert a == b
    formula_like = [r[0] for r in a[1:] if isinstance(r[0][0], str) and r[0][0].startswith("=")]
    assert formula_like and all(v[2] == "s" for v in formula_like)   # string cells, not formulas


def test_customer_sheets_show_the_top_rows_with_a_note(tmp_path):
    from crmcli.config import Settings
    from crmcli.report import build_report

    report = build_report("examples/orders.xlsx", settings=Settings(report_customer_rows=5, lang="en"),
                          source="orders.xlsx")
    sheet = next(s for s in report.sheets if s.name == "Customers")
    full = report.tables["rfm"]
    assert len(sheet.data) == 5 < len(full)
    assert f"5 most valuable of {len(full)} customers" in sheet.subtitle and "crm rfm orders.xlsx" in sheet.subtitle
    top = full.sort_values(["monetary", "customer_id"], ascending=[False, True]).head(5)
    assert sheet.data.iloc[:, 0].astype(str).tolist() == top["customer_id"].astype(str).tolist()
    report.write(tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Customers"]
    assert "most valuable" in str(ws["A1"].value)
    everyone = build_report("examples/orders.xlsx", settings=Settings(lang="en"))
    assert next(s for s in everyone.sheets if s.name == "Customers").subtitle is None
