"""Totals rows: a 合计/总计/Total… row an export appends under the data.

The reader flags them (``totals-row`` problems) and keeps them in the table; analytics leave
them out with :func:`drop_totals` and say so. Large columns are screened on the first two
bytes of each value (read from the arrow buffers) before any string is looked at.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .._bytes import MAYBE_BLANK, first_bytes, np_bool
from .source import source_info

#: Labels of a totals/subtotals row that an export appends under the data.
TOTAL_LABELS = frozenset({"合计", "总计", "小计", "总合计", "汇总", "合计：", "合计:", "总计：", "总计:",
                          "total", "totals", "grand total", "subtotal", "sum", "total:", "totals:"})


def _filled(values: Iterable[Any]) -> int:
    """How many values are non-blank text."""
    return sum(1 for v in values if isinstance(v, str) and v.strip())


def _label_prefixes() -> np.ndarray:
    """256 x 256 table (flat): the first two bytes (UTF-8) a cell can start with when, stripped and
    lowercased, it is one of ``TOTAL_LABELS`` (a cell starting with whitespace is let through
    by ``MAYBE_BLANK`` instead). Only ASCII letters lowercase to ASCII letters (a test checks)."""
    table = np.zeros((256, 256), dtype=bool)
    for label in TOTAL_LABELS:
        first, second = label[0], label[1]
        if first.isascii():
            for a in {first, first.upper()}:
                for b in {second, second.upper()}:
                    table[ord(a), ord(b)] = True
        else:
            head = first.encode("utf-8")
            table[head[0], head[1]] = True
    return table.ravel()  # indexed by first * 256 + second


LABEL_PREFIX = _label_prefixes()


def _label_candidates(arr: Any) -> np.ndarray | None:
    """Cells of a pyarrow string column that may hold a totals label (a superset: two bytes of
    each value read from the arrow buffers), None when the buffers cannot be read."""
    first, second = first_bytes(arr), first_bytes(arr, at=1)
    if first is None or second is None:
        return None
    return MAYBE_BLANK.take(first) | LABEL_PREFIX.take((first.astype(np.uint16) << 8) | second)


def flag_totals(frame: pd.DataFrame, problems: list[dict[str, Any]]) -> None:
    """Report rows labelled 合计/总计/Total… in one of the first three columns (``totals-row``).

    The rows stay in the table (nothing is dropped by the reader); :func:`totals_rows` lists
    them so analytics can leave them out and say so.
    """
    if frame.empty:
        return
    hits: set[int] = set()
    for col in list(frame.columns[:3]):
        s = frame[col]
        arr = getattr(s.array, "_pa_array", None)
        if arr is not None and len(s) > 10_000:
            # Large columns: only the cells whose first bytes can start a label (or whitespace)...
            cand = _label_candidates(arr)
            if cand is not None:
                if not cand.any():
                    continue
                s = s[cand]
                arr = getattr(s.array, "_pa_array", None)
        if arr is not None and len(s) > 10_000:
            # ... then a pyarrow (RE2) prefilter: every label holds one of these (any case); only
            # the few candidate cells get the exact check below.
            import pyarrow.compute as pc

            cand = pc.match_substring_regex(arr, "计|总|汇|tot|sum", ignore_case=True)
            cand = np_bool(cand)
            if not cand.any():
                continue
            s = s[cand]
        short = s.str.len() <= 12
        if not short.any():
            continue
        mask = short & s.str.strip().str.lower().isin(TOTAL_LABELS)
        hits.update(int(r) for r in s.index[mask.to_numpy()])
    if not hits:
        return
    # A totals row is at the bottom, or sparser than a typical row (a customer called "Total"
    # in a full row in the middle of the table is not one).
    sample = sorted(_filled(r) for r in frame.head(200).itertuples(index=False, name=None))
    typical = sample[len(sample) // 2]
    last = set(int(r) for r in frame.index[-5:])
    hits = {r for r in hits if r in last or _filled(frame.loc[r].tolist()) < typical}
    for row in sorted(hits):
        problems.append({"row": row, "column": None, "code": "totals-row",
                         "message": "looks like a totals row (合计/Total): kept in the table; analytics "
                                    "commands leave it out"})


def totals_rows(df: pd.DataFrame) -> list[int]:
    """Row numbers of ``df`` the reader flagged as totals rows (``totals-row`` problems)."""
    info = source_info(df)
    if info is None:
        return []
    return [p["row"] for p in info.problems if p.get("code") == "totals-row" and p.get("row") in df.index]


def drop_totals(df: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """``df`` without its flagged totals rows, and their row numbers (for analytics to report)."""
    rows = totals_rows(df)
    return (df.drop(index=rows) if rows else df), rows

