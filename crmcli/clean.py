"""``clean_table``: normalize every mapped field, keep every row, list every problem.

Every input row is kept, in order, under its original header; mapped columns get their
normalized values (:mod:`crmcli.fields`), unmapped columns pass through untouched, and a
value that cannot be normalized is kept exactly as written (trimmed) and listed in the
issues. ``drop_invalid=True`` moves rows with an error to ``rejected`` instead.
Cleaning a cleaned table changes nothing.

``write_cleaned`` writes a result: xlsx gets sheets ``cleaned``, ``issues``, ``summary`` (and
``rejected``) with invalid cells highlighted, phones and ids as text cells, dates as date
cells and money with a number format; CSV/TSV/JSON get the data only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import UsageError
from .fields import Normalized, kind_of
from .formats import MONEY as MONEY_FORMAT
from .io import default_output, output_format, write_table, write_workbook
from .normalize import normalize_table
from .rules import fill_from_address, merges_of, preload_keys
from .rules import merge_values as merge_rewritten
from .validate import check_table

if TYPE_CHECKING:
    from .dedupe import DedupeResult

Progress = Callable[[int, int, str], None]


@dataclass
class CleanResult:
    """What :func:`clean_table` returns."""

    cleaned: pd.DataFrame                 # every kept row, original headers, normalized values (text)
    issues: pd.DataFrame                  # see crmcli.validate.ISSUE_COLUMNS
    summary: pd.DataFrame                 # one row per column: column, field, kind, filled, changed, errors, warnings
    rejected: pd.DataFrame                # rows moved out by drop_invalid (empty otherwise)
    mapping: dict[str, str] = field(default_factory=dict)
    normalized: dict[str, Normalized] = field(default_factory=dict, repr=False)
    deduped: DedupeResult | None = field(default=None, repr=False)   # with dedupe=True
    #: Cells rewritten to their canonical spelling per column (``merge_values``, ``[values]``).
    merged: dict[str, int] = field(default_factory=dict)
    #: Empty city/province cells filled from the address per column (``fill_address``).
    filled: dict[str, int] = field(default_factory=dict)
    #: The value clusters found (see crmcli.rules.CLUSTER_COLUMNS).
    clusters: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def output(self) -> pd.DataFrame:
        """The table to write: the merged (one row per customer) table after dedupe, else ``cleaned``."""
        return self.deduped.merged if self.deduped is not None else self.cleaned

    @property
    def errors(self) -> int:
        return int((self.issues["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        return int((self.issues["severity"] == "warning").sum())


def clean_table(df: object, *, read: object = None, overrides: Mapping[str, str] | None = None, region: str = "CN",
                dayfirst: bool | None = None, drop_invalid: bool = False,
                mapping: Mapping[str, str] | None = None, unique: Iterable[str] | None = None,
                progress: Progress | None = None, dedupe: bool = False,
                dedupe_options: Mapping[str, object] | None = None, rules: object = None,
                kind: str | None = None, required: Iterable[str] = (), as_of: object = None,
                values: object = None, merge_values: bool = False, fill_address: bool = False,
                defaults: bool = True) -> CleanResult:
    """Clean a :class:`~crmcli.table.Table`, a ``read_table`` frame, or a path, ``"-"`` or bytes (read with
    ``read`` = ReadOptions); the input itself is not modified.

    ``overrides`` is ``{field: header}`` (``--map``); ``mapping`` ``{header: field}`` skips the
    automatic mapping. ``progress(done, total, label)`` is called as columns are normalized.
    To chain a later stage (e.g. dedupe), pass ``result.cleaned`` on: it is a text frame
    indexed by Excel row like any ``read_table`` frame.

    ``dedupe=True`` then runs :func:`crmcli.dedupe.dedupe_table` on the cleaned rows (same
    mapping and region; ``dedupe_options`` are passed on, e.g. ``threshold``): ``result.deduped``
    holds the merged table and clusters, and ``result.output`` is the merged table.

    ``rules``, ``kind``, ``required``, ``as_of``, ``values`` and ``defaults`` (False: none of the default checks)
    are :func:`crmcli.validate.check_table`'s.
    ``merge_values=True`` writes each spelling of a value cluster found (key collisions: 天猫旗舰店, Tmall → 天猫)
    as its canonical value; the variants of ``values`` (crm.toml's ``[values]``) are written so always.
    ``fill_address=True`` fills the empty city and province cells from the address (adding the columns when
    the table has none). ``result.merged`` / ``result.filled`` count the cells changed per column.
    """
    if defaults:
        preload_keys()
    table = normalize_table(df, read=read, overrides=overrides, mapping=mapping, region=region, dayfirst=dayfirst,
                            progress=progress, count_changes=True, unique=unique)
    df, mapping, normalized, region = table.frame, table.mapping, table.normalized, table.region
    if progress:
        progress(len(normalized), len(normalized), "checking duplicates")
    checked = check_table(table, unique=unique, rules=rules, kind=kind, required=required, as_of=as_of,
                          values=values, defaults=defaults)
    issues = checked.issues
    merged: dict[str, int] = {}
    for col, merges in merges_of(checked.clusters, found=merge_values).items():
        res = normalized[col] if col in normalized else None
        source = res.values if res is not None else df[col]
        new, n = merge_rewritten(source, merges)
        if n:
            merged[col] = n
            normalized = {**normalized, col: _with_values(res, new) if res is not None else _text_result(new)}
    if merged:
        table = replace(table, normalized=normalized)
    cleaned = table.cleaned()
    filled: dict[str, int] = {}
    if fill_address:
        cleaned, filled = fill_from_address(table, cleaned)
        for col in filled:
            if col in normalized:
                normalized = {**normalized, col: _with_values(normalized[col], cleaned[col])}
        if filled:
            table = replace(table, normalized={h: r for h, r in normalized.items() if h in table.normalized})
    summary = summarize_columns(df, mapping, normalized, issues)
    rejected = cleaned.iloc[:0]
    if drop_invalid:
        bad = cleaned.index.isin(issues.loc[issues["severity"] == "error", "row"].unique())
        rejected, cleaned = cleaned[bad], cleaned[~bad]
    deduped = None
    if dedupe:
        from .dedupe import dedupe_table

        if progress:
            progress(len(normalized), len(normalized), "finding duplicates")
        # the cleaned rows, with the values normalized above: dedupe normalizes nothing again
        kept = replace(table, frame=table.cleaned()).drop_rows(rejected.index)
        # the pairs over p 0.5 only (nothing here writes every compared pair): memory grows with the records
        deduped = dedupe_table(kept, **{"keep_pairs": False, **dict(dedupe_options or {})})
    return CleanResult(cleaned=cleaned, issues=issues, summary=summary, rejected=rejected,
                       mapping=mapping, normalized=dict(normalized), deduped=deduped, merged=merged, filled=filled,
                       clusters=checked.clusters)


def _with_values(res: Normalized, values: pd.Series) -> Normalized:
    """``res`` with its values rewritten (codes kept; the changed count recounted)."""
    values = pd.Series(pd.array(values.astype("str").fillna(""), dtype=res.values.dtype), index=res.values.index,
                       name=res.values.name)
    parsed = values if res.parsed is res.values else res.parsed
    return Normalized(values=values, parsed=parsed, _code_idx=res.code_index)


def _text_result(values: pd.Series) -> Normalized:
    return Normalized(values=values, _code_idx=np.zeros(len(values), dtype=np.int8))


def summarize_columns(df: pd.DataFrame, mapping: Mapping[str, str], normalized: Mapping[str, Normalized],
                      issues: pd.DataFrame) -> pd.DataFrame:
    """One row per column: ``column, field, kind, filled, changed, errors, warnings``."""
    per = issues.groupby(["column", "severity"]).size()     # (the "" column: table-level, below)
    rows = []
    for col in df.columns:
        raw = df[col]
        res = normalized.get(col)
        rows.append({"column": str(col), "field": mapping.get(col, ""),
                     "kind": kind_of(mapping[col]) if col in mapping else "",
                     "filled": _filled(raw), "changed": res.changed(raw) if res is not None else 0,
                     "errors": int(per.get((col, "error"), 0)), "warnings": int(per.get((col, "warning"), 0))})
    table_level = issues.loc[(issues["column"] == "").to_numpy(), ["code", "severity"]]
    for code, n in table_level["code"].value_counts().items():
        sev = table_level.loc[table_level["code"] == code, "severity"].iloc[0]
        rows.append({"column": f"({code})", "field": "", "kind": "", "filled": 0, "changed": 0,
                     "errors": int(n) if sev == "error" else 0, "warnings": int(n) if sev == "warning" else 0})
    return pd.DataFrame(rows, columns=["column", "field", "kind", "filled", "changed", "errors", "warnings"])


def _filled(raw: pd.Series) -> int:
    """How many cells of a text column are not empty."""
    arr = getattr(raw.array, "_pa_array", None)
    if arr is not None and not arr.null_count:
        import pyarrow.compute as pc

        return int(pc.sum(pc.greater(pc.binary_length(arr), 0)).as_py() or 0)
    return int((raw.fillna("") != "").sum()) if len(raw) else 0


# ----------------------------------------------------------------------------- writing


def _typed(frame: pd.DataFrame, result: CleanResult) -> pd.DataFrame:
    return type_cells(frame, result.mapping, result.normalized)


def type_cells(frame: pd.DataFrame, mapping: Mapping[str, str], normalized: Mapping[str, Normalized]) -> pd.DataFrame:
    """Dates as datetimes and money/numbers as floats for a workbook; invalid cells stay text.

    ``normalized`` holds the mapped columns' :class:`Normalized` results (indexed like ``frame``, or a
    superset of it)."""
    out = frame.copy(deep=False)
    for col, res in normalized.items():
        if col not in frame.columns:
            continue
        kind = kind_of(mapping.get(col))
        if kind not in ("date", "amount", "number"):
            continue
        parsed = res.parsed.reindex(frame.index)
        text = frame[col]
        bad = (res.codes.reindex(frame.index) != "").to_numpy()
        if not bad.any():
            out[col] = parsed
            continue
        if kind == "date":
            cells = np.where(bad, text.to_numpy(dtype=object), pd.Series(parsed).astype(object).to_numpy())
        else:
            cells = np.where(bad, text.to_numpy(dtype=object), parsed.to_numpy(dtype=object))
        out[col] = pd.Series(cells, index=frame.index, dtype=object)
    return out


def _highlights(frame: pd.DataFrame, issues: pd.DataFrame) -> list[tuple[int, int]]:
    if issues.empty or frame.empty:
        return []
    pos = pd.Series(np.arange(len(frame)), index=frame.index)
    cols = {c: j for j, c in enumerate(frame.columns)}
    marks: list[tuple[int, int]] = []
    hit = issues[issues["row"].isin(frame.index)]
    for row, col in zip(hit["row"].to_numpy(), hit["column"].to_numpy()):
        r = int(pos[row])
        if col in cols:
            marks.append((r, cols[col]))
        elif col == "":
            marks.extend((r, j) for j in range(len(cols)))
    return marks


def write_cleaned(result: CleanResult, dest: str | os.PathLike, *, format: str | None = None,
                  issues_path: str | os.PathLike | None = None, rejected_path: str | os.PathLike | None = None,
                  source: str | os.PathLike | None = None, inputs: Iterable[str | os.PathLike] = ()) -> list[str]:
    """Write a :class:`CleanResult`; returns the paths written (``-`` for stdout).

    xlsx: sheets ``cleaned``, ``issues``, ``summary`` (+ ``rejected`` when rows were dropped);
    after dedupe ``deduped`` (the merged table) and ``clusters`` replace ``cleaned``.
    Other formats: the data only; the issues go to ``issues_path`` if given, rejected rows
    to ``rejected_path`` (default ``<input stem>.rejected.csv`` beside the input).
    """
    inputs = list(inputs)
    fmt = output_format(dest, format)
    written: list[str] = []
    dropped = not result.rejected.empty
    if fmt == "xlsx" and result.deduped is not None:
        # the golden rows typed like the cleaned sheet: dates as dates, money as numbers
        sheets = {"deduped": result.deduped.sheet(), "clusters": result.deduped.clusters.reset_index(drop=True),
                  "issues": result.issues, "summary": result.summary}
        if dropped:
            sheets["rejected"] = _typed(result.rejected, result)
        money = {col: MONEY_FORMAT for col, f in result.mapping.items() if kind_of(f) == "amount"}
        write_workbook(sheets, dest, number_formats={"deduped": money, "rejected": money},
                       highlights={"rejected": _highlights(result.rejected, result.issues)}
                       if dropped else None, inputs=inputs)
        written.append(os.fspath(dest))
    elif fmt == "xlsx":
        sheets = {"cleaned": _typed(result.cleaned, result), "issues": result.issues, "summary": result.summary}
        highlights = {"cleaned": _highlights(result.cleaned, result.issues)}
        if dropped:
            sheets["rejected"] = _typed(result.rejected, result)
            highlights["rejected"] = _highlights(result.rejected, result.issues)
        money = {col: MONEY_FORMAT for col, f in result.mapping.items() if kind_of(f) == "amount"}
        write_workbook(sheets, dest, number_formats={"cleaned": money, "rejected": money},
                       highlights=highlights, inputs=inputs)
        written.append(os.fspath(dest))
    else:
        write_table(result.output, dest, format=fmt, inputs=inputs)
        written.append(os.fspath(dest))
        if dropped:
            target = rejected_path or _rejected_default(source, dest)
            write_table(result.rejected, target, inputs=inputs)
            written.append(os.fspath(target))
    if issues_path is not None:
        write_table(result.issues, issues_path, inputs=inputs)
        written.append(os.fspath(issues_path))
    return written


def rejected_destination(source: str | os.PathLike | None, dest: str | os.PathLike, *,
                         rejected: str | os.PathLike | None = None, drop_invalid: bool = False) -> str | None:
    """Where ``--drop-invalid`` puts the rejected rows of a CSV-like output (None: nowhere needed —
    not dropping, or an xlsx output that holds them in a ``rejected`` sheet)."""
    if not drop_invalid or Path(os.fspath(dest)).suffix.lower() == ".xlsx":
        return None
    return os.fspath(rejected) if rejected else _rejected_default(source, dest)


def _rejected_default(source: str | os.PathLike | None, dest: str | os.PathLike) -> str:
    if source is not None and os.fspath(source) != "-":
        return default_output(source, "rejected", ".csv")
    if os.fspath(dest) != "-":
        p = Path(os.fspath(dest))
        return str(p.with_name(f"{p.stem}.rejected.csv"))
    raise UsageError("{opt:drop_invalid} from stdin to stdout needs a place for the rejected rows",
                     hint="give {opt:rejected} PATH, or write an .xlsx with {opt:output}")
