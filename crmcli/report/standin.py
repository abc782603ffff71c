"""Stand-ins for analytics the report needs, isolated here so each can be swapped for the
library's own function (``crmcli.fields``/``validate``, ``crmcli.orders``/``rfm``,
``crmcli.metrics``) as those land. Each follows the definitions in DESIGN.md as simply as
possible; ``report.build`` only talks to the functions re-exported by ``report.analytics``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..schema import column_for, map_columns

# --------------------------------------------------------------------------- field parsing

_CURRENCY = re.compile(r"(rmb|cny|usd|eur|[¥￥$€元,\s])", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S",
                 "%Y.%m.%d", "%Y%m%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%Y-%m-%dT%H:%M:%S")
_CN_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_SLASH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_amounts(s: pd.Series) -> pd.Series:
    """Text -> float (NaN where empty or not a number). Currency signs, 元, separators removed."""
    def one(v: str) -> float:
        t = _CURRENCY.sub("", unicodedata.normalize("NFKC", v))
        return float(t) if _NUMBER.match(t) else np.nan
    uniq = pd.unique(s.astype("str"))
    lookup = {u: one(u) for u in uniq}
    return s.astype("str").map(lookup).astype("float64")


def _one_date(v: str, dayfirst: bool | None) -> pd.Timestamp | None:
    t = unicodedata.normalize("NFKC", v).strip()
    if not t:
        return None
    m = _CN_DATE.match(t)
    if m:
        t = f"{m[1]}-{m[2]}-{m[3]}"
    if t.isdigit() and 3 <= len(t) <= 5:  # an Excel serial number
        return pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(t))
    m = _SLASH.match(t)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        day, month = (a, b) if (dayfirst or (dayfirst is None and a > 12)) else (b, a)
        try:
            return pd.Timestamp(dt.date(y, month, day))
        except ValueError:
            return None
    for f in _DATE_FORMATS:
        try:
            return pd.Timestamp(dt.datetime.strptime(t, f))
        except ValueError:
            continue
    return None


def parse_dates(s: pd.Series, dayfirst: bool | None = None) -> pd.Series:
    """Text -> datetime64 (NaT where empty or not a date), one explicit format at a time."""
    uniq = pd.unique(s.astype("str"))
    lookup = {u: _one_date(u, dayfirst) for u in uniq}
    return pd.to_datetime(s.astype("str").map(lookup), errors="coerce")


def _ids(s: pd.Series) -> pd.Series:
    t = s.astype("str").str.strip()
    return t.str.replace(r"^(\d+)\.0$", r"\1", regex=True)


# --------------------------------------------------------------------------- orders


@dataclass
class PreparedOrders:
    """Order rows typed: ``lines`` (one per kept input row), ``orders`` (one per order)."""

    lines: pd.DataFrame
    orders: pd.DataFrame
    dropped: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)


def prepare_orders(df: pd.DataFrame, *, overrides: Mapping[str, str] | None = None, customer: str | None = None,
                   region: str = "CN", dayfirst: bool | None = None) -> PreparedOrders:
    """Type the order rows; leave out (and list) rows with an invalid date or amount.

    Exact repeated rows (the same order exported twice) count once. A purchase is a distinct
    ``order_id``; without one each row is an order. Customers are the mapped ``customer_id``,
    else the phone, email or name.
    """
    mapping = map_columns(df.columns, overrides)
    date_col = column_for(mapping, "order_date")
    amount_col = column_for(mapping, "amount")
    if date_col is None or amount_col is None:
        missing = "an order date" if date_col is None else "an amount"
        raise UsageError(f"the orders table has no {missing} column",
                         hint=f"map one with --map {'order_date' if date_col is None else 'amount'}=COLUMN "
                              "or [columns.orders] in crm.toml")
    cust_col = customer or column_for(mapping, "customer_id")
    notes = []
    if cust_col is None:
        for f in ("phone", "email", "name"):
            cust_col = column_for(mapping, f)
            if cust_col:
                notes.append(f"no customer id column: customers keyed by {cust_col}")
                break
    if cust_col is None:
        raise UsageError("the orders table has no customer column", hint="map one with --map customer_id=COLUMN")
    if cust_col not in df.columns:
        raise UsageError(f"no column named {cust_col!r}")
    dup = df.duplicated(keep="first")
    if dup.any():
        notes.append(f"{int(dup.sum())} repeated rows counted once")
    work = df[~dup]
    out = pd.DataFrame(index=work.index)
    out["customer_id"] = _ids(work[cust_col])
    oid = column_for(mapping, "order_id")
    out["order_id"] = _ids(work[oid]) if oid else pd.Series([f"row{r}" for r in work.index], index=work.index)
    out["order_date"] = parse_dates(work[date_col], dayfirst)
    out["amount"] = parse_amounts(work[amount_col])
    qcol = column_for(mapping, "quantity")
    out["quantity"] = parse_amounts(work[qcol]) if qcol else 1.0
    for f in ("product", "channel", "campaign", "category"):
        col = column_for(mapping, f)
        out[f] = work[col].astype("str").str.strip() if col else ""
    reason = pd.Series("", index=out.index, dtype="str")
    reason[out["amount"].isna()] = "invalid-amount"
    reason[out["order_date"].isna()] = "invalid-date"
    reason[out["customer_id"] == ""] = "missing-value"
    bad = reason != ""
    dropped = pd.DataFrame({"row": out.index[bad], "reason": reason[bad].to_numpy()})
    if bad.any():
        notes.append(f"{int(bad.sum())} rows left out (invalid date or amount, or no customer)")
    lines = out[~bad].copy()
    lines.index.name = "row"
    orders = (lines.groupby("order_id", sort=False)
              .agg(customer_id=("customer_id", "first"), order_date=("order_date", "min"),
                   amount=("amount", "sum"), channel=("channel", "first"))
              .reset_index())
    return PreparedOrders(lines=lines, orders=orders, dropped=dropped, notes=notes, mapping=mapping)


# --------------------------------------------------------------------------- RFM

RFM_RULES = (  # DESIGN.md, first match wins
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    ("Promising", (3, 4), (1, 3), (3, 5)),
    ("New Customers", (4, 5), (1, 3), (1, 5)),
    ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (4, 5)),
    ("Need Attention", (1, 3), (3, 5), (3, 5)),
    ("About To Sleep", (2, 3), (1, 3), (1, 4)),
    ("Lost", (1, 1), (1, 5), (1, 5)),
)
CN8 = {(True, True, True): "重要价值客户", (False, True, True): "重要保持客户", (True, False, True): "重要发展客户",
       (False, False, True): "重要挽留客户", (True, True, False): "一般价值客户", (False, True, False): "一般保持客户",
       (True, False, False): "一般发展客户", (False, False, False): "一般挽留客户"}


def _scores(values: pd.Series, bins: int, breaks=None, reverse: bool = False) -> pd.Series:
    """1..bins by quantile of the distinct-value rank: equal values always get equal scores."""
    if len(values) == 0:
        return pd.Series(dtype="int64")
    if breaks:
        s = np.searchsorted(np.asarray(breaks, dtype=float), values.to_numpy(dtype=float), side="left") + 1
        s = np.clip(s, 1, len(breaks) + 1)
        top = len(breaks) + 1
    else:
        pct = values.rank(method="max", pct=True)
        s = np.ceil(pct.to_numpy() * bins).clip(1, bins).astype(int)
        top = bins
    out = pd.Series(s.astype(int), index=values.index)
    return (top + 1 - out) if reverse else out


def score_rfm(orders: pd.DataFrame, *, as_of: pd.Timestamp, bins: int = 5, breaks=None, scheme: str = "rfm",
              rules=None) -> pd.DataFrame:
    """One row per customer from an ``orders`` table (order_id, customer_id, order_date, amount)."""
    g = orders.groupby("customer_id", sort=True)
    t = pd.DataFrame({
        "last_order": g["order_date"].max(), "first_order": g["order_date"].min(),
        "frequency": g["order_id"].nunique(), "monetary": g["amount"].sum(),
    })
    t["recency_days"] = (as_of.normalize() - t["last_order"].dt.normalize()).dt.days
    t["avg_order_value"] = t["monetary"] / t["frequency"]
    breaks = breaks or {}
    t["r_score"] = _scores(t["recency_days"], bins, breaks.get("recency"), reverse=True)
    t["f_score"] = _scores(t["frequency"], bins, breaks.get("frequency"))
    t["m_score"] = _scores(t["monetary"], bins, breaks.get("monetary"))
    t["rfm_score"] = t["r_score"].astype(str) + t["f_score"].astype(str) + t["m_score"].astype(str)
    if scheme == "cn8":
        hi = (t["recency_days"] <= t["recency_days"].mean(), t["frequency"] >= t["frequency"].mean(),
              t["monetary"] >= t["monetary"].mean())
        t["segment"] = [CN8[(bool(a), bool(b), bool(c))] for a, b, c in zip(*hi)]
    else:
        table = [(r.segment, r.r, r.f, r.m) for r in rules] if rules else RFM_RULES
        top = bins if not breaks else 5
        scale = 5 / top if top != 5 and not rules else 1.0
        seg = pd.Series("Others", index=t.index, dtype="object")
        done = pd.Series(False, index=t.index)
        r, f, m = (np.ceil(t[c] * scale).astype(int) for c in ("r_score", "f_score", "m_score"))
        for name, (r0, r1), (f0, f1), (m0, m1) in table:
            hit = ~done & r.between(r0, r1) & f.between(f0, f1) & m.between(m0, m1)
            seg[hit] = name
            done |= hit
        t["segment"] = seg
    rank = t["monetary"].rank(method="first", ascending=False) / max(len(t), 1)
    t["tier"] = np.where(rank <= 0.2, "high", np.where(rank <= 0.5, "mid", "low"))
    t = t.reset_index()
    return t[["customer_id", "recency_days", "frequency", "monetary", "first_order", "last_order",
              "avg_order_value", "r_score", "f_score", "m_score", "rfm_score", "segment", "tier"]]


def segment_summary(rfm: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, share, revenue, revenue share, orders, AOV."""
    g = rfm.groupby("segment", sort=False)
    s = pd.DataFrame({"customers": g.size(), "revenue": g["monetary"].sum(), "orders": g["frequency"].sum()})
    s["share"] = s["customers"] / max(len(rfm), 1)
    total = rfm["monetary"].sum()
    s["revenue_share"] = s["revenue"] / total if total else np.nan
    s["aov"] = s["revenue"] / s["orders"].where(s["orders"] > 0)
    s = s.sort_values(["revenue", "customers"], ascending=False).reset_index()
    return s[["segment", "customers", "share", "revenue", "revenue_share", "orders", "aov"]]


