"""``find_issues``: every problem in a table, as data (one row per problem).

The issue list has the columns :data:`ISSUE_COLUMNS`:
``row`` (the Excel row number), ``column`` (the header as written), ``field`` (the canonical
field, "" for unmapped or table-level problems), ``value`` (the cell as written, trimmed),
``code``, ``severity`` (``error`` or ``warning``), ``message`` and ``suggestion``.

Codes (:data:`CODES`): the field layer's ``invalid-phone lossy-phone masked-phone invalid-email
invalid-date ambiguous-date invalid-amount invalid-number``; ``duplicate-id`` (an id that
must be unique seen again: ``order_id``, or ``customer_id`` in a customer table, i.e. one
without order fields); ``duplicate-row`` (a row whose normalized values all repeat an earlier
row, e.g. an order exported twice; the later copies are reported, naming the first); and the
reader's problems (``ragged-row``, ``renamed-header``…) from the table's source info.

The package: :mod:`.codes` (the catalogue, table kinds), :mod:`.issues` (issue lists and their texts),
:mod:`.check` (the checks, ``find_issues``, ``validate_table``).
"""

from .check import (Checked, Validation, check_table, collect_issues, empty_clusters, filled_in_order, find_issues,
                    validate_table)
from .codes import (CODES, CUSTOMER_ID_SEVERITY, ISSUE_COLUMNS, ORDER_FIELDS, IssueCode, code_spec, default_unique,
                    table_kind)
from .issues import (IssueList, add_field_issues, empty_issues, fill_template, issue_texts, stripped_cells,
                     summarize_issues)

__all__ = ["CODES", "CUSTOMER_ID_SEVERITY", "Checked", "ISSUE_COLUMNS", "IssueCode", "IssueList", "ORDER_FIELDS",
           "Validation", "add_field_issues", "check_table", "code_spec", "collect_issues", "default_unique",
           "empty_clusters", "empty_issues", "fill_template", "filled_in_order", "find_issues", "issue_texts",
           "stripped_cells", "summarize_issues", "table_kind", "validate_table"]
