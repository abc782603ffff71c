"""The field layer: normalize and check one column of values by its kind.

``normalize_field(series, kind)`` is the one entry point the rest of crm uses::

    res = normalize_field(df["联系电话"], "phone", region="CN")
    res.values   # Series[str]: normalized text ("" where empty; invalid input kept verbatim, trimmed)
    res.codes    # Series[str]: "" when fine, else an issue code (invalid-phone, lossy-phone, …)
    res.parsed   # typed: float64 (amount, number), datetime64[ns] (date), else the values

Columns are pyarrow string arrays underneath: each kind decides its common forms for the
whole column in a few vectorized (RE2) passes and sends only the rest to its per-value
Python rules, each distinct value once (:mod:`._arrow`). A column with few distinct values
(names, products, dates) is factorized first, so its work is per distinct value too.
One module per kind: :mod:`.phone`, :mod:`.email`, :mod:`.dates`, :mod:`.money`,
:mod:`.text`, :mod:`.ids`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._arrow import CODES, code_indices, code_strings, combined, mostly_distinct
from .country import country_code, row_regions
from .dates import normalize_date, normalize_date_array, normalize_dates
from .email import normalize_email, normalize_email_array, normalize_emails
from .ids import normalize_id, normalize_id_array, normalize_ids
from .money import normalize_amount_array, normalize_amounts, normalize_number_array, normalize_numbers, parse_amount
from .phone import normalize_phone
from .phone_array import normalize_phone_array, normalize_phones, warm_up_phones
from .text import fold_width, normalize_text, normalize_text_array, normalize_texts, unwrap_excel_text

KINDS = ("phone", "email", "date", "amount", "number", "id", "text")

#: Canonical field -> kind. Fields not listed here are text.
FIELD_KINDS: dict[str, str] = {
    "phone": "phone",
    "email": "email",
    "order_date": "date", "created_at": "date", "birth_date": "date", "lead_date": "date",
    "paid_at": "date", "cancelled_at": "date",
    "amount": "amount", "unit_price": "amount", "cost": "amount", "refund_amount": "amount",
    "quantity": "number", "impressions": "number", "clicks": "number", "participants": "number", "buyers": "number",
    "cost_ads": "amount", "cost_staff": "amount", "cost_material": "amount", "cost_other": "amount",
    "close_date": "date", "probability": "text",
    "customer_id": "id", "order_id": "id", "lead_id": "id", "postcode": "id", "national_id": "id",
}
for _f in ("name", "first_name", "last_name", "company", "address", "city", "province", "state", "country",
           "gender", "product", "category", "channel", "campaign", "status", "stage", "owner", "refund_status"):
    FIELD_KINDS[_f] = "text"

#: Issue codes a kind can give.
KIND_CODES = {
    "phone": ("invalid-phone", "lossy-phone", "masked-phone"), "email": ("invalid-email",),
    "date": ("invalid-date", "ambiguous-date"), "amount": ("invalid-amount",), "number": ("invalid-number",),
    "id": (), "text": (),
}


class Normalized:
    """The result of :func:`normalize_field`: ``values``, ``codes`` and ``parsed``, three
    Series on the input's index (``codes`` is built from the code indices when first asked for)."""

    def __init__(self, values: pd.Series, codes: pd.Series | None = None, parsed: pd.Series | None = None, *,
                 _code_idx: np.ndarray | None = None, _source: pd.Series | None = None) -> None:
        if codes is None and _code_idx is None:
            raise ValueError("Normalized needs codes or their indices")
        self.values = values
        self._codes = codes
        self.parsed = values if parsed is None else parsed
        self._code_idx = _code_idx
        self._source = _source
        self._changed: int | None = None
        self._first: np.ndarray | None = None   # see validate.first_rows

    def __repr__(self) -> str:
        return f"Normalized({len(self.values)} values, {int(self.bad.sum())} with an issue code)"

    @property
    def codes(self) -> pd.Series:
        """Series[str]: "" when fine, else the issue code."""
        if self._codes is None:
            self._codes = pd.Series(pd.array(code_strings(self._code_idx), dtype=_STR), index=self.values.index,
                                    name=self.values.name)
        return self._codes

    @property
    def code_index(self) -> np.ndarray:
        """The codes as int8 indices into :data:`CODES` (0 = no issue)."""
        if self._code_idx is None:
            self._code_idx = code_indices(self.codes.fillna("").astype("str").tolist())
        return self._code_idx

    def take(self, mask: np.ndarray) -> Normalized:
        """The values of the rows where ``mask`` is True (a new Normalized on those rows)."""
        return Normalized(self.values[mask], parsed=self.parsed[mask], _code_idx=self.code_index[mask])

    @property
    def bad(self) -> np.ndarray:
        """Boolean mask of the values with an issue code."""
        return self.code_index != 0

    def changed(self, raw: pd.Series) -> int:
        """How many values differ from ``raw`` (the column they came from; counted once)."""
        if self._changed is None:
            self._changed = self._count_changed(raw)
        return self._changed

    def _count_changed(self, raw: pd.Series) -> int:
        if self._source is raw or self.values is raw:
            return 0
        a, b = arrow_of(self.values), arrow_of(raw)
        if a is not None and b is not None and len(a) == len(b) and not b.null_count:
            return int(pc.sum(pc.not_equal(a, b)).as_py() or 0)
        return int((self.values != raw.fillna("")).sum())


