"""Reading and writing tables: formats, encodings, stdin/stdout, atomic writes.

``read_table`` returns a DataFrame of text whatever the source: every column is ``str``,
empty cells are ``""`` (never NaN), and the index holds the row number a person sees in
Excel (the first data row under a header on row 1 is row 2). What was detected (format,
encoding, delimiter, sheet, header row, and reader-level problems such as ragged rows) is
in :func:`source_info`.

The modules follow the way in and out::

    source.py    bytes from a path / stdin / bytes / stream; the format; SourceInfo
    decode.py    bytes -> text: the encoding named or detected
    csv.py       CSV/TSV text -> records (sniffing the delimiter and header); csv_fast.py: pyarrow's parser
    workbook.py  xlsx / xls / ods -> records (calamine), zip-bomb and DTD checks, XML patches
    json.py      JSON / JSON Lines in and out
    frame.py     records -> the text frame (header row, header names, ragged rows); totals.py: 合计 rows
    read.py      read_table: the above, in order (read_input: a frame as it is, else read_table)
    write.py     write_table, write_sheets, output_format, default_output, CSV, formula escaping
    xlsx.py      the one xlsx writer (write_workbook, and the cell rules the report writes through)
    xlsx_temp.py xlsxwriter's temp files in a private folder, removed however the write ends
    atomic.py    atomic_write, check_destination
"""

from __future__ import annotations

from ..errors import CrmError, InputError, OutputError, UsageError
from .atomic import atomic_write, check_destination, check_destinations
from .csv import QUICK_HEAD_BYTES, TEXT_FORMATS, sniff_delimiter
from .decode import decode_text
from .frame import MAX_COLUMNS, SNIFF_RECORDS, detect_header
from .read import read_input, read_table
from .source import EXT_FORMATS, MAX_INPUT_BYTES, Source, SourceInfo, source_info
from .totals import TOTAL_LABELS, drop_totals, totals_rows
from .workbook import MAX_XLSX_RATIO, MAX_XLSX_RATIO_FLOOR, MAX_XLSX_UNCOMPRESSED
from .write import (FORMULA_START, PLAIN_NUMBER, WRITE_FORMATS, default_output, escape_formulas, is_formula_like,
                    output_format, write_sheets, write_table)
from .xlsx import EXCEL_MAX_CHARS, EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, write_workbook

__all__ = [
    "CrmError", "InputError", "OutputError", "UsageError",
    "Source", "SourceInfo", "source_info", "read_table", "read_input", "decode_text", "sniff_delimiter",
    "detect_header", "TOTAL_LABELS", "totals_rows", "drop_totals",
    "write_table", "write_sheets", "write_workbook", "atomic_write", "check_destination", "check_destinations", "output_format",
    "default_output",
    "escape_formulas", "is_formula_like", "FORMULA_START", "PLAIN_NUMBER",
    "TEXT_FORMATS", "WRITE_FORMATS", "EXT_FORMATS", "SNIFF_RECORDS", "QUICK_HEAD_BYTES", "MAX_INPUT_BYTES",
    "MAX_COLUMNS", "MAX_XLSX_UNCOMPRESSED", "MAX_XLSX_RATIO", "MAX_XLSX_RATIO_FLOOR",
    "EXCEL_MAX_ROWS", "EXCEL_MAX_COLUMNS", "EXCEL_MAX_CHARS",
]
