"""crm at scale: wall time and peak memory of whole commands next to pyarrow and DuckDB, same run.

    python benchmarks/bench_scale.py [--rows 1M,10M[,100M]] [--keep DIR] [--skip report,pivot] [--only clean]
                                     [--repeat 3]

For each size: generate messy orders (benchmarks/gen_scale.py, vectorized: 1M rows in ~8 s) as a
UTF-8 CSV in a temp folder (``--keep DIR``: in DIR, kept and reused), then run, each in a fresh process
(wall seconds, peak RSS of that process from ``wait4``):

- ``crm clean BIG.csv --engine duckdb -o cleaned.parquet`` (streamed in batches) against pyarrow's own
  streaming read + write of the same CSV (all columns as text, written back as CSV), and
  ``crm validate BIG.csv --engine duckdb`` (streamed the same way, nothing written but the issues);
- ``crm rfm cleaned.parquet --engine duckdb`` and ``crm metrics cleaned.parquet --by month --engine duckdb``
  against DuckDB's own SQL for the same aggregates on the same Parquet (per customer count/sum/last date;
  per month orders/customers/revenue), written to CSV;
- ``crm pivot --rows 渠道 --values 金额:sum`` on DuckDB and on pandas against DuckDB's own GROUP BY, and
  ``crm report --engine duckdb`` (and the pandas report, up to ``PANDAS_MAX_ROWS``) against DuckDB's own SQL
  for the report's tables (KPIs, month x channel, products, the
  per-customer figures ranked, cohort counts), where ``--skip`` does not leave them out.

It prints one table and the ratios the issue targets (clean RSS <= 2 GB and <= 4x pyarrow's; analytics
<= 2x DuckDB's SQL; the report <= 3x its tables' SQL). Generated data is deleted at the end unless ``--keep``.
``--only clean``: just pyarrow, clean and validate. ``--repeat N``: each step N times, the median wall;
the analytics and their DuckDB SQL interleaved (baseline, crm, baseline, crm …). The pandas steps (pivot and
report on pandas) run up to ``PANDAS_MAX_ROWS`` (10M): past it they would need 400-600 bytes a row in memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The steps on the pandas engine (pivot, report) run up to this many rows (past it: 400-600 bytes a row in memory).
PANDAS_MAX_ROWS = 10_000_000
sys.path.insert(0, str(ROOT))

PYARROW_RW = """
import sys, pyarrow as pa, pyarrow.csv as pacsv
src, dst = sys.argv[1], sys.argv[2]
first = pacsv.open_csv(src, read_options=pacsv.ReadOptions(block_size=4 << 20))
names = first.schema.names
reader = pacsv.open_csv(src, read_options=pacsv.ReadOptions(block_size=4 << 20),
                        convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names}))
writer = None
for batch in reader:
    if writer is None:
        writer = pacsv.CSVWriter(dst, batch.schema)
    writer.write_batch(batch)
writer.close()
"""

DUCK_RFM = """
import sys, duckdb
con = duckdb.connect()
con.execute(f\"\"\"COPY (SELECT 客户ID AS customer_id, COUNT(DISTINCT 订单号) AS frequency,
  ROUND(SUM(CAST(金额 AS DOUBLE)), 2) AS monetary, MAX(CAST(下单日期 AS DATE)) AS last_order
  FROM read_parquet('{sys.argv[1]}') WHERE 下单日期 IS NOT NULL AND 金额 IS NOT NULL
  GROUP BY 1 ORDER BY 1) TO '{sys.argv[2]}' (HEADER)\"\"\")
"""

DUCK_MONTH = """
import sys, duckdb
con = duckdb.connect()
con.execute(f\"\"\"COPY (SELECT strftime(下单日期, '%Y-%m') AS period, COUNT(DISTINCT 订单号) AS orders,
  COUNT(DISTINCT 客户ID) AS customers, ROUND(SUM(CAST(金额 AS DOUBLE)), 2) AS revenue
  FROM read_parquet('{sys.argv[1]}') WHERE 下单日期 IS NOT NULL AND 金额 IS NOT NULL
  GROUP BY 1 ORDER BY 1) TO '{sys.argv[2]}' (HEADER)\"\"\")
"""

DUCK_PIVOT = """
import sys, duckdb
con = duckdb.connect()
con.execute(f\"\"\"COPY (SELECT 渠道 AS channel, ROUND(SUM(CAST(金额 AS DOUBLE)), 2) AS amount
  FROM read_parquet('{sys.argv[1]}') WHERE 金额 IS NOT NULL GROUP BY 1 ORDER BY 1) TO '{sys.argv[2]}' (HEADER)\"\"\")
