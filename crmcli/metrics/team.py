"""The sales team (销售业绩追踪): per owner revenue, orders, customers, new customers, AOV, lead
conversion, sales cycle, quota and attainment.

- **Owner of an order**: the orders' owner column (销售员, 业务员, Sales Rep…); without one, the owner of
  the lead the customer converted from (the earliest converted lead of that customer, by lead date).
  Orders with no owner are ``(unassigned)``.
- **Window** (``period``): ``all`` = every order up to as_of; ``month`` / ``quarter`` / ``year`` = the
  calendar period holding as_of, from its first day to as_of (the period a quota is set for).
- ``revenue``, ``orders``, ``customers``, ``aov`` are ``crm metrics``' KPIs of the owner's order lines
  in the window (as ``--group owner`` computes them). ``new_customers`` = the owner's customers whose
  first purchase ever is in the window (with ``all``: in the last churn_days days, as the KPIs say).
- ``leads``, ``converted_leads``, ``conversion_rate``, ``avg_sales_cycle_days``: the owner's leads (with
  ``month``/``quarter``/``year``: those whose lead date is in the window), converted as the funnel
  converts them (a purchase on or after the lead date), the mean days from lead to first purchase.
- ``quota`` from ``[team] quota`` (one number for everyone, or a table owner = number) or a quota file
  (an owner column and a quota/target/目标 column); ``attainment`` = revenue ÷ quota.
- The last row, ``Total``, is computed from all the window's rows (customers counted once).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..schema import header_key, map_columns
from .funnel import convert_leads
from .kpis import compute_kpis

TEAM_COLUMNS = ["owner", "revenue", "orders", "customers", "new_customers", "aov", "leads", "converted_leads",
                "conversion_rate", "avg_sales_cycle_days", "quota", "attainment"]
TEAM_DEFINITIONS = {
    "owner": "the orders' owner column, else the owner of the lead the customer converted from",
    "revenue": "net order amounts in the window, refunds and credit notes netted",
    "orders": "purchases in the window",
    "customers": "distinct customers with a purchase in the window",
    "new_customers": "customers whose first purchase ever is in the window (period all: the last churn_days days)",
    "aov": "revenue ÷ orders",
    "leads": "the owner's leads (lead date in the window when the period is a month, quarter or year)",
    "converted_leads": "leads with a purchase on or after the lead date",
    "conversion_rate": "converted_leads ÷ leads",
    "avg_sales_cycle_days": "mean days from lead date to first purchase, over converted leads with a lead date",
    "quota": "[team] quota (one number or owner = number) or the quota file",
    "attainment": "revenue ÷ quota",
}
PERIODS = ("all", "month", "quarter", "year")
UNASSIGNED = "(unassigned)"
TOTAL = "Total"
_QUOTA_HEADERS = ("quota", "target", "sales target", "revenue target", "goal", "销售目标", "目标", "业绩目标",
                  "指标", "销售指标", "任务", "销售任务", "定额", "配额")


@dataclass
class TeamReport:
    table: pd.DataFrame
    owners_from: str                   # "orders" (their owner column) or "leads"
    start: pd.Timestamp | None         # the window's first day (None: everything up to as_of)
    as_of: pd.Timestamp
    notes: list[str] = field(default_factory=list)


def check_period(value: Any, name: str = "team.period") -> str:
    text = str(value).strip().lower()
    if text not in PERIODS:
        raise UsageError(f"{name} {value!r} is not one of " + ", ".join(PERIODS))
    return text


def check_quota(value: Any, name: str = "team.quota") -> Any:
    """A quota setting: a number (everyone), a table owner = number, or a file path (text)."""
    if value is None or isinstance(value, str):
        text = (value or "").strip()
        try:
            return float(text.replace(",", "")) if text else None
        except ValueError:
            return text  # a quota file
    if isinstance(value, bool):
        raise UsageError(f"{name} {value!r} is not a number, a table or a file")
    if isinstance(value, (int, float)):
        if value < 0:
            raise UsageError(f"{name} must not be negative, got {value!r}")
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for owner, q in value.items():
            if isinstance(q, bool) or not isinstance(q, (int, float)) or q < 0:
                raise UsageError(f"{name}: {owner} = {q!r} is not a quota", hint='e.g. [team] quota = { "张伟" = 50000 }')
            out[str(owner)] = float(q)
        return out
    raise UsageError(f"{name} {value!r} is not a number, a table or a file")


def read_quotas(quota: Any, *, read: Any = None) -> float | dict[str, float] | None:
    """A quota setting as numbers: a number, ``{owner: quota}``, or a quota file read into one."""
    if quota is None or isinstance(quota, (int, float, Mapping)):
        return dict(quota) if isinstance(quota, Mapping) else quota
    from ..io import read_input

    raw = read_input(os.fspath(quota), read)
    owner = next((h for h, f in map_columns(raw.columns).items() if f == "owner"), None)
    keys = {header_key(h) for h in _QUOTA_HEADERS}
    target = next((c for c in raw.columns if header_key(c) in keys), None)
    if owner is None or target is None:
        raise UsageError(f"the quota file {os.fspath(quota)} needs an owner column and a quota column",
                         hint="e.g. headers 负责人, 销售目标 (or owner, quota); columns: "
                              + ", ".join(map(str, list(raw.columns)[:10])))
    from ..fields import normalize_field

    values = normalize_field(raw[target], "amount").parsed.astype("float64")
    names = raw[owner].astype("str").str.strip()
    return {n: float(v) for n, v in zip(names, values) if n and v == v}


def owners_of_lines(lines: pd.DataFrame, leads: pd.DataFrame | None, orders: pd.DataFrame
                    ) -> tuple[pd.Series, str]:
    """Each order line's owner, and where the owners came from (``orders`` or ``leads``)."""
    if "owner" in lines.columns and (lines["owner"].astype("str").str.strip() != "").any():
        owner = lines["owner"].astype("str").str.strip()
        return owner.where(owner != "", UNASSIGNED), "orders"
    if leads is None or "owner" not in leads.columns or not (leads["owner"].astype("str") != "").any():
        raise UsageError("no owner: the orders have no owner column (销售员, 业务员, owner…) and no leads table with "
                         "one was given", hint="give {opt:leads} FILE with a 负责人/owner column, or map the "
                                               "orders' owner with {opt:map} owner=COLUMN")
    conv = convert_leads(leads, lines, orders)
    owned = pd.DataFrame({"customer_id": conv["customer_id"], "owner": leads["owner"].astype("str").str.strip(),
                          "day": leads["lead_date"] if "lead_date" in leads.columns else pd.NaT})[conv["converted"]]
    owned = owned[owned["owner"] != ""].sort_values("day", kind="stable", na_position="last")
    first = owned.drop_duplicates("customer_id").set_index("customer_id")["owner"]
    # no converted lead owned: map() gives float NaNs, which take no text fill
    return lines["customer_id"].map(first).astype("object").fillna(UNASSIGNED).astype("str"), "leads"


