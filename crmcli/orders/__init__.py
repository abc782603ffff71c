"""Orders as shops export them, prepared once for every analysis (rfm, metrics, pivot, report).

:mod:`.prepare` holds :func:`prepare_orders` (mapping, line rows, amounts, refunds, credit
notes); :mod:`.lines` line rows (orders of several rows, order-level cells, net amounts);
:mod:`.status` the order-status vocabulary and classes; :mod:`.notes` the sentences of the notes.
"""

from .lines import FIRST_LINE_FIELDS, group_orders, order_numbers
from .notes import status_sentence
from .prepare import DROP_REASONS, NUMERIC_FIELDS, ORDER_LEVEL_FIELDS, PreparedOrders, prepare_orders, purchase_mask
from .status import (
                     CLASSES,
                     LEFT_OUT_CLASSES,
                     LEFT_OUT_LABELS,
                     VOCABULARY,
                     parse_status_classes,
                     status_key,
                     status_table,
)

__all__ = [
                      "CLASSES",
                      "DROP_REASONS",
                      "FIRST_LINE_FIELDS",
                      "LEFT_OUT_CLASSES",
                      "LEFT_OUT_LABELS",
                      "NUMERIC_FIELDS",
                      "ORDER_LEVEL_FIELDS",
                      "VOCABULARY",
                      "PreparedOrders",
                      "group_orders",
                      "order_numbers",
                      "parse_status_classes",
                      "prepare_orders",
                      "purchase_mask",
                      "status_key",
                      "status_sentence",
                      "status_table",
]
