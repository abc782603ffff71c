"""Rules as data: what a rules table may say, read and checked before any data is.

A rules table (a rules file for ``--rules PATH``, or a ``[rules.<kind>]`` section of crm.toml) holds
one table per column — keyed by the header as written or by a canonical field — and a list of row
rules under ``rows``::

    [order_id]                       # or ["订单号"]
    required = true
    unique = true
    pattern = 'SO\\d{8}'

    [channel]
    enum = ["天猫", "京东", "门店"]
    severity = "warning"

    [amount]
    min = 0
    max = 100000

    [order_date]
    min = 2020-01-01
    max = "today"

    [[rows]]
    rule = "amount = quantity * unit_price"
    tolerance = 0.01

Everything that can be checked without the data is checked here (:func:`parse_rules`): unknown keys,
wrong value types, a bad regular expression, a row rule that is not an expression. Whether a column
exists is checked against the table (:mod:`crmcli.rules.bind`). Errors are :class:`UsageError` (exit 2)
naming the file, the column and the key.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .expr import Expression, parse_expression

#: What a column's table may hold.
COLUMN_KEYS = ("required", "unique", "enum", "min", "max", "pattern", "length", "type", "severity")
#: What a row rule may hold.
ROW_KEYS = ("rule", "tolerance", "severity")
SEVERITIES = ("error", "warning")
#: The ``type`` a column may be given: the field layer's kinds.
TYPES = ("phone", "email", "date", "amount", "number", "id", "text")
#: The key of the row rules' list in a rules table.
ROWS_KEY = "rows"


@dataclass(frozen=True)
class Bound:
    """A ``min``/``max``: a number, a date, or ``today`` (the as-of day of the run)."""

    kind: str                       # "number" or "date"
    value: float | dt.date | None   # None: today
    text: str                       # as the rule wrote it, for messages

    def resolve(self, today: dt.date | None) -> float | dt.date | None:
        return today if self.value is None else self.value


@dataclass(frozen=True)
class ColumnRule:
    """The checks one column must pass (None / False: not asked for)."""

    key: str
    required: bool | None = None    # None: not said (a default may apply); False: not required
    unique: bool = False
    enum: tuple[str, ...] | None = None
    min: Bound | None = None
    max: Bound | None = None
    pattern: str | None = None
    length: tuple[int, int] | None = None
    type: str | None = None
    severity: str = "error"


@dataclass(frozen=True)
class RowRule:
    """A rule between fields of one row, e.g. ``amount = quantity * unit_price`` within a tolerance."""

    text: str
    expression: Expression
    tolerance: float = 0.0
    relative: bool = False          # tolerance is a share of the right side (``"1%"``)
    severity: str = "error"


@dataclass(frozen=True)
class RuleSet:
    """A parsed rules table; ``where`` names it in messages (``rules.toml``, ``[rules.orders] in crm.toml``)."""

    columns: tuple[ColumnRule, ...] = ()
    rows: tuple[RowRule, ...] = ()
    where: str = "rules"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.columns or self.rows)


def read_rules(path: str | os.PathLike) -> RuleSet:
    """Read and check a rules file (TOML; see the module docstring)."""
    from ..config.load import read_toml

    p = Path(os.fspath(path))
    data = read_toml(p, "rules file",
                     missing_hint="infer one from the data with {opt:infer_rules} (crm validate) and edit it")
    return parse_rules(data, where=str(p))


def parse_rules(data: Mapping[str, Any], where: str = "rules") -> RuleSet:
    """A :class:`RuleSet` from a rules table (``{column: {check: value}}`` + ``rows``), every key and
    value checked; a :class:`UsageError` names the first problem."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{where}: the rules must be a table of columns")
    columns: list[ColumnRule] = []
    rows: list[RowRule] = []
    for key, value in data.items():
        if key == ROWS_KEY:
            if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
                raise UsageError(f"{where}: {ROWS_KEY} must be a list of tables ([[{ROWS_KEY}]] with rule = \"…\")")
            rows.extend(parse_row_rule(r, f"{where}: {ROWS_KEY}[{i}]") for i, r in enumerate(value, start=1))
            continue
        if not isinstance(value, Mapping):
            raise UsageError(f"{where}: {key!r} must be a table of checks, got {value!r}",
                             hint=f"e.g. [{toml_key(key)}] with required = true, min = 0 …")
        columns.append(parse_column_rule(str(key), value, f"{where}: {key}"))
    return RuleSet(columns=tuple(columns), rows=tuple(rows), where=where)


