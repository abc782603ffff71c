"""crm: clean, validate, dedupe and analyse customer and order spreadsheets.

The public API: every CLI command is one call to one of these.
"""

from .dedupe import dedupe_table, explain_pair, find_duplicates, merge_duplicates
from .describe import inspect_table, profile_columns
from .errors import CrmError, ExitCode
from .io import read_table, source_info, write_table, write_workbook
from .schema import FIELDS, map_columns

__version__ = "0.1.0"

__all__ = [
    "FIELDS", "CrmError", "ExitCode", "dedupe_table", "explain_pair", "find_duplicates", "inspect_table",
    "merge_duplicates", "map_columns", "profile_columns",
    "read_table", "source_info", "write_table", "write_workbook", "__version__",
]
