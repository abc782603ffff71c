"""The report's Team sheet (销售团队): ``crm metrics --team``'s table, when the orders or the leads name owners."""

from __future__ import annotations

import pandas as pd

from ..config import Settings
from ..errors import UsageError
from ..formats import column_kind
from ..metrics import compute_team, prepare_leads, read_quotas
from .labels import Labeller
from .sheet import Sheet

#: The team table's columns -> label key (their kinds: the one format table, :mod:`crmcli.formats`).
TEAM_SHEET = {
    "owner": "owner", "revenue": "revenue", "orders": "orders", "customers": "customers_n",
    "new_customers": "new_customers", "aov": "aov", "leads": "team_leads", "converted_leads": "converted_leads",
    "conversion_rate": "lead_conversion", "avg_sales_cycle_days": "sales_cycle", "quota": "quota",
    "attainment": "attainment",
}


def team_sheet(t: Labeller, lines: pd.DataFrame, orders: pd.DataFrame, leads: pd.DataFrame | None,
               settings: Settings, as_of: pd.Timestamp) -> tuple[Sheet, pd.DataFrame] | None:
    """The Team sheet and its table, or None when neither the orders nor the leads name an owner."""
    typed = None
    if leads is not None:
        typed = prepare_leads(leads, overrides=settings.columns.get("leads"), region=settings.region,
                              dayfirst=settings.dayfirst)
    try:
        report = compute_team(lines, orders, as_of=as_of, churn_days=settings.churn_days, leads=typed,
                              quota=read_quotas(settings.team_quota), period=settings.team_period)
    except UsageError:
        if "owner" in lines.columns or (typed is not None and (typed["owner"] != "").any()):
            raise
        return None  # nobody is named as an owner: no Team sheet
    table = report.table
    df = table.rename(columns={c: t(TEAM_SHEET[c]) for c in table.columns if c in TEAM_SHEET})
    df[t("owner")] = df[t("owner")].replace({"(unassigned)": t("unassigned"), "Total": t("total")})
    kinds = {t(key): column_kind(c) for c, key in TEAM_SHEET.items() if c in table.columns}
    return Sheet(t("team"), df, kinds=kinds, total_row=True), table
