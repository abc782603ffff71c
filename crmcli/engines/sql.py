"""The order rules, defined once, as SQL (DuckDB's dialect; Spark's by SQLGlot); the metrics over the
orders they leave are :mod:`.orders_sql`'s.

Each function returns one SELECT over the relations named in it; :mod:`.run` executes them in
order on an engine (creating ``filled``, ``reasons``, ``lines_net``, ``orders``) and turns the
small results into the frames ``crmcli.rfm`` / ``crmcli.metrics`` give. The definitions are those
of ``crmcli.orders.prepare_orders`` and ``crmcli.metrics.kpis`` (DESIGN.md "RFM and metrics
definitions"); ``tests/test_engines.py`` holds every engine to the pandas figures.

Money columns hold no NaN or infinity (the lines carry null for a value that is not a finite
number), so every check is ``IS NULL``. Money is rounded half-to-even to cents as numpy rounds (``ROUND_EVEN``; Spark's ``BROUND``).
"""

from __future__ import annotations

#: A window over one order (customer, order id), every row of it, in row order.
ORDER = "PARTITION BY cust_f, ogroup ORDER BY row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"


def quote(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def direct_lines(relation: str, *, columns: tuple[str, ...], strings: tuple[str, ...], fields: dict[str, str],
                 date_field: str, has_amount: bool, windowed: bool | None = None) -> str:
    """The lines (:mod:`.lines`' columns) straight from a table whose mapped columns already hold the
    field layer's values (a Parquet file ``crm clean`` wrote): ``columns`` = every column in order,
    ``strings`` = the text ones (null reads as ``''``, as the readers give
    it), ``fields`` = ``{field: column}``. Dates are timestamps and money/numbers doubles as they are;
    null = blank. ``row`` is the file's row number + 2 (the Excel row the readers give); ``h1``/``h2``
    two hashes of the row's values (different orders, one salted): equal rows, equal hashes.
    ``windowed`` True/False: only the rows :func:`windowed_rows` says (filtered on the file's own
    column, so the hashes are computed for those rows only)."""
    def col(f: str) -> str:
        return quote(fields[f])

    def text(f: str) -> str:
        return f"COALESCE(CAST({col(f)} AS VARCHAR), '')" if f in fields else "''"

    def num(f: str) -> str:
        return f"CAST({col(f)} AS DOUBLE)" if f in fields else "CAST(NULL AS DOUBLE)"

    cells = [f"COALESCE({quote(c)}, '')" if c in strings else quote(c) for c in columns]
    line_value = "CAST(NULL AS DOUBLE)"
    if "unit_price" in fields:
        line_value = num("unit_price") + (f" * COALESCE({num('quantity')}, 1.0)" if "quantity" in fields else "")
    amount = num("amount") if has_amount else line_value
    cancelled = (f"{col('cancelled_at')} IS NOT NULL AND CAST({col('cancelled_at')} AS VARCHAR) <> ''"
                 if "cancelled_at" in fields else "FALSE")
    texts = "".join(f",\n  {text(f)} AS {f}, {text(f)} = '' AS {f}_blank" for f in ("status", "refund_status",
                                                                                      "channel", "campaign"))
    return f"""
SELECT CAST(file_row_number + 2 AS BIGINT) AS row, {text('customer_id')} AS cust, {text('order_id')} AS oid,
  CAST({col(date_field)} AS TIMESTAMP) AS order_date, {col(date_field)} IS NULL AS order_date_blank,
  {amount} AS amount, {f"{col('amount')} IS NULL" if has_amount else "FALSE"} AS amount_blank,
  {line_value} AS line_value, {num('refund_amount')} AS refund_amount,
  {f"{col('refund_amount')} IS NULL" if "refund_amount" in fields else "TRUE"} AS refund_amount_blank,
  {cancelled} AS cancelled, FALSE AS totals, FALSE AS date_ambiguous{texts},
  hash({", ".join(cells)}) AS h1, hash('\x1f', {", ".join(reversed(cells))}) AS h2
FROM {relation}{"" if windowed is None else " WHERE " + windowed_rows(text('order_id'), windowed)}
"""


#: The code points ``[\\s\\p{Z}\\x1c-\\x1f\\x85]`` matches (RE2: ``\\s`` is tab, newline, vertical tab, form
#: feed, return, space; ``\\p{Z}`` the Unicode separators).
SPACE_CODEPOINTS = (9, 10, 11, 12, 13, 32, 0x1C, 0x1D, 0x1E, 0x1F, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028,
                    0x2029, 0x202F, 0x205F, 0x3000)


def totals_candidates(relation: str, columns: list[str]) -> str:
    """Whether rows may be totals rows (``n`` > 0; ``crmcli.io.totals.flag_totals``: a cell of one of the
    first three columns that is, stripped and in any case, one of its labels)."""
    import re

    from ..io.totals import TOTAL_LABELS

    space = r"[\s\p{Z}\x{1c}-\x{1f}\x{85}]*"
    labels = "|".join(re.escape(label).replace("'", "''") for label in sorted(TOTAL_LABELS))
    # the regexp only on the cells that can match: starting with a label's first two characters, or a space
    heads = ", ".join("'" + h.replace("'", "''") + "'" for h in sorted({label[:2].lower() for label in TOTAL_LABELS}))
    spaces = ", ".join(f"'{chr(n)}'" for n in SPACE_CODEPOINTS)
    # (list_contains: DuckDB keeps it a per-row test, where a long IN list becomes a join)
    tests = [f"(LIST_CONTAINS([{heads}], LOWER(SUBSTR({quote(c)}, 1, 2))) OR "
             f"LIST_CONTAINS([{spaces}], SUBSTR({quote(c)}, 1, 1))) AND "
             f"REGEXP_FULL_MATCH({quote(c)}, '{space}({labels}){space}', 'i')" for c in columns]
    # a count a column (any > 0 says there are some): each test stays one column's, a filter of the file's scan
    counts = " + ".join(f"(SELECT COUNT(*) FROM {relation} WHERE {t})" for t in tests)
    return f"SELECT {counts or '0'} AS n"


def multi_orders() -> str:
    """The order ids written on several rows, with the first row of each (its order group)."""
    return "SELECT oid AS moid, MIN(row) AS first_row FROM lines WHERE oid <> '' GROUP BY oid HAVING COUNT(*) > 1"


def windowed_rows(oid: str, windowed: bool) -> str:
    """Whether a line (its order id ``oid``) can need the order rules' windows (``windowed``): its
    order id is written on several rows (``multi``), or it has none (a repeated export row is found
    among them); else (not ``windowed``) an order of one row."""
    if windowed:
        return f"({oid} = '' OR {oid} IN (SELECT moid FROM multi))"
    return f"({oid} <> '' AND {oid} NOT IN (SELECT moid FROM multi))"


def windowed_lines(windowed: bool) -> str:
    """The lines :func:`windowed_rows` says, from the ``lines`` table."""
    return f"SELECT * FROM lines WHERE {windowed_rows('oid', windowed)}"


#: The columns of ``filled`` (:func:`filled_windowed`, :func:`filled_single`), in order.
FILLED = ("row, oid, ogroup, totals, cancelled, amount, amount_blank, refund_amount_blank, line_value, date_ambiguous, "
          "dup, cust_f, order_date_f, refund_f, amount_first, order_rows")


def filled_windowed(text_fields: tuple[str, ...]) -> str:
    """Line rows (over ``lines_w``, the lines :func:`windowed_rows` says): rows sharing an order id
    are one order (``ogroup``: its first row; a row without an order id is its own, ``ogroup`` = its
    row); the customer key and the order-level cells (date, status, refund, channel, campaign) an
    export fills on one row only take the order's first value (its first row holding one) on the
    rows that leave them blank; a row repeating an earlier one whole is ``dup``. Every other line is
    an order of one row (:func:`filled_single`). Only the columns the later steps read."""
    texts = "".join(
        f",\n  CASE WHEN {f}_blank THEN COALESCE(FIRST_VALUE(CASE WHEN {f}_blank THEN NULL ELSE {f} END IGNORE NULLS) "
        f"OVER ({ORDER}), '') ELSE {f} END AS {f}_f" for f in text_fields)
    keep = "row, oid, ogroup, totals, cancelled, amount, amount_blank, refund_amount_blank, line_value, date_ambiguous"
    return f"""
WITH many AS (
  SELECT l.*, COALESCE(m.first_row, l.row) AS ogroup, ROW_NUMBER() OVER (PARTITION BY l.h1, l.h2 ORDER BY l.row) > 1
    AS dup
  FROM lines_w AS l LEFT JOIN multi AS m ON l.oid = m.moid
), cust AS (
  SELECT *, CASE WHEN cust = '' THEN COALESCE(FIRST_VALUE(NULLIF(cust, '') IGNORE NULLS) OVER (
      PARTITION BY ogroup ORDER BY row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), '')
    ELSE cust END AS cust_f
  FROM many
)
SELECT {keep}, dup, cust_f,
  CASE WHEN order_date_blank THEN FIRST_VALUE(order_date IGNORE NULLS) OVER ({ORDER}) ELSE order_date END
    AS order_date_f,
  CASE WHEN refund_amount_blank THEN FIRST_VALUE(refund_amount IGNORE NULLS) OVER ({ORDER}) ELSE refund_amount END
    AS refund_f,
  FIRST_VALUE(amount IGNORE NULLS) OVER ({ORDER}) AS amount_first,
  COUNT(*) OVER (PARTITION BY cust_f, ogroup) AS order_rows{texts}
FROM cust
"""


def filled_single(text_fields: tuple[str, ...]) -> str:
    """The lines of orders of one row (over ``lines_s``): their cells their own, ``ogroup`` their row."""
    own = "".join(f", {f} AS {f}_f" for f in text_fields)
    return f"""
SELECT row, oid, row AS ogroup, totals, cancelled, amount, amount_blank, refund_amount_blank, line_value,
  date_ambiguous, FALSE AS dup, cust AS cust_f, order_date AS order_date_f, refund_amount AS refund_f,
  amount AS amount_first, CAST(1 AS BIGINT) AS order_rows{own}
FROM lines_s
"""


def filled(text_fields: tuple[str, ...]) -> str:
    """Every line: the windowed ones (table ``filled_w``) and the orders of one row (``filled_s``)."""
    columns = FILLED + "".join(f", {f}_f" for f in text_fields)
    return f"SELECT {columns} FROM filled_w UNION ALL SELECT {columns} FROM filled_s"


def order_level(column: str, blank: str) -> str:
    """Whether a money column holds one value per order: (orders of several rows, of them those
    whose non-blank values differ, those with a blank row and a value)."""
    return f"""
SELECT COUNT(*) AS multi, COALESCE(SUM(CASE WHEN nd > 1 THEN 1 ELSE 0 END), 0) AS conflicts,
  COALESCE(SUM(CASE WHEN any_blank AND nval > 0 THEN 1 ELSE 0 END), 0) AS blank_with_value
FROM (
  SELECT COUNT(DISTINCT {column}) AS nd, MAX(CASE WHEN {blank} THEN 1 ELSE 0 END) = 1 AS any_blank,
    COUNT({column}) AS nval
  FROM filled_w WHERE order_rows > 1 GROUP BY cust_f, ogroup
) AS o
"""


def distinct_statuses(field: str) -> str:
    """Every status text a line can have once filled (``{field}_f``): those written, and blank."""
    return f"SELECT DISTINCT {field} AS status FROM lines UNION SELECT '' AS status"


def reasons(*, has_oid: bool, amount_order_level: bool, has_status: bool, has_refund_status: bool) -> str:
    """Each row's reason to be left out, checked in order (DESIGN.md): totals row, repeated export
    row (with an order id), cancelled, unpaid, refunded (by status class), invalid date, invalid
    amount, no customer; ``''`` = kept. Only the columns the later steps read."""
    amount = "CASE WHEN amount_blank THEN amount_first ELSE amount END" if amount_order_level else "amount"
    status_class = "COALESCE(s.cls, '?')" if has_status else "''"
    refunded = "COALESCE(r.refunded, FALSE)" if has_refund_status else "FALSE"
    joins = ""
    if has_status:
        joins += " LEFT JOIN status_classes AS s ON f.status_f = s.status"
    if has_refund_status:
        joins += " LEFT JOIN refund_classes AS r ON f.refund_status_f = r.status"
    return f"""
WITH classed AS (
  SELECT f.*, {amount} AS amount_f,
    CASE WHEN f.cancelled THEN 'cancelled' WHEN {refunded} THEN 'refunded' ELSE {status_class} END AS cls
  FROM filled AS f{joins}
)
SELECT row, cust_f, oid, ogroup, order_date_f, amount_f, line_value, refund_f, channel_f, campaign_f, status_f,
  refund_status_f, cls,
  date_ambiguous, order_rows, CASE
    WHEN totals THEN 'totals-row'
    WHEN {'dup' if has_oid else 'FALSE'} THEN 'duplicate-row'
    WHEN cls = 'cancelled' THEN 'cancelled'
    WHEN cls = 'unpaid' THEN 'unpaid'
    WHEN cls = 'refunded' THEN 'refunded'
    WHEN order_date_f IS NULL THEN 'invalid-date'
    WHEN amount_f IS NULL THEN 'invalid-amount'
    WHEN cust_f = '' THEN 'missing-customer'
    ELSE '' END AS reason
FROM classed
"""


def dropped() -> str:
    """Rows and orders left out, by reason (a row of an order of one row is one order: no grouping by order)."""
    return """
SELECT reason, SUM(n_rows) AS n_rows, SUM(n_orders) AS n_orders FROM (
  SELECT reason, COUNT(*) AS n_rows, COUNT(*) AS n_orders FROM reasons WHERE reason <> '' AND order_rows = 1
  GROUP BY reason
  UNION ALL
  SELECT reason, SUM(n) AS n_rows, COUNT(*) AS n_orders FROM (
    SELECT reason, cust_f, ogroup, COUNT(*) AS n FROM reasons WHERE reason <> '' AND order_rows > 1
    GROUP BY reason, cust_f, ogroup
  ) AS o GROUP BY reason
) AS r GROUP BY reason
"""


def full_refunds() -> str:
    """Kept lines of orders refunded whole, and those orders."""
    return """
SELECT COALESCE(SUM(n), 0) AS n, COUNT(*) AS o FROM (
  SELECT cust_f, ogroup, COUNT(*) AS n FROM lines_net WHERE full_refund GROUP BY cust_f, ogroup
) AS o
"""


def _allocate(total: str, share: str, single: bool = False) -> str:
    """``total`` shared by the order's rows by ``share``, in cents; the cents lost to rounding go to
    the order's first row (``crmcli.orders.lines.allocate_cents``). ``single``: an order of one row
    (the same arithmetic, the sum of its parts its one part)."""
    part = f"ROUND_EVEN(({total}) * ({share}), 2)"
    parts = part if single else f"SUM({part}) OVER (PARTITION BY cust_f, ogroup)"
    return f"({part} + CASE WHEN rn = 1 THEN ROUND_EVEN(({total}) - {parts}, 2) ELSE 0 END)"


def lines_net_windowed(*, amount_order_level: bool, refund_order_level: bool, has_refund: bool) -> str:
    """The kept lines of orders of several rows (table ``lines_net_w``) with ``line_amount`` = their
    share of the order's net amount (amount less refund, ``crmcli.orders.lines.net_lines``) and
    ``full_refund`` for orders refunded whole, by windows over the order."""
    return _net_lines(False, amount_order_level=amount_order_level, refund_order_level=refund_order_level,
                      has_refund=has_refund)


def lines_net(*, amount_order_level: bool, refund_order_level: bool, has_refund: bool) -> str:
    """Every kept line with its net amount: ``lines_net_w`` and the orders of one row (``single``),
    each its own total (no window)."""
    single = _net_lines(True, amount_order_level=amount_order_level, refund_order_level=refund_order_level,
                        has_refund=has_refund)
    return f"SELECT {NET} FROM lines_net_w\nUNION ALL\nSELECT {NET} FROM ({single}) AS s"


#: The columns of ``lines_net``, in order.
NET = ("row, customer_id, order_id, ogroup, cust_f, order_date, rn, line_refund, line_amount, full_refund, channel_f, "
       "campaign_f, status_f, cls, date_ambiguous, single")


def net_single(*, amount_order_level: bool, refund_order_level: bool, has_refund: bool) -> str:
    """Every line of an order of one row (``order_rows`` = 1: its cells its own), whatever its
    ``reason``, with the net amount it has when kept (:func:`lines_net`' columns, and ``reason``,
    ``amount_f``, ``refund_status_f``): what a per-line figure (a pivot) reads without a join."""
    return _net_lines(True, amount_order_level=amount_order_level, refund_order_level=refund_order_level,
                      has_refund=has_refund, every=True)


def _net_lines(single: bool, *, amount_order_level: bool, refund_order_level: bool, has_refund: bool,
               every: bool = False) -> str:
    g = "PARTITION BY cust_f, ogroup"
    w = "line_value" if amount_order_level else "amount_f"
    if single:
        rn, gross, wsum = "CAST(1 AS BIGINT)", "amount_f", "wpos"
        refund = "COALESCE(refund_f, 0)" if has_refund else "0"
        share = "CAST(1.0 AS DOUBLE)"
    else:
        rn = f"ROW_NUMBER() OVER ({g} ORDER BY row)"
        gross = f"FIRST_VALUE(amount_f) OVER ({g} ORDER BY row)" if amount_order_level else f"SUM(amount_f) OVER ({g})"
        refund = "0"
        if has_refund:
            refund = (f"COALESCE(FIRST_VALUE(refund_f) OVER ({g} ORDER BY row), 0)" if refund_order_level
                      else f"SUM(COALESCE(refund_f, 0)) OVER ({g})")
        wsum = f"SUM(wpos) OVER ({g})"
        share = "CASE WHEN wsum > 0 THEN wpos / wsum WHEN rn = 1 THEN 1.0 ELSE 0.0 END"
    refunded = _allocate("refund_order", "share", single)
    if amount_order_level:
        line_amount = _allocate("ROUND_EVEN(gross_order - refund_order, 2)", "share", single)
    elif has_refund:
        line_amount = f"ROUND_EVEN(ROUND_EVEN(amount_f, 2) - {refunded}, 2)"
    else:
        line_amount = "ROUND_EVEN(amount_f, 2)"
    return f"""
SELECT row, cust_f AS customer_id, oid AS order_id, ogroup, cust_f, order_date_f AS order_date, rn,
  {refunded if has_refund else "0.0"} AS line_refund, {line_amount} AS line_amount,
  refund_order > 0 AND gross_order > 0 AND refund_order >= gross_order - 0.005 AS full_refund,
  channel_f, campaign_f, status_f, cls, date_ambiguous, {'TRUE' if single else 'FALSE'} AS single, reason, amount_f,
  refund_status_f
FROM (
  SELECT *, {share} AS share FROM (
    SELECT *, {gross} AS gross_order, {refund} AS refund_order, {wsum} AS wsum FROM (
      SELECT *, {rn} AS rn, CASE WHEN {w} IS NOT NULL AND {w} > 0 THEN {w} ELSE 0 END AS wpos
      FROM reasons WHERE {"" if every else "reason = '' AND "}order_rows {'=' if single else '>'} 1
    ) AS kept
  ) AS totals
) AS shared
"""


def orders(*, channel: bool, campaign: bool) -> str:
    """One row per counted order (``crmcli.orders.lines.group_orders``): earliest line's date, net
    amount in cents, refund, first line's channel and campaign; a credit note (net < 0) is no purchase.
    An order of one line is that line."""
    first = own = ""
    if channel:
        first += ", MAX(CASE WHEN rn = 1 THEN channel_f END) AS channel"
        own += ", channel_f AS channel"
    if campaign:
        first += ", MAX(CASE WHEN rn = 1 THEN campaign_f END) AS campaign"
        own += ", campaign_f AS campaign"
    return f"""
SELECT MIN(row) AS first_row, MAX(order_id) AS order_id, MAX(customer_id) AS customer_id,
  MIN(order_date) AS order_date, ROUND_EVEN(SUM(line_amount), 2) AS amount, SUM(line_refund) AS refund_amount,
  ROUND_EVEN(SUM(line_amount), 2) >= 0 AS is_purchase{first}
FROM lines_net WHERE NOT full_refund AND NOT single
GROUP BY cust_f, ogroup
UNION ALL
SELECT row AS first_row, order_id, customer_id, order_date, ROUND_EVEN(line_amount, 2) AS amount,
  line_refund AS refund_amount, ROUND_EVEN(line_amount, 2) >= 0 AS is_purchase{own}
FROM lines_net WHERE NOT full_refund AND single
"""


def unknown_statuses() -> str:
    """Status texts outside the vocabulary on counted lines, with the orders written with them."""
    return """
SELECT status, COUNT(*) AS n, MIN(first_row) AS first_row FROM (
  SELECT status_f AS status, cust_f, ogroup, MIN(row) AS first_row FROM lines_net
  WHERE NOT full_refund AND cls = '?' GROUP BY status_f, cust_f, ogroup
) AS o GROUP BY status ORDER BY n DESC, first_row
"""


def credit_notes() -> str:
    """Counted orders (``orders``), and of them credit notes (``n``) and their total."""
    return ("SELECT COUNT(*) AS orders, COALESCE(SUM(CASE WHEN NOT is_purchase THEN 1 ELSE 0 END), 0) AS n, "
            "COALESCE(SUM(CASE WHEN NOT is_purchase THEN amount ELSE 0 END), 0) AS total FROM orders")
