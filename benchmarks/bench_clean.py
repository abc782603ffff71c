"""Benchmark: `crm clean` on 1,000,000 messy order rows vs a pyarrow CSV read+write of the same file.

    python benchmarks/bench_clean.py [--rows N] [--repeat K] [--no-cli] [--profile]

The data (UTF-8 CSV from gen_orders.make_orders) is cached under benchmarks/data/. Everything
runs in the same run, alternating, so both sides see the same machine:

* in-process: the baseline reads the file with pyarrow (all columns as strings) and writes it
  back; crm reads it (read_table), cleans it (clean_table) and writes the cleaned CSV
  (write_cleaned) — exactly what `crm clean FILE -o OUT.csv` does. Each side runs K times in
  its own fresh process (so every crm run is a first run: nothing cached from an earlier
  one), timed from after the imports; the medians are compared.
* the command: `crm clean FILE -o OUT.csv` in a fresh process, timed from outside, against a
  fresh `python -c` doing the pyarrow read+write — both including the interpreter start and
  their imports.

The crm side runs with the default checks on (required fields, plausible dates up to --as-of, negative
quantities, outlier amounts, addresses, value clusters: what `crm clean` does); a third side, in the same
run, cleans without them (``defaults=False``: the field layer and duplicates only, what `crm clean` did
before issue 15), so their cost is measured too.

Prints the times and the ratios (target: <= 5x).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

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


#: The as-of day the crm side checks dates against (the generated orders run to 2024).
AS_OF = "2025-01-01"


def crm_clean(path: Path, out: Path, defaults: bool = True) -> tuple[float, int]:
    from crmcli.clean import clean_table, write_cleaned
    from crmcli.io import read_table

    t = time.perf_counter()
    df = read_table(path)
    result = clean_table(df, as_of=AS_OF, defaults=defaults)
    write_cleaned(result, out)
    return time.perf_counter() - t, len(result.issues)


def _child(side: str, path: str, out: str) -> None:
    """One timed run in this (fresh) process; prints JSON."""
    if side == "pyarrow":
        print(json.dumps({"seconds": baseline(Path(path), Path(out))}))
    else:
        import crmcli.clean  # noqa: F401  (imports are not what is timed here)

        seconds, issues = crm_clean(Path(path), Path(out), defaults=side == "crm")
        print(json.dumps({"seconds": seconds, "issues": issues}))


def _fresh(side: str, path: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", side, str(path), str(out)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout.strip().splitlines()[-1])


_PYARROW_SCRIPT = """
import sys, pyarrow as pa, pyarrow.csv as c
names = open(sys.argv[1], encoding="utf-8").readline().rstrip("\\r\\n").split(",")
t = c.read_csv(sys.argv[1], convert_options=c.ConvertOptions(column_types={n: pa.string() for n in names},
                                                           strings_can_be_null=False))
c.write_csv(t, sys.argv[2])
"""


def _wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="crm clean vs pyarrow read+write")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per side (fresh processes; medians compared)")
    ap.add_argument("--no-cli", action="store_true", help="skip the whole-command comparison")
    ap.add_argument("--profile", action="store_true", help="profile one crm run (cProfile, top 30)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child)
        return
    path = data_file(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        out_base, out_crm = Path(tmp) / "base.csv", Path(tmp) / "crm.csv"
        if args.profile:
            import cProfile
            import pstats

            import crmcli.clean  # noqa: F401

            prof = cProfile.Profile()
            prof.enable()
            crm_clean(path, out_crm)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
            return
        base, crm, bare, issues, bare_issues = [], [], [], 0, 0
        base_cli, crm_cli = [], []
        for _ in range(args.repeat):
            base.append(_fresh("pyarrow", path, out_base)["seconds"])
            res = _fresh("crm", path, out_crm)
            crm.append(res["seconds"])
            issues = res["issues"]
            res = _fresh("crm-no-defaults", path, out_crm)
            bare.append(res["seconds"])
            bare_issues = res["issues"]
            if not args.no_cli:
                base_cli.append(_wall([sys.executable, "-c", _PYARROW_SCRIPT, str(path), str(out_base)]))
                crm_cli.append(_wall([sys.executable, "-m", "crmcli", "clean", str(path), "-o", str(out_crm), "-q",
                                      "--as-of", AS_OF]))
    b, c, n = statistics.median(base), statistics.median(crm), statistics.median(bare)
    print(f"rows: {args.rows:,}  issues: {issues:,} ({bare_issues:,} without the default checks)  "
          f"runs per side: {args.repeat} (fresh processes, medians)")
    print(f"pyarrow read+write:        {b:.2f}s   (runs: {', '.join(f'{x:.2f}' for x in base)})")
    print(f"crm read+clean+write:      {c:.2f}s   (runs: {', '.join(f'{x:.2f}' for x in crm)})")
    print(f"  without default checks:  {n:.2f}s   (runs: {', '.join(f'{x:.2f}' for x in bare)})")
    print(f"ratio: {c / b:.2f}x (target <= 5x); without the default checks {n / b:.2f}x")
    if crm_cli:
        bc, cc = statistics.median(base_cli), statistics.median(crm_cli)
        print(f"whole commands, with Python start and imports: `crm clean FILE -o OUT.csv` {cc:.2f}s vs "
              f"`python -c <pyarrow read+write>` {bc:.2f}s: ratio {cc / bc:.2f}x")


if __name__ == "__main__":
    main()
