"""Benchmark the privacy options: what masking, pseudonyms and encryption add to writing a cleaned sheet.

    python benchmarks/bench_privacy.py [N]          # default 100,000 messy order rows (N/5 customers)

The rows are cleaned once (``crmcli.clean.clean_table``); then the cleaned table is written as xlsx plain
(the baseline), masked (every kind), pseudonymized (customer_id, phone, email), and masked + encrypted
(ECMA-376 agile, msoffcrypto-tool), each the median of 3 runs. Prints each time and its ratio to the baseline.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.gen_orders import make_orders  # noqa: E402
from crmcli.clean import clean_table  # noqa: E402
from crmcli.io import write_table  # noqa: E402
from crmcli.privacy import MASK_KINDS, Privacy, Pseudonymizer  # noqa: E402

KEY = "benchmark-pseudonym-key-0123456789"


def median_time(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 100_000
    raw, _ = make_orders(n, seed=7)
    cleaned = clean_table(raw).cleaned
    policies = {
        "plain": Privacy(),
        "mask": Privacy(mask=frozenset(MASK_KINDS)),
        "pseudonymize": Privacy(pseudonymize=("customer_id", "phone", "email"), pseudonymizer=Pseudonymizer(KEY)),
        "mask + encrypt": Privacy(mask=frozenset(MASK_KINDS), password="benchmark password"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        times = {name: median_time(lambda p=p: write_table(cleaned, Path(tmp) / "out.xlsx", privacy=p))
                 for name, p in policies.items()}
    base = times["plain"]
    print(f"{len(cleaned):,} cleaned rows × {cleaned.shape[1]} columns written as xlsx (median of 3)")
    for name, t in times.items():
        print(f"{name:>15}: {t:6.2f} s  {t / base:4.2f}×")


if __name__ == "__main__":
    main(sys.argv[1:])
