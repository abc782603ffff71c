"""Binding rules to a table: each rule's column found (a header as written, else a canonical field), its
kind decided, and the checks gathered — the default checks for the table's kind, the rules, ``required``.

A key that is neither a header nor a canonical field is a :class:`UsageError` (exit 2) naming the close
matches; a canonical field with no column in this table is a ``missing-column`` issue instead (a rule
for every orders file may name a column one export lacks). A bound rule set holds headers only, so it
serves every batch of a table read in parts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..fields import kind_of
from ..schema import FIELDS, header_key
from . import defaults as default_checks
from .spec import ColumnRule, RowRule, RuleSet, parse_rules

if TYPE_CHECKING:  # pragma: no cover
    from ..table import Table
    from .clusters import ValueTable

NUMERIC_KINDS = ("amount", "number")


@dataclass(frozen=True)
class ColumnCheck:
    """A column rule bound to its header; ``kind`` is the kind its values are read as."""

    column: str
    field: str
    kind: str
    rule: ColumnRule


@dataclass(frozen=True)
class RequiredCheck:
    """Rows must fill at least one of ``columns``."""

    columns: tuple[str, ...]
    field: str
    severity: str
    #: A default check: rows an order status leaves out of every analysis are not held to it.
    default: bool = False


@dataclass(frozen=True)
class UniqueCheck:
    column: str
    field: str
    code: str = "duplicate-id"
    severity: str | None = None     # None: the catalogue's (an error for customer ids in a customer table)


@dataclass(frozen=True)
class RowCheck:
    rule: RowRule
    columns: Mapping[str, str]      # key as written -> header
    kinds: Mapping[str, str]        # key -> "number" | "date"


@dataclass
class BoundRules:
    """Everything :func:`crmcli.rules.check_columns` and :func:`crmcli.rules.check_whole` check on a table."""

    kind: str
    columns: list[ColumnCheck] = field(default_factory=list)
    required: list[RequiredCheck] = field(default_factory=list)
    unique: list[UniqueCheck] = field(default_factory=list)
    rows: list[RowCheck] = field(default_factory=list)
    #: (key, severity) of rules whose canonical field has no column here.
    missing: list[tuple[str, str]] = field(default_factory=list)
    #: Unmapped columns read as a kind for their rules: header -> kind.
    typed: dict[str, str] = field(default_factory=dict)
    defaults: bool = True
    values: ValueTable | None = None
    where: str = "rules"


def bind_rules(table: Table, rules: RuleSet | Mapping[str, Any] | None = None, *, kind: str | None = None,
               required: Iterable[str] = (), unique: Iterable[str] | None = None, defaults: bool = True,
               values: ValueTable | Mapping[str, Any] | None = None) -> BoundRules:
    """Bind ``rules`` (a :class:`RuleSet`, a rules table, or ``{kind: RuleSet}`` — ``"*"`` for any kind) and the
    default checks for ``kind`` (default: :func:`crmcli.validate.table_kind`), ``required`` and ``unique``
    fields to ``table``."""
    from ..validate import CUSTOMER_ID_SEVERITY, default_unique, table_kind
    from .clusters import ValueTable, parse_values

    mapping = table.mapping
    headers = [str(h) for h in table.frame.columns]
    kind = kind or table_kind(mapping)
    if isinstance(rules, Mapping) and rules and all(isinstance(v, RuleSet) for v in rules.values()):
        rules = rules.get("*") or rules.get(kind)          # {kind: RuleSet}: the table's kind's
    elif rules is not None and not isinstance(rules, RuleSet):
        rules = parse_rules(rules)
    rules = rules or RuleSet()
    if values is not None and not isinstance(values, ValueTable):
        values = parse_values(values)
    bound = BoundRules(kind=kind, defaults=defaults, values=values, where=rules.where)
    not_required: set[str] = set()

    for rule in rules.columns:
        header = find_column(rule.key, headers, mapping, where=rules.where)
        if header is None:
            bound.missing.append((rule.key, rule.severity if rule.required else "warning"))
            continue
        fld = mapping.get(header, "")
        col_kind = column_kind(rule, header, fld, where=f"{rules.where}: {rule.key}")
        if not fld and col_kind != "text":
            bound.typed[header] = col_kind
        bound.columns.append(ColumnCheck(column=header, field=fld, kind=col_kind, rule=rule))
        if rule.required:
            bound.required.append(RequiredCheck((header,), fld, rule.severity))
        elif rule.required is False:
            not_required.add(header)
        if rule.unique:
            code = "duplicate-id" if col_kind == "id" else "duplicate-value"
            bound.unique.append(UniqueCheck(header, fld, code, rule.severity))

    for text in required:
        header = find_column(text, headers, mapping, where="required")
        if header is None:
            bound.missing.append((text, default_checks.REQUIRED_SEVERITY))
        elif not any(header in r.columns for r in bound.required):
            bound.required.append(RequiredCheck((header,), mapping.get(header, ""), default_checks.REQUIRED_SEVERITY))

    if defaults:
        by_field = {f: h for h, f in mapping.items()}
        for alternatives in default_checks.REQUIRED.get(kind, ()):
            for fields in alternatives:
                cols = tuple(by_field[f] for f in fields if f in by_field)
                if not cols:
                    continue
                if not set(cols) <= not_required and not any(set(cols) & set(r.columns) for r in bound.required):
                    bound.required.append(RequiredCheck(cols, mapping[cols[0]], default_checks.REQUIRED_SEVERITY, True))
                break

    ruled = {u.column for u in bound.unique}
    for fld in (default_unique(mapping) if unique is None else tuple(unique)):
        header = find_column(fld, headers, mapping, where="unique")
        if header is None or header in ruled:
            continue
        severity = CUSTOMER_ID_SEVERITY if mapping.get(header) == "customer_id" and kind == "customers" else None
        bound.unique.insert(0, UniqueCheck(header, mapping.get(header, ""), "duplicate-id", severity))

    for row_rule in rules.rows:
        bind_row_rule(bound, row_rule, headers, mapping, rules.where)
    return bound


def find_column(key: str, headers: list[str], mapping: Mapping[str, str], *, where: str) -> str | None:
    """The header a rule's key names: the header as written, else the column mapped to the canonical
    field, else the one header with the same comparison key (case, width, spaces and punctuation aside).
    None for a canonical field with no column here; UsageError for a key that names nothing."""
    if key in headers:
        return key
    if key in FIELDS:
        return next((h for h, f in mapping.items() if f == key), None)
    same = [h for h in headers if header_key(h) == header_key(key)]
    if len(same) == 1:
        return same[0]
    close = difflib.get_close_matches(key, headers + list(FIELDS), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else \
        "columns: " + ", ".join(headers[:30])
    raise UsageError(f"{where}: {key!r} is not a column of the table nor a canonical field", hint=hint)


def column_kind(rule: ColumnRule, header: str, fld: str, *, where: str) -> str:
    """The kind a rule's column is read as: its field's, else the rule's ``type``, else what ``min``/``max``
    compare (numbers or dates), else text. Checks that the rule's checks fit it."""
    if fld:
        kind = kind_of(fld)
        if rule.type and rule.type != kind:
            raise UsageError(f"{where}: type {rule.type!r}, but {header!r} is mapped to {fld}, a {kind} field",
                             hint=f"drop the type, or map the column elsewhere with {{opt:map}} {fld}=COLUMN")
    elif rule.type:
        kind = rule.type
    elif rule.min or rule.max:
        kind = "number" if (rule.min or rule.max).kind == "number" else "date"
    else:
        kind = "text"
    bound = rule.min or rule.max
    if bound is not None:
        wants = "date" if bound.kind == "date" else "number"
        has = "date" if kind == "date" else "number" if kind in NUMERIC_KINDS else kind
        if has != wants:
            raise UsageError(f"{where}: min/max {bound.text!r} is a {wants}, but {header!r} holds {kind} values",
                             hint="min/max compare numbers with numbers and dates with dates")
    return kind


def bind_row_rule(bound: BoundRules, rule: RowRule, headers: list[str], mapping: Mapping[str, str],
                  where: str) -> None:
    from .expr import kind_of as side_kind

    here = f"{where}: rows: {rule.text!r}"
    columns: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for key in rule.expression.names:
        header = find_column(key, headers, mapping, where=here)
        if header is None:
            bound.missing.append((key, "warning"))
            return
        columns[key] = header
        fld = mapping.get(header, "")
        kind = kind_of(fld) if fld else bound.typed.get(header, "number")
        if not fld and header not in bound.typed:
            bound.typed[header] = "number"
        kinds[key] = "date" if kind == "date" else "number" if kind in NUMERIC_KINDS else kind
    left = side_kind(rule.expression.left, kinds, here)
    right = side_kind(rule.expression.right, kinds, here)
    if left != right:
        raise UsageError(f"{here}: compares a {left} with a {right}")
    bound.rows.append(RowCheck(rule=rule, columns=columns, kinds=kinds))
