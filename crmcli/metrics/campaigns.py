"""Campaign response, attribution, ROI and ROAS.

``campaigns`` is a typed frame, one row per contact or per campaign:

- ``campaign`` (text, required);
- a contact row names a person by ``customer_id``, ``phone`` and/or ``email``, with
  ``date`` (datetime64, when contacted) and optionally ``responded`` (bool, NA = unknown);
- a campaign row names no person and may carry ``contacted``/``responders`` counts and a
  ``date`` (the campaign start, used for its contacts that have no date);
- ``cost`` (float) on any row; a campaign's cost is the sum over its rows. With cost types
  (``cost_ads``, ``cost_staff``, ``cost_material``, ``cost_other``: 广告费, 人力, 物料, 其他) each
  type is summed too; a row's cost is its ``cost`` cell (a total), else the sum of its types;
- marketers' counts on a campaign row: ``impressions`` (曝光/展示量), ``clicks`` (点击),
  ``participants`` (参与人数), ``buyers`` (成交人数), and ``revenue`` the platform reported (成交金额,
  销售额, GMV), added to the attributed revenue; contact rows may carry ``participated``.

Rates, each with its own denominator, never mixed: ``ctr`` = clicks ÷ impressions;
``response_rate`` = responders ÷ contacted (a responded flag or responders counts; empty without
either); ``conversion_rate`` (转化率) = buyers ÷ participants, where the participants are the contact
rows marked participated (every contact row when the file has no participated column) plus the
participants counts, and the buyers are those participants with an attributed purchase plus the
buyers counts. ROI = (attributed_revenue − cost) ÷ cost; ROAS (投入产出比) = attributed_revenue ÷
cost, also written ``1:N`` (``roas_text``). ``flag`` applies :data:`FLAG_RULES`.

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
    "impressions": "sum of the impressions (曝光/展示量) counts",
    "clicks": "sum of the clicks (点击) counts",
    "ctr": "click-through rate (点击率) = clicks ÷ impressions",
    "contacted": "distinct people contacted (contact rows) plus the `contacted` counts of campaign rows",
    "responders": "contacted people marked as responded, plus `responders` counts; empty when the file has "
                  "neither",
    "response_rate": "responders ÷ contacted",
    "participants": "contact rows marked participated (every contact row when there is no participated column) "
                    "plus the participants (参与人数) counts of campaign rows",
    "buyers": "participants with an attributed purchase, plus the buyers (成交人数) counts of campaign rows",
    "conversion_rate": "转化率 = buyers ÷ participants",
    "attributed_orders": "orders carrying the campaign, or untagged orders of a contacted customer within "
                         "attribution_days after the contact (last touch wins); each order counted once",
    "attributed_revenue": "sum of the attributed orders' amounts, refunds netted, plus the revenue campaign rows "
                          "report (成交金额, 销售额, GMV: sales the orders file does not hold)",
    "cost_ads": "sum of the advertising cost cells (广告费)",
    "cost_staff": "sum of the staff cost cells (人力)",
    "cost_material": "sum of the material cost cells (物料)",
    "cost_other": "sum of the other cost cells (其他)",
    "cost": "sum of the campaign's cost: each row's cost cell (a total), else the sum of its cost types",
    "roi": "ROI = (attributed_revenue − cost) ÷ cost; empty when cost is 0 or missing",
    "roas": "ROAS (投入产出比) = attributed_revenue ÷ cost; empty when cost is 0 or missing",
    "roas_text": "ROAS as the 1:N a marketer writes (投入产出比 1:4 = revenue four times the cost)",
    "flag": "the FLAG_RULES that apply, joined by '; '",
}

#: The ``flag`` column's rules: (flag, rule), checked in this order. The overall rates are the
#: campaigns' totals (Σ buyers ÷ Σ participants, Σ clicks ÷ Σ impressions).
FLAG_RULES: tuple[tuple[str, str], ...] = (
    ("high reach, low conversion", "participants at or above the median of the campaigns' participants and a "
                                   "conversion_rate below half the overall conversion rate"),
    ("low CTR", "a ctr below half the overall click-through rate"),
    ("ROAS < 1", "attributed revenue below the cost (it did not pay for itself)"),
)

#: Counts a campaign row may carry, and the cost types (canonical fields, see crmcli.schema).
CAMPAIGN_COUNTS = ("impressions", "clicks", "participants", "buyers")
COST_TYPES = ("cost_ads", "cost_staff", "cost_material", "cost_other")
COLUMNS = ["campaign", "impressions", "clicks", "ctr", "contacted", "responders", "response_rate", "participants",
           "buyers", "conversion_rate", "attributed_orders", "attributed_revenue", *COST_TYPES, "cost", "roi", "roas",
           "roas_text", "flag"]


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
    has_responders = "responders" in camp.columns and camp.loc[~is_contact, "responders"].notna().any()
    if not has_responded and not has_responders:
        notes.append("no responded column and no responders counts: responders and response_rate left empty "
                     "(buyers and conversion_rate count the purchases)")
    has_participated = "participated" in camp.columns and camp.loc[is_contact, "participated"].notna().any()
    camp["_cost"] = _row_costs(camp, notes)
    rows = []
    for name in names + extra:
        c = camp[camp["campaign"] == name]
        contacts = c[is_contact.reindex(c.index, fill_value=False)]
        summary = c.drop(contacts.index)
        contacted = contacts["_who"].nunique() + _total(summary, "contacted")
        att = attributed[attributed["campaign"] == name]
        responders = float("nan")
        if has_responded or has_responders:
            said_yes = contacts["responded"].fillna(False).astype(bool) if has_responded else \
                pd.Series(False, index=contacts.index)
            responders = contacts.loc[said_yes, "_who"].nunique() + _total(summary, "responders")
        joined = contacts[contacts["participated"].fillna(False).astype(bool)] if has_participated else contacts
        buyer_ids = set(att.loc[att["_purchase"], "customer_id"])
        participants = joined["_who"].nunique() + _total(summary, "participants")
        buyers = joined.loc[joined["_customer"].isin(buyer_ids), "_who"].nunique() + _total(summary, "buyers")
        revenue = round(float(att["amount"].sum()) + _total(summary, "revenue"), 2) + 0.0
        cost = _total(c, "_cost") if c["_cost"].notna().any() else float("nan")
        if not cost == cost:
            notes.append(f"campaign {name}: no cost given; ROI and ROAS left empty")
        elif cost == 0:
            notes.append(f"campaign {name}: cost is 0; ROI and ROAS are undefined and left empty")
        elif cost < 0:
            notes.append(f"campaign {name}: negative cost {cost:g}; ROI and ROAS left empty")
        ok = cost == cost and cost > 0
        roas = revenue / cost if ok else float("nan")
        impressions, clicks = _total(c, "impressions"), _total(c, "clicks")
        rows.append({
            "campaign": name, "impressions": impressions, "clicks": clicks, "ctr": _ratio(clicks, impressions),
            "contacted": float(contacted), "responders": float(responders),
            "response_rate": _ratio(responders, contacted) if responders == responders else float("nan"),
            "participants": float(participants), "buyers": float(buyers),
            "conversion_rate": _ratio(buyers, participants), "attributed_orders": int(att["_purchase"].sum()),
            "attributed_revenue": revenue, **{t: _total(c, t) for t in COST_TYPES}, "cost": cost,
            "roi": (revenue - cost) / cost if ok else float("nan"), "roas": roas, "roas_text": roas_text(roas)})
    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    table["attributed_orders"] = table["attributed_orders"].astype("int64")
    table["flag"] = flag_campaigns(table)
    drop = [t for t in COST_TYPES if t not in camp.columns]
    if "impressions" not in camp.columns and "clicks" not in camp.columns:
        drop += ["impressions", "clicks", "ctr"]
    return CampaignReport(table.drop(columns=drop), notes)


def roas_text(roas: float) -> str:
    """ROAS as marketers write it: ``1:4`` (4.0), ``1:0.98`` (0.97825); "" when there is none."""
    if roas != roas:
        return ""
    return "1:" + f"{roas:.2f}".rstrip("0").rstrip(".")


def flag_campaigns(table: pd.DataFrame) -> pd.Series:
    """The :data:`FLAG_RULES` that apply to each campaign, joined by ``"; "`` ("" for none)."""
    with_reach = table.loc[table["participants"] > 0, "participants"]
    median = float(with_reach.median()) if len(with_reach) else float("nan")
    overall = _ratio(float(table["buyers"].sum()), float(with_reach.sum()))
    ctr_all = _ratio(float(table["clicks"].sum()), float(table["impressions"].sum()))
    hits = pd.DataFrame({
        FLAG_RULES[0][0]: (table["participants"] >= median) & (table["conversion_rate"] < overall / 2),
        FLAG_RULES[1][0]: table["ctr"] < ctr_all / 2,
        FLAG_RULES[2][0]: table["roas"] < 1,
    }).fillna(False)
    return pd.Series(["; ".join(f for f in hits.columns if row[f]) for _, row in hits.iterrows()],
                     index=table.index, dtype="str")


def _row_costs(camp: pd.DataFrame, notes: list[str]) -> pd.Series:
    """Each row's cost: its cost cell (a total), else the sum of its cost-type cells (NaN: none given)."""
    types = [t for t in COST_TYPES if t in camp.columns]
    total = camp["cost"] if "cost" in camp.columns else pd.Series(float("nan"), index=camp.index)
    if not types:
        return total
    parts = camp[types]
    by_type = parts.sum(axis=1, min_count=1)
    both = total.notna() & by_type.notna() & ((total - by_type).abs() > 0.005)
    if both.any():
        notes.append(f"{int(both.sum())} campaigns row(s) have a cost that differs from the sum of their cost types: "
                     f"the cost column is used (rows {', '.join(map(str, list(camp.index[both])[:5]))})")
    return total.where(total.notna(), by_type)


def _total(frame: pd.DataFrame, column: str) -> float:
    if column not in frame.columns:
        return 0.0
    return round(float(pd.to_numeric(frame[column], errors="coerce").fillna(0.0).sum()), 2) + 0.0


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")
