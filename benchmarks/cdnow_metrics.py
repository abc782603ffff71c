"""Check `crm metrics` on the CDNOW transactions against the published figures.

    pip download lifetimes --no-deps -d /tmp/lt        # a bench-only download; not a dependency
    python benchmarks/cdnow_metrics.py /tmp/lt/lifetimes-*.whl

Reads CDNOW_master.txt from the wheel (customer id, yyyymmdd date, CDs, dollars; each row an
order), writes it as a CSV under /tmp, runs the library call behind `crm metrics --as-of
1998-06-30 --by month --cohorts`, and prints the KPIs beside the expected values and the time.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crmcli.metrics import compute_metrics  # noqa: E402

#: The published figures; money in cents as crm writes it (aov 35.8936…, revenue per customer 106.0804…).
EXPECTED = {"customers": 23570, "orders": 69659, "revenue": 2500315.63, "aov": 35.89,
            "revenue_per_customer": 106.08, "repurchase_rate": 0.494781}


def main(wheel: str) -> int:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith("CDNOW_master.txt"))
        text = zf.read(name).decode("ascii")
    raw = pd.read_csv(io.StringIO(text), sep=r"\s+", dtype=str)
    csv = Path(tempfile.gettempdir()) / "cdnow_orders.csv"
    pd.DataFrame({"customer_id": raw["customer_id"], "order_date": raw["date"],
                  "amount": raw["dollar_value"]}).to_csv(csv, index=False)
    start = time.perf_counter()
    report = compute_metrics(str(csv), as_of="1998-06-30", by="month", cohorts=True)
    took = time.perf_counter() - start
    values = report.kpis.set_index("metric")["value"]
    ok = True
    for metric, value in values.items():
        exp = EXPECTED.get(metric)
        flag = "" if exp is None else ("ok" if abs(value - exp) <= max(1e-6 * abs(exp), 1e-4) else "MISMATCH")
        ok &= flag != "MISMATCH"
        print(f"{metric:22} {value:>16,.6f} {'' if exp is None else f'{exp:,.6f}':>18} {flag}")
    print(f"periods: {len(report.periods)}  cohorts: {len(report.cohorts)}  rows left out: {report.dropped}")
    print(f"compute_metrics on {len(raw):,} rows: {took:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else next(Path("/tmp/lt").glob("[Ll]ifetimes-*.whl")).as_posix()))
