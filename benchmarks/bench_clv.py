"""Bench: fitting BG/NBD + Gamma-Gamma with crmcli.clv vs lifetimes and pymc-marketing (MLE), same data, same run.

    python benchmarks/bench_clv.py --lifetimes-python /tmp/lt/bin/python --pymc-python /tmp/pm/bin/python \\
        [--customers 1000000] [--repeat 3]

The references live in bench-only venvs (never project dependencies): lifetimes is archived and needs
``numpy<2 pandas<2.2 scipy<1.14``; pymc-marketing needs a current pymc. Make them with

    python3 -m venv /tmp/lt && /tmp/lt/bin/pip install lifetimes 'numpy<2' 'pandas<2.2' 'scipy<1.14'
    python3 -m venv /tmp/pm && /tmp/pm/bin/pip install pymc-marketing

Data sets, both written once to an .npz that every fitter reads (so all fit the same numbers):

- CDNOW master (tests/data/cdnow_master.csv.gz, 23,570 customers) as of 1998-06-30, summarized by
  crmcli (days, purchases per day; lifetimes' summary_data_from_transaction_data gives the same);
- ``--customers`` generated customers (default 1,000,000): BG/NBD with CDNOW's parameters (days), first
  purchases uniform over a year, as-of at its end, Gamma-Gamma spend.

What is timed, in each fitter's own process, import excluded, median of ``--repeat`` runs (each reference
once on the generated set when it takes over a minute): the BG/NBD fit on (x, t_x, T) and the Gamma-Gamma
fit on the repeat customers' (x, mean value). crmcli's time includes grouping equal (x, t_x, T) rows — what
``fit_clv`` does. lifetimes is timed as users call it (one row per customer) and with that grouping passed
as weights; pymc-marketing as ``BetaGeoModel`` / ``GammaGammaModel`` ``fit(method="map")`` with flat priors
(so MAP = maximum likelihood). Printed: times, the ratios reference ÷ crmcli (target: > 1, faster at equal
parameters), and every fitter's parameters with its largest relative difference from crmcli's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crmcli.clv import fit_bgnbd, fit_gamma_gamma, summarize_customers  # noqa: E402
from crmcli.clv.summary import compress, order_days  # noqa: E402

CDNOW_PARAMS = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}
GG_PARAMS = {"p": 6.25, "q": 3.74, "v": 15.44}
BG_KEYS = ("r", "alpha", "a", "b")
GG_KEYS = ("p", "q", "v")

LIFETIMES = textwrap.dedent('''
    import json, sys, time, warnings
    import numpy as np, pandas as pd
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    d = np.load(sys.argv[1]); repeat = int(sys.argv[2]); weighted = sys.argv[3] == "weighted"
    x, t, T = d["x"], d["t_x"], d["T"]
    if weighted:
        g = pd.DataFrame({"x": x, "t": t, "T": T}).value_counts().reset_index()
        x, t, T, w = g["x"].to_numpy(), g["t"].to_numpy(), g["T"].to_numpy(), g["count"].to_numpy()
    rep = d["g"]
    times, gtimes = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        bgf = BetaGeoFitter().fit(x, t, T, weights=w) if weighted else BetaGeoFitter().fit(x, t, T)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ggf = GammaGammaFitter().fit(d["x"][rep], d["z"][rep])
        gtimes.append(time.perf_counter() - t0)
    print(json.dumps({"bgnbd_s": times, "gg_s": gtimes, "bgnbd": {k: float(v) for k, v in bgf.params_.items()},
                      "gg": {k: float(v) for k, v in ggf.params_.items()}}))
''')

PYMC = textwrap.dedent('''
    import json, sys, time, warnings, logging
    import numpy as np, pandas as pd
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
    d = np.load(sys.argv[1]); repeat = int(sys.argv[2])
    n = len(d["x"])
    data = pd.DataFrame({"customer_id": np.arange(n), "frequency": d["x"], "recency": d["t_x"], "T": d["T"]})
    rep = d["g"]
    gdata = pd.DataFrame({"customer_id": np.arange(int(rep.sum())), "frequency": d["x"][rep],
                          "monetary_value": d["z"][rep]})
    flat = Prior("HalfFlat")
    times, gtimes = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        bg = BetaGeoModel(data=data, model_config={"r": flat, "alpha": flat, "a": flat, "b": flat})
        bg.fit(method="map", progressbar=False)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        gg = GammaGammaModel(data=gdata, model_config={"p": flat, "q": flat, "v": flat})
        gg.fit(method="map", progressbar=False)
        gtimes.append(time.perf_counter() - t0)
    post = lambda m, keys: {k: float(m.idata.posterior[k].values.ravel()[0]) for k in keys}
    print(json.dumps({"bgnbd_s": times, "gg_s": gtimes, "bgnbd": post(bg, ["r", "alpha", "a", "b"]),
                      "gg": post(gg, ["p", "q", "v"])}))
''')


def cdnow_master() -> dict[str, np.ndarray]:
    tx = pd.read_csv(ROOT / "tests" / "data" / "cdnow_master.csv.gz", dtype={"customer_id": str, "date": str})
    orders = pd.DataFrame({"customer_id": tx["customer_id"], "order_date": pd.to_datetime(tx["date"], format="%Y%m%d"),
                           "amount": tx["dollar_value"].astype(float)})
    end = int(order_days(orders).max())
    s, _ = summarize_customers(orders, end)
    x, z = s["repeat_purchases"].to_numpy(float), s["repeat_value"].fillna(0).to_numpy()
    return {"x": x, "t_x": s["t_x"].to_numpy(), "T": s["T"].to_numpy(), "z": z, "g": (x > 0) & (z > 0)}


def generated(n: int, seed: int = 16) -> dict[str, np.ndarray]:
    """BG/NBD customers (days) with CDNOW's parameters; Gamma-Gamma spend on their repeat purchases."""
    rng = np.random.default_rng(seed)
    p = CDNOW_PARAMS
    lam = rng.gamma(p["r"], 1 / p["alpha"], n)
    drop = rng.beta(p["a"], p["b"], n)
    T = rng.integers(0, 366, n).astype(float)  # first purchase uniform over the year before as-of
    x = np.zeros(n)
    t_x = np.zeros(n)
    now = np.zeros(n)
    alive = np.ones(n, dtype=bool)  # BG/NBD: the drop-out chances come after each repeat purchase
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1 / lam[idx])
        bought = now[idx] <= T[idx]
        hit = idx[bought]
        x[hit] += 1
        t_x[hit] = now[hit]
        alive[idx[~bought]] = False
        alive[hit] &= rng.random(len(hit)) >= drop[hit]
    t_x = np.floor(t_x)  # whole days, as from orders
    g = GG_PARAMS
    nu = rng.gamma(g["q"], 1 / g["v"], n)
    z = np.where(x > 0, rng.gamma(g["p"] * np.maximum(x, 1), 1 / nu) / np.maximum(x, 1), 0.0)
    return {"x": x, "t_x": t_x, "T": T, "z": z, "g": x > 0}


