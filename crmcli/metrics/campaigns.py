"""Campaign response, attribution, ROI and ROAS.

``campaigns`` is a typed frame, one row per contact or per campaign:

- ``campaign`` (text, required);
- a contact row names a person by ``customer_id``, ``phone`` and/or ``email``, with
  ``date`` (datetime64, when contacted) and optionally ``responded`` (bool, NA = unknown);
- a campaign row names no person and may carry ``contacted``/``responders`` counts and a
  ``date`` (the campaign start, used for its contacts that have no date);
- ``cost`` (float) on any row; a campaign's cost is the sum over its rows.

Attribution: an order carrying a campaign name (the orders' ``campaign`` field) belongs to
that campaign. An order without one belongs to the campaign that last contacted its customer
on or before the order date, at most ``attribution_days`` days before it (last touch). An
order is attributed at most once, so attributed revenue never exceeds revenue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import UsageError
from ..orders import purchase_mask
from ..schema import header_key
from .matching import IDENTIFIERS, identity, match_customers

CAMPAIGN_DEFINITIONS = {
    "contacted": "distinct people contacted (contact rows) plus the `contacted` counts of campaign rows",
    "responders": "contacted people marked as responded (plus `responders` counts); without a responded "
                  "column: contacted people with an attributed order",
    "response_rate": "responders ÷ contacted",
    "attributed_orders": "orders carrying the campaign, or untagged orders of a contacted customer within "
                         "attribution_days after the contact (last touch wins); each order counted once",
    "attributed_revenue": "sum of the attributed orders' amounts, refunds netted",
    "cost": "sum of the campaign's cost cells",
    "roi": "ROI = (attributed_revenue − cost) ÷ cost; empty when cost is 0 or missing",
    "roas": "ROAS (投入产出比) = attributed_revenue ÷ cost; empty when cost is 0 or missing",
}

COLUMNS = ["campaign", "contacted", "responders", "response_rate", "attributed_orders", "attributed_revenue",
           "cost", "roi", "roas"]


@dataclass
class CampaignReport:
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def compute_campaigns(campaigns: pd.DataFrame, lines: pd.DataFrame, orders: pd.DataFrame, *,
                      attribution_days: int = 30) -> CampaignReport:
    """Per campaign: contacted, responders, response rate, attributed orders/revenue, cost, ROI, ROAS."""
    if "campaign" not in campaigns.columns:
        raise UsageError("the campaigns table has no campaign column", hint="map one with {opt:map} campaign=COLUMN")
    if attribution_days < 0:
        raise UsageError("{opt:attribution_days} must be 0 or more")
    notes: list[str] = []
    camp = campaigns.copy()
    camp["campaign"] = camp["campaign"].astype("str").str.strip()
    if (camp["campaign"] == "").any():
        notes.append(f"{int((camp['campaign'] == '').sum())} campaigns row(s) have no campaign name: ignored")
        camp = camp[camp["campaign"] != ""]
    names = list(dict.fromkeys(camp["campaign"]))
    key_of = {header_key(n): n for n in names}

    is_contact = pd.Series(False, index=camp.index)
    for f in IDENTIFIERS:
        if f in camp.columns:
            is_contact |= camp[f].astype("str").str.strip() != ""
    matched = match_customers(camp, lines)
    camp["_who"] = identity(camp, matched).where(is_contact, "")
    camp["_customer"] = matched.where(is_contact, "")
    date = pd.to_datetime(camp["date"]).dt.normalize() if "date" in camp.columns else pd.Series(
        pd.NaT, index=camp.index, dtype="datetime64[ns]")
    start = date.where(~is_contact).groupby(camp["campaign"]).min()
    camp["_date"] = date.where(date.notna(), camp["campaign"].map(start))

    # -- attribution
    o = orders[["order_id", "customer_id", "order_date", "amount"]].copy()
    o["_purchase"] = purchase_mask(orders)  # a credit note nets into attributed revenue but is no order
    o["_day"] = o["order_date"].dt.normalize()
    tag = orders["campaign"].astype("str").str.strip() if "campaign" in orders.columns else pd.Series(
        "", index=orders.index, dtype="str")
    o["_campaign"] = tag.map(lambda t: key_of.get(header_key(t), t) if t else "")
    tagged = o[o["_campaign"] != ""]
    touches = camp.loc[is_contact & (camp["_customer"] != ""), ["campaign", "_customer", "_date"]]
    undated = int(touches["_date"].isna().sum())
    if undated:
        notes.append(f"{undated} contact(s) have no date (nor a campaign start date): not used for attribution")
    touches = touches.dropna(subset=["_date"]).rename(columns={"_customer": "customer_id"})
    cand = o[o["_campaign"] == ""].merge(touches, on="customer_id")
    cand = cand[(cand["_day"] >= cand["_date"]) & (cand["_day"] <= cand["_date"] + pd.Timedelta(days=attribution_days))]
    cand = cand.sort_values(["_date"], kind="stable").drop_duplicates("order_id", keep="last")
    attributed = pd.concat([tagged.assign(campaign=tagged["_campaign"])[["order_id", "customer_id", "amount",
                                                                        "campaign", "_purchase"]],
                            cand[["order_id", "customer_id", "amount", "campaign", "_purchase"]]], ignore_index=True)
    extra = [n for n in dict.fromkeys(attributed["campaign"]) if n not in names]
    if extra:
        notes.append("orders carry campaign(s) missing from the campaigns file (no cost): " + ", ".join(extra[:10]))

    has_responded = "responded" in camp.columns and camp.loc[is_contact, "responded"].notna().any()
    rows = []
    for name in names + extra:
        c = camp[camp["campaign"] == name]
        contacts = c[is_contact.reindex(c.index, fill_value=False)]
        summary = c.drop(contacts.index)
        contacted = contacts["_who"].nunique() + _total(summary, "contacted")
        att = attributed[attributed["campaign"] == name]
        if has_responded:
            said_yes = contacts["responded"].fillna(False).astype(bool)
            responders = contacts.loc[said_yes, "_who"].nunique() + _total(summary, "responders")
        else:
            buyers = set(att.loc[att["_purchase"], "customer_id"])
            responders = contacts.loc[contacts["_customer"].isin(buyers), "_who"].nunique() + _total(summary,
                                                                                                   "responders")
        revenue = round(float(att["amount"].sum()), 2) + 0.0
        cost = _total(c, "cost") if "cost" in c.columns and c["cost"].notna().any() else float("nan")
        if not cost == cost:
            notes.append(f"campaign {name}: no cost given; ROI and ROAS left empty")
        elif cost == 0:
            notes.append(f"campaign {name}: cost is 0; ROI and ROAS are undefined and left empty")
        ok = cost == cost and cost > 0
        rows.append((name, float(contacted), float(responders), _ratio(responders, contacted), int(att["_purchase"].sum()),
                     revenue,
                     cost, (revenue - cost) / cost if ok else float("nan"), revenue / cost if ok else float("nan")))
        if cost == cost and cost < 0:
            notes.append(f"campaign {name}: negative cost {cost:g}; ROI and ROAS left empty")
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["attributed_orders"] = table["attributed_orders"].astype("int64")
    return CampaignReport(table, notes)


def _total(frame: pd.DataFrame, column: str) -> float:
    if column not in frame.columns:
        return 0.0
    return float(pd.to_numeric(frame[column], errors="coerce").fillna(0.0).sum())


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")
