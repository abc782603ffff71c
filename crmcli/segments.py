"""RFM segment rule tables: small declarative objects, first match wins.

A :class:`RuleTable` is data: an ordered list of :class:`SegmentRule` plus the label for
customers no rule matches. Each rule states, per dimension (R, F, M), which levels it
accepts. Two bases exist:

- ``"score"``: levels are the scores 1..``bins`` (the ``rfm`` scheme, on a 1..5 scale);
- ``"mean"``: levels are ``low`` / ``high`` against the dimension's mean over all customers
  (the ``cn8`` scheme; R high = more recent = recency_days below the mean).

Because the levels are finite, a table is analysed cell by cell: which rule owns each
(R, F, M) cell under first-match-wins, which rules overlap an earlier one, which can never
match, and which cells no rule covers (:func:`describe_rules`). Custom tables come from a
plain dict / TOML table via :func:`load_rules` (``crm.toml``'s ``[rfm]`` section).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import UsageError

DIMENSIONS = ("r", "f", "m")
MEAN_LEVELS = ("low", "high")


@dataclass(frozen=True)
class SegmentRule:
    """One segment: the levels of R, F and M it accepts (inclusive), and its labels.

    ``r``/``f``/``m`` are tuples of accepted levels: scores (``(3, 4, 5)``) for a score table,
    ``("high",)`` / ``("low",)`` for a mean table. Build rules with :func:`rule` for readable
    ranges (``rule("Promising", r="3-4", f="1-3", m="3-5")``).
    """

    name: str
    r: tuple[Any, ...]
    f: tuple[Any, ...]
    m: tuple[Any, ...]
    label_zh: str = ""

    def label(self, lang: str = "en") -> str:
        return (self.label_zh or self.name) if lang == "zh" else self.name

    def levels(self, dim: str) -> tuple[Any, ...]:
        return getattr(self, dim)


@dataclass(frozen=True)
class RuleTable:
    """An ordered rule table; the first rule whose R, F and M levels all match wins."""

    name: str
    rules: tuple[SegmentRule, ...]
    basis: str = "score"             # "score" (levels 1..bins) or "mean" (low/high against the mean)
    bins: int = 5                    # the score scale the rules are written on (score basis)
    default: str = "Others"
    default_zh: str = "其他"
    lang: str = "en"                 # the language the table is written in (default label language)
    description: str = ""

    def levels(self) -> tuple[Any, ...]:
        return tuple(range(1, self.bins + 1)) if self.basis == "score" else MEAN_LEVELS

    def labels(self, lang: str | None = None) -> list[str]:
        """The segment labels in table order, then the default label."""
        lang = lang or self.lang
        return [r.label(lang) for r in self.rules] + [self.default_label(lang)]

    def default_label(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        return (self.default_zh or self.default) if lang == "zh" else self.default

    def cell_owner(self) -> np.ndarray:
        """Array of shape (L, L, L): index of the rule owning each (R, F, M) cell, -1 if none."""
        levels = self.levels()
        n = len(levels)
        owner = np.full((n, n, n), -1, dtype=np.int64)
        for k, rule in enumerate(self.rules):
            mask = _rule_mask(rule, levels)
            owner[(owner == -1) & mask] = k
        return owner


def _rule_mask(rule: SegmentRule, levels: Sequence[Any]) -> np.ndarray:
    r = np.array([lv in rule.r for lv in levels])
    f = np.array([lv in rule.f for lv in levels])
    m = np.array([lv in rule.m for lv in levels])
    return r[:, None, None] & f[None, :, None] & m[None, None, :]


# ----------------------------------------------------------------- building rules from text

_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-–—~:]|\.\.)\s*(\d+)\s*$")
_ANY = {"", "*", "any", "all", "任意", "不限"}
_HIGH = {"high", "h", "高", "hi"}
_LOW = {"low", "l", "低", "lo"}


def parse_levels(spec: Any, basis: str = "score", bins: int = 5) -> tuple[Any, ...]:
    """Levels from a readable spec.

    Score basis: ``5``, ``"5"``, ``"3-5"`` (also ``3–5``, ``3..5``), ``"1,3,5"``, ``[3, 5]`` (a
    two-item list is a range), ``"*"``/``"any"``/``None`` = every score.
    Mean basis: ``"high"``/``"low"`` (also 高/低), or any.
    """
    every = tuple(range(1, bins + 1)) if basis == "score" else MEAN_LEVELS
    if spec is None:
        return every
    if basis == "mean":
        text = str(spec).strip().casefold()
        if text in _ANY:
            return every
        if text in _HIGH:
            return ("high",)
        if text in _LOW:
            return ("low",)
        raise UsageError(f"rule level {spec!r} is not high, low or any", hint="mean-based rules use high/low")
    if isinstance(spec, bool):
        raise UsageError(f"rule level {spec!r} is not a score")
    if isinstance(spec, int):
        out: tuple[int, ...] = (spec,)
    elif isinstance(spec, (list, tuple)):
        if len(spec) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in spec):
            raise UsageError(f"rule level {list(spec)!r} is not a [low, high] score range")
        lo, hi = spec
        out = tuple(range(lo, hi + 1))
    else:
        text = str(spec).strip().casefold()
        if text in _ANY:
            return every
        m = _RANGE.match(text)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            out = tuple(range(lo, hi + 1))
        elif re.fullmatch(r"\d+(\s*,\s*\d+)*", text):
            out = tuple(sorted({int(v) for v in text.split(",")}))
        else:
            raise UsageError(f"rule level {spec!r} is not a score, a range like 3-5, or *")
    if not out or min(out) < 1 or max(out) > bins:
        raise UsageError(f"rule level {spec!r} is outside the scores 1..{bins}")
    return out


def rule(name: str, r: Any = None, f: Any = None, m: Any = None, *, label_zh: str = "",
         basis: str = "score", bins: int = 5) -> SegmentRule:
    """A :class:`SegmentRule` from readable level specs (see :func:`parse_levels`)."""
    return SegmentRule(name, parse_levels(r, basis, bins), parse_levels(f, basis, bins),
                       parse_levels(m, basis, bins), label_zh)


def _format_levels(levels: tuple[Any, ...], every: tuple[Any, ...]) -> str:
    if levels == every:
        return "*"
    if levels and isinstance(levels[0], int):
        if len(levels) == 1:
            return str(levels[0])
        if levels == tuple(range(levels[0], levels[-1] + 1)):
            return f"{levels[0]}–{levels[-1]}"
        return ",".join(map(str, levels))
    return ",".join(levels)


# ----------------------------------------------------------------- the built-in schemes

#: DESIGN.md "RFM and metrics definitions": the ordered 10-rule table on 1..5 scores.
RFM_RULES = RuleTable(
    name="rfm",
    description="ordered R/F/M score rules on a 1..5 scale; first match wins; unmatched -> Others",
    rules=(
        rule("Champions", "5", "5", "5", label_zh="冠军客户"),
        rule("Potential Loyalist", "3-5", "3-5", "2-5", label_zh="潜在忠诚客户"),
        rule("Loyal Customers", "2-4", "2-4", "2-4", label_zh="忠诚客户"),
        rule("Promising", "3-4", "1-3", "3-5", label_zh="有潜力客户"),
        rule("New Customers", "4-5", "1-3", "1-5", label_zh="新客户"),
        rule("Can't Lose Them", "1-2", "3-4", "4-5", label_zh="不能流失客户"),
        rule("At Risk", "1-2", "2-5", "4-5", label_zh="有流失风险客户"),
        rule("Need Attention", "1-3", "3-5", "3-5", label_zh="需要关注客户"),
        rule("About To Sleep", "2-3", "1-3", "1-4", label_zh="即将沉睡客户"),
        rule("Lost", "1", "1-5", "1-5", label_zh="已流失客户"),
    ),
)


def _mean_rule(zh: str, en: str, r: str, f: str, m: str) -> SegmentRule:
    return rule(en, r, f, m, label_zh=zh, basis="mean")


#: The Chinese 8-class model: R, F, M each high/low against its mean (R high = more recent).
CN8_RULES = RuleTable(
    name="cn8",
    basis="mean",
    lang="zh",
    description="R, F, M each high/low against the customers' mean (R high = recency_days below the mean); "
                "first match wins",
    rules=(
        _mean_rule("重要价值客户", "Important value", "high", "high", "high"),
        _mean_rule("重要保持客户", "Important retention", "low", "high", "high"),
        _mean_rule("重要发展客户", "Important development", "high", "low", "high"),
        _mean_rule("重要挽留客户", "Important win-back", "low", "low", "high"),
        _mean_rule("一般价值客户", "General value", "high", "high", "low"),
        _mean_rule("一般保持客户", "General retention", "low", "high", "low"),
        _mean_rule("一般发展客户", "General development", "high", "low", "low"),
        _mean_rule("一般挽留客户", "General win-back", "low", "low", "low"),
    ),
)

SCHEMES: dict[str, RuleTable] = {"rfm": RFM_RULES, "cn8": CN8_RULES}


def get_scheme(scheme: str | RuleTable) -> RuleTable:
    """The built-in table named ``scheme`` (``rfm`` or ``cn8``), or ``scheme`` itself."""
    if isinstance(scheme, RuleTable):
        return scheme
    try:
        return SCHEMES[str(scheme).strip().lower()]
    except KeyError:
        raise UsageError(f"unknown RFM scheme {scheme!r}", hint="schemes: " + ", ".join(SCHEMES)) from None


def load_rules(table: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, name: str = "custom") -> RuleTable:
    """A :class:`RuleTable` from plain data (a ``crm.toml`` table), e.g.::

        [rfm]
        basis = "score"            # or "mean" (high/low against the mean); default "score"
        bins = 5                   # the score scale the rules are written on
        default = "Others"         # label for customers no rule matches (default_zh too)
        [[rfm.rules]]
        name = "Champions"
        label_zh = "冠军客户"
        r = "5"                    # a score, a range "3-5", a list "1,3,5", [3, 5], or "*"
        f = "4-5"
        m = "*"                    # a missing dimension means any level

    A bare list of rule dicts is accepted too. Unknown keys are a UsageError naming the key.
    """
    if not isinstance(table, Mapping):
        table = {"rules": list(table)}
    known = {"rules", "basis", "bins", "default", "default_zh", "lang", "name", "description"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise UsageError(f"unknown key {unknown[0]!r} in the RFM rule table", hint="keys: " + ", ".join(sorted(known)))
    basis = str(table.get("basis", "score")).strip().lower()
    if basis not in ("score", "mean"):
        raise UsageError(f"RFM rule table basis {basis!r} is not score or mean")
    bins = table.get("bins", 5)
    if not isinstance(bins, int) or isinstance(bins, bool) or not 2 <= bins <= 20:
        raise UsageError(f"RFM rule table bins {bins!r} is not a whole number 2..20")
    raw_rules = table.get("rules")
    if not raw_rules or not isinstance(raw_rules, (list, tuple)):
        raise UsageError("the RFM rule table has no rules", hint="add [[rfm.rules]] entries with name, r, f, m")
    rules = []
    rule_keys = {"name", "label_zh", "label_en", "r", "f", "m"}
    for i, item in enumerate(raw_rules, 1):
        if not isinstance(item, Mapping):
            raise UsageError(f"RFM rule {i} is not a table of name, r, f, m")
        bad = sorted(set(item) - rule_keys)
        if bad:
            raise UsageError(f"unknown key {bad[0]!r} in RFM rule {i}", hint="keys: " + ", ".join(sorted(rule_keys)))
        rname = str(item.get("name") or item.get("label_en") or "").strip()
        if not rname:
            raise UsageError(f"RFM rule {i} has no name")
        rules.append(rule(rname, item.get("r"), item.get("f"), item.get("m"),
                          label_zh=str(item.get("label_zh", "")), basis=basis, bins=bins))
    return RuleTable(name=str(table.get("name", name)), rules=tuple(rules), basis=basis, bins=bins,
                     default=str(table.get("default", "Others")), default_zh=str(table.get("default_zh", "其他")),
                     lang=str(table.get("lang", "en")), description=str(table.get("description", "custom rules")))


# ----------------------------------------------------------------- matching


def rescale_scores(scores: np.ndarray, bins: int, to_bins: int) -> np.ndarray:
    """Map scores 1..bins linearly onto 1..to_bins (ends onto ends), so a 1..5 rule table also
    reads scores made with ``--bins 3`` or ``--bins 10``."""
    if bins == to_bins:
        return scores
    return 1 + np.rint((scores - 1) * (to_bins - 1) / (bins - 1)).astype(np.int64)


def assign_segments(table: RuleTable, r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Rule index per customer (``len(table.rules)`` = unmatched), by a cell lookup.

    ``r, f, m`` are level indices 0..L-1 (score − 1, or 0 = low / 1 = high).
    """
    owner = table.cell_owner()
    idx = owner[r, f, m]
    return np.where(idx < 0, len(table.rules), idx)


