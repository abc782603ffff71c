"""``crm clean`` and ``crm validate`` on a file of any size: batches in, normalized batches out.

:func:`stream_table` reads a CSV/TSV/Parquet file a batch at a time (:mod:`.source`), normalizes
each batch with the decisions made once from the head (:mod:`.plan`), lists its issues with
:func:`crmcli.validate.collect_issues` (the checks of a whole table, batch by batch), writes the
cleaned rows as they come, and finds repeated rows and ids across batches with the key index
(:mod:`.keys`: hashes, then a second pass confirming the candidates on their values).

Memory: a batch (``batch_rows`` rows and their issues, and the one being written), the key index's
buffers (16 bytes a row for each duplicate key, moved to a private temporary folder past
:attr:`.keys.KeySettings.spill_bytes`: hashes and row numbers only), and in the confirming pass one
hash range's candidates (at most :attr:`.keys.KeySettings.confirm_rows`) plus 16 bytes (and the
repeated id) for each duplicate found: independent of the file's size.

What a streamed run does differently from the whole-table run, by design:

- the issue list is in row order batch by batch, then the ``duplicate-row``/``duplicate-id`` issues
  (found over the whole file), in row order among themselves;
- ``--drop-invalid`` moves rows with a field error to the rejected output; a duplicate row (known
  only at the end) stays in the cleaned output and is listed in the issues;
- the checks that compare rows across the file other than those duplicates (unique-value rules,
  outlier amounts, value clusters: :data:`STREAM_LEAVES_OUT`) are not run, and an order's lines fill
  each other's blank cells within a batch; every other check (rules, required fields, the default
  checks as of a day, the messages' language) runs on every batch as on the whole table;
- a date column whose first rows do not decide day/month order is decided batch by batch;
- no xlsx output (a workbook holds 1,048,576 rows; use .csv, .jsonl or .parquet), no ``--dedupe``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..clean import summarize_columns
from ..errors import UsageError
from ..fields import kind_of
from ..io.atomic import AtomicStream
from ..issue_text import localize_issues
from ..io.json import json_records
from ..io.write import output_format, write_csv_part
from ..validate import collect_issues, default_unique, summarize_issues
from .confirm import confirm_duplicates
from .keys import KeyIndex, KeySettings, SpillFolder, hash_keys
from .pipe import Behind
from .plan import Plan, plan_table
from .source import BATCH_ROWS, Renumber, open_source

#: What a run in batches does not check (they need the whole table, or are defined on it): said on stderr.
STREAM_LEAVES_OUT = ("in batches the checks that compare rows across the whole file, other than repeated rows and ids "
                     "(unique-value rules, outlier amounts, value clusters), are not run: run without --engine (in "
                     "memory) for them")

#: Issues kept in memory to show (the rest are only counted and written).
SHOWN_ISSUES = 1000
Progress = Callable[[int, int, str], None]


@dataclass
class StreamResult:
    """What a streamed clean or validate found. ``issues`` holds the first :data:`SHOWN_ISSUES` issues
    (every issue is in the issues output); ``summary`` the clean summary per column;
    ``issue_summary`` counts per field and code."""

    rows: int
    issues: pd.DataFrame
    summary: pd.DataFrame
    issue_summary: pd.DataFrame
    errors: int
    warnings: int
    issue_count: int
    rejected: int
    mapping: dict[str, str]
    plan: Plan
    batches: int
    key_bytes: int = 0
    candidates: int = 0
    #: passes over the file confirming the candidates (one per hash range)
    confirm_passes: int = 0
    written: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.errors > 0


class _Sink:
    """One output written batch by batch in one format (csv, tsv, json, jsonl, parquet)."""

    def __init__(self, dest: str, fmt: str, inputs: Iterable[str], schema: Callable[[pd.DataFrame], Any] | None = None):
        if fmt == "xlsx":
            raise UsageError("a streamed table cannot be written to an xlsx workbook (Excel holds 1,048,576 rows)",
                             hint="write .csv, .jsonl or .parquet with {opt:output}", option="output")
        self.fmt = fmt
        self.out = AtomicStream(dest, inputs=inputs)
        self.parts = 0
        self._parquet = None
        self._schema = schema
        self._behind = Behind()   # Parquet is encoded on a thread of its own (pyarrow releases the GIL)

    def write(self, frame: pd.DataFrame, arrow: pa.Table | None = None) -> None:
        fh = self.out.fh
        if self.fmt in ("csv", "tsv"):
            write_csv_part(frame, fh, "\t" if self.fmt == "tsv" else ",", header=self.parts == 0)
        elif self.fmt == "jsonl":
            self.out.write(b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n"
                                    for r in json_records(frame)))
        elif self.fmt == "json":
            records = json_records(frame)
            if records:
                body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
                self.out.write(("[\n" if self.parts == 0 else ",\n").encode() + body.encode("utf-8"))
                self.parts += 1
            return
        elif self.fmt == "parquet":
            import pyarrow.parquet as pq

            from ..io.parquet import frame_table

            table = arrow if arrow is not None else frame_table(frame)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(fh, table.schema, compression="zstd",
                                                 use_dictionary=repeating_columns(table))
            self._behind.submit(self._parquet.write_table, table)
        self.parts += 1

    def commit(self, empty: pd.DataFrame) -> None:
        if self.parts == 0:
            self.write(empty, None)
        self._behind.wait()
        if self.fmt == "json":
            self.out.write(b"[]\n" if self.parts == 0 else b"\n]\n")
        if self._parquet is not None:
            self._parquet.close()
        self.out.commit()

    def discard(self) -> None:
        self._behind.close()
        if self._parquet is not None:
            try:
                self._parquet.close()
            except Exception:  # noqa: BLE001 - the file is removed anyway
                pass
        self.out.discard()


#: Rows of the first batch that decide which columns Parquet dictionary-encodes.
DICTIONARY_SAMPLE = 20_000


def repeating_columns(table: pa.Table, sample: int = DICTIONARY_SAMPLE) -> list[str]:
    """The columns whose values repeat (at most one distinct value in two of the first batch's first
    ``sample`` rows): Parquet dictionary-encodes those only (an id or phone column would fill a
    dictionary in vain)."""
    import pyarrow.compute as pc

    head = table.slice(0, sample)
    n = head.num_rows
    return [name for name, col in zip(head.column_names, head.columns)
            if n == 0 or pc.count_distinct(col).as_py() <= n // 2]


def typed_batch(clean: pd.DataFrame, table: Any, plan: Plan) -> pa.Table:
    """A cleaned batch typed for Parquet: dates as dates, money as decimal(18,2), numbers as floats,
    text (phones and ids too) as strings; invalid cells null (their text is in the issues)."""
    from ..io.parquet import typed_column, typed_schema

    schema = typed_schema([str(c) for c in clean.columns], plan.kinds, plan.with_time, fields=plan.mapping)
    arrays = []
    for f in schema:
        res = table.normalized.get(f.name)
        arrays.append(typed_column(clean[f.name], res.parsed if res is not None else None,
                                   res.bad if res is not None else None, f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def stream_table(source: str | os.PathLike, *, read: Any = None, overrides: Mapping[str, str] | None = None,
                 mapping: Mapping[str, str] | None = None, region: str = "CN", dayfirst: bool | None = None,
                 output: str | None = None, format: str | None = None, issues: str | None = None,
                 issues_format: str | None = None, rejected: str | None = None, drop_invalid: bool = False,
                 inputs: Iterable[str] = (), batch_rows: int = BATCH_ROWS,
                 progress: Progress | None = None, keys: KeySettings | None = None, rules: Any = None,
                 kind: str | None = None, required: Iterable[str] = (), as_of: Any = None, values: Any = None,
                 defaults: bool = True, lang: str = "en") -> StreamResult:
    """Clean (``output`` given) or validate (``output`` None) a CSV/TSV/Parquet file in batches.

    ``output``/``format``: where the cleaned rows go (``-`` = stdout); ``issues``: where every issue
    goes; ``rejected``: rows with an error when ``drop_invalid``; ``keys``: how the duplicate key
    index holds and confirms its keys (:class:`.keys.KeySettings`). ``rules``, ``kind``, ``required``,
    ``as_of``, ``values``, ``defaults`` and ``lang`` are :func:`crmcli.validate.check_table`'s, checked on every batch
    (the checks that need every row are left out: :data:`STREAM_LEAVES_OUT`). See the module docstring for
    what differs from the whole-table commands.
    """
    path = os.fspath(source)
    src = open_source(path, read, batch_rows=batch_rows)
    plan = plan_table(src.head, overrides=overrides, mapping=mapping, region=region, dayfirst=dayfirst)
    args = dict(output=output, format=format, issues=issues, issues_format=issues_format, rejected=rejected,
                drop_invalid=drop_invalid, inputs=[path, *inputs], progress=progress, dayfirst=dayfirst,
                keys=keys or KeySettings(),
                checks=dict(rules=rules, kind=kind, required=tuple(required or ()), as_of=as_of, values=values,
                            defaults=defaults, lang=lang))
    try:
        return _stream(src, plan, **args)
    except Renumber:   # a row pyarrow could not take, read on several threads: again on one, to number it
        src.threads = False
        return _stream(src, plan, **args)


def _stream(src: Any, plan: Plan, *, output: str | None, format: str | None, issues: str | None,
            issues_format: str | None, rejected: str | None, drop_invalid: bool, inputs: list[str],
            progress: Progress | None, dayfirst: bool | None, keys: KeySettings, checks: dict) -> StreamResult:
    folder = SpillFolder()
    try:
        return _stream_with(src, plan, output=output, format=format, issues=issues, issues_format=issues_format,
                            rejected=rejected, drop_invalid=drop_invalid, inputs=inputs, progress=progress,
                            dayfirst=dayfirst, keys=keys, folder=folder, checks=checks)
    finally:
        folder.close()


def _stream_with(src: Any, plan: Plan, *, output: str | None, format: str | None, issues: str | None,
                 issues_format: str | None, rejected: str | None, drop_invalid: bool, inputs: list[str],
                 progress: Progress | None, dayfirst: bool | None, keys: KeySettings,
                 folder: SpillFolder, checks: dict) -> StreamResult:
    cmap = plan.mapping
    unique = default_unique(cmap)
    id_cols = {h: f for h, f in cmap.items() if f in unique}
    fmt = output_format(output, format) if output is not None else None
    sinks: list[_Sink] = []
    try:
        out = _Sink(output, fmt, inputs) if output is not None else None
        sinks += [out] if out is not None else []
        issues_sink = _Sink(issues, output_format(issues, issues_format), inputs) if issues else None
        sinks += [issues_sink] if issues_sink is not None else []
        reject_sink = _Sink(rejected, output_format(rejected, None), inputs) if drop_invalid and rejected else None
        sinks += [reject_sink] if reject_sink is not None else []

        row_index = KeyIndex("duplicate-row", keys, folder)
        id_index = {col: KeyIndex(col, keys, folder) for col in id_cols}
        summaries: list[pd.DataFrame] = []
        issue_counts: list[pd.DataFrame] = []
        shown: list[pd.DataFrame] = []
        n_shown = rows = rejected_rows = batches = 0
        errors = warnings = 0
        for frame in src.batches():
            batches += 1
            if batches == 1 and src.info.problems:
                frame.attrs["source"].problems[:0] = src.info.problems   # the header's, reported once
            if progress:
                progress(rows, 0, f"batch {batches}")
            table = plan.normalize(frame)
            # see STREAM_LEAVES_OUT; the duplicates are found over the whole file (the key index)
            found = collect_issues(table, unique=(), duplicates=False, whole=False, **checks)
            clean = table.cleaned()
            _index_keys(clean, frame.index.to_numpy(), row_index, id_index)
            summaries.append(summarize_columns(frame, cmap, table.normalized, found))
            issue_counts.append(summarize_issues(found))
            errors += int((found["severity"] == "error").sum())
            warnings += int((found["severity"] == "warning").sum())
            if n_shown < SHOWN_ISSUES and len(found):
                shown.append(found.head(SHOWN_ISSUES - n_shown))
                n_shown += len(shown[-1])
            if issues_sink is not None and len(found):
                issues_sink.write(localize_issues(found, checks["lang"]))
            if out is not None:
                kept, bad = clean, None
                if drop_invalid:
                    bad = clean.index.isin(found.loc[found["severity"] == "error", "row"].unique())
                    kept = clean[~bad]
                    if reject_sink is not None and bad.any():
                        reject_sink.write(clean[bad], typed_batch(clean[bad], table.drop_rows(clean.index[~bad]),
                                                                  plan) if reject_sink.fmt == "parquet" else None)
                    rejected_rows += int(bad.sum())
                if len(kept) or out.parts == 0:
                    sub = table if bad is None else table.drop_rows(clean.index[bad])
                    out.write(kept, typed_batch(kept, sub, plan) if out.fmt == "parquet" else None)
            rows += len(frame)

        # duplicates over the whole file: candidates by hash, confirmed on their values a hash range at a time
        key_bytes = row_index.nbytes + sum(idx.nbytes for idx in id_index.values())
        n_cand, passes, dup_chunks = confirm_duplicates(src, plan, row_index, id_index, id_cols,
                                                        lang=checks["lang"])
        for dups in dup_chunks:
            errors += int((dups["severity"] == "error").sum())
            warnings += int((dups["severity"] == "warning").sum())
            if issues_sink is not None:
                issues_sink.write(localize_issues(dups, checks["lang"]))
            issue_counts.append(summarize_issues(dups))
            summaries.append(summarize_columns(src.head.iloc[:0], cmap, {}, dups))
            if n_shown < SHOWN_ISSUES:
                shown.append(dups.head(SHOWN_ISSUES - n_shown))
                n_shown += len(shown[-1])
        empty_issues = collect_issues(plan.normalize(src.head.iloc[:0]), unique=(), defaults=False, whole=False)
        empty_clean = src.head.iloc[:0]
        if out is not None:
            out.commit(empty_clean)
        if issues_sink is not None:
            issues_sink.commit(localize_issues(empty_issues, checks["lang"]))
        if reject_sink is not None:
            reject_sink.commit(empty_clean)
    except BaseException:
        for s in sinks:
            s.discard()
        raise
    summary = _sum_summaries(summaries)
    issue_summary = _sum_issue_counts(issue_counts)
    shown_frame = pd.concat(shown, ignore_index=True) if shown else empty_issues
    notes = [STREAM_LEAVES_OUT]
    undecided = [c for c, d in plan.dayfirst.items() if d is None and dayfirst is None]
    if undecided and batches > 1:
        notes.append("day/month order not decided by the first rows of " + ", ".join(map(repr, undecided))
                     + ": decided batch by batch (give {opt:dayfirst} to fix it)")
    written = [s.out.dest for s in sinks]
    return StreamResult(rows=rows, issues=shown_frame, summary=summary, issue_summary=issue_summary, errors=errors,
                        warnings=warnings, issue_count=int(issue_summary["count"].sum()) if len(issue_summary) else 0,
                        rejected=rejected_rows, mapping=dict(cmap), plan=plan, batches=batches, key_bytes=key_bytes,
                        candidates=n_cand, confirm_passes=passes, written=written,
                        notes=notes)


def _index_keys(clean: pd.DataFrame, rows: np.ndarray, row_index: KeyIndex, id_index: Mapping[str, KeyIndex]) -> None:
    if not len(clean) or not clean.shape[1]:
        return
    hashes, filled, ids = hash_keys(clean, id_index)
    row_index.add(rows, hashes, filled)
    for col, idx in id_index.items():
        idx.add(rows, *ids[col])


def _sum_summaries(parts: list[pd.DataFrame]) -> pd.DataFrame:
    cols = ["column", "field", "kind", "filled", "changed", "errors", "warnings"]
    if not parts:
        return pd.DataFrame(columns=cols)
    both = pd.concat(parts, ignore_index=True)
    out = both.groupby(["column", "field", "kind"], sort=False)[["filled", "changed", "errors", "warnings"]].sum()
    return out.reset_index()[cols]


def _sum_issue_counts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return summarize_issues(pd.DataFrame({"field": [], "code": [], "severity": []}).iloc[:0])
    both = pd.concat(parts, ignore_index=True)
    counts = both.groupby(["field", "code", "severity"], sort=False)["count"].sum().reset_index()
    return counts.sort_values(["count", "field", "code"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)


def kinds_of(mapping: Mapping[str, str]) -> dict[str, str]:
    return {h: kind_of(f) for h, f in mapping.items()}