# --------------------------------------------------------------------------- metrics


def kpis(orders: pd.DataFrame, all_orders: pd.DataFrame, *, start: pd.Timestamp | None, end: pd.Timestamp,
         churn_days: int) -> dict[str, float]:
    """KPIs of the orders dated in [start, end]; churn from every order up to ``end``."""
    w = orders[(orders["order_date"] <= end) & ((orders["order_date"] >= start) if start is not None else True)]
    n_orders = w["order_id"].nunique()
    revenue = float(w["amount"].sum())
    per_cust = w.groupby("customer_id")["order_id"].nunique()
    paying = int((w.groupby("customer_id")["amount"].sum() > 0).sum())
    customers = int(len(per_cust))
    hist = all_orders[all_orders["order_date"] <= end]
    firsts = hist.groupby("customer_id")["order_date"].min()
    new = int(((firsts >= start) if start is not None else firsts.notna()).sum()) if customers else 0
    last = hist.groupby("customer_id")["order_date"].max()
    churned = int((last < end.normalize() - pd.Timedelta(days=churn_days - 1)).sum())
    return {
        "revenue": revenue,
        "orders": float(n_orders),
        "customers": float(customers),
        "aov": revenue / n_orders if n_orders else np.nan,
        "revenue_per_customer": revenue / paying if paying else np.nan,
        "repurchase_rate": float((per_cust >= 2).sum()) / customers if customers else np.nan,
        "new_customers": float(new),
        "churn_rate": churned / len(last) if len(last) else np.nan,
        "refund_amount": float(-w.loc[w["amount"] < 0, "amount"].sum()),
    }


