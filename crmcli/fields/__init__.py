"""The field layer: normalize and check one column of values by its kind.

``normalize_field(series, kind)`` is the one entry point the rest of crm uses::

    res = normalize_field(df["联系电话"], "phone", region="CN")
    res.values   # Series[str]: normalized text ("" where empty; invalid input kept verbatim, trimmed)
    res.codes    # Series[str]: "" when fine, else an issue code (invalid-phone, lossy-phone, …)
    res.parsed   # typed: float64 (amount, number), datetime64[ns] (date), else the values

Each distinct value is normalized once (``pd.factorize``) and the results are spread back,
so a million-row column with a few thousand distinct values costs a few thousand parses.
One module per kind: :mod:`.phone`, :mod:`.email`, :mod:`.dates`, :mod:`.money`,
:mod:`.text`, :mod:`.ids`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dates import normalize_date, normalize_dates
from .email import normalize_email, normalize_emails
from .ids import normalize_id, normalize_ids
from .money import normalize_amounts, normalize_numbers, parse_amount
from .phone import normalize_phone, normalize_phones
from .text import fold_width, normalize_text, normalize_texts

KINDS = ("phone", "email", "date", "amount", "number", "id", "text")

#: Canonical field -> kind. Fields not listed here are text.
FIELD_KINDS: dict[str, str] = {
    "phone": "phone",
    "email": "email",
    "order_date": "date", "created_at": "date", "birth_date": "date", "lead_date": "date",
    "amount": "amount", "unit_price": "amount", "cost": "amount",
    "quantity": "number",
    "customer_id": "id", "order_id": "id", "lead_id": "id", "postcode": "id", "national_id": "id",
}
for _f in ("name", "first_name", "last_name", "company", "address", "city", "province", "state", "country",
           "gender", "product", "category", "channel", "campaign", "status", "stage", "owner"):
    FIELD_KINDS[_f] = "text"

#: Issue codes a kind can give.
KIND_CODES = {
    "phone": ("invalid-phone", "lossy-phone"), "email": ("invalid-email",),
    "date": ("invalid-date", "ambiguous-date"), "amount": ("invalid-amount",), "number": ("invalid-number",),
    "id": (), "text": (),
}


@dataclass
class Normalized:
    """The result of :func:`normalize_field`; three Series on the input's index."""

    values: pd.Series
    codes: pd.Series
    parsed: pd.Series


def kind_of(field: str | None) -> str:
    """The kind of a canonical field (``text`` for unknown or unmapped fields)."""
    return FIELD_KINDS.get(field or "", "text")


def normalize_field(series: pd.Series, kind: str, *, region: str = "CN",
                    dayfirst: bool | None = None) -> Normalized:
    """Normalize one column as ``kind`` (one of :data:`KINDS`); see the module docstring.

    The input is not modified. ``region`` is the default phone region (ISO 3166 code);
    ``dayfirst`` forces the order of ``a/b/yyyy`` dates (None: decided by the column).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown field kind {kind!r}; one of {', '.join(KINDS)}")
    text = series if pd.api.types.is_string_dtype(series) and not series.hasnans else \
        series.astype("str").fillna("")
    pos, uniques = pd.factorize(text)
    u = [str(v) for v in uniques]
    parsed_u: np.ndarray | None = None
    if kind == "phone":
        vals, codes = normalize_phones(u, region)
    elif kind == "email":
        vals, codes = normalize_emails(u)
    elif kind == "date":
        vals, codes, parsed_u = normalize_dates(u, dayfirst=dayfirst)
    elif kind == "amount":
        vals, codes, parsed_u = normalize_amounts(u)
    elif kind == "number":
        vals, codes, parsed_u = normalize_numbers(u)
    elif kind == "id":
        vals, codes = normalize_ids(u)
    else:
        vals, codes = normalize_texts(u)
    index = series.index
    values = pd.Series(_take(vals, pos), index=index, dtype="str", name=series.name)
    code_s = pd.Series(_take(codes, pos), index=index, dtype="str", name=series.name)
    if parsed_u is None:
        parsed = values
    else:
        parsed = pd.Series(parsed_u[pos] if len(pos) else parsed_u[:0], index=index, name=series.name)
    return Normalized(values=values, codes=code_s, parsed=parsed)


def _take(items: list[str], pos: np.ndarray) -> np.ndarray:
    arr = np.asarray(items, dtype=object) if items else np.empty(0, dtype=object)
    return arr[pos] if len(pos) else np.empty(0, dtype=object)


__all__ = [
    "FIELD_KINDS", "KINDS", "KIND_CODES", "Normalized", "normalize_field", "kind_of",
    "normalize_phone", "normalize_phones", "normalize_email", "normalize_emails", "normalize_date",
    "normalize_dates", "parse_amount", "normalize_amounts", "normalize_numbers", "normalize_id",
    "normalize_ids", "normalize_text", "normalize_texts", "fold_width",
]
