"""Row rules: ``amount = quantity * unit_price``, ``paid_at >= order_date``, ``last_order - first_order <= 365``.

One comparison (``= == != < <= > >=``) of two sides made of column names (a canonical field, or a
header as written: Chinese headers as they are, others with spaces in backticks: ```Unit Price```),
numbers, ``today``, ``+ - * /``, parentheses and ``abs(…)``. Parsed by Python's :mod:`ast` (only
those nodes are accepted: a rule is data, never code) and evaluated on whole numpy columns: numbers
as float64, dates as days (``date - date`` is a number of days).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UsageError

COMPARISONS = {ast.Eq: "=", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_BACKTICK = re.compile(r"`([^`]+)`")
_SINGLE_EQ = re.compile(r"(?<![<>=!])=(?!=)")

#: A parsed side: ("name", key) | ("num", value) | ("today",) | ("op", sym, a, b) | ("neg", a) | ("abs", a)
Node = tuple


@dataclass(frozen=True)
class Expression:
    """A parsed row rule: ``left op right`` and the column keys it names (in order)."""

    text: str
    left: Node
    op: str
    right: Node
    names: tuple[str, ...]


def parse_expression(text: str, where: str = "rule") -> Expression:
    """Parse a row rule; a :class:`UsageError` says what is wrong with it."""
    quoted: dict[str, str] = {}

    def hold(m: re.Match[str]) -> str:
        name = f"__col{len(quoted)}__"
        quoted[name] = m.group(1).strip()
        return name

    source = _SINGLE_EQ.sub("==", _BACKTICK.sub(hold, text.strip()))
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError:
        raise UsageError(f"{where} {text!r} is not an expression",
                         hint="e.g. amount = quantity * unit_price; put a header with spaces in backticks: "
                              "`Unit Price`") from None
    if not isinstance(tree, ast.Compare) or len(tree.ops) != 1 or type(tree.ops[0]) not in COMPARISONS:
        raise UsageError(f"{where} {text!r} must compare two sides with one of = != < <= > >=")
    names: list[str] = []

    def side(node: ast.AST) -> Node:
        if isinstance(node, ast.Name):
            if node.id == "today":
                return ("today",)
            key = quoted.get(node.id, node.id)
            if key not in names:
                names.append(key)
            return ("name", key)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value,
                                                                                                        bool):
            return ("num", float(node.value))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return ("op", _OPS[type(node.op)], side(node.left), side(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = side(node.operand)
            return ("neg", inner) if isinstance(node.op, ast.USub) else inner
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abs"
                and len(node.args) == 1 and not node.keywords):
            return ("abs", side(node.args[0]))
        shown = ast.get_source_segment(source, node) or type(node).__name__
        raise UsageError(f"{where} {text!r}: {shown!r} is not allowed",
                         hint="a rule holds column names, numbers, today, + - * /, parentheses and abs()")

    left, right = side(tree.left), side(tree.comparators[0])
    if not names:
        raise UsageError(f"{where} {text!r} names no column")
    return Expression(text=" ".join(text.split()), left=left, op=COMPARISONS[type(tree.ops[0])], right=right,
                      names=tuple(names))


def kind_of(node: Node, kinds: Mapping[str, str], where: str) -> str:
    """``number`` or ``date``: the kind a side evaluates to, given each column's kind; UsageError when the
    sides cannot be computed (a date times a number, a text column)."""
    tag = node[0]
    if tag == "num":
        return "number"
    if tag == "today":
        return "date"
    if tag == "name":
        kind = kinds[node[1]]
        if kind not in ("number", "date"):
            raise UsageError(f"{where}: {node[1]!r} is a {kind} column; row rules compute with numbers and dates",
                             hint='give it type = "number" in its rules table if it holds numbers')
        return kind
    if tag in ("neg", "abs"):
        kind = kind_of(node[1], kinds, where)
        if kind == "date":
            raise UsageError(f"{where}: a date cannot be negated")
        return kind
    sym, a, b = node[1], kind_of(node[2], kinds, where), kind_of(node[3], kinds, where)
    if a == b == "number":
        return "number"
    if sym == "-" and a == b == "date":
        return "number"                       # days between
    if sym in "+-" and a == "date" and b == "number":
        return "date"                         # a date plus days
    if sym == "+" and a == "number" and b == "date":
        return "date"
    raise UsageError(f"{where}: cannot compute a {a} {sym} a {b}")


def evaluate(node: Node, columns: Mapping[str, np.ndarray], today: float | None) -> np.ndarray | float:
    """A side on whole columns (float64; dates as days since 1970; NaN where a cell is empty or invalid)."""
    tag = node[0]
    if tag == "num":
        return node[1]
    if tag == "today":
        return np.nan if today is None else today
    if tag == "name":
        return columns[node[1]]
    if tag == "neg":
        return -evaluate(node[1], columns, today)
    if tag == "abs":
        return np.abs(evaluate(node[1], columns, today))
    a, b = evaluate(node[2], columns, today), evaluate(node[3], columns, today)
    op: Callable[[Any, Any], Any] = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[node[1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        return op(a, b)


def holds(op: str, left: np.ndarray, right: np.ndarray, tolerance: np.ndarray | float) -> np.ndarray:
    """Where ``left op right`` holds within ``tolerance`` (an equality: ``|left - right| <= tolerance``)."""
    if op == "=":
        return np.abs(left - right) <= tolerance
    if op == "!=":
        return np.abs(left - right) > tolerance
    if op == "<":
        return left < right + tolerance
    if op == "<=":
        return left <= right + tolerance
    if op == ">":
        return left > right - tolerance
    return left >= right - tolerance


def render(node: Node) -> str:
    """A side as text (for messages)."""
    tag = node[0]
    if tag == "num":
        v = node[1]
        return str(int(v)) if float(v).is_integer() else str(v)
    if tag == "today":
        return "today"
    if tag == "name":
        return node[1] if re.fullmatch(r"\w+", node[1]) else f"`{node[1]}`"
    if tag == "neg":
        return f"-{render(node[1])}"
    if tag == "abs":
        return f"abs({render(node[1])})"
    return f"{render(node[2])} {node[1]} {render(node[3])}"
