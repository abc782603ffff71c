"""RFM: recency, frequency, monetary per customer; scores, segments and value tiers.

Definitions (DESIGN.md "RFM and metrics definitions"):

- ``as_of`` (observation end): given, else the latest order date; inclusive — orders dated
  after it are left out (and counted).
- An order is a distinct ``order_id`` of a customer (without an order id, each row is one).
  A *credit note* — an order whose net amount is negative (a return with its own id, a
  ``C…`` invoice; ``is_purchase`` False in :func:`~crmcli.orders.prepare_orders`) — nets into
  monetary but is not a purchase: it counts in no frequency, first/last order or recency. A
  customer with only credit notes has no row (counted in ``notes``).
- ``recency_days`` = as_of − the customer's last purchase date, in whole days;
  ``frequency`` = number of purchases; ``monetary`` = total net amount in cents (refunds and
  credit notes netted); ``avg_order_value`` = monetary ÷ frequency, in cents;
  ``first_order`` / ``last_order`` = the first and last purchase dates.
- Scores 1..bins by quantiles of the customers' values where **equal values always get the
  same score**: the cut points are the k/bins quantiles (``inverted_cdf``: each one is an
  observed value) and a value scores the first bin whose cut point it does not exceed
  (score k covers ``(edge[k-2], edge[k-1]]``). Recency is reversed (recent = high). When many
  customers share a value (half of them with one order) cut points coincide and a score is
  skipped, never split. ``breaks`` sets the cut points instead. The edges used are in
  :attr:`RfmResult.edges`.
- Segments: a :class:`~crmcli.segments.RuleTable`, first match wins, else Others
  (``rfm`` = the 10-rule score table, ``cn8`` = 8 classes by high/low against the mean).
- Tier: ``high`` / ``mid`` / ``low`` = top 20 % / next 30 % / bottom 50 % of customers by
  monetary; customers with equal monetary share a tier (the better one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, UsageError
from .options import parse_as_of
from .orders import purchase_mask
from .segments import RuleTable, assign_segments, get_scheme, load_rules, rescale_scores

COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "first_order", "last_order",
           "avg_order_value", "avg_days_between_orders", "r_score", "f_score", "m_score", "rfm_score", "segment",
           "tier", "tags"]
SUMMARY_COLUMNS = ["segment", "customers", "share", "revenue", "revenue_share", "orders", "aov"]
DIMENSIONS = {"r": "recency_days", "f": "frequency", "m": "monetary"}
DEFAULT_TIERS: tuple[tuple[str, float], ...] = (("high", 0.2), ("mid", 0.3), ("low", 0.5))
_DAY = 86_400 * 10**9
#: The definitions ``crm rfm`` prints (and its help repeats).
RFM_DEFINITIONS = (
    "recency_days = as-of − last order date, in days (as-of: given, else the latest order date; inclusive); "
    "frequency = number of orders (distinct order ids; without an order id column each row is one; unpaid, "
    "cancelled and refunded orders are left out; a credit note — an order with a negative net amount — is not an "
    "order); monetary = total net amount, refunds and credit notes netted; avg_order_value = monetary ÷ frequency"
)
#: How a dimension of ``breaks`` may be named (``--breaks r=…``, crm.toml ``[rfm.breaks] recency = […]``).
BREAK_KEYS = {"r": "r", "recency": "r", "recency_days": "r", "f": "f", "frequency": "f", "m": "m", "monetary": "m"}


@dataclass
class RfmResult:
    """What :func:`score_rfm` computed. ``table`` is the one-row-per-customer output."""

    table: pd.DataFrame
    segments: pd.DataFrame
    #: Cut points per dimension (``"r"``, ``"f"``, ``"m"``), in the dimension's units;
    #: score k (k = 1..bins, before reversing recency) covers ``(edges[k-2], edges[k-1]]``.
    edges: dict[str, list[float]]
    edge_source: dict[str, str]            # "quantiles" or "breaks", per dimension
    as_of: pd.Timestamp
    bins: int
    rules: RuleTable
    lang: str
    means: dict[str, float]                # mean recency_days / frequency / monetary (cn8's thresholds)
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    orders: int = 0                        # orders scored (within as_of)
    #: With ``clv=True``: the :class:`~crmcli.clv.ClvResult` whose columns were added to ``table``.
    clv: Any = None
    prospects: int = 0                     # leads with no order, listed with frequency 0 (``leads=``)


# ----------------------------------------------------------------- option parsing


def parse_breaks(items: Sequence[str] | Mapping[str, Any] | None, bins: int) -> dict[str, np.ndarray]:
    """Explicit cut points per dimension.

    From CLI items ``["r=30,90,180,365", "f=1,2,5,10"]`` or a mapping ``{"r": [30, 90, 180, 365]}``
    (keys r/f/m or recency/frequency/monetary). Each needs ``bins - 1`` strictly increasing
    numbers; a value ≤ a cut point falls in the lower bin (for recency: the higher score).
    """
    if not items:
        return {}
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        pairs = []
        for item in items:
            key, sep, vals = str(item).partition("=")
            if not sep:
                raise UsageError(f"{{opt:breaks}} {item!r} is not DIM=CUT,CUT,…", hint="e.g. {opt:breaks} r=30,90,180,365")
            pairs.append((key, vals))
    out: dict[str, np.ndarray] = {}
    for key, vals in pairs:
        dim = BREAK_KEYS.get(str(key).strip().lower())
        if dim is None:
            raise UsageError(f"{{opt:breaks}} names unknown dimension {key!r}", hint="use r=, f= or m=")
        if isinstance(vals, str):
            parts = [v for v in vals.replace("，", ",").split(",") if v.strip()]
        else:
            parts = list(vals)
        try:
            cuts = np.array([float(v) for v in parts], dtype=np.float64)
        except (TypeError, ValueError):
            raise UsageError(f"{{opt:breaks}} {key}: {vals!r} are not numbers") from None
        if len(cuts) != bins - 1:
            raise UsageError(f"{{opt:breaks}} {key} has {len(cuts)} cut points; {bins} bins need {bins - 1}",
                             hint=f"e.g. {{opt:breaks}} {key}=" + ",".join(str(10 * (i + 1)) for i in range(bins - 1)))
        if not np.isfinite(cuts).all() or (np.diff(cuts) <= 0).any():
            raise UsageError(f"{{opt:breaks}} {key}: cut points must be finite and strictly increasing")
        out[dim] = cuts
    return out


def resolve_rules(scheme: str | RuleTable, rules: Any) -> RuleTable:
    if rules is None:
        return get_scheme(scheme)
    if isinstance(rules, RuleTable):
        return rules
    return load_rules(rules)


# ----------------------------------------------------------------- scoring primitives


def quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """The k/bins quantiles (k = 1..bins−1) of ``values``, each an observed value."""
    if len(values) == 0:
        return np.zeros(bins - 1)
    qs = np.arange(1, bins) / bins
    return np.quantile(values, qs, method="inverted_cdf").astype(np.float64)


def score_values(values: np.ndarray, edges: np.ndarray, *, reverse: bool = False) -> np.ndarray:
    """Scores 1..len(edges)+1: 1 + the number of cut points strictly below the value.

    Equal values get equal scores; the score never decreases as the value grows (never
    increases with ``reverse``).
    """
    pos = np.searchsorted(edges, values, side="left")
    bins = len(edges) + 1
    return (bins - pos) if reverse else (pos + 1)


def assign_tiers(monetary: np.ndarray, tiers: Sequence[tuple[str, float]] = DEFAULT_TIERS) -> np.ndarray:
    """Tier label per customer: ranked by monetary (highest first), the first ``share`` of
    customers get the first label, and so on; ties share the better tier."""
    names = [t[0] for t in tiers]
    shares = np.array([float(t[1]) for t in tiers])
    if len(tiers) == 0 or (shares < 0).any() or abs(shares.sum() - 1) > 1e-9:
        raise UsageError("tier shares must be non-negative and add up to 1", hint="e.g. high=0.2, mid=0.3, low=0.5")
    n = len(monetary)
    if n == 0:
        return np.array([], dtype=object)
    # position of the first customer with the same monetary in the descending order
    rank_min = pd.Series(monetary).rank(method="min", ascending=False).to_numpy() - 1
    before = rank_min / n
    bounds = np.cumsum(shares)[:-1]
    idx = np.searchsorted(bounds, before, side="right")
    return np.asarray(names, dtype=object)[idx]


# ----------------------------------------------------------------- input


def _is_typed(df: pd.DataFrame) -> bool:
    return ({"customer_id", "order_date", "amount"} <= set(df.columns)
            and pd.api.types.is_datetime64_any_dtype(df["order_date"])
            and pd.api.types.is_numeric_dtype(df["amount"]))


def _typed_orders(orders: Any, *, customer: str | None, overrides: Mapping[str, str] | None, region: str,
                  dayfirst: bool | None, statuses: Mapping[str, str] | None = None
                  ) -> tuple[pd.DataFrame, bool, dict[str, int], list[str], dict[str, str], pd.DataFrame]:
    """(frame, rows_are_orders, dropped, notes, mapping, lines) for any accepted input."""
    from .orders import prepare_orders
    from .table import Table

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


# ----------------------------------------------------------------- the one call


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
    from .engines import ENGINE_BIG_BYTES, analytics_engine

    options = dict(engine_options or {})
    where = analytics_engine(engine, orders, big=options.pop("big", ENGINE_BIG_BYTES),
                             supported=not clv and leads is None, what="--clv / --leads")
    if where != "pandas":
        from .engines.analytics import rfm_with_engine

        return rfm_with_engine(orders, engine=where, options=options, read=read, overrides=overrides,
                               customer=customer, region=region, dayfirst=dayfirst, statuses=statuses, as_of=as_of,
                               bins=bins, breaks=breaks, scheme=scheme, rules=rules, lang=lang, tiers=tiers,
                               churn_days=churn_days, tag_rules=tag_rules)
    from .tags import load_tag_rules

    tag_table = load_tag_rules(tag_rules)   # checked before the work
    table_rules, lang, cuts = check_rfm_options(bins, scheme, rules, lang, breaks)
    as_of_day = parse_as_of(as_of)

    if not isinstance(orders, pd.DataFrame) and not hasattr(orders, "dropped"):
        from .normalize import normalize_table

        orders = normalize_table(orders, read=read, overrides=overrides, region=region, dayfirst=dayfirst)
    prepared = orders if hasattr(orders, "dropped") else None
    if clv and prepared is None and not (isinstance(orders, pd.DataFrame) and _is_typed(orders)):
        from .orders import prepare_orders  # prepared once: the scores and the CLV fit use the same orders

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
        from .metrics import prepare_leads
        from .tags import prospect_rows

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
        from .clv import add_clv

        result, result.clv = add_clv(result, prepared if prepared is not None else frame, tiers=tiers,
                                     **dict(clv_options or {}))
    return result


def check_rfm_options(bins: Any, scheme: str | RuleTable, rules: Any, lang: str | None,
                      breaks: Any) -> tuple[RuleTable, str, dict[str, np.ndarray]]:
    """``(rule table, lang, cut points)`` for score_rfm's options on any engine; a UsageError for a bad one."""
    if not isinstance(bins, int) or isinstance(bins, bool) or not 2 <= bins <= 20:
        raise UsageError(f"{{opt:bins}} {bins!r} must be a whole number from 2 to 20")
    table_rules = resolve_rules(scheme, rules)
    lang = (lang or table_rules.lang).lower()
    if lang not in ("en", "zh"):
        raise UsageError(f"{{opt:lang}} {lang!r} is not en or zh")
    return table_rules, lang, parse_breaks(breaks, bins)


