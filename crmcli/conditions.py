"""Row conditions as people write them: ``channel=天猫``, ``amount>=100``, ``order_date<2024-07-01``,
``city in [上海, 杭州]``; several joined by ``AND`` (or given one by one) must all hold.

Used by ``crm pivot --where`` (SUMIF/COUNTIF with a condition) and by the customer tag rules of
``crm rfm`` (``[[tags.rules]] when = "tier = high"``). This module parses; the caller types each
field (the pivot through the field layer, the tags on the RFM table's typed columns) and
:func:`compare` does the comparing. A blank or untyped cell meets no condition (not even ``!=``),
as in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import UsageError

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "in")
_CONDITION = re.compile(r"^\s*(?P<field>.+?)\s*(?P<op>!=|==|>=|<=|=|>|<|≥|≤|≠|\s+in\s+)\s*(?P<value>.*?)\s*$",
                        re.IGNORECASE | re.DOTALL)
_AND = re.compile(r"\s+AND\s+|\s*&&\s*")
_SPELLINGS = {"==": "=", "≥": ">=", "≤": "<=", "≠": "!="}


@dataclass(frozen=True)
class Condition:
    """``field op value``; ``values`` holds one value, or the list of ``in [...]``."""

    field: str
    op: str
    values: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def parse_condition(text: str, option: str = "where") -> Condition:
    """One condition; a :class:`UsageError` naming ``option`` when it is not one."""
    m = _CONDITION.match(text)
    if not m or not m.group("field").strip():
        raise UsageError(f"{{opt:{option}}} {text!r} is not FIELD OP VALUE", option=option,
                         hint="e.g. 'channel=天猫', 'amount>=100', 'city in [上海, 杭州]' (OP: = != > >= < <= in)")
    op = m.group("op").strip().lower()
    op = _SPELLINGS.get(op, op)
    raw = m.group("value").strip()
    if op == "in":
        if not (raw[:1] in "[(（【" and raw[-1:] in "])）】"):
            raise UsageError(f"{{opt:{option}}} {text!r}: 'in' takes a list in brackets", option=option,
                             hint="e.g. 'city in [上海, 杭州]'")
        values = tuple(v for v in (_unquote(p) for p in re.split(r"[,，、]", raw[1:-1])) if v)
        if not values:
            raise UsageError(f"{{opt:{option}}} {text!r}: the list is empty", option=option)
    else:
        values = (_unquote(raw),)
    return Condition(_unquote(m.group("field")), op, values, " ".join(text.split()))


def parse_conditions(specs: str | Iterable[str] | None, option: str = "where") -> list[Condition]:
    """Every condition of ``specs`` (a string or several; ``AND`` / ``&&`` join conditions in one)."""
    if specs is None:
        return []
    items = [specs] if isinstance(specs, str) else list(specs)
    out = []
    for item in items:
        for part in _AND.split(str(item)):
            if part.strip():
                out.append(parse_condition(part, option))
    return out


def compare(values: pd.Series, op: str, targets: Sequence[object]) -> np.ndarray:
    """Where ``values`` (typed: numbers, datetimes or text; NaN/NaT/"" = blank) meet ``op targets``."""
    present = values.notna().to_numpy()
    if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        present = present & (values.astype("str") != "").to_numpy()
    if op == "in":
        hit = values.isin(list(targets)).to_numpy()
    else:
        target = targets[0]
        with np.errstate(invalid="ignore"):
            hit = {"=": values == target, "!=": values != target, ">": values > target, ">=": values >= target,
                   "<": values < target, "<=": values <= target}[op]
        hit = np.asarray(hit.fillna(False) if hasattr(hit, "fillna") else hit, dtype=bool)
    return np.asarray(hit, dtype=bool) & present
