"""The report workbook: ``build_report`` (sheets and numbers), ``make_report`` (read, build, write).

``workbook.py`` writes sheets with formats (xlsxwriter, constant memory); ``charts.py`` adds
native Excel charts; ``labels.py`` holds the Chinese and English labels.
"""

from .build import Report, ReportResult, build_report, make_report, periods
from .charts import Chart
from .workbook import Sheet, render_workbook, write_report_workbook

__all__ = ["Chart", "Report", "ReportResult", "Sheet", "build_report", "make_report", "periods",
           "render_workbook", "write_report_workbook"]
