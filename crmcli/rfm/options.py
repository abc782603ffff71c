"""The RFM options checked once for every engine: cut points (``breaks``), value tiers, the segment rules,
the number of bins and the labels' language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import UsageError
from ..segments import RuleTable, get_scheme, load_rules

DEFAULT_TIERS: tuple[tuple[str, float], ...] = (("high", 0.2), ("mid", 0.3), ("low", 0.5))
#: How a dimension of ``breaks`` may be named (``--breaks r=…``, crm.toml ``[rfm.breaks] recency = […]``).
BREAK_KEYS = {"r": "r", "recency": "r", "recency_days": "r", "f": "f", "frequency": "f", "m": "m", "monetary": "m"}


def parse_breaks(items: Sequence[str] | Mapping[str, Any] | None, bins: int) -> dict[str, np.ndarray]:
    """Explicit cut points per dimension.

    From CLI items ``["r=30,90,180,365", "f=1,2,5,10"]`` or a mapping ``{"r": [30, 90, 180, 365]}``
    (keys r/f/m or recency/frequency/monetary). Each needs ``bins - 1`` strictly increasing
    numbers; a value ≤ a cut point falls in the lower bin (for recency: the higher score).
    """
    if not items:
        return {}
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        pairs = []
        for item in items:
            key, sep, vals = str(item).partition("=")
            if not sep:
                raise UsageError(f"{{opt:breaks}} {item!r} is not DIM=CUT,CUT,…", hint="e.g. {opt:breaks} r=30,90,180,365")
            pairs.append((key, vals))
    out: dict[str, np.ndarray] = {}
    for key, vals in pairs:
        dim = BREAK_KEYS.get(str(key).strip().lower())
        if dim is None:
            raise UsageError(f"{{opt:breaks}} names unknown dimension {key!r}", hint="use r=, f= or m=")
        if isinstance(vals, str):
            parts = [v for v in vals.replace("，", ",").split(",") if v.strip()]
        else:
            parts = list(vals)
        try:
            cuts = np.array([float(v) for v in parts], dtype=np.float64)
        except (TypeError, ValueError):
            raise UsageError(f"{{opt:breaks}} {key}: {vals!r} are not numbers") from None
        if len(cuts) != bins - 1:
            raise UsageError(f"{{opt:breaks}} {key} has {len(cuts)} cut points; {bins} bins need {bins - 1}",
                             hint=f"e.g. {{opt:breaks}} {key}=" + ",".join(str(10 * (i + 1)) for i in range(bins - 1)))
        if not np.isfinite(cuts).all() or (np.diff(cuts) <= 0).any():
            raise UsageError(f"{{opt:breaks}} {key}: cut points must be finite and strictly increasing")
        out[dim] = cuts
    return out


def parse_tiers(spec: str | Sequence[float] | None) -> tuple[tuple[str, float], ...]:
    """Tier shares from ``"20,30"`` / ``"20,30,50"`` (percent of customers for high, mid[, low]),
    or a sequence of fractions; None = the default 20 / 30 / 50."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return DEFAULT_TIERS
    try:
        parts = [float(v) for v in (spec.split(",") if isinstance(spec, str) else spec)]
    except (TypeError, ValueError):
        raise UsageError(f"{{opt:tiers}} {spec!r} is not HIGH,MID[,LOW] percentages", hint="e.g. {opt:tiers} 20,30") from None
    if parts and max(parts) > 1:  # percentages
        parts = [v / 100 for v in parts]
    if len(parts) == 2:
        parts.append(1 - sum(parts))
    if len(parts) != 3 or min(parts) < 0 or abs(sum(parts) - 1) > 1e-6:
        raise UsageError(f"{{opt:tiers}} {spec!r}: high, mid and low must be non-negative and add up to 100%",
                         hint="e.g. {opt:tiers} 20,30 (low = the remaining 50)")
    return tuple(zip(("high", "mid", "low"), parts))


def resolve_rules(scheme: str | RuleTable, rules: Any) -> RuleTable:
    if rules is None:
        return get_scheme(scheme)
    if isinstance(rules, RuleTable):
        return rules
    return load_rules(rules)


def check_rfm_options(bins: Any, scheme: str | RuleTable, rules: Any, lang: str | None,
                      breaks: Any) -> tuple[RuleTable, str, dict[str, np.ndarray]]:
    """``(rule table, lang, cut points)`` for score_rfm's options on any engine; a UsageError for a bad one."""
    if not isinstance(bins, int) or isinstance(bins, bool) or not 2 <= bins <= 20:
        raise UsageError(f"{{opt:bins}} {bins!r} must be a whole number from 2 to 20")
    table_rules = resolve_rules(scheme, rules)
    lang = (lang or table_rules.lang).lower()
    if lang not in ("en", "zh"):
        raise UsageError(f"{{opt:lang}} {lang!r} is not en or zh")
    return table_rules, lang, parse_breaks(breaks, bins)
