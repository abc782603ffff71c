"""crm: clean, validate, dedupe and analyse customer and order spreadsheets.

The public API: every CLI command is one call to one of these.
"""

from .clean import CleanResult, clean_table, write_cleaned
from .dedupe import dedupe_table, explain_pair, find_duplicates, merge_duplicates
from .describe import inspect_table, profile_columns
from .errors import CrmError, ExitCode
from .io import read_table, source_info, write_table, write_workbook
from .fields import FIELD_KINDS, Normalized, normalize_field
from .metrics import compute_metrics
from .pivot import pivot_table
from .orders import PreparedOrders, prepare_orders
from .rfm import RfmResult, score_rfm
from .schema import FIELDS, map_columns
from .segments import RuleTable, SegmentRule, describe_rules, load_rules
from .validate import find_issues

__version__ = "0.1.0"

#: Loaded on first use (scipy and statsmodels take seconds to import; most commands never need them).
_LAZY = {"ClvResult": "clv", "fit_clv": "clv", "ForecastResult": "forecast", "forecast_sales": "forecast"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "FIELDS", "FIELD_KINDS", "CleanResult", "CrmError", "ExitCode", "Normalized", "clean_table", "find_issues",
    "inspect_table", "map_columns", "normalize_field", "profile_columns", "read_table", "source_info",
    "write_cleaned", "write_table", "write_workbook", "__version__",
    "compute_metrics", "pivot_table",
    "PreparedOrders", "prepare_orders", "RfmResult", "score_rfm", "RuleTable", "SegmentRule", "describe_rules",
    "load_rules",
    "dedupe_table", "explain_pair", "find_duplicates", "merge_duplicates",
    "ClvResult", "fit_clv", "ForecastResult", "forecast_sales",
]