def tag_customers(result: RfmResult, tag_table: Any, *, churn_days: int = 90) -> RfmResult:
    """The ``tags`` column on ``result.table`` (``tag_table``: :func:`crmcli.tags.load_tag_rules`' rules)."""
    from .tags import assign_tags

    result.table["tags"] = assign_tags(result.table, tag_table, as_of=result.as_of, churn_days=churn_days,
                                       lang=result.lang)
    return result


def score_customers(customers: Any, frequency: np.ndarray, monetary: np.ndarray, first: np.ndarray,
                    last: np.ndarray, as_of_day: pd.Timestamp, *, bins: int, cuts: Mapping[str, np.ndarray],
                    rules: RuleTable, lang: str, tiers: Sequence[tuple[str, float]] = DEFAULT_TIERS,
                    dropped: dict[str, int] | None = None, notes: list[str] | None = None,
                    mapping: dict[str, str] | None = None) -> RfmResult:
    """Scores, segments and tiers from the per-customer figures (customers with a purchase, in
    customer order; ``first``/``last`` purchase times in ns): the one scoring for every engine."""
    table_rules = rules
    as_of_ns = as_of_day.as_unit("ns").value
    cust_uniques = customers
    recency = (as_of_ns - (last - last % _DAY)) // _DAY

    values = {"r": recency, "f": frequency, "m": monetary}
    edges: dict[str, np.ndarray] = {}
    source: dict[str, str] = {}
    scores: dict[str, np.ndarray] = {}
    for dim, vals in values.items():
        if dim in cuts:
            edges[dim], source[dim] = cuts[dim], "breaks"
        else:
            edges[dim], source[dim] = quantile_edges(vals, bins), "quantiles"
        scores[dim] = score_values(vals, edges[dim], reverse=(dim == "r"))

    means = {"recency_days": float(recency.mean()), "frequency": float(frequency.mean()),
             "monetary": float(monetary.mean())}
    if table_rules.basis == "mean":
        lv = {"r": (recency < means["recency_days"]).astype(np.int64),
              "f": (frequency > means["frequency"]).astype(np.int64),
              "m": (monetary > means["monetary"]).astype(np.int64)}
    else:
        lv = {d: rescale_scores(scores[d], bins, table_rules.bins) - 1 for d in "rfm"}
    seg_idx = assign_segments(table_rules, lv["r"], lv["f"], lv["m"])
    labels = table_rules.labels(lang)
    segment = np.asarray(labels, dtype=object)[seg_idx]

    out = pd.DataFrame({
        "customer_id": pd.Series(cust_uniques, dtype="str"),
        "recency_days": recency.astype(np.int64),
        "frequency": frequency.astype(np.int64),
        "monetary": monetary,
        "first_order": pd.to_datetime((first - first % _DAY).astype("datetime64[ns]")),
        "last_order": pd.to_datetime((last - last % _DAY).astype("datetime64[ns]")),
        "avg_order_value": np.round(monetary / frequency, 2),
        "avg_days_between_orders": np.where(frequency > 1, ((last - first) / _DAY) / np.maximum(frequency - 1, 1),
                                            np.nan).round(1),
        "r_score": scores["r"].astype(np.int64),
        "f_score": scores["f"].astype(np.int64),
        "m_score": scores["m"].astype(np.int64),
        "rfm_score": _rfm_code(scores, bins),
        "segment": pd.Series(segment, dtype="str"),
        "tier": pd.Series(assign_tiers(monetary, tiers), dtype="str"),
    })
    summary = summarize_segments(out, labels)
    return RfmResult(table=out, segments=summary, edges={d: [float(x) for x in e] for d, e in edges.items()},
                     edge_source=source, as_of=as_of_day, bins=bins, rules=table_rules, lang=lang, means=means,
                     dropped=dict(dropped or {}), notes=list(notes or []), mapping=dict(mapping or {}),
                     orders=int(frequency.sum()))


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


