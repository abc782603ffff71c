"""Issue lists built column-wise (pyarrow arrays), their texts filled for many issues at once, and
their summary."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..fields import CODES as FIELD_CODES
from ..fields import Normalized
from .codes import CODES, ISSUE_COLUMNS, code_spec


class IssueList:
    """Issues gathered column-wise (pyarrow arrays), sorted and framed once at the end."""

    def __init__(self, columns: Iterable[str], lang: str = "en"):
        self.lang = lang          # the language of the messages the checks write into it
        self.order = {c: i for i, c in enumerate(columns)}
        self.rows: list[np.ndarray] = []
        self.colpos: list[np.ndarray] = []
        self.cols: dict[str, list[pa.Array]] = {c: [] for c in ISSUE_COLUMNS[1:]}

    def add(self, rows: np.ndarray, column: str, field: str, *values: object) -> None:
        n = len(rows)
        self.rows.append(np.asarray(rows, dtype=np.int64))
        self.colpos.append(np.full(n, self.order.get(column, len(self.order)), dtype=np.int64))
        for key, v in zip(ISSUE_COLUMNS[1:], (column, field, *values)):
            self.cols[key].append(_text_array(v, n))

    def add_frame(self, part: pd.DataFrame) -> None:
        rows = pd.to_numeric(part["row"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        self.rows.append(rows)
        self.colpos.append(part["column"].map(self.order).fillna(len(self.order)).to_numpy(dtype=np.int64))
        for key in ISSUE_COLUMNS[1:]:
            self.cols[key].append(_text_array(part[key].fillna("").astype("str").tolist(), len(part)))

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return empty_issues()
        rows, colpos = np.concatenate(self.rows), np.concatenate(self.colpos)
        sort = pa.array(np.lexsort((colpos, rows)))   # by row, then column; stable
        data = {"row": rows[sort.to_numpy()]}
        for key, chunks in self.cols.items():
            data[key] = pd.array(pa.concat_arrays(chunks).take(sort), dtype=_STR)
        return pd.DataFrame(data)[list(ISSUE_COLUMNS)]


_STR = pd.StringDtype("pyarrow", na_value=np.nan)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill_template(template: str, n: int, params: Mapping[str, object]) -> pa.Array:
    """``template`` (a :data:`CODES` message or suggestion) filled for ``n`` issues at once: each
    ``{name}`` from ``params[name]``, a string (the same for every issue) or an array/sequence of n."""
    pieces: list[object] = []
    arrays = False
    for i, part in enumerate(_PLACEHOLDER.split(template)):
        if i % 2 == 0:
            if part:
                pieces.append(pa.scalar(part, pa.large_string()))
            continue
        value = params[part]
        if isinstance(value, str):
            pieces.append(pa.scalar(value, pa.large_string()))
        else:
            pieces.append(_text_array(value, n))
            arrays = True
    if not arrays:
        text = "".join(p.as_py() for p in pieces)  # type: ignore[union-attr]
        return pa.repeat(pa.scalar(text, pa.large_string()), n)
    if len(pieces) == 1:
        return pieces[0]  # type: ignore[return-value]
    return pc.binary_join_element_wise(*pieces, pa.scalar("", pa.large_string()))


def issue_texts(code: str, n: int, *, lang: str = "en", **params: object) -> tuple[pa.Array, pa.Array]:
    """The message and suggestion of ``n`` issues of ``code`` in ``lang``, filled from ``params``
    (see :func:`fill_template`)."""
    spec = code_spec(code, lang)
    return fill_template(spec.message, n, params), fill_template(spec.suggestion, n, params)


def _text_array(value: object, n: int) -> pa.Array:
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        arr = value.combine_chunks() if isinstance(value, pa.ChunkedArray) else value
        return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())
    if isinstance(value, str):
        return pa.repeat(pa.scalar(value, pa.large_string()), n)
    return pa.array(list(value), type=pa.large_string())


def empty_issues() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in ISSUE_COLUMNS})
    frame["row"] = frame["row"].astype("int64")
    return frame


def _catalogue(region: str, lang: str = "en") -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """code, severity, message, suggestion by field-layer code index (:data:`crmcli.fields.CODES`)."""
    specs = [code_spec(c, lang) if c in CODES else None for c in FIELD_CODES]
    return (
        pa.array(FIELD_CODES, type=pa.large_string()),
        pa.array([s.severity if s else "" for s in specs], type=pa.large_string()),
        pa.array([s.message.format(region=region, field="", value="", first="") if s else "" for s in specs],
                 type=pa.large_string()),
        pa.array([s.suggestion if s else "" for s in specs], type=pa.large_string()),
    )


def add_field_issues(out: IssueList, df: pd.DataFrame, column: str, field: str, res: Normalized,
                     region: str, lang: str = "en") -> None:
    """The field layer's issues of one normalized column (``invalid-phone``, ``invalid-date`` …) into ``out``."""
    mask = res.bad
    if not mask.any():
        return
    idx = pa.array(res.code_index[mask])
    out.add(df.index.to_numpy()[mask], column, field, stripped_cells(df[column], mask),
            *(table.take(idx) for table in _catalogue(region, lang)))


def stripped_cells(series: pd.Series, mask: np.ndarray) -> pa.Array:
    """``series[mask]`` trimmed, as a pyarrow string array."""
    arr = getattr(series.array, "_pa_array", None)
    if arr is None or arr.null_count:
        return pa.array(series[mask].astype("str").fillna("").str.strip().tolist(), type=pa.large_string())
    return pc.utf8_trim_whitespace(arr.filter(pa.array(mask)).combine_chunks())


def summarize_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """Counts per field and code: columns ``field, code, severity, count`` (largest first)."""
    if issues.empty:
        return pd.DataFrame({"field": pd.Series([], dtype="str"), "code": pd.Series([], dtype="str"),
                             "severity": pd.Series([], dtype="str"), "count": pd.Series([], dtype="int64")})
    counts = issues.groupby(["field", "code", "severity"], sort=False).size().rename("count").reset_index()
    return counts.sort_values(["count", "field", "code"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)
