"""Identifiers (customer_id, order_id, postcode…): text, never a float.

``10023.0`` (an id Excel stored as a number) becomes ``10023``; leading zeros are kept;
full-width digits and letters are folded; a value an export wrapped to keep Excel from
reading it as a number (``="2300835653442855376"``, ``'13812345678``, a leading tab) is
unwrapped. Duplicates are a table-level check (see
:mod:`crmcli.validate`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import TEXT_WORK, normalize_text, normalize_text_array, unwrap_excel_text

_FLOAT_ID = re.compile(r"^([+-]?\d+)\.0+$")


def normalize_id(text: str) -> str:
    """Trimmed, folded, unwrapped text; a float's ``.0`` tail removed."""
    text = normalize_text(unwrap_excel_text(text))
    m = _FLOAT_ID.match(text)
    return m.group(1) if m else text


def normalize_ids(values: Sequence[str]) -> tuple[list[str], list[str]]:
    out = [normalize_id(v) for v in values]
    return out, [""] * len(out)


#: RE2: an id :func:`normalize_id` would change.
ID_WORK = TEXT_WORK + r"|^[+-]?\d+\.0+$|^\s*=\s*\"|^\s*'"


def normalize_id_array(arr):
    """A whole column (pyarrow strings) -> (normalized ids, code indices); see :func:`normalize_text_array`."""
    return normalize_text_array(arr, work=ID_WORK, normalize=normalize_id, dotted=True, extra="='")