def cohort_matrix(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Cohort = month of first order; cell k = share of the cohort active k months later (blank if unseen)."""
    if orders.empty:
        return pd.DataFrame(columns=["cohort", "customers"])
    month = orders["order_date"].dt.to_period("M")
    first = month.groupby(orders["customer_id"]).transform("min")
    age = (month - first).apply(lambda d: d.n).astype(int)
    active = pd.DataFrame({"cohort": first, "age": age, "customer_id": orders["customer_id"]}).drop_duplicates()
    counts = active.groupby(["cohort", "age"])["customer_id"].nunique().unstack(fill_value=0)
    size = counts[0]
    share = counts.div(size, axis=0)
    last = as_of.to_period("M")
    for cohort in share.index:
        horizon = (last - cohort).n
        share.loc[cohort, [c for c in share.columns if c > horizon]] = np.nan
    maxage = (last - share.index.min()).n
    share = share.reindex(columns=range(0, maxage + 1))
    for cohort in share.index:
        horizon = (last - cohort).n
        for c in share.columns:
            if c <= horizon and pd.isna(share.loc[cohort, c]):
                share.loc[cohort, c] = 0.0
    share.insert(0, "customers", size)
    share.index = share.index.astype(str)
    share = share.reset_index().rename(columns={"index": "cohort"})
    share.columns = ["cohort", "customers", *[str(c) for c in share.columns[2:]]]
    return share


def funnel(leads: pd.DataFrame, orders: pd.DataFrame, *, stages=None, overrides=None) -> pd.DataFrame:
    """Count reaching each stage (a lead at stage k has passed every earlier stage), k→k+1 rate."""
    mapping = map_columns(leads.columns, overrides)
    col = column_for(mapping, "stage") or column_for(mapping, "status")
    if col is None:
        raise UsageError("the leads table has no stage column", hint="map one with [columns.leads] stage = \"COLUMN\"")
    st = leads[col].astype("str").str.strip()
    counts = st[st != ""].value_counts()
    order = list(stages) if stages else list(counts.index)
    at = [int(counts.get(s, 0)) for s in order]
    reach = np.cumsum(at[::-1])[::-1]
    rows = []
    for i, name in enumerate(order):
        nxt = reach[i + 1] / reach[i] if i + 1 < len(order) and reach[i] else np.nan
        rows.append({"stage": name, "leads": int(at[i]), "reached": int(reach[i]), "next_rate": nxt,
                     "share_of_leads": reach[i] / reach[0] if reach[0] else np.nan})
    return pd.DataFrame(rows)


def campaigns(table: pd.DataFrame, lines: pd.DataFrame, *, overrides=None) -> pd.DataFrame:
    """Per campaign: cost, attributed orders and revenue (orders carrying the campaign), ROI, ROAS."""
    mapping = map_columns(table.columns, overrides)
    name_col = column_for(mapping, "campaign")
    if name_col is None:
        raise UsageError("the campaigns table has no campaign column",
                         hint="map one with [columns.campaigns] campaign = \"COLUMN\"")
    cost_col = column_for(mapping, "cost")
    names = table[name_col].astype("str").str.strip()
    cost = parse_amounts(table[cost_col]) if cost_col else pd.Series(np.nan, index=table.index)
    by = lines[lines["campaign"] != ""].groupby("campaign")
    rev, n = by["amount"].sum(), by["order_id"].nunique()
    out = pd.DataFrame({"campaign": names.to_numpy(), "cost": cost.to_numpy()})
    out["orders"] = out["campaign"].map(n).fillna(0).astype(int)
    out["revenue"] = out["campaign"].map(rev).fillna(0.0)
    c = out["cost"].where(out["cost"] > 0)
    out["roi"] = (out["revenue"] - c) / c
    out["roas"] = out["revenue"] / c
    return out
