"""Canonical fields and the mapping of real-world headers onto them.

A header matches a field when its *key* (lower-cased, with spaces, punctuation and
underscores removed, full-width characters folded; a unit in brackets such as ``(元)``
ignored) equals the key of one of the field's synonyms. English and Chinese synonyms are
listed, with the header sets of the shop platforms' exports (Taobao/Tmall, JD, Pinduoduo,
Youzan, Shopify, WooCommerce); ``--map FIELD=COLUMN`` overrides. When several columns name
a field, the best-ranked one takes it (:data:`AMOUNT_SOURCES`, :data:`BUYER_ACCOUNTS`);
generic headers are confirmed by their values (:func:`map_table`).
"""

from .headers import (AMOUNT_LABELS, AMOUNT_SOURCES, BUYER_ACCOUNTS, CONTEXT_HEADERS, FIELDS, GENERIC_ALTERNATIVES,
                      GENERIC_HEADERS, ORDER_FIELDS, PLACEHOLDERS, STAND_INS, SYNONYMS, amount_source, context_fields,
                      field_for_header, header_key, header_rank, is_generic, lookup_key)
from .mapping import ColumnMap, column_for, find_column, map_columns, map_table, parse_map_options, resolve_header

__all__ = ["AMOUNT_LABELS", "AMOUNT_SOURCES", "BUYER_ACCOUNTS", "CONTEXT_HEADERS", "FIELDS", "GENERIC_ALTERNATIVES",
           "GENERIC_HEADERS", "ORDER_FIELDS", "PLACEHOLDERS", "STAND_INS", "SYNONYMS", "ColumnMap", "amount_source",
           "column_for", "context_fields", "field_for_header", "find_column", "header_key", "header_rank",
           "is_generic", "lookup_key", "map_columns", "map_table", "parse_map_options", "resolve_header"]
