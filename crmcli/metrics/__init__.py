"""``crm metrics``: KPIs, per-period figures, cohorts, the lead funnel and campaign ROI.

:func:`compute_metrics` is the one call behind the command. The building blocks work on
typed frames (``prepare_orders(...).orders`` / ``.lines``) and can be used alone:
:func:`compute_kpis`, :func:`compute_periods`, :func:`compute_cohorts`,
:func:`compute_funnel`, :func:`compute_campaigns`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import UsageError
from ..normalize import normalize_table
from ..schema import find_column, header_key
from ..table import Table
from .campaigns import (CAMPAIGN_COUNTS, CAMPAIGN_DEFINITIONS, COST_TYPES, FLAG_RULES, CampaignReport,
                        compute_campaigns)
from .funnel import DEFAULT_STAGES, FUNNEL_DEFINITIONS, Funnel, compute_funnel
from .kpis import (KPI_DEFINITIONS, PERIOD_DEFINITIONS, check_period, compute_cohorts, compute_kpis,
                   compute_periods, resolve_as_of, window)
from .labels import label_zh
from .pipeline import DEFAULT_PROBABILITIES, PIPELINE_DEFINITIONS, Pipeline, compute_pipeline
from .team import TEAM_DEFINITIONS, TeamReport, compute_team, read_quotas

__all__ = [
    "CAMPAIGN_DEFINITIONS", "DEFAULT_STAGES", "FLAG_RULES", "FUNNEL_DEFINITIONS", "KPI_DEFINITIONS", "PERIOD_DEFINITIONS",
    "CampaignReport", "Funnel", "MetricsReport", "compute_campaigns", "compute_cohorts", "compute_funnel",
    "compute_kpis", "compute_metrics", "compute_periods", "prepare_campaigns", "prepare_leads",
    "DEFAULT_PROBABILITIES", "PIPELINE_DEFINITIONS", "Pipeline", "compute_pipeline", "TEAM_DEFINITIONS",
    "TeamReport", "compute_team", "read_quotas", "group_labels", "orders_by_group",
]

Source = "str | os.PathLike[str] | pd.DataFrame"

#: metric -> definition of the funnel's KPI rows (their labels: :data:`crmcli.metrics.labels.METRICS`).
FUNNEL_KPIS = {
    "leads": "rows of the leads table",
    "converted_leads": FUNNEL_DEFINITIONS["customer"],
    "lead_conversion_rate": "overall lead→customer conversion = converted_leads ÷ leads",
    "avg_sales_cycle_days": "mean days from lead date to first order on or after it, over converted leads with a "
                            "lead date",
}

GROUP_COLUMNS = ["customers", "orders", "revenue", "aov", "revenue_per_customer", "orders_per_customer",
                 "repurchase_rate", "new_customers", "returning_customers", "churn_rate", "refund_amount"]


@dataclass
class MetricsReport:
    """What ``crm metrics`` computes. ``tables()`` lists the tables in output order."""

    as_of: pd.Timestamp
    kpis: pd.DataFrame
    periods: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None
    cohorts: pd.DataFrame | None = None
    funnel: Funnel | None = None
    campaigns: CampaignReport | None = None
    team: TeamReport | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"kpis": self.kpis}
        if self.periods is not None:
            out["periods"] = self.periods
        if self.groups is not None:
            out["groups"] = self.groups
        if self.funnel is not None:
            out["funnel"] = self.funnel.table
        if self.campaigns is not None:
            out["campaigns"] = self.campaigns.table
        if self.team is not None:
            out["team"] = self.team.table
        return out


def compute_metrics(orders, *, as_of: object = None, churn_days: int = 90, by: str | None = None,
                    group: str | None = None, cohorts: bool = False, leads=None,
                    stages: Sequence[str] | None = None, campaigns=None, attribution_days: int = 30,
                    overrides: Mapping[str, str] | None = None, customer: str | None = None,
                    region: str = "CN", dayfirst: bool | None = None, read: object = None,
                    lead_overrides: Mapping[str, str] | None = None,
                    campaign_overrides: Mapping[str, str] | None = None,
                    statuses: Mapping[str, str] | None = None, team: bool = False, quota: object = None,
                    team_period: str = "all", engine: str | None = None,
                    engine_options: Mapping[str, Any] | None = None) -> MetricsReport:
    """Everything ``crm metrics`` reports, in one call.

    ``orders``, ``leads`` and ``campaigns`` are tables (DataFrames as ``read_table`` gives
    them) or paths/``"-"`` to read (``read``, a :class:`~crmcli.options.ReadOptions`, applies to the orders
    file; ``overrides`` / ``lead_overrides`` / ``campaign_overrides`` map each input's columns). Orders are
    prepared by ``crmcli.orders.prepare_orders`` (invalid rows and unpaid/cancelled/refunded orders left out
    and counted in ``dropped``; ``statuses`` = crm.toml's ``[orders] status``).

    ``group`` splits the KPIs by a field or column of the orders and, with ``leads``, the funnel by a
    column of the leads (``owner``, ``source``); at least one of them must have it. ``team`` adds the
    sales-team table (:mod:`crmcli.metrics.team`: owners from the orders' owner column, else from the
    leads), with ``quota`` (a number, ``{owner: number}`` or a quota file) over ``team_period``.

    ``engine`` (``pandas`` default, ``duckdb``, ``spark``, ``auto``): the KPIs, periods and cohorts computed
    there (:mod:`crmcli.engines`); groups, leads, campaigns and the team table are computed on pandas.
    """
    from ..engines import ENGINE_BIG_BYTES, analytics_engine

    options = dict(engine_options or {})
    where = analytics_engine(engine, orders, big=options.pop("big", ENGINE_BIG_BYTES),
                             supported=not (group or team or leads is not None or campaigns is not None),
                             what="{opt:group} / {opt:leads} / {opt:campaigns} / {opt:team}")
    if where != "pandas":
        from ..engines.analytics import metrics_with_engine

        return metrics_with_engine(orders, engine=where, options=options, read=read, overrides=overrides,
                                   customer=customer, region=region, dayfirst=dayfirst, statuses=statuses,
                                   as_of=as_of, churn_days=churn_days, by=by, cohorts=cohorts)
    from ..orders import prepare_orders

    check_period(by)
    table = normalize_table(orders, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
    if customer:
        table = table.remap({"customer_id": customer})
    prepared = prepare_orders(table, statuses=statuses)
    notes = list(prepared.notes)
    as_of_ts = resolve_as_of(prepared.orders, as_of)
    o = window(prepared.orders, as_of_ts)
    lines = window(prepared.lines, as_of_ts)
    later = len(prepared.orders) - len(o)
    if later:
        notes.append(f"{later} order(s) dated after as_of {as_of_ts.date()} left out")
    if o.empty:
        raise UsageError(f"no orders on or before {as_of_ts.date()}", hint="check {opt:as_of} and the date column")

    kpis = compute_kpis(o, as_of=as_of_ts, churn_days=churn_days, lines=lines)
    report = MetricsReport(as_of=as_of_ts, kpis=kpis, dropped=dict(prepared.dropped), notes=notes)
    lead_table, typed_leads, lead_group = None, None, None
    if leads is not None:
        lead_table = normalize_table(leads, overrides=lead_overrides, region=region, dayfirst=dayfirst)
        typed_leads = prepare_leads(lead_table)
        found = find_column(group, lead_table.frame.columns, lead_table.mapping) if group else None
        if found is not None:
            typed_leads[group] = _text(lead_table, found[0], "text")
            lead_group = group
    labels = None
    if group:
        try:
            labels = group_labels(table, lines, group)
        except UsageError:
            if lead_group is None:
                raise
            notes.append(f"--group {group}: the orders have no such column; the funnel is split by it")
    if labels is not None:
        if by:
            parts = []
            for g, sub in orders_by_group(lines, labels):
                p = compute_periods(sub, by=by, as_of=as_of_ts)
                p.insert(0, "group", g)
                parts.append(p)
            report.periods = pd.concat(parts, ignore_index=True) if parts else None
            if report.periods is not None:
                report.periods = report.periods.rename(columns={"group": group})
        else:
            rows = []
            for g, sub in orders_by_group(lines, labels):
                k = compute_kpis(sub, as_of=as_of_ts, churn_days=churn_days,
                                 lines=lines[labels.reindex(lines.index) == g])
                rows.append([g, *k.set_index("metric").loc[GROUP_COLUMNS, "value"].tolist()])
            report.groups = pd.DataFrame(rows, columns=[group, *GROUP_COLUMNS])
    elif by:
        report.periods = compute_periods(o, by=by, as_of=as_of_ts)
    if cohorts:
        report.cohorts = compute_cohorts(o, as_of=as_of_ts)
    if typed_leads is not None:
        report.funnel = compute_funnel(typed_leads, lines, o, stages=list(stages) if stages else None,
                                       group=lead_group)
        report.notes += [f"leads: {n}" for n in report.funnel.notes]
        f = report.funnel
        extra = {"leads": f.leads, "converted_leads": f.converted, "lead_conversion_rate": f.conversion_rate,
                 "avg_sales_cycle_days": f.avg_sales_cycle_days}
        add = pd.DataFrame([(m, float(v), label_zh(m), FUNNEL_KPIS[m]) for m, v in extra.items()],
                           columns=kpis.columns)
        report.kpis = pd.concat([report.kpis, add], ignore_index=True)
    if campaigns is not None:
        typed = prepare_campaigns(campaigns, overrides=campaign_overrides, region=region, dayfirst=dayfirst)
        report.campaigns = compute_campaigns(typed, lines, o, attribution_days=attribution_days)
        report.notes += [f"campaigns: {n}" for n in report.campaigns.notes]
    if team:
        report.team = compute_team(lines, o, as_of=as_of_ts, churn_days=churn_days, leads=typed_leads,
                                   quota=read_quotas(quota), period=team_period)
        report.notes += report.team.notes
    return report


# ----------------------------------------------------------------- groups


def group_labels(table: Table, lines: pd.DataFrame, group: str) -> pd.Series:
    """The group value of each order line: a canonical field of ``lines`` or a column of the table."""
    raw = table.frame
    if group in lines.columns and group not in ("order_date", "amount"):
        values = lines[group]
    else:
        mapping = table.mapping
        headers = [h for h in raw.columns if h == group or header_key(h) == header_key(group)]
        fields = [mapping.get(h) for h in headers]
        if fields and fields[0] in lines.columns:
            values = lines[fields[0]]
        elif headers:
            values = raw.loc[lines.index, headers[0]]
        else:
            raise UsageError(f"{{opt:group}} {group!r}: no such field or column",
                             hint="columns: " + ", ".join(map(str, raw.columns[:20])))
    values = values.astype("str").str.strip()
    return values.where(values != "", "(blank)")


def orders_by_group(lines: pd.DataFrame, labels: pd.Series):
    """(group value, that group's orders) pairs: each group's lines regrouped into orders."""
    from ..orders import group_orders

    has_ids = bool((lines["order_id"] != "").any())
    for g in sorted(labels.unique()):
        yield g, group_orders(lines[labels == g], has_order_id=has_ids)


# ----------------------------------------------------------------- typing the leads and campaigns tables

_DATE_HEADERS = ("date", "contact date", "contacted at", "contacted on", "send date", "sent at", "sent",
                 "start date", "campaign date", "touch date", "触达日期", "触达时间", "发送日期", "发送时间",
                 "联系日期", "联系时间", "活动日期", "开始日期", "活动开始", "推送日期", "推送时间")
_RESPONDED_HEADERS = ("responded", "response", "replied", "clicked", "converted flag", "是否响应", "响应",
                      "已响应", "是否回复", "回复", "是否点击")
_PARTICIPATED_HEADERS = ("participated", "joined", "attended", "signed up", "是否参与", "参与", "已参与", "是否参加",
                         "参加", "是否报名", "报名")
_CONTACTED_HEADERS = ("contacted", "contacts", "reach", "reached", "sent count", "audience", "触达人数",
                      "触达", "发送人数", "发送量", "联系人数", "覆盖人数")
_RESPONDERS_HEADERS = ("responders", "responses", "response count", "响应人数", "回复人数")
_TRUE = {"1", "y", "yes", "true", "t", "是", "已响应", "响应", "有", "√", "✓", "x", "已回复", "已参与", "已点击"}
_FALSE = {"0", "n", "no", "false", "f", "否", "未响应", "无", "未回复", "未参与", "未点击", "×"}


def _find(columns, names) -> str | None:
    keys = {header_key(n) for n in names}
    return next((c for c in columns if header_key(c) in keys), None)


def _normalized(table: Table, header: str, kind: str):
    """A column's normalized values as ``kind``: the table's own when it normalized the column as that
    kind, else normalized now (a column the mapping gave no field, or another one)."""
    from ..fields import kind_of, normalize_field

    if header in table.normalized and kind_of(table.mapping[header]) == kind:
        return table.normalized[header]
    return normalize_field(table.frame[header], kind, region=table.region, dayfirst=table.dayfirst)


def _text(table: Table, header: str | None, kind: str) -> pd.Series:
    if header is None:
        return pd.Series("", index=table.frame.index, dtype="str")
    # invalid phones/emails stay verbatim: the row still names someone, it just matches no customer
    return _normalized(table, header, kind).values.astype("str")


def _dates(table: Table, header: str | None) -> pd.Series:
    if header is None:
        return pd.Series(pd.NaT, index=table.frame.index, dtype="datetime64[ns]")
    return _normalized(table, header, "date").parsed


def prepare_leads(leads: Any, *, overrides: Mapping[str, str] | None = None, region: str = "CN",
                  dayfirst: bool | None = None) -> pd.DataFrame:
    """Type a leads table (a :class:`~crmcli.table.Table`, a frame or a source; ``overrides``, ``region``
    and ``dayfirst`` apply when it is not a Table yet): ``lead_id, stage, lead_date, customer_id, phone,
    email, name, company, owner, channel`` (the lead source), and for an opportunities table ``amount``,
    ``probability`` (text as written: ``60%``, ``0.6``) and ``close_date`` (the expected close)."""
    table = normalize_table(leads, overrides=overrides, region=region, dayfirst=dayfirst)
    raw, mapping = table.frame, table.mapping
    by_field = {f: h for h, f in mapping.items()}
    stage = by_field.get("stage") or by_field.get("status")
    if stage is None:
        raise UsageError("the leads table has no stage/status column", hint="name it 阶段, stage or status")
    date_head = by_field.get("lead_date") or by_field.get("created_at") or by_field.get("order_date")
    out = pd.DataFrame(index=raw.index)
    out["lead_id"] = _text(table, by_field.get("lead_id"), "id")
    out["stage"] = _text(table, stage, "text")
    out["lead_date"] = _dates(table, date_head)
    out["customer_id"] = _text(table, by_field.get("customer_id"), "id")
    out["phone"] = _text(table, by_field.get("phone"), "phone")
    out["email"] = _text(table, by_field.get("email"), "email")
    for fname in ("name", "company", "owner", "channel", "probability"):
        out[fname] = _text(table, by_field.get(fname), "text")
    out["close_date"] = _dates(table, by_field.get("close_date"))
    if "amount" in by_field:
        out["amount"] = _normalized(table, by_field["amount"], "amount").parsed.astype("float64")
    return out


def prepare_campaigns(campaigns: Any, *, overrides: Mapping[str, str] | None = None, region: str = "CN",
                      dayfirst: bool | None = None) -> pd.DataFrame:
    """Type a campaigns table (a :class:`~crmcli.table.Table`, a frame or a source): ``campaign,
    customer_id, phone, email, date``, then when the table has them ``responded``, ``participated``
    (flags), ``cost``, ``contacted``, ``responders``, ``impressions``, ``clicks``, ``participants``,
    ``buyers`` (counts), ``revenue`` (a reported 成交金额/销售额/GMV) and ``cost_ads, cost_staff,
    cost_material, cost_other`` (see :mod:`crmcli.metrics.campaigns` for the layout)."""
    table = normalize_table(campaigns, overrides=overrides, region=region, dayfirst=dayfirst)
    raw, mapping = table.frame, table.mapping
    by_field = {f: h for h, f in mapping.items()}
    camp = by_field.get("campaign")
    if camp is None:
        raise UsageError("the campaigns table has no campaign column", hint="name it 活动, campaign or promotion")
    cols = list(raw.columns)
    date_head = _find(cols, _DATE_HEADERS) or by_field.get("order_date") or by_field.get("lead_date") \
        or by_field.get("created_at")
    out = pd.DataFrame(index=raw.index)
    out["campaign"] = _text(table, camp, "text")
    out["customer_id"] = _text(table, by_field.get("customer_id"), "id")
    out["phone"] = _text(table, by_field.get("phone"), "phone")
    out["email"] = _text(table, by_field.get("email"), "email")
    out["date"] = _dates(table, date_head)
    for name, headers in (("responded", _RESPONDED_HEADERS), ("participated", _PARTICIPATED_HEADERS)):
        head = _find(cols, headers)
        if head is not None:
            flag = raw[head].astype("str").str.strip().str.casefold()
            out[name] = pd.array([True if v in _TRUE else False if v in _FALSE else pd.NA for v in flag],
                                 dtype="boolean")
    heads = [("cost", by_field.get("cost")), ("contacted", _find(cols, _CONTACTED_HEADERS)),
             ("responders", _find(cols, _RESPONDERS_HEADERS))]
    heads += [(name, by_field.get(name)) for name in (*CAMPAIGN_COUNTS, *COST_TYPES)]
    heads.append(("revenue", by_field.get("amount")))  # revenue a campaign row reports (成交金额, 销售额, GMV)
    for name, head in heads:
        if head is not None:
            out[name] = _normalized(table, head, "amount").parsed
    return out
