"""Excel's "Show Values As" on an aggregated pivot: the cells, the row totals, the column totals and the
grand total (each computed from the rows) are turned into shares, ranks, running totals, indexes or
differences as Excel does:

| show | cell | Total column | Total row | grand total |
|---|---|---|---|---|
| ``row%`` | cell ÷ its row's total | 100 % | column total ÷ grand | 100 % |
| ``col%`` | cell ÷ its column's total | row total ÷ grand | 100 % | 100 % |
| ``total%`` | cell ÷ grand total | ÷ grand | ÷ grand | 100 % |
| ``rank`` | rank in its column, largest = 1, ties share | rank of the row totals | — | — |
| ``running`` | running total along the base field | along rows: running; else — | along columns: running; else — | — |
| ``index`` | (cell × grand) ÷ (row total × column total) | 1 | 1 | 1 |
| ``diff-prev`` | cell − the previous item's along the base field (first: —) | as the cells, along rows | as the cells, along columns | — |
| ``pct-diff-prev`` | (cell − previous) ÷ previous | idem | idem | — |

The base field is the date field among ``--rows``/``--cols``, else ``--cols``, else the last row field;
along rows, the other row fields group the rows (the previous month of the same channel). For sums
and counts an empty cell is 0 in running totals and differences (nothing sold); for other
aggregations it stays empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _safe(div: pd.DataFrame | pd.Series | float):
    if isinstance(div, (pd.DataFrame, pd.Series)):
        return div.where(div != 0)
    return div if div else float("nan")


def show_values(show: str, cells: pd.DataFrame, rtot: pd.Series | None, ctot: pd.Series, grand: float, *,
                base: str, groups: list[str], additive: bool
                ) -> tuple[pd.DataFrame, pd.Series | None, pd.Series, float]:
    """``(cells, row totals, column totals, grand)`` shown as ``show``; ``rtot`` is None without --cols
    (the one value column is then its own row total)."""
    nan = float("nan")
    row_total = rtot if rtot is not None else cells.iloc[:, 0]
    if show == "row%":
        out = cells.div(_safe(row_total), axis=0)
        return out, _ratio(rtot, rtot), ctot / _safe(grand), 1.0 if grand else nan
    if show == "col%":
        out = cells.div(_safe(ctot), axis=1)
        return out, None if rtot is None else rtot / _safe(grand), ctot / _safe(ctot), 1.0 if grand else nan
    if show == "total%":
        g = _safe(grand)
        return cells / g, None if rtot is None else rtot / g, ctot / g, 1.0 if grand else nan
    if show == "index":
        outer = np.outer(row_total.to_numpy(dtype=np.float64), ctot.to_numpy(dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            values = cells.to_numpy(dtype=np.float64) * grand / np.where(outer != 0, outer, np.nan)
        out = pd.DataFrame(values, index=cells.index, columns=cells.columns)
        return out, None if rtot is None else _ratio(rtot, rtot), _ratio(ctot, ctot), 1.0 if grand else nan
    if show == "rank":
        out = cells.rank(ascending=False, method="min")
        return out, None if rtot is None else rtot.rank(ascending=False, method="min"), ctot * nan, nan
    filled = cells.fillna(0.0) if additive else cells
    if show == "running":
        if base == "cols":
            return filled.cumsum(axis=1), None if rtot is None else rtot * nan, _filled(ctot, additive).cumsum(), nan
        running = _down(filled, groups, lambda g: g.cumsum())
        rt = None if rtot is None else _down(_filled(rtot, additive).to_frame(), groups, lambda g: g.cumsum()).iloc[:, 0]
        return running, rt, ctot * nan, nan
    if show in ("diff-prev", "pct-diff-prev"):
        pct = show == "pct-diff-prev"
        if base == "cols":
            prev = filled.shift(1, axis=1)
            c = _filled(ctot, additive)
            return _diff(filled, prev, pct), None if rtot is None else rtot * nan, _diff(c, c.shift(1), pct), nan
        prev = _down(filled, groups, lambda g: g.shift(1))
        out = _diff(filled, prev, pct)
        rt = None
        if rtot is not None:
            r = _filled(rtot, additive).to_frame()
            rt = _diff(r, _down(r, groups, lambda g: g.shift(1)), pct).iloc[:, 0]
        return out, rt, ctot * nan, nan
    raise ValueError(show)


def _ratio(a: pd.Series | None, b: pd.Series | None) -> pd.Series | None:
    return None if a is None or b is None else a / _safe(b)


def _filled(s: pd.Series, additive: bool) -> pd.Series:
    return s.fillna(0.0) if additive else s


def _diff(now, prev, pct: bool):
    return (now - prev) / _safe(prev) if pct else now - prev


def _down(frame: pd.DataFrame, groups: list[str], step) -> pd.DataFrame:
    """``step`` (cumsum, shift) down the rows, within the groups of the other row fields."""
    if not groups:
        return step(frame)
    keys = [frame.index.get_level_values(g) for g in groups]
    return frame.groupby(keys, sort=False, group_keys=False).transform(step)
