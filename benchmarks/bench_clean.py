"""Benchmark: `crm clean` on 1,000,000 messy order rows vs a pyarrow CSV read+write of the same file.

    python benchmarks/bench_clean.py [--rows N] [--profile]

The data (UTF-8 CSV from gen_orders.make_orders) is cached under benchmarks/data/. Both sides
run in this process, in the same run: the baseline reads the file with pyarrow (all columns
as strings) and writes it back; crm reads it (read_table), cleans it (clean_table) and writes
the cleaned CSV (write_cleaned) — what `crm clean FILE -o OUT.csv` does. Prints both wall
times and their ratio (target: <= 5x).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.gen_orders import make_orders, write_csv  # noqa: E402


def data_file(rows: int) -> Path:
    path = HERE / "data" / f"orders_{rows}.csv"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        t = time.perf_counter()
        raw, _ = make_orders(rows, seed=42)
        write_csv(raw, path, "utf-8")
        print(f"generated {path} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    return path


def baseline(path: Path, out: Path) -> float:
    """pyarrow reads every column as a string (as crm does) and writes the table back."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, encoding="utf-8") as fh:
        names = next(__import__("csv").reader(fh))
    t = time.perf_counter()
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False))
    pacsv.write_csv(table, out)
    return time.perf_counter() - t


def crm_clean(path: Path, out: Path) -> tuple[float, int]:
    from crmcli.clean import clean_table, write_cleaned
    from crmcli.io import read_table

    t = time.perf_counter()
    df = read_table(path)
    result = clean_table(df)
    write_cleaned(result, out)
    return time.perf_counter() - t, len(result.issues)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="crm clean vs pyarrow read+write")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--profile", action="store_true", help="profile the crm side (cProfile, top 25)")
    args = ap.parse_args(argv)
    path = data_file(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline(path, Path(tmp) / "base.csv")
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            crm, n_issues = crm_clean(path, Path(tmp) / "crm.csv")
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        else:
            crm, n_issues = crm_clean(path, Path(tmp) / "crm.csv")
    print(f"rows: {args.rows:,}  issues: {n_issues:,}")
    print(f"pyarrow read+write: {base:.2f}s")
    print(f"crm clean:          {crm:.2f}s")
    print(f"ratio: {crm / base:.2f}x (target <= 5x)")


if __name__ == "__main__":
    main()
