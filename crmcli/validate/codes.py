"""The issue codes: the catalogue (:data:`CODES`: severity, message, suggestion), the issue list's columns,
and what kind of table a mapping makes (which decides the ids that must be unique)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..issue_text import issue_text

ISSUE_COLUMNS = ("row", "column", "field", "value", "code", "severity", "message", "suggestion")

#: Fields whose presence makes a table an order table.
ORDER_FIELDS = ("order_id", "order_date", "amount", "quantity", "unit_price", "product")


@dataclass(frozen=True)
class IssueCode:
    severity: str
    message: str
    suggestion: str


#: The issue-code catalogue.
CODES: dict[str, IssueCode] = {
    "invalid-phone": IssueCode("error", "not a valid phone number for region {region}",
                               "check the digits; write foreign numbers with +country code"),
    "lossy-phone": IssueCode("error", "phone in scientific notation: its last digits are lost",
                             "export the column as text from the source system; the digits cannot be recovered here"),
    "masked-phone": IssueCode("warning", "a masked phone number (digits hidden by the platform): kept as written, "
                              "never used to match customers", "export the orders with full numbers to contact or "
                              "match these customers"),
    "invalid-email": IssueCode("error", "not a valid email address", "check for typos, spaces or a missing @"),
    "invalid-date": IssueCode("error", "not a date, or an impossible one", "write it as YYYY-MM-DD"),
    "ambiguous-date": IssueCode("warning", "day/month order unknown: the column has no value with a day over 12",
                                "pass --dayfirst or --monthfirst"),
    "invalid-amount": IssueCode("error", "not an amount", "use digits with one decimal point, e.g. 1234.50"),
    "invalid-number": IssueCode("error", "not a number", "use digits, e.g. 3"),
    "missing-value": IssueCode("error", "empty", "fill in {columns}"),
    "duplicate-id": IssueCode("warning", "{field} {value} already on row {first}",
                              "check whether the rows are the same record"),
    "duplicate-row": IssueCode("error", "same values as row {first}", "remove the repeated row"),
    # rules (crm.toml [rules.*], --rules PATH; severity from the rule): crmcli.rules
    "not-in-enum": IssueCode("error", "not one of the allowed values", "write one of: {allowed}"),
    "out-of-range": IssueCode("error", "outside {range}", "check the value; the rule allows {range}"),
    "pattern-mismatch": IssueCode("error", "does not match {pattern}", "write it in the form {pattern}"),
    "wrong-length": IssueCode("error", "{length} characters, outside {range}", "check for missing or extra characters"),
    "duplicate-value": IssueCode("error", "{value} already on row {first}", "each value of {column} must be unique"),
    "row-rule": IssueCode("error", "{rule} does not hold: {left} against {right}", "check {columns} on this row"),
    "missing-column": IssueCode("warning", "no column for {key}: its rules are not checked",
                                "map a column to it with --map {key}=COLUMN, or drop the rule"),
    # the default checks (no rules file needed)
    "implausible-date": IssueCode("warning", "outside the plausible dates {range}",
                                  "check the year (a typo, an Excel zero date, a clock set wrong)"),
    "negative-quantity": IssueCode("warning", "a negative quantity on a row that is not a refund",
                                   "check the sign, or mark the row as a refund (a negative amount or a refund status)"),
    "outlier-amount": IssueCode("warning", "far outside the column's amounts (most are {typical})",
                                "check for extra or missing digits, or a wrong unit"),
    "address-mismatch": IssueCode("warning", "{here} here, but {source} is in {place}",
                                  "check {column} against {source}"),
    "postcode-mismatch": IssueCode("warning", "postcode {value} is not in {place}",
                                   "check the postcode against the address"),
    "fillable-from-address": IssueCode("warning", "empty; {source} says {place}",
                                       "fill in {place} (crm clean --fill-address does)"),
    "value-variant": IssueCode("warning", "a spelling of {canonical} ({method})",
                               "write {canonical} (crm clean --merge-values does)"),
    "similar-value": IssueCode("warning", "close to {canonical}, which is more common ({method})",
                               "write {canonical} if it is the same value (list it under [values] in crm.toml to "
                               "merge it)"),
}

#: In a customer table a repeated customer_id is an error (in an order table, lines may share an order id).
CUSTOMER_ID_SEVERITY = "error"


def code_spec(code: str, lang: str = "en") -> IssueCode:
    """The catalogue's entry for ``code`` with its message and suggestion in ``lang`` (:mod:`crmcli.issue_text`)."""
    spec = CODES[code]
    text = issue_text(code, lang, message=spec.message, suggestion=spec.suggestion)
    return IssueCode(spec.severity, text.message, text.suggestion)


def table_kind(mapping: Mapping[str, str]) -> str:
    """What a table holds, by its mapped fields: ``orders`` (an order id, date, amount, quantity, unit
    price or product), ``leads`` (a lead id, lead date or stage), ``campaigns`` (a campaign column without
    order fields), else ``customers``."""
    fields = set(mapping.values())
    if fields & set(ORDER_FIELDS):
        return "orders"
    if fields & {"lead_id", "lead_date", "stage"}:
        return "leads"
    if "campaign" in fields:
        return "campaigns"
    return "customers"


def default_unique(mapping: Mapping[str, str]) -> tuple[str, ...]:
    """``order_id`` in an order table; ``lead_id`` in leads; ``customer_id`` in a customer table; nothing
    in a campaign contact list (see :func:`table_kind`)."""
    fields = set(mapping.values())
    kind = table_kind(mapping)
    if kind == "orders":
        return ("order_id",) if "order_id" in fields else ()
    if kind == "leads":
        return ("lead_id",) if "lead_id" in fields else ()
    if kind == "campaigns":
        return ()                               # a contact list names a customer once per campaign
    return ("customer_id",) if "customer_id" in fields else ()