def kind_of(field: str | None) -> str:
    """The kind of a canonical field (``text`` for unknown or unmapped fields)."""
    return FIELD_KINDS.get(field or "", "text")


def normalize_field(series: pd.Series, kind: str, *, region: str = "CN",
                    dayfirst: bool | None = None, regions: np.ndarray | pd.Series | None = None) -> Normalized:
    """Normalize one column as ``kind`` (one of :data:`KINDS`); see the module docstring.

    The input is not modified. ``region`` is the default phone region (ISO 3166 code);
    ``regions`` (phones only) gives each row its own region, e.g. :func:`row_regions` of the
    table's country column; ``dayfirst`` forces the order of ``a/b/yyyy`` dates (None:
    decided by the column).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown field kind {kind!r}; one of {', '.join(KINDS)}")
    if kind == "phone" and regions is not None:
        return _normalize_phones_by_region(series, np.asarray(regions, dtype=object), region)
    index = series.index
    arr = arrow_of(series)
    if arr is None or arr.null_count:
        text = series.astype("str").fillna("") if len(series) else pd.Series([], dtype="str")
        arr = pa.array(text.to_numpy(dtype=object).tolist(), type=pa.large_string())
    n = len(arr)
    if n >= 10_000 and not mostly_distinct(arr):
        # Few distinct values (names, products, dates…): normalize each once, spread back.
        enc = pc.dictionary_encode(arr)
        values_u, codes_u, parsed_u = _normalize_array(enc.dictionary, kind, region, dayfirst)
        pos = enc.indices
        values = arr if values_u is enc.dictionary else values_u.take(pos)
        idx = pos.to_numpy(zero_copy_only=False)
        code_idx = codes_u[idx] if codes_u.any() else np.zeros(n, dtype=np.int8)
        parsed_np = parsed_u[idx] if parsed_u is not None else None
    else:
        values, code_idx, parsed_np = _normalize_array(arr, kind, region, dayfirst)
    unchanged = values is arr
    if unchanged and series.dtype == _STR:
        value_s = pd.Series(series.array, index=index, name=series.name)  # a view (copy-on-write)
    else:
        value_s = pd.Series(pd.array(values, dtype=_STR), index=index, name=series.name)
    parsed = value_s if parsed_np is None else pd.Series(parsed_np, index=index, name=series.name)
    return Normalized(values=value_s, parsed=parsed, _code_idx=code_idx,
                      _source=series if unchanged else None)


def _normalize_phones_by_region(series: pd.Series, regions: np.ndarray, default: str) -> Normalized:
    """Phones with a region per row: each region's rows normalized together."""
    if len(regions) != len(series):
        raise ValueError("regions must have one region per value")
    present = set(regions.tolist())
    if len(present) <= 1:
        return normalize_field(series, "phone", region=next(iter(present), default) or default)
    values = np.empty(len(series), dtype=object)
    code_idx = np.zeros(len(series), dtype=np.int8)
    for r in sorted(present):
        mask = regions == r
        res = normalize_field(series[mask], "phone", region=r or default)
        values[mask] = res.values.to_numpy(dtype=object, na_value="")
        code_idx[mask] = res.code_index
    value_s = pd.Series(pd.array(values, dtype=_STR), index=series.index, name=series.name)
    return Normalized(values=value_s, _code_idx=code_idx)


def warm_up(region: str = "CN") -> None:
    """Load what the kinds build once per process (phone metadata, lookup tables) before
    columns are normalized on several threads."""
    warm_up_phones(region)


def _normalize_array(arr: pa.Array, kind: str, region: str, dayfirst: bool | None
                     ) -> tuple[pa.Array, np.ndarray, np.ndarray | None]:
    """(values, code indices, parsed or None) for a pyarrow string array without nulls."""
    if kind == "phone":
        return (*normalize_phone_array(arr, region), None)
    if kind == "email":
        return (*normalize_email_array(arr), None)
    if kind == "date":
        return normalize_date_array(arr, dayfirst=dayfirst)
    if kind == "amount":
        return normalize_amount_array(arr)
    if kind == "number":
        return normalize_number_array(arr)
    if kind == "id":
        return (*normalize_id_array(arr), None)
    return (*normalize_text_array(arr), None)


def arrow_of(series: pd.Series) -> pa.Array | None:
    """The pyarrow string array behind a ``str`` Series (one chunk), or None."""
    arr = getattr(series.array, "_pa_array", None)
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    return combined(arr)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)   # pandas 3's default "str" dtype


__all__ = [
    "CODES", "FIELD_KINDS", "KINDS", "KIND_CODES", "Normalized", "normalize_field", "kind_of",
    "normalize_phone", "normalize_phones", "normalize_email", "normalize_emails", "normalize_date",
    "normalize_dates", "parse_amount", "normalize_amounts", "normalize_numbers", "normalize_id",
    "normalize_ids", "normalize_text", "normalize_texts", "fold_width", "country_code", "row_regions",
    "unwrap_excel_text",
]
