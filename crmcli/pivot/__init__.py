"""Excel-style pivot tables and crosstabs (交叉分析): :func:`pivot_table` (:mod:`.table`; what it takes and
gives in :mod:`.spec`, its shape from the aggregates in :mod:`.shape`), with Excel's "Show Values As"
(:mod:`.show`), several values, row conditions and a top N with the rest as Other."""

from .show import show_values
from .spec import (AGGS, BLANK, MAX_CELLS, MAX_COLUMNS, ORDER_RULE_REASONS, OTHER, SHOW_FORMATS, SHOWS, TOTAL, Pivot,
                   ValueSpec, parse_values)
from .table import pivot_table

__all__ = ["AGGS", "BLANK", "MAX_CELLS", "MAX_COLUMNS", "ORDER_RULE_REASONS", "OTHER", "SHOWS", "SHOW_FORMATS",
           "TOTAL", "Pivot", "ValueSpec", "parse_values", "pivot_table", "show_values"]
