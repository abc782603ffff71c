"""The metrics over the prepared ``orders`` (and ``window_orders`` / ``window_lines``, the orders and
kept lines up to the as-of day), defined once, as SQL (DuckDB's dialect; Spark's by SQLGlot): RFM's
per-customer figures, the KPI counts, the periods and the cohorts. The definitions are
``crmcli.rfm``'s and ``crmcli.metrics.kpis``' (DESIGN.md "RFM and metrics definitions"); the order
rules that make ``orders`` are :mod:`.sql`'s.
"""

from __future__ import annotations

DAY = "CAST(DATE_TRUNC('day', order_date) AS DATE)"


def max_day() -> str:
    return f"SELECT MAX({DAY}) AS day, COUNT(*) AS n FROM orders"


def rfm_customers(as_of: str) -> str:
    """Per customer up to ``as_of`` (a DATE literal): frequency (purchases), monetary (net, credit notes
    netted), first and last purchase (date and time); customers ordered by id."""
    return f"""
SELECT customer_id, ROUND_EVEN(SUM(amount), 2) AS monetary,
  SUM(CASE WHEN is_purchase THEN 1 ELSE 0 END) AS frequency,
  MIN(CASE WHEN is_purchase THEN order_date END) AS first_at, MAX(CASE WHEN is_purchase THEN order_date END) AS last_at
FROM orders WHERE {DAY} <= {as_of}
GROUP BY customer_id ORDER BY customer_id
"""


def after_as_of(as_of: str) -> str:
    return f"SELECT COUNT(*) AS n FROM orders WHERE {DAY} > {as_of}"


def window(as_of: str) -> str:
    """Orders dated on or before ``as_of`` (the whole day)."""
    return f"SELECT * FROM orders WHERE {DAY} <= {as_of}"


#: The KPIs' customers: per customer of ``window_orders`` with a purchase, its purchases and first and last.
PER_CUSTOMER = """
  SELECT customer_id, COUNT(*) AS n, MIN(order_date) AS first_at, MAX(order_date) AS last_at
  FROM window_orders WHERE is_purchase GROUP BY customer_id"""


def churned(start: str) -> str:
    """Of ``per`` (:data:`PER_CUSTOMER`), the churned: no purchase since ``start``, the churn window's first day."""
    return f"(SELECT COUNT(*) FROM per WHERE last_at < {start})"


def kpis(as_of: str, start: str) -> str:
    """The KPI table's counts (``crmcli.metrics.kpis.compute_kpis``) over ``window_orders`` and
    ``window_lines``; ``start`` = the first day of the churn window."""
    return f"""
WITH per AS ({PER_CUSTOMER}
), gaps AS (
  SELECT DATE_DIFF('day', LAG({DAY}) OVER (PARTITION BY customer_id ORDER BY order_date), {DAY}) AS gap
  FROM window_orders WHERE is_purchase
)
SELECT
  (SELECT ROUND_EVEN(SUM(amount), 2) FROM window_orders) AS revenue,
  (SELECT COUNT(*) FROM window_orders WHERE is_purchase) AS orders,
  (SELECT COUNT(*) FROM per) AS customers,
  (SELECT COUNT(*) FROM per WHERE n >= 2) AS repeat_customers,
  (SELECT COUNT(*) FROM per WHERE last_at >= {start} AND first_at >= {start}) AS new_customers,
  (SELECT COUNT(*) FROM per WHERE last_at >= {start} AND first_at < {start}) AS returning_customers,
  {churned(start)} AS churned,
  (SELECT COALESCE(-SUM(CASE WHEN line_amount < 0 THEN line_amount ELSE 0 END), 0) + COALESCE(SUM(line_refund), 0)
   FROM window_lines) AS refund,
  (SELECT MEDIAN(gap) FROM gaps) AS median_gap
"""


def churn(start: str) -> str:
    """The churn rate's counts alone (:func:`kpis`' ``customers`` and ``churned``), for a day whose other
    KPIs are not shown."""
    return f"WITH per AS ({PER_CUSTOMER}\n) SELECT (SELECT COUNT(*) FROM per) AS customers, {churned(start)} AS churned"


def period_key(by: str, column: str = "order_date") -> str:
    """A period's ordinal (month: year·12 + month − 1; quarter: year·4 + quarter − 1; year)."""
    if by == "month":
        return f"(YEAR({column}) * 12 + MONTH({column}) - 1)"
    if by == "quarter":
        return f"(YEAR({column}) * 4 + QUARTER({column}) - 1)"
    return f"YEAR({column})"


def periods(by: str) -> str:
    """Per period of ``window_orders``: purchases, active customers, revenue, new customers (first
    purchase ever in the period), and customers active in the period before too."""
    p = period_key(by)
    return f"""
WITH buys AS (SELECT customer_id, {p} AS p FROM window_orders WHERE is_purchase),
pairs AS (SELECT DISTINCT customer_id, p FROM buys),
firsts AS (SELECT customer_id, MIN(p) AS first_p FROM pairs GROUP BY customer_id),
rev AS (SELECT {p} AS p, SUM(amount) AS revenue FROM window_orders GROUP BY {p}),
cnt AS (SELECT p, COUNT(*) AS orders FROM buys GROUP BY p),
act AS (SELECT pairs.p, COUNT(*) AS customers, SUM(CASE WHEN firsts.first_p = pairs.p THEN 1 ELSE 0 END) AS new_customers
        FROM pairs JOIN firsts ON pairs.customer_id = firsts.customer_id GROUP BY pairs.p),
kept AS (SELECT a.p, COUNT(*) AS retained FROM pairs AS a JOIN pairs AS b
         ON a.customer_id = b.customer_id AND b.p = a.p - 1 GROUP BY a.p)
SELECT rev.p AS p, rev.revenue, COALESCE(cnt.orders, 0) AS orders, COALESCE(act.customers, 0) AS customers,
  COALESCE(act.new_customers, 0) AS new_customers, COALESCE(kept.retained, 0) AS retained
FROM rev LEFT JOIN cnt ON rev.p = cnt.p LEFT JOIN act ON rev.p = act.p LEFT JOIN kept ON rev.p = kept.p
ORDER BY p
"""


def cohorts() -> str:
    """Customers per (cohort = month of first purchase, k = months after it) with a purchase."""
    p = period_key("month")
    return f"""
WITH pairs AS (SELECT DISTINCT customer_id, {p} AS p FROM window_orders WHERE is_purchase),
firsts AS (SELECT customer_id, MIN(p) AS cohort FROM pairs GROUP BY customer_id)
SELECT f.cohort, pairs.p - f.cohort AS k, COUNT(*) AS n
FROM pairs JOIN firsts AS f ON pairs.customer_id = f.customer_id
GROUP BY f.cohort, pairs.p - f.cohort ORDER BY f.cohort, k
"""
