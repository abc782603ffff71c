"""``inspect``: what the tool sees in a file (format, encoding, header, mapping, column profile)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .io import Source, read_input, source_info
from .schema import map_table

EXAMPLE_CHARS = 60


def profile_columns(df: pd.DataFrame, mapping: Mapping[str, str]) -> list[dict[str, Any]]:
    """One dict per column: ``name, field, filled, distinct, examples``.

    ``filled`` is the share of rows with a non-blank value (0..1); ``examples`` are the first
    three distinct non-blank values, each cut to 60 characters.
    """
    out = []
    n = len(df)
    if df.shape[1] > 256 and n <= 1000:
        return _profile_small_wide(df, mapping)
    for col in df.columns:
        s = df[col].astype("str")
        filled = s[s.str.strip() != ""]
        uniq = filled.drop_duplicates()
        examples = [v if len(v) <= EXAMPLE_CHARS else v[: EXAMPLE_CHARS - 1] + "…" for v in uniq.head(3)]
        out.append({
            "name": str(col),
            "field": mapping.get(str(col)),
            "filled": round(len(filled) / n, 4) if n else 0.0,
            "distinct": int(len(uniq)) if len(uniq) < len(filled) else int(filled.nunique()),
            "examples": examples,
        })
    return out


def _profile_small_wide(df: pd.DataFrame, mapping: Mapping[str, str]) -> list[dict[str, Any]]:
    """:func:`profile_columns` in plain Python, for wide short tables (pandas calls per column
    would cost seconds for 16,384 columns)."""
    n = len(df)
    grid = df.to_numpy(dtype=object)
    out = []
    for j, col in enumerate(df.columns):
        filled = [v for v in grid[:, j].tolist() if isinstance(v, str) and v.strip()]
        uniq = list(dict.fromkeys(filled))
        examples = [v if len(v) <= EXAMPLE_CHARS else v[: EXAMPLE_CHARS - 1] + "…" for v in uniq[:3]]
        out.append({"name": str(col), "field": mapping.get(str(col)),
                    "filled": round(len(filled) / n, 4) if n else 0.0, "distinct": len(uniq), "examples": examples})
    return out


def inspect_table(source: Source, *, read: Any = None, overrides: Mapping[str, str] | None = None,
                  with_problems: bool = False) -> Any:
    """Read ``source`` and describe it. The keys are exactly those of ``crm inspect --json``:
    ``format, encoding, delimiter, sheet, sheets, header_row, rows, columns``.

    With ``with_problems=True`` returns ``(description, problems)``, where problems are the
    reader's findings (ragged rows, renamed headers) as dicts with ``row, column, code, message``,
    and the generic headers whose values did not fit their field (code ``unfit-column``).
    ``read`` is a :class:`crmcli.options.ReadOptions` (sheet, encoding, header row, delimiter).
    """
    df = read_input(source, read)
    info = source_info(df)
    cmap = map_table(df.columns, overrides, data=df)
    mapping = cmap.mapping
    desc = {
        "format": info.format,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "sheet": info.sheet,
        "sheets": info.sheets,
        "header_row": info.header_row,
        "rows": int(len(df)),
        "columns": profile_columns(df, mapping),
    }
    unfit = [{"row": None, "column": h, "code": "unfit-column", "message": f"column {h!r} {why}"}
             for h, why in cmap.unfit.items()]
    return (desc, [*info.problems, *unfit]) if with_problems else desc