def parse_column_rule(key: str, table: Mapping[str, Any], where: str) -> ColumnRule:
    if not key.strip():
        raise UsageError(f"{where}: an empty column name")
    for k in table:
        if k not in COLUMN_KEYS:
            raise UsageError(f"{where}: unknown key {k!r}", hint="known keys: " + ", ".join(COLUMN_KEYS))
    out: dict[str, Any] = {"key": key}
    for flag in ("required", "unique"):
        if flag in table:
            if not isinstance(table[flag], bool):
                raise UsageError(f"{where}: {flag} must be true or false, got {table[flag]!r}")
            out[flag] = table[flag]
    if "enum" in table:
        values = table["enum"]
        if (not isinstance(values, list) or not values
                or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values)):
            raise UsageError(f"{where}: enum must be a list of the allowed values, got {values!r}")
        out["enum"] = tuple(_plain(v) for v in values)
    for end in ("min", "max"):
        if end in table:
            out[end] = parse_bound(table[end], f"{where}: {end}")
    if "min" in out and "max" in out:
        lo, hi = out["min"], out["max"]
        if lo.kind != hi.kind:
            raise UsageError(f"{where}: min is a {lo.kind} and max a {hi.kind}")
        if lo.value is not None and hi.value is not None and lo.value > hi.value:
            raise UsageError(f"{where}: min {lo.text} is above max {hi.text}")
    if "pattern" in table:
        out["pattern"] = check_pattern(table["pattern"], f"{where}: pattern")
    if "length" in table:
        out["length"] = parse_length(table["length"], f"{where}: length")
    if "type" in table:
        if table["type"] not in TYPES:
            raise UsageError(f"{where}: type {table['type']!r} is not one of {', '.join(TYPES)}")
        out["type"] = table["type"]
    if "severity" in table:
        out["severity"] = parse_severity(table["severity"], f"{where}: severity")
    return ColumnRule(**out)


def parse_row_rule(table: Mapping[str, Any], where: str) -> RowRule:
    for k in table:
        if k not in ROW_KEYS:
            raise UsageError(f"{where}: unknown key {k!r}", hint="known keys: " + ", ".join(ROW_KEYS))
    text = table.get("rule")
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"{where}: rule must be an expression, e.g. rule = \"amount = quantity * unit_price\"")
    expression = parse_expression(text, where=f"{where}: rule")
    tolerance, relative = parse_tolerance(table.get("tolerance", 0), f"{where}: tolerance")
    severity = parse_severity(table.get("severity", "error"), f"{where}: severity")
    return RowRule(text=" ".join(text.split()), expression=expression, tolerance=tolerance, relative=relative,
                   severity=severity)


def parse_bound(value: Any, where: str) -> Bound:
    """A number, a TOML date, ``"YYYY-MM-DD"`` or ``"today"``."""
    if isinstance(value, bool):
        raise UsageError(f"{where} must be a number or a date, got {value!r}")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise UsageError(f"{where} must be a finite number, got {value!r}")
        return Bound("number", float(value), _plain(value))
    if isinstance(value, dt.datetime):
        return Bound("date", value.date(), value.date().isoformat())
    if isinstance(value, dt.date):
        return Bound("date", value, value.isoformat())
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "today":
            return Bound("date", None, "today")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise UsageError(f"{where} {value!r} is not a number, a date (YYYY-MM-DD) or \"today\"") from None
            return parse_bound(number, where)
        return Bound("date", day, day.isoformat())
    raise UsageError(f"{where} must be a number or a date, got {value!r}")


def check_pattern(pattern: Any, where: str) -> str:
    """A regular expression the whole value must match (RE2 syntax, as pyarrow runs it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(pattern, str) or not pattern:
        raise UsageError(f"{where} must be a regular expression, got {pattern!r}")
    try:
        pc.match_substring_regex(pa.array([""]), full_match(pattern))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise UsageError(f"{where} {pattern!r} is not a valid regular expression ({exc})",
                         hint="RE2 syntax: no look-arounds or back-references; write \\d, not \\\\d, "
                              "in a TOML literal string '…'") from None
    return pattern


def full_match(pattern: str) -> str:
    return f"^(?:{pattern})$"


def parse_length(value: Any, where: str) -> tuple[int, int]:
    """``8`` (exactly), ``[2, 40]`` (between) or ``{ min = 2, max = 40 }``."""
    def whole(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise UsageError(f"{where} must be a whole number of characters, [min, max] or {{ min, max }}, "
                             f"got {value!r}")
        return v

    if isinstance(value, int) and not isinstance(value, bool):
        n = whole(value)
        return n, n
    if isinstance(value, list) and len(value) == 2:
        lo, hi = whole(value[0]), whole(value[1])
    elif isinstance(value, Mapping) and set(value) <= {"min", "max"} and value:
        lo, hi = whole(value.get("min", 0)), whole(value.get("max", 1 << 31))
    else:
        raise UsageError(f"{where} must be a whole number, [min, max] or {{ min, max }}, got {value!r}")
    if lo > hi:
        raise UsageError(f"{where}: min {lo} is above max {hi}")
    return lo, hi


def parse_tolerance(value: Any, where: str) -> tuple[float, bool]:
    """``0.01`` (absolute) or ``"1%"`` (a share of the right side)."""
    if isinstance(value, bool):
        raise UsageError(f"{where} must be a number or a percentage, got {value!r}")
    if isinstance(value, (int, float)) and value >= 0 and value == value and value != float("inf"):
        return float(value), False
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            share = float(value.strip()[:-1])
        except ValueError:
            share = -1.0
        if share >= 0:
            return share / 100.0, True
    raise UsageError(f"{where} must be a number >= 0 or a percentage such as \"1%\", got {value!r}")


def parse_severity(value: Any, where: str) -> str:
    if value not in SEVERITIES:
        raise UsageError(f"{where} must be one of {', '.join(SEVERITIES)}, got {value!r}")
    return value


def _plain(value: Any) -> str:
    """A TOML scalar as text: ``3`` not ``3.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def toml_key(key: str) -> str:
    """``key`` as a TOML key: bare when it can be, else quoted."""
    import re

    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
