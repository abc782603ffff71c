"""Splink on the same FEBRL-like people, for the speed/F1 comparison. Runs ONLY in a bench venv:

    python3 -m venv /tmp/splinkvenv && /tmp/splinkvenv/bin/pip install splink
    /tmp/splinkvenv/bin/python benchmarks/bench_splink.py /tmp/people.csv

Splink is never a dependency of crm. Prints precision, recall, F1, seconds, comparisons.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import pairwise_scores  # noqa: E402


def main(path: str) -> int:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    df = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    t0 = time.perf_counter()
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
    secs = time.perf_counter() - t0
    lab = df[["rec_id"]].merge(clusters[["rec_id", "cluster_id"]], on="rec_id", how="left")
    ent = lab["rec_id"].str.extract(r"rec-(\d+)-")[0]
    s = pairwise_scores(lab["cluster_id"].fillna(lab["rec_id"]), ent)
    print(f"splink  records {len(df)}  precision {s['precision']:.4f}  recall {s['recall']:.4f}  "
          f"F1 {s['f1']:.4f}  seconds {secs:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