def window_start(as_of: pd.Timestamp, period: str, churn_days: int) -> tuple[pd.Timestamp | None, pd.Timestamp]:
    """(first day of the window or None for all, first day that makes a customer new)."""
    if period == "all":
        return None, as_of - pd.Timedelta(days=churn_days - 1)
    start = as_of.to_period({"month": "M", "quarter": "Q", "year": "Y"}[period]).start_time.normalize()
    return start, start


def compute_team(lines: pd.DataFrame, orders: pd.DataFrame, *, as_of: pd.Timestamp, churn_days: int = 90,
                 leads: pd.DataFrame | None = None, quota: Any = None, period: str = "all") -> TeamReport:
    """The team table (see the module docstring) from the typed order lines and orders up to ``as_of``,
    optional typed leads (:func:`~crmcli.metrics.prepare_leads`) and a quota (:func:`read_quotas`)."""
    from . import orders_by_group

    period = check_period(period, "{opt:team_period}")
    notes: list[str] = []
    owner, source = owners_of_lines(lines, leads, orders)
    if source == "leads":
        notes.append("team: the orders have no owner column: each customer's orders go to the owner of the lead "
                     "they converted from")
    start, new_from = window_start(as_of, period, churn_days)
    inside = np.ones(len(lines), dtype=bool) if start is None else (lines["order_date"] >= start).to_numpy()
    buys = orders[orders["is_purchase"]] if "is_purchase" in orders.columns else orders
    first_buy = buys.groupby("customer_id")["order_date"].min()
    quotas = dict(quota) if isinstance(quota, Mapping) else {}
    conv = convert_leads(leads, lines, orders) if leads is not None and "owner" in leads.columns else None
    lead_owner = None
    if conv is not None:
        lead_owner = leads["owner"].astype("str").str.strip().replace("", UNASSIGNED)
        if start is not None and "lead_date" in leads.columns:
            in_window = ((leads["lead_date"] >= start) & (leads["lead_date"] < as_of + pd.Timedelta(days=1))).to_numpy()
            conv, lead_owner = conv[in_window], lead_owner[in_window]
    window_lines = lines[inside]
    labels = owner[inside]
    if window_lines.empty:
        from ..errors import DataError

        raise DataError(f"no orders from {start.date() if start is not None else 'the start'} to {as_of.date()} "
                        f"for the team table", hint="check {opt:as_of} and {opt:team_period}", option="team_period")
    everyone = pd.Series(TOTAL, index=window_lines.index, dtype="str")
    groups = [(g, sub, window_lines[(labels == g).to_numpy()]) for g, sub in orders_by_group(window_lines, labels)]
    groups += [(TOTAL, sub, window_lines) for _, sub in orders_by_group(window_lines, everyone)]
    named = sorted(set(owner) | (set(leads["owner"].astype("str").str.strip()) if conv is not None else set())
                   - {UNASSIGNED, ""})

    def quota_of(name: str) -> float:
        if quota is None:
            return float("nan")
        if name == TOTAL:
            return float(sum(quotas.values())) if quotas else float(quota) * len(named)
        if quotas or name == UNASSIGNED:
            return float(quotas.get(name, float("nan")))
        return float(quota)

    rows = []
    for name, sub, sub_lines in groups:
        k = compute_kpis(sub, as_of=as_of, churn_days=churn_days, lines=sub_lines)
        k = dict(zip(k["metric"], k["value"]))
        buyers = sub.loc[sub["is_purchase"] if "is_purchase" in sub.columns else slice(None), "customer_id"].unique()
        new = int((first_buy.reindex(buyers) >= new_from).sum())
        row = {"owner": name, "revenue": k["revenue"], "orders": k["orders"], "customers": k["customers"],
               "new_customers": float(new), "aov": k["aov"], "leads": np.nan, "converted_leads": np.nan,
               "conversion_rate": np.nan, "avg_sales_cycle_days": np.nan}
        if conv is not None:
            mine = conv if name == TOTAL else conv[(lead_owner == name).to_numpy()]
            n_leads, n_conv = len(mine), int(mine["converted"].sum())
            row.update(leads=float(n_leads), converted_leads=float(n_conv),
                       conversion_rate=n_conv / n_leads if n_leads else np.nan,
                       avg_sales_cycle_days=float(mine["cycle_days"].mean()) if mine["cycle_days"].notna().any()
                       else np.nan)
        q = quota_of(name)
        row.update(quota=q, attainment=row["revenue"] / q if q == q and q > 0 else np.nan)
        rows.append(row)
    # the team is every owner seen (orders up to as_of, leads, quotas): one without orders in the window
    # gets a row of its own (attainment 0)
    roster = set(owner) | (set(lead_owner) if lead_owner is not None else set()) | set(quotas)
    for name in sorted(roster - {r["owner"] for r in rows} - {UNASSIGNED}):
        mine = conv[(lead_owner == name).to_numpy()] if conv is not None else None
        q = quota_of(name)
        row = {"owner": name, "revenue": 0.0, "orders": 0.0, "customers": 0.0, "new_customers": 0.0, "aov": np.nan,
               "leads": np.nan, "converted_leads": np.nan, "conversion_rate": np.nan, "avg_sales_cycle_days": np.nan,
               "quota": q, "attainment": 0.0 if q == q and q > 0 else np.nan}
        if mine is not None:
            row.update(leads=float(len(mine)), converted_leads=float(mine["converted"].sum()),
                       conversion_rate=float(mine["converted"].mean()) if len(mine) else np.nan,
                       avg_sales_cycle_days=float(mine["cycle_days"].mean()) if mine["cycle_days"].notna().any()
                       else np.nan)
        rows.insert(len(rows) - 1, row)
    table = pd.DataFrame(rows, columns=TEAM_COLUMNS)
    table["avg_sales_cycle_days"] = table["avg_sales_cycle_days"].round(1)
    body = table.iloc[:-1].sort_values(["revenue", "owner"], ascending=[False, True], kind="stable")
    body = pd.concat([body[body["owner"] != UNASSIGNED], body[body["owner"] == UNASSIGNED], table.iloc[-1:]],
                     ignore_index=True)
    if quota is None:
        body = body.drop(columns=["quota", "attainment"])
    if conv is None:
        body = body.drop(columns=["leads", "converted_leads", "conversion_rate", "avg_sales_cycle_days"])
    return TeamReport(body, source, start, as_of, notes)
