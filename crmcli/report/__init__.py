"""The report: ``build_report`` (sheets and numbers), ``make_report`` (read, build, write: xlsx or html).

``summary.py`` builds the Summary (KPI cards), ``contacts.py`` the customers' contacts, ``build.py`` the other
sheets; ``workbook.py`` writes them with formats, cards and the print layout (xlsxwriter, constant memory),
``charts.py`` adds native Excel charts, ``html.py`` writes the same sheets as one self-contained web page;
``labels.py`` holds the Chinese and English labels.
"""

from .build import REPORT_FORMATS, Report, ReportResult, build_report, make_report, periods, report_format
from .charts import Chart
from .sheet import Card, ColorScale, PageInfo, Sheet
from .workbook import render_workbook, write_report_workbook

__all__ = ["REPORT_FORMATS", "Card", "Chart", "ColorScale", "PageInfo", "Report", "ReportResult", "Sheet",
           "build_report", "make_report", "periods", "render_workbook", "report_format", "write_report_workbook"]