# ----------------------------------------------------------------- analysis (crm rfm --rules)


@dataclass
class RulesReport:
    """What :func:`describe_rules` found: one row per rule, plus the uncovered cells."""

    table: RuleTable
    rules: pd.DataFrame            # rule, label, r, f, m, cells, owned, overlaps, never_matches[, customers, share]
    cells: int                     # number of (R, F, M) cells
    unmatched_cells: int
    unmatched_share: float | None = None   # share of customers unmatched (when data was given)
    warnings: list[str] = field(default_factory=list)
    lang: str = "en"


def describe_rules(table: RuleTable, segments: Iterable[str] | None = None, *, lang: str | None = None) -> RulesReport:
    """Analyse a rule table cell by cell; with ``segments`` (one label per customer), also count customers.

    ``owned`` = cells the rule wins under first-match-wins; ``overlaps`` = earlier rules that
    claim some of the rule's cells; ``never_matches`` = the rule owns no cell.
    """
    levels = table.levels()
    n = len(levels)
    owner = table.cell_owner()
    rows = []
    warnings = []
    masks = [_rule_mask(r, levels) for r in table.rules]
    for k, rl in enumerate(table.rules):
        overl = [table.rules[j].label(lang or table.lang) for j in range(k) if (masks[j] & masks[k]).any()]
        owned = int((owner == k).sum())
        rows.append({
            "rule": k + 1, "label": rl.label(lang or table.lang),
            "r": _format_levels(rl.r, levels), "f": _format_levels(rl.f, levels), "m": _format_levels(rl.m, levels),
            "cells": int(masks[k].sum()), "owned": owned, "overlaps": ", ".join(overl), "never_matches": owned == 0,
        })
        if owned == 0:
            warnings.append(f"rule {k + 1} {rl.label(lang or table.lang)!r} can never match: "
                            f"earlier rules take all its cells")
    unmatched = int((owner == -1).sum())
    frame = pd.DataFrame(rows)
    share = None
    if segments is not None:
        seg = pd.Series(list(segments), dtype="str")
        counts = seg.value_counts()
        total = max(len(seg), 1)
        frame["customers"] = [int(counts.get(lbl, 0)) for lbl in frame["label"]]
        frame["share"] = frame["customers"] / total
        share = int(counts.get(table.default_label(lang or table.lang), 0)) / total
    if unmatched:
        warnings.append(f"{unmatched} of {n ** 3} cells match no rule -> {table.default_label(lang or table.lang)!r}")
    return RulesReport(table, frame, n ** 3, unmatched, share, warnings, lang or table.lang)
