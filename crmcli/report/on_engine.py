"""The report's figures on DuckDB or Spark (``crm report --engine duckdb|spark``): the orders prepared there
(:func:`crmcli.engines.run.prepare_on`), the KPIs, periods, RFM, cohorts and CLV summary by the engine's own
definitions (:mod:`crmcli.engines.run`, :mod:`crmcli.engines.clv_on`), the report's own tables by
:mod:`crmcli.engines.report_sql`; only small tables come back to Python, where the sheets are shaped as on
pandas (:mod:`crmcli.report.build`).

The rows: over a Parquet file ``crm clean`` wrote, DuckDB reads the file itself (product and quantity too);
the contacts of the customers the sheets show (at most ``[report] customer_rows`` of each sheet) are read
from their rows only and normalized by the field layer, as on pandas; the data issues come from a streamed
validate (``crm validate --engine duckdb``). Anything else is normalized once, whole, and handed to the
engine as a Table (the contacts and issues from it, as on pandas).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..config import Settings
from ..engines import orders_sql, report_sql
from ..engines.kpis_on import churn_on, cohort_table, metrics_on
from ..engines.run import EngineOrders, resolve_as_of_on, rfm_on
from ..errors import DataError, UsageError
from ..table import Table
from . import analytics
from .contacts import CONTACT_FIELDS, customer_contacts
from .figures import BLANK_PRODUCT, OWNERS, IssueFigures, ProductFigures, SalesFigures, month_range

@contextmanager
def engine_figures(orders: Any, *, engine: str, settings: Settings, read: Any = None,
                   auto: bool = False, lang: str | None = None) -> Iterator[OnEngine | None]:
    """The report's figures on ``engine`` (closed with it); None when the orders name owners and ``auto``
    falls back to pandas (an explicit engine: UsageError). ``lang``: the report's language (else the
    settings', else the headers'), the data issues' messages too."""
    from ..engines.analytics import open_runner
    from ..engines.lines import direct_lines
    from ..engines.run import prepare_on
    from ..normalize import normalize_table

    overrides = settings.columns.get("orders")
    where = dict(region=settings.region, dayfirst=settings.dayfirst)
    direct = direct_lines(orders, overrides=overrides, **where) if engine == "duckdb" else None
    table = None
    if direct is None:
        table = normalize_table(orders, read=read, overrides=overrides, **where)
        mapping = dict(table.mapping)
    else:
        mapping = dict(direct.spec.mapping)
    if "owner" in mapping.values():
        if not auto:
            raise UsageError(f"{OWNERS} runs on the pandas engine only", hint="leave {opt:engine} out, or use pandas",
                             option="engine")
        yield None
        return
    options = settings.runner_options()
    warm_imports()
    path = None if table is not None else os.fspath(orders)
    if path is not None:
        import pyarrow.parquet as pq

        from .labels import report_lang

        lang = report_lang(lang, settings.lang, pq.read_schema(path).names)   # the sheets' language (build.py)
    with background_validate(path, settings, mapping=mapping, lang=lang or "en") as pending:
        with open_runner(engine, **options) as runner:
            p = prepare_on(runner, table if table is not None else orders, read=read, overrides=overrides,
                           statuses=settings.order_status, **where)
            yield OnEngine(p, settings, table=table, path=None if table is not None else os.fspath(orders),
                           mapping=mapping, pending=pending)


def warm_imports() -> None:
    """Import the forecast's and CLV's libraries (statsmodels, scipy: seconds of Python) on a thread while the
    engine prepares the orders; the calls that need them find them loaded (or fail there as they would)."""
    import threading

    def load() -> None:
        try:
            from ..clv import fit  # noqa: F401  (scipy)
            from ..forecast.models import load_statsmodels

            load_statsmodels()
        except Exception:  # noqa: BLE001 - said by the forecast/CLV sheet that needs it
            pass

    threading.Thread(target=load, name="crm-report-imports", daemon=True).start()


class _Stopped(Exception):
    """The report stopped before its background validate finished."""


