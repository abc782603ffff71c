"""The checks every table gets with no rules file (each stated in the README, "Default checks").

- **Required fields** by table kind — what the commands need of a row (:data:`REQUIRED`): an order needs
  its date, its amount and its customer (the customer id, or without one an email, phone or name); a
  customer record a name, company, phone or email; a lead its stage; a campaign row its campaign. An empty
  one is ``missing-value`` (error): the commands leave such a row out.
- **Plausible dates** (:data:`DATE_FLOORS`): a date after the as-of day (``--as-of``, else today) or before
  1990-01-01 (1900-01-01 for a birth date) is ``implausible-date`` (warning).
- **Negative quantities** outside refunds (a row whose amount is negative, whose refund amount is
  positive, or whose status or refund status says refunded) are ``negative-quantity`` (warning).
- **Outlier amounts** (:func:`crmcli.rules.whole.outlier_fences`): ``outlier-amount`` (warning).
- **Addresses** (:mod:`crmcli.rules.address`): ``address-mismatch``, ``postcode-mismatch``,
  ``fillable-from-address`` (warnings).
- **Value clusters** in the categorical columns (:data:`CATEGORY_FIELDS`; :mod:`crmcli.rules.clusters`):
  ``value-variant`` / ``similar-value`` (warnings).
"""

from __future__ import annotations

import datetime as dt

#: Per table kind, each required thing as alternatives in order: the first alternative that has a column
#: in the table is required; an alternative of several fields is met by any one of them on the row.
REQUIRED: dict[str, tuple[tuple[tuple[str, ...], ...], ...]] = {
    "orders": ((("order_date",), ("paid_at",), ("created_at",)),   # the order date prepare_orders uses
               (("amount",), ("unit_price",)),                       # the amount (else unit price × quantity)
               (("customer_id",), ("email", "phone", "name"))),      # the customer key
    "customers": ((("name", "first_name", "last_name", "company", "phone", "email"),),),
    "leads": ((("stage",),),),
    "campaigns": ((("campaign",),),),
}
#: The default checks' severity for an empty required cell.
REQUIRED_SEVERITY = "error"

#: Date fields checked for plausibility, and the earliest plausible day of each.
DATE_FLOORS: dict[str, dt.date] = {
    "order_date": dt.date(1990, 1, 1), "paid_at": dt.date(1990, 1, 1), "cancelled_at": dt.date(1990, 1, 1),
    "lead_date": dt.date(1990, 1, 1), "created_at": dt.date(1990, 1, 1), "birth_date": dt.date(1900, 1, 1),
}

#: Money fields whose values are checked against the column's distribution.
OUTLIER_FIELDS = ("amount", "unit_price")

#: Categorical fields whose spellings are clustered.
CATEGORY_FIELDS = ("channel", "product", "category", "campaign", "owner", "city", "province", "state", "country",
                   "status", "stage", "gender", "refund_status")
