"""Zero-config dedupe on lists with a few planted duplicates (make_lists.py): every list's pairwise F1.

    python benchmarks/bench_lists.py [--seeds 5] [--sizes 6,30,60,200,1000,3000] [--threshold 0.9]

Prints one line per (size, duplicates, language) with the worst and mean F1 over the seeds, the duplicate
pairs missed and the strangers merged, then the overall minimum. The Done-when bar is F1 >= 0.9 on every list.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from make_lists import make_list  # noqa: E402
from metrics import pairwise_scores  # noqa: E402

from crmcli.dedupe import find_duplicates  # noqa: E402

DUPLICATES = {6: [1], 30: [1, 2], 60: [1, 2], 200: [1, 2, 5], 1000: [1, 2, 5], 3000: [1, 2, 5]}


def score_list(n: int, dups: int, seed: int, lang: str, threshold: float) -> dict:
    frame = make_list(n, dups, seed, lang)
    dup = find_duplicates(frame.drop(columns=["entity"]), threshold=threshold)
    s = pairwise_scores(dup.label, frame["entity"])
    return {**s, "missed": s["true_pairs"] - s["tp"], "false": s["predicted_pairs"] - s["tp"],
            "estimation": dup.stats.get("estimation", "")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sizes", default="6,30,60,200,1000,3000")
    ap.add_argument("--langs", default="zh,en")
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every failing list's estimation line")
    args = ap.parse_args()
    worst, t0, lists = 1.0, time.perf_counter(), 0
    for n in [int(x) for x in args.sizes.split(",")]:
        for dups in DUPLICATES.get(n, [1, 2, 5]):
            for lang in args.langs.split(","):
                res = [score_list(n, dups, seed, lang, args.threshold) for seed in range(1, args.seeds + 1)]
                f1 = [r["f1"] for r in res]
                lists += len(res)
                worst = min(worst, *f1)
                print(f"n={n:>5} dups={dups} {lang}  min F1 {min(f1):.3f}  mean {np.mean(f1):.3f}  "
                      f"missed pairs {sum(r['missed'] for r in res)}  strangers merged {sum(r['false'] for r in res)}")
                if args.verbose:
                    for seed, r in enumerate(res, start=1):
                        if r["f1"] < 0.9:
                            print(f"    seed {seed}: F1 {r['f1']:.3f}  {r['estimation']}")
    print(f"{lists} lists, worst F1 {worst:.4f}, {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
