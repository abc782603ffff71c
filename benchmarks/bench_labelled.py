"""Zero-config dedupe on a labelled file: pairwise precision, recall, F1 at the default threshold and a sweep.

    python benchmarks/bench_labelled.py FILE --truth COLUMN [--drop COL ...]
    python benchmarks/bench_labelled.py --sites 1200 [--seed 1]      # generated organisation sites (make_sites.py)

The file is read as ``crm dedupe`` reads it and deduplicated with no options, exactly as the command does;
the truth column (and any ``--drop`` column) is removed first. Public labelled sets to try it on: Splink's
``fake_1000`` (unique_id, first_name, surname, dob, city, email, cluster — made-up people, MIT; a copy is
``tests/data/fake_1000.csv``, truth ``group``) and dedupe.io's csv_example input with true ids (Chicago
early-childhood sites: Site name, Address, Zip, Phone…; truth ``True Id``; fetch it to a local path). The sweep shows whether the default threshold is the right one (F1 near its best there).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from metrics import pairwise_scores  # noqa: E402

import crmcli  # noqa: E402
from crmcli.dedupe import find_duplicates  # noqa: E402
from crmcli.dedupe.cluster import connected_components  # noqa: E402
from crmcli.dedupe.link import DEFAULT_THRESHOLD  # noqa: E402

SWEEP = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?")
    ap.add_argument("--truth", default="True Id")
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--sites", type=int, help="generate this many organisation sites instead of reading a file")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.sites:
        from make_sites import generate
        table = generate(args.sites, args.seed)
        name = f"generated sites ({args.sites}, seed {args.seed})"
    else:
        table = crmcli.read_table(args.file)
        name = args.file
    truth = table[args.truth].to_numpy()
    data = table.drop(columns=[args.truth, *args.drop])
    t0 = time.perf_counter()
    dup = find_duplicates(data)
    secs = time.perf_counter() - t0
    s = pairwise_scores(dup.label, truth)
    print(f"{name}: {len(table)} records, {s['true_pairs']} true pairs, {dup.stats['comparisons']} compared, "
          f"{secs:.2f} s")
    print("compared on: " + ", ".join(dup.stats["compared_on"]))
    print(dup.stats["estimation"])
    print(f"threshold {DEFAULT_THRESHOLD} (default): precision {s['precision']:.4f}  recall {s['recall']:.4f}  "
          f"F1 {s['f1']:.4f}")
    sweep = []
    for th in SWEEP:   # the same model, clustered at other thresholds (no chaining guard: a quick view)
        hit = dup.prob >= th
        lab = connected_components(len(data), dup.left[hit], dup.right[hit])
        sweep.append(f"{th}: {pairwise_scores(lab, truth)['f1']:.4f}")
    print("F1 by threshold (components only): " + "  ".join(sweep))
    return 0 if np.isfinite(s["f1"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
