"""The report's own tables as SQL (DuckDB's dialect; Spark's by SQLGlot), over the relations
:func:`.run.prepare_on` leaves (``lines_net``, ``orders``) and ``extras``: the columns the lines don't
carry (``row``, ``product``, ``quantity``), joined to them by row, as :mod:`.pivot_sql` joins the source rows.

``report_lines`` are the order lines the pandas report counts (``crmcli.report.build``: the prepared
lines up to as-of, fully refunded orders left out), each with its order's ``is_purchase``; the sales by
month × channel, the products, the per-day totals the forecast takes and the rows whose contacts the
customer sheets show are small aggregates of them. The KPIs, RFM, cohorts and CLV summary are the
engine's own definitions (:mod:`.sql`, :mod:`.clv_on`), not repeated here.
"""

from __future__ import annotations

from . import orders_sql, sql
from .pivot_sql import period_label


def report_lines(as_of: str) -> str:
    """The counted lines up to ``as_of`` (a DATE literal): row, customer, order id, date, net amount,
    channel and their order's ``is_purchase`` (an order of one line is that line; else its net total
    in cents ≥ 0, as ``orders`` says)."""
    return f"""
WITH multi AS (
  SELECT cust_f, ogroup, ROUND_EVEN(SUM(line_amount), 2) >= 0 AS buy
  FROM lines_net WHERE NOT full_refund AND NOT single GROUP BY cust_f, ogroup
)
SELECT n.row, n.customer_id, n.order_id, n.order_date, n.line_amount AS amount, COALESCE(n.channel_f, '') AS channel,
  CASE WHEN n.single THEN ROUND_EVEN(n.line_amount, 2) >= 0 ELSE m.buy END AS is_purchase
FROM lines_net AS n LEFT JOIN multi AS m ON n.cust_f = m.cust_f AND n.ogroup = m.ogroup
WHERE NOT n.full_refund AND {orders_sql.DAY} <= {as_of}
"""


def later_lines(as_of: str) -> str:
    """Counted lines dated after ``as_of`` (the report leaves them out)."""
    return f"SELECT COUNT(*) AS n FROM lines_net WHERE NOT full_refund AND {orders_sql.DAY} > {as_of}"


#: A line's month, grouped on as a timestamp; its label (``YYYY-MM``) is made on the groups, not on every line
#: (building the text of 10M lines' months was 0.5 s of 0.7 s of the sales cells).
MONTH_START = "DATE_TRUNC('month', order_date)"
MONTH = period_label("month", "m")


def sales_cells() -> str:
    """Net amount per (month ``YYYY-MM``, channel; '' = none) of ``report_lines``."""
    return (f"SELECT {MONTH} AS month, channel, amount FROM (SELECT {MONTH_START} AS m, channel, SUM(amount) AS amount "
            f"FROM report_lines GROUP BY 1, 2) AS g")


def sales_counts() -> str:
    """Per month: the purchases' distinct order ids and customers (as pandas' ``nunique``: a blank order
    id is one value)."""
    return (f"SELECT {MONTH} AS month, orders, customers FROM (SELECT {MONTH_START} AS m, "
            f"COUNT(DISTINCT order_id) AS orders, COUNT(DISTINCT customer_id) AS customers "
            f"FROM report_lines WHERE is_purchase GROUP BY 1) AS g")


def sales_totals() -> str:
    """The lines' first and last date and count; the purchases' distinct orders and customers."""
    return """
SELECT MIN(order_date) AS first_at, MAX(order_date) AS last_at, COUNT(*) AS n,
  COUNT(DISTINCT CASE WHEN is_purchase THEN order_id END) AS orders,
  COUNT(DISTINCT CASE WHEN is_purchase THEN customer_id END) AS customers
FROM report_lines
"""


def products(blank: str) -> str:
    """Per product (``blank`` = none): revenue (net), units (quantity; 1 a line without one), the purchases'
    distinct orders and customers, and whether every line's units are whole."""
    units = "COALESCE(x.quantity, 1.0)"
    return f"""
SELECT CASE WHEN COALESCE(x.product, '') = '' THEN '{blank}' ELSE x.product END AS product, SUM(l.amount) AS revenue, SUM({units}) AS units,
  COUNT(DISTINCT CASE WHEN l.is_purchase THEN l.order_id END) AS orders,
  COUNT(DISTINCT CASE WHEN l.is_purchase THEN l.customer_id END) AS customers,
  MIN(CASE WHEN {units} = ROUND({units}, 0) THEN 1 ELSE 0 END) AS whole
FROM report_lines AS l LEFT JOIN extras AS x ON l.row = x.row
GROUP BY 1
"""


def day_totals() -> str:
    """Per order day: net revenue and purchases (the forecast's monthly series; it cuts them at as-of)."""
    return f"""
SELECT CAST({orders_sql.DAY} AS TIMESTAMP) AS order_date, SUM(amount) AS amount,
  SUM(CASE WHEN is_purchase THEN 1 ELSE 0 END) AS purchases
FROM orders GROUP BY 1 ORDER BY 1
"""


def period_customers(start: str, end: str) -> str:
    """Of the customers with a purchase from ``start`` to ``end`` (DATE literals), how many bought for the
    first time then (``new``) and how many are ``active``."""
    return f"""
WITH buys AS (SELECT customer_id, order_date FROM orders WHERE is_purchase AND {orders_sql.DAY} <= {end}),
firsts AS (SELECT customer_id, MIN(order_date) AS first_at FROM buys GROUP BY customer_id),
active AS (SELECT DISTINCT customer_id FROM buys WHERE {orders_sql.DAY} >= {start})
SELECT COUNT(*) AS active, COALESCE(SUM(CASE WHEN CAST(DATE_TRUNC('day', f.first_at) AS DATE) >= {start}
  THEN 1 ELSE 0 END), 0) AS new
FROM active AS a JOIN firsts AS f ON a.customer_id = f.customer_id
"""


def shown_lines() -> str:
    """The counted lines of the customers in ``shown`` (``customer_id``): whose contacts the sheets show."""
    return ("SELECT l.row, l.customer_id, l.order_date FROM report_lines AS l "
            "JOIN shown AS s ON l.customer_id = s.customer_id ORDER BY l.row")


def source_rows(relation: str, columns: list[str]) -> str:
    """``columns`` (text, null as '') of the rows of ``relation`` (a cleaned Parquet file read with
    ``file_row_number``) that are in ``wanted`` (``row``)."""
    cells = ", ".join(f"COALESCE(CAST({sql.quote(c)} AS VARCHAR), '') AS {sql.quote(c)}" for c in columns)
    return (f"SELECT CAST(file_row_number + 2 AS BIGINT) AS row{', ' if cells else ''}{cells} FROM {relation} "
            f"WHERE CAST(file_row_number + 2 AS BIGINT) IN (SELECT row FROM wanted) ORDER BY row")


def parquet_extras(relation: str, product: str | None, quantity: str | None) -> str:
    """``extras`` straight from a cleaned Parquet file: row, product (text), quantity (typed)."""
    prod = f"COALESCE(CAST({sql.quote(product)} AS VARCHAR), '')" if product else "''"
    qty = f"CAST({sql.quote(quantity)} AS DOUBLE)" if quantity else "CAST(NULL AS DOUBLE)"
    return f"SELECT CAST(file_row_number + 2 AS BIGINT) AS row, {prod} AS product, {qty} AS quantity FROM {relation}"
