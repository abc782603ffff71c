"""Files and sentences about a :class:`~crmcli.clv.ClvResult`: the ``--params`` JSON, the holdout report,
and the lines ``crm clv`` prints on stderr."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable

from ..formats import ESTIMATE, formats_for
from ..io import atomic_write, output_format, write_table, write_workbook
from .fit import CHURN_RULE, ClvResult
from .holdout import HoldoutReport

#: ``crm clv``'s xlsx formats: the one table's (:mod:`crmcli.formats`), P(alive) a rate as in the report.
TABLE_FORMATS = formats_for(("monetary", "p_alive", "expected_orders", "expected_order_value", "clv",
                             "value_at_stake", "holdout_predicted", "repeat_purchases", "frequency",
                             "recency_days"))


def write_json(data: object, dest: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = ()) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    atomic_write(dest, lambda fh: fh.write(text.encode("utf-8")), inputs=inputs)


def write_params(result: ClvResult, dest: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """The fitted parameters as JSON: ``{"bgnbd": {r, alpha, a, b, unit: "day", …}, "gamma_gamma": {p, q, v, …},
    "log_likelihood", "customers", "as_of", …}``."""
    write_json(result.params, dest, inputs=inputs)


def write_holdout_report(report: HoldoutReport, dest: str | os.PathLike, *,
                         inputs: Iterable[str | os.PathLike] = ()) -> str:
    """``.json``: everything; ``.xlsx``: sheets summary, by_purchases, by_period, customers; csv/tsv/jsonl: the
    calibration table by number of calibration purchases. Returns the format written."""
    fmt = output_format(dest, None)
    if fmt == "json":
        write_json({**report.to_dict(), "customers_detail": [
            {"customer_id": r.customer_id, "predicted": float(r.predicted), "actual": int(r.actual)}
            for r in report.per_customer.itertuples(index=False)]}, dest, inputs=inputs)
    elif fmt == "xlsx":
        tables = report.tables()
        fmts = {name: {**formats_for(df), **{c: ESTIMATE for c in df.columns if "predicted" in str(c)}}
                for name, df in tables.items()}
        write_workbook(tables, dest, number_formats=fmts, inputs=inputs)
    else:
        write_table(report.by_purchases, dest, format=fmt, inputs=inputs)
    return fmt


def describe_clv(result: ClvResult) -> list[str]:
    """What was fitted, in a few lines (parameters in days, convergence, the rules used)."""
    t = result.table
    p = result.params["bgnbd"]
    repeat = int((t["repeat_purchases"] > 0).sum())
    head = (f"clv: {len(t):,} customers ({repeat:,} repeat), fitted on orders to {result.as_of.date()}; "
            f"horizon {result.horizon} days, discount {result.discount:.0%} a year (monthly)")
    model = (f"BG/NBD (days): r {p['r']:.4g}, alpha {p['alpha']:.4g}, a {p['a']:.4g}, b {p['b']:.4g}; "
             f"log-likelihood {p['log_likelihood']:,.2f}; {result.bgnbd_fit.describe()}")
    lines = [head, model]
    gg = result.params["gamma_gamma"]
    if gg is not None:
        corr = gg["frequency_value_correlation"]
        shown = "-" if corr is None else f"{corr:.2f}"
        lines.append(f"Gamma-Gamma: p {gg['p']:.4g}, q {gg['q']:.4g}, v {gg['v']:.4g} ({gg['customers']:,} repeat "
                     f"customers); {result.gamma_gamma_fit.describe()}; frequency-value correlation {shown} "
                     f"(assumed 0)")
    lines.append(f"expected_order_value: {result.value_model}")
    counts = t["churn_risk"].value_counts()
    risk = ", ".join(f"{k} {int(counts.get(k, 0)):,}" for k in ("high", "medium", "low"))
    lines.append(f"expected orders in the next {result.horizon} days: {t['expected_orders'].sum():,.1f}; "
                 f"CLV total {t['clv'].sum():,.2f}; churn risk: {risk}")
    lines.append(CHURN_RULE)
    h = result.holdout
    if h is not None:
        err = "-" if math.isnan(h.error) else f"{h.error:+.1%}"
        lines.append(f"holdout {h.calibration_end.date()} → {h.holdout_end.date()} ({h.days} days, {h.customers:,} "
                     f"customers): predicted {h.predicted:,.1f} repeat purchase days, actual {h.actual:,} "
                     f"(total error {err}); MAE per customer {h.mae:.3f} (keep-the-calibration-rate baseline "
                     f"{h.mae_baseline:.3f})")
    return lines
