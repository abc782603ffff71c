"""The lead conversion funnel and the average sales cycle.

``leads`` is a typed frame: ``stage`` (text), optionally ``lead_id``, ``lead_date``
(datetime64), ``customer_id``, ``phone``, ``email`` (normalized text, "" when empty).
A lead's stage is the furthest stage it has reached; counts are cumulative (a lead at
"proposal" also reached "contacted"), and a lead that became a customer reached every
stage. Lost/closed stages sit outside the ladder: such a
lead counts as a lead (it reached the first stage) and no further.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import UsageError
from ..orders import purchase_mask
from ..schema import header_key
from .matching import match_customers

#: The natural stage order, each stage with the spellings it is recognized by (en + zh).
DEFAULT_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("new", ("new", "lead", "open", "new lead", "raw", "prospecting", "prospect", "新线索", "线索", "新建", "新",
             "待跟进", "未跟进", "待分配", "初步接洽")),
    ("contacted", ("contacted", "attempted", "attempted to contact", "working", "in progress", "已联系",
                   "已触达", "跟进中", "初步沟通", "沟通中", "已沟通")),
    ("qualified", ("qualified", "qualification", "needs analysis", "interested", "mql", "sql", "opportunity",
                   "value proposition", "意向", "有意向", "意向客户", "已确认需求", "需求确认", "需求分析", "商机")),
    ("proposal", ("proposal", "quote", "quoted", "negotiation", "negotiating", "proposal sent", "proposal/price quote",
                  "negotiation/review", "报价", "已报价", "方案", "方案报价", "谈判", "商务谈判", "议价", "合同审批")),
    ("won", ("won", "closed won", "closedwon", "customer", "converted", "deal", "signed", "成交", "已成交",
             "赢单", "签约", "已签约", "转化", "已转化")),
)
LOST_STAGES: tuple[str, ...] = ("lost", "closed lost", "closedlost", "dead", "disqualified", "unqualified",
                                "invalid", "junk", "lost deal", "流失", "已流失", "丢单", "输单", "无效",
                                "无效线索", "已关闭", "关闭", "放弃")

CUSTOMER_ROW = "customer"

FUNNEL_DEFINITIONS = {
    "leads": "leads whose stage is this stage now",
    "reached": "leads at this stage or a later one (lost leads count in the first stage only; a lead that "
               "became a customer counts as reaching every stage)",
    "reached_rate": "reached ÷ all leads",
    "next_stage_rate": "stage k→k+1 conversion = reached at the next stage ÷ reached at this one",
    CUSTOMER_ROW: "leads matched to a customer (by customer id, else phone, else email) "
                  "with an order on or after the lead date",
}


@dataclass
class Funnel:
    table: pd.DataFrame
    leads: int
    converted: int
    conversion_rate: float
    avg_sales_cycle_days: float
    notes: list[str] = field(default_factory=list)


def _ladder(values: pd.Series, stages: list[str] | None) -> tuple[list[str], dict[str, int], set[str]]:
    """The stage labels in order, each raw value's position (-1 = lost), and the lost labels."""
    raw = values[values != ""]
    by_key: dict[str, str] = {}
    for v in raw.value_counts().index:  # the most common spelling names a stage
        by_key.setdefault(header_key(v), v)
    lost_keys = {header_key(s) for s in LOST_STAGES}
    position: dict[str, int] = {}
    labels: list[str] = []
    if stages:
        for i, s in enumerate(stages):
            labels.append(str(s))
            position[header_key(s)] = i
    else:
        for name, syns in DEFAULT_STAGES:
            keys = {header_key(name), *(header_key(s) for s in syns)}
            present = [k for k in keys if k in by_key]
            if present:
                for k in keys:
                    position[k] = len(labels)
                labels.append(by_key[present[0]])
    unknown = sorted({v for k, v in by_key.items() if k not in position and k not in lost_keys})
    if unknown:
        raise UsageError("unknown lead stage(s): " + ", ".join(unknown[:10]),
                         hint="give the stage order, e.g. {opt:stages} 'new,contacted,qualified,won'")
    positions = {k: position.get(k, -1) for k in by_key}
    lost_labels = {by_key[k] for k in by_key if positions[k] == -1}
    return labels, positions, lost_labels


def stage_class(text: str) -> str | None:
    """The natural stage a stage text names (``new contacted qualified proposal won``), ``lost`` for a
    lost/closed stage, None when it is not recognized (``报价`` -> ``proposal``, ``Closed Won`` -> ``won``)."""
    key = header_key(text)
    for name, syns in DEFAULT_STAGES:
        if key in {header_key(name), *(header_key(s) for s in syns)}:
            return name
    return "lost" if key in {header_key(s) for s in LOST_STAGES} else None


