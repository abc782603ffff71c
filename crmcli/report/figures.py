"""The figures the report's sheets are made of, from the prepared orders in memory (:class:`InMemory`, the
pandas engine) or on DuckDB/Spark (:class:`crmcli.report.on_engine.OnEngine`): the same small tables either
way (the KPI table, the period KPIs, sales by month × channel, products, the forecast, RFM, CLV, cohorts,
the shown customers' contacts), shaped into sheets by :mod:`crmcli.report.build`, one code for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..orders import PreparedOrders
from ..table import Table
from . import analytics
from .contacts import customer_contacts


@dataclass
class SalesFigures:
    """Sales by month × channel: ``cells`` (month ``YYYY-MM``, channel ('' = none), amount), every month from
    the first line to the last (``months``), the purchases' distinct orders and customers per month
    (``counts``, indexed by month) and in all."""

    cells: pd.DataFrame
    months: list[str]
    counts: pd.DataFrame
    orders: int
    customers: int


#: What runs on pandas only besides leads and campaigns: the Team sheet (orders naming owners).
OWNERS = "a report of orders naming owners (the Team sheet)"
#: The Products sheet's name for the lines without a product.
BLANK_PRODUCT = "—"


@dataclass
class ProductFigures:
    """Per product (:data:`BLANK_PRODUCT` = none): revenue, units, orders, customers; ``whole``: every line's units
    are whole."""

    table: pd.DataFrame
    whole: bool


@dataclass
class IssueFigures:
    """The orders' data issues: ``issues`` (every one, or the first of a streamed validate), ``count`` (all),
    ``groups`` (when not every issue is held: the Data quality sheet's rows, counted)."""

    issues: pd.DataFrame
    count: int
    groups: pd.DataFrame | None = None


def month_range(first: Any, last: Any) -> list[str]:
    """Every month ``YYYY-MM`` from ``first`` to ``last``."""
    return list(pd.period_range(first, last, freq="M").strftime("%Y-%m"))


def text_column(lines: pd.DataFrame, name: str) -> pd.Series:
    if name not in lines.columns:
        return pd.Series("", index=lines.index, dtype="str")
    return lines[name].astype("str").str.strip()


@dataclass
class InMemory:
    """The report's figures from :class:`~crmcli.orders.PreparedOrders` (pandas)."""

    table: Table
    prepared: PreparedOrders
    lines: pd.DataFrame = field(default_factory=pd.DataFrame)
    orders: pd.DataFrame = field(default_factory=pd.DataFrame)
    engine: str = "pandas"

    @property
    def notes(self) -> list[str]:
        return list(self.prepared.notes)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.table.frame.columns]

    @property
    def rows_left_out(self) -> int:
        return self.prepared.rows_left_out

    @property
    def rows_read(self) -> int:
        return len(self.table)

    def last_day(self) -> Any:
        return None if self.prepared.orders.empty else self.prepared.orders["order_date"].max().date()

    def cut(self, as_of: pd.Timestamp) -> int:
        """Keep the lines and orders up to ``as_of``; the number of lines dated later."""
        self.lines = analytics.window(self.prepared.lines, as_of)
        self.orders = analytics.window(self.prepared.orders, as_of)
        return len(self.prepared.lines) - len(self.lines)

    @property
    def has_orders(self) -> bool:
        return not self.orders.empty

    def kpis(self, as_of: pd.Timestamp, churn_days: int) -> pd.DataFrame:
        return analytics.kpi_table(self.orders, self.lines, as_of=as_of, churn_days=churn_days)

    def period(self, start: pd.Timestamp, end: pd.Timestamp, churn_days: int) -> dict[str, float]:
        return analytics.period_kpis(self.orders, self.lines, start=start, end=end, churn_days=churn_days)

    def sales(self) -> SalesFigures | None:
        lines = self.lines
        if lines.empty:
            return None
        month = lines["order_date"].dt.strftime("%Y-%m")
        channel = text_column(lines, "channel")
        cells = lines.groupby([month.rename("month"), channel.rename("channel")])["amount"].sum().reset_index()
        buy = (lines["is_purchase"] if "is_purchase" in lines.columns else pd.Series(True, index=lines.index)
               ).to_numpy(dtype=bool)
        bought = lines[buy]
        by_month = bought.groupby(month[buy])
        counts = pd.DataFrame({"orders": by_month["order_id"].nunique(), "customers": by_month["customer_id"].nunique()})
        return SalesFigures(cells, month_range(lines["order_date"].min(), lines["order_date"].max()), counts,
                            int(bought["order_id"].nunique()), int(bought["customer_id"].nunique()))

    def products(self) -> ProductFigures:
        lines = self.lines
        product = text_column(lines, "product")
        product = product.where(product != "", BLANK_PRODUCT)
        qty = lines["quantity"].fillna(1.0) if "quantity" in lines.columns else pd.Series(1.0, index=lines.index)
        buy = lines["is_purchase"] if "is_purchase" in lines.columns else pd.Series(True, index=lines.index)
        # a credit note's lines net into revenue but count no order and no customer
        frame = pd.DataFrame({"product": product, "amount": lines["amount"], "units": qty,
                              "order": lines["order_id"].where(buy), "buyer": lines["customer_id"].where(buy)})
        g = frame.groupby("product")
        table = pd.DataFrame({"revenue": g["amount"].sum(), "units": g["units"].sum(), "orders": g["order"].nunique(),
                              "customers": g["buyer"].nunique()}).rename_axis("product").reset_index()
        return ProductFigures(table, bool((qty == qty.round()).all()))

    def forecast(self, as_of: pd.Timestamp) -> Any:
        return analytics.forecast(self.prepared, as_of=as_of)

    def rfm(self, **options: Any) -> Any:
        return analytics.rfm(self.prepared, **options)

    def clv(self, **options: Any) -> Any:
        return analytics.clv(self.prepared, **options)

    def cohorts(self, as_of: pd.Timestamp) -> pd.DataFrame:
        return analytics.cohort_matrix(self.orders, as_of)

    def contacts(self, ids: Any, shown: Any, customers: Table | None) -> tuple[pd.DataFrame, dict]:
        """Every customer's contacts (``ids``; the sheets show ``shown``)."""
        return customer_contacts(ids, lines=self.lines, orders=self.table, customers=customers)

    def issues(self, lang: str) -> IssueFigures:
        """The orders' validation issues, every one."""
        found = analytics.find_issues(self.table, role="orders", lang=lang, required=analytics.REPORT_REQUIRED)
        return IssueFigures(found, len(found))