@contextmanager
def background_validate(path: str | None, settings: Settings, *, mapping: dict[str, str], lang: str
                        ) -> Iterator[Any]:
    """A streamed validate of the Parquet file ``path`` (:func:`crmcli.stream.stream_table`: the checks the
    pandas report makes — the fields the report needs required, the default checks — but those that need
    every row, messages in ``lang``) on a thread of its own while the engine computes the tables (DuckDB
    leaves the interpreter free): its future, None without a path. Leaving stops it at its next batch."""
    if path is None:
        yield None
        return
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from ..stream import stream_table

    stop = threading.Event()

    def check(*_: Any) -> None:
        if stop.is_set():
            raise _Stopped()

    pool = ThreadPoolExecutor(1, thread_name_prefix="crm-report-validate")
    required = [f for f in analytics.REPORT_REQUIRED if f in set(mapping.values())]
    future = pool.submit(stream_table, path, overrides=settings.columns.get("orders"), region=settings.region,
                         dayfirst=settings.dayfirst, progress=check, required=required, lang=lang)
    try:
        yield future
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _relation(path: str) -> str:
    return f"read_parquet('{path.replace(chr(39), chr(39) * 2)}', file_row_number = true)"


def _day(ts: pd.Timestamp) -> str:
    return f"DATE '{pd.Timestamp(ts).date().isoformat()}'"


