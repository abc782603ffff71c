"""Compute lifetimes' figures on the CDNOW 1/10 sample once, for tests/test_clv.py (not run by the tests).

lifetimes is archived and needs an older numpy/pandas, so it lives in a throwaway venv, never in the project:

    python3 -m venv /tmp/lt && /tmp/lt/bin/pip install lifetimes 'numpy<2' 'pandas<2.2' 'scipy<1.14'
    /tmp/lt/bin/python tests/data/make_lifetimes_fixture.py

Reads tests/data/cdnow_sample.csv.gz (the wheel's lifetimes/datasets/CDNOW_sample.txt as CSV), calibrates to
1997-09-30 in days, and writes tests/data/cdnow_sample_lifetimes.csv.gz (per customer: frequency, recency, T,
monetary_value, p_alive, expected orders over the next 39 weeks = 273 days) and cdnow_sample_lifetimes.json (the
fitted parameters, in days and in weeks, the Gamma-Gamma parameters and the 39-week total).
"""

import json
from pathlib import Path

import lifetimes
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

HERE = Path(__file__).resolve().parent
CAL_END = "1997-09-30"
HORIZON_DAYS = 39 * 7

tx = pd.read_csv(HERE / "cdnow_sample.csv.gz", dtype={"customer_id": str})
tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
cal = tx[tx["date"] <= CAL_END]
summary = summary_data_from_transaction_data(cal, "customer_id", "date", monetary_value_col="dollar_value",
                                             observation_period_end=CAL_END, freq="D")
bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
weeks = BetaGeoFitter().fit(summary["frequency"] , summary["recency"] / 7, summary["T"] / 7)
repeat = summary[summary["frequency"] > 0]
ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
out = summary.assign(
    p_alive=bgf.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"]),
    expected_39w=bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON_DAYS, summary["frequency"],
                                                                         summary["recency"], summary["T"]),
).reset_index()
out.to_csv(HERE / "cdnow_sample_lifetimes.csv.gz", index=False, float_format="%.10g",
           compression={"method": "gzip", "mtime": 0})
params = {
    "lifetimes_version": lifetimes.__version__,
    "calibration_end": CAL_END,
    "customers": len(summary),
    "repeat_customers": len(repeat),
    "bgnbd_days": {k: float(v) for k, v in bgf.params_.items()},
    "bgnbd_weeks": {k: float(v) for k, v in weeks.params_.items()},
    "gamma_gamma": {k: float(v) for k, v in ggf.params_.items()},
    "expected_39w_total": float(out["expected_39w"].sum()),
}
(HERE / "cdnow_sample_lifetimes.json").write_text(json.dumps(params, indent=2) + "\n")
print(json.dumps(params, indent=2))
