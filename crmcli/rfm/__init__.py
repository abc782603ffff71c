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

Modules: :mod:`.options` (the options checked once), :mod:`.scoring` (the one scoring for every
engine), :mod:`.score` (:func:`score_rfm`, the pandas path and the one call).
"""

from .options import BREAK_KEYS, DEFAULT_TIERS, check_rfm_options, parse_breaks, parse_tiers, resolve_rules
from .score import RFM_DEFINITIONS, score_rfm
from .scoring import (COLUMNS, DIMENSIONS, SUMMARY_COLUMNS, RfmResult, assign_tiers, describe_edges, quantile_edges,
                      score_customers, score_values, summarize_segments, tag_customers)

__all__ = ["BREAK_KEYS", "COLUMNS", "DEFAULT_TIERS", "DIMENSIONS", "RFM_DEFINITIONS", "SUMMARY_COLUMNS", "RfmResult",
           "assign_tiers", "check_rfm_options", "describe_edges", "parse_breaks", "parse_tiers", "quantile_edges",
           "resolve_rules", "score_customers", "score_rfm", "score_values", "summarize_segments", "tag_customers"]