def _rfm_code(scores: Mapping[str, np.ndarray], bins: int) -> pd.Series:
    """``"545"``: the three scores side by side (joined by ``-`` when bins > 9)."""
    if bins <= 9:   # the text of each of the few distinct codes once
        uniq, codes = np.unique(scores["r"] * 100 + scores["f"] * 10 + scores["m"], return_inverse=True)
        return pd.Series(uniq.astype(str).astype(object)[codes.reshape(-1)], dtype="str")
    r, f, m = (pd.Series(scores[d]).astype("str") for d in "rfm")
    return (r + "-" + f + "-" + m).astype("str")


def summarize_segments(table: pd.DataFrame, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Per segment: customers, share, revenue, revenue_share, orders, aov (revenue ÷ orders).

    Rows follow ``labels`` (the rule order, then Others) and list empty segments too.
    """
    g = table.groupby("segment", sort=False, observed=True).agg(
        customers=("customer_id", "size"), revenue=("monetary", "sum"), orders=("frequency", "sum"))
    order = list(dict.fromkeys(labels)) if labels is not None else list(g.index)
    g = g.reindex(order).fillna(0)
    total_c = max(len(table), 1)
    total_r = float(table["monetary"].sum())
    out = pd.DataFrame({
        "segment": pd.Series(order, dtype="str"),
        "customers": g["customers"].to_numpy(dtype=np.int64),
        "share": g["customers"].to_numpy(dtype=np.float64) / total_c,
        "revenue": np.round(g["revenue"].to_numpy(dtype=np.float64), 2) + 0.0,
        "revenue_share": (g["revenue"].to_numpy(dtype=np.float64) / total_r) if total_r else np.nan,
        "orders": g["orders"].to_numpy(dtype=np.int64),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["aov"] = np.round(np.where(out["orders"] > 0, out["revenue"] / out["orders"].where(out["orders"] > 0, 1),
                                       np.nan), 2)
    return out


def describe_edges(result: RfmResult) -> list[str]:
    """Human lines for the edges used, e.g. ``R (recency_days, quantiles): 5 if ≤ 12, 4 if ≤ 45, …, else 1``."""
    lines = []
    for dim, col in DIMENSIONS.items():
        e = result.edges[dim]
        reverse = dim == "r"
        parts = []
        for k in range(result.bins):
            score = result.bins - k if reverse else k + 1
            parts.append(f"{score} if ≤ {_num(e[k])}" if k < len(e) else f"else {score}")
        empty = _empty_scores(e, result.bins, reverse)
        tail = f"  (no customer scores {', '.join(map(str, empty))}: tied values)" if empty else ""
        lines.append(f"{dim.upper()} ({col}, {result.edge_source[dim]}): " + ", ".join(parts) + tail)
    return lines


def _empty_scores(edges: Sequence[float], bins: int, reverse: bool) -> list[int]:
    out = []
    for k in range(1, len(edges)):
        if edges[k] == edges[k - 1]:
            out.append(bins - k if reverse else k + 1)
    return sorted(out)


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"



def parse_tiers(spec: str | Sequence[float] | None) -> tuple[tuple[str, float], ...]:
    """Tier shares from ``"20,30"`` / ``"20,30,50"`` (percent of customers for high, mid[, low]),
    or a sequence of fractions; None = the default 20 / 30 / 50."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return DEFAULT_TIERS
    try:
        parts = [float(v) for v in (spec.split(",") if isinstance(spec, str) else spec)]
    except (TypeError, ValueError):
        raise UsageError(f"{{opt:tiers}} {spec!r} is not HIGH,MID[,LOW] percentages", hint="e.g. {opt:tiers} 20,30") from None
    if parts and max(parts) > 1:  # percentages
        parts = [v / 100 for v in parts]
    if len(parts) == 2:
        parts.append(1 - sum(parts))
    if len(parts) != 3 or min(parts) < 0 or abs(sum(parts) - 1) > 1e-6:
        raise UsageError(f"{{opt:tiers}} {spec!r}: high, mid and low must be non-negative and add up to 100%",
                         hint="e.g. {opt:tiers} 20,30 (low = the remaining 50)")
    return tuple(zip(("high", "mid", "low"), parts))
