"""``crm rfm`` on pandas: :func:`score_rfm` takes any accepted input (a path, a text table, prepared or typed
orders), makes the per-customer figures and hands them to :func:`.scoring.score_customers`; other
engines go through :func:`crmcli.engines.analytics.rfm_with_engine`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..options import parse_as_of
from ..orders import purchase_mask
from ..segments import RuleTable
from .options import DEFAULT_TIERS, check_rfm_options
from .scoring import _DAY, RfmResult, score_customers, tag_customers

#: The definitions ``crm rfm`` prints (and its help repeats).
RFM_DEFINITIONS = (
    "recency_days = as-of − last order date, in days (as-of: given, else the latest order date; inclusive); "
    "frequency = number of orders (distinct order ids; without an order id column each row is one; unpaid, "
    "cancelled and refunded orders are left out; a credit note — an order with a negative net amount — is not an "
    "order); monetary = total net amount, refunds and credit notes netted; avg_order_value = monetary ÷ frequency"
)


def _is_typed(df: pd.DataFrame) -> bool:
    return ({"customer_id", "order_date", "amount"} <= set(df.columns)
            and pd.api.types.is_datetime64_any_dtype(df["order_date"])
            and pd.api.types.is_numeric_dtype(df["amount"]))


def _typed_orders(orders: Any, *, customer: str | None, overrides: Mapping[str, str] | None, region: str,
                  dayfirst: bool | None, statuses: Mapping[str, str] | None = None
                  ) -> tuple[pd.DataFrame, bool, dict[str, int], list[str], dict[str, str], pd.DataFrame]:
    """(frame, rows_are_orders, dropped, notes, mapping, lines) for any accepted input."""
    from ..orders import prepare_orders
    from ..table import Table

    if not isinstance(orders, pd.DataFrame) and hasattr(orders, "orders") and hasattr(orders, "dropped"):
        return orders.orders, True, dict(orders.dropped), list(orders.notes), dict(orders.mapping), orders.lines
    if isinstance(orders, Table):
        p = prepare_orders(orders, customer=customer, statuses=statuses)
        return p.orders, True, dict(p.dropped), list(p.notes), dict(p.mapping), p.lines
    if not isinstance(orders, pd.DataFrame):
        raise TypeError("score_rfm needs a Table, a DataFrame or PreparedOrders")
    if customer is None and not overrides and _is_typed(orders):
        frame = orders
        dropped: dict[str, int] = {}
        bad_date = frame["order_date"].isna().to_numpy()
        bad_amount = ~np.isfinite(frame["amount"].to_numpy(dtype=np.float64, na_value=np.nan)) & ~bad_date
        cust = frame["customer_id"]
        bad_cust = (cust.isna() | (cust.astype("str") == "")).to_numpy() & ~bad_date & ~bad_amount
        for reason, mask in (("invalid-date", bad_date), ("invalid-amount", bad_amount),
                             ("missing-customer", bad_cust)):
            if mask.any():
                dropped[reason] = int(mask.sum())
        if dropped:
            frame = frame[~(bad_date | bad_amount | bad_cust)]
        return frame, "order_id" not in frame.columns, dropped, [], {}, frame
    p = prepare_orders(orders, overrides=overrides, customer=customer, region=region, dayfirst=dayfirst,
                       statuses=statuses)
    return p.orders, True, dict(p.dropped), list(p.notes), dict(p.mapping), p.lines


def score_rfm(orders: Any, *, read: Any = None, as_of: Any = None, bins: int = 5, breaks: Any = None, scheme: str | RuleTable = "rfm",
              customer: str | None = None, rules: Any = None, lang: str | None = None,
              tiers: Sequence[tuple[str, float]] = DEFAULT_TIERS, overrides: Mapping[str, str] | None = None,
              region: str = "CN", dayfirst: bool | None = None, statuses: Mapping[str, str] | None = None,
              clv: bool = False, clv_options: Mapping[str, Any] | None = None, churn_days: int = 90,
              tag_rules: Any = None, leads: Any = None, lead_overrides: Mapping[str, str] | None = None,
              engine: str | None = None, engine_options: Mapping[str, Any] | None = None) -> RfmResult:
    """Score customers by RFM: one row per customer with scores, segment and value tier.

    ``orders`` is a :func:`~crmcli.io.read_table` frame (text: mapped and normalized here via
    :func:`~crmcli.orders.prepare_orders`, with ``overrides`` = ``{field: column}``, ``customer``,
    ``region``, ``dayfirst``, ``statuses`` = crm.toml's ``[orders] status``), a
    :class:`~crmcli.orders.PreparedOrders`, or an already-typed frame with ``customer_id``,
    ``order_date`` (datetime64), ``amount`` (numeric) and optionally ``order_id`` (rows sharing
    one are one order; ``""`` = a row of its own) and ``is_purchase``; or a path, ``"-"`` or bytes
    to read (``read`` = :class:`~crmcli.options.ReadOptions`).

    ``breaks``: ``{"r": [...], "f": [...], "m": [...]}`` or ``["r=30,90,180,365", …]``, ``bins − 1``
    cut points per dimension given (the others use quantiles). ``rules``: a custom
    :class:`RuleTable` or the plain dict :func:`~crmcli.segments.load_rules` takes (overrides
    ``scheme``). ``lang``: ``"en"`` / ``"zh"`` segment labels (default: the table's language).

    ``tags`` (:mod:`crmcli.tags`): the rule table ``tag_rules`` (plain data as ``[[tags.rules]]``; None =
    the defaults: high value, churned and new by ``churn_days``, prospect). ``leads`` (a leads table or
    a path; ``lead_overrides`` maps its columns) adds a row per lead with no order (frequency 0), tagged
    prospect (潜在客户) by the defaults. ``avg_days_between_orders`` = (last − first order) ÷
    (frequency − 1), empty for one order.
    ``clv=True`` also fits CLV on the same prepared orders (:func:`crmcli.clv.fit_clv`, with
    ``clv_options`` such as ``horizon`` and ``discount``) and adds ``p_alive, expected_orders, clv,
    churn_risk`` to the table (``result.clv`` holds the fit).

    ``engine``: ``pandas`` (default), ``duckdb``, ``spark`` or ``auto`` (duckdb for a file over
    ``engine_options["big"]`` bytes): the same result computed there (:mod:`crmcli.engines`);
    ``engine_options`` also takes ``spark_master`` / ``session``. CLV and leads run on pandas only.
    """
    from ..engines import ENGINE_BIG_BYTES, analytics_engine

    options = dict(engine_options or {})
    where = analytics_engine(engine, orders, big=options.pop("big", ENGINE_BIG_BYTES),
                             supported=not clv and leads is None, what="--clv / --leads")
    if where != "pandas":
        from ..engines.analytics import rfm_with_engine

        return rfm_with_engine(orders, engine=where, options=options, read=read, overrides=overrides,
                               customer=customer, region=region, dayfirst=dayfirst, statuses=statuses, as_of=as_of,
                               bins=bins, breaks=breaks, scheme=scheme, rules=rules, lang=lang, tiers=tiers,
                               churn_days=churn_days, tag_rules=tag_rules)
    from ..tags import load_tag_rules

    tag_table = load_tag_rules(tag_rules)   # checked before the work
    table_rules, lang, cuts = check_rfm_options(bins, scheme, rules, lang, breaks)
    as_of_day = parse_as_of(as_of)

    if not isinstance(orders, pd.DataFrame) and not hasattr(orders, "dropped"):
        from ..normalize import normalize_table

        orders = normalize_table(orders, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
    prepared = orders if hasattr(orders, "dropped") else None
    if clv and prepared is None and not (isinstance(orders, pd.DataFrame) and _is_typed(orders)):
        from ..orders import prepare_orders  # prepared once: the scores and the CLV fit use the same orders

        orders = prepared = prepare_orders(orders, overrides=overrides, customer=customer, region=region,
                                           dayfirst=dayfirst, statuses=statuses)
    frame, rows_are_orders, dropped, notes, mapping, lines = _typed_orders(
        orders, customer=customer, overrides=overrides, region=region, dayfirst=dayfirst, statuses=statuses)

    dates = frame["order_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    days = dates - dates % _DAY  # floor to the day (dates are after 1970 or fine either way for ordering)
    if as_of_day is None:
        if len(dates) == 0:
            raise DataError("no orders with a valid date, amount and customer to score" + _left_out(dropped),
                             hint="check the date/amount columns (crm inspect), or {opt:map} them")
        as_of_day = pd.Timestamp(int(days.max()))
    as_of_ns = as_of_day.as_unit("ns").value
    later = days > as_of_ns
    if later.any():
        dropped["after-as-of"] = int(later.sum())
        keep = ~later
        frame, dates, days = frame[keep], dates[keep], days[keep]
    if len(frame) == 0:
        raise DataError(f"no orders on or before {as_of_day.date()} to score" + _left_out(dropped),
                        hint="check {opt:as_of}")

    cust_codes, cust_uniques = pd.factorize(frame["customer_id"].astype("str"), sort=True)
    ncust = len(cust_uniques)
    amount = frame["amount"].to_numpy(dtype=np.float64)

    if rows_are_orders or "order_id" not in frame.columns:
        order_cust, order_amount, order_dates = cust_codes, amount, dates
        purchase = purchase_mask(frame)
    else:
        order_cust, order_amount, order_dates = _collapse_orders(frame["order_id"], cust_codes, amount, dates)
        purchase = ~(np.round(order_amount, 2) < 0)

    monetary = np.round(np.bincount(order_cust, weights=order_amount, minlength=ncust), 2) + 0.0
    all_purchases = bool(purchase.all())
    p_cust, p_dates = (order_cust, order_dates) if all_purchases else (order_cust[purchase], order_dates[purchase])
    frequency = np.bincount(p_cust, minlength=ncust)
    first = np.full(ncust, np.iinfo(np.int64).max)
    last = np.full(ncust, np.iinfo(np.int64).min)
    np.minimum.at(first, p_cust, p_dates)
    np.maximum.at(last, p_cust, p_dates)
    if not all_purchases:
        buyers = frequency > 0
        if not buyers.any():
            raise DataError(f"no purchases on or before {as_of_day.date()} to score: every order is a credit note "
                            f"(a negative net amount)" + _left_out(dropped), hint="check the amount column and {opt:as_of}")
        if not buyers.all():
            gone = int((~buyers).sum())
            notes.append(f"{gone} customer{'s' if gone != 1 else ''} with only credit notes (net "
                         f"{float(monetary[~buyers].sum()):,.2f}) ha{'ve' if gone != 1 else 's'} no RFM row")
            cust_uniques, frequency, monetary = cust_uniques[buyers], frequency[buyers], monetary[buyers]
            first, last = first[buyers], last[buyers]
            ncust = len(cust_uniques)
    result = score_customers(cust_uniques, frequency, monetary, first, last, as_of_day, bins=bins, cuts=cuts,
                             rules=table_rules, lang=lang, tiers=tiers, dropped=dropped, notes=notes, mapping=mapping)
    if leads is not None:
        from ..metrics import prepare_leads
        from ..tags import prospect_rows

        typed = prepare_leads(leads, overrides=lead_overrides, region=region, dayfirst=dayfirst)
        extra = prospect_rows(typed, lines, set(result.table["customer_id"]))
        result.prospects = len(extra)
        if result.prospects:
            out = pd.concat([result.table, extra], ignore_index=True)
            for col in ("rfm_score", "segment", "tier"):
                out[col] = out[col].fillna("").astype("str")
            result.table = out
            result.notes.append(f"{result.prospects} lead(s) with no order listed as prospects (frequency 0)")
    tag_customers(result, tag_table, churn_days=churn_days)
    if clv:
        from ..clv import add_clv

        result, result.clv = add_clv(result, prepared if prepared is not None else frame, tiers=tiers,
                                     **dict(clv_options or {}))
    return result


def _left_out(dropped: Mapping[str, int]) -> str:
    return f" ({', '.join(f'{n} {k}' for k, n in dropped.items())})" if dropped else ""


def _collapse_orders(order_id: pd.Series, cust_codes: np.ndarray, amount: np.ndarray,
                     dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sharing (customer, order_id) become one order: amount summed, date = earliest row."""
    oid = order_id.astype("str")
    ocodes, ouniq = pd.factorize(oid)
    base = len(ouniq)
    if base == len(oid):
        return cust_codes, amount, dates  # every order id distinct: each row is an order
    empty = (oid == "").to_numpy()
    if empty.any():  # a row without an order id is an order of its own
        ocodes = ocodes.copy()
        ocodes[empty] = base + np.arange(int(empty.sum()))
        base += int(empty.sum())
    pair = cust_codes.astype(np.int64) * base + ocodes
    pcodes, puniq = pd.factorize(pair)
    if len(puniq) == len(pair):
        return cust_codes, amount, dates
    n = len(puniq)
    order_cust = (puniq // base).astype(np.intp)
    order_amount = np.bincount(pcodes, weights=amount, minlength=n)
    order_dates = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(order_dates, pcodes, dates)
    return order_cust, order_amount, order_dates
