"""JSON and JSON Lines: records in, records out.

Reading gives the same text frame as every other format. Writing: a list of records
(``json``) or one record a line (``jsonl``), UTF-8, never a value JSON cannot hold: missing
values (NaN, NaT, NA) are ``null``, infinities the strings ``"inf"``/``"-inf"`` (the text a
CSV gets; JSON has no infinity), dates ISO text.
"""

from __future__ import annotations

import json
import math
from typing import IO, Any

import pandas as pd

from ..errors import InputError
from .frame import cell_text
from .source import describe_error


def read_json(text: str, fmt: str, name: str) -> pd.DataFrame:
    """A list of records (``json``) or one record a line (``jsonl``) as a text frame: one column
    per key, in first-seen order; nested values as JSON text."""
    try:
        if fmt == "jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            records = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{name} is not valid JSON ({describe_error(exc)})") from None
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(f"{name}: JSON input must be a list of objects (records)")
    columns: list[str] = []
    seen: set[str] = set()
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                columns.append(k)

    def text_of(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (dict, list)):
            return json.dumps(v, ensure_ascii=False)
        return cell_text(v)

    frame = pd.DataFrame({c: pd.Series([text_of(r.get(c)) for r in records], dtype="str") for c in columns})
    frame.index = pd.Index(range(2, len(records) + 2), dtype="int64", name="row")
    return frame


def _json_value(v: Any) -> Any:
    """A cell as a value JSON holds."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if v != v else ("inf" if v > 0 else "-inf")
    return v


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``df`` as JSON-ready dicts (column names as text)."""
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, (_json_value(v) for v in row))) for row in df.itertuples(index=False, name=None)]


def write_json(df: pd.DataFrame, fh: IO[bytes], *, lines: bool = False) -> None:
    """Write ``df`` to the binary file ``fh``: a list of records, or one record a line."""
    if lines:
        for rec in json_records(df):
            fh.write(json.dumps(rec, ensure_ascii=False).encode("utf-8"))
            fh.write(b"\n")
    else:
        fh.write(json.dumps(json_records(df), ensure_ascii=False, indent=1).encode("utf-8"))
        fh.write(b"\n")
