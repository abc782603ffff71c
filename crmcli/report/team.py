"""The report's Team sheet (销售团队): ``crm metrics --team``'s table, when the orders or the leads name owners."""

from __future__ import annotations

import pandas as pd

from ..config import Settings
from ..errors import UsageError
from ..metrics import compute_team, prepare_leads, read_quotas
from .labels import Labeller
from .workbook import Sheet

#: The team table's columns -> (label key, kind).
TEAM_SHEET = {
    "owner": ("owner", "text"), "revenue": ("revenue", "money"), "orders": ("orders", "int"),
    "customers": ("customers_n", "int"), "new_customers": ("new_customers", "int"), "aov": ("aov", "money"),
    "leads": ("team_leads", "int"), "converted_leads": ("converted_leads", "int"),
    "conversion_rate": ("lead_conversion", "percent"), "avg_sales_cycle_days": ("sales_cycle", "days"),
    "quota": ("quota", "money"), "attainment": ("attainment", "percent"),
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
    df = table.rename(columns={c: t(TEAM_SHEET[c][0]) for c in table.columns if c in TEAM_SHEET})
    df[t("owner")] = df[t("owner")].replace({"(unassigned)": t("unassigned"), "Total": t("total")})
    kinds = {t(key): kind for c, (key, kind) in TEAM_SHEET.items() if c in table.columns}
    return Sheet(t("team"), df, kinds=kinds, total_row=True), table
