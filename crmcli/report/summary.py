"""The Summary sheet: the headline KPIs as cards (this period large, the previous one under it, the change with
an arrow and a colour: green when it goes the good way; a rate's change in percentage points), then the full
table — all data, this period, the previous one, the change — with each metric's definition."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import formats
from ..config import Settings
from .labels import Labeller
from .sheet import Card, Sheet

#: Summary metrics in display order (the metric names of ``crmcli.metrics.compute_kpis``).
SUMMARY_METRICS = ("revenue", "orders", "customers", "aov", "revenue_per_customer", "repurchase_rate", "churn_rate",
                   "new_customers", "returning_customers", "orders_per_customer", "refund_amount")
FUNNEL_METRICS = ("leads", "converted_leads", "lead_conversion_rate", "avg_sales_cycle_days")
#: The cards, in order (the headline KPIs), and which way is better (+1 up, −1 down).
CARD_METRICS = ("revenue", "orders", "customers", "aov", "revenue_per_customer", "repurchase_rate",
                "new_customers", "churn_rate", "refund_amount")
BETTER = {"churn_rate": -1, "refund_amount": -1}
#: Rates: their change is in percentage points, never a relative change.
RATE_METRICS = {m for m, k in formats.METRIC_KINDS.items() if k == "percent"}


def periods(as_of: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """This period = the as-of month up to as-of; previous = the month before, up to the same day."""
    cur = (as_of.replace(day=1), as_of)
    prev_end_month = cur[0] - dt.timedelta(days=1)
    prev_start = prev_end_month.replace(day=1)
    prev_end = min(prev_start + dt.timedelta(days=as_of.day - 1), prev_end_month)
    return cur, (prev_start, prev_end)


def change_of(metric: str, current: float, previous: float) -> tuple[float, str]:
    """The change from the previous period: (value, kind). Rates: percentage points (``points``, 12.5 = 12.5 pp);
    the rest: this ÷ previous − 1 (``change``), empty when the previous value is 0 or missing."""
    if metric in RATE_METRICS:
        return (float(current - previous) * 100 if not (pd.isna(current) or pd.isna(previous)) else np.nan), "points"
    ok = previous and not pd.isna(previous) and not pd.isna(current) and previous > 0
    return (float(current / previous - 1) if ok else np.nan), "change"


def build_summary(t: Labeller, figures: Any, as_of: dt.date, settings: Settings,
                  rows_read: int, left_out: int, source: str | None,
                  funnel_figures: Mapping[str, float] | None, title: str) -> tuple[Sheet, dict[str, float]]:
    """The Summary sheet and the KPIs over all data up to as-of (``figures``: the report's figures,
    :mod:`crmcli.report.figures`; a period runs from its first day to its last, both whole days)."""
    (c0, c1), (p0, p1) = periods(as_of)
    table = figures.kpis(pd.Timestamp(as_of), settings.churn_days)
    everything = dict(zip(table["metric"], table["value"]))
    defs = dict(zip(table["metric"], table["definition"]))
    start = pd.Timestamp(as_of) - pd.Timedelta(days=settings.churn_days - 1)
    cur = figures.period(pd.Timestamp(c0), pd.Timestamp(c1), settings.churn_days)
    prev = figures.period(pd.Timestamp(p0), pd.Timestamp(p1), settings.churn_days)
    # the periods' dates are in the subtitle, right above
    cols = [t("metric"), t("all"), t("current"), t("previous"), t("change"), t("definition")]
    rows, kinds, changes = [], [], []
    cards = []
    for key in SUMMARY_METRICS:
        kind = formats.METRIC_KINDS.get(key, "number")
        a, b = cur.get(key, np.nan), prev.get(key, np.nan)
        change, change_kind = change_of(key, a, b)
        definition = t.definition(key, default=defs.get(key, ""), days=settings.churn_days,
                                  start=f"{start:%Y-%m-%d}", end=f"{pd.Timestamp(as_of):%Y-%m-%d}")
        rows.append([t.metric(key), everything.get(key, np.nan), a, b, change, definition])
        kinds.append(kind)
        changes.append(change_kind)
        if key in CARD_METRICS:
            shown = formats.format_value(b, kind, t.lang)
            cards.append(Card(t.metric(key), a, kind, detail=f"{t('previous')} {shown}" if shown else t("previous"),
                              change=change, change_kind=change_kind, better=BETTER.get(key, 1)))
    if funnel_figures is not None:
        for key in FUNNEL_METRICS:
            kind = formats.METRIC_KINDS.get(key, "number")
            rows.append([t.metric(key), funnel_figures.get(key, np.nan), None, None, None,
                         t.definition(key, default="")])
            kinds.append(kind)
            changes.append("text")
        rate = funnel_figures.get("lead_conversion_rate", np.nan)
        cards.append(Card(t.metric("lead_conversion_rate"), rate, "percent",
                          detail=f"{t.metric('leads')} {formats.format_value(funnel_figures.get('leads'), 'int')}",
                          better=0))
    for label, value, kind, note in ((t("as_of"), as_of, "date", t("as_of_def")),
                                     (t("rows_read"), rows_read, "int", source or ""),
                                     (t("rows_left_out"), left_out, "int", t("rows_left_out_def")),
                                     (t("period_note"), None, "text", t("period_note_def"))):
        rows.append([label, value, None, None, None, note])
        kinds.append(kind)
        changes.append("text")
    df = pd.DataFrame(rows, columns=cols)
    cell_kinds = {(i, cols[4]): k for i, k in enumerate(changes)}
    subtitle = (f"{t('current')} {c0:%Y-%m-%d} ~ {c1:%Y-%m-%d} · {t('previous')} {p0:%Y-%m-%d} ~ {p1:%Y-%m-%d}"
                f" · {t('as_of')} {as_of:%Y-%m-%d}" + (f" · {source}" if source else ""))
    sheet = Sheet(t("summary"), df, kinds={cols[0]: "text", cols[5]: "text"}, row_kinds=kinds,
                  row_kind_columns=cols[1:4], cell_kinds=cell_kinds, cards=cards, title=title, subtitle=subtitle,
                  card_spans=((0, 0), (1, 2), (3, 4)),
                  widths={cols[0]: 24, cols[1]: 16, cols[2]: 16, cols[3]: 16, cols[4]: 16, cols[5]: 70},
                  wrap=(cols[5],))
    return sheet, everything
