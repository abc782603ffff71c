"""Tables larger than memory on one machine: read, normalized, checked and written in batches.

:mod:`.source` reads a CSV/TSV/Parquet file a batch at a time; :mod:`.plan` holds the decisions
made once from its head (column mapping, day/month order, date shape) that every batch keeps;
:mod:`.keys` finds repeated rows and ids across batches (hashes, in a private temporary folder past a
size) and :mod:`.confirm` confirms them on their values, a hash range at a time;
:mod:`.run` is ``crm clean`` / ``crm validate`` on such a file (:func:`stream_table`).
"""

from .keys import KeyIndex
from .plan import Plan, plan_table
from .run import StreamResult, stream_table
from .source import BATCH_ROWS, BatchSource, open_source, streamable

__all__ = ["BATCH_ROWS", "BatchSource", "KeyIndex", "Plan", "StreamResult", "open_source", "plan_table",
           "stream_table", "streamable"]