"""

# the report's tables (crmcli/report/build.py): KPIs, month x channel, products, the per-customer RFM figures
# (ranked: the top customers), the cohort counts
DUCK_REPORT = """
import sys, duckdb
con = duckdb.connect()
out = sys.argv[2]
con.execute(f\"\"\"CREATE TEMP TABLE o AS SELECT 订单号 AS oid, 客户ID AS cust, CAST(下单日期 AS TIMESTAMP) AS ts,
  CAST(金额 AS DOUBLE) AS amount, 渠道 AS channel, 产品 AS product, TRY_CAST(数量 AS DOUBLE) AS qty
  FROM read_parquet('{sys.argv[1]}') WHERE 下单日期 IS NOT NULL AND 金额 IS NOT NULL\"\"\")
tables = {
  "kpis": "SELECT COUNT(DISTINCT oid) AS orders, COUNT(DISTINCT cust) AS customers, SUM(amount) AS revenue FROM o",
  "months": "SELECT strftime(ts, '%Y-%m') AS month, channel, SUM(amount) AS revenue, COUNT(DISTINCT oid) AS orders, "
            "COUNT(DISTINCT cust) AS customers FROM o GROUP BY ALL ORDER BY ALL",
  "products": "SELECT product, SUM(amount) AS revenue, SUM(COALESCE(qty, 1)) AS units, COUNT(DISTINCT oid) AS orders, "
              "COUNT(DISTINCT cust) AS customers FROM o GROUP BY 1 ORDER BY 2 DESC",
  "customers": "SELECT cust, COUNT(DISTINCT oid) AS frequency, SUM(amount) AS monetary, MIN(ts) AS first_order, "
               "MAX(ts) AS last_order FROM o GROUP BY 1 ORDER BY monetary DESC",
  "cohorts": "WITH f AS (SELECT cust, MIN(date_trunc('month', ts)) AS c FROM o GROUP BY 1) SELECT f.c, "
             "datediff('month', f.c, date_trunc('month', o.ts)) AS k, COUNT(DISTINCT o.cust) AS n "
             "FROM o JOIN f USING (cust) GROUP BY 1, 2 ORDER BY 1, 2",
}
for name, query in tables.items():
    con.execute(f"COPY ({query}) TO '{out}.{name}.csv' (HEADER)")
"""


def measure(cmd: list[str], env: dict[str, str] | None = None, allowed: tuple[int, ...] = (0,)
            ) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in GB, exit code) of one fresh process (an exit code not ``allowed`` is said)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode not in allowed:
        print(f"  ! {' '.join(cmd[:4])}… exit {proc.returncode}: {err.strip().splitlines()[-1:] }", file=sys.stderr)
    return wall, usage.ru_maxrss / (1 << 20), proc.returncode


def parse_rows(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().upper()
        mult = 1_000_000 if part.endswith("M") else 1_000 if part.endswith("K") else 1
        out.append(int(float(part.rstrip("MK")) * mult))
    return out


def run_size(rows: int, folder: Path, skip: set[str], repeat: int = 1, keep: bool = False
             ) -> dict[str, tuple[float, float]]:
    py, crm = sys.executable, [sys.executable, "-m", "crmcli"]
    env = dict(os.environ, CRM_AS_OF="2024-12-31")
    big = folder / f"orders_{rows}.csv"
    if keep and big.exists():   # the generator is seeded: the same rows give the same file
        print(f"{rows:,} rows: reusing {big} ({big.stat().st_size / 1e9:.2f} GB)", file=sys.stderr)
    else:
        t = time.perf_counter()
        # in a child: this process stays small, so the children it forks start small (peak RSS is per process)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gen_scale.py"), str(rows), str(big)], check=True,
                       stderr=subprocess.DEVNULL)
        print(f"{rows:,} rows: generated {big.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - t:.0f}s",
              file=sys.stderr)
    cleaned = folder / "cleaned.parquet"
    res: dict[str, tuple[float, float]] = {}

    def pair(names: tuple[str, ...], cmds: tuple[list[str], ...]) -> None:
        """Commands (a baseline and crm's), ``repeat`` times interleaved: median wall, largest peak RSS.
        (validate's exit 1 = issues found is a run, not a failure.)"""
        got: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
        for _ in range(repeat):
            for name, cmd in zip(names, cmds):
                allowed = (0, 1) if "validate" in name else (0,)
                wall, rss, code = measure(cmd, env, allowed)
                if code not in allowed:
                    raise SystemExit(f"{name} failed (exit {code}): no figure")
                got[name].append((wall, rss))
        for name in names:
            walls = sorted(w for w, _ in got[name])
            res[name] = (walls[len(walls) // 2], max(r for _, r in got[name]))
            runs = f"  (walls {', '.join(f'{w:.1f}' for w in walls)})" if repeat > 1 else ""
            print(f"  {name:<28} {res[name][0]:8.1f} s {res[name][1]:6.2f} GB{runs}", file=sys.stderr)

    def step(name: str, cmd: list[str]) -> None:
        pair((name,), (cmd,))

    for name, cmd in (("pyarrow read+write", [py, "-c", PYARROW_RW, str(big), str(folder / "pa.csv")]),
                      ("crm clean (streamed)", crm + ["clean", str(big), "--engine", "duckdb", "-o", str(cleaned),
                                                      "-q"]),
                      ("crm validate (streamed)", crm + ["validate", str(big), "--engine", "duckdb", "-q"])):
        if name.split(" ")[1] not in skip:
            step(name, cmd)
    if "rfm" not in skip:
        pair(("duckdb sql: rfm aggregate", "crm rfm --engine duckdb"),
             ([py, "-c", DUCK_RFM, str(cleaned), str(folder / "d_rfm.csv")],
              crm + ["rfm", str(cleaned), "--engine", "duckdb", "-o", str(folder / "rfm.csv"), "-q"]))
    if "metrics" not in skip:
        pair(("duckdb sql: month aggregate", "crm metrics --by month (duckdb)"),
             ([py, "-c", DUCK_MONTH, str(cleaned), str(folder / "d_month.csv")],
              crm + ["metrics", str(cleaned), "--by", "month", "--engine", "duckdb", "-o",
                     str(folder / "metrics.csv"), "-q"]))
    if "pivot" not in skip:
        pivot = ["pivot", str(cleaned), "--rows", "渠道", "--values", "金额:sum", "-q"]
        pair(("duckdb sql: pivot", "crm pivot --engine duckdb"),
             ([py, "-c", DUCK_PIVOT, str(cleaned), str(folder / "d_pivot.csv")],
              crm + pivot + ["--engine", "duckdb", "-o", str(folder / "pivot_d.csv")]))
        if rows <= PANDAS_MAX_ROWS and "pandas" not in skip:
            step("crm pivot (pandas)", crm + pivot + ["--engine", "pandas", "-o", str(folder / "pivot.csv")])
    if "report" not in skip:
        report = ["report", str(cleaned), "-q"]
        pair(("duckdb sql: report tables", "crm report --engine duckdb"),
             ([py, "-c", DUCK_REPORT, str(cleaned), str(folder / "d_report")],
              crm + report + ["--engine", "duckdb", "-o", str(folder / "report_d.xlsx")]))
        if rows <= PANDAS_MAX_ROWS and "pandas" not in skip:
            step("crm report (pandas)", crm + report + ["--engine", "pandas", "-o", str(folder / "report.xlsx")])
    for name in ("pa.csv", "cleaned.parquet") + (() if keep else (big.name,)):
        (folder / name).unlink(missing_ok=True)
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="1M,10M", help="sizes, e.g. 1M,10M,100M")
    ap.add_argument("--skip", default="", help="leave out: validate, rfm, metrics, pivot, report, pandas (the pivot "
                                                "and the report on pandas)")
    ap.add_argument("--keep", default=None,
                    help="folder for the generated CSVs: kept, and reused by the next run (same rows, same seed)")
    ap.add_argument("--only", default="", help="clean: just pyarrow, crm clean and crm validate")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each step (the median is shown)")
    a = ap.parse_args(argv)
    skip = {s.strip() for s in a.skip.split(",") if s.strip()}
    if a.only == "clean":
        skip |= {"rfm", "metrics", "pivot", "report"}
    elif a.only:
        raise SystemExit(f"--only {a.only}: only 'clean' is known")
    folder = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_scale."))
    folder.mkdir(parents=True, exist_ok=True)
    table = {}
    try:
        for rows in parse_rows(a.rows):
            table[rows] = run_size(rows, folder, skip, max(1, a.repeat), keep=bool(a.keep))
    finally:
        if not a.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print("| rows | step | wall s | peak RSS GB |")
    print("|---|---|---|---|")
    for rows, res in table.items():
        for name, (wall, rss) in res.items():
            print(f"| {rows:,} | {name} | {wall:.1f} | {rss:.2f} |")
    print()
    for rows, res in table.items():
        pa_w, pa_m = res["pyarrow read+write"]
        c_w, c_m = res["crm clean (streamed)"]
        line = (f"{rows:,} rows: crm clean {c_w / pa_w:.1f}x pyarrow's time, peak RSS {c_m:.2f} GB = "
                f"{c_m / pa_m:.1f}x pyarrow's (targets <= 2 GB, <= 4x)")
        if "crm validate (streamed)" in res:
            v_w, v_m = res["crm validate (streamed)"]
            line += f"; crm validate {v_w / pa_w:.1f}x, {v_m:.2f} GB"
        for cmd, sql, target in (("crm rfm --engine duckdb", "duckdb sql: rfm aggregate", 2),
                                 ("crm metrics --by month (duckdb)", "duckdb sql: month aggregate", 2),
                                 ("crm pivot --engine duckdb", "duckdb sql: pivot", 2),
                                 ("crm pivot (pandas)", "duckdb sql: pivot", 2),
                                 ("crm report --engine duckdb", "duckdb sql: report tables", 3),
                                 ("crm report (pandas)", "duckdb sql: report tables", 3)):
            if cmd in res:
                line += (f"; {cmd.removeprefix('crm ')} {res[cmd][0] / res[sql][0]:.1f}x DuckDB's own SQL "
                         f"(target <= {target}x)")
        print(line)

if __name__ == "__main__":
    main()