@dataclass
class OnEngine:
    """The report's figures from orders prepared on an engine (see the module docstring)."""

    p: EngineOrders
    settings: Settings
    table: Table | None = None
    path: str | None = None
    mapping: dict[str, str] | None = None
    as_of: pd.Timestamp | None = None
    n_window: int = 0
    #: The streamed validate of a Parquet file, running (:func:`background_validate`).
    pending: Any = None
    _kpis: dict = field(default_factory=dict)
    _cohorts: Any = None

    @property
    def engine(self) -> str:
        return self.p.runner.name

    @property
    def runner(self) -> Any:
        return self.p.runner

    @property
    def lines(self) -> pd.DataFrame:
        raise UsageError("the report's lines stay on the engine")

    orders = lines

    @property
    def notes(self) -> list[str]:
        return list(self.p.notes)

    @property
    def columns(self) -> list[str]:
        if self.table is not None:
            return [str(c) for c in self.table.frame.columns]
        import pyarrow.parquet as pq

        return list(pq.read_schema(self.path).names)

    @property
    def rows_read(self) -> int:
        if self.table is not None:
            return len(self.table)
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(self.path).metadata.num_rows)

    @property
    def rows_left_out(self) -> int:
        return int(sum(self.p.dropped.values()))

    def header(self, fname: str) -> str | None:
        return next((h for h, f in (self.mapping or {}).items() if f == fname), None)

    def last_day(self) -> Any:
        try:
            return resolve_as_of_on(self.p, None).date()
        except DataError:
            return None

    def cut(self, as_of: pd.Timestamp) -> int:
        self.as_of = as_of
        lit = _day(as_of)
        r = self.runner
        r.create("report_lines", report_sql.report_lines(lit))
        if self.table is None:
            r.create("extras", report_sql.parquet_extras(_relation(self.path), self.header("product"),
                                                         self.header("quantity")), view=True)
        else:
            r.put("extras", self._table_extras())
        self.n_window = int(r.fetch(f"SELECT COUNT(*) AS n FROM orders WHERE {orders_sql.DAY} <= {lit}")
                            ["n"].iloc[0])
        return int(r.fetch(report_sql.later_lines(lit))["n"].iloc[0])

    def _table_extras(self) -> pd.DataFrame:
        """Row, product (text, stripped as the pandas lines' are) and quantity of the normalized table."""
        table = self.table
        rows = table.frame.index
        out = pd.DataFrame({"row": rows.to_numpy(dtype="int64")})
        got = table.normalized_field("product")
        out["product"] = ("" if got is None else
                          got.values.astype("str").fillna("").str.strip().reindex(rows).to_numpy())
        got = table.normalized_field("quantity")
        qty = pd.Series(float("nan") if got is None else got.parsed, index=rows, dtype="float64")
        out["quantity"] = qty.astype(object).where(qty.notna(), None).to_numpy()   # null, not NaN, on every engine
        return out

    @property
    def has_orders(self) -> bool:
        return self.n_window > 0

    def kpis(self, as_of: pd.Timestamp, churn_days: int) -> pd.DataFrame:
        """The KPI table up to ``as_of`` (the report asks twice for the as-of day's: computed once)."""
        key = (pd.Timestamp(as_of).normalize(), churn_days)
        if key not in self._kpis:
            whole = self.as_of is not None and key[0] == self.as_of.normalize()
            got = metrics_on(self.p, as_of=as_of, churn_days=churn_days)
            if whole:   # the cohorts over the same window, while it is there
                self._cohorts = cohort_table(self.runner, got.as_of)
            self._kpis[key] = got.kpis
        return self._kpis[key]

    def period(self, start: pd.Timestamp, end: pd.Timestamp, churn_days: int) -> dict[str, float]:
        """:func:`crmcli.report.analytics.period_kpis` on the engine."""
        try:
            k = metrics_on(self.p, as_of=end, churn_days=churn_days, since=start).kpis
            values = dict(zip(k["metric"], k["value"]))
            got = self.runner.fetch(report_sql.period_customers(_day(start), _day(end))).iloc[0]
            values["new_customers"] = float(got["new"])
            values["returning_customers"] = float(int(got["active"]) - int(got["new"]))
        except UsageError:  # no order in the period
            values = analytics.empty_period()
        values["churn_rate"] = self.churn_rate(end, churn_days)
        return values

    def churn_rate(self, as_of: pd.Timestamp, churn_days: int) -> float:
        """The KPIs' churn rate at ``as_of`` (NaN without an order by then): from the KPI table when it was
        computed, else alone."""
        key = (pd.Timestamp(as_of).normalize(), churn_days)
        try:
            if key in self._kpis:
                return float(self._kpis[key].set_index("metric").at["churn_rate", "value"])
            return float(churn_on(self.p, as_of=as_of, churn_days=churn_days))
        except UsageError:
            return float("nan")

    def sales(self) -> SalesFigures | None:
        r = self.runner
        totals = r.fetch(report_sql.sales_totals()).iloc[0]
        if not int(totals["n"]):
            return None
        cells = r.fetch(report_sql.sales_cells())
        cells = cells.astype({"month": "str", "channel": "str"}).sort_values(["month", "channel"])
        cells["amount"] = cells["amount"].astype("float64")
        counts = r.fetch(report_sql.sales_counts()).astype({"month": "str"}).set_index("month")
        return SalesFigures(cells.reset_index(drop=True), month_range(totals["first_at"], totals["last_at"]), counts,
                            int(totals["orders"]), int(totals["customers"]))

    def products(self) -> ProductFigures:
        got = self.runner.fetch(report_sql.products(BLANK_PRODUCT))
        table = pd.DataFrame({"product": got["product"].astype("str"), "revenue": got["revenue"].astype("float64"),
                              "units": got["units"].astype("float64"), "orders": got["orders"].astype("int64"),
                              "customers": got["customers"].astype("int64")})
        return ProductFigures(table.sort_values("product").reset_index(drop=True),
                              bool((got["whole"].astype("int64") == 1).all()))

    def forecast(self, as_of: pd.Timestamp) -> Any:
        from ..forecast import forecast_sales

        days = self.runner.fetch(report_sql.day_totals())
        frame = pd.DataFrame({"customer_id": "all", "order_date": pd.to_datetime(days["order_date"]),
                              "amount": days["amount"].astype("float64"),
                              "purchases": days["purchases"].astype("float64")})
        return forecast_sales(frame, by="month", as_of=as_of)

    def rfm(self, **options: Any) -> Any:
        return rfm_on(self.p, **options)

    def clv(self, *, as_of: pd.Timestamp, horizon: int, discount: float) -> Any:
        from ..clv.fit import DEFAULT_TIERS, check_options
        from ..engines.clv_on import clv_on

        horizon, discount = check_options(horizon, discount)
        return clv_on(self.p, as_of=as_of, horizon=horizon, discount=discount, tiers=DEFAULT_TIERS)

    def cohorts(self, as_of: pd.Timestamp) -> pd.DataFrame:
        """The cohort matrix up to as-of (computed with the as-of KPIs) and each cohort's size."""
        if self._cohorts is None:   # the as-of KPIs were not asked for first
            self._kpis.pop((pd.Timestamp(as_of).normalize(), self.settings.churn_days), None)
            self.kpis(as_of, self.settings.churn_days)
        matrix, sizes = self._cohorts
        if matrix.empty or sizes.empty:
            return pd.DataFrame({"cohort": pd.Series(dtype="str"), "customers": pd.Series(dtype="int64")})
        matrix.insert(1, "customers", sizes.sort_values("cohort")["size"].to_numpy(dtype="int64"))
        return matrix

    def contacts(self, ids: Any, shown: Any, customers: Table | None) -> tuple[pd.DataFrame, dict]:
        """The contacts of the customers the sheets show (``shown``), from their rows only."""
        r = self.runner
        ids = pd.Series(ids).astype("str")
        shown = ids[ids.isin(list(shown)).to_numpy(dtype=bool)].tolist()   # in the RFM table's order
        r.put("shown", pd.DataFrame({"customer_id": pd.Series(shown, dtype="str")}))
        got = r.fetch(report_sql.shown_lines())
        lines = pd.DataFrame({"customer_id": got["customer_id"].astype("str").to_numpy(),
                              "order_date": pd.to_datetime(got["order_date"]).to_numpy(dtype="datetime64[ns]")},
                             index=pd.Index(got["row"].to_numpy(dtype="int64"), name="row"))
        table = self.table if self.table is not None else self._contact_rows(lines.index)
        return customer_contacts(shown, lines=lines, orders=table, customers=customers)

    def _contact_rows(self, rows: pd.Index) -> Table:
        """The contact columns of ``rows`` of the Parquet file, normalized (as the pandas report reads them)."""
        from ..normalize import normalize_table

        heads = {h: f for h, f in (self.mapping or {}).items() if f in CONTACT_FIELDS}
        self.runner.put("wanted", pd.DataFrame({"row": rows.to_numpy(dtype="int64")}))
        got = self.runner.fetch(report_sql.source_rows(_relation(self.path), list(heads)))
        frame = got.drop(columns=["row"]).astype("str")
        frame.index = pd.Index(got["row"].to_numpy(dtype="int64"), name="row")
        return normalize_table(frame, mapping=heads, region=self.settings.region, dayfirst=self.settings.dayfirst)

    def issues(self, lang: str) -> IssueFigures:
        if self.table is not None:
            found = analytics.find_issues(self.table, role="orders", lang=lang, required=analytics.REPORT_REQUIRED)
            return IssueFigures(found, len(found))
        return self._streamed_issues(lang)

    def _streamed_issues(self, lang: str) -> IssueFigures:
        """The data issues of a cleaned Parquet file: the streamed validate's (bounded memory; the first
        :data:`crmcli.stream.run.SHOWN_ISSUES` held, the rest counted by group), in the report's language."""
        from .sheets import QUALITY_GROUP_COLUMNS

        result = self.pending.result()
        issues = result.issues.sort_values("row", kind="stable").reset_index(drop=True)
        if result.issue_count <= len(issues):
            return IssueFigures(issues, result.issue_count)
        heads = {f: h for h, f in reversed(list(result.mapping.items()))}
        rows = []
        for r in result.issue_summary.itertuples():
            fld, code = str(r.field or ""), str(r.code)
            same = issues[(issues["field"].fillna("").astype(str) == fld) & (issues["code"] == code)]
            first = same.iloc[0] if len(same) else None
            rows.append({"field": fld, "column": heads.get(fld, "") if first is None else str(first["column"] or ""),
                         "code": code, "severity": str(r.severity), "count": int(r.count),
                         "rows": ", ".join(str(int(x)) for x in same["row"].head(10)),
                         "example": "" if first is None else str(first["value"]),
                         "message": "" if first is None else str(first["message"]),
                         "suggestion": "" if first is None else str(first["suggestion"])})
        return IssueFigures(issues, result.issue_count, pd.DataFrame(rows, columns=QUALITY_GROUP_COLUMNS))
