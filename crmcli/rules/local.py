"""The column-local checks: each row judged on its own cells, so they run on any batch of rows.

Required cells, the column rules (``enum``, ``min``/``max``, ``pattern``, ``length``), the row rules, and
the default plausibility checks (dates, negative quantities) and address checks. Every check is a few
vectorized passes over whole columns (pyarrow compute / numpy); only messages that name a distinct value
(the allowed values closest to a wrong one) are built per distinct value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..fields import Normalized, normalize_field
from .bind import BoundRules, ColumnCheck, RowCheck
from .defaults import DATE_FLOORS
from .expr import evaluate, holds, render
from .spec import Bound, full_match
from .values import (blank_of, checked_rows, column_values, day_number, days_of, days_text, numbers_of,
                     numbers_text, text_of, value_text)


def check_columns(table, bound: BoundRules, out, *, as_of: dt.date | None = None) -> None:
    """Add the column-local issues of ``table`` (a whole table or a batch of one) to ``out``
    (a :class:`crmcli.validate.IssueList`). ``as_of``: the last plausible day, and ``today`` in rules."""
    from ..validate import add_field_issues

    as_of = _as_date(as_of)
    cols = column_values(table, bound.typed)
    keep = checked_rows(table)
    for header in bound.typed:           # an unmapped column a rule types: its values' own issues
        if header not in table.normalized:
            add_field_issues(out, table.frame, header, "", cols[header], table.region)
    check_required(table, bound, cols, out, keep)
    ranged = set()
    for check in bound.columns:
        check_column(table, check, cols, out, keep, as_of)
        if check.rule.min or check.rule.max:
            ranged.add(check.column)
    for row in bound.rows:
        check_row_rule(table, row, cols, out, keep, as_of)
    if bound.defaults:
        check_dates(table, cols, out, keep, as_of, skip=ranged)
        check_quantities(table, cols, out, keep)
        from .address import check_addresses

        check_addresses(table, cols, out, keep)


def report(out, table, mask: np.ndarray, column: str, field: str, code: str, severity: str | None = None,
           value: pa.Array | None = None, **params: object) -> None:
    """Add one issue per row of ``mask`` (params: strings, or arrays already cut to the masked rows)."""
    from ..validate import CODES, issue_texts, stripped_cells

    n = int(mask.sum())
    if not n:
        return
    if value is None:
        value = stripped_cells(table.frame[column], mask) if column in table.frame.columns else ""
    message, suggestion = issue_texts(code, n, lang=out.lang, column=column, **{"value": value, **params})
    out.add(table.frame.index.to_numpy()[mask], column, field, value, code, severity or CODES[code].severity,
            message, suggestion)


# ----------------------------------------------------------------------------- required


def check_required(table, bound: BoundRules, cols: Mapping[str, Normalized], out, keep: np.ndarray) -> None:
    from ..validate import filled_in_order

    left_out = _left_out_by_status(table, cols) if bound.kind == "orders" else None
    for req in bound.required:
        blank = keep.copy()
        if req.default and left_out is not None:
            blank &= ~left_out
        for header in req.columns:
            blank &= blank_of(value_text(table, cols, header))
        if blank.any():
            blank &= ~filled_in_order(table.frame, table.mapping, table.normalized, blank)
        report(out, table, blank, req.columns[0], req.field, "missing-value", req.severity, value="",
               columns=" / ".join(req.columns))


def _left_out_by_status(table, cols: Mapping[str, Normalized]) -> np.ndarray | None:
    """Rows whose status (or refund status, or a cancelled-at time) leaves the order out of every analysis:
    an unpaid order has no payment time, a cancelled one may have no amount."""
    from ..orders.status import CLASSES, classify_statuses, status_table

    by_field = {f: h for h, f in table.mapping.items()}
    out = np.zeros(len(table), dtype=bool)
    vocabulary = status_table()
    for fld in ("status", "refund_status"):
        if fld in by_field:
            enc = pc.dictionary_encode(text_of(cols[by_field[fld]].values))
            classes = classify_statuses(enc.dictionary.to_pylist(), vocabulary)
            gone = np.asarray([c is not None and c != "" and not CLASSES.get(c, True)
                               and (fld == "status" or c in ("refunded", "cancelled")) for c in classes], dtype=bool)
            if len(gone):
                out |= gone[enc.indices.to_numpy(zero_copy_only=False)]
    if "cancelled_at" in by_field:
        out |= ~blank_of(text_of(cols[by_field["cancelled_at"]].values))
    return out if out.any() else None


# ----------------------------------------------------------------------------- column rules


def check_column(table, check: ColumnCheck, cols: Mapping[str, Normalized], out, keep: np.ndarray,
                 as_of: dt.date | None) -> None:
    rule, header = check.rule, check.column
    values = value_text(table, cols, header)
    res = cols.get(header)
    ok = keep & ~blank_of(values)
    if res is not None:
        ok &= ~res.bad                      # an invalid value is reported by the field layer already
    if not ok.any():
        return
    sev = rule.severity
    if rule.enum is not None:
        allowed = _normalized_enum(rule.enum, check.kind)
        inside = np.asarray(pc.is_in(values, value_set=pa.array(allowed, type=pa.large_string()))
                            .to_numpy(zero_copy_only=False), dtype=bool)
        bad = ok & ~inside
        if bad.any():
            wrong = values.filter(pa.array(bad))
            report(out, table, bad, header, check.field, "not-in-enum", sev, allowed=_closest_first(wrong, allowed))
    if rule.min or rule.max:
        check_range(table, check, res, out, ok, as_of)
    if rule.pattern:
        match = np.asarray(pc.match_substring_regex(values, full_match(rule.pattern))
                           .to_numpy(zero_copy_only=False), dtype=bool)
        report(out, table, ok & ~match, header, check.field, "pattern-mismatch", sev, pattern=rule.pattern)
    if rule.length:
        lo, hi = rule.length
        length = pc.utf8_length(values).to_numpy(zero_copy_only=False)
        bad = ok & ((length < lo) | (length > hi))
        if bad.any():
            report(out, table, bad, header, check.field, "wrong-length", sev,
                   length=pc.cast(pa.array(length[bad]), pa.large_string()),
                   range=str(lo) if lo == hi else f"{lo}–{hi}")


def check_range(table, check: ColumnCheck, res: Normalized | None, out, ok: np.ndarray,
                as_of: dt.date | None) -> None:
    rule = check.rule
    date = check.kind == "date"
    x = (days_of(res) if date else numbers_of(res)) if res is not None else np.full(len(ok), np.nan)
    lo, hi = _limit(rule.min, as_of, date), _limit(rule.max, as_of, date, upper=True)
    if lo is None and hi is None:
        return
    bad = ok & np.isfinite(x)
    outside = np.zeros(len(x), dtype=bool)
    if lo is not None:
        outside |= x < lo
    if hi is not None:
        outside |= x >= hi if date else x > hi
    bad &= outside
    report(out, table, bad, check.column, check.field, "out-of-range", rule.severity,
           range=describe_range(rule.min, rule.max, as_of))


def _limit(bound: Bound | None, as_of: dt.date | None, date: bool, upper: bool = False) -> float | None:
    """A bound as a number (dates: days; a day's upper bound is the start of the next day)."""
    if bound is None:
        return None
    value = bound.resolve(as_of)
    if value is None:
        return None
    if not date:
        return float(value)
    return day_number(value) + (1.0 if upper else 0.0)


def describe_range(lo: Bound | None, hi: Bound | None, as_of: dt.date | None) -> str:
    def text(b: Bound) -> str:
        if b.value is None and as_of is not None:
            return f"today ({as_of.isoformat()})"
        return b.text

    if lo and hi:
        return f"{text(lo)} … {text(hi)}"
    return f"≥ {text(lo)}" if lo else f"≤ {text(hi)}"  # type: ignore[arg-type]


def _normalized_enum(values: tuple[str, ...], kind: str) -> list[str]:
    res = normalize_field(pd.Series(list(values), dtype="str"), kind if kind != "date" else "text")
    return [v for v in res.values.tolist()]


def _closest_first(wrong: pa.Array, allowed: list[str], shown: int = 8) -> pa.Array:
    """For each wrong value: the allowed values, the most similar first (one ranking per distinct value)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Indel

    enc = pc.dictionary_encode(wrong)
    texts = []
    for v in enc.dictionary.to_pylist():
        ranked = process.extract(v, allowed, scorer=Indel.normalized_similarity, limit=len(allowed))
        ordered = [a for a, _score, _i in ranked]
        more = len(ordered) - shown
        texts.append(", ".join(ordered[:shown]) + (f" (+{more} more)" if more > 0 else ""))
    return pa.array(texts, type=pa.large_string()).take(enc.indices)


# ----------------------------------------------------------------------------- row rules


def check_row_rule(table, row: RowCheck, cols: Mapping[str, Normalized], out, keep: np.ndarray,
                   as_of: dt.date | None) -> None:
    rule = row.rule
    env: dict[str, np.ndarray] = {}
    for key, header in row.columns.items():
        res = cols[header]
        env[key] = days_of(res) if row.kinds[key] == "date" else numbers_of(res)
    today = day_number(as_of) if as_of is not None else None
    expr = rule.expression
    left = np.broadcast_to(np.asarray(evaluate(expr.left, env, today), dtype=np.float64), keep.shape)
    right = np.broadcast_to(np.asarray(evaluate(expr.right, env, today), dtype=np.float64), keep.shape)
    valid = keep & np.isfinite(left) & np.isfinite(right)
    tol = rule.tolerance * np.abs(right) if rule.relative else rule.tolerance
    tol = tol + 1e-9 * np.maximum(1.0, np.abs(right))          # float rounding, never a real difference
    bad = valid & ~holds(expr.op, left, right, tol)
    if not bad.any():
        return
    first = row.columns[expr.names[0]]
    dated = _side_is_date(expr.left, row.kinds)
    show = days_text if dated else numbers_text
    report(out, table, bad, first, table.mapping.get(first, ""), "row-rule", rule.severity,
           rule=f"{render(expr.left)} {expr.op} {render(expr.right)}", left=show(left[bad]), right=show(right[bad]),
           columns=", ".join(dict.fromkeys(row.columns.values())))


def _side_is_date(node, kinds: Mapping[str, str]) -> bool:
    from .expr import kind_of

    return kind_of(node, kinds, "rule") == "date"


# ----------------------------------------------------------------------------- default plausibility checks


def check_dates(table, cols: Mapping[str, Normalized], out, keep: np.ndarray, as_of: dt.date | None,
                skip: set[str]) -> None:
    """``implausible-date``: before the field's floor (:data:`DATE_FLOORS`) or after ``as_of``."""
    for header, fld in table.mapping.items():
        floor = DATE_FLOORS.get(fld)
        if floor is None or header in skip:
            continue
        res = cols[header]
        days = days_of(res)
        lo = day_number(floor)
        bad = keep & np.isfinite(days) & (days < lo)
        if as_of is not None:
            bad |= keep & np.isfinite(days) & (days >= day_number(as_of) + 1.0)
        report(out, table, bad, header, fld, "implausible-date",
               range=f"{floor.isoformat()} … {as_of.isoformat()}" if as_of else f"≥ {floor.isoformat()}")


def check_quantities(table, cols: Mapping[str, Normalized], out, keep: np.ndarray) -> None:
    """``negative-quantity``: a quantity below 0 on a row whose amount is 0 or more and that no refund amount,
    status or refund status marks as a refund (without an amount column a negative line is a credit line)."""
    by_field = {f: h for h, f in table.mapping.items()}
    if "quantity" not in by_field or "amount" not in by_field:
        return
    qty = numbers_of(cols[by_field["quantity"]])
    amount = numbers_of(cols[by_field["amount"]])
    bad = keep & (qty < 0) & ~(amount < 0)
    if not bad.any():
        return
    if "refund_amount" in by_field:
        bad &= ~(numbers_of(cols[by_field["refund_amount"]]) > 0)
    for fld in ("status", "refund_status"):
        if fld in by_field and bad.any():
            bad &= ~_says_refund(text_of(cols[by_field[fld]].values))
    report(out, table, bad, by_field["quantity"], "quantity", "negative-quantity")


def _says_refund(statuses: pa.Array) -> np.ndarray:
    """Where a status text is a refund class (refunded, partially refunded) in the order-status vocabulary."""
    from ..orders.status import classify_statuses, status_table

    enc = pc.dictionary_encode(statuses)
    classes = classify_statuses(enc.dictionary.to_pylist(), status_table())
    refund = np.asarray([c in ("refunded", "partially_refunded") for c in classes], dtype=bool)
    return refund[enc.indices.to_numpy(zero_copy_only=False)] if len(refund) else np.zeros(len(statuses), bool)


def _as_date(value) -> dt.date | None:
    """``as_of`` as a day, by the one as-of parser (:func:`crmcli.options.parse_as_of`)."""
    from ..options import parse_as_of

    ts = parse_as_of(value)
    return None if ts is None else ts.date()