def convert_leads(leads: pd.DataFrame, lines: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Per lead (same index): ``customer_id`` it matches ("" for none), ``converted`` (a purchase on or
    after the lead date), ``first_order`` (the first such purchase) and ``cycle_days`` (lead date to
    it; NaN without a lead date)."""
    matched = match_customers(leads, lines)
    lead_date = leads["lead_date"] if "lead_date" in leads.columns else pd.Series(pd.NaT, index=leads.index)
    lead_day = pd.to_datetime(lead_date).dt.normalize()
    od = orders.loc[purchase_mask(orders), ["customer_id", "order_date"]].copy()  # credit notes are no purchase
    od["order_date"] = od["order_date"].dt.normalize()
    pairs = pd.DataFrame({"lead": leads.index, "customer_id": matched.to_numpy(), "lead_day": lead_day.to_numpy()})
    pairs = pairs[pairs["customer_id"] != ""].merge(od, on="customer_id")
    pairs = pairs[pairs["lead_day"].isna() | (pairs["order_date"] >= pairs["lead_day"])]
    first = pairs.groupby("lead")["order_date"].min()
    out = pd.DataFrame({"customer_id": matched}, index=leads.index)
    out["first_order"] = first.reindex(leads.index)
    out["converted"] = out["first_order"].notna()
    out["cycle_days"] = (out["first_order"] - lead_day).dt.days.astype("float64")
    return out


def compute_funnel(leads: pd.DataFrame, lines: pd.DataFrame, orders: pd.DataFrame, *,
                   stages: list[str] | None = None, group: str | None = None) -> Funnel:
    """Count per stage, stage→next rates, lead→customer conversion and the average sales cycle.

    ``orders``/``lines`` are the typed orders and order lines (used to match leads and to
    find each converted lead's first order on or after its lead date). ``group`` names a column of
    ``leads`` (an owner, a source): the table then holds one funnel per group value (first column
    the group), every group on the same stage ladder; the headline figures stay overall.
    """
    if "stage" not in leads.columns:
        raise UsageError("the leads table has no stage/status column", hint="map one with {opt:map} stage=COLUMN")
    notes: list[str] = []
    stage = leads["stage"].astype("str").str.strip()
    labels, positions, lost = _ladder(stage, stages)
    pos = stage.map(lambda v: positions.get(header_key(v), -2) if v else -2)
    total = len(leads)
    if (pos == -2).any():
        notes.append(f"{int((pos == -2).sum())} lead(s) have no stage; counted as leads at the first stage")
    conv = convert_leads(leads, lines, orders)
    converted = int(conv["converted"].sum())
    cycles = conv["cycle_days"].dropna()
    cycle = float(cycles.mean()) if len(cycles) else float("nan")
    before = int(((conv["customer_id"] != "").sum()) - converted)
    if before:
        notes.append(f"{before} lead(s) match a customer whose orders all precede the lead date: not converted")
    if converted and len(cycles) < converted:
        notes.append(f"{converted - len(cycles)} converted lead(s) have no lead date: left out of the sales cycle")
    # a lead that became a customer went through every stage, whatever the table still says
    bought = conv["converted"]
    behind = int((bought & (pos < len(labels) - 1)).sum())
    if behind and labels:
        notes.append(f"{behind} converted lead(s) show an earlier stage; counted as reaching every stage")
    if group is None:
        table = _funnel_rows(stage, pos, bought, labels, lost)
    else:
        keys = leads[group].astype("str").str.strip().replace("", "(blank)")
        parts = []
        for g in sorted(keys.unique()):
            inside = (keys == g).to_numpy()
            part = _funnel_rows(stage[inside], pos[inside], bought[inside], labels, lost)
            part.insert(0, group, g)
            parts.append(part)
        table = pd.concat(parts, ignore_index=True)
    return Funnel(table, total, converted, _ratio(converted, total), cycle, notes)


def _funnel_rows(stage: pd.Series, pos: pd.Series, bought: pd.Series, labels: list[str], lost: set[str]
                 ) -> pd.DataFrame:
    """The funnel table of these leads: one row per stage, the customer row, the lost stages."""
    total = len(stage)
    converted = int(bought.sum())
    counts = [int((pos == i).sum()) for i in range(len(labels))]
    reach = pos.where(~bought, len(labels) - 1)
    reached = [int((reach >= i).sum()) for i in range(len(labels))]
    if reached:
        reached[0] = total  # every lead reached the first stage, lost or not
    rows = []
    for i, label in enumerate(labels):
        nxt = reached[i + 1] if i + 1 < len(labels) else converted
        rows.append((label, counts[i], reached[i], _ratio(reached[i], total), _ratio(nxt, reached[i])))
    rows.append((CUSTOMER_ROW, float("nan"), converted, _ratio(converted, total), float("nan")))
    for label in sorted(lost):
        n = int(stage.map(lambda v, lab=label: header_key(v) == header_key(lab)).sum())
        rows.append((label, n, float("nan"), float("nan"), float("nan")))
    table = pd.DataFrame(rows, columns=["stage", "leads", "reached", "reached_rate", "next_stage_rate"])
    table["leads"] = table["leads"].astype("float64")
    table["reached"] = table["reached"].astype("float64")
    return table


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")