def time_ours(d: dict[str, np.ndarray], repeat: int) -> dict:
    times, gtimes = [], []
    rep = d["g"]  # Gamma-Gamma: repeat customers with a positive mean repeat value, as fit_clv
    for _ in range(repeat):
        t0 = time.perf_counter()
        ux, ut, uT, counts, _ = compress(d["x"], d["t_x"], d["T"])
        bg, fit = fit_bgnbd(ux, ut, uT, counts)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        gg, gfit = fit_gamma_gamma(d["x"][rep], d["z"][rep])
        gtimes.append(time.perf_counter() - t0)
    assert fit.converged and gfit.converged, (fit.describe(), gfit.describe())
    return {"bgnbd_s": times, "gg_s": gtimes, "bgnbd": bg, "gg": gg, "groups": len(ux)}


def run_reference(python: str, script: str, npz: Path, repeat: int, *extra: str) -> dict | None:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(script)
    try:
        out = subprocess.run([python, fh.name, str(npz), str(repeat), *extra], capture_output=True, text=True,
                             timeout=3600, check=False)
    finally:
        Path(fh.name).unlink()
    if out.returncode != 0:
        print(f"    failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def max_rel_diff(a: dict, b: dict, keys) -> float:
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in keys)


def report(name: str, ours: dict, refs: dict[str, dict | None]) -> None:
    t_bg, t_gg = statistics.median(ours["bgnbd_s"]), statistics.median(ours["gg_s"])
    print(f"  crmcli: BG/NBD {t_bg:.3f} s ({ours['groups']:,} distinct (x, t_x, T)), Gamma-Gamma {t_gg:.3f} s")
    print("    BG/NBD " + ", ".join(f"{k} {ours['bgnbd'][k]:.4f}" for k in BG_KEYS)
          + "; Gamma-Gamma " + ", ".join(f"{k} {ours['gg'][k]:.4f}" for k in GG_KEYS))
    for ref, res in refs.items():
        if res is None:
            continue
        rb, rg = statistics.median(res["bgnbd_s"]), statistics.median(res["gg_s"])
        print(f"  {ref}: BG/NBD {rb:.3f} s = {rb / t_bg:.1f}x crmcli; Gamma-Gamma {rg:.3f} s = {rg / t_gg:.1f}x; "
              f"both {(rb + rg) / (t_bg + t_gg):.1f}x")
        print(f"    parameters: BG/NBD max rel. diff {max_rel_diff(res['bgnbd'], ours['bgnbd'], BG_KEYS):.2e}, "
              f"Gamma-Gamma {max_rel_diff(res['gg'], ours['gg'], GG_KEYS):.2e} ("
              + ", ".join(f"{k} {res['bgnbd'][k]:.4f}" for k in BG_KEYS) + "; "
              + ", ".join(f"{k} {res['gg'][k]:.4f}" for k in GG_KEYS) + ")")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lifetimes-python", help="python of a venv with lifetimes")
    ap.add_argument("--pymc-python", help="python of a venv with pymc-marketing")
    ap.add_argument("--big-repeat", type=int, default=1, help="runs of each reference on the generated set")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, make, reps in (("CDNOW master", cdnow_master, args.repeat),
                                 (f"{args.customers:,} generated customers", lambda: generated(args.customers),
                                  args.big_repeat)):
            d = make()
            npz = Path(tmp) / "data.npz"
            np.savez(npz, **d)
            print(f"{name}: {len(d['x']):,} customers, {int((d['x'] > 0).sum()):,} repeat, "
                  f"{int(d['g'].sum()):,} with a positive repeat value")
            ours = time_ours(d, args.repeat)
            refs: dict[str, dict | None] = {}
            if args.lifetimes_python:
                refs["lifetimes"] = run_reference(args.lifetimes_python, LIFETIMES, npz, reps, "plain")
                refs["lifetimes (grouped, weights)"] = run_reference(args.lifetimes_python, LIFETIMES, npz, reps,
                                                                     "weighted")
            if args.pymc_python:
                refs["pymc-marketing MAP, flat priors"] = run_reference(args.pymc_python, PYMC, npz, reps)
            report(name, ours, refs)


if __name__ == "__main__":
    main()
