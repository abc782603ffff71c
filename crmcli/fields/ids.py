"""Identifiers (customer_id, order_id, postcode…): text, never a float.

``10023.0`` (an id Excel stored as a number) becomes ``10023``; leading zeros are kept;
full-width digits and letters are folded. Duplicates are a table-level check (see
:mod:`crmcli.validate`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import normalize_text

_FLOAT_ID = re.compile(r"^([+-]?\d+)\.0+$")


def normalize_id(text: str) -> str:
    """Trimmed, folded text; a float's ``.0`` tail removed."""
    text = normalize_text(text)
    m = _FLOAT_ID.match(text)
    return m.group(1) if m else text


def normalize_ids(values: Sequence[str]) -> tuple[list[str], list[str]]:
    out = [normalize_id(v) for v in values]
    return out, [""] * len(out)
