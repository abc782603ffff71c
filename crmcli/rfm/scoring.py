"""The one scoring for every engine: from the per-customer figures (frequency, monetary, first and last
purchase) to scores by quantile cut points, segments, value tiers and tags (:func:`score_customers`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..segments import RuleTable, assign_segments, rescale_scores
from .options import DEFAULT_TIERS

COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "first_order", "last_order",
           "avg_order_value", "avg_days_between_orders", "r_score", "f_score", "m_score", "rfm_score", "segment",
           "tier", "tags"]
SUMMARY_COLUMNS = ["segment", "customers", "share", "revenue", "revenue_share", "orders", "aov"]
DIMENSIONS = {"r": "recency_days", "f": "frequency", "m": "monetary"}
_DAY = 86_400 * 10**9


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
    return np.asarray([t[0] for t in tiers], dtype=object)[_tier_index(monetary, _tier_shares(tiers))]


def _tier_shares(tiers: Sequence[tuple[str, float]]) -> np.ndarray:
    shares = np.array([float(t[1]) for t in tiers])
    if len(tiers) == 0 or (shares < 0).any() or abs(shares.sum() - 1) > 1e-9:
        raise UsageError("tier shares must be non-negative and add up to 1", hint="e.g. high=0.2, mid=0.3, low=0.5")
    return shares


def _tier_index(monetary: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Each customer's tier (a position in the tiers), see :func:`assign_tiers`."""
    n = len(monetary)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    monetary = np.asarray(monetary, dtype=np.float64)
    if np.isnan(monetary).any():   # pandas ranks a NaN nowhere: it falls in the last tier
        greater = pd.Series(monetary).rank(method="min", ascending=False).to_numpy() - 1
    else:   # the customers with a strictly larger monetary (a tie's first position in the descending order)
        order = np.argsort(monetary)
        ascending = monetary[order]
        change = ascending[1:] != ascending[:-1]
        last_of_tie = np.flatnonzero(np.append(change, True))
        greater = np.empty(n, dtype=np.int64)
        greater[order] = n - 1 - last_of_tie[np.cumsum(np.insert(change, 0, False))]
    return np.searchsorted(np.cumsum(shares)[:-1], greater / n, side="right")


def _text(labels: Sequence[str], index: np.ndarray) -> pd.Series:
    """The text column of ``labels[index]``, taken as one array (not a million Python strings)."""
    return pd.Series(pd.array(list(labels), dtype="str").take(np.asarray(index, dtype=np.intp)))


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
        "segment": _text(labels, seg_idx),
        "tier": _text([t[0] for t in tiers], _tier_index(monetary, _tier_shares(tiers))),
    })
    summary = summarize_segments(out, labels)
    return RfmResult(table=out, segments=summary, edges={d: [float(x) for x in e] for d, e in edges.items()},
                     edge_source=source, as_of=as_of_day, bins=bins, rules=table_rules, lang=lang, means=means,
                     dropped=dict(dropped or {}), notes=list(notes or []), mapping=dict(mapping or {}),
                     orders=int(frequency.sum()))


def _rfm_code(scores: Mapping[str, np.ndarray], bins: int) -> pd.Series:
    """``"545"``: the three scores side by side (joined by ``-`` when bins > 9)."""
    if bins <= 9:   # the text of each of the few distinct codes once (the codes are below 1000: counted, not sorted)
        code = np.asarray(scores["r"] * 100 + scores["f"] * 10 + scores["m"], dtype=np.intp)
        uniq = np.flatnonzero(np.bincount(code, minlength=1000))
        position = np.zeros(1000, dtype=np.intp)
        position[uniq] = np.arange(len(uniq))
        return _text([str(u) for u in uniq], position[code])
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


def tag_customers(result: RfmResult, tag_table: Any, *, churn_days: int = 90) -> RfmResult:
    """The ``tags`` column on ``result.table`` (``tag_table``: :func:`crmcli.tags.load_tag_rules`' rules)."""
    from ..tags import assign_tags

    result.table["tags"] = assign_tags(result.table, tag_table, as_of=result.as_of, churn_days=churn_days,
                                       lang=result.lang)
    return result
