"""Then bought: item sets bought in one order, then an item in a later order of the same customer.

The unit is a customer. ``A ⇒ B`` counts the customers who bought ``A`` in an order and ``B`` in a
later order (a later order time) at most ``window`` days after it; ``{A, B} ⇒ C`` those who bought
``A`` and ``B`` in one order, then ``C``. Only antecedent orders whose window is over by ``as_of``
(order date + window ≤ as_of) count — in the rule's count and in ``antecedent_count`` alike — so a
recent purchase never looks like one that was not followed. ``consequent_count`` = customers who
bought the consequent at all; ``lift`` compares the rule with that base rate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from . import count as counting
from .tables import Rules, itemset_table


def then_bought(lines: pd.DataFrame, numbers: np.ndarray, item_codes: np.ndarray, labels: np.ndarray, *,
                window: int, as_of: pd.Timestamp | None, max_size: int, threshold: Callable[[int], int],
                notes: list[str]):
    """The then-bought :class:`~crmcli.basket.Basket` of the purchase lines (``order_date``,
    ``customer_id``); ``numbers`` = each line's order, ``item_codes`` into ``labels``."""
    from . import Basket

    dates = pd.to_datetime(lines["order_date"])
    ok = dates.notna().to_numpy() & (lines["customer_id"].astype("str") != "").to_numpy()
    if not ok.all():
        notes.append(f"{int((~ok).sum())} line(s) without an order date or customer left out")
    cust_codes, _ = pd.factorize(lines["customer_id"].astype("str").to_numpy()[ok])
    numbers, item_codes, dates = numbers[ok], item_codes[ok], dates[ok]
    m = len(labels)
    n_customers = int(cust_codes.max()) + 1 if len(cust_codes) else 0
    if not n_customers:
        return Basket(rules=Rules().table(0, labels), itemsets=itemset_table([], 0, labels), baskets=0, items=m,
                      unit="customers", by="product", threshold=threshold(0), min_support=0.0, window=window,
                      as_of=as_of)
    t0 = dates.min().normalize()
    end = as_of if as_of is not None else dates.max().normalize()
    end_day = int((end - t0).days)
    # one event per (order, item): an item bought twice in one order counts once
    ev = pd.DataFrame({"o": numbers, "i": item_codes, "c": cust_codes,
                       "s": (dates - t0).dt.total_seconds().to_numpy().astype(np.int64),
                       "d": (dates.dt.normalize() - t0).dt.days.to_numpy().astype(np.int64)})
    ev = ev.groupby(["o", "i"], sort=False).agg(c=("c", "first"), s=("s", "min"), d=("d", "min")).reset_index()
    later = ev["d"] > end_day
    if later.any():
        notes.append(f"{int(later.sum())} purchase(s) dated after as-of {end.date()} left out")
        ev = ev[~later]
    single = counting.item_counts(counting.basket_matrix(ev["c"].to_numpy(), ev["i"].to_numpy(), n_customers, m))
    thr = threshold(n_customers)
    frequent = single >= thr
    ev = ev[frequent[ev["i"].to_numpy()]]
    observable = (ev["d"] + window <= end_day).to_numpy()
    if (~observable).any():
        notes.append(f"{int((~observable).sum())} purchase(s) within {window} days of as-of {end.date()} are not "
                     f"antecedents (their window is not over yet)")
    ante = ev[observable]
    cons = (ev["c"].to_numpy(), ev["s"].to_numpy(), ev["d"].to_numpy(), ev["i"].to_numpy())
    rules = Rules()
    s_set, s_item, s_n = counting.sequence_counts(ante["c"].to_numpy(), ante["s"].to_numpy(), ante["d"].to_numpy(),
                                                  ante["i"].to_numpy(), np.arange(m, dtype=np.int64)[:, None], *cons,
                                                  window=window, n_items=m)
    ante_n = counting.item_counts(counting.basket_matrix(ante["c"].to_numpy(), ante["i"].to_numpy(), n_customers, m))
    keep = s_n >= thr
    rules.add(s_set[keep], s_item[keep], s_n[keep], ante_n[s_set[keep]], single[s_item[keep]])
    if max_size == 3:
        _add_pair_rules(rules, ante, cons, m, n_customers, thr, window, single)
    return Basket(rules=rules.table(n_customers, labels),
                  itemsets=itemset_table([(np.flatnonzero(frequent)[:, None], single[frequent])], n_customers, labels),
                  baskets=n_customers, items=m, unit="customers", by="product", threshold=thr, min_support=0.0,
                  window=window, as_of=end)


def _add_pair_rules(rules: Rules, ante: pd.DataFrame, cons: tuple[np.ndarray, ...], m: int, n_customers: int,
                    thr: int, window: int, single: np.ndarray) -> None:
    """``{a, b} ⇒ c``: a and b bought in one (observable) order, then c later within the window."""
    orders, o_codes = np.unique(ante["o"].to_numpy(), return_inverse=True)
    x = counting.basket_matrix(o_codes, ante["i"].to_numpy(), len(orders), m)
    cust = np.zeros(len(orders), dtype=np.int64)
    sec = np.zeros(len(orders), dtype=np.int64)
    day = np.zeros(len(orders), dtype=np.int64)
    cust[o_codes], sec[o_codes], day[o_codes] = ante["c"].to_numpy(), ante["s"].to_numpy(), ante["d"].to_numpy()
    a, b, _ = counting.pair_counts(x, 1)
    if not len(a):
        return
    both = counting.pair_columns(x, a, b).tocoo()  # (order, pair) events
    # the antecedent count: customers who bought the pair in one observable order
    ante_n = np.bincount(np.unique(both.col.astype(np.int64) * n_customers + cust[both.row]) // n_customers,
                         minlength=len(a))
    sel = (ante_n >= thr)[both.col]
    rows, cols = both.row[sel], both.col[sel].astype(np.int64)
    s_set, s_item, s_n = counting.sequence_counts(cust[rows], sec[rows], day[rows], cols, np.stack([a, b], 1), *cons,
                                                  window=window, n_items=m)
    keep = s_n >= thr
    s_set, s_item, s_n = s_set[keep], s_item[keep], s_n[keep]
    rules.add(np.stack([a[s_set], b[s_set]], 1), s_item, s_n, ante_n[s_set], single[s_item])
