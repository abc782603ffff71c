"""crm's dedupe on FEBRL-like people (see make_people.py): precision, recall, F1, time, comparisons.

    python benchmarks/make_people.py 100000 -o /tmp/people.csv
    python benchmarks/bench_people.py /tmp/people.csv
    /tmp/splinkvenv/bin/python benchmarks/bench_splink.py /tmp/people.csv   # the baseline, same data
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from febrl import ON  # noqa: E402
from metrics import pairwise_scores  # noqa: E402

from crmcli.dedupe import find_duplicates  # noqa: E402


def main(path: str) -> int:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    t0 = time.perf_counter()
    dup = find_duplicates(df.drop(columns=["rec_id"]), on=ON)
    secs = time.perf_counter() - t0
    s = pairwise_scores(dup.label, df["rec_id"].str.extract(r"rec-(\d+)-")[0])
    print(f"crm     records {len(df)}  precision {s['precision']:.4f}  recall {s['recall']:.4f}  "
          f"F1 {s['f1']:.4f}  seconds {secs:.2f}  comparisons {dup.stats['comparisons']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
