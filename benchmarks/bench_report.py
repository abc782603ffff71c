"""Benchmark `crm report` on a large messy orders file, as a ratio to a baseline from the same run.

    python benchmarks/bench_report.py [N]          # default 200,000 order rows, N/10 customers

Baseline: reading the same CSV with ``read_table`` and writing it back as one xlsx sheet with
``crmcli.io.write_workbook`` (xlsxwriter, constant memory) — i.e. what the cheapest possible
"spreadsheet in, workbook out" costs. The report does that plus normalization, validation,
RFM, metrics, CLV, the forecast and every sheet with its print layout and charts (the Customers sheet has N/10
rows). Prints both times and the ratio; also the time to write the built report as the web page (``-o
report.html``), which is not in the ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.gen_orders import make_orders, write_csv  # noqa: E402
from crmcli.config import Settings  # noqa: E402
from crmcli.io import read_table, write_workbook  # noqa: E402
from crmcli.report import make_report  # noqa: E402


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 200_000
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    src = data / f"orders_{n}.csv"
    if not src.exists():
        raw, _ = make_orders(n, seed=7, customers=max(n // 10, 10))
        write_csv(raw, src, encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_workbook({"orders": read_table(src)}, Path(tmp) / "baseline.xlsx")
        base = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = make_report(Settings(orders=str(src), output=str(Path(tmp) / "report.xlsx"), lang="en"))
        took = time.perf_counter() - t0
        t0 = time.perf_counter()
        result.report.write(Path(tmp) / "report.html")   # the same report as one web page
        page = time.perf_counter() - t0
    r = result.report
    print(f"rows {n:,}  customers {len(r.tables['rfm']):,}  sheets {len(r.sheets)}  issues {len(r.issues):,}")
    print(f"baseline (read_table + write_workbook): {base:.2f} s")
    print(f"crm report:                             {took:.2f} s")
    print(f"web page from the built report:         {page:.2f} s")
    print(f"ratio: {took / base:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
